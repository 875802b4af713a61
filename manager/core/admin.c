/* Operations on the manager itself: create, release and attach objects,
 * names, statistics. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "journal.h"
#include "log.h"
#include "names.h"
#include "sdict.h"
#include "server_state.h"
#include "stats.h"

static int
h_ping(mctx *c)
{
	(void) c;
	return 0;
}

/* Refuses an object: what is at the limit (its figure said in held) and
 * the option that sets it, in the log and in the detail. */
static int
refuse_object(mctx *c, const char *held, const char *option)
{
	log_msg(LOG_WARN,
	    "session %llu: refused an object: %s, the limit (%s)",
	    (unsigned long long) session_id(c->sess), held, option);
	return mctx_fail(c, MGR_ETOOBIG, "%s, the limit (%s)", held, option);
}

/* Room for one more object, in all and for this session: what it refers
 * to, and what it made that lives however it is kept alive (in a dict,
 * by a name). */
static int
check_objects(mctx *c)
{
	server *srv = c->srv;
	char    held[80];
	if (srv->objects.len >= srv->lim.max_objects) {
		snprintf(held, sizeof(held), "too many objects: %zu live",
		    srv->objects.len);
		return refuse_object(c, held, "--max-objects");
	}
	if (c->sess->made.len >= srv->lim.max_objects_session) {
		snprintf(held, sizeof(held),
		    "this session made %zu objects that live",
		    c->sess->made.len);
		return refuse_object(c, held, "--max-objects-per-session");
	}
	if (c->sess->refs.len >= srv->lim.max_objects_session) {
		snprintf(held, sizeof(held), "this session holds %zu objects",
		    c->sess->refs.len);
		return refuse_object(c, held, "--max-objects-per-session");
	}
	return 0;
}

