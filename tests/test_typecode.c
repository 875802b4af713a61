/* typecode.c in-process (Python's Value and Array typecodes): every
 * typecode's min and max and one past them, storage width, float rounding
 * for 'f', type errors, add. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mgr.h"
#include "typecode.h"
#include "typecode_cases.h"

/* A cell filled with a pattern, to see which bytes a store wrote. */
static void
fill(unsigned char *cell, size_t n)
{
	memset(cell, 0xA5, n);
}

static bool
untouched(const unsigned char *cell, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++) {
		if (cell[i] != 0xA5) {
			return false;
		}
	}
	return true;
}

/* Stores v into a fresh cell of t and loads it back; checks that only
 * t->size bytes were written. */
static sval
roundtrip(const tcode *t, sval v)
{
	unsigned char cell[TC_MAX_SIZE + 8];
	char          err[200] = "";
	fill(cell, sizeof(cell));
	int rc = tc_store(t, &v, cell, err, sizeof(err));
	if (rc != 0) {
		fail_msg("store into '%c': %s (%s)", t->code,
		    mgr_strerror(rc), err);
	}
	assert_true(untouched(cell, t->size, sizeof(cell)));
	return tc_load(t, cell);
}

/* Storing v into t fails with want (and a detail holding needle), leaving
 * the cell untouched. */
static void
store_fails(const tcode *t, sval v, int want, const char *needle)
{
	unsigned char cell[TC_MAX_SIZE];
	char          err[200] = "";
	fill(cell, sizeof(cell));
	int rc = tc_store(t, &v, cell, err, sizeof(err));
	if (rc != want) {
		fail_msg("store into '%c': got %s, want %s", t->code,
		    mgr_strerror(rc), mgr_strerror(want));
	}
	assert_true(untouched(cell, 0, sizeof(cell)));
	assert_int_equal(tc_check(t, &v, NULL, 0), want);
	if (strstr(err, needle) == NULL) {
		fail_msg("detail '%s' lacks '%s'", err, needle);
	}
}

static void
test_tc_lookup(void **state)
{
	(void) state;
	const char *all = "bBhHiIlLqQfd";
	for (const char *p = all; *p != '\0'; p++) {
		const tcode *t = tc_find(*p);
		assert_non_null(t);
		assert_int_equal(t->code, *p);
		assert_ptr_equal(tc_from_str(p, 1), t);
		assert_true(t->size <= TC_MAX_SIZE);
	}
	assert_int_equal(tc_find('f')->size, 4);
	assert_int_equal(tc_find('d')->size, 8);
	// 'u' and 'c' are Python typecodes this port does not offer.
	assert_null(tc_find('u'));
	assert_null(tc_find('c'));
	assert_null(tc_find('x'));
	assert_null(tc_find('\0'));
	assert_null(tc_from_str("", 0));
	assert_null(tc_from_str("ii", 2));
	assert_null(tc_from_str("\0", 1));
}

static void
test_tc_int_ranges(void **state)
{
	(void) state;
	char needle[64];
	for (size_t k = 0; k < N_INT_CASES; k++) {
		const int_case *ic = &int_cases[k];
		const tcode    *t  = tc_find(ic->code);
		assert_non_null(t);
		assert_int_equal(t->size, ic->size);
		assert_int_equal(
		    t->kind, ic->min < 0 ? TC_SIGNED : TC_UNSIGNED);
		sval v = roundtrip(t, sv_int(ic->min));
		assert_int_equal(v.kind, SV_INT);
		assert_true(v.i == ic->min);
		v = roundtrip(t, sv_int(ic->max));
		assert_int_equal(v.kind, SV_INT);
		assert_true(v.i == ic->max);
		v = roundtrip(t, sv_int(-1 < ic->min ? 1 : -1));
		assert_true(v.i == (-1 < ic->min ? 1 : -1));
		snprintf(needle, sizeof(needle),
		    "value out of range for typecode '%c'", ic->code);
		if (ic->below) {
			store_fails(
			    t, sv_int(ic->min - 1), MGR_ERANGE, needle);
		}
		if (ic->above) {
			store_fails(
			    t, sv_int(ic->max + 1), MGR_ERANGE, needle);
		}
		// Far past: the int64 extremes.
		if (ic->min != INT64_MIN) {
			store_fails(t, sv_int(INT64_MIN), MGR_ERANGE, needle);
		}
		if (ic->max != INT64_MAX) {
			store_fails(t, sv_int(INT64_MAX), MGR_ERANGE, needle);
		}
	}
}

