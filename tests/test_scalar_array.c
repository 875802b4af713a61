/* scalar (Python's Value) and array (Python's Array) against a real
 * managerd: every mgr_scalar_* and mgr_array_* call, with each typecode,
 * bad typecodes and values, Python's negative indexes, and slices checked
 * against a table generated with Python. Atomicity: scalar add from 4
 * threads (each its own connection) and from 2 exec'ed processes sums
 * exactly; concurrent adds stop exactly at the typecode's maximum. (The
 * typecodes themselves: test_typecode.c.) */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "typecode.h"
#include "typecode_cases.h"

/* The last error detail contains needle. */
#define DETAIL_HAS(needle)                                                   \
	do {                                                                 \
		if (strstr(mgr_errdetail(), (needle)) == NULL) {             \
			fail_msg("detail '%s' lacks '%s'", mgr_errdetail(),  \
			    (needle));                                       \
		}                                                            \
	} while (0)

/* ==== against a real managerd ==============================================
 */

static h_managerd  mgrd;
static mgr_client *cli;

static int
setup_manager(void **state)
{
	(void) state;
	if (h_managerd_start(&mgrd, H_IPC, NULL) != 0) {
		return -1;
	}
	if (h_connect(&mgrd, &cli) != 0) {
		h_managerd_cleanup(&mgrd);
		return -1;
	}
	return 0;
}

static int
teardown_manager(void **state)
{
	(void) state;
	mgr_disconnect(cli);
	int rc = h_managerd_stop(&mgrd);
	if (rc != 0) {
		fprintf(stderr, "managerd exited with %d\n", rc);
		h_managerd_dump_log(&mgrd);
	}
	h_managerd_cleanup(&mgrd);
	return rc == 0 ? 0 : -1;
}

static int64_t
count_objects(const char *type)
{
	int64_t n = -1;
	OK(h_info_objects(cli, type, &n));
	return n;
}

/* The scalar's value is the int want. */
static void
scalar_is_int(mgr_obj *s, int64_t want)
{
	mgr_value v;
	OK(mgr_scalar_get(s, &v));
	assert_int_equal(v.kind, MGR_INT);
	if (v.i != want) {
		fail_msg("scalar holds %lld, want %lld", (long long) v.i,
		    (long long) want);
	}
	mgr_value_free(&v);
}

/* The scalar's value is the float want (nan matches nan). */
static void
scalar_is_float(mgr_obj *s, double want)
{
	mgr_value v;
	OK(mgr_scalar_get(s, &v));
	assert_int_equal(v.kind, MGR_FLOAT);
	if (!(v.f == want || (isnan(v.f) && isnan(want)))) {
		fail_msg("scalar holds %.17g, want %.17g", v.f, want);
	}
	mgr_value_free(&v);
}

