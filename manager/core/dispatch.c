/* Request dispatch: one table, indexed by operation, built from every
 * type's mop list. The dispatcher does the checks common to all handlers
 * (target exists and has the right type, argument count, argument
 * decoding) so that handlers only do their own work. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "server.h"
#include "session.h"
#include "wait.h"

extern const mop admin_ops[];

static const mtype *const all_types[] = {
	&dict_type,
	&list_type,
	&namespace_type,
	&queue_type,
	&lock_type,
	&rlock_type,
	&semaphore_type,
	&bounded_semaphore_type,
	&condition_type,
	&event_type,
	&barrier_type,
	&scalar_type,
	&array_type,
};

static const mop *const all_ops[] = {
	admin_ops,
	dict_ops,
	list_ops,
	namespace_ops,
	queue_ops,
	lock_ops,
	condition_ops,
	event_ops,
	barrier_ops,
	scalar_ops,
	array_ops,
};

#define MAX_OP 256
static const mop         *op_table[MAX_OP];
static pthread_once_t     table_once = PTHREAD_ONCE_INIT;

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

const mtype *
type_by_code(Mgr__ObjType code)
{
	for (size_t i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
		if (all_types[i]->code == code) {
			return all_types[i];
		}
	}
	return NULL;
}

const char *
op_name(Mgr__Op op)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&mgr__op__descriptor, (int) op);
	return v != NULL ? v->name + 3 : "unknown"; // skip "OP_"
}

/* Finds the target, checks it and the arguments, decodes them and runs
 * the handler; returns its status (or MGR_PENDING). */
