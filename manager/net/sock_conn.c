#include "sock_conn.h"
#include "clock.h"
#include "conn_engine.h"
#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mgr.h"
#include "sock.h"
#include "spin.h"

void
conn_wake(evloop *l)
{
	uint64_t one = 1;
	ssize_t  k   = write(l->wakefd, &one, sizeof(one));
	(void) k; // a full counter already wakes the loop
}

/* ---- deadlines ------------------------------------------------------------
 */

void
conn_untime_locked(sconn *c)
{
	if (!c->timed) {
		return;
	}
	if (c->t_prev != NULL) {
		c->t_prev->t_next = c->t_next;
	} else {
		c->loop->timed = c->t_next;
	}
	if (c->t_next != NULL) {
		c->t_next->t_prev = c->t_prev;
	}
	c->t_prev = c->t_next = NULL;
	c->timed              = false;
}

/* Sets (or clears) c's deadline from now. */
static void
retime(sconn *c)
{
	evloop *l = c->loop;
	pthread_mutex_lock(&l->mtx);
	if (c->rx_timeout <= 0) {
		conn_untime_locked(c);
	} else {
		c->rx_deadline = clock_ms() + c->rx_timeout;
		if (!c->timed) {
			c->timed  = true;
			c->t_prev = NULL;
			c->t_next = l->timed;
			if (l->timed != NULL) {
				l->timed->t_prev = c;
			}
			l->timed = c;
		}
	}
	pthread_mutex_unlock(&l->mtx);
}

static void
sconn_set_rx_timeout(fconn *fc, int ms)
{
	sconn *c = (sconn *) fc;
	pthread_mutex_lock(&c->loop->mtx);
	c->rx_timeout = ms;
	pthread_mutex_unlock(&c->loop->mtx);
	pthread_mutex_lock(&c->mtx);
	bool started = c->started;
	pthread_mutex_unlock(&c->mtx);
	if (started) {
		retime(c); // from on_frame, on the loop thread
	}
}

/* ---- sending --------------------------------------------------------------
 */

