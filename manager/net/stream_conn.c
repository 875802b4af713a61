/* The nng engine's connections: an nng_stream (tls+tcp, ws, wss, or
 * ipc/tcp when asked for) read and written through nng aios.
 *
 * One receive and one send are in flight at most. A receive's callback
 * (an nng task thread) hands every complete frame to on_frame, as a loop
 * thread of the direct engine does, and posts the next receive unless the
 * peer's unread replies pass the bound (backpressure: then the next send
 * completion posts it). Replies queue in one buffer while another is being
 * sent, so replies to pipelined requests go out together. The callbacks
 * never block: they take this connection's mutex and, through on_frame,
 * the server lock, both held briefly.
 *
 * The end: a failure, a close or the peer's hang-up marks the connection
 * closing and closes the stream, which fails the aios in flight; once
 * none is, on_closed runs on an nng thread of its own (a zero sleep on
 * end_aio), never inside fconn_close, which callers may call under the
 * server lock on_closed takes. Receives are posted only under the mutex
 * and never once closing (nng 1.5.2's TLS stream never completes a
 * receive posted after its close). */
#include <errno.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "clock.h"
#include "conn_engine.h"
#include "log.h"
#include "mgr.h"
#include "wire.h"

#define RX_MIN 4096

typedef struct nconn {
	fconn       base; /* first: an fconn * is an nconn * */
	nng_stream *st;
	int         fd; /* the kernel socket under st, or -1 */
	nng_aio    *rx_aio, *tx_aio, *end_aio;
	bool        ws;      /* one frame per send: one WebSocket message */
	size_t      max_msg; /* replies */
	size_t      rx_max;  /* frames read (the receive callback's) */

	/* receive: the receive callback's (one receive in flight) */
	uint8_t *rxbuf;
	size_t   rxcap, rxlen;

	pthread_mutex_t mtx; /* everything below */
	pthread_cond_t  cv;  /* done */
	int             rx_timeout;
	int64_t         rx_deadline;
	uint8_t        *txq; /* queued, not handed to nng yet */
	size_t          txqlen, txqcap;
	uint8_t        *txf; /* being sent */
	size_t          txflen, txfoff, txfcap;
	size_t          frame_left; /* ws: bytes of txf's current frame */
	bool            rx_busy, tx_busy;
	bool            corked;    /* frames being served: send at the end */
	bool            rx_paused; /* too many replies unread */
	bool            started, closing, close_after_tx;
	bool            end_posted, done, free_later;
	int             close_err;
} nconn;

static void unclaim(int fd);

static size_t
unsent_locked(const nconn *c)
{
	return c->txqlen + (c->txflen - c->txfoff);
}

/* Schedules the end once nothing is in flight. */
static void
maybe_end_locked(nconn *c)
{
	if (c->closing && c->started && !c->rx_busy && !c->tx_busy
	    && !c->end_posted) {
		c->end_posted = true;
		nng_sleep_aio(0, c->end_aio);
	}
}

static void
fail_locked(nconn *c, int err)
{
	if (!c->closing) {
		c->closing   = true;
		c->close_err = err;
		atomic_fetch_sub(&conn_pending_total, unsent_locked(c));
		c->txqlen = 0;
		c->txfoff = c->txflen;
		// Its descriptor is nng's to close from now on (and may be
		// another connection's soon): not ours to poll or claim.
		if (c->fd >= 0) {
			unclaim(c->fd);
			c->fd = -1;
		}
		// Completions are dispatched to nng's threads, never run
		// inside this call: safe under the mutex.
		nng_stream_close(c->st);
	}
	maybe_end_locked(c);
}

