/* Unit tests of the manager's values, in-process: typed equality, hashing,
 * ordering, repr, and the protobuf codec with its reference counting. The
 * float reprs and number comparisons expected are literals generated with
 * python3, so that the semantics match Python's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "codec.h"
#include "data_fixture.h"
#include "object.h"
#include "sdict.h"
#include "server_state.h"
#include "session.h"
#include "siphash.h"
#include "svec.h"
#include "value.h"

/* repr(float) (python3) */
static const struct float_case {
	double      f;
	const char *repr;
} float_cases[] = {
	{ 0.1, "0.1" },
	{ 1e+16, "1e+16" },
	{ 1000000000000000.0, "1000000000000000.0" },
	{ 1.5e-07, "1.5e-07" },
	{ 0.0001, "0.0001" },
	{ 1e-05, "1e-05" },
	{ -0.0, "-0.0" },
	{ 0.3333333333333333, "0.3333333333333333" },
	{ 2.5, "2.5" },
	{ 1e+22, "1e+22" },
	{ 1.2345678901234568e+17, "1.2345678901234568e+17" },
	{ 5e-324, "5e-324" },
	{ 1.7976931348623157e+308, "1.7976931348623157e+308" },
	{ 100.0, "100.0" },
	{ 0.5, "0.5" },
	{ -123.456, "-123.456" },
	{ 9007199254740992.0, "9007199254740992.0" },
	{ 9.223372036854776e+18, "9.223372036854776e+18" },
	{ 1e-300, "1e-300" },
	{ 9007199254740992.0, "9007199254740992.0" },
};
/* (i > f) - (i < f) in python3 */
static const struct numcmp_case {
	int64_t i;
	double  f;
	int     cmp;
} numcmp_cases[] = {
	{ 9007199254740993, 9007199254740992.0, 1 },
	{ 9007199254740993, 9007199254740994.0, -1 },
	{ INT64_MAX, 9.223372036854776e+18, -1 },
	{ INT64_MIN, -9.223372036854776e+18, 0 },
	{ INT64_MIN, -9.22337203685478e+18, 1 },
	{ 5, 5.5, -1 },
	{ -5, -5.5, 1 },
	{ -5, -4.5, -1 },
	{ 0, -0.0, 0 },
	{ 1, 1.0, 0 },
	{ 3, INFINITY, -1 },
	{ 3, -INFINITY, 1 },
	{ -1, -0.5, -1 },
	{ 7, 6.999999999999999, 1 },
};

/* ==== values
 * ================================================================= */

/* A varied set of values: every kind, look-alikes across kinds. */
static size_t
sample_values(sval *out)
{
	size_t n = 0;
	out[n++] = N;
	out[n++] = B(true);
	out[n++] = B(false);
	out[n++] = I(1);
	out[n++] = I(0);
	out[n++] = I(-1);
	out[n++] = I(INT64_MIN);
	out[n++] = F(1.0);
	out[n++] = F(0.0);
	out[n++] = F(-0.0);
	out[n++] = F(NAN);
	out[n++] = F(-NAN);
	out[n++] = F(INFINITY);
	out[n++] = S("1");
	out[n++] = S("");
	out[n++] = S("abcdefghijklmnopq"); // past one 8-byte block
	out[n++] = Y("1", 1);
	out[n++] = Y("", 0);
	out[n++] = Y("a\0b", 3);
	out[n++] = Y("a\0c", 3);
	out[n++] = LIST(I(1), S("a"));
	out[n++] = TUPLE(I(1), S("a"));
	out[n++] = TUPLE(F(1.0), S("a"));
	out[n++] = TUPLE(S("a"), I(1));
	out[n++] = TUPLE(I(1));
	out[n++] = TUPLE0;
	out[n++] = LIST0;
	out[n++] = TUPLE(TUPLE(I(1), I(2)), I(3));
	out[n++] = TUPLE(I(1), TUPLE(I(2), I(3)));
	out[n++] = DICT(I(1), S("a"), S("b"), I(2));
	out[n++] = DICT(S("b"), I(2), I(1), S("a")); // same, other order
	out[n++] = DICT(I(1), S("a"), S("b"), I(3));
	out[n++] = DICT0;
	return n;
}

