/* Guarded atomic batches against a real managerd: MGR_OP_ASSERT compares
 * an earlier entry's result and a false one applies nothing; a lock's
 * fence read inside the batch makes a write that only its holder can
 * make. (The concurrent withdraws are examples/account_withdraw, run by
 * test_examples.) */
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

static int64_t
balance_of(mgr_obj *acct)
{
	mgr_value v;
	OK(mgr_dict_get(acct, mgr_str("balance"), &v));
	assert_int_equal(v.kind, MGR_INT);
	return v.i;
}

static char last_detail[256]; /* exec's, before later calls clear it */

/* The guarded withdraw: get, assert at least, take; 0 or the batch's
 * failure, with *seen the balance a refusal saw. */
static int
withdraw(mgr_batch *b, mgr_obj *acct, int64_t amount, int64_t *seen)
{
	OK(mgr_batch_add(b, acct, MGR_OP_DICT_GET,
	    (mgr_value[]) { mgr_str("balance") }, 1));
	OK(mgr_batch_assert(b, 0, MGR_CMP_GE, mgr_int(amount)));
	OK(mgr_batch_add(b, acct, MGR_OP_DICT_INCR,
	    (mgr_value[]) { mgr_str("balance"), mgr_int(-amount) }, 2));
	int rv = mgr_batch_exec(b, true);
	snprintf(last_detail, sizeof(last_detail), "%s", mgr_errdetail());
	if (rv == MGR_EABORTED) {
		size_t    at;
		int       st;
		mgr_value v;
		OK(mgr_batch_failed(b, &at));
		assert_int_equal(at, 1); // the assertion
		OK(mgr_batch_result(b, 1, &st, &v));
		assert_int_equal(st, MGR_EABORTED);
		assert_int_equal(v.kind, MGR_INT);
		*seen = v.i;
		// The others were not applied.
		OK(mgr_batch_result(b, 2, &st, &v));
		assert_int_equal(st, MGR_EABORTED);
		assert_int_equal(v.kind, MGR_NONE);
	}
	return rv;
}

static void
test_withdraw(void **state)
{
	(void) state;
	mgr_obj   *acct;
	mgr_batch *b;
	int64_t    seen = -1;
	OK(mgr_dict_new(cl, &acct));
	OK(mgr_dict_set(acct, mgr_str("balance"), mgr_int(200)));
	OK(mgr_batch_new(cl, &b));
	OK(withdraw(b, acct, 100, &seen));
	mgr_value v;
	OK(mgr_batch_result(b, 2, NULL, &v)); // the incr's new balance
	assert_int_equal(v.i, 100);
	size_t at;
	ERR(MGR_ESTATE, mgr_batch_failed(b, &at)); // none failed
	ERR(MGR_EABORTED, withdraw(b, acct, 200, &seen));
	assert_int_equal(seen, 100);
	assert_non_null(strstr(last_detail, "100 >= 200 is false"));
	assert_int_equal(balance_of(acct), 100);
	OK(withdraw(b, acct, 100, &seen));
	assert_int_equal(balance_of(acct), 0);
	ERR(MGR_EABORTED, withdraw(b, acct, 1, &seen));
	assert_int_equal(seen, 0);
	assert_int_equal(balance_of(acct), 0);
	mgr_batch_free(b);
	mgr_obj_release(acct);
}

