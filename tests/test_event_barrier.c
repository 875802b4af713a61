/* The event and barrier types end to end, against a real managerd
 * (tests/harness.c): every call and error, timeouts, the barrier's indexes,
 * default timeout, abort and reset, and a party killed while waiting.
 *
 * Orders are made deterministic by waiting until the manager reports each
 * request parked (mgr_info's "waiters", or the barrier's n_waiting) before
 * starting the next one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "internal.h"
#include "sync_fixture.h"

/* ---- helpers ----------------------------------------------------------- */

static int
do_ewait(job *j)
{
	return mgr_event_wait(j->o, j->timeout);
}

static int
do_bwait(job *j)
{
	return mgr_barrier_wait(j->o, j->timeout, &j->index);
}

static size_t
n_waiting(mgr_obj *b)
{
	size_t n = 999;
	assert_int_equal(mgr_barrier_n_waiting(b, &n), 0);
	return n;
}

static bool
broken(mgr_obj *b)
{
	bool f = false;
	assert_int_equal(mgr_barrier_broken(b, &f), 0);
	return f;
}

/* ---- event ------------------------------------------------------------- */

static void
test_event_basic(void **state)
{
	(void) state;
	mgr_obj *e;
	bool     set = true;

	assert_int_equal(mgr_event_new(C, &e), 0);
	assert_string_equal(mgr_obj_type(e), "event");
	assert_int_equal(mgr_event_is_set(e, &set), 0);
	assert_false(set);
	assert_int_equal(mgr_event_wait(e, 0), MGR_ETIMEDOUT);
	assert_int_equal(mgr_event_set(e), 0);
	assert_int_equal(mgr_event_is_set(e, &set), 0);
	assert_true(set);
	// Set: every wait returns at once.
	assert_int_equal(mgr_event_wait(e, 0), 0);
	assert_int_equal(mgr_event_wait(e, MGR_FOREVER), 0);
	assert_int_equal(mgr_event_set(e), 0); // twice is fine
	assert_int_equal(mgr_event_clear(e), 0);
	assert_int_equal(mgr_event_is_set(e, &set), 0);
	assert_false(set);
	assert_int_equal(mgr_event_wait(e, 0), MGR_ETIMEDOUT);
	assert_int_equal(mgr_event_clear(e), 0);
	assert_int_equal(mgr_obj_release(e), 0);
}

static void
test_event_timeout(void **state)
{
	(void) state;
	mgr_obj *e;
	int64_t  base = waiters(), t0;

	assert_int_equal(mgr_event_new(C, &e), 0);
	t0 = h_now_ms();
	assert_int_equal(mgr_event_wait(e, 100), MGR_ETIMEDOUT);
	assert_timed(h_now_ms() - t0);
	assert_int_equal(waiters(), base);
	assert_int_equal(mgr_obj_release(e), 0);
}

#define NEWAITERS 6

/* set answers every waiter; clear does not answer anybody. */
static void
test_event_set_wakes_all(void **state)
{
	(void) state;
	mgr_obj *e;
	job      w[NEWAITERS];
	int64_t  base = waiters();

	assert_int_equal(mgr_event_new(C, &e), 0);
	for (int i = 0; i < NEWAITERS; i++) {
		job_start(&w[i], do_ewait, e, i % 2 ? MGR_FOREVER : 20000);
	}
	await_waiters(base + NEWAITERS);
	assert_int_equal(mgr_event_clear(e), 0);
	assert_int_equal(waiters(), base + NEWAITERS);
	assert_int_equal(mgr_event_set(e), 0);
	for (int i = 0; i < NEWAITERS; i++) {
		job_join(&w[i], 5000);
		assert_int_equal(w[i].rv, 0);
	}
	assert_int_equal(waiters(), base);
	assert_int_equal(mgr_obj_release(e), 0);
}

