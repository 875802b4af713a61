/* Listening through nng's stream layer: one accept aio per listener,
 * re-posted from its own callback, so accepting costs no thread of ours;
 * each accepted stream is tuned (Nagle off: nng 1.5.2 leaves it on, and
 * under wss each message then waits ~40 ms for the delayed ACK) and
 * becomes a connection on the nng transport (xport_nng.c). */
#include "stream_listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "mgr.h"
#include "sock.h"
#include "tls_identity.h"
#include "xport.h"

struct stream_listener {
	nng_stream_listener *l;
	nng_aio             *aio;
	char                *url;
	const char          *scheme_name; /* for peer names */
	bool                 ws;
	bool                 ipc;
	bool                 pausing; /* the aio is a pause, not an accept */
	size_t               max_message;
	char                *origins; /* ws: Origins allowed (",a,b,", "*") */
	evgroup             *loops;   /* connections' deadlines */
	void (*on_accept)(void *arg, fconn *c, const char *peer);
	void *arg;
};

/* ---- URLs ----------------------------------------------------------------
 */

/* url with its port (":0" asked for) replaced by port. */
static void
bound_url(const char *url, int port, char *out, size_t cap)
{
	const char *host  = strstr(url, "://") + 3;
	const char *end   = host + strcspn(host, "/");
	const char *colon = NULL;
	for (const char *p = host; p < end; p++) {
		if (*p == ':') {
			colon = p; // the last one: IPv6 literals have more
		}
	}
	if (colon == NULL || port <= 0) {
		snprintf(out, cap, "%s", url);
		return;
	}
	snprintf(out, cap, "%.*s:%d%s", (int) (colon - url), url, port, end);
}

/* An ipc socket file with no manager behind it (a crashed one's) is
 * removed, as the direct engine does; a live one is left alone. */
static void
remove_stale_ipc(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		return;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return;
	}
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0
	    && errno == ECONNREFUSED) {
		unlink(path);
	}
	close(fd);
}

/* ---- accepting ---------------------------------------------------------
 */

