/* Object creation and typed-result calls shared by the typed proxies. */
#include "create.h"

int
obj_create(mgr_client *c, Mgr__ObjType type, const mgr_value *args,
    size_t nargs, mgr_obj **out)
{
	mgr_value res = mgr_none();
	int       rv;

	ARG_NONNULL(c);
	ARG_NONNULL(out);
	ARG_CHECK(
	    !(args == NULL && nargs > 0), args, "is NULL with nargs > 0");
	rv = client_call(c,
	    &(call_req) { .op = MGR__OP__OP_CREATE,
	        .type         = type,
	        .args         = args,
	        .nargs        = nargs },
	    &res);
	if (rv != 0) {
		return rv;
	}
	if (res.kind != MGR_REF || res.ref == NULL || res.ref->type != type) {
		// Freeing releases whatever proxy the reply made.
		mgr_value_free(&res);
		client_set_detail(
		    "create answered no %s", obj_type_name(type));
		return MGR_EPROTO;
	}
	// Take the proxy out of the value: the caller owns it now.
	*out = res.ref;
	return 0;
}

int
obj_call_value(mgr_obj *o, uint32_t types, Mgr__Op op, const mgr_value *args,
    size_t nargs, int kind, mgr_value *out)
{
	mgr_value res = mgr_none();
	int       rv;

	ARG_NONNULL(out);
	if ((rv = obj_call(o, types, op, args, nargs, 0, &res)) != 0) {
		return rv;
	}
	if (kind != OBJ_ANY_KIND && res.kind != (mgr_kind) kind) {
		mgr_value_free(&res);
		client_set_detail(
		    "unexpected result kind for op %d", (int) op);
		return MGR_EPROTO;
	}
	*out = res;
	return 0;
}

int
obj_call_bool(mgr_obj *o, uint32_t types, Mgr__Op op, const mgr_value *args,
    size_t nargs, bool *out)
{
	mgr_value res;
	int       rv;

	ARG_NONNULL(out);
	rv = obj_call_value(o, types, op, args, nargs, MGR_BOOL, &res);
	if (rv == 0) {
		*out = res.b;
	}
	return rv;
}

int
obj_call_int(mgr_obj *o, uint32_t types, Mgr__Op op, const mgr_value *args,
    size_t nargs, int64_t *out)
{
	mgr_value res;
	int       rv;

	ARG_NONNULL(out);
	rv = obj_call_value(o, types, op, args, nargs, MGR_INT, &res);
	if (rv == 0) {
		*out = res.i;
	}
	return rv;
}

int
obj_call_size(mgr_obj *o, uint32_t types, Mgr__Op op, const mgr_value *args,
    size_t nargs, size_t *out)
{
	int64_t i;
	int     rv;

	ARG_NONNULL(out);
	if ((rv = obj_call_int(o, types, op, args, nargs, &i)) != 0) {
		return rv;
	}
	if (i < 0 || (uint64_t) i > SIZE_MAX) {
		client_set_detail("negative size %lld", (long long) i);
		return MGR_EPROTO;
	}
	*out = (size_t) i;
	return 0;
}

int
obj_typecode(const char *typecode, mgr_value *arg)
{
	unsigned char t = (unsigned char) *typecode;
	if (t < 0x20 || t >= 0x7f) { // the manager checks the rest
		client_set_detail(
		    "bad typecode (must be b, B, h, H, i, I, l, "
		    "L, q, Q, f or d)");
		return MGR_EINVAL;
	}
	*arg = mgr_strn(typecode, 1);
	return 0;
}
