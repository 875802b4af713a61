/* managerctl against a real managerd: every command, its output and its
 * exit status (0 ok, 1 the manager's error, 2 usage, 3 cannot connect). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Runs managerctl with args (NULL-terminated) under key; its stdout and
 * stderr in out. */
static int
ctl_args(const h_managerd *m, const char *key, const char *const *args,
    char *out, size_t cap)
{
	char exe[512], url[600], keyenv[128];
	snprintf(
	    exe, sizeof(exe), "%s/../tools/managerctl", MGR_EXAMPLES_DIR);
	snprintf(url, sizeof(url), "MGR_URL=%s", m->url);
	snprintf(keyenv, sizeof(keyenv), "MGR_AUTHKEY=%s", key);
	char *argv[12] = { "managerctl" };
	for (size_t i = 0; args[i] != NULL && i + 2 < 12; i++) {
		argv[i + 1] = (char *) args[i];
	}
	const char *env[] = { url, keyenv, NULL };
	return h_run(exe, argv, env, H_ERR_TO_OUT, 10000, out, cap);
}

static int
ctl(const h_managerd *m, const char *key, const char *cmd, const char *arg,
    char *out, size_t cap)
{
	const char *args[] = { cmd, arg, NULL };
	return ctl_args(m, key, args, out, cap);
}

/* managerctl ARGS... exits with status and prints expect exactly. */
#define CTL(m, status, expect, ...)                                          \
	do {                                                                 \
		const char *args_[] = { __VA_ARGS__, NULL };                 \
		char        out_[4096];                                      \
		int st_ = ctl_args(m, (m)->key, args_, out_, sizeof(out_));  \
		if (st_ != (status) || strcmp(out_, expect) != 0) {          \
			fail_msg(                                            \
			    "managerctl %s ...: status %d, output '%s'; "    \
			    "expected %d, '%s'",                             \
			    args_[0], st_, out_, status, expect);            \
		}                                                            \
	} while (0)