static void
test_scalar_each_typecode(void **state)
{
	(void) state;
	int64_t before = count_objects("scalar");
	for (size_t k = 0; k < N_INT_CASES; k++) {
		const int_case *ic = &int_cases[k];
		mgr_obj        *s;
		OK(mgr_scalar_new(cli, ic->code, mgr_int(ic->min), &s));
		assert_string_equal(mgr_obj_type(s), "scalar");
		scalar_is_int(s, ic->min);
		OK(mgr_scalar_set(s, mgr_int(ic->max)));
		scalar_is_int(s, ic->max);
		if (ic->below) {
			ERR(MGR_ERANGE,
			    mgr_scalar_set(s, mgr_int(ic->min - 1)));
			DETAIL_HAS("value out of range for typecode");
		}
		if (ic->above) {
			ERR(MGR_ERANGE,
			    mgr_scalar_set(s, mgr_int(ic->max + 1)));
			DETAIL_HAS("value out of range for typecode");
		}
		ERR(MGR_ETYPE, mgr_scalar_set(s, mgr_float(1.0)));
		DETAIL_HAS("'float' object cannot be interpreted");
		ERR(MGR_ETYPE, mgr_scalar_set(s, mgr_bool(true)));
		ERR(MGR_ETYPE, mgr_scalar_set(s, mgr_str("1")));
		ERR(MGR_ETYPE, mgr_scalar_set(s, mgr_none()));
		scalar_is_int(s, ic->max); // every failed set left it alone
		OK(mgr_obj_release(s));

		// Bad initial values.
		s = NULL;
		if (ic->above) {
			ERR(MGR_ERANGE,
			    mgr_scalar_new(
			        cli, ic->code, mgr_int(ic->max + 1), &s));
		}
		if (ic->below) {
			ERR(MGR_ERANGE,
			    mgr_scalar_new(
			        cli, ic->code, mgr_int(ic->min - 1), &s));
		}
		ERR(MGR_ETYPE,
		    mgr_scalar_new(cli, ic->code, mgr_float(2), &s));
		ERR(MGR_ETYPE,
		    mgr_scalar_new(cli, ic->code, mgr_bool(false), &s));
		assert_null(s);
	}

	mgr_obj *f, *d, *s = NULL;
	OK(mgr_scalar_new(cli, 'f', mgr_float(0.1), &f));
	OK(mgr_scalar_new(cli, 'd', mgr_float(0.1), &d));
	scalar_is_float(f, (double) 0.1f); // rounded, as c_float
	scalar_is_float(d, 0.1);
	OK(mgr_scalar_set(f, mgr_int(3))); // ints become floats
	OK(mgr_scalar_set(d, mgr_int(-3)));
	scalar_is_float(f, 3.0);
	scalar_is_float(d, -3.0);
	OK(mgr_scalar_set(f, mgr_float(FLT_MAX)));
	scalar_is_float(f, FLT_MAX);
	ERR(MGR_ERANGE, mgr_scalar_set(f, mgr_float(1e300)));
	DETAIL_HAS("value out of range for typecode 'f'");
	scalar_is_float(f, FLT_MAX);
	OK(mgr_scalar_set(d, mgr_float(1e300)));
	scalar_is_float(d, 1e300);
	OK(mgr_scalar_set(f, mgr_float(NAN)));
	scalar_is_float(f, NAN);
	OK(mgr_scalar_set(d, mgr_float(-INFINITY)));
	scalar_is_float(d, -INFINITY);
	ERR(MGR_ETYPE, mgr_scalar_set(d, mgr_str("1.5")));
	DETAIL_HAS("must be real number, not str");
	ERR(MGR_ETYPE, mgr_scalar_set(f, mgr_bool(true)));
	scalar_is_float(d, -INFINITY);
	ERR(MGR_ERANGE, mgr_scalar_new(cli, 'f', mgr_float(-1e39), &s));
	ERR(MGR_ETYPE, mgr_scalar_new(cli, 'd', mgr_none(), &s));
	ERR(MGR_ETYPE, mgr_scalar_new(cli, 'd', mgr_list_of(NULL, 0), &s));
	assert_null(s);
	OK(mgr_scalar_new(cli, 'd', mgr_int(7), &s));
	scalar_is_float(s, 7.0);
	OK(mgr_obj_release(s));
	OK(mgr_obj_release(f));
	OK(mgr_obj_release(d));
	// Failed creations left nothing behind.
	assert_int_equal(count_objects("scalar"), before);
}

static void
test_bad_typecodes(void **state)
{
	(void) state;
	int64_t    scalars = count_objects("scalar");
	int64_t    arrays  = count_objects("array");
	mgr_obj   *o       = NULL;
	mgr_value  one     = mgr_int(1);
	mgr_value  list    = mgr_list_of(&one, 1);
	const char bad[]   = { 'x', 'u', 'c', 'D', ' ', (char) 0xE9 };
	for (size_t k = 0; k < sizeof(bad); k++) {
		ERR(MGR_EINVAL, mgr_scalar_new(cli, bad[k], one, &o));
		DETAIL_HAS("bad typecode (must be b, B, h, H, i, I, l, L, q, "
		           "Q, f or d)");
		ERR(MGR_EINVAL, mgr_array_new(cli, bad[k], list, &o));
		DETAIL_HAS("bad typecode");
	}
	// A NUL cannot travel in a str: refused by the library.
	ERR(MGR_EINVAL, mgr_scalar_new(cli, '\0', one, &o));
	ERR(MGR_EINVAL, mgr_array_new(cli, '\0', list, &o));
	ERR(MGR_EINVAL, mgr_scalar_new(NULL, 'i', one, &o));
	ERR(MGR_EINVAL, mgr_scalar_new(cli, 'i', one, NULL));
	assert_null(o);
	assert_int_equal(count_objects("scalar"), scalars);
	assert_int_equal(count_objects("array"), arrays);
}

