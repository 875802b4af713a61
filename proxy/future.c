/* A pool's futures: each submitted task's result to come (Python's
 * AsyncResult). A future is pending in its pool's list, by id, until its
 * result record arrives (the collector, pool.c) or the pool ends it; the
 * caller holds it until mgr_future_free, and it outlives the pool. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "pool_int.h"

/* Every future's end, whatever its pool: what mgr_future_wait and
 * mgr_future_wait_any wait on (futures of several pools at once). */
static pthread_mutex_t futures_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  futures_cv;
static pthread_once_t  futures_once = PTHREAD_ONCE_INIT;
static uint64_t        futures_ended; /* futures_mtx */

static void
futures_init(void)
{
	clock_cond_init(&futures_cv);
}

mgr_future *
future_new_locked(mgr_pool *p)
{
	mgr_future *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return NULL;
	}
	f->result = mgr_none();
	f->task   = mgr_none();
	f->pool   = p;
	f->id     = ++p->next_id;
	f->refs   = 2;
	f->prev   = p->pending_tail;
	if (p->pending_tail != NULL) {
		p->pending_tail->next = f;
	} else {
		p->pending = f;
	}
	p->pending_tail = f;
	f->anext        = p->held;
	if (p->held != NULL) {
		p->held->aprev = f;
	}
	p->held = f;
	return f;
}

static void
future_destroy(mgr_future *f)
{
	while (f->cbs != NULL) {
		future_cb *cb = f->cbs;
		f->cbs        = cb->next;
		free(cb);
	}
	mgr_value_free(&f->result);
	mgr_value_free(&f->task);
	free(f);
}

void
future_unref_locked(mgr_future *f)
{
	if (--f->refs == 0) {
		future_destroy(f);
	}
}

void
future_unhold_locked(mgr_pool *p, mgr_future *f)
{
	if (f->aprev != NULL) {
		f->aprev->anext = f->anext;
	} else if (p->held == f) {
		p->held = f->anext;
	}
	if (f->anext != NULL) {
		f->anext->aprev = f->aprev;
	}
	f->anext = f->aprev = NULL;
}

void
future_finish_locked(mgr_pool *p, mgr_future *f, int status,
    const char *detail, mgr_value *res)
{
	f->status = status;
	if (res != NULL) {
		f->result = *res; // moved
		*res      = mgr_none();
	}
	snprintf(f->detail, sizeof(f->detail), "%s", detail ? detail : "");
	mgr_value_free(&f->task); // no cancel or running needs it now
	f->done = true; // last: waits read the rest without p's mutex
	if (f->prev != NULL) {
		f->prev->next = f->next;
	} else {
		p->pending = f->next;
	}
	if (f->next != NULL) {
		f->next->prev = f->prev;
	} else {
		p->pending_tail = f->prev;
	}
	f->next = f->prev = NULL;
	pthread_cond_broadcast(&p->cv);
	pthread_once(&futures_once, futures_init);
	pthread_mutex_lock(&futures_mtx);
	f->done_seq = ++futures_ended;
	if (f->ring != NULL) {
		f->ring->idx[f->ring->tail++] = f->ring_at;
	}
	pthread_cond_broadcast(&futures_cv);
	pthread_mutex_unlock(&futures_mtx);
	if (f->cbs != NULL) {
		// Run by whoever ended it once p's mutex is let go
		// (future_run_callbacks): callbacks may call the pool.
		f->fired_next = p->fired;
		p->fired      = f;
		f->refs++;
	}
	future_unref_locked(f); // the pool's
}

/* Runs f's callbacks (f done: nothing changes them now) on this thread. */
static void
run_callbacks(mgr_future *f, future_cb *cbs)
{
	for (future_cb *cb = cbs; cb != NULL; cb = cb->next) {
		client_set_detail("%s", f->status != 0 ? f->detail : "");
		cb->fn(f, f->status, f->status == 0 ? &f->result : NULL,
		    cb->arg);
	}
}

void
future_run_callbacks(mgr_pool *p)
{
	pthread_mutex_lock(&p->mtx);
	while (p->fired != NULL) {
		mgr_future *f  = p->fired;
		p->fired       = f->fired_next;
		future_cb *cbs = f->cbs;
		f->cbs         = NULL;
		pthread_mutex_unlock(&p->mtx);
		run_callbacks(f, cbs);
		while (cbs != NULL) {
			future_cb *cb = cbs;
			cbs           = cb->next;
			free(cb);
		}
		pthread_mutex_lock(&p->mtx);
		future_unref_locked(f);
	}
	pthread_mutex_unlock(&p->mtx);
}

