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
do_put(job *j)
{
	return mgr_queue_put(j->o, j->in, j->timeout);
}

static int
do_get(job *j)
{
	return mgr_queue_get(j->o, &j->out, j->timeout);
}

/* Items in progress count against maxsize: a consumer that takes and
 * dies can't let producers fill the queue again (it would hold more than
 * maxsize once they came back); a putter waits until one is done. */
static void
test_in_progress_counts_against_maxsize(void **state)
{
	(void) state;
	mgr_obj       *q;
	mgr_queue_opts o = { .ack = true, .maxsize = 3 };
	OK(mgr_queue_new_opts(C, &o, &q));
	for (int i = 0; i < 3; i++) {
		OK(mgr_queue_put(q, mgr_int(i), 0));
	}
	int64_t got[2];
	int     fd = raw_consumer_gets(q, 2, got);
	assert_int_equal(qsize(q), 1);
	ERR(MGR_EFULL, mgr_queue_put(q, mgr_int(3), 0));
	bool full = false;
	OK(mgr_queue_full(q, &full));
	assert_true(full);
	close(fd); // its two come back: 3 held, never more
	int64_t until = h_now_ms() + AWAIT_MS;
	while (qsize(q) != 3 && h_now_ms() < until) {
		h_nap(5);
	}
	assert_int_equal(qsize(q), 3);
	ERR(MGR_EFULL, mgr_queue_put(q, mgr_int(3), 0));
	// A parked putter comes in once an item is done, not when taken.
	int64_t base = waiters();
	job     p;
	p.in = mgr_int(3);
	job_start(&p, do_put, q, 20000);
	await_waiters(base + 1);
	assert_int_equal(get_int(q), 0);
	assert_int_equal(waiters(), base + 1); // taken, not done: still full
	OK(mgr_queue_task_done(q));
	job_join(&p, AWAIT_MS);
	OK(p.rv);
	assert_int_equal(qsize(q), 3);
	OK(mgr_obj_release(q));
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

static int
do_get_counted(job *j)
{
	uint64_t n  = 0;
	int      rv = mgr_queue_get_counted(j->o, &j->out, &n, j->timeout);
	j->index    = (size_t) n;
	return rv;
}

/* An item comes back with one more delivery each time its taker dies
 * (RabbitMQ's x-delivery-count): a consumer can set aside one that keeps
 * killing its consumers. Immediate and parked counted gets say the same;
 * a plain get on the same queue still gets the bare item. */
static void
test_delivery_counts(void **state)
{
	(void) state;
	mgr_obj       *q;
	mgr_queue_opts o = { .ack = true, .order = MGR_QUEUE_PRIORITY };
	OK(mgr_queue_new_opts(C, &o, &q));
	OK(mgr_queue_put(q, mgr_int(5), 0));
	OK(mgr_queue_put(q, mgr_int(9), 0));
	int64_t got[2], last;
	for (int round = 0; round < 3; round++) {
		// A consumer takes 5 (and 9) and dies, three times.
		int fd = raw_consumer_gets(q, round == 0 ? 2 : 1, got);
		assert_int_equal(got[0], 5);
		close(fd);
		assert_int_equal(
		    h_info_await(C, "sessions", NULL, 1, AWAIT_MS, &last), 0);
	}
	mgr_value v;
	uint64_t  n = 99;
	OK(mgr_queue_get_counted(q, &v, &n, 0));
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, 5);
	assert_int_equal(n, 3); // handed out three times before
	OK(mgr_queue_get_counted(q, &v, &n, 0));
	assert_int_equal(v.i, 9);
	assert_int_equal(n, 1);
	OK(mgr_queue_task_done(q));
	OK(mgr_queue_task_done(q));
	ERR(MGR_EEMPTY, mgr_queue_get_counted(q, &v, &n, 0));

	// A parked counted getter: a new item (0), then one given back (1).
	int64_t base = waiters();
	job     g;
	job_start(&g, do_get_counted, q, 20000);
	await_waiters(base + 1);
	OK(mgr_queue_put(q, mgr_str("new"), 0));
	job_join(&g, AWAIT_MS);
	OK(g.rv);
	assert_string_equal(g.out.s, "new");
	assert_int_equal(g.index, 0);
	mgr_value_free(&g.out);
	OK(mgr_queue_task_done(q));
	OK(mgr_queue_put(q, mgr_int(1), 0));
	int fd = raw_consumer_gets(q, 1, got);
	job_start(&g, do_get_counted, q, 20000);
	await_waiters(base + 1);
	close(fd);
	job_join(&g, AWAIT_MS);
	OK(g.rv);
	assert_int_equal(g.out.i, 1);
	assert_int_equal(g.index, 1);
	OK(mgr_queue_task_done(q));
	OK(mgr_queue_join(q, 0));
	OK(mgr_obj_release(q));
}