static void
post_recv_locked(nconn *c)
{
	if (c->closing || c->rx_busy) {
		return;
	}
	size_t need = RX_MIN;
	if (c->rxlen >= 4) {
		need = 4 + (size_t) wire_get_len(c->rxbuf);
	}
	if (need < c->rxlen + RX_MIN) {
		need = c->rxlen + RX_MIN; // room for more than a header
	}
	if (need > c->rxcap) {
		uint8_t *nb = realloc(c->rxbuf, need);
		if (nb == NULL) {
			fail_locked(c, MGR_ENOMEM);
			return;
		}
		c->rxbuf = nb;
		c->rxcap = need;
	}
	nng_duration tmo = NNG_DURATION_INFINITE;
	if (c->rx_timeout > 0) {
		int64_t left = c->rx_deadline - clock_ms();
		if (left <= 0) {
			fail_locked(c, MGR_ETIMEDOUT);
			return;
		}
		tmo = (nng_duration) left;
	}
	nng_iov iov = { .iov_buf = c->rxbuf + c->rxlen,
		.iov_len         = c->rxcap - c->rxlen };
	nng_aio_set_iov(c->rx_aio, 1, &iov);
	nng_aio_set_timeout(c->rx_aio, tmo);
	c->rx_busy = true;
	nng_stream_recv(c->st, c->rx_aio);
}

static void resume_locked(nconn *c);

/* Hands the next bytes to nng when nothing is being sent. */
static void
kick_locked(nconn *c)
{
	if (c->closing || c->tx_busy || c->corked) {
		return;
	}
	if (c->txfoff == c->txflen) {
		c->txfoff = c->txflen = 0;
		c->frame_left         = 0;
		if (c->txqlen == 0) {
			if (c->close_after_tx) {
				fail_locked(c, MGR_ECLOSED);
				return;
			}
			if (c->rx_paused) { // all written: read again
				resume_locked(c);
			}
			return;
		}
		uint8_t *b = c->txf; // swap: the queue is sent, the old one
		size_t   k = c->txfcap; // takes the next replies
		c->txf     = c->txq;
		c->txfcap  = c->txqcap;
		c->txflen  = c->txqlen;
		c->txq     = b;
		c->txqcap  = k;
		c->txqlen  = 0;
	}
	size_t len = c->txflen - c->txfoff;
	if (c->ws) {
		if (c->frame_left == 0) {
			c->frame_left
			    = 4 + (size_t) wire_get_len(c->txf + c->txfoff);
		}
		if (len > c->frame_left) {
			len = c->frame_left;
		}
	}
	nng_iov iov = { .iov_buf = c->txf + c->txfoff, .iov_len = len };
	nng_aio_set_iov(c->tx_aio, 1, &iov);
	c->tx_busy = true;
	nng_stream_send(c->st, c->tx_aio);
}

static void
tx_done(void *arg)
{
	nconn *c  = arg;
	int    rv = nng_aio_result(c->tx_aio);
	size_t n  = nng_aio_count(c->tx_aio);
	pthread_mutex_lock(&c->mtx);
	c->tx_busy = false;
	if (rv != 0) {
		fail_locked(c, MGR_ECONN);
	} else if (!c->closing) {
		c->txfoff += n;
		atomic_fetch_sub(&conn_pending_total, n);
		if (c->ws) {
			c->frame_left -= n;
		}
		if (c->txfcap > (1u << 20) && c->txfoff == c->txflen) {
			free(c->txf); // give a big reply's memory back
			c->txf    = NULL;
			c->txfcap = c->txflen = c->txfoff = 0;
		}
		kick_locked(c);
	}
	maybe_end_locked(c);
	pthread_mutex_unlock(&c->mtx);
}

/* What serve did with the receive buffer. */
enum served { SERVED_ALL, SERVED_SOME, SERVED_FAILED };

/* Serves the complete frames in the receive buffer, and keeps the rest;
 * stops early once the replies queued pass the bound (the frames left
 * are served when they are written). */
