/* bench_mgr - the benchmark's client for our manager (libmgr).
 *
 *   bench_mgr w1 --url U --keyfile F [--n N] [--warmup W] [--only OP]
 *   bench_mgr w2 --url U --keyfile F --clients N --ms DURATION
 *   bench_mgr w3 --url U --keyfile F [--n N] [--depth 64]
 *   bench_mgr w4 --url U --keyfile F [--items N] [--producers 4]
 *                [--consumers 4] [--maxsize 1000]
 *   bench_mgr w4p --url U --keyfile F [the options of w4] [--depth 64]
 *   bench_mgr w5load --url U --keyfile F [--entries N] [--per-call 5000]
 *   bench_mgr w5conns --url U --keyfile F [--conns 1000]
 *   bench_mgr w7 --url U --keyfile F --clients N --ms DURATION
 *   bench_mgr w8 --url U --keyfile F [--n N]
 *   bench_mgr hs --url U --keyfile F [--n 200]
 *   bench_mgr rc --url U --keyfile F [--n 30]
 *   bench_mgr worst --url U --keyfile F [--n 1000000]
 *
 * Prints "result NAME VALUE UNIT" lines (and "note", "state" lines) for
 * bench/driver.py; the workloads are described in bench/README.md. Every
 * result is checked (a lost update or item fails the run), speed never. */
#include <inttypes.h>
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_fill.h"
#include "bench_pool.h"
#include "bench_worst.h"
#include "common.h"
#include "mgr_conn.h"

/* ---- W1: latency of one synchronous client -------------------------------
 */

#define NKEYS 1000

typedef struct w1ctx {
	mgr_obj *d, *q, *l, *lst;
	char     keys[NKEYS][16];
	char     value[BENCH_VALUE_LEN + 1];
} w1ctx;

static void
op_dict_set(w1ctx *x, long i)
{
	check(mgr_dict_set(
	          x->d, mgr_str(x->keys[i % NKEYS]), mgr_str(x->value)),
	    "dict set");
}

static void
op_dict_get(w1ctx *x, long i)
{
	mgr_value v;
	check(
	    mgr_dict_get(x->d, mgr_str(x->keys[i % NKEYS]), &v), "dict get");
	if (v.kind != MGR_STR || v.len != BENCH_VALUE_LEN) {
		die("dict get: wrong value");
	}
	mgr_value_free(&v);
}

static void
op_queue_putget(w1ctx *x, long i)
{
	mgr_value v;
	(void) i;
	check(
	    mgr_queue_put(x->q, mgr_str(x->value), MGR_FOREVER), "queue put");
	check(mgr_queue_get(x->q, &v, BENCH_WAIT_MS), "queue get");
	mgr_value_free(&v);
}

static void
op_lock(w1ctx *x, long i)
{
	(void) i;
	check(mgr_acquire(x->l, BENCH_WAIT_MS), "acquire");
	check(mgr_release(x->l), "release");
}

static void
op_list_append(w1ctx *x, long i)
{
	(void) i;
	check(mgr_list_append(x->lst, mgr_str(x->value)), "list append");
}

static const struct {
	const char *name;
	void (*fn)(w1ctx *, long);
} w1ops[] = {
	{ "dict_set", op_dict_set },
	{ "dict_get", op_dict_get },
	{ "queue_putget", op_queue_putget },
	{ "lock_acqrel", op_lock },
	{ "list_append", op_list_append },
};

