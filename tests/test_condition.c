/* Condition end to end, against a real managerd (tests/harness.c): over
 * its own rlock and over a given lock, every call and error, timeouts
 * (a timed-out wait returns only with the lock back, at its depth),
 * notify(n) and notify_all order with several waiting threads, a
 * condition destroyed under waiters, and clients killed while waiting,
 * once notified, or while holding the lock (child_lock).
 *
 * Orders are made deterministic by waiting until the manager reports each
 * request parked (mgr_info's "waiters") before the next step. A few checks
 * use libmgr's internal call (internal.h) to send what the public API
 * refuses to.
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
#include <unistd.h>

#include "harness.h"
#include "internal.h"
#include "sync_fixture.h"

/* ---- helpers ----------------------------------------------------------- */

/* A wait without taking the lock first. */
static int
do_wait_only(job *j)
{
	return mgr_condition_wait(j->o, j->timeout);
}

/* ---- the waiting threads ----------------------------------------------- */

/* acquire, wait (j->timeout), record j->idx if woken, release (rv2): a
 * waiter's life. Returns what the wait returned. */
static int
do_cwait(job *j)
{
	if (mgr_acquire(j->o, MGR_FOREVER) != 0) {
		return -2;
	}
	int rv = mgr_condition_wait(j->o, j->timeout);
	j->end = h_now_ms();
	if (rv == 0) {
		rec_add(j->idx);
	}
	// Woken or timed out, it holds the lock again.
	j->rv2 = mgr_release(j->o);
	return rv;
}

/* As do_cwait at rlock depth 2, then checks the depth came back: two
 * releases succeed, a third fails. */
static int
do_cwait_deep(job *j)
{
	if (mgr_acquire(j->o, MGR_FOREVER) != 0
	    || mgr_acquire(j->o, MGR_FOREVER) != 0) {
		return -2;
	}
	int rv = mgr_condition_wait(j->o, j->timeout);
	j->end = h_now_ms();
	if (mgr_release(j->o) != 0 || mgr_release(j->o) != 0
	    || mgr_release(j->o) != MGR_ESTATE) {
		return -3;
	}
	return rv;
}

static int
do_acquire(job *j)
{
	return mgr_acquire(j->o, j->timeout);
}

/* acquire, record j->idx, then release (rv2) once a byte arrives on
 * j->go. */
static int
do_acquire_hold(job *j)
{
	int rv = mgr_acquire(j->o, j->timeout);
	if (rv == 0) {
		char b;
		rec_add(j->idx);
		if (read(j->go[0], &b, 1) != 1) {
			return -2;
		}
		j->rv2 = mgr_release(j->o);
	}
	return rv;
}

/* ---- calls and errors -------------------------------------------------- */

