/* The client: its connection to a manager, calls, and the session's state
 * on it (lost, reconnecting, ended); connecting is connect.c's, the
 * session's life (the keep-alive thread, reconnects) session.c's.
 *
 * Calls are synchronous for the calling thread, and cheap in wakeups: the
 * caller writes its request itself on the (blocking) socket, and the
 * thread waiting for a reply reads the socket itself ("leader and
 * followers"), so a reply wakes the thread that wants it straight from
 * the kernel, with no other thread in between. Several threads share one
 * connection: whoever reads
 * hands the replies of the others to them, and when its own has come it
 * passes the reading on to a thread still waiting. So a thread blocked in
 * a long get does not stall the others, and requests of several threads
 * (or a pipelined batch) are in flight together, matched by id.
 *
 * The client struct lives while the user or any proxy holds it, so a
 * proxy outliving mgr_disconnect fails cleanly (MGR_ECLOSED). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "client_int.h"
#include "clock.h"
#include "internal.h"
#include "pbcheck.h"
#include "prefault.h"
#include "sock.h"
#include "spin.h"
#include "wire.h"

const char *
client_url(mgr_client *c)
{
	return c->urls;
}

const void *
client_key(mgr_client *c, size_t *len)
{
	*len = c->keylen;
	return c->key;
}

size_t
client_max_message(mgr_client *c)
{
	return atomic_load_explicit(&c->max_message, memory_order_relaxed);
}

/* ---- client lifetime ----------------------------------------------------
 */

void
client_hold(mgr_client *c)
{
	pthread_mutex_lock(&c->mtx);
	c->refs++;
	pthread_mutex_unlock(&c->mtx);
}

void
client_destroy(mgr_client *c)
{
	if (c->t != NULL) {
		c->t->ops->free(c->t);
	}
	pthread_mutex_destroy(&c->mtx);
	pthread_mutex_destroy(&c->txmtx);
	pthread_cond_destroy(&c->idle_cv);
	pthread_cond_destroy(&c->ka_cv);
	free(c->tls_ca);
	ctls_resume_free(c->tls_resume);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_name);
	if (c->key != NULL) {
		memset(c->key, 0, c->keylen);
	}
	free(c->key);
	free(c->url);
	free(c->urls);
	free(c->redirect);
	free(c->rxbuf);
	free(c);
}

void
client_unhold(mgr_client *c)
{
	pthread_mutex_lock(&c->mtx);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&c->mtx);
	if (last) {
		client_destroy(c);
	}
}

bool
client_usable(mgr_client *c)
{
	pthread_mutex_lock(&c->mtx);
	bool ok = !c->user_gone && c->state == C_READY;
	pthread_mutex_unlock(&c->mtx);
	return ok;
}

/* ---- pending requests (under c->mtx) -------------------------------------
 */

static void
unlink_pending(mgr_client *c, pending *prev, pending *p)
{
	if (prev != NULL) {
		prev->next = p->next;
	} else {
		c->pending = p->next;
	}
	if (c->pending_tail == p) {
		c->pending_tail = prev;
	}
	p->next = NULL;
}

static void
finish_pending(pending *p)
{
	p->done = true;
	if (--p->g->remaining == 0) {
		pthread_cond_signal(&p->g->cv);
	}
}

bool
client_fail_calls_locked(mgr_client *c, int err, bool heartbeat_only)
{
	bool     told = false;
	pending *prev = NULL;
	for (pending *p = c->pending, *next; p != NULL; p = next) {
		next = p->next;
		if (heartbeat_only && !p->heartbeat) {
			prev = p;
			continue;
		}
		unlink_pending(c, prev, p);
		told |= !p->heartbeat;
		p->err = err;
		finish_pending(p);
	}
	return told;
}

void
client_kill_locked(mgr_client *c, int err)
{
	if (c->state != C_DEAD) {
		c->state = C_DEAD;
		c->err   = err;
	}
	(void) client_fail_calls_locked(
	    c, c->user_gone ? MGR_ECLOSED : c->err, false);
}

