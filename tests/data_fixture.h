/* What the manager's data tests share (data_fixture.c): a real server for
 * the store, value builders, and the handlers called as the dispatcher
 * calls them. */
#ifndef MGR_TESTS_DATA_FIXTURE_H
#define MGR_TESTS_DATA_FIXTURE_H

#include <stddef.h>

#include "object.h"
#include "sdict.h"
#include "server.h"
#include "value.h"

/* The server whose store the objects live in (setup / teardown). */
extern server *srv;
/* The detail of the last call or create_status. */
extern char last_err[200];

/* A fresh server per test (its store holds the objects). */
int setup(void **state);
int teardown(void **state);

/* Values: str and bytes (copied), a list/tuple or dict of the items given
 * (moved in; dict items flat: k0, v0, k1, v1...), list(range(n)). */
sval S(const char *s);
sval Y(const char *p, size_t n);
sval mkseq(sv_kind kind, size_t n, sval *items);
sval mkdict(size_t n2, sval *kv);
sval range_list(size_t n);
/* Sets k to v in d (both moved in). */
void dset(sdict *d, sval k, sval v);

/* repr of v (a static buffer); checks v's repr, then frees v. */
const char *repr(const sval *v);
void        check_free(sval v, const char *expect);

/* The handlers, as the dispatcher calls them: the op entry of o's type;
 * a check that a result survives the codec; op run on o with the
 * arguments (moved in), its result copied to *res, its detail in last_err;
 * op run with its result's repr checked. */
const mop *find_op(const mobj *o, Mgr__Op op);
void       check_encodable(const sval *v);
int        call(mobj *o, Mgr__Op op, sval *res, size_t nargs, sval *args);
void       op_expect(
          mobj *o, Mgr__Op op, size_t nargs, sval *args, const char *expect);
/* A new object of type t made by its create (the test holds one
 * reference); create's status for these arguments. */
mobj *new_obj(const mtype *t, size_t nargs, sval *args);
int   create_status(const mtype *t, size_t nargs, sval *args);

#define I(x)       sv_int(x)
#define F(x)       sv_float(x)
#define B(x)       sv_bool(x)
#define N          SV_NONE_INIT
#define NARGS(...) (sizeof((sval[]) { __VA_ARGS__ }) / sizeof(sval))
#define LIST(...)  mkseq(SV_LIST, NARGS(__VA_ARGS__), (sval[]) { __VA_ARGS__ })
#define TUPLE(...)                                                           \
	mkseq(SV_TUPLE, NARGS(__VA_ARGS__), (sval[]) { __VA_ARGS__ })
#define DICT(...)         mkdict(NARGS(__VA_ARGS__), (sval[]) { __VA_ARGS__ })
#define LIST0             mkseq(SV_LIST, 0, NULL)
#define TUPLE0            mkseq(SV_TUPLE, 0, NULL)
#define DICT0             mkdict(0, NULL)
#define assert_repr(v, s) assert_string_equal(repr(v), (s))
#define OP(o, op, res, ...)                                                  \
	call((o), MGR__OP__OP_##op, (res), NARGS(__VA_ARGS__),               \
	    (sval[]) { __VA_ARGS__ })
#define OP0(o, op, res) call((o), MGR__OP__OP_##op, (res), 0, NULL)
#define OPX(o, op, expect, ...)                                              \
	op_expect((o), MGR__OP__OP_##op, NARGS(__VA_ARGS__),                 \
	    (sval[]) { __VA_ARGS__ }, (expect))
#define OPX0(o, op, expect)                                                  \
	op_expect((o), MGR__OP__OP_##op, 0, NULL, (expect))
#define NEW(t, ...)                                                          \
	new_obj(&t##_type, NARGS(__VA_ARGS__), (sval[]) { __VA_ARGS__ })
#define NEW0(t) new_obj(&t##_type, 0, NULL)

/* A test of a group that shares the store's setup and teardown. */
#define DATA_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
