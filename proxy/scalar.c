/* Scalar proxies (Python's multiprocessing.Value): thin wrappers over
 * obj_call (ops OP_SCALAR_*). The typecode travels as a one-character str;
 * the manager checks it and every value against it. */
#include "create.h"

#define SCALAR (1u << MGR__OBJ_TYPE__OBJ_SCALAR)

/* A scalar's value is an int or a float; anything else is a manager bug. */
static int
number_result(mgr_obj *o, Mgr__Op op, const mgr_value *args, size_t nargs,
    mgr_value *out)
{
	mgr_value res;
	int       rv
	    = obj_call_value(o, SCALAR, op, args, nargs, OBJ_ANY_KIND, &res);
	if (rv != 0) {
		return rv;
	}
	if (res.kind != MGR_INT && res.kind != MGR_FLOAT) {
		mgr_value_free(&res);
		client_set_detail(
		    "scalar answered a value that is no number");
		return MGR_EPROTO;
	}
	*out = res;
	return 0;
}

int
mgr_scalar_new(mgr_client *c, char typecode, mgr_value init, mgr_obj **o)
{
	mgr_value args[] = { mgr_none(), init };
	int       rv     = obj_typecode(&typecode, &args[0]);
	return rv != 0 ? rv
	               : obj_create(c, MGR__OBJ_TYPE__OBJ_SCALAR, args, 2, o);
}

int
mgr_scalar_get(mgr_obj *o, mgr_value *out)
{
	ARG_NONNULL(out);
	return number_result(o, MGR__OP__OP_SCALAR_GET, NULL, 0, out);
}

int
mgr_scalar_set(mgr_obj *o, mgr_value v)
{
	return obj_call(o, SCALAR, MGR__OP__OP_SCALAR_SET, &v, 1, 0, NULL);
}

int
mgr_scalar_add(mgr_obj *o, mgr_value delta, mgr_value *new_value)
{
	if (new_value == NULL) {
		return obj_call(
		    o, SCALAR, MGR__OP__OP_SCALAR_ADD, &delta, 1, 0, NULL);
	}
	return number_result(o, MGR__OP__OP_SCALAR_ADD, &delta, 1, new_value);
}
