/* Proxies: lifetime, tokens, names and statistics. A proxy holds one
 * reference of its session on the manager and one hold on its client. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"


static const char *const type_names[] = {
	[MGR__OBJ_TYPE__OBJ_DICT]              = "dict",
	[MGR__OBJ_TYPE__OBJ_LIST]              = "list",
	[MGR__OBJ_TYPE__OBJ_NAMESPACE]         = "namespace",
	[MGR__OBJ_TYPE__OBJ_QUEUE]             = "queue",
	[MGR__OBJ_TYPE__OBJ_LOCK]              = "lock",
	[MGR__OBJ_TYPE__OBJ_RLOCK]             = "rlock",
	[MGR__OBJ_TYPE__OBJ_SEMAPHORE]         = "semaphore",
	[MGR__OBJ_TYPE__OBJ_BOUNDED_SEMAPHORE] = "bounded_semaphore",
	[MGR__OBJ_TYPE__OBJ_CONDITION]         = "condition",
	[MGR__OBJ_TYPE__OBJ_EVENT]             = "event",
	[MGR__OBJ_TYPE__OBJ_BARRIER]           = "barrier",
	[MGR__OBJ_TYPE__OBJ_SCALAR]            = "scalar",
	[MGR__OBJ_TYPE__OBJ_ARRAY]             = "array",
};

const char *
obj_type_name(Mgr__ObjType type)
{
	if ((unsigned) type < sizeof(type_names) / sizeof(type_names[0])
	    && type_names[type] != NULL) {
		return type_names[type];
	}
	return "unknown";
}

mgr_obj *
obj_new(mgr_client *c, uint64_t id, Mgr__ObjType type)
{
	mgr_obj *o = malloc(sizeof(*o));
	if (o == NULL) {
		return NULL;
	}
	o->client = c;
	o->id     = id;
	o->type   = type;
	if (c != NULL) {
		client_hold(c);
	}
	return o;
}

int
obj_call(mgr_obj *o, uint32_t types, Mgr__Op op, const mgr_value *args,
    size_t nargs, int64_t timeout, mgr_value *result)
{
	if (o == NULL || o->client == NULL) {
		client_set_detail("NULL proxy");
		return MGR_EINVAL;
	}
	if (types != 0 && !(types & (1u << o->type))) {
		client_set_detail("a %s proxy has no such operation",
		    obj_type_name(o->type));
		return MGR_ETYPE;
	}
	mgr_call call = { .op = op,
		.target       = o->id,
		.args         = args,
		.nargs        = nargs,
		.timeout      = timeout };
	return client_call(o->client, &call, result);
}

int
mgr_obj_release(mgr_obj *o)
{
	if (o == NULL) {
		return 0;
	}
	int rv = 0;
	if (o->client != NULL) {
		if (client_usable(o->client)) {
			rv = obj_call(
			    o, 0, MGR__OP__OP_RELEASE, NULL, 0, 0, NULL);
		}
		client_unhold(o->client);
	}
	free(o);
	// A dead or closed connection already dropped the reference.
	return rv == MGR_ECONN || rv == MGR_ECLOSED ? 0 : rv;
}

const char *
mgr_obj_type(mgr_obj *o)
{
	return o != NULL ? obj_type_name(o->type) : "unknown";
}

uint64_t
mgr_obj_id(mgr_obj *o)
{
	return o != NULL ? o->id : 0;
}

mgr_client *
mgr_obj_client(mgr_obj *o)
{
	return o != NULL ? o->client : NULL;
}

int
mgr_obj_token(mgr_obj *o, char *buf, size_t cap)
{
	if (o == NULL || buf == NULL) {
		return MGR_EINVAL;
	}
	int n = snprintf(
	    buf, cap, "%s:%" PRIu64, obj_type_name(o->type), o->id);
	return n < 0 || (size_t) n >= cap ? MGR_ETOOBIG : 0;
}

/* Takes the proxy out of a MGR_REF result (freeing the value). */
static int
take_ref(mgr_value *v, mgr_obj **out)
{
	if (v->kind != MGR_REF || v->ref == NULL) {
		mgr_value_free(v);
		client_set_detail("the manager answered with no object");
		return MGR_EPROTO;
	}
	*out   = v->ref;
	v->ref = NULL;
	mgr_value_free(v);
	return 0;
}

int
mgr_attach(mgr_client *c, const char *token, mgr_obj **o)
{
	if (c == NULL || token == NULL || o == NULL) {
		return MGR_EINVAL;
	}
	const char *colon = strchr(token, ':');
	char       *end;
	if (colon == NULL || colon[1] < '0' || colon[1] > '9') {
		client_set_detail("malformed token '%s'", token);
		return MGR_EINVAL;
	}
	uint64_t id = strtoull(colon + 1, &end, 10);
	if (*end != '\0' || id == 0) {
		client_set_detail("malformed token '%s'", token);
		return MGR_EINVAL;
	}
	mgr_value v;
	mgr_call  call = { .op = MGR__OP__OP_ATTACH, .target = id };
	int       rv   = client_call(c, &call, &v);
	if (rv != 0) {
		return rv;
	}
	mgr_obj *p;
	if ((rv = take_ref(&v, &p)) != 0) {
		return rv;
	}
	size_t      tl = (size_t) (colon - token);
	const char *tn = obj_type_name(p->type);
	if (strlen(tn) != tl || strncmp(tn, token, tl) != 0) {
		client_set_detail("token '%s' names a %s", token, tn);
		mgr_obj_release(p);
		return MGR_ENOOBJ;
	}
	*o = p;
	return 0;
}

int
mgr_name_set(mgr_client *c, const char *name, mgr_obj *o)
{
	if (c == NULL || name == NULL || name[0] == '\0' || o == NULL) {
		return MGR_EINVAL;
	}
	if (o->client != c) {
		client_set_detail("the proxy belongs to another client");
		return MGR_EINVAL;
	}
	mgr_call call
	    = { .op = MGR__OP__OP_NAME_SET, .target = o->id, .name = name };
	return client_call(c, &call, NULL);
}

int
mgr_name_get(mgr_client *c, const char *name, mgr_obj **o)
{
	if (c == NULL || name == NULL || name[0] == '\0' || o == NULL) {
		return MGR_EINVAL;
	}
	mgr_value v;
	mgr_call  call = { .op = MGR__OP__OP_NAME_GET, .name = name };
	int       rv   = client_call(c, &call, &v);
	return rv != 0 ? rv : take_ref(&v, o);
}

int
mgr_name_del(mgr_client *c, const char *name)
{
	if (c == NULL || name == NULL || name[0] == '\0') {
		return MGR_EINVAL;
	}
	mgr_call call = { .op = MGR__OP__OP_NAME_DEL, .name = name };
	return client_call(c, &call, NULL);
}

int
mgr_info(mgr_client *c, mgr_value *dict_value)
{
	if (c == NULL || dict_value == NULL) {
		return MGR_EINVAL;
	}
	mgr_call  call = { .op = MGR__OP__OP_INFO };
	mgr_value v;
	int       rv = client_call(c, &call, &v);
	if (rv == 0 && v.kind != MGR_DICT) {
		mgr_value_free(&v);
		return MGR_EPROTO;
	}
	if (rv == 0) {
		*dict_value = v;
	}
	return rv;
}
