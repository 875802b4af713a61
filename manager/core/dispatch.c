/* Request dispatch: one table, indexed by operation, built from every
 * type's mop list. The dispatcher does the checks common to all handlers
 * (target exists and has the right type, argument count, argument
 * decoding) so that handlers only do their own work. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "journal.h"
#include "log.h"
#include "server_state.h"
#include "session.h"
#include "stats.h"
#include "wait.h"

static const mop *const all_ops[] = {
#define MGR_TYPE(code, sym)
#define MGR_OPS(sym) sym,
#include "types.def"
#undef MGR_TYPE
#undef MGR_OPS
};

#define MAX_OP 256
static const mop     *op_table[MAX_OP];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void
build_table(void)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++) {
		for (const mop *m = all_ops[i]; m->fn != NULL; m++) {
			if ((unsigned) m->op < MAX_OP) {
				op_table[m->op] = m;
			}
		}
	}
}

/* The flags of request rq (operation m) on o: its own, when they depend
 * on the request (a custom object's method). */
static uint8_t
op_flags(const mop *m, const mobj *o, const Mgr__Request *rq)
{
	return o != NULL && o->type->op_flags != NULL
	        && o->secret == rq->secret
	    ? o->type->op_flags(o, rq)
	    : m->flags;
}

/* Whether a stale-read session (session.h) may make request rq (flags):
 * what reads, and attach, which only checks the object (such a session
 * holds no reference; its release is answered before, in call). */
static bool
stale_may(const Mgr__Request *rq, uint8_t flags)
{
	switch (rq->op) {
	case MGR__OP__OP_PING:
	case MGR__OP__OP_BYE:
	case MGR__OP__OP_ATTACH:
	case MGR__OP__OP_NAME_GET:
	case MGR__OP__OP_NAME_LIST:
	case MGR__OP__OP_INFO:
	case MGR__OP__OP_SESSIONS:
	case MGR__OP__OP_OBJECTS:
	case MGR__OP__OP_WAITS:
		return true;
	default:
		return (flags & (MOP_WRITE | MOP_BLOCKS | MOP_ADMIN)) == 0;
	}
}

/* Finds the target, checks it and the arguments, decodes them and runs
 * the handler; returns its status (or MGR_PENDING). */
