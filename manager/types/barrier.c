/* The barrier type (Python's threading.Barrier): parties, a default
 * timeout, a broken flag and the FIFO of waiting parties.
 *
 * Python's barrier has a draining phase because its threads wake one by
 * one; here the last party answers every waiter at once, so the barrier is
 * filling again as soon as it is released. A timed-out wait, abort, or a
 * waiting party whose session ends breaks it (every waiter gets
 * MGR_EBROKEN, and so does every later wait until reset). */
#include <stdlib.h>

#include "journal.h"
#include "report.h"
#include "wait.h"

/* ==== pure data ========================================================= */

typedef struct sbarrier {
	int64_t parties;    /* >= 1 */
	int64_t timeout_ms; /* default timeout of a wait; < 0: none */
	bool    broken;
	wlist   waiters; /* the parties waiting, in arrival order; w->n is
	                  * each one's index */
} sbarrier;

/* The index of the next party to arrive (Python's `index = self._count`),
 * and whether it is the last one, which releases the others. */
static int64_t
sb_next_index(const sbarrier *b, bool *last)
{
	int64_t index = (int64_t) b->waiters.len;
	*last         = index + 1 == b->parties;
	return index;
}

/* ==== the shared barrier type =========================================== */

static sbarrier *
target_barrier(mctx *c)
{
	return c->obj->data;
}

/* Breaks b: every waiter gets MGR_EBROKEN, later waits too until reset. */
static void
sb_break(sbarrier *b)
{
	b->broken = true;
	wlist_fail_all(&b->waiters, MGR_EBROKEN);
}

/* CREATE [int parties, int timeout_ms (< 0: none)]. */
static int
barrier_create(mobj *o, mctx *c)
{
	int64_t parties, timeout = -1;
	int     rc;
	if (c->nargs < 1 || c->nargs > 2) {
		return mctx_fail(c, MGR_EINVAL,
		    "Barrier takes 1 or 2 arguments (parties, timeout), "
		    "%zu given",
		    c->nargs);
	}
	if ((rc = mctx_arg_int(c, 0, &parties)) != 0) {
		return rc;
	}
	if (c->nargs == 2 && c->args[1].kind != SV_NONE
	    && (rc = mctx_arg_int(c, 1, &timeout)) != 0) {
		return rc;
	}
	if (parties < 1) {
		return mctx_fail(c, MGR_EINVAL, "parties must be >= 1");
	}
	sbarrier *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	b->parties    = parties;
	b->timeout_ms = timeout < 0 ? -1 : timeout;
	o->data       = b;
	return 0;
}

static void
barrier_destroy(mobj *o)
{
	sbarrier *b = o->data;
	wlist_fail_all(&b->waiters, MGR_ENOOBJ);
	free(b);
	o->data = NULL;
}

/* A party's wait timed out: as in Python, the barrier breaks for all
 * (w is still in the FIFO and is answered with them). */
static void
barrier_expire(mobj *o, waiter *w)
{
	(void) w;
	// Broken by the manager, not by a request: logged as its abort.
	journal_as_requests(o->srv, NULL, MGR__OP__OP_BARRIER_ABORT, o, 0, 1);
	sb_break(o->data);
}

/* A waiting party's session ended (Python: its wait was interrupted): the
 * others can never be released, so the barrier breaks. The waiters of
 * that session are left to the cancellation (nothing is sent to them). */
static void
barrier_cancel(mobj *o, waiter *w)
{
	sbarrier *b = o->data;
	journal_as_requests(o->srv, NULL, MGR__OP__OP_BARRIER_ABORT, o, 0, 1);
	b->broken = true;
	for (waiter *x = b->waiters.head, *next; x != NULL; x = next) {
		next = x->next;
		if (x->sess != w->sess) {
			waiter_done(x, MGR_EBROKEN, NULL);
		}
	}
}

static void
barrier_describe(const mobj *o, report *r, sval *d)
{
	const sbarrier *b = o->data;
	report_put_int(r, d, "parties", b->parties);
	report_put_int(r, d, "n_waiting", (int64_t) b->waiters.len);
	report_put(r, d, "broken", sv_bool(b->broken));
}