static enum served
serve(nconn *c)
{
	size_t      off = 0;
	enum served res = SERVED_ALL;
	while (c->rxlen - off >= 4) {
		uint32_t flen = wire_get_len(c->rxbuf + off);
		int      err  = 0;
		if (flen > c->rx_max) {
			err = MGR_ETOOBIG;
		} else if (c->rxlen - off - 4 < flen) {
			break;
		} else {
			err = c->base.on_frame(
			    c->base.arg, c->rxbuf + off + 4, flen);
		}
		if (err != 0) {
			pthread_mutex_lock(&c->mtx);
			fail_locked(c, err);
			pthread_mutex_unlock(&c->mtx);
			res = SERVED_FAILED;
			break;
		}
		off += 4 + (size_t) flen;
		pthread_mutex_lock(&c->mtx);
		bool over = conn_over_high(unsent_locked(c));
		pthread_mutex_unlock(&c->mtx);
		if (over) {
			res = SERVED_SOME;
			break;
		}
	}
	memmove(c->rxbuf, c->rxbuf + off, c->rxlen - off);
	c->rxlen -= off;
	if (c->rxlen == 0 && c->rxcap > (1u << 20)) {
		free(c->rxbuf); // a big frame's buffer: back to the minimum
		c->rxbuf = NULL;
		c->rxcap = 0;
	}
	return res;
}

/* Reading again after a pause: the frames already received first. A
 * zero sleep on the idle receive aio completes it with no bytes, so
 * rx_done serves them on an nng thread (not under this lock, which
 * on_frame's replies take). */
static void
resume_locked(nconn *c)
{
	c->rx_paused = false;
	c->rx_busy   = true;
	nng_sleep_aio(0, c->rx_aio);
}

static void
rx_done(void *arg)
{
	nconn *c  = arg;
	int    rv = nng_aio_result(c->rx_aio);
	pthread_mutex_lock(&c->mtx);
	if (rv != 0 || c->closing) {
		c->rx_busy = false;
		fail_locked(
		    c, rv == NNG_ETIMEDOUT ? MGR_ETIMEDOUT : MGR_ECONN);
		pthread_mutex_unlock(&c->mtx);
		return;
	}
	c->rxlen += nng_aio_count(c->rx_aio); // 0 after resume_locked
	// Replies to the frames of this receive go out together.
	c->corked = true;
	pthread_mutex_unlock(&c->mtx);

	enum served res = serve(c);

	pthread_mutex_lock(&c->mtx);
	c->corked  = false;
	c->rx_busy = false;
	kick_locked(c);
	if (res != SERVED_FAILED && !c->closing) {
		if (conn_over_high(unsent_locked(c))) {
			c->rx_paused = true; // the send completions resume it
		} else if (res == SERVED_SOME) {
			resume_locked(c); // written meanwhile: serve the rest
		} else {
			post_recv_locked(c);
		}
	}
	maybe_end_locked(c);
	pthread_mutex_unlock(&c->mtx);
}

/* ---- the socket under a stream ------------------------------------------
 *
 * nng does not expose the descriptor of a stream, and the nng engine needs
 * it to ask the kernel whether a peer hung up before handing it something
 * (fconn_peer_gone), as the direct engine does: a client killed just
 * before a put must not take the item with it. So it is found once, when
 * the connection is made, by what the kernel says of each descriptor. */

/* Whether sockaddr sa (from the kernel) is nng's na. */
static bool
same_addr(const struct sockaddr_storage *sa, const nng_sockaddr *na)
{
	if (sa->ss_family == AF_INET && na->s_family == NNG_AF_INET) {
		const struct sockaddr_in *in
		    = (const struct sockaddr_in *) sa;
		return in->sin_port == na->s_in.sa_port
		    && in->sin_addr.s_addr == na->s_in.sa_addr;
	}
	if (sa->ss_family == AF_INET6 && na->s_family == NNG_AF_INET6) {
		const struct sockaddr_in6 *in
		    = (const struct sockaddr_in6 *) sa;
		return in->sin6_port == na->s_in6.sa_port
		    && memcmp(&in->sin6_addr, na->s_in6.sa_addr, 16) == 0;
	}
	return false;
}