static void
test_event_errors(void **state)
{
	(void) state;
	mgr_obj *e, *b, *x;
	bool     f;
	int64_t  base = waiters();
	job      w;

	assert_int_equal(mgr_event_new(C, &e), 0);
	assert_int_equal(mgr_barrier_new(C, 2, MGR_FOREVER, &b), 0);
	assert_int_equal(mgr_event_new(NULL, &x), MGR_EINVAL);
	assert_int_equal(mgr_event_new(C, NULL), MGR_EINVAL);
	assert_int_equal(mgr_event_wait(e, -2), MGR_EINVAL);
	assert_int_equal(mgr_event_set(NULL), MGR_EINVAL);
	assert_int_equal(mgr_event_is_set(e, NULL), MGR_EINVAL);
	assert_int_equal(mgr_event_set(b), MGR_ETYPE);
	assert_int_equal(mgr_event_clear(b), MGR_ETYPE);
	assert_int_equal(mgr_event_is_set(b, &f), MGR_ETYPE);
	assert_int_equal(mgr_event_wait(b, 0), MGR_ETYPE);
	// The manager refuses a negative timeout and constructor arguments.
	call_req call = { .op = MGR__OP__OP_EVENT_WAIT,
		.target       = mgr_obj_id(e),
		.secret       = e->secret,
		.timeout      = -3 };
	assert_int_equal(client_call(C, &call, NULL), MGR_EINVAL);
	mgr_value one = mgr_int(1);
	call_req  cr  = { .op = MGR__OP__OP_CREATE,
		  .type       = MGR__OBJ_TYPE__OBJ_EVENT,
		  .args       = &one,
		  .nargs      = 1 };
	mgr_value res = mgr_none();
	assert_int_equal(client_call(C, &cr, &res), MGR_EINVAL);

	// An event destroyed while waited on answers MGR_ENOOBJ.
	char tok[64];
	assert_int_equal(mgr_obj_token(e, tok, sizeof(tok)), 0);
	assert_int_equal(mgr_attach(C, tok, &x), 0);
	job_start(&w, do_ewait, x, 20000);
	await_waiters(base + 1);
	assert_int_equal(raw_release(e), 0);
	assert_int_equal(raw_release(e), 0);
	job_join(&w, 5000);
	assert_int_equal(w.rv, MGR_ENOOBJ);
	assert_int_equal(mgr_event_set(e), MGR_ENOOBJ);
	mgr_obj_release(e); // its reference is gone already
	mgr_obj_release(x);
	assert_int_equal(mgr_obj_release(b), 0);
}

/* ---- barrier ----------------------------------------------------------- */

static void
test_barrier_basic(void **state)
{
	(void) state;
	mgr_obj *b;
	size_t   n, index = 99;

	assert_int_equal(mgr_barrier_new(C, 3, MGR_FOREVER, &b), 0);
	assert_string_equal(mgr_obj_type(b), "barrier");
	assert_int_equal(mgr_barrier_parties(b, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(n_waiting(b), 0);
	assert_false(broken(b));
	assert_int_equal(mgr_obj_release(b), 0);

	// One party: every wait is the last one, index 0, again and again.
	assert_int_equal(mgr_barrier_new(C, 1, 100, &b), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mgr_barrier_wait(b, MGR_FOREVER, &index), 0);
		assert_int_equal(index, 0);
		assert_int_equal(mgr_barrier_wait(b, 0, NULL), 0);
	}
	assert_false(broken(b));
	assert_int_equal(mgr_obj_release(b), 0);
}

/* Index = arrival order; the last party releases all at once; the barrier
 * is reusable at once. */
static void
test_barrier_index(void **state)
{
	(void) state;
	mgr_obj *b;
	job      w[3];
	size_t   index;
	int64_t  base = waiters();

	assert_int_equal(mgr_barrier_new(C, 4, MGR_FOREVER, &b), 0);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3; i++) {
			job_start(&w[i], do_bwait, b, 20000);
			await_waiters(base + i + 1);
			assert_int_equal(n_waiting(b), i + 1);
		}
		assert_int_equal(mgr_barrier_wait(b, 0, &index), 0);
		assert_int_equal(index, 3);
		for (int i = 0; i < 3; i++) {
			job_join(&w[i], 5000);
			assert_int_equal(w[i].rv, 0);
			assert_int_equal(w[i].index, i);
		}
		assert_int_equal(n_waiting(b), 0);
		assert_false(broken(b));
	}
	assert_int_equal(mgr_obj_release(b), 0);
}

