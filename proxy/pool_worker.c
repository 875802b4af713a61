/* The worker's side of a pool: the registry of tasks (in every process of
 * the program), and the loop a worker runs, whether the pool's owner
 * started it (mgr_process_start of POOL_ENTRY) or a process on another
 * host joined with the pool's token (mgr_pool_work). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "pool_int.h"

#define PREFETCH_MAX    8    /* tasks taken at once when they are quick */
#define FAST_TASK_US    200  /* ... that is, ran in less than this */
#define HOLD_RESULTS_US 1000 /* results held no longer, then sent */
#define BIG_RESULT      (64 * 1024) /* a result this big goes at once */

static fn_table tasks = FN_TABLE_INIT;

mgr_task_fn
pool_find_task(const char *name, size_t len)
{
	return (mgr_task_fn) fn_table_get(&tasks, name, len);
}

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

/* Marks v, decoded (owned throughout), as lent (not owned) or owned
 * again, all the way down: a task that returns its argument, or a part of
 * it, then gives a value that mgr_value_take copies instead of moving out
 * of the task record, which is freed on its own. */
static void
lend(mgr_value *v, bool lent)
{
	if (v->kind == MGR_NONE || v->kind == MGR_BOOL || v->kind == MGR_INT
	    || v->kind == MGR_FLOAT) {
		return;
	}
	v->flags
	    = lent ? v->flags & ~MGR_VALUE_OWNED : v->flags | MGR_VALUE_OWNED;
	size_t     n  = v->kind == MGR_LIST || v->kind == MGR_TUPLE ? v->len
	         : v->kind == MGR_DICT ? 2 * v->len
	                               : 0;
	mgr_value *in = v->kind == MGR_DICT ? v->pairs : v->items;
	for (size_t i = 0; i < n; i++) {
		lend(&in[i], lent);
	}
}

/* Runs fn on arg, or on each item of arg when chunked: *res is the
 * result (owned; a list when chunked); detail gets the text of a failure.
 * A task's result may point at memory that lives only until it returns
 * (mgr.h): it is taken (copied, unless the library owns it) as each call
 * returns, before the next call may reuse that memory. */
static int
run_task(mgr_client *c, mgr_task_fn fn, const mgr_value *arg, bool chunked,
    mgr_value *res, char *detail)
{
	client_set_detail(NULL);
	if (!chunked) {
		mgr_value r  = mgr_none();
		int       rv = fn(c, arg, &r);
		if (rv != 0) {
			snprintf(detail, DETAIL_MAX, "%s", mgr_errdetail());
			mgr_value_free(&r);
			return rv;
		}
		return mgr_value_take(res, &r);
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
		mgr_value r = mgr_none();
		if ((rv = fn(c, &arg->items[i], &r)) != 0) {
			snprintf(detail, DETAIL_MAX, "%s", mgr_errdetail());
			mgr_value_free(&r);
		} else {
			rv = mgr_value_take(&out[i], &r);
		}
	}
	if (rv == 0) {
		rv = value_list_take(out, arg->len, res); // moves: all owned
	}
	for (size_t i = 0; i < arg->len; i++) {
		mgr_value_free(&out[i]);
	}
	free(out);
	return rv;
}

/* What a task taken from the queue gives: its id (*id), and the result
 * record to put (in *out, the caller's). The task runs unless it killed
 * too many workers already: it was handed out deliveries times before,
 * each time to a worker that died with it. MGR_EPROTO for an item that
 * is not a pool's task. */
