/* The byte transports under the connection layer (conn.c), as Redis keeps
 * its ConnectionType under networking.c: a transport moves bytes and says
 * when it can move more; framing, buffers, backpressure, limits,
 * deadlines and the rule for writing replies are the connection layer's,
 * once for all of them.
 *
 * The transports: a plain socket (xport_sock.c) and TLS by mbedTLS on a
 * socket (xport_tls.c), both served by the epoll loops (loop.h); a web
 * port's HTTP and WebSocket over either (xport_web.c, xport_ws.c: ws://,
 * wss://, and --http and --metrics, whose requests it answers itself);
 * and an nng stream (xport_nng.c: --listen-nng), served by nng's
 * callbacks.
 *
 * Threads: the receive side (read, more) runs on one thread at a time,
 * the one that was told XPORT_RD (a loop's, or nng's receive callback).
 * The send side (write, interest) runs under the connection's mutex, on
 * any thread. shutdown and peer_gone may run on any thread, at once. */
#ifndef MGR_MANAGER_NET_XPORT_H
#define MGR_MANAGER_NET_XPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"

typedef struct fconn fconn;
typedef struct xport xport;

/* What read and write return besides a count. */
#define XPORT_AGAIN  (-1) /* nothing now; conn_ready follows when there is */
#define XPORT_CLOSED (-2) /* the peer closed, or the transport failed */

/* What conn_ready is told. */
enum {
	XPORT_RD  = 1, /* read may give bytes (or XPORT_CLOSED) */
	XPORT_WR  = 2, /* write may take bytes */
	XPORT_HUP = 4, /* the peer hung up (with XPORT_RD) */
};

typedef struct xport_ops {
	/* Reads up to cap bytes: a count > 0, XPORT_AGAIN or
	 * XPORT_CLOSED. */
	ssize_t (*read)(xport *t, uint8_t *buf, size_t cap);
	/* Whether bytes wait inside the transport (a TLS record decrypted,
	 * a message received): read again before waiting for an event. */
	bool (*more)(xport *t);
	/* Takes up to n bytes: how many (> 0), XPORT_AGAIN or
	 * XPORT_CLOSED. A transport may insist on the same n after
	 * XPORT_AGAIN (TLS): the connection offers the same bytes again. */
	ssize_t (*write)(xport *t, const uint8_t *buf, size_t n);
	/* What the connection waits for: XPORT_RD events while rd, XPORT_WR
	 * ones while wr. */
	void (*interest)(xport *t, bool rd, bool wr);
	/* An XPORT_RD soon, on the receive side, whether or not bytes come
	 * (frames already read wait to be served). */
	void (*kick)(xport *t);
	/* True when the peer hung up, even if no event said so yet: the
	 * one system call allowed under the server lock (a poll that does
	 * not wait). */
	bool (*peer_gone)(xport *t);
	/* No more I/O: a read gives XPORT_CLOSED from now on. Idempotent;
	 * any thread. */
	void (*shutdown)(xport *t);
	/* On the receive side, after shutdown: no event follows once
	 * conn_quiet(c) has been called, which the transport does (at once,
	 * or from its last callback). */
	void (*detach)(xport *t);
	/* Frees t (closes what is under it). Not before conn_quiet. */
	void (*free)(xport *t);
	/* A transport over another (WebSocket over a socket or TLS): the
	 * inner one's events, given to it first (xport_ready). NULL for
	 * the others. */
	void (*ready)(xport *t, unsigned what);
	/* The transport's scheme, for logs ("tcp", "tls+tcp", "ws"). */
	const char *scheme;
} xport_ops;

struct xport {
	const xport_ops *ops;
	fconn           *conn; /* set by the connection layer, down the
	                        * chain of inner transports */
	xport *inner;          /* the transport this one is over, or NULL */
	xport *outer;          /* the one over this one, or NULL */
};

/* ---- the connection layer's side (conn.c) -------------------------------
 */