/* A timed-out wait breaks the barrier for everybody, until reset. */
static void
test_barrier_timeout(void **state)
{
	(void) state;
	mgr_obj *b;
	job      w;
	int64_t  base = waiters(), t0;
	size_t   index;

	assert_int_equal(mgr_barrier_new(C, 3, MGR_FOREVER, &b), 0);
	job_start(&w, do_bwait, b, MGR_FOREVER);
	await_waiters(base + 1);
	t0 = h_now_ms();
	assert_int_equal(mgr_barrier_wait(b, 100, &index), MGR_EBROKEN);
	assert_timed(h_now_ms() - t0);
	job_join(&w, 5000);
	assert_int_equal(w.rv, MGR_EBROKEN);
	assert_true(broken(b));
	assert_int_equal(n_waiting(b), 0);
	// Broken: every later wait fails at once, whatever its timeout.
	t0 = h_now_ms();
	assert_int_equal(
	    mgr_barrier_wait(b, MGR_FOREVER, &index), MGR_EBROKEN);
	assert_int_equal(mgr_barrier_wait(b, 0, &index), MGR_EBROKEN);
	assert_true(h_now_ms() - t0 < 1000);
	assert_int_equal(waiters(), base);

	assert_int_equal(mgr_barrier_reset(b), 0);
	assert_false(broken(b));
	// A wait that may not wait and is not the last breaks it too.
	assert_int_equal(mgr_barrier_wait(b, 0, &index), MGR_EBROKEN);
	assert_true(broken(b));
	assert_int_equal(mgr_barrier_reset(b), 0);
	assert_int_equal(mgr_obj_release(b), 0);
}

/* MGR_FOREVER means the barrier's default timeout; an explicit one
 * overrides it. */
static void
test_barrier_default_timeout(void **state)
{
	(void) state;
	mgr_obj *b, *e;
	job      w;
	int64_t  base = waiters(), t0;
	size_t   index;

	assert_int_equal(mgr_barrier_new(C, 2, 100, &b), 0);
	t0 = h_now_ms();
	assert_int_equal(
	    mgr_barrier_wait(b, MGR_FOREVER, &index), MGR_EBROKEN);
	assert_timed(h_now_ms() - t0);
	assert_true(broken(b));
	assert_int_equal(mgr_barrier_reset(b), 0);

	job_start(&w, do_bwait, b, 20000);
	await_waiters(base + 1);
	// Well past the default timeout (an event nobody sets is the clock).
	assert_int_equal(mgr_event_new(C, &e), 0);
	assert_int_equal(mgr_event_wait(e, 300), MGR_ETIMEDOUT);
	assert_int_equal(n_waiting(b), 1);
	assert_false(broken(b));
	assert_int_equal(mgr_barrier_wait(b, MGR_FOREVER, &index), 0);
	assert_int_equal(index, 1);
	job_join(&w, 5000);
	assert_int_equal(w.rv, 0);
	assert_int_equal(w.index, 0);
	assert_int_equal(mgr_obj_release(e), 0);
	assert_int_equal(mgr_obj_release(b), 0);
}

static void
test_barrier_abort(void **state)
{
	(void) state;
	mgr_obj *b;
	job      w;
	int64_t  base = waiters();
	size_t   index;

	assert_int_equal(mgr_barrier_new(C, 2, MGR_FOREVER, &b), 0);
	job_start(&w, do_bwait, b, MGR_FOREVER);
	await_waiters(base + 1);
	assert_int_equal(mgr_barrier_abort(b), 0);
	job_join(&w, 5000);
	assert_int_equal(w.rv, MGR_EBROKEN);
	assert_true(broken(b));
	assert_int_equal(mgr_barrier_wait(b, 5000, &index), MGR_EBROKEN);
	assert_int_equal(mgr_barrier_abort(b), 0); // again: still broken

	// Reset makes it usable again.
	assert_int_equal(mgr_barrier_reset(b), 0);
	assert_false(broken(b));
	job_start(&w, do_bwait, b, 20000);
	await_waiters(base + 1);
	assert_int_equal(mgr_barrier_wait(b, 0, &index), 0);
	assert_int_equal(index, 1);
	job_join(&w, 5000);
	assert_int_equal(w.rv, 0);
	assert_int_equal(w.index, 0);
	assert_int_equal(mgr_obj_release(b), 0);
}