static void
set_events_locked(sconn *c, bool out)
{
	c->out_armed = out;
	if (c->started) {
		struct epoll_event ev
		    = { .events = (c->rx_paused ? 0 : EPOLLIN | EPOLLRDHUP)
			          | (out ? EPOLLOUT : 0),
			      .data.ptr = c };
		epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Forgets what c had queued (it won't be written). */
static void
drop_pending_locked(sconn *c)
{
	atomic_fetch_sub(&conn_pending_total, c->txlen - c->txoff);
	c->txlen = c->txoff = 0;
}

static void
fail_locked(sconn *c, int err)
{
	if (!c->closing) {
		c->closing   = true;
		c->close_err = err;
	}
	drop_pending_locked(c);
	shutdown(c->fd, SHUT_RDWR);
}

/* Writes what is queued, as far as the socket takes it now; the rest
 * waits for EPOLLOUT. Never blocks. */
static void
flush_locked(sconn *c)
{
	while (c->txoff < c->txlen) {
		ssize_t k = send(c->fd, c->tx + c->txoff, c->txlen - c->txoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0) {
			c->txoff += (size_t) k;
			atomic_fetch_sub(&conn_pending_total, (size_t) k);
			continue;
		}
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->out_armed) {
				set_events_locked(c, true);
			}
			return;
		}
		fail_locked(c, MGR_ECONN);
		return;
	}
	c->txlen = c->txoff = 0;
	if (c->txcap > RX_SHRINK) {
		free(c->tx);
		c->tx    = NULL;
		c->txcap = 0;
	}
	if (c->out_armed || c->rx_paused) {
		c->rx_paused = false; // all written: read requests again
		set_events_locked(c, false);
	}
	if (c->close_after_tx) {
		fail_locked(c, MGR_ECLOSED);
	}
}

/* Replies a loop thread queues for other connections while it serves a
 * read (a put handing items to parked getters, a release waking a
 * waiter) are written once the read is served, one write per
 * connection, like the replies to the reader itself: 64 pipelined puts
 * feeding a consumer's 64 parked gets cost one write, not 64. */
static _Thread_local bool    defer_active;
static _Thread_local sconn **defer_v;
static _Thread_local size_t  defer_n, defer_cap;

static bool
defer_push(sconn *c)
{
	if (defer_n == defer_cap) {
		size_t  cap = defer_cap ? defer_cap * 2 : 16;
		sconn **nv  = realloc(defer_v, cap * sizeof(*nv));
		if (nv == NULL) {
			return false; // write at once instead
		}
		defer_v   = nv;
		defer_cap = cap;
	}
	defer_v[defer_n++] = c;
	return true;
}

static void unref(sconn *c);

static void
defer_flush(void)
{
	for (size_t i = 0; i < defer_n; i++) {
		sconn *c = defer_v[i];
		pthread_mutex_lock(&c->mtx);
		c->deferred = false;
		if (!c->closing && !c->corked && !c->out_armed) {
			flush_locked(c);
		}
		pthread_mutex_unlock(&c->mtx);
		unref(c);
	}
	defer_n = 0;
}

bool
fconn_defer_begin(void)
{
	bool was     = defer_active;
	defer_active = true;
	return was;
}

void
fconn_defer_thread_done(void)
{
	free(defer_v);
	defer_v   = NULL;
	defer_cap = 0;
}

void
fconn_defer_end(bool was)
{
	if (!was) { // the outermost deferral writes
		defer_active = false;
		defer_flush();
	}
}

static int
sconn_send_msg(fconn *fc, const ProtobufCMessage *m, size_t *queued)
{
	sconn *c = (sconn *) fc;
	size_t n;
	int    rv = conn_frame_size(m, c->max_msg, queued, &n);
	if (rv != 0) {
		return rv;
	}
	pthread_mutex_lock(&c->mtx);
	if (c->closing || c->close_after_tx) {
		pthread_mutex_unlock(&c->mtx);
		return MGR_ECONN;
	}
	if (conn_reply_over_limit(c->txlen - c->txoff, n)) {
		fail_locked(c, MGR_ETOOBIG);
		pthread_mutex_unlock(&c->mtx);
		return MGR_ECONN;
	}
	if (c->txoff > 0 && c->txcap - c->txlen < n + 4) {
		// Written bytes make room before the buffer grows.
		memmove(c->tx, c->tx + c->txoff, c->txlen - c->txoff);
		c->txlen -= c->txoff;
		c->txoff = 0;
	}
	if (conn_append_frame(&c->tx, &c->txlen, &c->txcap, m, n) != 0) {
		pthread_mutex_unlock(&c->mtx);
		return MGR_ENOMEM;
	}
	if (!c->corked && !c->out_armed && !c->deferred) {
		if (defer_active && defer_push(c)) {
			c->deferred = true;
			c->refs++;
		} else {
			flush_locked(c);
		}
	}
	pthread_mutex_unlock(&c->mtx);
	return 0;
}

static void
sconn_set_rx_max(fconn *fc, size_t n)
{
	sconn *c  = (sconn *) fc;
	c->rx_max = n;
}

static bool
sconn_peer_gone(fconn *fc)
{
	sconn *c = (sconn *) fc;
	pthread_mutex_lock(&c->mtx);
	bool closing = c->closing || c->close_after_tx;
	pthread_mutex_unlock(&c->mtx);
	if (closing) {
		return true;
	}
	// The loop may not have seen the hang-up yet (it is busy, or another
	// loop serves the caller): the kernel knows. The socket stays open
	// until the connection's on_closed has run, which needs the lock the
	// caller holds, so fd is still this connection's.
	struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) == 1
	    && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static void
sconn_close_after_send(fconn *fc)
{
	sconn *c = (sconn *) fc;
	pthread_mutex_lock(&c->mtx);
	c->close_after_tx = true;
	if (!c->corked && !c->out_armed) {
		flush_locked(c);
	}
	pthread_mutex_unlock(&c->mtx);
}

static void
sconn_close(fconn *fc)
{
	sconn *c = (sconn *) fc;
	pthread_mutex_lock(&c->mtx);
	fail_locked(c, MGR_ECLOSED);
	pthread_mutex_unlock(&c->mtx);
}

/* ---- life -----------------------------------------------------------------
 */

static void sconn_start(fconn *fc);
static void sconn_free_later(fconn *fc);
static void sconn_free(fconn *fc);

static const fconn_ops sconn_ops = {
	.start            = sconn_start,
	.set_rx_timeout   = sconn_set_rx_timeout,
	.send_msg         = sconn_send_msg,
	.close_after_send = sconn_close_after_send,
	.set_rx_max       = sconn_set_rx_max,
	.peer_gone        = sconn_peer_gone,
	.close            = sconn_close,
	.free             = sconn_free,
	.free_later       = sconn_free_later,
};

int
fconn_new_socket(fconn **cp, evgroup *g, int fd, size_t max_message)
{
	sconn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return MGR_ENOMEM;
	}
	unsigned i  = atomic_fetch_add(&g->next, 1);
	c->loop     = &g->loops[i % (unsigned) g->n];
	c->fd       = fd;
	c->max_msg  = max_message;
	c->rx_max   = max_message;
	c->base.ops = &sconn_ops;
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->refs = 1;
	*cp     = &c->base;
	return 0;
}

