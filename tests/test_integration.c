/* Integration tests of the data types' proxies against a real managerd, the
 * same cases over ipc:// and over tcp://: dict, list, namespace, proxies of
 * the wrong type. Each test checks that the manager's object count is back
 * where it was once everything is released. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "integration_fixture.h"

/* ---- dict -------------------------------------------------------------- */

static void
test_dict_ops(void **state)
{
	(void) state;
	mgr_obj  *d;
	mgr_value v, k;
	bool      found = true;

	OK(mgr_dict_new(F.c, &d));
	assert_string_equal(mgr_obj_type(d), "dict");
	assert_int_equal(dict_len(d), 0);

	// Typed keys: 1, 1.0 and True are three keys (deviation from Python).
	OK(mgr_dict_set(d, mgr_int(1), mgr_str("one")));
	OK(mgr_dict_set(d, mgr_float(1.0), mgr_str("float one")));
	OK(mgr_dict_set(d, mgr_bool(true), mgr_str("true")));
	OK(mgr_dict_set(d, mgr_str("k"), mgr_int(5)));
	assert_int_equal(dict_len(d), 4);
	OK(mgr_dict_get(d, mgr_int(1), &v));
	assert_result(&v, "'one'");
	OK(mgr_dict_get(d, mgr_float(1.0), &v));
	assert_result(&v, "'float one'");
	OK(mgr_dict_get(d, mgr_bool(true), &v));
	assert_result(&v, "'true'");
	OK(mgr_dict_contains(d, mgr_int(2), &found));
	assert_false(found);
	OK(mgr_dict_contains(d, mgr_str("k"), &found));
	assert_true(found);

	// Missing keys: KeyError.
	v = mgr_int(77);
	ERR(MGR_EKEY, mgr_dict_get(d, mgr_int(2), &v));
	assert_int_equal(v.kind, MGR_INT); // untouched on error
	ERR(MGR_EKEY, mgr_dict_get(d, mgr_str("K"), &v));
	ERR(MGR_EKEY, mgr_dict_del(d, mgr_int(2)));
	ERR(MGR_EKEY, mgr_dict_pop(d, mgr_str("nope"), &v));
	assert_int_equal(dict_len(d), 4);

	// Replacing keeps the key's position; del and pop remove.
	OK(mgr_dict_set(d, mgr_int(1), mgr_str("uno")));
	assert_dict(d, "{1: 'uno', 1.0: 'float one', True: 'true', 'k': 5}");
	OK(mgr_dict_del(d, mgr_float(1.0)));
	OK(mgr_dict_pop(d, mgr_bool(true), &v));
	assert_result(&v, "'true'");
	assert_dict(d, "{1: 'uno', 'k': 5}");
	ERR(MGR_EKEY, mgr_dict_del(d, mgr_float(1.0)));

	// setdefault: the existing value, or inserts the default.
	OK(mgr_dict_setdefault(d, mgr_str("k"), mgr_int(99), &v));
	assert_result(&v, "5");
	mgr_value two[] = { mgr_int(1), mgr_int(2) };
	OK(mgr_dict_setdefault(d, mgr_str("new"), mgr_list_of(two, 2), &v));
	assert_result(&v, "[1, 2]");
	assert_dict(d, "{1: 'uno', 'k': 5, 'new': [1, 2]}");

	// update: replaced keys stay in place, new ones go to the end.
	mgr_value up[]
	    = { mgr_str("k"), mgr_int(6), mgr_str("z"), mgr_none() };
	OK(mgr_dict_update(d, mgr_dict_of(up, 2)));
	assert_dict(d, "{1: 'uno', 'k': 6, 'new': [1, 2], 'z': None}");
	ERR(MGR_ETYPE, mgr_dict_update(d, mgr_int(5)));
	OK(mgr_dict_update(d, mgr_dict_of(NULL, 0)));

	OK(mgr_dict_keys(d, &v));
	assert_result(&v, "[1, 'k', 'new', 'z']");
	OK(mgr_dict_values(d, &v));
	assert_result(&v, "['uno', 6, [1, 2], None]");
	OK(mgr_dict_items(d, &v));
	assert_result(
	    &v, "[(1, 'uno'), ('k', 6), ('new', [1, 2]), ('z', None)]");

	// copy is a plain value equal to what we built.
	mgr_value want_pairs[] = { mgr_int(1), mgr_str("uno"), mgr_str("k"),
		mgr_int(6), mgr_str("new"), mgr_list_of(two, 2), mgr_str("z"),
		mgr_none() };
	mgr_value want         = mgr_dict_of(want_pairs, 4);
	OK(mgr_dict_copy(d, &v));
	assert_true(mgr_value_equal(&v, &want));
	mgr_value_free(&v);

	// popitem is LIFO, as in Python.
	OK(mgr_dict_popitem(d, &k, &v));
	assert_result(&k, "'z'");
	assert_result(&v, "None");
	OK(mgr_dict_popitem(d, &k, &v));
	assert_result(&k, "'new'");
	assert_result(&v, "[1, 2]");
	assert_int_equal(dict_len(d), 2);

	OK(mgr_dict_clear(d));
	assert_int_equal(dict_len(d), 0);
	ERR(MGR_EKEY, mgr_dict_popitem(d, &k, &v));
	assert_dict(d, "{}");
	OK(mgr_dict_keys(d, &v));
	assert_result(&v, "[]");
	OK(mgr_obj_release(d));
}

