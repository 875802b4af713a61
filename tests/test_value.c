/* Values of libmgr: constructors, free, Python's repr, typed equality and
 * copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "value_fixture.h"

/* ---- constructors and free --------------------------------------------- */

static void
test_constructors(void **state)
{
	(void) state;
	char      text[] = "hello world";
	mgr_value items[2];
	mgr_obj   o
	    = { .client = NULL, .id = 5, .type = MGR__OBJ_TYPE__OBJ_LIST };
	mgr_value v;

	v = mgr_none();
	assert_int_equal(v.kind, MGR_NONE);
	assert_int_equal(v.flags, 0);
	v = mgr_bool(true);
	assert_int_equal(v.kind, MGR_BOOL);
	assert_true(v.b);
	v = mgr_int(INT64_MIN);
	assert_int_equal(v.kind, MGR_INT);
	assert_true(v.i == INT64_MIN);
	v = mgr_float(0.5);
	assert_int_equal(v.kind, MGR_FLOAT);
	assert_true(v.f == 0.5);
	v = mgr_str(text);
	assert_int_equal(v.kind, MGR_STR);
	assert_ptr_equal(v.s, text);
	assert_int_equal(v.len, 11);
	v = mgr_str(NULL);
	assert_null(v.s);
	assert_int_equal(v.len, 0);
	v = mgr_strn(text, 5);
	assert_int_equal(v.kind, MGR_STR);
	assert_int_equal(v.len, 5);
	v = mgr_bytes(text, 3);
	assert_int_equal(v.kind, MGR_BYTES);
	assert_ptr_equal(v.bytes, text);
	assert_int_equal(v.len, 3);
	v = mgr_ref(&o);
	assert_int_equal(v.kind, MGR_REF);
	assert_ptr_equal(mgr_value_ref(&v), &o);
	v = mgr_list_of(items, 2);
	assert_int_equal(v.kind, MGR_LIST);
	assert_ptr_equal(v.items, items);
	assert_int_equal(v.len, 2);
	v = mgr_tuple_of(items, 1);
	assert_int_equal(v.kind, MGR_TUPLE);
	assert_int_equal(v.len, 1);
	v = mgr_dict_of(items, 1);
	assert_int_equal(v.kind, MGR_DICT);
	assert_ptr_equal(v.pairs, items);
	assert_int_equal(v.flags, 0);

	assert_null(mgr_value_ref(&v));
	assert_null(mgr_value_ref(NULL));
}

static void
test_free_borrowed(void **state)
{
	(void) state;
	char      text[] = "abc";
	mgr_obj   o      = { .id = 5, .type = MGR__OBJ_TYPE__OBJ_DICT };
	mgr_value items[2];
	mgr_value all[8];
	size_t    n = 0;

	items[0] = mgr_str(text);
	items[1] = mgr_ref(&o);
	all[n++] = mgr_str(text);
	all[n++] = mgr_bytes(text, 3);
	all[n++] = mgr_ref(&o);
	all[n++] = mgr_list_of(items, 2);
	all[n++] = mgr_tuple_of(items, 2);
	all[n++] = mgr_dict_of(items, 1);
	all[n++] = mgr_int(3);
	all[n++] = mgr_float(3);
	// Freeing a borrowed value only resets it: nothing of the caller's
	// (stack memory here) is freed, which ASan/valgrind would catch.
	for (size_t k = 0; k < n; k++) {
		mgr_value_free(&all[k]);
		assert_int_equal(all[k].kind, MGR_NONE);
	}
	assert_string_equal(text, "abc");
	assert_int_equal(items[1].kind, MGR_REF);
	mgr_value_free(NULL);
}

/* ---- repr -------------------------------------------------------------- */

static void
test_repr_table(void **state)
{
	(void) state;
	for (size_t k = 0; k < NCASES; k++) {
		char buf[1024];
		int  rv = mgr_value_repr(&cases[k].v, buf, sizeof(buf));
		if (rv != 0 || strcmp(buf, cases[k].repr) != 0) {
			print_error("case %zu: got %s, want %s\n", k, buf,
			    cases[k].repr);
		}
		assert_int_equal(rv, 0);
		assert_string_equal(buf, cases[k].repr);
	}
}

