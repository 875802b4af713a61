/* The introspection layer: the manager's objects, who holds and who
 * waits for them, and which sessions wait on each other, as report values
 * (dicts and lists). The HTTP API (webapi.c) renders them as JSON,
 * beside mgr_info's figures and mgr_sessions' list (introspect.c,
 * holdings.c), which managerctl reads: one source for both. Called under the
 * server lock; every listing is paged, and what a call walks is bounded by
 * what it lists (plus passes over the sessions' holdings and waiters). */
#include "describe.h"

#include <ctype.h>

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "sdict.h"
#include "server_state.h"
#include "wait.h"

sval
describe_history(server *srv, report *r)
{
	enum { N = 60 };
	uint64_t req[N], bytes[N];
	stats_history(srv, N, req, bytes);
	sval d = report_dict(r), lr = report_list(r), lb = report_list(r);
	for (unsigned i = 0; i < N; i++) {
		report_append(r, &lr, sv_int((int64_t) req[i]));
		report_append(r, &lb, sv_int((int64_t) bytes[i]));
	}
	report_put(r, &d, "requests_per_sec", lr);
	report_put(r, &d, "bytes_per_sec", lb);
	return d;
}

/* ---- who holds what: one pass over the sessions ------------------------ */

typedef struct hold {
	uint64_t       obj;
	const session *s;
	uint64_t       count;
} hold;

typedef struct holds {
	hold  *v;
	size_t n, cap;
} holds;

static int
by_obj(const void *a, const void *b)
{
	uint64_t x = ((const hold *) a)->obj, y = ((const hold *) b)->obj;
	return x < y ? -1 : x > y;
}

/* Every (object, session, count) of a lock, rlock or semaphore held,
 * sorted by object. */
static int
holds_collect(server *srv, holds *h)
{
	*h = (holds) { 0 };
	for (const session *s = srv->sessions; s != NULL; s = s->next) {
		size_t   pos = 0;
		uint64_t id;
		void    *v;
		while (idmap_next(&s->touched, &pos, &id, &v)) {
			const mobj *o = store_find(srv, id);
			uint64_t    n = o != NULL && o->type->held_by != NULL
			       ? o->type->held_by(o, s)
			       : 0;
			if (n == 0) {
				continue;
			}
			if (h->n == h->cap) {
				size_t cap = h->cap ? h->cap * 2 : 16;
				hold  *nv  = realloc(h->v, cap * sizeof(*nv));
				if (nv == NULL) {
					free(h->v);
					return MGR_ENOMEM;
				}
				h->v   = nv;
				h->cap = cap;
			}
			h->v[h->n++] = (hold) { id, s, n };
		}
	}
	if (h->n > 1) {
		qsort(h->v, h->n, sizeof(*h->v), by_obj);
	}
	return 0;
}

/* The first hold of object id, or NULL; the others follow it. */
static const hold *
holds_of(const holds *h, uint64_t id)
{
	size_t lo = 0, hi = h->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->v[mid].obj < id) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo < h->n && h->v[lo].obj == id ? &h->v[lo] : NULL;
}

/* Who session s is, into d: 'session', 'pid' (None when unknown) and
 * 'client' (the name it gave). */
static void
put_session(report *r, sval *d, const session *s)
{
	long pid = session_pid(s);
	report_put_int(r, d, "session", (int64_t) session_id(s));
	report_put(r, d, "pid", pid >= 0 ? sv_int(pid) : SV_NONE_INIT);
	report_put_str(r, d, "client", s->client);
}

/* [{'session', 'pid', 'client', 'count'}, ...] of object id. */
static sval
holders_list(report *r, const holds *h, uint64_t id)
{
	sval l = report_list(r);
	for (const hold *x = holds_of(h, id);
	     x != NULL && x < h->v + h->n && x->obj == id; x++) {
		sval d = report_dict(r);
		put_session(r, &d, x->s);
		report_put_int(r, &d, "count", (int64_t) x->count);
		report_append(r, &l, d);
	}
	return l;
}

/* ---- who waits for what ---------------------------------------------------
 */

static int
by_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

/* The object id of every waiter, sorted: how many wait on each, for a
 * listing, in one pass. */
typedef struct waitcount {
	uint64_t *ids;
	size_t    n;
} waitcount;

