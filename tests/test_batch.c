/* Batches against a real managerd: pipelined batches (each operation on
 * its own, results in order), atomic batches (all or nothing: a failing
 * operation undoes the ones before it), and their limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "mgr.h"

static mgr_server *srv;
static mgr_client *cl;

static int
setup(void **state)
{
	(void) state;
	OK(mgr_server_start(&srv, NULL));
	OK(mgr_server_connect(srv, &cl));
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	mgr_disconnect(cl);
	mgr_server_shutdown(srv);
	return 0;
}

static void
repr_is(mgr_obj *o, const char *want)
{
	mgr_value v;
	char      buf[512];
	if (strcmp(mgr_obj_type(o), "dict") == 0) {
		OK(mgr_dict_copy(o, &v));
	} else {
		OK(mgr_list_copy(o, &v));
	}
	OK(mgr_value_repr(&v, buf, sizeof(buf)));
	assert_string_equal(buf, want);
	mgr_value_free(&v);
}

static void
test_pipelined(void **state)
{
	(void) state;
	mgr_obj   *d;
	mgr_batch *b;
	OK(mgr_dict_new(cl, &d));
	OK(mgr_batch_new(cl, &b));
	for (int i = 0; i < 200; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		// Arguments are copied: key may change right after.
		OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
		    (mgr_value[]) { mgr_str(key), mgr_int(i) }, 2));
	}
	OK(mgr_batch_add(
	    b, d, MGR_OP_DICT_GET, (mgr_value[]) { mgr_str("k7") }, 1));
	OK(mgr_batch_add(
	    b, d, MGR_OP_DICT_GET, (mgr_value[]) { mgr_str("no") }, 1));
	OK(mgr_batch_add(b, d, MGR_OP_DICT_LEN, NULL, 0));
	assert_int_equal(mgr_batch_len(b), 203);
	// Not atomic: one failure does not stop the others.
	assert_int_equal(mgr_batch_exec(b, false), MGR_EKEY);
	int       st;
	mgr_value v;
	OK(mgr_batch_result(b, 0, &st, &v));
	assert_int_equal(st, 0);
	assert_int_equal(v.kind, MGR_NONE);
	OK(mgr_batch_result(b, 200, &st, &v));
	assert_int_equal(st, 0);
	assert_int_equal(v.i, 7);
	OK(mgr_batch_result(b, 201, &st, NULL));
	assert_int_equal(st, MGR_EKEY);
	OK(mgr_batch_result(b, 202, &st, &v));
	assert_int_equal(v.i, 200);
	assert_int_equal(mgr_batch_result(b, 203, &st, &v), MGR_EINDEX);
	size_t n;
	OK(mgr_dict_len(d, &n));
	assert_int_equal(n, 200);

	// Reused: exec emptied it.
	assert_int_equal(mgr_batch_len(b), 0);
	OK(mgr_batch_add(b, d, MGR_OP_DICT_CLEAR, NULL, 0));
	OK(mgr_batch_exec(b, false));
	OK(mgr_dict_len(d, &n));
	assert_int_equal(n, 0);
	mgr_batch_free(b);
	mgr_obj_release(d);
}

static void
test_atomic_commits(void **state)
{
	(void) state;
	mgr_obj   *d, *l;
	mgr_batch *b;
	OK(mgr_dict_new(cl, &d));
	OK(mgr_list_new(cl, &l));
	OK(mgr_batch_new(cl, &b));
	OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
	    (mgr_value[]) { mgr_str("a"), mgr_int(1) }, 2));
	OK(mgr_batch_add(
	    b, l, MGR_OP_LIST_APPEND, (mgr_value[]) { mgr_str("x") }, 1));
	OK(mgr_batch_add(
	    b, d, MGR_OP_DICT_GET, (mgr_value[]) { mgr_str("a") }, 1));
	// The value read is a copy of what it was then.
	OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
	    (mgr_value[]) { mgr_str("a"), mgr_str("changed") }, 2));
	OK(mgr_batch_add(b, d, MGR_OP_DICT_INCR,
	    (mgr_value[]) { mgr_str("n"), mgr_int(5) }, 2));
	OK(mgr_batch_exec(b, true));
	int       st;
	mgr_value v;
	OK(mgr_batch_result(b, 2, &st, &v));
	assert_int_equal(st, 0);
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, 1);
	OK(mgr_batch_result(b, 4, &st, &v));
	assert_int_equal(v.i, 5);
	repr_is(d, "{'a': 'changed', 'n': 5}");
	repr_is(l, "['x']");
	mgr_batch_free(b);
	mgr_obj_release(d);
	mgr_obj_release(l);
}

static void
test_atomic_all_or_nothing(void **state)
{
	(void) state;
	mgr_obj   *d, *l, *other;
	mgr_batch *b;
	OK(mgr_dict_new(cl, &d));
	OK(mgr_list_new(cl, &l));
	OK(mgr_list_new(cl, &other));
	OK(mgr_dict_set(d, mgr_str("keep"), mgr_ref(other)));
	OK(mgr_obj_release(other));
	OK(mgr_list_append(l, mgr_int(1)));
	OK(mgr_batch_new(cl, &b));
	OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
	    (mgr_value[]) { mgr_str("new"), mgr_int(1) }, 2));
	// Dropping the only reference to `other`: undone, so it must live.
	OK(mgr_batch_add(
	    b, d, MGR_OP_DICT_DEL, (mgr_value[]) { mgr_str("keep") }, 1));
	OK(mgr_batch_add(b, l, MGR_OP_LIST_CLEAR, NULL, 0));
	OK(mgr_batch_add(
	    b, l, MGR_OP_LIST_POP, (mgr_value[]) { mgr_int(0) }, 1));
	OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
	    (mgr_value[]) { mgr_str("never"), mgr_int(2) }, 2));
	assert_int_equal(mgr_batch_exec(b, true), MGR_EINDEX); // pop of []
	int st;
	for (size_t i = 0; i < 3; i++) {
		OK(mgr_batch_result(b, i, &st, NULL));
		assert_int_equal(st, MGR_EABORTED);
	}
	OK(mgr_batch_result(b, 3, &st, NULL));
	assert_int_equal(st, MGR_EINDEX);
	OK(mgr_batch_result(b, 4, &st, NULL));
	assert_int_equal(st, MGR_EABORTED);
	// Nothing happened.
	repr_is(l, "[1]");
	mgr_value kept;
	OK(mgr_dict_get(d, mgr_str("keep"), &kept));
	assert_int_equal(kept.kind, MGR_REF);
	OK(mgr_list_append(mgr_value_ref(&kept), mgr_str("alive")));
	mgr_value_free(&kept);
	bool has;
	OK(mgr_dict_contains(d, mgr_str("new"), &has));
	assert_false(has);

	// Not in atomic batches: objects with waiters.
	mgr_obj *q;
	OK(mgr_queue_new(cl, 0, &q));
	OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
	    (mgr_value[]) { mgr_str("x"), mgr_int(1) }, 2));
	OK(mgr_batch_add(
	    b, q, MGR_OP_QUEUE_PUT, (mgr_value[]) { mgr_int(1) }, 1));
	assert_int_equal(mgr_batch_exec(b, true), MGR_ETYPE);
	OK(mgr_dict_contains(d, mgr_str("x"), &has));
	assert_false(has);
	// Reading one is fine: only what a batch writes is copied for the
	// undo, and only what may block or can't be copied is refused.
	OK(mgr_queue_put(q, mgr_int(7), 0));
	OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
	    (mgr_value[]) { mgr_str("x"), mgr_int(1) }, 2));
	OK(mgr_batch_add(b, q, MGR_OP_QUEUE_QSIZE, NULL, 0));
	OK(mgr_batch_exec(b, true));
	mgr_value qn;
	OK(mgr_batch_result(b, 1, &st, &qn));
	assert_int_equal(st, 0);
	assert_int_equal(qn.i, 1);
	OK(mgr_dict_contains(d, mgr_str("x"), &has));
	assert_true(has);
	OK(mgr_dict_del(d, mgr_str("x")));
	mgr_value seven;
	OK(mgr_queue_get(q, &seven, 0));
	// A write on a queue can't be undone: refused before anything runs.
	OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
	    (mgr_value[]) { mgr_str("x"), mgr_int(1) }, 2));
	OK(mgr_batch_add(b, q, MGR_OP_QUEUE_TASK_DONE, NULL, 0));
	assert_int_equal(mgr_batch_exec(b, true), MGR_ETYPE);
	OK(mgr_batch_result(b, 0, &st, NULL));
	assert_int_equal(st, MGR_EABORTED);
	OK(mgr_dict_contains(d, mgr_str("x"), &has));
	assert_false(has);
	// ... but they pipeline.
	OK(mgr_batch_add(
	    b, q, MGR_OP_QUEUE_PUT, (mgr_value[]) { mgr_int(1) }, 1));
	OK(mgr_batch_add_timeout(b, q, MGR_OP_QUEUE_GET, NULL, 0, 1000));
	OK(mgr_batch_exec(b, false));
	mgr_value got;
	OK(mgr_batch_result(b, 1, &st, &got));
	assert_int_equal(got.i, 1);
	mgr_obj_release(q);
	mgr_batch_free(b);
	mgr_obj_release(d);
	mgr_obj_release(l);
}

static void
test_bad_arguments(void **state)
{
	(void) state;
	mgr_batch  *b;
	mgr_obj    *d, *foreign;
	mgr_client *other;
	OK(mgr_batch_new(cl, &b));
	OK(mgr_dict_new(cl, &d));
	OK(mgr_server_connect(srv, &other));
	OK(mgr_dict_new(other, &foreign));
	assert_int_equal(
	    mgr_batch_add(b, NULL, MGR_OP_DICT_LEN, NULL, 0), MGR_EINVAL);
	assert_int_equal(
	    mgr_batch_add(b, foreign, MGR_OP_DICT_LEN, NULL, 0), MGR_EINVAL);
	assert_int_equal(
	    mgr_batch_add(b, d, (mgr_op) 7, NULL, 0), MGR_EINVAL);
	assert_int_equal(
	    mgr_batch_add(b, d, (mgr_op) 9999, NULL, 0), MGR_EINVAL);
	assert_int_equal(mgr_batch_len(b), 0);
	OK(mgr_batch_exec(b, true)); // empty: nothing to do
	// A list op on a dict fails at exec with MGR_ETYPE.
	OK(mgr_batch_add(b, d, MGR_OP_LIST_LEN, NULL, 0));
	assert_int_equal(mgr_batch_exec(b, false), MGR_ETYPE);
	mgr_obj_release(foreign);
	mgr_disconnect(other);
	mgr_batch_free(b);
	mgr_obj_release(d);
}

/* Big and small replies pipelined in one read stream, bytes and str
 * among them: each arrives whole and exact (a big frame is read to its
 * end alone, and its bytes are taken from the reply, not copied). */
