/* Chaos: a mixed workload of exec'ed clients (producers and consumers of
 * an acknowledged and a plain queue, lockers incrementing a counter under
 * a lock and with dict incr) while clients are SIGKILLed at random, for
 * MGR_CHAOS_SECONDS (default 5; CI 20); and the same again with every
 * client reconnecting (a lease of 2 s) over tcp through a proxy that also
 * drops all connections now and then; and that again with managerd
 * itself killed -9 now and then and restarted on its --data-dir (the
 * test's own client reconnecting too). Then every invariant is checked
 * through the test's own client:
 *
 * - plain queue: no item delivered twice;
 * - acknowledged queue: no acknowledged put lost (each is done, still
 *   queued, or was in the hands of a consumer killed before its done),
 *   and none done twice;
 * - the counter under the lock is the acknowledged increments plus at most
 *   one per locker killed (mutual exclusion held), and so is d["n"];
 * - the lock is free, and the manager holds no waiter and no object
 *   beyond the test's own once every client is gone. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "proxy_fixture.h"

#define ROLES 6 /* 2 producers, 2 consumers, 2 lockers */

typedef struct world {
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *qa, *qp, *lock, *d;
	char        tqa[80], tqp[80], tlock[80], td[80];
	char        env_url[600], env_key[100];
	char        logdir[300];
	h_proxy    *px;        /* dropping connections: the clients' way in */
	char        data[300]; /* --data-dir, when managerd is restarted */
} world;

static const char *
role_of(int i)
{
	return i < 2 ? "producer" : i < 4 ? "consumer" : "locker";
}

static void
spawn_role(world *w, h_child *ch, int i, int generation)
{
	char log[400], name[32];
	// A log of its own: a write that SIGKILL cuts (one crossing a page
	// of the file can be) leaves half a line only at the end of it.
	snprintf(
	    log, sizeof(log), "%s/chaos-%d.%d.log", w->logdir, i, generation);
	snprintf(name, sizeof(name), "p%d.%d", i, generation);
	// Through the proxy, clients reconnect; a killed one's session
	// then lasts its lease.
	const char *const env[] = { w->env_url, w->env_key,
		w->px != NULL ? "MGR_RECONNECT=20000" : "MGR_RECONNECT",
		w->px != NULL ? "MGR_LEASE=2000" : "MGR_LEASE", NULL };
	char             *argv[7];
	argv[0] = "child_chaos";
	argv[1] = (char *) role_of(i);
	argv[2] = i < 4 ? w->tqa : w->tlock;
	argv[3] = i < 4 ? w->tqp : w->td;
	argv[4] = log;
	argv[5] = name;
	argv[6] = NULL;
	assert_int_equal(
	    h_spawn(ch, MGR_TESTS_DIR "/child_chaos", argv, env, H_QUIET_ERR),
	    0);
}

/* The tags of lines starting with what, from every log; *n set. */
typedef struct tagset {
	char  **tags;
	size_t  n, cap;
	int64_t plain; /* lines without a tag ("L", "I") */
} tagset;

static void
collect_file(const char *path, const char *what, tagset *t)
{
	char  line[256];
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return;
	}
	size_t wl = strlen(what);
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strcspn(line, "\n");
		if (line[len] != '\n') {
			continue; // cut by the kill: the last line, half
			          // there
		}
		line[len] = '\0';
		if (strncmp(line, what, wl) != 0 || line[wl] != ' ') {
			continue;
		}
		if (line[wl + 1] == '\0') {
			t->plain++;
			continue;
		}
		if (t->n == t->cap) {
			t->cap  = t->cap ? 2 * t->cap : 1024;
			t->tags = realloc(t->tags, t->cap * sizeof(char *));
			assert_non_null(t->tags);
		}
		t->tags[t->n++] = strdup(line + wl + 1);
	}
	fclose(f);
}

/* The path of the next child's log in dir (w->logdir's), false after the
 * last. */
