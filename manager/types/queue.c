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

#include "report.h"
#include "wait.h"

/* ==== pure data: a ring of values and the task count ==================== */

typedef struct sring {
	sval  *items; /* cap slots; len of them from head on, wrapping */
	size_t cap;
	size_t head;
	size_t len;
} sring;

/* Moves the items to a new array of cap slots (>= len), head at slot 0.
 * MGR_ENOMEM (nothing changed). */
static int
sring_resize(sring *r, size_t cap)
{
	if (cap > SIZE_MAX / sizeof(sval) / 2) {
		return MGR_ENOMEM;
	}
	sval *n = malloc(cap * sizeof(sval));
	if (n == NULL) {
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < r->len; i++) {
		n[i] = r->items[(r->head + i) % r->cap];
	}
	free(r->items);
	r->items = n;
	r->cap   = cap;
	r->head  = 0;
	return 0;
}

/* Appends *v (moving). MGR_ENOMEM (nothing taken). */
static int
sring_push(sring *r, sval *v)
{
	if (r->len == r->cap) {
		int rc = sring_resize(r, r->cap ? r->cap * 2 : 16);
		if (rc != 0) {
			return rc;
		}
	}
	r->items[(r->head + r->len) % r->cap] = sv_move(v);
	r->len++;
	return 0;
}

/* Puts *v (moving) in front of the head item. MGR_ENOMEM. */
static int
sring_push_front(sring *r, sval *v)
{
	if (r->len == r->cap) {
		int rc = sring_resize(r, r->cap ? r->cap * 2 : 16);
		if (rc != 0) {
			return rc;
		}
	}
	r->head           = (r->head + r->cap - 1) % r->cap;
	r->items[r->head] = sv_move(v);
	r->len++;
	return 0;
}

/* Moves the tail item (the newest) to *out; the ring must not be empty. */
static void
sring_pop_back(sring *r, sval *out)
{
	*out = sv_move(&r->items[(r->head + r->len - 1) % r->cap]);
	r->len--;
	if (r->len == 0) {
		r->head = 0;
	}
	if (r->cap > 64 && r->len < r->cap / 4) {
		sring_resize(r, r->cap / 2); // on failure it just stays big
	}
}

/* Moves the head item to *out; the ring must not be empty. A ring that
 * has shrunk to a quarter of its room gives half of it back (a burst of
 * items must not pin its memory); that leaves room for the next push. */
static void
sring_pop(sring *r, sval *out)
{
	*out    = sv_move(&r->items[r->head]);
	r->head = (r->head + 1) % r->cap;
	r->len--;
	if (r->len == 0) {
		r->head = 0;
	}
	if (r->cap > 64 && r->len < r->cap / 4) {
		sring_resize(r, r->cap / 2); // on failure it just stays big
	}
}

static void
sring_fini(sring *r)
{
	for (size_t i = 0; i < r->len; i++) {
		sv_free(&r->items[(r->head + i) % r->cap]);
	}
	free(r->items);
	*r = (sring) { 0 };
}

/* ---- a priority queue's heap: the ring with head 0, a binary min-heap
 * by Python's ordering (heapq's, as queue.PriorityQueue uses) */

/* Whether a < b; an unorderable pair (MGR_ETYPE) counts as not less. */
static bool
heap_less(const sval *a, const sval *b, int *rc)
{
	int cmp = 0;
	int r   = sv_compare(a, b, &cmp);
	if (r != 0 && rc != NULL && *rc == 0) {
		*rc = r;
	}
	return r == 0 && cmp < 0;
}

static void
heap_swap(sring *r, size_t i, size_t j)
{
	sval t      = r->items[i];
	r->items[i] = r->items[j];
	r->items[j] = t;
}

/* Pushes *v (moving). MGR_ETYPE when it cannot be ordered against the
 * items it meets on its way up (nothing taken: Python's put raises
 * TypeError), MGR_ENOMEM. */