static void
test_repr_constructed(void **state)
{
	(void) state;
	// The seed example, built with the public constructors.
	mgr_value pairs[] = { mgr_int(1), mgr_str("1"), mgr_str("2"),
		mgr_int(2), mgr_float(0.25), mgr_none() };
	mgr_value d       = mgr_dict_of(pairs, 3);
	assert_string_equal(repr_of(&d), "{1: '1', '2': 2, 0.25: None}");

	mgr_value l[10];
	for (int k = 0; k < 10; k++) {
		l[k] = mgr_int(9 - k);
	}
	mgr_value lv = mgr_list_of(l, 10);
	assert_string_equal(repr_of(&lv), "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]");

	// mgr_strn: exactly len bytes, even inside a longer string.
	mgr_value s = mgr_strn("hello world", 5);
	assert_string_equal(repr_of(&s), "'hello'");
	// Embedded NUL (not encodable, but printable as Python does).
	s = mgr_strn("a\0b", 3);
	assert_string_equal(repr_of(&s), "'a\\x00b'");
	// Invalid UTF-8 in a str: each bad byte as \xNN.
	s = mgr_str(
	    "a\xff\xc3(\xed\xa0\x80\xf4\x90\x80\x80\xc0\xafz\xe2\x98");
	assert_string_equal(repr_of(&s),
	    "'a\\xff\\xc3(\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80\\xc0\\xafz"
	    "\\xe2\\x98'");
	mgr_value b = mgr_bytes(NULL, 0);
	assert_string_equal(repr_of(&b), "b''");
	mgr_value e = mgr_list_of(NULL, 0);
	assert_string_equal(repr_of(&e), "[]");
}

static void
test_repr_ref(void **state)
{
	(void) state;
	mgr_obj o
	    = { .client = NULL, .id = 17, .type = MGR__OBJ_TYPE__OBJ_DICT };
	mgr_obj   q    = { .id = 3, .type = MGR__OBJ_TYPE__OBJ_QUEUE };
	mgr_value it[] = { mgr_ref(&o), mgr_ref(&q) };
	mgr_value v    = mgr_list_of(it, 2);
	assert_string_equal(
	    repr_of(&v), "[<RefProxy dict id=17>, <RefProxy queue id=3>]");

	// A proxy made by the library (detached: no client).
	mgr_obj *p = obj_new(NULL, UINT64_MAX, 0, MGR__OBJ_TYPE__OBJ_LIST);
	assert_non_null(p);
	mgr_value r = mgr_ref(p);
	assert_string_equal(
	    repr_of(&r), "<RefProxy list id=18446744073709551615>");
	mgr_obj_release(p);
}

static void
test_repr_truncation(void **state)
{
	(void) state;
	char buf[1024];

	// Every cap below the size needed gives a prefix of the whole, cut
	// at most one escape or UTF-8 character short.
	for (size_t k = 0; k < NCASES; k++) {
		const char *want = cases[k].repr;
		size_t      n    = strlen(want);
		for (size_t cap = 1; cap <= n; cap++) {
			memset(buf, 'X', sizeof(buf));
			assert_int_equal(
			    mgr_value_repr(&cases[k].v, buf, cap),
			    MGR_ETOOBIG);
			size_t got = strlen(buf);
			assert_true(got < cap);
			assert_true(got + 10 >= cap - 1);
			assert_memory_equal(buf, want, got);
		}
		assert_int_equal(mgr_value_repr(&cases[k].v, buf, n + 1), 0);
		assert_string_equal(buf, want);
	}

	mgr_value it[] = { mgr_int(1), mgr_int(2), mgr_int(3) };
	mgr_value l    = mgr_list_of(it, 3);
	assert_int_equal(mgr_value_repr(&l, buf, 5), MGR_ETOOBIG);
	assert_string_equal(buf, "[1, ");
	assert_int_equal(mgr_value_repr(&l, buf, 10), 0);
	assert_string_equal(buf, "[1, 2, 3]");
	assert_int_equal(mgr_value_repr(&l, buf, 9), MGR_ETOOBIG);
	assert_string_equal(buf, "[1, 2, 3");
	assert_int_equal(mgr_value_repr(&l, buf, 1), MGR_ETOOBIG);
	assert_string_equal(buf, "");

	// Never half a UTF-8 character or half an escape.
	mgr_value s = mgr_str("\xc3\xa9");
	assert_int_equal(mgr_value_repr(&s, buf, 3), MGR_ETOOBIG);
	assert_string_equal(buf, "'");
	assert_int_equal(mgr_value_repr(&s, buf, 4), MGR_ETOOBIG);
	assert_string_equal(buf, "'\xc3\xa9");
	s = mgr_str("\n");
	assert_int_equal(mgr_value_repr(&s, buf, 3), MGR_ETOOBIG);
	assert_string_equal(buf, "'");
	s = mgr_str("\x01");
	assert_int_equal(mgr_value_repr(&s, buf, 5), MGR_ETOOBIG);
	assert_string_equal(buf, "'");

	// cap 0 writes nothing; NULL arguments.
	buf[0] = 'X';
	assert_int_equal(mgr_value_repr(&l, buf, 0), MGR_ETOOBIG);
	assert_int_equal(buf[0], 'X');
	assert_int_equal(mgr_value_repr(NULL, buf, 10), MGR_EINVAL);
	assert_int_equal(mgr_value_repr(&l, NULL, 10), MGR_EINVAL);
}

