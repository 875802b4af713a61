/* Values and the value codec of libmgr: constructors, free, copy, typed
 * equality, Python's repr, error names and details, the protobuf codec;
 * the argument checks the dict/list/namespace proxies make before sending
 * anything, then those proxies (and refs) through an embedded manager. */
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

/* Static initializers for table values (the constructors are functions,
 * unusable in a file-scope table). */
// clang-format off
#define NONE      {.kind = MGR_NONE}
#define B(x)      {.kind = MGR_BOOL, .b = (x)}
#define I(x)      {.kind = MGR_INT, .i = (x)}
#define F(x)      {.kind = MGR_FLOAT, .f = (x)}
#define S(x)      {.kind = MGR_STR, .len = sizeof(x) - 1, .s = (x)}
#define Y(x)      {.kind = MGR_BYTES, .len = sizeof(x) - 1, .bytes = (x)}
#define L(n, ...) {.kind = MGR_LIST, .len = (n), .items = (mgr_value[]){__VA_ARGS__}}
#define T(n, ...) {.kind = MGR_TUPLE, .len = (n), .items = (mgr_value[]){__VA_ARGS__}}
#define D(n, ...) {.kind = MGR_DICT, .len = (n), .pairs = (mgr_value[]){__VA_ARGS__}}
#define L0        {.kind = MGR_LIST}
#define T0        {.kind = MGR_TUPLE}
#define D0        {.kind = MGR_DICT}
// clang-format on

struct rcase {
	mgr_value   v;
	const char *repr;
};

/* Expected strings printed by Python 3.11's repr() for the same values
 * (generated once with python3; D(...) with typed keys Python would merge
 * is printed pair by pair, as dict.__repr__ does). */
