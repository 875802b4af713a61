/* Event proxies: thin wrappers over obj_call (ops OP_EVENT_*); wait blocks
 * on the manager with the request's timeout. */
#include "create.h"

#define EVENT (1u << MGR__OBJ_TYPE__OBJ_EVENT)

int
mgr_event_new(mgr_client *c, mgr_obj **e)
{
	return obj_create(c, MGR__OBJ_TYPE__OBJ_EVENT, NULL, 0, e);
}

int
mgr_event_set(mgr_obj *e)
{
	return obj_call(e, EVENT, MGR__OP__OP_EVENT_SET, NULL, 0, 0, NULL);
}

int
mgr_event_clear(mgr_obj *e)
{
	return obj_call(e, EVENT, MGR__OP__OP_EVENT_CLEAR, NULL, 0, 0, NULL);
}

int
mgr_event_is_set(mgr_obj *e, bool *set)
{
	return obj_call_bool(
	    e, EVENT, MGR__OP__OP_EVENT_IS_SET, NULL, 0, set);
}

int
mgr_event_wait(mgr_obj *e, int64_t timeout)
{
	int rv = client_check_timeout(timeout);
	if (rv != 0) {
		return rv;
	}
	return obj_call(
	    e, EVENT, MGR__OP__OP_EVENT_WAIT, NULL, 0, timeout, NULL);
}
