/* Calls on the manager itself: its figures, its sessions, its stop. */
#include "internal.h"

/* A call whose result must be a value of kind (a dict or a list). */
static int
call_for(mgr_client *c, Mgr__Op op, mgr_kind kind, mgr_value *out)
{
	mgr_call  call = { .op = op };
	mgr_value v;
	int       rv = client_call(c, &call, &v);
	if (rv == 0 && v.kind != kind) {
		mgr_value_free(&v);
		client_set_detail("the manager's answer to %s is not a %s",
		    op == MGR__OP__OP_INFO ? "info" : "sessions",
		    kind == MGR_DICT ? "dict" : "list");
		return MGR_EPROTO;
	}
	if (rv == 0) {
		*out = v;
	}
	return rv;
}

int
mgr_info(mgr_client *c, mgr_value *dict_value)
{
	if (c == NULL || dict_value == NULL) {
		return client_bad_args(
		    __func__, "client and dict_value are required");
	}
	return call_for(c, MGR__OP__OP_INFO, MGR_DICT, dict_value);
}

int
mgr_sessions(mgr_client *c, mgr_value *list_value)
{
	if (c == NULL || list_value == NULL) {
		return client_bad_args(
		    __func__, "client and list_value are required");
	}
	return call_for(c, MGR__OP__OP_SESSIONS, MGR_LIST, list_value);
}

int
mgr_shutdown(mgr_client *c)
{
	if (c == NULL) {
		return client_bad_args(__func__, "client is required");
	}
	mgr_call call = { .op = MGR__OP__OP_SHUTDOWN };
	return client_call(c, &call, NULL);
}

int
mgr_ping(mgr_client *c)
{
	if (c == NULL) {
		return client_bad_args(__func__, "client is required");
	}
	mgr_call call = { .op = MGR__OP__OP_PING };
	return client_call(c, &call, NULL);
}
