/* The connection interface (conn.h): each call goes to the engine that
 * made the connection (sock_conn.c: the direct epoll engine;
 * stream_conn.c: nng streams), so the sessions above never know which. */
#include "conn_engine.h"

#include <stdlib.h>

#include "log.h"
#include "mgr.h"
#include "wire.h"

atomic_size_t conn_pending_total;
size_t        conn_max_pending_conn  = (size_t) 128 << 20;
size_t        conn_max_pending_total = (size_t) 512 << 20;

void
fconn_set_reply_limits(size_t per_connection, size_t total)
{
	if (per_connection > 0) {
		conn_max_pending_conn = per_connection;
	}
	if (total > 0) {
		conn_max_pending_total = total;
	}
}

size_t
fconn_reply_bytes_pending(void)
{
	return atomic_load(&conn_pending_total);
}

int
conn_frame_size(
    const ProtobufCMessage *m, size_t max_message, size_t *queued, size_t *n)
{
	*n = protobuf_c_message_get_packed_size(m);
	if (queued != NULL) {
		*queued = *n + WIRE_HEADER_LEN;
	}
	return *n > max_message ? MGR_ETOOBIG : 0;
}

bool
conn_reply_over_limit(size_t unsent, size_t n)
{
	if (unsent + n + WIRE_HEADER_LEN <= conn_max_pending_conn) {
		return false;
	}
	log_msg(LOG_WARN,
	    "a client's unread replies would pass %zu bytes "
	    "(--max-pending-per-connection): closing it",
	    conn_max_pending_conn);
	return true;
}

int
conn_append_frame(uint8_t **buf, size_t *len, size_t *cap,
    const ProtobufCMessage *m, size_t n)
{
	size_t need = n + WIRE_HEADER_LEN;
	if (*cap - *len < need) {
		size_t c = *cap ? *cap : 256;
		while (c - *len < need) {
			c *= 2;
		}
		uint8_t *nb = realloc(*buf, c);
		if (nb == NULL) {
			return MGR_ENOMEM;
		}
		*buf = nb;
		*cap = c;
	}
	wire_put_len(*buf + *len, (uint32_t) n);
	protobuf_c_message_pack(m, *buf + *len + WIRE_HEADER_LEN);
	*len += need;
	atomic_fetch_add(&conn_pending_total, need);
	return 0;
}

void
fconn_bind(
    fconn *c, fconn_frame_fn on_frame, fconn_closed_fn on_closed, void *arg)
{
	c->on_frame  = on_frame;
	c->on_closed = on_closed;
	c->arg       = arg;
}

void
fconn_start(fconn *c)
{
	c->ops->start(c);
}

void
fconn_set_rx_timeout(fconn *c, int ms)
{
	c->ops->set_rx_timeout(c, ms);
}

int
fconn_send_msg(fconn *c, const ProtobufCMessage *m, size_t *queued)
{
	return c->ops->send_msg(c, m, queued);
}

void
fconn_close_after_send(fconn *c)
{
	c->ops->close_after_send(c);
}

void
fconn_set_rx_max(fconn *c, size_t n)
{
	c->ops->set_rx_max(c, n);
}

bool
fconn_peer_gone(fconn *c)
{
	return c->ops->peer_gone(c);
}

void
fconn_close(fconn *c)
{
	c->ops->close(c);
}

void
fconn_free(fconn *c)
{
	if (c != NULL) {
		c->ops->free(c);
	}
}

void
fconn_free_later(fconn *c)
{
	c->ops->free_later(c);
}
