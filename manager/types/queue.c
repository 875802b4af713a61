/* The queue type (Python's queue.Queue as a manager serves it): a FIFO of
 * values with an optional maxsize, the unfinished-tasks count of
 * task_done/join, and three FIFOs of parked requests (getters, putters,
 * joiners).
 *
 * Invariants kept by the handlers: getters are parked only while the
 * queue is empty (a put hands its item straight to the first of them),
 * and putters only while it is full (a get admits the first of them), so
 * nobody overtakes a parked request. */
#include <stdlib.h>
#include <string.h>

#include "qstore.h"
#include "queue.h"
#include "report.h"
#include "svec.h"
#include "wait.h"

/* ==== the queue's state: its items (qstore), the task count, waiters == */

typedef struct squeue {
	qstore   st;         /* the items, and those taken (ack) */
	size_t   maxsize;    /* 0: unbounded */
	uint64_t unfinished; /* items put and not yet task_done */
	uint64_t done;       /* task_done calls (or acks) that counted */
	wlist    getters;
	wlist    putters; /* each holds its item in val */
	wlist    joiners;
	bool     ack; /* acknowledged: items taken are kept until done */
} squeue;

/* Full: an acknowledged queue's items in progress count (they come back
 * if their taker dies), so that what it holds never passes maxsize and a
 * consumer that takes and vanishes can't let producers fill it again and
 * again. */
static bool
sq_full(const squeue *q)
{
	return q->maxsize > 0 && q->st.items.len + q->st.ntaken >= q->maxsize;
}

/* Stores an item (moving) and counts it as a task, as Python's put does;
 * the caller checked that there is room. MGR_ETYPE, MGR_ENOMEM. */
static int
sq_put(squeue *q, sval *v)
{
	int rc = qs_store(&q->st, v);
	if (rc == 0) {
		q->unfinished++;
	}
	return rc;
}

/* One task done. MGR_ESTATE when none is unfinished; *all_done tells
 * whether the count reached zero (joiners are to be answered). */
static int
sq_task_done(squeue *q, bool *all_done)
{
	if (q->unfinished == 0) {
		return MGR_ESTATE;
	}
	q->unfinished--;
	q->done++;
	*all_done = q->unfinished == 0;
	return 0;
}

/* ==== the shared queue type ============================================= */

static squeue *
target_queue(mctx *c)
{
	return c->obj->data;
}

/* CREATE [int maxsize [bool ack [int order]]]: maxsize <= 0 (or none) is
 * unbounded, as Python's; ack makes it an acknowledged queue; order is
 * MGR_QUEUE_FIFO (Queue), _LIFO (LifoQueue) or _PRIORITY
 * (PriorityQueue). */