static int
w1(const bench_args *a)
{
	long        n    = (long) arg_int(a, "--n", 5000);
	long        warm = (long) arg_int(a, "--warmup", 200);
	const char *only = arg_str(a, "--only", NULL);
	w1ctx      *x    = calloc(1, sizeof(*x));
	if (x == NULL) {
		die("out of memory");
	}
	mgr_client *c = connect_or_die();
	check(mgr_dict_new(c, &x->d), "dict new");
	check(mgr_queue_new(c, 0, &x->q), "queue new");
	check(mgr_lock_new(c, &x->l), "lock new");
	check(mgr_list_new(c, &x->lst), "list new");
	for (int k = 0; k < NKEYS; k++) {
		snprintf(x->keys[k], sizeof(x->keys[k]), "key:%04d", k);
	}
	fill_value(x->value, BENCH_VALUE_LEN, 0);
	if (only != NULL) {
		// Profiling one operation: fill the keys dict_get reads
		// first, untimed.
		for (long i = 0; i < NKEYS; i++) {
			op_dict_set(x, i);
		}
	}
	for (size_t o = 0; o < sizeof(w1ops) / sizeof(w1ops[0]); o++) {
		if (only != NULL && strcmp(only, w1ops[o].name) != 0) {
			continue;
		}
		for (long i = 0; i < warm; i++) {
			w1ops[o].fn(x, i);
		}
		int64_t t0 = now_ns();
		for (long i = 0; i < n; i++) {
			w1ops[o].fn(x, i);
		}
		int64_t t1 = now_ns();
		char    name[64];
		snprintf(name, sizeof(name), "w1.%s", w1ops[o].name);
		if (n > 0) { // n = 0: the profile's baseline run
			result(name, (double) (t1 - t0) / 1e3 / (double) n,
			    "us");
		}
	}
	size_t len;
	check(mgr_list_len(x->lst, &len), "list len");
	if (only == NULL && len != (size_t) (n + warm)) {
		die("list has %zu items, expected %ld", len, n + warm);
	}
	mgr_obj_release(x->d);
	mgr_obj_release(x->q);
	mgr_obj_release(x->l);
	mgr_obj_release(x->lst);
	mgr_disconnect(c);
	free(x);
	return 0;
}

/* ---- W2: throughput of N clients ----------------------------------------
 */

static int
w2(const bench_args *a)
{
	long        nc = (long) arg_int(a, "--clients", 1);
	mgr_client *c  = connect_or_die();
	mgr_obj    *d;
	check(mgr_dict_new(c, &d), "dict new");
	check(mgr_dict_set(d, mgr_str("counter"), mgr_int(0)), "dict set");
	check(mgr_name_set(c, "bench.w2", d), "name set");

	const char *roles[nc];
	for (long i = 0; i < nc; i++) {
		roles[i] = "w2";
	}
	workers w;
	workers_start(&w, (size_t) nc, roles, a->argv);
	int64_t       t_go = workers_go(&w);
	worker_report reps[nc];
	workers_collect(&w, reps);

	int64_t iters = 0, t_end = t_go;
	for (long i = 0; i < nc; i++) {
		iters += reps[i].count;
		t_end = reps[i].t_end > t_end ? reps[i].t_end : t_end;
	}
	mgr_value v;
	check(mgr_dict_get(d, mgr_str("counter"), &v), "dict get");
	if (v.kind != MGR_INT || v.i != iters) {
		die("counter is %" PRId64 ", expected %" PRId64, v.i, iters);
	}
	char name[64];
	snprintf(name, sizeof(name), "w2.c%ld", nc);
	result(name, 3.0 * (double) iters / ((double) (t_end - t_go) / 1e9),
	    "ops/s");
	mgr_obj_release(d);
	mgr_disconnect(c);
	return 0;
}

static int
w2_worker(const bench_args *a, int index)
{
	int64_t     ms = arg_int(a, "--ms", 1000);
	mgr_client *c  = connect_or_die();
	mgr_obj    *d;
	char        keys[100][32];
	char        value[BENCH_VALUE_LEN + 1];
	check(mgr_name_get(c, "bench.w2", &d), "name get");
	for (int k = 0; k < 100; k++) {
		snprintf(keys[k], sizeof(keys[k]), "w%d:%d", index, k);
	}
	fill_value(value, BENCH_VALUE_LEN, index);

	int64_t go       = worker_ready_wait(index);
	int64_t deadline = go + ms * 1000000;
	int64_t iters    = 0;
	while (now_ns() < deadline) {
		mgr_value v = mgr_str(keys[iters % 100]);
		mgr_value out;
		int       rv = mgr_dict_set(d, v, mgr_str(value));
		if (rv == 0 && (rv = mgr_dict_get(d, v, &out)) == 0) {
			mgr_value_free(&out);
			rv = mgr_dict_incr(
			    d, mgr_str("counter"), mgr_int(1), NULL);
		}
		if (rv != 0) {
			worker_report_fail(index, rv);
			return 1;
		}
		iters++;
	}
	worker_report_done(index, iters, 0);
	mgr_obj_release(d);
	mgr_disconnect(c);
	return 0;
}

/* ---- W7: the Account withdraw, N clients on one balance ----------------
 * guarded: one atomic batch (get, assert >= 1, incr -1: one round trip);
 * locked: a manager lock around get and set (4 round trips), the way
 * Python's manager needs. Every withdraw is checked against the balance. */

