/* A pool of worker processes running registered tasks: Python's Pool for
 * C, built on the manager's own objects, so that it survives dying
 * workers and workers on other hosts can take its tasks.
 *
 * In the manager, a pool is three objects:
 * - tasks, an acknowledged queue of [id, task name, arg, chunked] (None:
 *   the workers' signal to stop, passed on by each to the next). A worker
 * that dies before its task_done gives its task back to the front of the
 * queue, so another runs it;
 * - results, a queue of [id, status, value or error text] that the pool's
 *   collector thread reads and hands to the futures;
 * - attempts, a dict id -> how many times a worker began the task: a task
 *   begun a fourth time killed its worker three times, and fails instead
 *   of looping.
 * Workers are exec'ed copies of the program (mgr_process_start of the
 * entry "mgr.pool.worker"), each watched by a thread of the pool that
 * starts a new one when it dies. A result may arrive twice (a worker killed
 * between its result and its task_done); the first one counts. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "internal.h"

#define MAX_TASKS     64
#define POOL_ENTRY    "mgr.pool.worker"
#define POISON_STARTS 4 /* a task begun this often killed 3 workers */
#define DETAIL_MAX    300

/* ---- the registry of tasks, in every process of the program -------------
 */

static fn_table tasks = FN_TABLE_INIT;

static mgr_task_fn
find_task(const char *name, size_t len)
{
	return (mgr_task_fn) fn_table_get(&tasks, name, len);
}

static int pool_worker_entry(
    mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv);

int
mgr_task_register(const char *name, mgr_task_fn fn)
{
	ARG_NONNULL(name);
	ARG_CHECK(name[0] != '\0', name, "is empty");
	ARG_NONNULL(fn);
	// The worker's entry goes with the first task.
	int rv = mgr_process_register(POOL_ENTRY, pool_worker_entry);
	if (rv != 0) {
		return rv;
	}
	return fn_table_set(&tasks, name, (fn_any) fn);
}

/* ---- the worker
 * ------------------------------------------------------------
 */

/* Runs fn on arg, or on each item of arg when chunked: *res is the
 * result (a list when chunked); detail gets the text of a failure. */
static int
run_task(mgr_client *c, mgr_task_fn fn, const mgr_value *arg, bool chunked,
    mgr_value *res, char *detail)
{
	client_set_detail(NULL);
	if (!chunked) {
		*res   = mgr_none();
		int rv = fn(c, arg, res);
		if (rv != 0) {
			snprintf(detail, DETAIL_MAX, "%s", mgr_errdetail());
		}
		return rv;
	}
	if (arg->kind != MGR_LIST) {
		snprintf(detail, DETAIL_MAX, "a chunk is not a list");
		return MGR_EPROTO;
	}
	mgr_value *out = calloc(arg->len ? arg->len : 1, sizeof(*out));
	if (out == NULL) {
		return MGR_ENOMEM;
	}
	int rv = 0;
	for (size_t i = 0; i < arg->len && rv == 0; i++) {
		out[i] = mgr_none();
		if ((rv = fn(c, &arg->items[i], &out[i])) != 0) {
			snprintf(detail, DETAIL_MAX, "%s", mgr_errdetail());
		}
	}
	mgr_value list = mgr_list_of(out, arg->len);
	if (rv == 0) {
		rv = mgr_value_copy(res, &list); // owned, as fn's results
	}
	for (size_t i = 0; i < arg->len; i++) {
		mgr_value_free(&out[i]);
	}
	free(out);
	return rv;
}

/* What a task taken from the queue gives: its id, and the result to put
 * (a [id, status, value or error text] list, in *out, the caller's). The
 * task runs unless it killed too many workers already. MGR_EPROTO for an
 * item that is not a pool's task; the manager's errors. */
