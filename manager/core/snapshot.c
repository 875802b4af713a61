/* A server's state as a snapshot's records, and those records loaded
 * back (journal_int.h). docs/data-dir.md lists them; in order:
 *
 *   LOG_SNAP_BEGIN     the key, the id counters, the LSN covered
 *   LOG_SESSION        each session, as when it started
 *   LOG_SNAP_OBJECT 0  each object's id, type and reference count: made
 *                      empty first, so that any image may refer to any
 *   LOG_SNAP_OBJECT n  each object's image, in parts (its type's save)
 *   LOG_SNAP_NAMES     the names, in parts
 *   LOG_SNAP_SESSION   each session's references, what it made, its
 *                      recorded replies
 *   LOG_COND_PARKED    condition waits parked, as the log has them
 *   LOG_SNAP_END       the counts
 *
 * Loading checks what the pieces add up to: every object filled, and its
 * reference count (sessions', values', names') what it was. Both run
 * under the server lock: the saving in the process that makes the
 * snapshot, which serves nobody. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "journal_int.h"
#include "names.h"
#include "sdict.h"
#include "session_int.h"
#include "stats.h"
#include "svec.h"

/* Elements go in parts of about this many bytes. */
#define PART_BYTES ((size_t) 4 << 20)
#define PART_ITEMS 65536
/* Session records: at most this many (object, references) pairs each. */
#define HELD_PAIRS 65536

struct snap_out {
	server      *srv;
	snap_emit_fn emit;
	void        *arg;
	Mgr__LogKind kind; /* of the parts: object or names */
	mobj        *obj;
	uint64_t     part;
	sval         elems; /* the part being filled */
	size_t       elems_bytes;
	arena        a;
	uint8_t     *buf;
	size_t       cap;
	char        *why;
	size_t       whycap;
};

struct snap_in {
	journal *j;
	idmap    expect; /* id -> references it had (+1: never NULL) */
	uint64_t next_id, next_session;
	char     why[200];
};

/* ---- saving -------------------------------------------------------------
 */

static int
put_record(snap_out *out, const Mgr__LogRecord *r)
{
	size_t n = mgr__log_record__get_packed_size(r);
	if (n > WAL_MAX_RECORD) {
		snprintf(out->why, out->whycap,
		    "object %llu: a part of %zu bytes, more than a record "
		    "holds",
		    (unsigned long long) (out->obj ? out->obj->id : 0), n);
		return MGR_ETOOBIG;
	}
	if (n > out->cap) {
		uint8_t *nb = realloc(out->buf, n);
		if (nb == NULL) {
			snprintf(out->why, out->whycap, "out of memory");
			return MGR_ENOMEM;
		}
		out->buf = nb;
		out->cap = n;
	}
	mgr__log_record__pack(r, out->buf);
	int rv = out->emit(out->arg, out->buf, n);
	if (rv != 0) {
		snprintf(out->why, out->whycap, "cannot write the snapshot");
	}
	return rv;
}

int
snap_put(snap_out *out, sval *image)
{
	Mgr__Value pbv;
	int        rv = sv_to_pb(image, &out->a, &pbv, NULL);
	if (rv == 0) {
		Mgr__LogRecord r = MGR__LOG_RECORD__INIT;
		r.kind           = out->kind;
		r.part           = ++out->part;
		r.image          = &pbv;
		if (out->obj != NULL) {
			r.object = out->obj->id;
			r.type   = out->obj->type->code;
		}
		rv = put_record(out, &r);
	} else {
		snprintf(out->why, out->whycap,
		    "object %llu: its image cannot be encoded",
		    (unsigned long long) (out->obj ? out->obj->id : 0));
	}
	arena_reset(&out->a);
	sv_free(image);
	return rv;
}

/* About how many bytes v takes encoded (what cuts elements into parts). */
static size_t
approx_bytes(const sval *v)
{
	size_t n = 16, pos = 0;
	sval  *k, *x;
	switch (v->kind) {
	case SV_STR:
	case SV_BYTES:
		return n + sv_slen(v);
	case SV_LIST:
	case SV_TUPLE:
		for (size_t i = 0; i < svec_len(v->vec); i++) {
			n += approx_bytes(svec_at(v->vec, i));
		}
		return n;
	case SV_DICT:
		while (sdict_next(v->dict, &pos, &k, &x)) {
			n += approx_bytes(k) + approx_bytes(x);
		}
		return n;
	default:
		return n;
	}
}

