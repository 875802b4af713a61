/* Barrier proxies: thin wrappers over obj_call (ops OP_BARRIER_*); wait
 * blocks on the manager, MGR_FOREVER meaning the barrier's default
 * timeout. */
#include <stdint.h>

#include "create.h"

#define BARRIER (1u << MGR__OBJ_TYPE__OBJ_BARRIER)

int
mgr_barrier_new(mgr_client *c, size_t parties, int64_t timeout, mgr_obj **b)
{
	int rv = client_check_timeout(timeout);
	if (rv != 0) {
		return rv;
	}
	if ((uint64_t) parties > INT64_MAX) {
		client_set_detail("parties %zu is too big", parties);
		return MGR_EINVAL;
	}
	// parties 0 is refused by the manager, with Python's message.
	mgr_value args[] = { mgr_int((int64_t) parties), mgr_int(timeout) };
	return obj_create(c, MGR__OBJ_TYPE__OBJ_BARRIER, args, 2, b);
}

int
mgr_barrier_wait(mgr_obj *b, int64_t timeout, size_t *index)
{
	mgr_value res = mgr_none();
	int       rv  = client_check_timeout(timeout);
	if (rv != 0) {
		return rv;
	}
	rv = obj_call(
	    b, BARRIER, MGR__OP__OP_BARRIER_WAIT, NULL, 0, timeout, &res);
	if (rv != 0) {
		return rv;
	}
	if (res.kind != MGR_INT || res.i < 0) {
		mgr_value_free(&res);
		client_set_detail("barrier wait answered no index");
		return MGR_EPROTO;
	}
	if (index != NULL) {
		*index = (size_t) res.i;
	}
	return 0;
}

int
mgr_barrier_abort(mgr_obj *b)
{
	return obj_call(
	    b, BARRIER, MGR__OP__OP_BARRIER_ABORT, NULL, 0, 0, NULL);
}

int
mgr_barrier_reset(mgr_obj *b)
{
	return obj_call(
	    b, BARRIER, MGR__OP__OP_BARRIER_RESET, NULL, 0, 0, NULL);
}

int
mgr_barrier_parties(mgr_obj *b, size_t *n)
{
	return obj_call_size(
	    b, BARRIER, MGR__OP__OP_BARRIER_PARTIES, NULL, 0, n);
}

int
mgr_barrier_n_waiting(mgr_obj *b, size_t *n)
{
	return obj_call_size(
	    b, BARRIER, MGR__OP__OP_BARRIER_N_WAITING, NULL, 0, n);
}

int
mgr_barrier_broken(mgr_obj *b, bool *broken)
{
	return obj_call_bool(
	    b, BARRIER, MGR__OP__OP_BARRIER_BROKEN, NULL, 0, broken);
}