static int
run_item(
    mgr_client *c, mgr_obj *attempts, const mgr_value *item, mgr_value *out)
{
	char       detail[DETAIL_MAX] = "";
	mgr_value  res                = mgr_none(), count;
	int        status;
	const bool shaped = item->kind == MGR_LIST && item->len == 4
	    && item->items[0].kind == MGR_INT
	    && item->items[1].kind == MGR_STR
	    && item->items[3].kind == MGR_BOOL;
	if (!shaped) {
		return MGR_EPROTO; // not from a pool: not answered
	}
	const mgr_value *id = &item->items[0];
	int rv = mgr_dict_incr(attempts, *id, mgr_int(1), &count);
	if (rv != 0) {
		return rv;
	}
	mgr_task_fn fn = find_task(item->items[1].s, item->items[1].len);
	if (count.i >= POISON_STARTS) {
		status = MGR_EABORTED;
		snprintf(detail, sizeof(detail),
		    "task '%.*s' killed its worker %d times: not run again",
		    (int) item->items[1].len, item->items[1].s,
		    POISON_STARTS - 1);
	} else if (fn == NULL) {
		status = MGR_EKEY;
		snprintf(detail, sizeof(detail),
		    "no task named '%.*s' in the worker's program",
		    (int) item->items[1].len, item->items[1].s);
	} else {
		status = run_task(
		    c, fn, &item->items[2], item->items[3].b, &res, detail);
	}
	mgr_value parts[3]
	    = { *id, mgr_int(status), status == 0 ? res : mgr_str(detail) };
	mgr_value list = mgr_list_of(parts, 3);
	rv             = mgr_value_copy(out, &list);
	mgr_value_free(&res);
	return rv;
}

/* The worker's loop: tasks until a None (the pool stops) or the manager
 * goes away. After each task, one pipelined round trip puts its result,
 * forgets its count of starts, acknowledges it and gets the next one
 * (waiting for it there): a killed worker loses nothing, since a task is
 * acknowledged only once its result is in. */
static int
work(mgr_client *c, mgr_obj *taskq, mgr_obj *results, mgr_obj *attempts)
{
	mgr_batch *b;
	mgr_value  item;
	int        rv = mgr_batch_new(c, &b);
	if (rv == 0) {
		rv = mgr_queue_get(taskq, &item, MGR_FOREVER);
	}
	while (rv == 0) {
		if (item.kind == MGR_NONE) {
			// A None stops the pool's workers: each puts it back
			// for the next one (those on other hosts too) and
			// leaves.
			mgr_value_free(&item);
			rv = mgr_queue_put(taskq, mgr_none(), MGR_FOREVER);
			if (rv == 0) {
				rv = mgr_queue_task_done(taskq);
			}
			break;
		}
		mgr_value out;
		if ((rv = run_item(c, attempts, &item, &out)) != 0) {
			mgr_value_free(&item);
			break;
		}
		mgr_batch_reset(b);
		mgr_batch_add(b, results, MGR_OP_QUEUE_PUT, &out, 1);
		mgr_batch_add(
		    b, attempts, MGR_OP_DICT_DEL, &item.items[0], 1);
		mgr_batch_add(b, taskq, MGR_OP_QUEUE_TASK_DONE, NULL, 0);
		mgr_batch_add_timeout(
		    b, taskq, MGR_OP_QUEUE_GET, NULL, 0, MGR_FOREVER);
		rv = mgr_batch_exec(b, false);
		mgr_value_free(&out);
		mgr_value_free(&item);
		int st[4];
		for (size_t k = 0; k < 4; k++) {
			mgr_batch_result(b, k, &st[k], k == 3 ? &item : NULL);
		}
		// A second run's count is gone already: not an error.
		if (rv == MGR_EKEY && st[0] == 0 && st[1] == MGR_EKEY
		    && st[2] == 0 && st[3] == 0) {
			rv = 0;
		}
		if (rv != 0 && st[3] == 0) {
			mgr_value_free(&item);
		}
	}
	mgr_batch_free(b);
	return rv;
}