#define W7_START ((int64_t) 1000000000000)

/* The balance of a dict account or of a module's. */
static int64_t
w7_balance(mgr_obj *acct)
{
	mgr_value v;
	if (strcmp(mgr_obj_type(acct), "dict") == 0) {
		check(mgr_dict_get(acct, mgr_str("balance"), &v), "dict get");
	} else {
		check(mgr_call(acct, "balance", mgr_none(), 0, &v), "call");
	}
	return v.kind == MGR_INT ? v.i : -1;
}

static int64_t
w7_phase(const bench_args *a, mgr_obj *acct, const char *role)
{
	long    nc    = (long) arg_int(a, "--clients", 4);
	int64_t start = W7_START;
	if (strcmp(mgr_obj_type(acct), "dict") == 0) {
		check(mgr_dict_set(acct, mgr_str("balance"), mgr_int(start)),
		    "dict set");
	} else {
		start = w7_balance(acct);
	}
	const char *roles[nc];
	for (long i = 0; i < nc; i++) {
		roles[i] = role;
	}
	workers w;
	workers_start(&w, (size_t) nc, roles, a->argv);
	int64_t       t_go = workers_go(&w);
	worker_report reps[nc];
	workers_collect(&w, reps);
	int64_t draws = 0, t_end = t_go;
	for (long i = 0; i < nc; i++) {
		draws += reps[i].count;
		t_end = reps[i].t_end > t_end ? reps[i].t_end : t_end;
	}
	int64_t b = w7_balance(acct);
	if (b != start - draws) {
		die("balance is %" PRId64 " after %" PRId64
		    " draws from %" PRId64,
		    b, draws, start);
	}
	return (int64_t) ((double) draws / ((double) (t_end - t_go) / 1e9));
}

static int
w7(const bench_args *a)
{
	mgr_client *c = connect_or_die();
	mgr_obj    *acct, *lock;
	check(mgr_dict_new(c, &acct), "dict new");
	check(mgr_lock_new(c, &lock), "lock new");
	check(mgr_name_set(c, "bench.w7", acct), "name set");
	check(mgr_name_set(c, "bench.w7.lock", lock), "name set");
	mgr_obj *macct; // the account module's (examples/modules/account.c)
	check(mgr_custom_new(c, "account", mgr_int(W7_START), &macct),
	    "custom new (managerd --load-module account.so)");
	check(mgr_name_set(c, "bench.w7.module", macct), "name set");
	result("w7.guarded", (double) w7_phase(a, acct, "w7g"), "ops/s");
	result("w7.module", (double) w7_phase(a, macct, "w7m"), "ops/s");
	result("w7.locked", (double) w7_phase(a, acct, "w7l"), "ops/s");
	mgr_obj_release(macct);
	mgr_obj_release(acct);
	mgr_obj_release(lock);
	mgr_disconnect(c);
	return 0;
}

static int
w7_worker(const bench_args *a, int index, char how)
{
	int64_t     ms = arg_int(a, "--ms", 1000);
	mgr_client *c  = connect_or_die();
	mgr_obj    *acct, *lock;
	mgr_batch  *b;
	check(mgr_name_get(
	          c, how == 'm' ? "bench.w7.module" : "bench.w7", &acct),
	    "name get");
	check(mgr_name_get(c, "bench.w7.lock", &lock), "name get");
	check(mgr_batch_new(c, &b), "batch new");
	int64_t   go       = worker_ready_wait(index);
	int64_t   deadline = go + ms * 1000000;
	int64_t   draws    = 0;
	mgr_value key      = mgr_str("balance");
	while (now_ns() < deadline) {
		int rv;
		if (how == 'm') {
			rv = mgr_call(acct, "withdraw", mgr_int(1), 0, NULL);
		} else if (how == 'g') {
			mgr_batch_add(b, acct, MGR_OP_DICT_GET, &key, 1);
			mgr_batch_assert(b, 0, MGR_CMP_GE, mgr_int(1));
			mgr_batch_add(b, acct, MGR_OP_DICT_INCR,
			    (mgr_value[]) { key, mgr_int(-1) }, 2);
			rv = mgr_batch_exec(b, true);
		} else {
			mgr_value v = mgr_none();
			if ((rv = mgr_acquire(lock, MGR_FOREVER)) == 0) {
				if ((rv = mgr_dict_get(acct, key, &v)) == 0
				    && v.i >= 1) {
					rv = mgr_dict_set(
					    acct, key, mgr_int(v.i - 1));
				}
				int rr = mgr_release(lock);
				rv     = rv != 0 ? rv : rr;
			}
		}
		if (rv != 0) {
			worker_report_fail(index, rv);
			return 1;
		}
		draws++;
	}
	worker_report_done(index, draws, 0);
	mgr_batch_free(b);
	mgr_obj_release(acct);
	mgr_obj_release(lock);
	mgr_disconnect(c);
	return 0;
}