static int
waitcount_collect(server *srv, waitcount *wc)
{
	size_t n = 0, cap = 0;
	wc->ids = NULL;
	for (const session *s = srv->sessions; s != NULL; s = s->next) {
		for (const waiter *w = s->waiters; w != NULL; w = w->snext) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				uint64_t *nv
				    = realloc(wc->ids, cap * sizeof(*nv));
				if (nv == NULL) {
					free(wc->ids);
					return MGR_ENOMEM;
				}
				wc->ids = nv;
			}
			wc->ids[n++] = w->obj->id;
		}
	}
	if (n > 1) {
		qsort(wc->ids, n, sizeof(*wc->ids), by_id);
	}
	wc->n = n;
	return 0;
}

static size_t
waitcount_of(const waitcount *wc, uint64_t id)
{
	size_t lo = 0, hi = wc->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (wc->ids[mid] < id) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	size_t n = 0;
	while (lo + n < wc->n && wc->ids[lo + n] == id) {
		n++;
	}
	return n;
}

static sval
waiter_describe(report *r, const waiter *w, int64_t now)
{
	sval d = report_dict(r);
	put_session(r, &d, w->sess);
	report_put_str(r, &d, "op", registry_op_name(w->op));
	report_put_int(r, &d, "waited_ms", now - (int64_t) w->since);
	report_put(r, &d, "timeout_ms",
	    w->deadline != 0 ? sv_int((int64_t) w->deadline - now)
	                     : SV_NONE_INIT);
	return d;
}

/* The waiters of o in the order they will be served: each of its FIFOs
 * (a queue has getters and putters) from its head. */
static sval
waiters_list(report *r, server *srv, const mobj *o, int64_t now)
{
	sval         l = report_list(r);
	const wlist *seen[4];
	size_t       nseen = 0;
	for (const session *s = srv->sessions; s != NULL; s = s->next) {
		for (const waiter *w = s->waiters; w != NULL; w = w->snext) {
			if (w->obj != o || w->list == NULL) {
				continue;
			}
			bool known = false;
			for (size_t i = 0; i < nseen; i++) {
				known |= seen[i] == w->list;
			}
			if (known || nseen == 4) {
				continue;
			}
			seen[nseen++] = w->list;
			for (const waiter *x = w->list->head; x != NULL;
			     x               = x->next) {
				report_append(
				    r, &l, waiter_describe(r, x, now));
			}
		}
	}
	return l;
}

/* ---- objects
 * ----------------------------------------------------------------
 */

static void
put_common(report *r, sval *d, const mobj *o, const idmap *names)
{
	const char *name = idmap_get(names, o->id);
	report_put_int(r, d, "object", (int64_t) o->id);
	report_put_str(r, d, "type", o->type->name);
	if (name != NULL) {
		report_put_str(r, d, "name", name);
	} else {
		report_put(r, d, "name", SV_NONE_INIT);
	}
	if (o->type->size != NULL) {
		report_put_int(r, d, "size", (int64_t) o->type->size(o));
	}
	if (o->type->describe != NULL) {
		o->type->describe(o, r, d); // maxsize, value, parties...
	}
}

/* An object a listing selected, with what it may be sorted by. */
typedef struct listed {
	uint64_t    id;
	const char *name; /* NULL: unnamed */
	const char *type;
	int64_t     size; /* -1: no size */
	size_t      waiters;
} listed;

static int
cmp_str(const char *a, const char *b)
{
	// Unnamed last, whichever the direction of the rest.
	return a == NULL ? (b == NULL ? 0 : 1)
	    : b == NULL  ? -1
	                 : strcmp(a, b);
}

static int
by_key(const void *a, const void *b, void *arg)
{
	const listed         *x = a, *y = b;
	const describe_query *q = arg;
	int                   c = 0;
	switch (q->sort) {
	case DESCRIBE_BY_NAME:
		c = cmp_str(x->name, y->name);
		break;
	case DESCRIBE_BY_TYPE:
		c = strcmp(x->type, y->type);
		break;
	case DESCRIBE_BY_SIZE:
		c = x->size < y->size ? -1 : x->size > y->size;
		break;
	case DESCRIBE_BY_WAITERS:
		c = x->waiters < y->waiters ? -1 : x->waiters > y->waiters;
		break;
	case DESCRIBE_BY_ID:
		c = x->id < y->id ? -1 : x->id > y->id;
		break;
	}
	if (q->desc) {
		c = -c;
	}
	// Ties (and the id order itself) by id, so pages are stable.
	return c != 0 ? c : (x->id < y->id ? -1 : x->id > y->id);
}

