/* managerd --cluster under chaos: the leader killed (SIGKILL) at a random
 * moment each round, and a consumer process killed too, while clients
 * increment and read a counter, put items on an acknowledged queue that
 * consumer processes take and mark done, and take turns on a lock with
 * fences to update the value it guards. Every operation's invocation,
 * completion and result is recorded, and at the end checked against
 * sequential models (history_check.h): the counter's history is
 * linearizable; every item acknowledged is finished exactly once, and
 * comes again only after a consumer died holding it; no two holds of the
 * lock overlap, fences grow, and no guarded write is lost.
 *
 * MGR_CLUSTER_CHAOS_ROUNDS sets the rounds (default 4; CI runs 20). */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cluster_fixture.h"
#include "harness.h"
#include "history_check.h"
#include "mgr.h"

#define COUNTERS     4
#define PRODUCERS    2
#define LOCKERS      2
#define CONSUMERS    2   /* running at once */
#define MAX_CONSUMER 128 /* started in all */

typedef struct worker {
	c_cluster   *c;
	int          n;
	atomic_bool *stop;
	atomic_llong ops; /* completed */
	atomic_int   failed;
	char         why[200];
	/* what it recorded */
	hc_counter_op *cops;
	int64_t       *puts;
	hc_hold       *holds;
	size_t         len, cap;
} worker;

static mgr_client *
connect_all(c_cluster *c)
{
	mgr_client *cl;
	mgr_opts    o  = c_opts(c, 30000);
	int         rv = mgr_connect(&cl, c->urls, &o);
	if (rv != 0) {
		fail_msg(
		    "connect: %s (%s)", mgr_strerror(rv), mgr_errdetail());
	}
	return cl;
}

/* Room for one more record (the arrays grow); false when out of it. */
static bool
room(worker *w, size_t size, void **arr)
{
	if (w->len < w->cap) {
		return true;
	}
	size_t cap = w->cap ? 2 * w->cap : 4096;
	void  *p   = realloc(*arr, cap * size);
	if (p == NULL) {
		return false;
	}
	*arr   = p;
	w->cap = cap;
	return true;
}

static void
failed(worker *w, const char *what, int rv)
{
	atomic_store(&w->failed, rv);
	snprintf(w->why, sizeof(w->why), "%s: %s (%s)", what,
	    mgr_strerror(rv), mgr_errdetail());
}

/* Increments "n" of dict "ctr", one read in three. */
static void *
counter_main(void *arg)
{
	worker     *w  = arg;
	mgr_client *cl = connect_all(w->c);
	mgr_obj    *d;
	int         rv = mgr_name_get(cl, "ctr", &d);
	for (long k = 0; rv == 0 && !atomic_load(w->stop); k++) {
		if (!room(w, sizeof(*w->cops), (void **) &w->cops)) {
			break;
		}
		hc_counter_op *op   = &w->cops[w->len];
		mgr_value      v    = { 0 };
		bool           read = k % 3 == 2;
		op->inv             = hc_now_ns();
		rv                  = read ? mgr_dict_get(d, mgr_str("n"), &v)
		                           : mgr_dict_incr(d, mgr_str("n"), mgr_int(1), &v);
		op->resp            = hc_now_ns();
		if (rv == MGR_EKEY && read) { // before the first increment
			rv = 0;
			v  = mgr_int(0);
		}
		if (rv != 0) {
			failed(w, read ? "get" : "incr", rv);
			break;
		}
		op->value = v.i;
		op->read  = read;
		mgr_value_free(&v);
		w->len++;
		atomic_fetch_add(&w->ops, 1);
	}
	mgr_obj_release(d);
	mgr_disconnect(cl);
	return NULL;
}

/* Puts distinct items on the queue "jobs", each recorded once its put
 * returned. */