static int
call(mctx *c, const mop *m)
{
	server             *srv = c->srv;
	const Mgr__Request *rq  = c->rq;
	int                 rv;

	if (m->types != 0 || rq->target != 0) {
		c->obj = store_find(srv, rq->target);
		if (c->obj == NULL) {
			return mctx_fail(c, MGR_ENOOBJ, "no object %llu (released "
			    "or never existed)", (unsigned long long) rq->target);
		}
		if (m->types != 0 && !(m->types & MT(c->obj->type->code))) {
			mctx_fail(c, MGR_ETYPE, "%s is not an operation of a %s",
			    op_name(rq->op), c->obj->type->name);
			c->obj = NULL; // not held
			return MGR_ETYPE;
		}
		// Held until the reply is sent: a handler may drop the last
		// other reference (clearing a container that holds itself),
		// and a borrowed result points into the object.
		mobj_incref(c->obj);
	}
	if (rq->n_args < m->min_args || rq->n_args > m->max_args) {
		return mctx_fail(c, MGR_EINVAL,
		    "%s takes %u to %u arguments (%zu given)", op_name(rq->op),
		    m->min_args, m->max_args, rq->n_args);
	}
	for (size_t i = 0; i < rq->n_args; i++) {
		if ((rv = sv_from_pb(srv, rq->args[i], &c->args[i])) != 0) {
			return mctx_fail(c, rv, "argument %zu: %s", i + 1,
			    rv == MGR_ENOOBJ ? "refers to an object that is gone"
			                     : mgr_strerror(rv));
		}
		c->nargs = i + 1;
	}
	return m->fn(c);
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
				rv = mctx_fail(c, MGR_ENOMEM, "out of memory");
			} else if ((rv = session_encode_value(
				    c->sess, res, &srv->txa, pv)) !=
			    0) {
				mctx_fail(c, rv, "cannot encode the result");
			} else {
				rp->result = pv;
			}
		}
	}
	if (rv != 0) {
		rp->result = NULL;
		rp->status = rv;
		size_t n   = strlen(c->err);
		char  *e   = arena_alloc(&srv->txa, n + 1);
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
	*c = (mctx){.srv = srv, .sess = s, .rq = rq, .args = small};
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

static const mop *
find_op(Mgr__Op op)
{
	pthread_once(&table_once, build_table);
	return (unsigned) op < MAX_OP ? op_table[op] : NULL;
}

/* ---- atomic batches ----------------------------------------------------------- */

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

/* Applies every sub-request under the lock, in order; if one fails, puts
 * back the copies taken of every object touched before it. */
static int
dispatch_batch(server *srv, session *s, const Mgr__Request *rq)
{
	size_t      n     = rq->n_batch;
	mctx       *cs    = calloc(n ? n : 1, sizeof(*cs));
	snap       *snaps = calloc(n ? n : 1, sizeof(*snaps));
	Mgr__Reply  rp    = MGR__REPLY__INIT;
	size_t      nsnap = 0, done = 0, failed = n;
	int         rv = 0;
	rp.id          = rq->id;
	if (cs == NULL || snaps == NULL) {
		free(cs);
		free(snaps);
		rp.status = MGR_ENOMEM;
		rp.error  = "out of memory";
		return session_send(s, &rp);
	}
	for (size_t i = 0; i < n && failed == n; i++) {
		const Mgr__Request *sub = rq->batch[i];
		mctx               *c   = &cs[i];
		const mop          *m   = find_op(sub->op);
		done                    = i + 1;
		if ((rv = ctx_init(c, srv, s, sub, NULL, 0)) != 0) {
			failed = i;
			break;
		}
		mobj *o = store_find(srv, sub->target);
		if (m == NULL || m->types == 0 || sub->n_batch > 0) {
			rv = mctx_fail(c, MGR_EINVAL,
			    "operation %zu: %s is not allowed in an atomic batch", i,
			    m ? op_name(sub->op) : "unknown");
		} else if (o != NULL && o->type->clone_data == NULL) {
			rv = mctx_fail(c, MGR_ETYPE,
			    "operation %zu: a %s can't be in an atomic batch", i,
			    o->type->name);
		} else {
			size_t k = 0;
			while (k < nsnap && snaps[k].o != o) {
				k++;
			}
			if (o != NULL && k == nsnap) {
				snaps[k].saved = o->type->clone_data(o);
				if (snaps[k].saved == NULL) {
					rv = mctx_fail(c, MGR_ENOMEM, "out of memory");
				} else {
					snaps[k].o = o;
					mobj_incref(o);
					nsnap++;
				}
			}
			if (rv == 0) {
				rv = call(c, m);
			}
			if (rv == MGR_PENDING) { // data types never park
				rv = mctx_fail(c, MGR_EINTERNAL, "parked in a batch");
			}
			// Later operations may change what a borrowed result
			// points to: keep a copy.
			if (rv == 0 && c->res_borrowed != NULL) {
				rv = sv_copy(&c->res, c->res_borrowed);
				c->res_borrowed = NULL;
			}
		}
		if (rv != 0) {
			failed = i;
		}
	}
	for (size_t k = 0; k < nsnap; k++) {
		mobj *o = snaps[k].o;
		if (failed < n) {
			void *changed = o->data;
			o->data       = snaps[k].saved;
			drop_data(o, changed);
		} else {
			drop_data(o, snaps[k].saved);
		}
		mobj_unhold(o);
	}
	size_t nrep = failed < n ? failed + 1 : n;
	rp.batch    = arena_alloc(&srv->txa, (nrep ? nrep : 1) * sizeof(*rp.batch));
	Mgr__Reply *subs = arena_alloc(&srv->txa, (nrep ? nrep : 1) * sizeof(*subs));
	if (rp.batch == NULL || subs == NULL) {
		rp.status = MGR_ENOMEM;
		rp.error  = "out of memory";
	} else {
		rp.n_batch = nrep;
		for (size_t i = 0; i < nrep; i++) {
			mgr__reply__init(&subs[i]);
			rp.batch[i] = &subs[i];
			if (failed < n && i < failed) {
				subs[i].id     = rq->batch[i]->id;
				subs[i].status = MGR_EABORTED;
				subs[i].error  = "not applied: the atomic batch failed";
			} else {
				encode(&cs[i], i == failed ? rv : 0, &subs[i]);
			}
		}
		if (failed < n) {
			rp.status = subs[failed].status;
			rp.error  = subs[failed].error;
		}
	}
	int sent = session_send(s, &rp);
	arena_reset(&srv->txa);
	for (size_t i = 0; i < done; i++) {
		ctx_fini(&cs[i], NULL);
	}
	free(cs);
	free(snaps);
	return sent;
}

int
dispatch(server *srv, session *s, const Mgr__Request *rq)
{
	if (rq->op == MGR__OP__OP_BATCH) {
		return dispatch_batch(srv, s, rq);
	}
	Mgr__Reply rp = MGR__REPLY__INIT;
	const mop *m  = find_op(rq->op);
	rp.id         = rq->id;
	if (m == NULL) {
		rp.status = MGR_EPROTO;
		rp.error  = "unknown operation";
		return session_send(s, &rp);
	}
	sval small[8];
	mctx c;
	int  rv   = ctx_init(&c, srv, s, rq, small, 8);
	int  sent = 0;
	if (rv == 0) {
		rv = call(&c, m);
	}
	if (rv != MGR_PENDING) { // parked: a waiter answers later
		encode(&c, rv, &rp);
		// Pack before the result (which the reply points into) goes.
		sent = session_send(s, &rp);
		arena_reset(&srv->txa);
	}
	ctx_fini(&c, small);
	return sent;
}
