/* Lock, RLock, Semaphore and BoundedSemaphore: the pure data part (lk_*),
 * then the request handlers they share (ACQUIRE, RELEASE_LOCK, LOCKED,
 * also on a condition, where they act on its lock).
 *
 * Python's semantics, with the design's deviations: a Lock is held by a
 * session (any session may release it, as in Python), an RLock by a
 * (session, client thread) pair; what a session holds is given back when
 * it ends. Acquirers wait in one FIFO per object and are served strictly
 * in arrival order: an acquire never overtakes a parked one.
 */
#include "lock.h"
#include "report.h"
#include "sdict.h"

#include <stdlib.h>

/* ==== lkstate: pure data ================================================ */

void
lk_init(lkstate *l, lk_kind kind, uint64_t value)
{
	*l = (lkstate) { .kind = kind, .value = value, .initial = value };
	idmap_init(&l->held);
}

void
lk_fini(lkstate *l)
{
	idmap_fini(&l->held);
}

static bool
is_sem(const lkstate *l)
{
	return l->kind == LK_SEM || l->kind == LK_BSEM;
}

bool
lk_owned_by(const lkstate *l, const void *sess, uint64_t thread)
{
	switch (l->kind) {
	case LK_LOCK:
		return l->owner != NULL && l->owner == sess;
	case LK_RLOCK:
		return l->owner != NULL && l->owner == sess
		    && l->thread == thread;
	default:
		return false;
	}
}

bool
lk_can_take(const lkstate *l, const void *sess, uint64_t thread)
{
	if (is_sem(l)) {
		return l->value > 0;
	}
	return l->owner == NULL
	    || (l->kind == LK_RLOCK && lk_owned_by(l, sess, thread));
}

/* The permits session sid holds (0 when none). */
static uint64_t
held_of(const lkstate *l, uint64_t sid)
{
	return (uint64_t) (uintptr_t) idmap_get(&l->held, sid);
}

int
lk_take(
    lkstate *l, const void *sess, uint64_t sid, uint64_t thread, uint64_t n)
{
	switch (l->kind) {
	case LK_LOCK:
		l->owner      = sess;
		l->thread     = thread;
		l->count      = 1;
		l->hold_fence = ++l->fence;
		return 0;
	case LK_RLOCK:
		if (l->owner == NULL) {
			l->count = 0;
			l->hold_fence
			    = ++l->fence; // a new hold, not re-entry
		}
		if (n > LK_MAX - l->count) {
			return MGR_ERANGE;
		}
		l->owner  = sess;
		l->thread = thread;
		l->count += n;
		return 0;
	default: {
		void **slot = idmap_put(&l->held, sid);
		if (slot == NULL) {
			return MGR_ENOMEM;
		}
		*slot = (void *) ((uintptr_t) *slot + 1);
		l->value--;
		return 0;
	}
	}
}

int
lk_give(lkstate *l, const void *sess, uint64_t sid, uint64_t thread)
{
	switch (l->kind) {
	case LK_LOCK:
		// Any session may release a Lock (Python's Lock has no
		// owner).
		if (l->owner == NULL) {
			return MGR_ESTATE;
		}
		l->owner      = NULL;
		l->count      = 0;
		l->hold_fence = 0;
		return 0;
	case LK_RLOCK:
		if (!lk_owned_by(l, sess, thread)) {
			return MGR_ESTATE;
		}
		if (--l->count == 0) {
			l->owner      = NULL;
			l->hold_fence = 0;
		}
		return 0;
	default: {
		if (l->kind == LK_BSEM && l->value >= l->initial) {
			return MGR_ESTATE;
		}
		if (l->value >= LK_MAX) {
			return MGR_ERANGE;
		}
		l->value++;
		// A release by a session that took permits gives one of its
		// own back; by another session (a semaphore as a signal), it
		// changes no one's account.
		uint64_t n = held_of(l, sid);
		if (n > 0) {
			// Delete and re-insert: right after a deletion an
			// insertion never grows the table, so this can't
			// fail.
			idmap_del(&l->held, sid);
			if (n > 1) {
				void **slot = idmap_put(&l->held, sid);
				*slot       = (void *) (uintptr_t) (n - 1);
			}
		}
		return 0;
	}
	}
}

