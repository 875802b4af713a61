/* The queue type end to end, against a real managerd (tests/harness.c):
 * every call and error, timeouts, FIFO order of getters and putters,
 * task_done/join, one client shared by threads, 1,000 simultaneously
 * parked getters from four processes, and clients killed while blocked.
 *
 * Orders are made deterministic by waiting until the manager reports each
 * request parked (mgr_info's "waiters") before starting the next one. A
 * few checks use libmgr's internal call (internal.h) to send what the
 * public API refuses to (bad constructor arguments, a negative timeout on
 * the wire, releasing references another proxy still uses).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "harness_wire.h"
#include "internal.h"
#include "sync_fixture.h"

/* ---- helpers ----------------------------------------------------------- */

static int
do_get(job *j)
{
	return mgr_queue_get(j->o, &j->out, j->timeout);
}

static int
do_put(job *j)
{
	return mgr_queue_put(j->o, j->in, j->timeout);
}

static int
do_join(job *j)
{
	return mgr_queue_join(j->o, j->timeout);
}

static void
assert_int_item(const mgr_value *v, int64_t i)
{
	assert_int_equal(v->kind, MGR_INT);
	assert_int_equal(v->i, i);
}

static void
assert_str_item(const mgr_value *v, const char *s)
{
	assert_int_equal(v->kind, MGR_STR);
	assert_string_equal(v->s, s);
}

static size_t
qsize(mgr_obj *q)
{
	size_t n = 12345;
	assert_int_equal(mgr_queue_qsize(q, &n), 0);
	return n;
}

/* ---- basics ------------------------------------------------------------ */

