/* Worker processes (mgr_process_*) and what a client sees when its
 * manager goes away. The test binary is its own worker: main registers
 * the entries and calls mgr_process_serve first, as a user program does. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#include "check.h"
#include "mgr.h"

static uint64_t
ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* ---- entries run in the children ----------------------------------------
 */

/* Three proxies: a dict, a list and a queue; uses each, exits 7. */
static int
three(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) c;
	if (n != 3 || strcmp(mgr_obj_type(objs[0]), "dict") != 0
	    || strcmp(mgr_obj_type(objs[1]), "list") != 0
	    || strcmp(mgr_obj_type(objs[2]), "queue") != 0) {
		return 10;
	}
	// The extra arguments come through as argv.
	if (argc != 3 || strcmp(argv[1], "x") != 0
	    || strcmp(argv[2], "y z") != 0) {
		return 11;
	}
	if (mgr_dict_set(objs[0], mgr_str("child"), mgr_int(1)) != 0
	    || mgr_list_append(objs[1], mgr_str("from child")) != 0
	    || mgr_queue_put(objs[2], mgr_str("done"), MGR_FOREVER) != 0) {
		return 12;
	}
	// The key did not travel in the environment.
	if (getenv("MGR_AUTHKEY") != NULL) {
		return 13;
	}
	return 7;
}

/* Says it is running, then waits forever on an empty queue. */
static int
hang(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) c, (void) n, (void) argc, (void) argv;
	mgr_value v;
	mgr_queue_put(objs[0], mgr_str("running"), MGR_FOREVER);
	mgr_queue_get(objs[1], &v, MGR_FOREVER);
	return 0;
}

/* Puts its name (current_process().name) into objs[0], exits 5. */
static int
named(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) c, (void) n, (void) argc, (void) argv;
	mgr_queue_put(
	    objs[0], mgr_str(mgr_current_process_name()), MGR_FOREVER);
	return 5;
}

/* Starts a daemon child running hang on objs, puts its pid into objs[0],
 * then hangs itself. */
static int
parent(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) argc, (void) argv;
	mgr_process     *p;
	mgr_process_opts o = { .daemon = true };
	if (n != 2 || mgr_process_start(c, "hang", objs, 2, &o, &p) != 0) {
		return 1;
	}
	mgr_queue_put(objs[0], mgr_int(mgr_process_pid(p)), MGR_FOREVER);
	mgr_value v;
	mgr_queue_get(objs[1], &v, MGR_FOREVER);
	return 0;
}

/* ---- tests
 * ---------------------------------------------------------------------- */

/* name, current_process().name, is_alive (never reaps), exitcode. */
static void
test_process_attributes(void **state)
{
	(void) state;
	mgr_server  *srv;
	mgr_client  *c;
	mgr_obj     *q[2];
	mgr_process *p, *h;
	unsetenv("MGR_AUTHKEY");
	OK(mgr_server_start(&srv, NULL));
	OK(mgr_server_connect(srv, &c));
	OK(mgr_queue_new(c, 0, &q[0]));
	OK(mgr_queue_new(c, 0, &q[1]));
	assert_string_equal(mgr_current_process_name(), "MainProcess");
	assert_true(mgr_cpu_count() >= 1);
	OK(mgr_process_start(c, "named", q, 1, NULL, &p));
	assert_int_equal(strncmp(mgr_process_name(p), "Process-", 8), 0);
	mgr_value v;
	OK(mgr_queue_get(q[0], &v, 10000));
	assert_string_equal(v.s, mgr_process_name(p));
	mgr_value_free(&v);
	// It ends (exit 5; its pidfd says so without reaping it): is_alive
	// says so, and does not reap it either (exitcode and join follow).
	bool alive = true;
	assert_true(h_await_gone(mgr_process_pid(p), 10000));
	OK(mgr_process_is_alive(p, &alive));
	assert_false(alive);
	int code = 0;
	OK(mgr_process_exitcode(p, &code));
	assert_int_equal(code, 5);
	OK(mgr_process_join(p, 0, &code));
	assert_int_equal(code, 5);
	OK(mgr_process_free(p));
	// A name given; a running child: alive, no exit code yet.
	mgr_process_opts o = { .name = "worker-a" };
	OK(mgr_process_start(c, "named", q, 1, &o, &p));
	OK(mgr_queue_get(q[0], &v, 10000));
	assert_string_equal(v.s, "worker-a");
	assert_string_equal(mgr_process_name(p), "worker-a");
	mgr_value_free(&v);
	OK(mgr_process_join(p, 10000, NULL));
	OK(mgr_process_free(p));
	OK(mgr_process_start(c, "hang", q, 2, NULL, &h));
	OK(mgr_queue_get(q[0], &v, 10000)); // "running"
	mgr_value_free(&v);
	OK(mgr_process_is_alive(h, &alive));
	assert_true(alive);
	assert_int_equal(mgr_process_exitcode(h, &code), MGR_ESTATE);
	OK(mgr_process_kill(h));
	OK(mgr_process_join(h, 10000, &code));
	assert_int_equal(code, -SIGKILL);
	OK(mgr_process_is_alive(h, &alive));
	assert_false(alive);
	OK(mgr_process_exitcode(h, &code));
	assert_int_equal(code, -SIGKILL);
	OK(mgr_process_free(h));
	mgr_obj_release(q[0]);
	mgr_obj_release(q[1]);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
}

