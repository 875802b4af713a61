/* Batches: several operations sent together, either pipelined (one
 * write, each a request of its own) or atomic (one OP_BATCH request the
 * manager applies all or nothing). Operations are packed as they are
 * added, so their arguments need not outlive mgr_batch_add. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "op_check.h" /* mgr_op == the schema's Op, per value */
#include "wire.h"

typedef struct bres {
	int       status;
	mgr_value val;
} bres;

struct mgr_batch {
	mgr_client *c;
	uint8_t    *recs; /* [4-byte length][Request without id] ... */
	size_t      len;
	size_t      cap;
	size_t      n;
	bres       *res; /* after exec: n outcomes */
	size_t      nres;
	size_t      failed; /* after exec: the operation that failed it, or
	                       SIZE_MAX (mgr_batch_failed) */
	uint8_t *frames;    /* where exec builds its frames, kept for reuse */
	size_t   frames_cap;
};

int
mgr_batch_new(mgr_client *c, mgr_batch **b)
{
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(c);
	ARG_NONNULL(b);
	mgr_batch *x = calloc(1, sizeof(*x));
	if (x == NULL) {
		return MGR_ENOMEM;
	}
	x->c      = c;
	x->failed = SIZE_MAX;
	*b        = x;
	return 0;
}

static void
free_results(mgr_batch *b)
{
	for (size_t i = 0; i < b->nres; i++) {
		mgr_value_free(&b->res[i].val);
	}
	free(b->res);
	b->res    = NULL;
	b->nres   = 0;
	b->failed = SIZE_MAX;
}

int
mgr_batch_reset(mgr_batch *b)
{
	ARG_NONNULL(b);
	free_results(b);
	b->len = 0;
	b->n   = 0;
	return 0;
}

int
mgr_batch_free(mgr_batch *b)
{
	if (b != NULL) {
		free_results(b);
		free(b->recs);
		free(b->frames);
		free(b);
	}
	return 0;
}

size_t
mgr_batch_len(mgr_batch *b)
{
	return b != NULL ? b->n : 0;
}

int
mgr_batch_add_timeout(mgr_batch *b, mgr_obj *o, mgr_op op,
    const mgr_value *args, size_t nargs, int64_t timeout)
{
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(b);
	// An assertion is on an earlier entry's result, not on an object.
	if (op != MGR_OP_ASSERT) {
		ARG_NONNULL(o);
	}
	ARG_CHECK(o == NULL || mgr_obj_client(o) == b->c, o,
	    "is a proxy of another client than the batch's");
	ARG_CHECK(nargs == 0 || args != NULL, args, "is NULL with nargs > 0");
	ARG_CHECK(nargs <= 64, nargs, "is over 64");
	ARG_CHECK(protobuf_c_enum_descriptor_get_value(
	              &mgr__op__descriptor, (int) op)
	            != NULL
	        && (int) op >= MGR_OP_DICT_SET,
	    op, "is not an operation on an object (mgr_op)");
	// A call names its method first; the manager gets it as the
	// request's name, the rest as its arguments.
	char name[256];
	bool call = op == MGR_OP_CALL;
	if (call) {
		ARG_CHECK(nargs >= 1 && nargs <= 2 && args[0].kind == MGR_STR
		        && args[0].s != NULL && args[0].len > 0
		        && args[0].len < sizeof(name)
		        && memchr(args[0].s, '\0', args[0].len) == NULL,
		    args,
		    "of MGR_OP_CALL are the method (a str of 1 to 255 bytes) "
		    "and its args");
		memcpy(name, args[0].s, args[0].len); // a str need not end
		name[args[0].len] = '\0';             // in a NUL
		args++;
		nargs--;
	}
	arena a;
	arena_init(&a);
	Mgr__Value  vals[64];
	Mgr__Value *ptrs[64];
	int         rv = 0;
	for (size_t i = 0; i < nargs && rv == 0; i++) {
		ptrs[i] = &vals[i];
		rv      = codec_to_pb(b->c, &args[i], &a, &vals[i]);
	}
	if (rv != 0) {
		arena_fini(&a);
		return rv;
	}
	Mgr__Request rq = MGR__REQUEST__INIT;
	rq.op           = (Mgr__Op) op;
	rq.target       = o != NULL ? mgr_obj_id(o) : 0;
	rq.secret       = o != NULL ? o->secret : 0;
	rq.args         = ptrs;
	rq.n_args       = nargs;
	if (call) {
		rq.name = name;
	}
	rq.timeout_ms = timeout;
	size_t n      = mgr__request__get_packed_size(&rq);
	if (n + 16 > client_max_message(b->c)) {
		arena_fini(&a);
		return MGR_ETOOBIG;
	}
	if (b->cap - b->len < n + 4) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap - b->len < n + 4) {
			cap *= 2;
		}
		uint8_t *nr = realloc(b->recs, cap);
		if (nr == NULL) {
			arena_fini(&a);
			return MGR_ENOMEM;
		}
		b->recs = nr;
		b->cap  = cap;
	}
	uint8_t *p = b->recs + b->len;
	wire_put_len(p, (uint32_t) n);
	mgr__request__pack(&rq, p + 4);
	arena_fini(&a);
	b->len += n + 4;
	b->n++;
	return 0;
}

