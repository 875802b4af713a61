/* Operations on the manager itself: create, release and attach objects,
 * names, statistics. */
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "sdict.h"
#include "server.h"

static int
h_ping(mctx *c)
{
	(void) c;
	return 0;
}

/* Room for one more object, in all and for this session. */
static int
check_objects(mctx *c)
{
	server *srv = c->srv;
	if (srv->objects.len >= srv->max_objects) {
		log_msg(LOG_WARN,
		    "session %llu: refused an object: %zu live, "
		    "the limit (--max-objects)",
		    (unsigned long long) session_id(c->sess),
		    srv->objects.len);
		return mctx_fail(c, MGR_ETOOBIG,
		    "too many objects: %zu live, the limit (--max-objects)",
		    srv->objects.len);
	}
	if (c->sess->refs.len >= srv->max_objects_session) {
		log_msg(LOG_WARN,
		    "session %llu: refused an object: it holds %zu, the "
		    "limit (--max-objects-per-session)",
		    (unsigned long long) session_id(c->sess),
		    c->sess->refs.len);
		return mctx_fail(c, MGR_ETOOBIG,
		    "this session holds %zu objects, the limit "
		    "(--max-objects-per-session)",
		    c->sess->refs.len);
	}
	return 0;
}

static int
h_create(mctx *c)
{
	const mtype *t = dispatch_type(c->rq->type);
	if (t == NULL) {
		return mctx_fail(c, MGR_EINVAL, "unknown object type %d",
		    (int) c->rq->type);
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
	sval key, val = sv_ref(c->obj);
	int  rv = name_key(c, &key);
	if (rv == 0) {
		rv = sdict_set(c->srv->names.dict, &key, &val);
	}
	sv_free(&key);
	sv_free(&val);
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
	sval key, val = sv_ref(c->obj), *stored;
	int  rv = name_key(c, &key);
	if (rv == 0 && mctx_full(c, sdict_len(c->srv->names.dict))
	    && sdict_get(c->srv->names.dict, &key) == NULL) {
		rv = mctx_check_room(c, sdict_len(c->srv->names.dict), 1);
	}
	if (rv == 0) {
		rv = sdict_setdefault(
		    c->srv->names.dict, &key, &val, &stored);
	}
	if (rv == 0) {
		c->res_borrowed = stored;
	}
	sv_free(&key); // left to us when the name was bound already
	sv_free(&val);
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
	const sval *v = sdict_get(c->srv->names.dict, &key);
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
	rv = sdict_del(c->srv->names.dict, &key, NULL);
	sv_free(&key);
	if (rv != 0) {
		return mctx_fail(
		    c, MGR_EKEY, "no object named '%s'", c->rq->name);
	}
	return 0;
}

/* d[name] = v, moving v. */
static int
put(sdict *d, const char *name, sval v)
{
	sval key;
	int  rv = sv_str(&key, SV_STR, name, strlen(name));
	if (rv == 0) {
		rv = sdict_set(d, &key, &v);
	}
	sv_free(&key);
	sv_free(&v);
	return rv;
}

static int
h_info(mctx *c)
{
	server *srv = c->srv;
	sval    info, types;
	int     rv;
	// Counts include no garbage cycles.
	gc_maybe(srv, true);
	if ((rv = sv_new_dict(&info)) != 0) {
		return rv;
	}
	if ((rv = sv_new_dict(&types)) != 0) {
		sv_free(&info);
		return rv;
	}
	for (int code = 1; code <= MGR__OBJ_TYPE__OBJ_ARRAY && rv == 0;
	     code++) {
		const mtype *t = dispatch_type((Mgr__ObjType) code);
		if (t != NULL) {
			rv = put(types.dict, t->name,
			    sv_int((int64_t) srv->objects_by_type[code]));
		}
	}
	if (rv == 0) {
		rv = put(info.dict, "objects", sv_move(&types));
	}
	if (rv == 0) {
		rv = put(info.dict, "objects_total",
		    sv_int((int64_t) srv->objects.len));
	}
	if (rv == 0) {
		rv = put(
		    info.dict, "sessions", sv_int((int64_t) srv->nsessions));
	}
	if (rv == 0) {
		rv = put(info.dict, "sessions_total",
		    sv_int((int64_t) srv->sessions_total));
	}
	if (rv == 0) {
		rv = put(
		    info.dict, "requests", sv_int((int64_t) srv->requests));
	}
	// The connection limits and what they turned away.
	const struct {
		const char *name;
		uint64_t    v;
	} limits[] = {
		{ "handshakes", srv->nhandshakes },
		{ "max_connections", srv->max_connections },
		{ "connections_refused", srv->connections_refused },
		{ "handshakes_evicted", srv->handshakes_evicted },
		{ "memory_used", server_memory(srv) },
		{ "max_memory", srv->max_memory },
		{ "reply_bytes_pending", fconn_reply_bytes_pending() },
	};
	for (size_t i = 0; rv == 0 && i < sizeof(limits) / sizeof(limits[0]);
	     i++) {
		rv = put(
		    info.dict, limits[i].name, sv_int((int64_t) limits[i].v));
	}
	if (rv == 0) {
		rv = put(info.dict, "names",
		    sv_int((int64_t) sdict_len(srv->names.dict)));
	}
	if (rv == 0) {
		rv = put(
		    info.dict, "waiters", sv_int((int64_t) srv->waiters));
	}
	if (rv == 0) {
		rv = put(info.dict, "uptime_ms",
		    sv_int(
		        (int64_t) ((uint64_t) clock_ms() - srv->start_ms)));
	}
	if (rv == 0) {
		rv = put(info.dict, "pid", sv_int((int64_t) getpid()));
	}
	if (rv == 0) {
		rv = put(info.dict, "cycles_freed",
		    sv_int((int64_t) srv->gc_freed));
	}
	sv_free(&types);
	if (rv != 0) {
		sv_free(&info);
		return mctx_fail(c, rv, "cannot build the statistics");
	}
	c->res = info;
	return 0;
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
	{ MGR__OP__OP_CREATE, 0, 0, 4, MOP_WRITE | MOP_ADMIN | MOP_GROWS,
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
	{ MGR__OP__OP_INFO, 0, 0, 0, MOP_ADMIN, h_info },
	{ 0 },
};