static void
test_scalar_add(void **state)
{
	(void) state;
	mgr_obj  *s;
	mgr_value v;

	// int + int stays int.
	OK(mgr_scalar_new(cli, 'i', mgr_int(40), &s));
	OK(mgr_scalar_add(s, mgr_int(2), &v));
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, 42);
	OK(mgr_scalar_add(s, mgr_int(-50), NULL));
	scalar_is_int(s, -8);
	// Overflow past the typecode's range: ERANGE, unchanged.
	OK(mgr_scalar_set(s, mgr_int(INT32_MAX - 1)));
	OK(mgr_scalar_add(s, mgr_int(1), &v));
	assert_int_equal(v.i, INT32_MAX);
	v = mgr_str("untouched");
	ERR(MGR_ERANGE, mgr_scalar_add(s, mgr_int(1), &v));
	DETAIL_HAS("value out of range for typecode 'i'");
	assert_int_equal(v.kind, MGR_STR); // out untouched on error
	scalar_is_int(s, INT32_MAX);
	// Deltas an int typecode cannot take.
	ERR(MGR_ETYPE, mgr_scalar_add(s, mgr_float(0.5), NULL));
	DETAIL_HAS("'float' object cannot be interpreted as an integer");
	ERR(MGR_ETYPE, mgr_scalar_add(s, mgr_str("1"), NULL));
	DETAIL_HAS("unsupported operand type(s) for +=: 'int' and 'str'");
	ERR(MGR_ETYPE, mgr_scalar_add(s, mgr_bool(true), NULL));
	scalar_is_int(s, INT32_MAX);
	OK(mgr_obj_release(s));

	struct {
		char    code;
		int64_t start, delta;
	} overflow[] = {
		{ 'b', INT8_MIN, -1 },
		{ 'B', UINT8_MAX, 1 },
		{ 'B', 0, -1 },
		{ 'h', INT16_MAX, 1 },
		{ 'H', 0, -1 },
		{ 'I', UINT32_MAX, 1 },
		{ 'l', INT64_MIN, -1 },
		{ 'q', INT64_MAX, 1 },
		{ 'q', -1, INT64_MIN },
		{ 'L', INT64_MAX,
		    1 }, // within uint64, out of reach of sint64
		{ 'Q', 0, -1 },
	};
	for (size_t k = 0; k < sizeof(overflow) / sizeof(overflow[0]); k++) {
		OK(mgr_scalar_new(
		    cli, overflow[k].code, mgr_int(overflow[k].start), &s));
		ERR(MGR_ERANGE,
		    mgr_scalar_add(s, mgr_int(overflow[k].delta), &v));
		scalar_is_int(s, overflow[k].start);
		OK(mgr_obj_release(s));
	}

	// Float adds on d and f; int deltas on them give floats.
	OK(mgr_scalar_new(cli, 'd', mgr_float(1.5), &s));
	OK(mgr_scalar_add(s, mgr_float(0.25), &v));
	assert_int_equal(v.kind, MGR_FLOAT);
	assert_true(v.f == 1.75);
	OK(mgr_scalar_add(s, mgr_int(2), &v));
	assert_int_equal(v.kind, MGR_FLOAT);
	assert_true(v.f == 3.75);
	ERR(MGR_ETYPE, mgr_scalar_add(s, mgr_none(), &v));
	DETAIL_HAS(
	    "unsupported operand type(s) for +=: 'float' and 'NoneType'");
	scalar_is_float(s, 3.75);
	OK(mgr_obj_release(s));

	OK(mgr_scalar_new(cli, 'f', mgr_float(0.1), &s));
	OK(mgr_scalar_add(s, mgr_float(0.2), &v));
	assert_int_equal(v.kind, MGR_FLOAT);
	assert_true(v.f == (double) (float) ((double) 0.1f + 0.2));
	OK(mgr_scalar_add(s, mgr_int(1), &v));
	assert_true(v.f
	    == (double) (float) ((double) (float) ((double) 0.1f + 0.2)
	        + 1.0));
	OK(mgr_scalar_set(s, mgr_float(FLT_MAX)));
	ERR(MGR_ERANGE, mgr_scalar_add(s, mgr_float(FLT_MAX), &v));
	scalar_is_float(s, FLT_MAX);
	OK(mgr_obj_release(s));

	// Calls on the wrong kind of proxy are refused.
	mgr_obj *a;
	OK(mgr_array_new(cli, 'i', mgr_list_of(NULL, 0), &a));
	ERR(MGR_ETYPE, mgr_scalar_get(a, &v));
	ERR(MGR_ETYPE, mgr_scalar_add(a, mgr_int(1), NULL));
	OK(mgr_obj_release(a));
	ERR(MGR_EINVAL, mgr_scalar_get(NULL, &v));
}

/* The array's items are want[0..n) (ints), read item by item and as a
 * slice. */
static void
array_is(mgr_obj *a, const int64_t *want, size_t n)
{
	size_t    len;
	mgr_value v;
	OK(mgr_array_len(a, &len));
	assert_int_equal(len, n);
	for (size_t k = 0; k < n; k++) {
		OK(mgr_array_get(a, (int64_t) k, &v));
		assert_int_equal(v.kind, MGR_INT);
		if (v.i != want[k]) {
			fail_msg("item %zu is %lld, want %lld", k,
			    (long long) v.i, (long long) want[k]);
		}
	}
	OK(mgr_array_slice(a, 0, (int64_t) n, &v));
	assert_int_equal(v.kind, MGR_LIST);
	assert_int_equal(v.len, n);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(v.items[k].kind, MGR_INT);
		assert_true(v.items[k].i == want[k]);
	}
	mgr_value_free(&v);
}

