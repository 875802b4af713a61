/* Condition: threading.Condition over a Lock or an RLock (given, or a new
 * RLock of its own that it keeps alive through a reference).
 *
 * A wait releases the lock completely (an rlock's whole depth, saved in
 * the waiter) and parks in the condition's FIFO. notify(n) moves the first
 * n waiters to the lock's FIFO, where they queue as acquirers; a waiter
 * granted the lock gets its depth back and is answered. A wait that times
 * out also queues for the lock and is answered MGR_ETIMEDOUT once it has
 * it (Python's wait returns False after re-acquiring). A waiter is thus a
 * record that moves from one FIFO to the other; its object stays the
 * condition, so that this file's expire hook serves both places.
 */
#include <stdlib.h>

#include "journal.h"
#include "lock.h"

/* ==== pure data ========================================================= */

typedef struct cvstate {
	sval  lock; /* SV_REF to the lock or rlock: keeps it alive */
	wlist q;    /* waiting for a notify (LKW_REACQUIRE), FIFO */
} cvstate;

/* Moves up to n waiters, oldest first, to the lock's FIFO; their wait
 * deadline is over (re-acquiring has none, as in Python). */
static void
cv_notify(cvstate *cv, wlist *lockq, int64_t n)
{
	while (n-- > 0 && cv->q.head != NULL) {
		waiter_move(cv->q.head, lockq, false);
	}
}

/* The lock a condition is built over: the lock operations on a condition
 * act on it (mtype.lock_of). */
static mobj *
condition_lock(mobj *o)
{
	return ((cvstate *) o->data)->lock.ref;
}

/* ==== the type ========================================================== */

static int
cv_create(mobj *o, mctx *c)
{
	if (c->nargs > 1) {
		return mctx_fail(c, MGR_EINVAL,
		    "condition takes at most one argument (%zu given)",
		    c->nargs);
	}
	cvstate *cv = calloc(1, sizeof(*cv));
	if (cv == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	if (c->nargs == 1 && c->args[0].kind != SV_NONE) {
		if (c->args[0].kind != SV_REF
		    || !lock_is_mutex(c->args[0].ref)) {
			free(cv);
			return mctx_fail(c, MGR_ETYPE,
			    "a condition needs a lock or an rlock, not %s",
			    sv_type_name(&c->args[0]));
		}
		cv->lock = sv_move(&c->args[0]);
	} else {
		// Condition(None): an RLock of its own, as Python makes.
		int rv = lock_new_rlock(c, &cv->lock);
		if (rv != 0) {
			free(cv);
			return rv;
		}
	}
	o->data = cv;
	return 0;
}

static void
cv_destroy(mobj *o)
{
	cvstate *cv = o->data;
	mobj    *lk = cv->lock.ref;
	wlist_fail_all(&cv->q, MGR_ENOOBJ);
	// Its waiters queued at the lock must not outlive it (at shutdown
	// the lock may have been destroyed first: then there are none).
	if (lk != NULL && lk->data != NULL) {
		lock_fail_via(lk, o, MGR_ENOOBJ);
	}
	sv_free(&cv->lock);
	free(cv);
	o->data = NULL;
}

static void
cv_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	cvstate *cv = o->data;
	if (cv->lock.kind == SV_REF) {
		fn(&cv->lock, arg);
	}
}

/* A deadline passed: a wait queues for the lock (answered MGR_ETIMEDOUT
 * once it has it); an acquire through the condition gives up. */
static void
cv_expire(mobj *o, waiter *w)
{
	cvstate *cv = o->data;
	mobj    *lk = cv->lock.ref;
	if (w->list == &cv->q) {
		w->flag = true;
		waiter_move(w, &lock_state(lk)->q, false);
	} else {
		waiter_done(w, MGR_ETIMEDOUT, NULL);
	}
	lock_pass(lk);
}

/* A reconnecting client came back: a notified wait of it may be passed
 * over in its lock's queue. */
static void
cv_wake(mobj *o)
{
	lock_pass(condition_lock(o));
}

/* A snapshot's image of it (snapshot.c). */
static int
cv_save(mobj *o, struct snap_out *out)
{
	const cvstate *cv   = o->data;
	sval           lock = SV_NONE_INIT;
	int            rv   = sv_copy(&lock, &cv->lock);
	return snap_put_list(out, rv, &lock, 1);
}

