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
#include "web_conns.h"
#include "xport.h"

struct listener {
	acceptor        *acc; /* a socket of the loops', or */
	stream_listener *sl;  /* nng's */
	listen_opts      o;
	bool             tls;    /* TLS in the loops (tls+tcp, wss, https) */
	bool             web;    /* a web port (ws, wss, http, https) */
	const char      *scheme; /* for peer names: "tls+tcp", "ws" */
	web_opts         wo;     /* a web port's */
	web_conns       *http;   /* an HTTP port's connections */
	char             path[256];     /* ws: the upgrade's path */
	char             origins[1100]; /* ws: ",a,b," (--ws-origin) */
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

/* A web port's connection: HTTP over the socket or TLS. */
static int
web_conn_new(listener *l, fconn **cp, int fd, const char *peer)
{
	evloop *loop = evgroup_pick(l->o.loops);
	xport  *inner, *t;
	int     rv = l->tls
	        ? xport_tls_new(&inner, loop, fd, tls_identity_mbedtls(l->o.tls))
	        : xport_sock_new(&inner, loop, fd);
	if (rv == 0) {
		rv = xport_web_new(&t, inner, &l->wo, peer);
	}
	return rv != 0 ? rv : fconn_new(cp, t, loop, l->o.max_message);
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
	char      peer[96], tcp_peer[88];
	sock_tune(fd);
	sock_peer_name(fd, tcp_peer, sizeof(tcp_peer));
	if (l->scheme != NULL && strncmp(tcp_peer, "tcp ", 4) == 0) {
		// "tcp A:P" names a wss peer "wss A:P".
		snprintf(
		    peer, sizeof(peer), "%s %s", l->scheme, tcp_peer + 4);
	} else {
		snprintf(peer, sizeof(peer), "%s", tcp_peer);
	}
	size_t per_net = l->o.tls_per_net != NULL
	    ? __atomic_load_n(l->o.tls_per_net, __ATOMIC_RELAXED)
	    : 0;
	if (l->tls && !tls_net_take(peer, per_net)) {
		log_refused(LOG_WARN,
		    "TLS connections over --max-tls-handshakes-per-net", peer,
		    "connection from %s closed before its TLS handshake: its "
		    "network opened more than %zu a second "
		    "(--max-tls-handshakes-per-net)",
		    peer, per_net);
		close(fd);
		return;
	}
	fconn *c;
	int    rv = l->web ? web_conn_new(l, &c, fd, peer)
	                   : listener_conn_new(&c, l->o.loops, fd,
                            l->tls ? tls_identity_mbedtls(l->o.tls) : NULL,
	                       l->o.max_message);
	if (rv != 0) {
		log_refused(LOG_WARN, "connections dropped", peer,
		    "connection from %s dropped: %s", peer, mgr_strerror(rv));
		return;
	}
	if (l->http != NULL) {
		web_conns_add(l->http, c, peer);
	} else {
		l->on_accept(l->arg, c, peer);
	}
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
	if (o->nng) {
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
	// tls+tcp://H:P is a tcp socket whose bytes the loops decrypt;
	// ws://H:P/PATH and http://H:P one whose bytes carry HTTP (wss,
	// https: inside TLS).
	static const struct {
		const char *scheme;
		bool        tls, web, http;
	} schemes[] = { { "tls+tcp", true, false, false },
		{ "wss", true, true, false }, { "ws", false, true, false },
		{ "https", true, true, true },
		{ "http", false, true, true } };
	char        sockurl[512];
	const char *hostport = NULL;
	bool        http     = false;
	for (size_t i = 0; hostport == NULL && i < 5; i++) {
		if ((hostport = url_after_scheme(url, schemes[i].scheme))
		    != NULL) {
			l->tls    = schemes[i].tls;
			l->web    = schemes[i].web;
			http      = schemes[i].http;
			l->scheme = schemes[i].scheme;
		}
	}
	if (http != (o->serve != NULL)) {
		snprintf(bound, cap, "%s: %s", url,
		    http ? "an http:// URL serves the dashboard or metrics"
		         : "the dashboard and metrics need an http:// URL");
		free(l);
		return MGR_EINVAL;
	}
	if (l->tls && o->tls == NULL) {
		snprintf(bound, cap,
		    "%s needs a certificate (--tls-cert and --tls-key)", url);
		free(l);
		return MGR_EINVAL;
	}
	size_t hl = hostport != NULL ? strcspn(hostport, "/") : 0;
	if (l->web) {
		snprintf(l->path, sizeof(l->path), "%s",
		    hostport[hl] != '\0' ? hostport + hl
		        : http           ? ""
		                         : "/");
		// ",a,b,": each origin between commas, a whole-word match.
		snprintf(l->origins, sizeof(l->origins), ",%s,",
		    o->ws_origins != NULL ? o->ws_origins : "");
		l->wo = (web_opts) { .secure = l->tls,
			.serve               = o->serve,
			.serve_arg           = o->serve_arg,
			.ws_path             = l->path,
			.origins             = l->origins,
			.timeout_ms          = o->http_timeout_ms };
	}
	if (http
	    && (rv = web_conns_new(&l->http, o->max_http, o->http_timeout_ms))
	        != 0) {
		snprintf(bound, cap, "out of memory");
		free(l);
		return rv;
	}
	if (hostport != NULL) {
		snprintf(sockurl, sizeof(sockurl), "tcp://%.*s", (int) hl,
		    hostport);
	} else {
		snprintf(sockurl, sizeof(sockurl), "%s", url);
	}
	char why[256] = "";
	int  fd;
	char sbound[512];
	if ((rv = sock_listen(
	         sockurl, &fd, sbound, sizeof(sbound), why, sizeof(why)))
	    != 0) {
		snprintf(bound, cap, "%s", why);
		web_conns_free(l->http);
		free(l);
		return rv;
	}
	if (hostport != NULL) {
		// The scheme asked for, the address bound, the path.
		snprintf(bound, cap, "%s://%s%s", l->scheme,
		    sbound + strlen("tcp://"), l->web ? l->path : "");
	} else {
		snprintf(bound, cap, "%s", sbound);
	}
	if ((rv = acceptor_start(&l->acc, fd, sockurl, accepted, l)) != 0) {
		snprintf(bound, cap, "%s", mgr_strerror(rv));
		web_conns_free(l->http);
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
	web_conns_free(l->http); // after the acceptor: none comes
	free(l);
}