static bool
next_log(DIR *dir, const world *w, char *path, size_t cap)
{
	struct dirent *e;
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, "chaos-", 6) == 0) {
			snprintf(path, cap, "%s/%s", w->logdir, e->d_name);
			return true;
		}
	}
	return false;
}

static void
collect(const world *w, const char *what, tagset *t)
{
	*t       = (tagset) { 0 };
	DIR *dir = opendir(w->logdir);
	assert_non_null(dir);
	char path[600];
	while (next_log(dir, w, path, sizeof(path))) {
		collect_file(path, what, t);
	}
	closedir(dir);
}

/* The children's logs, once read. */
static void
remove_logs(const world *w)
{
	DIR *dir = opendir(w->logdir);
	assert_non_null(dir);
	char path[600];
	while (next_log(dir, w, path, sizeof(path))) {
		unlink(path);
	}
	closedir(dir);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The C library wants a real array even for none (UBSan says so). */
static bool
has(const tagset *t, const char *tag)
{
	return t->n > 0
	    && bsearch(&tag, t->tags, t->n, sizeof(char *), cmp_str) != NULL;
}

static void
sort_tags(tagset *t)
{
	if (t->n > 0) {
		qsort(t->tags, t->n, sizeof(char *), cmp_str);
	}
}

static void
free_tags(tagset *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->tags[i]);
	}
	free(t->tags);
}

/* Sorted, and no tag twice. */
static void
assert_unique(tagset *t, const char *what)
{
	sort_tags(t);
	for (size_t i = 1; i < t->n; i++) {
		if (strcmp(t->tags[i - 1], t->tags[i]) == 0) {
			fail_msg("%s: %s twice", what, t->tags[i]);
		}
	}
}

/* With restarts: a snapshot each time the log passes this (and the last
 * snapshot's size), so that kills meet them being made. */
#define CHAOS_SNAPSHOT_AFTER "256k"

static void
setup_world(world *w, bool drops, bool restarts)
{
	memset(w, 0, sizeof(*w));
	if (restarts) {
		snprintf(w->data, sizeof(w->data), "/tmp/mgr-chaos-XXXXXX");
		assert_non_null(mkdtemp(w->data));
		const char *extra[] = { "--data-dir", w->data, "--fsync",
			"no", "--snapshot-after", CHAOS_SNAPSHOT_AFTER,
			NULL };
		assert_int_equal(h_managerd_start(&w->m, H_TCP, extra), 0);
		// Its session, and the objects it holds, ride over restarts.
		mgr_opts o  = h_opts(&w->m);
		o.lease     = 20000;
		o.reconnect = 20000;
		OK(mgr_connect(&w->c, w->m.url, &o));
	}
	if (drops) {
		char via[560];
		if (!restarts) {
			assert_int_equal(
			    h_managerd_start(&w->m, H_TCP, NULL), 0);
			assert_int_equal(h_connect(&w->m, &w->c), 0);
		}
		assert_int_equal(h_proxy_start(&w->px, w->m.url), 0);
		h_proxy_url(w->px, w->m.url, via, sizeof(via));
		snprintf(w->env_url, sizeof(w->env_url), "MGR_URL=%s", via);
		snprintf(w->env_key, sizeof(w->env_key), "MGR_AUTHKEY=%s",
		    w->m.key);
	} else {
		assert_int_equal(
		    h_group_start(&w->m, &w->c, w->env_url,
		        sizeof(w->env_url), w->env_key, sizeof(w->env_key)),
		    0);
	}
	mgr_queue_opts ack = { .ack = true };
	OK(mgr_queue_new_opts(w->c, &ack, &w->qa));
	OK(mgr_queue_new(w->c, 0, &w->qp));
	OK(mgr_lock_new(w->c, &w->lock));
	OK(mgr_dict_new(w->c, &w->d));
	OK(mgr_dict_set(w->d, mgr_str("c"), mgr_int(0)));
	OK(mgr_dict_set(w->d, mgr_str("n"), mgr_int(0)));
	OK(mgr_obj_token(w->qa, w->tqa, sizeof(w->tqa)));
	OK(mgr_obj_token(w->qp, w->tqp, sizeof(w->tqp)));
	OK(mgr_obj_token(w->lock, w->tlock, sizeof(w->tlock)));
	OK(mgr_obj_token(w->d, w->td, sizeof(w->td)));
	snprintf(w->logdir, sizeof(w->logdir), "%s", w->m.dir);
}

