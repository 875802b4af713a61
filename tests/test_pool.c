/* Process pools against a real managerd: this program is its own worker
 * (it registers the tasks and calls mgr_process_serve first).
 * - map of square over range(10) in order, apply, submit and futures,
 *   chunks; an unknown task is MGR_EKEY at submit; a failing task's code
 *   and detail reach the future; a slow task's get times out;
 * - workers SIGKILLed at random during a 1,000-task map: every result,
 *   once and in order, and the pool replaced them;
 * - a task that kills its worker every time fails with MGR_EABORTED after
 *   three deaths, and the pool serves on;
 * - terminate with pending futures (MGR_ECLOSED), close then join drains,
 *   free leaves no worker process behind;
 * - a worker in this process through the pool's token (mgr_pool_work),
 *   which leaves when the pool is freed without a join;
 * - chunksize 0 is Python's default (about four chunks per worker); a
 *   chunked task's result pointing into a buffer it reuses is copied as
 *   each call returns; a result that cannot be sent fails its future, not
 *   its worker;
 * - the workers of an owner SIGKILLed mid-map leave, and the pool's
 *   objects go with them. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "pool_int.h" /* a future's id: how many tasks a map made */

static int
square(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	if (arg->kind != MGR_INT) {
		return MGR_ETYPE;
	}
	*result = mgr_int(arg->i * arg->i);
	return 0;
}

/* square, a millisecond later: a map long enough to kill workers in. */
static int
square_slowly(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	struct timespec ts = { 0, 1000000 };
	nanosleep(&ts, NULL);
	return square(c, arg, result);
}

/* Fails with its own code and text. */
static int
fail_task(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	(void) result;
	mgr_set_errdetail("it went wrong with %lld", (long long) arg->i);
	return MGR_EVALUE;
}

/* Sleeps arg ms, then answers arg. */
static int
slow(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	struct timespec ts = { arg->i / 1000, (arg->i % 1000) * 1000000 };
	nanosleep(&ts, NULL);
	*result = *arg;
	return 0;
}

/* Kills its own worker. */
static int
poison(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	(void) arg;
	(void) result;
	raise(SIGKILL);
	return 0;
}

/* "v<arg>", from a buffer each call reuses (mgr.h allows it). */
static int
label(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	static char buf[32];
	snprintf(buf, sizeof(buf), "v%lld", (long long) arg->i);
	*result = mgr_str(buf);
	return 0;
}

/* A str that is not UTF-8: a result no manager takes. */
static int
bad_utf8(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	(void) arg;
	*result = mgr_str("\xff\xfe");
	return 0;
}

/* Sets the event named arg + "!" (it began), waits for the event named
 * arg, and answers arg. */
static int
gate(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	char     name[64];
	mgr_obj *began, *open;
	snprintf(name, sizeof(name), "%s!", arg->s);
	int rv = mgr_name_get(c, name, &began);
	if (rv == 0) {
		rv = mgr_event_set(began);
		mgr_obj_release(began);
	}
	if (rv == 0 && (rv = mgr_name_get(c, arg->s, &open)) == 0) {
		rv = mgr_event_wait(open, 60000);
		mgr_obj_release(open);
	}
	*result = *arg;
	return rv;
}

/* Appends arg to the list named "ran": which tasks ran. */
static int
mark(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	mgr_obj *ran;
	int      rv = mgr_name_get(c, "ran", &ran);
	if (rv == 0) {
		rv = mgr_list_append(ran, *arg);
		mgr_obj_release(ran);
	}
	*result = *arg;
	return rv;
}

/* The initializer's mark in this worker (initargs), and a task that
 * gives [pid, mark, this process's name]. */
static int64_t init_mark = -1;

static int
init_worker(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	(void) result;
	init_mark = arg->kind == MGR_INT ? arg->i : -2;
	return 0;
}

static int
whoami(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	(void) arg;
	static mgr_value parts[3]; // lives past the return, as mgr.h asks
	parts[0] = mgr_int((int64_t) getpid());
	parts[1] = mgr_int(init_mark);
	parts[2] = mgr_str(mgr_current_process_name());
	*result  = mgr_list_of(parts, 3);
	return 0;
}

/* An owner to kill: starts a pool of two, reports the workers' pids and
 * then "busy" into objs[0] (a queue) once six 2-second tasks are
 * submitted, and waits for them. */
static int
owner_entry(
    mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) argc;
	(void) argv;
	mgr_pool   *p;
	int64_t     pids[2];
	size_t      k = 0;
	mgr_future *f[6];
	if (n != 1 || mgr_pool_start(c, 2, NULL, &p) != 0
	    || mgr_pool_worker_pids(p, pids, 2, &k) != 0 || k != 2) {
		return 1;
	}
	for (size_t i = 0; i < k; i++) {
		mgr_queue_put(objs[0], mgr_int(pids[i]), MGR_FOREVER);
	}
	for (int i = 0; i < 6; i++) {
		if (mgr_pool_submit(p, "slow", mgr_int(2000), &f[i]) != 0) {
			return 1;
		}
	}
	mgr_queue_put(objs[0], mgr_str("busy"), MGR_FOREVER);
	mgr_value out;
	return mgr_future_get(f[5], MGR_FOREVER, &out) == 0 ? 0 : 1;
}

static h_managerd  M;
static mgr_client *C;

