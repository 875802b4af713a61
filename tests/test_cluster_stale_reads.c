/* Stale reads from a cluster's follower (mgr_opts.stale_reads): the
 * follower serves the session itself (no redirect), under an id of its
 * own that no session of the group's log can take; it answers from its
 * copy of the state, which catches up with the leader's and never goes
 * back; it refuses writes; it goes on answering when the others are
 * gone (no majority), and through their return and election; a dead or
 * stopped reader's session ends there at its lease. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cluster_fixture.h"
#include "harness.h"
#include "mgr.h"

/* What the session ids of a member's own sessions start from (the
 * manager's SESSION_LOCAL_IDS). */
#define LOCAL_IDS ((int64_t) 1 << 48)

static mgr_client *
connect_as(c_cluster *c, const char *urls, bool stale)
{
	mgr_opts o    = c_opts(c, 0);
	o.stale_reads = stale;
	return c_connect(c, urls, &o);
}

/* A cluster up, and a client of its leader that named a dict "d" and
 * incremented d["k"] n times (*w and *d the caller's). */
static c_cluster *
up_with_dict(const char *name, int n, mgr_client **w, mgr_obj **d)
{
	c_cluster *c = c_cluster_up(name, NULL);
	*w           = connect_as(c, c->urls, false);
	assert_int_equal(mgr_dict_new(*w, d), 0);
	assert_int_equal(mgr_name_set(*w, "d", *d), 0);
	c_incr_n(*d, "k", n);
	return c;
}

/* The stale reader's view of d["k"], polled until it is want (within
 * 10 s): every value read on the way is not below the one before. */
static void
await_value(c_cluster *c, mgr_obj *rd, int64_t want)
{
	int64_t last = -1, until = h_now_ms() + 10000;
	while (h_now_ms() < until) {
		mgr_value v;
		int       rv = mgr_dict_get(rd, mgr_str("k"), &v);
		if (rv != 0) {
			c_dump_logs(c);
			fail_msg("stale read: %s (%s)", mgr_strerror(rv),
			    mgr_errdetail());
		}
		assert_int_equal(v.kind, MGR_INT);
		assert_true(v.i >= last); // never back
		last = v.i;
		mgr_value_free(&v);
		if (last == want) {
			return;
		}
		h_nap(5); // the follower applies what the leader commits
	}
	c_dump_logs(c);
	fail_msg("the follower's copy stayed at %lld (want %lld)",
	    (long long) last, (long long) want);
}

/* The stale-read sessions of the member serving cl: how many, and the
 * greatest id (*id). */
static int
stale_sessions(mgr_client *cl, int64_t *id)
{
	mgr_value list;
	assert_int_equal(mgr_sessions(cl, &list), 0);
	int n = 0;
	for (size_t i = 0; i < list.len; i++) {
		const mgr_value *sr
		    = h_dict_find(&list.items[i], "stale_reads");
		int64_t sid = h_dict_find(&list.items[i], "id")->i;
		if (sr != NULL && sr->b) {
			n++;
			*id = sid > *id ? sid : *id;
		}
	}
	mgr_value_free(&list);
	return n;
}

/* Polls until the member serving cl has n stale-read sessions (10 s). */
static void
await_stale_sessions(c_cluster *c, mgr_client *cl, int n)
{
	int64_t id = 0, until = h_now_ms() + 10000;
	int     now;
	while ((now = stale_sessions(cl, &id)) != n && h_now_ms() < until) {
		h_nap(20);
	}
	if (now != n) {
		c_dump_logs(c);
		fail_msg("%d stale-read sessions (want %d)", now, n);
	}
}

