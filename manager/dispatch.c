/* Request dispatch: one table, indexed by operation, built from every
 * type's mop list. The dispatcher does the checks common to all handlers
 * (target exists and has the right type, argument count, argument
 * decoding) so that handlers only do their own work. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"
#include "wait.h"

extern const mop admin_ops[];

/* TEMPORARY while the types of the synchronization issue are written in
 * parallel: weak, so that a missing one is NULL (skipped). */
#pragma weak queue_type
#pragma weak queue_ops
#pragma weak lock_type
#pragma weak rlock_type
#pragma weak semaphore_type
#pragma weak bounded_semaphore_type
#pragma weak lock_ops
#pragma weak condition_type
#pragma weak condition_ops
#pragma weak event_type
#pragma weak event_ops
#pragma weak barrier_type
#pragma weak barrier_ops
#pragma weak scalar_type
#pragma weak scalar_ops
#pragma weak array_type
#pragma weak array_ops

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
		for (const mop *m = all_ops[i]; m != NULL && m->fn != NULL; m++) {
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
		if (all_types[i] != NULL && all_types[i]->code == code) {
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

int
mctx_fail(mctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return code;
}

int
mctx_arg_int(mctx *c, size_t i, int64_t *out)
{
	if (i >= c->nargs || c->args[i].kind != SV_INT) {
		return mctx_fail(c, MGR_ETYPE, "argument %zu must be an int, not %s",
		    i + 1, i < c->nargs ? sv_type_name(&c->args[i]) : "missing");
	}
	*out = c->args[i].i;
	return 0;
}

int
mctx_arg_bool(mctx *c, size_t i, bool *out)
{
	if (i >= c->nargs || c->args[i].kind != SV_BOOL) {
		return mctx_fail(c, MGR_ETYPE, "argument %zu must be a bool, not %s",
		    i + 1, i < c->nargs ? sv_type_name(&c->args[i]) : "missing");
	}
	*out = c->args[i].b;
	return 0;
}

int
mctx_arg_str(mctx *c, size_t i, const char **s, size_t *len)
{
	if (i >= c->nargs || c->args[i].kind != SV_STR) {
		return mctx_fail(c, MGR_ETYPE, "argument %zu must be a str, not %s",
		    i + 1, i < c->nargs ? sv_type_name(&c->args[i]) : "missing");
	}
	*s = c->args[i].str->data;
	if (len != NULL) {
		*len = c->args[i].str->len;
	}
	return 0;
}

/* Decodes, runs and encodes; returns the status. */
static int
run(mctx *c, const mop *m, Mgr__Reply *rp)
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
	if ((rv = m->fn(c)) != 0) {
		return rv; // an error, or MGR_PENDING
	}
	const sval *res = c->res_borrowed ? c->res_borrowed : &c->res;
	if (res->kind != SV_NONE || c->res_borrowed != NULL) {
		Mgr__Value *pv = arena_alloc(&srv->txa, sizeof(*pv));
		if (pv == NULL) {
			return mctx_fail(c, MGR_ENOMEM, "out of memory");
		}
		if ((rv = sv_to_pb(res, &srv->txa, c->sess, pv)) != 0) {
			return mctx_fail(c, rv, "cannot encode the result");
		}
		rp->result = pv;
	}
	return 0;
}

int
dispatch(server *srv, session *s, const Mgr__Request *rq)
{
	pthread_once(&table_once, build_table);
	Mgr__Reply rp = MGR__REPLY__INIT;
	rp.id         = rq->id;

	const mop *m = (unsigned) rq->op < MAX_OP ? op_table[rq->op] : NULL;
	if (m == NULL) {
		rp.status = MGR_EPROTO;
		rp.error  = "unknown operation";
		return session_send(s, &rp);
	}
	sval small[8];
	mctx c = {.srv = srv, .sess = s, .rq = rq, .args = small};
	if (rq->n_args > 8) {
		c.args = calloc(rq->n_args, sizeof(sval));
		if (c.args == NULL) {
			rp.status = MGR_ENOMEM;
			rp.error  = "out of memory";
			return session_send(s, &rp);
		}
	}
	int rv   = run(&c, m, &rp);
	int sent = 0;
	if (rv == MGR_PENDING) {
		goto done; // parked: a waiter answers later
	}
	if (rv != 0) {
		rp.result = NULL;
		rp.status = rv;
		rp.error  = c.err;
	}
	// Pack before the result (which the reply points into) is freed.
	sent = session_send(s, &rp);
	arena_reset(&srv->txa);
done:
	for (size_t i = 0; i < c.nargs; i++) {
		sv_free(&c.args[i]);
	}
	if (c.args != small) {
		free(c.args);
	}
	sv_free(&c.res);
	if (c.obj != NULL) {
		mobj_decref(c.obj);
	}
	return sent;
}
