#include "listener.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acceptor.h"
#include "clock.h"
#include "log.h"
#include "mgr.h"
#include "peer.h"
#include "sock.h"
#include "stream_listener.h"
#include "xport.h"

struct listener {
	acceptor        *acc; /* a socket of the loops', or */
	stream_listener *sl;  /* nng's */
	listen_opts      o;
	bool             tls; /* tls+tcp:// in the loops */
	void (*on_accept)(void *arg, fconn *c, const char *peer);
	void *arg;
};

int
listener_conn_new(fconn **cp, evgroup *loops, int fd,
    const struct mbedtls_ssl_config *tls, size_t max_message)
{
	evloop *loop = evgroup_pick(loops);
	xport  *t;
	int     rv = tls != NULL ? xport_tls_new(&t, loop, fd, tls)
	                         : xport_sock_new(&t, loop, fd);
	return rv != 0 ? rv : fconn_new(cp, t, loop, max_message);
}

/* ---- TLS connections by network ----------------------------------------
 *
 * A full TLS handshake costs the manager milliseconds of CPU (an ECDSA
 * signature and an ECDH), a plain connection microseconds: one network
 * opening hundreds a second would take the CPU from every client. Each
 * network has a bucket of rate * 2 tokens refilled at rate a second (as
 * nginx's limit_req with a burst); a tls+tcp connection takes one before
 * any handshake work, or is closed. Shared by the tls+tcp listeners. */

#define TLS_NETS 512

static pthread_mutex_t tls_nets_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct tls_net {
	char    net[64]; /* "": free */
	double  tokens;
	int64_t at_ms; /* when tokens was counted */
} tls_nets[TLS_NETS];

static bool
tls_net_take(const char *peer, size_t rate)
{
	if (rate == 0) {
		return true;
	}
	char net[64];
	peer_network(peer, 24, net, sizeof(net));
	int64_t now   = clock_ms();
	double  burst = 2.0 * (double) rate;
	pthread_mutex_lock(&tls_nets_mtx);
	struct tls_net *b = NULL, *spare = NULL;
	for (size_t i = 0; i < TLS_NETS && b == NULL; i++) {
		struct tls_net *x = &tls_nets[i];
		if (strcmp(x->net, net) == 0) {
			b = x;
		} else if (spare == NULL
		    && (x->net[0] == '\0'
		        || (double) (now - x->at_ms) * (double) rate / 1000.0
		            >= burst)) {
			spare = x; // free, or full again: forgets nothing
		}
	}
	if (b == NULL) {
		// A table full of networks that are all short of tokens
		// lends the first slot: never a reason to refuse.
		b = spare != NULL ? spare : &tls_nets[now % TLS_NETS];
		snprintf(b->net, sizeof(b->net), "%s", net);
		b->tokens = burst;
		b->at_ms  = now;
	}
	b->tokens += (double) (now - b->at_ms) * (double) rate / 1000.0;
	b->tokens = b->tokens > burst ? burst : b->tokens;
	b->at_ms  = now;
	bool ok   = b->tokens >= 1.0;
	if (ok) {
		b->tokens -= 1.0;
	}
	pthread_mutex_unlock(&tls_nets_mtx);
	return ok;
}

/* A socket accepted for the loops becomes a connection. */
static void
accepted(void *arg, int fd)
{
	listener *l = arg;
	char      peer[96];
	sock_tune(fd);
	sock_peer_name(fd, peer, sizeof(peer));
	if (l->tls && strncmp(peer, "tcp ", 4) == 0) {
		// "tcp A:P" names a tls+tcp peer "tls+tcp A:P".
		memmove(peer + 4, peer, strnlen(peer, sizeof(peer) - 5) + 1);
		memcpy(peer, "tls+", 4);
		peer[sizeof(peer) - 1] = '\0';
	}
	if (l->tls && !tls_net_take(peer, l->o.tls_per_net)) {
		log_refused(LOG_WARN,
		    "TLS connections over --max-tls-handshakes-per-net", peer,
		    "connection from %s closed before its TLS handshake: its "
		    "network opened more than %zu a second "
		    "(--max-tls-handshakes-per-net)",
		    peer, l->o.tls_per_net);
		close(fd);
		return;
	}
	fconn *c;
	int    rv = listener_conn_new(&c, l->o.loops, fd,
            l->tls ? tls_identity_mbedtls(l->o.tls) : NULL, l->o.max_message);
	if (rv != 0) {
		log_refused(LOG_WARN, "connections dropped", peer,
		    "connection from %s dropped: %s", peer, mgr_strerror(rv));
		return;
	}
	l->on_accept(l->arg, c, peer);
}

int
listener_start(listener **lp, const char *url, const listen_opts *o,
    void (*on_accept)(void *arg, fconn *c, const char *peer), void *arg,
    char *bound, size_t cap)
{
	listener *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(bound, cap, "out of memory");
		return MGR_ENOMEM;
	}
	l->o         = *o;
	l->on_accept = on_accept;
	l->arg       = arg;
	int rv;
	if (o->nng || url_after_scheme(url, "ws") != NULL
	    || url_after_scheme(url, "wss") != NULL) {
		rv = stream_listen(&l->sl, url, o->tls, o->loops,
		    o->max_message, o->ws_origins, on_accept, arg, bound,
		    cap);
		if (rv != 0) {
			free(l);
			return rv;
		}
		*lp = l;
		return 0;
	}
	// tls+tcp://H:P is a tcp socket whose bytes the loops decrypt.
	char sockurl[512];
	l->tls = url_after_scheme(url, "tls+tcp") != NULL;
	if (l->tls && o->tls == NULL) {
		snprintf(bound, cap,
		    "%s needs a certificate (--tls-cert and --tls-key)", url);
		free(l);
		return MGR_EINVAL;
	}
	snprintf(sockurl, sizeof(sockurl), "%s",
	    l->tls ? url + strlen("tls+") : url);
	char why[256] = "";
	int  fd;
	char sbound[512];
	if ((rv = sock_listen(
	         sockurl, &fd, sbound, sizeof(sbound), why, sizeof(why)))
	    != 0) {
		snprintf(bound, cap, "%s", why);
		free(l);
		return rv;
	}
	snprintf(bound, cap, "%s%s", l->tls ? "tls+" : "", sbound);
	if ((rv = acceptor_start(&l->acc, fd, sockurl, accepted, l)) != 0) {
		snprintf(bound, cap, "%s", mgr_strerror(rv));
		free(l);
		return rv;
	}
	*lp = l;
	return 0;
}

void
listener_stop(listener *l)
{
	if (l->acc != NULL) {
		acceptor_stop(l->acc);
	} else {
		stream_unlisten(l->sl);
	}
	free(l);
}
