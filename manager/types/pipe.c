/* The conn type: one end of a pipe (Python's multiprocessing.Pipe). A
 * pipe is two conn objects over one core: each end's inbox (what the other
 * end sent it), its parked receivers and pollers, and whether it was
 * closed. The first end is created with (duplex); the second with a
 * reference to the first, which pairs them (once).
 *
 * A receive waits in the manager as a queue get does: parked in arrival
 * order with its timeout, cancelled when its session ends, never handed
 * to a dead client. Closing an end (or dropping its last reference) lets
 * the other end drain what was sent, then gives MGR_ECLOSED (Python's
 * EOFError); sending to a closed end is MGR_ECLOSED (BrokenPipeError).
 * Half-duplex: the first end only receives, the second only sends. */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "stats.h"
#include "svec.h"
#include "wait.h"

/* ==== pure data: the two ends' inboxes ================================== */

typedef struct pipe_side {
	svec  *inbox;   /* sent to this end, oldest first */
	size_t head;    /* inbox[head..len) are still to be received */
	wlist  getters; /* receives parked while the inbox is empty */
	wlist  pollers; /* polls parked while nothing is to be received */
	bool   closed;  /* this end was closed (or is gone) */
	bool   present; /* this end's object exists */
	mobj  *obj;     /* it, while present: a send changes its size */
} pipe_side;

typedef struct pipe_core {
	pipe_side side[2];
	bool      duplex;
	bool      paired; /* the second end exists (or existed) */
} pipe_core;

/* An end: its pipe, and which side it is. */
typedef struct pconn {
	pipe_core *core;
	int        me;
} pconn;

static size_t
inbox_len(const pipe_side *s)
{
	return svec_len(s->inbox) - s->head;
}

/* The oldest item of s moved to *out; s's inbox must not be empty. Space
 * is given back once half of the array is received. */
static void
inbox_pop(pipe_side *s, sval *out)
{
	*out = sv_move(svec_at(s->inbox, s->head++));
	if (s->head == svec_len(s->inbox)) {
		svec_clear(s->inbox);
		s->head = 0;
	} else if (s->head > 64 && s->head * 2 > svec_len(s->inbox)) {
		// Received ones are SV_NONE: deleting them frees nothing.
		size_t n = svec_len(s->inbox) - s->head;
		memmove(s->inbox->items, s->inbox->items + s->head,
		    n * sizeof(sval));
		s->inbox->len = n;
		s->head       = 0;
	}
}

static void
inbox_drop(pipe_side *s)
{
	svec_clear(s->inbox);
	s->head = 0;
}

/* A pipe with both inboxes empty, no end yet; NULL when out of memory. */
static pipe_core *
core_new(void)
{
	pipe_core *p = calloc(1, sizeof(*p));
	if (p == NULL || (p->side[0].inbox = svec_new(0)) == NULL
	    || (p->side[1].inbox = svec_new(0)) == NULL) {
		if (p != NULL) {
			svec_free(p->side[0].inbox);
		}
		free(p);
		return NULL;
	}
	return p;
}

/* ==== the type ========================================================== */

static pconn *
end_of(mobj *o)
{
	return o->data;
}

/* Whether a receive on side s would not wait: something to receive, or
 * the other end closed (a receive then says so at once). */
static bool
readable(const pipe_core *p, int s)
{
	return inbox_len(&p->side[s]) > 0 || p->side[1 - s].closed;
}

/* Answers side s's parked polls: something happened there. */
static void
wake_pollers(pipe_core *p, int s)
{
	while (p->side[s].pollers.head != NULL) {
		sval yes = sv_bool(true);
		waiter_done(p->side[s].pollers.head, 0, &yes);
	}
}

/* Closes side s: its own waiters get MGR_ECLOSED, its inbox goes; the
 * other end's receivers (parked: nothing left for them) see the end, and
 * its pollers are answered. */
