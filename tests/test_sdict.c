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
#include <time.h>

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

/* ---- a model, while the index grows -------------------------------------
 *
 * Random sets, deletes, popitems, setdefaults, updates, copies and
 * clears against a model (the keys in insertion order, their values), so
 * that growths happen with every kind of write between them while the
 * old index still finds the entries not yet moved: every get, the length
 * and the iteration order must be the model's. */

enum { MODEL_KEYS = 4096 };

typedef struct model {
	int     order[MODEL_KEYS]; /* keys in insertion order */
	int     n;
	int64_t val[MODEL_KEYS];
	bool    in[MODEL_KEYS];
} model;

static void
model_set(model *m, int k, int64_t v)
{
	if (!m->in[k]) {
		m->order[m->n++] = k;
		m->in[k]         = true;
	}
	m->val[k] = v;
}

static void
model_del(model *m, int k)
{
	for (int i = 0; i < m->n; i++) {
		if (m->order[i] == k) {
			memmove(&m->order[i], &m->order[i + 1],
			    (size_t) (m->n - i - 1) * sizeof(int));
			m->n--;
			break;
		}
	}
	m->in[k] = false;
}

/* The model's length, the values of keys k .. k + 63 (present or not)
 * and, when order, every entry in order. */
static void
model_check(const sdict *d, const model *m, int k0, bool order)
{
	assert_int_equal(sdict_len(d), (size_t) m->n);
	for (int j = 0; j < 64; j++) {
		int   k   = (k0 + j) % MODEL_KEYS;
		sval  key = I(k);
		sval *v   = sdict_get(d, &key);
		if (m->in[k]) {
			assert_non_null(v);
			assert_int_equal(v->i, m->val[k]);
		} else {
			assert_null(v);
		}
	}
	if (order) {
		size_t pos = 0;
		sval  *k, *v;
		int    i = 0;
		while (sdict_next(d, &pos, &k, &v)) {
			assert_true(i < m->n);
			assert_int_equal(k->i, m->order[i]);
			assert_int_equal(v->i, m->val[m->order[i]]);
			i++;
		}
		assert_int_equal(i, m->n);
	}
}

static void
test_sdict_model(void **state)
{
	(void) state;
	static model m;
	memset(&m, 0, sizeof(m));
	sdict   *d       = sdict_new(0);
	uint64_t seed    = 0x9e3779b97f4a7c15ull;
	long     growing = 0, deletes_growing = 0, compacting = 0;
	for (int step = 0; step < 300000; step++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		int     op = (int) (seed % 100);
		int     k  = (int) ((seed >> 8) % MODEL_KEYS);
		int64_t v  = (int64_t) (seed >> 20);
		// Cycles: emptied, then mostly sets (the table grows from
		// nothing, its index moved over a few entries a write at
		// each growth) with popitems (which leave no hole, so the
		// next growth moves the index too) and a few deletes, then
		// every kind of write.
		if (step % 3000 == 0) {
			sdict_clear(d);
			memset(&m, 0, sizeof(m));
		}
		bool filling = step % 3000 < 1500;
		bool g       = sdict_index_growing(d);
		growing += g;
		compacting += sdict_compacting(d);
		if (filling && op >= 75) {
			op = op < 78 ? 84 : 90; // a delete, or a popitem
		}
		if (op < (filling ? 75 : 50)) {
			dset(d, I(k), I(v));
			model_set(&m, k, v);
		} else if (op < 85) {
			sval key = I(k);
			deletes_growing += g;
			assert_int_equal(
			    sdict_del(d, &key, NULL), m.in[k] ? 0 : MGR_EKEY);
			model_del(&m, k);
		} else if (op < 92) {
			sval pk, pv;
			deletes_growing += g;
			if (m.n == 0) {
				assert_int_equal(
				    sdict_popitem(d, &pk, &pv), MGR_EKEY);
			} else {
				assert_int_equal(
				    sdict_popitem(d, &pk, &pv), 0);
				int last = m.order[m.n - 1];
				assert_int_equal(pk.i, last);
				assert_int_equal(pv.i, m.val[last]);
				model_del(&m, last);
			}
		} else if (op < 97) {
			sval    key = I(k), dflt = I(v), *stored;
			int64_t want = m.in[k] ? m.val[k] : v;
			assert_int_equal(
			    sdict_setdefault(d, &key, &dflt, &stored), 0);
			assert_int_equal(stored->i, want);
			model_set(&m, k, want);
		} else if (op < 99) {
			// An update of a few keys, some present.
			sdict *src = sdict_new(0);
			for (int j = 0; j < 5; j++) {
				dset(src, I((k + j * 977) % MODEL_KEYS),
				    I(v + j));
			}
			assert_int_equal(sdict_update(d, src), 0);
			for (int j = 0; j < 5; j++) {
				model_set(
				    &m, (k + j * 977) % MODEL_KEYS, v + j);
			}
			sdict_free(src);
		} else {
			sdict *c;
			assert_int_equal(sdict_copy(d, &c), 0);
			model_check(c, &m, k, true);
			sdict_free(d);
			d = c; // the copy goes on
		}
		model_check(d, &m, k, step % 997 == 0);
	}
	fprintf(stderr,
	    "%ld of 300000 writes while the index grew or the table was "
	    "compacted (%ld), %ld of them deletes\n",
	    growing, compacting, deletes_growing);
	// The paths under test were taken, many times.
	assert_true(growing > 5000 && deletes_growing > 1000);
	assert_true(compacting > 1000);
	model_check(d, &m, 0, true);
	sdict_clear(d);
	memset(&m, 0, sizeof(m));
	model_check(d, &m, 0, true);
	sdict_free(d);
}

