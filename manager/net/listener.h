/* Listening on a URL, whatever serves it: the epoll loops (ipc://,
 * tcp://, tls+tcp:// with TLS in the loop, the web ports ws://, wss://,
 * http:// and https:// with HTTP in the loop: xport_web.c) through an
 * accepting thread (acceptor.c), or nng's stream layer (any of ipc,
 * tcp, tls+tcp, ws and wss with --listen-nng; stream_listener.c). Each
 * accepted connection is an fconn, the same whichever transport carries
 * it. */
#ifndef MGR_MANAGER_NET_LISTENER_H
#define MGR_MANAGER_NET_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "tls_identity.h"
#include "xport.h"

typedef struct listener listener;

typedef struct listen_opts {
	evgroup      *loops;       /* serve the connections (deadlines) */
	size_t        max_message; /* the frame limit */
	tls_identity *tls;         /* for tls+tcp://, wss://; or NULL */
	bool          nng;         /* through nng's stream layer */
	const char   *ws_origins;  /* ws, wss: the Origins allowed ("*": any;
	                            * "": only none), comma-separated */
	/* The limits below are the server's, read as each connection comes
	 * (a reload changes them). */
	const size_t *tls_per_net; /* tls+tcp, wss, https: connections a
	                            * second from one network (twice that
	                            * at once); 0: any */
	web_serve_fn serve;        /* http://, https://: the requests'
	                            * handler (the URL's path is its own) */
	void         *serve_arg;
	const size_t *http_timeout_ms; /* ... each request's deadline */
	const size_t *max_http;        /* ... connections at once */
} listen_opts;

/* Listens on url; on_accept owns each new connection (an http:// or
 * https:// port's are the listener's own, answered by o->serve), with a peer
 * name for logs ("tcp 10.0.0.2:40112", "ipc pid P uid U"). bound gets the URL
 * bound (a port 0 resolved), or on failure why not. MGR_EINVAL (a bad URL,
 * TLS missing), MGR_ECONN (can't bind), MGR_ENOMEM. */
int listener_start(listener **lp, const char *url, const listen_opts *o,
    void (*on_accept)(void *arg, fconn *c, const char *peer), void *arg,
    char *bound, size_t cap);
/* Stops accepting (no on_accept runs after it returns) and frees l. */
void listener_stop(listener *l);
/* The connection of socket fd (owned from here on), on one of loops' loops:
 * TLS in the loop when tls is not NULL, else plain. MGR_ENOMEM. */
struct mbedtls_ssl_config;
int listener_conn_new(fconn **cp, evgroup *loops, int fd,
    const struct mbedtls_ssl_config *tls, size_t max_message);

#endif