/* A snapshot's image of it (snapshot.c). */
static int
barrier_save(mobj *o, struct snap_out *out)
{
	const sbarrier *b = o->data;
	sval items[3]     = { sv_int(b->parties), sv_int(b->timeout_ms),
		    sv_bool(b->broken) };
	// Its waiting parties are not kept (the log has them as waiters).
	return snap_put_list(out, 0, items, 3);
}

static int
barrier_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	int64_t parties, timeout, broken;
	if (part != 1 || !snap_int(image, 0, &parties) || parties < 1
	    || !snap_int(image, 1, &timeout)
	    || !snap_int(image, 2, &broken)) {
		return snap_bad(in,
		    "a barrier's image is its parties, its "
		    "timeout and whether it is broken");
	}
	sbarrier *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		return snap_bad(in, "out of memory");
	}
	b->parties    = parties;
	b->timeout_ms = timeout < 0 ? -1 : timeout;
	b->broken     = broken != 0;
	o->data       = b;
	return 0;
}

const mtype barrier_type = {
	.code     = MGR__OBJ_TYPE__OBJ_BARRIER,
	.name     = "barrier",
	.create   = barrier_create,
	.destroy  = barrier_destroy,
	.expire   = barrier_expire,
	.cancel   = barrier_cancel,
	.describe = barrier_describe,
	.save     = barrier_save,
	.load     = barrier_load,
};

static int
fail_broken(mctx *c)
{
	return mctx_fail(c, MGR_EBROKEN,
	    "threading.BrokenBarrierError: the barrier is broken");
}

/* WAIT -> index, with the request's timeout (-1: the barrier's default). */
static int
h_wait(mctx *c)
{
	sbarrier *b       = target_barrier(c);
	int64_t   timeout = c->rq->timeout_ms;
	bool      last;
	if (timeout < -1) {
		return mctx_fail(c, MGR_EINVAL,
		    "'timeout' must be a non-negative number (or -1: the "
		    "barrier's default)");
	}
	if (timeout == -1) {
		timeout = b->timeout_ms;
	}
	if (b->broken) {
		return fail_broken(c);
	}
	int64_t index = sb_next_index(b, &last);
	if (last) {
		// Release: every waiter gets its own index, in arrival order.
		while (b->waiters.head != NULL) {
			sval r = sv_int(b->waiters.head->n);
			waiter_done(b->waiters.head, 0, &r);
		}
		c->res = sv_int(index);
		return 0;
	}
	if (timeout == 0) {
		// It would time out at once, which breaks the barrier.
		sb_break(b);
		return fail_broken(c);
	}
	waiter *w;
	int     rc = wait_park_ms(c, &b->waiters, timeout, &w);
	if (rc == MGR_PENDING) {
		w->n = index;
	}
	return rc;
}

static int
h_abort(mctx *c)
{
	sb_break(target_barrier(c));
	return 0;
}

/* RESET: current waiters get MGR_EBROKEN (as Python's do) and the barrier
 * is usable again. */
static int
h_reset(mctx *c)
{
	sbarrier *b = target_barrier(c);
	wlist_fail_all(&b->waiters, MGR_EBROKEN);
	b->broken = false;
	return 0;
}

static int
h_parties(mctx *c)
{
	c->res = sv_int(target_barrier(c)->parties);
	return 0;
}

static int
h_n_waiting(mctx *c)
{
	c->res = sv_int((int64_t) target_barrier(c)->waiters.len);
	return 0;
}

static int
h_broken(mctx *c)
{
	c->res = sv_bool(target_barrier(c)->broken);
	return 0;
}

#define T_BARRIER MT(MGR__OBJ_TYPE__OBJ_BARRIER)

const mop barrier_ops[] = {
	{ MGR__OP__OP_BARRIER_WAIT, T_BARRIER, 0, 0, MOP_WRITE | MOP_BLOCKS,
	    h_wait },
	{ MGR__OP__OP_BARRIER_ABORT, T_BARRIER, 0, 0, MOP_WRITE, h_abort },
	{ MGR__OP__OP_BARRIER_RESET, T_BARRIER, 0, 0, MOP_WRITE, h_reset },
	{ MGR__OP__OP_BARRIER_PARTIES, T_BARRIER, 0, 0, 0, h_parties },
	{ MGR__OP__OP_BARRIER_N_WAITING, T_BARRIER, 0, 0, 0, h_n_waiting },
	{ MGR__OP__OP_BARRIER_BROKEN, T_BARRIER, 0, 0, 0, h_broken },
	{ 0 },
};
