/* A pool of worker processes running registered tasks: Python's Pool for
 * C, built on the manager's own objects (pool_int.h), so that it survives
 * dying workers and workers on other hosts can take its tasks. This is
 * the owner's side: the workers it starts and watches (exec'ed copies of
 * the program, each watched by a thread that starts a new one when it
 * dies), the feeder thread that puts submitted tasks, the collector
 * thread that hands results to the futures (future.c), and map, close,
 * join, terminate. A result may arrive twice (a worker killed between its
 * result and its task_done); the first one counts. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "create.h"
#include "pool_int.h"

/* ---- the pool
 * --------------------------------------------------------------
 */

#define DRAIN 32 /* results taken in one round trip when they pile up */

/* Reads results and ends their futures, until the pool stops. Each round
 * trip takes one waiting get when the last round found the queue empty,
 * else DRAIN without waiting, pipelined. */
static void *
collect_main(void *arg)
{
	mgr_pool  *p       = arg;
	mgr_batch *b       = NULL;
	int        rv      = mgr_batch_new(p->c, &b);
	bool       waiting = true;
	while (rv == 0) {
		mgr_batch_reset(b);
		size_t ngets = waiting ? 1 : DRAIN, got = 0;
		for (size_t k = 0; k < ngets; k++) {
			mgr_batch_add_timeout(b, p->results, MGR_OP_QUEUE_GET,
			    NULL, 0, waiting ? MGR_FOREVER : 0);
		}
		(void) mgr_batch_exec(b, false);
		pthread_mutex_lock(&p->mtx);
		bool stop = p->stopping;
		for (size_t k = 0; k < ngets; k++) {
			int         st;
			mgr_value   x = mgr_none();
			pool_result res;
			mgr_batch_result(b, k, &st, &x);
			if (st == 0 && !stop
			    && pool_result_unpack(&x, &res)) {
				future_deliver_locked(p, &x);
				got++;
			} else if (st != 0 && st != MGR_EEMPTY) {
				rv = st; // the manager is gone
			}
			mgr_value_free(&x);
		}
		stop = stop || p->stopping;
		pthread_mutex_unlock(&p->mtx);
		future_run_callbacks(p);
		if (stop) {
			break;
		}
		waiting = got < ngets; // drained what there was
	}
	mgr_batch_free(b);
	// The manager is gone (or the pool stops): nothing more will come.
	pthread_mutex_lock(&p->mtx);
	while (rv != 0 && p->pending != NULL) {
		future_finish_locked(
		    p, p->pending, rv, "the manager is gone", NULL);
	}
	pthread_mutex_unlock(&p->mtx);
	future_run_callbacks(p);
	return NULL;
}

#define FEED 64 /* tasks put in one write */

/* Puts submitted tasks, FEED to a pipelined write, until the pool stops;
 * the futures of tasks it cannot put end with the error. */
static void *
feed_main(void *arg)
{
	mgr_pool  *p  = arg;
	mgr_batch *b  = NULL;
	int        rv = mgr_batch_new(p->c, &b);
	pthread_mutex_lock(&p->mtx);
	for (;;) {
		while (p->out_head == NULL && !p->stopping) {
			pthread_cond_wait(&p->out_cv, &p->mtx);
		}
		if (p->out_head == NULL) {
			break; // stopping, nothing left
		}
		outgoing *run = p->out_head, *last = run;
		size_t    n = 1;
		while (last->next != NULL && n < FEED) {
			last = last->next;
			n++;
		}
		p->out_head = last->next;
		if (p->out_head == NULL) {
			p->out_tail = NULL;
		}
		last->next = NULL;
		pthread_mutex_unlock(&p->mtx);
		if (rv == 0) {
			mgr_batch_reset(b);
			for (outgoing *o = run; o != NULL; o = o->next) {
				mgr_batch_add_timeout(b, p->tasks,
				    MGR_OP_QUEUE_PUT, &o->item, 1,
				    MGR_FOREVER);
			}
			rv = mgr_batch_exec(b, false);
		}
		pthread_mutex_lock(&p->mtx);
		while (run != NULL) {
			outgoing *o = run;
			run         = o->next;
			if (rv != 0 && !o->f->done) {
				future_finish_locked(p, o->f, rv,
				    "the task could not be queued", NULL);
			} else if (!o->f->done) {
				// Kept for cancel and running (pool_int.h).
				o->f->task = o->item;
				o->item    = mgr_none();
			}
			o->f->queued = true;
			future_unref_locked(o->f);
			mgr_value_free(&o->item);
			free(o);
		}
		pthread_cond_broadcast(&p->cv); // a cancel may wait for it
		if (p->fired != NULL) {
			pthread_mutex_unlock(&p->mtx);
			future_run_callbacks(p);
			pthread_mutex_lock(&p->mtx);
		}
	}
	pthread_mutex_unlock(&p->mtx);
	mgr_batch_free(b);
	return NULL;
}