static int
call(mctx *c, const mop *m)
{
	server             *srv = c->srv;
	const Mgr__Request *rq  = c->rq;
	int                 rv;

	c->op_flags = m->flags; // wait_park checks MOP_BLOCKS
	if (c->sess != NULL && c->sess->stale_reads
	    && rq->op == MGR__OP__OP_RELEASE) {
		return 0; // it took no reference to give back, gone or not
	}
	if (m->types != 0 || rq->target != 0) {
		c->obj = store_find(srv, rq->target);
		// A request must carry its target's secret: the same answer
		// as for a stale id, so that ids can't be probed.
		if (c->obj != NULL && c->obj->secret != rq->secret) {
			c->obj = NULL;
		}
		if (c->obj == NULL) {
			return mctx_fail(c, MGR_ENOOBJ,
			    "no object %llu (released "
			    "or never existed)",
			    (unsigned long long) rq->target);
		}
		if (m->types != 0 && !(m->types & MT(c->obj->type->code))) {
			mctx_fail(c, MGR_ETYPE,
			    "%s is not an operation of a %s",
			    registry_op_name(rq->op), c->obj->type->name);
			c->obj = NULL; // not held
			return MGR_ETYPE;
		}
		// Held until the reply is sent: a handler may drop the last
		// other reference (clearing a container that holds itself),
		// and a borrowed result points into the object.
		mobj_incref(c->obj);
	}
	// A custom object's method says itself whether it may grow.
	uint8_t flags = c->obj != NULL ? op_flags(m, c->obj, rq) : m->flags;
	if (c->sess != NULL && c->sess->stale_reads) {
		if (!stale_may(rq, flags)) {
			return mctx_fail(c, MGR_ESTATE,
			    "%s refused: a stale-read session "
			    "(mgr_opts.stale_reads) only reads; make it on "
			    "a client without stale_reads",
			    registry_op_name(rq->op));
		}
	}
	if ((flags & MOP_GROWS) && srv->lim.max_memory != 0
	    && !journal_replaying(srv)
	    && server_memory(srv) > srv->lim.max_memory) {
		// As Redis's noeviction: what would add is refused, what
		// reads or frees goes on.
		log_msg(LOG_WARN,
		    "refused %s: %zu bytes in use, over "
		    "--max-memory %zu",
		    registry_op_name(rq->op), server_memory(srv),
		    srv->lim.max_memory);
		return mctx_fail(c, MGR_ETOOBIG,
		    "%s refused: the manager holds %zu bytes, over its "
		    "limit of %zu (--max-memory)",
		    registry_op_name(rq->op), server_memory(srv),
		    srv->lim.max_memory);
	}
	char full[200];
	if ((flags & MOP_WRITE) && journal_refuses(srv, full, sizeof(full))) {
		// As Redis refuses writes it cannot persist: what is
		// acknowledged is in the log, and reads go on.
		log_refused(LOG_WARN, "writes the data directory cannot take",
		    c->sess != NULL ? c->sess->peer : "local",
		    "refused %s: %s", registry_op_name(rq->op), full);
		return mctx_fail(c, MGR_ETOOBIG,
		    "%s refused: the data directory cannot take more (%s); "
		    "reads go on",
		    registry_op_name(rq->op), full);
	}
	if ((flags & MOP_WHOLE) && c->obj != NULL
	    && (rv = mctx_check_elements(c,
	            mobj_whole_values(
	                c->obj, (int) rq->op, srv->lim.max_op_elements),
	            registry_op_name(rq->op)))
	        != 0) {
		return rv;
	}
	if (rq->n_args < m->min_args || rq->n_args > m->max_args) {
		return mctx_fail(c, MGR_EINVAL,
		    "%s takes %u to %u arguments (%zu given)",
		    registry_op_name(rq->op), m->min_args, m->max_args,
		    rq->n_args);
	}
	for (size_t i = 0; i < rq->n_args; i++) {
		if ((rv = sv_from_pb(srv, rq->args[i], &c->args[i])) != 0) {
			return mctx_fail(c, rv, "argument %zu: %s", i + 1,
			    rv == MGR_ENOOBJ
			        ? "refers to an object that is gone"
			        : mgr_strerror(rv));
		}
		c->nargs = i + 1;
		// A value stored counts its nested elements too: one element
		// of a dict may not carry a list of a million.
		size_t max = srv->lim.max_items;
		if (sv_nested_count(&c->args[i], max) > max) {
			return mctx_fail(c, MGR_ETOOBIG,
			    "argument %zu: a value of more than %zu "
			    "elements, "
			    "nested ones counted (--max-items)",
			    i + 1, max);
		}
	}
	rv = m->fn(c);
	if (c->obj != NULL) {
		stats_note_size(srv, c->obj); // its size may have changed
	}
	return rv;
}

/* Fills rp from c's outcome (rv), allocating from the reply arena. */
static void
encode(mctx *c, int rv, Mgr__Reply *rp)
{
	server *srv = c->srv;
	rp->id      = c->rq->id;
	if (rv == 0) {
		const sval *res = c->res_borrowed ? c->res_borrowed : &c->res;
		if (res->kind != SV_NONE || c->res_borrowed != NULL) {
			Mgr__Value *pv = arena_alloc(&srv->txa, sizeof(*pv));
			if (pv == NULL) {
				rv = mctx_fail(
				    c, MGR_ENOMEM, "out of memory");
			} else if ((rv = session_encode_value(
			                c->sess, res, &srv->txa, pv))
			    != 0) {
				mctx_fail(c, rv, "cannot encode the result");
			} else {
				rp->result = pv;
			}
		}
	}
	if (rv != 0) {
		rp->result = NULL;
		rp->status = rv;
		Mgr__Value *pv;
		if (c->res_on_failure
		    && (pv = arena_alloc(&srv->txa, sizeof(*pv))) != NULL
		    && session_encode_value(c->sess, &c->res, &srv->txa, pv)
		        == 0) {
			rp->result = pv;
		}
		size_t n = strlen(c->err);
		char  *e = arena_alloc(&srv->txa, n + 1);
		if (e != NULL) {
			memcpy(e, c->err, n + 1);
			rp->error = e;
		}
	}
}

