/* The byte transports under the connection layer (conn.c), as Redis keeps
 * its ConnectionType under networking.c: a transport moves bytes and says
 * when it can move more; framing, buffers, backpressure, limits,
 * deadlines and the rule for writing replies are the connection layer's,
 * once for all of them.
 *
 * Three transports: a plain socket (xport_sock.c) and TLS by mbedTLS on a
 * socket (xport_tls.c), both served by the epoll loops (loop.h); and an
 * nng stream (xport_nng.c: ws://, wss:// and --listen-nng), served by
 * nng's callbacks.
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
	/* The transport's scheme, for logs ("tcp", "tls+tcp", "ws"). */
	const char *scheme;
} xport_ops;

struct xport {
	const xport_ops *ops;
	fconn           *conn; /* set by the connection layer */
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

/* ---- the transports -----------------------------------------------------
 */

/* A plain socket (owned from here on: closed by free) served by loop l. */
int xport_sock_new(xport **tp, evloop *l, int fd);
/* TLS by mbedTLS over socket fd (owned) served by loop l, the handshake
 * run by the first reads; cfg is the server's (tls_identity.h). */
struct mbedtls_ssl_config;
int xport_tls_new(
    xport **tp, evloop *l, int fd, const struct mbedtls_ssl_config *cfg);
/* An accepted nng stream (owned); ipc_path: an ipc listener's socket
 * path, else NULL; websocket: each frame goes out as one message. */
typedef struct nng_stream nng_stream;
int                       xport_nng_new(
                          xport **tp, nng_stream *st, const char *ipc_path, bool websocket);

#endif
