#include "conn.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mgr.h"

#define RX_MIN 4096        /* receive buffer of an idle connection */
#define RX_SHRINK (1 << 20) /* above this, give memory back when idle */

struct fconn {
	nng_stream     *s;
	nng_aio        *rxaio;
	nng_aio        *txaio;  /* sends completed by the poller (tx_cb) */
	nng_aio        *txfast; /* no callback: sends that complete inline */
	size_t          max_msg;
	fconn_frame_fn  on_frame;
	fconn_closed_fn on_closed;
	void           *arg;

	/* receive side: touched only by the receive callback */
	uint8_t *rxbuf;
	size_t   rxcap;
	size_t   rxlen;
	int      rx_timeout;

	/* send side, under mtx */
	pthread_mutex_t mtx;
	uint8_t        *txq; /* frames waiting for the next send */
	size_t          txqlen;
	size_t          txqcap;
	uint8_t        *txfly; /* the buffer being sent */
	size_t          txflylen;
	size_t          txflyoff;
	size_t          txflycap;
	bool            sending;
	bool            slow;   /* a thread waits for txfast (slow_send) */
	pthread_cond_t  slow_cv;
	bool            corked; /* receive callback running: send at its end */
	bool            closed;
	bool            close_after_tx;

	fconn *reap_next;
};

int
nng_to_mgr(int e)
{
	switch (e) {
	case 0:
		return 0;
	case NNG_ENOMEM:
		return MGR_ENOMEM;
	case NNG_ETIMEDOUT:
		return MGR_ETIMEDOUT;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
	case NNG_ENOTSUP:
		return MGR_EINVAL;
	case NNG_ECLOSED:
	case NNG_ECANCELED:
		return MGR_ECLOSED;
	default:
		return MGR_ECONN;
	}
}

static void rx_cb(void *arg);
static void rx_end(fconn *c, int err);
static void tx_cb(void *arg);

int
fconn_new(fconn **cp, nng_stream *s, size_t max_message,
    fconn_frame_fn on_frame, fconn_closed_fn on_closed, void *arg)
{
	fconn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return MGR_ENOMEM;
	}
	c->rxbuf = malloc(RX_MIN);
	if (c->rxbuf == NULL || nng_aio_alloc(&c->rxaio, rx_cb, c) != 0 ||
	    nng_aio_alloc(&c->txaio, tx_cb, c) != 0 ||
	    nng_aio_alloc(&c->txfast, NULL, NULL) != 0) {
		if (c->txaio != NULL) {
			nng_aio_free(c->txaio);
		}
		nng_aio_free(c->rxaio);
		free(c->rxbuf);
		free(c);
		return MGR_ENOMEM;
	}
	c->rxcap     = RX_MIN;
	c->s         = s;
	c->max_msg   = max_message;
	c->on_frame  = on_frame;
	c->on_closed = on_closed;
	c->arg       = arg;
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->slow_cv, NULL);
	*cp = c;
	return 0;
}

nng_stream *
fconn_stream(fconn *c)
{
	return c->s;
}

void
fconn_set_rx_timeout(fconn *c, int ms)
{
	c->rx_timeout = ms;
}

static void
post_recv(fconn *c)
{
	nng_iov iov = {.iov_buf = c->rxbuf + c->rxlen,
	    .iov_len        = c->rxcap - c->rxlen};
	nng_aio_set_iov(c->rxaio, 1, &iov);
	nng_aio_set_timeout(c->rxaio,
	    c->rx_timeout > 0 ? c->rx_timeout : NNG_DURATION_INFINITE);
	nng_stream_recv(c->s, c->rxaio);
}

void
fconn_start(fconn *c)
{
	pthread_mutex_lock(&c->mtx);
	bool closed = c->closed;
	if (!closed) {
		post_recv(c);
	}
	pthread_mutex_unlock(&c->mtx);
	if (closed) {
		rx_end(c, MGR_ECLOSED);
	}
}