static int
group_setup(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the group setup");
	int rv = h_group_start(&M, &C, NULL, 0, NULL, 0);
	h_watchdog_disarm();
	return rv;
}

static int
group_teardown(void **state)
{
	(void) state;
	return h_group_stop(&M, C);
}

static int
setup(void **state)
{
	(void) state;
	h_watchdog_arm(120, "the test of the last [ RUN ] line");
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	h_watchdog_disarm();
	return 0;
}

#define OKP(x) assert_int_equal((x), 0)

static mgr_value
range(mgr_value *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		items[i] = mgr_int((int64_t) i);
	}
	return mgr_list_of(items, n);
}

static void
test_map_apply_submit(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 4, NULL, &p));
	mgr_value items[10], out;
	OKP(mgr_pool_map(p, "square", range(items, 10), 1, 20000, &out));
	char repr[200];
	OKP(mgr_value_repr(&out, repr, sizeof(repr)));
	assert_string_equal(repr, "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]");
	mgr_value_free(&out);
	OKP(mgr_pool_map(p, "square", range(items, 10), 3, 20000, &out));
	OKP(mgr_value_repr(&out, repr, sizeof(repr)));
	assert_string_equal(repr, "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]");
	mgr_value_free(&out);
	// apply, and an apply_async-style future.
	OKP(mgr_pool_apply(p, "square", mgr_int(7), 20000, &out));
	assert_int_equal(out.i, 49);
	mgr_value_free(&out);
	mgr_future *f;
	bool        done;
	OKP(mgr_pool_submit(p, "slow", mgr_int(300), &f));
	OKP(mgr_future_done(f, &done));
	assert_false(done);
	assert_int_equal(mgr_future_get(f, 10, &out), MGR_ETIMEDOUT);
	OKP(mgr_future_get(f, 20000, &out));
	assert_int_equal(out.i, 300);
	mgr_value_free(&out);
	OKP(mgr_future_get(f, 0, &out)); // again: the same result
	mgr_value_free(&out);
	OKP(mgr_future_done(f, &done));
	assert_true(done);
	mgr_future_free(f);
	// Errors: unknown task, a task's own failure, a wrong argument.
	assert_int_equal(
	    mgr_pool_submit(p, "nosuch", mgr_int(1), &f), MGR_EKEY);
	assert_int_equal(
	    mgr_pool_apply(p, "fail", mgr_int(1), 20000, &out), MGR_EVALUE);
	assert_string_equal(mgr_errdetail(), "it went wrong with 1");
	assert_int_equal(
	    mgr_pool_apply(p, "square", mgr_str("x"), 20000, &out),
	    MGR_ETYPE);
	OKP(mgr_pool_close(p));
	assert_int_equal(
	    mgr_pool_apply(p, "square", mgr_int(2), 1000, &out), MGR_ECLOSED);
	OKP(mgr_pool_join(p, 20000));
	size_t n = 9;
	OKP(mgr_pool_worker_pids(p, NULL, 0, &n));
	OKP(mgr_pool_free(p));
}

typedef struct killer {
	mgr_pool  *p;
	pthread_t  th;
	atomic_int stop;
	int        kills;
} killer;