void
client_lost_locked(mgr_client *c, int err)
{
	if (c->state != C_READY) {
		return; // already reconnecting, or dead
	}
	if (c->user_gone || c->reconnect_ms <= 0) {
		client_kill_locked(c, err);
		return;
	}
	c->state   = C_RECONNECTING;
	c->lost_ms = clock_ms();
	// A ping is never sent again: it has its answer.
	(void) client_fail_calls_locked(c, MGR_ECONN, true);
	pthread_cond_broadcast(&c->ka_cv);
}

void
client_session_gone_locked(mgr_client *c)
{
	bool told          = client_fail_calls_locked(c, MGR_ESESSION, false);
	c->gone_unreported = !told;
	c->fresh           = true;
	c->next_seq        = 0; // calls made meanwhile: the new session's
	c->replies_read    = 0;
	if (c->state == C_READY) {
		c->state   = C_RECONNECTING;
		c->lost_ms = clock_ms();
		pthread_cond_broadcast(&c->ka_cv);
	}
}

/* Registers n requests of group g under consecutive ids (from *first)
 * and, when c reconnects, numbers (from *seq); *ack is what they
 * acknowledge. MGR_ECLOSED / MGR_ECONN when the client can't send,
 * MGR_ESESSION (once) when its session ended with no call to tell. */
static int
pend_begin(mgr_client *c, pending *ps, size_t n, pgroup *g, uint64_t *first,
    arena *ra, uint64_t *seq, uint64_t *ack)
{
	pthread_mutex_lock(&c->mtx);
	if (c->user_gone || c->state == C_DEAD) {
		int rv = c->user_gone ? MGR_ECLOSED
		    : c->err          ? c->err
		                      : MGR_ECONN;
		pthread_mutex_unlock(&c->mtx);
		return rv;
	}
	if (c->gone_unreported) {
		c->gone_unreported = false;
		pthread_mutex_unlock(&c->mtx);
		client_set_detail(
		    "the session ended (its lease ran out, or it could not "
		    "be resumed): what it held was released; this call was "
		    "not sent, the next goes on in a new session");
		return MGR_ESESSION;
	}
	*first = c->next_id + 1;
	c->next_id += n;
	*seq = 0;
	if (c->reconnect_ms > 0) {
		*seq = c->next_seq + 1;
		c->next_seq += n;
	}
	*ack         = c->replies_read;
	g->remaining = n;
	for (size_t i = 0; i < n; i++) {
		ps[i] = (pending) { .id = *first + i,
			.seq            = *seq ? *seq + i : 0,
			.g              = g,
			.arena          = ra };
		if (c->pending_tail != NULL) {
			c->pending_tail->next = &ps[i];
		} else {
			c->pending = &ps[i];
		}
		c->pending_tail = &ps[i];
	}
	pthread_mutex_unlock(&c->mtx);
	return 0;
}

/* ---- the stream: writing and reading -------------------------------------
 */

/* Writes bytes on the stream (c->mtx held, dropped meanwhile; txmtx
 * held). mgr_disconnect shuts the transport down (a blocked send returns)
 * and waits for busy to drop before it is freed. 0 or MGR_ECONN. */
static int
write_locked(mgr_client *c, const uint8_t *bytes, size_t len)
{
	c->busy++;
	pthread_mutex_unlock(&c->mtx);
	int rv = c->t->ops->send_all(c->t, bytes, len);
	pthread_mutex_lock(&c->mtx);
	c->sends++;
	if (--c->busy == 0) {
		pthread_cond_broadcast(&c->idle_cv);
	}
	return rv;
}

/* Sends bytes, the frames of the n requests ps (each pending's frame set
 * by the caller), in the caller's thread; while the client reconnects
 * they are left queued, sent once a new connection resumed the session
 * (client_resume_sending_locked). Under txmtx throughout, so a request
 * goes out once per connection. 0, or MGR_ECLOSED / MGR_ECONN when they
 * can't go. */
static int
send_requests(
    mgr_client *c, const uint8_t *bytes, size_t len, pending *ps, size_t n)
{
	int rv = 0;
	pthread_mutex_lock(&c->txmtx);
	pthread_mutex_lock(&c->mtx);
	for (size_t i = 0; i < n; i++) {
		ps[i].queued = true;
	}
	if (c->closing || c->state == C_DEAD) {
		rv = c->user_gone ? MGR_ECLOSED : MGR_ECONN;
	} else if (c->state == C_READY) {
		if (write_locked(c, bytes, len) != 0 && c->reconnect_ms > 0) {
			// Sent again on the next connection.
			client_lost_locked(c, MGR_ECONN);
		}
		// Else the reader finds out why: the manager's notice (its
		// session ended) may wait before the end of the stream, and
		// the keep-alive bounds a stream that never ends.
	}
	pthread_mutex_unlock(&c->mtx);
	pthread_mutex_unlock(&c->txmtx);
	return rv;
}

