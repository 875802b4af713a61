/* What every engine's connections are made of: the operations behind the
 * fconn_* calls of conn.h, the part of a connection they all share, and
 * the reply backlog all connections of the process count together.
 * Included by the engines (sock_conn.c, stream_conn.c) and conn.c only. */
#ifndef MGR_MANAGER_NET_CONN_ENGINE_H
#define MGR_MANAGER_NET_CONN_ENGINE_H

#include <stdatomic.h>

#include "conn.h"

/* One engine's implementation of conn.h's calls (same contracts). */
typedef struct fconn_ops {
	void (*start)(fconn *c);
	void (*set_rx_timeout)(fconn *c, int ms);
	int (*send_msg)(fconn *c, const ProtobufCMessage *m, size_t *queued);
	void (*close_after_send)(fconn *c);
	void (*set_rx_max)(fconn *c, size_t n);
	bool (*peer_gone)(fconn *c);
	void (*close)(fconn *c);
	void (*free)(fconn *c);
	void (*free_later)(fconn *c);
} fconn_ops;

/* The head of every engine's connection struct. */
struct fconn {
	const fconn_ops *ops;
	fconn_frame_fn   on_frame;
	fconn_closed_fn  on_closed;
	void            *arg;
};

/* Reply bytes queued and not yet written, over every connection of the
 * process, and the bounds on them (fconn_set_reply_limits). */
extern atomic_size_t conn_pending_total;
extern size_t        conn_max_pending_conn;
extern size_t        conn_max_pending_total;

/* The size n of m's frame body; its whole frame's to *queued (when not
 * NULL). MGR_ETOOBIG over max_message. */
int conn_frame_size(
    const ProtobufCMessage *m, size_t max_message, size_t *queued, size_t *n);
/* Whether a connection with unsent bytes of replies queued may not take
 * a frame of body n more (it is then closed: as Redis's output buffer
 * limit, a client that does not read its replies goes); logs it. */
bool conn_reply_over_limit(size_t unsent, size_t n);
/* Packs m (body size n) as a frame at the end of (*buf, *len, *cap),
 * grown as needed, and counts it in conn_pending_total. 0 or
 * MGR_ENOMEM. */
int conn_append_frame(uint8_t **buf, size_t *len, size_t *cap,
    const ProtobufCMessage *m, size_t n);

/* A client that sends requests and does not read its replies: past this
 * much queued, its requests are not read until the replies are written
 * (the socket's buffers then hold its further requests, and TCP or the
 * unix socket make it wait), so it can't make the manager queue without
 * bound. */
#define TX_HIGH (8u << 20)

/* Should c, with mine bytes of replies unwritten, stop being read? Past
 * TX_HIGH, or while all connections together pass their bound. */
static inline bool
conn_over_high(size_t mine)
{
	return mine > TX_HIGH
	    || (mine > 0
	        && atomic_load(&conn_pending_total) > conn_max_pending_total);
}

#endif
