/* Pipe proxies: Python's multiprocessing.Pipe. Each end is a conn object
 * in the manager (types/pipe.c), a proxy like any other (it travels to
 * processes by token); receive and poll wait in the manager with the
 * request's timeout. */
#include "create.h"

#define CONN (1u << MGR__OBJ_TYPE__OBJ_CONN)

int
mgr_pipe_new(mgr_client *c, bool duplex, mgr_obj **end1, mgr_obj **end2)
{
	client_set_detail(NULL);
	ARG_NONNULL(c);
	ARG_NONNULL(end1);
	ARG_NONNULL(end2);
	mgr_obj  *a, *b;
	mgr_value arg = mgr_bool(duplex);
	int       rv  = obj_create(c, MGR__OBJ_TYPE__OBJ_CONN, &arg, 1, &a);
	if (rv != 0) {
		return rv;
	}
	// The second end pairs with the first in the manager.
	arg = mgr_ref(a);
	if ((rv = obj_create(c, MGR__OBJ_TYPE__OBJ_CONN, &arg, 1, &b)) != 0) {
		mgr_obj_release(a);
		return rv;
	}
	*end1 = a;
	*end2 = b;
	return 0;
}

int
mgr_conn_send(mgr_obj *end, mgr_value v)
{
	return obj_call(end, CONN, MGR__OP__OP_CONN_SEND, &v, 1, 0, NULL);
}

int
mgr_conn_recv(mgr_obj *end, mgr_value *out, int64_t timeout)
{
	ARG_NONNULL(out);
	int rv = client_check_timeout(timeout);
	if (rv != 0) {
		return rv;
	}
	mgr_value res = mgr_none();
	rv            = obj_call(
	               end, CONN, MGR__OP__OP_CONN_RECV, NULL, 0, timeout, &res);
	if (rv == 0) {
		*out = res;
	}
	return rv;
}

int
mgr_conn_poll(mgr_obj *end, int64_t timeout, bool *ready)
{
	ARG_NONNULL(ready);
	int rv = client_check_timeout(timeout);
	if (rv != 0) {
		return rv;
	}
	mgr_value res = mgr_none();
	rv            = obj_call(
	               end, CONN, MGR__OP__OP_CONN_POLL, NULL, 0, timeout, &res);
	if (rv == 0 && res.kind != MGR_BOOL) {
		int kind = (int) res.kind;
		mgr_value_free(&res);
		client_set_detail("poll answered a value of kind %d, not a "
		                  "bool",
		    kind);
		return MGR_EPROTO;
	}
	if (rv == 0) {
		*ready = res.b;
	}
	return rv;
}

int
mgr_conn_close(mgr_obj *end)
{
	return obj_call(end, CONN, MGR__OP__OP_CONN_CLOSE, NULL, 0, 0, NULL);
}
