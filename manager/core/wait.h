/* Blocking requests, without blocking threads.
 *
 * A request that cannot complete now (get on an empty queue, acquire of a
 * held lock, ...) becomes a waiter: a record in a FIFO of its object, in
 * its session's list and, when it has a deadline, in the server's timer
 * heap. The handler returns MGR_PENDING and no reply is sent; later a
 * state change answers it (waiter_done), its deadline passes (the type's
 * expire hook, or MGR_ETIMEDOUT), or its session ends (cancelled, nothing
 * is handed to it). One timer thread serves every deadline.
 *
 * Everything here runs under the server lock.
 */
#ifndef MGR_MANAGER_CORE_WAIT_H
#define MGR_MANAGER_CORE_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "object.h"

/* Returned by a handler that parked its request as a waiter. */
#define MGR_PENDING (-1)

typedef struct waiter waiter;

typedef struct wlist {
	waiter *head;
	waiter *tail;
	size_t  len;
} wlist;

struct waiter {
	struct session *sess;
	uint64_t        rq_id;  /* the request to answer */
	uint64_t        seq;    /* its number in the session (0: none) */
	uint64_t        thread; /* the client thread (lock ownership) */
	Mgr__Op         op;
	mobj           *obj;
	wlist          *list; /* the FIFO it is in, or NULL */
	waiter         *prev, *next;
	waiter         *sprev, *snext; /* in its session's list */
	uint64_t        since;         /* monotonic ms, when it parked */
	uint64_t        deadline;      /* monotonic ms; 0: none */
	size_t          heap_idx;      /* in the timer heap, when deadline */
	uint8_t        *logged; /* the request's bytes, logged when it is */
	size_t          logged_len; /* answered (journal.h), or NULL */
	/* for the type's own use */
	int     kind;
	int64_t n;
	sval    val;
	bool    flag;
};

/* Parks the request of c on q with the request's timeout (timeout_ms < 0:
 * none; 0 is for the handler to refuse before calling this). Returns
 * MGR_PENDING with *wp set (the handler may fill kind, n, val), or
 * MGR_ENOMEM. */
int wait_park(mctx *c, wlist *q, waiter **wp);
/* Same with an explicit relative timeout in ms (< 0: none). */
int wait_park_ms(mctx *c, wlist *q, int64_t timeout_ms, waiter **wp);
/* Answers w with status (0 or MGR_E*) and, on 0, the result res (moved;
 * may be NULL for none), then unlinks and frees w (its val too). */
void waiter_done(waiter *w, int status, sval *res);
/* Answers w with the failure status and its detail (NULL: the code's
 * text), then unlinks and frees w. */
void waiter_fail(waiter *w, int status, const char *detail);
/* Both in one: status, the result res (moved) on 0, else the detail. */
void waiter_answer(waiter *w, int status, sval *res, const char *detail);
/* Moves w from its FIFO to the tail of q (a condition waiter going to
 * its lock's queue); its deadline stays unless keep_deadline is false. */
void waiter_move(waiter *w, wlist *q, bool keep_deadline);
/* The first waiter of q whose client can still be answered. Waiters of
 * clients that are gone (hung up, even if their loop has not seen it yet)
 * are dropped on the way, unanswered, as their session's end would: what
 * a type hands out (an item, a lock, a permit) goes to this one, so that
 * nothing is handed to a dead client. */
waiter *wlist_first_live(wlist *q);
/* Answers every waiter of q with status (e.g. MGR_ENOOBJ when the object
 * is destroyed, MGR_EBROKEN for a barrier). */
void wlist_fail_all(wlist *q, int status);

/* The nearest deadline of a waiter (ms, monotonic), or -1. */
int64_t wait_next_deadline(struct server *srv);
/* Every waiter due by now expires (its type's expire hook, else
 * MGR_ETIMEDOUT); whether any did. srv->mtx held. */
bool wait_expire_due(struct server *srv, int64_t now);

/* The session's waiters are cancelled (no reply) when it ends: the
 * type's cancel hook runs first for each. session.c calls this. */
void wait_cancel_session(struct session *s, waiter **list);

/* A reconnecting session came back (its Welcome sent): the objects its
 * waiters wait on hand out what they passed it over for while it was
 * away (their type's wake hook). srv->mtx held. */
void wait_wake_session(struct session *s, waiter **list);

/* addition to mtype: see object.h (expire, cancel, wake hooks). */

#endif