static int
run_item(mgr_client *c, const mgr_value *item, uint64_t deliveries,
    mgr_value *out, uint64_t *id)
{
	char      detail[DETAIL_MAX] = "";
	mgr_value res                = mgr_none();
	int       status;
	pool_task t;
	if (!pool_task_unpack(item, &t)) {
		return MGR_EPROTO; // not from a pool: not answered
	}
	*id            = t.id;
	mgr_task_fn fn = pool_find_task(t.name, t.name_len);
	if (deliveries + 1 >= POISON_STARTS) {
		status = MGR_EABORTED;
		snprintf(detail, sizeof(detail),
		    "task '%.*s' killed its worker %d times: not run again",
		    (int) t.name_len, t.name, POISON_STARTS - 1);
	} else if (fn == NULL) {
		status = MGR_EKEY;
		snprintf(detail, sizeof(detail),
		    "no task named '%.*s' in the worker's program",
		    (int) t.name_len, t.name);
	} else {
		lend((mgr_value *) t.arg, true); // item is ours
		status = run_task(c, fn, t.arg, t.chunked, &res, detail);
		lend((mgr_value *) t.arg, false);
	}
	int rv = pool_result_pack(t.id, status, &res, detail, out);
	mgr_value_free(&res);
	return rv;
}

/* Whether rv says the connection or the session is gone (nothing more
 * can be sent), rather than that the manager refused one request. */
static bool
lost(int rv)
{
	return rv == MGR_ECONN || rv == MGR_ECLOSED || rv == MGR_ESESSION
	    || rv == MGR_ENOMEM;
}

/* *out, the result record of task id, replaced by a record of the
 * failure rv (its detail: mgr_errdetail()): a result that cannot be sent
 * (a str that is not UTF-8, over the size limit, refused by the manager's
 * memory limit) fails its task instead of its worker. */
static int
fail_result(uint64_t id, int rv, mgr_value *out)
{
	char detail[DETAIL_MAX];
	snprintf(detail, sizeof(detail),
	    "the task's result cannot be sent: %s: %s", mgr_strerror(rv),
	    mgr_errdetail());
	mgr_value_free(out);
	return pool_result_pack(id, rv, NULL, detail, out);
}

/* Adds to b the put of result record *out of task id and its task_done;
 * a record the batch refuses (a str that is not UTF-8, over the size
 * limit) is replaced by its task's failure first. */
static int
add_result(mgr_batch *b, const pool_objs *po, mgr_value *out, uint64_t id)
{
	int rv = mgr_batch_add(b, po->results, MGR_OP_QUEUE_PUT, out, 1);
	if (rv != 0 && !lost(rv)) {
		rv = fail_result(id, rv, out);
		if (rv == 0) {
			rv = mgr_batch_add(
			    b, po->results, MGR_OP_QUEUE_PUT, out, 1);
		}
	}
	return rv != 0
	    ? rv
	    : mgr_batch_add(b, po->tasks, MGR_OP_QUEUE_TASK_DONE, NULL, 0);
}

/* Results the worker made and has not sent: records and task ids. */
typedef struct result_set {
	mgr_value rec[PREFETCH_MAX];
	uint64_t  ids[PREFETCH_MAX];
	size_t    n;
} result_set;

/* The statuses of r's puts and task_dones in b from entry *k on (r's
 * records freed): the first failure. A put the manager refused (its
 * memory limit) is acknowledged already: its future gets why. */
static int
results_sent(mgr_batch *b, const pool_objs *po, result_set *r, size_t *k)
{
	int rv = 0, st;
	for (size_t i = 0; i < r->n; i++) {
		mgr_batch_result(b, (*k)++, &st, NULL);
		if (st != 0 && !lost(st)) {
			st = fail_result(r->ids[i], st, &r->rec[i]);
			if (st == 0) {
				st = mgr_queue_put(
				    po->results, r->rec[i], MGR_FOREVER);
			}
		}
		rv = rv != 0 ? rv : st;
		mgr_batch_result(b, (*k)++, &st, NULL);
		rv = rv != 0 ? rv : st;
		mgr_value_free(&r->rec[i]);
	}
	r->n = 0;
	return rv;
}