int
mgr_future_on_done(mgr_future *f, mgr_future_cb fn, void *arg)
{
	client_set_detail(NULL);
	ARG_NONNULL(f);
	ARG_NONNULL(fn);
	future_cb *cb = calloc(1, sizeof(*cb));
	if (cb == NULL) {
		return MGR_ENOMEM;
	}
	cb->fn        = fn;
	cb->arg       = arg;
	mgr_pool *p   = f->pool;
	bool      now = true;
	if (p != NULL) {
		pthread_mutex_lock(&p->mtx);
		if (!f->done) {
			// In the order given, as Python's add_done_callback.
			future_cb **at = &f->cbs;
			while (*at != NULL) {
				at = &(*at)->next;
			}
			*at = cb;
			now = false;
		}
		pthread_mutex_unlock(&p->mtx);
	}
	if (now) {
		run_callbacks(f, cb);
		free(cb);
	}
	return 0;
}

/* Whether fs meet return_when, counting the done ones into *ndone. */
static bool
wait_met(mgr_future *const *fs, size_t n, int return_when, size_t *ndone)
{
	bool failed = false;
	*ndone      = 0;
	for (size_t i = 0; i < n; i++) {
		if (fs[i]->done) {
			(*ndone)++;
			failed = failed || fs[i]->status != 0;
		}
	}
	return *ndone == n || (return_when == MGR_WAIT_FIRST && *ndone > 0)
	    || (return_when == MGR_WAIT_FIRST_ERROR && failed);
}

/* Waits on every future's end until at (ms, monotonic; < 0: for ever);
 * futures_mtx held. false when the time is up. */
static bool
futures_wait_until(int64_t at)
{
	if (at < 0) {
		pthread_cond_wait(&futures_cv, &futures_mtx);
		return true;
	}
	int64_t left = at - clock_ms();
	if (left <= 0) {
		return false;
	}
	struct timespec ts = clock_after_ms(left);
	pthread_cond_timedwait(&futures_cv, &futures_mtx, &ts);
	return true;
}