static int
heap_push(sring *r, sval *v)
{
	// The comparisons first, on the path the item would take: a refused
	// item leaves the heap as it was.
	int rc = 0;
	for (size_t i = r->len; i > 0 && rc == 0;) {
		size_t parent = (i - 1) / 2;
		if (!heap_less(v, &r->items[parent], &rc)) {
			break;
		}
		i = parent;
	}
	if (rc != 0) {
		return rc;
	}
	if ((rc = sring_push(r, v)) != 0) {
		return rc;
	}
	for (size_t i = r->len - 1; i > 0;) {
		size_t parent = (i - 1) / 2;
		if (!heap_less(&r->items[i], &r->items[parent], NULL)) {
			break;
		}
		heap_swap(r, i, parent);
		i = parent;
	}
	return 0;
}

/* Moves the smallest item to *out; the heap must not be empty. */
static void
heap_pop(sring *r, sval *out)
{
	heap_swap(r, 0, r->len - 1);
	sring_pop_back(r, out);
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < r->len
		    && heap_less(&r->items[l], &r->items[m], NULL)) {
			m = l;
		}
		if (l + 1 < r->len
		    && heap_less(&r->items[l + 1], &r->items[m], NULL)) {
			m = l + 1;
		}
		if (m == i) {
			break;
		}
		heap_swap(r, i, m);
		i = m;
	}
}

/* An item a session got from an acknowledged queue and has not yet
 * marked done: a copy is kept, to go back to the queue if the session
 * ends first (as RabbitMQ's unacknowledged messages and SQS's visibility
 * do). */
typedef struct taken_item {
	uint64_t sid; /* the session's id */
	sval     item;
} taken_item;

typedef struct squeue {
	sring       items;      /* FIFO and LIFO: a ring; priority: a heap */
	int         order;      /* MGR_QUEUE_FIFO, _LIFO or _PRIORITY */
	size_t      maxsize;    /* 0: unbounded */
	uint64_t    unfinished; /* items put and not yet task_done */
	wlist       getters;
	wlist       putters; /* each holds its item in val */
	wlist       joiners;
	bool        ack;   /* acknowledged: items taken are kept until done */
	taken_item *taken; /* in the order they were taken */
	size_t      ntaken, captaken;
} squeue;

static bool
sq_full(const squeue *q)
{
	return q->maxsize > 0 && q->items.len >= q->maxsize;
}

/* Stores *v (moving) where the queue's order puts it. MGR_ETYPE (a
 * priority queue's unorderable item), MGR_ENOMEM: nothing taken. */
static int
sq_store(squeue *q, sval *v)
{
	return q->order == MGR_QUEUE_PRIORITY ? heap_push(&q->items, v)
	                                      : sring_push(&q->items, v);
}

/* The item the next get takes (the queue must not be empty). */
static sval *
sq_next(squeue *q)
{
	sring *r = &q->items;
	return q->order == MGR_QUEUE_LIFO
	    ? &r->items[(r->head + r->len - 1) % r->cap]
	    : &r->items[r->head];
}

/* Moves the item the next get takes to *out (not empty). */
static void
sq_take(squeue *q, sval *out)
{
	if (q->order == MGR_QUEUE_LIFO) {
		sring_pop_back(&q->items, out);
	} else if (q->order == MGR_QUEUE_PRIORITY) {
		heap_pop(&q->items, out);
	} else {
		sring_pop(&q->items, out);
	}
}

/* Puts *v (moving) back where the next get takes it from: an item given
 * back (a dead session's, or one that could not be handed out). A
 * priority queue orders it again (unorderable now: last, still kept).
 * MGR_ENOMEM. */
static int
sq_give_back(squeue *q, sval *v)
{
	if (q->order == MGR_QUEUE_LIFO) {
		return sring_push(&q->items, v);
	}
	if (q->order == MGR_QUEUE_PRIORITY) {
		int rc = heap_push(&q->items, v);
		return rc == MGR_ETYPE ? sring_push(&q->items, v) : rc;
	}
	return sring_push_front(&q->items, v);
}

/* Stores an item (moving) and counts it as a task, as Python's put does;
 * the caller checked that there is room. MGR_ETYPE, MGR_ENOMEM. */
static int
sq_put(squeue *q, sval *v)
{
	int rc = sq_store(q, v);
	if (rc == 0) {
		q->unfinished++;
	}
	return rc;
}

