/* The worker's side of a pool: the registry of tasks (in every process of
 * the program), and the loop a worker runs, whether the pool's owner
 * started it (mgr_process_start of POOL_ENTRY) or a process on another
 * host joined with the pool's token (mgr_pool_work). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool_int.h"

static fn_table tasks = FN_TABLE_INIT;

mgr_task_fn
pool_find_task(const char *name, size_t len)
{
	return (mgr_task_fn) fn_table_get(&tasks, name, len);
}

int
mgr_task_register(const char *name, mgr_task_fn fn)
{
	ARG_NONNULL(name);
	ARG_CHECK(name[0] != '\0', name, "is empty");
	ARG_NONNULL(fn);
	// The worker's entry goes with the first task.
	int rv = mgr_process_register(POOL_ENTRY, pool_worker_entry);
	if (rv != 0) {
		return rv;
	}
	return fn_table_set(&tasks, name, (fn_any) fn);
}

/* Marks v, decoded (owned throughout), as lent (not owned) or owned
 * again, all the way down: a task that returns its argument, or a part of
 * it, then gives a value that mgr_value_take copies instead of moving out
 * of the task record, which is freed on its own. */
static void
lend(mgr_value *v, bool lent)
{
	if (v->kind == MGR_NONE || v->kind == MGR_BOOL || v->kind == MGR_INT
	    || v->kind == MGR_FLOAT) {
		return;
	}
	v->flags
	    = lent ? v->flags & ~MGR_VALUE_OWNED : v->flags | MGR_VALUE_OWNED;
	size_t     n  = v->kind == MGR_LIST || v->kind == MGR_TUPLE ? v->len
	         : v->kind == MGR_DICT ? 2 * v->len
	                               : 0;
	mgr_value *in = v->kind == MGR_DICT ? v->pairs : v->items;
	for (size_t i = 0; i < n; i++) {
		lend(&in[i], lent);
	}
}

/* Runs fn on arg, or on each item of arg when chunked: *res is the
 * result (owned; a list when chunked); detail gets the text of a failure.
 * A task's result may point at memory that lives only until it returns
 * (mgr.h): it is taken (copied, unless the library owns it) as each call
 * returns, before the next call may reuse that memory. */
static int
run_task(mgr_client *c, mgr_task_fn fn, const mgr_value *arg, bool chunked,
    mgr_value *res, char *detail)
{
	client_set_detail(NULL);
	if (!chunked) {
		mgr_value r  = mgr_none();
		int       rv = fn(c, arg, &r);
		if (rv != 0) {
			snprintf(detail, DETAIL_MAX, "%s", mgr_errdetail());
			mgr_value_free(&r);
			return rv;
		}
		return mgr_value_take(res, &r);
	}
	if (arg->kind != MGR_LIST) {
		snprintf(detail, DETAIL_MAX, "a chunk is not a list");
		return MGR_EPROTO;
	}
	mgr_value *out = calloc(arg->len ? arg->len : 1, sizeof(*out));
	if (out == NULL) {
		return MGR_ENOMEM;
	}
	int rv = 0;
	for (size_t i = 0; i < arg->len && rv == 0; i++) {
		mgr_value r = mgr_none();
		if ((rv = fn(c, &arg->items[i], &r)) != 0) {
			snprintf(detail, DETAIL_MAX, "%s", mgr_errdetail());
			mgr_value_free(&r);
		} else {
			rv = mgr_value_take(&out[i], &r);
		}
	}
	if (rv == 0) {
		rv = value_list_take(out, arg->len, res); // moves: all owned
	}
	for (size_t i = 0; i < arg->len; i++) {
		mgr_value_free(&out[i]);
	}
	free(out);
	return rv;
}

/* What a task taken from the queue gives: its id, and the result record
 * to put (in *out, the caller's). The task runs unless it killed too many
 * workers already. MGR_EPROTO for an item that is not a pool's task; the
 * manager's errors. */