static int
ctx_init(mctx *c, server *srv, session *s, const Mgr__Request *rq,
    sval *small, size_t nsmall)
{
	*c = (mctx) { .srv = srv, .sess = s, .rq = rq, .args = small };
	if (rq->n_args > nsmall) {
		c->args = calloc(rq->n_args, sizeof(sval));
		if (c->args == NULL) {
			c->args = small;
			return mctx_fail(c, MGR_ENOMEM, "out of memory");
		}
	}
	return 0;
}

static void
ctx_fini(mctx *c, sval *small)
{
	for (size_t i = 0; i < c->nargs; i++) {
		sv_free(&c->args[i]);
	}
	if (c->args != small) {
		free(c->args);
	}
	sv_free(&c->res);
	if (c->obj != NULL) {
		mobj_unhold(c->obj);
	}
}

const mop *
dispatch_op(Mgr__Op op)
{
	pthread_once(&table_once, build_table);
	return (unsigned) op < MAX_OP ? op_table[op] : NULL;
}

/* ---- atomic batches
 * ----------------------------------------------------------- */

typedef struct snap {
	mobj *o;
	void *saved; /* a copy of o->data from before the batch */
} snap;

/* Frees a data copy (through the type's destroy on a stand-in). */
static void
drop_data(mobj *o, void *data)
{
	mobj tmp = *o;
	tmp.data = data;
	o->type->destroy(&tmp);
}

/* Why sub-request i (operation m, on o) can't be in an atomic batch, as
 * a status with c's detail set; 0 when it can. Checked for every
 * sub-request before any runs. */
static int
batch_refuses(mctx *c, size_t i, const mop *m, const Mgr__Request *sub)
{
	if (m == NULL || (m->flags & MOP_ADMIN) || sub->n_batch > 0) {
		return mctx_fail(c, MGR_EINVAL,
		    "operation %zu: %s is not allowed in an atomic batch", i,
		    m ? registry_op_name(sub->op) : "unknown");
	}
	mobj *o = store_find(c->srv, sub->target);
	if (o == NULL) {
		return 0; // the call says MGR_ENOOBJ, in its turn
	}
	uint8_t flags = op_flags(m, o, sub);
	if (flags & MOP_BLOCKS) {
		// Nothing may wait under the batch: the objects that wait
		// are the synchronization types.
		return mctx_fail(c, MGR_ETYPE,
		    "operation %zu: %s may block and can't be in an atomic "
		    "batch",
		    i, registry_op_name(sub->op));
	}
	if ((flags & MOP_WRITE) && o->type->clone_data == NULL) {
		return mctx_fail(c, MGR_ETYPE,
		    "operation %zu: a %s can't be changed in an atomic batch",
		    i, o->type->name);
	}
	return 0;
}

/* The batch's undo log: a copy of each object it writes, taken before its
 * first write. */
typedef struct undo_log {
	snap  *snaps;
	size_t n;
	size_t elements; /* of the objects copied */
} undo_log;