static void
test_dict_keys(void **state)
{
	(void) state;
	mgr_obj  *d;
	mgr_value v;
	OK(mgr_dict_new(F.c, &d));
	// Keys: scalars and tuples of hashables; not lists or dicts.
	mgr_value t1[] = { mgr_int(1), mgr_str("a") };
	OK(mgr_dict_set(d, mgr_tuple_of(t1, 2), mgr_str("t")));
	OK(mgr_dict_get(d, mgr_tuple_of(t1, 2), &v));
	assert_result(&v, "'t'");
	ERR(MGR_EKEY, mgr_dict_get(d, mgr_tuple_of(t1, 1), &v));
	ERR(MGR_ETYPE, mgr_dict_set(d, mgr_list_of(t1, 2), mgr_int(1)));
	ERR(MGR_ETYPE, mgr_dict_set(d, mgr_dict_of(t1, 1), mgr_int(1)));
	mgr_value inner[] = { mgr_int(1), mgr_list_of(t1, 2) };
	ERR(MGR_ETYPE, mgr_dict_set(d, mgr_tuple_of(inner, 2), mgr_int(1)));
	assert_dict(d, "{(1, 'a'): 't'}");

	OK(mgr_obj_release(d));
}

/* Python: d[[1]] raises TypeError (unhashable), not KeyError. */
static void
test_dict_unhashable_lookup(void **state)
{
	(void) state;
	mgr_obj  *d;
	mgr_value v;
	bool      found;
	mgr_value one[] = { mgr_int(1) };
	OK(mgr_dict_new(F.c, &d));
	OK(mgr_dict_set(d, mgr_int(1), mgr_int(1)));
	ERR(MGR_ETYPE, mgr_dict_get(d, mgr_list_of(one, 1), &v));
	ERR(MGR_ETYPE, mgr_dict_contains(d, mgr_list_of(one, 1), &found));
	ERR(MGR_ETYPE, mgr_dict_del(d, mgr_list_of(one, 1)));
	ERR(MGR_ETYPE, mgr_dict_pop(d, mgr_list_of(one, 1), &v));
	OK(mgr_obj_release(d));
}