static void
test_array_each_typecode(void **state)
{
	(void) state;
	int64_t before = count_objects("array");
	for (size_t k = 0; k < N_INT_CASES; k++) {
		const int_case *ic     = &int_cases[k];
		int64_t         want[] = { ic->min, ic->max, 0, 1 };
		mgr_value       items[4];
		mgr_obj        *a = NULL;
		for (size_t j = 0; j < 4; j++) {
			items[j] = mgr_int(want[j]);
		}
		OK(mgr_array_new(cli, ic->code, mgr_list_of(items, 4), &a));
		assert_string_equal(mgr_obj_type(a), "array");
		array_is(a, want, 4);
		// Items are range-checked, on creation and on set.
		if (ic->above) {
			ERR(MGR_ERANGE,
			    mgr_array_set(a, 2, mgr_int(ic->max + 1)));
			DETAIL_HAS("value out of range for typecode");
			mgr_obj *b = NULL;
			items[3]   = mgr_int(ic->max + 1);
			ERR(MGR_ERANGE,
			    mgr_array_new(
			        cli, ic->code, mgr_list_of(items, 4), &b));
			DETAIL_HAS("(item 3)");
			assert_null(b);
			items[3] = mgr_int(1);
		}
		if (ic->below) {
			ERR(MGR_ERANGE,
			    mgr_array_set(a, 2, mgr_int(ic->min - 1)));
		}
		ERR(MGR_ETYPE, mgr_array_set(a, 2, mgr_float(1.0)));
		DETAIL_HAS(
		    "'float' object cannot be interpreted as an integer");
		ERR(MGR_ETYPE, mgr_array_set(a, 2, mgr_bool(true)));
		array_is(a, want, 4); // unchanged
		OK(mgr_array_set(a, 2, mgr_int(ic->max)));
		want[2] = ic->max;
		array_is(a, want, 4);
		OK(mgr_obj_release(a));

		mgr_obj *b = NULL;
		items[1]   = mgr_float(2.0);
		ERR(MGR_ETYPE,
		    mgr_array_new(cli, ic->code, mgr_list_of(items, 4), &b));
		DETAIL_HAS("(item 1)");
		assert_null(b);
	}

	// Float arrays: 'f' rounds, ints become floats.
	mgr_value items[] = { mgr_float(0.1), mgr_int(3), mgr_float(-0.5) };
	for (const char *p = "fd"; *p != '\0'; p++) {
		mgr_obj  *a;
		mgr_value v;
		double    first = *p == 'f' ? (double) 0.1f : 0.1;
		OK(mgr_array_new(cli, *p, mgr_list_of(items, 3), &a));
		OK(mgr_array_slice(a, 0, 3, &v));
		assert_int_equal(v.len, 3);
		assert_int_equal(v.items[0].kind, MGR_FLOAT);
		assert_true(v.items[0].f == first);
		assert_int_equal(v.items[1].kind, MGR_FLOAT);
		assert_true(v.items[1].f == 3.0);
		assert_true(v.items[2].f == -0.5);
		mgr_value_free(&v);
		OK(mgr_array_set(a, -1, mgr_float(0.2)));
		OK(mgr_array_get(a, 2, &v));
		assert_int_equal(v.kind, MGR_FLOAT);
		assert_true(v.f == (*p == 'f' ? (double) 0.2f : 0.2));
		ERR(MGR_ETYPE, mgr_array_set(a, 0, mgr_str("x")));
		DETAIL_HAS("must be real number, not str");
		OK(mgr_obj_release(a));
	}
	mgr_obj *a = NULL;
	items[1]   = mgr_float(1e300);
	ERR(MGR_ERANGE, mgr_array_new(cli, 'f', mgr_list_of(items, 3), &a));
	DETAIL_HAS("value out of range for typecode 'f' (item 1)");

	// The initializer must be a list (or a tuple).
	ERR(MGR_ETYPE, mgr_array_new(cli, 'i', mgr_int(3), &a));
	DETAIL_HAS("must be a list, not int");
	ERR(MGR_ETYPE, mgr_array_new(cli, 'i', mgr_str("abc"), &a));
	ERR(MGR_ETYPE, mgr_array_new(cli, 'i', mgr_none(), &a));
	ERR(MGR_ETYPE, mgr_array_new(cli, 'i', mgr_dict_of(NULL, 0), &a));
	assert_null(a);
	mgr_value t[] = { mgr_int(5), mgr_int(6) };
	OK(mgr_array_new(cli, 'h', mgr_tuple_of(t, 2), &a));
	array_is(a, (int64_t[]) { 5, 6 }, 2);
	OK(mgr_obj_release(a));
	assert_int_equal(count_objects("array"), before);
}