static int
pool_worker_entry(
    mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) argc;
	(void) argv;
	if (n != 3) {
		return 2;
	}
	return work(c, objs[0], objs[1], objs[2]) == 0 ? 0 : 1;
}

int
mgr_pool_work(mgr_client *c, const char *token)
{
	char     buf[600];
	mgr_obj *o[3] = { NULL, NULL, NULL };
	ARG_NONNULL(c);
	ARG_NONNULL(token);
	ARG_CHECK(strlen(token) < sizeof(buf), token,
	    "is too long for a pool's token");
	snprintf(buf, sizeof(buf), "%s", token);
	char *save = NULL, *t = strtok_r(buf, ",", &save);
	int   rv = 0;
	for (int i = 0; i < 3 && rv == 0;
	     i++, t = strtok_r(NULL, ",", &save)) {
		rv = t == NULL ? MGR_EINVAL : mgr_attach(c, t, &o[i]);
	}
	if (rv == MGR_EINVAL) {
		client_set_detail("not a pool's token (mgr_pool_token)");
	}
	if (rv == 0) {
		rv = work(c, o[0], o[1], o[2]);
	}
	for (int i = 0; i < 3; i++) {
		if (o[i] != NULL) {
			mgr_obj_release(o[i]);
		}
	}
	return rv;
}

/* ---- the pool
 * --------------------------------------------------------------
 */

struct mgr_future {
	mgr_pool   *pool; /* NULL once the pool is freed */
	uint64_t    id;
	bool        done;
	int         status;
	mgr_value   result; /* owned, once done with status 0 */
	char        detail[DETAIL_MAX];
	int         refs; /* the pool's (while pending) and the caller's */
	mgr_future *next, *prev;   /* in the pool's pending list, by id */
	mgr_future *anext, *aprev; /* in the pool's list of the caller's */
};

typedef struct slot {
	mgr_pool    *pool;
	mgr_process *proc; /* under the pool's mutex */
	pthread_t    watcher;
	bool         running;
} slot;

struct mgr_pool {
	mgr_client      *c;
	mgr_obj         *tasks, *results, *attempts;
	pthread_mutex_t  mtx;
	pthread_cond_t   cv;
	mgr_process_opts opts;
	char            *exe;
	size_t           nworkers;
	slot            *slots;
	pthread_t        collector;
	bool             collecting;
	/* submit's tasks, put by the feeder thread 64 to a write (as
	 * Python's Pool feeds its task queue from a thread) */
	struct outgoing *out_head, *out_tail;
	pthread_cond_t   out_cv;
	pthread_t        feeder;
	bool             feeding;
	uint64_t         next_id;
	mgr_future      *pending, *pending_tail; /* not done yet, by id:
	                                          * results come mostly in
	                                          * order, found near the head */
	mgr_future *held; /* every future the caller has not freed */
	bool        closed, terminated, stopping;
};

/* A task submitted and not yet put: its future (referenced) and the
 * task item (a copy, owned). */
typedef struct outgoing {
	mgr_future      *f;
	mgr_value        item;
	struct outgoing *next;
} outgoing;

static void
future_unref_locked(mgr_future *f)
{
	if (--f->refs == 0) {
		mgr_value_free(&f->result);
		free(f);
	}
}

/* f leaves the caller's futures. */
static void
unhold_locked(mgr_pool *p, mgr_future *f)
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

/* Ends f with status (its detail text) and res (moved), under the
 * pool's mutex; it leaves the pending list. */