static size_t
elems_count(const sval *e)
{
	return e->kind == SV_DICT ? sdict_len(e->dict) : svec_len(e->vec);
}

static int
flush_elems(snap_out *out)
{
	out->elems_bytes = 0;
	return out->elems.kind == SV_NONE ? 0 : snap_put(out, &out->elems);
}

/* Adds an element to the part being filled: *key (NULL for a sequence's)
 * and *val moved in, freed on failure. */
static int
add_elem(snap_out *out, sval *key, sval *val)
{
	size_t bytes = (key ? approx_bytes(key) : 0) + approx_bytes(val);
	int    rv    = 0;
	if (out->elems.kind != SV_NONE
	    && (out->elems_bytes + bytes > PART_BYTES
	        || elems_count(&out->elems) >= PART_ITEMS)) {
		rv = flush_elems(out);
	}
	if (rv == 0 && out->elems.kind == SV_NONE) {
		rv = key != NULL ? sv_new_dict(&out->elems)
		                 : sv_new_list(&out->elems, SV_LIST, 0);
	}
	if (rv == 0) {
		rv = key != NULL ? sdict_set(out->elems.dict, key, val)
		                 : svec_append(out->elems.vec, val);
	}
	if (key != NULL) {
		sv_free(key);
	}
	sv_free(val);
	if (rv != 0) {
		snprintf(out->why, out->whycap, "out of memory");
		return rv;
	}
	out->elems_bytes += bytes;
	return 0;
}

int
snap_elem(snap_out *out, const sval *key, const sval *val)
{
	sval k = SV_NONE_INIT, v = SV_NONE_INIT;
	int  rv = key != NULL ? sv_copy(&k, key) : 0;
	if (rv == 0 && (rv = sv_copy(&v, val)) == 0) {
		return add_elem(out, key != NULL ? &k : NULL, &v);
	}
	sv_free(&k);
	snprintf(out->why, out->whycap, "out of memory");
	return rv;
}

int
snap_elem_move(snap_out *out, sval *val)
{
	return add_elem(out, NULL, val);
}