static void
test_cond_basic(void **state)
{
	(void) state;
	mgr_obj    *cv, *cv2;
	mgr_client *c2;
	job         j;
	int64_t     t0, rlocks = objects("rlock"), base = waiters();

	assert_int_equal(mgr_condition_new(C, NULL, &cv), 0);
	assert_string_equal(mgr_obj_type(cv), "condition");
	// Its own rlock, alive as long as the condition.
	assert_int_equal(objects("rlock"), rlocks + 1);
	assert_false(locked(cv));
	assert_int_equal(mgr_condition_wait(cv, 0), MGR_ESTATE);
	assert_detail("cannot wait on un-acquired lock");
	assert_int_equal(mgr_condition_wait(cv, 100), MGR_ESTATE);
	assert_int_equal(mgr_condition_notify(cv, 1), MGR_ESTATE);
	assert_detail("cannot notify on un-acquired lock");
	assert_int_equal(mgr_condition_notify_all(cv), MGR_ESTATE);
	assert_detail("cannot notify on un-acquired lock");

	// Its lock through the condition: an rlock, reentrant.
	assert_int_equal(mgr_acquire(cv, 0), 0);
	assert_true(locked(cv));
	assert_int_equal(mgr_acquire(cv, MGR_FOREVER), 0);
	assert_int_equal(mgr_condition_notify(cv, 1), 0); // nobody waits
	assert_int_equal(mgr_condition_notify(cv, 0), 0);
	assert_int_equal(mgr_condition_notify(cv, SIZE_MAX), 0);
	assert_int_equal(mgr_condition_notify_all(cv), 0);
	// wait(0) times out at once, wait(100) after 100 ms; both give the
	// lock back at its depth.
	t0 = h_now_ms();
	assert_int_equal(mgr_condition_wait(cv, 0), MGR_ETIMEDOUT);
	assert_true(h_now_ms() - t0 < 1000); // no deadline to wait for
	t0 = h_now_ms();
	assert_int_equal(mgr_condition_wait(cv, 100), MGR_ETIMEDOUT);
	assert_timed(h_now_ms() - t0);
	assert_true(locked(cv));
	assert_int_equal(mgr_release(cv), 0);
	assert_true(locked(cv));
	assert_int_equal(mgr_release(cv), 0);
	assert_false(locked(cv));
	assert_int_equal(mgr_release(cv), MGR_ESTATE);
	assert_detail("cannot release un-acquired lock");

	// Held by another client: no wait nor notify here, and an acquire
	// through the condition times out.
	assert_int_equal(h_connect(&M, &c2), 0);
	cv2 = attach(c2, cv);
	assert_int_equal(mgr_acquire(cv2, 0), 0);
	assert_int_equal(mgr_condition_wait(cv, MGR_FOREVER), MGR_ESTATE);
	assert_int_equal(mgr_condition_notify(cv, 1), MGR_ESTATE);
	t0 = h_now_ms();
	assert_int_equal(mgr_acquire(cv, 100), MGR_ETIMEDOUT);
	assert_timed(h_now_ms() - t0);
	assert_int_equal(waiters(), base);
	assert_int_equal(mgr_release(cv2), 0);

	// An rlock is the thread's: another thread of this client may not
	// wait on it.
	assert_int_equal(mgr_acquire(cv, 0), 0);
	j.timeout = 100;
	job_start(&j, do_wait_only, cv, j.timeout);
	job_join(&j, AWAIT_MS);
	assert_int_equal(j.rv, MGR_ESTATE);
	assert_int_equal(mgr_release(cv), 0);

	assert_int_equal(mgr_obj_release(cv2), 0);
	mgr_disconnect(c2);
	assert_int_equal(mgr_obj_release(cv), 0);
	assert_int_equal(objects("rlock"), rlocks);
}

/* A condition over a given Lock: it acts on that lock, which it keeps
 * alive. */
static void
test_cond_over_lock(void **state)
{
	(void) state;
	mgr_obj    *l, *cv, *cv2;
	mgr_client *c2;
	job         w    = { .idx = 7 };
	int64_t     base = waiters(), locks = objects("lock"), t0;

	rec_reset();
	assert_int_equal(mgr_lock_new(C, &l), 0);
	assert_int_equal(mgr_condition_new(C, l, &cv), 0);
	assert_false(locked(cv));
	assert_int_equal(mgr_acquire(l, 0), 0);
	assert_true(locked(cv));
	assert_int_equal(mgr_acquire(cv, 0), MGR_ETIMEDOUT); // not reentrant
	t0 = h_now_ms();
	assert_int_equal(mgr_condition_wait(cv, 100), MGR_ETIMEDOUT);
	assert_timed(h_now_ms() - t0);
	assert_true(locked(l)); // taken back
	assert_int_equal(mgr_release(cv), 0);
	assert_false(locked(l));

	// A waiter (a Lock is the session's: any thread of it may wait).
	w.timeout = AWAIT_MS;
	job_start(&w, do_cwait, cv, w.timeout);
	await_waiters(base + 1);
	assert_int_equal(mgr_acquire(l, 0), 0); // the wait released it
	assert_int_equal(mgr_condition_notify(cv, 1), 0);
	// Notified, it queues for the lock, which is still ours.
	assert_int_equal(waiters(), base + 1);
	assert_int_equal(rec_count(), 0);
	assert_int_equal(mgr_release(l), 0);
	job_join(&w, AWAIT_MS);
	assert_int_equal(w.rv, 0);
	assert_int_equal(w.rv2, 0);
	assert_int_equal(rec_count(), 1);
	assert_false(locked(l));

	// Held by another session: this one may not wait nor notify.
	assert_int_equal(h_connect(&M, &c2), 0);
	cv2 = attach(c2, cv);
	assert_int_equal(mgr_acquire(cv2, 0), 0);
	assert_true(locked(l));
	assert_int_equal(mgr_condition_wait(cv, 0), MGR_ESTATE);
	assert_int_equal(mgr_condition_notify_all(cv), MGR_ESTATE);
	assert_int_equal(mgr_release(l), 0); // a Lock: anyone may release
	assert_int_equal(mgr_obj_release(cv2), 0);
	mgr_disconnect(c2);

	// The lock lives as long as the condition does.
	assert_int_equal(mgr_obj_release(l), 0);
	assert_int_equal(objects("lock"), locks + 1);
	assert_int_equal(mgr_acquire(cv, 0), 0);
	assert_int_equal(mgr_condition_wait(cv, 0), MGR_ETIMEDOUT);
	assert_int_equal(mgr_release(cv), 0);
	assert_int_equal(mgr_obj_release(cv), 0);
	assert_int_equal(objects("lock"), locks);
}

