/* The connection layer (conn.h) over the byte transports (xport.h). */
#include "conn.h"
#include "conn_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "mgr.h"
#include "syscall_guard.h"
#include "wire.h"
#include "xport.h"

#define RX_MIN    4096       /* smallest buffer kept for a split frame */
#define RX_SHRINK (1 << 20)  /* above this, give memory back when idle */
#define TX_KEEP   (64 << 10) /* a block kept for the next replies */
/* A client that sends requests and does not read its replies: past this
 * much queued, its requests are not read until the replies are written
 * (the socket's buffers then hold its further requests, and TCP or the
 * unix socket make it wait), so it can't make the manager queue without
 * bound. */
#define TX_HIGH (8u << 20)

static atomic_size_t pending_total;

/* Set at start and by a reload (SIGHUP), read by the loops: atomic. */
static atomic_size_t max_pending_conn  = (size_t) 128 << 20;
static atomic_size_t max_pending_total = (size_t) 512 << 20;

void
fconn_set_reply_limits(size_t per_connection, size_t total)
{
	if (per_connection > 0) {
		atomic_store_explicit(
		    &max_pending_conn, per_connection, memory_order_relaxed);
	}
	if (total > 0) {
		atomic_store_explicit(
		    &max_pending_total, total, memory_order_relaxed);
	}
}

size_t
fconn_reply_bytes_pending(void)
{
	return atomic_load(&pending_total);
}

/* Should a connection with mine bytes of replies unwritten stop being
 * read? Past TX_HIGH, or while all connections together pass their
 * bound. */
static bool
over_high(size_t mine)
{
	return mine > TX_HIGH
	    || (mine > 0
	        && atomic_load(&pending_total) > atomic_load_explicit(
	               &max_pending_total, memory_order_relaxed));
}

/* ---- life ---------------------------------------------------------------
 */

/* Lock-free: a kick takes a reference under the connection's mutex. */
void
conn_hold(fconn *c)
{
	atomic_fetch_add(&c->refs, 1);
}

static void
destroy(fconn *c)
{
	c->t->ops->free(c->t);
	pthread_mutex_destroy(&c->mtx);
	pthread_cond_destroy(&c->cv);
	free(c->rxbuf);
	tx_free(&c->tx);
	free(c);
}

void
conn_release(fconn *c)
{
	if (atomic_fetch_sub(&c->refs, 1) == 1) {
		destroy(c);
	}
}

static void on_timer(loop_timer *t);

int
fconn_new(fconn **cp, struct xport *t, evloop *l, size_t max_message)
{
	fconn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		t->ops->free(t);
		return MGR_ENOMEM;
	}
	c->t = t;
	for (struct xport *x = t; x != NULL; x = x->inner) {
		x->conn = c; // a WebSocket's socket reports to c too
	}
	c->loop       = l;
	c->timer.fire = on_timer;
	c->max_msg    = max_message;
	c->rx_max     = max_message;
	c->refs       = 1;
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cv, NULL);
	*cp = c;
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

const char *
fconn_scheme(const fconn *c)
{
	return c->t->ops->scheme;
}

/* ---- the thread's flush list: the reply rule ----------------------------
 */

static _Thread_local fconn *flush_head;
static _Thread_local int    serving;

bool
fconn_serving(void)
{
	return serving > 0;
}

/* ---- the write gate -------------------------------------------------- */

/* With a gate, the replies of every connection one loop wait brought go
 * out together, behind one pass of it (one write of the log for them
 * all: Redis's one write per event loop pass). */
static void
batch_hook(bool begin)
{
	if (begin) {
		serving++;
	} else if (--serving == 0) {
		fconn_flush_queued();
	}
}

void
fconn_set_write_gate(uint64_t (*gate)(void))
{
	conn_gate_set(gate);
	loop_set_batch_hook(gate != NULL ? batch_hook : NULL);
}

static void flush_locked(fconn *c);
static void fail_locked(fconn *c, int err);
static void shut_locked(fconn *c);

/* Writes what the gate let go (closes what it never will: failed), each
 * connection's held-list reference dropped after. */