static void
test_tc_int_types(void **state)
{
	(void) state;
	sval s;
	assert_int_equal(sv_str(&s, SV_STR, "1", 1), 0);
	for (size_t k = 0; k < N_INT_CASES; k++) {
		const tcode *t = tc_find(int_cases[k].code);
		// As ctypes: a float is refused, even an integral one.
		store_fails(t, sv_float(1.0), MGR_ETYPE,
		    "'float' object cannot be interpreted as an integer");
		// Deviation: typed values, so True is not 1.
		store_fails(t, sv_bool(true), MGR_ETYPE,
		    "'bool' object cannot be interpreted as an integer");
		store_fails(t, s, MGR_ETYPE,
		    "'str' object cannot be interpreted as an integer");
		store_fails(t, SV_NONE_INIT, MGR_ETYPE,
		    "'NoneType' object cannot be interpreted as an integer");
	}
	for (const char *p = "fd"; *p != '\0'; p++) {
		const tcode *t = tc_find(*p);
		store_fails(t, s, MGR_ETYPE, "must be real number, not str");
		store_fails(t, sv_bool(false), MGR_ETYPE,
		    "must be real number, not bool");
		store_fails(t, SV_NONE_INIT, MGR_ETYPE,
		    "must be real number, not NoneType");
	}
	sv_free(&s);
}

static void
test_tc_floats(void **state)
{
	(void) state;
	const tcode *f = tc_find('f'), *d = tc_find('d');
	assert_int_equal(f->kind, TC_FLOAT);
	assert_int_equal(d->kind, TC_FLOAT);

	// 'f' rounds to float precision, as ctypes' c_float does.
	sval v = roundtrip(f, sv_float(0.1));
	assert_int_equal(v.kind, SV_FLOAT);
	assert_true(v.f == (double) 0.1f);
	assert_true(v.f != 0.1);
	v = roundtrip(d, sv_float(0.1));
	assert_true(v.f == 0.1);
	// Ints are taken and become floats (rounded for 'f': 2^24 + 1).
	v = roundtrip(f, sv_int(16777217));
	assert_int_equal(v.kind, SV_FLOAT);
	assert_true(v.f == 16777216.0);
	v = roundtrip(d, sv_int(-3));
	assert_int_equal(v.kind, SV_FLOAT);
	assert_true(v.f == -3.0);
	v = roundtrip(d, sv_int(INT64_MAX));
	assert_true(v.f == 9223372036854775808.0);

	// 'f' limits: FLT_MAX and what still rounds to it are kept; from the
	// midpoint to 2^128 on, a finite value would become inf: ERANGE.
	const double mid = 0x1.ffffffp+127;
	v                = roundtrip(f, sv_float(FLT_MAX));
	assert_true(v.f == FLT_MAX);
	v = roundtrip(f, sv_float(-FLT_MAX));
	assert_true(v.f == -FLT_MAX);
	v = roundtrip(f, sv_float(nextafter(mid, 0)));
	assert_true(v.f == FLT_MAX);
	store_fails(f, sv_float(mid), MGR_ERANGE,
	    "value out of range for typecode 'f'");
	store_fails(f, sv_float(-mid), MGR_ERANGE,
	    "value out of range for typecode 'f'");
	store_fails(f, sv_float(DBL_MAX), MGR_ERANGE,
	    "value out of range for typecode 'f'");
	// Underflow is rounding, not an error (as struct.pack('f')).
	v = roundtrip(f, sv_float(1e-50));
	assert_true(v.f == 0.0);
	v = roundtrip(f, sv_float(FLT_TRUE_MIN));
	assert_true(v.f == FLT_TRUE_MIN);
	// inf and nan are values of both.
	v = roundtrip(f, sv_float(INFINITY));
	assert_true(isinf(v.f) && v.f > 0);
	v = roundtrip(f, sv_float(-INFINITY));
	assert_true(isinf(v.f) && v.f < 0);
	v = roundtrip(f, sv_float(NAN));
	assert_true(isnan(v.f));
	// 'd': the whole double range.
	v = roundtrip(d, sv_float(DBL_MAX));
	assert_true(v.f == DBL_MAX);
	v = roundtrip(d, sv_float(-DBL_MAX));
	assert_true(v.f == -DBL_MAX);
	v = roundtrip(d, sv_float(DBL_TRUE_MIN));
	assert_true(v.f == DBL_TRUE_MIN);
	v = roundtrip(d, sv_float(NAN));
	assert_true(isnan(v.f));
}

/* tc_add on a cell of t holding start: want rc; on success the result and
 * the stored value are expect (an int or a float per t); on error the
 * cell is unchanged. */