static void
close_side(pipe_core *p, int s)
{
	pipe_side *me = &p->side[s], *peer = &p->side[1 - s];
	if (me->closed) {
		return;
	}
	me->closed = true;
	wlist_fail_all(&me->getters, MGR_ECLOSED);
	wlist_fail_all(&me->pollers, MGR_ECLOSED);
	inbox_drop(me);
	wlist_fail_all(&peer->getters, MGR_ECLOSED);
	wake_pollers(p, 1 - s);
}

/* CREATE (bool duplex): the first end of a new pipe. CREATE (ref first):
 * the second end of first's pipe. */
static int
conn_create(mobj *o, mctx *c)
{
	if (c->nargs != 1) {
		return mctx_fail(c, MGR_EINVAL,
		    "a pipe's end takes one argument (duplex, or the first "
		    "end), not %zu",
		    c->nargs);
	}
	pconn *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	const sval *a = &c->args[0];
	if (a->kind == SV_BOOL) {
		pipe_core *p = core_new();
		if (p == NULL) {
			free(e);
			return mctx_fail(c, MGR_ENOMEM, "out of memory");
		}
		p->duplex          = a->b;
		p->side[0].present = true;
		p->side[0].obj     = o;
		// Until the second end exists, the first waits for it: a
		// receive parks, a send is kept.
		e->core = p;
		e->me   = 0;
	} else if (a->kind == SV_REF && a->ref->type == o->type) {
		pipe_core *p = end_of(a->ref)->core;
		if (p->paired || end_of(a->ref)->me != 0) {
			free(e);
			return mctx_fail(c, MGR_ESTATE,
			    "that pipe has its second end already");
		}
		p->paired          = true;
		p->side[1].present = true;
		p->side[1].obj     = o;
		e->core            = p;
		e->me              = 1;
	} else {
		free(e);
		return mctx_fail(c, MGR_ETYPE,
		    "a pipe's end takes a bool (duplex) or the first end, "
		    "not %s",
		    sv_type_name(a));
	}
	o->data = e;
	return 0;
}

static void
conn_destroy(mobj *o)
{
	pconn     *e = end_of(o);
	pipe_core *p = e->core;
	close_side(p, e->me); // a dropped end is a closed one
	p->side[e->me].present = false;
	p->side[e->me].obj     = NULL;
	if (!p->side[1 - e->me].present) {
		svec_free(p->side[0].inbox);
		svec_free(p->side[1].inbox);
		free(p);
	}
	free(e);
	o->data = NULL;
}

static void
conn_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	pconn     *e = end_of(o);
	pipe_side *s = &e->core->side[e->me];
	for (size_t i = s->head; i < svec_len(s->inbox); i++) {
		sv_each_ref(svec_at(s->inbox, i), fn, arg);
	}
}

/* A receive's deadline: MGR_ETIMEDOUT; a poll's: false. */
static void
conn_expire(mobj *o, waiter *w)
{
	(void) o;
	if (w->op == MGR__OP__OP_CONN_POLL) {
		sval no = sv_bool(false);
		waiter_done(w, 0, &no);
	} else {
		waiter_done(w, MGR_ETIMEDOUT, NULL);
	}
}

/* A reconnecting receiver came back: what arrived while it was passed
 * over goes to the receivers that can be answered now, in order. */
static void
conn_wake(mobj *o)
{
	pconn     *e = end_of(o);
	pipe_side *s = &e->core->side[e->me];
	waiter    *g;
	while (
	    inbox_len(s) > 0 && (g = wlist_first_live(&s->getters)) != NULL) {
		sval v;
		inbox_pop(s, &v);
		waiter_done(g, 0, &v); // which frees v
	}
}

static size_t
conn_size(const mobj *o)
{
	const pconn *e = o->data;
	return inbox_len(&e->core->side[e->me]);
}