static int
queue_create(mobj *o, mctx *c)
{
	int64_t maxsize = 0, order = MGR_QUEUE_FIFO;
	bool    ack = false;
	int     rc;
	if (c->nargs > 3) {
		return mctx_fail(c, MGR_EINVAL,
		    "Queue expected at most 3 arguments, got %zu", c->nargs);
	}
	if (c->nargs >= 1 && (rc = mctx_arg_int(c, 0, &maxsize)) != 0) {
		return rc;
	}
	if (c->nargs >= 2 && (rc = mctx_arg_bool(c, 1, &ack)) != 0) {
		return rc;
	}
	if (c->nargs == 3 && (rc = mctx_arg_int(c, 2, &order)) != 0) {
		return rc;
	}
	if (order != MGR_QUEUE_FIFO && order != MGR_QUEUE_LIFO
	    && order != MGR_QUEUE_PRIORITY) {
		return mctx_fail(c, MGR_EINVAL,
		    "order %lld is not FIFO (0), LIFO (1) or priority (2)",
		    (long long) order);
	}
	squeue *q = calloc(1, sizeof(*q));
	if (q == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	q->maxsize  = maxsize > 0 ? (size_t) maxsize : 0;
	q->ack      = ack;
	q->st.order = (int) order;
	o->data     = q;
	return 0;
}

static void
queue_destroy(mobj *o)
{
	squeue *q = o->data;
	// Nobody can reach the queue any more: its waiters learn it is gone.
	wlist_fail_all(&q->getters, MGR_ENOOBJ);
	wlist_fail_all(&q->putters, MGR_ENOOBJ);
	wlist_fail_all(&q->joiners, MGR_ENOOBJ);
	qs_fini(&q->st);
	free(q);
	o->data = NULL;
}

/* A big queue let go (or its purged items): a slice of its items at a
 * time (store.c). */
static bool
queue_destroy_some(mobj *o, size_t *budget)
{
	squeue *q = o->data;
	wlist_fail_all(&q->getters, MGR_ENOOBJ);
	wlist_fail_all(&q->putters, MGR_ENOOBJ);
	wlist_fail_all(&q->joiners, MGR_ENOOBJ);
	if (!qs_free_some(&q->st, budget)) {
		return false;
	}
	free(q);
	o->data = NULL;
	return true;
}

typedef struct ref_walk {
	void (*fn)(sval *ref, void *arg);
	void *arg;
} ref_walk;

static void
walk_refs(sval *v, void *arg)
{
	ref_walk *w = arg;
	sv_each_ref(v, w->fn, w->arg);
}

static void
queue_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	squeue  *q    = o->data;
	ref_walk walk = { fn, arg };
	// The items, the copies of those taken and not yet done, and the
	// items of parked putters, held until they go in or away.
	qs_each(&q->st, walk_refs, &walk);
	for (waiter *w = q->putters.head; w != NULL; w = w->next) {
		sv_each_ref(&w->val, fn, arg);
	}
}

/* A deadline passed: the timed-out get is Python's Empty, put its Full. */
static void
queue_expire(mobj *o, waiter *w)
{
	(void) o;
	waiter_done(w,
	    w->op == MGR__OP__OP_QUEUE_GET
	            || w->op == MGR__OP__OP_QUEUE_GET_COUNTED
	        ? MGR_EEMPTY
	        : w->op == MGR__OP__OP_QUEUE_PUT ? MGR_EFULL
	                                         : MGR_ETIMEDOUT,
	    NULL);
}

/* An item going to session sess (a get answered, a parked getter
 * handed it): an acknowledged queue keeps a copy until sess marks it
 * done, and its session_end hook is to run for sess. MGR_ENOMEM. */
static int
note_taken(mobj *o, struct session *sess, const qitem *item)
{
	squeue *q = o->data;
	if (!q->ack) {
		return 0;
	}
	int rc = session_touch(sess, o);
	return rc != 0 ? rc : qs_note_taken(&q->st, session_id(sess), item);
}

/* What a get of op answers: the item, or for a counted get the list
 * [deliveries before this one, item]. The list is made before an item is
 * taken (answer_new: MGR_ENOMEM), so that filling it cannot fail. */
static int
answer_new(int op, sval *ans)
{
	*ans = SV_NONE_INIT;
	return op == MGR__OP__OP_QUEUE_GET_COUNTED
	    ? sv_new_list(ans, SV_LIST, 2)
	    : 0;
}

/* Moves *it into ans (answer_new's). */
static void
answer_fill(int op, sval *ans, qitem *it)
{
	if (op != MGR__OP__OP_QUEUE_GET_COUNTED) {
		*ans = sv_move(&it->v);
		return;
	}
	ans->vec->items[0] = sv_int(it->deliveries);
	ans->vec->items[1] = sv_move(&it->v);
	ans->vec->len      = 2;
}

/* Hands *it (moved out when 0) to parked getter g: noted as taken, then
 * answered. MGR_ENOMEM: *it kept, g still parked. */
static int
hand_to(mobj *o, waiter *g, qitem *it)
{
	sval ans;
	int  rc = answer_new(g->op, &ans);
	if (rc == 0 && (rc = note_taken(o, g->sess, it)) != 0) {
		sv_free(&ans);
	}
	if (rc == 0) {
		answer_fill(g->op, &ans, it);
		waiter_done(g, 0, &ans);
	}
	return rc;
}