/* Python's repr whatever the C locale: in one with a decimal comma,
 * printf and strtod use ',' but the repr keeps '.'. Skipped when no such
 * locale is installed. */
static void
test_repr_locale(void **state)
{
	(void) state;
	const char *names[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
		"fr_FR.utf8", "nl_NL.UTF-8", "ru_RU.UTF-8" };
	const char *got     = NULL;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if ((got = setlocale(LC_NUMERIC, names[k])) != NULL) {
			break;
		}
	}
	if (got == NULL) {
		skip();
	}
	mgr_value it[] = { mgr_float(1.5), mgr_float(0.1), mgr_float(1e-7),
		mgr_float(0x1p122), mgr_float(-123456789.123) };
	mgr_value l    = mgr_list_of(it, 5);
	char      buf[128];
	int       rv = mgr_value_repr(&l, buf, sizeof(buf));
	setlocale(LC_NUMERIC, "C");
	assert_int_equal(rv, 0);
	assert_string_equal(
	    buf, "[1.5, 0.1, 1e-07, 5.316911983139664e+36, -123456789.123]");
}

static void
test_repr_malformed(void **state)
{
	(void) state;
	char      buf[64];
	mgr_value v;

	v = mgr_str(NULL);
	assert_int_equal(mgr_value_repr(&v, buf, sizeof(buf)), MGR_EINVAL);
	v = mgr_bytes(NULL, 2);
	assert_int_equal(mgr_value_repr(&v, buf, sizeof(buf)), MGR_EINVAL);
	v = mgr_list_of(NULL, 2);
	assert_int_equal(mgr_value_repr(&v, buf, sizeof(buf)), MGR_EINVAL);
	v = mgr_dict_of(NULL, 1);
	assert_int_equal(mgr_value_repr(&v, buf, sizeof(buf)), MGR_EINVAL);
	v = mgr_ref(NULL);
	assert_int_equal(mgr_value_repr(&v, buf, sizeof(buf)), MGR_EINVAL);
	v = (mgr_value) { .kind = (mgr_kind) 99 };
	assert_int_equal(mgr_value_repr(&v, buf, sizeof(buf)), MGR_EINVAL);

	// A cyclic value (a list holding itself) stops instead of
	// recursing forever.
	mgr_value cyc = mgr_list_of(NULL, 1);
	cyc.items     = &cyc;
	assert_int_equal(mgr_value_repr(&cyc, buf, sizeof(buf)), MGR_ETOOBIG);
}

/* ---- equality ---------------------------------------------------------- */

static bool
is_zero(const mgr_value *v)
{
	return v->kind == MGR_FLOAT && v->f == 0;
}

/* A refused argument's detail names the call and the argument, in words
 * (proxy/internal.h's ARG_CHECK), not the C condition. */
static void
test_bad_argument_detail(void **state)
{
	(void) state;
	mgr_value v = mgr_int(1);
	assert_int_equal(mgr_value_copy(NULL, &v), MGR_EINVAL);
	assert_string_equal(mgr_errdetail(), "mgr_value_copy: dst is NULL");
	mgr_value l = { .kind = MGR_LIST, .len = 2, .items = NULL };
	char      buf[32];
	assert_int_equal(mgr_value_repr(&l, buf, sizeof(buf)), MGR_EINVAL);
	assert_non_null(strstr(mgr_errdetail(), "v->items is NULL with"));
	assert_int_equal(mgr_pool_start(NULL, 2, NULL, NULL), MGR_EINVAL);
	assert_string_equal(mgr_errdetail(), "mgr_pool_start: c is NULL");
}

static void
test_equal_table(void **state)
{
	(void) state;
	// Distinct reprs mean distinct values, except 0.0 == -0.0.
	for (size_t i = 0; i < NCASES; i++) {
		for (size_t j = 0; j < NCASES; j++) {
			bool want = strcmp(cases[i].repr, cases[j].repr) == 0
			    || (is_zero(&cases[i].v) && is_zero(&cases[j].v));
			if (mgr_value_equal(&cases[i].v, &cases[j].v)
			    != want) {
				print_error("%s vs %s\n", cases[i].repr,
				    cases[j].repr);
			}
			assert_int_equal(
			    mgr_value_equal(&cases[i].v, &cases[j].v), want);
		}
	}
}