/* Reset answers the current waiters MGR_EBROKEN and leaves the barrier
 * usable (not broken). */
static void
test_barrier_reset_waiters(void **state)
{
	(void) state;
	mgr_obj *b;
	job      w[2];
	int64_t  base = waiters();
	size_t   index;

	assert_int_equal(mgr_barrier_new(C, 3, MGR_FOREVER, &b), 0);
	job_start(&w[0], do_bwait, b, MGR_FOREVER);
	job_start(&w[1], do_bwait, b, 20000);
	await_waiters(base + 2);
	assert_int_equal(n_waiting(b), 2);
	assert_int_equal(mgr_barrier_reset(b), 0);
	for (int i = 0; i < 2; i++) {
		job_join(&w[i], 5000);
		assert_int_equal(w[i].rv, MGR_EBROKEN);
	}
	assert_false(broken(b));
	assert_int_equal(n_waiting(b), 0);

	// Indexes start from 0 again.
	job_start(&w[0], do_bwait, b, 20000);
	await_waiters(base + 1);
	job_start(&w[1], do_bwait, b, 20000);
	await_waiters(base + 2);
	assert_int_equal(mgr_barrier_wait(b, 1000, &index), 0);
	assert_int_equal(index, 2);
	for (int i = 0; i < 2; i++) {
		job_join(&w[i], 5000);
		assert_int_equal(w[i].rv, 0);
		assert_int_equal(w[i].index, i);
	}
	assert_int_equal(mgr_obj_release(b), 0);
}

/* A party killed while waiting breaks the barrier for the others. */
static void
test_barrier_killed_party(void **state)
{
	(void) state;
	mgr_obj *b;
	job      w;
	h_child  ch;
	char     tok[64], line[64];
	int64_t  base = waiters();

	assert_int_equal(mgr_barrier_new(C, 3, MGR_FOREVER, &b), 0);
	job_start(&w, do_bwait, b, MGR_FOREVER);
	await_waiters(base + 1);
	assert_int_equal(mgr_obj_token(b, tok, sizeof(tok)), 0);
	char *const       argv[] = { "child_queue", "barrier", tok, NULL };
	const char *const env[]  = { env_url, env_key, NULL };
	assert_int_equal(
	    h_spawn(&ch, MGR_TESTS_DIR "/child_queue", argv, env, H_PIPE_OUT),
	    0);
	assert_int_equal(
	    h_child_read_line(&ch, line, sizeof(line), AWAIT_MS), 0);
	assert_string_equal(line, "parking");
	await_waiters(base + 2);
	assert_int_equal(n_waiting(b), 2);
	assert_false(broken(b));

	assert_int_equal(h_child_signal(&ch, SIGKILL), 0);
	assert_int_equal(h_child_wait(&ch, AWAIT_MS), 128 + SIGKILL);
	job_join(&w, AWAIT_MS);
	assert_int_equal(w.rv, MGR_EBROKEN);
	assert_true(broken(b));
	assert_int_equal(n_waiting(b), 0);
	assert_int_equal(waiters(), base);
	assert_int_equal(mgr_obj_release(b), 0);
}