/* A daemon child dies with its parent, even a SIGKILLed one. */
static void
test_daemon_dies_with_parent(void **state)
{
	(void) state;
	mgr_server  *srv;
	mgr_client  *c;
	mgr_obj     *q[2];
	mgr_process *p;
	unsetenv("MGR_AUTHKEY");
	OK(mgr_server_start(&srv, NULL));
	OK(mgr_server_connect(srv, &c));
	OK(mgr_queue_new(c, 0, &q[0]));
	OK(mgr_queue_new(c, 0, &q[1]));
	OK(mgr_process_start(c, "parent", q, 2, NULL, &p));
	int64_t pid = 0;
	for (int i = 0; i < 2; i++) { // its pid, and its "running"
		mgr_value v;
		OK(mgr_queue_get(q[0], &v, 10000));
		if (v.kind == MGR_INT) {
			pid = v.i;
		}
		mgr_value_free(&v);
	}
	assert_true(pid > 0);
	assert_false(h_await_gone(pid, 0));
	OK(mgr_process_kill(p));
	OK(mgr_process_join(p, 10000, NULL));
	OK(mgr_process_free(p));
	assert_true(h_await_gone(pid, 30000));
	mgr_obj_release(q[0]);
	mgr_obj_release(q[1]);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
}

static void
test_start_join_three_proxies(void **state)
{
	(void) state;
	mgr_server  *srv;
	mgr_client  *c;
	mgr_obj     *d, *l, *q;
	mgr_process *p;
	int          status = -1;
	unsetenv("MGR_AUTHKEY");
	OK(mgr_server_start(&srv, NULL));
	OK(mgr_server_connect(srv, &c));
	OK(mgr_dict_new(c, &d));
	OK(mgr_list_new(c, &l));
	OK(mgr_queue_new(c, 0, &q));
	mgr_obj         *objs[]  = { d, l, q };
	char            *extra[] = { "x", "y z", NULL };
	mgr_process_opts o       = { .argv = extra };
	OK(mgr_process_start(c, "three", objs, 3, &o, &p));
	assert_true(mgr_process_pid(p) > 0);
	mgr_value v;
	OK(mgr_queue_get(q, &v, 10000));
	assert_string_equal(v.s, "done");
	mgr_value_free(&v);
	OK(mgr_process_join(p, 10000, &status));
	assert_int_equal(status, 7);
	// Joined twice: the same status.
	OK(mgr_process_join(p, 0, &status));
	assert_int_equal(status, 7);
	OK(mgr_process_free(p));
	OK(mgr_dict_get(d, mgr_str("child"), &v));
	assert_int_equal(v.i, 1);
	OK(mgr_list_get(l, 0, &v));
	assert_string_equal(v.s, "from child");
	mgr_value_free(&v);

	// Its session ended: the child's references are gone.
	mgr_value info;
	OK(mgr_info(c, &info));
	mgr_value_free(&info);
	mgr_obj_release(d);
	mgr_obj_release(l);
	mgr_obj_release(q);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
}

static void
test_terminate_and_kill_hung_child(void **state)
{
	(void) state;
	mgr_server  *srv;
	mgr_client  *c;
	mgr_obj     *ready, *never;
	mgr_process *p;
	int          status = 0;
	OK(mgr_server_start(&srv, NULL));
	OK(mgr_server_connect(srv, &c));
	OK(mgr_queue_new(c, 0, &ready));
	OK(mgr_queue_new(c, 0, &never));
	mgr_obj  *objs[] = { ready, never };
	mgr_value v;

	OK(mgr_process_start(c, "hang", objs, 2, NULL, &p));
	OK(mgr_queue_get(ready, &v, 10000)); // it is in its get now
	mgr_value_free(&v);
	uint64_t t0 = ms_now();
	assert_int_equal(mgr_process_join(p, 100, &status), MGR_ETIMEDOUT);
	assert_true(ms_now() - t0 >= 90);
	OK(mgr_process_terminate(p));
	OK(mgr_process_join(p, 10000, &status));
	assert_int_equal(status, -SIGTERM);
	mgr_process_free(p);

	OK(mgr_process_start(c, "hang", objs, 2, NULL, &p));
	OK(mgr_queue_get(ready, &v, 10000));
	mgr_value_free(&v);
	OK(mgr_process_kill(p));
	OK(mgr_process_join(p, 10000, &status));
	assert_int_equal(status, -SIGKILL);
	mgr_process_free(p);

	// Freed while running: killed and reaped, no zombie left.
	OK(mgr_process_start(c, "hang", objs, 2, NULL, &p));
	OK(mgr_queue_get(ready, &v, 10000));
	mgr_value_free(&v);
	OK(mgr_process_free(p));

	// The killed waiters took nothing: an item put now stays.
	OK(mgr_queue_put(never, mgr_int(1), 0));
	size_t n;
	OK(mgr_queue_qsize(never, &n));
	assert_int_equal(n, 1);
	mgr_obj_release(ready);
	mgr_obj_release(never);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
}

