/* Unit tests of sdict, the insertion-ordered map under dicts and
 * namespaces: order, typed keys, growth, churn, copy and update. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "data_fixture.h"
#include "object.h"
#include "sdict.h"
#include "server_state.h"
#include "session.h"
#include "svec.h"
#include "value.h"

static sval
keyrepr_list(const sdict *d)
{
	sval   l   = LIST0;
	size_t pos = 0;
	sval  *k, *v;
	while (sdict_next(d, &pos, &k, &v)) {
		sval c;
		assert_int_equal(sv_copy(&c, k), 0);
		assert_int_equal(svec_append(l.vec, &c), 0);
	}
	return l;
}

static void
check_keys(const sdict *d, const char *expect)
{
	check_free(keyrepr_list(d), expect);
}

static void
test_sdict_order(void **state)
{
	(void) state;
	sdict *d = sdict_new(0);
	assert_non_null(d);
	assert_int_equal(sdict_len(d), 0);
	dset(d, S("a"), I(1));
	dset(d, S("b"), I(2));
	dset(d, S("c"), I(3));
	dset(d, S("b"), I(20)); // replace: keeps its place
	check_keys(d, "['a', 'b', 'c']");
	sval k = S("b"), v;
	assert_int_equal(sdict_del(d, &k, &v), 0);
	assert_repr(&v, "20");
	assert_int_equal(sdict_del(d, &k, NULL), MGR_EKEY);
	dset(d, sv_move(&k), I(4)); // re-inserted: goes last
	check_keys(d, "['a', 'c', 'b']");
	assert_int_equal(sdict_len(d), 3);

	// popitem: last in, first out, also after deleting the last.
	dset(d, S("d"), I(5));
	k = S("d");
	assert_int_equal(sdict_del(d, &k, NULL), 0);
	sv_free(&k);
	sval pk, pv;
	assert_int_equal(sdict_popitem(d, &pk, &pv), 0);
	assert_repr(&pk, "'b'");
	assert_repr(&pv, "4");
	sv_free(&pk);
	dset(d, S("e"), I(6));
	const char *order[] = { "'e'", "'c'", "'a'" };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sdict_popitem(d, &pk, &pv), 0);
		assert_repr(&pk, order[i]);
		sv_free(&pk);
	}
	assert_int_equal(sdict_popitem(d, &pk, &pv), MGR_EKEY);
	assert_int_equal(sdict_len(d), 0);
	dset(d, S("z"), I(0)); // usable once emptied
	check_keys(d, "['z']");
	sdict_clear(d);
	assert_int_equal(sdict_len(d), 0);
	check_keys(d, "[]");
	dset(d, S("y"), I(0)); // and after clear
	check_keys(d, "['y']");
	sdict_free(d);
	sdict_free(NULL);
}

static void
test_sdict_typed_keys(void **state)
{
	(void) state;
	sdict *d = sdict_new(4);
	// Six distinct keys: equality is typed.
	dset(d, I(1), S("int"));
	dset(d, F(1.0), S("float"));
	dset(d, B(true), S("bool"));
	dset(d, S("1"), S("str"));
	dset(d, Y("1", 1), S("bytes"));
	dset(d, TUPLE(I(1)), S("tuple"));
	assert_int_equal(sdict_len(d), 6);
	sval k = I(1);
	assert_repr(sdict_get(d, &k), "'int'");
	k = F(1.0);
	assert_repr(sdict_get(d, &k), "'float'");
	k = B(true);
	assert_repr(sdict_get(d, &k), "'bool'");
	k = B(false);
	assert_null(sdict_get(d, &k));
	// 0.0 and -0.0 are one key; NaN can be found again.
	dset(d, F(0.0), S("zero"));
	dset(d, F(-0.0), S("minus zero"));
	dset(d, F(NAN), S("nan"));
	assert_int_equal(sdict_len(d), 8);
	k = F(0.0);
	assert_repr(sdict_get(d, &k), "'minus zero'");
	k = F(-NAN);
	assert_repr(sdict_get(d, &k), "'nan'");
	// Tuples as keys, nested, typed inside.
	dset(d, TUPLE(I(1), S("a")), I(1));
	dset(d, TUPLE(F(1.0), S("a")), I(2));
	dset(d, TUPLE(TUPLE(I(1), I(2)), N), I(3));
	dset(d, TUPLE0, I(4));
	assert_int_equal(sdict_len(d), 12);
	sval t = TUPLE(TUPLE(I(1), I(2)), N);
	assert_repr(sdict_get(d, &t), "3");
	sv_free(&t);
	t = TUPLE(I(1), S("a"));
	assert_repr(sdict_get(d, &t), "1");
	sv_free(&t);
	// The same with many numbers: k, k.0 and str(k) never meet.
	for (int i = 0; i < 3000; i++) {
		char s[16];
		snprintf(s, sizeof(s), "%d", 1000 + i);
		dset(d, I(1000 + i), I(0));
		dset(d, F(1000 + i), I(1));
		dset(d, S(s), I(2));
	}
	assert_int_equal(sdict_len(d), 12 + 9000);
	for (int i = 0; i < 3000; i++) {
		k = F(1000 + i);
		assert_int_equal(sdict_get(d, &k)->i, 1);
	}
	sdict_free(d);
}

static void
test_sdict_unhashable(void **state)
{
	(void) state;
	sdict *d     = sdict_new(0);
	sval   bad[] = { LIST(I(1)), DICT0, TUPLE(I(1), LIST0) };
	for (size_t i = 0; i < 3; i++) {
		sval v = S("value");
		assert_int_equal(sdict_set(d, &bad[i], &v), MGR_ETYPE);
		// Nothing was taken: still the caller's to free.
		assert_int_equal(v.kind, SV_STR);
		assert_int_not_equal(bad[i].kind, SV_NONE);
		assert_null(sdict_get(d, &bad[i]));
		assert_int_equal(sdict_del(d, &bad[i], NULL), MGR_ETYPE);
		sval *stored;
		assert_int_equal(
		    sdict_setdefault(d, &bad[i], &v, &stored), MGR_ETYPE);
		sv_free(&v);
		sv_free(&bad[i]);
	}
	assert_int_equal(sdict_len(d), 0);
	sdict_free(d);
}

static void
test_sdict_growth(void **state)
{
	(void) state;
	enum { NK = 100000 };
	sdict *d = sdict_new(0);
	for (int i = 0; i < NK; i++) {
		dset(d, I(i * 7919), I(i));
	}
	assert_int_equal(sdict_len(d), NK);
	for (int i = 0; i < NK; i++) {
		sval k = I(i * 7919);
		assert_int_equal(sdict_get(d, &k)->i, i);
	}
	// Delete the odd ones, then check order and re-insert them.
	for (int i = 1; i < NK; i += 2) {
		sval k = I(i * 7919);
		assert_int_equal(sdict_del(d, &k, NULL), 0);
	}
	assert_int_equal(sdict_len(d), NK / 2);
	size_t pos = 0, n = 0;
	sval  *k, *v;
	while (sdict_next(d, &pos, &k, &v)) {
		assert_int_equal(v->i, 2 * (int64_t) n);
		n++;
	}
	assert_int_equal(n, NK / 2);
	for (int i = 1; i < NK; i += 2) {
		dset(d, I(i * 7919), I(i));
	}
	pos = 0;
	n   = 0;
	while (sdict_next(d, &pos, &k, &v)) {
		// Evens first in order, then the odds re-inserted.
		int64_t expect = n < NK / 2 ? 2 * (int64_t) n
		                            : 2 * (int64_t) (n - NK / 2) + 1;
		assert_int_equal(v->i, expect);
		n++;
	}
	// popitem empties it in reverse insertion order.
	for (int i = NK - 1; i >= 0; i--) {
		sval pk, pv;
		assert_int_equal(sdict_popitem(d, &pk, &pv), 0);
		int64_t expect = i >= NK / 2 ? 2 * (int64_t) (i - NK / 2) + 1
		                             : 2 * (int64_t) i;
		assert_int_equal(pv.i, expect);
	}
	assert_int_equal(sdict_len(d), 0);
	sdict_free(d);

	// String keys, many.
	d = sdict_new(0);
	for (int i = 0; i < NK; i++) {
		char s[24];
		snprintf(s, sizeof(s), "key-%d", i);
		dset(d, S(s), I(i));
	}
	for (int i = 0; i < NK; i += 97) {
		char s[24];
		snprintf(s, sizeof(s), "key-%d", i);
		sval key = S(s);
		assert_int_equal(sdict_get(d, &key)->i, i);
		sv_free(&key);
	}
	sdict_free(d);
}

static void
test_sdict_churn(void **state)
{
	(void) state;
	// Insert/delete cycles leave deleted slots behind: the table must
	// be rebuilt rather than fill up (a full index would never end a
	// probe), and stay small.
	sdict *d = sdict_new(0);
	dset(d, S("keep"), I(0));
	for (int i = 0; i < 200000; i++) {
		dset(d, I(i), I(i));
		sval k = I(i);
		if (i % 3 == 0) {
			sval pk, pv;
			assert_int_equal(sdict_popitem(d, &pk, &pv), 0);
			assert_int_equal(pk.i, i);
		} else {
			assert_int_equal(sdict_del(d, &k, NULL), 0);
		}
		assert_int_equal(sdict_len(d), 1);
	}
	check_keys(d, "['keep']");
	sdict_free(d);
}

static void
test_sdict_copy_update(void **state)
{
	(void) state;
	sdict *a = sdict_new(0);
	dset(a, S("x"), LIST(I(1)));
	dset(a, S("y"), I(2));
	dset(a, S("gone"), I(0));
	sval g = S("gone");
	assert_int_equal(sdict_del(a, &g, NULL), 0); // a hole to skip
	sv_free(&g);
	sdict *c;
	assert_int_equal(sdict_copy(a, &c), 0);
	sval av = { .kind = SV_DICT, .dict = a },
	     cv = { .kind = SV_DICT, .dict = c };
	assert_true(sv_equal(&av, &cv));
	sval k = S("x");
	sval i = I(3);
	assert_int_equal(svec_append(sdict_get(c, &k)->vec, &i), 0); // deep
	assert_repr(&av, "{'x': [1], 'y': 2}");
	assert_repr(&cv, "{'x': [1, 3], 'y': 2}");
	assert_false(sv_equal(&av, &cv));
	// update: existing keys keep their place, new ones go last.
	sdict *u = sdict_new(0);
	dset(u, S("z"), I(26));
	dset(u, S("x"), S("new"));
	assert_int_equal(sdict_update(a, u), 0);
	assert_int_equal(sdict_len(u), 0);
	assert_repr(&av, "{'x': 'new', 'y': 2, 'z': 26}");
	assert_int_equal(sdict_update(a, u), 0); // empty: a no-op
	dset(u, S("w"), I(0));
	assert_int_equal(sdict_update(u, a), 0); // into a smaller one
	sval uv = { .kind = SV_DICT, .dict = u };
	assert_repr(&uv, "{'w': 0, 'x': 'new', 'y': 2, 'z': 26}");
	assert_int_equal(sdict_len(a), 0);
	// setdefault
	sval *stored;
	sval  dflt = S("d");
	assert_int_equal(sdict_setdefault(u, &k, &dflt, &stored), 0);
	assert_repr(stored, "'new'");
	assert_int_equal(k.kind, SV_STR); // left to the caller
	assert_int_equal(dflt.kind, SV_STR);
	sv_free(&k);
	k = S("v");
	assert_int_equal(sdict_setdefault(u, &k, &dflt, &stored), 0);
	assert_int_equal(k.kind, SV_NONE); // moved in
	assert_int_equal(dflt.kind, SV_NONE);
	assert_repr(stored, "'d'");
	assert_repr(&uv, "{'w': 0, 'x': 'new', 'y': 2, 'z': 26, 'v': 'd'}");
	sdict_free(a);
	sdict_free(c);
	sdict_free(u);
}

/* ==== handlers
 * ================================================================ */

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DATA_TEST(test_sdict_order),
		DATA_TEST(test_sdict_typed_keys),
		DATA_TEST(test_sdict_unhashable),
		DATA_TEST(test_sdict_growth),
		DATA_TEST(test_sdict_churn),
		DATA_TEST(test_sdict_copy_update),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
