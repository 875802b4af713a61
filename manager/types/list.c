/* The shared list type: request handlers over an svec (data/svec.c). */
#include <stdlib.h>
#include <string.h>

#include "object.h"
#include "svec.h"

static svec *
target_list(mctx *c)
{
	return c->obj->data;
}

/* CREATE [list_or_tuple]: the argument's items become the list's. */
static int
list_create(mobj *o, mctx *c)
{
	svec *v = NULL;
	if (c->nargs > 1) {
		return mctx_fail(c, MGR_EINVAL,
		    "list expected at most 1 argument, got %zu", c->nargs);
	}
	if (c->nargs == 1 && c->args[0].kind != SV_NONE) {
		sval *a = &c->args[0];
		if (a->kind != SV_LIST && a->kind != SV_TUPLE) {
			return mctx_fail(c, MGR_ETYPE,
			    "'%s' object is not iterable", sv_type_name(a));
		}
		v       = a->vec; // the argument's vector, taken as is
		a->kind = SV_NONE;
	} else if ((v = svec_new(0)) == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	o->data = v;
	return 0;
}

static void
list_destroy(mobj *o)
{
	svec_free(o->data);
	o->data = NULL;
}

static bool
list_destroy_some(mobj *o, size_t *budget)
{
	if (!svec_free_some(o->data, budget)) {
		return false;
	}
	o->data = NULL;
	return true;
}

static void
list_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	svec *v = o->data;
	for (size_t i = 0; i < v->len; i++) {
		sv_each_ref(&v->items[i], fn, arg);
	}
}

/* For atomic batches: a copy to put back if the batch fails. */
static void *
list_clone(mobj *o)
{
	svec *copy;
	return svec_copy(o->data, &copy) == 0 ? copy : NULL;
}

static size_t
list_size(const mobj *o)
{
	return svec_len(o->data);
}

/* The values of items [lo, hi) of l, nested ones counted, stopping once
 * past max. */
static size_t
items_values(const svec *l, size_t lo, size_t hi, size_t max)
{
	size_t n = hi - lo;
	for (size_t i = lo; i < hi && n <= max; i++) {
		n += sv_nested_count(svec_at(l, i), max - n);
	}
	return n;
}

static size_t
list_values(const mobj *o, int op, size_t max)
{
	(void) op; // a sort or a copy: every item
	return items_values(o->data, 0, svec_len(o->data), max);
}

static void
list_entries(const mobj *o, size_t                                 max,
    void (*fn)(void *arg, const sval *key, const sval *val), void *arg)
{
	for (size_t i = 0; i < max && i < svec_len(o->data); i++) {
		fn(arg, NULL, svec_at(o->data, i));
	}
}

/* A snapshot's image of it (snapshot.c). */
static int
list_save(mobj *o, struct snap_out *out)
{
	return snap_save_list(out, o->data);
}

static int
list_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	return snap_load_list(&o->data, image, part, in);
}

const mtype list_type = {
	.code         = MGR__OBJ_TYPE__OBJ_LIST,
	.name         = "list",
	.create       = list_create,
	.destroy      = list_destroy,
	.destroy_some = list_destroy_some,
	.each_ref     = list_each_ref,
	.clone_data   = list_clone,
	.size         = list_size,
	.values       = list_values,
	.entries      = list_entries,
	.save         = list_save,
	.load         = list_load,
};

static int
fail_rc(mctx *c, int rc)
{
	switch (rc) {
	case MGR_ENOMEM:
		return mctx_fail(c, rc, "out of memory");
	case MGR_ETOOBIG:
		return mctx_fail(c, rc, "list too big or nested too deeply");
	default:
		return mctx_fail(c, rc, "list operation failed");
	}
}

static int
h_append(mctx *c)
{
	svec *l  = target_list(c);
	int   rc = mctx_check_room(c, l->len, 1);
	if (rc == 0 && (rc = svec_append(l, &c->args[0])) != 0) {
		return fail_rc(c, rc);
	}
	return rc;
}

static int
h_extend(mctx *c)
{
	sval *a = &c->args[0];
	if (a->kind != SV_LIST && a->kind != SV_TUPLE) {
		return mctx_fail(c, MGR_ETYPE, "'%s' object is not iterable",
		    sv_type_name(a));
	}
	svec *l  = target_list(c);
	int   rc = mctx_check_room(c, l->len, a->vec->len);
	if (rc == 0 && (rc = svec_extend(l, a->vec)) != 0) {
		return fail_rc(c, rc);
	}
	return rc;
}

