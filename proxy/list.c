/* List proxies: thin wrappers over obj_call (ops OP_LIST_*). Indexes are
 * sent as they are: the manager counts negative ones from the end and
 * clamps insert and slice bounds, as Python does. */
#include "create.h"

#define LIST (1u << MGR__OBJ_TYPE__OBJ_LIST)

/* A call without a result. */
static int
list_do(mgr_obj *l, Mgr__Op op, const mgr_value *args, size_t nargs)
{
	return obj_call(l, LIST, op, args, nargs, 0, NULL);
}

int
mgr_list_new(mgr_client *c, mgr_obj **l)
{
	return obj_create(c, MGR__OBJ_TYPE__OBJ_LIST, NULL, 0, l);
}

int
mgr_list_append(mgr_obj *l, mgr_value v)
{
	return list_do(l, MGR__OP__OP_LIST_APPEND, &v, 1);
}

int
mgr_list_extend(mgr_obj *l, mgr_value list_value)
{
	return list_do(l, MGR__OP__OP_LIST_EXTEND, &list_value, 1);
}

int
mgr_list_insert(mgr_obj *l, int64_t i, mgr_value v)
{
	mgr_value args[] = { mgr_int(i), v };
	return list_do(l, MGR__OP__OP_LIST_INSERT, args, 2);
}

int
mgr_list_get(mgr_obj *l, int64_t i, mgr_value *out)
{
	mgr_value arg = mgr_int(i);
	return obj_call_value(
	    l, LIST, MGR__OP__OP_LIST_GET, &arg, 1, OBJ_ANY_KIND, out);
}

int
mgr_list_set(mgr_obj *l, int64_t i, mgr_value v)
{
	mgr_value args[] = { mgr_int(i), v };
	return list_do(l, MGR__OP__OP_LIST_SET, args, 2);
}

int
mgr_list_del(mgr_obj *l, int64_t i)
{
	mgr_value arg = mgr_int(i);
	return list_do(l, MGR__OP__OP_LIST_DEL, &arg, 1);
}

int
mgr_list_pop(mgr_obj *l, int64_t i, mgr_value *out)
{
	mgr_value arg = mgr_int(i);
	return obj_call_value(
	    l, LIST, MGR__OP__OP_LIST_POP, &arg, 1, OBJ_ANY_KIND, out);
}

int
mgr_list_remove(mgr_obj *l, mgr_value v)
{
	return list_do(l, MGR__OP__OP_LIST_REMOVE, &v, 1);
}

int
mgr_list_index(mgr_obj *l, mgr_value v, int64_t *i)
{
	return obj_call_int(l, LIST, MGR__OP__OP_LIST_INDEX, &v, 1, i);
}

int
mgr_list_count(mgr_obj *l, mgr_value v, size_t *n)
{
	return obj_call_size(l, LIST, MGR__OP__OP_LIST_COUNT, &v, 1, n);
}

int
mgr_list_len(mgr_obj *l, size_t *n)
{
	return obj_call_size(l, LIST, MGR__OP__OP_LIST_LEN, NULL, 0, n);
}

int
mgr_list_reverse(mgr_obj *l)
{
	return list_do(l, MGR__OP__OP_LIST_REVERSE, NULL, 0);
}

int
mgr_list_sort(mgr_obj *l, bool reverse)
{
	mgr_value arg = mgr_bool(reverse);
	return list_do(l, MGR__OP__OP_LIST_SORT, &arg, 1);
}

int
mgr_list_clear(mgr_obj *l)
{
	return list_do(l, MGR__OP__OP_LIST_CLEAR, NULL, 0);
}

int
mgr_list_slice(mgr_obj *l, int64_t start, int64_t stop, mgr_value *list)
{
	mgr_value args[] = { mgr_int(start), mgr_int(stop) };
	return obj_call_value(
	    l, LIST, MGR__OP__OP_LIST_SLICE, args, 2, MGR_LIST, list);
}

int
mgr_list_copy(mgr_obj *l, mgr_value *list)
{
	return obj_call_value(
	    l, LIST, MGR__OP__OP_LIST_COPY, NULL, 0, MGR_LIST, list);
}
