/* The nng stream transport (ws://, wss://, and any scheme through
 * --listen-nng): bytes read and written through nng aios, completed on
 * nng's task threads.
 *
 * One receive and one send are in flight at most. A receive fills the
 * transport's own buffer, which read then gives out; a write hands its
 * bytes to a send (copied: the connection's buffer moves on) and is told
 * XPORT_AGAIN while one is in flight, XPORT_WR when it is done. Over
 * WebSocket each send holds bytes of one frame only, so a message never
 * carries parts of two frames.
 *
 * The end: shutdown closes the stream, which fails the aios in flight;
 * once detached and no aio is in flight or in its callback, conn_quiet
 * runs on a thread of its own (a zero sleep on end_aio), never inside a
 * call that may hold the caller's locks. Receives are posted only under
 * the mutex and never once closed (nng 1.5.2's TLS stream never completes
 * a receive posted after its close). Callbacks never block: they take
 * this transport's mutex, and call the connection without it.
 *
 * nng's WebSocket (1.5.2, and to this day) fails the receives queued when
 * the peer's close frame or hang-up arrives, and queues one posted after
 * that forever: a close that arrives while no receive is queued (between
 * one completing and the next, or while the connection pauses) is lost.
 * Once closed, the stream answers any option read with NNG_ECLOSED, under
 * the lock its receives are queued under: so each receive posted is
 * followed by such a read, and either the receive or the read sees the
 * close. */
#include <nng/nng.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mgr.h"
#include "nng_socket.h"
#include "wire.h"
#include "xport.h"

#define RX_CHUNK (64 * 1024)  /* a receive's buffer */
#define TX_CHUNK (256 * 1024) /* the most a send copies */

typedef struct nng_xport {
	xport       base; /* first */
	nng_stream *st;
	int         fd; /* the kernel socket under st, or -1 */
	nng_aio    *rx_aio, *tx_aio, *end_aio;
	bool        ws; /* one frame per message */

	pthread_mutex_t mtx; /* everything below */
	uint8_t        *rxb; /* received, not read yet: rxb[rxoff..rxlen) */
	size_t          rxoff, rxlen;
	uint8_t        *txb; /* being sent: txb[txoff..txlen) */
	size_t          txcap, txoff, txlen;
	size_t          frame_left;       /* ws: bytes left of the frame */
	bool            rx_busy, tx_busy; /* an aio in flight */
	bool            rx_cb, tx_cb;     /* a callback calling conn */
	bool            rx_want;          /* the connection reads */
	bool            rx_failed;        /* the last receive failed */
	bool            rx_kicked;        /* its cancel is a kick */
	bool            rx_orphaned;  /* ws: posted after the stream's end */
	bool            kick_pending; /* a kick during rx_cb */
	bool            closed; /* no more I/O (a send failed, or shut) */
	bool            stream_closed; /* nng_stream_close called */
	bool            detaching, end_posted;
} nng_xport;

/* The transport whose callback the calling thread runs: its free, from
 * there, must not wait for the callback (it reaps instead). */
static _Thread_local nng_xport *in_callback;

/* Schedules conn_quiet once nothing of the transport runs. mtx held. */
static void
maybe_end_locked(nng_xport *s)
{
	if (s->detaching && !s->end_posted && !s->rx_busy && !s->tx_busy
	    && !s->rx_cb && !s->tx_cb) {
		s->end_posted = true;
		nng_sleep_aio(0, s->end_aio);
	}
}

static void
post_recv_locked(nng_xport *s)
{
	if (s->rx_busy || s->closed || s->rx_failed || s->rxoff < s->rxlen) {
		return;
	}
	if (s->rxb == NULL && (s->rxb = malloc(RX_CHUNK)) == NULL) {
		s->rx_failed = true;
		return;
	}
	s->rxoff = s->rxlen = 0;
	nng_iov iov         = { .iov_buf = s->rxb, .iov_len = RX_CHUNK };
	nng_aio_set_iov(s->rx_aio, 1, &iov);
	s->rx_busy = true;
	nng_stream_recv(s->st, s->rx_aio);
	bool probe;
	if (s->ws
	    && nng_stream_get_bool(s->st, "mgr:closed?", &probe)
	        == NNG_ECLOSED) {
		// Never to complete by itself: it fails now, as a hang-up.
		s->rx_orphaned = true;
		nng_aio_cancel(s->rx_aio);
	}
}

/* The receive side runs soon on an nng thread: a zero sleep on the idle
 * receive aio completes with no bytes. mtx held. */
static void
kick_locked(nng_xport *s)
{
	if (s->rx_cb) {
		s->kick_pending = true; // once the receive side is out
		return;
	}
	if (s->rx_busy) {
		// A receive waits for bytes that may never come: cancelled,
		// it completes now, as the kick.
		s->rx_kicked = true;
		nng_aio_cancel(s->rx_aio);
		return;
	}
	s->rx_busy = true;
	nng_aio_set_iov(s->rx_aio, 0, NULL);
	nng_sleep_aio(0, s->rx_aio);
}

