/* The shared dict type: request handlers over an sdict (data/sdict.c). */
#include <stdlib.h>
#include <string.h>

#include "object.h"
#include "sdict.h"
#include "svec.h"

static sdict *
target_dict(mctx *c)
{
	return c->obj->data;
}

/* The first unhashable value in k (k itself, or an item of a tuple), for
 * Python's "unhashable type: 'list'". */
static const sval *
unhashable_part(const sval *k)
{
	if (k->kind == SV_TUPLE) {
		for (size_t i = 0; i < k->vec->len; i++) {
			if (!sv_hashable(&k->vec->items[i])) {
				return unhashable_part(&k->vec->items[i]);
			}
		}
	}
	return k;
}

/* MGR_ETYPE with Python's message when k cannot be a key, else 0. */
static int
check_key(mctx *c, const sval *k)
{
	if (sv_hashable(k)) {
		return 0;
	}
	return mctx_fail(c, MGR_ETYPE, "unhashable type: '%s'",
	    sv_type_name(unhashable_part(k)));
}

/* KeyError's detail: the key's repr. */
static int
fail_key(mctx *c, const sval *k)
{
	char repr[120];
	return mctx_fail(c, MGR_EKEY, "%s", sv_repr(k, repr, sizeof(repr)));
}

static int
fail_rc(mctx *c, int rc)
{
	switch (rc) {
	case MGR_ENOMEM:
		return mctx_fail(c, rc, "out of memory");
	case MGR_ETOOBIG:
		return mctx_fail(c, rc, "dict too big or nested too deeply");
	default:
		return mctx_fail(c, rc, "dict operation failed");
	}
}

/* Moves the items of a dict value, or of a list or tuple of (key, value)
 * pairs, into d: dict(x) and d.update(x). Pairs are checked before any is
 * moved, so a bad argument changes nothing. */
/* Room for key in d: refused at the limit unless the key is there. */
static int
room_for_key(mctx *c, sdict *d, const sval *key)
{
	if (!mctx_full(c, sdict_len(d)) || sdict_get(d, key) != NULL) {
		return 0;
	}
	return mctx_check_room(c, sdict_len(d), 1);
}

static int
merge_value(mctx *c, sdict *d, sval *x)
{
	int    rc;
	size_t n = x->kind == SV_DICT                   ? sdict_len(x->dict)
	    : x->kind == SV_LIST || x->kind == SV_TUPLE ? x->vec->len
	                                                : 0;
	if ((rc = mctx_check_room(c, sdict_len(d), n)) != 0) {
		return rc;
	}
	if (x->kind == SV_DICT) {
		rc = sdict_update(d, x->dict);
		return rc != 0 ? fail_rc(c, rc) : 0;
	}
	if (x->kind != SV_LIST && x->kind != SV_TUPLE) {
		return mctx_fail(c, MGR_ETYPE, "'%s' object is not iterable",
		    sv_type_name(x));
	}
	for (size_t i = 0; i < x->vec->len; i++) {
		const sval *p = &x->vec->items[i];
		if (p->kind != SV_LIST && p->kind != SV_TUPLE) {
			return mctx_fail(c, MGR_ETYPE,
			    "cannot convert dictionary update sequence "
			    "element #%zu to a sequence",
			    i);
		}
		if (p->vec->len != 2) {
			return mctx_fail(c, MGR_EVALUE,
			    "dictionary update sequence element #%zu has "
			    "length %zu; 2 is required",
			    i, p->vec->len);
		}
		if ((rc = check_key(c, &p->vec->items[0])) != 0) {
			return rc;
		}
	}
	for (size_t i = 0; i < x->vec->len; i++) {
		sval *p = x->vec->items[i].vec->items;
		if ((rc = sdict_set(d, &p[0], &p[1])) != 0) {
			return fail_rc(c, rc);
		}
	}
	return 0;
}

