/* Proxies: their lifetime and identity. A proxy holds one reference of
 * its session on the manager and one hold on its client. Names, tokens
 * turned back into proxies and statistics are in names.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "schema_names.h"

const char *
obj_type_name(Mgr__ObjType type)
{
	return schema_type_name((int) type);
}

mgr_obj *
obj_new(mgr_client *c, uint64_t id, uint64_t secret, Mgr__ObjType type)
{
	mgr_obj *o = malloc(sizeof(*o));
	if (o == NULL) {
		return NULL;
	}
	o->client    = c;
	o->id        = id;
	o->secret    = secret;
	o->type      = type;
	o->type_name = NULL;
	if (c != NULL) {
		client_hold(c);
	}
	return o;
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
			rv = client_call_noargs(o->client,
			    MGR__OP__OP_RELEASE, o->id, o->secret, NULL);
		}
		client_unhold(o->client);
	}
	free(o->type_name);
	free(o);
	// A dead or closed connection already dropped the reference.
	return rv == MGR_ECONN || rv == MGR_ECLOSED ? 0 : rv;
}

const char *
mgr_obj_type(mgr_obj *o)
{
	if (o != NULL && o->type_name != NULL) {
		return o->type_name; // a module's type
	}
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
	ARG_NONNULL(o);
	ARG_NONNULL(buf);
	// The secret makes the token a capability: an id alone (they are
	// sequential) gives nothing.
	int n = snprintf(buf, cap, "%s:%" PRIu64 ":%016" PRIx64,
	    obj_type_name(o->type), o->id, o->secret);
	return n < 0 || (size_t) n >= cap ? MGR_ETOOBIG : 0;
}

int
obj_dup(mgr_obj *o, mgr_obj **out)
{
	Mgr__Ref r  = MGR__REF__INIT;
	int      rv = client_call_noargs(
	         o->client, MGR__OP__OP_ATTACH, o->id, o->secret, &r);
	uint64_t id = r.id;
	if (rv != 0) {
		return rv;
	}
	if (id != o->id) {
		client_set_detail(
		    "attach of object %llu answered object %llu",
		    (unsigned long long) o->id, (unsigned long long) id);
		rv = MGR_EPROTO;
	} else if ((*out = obj_new(o->client, id, r.secret, o->type)) == NULL
	    || (o->type_name != NULL
	        && ((*out)->type_name = strdup(o->type_name)) == NULL)) {
		mgr_obj_release(*out);
		rv = MGR_ENOMEM;
	}
	if (rv != 0) {
		// The reference ATTACH took goes back.
		(void) client_call_noargs(
		    o->client, MGR__OP__OP_RELEASE, id, r.secret, NULL);
	}
	return rv;
}
