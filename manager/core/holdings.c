/* What a session holds: its references to objects (counted per object),
 * the objects whose session_end hook must run when it ends (it holds a
 * lock or permits of them), and its parked requests. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "object.h"
#include "report.h"
#include "sdict.h"
#include "server_state.h"
#include "session.h"
#include "svec.h"
#include "wait.h"

uint64_t
session_id(const session *s)
{
	return s->id;
}

int
session_ref_add(session *s, mobj *o)
{
	void **slot = idmap_put(&s->refs, o->id);
	if (slot == NULL) {
		return MGR_ENOMEM;
	}
	*slot = (void *) ((uintptr_t) *slot + 1);
	mobj_incref(o);
	s->refs_given++;
	return 0;
}

struct waiter **
session_waiters(session *s)
{
	return &s->waiters;
}

int
session_touch(session *s, mobj *o)
{
	void **slot = idmap_put(&s->touched, o->id);
	return slot == NULL ? MGR_ENOMEM : 0;
}

int
session_ref_drop(session *s, mobj *o)
{
	void **slot = idmap_put(&s->refs, o->id);
	if (slot == NULL || *slot == NULL) {
		if (slot != NULL) {
			idmap_del(&s->refs, o->id);
		}
		return MGR_ENOOBJ;
	}
	uintptr_t n = (uintptr_t) *slot - 1;
	if (n == 0) {
		idmap_del(&s->refs, o->id);
	} else {
		*slot = (void *) n;
	}
	mobj_decref(o);
	return 0;
}

/* Gives sess a reference for each reference in v, in a fixed walk order;
 * *done counts them so that a failure can be undone by refs_drop. */
static int
refs_add(const sval *v, session *sess, size_t *done)
{
	switch (v->kind) {
	case SV_REF: {
		int rc = session_ref_add(sess, v->ref);
		if (rc == 0) {
			(*done)++;
		}
		return rc;
	}
	case SV_LIST:
	case SV_TUPLE:
		for (size_t i = 0; i < v->vec->len; i++) {
			int rc = refs_add(&v->vec->items[i], sess, done);
			if (rc != 0) {
				return rc;
			}
		}
		return 0;
	case SV_DICT: {
		size_t pos = 0;
		sval  *k, *x;
		while (sdict_next(v->dict, &pos, &k, &x)) {
			int rc = refs_add(k, sess, done);
			if (rc == 0) {
				rc = refs_add(x, sess, done);
			}
			if (rc != 0) {
				return rc;
			}
		}
		return 0;
	}
	default:
		return 0;
	}
}

static void
refs_drop(const sval *v, session *sess, size_t *left)
{
	if (*left == 0) {
		return;
	}
	switch (v->kind) {
	case SV_REF:
		(void) session_ref_drop(sess, v->ref);
		(*left)--;
		break;
	case SV_LIST:
	case SV_TUPLE:
		for (size_t i = 0; i<v->vec->len && * left> 0; i++) {
			refs_drop(&v->vec->items[i], sess, left);
		}
		break;
	case SV_DICT: {
		size_t pos = 0;
		sval  *k, *x;
		while (*left > 0 && sdict_next(v->dict, &pos, &k, &x)) {
			refs_drop(k, sess, left);
			refs_drop(x, sess, left);
		}
		break;
	}
	default:
		break;
	}
}

int
session_ref_add_all(session *s, const sval *v)
{
	// Taken in one walk and, on failure, given back in the same order.
	size_t done = 0;
	int    rc   = refs_add(v, s, &done);
	if (rc != 0) {
		refs_drop(v, s, &done);
	}
	return rc;
}

bool
session_reachable(session *s)
{
	return s->state == SESSION_READY && s->fc != NULL
	    && !fconn_peer_gone(s->fc);
}

bool
session_may_return(const session *s)
{
	return s->reconnect && s->lease_ms > 0
	    && (s->state == SESSION_READY || s->state == SESSION_DETACHED);
}

/* ---- what a session holds and waits on, for the introspection --------- */

/* The pid of s's process: the kernel's word for an ipc peer ("ipc pid N
 * uid M"), the client's own claim otherwise ("NAME pid N", as libmgr
 * and the Python client say it, or "pid N"); -1 if neither. */
long
session_pid(const session *s)
{
	const char *p = strstr(s->peer, " pid ");
	long        pid;
	if (strncmp(s->peer, "ipc", 3) == 0 && p != NULL
	    && sscanf(p, " pid %ld", &pid) == 1) {
		return pid;
	}
	const char *last = NULL;
	for (p = s->client; (p = strstr(p, "pid ")) != NULL; p++) {
		if (p == s->client || p[-1] == ' ') {
			last = p;
		}
	}
	if (last != NULL && sscanf(last, "pid %ld", &pid) == 1) {
		return pid;
	}
	return -1;
}