void
fconn_close(fconn *c)
{
	pthread_mutex_lock(&c->mtx);
	c->closed = true;
	pthread_mutex_unlock(&c->mtx);
	nng_stream_close(c->s);
}

static void
rx_end(fconn *c, int err)
{
	fconn_close(c);
	c->on_closed(c->arg, err);
}

static void start_send(fconn *c);

static void
uncork(fconn *c)
{
	pthread_mutex_lock(&c->mtx);
	c->corked = false;
	if (!c->sending && c->txqlen > 0 && !c->closed) {
		start_send(c);
	}
	pthread_mutex_unlock(&c->mtx);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
	    ((uint32_t) p[2] << 8) | p[3];
}

static void
rx_cb(void *arg)
{
	fconn *c  = arg;
	int    rv = nng_aio_result(c->rxaio);
	if (rv != 0) {
		bool closed;
		pthread_mutex_lock(&c->mtx);
		closed = c->closed;
		pthread_mutex_unlock(&c->mtx);
		rx_end(c, closed ? MGR_ECLOSED
		                 : (rv == NNG_ETIMEDOUT ? MGR_ETIMEDOUT
		                                        : MGR_ECONN));
		return;
	}
	c->rxlen += nng_aio_count(c->rxaio);

	// Replies to the frames of this read go out together, in one write
	// once they are all queued (pipelined requests cost one send).
	pthread_mutex_lock(&c->mtx);
	c->corked = true;
	pthread_mutex_unlock(&c->mtx);
	size_t off  = 0;
	size_t need = 0; /* size of an incomplete frame at off */
	while (c->rxlen - off >= 4) {
		uint32_t len = get_be32(c->rxbuf + off);
		if (len > c->max_msg) {
			uncork(c);
			rx_end(c, MGR_ETOOBIG);
			return;
		}
		if (c->rxlen - off - 4 < len) {
			need = 4 + (size_t) len;
			break;
		}
		int err = c->on_frame(c->arg, c->rxbuf + off + 4, len);
		if (err != 0) {
			uncork(c);
			rx_end(c, err);
			return;
		}
		off += 4 + (size_t) len;
	}
	uncork(c);
	if (off > 0) {
		memmove(c->rxbuf, c->rxbuf + off, c->rxlen - off);
		c->rxlen -= off;
	}
	// Grow for a large frame; shrink back once a large buffer is idle.
	size_t want = need > RX_MIN ? need : RX_MIN;
	if (need > c->rxcap || (c->rxlen == 0 && c->rxcap > RX_SHRINK)) {
		uint8_t *nb = realloc(c->rxbuf, want);
		if (nb == NULL) {
			rx_end(c, MGR_ENOMEM);
			return;
		}
		c->rxbuf = nb;
		c->rxcap = want;
	}
	// Check and post under the lock: a receive posted on a stream that
	// fconn_close has already closed would never complete (nng 1.5.2
	// only fails the receives queued when the stream closes).
	pthread_mutex_lock(&c->mtx);
	bool closed = c->closed;
	if (!closed) {
		post_recv(c);
	}
	pthread_mutex_unlock(&c->mtx);
	if (closed) {
		rx_end(c, MGR_ECLOSED);
	}
}

/* After a send completed (count bytes, result rv): goes on with the rest,
 * the next queued frames, or goes idle. Called with mtx held. */
static void send_done(fconn *c, int rv, size_t count);

/* A fast send that did not complete inline (the peer is not reading):
 * wait for it here, off nng's threads, then go on as usual. */
static void *
slow_send(void *arg)
{
	fconn *c = arg;
	nng_aio_wait(c->txfast);
	pthread_mutex_lock(&c->mtx);
	c->slow = false;
	send_done(c, nng_aio_result(c->txfast), nng_aio_count(c->txfast));
	pthread_cond_broadcast(&c->slow_cv);
	pthread_mutex_unlock(&c->mtx);
	return NULL;
}

/* Swaps the queue into flight and sends it. Called with mtx held.
 *
 * The send goes first through txfast, an aio without callback: nng writes
 * inline when the socket has room, and then nothing more happens -- no
 * task thread is woken to report completion, which would cost a thread
 * hand-off per reply. Only when the write did not complete inline does a
 * thread of ours wait for it. */