static void
test_barrier_errors(void **state)
{
	(void) state;
	mgr_obj  *b, *e, *x;
	size_t    n, index = 77;
	bool      f;
	int64_t   base = waiters();
	job       w;
	mgr_value res = mgr_none();

	assert_int_equal(mgr_barrier_new(C, 0, MGR_FOREVER, &x), MGR_EINVAL);
	assert_string_equal(mgr_errdetail(), "parties must be >= 1");
	assert_int_equal(mgr_barrier_new(C, 2, -2, &x), MGR_EINVAL);
	assert_int_equal(mgr_barrier_new(NULL, 2, 0, &x), MGR_EINVAL);
	assert_int_equal(mgr_barrier_new(C, 2, 0, NULL), MGR_EINVAL);
	assert_int_equal(mgr_barrier_new(C, 2, MGR_FOREVER, &b), 0);
	assert_int_equal(mgr_event_new(C, &e), 0);
	assert_int_equal(mgr_barrier_wait(b, -2, &index), MGR_EINVAL);
	assert_int_equal(index, 77);
	assert_int_equal(mgr_barrier_parties(b, NULL), MGR_EINVAL);
	assert_int_equal(mgr_barrier_n_waiting(b, NULL), MGR_EINVAL);
	assert_int_equal(mgr_barrier_broken(b, NULL), MGR_EINVAL);
	assert_int_equal(mgr_barrier_abort(NULL), MGR_EINVAL);
	assert_int_equal(mgr_barrier_wait(e, 0, &index), MGR_ETYPE);
	assert_int_equal(mgr_barrier_abort(e), MGR_ETYPE);
	assert_int_equal(mgr_barrier_reset(e), MGR_ETYPE);
	assert_int_equal(mgr_barrier_parties(e, &n), MGR_ETYPE);
	assert_int_equal(mgr_barrier_n_waiting(e, &n), MGR_ETYPE);
	assert_int_equal(mgr_barrier_broken(e, &f), MGR_ETYPE);
	assert_false(broken(b));

	// The manager's own checks, with raw requests.
	mgr_value args[3] = { mgr_str("2"), mgr_int(-1), mgr_int(0) };
	call_req  cr      = { .op = MGR__OP__OP_CREATE,
		      .type       = MGR__OBJ_TYPE__OBJ_BARRIER,
		      .args       = args,
		      .nargs      = 2 };
	assert_int_equal(client_call(C, &cr, &res), MGR_ETYPE);
	args[0] = mgr_int(2);
	args[1] = mgr_str("x");
	assert_int_equal(client_call(C, &cr, &res), MGR_ETYPE);
	args[1]  = mgr_int(-1);
	cr.nargs = 3;
	assert_int_equal(client_call(C, &cr, &res), MGR_EINVAL);
	cr.nargs = 0;
	assert_int_equal(client_call(C, &cr, &res), MGR_EINVAL);
	args[0]  = mgr_int(-4);
	cr.nargs = 1;
	assert_int_equal(client_call(C, &cr, &res), MGR_EINVAL);
	// Parties alone: no default timeout.
	args[0] = mgr_int(1);
	assert_int_equal(client_call(C, &cr, &res), 0);
	assert_int_equal(mgr_barrier_wait(mgr_value_ref(&res), 0, &index), 0);
	mgr_value_free(&res);
	call_req call = { .op = MGR__OP__OP_BARRIER_WAIT,
		.target       = mgr_obj_id(b),
		.secret       = b->secret,
		.timeout      = -2 };
	assert_int_equal(client_call(C, &call, NULL), MGR_EINVAL);
	assert_false(broken(b));

	// A barrier destroyed while waited on answers MGR_ENOOBJ.
	char tok[64];
	assert_int_equal(mgr_obj_token(b, tok, sizeof(tok)), 0);
	assert_int_equal(mgr_attach(C, tok, &x), 0);
	job_start(&w, do_bwait, x, 20000);
	await_waiters(base + 1);
	assert_int_equal(raw_release(b), 0);
	assert_int_equal(raw_release(b), 0);
	job_join(&w, 5000);
	assert_int_equal(w.rv, MGR_ENOOBJ);
	mgr_obj_release(b); // its reference is gone already
	mgr_obj_release(x);
	assert_int_equal(mgr_obj_release(e), 0);
}

/* ---- setup ------------------------------------------------------------- */

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_basic),
		cmocka_unit_test(test_event_timeout),
		cmocka_unit_test(test_event_set_wakes_all),
		cmocka_unit_test(test_event_errors),
		cmocka_unit_test(test_barrier_basic),
		cmocka_unit_test(test_barrier_index),
		cmocka_unit_test(test_barrier_timeout),
		cmocka_unit_test(test_barrier_default_timeout),
		cmocka_unit_test(test_barrier_abort),
		cmocka_unit_test(test_barrier_reset_waiters),
		cmocka_unit_test(test_barrier_killed_party),
		cmocka_unit_test(test_barrier_errors),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