/* ---- W8: a module's trivial method against an increment ----------------
 * One round trip each: mgr_call of the account module's deposit(1)
 * against mgr_dict_incr; the mean of n after n warm-up ones. */

static int
w8(const bench_args *a)
{
	long        n = (long) arg_int(a, "--n", 3000);
	mgr_client *c = connect_or_die();
	mgr_obj    *d, *acct;
	check(mgr_dict_new(c, &d), "dict new");
	check(mgr_custom_new(c, "account", mgr_int(0), &acct),
	    "custom new (managerd --load-module account.so)");
	for (int which = 0; which < 2; which++) {
		int64_t t0 = 0;
		for (long i = 0; i < 2 * n; i++) {
			if (i == n) {
				t0 = now_ns(); // after the warm-up
			}
			int rv = which == 0
			    ? mgr_dict_incr(d, mgr_str("n"), mgr_int(1), NULL)
			    : mgr_call(acct, "deposit", mgr_int(1), 0, NULL);
			check(rv, which == 0 ? "dict incr" : "call");
		}
		result(which == 0 ? "w8.incr" : "w8.call",
		    (double) (now_ns() - t0) / 1e3 / (double) n, "us");
	}
	mgr_value v;
	check(mgr_call(acct, "balance", mgr_none(), 0, &v), "call");
	if (v.i != 2 * n) {
		die("the account has %" PRId64 ", expected %ld", v.i, 2 * n);
	}
	mgr_obj_release(acct);
	mgr_obj_release(d);
	mgr_disconnect(c);
	return 0;
}

/* ---- W3: pipelined sets --------------------------------------------------
 */

static int
w3(const bench_args *a)
{
	long        n     = (long) arg_int(a, "--n", 200000);
	long        depth = (long) arg_int(a, "--depth", 64);
	mgr_client *c     = connect_or_die();
	mgr_obj    *d;
	mgr_batch  *b;
	char        value[BENCH_VALUE_LEN + 1];
	check(mgr_dict_new(c, &d), "dict new");
	check(mgr_batch_new(c, &b), "batch new");
	fill_value(value, BENCH_VALUE_LEN, 0);

	int64_t t0 = now_ns();
	for (long i = 0; i < n;) {
		for (long k = 0; k < depth && i < n; k++, i++) {
			char key[32];
			snprintf(key, sizeof(key), "k%ld", i);
			mgr_value args[2] = { mgr_str(key), mgr_str(value) };
			check(mgr_batch_add(b, d, MGR_OP_DICT_SET, args, 2),
			    "batch add");
		}
		check(mgr_batch_exec(b, false), "batch exec");
		check(mgr_batch_reset(b), "batch reset");
	}
	int64_t t1 = now_ns();
	size_t  len;
	check(mgr_dict_len(d, &len), "dict len");
	if (len != (size_t) n) {
		die("dict has %zu keys, expected %ld", len, n);
	}
	result("w3.pipelined_set", (double) n / ((double) (t1 - t0) / 1e9),
	    "ops/s");
	mgr_batch_free(b);
	mgr_obj_release(d);
	mgr_disconnect(c);
	return 0;
}

/* ---- W4: producers and consumers on one bounded queue --------------------
 */