static void
test_managerctl(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *d, *q;
	char        out[4096];
	assert_int_equal(h_managerd_start(&m, H_IPC, NULL), 0);
	assert_int_equal(h_connect(&m, &c), 0);
	assert_int_equal(mgr_dict_new(c, &d), 0);
	assert_int_equal(mgr_dict_set(d, mgr_str("a"), mgr_int(1)), 0);
	assert_int_equal(mgr_name_set(c, "results", d), 0);
	assert_int_equal(mgr_queue_new(c, 0, &q), 0);
	assert_int_equal(mgr_queue_put(q, mgr_int(5), 0), 0);
	assert_int_equal(mgr_name_set(c, "jobs", q), 0);

	assert_int_equal(ctl(&m, m.key, "ping", NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "ok ("));
	assert_int_equal(ctl(&m, m.key, "info", NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\nnames: 2\n"));
	assert_non_null(strstr(out, "objects: {'dict': 1, "));
	assert_non_null(strstr(out, "elements: {'dict': 1, 'list': 0, "));
	assert_non_null(strstr(out, "version: " MGR_VERSION_STRING "\n"));
	assert_int_equal(
	    ctl(&m, m.key, "show", "results", out, sizeof(out)), 0);
	assert_string_equal(out, "dict results: {'a': 1}\n");
	assert_int_equal(ctl(&m, m.key, "show", "jobs", out, sizeof(out)), 0);
	assert_string_equal(out, "queue jobs: qsize 1\n");
	assert_int_equal(
	    ctl(&m, m.key, "unname", "results", out, sizeof(out)), 0);
	assert_int_equal(
	    ctl(&m, m.key, "show", "results", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "MGR_EKEY"));
	assert_int_equal(ctl(&m, "wrong", "ping", NULL, out, sizeof(out)), 3);
	assert_non_null(strstr(out, "MGR_EAUTH"));
	assert_int_equal(
	    ctl(&m, m.key, "frobnicate", NULL, out, sizeof(out)), 2);
	assert_int_equal(ctl(&m, m.key, "show", NULL, out, sizeof(out)), 2);

	mgr_obj_release(d);
	mgr_obj_release(q);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* Usage errors say what is wrong (one line, exit 2), and send nothing. */
static void
usage_errors(h_managerd *m)
{
	CTL(m, 2,
	    "managerctl: VALUE 'open is not a Python literal: unterminated "
	    "string at offset 5\n",
	    "put", "q", "'open");
	CTL(m, 2, "managerctl: s is a scalar: it has no items\n", "get", "s",
	    "1");
	// A bracket or quote means a literal was meant: its error stays.
	CTL(m, 2,
	    "managerctl: VALUE [1, is not a Python literal: expected a value "
	    "at offset 3\n",
	    "put", "q", "[1,");
	CTL(m, 2,
	    "managerctl: INDEX x is not an integer (managerctl --help lists "
	    "the commands)\n",
	    "get", "l", "x");
	CTL(m, 2, "managerctl: q is a queue: set does not apply\n", "set",
	    "q", "1", "2");
	CTL(m, 2,
	    "managerctl: INDEX 'a' is not an integer (managerctl --help "
	    "lists "
	    "the commands)\n",
	    "get", "l", "'a'");
	CTL(m, 2,
	    "managerctl: too many arguments for take (managerctl --help "
	    "lists "
	    "the commands)\n",
	    "take", "q", "x");
	CTL(m, 2,
	    "managerctl: unknown option --frob (managerctl --help lists the "
	    "commands)\n",
	    "--frob", "ls");
	// --opt=value as getopt_long takes it.
	CTL(m, 1, "managerctl: q: MGR_EEMPTY: queue empty\n", "take", "q",
	    "--timeout=0.01");
	CTL(m, 2,
	    "managerctl: --timeout x is not a number of seconds "
	    "(managerctl --help lists the commands)\n",
	    "take", "q", "--timeout=x");
}

static void
test_managerctl_commands(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *o[5];
	assert_int_equal(h_managerd_start(&m, H_IPC, NULL), 0);
	assert_int_equal(h_connect(&m, &c), 0);
	assert_int_equal(mgr_dict_new(c, &o[0]), 0);
	assert_int_equal(mgr_list_new(c, &o[1]), 0);
	assert_int_equal(mgr_queue_new(c, 1, &o[2]), 0);
	assert_int_equal(mgr_ns_new(c, &o[3]), 0);
	assert_int_equal(mgr_scalar_new(c, 'i', mgr_int(3), &o[4]), 0);
	const char *names[] = { "d", "l", "q", "n", "s" };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(mgr_name_set(c, names[i], o[i]), 0);
	}
	assert_int_equal(mgr_list_append(o[1], mgr_str("x")), 0);

	// dict: set, get, incr, del, and the values land in the manager.
	CTL(&m, 0, "", "set", "d", "'a'", "[1, 'x', (2,), None]");
	CTL(&m, 0, "[1, 'x', (2,), None]\n", "get", "d", "'a'");
	CTL(&m, 0, "1\n", "incr", "d", "'n'");
	CTL(&m, 0, "3.5\n", "incr", "d", "'n'", "2.5");
	CTL(&m, 0, "{'a': [1, 'x', (2,), None], 'n': 3.5}\n", "get", "d");
	mgr_value v;
	assert_int_equal(mgr_dict_get(o[0], mgr_str("n"), &v), 0);
	assert_true(v.kind == MGR_FLOAT && v.f == 3.5);
	CTL(&m, 0, "", "del", "d", "'a'");
	CTL(&m, 1,
	    "managerctl: d: MGR_EKEY: no such key, attribute or name ('a')\n",
	    "get", "d", "'a'");
	// Bare words are strs (as redis-cli takes every word); quoted, what
	// would be a literal is a str too; --raw prints a str unquoted.
	CTL(&m, 0, "", "set", "d", "alice", "job-7");
	CTL(&m, 0, "'job-7'\n", "get", "d", "alice");
	CTL(&m, 0, "job-7\n", "get", "d", "'alice'", "--raw");
	CTL(&m, 0, "", "set", "d", "k1", "'1'");
	CTL(&m, 0, "'1'\n", "get", "d", "k1");
	CTL(&m, 0, "1\n", "--raw", "get", "d", "k1");
	CTL(&m, 0, "", "del", "d", "alice");
	CTL(&m, 0, "", "del", "d", "k1");
	// list: indexes, negative after --.
	CTL(&m, 0, "", "set", "l", "0", "b'\\x00'");
	CTL(&m, 0, "b'\\x00'\n", "get", "l", "--", "-1");
	CTL(&m, 1,
	    "managerctl: l: MGR_EINDEX: index out of range (list index out "
	    "of "
	    "range)\n",
	    "get", "l", "5");
	CTL(&m, 0, "", "del", "l", "0");
	CTL(&m, 0, "[]\n", "get", "l");
	// namespace: bare or quoted attribute names.
	CTL(&m, 0, "", "set", "n", "x", "{'k': True}");
	CTL(&m, 0, "{'k': True}\n", "get", "n", "'x'");
	CTL(&m, 0, "", "del", "n", "x");
	// scalar: no key.
	CTL(&m, 0, "", "set", "s", "10");
	CTL(&m, 0, "15\n", "incr", "s", "5");
	CTL(&m, 0, "15\n", "get", "s");
	// queue (maxsize 1): put, a full put, take, an empty take.
	CTL(&m, 0, "", "put", "q", "'job'");
	CTL(&m, 1, "managerctl: q: MGR_EFULL: queue full\n", "put", "q", "1",
	    "--timeout", "0.05");
	CTL(&m, 0, "'job'\n", "take", "q");
	CTL(&m, 1,
	    "managerctl: q: MGR_EEMPTY: queue empty (queue.Empty: the queue "
	    "is "
	    "empty)\n",
	    "take", "q");
	CTL(&m, 0,
	    "dict                     1  d\n"
	    "list                     0  l\n"
	    "namespace                0  n\n"
	    "queue                    0  q\n"
	    "scalar                   -  s\n",
	    "ls");
	CTL(&m, 0, "", "del", "d");
	CTL(&m, 1,
	    "managerctl: d: MGR_EKEY: no such key, attribute or name (no "
	    "object named 'd')\n",
	    "get", "d");

	usage_errors(&m);
	assert_int_equal(mgr_queue_qsize(o[2], &(size_t) { 0 }), 0);

	for (int i = 0; i < 5; i++) {
		mgr_obj_release(o[i]);
	}
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
	// A manager that is gone: 3.
	char out[512];
	assert_int_equal(ctl(&m, m.key, "ping", NULL, out, sizeof(out)), 3);
	assert_non_null(strstr(out, "MGR_ECONN"));
}

typedef struct {
	mgr_obj *lock;
	int      rv;
} acquirer;

static void *
acquire_thread(void *arg)
{
	acquirer *a = arg;
	a->rv       = mgr_acquire(a->lock, 20000);
	return NULL;
}

/* clients shows who holds a lock and who waits for it; --json gives the
 * same as JSON; watch refreshes; shutdown stops the manager. */
static void
test_managerctl_introspection(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *a, *b;
	mgr_obj    *la, *lb;
	char        out[8192];
	assert_int_equal(h_managerd_start(&m, H_IPC, NULL), 0);
	assert_int_equal(h_connect(&m, &a), 0);
	assert_int_equal(h_connect(&m, &b), 0);
	assert_int_equal(mgr_lock_new(a, &la), 0);
	assert_int_equal(mgr_name_set(a, "L", la), 0);
	assert_int_equal(mgr_name_get(b, "L", &lb), 0);
	assert_int_equal(mgr_acquire(la, 0), 0);
	acquirer  w = { .lock = lb, .rv = -1 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, acquire_thread, &w), 0);
	assert_int_equal(h_info_await(a, "waiters", NULL, 1, 10000, NULL), 0);

	assert_int_equal(
	    ctl(&m, m.key, "clients", NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "ID    PEER"));
	assert_non_null(strstr(out, "      holds lock 'L'\n"));
	assert_non_null(strstr(out, "      waits acquire on lock 'L' for "));
	assert_non_null(strstr(out, " s left\n")); // of its 20 s
	// The holder's line comes before its holds line, with its pid.
	char pid[32];
	snprintf(pid, sizeof(pid), "ipc pid %ld ", (long) getpid());
	assert_non_null(strstr(out, pid));

	const char *json_clients[] = { "--json", "clients", NULL };
	assert_int_equal(
	    ctl_args(&m, m.key, json_clients, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"holds\": [{\"object\": "));
	assert_non_null(strstr(out,
	    "\"type\": \"lock\", \"name\": \"L\", "
	    "\"count\": 1}]"));
	assert_non_null(strstr(out, "\"op\": \"acquire\""));
	assert_int_equal(out[0], '[');

	const char *json_info[] = { "--json", "info", NULL };
	assert_int_equal(ctl_args(&m, m.key, json_info, out, sizeof(out)), 0);
	assert_non_null(
	    strstr(out, "{\"version\": \"" MGR_VERSION_STRING "\""));
	assert_non_null(strstr(out, "\"waiters_by_type\": {"));
	assert_non_null(strstr(out, "\"lock\": 1"));

	const char *json_get[] = { "--json", "ls", NULL };
	assert_int_equal(ctl_args(&m, m.key, json_get, out, sizeof(out)), 0);
	assert_string_equal(
	    out, "[{\"name\": \"L\", \"type\": \"lock\", \"size\": null}]\n");

	const char *watch[]
	    = { "watch", "--count", "2", "--interval", "0.05", NULL };
	assert_int_equal(ctl_args(&m, m.key, watch, out, sizeof(out)), 0);
	const char *second = strstr(out, "requests/s");
	assert_non_null(second);
	assert_non_null(strstr(second + 1, "requests/s"));
	assert_non_null(strstr(out, "waiters 1"));
	const char *watch_json[]
	    = { "--json", "watch", "--count", "1", NULL };
	assert_int_equal(
	    ctl_args(&m, m.key, watch_json, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "{\"requests_per_sec\": "));
	CTL(&m, 2,
	    "managerctl: --count 0 is not a positive number (managerctl "
	    "--help lists the commands)\n",
	    "watch", "--count", "0");

	assert_int_equal(mgr_release(la), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rv, 0);
	assert_int_equal(mgr_release(lb), 0);
	mgr_obj_release(la);
	mgr_obj_release(lb);
	mgr_disconnect(b);

	// shutdown: the manager answers, then exits cleanly; a's calls then
	// say the connection is gone.
	CTL(&m, 0, "", "shutdown");
	int st;
	assert_int_equal(h_wait_pid(m.pid, 10000, &st), 0);
	m.pid = 0;
	assert_int_equal(h_exit_code(st), 0);
	assert_true(h_managerd_log_has(&m, "asked to shut down", 1000));
	assert_int_equal(mgr_ping(a), MGR_ECONN);
	mgr_disconnect(a);
	h_managerd_cleanup(&m);
}

/* new: every type, with its arguments; a taken name is not rebound; bad
 * arguments are usage errors that make nothing. */
static void
test_managerctl_new(void **state)
{
	(void) state;
	h_managerd m;
	assert_int_equal(h_managerd_start(&m, H_IPC, NULL), 0);
	CTL(&m, 0, "", "new", "dict", "d", "{'a': 1}");
	CTL(&m, 0, "", "new", "list", "l", "[1, 'x']");
	CTL(&m, 0, "", "new", "namespace", "n");
	CTL(&m, 0, "", "new", "queue", "q", "2", "ack");
	CTL(&m, 0, "", "new", "queue", "pq", "priority");
	CTL(&m, 0, "", "new", "lock", "L");
	CTL(&m, 0, "", "new", "rlock", "R");
	CTL(&m, 0, "", "new", "semaphore", "S", "3");
	CTL(&m, 0, "", "new", "bounded_semaphore", "B");
	CTL(&m, 0, "", "new", "condition", "C");
	CTL(&m, 0, "", "new", "event", "E");
	CTL(&m, 0, "", "new", "barrier", "bar", "2");
	CTL(&m, 0, "", "new", "value", "v", "d", "2.5");
	CTL(&m, 0, "", "new", "array", "a", "i", "3");
	CTL(&m, 0, "", "new", "array", "a2", "d", "[0.5, 1]");
	CTL(&m, 0, "{'a': 1}\n", "get", "d");
	CTL(&m, 0, "[1, 'x']\n", "get", "l");
	CTL(&m, 0, "2.5\n", "get", "v");
	// JSON: floats in their shortest form (Python's repr), bytes base64.
	CTL(&m, 0, "", "new", "dict", "j", "{'f': 16.9, 'b': b'\\x00\\xff'}");
	CTL(&m, 0, "{\"f\": 16.9, \"b\": {\"bytes\": \"AP8=\"}}\n", "--json",
	    "get", "j");
	CTL(&m, 0, "[0, 0, 0]\n", "get", "a");
	CTL(&m, 0, "[0.5, 1.0]\n", "get", "a2");
	// The queue is bounded by 2: a third put finds it full.
	CTL(&m, 0, "", "put", "q", "1");
	CTL(&m, 0, "", "put", "q", "2");
	CTL(&m, 1,
	    "managerctl: q: MGR_EFULL: queue full (queue.Full: the queue is "
	    "full (maxsize 2))\n",
	    "put", "q", "3");
	// The priority queue gives the smallest first.
	CTL(&m, 0, "", "put", "pq", "5");
	CTL(&m, 0, "", "put", "pq", "1");
	CTL(&m, 0, "1\n", "take", "pq");
	// peek and range take nothing; purge drops what waits.
	CTL(&m, 0, "[1, 2]\n", "peek", "q");
	CTL(&m, 0, "[1]\n", "peek", "q", "1");
	CTL(&m, 0, "[2]\n", "range", "q", "--", "-1");
	CTL(&m, 0, "2\n", "purge", "q");
	CTL(&m, 0, "[]\n", "peek", "q");
	CTL(&m, 2, "managerctl: d is a dict, not a queue\n", "purge", "d");
	// take on an acknowledged queue: without --ack the item goes back
	// when managerctl ends, with --ack it is done.
	CTL(&m, 0, "", "put", "q", "job");
	CTL(&m, 0, "'job'\n", "take", "q");
	CTL(&m, 0, "['job']\n", "peek", "q"); // back
	CTL(&m, 0, "'job'\n", "take", "q", "--ack");
	CTL(&m, 0, "[]\n", "peek", "q"); // gone for good
	CTL(&m, 1,
	    "managerctl: d: the name is taken (a dict); del it first\n",
	    "new", "list", "d");
	CTL(&m, 0, "{'a': 1}\n", "get", "d"); // still the dict
	CTL(&m, 1,
	    "managerctl: frob: MGR_ETYPE: wrong object or value type (no "
	    "type "
	    "'frob' (no module loaded with --load-module registered it))\n",
	    "new", "frob", "x");
	CTL(&m, 2,
	    "managerctl: new barrier takes PARTIES (managerctl --help lists "
	    "the commands)\n",
	    "new", "barrier", "b2");
	CTL(&m, 2,
	    "managerctl: INIT [1] is not a dict literal (managerctl --help "
	    "lists the commands)\n",
	    "new", "dict", "d2", "[1]");
	CTL(&m, 2,
	    "managerctl: fast is not a number of 0 or more (managerctl "
	    "--help lists the commands)\n",
	    "new", "queue", "q2", "fast");
	char out[4096];
	assert_int_equal(ctl(&m, m.key, "ls", NULL, out, sizeof(out)), 0);
	for (const char *w = "a a2 B C E L R S bar d l n pq q v "; *w;) {
		char want[32];
		int  k = (int) strcspn(w, " ");
		snprintf(want, sizeof(want), "  %.*s\n", k, w);
		if (strstr(out, want) == NULL) {
			fail_msg("ls has no %.*s: %s", k, w, out);
		}
		w += k + 1;
	}
	assert_null(strstr(out, "q2")); // the refused ones made nothing
	assert_null(strstr(out, "d2"));
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* The README's managerctl tour, run as written: the block that makes
 * `results`, each line through sh (the export line gives way to this
 * test's manager); every line must succeed, and a line ending in
 * "# -> X" must print X. */
static void
test_readme_tour(void **state)
{
	(void) state;
	char  path[512], *text = NULL;
	long  len;
	FILE *f;
	snprintf(path, sizeof(path), "%s/README.md", MGR_SOURCE_DIR);
	assert_non_null(f = fopen(path, "r"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	assert_true((len = ftell(f)) > 0);
	rewind(f);
	assert_non_null(text = calloc(1, (size_t) len + 1));
	assert_int_equal(fread(text, 1, (size_t) len, f), (size_t) len);
	fclose(f);
	const char *start = strstr(text, "managerctl new dict results");
	assert_non_null(start);
	while (start > text && strncmp(start, "```sh\n", 6) != 0) {
		start--; // back to the block's fence
	}
	const char *end = strstr(start + 6, "```");
	assert_non_null(end);

	h_managerd m;
	assert_int_equal(h_managerd_start(&m, H_IPC, NULL), 0);
	char url[600], keyenv[128], pathenv[600];
	snprintf(url, sizeof(url), "MGR_URL=%s", m.url);
	snprintf(keyenv, sizeof(keyenv), "MGR_AUTHKEY=%s", m.key);
	snprintf(pathenv, sizeof(pathenv), "PATH=%s/../tools:/usr/bin:/bin",
	    MGR_EXAMPLES_DIR);
	const char *env[] = { url, keyenv, pathenv, NULL };
	int         lines = 0;
	for (const char *l = start + 6; l < end;) {
		const char *nl = strchr(l, '\n');
		char        line[512];
		snprintf(line, sizeof(line), "%.*s", (int) (nl - l), l);
		l = nl + 1;
		if (line[0] == '\0' || strncmp(line, "export ", 7) == 0) {
			continue;
		}
		char  out[4096];
		char *argv[] = { "sh", "-c", line, NULL };
		int st = h_run("/bin/sh", argv, env, H_ERR_TO_OUT, 10000, out,
		    sizeof(out));
		if (st != 0) {
			fail_msg("'%s' exited %d: %s", line, st, out);
		}
		const char *want = strstr(line, "# -> ");
		if (want != NULL) {
			char w[512];
			snprintf(w, sizeof(w), "%s\n", want + 5);
			if (strcmp(out, w) != 0) {
				fail_msg("'%s' printed '%s'", line, out);
			}
		}
		lines++;
	}
	assert_true(lines >= 10);
	free(text);
	assert_int_equal(h_managerd_stop(&m), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_managerctl),
		cmocka_unit_test(test_managerctl_commands),
		cmocka_unit_test(test_managerctl_introspection),
		cmocka_unit_test(test_managerctl_new),
		cmocka_unit_test(test_readme_tour),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