static void *
killer_main(void *arg)
{
	killer  *k    = arg;
	unsigned seed = 12345;
	while (!k->stop) {
		int64_t pids[8];
		size_t  n = 0;
		mgr_pool_worker_pids(k->p, pids, 8, &n);
		if (n > 0) {
			int64_t pid = pids[rand_r(&seed) % (n < 8 ? n : 8)];
			if (kill((pid_t) pid, SIGKILL) == 0) {
				k->kills++;
			}
		}
		// The chaos's pace: far longer than a chunk runs, even under
		// a sanitizer on a loaded machine, so the retry of a killed
		// chunk is not killed again (three deaths of one chunk fail
		// the map with MGR_EABORTED, as designed: test_poison_task).
		struct timespec ts = { 0, 60 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static const mgr_value *
member(const mgr_value *d, const char *key)
{
	const mgr_value *v = h_dict_find(d, key);
	if (v == NULL) {
		fail_msg("no %s in the dict", key);
	}
	return v;
}

/* What the manager shows of a pool's record (mgr_objects). */
typedef struct shown {
	char    type[16], name[64];
	int64_t workers, tasks_waiting, running, done;
} shown;

/* The record id as the manager lists it into *out; false when it is not
 * listed. */
static bool
find_shown(uint64_t id, shown *out)
{
	for (size_t off = 0;; off += 1000) {
		mgr_value page;
		OKP(mgr_objects(C, off, 1000, &page));
		const mgr_value *objs  = member(&page, "objects");
		bool             found = false;
		for (size_t i = 0; i < objs->len && !found; i++) {
			const mgr_value *d = &objs->items[i];
			if ((uint64_t) member(d, "object")->i != id) {
				continue;
			}
			found = true;
			snprintf(out->type, sizeof(out->type), "%s",
			    member(d, "type")->s);
			const mgr_value *name = member(d, "name");
			snprintf(out->name, sizeof(out->name), "%s",
			    name->kind == MGR_STR ? name->s : "");
			out->workers       = member(d, "workers")->i;
			out->tasks_waiting = member(d, "tasks_waiting")->i;
			out->running       = member(d, "running")->i;
			out->done          = member(d, "done")->i;
		}
		size_t n = objs->len;
		mgr_value_free(&page);
		if (found || n < 1000) {
			return found;
		}
	}
}

/* The manager shows a pool as one: its record (type "pool", named as
 * the program names it) with workers, tasks done and what waits. */
static void
test_pool_record(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 2, NULL, &p));
	mgr_obj *rec = mgr_pool_record(p);
	assert_non_null(rec);
	assert_string_equal(mgr_obj_type(rec), "pool");
	OKP(mgr_name_set(C, "pool under test", rec));
	mgr_value items[10], out;
	OKP(mgr_pool_map(p, "square", range(items, 10), 1, 20000, &out));
	mgr_value_free(&out);
	// The last acknowledgements may trail the last result.
	shown   f     = { .done = -1 };
	int64_t until = h_now_ms() + 10000;
	while (f.done < 10 && h_now_ms() < until) {
		assert_true(find_shown(mgr_obj_id(rec), &f));
		if (f.done < 10) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	assert_int_equal(f.done, 10);
	assert_string_equal(f.type, "pool");
	assert_string_equal(f.name, "pool under test");
	assert_int_equal(f.workers, 2);
	assert_int_equal(f.tasks_waiting, 0);
	assert_int_equal(f.running, 0);
	OKP(mgr_name_del(C, "pool under test"));
	uint64_t id = mgr_obj_id(rec);
	OKP(mgr_pool_free(p));
	// Freed with the pool: the manager no longer lists it.
	assert_false(find_shown(id, &f));
	assert_null(mgr_pool_record(NULL));
}

static void
test_killed_workers(void **state)
{
	(void) state;
	enum { N = 2000 };
	mgr_pool *p;
	OKP(mgr_pool_start(C, 4, NULL, &p));
	static mgr_value items[N];
	mgr_value        out;
	killer           k = { .p = p };
	OKP(pthread_create(&k.th, NULL, killer_main, &k));
	int rv = mgr_pool_map(
	    p, "square_slowly", range(items, N), 5, 100000, &out);
	k.stop = 1;
	pthread_join(k.th, NULL);
	fprintf(stderr, "%d workers killed during the map\n", k.kills);
	OKP(rv);
	assert_int_equal(out.len, N);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(out.items[i].i, (int64_t) (i * i));
	}
	mgr_value_free(&out);
	assert_true(k.kills > 0);
	OKP(mgr_pool_close(p));
	OKP(mgr_pool_join(p, 30000));
	OKP(mgr_pool_free(p));
}

static void
test_poison_task(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 2, NULL, &p));
	mgr_value out;
	assert_int_equal(mgr_pool_apply(p, "poison", mgr_int(0), 60000, &out),
	    MGR_EABORTED);
	assert_non_null(strstr(mgr_errdetail(), "killed its worker 3 times"));
	// The pool serves on, with new workers.
	OKP(mgr_pool_apply(p, "square", mgr_int(3), 20000, &out));
	assert_int_equal(out.i, 9);
	mgr_value_free(&out);
	OKP(mgr_pool_free(p));
}

static bool
alive(int64_t pid)
{
	return kill((pid_t) pid, 0) == 0 || errno != ESRCH;
}

static void
test_terminate_and_free(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 2, NULL, &p));
	mgr_future *f[4];
	for (int i = 0; i < 4; i++) {
		OKP(mgr_pool_submit(p, "slow", mgr_int(5000), &f[i]));
	}
	int64_t pids[2];
	size_t  n;
	OKP(mgr_pool_worker_pids(p, pids, 2, &n));
	assert_int_equal(n, 2);
	int64_t t0 = h_now_ms();
	OKP(mgr_pool_terminate(p));
	mgr_value out;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(
		    mgr_future_get(f[i], 1000, &out), MGR_ECLOSED);
	}
	assert_true(h_now_ms() - t0 < 4000); // not after the tasks' 5 s
	OKP(mgr_pool_free(p));
	for (int i = 0; i < 4; i++) {
		// The futures outlive the pool.
		assert_int_equal(mgr_future_get(f[i], 0, &out), MGR_ECLOSED);
		mgr_future_free(f[i]);
	}
	for (size_t i = 0; i < n; i++) {
		assert_false(alive(pids[i]));
	}
	// Freed without close or join: the workers are gone too.
	OKP(mgr_pool_start(C, 2, NULL, &p));
	OKP(mgr_pool_worker_pids(p, pids, 2, &n));
	OKP(mgr_pool_free(p));
	for (size_t i = 0; i < n; i++) {
		assert_false(alive(pids[i]));
	}
}

typedef struct remote {
	mgr_client *c;
	char        token[600];
	int         rv;
	char        detail[300];
} remote;

static void *
remote_main(void *arg)
{
	remote *r = arg;
	r->rv     = mgr_pool_work(r->c, r->token);
	snprintf(r->detail, sizeof(r->detail), "%s", mgr_errdetail());
	return NULL;
}

/* A worker elsewhere for p: a thread with a client of its own. */
static void
remote_start(mgr_pool *p, remote *r, pthread_t *th)
{
	OKP(mgr_pool_token(p, r->token, sizeof(r->token)));
	OKP(h_connect(&M, &r->c));
	OKP(pthread_create(th, NULL, remote_main, r));
}

/* A worker elsewhere (here: a thread with a client of its own) takes the
 * pool's tasks by its token, and stops with the pool. */
