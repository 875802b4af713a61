/* qstore: a queue's items in its order (FIFO, LIFO or priority: Python's
 * Queue, LifoQueue, PriorityQueue), each with the count of its earlier
 * deliveries, and the copies of the items taken and not yet done (an
 * acknowledged queue's). Pure data (no waiting, no sessions: the queue
 * type's request handlers are in types/queue.c). Functions documented as
 * "moving" take what they are given and leave SV_NONE; on error they take
 * nothing. */
#ifndef MGR_MANAGER_DATA_QSTORE_H
#define MGR_MANAGER_DATA_QSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

/* An item, and how many times it was handed out before: an acknowledged
 * queue's item comes back when the session that took it ends before its
 * task_done, and the next get may want to know (RabbitMQ's
 * x-delivery-count: a message that killed its consumers thrice need not
 * be tried a fourth time). */
typedef struct qitem {
	sval     v;
	uint32_t deliveries;
} qitem;

/* The items: FIFO and LIFO a ring of cap slots, len of them from head
 * on, wrapping; priority a binary min-heap in slots 0..len (head 0) by
 * Python's ordering (heapq's, as queue.PriorityQueue uses). */
typedef struct qring {
	qitem *items;
	size_t cap;
	size_t head;
	size_t len;
} qring;

/* An item a session got from an acknowledged queue and has not yet
 * marked done: a copy is kept, to go back to the queue if the session
 * ends first (as RabbitMQ's unacknowledged messages and SQS's visibility
 * do). */
typedef struct taken_item {
	uint64_t sid; /* the session's id */
	qitem    item;
} taken_item;

typedef struct qstore {
	qring       items;
	int         order; /* MGR_QUEUE_FIFO, _LIFO or _PRIORITY */
	taken_item *taken; /* in the order they were taken */
	size_t      ntaken, captaken;
} qstore;

/* Frees every item (waiting and taken) and resets q. */
void qs_fini(qstore *q);
/* Frees up to *budget items (lessening it), then, once none is left,
 * what q holds (qs_fini): true then. */
bool qs_free_some(qstore *q, size_t *budget);
/* Stores *v (moving), a new item, where the queue's order puts it.
 * MGR_ETYPE (a priority queue's item that cannot be ordered against those
 * it meets), MGR_ENOMEM. */
int qs_store(qstore *q, sval *v);
/* The item the next get takes (not empty). */
qitem *qs_next(qstore *q);
/* Moves the item the next get takes to *out (not empty). */
void qs_take(qstore *q, qitem *out);
/* Puts *v (moving) back where the next get takes it from (an item that
 * could not be handed out after all). MGR_ENOMEM. */
int qs_give_back(qstore *q, qitem *v);
/* Keeps a copy of item, taken by session sid. MGR_ENOMEM. */
int qs_note_taken(qstore *q, uint64_t sid, const qitem *item);
/* Forgets the oldest item session sid took. False when it took none. */
bool qs_forget_taken(qstore *q, uint64_t sid);
/* Gives back, in the order they were taken, the items session sid took
 * (each counts one more delivery). Returns how many. */
size_t qs_return_taken(qstore *q, uint64_t sid);
/* The slot of the first waiting item equal to x, in the order gets take
 * them, or false. */
bool qs_find(const qstore *q, const sval *x, size_t *slot);
/* Frees the waiting item in slot (qs_find's); the others keep their
 * order. */
void qs_drop(qstore *q, size_t slot);
/* Frees every waiting item (not those taken): how many there were. */
size_t qs_purge(qstore *q);
/* The i-th waiting item in the order gets take them (a priority queue's:
 * the smallest, then heap order); i < items.len. */
const qitem *qs_at(const qstore *q, size_t i);
/* The i-th waiting item as stored (i < items.len): what qs_restore takes
 * back in the same order to rebuild q (a snapshot). */
const qitem *qs_stored(const qstore *q, size_t i);
/* Stores *it (moving its value), with its deliveries, after those stored
 * before it: qs_stored's items in their order make the same queue.
 * MGR_ENOMEM. */
int qs_restore(qstore *q, qitem *it);
/* Calls fn on every value q holds: waiting and taken. */
void qs_each(qstore *q, void (*fn)(sval *v, void *arg), void *arg);

#endif