static void
let_go(uint64_t pos, bool failed)
{
	fconn *c = conn_gate_let_go(pos, failed);
	while (c != NULL) {
		fconn *next = c->gate_next;
		pthread_mutex_lock(&c->mtx);
		if (failed || c->closing) {
			fail_locked(c, failed ? MGR_ECONN : MGR_ECLOSED);
			shut_locked(c);
		} else if (!c->wr_wait) {
			flush_locked(c);
		}
		pthread_mutex_unlock(&c->mtx);
		conn_release(c);
		c = next;
	}
}

void
fconn_gate_passed(uint64_t pos)
{
	let_go(pos, false);
}

void
fconn_gate_failed(void)
{
	let_go(0, true);
}

/* c has something to write or to shut: the calling thread does it when
 * the rule allows. c->mtx held. */
static void
enqueue_locked(fconn *c)
{
	if (!c->queued) {
		c->queued = true;
		atomic_fetch_add(&c->refs, 1);
		c->flush_next = flush_head;
		flush_head    = c;
	}
}

/* What the transport waits for, from c's state. c->mtx held. */
static void
set_interest_locked(fconn *c)
{
	if (c->started && !c->shut) {
		c->t->ops->interest(
		    c->t, !c->rx_paused && !c->closing, c->wr_wait);
	}
}

static void
drop_pending_locked(fconn *c)
{
	atomic_fetch_sub(&pending_total, c->tx.len - c->tx.off);
	c->tx_base += tx_clear(&c->tx, TX_KEEP);
}

/* c goes (the first reason wins): nothing more is sent; the transport is
 * shut down by whoever may make a system call. c->mtx held. */
static void
fail_locked(fconn *c, int err)
{
	if (!c->closing) {
		c->closing   = true;
		c->close_err = err;
	}
	drop_pending_locked(c);
}

/* Shuts the transport down once; not under the server lock. c->mtx
 * held. */
static void
shut_locked(fconn *c)
{
	if (!c->shut) {
		c->shut = true;
		syscall_guard_check("shutdown");
		c->t->ops->shutdown(c->t);
	}
}

/* Writes what is queued as far as the transport takes it now; the rest
 * waits for XPORT_WR. Never under the server lock; c->mtx held. */
static void
flush_locked(fconn *c)
{
	size_t end = conn_gate_end_locked(c); // what the gate let through
	while (c->tx.off < end) {
		size_t         n;
		const uint8_t *at = tx_next(&c->tx, end, &n);
		syscall_guard_check("send");
		ssize_t k = c->t->ops->write(c->t, at, n);
		if (k > 0) {
			atomic_fetch_sub(&pending_total, (size_t) k);
			size_t gone = tx_written(&c->tx, (size_t) k);
			c->tx_base += gone;
			end -= gone;
			continue;
		}
		if (k == XPORT_AGAIN && c->close_after_try) {
			fail_locked(c, MGR_ECLOSED);
			shut_locked(c);
			return;
		}
		if (k == XPORT_AGAIN) {
			if (!c->wr_wait) {
				c->wr_wait = true;
				set_interest_locked(c);
			}
			return;
		}
		fail_locked(c, MGR_ECONN);
		shut_locked(c);
		return;
	}
	if (c->tx.off < c->tx.len) {
		return; // the rest is held by the gate: written when it
		        // passes
	}
	c->tx_base += tx_clear(&c->tx, TX_KEEP);
	bool resume = c->rx_paused;
	if (c->wr_wait || resume) {
		c->wr_wait   = false;
		c->rx_paused = false; // all written: read requests again
		set_interest_locked(c);
	}
	if (resume) {
		// Frames read before the pause wait in rxbuf: served on the
		// receive side, whether or not more bytes come.
		c->t->ops->kick(c->t);
	}
	if (c->close_after_tx) {
		fail_locked(c, MGR_ECLOSED);
		shut_locked(c);
	}
}