void
client_resume_sending_locked(mgr_client *c)
{
	// txmtx comes before mtx: meanwhile calls only queue (the state is
	// still C_RECONNECTING).
	pthread_mutex_unlock(&c->mtx);
	pthread_mutex_lock(&c->txmtx);
	pthread_mutex_lock(&c->mtx);
	size_t len = 0;
	for (pending *p = c->pending; p != NULL; p = p->next) {
		len += p->queued && !p->heartbeat ? p->flen : 0;
	}
	// A copy: a caller may give up (mgr_disconnect) while it is sent.
	uint8_t *copy = len > 0 ? malloc(len) : NULL;
	size_t   at   = 0;
	for (pending *p = c->pending; copy != NULL && p != NULL;
	     p          = p->next) {
		if (p->queued && !p->heartbeat) {
			memcpy(copy + at, p->frame, p->flen);
			at += p->flen;
		}
	}
	if (len > 0 && copy == NULL) {
		client_kill_locked(c, MGR_ENOMEM);
	} else if (c->state == C_RECONNECTING && !c->closing) {
		c->state = C_READY;
		if (len > 0 && write_locked(c, copy, len) != 0) {
			client_lost_locked(c, MGR_ECONN);
		} else {
			client_wake_reader_locked(c);
		}
	}
	pthread_mutex_unlock(&c->txmtx);
	free(copy);
}

/* The next complete frame in the rx buffer, or NULL. MGR_ETOOBIG in *err
 * for a frame over our limit. Reader only. */
const uint8_t *
client_next_frame(mgr_client *c, size_t *len, int *err)
{
	*err = 0;
	if (c->rxlen - c->rxoff < 4) {
		return NULL;
	}
	uint32_t n = wire_get_len(c->rxbuf + c->rxoff);
	if (n > c->rx_limit) {
		*err = MGR_ETOOBIG;
		return NULL;
	}
	if (c->rxlen - c->rxoff - 4 < n) {
		return NULL;
	}
	const uint8_t *f = c->rxbuf + c->rxoff + 4;
	c->rxoff += 4 + (size_t) n;
	c->rx_last = n;
	*len       = n;
	return f;
}

/* Reads once more into the rx buffer (reader only; c->mtx not held).
 * timeout_ms < 0: none. 0 or MGR_ECONN / MGR_ETIMEDOUT / MGR_ENOMEM.
 *
 * A big frame is read to its end and no further, so that it starts at
 * the buffer's head and nothing after it has to be moved down once it is
 * consumed; the buffer keeps its room while big frames follow each other
 * (a map's big results), and gives it back after a small one. */
int
client_read_more(mgr_client *c, int64_t timeout_ms)
{
	// Compact, and make room for the frame under way.
	if (c->rxoff > 0) {
		memmove(c->rxbuf, c->rxbuf + c->rxoff, c->rxlen - c->rxoff);
		c->rxlen -= c->rxoff;
		c->rxoff = 0;
	}
	size_t need = RX_MIN;
	if (c->rxlen >= 4) {
		need = 4 + (size_t) wire_get_len(c->rxbuf);
	}
	bool shrink = c->rxlen == 0 && c->rxcap > (1u << 20)
	    && c->rx_last < c->rxcap / 4;
	if (need > c->rxcap || shrink) {
		size_t   cap = need > RX_MIN ? need : RX_MIN;
		uint8_t *nb  = realloc(c->rxbuf, cap);
		if (nb == NULL) {
			return MGR_ENOMEM;
		}
		c->rxbuf = nb;
		c->rxcap = cap;
	}
	size_t room = need > RX_BIG ? need - c->rxlen : c->rxcap - c->rxlen;
	// A close (mgr_disconnect) shuts the transport down: a read blocked
	// there, or begun after it, returns at once.
	size_t got;
	int    rv = c->t->ops->recv_some(
	       c->t, c->rxbuf + c->rxlen, room, &got, timeout_ms, &c->spin);
	if (rv == 0) {
		c->rxlen += got;
	}
	return rv;
}