/* CREATE [dict or list of pairs]: the initial content. */
static int
dict_create(mobj *o, mctx *c)
{
	if (c->nargs > 1) {
		return mctx_fail(c, MGR_EINVAL,
		    "dict expected at most 1 argument, got %zu", c->nargs);
	}
	sval *a = c->nargs == 1 ? &c->args[0] : NULL;
	if (a != NULL && a->kind == SV_DICT) {
		o->data = a->dict; // the argument's table, taken as is
		a->kind = SV_NONE;
		return 0;
	}
	sdict *d = sdict_new(0);
	if (d == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	if (a != NULL && a->kind != SV_NONE) {
		int rc = merge_value(c, d, a);
		if (rc != 0) {
			sdict_free(d);
			return rc;
		}
	}
	o->data = d;
	return 0;
}

static void
dict_destroy(mobj *o)
{
	sdict_free(o->data);
	o->data = NULL;
}

static bool
dict_destroy_some(mobj *o, size_t *budget)
{
	if (!sdict_free_some(o->data, budget)) {
		return false;
	}
	o->data = NULL;
	return true;
}

static void
dict_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	size_t pos = 0;
	sval  *k, *v;
	while (sdict_next(o->data, &pos, &k, &v)) {
		sv_each_ref(k, fn, arg);
		sv_each_ref(v, fn, arg);
	}
}

/* For atomic batches: a copy to put back if the batch fails. */
static void *
dict_clone(mobj *o)
{
	sdict *copy;
	return sdict_copy(o->data, &copy) == 0 ? copy : NULL;
}

static size_t
dict_size(const mobj *o)
{
	return sdict_len(o->data);
}

static size_t
dict_values(const mobj *o, int op, size_t max)
{
	return sdict_read_values(o->data, op == MGR__OP__OP_DICT_ITEMS,
	    op != MGR__OP__OP_DICT_VALUES, op != MGR__OP__OP_DICT_KEYS, max);
}

static void
dict_entries(const mobj *o, size_t                                 max,
    void (*fn)(void *arg, const sval *key, const sval *val), void *arg)
{
	sdict_first(o->data, max, fn, arg);
}

/* A snapshot's image of it (snapshot.c). */
static int
dict_save(mobj *o, struct snap_out *out)
{
	return snap_save_dict(out, o->data);
}

static int
dict_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	return snap_load_dict(&o->data, image, part, in);
}

const mtype dict_type = {
	.code         = MGR__OBJ_TYPE__OBJ_DICT,
	.name         = "dict",
	.create       = dict_create,
	.destroy      = dict_destroy,
	.destroy_some = dict_destroy_some,
	.each_ref     = dict_each_ref,
	.clone_data   = dict_clone,
	.size         = dict_size,
	.values       = dict_values,
	.entries      = dict_entries,
	.save         = dict_save,
	.load         = dict_load,
};

static int
h_set(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc == 0) {
		rc = room_for_key(c, target_dict(c), &c->args[0]);
	}
	if (rc == 0
	    && (rc = sdict_set(target_dict(c), &c->args[0], &c->args[1]))
	        != 0) {
		return fail_rc(c, rc);
	}
	return rc;
}

static int
h_get(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc != 0) {
		return rc;
	}
	const sval *v = sdict_get(target_dict(c), &c->args[0]);
	if (v == NULL) {
		return fail_key(c, &c->args[0]);
	}
	c->res_borrowed = v;
	return 0;
}

static int
h_del(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc != 0) {
		return rc;
	}
	if (sdict_del(target_dict(c), &c->args[0], NULL) != 0) {
		return fail_key(c, &c->args[0]);
	}
	return 0;
}

static int
h_contains(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc != 0) {
		return rc;
	}
	c->res = sv_bool(sdict_get(target_dict(c), &c->args[0]) != NULL);
	return 0;
}

static int
h_len(mctx *c)
{
	c->res = sv_int((int64_t) sdict_len(target_dict(c)));
	return 0;
}