static int
w4(const bench_args *a)
{
	long        items = (long) arg_int(a, "--items", 200000);
	long        np    = (long) arg_int(a, "--producers", 4);
	long        ncons = (long) arg_int(a, "--consumers", 4);
	long        maxsz = (long) arg_int(a, "--maxsize", 1000);
	mgr_client *c     = connect_or_die();
	mgr_obj    *q;
	if (items % np != 0 || items % ncons != 0) {
		die("--items must divide among producers and consumers");
	}
	check(mgr_queue_new(c, (size_t) maxsz, &q), "queue new");
	check(mgr_name_set(c, "bench.w4", q), "name set");

	long        n = np + ncons;
	const char *roles[n];
	for (long i = 0; i < n; i++) {
		roles[i] = i < np ? "w4p" : "w4c";
	}
	workers w;
	workers_start(&w, (size_t) n, roles, a->argv);
	int64_t       t_go = workers_go(&w);
	worker_report reps[n];
	workers_collect(&w, reps);

	int64_t got = 0, sum = 0, t_end = t_go;
	for (long i = np; i < n; i++) {
		got += reps[i].count;
		sum += reps[i].sum;
		t_end = reps[i].t_end > t_end ? reps[i].t_end : t_end;
	}
	if (got != items || sum != (int64_t) items * (items - 1) / 2) {
		die("consumers got %" PRId64 " items (sum %" PRId64
		    "), expected %ld",
		    got, sum, items);
	}
	result("w4.queue", (double) items / ((double) (t_end - t_go) / 1e9),
	    "items/s");
	mgr_obj_release(q);
	mgr_disconnect(c);
	return 0;
}

static int
w4_worker(const bench_args *a, int index, bool producer)
{
	long        items = (long) arg_int(a, "--items", 200000);
	long        np    = (long) arg_int(a, "--producers", 4);
	long        ncons = (long) arg_int(a, "--consumers", 4);
	mgr_client *c     = connect_or_die();
	mgr_obj    *q;
	char        value[BENCH_VALUE_LEN + 1];
	int64_t     count = 0, sum = 0;
	int         rv = 0;
	check(mgr_name_get(c, "bench.w4", &q), "name get");

	worker_ready_wait(index);
	if (producer) {
		long per = items / np;
		for (long i = index * per; i < (index + 1) * per && rv == 0;
		     i++) {
			fill_value(value, BENCH_VALUE_LEN, i);
			rv = mgr_queue_put(q, mgr_str(value), BENCH_WAIT_MS);
			count++;
		}
	} else {
		long per = items / ncons;
		for (long i = 0; i < per && rv == 0; i++) {
			mgr_value v;
			if ((rv = mgr_queue_get(q, &v, BENCH_WAIT_MS)) == 0) {
				sum += v.kind == MGR_STR ? atoll(v.s) : -1;
				mgr_value_free(&v);
				count++;
			}
		}
	}
	if (rv != 0) {
		worker_report_fail(index, rv);
		return 1;
	}
	worker_report_done(index, count, sum);
	mgr_obj_release(q);
	mgr_disconnect(c);
	return 0;
}

/* ---- W4p: W4 pipelined, up to depth puts or gets in flight per worker -----
 *
 * Producers run batches of up to depth blocking puts, consumers batches of
 * depth blocking gets: in a pipelined batch each blocking operation is a
 * request of its own that the manager parks until it can answer it, in
 * order, and mgr_batch_exec returns once every one has its answer. How
 * the items spread over the consumers' batches is up to the race, so a
 * consumer cannot stop at a count; the coordinator ends the run with
 * depth sentinels (None) per consumer:
 *
 * - It puts them once every producer has reported done, that is once
 *   every real put has been answered: all real items are in the queue (or
 *   already handed to a get) before the first sentinel is put. The queue
 *   is FIFO (a put hands its item to the longest-waiting get, parked puts
 *   go in in arrival order), so every real item is handed out before any
 *   sentinel: the real items counted over all consumers' batches (the
 *   last one's too, before and after its sentinel) are exactly the ones
 *   put, each once.
 * - A consumer stops after the batch in which it saw a sentinel: it takes
 *   sentinels in that batch only, at most depth, and one with w gets still
 *   waiting has taken at most depth - w. So the sentinels not yet taken
 *   are at least as many as the gets waiting: none waits forever. Nor
 *   does a sentinel put: once a consumer has stopped, the queue holds
 *   sentinels only, and maxsize >= depth * consumers. Sentinels left over
 *   stay in the queue. */