static void
test_equal_cases(void **state)
{
	(void) state;
	mgr_value one = mgr_int(1), onef = mgr_float(1.0), t = mgr_bool(true);
	assert_false(mgr_value_equal(&one, &onef));
	assert_false(mgr_value_equal(&one, &t));
	assert_false(mgr_value_equal(&onef, &t));
	assert_true(mgr_value_equal(&one, &one));

	mgr_value nan1 = mgr_float(NAN), nan2 = mgr_float(-NAN);
	assert_true(mgr_value_equal(&nan1, &nan2));
	mgr_value z = mgr_float(0.0), nz = mgr_float(-0.0);
	assert_true(mgr_value_equal(&z, &nz));

	// Same text from different memory; str vs bytes.
	char      buf[] = "abc";
	mgr_value s1 = mgr_str("abc"), s2 = mgr_str(buf);
	mgr_value s3 = mgr_strn("abcdef", 3), y = mgr_bytes("abc", 3);
	assert_true(mgr_value_equal(&s1, &s2));
	assert_true(mgr_value_equal(&s1, &s3));
	assert_false(mgr_value_equal(&s1, &y));

	// Lists and tuples with the same items differ.
	mgr_value it[]  = { mgr_int(1), mgr_int(2) };
	mgr_value it2[] = { mgr_int(1), mgr_int(2) };
	mgr_value it3[] = { mgr_int(2), mgr_int(1) };
	mgr_value l = mgr_list_of(it, 2), l2 = mgr_list_of(it2, 2);
	mgr_value tp = mgr_tuple_of(it, 2), l3 = mgr_list_of(it3, 2);
	assert_true(mgr_value_equal(&l, &l2));
	assert_false(mgr_value_equal(&l, &tp));
	assert_false(mgr_value_equal(&l, &l3));

	// Dicts as sets of pairs: order does not matter, values do.
	mgr_value p1[] = { mgr_int(1), mgr_str("a"), mgr_str("k"), mgr_none(),
		mgr_float(0.5), mgr_int(2) };
	mgr_value p2[] = { mgr_float(0.5), mgr_int(2), mgr_int(1),
		mgr_str("a"), mgr_str("k"), mgr_none() };
	mgr_value p3[] = { mgr_float(0.5), mgr_int(2), mgr_int(1),
		mgr_str("b"), mgr_str("k"), mgr_none() };
	mgr_value d1 = mgr_dict_of(p1, 3), d2 = mgr_dict_of(p2, 3);
	mgr_value d3 = mgr_dict_of(p3, 3), d4 = mgr_dict_of(p1, 2);
	assert_true(mgr_value_equal(&d1, &d2));
	assert_true(mgr_value_equal(&d2, &d1));
	assert_false(mgr_value_equal(&d1, &d3));
	assert_false(mgr_value_equal(&d1, &d4));

	// References: by object id and client.
	int       c1, c2;
	mgr_obj   a  = { .client = (mgr_client *) &c1, .id = 7 };
	mgr_obj   a2 = { .client = (mgr_client *) &c1, .id = 7 };
	mgr_obj   b  = { .client = (mgr_client *) &c1, .id = 8 };
	mgr_obj   ca = { .client = (mgr_client *) &c2, .id = 7 };
	mgr_value ra = mgr_ref(&a), ra2 = mgr_ref(&a2), rb = mgr_ref(&b);
	mgr_value rc = mgr_ref(&ca), rn = mgr_ref(NULL);
	assert_true(mgr_value_equal(&ra, &ra2));
	assert_false(mgr_value_equal(&ra, &rb));
	assert_false(mgr_value_equal(&ra, &rc));
	assert_false(mgr_value_equal(&ra, &rn));
	assert_true(mgr_value_equal(&rn, &rn));

	assert_false(mgr_value_equal(NULL, &one));
	assert_false(mgr_value_equal(&one, NULL));

	// Malformed and cyclic values compare unequal instead of crashing.
	mgr_value bad = mgr_list_of(NULL, 2);
	assert_false(mgr_value_equal(&bad, &l));
	mgr_value cyc = mgr_list_of(NULL, 1);
	cyc.items     = &cyc;
	assert_false(mgr_value_equal(&cyc, &cyc));
}

/* ---- copy -------------------------------------------------------------- */