/* POP key [default]. */
static int
h_pop(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc != 0) {
		return rc;
	}
	if (sdict_del(target_dict(c), &c->args[0], &c->res) != 0) {
		if (c->nargs < 2) {
			return fail_key(c, &c->args[0]);
		}
		c->res = sv_move(&c->args[1]);
	}
	return 0;
}

/* POPITEM -> (key, value), the last inserted. */
static int
h_popitem(mctx *c)
{
	if (sdict_len(target_dict(c)) == 0) {
		return mctx_fail(
		    c, MGR_EKEY, "popitem(): dictionary is empty");
	}
	// The tuple first: once popped, the item must not be lost.
	sval t;
	if (sv_new_list(&t, SV_TUPLE, 2) != 0) {
		return fail_rc(c, MGR_ENOMEM);
	}
	sval k, v;
	(void) sdict_popitem(target_dict(c), &k, &v);
	t.vec->items[0] = k;
	t.vec->items[1] = v;
	t.vec->len      = 2;
	c->res          = t;
	return 0;
}

/* SETDEFAULT key [default] -> the value now stored under key. */
static int
h_setdefault(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc != 0) {
		return rc;
	}
	if ((rc = room_for_key(c, target_dict(c), &c->args[0])) != 0) {
		return rc;
	}
	sval  dflt = c->nargs > 1 ? sv_move(&c->args[1]) : SV_NONE_INIT;
	sval *stored;
	rc = sdict_setdefault(target_dict(c), &c->args[0], &dflt, &stored);
	sv_free(&dflt); // unused when the key was there
	if (rc != 0) {
		return fail_rc(c, rc);
	}
	c->res_borrowed = stored;
	return 0;
}

static int
h_update(mctx *c)
{
	return merge_value(c, target_dict(c), &c->args[0]);
}

static int
h_clear(mctx *c)
{
	sdict *fresh = sdict_new(0);
	if (fresh == NULL) {
		return fail_rc(c, MGR_ENOMEM);
	}
	mobj_replace_data(c->obj, fresh); // a big one's entries in slices
	return 0;
}

/* KEYS, VALUES, ITEMS: a new list of copies (pairs as 2-tuples). */
enum { VIEW_KEYS, VIEW_VALUES, VIEW_ITEMS };

static int
make_view(mctx *c, int what)
{
	sdict *d = target_dict(c);
	sval   r;
	int    rc  = sv_new_list(&r, SV_LIST, sdict_len(d));
	size_t pos = 0;
	sval  *k, *v;
	while (rc == 0 && sdict_next(d, &pos, &k, &v)) {
		sval x = SV_NONE_INIT;
		if (what == VIEW_KEYS) {
			rc = sv_copy(&x, k);
		} else if (what == VIEW_VALUES) {
			rc = sv_copy(&x, v);
		} else if ((rc = sv_new_list(&x, SV_TUPLE, 2)) == 0) {
			rc = sv_copy(&x.vec->items[0], k);
			if (rc == 0) {
				x.vec->len = 1;
				rc         = sv_copy(&x.vec->items[1], v);
			}
			if (rc == 0) {
				x.vec->len = 2;
			}
		}
		// r was sized for every item: the append cannot fail.
		if (rc == 0) {
			rc = svec_append(r.vec, &x);
		}
		sv_free(&x);
	}
	if (rc != 0) {
		sv_free(&r);
		return fail_rc(c, rc);
	}
	c->res = r;
	return 0;
}

static int
h_keys(mctx *c)
{
	return make_view(c, VIEW_KEYS);
}

static int
h_values(mctx *c)
{
	return make_view(c, VIEW_VALUES);
}

static int
h_items(mctx *c)
{
	return make_view(c, VIEW_ITEMS);
}

static int
h_copy(mctx *c)
{
	sdict *r;
	int    rc = sdict_copy(target_dict(c), &r);
	if (rc != 0) {
		return fail_rc(c, rc);
	}
	c->res = (sval) { .kind = SV_DICT, .dict = r };
	return 0;
}