static void
test_array_indexes(void **state)
{
	(void) state;
	int64_t   want[] = { 1, 2, 3, 4, 5 };
	mgr_value items[5];
	mgr_value v;
	mgr_obj  *a;
	for (size_t k = 0; k < 5; k++) {
		items[k] = mgr_int(want[k]);
	}
	OK(mgr_array_new(cli, 'q', mgr_list_of(items, 5), &a));
	// Negative indexes count from the end, as in Python.
	for (int64_t i = -5; i < 5; i++) {
		OK(mgr_array_get(a, i, &v));
		assert_int_equal(v.i, want[i < 0 ? i + 5 : i]);
	}
	int64_t outside[] = { 5, 6, -6, INT64_MAX, INT64_MIN };
	for (size_t k = 0; k < sizeof(outside) / sizeof(outside[0]); k++) {
		v = mgr_str("untouched");
		ERR(MGR_EINDEX, mgr_array_get(a, outside[k], &v));
		DETAIL_HAS("array index out of range");
		assert_int_equal(v.kind, MGR_STR);
		ERR(MGR_EINDEX, mgr_array_set(a, outside[k], mgr_int(0)));
		DETAIL_HAS("array assignment index out of range");
		// The index is checked before the value.
		ERR(MGR_EINDEX, mgr_array_set(a, outside[k], mgr_str("x")));
	}
	array_is(a, want, 5);
	OK(mgr_array_set(a, -1, mgr_int(50)));
	OK(mgr_array_set(a, -5, mgr_int(10)));
	OK(mgr_array_set(a, 2, mgr_int(-30)));
	array_is(a, (int64_t[]) { 10, 2, -30, 4, 50 }, 5);
	// The length is fixed: nothing changes it.
	size_t n;
	OK(mgr_array_len(a, &n));
	assert_int_equal(n, 5);
	ERR(MGR_EINVAL, mgr_array_len(a, NULL));
	ERR(MGR_EINVAL, mgr_array_get(a, 0, NULL));
	ERR(MGR_EINVAL, mgr_array_slice(a, 0, 1, NULL));
	OK(mgr_obj_release(a));

	// An empty array.
	OK(mgr_array_new(cli, 'd', mgr_list_of(NULL, 0), &a));
	OK(mgr_array_len(a, &n));
	assert_int_equal(n, 0);
	ERR(MGR_EINDEX, mgr_array_get(a, 0, &v));
	ERR(MGR_EINDEX, mgr_array_get(a, -1, &v));
	ERR(MGR_EINDEX, mgr_array_set(a, 0, mgr_float(1)));
	OK(mgr_array_slice(a, INT64_MIN, INT64_MAX, &v));
	assert_int_equal(v.kind, MGR_LIST);
	assert_int_equal(v.len, 0);
	mgr_value_free(&v);
	OK(mgr_obj_release(a));

	// Array calls on a scalar proxy are refused.
	mgr_obj *s;
	OK(mgr_scalar_new(cli, 'i', mgr_int(0), &s));
	ERR(MGR_ETYPE, mgr_array_len(s, &n));
	ERR(MGR_ETYPE, mgr_array_set(s, 0, mgr_int(1)));
	OK(mgr_obj_release(s));
}

/* Python's slices of Array('h', [10, 20, 30, 40, 50]), generated with
 * python3 (3.11):
 *   a[start:stop] for start, stop in
 *   product([-2**63, -7, -5, -4, -1, 0, 1, 3, 5, 6, 2**63 - 1], repeat=2)
 */