/* No node of the copy shares memory with the original. */
static void
assert_deep(const mgr_value *c, const mgr_value *o)
{
	switch (c->kind) {
	case MGR_STR:
	case MGR_BYTES:
		assert_true(c->len == 0 || c->bytes != o->bytes);
		assert_non_null(c->bytes);
		break;
	case MGR_LIST:
	case MGR_TUPLE:
		for (size_t k = 0; k < c->len; k++) {
			assert_ptr_not_equal(c->items, o->items);
			assert_deep(&c->items[k], &o->items[k]);
		}
		break;
	case MGR_DICT:
		for (size_t k = 0; k < 2 * c->len; k++) {
			assert_deep(&c->pairs[k], &o->pairs[k]);
		}
		break;
	default:
		break;
	}
}

static void
test_copy(void **state)
{
	(void) state;
	for (size_t k = 0; k < NCASES; k++) {
		mgr_value c;
		assert_int_equal(mgr_value_copy(&c, &cases[k].v), 0);
		assert_true(mgr_value_equal(&c, &cases[k].v));
		assert_string_equal(repr_of(&c), cases[k].repr);
		assert_owned(&c);
		assert_deep(&c, &cases[k].v);
		// A copy of a copy, then both freed.
		mgr_value c2;
		assert_int_equal(mgr_value_copy(&c2, &c), 0);
		mgr_value_free(&c);
		assert_int_equal(c.kind, MGR_NONE);
		assert_string_equal(repr_of(&c2), cases[k].repr);
		mgr_value_free(&c2);
	}

	// A str from mgr_strn is NUL-terminated in the copy.
	mgr_value c;
	mgr_value s = mgr_strn("hello world", 5);
	assert_int_equal(mgr_value_copy(&c, &s), 0);
	assert_string_equal(c.s, "hello");
	mgr_value_free(&c);
}

static void
test_copy_errors(void **state)
{
	(void) state;
	mgr_value c = mgr_int(99);
	mgr_value v = mgr_int(1);

	assert_int_equal(mgr_value_copy(NULL, &v), MGR_EINVAL);
	assert_int_equal(mgr_value_copy(&c, NULL), MGR_EINVAL);

	// A malformed item deep inside: the error comes back, the items
	// copied before it are freed (ASan/valgrind), *dst is untouched.
	mgr_value inner[]
	    = { mgr_str("abc"), mgr_bytes("xyz", 3), mgr_str(NULL) };
	mgr_value mid[] = { mgr_str("first"), mgr_list_of(inner, 3) };
	mgr_value top   = mgr_dict_of(mid, 1);
	assert_int_equal(mgr_value_copy(&c, &top), MGR_EINVAL);
	assert_int_equal(c.kind, MGR_INT);
	assert_true(c.i == 99);

	v = mgr_ref(NULL);
	assert_int_equal(mgr_value_copy(&c, &v), MGR_EINVAL);
	v = mgr_bytes(NULL, 1);
	assert_int_equal(mgr_value_copy(&c, &v), MGR_EINVAL);
	v = mgr_tuple_of(NULL, 1);
	assert_int_equal(mgr_value_copy(&c, &v), MGR_EINVAL);
	v = (mgr_value) { .kind = (mgr_kind) 42 };
	assert_int_equal(mgr_value_copy(&c, &v), MGR_EINVAL);

	// A detached proxy (no client) cannot take a new reference.
	mgr_obj o
	    = { .client = NULL, .id = 1, .type = MGR__OBJ_TYPE__OBJ_DICT };
	mgr_value rl[] = { mgr_int(1), mgr_ref(&o) };
	v              = mgr_list_of(rl, 2);
	assert_int_equal(mgr_value_copy(&c, &v), MGR_EINVAL);

	// Cyclic: refused, nothing leaks.
	mgr_value cyc = mgr_list_of(NULL, 1);
	cyc.items     = &cyc;
	assert_int_equal(mgr_value_copy(&c, &cyc), MGR_ETOOBIG);
	assert_int_equal(c.kind, MGR_INT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constructors),
		cmocka_unit_test(test_free_borrowed),
		cmocka_unit_test(test_repr_table),
		cmocka_unit_test(test_repr_constructed),
		cmocka_unit_test(test_repr_ref),
		cmocka_unit_test(test_repr_truncation),
		cmocka_unit_test(test_repr_locale),
		cmocka_unit_test(test_repr_malformed),
		cmocka_unit_test(test_bad_argument_detail),
		cmocka_unit_test(test_equal_table),
		cmocka_unit_test(test_equal_cases),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_copy_errors),
	};
	return cmocka_run_group_tests_name("values", tests, NULL, NULL);
}