static void
test_dict_incr(void **state)
{
	(void) state;
	mgr_obj  *d;
	mgr_value v;

	OK(mgr_dict_new(F.c, &d));
	// A missing key counts as 0.
	OK(mgr_dict_incr(d, mgr_str("n"), mgr_int(5), &v));
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, 5);
	mgr_value_free(&v);
	OK(mgr_dict_incr(d, mgr_str("n"), mgr_int(-2), &v));
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, 3);
	mgr_value_free(&v);
	OK(mgr_dict_incr(d, mgr_str("n"), mgr_int(1), NULL));
	OK(mgr_dict_get(d, mgr_str("n"), &v));
	assert_result(&v, "4");

	// Floats, and int + float gives a float as in Python.
	OK(mgr_dict_incr(d, mgr_str("f"), mgr_float(0.5), &v));
	assert_int_equal(v.kind, MGR_FLOAT);
	assert_true(v.f == 0.5);
	mgr_value_free(&v);
	OK(mgr_dict_incr(d, mgr_str("n"), mgr_float(0.5), &v));
	assert_int_equal(v.kind, MGR_FLOAT);
	assert_true(v.f == 4.5);
	mgr_value_free(&v);
	OK(mgr_dict_incr(d, mgr_str("f"), mgr_int(2), &v));
	assert_result(&v, "2.5");

	// Not numbers: TypeError, nothing changed.
	OK(mgr_dict_set(d, mgr_str("s"), mgr_str("text")));
	ERR(MGR_ETYPE, mgr_dict_incr(d, mgr_str("s"), mgr_int(1), &v));
	ERR(MGR_ETYPE, mgr_dict_incr(d, mgr_str("n"), mgr_str("x"), &v));
	ERR(MGR_ETYPE, mgr_dict_incr(d, mgr_str("n"), mgr_none(), &v));
	mgr_value one[] = { mgr_int(1) };
	ERR(MGR_ETYPE, mgr_dict_incr(d, mgr_list_of(one, 1), mgr_int(1), &v));
	assert_dict(d, "{'n': 4.5, 'f': 2.5, 's': 'text'}");

	// No silent wrap-around past the int64 range (Python would make a
	// big int): MGR_ERANGE, and the value is unchanged.
	OK(mgr_dict_set(d, mgr_str("big"), mgr_int(INT64_MAX)));
	ERR(MGR_ERANGE, mgr_dict_incr(d, mgr_str("big"), mgr_int(1), &v));
	OK(mgr_dict_set(d, mgr_str("small"), mgr_int(INT64_MIN)));
	ERR(MGR_ERANGE, mgr_dict_incr(d, mgr_str("small"), mgr_int(-1), &v));
	OK(mgr_dict_get(d, mgr_str("big"), &v));
	assert_int_equal(v.kind, MGR_INT);
	assert_true(v.i == INT64_MAX);
	mgr_value_free(&v);
	OK(mgr_dict_get(d, mgr_str("small"), &v));
	assert_int_equal(v.kind, MGR_INT);
	assert_true(v.i == INT64_MIN);
	mgr_value_free(&v);

	OK(mgr_obj_release(d));
}

typedef struct incr_worker {
	pthread_t t;
	mgr_obj  *d;
	int       n;
	int       err;
	int       count;
	int64_t  *seen;
} incr_worker;

static void *
incr_main(void *arg)
{
	incr_worker *w = arg;
	for (int i = 0; i < w->n; i++) {
		mgr_value v;
		int rv = mgr_dict_incr(w->d, mgr_str("ctr"), mgr_int(1), &v);
		if (rv != 0) {
			w->err = rv;
			break;
		}
		w->seen[w->count++] = v.kind == MGR_INT ? v.i : -1;
		mgr_value_free(&v);
	}
	return NULL;
}

/* Runs the workers and checks that the counter went 1..total, each new
 * value handed out exactly once (the increment is atomic). */
