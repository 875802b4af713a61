/* Calls on the manager itself: its figures, its sessions, its objects
 * and waits, its stop. */
#include "internal.h"

/* A call (with nargs args) whose result must be a value of kind (a dict
 * or a list). */
static int
call_with(mgr_client *c, Mgr__Op op, const mgr_value *args, size_t nargs,
    mgr_kind kind, mgr_value *out)
{
	call_req  call = { .op = op, .args = args, .nargs = nargs };
	mgr_value v;
	int       rv = client_call(c, &call, &v);
	if (rv == 0 && v.kind != kind) {
		mgr_value_free(&v);
		client_set_detail("the manager's answer to %s is not a %s",
		    op == MGR__OP__OP_INFO           ? "info"
		        : op == MGR__OP__OP_SESSIONS ? "sessions"
		        : op == MGR__OP__OP_OBJECTS  ? "objects"
		                                     : "waits",
		    kind == MGR_DICT ? "dict" : "list");
		return MGR_EPROTO;
	}
	if (rv == 0) {
		*out = v;
	}
	return rv;
}

static int
call_for(mgr_client *c, Mgr__Op op, mgr_kind kind, mgr_value *out)
{
	return call_with(c, op, NULL, 0, kind, out);
}

int
mgr_info(mgr_client *c, mgr_value *dict_value)
{
	ARG_NONNULL(c);
	ARG_NONNULL(dict_value);
	return call_for(c, MGR__OP__OP_INFO, MGR_DICT, dict_value);
}

int
mgr_sessions(mgr_client *c, mgr_value *list_value)
{
	ARG_NONNULL(c);
	ARG_NONNULL(list_value);
	return call_for(c, MGR__OP__OP_SESSIONS, MGR_LIST, list_value);
}

int
mgr_shutdown(mgr_client *c)
{
	ARG_NONNULL(c);
	call_req call = { .op = MGR__OP__OP_SHUTDOWN };
	return client_call(c, &call, NULL);
}

int
mgr_save(mgr_client *c)
{
	ARG_NONNULL(c);
	call_req call = { .op = MGR__OP__OP_SAVE };
	return client_call(c, &call, NULL);
}

int
mgr_cluster_add(mgr_client *c, uint64_t node, const char *address)
{
	ARG_NONNULL(c);
	ARG_NONNULL(address);
	ARG_CHECK(node > 0 && node <= INT64_MAX, node, "is not a member id");
	mgr_value args[2] = { mgr_int((int64_t) node), mgr_str(address) };
	call_req  call
	    = { .op = MGR__OP__OP_CLUSTER_ADD, .args = args, .nargs = 2 };
	return client_call(c, &call, NULL);
}

int
mgr_cluster_remove(mgr_client *c, uint64_t node)
{
	ARG_NONNULL(c);
	ARG_CHECK(node > 0 && node <= INT64_MAX, node, "is not a member id");
	mgr_value arg = mgr_int((int64_t) node);
	call_req  call
	    = { .op = MGR__OP__OP_CLUSTER_REMOVE, .args = &arg, .nargs = 1 };
	return client_call(c, &call, NULL);
}

int
mgr_session_end(mgr_client *c, uint64_t session)
{
	ARG_NONNULL(c);
	ARG_CHECK(session > 0 && session <= INT64_MAX, session,
	    "is not a session id");
	mgr_value arg = mgr_int((int64_t) session);
	call_req  call
	    = { .op = MGR__OP__OP_SESSION_END, .args = &arg, .nargs = 1 };
	return client_call(c, &call, NULL);
}

int
mgr_ping(mgr_client *c)
{
	ARG_NONNULL(c);
	call_req call = { .op = MGR__OP__OP_PING };
	return client_call(c, &call, NULL);
}

int
mgr_objects(mgr_client *c, size_t offset, size_t limit, mgr_value *dict_value)
{
	ARG_NONNULL(c);
	ARG_NONNULL(dict_value);
	ARG_CHECK(offset <= INT64_MAX, offset, "is over INT64_MAX");
	ARG_CHECK(limit <= 1000, limit, "is over 1000");
	mgr_value args[2]
	    = { mgr_int((int64_t) offset), mgr_int((int64_t) limit) };
	return call_with(
	    c, MGR__OP__OP_OBJECTS, args, 2, MGR_DICT, dict_value);
}

int
mgr_waits(mgr_client *c, mgr_value *dict_value)
{
	ARG_NONNULL(c);
	ARG_NONNULL(dict_value);
	return call_for(c, MGR__OP__OP_WAITS, MGR_DICT, dict_value);
}