static int
w4p(const bench_args *a)
{
	long        items = (long) arg_int(a, "--items", 200000);
	long        np    = (long) arg_int(a, "--producers", 4);
	long        ncons = (long) arg_int(a, "--consumers", 4);
	long        maxsz = (long) arg_int(a, "--maxsize", 1000);
	long        depth = (long) arg_int(a, "--depth", 64);
	mgr_client *c     = connect_or_die();
	mgr_obj    *q;
	mgr_batch  *b;
	if (items % np != 0) {
		die("--items must divide among the producers");
	}
	if (depth < 1 || (maxsz != 0 && maxsz < depth * ncons)) {
		die("--maxsize must hold --depth sentinels per consumer");
	}
	check(mgr_queue_new(c, (size_t) maxsz, &q), "queue new");
	check(mgr_name_set(c, "bench.w4", q), "name set");
	check(mgr_batch_new(c, &b), "batch new");

	long        n = np + ncons;
	const char *roles[n];
	for (long i = 0; i < n; i++) {
		roles[i] = i < np ? "w4pp" : "w4pc";
	}
	workers w;
	workers_start(&w, (size_t) n, roles, a->argv);
	int64_t       t_go = workers_go(&w);
	worker_report reps[n];
	workers_await(&w, reps, (size_t) np); // every real item is in
	for (long i = 0; i < depth * ncons; i++) {
		mgr_value none = mgr_none();
		check(mgr_batch_add_timeout(
		          b, q, MGR_OP_QUEUE_PUT, &none, 1, BENCH_WAIT_MS),
		    "batch add");
	}
	check(mgr_batch_exec(b, false), "sentinel puts");
	workers_collect(&w, reps);

	int64_t put = 0, got = 0, sum = 0, t_end = t_go;
	for (long i = 0; i < np; i++) {
		put += reps[i].count;
	}
	for (long i = np; i < n; i++) {
		got += reps[i].count;
		sum += reps[i].sum;
		t_end = reps[i].t_end > t_end ? reps[i].t_end : t_end;
	}
	if (put != items || got != items
	    || sum != (int64_t) items * (items - 1) / 2) {
		die("producers put %" PRId64 " items, consumers got %" PRId64
		    " (sum %" PRId64 "), expected %ld",
		    put, got, sum, items);
	}
	result("w4p.queue_pipelined",
	    (double) items / ((double) (t_end - t_go) / 1e9), "items/s");
	mgr_batch_free(b);
	mgr_obj_release(q);
	mgr_disconnect(c);
	return 0;
}

static int
w4p_worker(const bench_args *a, int index, bool producer)
{
	long        items = (long) arg_int(a, "--items", 200000);
	long        np    = (long) arg_int(a, "--producers", 4);
	long        depth = (long) arg_int(a, "--depth", 64);
	mgr_client *c     = connect_or_die();
	mgr_obj    *q;
	mgr_batch  *b;
	char        value[BENCH_VALUE_LEN + 1];
	mgr_value   item  = mgr_strn(value, BENCH_VALUE_LEN);
	int64_t     count = 0, sum = 0;
	int         rv = 0, st = 0;
	check(mgr_name_get(c, "bench.w4", &q), "name get");
	check(mgr_batch_new(c, &b), "batch new");

	worker_ready_wait(index);
	if (producer) {
		long per = items / np, end = (index + 1) * per;
		for (long i = index * per; i < end && rv == 0;) {
			long k = 0;
			for (; k < depth && i < end && rv == 0; k++, i++) {
				fill_value(value, BENCH_VALUE_LEN, i);
				rv = mgr_batch_add_timeout(b, q,
				    MGR_OP_QUEUE_PUT, &item, 1,
				    BENCH_WAIT_MS);
			}
			if (rv == 0) {
				rv = mgr_batch_exec(b, false);
			}
			// Every put's own reply, not only the batch's.
			for (long j = 0; j < k && rv == 0; j++) {
				rv = mgr_batch_result(
				    b, (size_t) j, &st, NULL);
				rv = rv != 0 ? rv : st;
				count += rv == 0;
			}
			if (rv == 0) {
				rv = mgr_batch_reset(b);
			}
		}
	} else {
		bool stop = false;
		while (!stop && rv == 0) {
			for (long k = 0; k < depth && rv == 0; k++) {
				rv = mgr_batch_add_timeout(b, q,
				    MGR_OP_QUEUE_GET, NULL, 0, BENCH_WAIT_MS);
			}
			if (rv == 0) {
				rv = mgr_batch_exec(b, false);
			}
			// Every get of the batch has its answer: count the
			// real items, up to the sentinel and after it alike.
			for (long k = 0; k < depth && rv == 0; k++) {
				mgr_value v = mgr_none();
				rv = mgr_batch_result(b, (size_t) k, &st, &v);
				if ((rv = rv != 0 ? rv : st) != 0) {
					break;
				}
				if (v.kind == MGR_STR) {
					sum += atoll(v.s);
					count++;
				} else if (v.kind == MGR_NONE) {
					stop = true;
				} else {
					rv = MGR_ETYPE;
				}
				mgr_value_free(&v);
			}
			if (rv == 0) {
				rv = mgr_batch_reset(b);
			}
		}
	}
	if (rv != 0) {
		worker_report_fail(index, rv);
		return 1;
	}
	worker_report_done(index, count, sum);
	mgr_batch_free(b);
	mgr_obj_release(q);
	mgr_disconnect(c);
	return 0;
}