/* Hands head items to parked getters that can still be answered. */
static void
hand_to_getters(mobj *o)
{
	squeue *q = o->data;
	waiter *g;
	while (q->st.items.len > 0
	    && (g = wlist_first_live(&q->getters)) != NULL) {
		qitem item;
		qs_take(&q->st, &item);
		if (hand_to(o, g, &item) != 0) {
			qs_give_back(&q->st, &item); // try again later
			return;
		}
	}
}

/* A session ended: what it took from an acknowledged queue and did not
 * mark done goes back to the front, in order, to the next getters. */
static void
queue_session_end(mobj *o, struct session *s)
{
	squeue *q = o->data;
	if (q->ack && qs_return_taken(&q->st, session_id(s)) > 0) {
		hand_to_getters(o);
	}
}

/* A reconnecting getter or putter came back: what it was passed over
 * for (items, room) is handed out again. */
static void queue_wake(mobj *o);

static size_t
queue_size(const mobj *o)
{
	const squeue *q = o->data;
	return q->st.items.len;
}

/* maxsize (0: unbounded), tasks not done, items taken and not yet
 * acknowledged, and the waiting getters and putters. */
static void
queue_describe(const mobj *o, report *r, sval *d)
{
	const squeue *q = o->data;
	report_put_int(r, d, "maxsize", (int64_t) q->maxsize);
	report_put_int(r, d, "unfinished", (int64_t) q->unfinished);
	report_put(r, d, "acknowledged", sv_bool(q->ack));
	report_put_str(r, d, "order",
	    q->st.order == MGR_QUEUE_LIFO           ? "lifo"
	        : q->st.order == MGR_QUEUE_PRIORITY ? "priority"
	                                            : "fifo");
	report_put_int(r, d, "unacknowledged", (int64_t) q->st.ntaken);
	report_put_int(r, d, "done", (int64_t) q->done);
	report_put_int(r, d, "getters", (int64_t) q->getters.len);
	report_put_int(r, d, "putters", (int64_t) q->putters.len);
}

bool
queue_figures_of(const mobj *o, queue_figures *f)
{
	if (o == NULL || o->type != &queue_type || o->data == NULL) {
		return false;
	}
	const squeue *q = o->data;
	*f              = (queue_figures) { .waiting = q->st.items.len,
		             .in_progress            = q->st.ntaken,
		             .getters                = q->getters.len,
		             .done                   = q->done };
	return true;
}

/* The items, the next get's first (a priority queue's: the smallest,
 * then the rest in heap order). */
static void
queue_entries(const mobj *o, size_t                                max,
    void (*fn)(void *arg, const sval *key, const sval *val), void *arg)
{
	const squeue *q = o->data;
	for (size_t i = 0; i < max && i < q->st.items.len; i++) {
		fn(arg, NULL, &qs_at(&q->st, i)->v);
	}
}

/* A snapshot's image of it (snapshot.c): [maxsize, ack, order,
 * unfinished, done], then its items as stored, each [deliveries, value],
 * then those taken and not done, each [session id, deliveries, value].
 * Its parked getters, putters and joiners are not kept (the log has
 * them as waiters). */
static int
queue_save(mobj *o, struct snap_out *out)
{
	const squeue *q = o->data;
	sval head[5]    = { sv_int((int64_t) q->maxsize), sv_bool(q->ack),
		   sv_int(q->st.order), sv_int((int64_t) q->unfinished),
		   sv_int((int64_t) q->done) };
	int  rv         = snap_put_list(out, 0, head, 5);
	for (size_t i = 0; i < q->st.items.len + q->st.ntaken && rv == 0;
	     i++) {
		bool         waiting = i < q->st.items.len;
		const qitem *it      = waiting
		         ? qs_stored(&q->st, i)
		         : &q->st.taken[i - q->st.items.len].item;
		sval         e;
		if ((rv = sv_new_list(&e, SV_LIST, 3)) != 0) {
			break;
		}
		sval sid = sv_int(waiting
		        ? 0
		        : (int64_t) q->st.taken[i - q->st.items.len].sid);
		sval n   = sv_int(it->deliveries), v;
		if ((waiting || (rv = svec_append(e.vec, &sid)) == 0)
		    && (rv = svec_append(e.vec, &n)) == 0
		    && (rv = sv_copy(&v, &it->v)) == 0
		    && (rv = svec_append(e.vec, &v)) != 0) {
			sv_free(&v);
		}
		rv = rv == 0 ? snap_elem_move(out, &e) : rv;
		sv_free(&e);
	}
	return rv;
}