/* Each comparison on the pairs Python orders, and == across kinds. */
static void
test_comparisons(void **state)
{
	(void) state;
	mgr_obj   *d;
	mgr_batch *b;
	OK(mgr_dict_new(cl, &d));
	OK(mgr_batch_new(cl, &b));
	const struct {
		mgr_value have, with;
		mgr_cmp   cmp;
		bool      holds;
	} cases[] = {
		{ mgr_int(5), mgr_int(5), MGR_CMP_EQ, true },
		{ mgr_int(5), mgr_float(5.0), MGR_CMP_EQ, true }, // 5 == 5.0
		{ mgr_int(1), mgr_bool(true), MGR_CMP_EQ, true }, // 1 == True
		{ mgr_int(5), mgr_int(6), MGR_CMP_NE, true },
		{ mgr_int(5), mgr_str("5"), MGR_CMP_EQ, false },
		{ mgr_int(5), mgr_str("5"), MGR_CMP_NE, true },
		{ mgr_none(), mgr_none(), MGR_CMP_EQ, true },
		{ mgr_none(), mgr_int(0), MGR_CMP_EQ, false },
		{ mgr_int(4), mgr_float(4.5), MGR_CMP_LT, true },
		{ mgr_int(5), mgr_int(5), MGR_CMP_LT, false },
		{ mgr_int(5), mgr_int(5), MGR_CMP_LE, true },
		{ mgr_float(-1.5), mgr_int(-2), MGR_CMP_GT, true },
		{ mgr_int(5), mgr_int(6), MGR_CMP_GE, false },
		{ mgr_str("abc"), mgr_str("abd"), MGR_CMP_LT, true },
		{ mgr_str("b"), mgr_str("abc"), MGR_CMP_GT, true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		OK(mgr_dict_set(d, mgr_str("x"), cases[i].have));
		OK(mgr_batch_add(b, d, MGR_OP_DICT_GET,
		    (mgr_value[]) { mgr_str("x") }, 1));
		OK(mgr_batch_assert(b, 0, cases[i].cmp, cases[i].with));
		OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
		    (mgr_value[]) { mgr_str("applied"), mgr_int((int) i) },
		    2));
		int rv = mgr_batch_exec(b, true);
		if (rv != (cases[i].holds ? 0 : MGR_EABORTED)) {
			fail_msg("case %zu: %s (%s)", i, mgr_strerror(rv),
			    mgr_errdetail());
		}
		mgr_value v;
		int       found = mgr_dict_get(d, mgr_str("applied"), &v);
		if (cases[i].holds) {
			OK(found);
			assert_int_equal(v.i, (int64_t) i);
		} else {
			ERR(MGR_EKEY, found); // nothing of the batch applied
		}
		(void) mgr_dict_del(d, mgr_str("applied"));
	}
	mgr_batch_free(b);
	mgr_obj_release(d);
}

/* An ordering Python refuses fails the batch with MGR_ETYPE, as
 * Python's TypeError; nothing is applied. */
static void
test_not_orderable(void **state)
{
	(void) state;
	mgr_obj   *d;
	mgr_batch *b;
	OK(mgr_dict_new(cl, &d));
	OK(mgr_dict_set(d, mgr_str("x"), mgr_str("a")));
	OK(mgr_batch_new(cl, &b));
	OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
	    (mgr_value[]) { mgr_str("y"), mgr_int(1) }, 2));
	OK(mgr_batch_add(
	    b, d, MGR_OP_DICT_GET, (mgr_value[]) { mgr_str("x") }, 1));
	OK(mgr_batch_assert(b, 1, MGR_CMP_LT, mgr_int(3)));
	ERR(MGR_ETYPE, mgr_batch_exec(b, true));
	assert_non_null(strstr(mgr_errdetail(),
	    "'<' not supported between instances of 'str' and 'int'"));
	size_t at;
	OK(mgr_batch_failed(b, &at));
	assert_int_equal(at, 2);
	mgr_value v;
	ERR(MGR_EKEY, mgr_dict_get(d, mgr_str("y"), &v)); // undone
	mgr_batch_free(b);
	mgr_obj_release(d);
}

/* Misuse gets MGR_EINVAL (or MGR_ETYPE for an argument of the wrong
 * kind) and applies nothing. */
