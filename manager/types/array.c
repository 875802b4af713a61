/* The array type (Python's multiprocessing.Array): a fixed number of items
 * of one typecode, stored compactly (t->size bytes each, not svals). The
 * pure data part comes first, then the request handlers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object.h"
#include "svec.h"
#include "typecode.h"

/* ==== sarray: pure data ====================================================
 */

typedef struct sarray {
	const tcode  *t;
	size_t        len;
	sval          lock;    /* get_lock()'s rlock, once made */
	size_t        loaded;  /* bytes of items a snapshot filled */
	unsigned char items[]; /* len * t->size bytes */
} sarray;

/* A new array of t holding init's items, every one checked before any is
 * stored. MGR_ETYPE / MGR_ERANGE (err names the item), MGR_ETOOBIG,
 * MGR_ENOMEM. */
static int
sarray_new(
    const tcode *t, const svec *init, sarray **out, char *err, size_t errcap)
{
	size_t n = svec_len(init);
	for (size_t i = 0; i < n; i++) {
		char why[160];
		int  rc = tc_check(t, svec_at(init, i), why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errcap, "%s (item %zu)", why, i);
			return rc;
		}
	}
	if (n > (SIZE_MAX - sizeof(sarray)) / t->size) {
		snprintf(err, errcap, "array too big");
		return MGR_ETOOBIG;
	}
	sarray *a = malloc(sizeof(*a) + n * t->size);
	if (a == NULL) {
		snprintf(err, errcap, "out of memory");
		return MGR_ENOMEM;
	}
	a->t    = t;
	a->len  = n;
	a->lock = SV_NONE_INIT;
	for (size_t i = 0; i < n; i++) {
		// Checked above: cannot fail.
		tc_store(
		    t, svec_at(init, i), &a->items[i * t->size], NULL, 0);
	}
	*out = a;
	return 0;
}

/* The cell of Python index i (negative counts from the end), or NULL when
 * out of range. */
static unsigned char *
sarray_cell(sarray *a, int64_t i)
{
	if (i < 0) {
		i += (int64_t) a->len;
	}
	if (i < 0 || (uint64_t) i >= a->len) {
		return NULL;
	}
	return &a->items[(size_t) i * a->t->size];
}

/* Python's a[start:stop], bounds clamped: a new list of the values. */
static int
sarray_slice(sarray *a, int64_t start, int64_t stop, sval *out)
{
	size_t lo = svec_clamp(start, a->len);
	size_t hi = svec_clamp(stop, a->len);
	size_t n  = hi > lo ? hi - lo : 0;
	int    rc = sv_new_list(out, SV_LIST, n);
	if (rc != 0) {
		return rc;
	}
	for (size_t k = 0; k < n; k++) {
		out->vec->items[k]
		    = tc_load(a->t, &a->items[(lo + k) * a->t->size]);
	}
	out->vec->len = n;
	return 0;
}

/* ==== the shared array type
 * ================================================= */

static sarray *
target_array(mctx *c)
{
	return c->obj->data;
}

/* CREATE [str typecode, list value]: the list's items, range-checked,
 * become the array's; its length is the array's for good. A tuple is taken
 * as well (any sequence would do in Python). */
static int
array_create(mobj *o, mctx *c)
{
	const char *s;
	size_t      len;
	int         rc;
	if (c->nargs != 2) {
		return mctx_fail(c, MGR_EINVAL,
		    "array takes 2 arguments (typecode, list), got %zu",
		    c->nargs);
	}
	if ((rc = mctx_arg_str(c, 0, &s, &len)) != 0) {
		return rc;
	}
	const tcode *t = tc_from_str(s, len);
	if (t == NULL) {
		return mctx_fail(
		    c, MGR_EINVAL, "bad typecode (must be %s)", tc_list());
	}
	const sval *init = &c->args[1];
	if (init->kind != SV_LIST && init->kind != SV_TUPLE) {
		return mctx_fail(c, MGR_ETYPE,
		    "array initializer must be a list, not %s",
		    sv_type_name(init));
	}
	sarray *a;
	if ((rc = sarray_new(t, init->vec, &a, c->err, sizeof(c->err)))
	    != 0) {
		return rc;
	}
	o->data = a;
	return 0;
}

static void
array_destroy(mobj *o)
{
	sarray *a = o->data;
	sv_free(&a->lock);
	free(a);
	o->data = NULL;
}

/* For atomic batches: a copy to put back if the batch fails. */
static void *
array_clone(mobj *o)
{
	const sarray *a    = o->data;
	size_t        size = sizeof(*a) + a->len * a->t->size;
	sarray       *copy = malloc(size);
	if (copy != NULL) {
		memcpy(copy, a, size);
		if (sv_copy(&copy->lock, &a->lock)
		    != 0) { // its own reference
			free(copy);
			return NULL;
		}
	}
	return copy;
}

static sval *
array_lock(mobj *o)
{
	return &((sarray *) o->data)->lock;
}

static void
array_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	sarray *a = o->data;
	if (a->lock.kind == SV_REF) {
		fn(&a->lock, arg);
	}
}