static void
test_cluster_stale_reads(void **state)
{
	(void) state;
	mgr_client *w;
	mgr_obj    *d;
	c_cluster  *c      = up_with_dict("stale", 20, &w, &d);
	int         leader = c_leader(c, 10000);
	int f = (leader + 1) % C_MEMBERS, g = (leader + 2) % C_MEMBERS;

	// On the leader, reads are behind its barrier (exact), and the
	// session's goodbye is nothing of the group's log (the followers
	// would stop, and the writes below with them).
	mgr_client *rl = connect_as(c, c->m[leader].url, true);
	mgr_obj    *ld;
	mgr_value   v;
	assert_int_equal(mgr_name_get(rl, "d", &ld), 0);
	assert_int_equal(mgr_dict_get(ld, mgr_str("k"), &v), 0);
	assert_int_equal(v.i, 20);
	mgr_value_free(&v);
	mgr_obj_release(ld);
	mgr_disconnect(rl);

	// The follower serves the stale reader itself.
	mgr_client *r   = connect_as(c, c->m[f].url, true);
	int64_t     pid = 0;
	assert_int_equal(h_info_int(r, "pid", &pid), 0);
	assert_int_equal(pid, c->m[f].pid);
	int64_t id = 0;
	assert_int_equal(stale_sessions(r, &id), 1);
	assert_true(id > LOCAL_IDS);
	mgr_obj *rd  = NULL;
	int64_t  end = h_now_ms() + 10000;
	while (mgr_name_get(r, "d", &rd) == MGR_EKEY && h_now_ms() < end) {
		h_nap(5); // the name may not be applied there yet
	}
	assert_non_null(rd);
	await_value(c, rd, 20);
	c_incr_n(d, "k", 30);
	await_value(c, rd, 50);
	assert_int_equal(
	    mgr_dict_set(rd, mgr_str("k"), mgr_int(0)), MGR_ESTATE);
	h_assert_detail_has("stale-read session");

	// The others gone: no majority, and still an answer.
	mgr_obj_release(d);
	mgr_disconnect(w);
	c_kill(c, leader);
	c_kill(c, g);
	await_value(c, rd, 50);

	// Back and electing (it may lead now): the reader goes on.
	assert_int_equal(c_start(c, leader), 0);
	assert_int_equal(c_start(c, g), 0);
	assert_true(c_leader(c, 20000) >= 0);
	w = connect_as(c, c->urls, false);
	assert_int_equal(mgr_name_get(w, "d", &d), 0);
	c_incr_n(d, "k", 1);
	await_value(c, rd, 51);
	mgr_obj_release(rd);
	mgr_obj_release(d);
	mgr_disconnect(r);
	mgr_disconnect(w);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

/* A child reading from follower f, stale, with a 1 s lease: started,
 * and ready. */
static void
child_start(c_cluster *c, int f, h_child *ch)
{
	char        url[300], key[120];
	char *const argv[] = { "child_stale_reader", NULL };
	snprintf(url, sizeof(url), "MGR_URL=%s", c->m[f].url);
	snprintf(key, sizeof(key), "MGR_AUTHKEY=%s", c->key);
	const char *env[] = { url, key, "MGR_STALE_READS=1",
		"MGR_RECONNECT=30000", "MGR_LEASE=1000", NULL };
	assert_int_equal(
	    h_spawn(ch, MGR_CHILD_STALE_READER, argv, env, H_PIPE_OUT), 0);
	char line[64];
	assert_int_equal(h_child_read_line(ch, line, sizeof(line), 30000), 0);
	assert_string_equal(line, "ready");
}

static void
test_cluster_stale_sessions_end(void **state)
{
	(void) state;
	// A follower applies no lease of the group's sessions, but runs
	// those of its own: a dead reader's (its connection dropped,
	// kept for a reconnect) and a stopped one's (silent) end there.
	mgr_client *w;
	mgr_obj    *d;
	c_cluster  *c = up_with_dict("stale-end", 1, &w, &d);
	int         f = (c_leader(c, 10000) + 1) % C_MEMBERS;
	mgr_client *r = connect_as(c, c->m[f].url, true);
	h_child     dead, stopped;
	child_start(c, f, &dead);
	child_start(c, f, &stopped);
	await_stale_sessions(c, r, 3);
	h_child_signal(&dead, SIGKILL);
	assert_int_equal(h_stop_process(stopped.pid, 5000), 0);
	await_stale_sessions(c, r, 1);
	assert_true(c_log_has(c, f, "lease of 1000 ms ran out"));
	h_child_signal(&stopped, SIGKILL);
	h_child_wait(&dead, 5000);
	h_child_wait(&stopped, 5000);
	mgr_obj_release(d);
	mgr_disconnect(r);
	mgr_disconnect(w);
	assert_int_equal(c_stop_all(c), 0);
	c_cluster_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
		    test_cluster_stale_reads, c_teardown),
		cmocka_unit_test_teardown(
		    test_cluster_stale_sessions_end, c_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