static const struct slice_case {
	int64_t start, stop;
	size_t  n;
	int64_t items[5];
} slice_cases[] = {
	{ INT64_MIN, INT64_MIN, 0, { 0 } },
	{ INT64_MIN, -7, 0, { 0 } },
	{ INT64_MIN, -5, 0, { 0 } },
	{ INT64_MIN, -4, 1, { 10 } },
	{ INT64_MIN, -1, 4, { 10, 20, 30, 40 } },
	{ INT64_MIN, 0, 0, { 0 } },
	{ INT64_MIN, 1, 1, { 10 } },
	{ INT64_MIN, 3, 3, { 10, 20, 30 } },
	{ INT64_MIN, 5, 5, { 10, 20, 30, 40, 50 } },
	{ INT64_MIN, 6, 5, { 10, 20, 30, 40, 50 } },
	{ INT64_MIN, INT64_MAX, 5, { 10, 20, 30, 40, 50 } },
	{ -7, INT64_MIN, 0, { 0 } },
	{ -7, -7, 0, { 0 } },
	{ -7, -5, 0, { 0 } },
	{ -7, -4, 1, { 10 } },
	{ -7, -1, 4, { 10, 20, 30, 40 } },
	{ -7, 0, 0, { 0 } },
	{ -7, 1, 1, { 10 } },
	{ -7, 3, 3, { 10, 20, 30 } },
	{ -7, 5, 5, { 10, 20, 30, 40, 50 } },
	{ -7, 6, 5, { 10, 20, 30, 40, 50 } },
	{ -7, INT64_MAX, 5, { 10, 20, 30, 40, 50 } },
	{ -5, INT64_MIN, 0, { 0 } },
	{ -5, -7, 0, { 0 } },
	{ -5, -5, 0, { 0 } },
	{ -5, -4, 1, { 10 } },
	{ -5, -1, 4, { 10, 20, 30, 40 } },
	{ -5, 0, 0, { 0 } },
	{ -5, 1, 1, { 10 } },
	{ -5, 3, 3, { 10, 20, 30 } },
	{ -5, 5, 5, { 10, 20, 30, 40, 50 } },
	{ -5, 6, 5, { 10, 20, 30, 40, 50 } },
	{ -5, INT64_MAX, 5, { 10, 20, 30, 40, 50 } },
	{ -4, INT64_MIN, 0, { 0 } },
	{ -4, -7, 0, { 0 } },
	{ -4, -5, 0, { 0 } },
	{ -4, -4, 0, { 0 } },
	{ -4, -1, 3, { 20, 30, 40 } },
	{ -4, 0, 0, { 0 } },
	{ -4, 1, 0, { 0 } },
	{ -4, 3, 2, { 20, 30 } },
	{ -4, 5, 4, { 20, 30, 40, 50 } },
	{ -4, 6, 4, { 20, 30, 40, 50 } },
	{ -4, INT64_MAX, 4, { 20, 30, 40, 50 } },
	{ -1, INT64_MIN, 0, { 0 } },
	{ -1, -7, 0, { 0 } },
	{ -1, -5, 0, { 0 } },
	{ -1, -4, 0, { 0 } },
	{ -1, -1, 0, { 0 } },
	{ -1, 0, 0, { 0 } },
	{ -1, 1, 0, { 0 } },
	{ -1, 3, 0, { 0 } },
	{ -1, 5, 1, { 50 } },
	{ -1, 6, 1, { 50 } },
	{ -1, INT64_MAX, 1, { 50 } },
	{ 0, INT64_MIN, 0, { 0 } },
	{ 0, -7, 0, { 0 } },
	{ 0, -5, 0, { 0 } },
	{ 0, -4, 1, { 10 } },
	{ 0, -1, 4, { 10, 20, 30, 40 } },
	{ 0, 0, 0, { 0 } },
	{ 0, 1, 1, { 10 } },
	{ 0, 3, 3, { 10, 20, 30 } },
	{ 0, 5, 5, { 10, 20, 30, 40, 50 } },
	{ 0, 6, 5, { 10, 20, 30, 40, 50 } },
	{ 0, INT64_MAX, 5, { 10, 20, 30, 40, 50 } },
	{ 1, INT64_MIN, 0, { 0 } },
	{ 1, -7, 0, { 0 } },
	{ 1, -5, 0, { 0 } },
	{ 1, -4, 0, { 0 } },
	{ 1, -1, 3, { 20, 30, 40 } },
	{ 1, 0, 0, { 0 } },
	{ 1, 1, 0, { 0 } },
	{ 1, 3, 2, { 20, 30 } },
	{ 1, 5, 4, { 20, 30, 40, 50 } },
	{ 1, 6, 4, { 20, 30, 40, 50 } },
	{ 1, INT64_MAX, 4, { 20, 30, 40, 50 } },
	{ 3, INT64_MIN, 0, { 0 } },
	{ 3, -7, 0, { 0 } },
	{ 3, -5, 0, { 0 } },
	{ 3, -4, 0, { 0 } },
	{ 3, -1, 1, { 40 } },
	{ 3, 0, 0, { 0 } },
	{ 3, 1, 0, { 0 } },
	{ 3, 3, 0, { 0 } },
	{ 3, 5, 2, { 40, 50 } },
	{ 3, 6, 2, { 40, 50 } },
	{ 3, INT64_MAX, 2, { 40, 50 } },
	{ 5, INT64_MIN, 0, { 0 } },
	{ 5, -7, 0, { 0 } },
	{ 5, -5, 0, { 0 } },
	{ 5, -4, 0, { 0 } },
	{ 5, -1, 0, { 0 } },
	{ 5, 0, 0, { 0 } },
	{ 5, 1, 0, { 0 } },
	{ 5, 3, 0, { 0 } },
	{ 5, 5, 0, { 0 } },
	{ 5, 6, 0, { 0 } },
	{ 5, INT64_MAX, 0, { 0 } },
	{ 6, INT64_MIN, 0, { 0 } },
	{ 6, -7, 0, { 0 } },
	{ 6, -5, 0, { 0 } },
	{ 6, -4, 0, { 0 } },
	{ 6, -1, 0, { 0 } },
	{ 6, 0, 0, { 0 } },
	{ 6, 1, 0, { 0 } },
	{ 6, 3, 0, { 0 } },
	{ 6, 5, 0, { 0 } },
	{ 6, 6, 0, { 0 } },
	{ 6, INT64_MAX, 0, { 0 } },
	{ INT64_MAX, INT64_MIN, 0, { 0 } },
	{ INT64_MAX, -7, 0, { 0 } },
	{ INT64_MAX, -5, 0, { 0 } },
	{ INT64_MAX, -4, 0, { 0 } },
	{ INT64_MAX, -1, 0, { 0 } },
	{ INT64_MAX, 0, 0, { 0 } },
	{ INT64_MAX, 1, 0, { 0 } },
	{ INT64_MAX, 3, 0, { 0 } },
	{ INT64_MAX, 5, 0, { 0 } },
	{ INT64_MAX, 6, 0, { 0 } },
	{ INT64_MAX, INT64_MAX, 0, { 0 } },
};