static int
run_item(
    mgr_client *c, mgr_obj *attempts, const mgr_value *item, mgr_value *out)
{
	char      detail[DETAIL_MAX] = "";
	mgr_value res                = mgr_none(), count;
	int       status;
	pool_task t;
	if (!pool_task_unpack(item, &t)) {
		return MGR_EPROTO; // not from a pool: not answered
	}
	int rv = mgr_dict_incr(
	    attempts, mgr_int((int64_t) t.id), mgr_int(1), &count);
	if (rv != 0) {
		return rv;
	}
	mgr_task_fn fn = pool_find_task(t.name, t.name_len);
	if (count.i <= 0) {
		status = MGR_ECANCELED; // mgr_future_cancel's mark
		snprintf(detail, sizeof(detail),
		    "the task was cancelled before it ran");
	} else if (count.i >= POISON_STARTS) {
		status = MGR_EABORTED;
		snprintf(detail, sizeof(detail),
		    "task '%.*s' killed its worker %d times: not run again",
		    (int) t.name_len, t.name, POISON_STARTS - 1);
	} else if (fn == NULL) {
		status = MGR_EKEY;
		snprintf(detail, sizeof(detail),
		    "no task named '%.*s' in the worker's program",
		    (int) t.name_len, t.name);
	} else {
		lend((mgr_value *) t.arg, true); // item is ours
		status = run_task(c, fn, t.arg, t.chunked, &res, detail);
		lend((mgr_value *) t.arg, false);
	}
	rv = pool_result_pack(t.id, status, &res, detail, out);
	mgr_value_free(&res);
	return rv;
}

/* Whether rv says the connection or the session is gone (nothing more
 * can be sent), rather than that the manager refused one request. */
static bool
lost(int rv)
{
	return rv == MGR_ECONN || rv == MGR_ECLOSED || rv == MGR_ESESSION
	    || rv == MGR_ENOMEM;
}

/* *out, the result record of task id, replaced by a record of the
 * failure rv (its detail: mgr_errdetail()): a result that cannot be sent
 * (a str that is not UTF-8, over the size limit, refused by the manager's
 * memory limit) fails its task instead of its worker. */
static int
fail_result(uint64_t id, int rv, mgr_value *out)
{
	char detail[DETAIL_MAX];
	snprintf(detail, sizeof(detail),
	    "the task's result cannot be sent: %s: %s", mgr_strerror(rv),
	    mgr_errdetail());
	mgr_value_free(out);
	return pool_result_pack(id, rv, NULL, detail, out);
}

/* After a task (out not NULL): one pipelined round trip puts its
 * result and acknowledges it (the owner forgets its count of starts when
 * the result arrives); then, in the
 * same write, whether the owner still holds its lock, and the next task
 * into *item (waiting up to IDLE_CHECK_MS for it when there is an owner
 * to check on, else for ever; item NULL: none, the worker retires).
 * MGR_EEMPTY: no task came; MGR_ECLOSED: the owner's session ended. */