static int
queue_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	int64_t f[5];
	if (part == 1) {
		bool ok = true;
		for (size_t i = 0; i < 5 && ok; i++) {
			ok = snap_int(image, i, &f[i]) && f[i] >= 0;
		}
		if (!ok
		    || (f[2] != MGR_QUEUE_FIFO && f[2] != MGR_QUEUE_LIFO
		        && f[2] != MGR_QUEUE_PRIORITY)) {
			return snap_bad(in,
			    "a queue's image is its maxsize, "
			    "ack, order and task counts");
		}
		squeue *q = calloc(1, sizeof(*q));
		if (q == NULL) {
			return snap_bad(in, "out of memory");
		}
		q->maxsize    = (size_t) f[0];
		q->ack        = f[1] != 0;
		q->st.order   = (int) f[2];
		q->unfinished = (uint64_t) f[3];
		q->done       = (uint64_t) f[4];
		o->data       = q;
		return 0;
	}
	squeue *q = o->data;
	for (size_t i = 0; snap_item(image, i) != NULL; i++) {
		sval   *e   = snap_item(image, i);
		size_t  n   = e->kind == SV_LIST ? svec_len(e->vec) : 0;
		int64_t sid = 0, deliveries;
		if ((n != 2 && n != 3) || (n == 3 && !snap_int(e, 0, &sid))
		    || !snap_int(e, n - 2, &deliveries) || deliveries < 0) {
			return snap_bad(in,
			    "a queue's item is [deliveries, "
			    "value] or [session, deliveries, "
			    "value]");
		}
		qitem it
		    = { sv_move(snap_item(e, n - 1)), (uint32_t) deliveries };
		if (n == 2) {
			if (qs_restore(&q->st, &it) != 0) {
				sv_free(&it.v);
				return snap_bad(in, "out of memory");
			}
			continue;
		}
		session *s  = snap_session(in, (uint64_t) sid);
		int      rc = s == NULL ? MGR_EPROTO
		                        : qs_note_taken(&q->st, s->id, &it);
		sv_free(&it.v);
		if (rc == 0) {
			rc = session_touch(s, o);
		}
		if (rc != 0) {
			return snap_bad(in,
			    s == NULL ? "an item taken by no "
			                "session"
			              : "out of memory");
		}
	}
	return 0;
}

const mtype queue_type = {
	.code         = MGR__OBJ_TYPE__OBJ_QUEUE,
	.name         = "queue",
	.create       = queue_create,
	.destroy      = queue_destroy,
	.destroy_some = queue_destroy_some,
	.each_ref     = queue_each_ref,
	.expire       = queue_expire,
	.session_end  = queue_session_end,
	.wake         = queue_wake,
	// A cancelled getter or putter needs nothing: the getter never got
	// an item, and the putter's item is freed with it (Python loses it).
	.size     = queue_size,
	.describe = queue_describe,
	.entries  = queue_entries,
	.save     = queue_save,
	.load     = queue_load,
};

/* Moves parked putters' items in while there is room, in arrival order. */
static void
admit_putters(squeue *q)
{
	waiter *w;
	while (!sq_full(q) && (w = wlist_first_live(&q->putters)) != NULL) {
		int rc = sq_put(q, &w->val);
		if (rc == MGR_ENOMEM) {
			return; // out of memory: it stays parked
		}
		waiter_done(w, rc, NULL); // or unorderable: refused
	}
}