/* remove decides against gets: a waiting item goes (its task counts as
 * done, a parked putter comes in), one in progress stays in progress. */
static void
test_remove(void **state)
{
	(void) state;
	const int orders[]
	    = { MGR_QUEUE_FIFO, MGR_QUEUE_LIFO, MGR_QUEUE_PRIORITY };
	for (size_t k = 0; k < 3; k++) {
		mgr_obj       *q;
		mgr_queue_opts o
		    = { .ack = true, .maxsize = 6, .order = orders[k] };
		OK(mgr_queue_new_opts(C, &o, &q));
		const int in[] = { 4, 1, 5, 9, 2, 6 };
		for (int i = 0; i < 6; i++) {
			OK(mgr_queue_put(q, mgr_int(in[i]), 0));
		}
		int64_t got[1];
		int     fd = raw_consumer_gets(q, 1, got); // in progress
		bool    b  = true;
		OK(mgr_queue_contains(q, mgr_int(got[0]), &b));
		assert_false(b);
		OK(mgr_queue_remove(q, mgr_int(got[0]), &b));
		assert_false(b); // taken: not waiting
		OK(mgr_queue_contains(q, mgr_int(9), &b));
		assert_true(b);
		OK(mgr_queue_remove(q, mgr_int(9), &b));
		assert_true(b);
		OK(mgr_queue_contains(q, mgr_int(9), &b));
		assert_false(b);
		OK(mgr_queue_remove(q, mgr_str("9"), &b));
		assert_false(b); // Python's ==: "9" is not 9
		assert_int_equal(qsize(q), 4);
		// Full again (the item in progress counts): a parked putter
		// comes in when one is removed.
		OK(mgr_queue_put(q, mgr_int(7), 0));
		ERR(MGR_EFULL, mgr_queue_put(q, mgr_int(8), 0));
		int64_t base = waiters();
		job     p;
		p.in = mgr_int(3);
		job_start(&p, do_put, q, 20000);
		await_waiters(base + 1);
		const int drop[] = { 1, 2, 4 }; // waiting, mid-queue
		OK(mgr_queue_remove(q, mgr_int(drop[k]), &b));
		assert_true(b);
		job_join(&p, AWAIT_MS);
		OK(p.rv);
		close(fd); // its item comes back
		int64_t last;
		assert_int_equal(
		    h_info_await(C, "sessions", NULL, 1, AWAIT_MS, &last), 0);
		// The rest in the queue's order; join counts the removed
		// ones as done.
		char   want[64], have[64] = "";
		size_t len = 0;
		snprintf(want, sizeof(want), "%s",
		    k == 0       ? "4 5 2 6 7 3"
		        : k == 1 ? "6 3 7 5 1 4"
		                 : "1 2 3 5 6 7");
		mgr_value v;
		while (mgr_queue_get(q, &v, 0) == 0) {
			len += (size_t) snprintf(have + len,
			    sizeof(have) - len, "%s%lld", len ? " " : "",
			    (long long) v.i);
			OK(mgr_queue_task_done(q));
		}
		assert_string_equal(have, want);
		OK(mgr_queue_join(q, 0));
		OK(mgr_obj_release(q));
	}
}

/* The list value's ints as "a b c". */
static const char *
ints(const mgr_value *l, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0]     = '\0';
	for (size_t i = 0; i < l->len && len < cap; i++) {
		len += (size_t) snprintf(buf + len, cap - len, "%s%lld",
		    i ? " " : "", (long long) l->items[i].i);
	}
	return buf;
}