static void
rx_done(void *arg)
{
	nng_xport *s  = arg;
	int        rv = nng_aio_result(s->rx_aio);
	pthread_mutex_lock(&s->mtx);
	s->rx_busy = false;
	if (rv == NNG_ECANCELED && s->rx_kicked && !s->closed
	    && !s->rx_orphaned) {
		rv = 0;
	}
	s->rx_kicked   = false;
	s->rx_orphaned = false;
	if (rv != 0) {
		s->rx_failed = true;
	} else {
		s->rxlen += nng_aio_count(s->rx_aio); // 0 after a kick
	}
	bool tell = !s->detaching;
	s->rx_cb  = tell;
	pthread_mutex_unlock(&s->mtx);
	if (tell) {
		in_callback = s;
		conn_ready(
		    s->base.conn, XPORT_RD | (rv != 0 ? XPORT_HUP : 0));
		in_callback = NULL;
	}
	pthread_mutex_lock(&s->mtx);
	s->rx_cb = false;
	if (s->kick_pending && !s->detaching) {
		s->kick_pending = false;
		kick_locked(s);
	} else if (s->rx_want && !s->detaching) {
		post_recv_locked(s); // while the connection reads, one waits
	}
	maybe_end_locked(s);
	pthread_mutex_unlock(&s->mtx);
}

static void
send_locked(nng_xport *s)
{
	nng_iov iov = { .iov_buf = s->txb + s->txoff,
		.iov_len         = s->txlen - s->txoff };
	nng_aio_set_iov(s->tx_aio, 1, &iov);
	s->tx_busy = true;
	nng_stream_send(s->st, s->tx_aio);
}

static void
tx_done(void *arg)
{
	nng_xport *s  = arg;
	int        rv = nng_aio_result(s->tx_aio);
	pthread_mutex_lock(&s->mtx);
	s->tx_busy = false;
	if (rv != 0) {
		// The receive side tells the connection now: it may read
		// nothing more (paused, or a peer that vanished) and would
		// never learn otherwise.
		s->closed = true;
		kick_locked(s);
	} else {
		s->txoff += nng_aio_count(s->tx_aio);
		if (s->txoff < s->txlen && !s->closed) {
			send_locked(s); // the rest (a partial send)
			pthread_mutex_unlock(&s->mtx);
			return;
		}
	}
	bool tell = !s->detaching;
	s->tx_cb  = tell;
	pthread_mutex_unlock(&s->mtx);
	if (tell) {
		in_callback = s;
		conn_ready(s->base.conn, XPORT_WR);
		in_callback = NULL;
	}
	pthread_mutex_lock(&s->mtx);
	s->tx_cb = false;
	maybe_end_locked(s);
	pthread_mutex_unlock(&s->mtx);
}

static void
end_done(void *arg)
{
	nng_xport *s = arg;
	// The receive and send callbacks may still be leaving (they posted
	// this end, then unlock the mutex): wait until they are out, so
	// that freeing s can't pull the mutex from under them.
	nng_aio_stop(s->rx_aio);
	nng_aio_stop(s->tx_aio);
	in_callback = s;
	conn_quiet(s->base.conn); // may free s
	in_callback = NULL;
}

/* ---- the transport ------------------------------------------------------
 */

static ssize_t
nx_read(xport *t, uint8_t *buf, size_t cap)
{
	nng_xport *s = (nng_xport *) t;
	ssize_t    k;
	pthread_mutex_lock(&s->mtx);
	if (s->closed) {
		k = XPORT_CLOSED;
	} else if (s->rxoff < s->rxlen) {
		size_t n
		    = s->rxlen - s->rxoff < cap ? s->rxlen - s->rxoff : cap;
		memcpy(buf, s->rxb + s->rxoff, n);
		s->rxoff += n;
		k = (ssize_t) n;
	} else if (s->rx_failed) {
		k = XPORT_CLOSED;
	} else {
		if (s->rx_want) {
			post_recv_locked(s);
		}
		k = XPORT_AGAIN;
	}
	pthread_mutex_unlock(&s->mtx);
	return k;
}

static bool
nx_more(xport *t)
{
	nng_xport *s = (nng_xport *) t;
	pthread_mutex_lock(&s->mtx);
	bool more = s->rxoff < s->rxlen && !s->closed;
	pthread_mutex_unlock(&s->mtx);
	return more;
}