static void
test_pipelined_big_and_small(void **state)
{
	(void) state;
	static const size_t sizes[]
	    = { 300000, 3, 70000, 1 << 20, 0, 65536, 65537, 9, 200000 };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	mgr_obj   *l;
	mgr_batch *b;
	char      *buf = malloc(1 << 20);
	assert_non_null(buf);
	OK(mgr_list_new(cl, &l));
	for (size_t i = 0; i < N; i++) {
		for (size_t k = 0; k < sizes[i]; k++) {
			buf[k] = (char) ('a' + (i + k) % 26);
		}
		mgr_value v = i % 2 ? mgr_strn(buf, sizes[i])
		                    : mgr_bytes(buf, sizes[i]);
		OK(mgr_list_append(l, v));
	}
	OK(mgr_batch_new(cl, &b));
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < N; i++) {
			OK(mgr_batch_add(b, l, MGR_OP_LIST_GET,
			    (mgr_value[]) { mgr_int((int64_t) i) }, 1));
		}
	}
	OK(mgr_batch_exec(b, false));
	for (size_t j = 0; j < 3 * N; j++) {
		size_t    i = j % N;
		int       st;
		mgr_value v;
		OK(mgr_batch_result(b, j, &st, &v));
		assert_int_equal(st, 0);
		assert_int_equal(v.kind, i % 2 ? MGR_STR : MGR_BYTES);
		assert_int_equal(v.len, sizes[i]);
		const char *p = i % 2 ? v.s : (const char *) v.bytes;
		for (size_t k = 0; k < sizes[i]; k++) {
			if (p[k] != (char) ('a' + (i + k) % 26)) {
				fail_msg("item %zu byte %zu", i, k);
			}
		}
		mgr_value_free(&v);
	}
	mgr_batch_free(b);
	OK(mgr_obj_release(l));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_pipelined_big_and_small),
		cmocka_unit_test(test_atomic_commits),
		cmocka_unit_test(test_atomic_all_or_nothing),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