static void
test_worker_by_token(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 1, NULL, &p));
	remote    r = { .rv = -1 };
	pthread_t th;
	remote_start(p, &r, &th);
	mgr_value items[50], out;
	OKP(mgr_pool_map(p, "square", range(items, 50), 1, 20000, &out));
	assert_int_equal(out.len, 50);
	mgr_value_free(&out);
	OKP(mgr_pool_close(p));
	OKP(mgr_pool_join(p, 20000));
	// join's stop reaches the remote worker too.
	pthread_join(th, NULL);
	assert_int_equal(r.rv, 0);
	OKP(mgr_pool_free(p));
	mgr_disconnect(r.c);
}

/* chunksize 0: Python's ceil(len / (4 * workers)) items a task, so 400
 * items on 2 workers make 8 tasks (futures), not 400. */
static void
test_default_chunksize(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 2, NULL, &p));
	static mgr_value items[400];
	mgr_value        out;
	mgr_future      *f;
	OKP(mgr_pool_submit(p, "square", mgr_int(1), &f));
	uint64_t before = f->id;
	mgr_future_free(f);
	OKP(mgr_pool_map(p, "square", range(items, 400), 0, 20000, &out));
	assert_int_equal(out.len, 400);
	for (size_t i = 0; i < 400; i++) {
		assert_int_equal(out.items[i].i, (int64_t) (i * i));
	}
	mgr_value_free(&out);
	OKP(mgr_pool_submit(p, "square", mgr_int(1), &f));
	assert_int_equal(f->id - before - 1, 8);
	mgr_future_free(f);
	// Fewer items than chunks: one item a task.
	OKP(mgr_pool_map(p, "square", range(items, 3), 0, 20000, &out));
	assert_int_equal(out.len, 3);
	mgr_value_free(&out);
	// Many: chunks of at most 1,024, each one request under the
	// manager's --max-op-elements (Python's, 25,000 here, would be
	// refused).
	enum { MANY = 200000 };
	mgr_value *many = calloc(MANY, sizeof(*many));
	assert_non_null(many);
	OKP(mgr_pool_submit(p, "square", mgr_int(1), &f));
	before = f->id;
	mgr_future_free(f);
	OKP(mgr_pool_map(p, "square", range(many, MANY), 0, 60000, &out));
	assert_int_equal(out.len, MANY);
	assert_int_equal(
	    out.items[MANY - 1].i, (int64_t) (MANY - 1) * (MANY - 1));
	mgr_value_free(&out);
	free(many);
	OKP(mgr_pool_submit(p, "square", mgr_int(1), &f));
	assert_int_equal(f->id - before - 1, (MANY + 1023) / 1024);
	mgr_future_free(f);
	OKP(mgr_pool_free(p));
}

/* Each item's result is taken when its call returns: a chunk of five
 * calls reusing one buffer gives five labels, not the last one five
 * times. */
static void
test_chunk_results_copied(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 2, NULL, &p));
	mgr_value items[10], out;
	OKP(mgr_pool_map(p, "label", range(items, 10), 5, 20000, &out));
	char repr[200];
	OKP(mgr_value_repr(&out, repr, sizeof(repr)));
	assert_string_equal(repr,
	    "['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9']");
	mgr_value_free(&out);
	OKP(mgr_pool_free(p));
}

/* A result that cannot be sent fails its task, with the reason; the
 * worker serves on (the same processes, no replacement). */
static void
test_unsendable_result(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 1, NULL, &p));
	int64_t before[1], after[1];
	size_t  n;
	OKP(mgr_pool_worker_pids(p, before, 1, &n));
	mgr_value out, items[4];
	assert_int_equal(
	    mgr_pool_apply(p, "bad_utf8", mgr_int(0), 20000, &out),
	    MGR_EINVAL);
	assert_non_null(strstr(mgr_errdetail(), "cannot be sent"));
	assert_non_null(strstr(mgr_errdetail(), "UTF-8"));
	// In a chunk too: the map fails with it.
	assert_int_equal(
	    mgr_pool_map(p, "bad_utf8", range(items, 4), 2, 20000, &out),
	    MGR_EINVAL);
	OKP(mgr_pool_apply(p, "square", mgr_int(4), 20000, &out));
	assert_int_equal(out.i, 16);
	OKP(mgr_pool_worker_pids(p, after, 1, &n));
	assert_int_equal(before[0], after[0]);
	OKP(mgr_pool_free(p));
}

/* An owner SIGKILLed mid-map: its session ends, so its workers leave
 * (after the task each runs) and the pool's objects go with them. */
static void
test_owner_killed(void **state)
{
	(void) state;
	int64_t sessions0, objects0;
	OKP(h_info_int(C, "sessions", &sessions0));
	OKP(h_info_int(C, "objects_total", &objects0));
	mgr_obj     *report;
	mgr_process *owner;
	OKP(mgr_queue_new(C, 0, &report));
	OKP(mgr_process_start(C, "owner", &report, 1, NULL, &owner));
	int64_t   pids[2];
	mgr_value v;
	for (int i = 0; i < 2; i++) {
		OKP(mgr_queue_get(report, &v, 30000));
		pids[i] = v.i;
	}
	OKP(mgr_queue_get(report, &v, 30000)); // "busy"
	mgr_value_free(&v);
	OKP(mgr_process_kill(owner));
	int status;
	OKP(mgr_process_join(owner, 30000, &status));
	assert_int_equal(status, -SIGKILL);
	mgr_process_free(owner);
	for (int i = 0; i < 2; i++) {
		assert_true(h_await_gone(pids[i], 30000));
	}
	mgr_obj_release(report);
	assert_int_equal(
	    h_info_await_baseline(C, sessions0, objects0, 10000), 0);
}