/* Keeps a copy of item, taken by session sid (acknowledged queues).
 * MGR_ENOMEM. */
static int
sq_note_taken(squeue *q, uint64_t sid, const sval *item)
{
	if (q->ntaken == q->captaken) {
		size_t      cap = q->captaken ? q->captaken * 2 : 8;
		taken_item *n   = realloc(q->taken, cap * sizeof(*n));
		if (n == NULL) {
			return MGR_ENOMEM;
		}
		q->taken    = n;
		q->captaken = cap;
	}
	int rc = sv_copy(&q->taken[q->ntaken].item, item);
	if (rc == 0) {
		q->taken[q->ntaken++].sid = sid;
	}
	return rc;
}

/* Forgets the oldest item session sid took. False when it took none. */
static bool
sq_forget_taken(squeue *q, uint64_t sid)
{
	for (size_t i = 0; i < q->ntaken; i++) {
		if (q->taken[i].sid == sid) {
			sv_free(&q->taken[i].item);
			memmove(&q->taken[i], &q->taken[i + 1],
			    (q->ntaken - i - 1) * sizeof(*q->taken));
			q->ntaken--;
			return true;
		}
	}
	return false;
}

/* Puts back, at the front of the queue in the order they were taken, the
 * items session sid took and did not mark done. Their tasks stay
 * unfinished. Returns how many. */
static size_t
sq_return_taken(squeue *q, uint64_t sid)
{
	size_t back = 0;
	for (size_t i = q->ntaken; i-- > 0;) {
		if (q->taken[i].sid != sid) {
			continue;
		}
		// Newest first to the front: the oldest ends up at the head
		// (for a LIFO queue: the oldest is taken last).
		if (sq_give_back(q, &q->taken[i].item) != 0) {
			sv_free(&q->taken[i].item); // out of memory: lost
		}
		memmove(&q->taken[i], &q->taken[i + 1],
		    (q->ntaken - i - 1) * sizeof(*q->taken));
		q->ntaken--;
		back++;
	}
	return back;
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
	q->maxsize = maxsize > 0 ? (size_t) maxsize : 0;
	q->ack     = ack;
	q->order   = (int) order;
	o->data    = q;
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
	sring_fini(&q->items);
	for (size_t i = 0; i < q->ntaken; i++) {
		sv_free(&q->taken[i].item);
	}
	free(q->taken);
	free(q);
	o->data = NULL;
}

static void
queue_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	squeue *q = o->data;
	for (size_t i = 0; i < q->items.len; i++) {
		sv_each_ref(
		    &q->items.items[(q->items.head + i) % q->items.cap], fn,
		    arg);
	}
	// Items of parked putters are held too, until they go in or away,
	// and the copies of items taken and not yet done.
	for (waiter *w = q->putters.head; w != NULL; w = w->next) {
		sv_each_ref(&w->val, fn, arg);
	}
	for (size_t i = 0; i < q->ntaken; i++) {
		sv_each_ref(&q->taken[i].item, fn, arg);
	}
}

/* A deadline passed: the timed-out get is Python's Empty, put its Full. */
static void
queue_expire(mobj *o, waiter *w)
{
	(void) o;
	waiter_done(w,
	    w->op == MGR__OP__OP_QUEUE_GET       ? MGR_EEMPTY
	        : w->op == MGR__OP__OP_QUEUE_PUT ? MGR_EFULL
	                                         : MGR_ETIMEDOUT,
	    NULL);
}

/* An item going to session sess (a get answered, a parked getter
 * handed it): an acknowledged queue keeps a copy until sess marks it
 * done, and its session_end hook is to run for sess. MGR_ENOMEM. */
static int
note_taken(mobj *o, struct session *sess, const sval *item)
{
	squeue *q = o->data;
	if (!q->ack) {
		return 0;
	}
	int rc = session_touch(sess, o);
	return rc != 0 ? rc : sq_note_taken(q, session_id(sess), item);
}