/* notify(n) wakes the n oldest waiters, notify_all the rest, in order. */
static void
test_cond_notify_n(void **state)
{
	(void) state;
	enum { N = 5 };
	mgr_obj *cv;
	job      j[N];
	int64_t  base = waiters();

	rec_reset();
	assert_int_equal(mgr_condition_new(C, NULL, &cv), 0);
	for (int i = 0; i < N; i++) {
		j[i].idx     = i;
		j[i].timeout = AWAIT_MS;
		job_start(&j[i], do_cwait, cv, j[i].timeout);
		await_waiters(base + i + 1);
	}
	assert_int_equal(mgr_acquire(cv, 0), 0);
	assert_int_equal(mgr_condition_notify(cv, 2), 0);
	assert_int_equal(waiters(), base + N); // queued for the lock
	assert_int_equal(mgr_release(cv), 0);
	rec_await(2);
	job_join(&j[0], AWAIT_MS);
	job_join(&j[1], AWAIT_MS);
	// Exactly two woke: the others still wait.
	assert_int_equal(waiters(), base + N - 2);
	assert_int_equal(rec_count(), 2);

	assert_int_equal(mgr_acquire(cv, 0), 0);
	assert_int_equal(mgr_condition_notify(cv, 1), 0);
	assert_int_equal(mgr_release(cv), 0);
	rec_await(3);
	job_join(&j[2], AWAIT_MS);
	assert_int_equal(waiters(), base + N - 3);

	assert_int_equal(mgr_acquire(cv, 0), 0);
	assert_int_equal(mgr_condition_notify_all(cv), 0);
	assert_int_equal(mgr_release(cv), 0);
	rec_await(N);
	for (int i = 0; i < N; i++) {
		if (i > 2) {
			job_join(&j[i], AWAIT_MS);
		}
		assert_int_equal(j[i].rv, 0);
		assert_int_equal(j[i].rv2, 0);
		assert_int_equal(R.order[i], i);
	}
	assert_int_equal(waiters(), base);
	// Nobody waits: notify does nothing.
	assert_int_equal(mgr_acquire(cv, 0), 0);
	assert_int_equal(mgr_condition_notify_all(cv), 0);
	assert_int_equal(mgr_release(cv), 0);
	assert_int_equal(mgr_obj_release(cv), 0);
}

/* A timed-out wait returns only once it has the lock back, at its depth
 * (Python's wait returns False after re-acquiring). */
