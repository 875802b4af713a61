/* A pool's futures: each submitted task's result to come (Python's
 * AsyncResult). A future is pending in its pool's list, by id, until its
 * result record arrives (the collector, pool.c) or the pool ends it; the
 * caller holds it until mgr_future_free, and it outlives the pool. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pool_int.h"

mgr_future *
future_new_locked(mgr_pool *p)
{
	mgr_future *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return NULL;
	}
	f->result = mgr_none();
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

void
future_unref_locked(mgr_future *f)
{
	if (--f->refs == 0) {
		mgr_value_free(&f->result);
		free(f);
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
	f->done   = true;
	f->status = status;
	if (res != NULL) {
		f->result = *res; // moved
		*res      = mgr_none();
	}
	snprintf(f->detail, sizeof(f->detail), "%s", detail ? detail : "");
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
	future_unref_locked(f); // the pool's
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
		mgr_value_free(&f->result);
		free(f);
		return 0;
	}
	pthread_mutex_lock(&p->mtx);
	future_unhold_locked(p, f);
	future_unref_locked(f);
	pthread_mutex_unlock(&p->mtx);
	return 0;
}