uint64_t
lk_give_all(lkstate *l)
{
	uint64_t n    = l->count;
	l->owner      = NULL;
	l->count      = 0;
	l->hold_fence = 0;
	return n;
}

bool
lk_forget(lkstate *l, const void *sess, uint64_t sid)
{
	if (!is_sem(l)) {
		if (l->owner == NULL || l->owner != sess) {
			return false;
		}
		lk_give_all(l);
		return true;
	}
	uint64_t n       = (uint64_t) (uintptr_t) idmap_del(&l->held, sid);
	uint64_t ceiling = l->kind == LK_BSEM ? l->initial : LK_MAX;
	// Permits released by other sessions may already have filled the
	// semaphore up: never go past the ceiling.
	uint64_t room = ceiling > l->value ? ceiling - l->value : 0;
	if (n > room) {
		n = room;
	}
	l->value += n;
	return n > 0;
}

bool
lk_locked(const lkstate *l)
{
	return is_sem(l) ? l->value == 0 : l->owner != NULL;
}

/* ==== shared by the four types and the condition ======================== */

bool
lock_is_mutex(const mobj *o)
{
	return o->type == &lock_type || o->type == &rlock_type;
}

lkstate *
lock_state(mobj *o)
{
	return o->data;
}

void
lock_pass(mobj *lk)
{
	lkstate *l = lk->data;
	waiter  *w;
	// A waiter whose client is gone is passed over: the lock or permit
	// goes to the next, never to a dead client until its session ends.
	while ((w = wlist_first_live(&l->q)) != NULL
	    && lk_can_take(l, w->sess, w->thread)) {
		bool re = w->kind == LKW_REACQUIRE;
		int  rv = lk_take(l, w->sess, session_id(w->sess), w->thread,
                    re ? (uint64_t) w->n : 1);
		if (rv != 0) {
			waiter_done(w, rv, NULL);
			continue;
		}
		// A condition wait that timed out still had to take the lock
		// back, as Python's wait does before it returns False. An
		// acquire of a lock or rlock answers the hold's fencing
		// token.
		sval fence = sv_int((int64_t) l->hold_fence);
		waiter_done(w, re && w->flag ? MGR_ETIMEDOUT : 0,
		    !re && !is_sem(l) ? &fence : NULL);
	}
}

void
lock_fail_via(mobj *lk, mobj *via, int status)
{
	lkstate *l = lk->data;
	waiter  *next;
	for (waiter *w = l->q.head; w != NULL; w = next) {
		next = w->next;
		if (w->obj == via) {
			waiter_done(w, status, NULL);
		}
	}
	lock_pass(lk);
}

int
lock_check_timeout(mctx *c)
{
	if (c->rq->timeout_ms < -1) {
		return mctx_fail(c, MGR_EINVAL,
		    "timeout must be >= 0 or -1 (forever), not %lld",
		    (long long) c->rq->timeout_ms);
	}
	return 0;
}

/* ==== the types ========================================================= */

extern const mtype lock_type, rlock_type, semaphore_type;