/* The pool's objects in the order workers and tokens list them. */
static void
pool_objects(const mgr_pool *p, mgr_obj *objs[POOL_NOBJS])
{
	objs[0] = p->tasks;
	objs[1] = p->results;
	objs[2] = p->owner;
	objs[3] = p->config;
}

static int
start_worker_locked(mgr_pool *p, slot *s)
{
	mgr_obj *objs[POOL_NOBJS];
	pool_objects(p, objs);
	char name[32];
	snprintf(name, sizeof(name), "PoolWorker-%u", ++p->worker_seq);
	mgr_process_opts o = p->opts;
	o.name             = name;
	o.daemon           = false; // they leave with the owner's session
	return mgr_process_start(
	    p->c, POOL_ENTRY, objs, POOL_NOBJS, &o, &s->proc);
}

/* A worker's initializer failed (it said why on its stderr): that slot
 * stays empty, and once none is left the pending futures fail rather
 * than wait for ever (Python's pool would start workers without end). */
static void
init_failed_locked(mgr_pool *p, slot *s)
{
	mgr_process_free(s->proc);
	s->proc = NULL;
	for (size_t i = 0; i < p->nworkers; i++) {
		if (p->slots[i].proc != NULL) {
			return;
		}
	}
	p->closed = true;
	while (p->pending != NULL) {
		future_finish_locked(p, p->pending, MGR_EABORTED,
		    "the pool's initializer failed in every worker (see "
		    "their "
		    "stderr)",
		    NULL);
	}
}

/* Waits for its worker to end and starts another, while the pool runs:
 * after a death, or a worker's retirement (maxtasksperchild). */
static void *
watch_main(void *arg)
{
	slot     *s = arg;
	mgr_pool *p = s->pool;
	for (;;) {
		pthread_mutex_lock(&p->mtx);
		mgr_process *proc = s->proc;
		pthread_mutex_unlock(&p->mtx);
		int status = 0;
		(void) mgr_process_join(proc, MGR_FOREVER, &status);
		pthread_mutex_lock(&p->mtx);
		if (p->terminated || p->stopping
		    || (p->closed && status == 0)) {
			pthread_mutex_unlock(&p->mtx);
			return NULL; // stopped as asked (a None), or killed
		}
		if (status == POOL_INIT_FAILED) {
			init_failed_locked(p, s);
			pthread_mutex_unlock(&p->mtx);
			future_run_callbacks(p);
			return NULL;
		}
		mgr_process *old = s->proc;
		int          rv  = start_worker_locked(p, s);
		pthread_mutex_unlock(&p->mtx);
		mgr_process_free(old);
		if (rv != 0) {
			// Can't start another (no memory, no binary): the
			// others serve on; the pool has one worker less.
			pthread_mutex_lock(&p->mtx);
			s->proc = NULL;
			pthread_mutex_unlock(&p->mtx);
			return NULL;
		}
	}
}

static void pool_release(mgr_pool *p);

/* The pool's settings for its workers, in a dict they read as they
 * start (remote ones too): the initializer and its arguments,
 * maxtasksperchild. */
static int
make_config(mgr_pool *p, const mgr_pool_opts *o)
{
	int rv = mgr_dict_new(p->c, &p->config);
	if (rv == 0 && o->initializer != NULL) {
		rv = mgr_dict_set(p->config, mgr_str("initializer"),
		    mgr_str(o->initializer));
		if (rv == 0) {
			rv = mgr_dict_set(
			    p->config, mgr_str("initargs"), o->initargs);
		}
	}
	if (rv == 0 && o->maxtasksperchild > 0) {
		rv = mgr_dict_set(p->config, mgr_str("maxtasks"),
		    mgr_int((int64_t) o->maxtasksperchild));
	}
	return rv;
}

/* The record through which the manager shows the pool as one (its
 * workers, tasks waiting, running, done): it keeps the pool's objects. */