/* Keys of the fields the client reads or writes by hand, from the
 * generated descriptors. */
static pthread_once_t wire_keys_once = PTHREAD_ONCE_INIT;
static uint32_t       reply_id_key, request_batch_key;

static void
wire_keys_init(void)
{
	reply_id_key      = pb_field_key(&mgr__reply__descriptor, "id");
	request_batch_key = pb_field_key(&mgr__request__descriptor, "batch");
}

void
client_init_once(void)
{
	pthread_once(&wire_keys_once, wire_keys_init);
}

/* The id of a packed Reply, its first field (the manager packs it first),
 * read before unpacking so that the reply can go to its caller's arena. */
static bool
peek_id(const uint8_t *f, size_t len, uint64_t *id)
{
	return pb_peek_varint(f, len, reply_id_key, id);
}

/* A reply whose id is not its first field: the manager's notice, id 0
 * (proto3 leaves zeros out). MGR_ESESSION (the session ended, the
 * connection closes), else MGR_EPROTO. */
static int
notice(mgr_client *c, const uint8_t *f, size_t len)
{
	Mgr__Reply *rp = mgr__reply__unpack(NULL, len, f);
	int rv = rp != NULL && rp->id == 0 && rp->status == MGR_ESESSION
	    ? MGR_ESESSION
	    : MGR_EPROTO;
	if (rp != NULL) {
		mgr__reply__free_unpacked(rp, NULL);
	}
	if (rv == MGR_ESESSION) {
		pthread_mutex_lock(&c->mtx);
		client_session_gone_locked(c);
		pthread_mutex_unlock(&c->mtx);
	}
	return rv;
}

static void *
reply_alloc(void *data, size_t n)
{
	(void) data;
	return malloc_prefaulted(n);
}

static void
reply_free(void *data, void *p)
{
	(void) data;
	free(p);
}

/* Replies unpacked without a caller's arena: malloc'd (their byte
 * strings may be taken as they are, codec.c's steal), a big one's pages
 * mapped at once. */
static ProtobufCAllocator reply_allocator = { reply_alloc, reply_free, NULL };

/* Reads and hands out every reply that came (reader only), waiting up
 * to timeout_ms (< 0: no limit). */
static int
read_replies(mgr_client *c, int64_t timeout_ms)
{
	int rv = client_read_more(c, timeout_ms);
	if (rv != 0) {
		return rv;
	}
	const uint8_t *f;
	size_t         len;
	while ((f = client_next_frame(c, &len, &rv)) != NULL) {
		if (!pb_check(
		        &mgr__reply__descriptor, f, len, WIRE_PB_MAX_DEPTH)) {
			return MGR_EPROTO;
		}
		// The id comes first (protobuf-c packs fields in number
		// order): find the waiter before unpacking, so that the reply
		// goes into its arena rather than malloc.
		uint64_t id;
		if (!peek_id(f, len, &id)) {
			return notice(c, f, len); // no id first: id 0
		}
		pthread_mutex_lock(&c->mtx);
		c->replies_read++; // what the next request acknowledges
		pending *prev = NULL, *p = c->pending;
		while (p != NULL && p->id != id) {
			prev = p;
			p    = p->next;
		}
		if (p != NULL) {
			unlink_pending(c, prev, p);
		}
		pthread_mutex_unlock(&c->mtx);
		if (p == NULL && c->reconnect_ms > 0) {
			continue; // a request sent twice around a reconnect
		}
		if (p == NULL) {
			// A reply nobody waits for: the manager is confused.
			return MGR_EPROTO;
		}
		// p is ours alone now: its thread waits until it is finished.
		Mgr__Reply *rp = mgr__reply__unpack(
		    p->arena != NULL ? &p->arena->pb : &reply_allocator, len,
		    f);
		bool bad = rp == NULL || rp->id != id;
		if (bad && rp != NULL && p->arena == NULL) {
			mgr__reply__free_unpacked(rp, NULL);
		}
		pthread_mutex_lock(&c->mtx);
		p->reply = bad ? NULL : rp;
		p->err   = bad ? MGR_EPROTO : 0;
		finish_pending(p); // from here on p and rp are its thread's
		pthread_mutex_unlock(&c->mtx);
		if (bad) {
			return MGR_EPROTO;
		}
	}
	return rv;
}