static int
cv_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	sval *lock = snap_item(image, 0);
	if (part != 1 || lock == NULL || lock->kind != SV_REF
	    || !lock_is_mutex(lock->ref)) {
		return snap_bad(in, "a condition's image is its lock");
	}
	cvstate *cv = calloc(1, sizeof(*cv));
	if (cv == NULL) {
		return snap_bad(in, "out of memory");
	}
	cv->lock = sv_move(lock);
	o->data  = cv;
	return 0;
}

const mtype condition_type = {
	.code     = MGR__OBJ_TYPE__OBJ_CONDITION,
	.name     = "condition",
	.create   = cv_create,
	.destroy  = cv_destroy,
	.each_ref = cv_each_ref,
	.expire   = cv_expire,
	.wake     = cv_wake,
	.lock_of  = condition_lock,
	.save     = cv_save,
	.load     = cv_load,
};

/* ==== handlers ========================================================== */

#define CV(c) ((cvstate *) (c)->obj->data)

/* COND_WAIT (timeout_ms). */
static int
h_wait(mctx *c)
{
	cvstate *cv = CV(c);
	mobj    *lk = cv->lock.ref;
	lkstate *l  = lock_state(lk);
	waiter  *w;
	int      rv;
	if ((rv = lock_check_timeout(c)) != 0) {
		return rv;
	}
	int64_t depth;
	if (journal_reparking(c->srv, &depth)) {
		// Parked when the manager stopped, its lock let go of: it
		// queues to take its depth back (answered 0 then).
		if ((rv = wait_park_ms(c, &l->q, -1, &w)) == MGR_PENDING) {
			w->kind = LKW_REACQUIRE;
			w->n    = depth;
			lock_pass(lk);
		}
		return rv;
	}
	if (!lk_owned_by(l, c->sess, c->rq->thread)) {
		return mctx_fail(
		    c, MGR_ESTATE, "cannot wait on un-acquired lock");
	}
	if (c->rq->timeout_ms == 0) {
		// wait(0): release, time out at once, and take the lock back
		// after those already queued for it.
		rv = wait_park_ms(c, &l->q, -1, &w);
		if (rv == MGR_PENDING) {
			w->flag = true;
		}
	} else {
		rv = wait_park(c, &cv->q, &w);
	}
	if (rv != MGR_PENDING) {
		return rv;
	}
	w->kind = LKW_REACQUIRE;
	w->n    = (int64_t) lk_give_all(l);
	// Logged as what a request would state (journal.h): the lock's
	// whole depth released, before whoever it passes to takes it.
	journal_as_requests(c->srv, c->sess, MGR__OP__OP_RELEASE_LOCK, lk,
	    c->rq->thread, w->n);
	journal_cond_parked(c->srv, c->sess, w->n);
	lock_pass(lk);
	return MGR_PENDING;
}

/* Python's check before notify: the caller must hold the lock. */
static int
check_owned(mctx *c)
{
	if (!lk_owned_by(
	        lock_state(CV(c)->lock.ref), c->sess, c->rq->thread)) {
		return mctx_fail(
		    c, MGR_ESTATE, "cannot notify on un-acquired lock");
	}
	return 0;
}

/* COND_NOTIFY [int n = 1]. */
static int
h_notify(mctx *c)
{
	int64_t n = 1;
	int     rv;
	if (c->nargs == 1 && (rv = mctx_arg_int(c, 0, &n)) != 0) {
		return rv;
	}
	if (n < 0) {
		return mctx_fail(
		    c, MGR_EINVAL, "n must be >= 0, not %lld", (long long) n);
	}
	if ((rv = check_owned(c)) != 0) {
		return rv;
	}
	// The notifier holds the lock: the moved waiters queue for it.
	cv_notify(CV(c), &lock_state(CV(c)->lock.ref)->q, n);
	return 0;
}

/* COND_NOTIFY_ALL. */
static int
h_notify_all(mctx *c)
{
	int rv = check_owned(c);
	if (rv == 0) {
		cv_notify(CV(c), &lock_state(CV(c)->lock.ref)->q, INT64_MAX);
	}
	return rv;
}

#define T_COND MT(MGR__OBJ_TYPE__OBJ_CONDITION)

const mop condition_ops[] = {
	{ MGR__OP__OP_COND_WAIT, T_COND, 0, 0, MOP_WRITE | MOP_BLOCKS,
	    h_wait },
	{ MGR__OP__OP_COND_NOTIFY, T_COND, 0, 1, MOP_WRITE, h_notify },
	{ MGR__OP__OP_COND_NOTIFY_ALL, T_COND, 0, 0, MOP_WRITE,
	    h_notify_all },
	{ 0 },
};