/* A max-heap of rows by by_key (the worst first), for keeping the best k
 * of many: push while fewer, else replace the top. */
static void
heap_sift_down(listed *h, size_t n, size_t i, const describe_query *q)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && by_key(&h[l], &h[m], (void *) q) > 0) {
			m = l;
		}
		if (r < n && by_key(&h[r], &h[m], (void *) q) > 0) {
			m = r;
		}
		if (m == i) {
			return;
		}
		listed t = h[i];
		h[i]     = h[m];
		h[m]     = t;
		i        = m;
	}
}

static void
heap_push(listed *h, size_t *n, const listed *x, const describe_query *q)
{
	size_t i = (*n)++;
	h[i]     = *x;
	while (i > 0 && by_key(&h[i], &h[(i - 1) / 2], (void *) q) > 0) {
		listed t       = h[i];
		h[i]           = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i              = (i - 1) / 2;
	}
}

static void
heap_replace_top(
    listed *h, size_t n, const listed *x, const describe_query *q)
{
	h[0] = *x;
	heap_sift_down(h, n, 0, q);
}

/* What a listing selects, worked out once for the walk: the type filter
 * and the search, per type (a few) and, lower-cased, for the names. */
typedef struct selection {
	const describe_query *q;
	char                  lower[128]; /* the search, lower-cased */
	size_t                len;
	int8_t                type_ok[MGR_TYPE_SLOTS];  /* -1: not yet */
	int8_t                type_has[MGR_TYPE_SLOTS]; /* search in type */
} selection;

static void
selection_init(selection *sel, const describe_query *q)
{
	sel->q        = q;
	const char *m = q->match != NULL ? q->match : "";
	size_t      n = strlen(m);
	sel->len      = n < sizeof(sel->lower) ? n : sizeof(sel->lower) - 1;
	for (size_t i = 0; i < sel->len; i++) {
		sel->lower[i] = (char) tolower((unsigned char) m[i]);
	}
	sel->lower[sel->len] = '\0';
	memset(sel->type_ok, -1, sizeof(sel->type_ok));
}

/* Whether hay holds the lower-cased needle, case ignored. */
static bool
contains_folded(const char *hay, const char *needle, size_t n)
{
	char first = needle[0];
	for (; *hay != '\0'; hay++) {
		if ((char) tolower((unsigned char) *hay) != first) {
			continue;
		}
		size_t k = 1;
		while (k < n && hay[k] != '\0'
		    && (char) tolower((unsigned char) hay[k]) == needle[k]) {
			k++;
		}
		if (k == n) {
			return true;
		}
	}
	return false;
}

static bool
selected(selection *sel, const char *name, const mobj *o)
{
	unsigned code = (unsigned) o->type->code;
	if (code >= MGR_TYPE_SLOTS) {
		return false;
	}
	if (sel->type_ok[code] < 0) {
		const describe_query *q = sel->q;
		sel->type_ok[code] = q->type == NULL || q->type[0] == '\0'
		    || strcmp(q->type, o->type->name) == 0;
		sel->type_has[code] = sel->len == 0
		    || contains_folded(o->type->name, sel->lower, sel->len);
	}
	return sel->type_ok[code]
	    && (sel->type_has[code]
	        || (name != NULL
	            && contains_folded(name, sel->lower, sel->len)));
}

sval
describe_objects(
    server *srv, const idmap *names, size_t offset, size_t limit, report *r)
{
	describe_query q = { .offset = offset, .limit = limit };
	return describe_objects_query(srv, names, &q, r);
}