/* Hands head items to parked getters that can still be answered. */
static void
hand_to_getters(mobj *o)
{
	squeue *q = o->data;
	waiter *g;
	while (
	    q->items.len > 0 && (g = wlist_first_live(&q->getters)) != NULL) {
		sval item;
		sq_take(q, &item);
		if (note_taken(o, g->sess, &item) != 0) {
			sq_give_back(q, &item); // try again later
			return;
		}
		waiter_done(g, 0, &item);
	}
}

/* A session ended: what it took from an acknowledged queue and did not
 * mark done goes back to the front, in order, to the next getters. */
static void
queue_session_end(mobj *o, struct session *s)
{
	squeue *q = o->data;
	if (q->ack && sq_return_taken(q, session_id(s)) > 0) {
		hand_to_getters(o);
	}
}

static size_t
queue_size(const mobj *o)
{
	const squeue *q = o->data;
	return q->items.len;
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
	    q->order == MGR_QUEUE_LIFO           ? "lifo"
	        : q->order == MGR_QUEUE_PRIORITY ? "priority"
	                                         : "fifo");
	report_put_int(r, d, "unacknowledged", (int64_t) q->ntaken);
	report_put_int(r, d, "getters", (int64_t) q->getters.len);
	report_put_int(r, d, "putters", (int64_t) q->putters.len);
}

/* The items, the next get's first (a priority queue's: the smallest,
 * then the rest in heap order). */
static void
queue_entries(const mobj *o, size_t                                max,
    void (*fn)(void *arg, const sval *key, const sval *val), void *arg)
{
	const squeue *q    = o->data;
	const sring  *ring = &q->items;
	for (size_t i = 0; i < max && i < ring->len; i++) {
		size_t k = q->order == MGR_QUEUE_LIFO ? ring->len - 1 - i : i;
		fn(arg, NULL, &ring->items[(ring->head + k) % ring->cap]);
	}
}

const mtype queue_type = {
	.code        = MGR__OBJ_TYPE__OBJ_QUEUE,
	.name        = "queue",
	.create      = queue_create,
	.destroy     = queue_destroy,
	.each_ref    = queue_each_ref,
	.expire      = queue_expire,
	.session_end = queue_session_end,
	// A cancelled getter or putter needs nothing: the getter never got
	// an item, and the putter's item is freed with it (Python loses it).
	.size     = queue_size,
	.describe = queue_describe,
	.entries  = queue_entries,
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
		if ((rc = note_taken(c->obj, g->sess, &c->args[0])) != 0) {
			return mctx_fail(c, rc, "out of memory");
		}
		q->unfinished++;
		waiter_done(g, 0, &c->args[0]);
		return 0;
	}
	if (!sq_full(q) && wlist_first_live(&q->putters) == NULL) {
		if ((rc = mctx_check_room(c, q->items.len, 1)) != 0) {
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

/* GET -> the head item, with the request's timeout. */
static int
h_get(mctx *c)
{
	squeue *q  = target_queue(c);
	int     rc = mctx_check_timeout(c);
	if (rc != 0) {
		return rc;
	}
	if (q->items.len > 0) {
		if ((rc = note_taken(c->obj, c->sess, sq_next(q))) != 0) {
			return mctx_fail(c, rc, "out of memory");
		}
		sq_take(q, &c->res);
		admit_putters(q);
		return 0;
	}
	if (c->rq->timeout_ms == 0) {
		return mctx_fail(
		    c, MGR_EEMPTY, "queue.Empty: the queue is empty");
	}
	return wait_park(c, &q->getters, NULL);
}

static int
h_qsize(mctx *c)
{
	c->res = sv_int((int64_t) target_queue(c)->items.len);
	return 0;
}

static int
h_empty(mctx *c)
{
	c->res = sv_bool(target_queue(c)->items.len == 0);
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
	if (q->ack && !sq_forget_taken(q, session_id(c->sess))) {
		return mctx_fail(c, MGR_ESTATE,
		    "task_done(): this session has no unfinished item of "
		    "this "
		    "acknowledged queue");
	}
	if (sq_task_done(q, &all_done) != 0) {
		return mctx_fail(
		    c, MGR_ESTATE, "task_done() called too many times");
	}
	if (all_done) {
		while (q->joiners.head != NULL) {
			waiter_done(q->joiners.head, 0, NULL);
		}
	}
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
	{ 0 },
};