static void
run_incr_workers(incr_worker *w, int nw, mgr_obj *check)
{
	int total = 0;
	for (int i = 0; i < nw; i++) {
		w[i].seen = calloc((size_t) w[i].n, sizeof(int64_t));
		assert_non_null(w[i].seen);
		total += w[i].n;
	}
	for (int i = 0; i < nw; i++) {
		assert_int_equal(
		    pthread_create(&w[i].t, NULL, incr_main, &w[i]), 0);
	}
	for (int i = 0; i < nw; i++) {
		pthread_join(w[i].t, NULL);
	}
	char *hit = calloc((size_t) total + 1, 1);
	assert_non_null(hit);
	for (int i = 0; i < nw; i++) {
		if (w[i].err != 0) {
			fail_msg("worker %d: %s", i, mgr_strerror(w[i].err));
		}
		assert_int_equal(w[i].count, w[i].n);
		for (int k = 0; k < w[i].count; k++) {
			int64_t x = w[i].seen[k];
			if (x < 1 || x > total || hit[x]) {
				fail_msg("worker %d got %" PRId64
				         " (out of 1..%d or twice)",
				    i, x, total);
			}
			hit[x] = 1;
			// Each thread's own results increase.
			if (k > 0) {
				assert_true(x > w[i].seen[k - 1]);
			}
		}
		free(w[i].seen);
	}
	free(hit);
	mgr_value v;
	OK(mgr_dict_get(check, mgr_str("ctr"), &v));
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, total);
	mgr_value_free(&v);
}

static void
test_dict_incr_threads(void **state)
{
	(void) state;
	mgr_obj    *d;
	incr_worker w[4];
	OK(mgr_dict_new(F.c, &d));
	for (int i = 0; i < 4; i++) {
		w[i] = (incr_worker) { .d = d, .n = 500 };
	}
	run_incr_workers(w, 4, d);
	OK(mgr_obj_release(d));
}

static void
test_dict_incr_two_clients(void **state)
{
	(void) state;
	mgr_obj    *d, *d1, *d2;
	mgr_client *c1 = connect2(), *c2 = connect2();
	char        tok[64];
	incr_worker w[4];
	OK(mgr_dict_new(F.c, &d));
	OK(mgr_obj_token(d, tok, sizeof(tok)));
	OK(mgr_attach(c1, tok, &d1));
	OK(mgr_attach(c2, tok, &d2));
	// Two threads on each client.
	for (int i = 0; i < 4; i++) {
		w[i] = (incr_worker) { .d = i % 2 ? d2 : d1, .n = 400 };
	}
	run_incr_workers(w, 4, d);
	OK(mgr_obj_release(d1));
	OK(mgr_obj_release(d2));
	mgr_disconnect(c1);
	mgr_disconnect(c2);
	OK(mgr_obj_release(d));
}

/* ---- list -------------------------------------------------------------- */