/* The worker's state between its two threads. The main thread runs the
 * tasks it took (got[next..ngot): [deliveries, task] as counted gets
 * give them) and keeps their results until its next round trip; the
 * results thread sends them meanwhile if a task runs HOLD_RESULTS_US
 * while results wait (a quick task's result must not wait on a slow or
 * blocked task taken with it). */
typedef struct worker {
	const pool_objs *po;
	pthread_mutex_t  mtx;
	pthread_cond_t   cv;   /* wakes the results thread */
	result_set       held; /* mtx */
	int64_t task_since;    /* mtx: when the task running began, while
	                        * results were held (us); 0: none */
	bool       idle, stop; /* mtx: the results thread waits untimed */
	pthread_t  sender;
	bool       sending; /* the results thread runs */
	mgr_batch *b, *sender_b;
	mgr_value  got[PREFETCH_MAX];
	size_t     ngot, next;
} worker;

/* Moves the held results to *r (w->mtx held). */
static void
take_held_locked(worker *w, result_set *r)
{
	*r            = w->held;
	w->held.n     = 0;
	w->task_since = 0;
}

static void *
sender_main(void *arg)
{
	worker     *w = arg;
	result_set *r = malloc(sizeof(*r));
	pthread_mutex_lock(&w->mtx);
	while (!w->stop && r != NULL) {
		if (w->task_since == 0 || w->held.n == 0) {
			w->idle = true;
			pthread_cond_wait(&w->cv, &w->mtx);
			w->idle = false;
			continue;
		}
		int64_t left = w->task_since + HOLD_RESULTS_US - clock_us();
		if (left > 0) {
			struct timespec at
			    = clock_after_ms((left + 999) / 1000);
			pthread_cond_timedwait(&w->cv, &w->mtx, &at);
			continue;
		}
		// A task has run that long with results held: they go now.
		take_held_locked(w, r);
		pthread_mutex_unlock(&w->mtx);
		mgr_batch_reset(w->sender_b);
		int    rv = 0;
		size_t k  = 0;
		for (size_t i = 0; i < r->n && rv == 0; i++) {
			rv = add_result(
			    w->sender_b, w->po, &r->rec[i], r->ids[i]);
		}
		if (rv == 0) {
			(void) mgr_batch_exec(w->sender_b, false);
			(void) results_sent(w->sender_b, w->po, r, &k);
		}
		for (size_t i = 0; i < r->n; i++) {
			mgr_value_free(&r->rec[i]); // unsent: the main
		}                                   // thread finds out why
		pthread_mutex_lock(&w->mtx);
	}
	pthread_mutex_unlock(&w->mtx);
	free(r);
	return NULL;
}

/* One round trip: sends the results held and acknowledges their tasks,
 * in order (task_done completes the oldest task in progress); then, when
 * want > 0 (nothing left to run), whether the owner still holds its lock
 * and up to want next tasks. The first get waits up to IDLE_CHECK_MS
 * when there is an owner to check on (else for ever), the others take
 * only what is there. MGR_EEMPTY: no task came; MGR_ECLOSED: the owner's
 * session ended (what came goes back with the session). */