static ssize_t
nx_write(xport *t, const uint8_t *buf, size_t n)
{
	nng_xport *s = (nng_xport *) t;
	ssize_t    k;
	pthread_mutex_lock(&s->mtx);
	if (s->closed) {
		k = XPORT_CLOSED;
	} else if (s->tx_busy) {
		k = XPORT_AGAIN; // tx_done tells XPORT_WR
	} else {
		size_t take = n < TX_CHUNK ? n : TX_CHUNK;
		if (s->ws) {
			// The connection's buffer starts at a frame, or
			// within the one sent last.
			if (s->frame_left == 0) {
				s->frame_left = WIRE_HEADER_LEN
				    + (size_t) wire_get_len(buf);
			}
			if (take > s->frame_left) {
				take = s->frame_left;
			}
			s->frame_left -= take;
		}
		if (take > s->txcap) {
			uint8_t *nb = realloc(s->txb, take);
			if (nb == NULL) {
				pthread_mutex_unlock(&s->mtx);
				return XPORT_AGAIN; // a send frees memory
			}
			s->txb   = nb;
			s->txcap = take;
		}
		memcpy(s->txb, buf, take);
		s->txoff = 0;
		s->txlen = take;
		send_locked(s);
		k = (ssize_t) take;
	}
	pthread_mutex_unlock(&s->mtx);
	return k;
}

static void
nx_interest(xport *t, bool rd, bool wr)
{
	(void) wr; // a send in flight always tells when it is done
	nng_xport *s = (nng_xport *) t;
	pthread_mutex_lock(&s->mtx);
	if (rd && !s->rx_want) {
		// Reading (again): the receive side runs, serves what it has
		// and posts a receive.
		kick_locked(s);
	}
	s->rx_want = rd;
	pthread_mutex_unlock(&s->mtx);
}

static void
nx_kick(xport *t)
{
	nng_xport *s = (nng_xport *) t;
	pthread_mutex_lock(&s->mtx);
	kick_locked(s);
	pthread_mutex_unlock(&s->mtx);
}

static bool
nx_peer_gone(xport *t)
{
	nng_xport *s = (nng_xport *) t;
	pthread_mutex_lock(&s->mtx);
	bool gone = s->closed || s->rx_failed;
	if (!gone && s->fd >= 0) {
		// nng may not have seen the hang-up yet: the kernel knows.
		// Until closed is set, nng has not closed the stream, so fd
		// is still this stream's.
		struct pollfd p = { .fd = s->fd, .events = POLLRDHUP };
		gone            = poll(&p, 1, 0) == 1
		    && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
	}
	pthread_mutex_unlock(&s->mtx);
	return gone;
}

static void
nx_shutdown(xport *t)
{
	nng_xport *s = (nng_xport *) t;
	pthread_mutex_lock(&s->mtx);
	if (!s->stream_closed) {
		s->closed        = true;
		s->stream_closed = true;
		// Its descriptor is nng's to close from now on (and may be
		// another connection's soon): not ours to poll or claim.
		if (s->fd >= 0) {
			nng_socket_release(s->fd);
			s->fd = -1;
		}
		// Completions are dispatched to nng's threads, never run
		// inside this call: safe under the mutex.
		nng_stream_close(s->st);
		kick_locked(s); // the receive side sees the end
	}
	pthread_mutex_unlock(&s->mtx);
}

static void
nx_detach(xport *t)
{
	nng_xport *s = (nng_xport *) t;
	pthread_mutex_lock(&s->mtx);
	s->detaching = true;
	maybe_end_locked(s);
	pthread_mutex_unlock(&s->mtx);
}

static void
nx_free(xport *t)
{
	nng_xport *s = (nng_xport *) t;
	if (s->fd >= 0) {
		nng_socket_release(s->fd);
	}
	if (in_callback == s) {
		// From its own callback: nng frees the aios once the
		// callbacks have returned.
		nng_aio_reap(s->rx_aio);
		nng_aio_reap(s->tx_aio);
		nng_aio_reap(s->end_aio);
	} else {
		nng_aio_free(s->rx_aio);
		nng_aio_free(s->tx_aio);
		nng_aio_free(s->end_aio);
	}
	nng_stream_free(s->st);
	pthread_mutex_destroy(&s->mtx);
	free(s->rxb);
	free(s->txb);
	free(s);
}

static const xport_ops nng_ops = {
	.read      = nx_read,
	.more      = nx_more,
	.write     = nx_write,
	.interest  = nx_interest,
	.kick      = nx_kick,
	.peer_gone = nx_peer_gone,
	.shutdown  = nx_shutdown,
	.detach    = nx_detach,
	.free      = nx_free,
	.scheme    = "nng",
};

int
xport_nng_new(
    xport **tp, nng_stream *st, const char *ipc_path, bool websocket)
{
	nng_xport *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		nng_stream_free(st);
		return MGR_ENOMEM;
	}
	s->base.ops = &nng_ops;
	s->st       = st;
	s->fd       = -1;
	s->ws       = websocket;
	pthread_mutex_init(&s->mtx, NULL);
	if (nng_aio_alloc(&s->rx_aio, rx_done, s) != 0
	    || nng_aio_alloc(&s->tx_aio, tx_done, s) != 0
	    || nng_aio_alloc(&s->end_aio, end_done, s) != 0) {
		nx_free(&s->base); // nng_aio_free(NULL) is a no-op
		return MGR_ENOMEM;
	}
	s->fd = nng_socket_find(st, ipc_path);
	*tp   = &s->base;
	return 0;
}