static int64_t
dict_int(mgr_obj *d, const char *key)
{
	mgr_value v;
	OK(mgr_dict_get(d, mgr_str(key), &v));
	return v.i;
}

/* The queues' invariants: the plain one delivered nothing twice; each
 * acknowledged put is done, still queued (drained here), or was with a
 * consumer killed before its done; nothing done twice. */
static void
check_queues(world *ww, size_t *n_plain, size_t *n_put, size_t *n_done,
    size_t *n_queued)
{
	// Plain queue: nothing delivered twice.
	tagset gp;
	collect(ww, "gp", &gp);
	assert_unique(&gp, "plain queue");
	// Acknowledged queue: each acknowledged put is done, queued, or was
	// in the hands of a consumer that died before its done.
	tagset pa, ga, da, queued = { 0 };
	collect(ww, "pa", &pa);
	collect(ww, "ga", &ga);
	collect(ww, "da", &da);
	assert_unique(&da, "acknowledged queue: done");
	sort_tags(&ga);
	mgr_value v;
	while (mgr_queue_get(ww->qa, &v, 0) == 0) {
		if (queued.n == queued.cap) {
			queued.cap  = queued.cap ? 2 * queued.cap : 1024;
			queued.tags = realloc(
			    queued.tags, queued.cap * sizeof(char *));
		}
		queued.tags[queued.n++] = strdup(v.s);
		mgr_value_free(&v);
		OK(mgr_queue_task_done(ww->qa));
	}
	sort_tags(&queued);
	size_t lost = 0;
	for (size_t i = 0; i < pa.n; i++) {
		const char *t = pa.tags[i];
		if (!has(&da, t) && !has(&queued, t) && !has(&ga, t)) {
			if (lost++ < 5) {
				print_error("lost: %s\n", t);
			}
		}
	}
	assert_int_equal(lost, 0);
	*n_plain  = gp.n;
	*n_put    = pa.n;
	*n_done   = da.n;
	*n_queued = queued.n;
	free_tags(&gp);
	free_tags(&pa);
	free_tags(&ga);
	free_tags(&da);
	free_tags(&queued);
}