static void
test_equal_typed(void **state)
{
	(void) state;
	sval   v[40];
	size_t n = sample_values(v);
	// Pairs that are equal (beyond each value with itself).
	struct {
		size_t a, b;
	} same[] = { { 8, 9 }, { 10, 11 }, { 29, 30 } };
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			bool expect = i == j;
			for (size_t k = 0; k < sizeof(same) / sizeof(same[0]);
			     k++) {
				expect |= (same[k].a == i && same[k].b == j)
				    || (same[k].a == j && same[k].b == i);
			}
			if (sv_equal(&v[i], &v[j]) != expect) {
				fail_msg("sv_equal(%zu %s, %zu %s) != %d", i,
				    repr(&v[i]), j, repr(&v[j]), expect);
			}
			// Hash consistent with equality.
			if (expect && sv_hashable(&v[i])) {
				assert_true(sv_hash(&v[i]) == sv_hash(&v[j]));
			}
		}
		// A copy is equal, hashes alike, and is independent.
		sval c;
		assert_int_equal(sv_copy(&c, &v[i]), 0);
		assert_true(sv_equal(&c, &v[i]));
		if (sv_hashable(&c)) {
			assert_true(sv_hash(&c) == sv_hash(&v[i]));
		}
		if (c.kind == SV_STR || c.kind == SV_BYTES) {
			assert_ptr_not_equal(sv_sdata(&c), sv_sdata(&v[i]));
		}
		sv_free(&c);
	}
	// The typed look-alikes all hash differently (with these seeds).
	uint64_t h1 = sv_hash(&v[3]), h2 = sv_hash(&v[7]),
	         h3 = sv_hash(&v[1]), h4 = sv_hash(&v[13]),
	         h5 = sv_hash(&v[16]);
	assert_true(h1 != h2 && h1 != h3 && h1 != h4 && h2 != h3 && h2 != h4
	    && h3 != h4 && h4 != h5);
	for (size_t i = 0; i < n; i++) {
		sv_free(&v[i]);
		assert_int_equal(v[i].kind, SV_NONE);
	}
}