/* 1 when fd is the TCP socket with these two ends, 0 when not, -1 when fd
 * is not open. */
static int
is_socket_of(int fd, const nng_sockaddr *local, const nng_sockaddr *remote)
{
	struct sockaddr_storage sa;
	socklen_t               sl = sizeof(sa);
	if (getpeername(fd, (struct sockaddr *) &sa, &sl) != 0) {
		return errno == EBADF ? -1 : 0;
	}
	if (!same_addr(&sa, remote)) {
		return 0;
	}
	sl = sizeof(sa);
	return getsockname(fd, (struct sockaddr *) &sa, &sl) == 0
	    && same_addr(&sa, local);
}

/* The highest descriptor found so far: a new connection's is usually near
 * it (the lowest free number, in a process that mostly grows). */
static atomic_int fd_hint;

/* 1 when fd is a unix socket bound at path whose peer is process pid and
 * has not hung up, 0 when not, -1 when fd is not open. */
static int
is_ipc_socket_of(int fd, const char *path, uint64_t pid)
{
	struct sockaddr_un sa;
	socklen_t          sl = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *) &sa, &sl) != 0) {
		return errno == EBADF ? -1 : 0;
	}
	struct ucred cr = { 0 };
	socklen_t    cl = sizeof(cr);
	if (sa.sun_family != AF_UNIX
	    || sl <= offsetof(struct sockaddr_un, sun_path)
	    || strncmp(sa.sun_path, path, sizeof(sa.sun_path)) != 0
	    || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0
	    || (uint64_t) cr.pid != pid) {
		return 0;
	}
	// A connection of the same process that is ending (its peer hung
	// up; nng has not closed it yet) is not the new one.
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) == 1
	        && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0
	    ? 0
	    : 1;
}

/* Descriptors found for live connections: not candidates for another. */
static pthread_mutex_t claimed_mtx = PTHREAD_MUTEX_INITIALIZER;
static int            *claimed;
static size_t          nclaimed, claimed_cap;

static bool
is_claimed_locked(int fd)
{
	for (size_t i = 0; i < nclaimed; i++) {
		if (claimed[i] == fd) {
			return true;
		}
	}
	return false;
}

/* Claims fd for a connection: false when it can't be kept (no memory). */
static bool
claim_locked(int fd)
{
	if (nclaimed == claimed_cap) {
		size_t cap = claimed_cap ? claimed_cap * 2 : 64;
		int   *nv  = realloc(claimed, cap * sizeof(*nv));
		if (nv == NULL) {
			return false;
		}
		claimed     = nv;
		claimed_cap = cap;
	}
	claimed[nclaimed++] = fd;
	return true;
}

static void
unclaim(int fd)
{
	pthread_mutex_lock(&claimed_mtx);
	for (size_t i = 0; i < nclaimed; i++) {
		if (claimed[i] == fd) {
			claimed[i] = claimed[--nclaimed];
			break;
		}
	}
	if (nclaimed == 0) {
		free(claimed);
		claimed     = NULL;
		claimed_cap = 0;
	}
	pthread_mutex_unlock(&claimed_mtx);
}

/* The unix socket under an ipc stream: the one descriptor, not claimed by
 * another connection, bound at path whose peer is the stream's process
 * and has not hung up. A unique match is ours (ours is among them unless
 * its peer is gone already). More than one (a process with another
 * connection whose own match failed) is ambiguous: -1, and
 * fconn_peer_gone then knows only what nng says. claimed_mtx held. */
static int
ipc_socket_of(nng_stream *st, const char *path)
{
	uint64_t pid = 0;
	if (nng_stream_get_uint64(st, NNG_OPT_IPC_PEER_PID, &pid) != 0) {
		return -1;
	}
	int found = -1, free_run = 0;
	for (int fd = 0; free_run < 64 || fd <= atomic_load(&fd_hint); fd++) {
		int r = is_claimed_locked(fd)
		    ? 0
		    : is_ipc_socket_of(fd, path, pid);
		if (r > 0) {
			if (found >= 0) {
				return -1;
			}
			found = fd;
		}
		free_run = r < 0 ? free_run + 1 : 0;
	}
	return found;
}