void
client_wake_reader_locked(mgr_client *c)
{
	if (!c->reading && c->pending != NULL) {
		pthread_cond_signal(&c->pending->g->cv);
	}
}

/* Waits until every request of g is answered, reading for everyone while
 * no other thread does, until deadline (ms, monotonic; < 0: none; g's cv
 * then on the monotonic clock). 0 or MGR_ETIMEDOUT. */
static int
wait_group(mgr_client *c, pgroup *g, int64_t deadline)
{
	int rv = 0;
	pthread_mutex_lock(&c->mtx);
	while (g->remaining > 0) {
		int64_t left = deadline < 0 ? -1 : deadline - clock_ms();
		if (deadline >= 0 && left <= 0) {
			rv = MGR_ETIMEDOUT;
			break;
		}
		if (!c->reading && c->state == C_READY) {
			c->reading = true;
			pthread_mutex_unlock(&c->mtx);
			int err = read_replies(c, left);
			pthread_mutex_lock(&c->mtx);
			c->reading = false;
			if (err != 0 && err != MGR_ETIMEDOUT) {
				client_lost_locked(c,
				    err == MGR_EPROTO || err == MGR_ESESSION
				        ? err
				        : MGR_ECONN);
			}
			if (c->state != C_READY) {
				pthread_cond_broadcast(&c->idle_cv);
			}
			continue;
		}
		if (deadline < 0) {
			pthread_cond_wait(&g->cv, &c->mtx);
		} else {
			struct timespec ts = clock_after_ms(left);
			pthread_cond_timedwait(&g->cv, &c->mtx, &ts);
		}
	}
	// Done: if others still wait and nobody reads, one of them must.
	if (!c->reading) {
		client_wake_reader_locked(c);
		pthread_cond_broadcast(&c->idle_cv);
	}
	pthread_mutex_unlock(&c->mtx);
	return rv;
}

/* Requests of ps that were not (all) sent: no reply will come for
 * those not answered yet; they get err. */
static void
abandon(mgr_client *c, pending *ps, size_t n, int err)
{
	pthread_mutex_lock(&c->mtx);
	for (size_t i = 0; i < n; i++) {
		if (ps[i].done) {
			continue;
		}
		pending *prev = NULL, *p = c->pending;
		while (p != NULL && p != &ps[i]) {
			prev = p;
			p    = p->next;
		}
		if (p != NULL) {
			unlink_pending(c, prev, p);
		}
		ps[i].err = err;
		finish_pending(&ps[i]);
	}
	pthread_mutex_unlock(&c->mtx);
}

/* Sends bytes holding requests of ps (group g) and waits for them all. */
static void
exchange(mgr_client *c, const uint8_t *bytes, size_t len, pending *ps,
    size_t n, pgroup *g)
{
	int rv = send_requests(c, bytes, len, ps, n);
	if (rv != 0) {
		abandon(c, ps, n, rv);
	}
	(void) wait_group(c, g, -1);
}

int
client_heartbeat(mgr_client *c, int64_t deadline)
{
	pending p = { 0 };
	pgroup  g;
	clock_cond_init(&g.cv);
	Mgr__Request rq = MGR__REQUEST__INIT;
	rq.op           = MGR__OP__OP_PING;
	rq.name         = "";
	pthread_mutex_lock(&c->mtx);
	if (c->state != C_READY || c->closing) {
		pthread_mutex_unlock(&c->mtx);
		pthread_cond_destroy(&g.cv);
		return MGR_ECONN;
	}
	p.id = rq.id = ++c->next_id;
	p.g          = &g;
	p.heartbeat  = true;
	rq.ack       = c->replies_read;
	g.remaining  = 1;
	if (c->pending_tail != NULL) {
		c->pending_tail->next = &p;
	} else {
		c->pending = &p;
	}
	c->pending_tail = &p;
	pthread_mutex_unlock(&c->mtx);
	uint8_t frame[64];
	size_t  n = mgr__request__pack(&rq, frame + WIRE_HEADER_LEN);
	wire_put_len(frame, (uint32_t) n);
	p.frame = frame;
	p.flen  = n + WIRE_HEADER_LEN;
	int rv  = send_requests(c, frame, p.flen, &p, 1);
	if (rv != 0) {
		abandon(c, &p, 1, rv);
	}
	if (wait_group(c, &g, deadline) == MGR_ETIMEDOUT) {
		abandon(c, &p, 1, MGR_ETIMEDOUT);
	}
	pthread_cond_destroy(&g.cv);
	if (p.reply != NULL) {
		rv = p.reply->status == 0 ? 0 : MGR_EPROTO;
		mgr__reply__free_unpacked(p.reply, NULL);
		return rv;
	}
	return p.err;
}

