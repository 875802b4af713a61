/* Array proxies (Python's multiprocessing.Array): thin wrappers over
 * obj_call (ops OP_ARRAY_*). Indexes are sent as they are: the manager
 * counts negative ones from the end and clamps slice bounds, as Python
 * does. */
#include "create.h"

#define ARRAY (1u << MGR__OBJ_TYPE__OBJ_ARRAY)

int
mgr_array_new(mgr_client *c, char typecode, mgr_value list_value, mgr_obj **a)
{
	mgr_value args[] = { mgr_none(), list_value };
	int       rv     = obj_typecode(&typecode, &args[0]);
	return rv != 0 ? rv
	               : obj_create(c, MGR__OBJ_TYPE__OBJ_ARRAY, args, 2, a);
}

int
mgr_array_len(mgr_obj *a, size_t *n)
{
	return obj_call_size(a, ARRAY, MGR__OP__OP_ARRAY_LEN, NULL, 0, n);
}

int
mgr_array_get(mgr_obj *a, int64_t i, mgr_value *out)
{
	mgr_value arg = mgr_int(i);
	mgr_value res;
	int       rv;

	ARG_NONNULL(out);
	rv = obj_call_value(
	    a, ARRAY, MGR__OP__OP_ARRAY_GET, &arg, 1, OBJ_ANY_KIND, &res);
	if (rv != 0) {
		return rv;
	}
	// An item is an int or a float; anything else is a manager bug.
	if (res.kind != MGR_INT && res.kind != MGR_FLOAT) {
		mgr_value_free(&res);
		client_set_detail("array answered an item that is no number");
		return MGR_EPROTO;
	}
	*out = res;
	return 0;
}

int
mgr_array_set(mgr_obj *a, int64_t i, mgr_value v)
{
	mgr_value args[] = { mgr_int(i), v };
	return obj_call(a, ARRAY, MGR__OP__OP_ARRAY_SET, args, 2, 0, NULL);
}

int
mgr_array_slice(mgr_obj *a, int64_t start, int64_t stop, mgr_value *list)
{
	mgr_value args[] = { mgr_int(start), mgr_int(stop) };
	return obj_call_value(
	    a, ARRAY, MGR__OP__OP_ARRAY_SLICE, args, 2, MGR_LIST, list);
}
