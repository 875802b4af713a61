/* The client: one connection to a manager, its handshake, and calls.
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
#include "sock.h"
#include "spin.h"
#include "wire.h"

const char *
client_url(mgr_client *c)
{
	return c->url;
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
	return c->max_message;
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
	if (c->key != NULL) {
		memset(c->key, 0, c->keylen);
	}
	free(c->key);
	free(c->url);
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

/* The connection is dead: every waiter gets err. */
static void
kill_locked(mgr_client *c, int err)
{
	if (c->state == C_READY) {
		c->state = C_DEAD;
		c->err   = err;
	}
	for (pending *p = c->pending, *next; p != NULL; p = next) {
		next    = p->next;
		p->next = NULL;
		p->err  = c->user_gone ? MGR_ECLOSED : c->err;
		finish_pending(p);
	}
	c->pending = c->pending_tail = NULL;
}

/* Registers n requests of group g under consecutive ids (from *first).
 * MGR_ECLOSED / MGR_ECONN when the client can't send. */
static int
pend_begin(mgr_client *c, pending *ps, size_t n, pgroup *g, uint64_t *first,
    arena *ra)
{
	pthread_mutex_lock(&c->mtx);
	if (c->user_gone || c->state != C_READY) {
		int rv = c->user_gone ? MGR_ECLOSED : MGR_ECONN;
		pthread_mutex_unlock(&c->mtx);
		return rv;
	}
	*first = c->next_id + 1;
	c->next_id += n;
	g->remaining = n;
	for (size_t i = 0; i < n; i++) {
		ps[i] = (pending) { .id = *first + i, .g = g, .arena = ra };
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

/* Writes all n bytes (in the caller's thread). */
int
client_send_bytes(mgr_client *c, const uint8_t *p, size_t n)
{
	int rv = 0;
	pthread_mutex_lock(&c->txmtx);
	pthread_mutex_lock(&c->mtx);
	if (c->closing || c->state != C_READY) {
		rv = c->user_gone ? MGR_ECLOSED : MGR_ECONN;
		pthread_mutex_unlock(&c->mtx);
		pthread_mutex_unlock(&c->txmtx);
		return rv;
	}
	// mgr_disconnect shuts the socket down (a blocked send returns) and
	// waits for busy to drop before the descriptor is closed.
	c->busy++;
	pthread_mutex_unlock(&c->mtx);
	rv = c->t->ops->send_all(c->t, p, n);
	pthread_mutex_lock(&c->mtx);
	if (--c->busy == 0) {
		pthread_cond_broadcast(&c->idle_cv);
	}
	pthread_mutex_unlock(&c->mtx);
	pthread_mutex_unlock(&c->txmtx);
	return rv;
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
	*len = n;
	return f;
}

/* Reads once more into the rx buffer (reader only; c->mtx not held).
 * timeout_ms < 0: none. 0 or MGR_ECONN / MGR_ETIMEDOUT / MGR_ENOMEM. */
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
	if (need > c->rxcap || (c->rxlen == 0 && c->rxcap > (1u << 20))) {
		size_t   cap = need > RX_MIN ? need : RX_MIN;
		uint8_t *nb  = realloc(c->rxbuf, cap);
		if (nb == NULL) {
			return MGR_ENOMEM;
		}
		c->rxbuf = nb;
		c->rxcap = cap;
	}
	// A close (mgr_disconnect) shuts the transport down: a read blocked
	// there, or begun after it, returns at once.
	size_t got;
	int    rv = c->t->ops->recv_some(c->t, c->rxbuf + c->rxlen,
	       c->rxcap - c->rxlen, &got, timeout_ms, &c->spin);
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

/* Reads and hands out every reply that came (reader only). */
static int
read_replies(mgr_client *c)
{
	int rv = client_read_more(c, -1);
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
			return MGR_EPROTO;
		}
		pthread_mutex_lock(&c->mtx);
		pending *prev = NULL, *p = c->pending;
		while (p != NULL && p->id != id) {
			prev = p;
			p    = p->next;
		}
		if (p != NULL) {
			unlink_pending(c, prev, p);
		}
		pthread_mutex_unlock(&c->mtx);
		if (p == NULL) {
			// A reply nobody waits for: the manager is confused.
			return MGR_EPROTO;
		}
		// p is ours alone now: its thread waits until it is finished.
		Mgr__Reply *rp = mgr__reply__unpack(
		    p->arena != NULL ? &p->arena->pb : NULL, len, f);
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

/* Waits until every request of g is answered, reading for everyone while
 * no other thread does. */
static void
wait_group(mgr_client *c, pgroup *g)
{
	pthread_mutex_lock(&c->mtx);
	while (g->remaining > 0) {
		if (!c->reading && c->state == C_READY) {
			c->reading = true;
			pthread_mutex_unlock(&c->mtx);
			int rv = read_replies(c);
			pthread_mutex_lock(&c->mtx);
			c->reading = false;
			if (rv != 0) {
				kill_locked(c,
				    rv == MGR_EPROTO ? MGR_EPROTO
				                     : MGR_ECONN);
				pthread_cond_broadcast(&c->idle_cv);
			}
			continue;
		}
		pthread_cond_wait(&g->cv, &c->mtx);
	}
	// Done: if others still wait and nobody reads, one of them must.
	if (!c->reading) {
		if (c->pending != NULL) {
			pthread_cond_signal(&c->pending->g->cv);
		}
		pthread_cond_broadcast(&c->idle_cv);
	}
	pthread_mutex_unlock(&c->mtx);
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
	int rv = client_send_bytes(c, bytes, len);
	if (rv != 0) {
		abandon(c, ps, n, rv);
	}
	wait_group(c, g);
}

/* ---- connect / disconnect ---------------------------------------------- */

/* One handshake frame, within the deadline (ms, monotonic). */
int
mgr_disconnect(mgr_client *c)
{
	if (c == NULL) {
		return 0;
	}
	// Say goodbye first: the manager drops this session's references,
	// locks and waiters before it answers, so once this returns, other
	// clients see them gone. A dead manager answers MGR_ECONN at once.
	if (client_usable(c)) {
		(void) client_call_noargs(c, MGR__OP__OP_BYE, 0, 0, NULL);
	}
	// Threads still inside a call get MGR_ECLOSED; wait until they are
	// out of the stream.
	pthread_mutex_lock(&c->mtx);
	c->user_gone = true;
	c->closing   = true;
	pthread_mutex_unlock(&c->mtx);
	c->t->ops->shutdown(c->t);
	pthread_mutex_lock(&c->mtx);
	kill_locked(c, MGR_ECLOSED);
	while (c->reading || c->busy > 0) {
		pthread_cond_wait(&c->idle_cv, &c->mtx);
	}
	pthread_mutex_unlock(&c->mtx);
	client_unhold(c);
	return 0;
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
	// would close the connection. 11 bytes leave room for the id.
	// (Sized without the id: proto3 leaves out a zero id.)
	rq->id   = 0;
	size_t n = mgr__request__get_packed_size(rq);
	if (n + 11 > c->max_message) {
		client_set_detail("request over the manager's %zu byte limit",
		    c->max_message);
		return MGR_ETOOBIG;
	}
	pthread_cond_init(&g.cv, NULL);
	if ((rv = pend_begin(c, &p, 1, &g, &id, reply_arena)) != 0) {
		pthread_cond_destroy(&g.cv);
		client_set_detail("%s",
		    rv == MGR_ECLOSED     ? "the client was disconnected"
		        : rv == MGR_ECONN ? "connection to the manager lost"
		                          : mgr_strerror(rv));
		return rv;
	}
	rq->id         = id;
	uint8_t *frame = arena_alloc(scratch, n + 11 + WIRE_HEADER_LEN);
	if (frame == NULL) {
		abandon(c, &p, 1, MGR_ENOMEM);
	} else {
		// The length actually packed goes in the header.
		n = mgr__request__pack(rq, frame + WIRE_HEADER_LEN);
		wire_put_len(frame, (uint32_t) n);
		exchange(c, frame, n + WIRE_HEADER_LEN, &p, 1, &g);
	}
	pthread_cond_destroy(&g.cv);
	if (p.reply == NULL) {
		client_set_detail("%s",
		    p.err == MGR_ECLOSED      ? "the client was disconnected"
		        : p.err == MGR_ENOMEM ? "out of memory"
		        : p.err == MGR_EPROTO
		        ? "malformed reply from the manager"
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
    bool atomic, Mgr__Reply **replies)
{
	size_t   np  = atomic ? 1 : n;
	pending *ps  = calloc(np ? np : 1, sizeof(*ps));
	size_t   cap = recs_len + n * 16 + 32;
	uint8_t *out = malloc(cap);
	pgroup   g;
	uint64_t first;
	int      rv;
	if (ps == NULL || out == NULL) {
		free(ps);
		free(out);
		return MGR_ENOMEM;
	}
	pthread_cond_init(&g.cv, NULL);
	if ((rv = pend_begin(c, ps, np, &g, &first, NULL)) != 0) {
		pthread_cond_destroy(&g.cv);
		free(ps);
		free(out);
		return rv;
	}
	// Requests were packed without their id. Two packed messages one
	// after the other read as one with the fields of both (protobuf's
	// merge), so a Request holding only the id goes in front of each
	// body; an atomic batch is a Request {id, OP_BATCH} followed by each
	// body as one of its batch fields.
	Mgr__Request head = MGR__REQUEST__INIT;
	size_t       len  = 0;
	if (atomic) {
		head.id = first;
		head.op = MGR__OP__OP_BATCH;
		len     = WIRE_HEADER_LEN;
		len += mgr__request__pack(&head, out + len);
	}
	for (size_t i = 0, off = 0; i < n; i++) {
		uint32_t blen = wire_get_len(recs + off);
		off += WIRE_HEADER_LEN;
		if (atomic) {
			len += pb_put_varint(out + len, request_batch_key);
			len += pb_put_varint(out + len, blen);
		} else {
			uint8_t idf[16];
			head.id  = first + i;
			size_t k = mgr__request__pack(&head, idf);
			wire_put_len(out + len, (uint32_t) (blen + k));
			memcpy(out + len + WIRE_HEADER_LEN, idf, k);
			len += WIRE_HEADER_LEN + k;
		}
		memcpy(out + len, recs + off, blen);
		len += blen;
		off += blen;
	}
	if (atomic) {
		wire_put_len(out, (uint32_t) (len - 4));
	}
	// Each pipelined request was checked against the limit when added.
	if (atomic && len - 4 > c->max_message) {
		abandon(c, ps, np, MGR_ETOOBIG);
	} else {
		exchange(c, out, len, ps, np, &g);
	}
	free(out);
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