sval
describe_objects_query(
    server *srv, const idmap *names, const describe_query *q, report *r)
{
	holds     h;
	waitcount wc;
	sval      out = report_dict(r), list = report_list(r);
	if (holds_collect(srv, &h) != 0) {
		r->rv = MGR_ENOMEM;
		return out;
	}
	if (waitcount_collect(srv, &wc) != 0) {
		free(h.v);
		r->rv = MGR_ENOMEM;
		return out;
	}
	// In id order (the order they were made) unless asked otherwise, so
	// that pages are stable and read as a person expects. Only the first
	// offset + limit in that order are kept (a heap of the best so far,
	// its worst on top), not every object sorted, under the lock.
	size_t total = srv->objects.len, n = 0, kept = 0, pos = 0;
	size_t want
	    = q->offset + q->limit < total ? q->offset + q->limit : total;
	selection sel;
	selection_init(&sel, q);
	uint64_t id;
	void    *v;
	listed  *rows = malloc((want + 1) * sizeof(*rows));
	if (rows == NULL) {
		r->rv = MGR_ENOMEM;
	}
	while (rows != NULL && want > 0
	    && idmap_next(&srv->objects, &pos, &id, &v)) {
		const mobj *o    = v;
		const char *name = idmap_get(names, id);
		if (!selected(&sel, name, o)) {
			continue;
		}
		n++;
		listed row = { .id = id,
			.name      = name,
			.type      = o->type->name,
			.size      = o->type->size != NULL
			         ? (int64_t) o->type->size(o)
			         : -1,
			.waiters   = waitcount_of(&wc, id) };
		if (kept < want) {
			heap_push(rows, &kept, &row, q);
		} else if (by_key(&row, &rows[0], (void *) q) < 0) {
			heap_replace_top(rows, kept, &row, q);
		}
	}
	while (rows != NULL && want == 0
	    && idmap_next(&srv->objects, &pos, &id, &v)) {
		const mobj *o = v;
		n += selected(&sel, idmap_get(names, id), o); // count
	}
	if (kept > 1) {
		qsort_r(rows, kept, sizeof(*rows), by_key, (void *) q);
	}
	for (size_t i = q->offset; rows != NULL && i < kept
	     && i - q->offset < q->limit && r->rv == 0;
	     i++) {
		const mobj *o = store_find(srv, rows[i].id);
		sval        d = report_dict(r);
		put_common(r, &d, o, names);
		if (o->type->held_by != NULL) {
			report_put(
			    r, &d, "holders", holders_list(r, &h, o->id));
		}
		report_put_int(r, &d, "waiters", (int64_t) rows[i].waiters);
		report_append(r, &list, d);
	}
	free(rows);
	free(wc.ids);
	free(h.v);
	report_put_int(r, &out, "total", (int64_t) n);
	report_put_int(r, &out, "offset", (int64_t) q->offset);
	report_put(r, &out, "objects", list);
	return out;
}

typedef struct entries_arg {
	report *r;
	sval   *list;
} entries_arg;

static void
add_entry(void *arg, const sval *key, const sval *val)
{
	entries_arg *a = arg;
	char         buf[256];
	if (key != NULL) {
		sval pair = report_list(a->r);
		report_append(a->r, &pair,
		    report_str(a->r, sv_repr(key, buf, sizeof(buf))));
		report_append(a->r, &pair,
		    report_str(a->r, sv_repr(val, buf, sizeof(buf))));
		report_append(a->r, a->list, pair);
	} else {
		report_append(a->r, a->list,
		    report_str(a->r, sv_repr(val, buf, sizeof(buf))));
	}
}

sval
describe_object(
    server *srv, uint64_t id, const idmap *names, report *r, bool *found)
{
	mobj *o = store_find(srv, id);
	*found  = o != NULL;
	sval d  = report_dict(r);
	if (o == NULL) {
		return d;
	}
	int64_t now = clock_ms();
	put_common(r, &d, o, names);
	if (o->type->held_by != NULL) {
		holds h;
		if (holds_collect(srv, &h) != 0) {
			r->rv = MGR_ENOMEM;
			return d;
		}
		report_put(r, &d, "holders", holders_list(r, &h, id));
		free(h.v);
	}
	report_put(r, &d, "waiters", waiters_list(r, srv, o, now));
	if (o->type->entries != NULL) {
		sval        list = report_list(r);
		entries_arg a    = { r, &list };
		o->type->entries(o, DESCRIBE_ENTRIES, add_entry, &a);
		report_put(r, &d, "entries", list);
	}
	return d;
}

/* ---- locks and waits: the wait-for graph ------------------------------- */

/* Session from waits for obj, which to holds. */
typedef struct edge {
	const session *from, *to;
	const mobj    *obj;
} edge;

#define CYCLE_MAX 64 /* sessions in one reported cycle */

typedef struct walk {
	const edge     *e;
	size_t          ne;
	const session  *start;
	const edge     *path[CYCLE_MAX];
	size_t          len;
	const session **seen; /* explored from this start */
	size_t          nseen;
} walk;

static bool
seen_before(walk *w, const session *s)
{
	for (size_t i = 0; i < w->nseen; i++) {
		if (w->seen[i] == s) {
			return true;
		}
	}
	w->seen[w->nseen++] = s;
	return false;
}

