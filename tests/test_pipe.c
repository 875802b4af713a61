/* Pipes (mgr_pipe_new, mgr_conn_*) against a real managerd: order and
 * copies both ways, recv and poll timeouts, a poll woken by a send, a
 * closed end drained before MGR_ECLOSED, a dropped end as a closed one,
 * one-way pipes, and Python's Pipe example with a child process (this
 * program is its own child). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define OKP(x) assert_int_equal((x), 0)

static h_managerd  M;
static mgr_client *C;

static int
group_setup(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the group setup");
	int rv = h_group_start(&M, &C, NULL, 0, NULL, 0);
	h_watchdog_disarm();
	return rv;
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
	h_watchdog_arm(60, "the test of the last [ RUN ] line");
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	h_watchdog_disarm();
	return 0;
}

/* The child of Python's example: sends [42, None, 'hello'] on its end,
 * then echoes what it receives until the parent closes. */
static int
child(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) c, (void) argc, (void) argv;
	mgr_value items[3] = { mgr_int(42), mgr_none(), mgr_str("hello") };
	if (n != 1 || mgr_conn_send(objs[0], mgr_list_of(items, 3)) != 0) {
		return 1;
	}
	for (;;) {
		mgr_value v;
		int       rv = mgr_conn_recv(objs[0], &v, 30000);
		if (rv == MGR_ECLOSED) {
			return 0; // EOF: the parent closed its end
		}
		if (rv != 0 || mgr_conn_send(objs[0], v) != 0) {
			return 2;
		}
		mgr_value_free(&v);
	}
}

static void
test_duplex(void **state)
{
	(void) state;
	mgr_obj *a, *b;
	OKP(mgr_pipe_new(C, true, &a, &b));
	assert_string_equal(mgr_obj_type(a), "conn");
	mgr_value v;
	bool      ready = true;
	OKP(mgr_conn_poll(b, 0, &ready));
	assert_false(ready);
	OKP(mgr_conn_poll(b, 30, &ready)); // waits, then false
	assert_false(ready);
	assert_int_equal(mgr_conn_recv(b, &v, 20), MGR_ETIMEDOUT);
	for (int i = 0; i < 5; i++) {
		OKP(mgr_conn_send(a, mgr_int(i)));
	}
	OKP(mgr_conn_send(b, mgr_str("back")));
	OKP(mgr_conn_poll(b, 0, &ready));
	assert_true(ready);
	for (int i = 0; i < 5; i++) {
		OKP(mgr_conn_recv(b, &v, 0));
		assert_int_equal(v.i, i);
	}
	OKP(mgr_conn_recv(a, &v, 1000));
	assert_string_equal(v.s, "back");
	mgr_value_free(&v);
	mgr_obj_release(a);
	mgr_obj_release(b);
}

typedef struct poller {
	mgr_obj *end;
	int      rv;
	bool     ready;
	int      rrv;
	int64_t  got;
} poller;

static void *
poll_main(void *arg)
{
	poller   *p = arg;
	mgr_value v = mgr_none();
	p->rv       = mgr_conn_poll(p->end, 30000, &p->ready);
	p->rrv      = mgr_conn_recv(p->end, &v, 30000);
	p->got      = v.kind == MGR_INT ? v.i : -1;
	return NULL;
}

/* A parked poll (and the recv after it) is answered by a send. */
static void
test_poll_woken(void **state)
{
	(void) state;
	mgr_obj *a, *b;
	OKP(mgr_pipe_new(C, true, &a, &b));
	poller    p = { .end = b, .rv = -1 };
	pthread_t th;
	OKP(pthread_create(&th, NULL, poll_main, &p));
	OKP(mgr_conn_send(a, mgr_int(7)));
	pthread_join(th, NULL);
	OKP(p.rv);
	assert_true(p.ready);
	OKP(p.rrv);
	assert_int_equal(p.got, 7);
	mgr_obj_release(a);
	mgr_obj_release(b);
}

/* Close: the other end drains, then MGR_ECLOSED; sends fail both ways. A
 * dropped end (released) is a closed one. */