void
fconn_flush_queued(void)
{
	if (flush_head != NULL && conn_gated()) {
		// What each connection holds as the gate is asked: what its
		// answer covers (bytes queued after wait for their own
		// thread's pass).
		for (fconn *x = flush_head; x != NULL; x = x->flush_next) {
			pthread_mutex_lock(&x->mtx);
			x->gate_snap = conn_gate_snapshot_locked(x);
			pthread_mutex_unlock(&x->mtx);
		}
	}
	uint64_t gate
	    = flush_head != NULL ? conn_gate_pass() : FCONN_GATE_OPEN;
	fconn *c   = flush_head;
	flush_head = NULL;
	while (c != NULL) {
		fconn *next = c->flush_next;
		pthread_mutex_lock(&c->mtx);
		c->queued     = false;
		c->flush_next = NULL;
		if (gate == FCONN_GATE_SHUT || c->closing
		    || (c->close_after_try && c->wr_wait)) {
			fail_locked(c, MGR_ECLOSED);
			shut_locked(c);
		} else {
			conn_gate_locked(c, gate, c->gate_snap);
			if (!c->wr_wait) {
				flush_locked(c);
			}
		}
		pthread_mutex_unlock(&c->mtx);
		conn_release(c);
		c = next;
	}
}

/* After queuing: written now unless the rule says later. */
static void
flush_if_free(void)
{
	if (!syscall_guard_held() && serving == 0) {
		fconn_flush_queued();
	}
}

/* ---- sending ------------------------------------------------------------
 */

/* Whether need more bytes may be queued on c: not when closing, nor over
 * the limit (c then goes). *err says why not. c->mtx held. */
static bool
admit_locked(fconn *c, size_t need, int *err)
{
	if (c->closing || c->close_after_tx) {
		*err = MGR_ECONN;
		return false;
	}
	size_t max
	    = atomic_load_explicit(&max_pending_conn, memory_order_relaxed);
	if (c->tx.len - c->tx.off + need > max) {
		// As Redis's output buffer limit: a client that does not read
		// its replies goes.
		log_msg(LOG_WARN,
		    "a client's unread replies would pass %zu bytes "
		    "(--max-pending-per-connection): closing it",
		    max);
		fail_locked(c, MGR_ETOOBIG);
		enqueue_locked(c);
		*err = MGR_ECONN;
		return false;
	}
	return true;
}

/* Room for need bytes at the end of c's send buffer, or NULL (*err: not
 * admitted, or out of memory). c->mtx held. */
static uint8_t *
reserve_locked(fconn *c, size_t need, int *err)
{
	uint8_t *at = NULL;
	if (admit_locked(c, need, err)
	    && (at = tx_reserve(&c->tx, need)) == NULL) {
		*err = MGR_ENOMEM;
	} else if (at != NULL) {
		atomic_fetch_add(&pending_total, need);
		enqueue_locked(c);
	}
	return at;
}

/* Queues m as a frame: packed in one piece, or with pin, piece by piece
 * (tx_pack). */
static int
send_msg(
    fconn *c, const ProtobufCMessage *m, size_t *queued, fconn_pin_fn pin)
{
	size_t n    = protobuf_c_message_get_packed_size(m);
	size_t need = n + WIRE_HEADER_LEN;
	if (queued != NULL) {
		*queued = need;
	}
	if (n > c->max_msg) {
		return MGR_ETOOBIG;
	}
	int err = 0;
	pthread_mutex_lock(&c->mtx);
	if (pin == NULL) {
		uint8_t *at = reserve_locked(c, need, &err);
		if (at != NULL) {
			wire_put_len(at, (uint32_t) n);
			protobuf_c_message_pack(m, at + WIRE_HEADER_LEN);
		}
	} else if (admit_locked(c, need, &err)) {
		bool   cut;
		size_t added = tx_pack(&c->tx, m, n, pin, &cut);
		atomic_fetch_add(&pending_total, added);
		enqueue_locked(c);
		if (cut) {
			// Part of a frame went: the stream can't go on.
			fail_locked(c, MGR_ENOMEM);
			err = MGR_ENOMEM;
		}
	}
	pthread_mutex_unlock(&c->mtx);
	flush_if_free();
	return err;
}

int
fconn_send_msg(fconn *c, const ProtobufCMessage *m, size_t *queued)
{
	return send_msg(c, m, queued, NULL);
}