static int
make_record(mgr_pool *p)
{
	const mgr_value args[]
	    = { mgr_ref(p->tasks), mgr_ref(p->results), mgr_ref(p->owner),
		      mgr_ref(p->config), mgr_int((int64_t) p->nworkers) };
	return obj_create(p->c, MGR__OBJ_TYPE__OBJ_POOL, args, 5, &p->record);
}

mgr_obj *
mgr_pool_record(mgr_pool *p)
{
	return p != NULL ? p->record : NULL;
}

int
mgr_pool_start(mgr_client *c, size_t workers, const mgr_process_opts *opts,
    mgr_pool **pool)
{
	client_set_detail(NULL);
	ARG_NONNULL(c); // named as this call's
	ARG_NONNULL(pool);
	mgr_pool_opts o = { .process = opts };
	return mgr_pool_start_opts(c, workers, &o, pool);
}

int
mgr_pool_start_opts(
    mgr_client *c, size_t workers, const mgr_pool_opts *o, mgr_pool **pool)
{
	client_set_detail(NULL);
	ARG_NONNULL(c);
	ARG_NONNULL(pool);
	if (workers == 0) {
		workers = mgr_cpu_count(); // Python's Pool()
	}
	ARG_CHECK(workers <= 1024, workers, "is over 1024");
	mgr_pool_opts none = { 0 };
	o                  = o != NULL ? o : &none;
	if (o->initializer != NULL
	    && pool_find_task(o->initializer, strlen(o->initializer))
	        == NULL) {
		client_set_detail("no task named '%s' for the initializer "
		                  "(mgr_task_register)",
		    o->initializer);
		return MGR_EKEY;
	}
	mgr_pool *p = calloc(1, sizeof(*p));
	if (p == NULL
	    || (p->slots = calloc(workers, sizeof(*p->slots))) == NULL) {
		free(p);
		return MGR_ENOMEM;
	}
	p->c        = c;
	p->nworkers = workers;
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->out_cv, NULL);
	const mgr_process_opts *opts = o->process;
	if (opts != NULL) {
		p->opts = *opts; // argv is borrowed for the pool's life
		if (opts->exe != NULL
		    && (p->exe = strdup(opts->exe)) == NULL) {
			pool_release(p);
			return MGR_ENOMEM;
		}
		p->opts.exe = p->exe;
	}
	mgr_queue_opts qo = { .ack = true };
	int            rv;
	if ((rv = mgr_queue_new_opts(c, &qo, &p->tasks)) != 0
	    || (rv = mgr_queue_new(c, 0, &p->results)) != 0
	    || (rv = mgr_lock_new(c, &p->owner)) != 0
	    || (rv = mgr_acquire(p->owner, 0)) != 0
	    || (rv = make_config(p, o)) != 0 || (rv = make_record(p)) != 0) {
		// The releases are calls of their own: the failure's detail
		// is kept across them.
		char why[256];
		snprintf(why, sizeof(why), "%s", mgr_errdetail());
		pool_release(p);
		client_set_detail(why[0] != '\0' ? "%s" : NULL, why);
		return rv;
	}
	if (pthread_create(&p->collector, NULL, collect_main, p) != 0) {
		pool_release(p);
		return MGR_ENOMEM;
	}
	p->collecting = true;
	if (pthread_create(&p->feeder, NULL, feed_main, p) != 0) {
		mgr_pool_free(p);
		return MGR_ENOMEM;
	}
	p->feeding = true;
	pthread_mutex_lock(&p->mtx);
	for (size_t i = 0; i < workers && rv == 0; i++) {
		slot *s = &p->slots[i];
		s->pool = p;
		if ((rv = start_worker_locked(p, s)) == 0) {
			if (pthread_create(&s->watcher, NULL, watch_main, s)
			    != 0) {
				rv = MGR_ENOMEM;
			} else {
				s->running = true;
			}
		}
	}
	pthread_mutex_unlock(&p->mtx);
	if (rv != 0) {
		mgr_pool_free(p);
		return rv;
	}
	*pool = p;
	return 0;
}

int
mgr_pool_token(mgr_pool *p, char *buf, size_t cap)
{
	ARG_NONNULL(p);
	ARG_NONNULL(buf);
	mgr_obj *objs[POOL_NOBJS];
	pool_objects(p, objs);
	size_t len = 0;
	for (int i = 0; i < POOL_NOBJS; i++) {
		if (len + 1 >= cap) {
			return MGR_ETOOBIG;
		}
		if (i > 0) {
			buf[len++] = ',';
		}
		int rv = mgr_obj_token(objs[i], buf + len, cap - len);
		if (rv != 0) {
			return rv;
		}
		len += strlen(buf + len);
	}
	return 0;
}