/* ---- W5: footprint ------------------------------------------------------
 */

static int
w5load(const bench_args *a)
{
	long        n   = (long) arg_int(a, "--entries", 1000000);
	long        per = (long) arg_int(a, "--per-call", 5000);
	mgr_client *c   = connect_or_die();
	mgr_obj    *d;
	mgr_value  *pairs = calloc((size_t) per * 2, sizeof(mgr_value));
	char       *text  = malloc((size_t) per * (24 + 33));
	if (pairs == NULL || text == NULL) {
		die("out of memory");
	}
	check(mgr_dict_new(c, &d), "dict new");
	if (n >= 10000000) {
		die("--entries must stay below 10^7 (8-byte keys)");
	}
	state_sync("connected");

	int64_t t0 = now_ns();
	for (long i = 0; i < n;) {
		long k = 0;
		for (; k < per && i < n; k++, i++) {
			char *key = text + k * (24 + 33);
			char *val = key + 24;
			snprintf(key, 24, "k%07ld", i); // 8 bytes: n < 10^7
			fill_value(val, 32, i);         // 32-byte values
			pairs[2 * k]     = mgr_strn(key, 8);
			pairs[2 * k + 1] = mgr_strn(val, 32);
		}
		check(mgr_dict_update(d, mgr_dict_of(pairs, (size_t) k)),
		    "dict update");
	}
	int64_t t1 = now_ns();
	size_t  len;
	check(mgr_dict_len(d, &len), "dict len");
	if (len != (size_t) n) {
		die("dict has %zu keys, expected %ld", len, n);
	}
	result("w5.load_rate", (double) n / ((double) (t1 - t0) / 1e9),
	    "entries/s");
	state_sync("loaded");
	mgr_obj_release(d);
	mgr_disconnect(c);
	free(pairs);
	free(text);
	return 0;
}

static int
w5conns(const bench_args *a)
{
	long         n  = (long) arg_int(a, "--conns", 1000);
	mgr_client **cs = calloc((size_t) n, sizeof(*cs));
	if (cs == NULL) {
		die("out of memory");
	}
	raise_nofile(2 * n + 64);
	for (long i = 0; i < n; i++) {
		cs[i] = connect_or_die();
	}
	state_sync("opened");
	for (long i = 0; i < n; i++) {
		mgr_disconnect(cs[i]);
	}
	free(cs);
	return 0;
}

/* ---- H: new connections ------------------------------------------------
 */

/* --n connections one after another, each: connect (the TLS handshake
 * over tls+tcp:// and the authkey handshake), one ping, disconnect. The
 * median time of one, in microseconds. */
static int
hs(const bench_args *a)
{
	long     n = (long) arg_int(a, "--n", 200);
	int64_t *t = times_new(n);
	for (long i = 0; i < n; i++) {
		int64_t     t0 = now_ns();
		mgr_client *c  = connect_or_die();
		check(mgr_ping(c), "ping");
		mgr_disconnect(c);
		t[i] = now_ns() - t0;
	}
	result("hs.connect", median_us(t, (size_t) n), "us");
	free(t);
	return 0;
}

/* R: --n times, the connection is dropped under the client (a reset of
 * its end), then one dict get: the median time from the drop to the
 * get's reply, in microseconds. The client reconnects and resumes its
 * session by itself (mgr_opts.reconnect). */