static void
test_array_slices(void **state)
{
	(void) state;
	mgr_value items[5];
	mgr_obj  *a;
	for (size_t k = 0; k < 5; k++) {
		items[k] = mgr_int(10 * ((int64_t) k + 1));
	}
	OK(mgr_array_new(cli, 'h', mgr_list_of(items, 5), &a));
	for (size_t k = 0; k < sizeof(slice_cases) / sizeof(slice_cases[0]);
	     k++) {
		const struct slice_case *sc = &slice_cases[k];
		mgr_value                v;
		OK(mgr_array_slice(a, sc->start, sc->stop, &v));
		assert_int_equal(v.kind, MGR_LIST);
		if (v.len != sc->n) {
			fail_msg("a[%lld:%lld] has %zu items, want %zu",
			    (long long) sc->start, (long long) sc->stop,
			    v.len, sc->n);
		}
		for (size_t j = 0; j < sc->n; j++) {
			assert_int_equal(v.items[j].kind, MGR_INT);
			assert_true(v.items[j].i == sc->items[j]);
		}
		mgr_value_free(&v);
	}
	OK(mgr_obj_release(a));
}

/* ---- atomicity ------------------------------------------------------------
 */

#define ADDERS 4
#define ADDS   300

typedef struct adder {
	const char        *token;
	int64_t            delta;
	int                n;
	pthread_barrier_t *start;
	int                setup_rc; /* connect / attach */
	int                ok, erange, other;
} adder;

/* Adds delta n times to the scalar named by token, over its own
 * connection, once every adder is ready. */
static void *
adder_main(void *arg)
{
	adder      *ad = arg;
	mgr_client *c  = NULL;
	mgr_obj    *s  = NULL;
	ad->setup_rc   = h_connect(&mgrd, &c);
	if (ad->setup_rc == 0) {
		ad->setup_rc = mgr_attach(c, ad->token, &s);
	}
	pthread_barrier_wait(ad->start);
	for (int i = 0; i < ad->n && ad->setup_rc == 0; i++) {
		int rc = mgr_scalar_add(s, mgr_int(ad->delta), NULL);
		if (rc == 0) {
			ad->ok++;
		} else if (rc == MGR_ERANGE) {
			ad->erange++;
		} else {
			ad->other++;
		}
	}
	mgr_obj_release(s);
	mgr_disconnect(c);
	return NULL;
}

/* Runs ADDERS threads of n adds of delta on s; their results in ads. */
static void
run_adders(mgr_obj *s, int64_t delta, int n, adder *ads)
{
	char              token[64];
	pthread_t         th[ADDERS];
	pthread_barrier_t start;
	OK(mgr_obj_token(s, token, sizeof(token)));
	assert_int_equal(pthread_barrier_init(&start, NULL, ADDERS), 0);
	for (int k = 0; k < ADDERS; k++) {
		ads[k] = (adder) { .token = token,
			.delta            = delta,
			.n                = n,
			.start            = &start };
		assert_int_equal(
		    pthread_create(&th[k], NULL, adder_main, &ads[k]), 0);
	}
	for (int k = 0; k < ADDERS; k++) {
		pthread_join(th[k], NULL);
		assert_int_equal(ads[k].setup_rc, 0);
		assert_int_equal(ads[k].other, 0);
	}
	pthread_barrier_destroy(&start);
}

static void
test_scalar_add_threads(void **state)
{
	(void) state;
	adder    ads[ADDERS];
	mgr_obj *s;
	OK(mgr_scalar_new(cli, 'i', mgr_int(1000), &s));
	run_adders(s, 1, ADDS, ads);
	for (int k = 0; k < ADDERS; k++) {
		assert_int_equal(ads[k].ok, ADDS);
	}
	scalar_is_int(s, 1000 + ADDERS * ADDS);
	OK(mgr_obj_release(s));

	// Racing past the maximum: exactly 127 adds succeed in all, the
	// others get ERANGE, and the value stops at the maximum.
	OK(mgr_scalar_new(cli, 'b', mgr_int(0), &s));
	run_adders(s, 1, 100, ads);
	int ok = 0, erange = 0;
	for (int k = 0; k < ADDERS; k++) {
		ok += ads[k].ok;
		erange += ads[k].erange;
	}
	assert_int_equal(ok, INT8_MAX);
	assert_int_equal(erange, ADDERS * 100 - INT8_MAX);
	scalar_is_int(s, INT8_MAX);
	OK(mgr_obj_release(s));
}

