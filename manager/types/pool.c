/* Pool: the record of a process pool (mgr_pool_start), so that the
 * manager shows a pool as one (its workers, tasks waiting, running and
 * done) rather than as four anonymous objects. It keeps the pool's task
 * queue, result queue, owner lock and settings dict alive and reads its
 * figures from them; the pool's workings stay the client's (proxy/pool.c)
 * and the record holds no state of its own but the workers asked for. */
#include <stdlib.h>

#include "queue.h"
#include "report.h"

/* ==== pure data ========================================================= */

typedef struct spool {
	sval     tasks, results; /* SV_REF: acknowledged queue, queue */
	sval     owner, config;  /* SV_REF: lock, dict */
	uint64_t workers;        /* as asked at the start */
} spool;

/* ==== the type ========================================================== */

/* CREATE tasks results owner config workers: the pool's objects (a
 * queue, a queue, a lock, a dict) and how many workers it runs. */
static int
pool_create(mobj *o, mctx *c)
{
	static const Mgr__ObjType kinds[]
	    = { MGR__OBJ_TYPE__OBJ_QUEUE, MGR__OBJ_TYPE__OBJ_QUEUE,
		      MGR__OBJ_TYPE__OBJ_LOCK, MGR__OBJ_TYPE__OBJ_DICT };
	static const char *const what[] = { "the task queue",
		"the result queue", "the owner lock", "the settings dict" };
	if (c->nargs != 5) {
		return mctx_fail(c, MGR_EINVAL,
		    "a pool's record takes its task queue, result queue, "
		    "owner lock, settings dict and worker count (%zu given)",
		    c->nargs);
	}
	for (size_t i = 0; i < 4; i++) {
		if (c->args[i].kind != SV_REF
		    || c->args[i].ref->type->code != kinds[i]) {
			return mctx_fail(c, MGR_ETYPE,
			    "argument %zu: %s, not %s", i + 1, what[i],
			    sv_type_name(&c->args[i]));
		}
	}
	int64_t workers;
	int     rv = mctx_arg_int(c, 4, &workers);
	if (rv != 0) {
		return rv;
	}
	if (workers < 1 || workers > 1024) {
		return mctx_fail(c, MGR_EINVAL,
		    "a pool runs 1 to 1024 workers (%lld given)",
		    (long long) workers);
	}
	spool *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	p->tasks   = sv_move(&c->args[0]);
	p->results = sv_move(&c->args[1]);
	p->owner   = sv_move(&c->args[2]);
	p->config  = sv_move(&c->args[3]);
	p->workers = (uint64_t) workers;
	o->data    = p;
	return 0;
}

static void
pool_destroy(mobj *o)
{
	spool *p = o->data;
	sv_free(&p->tasks);
	sv_free(&p->results);
	sv_free(&p->owner);
	sv_free(&p->config);
	free(p);
	o->data = NULL;
}

static void
pool_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	spool *p      = o->data;
	sval  *refs[] = { &p->tasks, &p->results, &p->owner, &p->config };
	for (size_t i = 0; i < 4; i++) {
		if (refs[i]->kind == SV_REF) {
			fn(refs[i], arg);
		}
	}
}

/* Workers asked for and idle (their gets parked on the task queue),
 * tasks waiting, running (taken, not done) and done, results not yet
 * collected, and the objects it is made of. */
static void
pool_describe(const mobj *o, report *r, sval *d)
{
	const spool  *p = o->data;
	queue_figures t = { 0 }, res = { 0 };
	(void) queue_figures_of(p->tasks.ref, &t);
	(void) queue_figures_of(p->results.ref, &res);
	report_put_int(r, d, "workers", (int64_t) p->workers);
	report_put_int(r, d, "idle", (int64_t) t.getters);
	report_put_int(r, d, "tasks_waiting", (int64_t) t.waiting);
	report_put_int(r, d, "running", (int64_t) t.in_progress);
	report_put_int(r, d, "done", (int64_t) t.done);
	report_put_int(r, d, "results_waiting", (int64_t) res.waiting);
	report_put_int(r, d, "task_queue", (int64_t) p->tasks.ref->id);
	report_put_int(r, d, "result_queue", (int64_t) p->results.ref->id);
}

/* A snapshot's image of it (snapshot.c). */
static int
pool_save(mobj *o, struct snap_out *out)
{
	const spool *p        = o->data;
	sval         items[5] = { SV_NONE_INIT, SV_NONE_INIT, SV_NONE_INIT,
		        SV_NONE_INIT, sv_int((int64_t) p->workers) };
	int          rv       = sv_copy(&items[0], &p->tasks);
	if (rv == 0) {
		rv = sv_copy(&items[1], &p->results);
	}
	if (rv == 0) {
		rv = sv_copy(&items[2], &p->owner);
	}
	if (rv == 0) {
		rv = sv_copy(&items[3], &p->config);
	}
	return snap_put_list(out, rv, items, 5);
}

static int
pool_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	static const Mgr__ObjType kinds[]
	    = { MGR__OBJ_TYPE__OBJ_QUEUE, MGR__OBJ_TYPE__OBJ_QUEUE,
		      MGR__OBJ_TYPE__OBJ_LOCK, MGR__OBJ_TYPE__OBJ_DICT };
	int64_t workers;
	bool ok = part == 1 && snap_int(image, 4, &workers) && workers >= 1;
	for (size_t i = 0; i < 4 && ok; i++) {
		sval *r = snap_item(image, i);
		ok      = r->kind == SV_REF && r->ref->type->code == kinds[i];
	}
	spool *p = ok ? calloc(1, sizeof(*p)) : NULL;
	if (p == NULL) {
		return snap_bad(in,
		    ok ? "out of memory"
		       : "a pool's image is its queues, its "
		         "lock, its settings and its workers");
	}
	p->tasks   = sv_move(snap_item(image, 0));
	p->results = sv_move(snap_item(image, 1));
	p->owner   = sv_move(snap_item(image, 2));
	p->config  = sv_move(snap_item(image, 3));
	p->workers = (uint64_t) workers;
	o->data    = p;
	return 0;
}

const mtype pool_type = {
	.code     = MGR__OBJ_TYPE__OBJ_POOL,
	.name     = "pool",
	.create   = pool_create,
	.destroy  = pool_destroy,
	.each_ref = pool_each_ref,
	.describe = pool_describe,
	.save     = pool_save,
	.load     = pool_load,
};