static void
start_send(fconn *c)
{
	for (;;) {
		uint8_t *b = c->txfly;
		size_t   k = c->txflycap;
		c->txfly    = c->txq;
		c->txflycap = c->txqcap;
		c->txflylen = c->txqlen;
		c->txflyoff = 0;
		c->txq      = b;
		c->txqcap   = k;
		c->txqlen   = 0;
		c->sending  = true;
		nng_iov iov = {.iov_buf = c->txfly, .iov_len = c->txflylen};
		nng_aio_set_iov(c->txfast, 1, &iov);
		nng_stream_send(c->s, c->txfast);
		// Complete only if every byte went (the count is set when nng
		// finishes the operation, inline here when it could write).
		if (nng_aio_count(c->txfast) != c->txflylen) {
			pthread_t      t;
			pthread_attr_t a;
			pthread_attr_init(&a);
			pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
			c->slow = true;
			if (pthread_create(&t, &a, slow_send, c) != 0) {
				// No thread: wait here (the rare worst case).
				c->slow = false;
				pthread_mutex_unlock(&c->mtx);
				nng_aio_wait(c->txfast);
				pthread_mutex_lock(&c->mtx);
				send_done(c, nng_aio_result(c->txfast),
				    nng_aio_count(c->txfast));
			}
			pthread_attr_destroy(&a);
			return;
		}
		nng_aio_wait(c->txfast); // done: returns at once
		c->txflyoff = c->txflylen;
		if (c->txqlen == 0 || c->closed) {
			send_done(c, 0, 0);
			return;
		}
	}
}

static void
send_done(fconn *c, int rv, size_t count)
{
	if (rv != 0 || c->closed) {
		c->sending = false;
		c->txqlen  = 0;
		c->closed  = true; // no receive may be posted from now on
		// The receive side notices the close and reports it.
		nng_stream_close(c->s);
		return;
	}
	c->txflyoff += count;
	if (c->txflyoff < c->txflylen) {
		nng_iov iov = {.iov_buf = c->txfly + c->txflyoff,
		    .iov_len        = c->txflylen - c->txflyoff};
		nng_aio_set_iov(c->txaio, 1, &iov);
		nng_stream_send(c->s, c->txaio);
		return;
	}
	if (c->txqlen > 0) {
		start_send(c);
		return;
	}
	c->sending = false;
	if (c->txflycap > RX_SHRINK) {
		free(c->txfly);
		c->txfly    = NULL;
		c->txflycap = 0;
	}
	if (c->close_after_tx) {
		c->closed = true;
		nng_stream_close(c->s);
	}
}

static void
tx_cb(void *arg)
{
	fconn *c = arg;
	pthread_mutex_lock(&c->mtx);
	send_done(c, nng_aio_result(c->txaio), nng_aio_count(c->txaio));
	pthread_mutex_unlock(&c->mtx);
}

/* Makes room for n more bytes in the send queue and locks it; returns
 * where to write, or NULL with *err set (and the lock released). */
static uint8_t *
tx_reserve(fconn *c, size_t n, int *err)
{
	pthread_mutex_lock(&c->mtx);
	if (c->closed || c->close_after_tx) {
		pthread_mutex_unlock(&c->mtx);
		*err = MGR_ECONN;
		return NULL;
	}
	if (c->txqcap - c->txqlen < n) {
		size_t cap = c->txqcap ? c->txqcap : 256;
		while (cap - c->txqlen < n) {
			cap *= 2;
		}
		uint8_t *nb = realloc(c->txq, cap);
		if (nb == NULL) {
			pthread_mutex_unlock(&c->mtx);
			*err = MGR_ENOMEM;
			return NULL;
		}
		c->txq    = nb;
		c->txqcap = cap;
	}
	return c->txq + c->txqlen;
}