static void
test_list_ops(void **state)
{
	(void) state;
	mgr_obj  *l;
	mgr_value v;

	OK(mgr_list_new(F.c, &l));
	assert_string_equal(mgr_obj_type(l), "list");
	assert_int_equal(list_len(l), 0);
	// Empty list: every index is out of range.
	ERR(MGR_EINDEX, mgr_list_get(l, 0, &v));
	ERR(MGR_EINDEX, mgr_list_get(l, -1, &v));
	ERR(MGR_EINDEX, mgr_list_pop(l, -1, &v));
	ERR(MGR_EINDEX, mgr_list_set(l, 0, mgr_int(1)));
	ERR(MGR_EINDEX, mgr_list_del(l, 0));

	for (int i = 0; i < 3; i++) {
		OK(mgr_list_append(l, mgr_int(i)));
	}
	mgr_value ext[] = { mgr_str("a"), mgr_none() };
	OK(mgr_list_extend(l, mgr_list_of(ext, 2)));
	OK(mgr_list_extend(l, mgr_list_of(NULL, 0)));
	ERR(MGR_ETYPE, mgr_list_extend(l, mgr_int(3)));
	assert_list(l, "[0, 1, 2, 'a', None]");

	// Negative indexes count from the end.
	OK(mgr_list_get(l, -1, &v));
	assert_result(&v, "None");
	OK(mgr_list_get(l, -5, &v));
	assert_result(&v, "0");
	OK(mgr_list_get(l, 3, &v));
	assert_result(&v, "'a'");
	ERR(MGR_EINDEX, mgr_list_get(l, 5, &v));
	ERR(MGR_EINDEX, mgr_list_get(l, -6, &v));
	ERR(MGR_EINDEX, mgr_list_get(l, INT64_MAX, &v));
	ERR(MGR_EINDEX, mgr_list_get(l, INT64_MIN, &v));

	OK(mgr_list_set(l, -1, mgr_float(2.5)));
	OK(mgr_list_set(l, 0, mgr_str("zero")));
	ERR(MGR_EINDEX, mgr_list_set(l, 5, mgr_int(0)));
	ERR(MGR_EINDEX, mgr_list_set(l, -6, mgr_int(0)));
	assert_list(l, "['zero', 1, 2, 'a', 2.5]");

	// insert clamps as Python's list.insert.
	OK(mgr_list_insert(l, 100, mgr_str("end")));
	OK(mgr_list_insert(l, -100, mgr_str("start")));
	OK(mgr_list_insert(l, -1, mgr_str("before-last")));
	OK(mgr_list_insert(l, 1, mgr_str("second")));
	OK(mgr_list_insert(l, INT64_MIN, mgr_int(-1)));
	OK(mgr_list_insert(l, INT64_MAX, mgr_int(99)));
	assert_list(l,
	    "[-1, 'start', 'second', 'zero', 1, 2, 'a', 2.5, "
	    "'before-last', 'end', 99]");

	// del and pop, positive and negative.
	OK(mgr_list_del(l, 0));
	OK(mgr_list_del(l, -1));
	ERR(MGR_EINDEX, mgr_list_del(l, 9));
	ERR(MGR_EINDEX, mgr_list_del(l, -10));
	OK(mgr_list_pop(l, -1, &v));
	assert_result(&v, "'end'");
	OK(mgr_list_pop(l, 0, &v));
	assert_result(&v, "'start'");
	OK(mgr_list_pop(l, -2, &v));
	assert_result(&v, "2.5");
	ERR(MGR_EINDEX, mgr_list_pop(l, 6, &v));
	ERR(MGR_EINDEX, mgr_list_pop(l, -7, &v));
	assert_list(l, "['second', 'zero', 1, 2, 'a', 'before-last']");
	OK(mgr_obj_release(l));
}

static void
test_list_search(void **state)
{
	(void) state;
	mgr_obj  *l;
	mgr_value v;
	int64_t   idx;
	size_t    n;
	OK(mgr_list_new(F.c, &l));
	mgr_value start[] = { mgr_str("second"), mgr_str("zero"), mgr_int(1),
		mgr_int(2), mgr_str("a"), mgr_str("before-last") };
	OK(mgr_list_extend(l, mgr_list_of(start, 6)));
	assert_list(l, "['second', 'zero', 1, 2, 'a', 'before-last']");

	// remove, index, count: typed equality.
	OK(mgr_list_append(l, mgr_int(1)));
	OK(mgr_list_append(l, mgr_float(1.0)));
	OK(mgr_list_append(l, mgr_bool(true)));
	OK(mgr_list_count(l, mgr_int(1), &n));
	assert_int_equal(n, 2);
	OK(mgr_list_count(l, mgr_float(1.0), &n));
	assert_int_equal(n, 1);
	OK(mgr_list_count(l, mgr_str("nothing"), &n));
	assert_int_equal(n, 0);
	OK(mgr_list_index(l, mgr_int(1), &idx));
	assert_int_equal(idx, 2);
	OK(mgr_list_index(l, mgr_bool(true), &idx));
	assert_int_equal(idx, 8);
	ERR(MGR_EVALUE, mgr_list_index(l, mgr_int(42), &idx));
	ERR(MGR_EVALUE, mgr_list_index(l, mgr_bool(false), &idx));
	OK(mgr_list_remove(l, mgr_int(1))); // the first one only
	ERR(MGR_EVALUE, mgr_list_remove(l, mgr_str("nothing")));
	ERR(MGR_EVALUE, mgr_list_remove(l, mgr_float(2.0)));
	assert_list(
	    l, "['second', 'zero', 2, 'a', 'before-last', 1, 1.0, True]");

	OK(mgr_list_reverse(l));
	assert_list(
	    l, "[True, 1.0, 1, 'before-last', 'a', 2, 'zero', 'second']");

	// Nested values are copies: changing what we got changes nothing.
	mgr_value in[] = { mgr_int(1), mgr_int(2) };
	OK(mgr_list_append(l, mgr_list_of(in, 2)));
	OK(mgr_list_get(l, -1, &v));
	assert_int_equal(v.kind, MGR_LIST);
	mgr_value_free(&v);
	OK(mgr_list_index(l, mgr_list_of(in, 2), &idx));
	assert_int_equal(idx, 8);

	OK(mgr_list_clear(l));
	assert_int_equal(list_len(l), 0);
	assert_list(l, "[]");
	OK(mgr_obj_release(l));
}

