/* Lock, rlock, semaphore and bounded semaphore proxies, and the three
 * calls they share with a condition (which acts on its lock). An rlock
 * belongs to the calling thread: every request carries the thread's id. */
#include <stdint.h>

#include "create.h"

#define LOCKS                                                                \
	((1u << MGR__OBJ_TYPE__OBJ_LOCK) | (1u << MGR__OBJ_TYPE__OBJ_RLOCK)  \
	    | (1u << MGR__OBJ_TYPE__OBJ_SEMAPHORE)                           \
	    | (1u << MGR__OBJ_TYPE__OBJ_BOUNDED_SEMAPHORE)                   \
	    | (1u << MGR__OBJ_TYPE__OBJ_CONDITION))

int
mgr_lock_new(mgr_client *c, mgr_obj **l)
{
	return obj_create(c, MGR__OBJ_TYPE__OBJ_LOCK, NULL, 0, l);
}

int
mgr_rlock_new(mgr_client *c, mgr_obj **l)
{
	return obj_create(c, MGR__OBJ_TYPE__OBJ_RLOCK, NULL, 0, l);
}

static int
sem_new(mgr_client *c, Mgr__ObjType type, size_t value, mgr_obj **s)
{
	// The wire carries an int64.
	if (value > (size_t) INT64_MAX) {
		client_set_detail("semaphore value %zu is too large", value);
		return MGR_EINVAL;
	}
	mgr_value arg = mgr_int((int64_t) value);
	return obj_create(c, type, &arg, 1, s);
}

int
mgr_semaphore_new(mgr_client *c, size_t value, mgr_obj **s)
{
	return sem_new(c, MGR__OBJ_TYPE__OBJ_SEMAPHORE, value, s);
}

int
mgr_bounded_semaphore_new(mgr_client *c, size_t value, mgr_obj **s)
{
	return sem_new(c, MGR__OBJ_TYPE__OBJ_BOUNDED_SEMAPHORE, value, s);
}

int
mgr_acquire(mgr_obj *o, int64_t timeout)
{
	// As Python: a negative timeout other than "forever" is an error.
	int rv = client_check_timeout(timeout);
	if (rv != 0) {
		return rv;
	}
	return obj_call(
	    o, LOCKS, MGR__OP__OP_ACQUIRE, NULL, 0, timeout, NULL);
}

int
mgr_release(mgr_obj *o)
{
	return obj_call(o, LOCKS, MGR__OP__OP_RELEASE_LOCK, NULL, 0, 0, NULL);
}

#define MUTEXES                                                              \
	((1u << MGR__OBJ_TYPE__OBJ_LOCK) | (1u << MGR__OBJ_TYPE__OBJ_RLOCK)  \
	    | (1u << MGR__OBJ_TYPE__OBJ_CONDITION))

/* A fencing token from a reply's result (a non-negative int). */
static int
fence_of(mgr_value *res, uint64_t *fence)
{
	if (res->kind != MGR_INT || res->i < 0) {
		mgr_value_free(res);
		client_set_detail("the manager answered no fencing token");
		return MGR_EPROTO;
	}
	*fence = (uint64_t) res->i;
	return 0;
}

int
mgr_acquire_fence(mgr_obj *lock, int64_t timeout, uint64_t *fence)
{
	client_set_detail(NULL);
	ARG_NONNULL(fence);
	ARG_CHECK(
	    timeout >= MGR_FOREVER, timeout, "must be >= 0 or MGR_FOREVER");
	mgr_value res;
	int       rv = obj_call(
	          lock, MUTEXES, MGR__OP__OP_ACQUIRE, NULL, 0, timeout, &res);
	return rv != 0 ? rv : fence_of(&res, fence);
}

int
mgr_lock_fence(mgr_obj *lock, uint64_t *fence)
{
	client_set_detail(NULL);
	ARG_NONNULL(fence);
	mgr_value res;
	int       rv = obj_call(
	          lock, MUTEXES, MGR__OP__OP_LOCK_FENCE, NULL, 0, 0, &res);
	return rv != 0 ? rv : fence_of(&res, fence);
}

int
mgr_locked(mgr_obj *o, bool *locked)
{
	return obj_call_bool(o, LOCKS, MGR__OP__OP_LOCKED, NULL, 0, locked);
}

int
mgr_obj_get_lock(mgr_obj *o, mgr_obj **lock)
{
	ARG_NONNULL(lock);
	mgr_value v  = mgr_none();
	int       rv = obj_call(o,
	          (1u << MGR__OBJ_TYPE__OBJ_SCALAR)
	              | (1u << MGR__OBJ_TYPE__OBJ_ARRAY),
	          MGR__OP__OP_GET_LOCK, NULL, 0, 0, &v);
	return rv != 0 ? rv : value_take_ref(&v, lock);
}