int
pool_submit(mgr_pool *p, const char *task, mgr_value arg, bool chunked,
    sending how, mgr_future **out)
{
	if (pool_find_task(task, strlen(task)) == NULL) {
		client_set_detail(
		    "no task named '%s' (mgr_task_register)", task);
		return MGR_EKEY;
	}
	pthread_mutex_lock(&p->mtx);
	if (p->closed || p->terminated) {
		pthread_mutex_unlock(&p->mtx);
		client_set_detail("the pool is %s",
		    p->terminated ? "terminated" : "closed");
		return MGR_ECLOSED;
	}
	mgr_future *f = future_new_locked(p);
	if (f != NULL && how.o == NULL) {
		f->queued = true; // a map's chunk: no record kept (no cancel)
	}
	pthread_mutex_unlock(&p->mtx);
	if (f == NULL) {
		return MGR_ENOMEM;
	}
	pool_task t = { .id = f->id,
		.name       = task,
		.name_len   = strlen(task),
		.arg        = &arg,
		.chunked    = chunked };
	mgr_value parts[4], item;
	int       rv;
	if (how.o != NULL) {
		// Kept until the feeder puts it: an owned copy.
		if ((rv = pool_task_pack(&t, true, parts, &how.o->item))
		    == 0) {
			pthread_mutex_lock(&p->mtx);
			how.o->f = f;
			f->refs++; // the outbox's
			if (p->out_tail != NULL) {
				p->out_tail->next = how.o;
			} else {
				p->out_head = how.o;
			}
			p->out_tail = how.o;
			pthread_cond_signal(&p->out_cv);
			pthread_mutex_unlock(&p->mtx);
		}
	} else {
		// Encoded into the batch at once: borrowed parts will do.
		pool_task_pack(&t, false, parts, &item);
		rv = mgr_batch_add_timeout(how.batch, p->tasks,
		    MGR_OP_QUEUE_PUT, &item, 1, MGR_FOREVER);
	}
	if (rv != 0) {
		pthread_mutex_lock(&p->mtx);
		if (!f->done) {
			future_finish_locked(
			    p, f, rv, "the task could not be queued", NULL);
		}
		future_unhold_locked(p, f);
		future_unref_locked(f);
		pthread_mutex_unlock(&p->mtx);
		future_run_callbacks(p);
		return rv;
	}
	*out = f;
	return 0;
}

int
mgr_pool_submit(mgr_pool *p, const char *task, mgr_value arg, mgr_future **f)
{
	client_set_detail(NULL);
	ARG_NONNULL(p);
	ARG_NONNULL(task);
	ARG_NONNULL(f);
	// The task waits in the outbox for the feeder: submit does not wait
	// for the manager.
	outgoing *o = calloc(1, sizeof(*o));
	if (o == NULL) {
		return MGR_ENOMEM;
	}
	int rv = pool_submit(p, task, arg, false, (sending) { .o = o }, f);
	if (rv != 0) {
		free(o);
	}
	return rv;
}

int
mgr_pool_apply(mgr_pool *p, const char *task, mgr_value arg, int64_t timeout,
    mgr_value *result)
{
	ARG_NONNULL(result);
	mgr_future *f  = NULL;
	int         rv = mgr_pool_submit(p, task, arg, &f);
	if (rv == 0) {
		rv = mgr_future_get(f, timeout, result);
		mgr_future_free(f); // keeps get's detail
	}
	return rv;
}

int
mgr_pool_close(mgr_pool *p)
{
	ARG_NONNULL(p);
	pthread_mutex_lock(&p->mtx);
	p->closed = true;
	pthread_mutex_unlock(&p->mtx);
	return 0;
}

/* Waits for the workers' watchers, each of which ends with its worker
 * (stopped by a None, or killed). */
static void
join_watchers(mgr_pool *p)
{
	for (size_t i = 0; i < p->nworkers; i++) {
		slot *s = &p->slots[i];
		if (s->running) {
			pthread_join(s->watcher, NULL);
			s->running = false;
		}
	}
}

