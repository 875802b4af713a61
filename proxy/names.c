/* Names: binding, looking up and listing the manager's named objects,
 * and proxies from tokens. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int
value_take_ref(mgr_value *v, mgr_obj **out)
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
	ARG_NONNULL(c);
	ARG_NONNULL(token);
	ARG_NONNULL(o);
	// TYPE:ID:SECRET (16 hex digits), as mgr_obj_token makes it.
	const char *colon = strchr(token, ':');
	char       *end, *end2;
	if (colon == NULL || colon[1] < '0' || colon[1] > '9') {
		client_set_detail("malformed token '%s'", token);
		return MGR_EINVAL;
	}
	uint64_t id = strtoull(colon + 1, &end, 10);
	if (*end != ':' || id == 0 || strlen(end + 1) != 16) {
		client_set_detail(
		    "malformed token '%s' (TYPE:ID:SECRET)", token);
		return MGR_EINVAL;
	}
	uint64_t secret = strtoull(end + 1, &end2, 16);
	if (*end2 != '\0') {
		client_set_detail(
		    "malformed token '%s' (TYPE:ID:SECRET)", token);
		return MGR_EINVAL;
	}
	mgr_value v;
	call_req  call
	    = { .op = MGR__OP__OP_ATTACH, .target = id, .secret = secret };
	int rv = client_call(c, &call, &v);
	if (rv != 0) {
		return rv;
	}
	mgr_obj *p;
	if ((rv = value_take_ref(&v, &p)) != 0) {
		return rv;
	}
	size_t      tl = (size_t) (colon - token);
	const char *tn = obj_type_name(p->type);
	if (strlen(tn) != tl || strncmp(tn, token, tl) != 0) {
		mgr_obj_release(p); // (which sets the detail of its own call)
		client_set_detail(
		    "token '%s' names a %.*s, but object %llu is "
		    "a %s",
		    token, (int) tl, token, (unsigned long long) id, tn);
		return MGR_ENOOBJ;
	}
	*o = p;
	return 0;
}

int
mgr_name_set(mgr_client *c, const char *name, mgr_obj *o)
{
	ARG_NONNULL(c);
	ARG_NONNULL(name);
	ARG_CHECK(name[0] != '\0', name, "is empty");
	ARG_NONNULL(o);
	if (o->client != c) {
		client_set_detail("the proxy belongs to another client");
		return MGR_EINVAL;
	}
	call_req call = { .op = MGR__OP__OP_NAME_SET,
		.target       = o->id,
		.secret       = o->secret,
		.name         = name };
	return client_call(c, &call, NULL);
}

int
mgr_name_get(mgr_client *c, const char *name, mgr_obj **o)
{
	ARG_NONNULL(c);
	ARG_NONNULL(name);
	ARG_CHECK(name[0] != '\0', name, "is empty");
	ARG_NONNULL(o);
	mgr_value v;
	call_req  call = { .op = MGR__OP__OP_NAME_GET, .name = name };
	int       rv   = client_call(c, &call, &v);
	return rv != 0 ? rv : value_take_ref(&v, o);
}

int
mgr_name_del(mgr_client *c, const char *name)
{
	ARG_NONNULL(c);
	ARG_NONNULL(name);
	ARG_CHECK(name[0] != '\0', name, "is empty");
	call_req call = { .op = MGR__OP__OP_NAME_DEL, .name = name };
	return client_call(c, &call, NULL);
}

int
mgr_name_setdefault(
    mgr_client *c, const char *name, mgr_obj *candidate, mgr_obj **out)
{
	if (c == NULL || name == NULL || name[0] == '\0' || candidate == NULL
	    || out == NULL) {
		client_set_detail("name_setdefault needs a client, a name, a "
		                  "candidate and somewhere to put the proxy");
		return MGR_EINVAL;
	}
	if (candidate->client != c) {
		client_set_detail("the candidate belongs to another client");
		return MGR_EINVAL;
	}
	mgr_value v;
	call_req  call = { .op = MGR__OP__OP_NAME_SETDEFAULT,
		 .target       = candidate->id,
		 .secret       = candidate->secret,
		 .name         = name };
	int       rv   = client_call(c, &call, &v);
	return rv != 0 ? rv : value_take_ref(&v, out);
}

int
mgr_name_list(mgr_client *c, mgr_value *dict_value)
{
	ARG_NONNULL(c);
	ARG_NONNULL(dict_value);
	call_req  call = { .op = MGR__OP__OP_NAME_LIST };
	mgr_value v;
	int       rv = client_call(c, &call, &v);
	if (rv == 0 && v.kind != MGR_DICT) {
		mgr_value_free(&v);
		client_set_detail("the manager answered no dict");
		return MGR_EPROTO;
	}
	if (rv == 0) {
		*dict_value = v;
	}
	return rv;
}

#define MGR_STR2(x) #x
#define MGR_STR(x)  MGR_STR2(x)

const char *
mgr_version(void)
{
	return MGR_STR(MGR_VERSION_MAJOR) "." MGR_STR(
	    MGR_VERSION_MINOR) "." MGR_STR(MGR_VERSION_PATCH);
}