static int
h_insert(mctx *c)
{
	int64_t i;
	int     rc = mctx_arg_int(c, 0, &i);
	if (rc != 0) {
		return rc;
	}
	svec *l = target_list(c);
	if ((rc = mctx_check_room(c, l->len, 1)) != 0) {
		return rc;
	}
	if ((rc = mctx_walk(c, MCTX_MOVE, l->len - svec_clamp(i, l->len),
	         "an insert into a list"))
	    != 0) { // those after it move up
		return rc;
	}
	rc = svec_insert(l, i, &c->args[1]);
	return rc != 0 ? fail_rc(c, rc) : 0;
}

static int
h_get(mctx *c)
{
	int64_t i;
	int     rc = mctx_arg_int(c, 0, &i);
	if (rc != 0) {
		return rc;
	}
	const sval *x = svec_get(target_list(c), i);
	if (x == NULL) {
		return mctx_fail(c, MGR_EINDEX, "list index out of range");
	}
	c->res_borrowed = x;
	return 0;
}

static int
h_set(mctx *c)
{
	int64_t i;
	int     rc = mctx_arg_int(c, 0, &i);
	if (rc != 0) {
		return rc;
	}
	if (svec_set(target_list(c), i, &c->args[1]) != 0) {
		return mctx_fail(
		    c, MGR_EINDEX, "list assignment index out of range");
	}
	return 0;
}

/* The items after index i (Python's, negative from the end), which a
 * delete there moves down; 0 when out of range. */
static size_t
after(const svec *l, int64_t i)
{
	size_t pos;
	return svec_index_of(l, i, &pos) == 0 ? l->len - 1 - pos : 0;
}

static int
h_del(mctx *c)
{
	int64_t i;
	int     rc = mctx_arg_int(c, 0, &i);
	if (rc != 0) {
		return rc;
	}
	if ((rc = mctx_walk(c, MCTX_MOVE, after(target_list(c), i),
	         "a delete from a list"))
	    != 0) {
		return rc;
	}
	if (svec_del(target_list(c), i) != 0) {
		return mctx_fail(
		    c, MGR_EINDEX, "list assignment index out of range");
	}
	return 0;
}

/* POP [i]: i defaults to -1, as in Python. */
static int
h_pop(mctx *c)
{
	int64_t i  = -1;
	int     rc = c->nargs > 0 ? mctx_arg_int(c, 0, &i) : 0;
	if (rc != 0) {
		return rc;
	}
	if (svec_len(target_list(c)) == 0) {
		return mctx_fail(c, MGR_EINDEX, "pop from empty list");
	}
	if ((rc = mctx_walk(c, MCTX_MOVE, after(target_list(c), i),
	         "a pop from a list"))
	    != 0) { // the last is popped in place: none
		return rc;
	}
	if (svec_pop(target_list(c), i, &c->res) != 0) {
		return mctx_fail(c, MGR_EINDEX, "pop index out of range");
	}
	return 0;
}

static int
h_remove(mctx *c)
{
	int rc = mctx_walk(
	    c, MCTX_SEARCH, svec_len(target_list(c)), "list.remove");
	if (rc != 0) {
		return rc;
	}
	if (svec_remove(target_list(c), &c->args[0]) != 0) {
		return mctx_fail(
		    c, MGR_EVALUE, "list.remove(x): x not in list");
	}
	return 0;
}

static int
h_index(mctx *c)
{
	size_t pos;
	int    rc = mctx_walk(
	       c, MCTX_SEARCH, svec_len(target_list(c)), "list.index");
	if (rc != 0) {
		return rc;
	}
	if (svec_find(target_list(c), &c->args[0], &pos) != 0) {
		char repr[120];
		return mctx_fail(c, MGR_EVALUE, "%s is not in list",
		    sv_repr(&c->args[0], repr, sizeof(repr)));
	}
	c->res = sv_int((int64_t) pos);
	return 0;
}

static int
h_count(mctx *c)
{
	int rc = mctx_walk(
	    c, MCTX_SEARCH, svec_len(target_list(c)), "list.count");
	if (rc != 0) {
		return rc;
	}
	c->res = sv_int((int64_t) svec_count(target_list(c), &c->args[0]));
	return 0;
}

static int
h_len(mctx *c)
{
	c->res = sv_int((int64_t) svec_len(target_list(c)));
	return 0;
}

static int
h_reverse(mctx *c)
{
	int rc = mctx_walk(
	    c, MCTX_MOVE, svec_len(target_list(c)), "list.reverse");
	if (rc != 0) {
		return rc;
	}
	svec_reverse(target_list(c));
	return 0;
}