static void *
producer_main(void *arg)
{
	worker     *w  = arg;
	mgr_client *cl = connect_all(w->c);
	mgr_obj    *q;
	int         rv = mgr_name_get(cl, "jobs", &q);
	for (int64_t k = 1; rv == 0 && !atomic_load(w->stop); k++) {
		int64_t item = ((int64_t) (w->n + 1) << 32) | k;
		if (!room(w, sizeof(*w->puts), (void **) &w->puts)) {
			break;
		}
		if ((rv = mgr_queue_put(q, mgr_int(item), MGR_FOREVER))
		    != 0) {
			failed(w, "put", rv);
			break;
		}
		w->puts[w->len++] = item;
		atomic_fetch_add(&w->ops, 1);
		h_nap(5); // the consumers keep up
	}
	mgr_obj_release(q);
	mgr_disconnect(cl);
	return NULL;
}

/* Takes the lock "lk" with a fence, reads "g" of dict "guarded" and
 * writes it plus one, releases. */
static void *
locker_main(void *arg)
{
	worker     *w  = arg;
	mgr_client *cl = connect_all(w->c);
	mgr_obj    *l, *g;
	int         rv = mgr_name_get(cl, "lk", &l);
	if (rv == 0) {
		rv = mgr_name_get(cl, "guarded", &g);
	}
	while (rv == 0 && !atomic_load(w->stop)) {
		if (!room(w, sizeof(*w->holds), (void **) &w->holds)) {
			break;
		}
		hc_hold  *h = &w->holds[w->len];
		mgr_value v = { 0 };
		if ((rv = mgr_acquire_fence(l, 10000, &h->fence)) != 0) {
			failed(w, "acquire", rv);
			break;
		}
		h->acquired = hc_now_ns();
		rv          = mgr_dict_get(g, mgr_str("g"), &v);
		h->seen     = rv == 0 ? v.i : 0;
		rv          = rv == MGR_EKEY ? 0 : rv;
		mgr_value_free(&v);
		if (rv == 0) {
			rv = mgr_dict_set(
			    g, mgr_str("g"), mgr_int(h->seen + 1));
		}
		h->releasing = hc_now_ns();
		if (rv != 0 || (rv = mgr_release(l)) != 0) {
			failed(w, "guarded update or release", rv);
			break;
		}
		w->len++;
		atomic_fetch_add(&w->ops, 1);
	}
	mgr_obj_release(l);
	mgr_obj_release(g);
	mgr_disconnect(cl);
	return NULL;
}

typedef struct consumers {
	c_cluster *c;
	h_child    ch[CONSUMERS];
	int        id[CONSUMERS]; /* which consumer each slot runs */
	int        started;
	bool       died[MAX_CONSUMER];
} consumers;

static void
consumer_file(const consumers *cs, int id, char *path, size_t cap)
{
	snprintf(path, cap, "%s/consumer-%d.log", cs->c->dir, id);
}

static void
consumer_start(consumers *cs, int slot)
{
	char  path[400], url[300], key[120];
	char *argv[] = { "child_cluster_consumer", path, "jobs", NULL };
	assert_true(cs->started < MAX_CONSUMER);
	int id = cs->started++;
	consumer_file(cs, id, path, sizeof(path));
	snprintf(url, sizeof(url), "MGR_URL=%s", cs->c->urls);
	snprintf(key, sizeof(key), "MGR_AUTHKEY=%s", cs->c->key);
	const char *env[]
	    = { url, key, "MGR_RECONNECT=30000", "MGR_LEASE=5000", NULL };
	assert_int_equal(h_spawn(&cs->ch[slot], MGR_CHILD_CLUSTER_CONSUMER,
	                     argv, env, H_PIPE_OUT),
	    0);
	char line[64];
	assert_int_equal(
	    h_child_read_line(&cs->ch[slot], line, sizeof(line), 30000), 0);
	assert_string_equal(line, "ready");
	cs->id[slot] = id;
}