static void
destroy(sconn *c)
{
	close(c->fd);
	pthread_mutex_destroy(&c->mtx);
	pthread_cond_destroy(&c->cv);
	free(c->rxbuf);
	free(c->tx);
	free(c);
}

static void
unref(sconn *c)
{
	pthread_mutex_lock(&c->mtx);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&c->mtx);
	if (last) {
		destroy(c);
	}
}

/* The end of c, on its loop thread (or in fconn_start before any loop saw
 * it): out of the loop, reported once, then freed if asked. */
void
conn_end(sconn *c, int err)
{
	pthread_mutex_lock(&c->mtx);
	if (c->closing && c->close_err != 0) {
		err = c->close_err; // a close asked for comes first
	}
	if (!c->closing) {
		c->closing   = true;
		c->close_err = err;
		shutdown(c->fd, SHUT_RDWR);
	}
	drop_pending_locked(c);
	bool started = c->started;
	pthread_mutex_unlock(&c->mtx);
	if (started) {
		epoll_ctl(c->loop->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	}
	pthread_mutex_lock(&c->loop->mtx);
	conn_untime_locked(c);
	pthread_mutex_unlock(&c->loop->mtx);

	c->base.on_closed(c->base.arg, err);

	pthread_mutex_lock(&c->mtx);
	c->done = true;
	bool fl = c->free_later;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	if (fl) {
		unref(c);
	}
}

static void
sconn_start(fconn *fc)
{
	sconn *c = (sconn *) fc;
	// Once in the epoll set, c may end and be freed by its loop at any
	// moment: take what is needed afterwards first.
	evloop *l = c->loop;
	pthread_mutex_lock(&l->mtx);
	bool timed = c->rx_timeout > 0;
	pthread_mutex_unlock(&l->mtx);
	if (timed) {
		retime(c);
	}
	pthread_mutex_lock(&c->mtx);
	bool closing = c->closing;
	if (!closing) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP
			    | (c->out_armed ? EPOLLOUT : 0),
			.data.ptr = c };
		if (epoll_ctl(c->loop->epfd, EPOLL_CTL_ADD, c->fd, &ev)
		    == 0) {
			c->started = true;
		} else {
			fail_locked(c, MGR_ENOMEM);
			closing = true;
		}
	}
	pthread_mutex_unlock(&c->mtx);
	if (closing) {
		conn_end(c, MGR_ECLOSED);
	} else if (timed) {
		conn_wake(l); // to wait no longer than the new deadline
	}
}

static void
sconn_free_later(fconn *fc)
{
	sconn *c = (sconn *) fc;
	pthread_mutex_lock(&c->mtx);
	c->free_later = true;
	pthread_mutex_unlock(&c->mtx);
}

static void
sconn_free(fconn *fc)
{
	sconn *c = (sconn *) fc;
	if (c == NULL) {
		return;
	}
	pthread_mutex_lock(&c->mtx);
	if (c->started) {
		fail_locked(c, MGR_ECLOSED);
		while (!c->done) {
			pthread_cond_wait(&c->cv, &c->mtx);
		}
	}
	pthread_mutex_unlock(&c->mtx);
	unref(c);
}

/* ---- the loop -------------------------------------------------------------
 */

static int
closed_err(sconn *c, int dflt)
{
	pthread_mutex_lock(&c->mtx);
	int e = c->closing && c->close_err ? c->close_err : dflt;
	pthread_mutex_unlock(&c->mtx);
	return e;
}

static bool serve(sconn *c, uint8_t *buf, size_t len, bool own);

/* false when c ended (and may be freed). */
bool
conn_on_writable(sconn *c)
{
	pthread_mutex_lock(&c->mtx);
	bool was_paused = c->rx_paused;
	if (!c->closing) {
		flush_locked(c);
	}
	bool resume = was_paused && !c->rx_paused && !c->closing;
	pthread_mutex_unlock(&c->mtx);
	// Reading was paused with requests read and not served yet: serve
	// them now (the socket may have nothing new to say).
	if (resume && c->rxlen > 0) {
		return serve(c, c->rxbuf, c->rxlen, true);
	}
	return true;
}

static void
uncork(sconn *c)
{
	pthread_mutex_lock(&c->mtx);
	c->corked = false;
	if (!c->closing && !c->out_armed) {
		flush_locked(c);
	}
	pthread_mutex_unlock(&c->mtx);
	defer_active = false;
	defer_flush();
}

/* Each loop thread reads into a buffer of its own; a connection keeps
 * bytes only between reads that split a frame. So an idle connection
 * holds no receive buffer at all, and a read needs no copy. */
#define LOOP_RX (64 * 1024)
static _Thread_local uint8_t *loop_rx;

void
conn_loop_thread_done(void)
{
	free(loop_rx);
	loop_rx = NULL;
}

