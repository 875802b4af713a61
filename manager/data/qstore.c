/* qstore (qstore.h): the ring, the heap and the items in progress. */
#include <stdlib.h>
#include <string.h>

#include "mgr.h"
#include "qstore.h"

/* Takes *x, leaving SV_NONE behind. */
static qitem
qi_move(qitem *x)
{
	return (qitem) { sv_move(&x->v), x->deliveries };
}

/* Moves the items to a new array of cap slots (>= len), head at slot 0.
 * MGR_ENOMEM (nothing changed). */
static int
qring_resize(qring *r, size_t cap)
{
	if (cap > SIZE_MAX / sizeof(qitem) / 2) {
		return MGR_ENOMEM;
	}
	qitem *n = malloc(cap * sizeof(qitem));
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
qring_push(qring *r, qitem *v)
{
	if (r->len == r->cap) {
		int rc = qring_resize(r, r->cap ? r->cap * 2 : 16);
		if (rc != 0) {
			return rc;
		}
	}
	r->items[(r->head + r->len) % r->cap] = qi_move(v);
	r->len++;
	return 0;
}

/* Puts *v (moving) in front of the head item. MGR_ENOMEM. */
static int
qring_push_front(qring *r, qitem *v)
{
	if (r->len == r->cap) {
		int rc = qring_resize(r, r->cap ? r->cap * 2 : 16);
		if (rc != 0) {
			return rc;
		}
	}
	r->head           = (r->head + r->cap - 1) % r->cap;
	r->items[r->head] = qi_move(v);
	r->len++;
	return 0;
}

/* Moves the tail item (the newest) to *out; the ring must not be empty. */
static void
qring_pop_back(qring *r, qitem *out)
{
	*out = qi_move(&r->items[(r->head + r->len - 1) % r->cap]);
	r->len--;
	if (r->len == 0) {
		r->head = 0;
	}
	if (r->cap > 64 && r->len < r->cap / 4) {
		qring_resize(r, r->cap / 2); // on failure it just stays big
	}
}

/* Moves the head item to *out; the ring must not be empty. A ring that
 * has shrunk to a quarter of its room gives half of it back (a burst of
 * items must not pin its memory); that leaves room for the next push. */
static void
qring_pop(qring *r, qitem *out)
{
	*out    = qi_move(&r->items[r->head]);
	r->head = (r->head + 1) % r->cap;
	r->len--;
	if (r->len == 0) {
		r->head = 0;
	}
	if (r->cap > 64 && r->len < r->cap / 4) {
		qring_resize(r, r->cap / 2); // on failure it just stays big
	}
}

static void
qring_fini(qring *r)
{
	for (size_t i = 0; i < r->len; i++) {
		sv_free(&r->items[(r->head + i) % r->cap].v);
	}
	free(r->items);
	*r = (qring) { 0 };
}

/* ---- a priority queue's heap: the ring with head 0, a binary min-heap
 * by Python's ordering (heapq's, as queue.PriorityQueue uses) */

/* Whether a < b; an unorderable pair (MGR_ETYPE) counts as not less. */
static bool
heap_less(const qitem *a, const qitem *b, int *rc)
{
	int cmp = 0;
	int r   = sv_compare(&a->v, &b->v, &cmp);
	if (r != 0 && rc != NULL && *rc == 0) {
		*rc = r;
	}
	return r == 0 && cmp < 0;
}

static void
heap_swap(qring *r, size_t i, size_t j)
{
	qitem t     = r->items[i];
	r->items[i] = r->items[j];
	r->items[j] = t;
}

/* Moves item i up to where it belongs. */
static void
heap_sift_up(qring *r, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!heap_less(&r->items[i], &r->items[parent], NULL)) {
			break;
		}
		heap_swap(r, i, parent);
		i = parent;
	}
}

/* Pushes *v (moving). MGR_ETYPE when it cannot be ordered against the
 * items it meets on its way up (nothing taken: Python's put raises
 * TypeError), MGR_ENOMEM. */