/* A worker by token leaves when the pool is freed without a join: its
 * owner let go. */
static void
test_worker_leaves_freed_pool(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 1, NULL, &p));
	remote    r = { .rv = -1 };
	pthread_t th;
	remote_start(p, &r, &th);
	mgr_value items[20], out;
	OKP(mgr_pool_map(p, "square", range(items, 20), 1, 20000, &out));
	mgr_value_free(&out);
	OKP(mgr_pool_free(p));
	pthread_join(th, NULL); // within IDLE_CHECK_MS
	assert_int_equal(r.rv, MGR_ECLOSED);
	assert_non_null(strstr(r.detail, "owner is gone"));
	mgr_disconnect(r.c);
}

/* Named events for gate: name (opens) and name + "!" (began). */
static void
gates_new(const char *name, mgr_obj **open, mgr_obj **began)
{
	char b[64];
	snprintf(b, sizeof(b), "%s!", name);
	OKP(mgr_event_new(C, open));
	OKP(mgr_event_new(C, began));
	OKP(mgr_name_set(C, name, *open));
	OKP(mgr_name_set(C, b, *began));
}

static void
gates_free(const char *name, mgr_obj *open, mgr_obj *began)
{
	char b[64];
	snprintf(b, sizeof(b), "%s!", name);
	OKP(mgr_name_del(C, name));
	OKP(mgr_name_del(C, b));
	mgr_obj_release(open);
	mgr_obj_release(began);
}

/* What callbacks saw, awaited without sleeping. */
typedef struct seen {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	int             calls, status;
	int64_t         value;
	char            detail[100];
} seen;

static void
on_done(mgr_future *f, int status, const mgr_value *result, void *arg)
{
	(void) f;
	seen *s = arg;
	pthread_mutex_lock(&s->mtx);
	s->calls++;
	s->status = status;
	s->value  = status == 0 && result->kind == MGR_INT ? result->i : -1;
	snprintf(s->detail, sizeof(s->detail), "%s", mgr_errdetail());
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mtx);
}

static void
seen_await(seen *s, int calls)
{
	int64_t deadline = h_now_ms() + 30000;
	pthread_mutex_lock(&s->mtx);
	while (s->calls < calls && h_now_ms() < deadline) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&s->cv, &s->mtx, &ts);
	}
	assert_int_equal(s->calls, calls);
	pthread_mutex_unlock(&s->mtx);
}

#define SEEN_INIT                                                            \
	{                                                                    \
		.mtx = PTHREAD_MUTEX_INITIALIZER,                            \
		.cv  = PTHREAD_COND_INITIALIZER                              \
	}

/* Callbacks (apply_async's callback and error_callback, and
 * add_done_callback) run once each, with the result or the error. */
static void
test_future_callbacks(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 2, NULL, &p));
	seen        ok = SEEN_INIT, ok2 = SEEN_INIT, bad = SEEN_INIT;
	mgr_future *f, *g;
	OKP(mgr_pool_submit(p, "slow", mgr_int(100), &f));
	OKP(mgr_future_on_done(f, on_done, &ok));
	OKP(mgr_future_on_done(f, on_done, &ok2));
	OKP(mgr_pool_submit(p, "fail", mgr_int(7), &g));
	OKP(mgr_future_on_done(g, on_done, &bad));
	seen_await(&ok, 1);
	seen_await(&ok2, 1);
	seen_await(&bad, 1);
	assert_int_equal(ok.status, 0);
	assert_int_equal(ok.value, 100);
	assert_int_equal(bad.status, MGR_EVALUE);
	assert_string_equal(bad.detail, "it went wrong with 7");
	// On a future done already: at once, on this thread.
	OKP(mgr_future_on_done(f, on_done, &ok));
	assert_int_equal(ok.calls, 2);
	// Futures the pool ends (terminate) call theirs too.
	mgr_future *h;
	seen        term = SEEN_INIT;
	OKP(mgr_pool_submit(p, "slow", mgr_int(5000), &h));
	OKP(mgr_future_on_done(h, on_done, &term));
	OKP(mgr_pool_terminate(p));
	seen_await(&term, 1);
	assert_int_equal(term.status, MGR_ECLOSED);
	OKP(mgr_pool_free(p));
	assert_int_equal(ok2.calls, 1); // once each
	assert_int_equal(bad.calls, 1);
	assert_int_equal(term.calls, 1);
	mgr_future_free(f);
	mgr_future_free(g);
	mgr_future_free(h);
}

/* wait and wait_any (as_completed): completion order, whatever the
 * order of submission; gates make the order certain. */