/* SORT [reverse]. */
static int
h_sort(mctx *c)
{
	bool reverse = false;
	int  rc      = c->nargs > 0 ? mctx_arg_bool(c, 0, &reverse) : 0;
	if (rc != 0) {
		return rc;
	}
	const sval *a = NULL, *b = NULL;
	rc = svec_sort(target_list(c), reverse, &a, &b);
	if (rc == MGR_ETYPE) {
		return mctx_fail(c, rc,
		    "'<' not supported between instances of '%s' and '%s'",
		    sv_type_name(a), sv_type_name(b));
	}
	return rc != 0 ? fail_rc(c, rc) : 0;
}

static int
h_clear(mctx *c)
{
	svec *fresh = svec_new(0);
	if (fresh == NULL) {
		return fail_rc(c, MGR_ENOMEM);
	}
	mobj_replace_data(c->obj, fresh); // a big one's items in slices
	return 0;
}

/* A slice bound: an int, or None for the default (as l[:stop]). */
static int
slice_bound(mctx *c, size_t i, int64_t dflt, int64_t *out)
{
	if (i >= c->nargs || c->args[i].kind == SV_NONE) {
		*out = dflt;
		return 0;
	}
	return mctx_arg_int(c, i, out);
}

/* SLICE start stop -> list. */
static int
h_slice(mctx *c)
{
	int64_t start, stop;
	int     rc;
	if ((rc = slice_bound(c, 0, 0, &start)) != 0
	    || (rc = slice_bound(c, 1, INT64_MAX, &stop)) != 0) {
		return rc;
	}
	const svec *l = target_list(c);
	size_t lo = svec_clamp(start, l->len), hi = svec_clamp(stop, l->len);
	size_t n
	    = hi > lo ? items_values(l, lo, hi, mctx_max_op_elements(c)) : 0;
	if ((rc = mctx_check_elements(c, n, "the slice")) != 0) {
		return rc;
	}
	svec *r;
	if ((rc = svec_slice(target_list(c), start, stop, &r)) != 0) {
		return fail_rc(c, rc);
	}
	c->res = (sval) { .kind = SV_LIST, .vec = r };
	return 0;
}

static int
h_copy(mctx *c)
{
	svec *r;
	int   rc = svec_copy(target_list(c), &r);
	if (rc != 0) {
		return fail_rc(c, rc);
	}
	c->res = (sval) { .kind = SV_LIST, .vec = r };
	return 0;
}

#define T_LIST MT(MGR__OBJ_TYPE__OBJ_LIST)

const mop list_ops[] = {
	{ MGR__OP__OP_LIST_APPEND, T_LIST, 1, 1, MOP_WRITE | MOP_GROWS,
	    h_append },
	{ MGR__OP__OP_LIST_EXTEND, T_LIST, 1, 1, MOP_WRITE | MOP_GROWS,
	    h_extend },
	{ MGR__OP__OP_LIST_INSERT, T_LIST, 2, 2, MOP_WRITE | MOP_GROWS,
	    h_insert },
	{ MGR__OP__OP_LIST_GET, T_LIST, 1, 1, 0, h_get },
	{ MGR__OP__OP_LIST_SET, T_LIST, 2, 2, MOP_WRITE | MOP_GROWS, h_set },
	{ MGR__OP__OP_LIST_DEL, T_LIST, 1, 1, MOP_WRITE, h_del },
	{ MGR__OP__OP_LIST_POP, T_LIST, 0, 1, MOP_WRITE, h_pop },
	{ MGR__OP__OP_LIST_REMOVE, T_LIST, 1, 1, MOP_WRITE, h_remove },
	{ MGR__OP__OP_LIST_INDEX, T_LIST, 1, 1, 0, h_index },
	{ MGR__OP__OP_LIST_COUNT, T_LIST, 1, 1, 0, h_count },
	{ MGR__OP__OP_LIST_LEN, T_LIST, 0, 0, 0, h_len },
	{ MGR__OP__OP_LIST_REVERSE, T_LIST, 0, 0, MOP_WRITE, h_reverse },
	{ MGR__OP__OP_LIST_SORT, T_LIST, 0, 1, MOP_WRITE | MOP_WHOLE,
	    h_sort },
	{ MGR__OP__OP_LIST_CLEAR, T_LIST, 0, 0, MOP_WRITE, h_clear },
	{ MGR__OP__OP_LIST_SLICE, T_LIST, 0, 2, 0, h_slice },
	{ MGR__OP__OP_LIST_COPY, T_LIST, 0, 0, MOP_WHOLE, h_copy },
	{ 0 },
};