static void
queue_wake(mobj *o)
{
	hand_to_getters(o);
	admit_putters(o->data);
	hand_to_getters(o);
}

/* PUT item, with the request's timeout. */
static int
h_put(mctx *c)
{
	squeue *q  = target_queue(c);
	int     rc = mctx_check_timeout(c);
	if (rc != 0) {
		return rc;
	}
	waiter *g = wlist_first_live(&q->getters);
	if (g != NULL) {
		// The queue is empty: the first getter that can still be
		// answered takes the item at once.
		qitem it = { sv_move(&c->args[0]), 0 };
		if ((rc = hand_to(c->obj, g, &it)) != 0) {
			c->args[0] = sv_move(&it.v);
			return mctx_fail(c, rc, "out of memory");
		}
		q->unfinished++;
		return 0;
	}
	if (!sq_full(q) && wlist_first_live(&q->putters) == NULL) {
		if ((rc = mctx_check_room(c, q->st.items.len, 1)) != 0) {
			return rc;
		}
		if ((rc = sq_put(q, &c->args[0])) != 0) {
			return mctx_fail(c, rc,
			    rc == MGR_ETYPE
			        ? "'<' not supported between this "
			          "item and the queue's (a "
			          "priority queue orders them)"
			        : "out of memory");
		}
		return 0;
	}
	if (c->rq->timeout_ms == 0) {
		return mctx_fail(c, MGR_EFULL,
		    "queue.Full: the queue is full "
		    "(maxsize %zu)",
		    q->maxsize);
	}
	waiter *w;
	if ((rc = wait_park(c, &q->putters, &w)) == MGR_PENDING) {
		w->val = sv_move(&c->args[0]);
	}
	return rc;
}

/* Answers the joiners when all is done. */
static void
wake_joiners(squeue *q, bool all_done)
{
	while (all_done && q->joiners.head != NULL) {
		waiter_done(q->joiners.head, 0, NULL);
	}
}

/* A get of op (GET or GET_COUNTED: answer_new), with the request's
 * timeout. */
static int
get_as(mctx *c, int op)
{
	squeue *q  = target_queue(c);
	int     rc = mctx_check_timeout(c);
	if (rc != 0) {
		return rc;
	}
	if (q->st.items.len > 0) {
		sval ans;
		if ((rc = answer_new(op, &ans)) != 0
		    || (rc = note_taken(c->obj, c->sess, qs_next(&q->st)))
		        != 0) {
			sv_free(&ans);
			return mctx_fail(c, rc, "out of memory");
		}
		qitem it;
		qs_take(&q->st, &it);
		answer_fill(op, &ans, &it);
		c->res = ans;
		admit_putters(q);
		return 0;
	}
	if (c->rq->timeout_ms == 0) {
		return mctx_fail(
		    c, MGR_EEMPTY, "queue.Empty: the queue is empty");
	}
	return wait_park(c, &q->getters, NULL);
}

/* GET -> the head item. */
static int
h_get(mctx *c)
{
	return get_as(c, MGR__OP__OP_QUEUE_GET);
}

/* GET_COUNTED -> [deliveries, the head item]: deliveries counts the
 * times it was handed out before (an acknowledged queue's item comes
 * back when its taker's session ends before task_done). */
static int
h_get_counted(mctx *c)
{
	return get_as(c, MGR__OP__OP_QUEUE_GET_COUNTED);
}

/* REMOVE item -> whether an item equal to it was waiting (the first such,
 * in the order gets take them, is dropped). Items taken and not yet done
 * are not waiting: removing decides atomically against every get, as a
 * pool's cancel needs. The removed item's task counts as done (join
 * would wait for ever on it otherwise), and a parked putter may come in. */