static bool
over_high(sconn *c)
{
	pthread_mutex_lock(&c->mtx);
	bool over = !c->closing && conn_over_high(c->txlen - c->txoff);
	pthread_mutex_unlock(&c->mtx);
	return over;
}

/* Serves the complete frames in buf[0..len) (own: buf is c->rxbuf) and
 * keeps the rest in c->rxbuf. Stops early, with reading paused, once the
 * replies queued pass TX_HIGH: the frames left wait until they are
 * written (on_writable serves them then). false when c ended (and may
 * be freed). */
static bool
serve(sconn *c, uint8_t *buf, size_t len, bool own)
{
	size_t off  = 0;
	size_t need = 0; /* size of an incomplete frame at off */
	for (;;) {
		// Replies to the frames of this read go out together, in one
		// write once they are all queued (pipelined requests cost one
		// send).
		pthread_mutex_lock(&c->mtx);
		c->corked = true;
		pthread_mutex_unlock(&c->mtx);
		defer_active = true;
		bool full    = false;
		while (len - off >= 4) {
			uint32_t flen = wire_get_len(buf + off);
			if (flen > c->rx_max) {
				uncork(c);
				conn_end(c, MGR_ETOOBIG);
				return false;
			}
			if (len - off - 4 < flen) {
				need = 4 + (size_t) flen;
				break;
			}
			int err = c->base.on_frame(
			    c->base.arg, buf + off + 4, flen);
			if (err != 0) {
				uncork(c);
				conn_end(c, err);
				return false;
			}
			off += 4 + (size_t) flen;
			if ((full = over_high(c))) {
				break;
			}
		}
		uncork(c);
		if (!full) {
			break;
		}
		if (over_high(c)) {
			// Still over once written as far as the socket takes:
			// pause until the reader catches up (on_writable).
			pthread_mutex_lock(&c->mtx);
			c->rx_paused = true;
			set_events_locked(c, c->out_armed);
			pthread_mutex_unlock(&c->mtx);
			break;
		}
		// The socket took enough: serve the rest of the frames.
	}

	// Keep what is left (a split frame, or frames not served yet), in a
	// buffer as big as the frame (or a header's worth when even its
	// length is not in yet).
	size_t left = len - off;
	if (left == 0) {
		if (own) {
			free(c->rxbuf);
			c->rxbuf = NULL;
			c->rxcap = c->rxlen = 0;
		}
		return true;
	}
	size_t want = need > RX_MIN ? need : RX_MIN;
	if (want < left) {
		want = left;
	}
	if (own) {
		memmove(c->rxbuf, c->rxbuf + off, left);
		if (want > c->rxcap) {
			uint8_t *nb = realloc(c->rxbuf, want);
			if (nb == NULL) {
				conn_end(c, MGR_ENOMEM);
				return false;
			}
			c->rxbuf = nb;
			c->rxcap = want;
		}
	} else {
		if ((c->rxbuf = malloc(want)) == NULL) {
			conn_end(c, MGR_ENOMEM);
			return false;
		}
		c->rxcap = want;
		memcpy(c->rxbuf, buf + off, left);
	}
	c->rxlen = left;
	return true;
}

/* Reads once and serves every complete frame read. */
void
conn_on_readable(sconn *c, uint32_t events)
{
	pthread_mutex_lock(&c->mtx);
	bool paused = c->rx_paused;
	pthread_mutex_unlock(&c->mtx);
	if (paused && (events & (EPOLLHUP | EPOLLERR))) {
		// Gone while we waited for it to read: nobody will.
		conn_end(c, closed_err(c, MGR_ECONN));
		return;
	}
	bool     own = c->rxlen > 0; /* bytes wait in c->rxbuf */
	uint8_t *buf;
	size_t   cap, len;
	if (own) {
		buf = c->rxbuf;
		cap = c->rxcap;
		len = c->rxlen;
	} else {
		if (loop_rx == NULL && (loop_rx = malloc(LOOP_RX)) == NULL) {
			conn_end(c, MGR_ENOMEM);
			return;
		}
		buf = loop_rx;
		cap = LOOP_RX;
		len = 0;
	}
	if (len == cap) {
		// Paused with a full buffer of frames (on_writable serves
		// them); an end must still end it, or its event would repeat.
		if (events & (EPOLLHUP | EPOLLERR)) {
			conn_end(c, closed_err(c, MGR_ECONN));
		}
		return;
	}
	ssize_t k;
	for (;;) {
		k = recv(c->fd, buf + len, cap - len, 0);
		if (k > 0) {
			break;
		}
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		}
		conn_end(c, closed_err(c, MGR_ECONN));
		return;
	}
	(void) serve(c, buf, len + (size_t) k, own);
}
