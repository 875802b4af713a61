/* The namespace type (Python's manager Namespace): attributes by name. Its
 * data is an sdict whose keys are SV_STR names (dict.h is the pure data
 * part); this file only holds the handlers. */
#include <stdlib.h>

#include "object.h"
#include "sdict.h"

static sdict *
target_ns(mctx *c)
{
	return c->obj->data;
}

static int
fail_rc(mctx *c, int rc)
{
	return mctx_fail(c, rc,
	    rc == MGR_ENOMEM ? "out of memory"
	                     : "namespace too big or nested too deeply");
}

/* CREATE [dict with str keys]: the initial attributes. */
static int
ns_create(mobj *o, mctx *c)
{
	if (c->nargs > 1) {
		return mctx_fail(c, MGR_EINVAL,
		    "Namespace expected at most 1 argument, got %zu",
		    c->nargs);
	}
	sval *a = c->nargs == 1 ? &c->args[0] : NULL;
	if (a != NULL && a->kind != SV_NONE) {
		if (a->kind != SV_DICT) {
			return mctx_fail(c, MGR_ETYPE,
			    "Namespace attributes must be a dict, not '%s'",
			    sv_type_name(a));
		}
		size_t pos = 0;
		sval  *k, *v;
		while (sdict_next(a->dict, &pos, &k, &v)) {
			if (k->kind != SV_STR) {
				return mctx_fail(c, MGR_ETYPE,
				    "attribute name must be string, not '%s'",
				    sv_type_name(k));
			}
		}
		o->data = a->dict; // the argument's table, taken as is
		a->kind = SV_NONE;
		return 0;
	}
	if ((o->data = sdict_new(0)) == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	return 0;
}

static void
ns_destroy(mobj *o)
{
	sdict_free(o->data);
	o->data = NULL;
}

static bool
ns_destroy_some(mobj *o, size_t *budget)
{
	if (!sdict_free_some(o->data, budget)) {
		return false;
	}
	o->data = NULL;
	return true;
}

static void
ns_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	size_t pos = 0;
	sval  *k, *v;
	while (sdict_next(o->data, &pos, &k, &v)) {
		sv_each_ref(v, fn, arg); // names are strings
	}
}

/* For atomic batches: a copy to put back if the batch fails. */
static void *
ns_clone(mobj *o)
{
	sdict *copy;
	return sdict_copy(o->data, &copy) == 0 ? copy : NULL;
}

static size_t
ns_size(const mobj *o)
{
	return sdict_len(o->data);
}

static size_t
ns_values(const mobj *o, int op, size_t max)
{
	(void) op; // items: (name, value) tuples
	return sdict_read_values(o->data, true, true, true, max);
}

static void
ns_entries(const mobj *o, size_t                                   max,
    void (*fn)(void *arg, const sval *key, const sval *val), void *arg)
{
	sdict_first(o->data, max, fn, arg);
}

/* A snapshot's image of it (snapshot.c). */
static int
namespace_save(mobj *o, struct snap_out *out)
{
	return snap_save_dict(out, o->data);
}

static int
namespace_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	return snap_load_dict(&o->data, image, part, in);
}

const mtype namespace_type = {
	.code         = MGR__OBJ_TYPE__OBJ_NAMESPACE,
	.name         = "namespace",
	.create       = ns_create,
	.destroy      = ns_destroy,
	.destroy_some = ns_destroy_some,
	.each_ref     = ns_each_ref,
	.clone_data   = ns_clone,
	.size         = ns_size,
	.values       = ns_values,
	.entries      = ns_entries,
	.save         = namespace_save,
	.load         = namespace_load,
};

/* AttributeError's detail, as "no attribute 'x'". */
static int
fail_attr(mctx *c, const char *name, size_t len)
{
	return mctx_fail(c, MGR_EKEY, "no attribute '%.*s'",
	    len > 100 ? 100 : (int) len, name);
}

/* SET name value. */
static int
h_set(mctx *c)
{
	const char *name;
	int         rc = mctx_arg_str(c, 0, &name, NULL);
	if (rc == 0 && mctx_full(c, sdict_len(target_ns(c)))
	    && sdict_get(target_ns(c), &c->args[0]) == NULL) {
		rc = mctx_check_room(c, sdict_len(target_ns(c)), 1);
	}
	if (rc == 0
	    && (rc = sdict_set(target_ns(c), &c->args[0], &c->args[1]))
	        != 0) {
		return fail_rc(c, rc);
	}
	return rc;
}

/* GET name -> value. */
static int
h_get(mctx *c)
{
	const char *name;
	size_t      len;
	int         rc = mctx_arg_str(c, 0, &name, &len);
	if (rc != 0) {
		return rc;
	}
	const sval *v = sdict_get(target_ns(c), &c->args[0]);
	if (v == NULL) {
		return fail_attr(c, name, len);
	}
	c->res_borrowed = v;
	return 0;
}

/* DEL name. */
static int
h_del(mctx *c)
{
	const char *name;
	size_t      len;
	int         rc = mctx_arg_str(c, 0, &name, &len);
	if (rc != 0) {
		return rc;
	}
	if (sdict_del(target_ns(c), &c->args[0], NULL) != 0) {
		return fail_attr(c, name, len);
	}
	return 0;
}

/* ITEMS -> dict of every attribute (copies). */
static int
h_items(mctx *c)
{
	sdict *r;
	int    rc = sdict_copy(target_ns(c), &r);
	if (rc != 0) {
		return fail_rc(c, rc);
	}
	c->res = (sval) { .kind = SV_DICT, .dict = r };
	return 0;
}

#define T_NS MT(MGR__OBJ_TYPE__OBJ_NAMESPACE)

const mop namespace_ops[] = {
	{ MGR__OP__OP_NS_SET, T_NS, 2, 2, MOP_WRITE | MOP_GROWS, h_set },
	{ MGR__OP__OP_NS_GET, T_NS, 1, 1, 0, h_get },
	{ MGR__OP__OP_NS_DEL, T_NS, 1, 1, MOP_WRITE, h_del },
	{ MGR__OP__OP_NS_ITEMS, T_NS, 0, 0, MOP_WHOLE, h_items },
	{ 0 },
};