static int
exchange(worker *w, size_t want)
{
	const pool_objs *po = w->po;
	mgr_batch       *b  = w->b;
	result_set       r;
	pthread_mutex_lock(&w->mtx);
	take_held_locked(w, &r);
	pthread_mutex_unlock(&w->mtx);
	mgr_batch_reset(b);
	int rv = 0;
	for (size_t i = 0; i < r.n && rv == 0; i++) {
		rv = add_result(b, po, &r.rec[i], r.ids[i]);
	}
	if (rv == 0 && want > 0 && po->owner != NULL) {
		rv = mgr_batch_add(b, po->owner, MGR_OP_LOCKED, NULL, 0);
	}
	for (size_t i = 0; i < want && rv == 0; i++) {
		int64_t tmo = i > 0     ? 0
		    : po->owner != NULL ? IDLE_CHECK_MS
		                        : MGR_FOREVER;
		rv          = mgr_batch_add_timeout(
		             b, po->tasks, MGR_OP_QUEUE_GET_COUNTED, NULL, 0, tmo);
	}
	if (rv != 0) {
		for (size_t i = 0; i < r.n; i++) {
			mgr_value_free(&r.rec[i]);
		}
		return rv;
	}
	(void) mgr_batch_exec(b, false);
	size_t k = 0;
	int    st;
	rv = results_sent(b, po, &r, &k);
	if (want == 0) {
		return rv;
	}
	w->ngot = w->next = 0; // every task taken before ran
	bool owner_gone   = false;
	if (po->owner != NULL) {
		mgr_value held = mgr_none();
		mgr_batch_result(b, k++, &st, &held);
		owner_gone
		    = rv == 0 && st == 0 && held.kind == MGR_BOOL && !held.b;
		rv = rv != 0 ? rv : st;
		mgr_value_free(&held);
	}
	for (size_t i = 0; i < want; i++) {
		mgr_value *g = &w->got[w->ngot];
		*g           = mgr_none();
		mgr_batch_result(b, k++, &st, g);
		if (st == 0
		    && (g->kind != MGR_LIST || g->len != 2
		        || g->items[0].kind != MGR_INT)) {
			client_set_detail("a counted get's answer is not "
			                  "[deliveries, item]");
			st = MGR_EPROTO;
		}
		if (st == 0) {
			w->ngot++;
		} else {
			mgr_value_free(g);
			if (st != MGR_EEMPTY && rv == 0) {
				rv = st;
			}
		}
	}
	if (rv != 0 || owner_gone) {
		for (size_t i = 0; i < w->ngot; i++) {
			mgr_value_free(&w->got[i]); // not acknowledged: back
		}
		w->ngot = 0;
	}
	if (owner_gone) {
		client_set_detail("the pool's owner is gone");
		return MGR_ECLOSED;
	}
	return rv != 0 ? rv : w->ngot == 0 ? MGR_EEMPTY : 0;
}

/* A None stops the pool's workers: each puts it back for the next one
 * (those on other hosts too) and leaves, its results sent first. */
static int
pass_stop_on(worker *w)
{
	int rv = exchange(w, 0);
	if (rv == 0) {
		rv = mgr_queue_put(w->po->tasks, mgr_none(), MGR_FOREVER);
	}
	return rv != 0 ? rv : mgr_queue_task_done(w->po->tasks);
}

/* Whether v holds at least *left bytes of strings and bytes (counting
 * *left down; stops as soon as it does). */
static bool
at_least(const mgr_value *v, size_t *left)
{
	if (v->kind == MGR_STR || v->kind == MGR_BYTES) {
		*left = v->len >= *left ? 0 : *left - v->len;
		return *left == 0;
	}
	size_t n = v->kind == MGR_LIST || v->kind == MGR_TUPLE ? v->len
	    : v->kind == MGR_DICT                              ? 2 * v->len
	                                                       : 0;
	const mgr_value *in = v->kind == MGR_DICT ? v->pairs : v->items;
	for (size_t i = 0; i < n; i++) {
		if (at_least(&in[i], left)) {
			return true;
		}
	}
	return false;
}

/* Runs task g ([deliveries, task]) into the held results; *quick tells
 * whether taking several tasks at once pays: it ran under FAST_TASK_US
 * and its result is small (a big one goes alone, at once: the copies
 * cost more than the round trip, and they overlap with the next task). */