static void
test_bad_uses(void **state)
{
	(void) state;
	mgr_server  *srv;
	mgr_client  *c, *other;
	mgr_obj     *d;
	mgr_process *p;
	int          status;
	OK(mgr_server_start(&srv, NULL));
	OK(mgr_server_connect(srv, &c));
	OK(mgr_server_connect(srv, &other));
	OK(mgr_dict_new(other, &d));
	assert_int_equal(mgr_process_start(c, "three", &d, 1, NULL, &p),
	    MGR_EINVAL); // a proxy of another client
	assert_int_equal(
	    mgr_process_start(c, NULL, NULL, 0, NULL, &p), MGR_EINVAL);
	assert_int_equal(mgr_process_register("", three), MGR_EINVAL);
	assert_int_equal(mgr_process_register("x=y", three), MGR_EINVAL);
	assert_int_equal(mgr_process_join(NULL, 0, &status), MGR_EINVAL);
	// An entry the child does not know: it exits 2.
	OK(mgr_process_start(c, "nosuch", NULL, 0, NULL, &p));
	OK(mgr_process_join(p, 10000, &status));
	assert_int_equal(status, 2);
	mgr_process_free(p);
	// TLS is not there yet: refused, never a plain connection instead.
	mgr_client *x;
	assert_int_equal(
	    mgr_connect(&x, "tls+tcp://127.0.0.1:1", NULL), MGR_EINVAL);
	mgr_opts tls
	    = { .authkey = "k", .authkey_len = 1, .tls_ca_file = "/ca" };
	assert_int_equal(
	    mgr_connect(&x, mgr_server_url(srv), &tls), MGR_EINVAL);
	// A program that does not exist.
	mgr_process_opts o = { .exe = "/nonexistent/program" };
	assert_int_equal(
	    mgr_process_start(c, "three", NULL, 0, &o, &p), MGR_EINVAL);
	mgr_obj_release(d);
	mgr_disconnect(other);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
}

typedef struct {
	mgr_obj *q;
	int      rv;
	uint64_t ended;
} getter;

static void *
get_forever(void *arg)
{
	getter   *g = arg;
	mgr_value v;
	g->rv    = mgr_queue_get(g->q, &v, MGR_FOREVER);
	g->ended = ms_now();
	return NULL;
}

static void
test_manager_gone_while_blocked(void **state)
{
	(void) state;
	mgr_server *srv;
	mgr_client *c, *watch;
	OK(mgr_server_start(&srv, NULL));
	OK(mgr_server_connect(srv, &c));
	OK(mgr_server_connect(srv, &watch));
	getter g = { 0 };
	OK(mgr_queue_new(c, 0, &g.q));
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, get_forever, &g), 0);
	// Bounded wait until the get is parked in the manager.
	assert_int_equal(
	    h_info_await(watch, "waiters", NULL, 1, 5000, NULL), 0);
	uint64_t t0 = ms_now();
	OK(mgr_server_shutdown(srv));
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(g.rv, MGR_ECONN);
	assert_true(g.ended - t0 < 1000);
	mgr_obj_release(g.q);
	mgr_disconnect(watch);
	mgr_disconnect(c);
}

static void
test_manager_gone(void **state)
{
	(void) state;
	mgr_server *srv;
	mgr_client *c;
	mgr_obj    *d, *q;
	OK(mgr_server_start(&srv, NULL));
	OK(mgr_server_connect(srv, &c));
	OK(mgr_dict_new(c, &d));
	OK(mgr_queue_new(c, 0, &q));
	// The manager goes away (as if killed): every call says so promptly.
	OK(mgr_server_shutdown(srv));
	uint64_t t0 = ms_now();
	assert_int_equal(mgr_dict_set(d, mgr_int(1), mgr_int(2)), MGR_ECONN);
	mgr_value v;
	assert_int_equal(mgr_queue_get(q, &v, MGR_FOREVER), MGR_ECONN);
	assert_int_equal(mgr_dict_len(d, &(size_t) { 0 }), MGR_ECONN);
	assert_true(ms_now() - t0 < 1000);
	OK(mgr_obj_release(d));
	OK(mgr_obj_release(q));
	OK(mgr_disconnect(c));
}

int
main(int argc, char **argv)
{
	mgr_process_register("three", three);
	mgr_process_register("hang", hang);
	mgr_process_register("named", named);
	mgr_process_register("parent", parent);
	mgr_process_serve(argc, argv);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_join_three_proxies),
		cmocka_unit_test(test_terminate_and_kill_hung_child),
		cmocka_unit_test(test_bad_uses),
		cmocka_unit_test(test_manager_gone),
		cmocka_unit_test(test_manager_gone_while_blocked),
		cmocka_unit_test(test_process_attributes),
		cmocka_unit_test(test_daemon_dies_with_parent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