/* INCR key [delta] -> the new value: an atomic d[key] += delta, where a
 * missing key counts as int 0 and delta defaults to 1. int + int stays an
 * int (MGR_ERANGE on overflow), anything with a float is a float; bool is
 * not a number here. */
static int
h_incr(mctx *c)
{
	sval  one   = sv_int(1);
	sval *key   = &c->args[0];
	sval *delta = c->nargs > 1 ? &c->args[1] : &one;
	int   rc;
	if (delta->kind != SV_INT && delta->kind != SV_FLOAT) {
		return mctx_fail(c, MGR_ETYPE,
		    "unsupported operand type(s) for +=: 'int' and '%s'",
		    sv_type_name(delta));
	}
	if ((rc = check_key(c, key)) != 0) {
		return rc;
	}
	sval *cur = sdict_get(target_dict(c), key);
	if (cur == NULL) {
		sval v = *delta; // 0 + delta: the delta itself
		if ((rc = mctx_check_room(c, sdict_len(target_dict(c)), 1))
		    != 0) {
			return rc;
		}
		if ((rc = sdict_set(target_dict(c), key, &v)) != 0) {
			return fail_rc(c, rc);
		}
		c->res = *delta;
		return 0;
	}
	if (cur->kind == SV_INT && delta->kind == SV_INT) {
		int64_t r;
		if (__builtin_add_overflow(cur->i, delta->i, &r)) {
			return mctx_fail(c, MGR_ERANGE, "integer overflow");
		}
		cur->i = r;
	} else if (cur->kind == SV_INT || cur->kind == SV_FLOAT) {
		double a = cur->kind == SV_INT ? (double) cur->i : cur->f;
		double b
		    = delta->kind == SV_INT ? (double) delta->i : delta->f;
		*cur = sv_float(a + b);
	} else {
		return mctx_fail(c, MGR_ETYPE,
		    "unsupported operand type(s) for +=: '%s' and '%s'",
		    sv_type_name(cur), sv_type_name(delta));
	}
	c->res = *cur;
	return 0;
}

#define T_DICT MT(MGR__OBJ_TYPE__OBJ_DICT)

const mop dict_ops[] = {
	{ MGR__OP__OP_DICT_SET, T_DICT, 2, 2, MOP_WRITE | MOP_GROWS, h_set },
	{ MGR__OP__OP_DICT_GET, T_DICT, 1, 1, 0, h_get },
	{ MGR__OP__OP_DICT_DEL, T_DICT, 1, 1, MOP_WRITE, h_del },
	{ MGR__OP__OP_DICT_CONTAINS, T_DICT, 1, 1, 0, h_contains },
	{ MGR__OP__OP_DICT_LEN, T_DICT, 0, 0, 0, h_len },
	{ MGR__OP__OP_DICT_POP, T_DICT, 1, 2, MOP_WRITE, h_pop },
	{ MGR__OP__OP_DICT_POPITEM, T_DICT, 0, 0, MOP_WRITE, h_popitem },
	{ MGR__OP__OP_DICT_SETDEFAULT, T_DICT, 1, 2, MOP_WRITE | MOP_GROWS,
	    h_setdefault },
	{ MGR__OP__OP_DICT_UPDATE, T_DICT, 1, 1, MOP_WRITE | MOP_GROWS,
	    h_update },
	{ MGR__OP__OP_DICT_CLEAR, T_DICT, 0, 0, MOP_WRITE, h_clear },
	{ MGR__OP__OP_DICT_KEYS, T_DICT, 0, 0, MOP_WHOLE, h_keys },
	{ MGR__OP__OP_DICT_VALUES, T_DICT, 0, 0, MOP_WHOLE, h_values },
	{ MGR__OP__OP_DICT_ITEMS, T_DICT, 0, 0, MOP_WHOLE, h_items },
	{ MGR__OP__OP_DICT_COPY, T_DICT, 0, 0, MOP_WHOLE, h_copy },
	{ MGR__OP__OP_DICT_INCR, T_DICT, 1, 2, MOP_WRITE | MOP_GROWS,
	    h_incr },
	{ 0 },
};