int
fconn_send_msg_pinned(
    fconn *c, const ProtobufCMessage *m, size_t *queued, fconn_pin_fn pin)
{
	return send_msg(c, m, queued, pin);
}

int
fconn_send_frame(fconn *c, const uint8_t *frame, size_t len)
{
	if (len < WIRE_HEADER_LEN || len - WIRE_HEADER_LEN > c->max_msg) {
		return MGR_ETOOBIG;
	}
	int err = 0;
	pthread_mutex_lock(&c->mtx);
	uint8_t *at = reserve_locked(c, len, &err);
	if (at != NULL) {
		memcpy(at, frame, len);
	}
	pthread_mutex_unlock(&c->mtx);
	flush_if_free();
	return err;
}

void
fconn_close_after_send(fconn *c)
{
	pthread_mutex_lock(&c->mtx);
	c->close_after_tx = true;
	enqueue_locked(c);
	pthread_mutex_unlock(&c->mtx);
	flush_if_free();
}

void
fconn_close_after_try(fconn *c)
{
	pthread_mutex_lock(&c->mtx);
	c->close_after_tx  = true;
	c->close_after_try = true;
	enqueue_locked(c);
	pthread_mutex_unlock(&c->mtx);
	flush_if_free();
}

void
fconn_close(fconn *c)
{
	pthread_mutex_lock(&c->mtx);
	fail_locked(c, MGR_ECLOSED);
	enqueue_locked(c);
	pthread_mutex_unlock(&c->mtx);
	flush_if_free();
}

bool
fconn_peer_gone(fconn *c)
{
	pthread_mutex_lock(&c->mtx);
	bool gone = c->closing || c->close_after_tx;
	pthread_mutex_unlock(&c->mtx);
	// The transport is freed only once its connection is: still c's.
	return gone || c->t->ops->peer_gone(c->t);
}

/* ---- deadlines ----------------------------------------------------------
 */

/* Under the loop's timer mutex: c can't be freed meanwhile (its end
 * clears the timer first). */
static void
on_timer(loop_timer *t)
{
	fconn *c = (fconn *) ((char *) t - offsetof(fconn, timer));
	pthread_mutex_lock(&c->mtx);
	fail_locked(c, MGR_ETIMEDOUT);
	shut_locked(c); // the receive side sees the end
	pthread_mutex_unlock(&c->mtx);
}

void
fconn_set_rx_timeout(fconn *c, int ms)
{
	c->rx_timeout = ms;
	pthread_mutex_lock(&c->mtx);
	bool started = c->started;
	pthread_mutex_unlock(&c->mtx);
	if (!started) {
		return; // fconn_start arms it
	}
	if (ms > 0) {
		loop_timer_set(c->loop, &c->timer, clock_ms() + ms);
	} else {
		loop_timer_clear(c->loop, &c->timer);
	}
}

void
fconn_set_rx_max(fconn *c, size_t n)
{
	c->rx_max = n;
}

void
fconn_start(fconn *c)
{
	if (c->rx_timeout > 0) {
		loop_timer_set(
		    c->loop, &c->timer, clock_ms() + c->rx_timeout);
	}
	pthread_mutex_lock(&c->mtx);
	c->started = true;
	if (c->closing) {
		shut_locked(c); // a read then reports the end
	}
	// Receiving from here on (XPORT_RD may come before this returns,
	// and end c: nothing of c is touched after).
	c->t->ops->interest(c->t, true, c->wr_wait);
	pthread_mutex_unlock(&c->mtx);
}

/* ---- the end ------------------------------------------------------------
 */

/* On the receive side: c ends with err (unless a reason came first). The
 * transport is detached and tells conn_quiet when no callback of it
 * runs any more. */
static void
conn_end(fconn *c, int err)
{
	pthread_mutex_lock(&c->mtx);
	fail_locked(c, err);
	shut_locked(c);
	pthread_mutex_unlock(&c->mtx);
	loop_timer_clear(c->loop, &c->timer);
	c->t->ops->detach(c->t);
}

const char *
fconn_end_why(const fconn *c)
{
	return c->end_why;
}