static void
test_cond_timeout_reacquires(void **state)
{
	(void) state;
	mgr_obj *cv, *other;
	job      w = { .idx = 1 }, m = { .idx = 2 };
	int64_t  base = waiters();

	rec_reset();
	assert_int_equal(mgr_condition_new(C, NULL, &cv), 0);
	assert_int_equal(mgr_lock_new(C, &other), 0);
	// The waiter, then m, queue for the lock this thread holds.
	assert_int_equal(mgr_acquire(cv, 0), 0);
	w.timeout = 100;
	job_start(&w, do_cwait_deep, cv, w.timeout);
	await_waiters(base + 1);
	m.timeout = AWAIT_MS;
	assert_int_equal(pipe(m.go), 0);
	job_start(&m, do_acquire_hold, cv, m.timeout);
	await_waiters(base + 2);
	// w gets it and waits: its wait hands the lock on to m at once.
	assert_int_equal(mgr_release(cv), 0);
	rec_await(1);
	assert_int_equal(R.order[0], 2);
	assert_int_equal(waiters(), base + 1);
	// m holds it well past w's timeout (meanwhile this thread waits on
	// a lock its session holds: a Lock is not reentrant).
	assert_int_equal(mgr_acquire(other, 0), 0);
	assert_int_equal(mgr_acquire(other, 400), MGR_ETIMEDOUT);
	// Timed out, w still waits: for the lock.
	assert_int_equal(waiters(), base + 1);
	int64_t t_rel = h_now_ms();
	assert_int_equal(write(m.go[1], "g", 1), 1);
	job_join(&m, AWAIT_MS);
	assert_int_equal(m.rv, 0);
	assert_int_equal(m.rv2, 0);
	job_join(&w, AWAIT_MS);
	assert_int_equal(w.rv, MGR_ETIMEDOUT);
	assert_true(w.end >= t_rel);
	assert_true(w.ms >= 400);
	assert_int_equal(rec_count(), 1); // w was not woken
	assert_int_equal(waiters(), base);
	assert_false(locked(cv));
	close(m.go[0]);
	close(m.go[1]);
	assert_int_equal(mgr_obj_release(other), 0);
	assert_int_equal(mgr_obj_release(cv), 0);
}

/* ---- objects destroyed, sessions that end ------------------------------ */

/* A condition destroyed with waiters answers MGR_ENOOBJ to those waiting
 * for a notify and to those queued at its lock through it; over its own
 * rlock (which goes with it) and over a given lock (which stays, still
 * held, with none of them left in its queue). */
static void
test_cond_destroyed_with_waiters(void **state)
{
	(void) state;
	for (int k = 0; k < 2; k++) {
		mgr_obj *l = NULL, *cv, *cv2;
		job      w1, w3, a;
		int64_t  base = waiters(), rlocks = objects("rlock");

		if (k == 1) {
			assert_int_equal(mgr_lock_new(C, &l), 0);
		}
		assert_int_equal(mgr_condition_new(C, l, &cv), 0);
		cv2        = attach(C, cv); // a second reference
		w1.timeout = MGR_FOREVER;
		w3.timeout = MGR_FOREVER;
		job_start(&w1, do_cwait, cv2, w1.timeout);
		await_waiters(base + 1);
		job_start(&w3, do_cwait, cv2, w3.timeout);
		await_waiters(base + 2);
		assert_int_equal(mgr_acquire(cv, 0), 0);
		// w1 to the lock's queue, and an acquire through the
		// condition.
		assert_int_equal(mgr_condition_notify(cv, 1), 0);
		a.timeout = AWAIT_MS;
		job_start(&a, do_acquire, cv2, a.timeout);
		await_waiters(base + 3);
		assert_int_equal(raw_release(cv), 0);
		assert_int_equal(raw_release(cv), 0);
		job_join(&w1, AWAIT_MS);
		job_join(&w3, AWAIT_MS);
		job_join(&a, AWAIT_MS);
		assert_int_equal(w1.rv, MGR_ENOOBJ);
		assert_int_equal(w1.rv2, MGR_ENOOBJ);
		assert_int_equal(w3.rv, MGR_ENOOBJ);
		assert_int_equal(a.rv, MGR_ENOOBJ);
		assert_int_equal(waiters(), base);
		assert_int_equal(mgr_obj_release(cv), MGR_ENOOBJ);
		assert_int_equal(mgr_obj_release(cv2), MGR_ENOOBJ);
		if (k == 0) {
			assert_int_equal(
			    objects("rlock"), rlocks); // gone too
			continue;
		}
		// The given lock is still ours, and nobody waits for it.
		assert_true(locked(l));
		assert_int_equal(mgr_release(l), 0);
		assert_int_equal(mgr_acquire(l, 0), 0);
		assert_int_equal(mgr_release(l), 0);
		assert_int_equal(mgr_obj_release(l), 0);
	}
}

