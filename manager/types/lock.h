/* Locks, reentrant locks and semaphores (lock.c), and what a condition
 * (condition.c) needs of the lock it is built over.
 *
 * The pure data part (lkstate, lk_*) knows nothing of requests: an owner
 * is a (session pointer, session id, client thread) triple. The handlers
 * and the condition add the waiting (wait.h): every lock-like object has
 * one FIFO of parked acquirers, served strictly in arrival order.
 */
#ifndef MGR_MANAGER_TYPES_LOCK_H
#define MGR_MANAGER_TYPES_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "idmap.h"
#include "object.h"
#include "wait.h"

typedef enum lk_kind {
	LK_LOCK,  /* threading.Lock: held by a session, anyone may release */
	LK_RLOCK, /* threading.RLock: held by (session, thread), counted */
	LK_SEM,   /* threading.Semaphore */
	LK_BSEM,  /* threading.BoundedSemaphore */
} lk_kind;

typedef struct lkstate {
	lk_kind kind;
	/* lock, rlock */
	const void *owner;  /* the holding session, NULL when free */
	uint64_t    thread; /* rlock: the holder's client thread */
	uint64_t    count;  /* rlock: recursion depth; lock: 1 when held */
	/* fencing tokens: every new hold gets the next (an rlock's owner
	 * re-entering keeps its own), so a resource can refuse a holder
	 * whose lease ran out */
	uint64_t fence;      /* the last token given */
	uint64_t hold_fence; /* the current hold's, 0 when free */
	/* semaphores */
	uint64_t value;   /* permits left */
	uint64_t initial; /* the constructor's value (bounded: the ceiling) */
	idmap    held;    /* session id -> permits it took and still holds */
	/* parked acquirers (waiter.kind LKW_*) */
	wlist q;
} lkstate;

/* The largest semaphore value and rlock depth: what an int carries. */
#define LK_MAX ((uint64_t) INT64_MAX)

/* ---- pure data ------------------------------------------------------------
 */

void lk_init(lkstate *l, lk_kind kind, uint64_t value);
/* Frees the permit table (the FIFO must be empty). */
void lk_fini(lkstate *l);
/* Could (sess, thread) take it now, ignoring the FIFO? */
bool lk_can_take(const lkstate *l, const void *sess, uint64_t thread);
/* Takes it for (sess, thread): n levels of an rlock (a condition waiter
 * gets its saved depth back), one permit of a semaphore. Only after
 * lk_can_take. MGR_ERANGE past LK_MAX levels, MGR_ENOMEM (semaphores
 * track the permits of each session); unchanged on error. */
int lk_take(
    lkstate *l, const void *sess, uint64_t sid, uint64_t thread, uint64_t n);
/* Releases one level / one permit on behalf of (sess, thread). MGR_ESTATE
 * when the lock is not held (rlock: not by this thread) or a bounded
 * semaphore is at its value, MGR_ERANGE when a semaphore would pass
 * LK_MAX; unchanged on error. */
int lk_give(lkstate *l, const void *sess, uint64_t sid, uint64_t thread);
/* Does (sess, thread) hold this lock or rlock (a Lock: any thread of the
 * session)? Always false for semaphores. */
bool lk_owned_by(const lkstate *l, const void *sess, uint64_t thread);
/* Releases a lock or rlock completely; returns the depth it had. */
uint64_t lk_give_all(lkstate *l);
/* The session sid ended: drops the lock it holds and gives back the
 * permits it took (a bounded semaphore never above its value). True when
 * something was freed. */
bool lk_forget(lkstate *l, const void *sess, uint64_t sid);
/* Held (lock, rlock) or no permit left (semaphores). */
bool lk_locked(const lkstate *l);

/* ---- for condition.c
 * ------------------------------------------------------- */

/* waiter.kind of the waiters in a lock's FIFO. */
enum {
	LKW_ACQUIRE   = 0, /* a plain acquire: answered 0 when granted */
	LKW_REACQUIRE = 1, /* a condition wait: n is the saved depth, flag
	                    * says it timed out (answered MGR_ETIMEDOUT once
	                    * it has the lock back, 0 otherwise) */
};

/* Is o a lock or an rlock (what a condition may be built over)? */
bool     lock_is_mutex(const mobj *o);
lkstate *lock_state(mobj *o);
/* Grants the lock to the waiters at the head of its FIFO for as long as
 * they can take it (after a release, a timeout, a session's end). */
void lock_pass(mobj *lk);
/* Answers status to every waiter of lk's FIFO that came through via (a
 * condition being destroyed), so that none outlives it. */
void lock_fail_via(mobj *lk, mobj *via, int status);

/* MGR_EINVAL (with a detail) for a request timeout below -1 (forever). */
int lock_check_timeout(mctx *c);
/* A new rlock object, as RLock() makes, in *out (an SV_REF: the value's
 * reference keeps it alive). MGR_ENOMEM, with c's detail. */
int lock_new_rlock(mctx *c, sval *out);

#endif