static int
heap_push(qring *r, qitem *v)
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
	if ((rc = qring_push(r, v)) != 0) {
		return rc;
	}
	heap_sift_up(r, r->len - 1);
	return 0;
}

/* Moves item i down to where it belongs. */
static void
heap_sift_down(qring *r, size_t i)
{
	for (;;) {
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

/* Moves the item at i of the heap (not empty) to *out. */
static void
heap_take_at(qring *r, size_t i, qitem *out)
{
	heap_swap(r, i, r->len - 1);
	qring_pop_back(r, out);
	if (i >= r->len) {
		return;
	}
	// The last item, now at i, belongs above or below (one of the two
	// is a no-op).
	heap_sift_up(r, i);
	heap_sift_down(r, i);
}

/* Stores *v (moving), a new item, where the queue's order puts it.
 * MGR_ETYPE (a priority queue's unorderable item), MGR_ENOMEM: nothing
 * taken. */
int
qs_store(qstore *q, sval *v)
{
	qitem it = { *v, 0 };
	int   rc = q->order == MGR_QUEUE_PRIORITY ? heap_push(&q->items, &it)
	                                          : qring_push(&q->items, &it);
	if (rc == 0) {
		v->kind = SV_NONE; // moved in
	}
	return rc;
}

/* The item the next get takes (the queue must not be empty). */
qitem *
qs_next(qstore *q)
{
	qring *r = &q->items;
	return q->order == MGR_QUEUE_LIFO
	    ? &r->items[(r->head + r->len - 1) % r->cap]
	    : &r->items[r->head];
}

/* Moves the item the next get takes to *out (not empty). */
void
qs_take(qstore *q, qitem *out)
{
	if (q->order == MGR_QUEUE_LIFO) {
		qring_pop_back(&q->items, out);
	} else if (q->order == MGR_QUEUE_PRIORITY) {
		heap_take_at(&q->items, 0, out);
	} else {
		qring_pop(&q->items, out);
	}
}

/* Puts *v (moving) back where the next get takes it from: an item given
 * back (a dead session's, or one that could not be handed out). A
 * priority queue orders it again (unorderable now: last, still kept).
 * MGR_ENOMEM. */
int
qs_give_back(qstore *q, qitem *v)
{
	if (q->order == MGR_QUEUE_LIFO) {
		return qring_push(&q->items, v);
	}
	if (q->order == MGR_QUEUE_PRIORITY) {
		int rc = heap_push(&q->items, v);
		return rc == MGR_ETYPE ? qring_push(&q->items, v) : rc;
	}
	return qring_push_front(&q->items, v);
}

/* Keeps a copy of item, taken by session sid (acknowledged queues).
 * MGR_ENOMEM. */
int
qs_note_taken(qstore *q, uint64_t sid, const qitem *item)
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
	taken_item *t  = &q->taken[q->ntaken];
	int         rc = sv_copy(&t->item.v, &item->v);
	if (rc == 0) {
		t->item.deliveries = item->deliveries;
		t->sid             = sid;
		q->ntaken++;
	}
	return rc;
}

/* Forgets the oldest item session sid took. False when it took none. */
bool
qs_forget_taken(qstore *q, uint64_t sid)
{
	for (size_t i = 0; i < q->ntaken; i++) {
		if (q->taken[i].sid == sid) {
			sv_free(&q->taken[i].item.v);
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
size_t
qs_return_taken(qstore *q, uint64_t sid)
{
	size_t back = 0;
	for (size_t i = q->ntaken; i-- > 0;) {
		if (q->taken[i].sid != sid) {
			continue;
		}
		// Newest first to the front: the oldest ends up at the head
		// (for a LIFO queue: the oldest is taken last). It was
		// handed out once more.
		qitem *it = &q->taken[i].item;
		if (it->deliveries < UINT32_MAX) {
			it->deliveries++;
		}
		if (qs_give_back(q, it) != 0) {
			sv_free(&it->v); // out of memory: lost
		}
		memmove(&q->taken[i], &q->taken[i + 1],
		    (q->ntaken - i - 1) * sizeof(*q->taken));
		q->ntaken--;
		back++;
	}
	return back;
}

/* The slot of the i-th waiting item in the order gets take them (a
 * heap's head is 0: its slots in heap order). */
static size_t
slot_in_get_order(const qstore *q, size_t i)
{
	const qring *r = &q->items;
	size_t       k = q->order == MGR_QUEUE_LIFO ? r->len - 1 - i : i;
	return (r->head + k) % r->cap;
}

/* Where the first waiting item equal to x is, in the order gets take
 * them (a priority queue's: heap order), or false. */
bool
qs_find(const qstore *q, const sval *x, size_t *slot)
{
	const qring *r = &q->items;
	for (size_t i = 0; i < r->len; i++) {
		size_t s = slot_in_get_order(q, i);
		if (sv_equal(&r->items[s].v, x)) {
			*slot = s;
			return true;
		}
	}
	return false;
}

/* Frees the waiting item in slot (qs_find's), keeping the others in
 * their order. */
void
qs_drop(qstore *q, size_t slot)
{
	qring *r = &q->items;
	if (q->order == MGR_QUEUE_PRIORITY) {
		qitem out;
		heap_take_at(r, slot, &out);
		sv_free(&out.v);
		return;
	}
	sv_free(&r->items[slot].v);
	// The ones behind it move up by one (a ring: wrapping).
	for (size_t i = (slot + r->cap - r->head) % r->cap; i + 1 < r->len;
	     i++) {
		r->items[(r->head + i) % r->cap]
		    = r->items[(r->head + i + 1) % r->cap];
	}
	if (--r->len == 0) {
		r->head = 0;
	}
}

void
qs_fini(qstore *q)
{
	qring_fini(&q->items);
	for (size_t i = 0; i < q->ntaken; i++) {
		sv_free(&q->taken[i].item.v);
	}
	free(q->taken);
	*q = (qstore) { 0 };
}

bool
qs_free_some(qstore *q, size_t *budget)
{
	qring *r = &q->items;
	for (; *budget > 0 && r->len > 0; (*budget)--) {
		r->len--;
		sv_free(&r->items[(r->head + r->len) % r->cap].v);
	}
	for (; *budget > 0 && q->ntaken > 0; (*budget)--) {
		sv_free(&q->taken[--q->ntaken].item.v);
	}
	if (r->len > 0 || q->ntaken > 0) {
		return false;
	}
	qs_fini(q);
	return true;
}

size_t
qs_purge(qstore *q)
{
	qring *r = &q->items;
	size_t n = r->len;
	for (size_t i = 0; i < n; i++) {
		sv_free(&r->items[(r->head + i) % r->cap].v);
	}
	r->len  = 0;
	r->head = 0;
	return n;
}

const qitem *
qs_at(const qstore *q, size_t i)
{
	return &q->items.items[slot_in_get_order(q, i)];
}

const qitem *
qs_stored(const qstore *q, size_t i)
{
	return &q->items.items[(q->items.head + i) % q->items.cap];
}

int
qs_restore(qstore *q, qitem *it)
{
	// A heap's slots in their order are a heap: each push stays put.
	int rc = q->order == MGR_QUEUE_PRIORITY ? heap_push(&q->items, it)
	                                        : qring_push(&q->items, it);
	if (rc == 0) {
		it->v.kind = SV_NONE; // moved in
	}
	return rc;
}

void
qs_each(qstore *q, void (*fn)(sval *v, void *arg), void *arg)
{
	for (size_t i = 0; i < q->items.len; i++) {
		fn(&q->items.items[(q->items.head + i) % q->items.cap].v,
		    arg);
	}
	for (size_t i = 0; i < q->ntaken; i++) {
		fn(&q->taken[i].item.v, arg);
	}
}
