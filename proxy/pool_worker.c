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
	if (count.i >= POISON_STARTS) {
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
		status = run_task(c, fn, t.arg, t.chunked, &res, detail);
	}
	rv = pool_result_pack(t.id, status, &res, detail, out);
	mgr_value_free(&res);
	return rv;
}

/* After a task: one pipelined round trip puts its result, forgets its
 * count of starts, acknowledges it and gets the next one (waiting for it
 * there) into *item. */
static int
finish_and_next(mgr_batch *b, mgr_obj *taskq, mgr_obj *results,
    mgr_obj *attempts, mgr_value *out, mgr_value *item)
{
	mgr_batch_reset(b);
	mgr_batch_add(b, results, MGR_OP_QUEUE_PUT, out, 1);
	mgr_batch_add(b, attempts, MGR_OP_DICT_DEL, &item->items[0], 1);
	mgr_batch_add(b, taskq, MGR_OP_QUEUE_TASK_DONE, NULL, 0);
	mgr_batch_add_timeout(
	    b, taskq, MGR_OP_QUEUE_GET, NULL, 0, MGR_FOREVER);
	int rv = mgr_batch_exec(b, false);
	mgr_value_free(out);
	mgr_value_free(item);
	int st[4];
	for (size_t k = 0; k < 4; k++) {
		mgr_batch_result(b, k, &st[k], k == 3 ? item : NULL);
	}
	// A second run's count is gone already: not an error.
	if (rv == MGR_EKEY && st[0] == 0 && st[1] == MGR_EKEY && st[2] == 0
	    && st[3] == 0) {
		rv = 0;
	}
	if (rv != 0 && st[3] == 0) {
		mgr_value_free(item);
	}
	return rv;
}

/* The worker's loop: tasks until a None (the pool stops) or the manager
 * goes away. A task is acknowledged only once its result is in, so a
 * killed worker loses nothing. */
static int
work(mgr_client *c, mgr_obj *taskq, mgr_obj *results, mgr_obj *attempts)
{
	mgr_batch *b;
	mgr_value  item;
	int        rv = mgr_batch_new(c, &b);
	if (rv == 0) {
		rv = mgr_queue_get(taskq, &item, MGR_FOREVER);
	}
	while (rv == 0) {
		if (item.kind == MGR_NONE) {
			// A None stops the pool's workers: each puts it back
			// for the next one (those on other hosts too) and
			// leaves.
			mgr_value_free(&item);
			rv = mgr_queue_put(taskq, mgr_none(), MGR_FOREVER);
			if (rv == 0) {
				rv = mgr_queue_task_done(taskq);
			}
			break;
		}
		mgr_value out;
		if ((rv = run_item(c, attempts, &item, &out)) != 0) {
			mgr_value_free(&item);
			break;
		}
		rv = finish_and_next(
		    b, taskq, results, attempts, &out, &item);
	}
	mgr_batch_free(b);
	return rv;
}

int
pool_worker_entry(
    mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) argc;
	(void) argv;
	if (n != 3) {
		return 2;
	}
	return work(c, objs[0], objs[1], objs[2]) == 0 ? 0 : 1;
}

int
mgr_pool_work(mgr_client *c, const char *token)
{
	char     buf[600];
	mgr_obj *o[3] = { NULL, NULL, NULL };
	ARG_NONNULL(c);
	ARG_NONNULL(token);
	ARG_CHECK(strlen(token) < sizeof(buf), token,
	    "is too long for a pool's token");
	snprintf(buf, sizeof(buf), "%s", token);
	char *save = NULL, *t = strtok_r(buf, ",", &save);
	int   rv = 0;
	for (int i = 0; i < 3 && rv == 0;
	     i++, t = strtok_r(NULL, ",", &save)) {
		rv = t == NULL ? MGR_EINVAL : mgr_attach(c, t, &o[i]);
	}
	if (rv == MGR_EINVAL) {
		client_set_detail("not a pool's token (mgr_pool_token)");
	}
	if (rv == 0) {
		rv = work(c, o[0], o[1], o[2]);
	}
	for (int i = 0; i < 3; i++) {
		if (o[i] != NULL) {
			mgr_obj_release(o[i]);
		}
	}
	return rv;
}