/* Copies o's data into the log unless it is there already. */
static int
undo_save(undo_log *u, mctx *c, mobj *o)
{
	for (size_t k = 0; k < u->n; k++) {
		if (u->snaps[k].o == o) {
			return 0;
		}
	}
	// A copy of each object written: a batch that writes a list of a
	// million copies a million, under the lock.
	size_t n  = o->type->size != NULL
	     ? mobj_whole_values(o, 0, c->srv->lim.max_op_elements)
	     : 1;
	int    rv = mctx_check_elements(c, u->elements + n,
	       "the atomic batch's undo "
	          "copies");
	if (rv != 0) {
		return rv;
	}
	u->elements += n;
	void *saved = o->type->clone_data(o);
	if (saved == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	u->snaps[u->n++] = (snap) { .o = o, .saved = saved };
	mobj_incref(o);
	return 0;
}

/* Puts every copy back (failed) or drops them (committed: each object
 * hears that it changed). */
static void
undo_finish(undo_log *u, bool failed)
{
	for (size_t k = 0; k < u->n; k++) {
		mobj *o = u->snaps[k].o;
		if (failed && o->type->restore != NULL) {
			o->type->restore(o, u->snaps[k].saved);
		} else if (failed) {
			void *changed = o->data;
			o->data       = u->snaps[k].saved;
			drop_data(o, changed);
		} else {
			drop_data(o, u->snaps[k].saved);
			if (o->type->changed != NULL) {
				o->type->changed(o);
			}
		}
		stats_note_size(o->srv, o); // put back, or changed
		mobj_unhold(o);
	}
}

/* Runs sub-request i in cs[i]: its status. */
static int
batch_run_one(undo_log *u, mctx *c, const mop *m)
{
	int   rv = 0;
	mobj *o  = store_find(c->srv, c->rq->target);
	if (o != NULL && (op_flags(m, o, c->rq) & MOP_WHOLE)) {
		// The whole batch runs in one hold: its entries' walks add
		// up, as its copies do.
		u->elements += mobj_whole_values(
		    o, (int) c->rq->op, c->srv->lim.max_op_elements);
		rv = mctx_check_elements(c, u->elements, "the atomic batch");
	}
	if (rv == 0 && o != NULL && (op_flags(m, o, c->rq) & MOP_WRITE)) {
		rv = undo_save(u, c, o);
	}
	if (rv == 0) {
		rv = call(c, m);
	}
	// An entry that searched or moved a list's elements adds that up
	// too: 2,000 inserts at the front of a big list held everyone
	// for seconds. Over the limit the batch fails and is undone.
	u->elements += c->work;
	if (rv == 0 && c->work > 0) {
		rv = mctx_check_elements(c, u->elements, "the atomic batch");
	}
	// Later operations may change what a borrowed result points to:
	// keep a copy.
	if (rv == 0 && c->res_borrowed != NULL) {
		rv              = sv_copy(&c->res, c->res_borrowed);
		c->res_borrowed = NULL;
	}
	return rv;
}

/* The batch's reply: a sub-reply per operation up to the one that failed
 * (those before it MGR_EABORTED), or every result. */
static void
batch_reply(
    mctx *cs, const Mgr__Request *rq, size_t failed, int rv, Mgr__Reply *rp)
{
	server     *srv  = cs[0].srv;
	size_t      n    = rq->n_batch;
	size_t      nrep = failed < n ? failed + 1 : n;
	Mgr__Reply *subs = arena_alloc(&srv->txa, nrep * sizeof(*subs));
	rp->batch        = arena_alloc(&srv->txa, nrep * sizeof(*rp->batch));
	if (rp->batch == NULL || subs == NULL) {
		rp->batch  = NULL;
		rp->status = MGR_ENOMEM;
		rp->error  = "out of memory";
		return;
	}
	rp->n_batch = nrep;
	for (size_t i = 0; i < nrep; i++) {
		mgr__reply__init(&subs[i]);
		rp->batch[i] = &subs[i];
		if (failed < n && i < failed) {
			subs[i].id     = rq->batch[i]->id;
			subs[i].status = MGR_EABORTED;
			subs[i].error
			    = "not applied: the atomic batch failed";
		} else {
			encode(&cs[i], i == failed ? rv : 0, &subs[i]);
		}
	}
	if (failed < n) {
		rp->status = subs[failed].status;
		rp->error  = subs[failed].error;
	}
}

/* Whether a batch that ran wrote anything. */
static bool
batch_writes(const mctx *cs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (cs[i].op_flags & MOP_WRITE) {
			return true;
		}
	}
	return false;
}

/* Applies every sub-request under the lock, in order, after checking
 * them all; if one fails, puts back the copies taken of every object
 * written before it. */
