/* Python's tour of Pool ("Using a pool of workers", and the Pool
 * reference's imap, callbacks, initializer and maxtasksperchild), ported:
 *
 *   with Pool(4, initializer=init, initargs=('hello',)) as pool:
 *       print(pool.map(f, range(10)))
 *       print(list(pool.imap(f, range(10))))
 *       print(sorted(pool.imap_unordered(f, range(10))))
 *       pool.apply_async(f, (20,), callback=print)
 *       pool.apply_async(f, ('x',), error_callback=print)
 *       print(pool.apply(greeting))
 *       res = pool.apply_async(time.sleep, (10,))
 *       try:
 *           print(res.get(timeout=1))
 *       except TimeoutError:
 *           print("We lacked patience and got a
 * multiprocessing.TimeoutError") print("For the moment, the pool remains
 * available for more work") print("Now the pool is closed and no longer
 * available")
 *
 * and a pool whose worker retires after two tasks (maxtasksperchild=2):
 * six tasks run in three processes. */
#include <mgr.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHECK(call)                                                          \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			fprintf(stderr, "%s: %s (%s)\n", #call,              \
			    mgr_strerror(rv_), mgr_errdetail());             \
			exit(1);                                             \
		}                                                            \
	} while (0)

/* def f(x): return x*x (an int, or a TypeError) */
static int
f(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	if (arg->kind != MGR_INT) {
		mgr_set_errdetail("can't multiply sequence by non-int");
		return MGR_ETYPE;
	}
	*result = mgr_int(arg->i * arg->i);
	return 0;
}

/* The initializer's greeting, in every worker. */
static char greeting_text[32] = "(none)";

static int
init(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c, (void) result;
	snprintf(greeting_text, sizeof(greeting_text), "%s", arg->s);
	return 0;
}

static int
greeting(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c, (void) arg;
	*result = mgr_str(greeting_text);
	return 0;
}

static int
sleep_ms(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c, (void) result;
	struct timespec ts = { arg->i / 1000, (arg->i % 1000) * 1000000 };
	nanosleep(&ts, NULL);
	return 0;
}

static int
pid(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c, (void) arg;
	*result = mgr_int((int64_t) getpid());
	return 0;
}

/* A callback prints as Python's print would, and says it ran. */
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  cv  = PTHREAD_COND_INITIALIZER;
static int             calls;

static void
print_result(mgr_future *fut, int status, const mgr_value *result, void *arg)
{
	(void) fut, (void) arg;
	if (status == 0) {
		printf("callback: %lld\n", (long long) result->i);
	} else {
		printf("error_callback: %s (%s)\n", mgr_strerror(status),
		    mgr_errdetail());
	}
	pthread_mutex_lock(&mtx);
	calls++;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mtx);
}

static void
await_calls(int n)
{
	pthread_mutex_lock(&mtx);
	while (calls < n) {
		pthread_cond_wait(&cv, &mtx);
	}
	pthread_mutex_unlock(&mtx);
}

static mgr_value
range(mgr_value *items, int n)
{
	for (int i = 0; i < n; i++) {
		items[i] = mgr_int(i);
	}
	return mgr_list_of(items, (size_t) n);
}

int
main(int argc, char **argv)
{
	mgr_task_register("f", f);
	mgr_task_register("init", init);
	mgr_task_register("greeting", greeting);
	mgr_task_register("sleep_ms", sleep_ms);
	mgr_task_register("pid", pid);
	mgr_process_serve(argc, argv); // in a worker: serves, exits

	mgr_server *srv;
	mgr_client *c;
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));

	mgr_pool     *pool;
	mgr_pool_opts o
	    = { .initializer = "init", .initargs = mgr_str("hello") };
	CHECK(mgr_pool_start_opts(c, 4, &o, &pool));
	mgr_value items[10], out, v;
	char      buf[256];

	CHECK(
	    mgr_pool_map(pool, "f", range(items, 10), 0, MGR_FOREVER, &out));
	CHECK(mgr_value_repr(&out, buf, sizeof(buf)));
	printf("%s\n", buf);
	mgr_value_free(&out);

	// imap: in order, one at a time as they come.
	mgr_map *m;
	CHECK(mgr_pool_map_start(pool, "f", range(items, 10), 1, true, &m));
	printf("imap:");
	while (mgr_map_next(m, MGR_FOREVER, &v, NULL) == 0) {
		printf(" %lld", (long long) v.i);
	}
	printf("\n");
	mgr_map_free(m);

	// imap_unordered: as they finish; sorted here to print the same.
	CHECK(mgr_pool_map_start(pool, "f", range(items, 10), 1, false, &m));
	int64_t got[10];
	size_t  n = 0, index;
	while (mgr_map_next(m, MGR_FOREVER, &v, &index) == 0) {
		got[n++] = v.i;
	}
	mgr_map_free(m);
	for (size_t i = 1; i < n; i++) { // insertion sort
		for (size_t j = i; j > 0 && got[j - 1] > got[j]; j--) {
			int64_t t  = got[j];
			got[j]     = got[j - 1];
			got[j - 1] = t;
		}
	}
	printf("imap_unordered, sorted:");
	for (size_t i = 0; i < n; i++) {
		printf(" %lld", (long long) got[i]);
	}
	printf("\n");

	// apply_async with callback, then with error_callback.
	mgr_future *ok, *bad;
	CHECK(mgr_pool_submit(pool, "f", mgr_int(20), &ok));
	CHECK(mgr_future_on_done(ok, print_result, NULL));
	await_calls(1);
	CHECK(mgr_pool_submit(pool, "f", mgr_str("x"), &bad));
	CHECK(mgr_future_on_done(bad, print_result, NULL));
	await_calls(2);
	mgr_future_free(ok);
	mgr_future_free(bad);

	CHECK(mgr_pool_apply(pool, "greeting", mgr_none(), MGR_FOREVER, &v));
	printf("the initializer said: %s\n", v.s);
	mgr_value_free(&v);

	mgr_future *res;
	CHECK(mgr_pool_submit(pool, "sleep_ms", mgr_int(10000), &res));
	if (mgr_future_get(res, 1000, &v) == MGR_ETIMEDOUT) {
		printf("We lacked patience and got a "
		       "multiprocessing.TimeoutError\n");
	}
	mgr_future_free(res);
	printf("For the moment, the pool remains available for more work\n");
	CHECK(mgr_pool_terminate(pool)); // leaving "with": terminate()
	CHECK(mgr_pool_free(pool));
	printf("Now the pool is closed and no longer available\n");

	// maxtasksperchild=2: one worker at a time, replaced every two tasks.
	mgr_pool_opts retire = { .maxtasksperchild = 2 };
	CHECK(mgr_pool_start_opts(c, 1, &retire, &pool));
	CHECK(
	    mgr_pool_map(pool, "pid", range(items, 6), 1, MGR_FOREVER, &out));
	size_t distinct = 0;
	for (size_t i = 0; i < out.len; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++) {
			seen |= out.items[j].i == out.items[i].i;
		}
		distinct += !seen;
	}
	printf("maxtasksperchild=2: %zu tasks ran in %zu processes\n",
	    out.len, distinct);
	mgr_value_free(&out);
	CHECK(mgr_pool_close(pool));
	CHECK(mgr_pool_join(pool, MGR_FOREVER));
	CHECK(mgr_pool_free(pool));

	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return 0;
}
