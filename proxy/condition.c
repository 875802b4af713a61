/* Condition proxies. The condition's lock is taken and given back with
 * mgr_acquire / mgr_release (proxy/lock.c) on the condition itself or on
 * the lock it was built over. */
#include <stdint.h>

#include "create.h"

#define COND (1u << MGR__OBJ_TYPE__OBJ_CONDITION)

int
mgr_condition_new(mgr_client *c, mgr_obj *lock, mgr_obj **cv)
{
	if (lock == NULL) {
		// The manager makes an rlock of its own for it.
		return obj_create(
		    c, MGR__OBJ_TYPE__OBJ_CONDITION, NULL, 0, cv);
	}
	if (lock->type != MGR__OBJ_TYPE__OBJ_LOCK
	    && lock->type != MGR__OBJ_TYPE__OBJ_RLOCK) {
		client_set_detail(
		    "a condition needs a lock or an rlock, not %s",
		    obj_type_name(lock->type));
		return MGR_ETYPE;
	}
	mgr_value arg = mgr_ref(lock);
	return obj_create(c, MGR__OBJ_TYPE__OBJ_CONDITION, &arg, 1, cv);
}

int
mgr_condition_wait(mgr_obj *cv, int64_t timeout)
{
	int rv = client_check_timeout(timeout);
	if (rv != 0) {
		return rv;
	}
	return obj_call(
	    cv, COND, MGR__OP__OP_COND_WAIT, NULL, 0, timeout, NULL);
}

int
mgr_condition_notify(mgr_obj *cv, size_t n)
{
	// More than anyone can wait for is everyone.
	mgr_value arg
	    = mgr_int(n > (size_t) INT64_MAX ? INT64_MAX : (int64_t) n);
	return obj_call(cv, COND, MGR__OP__OP_COND_NOTIFY, &arg, 1, 0, NULL);
}

int
mgr_condition_notify_all(mgr_obj *cv)
{
	return obj_call(
	    cv, COND, MGR__OP__OP_COND_NOTIFY_ALL, NULL, 0, 0, NULL);
}