void
conn_quiet(fconn *c)
{
	loop_timer_clear(c->loop, &c->timer);
	pthread_mutex_lock(&c->mtx);
	int err = c->close_err;
	pthread_mutex_unlock(&c->mtx);

	c->on_closed(c->arg, err);

	pthread_mutex_lock(&c->mtx);
	c->done = true;
	bool fl = c->free_later;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	if (fl) {
		conn_release(c);
	}
}

void
fconn_free_later(fconn *c)
{
	pthread_mutex_lock(&c->mtx);
	c->free_later = true;
	pthread_mutex_unlock(&c->mtx);
}

void
fconn_free(fconn *c)
{
	if (c == NULL) {
		return;
	}
	pthread_mutex_lock(&c->mtx);
	if (c->started) {
		fail_locked(c, MGR_ECLOSED);
		shut_locked(c);
		while (!c->done) {
			pthread_cond_wait(&c->cv, &c->mtx);
		}
	} else {
		drop_pending_locked(c);
	}
	pthread_mutex_unlock(&c->mtx);
	conn_release(c);
}

/* ---- receiving ----------------------------------------------------------
 */

/* Each thread reads into a buffer of its own; a connection keeps bytes
 * only between reads that split a frame. So an idle connection holds no
 * receive buffer at all, and a read needs no copy. */
#define THREAD_RX (64 * 1024)
static _Thread_local uint8_t *thread_rx;
static pthread_key_t          thread_rx_key; /* frees it at thread exit */
static pthread_once_t         thread_rx_once = PTHREAD_ONCE_INIT;

static void
make_rx_key(void)
{
	pthread_key_create(&thread_rx_key, free);
}

static uint8_t *
thread_rx_buffer(void)
{
	if (thread_rx == NULL && (thread_rx = malloc(THREAD_RX)) != NULL) {
		pthread_once(&thread_rx_once, make_rx_key);
		pthread_setspecific(thread_rx_key, thread_rx);
	}
	return thread_rx;
}

static int
closed_err(fconn *c, int dflt)
{
	pthread_mutex_lock(&c->mtx);
	int e = c->closing && c->close_err ? c->close_err : dflt;
	pthread_mutex_unlock(&c->mtx);
	return e;
}

static bool
unsent_over_high(fconn *c)
{
	pthread_mutex_lock(&c->mtx);
	bool over = !c->closing && over_high(c->tx.len - c->tx.off);
	pthread_mutex_unlock(&c->mtx);
	return over;
}

/* Keeps buf[off..len) (own: buf is c->rxbuf) for the next read, in a
 * buffer as big as the frame it starts (need: its size, 0 when even its
 * length is not in yet). false when out of memory (c ended). */