/* The deliveries every consumer wrote, in each one's order. */
static hc_delivery *
read_deliveries(const consumers *cs, size_t *n)
{
	size_t       cap = 4096, len = 0;
	hc_delivery *d = malloc(cap * sizeof(*d));
	assert_non_null(d);
	for (int id = 0; id < cs->started; id++) {
		char      path[400], what[16];
		long long item;
		consumer_file(cs, id, path, sizeof(path));
		FILE *f = fopen(path, "r");
		while (
		    f != NULL && fscanf(f, "%15s %lld", what, &item) == 2) {
			// got, acking and done of one item: one delivery
			// whose step is the last written
			if (strcmp(what, "got") == 0) {
				if (len == cap) {
					cap *= 2;
					d = realloc(d, cap * sizeof(*d));
					assert_non_null(d);
				}
				d[len++] = (hc_delivery) { item, id, HC_GOT };
			} else if (len > 0 && d[len - 1].item == item
			    && d[len - 1].consumer == id) {
				d[len - 1].step = strcmp(what, "done") == 0
				    ? HC_DONE
				    : HC_ACKING;
			}
		}
		if (f != NULL) {
			fclose(f);
		}
	}
	*n = len;
	return d;
}

/* What the leader knows member i holds of the group's log (its
 * cluster_member_match), or -1. */
static int64_t
match_of(c_cluster *c, mgr_client *cl, int i)
{
	mgr_value info;
	char      id[16];
	int64_t   match = -1;
	snprintf(id, sizeof(id), "%d", c->m[i].id);
	if (mgr_info(cl, &info) != 0) {
		return -1;
	}
	const mgr_value *fam = h_dict_find(&info, "cluster_member_match");
	const mgr_value *v   = fam != NULL ? h_dict_find(fam, id) : NULL;
	if (v != NULL && v->kind == MGR_INT) {
		match = v->i;
	}
	mgr_value_free(&info);
	return match;
}

/* Member i, started again or joined again, holds everything the group
 * committed when it came back: the next round's fault then leaves a
 * majority that can commit (three members bear one fault at a time). */
static void
caught_up(c_cluster *c, mgr_client *cl, int i)
{
	int64_t commit = 0;
	assert_int_equal(h_info_int(cl, "cluster_commit_index", &commit), 0);
	int64_t until = h_now_ms() + 30000;
	while (match_of(c, cl, i) < commit && h_now_ms() < until) {
		h_nap(20);
	}
	if (match_of(c, cl, i) < commit) {
		c_dump_logs(c);
		fail_msg("node %d did not catch up with the group's log",
		    c->m[i].id);
	}
}

static long long
ops_of(worker *w, int n)
{
	long long s = 0;
	for (int i = 0; i < n; i++) {
		s += atomic_load(&w[i].ops);
	}
	return s;
}