static void
test_close_drains(void **state)
{
	(void) state;
	mgr_obj  *a, *b;
	mgr_value v;
	bool      ready;
	OKP(mgr_pipe_new(C, true, &a, &b));
	OKP(mgr_conn_send(a, mgr_int(1)));
	OKP(mgr_conn_send(a, mgr_int(2)));
	OKP(mgr_conn_close(a));
	assert_int_equal(mgr_conn_send(a, mgr_int(3)), MGR_ECLOSED);
	assert_int_equal(mgr_conn_recv(a, &v, 0), MGR_ECLOSED);
	assert_int_equal(mgr_conn_send(b, mgr_int(4)), MGR_ECLOSED);
	OKP(mgr_conn_recv(b, &v, 0));
	assert_int_equal(v.i, 1);
	OKP(mgr_conn_recv(b, &v, 0));
	assert_int_equal(v.i, 2);
	OKP(mgr_conn_poll(b, 0, &ready)); // EOF is readable, as in Python
	assert_true(ready);
	assert_int_equal(mgr_conn_recv(b, &v, MGR_FOREVER), MGR_ECLOSED);
	mgr_obj_release(a);
	mgr_obj_release(b);
	// Released with an item in flight: drained, then the end.
	OKP(mgr_pipe_new(C, true, &a, &b));
	OKP(mgr_conn_send(b, mgr_str("last")));
	mgr_obj_release(b);
	OKP(mgr_conn_recv(a, &v, 1000));
	assert_string_equal(v.s, "last");
	mgr_value_free(&v);
	assert_int_equal(mgr_conn_recv(a, &v, 1000), MGR_ECLOSED);
	mgr_obj_release(a);
}

/* Pipe(duplex=False): end1 receives, end2 sends. */
static void
test_one_way(void **state)
{
	(void) state;
	mgr_obj  *r, *w;
	mgr_value v;
	OKP(mgr_pipe_new(C, false, &r, &w));
	assert_int_equal(mgr_conn_send(r, mgr_int(1)), MGR_ESTATE);
	assert_int_equal(mgr_conn_recv(w, &v, 0), MGR_ESTATE);
	OKP(mgr_conn_send(w, mgr_int(2)));
	OKP(mgr_conn_recv(r, &v, 1000));
	assert_int_equal(v.i, 2);
	mgr_obj_release(r);
	mgr_obj_release(w);
}

/* Python's example: a child sends [42, None, 'hello'] through its end. */
static void
test_with_child(void **state)
{
	(void) state;
	mgr_obj     *parent_end, *child_end;
	mgr_process *p;
	OKP(mgr_pipe_new(C, true, &parent_end, &child_end));
	OKP(mgr_process_start(C, "child", &child_end, 1, NULL, &p));
	mgr_value v;
	char      repr[64];
	OKP(mgr_conn_recv(parent_end, &v, 30000));
	OKP(mgr_value_repr(&v, repr, sizeof(repr)));
	assert_string_equal(repr, "[42, None, 'hello']");
	mgr_value_free(&v);
	OKP(mgr_conn_send(parent_end, mgr_str("ping")));
	OKP(mgr_conn_recv(parent_end, &v, 30000));
	assert_string_equal(v.s, "ping");
	mgr_value_free(&v);
	OKP(mgr_conn_close(parent_end));
	int status = -1;
	OKP(mgr_process_join(p, 30000, &status));
	assert_int_equal(status, 0);
	OKP(mgr_process_free(p));
	mgr_obj_release(parent_end);
	mgr_obj_release(child_end);
}

int
main(int argc, char **argv)
{
	mgr_process_register("child", child);
	mgr_process_serve(argc, argv);
	unsetenv("MGR_AUTHKEY");
	unsetenv("MGR_URL");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_duplex, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_poll_woken, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_close_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_one_way, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_with_child, setup, teardown),
	};
	return cmocka_run_group_tests_name(
	           "pipe", tests, group_setup, group_teardown)
	        == 0
	    ? 0
	    : 1;
}