static void
test_hashable(void **state)
{
	(void) state;
	sval ok[] = { N, B(true), I(1), F(NAN), S("x"), Y("x", 1), TUPLE0,
		TUPLE(I(1), TUPLE(S("a"), N)) };
	sval bad[]
	    = { LIST0, DICT0, TUPLE(I(1), LIST0), TUPLE(TUPLE(DICT0)) };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_true(sv_hashable(&ok[i]));
		sv_free(&ok[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(sv_hashable(&bad[i]));
		sv_free(&bad[i]);
	}
}

static void
test_hash_spread(void **state)
{
	(void) state;
	// Small ints, strings and floats must not collide among 64-bit
	// hashes, nor in their low bits more than chance allows.
	enum { NK = 20000 };
	uint64_t *h         = malloc(3 * NK * sizeof(*h));
	size_t    low[1024] = { 0 };
	assert_non_null(h);
	for (int i = 0; i < NK; i++) {
		char s[32];
		snprintf(s, sizeof(s), "key%d", i);
		sval k       = S(s);
		h[3 * i]     = sv_hash(&(sval) { .kind = SV_INT, .i = i });
		h[3 * i + 1] = sv_hash(&k);
		h[3 * i + 2] = sv_hash(&(sval) { .kind = SV_FLOAT, .f = i });
		sv_free(&k);
	}
	for (size_t i = 0; i < 3 * NK; i++) {
		low[h[i] & 1023]++;
	}
	for (size_t b = 0; b < 1024; b++) {
		// Expected 58.6 per bucket: allow a wide margin.
		assert_in_range(low[b], 20, 110);
	}
	// Sort and look for duplicates.
	for (size_t gap = 3 * NK / 2; gap > 0; gap /= 2) { // shell sort
		for (size_t i = gap; i < 3 * NK; i++) {
			uint64_t x = h[i];
			size_t   j = i;
			for (; j >= gap && h[j - gap] > x; j -= gap) {
				h[j] = h[j - gap];
			}
			h[j] = x;
		}
	}
	for (size_t i = 1; i < 3 * NK; i++) {
		assert_true(h[i] != h[i - 1]);
	}
	free(h);
}

/* SipHash-1-3 against Python's own (PYTHONHASHSEED=0 makes its key zero;
 * hash(bytes) is SipHash-1-3 there; printed as unsigned). */
static void
test_siphash_vectors(void **state)
{
	(void) state;
	const uint64_t zero[2] = { 0, 0 };
	const char    *longer  = "hello world, this is a longer key";
	assert_true(siphash13(zero, "abc", 3) == 13851880170939887858ULL);
	assert_true(siphash13(zero, "0123456789abcdef", 16)
	    == 2108444454683020324ULL);
	assert_true(siphash13(zero, longer, strlen(longer))
	    == 4382781962126752261ULL);
}

/* ---- hash flooding ---------------------------------------------------- */

/* The hash bytes keys had before SipHash: MurmurHash64A with a fixed
 * seed. Its block mixing can be inverted, so 16-byte keys that all hash
 * alike can be made at will. */
#define MURMUR_M    0xc6a4a7935bd1e995ULL
#define MURMUR_SEED 0x9b05688c2b3e6c1fULL

static uint64_t
murmur_mix(uint64_t k)
{
	k *= MURMUR_M;
	k ^= k >> 47;
	return k * MURMUR_M;
}

static uint64_t
inverse_odd(uint64_t a)
{
	uint64_t x = a; // Newton's iteration mod 2^64
	for (int i = 0; i < 6; i++) {
		x *= 2 - a * x;
	}
	return x;
}

static uint64_t
murmur16(const uint64_t b[2])
{
	uint64_t h = MURMUR_SEED ^ (16 * MURMUR_M);
	for (int i = 0; i < 2; i++) {
		h = (h ^ murmur_mix(b[i])) * MURMUR_M;
	}
	h ^= h >> 47;
	h *= MURMUR_M;
	return h ^ (h >> 47);
}

/* Key i of a set that all collide under the old hash: any first block,
 * and a second block that brings the state to the same value. */
static void
colliding_key(uint64_t i, uint64_t b[2])
{
	const uint64_t minv   = inverse_odd(MURMUR_M);
	const uint64_t target = 0x0123456789abcdefULL;
	uint64_t       h1     = ((MURMUR_SEED ^ (16 * MURMUR_M))
                          ^ murmur_mix(i * 0x9e3779b97f4a7c15ULL))
	    * MURMUR_M;
	uint64_t want = (target * minv) ^ h1; // murmur_mix(b[1])
	uint64_t y    = want * minv;
	b[0]          = i * 0x9e3779b97f4a7c15ULL;
	b[1]          = (y ^ (y >> 47)) * minv;
}

/* Seconds to insert n 16-byte bytes keys into a new sdict. */
static double
insert_time(size_t n, bool colliding)
{
	sdict  *d  = sdict_new(0);
	int64_t t0 = clock_us();
	for (size_t i = 0; i < n; i++) {
		uint64_t b[2];
		if (colliding) {
			colliding_key(i, b);
		} else {
			b[0] = i * 0x9e3779b97f4a7c15ULL;
			b[1] = ~b[0] * 0xc2b2ae3d27d4eb4fULL;
		}
		sval k = Y((const char *) b, 16), v = I((int64_t) i);
		assert_int_equal(sdict_set(d, &k, &v), 0);
	}
	double s = (double) (clock_us() - t0) / 1e6;
	assert_int_equal(sdict_len(d), n);
	sdict_free(d);
	return s;
}

/* 40,000 keys that all collide under the old fixed hash cost no more than
 * as many ordinary keys (they took ~36 s under the server lock before). */
static void
test_hash_flood(void **state)
{
	(void) state;
	enum { NKEYS = 40000 };
	uint64_t a[2], b[2];
	colliding_key(1, a);
	colliding_key(2, b);
	assert_true(a[0] != b[0]);
	assert_true(murmur16(a) == murmur16(b)); // the set is real
	double flood = 1e9, plain = 1e9;
	for (int rep = 0; rep < 3; rep++) {
		double f = insert_time(NKEYS, true);
		double p = insert_time(NKEYS, false);
		flood    = f < flood ? f : flood;
		plain    = p < plain ? p : plain;
	}
	print_message(
	    "hash flood: %d colliding keys %.1f ms, ordinary %.1f ms\n",
	    NKEYS, flood * 1e3, plain * 1e3);
	assert_true(flood < 4 * plain + 0.005);
}

static int
cmp_of(sval a, sval b, int *rc)
{
	int c = 99;
	*rc   = sv_compare(&a, &b, &c);
	sv_free(&a);
	sv_free(&b);
	return c;
}

static void
test_compare(void **state)
{
	(void) state;
	int rc;
	for (size_t i = 0; i < sizeof(numcmp_cases) / sizeof(numcmp_cases[0]);
	     i++) {
		int c
		    = cmp_of(I(numcmp_cases[i].i), F(numcmp_cases[i].f), &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(c, numcmp_cases[i].cmp);
		c = cmp_of(F(numcmp_cases[i].f), I(numcmp_cases[i].i), &rc);
		assert_int_equal(c, -numcmp_cases[i].cmp);
	}
	assert_int_equal(cmp_of(B(true), I(2), &rc), -1);
	assert_int_equal(cmp_of(B(true), F(1.0), &rc), 0);
	assert_int_equal(cmp_of(B(false), B(true), &rc), -1);
	assert_int_equal(cmp_of(F(NAN), F(1.0), &rc), 0); // unordered
	assert_int_equal(cmp_of(F(-1.5), F(1.0), &rc), -1);
	assert_int_equal(cmp_of(S("ab"), S("abc"), &rc), -1);
	assert_int_equal(cmp_of(S("b"), S("abc"), &rc), 1);
	assert_int_equal(cmp_of(S("\xc3\xa9"), S("z"), &rc), 1); // é > z
	assert_int_equal(cmp_of(Y("a\0", 2), Y("a", 1), &rc), 1);
	assert_int_equal(cmp_of(S("x"), S("x"), &rc), 0);
	assert_int_equal(cmp_of(LIST(I(1), I(2)), LIST(I(1), I(3)), &rc), -1);
	assert_int_equal(cmp_of(LIST(I(1), I(2)), LIST(I(1)), &rc), 1);
	assert_int_equal(cmp_of(LIST(I(1), N), LIST(F(1.0), N), &rc), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(cmp_of(LIST(N, I(1)), LIST(N, I(2)), &rc), -1);
	assert_int_equal(rc, 0); // equal None items are skipped, as Python
	assert_int_equal(
	    cmp_of(TUPLE(S("a"), I(1)), TUPLE(S("a"), F(0.5)), &rc), 1);
	assert_int_equal(rc, 0);

	// Unorderable: nothing written, and the culprits are named.
	sval unord[][2] = { { N, N }, { S("a"), I(1) }, { LIST0, TUPLE0 },
		{ DICT0, DICT0 }, { S("a"), Y("a", 1) },
		{ B(true), S("1") } };
	for (size_t i = 0; i < sizeof(unord) / sizeof(unord[0]); i++) {
		const sval *ba = NULL, *bb = NULL;
		int         c = 99;
		assert_int_equal(
		    sv_compare_ex(&unord[i][0], &unord[i][1], &c, &ba, &bb),
		    MGR_ETYPE);
		assert_int_equal(c, 99);
		assert_ptr_equal(ba, &unord[i][0]);
		assert_ptr_equal(bb, &unord[i][1]);
		sv_free(&unord[i][0]);
		sv_free(&unord[i][1]);
	}
	sval        a = LIST(I(1), LIST(S("x")));
	sval        b = LIST(I(1), LIST(I(2)));
	const sval *ba, *bb;
	int         c;
	assert_int_equal(sv_compare_ex(&a, &b, &c, &ba, &bb), MGR_ETYPE);
	assert_string_equal(sv_type_name(ba), "str");
	assert_string_equal(sv_type_name(bb), "int");
	sv_free(&a);
	sv_free(&b);
}

static void
test_repr(void **state)
{
	(void) state;
	// The first seed example's expected output.
	check_free(DICT(I(1), S("1"), S("2"), I(2), F(0.25), N),
	    "{1: '1', '2': 2, 0.25: None}");
	check_free(TUPLE(I(1)), "(1,)");
	check_free(TUPLE0, "()");
	check_free(LIST(LIST0, TUPLE(B(true), B(false)), DICT0),
	    "[[], (True, False), {}]");
	check_free(S("it's"), "\"it's\"");
	check_free(S("a\"b"), "'a\"b'");
	check_free(S("a'b\"c"), "'a\\'b\"c'");
	check_free(Y("a\0\xff'\\", 5), "b\"a\\x00\\xff'\\\\\"");
	check_free(S("\t\n\x01\xc3\xa9"), "'\\t\\n\\x01\xc3\xa9'");
	check_free(I(INT64_MIN), "-9223372036854775808");
	check_free(F(INFINITY), "inf");
	check_free(F(-INFINITY), "-inf");
	check_free(F(NAN), "nan");
	for (size_t i = 0; i < sizeof(float_cases) / sizeof(float_cases[0]);
	     i++) {
		check_free(F(float_cases[i].f), float_cases[i].repr);
	}
	// Cut to the buffer, marked with "...".
	sval l = range_list(100);
	char small[12];
	assert_string_equal(sv_repr(&l, small, sizeof(small)), "[0, 1, 2...");
	sv_free(&l);
	assert_string_equal(
	    sv_type_name(&(sval) { .kind = SV_NONE }), "NoneType");
}

static void
test_str_bytes(void **state)
{
	(void) state;
	sval s;
	assert_int_equal(sv_str(&s, SV_BYTES, "a\0b", 3), 0);
	assert_int_equal(sv_slen(&s), 3);
	assert_int_equal(sv_sdata(&s)[3], '\0'); // always terminated
	assert_memory_equal(sv_sdata(&s), "a\0b", 3);
	sv_free(&s);
	assert_int_equal(sv_str(&s, SV_STR, NULL, 0), 0);
	assert_string_equal(sv_sdata(&s), "");
	sv_free(&s);
	// Up to SV_INLINE_MAX bytes live in the value itself; longer ones in
	// an allocation: both read the same way, both terminated.
	for (size_t n = SV_INLINE_MAX - 1; n <= SV_INLINE_MAX + 2; n++) {
		char buf[32];
		memset(buf, 'x', n);
		buf[n] = '\0';
		assert_int_equal(sv_str(&s, SV_STR, buf, n), 0);
		assert_int_equal(s.ilen != 0, n <= SV_INLINE_MAX);
		assert_int_equal(sv_slen(&s), n);
		assert_string_equal(sv_sdata(&s), buf);
		sval t;
		assert_int_equal(sv_copy(&t, &s), 0);
		assert_true(sv_equal(&t, &s));
		assert_true(sv_hash(&t) == sv_hash(&s));
		sv_free(&t);
		sv_free(&s);
	}
	assert_int_equal(sv_new_list(&s, SV_INT, 0), MGR_EINVAL);
	assert_int_equal(s.kind, SV_NONE);
}

/* ---- the protobuf codec ---- */

/* v -> pb -> bytes -> pb -> sval; returns the decoded value. */
static sval
roundtrip(const sval *v)
{
	arena a;
	arena_init(&a);
	Mgr__Value pb;
	assert_int_equal(sv_to_pb(v, &a, &pb, NULL), 0);
	size_t   n   = mgr__value__get_packed_size(&pb);
	uint8_t *buf = malloc(n + 1);
	assert_non_null(buf);
	mgr__value__pack(&pb, buf);
	Mgr__Value *up = mgr__value__unpack(NULL, n, buf);
	assert_non_null(up);
	sval back;
	assert_int_equal(sv_from_pb(srv, up, &back), 0);
	mgr__value__free_unpacked(up, NULL);
	free(buf);
	arena_fini(&a);
	return back;
}

static void
test_pb_roundtrip(void **state)
{
	(void) state;
	mobj *d = NEW0(dict);
	mobj *l = NEW0(list);
	assert_int_equal(d->refs, 1);
	sval   v[40];
	size_t n = sample_values(v);
	v[n++]   = sv_ref(d);
	v[n++]   = TUPLE(sv_ref(l), sv_ref(d), S("x"));
	v[n++]   = DICT(
	      sv_ref(l), LIST(sv_ref(d)), TUPLE(I(1), F(2.5)), Y("\0\1\2", 3));
	assert_int_equal(d->refs, 4);
	sval all  = mkseq(SV_LIST, n, v);
	sval back = roundtrip(&all);
	assert_true(sv_equal(&back, &all));
	assert_string_equal(repr(&back), repr(&all));
	assert_int_equal(d->refs, 7); // decoding took references
	sv_free(&back);
	sv_free(&all);
	assert_int_equal(d->refs, 1);
	assert_int_equal(l->refs, 1);

	// Encoding points into the value: no string copies.
	sval  s = S("hello");
	arena a;
	arena_init(&a);
	Mgr__Value pb;
	assert_int_equal(sv_to_pb(&s, &a, &pb, NULL), 0);
	assert_ptr_equal(pb.s, sv_sdata(&s));
	sval r = sv_ref(l);
	assert_int_equal(sv_to_pb(&r, &a, &pb, NULL), 0);
	assert_int_equal(pb.kind_case, MGR__VALUE__KIND_REF);
	assert_int_equal(pb.ref->id, l->id);
	assert_int_equal(pb.ref->type, MGR__OBJ_TYPE__OBJ_LIST);
	assert_int_equal(l->refs, 2); // no session: no accounting
	sv_free(&r);
	sv_free(&s);
	arena_fini(&a);

	uint64_t id = d->id;
	mobj_decref(d);
	mobj_decref(l);
	assert_null(store_find(srv, id));
}

/* Builds a chain of depth nested one-item lists around an int. */
static Mgr__Value *
pb_nest(Mgr__Value *nodes, Mgr__Seq *seqs, Mgr__Value **ptrs, int depth)
{
	mgr__value__init(&nodes[depth]);
	nodes[depth].kind_case = MGR__VALUE__KIND_I;
	nodes[depth].i         = 7;
	for (int i = depth - 1; i >= 0; i--) {
		mgr__seq__init(&seqs[i]);
		ptrs[i]         = &nodes[i + 1];
		seqs[i].n_items = 1;
		seqs[i].items   = &ptrs[i];
		mgr__value__init(&nodes[i]);
		nodes[i].kind_case = MGR__VALUE__KIND_LIST;
		nodes[i].list      = &seqs[i];
	}
	return &nodes[0];
}

static void
test_pb_errors(void **state)
{
	(void) state;
	sval       out;
	Mgr__Value pb = MGR__VALUE__INIT;
	assert_int_equal(sv_from_pb(srv, &pb, &out), MGR_EPROTO); // not set
	assert_int_equal(sv_from_pb(srv, NULL, &out), MGR_EPROTO);

	// Depth: SV_MAX_DEPTH nested lists decode, one more does not.
	Mgr__Value  nodes[SV_MAX_DEPTH + 2];
	Mgr__Seq    seqs[SV_MAX_DEPTH + 2];
	Mgr__Value *ptrs[SV_MAX_DEPTH + 2];
	Mgr__Value *deep = pb_nest(nodes, seqs, ptrs, SV_MAX_DEPTH);
	assert_int_equal(sv_from_pb(srv, deep, &out), 0);
	sval copy;
	assert_int_equal(sv_copy(&copy, &out), 0);
	sval back = roundtrip(&copy);
	assert_true(sv_equal(&back, &out));
	sv_free(&back);
	sv_free(&copy);
	// Wrapped once more (as list.copy would), it can't be sent.
	sval  wrap = LIST(sv_move(&out));
	arena a;
	arena_init(&a);
	assert_int_equal(sv_to_pb(&wrap, &a, &pb, NULL), MGR_ETOOBIG);
	assert_int_equal(sv_copy(&copy, &wrap), MGR_ETOOBIG);
	assert_int_equal(copy.kind, SV_NONE);
	sv_free(&wrap);
	deep = pb_nest(nodes, seqs, ptrs, SV_MAX_DEPTH + 1);
	assert_int_equal(sv_from_pb(srv, deep, &out), MGR_ETOOBIG);
	assert_int_equal(out.kind, SV_NONE);
	arena_fini(&a);
}

static void
test_pb_malformed(void **state)
{
	(void) state;
	sval       out;
	Mgr__Value pb = MGR__VALUE__INIT;
	// A dict: keys and values must pair up, keys must be hashable.
	mobj      *o = NEW0(list);
	Mgr__Value k[3], v[3], *kp[3] = { &k[0], &k[1], &k[2] },
	                       *vp[3] = { &v[0], &v[1], &v[2] };
	Mgr__Ref ref                  = MGR__REF__INIT;
	Mgr__Seq empty                = MGR__SEQ__INIT;
	Mgr__Map map                  = MGR__MAP__INIT;
	ref.id                        = o->id;
	ref.secret                    = o->secret;
	ref.type                      = MGR__OBJ_TYPE__OBJ_LIST;
	for (int i = 0; i < 3; i++) {
		mgr__value__init(&k[i]);
		mgr__value__init(&v[i]);
		k[i].kind_case = MGR__VALUE__KIND_I;
		k[i].i         = i;
		v[i].kind_case = MGR__VALUE__KIND_REF; // a reference each
		v[i].ref       = &ref;
	}
	map.keys   = kp;
	map.values = vp;
	map.n_keys = map.n_values = 3;
	pb.kind_case              = MGR__VALUE__KIND_DICT;
	pb.dict                   = &map;
	assert_int_equal(sv_from_pb(srv, &pb, &out), 0);
	assert_int_equal(sdict_len(out.dict), 3);
	assert_int_equal(o->refs, 4);
	sv_free(&out);
	assert_int_equal(o->refs, 1);
	map.n_values = 2;
	assert_int_equal(sv_from_pb(srv, &pb, &out), MGR_EPROTO);
	map.n_values   = 3;
	k[2].kind_case = MGR__VALUE__KIND_LIST; // unhashable, after 2 refs
	k[2].list      = &empty;
	assert_int_equal(sv_from_pb(srv, &pb, &out), MGR_ETYPE);
	assert_int_equal(o->refs, 1); // references taken so far: dropped
	k[2].kind_case = MGR__VALUE__KIND_I;
	k[2].i         = 2;
	k[1].i         = 0; // a repeated key: the last value wins
	v[1].kind_case = MGR__VALUE__KIND_S;
	v[1].s         = "second";
	assert_int_equal(sv_from_pb(srv, &pb, &out), 0);
	assert_string_equal(repr(&out), "{0: 'second', 2: <list object #1>}");
	sv_free(&out);

	// References: unknown id, wrong type, type not said.
	pb.kind_case = MGR__VALUE__KIND_REF;
	pb.ref       = &ref;
	ref.id       = 999;
	assert_int_equal(sv_from_pb(srv, &pb, &out), MGR_ENOOBJ);
	ref.id     = o->id;
	ref.secret = o->secret ^ 1; // a live id without its secret: stale
	assert_int_equal(sv_from_pb(srv, &pb, &out), MGR_ENOOBJ);
	ref.secret = o->secret;
	ref.type   = MGR__OBJ_TYPE__OBJ_DICT;
	assert_int_equal(sv_from_pb(srv, &pb, &out), MGR_ETYPE);
	ref.type = MGR__OBJ_TYPE__OBJ_NONE;
	assert_int_equal(sv_from_pb(srv, &pb, &out), 0);
	assert_int_equal(out.kind, SV_REF);
	assert_ptr_equal(out.ref, o);
	sv_free(&out);
	pb.ref = NULL;
	assert_int_equal(sv_from_pb(srv, &pb, &out), MGR_EPROTO);

	// A list whose third item is malformed: nothing leaks.
	Mgr__Value items[3], *ip[3] = { &items[0], &items[1], &items[2] };
	Mgr__Seq   seq = MGR__SEQ__INIT;
	mgr__value__init(&items[0]);
	items[0].kind_case = MGR__VALUE__KIND_S;
	items[0].s         = "leak?";
	mgr__value__init(&items[1]);
	items[1].kind_case = MGR__VALUE__KIND_REF;
	items[1].ref       = &ref;
	mgr__value__init(&items[2]);
	seq.items    = ip;
	seq.n_items  = 3;
	pb.kind_case = MGR__VALUE__KIND_TUPLE;
	pb.tuple     = &seq;
	assert_int_equal(sv_from_pb(srv, &pb, &out), MGR_EPROTO);
	assert_int_equal(o->refs, 1);
	// Empty strings and bytes, and absent sequences.
	items[2].kind_case = MGR__VALUE__KIND_Y;
	items[2].y.len     = 0;
	items[2].y.data    = NULL;
	items[0].s         = "";
	assert_int_equal(sv_from_pb(srv, &pb, &out), 0);
	assert_string_equal(repr(&out), "('', <list object #1>, b'')");
	sv_free(&out);
	pb.tuple = NULL;
	assert_int_equal(sv_from_pb(srv, &pb, &out), 0);
	assert_string_equal(repr(&out), "()");
	sv_free(&out);
	mobj_decref(o);
}

static void
test_pb_session_refs(void **state)
{
	(void) state;
	mobj *d = NEW0(dict);
	mobj *l = NEW0(list);
	sval  v = LIST(sv_ref(d), DICT(S("k"), sv_ref(d)), sv_ref(l), S("x"));
	assert_int_equal(d->refs, 3);
	arena a;
	arena_init(&a);
	Mgr__Value pb;
	size_t     nrefs = 0;
	// The codec counts the references it encodes and takes none.
	assert_int_equal(sv_to_pb(&v, &a, &pb, &nrefs), 0);
	assert_int_equal(nrefs, 3);
	assert_int_equal(d->refs, 3);
	// The session takes one per reference met (reply.c does this for
	// every value that leaves the manager).
	session s;
	memset(&s, 0, sizeof(s));
	idmap_init(&s.refs);
	assert_int_equal(session_ref_add_all(&s, &v), 0);
	assert_int_equal(d->refs, 5);
	assert_int_equal(l->refs, 3);
	assert_int_equal(session_ref_drop(&s, d), 0);
	assert_int_equal(session_ref_drop(&s, d), 0);
	assert_int_equal(session_ref_drop(&s, d), MGR_ENOOBJ);
	assert_int_equal(session_ref_drop(&s, l), 0);
	idmap_fini(&s.refs);
	// No references in the value: nothing counted.
	sval x = LIST(S("a"), I(1));
	assert_int_equal(sv_to_pb(&x, &a, &pb, &nrefs), 0);
	assert_int_equal(nrefs, 0);
	sv_free(&x);
	sv_free(&v);
	assert_int_equal(d->refs, 1);
	assert_int_equal(l->refs, 1);
	arena_fini(&a);
	mobj_decref(d);
	mobj_decref(l);
}

static void
count_ref(sval *ref, void *arg)
{
	assert_int_equal(ref->kind, SV_REF);
	(*(size_t *) arg)++;
}

static void
test_refs_in_containers(void **state)
{
	(void) state;
	mobj    *l  = NEW0(list);
	mobj    *d  = NEW0(dict);
	mobj    *ns = NEW0(namespace);
	uint64_t id = d->id;
	// The list holds the dict (also nested), the namespace holds it too.
	assert_int_equal(OP(l, LIST_APPEND, NULL, sv_ref(d)), 0);
	assert_int_equal(
	    OP(l, LIST_APPEND, NULL, TUPLE(S("x"), DICT(sv_ref(d), N))), 0);
	assert_int_equal(OP(ns, NS_SET, NULL, S("a"), sv_ref(d)), 0);
	assert_int_equal(OP(d, DICT_SET, NULL, sv_ref(l), I(1)), 0); // cycle
	assert_int_equal(d->refs, 4);
	size_t n = 0;
	l->type->each_ref(l, count_ref, &n);
	assert_int_equal(n, 2);
	n = 0;
	d->type->each_ref(d, count_ref, &n);
	assert_int_equal(n, 1);
	n = 0;
	ns->type->each_ref(ns, count_ref, &n);
	assert_int_equal(n, 1);
	// The test's own reference goes: the containers keep d alive.
	assert_int_equal(l->refs, 2);
	mobj_decref(d);
	assert_ptr_equal(store_find(srv, id), d);
	assert_int_equal(OP0(l, LIST_CLEAR, NULL), 0);
	assert_int_equal(d->refs, 1); // the namespace's
	assert_ptr_equal(store_find(srv, id), d);
	// Its last holder lets go: d is destroyed, and its key's reference
	// to l with it.
	assert_int_equal(OP(ns, NS_DEL, NULL, S("a")), 0);
	assert_null(store_find(srv, id));
	assert_int_equal(l->refs, 1);
	mobj_decref(l);
	mobj_decref(ns);
}

/* ==== svec =================================================================
 */

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DATA_TEST(test_equal_typed),
		DATA_TEST(test_hashable),
		DATA_TEST(test_hash_spread),
		DATA_TEST(test_siphash_vectors),
		DATA_TEST(test_hash_flood),
		DATA_TEST(test_compare),
		DATA_TEST(test_repr),
		DATA_TEST(test_str_bytes),
		DATA_TEST(test_pb_roundtrip),
		DATA_TEST(test_pb_errors),
		DATA_TEST(test_pb_malformed),
		DATA_TEST(test_pb_session_refs),
		DATA_TEST(test_refs_in_containers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