static void
test_basic(void **state)
{
	(void) state;
	mgr_obj  *q;
	bool      b;
	mgr_value v, items[2] = { mgr_int(1), mgr_str("x") };
	char      buf[64];

	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	assert_string_equal(mgr_obj_type(q), "queue");
	assert_int_equal(mgr_queue_empty(q, &b), 0);
	assert_true(b);
	assert_int_equal(mgr_queue_full(q, &b), 0);
	assert_false(b); // unbounded: never full
	assert_int_equal(qsize(q), 0);

	assert_int_equal(mgr_queue_put(q, mgr_int(7), 0), 0);
	assert_int_equal(mgr_queue_put(q, mgr_str("seven"), MGR_FOREVER), 0);
	assert_int_equal(mgr_queue_put(q, mgr_none(), 0), 0);
	assert_int_equal(mgr_queue_put(q, mgr_list_of(items, 2), 0), 0);
	assert_int_equal(qsize(q), 4);
	assert_int_equal(mgr_queue_empty(q, &b), 0);
	assert_false(b);

	// FIFO, values as they were put.
	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_int_item(&v, 7);
	assert_int_equal(mgr_queue_get(q, &v, MGR_FOREVER), 0);
	assert_str_item(&v, "seven");
	mgr_value_free(&v);
	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_int_equal(v.kind, MGR_NONE);
	assert_int_equal(mgr_queue_get(q, &v, 1000), 0);
	assert_int_equal(mgr_value_repr(&v, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[1, 'x']");
	mgr_value_free(&v);
	assert_int_equal(qsize(q), 0);
	assert_int_equal(mgr_queue_empty(q, &b), 0);
	assert_true(b);
	assert_int_equal(mgr_obj_release(q), 0);
}

static void
test_bounded_nowait(void **state)
{
	(void) state;
	mgr_obj  *q;
	bool      b;
	mgr_value v = mgr_int(99);

	assert_int_equal(mgr_queue_new(C, 2, &q), 0);
	// Empty, and a get that may not wait: Python's Empty at once.
	assert_int_equal(mgr_queue_get(q, &v, 0), MGR_EEMPTY);
	assert_int_equal(v.kind, MGR_INT); // untouched on error
	assert_non_null(strstr(mgr_errdetail(), "empty"));
	assert_int_equal(mgr_queue_put(q, mgr_int(1), 0), 0);
	assert_int_equal(mgr_queue_full(q, &b), 0);
	assert_false(b);
	assert_int_equal(mgr_queue_put(q, mgr_int(2), 0), 0);
	assert_int_equal(mgr_queue_full(q, &b), 0);
	assert_true(b);
	assert_int_equal(mgr_queue_put(q, mgr_int(3), 0), MGR_EFULL);
	assert_non_null(strstr(mgr_errdetail(), "full"));
	assert_int_equal(qsize(q), 2);
	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_int_item(&v, 1);
	assert_int_equal(mgr_queue_full(q, &b), 0);
	assert_false(b);
	assert_int_equal(mgr_queue_put(q, mgr_int(3), 0), 0);
	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_int_item(&v, 2);
	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_int_item(&v, 3);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* Many items, with the storage growing while it wraps around and
 * shrinking as it empties: still FIFO. */
static void
test_many_items(void **state)
{
	(void) state;
	mgr_obj  *q;
	mgr_value v;
	int64_t   next_put = 0, next_get = 0;

	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 100; i++) {
			assert_int_equal(
			    mgr_queue_put(q, mgr_int(next_put++), 0), 0);
		}
		for (int i = 0; i < 60; i++) {
			assert_int_equal(mgr_queue_get(q, &v, 0), 0);
			assert_int_item(&v, next_get++);
		}
		for (int i = 0; i < 1000; i++) {
			assert_int_equal(
			    mgr_queue_put(q, mgr_int(next_put++), 0), 0);
		}
		assert_int_equal(qsize(q), next_put - next_get);
		while (next_get < next_put) {
			assert_int_equal(mgr_queue_get(q, &v, 0), 0);
			assert_int_item(&v, next_get++);
		}
		assert_int_equal(mgr_queue_get(q, &v, 0), MGR_EEMPTY);
	}
	for (int64_t i = 0; i < next_put; i++) {
		assert_int_equal(mgr_queue_task_done(q), 0);
	}
	assert_int_equal(mgr_queue_join(q, 0), 0);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* ---- timeouts ---------------------------------------------------------- */

static void
test_timeouts(void **state)
{
	(void) state;
	mgr_obj  *q;
	mgr_value v;
	int64_t   base = waiters(), t0;

	assert_int_equal(mgr_queue_new(C, 1, &q), 0);
	t0 = h_now_ms();
	assert_int_equal(mgr_queue_get(q, &v, 100), MGR_EEMPTY);
	assert_timed(h_now_ms() - t0);

	assert_int_equal(mgr_queue_put(q, mgr_str("a"), 0), 0);
	t0 = h_now_ms();
	assert_int_equal(mgr_queue_put(q, mgr_str("b"), 100), MGR_EFULL);
	assert_timed(h_now_ms() - t0);

	t0 = h_now_ms();
	assert_int_equal(mgr_queue_join(q, 100), MGR_ETIMEDOUT);
	assert_timed(h_now_ms() - t0);
	assert_int_equal(mgr_queue_join(q, 0), MGR_ETIMEDOUT);

	// The timed-out put left nothing behind: only "a" is there.
	assert_int_equal(waiters(), base);
	assert_int_equal(qsize(q), 1);
	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_str_item(&v, "a");
	mgr_value_free(&v);
	assert_int_equal(mgr_queue_get(q, &v, 0), MGR_EEMPTY);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* A getter that timed out leaves the FIFO: the next item goes to the one
 * parked after it. */
static void
test_timed_out_getter_leaves(void **state)
{
	(void) state;
	mgr_obj *q;
	job      g1, g2;
	int64_t  base = waiters();

	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	job_start(&g1, do_get, q, 100);
	await_waiters(base + 1);
	job_start(&g2, do_get, q, 10000);
	job_join(&g1, 5000);
	assert_int_equal(g1.rv, MGR_EEMPTY);
	assert_timed(g1.ms);
	await_waiters(base + 1); // g2 (maybe not parked yet before)
	assert_int_equal(mgr_queue_put(q, mgr_str("x"), 0), 0);
	job_join(&g2, 5000);
	assert_int_equal(g2.rv, 0);
	assert_str_item(&g2.out, "x");
	mgr_value_free(&g2.out);
	assert_int_equal(qsize(q), 0);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* ---- task_done / join -------------------------------------------------- */

static void
test_task_done_join(void **state)
{
	(void) state;
	mgr_obj  *q;
	mgr_value v;
	job       j1, j2;
	int64_t   base = waiters();

	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	// Nothing put: join returns at once, task_done is one too many.
	assert_int_equal(mgr_queue_join(q, 0), 0);
	assert_int_equal(mgr_queue_join(q, MGR_FOREVER), 0);
	assert_int_equal(mgr_queue_task_done(q), MGR_ESTATE);
	assert_string_equal(
	    mgr_errdetail(), "task_done() called too many times");

	for (int i = 0; i < 3; i++) {
		assert_int_equal(mgr_queue_put(q, mgr_int(i), 0), 0);
	}
	job_start(&j1, do_join, q, MGR_FOREVER);
	await_waiters(base + 1);
	job_start(&j2, do_join, q, 10000);
	await_waiters(base + 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mgr_queue_get(q, &v, 0), 0);
		assert_int_item(&v, i);
	}
	// Getting is not finishing: both joiners still wait.
	assert_int_equal(mgr_queue_join(q, 0), MGR_ETIMEDOUT);
	assert_int_equal(mgr_queue_task_done(q), 0);
	assert_int_equal(mgr_queue_task_done(q), 0);
	assert_int_equal(waiters(), base + 2);
	assert_int_equal(mgr_queue_task_done(q), 0); // the last one
	job_join(&j1, 5000);
	job_join(&j2, 5000);
	assert_int_equal(j1.rv, 0);
	assert_int_equal(j2.rv, 0);
	assert_int_equal(mgr_queue_join(q, 0), 0);
	assert_int_equal(mgr_queue_task_done(q), MGR_ESTATE);

	// An item handed straight to a parked getter counts as a task too.
	job_start(&j1, do_get, q, 10000);
	await_waiters(base + 1);
	assert_int_equal(mgr_queue_put(q, mgr_int(5), 0), 0);
	job_join(&j1, 5000);
	assert_int_equal(j1.rv, 0);
	assert_int_item(&j1.out, 5);
	assert_int_equal(mgr_queue_join(q, 0), MGR_ETIMEDOUT);
	assert_int_equal(mgr_queue_task_done(q), 0);
	assert_int_equal(mgr_queue_join(q, 0), 0);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* ---- FIFO order -------------------------------------------------------- */

#define NGETTERS 8

/* Getters park in a known order (each started once the previous one is
 * parked); the items put then go to them in that order. */
static void
test_getters_fifo(void **state)
{
	(void) state;
	mgr_obj *q;
	job      g[NGETTERS];
	int64_t  base = waiters();

	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	for (int i = 0; i < NGETTERS; i++) {
		job_start(&g[i], do_get, q, 20000);
		await_waiters(base + i + 1);
	}
	for (int i = 0; i < NGETTERS; i++) {
		// Each put goes straight to a getter: nothing is stored.
		assert_int_equal(mgr_queue_put(q, mgr_int(i), 0), 0);
		assert_int_equal(qsize(q), 0);
	}
	for (int i = 0; i < NGETTERS; i++) {
		job_join(&g[i], 5000);
		assert_int_equal(g[i].rv, 0);
		assert_int_item(&g[i].out, i);
	}
	assert_int_equal(waiters(), base);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* Putters parked on a full queue are admitted one per get, in arrival
 * order, each when there is room. */
static void
test_putters_fifo(void **state)
{
	(void) state;
	mgr_obj  *q;
	mgr_value v;
	job       p1, p2;
	int64_t   base = waiters();

	assert_int_equal(mgr_queue_new(C, 1, &q), 0);
	assert_int_equal(mgr_queue_put(q, mgr_str("a"), 0), 0);
	p1.in = mgr_str("b");
	job_start(&p1, do_put, q, 20000);
	await_waiters(base + 1);
	p2.in = mgr_str("c");
	job_start(&p2, do_put, q, 20000);
	await_waiters(base + 2);
	// A put that may not wait does not overtake them.
	assert_int_equal(mgr_queue_put(q, mgr_str("z"), 0), MGR_EFULL);
	assert_int_equal(qsize(q), 1);

	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_str_item(&v, "a");
	mgr_value_free(&v);
	job_join(&p1, 5000); // admitted by that get
	assert_int_equal(p1.rv, 0);
	assert_int_equal(waiters(), base + 1);
	assert_int_equal(qsize(q), 1);

	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_str_item(&v, "b");
	mgr_value_free(&v);
	job_join(&p2, 5000);
	assert_int_equal(p2.rv, 0);
	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_str_item(&v, "c");
	mgr_value_free(&v);
	assert_int_equal(mgr_queue_get(q, &v, 0), MGR_EEMPTY);

	// Three tasks went in (a, b, c): three task_done finish them.
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mgr_queue_join(q, 0), MGR_ETIMEDOUT);
		assert_int_equal(mgr_queue_task_done(q), 0);
	}
	assert_int_equal(mgr_queue_join(q, 0), 0);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* ---- one client, several threads --------------------------------------- */

typedef struct worker {
	mgr_obj *d;
	mgr_obj *q2;
	int      rv;
} worker;

/* Works on other objects through the client a blocked getter uses. */
static void *
worker_main(void *arg)
{
	worker   *w = arg;
	mgr_value v;
	for (int i = 0; i < 200 && w->rv == 0; i++) {
		if ((w->rv = mgr_dict_set(w->d, mgr_int(i), mgr_int(i * i)))
		    || (w->rv = mgr_queue_put(w->q2, mgr_int(i), 0))
		    || (w->rv = mgr_queue_get(w->q2, &v, 0))) {
			break;
		}
		if (v.kind != MGR_INT || v.i != i) {
			w->rv = MGR_EPROTO;
		}
	}
	return NULL;
}

static void
test_shared_client(void **state)
{
	(void) state;
	mgr_obj  *q, *q2, *d;
	job       g;
	size_t    n;
	int64_t   base = waiters();
	worker    w    = { 0 };
	pthread_t th;

	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	assert_int_equal(mgr_queue_new(C, 0, &q2), 0);
	assert_int_equal(mgr_dict_new(C, &d), 0);
	job_start(&g, do_get, q, MGR_FOREVER);
	await_waiters(base + 1);

	// The getter blocks on the manager; the client serves the others.
	w.d  = d;
	w.q2 = q2;
	assert_int_equal(pthread_create(&th, NULL, worker_main, &w), 0);
	job other = { .th = th };
	job_join(&other, 10000);
	assert_int_equal(w.rv, 0);
	assert_int_equal(mgr_dict_len(d, &n), 0);
	assert_int_equal(n, 200);
	assert_int_equal(waiters(), base + 1); // still blocked

	assert_int_equal(mgr_queue_put(q, mgr_str("done"), 0), 0);
	job_join(&g, 5000);
	assert_int_equal(g.rv, 0);
	assert_str_item(&g.out, "done");
	mgr_value_free(&g.out);
	mgr_obj_release(d);
	mgr_obj_release(q2);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* ---- 1,000 parked getters from four processes -------------------------- */

#define NPROC    4
#define NTHREADS 250
#define NITEMS   (NPROC * NTHREADS)

static void
test_thousand_waiters(void **state)
{
	(void) state;
	mgr_obj *q;
	h_child  ch[NPROC];
	char     tok[64], line[64];
	int64_t  base = waiters(), last;
	bool    *seen = calloc(NITEMS, sizeof(bool));
	assert_non_null(seen);

	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	assert_int_equal(mgr_obj_token(q, tok, sizeof(tok)), 0);
	for (int i = 0; i < NPROC; i++) {
		char *argv[] = { "child_queue", "get-many", tok, "250",
			"30000", NULL };
		spawn_child_argv(&ch[i], argv);
	}
	// All 1,000 are parked at once before the first item goes in.
	if (h_info_await(C, "waiters", NULL, base + NITEMS, 30000, &last)
	    != 0) {
		fail_msg("only %lld of %d getters parked",
		    (long long) (last - base), NITEMS);
	}
	for (int i = 0; i < NITEMS; i++) {
		assert_int_equal(mgr_queue_put(q, mgr_int(i), 0), 0);
	}
	int got = 0;
	for (int i = 0; i < NPROC; i++) {
		for (;;) {
			assert_int_equal(h_child_read_line(&ch[i], line,
			                     sizeof(line), AWAIT_MS),
			    0);
			if (strncmp(line, "done ", 5) == 0) {
				assert_string_equal(line, "done 0");
				break;
			}
			long v = strtol(line, NULL, 10);
			assert_true(v >= 0 && v < NITEMS);
			assert_false(seen[v]); // each item once
			seen[v] = true;
			got++;
		}
		assert_int_equal(h_child_wait(&ch[i], AWAIT_MS), 0);
	}
	assert_int_equal(got, NITEMS);
	assert_int_equal(qsize(q), 0);
	await_waiters(base);
	free(seen);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* ---- clients killed while blocked -------------------------------------- */

/* A getter killed while parked is cancelled: the next item goes to the
 * live getter parked behind it, never to the dead one. */
static void
test_killed_getter(void **state)
{
	(void) state;
	mgr_obj  *q;
	mgr_value v;
	h_child   ch;
	job       g;
	char      tok[64];
	int64_t   base = waiters();

	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	assert_int_equal(mgr_obj_token(q, tok, sizeof(tok)), 0);
	char *argv[] = { "child_queue", "get", tok, NULL };
	spawn_child_argv(&ch, argv);
	expect_line(&ch, "parking");
	await_waiters(base + 1); // the child is first in the FIFO
	job_start(&g, do_get, q, 20000);
	await_waiters(base + 2);

	assert_int_equal(h_child_signal(&ch, SIGKILL), 0);
	assert_int_equal(h_child_wait(&ch, AWAIT_MS), 128 + SIGKILL);
	await_waiters(base + 1); // its session ended, its get cancelled
	assert_int_equal(mgr_queue_put(q, mgr_str("x"), 0), 0);
	job_join(&g, 5000);
	assert_int_equal(g.rv, 0);
	assert_str_item(&g.out, "x");
	mgr_value_free(&g.out);
	assert_int_equal(qsize(q), 0);

	// With nobody left waiting, an item stays in the queue.
	spawn_child_argv(&ch, argv);
	expect_line(&ch, "parking");
	await_waiters(base + 1);
	assert_int_equal(h_child_signal(&ch, SIGKILL), 0);
	assert_int_equal(h_child_wait(&ch, AWAIT_MS), 128 + SIGKILL);
	await_waiters(base);
	assert_int_equal(mgr_queue_put(q, mgr_str("y"), 0), 0);
	assert_int_equal(qsize(q), 1);
	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_str_item(&v, "y");
	mgr_value_free(&v);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* Nothing is handed to a client that is gone. A getter parks forever, its
 * client dies (its socket closed: what the kernel does to a killed
 * process), and a put follows at once, served maybe before the dead
 * connection's loop has seen the hang-up: the item must stay in the queue
 * (it used to go into a reply to the closed socket). Raw connections
 * make 1,000 rounds cheap; two I/O threads put the getter and the putter
 * on different loops every other round. */
#define DEAD_ROUNDS 1000

static void
test_dead_getter_gets_nothing(void **state)
{
	(void) state;
	if (!h_wire_plain(&M)) {
		skip(); // raw frames need a plain socket (the kill test
		        // below covers this transport)
	}
	mgr_obj *q;
	int64_t  base = waiters();
	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	for (int i = 0; i < DEAD_ROUNDS; i++) {
		int          fd = h_wire_session(&M, NULL);
		Mgr__Request rq = MGR__REQUEST__INIT;
		rq.id           = 1;
		rq.op           = MGR__OP__OP_QUEUE_GET;
		rq.target       = mgr_obj_id(q);
		rq.secret       = q->secret;
		rq.timeout_ms   = -1;
		assert_int_equal(h_wire_send(fd, &rq.base), 0);
		await_waiters(base + 1);
		close(fd);
		assert_int_equal(mgr_queue_put(q, mgr_int(i), 0), 0);
		mgr_value v;
		if (mgr_queue_get(q, &v, 0) != 0) {
			fail_msg(
			    "round %d: the item went to the dead getter", i);
		}
		assert_int_equal(v.i, i);
		await_waiters(base);
	}
	assert_int_equal(mgr_obj_release(q), 0);
}

/* The same with real processes: a child parks a get, is SIGKILLed and
 * reaped, and the put that follows at once must not go to it. */
#define KILLED_ROUNDS 50

static void
test_killed_getter_rounds(void **state)
{
	(void) state;
	mgr_obj *q;
	char     tok[64];
	int64_t  base = waiters();
	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	assert_int_equal(mgr_obj_token(q, tok, sizeof(tok)), 0);
	char *argv[] = { "child_queue", "get", tok, NULL };
	for (int i = 0; i < KILLED_ROUNDS; i++) {
		h_child ch;
		spawn_child_argv(&ch, argv);
		expect_line(&ch, "parking");
		await_waiters(base + 1);
		assert_int_equal(h_child_signal(&ch, SIGKILL), 0);
		assert_int_equal(h_child_wait(&ch, AWAIT_MS), 128 + SIGKILL);
		assert_int_equal(mgr_queue_put(q, mgr_int(i), 0), 0);
		mgr_value v;
		if (mgr_queue_get(q, &v, 0) != 0) {
			fail_msg(
			    "round %d: the item went to the killed getter",
			    i);
		}
		assert_int_equal(v.i, i);
		await_waiters(base);
	}
	assert_int_equal(mgr_obj_release(q), 0);
}

/* A putter killed while parked on a full queue is cancelled and its item
 * goes nowhere (not put, not counted as a task). */
static void
test_killed_putter(void **state)
{
	(void) state;
	mgr_obj  *q;
	mgr_value v;
	h_child   ch;
	char      tok[64];
	int64_t   base = waiters();

	assert_int_equal(mgr_queue_new(C, 1, &q), 0);
	assert_int_equal(mgr_queue_put(q, mgr_str("a"), 0), 0);
	assert_int_equal(mgr_obj_token(q, tok, sizeof(tok)), 0);
	char *argv[] = { "child_queue", "put", tok, "b", NULL };
	spawn_child_argv(&ch, argv);
	expect_line(&ch, "parking");
	await_waiters(base + 1);
	assert_int_equal(h_child_signal(&ch, SIGKILL), 0);
	assert_int_equal(h_child_wait(&ch, AWAIT_MS), 128 + SIGKILL);
	await_waiters(base);

	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_str_item(&v, "a");
	mgr_value_free(&v);
	assert_int_equal(mgr_queue_get(q, &v, 0), MGR_EEMPTY);
	assert_int_equal(mgr_queue_task_done(q), 0); // "a"
	assert_int_equal(mgr_queue_join(q, 0), 0);   // nothing of "b"
	assert_int_equal(mgr_obj_release(q), 0);
}

/* ---- references and lifetime ------------------------------------------- */

/* An item holding a reference keeps its object alive while it is queued. */
static void
test_ref_items(void **state)
{
	(void) state;
	mgr_obj  *q, *d;
	mgr_value v, got;
	int64_t   ndicts, before;

	assert_int_equal(h_info_objects(C, "dict", &before), 0);
	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	assert_int_equal(mgr_dict_new(C, &d), 0);
	assert_int_equal(mgr_dict_set(d, mgr_str("k"), mgr_int(1)), 0);
	assert_int_equal(mgr_queue_put(q, mgr_ref(d), 0), 0);
	assert_int_equal(mgr_obj_release(d), 0);
	assert_int_equal(h_info_objects(C, "dict", &ndicts), 0);
	assert_int_equal(ndicts, before + 1);

	assert_int_equal(mgr_queue_get(q, &v, 0), 0);
	assert_int_equal(v.kind, MGR_REF);
	assert_string_equal(mgr_obj_type(mgr_value_ref(&v)), "dict");
	assert_int_equal(
	    mgr_dict_get(mgr_value_ref(&v), mgr_str("k"), &got), 0);
	assert_int_item(&got, 1);
	mgr_value_free(&v); // the last reference
	assert_int_equal(h_info_objects(C, "dict", &ndicts), 0);
	assert_int_equal(ndicts, before);

	// Handed straight to a parked getter, a reference arrives as well.
	int64_t base = waiters();
	job     g;
	job_start(&g, do_get, q, 20000);
	await_waiters(base + 1);
	assert_int_equal(mgr_dict_new(C, &d), 0);
	assert_int_equal(mgr_dict_set(d, mgr_str("k"), mgr_int(2)), 0);
	assert_int_equal(mgr_queue_put(q, mgr_ref(d), 0), 0);
	assert_int_equal(mgr_obj_release(d), 0);
	job_join(&g, 5000);
	assert_int_equal(g.rv, 0);
	assert_int_equal(g.out.kind, MGR_REF);
	assert_int_equal(
	    mgr_dict_get(mgr_value_ref(&g.out), mgr_str("k"), &got), 0);
	assert_int_item(&got, 2);
	mgr_value_free(&g.out);
	assert_int_equal(h_info_objects(C, "dict", &ndicts), 0);
	assert_int_equal(ndicts, before);

	// A queue released with items frees them (and what they refer to).
	assert_int_equal(mgr_dict_new(C, &d), 0);
	assert_int_equal(mgr_queue_put(q, mgr_ref(d), 0), 0);
	assert_int_equal(mgr_obj_release(d), 0);
	assert_int_equal(mgr_obj_release(q), 0);
	assert_int_equal(h_info_objects(C, "dict", &ndicts), 0);
	assert_int_equal(ndicts, before);
}

/* A queue destroyed while requests wait on it answers them MGR_ENOOBJ. */
static void
test_destroyed_with_waiters(void **state)
{
	(void) state;
	mgr_obj *q, *q2;
	job      g, p, jn;
	char     tok[64];
	int64_t  base = waiters();

	assert_int_equal(mgr_queue_new(C, 1, &q), 0);
	assert_int_equal(mgr_obj_token(q, tok, sizeof(tok)), 0);
	assert_int_equal(mgr_attach(C, tok, &q2), 0); // a second reference
	job_start(&g, do_get, q2, 20000);
	await_waiters(base + 1);
	assert_int_equal(mgr_queue_put(q, mgr_int(1), 0), 0); // to g
	job_join(&g, 5000);
	assert_int_equal(mgr_queue_put(q, mgr_int(2), 0), 0); // stored: full
	p.in = mgr_int(3);
	job_start(&p, do_put, q2, 20000);
	await_waiters(base + 1);
	job_start(&jn, do_join, q2, 20000);
	await_waiters(base + 2);

	// Both references go while q2 is in use by the blocked threads.
	assert_int_equal(raw_release(q), 0);
	assert_int_equal(raw_release(q), 0);
	job_join(&p, 5000);
	job_join(&jn, 5000);
	assert_int_equal(p.rv, MGR_ENOOBJ);
	assert_int_equal(jn.rv, MGR_ENOOBJ);
	assert_int_equal(waiters(), base);
	assert_int_equal(mgr_queue_qsize(q, &(size_t) { 0 }), MGR_ENOOBJ);
	// The proxies' references are gone already.
	assert_int_equal(mgr_obj_release(q), MGR_ENOOBJ);
	assert_int_equal(mgr_obj_release(q2), MGR_ENOOBJ);
}

/* ---- bad arguments ----------------------------------------------------- */

static int
raw_create(const mgr_value *args, size_t nargs)
{
	mgr_value res  = mgr_none();
	call_req  call = { .op = MGR__OP__OP_CREATE,
		 .type         = MGR__OBJ_TYPE__OBJ_QUEUE,
		 .args         = args,
		 .nargs        = nargs };
	int       rv   = client_call(C, &call, &res);
	mgr_value_free(&res);
	return rv;
}

static void
test_bad_args(void **state)
{
	(void) state;
	mgr_obj  *q, *e, *q3;
	mgr_value v;
	bool      b;
	size_t    n;

	assert_int_equal(mgr_queue_new(C, 0, &q), 0);
	assert_int_equal(mgr_event_new(C, &e), 0);
	assert_int_equal(mgr_queue_new(NULL, 0, &q3), MGR_EINVAL);
	assert_int_equal(mgr_queue_new(C, 0, NULL), MGR_EINVAL);
	assert_int_equal(
	    mgr_queue_new(C, (size_t) INT64_MAX + 1, &q3), MGR_EINVAL);
	assert_int_equal(mgr_queue_get(q, NULL, 0), MGR_EINVAL);
	assert_int_equal(mgr_queue_get(q, &v, -2), MGR_EINVAL);
	assert_int_equal(mgr_queue_put(q, mgr_int(1), -2), MGR_EINVAL);
	assert_int_equal(mgr_queue_join(q, -5), MGR_EINVAL);
	assert_int_equal(mgr_queue_put(NULL, mgr_int(1), 0), MGR_EINVAL);
	assert_int_equal(mgr_queue_qsize(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_queue_empty(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_queue_full(q, NULL), MGR_EINVAL);
	// Another type's proxy.
	assert_int_equal(mgr_queue_put(e, mgr_int(1), 0), MGR_ETYPE);
	assert_int_equal(mgr_queue_get(e, &v, 0), MGR_ETYPE);
	assert_int_equal(mgr_queue_qsize(e, &n), MGR_ETYPE);
	assert_int_equal(mgr_queue_empty(e, &b), MGR_ETYPE);
	assert_int_equal(mgr_queue_full(e, &b), MGR_ETYPE);
	assert_int_equal(mgr_queue_task_done(e), MGR_ETYPE);
	assert_int_equal(mgr_queue_join(e, 0), MGR_ETYPE);
	assert_int_equal(qsize(q), 0); // nothing reached the queue

	// What only a raw request can say: the manager checks it too.
	mgr_value s = mgr_str("3"), two[2] = { mgr_int(1), mgr_int(2) };
	mgr_value three[3] = { mgr_int(1), mgr_bool(true), mgr_int(9) };
	mgr_value four[4]
	    = { mgr_int(1), mgr_bool(true), mgr_int(0), mgr_int(0) };
	assert_int_equal(raw_create(&s, 1), MGR_ETYPE);
	assert_int_equal(raw_create(two, 2), MGR_ETYPE);    // ack is a bool
	assert_int_equal(raw_create(three, 3), MGR_EINVAL); // no order 9
	assert_int_equal(raw_create(four, 4), MGR_EINVAL);
	call_req call = { .op = MGR__OP__OP_QUEUE_GET,
		.target       = mgr_obj_id(q),
		.secret       = q->secret,
		.timeout      = -5 };
	assert_int_equal(client_call(C, &call, NULL), MGR_EINVAL);
	call.op    = MGR__OP__OP_QUEUE_PUT;
	call.args  = two;
	call.nargs = 1;
	assert_int_equal(client_call(C, &call, NULL), MGR_EINVAL);
	call.nargs   = 2; // put takes one item
	call.timeout = 0;
	assert_int_equal(client_call(C, &call, NULL), MGR_EINVAL);
	assert_int_equal(qsize(q), 0);

	// No argument, or a negative maxsize: unbounded, as Python's.
	mgr_value neg = mgr_int(-1);
	for (int k = 0; k < 2; k++) {
		mgr_value res;
		call_req  cr = { .op = MGR__OP__OP_CREATE,
			 .type       = MGR__OBJ_TYPE__OBJ_QUEUE,
			 .args       = k ? &neg : NULL,
			 .nargs      = (size_t) k };
		assert_int_equal(client_call(C, &cr, &res), 0);
		mgr_obj *u = mgr_value_ref(&res);
		assert_non_null(u);
		for (int i = 0; i < 100; i++) {
			assert_int_equal(mgr_queue_put(u, mgr_int(i), 0), 0);
		}
		assert_int_equal(mgr_queue_full(u, &b), 0);
		assert_false(b);
		mgr_value_free(&res);
	}
	mgr_obj_release(e);
	assert_int_equal(mgr_obj_release(q), 0);
}

/* ---- orders: LifoQueue and PriorityQueue ---------------------------------
 */

/* Gets every item of q (no wait) as a repr, space-separated. */
static void
drain_repr(mgr_obj *q, char *out, size_t cap)
{
	size_t    len = 0;
	mgr_value v;
	out[0] = '\0';
	while (mgr_queue_get(q, &v, 0) == 0) {
		char one[64];
		assert_int_equal(mgr_value_repr(&v, one, sizeof(one)), 0);
		len += (size_t) snprintf(
		    out + len, cap - len, "%s%s", len > 0 ? " " : "", one);
		mgr_value_free(&v);
	}
}

static void
test_orders(void **state)
{
	(void) state;
	mgr_obj *q;
	char     got[256];
	// LIFO: the newest first.
	mgr_queue_opts lifo = { .order = MGR_QUEUE_LIFO };
	assert_int_equal(mgr_queue_new_opts(C, &lifo, &q), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(mgr_queue_put(q, mgr_int(i), 0), 0);
	}
	drain_repr(q, got, sizeof(got));
	assert_string_equal(got, "3 2 1 0");
	assert_int_equal(mgr_obj_release(q), 0);

	// Priority: the smallest first, in Python's ordering; (priority,
	// data) tuples as PriorityQueue's users put them.
	mgr_queue_opts prio = { .order = MGR_QUEUE_PRIORITY };
	assert_int_equal(mgr_queue_new_opts(C, &prio, &q), 0);
	const int ps[] = { 5, 1, 4, 1, 3, 9, 2, 6 };
	for (size_t i = 0; i < 8; i++) {
		mgr_value t[2] = { mgr_int(ps[i]), mgr_int((int64_t) i) };
		assert_int_equal(mgr_queue_put(q, mgr_tuple_of(t, 2), 0), 0);
	}
	// Unorderable against the queue's tuples: refused, nothing kept.
	assert_int_equal(mgr_queue_put(q, mgr_str("x"), 0), MGR_ETYPE);
	assert_int_equal(qsize(q), 8);
	drain_repr(q, got, sizeof(got));
	assert_string_equal(
	    got, "(1, 1) (1, 3) (2, 6) (3, 4) (4, 2) (5, 0) (6, 7) (9, 5)");
	// Mixed numbers order as Python's (1 < 1.5 < 2).
	assert_int_equal(mgr_queue_put(q, mgr_int(2), 0), 0);
	assert_int_equal(mgr_queue_put(q, mgr_float(1.5), 0), 0);
	assert_int_equal(mgr_queue_put(q, mgr_int(1), 0), 0);
	drain_repr(q, got, sizeof(got));
	assert_string_equal(got, "1 1.5 2");
	assert_int_equal(mgr_obj_release(q), 0);

	// Acknowledged LIFO: a dead taker's item is the next one got again.
	mgr_queue_opts lack = { .order = MGR_QUEUE_LIFO, .ack = true };
	mgr_client    *other;
	mgr_obj       *oq;
	char           tok[128];
	mgr_value      v;
	assert_int_equal(mgr_queue_new_opts(C, &lack, &q), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mgr_queue_put(q, mgr_int(i), 0), 0);
	}
	assert_int_equal(h_connect(&M, &other), 0);
	assert_int_equal(mgr_obj_token(q, tok, sizeof(tok)), 0);
	assert_int_equal(mgr_attach(other, tok, &oq), 0);
	assert_int_equal(mgr_queue_get(oq, &v, 0), 0);
	assert_int_item(&v, 2);
	mgr_obj_release(oq);
	mgr_disconnect(other); // without task_done: 2 goes back on top
	drain_repr(q, got, sizeof(got));
	assert_string_equal(got, "2 1 0");
	assert_int_equal(mgr_obj_release(q), 0);

	// An unknown order.
	mgr_queue_opts bad = { .order = 7 };
	assert_int_equal(mgr_queue_new_opts(C, &bad, &q), MGR_EINVAL);
}

/* ---- setup ------------------------------------------------------------- */

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_bounded_nowait),
		cmocka_unit_test(test_many_items),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_timed_out_getter_leaves),
		cmocka_unit_test(test_task_done_join),
		cmocka_unit_test(test_getters_fifo),
		cmocka_unit_test(test_putters_fifo),
		cmocka_unit_test(test_shared_client),
		cmocka_unit_test(test_thousand_waiters),
		cmocka_unit_test(test_killed_getter),
		cmocka_unit_test(test_dead_getter_gets_nothing),
		cmocka_unit_test(test_killed_getter_rounds),
		cmocka_unit_test(test_killed_putter),
		cmocka_unit_test(test_ref_items),
		cmocka_unit_test(test_destroyed_with_waiters),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_orders),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
