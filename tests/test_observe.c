/* What managerd tells about itself, against a real managerd: the figures
 * of mgr_info (rates, bytes, memory, elements and waiters by type), the
 * same figures over HTTP in Prometheus's format (--metrics), the debug
 * log of every request in a --log-file reopened on SIGHUP, and
 * mgr_errdetail belonging to the call that failed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "harness.h"

/* info[key] (or info[key][type]) as a number: ints and floats. */
static double
info_num(mgr_client *c, const char *key, const char *type)
{
	mgr_value info;
	double    v = -1;
	OK(mgr_info(c, &info));
	for (size_t i = 0; i < info.len; i++) {
		const mgr_value *k = &info.pairs[2 * i], *x = k + 1;
		if (strcmp(k->s, key) != 0) {
			continue;
		}
		for (size_t j = 0; type != NULL && j < x->len; j++) {
			if (strcmp(x->pairs[2 * j].s, type) == 0) {
				x = &x->pairs[2 * j + 1];
				break;
			}
		}
		v = x->kind == MGR_INT     ? (double) x->i
		    : x->kind == MGR_FLOAT ? x->f
		                           : -2;
	}
	mgr_value_free(&info);
	return v;
}

static bool
file_has(const char *path, const char *needle, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	for (;;) {
		static char buf[1 << 20];
		FILE       *f = fopen(path, "r");
		size_t      n = 0;
		if (f != NULL) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		if (strstr(buf, needle) != NULL) {
			return true;
		}
		if (h_now_ms() >= deadline) {
			fprintf(stderr, "%s has no '%s':\n%s\n", path, needle,
			    buf);
			return false;
		}
		h_nap(10);
	}
}

typedef struct {
	mgr_obj *ev;
	int      rv;
} event_waiter;

static void *
wait_event(void *arg)
{
	event_waiter *w = arg;
	w->rv           = mgr_event_wait(w->ev, 20000);
	return NULL;
}

#define METRICS_TOKEN "observe-token-1"
#define METRICS_AUTH  "Authorization: Bearer " METRICS_TOKEN

/* The figures over HTTP (--metrics): those of the session below, to a
 * scrape that carries the token only. */