/* ---- one request, one reply ------------------------------------------ */

int
client_roundtrip(mgr_client *c, Mgr__Request *rq, arena *scratch,
    arena *reply_arena, Mgr__Reply **reply)
{
	pending  p;
	pgroup   g;
	uint64_t id;
	int      rv;

	*reply = NULL;
	// The manager's limit (from the handshake): over it, the manager
	// would close the connection. 33 bytes leave room for the id, seq
	// and ack. (Sized without them: proto3 leaves out zeros.)
	rq->id       = 0;
	rq->seq      = 0;
	rq->ack      = 0;
	size_t n     = mgr__request__get_packed_size(rq);
	size_t limit = client_max_message(c);
	if (n + 33 > limit) {
		client_set_detail(
		    "request over the manager's %zu byte limit", limit);
		return MGR_ETOOBIG;
	}
	pthread_cond_init(&g.cv, NULL);
	uint64_t seq, ack;
	if ((rv = pend_begin(c, &p, 1, &g, &id, reply_arena, &seq, &ack))
	    != 0) {
		pthread_cond_destroy(&g.cv);
		if (rv != MGR_ESESSION) {
			client_set_detail("%s",
			    rv == MGR_ECLOSED ? "the client was disconnected"
			        : rv == MGR_ECONN
			        ? "connection to the manager lost"
			        : mgr_strerror(rv));
		}
		return rv;
	}
	rq->id         = id;
	rq->seq        = seq;
	rq->ack        = ack;
	uint8_t *frame = arena_alloc(scratch, n + 33 + WIRE_HEADER_LEN);
	if (frame == NULL) {
		abandon(c, &p, 1, MGR_ENOMEM);
	} else {
		// The length actually packed goes in the header.
		n = mgr__request__pack(rq, frame + WIRE_HEADER_LEN);
		wire_put_len(frame, (uint32_t) n);
		p.frame = frame;
		p.flen  = n + WIRE_HEADER_LEN;
		exchange(c, frame, p.flen, &p, 1, &g);
	}
	pthread_cond_destroy(&g.cv);
	if (p.reply == NULL) {
		client_set_detail("%s",
		    p.err == MGR_ECLOSED      ? "the client was disconnected"
		        : p.err == MGR_ENOMEM ? "out of memory"
		        : p.err == MGR_EPROTO
		        ? "malformed reply from the manager"
		        : p.err == MGR_ESESSION
		        ? "the session ended (its lease ran out, or it could "
		          "not be resumed): what it held was released; the "
		          "call "
		          "may or may not have been applied, the next goes "
		          "on "
		          "in a new session"
		        : "connection to the manager lost");
		return p.err;
	}
	*reply = p.reply;
	return 0;
}