static int
create_kind(mobj *o, mctx *c, lk_kind kind)
{
	uint64_t value = 0;
	if (kind == LK_SEM || kind == LK_BSEM) {
		int64_t v = 1; // Python's default: Semaphore(value=1)
		if (c->nargs > 1) {
			return mctx_fail(c, MGR_EINVAL,
			    "%s takes at most one argument (%zu given)",
			    o->type->name, c->nargs);
		}
		if (c->nargs == 1) {
			int rv = mctx_arg_int(c, 0, &v);
			if (rv != 0) {
				return rv;
			}
		}
		if (v < 0) {
			return mctx_fail(c, MGR_EINVAL,
			    "semaphore initial value must be >= 0");
		}
		value = (uint64_t) v;
	} else if (c->nargs != 0) {
		return mctx_fail(c, MGR_EINVAL,
		    "%s takes no arguments (%zu given)", o->type->name,
		    c->nargs);
	}
	lkstate *l = malloc(sizeof(*l));
	if (l == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	lk_init(l, kind, value);
	o->data = l;
	return 0;
}

static int
lock_create(mobj *o, mctx *c)
{
	return create_kind(o, c, LK_LOCK);
}

static int
rlock_create(mobj *o, mctx *c)
{
	return create_kind(o, c, LK_RLOCK);
}

static int
sem_create(mobj *o, mctx *c)
{
	return create_kind(o, c, LK_SEM);
}

static int
bsem_create(mobj *o, mctx *c)
{
	return create_kind(o, c, LK_BSEM);
}

static void
lk_destroy(mobj *o)
{
	lkstate *l = o->data;
	wlist_fail_all(&l->q, MGR_ENOOBJ);
	lk_fini(l);
	free(l);
	o->data = NULL;
}

/* What s held passes on to the next waiters. */
static void
lk_session_end(mobj *o, struct session *s)
{
	if (lk_forget(o->data, s, session_id(s))) {
		lock_pass(o);
	}
}

/* A parked acquire timed out. Its leaving frees nothing, but passing on
 * costs little and keeps the FIFO moving whatever happened. */
static void
lk_expire(mobj *o, waiter *w)
{
	waiter_done(w, MGR_ETIMEDOUT, NULL);
	lock_pass(o);
}

/* What s holds of o: for managerctl clients and the introspection. */
static uint64_t
lk_held_by(const mobj *o, const struct session *s)
{
	const lkstate *l = o->data;
	if (is_sem(l)) {
		return held_of(l, session_id(s));
	}
	return l->owner == s ? l->count : 0;
}

/* locked, and a semaphore's permits left and initial value. */
static void
lk_describe(const mobj *o, report *r, sval *d)
{
	const lkstate *l = o->data;
	if (is_sem(l)) {
		report_put_int(r, d, "value", (int64_t) l->value);
		report_put_int(r, d, "initial", (int64_t) l->initial);
		report_put(r, d, "locked", sv_bool(l->value == 0));
	} else {
		report_put(r, d, "locked", sv_bool(l->owner != NULL));
		report_put_int(r, d, "fence", (int64_t) l->hold_fence);
	}
}

/* A snapshot's image of it (snapshot.c): [owner's session id, its
 * thread, depth, last fence, the hold's fence, permits left, initial
 * value, {session id: permits held}]. Its parked acquirers are not kept
 * (the log has them as waiters). */
static int
lk_save(mobj *o, struct snap_out *out)
{
	const lkstate *l        = o->data;
	const session *owner    = l->owner;
	sval           items[8] = { sv_int(owner ? (int64_t) owner->id : 0),
		          sv_int((int64_t) l->thread), sv_int((int64_t) l->count),
		          sv_int((int64_t) l->fence), sv_int((int64_t) l->hold_fence),
		          sv_int((int64_t) l->value), sv_int((int64_t) l->initial),
		          SV_NONE_INIT };
	int            rv       = sv_new_dict(&items[7]);
	size_t         pos      = 0;
	uint64_t       sid;
	void          *n;
	while (rv == 0 && idmap_next(&l->held, &pos, &sid, &n)) {
		sval k = sv_int((int64_t) sid),
		     v = sv_int((int64_t) (uintptr_t) n);
		rv     = sdict_set(items[7].dict, &k, &v);
	}
	return snap_put_list(out, rv, items, 8);
}

static int
lk_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	int64_t f[7];
	sval   *held = snap_item(image, 7);
	bool    ok   = part == 1 && held != NULL && held->kind == SV_DICT;
	for (size_t i = 0; i < 7 && ok; i++) {
		ok = snap_int(image, i, &f[i]) && f[i] >= 0;
	}
	session *owner
	    = ok && f[0] != 0 ? snap_session(in, (uint64_t) f[0]) : NULL;
	if (!ok || (f[0] != 0 && owner == NULL)) {
		return snap_bad(in,
		    "a lock's image is its owner, thread, "
		    "depth, fences, value and holders");
	}
	lk_kind  kind = o->type == &lock_type ? LK_LOCK
	     : o->type == &rlock_type         ? LK_RLOCK
	     : o->type == &semaphore_type     ? LK_SEM
	                                      : LK_BSEM;
	lkstate *l    = malloc(sizeof(*l));
	if (l == NULL) {
		return snap_bad(in, "out of memory");
	}
	lk_init(l, kind, (uint64_t) f[6]);
	l->owner      = owner;
	l->thread     = (uint64_t) f[1];
	l->count      = (uint64_t) f[2];
	l->fence      = (uint64_t) f[3];
	l->hold_fence = (uint64_t) f[4];
	l->value      = (uint64_t) f[5];
	o->data       = l;
	if (owner != NULL && session_touch(owner, o) != 0) {
		return snap_bad(in, "out of memory");
	}
	size_t pos = 0;
	sval  *k, *v;
	while (sdict_next(held->dict, &pos, &k, &v)) {
		session *s = k->kind == SV_INT
		    ? snap_session(in, (uint64_t) k->i)
		    : NULL;
		void   **slot;
		if (s == NULL || v->kind != SV_INT || v->i <= 0) {
			return snap_bad(in,
			    "a semaphore's permits held by no "
			    "session");
		}
		if ((slot = idmap_put(&l->held, s->id)) == NULL
		    || session_touch(s, o) != 0) {
			return snap_bad(in, "out of memory");
		}
		*slot = (void *) (uintptr_t) v->i;
	}
	return 0;
}

