/* Unit tests of the manager's data types, in-process: values (equality,
 * hashing, ordering, repr, the protobuf codec), svec and sdict (the pure
 * data parts of list and dict), and the list, dict and namespace handlers
 * called through a minimal mctx, against a real store (server_new).
 *
 * The expected results of slices, indexes, inserts, pops, sorts and float
 * reprs are literals generated with python3 (tables below), so that the
 * semantics match Python's.
 */
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
#include "object.h"
#include "sdict.h"
#include "server.h"
#include "session.h"
#include "svec.h"
#include "value.h"

/* ---- fixtures and value builders ----------------------------------------
 */

static server *srv;

static int
setup(void **state)
{
	(void) state;
	server_opts o = { .key = "k", .keylen = 1 };
	return server_new(&srv, &o);
}

static int
teardown(void **state)
{
	(void) state;
	server_free(srv);
	srv = NULL;
	return 0;
}

static sval
S(const char *s)
{
	sval v;
	assert_int_equal(sv_str(&v, SV_STR, s, strlen(s)), 0);
	return v;
}

static sval
Y(const char *p, size_t n)
{
	sval v;
	assert_int_equal(sv_str(&v, SV_BYTES, p, n), 0);
	return v;
}

#define I(x) sv_int(x)
#define F(x) sv_float(x)
#define B(x) sv_bool(x)
#define N    SV_NONE_INIT