int
client_call_noargs(mgr_client *c, Mgr__Op op, uint64_t target,
    uint64_t secret, Mgr__Ref *ref)
{
	Mgr__Request rq = MGR__REQUEST__INIT;
	Mgr__Reply  *rp;
	arena        scratch;
	if (c == NULL) {
		client_set_detail("a proxy without a client");
		return MGR_EINVAL;
	}
	rq.op     = op;
	rq.target = target;
	rq.secret = secret;
	rq.name   = "";
	arena_init(&scratch);
	int rv = client_roundtrip(c, &rq, &scratch, NULL, &rp);
	arena_fini(&scratch);
	if (rv != 0) {
		return rv;
	}
	rv = rp->status;
	if (rv != 0) {
		client_set_detail("%s", rp->error);
		if (rv < 0 || rv >= MGR_ENUMERRORS) {
			rv = MGR_EPROTO;
		}
	} else if (ref != NULL) {
		if (rp->result == NULL
		    || rp->result->kind_case != MGR__VALUE__KIND_REF
		    || rp->result->ref == NULL) {
			client_set_detail("%s answered no reference",
			    protobuf_c_enum_descriptor_get_value(
			        &mgr__op__descriptor, (int) op)
			        ? protobuf_c_enum_descriptor_get_value(
			            &mgr__op__descriptor, (int) op)
			              ->name
			        : "request");
			rv = MGR_EPROTO;
		} else {
			ref->id     = rp->result->ref->id;
			ref->type   = rp->result->ref->type;
			ref->secret = rp->result->ref->secret;
		}
	}
	// No detail cleared on success: this runs inside other calls (a
	// release while a reply is decoded) whose detail must survive.
	mgr__reply__free_unpacked(rp, NULL);
	return rv;
}

/* ---- pipelines (batch.c)
 * --------------------------------------------------- */

int
client_pipeline(mgr_client *c, const uint8_t *recs, size_t recs_len, size_t n,
    bool atomic, Mgr__Reply **replies, uint8_t **buf, size_t *cap)
{
	size_t   np   = atomic ? 1 : n;
	pending *ps   = calloc(np ? np : 1, sizeof(*ps));
	size_t   need = recs_len + n * 48 + 64;
	pgroup   g;
	uint64_t first;
	int      rv;
	if (ps != NULL && *cap < need) {
		uint8_t *nb = realloc(*buf, need);
		if (nb != NULL) {
			*buf = nb;
			*cap = need;
		}
	}
	if (ps == NULL || *cap < need) {
		free(ps);
		return MGR_ENOMEM;
	}
	uint8_t *out = *buf;
	pthread_cond_init(&g.cv, NULL);
	uint64_t seq, ack;
	if ((rv = pend_begin(c, ps, np, &g, &first, NULL, &seq, &ack)) != 0) {
		pthread_cond_destroy(&g.cv);
		free(ps);
		return rv;
	}
	// Requests were packed without their id. Two packed messages one
	// after the other read as one with the fields of both (protobuf's
	// merge), so a Request holding only the id goes in front of each
	// body; an atomic batch is a Request {id, OP_BATCH} followed by each
	// body as one of its batch fields.
	Mgr__Request head = MGR__REQUEST__INIT;
	size_t       len  = 0;
	head.ack          = ack;
	if (atomic) {
		head.id  = first;
		head.op  = MGR__OP__OP_BATCH;
		head.seq = seq;
		len      = WIRE_HEADER_LEN;
		len += mgr__request__pack(&head, out + len);
	}
	for (size_t i = 0, off = 0; i < n; i++) {
		uint32_t blen = wire_get_len(recs + off);
		off += WIRE_HEADER_LEN;
		size_t at = len;
		if (atomic) {
			len += pb_put_varint(out + len, request_batch_key);
			len += pb_put_varint(out + len, blen);
		} else {
			uint8_t idf[48];
			head.id  = first + i;
			head.seq = seq ? seq + i : 0;
			size_t k = mgr__request__pack(&head, idf);
			wire_put_len(out + len, (uint32_t) (blen + k));
			memcpy(out + len + WIRE_HEADER_LEN, idf, k);
			len += WIRE_HEADER_LEN + k;
		}
		memcpy(out + len, recs + off, blen);
		len += blen;
		off += blen;
		if (!atomic) {
			ps[i].frame = out + at;
			ps[i].flen  = len - at;
		}
	}
	if (atomic) {
		wire_put_len(out, (uint32_t) (len - 4));
		ps[0].frame = out;
		ps[0].flen  = len;
	}
	// Each pipelined request was checked against the limit when added.
	if (atomic && len - 4 > client_max_message(c)) {
		abandon(c, ps, np, MGR_ETOOBIG);
	} else {
		exchange(c, out, len, ps, np, &g);
	}
	pthread_cond_destroy(&g.cv);
	int first_err = 0;
	for (size_t i = 0; i < np; i++) {
		replies[i] = ps[i].reply;
		if (ps[i].reply == NULL && first_err == 0) {
			first_err = ps[i].err;
		}
	}
	free(ps);
	return first_err;
}