static void
conn_describe(const mobj *o, report *r, sval *d)
{
	const pconn     *e = o->data;
	const pipe_core *p = e->core;
	report_put(r, d, "duplex", sv_bool(p->duplex));
	report_put(r, d, "end", sv_int(e->me + 1));
	report_put(r, d, "closed", sv_bool(p->side[e->me].closed));
	report_put(r, d, "other_closed",
	    sv_bool(p->side[1 - e->me].closed
	        || (e->me == 1 && !p->side[0].present)));
	report_put_int(
	    r, d, "receivers", (int64_t) p->side[e->me].getters.len);
}

static void
conn_entries(const mobj *o, size_t                                 max,
    void (*fn)(void *arg, const sval *key, const sval *val), void *arg)
{
	const pconn     *e = o->data;
	const pipe_side *s = &e->core->side[e->me];
	for (size_t i = s->head; i < svec_len(s->inbox) && i - s->head < max;
	     i++) {
		fn(arg, NULL, svec_at(s->inbox, i));
	}
}

/* A snapshot's image of an end (snapshot.c): [which end, duplex, paired,
 * the other end's id (0: gone), each side's closed and present], then
 * what was sent to it and is not yet received. Parked receives and polls
 * are not kept (the log has them as waiters). */
static int
conn_save(mobj *o, struct snap_out *out)
{
	const pconn     *e       = end_of(o);
	const pipe_core *p       = e->core;
	const pipe_side *other   = &p->side[1 - e->me];
	sval             head[8] = { sv_int(e->me), sv_bool(p->duplex),
		            sv_bool(p->paired),
		            sv_int(other->present ? (int64_t) other->obj->id : 0),
		            sv_bool(p->side[0].closed), sv_bool(p->side[0].present),
		            sv_bool(p->side[1].closed), sv_bool(p->side[1].present) };
	int              rv      = snap_put_list(out, 0, head, 8);
	const pipe_side *mine    = &p->side[e->me];
	for (size_t i = mine->head; i < svec_len(mine->inbox) && rv == 0;
	     i++) {
		rv = snap_elem(out, NULL, svec_at(mine->inbox, i));
	}
	return rv;
}

static int
conn_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	if (part > 1) {
		pconn *e = end_of(o);
		return snap_load_items(e->core->side[e->me].inbox, image, in);
	}
	int64_t f[8];
	bool    ok = part == 1;
	for (size_t i = 0; i < 8 && ok; i++) {
		ok = snap_int(image, i, &f[i]) && f[i] >= 0;
	}
	int   me = ok && f[0] == 1 ? 1 : 0;
	mobj *other
	    = ok && f[3] != 0 ? store_find(o->srv, (uint64_t) f[3]) : NULL;
	if (!ok || f[0] > 1
	    || (f[3] != 0 && (other == NULL || other->type != o->type))) {
		return snap_bad(in,
		    "a pipe end's image is which end, its "
		    "pipe's flags and the other end");
	}
	pconn *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		return snap_bad(in, "out of memory");
	}
	e->me = me;
	if (other != NULL && other->data != NULL) {
		e->core = end_of(other)->core; // made by the other end's
	} else {
		pipe_core *p = core_new();
		if (p == NULL) {
			free(e);
			return snap_bad(in, "out of memory");
		}
		p->duplex           = f[1] != 0;
		p->paired           = f[2] != 0;
		p->side[0].closed   = f[4] != 0;
		p->side[0].present  = f[5] != 0;
		p->side[1].closed   = f[6] != 0;
		p->side[1].present  = f[7] != 0;
		p->side[1 - me].obj = other;
		e->core             = p;
	}
	e->core->side[me].obj = o;
	o->data               = e;
	return 0;
}

const mtype conn_type = {
	.code     = MGR__OBJ_TYPE__OBJ_CONN,
	.name     = "conn",
	.create   = conn_create,
	.destroy  = conn_destroy,
	.each_ref = conn_each_ref,
	.expire   = conn_expire,
	.wake     = conn_wake,
	.size     = conn_size,
	.describe = conn_describe,
	.entries  = conn_entries,
	.save     = conn_save,
	.load     = conn_load,
};

/* ==== handlers ========================================================== */