static void
test_list_sort(void **state)
{
	(void) state;
	mgr_obj  *l;
	mgr_value v;
	OK(mgr_list_new(F.c, &l));
	OK(mgr_list_sort(l, false)); // empty: fine
	int nums[] = { 5, 3, 9, -1, 0, 3 };
	for (size_t i = 0; i < countof(nums); i++) {
		OK(mgr_list_append(l, mgr_int(nums[i])));
	}
	OK(mgr_list_sort(l, false));
	assert_list(l, "[-1, 0, 3, 3, 5, 9]");
	OK(mgr_list_sort(l, true));
	assert_list(l, "[9, 5, 3, 3, 0, -1]");

	// Numbers of the three kinds compare among themselves; the sort is
	// stable both ways (equal items keep their order, as in Python).
	OK(mgr_list_clear(l));
	mgr_value mixed[] = { mgr_int(2), mgr_int(1), mgr_float(1.0),
		mgr_bool(true), mgr_float(-0.5), mgr_bool(false) };
	OK(mgr_list_extend(l, mgr_list_of(mixed, countof(mixed))));
	OK(mgr_list_sort(l, false));
	assert_list(l, "[-0.5, False, 1, 1.0, True, 2]");
	OK(mgr_list_clear(l));
	OK(mgr_list_extend(l, mgr_list_of(mixed, countof(mixed))));
	OK(mgr_list_sort(l, true));
	assert_list(l, "[2, 1, 1.0, True, False, -0.5]");

	// Strings by code point, tuples lexicographically.
	OK(mgr_list_clear(l));
	const char *strs[] = { "b", "B", "a", "", "ab", "\xc3\xa9" };
	for (size_t i = 0; i < countof(strs); i++) {
		OK(mgr_list_append(l, mgr_str(strs[i])));
	}
	OK(mgr_list_sort(l, false));
	assert_list(l, "['', 'B', 'a', 'ab', 'b', '\xc3\xa9']");
	OK(mgr_list_clear(l));
	mgr_value t1[] = { mgr_int(1), mgr_str("b") };
	mgr_value t2[] = { mgr_int(1), mgr_str("a") };
	mgr_value t3[] = { mgr_int(0), mgr_str("z") };
	OK(mgr_list_append(l, mgr_tuple_of(t1, 2)));
	OK(mgr_list_append(l, mgr_tuple_of(t2, 2)));
	OK(mgr_list_append(l, mgr_tuple_of(t3, 2)));
	OK(mgr_list_append(l, mgr_tuple_of(t3, 1)));
	OK(mgr_list_sort(l, false));
	assert_list(l, "[(0,), (0, 'z'), (1, 'a'), (1, 'b')]");

	// Mixed types: TypeError and the list is unchanged.
	OK(mgr_list_clear(l));
	mgr_value bad[] = { mgr_int(3), mgr_str("x"), mgr_int(1) };
	OK(mgr_list_extend(l, mgr_list_of(bad, 3)));
	ERR(MGR_ETYPE, mgr_list_sort(l, false));
	ERR(MGR_ETYPE, mgr_list_sort(l, true));
	assert_list(l, "[3, 'x', 1]");
	OK(mgr_list_set(l, 1, mgr_none()));
	ERR(MGR_ETYPE, mgr_list_sort(l, false));
	assert_list(l, "[3, None, 1]");
	mgr_value d1[] = { mgr_int(1), mgr_int(1) };
	OK(mgr_list_clear(l));
	OK(mgr_list_append(l, mgr_dict_of(d1, 1)));
	OK(mgr_list_append(l, mgr_dict_of(d1, 1)));
	ERR(MGR_ETYPE, mgr_list_sort(l, false));
	OK(mgr_list_clear(l));
	OK(mgr_list_append(l, mgr_bytes("b", 1)));
	OK(mgr_list_append(l, mgr_str("a")));
	ERR(MGR_ETYPE, mgr_list_sort(l, false));
	assert_list(l, "[b'b', 'a']");

	OK(mgr_list_get(l, 0, &v));
	assert_result(&v, "b'b'");
	OK(mgr_obj_release(l));
}