static int
finish_and_next(mgr_batch *b, const pool_objs *po, mgr_value *out,
    const mgr_value *done, mgr_value *item)
{
	mgr_batch_reset(b);
	int    rv   = 0;
	size_t nfin = 0;
	if (out != NULL) {
		uint64_t id = (uint64_t) done->items[0].i;
		rv = mgr_batch_add(b, po->results, MGR_OP_QUEUE_PUT, out, 1);
		if (rv != 0 && !lost(rv)) {
			rv = fail_result(id, rv, out);
			if (rv == 0) {
				rv = mgr_batch_add(
				    b, po->results, MGR_OP_QUEUE_PUT, out, 1);
			}
		}
		if (rv == 0) {
			rv = mgr_batch_add(
			    b, po->tasks, MGR_OP_QUEUE_TASK_DONE, NULL, 0);
		}
		nfin = 2;
	}
	if (rv == 0 && item != NULL && po->owner != NULL) {
		rv = mgr_batch_add(b, po->owner, MGR_OP_LOCKED, NULL, 0);
	}
	if (rv == 0 && item != NULL) {
		rv = mgr_batch_add_timeout(b, po->tasks, MGR_OP_QUEUE_GET,
		    NULL, 0, po->owner != NULL ? IDLE_CHECK_MS : MGR_FOREVER);
	}
	if (rv != 0) {
		return rv;
	}
	(void) mgr_batch_exec(b, false);
	size_t k          = 0;
	bool   owner_gone = false;
	int    st;
	if (nfin > 0) {
		mgr_batch_result(b, k++, &st, NULL);
		if (st != 0 && !lost(st)) {
			// Refused by the manager (its memory limit): the
			// task is acknowledged already; its future gets why.
			uint64_t id = (uint64_t) done->items[0].i;
			st          = fail_result(id, st, out);
			if (st == 0) {
				st = mgr_queue_put(
				    po->results, *out, MGR_FOREVER);
			}
		}
		rv = st;
		mgr_batch_result(b, k++, &st, NULL);
		rv = rv != 0 ? rv : st;
	}
	if (item == NULL) {
		return rv; // retiring: no next task
	}
	if (po->owner != NULL) {
		mgr_value held = mgr_none();
		mgr_batch_result(b, k++, &st, &held);
		owner_gone
		    = rv == 0 && st == 0 && held.kind == MGR_BOOL && !held.b;
		rv = rv != 0 ? rv : st;
		mgr_value_free(&held);
	}
	mgr_batch_result(b, k, &st, item);
	if (st != 0) {
		*item = mgr_none();
	} else if (rv != 0 || owner_gone) {
		mgr_value_free(item); // not acknowledged: goes back
	}
	if (owner_gone) {
		client_set_detail("the pool's owner is gone");
		return MGR_ECLOSED;
	}
	return rv != 0 ? rv : st;
}

/* The worker's loop: tasks until a None (the pool stops: 0), the owner's
 * session ends (MGR_ECLOSED), maxtasks ran (0: no limit; *retired set)
 * or the manager goes away. A task is acknowledged only once its result
 * is in, so a killed worker loses nothing. */
static int
work(mgr_client *c, const pool_objs *po, size_t maxtasks, bool *retired)
{
	mgr_batch *b;
	mgr_value  item = mgr_none();
	size_t     ran  = 0;
	int        rv   = mgr_batch_new(c, &b);
	if (rv == 0) {
		do {
			rv = finish_and_next(b, po, NULL, NULL, &item);
		} while (rv == MGR_EEMPTY); // idle: the owner is still there
	}
	while (rv == 0) {
		if (item.kind == MGR_NONE) {
			// A None stops the pool's workers: each puts it back
			// for the next one (those on other hosts too) and
			// leaves.
			rv = mgr_queue_put(
			    po->tasks, mgr_none(), MGR_FOREVER);
			if (rv == 0) {
				rv = mgr_queue_task_done(po->tasks);
			}
			break;
		}
		mgr_value out;
		if ((rv = run_item(c, po->attempts, &item, &out)) != 0) {
			mgr_value_free(&item);
			break;
		}
		mgr_value done = item;
		bool      last = maxtasks > 0 && ++ran == maxtasks;
		rv = finish_and_next(b, po, &out, &done, last ? NULL : &item);
		mgr_value_free(&out);
		mgr_value_free(&done);
		if (last) {
			*retired = rv == 0;
			break;
		}
		while (rv == MGR_EEMPTY) {
			rv = finish_and_next(b, po, NULL, NULL, &item);
		}
	}
	mgr_batch_free(b);
	return rv;
}

/* Whether v is the str s. */
static bool
is_str(const mgr_value *v, const char *s)
{
	return v->kind == MGR_STR && v->len == strlen(s)
	    && memcmp(v->s, s, v->len) == 0;
}

/* Reads the pool's settings (maxtasks may be NULL: not wanted) and runs
 * its initializer on its arguments. The initializer's error, with the
 * detail saying so; the manager's. */
