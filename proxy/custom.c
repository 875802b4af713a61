/* Objects of the types managerd modules register (mgr_module.h): made by
 * name, their methods called by name. */
#include <string.h>

#include "create.h"

#define T_CUSTOM (1u << MGR__OBJ_TYPE__OBJ_CUSTOM)

int
mgr_custom_new(mgr_client *c, const char *type, mgr_value init, mgr_obj **o)
{
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(c);
	ARG_NONNULL(type);
	ARG_NONNULL(o);
	ARG_CHECK(type[0] != '\0', type, "is empty");
	mgr_value res = mgr_none();
	call_req  rq  = { .op = MGR__OP__OP_CREATE,
		  .type       = MGR__OBJ_TYPE__OBJ_CUSTOM,
		  .name       = type,
		  .args       = &init,
		  .nargs      = init.kind == MGR_NONE ? 0 : 1 };
	int       rv  = client_call(c, &rq, &res);
	if (rv != 0) {
		return rv;
	}
	if (res.kind != MGR_REF || res.ref == NULL
	    || strcmp(mgr_obj_type(res.ref), type) != 0) {
		mgr_value_free(&res); // releases whatever proxy it made
		client_set_detail("create answered no %s", type);
		return MGR_EPROTO;
	}
	*o = res.ref;
	return 0;
}

int
mgr_call(mgr_obj *o, const char *method, mgr_value args, int64_t timeout,
    mgr_value *result)
{
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(o);
	ARG_NONNULL(method);
	ARG_CHECK(method[0] != '\0', method, "is empty");
	if (!(T_CUSTOM & (1u << o->type))) {
		client_set_detail(
		    "mgr_call is for objects of a module's type, "
		    "not for a %s",
		    mgr_obj_type(o));
		return MGR_ETYPE;
	}
	mgr_value res = mgr_none();
	call_req  rq  = { .op = MGR__OP__OP_CALL,
		  .target     = o->id,
		  .secret     = o->secret,
		  .name       = method,
		  .args       = &args,
		  .nargs      = args.kind == MGR_NONE ? 0 : 1,
		  .timeout    = timeout };
	int       rv  = client_call(o->client, &rq, &res);
	if (rv == 0 && result != NULL) {
		*result = res;
	} else {
		mgr_value_free(&res);
	}
	return rv;
}