/* Told by the transport: XPORT_RD on the receive side (one thread at a
 * time); XPORT_WR on any thread. */
void conn_ready(fconn *c, unsigned what);
/* The transport is detached: no callback of it runs any more. */
void conn_quiet(fconn *c);
/* Reference counting of the connection, for a transport that hands it to
 * another thread (a loop kick). */
void conn_hold(fconn *c);
void conn_release(fconn *c);

/* What a transport's events go to: the transport over it, if any, else
 * the connection. */
static inline void
xport_ready(xport *t, unsigned what)
{
	if (t->outer != NULL) {
		t->outer->ops->ready(t->outer, what);
	} else {
		conn_ready(t->conn, what);
	}
}

/* ---- the transports -----------------------------------------------------
 */

/* A plain socket (owned from here on: closed by free) served by loop l. */
int xport_sock_new(xport **tp, evloop *l, int fd);
/* TLS by mbedTLS over socket fd (owned) served by loop l, the handshake
 * run by the first reads; cfg is the server's (tls_identity.h). */
struct mbedtls_ssl_config;
int xport_tls_new(
    xport **tp, evloop *l, int fd, const struct mbedtls_ssl_config *cfg);
/* ---- the web ports (xport_web.c) ----------------------------------------
 */

/* An HTTP request, for a port's handler (valid during the call). */
typedef struct web_request {
	const char *method; /* "GET", "POST" */
	const char *path;   /* "/api/objects" (%-escapes as sent) */
	const char *query;  /* what followed '?', or "" */
	const char *head;   /* the whole head, for web_header */
} web_request;

/* The value of header name (case ignored) in rq, *len its length; NULL
 * when it has none. Points into rq->head. */
const char *web_header(const web_request *rq, const char *name, size_t *len);

/* A handler's answer: status, Content-Type (or NULL), more header lines
 * (each ending CRLF; or NULL) and a body of len bytes, copied; freed
 * after when free_body. */
typedef struct web_reply {
	int         status;
	const char *ctype;
	const char *headers;
	const void *body;
	size_t      len;
	bool        free_body;
} web_reply;

/* Answers rq into *out; on the loop's thread that read it. */
typedef void (*web_serve_fn)(
    void *arg, const web_request *rq, web_reply *out);

typedef struct web_opts {
	bool         secure; /* over TLS (wss, https: for logs) */
	web_serve_fn serve;  /* HTTP requests' handler; NULL: WebSocket */
	void        *serve_arg;
	const char  *ws_path; /* WebSocket: the upgrade's path */
	const char  *origins; /* WebSocket: the Origins allowed, as ",a,b,"
	                       * (",*,": any) */
	/* HTTP: each request's time, from the last answer (the
	 * connection's deadline; the server's limit, read each time). */
	const size_t *timeout_ms;
} web_opts;

/* A web port's connection over inner (owned from here on: a plain
 * socket's or TLS's). With a handler (o->serve), each HTTP/1.1 request
 * is answered by it, kept alive or not as the client asks; without, the
 * upgrade request for o->ws_path is read first (anything else refused
 * with its HTTP status) and then binary WebSocket messages carry the
 * connection's bytes both ways. o's strings are borrowed (the listener's,
 * which outlives its connections); peer names it in logs. MGR_ENOMEM
 * (inner freed). */
int xport_web_new(
    xport **tp, xport *inner, const web_opts *o, const char *peer);
/* Whether origin[0..n) is one of origins (",a,b,"; ",*,": any), case
 * ignored: a browser's upgrade from a page --ws-origin allows. */
bool ws_origin_allowed(const char *origins, const char *origin, size_t n);
/* An accepted nng stream (owned); ipc_path: an ipc listener's socket
 * path, else NULL; websocket: each frame goes out as one message. */
typedef struct nng_stream nng_stream;
int                       xport_nng_new(
                          xport **tp, nng_stream *st, const char *ipc_path, bool websocket);

#endif