/* A child killed while waiting (for a notify, or for the lock once
 * notified) is cancelled: notify wakes the next live waiter, and the lock
 * is never given to the dead one. */
static void
test_cond_killed_waiter(void **state)
{
	(void) state;
	mgr_obj *cv;
	h_child  ch;
	job      w    = { .idx = 1 };
	int64_t  base = waiters(), sessions = info("sessions");

	rec_reset();
	assert_int_equal(mgr_condition_new(C, NULL, &cv), 0);
	spawn_lock_child(&ch, "cwait", cv, NULL);
	expect_line(&ch, "ready");
	await_waiters(base + 1);
	w.timeout = AWAIT_MS;
	job_start(&w, do_cwait, cv, w.timeout);
	await_waiters(base + 2);
	kill_child(&ch);
	await_sessions(sessions);
	assert_int_equal(waiters(), base + 1);
	assert_int_equal(mgr_acquire(cv, 0), 0);
	assert_int_equal(mgr_condition_notify(cv, 1), 0); // the live one
	assert_int_equal(mgr_release(cv), 0);
	job_join(&w, AWAIT_MS);
	assert_int_equal(w.rv, 0);
	assert_int_equal(rec_count(), 1);
	assert_int_equal(waiters(), base);

	// Killed once notified, while it queues for the lock.
	spawn_lock_child(&ch, "cwait", cv, NULL);
	expect_line(&ch, "ready");
	await_waiters(base + 1);
	assert_int_equal(mgr_acquire(cv, 0), 0);
	assert_int_equal(mgr_condition_notify_all(cv), 0);
	kill_child(&ch);
	await_sessions(sessions);
	assert_int_equal(waiters(), base);
	assert_int_equal(mgr_release(cv), 0);
	assert_false(locked(cv)); // not handed to the dead waiter
	assert_int_equal(mgr_acquire(cv, 0), 0);
	assert_int_equal(mgr_release(cv), 0);
	assert_int_equal(mgr_obj_release(cv), 0);
}

/* A child that notified and holds the condition's lock is killed: the
 * notified waiter gets the lock back, at its depth. */
static void
test_cond_killed_holder(void **state)
{
	(void) state;
	mgr_obj *cv;
	h_child  ch;
	job      w;
	int64_t  base = waiters();

	assert_int_equal(mgr_condition_new(C, NULL, &cv), 0);
	w.timeout = MGR_FOREVER;
	job_start(&w, do_cwait_deep, cv, w.timeout);
	await_waiters(base + 1);
	spawn_lock_child(&ch, "notify", cv, NULL);
	expect_line(&ch, "held");
	assert_true(locked(cv));
	assert_int_equal(waiters(), base + 1); // queued for the lock
	int64_t t0 = h_now_ms();
	kill_child(&ch);
	job_join(&w, AWAIT_MS);
	assert_int_equal(w.rv, 0);
	assert_true(w.end - t0 < 1000);
	assert_false(locked(cv));
	assert_int_equal(mgr_obj_release(cv), 0);
}

/* ---- bad arguments ----------------------------------------------------- */

static int
raw_create(const mgr_value *args, size_t nargs, mgr_value *res)
{
	call_req call = { .op = MGR__OP__OP_CREATE,
		.type         = MGR__OBJ_TYPE__OBJ_CONDITION,
		.args         = args,
		.nargs        = nargs };
	*res          = mgr_none();
	return client_call(C, &call, res);
}