static const struct rcase cases[] = {
	{ NONE, "None" },
	{ B(true), "True" },
	{ B(false), "False" },
	{ I(0), "0" },
	{ I(1), "1" },
	{ I(-1), "-1" },
	{ I(42), "42" },
	{ I(-42), "-42" },
	{ I(1000000000000000000), "1000000000000000000" },
	{ I(INT64_MAX), "9223372036854775807" },
	{ I(INT64_MIN), "-9223372036854775808" },
	{ F(0x1.999999999999ap-4), "0.1" },
	{ F(0x1.1c37937e08000p+53), "1e+16" },
	{ F(0x1.ad7f29abcaf48p-24), "1e-07" },
	{ F(0x1.8000000000000p+0), "1.5" },
	{ F(-0.0), "-0.0" },
	{ F(0.0), "0.0" },
	{ F(INFINITY), "inf" },
	{ F(-INFINITY), "-inf" },
	{ F(NAN), "nan" },
	{ F(0x1.d6f34547df3b6p+26), "123456789.123" },
	{ F(0x1.0f0cf064dd592p+73), "1e+22" },
	{ F(0x0.0000000000001p-1022), "5e-324" },
	{ F(0x1.0000000000000p+0), "1.0" },
	{ F(-0x1.0000000000000p+0), "-1.0" },
	{ F(0x1.9000000000000p+6), "100.0" },
	{ F(0x1.0000000000000p-2), "0.25" },
	{ F(0x1.c6bf526340000p+49), "1000000000000000.0" },
	{ F(0x1.a36e2eb1c432dp-14), "0.0001" },
	{ F(0x1.4f8b588e368f1p-17), "1e-05" },
	{ F(0x1.0000000000000p-1022), "2.2250738585072014e-308" },
	{ F(0x1.fffffffffffffp+1023), "1.7976931348623157e+308" },
	{ F(0x1.5555555555555p-2), "0.3333333333333333" },
	{ F(0x1.5555555555555p-1), "0.6666666666666666" },
	{ F(0x1.3333333333333p-2), "0.3" },
	{ F(0x1.52d02c7e14af6p+76), "1e+23" },
	{ F(0x1.0000000000000p+122), "5.316911983139664e+36" },
	{ F(0x1.0000000000000p+132), "5.444517870735016e+39" },
	{ F(0x1.0000000000000p-1022), "2.2250738585072014e-308" },
	{ F(0x1.0000000000000p+63), "9.223372036854776e+18" },
	{ F(0x1.0000000000000p+53), "9007199254740992.0" },
	{ F(-0x1.421f5f40d8376p-23), "-1.5e-07" },
	{ F(0x1.56a95319d63e1p+63), "1.2345678901234567e+19" },
	{ F(0x1.249ad2594c37dp+332), "1e+100" },
	{ F(0x0.01702ae4d1fb6p-1022), "1.25e-310" },
	{ F(0x1.0624dd2f1a9fcp-10), "0.001" },
	{ F(0x1.edd2f1a9fbe77p+6), "123.456" },
	{ F(-0x1.1c37937e07fffp+53), "-9999999999999998.0" },
	{ F(0x1.882321e35049ep+842), "4.492152248019643e+253" },
	{ F(0x1.8c2926b94b5b5p+925), "4.389120112770094e+278" },
	{ F(0x1.2aadbc8f429a4p+37), "160351883752.32532" },
	{ F(-0x1.a79959588532dp+696), "-5.4399131119142674e+209" },
	{ F(0x1.3bd58da60fb1cp-48), "4.383079907872608e-15" },
	{ F(0x1.c61236c88c537p+278), "8.614354442467737e+83" },
	{ F(-0x1.1b64633be40f5p+844), "-1.2985664392816573e+254" },
	{ F(-0x1.18c966f3d88f7p-888), "-5.314965623006408e-268" },
	{ F(-0x1.b195060c40eb7p+418), "-1.146488202889241e+126" },
	{ F(0x1.8acc213a5bf07p+433), "3.420758551378043e+130" },
	{ F(0x1.d670af9a3638ep+678), "2.3046315439163635e+204" },
	{ F(0x1.94db7e48f12b9p+169), "1.1833994934170815e+51" },
	{ F(-0x1.e22cad37b17c6p+428), "-1.3055768296735293e+129" },
	{ F(-0x1.9bfbc91ba7257p-980), "-1.5748679552677205e-295" },
	{ F(0x1.197f45625871bp-816), "2.51627196477289e-246" },
	{ F(-0x1.40b6020d0b29cp-429), "-9.036613517376497e-130" },
	{ F(-0x1.3165de1ab3e01p-181), "-3.892215651960722e-55" },
	{ F(0x1.cb70f964e03c0p+1), "3.589385198837107" },
	{ F(-0x1.3acdf2060d7c4p+617), "-6.688184663054428e+185" },
	{ F(-0x1.8e92df2adcc0ep-962), "-3.994044171376333e-290" },
	{ F(0x1.d9a4de6cf02bbp+244), "5.2303534038858595e+73" },
	{ F(-0x1.9ee169646a718p-252), "-2.239361282907897e-76" },
	{ F(0x1.ab03d8de49eb1p-714), "1.9354693131874806e-215" },
	{ F(-0x1.5b021e0d44f2bp+521), "-9.305240496802682e+156" },
	{ F(0x1.3348772cc0794p+8), "307.28306846331657" },
	{ F(-0x1.04c768ed0aa60p+8), "-260.7789447928426" },
	{ F(-0x1.c6080c9552258p+9), "-908.0628840113741" },
	{ F(0x1.f160c0ed93868p+9), "994.7558876962985" },
	{ F(0x1.fb5a2f4e18b70p+6), "126.83807107950065" },
	{ F(-0x1.228c6a7e3d6e5p+9), "-581.0969999122577" },
	{ F(-0x1.c19c8c6ff3024p+9), "-899.2230358063284" },
	{ F(0x1.48995f8590f3cp+9), "657.198227592256" },
	{ S(""), "''" },
	{ S("a"), "'a'" },
	{ S("it's"), "\"it's\"" },
	{ S("say \"hi\""), "'say \"hi\"'" },
	{ S("both ' and \""), "'both \\' and \"'" },
	{ S("back\\slash"), "'back\\\\slash'" },
	{ S("new\012line"), "'new\\nline'" },
	{ S("tab\011here"), "'tab\\there'" },
	{ S("cr\015x"), "'cr\\rx'" },
	{ S("\001\007\033\037\177"), "'\\x01\\x07\\x1b\\x1f\\x7f'" },
	{ S("é"), "'é'" },
	{ S("☃"), "'☃'" },
	{ S("😀"), "'😀'" },
	{ S("mixed é☃😀!"), "'mixed é☃😀!'" },
	{ S("\302\200\302\237\302\240\302\255"), "'\\x80\\x9f\\xa0\\xad'" },
	{ S("a\342\200\250b"), "'a\\u2028b'" },
	{ S("\357\273\277"), "'\\ufeff'" },
	{ S("\363\240\200\201"), "'\\U000e0001'" },
	{ S("\356\200\200"), "'\\ue000'" },
	{ S("ok\?\? no\?\?"), "'ok\?\? no\?\?'" },
	{ S("ÿ"), "'ÿ'" },
	{ S("日本語"), "'日本語'" },
	{ S("́e"), "'́e'" },
	{ Y(""), "b''" },
	{ Y("abc"), "b'abc'" },
	{ Y("it's"), "b\"it's\"" },
	{ Y("\""), "b'\"'" },
	{ Y("'\""), "b'\\'\"'" },
	{ Y("\000\377\177\012\011\015\\"),
	    "b'\\x00\\xff\\x7f\\n\\t\\r\\\\'" },
	{ Y("\036\037 !"), "b'\\x1e\\x1f !'" },
	{ Y("\303\251"), "b'\\xc3\\xa9'" },
	{ Y("\200abc\376"), "b'\\x80abc\\xfe'" },
	{ L0, "[]" },
	{ L(2, I(1), I(2)), "[1, 2]" },
	{ L(2, I(1), L(2, I(2), L(2, I(3), L0))), "[1, [2, [3, []]]]" },
	{ L(6, NONE, B(true), B(false), S("x"), Y("y"),
	      F(0x1.8000000000000p+0)),
	    "[None, True, False, 'x', b'y', 1.5]" },
	{ T0, "()" },
	{ T(1, I(1)), "(1,)" },
	{ T(2, I(1), I(2)), "(1, 2)" },
	{ T(1, T0), "((),)" },
	{ T(2, L0, D0), "([], {})" },
	{ T(2, S("a"), T(2, I(1), T(1, F(0x1.4000000000000p+1)))),
	    "('a', (1, (2.5,)))" },
	{ D0, "{}" },
	{ D(3, I(1), S("1"), S("2"), I(2), F(0x1.0000000000000p-2), NONE),
	    "{1: '1', '2': 2, 0.25: None}" },
	{ D(2, T(2, I(1), I(2)), L(1, I(3)), S("k"), D(1, S("n"), T0)),
	    "{(1, 2): [3], 'k': {'n': ()}}" },
	{ D(3, I(1), S("int"), F(0x1.0000000000000p+0), S("float"), B(true),
	      S("bool")),
	    "{1: 'int', 1.0: 'float', True: 'bool'}" },
	{ L(1,
	      L(10, I(9), I(8), I(7), I(6), I(5), I(4), I(3), I(2), I(1),
	          I(0))),
	    "[[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]" },
	{ L(10, I(9), I(8), I(7), I(6), I(5), I(4), I(3), I(2), I(1), I(0)),
	    "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]" },
	{ L(3, S("a"), S("b"), S("c")), "['a', 'b', 'c']" },
	{ D(1, S("nested"), L(2, D(1, S("x"), T(1, NONE)), Y("\000"))),
	    "{'nested': [{'x': (None,)}, b'\\x00']}" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static char *
repr_of(const mgr_value *v)
{
	static char buf[4096];
	assert_int_equal(mgr_value_repr(v, buf, sizeof(buf)), 0);
	return buf;
}

/* Every node of an owned result carries MGR_VALUE_OWNED. */
static void
assert_owned(const mgr_value *v)
{
	assert_true(v->flags & MGR_VALUE_OWNED);
	if (v->kind == MGR_LIST || v->kind == MGR_TUPLE) {
		for (size_t k = 0; k < v->len; k++) {
			assert_owned(&v->items[k]);
		}
	} else if (v->kind == MGR_DICT) {
		for (size_t k = 0; k < 2 * v->len; k++) {
			assert_owned(&v->pairs[k]);
		}
	} else if (v->kind == MGR_STR) {
		assert_int_equal(v->s[v->len], '\0');
	}
}

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
	mgr_obj *p = obj_new(NULL, UINT64_MAX, MGR__OBJ_TYPE__OBJ_LIST);
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

/* ---- codec ------------------------------------------------------------- */

/* v -> protobuf -> bytes -> protobuf -> *out, as a request and reply
 * would carry it. Returns codec_from_pb's result. */
static int
roundtrip(mgr_client *c, const mgr_value *v, mgr_value *out)
{
	arena       a;
	Mgr__Value  pb;
	Mgr__Value *back;
	uint8_t    *wire;
	size_t      n;
	int         rv;

	arena_init(&a);
	assert_int_equal(codec_to_pb(c, v, &a, &pb), 0);
	n    = mgr__value__get_packed_size(&pb);
	wire = malloc(n > 0 ? n : 1);
	assert_non_null(wire);
	assert_int_equal(mgr__value__pack(&pb, wire), n);
	arena_fini(&a);
	back = mgr__value__unpack(NULL, n, wire);
	free(wire);
	assert_non_null(back);
	rv = codec_from_pb(NULL, back, out);
	mgr__value__free_unpacked(back, NULL);
	return rv;
}

static void
test_codec_roundtrip(void **state)
{
	(void) state;
	for (size_t k = 0; k < NCASES; k++) {
		mgr_value back;
		assert_int_equal(roundtrip(NULL, &cases[k].v, &back), 0);
		assert_true(mgr_value_equal(&back, &cases[k].v));
		assert_string_equal(repr_of(&back), cases[k].repr);
		assert_owned(&back);
		mgr_value_free(&back);
	}

	// The seed dict with the constructors, and bytes with every byte.
	unsigned char all[256];
	for (int k = 0; k < 256; k++) {
		all[k] = (unsigned char) k;
	}
	mgr_value pairs[] = { mgr_int(1), mgr_str("1"), mgr_str("2"),
		mgr_int(2), mgr_float(0.25), mgr_none(), mgr_bytes(all, 256),
		mgr_bytes(NULL, 0) };
	mgr_value d       = mgr_dict_of(pairs, 4);
	mgr_value back;
	assert_int_equal(roundtrip(NULL, &d, &back), 0);
	assert_true(mgr_value_equal(&back, &d));
	assert_int_equal(back.pairs[6].len, 256);
	assert_memory_equal(back.pairs[6].bytes, all, 256);
	mgr_value_free(&back);

	// mgr_strn into a longer buffer sends exactly len bytes.
	mgr_value s = mgr_strn("hello world", 5);
	assert_int_equal(roundtrip(NULL, &s, &back), 0);
	assert_int_equal(back.kind, MGR_STR);
	assert_int_equal(back.len, 5);
	assert_string_equal(back.s, "hello");
	mgr_value_free(&back);
}

static void
test_codec_ref(void **state)
{
	(void) state;
	int      cl;
	mgr_obj *p = obj_new(NULL, 17, MGR__OBJ_TYPE__OBJ_DICT);
	mgr_obj *q = obj_new(NULL, 18, MGR__OBJ_TYPE__OBJ_QUEUE);
	assert_non_null(p);
	assert_non_null(q);
	mgr_value kv[] = { mgr_ref(q), mgr_ref(p) };
	mgr_value it[] = { mgr_ref(p), mgr_dict_of(kv, 1) };
	mgr_value v    = mgr_list_of(it, 2);
	mgr_value back;

	// Decoded without a client, refs become detached proxies (ids and
	// types kept) that the value owns and mgr_value_free releases.
	assert_int_equal(roundtrip(NULL, &v, &back), 0);
	assert_true(mgr_value_equal(&back, &v));
	assert_string_equal(repr_of(&back),
	    "[<RefProxy dict id=17>, {<RefProxy queue id=18>: "
	    "<RefProxy dict id=17>}]");
	assert_owned(&back);
	assert_ptr_not_equal(mgr_value_ref(&back.items[0]), p);
	assert_int_equal(mgr_obj_id(mgr_value_ref(&back.items[0])), 17);
	mgr_value_free(&back);

	// A ref must belong to the client the request goes to.
	arena      a;
	Mgr__Value pb;
	arena_init(&a);
	assert_int_equal(
	    codec_to_pb((mgr_client *) &cl, &v, &a, &pb), MGR_EINVAL);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), 0);
	assert_int_equal(pb.list->items[0]->kind_case, MGR__VALUE__KIND_REF);
	assert_int_equal(pb.list->items[0]->ref->id, 17);
	assert_int_equal(
	    pb.list->items[0]->ref->type, MGR__OBJ_TYPE__OBJ_DICT);
	arena_fini(&a);

	mgr_obj_release(p);
	mgr_obj_release(q);
}

