/* Soak: rounds of churning connections, parked waiters that their
 * clients abandon, and large values set and deleted, for
 * MGR_SOAK_SECONDS (default 10; CI 60; hours with a larger figure). The
 * manager's resident set and open descriptors are sampled after each
 * round and must stay flat: at the end within 16 MiB (and 25%) of where
 * they were after the first round, and no descriptor more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "harness_wire.h"
#include "internal.h"

static int
open_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long) pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	int            n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		n += e->d_name[0] != '.';
	}
	closedir(d);
	return n;
}

/* One round: 50 connections made and dropped, 20 gets parked by clients
 * that then go, and 8 values of 1 MiB set, read and deleted. */
static void
round_of(h_managerd *m, mgr_client *c, mgr_obj *q, mgr_obj *d, char *big)
{
	for (int i = 0; i < 50; i++) {
		mgr_client *x;
		OK(h_connect(m, &x));
		OK(mgr_disconnect(x));
	}
	int fds[20];
	for (int i = 0; i < 20; i++) {
		fds[i]          = h_wire_session(m, NULL);
		Mgr__Request rq = MGR__REQUEST__INIT;
		rq.id           = 1;
		rq.op           = MGR__OP__OP_QUEUE_GET;
		rq.target       = q->id;
		rq.secret       = q->secret;
		rq.timeout_ms   = -1;
		assert_int_equal(h_wire_send(fds[i], &rq.base), 0);
	}
	int64_t last;
	assert_int_equal(
	    h_info_await(c, "waiters", NULL, 20, AWAIT_MS, &last), 0);
	for (int i = 0; i < 20; i++) {
		close(fds[i]); // their clients die with the gets parked
	}
	assert_int_equal(
	    h_info_await(c, "waiters", NULL, 0, AWAIT_MS, &last), 0);
	for (int i = 0; i < 8; i++) {
		char key[16];
		snprintf(key, sizeof(key), "big%d", i);
		OK(mgr_dict_set(d, mgr_str(key), mgr_bytes(big, 1 << 20)));
	}
	mgr_value v;
	OK(mgr_dict_get(d, mgr_str("big3"), &v));
	assert_int_equal(v.len, 1 << 20);
	mgr_value_free(&v);
	OK(mgr_dict_clear(d));
}

static void
test_soak(void **state)
{
	(void) state;
	const char *secs    = getenv("MGR_SOAK_SECONDS");
	int         seconds = secs != NULL ? atoi(secs) : 10;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *q, *d;
	assert_int_equal(h_managerd_start(&m, H_IPC, NULL), 0);
	OK(h_connect(&m, &c));
	OK(mgr_queue_new(c, 0, &q));
	OK(mgr_dict_new(c, &d));
	char *big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, 'b', 1 << 20);
	round_of(&m, c, q, d, big);
	int64_t rss0 = h_proc_kb(m.pid, "VmRSS"), rss = rss0, peak = rss0;
	int     fds0 = open_fds(m.pid), fds = fds0, rounds = 1;
	int64_t end = h_now_ms() + (int64_t) seconds * 1000;
	while (h_now_ms() < end) {
		round_of(&m, c, q, d, big);
		rounds++;
		rss  = h_proc_kb(m.pid, "VmRSS");
		peak = rss > peak ? rss : peak;
		fds  = open_fds(m.pid);
		if (fds > fds0) {
			fail_msg(
			    "round %d: %d descriptors, %d after the first",
			    rounds, fds, fds0);
		}
	}
	int64_t sessions = -1;
	OK(h_info_int(c, "sessions", &sessions));
	assert_int_equal(sessions, 1);
	print_message("soak: %d s, %d rounds (%d connections, %d waiters, "
	              "%d MiB of values): RSS %lld KiB after the first, %lld "
	              "at the end (peak %lld); descriptors %d, %d\n",
	    seconds, rounds, rounds * 70, rounds * 20, rounds * 8,
	    (long long) rss0, (long long) rss, (long long) peak, fds0, fds);
	if (rss > rss0 + (16 << 10) && rss > rss0 + rss0 / 4) {
		fail_msg("RSS grew from %lld to %lld KiB", (long long) rss0,
		    (long long) rss);
	}
	free(big);
	OK(mgr_obj_release(q));
	OK(mgr_obj_release(d));
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
	h_managerd_cleanup(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_soak) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