static int
compare_ids(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

/* The ids of the live objects, in order. */
static uint64_t *
object_ids(server *srv, size_t *n)
{
	uint64_t *ids = malloc((srv->objects.len + 1) * sizeof(*ids));
	size_t    pos = 0, k = 0;
	uint64_t  id;
	void     *v;
	if (ids == NULL) {
		return NULL;
	}
	while (idmap_next(&srv->objects, &pos, &id, &v)) {
		ids[k++] = id;
	}
	qsort(ids, k, sizeof(*ids), compare_ids);
	*n = k;
	return ids;
}

static int
save_sessions_started(snap_out *out)
{
	int rv = 0;
	for (session *s = out->srv->sessions; s != NULL && rv == 0;
	     s          = s->next) {
		// A cluster's leader saves its live state: a connection in
		// its handshake is no session of the log's yet.
		if (!s->journaled) {
			continue;
		}
		Mgr__LogRecord r;
		journal_session_record(s, &r);
		rv = put_record(out, &r);
	}
	return rv;
}

static int
save_objects(snap_out *out)
{
	size_t    n;
	uint64_t *ids = object_ids(out->srv, &n);
	int       rv  = 0;
	if (ids == NULL) {
		snprintf(out->why, out->whycap, "out of memory");
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < n && rv == 0; i++) {
		mobj          *o = store_find(out->srv, ids[i]);
		Mgr__LogRecord r = MGR__LOG_RECORD__INIT;
		r.kind           = MGR__LOG_KIND__LOG_SNAP_OBJECT;
		r.object         = o->id;
		r.type           = o->type->code;
		r.refs           = o->refs;
		if (o->type->code == MGR__OBJ_TYPE__OBJ_CUSTOM) {
			r.type_name = (char *) o->type->name; // a module's
		}
		rv = put_record(out, &r);
	}
	out->kind = MGR__LOG_KIND__LOG_SNAP_OBJECT;
	for (size_t i = 0; i < n && rv == 0; i++) {
		mobj *o   = store_find(out->srv, ids[i]);
		out->obj  = o;
		out->part = 0;
		if (o->type->save == NULL) {
			snprintf(out->why, out->whycap,
			    "object %llu: a %s, which a snapshot cannot keep",
			    (unsigned long long) o->id, o->type->name);
			rv = MGR_ETYPE;
			break;
		}
		if ((rv = o->type->save(o, out)) == 0) {
			rv = flush_elems(out);
		} else if (out->why[0] == '\0') {
			snprintf(out->why, out->whycap,
			    "object %llu: its %s cannot be saved",
			    (unsigned long long) o->id, o->type->name);
		}
	}
	out->obj = NULL;
	free(ids);
	return rv;
}

static int
save_names(snap_out *out)
{
	out->kind  = MGR__LOG_KIND__LOG_SNAP_NAMES;
	out->part  = 0;
	size_t pos = 0;
	sval  *k, *v;
	int    rv = 0;
	while (rv == 0 && sdict_next(out->srv->names.dict, &pos, &k, &v)) {
		rv = snap_elem(out, k, v);
	}
	return rv == 0 ? flush_elems(out) : rv;
}

/* s's references (in records of at most HELD_PAIRS), what it made, the
 * count of its replies, and its recorded replies (one record each: a
 * reply may be large). */
static int
save_session_state(snap_out *out, session *s)
{
	size_t    cap  = 2 * HELD_PAIRS;
	uint64_t *held = malloc(cap * sizeof(*held));
	uint64_t *made = malloc((s->made.len + 1) * sizeof(*made));
	size_t    pos = 0, nh = 0, nm = 0;
	uint64_t  id;
	void     *v;
	int       rv = 0;
	if (held == NULL || made == NULL) {
		free(held);
		free(made);
		snprintf(out->why, out->whycap, "out of memory");
		return MGR_ENOMEM;
	}
	while (idmap_next(&s->made, &pos, &id, &v)) {
		made[nm++] = id;
	}
	Mgr__LogRecord r = MGR__LOG_RECORD__INIT;
	r.kind           = MGR__LOG_KIND__LOG_SNAP_SESSION;
	r.session        = s->id;
	r.replies_sent   = s->replies_sent;
	r.made           = made;
	r.n_made         = nm;
	pos              = 0;
	bool more        = true;
	while (rv == 0 && more) {
		more = idmap_next(&s->refs, &pos, &id, &v);
		if (more) {
			held[nh++] = id;
			held[nh++] = (uint64_t) (uintptr_t) v;
		}
		if (nh == cap || !more) {
			r.held   = held;
			r.n_held = nh;
			rv       = put_record(out, &r);
			nh       = 0;
			r.n_made = 0; // given once
		}
	}
	r.n_held = r.n_made = 0;
	for (size_t i = 0; i < s->record.n && rv == 0; i++) {
		const replay_entry *e = &s->record.v[i];
		if (!e->done) {
			continue; // under way: applied again when retried
		}
		Mgr__RecordedReply  rr  = MGR__RECORDED_REPLY__INIT;
		Mgr__RecordedReply *rrp = &rr;
		rr.seq                  = e->seq;
		rr.sent                 = e->sent;
		rr.frame.data           = s->record.buf + e->off;
		rr.frame.len            = e->len;
		r.replies               = &rrp;
		r.n_replies             = 1;
		rv                      = put_record(out, &r);
	}
	free(held);
	free(made);
	return rv;
}

int
snapshot_save(journal *j, uint64_t lsn, snap_emit_fn emit, void *arg,
    char *why, size_t whycap)
{
	server *srv = j->srv;
	// Containers being freed in slices still count in the references
	// of the objects they hold: freed now, so that every count the
	// snapshot records is made of references it records too.
	store_free_step(srv, SIZE_MAX);
	snap_out out = { .srv = srv,
		.emit         = emit,
		.arg          = arg,
		.why          = why,
		.whycap       = whycap };
	arena_init(&out.a);
	why[0]            = '\0';
	Mgr__LogRecord r  = MGR__LOG_RECORD__INIT;
	r.kind            = MGR__LOG_KIND__LOG_SNAP_BEGIN;
	r.lsn             = lsn;
	r.next_id         = srv->next_id;
	r.next_session    = srv->next_session;
	r.secret_key.data = (uint8_t *) srv->secret_key;
	r.secret_key.len  = sizeof(srv->secret_key);
	int rv            = put_record(&out, &r);
	if (rv == 0) {
		rv = save_sessions_started(&out);
	}
	if (rv == 0) {
		rv = save_objects(&out);
	}
	if (rv == 0) {
		rv = save_names(&out);
	}
	size_t nsessions = 0;
	for (session *s = srv->sessions; s != NULL && rv == 0; s = s->next) {
		if (s->journaled) {
			rv = save_session_state(&out, s);
			nsessions++;
		}
	}
	for (size_t i = 0; i < j->nparked && rv == 0; i++) {
		const parked_wait *p = &j->parked[i];
		Mgr__LogRecord     c = MGR__LOG_RECORD__INIT;
		c.kind               = MGR__LOG_KIND__LOG_COND_PARKED;
		c.session            = p->session;
		c.depth              = p->depth;
		c.request.data       = p->request;
		c.request.len        = p->len;
		rv                   = put_record(&out, &c);
	}
	if (rv == 0) {
		Mgr__LogRecord e = MGR__LOG_RECORD__INIT;
		e.kind           = MGR__LOG_KIND__LOG_SNAP_END;
		e.objects        = srv->objects.len;
		e.sessions       = nsessions;
		rv               = put_record(&out, &e);
	}
	sv_free(&out.elems);
	arena_fini(&out.a);
	free(out.buf);
	return rv;
}

/* ---- loading ------------------------------------------------------------
 */

session *
snap_session(snap_in *in, uint64_t sid)
{
	return sid != 0 ? idmap_get(&in->j->sessions, sid) : NULL;
}

int
snap_bad(snap_in *in, const char *why)
{
	snprintf(in->why, sizeof(in->why), "%s", why);
	return MGR_EPROTO;
}

sval *
snap_item(sval *image, size_t i)
{
	if (image->kind != SV_LIST && image->kind != SV_TUPLE) {
		return NULL;
	}
	return i < svec_len(image->vec) ? svec_at(image->vec, i) : NULL;
}

static int
load_fail(journal *j, const char *fmt, unsigned long long id, const char *w)
{
	if (j->why != NULL) {
		snprintf(j->why, j->whycap, fmt, id, w);
	}
	return MGR_EPROTO;
}

void
snapshot_load_abort(journal *j)
{
	if (j->snap != NULL) {
		idmap_fini(&j->snap->expect);
		free(j->snap);
		j->snap = NULL;
	}
}

/* The sessions of the log's (a cluster's member also has connections in
 * their handshake, which are not). */
static size_t
journaled_sessions(const server *srv)
{
	size_t n = 0;
	for (const session *s = srv->sessions; s != NULL; s = s->next) {
		n += s->journaled;
	}
	return n;
}

static int
load_begin(journal *j, const Mgr__LogRecord *r)
{
	server *srv = j->srv;
	if (j->snap != NULL || srv->objects.len > 0
	    || journaled_sessions(srv) > 0
	    || r->secret_key.len != sizeof(srv->secret_key)) {
		return load_fail(j, "snapshot record %llu: %s", j->lsn,
		    "a beginning where there is one already");
	}
	if ((j->snap = calloc(1, sizeof(*j->snap))) == NULL) {
		return load_fail(
		    j, "record %llu: %s", j->lsn, "out of memory");
	}
	j->snap->j            = j;
	j->snap->next_id      = r->next_id;
	j->snap->next_session = r->next_session;
	idmap_init(&j->snap->expect);
	memcpy(srv->secret_key, r->secret_key.data, sizeof(srv->secret_key));
	return 0;
}

/* Part 0 makes the object empty (NULL data: nothing of it runs until its
 * head is loaded), held by the load until the end. */
static int
load_shell(journal *j, const Mgr__LogRecord *r)
{
	server      *srv = j->srv;
	const mtype *t   = registry_type(r->type);
	void       **slot;
	if (t != NULL && t->subtype != NULL) {
		// A module's type, by its name: the same --load-module.
		t = r->type_name != NULL ? t->subtype(r->type_name) : NULL;
	}
	if (t == NULL || t->load == NULL) {
		return load_fail(j, "object %llu: %s", r->object,
		    r->type == MGR__OBJ_TYPE__OBJ_CUSTOM
		        ? "of a type no module loaded registers (start "
		          "managerd with the same --load-module)"
		        : "of a type this managerd cannot load");
	}
	if (r->object == 0 || store_find(srv, r->object) != NULL
	    || r->refs == 0) {
		return load_fail(j, "object %llu: %s", r->object,
		    "made twice, or with no reference");
	}
	srv->next_id = r->object - 1;
	mobj *o      = store_new(srv, t);
	if (o == NULL
	    || (slot = idmap_put(&j->snap->expect, o->id)) == NULL) {
		return load_fail(
		    j, "object %llu: %s", r->object, "out of memory");
	}
	*slot = (void *) (uintptr_t) (r->refs + 1);
	mobj_incref(o);
	return 0;
}

/* Part 1 (its head) makes its data, the others add to it. */
static int
load_part(journal *j, const Mgr__LogRecord *r)
{
	snap_in *in = j->snap;
	mobj    *o  = store_find(j->srv, r->object);
	if (o == NULL || o->type->code != r->type || o->type->load == NULL
	    || r->image == NULL || (r->part == 1) != (o->data == NULL)) {
		return load_fail(j, "object %llu: %s", r->object,
		    "a part of an object not made, or out of order");
	}
	sval image;
	if (sv_from_pb(j->srv, r->image, &image) != 0) {
		return load_fail(j, "object %llu: %s", r->object,
		    "an image that does not decode");
	}
	in->why[0] = '\0';
	int rv     = o->type->load(o, &image, r->part, in);
	sv_free(&image);
	if (rv != 0) {
		return load_fail(j, "object %llu: %s", r->object,
		    in->why[0] ? in->why : "an image its type refused");
	}
	if (o->data == NULL) {
		return load_fail(j, "object %llu: %s", r->object,
		    "its head left it empty");
	}
	return 0;
}

static int
load_names(journal *j, const Mgr__LogRecord *r)
{
	sval d;
	if (r->image == NULL || sv_from_pb(j->srv, r->image, &d) != 0) {
		return load_fail(j, "names, part %llu: %s", r->part,
		    "an image that does not decode");
	}
	size_t pos = 0;
	sval  *k, *v;
	int    rv = d.kind == SV_DICT ? 0 : MGR_EPROTO;
	while (rv == 0 && sdict_next(d.dict, &pos, &k, &v)) {
		rv = v->kind == SV_REF ? names_set(j->srv, k, v->ref)
		                       : MGR_EPROTO;
	}
	sv_free(&d);
	return rv == 0 ? 0
	               : load_fail(j, "names, part %llu: %s", r->part,
	                   "a name of no object");
}

static int
load_session_state(journal *j, const Mgr__LogRecord *r)
{
	server  *srv = j->srv;
	session *s   = snap_session(j->snap, r->session);
	if (s == NULL || r->n_held % 2 != 0) {
		return load_fail(j, "session %llu: %s", r->session,
		    "the state of a session not started");
	}
	for (size_t i = 0; i < r->n_held; i += 2) {
		mobj *o = store_find(srv, r->held[i]);
		if (o == NULL) {
			return load_fail(j, "session %llu: %s", r->session,
			    "a reference to no object");
		}
		for (uint64_t k = 0; k < r->held[i + 1]; k++) {
			if (session_ref_add(s, o) != 0) {
				return load_fail(j, "session %llu: %s",
				    r->session, "out of memory");
			}
		}
	}
	for (size_t i = 0; i < r->n_made; i++) {
		mobj  *o = store_find(srv, r->made[i]);
		void **slot;
		if (o == NULL
		    || (slot = idmap_put(&s->made, o->id)) == NULL) {
			return load_fail(j, "session %llu: %s", r->session,
			    "made no object, or out of memory");
		}
		*slot    = o;
		o->maker = s;
	}
	for (size_t i = 0; i < r->n_replies; i++) {
		const Mgr__RecordedReply *rr = r->replies[i];
		uint8_t                  *dst;
		if (rr->frame.len == 0
		    || replay_begin(&s->record, rr->seq) != 0
		    || (dst = replay_done(&s->record, rr->seq, rr->frame.len))
		        == NULL) {
			return load_fail(j, "session %llu: %s", r->session,
			    "a recorded reply it cannot keep");
		}
		memcpy(dst, rr->frame.data, rr->frame.len);
		replay_sent(&s->record, rr->seq, rr->sent);
	}
	if (r->replies_sent > s->replies_sent) {
		s->replies_sent = r->replies_sent;
	}
	return 0;
}

/* Everything is in: each object filled, with the references it had. */
static int
load_end(journal *j, const Mgr__LogRecord *r)
{
	server  *srv = j->srv;
	snap_in *in  = j->snap;
	size_t   pos = 0;
	uint64_t id;
	void    *v;
	if (r->objects != srv->objects.len
	    || r->sessions != journaled_sessions(srv)) {
		return load_fail(j, "the end: %llu %s", r->objects,
		    "objects or sessions said, not as many loaded");
	}
	while (idmap_next(&in->expect, &pos, &id, &v)) {
		// v: the references it had, plus the load's own.
		mobj *o = store_find(srv, id);
		if (o == NULL || o->data == NULL
		    || o->refs != (uint64_t) (uintptr_t) v) {
			return load_fail(j, "object %llu: %s", id,
			    "loaded with references other than it had");
		}
		o->refs--; // the load's hold
		stats_note_size(srv, o);
	}
	srv->next_id = in->next_id;
	if (in->next_session > srv->next_session) {
		srv->next_session = in->next_session;
	}
	snapshot_load_abort(j); // done with it
	return 0;
}

int
snapshot_load(journal *j, const Mgr__LogRecord *r)
{
	if (r->kind != MGR__LOG_KIND__LOG_SNAP_BEGIN && j->snap == NULL) {
		return load_fail(j, "record %llu: %s", j->lsn,
		    "a snapshot's, outside a snapshot");
	}
	switch (r->kind) {
	case MGR__LOG_KIND__LOG_SNAP_BEGIN:
		return load_begin(j, r);
	case MGR__LOG_KIND__LOG_SNAP_OBJECT:
		return r->part == 0 ? load_shell(j, r) : load_part(j, r);
	case MGR__LOG_KIND__LOG_SNAP_NAMES:
		return load_names(j, r);
	case MGR__LOG_KIND__LOG_SNAP_SESSION:
		return load_session_state(j, r);
	case MGR__LOG_KIND__LOG_SNAP_END:
		return load_end(j, r);
	default:
		return load_fail(
		    j, "record %llu: %s", j->lsn, "not a snapshot's");
	}
}

/* ---- what the types' save and load share --------------------------------
 */

bool
snap_int(sval *image, size_t i, int64_t *out)
{
	sval *v = snap_item(image, i);
	if (v == NULL || (v->kind != SV_INT && v->kind != SV_BOOL)) {
		return false;
	}
	*out = v->kind == SV_INT ? v->i : (int64_t) v->b;
	return true;
}

int
snap_put_list(snap_out *out, int made, sval *items, size_t n)
{
	sval head = SV_NONE_INIT;
	int  rv   = made != 0 ? made : sv_new_list(&head, SV_LIST, n);
	for (size_t i = 0; i < n && rv == 0; i++) {
		rv = svec_append(head.vec, &items[i]);
	}
	for (size_t i = 0; i < n; i++) {
		sv_free(&items[i]);
	}
	if (rv != 0) {
		sv_free(&head);
		return rv;
	}
	return snap_put(out, &head);
}

bool
snap_own_lock(const sval *v)
{
	return v != NULL
	    && (v->kind == SV_NONE
	        || (v->kind == SV_REF
	            && v->ref->type->code == MGR__OBJ_TYPE__OBJ_RLOCK));
}

/* Moves a part's entries (an SV_DICT) into d. */
static int
load_entries(sdict *d, sval *image, snap_in *in)
{
	if (image->kind != SV_DICT) {
		return snap_bad(in, "entries expected");
	}
	return sdict_update(d, image->dict) == 0
	    ? 0
	    : snap_bad(in, "out of memory");
}

int
snap_load_items(svec *v, sval *image, snap_in *in)
{
	if (image->kind != SV_LIST) {
		return snap_bad(in, "items expected");
	}
	return svec_extend(v, image->vec) == 0
	    ? 0
	    : snap_bad(in, "out of memory");
}

int
snap_save_dict(snap_out *out, const sdict *d)
{
	int    rv  = snap_put_list(out, 0, NULL, 0);
	size_t pos = 0;
	sval  *k, *v;
	while (rv == 0 && sdict_next(d, &pos, &k, &v)) {
		rv = snap_elem(out, k, v);
	}
	return rv;
}

int
snap_save_list(snap_out *out, const svec *v)
{
	int rv = snap_put_list(out, 0, NULL, 0);
	for (size_t i = 0; i < svec_len(v) && rv == 0; i++) {
		rv = snap_elem(out, NULL, svec_at(v, i));
	}
	return rv;
}

int
snap_load_dict(void **data, sval *image, uint64_t part, snap_in *in)
{
	if (part == 1) {
		*data = sdict_new(0);
		return *data != NULL ? 0 : snap_bad(in, "out of memory");
	}
	return load_entries(*data, image, in);
}

int
snap_load_list(void **data, sval *image, uint64_t part, snap_in *in)
{
	if (part == 1) {
		*data = svec_new(0);
		return *data != NULL ? 0 : snap_bad(in, "out of memory");
	}
	return snap_load_items(*data, image, in);
}
