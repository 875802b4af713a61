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