static int
worker_setup(mgr_client *c, const pool_objs *po, size_t *maxtasks)
{
	mgr_value cfg;
	int       rv = mgr_dict_copy(po->config, &cfg);
	if (rv != 0) {
		return rv;
	}
	const mgr_value *init = NULL;
	mgr_value        args = mgr_none();
	for (size_t i = 0; i < cfg.len; i++) {
		const mgr_value *k = &cfg.pairs[2 * i],
		                *v = &cfg.pairs[2 * i + 1];
		if (is_str(k, "initializer") && v->kind == MGR_STR) {
			init = v;
		} else if (is_str(k, "initargs")) {
			args = *v;
		} else if (is_str(k, "maxtasks") && v->kind == MGR_INT
		    && maxtasks != NULL) {
			*maxtasks = v->i > 0 ? (size_t) v->i : 0;
		}
	}
	mgr_task_fn fn
	    = init != NULL ? pool_find_task(init->s, init->len) : NULL;
	if (init != NULL && fn == NULL) {
		client_set_detail(
		    "no task named '%.*s' for the initializer in the "
		    "worker's program",
		    (int) init->len, init->s);
		rv = MGR_EKEY;
	} else if (fn != NULL) {
		mgr_value r = mgr_none();
		client_set_detail(NULL);
		if ((rv = fn(c, &args, &r)) != 0) {
			client_set_detail("initializer '%.*s' failed: %s",
			    (int) init->len, init->s, mgr_errdetail());
		}
		mgr_value_free(&r);
	}
	mgr_value_free(&cfg);
	return rv;
}

int
pool_worker_entry(
    mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) argc;
	(void) argv;
	if (n != POOL_NOBJS) {
		return 2;
	}
	pool_objs po       = { objs[0], objs[1], objs[2], objs[3], objs[4] };
	size_t    maxtasks = 0;
	bool      retired  = false;
	int       rv       = worker_setup(c, &po, &maxtasks);
	if (rv != 0) {
		fprintf(stderr, "%s: %s (%s)\n", mgr_current_process_name(),
		    mgr_strerror(rv), mgr_errdetail());
		return lost(rv) ? 1 : POOL_INIT_FAILED;
	}
	rv = work(c, &po, maxtasks, &retired);
	// Stopped by the pool, or left with its owner: both are ends.
	return retired ? POOL_RETIRED : rv == 0 || rv == MGR_ECLOSED ? 0 : 1;
}

int
mgr_pool_work(mgr_client *c, const char *token)
{
	char     buf[600];
	mgr_obj *o[POOL_NOBJS] = { NULL };
	ARG_NONNULL(c);
	ARG_NONNULL(token);
	ARG_CHECK(strlen(token) < sizeof(buf), token,
	    "is too long for a pool's token");
	snprintf(buf, sizeof(buf), "%s", token);
	char *save = NULL, *t = strtok_r(buf, ",", &save);
	int   rv = 0;
	for (int i = 0; i < POOL_NOBJS && rv == 0;
	     i++, t = strtok_r(NULL, ",", &save)) {
		rv = t == NULL ? MGR_EINVAL : mgr_attach(c, t, &o[i]);
	}
	if (rv == MGR_EINVAL) {
		client_set_detail("not a pool's token (mgr_pool_token)");
	}
	if (rv == 0) {
		pool_objs po      = { o[0], o[1], o[2], o[3], o[4] };
		bool      retired = false;
		rv                = worker_setup(c, &po, NULL);
		if (rv == 0) {
			rv = work(c, &po, 0, &retired); // no maxtasks here
		}
	}
	char detail[DETAIL_MAX];
	snprintf(detail, sizeof(detail), "%s", mgr_errdetail());
	for (int i = 0; i < POOL_NOBJS; i++) {
		if (o[i] != NULL) {
			mgr_obj_release(o[i]);
		}
	}
	client_set_detail("%s", detail); // the end's, not a release's
	return rv;
}