static int
dispatch_batch(server *srv, session *s, const Mgr__Request *rq,
    const journal_mark *begun)
{
	size_t     n  = rq->n_batch;
	mctx      *cs = calloc(n ? n : 1, sizeof(*cs));
	undo_log   u  = { .snaps = calloc(n ? n : 1, sizeof(snap)), .n = 0 };
	Mgr__Reply rp = MGR__REPLY__INIT;
	size_t     inited = 0, failed = n;
	int        rv = 0;
	rp.id         = rq->id;
	if (cs == NULL || u.snaps == NULL) {
		free(cs);
		free(u.snaps);
		journal_end(srv);
		rp.status = MGR_ENOMEM;
		rp.error  = "out of memory";
		return session_send(s, rq->seq, &rp);
	}
	for (size_t i = 0; i < n && failed == n; i++, inited++) {
		if ((rv = ctx_init(&cs[i], srv, s, rq->batch[i], NULL, 0))
		        != 0
		    || (rv = batch_refuses(&cs[i], i,
		            dispatch_op(rq->batch[i]->op), rq->batch[i]))
		        != 0) {
			failed = i;
		}
	}
	for (size_t i = 0; i < n && failed == n; i++) {
		cs[i].batch       = cs; // what ASSERT compares
		cs[i].batch_index = i;
		if ((rv = batch_run_one(
		         &u, &cs[i], dispatch_op(rq->batch[i]->op)))
		    != 0) {
			failed = i;
		}
	}
	undo_finish(&u, failed < n);
	if (n > 0) {
		batch_reply(cs, rq, failed, rv, &rp);
	}
	// Undone when one failed: then it wrote nothing.
	journal_request(srv, s, rq, failed == n && batch_writes(cs, n), begun,
	    session_next_reply(s));
	int sent = session_send(s, rq->seq, &rp);
	for (size_t i = 0; i < inited; i++) {
		ctx_fini(&cs[i], NULL);
	}
	free(cs);
	free(u.snaps);
	return sent;
}

/* --log-level debug: one line per request, what Redis's MONITOR shows
 * less the arguments (which may be large or secret). */
static void
log_request(session *s, const Mgr__Request *rq, int rv, const char *err)
{
	char name[80] = "";
	if (rq->name != NULL && rq->name[0] != '\0') {
		char e[64];
		log_escape(rq->name, e, sizeof(e));
		snprintf(name, sizeof(name), " '%s'", e);
	}
	log_msg(LOG_DEBUG, "session %llu: %s%s on %llu -> %s%s%s",
	    (unsigned long long) session_id(s), registry_op_name(rq->op),
	    name, (unsigned long long) rq->target,
	    rv == MGR_PENDING ? "waiting"
	        : rv == 0     ? "ok"
	                      : mgr_strerror(rv),
	    err != NULL && err[0] != '\0' ? ": " : "",
	    err != NULL ? err : "");
}

/* A barrier's wait leaves nothing once its parties pass (its breaking is
 * logged as an abort); a condition's wait is logged as its lock's release
 * and acquire: neither is logged as itself. */
static bool
journaled_op(Mgr__Op op)
{
	return op != MGR__OP__OP_BARRIER_WAIT && op != MGR__OP__OP_COND_WAIT;
}

int
dispatch(server *srv, session *s, const Mgr__Request *rq)
{
	server_lock_holder(srv, registry_op_name(rq->op));
	journal_mark begun = journal_begin(srv, s);
	if (rq->op == MGR__OP__OP_BATCH) {
		if (log_level_now() >= LOG_DEBUG) {
			log_msg(LOG_DEBUG, "session %llu: batch of %zu",
			    (unsigned long long) session_id(s), rq->n_batch);
		}
		int sent = dispatch_batch(srv, s, rq, &begun);
		store_free_step(srv, STORE_FREE_STEP);
		return sent;
	}
	Mgr__Reply rp = MGR__REPLY__INIT;
	const mop *m  = dispatch_op(rq->op);
	rp.id         = rq->id;
	if (m == NULL) {
		journal_end(srv);
		rp.status = MGR_EPROTO;
		rp.error  = "unknown operation";
		return session_send(s, rq->seq, &rp);
	}
	sval small[8];
	mctx c;
	int  rv   = ctx_init(&c, srv, s, rq, small, 8);
	int  sent = 0;
	if (rv == 0) {
		rv = call(&c, m);
	}
	if (log_level_now() >= LOG_DEBUG) {
		log_request(s, rq, rv, c.err);
	}
	if (rv != MGR_PENDING) { // parked: a waiter answers later
		encode(&c, rv, &rp);
		// Logged before its reply is queued (the reply waits for it).
		journal_request(srv, s, rq,
		    rv == 0 && rp.status == 0 && (c.op_flags & MOP_WRITE)
		        && journaled_op(rq->op),
		    &begun, session_next_reply(s));
		// Pack before the result (which the reply points into) goes.
		sent = session_send(s, rq->seq, &rp);
	} else {
		journal_end(srv);
	}
	ctx_fini(&c, small);
	// A slice of what big containers let go still hold.
	store_free_step(srv, STORE_FREE_STEP);
	return sent;
}