static int
run_one(mgr_client *c, worker *w, const mgr_value *g, bool *quick)
{
	int64_t t0 = clock_us();
	pthread_mutex_lock(&w->mtx);
	if (w->held.n > 0) {
		w->task_since = t0; // the results thread keeps time
		if (w->idle) {
			pthread_cond_signal(&w->cv);
		}
	}
	pthread_mutex_unlock(&w->mtx);
	mgr_value rec;
	uint64_t  id;
	int       rv
	    = run_item(c, &g->items[1], (uint64_t) g->items[0].i, &rec, &id);
	size_t left = BIG_RESULT;
	*quick      = rv == 0 && clock_us() - t0 < FAST_TASK_US
	    && !at_least(&rec, &left);
	pthread_mutex_lock(&w->mtx);
	w->task_since = 0;
	if (rv == 0) {
		w->held.rec[w->held.n]   = rec;
		w->held.ids[w->held.n++] = id;
	}
	pthread_mutex_unlock(&w->mtx);
	return rv;
}

static void
worker_free(worker *w)
{
	if (w->sending) {
		pthread_mutex_lock(&w->mtx);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mtx);
		pthread_join(w->sender, NULL);
	}
	for (size_t i = 0; i < w->held.n; i++) {
		mgr_value_free(&w->held.rec[i]);
	}
	for (size_t i = w->next; i < w->ngot; i++) {
		mgr_value_free(&w->got[i]);
	}
	mgr_batch_free(w->b);
	mgr_batch_free(w->sender_b);
	pthread_mutex_destroy(&w->mtx);
	pthread_cond_destroy(&w->cv);
	free(w);
}

static worker *
worker_new(mgr_client *c, const pool_objs *po)
{
	worker *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return NULL;
	}
	w->po = po;
	pthread_mutex_init(&w->mtx, NULL);
	clock_cond_init(&w->cv);
	if (mgr_batch_new(c, &w->b) != 0
	    || mgr_batch_new(c, &w->sender_b) != 0
	    || pthread_create(&w->sender, NULL, sender_main, w) != 0) {
		worker_free(w);
		return NULL;
	}
	w->sending = true;
	return w;
}

/* The worker's loop: tasks until a None (the pool stops: 0), the owner's
 * session ends (MGR_ECLOSED), maxtasks ran (0: no limit; *retired set)
 * or the manager goes away. A task is acknowledged only once its result
 * is in, so a killed worker loses nothing. Quick tasks travel in batches:
 * after a task that took under FAST_TASK_US, up to PREFETCH_MAX are
 * taken at once and their results go together (a task taken is begun
 * for cancel, as in Python's executor, whose call queue holds one more
 * than its workers). */
static int
work(mgr_client *c, const pool_objs *po, size_t maxtasks, bool *retired)
{
	worker *w   = worker_new(c, po);
	size_t  ran = 0, want = 1;
	int     rv = w == NULL ? MGR_ENOMEM : 0;
	while (rv == 0) {
		if (w->next == w->ngot) {
			// Nothing left to run: results out, tasks in.
			size_t left = maxtasks > 0 ? maxtasks - ran : want;
			if (left == 0) {
				rv       = exchange(w, 0);
				*retired = rv == 0;
				break;
			}
			do {
				rv = exchange(w, want < left ? want : left);
			} while (
			    rv == MGR_EEMPTY); // idle: the owner is there
			continue;
		}
		mgr_value *g = &w->got[w->next++];
		if (g->items[1].kind == MGR_NONE) {
			mgr_value_free(g);
			rv = pass_stop_on(w);
			break;
		}
		bool quick;
		rv = run_one(c, w, g, &quick);
		mgr_value_free(g);
		ran++;
		want = quick ? PREFETCH_MAX : 1;
		if (rv == 0 && !quick && w->next < w->ngot) {
			rv = exchange(w, 0); // its result goes now
		}
	}
	if (w != NULL) {
		worker_free(w);
	}
	return rv;
}

/* Whether v is the str s. */
static bool
is_str(const mgr_value *v, const char *s)
{
	return v->kind == MGR_STR && v->len == strlen(s)
	    && memcmp(v->s, s, v->len) == 0;
}

/* Reads the pool's settings (maxtasks may be NULL: not wanted) and runs
 * its initializer on its arguments. The initializer's error, with the
 * detail saying so; the manager's. */