/* A list or tuple of the n items given (moved in). */
static sval
mkseq(sv_kind kind, size_t n, sval *items)
{
	sval v;
	assert_int_equal(sv_new_list(&v, kind, n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(svec_append(v.vec, &items[i]), 0);
	}
	return v;
}

/* A dict of n pairs given flat: k0, v0, k1, v1, ... (moved in). */
static sval
mkdict(size_t n2, sval *kv)
{
	sval d;
	assert_int_equal(sv_new_dict(&d), 0);
	for (size_t i = 0; i + 1 < n2; i += 2) {
		assert_int_equal(sdict_set(d.dict, &kv[i], &kv[i + 1]), 0);
	}
	return d;
}

#define NARGS(...) (sizeof((sval[]) { __VA_ARGS__ }) / sizeof(sval))
#define LIST(...)  mkseq(SV_LIST, NARGS(__VA_ARGS__), (sval[]) { __VA_ARGS__ })
#define TUPLE(...)                                                           \
	mkseq(SV_TUPLE, NARGS(__VA_ARGS__), (sval[]) { __VA_ARGS__ })
#define DICT(...) mkdict(NARGS(__VA_ARGS__), (sval[]) { __VA_ARGS__ })
#define LIST0     mkseq(SV_LIST, 0, NULL)
#define TUPLE0    mkseq(SV_TUPLE, 0, NULL)
#define DICT0     mkdict(0, NULL)

/* list(range(n)) */
static sval
range_list(size_t n)
{
	sval v;
	assert_int_equal(sv_new_list(&v, SV_LIST, n), 0);
	for (size_t i = 0; i < n; i++) {
		sval x = I((int64_t) i);
		assert_int_equal(svec_append(v.vec, &x), 0);
	}
	return v;
}

static char rbuf[8192];

static const char *
repr(const sval *v)
{
	return sv_repr(v, rbuf, sizeof(rbuf));
}

#define assert_repr(v, s) assert_string_equal(repr(v), (s))

/* Checks then frees v. */
static void
check_free(sval v, const char *expect)
{
	assert_repr(&v, expect);
	sv_free(&v);
}

/* ---- calling handlers as the dispatcher does ------------------------------
 */

static char last_err[200];

static const mop *
find_op(const mobj *o, Mgr__Op op)
{
	const mop *tables[] = { dict_ops, list_ops, namespace_ops };
	for (size_t t = 0; t < 3; t++) {
		for (const mop *m = tables[t]; m->fn != NULL; m++) {
			if (m->op == op && (m->types & MT(o->type->code))) {
				return m;
			}
		}
	}
	return NULL;
}

/* The dispatcher encodes every result: do it too, through a packed
 * message and back, and check it survives. */
static void
check_encodable(const sval *v)
{
	arena a;
	arena_init(&a);
	Mgr__Value pb;
	assert_int_equal(sv_to_pb(v, &a, &pb, NULL), 0);
	size_t   n   = mgr__value__get_packed_size(&pb);
	uint8_t *buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(mgr__value__pack(&pb, buf), n);
	Mgr__Value *up = mgr__value__unpack(NULL, n, buf);
	assert_non_null(up);
	sval back;
	assert_int_equal(sv_from_pb(srv, up, &back), 0);
	assert_true(sv_equal(&back, v));
	sv_free(&back);
	mgr__value__free_unpacked(up, NULL);
	free(buf);
	arena_fini(&a);
}

/* Runs op on o with the nargs arguments (moved in, freed after, as the
 * dispatcher frees its decoded arguments). The result (a copy when the
 * handler lent one) goes to *res when res is not NULL. Returns the status;
 * the detail is in last_err. */
static int
call(mobj *o, Mgr__Op op, sval *res, size_t nargs, sval *args)
{
	const mop *m = find_op(o, op);
	assert_non_null(m);
	assert_in_range(nargs, m->min_args, m->max_args);
	mctx c  = { .srv = srv, .obj = o, .args = args, .nargs = nargs };
	int  rc = m->fn(&c);
	snprintf(last_err, sizeof(last_err), "%s", c.err);
	const sval *r = c.res_borrowed != NULL ? c.res_borrowed : &c.res;
	if (rc == 0) {
		check_encodable(r);
	} else {
		assert_true(c.res_borrowed == NULL && c.res.kind == SV_NONE);
		assert_true(c.err[0] != '\0');
	}
	if (res != NULL) {
		*res = SV_NONE_INIT;
		if (rc == 0) {
			assert_int_equal(sv_copy(res, r), 0);
		}
	}
	sv_free(&c.res);
	for (size_t i = 0; i < nargs; i++) {
		sv_free(&args[i]);
	}
	return rc;
}

#define OP(o, op, res, ...)                                                  \
	call((o), MGR__OP__OP_##op, (res), NARGS(__VA_ARGS__),               \
	    (sval[]) { __VA_ARGS__ })
#define OP0(o, op, res) call((o), MGR__OP__OP_##op, (res), 0, NULL)

/* Runs op and checks its result's repr. */
static void
op_expect(mobj *o, Mgr__Op op, size_t nargs, sval *args, const char *expect)
{
	sval r;
	assert_int_equal(call(o, op, &r, nargs, args), 0);
	check_free(r, expect);
}

#define OPX(o, op, expect, ...)                                              \
	op_expect((o), MGR__OP__OP_##op, NARGS(__VA_ARGS__),                 \
	    (sval[]) { __VA_ARGS__ }, (expect))
#define OPX0(o, op, expect)                                                  \
	op_expect((o), MGR__OP__OP_##op, 0, NULL, (expect))

/* A new object of type t made by its create with the given arguments;
 * the test holds one reference. */
static mobj *
new_obj(const mtype *t, size_t nargs, sval *args)
{
	mobj *o = store_new(srv, t);
	assert_non_null(o);
	mobj_incref(o);
	mctx c = { .srv = srv, .args = args, .nargs = nargs };
	assert_int_equal(t->create(o, &c), 0);
	for (size_t i = 0; i < nargs; i++) {
		sv_free(&args[i]);
	}
	return o;
}

/* create's status for these arguments (the object is dropped). */
static int
create_status(const mtype *t, size_t nargs, sval *args)
{
	mobj *o = store_new(srv, t);
	assert_non_null(o);
	mobj_incref(o);
	mctx c  = { .srv = srv, .args = args, .nargs = nargs };
	int  rc = t->create(o, &c);
	snprintf(last_err, sizeof(last_err), "%s", c.err);
	for (size_t i = 0; i < nargs; i++) {
		sv_free(&args[i]);
	}
	mobj_decref(o);
	return rc;
}

#define NEW(t, ...)                                                          \
	new_obj(&t##_type, NARGS(__VA_ARGS__), (sval[]) { __VA_ARGS__ })
#define NEW0(t) new_obj(&t##_type, 0, NULL)

/* ---- expected results, generated with python3 (3.11)
 * ------------------------- */

/* list(range(n))[start:stop] (python3) */
static const struct slice_case {
	size_t      n;
	int64_t     start, stop;
	const char *repr;
} slice_cases[] = {
	{ 0, -7, -7, "[]" },
	{ 0, -7, -5, "[]" },
	{ 0, -7, -2, "[]" },
	{ 0, -7, -1, "[]" },
	{ 0, -7, 0, "[]" },
	{ 0, -7, 1, "[]" },
	{ 0, -7, 3, "[]" },
	{ 0, -7, 5, "[]" },
	{ 0, -7, 7, "[]" },
	{ 0, -5, -7, "[]" },
	{ 0, -5, -5, "[]" },
	{ 0, -5, -2, "[]" },
	{ 0, -5, -1, "[]" },
	{ 0, -5, 0, "[]" },
	{ 0, -5, 1, "[]" },
	{ 0, -5, 3, "[]" },
	{ 0, -5, 5, "[]" },
	{ 0, -5, 7, "[]" },
	{ 0, -2, -7, "[]" },
	{ 0, -2, -5, "[]" },
	{ 0, -2, -2, "[]" },
	{ 0, -2, -1, "[]" },
	{ 0, -2, 0, "[]" },
	{ 0, -2, 1, "[]" },
	{ 0, -2, 3, "[]" },
	{ 0, -2, 5, "[]" },
	{ 0, -2, 7, "[]" },
	{ 0, -1, -7, "[]" },
	{ 0, -1, -5, "[]" },
	{ 0, -1, -2, "[]" },
	{ 0, -1, -1, "[]" },
	{ 0, -1, 0, "[]" },
	{ 0, -1, 1, "[]" },
	{ 0, -1, 3, "[]" },
	{ 0, -1, 5, "[]" },
	{ 0, -1, 7, "[]" },
	{ 0, 0, -7, "[]" },
	{ 0, 0, -5, "[]" },
	{ 0, 0, -2, "[]" },
	{ 0, 0, -1, "[]" },
	{ 0, 0, 0, "[]" },
	{ 0, 0, 1, "[]" },
	{ 0, 0, 3, "[]" },
	{ 0, 0, 5, "[]" },
	{ 0, 0, 7, "[]" },
	{ 0, 1, -7, "[]" },
	{ 0, 1, -5, "[]" },
	{ 0, 1, -2, "[]" },
	{ 0, 1, -1, "[]" },
	{ 0, 1, 0, "[]" },
	{ 0, 1, 1, "[]" },
	{ 0, 1, 3, "[]" },
	{ 0, 1, 5, "[]" },
	{ 0, 1, 7, "[]" },
	{ 0, 3, -7, "[]" },
	{ 0, 3, -5, "[]" },
	{ 0, 3, -2, "[]" },
	{ 0, 3, -1, "[]" },
	{ 0, 3, 0, "[]" },
	{ 0, 3, 1, "[]" },
	{ 0, 3, 3, "[]" },
	{ 0, 3, 5, "[]" },
	{ 0, 3, 7, "[]" },
	{ 0, 5, -7, "[]" },
	{ 0, 5, -5, "[]" },
	{ 0, 5, -2, "[]" },
	{ 0, 5, -1, "[]" },
	{ 0, 5, 0, "[]" },
	{ 0, 5, 1, "[]" },
	{ 0, 5, 3, "[]" },
	{ 0, 5, 5, "[]" },
	{ 0, 5, 7, "[]" },
	{ 0, 7, -7, "[]" },
	{ 0, 7, -5, "[]" },
	{ 0, 7, -2, "[]" },
	{ 0, 7, -1, "[]" },
	{ 0, 7, 0, "[]" },
	{ 0, 7, 1, "[]" },
	{ 0, 7, 3, "[]" },
	{ 0, 7, 5, "[]" },
	{ 0, 7, 7, "[]" },
	{ 1, -7, -7, "[]" },
	{ 1, -7, -5, "[]" },
	{ 1, -7, -2, "[]" },
	{ 1, -7, -1, "[]" },
	{ 1, -7, 0, "[]" },
	{ 1, -7, 1, "[0]" },
	{ 1, -7, 3, "[0]" },
	{ 1, -7, 5, "[0]" },
	{ 1, -7, 7, "[0]" },
	{ 1, -5, -7, "[]" },
	{ 1, -5, -5, "[]" },
	{ 1, -5, -2, "[]" },
	{ 1, -5, -1, "[]" },
	{ 1, -5, 0, "[]" },
	{ 1, -5, 1, "[0]" },
	{ 1, -5, 3, "[0]" },
	{ 1, -5, 5, "[0]" },
	{ 1, -5, 7, "[0]" },
	{ 1, -2, -7, "[]" },
	{ 1, -2, -5, "[]" },
	{ 1, -2, -2, "[]" },
	{ 1, -2, -1, "[]" },
	{ 1, -2, 0, "[]" },
	{ 1, -2, 1, "[0]" },
	{ 1, -2, 3, "[0]" },
	{ 1, -2, 5, "[0]" },
	{ 1, -2, 7, "[0]" },
	{ 1, -1, -7, "[]" },
	{ 1, -1, -5, "[]" },
	{ 1, -1, -2, "[]" },
	{ 1, -1, -1, "[]" },
	{ 1, -1, 0, "[]" },
	{ 1, -1, 1, "[0]" },
	{ 1, -1, 3, "[0]" },
	{ 1, -1, 5, "[0]" },
	{ 1, -1, 7, "[0]" },
	{ 1, 0, -7, "[]" },
	{ 1, 0, -5, "[]" },
	{ 1, 0, -2, "[]" },
	{ 1, 0, -1, "[]" },
	{ 1, 0, 0, "[]" },
	{ 1, 0, 1, "[0]" },
	{ 1, 0, 3, "[0]" },
	{ 1, 0, 5, "[0]" },
	{ 1, 0, 7, "[0]" },
	{ 1, 1, -7, "[]" },
	{ 1, 1, -5, "[]" },
	{ 1, 1, -2, "[]" },
	{ 1, 1, -1, "[]" },
	{ 1, 1, 0, "[]" },
	{ 1, 1, 1, "[]" },
	{ 1, 1, 3, "[]" },
	{ 1, 1, 5, "[]" },
	{ 1, 1, 7, "[]" },
	{ 1, 3, -7, "[]" },
	{ 1, 3, -5, "[]" },
	{ 1, 3, -2, "[]" },
	{ 1, 3, -1, "[]" },
	{ 1, 3, 0, "[]" },
	{ 1, 3, 1, "[]" },
	{ 1, 3, 3, "[]" },
	{ 1, 3, 5, "[]" },
	{ 1, 3, 7, "[]" },
	{ 1, 5, -7, "[]" },
	{ 1, 5, -5, "[]" },
	{ 1, 5, -2, "[]" },
	{ 1, 5, -1, "[]" },
	{ 1, 5, 0, "[]" },
	{ 1, 5, 1, "[]" },
	{ 1, 5, 3, "[]" },
	{ 1, 5, 5, "[]" },
	{ 1, 5, 7, "[]" },
	{ 1, 7, -7, "[]" },
	{ 1, 7, -5, "[]" },
	{ 1, 7, -2, "[]" },
	{ 1, 7, -1, "[]" },
	{ 1, 7, 0, "[]" },
	{ 1, 7, 1, "[]" },
	{ 1, 7, 3, "[]" },
	{ 1, 7, 5, "[]" },
	{ 1, 7, 7, "[]" },
	{ 5, -7, -7, "[]" },
	{ 5, -7, -5, "[]" },
	{ 5, -7, -2, "[0, 1, 2]" },
	{ 5, -7, -1, "[0, 1, 2, 3]" },
	{ 5, -7, 0, "[]" },
	{ 5, -7, 1, "[0]" },
	{ 5, -7, 3, "[0, 1, 2]" },
	{ 5, -7, 5, "[0, 1, 2, 3, 4]" },
	{ 5, -7, 7, "[0, 1, 2, 3, 4]" },
	{ 5, -5, -7, "[]" },
	{ 5, -5, -5, "[]" },
	{ 5, -5, -2, "[0, 1, 2]" },
	{ 5, -5, -1, "[0, 1, 2, 3]" },
	{ 5, -5, 0, "[]" },
	{ 5, -5, 1, "[0]" },
	{ 5, -5, 3, "[0, 1, 2]" },
	{ 5, -5, 5, "[0, 1, 2, 3, 4]" },
	{ 5, -5, 7, "[0, 1, 2, 3, 4]" },
	{ 5, -2, -7, "[]" },
	{ 5, -2, -5, "[]" },
	{ 5, -2, -2, "[]" },
	{ 5, -2, -1, "[3]" },
	{ 5, -2, 0, "[]" },
	{ 5, -2, 1, "[]" },
	{ 5, -2, 3, "[]" },
	{ 5, -2, 5, "[3, 4]" },
	{ 5, -2, 7, "[3, 4]" },
	{ 5, -1, -7, "[]" },
	{ 5, -1, -5, "[]" },
	{ 5, -1, -2, "[]" },
	{ 5, -1, -1, "[]" },
	{ 5, -1, 0, "[]" },
	{ 5, -1, 1, "[]" },
	{ 5, -1, 3, "[]" },
	{ 5, -1, 5, "[4]" },
	{ 5, -1, 7, "[4]" },
	{ 5, 0, -7, "[]" },
	{ 5, 0, -5, "[]" },
	{ 5, 0, -2, "[0, 1, 2]" },
	{ 5, 0, -1, "[0, 1, 2, 3]" },
	{ 5, 0, 0, "[]" },
	{ 5, 0, 1, "[0]" },
	{ 5, 0, 3, "[0, 1, 2]" },
	{ 5, 0, 5, "[0, 1, 2, 3, 4]" },
	{ 5, 0, 7, "[0, 1, 2, 3, 4]" },
	{ 5, 1, -7, "[]" },
	{ 5, 1, -5, "[]" },
	{ 5, 1, -2, "[1, 2]" },
	{ 5, 1, -1, "[1, 2, 3]" },
	{ 5, 1, 0, "[]" },
	{ 5, 1, 1, "[]" },
	{ 5, 1, 3, "[1, 2]" },
	{ 5, 1, 5, "[1, 2, 3, 4]" },
	{ 5, 1, 7, "[1, 2, 3, 4]" },
	{ 5, 3, -7, "[]" },
	{ 5, 3, -5, "[]" },
	{ 5, 3, -2, "[]" },
	{ 5, 3, -1, "[3]" },
	{ 5, 3, 0, "[]" },
	{ 5, 3, 1, "[]" },
	{ 5, 3, 3, "[]" },
	{ 5, 3, 5, "[3, 4]" },
	{ 5, 3, 7, "[3, 4]" },
	{ 5, 5, -7, "[]" },
	{ 5, 5, -5, "[]" },
	{ 5, 5, -2, "[]" },
	{ 5, 5, -1, "[]" },
	{ 5, 5, 0, "[]" },
	{ 5, 5, 1, "[]" },
	{ 5, 5, 3, "[]" },
	{ 5, 5, 5, "[]" },
	{ 5, 5, 7, "[]" },
	{ 5, 7, -7, "[]" },
	{ 5, 7, -5, "[]" },
	{ 5, 7, -2, "[]" },
	{ 5, 7, -1, "[]" },
	{ 5, 7, 0, "[]" },
	{ 5, 7, 1, "[]" },
	{ 5, 7, 3, "[]" },
	{ 5, 7, 5, "[]" },
	{ 5, 7, 7, "[]" },
};
/* l = list(range(n)); l[i] (python3): NULL for IndexError */
static const struct index_case {
	size_t      n;
	int64_t     i;
	const char *repr;
} index_cases[] = {
	{ 0, -7, NULL },
	{ 0, -6, NULL },
	{ 0, -5, NULL },
	{ 0, -4, NULL },
	{ 0, -3, NULL },
	{ 0, -2, NULL },
	{ 0, -1, NULL },
	{ 0, 0, NULL },
	{ 0, 1, NULL },
	{ 0, 2, NULL },
	{ 0, 3, NULL },
	{ 0, 4, NULL },
	{ 0, 5, NULL },
	{ 0, 6, NULL },
	{ 0, 7, NULL },
	{ 1, -7, NULL },
	{ 1, -6, NULL },
	{ 1, -5, NULL },
	{ 1, -4, NULL },
	{ 1, -3, NULL },
	{ 1, -2, NULL },
	{ 1, -1, "0" },
	{ 1, 0, "0" },
	{ 1, 1, NULL },
	{ 1, 2, NULL },
	{ 1, 3, NULL },
	{ 1, 4, NULL },
	{ 1, 5, NULL },
	{ 1, 6, NULL },
	{ 1, 7, NULL },
	{ 5, -7, NULL },
	{ 5, -6, NULL },
	{ 5, -5, "0" },
	{ 5, -4, "1" },
	{ 5, -3, "2" },
	{ 5, -2, "3" },
	{ 5, -1, "4" },
	{ 5, 0, "0" },
	{ 5, 1, "1" },
	{ 5, 2, "2" },
	{ 5, 3, "3" },
	{ 5, 4, "4" },
	{ 5, 5, NULL },
	{ 5, 6, NULL },
	{ 5, 7, NULL },
};
/* l = list(range(n)); l.insert(i, 99); l (python3) */
static const struct insert_case {
	size_t      n;
	int64_t     i;
	const char *repr;
} insert_cases[] = {
	{ 0, -100, "[99]" },
	{ 0, -7, "[99]" },
	{ 0, -6, "[99]" },
	{ 0, -5, "[99]" },
	{ 0, -3, "[99]" },
	{ 0, -1, "[99]" },
	{ 0, 0, "[99]" },
	{ 0, 1, "[99]" },
	{ 0, 3, "[99]" },
	{ 0, 4, "[99]" },
	{ 0, 5, "[99]" },
	{ 0, 6, "[99]" },
	{ 0, 100, "[99]" },
	{ 1, -100, "[99, 0]" },
	{ 1, -7, "[99, 0]" },
	{ 1, -6, "[99, 0]" },
	{ 1, -5, "[99, 0]" },
	{ 1, -3, "[99, 0]" },
	{ 1, -1, "[99, 0]" },
	{ 1, 0, "[99, 0]" },
	{ 1, 1, "[0, 99]" },
	{ 1, 3, "[0, 99]" },
	{ 1, 4, "[0, 99]" },
	{ 1, 5, "[0, 99]" },
	{ 1, 6, "[0, 99]" },
	{ 1, 100, "[0, 99]" },
	{ 5, -100, "[99, 0, 1, 2, 3, 4]" },
	{ 5, -7, "[99, 0, 1, 2, 3, 4]" },
	{ 5, -6, "[99, 0, 1, 2, 3, 4]" },
	{ 5, -5, "[99, 0, 1, 2, 3, 4]" },
	{ 5, -3, "[0, 1, 99, 2, 3, 4]" },
	{ 5, -1, "[0, 1, 2, 3, 99, 4]" },
	{ 5, 0, "[99, 0, 1, 2, 3, 4]" },
	{ 5, 1, "[0, 99, 1, 2, 3, 4]" },
	{ 5, 3, "[0, 1, 2, 99, 3, 4]" },
	{ 5, 4, "[0, 1, 2, 3, 99, 4]" },
	{ 5, 5, "[0, 1, 2, 3, 4, 99]" },
	{ 5, 6, "[0, 1, 2, 3, 4, 99]" },
	{ 5, 100, "[0, 1, 2, 3, 4, 99]" },
};
/* l = list(range(n)); l.pop(i); (popped, l) (python3): NULL for IndexError */
static const struct pop_case {
	size_t      n;
	int64_t     i;
	const char *popped;
	const char *rest;
} pop_cases[] = {
	{ 0, -7, NULL, "[]" },
	{ 0, -6, NULL, "[]" },
	{ 0, -5, NULL, "[]" },
	{ 0, -4, NULL, "[]" },
	{ 0, -3, NULL, "[]" },
	{ 0, -2, NULL, "[]" },
	{ 0, -1, NULL, "[]" },
	{ 0, 0, NULL, "[]" },
	{ 0, 1, NULL, "[]" },
	{ 0, 2, NULL, "[]" },
	{ 0, 3, NULL, "[]" },
	{ 0, 4, NULL, "[]" },
	{ 0, 5, NULL, "[]" },
	{ 0, 6, NULL, "[]" },
	{ 0, 7, NULL, "[]" },
	{ 1, -7, NULL, "[0]" },
	{ 1, -6, NULL, "[0]" },
	{ 1, -5, NULL, "[0]" },
	{ 1, -4, NULL, "[0]" },
	{ 1, -3, NULL, "[0]" },
	{ 1, -2, NULL, "[0]" },
	{ 1, -1, "0", "[]" },
	{ 1, 0, "0", "[]" },
	{ 1, 1, NULL, "[0]" },
	{ 1, 2, NULL, "[0]" },
	{ 1, 3, NULL, "[0]" },
	{ 1, 4, NULL, "[0]" },
	{ 1, 5, NULL, "[0]" },
	{ 1, 6, NULL, "[0]" },
	{ 1, 7, NULL, "[0]" },
	{ 5, -7, NULL, "[0, 1, 2, 3, 4]" },
	{ 5, -6, NULL, "[0, 1, 2, 3, 4]" },
	{ 5, -5, "0", "[1, 2, 3, 4]" },
	{ 5, -4, "1", "[0, 2, 3, 4]" },
	{ 5, -3, "2", "[0, 1, 3, 4]" },
	{ 5, -2, "3", "[0, 1, 2, 4]" },
	{ 5, -1, "4", "[0, 1, 2, 3]" },
	{ 5, 0, "0", "[1, 2, 3, 4]" },
	{ 5, 1, "1", "[0, 2, 3, 4]" },
	{ 5, 2, "2", "[0, 1, 3, 4]" },
	{ 5, 3, "3", "[0, 1, 2, 4]" },
	{ 5, 4, "4", "[0, 1, 2, 3]" },
	{ 5, 5, NULL, "[0, 1, 2, 3, 4]" },
	{ 5, 6, NULL, "[0, 1, 2, 3, 4]" },
	{ 5, 7, NULL, "[0, 1, 2, 3, 4]" },
};
/* 300 numbers, equal values of mixed kinds (python3 random.seed(7)) */
static const char stable_in[]
    = "[2, 3, 0, 4, 2, False, 1, 0.0, 3, 1, 4.0, False, 0, 5, 4, 4, 3, 1, 4, "
      "2.0, True, False, 2, 5, False, 4, 1.0, False, 5, 4, 4, 3, 4.0, 2.0, "
      "4.0, 2.0, 1, 5, False, 2, 3.0, 5.0, 2, 0, 4.0, 1.0, 1.0, 3, 5, 4, "
      "2.0, 5.0, 4.0, 4.0, 0, 2.0, 5, 0, 5, 2, 4, 3.0, 5.0, 5.0, 0.0, 2, 4, "
      "3, 1.0, True, 1.0, 3.0, 0, 3.0, 4.0, 1.0, 4.0, 5.0, 2, 3, 1, 1, True, "
      "1, 3, 1.0, 2, 1.0, 4.0, 4, 2, 5, 4, 5, 0.0, 5, 3.0, 3.0, 0.0, 5.0, 0, "
      "0, 3, 0.0, 4, 0, 4, 4, 2, 0, True, 3, 5.0, 2, 2.0, 0, 3.0, 3.0, 2, 1, "
      "5.0, 5.0, 3, True, 0, 4.0, True, 4, 4.0, 5, 5.0, 4.0, 1.0, True, 4, "
      "2, True, 1, 3, 1, 4.0, 2, 0, 2.0, 2, 5, 2.0, 5.0, 2, 1, 1.0, 1.0, "
      "1.0, 4, 0.0, 5.0, 5, 5, 3, 1.0, 1.0, 5.0, False, 3.0, 3, False, 1, 1, "
      "True, 3, True, 4.0, 5.0, True, 4, 0, 5, False, 5, 3, 1, 2, 2, True, "
      "2.0, 4.0, 1, 5.0, 3, 4, 3, True, True, 4, 3, 4, 1, 1.0, 4, False, "
      "0.0, 5, 4, 3, 4, 1, 2, False, 3, 0, 3.0, 4, 4, True, 2.0, 4, 3, True, "
      "4.0, 4, 3, 3, 3.0, 2, 5, 3, True, 2, True, 5, 2, 2, 3, 5, 3.0, True, "
      "1, 5.0, 4.0, 2.0, 1.0, 2, 5.0, 0.0, 4.0, 3, 0.0, 2, 4.0, 4, 0, 0, "
      "2.0, 0, 2, 3, 2.0, True, 4, 3, 2, 2, 5, 3, 2, 5, 2, 4, 0.0, 0.0, 0.0, "
      "4.0, 2, 1, 4, 1, 1.0, 0, 1.0, 5.0, 4, 2.0, 4, 1.0, 2, 2, 0, 5, 4, "
      "4.0, 1.0, False, 5.0, 5.0, 4.0, 4.0, 5, 1.0, True, 5]";
static const char stable_code[]
    = "i2i3i0i4i2b0i1f0i3i1f4b0i0i5i4i4i3i1i4f2b1b0i2i5b0i4f1b0i5i4i4i3f4f2f4"
      "f2i1i5b0i2f3f5i2i0f4f1f1i3i5i4f2f5f4f4i0f2i5i0i5i2i4f3f5f5f0i2i4i3f1b1"
      "f1f3i0f3f4f1f4f5i2i3i1i1b1i1i3f1i2f1f4i4i2i5i4i5f0i5f3f3f0f5i0i0i3f0i4"
      "i0i4i4i2i0b1i3f5i2f2i0f3f3i2i1f5f5i3b1i0f4b1i4f4i5f5f4f1b1i4i2b1i1i3i1"
      "f4i2i0f2i2i5f2f5i2i1f1f1f1i4f0f5i5i5i3f1f1f5b0f3i3b0i1i1b1i3b1f4f5b1i4"
      "i0i5b0i5i3i1i2i2b1f2f4i1f5i3i4i3b1b1i4i3i4i1f1i4b0f0i5i4i3i4i1i2b0i3i0"
      "f3i4i4b1f2i4i3b1f4i4i3i3f3i2i5i3b1i2b1i5i2i2i3i5f3b1i1f5f4f2f1i2f5f0f4"
      "i3f0i2f4i4i0i0f2i0i2i3f2b1i4i3i2i2i5i3i2i5i2i4f0f0f0f4i2i1i4i1f1i0f1f5"
      "i4f2i4f1i2i2i0i5i4f4f1b0f5f5f4f4i5f1b1i5";
static const char stable_sorted[]
    = "[0, False, 0.0, False, 0, False, False, False, False, 0, 0, 0, 0.0, "
      "0, 0.0, 0.0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0.0, False, False, 0, False, "
      "False, 0.0, False, 0, 0.0, 0.0, 0, 0, 0, 0.0, 0.0, 0.0, 0, 0, False, "
      "1, 1, 1, True, 1.0, 1, 1.0, 1.0, 1.0, True, 1.0, 1.0, 1, 1, True, 1, "
      "1.0, 1.0, True, 1, True, True, 1.0, True, True, 1, 1, 1, 1.0, 1.0, "
      "1.0, 1.0, 1.0, 1, 1, True, True, True, 1, True, 1, True, True, 1, "
      "1.0, 1, True, True, True, True, True, 1, 1.0, True, 1, 1, 1.0, 1.0, "
      "1.0, 1.0, 1.0, True, 2, 2, 2.0, 2, 2.0, 2.0, 2, 2, 2.0, 2.0, 2, 2, 2, "
      "2, 2, 2, 2, 2.0, 2, 2, 2, 2.0, 2, 2.0, 2, 2, 2, 2.0, 2, 2.0, 2, 2, 2, "
      "2, 2.0, 2, 2, 2.0, 2, 2.0, 2, 2, 2, 2, 2, 2.0, 2, 2, 3, 3, 3, 3, 3.0, "
      "3, 3.0, 3, 3.0, 3.0, 3, 3, 3.0, 3.0, 3, 3, 3.0, 3.0, 3, 3, 3, 3.0, 3, "
      "3, 3, 3, 3, 3, 3, 3, 3.0, 3, 3, 3, 3.0, 3, 3, 3.0, 3, 3, 3, 3, 4, "
      "4.0, 4, 4, 4, 4, 4, 4, 4.0, 4.0, 4.0, 4, 4.0, 4.0, 4, 4, 4.0, 4.0, "
      "4.0, 4, 4, 4, 4, 4, 4.0, 4, 4.0, 4.0, 4, 4.0, 4, 4.0, 4, 4.0, 4, 4, "
      "4, 4, 4, 4, 4, 4, 4, 4.0, 4, 4.0, 4.0, 4.0, 4, 4, 4, 4.0, 4, 4, 4, 4, "
      "4.0, 4.0, 4.0, 5, 5, 5, 5, 5.0, 5, 5.0, 5, 5, 5.0, 5.0, 5.0, 5, 5, 5, "
      "5.0, 5.0, 5.0, 5.0, 5, 5.0, 5, 5.0, 5.0, 5, 5, 5.0, 5.0, 5, 5, 5.0, "
      "5, 5, 5, 5, 5.0, 5.0, 5, 5, 5.0, 5, 5.0, 5.0, 5, 5]";
static const char stable_sorted_rev[]
    = "[5, 5, 5, 5, 5.0, 5, 5.0, 5, 5, 5.0, 5.0, 5.0, 5, 5, 5, 5.0, 5.0, "
      "5.0, 5.0, 5, 5.0, 5, 5.0, 5.0, 5, 5, 5.0, 5.0, 5, 5, 5.0, 5, 5, 5, 5, "
      "5.0, 5.0, 5, 5, 5.0, 5, 5.0, 5.0, 5, 5, 4, 4.0, 4, 4, 4, 4, 4, 4, "
      "4.0, 4.0, 4.0, 4, 4.0, 4.0, 4, 4, 4.0, 4.0, 4.0, 4, 4, 4, 4, 4, 4.0, "
      "4, 4.0, 4.0, 4, 4.0, 4, 4.0, 4, 4.0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4.0, "
      "4, 4.0, 4.0, 4.0, 4, 4, 4, 4.0, 4, 4, 4, 4, 4.0, 4.0, 4.0, 3, 3, 3, "
      "3, 3.0, 3, 3.0, 3, 3.0, 3.0, 3, 3, 3.0, 3.0, 3, 3, 3.0, 3.0, 3, 3, 3, "
      "3.0, 3, 3, 3, 3, 3, 3, 3, 3, 3.0, 3, 3, 3, 3.0, 3, 3, 3.0, 3, 3, 3, "
      "3, 2, 2, 2.0, 2, 2.0, 2.0, 2, 2, 2.0, 2.0, 2, 2, 2, 2, 2, 2, 2, 2.0, "
      "2, 2, 2, 2.0, 2, 2.0, 2, 2, 2, 2.0, 2, 2.0, 2, 2, 2, 2, 2.0, 2, 2, "
      "2.0, 2, 2.0, 2, 2, 2, 2, 2, 2.0, 2, 2, 1, 1, 1, True, 1.0, 1, 1.0, "
      "1.0, 1.0, True, 1.0, 1.0, 1, 1, True, 1, 1.0, 1.0, True, 1, True, "
      "True, 1.0, True, True, 1, 1, 1, 1.0, 1.0, 1.0, 1.0, 1.0, 1, 1, True, "
      "True, True, 1, True, 1, True, True, 1, 1.0, 1, True, True, True, "
      "True, True, 1, 1.0, True, 1, 1, 1.0, 1.0, 1.0, 1.0, 1.0, True, 0, "
      "False, 0.0, False, 0, False, False, False, False, 0, 0, 0, 0.0, 0, "
      "0.0, 0.0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0.0, False, False, 0, False, "
      "False, 0.0, False, 0, 0.0, 0.0, 0, 0, 0, 0.0, 0.0, 0.0, 0, 0, False]";
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

	// A dict: keys and values must pair up, keys must be hashable.
	mobj      *o = NEW0(list);
	Mgr__Value k[3], v[3], *kp[3] = { &k[0], &k[1], &k[2] },
	                       *vp[3] = { &v[0], &v[1], &v[2] };
	Mgr__Ref ref                  = MGR__REF__INIT;
	Mgr__Seq empty                = MGR__SEQ__INIT;
	Mgr__Map map                  = MGR__MAP__INIT;
	ref.id                        = o->id;
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
	ref.id   = o->id;
	ref.type = MGR__OBJ_TYPE__OBJ_DICT;
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
	arena_fini(&a);
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

static void
test_svec_basic(void **state)
{
	(void) state;
	svec *v = svec_new(0);
	assert_non_null(v);
	for (int i = 0; i < 100000; i++) {
		sval x = I(i);
		assert_int_equal(svec_append(v, &x), 0);
		assert_int_equal(x.kind, SV_NONE); // moved
	}
	assert_int_equal(svec_len(v), 100000);
	assert_int_equal(svec_get(v, -1)->i, 99999);
	assert_int_equal(svec_get(v, -100000)->i, 0);
	assert_null(svec_get(v, -100001));
	assert_null(svec_get(v, 100000));
	size_t pos;
	sval   x = I(4242);
	assert_int_equal(svec_find(v, &x, &pos), 0);
	assert_int_equal(pos, 4242);
	x = F(4242.0); // typed: not found
	assert_int_equal(svec_find(v, &x, &pos), MGR_EVALUE);
	sval out;
	while (svec_len(v) > 3) {
		assert_int_equal(svec_pop(v, -1, &out), 0);
	}
	assert_true(v->cap < 1000); // memory given back
	assert_int_equal(svec_pop(v, 0, &out), 0);
	assert_int_equal(out.i, 0);
	// set frees the old item, del too (strings: ASan checks).
	sval s = S("one");
	assert_int_equal(svec_set(v, -1, &s), 0);
	s = S("two");
	assert_int_equal(svec_set(v, 2, &s), MGR_EINDEX);
	assert_int_equal(s.kind, SV_STR); // not taken
	assert_int_equal(svec_insert(v, 0, &s), 0);
	sval c = S("one");
	assert_int_equal(svec_count(v, &c), 1);
	assert_int_equal(svec_remove(v, &c), 0);
	assert_int_equal(svec_remove(v, &c), MGR_EVALUE);
	sv_free(&c);
	sval whole = { .kind = SV_LIST, .vec = v };
	assert_repr(&whole, "['two', 1]");
	svec_reverse(v);
	assert_repr(&whole, "[1, 'two']");
	assert_int_equal(svec_del(v, -2), 0);
	assert_int_equal(svec_del(v, 1), MGR_EINDEX);
	assert_repr(&whole, "['two']");
	svec_clear(v);
	assert_int_equal(svec_len(v), 0);
	assert_int_equal(svec_pop(v, -1, &out), MGR_EINDEX);
	x = I(1);
	assert_int_equal(svec_append(v, &x), 0); // usable after clear
	// count and remove compare typed values.
	x = F(1.0);
	assert_int_equal(svec_append(v, &x), 0);
	x = B(true);
	assert_int_equal(svec_append(v, &x), 0);
	x = I(1);
	assert_int_equal(svec_append(v, &x), 0);
	x = I(1);
	assert_int_equal(svec_count(v, &x), 2);
	x = F(1.0);
	assert_int_equal(svec_remove(v, &x), 0);
	assert_repr(&whole, "[1, True, 1]");
	svec_free(v);
	svec_free(NULL);
}

static void
test_svec_tables(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(slice_cases) / sizeof(slice_cases[0]);
	     i++) {
		sval  l = range_list(slice_cases[i].n);
		svec *r;
		assert_int_equal(svec_slice(l.vec, slice_cases[i].start,
		                     slice_cases[i].stop, &r),
		    0);
		sval rv = { .kind = SV_LIST, .vec = r };
		if (strcmp(repr(&rv), slice_cases[i].repr) != 0) {
			fail_msg(
			    "list(range(%zu))[%lld:%lld] gave %s, not %s",
			    slice_cases[i].n,
			    (long long) slice_cases[i].start,
			    (long long) slice_cases[i].stop, repr(&rv),
			    slice_cases[i].repr);
		}
		sv_free(&rv);
		sv_free(&l);
	}
	for (size_t i = 0; i < sizeof(index_cases) / sizeof(index_cases[0]);
	     i++) {
		sval        l = range_list(index_cases[i].n);
		const sval *x = svec_get(l.vec, index_cases[i].i);
		if (index_cases[i].repr == NULL) {
			assert_null(x);
		} else {
			assert_non_null(x);
			assert_repr(x, index_cases[i].repr);
		}
		sv_free(&l);
	}
	for (size_t i = 0; i < sizeof(insert_cases) / sizeof(insert_cases[0]);
	     i++) {
		sval l = range_list(insert_cases[i].n);
		sval x = I(99);
		assert_int_equal(
		    svec_insert(l.vec, insert_cases[i].i, &x), 0);
		assert_repr(&l, insert_cases[i].repr);
		sv_free(&l);
	}
	for (size_t i = 0; i < sizeof(pop_cases) / sizeof(pop_cases[0]);
	     i++) {
		sval l  = range_list(pop_cases[i].n);
		sval x  = N;
		int  rc = svec_pop(l.vec, pop_cases[i].i, &x);
		if (pop_cases[i].popped == NULL) {
			assert_int_equal(rc, MGR_EINDEX);
		} else {
			assert_int_equal(rc, 0);
			assert_repr(&x, pop_cases[i].popped);
		}
		assert_repr(&l, pop_cases[i].rest);
		// del follows the same indexing.
		sval l2 = range_list(pop_cases[i].n);
		assert_int_equal(svec_del(l2.vec, pop_cases[i].i), rc);
		assert_repr(&l2, pop_cases[i].rest);
		sv_free(&l2);
		sv_free(&l);
	}
	// Extreme bounds.
	sval  l = range_list(3);
	svec *r;
	assert_int_equal(svec_slice(l.vec, INT64_MIN, INT64_MAX, &r), 0);
	assert_int_equal(svec_len(r), 3);
	svec_free(r);
	assert_null(svec_get(l.vec, INT64_MIN));
	sv_free(&l);
}

/* The numbers of stable_code: i<k> int, f<k> float, b<k> bool. */
static sval
stable_list(void)
{
	sval l = LIST0;
	for (const char *p = stable_code; *p != '\0'; p += 2) {
		int  k = p[1] - '0';
		sval x = p[0] == 'i' ? I(k) : p[0] == 'f' ? F(k) : B(k != 0);
		assert_int_equal(svec_append(l.vec, &x), 0);
	}
	return l;
}

static void
test_svec_sort(void **state)
{
	(void) state;
	// Stable, in both directions, over runs and merges (300 items).
	sval l = stable_list();
	assert_repr(&l, stable_in);
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	assert_repr(&l, stable_sorted);
	sv_free(&l);
	l = stable_list();
	assert_int_equal(svec_sort(l.vec, true, NULL, NULL), 0);
	assert_repr(&l, stable_sorted_rev);
	sv_free(&l);

	// Large: reverse-sorted input, then sorted input.
	l = range_list(5000);
	svec_reverse(l.vec);
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(svec_get(l.vec, i)->i, i);
	}
	assert_int_equal(svec_sort(l.vec, true, NULL, NULL), 0);
	assert_int_equal(svec_get(l.vec, 0)->i, 4999);
	sv_free(&l);

	l = LIST(S("pear"), S("apple"), S("fig"), S("apple pie"), S(""));
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	check_free(l, "['', 'apple', 'apple pie', 'fig', 'pear']");
	l = LIST(TUPLE(I(2), S("a")), TUPLE(I(1), S("b")),
	    TUPLE(I(1), S("a")), TUPLE(I(1)));
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	check_free(l, "[(1,), (1, 'a'), (1, 'b'), (2, 'a')]");
	l = LIST(N); // one item: nothing compared, as in Python
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	sv_free(&l);

	// Unorderable: an error naming the pair, and the list unchanged.
	const char *mixed[] = { "[3, 1, 2, 'a', 0]", "[None, None]",
		"[[1], ['a']]", "[{}, {}]", "[(1,), [1]]" };
	sval lists[] = { LIST(I(3), I(1), I(2), S("a"), I(0)), LIST(N, N),
		LIST(LIST(I(1)), LIST(S("a"))), LIST(DICT0, DICT0),
		LIST(TUPLE(I(1)), LIST(I(1))) };
	const char *pairs[][2] = { { "str", "int" },
		{ "NoneType", "NoneType" }, { "str", "int" },
		{ "dict", "dict" }, { "list", "tuple" } };
	for (size_t i = 0; i < 5; i++) {
		const sval *a = NULL, *b = NULL;
		assert_int_equal(
		    svec_sort(lists[i].vec, i % 2, &a, &b), MGR_ETYPE);
		assert_repr(&lists[i], mixed[i]);
		if (i % 2 == 0) { // reversed sorts compare the other way
			assert_string_equal(sv_type_name(a), pairs[i][0]);
			assert_string_equal(sv_type_name(b), pairs[i][1]);
		}
		sv_free(&lists[i]);
	}
	// NaN: not an error, and nothing lost.
	l = LIST(F(3), F(NAN), F(1), F(2));
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	assert_int_equal(svec_len(l.vec), 4);
	sv_free(&l);
}

static void
test_svec_copy_extend(void **state)
{
	(void) state;
	sval  l = LIST(S("a"), LIST(S("b")), DICT(S("k"), S("v")));
	svec *c;
	assert_int_equal(svec_copy(l.vec, &c), 0);
	sval cv = { .kind = SV_LIST, .vec = c };
	assert_true(sv_equal(&cv, &l));
	// Deep: changing the copy's nested list leaves the original.
	sval x = S("c");
	assert_int_equal(svec_append(svec_get(c, 1)->vec, &x), 0);
	assert_repr(&l, "['a', ['b'], {'k': 'v'}]");
	assert_repr(&cv, "['a', ['b', 'c'], {'k': 'v'}]");
	// extend moves the items; the source is left empty.
	assert_int_equal(svec_extend(l.vec, c), 0);
	assert_int_equal(svec_len(c), 0);
	assert_repr(
	    &l, "['a', ['b'], {'k': 'v'}, 'a', ['b', 'c'], {'k': 'v'}]");
	assert_int_equal(svec_extend(l.vec, c), 0); // empty: a no-op
	assert_int_equal(svec_len(l.vec), 6);
	sv_free(&cv);
	sv_free(&l);
}

/* ==== sdict
 * ================================================================= */

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
dset(sdict *d, sval k, sval v)
{
	assert_int_equal(sdict_set(d, &k, &v), 0);
	assert_int_equal(k.kind, SV_NONE);
	assert_int_equal(v.kind, SV_NONE);
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

static void
test_list_handlers(void **state)
{
	(void) state;
	// The first seed example: reverse list(range(10)).
	mobj *l = NEW(list, range_list(10));
	assert_int_equal(OP0(l, LIST_REVERSE, NULL), 0);
	OPX0(l, LIST_COPY, "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]");
	OPX0(l, LIST_LEN, "10");
	assert_int_equal(OP0(l, LIST_SORT, NULL), 0);
	OPX(l, LIST_SLICE, "[7, 8, 9]", I(-3), I(100));
	OPX(l, LIST_SLICE, "[0, 1]", N, I(2));
	OPX(l, LIST_SLICE, "[8, 9]", I(8), N);
	OPX(l, LIST_SLICE, "[]", I(5), I(2));
	assert_int_equal(OP(l, LIST_SORT, NULL, B(true)), 0);
	OPX(l, LIST_GET, "9", I(0));
	OPX(l, LIST_GET, "0", I(-1));
	assert_int_equal(OP(l, LIST_GET, NULL, I(10)), MGR_EINDEX);
	assert_string_equal(last_err, "list index out of range");
	assert_int_equal(OP(l, LIST_GET, NULL, S("0")), MGR_ETYPE);
	assert_int_equal(OP0(l, LIST_CLEAR, NULL), 0);

	// The second: ['a', 'b'] + 'c'.
	assert_int_equal(OP(l, LIST_EXTEND, NULL, LIST(S("a"), S("b"))), 0);
	assert_int_equal(OP(l, LIST_APPEND, NULL, S("c")), 0);
	OPX0(l, LIST_COPY, "['a', 'b', 'c']");
	assert_int_equal(OP(l, LIST_EXTEND, NULL, TUPLE(I(1), I(2))), 0);
	assert_int_equal(OP(l, LIST_EXTEND, NULL, I(5)), MGR_ETYPE);
	assert_string_equal(last_err, "'int' object is not iterable");
	assert_int_equal(OP(l, LIST_INSERT, NULL, I(-100), N), 0);
	assert_int_equal(OP(l, LIST_INSERT, NULL, I(100), F(2.5)), 0);
	assert_int_equal(OP(l, LIST_INSERT, NULL, I(-1), S("x")), 0);
	OPX0(l, LIST_COPY, "[None, 'a', 'b', 'c', 1, 2, 'x', 2.5]");
	assert_int_equal(OP(l, LIST_SET, NULL, I(-2), DICT(S("k"), I(1))), 0);
	assert_int_equal(OP(l, LIST_SET, NULL, I(8), N), MGR_EINDEX);
	assert_string_equal(last_err, "list assignment index out of range");
	assert_int_equal(OP(l, LIST_DEL, NULL, I(0)), 0);
	assert_int_equal(OP(l, LIST_DEL, NULL, I(-8)), MGR_EINDEX);
	assert_string_equal(last_err, "list assignment index out of range");
	OPX0(l, LIST_COPY, "['a', 'b', 'c', 1, 2, {'k': 1}, 2.5]");
	OPX(l, LIST_GET, "{'k': 1}", I(5));
	OPX(l, LIST_POP, "'b'", I(1));
	OPX0(l, LIST_POP, "2.5");
	assert_int_equal(OP(l, LIST_POP, NULL, I(9)), MGR_EINDEX);
	assert_string_equal(last_err, "pop index out of range");
	OPX(l, LIST_INDEX, "2", I(1));
	assert_int_equal(OP(l, LIST_INDEX, NULL, F(1.0)), MGR_EVALUE);
	assert_string_equal(last_err, "1.0 is not in list");
	OPX(l, LIST_COUNT, "1", S("a"));
	OPX(l, LIST_COUNT, "0", S("zz"));
	assert_int_equal(OP(l, LIST_REMOVE, NULL, S("a")), 0);
	assert_int_equal(OP(l, LIST_REMOVE, NULL, S("a")), MGR_EVALUE);
	assert_string_equal(last_err, "list.remove(x): x not in list");
	OPX0(l, LIST_COPY, "['c', 1, 2, {'k': 1}]");
	assert_int_equal(OP0(l, LIST_SORT, NULL), MGR_ETYPE);
	assert_string_equal(last_err,
	    "'<' not supported between instances of 'int' and 'str'");
	OPX0(l, LIST_COPY, "['c', 1, 2, {'k': 1}]"); // unchanged
	assert_int_equal(OP(l, LIST_SORT, NULL, I(1)), MGR_ETYPE); // not bool
	OPX0(l, LIST_LEN, "4");
	assert_int_equal(OP0(l, LIST_CLEAR, NULL), 0);
	assert_int_equal(OP0(l, LIST_POP, NULL), MGR_EINDEX);
	assert_string_equal(last_err, "pop from empty list");
	OPX0(l, LIST_COPY, "[]");
	OPX0(l, LIST_LEN, "0");
	mobj_decref(l);

	// create: nothing, None, a list, a tuple; not an int or two args.
	l = NEW0(list);
	OPX0(l, LIST_LEN, "0");
	mobj_decref(l);
	l = NEW(list, N);
	OPX0(l, LIST_LEN, "0");
	mobj_decref(l);
	l = NEW(list, TUPLE(S("t"), I(1)));
	OPX0(l, LIST_COPY, "['t', 1]");
	mobj_decref(l);
	assert_int_equal(
	    create_status(&list_type, 1, (sval[]) { I(3) }), MGR_ETYPE);
	assert_int_equal(
	    create_status(&list_type, 2, (sval[]) { LIST0, LIST0 }),
	    MGR_EINVAL);
}

static void
test_dict_handlers(void **state)
{
	(void) state;
	// The first seed example.
	mobj *d = NEW0(dict);
	assert_int_equal(OP(d, DICT_SET, NULL, I(1), S("1")), 0);
	assert_int_equal(OP(d, DICT_SET, NULL, S("2"), I(2)), 0);
	assert_int_equal(OP(d, DICT_SET, NULL, F(0.25), N), 0);
	OPX0(d, DICT_COPY, "{1: '1', '2': 2, 0.25: None}");
	OPX(d, DICT_GET, "'1'", I(1));
	OPX(d, DICT_GET, "None", F(0.25));
	assert_int_equal(OP(d, DICT_GET, NULL, F(1.0)), MGR_EKEY);
	assert_string_equal(last_err, "1.0");
	assert_int_equal(OP(d, DICT_GET, NULL, S("x")), MGR_EKEY);
	assert_string_equal(last_err, "'x'");
	assert_int_equal(OP(d, DICT_GET, NULL, LIST(I(1))), MGR_ETYPE);
	assert_string_equal(last_err, "unhashable type: 'list'");
	assert_int_equal(
	    OP(d, DICT_SET, NULL, TUPLE(I(1), DICT0), I(0)), MGR_ETYPE);
	assert_string_equal(last_err, "unhashable type: 'dict'");
	OPX(d, DICT_CONTAINS, "True", S("2"));
	OPX(d, DICT_CONTAINS, "False", I(2));
	assert_int_equal(OP(d, DICT_CONTAINS, NULL, LIST0), MGR_ETYPE);
	OPX0(d, DICT_LEN, "3");
	OPX0(d, DICT_KEYS, "[1, '2', 0.25]");
	OPX0(d, DICT_VALUES, "['1', 2, None]");
	OPX0(d, DICT_ITEMS, "[(1, '1'), ('2', 2), (0.25, None)]");
	assert_int_equal(OP(d, DICT_DEL, NULL, I(1)), 0);
	assert_int_equal(OP(d, DICT_DEL, NULL, I(1)), MGR_EKEY);
	assert_string_equal(last_err, "1");
	OPX(d, DICT_POP, "2", S("2"));
	assert_int_equal(OP(d, DICT_POP, NULL, S("2")), MGR_EKEY);
	OPX(d, DICT_POP, "'dflt'", S("2"), S("dflt"));
	OPX(d, DICT_SETDEFAULT, "None", F(0.25), I(7)); // present
	OPX(d, DICT_SETDEFAULT, "[]", TUPLE(I(1), I(2)), LIST0);
	OPX(d, DICT_SETDEFAULT, "None", S("n"));
	OPX0(d, DICT_COPY, "{0.25: None, (1, 2): [], 'n': None}");
	OPX0(d, DICT_POPITEM, "('n', None)");
	// update: from a dict, from pairs; bad arguments change nothing.
	assert_int_equal(
	    OP(d, DICT_UPDATE, NULL, DICT(F(0.25), S("q"), S("new"), I(1))),
	    0);
	assert_int_equal(OP(d, DICT_UPDATE, NULL,
	                     LIST(TUPLE(S("p"), I(1)), LIST(S("new"), I(2)))),
	    0);
	OPX0(d, DICT_COPY, "{0.25: 'q', (1, 2): [], 'new': 2, 'p': 1}");
	assert_int_equal(
	    OP(d, DICT_UPDATE, NULL, LIST(TUPLE(S("z"), I(1)), TUPLE(I(1)))),
	    MGR_EVALUE);
	assert_string_equal(last_err,
	    "dictionary update sequence element #1 has length 1; 2 is "
	    "required");
	assert_int_equal(
	    OP(d, DICT_UPDATE, NULL, LIST(TUPLE(S("z"), I(1)), I(1))),
	    MGR_ETYPE);
	assert_int_equal(OP(d, DICT_UPDATE, NULL,
	                     LIST(TUPLE(S("z"), I(1)), TUPLE(LIST0, I(1)))),
	    MGR_ETYPE);
	assert_int_equal(OP(d, DICT_UPDATE, NULL, S("ab")), MGR_ETYPE);
	OPX0(d, DICT_LEN, "4");
	assert_int_equal(OP0(d, DICT_CLEAR, NULL), 0);
	assert_int_equal(OP0(d, DICT_POPITEM, NULL), MGR_EKEY);
	assert_string_equal(last_err, "popitem(): dictionary is empty");
	OPX0(d, DICT_KEYS, "[]");
	OPX0(d, DICT_ITEMS, "[]");
	OPX0(d, DICT_COPY, "{}");
	mobj_decref(d);

	// create: a dict, pairs, None, nothing; not a str or two args.
	d = NEW(dict, DICT(S("a"), I(1)));
	OPX0(d, DICT_COPY, "{'a': 1}");
	mobj_decref(d);
	d = NEW(dict, LIST(TUPLE(S("a"), I(1)), TUPLE(S("a"), I(2))));
	OPX0(d, DICT_COPY, "{'a': 2}");
	mobj_decref(d);
	d = NEW(dict, N);
	OPX0(d, DICT_LEN, "0");
	mobj_decref(d);
	assert_int_equal(
	    create_status(&dict_type, 1, (sval[]) { S("ab") }), MGR_ETYPE);
	assert_int_equal(
	    create_status(&dict_type, 1, (sval[]) { LIST(TUPLE(LIST0, N)) }),
	    MGR_ETYPE);
	assert_int_equal(
	    create_status(&dict_type, 2, (sval[]) { DICT0, DICT0 }),
	    MGR_EINVAL);
}

static void
test_dict_incr(void **state)
{
	(void) state;
	mobj *d = NEW0(dict);
	OPX(d, DICT_INCR, "5", S("n"), I(5)); // missing: int 0 + 5
	OPX(d, DICT_INCR, "3", S("n"), I(-2));
	OPX(d, DICT_INCR, "4", S("n"));             // delta defaults to 1
	OPX(d, DICT_INCR, "4.5", S("n"), F(0.5));   // int + float: float
	OPX(d, DICT_INCR, "5.5", S("n"), I(1));     // float + int: float
	OPX(d, DICT_INCR, "0.25", S("f"), F(0.25)); // missing + float
	OPX(d, DICT_GET, "5.5", S("n"));
	assert_int_equal(
	    OP(d, DICT_SET, NULL, S("big"), I(INT64_MAX - 1)), 0);
	OPX(d, DICT_INCR, "9223372036854775807", S("big"), I(1));
	assert_int_equal(OP(d, DICT_INCR, NULL, S("big"), I(1)), MGR_ERANGE);
	OPX(d, DICT_GET, "9223372036854775807", S("big")); // unchanged
	assert_int_equal(OP(d, DICT_SET, NULL, S("small"), I(INT64_MIN)), 0);
	assert_int_equal(
	    OP(d, DICT_INCR, NULL, S("small"), I(-1)), MGR_ERANGE);
	// Non-numbers: the stored value, the delta (bool is not a number).
	assert_int_equal(OP(d, DICT_SET, NULL, S("s"), S("x")), 0);
	assert_int_equal(OP(d, DICT_INCR, NULL, S("s"), I(1)), MGR_ETYPE);
	assert_string_equal(
	    last_err, "unsupported operand type(s) for +=: 'str' and 'int'");
	assert_int_equal(OP(d, DICT_SET, NULL, S("b"), B(true)), 0);
	assert_int_equal(OP(d, DICT_INCR, NULL, S("b"), I(1)), MGR_ETYPE);
	assert_int_equal(OP(d, DICT_INCR, NULL, S("n"), B(true)), MGR_ETYPE);
	assert_int_equal(OP(d, DICT_INCR, NULL, S("new"), S("1")), MGR_ETYPE);
	assert_int_equal(OP(d, DICT_INCR, NULL, LIST0, I(1)), MGR_ETYPE);
	OPX(d, DICT_CONTAINS, "False", S("new")); // failed: not created
	// Typed keys: 1 and 1.0 count apart.
	OPX(d, DICT_INCR, "1", I(1), I(1));
	OPX(d, DICT_INCR, "1", F(1.0), I(1));
	OPX(d, DICT_INCR, "2", I(1), I(1));
	mobj_decref(d);
}

static void
test_namespace_handlers(void **state)
{
	(void) state;
	mobj *ns = NEW0(namespace);
	assert_int_equal(OP(ns, NS_SET, NULL, S("x"), I(1)), 0);
	assert_int_equal(OP(ns, NS_SET, NULL, S("y"), LIST(S("a"))), 0);
	assert_int_equal(OP(ns, NS_SET, NULL, S("x"), F(2.5)), 0);
	OPX(ns, NS_GET, "2.5", S("x"));
	OPX(ns, NS_GET, "['a']", S("y"));
	OPX0(ns, NS_ITEMS, "{'x': 2.5, 'y': ['a']}");
	assert_int_equal(OP(ns, NS_GET, NULL, S("z")), MGR_EKEY);
	assert_string_equal(last_err, "no attribute 'z'");
	assert_int_equal(OP(ns, NS_DEL, NULL, S("x")), 0);
	assert_int_equal(OP(ns, NS_DEL, NULL, S("x")), MGR_EKEY);
	assert_string_equal(last_err, "no attribute 'x'");
	assert_int_equal(OP(ns, NS_SET, NULL, I(1), I(1)), MGR_ETYPE);
	assert_int_equal(OP(ns, NS_GET, NULL, Y("y", 1)), MGR_ETYPE);
	assert_int_equal(OP(ns, NS_DEL, NULL, N), MGR_ETYPE);
	OPX0(ns, NS_ITEMS, "{'y': ['a']}");
	mobj_decref(ns);

	ns = NEW(namespace, DICT(S("a"), I(1), S("b"), N));
	OPX(ns, NS_GET, "1", S("a"));
	OPX0(ns, NS_ITEMS, "{'a': 1, 'b': None}");
	mobj_decref(ns);
	ns = NEW(namespace, N);
	OPX0(ns, NS_ITEMS, "{}");
	mobj_decref(ns);
	assert_int_equal(create_status(&namespace_type, 1,
	                     (sval[]) { DICT(S("a"), I(1), I(2), I(2)) }),
	    MGR_ETYPE);
	assert_string_equal(
	    last_err, "attribute name must be string, not 'int'");
	assert_int_equal(
	    create_status(&namespace_type, 1, (sval[]) { LIST0 }), MGR_ETYPE);
}

static void
test_op_tables(void **state)
{
	(void) state;
	// Every entry is for its own type, has a handler, sane arity, and
	// no operation is listed twice.
	struct {
		const mop   *ops;
		const mtype *t;
		size_t       n;
	} tables[]
	    = { { dict_ops, &dict_type, 15 }, { list_ops, &list_type, 16 },
		      { namespace_ops, &namespace_type, 4 } };
	for (size_t t = 0; t < 3; t++) {
		size_t n = 0;
		for (const mop *m = tables[t].ops; m->fn != NULL; m++, n++) {
			assert_int_equal(m->types, MT(tables[t].t->code));
			assert_true(m->min_args <= m->max_args);
			for (const mop *o = m + 1; o->fn != NULL; o++) {
				assert_int_not_equal(o->op, m->op);
			}
		}
		assert_int_equal(n, tables[t].n);
		assert_non_null(tables[t].t->create);
		assert_non_null(tables[t].t->destroy);
	}
	assert_string_equal(dict_type.name, "dict");
	assert_string_equal(list_type.name, "list");
	assert_string_equal(namespace_type.name, "namespace");
}

/* Paths the tests above do not take: copies of references, depth limits
 * through dicts, malformed protobuf values, argument type errors. */
static void
test_edges(void **state)
{
	(void) state;
	mobj *l = NEW0(list);
	sval  r = sv_ref(l), c;
	assert_int_equal(sv_copy(&c, &r), 0);
	assert_int_equal(c.kind, SV_REF);
	assert_ptr_equal(c.ref, l);
	assert_int_equal(l->refs, 3);
	assert_true(sv_equal(&c, &r));
	assert_string_equal(sv_type_name(&c), "list");
	sv_free(&c);
	sv_free(&r);
	assert_int_equal(l->refs, 1);

	// A dict at the bottom of SV_MAX_DEPTH lists: it can't be copied,
	// encoded or compared; repr cuts it.
	sval deep = DICT(S("k"), I(1));
	for (int i = 0; i < SV_MAX_DEPTH; i++) {
		deep = LIST(deep);
	}
	arena a;
	arena_init(&a);
	Mgr__Value pb;
	assert_int_equal(sv_copy(&c, &deep), MGR_ETOOBIG);
	assert_int_equal(sv_to_pb(&deep, &a, &pb, NULL), MGR_ETOOBIG);
	assert_false(sv_equal(&deep, &deep)); // past the limit: not equal
	int cmp;
	// Two dicts at the bottom: unorderable before too deep.
	assert_int_equal(sv_compare(&deep, &deep, &cmp), MGR_ETYPE);
	assert_non_null(strstr(repr(&deep), "[[{...}]]"));
	sv_free(&deep);
	deep = LIST(I(1)); // lists to the bottom: too deep to compare
	for (int i = 0; i < SV_MAX_DEPTH; i++) {
		deep = LIST(deep);
	}
	sval deep2;
	assert_int_equal(sv_copy(&deep2, deep.vec->items), 0);
	deep2 = LIST(deep2);
	assert_int_equal(sv_compare(&deep, &deep2, &cmp), MGR_ETOOBIG);
	sv_free(&deep2);
	sv_free(&deep);
	// Dicts hash alike when equal (never keys, but consistent).
	sval d1 = DICT(I(1), S("a"), I(2), LIST0);
	sval d2 = DICT(I(2), LIST0, I(1), S("a"));
	assert_true(sv_hash(&d1) == sv_hash(&d2));
	sval dd = DICT(S("x"), sv_move(&d1)); // a dict inside: copied deep
	assert_int_equal(sv_copy(&c, &dd), 0);
	assert_true(sv_equal(&c, &dd));
	sv_free(&c);
	sv_free(&dd);
	sv_free(&d2);
	check_free(S("a\rb"), "'a\\rb'");
	check_free(F(-2.0), "-2.0");

	// Malformed protobuf values.
	Mgr__Value v = MGR__VALUE__INIT, *items[1] = { NULL };
	Mgr__Seq   seq = MGR__SEQ__INIT;
	Mgr__Map   map = MGR__MAP__INIT;
	v.kind_case    = MGR__VALUE__KIND_S;
	v.s            = NULL;
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	v.kind_case = MGR__VALUE__KIND_Y;
	v.y.len     = 3;
	v.y.data    = NULL;
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	v.kind_case = MGR__VALUE__KIND_LIST;
	v.list      = &seq;
	seq.n_items = 1; // with no items array
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	seq.items = items; // a NULL item
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	v.kind_case = MGR__VALUE__KIND_DICT;
	v.dict      = &map;
	map.n_keys = map.n_values = 1; // no arrays
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	v.dict = NULL; // absent: empty
	assert_int_equal(sv_from_pb(srv, &v, &c), 0);
	check_free(c, "{}");
	v.kind_case = 99;
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	arena_fini(&a);

	// sdict_update from a dict with holes.
	sdict *src = sdict_new(0), *dst = sdict_new(0);
	dset(src, I(1), I(1));
	dset(src, I(2), I(2));
	dset(src, I(3), I(3));
	sval k = I(2);
	assert_int_equal(sdict_del(src, &k, NULL), 0);
	assert_int_equal(sdict_update(dst, src), 0);
	sval dv = { .kind = SV_DICT, .dict = dst };
	assert_repr(&dv, "{1: 1, 3: 3}");
	sdict_free(src);
	sdict_free(dst);

	// Argument types, checked before anything changes.
	assert_int_equal(OP(l, LIST_INSERT, NULL, S("0"), I(1)), MGR_ETYPE);
	assert_int_equal(OP(l, LIST_SET, NULL, F(0), I(1)), MGR_ETYPE);
	assert_int_equal(OP(l, LIST_DEL, NULL, N), MGR_ETYPE);
	assert_int_equal(OP(l, LIST_POP, NULL, B(false)), MGR_ETYPE);
	assert_int_equal(OP(l, LIST_SLICE, NULL, S("a"), N), MGR_ETYPE);
	assert_int_equal(OP(l, LIST_SLICE, NULL, I(0), F(1)), MGR_ETYPE);
	OPX0(l, LIST_SLICE, "[]");
	OPX0(l, LIST_LEN, "0");
	mobj *d = NEW0(dict);
	assert_int_equal(OP(d, DICT_DEL, NULL, LIST0), MGR_ETYPE);
	assert_int_equal(OP(d, DICT_POP, NULL, DICT0), MGR_ETYPE);
	assert_int_equal(
	    OP(d, DICT_SETDEFAULT, NULL, LIST0, I(1)), MGR_ETYPE);
	OPX0(d, DICT_LEN, "0");
	assert_int_equal(
	    create_status(&namespace_type, 2, (sval[]) { N, N }), MGR_EINVAL);
	mobj_decref(d);
	mobj_decref(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_equal_typed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hashable, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hash_spread, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_compare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repr, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_str_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pb_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pb_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pb_session_refs, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_refs_in_containers, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_svec_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_svec_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_svec_sort, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_svec_copy_extend, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sdict_order, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sdict_typed_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sdict_unhashable, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sdict_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sdict_churn, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sdict_copy_update, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_list_handlers, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_dict_handlers, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_dict_incr, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_namespace_handlers, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_op_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edges, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
