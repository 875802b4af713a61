/* Process pools against a real managerd: this program is its own worker
 * (it registers the tasks and calls mgr_process_serve first).
 * - map of square over range(10) in order, apply, submit and futures,
 *   chunks; an unknown task is MGR_EKEY at submit; a failing task's code
 *   and detail reach the future; a slow task's get times out;
 * - workers SIGKILLed at random during a 1,000-task map: every result,
 *   once and in order, and the pool replaced them;
 * - a task that kills its worker every time fails with MGR_EABORTED after
 *   three deaths, and the pool serves on;
 * - terminate with pending futures (MGR_ECLOSED), close then join drains,
 *   free leaves no worker process behind;
 * - a worker in this process through the pool's token (mgr_pool_work). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static int
square(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	if (arg->kind != MGR_INT) {
		return MGR_ETYPE;
	}
	*result = mgr_int(arg->i * arg->i);
	return 0;
}

/* square, a millisecond later: a map long enough to kill workers in. */
static int
square_slowly(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	struct timespec ts = { 0, 1000000 };
	nanosleep(&ts, NULL);
	return square(c, arg, result);
}

/* Fails with its own code and text. */
static int
fail_task(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	(void) result;
	mgr_set_errdetail("it went wrong with %lld", (long long) arg->i);
	return MGR_EVALUE;
}

/* Sleeps arg ms, then answers arg. */
static int
slow(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	struct timespec ts = { arg->i / 1000, (arg->i % 1000) * 1000000 };
	nanosleep(&ts, NULL);
	*result = *arg;
	return 0;
}

/* Kills its own worker. */
static int
poison(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	(void) arg;
	(void) result;
	raise(SIGKILL);
	return 0;
}

static h_managerd  M;
static mgr_client *C;

static int
group_setup(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the group setup");
	if (h_managerd_start(&M, H_IPC, NULL) != 0
	    || h_connect(&M, &C) != 0) {
		return -1;
	}
	h_watchdog_disarm();
	return 0;
}

static int
group_teardown(void **state)
{
	(void) state;
	return h_group_stop(&M, C);
}

static int
setup(void **state)
{
	(void) state;
	h_watchdog_arm(120, "the test of the last [ RUN ] line");
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	h_watchdog_disarm();
	return 0;
}

#define OKP(x) assert_int_equal((x), 0)

static mgr_value
range(mgr_value *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		items[i] = mgr_int((int64_t) i);
	}
	return mgr_list_of(items, n);
}

static void
test_map_apply_submit(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 4, NULL, &p));
	mgr_value items[10], out;
	OKP(mgr_pool_map(p, "square", range(items, 10), 1, 20000, &out));
	char repr[200];
	OKP(mgr_value_repr(&out, repr, sizeof(repr)));
	assert_string_equal(repr, "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]");
	mgr_value_free(&out);
	OKP(mgr_pool_map(p, "square", range(items, 10), 3, 20000, &out));
	OKP(mgr_value_repr(&out, repr, sizeof(repr)));
	assert_string_equal(repr, "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]");
	mgr_value_free(&out);
	// apply, and an apply_async-style future.
	OKP(mgr_pool_apply(p, "square", mgr_int(7), 20000, &out));
	assert_int_equal(out.i, 49);
	mgr_value_free(&out);
	mgr_future *f;
	bool        done;
	OKP(mgr_pool_submit(p, "slow", mgr_int(300), &f));
	OKP(mgr_future_done(f, &done));
	assert_false(done);
	assert_int_equal(mgr_future_get(f, 10, &out), MGR_ETIMEDOUT);
	OKP(mgr_future_get(f, 20000, &out));
	assert_int_equal(out.i, 300);
	mgr_value_free(&out);
	OKP(mgr_future_get(f, 0, &out)); // again: the same result
	mgr_value_free(&out);
	OKP(mgr_future_done(f, &done));
	assert_true(done);
	mgr_future_free(f);
	// Errors: unknown task, a task's own failure, a wrong argument.
	assert_int_equal(
	    mgr_pool_submit(p, "nosuch", mgr_int(1), &f), MGR_EKEY);
	assert_int_equal(
	    mgr_pool_apply(p, "fail", mgr_int(1), 20000, &out), MGR_EVALUE);
	assert_string_equal(mgr_errdetail(), "it went wrong with 1");
	assert_int_equal(
	    mgr_pool_apply(p, "square", mgr_str("x"), 20000, &out),
	    MGR_ETYPE);
	OKP(mgr_pool_close(p));
	assert_int_equal(
	    mgr_pool_apply(p, "square", mgr_int(2), 1000, &out), MGR_ECLOSED);
	OKP(mgr_pool_join(p, 20000));
	size_t n = 9;
	OKP(mgr_pool_worker_pids(p, NULL, 0, &n));
	OKP(mgr_pool_free(p));
}

typedef struct killer {
	mgr_pool  *p;
	pthread_t  th;
	atomic_int stop;
	int        kills;
} killer;