static void
test_cluster_chaos(void **state)
{
	(void) state;
	const char *env    = getenv("MGR_CLUSTER_CHAOS_ROUNDS");
	int         rounds = env != NULL && atoi(env) > 0 ? atoi(env) : 4;
	// In network namespaces when this machine makes them (as root):
	// then every other round cuts the leader's link instead of killing
	// it, and heals it once the others serve.
	c_cluster *c     = c_cluster_new_netns("chaos", NULL);
	bool       netns = c != NULL;
	if (c == NULL) {
		c = c_cluster_new("chaos", NULL);
	}
	assert_non_null(c);
	assert_int_equal(c_start_all(c), 0);
	assert_true(c_leader(c, 20000) >= 0);
	mgr_client    *cl = connect_all(c);
	mgr_obj       *ctl, *ctr, *jobs, *lk, *guarded;
	mgr_queue_opts qo = { .ack = true };
	assert_int_equal(mgr_dict_new(cl, &ctl), 0);
	assert_int_equal(mgr_name_set(cl, "chaos", ctl), 0);
	assert_int_equal(mgr_dict_new(cl, &ctr), 0);
	assert_int_equal(mgr_name_set(cl, "ctr", ctr), 0);
	assert_int_equal(mgr_queue_new_opts(cl, &qo, &jobs), 0);
	assert_int_equal(mgr_name_set(cl, "jobs", jobs), 0);
	assert_int_equal(mgr_lock_new(cl, &lk), 0);
	assert_int_equal(mgr_name_set(cl, "lk", lk), 0);
	assert_int_equal(mgr_dict_new(cl, &guarded), 0);
	assert_int_equal(mgr_name_set(cl, "guarded", guarded), 0);

	static consumers cs;
	cs = (consumers) { .c = c };
	for (int s = 0; s < CONSUMERS; s++) {
		consumer_start(&cs, s);
	}
	atomic_bool   stop = false;
	static worker w[COUNTERS + PRODUCERS + LOCKERS];
	pthread_t     th[COUNTERS + PRODUCERS + LOCKERS];
	void *(*mains[])(void *)
	    = { counter_main, producer_main, locker_main };
	for (int i = 0; i < COUNTERS + PRODUCERS + LOCKERS; i++) {
		int kind = i < COUNTERS        ? 0
		    : i < COUNTERS + PRODUCERS ? 1
		                               : 2;
		w[i]     = (worker) { .c = c, .n = i, .stop = &stop };
		assert_int_equal(
		    pthread_create(&th[i], NULL, mains[kind], &w[i]), 0);
	}
	h_watchdog_arm(120 + 20 * rounds, "cluster chaos");
	srand((unsigned) getpid());
	int64_t worst = 0;
	for (int r = 0; r < rounds; r++) {
		// Everyone under way; then, at a moment none chose, a
		// consumer and the leader die.
		long long before = ops_of(w, COUNTERS);
		int64_t   until  = h_now_ms() + 10000;
		while (ops_of(w, COUNTERS) < before + 100
		    && h_now_ms() < until) {
			h_nap(5);
		}
		h_nap(rand() % 300);
		int slot = rand() % CONSUMERS;
		h_child_signal(&cs.ch[slot], SIGKILL);
		int code = h_child_wait(&cs.ch[slot], 10000);
		if (code != 128 + SIGKILL) { // it had ended on its own
			c_dump_logs(c);
			fail_msg("consumer %d exited with %d before its kill",
			    cs.id[slot], code);
		}
		cs.died[cs.id[slot]] = true;
		int leader           = c_leader(c, 10000);
		assert_true(leader >= 0);
		bool    cut = netns && r % 2 == 1;
		int64_t t0  = h_now_ms();
		if (cut) {
			assert_int_equal(c_link(c, leader, false), 0);
		} else {
			c_kill(c, leader);
		}
		// Served again: each counter client has two calls more
		// answered than when the leader went (one reply may have
		// been on its way, or in its socket, at the cut).
		long long     at[COUNTERS];
		atomic_llong *ops[COUNTERS];
		atomic_int   *failed[COUNTERS];
		for (int i = 0; i < COUNTERS; i++) {
			ops[i]    = &w[i].ops;
			failed[i] = &w[i].failed;
			at[i]     = atomic_load(ops[i]);
		}
		int64_t took
		    = c_await_served(ops, at, failed, COUNTERS, 2, t0, 20000);
		worst = took > worst ? took : worst;
		if (took >= 10000) {
			c_dump_logs(c);
			fail_msg(
			    "round %d: node %d %s, served again only after "
			    "%lld ms",
			    r, c->m[leader].id, cut ? "cut off" : "killed",
			    (long long) took);
		}
		h_log("round %d: node %d %s and consumer %d killed; served "
		      "again in %lld ms",
		    r, c->m[leader].id, cut ? "cut off" : "killed",
		    cs.id[slot], (long long) took);
		// It comes back (a restart on its directory, or its link up:
		// then it starts again from the group's log) and catches up.
		if (cut) {
			assert_int_equal(c_link(c, leader, true), 0);
		} else {
			assert_int_equal(c_start(c, leader), 0);
		}
		caught_up(c, cl, leader);
		consumer_start(&cs, slot);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < COUNTERS + PRODUCERS + LOCKERS; i++) {
		pthread_join(th[i], NULL);
		if (atomic_load(&w[i].failed) != 0) {
			c_dump_logs(c);
			fail_msg("worker %d: %s", i, w[i].why);
		}
	}
	// Every item finished (the dead consumers' come back after their
	// lease), then the consumers stop.
	int rv = mgr_queue_join(jobs, 60000);
	if (rv != 0) {
		c_dump_logs(c);
		fail_msg("the queue's items were not all done: %s (%s)",
		    mgr_strerror(rv), mgr_errdetail());
	}
	assert_int_equal(
	    mgr_dict_set(ctl, mgr_str("stop"), mgr_bool(true)), 0);
	for (int s = 0; s < CONSUMERS; s++) {
		int code = h_child_wait(&cs.ch[s], 30000);
		if (code != 0) {
			c_dump_logs(c);
			fail_msg(
			    "consumer %d exited with %d (its error is above)",
			    cs.id[s], code);
		}
	}
	h_watchdog_disarm();

	// The counter: every operation, and a last read.
	size_t n = 1;
	for (int i = 0; i < COUNTERS; i++) {
		n += w[i].len;
	}
	hc_counter_op *ops = malloc(n * sizeof(*ops));
	assert_non_null(ops);
	size_t k = 0;
	for (int i = 0; i < COUNTERS; i++) {
		memcpy(ops + k, w[i].cops, w[i].len * sizeof(*ops));
		k += w[i].len;
	}
	ops[k].inv   = hc_now_ns();
	ops[k].value = 0;
	{
		mgr_value v;
		assert_int_equal(mgr_dict_get(ctr, mgr_str("n"), &v), 0);
		ops[k].value = v.i;
		mgr_value_free(&v);
	}
	ops[k].resp = hc_now_ns();
	ops[k].read = true;
	char why[300];
	if (!hc_counter_linearizable(ops, n, why, sizeof(why))) {
		fail_msg(
		    "the counter's history (%zu operations): %s", n, why);
	}

	// The queue.
	size_t nput = 0, nd = 0;
	for (int i = COUNTERS; i < COUNTERS + PRODUCERS; i++) {
		nput += w[i].len;
	}
	int64_t *put = malloc((nput + 1) * sizeof(*put));
	assert_non_null(put);
	k = 0;
	for (int i = COUNTERS; i < COUNTERS + PRODUCERS; i++) {
		memcpy(put + k, w[i].puts, w[i].len * sizeof(*put));
		k += w[i].len;
	}
	hc_delivery *d = read_deliveries(&cs, &nd);
	if (!hc_queue_delivered(
	        put, nput, d, nd, cs.died, MAX_CONSUMER, why, sizeof(why))) {
		fail_msg("the queue's history (%zu put, %zu deliveries): %s",
		    nput, nd, why);
	}
	size_t again = nd - nput;

	// The lock.
	size_t nh = 0;
	for (int i = COUNTERS + PRODUCERS; i < COUNTERS + PRODUCERS + LOCKERS;
	     i++) {
		nh += w[i].len;
	}
	hc_hold *holds = malloc((nh + 1) * sizeof(*holds));
	assert_non_null(holds);
	k = 0;
	for (int i = COUNTERS + PRODUCERS; i < COUNTERS + PRODUCERS + LOCKERS;
	     i++) {
		memcpy(holds + k, w[i].holds, w[i].len * sizeof(*holds));
		k += w[i].len;
	}
	if (!hc_lock_holds(holds, nh, why, sizeof(why))) {
		fail_msg("the lock's history (%zu holds): %s", nh, why);
	}
	mgr_value gv;
	assert_int_equal(mgr_dict_get(guarded, mgr_str("g"), &gv), 0);
	assert_int_equal(gv.i, (int64_t) nh);

	h_log("%d rounds%s: counter %zu operations linearizable; %zu items "
	      "each finished once (%zu given again after %d consumers "
	      "died); %zu lock holds, fences growing; the longest failover "
	      "%lld ms",
	    rounds, netns ? " (network namespaces, links cut)" : "", n, nput,
	    again, rounds, nh, (long long) worst);
	assert_true(worst < 10000);
	for (int i = 0; i < COUNTERS + PRODUCERS + LOCKERS; i++) {
		free(w[i].cops);
		free(w[i].puts);
		free(w[i].holds);
	}
	free(ops);
	free(put);
	free(d);
	free(holds);
	mgr_obj_release(ctl);
	mgr_obj_release(ctr);
	mgr_obj_release(jobs);
	mgr_obj_release(lk);
	mgr_obj_release(guarded);
	mgr_disconnect(cl);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_cluster_chaos, c_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