int
mgr_future_wait(mgr_future *const *fs, size_t n, int return_when,
    int64_t timeout, size_t *ndone)
{
	client_set_detail(NULL);
	ARG_CHECK(n == 0 || fs != NULL, fs, "is NULL with n > 0");
	ARG_NONNULL(ndone);
	ARG_CHECK(return_when == MGR_WAIT_ALL || return_when == MGR_WAIT_FIRST
	        || return_when == MGR_WAIT_FIRST_ERROR,
	    return_when, "is not MGR_WAIT_ALL, _FIRST or _FIRST_ERROR");
	for (size_t i = 0; i < n; i++) {
		ARG_CHECK(fs[i] != NULL, fs, "holds a NULL future");
	}
	pthread_once(&futures_once, futures_init);
	int64_t at = timeout < 0 ? -1 : clock_ms() + timeout;
	int     rv = 0;
	pthread_mutex_lock(&futures_mtx);
	while (!wait_met(fs, n, return_when, ndone)) {
		if (!futures_wait_until(at)) {
			client_set_detail("%zu of %zu futures done after "
			                  "%lld ms",
			    *ndone, n, (long long) timeout);
			rv = MGR_ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&futures_mtx);
	return rv;
}

static int
by_done_seq(const void *a, const void *b, void *arg)
{
	mgr_future *const *fs = arg;
	uint64_t           x  = fs[*(const size_t *) a]->done_seq,
	         y            = fs[*(const size_t *) b]->done_seq;
	return x < y ? -1 : x > y;
}

void
future_ring_attach(mgr_future *const *fs, size_t n, done_ring *r)
{
	pthread_once(&futures_once, futures_init);
	pthread_mutex_lock(&futures_mtx);
	for (size_t i = 0; i < n; i++) {
		if (fs[i]->done_seq != 0) {
			r->idx[r->tail++] = i; // ended before: sorted below
		} else {
			fs[i]->ring    = r;
			fs[i]->ring_at = i;
		}
	}
	qsort_r(r->idx, r->tail, sizeof(*r->idx), by_done_seq, (void *) fs);
	pthread_mutex_unlock(&futures_mtx);
}

void
future_ring_detach(mgr_future *const *fs, size_t n)
{
	pthread_once(&futures_once, futures_init);
	pthread_mutex_lock(&futures_mtx);
	for (size_t i = 0; i < n; i++) {
		fs[i]->ring = NULL;
	}
	pthread_mutex_unlock(&futures_mtx);
}

int
future_ring_next(done_ring *r, int64_t timeout, size_t *index)
{
	int64_t at = timeout < 0 ? -1 : clock_ms() + timeout;
	int     rv = 0;
	pthread_mutex_lock(&futures_mtx);
	while (r->head == r->tail) {
		if (!futures_wait_until(at)) {
			rv = MGR_ETIMEDOUT;
			break;
		}
	}
	if (rv == 0) {
		*index = r->idx[r->head++];
	}
	pthread_mutex_unlock(&futures_mtx);
	return rv;
}

int
mgr_future_wait_any(mgr_future *const *fs, size_t n, bool *taken,
    int64_t timeout, size_t *index)
{
	client_set_detail(NULL);
	ARG_CHECK(n == 0 || fs != NULL, fs, "is NULL with n > 0");
	ARG_CHECK(n == 0 || taken != NULL, taken, "is NULL with n > 0");
	ARG_NONNULL(index);
	for (size_t i = 0; i < n; i++) {
		ARG_CHECK(fs[i] != NULL, fs, "holds a NULL future");
	}
	pthread_once(&futures_once, futures_init);
	int64_t at = timeout < 0 ? -1 : clock_ms() + timeout;
	pthread_mutex_lock(&futures_mtx);
	for (;;) {
		// The first to end of those not taken: as_completed's order.
		size_t best = n, left = 0;
		for (size_t i = 0; i < n; i++) {
			if (taken[i]) {
				continue;
			}
			left++;
			// done_seq is set (under futures_mtx) after done.
			if (fs[i]->done && fs[i]->done_seq != 0
			    && (best == n
			        || fs[i]->done_seq < fs[best]->done_seq)) {
				best = i;
			}
		}
		if (best < n) {
			taken[best] = true;
			*index      = best;
			pthread_mutex_unlock(&futures_mtx);
			return 0;
		}
		if (left == 0) {
			pthread_mutex_unlock(&futures_mtx);
			client_set_detail("every future was taken already");
			return MGR_EEMPTY;
		}
		if (!futures_wait_until(at)) {
			pthread_mutex_unlock(&futures_mtx);
			client_set_detail(
			    "none of %zu futures done after %lld ms", left,
			    (long long) timeout);
			return MGR_ETIMEDOUT;
		}
	}
}

/* A copy of f's task record in *rec once the feeder has put it (waiting
 * for a put under way), or false: f ended, is a map's chunk (no record),
 * or never left this process (still in the outbox: unlinked from there
 * when unlink, else left). p's mutex held. */
static bool
queued_record_locked(
    mgr_pool *p, mgr_future *f, bool unlink, bool *in_outbox, mgr_value *rec)
{
	*in_outbox = false;
	for (outgoing **o = &p->out_head, *prev = NULL; *o != NULL;
	     prev = *o, o = &(*o)->next) {
		if ((*o)->f == f) {
			*in_outbox = true;
			if (unlink) {
				outgoing *gone = *o;
				*o             = gone->next;
				if (p->out_tail == gone) {
					p->out_tail = prev;
				}
				mgr_value_free(&gone->item);
				future_unref_locked(f); // the outbox's
				free(gone);
			}
			return false;
		}
	}
	while (!f->queued && !f->done && f->pool != NULL && !p->stopping) {
		pthread_cond_wait(&p->cv, &p->mtx); // the feeder's put
	}
	return !f->done && f->task.kind != MGR_NONE
	    && mgr_value_copy(rec, &f->task) == 0;
}

int
mgr_future_running(mgr_future *f, bool *running)
{
	client_set_detail(NULL);
	ARG_NONNULL(f);
	ARG_NONNULL(running);
	*running    = false;
	mgr_pool *p = f->pool;
	if (p == NULL || f->done) {
		return 0;
	}
	// Begun: a worker took its record from the tasks queue, and no
	// result came yet.
	bool      in_outbox, waiting = true;
	mgr_value rec = mgr_none();
	pthread_mutex_lock(&p->mtx);
	bool known = queued_record_locked(p, f, false, &in_outbox, &rec);
	pthread_mutex_unlock(&p->mtx);
	if (!known) {
		return 0;
	}
	int rv = mgr_queue_contains(p->tasks, rec, &waiting);
	mgr_value_free(&rec);
	*running = rv == 0 && !waiting && !f->done;
	return rv;
}

int
mgr_future_cancel(mgr_future *f, bool *cancelled)
{
	client_set_detail(NULL);
	ARG_NONNULL(f);
	ARG_NONNULL(cancelled);
	mgr_pool *p = f->pool;
	*cancelled  = f->done && f->status == MGR_ECANCELED;
	if (p == NULL || f->done) {
		return 0;
	}
	// Not begun while its record waits in the tasks queue: removing it
	// from there decides atomically against every worker's get.
	bool      in_outbox, removed = false;
	mgr_value rec = mgr_none();
	pthread_mutex_lock(&p->mtx);
	bool known = queued_record_locked(p, f, true, &in_outbox, &rec);
	pthread_mutex_unlock(&p->mtx);
	int rv = 0;
	if (known) {
		rv = mgr_queue_remove(p->tasks, rec, &removed);
		mgr_value_free(&rec);
	}
	pthread_mutex_lock(&p->mtx);
	if ((in_outbox || removed) && !f->done) {
		future_finish_locked(p, f, MGR_ECANCELED,
		    "the task was cancelled before it ran", NULL);
	}
	*cancelled = f->done && f->status == MGR_ECANCELED;
	pthread_mutex_unlock(&p->mtx);
	future_run_callbacks(p);
	return rv;
}

void
future_deliver_locked(mgr_pool *p, mgr_value *r)
{
	pool_result res;
	if (!pool_result_unpack(r, &res)) {
		return;
	}
	mgr_future *f = p->pending;
	while (f != NULL && f->id != res.id) {
		f = f->next;
	}
	if (f != NULL) {
		// The value moves from the record into the future: no copy.
		future_finish_locked(p, f, res.status,
		    res.status != 0 ? res.detail : NULL, res.value);
	}
}

int
future_wait_locked(mgr_pool *p, mgr_future *f, int64_t timeout)
{
	struct timespec until;
	if (timeout >= 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += timeout / 1000;
		until.tv_nsec += (timeout % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
	}
	while (!f->done) {
		if (timeout < 0) {
			pthread_cond_wait(&p->cv, &p->mtx);
		} else if (pthread_cond_timedwait(&p->cv, &p->mtx, &until)
		        != 0
		    && !f->done) {
			return MGR_ETIMEDOUT;
		}
	}
	return 0;
}

/* Waits for f's end; its status with the detail set. */
static int
await_end(mgr_future *f, int64_t timeout)
{
	mgr_pool *p = f->pool;
	if (p == NULL && !f->done) {
		client_set_detail("the pool was freed before the task ended");
		return MGR_ECLOSED;
	}
	int rv = 0;
	if (p != NULL) {
		pthread_mutex_lock(&p->mtx);
		rv = future_wait_locked(p, f, timeout);
		pthread_mutex_unlock(&p->mtx);
	}
	if (rv != 0) {
		client_set_detail("the task did not end within %lld ms",
		    (long long) timeout);
		return rv;
	}
	if (f->status != 0) {
		client_set_detail("%s", f->detail);
	}
	return f->status;
}

int
future_take(mgr_future *f, int64_t timeout, mgr_value *result)
{
	int rv = await_end(f, timeout);
	if (rv == 0) {
		*result   = f->result; // done: nothing else touches it
		f->result = mgr_none();
	}
	return rv;
}

int
mgr_future_get(mgr_future *f, int64_t timeout, mgr_value *result)
{
	client_set_detail(NULL);
	ARG_NONNULL(f);
	ARG_NONNULL(result);
	int rv = await_end(f, timeout);
	// A copy: get may be asked again, as Python's result().
	return rv != 0 ? rv : mgr_value_copy(result, &f->result);
}

int
mgr_future_done(mgr_future *f, bool *done)
{
	ARG_NONNULL(f);
	ARG_NONNULL(done);
	mgr_pool *p = f->pool;
	if (p != NULL) {
		pthread_mutex_lock(&p->mtx);
	}
	*done = f->done;
	if (p != NULL) {
		pthread_mutex_unlock(&p->mtx);
	}
	return 0;
}

int
mgr_future_free(mgr_future *f)
{
	if (f == NULL) {
		return 0;
	}
	mgr_pool *p = f->pool;
	if (p == NULL) {
		future_destroy(f);
		return 0;
	}
	pthread_mutex_lock(&p->mtx);
	future_unhold_locked(p, f);
	future_unref_locked(f);
	pthread_mutex_unlock(&p->mtx);
	return 0;
}
