/* The scalar type (Python's multiprocessing.Value): one item of a typecode
 * in its C storage. The pure data part is typecode.c; handlers run under
 * the server lock, which makes SCALAR_ADD an atomic read-modify-write. */
#include <stdlib.h>
#include <string.h>

#include "object.h"
#include "typecode.h"

typedef struct scalar {
	const tcode  *t;
	unsigned char cell[TC_MAX_SIZE]; /* t->size bytes used */
	sval          lock;              /* get_lock()'s rlock, once made */
} scalar;

static scalar *
target_scalar(mctx *c)
{
	return c->obj->data;
}

/* The typecode named by argument i: a one-character str. */
static int
arg_typecode(mctx *c, size_t i, const tcode **t)
{
	const char *s;
	size_t      len;
	int         rc = mctx_arg_str(c, i, &s, &len);
	if (rc != 0) {
		return rc;
	}
	if ((*t = tc_from_str(s, len)) == NULL) {
		return mctx_fail(
		    c, MGR_EINVAL, "bad typecode (must be %s)", tc_list());
	}
	return 0;
}

/* CREATE [str typecode, value]. */
static int
scalar_create(mobj *o, mctx *c)
{
	const tcode *t;
	int          rc;
	if (c->nargs != 2) {
		return mctx_fail(c, MGR_EINVAL,
		    "scalar takes 2 arguments (typecode, value), got %zu",
		    c->nargs);
	}
	if ((rc = arg_typecode(c, 0, &t)) != 0) {
		return rc;
	}
	scalar *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	s->t = t;
	if ((rc = tc_store(t, &c->args[1], s->cell, c->err, sizeof(c->err)))
	    != 0) {
		free(s);
		return rc;
	}
	o->data = s;
	return 0;
}

static void
scalar_destroy(mobj *o)
{
	scalar *s = o->data;
	sv_free(&s->lock);
	free(s);
	o->data = NULL;
}

/* For atomic batches: a copy to put back if the batch fails. */
static void *
scalar_clone(mobj *o)
{
	const scalar *s    = o->data;
	scalar       *copy = malloc(sizeof(*copy));
	if (copy != NULL) {
		memcpy(copy, s, sizeof(*copy));
		if (sv_copy(&copy->lock, &s->lock)
		    != 0) { // its own reference
			free(copy);
			return NULL;
		}
	}
	return copy;
}

static sval *
scalar_lock(mobj *o)
{
	return &((scalar *) o->data)->lock;
}

static void
scalar_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	scalar *s = o->data;
	if (s->lock.kind == SV_REF) {
		fn(&s->lock, arg);
	}
}

/* A snapshot's image of it (snapshot.c). */
static int
scalar_save(mobj *o, struct snap_out *out)
{
	const scalar *s        = o->data;
	sval          items[3] = { SV_NONE_INIT, SV_NONE_INIT, SV_NONE_INIT };
	int           rv       = sv_str(&items[0], SV_STR, &s->t->code, 1);
	if (rv == 0) {
		rv = sv_str(
		    &items[1], SV_BYTES, (const char *) s->cell, s->t->size);
	}
	if (rv == 0) {
		rv = sv_copy(&items[2], &s->lock);
	}
	return snap_put_list(out, rv, items, 3);
}

static int
scalar_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	sval        *code = snap_item(image, 0), *cell = snap_item(image, 1);
	sval        *lock = snap_item(image, 2);
	const tcode *t    = code != NULL && code->kind == SV_STR
	       ? tc_from_str(sv_sdata(code), sv_slen(code))
	       : NULL;
	if (part != 1 || t == NULL || cell == NULL || cell->kind != SV_BYTES
	    || sv_slen(cell) != t->size || !snap_own_lock(lock)) {
		return snap_bad(in,
		    "a scalar's image is its typecode, its "
		    "value and its lock");
	}
	scalar *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return snap_bad(in, "out of memory");
	}
	s->t = t;
	memcpy(s->cell, sv_sdata(cell), t->size);
	s->lock = sv_move(lock);
	o->data = s;
	return 0;
}

const mtype scalar_type = {
	.code       = MGR__OBJ_TYPE__OBJ_SCALAR,
	.name       = "scalar",
	.create     = scalar_create,
	.destroy    = scalar_destroy,
	.clone_data = scalar_clone,
	.own_lock   = scalar_lock,
	.each_ref   = scalar_each_ref,
	.save       = scalar_save,
	.load       = scalar_load,
};

static int
h_get(mctx *c)
{
	c->res = tc_load(target_scalar(c)->t, target_scalar(c)->cell);
	return 0;
}

static int
h_set(mctx *c)
{
	scalar *s = target_scalar(c);
	return tc_store(s->t, &c->args[0], s->cell, c->err, sizeof(c->err));
}

/* ADD delta -> the new value. */
static int
h_add(mctx *c)
{
	scalar *s = target_scalar(c);
	return tc_add(
	    s->t, s->cell, &c->args[0], &c->res, c->err, sizeof(c->err));
}

#define T_SCALAR MT(MGR__OBJ_TYPE__OBJ_SCALAR)

const mop scalar_ops[] = {
	{ MGR__OP__OP_SCALAR_GET, T_SCALAR, 0, 0, 0, h_get },
	{ MGR__OP__OP_SCALAR_SET, T_SCALAR, 1, 1, MOP_WRITE, h_set },
	{ MGR__OP__OP_SCALAR_ADD, T_SCALAR, 1, 1, MOP_WRITE, h_add },
	{ 0 },
};