static void *
killer_main(void *arg)
{
	killer  *k    = arg;
	unsigned seed = 12345;
	while (!k->stop) {
		int64_t pids[8];
		size_t  n = 0;
		mgr_pool_worker_pids(k->p, pids, 8, &n);
		if (n > 0) {
			int64_t pid = pids[rand_r(&seed) % (n < 8 ? n : 8)];
			if (kill((pid_t) pid, SIGKILL) == 0) {
				k->kills++;
			}
		}
		// The chaos's pace: far longer than a chunk runs, even under
		// a sanitizer on a loaded machine, so the retry of a killed
		// chunk is not killed again (three deaths of one chunk fail
		// the map with MGR_EABORTED, as designed: test_poison_task).
		struct timespec ts = { 0, 60 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void
test_killed_workers(void **state)
{
	(void) state;
	enum { N = 2000 };
	mgr_pool *p;
	OKP(mgr_pool_start(C, 4, NULL, &p));
	static mgr_value items[N];
	mgr_value        out;
	killer           k = { .p = p };
	OKP(pthread_create(&k.th, NULL, killer_main, &k));
	int rv = mgr_pool_map(
	    p, "square_slowly", range(items, N), 5, 100000, &out);
	k.stop = 1;
	pthread_join(k.th, NULL);
	fprintf(stderr, "%d workers killed during the map\n", k.kills);
	OKP(rv);
	assert_int_equal(out.len, N);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(out.items[i].i, (int64_t) (i * i));
	}
	mgr_value_free(&out);
	assert_true(k.kills > 0);
	OKP(mgr_pool_close(p));
	OKP(mgr_pool_join(p, 30000));
	OKP(mgr_pool_free(p));
}

static void
test_poison_task(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 2, NULL, &p));
	mgr_value out;
	assert_int_equal(mgr_pool_apply(p, "poison", mgr_int(0), 60000, &out),
	    MGR_EABORTED);
	assert_non_null(strstr(mgr_errdetail(), "killed its worker 3 times"));
	// The pool serves on, with new workers.
	OKP(mgr_pool_apply(p, "square", mgr_int(3), 20000, &out));
	assert_int_equal(out.i, 9);
	mgr_value_free(&out);
	OKP(mgr_pool_free(p));
}

static bool
alive(int64_t pid)
{
	return kill((pid_t) pid, 0) == 0 || errno != ESRCH;
}

static void
test_terminate_and_free(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 2, NULL, &p));
	mgr_future *f[4];
	for (int i = 0; i < 4; i++) {
		OKP(mgr_pool_submit(p, "slow", mgr_int(5000), &f[i]));
	}
	int64_t pids[2];
	size_t  n;
	OKP(mgr_pool_worker_pids(p, pids, 2, &n));
	assert_int_equal(n, 2);
	int64_t t0 = h_now_ms();
	OKP(mgr_pool_terminate(p));
	mgr_value out;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(
		    mgr_future_get(f[i], 1000, &out), MGR_ECLOSED);
	}
	assert_true(h_now_ms() - t0 < 4000); // not after the tasks' 5 s
	OKP(mgr_pool_free(p));
	for (int i = 0; i < 4; i++) {
		// The futures outlive the pool.
		assert_int_equal(mgr_future_get(f[i], 0, &out), MGR_ECLOSED);
		mgr_future_free(f[i]);
	}
	for (size_t i = 0; i < n; i++) {
		assert_false(alive(pids[i]));
	}
	// Freed without close or join: the workers are gone too.
	OKP(mgr_pool_start(C, 2, NULL, &p));
	OKP(mgr_pool_worker_pids(p, pids, 2, &n));
	OKP(mgr_pool_free(p));
	for (size_t i = 0; i < n; i++) {
		assert_false(alive(pids[i]));
	}
}

typedef struct remote {
	mgr_client *c;
	char        token[600];
	int         rv;
} remote;

static void *
remote_main(void *arg)
{
	remote *r = arg;
	r->rv     = mgr_pool_work(r->c, r->token);
	return NULL;
}

/* A worker elsewhere (here: a thread with a client of its own) takes the
 * pool's tasks by its token, and stops with the pool. */
static void
test_worker_by_token(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 1, NULL, &p));
	remote r = { .rv = -1 };
	OKP(mgr_pool_token(p, r.token, sizeof(r.token)));
	OKP(h_connect(&M, &r.c));
	pthread_t th;
	OKP(pthread_create(&th, NULL, remote_main, &r));
	mgr_value items[50], out;
	OKP(mgr_pool_map(p, "square", range(items, 50), 1, 20000, &out));
	assert_int_equal(out.len, 50);
	mgr_value_free(&out);
	OKP(mgr_pool_close(p));
	OKP(mgr_pool_join(p, 20000));
	// join's stop reaches the remote worker too.
	pthread_join(th, NULL);
	assert_int_equal(r.rv, 0);
	OKP(mgr_pool_free(p));
	mgr_disconnect(r.c);
}

int
main(int argc, char **argv)
{
	mgr_task_register("square", square);
	mgr_task_register("square_slowly", square_slowly);
	mgr_task_register("fail", fail_task);
	mgr_task_register("slow", slow);
	mgr_task_register("poison", poison);
	mgr_process_serve(argc, argv); // a worker: serves and exits
	unsetenv("MGR_AUTHKEY");
	unsetenv("MGR_URL");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_map_apply_submit, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_killed_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_poison_task, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_terminate_and_free, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_worker_by_token, setup, teardown),
	};
	return cmocka_run_group_tests_name(
	           "pool", tests, group_setup, group_teardown)
	        == 0
	    ? 0
	    : 1;
}