static int
h_remove(mctx *c)
{
	squeue *q = target_queue(c);
	size_t  slot;
	int rc = mctx_walk(c, MCTX_SEARCH, q->st.items.len, "queue.remove");
	if (rc != 0) {
		return rc;
	}
	c->res = sv_bool(qs_find(&q->st, &c->args[0], &slot));
	if (!c->res.b) {
		return 0;
	}
	qs_drop(&q->st, slot);
	bool all_done = false;
	(void) sq_task_done(q, &all_done);
	wake_joiners(q, all_done);
	admit_putters(q);
	return 0;
}

/* Frees q's waiting items (not those taken): a big queue's a slice at a
 * time, its ring handed to a queue of its own let go (store.c). How many
 * there were. */
static size_t
purge(mctx *c, squeue *q)
{
	size_t n = q->st.items.len;
	if (n <= STORE_FREE_MIN) {
		return qs_purge(&q->st);
	}
	squeue *gone = calloc(1, sizeof(*gone));
	if (gone == NULL) {
		return qs_purge(&q->st); // at once, then
	}
	gone->st.items = q->st.items;
	gone->st.order = q->st.order;
	q->st.items    = (qring) { 0 };
	store_free_later(c->srv, c->obj->type, gone);
	return n;
}

/* PURGE -> how many waiting items were dropped (RabbitMQ's purge): each
 * counts as a task done, so join does not wait for them; items taken and
 * not yet done stay theirs. Parked putters come in. */
static int
h_purge(mctx *c)
{
	squeue  *q      = target_queue(c);
	size_t   n      = purge(c, q);
	uint64_t before = q->unfinished;
	q->unfinished -= n < before ? n : before;
	c->res = sv_int((int64_t) n);
	wake_joiners(q, before > 0 && q->unfinished == 0);
	admit_putters(q);
	return 0;
}

/* PEEK [start [stop]] -> the waiting items [start:stop] in the order
 * gets take them (a priority queue's sorted), copies: nothing is taken.
 * As a list slice, negative indexes count from the end. At most
 * PEEK_MAX items. */
#define PEEK_MAX 10000
static int
h_peek(mctx *c)
{
	squeue *q     = target_queue(c);
	int64_t start = 0, stop = INT64_MAX;
	int     rv;
	if ((c->nargs > 0 && (rv = mctx_arg_int(c, 0, &start)) != 0)
	    || (c->nargs > 1 && (rv = mctx_arg_int(c, 1, &stop)) != 0)) {
		return rv;
	}
	size_t len = q->st.items.len;
	size_t lo = svec_clamp(start, len), hi = svec_clamp(stop, len);
	if (hi < lo) {
		hi = lo;
	}
	if (hi - lo > PEEK_MAX) {
		return mctx_fail(c, MGR_ETOOBIG,
		    "peek gives at most %d items (%zu asked): page through "
		    "with start and stop",
		    PEEK_MAX, hi - lo);
	}
	// A priority queue keeps a heap: its get order is the items sorted.
	bool sorted = q->st.order == MGR_QUEUE_PRIORITY;
	if (sorted
	    && (rv = mctx_check_elements(c, len, "peek on a priority queue"))
	        != 0) {
		return rv;
	}
	size_t from = sorted ? 0 : lo, to = sorted ? len : hi;
	if ((rv = sv_new_list(&c->res, SV_LIST, to - from)) != 0) {
		return mctx_fail(c, rv, "out of memory");
	}
	for (size_t i = from; i < to && rv == 0; i++) {
		sval v;
		if ((rv = sv_copy(&v, &qs_at(&q->st, i)->v)) == 0
		    && (rv = svec_append(c->res.vec, &v)) != 0) {
			sv_free(&v);
		}
	}
	if (rv == 0 && sorted) {
		const sval *a, *b;
		svec       *part;
		if ((rv = svec_sort(c->res.vec, false, &a, &b)) == 0
		    && (rv = svec_slice(
		            c->res.vec, (int64_t) lo, (int64_t) hi, &part))
		        == 0) {
			sv_free(&c->res);
			c->res = (sval) { .kind = SV_LIST, .vec = part };
		}
	}
	return rv == 0 ? 0 : mctx_fail(c, rv, "peek: %s", mgr_strerror(rv));
}