/* n containers nested in one another (kind LIST, TUPLE or DICT, a dict
 * holding the next level as the value of key 'k') around an int; level k
 * is v[3k], its items from v[3k+1]. free() the result. */
static mgr_value *
nest(mgr_kind kind, int n)
{
	mgr_value *v = calloc(3 * ((size_t) n + 1), sizeof(mgr_value));
	assert_non_null(v);
	v[3 * n] = mgr_int(7);
	for (int k = n - 1; k >= 0; k--) {
		v[3 * k + 1] = mgr_str("k");
		v[3 * k + 2] = v[3 * (k + 1)];
		if (kind == MGR_DICT) {
			v[3 * k] = mgr_dict_of(&v[3 * k + 1], 1);
		} else if (kind == MGR_LIST) {
			v[3 * k] = mgr_list_of(&v[3 * k + 2], 1);
		} else {
			v[3 * k] = mgr_tuple_of(&v[3 * k + 2], 1);
		}
	}
	return v;
}

static void
test_codec_depth(void **state)
{
	(void) state;
	mgr_kind kinds[] = { MGR_LIST, MGR_TUPLE, MGR_DICT };
	for (size_t k = 0; k < 3; k++) {
		for (int n = 63; n <= 65; n++) {
			mgr_value *v = nest(kinds[k], n);
			arena      a;
			Mgr__Value pb;
			arena_init(&a);
			int rv = codec_to_pb(NULL, v, &a, &pb);
			assert_int_equal(rv, n <= 64 ? 0 : MGR_ETOOBIG);
			arena_fini(&a);
			if (n <= 64) {
				mgr_value back;
				assert_int_equal(
				    roundtrip(NULL, v, &back), 0);
				assert_true(mgr_value_equal(&back, v));
				mgr_value_free(&back);
			}
			free(v);
		}
	}

	// Decoding refuses the same depth (a manager could send it).
	for (int n = 64; n <= 65; n++) {
		Mgr__Value *vals = calloc((size_t) n + 1, sizeof(Mgr__Value));
		Mgr__Seq   *seqs = calloc((size_t) n, sizeof(Mgr__Seq));
		Mgr__Value *ptrs[65];
		assert_non_null(vals);
		assert_non_null(seqs);
		for (int k = 0; k <= n; k++) {
			mgr__value__init(&vals[k]);
		}
		for (int k = 0; k < n; k++) {
			mgr__seq__init(&seqs[k]);
			ptrs[k]           = &vals[k + 1];
			seqs[k].n_items   = 1;
			seqs[k].items     = &ptrs[k];
			vals[k].kind_case = MGR__VALUE__KIND_LIST;
			vals[k].list      = &seqs[k];
		}
		vals[n].kind_case = MGR__VALUE__KIND_S;
		vals[n].s         = "deep";

		mgr_value back = mgr_int(5);
		int       rv   = codec_from_pb(NULL, &vals[0], &back);
		assert_int_equal(rv, n <= 64 ? 0 : MGR_EPROTO);
		if (rv == 0) {
			mgr_value *x = &back;
			for (int k = 0; k < n; k++) {
				assert_int_equal(x->kind, MGR_LIST);
				x = &x->items[0];
			}
			assert_string_equal(x->s, "deep");
		} else {
			assert_int_equal(back.kind, MGR_NONE);
		}
		mgr_value_free(&back);
		free(vals);
		free(seqs);
	}
}