/* A million sets: the longest one is printed (time is not asserted:
 * test_sdict_model checks the growth is right, the bench's lock-hold
 * figure what it costs). The old table's growth copied and indexed every
 * entry in one write: about 150 ms at a million, while every client of
 * the manager waited. */
static void
test_sdict_big_growth(void **state)
{
	(void) state;
	sdict  *d           = sdict_new(0);
	int64_t worst       = 0;
	int     big_growths = 0;
	size_t  ready = 0, bytes = 0;
	for (int i = 0; i < 1000000; i++) {
		struct timespec a, b;
		// A big index's growth finds the next index ready, every page
		// of it faulted in ahead, a few with each set.
		bool growing = sdict_index_growing(d);
		clock_gettime(CLOCK_MONOTONIC, &a);
		dset(d, I(i), I(i));
		if (!growing && sdict_index_growing(d)
		    && bytes >= (1 << 20)) {
			assert_true(ready >= bytes);
			big_growths++;
		}
		ready = sdict_growth_ready(d, &bytes);
		clock_gettime(CLOCK_MONOTONIC, &b);
		int64_t ns = (b.tv_sec - a.tv_sec) * 1000000000
		    + (b.tv_nsec - a.tv_nsec);
		worst = ns > worst ? ns : worst;
	}
	fprintf(stderr, "a million sets: the longest %lld us\n",
	    (long long) (worst / 1000));
	assert_int_equal(big_growths, 4); // to 2^18, 2^19, 2^20, 2^21 slots
	for (int i = 0; i < 1000000; i += 101) {
		sval k = I(i);
		assert_int_equal(sdict_get(d, &k)->i, i);
	}
	// Half of it deleted, then sets until the table with its holes
	// needs room: compacted a few entries a set, not at once.
	for (int i = 0; i < 1000000; i += 2) {
		sval k = I(i);
		assert_int_equal(sdict_del(d, &k, NULL), 0);
	}
	int64_t worst_set = 0;
	int     n = 1000000, compacting = 0;
	while (compacting == 0 || sdict_compacting(d)) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		dset(d, I(n), I(n));
		clock_gettime(CLOCK_MONOTONIC, &b);
		int64_t ns = (b.tv_sec - a.tv_sec) * 1000000000
		    + (b.tv_nsec - a.tv_nsec);
		worst_set = ns > worst_set ? ns : worst_set;
		compacting += sdict_compacting(d);
		n++;
		assert_true(n < 3000000); // it does start and end
	}
	fprintf(stderr,
	    "compacted over %d sets after 500,000 deletes: the longest "
	    "%lld us\n",
	    compacting, (long long) (worst_set / 1000));
	assert_true(compacting > 1000);
	assert_int_equal(sdict_len(d), 500000 + (size_t) (n - 1000000));
	size_t  pos = 0, seen = 0;
	sval   *key, *value;
	int64_t last = -1;
	while (sdict_next(d, &pos, &key, &value)) {
		assert_true(key->i > last); // insertion order kept
		assert_true(key->i % 2 == 1 || key->i >= 1000000);
		last = key->i;
		seen++;
	}
	assert_int_equal(seen, sdict_len(d));
	sdict_free(d);
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
		DATA_TEST(test_sdict_model),
		DATA_TEST(test_sdict_big_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