/* The kernel socket under a TCP-based stream (tls+tcp, ws, wss, nng's
 * tcp), found by its two addresses (unique while the socket is open): nng
 * does not expose it, and the nng engine needs it to ask the kernel whether a
 * peer hung up before handing it something (fconn_peer_gone), as the direct
 * engine does. -1 when not found. Probes up from the hint until 64 numbers in
 * a row are free, then down from it. */
static int
socket_of(nng_stream *st)
{
	nng_sockaddr local, remote;
	if (nng_stream_get_addr(st, NNG_OPT_LOCADDR, &local) != 0
	    || nng_stream_get_addr(st, NNG_OPT_REMADDR, &remote) != 0) {
		return -1;
	}
	int hint  = atomic_load(&fd_hint);
	int found = -1;
	for (int fd = hint, free_run = 0; free_run < 64; fd++) {
		int r = is_socket_of(fd, &local, &remote);
		if (r > 0) {
			found = fd;
			break;
		}
		free_run = r < 0 ? free_run + 1 : 0;
	}
	for (int fd = hint - 1; found < 0 && fd >= 0; fd--) {
		if (is_socket_of(fd, &local, &remote) > 0) {
			found = fd;
		}
	}
	if (found > hint) {
		atomic_store(&fd_hint, found);
	}
	return found;
}

/* The descriptor under st (ipc_path: an ipc stream's socket path), or
 * -1; claimed until unclaim. */
static int
find_socket(nng_stream *st, const char *ipc_path)
{
	pthread_mutex_lock(&claimed_mtx);
	int fd
	    = ipc_path != NULL ? ipc_socket_of(st, ipc_path) : socket_of(st);
	if (fd >= 0 && !claim_locked(fd)) {
		fd = -1;
	}
	pthread_mutex_unlock(&claimed_mtx);
	return fd;
}

static void
destroy(nconn *c, bool in_callback)
{
	if (c->fd >= 0) {
		unclaim(c->fd);
	}
	if (in_callback) {
		// end_aio's own callback: nng frees the aios once the
		// callbacks have returned.
		nng_aio_reap(c->rx_aio);
		nng_aio_reap(c->tx_aio);
		nng_aio_reap(c->end_aio);
	} else {
		nng_aio_free(c->rx_aio);
		nng_aio_free(c->tx_aio);
		nng_aio_free(c->end_aio);
	}
	nng_stream_free(c->st);
	pthread_mutex_destroy(&c->mtx);
	pthread_cond_destroy(&c->cv);
	free(c->rxbuf);
	free(c->txq);
	free(c->txf);
	free(c);
}

static void
end_done(void *arg)
{
	nconn *c = arg;
	pthread_mutex_lock(&c->mtx);
	int err = c->close_err;
	pthread_mutex_unlock(&c->mtx);

	c->base.on_closed(c->base.arg, err);

	pthread_mutex_lock(&c->mtx);
	c->done = true;
	bool fl = c->free_later;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	if (fl) {
		destroy(c, true);
	}
}

/* ---- the interface --------------------------------------------------- */

static void
nconn_start(fconn *fc)
{
	nconn *c = (nconn *) fc;
	pthread_mutex_lock(&c->mtx);
	c->started = true;
	post_recv_locked(c);
	kick_locked(c); // what was sent before the start
	maybe_end_locked(c);
	pthread_mutex_unlock(&c->mtx);
}

static void
nconn_set_rx_timeout(fconn *fc, int ms)
{
	nconn *c = (nconn *) fc;
	pthread_mutex_lock(&c->mtx);
	c->rx_timeout  = ms;
	c->rx_deadline = clock_ms() + ms;
	pthread_mutex_unlock(&c->mtx);
}