static int
worker_setup(mgr_client *c, const pool_objs *po, size_t *maxtasks)
{
	mgr_value cfg;
	int       rv = mgr_dict_copy(po->config, &cfg);
	if (rv != 0) {
		return rv;
	}
	const mgr_value *init = NULL;
	mgr_value        args = mgr_none();
	for (size_t i = 0; i < cfg.len; i++) {
		const mgr_value *k = &cfg.pairs[2 * i],
		                *v = &cfg.pairs[2 * i + 1];
		if (is_str(k, "initializer") && v->kind == MGR_STR) {
			init = v;
		} else if (is_str(k, "initargs")) {
			args = *v;
		} else if (is_str(k, "maxtasks") && v->kind == MGR_INT
		    && maxtasks != NULL) {
			*maxtasks = v->i > 0 ? (size_t) v->i : 0;
		}
	}
	mgr_task_fn fn
	    = init != NULL ? pool_find_task(init->s, init->len) : NULL;
	if (init != NULL && fn == NULL) {
		client_set_detail(
		    "no task named '%.*s' for the initializer in the "
		    "worker's program",
		    (int) init->len, init->s);
		rv = MGR_EKEY;
	} else if (fn != NULL) {
		mgr_value r = mgr_none();
		client_set_detail(NULL);
		if ((rv = fn(c, &args, &r)) != 0) {
			client_set_detail("initializer '%.*s' failed: %s",
			    (int) init->len, init->s, mgr_errdetail());
		}
		mgr_value_free(&r);
	}
	mgr_value_free(&cfg);
	return rv;
}

int
pool_worker_entry(
    mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) argc;
	(void) argv;
	if (n != POOL_NOBJS) {
		return 2;
	}
	pool_objs po       = { objs[0], objs[1], objs[2], objs[3] };
	size_t    maxtasks = 0;
	bool      retired  = false;
	int       rv       = worker_setup(c, &po, &maxtasks);
	if (rv != 0) {
		fprintf(stderr, "%s: %s (%s)\n", mgr_current_process_name(),
		    mgr_strerror(rv), mgr_errdetail());
		return lost(rv) ? 1 : POOL_INIT_FAILED;
	}
	rv = work(c, &po, maxtasks, &retired);
	// Stopped by the pool, or left with its owner: both are ends.
	return retired ? POOL_RETIRED : rv == 0 || rv == MGR_ECLOSED ? 0 : 1;
}

int
mgr_pool_work(mgr_client *c, const char *token)
{
	char     buf[600];
	mgr_obj *o[POOL_NOBJS] = { NULL };
	ARG_NONNULL(c);
	ARG_NONNULL(token);
	ARG_CHECK(strlen(token) < sizeof(buf), token,
	    "is too long for a pool's token");
	snprintf(buf, sizeof(buf), "%s", token);
	char *save = NULL, *t = strtok_r(buf, ",", &save);
	int   rv = 0;
	for (int i = 0; i < POOL_NOBJS && rv == 0;
	     i++, t = strtok_r(NULL, ",", &save)) {
		rv = t == NULL ? MGR_EINVAL : mgr_attach(c, t, &o[i]);
	}
	if (rv == MGR_EINVAL) {
		client_set_detail("not a pool's token (mgr_pool_token)");
	}
	if (rv == 0) {
		pool_objs po      = { o[0], o[1], o[2], o[3] };
		bool      retired = false;
		rv                = worker_setup(c, &po, NULL);
		if (rv == 0) {
			rv = work(c, &po, 0, &retired); // no maxtasks here
		}
	}
	char detail[DETAIL_MAX];
	snprintf(detail, sizeof(detail), "%s", mgr_errdetail());
	for (int i = 0; i < POOL_NOBJS; i++) {
		if (o[i] != NULL) {
			mgr_obj_release(o[i]);
		}
	}
	client_set_detail("%s", detail); // the end's, not a release's
	return rv;
}