static void
check_metrics_text(const h_managerd *m)
{
	char *body = malloc(1 << 16);
	assert_non_null(body);
	assert_int_equal(
	    h_http_get(m->metrics_url, NULL, "/metrics", body, 1 << 16), 401);
	assert_int_equal(
	    h_http_get(m->metrics_url, "Authorization: Bearer wrong",
	        "/metrics", body, 1 << 16),
	    401);
	assert_int_equal(h_http_get(m->metrics_url, METRICS_AUTH, "/metrics",
	                     body, 1 << 16),
	    200);
	assert_non_null(
	    strstr(body, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(body, "# TYPE mgr_requests_total counter\n"));
	assert_non_null(strstr(body, "\nmgr_elements{type=\"dict\"} 3\n"));
	assert_non_null(
	    strstr(body, "\nmgr_waiters_by_type{type=\"event\"} 1\n"));
	assert_non_null(strstr(body, "\nmgr_sessions 2\n"));
	assert_non_null(
	    strstr(body, "mgr_info{version=\"" MGR_VERSION_STRING "\"} 1\n"));
	assert_int_equal(
	    h_http_get(m->metrics_url, METRICS_AUTH, "/other", body, 1 << 16),
	    404);
	free(body);
}

static void
test_figures_and_metrics(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c, *c2;
	mgr_obj    *d, *q, *ev, *ev2;
	char        dir[] = "/tmp/mgr-observe-XXXXXX", log[64], tokfile[64];
	assert_non_null(mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/managerd.log", dir);
	snprintf(tokfile, sizeof(tokfile), "%s/token", dir);
	int tfd = open(tokfile, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(tfd >= 0);
	assert_int_equal(write(tfd, METRICS_TOKEN "\n", 16), 16);
	close(tfd);
	const char *extra[] = { "--log-level", "debug", "--log-file", log,
		"--metrics", "http://127.0.0.1:0/metrics",
		"--http-token-file", tokfile, NULL };
	assert_int_equal(h_managerd_start(&m, H_IPC, extra), 0);
	assert_int_not_equal(m.metrics_url[0], '\0');
	OK(h_connect(&m, &c));
	OK(h_connect(&m, &c2));

	OK(mgr_dict_new(c, &d));
	for (int i = 0; i < 3; i++) {
		OK(mgr_dict_set(d, mgr_int(i), mgr_str("x")));
	}
	OK(mgr_queue_new(c, 0, &q));
	OK(mgr_queue_put(q, mgr_int(1), 0));
	OK(mgr_queue_put(q, mgr_int(2), 0));
	OK(mgr_name_set(c, "d", d));
	assert_true(info_num(c, "elements", "dict") == 3);
	assert_true(info_num(c, "elements", "queue") == 2);
	assert_true(info_num(c, "objects", "queue") == 1);
	assert_true(info_num(c, "bytes_in", NULL) > 100);
	assert_true(info_num(c, "bytes_out", NULL) > 50);
	double rss = info_num(c, "rss", NULL);
	assert_true(rss > 1e5);
	assert_true(info_num(c, "rss_peak", NULL) >= rss);
	assert_true(info_num(c, "sessions", NULL) == 2);

	// Rates: requests of complete seconds, seen within a few seconds.
	double  rate     = 0;
	int64_t deadline = h_now_ms() + 5000;
	while ((rate = info_num(c, "requests_per_sec_10s", NULL)) <= 0
	    && h_now_ms() < deadline) {
		for (int i = 0; i < 20; i++) {
			OK(mgr_ping(c));
		}
		h_nap(50);
	}
	assert_true(rate > 0);
	assert_true(info_num(c, "requests_per_sec_60s", NULL) > 0);

	// A parked request counts under its object's type.
	OK(mgr_event_new(c, &ev));
	OK(mgr_name_set(c, "ev", ev));
	OK(mgr_name_get(c2, "ev", &ev2));
	event_waiter w = { .ev = ev2, .rv = -1 };
	pthread_t    t;
	assert_int_equal(pthread_create(&t, NULL, wait_event, &w), 0);
	assert_int_equal(
	    h_info_await(c, "waiters_by_type", "event", 1, 10000, NULL), 0);

	check_metrics_text(&m);
	OK(mgr_event_set(ev));
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rv, 0);

	// --log-level debug: each request with its op, target and status.
	mgr_value v;
	assert_int_equal(mgr_dict_get(d, mgr_str("nope"), &v), MGR_EKEY);
	char line[128];
	snprintf(line, sizeof(line), ": dict_get on %llu -> MGR_EKEY",
	    (unsigned long long) mgr_obj_id(d));
	assert_true(file_has(log, line, 5000));
	assert_true(file_has(log, ": name_set 'd' on ", 5000));
	assert_true(file_has(log, ": event_wait on ", 5000));

	// SIGHUP after logrotate moved the file: a new file at the path.
	char moved[80];
	snprintf(moved, sizeof(moved), "%s.1", log);
	assert_int_equal(rename(log, moved), 0);
	assert_int_equal(kill(m.pid, SIGHUP), 0);
	assert_true(file_has(log, "SIGHUP: log file reopened", 5000));
	OK(mgr_ping(c));
	assert_true(file_has(log, ": ping on 0 -> ok", 5000));
	assert_true(file_has(moved, "authenticated", 1000));

	mgr_obj_release(ev2);
	mgr_obj_release(ev);
	mgr_obj_release(q);
	mgr_obj_release(d);
	mgr_disconnect(c2);
	OK(mgr_name_del(c, "d"));
	OK(mgr_name_del(c, "ev"));
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
	unlink(log);
	unlink(moved);
	unlink(tokfile);
	rmdir(dir);
}

/* --metrics-no-auth: /metrics to anyone (a trusted network's scraper). */
static void
test_metrics_no_auth(void **state)
{
	(void) state;
	h_managerd  m;
	const char *extra[] = { "--metrics", "http://127.0.0.1:0/metrics",
		"--metrics-no-auth", NULL };
	assert_int_equal(h_managerd_start(&m, H_IPC, extra), 0);
	char *body = malloc(1 << 16);
	assert_non_null(body);
	assert_int_equal(
	    h_http_get(m.metrics_url, NULL, "/metrics", body, 1 << 16), 200);
	assert_non_null(strstr(body, "\nmgr_lock_hold_max_us "));
	free(body);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* A --metrics URL that is not http:// is a usage error; one that cannot
 * be bound stops the start with its cause. */
/* The elements of every object of type as mgr_objects sizes them. */
static int64_t
sizes_of(mgr_client *c, const char *type)
{
	mgr_value page;
	int64_t   sum = 0;
	OK(mgr_objects(c, 0, 1000, &page));
	const mgr_value *objs = h_dict_find(&page, "objects");
	for (size_t i = 0; objs != NULL && i < objs->len; i++) {
		const mgr_value *o = &objs->items[i];
		const mgr_value *t = h_dict_find(o, "type");
		const mgr_value *n = h_dict_find(o, "size");
		if (strcmp(t->s, type) == 0 && n != NULL) {
			sum += n->i;
		}
	}
	mgr_value_free(&page);
	return sum;
}

/* The element figures equal the containers' sizes, kept as they change
 * (not counted by a walk): each type's writes, an atomic batch undone,
 * items handed back when a session ends, objects freed. */
static void
check_elements(mgr_client *c)
{
	static const char *const types[] = { "dict", "list", "queue" };
	for (size_t i = 0; i < 3; i++) {
		assert_true(info_num(c, "elements", types[i])
		    == (double) sizes_of(c, types[i]));
	}
}

static void
test_elements_kept(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c, *c2;
	mgr_obj    *d, *l, *q, *q2;
	mgr_value   v;
	assert_int_equal(h_managerd_start(&m, H_IPC, NULL), 0);
	OK(h_connect(&m, &c));
	OK(h_connect(&m, &c2));
	OK(mgr_dict_new(c, &d));
	OK(mgr_list_new(c, &l));
	mgr_queue_opts qo = { .ack = true };
	OK(mgr_queue_new_opts(c, &qo, &q));
	for (int i = 0; i < 5; i++) {
		OK(mgr_dict_set(d, mgr_int(i), mgr_int(i)));
		OK(mgr_list_append(l, mgr_int(i)));
		OK(mgr_queue_put(q, mgr_int(i), 0));
	}
	OK(mgr_dict_del(d, mgr_int(0)));
	OK(mgr_list_pop(l, -1, &v));
	OK(mgr_queue_get(q, &v, 0));
	check_elements(c);
	assert_true(info_num(c, "elements", "dict") == 4);
	// An atomic batch whose second write fails: the first is undone.
	mgr_batch *b;
	OK(mgr_batch_new(c, &b));
	const mgr_value kv[] = { mgr_int(100), mgr_int(1) };
	OK(mgr_batch_add(b, d, MGR_OP_DICT_SET, kv, 2));
	const mgr_value far[] = { mgr_int(99) };
	OK(mgr_batch_add(b, l, MGR_OP_LIST_POP, far, 1));
	assert_int_not_equal(mgr_batch_exec(b, true), 0);
	mgr_batch_free(b);
	check_elements(c);
	assert_true(info_num(c, "elements", "dict") == 4);
	// Taken by a session that ends: the items come back.
	char token[128];
	OK(mgr_obj_token(q, token, sizeof(token)));
	OK(mgr_attach(c2, token, &q2));
	OK(mgr_queue_get(q2, &v, 0));
	OK(mgr_queue_get(q2, &v, 0));
	assert_true(info_num(c, "elements", "queue") == 2);
	mgr_obj_release(q2);
	mgr_disconnect(c2);
	int64_t last = -1;
	assert_int_equal(
	    h_info_await(c, "sessions", NULL, 1, 5000, &last), 0);
	check_elements(c);
	assert_true(info_num(c, "elements", "queue") == 4);
	// Freed: their elements go with them.
	mgr_obj_release(d);
	mgr_obj_release(l);
	assert_true(info_num(c, "elements", "dict") == 0);
	assert_true(info_num(c, "elements", "list") == 0);
	check_elements(c);
	mgr_obj_release(q);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* The longest single hold of the server lock, and what held it: after a
 * request that must hold it a while (200,000 items in one extend), the
 * figure is at least a millisecond and names that operation, also once
 * the timer thread has slept through its one-second sweep (its sleeps,
 * the lock dropped, once counted as a hold of a second by "the
 * manager"). */
static void
test_lock_hold_figure(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *l;
	// A request of 200,000 values, let through for this test.
	const char *const extra[] = { "--max-op-elements", "300000", NULL };
	assert_int_equal(h_managerd_start(&m, H_IPC, extra), 0);
	OK(h_connect(&m, &c));
	OK(mgr_list_new(c, &l));
	enum { N = 200000 };
	mgr_value *items = calloc(N, sizeof(*items));
	assert_non_null(items);
	for (size_t i = 0; i < N; i++) {
		items[i] = mgr_int((int64_t) i);
	}
	OK(mgr_list_extend(l, mgr_list_of(items, N)));
	free(items);
	assert_true(info_num(c, "lock_hold_max_us", NULL) >= 1000);
	// Two of the timer's sweeps (one a second): no event to wait for.
	usleep(2200 * 1000);
	mgr_value info;
	OK(mgr_info(c, &info));
	const mgr_value *op = h_dict_find(&info, "lock_hold_max_op");
	assert_non_null(op);
	assert_int_equal(op->kind, MGR_STR);
	assert_string_equal(op->s, "list_extend");
	mgr_value_free(&info);
	assert_true(info_num(c, "lock_hold_max_us", NULL) < 900000);
	OK(mgr_obj_release(l));
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

static void
test_metrics_bad_url(void **state)
{
	(void) state;
	char  out[1024];
	char *bad[] = { "managerd", "--listen", "ipc:///tmp/mgr-observe-no",
		"--metrics", "tcp://127.0.0.1:0", NULL };
	assert_int_equal(h_run(h_managerd_path(), bad, NULL, H_ERR_TO_OUT,
	                     10000, out, sizeof(out)),
	    2);
	assert_string_equal(out,
	    "managerd: --metrics tcp://127.0.0.1:0 is not an "
	    "http://host:port/path URL\n");
	char *unbindable[]
	    = { "managerd", "--listen", "ipc:///tmp/mgr-observe-no",
		      "--metrics", "http://192.0.2.1:1/metrics", NULL };
	assert_int_equal(h_run(h_managerd_path(), unbindable, NULL,
	                     H_ERR_TO_OUT, 10000, out, sizeof(out)),
	    1);
	assert_non_null(strstr(out,
	    "managerd: --metrics: cannot listen on "
	    "http://192.0.2.1:1/metrics: "));
}

/* mgr_errdetail belongs to the call that failed: one refused before it
 * sends anything names itself, not an earlier call's detail. */
static void
test_errdetail_is_the_calls(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *d, *o;
	assert_int_equal(h_managerd_start(&m, H_IPC, NULL), 0);
	OK(h_connect(&m, &c));
	OK(mgr_dict_new(c, &d));
	assert_int_equal(mgr_name_get(c, "nope", &o), MGR_EKEY);
	assert_string_equal(mgr_errdetail(), "no object named 'nope'");
	assert_int_equal(mgr_name_set(c, NULL, d), MGR_EINVAL);
	assert_non_null(strstr(mgr_errdetail(), "mgr_name_set: "));
	assert_null(strstr(mgr_errdetail(), "nope"));
	assert_int_equal(mgr_name_get(c, "nope", &o), MGR_EKEY);
	mgr_value out;
	assert_int_equal(mgr_value_copy(NULL, &out), MGR_EINVAL);
	assert_non_null(strstr(mgr_errdetail(), "mgr_value_copy: "));
	// A call that succeeds leaves no detail behind.
	assert_int_equal(mgr_name_get(c, "nope", &o), MGR_EKEY);
	OK(mgr_ping(c));
	assert_string_equal(mgr_errdetail(), "");
	mgr_obj_release(d);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* --ipc-mode opens the socket to the group (for a systemd service with
 * Group=); a mode that is not octal is a usage error. */
static void
test_ipc_mode(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	struct stat st;
	const char *extra[] = { "--ipc-mode", "0660", NULL };
	assert_int_equal(h_managerd_start(&m, H_IPC, extra), 0);
	assert_int_equal(stat(m.url + 6, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	OK(h_connect(&m, &c));
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
	char  out[512];
	char *bad[] = { "managerd", "--listen", "ipc:///tmp/mgr-observe-no",
		"--ipc-mode", "rw", NULL };
	assert_int_equal(h_run(h_managerd_path(), bad, NULL, H_ERR_TO_OUT,
	                     10000, out, sizeof(out)),
	    2);
	assert_string_equal(out,
	    "managerd: --ipc-mode rw is not an octal mode (0600, 0660)\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures_and_metrics),
		cmocka_unit_test(test_elements_kept),
		cmocka_unit_test(test_lock_hold_figure),
		cmocka_unit_test(test_metrics_bad_url),
		cmocka_unit_test(test_metrics_no_auth),
		cmocka_unit_test(test_errdetail_is_the_calls),
		cmocka_unit_test(test_ipc_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