static void
add_case(char code, sval start, sval delta, int want, sval expect,
    const char *needle)
{
	const tcode  *t = tc_find(code);
	unsigned char cell[TC_MAX_SIZE];
	char          err[200] = "";
	sval          res      = sv_int(12345);
	assert_int_equal(tc_store(t, &start, cell, NULL, 0), 0);
	sval before = tc_load(t, cell);
	int  rc     = tc_add(t, cell, &delta, &res, err, sizeof(err));
	if (rc != want) {
		fail_msg("'%c' add: got %s, want %s (%s)", code,
		    mgr_strerror(rc), mgr_strerror(want), err);
	}
	sval now = tc_load(t, cell);
	if (rc != 0) {
		assert_true(sv_equal(&now, &before));
		assert_true(res.kind == SV_INT && res.i == 12345);
		if (strstr(err, needle) == NULL) {
			fail_msg("detail '%s' lacks '%s'", err, needle);
		}
		return;
	}
	assert_true(sv_equal(&res, &expect));
	assert_true(sv_equal(&now, &expect));
}

static void
test_tc_add(void **state)
{
	(void) state;
	sval        none  = SV_NONE_INIT;
	const char *range = "value out of range for typecode";
	// int + int stays int.
	add_case('i', sv_int(5), sv_int(-7), 0, sv_int(-2), NULL);
	add_case('B', sv_int(254), sv_int(1), 0, sv_int(255), NULL);
	add_case('q', sv_int(INT64_MAX - 1), sv_int(1), 0, sv_int(INT64_MAX),
	    NULL);
	// Past the typecode's range: ERANGE, unchanged.
	add_case('b', sv_int(127), sv_int(1), MGR_ERANGE, none, range);
	add_case('b', sv_int(-128), sv_int(-1), MGR_ERANGE, none, range);
	add_case('B', sv_int(0), sv_int(-1), MGR_ERANGE, none, range);
	add_case('H', sv_int(65535), sv_int(1), MGR_ERANGE, none, range);
	add_case('i', sv_int(INT32_MAX), sv_int(1), MGR_ERANGE, none, range);
	add_case('I', sv_int(1), sv_int(INT64_MIN), MGR_ERANGE, none, range);
	// Past int64 itself (the sum overflows before the range check).
	add_case('q', sv_int(INT64_MAX), sv_int(1), MGR_ERANGE, none, range);
	add_case('l', sv_int(INT64_MIN), sv_int(-1), MGR_ERANGE, none, range);
	add_case('Q', sv_int(INT64_MAX), sv_int(1), MGR_ERANGE, none, range);
	add_case('L', sv_int(INT64_MAX), sv_int(INT64_MAX), MGR_ERANGE, none,
	    range);
	// An int typecode cannot hold int + float.
	add_case('i', sv_int(1), sv_float(0.5), MGR_ETYPE, none,
	    "'float' object cannot be interpreted as an integer");
	add_case('i', sv_int(1), sv_float(1.0), MGR_ETYPE, none,
	    "'float' object cannot be interpreted as an integer");
	add_case('i', sv_int(1), sv_bool(true), MGR_ETYPE, none,
	    "unsupported operand type(s) for +=: 'int' and 'bool'");
	add_case('d', sv_float(1), none, MGR_ETYPE, none,
	    "unsupported operand type(s) for +=: 'float' and 'NoneType'");
	// Float typecodes take float and int deltas; 'f' rounds the sum.
	add_case('d', sv_float(1.5), sv_float(0.25), 0, sv_float(1.75), NULL);
	add_case('d', sv_float(1.5), sv_int(2), 0, sv_float(3.5), NULL);
	add_case('d', sv_int(7), sv_int(-7), 0, sv_float(0.0), NULL);
	add_case('f', sv_float(0.1), sv_float(0.2), 0,
	    sv_float((float) ((double) 0.1f + 0.2)), NULL);
	add_case('f', sv_float(16777216.0), sv_int(1), 0,
	    sv_float(16777216.0), NULL);
	add_case('f', sv_float(FLT_MAX), sv_float(FLT_MAX), MGR_ERANGE, none,
	    "value out of range for typecode 'f'");
	// 'd' is Python's float: overflow is inf, not an error.
	add_case('d', sv_float(DBL_MAX), sv_float(DBL_MAX), 0,
	    sv_float(INFINITY), NULL);

	// The result pointer may be NULL.
	const tcode  *t = tc_find('h');
	unsigned char cell[TC_MAX_SIZE];
	sval          one = sv_int(1), two = sv_int(2);
	assert_int_equal(tc_store(t, &one, cell, NULL, 0), 0);
	assert_int_equal(tc_add(t, cell, &two, NULL, NULL, 0), 0);
	assert_true(tc_load(t, cell).i == 3);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_tc_lookup),
		cmocka_unit_test(test_tc_int_ranges),
		cmocka_unit_test(test_tc_int_types),
		cmocka_unit_test(test_tc_floats),
		cmocka_unit_test(test_tc_add),
	};
	return cmocka_run_group_tests_name("typecode", unit, NULL, NULL);
}