static void
peer_name(stream_listener *l, nng_stream *st, char *buf, size_t cap)
{
	if (l->ipc) {
		uint64_t pid = 0, uid = 0;
		nng_stream_get_uint64(st, NNG_OPT_IPC_PEER_PID, &pid);
		nng_stream_get_uint64(st, NNG_OPT_IPC_PEER_UID, &uid);
		snprintf(buf, cap, "ipc pid %llu uid %llu",
		    (unsigned long long) pid, (unsigned long long) uid);
		return;
	}
	nng_sockaddr sa;
	if (nng_stream_get_addr(st, NNG_OPT_REMADDR, &sa) != 0) {
		snprintf(buf, cap, "%s ?", l->scheme_name);
		return;
	}
	char ip[64] = "?";
	if (sa.s_family == NNG_AF_INET) {
		const uint8_t *a = (const uint8_t *) &sa.s_in.sa_addr;
		snprintf(
		    ip, sizeof(ip), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		snprintf(buf, cap, "%s %s:%u", l->scheme_name, ip,
		    (unsigned) ntohs(sa.s_in.sa_port));
	} else if (sa.s_family == NNG_AF_INET6) {
		const uint8_t *a = sa.s_in6.sa_addr;
		int            k = 0;
		for (int i = 0; i < 16; i += 2) {
			k += snprintf(ip + k, sizeof(ip) - (size_t) k, "%s%x",
			    i ? ":" : "", (unsigned) (a[i] << 8 | a[i + 1]));
		}
		snprintf(buf, cap, "%s [%s]:%u", l->scheme_name, ip,
		    (unsigned) ntohs(sa.s_in6.sa_port));
	} else {
		snprintf(buf, cap, "%s ?", l->scheme_name);
	}
}

/* A WebSocket upgrade from a web page whose origin is not allowed: the
 * page of any site an operator opens can reach a manager on localhost,
 * and nng answers the upgrade before we see it, so it is closed now,
 * before the handshake. true when st was closed (and freed). */
static bool
refused_origin(const stream_listener *l, nng_stream *st, const char *peer)
{
	char *origin = NULL;
	if (!l->ws
	    || nng_stream_get_string(
	           st, NNG_OPT_WS_REQUEST_HEADER "Origin", &origin)
	        != 0) {
		return false; // no Origin: not a browser's
	}
	bool ok = ws_origin_allowed(l->origins, origin, strlen(origin));
	if (!ok) {
		char shown[80];
		log_escape(origin, shown, sizeof(shown));
		log_refused(LOG_WARN,
		    "WebSocket upgrades from an Origin --ws-origin does not "
		    "allow",
		    peer,
		    "connection from %s refused: a WebSocket upgrade from "
		    "Origin '%s', not one --ws-origin allows",
		    peer, shown);
		nng_stream_close(st);
		nng_stream_free(st);
	}
	nng_strfree(origin);
	return !ok;
}

static void
accepted(void *arg)
{
	stream_listener *l  = arg;
	int              rv = nng_aio_result(l->aio);
	if (l->pausing) {
		l->pausing = false;
		if (rv == 0) {
			nng_stream_listener_accept(l->l, l->aio);
		}
		return; // rv != 0: stopped
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		return; // stream_unlisten
	}
	if (rv != 0) {
		// Out of descriptors or memory, or a peer gone during a
		// WebSocket upgrade: try again shortly, without spinning.
		log_msg(
		    LOG_WARN, "accept on %s: %s", l->url, nng_strerror(rv));
		l->pausing = true;
		nng_sleep_aio(100, l->aio);
		return;
	}
	nng_stream *st = nng_aio_get_output(l->aio, 0);
	nng_stream_listener_accept(l->l, l->aio); // the next one meanwhile
	if (!l->ipc) {
		nng_stream_set_bool(st, NNG_OPT_TCP_NODELAY, true);
		nng_stream_set_bool(st, NNG_OPT_TCP_KEEPALIVE, true);
	}
	char peer[96];
	peer_name(l, st, peer, sizeof(peer));
	if (refused_origin(l, st, peer)) {
		return;
	}
	xport *t;
	fconn *c;
	if (xport_nng_new(
	        &t, st, l->ipc ? l->url + strlen("ipc://") : NULL, l->ws)
	        != 0
	    || fconn_new(&c, t, evgroup_pick(l->loops), l->max_message)
	        != 0) {
		log_msg(LOG_WARN, "connection from %s dropped: out of memory",
		    peer);
		return;
	}
	l->on_accept(l->arg, c, peer);
}

int
stream_listen(stream_listener **lp, const char *url, tls_identity *tls,
    evgroup *loops, size_t max_message, const char *origins,
    void (*on_accept)(void *arg, fconn *c, const char *peer), void *arg,
    char *bound, size_t cap)
{
	bool secure = url_after_scheme(url, "tls+tcp") != NULL
	    || url_after_scheme(url, "wss") != NULL;
	bool ws = url_after_scheme(url, "ws") != NULL
	    || url_after_scheme(url, "wss") != NULL;
	bool ipc = url_after_scheme(url, "ipc") != NULL;
	if (!secure && !ws && !ipc && url_after_scheme(url, "tcp") == NULL) {
		snprintf(bound, cap,
		    "%s: the nng engine serves ipc://, tcp://, tls+tcp://, "
		    "ws:// and wss:// URLs",
		    url);
		return MGR_EINVAL;
	}
	if (secure && tls == NULL) {
		snprintf(bound, cap,
		    "%s needs a certificate (--tls-cert and "
		    "--tls-key)",
		    url);
		return MGR_EINVAL;
	}
	stream_listener *l  = calloc(1, sizeof(*l));
	size_t           ol = origins != NULL ? strlen(origins) : 0;
	if (l == NULL || (l->url = strdup(url)) == NULL
	    || (l->origins = malloc(ol + 3)) == NULL) {
		if (l != NULL) {
			free(l->url);
		}
		free(l);
		snprintf(bound, cap, "out of memory");
		return MGR_ENOMEM;
	}
	// ",a,b,": each origin between commas, for a whole-word match.
	snprintf(l->origins, ol + 3, ",%s,", origins != NULL ? origins : "");
	l->ws          = ws;
	l->ipc         = ipc;
	l->max_message = max_message;
	l->loops       = loops;
	l->on_accept   = on_accept;
	l->arg         = arg;
	l->scheme_name = url_after_scheme(url, "tls+tcp") != NULL ? "tls+tcp"
	    : url_after_scheme(url, "wss") != NULL                ? "wss"
	    : ws                                                  ? "ws"
	                                                          : "tcp";
	int rv         = nng_stream_listener_alloc(&l->l, url);
	if (rv == 0 && secure) {
		rv = nng_stream_listener_set_ptr(
		    l->l, NNG_OPT_TLS_CONFIG, tls_identity_nng(tls));
	}
	if (rv == 0 && ws) {
		// The whole frame limit in one WebSocket message (nng's
		// default is 1 MiB), plus the length prefix.
		rv = nng_stream_listener_set_size(
		    l->l, NNG_OPT_WS_RECVMAXFRAME, max_message + 4);
	}
	if (rv == 0 && ipc) {
		rv = nng_stream_listener_set_int(
		    l->l, NNG_OPT_IPC_PERMISSIONS, 0600);
		remove_stale_ipc(url + strlen("ipc://"));
	}
	if (rv == 0) {
		rv = nng_stream_listener_listen(l->l);
	}
	if (rv == 0) {
		rv = nng_aio_alloc(&l->aio, accepted, l);
	}
	if (rv != 0) {
		snprintf(bound, cap, "%s: %s", url, nng_strerror(rv));
		nng_stream_listener_free(l->l);
		free(l->origins);
		free(l->url);
		free(l);
		return rv == NNG_EADDRINUSE || rv == NNG_EADDRINVAL
		        || rv == NNG_EPERM
		    ? MGR_ECONN
		    : rv == NNG_ENOMEM ? MGR_ENOMEM
		                       : MGR_EINVAL;
	}
	int port = 0;
	if (!ipc) {
		nng_stream_listener_get_int(
		    l->l, NNG_OPT_TCP_BOUND_PORT, &port);
	}
	bound_url(url, port, bound, cap);
	nng_stream_listener_accept(l->l, l->aio);
	*lp = l;
	return 0;
}

void
stream_unlisten(stream_listener *l)
{
	nng_stream_listener_close(l->l);
	nng_aio_stop(l->aio); // waits for a callback under way
	nng_aio_free(l->aio);
	nng_stream_listener_free(l->l);
	free(l->origins);
	free(l->url);
	free(l);
}