static void
test_codec_encode_errors(void **state)
{
	(void) state;
	arena      a;
	Mgr__Value pb;
	mgr_value  v;
	arena_init(&a);

	v = mgr_strn("a\0b", 3);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	assert_string_not_equal(mgr_errdetail(), "");
	v = mgr_str(NULL);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	v = mgr_bytes(NULL, 4);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	v = mgr_list_of(NULL, 1);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	v = mgr_dict_of(NULL, 1);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	v = mgr_ref(NULL);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	v = (mgr_value) { .kind = (mgr_kind) 77 };
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	// Deep inside a container too.
	mgr_value it[] = { mgr_int(1), mgr_strn("x\0", 2) };
	v              = mgr_tuple_of(it, 2);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);

	v = mgr_int(1);
	assert_int_equal(codec_to_pb(NULL, NULL, &a, &pb), MGR_EINVAL);
	assert_int_equal(codec_to_pb(NULL, &v, NULL, &pb), MGR_EINVAL);
	assert_int_equal(codec_to_pb(NULL, &v, &a, NULL), MGR_EINVAL);

	// Empty containers with NULL arrays are fine.
	v = mgr_dict_of(NULL, 0);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), 0);
	assert_int_equal(pb.kind_case, MGR__VALUE__KIND_DICT);
	assert_int_equal(pb.dict->n_keys, 0);
	arena_fini(&a);
}

/* Decodes raw wire bytes of a Value. */
static int
decode_wire(const uint8_t *wire, size_t n, mgr_value *out)
{
	Mgr__Value *pb = mgr__value__unpack(NULL, n, wire);
	int         rv;
	assert_non_null(pb);
	rv = codec_from_pb(NULL, pb, out);
	mgr__value__free_unpacked(pb, NULL);
	return rv;
}

