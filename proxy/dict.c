/* Dict proxies: thin wrappers over obj_call (ops OP_DICT_*; argument
 * conventions in schema/manager.proto's order). */
#include <stdlib.h>

#include "create.h"

#define DICT (1u << MGR__OBJ_TYPE__OBJ_DICT)

/* A call without a result. */
static int
dict_do(mgr_obj *d, Mgr__Op op, const mgr_value *args, size_t nargs)
{
	return obj_call(d, DICT, op, args, nargs, 0, NULL);
}

int
mgr_dict_new(mgr_client *c, mgr_obj **d)
{
	return obj_create(c, MGR__OBJ_TYPE__OBJ_DICT, NULL, 0, d);
}

int
mgr_dict_set(mgr_obj *d, mgr_value key, mgr_value value)
{
	mgr_value args[] = { key, value };
	return dict_do(d, MGR__OP__OP_DICT_SET, args, 2);
}

int
mgr_dict_get(mgr_obj *d, mgr_value key, mgr_value *out)
{
	return obj_call_value(
	    d, DICT, MGR__OP__OP_DICT_GET, &key, 1, OBJ_ANY_KIND, out);
}

int
mgr_dict_del(mgr_obj *d, mgr_value key)
{
	return dict_do(d, MGR__OP__OP_DICT_DEL, &key, 1);
}

int
mgr_dict_contains(mgr_obj *d, mgr_value key, bool *found)
{
	return obj_call_bool(
	    d, DICT, MGR__OP__OP_DICT_CONTAINS, &key, 1, found);
}

int
mgr_dict_len(mgr_obj *d, size_t *n)
{
	return obj_call_size(d, DICT, MGR__OP__OP_DICT_LEN, NULL, 0, n);
}

int
mgr_dict_pop(mgr_obj *d, mgr_value key, mgr_value *out)
{
	return obj_call_value(
	    d, DICT, MGR__OP__OP_DICT_POP, &key, 1, OBJ_ANY_KIND, out);
}

int
mgr_dict_popitem(mgr_obj *d, mgr_value *key, mgr_value *value)
{
	mgr_value res;
	int       rv;

	ARG_NONNULL(key);
	ARG_NONNULL(value);
	rv = obj_call_value(
	    d, DICT, MGR__OP__OP_DICT_POPITEM, NULL, 0, MGR_TUPLE, &res);
	if (rv != 0) {
		return rv;
	}
	if (res.len != 2 || res.items == NULL) {
		mgr_value_free(&res);
		client_set_detail("popitem answered no (key, value) pair");
		return MGR_EPROTO;
	}
	// Move the two owned items out; only the array is left to free.
	*key   = res.items[0];
	*value = res.items[1];
	free(res.items);
	return 0;
}

int
mgr_dict_setdefault(mgr_obj *d, mgr_value key, mgr_value dflt, mgr_value *out)
{
	mgr_value args[] = { key, dflt };
	return obj_call_value(
	    d, DICT, MGR__OP__OP_DICT_SETDEFAULT, args, 2, OBJ_ANY_KIND, out);
}

int
mgr_dict_update(mgr_obj *d, mgr_value dict_value)
{
	return dict_do(d, MGR__OP__OP_DICT_UPDATE, &dict_value, 1);
}

int
mgr_dict_clear(mgr_obj *d)
{
	return dict_do(d, MGR__OP__OP_DICT_CLEAR, NULL, 0);
}

int
mgr_dict_keys(mgr_obj *d, mgr_value *list)
{
	return obj_call_value(
	    d, DICT, MGR__OP__OP_DICT_KEYS, NULL, 0, MGR_LIST, list);
}

int
mgr_dict_values(mgr_obj *d, mgr_value *list)
{
	return obj_call_value(
	    d, DICT, MGR__OP__OP_DICT_VALUES, NULL, 0, MGR_LIST, list);
}

int
mgr_dict_items(mgr_obj *d, mgr_value *list)
{
	return obj_call_value(
	    d, DICT, MGR__OP__OP_DICT_ITEMS, NULL, 0, MGR_LIST, list);
}

int
mgr_dict_copy(mgr_obj *d, mgr_value *dict_value)
{
	return obj_call_value(
	    d, DICT, MGR__OP__OP_DICT_COPY, NULL, 0, MGR_DICT, dict_value);
}

int
mgr_dict_incr(
    mgr_obj *d, mgr_value key, mgr_value delta, mgr_value *new_value)
{
	mgr_value args[] = { key, delta };
	if (new_value == NULL) {
		return dict_do(d, MGR__OP__OP_DICT_INCR, args, 2);
	}
	return obj_call_value(
	    d, DICT, MGR__OP__OP_DICT_INCR, args, 2, OBJ_ANY_KIND, new_value);
}