static void
test_misuse(void **state)
{
	(void) state;
	mgr_obj   *d;
	mgr_batch *b;
	OK(mgr_dict_new(cl, &d));
	OK(mgr_batch_new(cl, &b));
	// The client refuses what it can see.
	ERR(MGR_EINVAL, mgr_batch_assert(b, 0, MGR_CMP_EQ, mgr_int(1)));
	OK(mgr_batch_add(b, d, MGR_OP_DICT_LEN, NULL, 0));
	ERR(MGR_EINVAL, mgr_batch_assert(b, 1, MGR_CMP_EQ, mgr_int(1)));
	ERR(MGR_EINVAL, mgr_batch_assert(b, 0, (mgr_cmp) 6, mgr_int(1)));
	ERR(MGR_EINVAL,
	    mgr_batch_add(b, NULL, MGR_OP_DICT_LEN, NULL, 0)); // no object
	assert_int_equal(mgr_batch_len(b), 1);
	OK(mgr_batch_reset(b));

	// The manager refuses the rest, as a raw client could send it.
	const struct {
		mgr_value   args[3];
		size_t      nargs;
		int         code;
		const char *detail;
	} bad[] = {
		{ { mgr_int(1), mgr_int(0), mgr_int(0) }, 3, MGR_EINVAL,
		    "not an earlier one" }, // itself
		{ { mgr_int(2), mgr_int(0), mgr_int(0) }, 3, MGR_EINVAL,
		    "not an earlier one" }, // a later one
		{ { mgr_int(-1), mgr_int(0), mgr_int(0) }, 3, MGR_EINVAL,
		    "not an earlier one" },
		{ { mgr_int(0), mgr_int(6), mgr_int(0) }, 3, MGR_EINVAL,
		    "not an mgr_cmp" },
		{ { mgr_str("0"), mgr_int(0), mgr_int(0) }, 3, MGR_ETYPE,
		    "" },
		{ { mgr_int(0), mgr_int(0) }, 2, MGR_EINVAL, "arguments" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		OK(mgr_batch_add(b, d, MGR_OP_DICT_SET,
		    (mgr_value[]) { mgr_str("k"), mgr_int(1) }, 2));
		OK(mgr_batch_add(
		    b, NULL, MGR_OP_ASSERT, bad[i].args, bad[i].nargs));
		OK(mgr_batch_add(b, d, MGR_OP_DICT_LEN, NULL, 0));
		int rv = mgr_batch_exec(b, true);
		if (rv != bad[i].code
		    || strstr(mgr_errdetail(), bad[i].detail) == NULL) {
			fail_msg("case %zu: %s (%s)", i, mgr_strerror(rv),
			    mgr_errdetail());
		}
		size_t at;
		OK(mgr_batch_failed(b, &at));
		assert_int_equal(at, 1);
		size_t n;
		OK(mgr_dict_len(d, &n));
		assert_int_equal(n, 0); // the set before it undone
	}

	// Outside an atomic batch an assertion has nothing to guard.
	OK(mgr_batch_add(b, d, MGR_OP_DICT_LEN, NULL, 0));
	OK(mgr_batch_assert(b, 0, MGR_CMP_EQ, mgr_int(0)));
	ERR(MGR_EINVAL, mgr_batch_exec(b, false));
	assert_non_null(strstr(mgr_errdetail(), "only allowed in an atomic"));
	size_t at;
	OK(mgr_batch_failed(b, &at));
	assert_int_equal(at, 1);
	mgr_batch_free(b);
	mgr_obj_release(d);
}

/* A fenced write: the lock's fence read inside the batch and asserted to
 * be the writer's, so a holder whose hold ended (a new fence) writes
 * nothing, as ZooKeeper's and Chubby's sequencers make a storage check. */
static void
test_fenced_write(void **state)
{
	(void) state;
	mgr_obj   *lock, *d;
	mgr_batch *b;
	uint64_t   mine, theirs;
	OK(mgr_lock_new(cl, &lock));
	OK(mgr_dict_new(cl, &d));
	OK(mgr_batch_new(cl, &b));
	OK(mgr_acquire_fence(lock, MGR_FOREVER, &mine));
	for (int round = 0; round < 2; round++) {
		OK(mgr_batch_add(b, lock, MGR_OP_LOCK_FENCE, NULL, 0));
		OK(mgr_batch_assert(
		    b, 0, MGR_CMP_EQ, mgr_int((int64_t) mine)));
		OK(mgr_batch_add(b, d, MGR_OP_DICT_INCR,
		    (mgr_value[]) { mgr_str("writes"), mgr_int(1) }, 2));
		int rv = mgr_batch_exec(b, true);
		if (round == 0) {
			OK(rv); // still the holder
			OK(mgr_release(lock));
			// Someone else's hold now: a higher fence.
			OK(mgr_acquire_fence(lock, MGR_FOREVER, &theirs));
			assert_true(theirs > mine);
		} else {
			ERR(MGR_EABORTED, rv);
			mgr_value seen;
			OK(mgr_batch_result(b, 1, NULL, &seen));
			assert_int_equal(seen.i, (int64_t) theirs);
		}
	}
	mgr_value v;
	OK(mgr_dict_get(d, mgr_str("writes"), &v));
	assert_int_equal(v.i, 1);
	OK(mgr_release(lock));
	mgr_batch_free(b);
	mgr_obj_release(d);
	mgr_obj_release(lock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_withdraw),
		cmocka_unit_test(test_comparisons),
		cmocka_unit_test(test_not_orderable),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_fenced_write),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