static void
chaos_run(bool drops, bool restarts)
{
	world       w;
	h_child     ch[ROLES];
	int         gen[ROLES] = { 0 }, kills[ROLES] = { 0 };
	const char *secs    = getenv("MGR_CHAOS_SECONDS");
	int         seconds = secs != NULL ? atoi(secs) : 5;
	setup_world(&w, drops, restarts);
	int64_t objects0 = -1;
	OK(h_info_int(w.c, "objects_total", &objects0));
	for (int i = 0; i < ROLES; i++) {
		spawn_role(&w, &ch[i], i, gen[i]++);
	}
	// Kill one at random every 20-120 ms, and start it again; through
	// the proxy, drop every connection about every 300 ms as well.
	srand(12345);
	int64_t end         = h_now_ms() + (int64_t) seconds * 1000;
	int     total_kills = 0, total_drops = 0, total_restarts = 0;
	while (h_now_ms() < end) {
		h_nap(20 + rand() % 100);
		if (w.px != NULL && rand() % 4 == 0) {
			total_drops += h_proxy_drop(w.px, rand() % 2) > 0;
		}
		if (restarts && rand() % 10 == 0) {
			// The manager dies under them all and comes back:
			// four rounds in five under always, one under
			// everysec; snapshots are made as the log grows, so
			// kills meet them too.
			static const char *const policies[] = { "always",
				"always", "always", "always", "everysec" };
			assert_int_equal(h_managerd_kill(&w.m), 0);
			const char *extra[] = { "--data-dir", w.data,
				"--fsync", policies[total_restarts % 5],
				"--snapshot-after", CHAOS_SNAPSHOT_AFTER,
				NULL };
			assert_int_equal(h_managerd_restart(&w.m, extra), 0);
			total_restarts++;
		}
		int i = rand() % ROLES;
		assert_int_equal(h_child_signal(&ch[i], SIGKILL), 0);
		int code = h_child_wait(&ch[i], AWAIT_MS);
		if (code != 128 + SIGKILL) {
			fail_msg("%s exited %d instead of being killed",
			    role_of(i), code);
		}
		kills[i]++;
		total_kills++;
		spawn_role(&w, &ch[i], i, gen[i]++);
	}
	for (int i = 0; i < ROLES; i++) {
		h_child_signal(&ch[i], SIGKILL);
		h_child_wait(&ch[i], AWAIT_MS);
		kills[i]++;
	}
	// Every client gone: their sessions end, their items come back.
	int64_t last;
	assert_int_equal(h_info_await(w.c, "sessions", NULL, 1,
	                     AWAIT_MS + (w.px != NULL ? 2000 : 0), &last),
	    0);

	size_t n_plain, n_put, n_done, n_queued;
	check_queues(&w, &n_plain, &n_put, &n_done, &n_queued);
	// The counters: acknowledged, plus at most one per locker killed.
	tagset L, I;
	collect(&w, "L", &L);
	collect(&w, "I", &I);
	int64_t locker_kills = kills[4] + kills[5];
	int64_t c = dict_int(w.d, "c"), n = dict_int(w.d, "n");
	assert_true(c >= L.plain && c <= L.plain + locker_kills);
	assert_true(n >= I.plain && n <= I.plain + locker_kills);
	// Nothing left held or waiting.
	OK(mgr_acquire(w.lock, 0));
	OK(mgr_release(w.lock));
	int64_t waiters = -1, objects = -1;
	OK(h_info_int(w.c, "waiters", &waiters));
	OK(h_info_int(w.c, "objects_total", &objects));
	assert_int_equal(waiters, 0);
	assert_int_equal(objects, objects0);
	int64_t snapshots = 0;
	if (restarts) {
		OK(h_info_int(w.c, "snapshot_lsn", &snapshots));
	}
	print_message(
	    "chaos%s: %d s, %d clients killed, %d drops, %d restarts "
	    "(the last snapshot covers record %lld); plain "
	    "queue %zu items got once; acknowledged %zu put, %zu done, %zu "
	    "queued at the end, none lost; lock passed %lld times (counter "
	    "%lld), incr %lld\n",
	    drops ? " (reconnecting)" : "", seconds, total_kills, total_drops,
	    total_restarts, (long long) snapshots, n_plain, n_put, n_done,
	    n_queued, (long long) L.plain, (long long) c, (long long) n);
	free_tags(&L);
	free_tags(&I);
	mgr_obj_release(w.qa);
	mgr_obj_release(w.qp);
	mgr_obj_release(w.lock);
	mgr_obj_release(w.d);
	h_proxy_stop(w.px);
	remove_logs(&w); // before the manager's folder goes
	assert_int_equal(h_group_stop(&w.m, w.c), 0);
	if (restarts) {
		char *const rm[] = { "rm", "-rf", w.data, NULL };
		h_run("/bin/rm", rm, NULL, 0, 10000, NULL, 0);
	}
}

static void
test_chaos(void **state)
{
	(void) state;
	chaos_run(false, false);
}

static void
test_chaos_drops(void **state)
{
	(void) state;
	chaos_run(true, false);
}

/* Reconnecting clients through the dropping proxy, and managerd killed
 * -9 and restarted on its data directory about once a second: the same
 * invariants hold across the restarts. */
static void
test_chaos_restarts(void **state)
{
	(void) state;
	chaos_run(true, true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_chaos),
		cmocka_unit_test(test_chaos_drops),
		cmocka_unit_test(test_chaos_restarts) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