static size_t
array_size(const mobj *o)
{
	const sarray *a = o->data;
	return a->len;
}

/* A snapshot's image of it (snapshot.c). */
static int
array_save(mobj *o, struct snap_out *out)
{
	const sarray *a = o->data;
	sval          items[3]
	    = { SV_NONE_INIT, sv_int((int64_t) a->len), SV_NONE_INIT };
	int rv = sv_str(&items[0], SV_STR, &a->t->code, 1);
	if (rv == 0) {
		rv = sv_copy(&items[2], &a->lock);
	}
	rv = snap_put_list(out, rv, items, 3);
	// Then its bytes, in pieces.
	size_t total = a->len * a->t->size;
	for (size_t off = 0; off < total && rv == 0; off += 1 << 20) {
		size_t n = total - off < (1 << 20) ? total - off : 1 << 20;
		sval   b;
		if ((rv = sv_str(
		         &b, SV_BYTES, (const char *) a->items + off, n))
		    == 0) {
			rv = snap_elem(out, NULL, &b);
			sv_free(&b);
		}
	}
	return rv;
}

static int
array_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	sarray *a = o->data;
	if (part > 1) { // pieces of its bytes, in order
		for (size_t i = 0; snap_item(image, i) != NULL; i++) {
			sval  *b     = snap_item(image, i);
			size_t total = a->len * a->t->size;
			if (b->kind != SV_BYTES
			    || sv_slen(b) > total - a->loaded) {
				return snap_bad(
				    in, "an array's bytes past its end");
			}
			memcpy(a->items + a->loaded, sv_sdata(b), sv_slen(b));
			a->loaded += sv_slen(b);
		}
		return 0;
	}
	sval        *code = snap_item(image, 0), *lock = snap_item(image, 2);
	int64_t      len;
	const tcode *t = code != NULL && code->kind == SV_STR
	    ? tc_from_str(sv_sdata(code), sv_slen(code))
	    : NULL;
	if (t == NULL || !snap_int(image, 1, &len) || len < 0
	    || (uint64_t) len > SIZE_MAX / 16 / t->size
	    || !snap_own_lock(lock)) {
		return snap_bad(in,
		    "an array's image is its typecode, its "
		    "length and its lock, then its bytes");
	}
	if ((a = calloc(1, sizeof(*a) + (size_t) len * t->size)) == NULL) {
		return snap_bad(in, "out of memory");
	}
	a->t    = t;
	a->len  = (size_t) len;
	a->lock = sv_move(lock);
	o->data = a;
	return 0;
}

const mtype array_type = {
	.code       = MGR__OBJ_TYPE__OBJ_ARRAY,
	.name       = "array",
	.create     = array_create,
	.destroy    = array_destroy,
	.clone_data = array_clone,
	.own_lock   = array_lock,
	.each_ref   = array_each_ref,
	.size       = array_size,
	.save       = array_save,
	.load       = array_load,
};

static int
h_len(mctx *c)
{
	c->res = sv_int((int64_t) target_array(c)->len);
	return 0;
}

/* GET i -> value. */
static int
h_get(mctx *c)
{
	int64_t i;
	int     rc = mctx_arg_int(c, 0, &i);
	if (rc != 0) {
		return rc;
	}
	const unsigned char *cell = sarray_cell(target_array(c), i);
	if (cell == NULL) {
		return mctx_fail(c, MGR_EINDEX, "array index out of range");
	}
	c->res = tc_load(target_array(c)->t, cell);
	return 0;
}

/* SET i value: the index is checked first, as Python does. */
static int
h_set(mctx *c)
{
	int64_t i;
	int     rc = mctx_arg_int(c, 0, &i);
	if (rc != 0) {
		return rc;
	}
	unsigned char *cell = sarray_cell(target_array(c), i);
	if (cell == NULL) {
		return mctx_fail(
		    c, MGR_EINDEX, "array assignment index out of range");
	}
	return tc_store(
	    target_array(c)->t, &c->args[1], cell, c->err, sizeof(c->err));
}

/* SLICE start stop -> list (step 1; bounds clamped as in Python). */
static int
h_slice(mctx *c)
{
	int64_t start, stop;
	int     rc;
	if ((rc = mctx_arg_int(c, 0, &start)) != 0
	    || (rc = mctx_arg_int(c, 1, &stop)) != 0) {
		return rc;
	}
	if ((rc = sarray_slice(target_array(c), start, stop, &c->res)) != 0) {
		return mctx_fail(c, rc, "out of memory");
	}
	return 0;
}

#define T_ARRAY MT(MGR__OBJ_TYPE__OBJ_ARRAY)

const mop array_ops[] = {
	{ MGR__OP__OP_ARRAY_LEN, T_ARRAY, 0, 0, 0, h_len },
	{ MGR__OP__OP_ARRAY_GET, T_ARRAY, 1, 1, 0, h_get },
	{ MGR__OP__OP_ARRAY_SET, T_ARRAY, 2, 2, MOP_WRITE, h_set },
	{ MGR__OP__OP_ARRAY_SLICE, T_ARRAY, 2, 2, 0, h_slice },
	{ 0 },
};