static void
finish_locked(mgr_pool *p, mgr_future *f, int status, const char *detail,
    mgr_value *res)
{
	f->done   = true;
	f->status = status;
	if (res != NULL) {
		f->result = *res;
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

/* Ends the future of result r (a repeat, for a future already ended, is
 * dropped: the first one counted). The pool's mutex held. */
static void
deliver_locked(mgr_pool *p, mgr_value *r)
{
	if (r->kind != MGR_LIST || r->len != 3 || r->items[0].kind != MGR_INT
	    || r->items[1].kind != MGR_INT) {
		return;
	}
	mgr_future *f = p->pending;
	while (f != NULL && f->id != (uint64_t) r->items[0].i) {
		f = f->next;
	}
	if (f != NULL) {
		int        status = (int) r->items[1].i;
		mgr_value *v      = &r->items[2];
		finish_locked(p, f, status,
		    status != 0 && v->kind == MGR_STR ? v->s : NULL,
		    status == 0 ? v : NULL);
	}
}

#define DRAIN 32 /* results taken in one round trip when they pile up */

/* Reads results and ends their futures, until the pool stops: one
 * waiting get, then whatever else is there already, DRAIN at a time in
 * one pipelined round trip. */
static void *
collect_main(void *arg)
{
	mgr_pool  *p  = arg;
	mgr_batch *b  = NULL;
	int        rv = mgr_batch_new(p->c, &b);
	while (rv == 0) {
		mgr_value r;
		rv = mgr_queue_get(p->results, &r, MGR_FOREVER);
		pthread_mutex_lock(&p->mtx);
		bool stop = rv != 0 || p->stopping;
		if (!stop) {
			deliver_locked(p, &r);
		}
		pthread_mutex_unlock(&p->mtx);
		if (rv == 0) {
			mgr_value_free(&r);
		}
		for (bool more = !stop; more;) {
			mgr_batch_reset(b);
			for (int k = 0; k < DRAIN; k++) {
				mgr_batch_add_timeout(b, p->results,
				    MGR_OP_QUEUE_GET, NULL, 0, 0);
			}
			int brv = mgr_batch_exec(b, false);
			if (brv != 0 && brv != MGR_EEMPTY) {
				rv = brv;
				break;
			}
			pthread_mutex_lock(&p->mtx);
			for (size_t k = 0; k < DRAIN; k++) {
				int       st;
				mgr_value x = mgr_none();
				mgr_batch_result(b, k, &st, &x);
				if (st == 0 && !p->stopping) {
					deliver_locked(p, &x);
				} else {
					more = false; // empty now
				}
				mgr_value_free(&x);
			}
			stop = p->stopping;
			more = more && !stop;
			pthread_mutex_unlock(&p->mtx);
		}
		if (stop) {
			break;
		}
	}
	mgr_batch_free(b);
	// The manager is gone (or the pool stops): nothing more will come.
	pthread_mutex_lock(&p->mtx);
	while (rv != 0 && p->pending != NULL) {
		finish_locked(p, p->pending, rv, "the manager is gone", NULL);
	}
	pthread_mutex_unlock(&p->mtx);
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
				finish_locked(p, o->f, rv,
				    "the task could not be queued", NULL);
			}
			future_unref_locked(o->f);
			mgr_value_free(&o->item);
			free(o);
		}
	}
	pthread_mutex_unlock(&p->mtx);
	mgr_batch_free(b);
	return NULL;
}

static int
start_worker_locked(mgr_pool *p, slot *s)
{
	mgr_obj *objs[3] = { p->tasks, p->results, p->attempts };
	return mgr_process_start(
	    p->c, POOL_ENTRY, objs, 3, &p->opts, &s->proc);
}

/* Waits for its worker to end and starts another, while the pool runs. */
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

int
mgr_pool_start(mgr_client *c, size_t workers, const mgr_process_opts *opts,
    mgr_pool **pool)
{
	ARG_NONNULL(c);
	ARG_NONNULL(pool);
	ARG_CHECK(
	    workers >= 1 && workers <= 1024, workers, "is not in 1..1024");
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
	    || (rv = mgr_dict_new(c, &p->attempts)) != 0) {
		pool_release(p);
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
	char a[200], b[200], d[200];
	ARG_NONNULL(p);
	ARG_NONNULL(buf);
	int rv;
	if ((rv = mgr_obj_token(p->tasks, a, sizeof(a))) != 0
	    || (rv = mgr_obj_token(p->results, b, sizeof(b))) != 0
	    || (rv = mgr_obj_token(p->attempts, d, sizeof(d))) != 0) {
		return rv;
	}
	int n = snprintf(buf, cap, "%s,%s,%s", a, b, d);
	return n < 0 || (size_t) n >= cap ? MGR_ETOOBIG : 0;
}