static void
test_codec_decode_errors(void **state)
{
	(void) state;
	mgr_value  out = mgr_int(3);
	Mgr__Value pb  = MGR__VALUE__INIT;

	// No kind at all.
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
	assert_int_equal(out.kind, MGR_NONE);
	assert_int_equal(codec_from_pb(NULL, NULL, &out), MGR_EPROTO);
	assert_int_equal(codec_from_pb(NULL, &pb, NULL), MGR_EINVAL);

	// A dict with 2 keys and 1 value, on the wire: field 9 (Map) with
	// keys {i: 1}, {i: 2} and values {s: "v"}.
	static const uint8_t unequal[] = { 0x4a, 0x0e, 0x0a, 0x02, 0x18, 0x02,
		0x0a, 0x02, 0x18, 0x04, 0x12, 0x04, 0x2a, 0x02, 'v', 'v' };
	out                            = mgr_int(3);
	assert_int_equal(
	    decode_wire(unequal, sizeof(unequal), &out), MGR_EPROTO);
	assert_int_equal(out.kind, MGR_NONE);
	// The same with one key decodes.
	static const uint8_t equal[] = { 0x4a, 0x0a, 0x0a, 0x02, 0x18, 0x02,
		0x12, 0x04, 0x2a, 0x02, 'v', 'v' };
	assert_int_equal(decode_wire(equal, sizeof(equal), &out), 0);
	assert_string_equal(repr_of(&out), "{1: 'vv'}");
	mgr_value_free(&out);

	// A list whose third item has no kind: the strings decoded before
	// it are freed (ASan/valgrind).
	static const uint8_t badlist[] = { 0x3a, 0x0e, 0x0a, 0x04, 0x2a, 0x02,
		'a', 'b', 0x0a, 0x04, 0x32, 0x02, 'c', 'd', 0x0a, 0x00 };
	assert_int_equal(
	    decode_wire(badlist, sizeof(badlist), &out), MGR_EPROTO);
	assert_int_equal(out.kind, MGR_NONE);

	// A ref without an id, and one of an unknown type (99): the proxy
	// made for it is released again.
	static const uint8_t noid[] = { 0x52, 0x02, 0x10, 0x01 };
	static const uint8_t badtype[]
	    = { 0x52, 0x04, 0x08, 0x11, 0x10, 0x63 };
	static const uint8_t goodref[]
	    = { 0x52, 0x04, 0x08, 0x11, 0x10, 0x01 };
	assert_int_equal(decode_wire(noid, sizeof(noid), &out), MGR_EPROTO);
	assert_int_equal(
	    decode_wire(badtype, sizeof(badtype), &out), MGR_EPROTO);
	assert_int_equal(decode_wire(goodref, sizeof(goodref), &out), 0);
	assert_string_equal(repr_of(&out), "<RefProxy dict id=17>");
	mgr_value_free(&out);

	// Kinds whose message is missing (hand-built trees).
	pb.kind_case = MGR__VALUE__KIND_LIST;
	pb.list      = NULL;
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
	pb.kind_case = MGR__VALUE__KIND_DICT;
	pb.dict      = NULL;
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
	pb.kind_case = MGR__VALUE__KIND_REF;
	pb.ref       = NULL;
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
	pb.kind_case = MGR__VALUE__KIND_S;
	pb.s         = NULL;
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
	pb.kind_case = (Mgr__Value__KindCase) 55;
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
}

/* ---- errors ------------------------------------------------------------ */

static void
test_strerror(void **state)
{
	(void) state;
	for (int e = 0; e < MGR_ENUMERRORS; e++) {
		const char *s = mgr_strerror(e);
		assert_non_null(s);
		assert_int_equal(strncmp(s, "MGR_", 4), 0);
		assert_non_null(strstr(s, ": "));
		for (int f = 0; f < e; f++) {
			assert_string_not_equal(s, mgr_strerror(f));
		}
	}
	assert_string_equal(mgr_strerror(MGR_EKEY),
	    "MGR_EKEY: no such key, attribute or name");
	assert_int_equal(
	    strncmp(mgr_strerror(MGR_ETOOBIG), "MGR_ETOOBIG:", 12), 0);
	assert_non_null(mgr_strerror(-1));
	assert_non_null(mgr_strerror(MGR_ENUMERRORS));
	assert_non_null(mgr_strerror(1000));
}

static void *
detail_thread(void *arg)
{
	(void) arg;
	// A new thread starts with no detail, and sets only its own.
	bool clean = strcmp(mgr_errdetail(), "") == 0;
	client_set_detail("other thread %d", 2);
	return clean && strcmp(mgr_errdetail(), "other thread 2") == 0
	    ? (void *) 1
	    : NULL;
}