static void
test_scalar_add_processes(void **state)
{
	(void) state;
	char     token[64], url_env[600], key_env[100], line[64];
	char     path[]  = MGR_TESTS_DIR "/child_scalar_add";
	char     count[] = "300";
	h_child  ch[2];
	mgr_obj *s;

	OK(mgr_scalar_new(cli, 'q', mgr_int(-5), &s));
	OK(mgr_obj_token(s, token, sizeof(token)));
	snprintf(url_env, sizeof(url_env), "MGR_URL=%s", mgrd.url);
	snprintf(key_env, sizeof(key_env), "MGR_AUTHKEY=%s", mgrd.key);
	const char *env[]  = { url_env, key_env, NULL };
	char       *argv[] = { path, token, count, NULL };
	for (int k = 0; k < 2; k++) {
		assert_int_equal(
		    h_spawn(&ch[k], path, argv, env, H_PIPE_IN | H_PIPE_OUT),
		    0);
	}
	for (int k = 0; k < 2; k++) {
		assert_int_equal(
		    h_child_read_line(&ch[k], line, sizeof(line), H_START_MS),
		    0);
		assert_string_equal(line, "ready");
	}
	// Both start together, and this process adds at the same time.
	for (int k = 0; k < 2; k++) {
		assert_int_equal(write(ch[k].in_fd, "go\n", 3), 3);
	}
	for (int i = 0; i < 300; i++) {
		OK(mgr_scalar_add(s, mgr_int(1), NULL));
	}
	for (int k = 0; k < 2; k++) {
		assert_int_equal(
		    h_child_read_line(&ch[k], line, sizeof(line), H_START_MS),
		    0);
		assert_string_equal(line, "done");
		assert_int_equal(h_child_wait(&ch[k], H_STOP_MS), 0);
	}
	scalar_is_int(s, -5 + 3 * 300);
	OK(mgr_obj_release(s));
}

/* get_lock(): one rlock per scalar or array, the same from every proxy
 * (here a second client's), made once and freed with its object. */
static void
test_get_lock(void **state)
{
	(void) state;
	mgr_obj    *s, *a, *l1, *l2, *s2, *la, *d;
	mgr_client *other;
	char        tok[128];
	bool        locked;
	int64_t     rlocks0 = count_objects("rlock");
	OK(mgr_scalar_new(cli, 'i', mgr_int(0), &s));
	OK(mgr_obj_get_lock(s, &l1));
	assert_string_equal(mgr_obj_type(l1), "rlock");
	OK(h_connect(&mgrd, &other));
	OK(mgr_obj_token(s, tok, sizeof(tok)));
	OK(mgr_attach(other, tok, &s2));
	OK(mgr_obj_get_lock(s2, &l2));
	assert_int_equal(mgr_obj_id(l1), mgr_obj_id(l2)); // the same lock
	OK(mgr_acquire(l1, 0));
	OK(mgr_acquire(l1, 0)); // an rlock: re-entered by its owner
	OK(mgr_locked(l2, &locked));
	assert_true(locked);
	assert_int_equal(mgr_acquire(l2, 0), MGR_ETIMEDOUT);
	OK(mgr_release(l1));
	OK(mgr_release(l1));
	OK(mgr_acquire(l2, 0));
	OK(mgr_release(l2));
	OK(mgr_obj_release(l2));
	OK(mgr_obj_release(s2));
	mgr_disconnect(other);
	// An array's, and not for other types.
	mgr_value init[2] = { mgr_float(1), mgr_float(2) };
	OK(mgr_array_new(cli, 'd', mgr_list_of(init, 2), &a));
	OK(mgr_obj_get_lock(a, &la));
	assert_true(mgr_obj_id(la) != mgr_obj_id(l1));
	OK(mgr_dict_new(cli, &d));
	assert_int_equal(mgr_obj_get_lock(d, &l2), MGR_ETYPE);
	assert_int_equal(count_objects("rlock"), rlocks0 + 2);
	// The objects keep their locks alive; with them, they go.
	OK(mgr_obj_release(l1));
	OK(mgr_obj_release(la));
	assert_int_equal(count_objects("rlock"), rlocks0 + 2);
	OK(mgr_obj_release(s));
	OK(mgr_obj_release(a));
	OK(mgr_obj_release(d));
	assert_int_equal(count_objects("rlock"), rlocks0);
}

int
main(void)
{
	const struct CMUnitTest integration[] = {
		cmocka_unit_test(test_scalar_each_typecode),
		cmocka_unit_test(test_bad_typecodes),
		cmocka_unit_test(test_scalar_add),
		cmocka_unit_test(test_array_each_typecode),
		cmocka_unit_test(test_array_indexes),
		cmocka_unit_test(test_array_slices),
		cmocka_unit_test(test_scalar_add_threads),
		cmocka_unit_test(test_scalar_add_processes),
		cmocka_unit_test(test_get_lock),
	};
	return cmocka_run_group_tests_name(
	    "scalar_array", integration, setup_manager, teardown_manager);
}