/* The end's side, or MGR_ECLOSED when it was closed. */
static int
open_end(mctx *c, pipe_core **p, int *me)
{
	pconn *e = end_of(c->obj);
	*p       = e->core;
	*me      = e->me;
	if ((*p)->side[*me].closed) {
		return mctx_fail(c, MGR_ECLOSED, "this end is closed");
	}
	return 0;
}

/* SEND value: to the other end's receiver, or its inbox. */
static int
h_send(mctx *c)
{
	pipe_core *p;
	int        me, rc;
	if ((rc = open_end(c, &p, &me)) != 0) {
		return rc;
	}
	if (!p->duplex && me == 0) {
		return mctx_fail(c, MGR_ESTATE,
		    "this end of a one-way pipe only receives");
	}
	pipe_side *to = &p->side[1 - me];
	if (to->closed) {
		return mctx_fail(
		    c, MGR_ECLOSED, "the other end is closed (broken pipe)");
	}
	waiter *g = wlist_first_live(&to->getters);
	if (g != NULL) {
		waiter_done(g, 0, &c->args[0]); // it was waiting: at once
		return 0;
	}
	if ((rc = mctx_check_room(c, inbox_len(to), 1)) != 0) {
		return rc;
	}
	if ((rc = svec_append(to->inbox, &c->args[0])) != 0) {
		return mctx_fail(c, rc, "out of memory");
	}
	if (to->obj != NULL) {
		stats_note_size(
		    c->srv, to->obj); // the other end's inbox grew
	}
	wake_pollers(p, 1 - me);
	return 0;
}

/* RECV -> the oldest item sent here, with the request's timeout. */
static int
h_recv(mctx *c)
{
	pipe_core *p;
	int        me, rc;
	if ((rc = open_end(c, &p, &me)) != 0
	    || (rc = mctx_check_timeout(c)) != 0) {
		return rc;
	}
	if (!p->duplex && me == 1) {
		return mctx_fail(
		    c, MGR_ESTATE, "this end of a one-way pipe only sends");
	}
	pipe_side *s = &p->side[me];
	if (inbox_len(s) > 0) {
		inbox_pop(s, &c->res);
		return 0;
	}
	if (p->side[1 - me].closed) {
		return mctx_fail(c, MGR_ECLOSED,
		    "the other end is closed and everything it sent was "
		    "received (EOF)");
	}
	if (c->rq->timeout_ms == 0) {
		return mctx_fail(c, MGR_ETIMEDOUT, "nothing to receive");
	}
	return wait_park(c, &s->getters, NULL);
}

/* POLL -> whether a receive would not wait, waiting up to the timeout. */
static int
h_poll(mctx *c)
{
	pipe_core *p;
	int        me, rc;
	if ((rc = open_end(c, &p, &me)) != 0
	    || (rc = mctx_check_timeout(c)) != 0) {
		return rc;
	}
	if (readable(p, me) || c->rq->timeout_ms == 0) {
		c->res = sv_bool(readable(p, me));
		return 0;
	}
	return wait_park(c, &p->side[me].pollers, NULL);
}

/* CLOSE: this end, for everyone holding it (Python's close). */
static int
h_close(mctx *c)
{
	pconn *e = end_of(c->obj);
	close_side(e->core, e->me);
	return 0;
}

#define T_CONN MT(MGR__OBJ_TYPE__OBJ_CONN)

const mop conn_ops[] = {
	{ MGR__OP__OP_CONN_SEND, T_CONN, 1, 1, MOP_WRITE | MOP_GROWS,
	    h_send },
	{ MGR__OP__OP_CONN_RECV, T_CONN, 0, 0, MOP_WRITE | MOP_BLOCKS,
	    h_recv },
	{ MGR__OP__OP_CONN_POLL, T_CONN, 0, 0, MOP_BLOCKS, h_poll },
	{ MGR__OP__OP_CONN_CLOSE, T_CONN, 0, 0, MOP_WRITE, h_close },
	{ 0 },
};