/* {'object': id, 'type': t, 'name': n} of o (no name when unnamed). */
static sval
describe_obj(report *r, const mobj *o, const idmap *names)
{
	sval        d    = report_dict(r);
	const char *name = idmap_get(names, o->id);
	report_put_int(r, &d, "object", (int64_t) o->id);
	report_put_str(r, &d, "type", o->type->name);
	if (name != NULL) {
		report_put_str(r, &d, "name", name);
	}
	return d;
}

static sval
session_describe(
    const session *s, const idmap *names, int64_t now_ms, report *r)
{
	sval d = report_dict(r), holds = report_list(r),
	     waits   = report_list(r);
	size_t   pos = 0;
	uint64_t id;
	void    *v;
	long     pid = session_pid(s);
	report_put_int(r, &d, "id", (int64_t) s->id);
	report_put_str(r, &d, "peer", s->peer);
	report_put_str(r, &d, "client", s->client);
	report_put(r, &d, "pid", pid >= 0 ? sv_int(pid) : SV_NONE_INIT);
	report_put_str(r, &d, "state",
	    s->state == SESSION_HANDSHAKE      ? "handshake"
	        : s->state == SESSION_READY    ? "ready"
	        : s->state == SESSION_DETACHED ? "detached"
	                                       : "closing");
	report_put_int(r, &d, "age_ms", now_ms - s->started_ms);
	// The lease: 0 for a client that sends no heartbeats.
	report_put_int(r, &d, "lease_ms", s->lease_ms);
	// A new leader's grace puts heard_ms ahead of now (journal_settle).
	report_put_int(r, &d, "heard_ms_ago",
	    now_ms > s->heard_ms ? now_ms - s->heard_ms : 0);
	report_put(r, &d, "reconnect", sv_bool(s->reconnect));
	report_put(r, &d, "stale_reads", sv_bool(s->stale_reads));
	report_put_int(r, &d, "reconnects", (int64_t) s->reconnects);
	report_put_int(
	    r, &d, "replies_kept", (int64_t) replay_count(&s->record));
	report_put_int(r, &d, "requests", (int64_t) s->requests);
	report_put_int(r, &d, "bytes_in", (int64_t) s->bytes_in);
	report_put_int(r, &d, "bytes_out", (int64_t) s->bytes_out);
	report_put_int(r, &d, "objects", (int64_t) s->refs.len);
	// What it holds: the objects whose session_end runs for it, as far
	// as it still holds some of them.
	while (idmap_next(&s->touched, &pos, &id, &v)) {
		const mobj *o = store_find(s->srv, id);
		uint64_t    n = o != NULL && o->type->held_by != NULL
		       ? o->type->held_by(o, s)
		       : 0;
		if (n > 0) {
			sval h = describe_obj(r, o, names);
			report_put_int(r, &h, "count", (int64_t) n);
			report_append(r, &holds, h);
		}
	}
	for (const waiter *w = s->waiters; w != NULL; w = w->snext) {
		sval x = describe_obj(r, w->obj, names);
		report_put_str(r, &x, "op", registry_op_name(w->op));
		report_put_int(
		    r, &x, "waited_ms", now_ms - (int64_t) w->since);
		report_put(r, &x, "timeout_ms",
		    w->deadline != 0 ? sv_int((int64_t) w->deadline - now_ms)
		                     : SV_NONE_INIT);
		report_append(r, &waits, x);
	}
	report_put(r, &d, "holds", holds);
	report_put(r, &d, "waits", waits);
	return d;
}

/* The sessions from offset to offset + limit; *total gets how many. */
static sval
sessions_list(struct server *srv, const idmap *names, size_t offset,
    size_t limit, size_t *total, report *r)
{
	int64_t now  = clock_ms();
	sval    list = report_list(r);
	size_t  i    = 0;
	for (const session *s = srv->sessions; s != NULL && r->rv == 0;
	     s                = s->next, i++) {
		if (i >= offset && i - offset < limit) {
			report_append(
			    r, &list, session_describe(s, names, now, r));
		}
	}
	*total = i;
	return list;
}

sval
sessions_describe(struct server *srv, const idmap *names, report *r)
{
	size_t total;
	return sessions_list(srv, names, 0, SIZE_MAX, &total, r);
}

sval
sessions_describe_page(struct server *srv, const idmap *names, size_t offset,
    size_t limit, report *r)
{
	size_t total;
	sval   d    = report_dict(r);
	sval   list = sessions_list(srv, names, offset, limit, &total, r);
	report_put_int(r, &d, "total", (int64_t) total);
	report_put_int(r, &d, "offset", (int64_t) offset);
	report_put(r, &d, "sessions", list);
	return d;
}