/* CONTAINS item -> whether an item equal to it is waiting. */
static int
h_contains(mctx *c)
{
	size_t slot;
	int    rc = mctx_walk(
	       c, MCTX_SEARCH, target_queue(c)->st.items.len, "queue.contains");
	if (rc != 0) {
		return rc;
	}
	c->res = sv_bool(qs_find(&target_queue(c)->st, &c->args[0], &slot));
	return 0;
}

static int
h_qsize(mctx *c)
{
	c->res = sv_int((int64_t) target_queue(c)->st.items.len);
	return 0;
}

static int
h_empty(mctx *c)
{
	c->res = sv_bool(target_queue(c)->st.items.len == 0);
	return 0;
}

static int
h_full(mctx *c)
{
	c->res = sv_bool(sq_full(target_queue(c)));
	return 0;
}

static int
h_task_done(mctx *c)
{
	squeue *q = target_queue(c);
	bool    all_done;
	// Acknowledged: it completes this session's oldest item taken.
	if (q->ack && !qs_forget_taken(&q->st, session_id(c->sess))) {
		return mctx_fail(c, MGR_ESTATE,
		    "task_done(): this session has no unfinished item of "
		    "this "
		    "acknowledged queue");
	}
	if (sq_task_done(q, &all_done) != 0) {
		return mctx_fail(
		    c, MGR_ESTATE, "task_done() called too many times");
	}
	wake_joiners(q, all_done);
	admit_putters(q); // an item in progress no longer counts
	return 0;
}

/* JOIN: until every item put has been task_done, with the timeout. */
static int
h_join(mctx *c)
{
	squeue *q  = target_queue(c);
	int     rc = mctx_check_timeout(c);
	if (rc != 0) {
		return rc;
	}
	if (q->unfinished == 0) {
		return 0;
	}
	if (c->rq->timeout_ms == 0) {
		return mctx_fail(c, MGR_ETIMEDOUT,
		    "join timed out with %llu unfinished tasks",
		    (unsigned long long) q->unfinished);
	}
	return wait_park(c, &q->joiners, NULL);
}

#define T_QUEUE MT(MGR__OBJ_TYPE__OBJ_QUEUE)

const mop queue_ops[] = {
	{ MGR__OP__OP_QUEUE_PUT, T_QUEUE, 1, 1,
	    MOP_WRITE | MOP_BLOCKS | MOP_GROWS, h_put },
	{ MGR__OP__OP_QUEUE_GET, T_QUEUE, 0, 0, MOP_WRITE | MOP_BLOCKS,
	    h_get },
	{ MGR__OP__OP_QUEUE_QSIZE, T_QUEUE, 0, 0, 0, h_qsize },
	{ MGR__OP__OP_QUEUE_EMPTY, T_QUEUE, 0, 0, 0, h_empty },
	{ MGR__OP__OP_QUEUE_FULL, T_QUEUE, 0, 0, 0, h_full },
	{ MGR__OP__OP_QUEUE_TASK_DONE, T_QUEUE, 0, 0, MOP_WRITE,
	    h_task_done },
	{ MGR__OP__OP_QUEUE_JOIN, T_QUEUE, 0, 0, MOP_BLOCKS, h_join },
	{ MGR__OP__OP_QUEUE_GET_COUNTED, T_QUEUE, 0, 0,
	    MOP_WRITE | MOP_BLOCKS, h_get_counted },
	{ MGR__OP__OP_QUEUE_REMOVE, T_QUEUE, 1, 1, MOP_WRITE, h_remove },
	{ MGR__OP__OP_QUEUE_CONTAINS, T_QUEUE, 1, 1, 0, h_contains },
	{ MGR__OP__OP_QUEUE_PEEK, T_QUEUE, 0, 2, 0, h_peek },
	{ MGR__OP__OP_QUEUE_PURGE, T_QUEUE, 0, 0, MOP_WRITE, h_purge },
	{ 0 },
};