static bool
keep_rest(
    fconn *c, uint8_t *buf, size_t off, size_t len, size_t need, bool own)
{
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

void
fconn_set_big_frame(fconn *c, fconn_big_frame_fn fn)
{
	c->on_big = fn;
}

/* Serves the complete frames in buf[0..len) and keeps the rest. Stops
 * early, with reading paused, once the replies queued pass TX_HIGH even
 * after writing: the frames left are served once they are written (a
 * kick). false when c ended. */
static bool
serve(fconn *c, uint8_t *buf, size_t len, bool own)
{
	size_t off  = 0;
	size_t need = 0;
	if (c->skip > 0) {
		// The rest of a dropped frame: read, not kept.
		size_t n = len < c->skip ? len : c->skip;
		c->skip -= n;
		off = n;
	}
	while (len - off >= WIRE_HEADER_LEN) {
		uint32_t flen = wire_get_len(buf + off);
		if (flen > c->rx_max) {
			if (!c->served) {
				c->end_why = wire_mixed_up(buf + off);
			}
			conn_end(c, MGR_ETOOBIG);
			return false;
		}
		if (len - off - WIRE_HEADER_LEN < flen) {
			need = WIRE_HEADER_LEN + (size_t) flen;
			// Asked once, before its buffer is made (a frame kept
			// from an earlier read starts the buffer: off 0).
			bool kept = own && off == 0 && c->rxcap >= need;
			if (flen > FCONN_BIG_FRAME && !kept
			    && c->on_big != NULL) {
				size_t hlen = len - off - WIRE_HEADER_LEN;
				int    rv   = c->on_big(c->arg,
				         buf + off + WIRE_HEADER_LEN,
                                    hlen < 64 ? hlen : 64, flen);
				if (rv > 0) {
					conn_end(c, rv);
					return false;
				}
				if (rv == FCONN_DROP) {
					c->skip = flen - hlen;
					off     = len;
					need    = 0;
				} else if (rv == FCONN_MORE) {
					// Only its head is kept, to ask
					// again.
					need = WIRE_HEADER_LEN + 64;
				}
			}
			break;
		}
		int err
		    = c->on_frame(c->arg, buf + off + WIRE_HEADER_LEN, flen);
		if (err != 0) {
			conn_end(c, err);
			return false;
		}
		off += WIRE_HEADER_LEN + (size_t) flen;
		c->served = true;
		if (unsent_over_high(c)) {
			fconn_flush_queued(); // write what the socket takes
			if (unsent_over_high(c)) {
				pthread_mutex_lock(&c->mtx);
				c->rx_paused = true;
				set_interest_locked(c);
				pthread_mutex_unlock(&c->mtx);
				break;
			}
		}
	}
	return keep_rest(c, buf, off, len, need, own);
}

/* The receive side: reads and serves until the transport has nothing
 * more now. */
static void
receive(fconn *c, bool hup)
{
	for (;;) {
		pthread_mutex_lock(&c->mtx);
		bool paused = c->rx_paused && !c->closing;
		pthread_mutex_unlock(&c->mtx);
		bool     own = c->rxlen > 0; /* bytes wait in c->rxbuf */
		uint8_t *buf;
		size_t   cap, len;
		if (own) {
			buf = c->rxbuf;
			cap = c->rxcap;
			len = c->rxlen;
		} else {
			if ((buf = thread_rx_buffer()) == NULL) {
				conn_end(c, MGR_ENOMEM);
				return;
			}
			cap = THREAD_RX;
			len = 0;
		}
		if (own && !paused && len >= WIRE_HEADER_LEN
		    && len - WIRE_HEADER_LEN >= wire_get_len(buf)) {
			// A kick after a pause: frames read before it first.
			if (!serve(c, buf, len, own)) {
				return;
			}
			continue;
		}
		if (paused || len == cap) {
			// Paused with frames unserved (a kick serves them
			// once the replies are written); a hang-up must still
			// end c, or its event would repeat.
			if (hup) {
				conn_end(c, closed_err(c, MGR_ECONN));
			}
			return;
		}
		syscall_guard_check("recv");
		ssize_t k = c->t->ops->read(c->t, buf + len, cap - len);
		if (k == XPORT_AGAIN) {
			return;
		}
		if (k <= 0) {
			conn_end(c, closed_err(c, MGR_ECONN));
			return;
		}
		if (!serve(c, buf, len + (size_t) k, own)) {
			return;
		}
		if (!c->t->ops->more(c->t)) {
			return;
		}
	}
}

void
conn_ready(fconn *c, unsigned what)
{
	if (what & XPORT_WR) {
		// Behind a gate: what it is asked about is what c holds now.
		uint64_t gate = FCONN_GATE_OPEN, upto = 0;
		if (conn_gated()) {
			pthread_mutex_lock(&c->mtx);
			upto = conn_gate_snapshot_locked(c);
			pthread_mutex_unlock(&c->mtx);
			gate = conn_gate_pass();
		}
		pthread_mutex_lock(&c->mtx);
		if (gate == FCONN_GATE_SHUT) {
			fail_locked(c, MGR_ECONN);
			shut_locked(c);
		} else if (!c->closing) {
			conn_gate_locked(c, gate, upto);
			flush_locked(c);
		}
		pthread_mutex_unlock(&c->mtx);
	}
	if (what & XPORT_RD) {
		// Replies to the frames of this read, and to waiters they
		// wake, go out together once it is served.
		serving++;
		receive(c, (what & XPORT_HUP) != 0);
		serving--;
		if (serving == 0) {
			fconn_flush_queued();
		}
	}
}