#define LOCK_HOOKS                                                           \
	.destroy = lk_destroy, .session_end = lk_session_end,                \
	.expire = lk_expire, .wake = lock_pass, .held_by = lk_held_by,       \
	.describe = lk_describe, .save = lk_save, .load = lk_load

const mtype lock_type = {
	.code   = MGR__OBJ_TYPE__OBJ_LOCK,
	.name   = "lock",
	.create = lock_create,
	LOCK_HOOKS,
};

const mtype rlock_type = {
	.code   = MGR__OBJ_TYPE__OBJ_RLOCK,
	.name   = "rlock",
	.create = rlock_create,
	LOCK_HOOKS,
};

const mtype semaphore_type = {
	.code   = MGR__OBJ_TYPE__OBJ_SEMAPHORE,
	.name   = "semaphore",
	.create = sem_create,
	LOCK_HOOKS,
};

const mtype bounded_semaphore_type = {
	.code   = MGR__OBJ_TYPE__OBJ_BOUNDED_SEMAPHORE,
	.name   = "bounded_semaphore",
	.create = bsem_create,
	LOCK_HOOKS,
};

/* ==== handlers ========================================================== */

/* The object the operation acts on: the target, or the lock it delegates
 * to (a condition's). */
static mobj *
target(mctx *c)
{
	const mtype *t = c->obj->type;
	return t->lock_of != NULL ? t->lock_of(c->obj) : c->obj;
}

/* ACQUIRE (timeout_ms). */
static int
h_acquire(mctx *c)
{
	mobj       *lo = target(c);
	lkstate    *l  = lo->data;
	const void *s  = c->sess;
	uint64_t    th = c->rq->thread;
	waiter     *w;
	int         rv = lock_check_timeout(c);
	if (rv != 0) {
		return rv;
	}
	// Free and nobody parked, or the rlock's owner re-entering (the
	// parked ones wait for it): taken now. Anyone else waits behind the
	// parked ones (no barging).
	bool now = lk_can_take(l, s, th)
	    && (l->q.len == 0 || lk_owned_by(l, s, th));
	if (!now && c->rq->timeout_ms == 0) {
		return mctx_fail(c, MGR_ETIMEDOUT, "the %s is not available",
		    lo->type->name);
	}
	// Whatever it gets, the session's end must give it back.
	if (session_touch(c->sess, lo) != 0) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	if (!now) {
		if ((rv = wait_park(c, &l->q, &w)) == MGR_PENDING) {
			w->kind = LKW_ACQUIRE;
		}
		return rv;
	}
	rv = lk_take(l, s, session_id(c->sess), th, 1);
	if (rv == MGR_ERANGE) {
		return mctx_fail(
		    c, rv, "maximum rlock recursion depth reached");
	}
	if (rv != 0) {
		return mctx_fail(c, rv, "out of memory");
	}
	if (!is_sem(l)) {
		c->res = sv_int((int64_t) l->hold_fence);
	}
	return 0;
}