static int
rc(const bench_args *a)
{
	long     n = (long) arg_int(a, "--n", 30);
	int64_t *t = times_new(n);
	bench_set_reconnect(10000);
	mgr_client *c = connect_or_die();
	mgr_obj    *d;
	mgr_value   v;
	check(mgr_dict_new(c, &d), "dict new");
	check(mgr_dict_set(d, mgr_str("k"), mgr_str("v")), "dict set");
	for (long i = 0; i < n; i++) {
		drop_connections(bench_url());
		int64_t t0 = now_ns();
		check(mgr_dict_get(d, mgr_str("k"), &v), "dict get");
		t[i] = now_ns() - t0;
		mgr_value_free(&v);
	}
	uint64_t s1;
	check(mgr_client_session(c, &s1), "session");
	note("ours: %ld drops, one session throughout (%llu)", n,
	    (unsigned long long) s1);
	result("rc.reconnect", median_us(t, (size_t) n), "us");
	mgr_obj_release(d);
	mgr_disconnect(c);
	free(t);
	return 0;
}

/* The longest single hold of the manager's lock since it started, and
 * what held it: "hold US OP" (OP's spaces as +), for the driver to show
 * beside each workload. */
static int
hold(const bench_args *a)
{
	(void) a;
	mgr_client *c = connect_or_die();
	char        op[64];
	long long   us = lock_hold_max(c, op, sizeof(op));
	for (char *p = op; *p != '\0'; p++) {
		*p = *p == ' ' ? '+' : *p;
	}
	printf("hold %lld %s\n", us, op);
	mgr_disconnect(c);
	return us < 0;
}

int
main(int argc, char **argv)
{
	// The pool's workers are this program, exec'ed.
	w6_register();
	mgr_process_serve(argc, argv);
	if (argc < 2) {
		fprintf(stderr,
		    "usage: bench_mgr "
		    "w1|w2|w3|w4|w4p|w5load|w5conns|w6|w7|w8 "
		    "--url URL --keyfile FILE [options]\n");
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "worker") == 0) {
		// worker ROLE INDEX PPID --url ... (see workers_start)
		if (argc < 5) {
			return 2;
		}
		worker_init((pid_t) atol(argv[4]), atoi(argv[3]));
		bench_args a     = { argc - 5, argv + 5 };
		int        index = atoi(argv[3]);
		mgr_setup(&a);
		if (strcmp(argv[2], "w2") == 0) {
			return w2_worker(&a, index);
		}
		if (strcmp(argv[2], "w7g") == 0 || strcmp(argv[2], "w7l") == 0
		    || strcmp(argv[2], "w7m") == 0) {
			return w7_worker(&a, index, argv[2][2]);
		}
		if (strcmp(argv[2], "w4p") == 0
		    || strcmp(argv[2], "w4c") == 0) {
			return w4_worker(&a, index, argv[2][2] == 'p');
		}
		if (strcmp(argv[2], "w4pp") == 0
		    || strcmp(argv[2], "w4pc") == 0) {
			return w4p_worker(&a, index, argv[2][3] == 'p');
		}
		return 2;
	}
	bench_args a = { argc - 2, argv + 2 };
	mgr_setup(&a);
	if (strcmp(cmd, "w1") == 0) {
		return w1(&a);
	} else if (strcmp(cmd, "w2") == 0) {
		return w2(&a);
	} else if (strcmp(cmd, "w3") == 0) {
		return w3(&a);
	} else if (strcmp(cmd, "w4") == 0) {
		return w4(&a);
	} else if (strcmp(cmd, "w4p") == 0) {
		return w4p(&a);
	} else if (strcmp(cmd, "w5load") == 0) {
		return w5load(&a);
	} else if (strcmp(cmd, "w5conns") == 0) {
		return w5conns(&a);
	} else if (strcmp(cmd, "w6") == 0) {
		return w6(&a);
	} else if (strcmp(cmd, "w7") == 0) {
		return w7(&a);
	} else if (strcmp(cmd, "w8") == 0) {
		return w8(&a);
	} else if (strcmp(cmd, "hs") == 0) {
		return hs(&a);
	} else if (strcmp(cmd, "rc") == 0) {
		return rc(&a);
	} else if (strcmp(cmd, "hold") == 0) {
		return hold(&a);
	} else if (strcmp(cmd, "worst") == 0) {
		return worst(&a);
	} else if (strcmp(cmd, "fill") == 0) {
		return dr_fill(&a);
	} else if (strcmp(cmd, "count") == 0) {
		return dr_count(&a);
	}
	fprintf(stderr, "bench_mgr: unknown workload %s\n", cmd);
	return 2;
}
