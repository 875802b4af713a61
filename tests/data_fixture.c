/* The shared fixture of the manager's data tests (data_fixture.h). */
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

server *srv;

int
setup(void **state)
{
	(void) state;
	server_opts o = { .key = "k", .keylen = 1 };
	return server_new(&srv, &o);
}

int
teardown(void **state)
{
	(void) state;
	server_free(srv);
	srv = NULL;
	return 0;
}

sval
S(const char *s)
{
	sval v;
	assert_int_equal(sv_str(&v, SV_STR, s, strlen(s)), 0);
	return v;
}

sval
Y(const char *p, size_t n)
{
	sval v;
	assert_int_equal(sv_str(&v, SV_BYTES, p, n), 0);
	return v;
}

/* A list or tuple of the n items given (moved in). */
sval
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
sval
mkdict(size_t n2, sval *kv)
{
	sval d;
	assert_int_equal(sv_new_dict(&d), 0);
	for (size_t i = 0; i + 1 < n2; i += 2) {
		assert_int_equal(sdict_set(d.dict, &kv[i], &kv[i + 1]), 0);
	}
	return d;
}

/* list(range(n)) */
sval
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

const char *
repr(const sval *v)
{
	return sv_repr(v, rbuf, sizeof(rbuf));
}

/* Checks then frees v. */
void
check_free(sval v, const char *expect)
{
	assert_repr(&v, expect);
	sv_free(&v);
}

/* ---- calling handlers as the dispatcher does ------------------------------
 */

char last_err[200];

const mop *
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
void
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
int
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

/* Runs op and checks its result's repr. */
void
op_expect(mobj *o, Mgr__Op op, size_t nargs, sval *args, const char *expect)
{
	sval r;
	assert_int_equal(call(o, op, &r, nargs, args), 0);
	check_free(r, expect);
}

/* A new object of type t made by its create with the given arguments;
 * the test holds one reference. */
mobj *
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
int
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

/* Sets k to v in d (both moved in). */
void
dset(sdict *d, sval k, sval v)
{
	assert_int_equal(sdict_set(d, &k, &v), 0);
	assert_int_equal(k.kind, SV_NONE);
	assert_int_equal(v.kind, SV_NONE);
}
