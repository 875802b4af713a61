/* W6: process pools, ours against Python's Pool and ProcessPoolExecutor
 * (bench_py.py's w6): a map, apply_async, imap_unordered, callbacks and
 * big results, through a pool of this program's own workers. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_pool.h"
#include "mgr_conn.h"

/* ---- W6: a process pool running a trivial task --------------------------
 */

static int
noop_task(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	*result = *arg; // an int: nothing to own
	return 0;
}

/* 1 MiB of bytes (arg: the size), from memory that outlives the call. */
static int
big_task(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	static char *buf;
	if (buf == NULL && (buf = calloc(1, (size_t) 1 << 20)) == NULL) {
		return MGR_ENOMEM;
	}
	*result = mgr_bytes(buf, (size_t) arg->i);
	return 0;
}

/* Callbacks counted until all ran (w6's apply_async with a callback). */
static pthread_mutex_t cb_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  cb_cv  = PTHREAD_COND_INITIALIZER;
static long            cb_calls;

static void
counted(mgr_future *f, int status, const mgr_value *result, void *arg)
{
	(void) f, (void) result, (void) arg;
	if (status != 0) {
		die("a task failed: %s", mgr_strerror(status));
	}
	pthread_mutex_lock(&cb_mtx);
	cb_calls++;
	pthread_cond_signal(&cb_cv);
	pthread_mutex_unlock(&cb_mtx);
}

/* imap_unordered, apply_async with callbacks, and a map of --big tasks
 * returning 1 MiB each, through pool p (n items). */
static void
w6_more(mgr_pool *p, mgr_value *items, long n, long nbig, mgr_future **fs)
{
	mgr_map  *m;
	mgr_value out;
	int64_t   t0 = now_ns();
	check(mgr_pool_map_start(
	          p, "noop", mgr_list_of(items, (size_t) n), 1, false, &m),
	    "map_start");
	long got = 0;
	while (mgr_map_next(m, MGR_FOREVER, &out, NULL) == 0) {
		got++;
	}
	mgr_map_free(m);
	int64_t t1 = now_ns();
	for (long i = 0; i < n; i++) {
		check(mgr_pool_submit(p, "noop", items[i], &fs[i]), "submit");
		check(mgr_future_on_done(fs[i], counted, NULL), "on_done");
	}
	pthread_mutex_lock(&cb_mtx);
	while (cb_calls < n) {
		pthread_cond_wait(&cb_cv, &cb_mtx);
	}
	pthread_mutex_unlock(&cb_mtx);
	int64_t t2 = now_ns();
	for (long i = 0; i < n; i++) {
		mgr_future_free(fs[i]);
	}
	mgr_value *sizes = calloc((size_t) nbig, sizeof(*sizes));
	if (got != n || sizes == NULL) {
		die("imap_unordered gave %ld of %ld", got, n);
	}
	for (long i = 0; i < nbig; i++) {
		sizes[i] = mgr_int((int64_t) 1 << 20);
	}
	int64_t t3 = now_ns();
	check(mgr_pool_map(p, "big", mgr_list_of(sizes, (size_t) nbig), 1,
	          MGR_FOREVER, &out),
	    "big map");
	int64_t t4 = now_ns();
	if (out.len != (size_t) nbig
	    || out.items[0].len != (size_t) 1 << 20) {
		die("big map gave %zu results", out.len);
	}
	mgr_value_free(&out);
	free(sizes);
	result("w6.unordered", (double) n / ((double) (t1 - t0) / 1e9),
	    "tasks/s");
	result("w6.callback", (double) n / ((double) (t2 - t1) / 1e9),
	    "tasks/s");
	result(
	    "w6.big", (double) nbig / ((double) (t4 - t3) / 1e9), "tasks/s");
}

/* Tasks per second through a pool of --workers workers: a map of --tasks
 * items (chunksize 1: one task each), then as many submits and gets
 * (apply_async), then w6_more's. The pool's start is not counted. */
int
w6(const bench_args *a)
{
	long        n        = (long) arg_int(a, "--tasks", 20000);
	long        nworkers = (long) arg_int(a, "--workers", 2);
	mgr_client *c        = connect_or_die();
	mgr_pool   *p;
	check(mgr_pool_start(c, (size_t) nworkers, NULL, &p), "pool start");
	mgr_value   *items = calloc((size_t) n, sizeof(*items));
	mgr_future **fs    = calloc((size_t) n, sizeof(*fs));
	if (items == NULL || fs == NULL) {
		die("out of memory");
	}
	for (long i = 0; i < n; i++) {
		items[i] = mgr_int(i);
	}
	mgr_value out;
	// Warm up: every worker connected and serving.
	check(
	    mgr_pool_map(p, "noop", mgr_list_of(items, (size_t) nworkers * 4),
	        1, MGR_FOREVER, &out),
	    "warm-up map");
	mgr_value_free(&out);
	int64_t t0 = now_ns();
	check(mgr_pool_map(p, "noop", mgr_list_of(items, (size_t) n), 1,
	          MGR_FOREVER, &out),
	    "map");
	int64_t t1 = now_ns();
	if (out.len != (size_t) n || out.items[n - 1].i != n - 1) {
		die("map gave %zu results", out.len);
	}
	mgr_value_free(&out);
	for (long i = 0; i < n; i++) {
		check(mgr_pool_submit(p, "noop", items[i], &fs[i]), "submit");
	}
	for (long i = 0; i < n; i++) {
		check(mgr_future_get(fs[i], MGR_FOREVER, &out), "get");
		if (out.i != i) {
			die("future %ld gave %lld", i, (long long) out.i);
		}
		mgr_value_free(&out);
		mgr_future_free(fs[i]);
	}
	int64_t t2 = now_ns();
	result("w6.map", (double) n / ((double) (t1 - t0) / 1e9), "tasks/s");
	result(
	    "w6.submit", (double) n / ((double) (t2 - t1) / 1e9), "tasks/s");
	w6_more(p, items, n, (long) arg_int(a, "--big", 200), fs);
	check(mgr_pool_close(p), "close");
	check(mgr_pool_join(p, MGR_FOREVER), "join");
	mgr_pool_free(p);
	free(items);
	free(fs);
	mgr_disconnect(c);
	return 0;
}

void
w6_register(void)
{
	mgr_task_register("noop", noop_task);
	mgr_task_register("big", big_task);
}
