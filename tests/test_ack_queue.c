/* Acknowledged queues (mgr_queue_new_opts with ack) against a real
 * managerd: an item a session got stays in progress until that session's
 * task_done; when the session ends first (disconnects, or its process
 * dies: its socket closes), its items in progress go back to the front of
 * the queue in their order, to the next getter, parked or not. Without ack
 * a queue keeps Python's at-most-once delivery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "harness_wire.h"
#include "internal.h"
#include "sync_fixture.h"

/* A raw session of its own gets n items of q (never marks them done):
 * its socket, to close as a dying consumer's is. */
static int
raw_consumer_gets(mgr_obj *q, int n, int64_t *got)
{
	int fd = h_wire_session(&M, NULL);
	for (int i = 0; i < n; i++) {
		Mgr__Request rq = MGR__REQUEST__INIT;
		rq.id           = (uint64_t) i + 1;
		rq.op           = MGR__OP__OP_QUEUE_GET;
		rq.target       = q->id;
		rq.secret       = q->secret;
		rq.timeout_ms   = 0;
		Mgr__Reply *rp  = h_wire_call(fd, &rq);
		assert_int_equal(rp->status, 0);
		assert_non_null(rp->result);
		got[i] = rp->result->i;
		mgr__reply__free_unpacked(rp, NULL);
	}
	return fd;
}

static size_t
qsize(mgr_obj *q)
{
	size_t n;
	OK(mgr_queue_qsize(q, &n));
	return n;
}

static int64_t
get_int(mgr_obj *q)
{
	mgr_value v;
	OK(mgr_queue_get(q, &v, 0));
	assert_int_equal(v.kind, MGR_INT);
	return v.i;
}

static void
test_items_come_back_in_order(void **state)
{
	(void) state;
	mgr_obj       *q;
	mgr_queue_opts o = { .ack = true };
	OK(mgr_queue_new_opts(C, &o, &q));
	for (int i = 1; i <= 4; i++) {
		OK(mgr_queue_put(q, mgr_int(i), 0));
	}
	int64_t got[2];
	int     fd = raw_consumer_gets(q, 2, got);
	assert_true(got[0] == 1 && got[1] == 2);
	assert_int_equal(qsize(q), 2);
	close(fd); // the consumer dies with 1 and 2 in progress
	int64_t last;
	assert_int_equal(
	    h_info_await(C, "sessions", NULL, 1, AWAIT_MS, &last), 0);
	assert_int_equal(qsize(q), 4);
	for (int i = 1; i <= 4; i++) {
		assert_int_equal(get_int(q), i); // 1 and 2 first, in order
	}
	for (int i = 0; i < 4; i++) {
		OK(mgr_queue_task_done(q));
	}
	ERR(MGR_ESTATE, mgr_queue_task_done(q));
	OK(mgr_queue_join(q, 0));
	OK(mgr_obj_release(q));
}

/* task_done completes the session's oldest item: what it did not finish
 * comes back, what it finished does not. */
static void
test_done_items_stay_done(void **state)
{
	(void) state;
	mgr_obj       *q;
	mgr_queue_opts o = { .ack = true };
	OK(mgr_queue_new_opts(C, &o, &q));
	mgr_client *c2;
	OK(h_connect(&M, &c2));
	char tok[80];
	OK(mgr_obj_token(q, tok, sizeof(tok)));
	mgr_obj *q2;
	OK(mgr_attach(c2, tok, &q2));
	for (int i = 1; i <= 3; i++) {
		OK(mgr_queue_put(q, mgr_int(i), 0));
	}
	assert_int_equal(get_int(q2), 1);
	assert_int_equal(get_int(q2), 2);
	OK(mgr_queue_task_done(q2));             // 1 is done
	ERR(MGR_ESTATE, mgr_queue_task_done(q)); // C took nothing
	mgr_disconnect(c2); // 2 comes back; the proxy q2 goes with c2
	mgr_obj_release(q2);
	assert_int_equal(qsize(q), 2);
	assert_int_equal(get_int(q), 2);
	assert_int_equal(get_int(q), 3);
	OK(mgr_queue_task_done(q));
	OK(mgr_queue_task_done(q));
	OK(mgr_queue_join(q, 0));
	OK(mgr_obj_release(q));
}

static int
do_get(job *j)
{
	return mgr_queue_get(j->o, &j->out, j->timeout);
}

/* A parked getter gets what a dead consumer gave back, and join waits for
 * items in progress. */
static void
test_parked_getter_gets_it(void **state)
{
	(void) state;
	mgr_obj       *q;
	mgr_queue_opts o = { .ack = true, .maxsize = 10 };
	OK(mgr_queue_new_opts(C, &o, &q));
	OK(mgr_queue_put(q, mgr_str("job"), 0));
	int64_t got[1];
	int     fd = raw_consumer_gets(q, 1, got);
	ERR(MGR_ETIMEDOUT, mgr_queue_join(q, 100)); // in progress
	int64_t base = waiters();
	job     g;
	job_start(&g, do_get, q, 20000);
	await_waiters(base + 1);
	close(fd); // gone: "job" goes to the parked getter
	job_join(&g, AWAIT_MS);
	OK(g.rv);
	assert_int_equal(g.out.kind, MGR_STR);
	assert_string_equal(g.out.s, "job");
	mgr_value_free(&g.out);
	OK(mgr_queue_task_done(q));
	OK(mgr_queue_join(q, 0));
	OK(mgr_obj_release(q));
}

/* Without ack, as Python's: what a dead consumer got is gone. */
static void
test_plain_queue_at_most_once(void **state)
{
	(void) state;
	mgr_obj *q;
	OK(mgr_queue_new_opts(C, NULL, &q));
	OK(mgr_queue_put(q, mgr_int(7), 0));
	int64_t got[1];
	int     fd = raw_consumer_gets(q, 1, got);
	close(fd);
	int64_t last;
	assert_int_equal(
	    h_info_await(C, "sessions", NULL, 1, AWAIT_MS, &last), 0);
	assert_int_equal(qsize(q), 0);
	OK(mgr_obj_release(q));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items_come_back_in_order),
		cmocka_unit_test(test_done_items_stay_done),
		cmocka_unit_test(test_parked_getter_gets_it),
		cmocka_unit_test(test_plain_queue_at_most_once),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