static void
test_future_wait(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 3, NULL, &p));
	const char *names[3] = { "g0", "g1", "g2" };
	mgr_obj    *open[3], *began[3];
	mgr_future *fs[3];
	for (int i = 0; i < 3; i++) {
		gates_new(names[i], &open[i], &began[i]);
		OKP(mgr_pool_submit(p, "gate", mgr_str(names[i]), &fs[i]));
	}
	size_t ndone = 9, index = 9;
	bool   taken[3] = { false, false, false };
	assert_int_equal(mgr_future_wait(fs, 3, MGR_WAIT_FIRST, 50, &ndone),
	    MGR_ETIMEDOUT);
	assert_int_equal(ndone, 0);
	assert_int_equal(
	    mgr_future_wait_any(fs, 3, taken, 50, &index), MGR_ETIMEDOUT);
	// They end in the order 1, 2, 0.
	const int order[3] = { 1, 2, 0 };
	for (int k = 0; k < 3; k++) {
		int i = order[k];
		OKP(mgr_event_set(open[i]));
		OKP(mgr_future_wait(&fs[i], 1, MGR_WAIT_ALL, 30000, &ndone));
		if (k == 0) {
			OKP(mgr_future_wait(
			    fs, 3, MGR_WAIT_FIRST, 30000, &ndone));
			assert_int_equal(ndone, 1);
		}
	}
	OKP(mgr_future_wait(fs, 3, MGR_WAIT_ALL, 30000, &ndone));
	assert_int_equal(ndone, 3);
	for (int k = 0; k < 3; k++) {
		OKP(mgr_future_wait_any(fs, 3, taken, 0, &index));
		assert_int_equal(index, order[k]);
	}
	assert_int_equal(
	    mgr_future_wait_any(fs, 3, taken, 0, &index), MGR_EEMPTY);
	// FIRST_ERROR: returns at the first failure.
	mgr_future *e[2];
	mgr_obj    *open3, *began3;
	gates_new("g3", &open3, &began3);
	OKP(mgr_pool_submit(p, "gate", mgr_str("g3"), &e[0]));
	OKP(mgr_pool_submit(p, "fail", mgr_int(1), &e[1]));
	OKP(mgr_future_wait(e, 2, MGR_WAIT_FIRST_ERROR, 30000, &ndone));
	assert_int_equal(ndone, 1);
	OKP(mgr_event_set(open3));
	OKP(mgr_future_wait(e, 2, MGR_WAIT_ALL, 30000, &ndone));
	gates_free("g3", open3, began3);
	for (int i = 0; i < 3; i++) {
		mgr_future_free(fs[i]);
		gates_free(names[i], open[i], began[i]);
	}
	mgr_future_free(e[0]);
	mgr_future_free(e[1]);
	OKP(mgr_pool_free(p));
}

/* Quick tasks travel in batches (a worker takes several at once and
 * sends their results together), but a result is never held behind a
 * task that blocks: the quick tasks taken with a gate that stays shut
 * still end. A killed worker's batch goes back, each task run once. */
#define QUICK 24

static void
test_batched_results_not_held(void **state)
{
	(void) state;
	mgr_pool *p;
	mgr_obj  *open0, *began0, *open1, *began1;
	gates_new("h0", &open0, &began0);
	gates_new("h1", &open1, &began1);
	OKP(mgr_pool_start(C, 1, NULL, &p));
	mgr_future *g0, *g1, *q[QUICK];
	OKP(mgr_pool_submit(p, "gate", mgr_str("h0"), &g0));
	OKP(mgr_event_wait(began0, 30000)); // the worker is busy: a queue
	for (int i = 0; i < QUICK; i++) {
		OKP(mgr_pool_submit(p, "square", mgr_int(i), &q[i]));
	}
	OKP(mgr_pool_submit(p, "gate", mgr_str("h1"), &g1));
	size_t ndone;
	bool   running;
	// Once the feeder has put the last one (running waits for that), the
	// queue holds them all, in order.
	OKP(mgr_future_running(g1, &running));
	assert_false(running);
	OKP(mgr_event_set(open0));
	OKP(mgr_event_wait(began1, 30000)); // the worker is in h1 for good
	for (int i = 0; i < QUICK; i++) {
		mgr_value out;
		OKP(mgr_future_get(q[i], 30000, &out));
		assert_int_equal(out.i, (int64_t) i * i);
	}
	assert_int_equal(
	    mgr_future_wait(&g1, 1, MGR_WAIT_ALL, 0, &ndone), MGR_ETIMEDOUT);
	OKP(mgr_event_set(open1));
	OKP(mgr_future_wait(&g1, 1, MGR_WAIT_ALL, 30000, &ndone));
	OKP(mgr_pool_free(p));
	mgr_future_free(g0);
	mgr_future_free(g1);
	for (int i = 0; i < QUICK; i++) {
		mgr_future_free(q[i]);
	}
	gates_free("h0", open0, began0);
	gates_free("h1", open1, began1);
}

/* cancel: a queued task is cancelled and never runs; a begun one is not;
 * running tells which is which. */