static int
h_create(mctx *c)
{
	const mtype *t = registry_type(c->rq->type);
	if (t == NULL) {
		return mctx_fail(c, MGR_EINVAL, "unknown object type %d",
		    (int) c->rq->type);
	}
	if (t->subtype != NULL) { // a custom type: named by the request
		const char *name = c->rq->name != NULL ? c->rq->name : "";
		char        e[80];
		if ((t = t->subtype(name)) == NULL) {
			log_escape(name, e, sizeof(e));
			return mctx_fail(c, MGR_ETYPE,
			    "no type '%s' (no module loaded with "
			    "--load-module registered it)",
			    e);
		}
	}
	int rv = check_objects(c);
	if (rv != 0) {
		return rv;
	}
	mobj *o = store_new(c->srv, t);
	if (o == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	mobj_incref(o); // held by this handler until the result owns one
	rv = t->create(o, c);
	if (rv != 0) {
		if (c->err[0] == '\0') {
			mctx_fail(c, rv, "cannot create a %s", t->name);
		}
		mobj_decref(o);
		return rv;
	}
	stats_note_size(c->srv, o); // made with elements (dict(init))
	void **slot = idmap_put(&c->sess->made, o->id);
	if (slot != NULL) { // (out of memory: not counted, not refused)
		*slot    = o;
		o->maker = c->sess;
	}
	// The result is a reference; encoding it gives the session its own.
	c->res = sv_ref(o);
	mobj_unhold(o);
	return 0;
}

static int
h_release(mctx *c)
{
	if (c->obj == NULL) {
		return mctx_fail(c, MGR_EINVAL, "release needs an object");
	}
	if (session_ref_drop(c->sess, c->obj) != 0) {
		return mctx_fail(c, MGR_ENOOBJ,
		    "this session holds no reference to object %llu",
		    (unsigned long long) c->obj->id);
	}
	return 0;
}

static int
h_attach(mctx *c)
{
	if (c->obj == NULL) {
		return mctx_fail(c, MGR_EINVAL, "attach needs an object");
	}
	c->res = sv_ref(c->obj);
	return 0;
}

static int
name_key(mctx *c, sval *key)
{
	size_t n = strlen(c->rq->name);
	if (n == 0) {
		return mctx_fail(c, MGR_EINVAL, "empty name");
	}
	return sv_str(key, SV_STR, c->rq->name, n);
}

static int
h_name_set(mctx *c)
{
	if (c->obj == NULL) {
		return mctx_fail(c, MGR_EINVAL, "name_set needs an object");
	}
	sval key;
	int  rv = name_key(c, &key);
	if (rv == 0) {
		rv = names_set(c->srv, &key, c->obj);
	}
	sv_free(&key);
	return rv;
}

/* Binds the name to the target if it is free, atomically: the result is
 * a reference to whatever the name is bound to afterwards (Python's
 * register(): independent programs share one object this way). */
static int
h_name_setdefault(mctx *c)
{
	if (c->obj == NULL) {
		return mctx_fail(
		    c, MGR_EINVAL, "name_setdefault needs an object");
	}
	sval        key;
	const sval *stored;
	int         rv = name_key(c, &key);
	if (rv == 0 && mctx_full(c, names_count(c->srv))
	    && names_get(c->srv, &key) == NULL) {
		rv = mctx_check_room(c, names_count(c->srv), 1);
	}
	if (rv == 0) {
		rv = names_setdefault(c->srv, &key, c->obj, &stored);
	}
	if (rv == 0) {
		c->res_borrowed = stored;
	}
	sv_free(&key);
	return rv;
}

/* {name: type name} of every name. */
static int
h_name_list(mctx *c)
{
	sval   out;
	size_t pos = 0;
	sval  *k, *v;
	int    rv = sv_new_dict(&out);
	while (rv == 0 && sdict_next(c->srv->names.dict, &pos, &k, &v)) {
		sval key, type;
		if ((rv = sv_copy(&key, k)) != 0) {
			break;
		}
		const char *tn = v->kind == SV_REF ? v->ref->type->name : "?";
		if ((rv = sv_str(&type, SV_STR, tn, strlen(tn))) != 0) {
			sv_free(&key);
			break;
		}
		if ((rv = sdict_set(out.dict, &key, &type)) != 0) {
			sv_free(&key);
			sv_free(&type);
		}
	}
	if (rv != 0) {
		sv_free(&out);
		return mctx_fail(c, rv, "cannot list the names");
	}
	c->res = out;
	return 0;
}

static int
h_name_get(mctx *c)
{
	sval key;
	int  rv = name_key(c, &key);
	if (rv != 0) {
		return rv;
	}
	const sval *v = names_get(c->srv, &key);
	sv_free(&key);
	if (v == NULL) {
		return mctx_fail(
		    c, MGR_EKEY, "no object named '%s'", c->rq->name);
	}
	c->res_borrowed = v;
	return 0;
}

static int
h_name_del(mctx *c)
{
	sval key;
	int  rv = name_key(c, &key);
	if (rv != 0) {
		return rv;
	}
	rv = names_del(c->srv, &key);
	sv_free(&key);
	if (rv != 0) {
		return mctx_fail(
		    c, MGR_EKEY, "no object named '%s'", c->rq->name);
	}
	return 0;
}

/* Asks the manager's owner to stop (managerctl shutdown), as SIGTERM
 * does: the reply is queued first, and the stop closes every session
 * after writing what they were sent. */
static int
h_shutdown(mctx *c)
{
	server  *srv = c->srv;
	uint64_t one = 1;
	if (!srv->stop_on_request) {
		return mctx_fail(c, MGR_ESTATE,
		    "this server does not stop on request (it runs inside "
		    "a program, not as managerd)");
	}
	log_msg(LOG_INFO, "session %llu (%s): asked to shut down",
	    (unsigned long long) session_id(c->sess), c->sess->peer);
	if (write(srv->stop_fd, &one, sizeof(one)) != sizeof(one)) {
		return mctx_fail(c, MGR_EINVAL, "cannot signal the stop");
	}
	return 0;
}

/* Starts a snapshot of the data directory (managerctl save): the
 * snapshot thread makes it; mgr_info's snapshot_* figures say when it is
 * done. Not a write: nothing of the state changes. */
static int
h_save(mctx *c)
{
	char why[160];
	int  rv = journal_save(c->srv, why, sizeof(why));
	return rv == 0 ? 0 : mctx_fail(c, rv, "%s", why);
}

/* CLUSTER_ADD [id, "HOST:PORT"] and CLUSTER_REMOVE [id] (managerctl
 * cluster add|remove): answered once the group is asked; mgr_info's
 * cluster figures say how the change went. */
static int
cluster_change(mctx *c, bool add)
{
	int64_t     id;
	const char *s   = NULL;
	size_t      len = 0;
	char        addr[256], why[300];
	int         rv = mctx_arg_int(c, 0, &id);
	if (rv == 0 && add) {
		rv = mctx_arg_str(c, 1, &s, &len);
	}
	if (rv != 0) {
		return rv;
	}
	if (id <= 0) {
		return mctx_fail(c, MGR_EINVAL, "a member's id is from 1");
	}
	if (add && (len == 0 || len >= sizeof(addr) || memchr(s, 0, len))) {
		return mctx_fail(c, MGR_EINVAL,
		    "a member's address is HOST:PORT, under %zu bytes",
		    sizeof(addr));
	}
	if (add) {
		memcpy(addr, s, len);
		addr[len] = '\0';
	}
	log_msg(LOG_INFO, "session %llu (%s): asks to %s node %lld%s%s",
	    (unsigned long long) session_id(c->sess), c->sess->peer,
	    add ? "add" : "remove", (long long) id, add ? " at " : "",
	    add ? addr : "");
	rv = journal_cluster_change(
	    c->srv, (uint64_t) id, add ? addr : NULL, why, sizeof(why));
	return rv == 0 ? 0 : mctx_fail(c, rv, "%s", why);
}

static int
h_cluster_add(mctx *c)
{
	return cluster_change(c, true);
}

static int
h_cluster_remove(mctx *c)
{
	return cluster_change(c, false);
}

/* A clean disconnect: everything the session holds goes now, before the
 * reply, so that when mgr_disconnect returns others see it gone. */
static int
h_bye(mctx *c)
{
	session_drop_all(c->sess);
	return 0;
}

const mop admin_ops[] = {
	{ MGR__OP__OP_BYE, 0, 0, 0, MOP_WRITE | MOP_ADMIN, h_bye },
	{ MGR__OP__OP_PING, 0, 0, 0, MOP_ADMIN, h_ping },
	{ MGR__OP__OP_CREATE, 0, 0, 5, MOP_WRITE | MOP_ADMIN | MOP_GROWS,
	    h_create },
	{ MGR__OP__OP_RELEASE, 0, 0, 0, MOP_WRITE | MOP_ADMIN, h_release },
	{ MGR__OP__OP_ATTACH, 0, 0, 0, MOP_WRITE | MOP_ADMIN, h_attach },
	{ MGR__OP__OP_NAME_SET, 0, 0, 0, MOP_WRITE | MOP_ADMIN | MOP_GROWS,
	    h_name_set },
	{ MGR__OP__OP_NAME_GET, 0, 0, 0, MOP_ADMIN, h_name_get },
	{ MGR__OP__OP_NAME_SETDEFAULT, 0, 0, 0,
	    MOP_WRITE | MOP_ADMIN | MOP_GROWS, h_name_setdefault },
	{ MGR__OP__OP_NAME_LIST, 0, 0, 0, MOP_ADMIN, h_name_list },
	{ MGR__OP__OP_NAME_DEL, 0, 0, 0, MOP_WRITE | MOP_ADMIN, h_name_del },
	{ MGR__OP__OP_SHUTDOWN, 0, 0, 0, MOP_ADMIN, h_shutdown },
	{ MGR__OP__OP_SAVE, 0, 0, 0, MOP_ADMIN, h_save },
	{ MGR__OP__OP_CLUSTER_ADD, 0, 2, 2, MOP_ADMIN, h_cluster_add },
	{ MGR__OP__OP_CLUSTER_REMOVE, 0, 1, 1, MOP_ADMIN, h_cluster_remove },
	{ 0 },
};