int
mgr_batch_add(
    mgr_batch *b, mgr_obj *o, mgr_op op, const mgr_value *args, size_t nargs)
{
	return mgr_batch_add_timeout(b, o, op, args, nargs, 0);
}

int
mgr_batch_assert(mgr_batch *b, size_t index, mgr_cmp cmp, mgr_value v)
{
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(b);
	ARG_CHECK(index < b->n, index,
	    "is not an operation added before the assertion");
	ARG_CHECK((int) cmp >= MGR_CMP_EQ && (int) cmp <= MGR_CMP_GE, cmp,
	    "is not an mgr_cmp");
	mgr_value args[3] = { mgr_int((int64_t) index), mgr_int(cmp), v };
	return mgr_batch_add(b, NULL, MGR_OP_ASSERT, args, 3);
}

/* One outcome from a reply: its status and decoded result (a failure may
 * carry one: what a false assertion compared). */
static int
take(mgr_batch *b, bres *r, const Mgr__Reply *rp)
{
	r->status = rp->status;
	if (r->status < 0 || r->status >= MGR_ENUMERRORS) {
		r->status = MGR_EPROTO;
	}
	r->val = mgr_none();
	if (rp->result != NULL) {
		// Pipelined replies are unpacked with malloc: big bytes
		// are taken, not copied.
		int rv = codec_take_pb(b->c, rp->result, &r->val);
		if (r->status == 0) {
			r->status = rv;
		}
	}
	return r->status;
}

int
mgr_batch_exec(mgr_batch *b, bool atomic)
{
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(b);
	free_results(b);
	if (b->n == 0) {
		return 0;
	}
	b->res          = calloc(b->n, sizeof(*b->res));
	Mgr__Reply **rp = calloc(atomic ? 1 : b->n, sizeof(*rp));
	if (b->res == NULL || rp == NULL) {
		free(rp);
		free(b->res);
		b->res = NULL;
		return MGR_ENOMEM;
	}
	b->nres   = b->n;
	int rv    = client_pipeline(b->c, b->recs, b->len, b->n, atomic, rp,
	       &b->frames, &b->frames_cap);
	int first = 0;
	if (atomic) {
		Mgr__Reply *r = rp[0];
		if (r != NULL && r->status == 0 && r->n_batch != b->n) {
			rv = MGR_EPROTO;
		}
		for (size_t i = 0; i < b->n; i++) {
			if (r == NULL || rv != 0) {
				b->res[i].status = rv ? rv : MGR_EPROTO;
			} else if (r->status != 0 && i >= r->n_batch) {
				b->res[i].status = MGR_EABORTED;
			} else {
				take(b, &b->res[i], r->batch[i]);
			}
		}
		if (r != NULL) {
			if (r->status != 0) {
				client_set_detail("%s", r->error);
				// Its reply is the last: those after it
				// were never run.
				if (rv == 0 && r->n_batch > 0
				    && r->n_batch <= b->n) {
					b->failed = r->n_batch - 1;
				}
			}
			first = rv ? rv : r->status;
			mgr__reply__free_unpacked(r, NULL);
		} else {
			first = rv;
		}
	} else {
		for (size_t i = 0; i < b->n; i++) {
			int st = rp[i] != NULL
			    ? take(b, &b->res[i], rp[i])
			    : (b->res[i].status = rv ? rv : MGR_ECONN);
			if (st != 0 && first == 0) {
				first = st;
				if (rp[i] != NULL) {
					b->failed = i;
					client_set_detail("operation %zu: %s",
					    i, rp[i]->error);
				}
			}
			if (rp[i] != NULL) {
				mgr__reply__free_unpacked(rp[i], NULL);
			}
		}
	}
	free(rp);
	b->len = 0;
	b->n   = 0;
	return first;
}

int
mgr_batch_failed(mgr_batch *b, size_t *index)
{
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(b);
	ARG_NONNULL(index);
	if (b->failed == SIZE_MAX) {
		client_set_detail("the last exec of this batch failed no "
		                  "operation");
		return MGR_ESTATE;
	}
	*index = b->failed;
	return 0;
}

int
mgr_batch_result(mgr_batch *b, size_t i, int *status, mgr_value *out)
{
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(b);
	if (i >= b->nres) {
		return MGR_EINDEX;
	}
	if (status != NULL) {
		*status = b->res[i].status;
	}
	if (out != NULL) {
		*out          = b->res[i].val;
		b->res[i].val = mgr_none();
	}
	return 0;
}