/* Commits n reserved bytes, starts a send if idle, and unlocks. */
static void
tx_commit(fconn *c, size_t n)
{
	c->txqlen += n;
	if (!c->sending && !c->corked) {
		start_send(c);
	}
	pthread_mutex_unlock(&c->mtx);
}

int
fconn_send_msg(fconn *c, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	int    err;
	if (n > c->max_msg) {
		return MGR_ETOOBIG;
	}
	uint8_t *p = tx_reserve(c, n + 4, &err);
	if (p == NULL) {
		return err;
	}
	p[0] = (uint8_t) (n >> 24);
	p[1] = (uint8_t) (n >> 16);
	p[2] = (uint8_t) (n >> 8);
	p[3] = (uint8_t) n;
	protobuf_c_message_pack(m, p + 4);
	tx_commit(c, n + 4);
	return 0;
}

int
fconn_send_raw(fconn *c, const void *data, size_t len)
{
	int      err;
	uint8_t *p = tx_reserve(c, len, &err);
	if (p == NULL) {
		return err;
	}
	memcpy(p, data, len);
	tx_commit(c, len);
	return 0;
}

void
fconn_close_after_send(fconn *c)
{
	pthread_mutex_lock(&c->mtx);
	c->close_after_tx = true;
	bool idle         = !c->sending && c->txqlen == 0;
	pthread_mutex_unlock(&c->mtx);
	if (idle) {
		fconn_close(c);
	}
}

void
fconn_free(fconn *c)
{
	if (c == NULL) {
		return;
	}
	fconn_close(c);
	nng_aio_stop(c->rxaio);
	// A slow send's thread must be done with c; closing failed its aio.
	pthread_mutex_lock(&c->mtx);
	while (c->slow) {
		pthread_cond_wait(&c->slow_cv, &c->mtx);
	}
	pthread_mutex_unlock(&c->mtx);
	nng_aio_stop(c->txaio);
	nng_aio_stop(c->txfast);
	nng_aio_free(c->rxaio);
	nng_aio_free(c->txaio);
	nng_aio_free(c->txfast);
	pthread_cond_destroy(&c->slow_cv);
	nng_stream_free(c->s);
	pthread_mutex_destroy(&c->mtx);
	free(c->rxbuf);
	free(c->txq);
	free(c->txfly);
	free(c);
}

/* ---- the reaper: frees connections outside their own callbacks ---------- */

static pthread_mutex_t reap_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  reap_cv  = PTHREAD_COND_INITIALIZER;
static pthread_cond_t  reap_idle_cv = PTHREAD_COND_INITIALIZER;
static fconn          *reap_list;
static bool            reap_started;
static int             reap_busy;

static void *
reaper(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&reap_mtx);
	for (;;) {
		while (reap_list == NULL) {
			pthread_cond_wait(&reap_cv, &reap_mtx);
		}
		fconn *c  = reap_list;
		reap_list = c->reap_next;
		reap_busy++;
		pthread_mutex_unlock(&reap_mtx);
		fconn_free(c);
		pthread_mutex_lock(&reap_mtx);
		reap_busy--;
		if (reap_list == NULL) {
			pthread_cond_broadcast(&reap_idle_cv);
		}
	}
	return NULL;
}

void
fconn_free_later(fconn *c)
{
	pthread_mutex_lock(&reap_mtx);
	if (!reap_started) {
		pthread_t      t;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &a, reaper, NULL) == 0) {
			reap_started = true;
		}
		pthread_attr_destroy(&a);
	}
	if (!reap_started) {
		// No thread: leak rather than free under our own callback.
		pthread_mutex_unlock(&reap_mtx);
		fconn_close(c);
		return;
	}
	c->reap_next = reap_list;
	reap_list    = c;
	pthread_cond_signal(&reap_cv);
	pthread_mutex_unlock(&reap_mtx);
}

void
fconn_reap_drain(void)
{
	pthread_mutex_lock(&reap_mtx);
	while (reap_list != NULL || reap_busy > 0) {
		pthread_cond_wait(&reap_idle_cv, &reap_mtx);
	}
	pthread_mutex_unlock(&reap_mtx);
}
