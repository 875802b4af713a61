/* managerd --cluster, three members on loopback: clients find the leader
 * from any member; the leader killed (SIGKILL) at random moments under
 * eight writers loses no acknowledged increment and applies none twice,
 * and the next leader serves within a bound; a lock's holder keeps it
 * across a failover and fences only grow; a member that lost its
 * directory catches up from the leader's snapshot; a large state is not
 * snapshotted again before the log since is as large; the whole group
 * killed and started again holds what it acknowledged.
 *
 * MGR_CLUSTER_ROUNDS sets the failover rounds (default 4). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cluster_fixture.h"
#include "harness.h"
#include "mgr.h"

#define WRITERS 8

static mgr_client *
connect_to(c_cluster *c, const char *urls, int64_t reconnect_ms)
{
	mgr_opts o = c_opts(c, reconnect_ms);
	return c_connect(c, urls, &o);
}

static int64_t
dict_int(mgr_obj *d, const char *key)
{
	mgr_value v;
	int       rv = mgr_dict_get(d, mgr_str(key), &v);
	if (rv == MGR_EKEY) {
		return 0;
	}
	if (rv != 0) {
		c_dump_live_logs();
		fail_msg("get %s: %s (%s)", key, mgr_strerror(rv),
		    mgr_errdetail());
	}
	assert_int_equal(v.kind, MGR_INT);
	int64_t i = v.i;
	mgr_value_free(&v);
	return i;
}

/* ---- any member sends a client to the leader */