static int
nconn_send_msg(fconn *fc, const ProtobufCMessage *m, size_t *queued)
{
	nconn *c = (nconn *) fc;
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
	if (conn_reply_over_limit(unsent_locked(c), n)) {
		fail_locked(c, MGR_ETOOBIG);
		pthread_mutex_unlock(&c->mtx);
		return MGR_ECONN;
	}
	if (conn_append_frame(&c->txq, &c->txqlen, &c->txqcap, m, n) != 0) {
		pthread_mutex_unlock(&c->mtx);
		return MGR_ENOMEM;
	}
	if (c->started) {
		kick_locked(c);
	}
	pthread_mutex_unlock(&c->mtx);
	return 0;
}

static void
nconn_close_after_send(fconn *fc)
{
	nconn *c = (nconn *) fc;
	pthread_mutex_lock(&c->mtx);
	c->close_after_tx = true;
	if (c->started) {
		kick_locked(c);
	}
	pthread_mutex_unlock(&c->mtx);
}

static void
nconn_set_rx_max(fconn *fc, size_t n)
{
	((nconn *) fc)->rx_max = n;
}

static bool
nconn_peer_gone(fconn *fc)
{
	nconn *c = (nconn *) fc;
	pthread_mutex_lock(&c->mtx);
	bool gone = c->closing || c->close_after_tx;
	if (!gone && c->fd >= 0) {
		// nng may not have seen the hang-up yet: the kernel knows.
		// Under the mutex: until closing is set, nng has not closed
		// the stream, so fd is still this connection's.
		struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };
		gone            = poll(&p, 1, 0) == 1
		    && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
	}
	pthread_mutex_unlock(&c->mtx);
	return gone;
}

static void
nconn_close(fconn *fc)
{
	nconn *c = (nconn *) fc;
	pthread_mutex_lock(&c->mtx);
	fail_locked(c, MGR_ECLOSED);
	pthread_mutex_unlock(&c->mtx);
}

static void
nconn_free_later(fconn *fc)
{
	nconn *c = (nconn *) fc;
	pthread_mutex_lock(&c->mtx);
	c->free_later = true;
	pthread_mutex_unlock(&c->mtx);
}

static void
nconn_free(fconn *fc)
{
	nconn *c = (nconn *) fc;
	pthread_mutex_lock(&c->mtx);
	if (c->started) {
		fail_locked(c, MGR_ECLOSED);
		while (!c->done) {
			pthread_cond_wait(&c->cv, &c->mtx);
		}
	} else if (!c->closing) {
		atomic_fetch_sub(&conn_pending_total, unsent_locked(c));
	}
	pthread_mutex_unlock(&c->mtx);
	destroy(c, false);
}

static const fconn_ops nconn_ops = {
	.start            = nconn_start,
	.set_rx_timeout   = nconn_set_rx_timeout,
	.send_msg         = nconn_send_msg,
	.close_after_send = nconn_close_after_send,
	.set_rx_max       = nconn_set_rx_max,
	.peer_gone        = nconn_peer_gone,
	.close            = nconn_close,
	.free             = nconn_free,
	.free_later       = nconn_free_later,
};

int
fconn_new_stream(fconn **cp, nng_stream *st, const char *ipc_path,
    bool websocket, size_t max_message)
{
	nconn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		nng_stream_free(st);
		return MGR_ENOMEM;
	}
	c->base.ops = &nconn_ops;
	c->st       = st;
	c->fd       = -1;
	c->ws       = websocket;
	c->max_msg  = max_message;
	c->rx_max   = max_message;
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (nng_aio_alloc(&c->rx_aio, rx_done, c) != 0
	    || nng_aio_alloc(&c->tx_aio, tx_done, c) != 0
	    || nng_aio_alloc(&c->end_aio, end_done, c) != 0) {
		destroy(c, false); // nng_aio_free(NULL) is a no-op
		return MGR_ENOMEM;
	}
	c->fd = find_socket(st, ipc_path);
	*cp   = &c->base;
	return 0;
}