/* How submit sends a task: now, into a batch (the caller executes it),
 * or through the feeder (o, filled and queued here). */
typedef struct sending {
	mgr_batch *batch;
	outgoing  *o;
} sending;

/* A new pending future for task name on arg (chunked: arg is a list of
 * items, each run), its task sent as how says. */
static int
submit(mgr_pool *p, const char *task, mgr_value arg, bool chunked,
    sending how, mgr_future **out)
{
	if (find_task(task, strlen(task)) == NULL) {
		client_set_detail(
		    "no task named '%s' (mgr_task_register)", task);
		return MGR_EKEY;
	}
	mgr_future *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return MGR_ENOMEM;
	}
	f->result = mgr_none();
	pthread_mutex_lock(&p->mtx);
	if (p->closed || p->terminated) {
		pthread_mutex_unlock(&p->mtx);
		free(f);
		client_set_detail("the pool is %s",
		    p->terminated ? "terminated" : "closed");
		return MGR_ECLOSED;
	}
	f->pool = p;
	f->id   = ++p->next_id;
	f->refs = 2;
	f->prev = p->pending_tail;
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
	pthread_mutex_unlock(&p->mtx);
	mgr_value parts[4] = { mgr_int((int64_t) f->id), mgr_str(task), arg,
		mgr_bool(chunked) };
	mgr_value item     = mgr_list_of(parts, 4);
	int       rv;
	if (how.o != NULL) {
		if ((rv = mgr_value_copy(&how.o->item, &item)) == 0) {
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
	} else if (how.batch != NULL) {
		rv = mgr_batch_add_timeout(how.batch, p->tasks,
		    MGR_OP_QUEUE_PUT, &item, 1, MGR_FOREVER);
	} else {
		rv = mgr_queue_put(p->tasks, item, MGR_FOREVER);
	}
	if (rv != 0) {
		pthread_mutex_lock(&p->mtx);
		if (!f->done) {
			finish_locked(
			    p, f, rv, "the task could not be queued", NULL);
		}
		unhold_locked(p, f);
		future_unref_locked(f);
		pthread_mutex_unlock(&p->mtx);
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
	int rv = submit(p, task, arg, false, (sending) { .o = o }, f);
	if (rv != 0) {
		free(o);
	}
	return rv;
}

/* Waits for f until deadline (< 0: none), f's pool mutex held. */
static int
wait_done_locked(mgr_pool *p, mgr_future *f, int64_t timeout)
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

int
mgr_future_get(mgr_future *f, int64_t timeout, mgr_value *result)
{
	client_set_detail(NULL);
	ARG_NONNULL(f);
	ARG_NONNULL(result);
	mgr_pool *p = f->pool;
	if (p == NULL && !f->done) {
		client_set_detail("the pool was freed before the task ended");
		return MGR_ECLOSED;
	}
	int rv = 0;
	if (p != NULL) {
		pthread_mutex_lock(&p->mtx);
		rv = wait_done_locked(p, f, timeout);
		pthread_mutex_unlock(&p->mtx);
	}
	if (rv != 0) {
		client_set_detail("the task did not end within %lld ms",
		    (long long) timeout);
		return rv;
	}
	if (f->status != 0) {
		client_set_detail("%s", f->detail);
		return f->status;
	}
	return mgr_value_copy(result, &f->result);
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
	unhold_locked(p, f);
	future_unref_locked(f);
	pthread_mutex_unlock(&p->mtx);
	return 0;
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
mgr_pool_map(mgr_pool *p, const char *task, mgr_value list, size_t chunksize,
    int64_t timeout, mgr_value *results)
{
	client_set_detail(NULL);
	ARG_NONNULL(p);
	ARG_NONNULL(task);
	ARG_NONNULL(results);
	ARG_CHECK(list.kind == MGR_LIST || list.kind == MGR_TUPLE, list,
	    "is not a list or a tuple");
	size_t       n   = list.len;
	size_t       cs  = chunksize ? chunksize : 1;
	size_t       nf  = (n + cs - 1) / cs;
	mgr_future **fs  = calloc(nf ? nf : 1, sizeof(*fs));
	mgr_value   *out = calloc(n ? n : 1, sizeof(*out));
	int          rv  = fs == NULL || out == NULL ? MGR_ENOMEM : 0;
	int64_t      t0  = clock_ms();
	size_t       got = 0;
	// The tasks go out 64 to a write (a pipelined batch).
	mgr_batch *b = NULL;
	if (rv == 0) {
		rv = mgr_batch_new(p->c, &b);
	}
	size_t first = 0; /* the first future of the batch under way */
	for (size_t k = 0; k < nf && rv == 0; k++) {
		size_t m = k * cs + cs <= n ? cs : n - k * cs;
		rv       = submit(p, task,
		          mgr_list_of((mgr_value *) list.items + k * cs, m), true,
		          (sending) { .batch = b }, &fs[k]);
		if (rv == 0 && (mgr_batch_len(b) == 64 || k + 1 == nf)) {
			rv = mgr_batch_exec(b, false);
			mgr_batch_reset(b);
			if (rv != 0) {
				// Not queued: those futures end now.
				pthread_mutex_lock(&p->mtx);
				for (size_t j = first; j <= k; j++) {
					if (!fs[j]->done) {
						finish_locked(p, fs[j], rv,
						    "the task could not be "
						    "queued",
						    NULL);
					}
				}
				pthread_mutex_unlock(&p->mtx);
			}
			first = k + 1;
		}
	}
	mgr_batch_free(b);
	// In the input's order, each chunk's results in its order.
	for (size_t k = 0; k < nf && rv == 0; k++) {
		int64_t left = timeout < 0 ? -1 : timeout - (clock_ms() - t0);
		mgr_value chunk;
		rv = mgr_future_get(
		    fs[k], left < 0 && timeout >= 0 ? 0 : left, &chunk);
		if (rv == 0) {
			for (size_t i = 0; i < chunk.len && got < n; i++) {
				rv = rv ? rv
				        : mgr_value_copy(
				            &out[got++], &chunk.items[i]);
			}
			mgr_value_free(&chunk);
		}
	}
	if (rv == 0) {
		mgr_value l = mgr_list_of(out, got);
		rv          = mgr_value_copy(results, &l);
	}
	for (size_t k = 0; fs != NULL && k < nf; k++) {
		mgr_future_free(fs[k]);
	}
	for (size_t i = 0; out != NULL && i < got; i++) {
		mgr_value_free(&out[i]);
	}
	free(fs);
	free(out);
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
		int     rv   = wait_done_locked(
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
		finish_locked(p, p->pending, MGR_ECLOSED,
		    "the pool was terminated", NULL);
	}
	for (size_t i = 0; i < p->nworkers; i++) {
		if (p->slots[i].proc != NULL) {
			mgr_process_kill(p->slots[i].proc);
		}
	}
	pthread_mutex_unlock(&p->mtx);
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
	mgr_obj *objs[3] = { p->tasks, p->results, p->attempts };
	for (int i = 0; i < 3; i++) {
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
		finish_locked(
		    p, p->pending, MGR_ECLOSED, "the pool was freed", NULL);
	}
	for (mgr_future *f = p->held; f != NULL; f = f->anext) {
		f->pool = NULL;
	}
	pthread_mutex_unlock(&p->mtx);
	pool_release(p);
	return 0;
}