static void
test_cluster_redirect(void **state)
{
	(void) state;
	c_cluster *c      = c_cluster_up("redirect", NULL);
	int        leader = c_leader(c, 10000);
	assert_true(leader >= 0);
	for (int i = 0; i < C_MEMBERS; i++) {
		// One member's URL alone: a follower names the
		// leader.
		mgr_client *cl  = connect_to(c, c->m[i].url, 0);
		int64_t     pid = 0;
		assert_int_equal(h_info_int(cl, "pid", &pid), 0);
		assert_int_equal(pid, c->m[leader].pid);
		// Its figures: the one that serves, among three.
		int64_t serving = 0, members = 0, node = 0;
		assert_int_equal(
		    h_info_int(cl, "cluster_serving", &serving), 0);
		assert_int_equal(
		    h_info_int(cl, "cluster_members", &members), 0);
		assert_int_equal(h_info_int(cl, "cluster_node", &node), 0);
		assert_int_equal(serving, 1);
		assert_int_equal(members, C_MEMBERS);
		assert_int_equal(node, c->m[leader].id);
		mgr_disconnect(cl);
	}
	// A wrong key learns nothing from a follower: refused as
	// anywhere.
	int         follower = (leader + 1) % C_MEMBERS;
	mgr_opts    o        = c_opts(c, 0);
	mgr_client *cl;
	o.authkey     = "not the key";
	o.authkey_len = strlen(o.authkey);
	assert_int_equal(mgr_connect(&cl, c->m[follower].url, &o), MGR_EAUTH);
	assert_null(strstr(mgr_errdetail(), c->m[leader].url));
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

/* ---- a member with another key */

static void
test_cluster_wrong_key_member(void **state)
{
	(void) state;
	// Member 3 has another key: the others refuse its connections
	// and it theirs, before raft reads a byte; 1 and 2 are a
	// majority.
	c_cluster *c = c_cluster_new("wrongkey", NULL);
	assert_non_null(c);
	snprintf(
	    c->m[2].keyfile, sizeof(c->m[2].keyfile), "%s/otherkey", c->dir);
	FILE *f = fopen(c->m[2].keyfile, "w");
	assert_non_null(f);
	fprintf(f, "not the cluster's key\n");
	fclose(f);
	chmod(c->m[2].keyfile, 0600);
	assert_int_equal(c_start_all(c), 0);
	char urls[256];
	snprintf(urls, sizeof(urls), "%s,%s", c->m[0].url, c->m[1].url);
	mgr_client *cl = connect_to(c, urls, 30000);
	mgr_obj    *d;
	assert_int_equal(mgr_dict_new(cl, &d), 0);
	c_incr_n(d, "k", 20);
	int64_t serving = 0, lag = 0, node = 0;
	assert_int_equal(h_info_int(cl, "cluster_serving", &serving), 0);
	assert_int_equal(h_info_int(cl, "cluster_node", &node), 0);
	assert_int_equal(h_info_int(cl, "cluster_lag_max", &lag), 0);
	assert_int_equal(serving, 1);
	assert_true(node == 1 || node == 2);
	assert_true(lag >= 20); // member 3 has nothing of it
	int64_t until = h_now_ms() + 10000;
	while ((!c_log_has(c, 2, "a wrong key")
	           || !c_log_has(c, (int) node - 1, "a wrong key"))
	    && h_now_ms() < until) {
		h_nap(20);
	}
	assert_true(c_log_has(c, 2, "a wrong key"));
	assert_true(c_log_has(c, (int) node - 1, "a wrong key"));
	mgr_obj_release(d);
	mgr_disconnect(cl);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

/* ---- failovers under writers */

typedef struct writer {
	c_cluster   *c;
	int          n;
	atomic_bool *stop;
	atomic_llong acked;     /* increments acknowledged */
	atomic_llong uncertain; /* calls that failed (applied or not) */
	long long    skipped;   /* a new value that skipped one */
	int          last_error;
} writer;

static void *
writer_main(void *arg)
{
	writer     *w  = arg;
	mgr_client *cl = connect_to(w->c, w->c->urls, 30000);
	mgr_obj    *d;
	char        key[16];
	snprintf(key, sizeof(key), "w%d", w->n);
	assert_int_equal(mgr_name_get(cl, "counts", &d), 0);
	int64_t last = 0;
	while (!atomic_load(w->stop)) {
		mgr_value nv;
		int rv = mgr_dict_incr(d, mgr_str(key), mgr_int(1), &nv);
		if (rv == 0) {
			if (nv.i != last + 1
			    && atomic_load(&w->uncertain) == 0) {
				w->skipped++;
			}
			last = nv.i;
			atomic_fetch_add(&w->acked, 1);
			mgr_value_free(&nv);
		} else {
			atomic_fetch_add(&w->uncertain, 1);
			w->last_error = rv;
			h_nap(10);
		}
	}
	mgr_obj_release(d);
	mgr_disconnect(cl);
	return NULL;
}

static long long
acked_sum(writer *w)
{
	long long s = 0;
	for (int i = 0; i < WRITERS; i++) {
		s += atomic_load(&w[i].acked);
	}
	return s;
}

static void
test_cluster_failover_writers(void **state)
{
	(void) state;
	const char *env    = getenv("MGR_CLUSTER_ROUNDS");
	int         rounds = env != NULL && atoi(env) > 0 ? atoi(env) : 4;
	c_cluster  *c      = c_cluster_up("failover", NULL);
	mgr_client *cl     = connect_to(c, c->urls, 30000);
	mgr_obj    *d;
	assert_int_equal(mgr_dict_new(cl, &d), 0);
	assert_int_equal(mgr_name_set(cl, "counts", d), 0);

	atomic_bool stop = false;
	writer      w[WRITERS];
	pthread_t   th[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (writer) { .c = c, .n = i, .stop = &stop };
		assert_int_equal(
		    pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	h_watchdog_arm(60 + 30 * rounds, "cluster failovers");
	int64_t worst = 0;
	srand((unsigned) getpid());
	for (int r = 0; r < rounds; r++) {
		// Every writer under way, then the leader dies at a
		// moment none of them chose.
		long long before = acked_sum(w);
		int64_t   until  = h_now_ms() + 10000;
		while (acked_sum(w) < before + 200 && h_now_ms() < until) {
			h_nap(5);
		}
		h_nap(rand() % 300);
		int leader = c_leader(c, 10000);
		assert_true(leader >= 0);
		long long     at[WRITERS];
		atomic_llong *acked[WRITERS];
		for (int i = 0; i < WRITERS; i++) {
			acked[i] = &w[i].acked;
			at[i]    = atomic_load(acked[i]);
		}
		c_kill(c, leader);
		// Failover: until every writer had an increment
		// acknowledged again.
		int64_t took = c_await_served(
		    acked, at, NULL, WRITERS, 1, h_now_ms(), 20000);
		h_log("round %d: node %d killed; writers served "
		      "again in %lld "
		      "ms",
		    r, c->m[leader].id, (long long) took);
		if (took >= 20000) {
			c_dump_logs(c);
			fail_msg("round %d: no failover in 20 s", r);
		}
		worst = took > worst ? took : worst;
		assert_int_equal(c_start(c, leader), 0);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
	}
	h_watchdog_disarm();

	// Every increment acknowledged is there, once; a call that
	// failed may or may not have been applied.
	long long total = 0;
	for (int i = 0; i < WRITERS; i++) {
		char key[16];
		snprintf(key, sizeof(key), "w%d", i);
		int64_t   v = dict_int(d, key);
		long long a = atomic_load(&w[i].acked);
		long long u = atomic_load(&w[i].uncertain);
		total += a;
		if (v < a || v > a + u || w[i].skipped != 0) {
			c_dump_logs(c);
			fail_msg("writer %d: %lld acknowledged, %lld "
			         "failed "
			         "(last %s), %lld skipped, and the "
			         "dict holds "
			         "%lld",
			    i, a, u, mgr_strerror(w[i].last_error),
			    w[i].skipped, (long long) v);
		}
		assert_int_equal(u, 0); // reconnects carried every call
	}
	h_log("%d failovers under %d writers: %lld increments, each "
	      "once; "
	      "the longest failover %lld ms",
	    rounds, WRITERS, total, (long long) worst);
	assert_true(worst < 10000);
	mgr_obj_release(d);
	mgr_disconnect(cl);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

/* ---- a lock's holder across a failover */

static void
test_cluster_lock_fence(void **state)
{
	(void) state;
	c_cluster  *c = c_cluster_up("fence", NULL);
	mgr_client *a = connect_to(c, c->urls, 30000);
	mgr_client *b = connect_to(c, c->urls, 30000);
	mgr_obj    *la, *lb;
	uint64_t    f1, f2, now;
	assert_int_equal(mgr_lock_new(a, &la), 0);
	assert_int_equal(mgr_name_set(a, "lk", la), 0);
	assert_int_equal(mgr_name_get(b, "lk", &lb), 0);
	assert_int_equal(mgr_acquire_fence(la, MGR_FOREVER, &f1), 0);
	int leader = c_leader(c, 10000);
	c_kill(c, leader);
	// The new leader has the hold, its holder's session and its
	// fence.
	assert_int_equal(mgr_lock_fence(lb, &now), 0);
	assert_int_equal(now, f1);
	assert_int_equal(mgr_acquire(lb, 200), MGR_ETIMEDOUT);
	assert_int_equal(mgr_release(la), 0);
	assert_int_equal(mgr_acquire_fence(lb, 5000, &f2), 0);
	assert_true(f2 > f1);
	assert_int_equal(c_start(c, leader), 0);
	assert_int_equal(mgr_release(lb), 0);
	mgr_obj_release(la);
	mgr_obj_release(lb);
	mgr_disconnect(a);
	mgr_disconnect(b);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

/* The leader's cluster_snapshot_index. */
static int64_t
snapshot_index(mgr_client *cl)
{
	int64_t snap = -1;
	assert_int_equal(h_info_int(cl, "cluster_snapshot_index", &snap), 0);
	return snap;
}

/* Small entries (increments of d's key "k") until the leader's snapshot
 * is of an entry past index, for at most 30 s: its index then. */
static int64_t
snapshot_past(mgr_client *cl, mgr_obj *d, int64_t index)
{
	int64_t until = h_now_ms() + 30000;
	int64_t snap  = snapshot_index(cl);
	while (snap <= index && h_now_ms() < until) {
		c_incr_n(d, "k", 20);
		snap = snapshot_index(cl);
	}
	return snap;
}

/* ---- a condition's wait parked on the leader, in the leader's own
 * snapshot: the member that starts from it parks the wait again */

typedef struct waiter {
	c_cluster *c;
	int        wait_rv, release_rv;
} waiter;

static void *
waiter_main(void *arg)
{
	waiter     *w  = arg;
	mgr_client *cl = connect_to(w->c, w->c->urls, 30000);
	mgr_obj    *lk, *cv;
	assert_int_equal(mgr_name_get(cl, "plk", &lk), 0);
	assert_int_equal(mgr_name_get(cl, "pcv", &cv), 0);
	assert_int_equal(mgr_acquire(lk, MGR_FOREVER), 0);
	w->wait_rv    = mgr_condition_wait(cv, 120000);
	w->release_rv = mgr_release(lk);
	mgr_obj_release(cv);
	mgr_obj_release(lk);
	mgr_disconnect(cl);
	return NULL;
}

static void
test_cluster_parked_snapshot(void **state)
{
	(void) state;
	const char *extra[] = { "--snapshot-entries", "32", NULL };
	c_cluster  *c       = c_cluster_up("parked", extra);
	mgr_client *cl      = connect_to(c, c->urls, 30000);
	mgr_obj    *lk, *cv, *d;
	assert_int_equal(mgr_lock_new(cl, &lk), 0);
	assert_int_equal(mgr_name_set(cl, "plk", lk), 0);
	assert_int_equal(mgr_condition_new(cl, lk, &cv), 0);
	assert_int_equal(mgr_name_set(cl, "pcv", cv), 0);
	assert_int_equal(mgr_dict_new(cl, &d), 0);
	waiter    w = { .c = c };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	assert_int_equal(
	    h_info_await(cl, "waiters", NULL, 1, 20000, NULL), 0);
	int64_t parked_at = 0;
	assert_int_equal(
	    h_info_int(cl, "cluster_commit_index", &parked_at), 0);
	// The leader snapshots past the park, and drops the entries
	// before (16 trail a snapshot of 32).
	assert_true(snapshot_past(cl, d, parked_at + 63) >= parked_at + 64);

	// All die; the followers lose their directories: the old leader
	// starts from its own snapshot, leads, and the others get it.
	int leader = c_leader(c, 10000);
	for (int i = 0; i < C_MEMBERS; i++) {
		c_kill(c, i);
	}
	for (int i = 0; i < C_MEMBERS; i++) {
		char *const rm[] = { "rm", "-rf", c->m[i].data, NULL };
		if (i != leader) {
			assert_int_equal(
			    h_run("/bin/rm", rm, NULL, 0, 10000, NULL, 0), 0);
		}
	}
	assert_int_equal(c_start(c, leader), 0);
	assert_int_equal(c_start(c, (leader + 1) % C_MEMBERS), 0);
	assert_int_equal(c_leader(c, 20000), leader);
	assert_int_equal(c_start(c, (leader + 2) % C_MEMBERS), 0);

	// The wait is parked again, for its lock: it returns once it
	// has the lock back (as a spurious wakeup may), holding it. (A
	// wait not parked again would have its client's retry refused:
	// the lock is not its own.)
	pthread_join(th, NULL);
	if (w.wait_rv != 0 || w.release_rv != 0) {
		c_dump_logs(c);
		fail_msg("the wait: %s, its release: %s",
		    mgr_strerror(w.wait_rv), mgr_strerror(w.release_rv));
	}
	assert_int_equal(mgr_acquire(lk, 20000), 0);
	assert_int_equal(mgr_condition_notify(cv, 1), 0);
	assert_int_equal(mgr_release(lk), 0);
	mgr_obj_release(d);
	mgr_obj_release(cv);
	mgr_obj_release(lk);
	mgr_disconnect(cl);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

/* ---- membership: a member added, one removed, and the group so made
 * elects and serves without the old leader */

/* Member id's role as the leader's figures say ("" when none), the
 * change's words into said. */
static void
member_role(mgr_client *cl, int id, char *role, size_t cap, char *said,
    size_t saidcap)
{
	mgr_value info;
	char      key[16];
	snprintf(key, sizeof(key), "%d", id);
	role[0] = said[0] = '\0';
	assert_int_equal(mgr_info(cl, &info), 0);
	for (size_t i = 0; i < info.len; i++) {
		const mgr_value *k = &info.pairs[2 * i], *v = k + 1;
		if (strcmp(k->s, "cluster_change") == 0
		    && v->kind == MGR_STR) {
			snprintf(said, saidcap, "%s", v->s);
		}
		if (strcmp(k->s, "cluster_member_role") != 0) {
			continue;
		}
		for (size_t j = 0; j < v->len; j++) {
			if (strcmp(v->pairs[2 * j].s, key) == 0) {
				snprintf(
				    role, cap, "%s", v->pairs[2 * j + 1].s);
			}
		}
	}
	mgr_value_free(&info);
}

/* Waits (20 s at most) until member id's role is want ("" for out). */
static void
await_role(c_cluster *c, mgr_client *cl, int id, const char *want)
{
	char    role[16], said[256];
	int64_t deadline = h_now_ms() + 20000;
	do {
		member_role(cl, id, role, sizeof(role), said, sizeof(said));
		if (strcmp(role, want) == 0) {
			return;
		}
		h_nap(20);
	} while (h_now_ms() < deadline);
	c_dump_logs(c);
	fail_msg("node %d: \"%s\", not \"%s\", after 20 s (%s)", id, role,
	    want, said);
}

/* managerctl cluster WHAT ARG through every member's URL (node 4's too):
 * its exit status, its output in out. */
static int
ctl_cluster(
    c_cluster *c, const char *what, const char *arg, char *out, size_t cap)
{
	char exe[512], url[600], key[128];
	snprintf(
	    exe, sizeof(exe), "%s/../tools/managerctl", MGR_EXAMPLES_DIR);
	snprintf(
	    url, sizeof(url), "MGR_URL=%s,%s", c->urls, c->m[C_MEMBERS].url);
	snprintf(key, sizeof(key), "MGR_AUTHKEY=%s", c->key);
	char *const argv[]
	    = { "managerctl", "cluster", (char *) what, (char *) arg, NULL };
	const char *env[] = { url, key, NULL };
	return h_run(exe, argv, env, H_ERR_TO_OUT, 60000, out, cap);
}

/* The leader's dashboard: the cluster's view, node 4 a voter at addr. */
static void
dashboard_shows(
    c_cluster *c, int leader, const c_member *added, const char *addr)
{
	static char dom[1 << 20];
	char        url[300], profile[300], want[200];
	if (h_chromium() == NULL) {
		fprintf(
		    stderr, "no chromium: the dashboard is not looked at\n");
		return;
	}
	snprintf(url, sizeof(url), "%s/?view=overview#token=%s",
	    c->m[leader].http, c->key);
	snprintf(profile, sizeof(profile), "%s/chromium", c->dir);
	assert_int_equal(h_browse(url, profile, NULL, dom, sizeof(dom)), 0);
	snprintf(want, sizeof(want), "Cluster: node %d is leader",
	    c->m[leader].id);
	if (strstr(dom, want) == NULL) {
		fail_msg("the dashboard does not show '%s'", want);
	}
	snprintf(want, sizeof(want),
	    "<td>node %d</td><td>%s</td><td>voter</td>", added->id, addr);
	if (strstr(dom, want) == NULL) {
		fail_msg("the dashboard does not show '%s'", want);
	}
}

static void
test_cluster_membership(void **state)
{
	(void) state;
	c_cluster *c = c_cluster_new("members", NULL);
	assert_non_null(c);
	c->http = true; // the dashboards
	assert_int_equal(c_start_all(c), 0);
	mgr_client *cl     = connect_to(c, c->urls, 30000);
	int         leader = c_leader(c, 10000);
	c_member   *added  = &c->m[C_MEMBERS];
	mgr_obj    *d;
	char        addr[64];
	assert_int_equal(mgr_dict_new(cl, &d), 0);
	assert_int_equal(mgr_name_set(cl, "d", d), 0);
	c_incr_n(d, "before", 200);
	// Refused: a member's id or address again, one not there.
	snprintf(addr, sizeof(addr), "%s:%d", c->m[0].ip, c->m[0].raft_port);
	assert_int_equal(mgr_cluster_add(cl, 9, addr), MGR_EINVAL);
	assert_int_equal(mgr_cluster_add(cl, 1, "127.0.0.1:1"), MGR_EINVAL);
	assert_int_equal(mgr_cluster_add(cl, 9, "no port"), MGR_EINVAL);
	assert_int_equal(mgr_cluster_remove(cl, 9), MGR_ENOOBJ);

	// Node 4 joins: caught up from the log, then a voter.
	assert_int_equal(c_start(c, C_MEMBERS), 0);
	snprintf(addr, sizeof(addr), "%s:%d", added->ip, added->raft_port);
	assert_int_equal(mgr_cluster_add(cl, (uint64_t) added->id, addr), 0);
	assert_int_equal(mgr_cluster_add(cl, 9, "127.0.0.1:2"), MGR_ESTATE);
	await_role(c, cl, added->id, "voter");
	int64_t members = 0;
	assert_int_equal(h_info_int(cl, "cluster_members", &members), 0);
	assert_int_equal(members, C_MEMBERS + 1);
	dashboard_shows(c, leader, added, addr);

	// A follower removed, and stopped: three voters again.
	int gone = (leader + 1) % C_MEMBERS;
	assert_int_equal(mgr_cluster_remove(cl, (uint64_t) c->m[gone].id), 0);
	await_role(c, cl, c->m[gone].id, "");
	assert_int_equal(h_info_int(cl, "cluster_members", &members), 0);
	assert_int_equal(members, C_MEMBERS);
	c_kill(c, gone);
	c_incr_n(d, "between", 50);

	// The leader removes itself (asked through managerctl, which
	// follows the change to the next leader): it steps down once that
	// is committed, and the one original member left and node 4, both
	// voters, elect (node 4's vote counts); whichever leads has
	// everything, and the old leader takes no part (it is stopped,
	// and the two go on).
	char out[4096], id[16];
	snprintf(id, sizeof(id), "%d", c->m[leader].id);
	if (ctl_cluster(c, "remove", id, out, sizeof(out)) != 0
	    || strstr(out, "removed") == NULL) {
		c_dump_logs(c);
		fail_msg("managerctl cluster remove %s: %s", id, out);
	}
	await_role(c, cl, c->m[leader].id, "");
	assert_int_equal(h_info_int(cl, "cluster_members", &members), 0);
	assert_int_equal(members, C_MEMBERS - 1);
	c_kill(c, leader);
	c_incr_n(d, "after", 50);
	assert_int_equal(dict_int(d, "before"), 200);
	assert_int_equal(dict_int(d, "between"), 50);
	assert_int_equal(dict_int(d, "after"), 50);
	int64_t node = 0;
	assert_int_equal(h_info_int(cl, "cluster_node", &node), 0);
	assert_true(node != c->m[leader].id && node != c->m[gone].id);
	assert_true(c_log_has(c, C_MEMBERS, "node 4 of 4 started"));
	mgr_obj_release(d);
	mgr_disconnect(cl);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

/* ---- snapshots */

static void
test_cluster_snapshots(void **state)
{
	(void) state;
	const char *extra[] = { "--snapshot-entries", "32", NULL };
	c_cluster  *c       = c_cluster_up("snapshot", extra);
	mgr_client *cl      = connect_to(c, c->urls, 30000);
	mgr_obj    *d;
	assert_int_equal(mgr_dict_new(cl, &d), 0);
	assert_int_equal(mgr_name_set(cl, "counts", d), 0);
	c_incr_n(d, "k", 300);

	// A follower loses its directory; meanwhile the group's log moves
	// past what it could be sent entry by entry.
	int leader = c_leader(c, 10000);
	int lost   = (leader + 1) % C_MEMBERS;
	c_kill(c, lost);
	char *const rm[] = { "rm", "-rf", c->m[lost].data, NULL };
	assert_int_equal(h_run("/bin/rm", rm, NULL, 0, 10000, NULL, 0), 0);
	c_incr_n(d, "k", 200);
	assert_int_equal(c_start(c, lost), 0);
	int64_t until = h_now_ms() + 20000;
	while (
	    !c_log_has(c, lost, "loaded a snapshot") && h_now_ms() < until) {
		h_nap(20);
	}
	if (!c_log_has(c, lost, "loaded a snapshot")) {
		c_dump_logs(c);
		fail_msg("member %d got no snapshot", c->m[lost].id);
	}
	// It serves the state once it leads: the others die in turn
	// until it does (each started again on its directory).
	for (int tries = 0; tries < 12; tries++) {
		int now = c_leader(c, 15000);
		assert_true(now >= 0);
		if (now == lost) {
			break;
		}
		c_kill(c, now);
		assert_int_equal(c_start(c, now), 0);
	}
	assert_int_equal(c_leader(c, 15000), lost);
	assert_int_equal(dict_int(d, "k"), 500);
	c_incr_n(d, "k", 10);

	// All of them die at once and start again: each from its snapshot
	// and the log after it.
	for (int i = 0; i < C_MEMBERS; i++) {
		c_kill(c, i);
	}
	assert_int_equal(c_start_all(c), 0);
	assert_int_equal(dict_int(d, "k"), 510);
	mgr_obj_release(d);
	mgr_disconnect(cl);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

/* Values of 4 KiB under keys prefix0... (one call, one entry each). */
static void
put_big(mgr_obj *d, const char *prefix, int n)
{
	static char value[4096];
	memset(value, 'v', sizeof(value) - 1);
	for (int i = 0; i < n; i++) {
		char key[32];
		snprintf(key, sizeof(key), "%s%d", prefix, i);
		assert_int_equal(
		    mgr_dict_set(d, mgr_str(key), mgr_str(value)), 0);
	}
}

static void
test_cluster_snapshot_size(void **state)
{
	(void) state;
	const char *extra[] = { "--snapshot-entries", "32", NULL };
	c_cluster  *c       = c_cluster_up("snapsize", extra);
	mgr_client *cl      = connect_to(c, c->urls, 30000);
	mgr_obj    *d;
	assert_int_equal(mgr_dict_new(cl, &d), 0);
	assert_int_equal(mgr_name_set(cl, "big", d), 0);
	// 256 KiB of state, then small entries until a snapshot holds it.
	put_big(d, "a", 64);
	int64_t filled = 0;
	assert_int_equal(h_info_int(cl, "cluster_commit_index", &filled), 0);
	int64_t snap = snapshot_past(cl, d, filled - 1);
	assert_true(snap >= filled);
	// 200 small entries (past 32, far from 256 KiB of log): no new
	// snapshot of the large state.
	c_incr_n(d, "k", 200);
	assert_int_equal(snapshot_index(cl), snap);
	// As much log as the snapshot: the next one comes.
	put_big(d, "b", 72);
	assert_true(snapshot_past(cl, d, snap) > snap);
	mgr_obj_release(d);
	mgr_disconnect(cl);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

/* ---- the leader cut off */

typedef struct acks {
	long long last_value, last_ms; /* the last acknowledged */
	long long count, late;         /* acknowledged; after the bound */
	int       err;                 /* the call that failed */
	bool      ended;
} acks;

/* Reads the minority writer's lines until it says "err" or timeout_ms:
 * acknowledgements after late_after (monotonic ms) are counted late. */
static void
read_acks(h_child *ch, acks *a, long long late_after, int timeout_ms)
{
	int64_t until = h_now_ms() + timeout_ms;
	char    line[128];
	while (!a->ended && h_now_ms() < until) {
		if (h_child_read_line(
		        ch, line, sizeof(line), h_left_ms(until))
		    != 0) {
			break;
		}
		long long v, ms;
		int       code;
		if (sscanf(line, "ack %lld %lld", &v, &ms) == 2) {
			a->last_value = v;
			a->last_ms    = ms;
			a->count++;
			a->late += late_after > 0 && ms > late_after;
		} else if (sscanf(line, "err %d %lld", &code, &ms) == 2) {
			a->err   = code;
			a->ended = true;
		}
	}
}

static void
test_cluster_partition(void **state)
{
	(void) state;
	c_cluster *c = c_cluster_new_netns("partition", NULL);
	if (c == NULL) {
		skip();
	}
	assert_int_equal(c_start_all(c), 0);
	int leader = c_leader(c, 20000);
	if (leader < 0) {
		c_dump_logs(c);
		c_cluster_free(c);
		fail_msg("no leader");
	}
	mgr_client *cl = connect_to(c, c->urls, 30000);
	mgr_obj    *d;
	assert_int_equal(mgr_dict_new(cl, &d), 0);
	assert_int_equal(mgr_name_set(cl, "counts", d), 0);

	// A writer beside the leader, in its namespace: it stays with it.
	h_child     ch;
	char        env_url[128], env_key[128];
	const char *env[] = { env_url, env_key, NULL };
	snprintf(env_url, sizeof(env_url), "MGR_URL=%s", c->m[leader].url);
	snprintf(env_key, sizeof(env_key), "MGR_AUTHKEY=%s", c->key);
	char *argv[] = { "ip", "netns", "exec", c->m[leader].ns,
		MGR_CHILD_CLUSTER_WRITER, "minority", NULL };
	assert_int_equal(
	    h_spawn(&ch, "/usr/sbin/ip", argv, env, H_PIPE_OUT), 0);
	char line[128];
	assert_int_equal(
	    h_child_read_line(&ch, line, sizeof(line), 20000), 0);
	assert_string_equal(line, "ready");
	acks a = { 0 };
	while (a.count < 50 && !a.ended) {
		read_acks(&ch, &a, 0, 100);
	}
	assert_false(a.ended);

	// The leader is cut off from the others and from this namespace.
	h_watchdog_arm(120, "cluster partition");
	long long cut = h_now_ms();
	assert_int_equal(c_link(c, leader, false), 0);
	// The majority elects another and serves.
	mgr_client *maj;
	char        urls[256];
	size_t      ul = 0;
	for (int i = 0; i < C_MEMBERS; i++) {
		if (i != leader) {
			ul += (size_t) snprintf(urls + ul, sizeof(urls) - ul,
			    "%s%s", ul ? "," : "", c->m[i].url);
		}
	}
	maj = connect_to(c, urls, 30000);
	mgr_obj *dm;
	assert_int_equal(mgr_name_get(maj, "counts", &dm), 0);
	c_incr_n(dm, "majority", 1);
	long long served = h_now_ms() - cut;
	c_incr_n(dm, "majority", 99);
	// The old leader acknowledges nothing it cannot commit: at most
	// what was committed as the link went (a bound well past the
	// election timeout, for the writes in flight at the cut).
	read_acks(&ch, &a, cut + 1000, 15000);
	h_log("partition: the majority served after %lld ms; the minority's "
	      "last acknowledgement %lld ms after the cut (value %lld), "
	      "then %s",
	    served, a.last_ms - cut, a.last_value,
	    a.ended ? mgr_strerror(a.err) : "(still waiting)");
	assert_int_equal(a.late, 0);
	assert_true(served < 10000);

	// Healed: the old leader starts again from the group's log and the
	// three converge.
	assert_int_equal(c_link(c, leader, true), 0);
	read_acks(&ch, &a, cut + 1000, 20000);
	assert_true(a.ended);
	assert_int_equal(a.late, 0);
	(void) h_child_wait(&ch, 10000);
	int64_t   until = h_now_ms() + 30000;
	long long idx[C_MEMBERS];
	bool      same = false;
	while (!same && h_now_ms() < until) {
		(void) mgr_dict_incr(dm, mgr_str("heal"), mgr_int(1), NULL);
		for (int i = 0; i < C_MEMBERS; i++) {
			idx[i]
			    = c_metric(c, i, "cluster_applied_index_total");
		}
		same = idx[0] > 0 && idx[0] == idx[1] && idx[1] == idx[2];
		h_nap(same ? 0 : 100);
	}
	if (!same || !c_log_has(c, leader, "starting again")) {
		c_dump_logs(c);
		fail_msg("no convergence: applied %lld %lld %lld", idx[0],
		    idx[1], idx[2]);
	}
	// Nothing the minority acknowledged is lost, nothing applied twice.
	int64_t minority = dict_int(dm, "minority");
	assert_true(minority >= a.last_value && minority <= a.last_value + 1);
	assert_int_equal(dict_int(dm, "majority"), 100);
	h_watchdog_disarm();
	mgr_obj_release(dm);
	mgr_obj_release(d);
	mgr_disconnect(maj);
	mgr_disconnect(cl);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_cluster_redirect, c_teardown),
		cmocka_unit_test_teardown(
		    test_cluster_wrong_key_member, c_teardown),
		cmocka_unit_test_teardown(
		    test_cluster_failover_writers, c_teardown),
		cmocka_unit_test_teardown(
		    test_cluster_lock_fence, c_teardown),
		cmocka_unit_test_teardown(
		    test_cluster_membership, c_teardown),
		cmocka_unit_test_teardown(
		    test_cluster_parked_snapshot, c_teardown),
		cmocka_unit_test_teardown(test_cluster_snapshots, c_teardown),
		cmocka_unit_test_teardown(
		    test_cluster_snapshot_size, c_teardown),
		cmocka_unit_test_teardown(test_cluster_partition, c_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