/* A path of edges from at back to w->start through sessions with larger
 * ids only (so each cycle is found once, from its smallest session). */
static bool
dfs(walk *w, const session *at)
{
	for (size_t j = 0; j < w->ne; j++) {
		const edge *x = &w->e[j];
		if (x->from != at || session_id(x->to) < session_id(w->start)
		    || w->len == CYCLE_MAX) {
			continue;
		}
		w->path[w->len++] = x;
		if (x->to == w->start
		    || (!seen_before(w, x->to) && dfs(w, x->to))) {
			return true;
		}
		w->len--;
	}
	return false;
}

/* Every edge of the wait-for graph: from each waiting session to each
 * other session holding what it waits for. NULL with *n 0 when none;
 * MGR_ENOMEM in r. */
static edge *
edges_collect(server *srv, const holds *h, size_t *n, report *r)
{
	edge  *e   = NULL;
	size_t cap = 0;
	*n         = 0;
	for (const session *s = srv->sessions; s != NULL; s = s->next) {
		for (const waiter *w = s->waiters; w != NULL; w = w->snext) {
			for (const hold *x = holds_of(h, w->obj->id);
			     x != NULL && x < h->v + h->n
			     && x->obj == w->obj->id;
			     x++) {
				if (x->s == s) {
					continue;
				}
				if (*n == cap) {
					cap = cap ? cap * 2 : 16;
					edge *nv
					    = realloc(e, cap * sizeof(*nv));
					if (nv == NULL) {
						free(e);
						*n    = 0;
						r->rv = MGR_ENOMEM;
						return NULL;
					}
					e = nv;
				}
				e[(*n)++] = (edge) { s, x->s, w->obj };
			}
		}
	}
	return e;
}

sval
describe_waits(server *srv, const idmap *names, report *r)
{
	int64_t now = clock_ms();
	holds   h;
	sval    out = report_dict(r), locks = report_list(r),
	     cycles = report_list(r);
	if (holds_collect(srv, &h) != 0) {
		r->rv = MGR_ENOMEM;
		return out;
	}
	// Each held object, with its holders and its queue of waiters: the
	// first DESCRIBE_PAGE_MAX (the cycles below are found among all).
	size_t nlocks = 0;
	for (size_t i = 0; i < h.n && r->rv == 0; i++) {
		if (i > 0 && h.v[i].obj == h.v[i - 1].obj) {
			continue;
		}
		if (nlocks++ >= DESCRIBE_PAGE_MAX) {
			continue;
		}
		const mobj *o = store_find(srv, h.v[i].obj);
		sval        d = report_dict(r);
		put_common(r, &d, o, names);
		report_put(r, &d, "holders", holders_list(r, &h, o->id));
		report_put(r, &d, "waiters", waiters_list(r, srv, o, now));
		report_append(r, &locks, d);
	}
	// Sessions waiting on each other in a circle: a deadlock.
	size_t ne;
	edge  *e = edges_collect(srv, &h, &ne, r);
	walk   w = { .e = e, .ne = ne };
	if (ne > 0 && (w.seen = malloc((ne + 1) * sizeof(*w.seen))) == NULL) {
		r->rv = MGR_ENOMEM;
	}
	for (size_t i = 0; i < ne && r->rv == 0; i++) {
		bool first = true; // each waiting session once, as a start
		for (size_t j = 0; j < i; j++) {
			first &= e[j].from != e[i].from;
		}
		if (!first) {
			continue;
		}
		w.start = e[i].from;
		w.len = w.nseen = 0;
		if (!dfs(&w, w.start)) {
			continue;
		}
		sval c = report_list(r);
		for (size_t k = 0; k < w.len; k++) {
			sval step = report_dict(r), what = report_dict(r);
			report_put_int(r, &step, "session",
			    (int64_t) session_id(w.path[k]->from));
			put_common(r, &what, w.path[k]->obj, names);
			report_put(r, &step, "waits_on", what);
			report_put_int(r, &step, "held_by",
			    (int64_t) session_id(w.path[k]->to));
			report_append(r, &c, step);
		}
		report_append(r, &cycles, c);
	}
	free(w.seen);
	free(e);
	free(h.v);
	report_put_int(r, &out, "locks_total", (int64_t) nlocks);
	report_put(r, &out, "locks", locks);
	report_put(r, &out, "cycles", cycles);
	return out;
}