static void
test_list_slice(void **state)
{
	(void) state;
	mgr_obj  *l;
	mgr_value v;
	OK(mgr_list_new(F.c, &l));
	OK(mgr_list_slice(l, 0, 10, &v));
	assert_result(&v, "[]");
	for (int i = 0; i < 10; i++) {
		OK(mgr_list_append(l, mgr_int(i)));
	}
	struct {
		int64_t     start, stop;
		const char *want;
	} cases[] = {
		{ 2, 5, "[2, 3, 4]" },
		{ 0, 10, "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" },
		{ -3, INT64_MAX, "[7, 8, 9]" },
		{ -100, 3, "[0, 1, 2]" },
		{ 8, 100, "[8, 9]" },
		{ 5, 2, "[]" },
		{ 5, 5, "[]" },
		{ -1, -3, "[]" },
		{ -4, -1, "[6, 7, 8]" },
		{ 10, 20, "[]" },
		{ 100, 200, "[]" },
		{ INT64_MIN, INT64_MAX, "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" },
		{ INT64_MIN, -9, "[0]" },
	};
	for (size_t i = 0; i < countof(cases); i++) {
		OK(mgr_list_slice(l, cases[i].start, cases[i].stop, &v));
		assert_int_equal(v.kind, MGR_LIST);
		assert_result(&v, cases[i].want);
	}
	// A slice is a copy: the list is unchanged.
	assert_int_equal(list_len(l), 10);
	OK(mgr_obj_release(l));
}

/* ---- namespace --------------------------------------------------------- */

static void
test_namespace_ops(void **state)
{
	(void) state;
	mgr_obj  *ns;
	mgr_value v;
	OK(mgr_ns_new(F.c, &ns));
	assert_string_equal(mgr_obj_type(ns), "namespace");
	OK(mgr_ns_items(ns, &v));
	assert_result(&v, "{}");
	ERR(MGR_EKEY, mgr_ns_get(ns, "x", &v));
	ERR(MGR_EKEY, mgr_ns_del(ns, "x"));

	OK(mgr_ns_set(ns, "x", mgr_int(1)));
	OK(mgr_ns_set(ns, "name", mgr_str("ns")));
	mgr_value items[] = { mgr_float(0.5), mgr_none() };
	OK(mgr_ns_set(ns, "lst", mgr_list_of(items, 2)));
	OK(mgr_ns_set(ns, "x", mgr_int(2))); // replace
	OK(mgr_ns_get(ns, "x", &v));
	assert_result(&v, "2");
	OK(mgr_ns_get(ns, "lst", &v));
	assert_result(&v, "[0.5, None]");
	ERR(MGR_EKEY, mgr_ns_get(ns, "X", &v));
	OK(mgr_ns_items(ns, &v));
	assert_int_equal(v.kind, MGR_DICT);
	assert_result(&v, "{'x': 2, 'name': 'ns', 'lst': [0.5, None]}");

	OK(mgr_ns_del(ns, "name"));
	ERR(MGR_EKEY, mgr_ns_del(ns, "name"));
	ERR(MGR_EKEY, mgr_ns_get(ns, "name", &v));
	OK(mgr_ns_items(ns, &v));
	assert_result(&v, "{'x': 2, 'lst': [0.5, None]}");
	ERR(MGR_EINVAL, mgr_ns_set(ns, NULL, mgr_int(1)));
	ERR(MGR_EINVAL, mgr_ns_get(ns, NULL, &v));
	OK(mgr_obj_release(ns));
}