/* ---- an operator's actions ----------------------------------------------
 */

/* Applies rq as the manager itself: no session, no reply, the same
 * handler and checks as a client's request. Only for operations that act
 * for nobody and never park. srv->mtx held. */
static int
dispatch_as_manager(
    server *srv, const Mgr__Request *rq, sval *res, char *err, size_t cap)
{
	const mop *m = dispatch_op(rq->op);
	if (m == NULL || (m->flags & MOP_BLOCKS) != 0) {
		snprintf(err, cap, "not an operator's action");
		return MGR_EINVAL;
	}
	sval         small[1];
	mctx         c;
	int          rv    = ctx_init(&c, srv, NULL, rq, small, 1);
	journal_mark begun = journal_begin(srv, NULL);
	if (rv == 0) {
		rv = call(&c, m);
	}
	journal_request(srv, NULL, rq, rv == 0, &begun, 0);
	if (rv == 0) {
		*res  = c.res;
		c.res = SV_NONE_INIT; // the caller's now
	}
	snprintf(err, cap, "%s", c.err);
	ctx_fini(&c, small);
	return rv;
}

/* Whether an operator may act on srv now: not on a cluster's follower,
 * whose state is the group's log's and changed by nothing else (err says
 * so). srv->mtx held. */
static bool
operator_may_act(server *srv, char *err, size_t cap)
{
	if (journal_replaying(srv)) {
		snprintf(err, cap,
		    "this member of the cluster does not lead it: act on the "
		    "leader");
		return false;
	}
	return true;
}

int
server_purge_queue(
    server *srv, uint64_t id, size_t *dropped, char *err, size_t cap)
{
	server_lock(srv);
	mobj        *o  = store_find(srv, id);
	Mgr__Request rq = MGR__REQUEST__INIT;
	rq.op           = MGR__OP__OP_QUEUE_PURGE;
	rq.target       = id;
	rq.secret       = o != NULL ? o->secret : 0;
	sval res        = SV_NONE_INIT;
	int  rv         = operator_may_act(srv, err, cap)
	             ? dispatch_as_manager(srv, &rq, &res, err, cap)
	             : MGR_ESTATE;
	server_unlock(srv); // writes the replies of the putters let in
	*dropped = rv == 0 && res.kind == SV_INT ? (size_t) res.i : 0;
	sv_free(&res);
	return rv;
}

int
server_name_del(server *srv, const char *name, char *err, size_t cap)
{
	Mgr__Request rq = MGR__REQUEST__INIT;
	rq.op           = MGR__OP__OP_NAME_DEL;
	rq.name         = (char *) name; // read only
	sval res        = SV_NONE_INIT;
	server_lock(srv);
	int rv = operator_may_act(srv, err, cap)
	    ? dispatch_as_manager(srv, &rq, &res, err, cap)
	    : MGR_ESTATE;
	server_unlock(srv); // an object the name alone kept is gone
	sv_free(&res);
	return rv;
}

/* ---- the data directory's replay ---------------------------------------
 */

int
dispatch_again(
    server *srv, session *s, const Mgr__Request *rq, uint64_t reply_no)
{
	if (s == NULL) {
		sval res = SV_NONE_INIT;
		char err[200];
		(void) dispatch_as_manager(srv, rq, &res, err, sizeof(err));
		sv_free(&res);
		return 0;
	}
	size_t parked = s->nwaiters;
	if (s->reconnect) {
		// As it came: the replies its client had read are forgotten,
		// and its reply is recorded for a retry after the restart.
		replay_ack(&s->record, rq->ack);
		if (rq->seq != 0 && replay_begin(&s->record, rq->seq) != 0) {
			return MGR_ENOMEM;
		}
	}
	(void) dispatch(srv, s, rq);
	if (s->nwaiters > parked) {
		return MGR_PENDING;
	}
	if (reply_no != 0) {
		if (s->reconnect && rq->seq != 0) {
			replay_sent(&s->record, rq->seq, reply_no);
		}
		if (reply_no > s->replies_sent) {
			s->replies_sent = reply_no;
		}
	}
	return 0;
}
