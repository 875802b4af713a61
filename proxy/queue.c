/* Queue proxies: thin wrappers over obj_call (ops OP_QUEUE_*). put, get
 * and join block on the manager, never here: the request carries the
 * timeout and the manager answers when it can (or when it runs out). */
#include <stdint.h>

#include "create.h"

#define QUEUE (1u << MGR__OBJ_TYPE__OBJ_QUEUE)

int
mgr_queue_new(mgr_client *c, size_t maxsize, mgr_obj **q)
{
	if ((uint64_t) maxsize > INT64_MAX) {
		client_set_detail("maxsize %zu is too big", maxsize);
		return MGR_EINVAL;
	}
	mgr_value arg = mgr_int((int64_t) maxsize);
	return obj_create(c, MGR__OBJ_TYPE__OBJ_QUEUE, &arg, 1, q);
}

int
mgr_queue_new_opts(mgr_client *c, const mgr_queue_opts *opts, mgr_obj **q)
{
	mgr_queue_opts o = opts != NULL ? *opts : (mgr_queue_opts) { 0 };
	if ((uint64_t) o.maxsize > INT64_MAX) {
		client_set_detail("maxsize %zu is too big", o.maxsize);
		return MGR_EINVAL;
	}
	mgr_value args[] = { mgr_int((int64_t) o.maxsize), mgr_bool(o.ack),
		mgr_int(o.order) };
	// FIFO as before: two arguments, which every manager takes.
	return obj_create(c, MGR__OBJ_TYPE__OBJ_QUEUE, args,
	    o.order != MGR_QUEUE_FIFO ? 3 : 2, q);
}

int
mgr_queue_put(mgr_obj *q, mgr_value v, int64_t timeout)
{
	int rv = client_check_timeout(timeout);
	if (rv != 0) {
		return rv;
	}
	return obj_call(
	    q, QUEUE, MGR__OP__OP_QUEUE_PUT, &v, 1, timeout, NULL);
}

int
mgr_queue_get(mgr_obj *q, mgr_value *out, int64_t timeout)
{
	mgr_value res = mgr_none();
	int       rv;
	ARG_NONNULL(out);
	if ((rv = client_check_timeout(timeout)) != 0) {
		return rv;
	}
	rv = obj_call(
	    q, QUEUE, MGR__OP__OP_QUEUE_GET, NULL, 0, timeout, &res);
	if (rv == 0) {
		*out = res;
	}
	return rv;
}

int
mgr_queue_get_counted(
    mgr_obj *q, mgr_value *out, uint64_t *deliveries, int64_t timeout)
{
	mgr_value res = mgr_none();
	int       rv;
	ARG_NONNULL(out);
	ARG_NONNULL(deliveries);
	if ((rv = client_check_timeout(timeout)) != 0) {
		return rv;
	}
	rv = obj_call(
	    q, QUEUE, MGR__OP__OP_QUEUE_GET_COUNTED, NULL, 0, timeout, &res);
	if (rv != 0) {
		return rv;
	}
	if (res.kind != MGR_LIST || res.len != 2
	    || res.items[0].kind != MGR_INT || res.items[0].i < 0) {
		mgr_value_free(&res);
		client_set_detail("a counted get's answer is not "
		                  "[deliveries, item]");
		return MGR_EPROTO;
	}
	*deliveries = (uint64_t) res.items[0].i;
	rv          = mgr_value_take(out, &res.items[1]); // moves: owned
	mgr_value_free(&res);
	return rv;
}

int
mgr_queue_remove(mgr_obj *q, mgr_value v, bool *removed)
{
	return obj_call_bool(
	    q, QUEUE, MGR__OP__OP_QUEUE_REMOVE, &v, 1, removed);
}

int
mgr_queue_contains(mgr_obj *q, mgr_value v, bool *waiting)
{
	return obj_call_bool(
	    q, QUEUE, MGR__OP__OP_QUEUE_CONTAINS, &v, 1, waiting);
}

int
mgr_queue_peek(mgr_obj *q, int64_t start, int64_t stop, mgr_value *list)
{
	mgr_value args[2] = { mgr_int(start), mgr_int(stop) };
	return obj_call_value(
	    q, QUEUE, MGR__OP__OP_QUEUE_PEEK, args, 2, MGR_LIST, list);
}

int
mgr_queue_purge(mgr_obj *q, size_t *purged)
{
	size_t n;
	int    rv
	    = obj_call_size(q, QUEUE, MGR__OP__OP_QUEUE_PURGE, NULL, 0, &n);
	if (rv == 0 && purged != NULL) {
		*purged = n;
	}
	return rv;
}

int
mgr_queue_qsize(mgr_obj *q, size_t *n)
{
	return obj_call_size(q, QUEUE, MGR__OP__OP_QUEUE_QSIZE, NULL, 0, n);
}

int
mgr_queue_empty(mgr_obj *q, bool *empty)
{
	return obj_call_bool(
	    q, QUEUE, MGR__OP__OP_QUEUE_EMPTY, NULL, 0, empty);
}

int
mgr_queue_full(mgr_obj *q, bool *full)
{
	return obj_call_bool(q, QUEUE, MGR__OP__OP_QUEUE_FULL, NULL, 0, full);
}

int
mgr_queue_task_done(mgr_obj *q)
{
	return obj_call(
	    q, QUEUE, MGR__OP__OP_QUEUE_TASK_DONE, NULL, 0, 0, NULL);
}

int
mgr_queue_join(mgr_obj *q, int64_t timeout)
{
	int rv = client_check_timeout(timeout);
	if (rv != 0) {
		return rv;
	}
	return obj_call(
	    q, QUEUE, MGR__OP__OP_QUEUE_JOIN, NULL, 0, timeout, NULL);
}