/* LOCK_FENCE -> the current hold's fencing token, 0 when free. */
static int
h_lock_fence(mctx *c)
{
	const lkstate *l = target(c)->data;
	if (is_sem(l)) {
		return mctx_fail(c, MGR_ETYPE,
		    "a semaphore gives no fencing token (locks and rlocks "
		    "do)");
	}
	c->res = sv_int((int64_t) l->hold_fence);
	return 0;
}

/* RELEASE_LOCK. */
static int
h_release(mctx *c)
{
	mobj    *lo = target(c);
	lkstate *l  = lo->data;
	int      rv = lk_give(l, c->sess, session_id(c->sess), c->rq->thread);
	if (rv == MGR_ESTATE) {
		switch (l->kind) {
		case LK_LOCK:
			return mctx_fail(c, rv, "release unlocked lock");
		case LK_RLOCK:
			return mctx_fail(
			    c, rv, "cannot release un-acquired lock");
		default:
			return mctx_fail(
			    c, rv, "Semaphore released too many times");
		}
	}
	if (rv != 0) {
		return mctx_fail(c, rv, "semaphore value would pass %llu",
		    (unsigned long long) LK_MAX);
	}
	lock_pass(lo);
	return 0;
}

/* LOCKED -> bool. */
static int
h_locked(mctx *c)
{
	c->res = sv_bool(lk_locked(target(c)->data));
	return 0;
}

#define T_LOCKS                                                              \
	(MT(MGR__OBJ_TYPE__OBJ_LOCK) | MT(MGR__OBJ_TYPE__OBJ_RLOCK)          \
	    | MT(MGR__OBJ_TYPE__OBJ_SEMAPHORE)                               \
	    | MT(MGR__OBJ_TYPE__OBJ_BOUNDED_SEMAPHORE)                       \
	    | MT(MGR__OBJ_TYPE__OBJ_CONDITION))

int
lock_new_rlock(mctx *c, sval *out)
{
	mobj *lk = store_new(c->srv, &rlock_type);
	if (lk == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	mobj_incref(lk); // ours until the reference holds one
	// RLock() takes no arguments (c's are for the caller).
	mctx sub  = *c;
	sub.nargs = 0;
	int rv    = rlock_type.create(lk, &sub);
	if (rv != 0) {
		mobj_decref(lk);
		return mctx_fail(c, rv, "%s", sub.err);
	}
	*out = sv_ref(lk);
	mobj_decref(lk);
	return 0;
}

/* GET_LOCK -> the object's own rlock (Value.get_lock()), made on first
 * use and the same for every proxy afterwards. */
static int
h_get_lock(mctx *c)
{
	sval *slot = c->obj->type->own_lock(c->obj);
	int   rv;
	if (slot->kind != SV_REF && (rv = lock_new_rlock(c, slot)) != 0) {
		return rv;
	}
	return sv_copy(&c->res, slot) == 0
	    ? 0
	    : mctx_fail(c, MGR_ENOMEM, "out of memory");
}

#define T_OWN_LOCK                                                           \
	(MT(MGR__OBJ_TYPE__OBJ_SCALAR) | MT(MGR__OBJ_TYPE__OBJ_ARRAY))

const mop lock_ops[] = {
	{ MGR__OP__OP_ACQUIRE, T_LOCKS, 0, 0, MOP_WRITE | MOP_BLOCKS,
	    h_acquire },
	{ MGR__OP__OP_RELEASE_LOCK, T_LOCKS, 0, 0, MOP_WRITE, h_release },
	{ MGR__OP__OP_LOCKED, T_LOCKS, 0, 0, 0, h_locked },
	{ MGR__OP__OP_LOCK_FENCE, T_LOCKS, 0, 0, 0, h_lock_fence },
	{ MGR__OP__OP_GET_LOCK, T_OWN_LOCK, 0, 0, MOP_WRITE, h_get_lock },
	{ 0 },
};