/* ---- proxy types ------------------------------------------------------- */

static void
test_wrong_proxy_type(void **state)
{
	(void) state;
	mgr_obj  *d, *l, *ns;
	mgr_value v;
	size_t    n;
	bool      b;
	int64_t   i;
	OK(mgr_dict_new(F.c, &d));
	OK(mgr_list_new(F.c, &l));
	OK(mgr_ns_new(F.c, &ns));

	ERR(MGR_ETYPE, mgr_list_append(d, mgr_int(1)));
	ERR(MGR_ETYPE, mgr_list_len(d, &n));
	ERR(MGR_ETYPE, mgr_list_index(d, mgr_int(1), &i));
	ERR(MGR_ETYPE, mgr_list_sort(ns, false));
	ERR(MGR_ETYPE, mgr_dict_set(l, mgr_int(0), mgr_int(1)));
	ERR(MGR_ETYPE, mgr_dict_get(l, mgr_int(0), &v));
	ERR(MGR_ETYPE, mgr_dict_contains(ns, mgr_str("x"), &b));
	ERR(MGR_ETYPE, mgr_dict_incr(l, mgr_int(0), mgr_int(1), &v));
	ERR(MGR_ETYPE, mgr_dict_len(ns, &n));
	ERR(MGR_ETYPE, mgr_ns_set(d, "x", mgr_int(1)));
	ERR(MGR_ETYPE, mgr_ns_get(l, "x", &v));
	ERR(MGR_ETYPE, mgr_ns_items(d, &v));
	// A NULL proxy is a bad argument.
	ERR(MGR_EINVAL, mgr_dict_len(NULL, &n));
	ERR(MGR_EINVAL, mgr_list_append(NULL, mgr_int(1)));
	ERR(MGR_EINVAL, mgr_ns_get(NULL, "x", &v));
	ERR(MGR_EINVAL, mgr_dict_new(NULL, &d));
	ERR(MGR_EINVAL, mgr_dict_new(F.c, NULL));

	// Nothing was changed by the refused calls.
	assert_int_equal(dict_len(d), 0);
	assert_int_equal(list_len(l), 0);
	OK(mgr_ns_items(ns, &v));
	assert_result(&v, "{}");
	OK(mgr_obj_release(d));
	OK(mgr_obj_release(l));
	OK(mgr_obj_release(ns));
	OK(mgr_obj_release(NULL));
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dict_ops),
		T(test_dict_keys),
		T(test_dict_unhashable_lookup),
		T(test_dict_incr),
		T(test_dict_incr_threads),
		T(test_dict_incr_two_clients),
		T(test_list_ops),
		T(test_list_search),
		T(test_list_sort),
		T(test_list_slice),
		T(test_namespace_ops),
		T(test_wrong_proxy_type),
	};
	int failed = 0;
	failed += cmocka_run_group_tests_name(
	    "integration over ipc", tests, group_setup_ipc, group_teardown);
	failed += cmocka_run_group_tests_name(
	    "integration over tcp", tests, group_setup_tcp, group_teardown);
	failed += cmocka_run_group_tests_name("integration over nng ipc",
	    tests, group_setup_nng_ipc, group_teardown);
	failed += cmocka_run_group_tests_name("integration over nng tcp",
	    tests, group_setup_nng_tcp, group_teardown);
	failed += cmocka_run_group_tests_name("integration over tls+tcp",
	    tests, group_setup_tls, group_teardown);
	failed += cmocka_run_group_tests_name("integration over nng tls+tcp",
	    tests, group_setup_nng_tls, group_teardown);
	failed += cmocka_run_group_tests_name(
	    "integration over ws", tests, group_setup_ws, group_teardown);
	failed += cmocka_run_group_tests_name(
	    "integration over wss", tests, group_setup_wss, group_teardown);
	return failed == 0 ? 0 : 1;
}