int
mgr_pool_join(mgr_pool *p, int64_t timeout)
{
	client_set_detail(NULL);
	ARG_NONNULL(p);
	int64_t t0 = clock_ms();
	pthread_mutex_lock(&p->mtx);
	if (!p->closed && !p->terminated) {
		pthread_mutex_unlock(&p->mtx);
		client_set_detail(
		    "join needs mgr_pool_close (or terminate) first");
		return MGR_ESTATE;
	}
	// Every task done first, while workers still run.
	while (p->pending != NULL) {
		int64_t left = timeout < 0 ? -1 : timeout - (clock_ms() - t0);
		int     rv   = future_wait_locked(
		          p, p->pending, left < 0 && timeout >= 0 ? 0 : left);
		if (rv != 0) {
			pthread_mutex_unlock(&p->mtx);
			client_set_detail("tasks still running after %lld ms",
			    (long long) timeout);
			return rv;
		}
	}
	bool terminated = p->terminated;
	pthread_mutex_unlock(&p->mtx);
	// Then a None, which each worker (here or elsewhere) passes on to
	// the next as it stops.
	if (!terminated) {
		int rv = mgr_queue_put(p->tasks, mgr_none(), MGR_FOREVER);
		if (rv != 0) {
			return rv;
		}
	}
	join_watchers(p);
	return 0;
}

int
mgr_pool_terminate(mgr_pool *p)
{
	ARG_NONNULL(p);
	pthread_mutex_lock(&p->mtx);
	p->terminated = true;
	p->closed     = true;
	while (p->pending != NULL) {
		future_finish_locked(p, p->pending, MGR_ECLOSED,
		    "the pool was terminated", NULL);
	}
	for (size_t i = 0; i < p->nworkers; i++) {
		if (p->slots[i].proc != NULL) {
			mgr_process_kill(p->slots[i].proc);
		}
	}
	pthread_mutex_unlock(&p->mtx);
	future_run_callbacks(p);
	join_watchers(p);
	return 0;
}

int
mgr_pool_worker_pids(mgr_pool *p, int64_t *pids, size_t cap, size_t *n)
{
	ARG_NONNULL(p);
	ARG_NONNULL(n);
	ARG_CHECK(!(pids == NULL && cap > 0), pids, "is NULL with cap > 0");
	pthread_mutex_lock(&p->mtx);
	*n = 0;
	for (size_t i = 0; i < p->nworkers; i++) {
		if (p->slots[i].proc != NULL) {
			if (*n < cap) {
				pids[*n] = mgr_process_pid(p->slots[i].proc);
			}
			(*n)++;
		}
	}
	pthread_mutex_unlock(&p->mtx);
	return 0;
}

/* Frees what p holds in this process and the manager; no thread runs. */
static void
pool_release(mgr_pool *p)
{
	for (size_t i = 0; p->slots != NULL && i < p->nworkers; i++) {
		mgr_process_free(p->slots[i].proc); // kills one still running
	}
	if (p->owner != NULL) {
		(void) mgr_release(p->owner); // remote workers leave now
	}
	if (p->record != NULL) {
		mgr_obj_release(p->record);
	}
	mgr_obj *objs[POOL_NOBJS];
	pool_objects(p, objs);
	for (int i = 0; i < POOL_NOBJS; i++) {
		if (objs[i] != NULL) {
			mgr_obj_release(objs[i]);
		}
	}
	pthread_mutex_destroy(&p->mtx);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->out_cv);
	free(p->exe);
	free(p->slots);
	free(p);
}

int
mgr_pool_free(mgr_pool *p)
{
	if (p == NULL) {
		return 0;
	}
	mgr_pool_terminate(p); // no-op for workers already joined
	pthread_mutex_lock(&p->mtx);
	p->stopping = true;
	pthread_mutex_unlock(&p->mtx);
	if (p->feeding) {
		pthread_mutex_lock(&p->mtx);
		pthread_cond_signal(&p->out_cv);
		pthread_mutex_unlock(&p->mtx);
		pthread_join(p->feeder, NULL); // puts what is left first
	}
	if (p->collecting) {
		// Wakes the collector's get: it sees stopping and ends.
		(void) mgr_queue_put(p->results, mgr_none(), MGR_FOREVER);
		pthread_join(p->collector, NULL);
	}
	pthread_mutex_lock(&p->mtx);
	// Futures the caller still holds outlive the pool.
	while (p->pending != NULL) {
		future_finish_locked(
		    p, p->pending, MGR_ECLOSED, "the pool was freed", NULL);
	}
	pthread_mutex_unlock(&p->mtx);
	future_run_callbacks(p);
	pthread_mutex_lock(&p->mtx);
	for (mgr_future *f = p->held; f != NULL; f = f->anext) {
		f->pool = NULL;
	}
	pthread_mutex_unlock(&p->mtx);
	pool_release(p);
	return 0;
}