static void
test_future_cancel(void **state)
{
	(void) state;
	mgr_pool *p;
	mgr_obj  *ran, *open, *began;
	OKP(mgr_list_new(C, &ran));
	OKP(mgr_name_set(C, "ran", ran));
	gates_new("gc", &open, &began);
	OKP(mgr_pool_start(C, 1, NULL, &p));
	mgr_future *busy, *queued, *after;
	OKP(mgr_pool_submit(p, "gate", mgr_str("gc"), &busy));
	OKP(mgr_pool_submit(p, "mark", mgr_int(1), &queued));
	OKP(mgr_pool_submit(p, "mark", mgr_int(2), &after));
	OKP(mgr_event_wait(began, 30000)); // the worker is in "busy"
	bool running, cancelled;
	OKP(mgr_future_running(busy, &running));
	assert_true(running);
	OKP(mgr_future_running(queued, &running));
	assert_false(running);
	seen s = SEEN_INIT;
	OKP(mgr_future_on_done(queued, on_done, &s));
	OKP(mgr_future_cancel(queued, &cancelled));
	assert_true(cancelled);
	assert_int_equal(s.calls, 1); // ended: its callback ran
	assert_int_equal(s.status, MGR_ECANCELED);
	OKP(mgr_future_cancel(busy, &cancelled));
	assert_false(cancelled);
	mgr_value out;
	assert_int_equal(mgr_future_get(queued, 0, &out), MGR_ECANCELED);
	OKP(mgr_event_set(open));
	OKP(mgr_future_get(busy, 30000, &out));
	mgr_value_free(&out);
	OKP(mgr_future_get(after, 30000, &out));
	OKP(mgr_future_cancel(queued, &cancelled)); // again: still true
	assert_true(cancelled);
	OKP(mgr_future_cancel(after, &cancelled)); // done: false
	assert_false(cancelled);
	OKP(mgr_future_running(busy, &running));
	assert_false(running);
	OKP(mgr_pool_close(p));
	OKP(mgr_pool_join(p, 30000)); // every task taken, the cancelled too
	char repr[64];
	OKP(mgr_list_copy(ran, &out));
	OKP(mgr_value_repr(&out, repr, sizeof(repr)));
	assert_string_equal(repr, "[2]"); // 1 never ran
	mgr_value_free(&out);
	OKP(mgr_pool_free(p));
	mgr_future_free(busy);
	mgr_future_free(queued);
	mgr_future_free(after);
	OKP(mgr_name_del(C, "ran"));
	mgr_obj_release(ran);
	gates_free("gc", open, began);
}

/* imap (in order), imap_unordered (as chunks end: gates make the order
 * certain), map_async's get, done and callback, and an error on one item
 * that the iteration goes past. */
static void
test_map_async(void **state)
{
	(void) state;
	mgr_pool *p;
	OKP(mgr_pool_start(C, 2, NULL, &p));
	mgr_value items[10], out;
	mgr_map  *m;
	size_t    index;
	OKP(mgr_pool_map_start(p, "square", range(items, 10), 3, true, &m));
	for (size_t i = 0; i < 10; i++) {
		OKP(mgr_map_next(m, 30000, &out, &index));
		assert_int_equal(index, i);
		assert_int_equal(out.i, (int64_t) (i * i));
	}
	assert_int_equal(mgr_map_next(m, 0, &out, &index), MGR_EEMPTY);
	bool done;
	OKP(mgr_map_done(m, &done));
	assert_true(done);
	OKP(mgr_map_get(m, 0, &out)); // get after next: all still there
	assert_int_equal(out.len, 10);
	assert_int_equal(out.items[9].i, 81);
	mgr_value_free(&out);
	seen s = SEEN_INIT;
	OKP(mgr_map_on_done(m, on_done, &s)); // ended: at once
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, 0);
	assert_int_equal(mgr_map_on_done(m, on_done, &s), MGR_ESTATE);
	OKP(mgr_map_free(m));

	// Unordered: the second item's chunk ends first.
	mgr_obj *open[2], *began[2];
	gates_new("u0", &open[0], &began[0]);
	gates_new("u1", &open[1], &began[1]);
	mgr_value names[2] = { mgr_str("u0"), mgr_str("u1") };
	OKP(mgr_pool_map_start(
	    p, "gate", mgr_list_of(names, 2), 1, false, &m));
	seen all = SEEN_INIT;
	OKP(mgr_map_on_done(m, on_done, &all));
	OKP(mgr_map_done(m, &done));
	assert_false(done);
	assert_int_equal(mgr_map_next(m, 20, &out, &index), MGR_ETIMEDOUT);
	OKP(mgr_event_set(open[1]));
	OKP(mgr_map_next(m, 30000, &out, &index));
	assert_int_equal(index, 1);
	assert_string_equal(out.s, "u1");
	mgr_value_free(&out);
	assert_int_equal(all.calls, 0);
	OKP(mgr_event_set(open[0]));
	OKP(mgr_map_next(m, 30000, &out, &index));
	assert_int_equal(index, 0);
	mgr_value_free(&out);
	seen_await(&all, 1); // the whole list, once
	assert_int_equal(all.status, 0);
	assert_int_equal(mgr_map_next(m, 0, &out, &index), MGR_EEMPTY);
	OKP(mgr_map_free(m));
	for (int i = 0; i < 2; i++) {
		gates_free(i ? "u1" : "u0", open[i], began[i]);
	}
	// Many chunks, unordered: each index once (the next chunk to end
	// comes from a ring its futures fill, not from a look at all).
	enum { MANY = 2000 };
	mgr_value *many = calloc(MANY, sizeof(*many));
	bool      *got  = calloc(MANY, sizeof(*got));
	assert_true(many != NULL && got != NULL);
	OKP(mgr_pool_map_start(p, "square", range(many, MANY), 1, false, &m));
	for (size_t i = 0; i < MANY; i++) {
		OKP(mgr_map_next(m, 30000, &out, &index));
		assert_true(index < MANY && !got[index]);
		got[index] = true;
		assert_int_equal(out.i, (int64_t) (index * index));
	}
	assert_int_equal(mgr_map_next(m, 0, &out, &index), MGR_EEMPTY);
	OKP(mgr_map_free(m));
	// Freed before its chunks end: they end without it.
	OKP(mgr_pool_map_start(p, "slow", range(many, 4), 1, false, &m));
	OKP(mgr_map_free(m));
	free(got);
	free(many);

	// One item fails: next gives its error, then goes on; get and the
	// callback give the error.
	mgr_value mixed[3] = { mgr_int(2), mgr_str("x"), mgr_int(3) };
	OKP(mgr_pool_map_start(
	    p, "square", mgr_list_of(mixed, 3), 1, true, &m));
	seen bad = SEEN_INIT;
	OKP(mgr_map_on_done(m, on_done, &bad));
	OKP(mgr_map_next(m, 30000, &out, &index));
	assert_int_equal(out.i, 4);
	assert_int_equal(mgr_map_next(m, 30000, &out, &index), MGR_ETYPE);
	OKP(mgr_map_next(m, 30000, &out, &index));
	assert_int_equal(out.i, 9);
	assert_int_equal(mgr_map_get(m, 30000, &out), MGR_ETYPE);
	seen_await(&bad, 1);
	assert_int_equal(bad.status, MGR_ETYPE);
	OKP(mgr_map_free(m));
	// A map freed before its callback: the callback still comes.
	seen late = SEEN_INIT;
	OKP(mgr_pool_map_start(
	    p, "slow", mgr_list_of(mixed, 1), 1, true, &m));
	OKP(mgr_map_on_done(m, on_done, &late));
	OKP(mgr_map_free(m));
	seen_await(&late, 1);
	assert_int_equal(mgr_pool_map_start(
	                     p, "nosuch", mgr_list_of(mixed, 1), 1, true, &m),
	    MGR_EKEY);
	OKP(mgr_pool_free(p));
}

