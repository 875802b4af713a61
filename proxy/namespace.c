/* Namespace proxies: thin wrappers over obj_call (ops OP_NS_*); attribute
 * names travel as str values. */
#include "create.h"

#define NS (1u << MGR__OBJ_TYPE__OBJ_NAMESPACE)

int
mgr_ns_new(mgr_client *c, mgr_obj **ns)
{
	return obj_create(c, MGR__OBJ_TYPE__OBJ_NAMESPACE, NULL, 0, ns);
}

int
mgr_ns_set(mgr_obj *ns, const char *name, mgr_value v)
{
	mgr_value args[] = { mgr_str(name), v };
	ARG_NONNULL(name);
	return obj_call(ns, NS, MGR__OP__OP_NS_SET, args, 2, 0, NULL);
}

int
mgr_ns_get(mgr_obj *ns, const char *name, mgr_value *out)
{
	mgr_value arg = mgr_str(name);
	ARG_NONNULL(name);
	return obj_call_value(
	    ns, NS, MGR__OP__OP_NS_GET, &arg, 1, OBJ_ANY_KIND, out);
}

int
mgr_ns_del(mgr_obj *ns, const char *name)
{
	mgr_value arg = mgr_str(name);
	ARG_NONNULL(name);
	return obj_call(ns, NS, MGR__OP__OP_NS_DEL, &arg, 1, 0, NULL);
}

int
mgr_ns_items(mgr_obj *ns, mgr_value *dict_value)
{
	return obj_call_value(
	    ns, NS, MGR__OP__OP_NS_ITEMS, NULL, 0, MGR_DICT, dict_value);
}