static void
test_errdetail(void **state)
{
	(void) state;
	pthread_t t;
	void     *ok = NULL;

	client_set_detail("no such key: '%s'", "x");
	assert_string_equal(mgr_errdetail(), "no such key: 'x'");
	assert_int_equal(pthread_create(&t, NULL, detail_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &ok), 0);
	assert_non_null(ok);
	assert_string_equal(mgr_errdetail(), "no such key: 'x'");

	// Long details are cut, never overflow.
	char big[2000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	client_set_detail("%s", big);
	assert_true(strlen(mgr_errdetail()) > 100);
	assert_true(strlen(mgr_errdetail()) < sizeof(big) - 1);
	client_set_detail("%s", "");
	assert_string_equal(mgr_errdetail(), "");
}

/* ---- proxies: argument checks made before sending ---------------------- */

/* A proxy of a client that does not exist: obj_call refuses it by its type
 * (MGR_ETYPE) before touching the client, so MGR_EINVAL below can only
 * come from the wrappers' own checks, made before any call. */
static int fake_client;
static mgr_obj *
fake(Mgr__ObjType type)
{
	static mgr_obj o;
	o = (mgr_obj) {
		.client = (mgr_client *) &fake_client, .id = 9, .type = type
	};
	return &o;
}

static void
test_proxy_checks(void **state)
{
	(void) state;
	mgr_value v = mgr_int(1);
	mgr_value out;
	size_t    n;
	bool      b;
	int64_t   i;
	mgr_obj  *o;
	mgr_obj  *q = fake(MGR__OBJ_TYPE__OBJ_QUEUE);

	// Outputs checked first.
	assert_int_equal(mgr_dict_get(q, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_contains(q, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_len(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_pop(q, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_popitem(q, NULL, &out), MGR_EINVAL);
	assert_int_equal(mgr_dict_popitem(q, &out, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_setdefault(q, v, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_keys(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_values(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_items(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_copy(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_get(q, 0, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_pop(q, 0, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_index(q, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_count(q, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_len(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_slice(q, 0, 1, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_copy(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_ns_get(q, "a", NULL), MGR_EINVAL);
	assert_int_equal(mgr_ns_items(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_ns_set(q, NULL, v), MGR_EINVAL);
	assert_int_equal(mgr_ns_get(q, NULL, &out), MGR_EINVAL);
	assert_int_equal(mgr_ns_del(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_new(NULL, &o), MGR_EINVAL);
	assert_int_equal(mgr_list_new(NULL, &o), MGR_EINVAL);
	assert_int_equal(mgr_ns_new(NULL, &o), MGR_EINVAL);
	assert_int_equal(
	    mgr_dict_new((mgr_client *) &fake_client, NULL), MGR_EINVAL);
	assert_int_equal(
	    mgr_list_new((mgr_client *) &fake_client, NULL), MGR_EINVAL);
	assert_int_equal(
	    mgr_ns_new((mgr_client *) &fake_client, NULL), MGR_EINVAL);

	// Each call is refused on a proxy of another type.
	mgr_obj *d = fake(MGR__OBJ_TYPE__OBJ_LIST);
	assert_int_equal(mgr_dict_set(d, v, v), MGR_ETYPE);
	assert_int_equal(mgr_dict_get(d, v, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_del(d, v), MGR_ETYPE);
	assert_int_equal(mgr_dict_contains(d, v, &b), MGR_ETYPE);
	assert_int_equal(mgr_dict_len(d, &n), MGR_ETYPE);
	assert_int_equal(mgr_dict_pop(d, v, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_popitem(d, &out, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_setdefault(d, v, v, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_update(d, v), MGR_ETYPE);
	assert_int_equal(mgr_dict_clear(d), MGR_ETYPE);
	assert_int_equal(mgr_dict_keys(d, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_values(d, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_items(d, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_copy(d, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_incr(d, v, v, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_incr(d, v, v, NULL), MGR_ETYPE);
	mgr_obj *l = fake(MGR__OBJ_TYPE__OBJ_DICT);
	assert_int_equal(mgr_list_append(l, v), MGR_ETYPE);
	assert_int_equal(mgr_list_extend(l, v), MGR_ETYPE);
	assert_int_equal(mgr_list_insert(l, 0, v), MGR_ETYPE);
	assert_int_equal(mgr_list_get(l, 0, &out), MGR_ETYPE);
	assert_int_equal(mgr_list_set(l, 0, v), MGR_ETYPE);
	assert_int_equal(mgr_list_del(l, 0), MGR_ETYPE);
	assert_int_equal(mgr_list_pop(l, -1, &out), MGR_ETYPE);
	assert_int_equal(mgr_list_remove(l, v), MGR_ETYPE);
	assert_int_equal(mgr_list_index(l, v, &i), MGR_ETYPE);
	assert_int_equal(mgr_list_count(l, v, &n), MGR_ETYPE);
	assert_int_equal(mgr_list_len(l, &n), MGR_ETYPE);
	assert_int_equal(mgr_list_reverse(l), MGR_ETYPE);
	assert_int_equal(mgr_list_sort(l, true), MGR_ETYPE);
	assert_int_equal(mgr_list_clear(l), MGR_ETYPE);
	assert_int_equal(mgr_list_slice(l, 0, 1, &out), MGR_ETYPE);
	assert_int_equal(mgr_list_copy(l, &out), MGR_ETYPE);
	mgr_obj *ns = fake(MGR__OBJ_TYPE__OBJ_DICT);
	assert_int_equal(mgr_ns_set(ns, "a", v), MGR_ETYPE);
	assert_int_equal(mgr_ns_get(ns, "a", &out), MGR_ETYPE);
	assert_int_equal(mgr_ns_del(ns, "a"), MGR_ETYPE);
	assert_int_equal(mgr_ns_items(ns, &out), MGR_ETYPE);

	// NULL proxies.
	assert_int_equal(mgr_dict_len(NULL, &n), MGR_EINVAL);
	assert_int_equal(mgr_list_len(NULL, &n), MGR_EINVAL);
	assert_int_equal(mgr_ns_items(NULL, &out), MGR_EINVAL);
}

/* ---- through a manager ---------------------------------------------------
 */

/* The proxies above, for real: an embedded manager (mgr_server_start). */
typedef struct {
	mgr_server *srv;
	mgr_client *c;
} world;

static int
world_up(void **state)
{
	static world w;
	if (mgr_server_start(&w.srv, NULL) != 0) {
		print_error("mgr_server_start: %s\n", mgr_errdetail());
		return -1;
	}
	if (mgr_server_connect(w.srv, &w.c) != 0) {
		mgr_server_shutdown(w.srv);
		return -1;
	}
	*state = &w;
	return 0;
}

static int
world_down(void **state)
{
	world *w = *state;
	mgr_disconnect(w->c);
	mgr_server_shutdown(w->srv);
	return 0;
}

/* The repr of a result value, which is then freed. */
static const char *
took(mgr_value *v)
{
	static char buf[4096];
	assert_int_equal(mgr_value_repr(v, buf, sizeof(buf)), 0);
	assert_owned(v);
	mgr_value_free(v);
	return buf;
}

/* Objects alive on the manager. */
static int64_t
objects_total(mgr_client *c)
{
	mgr_value info;
	int64_t   n = -1;
	assert_int_equal(mgr_info(c, &info), 0);
	for (size_t k = 0; k < info.len; k++) {
		const mgr_value *key = &info.pairs[2 * k];
		if (key->kind == MGR_STR
		    && strcmp(key->s, "objects_total") == 0) {
			assert_int_equal(info.pairs[2 * k + 1].kind, MGR_INT);
			n = info.pairs[2 * k + 1].i;
		}
	}
	mgr_value_free(&info);
	return n;
}

static void
test_dict_through_manager(void **state)
{
	world    *w = *state;
	mgr_obj  *d;
	mgr_value out, k, v;
	size_t    n;
	bool      found;

	assert_int_equal(mgr_dict_new(w->c, &d), 0);
	assert_string_equal(mgr_obj_type(d), "dict");
	assert_int_equal(mgr_dict_set(d, mgr_int(1), mgr_str("1")), 0);
	assert_int_equal(mgr_dict_set(d, mgr_str("2"), mgr_int(2)), 0);
	assert_int_equal(mgr_dict_set(d, mgr_float(0.25), mgr_none()), 0);
	assert_int_equal(mgr_dict_copy(d, &out), 0);
	assert_string_equal(took(&out), "{1: '1', '2': 2, 0.25: None}");
	assert_int_equal(mgr_dict_len(d, &n), 0);
	assert_int_equal(n, 3);

	assert_int_equal(mgr_dict_get(d, mgr_str("2"), &out), 0);
	assert_string_equal(took(&out), "2");
	out = mgr_int(42);
	assert_int_equal(mgr_dict_get(d, mgr_int(2), &out), MGR_EKEY);
	assert_true(out.kind == MGR_INT && out.i == 42); // untouched
	assert_int_equal(mgr_dict_contains(d, mgr_float(0.25), &found), 0);
	assert_true(found);
	// Typed keys: 1.0 and True are not 1.
	assert_int_equal(mgr_dict_contains(d, mgr_float(1.0), &found), 0);
	assert_false(found);
	assert_int_equal(mgr_dict_contains(d, mgr_bool(true), &found), 0);
	assert_false(found);

	assert_int_equal(mgr_dict_keys(d, &out), 0);
	assert_string_equal(took(&out), "[1, '2', 0.25]");
	assert_int_equal(mgr_dict_values(d, &out), 0);
	assert_string_equal(took(&out), "['1', 2, None]");
	assert_int_equal(mgr_dict_items(d, &out), 0);
	assert_string_equal(took(&out), "[(1, '1'), ('2', 2), (0.25, None)]");

	assert_int_equal(
	    mgr_dict_setdefault(d, mgr_int(1), mgr_str("no"), &out), 0);
	assert_string_equal(took(&out), "'1'");
	mgr_value tk[] = { mgr_int(1), mgr_bytes("b", 1) };
	assert_int_equal(mgr_dict_setdefault(d, mgr_tuple_of(tk, 2),
	                     mgr_list_of(NULL, 0), &out),
	    0);
	assert_string_equal(took(&out), "[]");

	// popitem: the last inserted, split into key and value.
	assert_int_equal(mgr_dict_popitem(d, &k, &v), 0);
	assert_string_equal(took(&k), "(1, b'b')");
	assert_string_equal(took(&v), "[]");
	assert_int_equal(mgr_dict_pop(d, mgr_int(1), &out), 0);
	assert_string_equal(took(&out), "'1'");
	assert_int_equal(mgr_dict_pop(d, mgr_int(1), &out), MGR_EKEY);
	assert_int_equal(mgr_dict_del(d, mgr_str("2")), 0);
	assert_int_equal(mgr_dict_del(d, mgr_str("2")), MGR_EKEY);

	// incr: a missing key counts as 0; the result may be ignored.
	assert_int_equal(mgr_dict_incr(d, mgr_str("n"), mgr_int(5), &out), 0);
	assert_string_equal(took(&out), "5");
	assert_int_equal(
	    mgr_dict_incr(d, mgr_str("n"), mgr_int(-7), NULL), 0);
	assert_int_equal(
	    mgr_dict_incr(d, mgr_str("f"), mgr_float(0.5), &out), 0);
	assert_string_equal(took(&out), "0.5");

	mgr_value up[]
	    = { mgr_str("n"), mgr_str("x"), mgr_int(3), mgr_none() };
	assert_int_equal(mgr_dict_update(d, mgr_dict_of(up, 2)), 0);
	assert_int_equal(mgr_dict_copy(d, &out), 0);
	assert_string_equal(
	    took(&out), "{0.25: None, 'n': 'x', 'f': 0.5, 3: None}");

	assert_int_equal(mgr_dict_clear(d), 0);
	assert_int_equal(mgr_dict_len(d, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mgr_dict_popitem(d, &k, &v), MGR_EKEY);
	assert_int_equal(mgr_obj_release(d), 0);
}

static void
test_list_through_manager(void **state)
{
	world    *w = *state;
	mgr_obj  *l;
	mgr_value out;
	size_t    n;
	int64_t   i;

	assert_int_equal(mgr_list_new(w->c, &l), 0);
	assert_string_equal(mgr_obj_type(l), "list");
	for (int k = 0; k < 10; k++) {
		assert_int_equal(mgr_list_append(l, mgr_int(k)), 0);
	}
	assert_int_equal(mgr_list_reverse(l), 0);
	assert_int_equal(mgr_list_copy(l, &out), 0);
	assert_string_equal(took(&out), "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]");
	assert_int_equal(mgr_list_len(l, &n), 0);
	assert_int_equal(n, 10);

	assert_int_equal(mgr_list_get(l, -1, &out), 0);
	assert_string_equal(took(&out), "0");
	assert_int_equal(mgr_list_get(l, 10, &out), MGR_EINDEX);
	assert_int_equal(mgr_list_set(l, 0, mgr_str("nine")), 0);
	assert_int_equal(mgr_list_insert(l, 100, mgr_str("end")), 0);
	assert_int_equal(mgr_list_insert(l, -100, mgr_float(-1.5)), 0);
	assert_int_equal(mgr_list_slice(l, 0, 3, &out), 0);
	assert_string_equal(took(&out), "[-1.5, 'nine', 8]");
	assert_int_equal(mgr_list_slice(l, -2, 100, &out), 0);
	assert_string_equal(took(&out), "[0, 'end']");
	assert_int_equal(mgr_list_pop(l, -1, &out), 0);
	assert_string_equal(took(&out), "'end'");
	assert_int_equal(mgr_list_pop(l, 0, &out), 0);
	assert_string_equal(took(&out), "-1.5");
	assert_int_equal(mgr_list_del(l, 0), 0);
	assert_int_equal(mgr_list_remove(l, mgr_int(4)), 0);
	assert_int_equal(mgr_list_remove(l, mgr_int(4)), MGR_EVALUE);
	assert_int_equal(mgr_list_index(l, mgr_int(3), &i), 0);
	assert_int_equal(i, 4);
	assert_int_equal(mgr_list_index(l, mgr_float(3.0), &i), MGR_EVALUE);

	mgr_value more[] = { mgr_int(3), mgr_int(3) };
	assert_int_equal(mgr_list_extend(l, mgr_list_of(more, 2)), 0);
	assert_int_equal(mgr_list_extend(l, mgr_tuple_of(more, 1)), 0);
	assert_int_equal(mgr_list_count(l, mgr_int(3), &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(mgr_list_sort(l, false), 0);
	assert_int_equal(mgr_list_copy(l, &out), 0);
	assert_string_equal(took(&out), "[0, 1, 2, 3, 3, 3, 3, 5, 6, 7, 8]");
	assert_int_equal(mgr_list_sort(l, true), 0);
	assert_int_equal(mgr_list_get(l, 0, &out), 0);
	assert_string_equal(took(&out), "8");

	// The nesting limit agrees with the manager's: 64 levels go there
	// and back, 65 are refused before sending.
	mgr_value *deep = nest(MGR_DICT, 64);
	assert_int_equal(mgr_list_append(l, deep[0]), 0);
	assert_int_equal(mgr_list_pop(l, -1, &out), 0);
	assert_true(mgr_value_equal(&out, &deep[0]));
	mgr_value_free(&out);
	free(deep);
	deep = nest(MGR_LIST, 65);
	assert_int_equal(mgr_list_append(l, deep[0]), MGR_ETOOBIG);
	free(deep);

	assert_int_equal(mgr_list_clear(l), 0);
	assert_int_equal(mgr_list_len(l, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mgr_list_pop(l, -1, &out), MGR_EINDEX);
	assert_int_equal(mgr_obj_release(l), 0);
}

static void
test_ns_through_manager(void **state)
{
	world    *w = *state;
	mgr_obj  *ns;
	mgr_value out;

	assert_int_equal(mgr_ns_new(w->c, &ns), 0);
	assert_string_equal(mgr_obj_type(ns), "namespace");
	assert_int_equal(mgr_ns_set(ns, "x", mgr_int(1)), 0);
	assert_int_equal(mgr_ns_set(ns, "y", mgr_str("why")), 0);
	assert_int_equal(mgr_ns_get(ns, "y", &out), 0);
	assert_string_equal(took(&out), "'why'");
	assert_int_equal(mgr_ns_get(ns, "z", &out), MGR_EKEY);
	assert_int_equal(mgr_ns_items(ns, &out), 0);
	assert_string_equal(took(&out), "{'x': 1, 'y': 'why'}");
	assert_int_equal(mgr_ns_del(ns, "x"), 0);
	assert_int_equal(mgr_ns_del(ns, "x"), MGR_EKEY);
	assert_int_equal(mgr_ns_items(ns, &out), 0);
	assert_string_equal(took(&out), "{'y': 'why'}");
	assert_int_equal(mgr_obj_release(ns), 0);
}

static void
test_refs_through_manager(void **state)
{
	world      *w = *state;
	mgr_obj    *d, *l, *other_l;
	mgr_client *c2;
	mgr_value   out, copy;
	size_t      n;
	char        want[64];

	assert_int_equal(objects_total(w->c), 0);
	assert_int_equal(mgr_dict_new(w->c, &d), 0);
	assert_int_equal(mgr_list_new(w->c, &l), 0);
	assert_int_equal(mgr_list_append(l, mgr_str("a")), 0);
	assert_int_equal(mgr_dict_set(d, mgr_str("l"), mgr_ref(l)), 0);

	// A ref result is a new proxy of the same object, owned by the
	// value; equal to the original ref.
	assert_int_equal(mgr_dict_get(d, mgr_str("l"), &out), 0);
	assert_int_equal(out.kind, MGR_REF);
	assert_ptr_not_equal(mgr_value_ref(&out), l);
	assert_int_equal(mgr_obj_id(mgr_value_ref(&out)), mgr_obj_id(l));
	mgr_value orig = mgr_ref(l);
	assert_true(mgr_value_equal(&out, &orig));
	snprintf(want, sizeof(want), "<RefProxy list id=%llu>",
	    (unsigned long long) mgr_obj_id(l));
	assert_string_equal(repr_of(&out), want);

	// Its copy takes its own reference: it outlives the original.
	assert_int_equal(mgr_value_copy(&copy, &out), 0);
	assert_true(mgr_value_equal(&copy, &out));
	assert_ptr_not_equal(mgr_value_ref(&copy), mgr_value_ref(&out));
	mgr_value_free(&out);
	assert_int_equal(mgr_obj_release(l), 0);
	assert_int_equal(mgr_dict_del(d, mgr_str("l")), 0);
	assert_int_equal(mgr_list_len(mgr_value_ref(&copy), &n), 0);
	assert_int_equal(n, 1);

	// A ref to another client's object is refused before sending.
	assert_int_equal(mgr_server_connect(w->srv, &c2), 0);
	assert_int_equal(mgr_list_new(c2, &other_l), 0);
	assert_int_equal(
	    mgr_dict_set(d, mgr_int(0), mgr_ref(other_l)), MGR_EINVAL);
	assert_int_equal(mgr_obj_release(other_l), 0);
	assert_int_equal(mgr_disconnect(c2), 0);

	// Every reference went back: nothing is left on the manager.
	mgr_value_free(&copy);
	assert_int_equal(mgr_obj_release(d), 0);
	assert_int_equal(objects_total(w->c), 0);
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
		cmocka_unit_test(test_equal_table),
		cmocka_unit_test(test_equal_cases),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_copy_errors),
		cmocka_unit_test(test_codec_roundtrip),
		cmocka_unit_test(test_codec_ref),
		cmocka_unit_test(test_codec_depth),
		cmocka_unit_test(test_codec_encode_errors),
		cmocka_unit_test(test_codec_decode_errors),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_errdetail),
		cmocka_unit_test(test_proxy_checks),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_dict_through_manager),
		cmocka_unit_test(test_list_through_manager),
		cmocka_unit_test(test_ns_through_manager),
		cmocka_unit_test(test_refs_through_manager),
	};
	int failed = cmocka_run_group_tests_name("values", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name(
	    "through a manager", live, world_up, world_down);
	return failed;
}