static void
test_cond_bad_args(void **state)
{
	(void) state;
	mgr_obj  *cv, *d, *s, *l, *x = NULL;
	mgr_value res;

	assert_int_equal(mgr_condition_new(C, NULL, &cv), 0);
	assert_int_equal(mgr_dict_new(C, &d), 0);
	assert_int_equal(mgr_semaphore_new(C, 1, &s), 0);
	assert_int_equal(mgr_lock_new(C, &l), 0);
	assert_int_equal(mgr_condition_new(NULL, NULL, &x), MGR_EINVAL);
	assert_int_equal(mgr_condition_new(C, NULL, NULL), MGR_EINVAL);
	assert_int_equal(mgr_condition_new(C, d, &x), MGR_ETYPE);
	assert_int_equal(mgr_condition_new(C, s, &x), MGR_ETYPE);
	assert_int_equal(mgr_condition_new(C, cv, &x), MGR_ETYPE);
	assert_null(x);
	assert_int_equal(mgr_condition_wait(NULL, 0), MGR_EINVAL);
	assert_int_equal(mgr_condition_notify(NULL, 1), MGR_EINVAL);
	assert_int_equal(mgr_condition_notify_all(NULL), MGR_EINVAL);
	assert_int_equal(mgr_condition_wait(cv, -2), MGR_EINVAL);
	assert_int_equal(mgr_condition_wait(l, 0), MGR_ETYPE);
	assert_int_equal(mgr_condition_notify(l, 1), MGR_ETYPE);
	assert_int_equal(mgr_condition_notify_all(d), MGR_ETYPE);

	// What only a raw request can say: the manager checks it too.
	mgr_value bad[] = { mgr_ref(s), mgr_int(1), mgr_ref(d), mgr_ref(cv) };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(raw_create(&bad[i], 1, &res), MGR_ETYPE);
		assert_detail("a condition needs a lock or an rlock");
	}
	mgr_value two[2] = { mgr_ref(l), mgr_ref(l) };
	assert_int_equal(raw_create(two, 2, &res), MGR_EINVAL);
	// None: a new rlock of its own, as Python's Condition(None).
	mgr_value none = mgr_none();
	if (raw_create(&none, 1, &res) != 0) {
		fail_msg("Condition(None): %s", mgr_errdetail());
	}
	mgr_obj *own = mgr_value_ref(&res);
	assert_non_null(own);
	assert_int_equal(mgr_acquire(own, 0), 0);
	assert_int_equal(mgr_acquire(own, 0), 0); // reentrant: an rlock
	mgr_value_free(&res);

	call_req call = { .op = MGR__OP__OP_COND_WAIT,
		.target       = mgr_obj_id(l),
		.secret       = l->secret };
	assert_int_equal(client_call(C, &call, NULL), MGR_ETYPE);
	call.op = MGR__OP__OP_COND_NOTIFY_ALL;
	assert_int_equal(client_call(C, &call, NULL), MGR_ETYPE);
	assert_int_equal(mgr_acquire(cv, 0), 0);
	call.target  = mgr_obj_id(cv);
	call.secret  = cv->secret;
	call.op      = MGR__OP__OP_COND_WAIT;
	call.timeout = -5;
	assert_int_equal(client_call(C, &call, NULL), MGR_EINVAL);
	assert_detail("timeout");
	call.timeout  = 0;
	call.op       = MGR__OP__OP_COND_NOTIFY;
	mgr_value neg = mgr_int(-1), str = mgr_str("1");
	call.args  = &neg;
	call.nargs = 1;
	assert_int_equal(client_call(C, &call, NULL), MGR_EINVAL);
	call.args = &str;
	assert_int_equal(client_call(C, &call, NULL), MGR_ETYPE);
	call.args  = two;
	call.nargs = 2;
	assert_int_equal(client_call(C, &call, NULL), MGR_EINVAL);
	// No argument: notify(1).
	call.nargs = 0;
	assert_int_equal(client_call(C, &call, NULL), 0);
	call.op    = MGR__OP__OP_COND_WAIT;
	call.args  = &neg;
	call.nargs = 1;
	assert_int_equal(client_call(C, &call, NULL), MGR_EINVAL);
	assert_int_equal(mgr_release(cv), 0);

	assert_int_equal(mgr_obj_release(l), 0);
	assert_int_equal(mgr_obj_release(s), 0);
	assert_int_equal(mgr_obj_release(d), 0);
	assert_int_equal(mgr_obj_release(cv), 0);
}

/* ---- setup ------------------------------------------------------------- */

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cond_basic),
		cmocka_unit_test(test_cond_over_lock),
		cmocka_unit_test(test_cond_notify_n),
		cmocka_unit_test(test_cond_timeout_reacquires),
		cmocka_unit_test(test_cond_destroyed_with_waiters),
		cmocka_unit_test(test_cond_killed_waiter),
		cmocka_unit_test(test_cond_killed_holder),
		cmocka_unit_test(test_cond_bad_args),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