/* initializer with initargs in every worker (replacements too),
 * maxtasksperchild replaces workers, names, 0 workers: the CPU count, a
 * failing initializer fails the futures instead of looping. */
static void
test_pool_opts(void **state)
{
	(void) state;
	mgr_pool     *p;
	mgr_pool_opts o = { .initializer = "init",
		.initargs                = mgr_int(42),
		.maxtasksperchild        = 2 };
	OKP(mgr_pool_start_opts(C, 1, &o, &p));
	mgr_value items[6], out;
	OKP(mgr_pool_map(p, "whoami", range(items, 6), 1, 30000, &out));
	assert_int_equal(out.len, 6);
	for (size_t i = 0; i < 6; i++) {
		const mgr_value *r = &out.items[i];
		assert_int_equal(r->items[1].i, 42);
		assert_int_equal(
		    strncmp(r->items[2].s, "PoolWorker-", 11), 0);
		// One worker, two tasks each: pairs of the same process.
		if (i % 2 == 1) {
			assert_int_equal(
			    r->items[0].i, out.items[i - 1].items[0].i);
		} else if (i > 0) {
			assert_int_not_equal(
			    r->items[0].i, out.items[i - 1].items[0].i);
		}
	}
	mgr_value_free(&out);
	OKP(mgr_pool_close(p));
	OKP(mgr_pool_join(p, 30000));
	OKP(mgr_pool_free(p));

	// Workers 0: one per CPU.
	OKP(mgr_pool_start_opts(C, 0, NULL, &p));
	size_t n;
	OKP(mgr_pool_worker_pids(p, NULL, 0, &n));
	assert_int_equal(n, mgr_cpu_count());
	OKP(mgr_pool_free(p));

	// An initializer that fails: no endless restarts, the task fails.
	mgr_pool_opts bad = { .initializer = "fail", .initargs = mgr_int(1) };
	OKP(mgr_pool_start_opts(C, 2, &bad, &p));
	assert_int_equal(mgr_pool_apply(p, "square", mgr_int(2), 30000, &out),
	    MGR_EABORTED);
	assert_non_null(strstr(mgr_errdetail(), "initializer"));
	OKP(mgr_pool_free(p));
	mgr_pool_opts unknown = { .initializer = "nosuch" };
	assert_int_equal(mgr_pool_start_opts(C, 1, &unknown, &p), MGR_EKEY);
}

int
main(int argc, char **argv)
{
	mgr_task_register("square", square);
	mgr_task_register("square_slowly", square_slowly);
	mgr_task_register("fail", fail_task);
	mgr_task_register("slow", slow);
	mgr_task_register("poison", poison);
	mgr_task_register("label", label);
	mgr_task_register("bad_utf8", bad_utf8);
	mgr_task_register("gate", gate);
	mgr_task_register("init", init_worker);
	mgr_task_register("whoami", whoami);
	mgr_task_register("mark", mark);
	mgr_process_register("owner", owner_entry);
	mgr_process_serve(argc, argv); // a worker: serves and exits
	unsetenv("MGR_AUTHKEY");
	unsetenv("MGR_URL");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_map_apply_submit, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pool_record, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_killed_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_poison_task, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_terminate_and_free, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_worker_by_token, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_default_chunksize, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_chunk_results_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unsendable_result, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_owner_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_future_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_future_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_future_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_map_async, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pool_opts, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_worker_leaves_freed_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_batched_results_not_held, setup, teardown),
	};
	return cmocka_run_group_tests_name(
	           "pool", tests, group_setup, group_teardown)
	        == 0
	    ? 0
	    : 1;
}