/* peek shows the waiting items in get order without taking them, as a
 * list slice; purge drops them (not those in progress), counts them
 * done for join and lets a parked putter in. */
static void
test_peek_purge(void **state)
{
	(void) state;
	const int orders[]
	    = { MGR_QUEUE_FIFO, MGR_QUEUE_LIFO, MGR_QUEUE_PRIORITY };
	const char *const all[]
	    = { "4 1 5 9 2 6", "6 2 9 5 1 4", "1 2 4 5 6 9" };
	for (size_t k = 0; k < 3; k++) {
		mgr_obj       *q;
		mgr_value      l;
		char           buf[128];
		mgr_queue_opts o
		    = { .ack = true, .maxsize = 6, .order = orders[k] };
		OK(mgr_queue_new_opts(C, &o, &q));
		const int in[] = { 4, 1, 5, 9, 2, 6 };
		for (int i = 0; i < 6; i++) {
			OK(mgr_queue_put(q, mgr_int(in[i]), 0));
		}
		OK(mgr_queue_peek(q, 0, INT64_MAX, &l));
		assert_string_equal(ints(&l, buf, sizeof(buf)), all[k]);
		mgr_value_free(&l);
		OK(mgr_queue_peek(q, -2, INT64_MAX, &l)); // the last two
		assert_int_equal(l.len, 2);
		mgr_value_free(&l);
		OK(mgr_queue_peek(q, 4, 2, &l)); // empty, as a slice
		assert_int_equal(l.len, 0);
		mgr_value_free(&l);
		assert_int_equal(qsize(q), 6); // nothing taken
		int64_t got[1];
		int     fd   = raw_consumer_gets(q, 1, got); // in progress
		int64_t base = waiters();
		job     p;
		p.in = mgr_int(3);
		// Still full: the item in progress counts.
		ERR(MGR_EFULL, mgr_queue_put(q, mgr_int(8), 0));
		job_start(&p, do_put, q, 20000);
		await_waiters(base + 1);
		size_t n;
		OK(mgr_queue_purge(q, &n));
		assert_int_equal(n, 5); // those left of the first six
		job_join(&p, AWAIT_MS);
		OK(p.rv); // the putter came in
		OK(mgr_queue_peek(q, 0, INT64_MAX, &l));
		assert_string_equal(ints(&l, buf, sizeof(buf)), "3");
		mgr_value_free(&l);
		close(fd); // its item in progress comes back: not purged
		int64_t last;
		assert_int_equal(
		    h_info_await(C, "sessions", NULL, 1, AWAIT_MS, &last), 0);
		assert_int_equal(qsize(q), 2);
		while (mgr_queue_get(q, &l, 0) == 0) {
			OK(mgr_queue_task_done(q));
		}
		OK(mgr_queue_join(q, 0)); // the purged count as done
		OK(mgr_obj_release(q));
	}
	mgr_obj  *big;
	mgr_value l;
	OK(mgr_queue_new_opts(C, NULL, &big));
	mgr_batch *b;
	OK(mgr_batch_new(C, &b));
	for (int i = 0; i < 10001; i++) {
		OK(mgr_batch_add(b, big, MGR_OP_QUEUE_PUT,
		    (mgr_value[]) { mgr_int(i) }, 1));
	}
	OK(mgr_batch_exec(b, false));
	mgr_batch_free(b);
	ERR(MGR_ETOOBIG, mgr_queue_peek(big, 0, INT64_MAX, &l));
	OK(mgr_queue_peek(big, 10000, INT64_MAX, &l)); // a page
	assert_int_equal(l.len, 1);
	assert_int_equal(l.items[0].i, 10000);
	mgr_value_free(&l);
	OK(mgr_obj_release(big));
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
		cmocka_unit_test(test_in_progress_counts_against_maxsize),
		cmocka_unit_test(test_plain_queue_at_most_once),
		cmocka_unit_test(test_delivery_counts),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_peek_purge),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
