/* managerd --http against a scripted workload: the JSON API and, in a
 * headless Chromium from Debian, the dashboard a person would see.
 *
 * The workload: a named queue with 3 items, a lock L held by one client
 * and waited for by a second, and two sessions in a deadlock (A holds L1
 * and waits for L2, B holds L2 and waits for L1).
 * - The API: /api/objects gives the queue's size as mgr_queue_qsize does,
 *   /api/waits L's holder and waiter and the cycle, /api/objects/ID the
 *   queue's items and a lock's queue of waiters, /api/sessions what each
 *   session holds; 401 without the token (or with a wrong one), 400 for a
 *   bad page, 404 for an unknown path or object.
 * - The page (chromium --headless --dump-dom after its script ran): the
 *   queue's size, the holder and the waiter of L, the deadlock warning,
 *   and "no access" without the token. Screenshots of each view go to
 *   MGR_DASHBOARD_SHOTS (a directory) when it is set: docs/ keeps them.
 * Without chromium the browser test is skipped (reported), not passed. */
#include <errno.h> /* program_invocation_short_name */
#include <inttypes.h>
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

static h_managerd  M;
static mgr_client *owner, *waiter, *ca, *cb;
static mgr_obj    *q, *lock_l, *l1a, *l2b;
static char        base[300], token[100], auth[200];
static int64_t     sid_owner, sid_a, sid_b;

typedef struct blocked {
	pthread_t th;
	mgr_obj  *o;
} blocked;

static blocked waits[3];

static void *
block_main(void *arg)
{
	blocked *w = arg;
	(void) mgr_acquire(w->o, MGR_FOREVER); // ends with its client
	return NULL;
}

/* GET path with the token header (auth NULL: none); body into out. */
static int
get(const char *path, const char *hdr, char *out, size_t cap)
{
	return h_http_get(base, hdr, path, out, cap);
}

static const char *
body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");
	return b != NULL ? b + 4 : "";
}

/* The id of the session whose 'holds' name the object name, in
 * /api/sessions' JSON ({"id":N,...,"holds":[{...,"name":"L",...}],
 * "waits":[...]}, one per session). -1 when none. */
static int64_t
sid_holding(const char *json, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"name\":\"%s\"", name);
	for (const char *p = strstr(json, "{\"id\":"); p != NULL;
	     p             = strstr(p + 1, "{\"id\":")) {
		const char *holds = strstr(p, "\"holds\":[");
		const char *end  = holds != NULL ? strstr(holds, "],") : NULL;
		const char *hit  = holds != NULL ? strstr(holds, pat) : NULL;
		const char *next = strstr(p + 1, "{\"id\":");
		if (hit != NULL && hit < end
		    && (next == NULL || hit < next)) {
			return strtoll(p + 6, NULL, 10);
		}
	}
	return -1;
}

static int
group_setup(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the group setup");
	// The account module too: its objects show their state.
	const char *const extra[] = { "--http", "http://127.0.0.1:0",
		"--load-module=" MGR_ACCOUNT_MODULE, NULL };
	if (h_managerd_start(&M, H_TCP, extra) != 0) {
		return -1;
	}
	const char *t = strstr(M.dashboard_url, "#token=");
	if (t == NULL) {
		return -1;
	}
	snprintf(base, sizeof(base), "%.*s", (int) (t - M.dashboard_url),
	    M.dashboard_url);
	snprintf(token, sizeof(token), "%s", t + 7);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	mgr_obj *x;
	if (h_connect(&M, &owner) != 0 || h_connect(&M, &waiter) != 0
	    || h_connect(&M, &ca) != 0 || h_connect(&M, &cb) != 0
	    || mgr_queue_new(owner, 0, &q) != 0
	    || mgr_name_set(owner, "jobs", q) != 0
	    || mgr_lock_new(owner, &lock_l) != 0
	    || mgr_name_set(owner, "L", lock_l) != 0
	    || mgr_acquire(lock_l, MGR_FOREVER) != 0
	    || mgr_name_get(waiter, "L", &x) != 0) {
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		if (mgr_queue_put(q, mgr_int(i), 0) != 0) {
			return -1;
		}
	}
	waits[0].o = x;
	// The deadlock: A holds L1 and waits for L2, B the other way.
	mgr_obj *l1b, *l2a;
	if (mgr_lock_new(ca, &l1a) != 0 || mgr_name_set(ca, "L1", l1a) != 0
	    || mgr_lock_new(cb, &l2b) != 0 || mgr_name_set(cb, "L2", l2b) != 0
	    || mgr_acquire(l1a, MGR_FOREVER) != 0
	    || mgr_acquire(l2b, MGR_FOREVER) != 0
	    || mgr_name_get(ca, "L2", &l2a) != 0
	    || mgr_name_get(cb, "L1", &l1b) != 0) {
		return -1;
	}
	waits[1].o = l2a;
	waits[2].o = l1b;
	for (int i = 0; i < 3; i++) {
		if (pthread_create(&waits[i].th, NULL, block_main, &waits[i])
		    != 0) {
			return -1;
		}
	}
	int64_t last = 0;
	if (h_info_await(owner, "waiters", NULL, 3, 5000, &last) != 0) {
		return -1;
	}
	static char resp[1 << 16];
	if (get("/api/sessions", auth, resp, sizeof(resp)) != 200) {
		return -1;
	}
	sid_owner = sid_holding(body_of(resp), "L");
	sid_a     = sid_holding(body_of(resp), "L1");
	sid_b     = sid_holding(body_of(resp), "L2");
	h_watchdog_disarm();
	return sid_owner > 0 && sid_a > 0 && sid_b > 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the group teardown");
	// Disconnecting ends the blocked acquires (MGR_ECLOSED).
	mgr_obj *objs[]
	    = { q, lock_l, l1a, l2b, waits[0].o, waits[1].o, waits[2].o };
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		mgr_obj_release(objs[i]);
	}
	mgr_name_del(owner, "jobs");
	mgr_name_del(owner, "L");
	mgr_name_del(owner, "L1");
	mgr_name_del(owner, "L2");
	mgr_client *cs[] = { owner, waiter, ca, cb };
	for (size_t i = 0; i < 4; i++) {
		mgr_disconnect(cs[i]);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(waits[i].th, NULL);
	}
	int code = h_managerd_stop(&M);
	h_watchdog_disarm();
	return code == 0 ? 0 : -1;
}

/* ---- the JSON API ---------------------------------------------------------
 */

static char resp[1 << 18];

static void
test_api_needs_token(void **state)
{
	(void) state;
	assert_int_equal(get("/api/info", NULL, resp, sizeof(resp)), 401);
	assert_non_null(strstr(body_of(resp), "token"));
	assert_int_equal(get("/api/waits", "Authorization: Bearer nope", resp,
	                     sizeof(resp)),
	    401);
	char path[300];
	snprintf(path, sizeof(path), "/api/objects?token=%.*sx",
	    (int) strlen(token) - 1, token);
	assert_int_equal(get(path, NULL, resp, sizeof(resp)), 401);
	snprintf(path, sizeof(path), "/api/info?token=%s", token);
	assert_int_equal(get(path, NULL, resp, sizeof(resp)), 200);
	// The page itself holds no data: it is served to anyone.
	assert_int_equal(get("/", NULL, resp, sizeof(resp)), 200);
	assert_non_null(strstr(resp, "Content-Security-Policy"));
	assert_true(h_managerd_log_has(&M, "without the token", 1000));
}

static void
test_api_errors(void **state)
{
	(void) state;
	assert_int_equal(get("/api/nothing", auth, resp, sizeof(resp)), 404);
	assert_int_equal(
	    get("/api/objects/999999", auth, resp, sizeof(resp)), 404);
	assert_int_equal(
	    get("/api/objects?limit=5000", auth, resp, sizeof(resp)), 400);
	assert_int_equal(
	    get("/api/objects?offset=x", auth, resp, sizeof(resp)), 400);
	assert_int_equal(
	    get("/api/objects?sort=colour", auth, resp, sizeof(resp)), 400);
	assert_int_equal(
	    get("/api/objects?q=%zz", auth, resp, sizeof(resp)), 400);
	assert_int_equal(
	    get("/api/objects?desc=2", auth, resp, sizeof(resp)), 400);
}

/* The dashboard's actions, each behind the token: a queue purged (its
 * waiting items dropped, their count answered), a name deleted; what
 * isn't there is 404, what the object can't take 409, GET is no action. */
static void
test_api_actions(void **state)
{
	(void) state;
	mgr_obj *aq, *ad;
	assert_int_equal(mgr_queue_new(owner, 0, &aq), 0);
	assert_int_equal(mgr_dict_new(owner, &ad), 0);
	assert_int_equal(mgr_name_set(owner, "to purge", aq), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(mgr_queue_put(aq, mgr_int(i), 0), 0);
	}
	char path[200];
	snprintf(path, sizeof(path), "/api/objects/%llu/purge",
	    (unsigned long long) mgr_obj_id(aq));
	assert_int_equal(
	    h_http_request(base, "POST", NULL, path, resp, sizeof(resp)),
	    401);
	// Nor with it in the query: a page elsewhere can make a browser
	// send a form to that address, never a header.
	char with_query[512];
	snprintf(with_query, sizeof(with_query), "%s?token=%s", path, token);
	assert_int_equal(h_http_request(base, "POST", NULL, with_query, resp,
	                     sizeof(resp)),
	    401);
	size_t n = 99;
	assert_int_equal(mgr_queue_qsize(aq, &n), 0);
	assert_int_equal(n, 4); // nothing done without the token
	assert_int_equal(
	    h_http_request(base, "POST", auth, path, resp, sizeof(resp)),
	    200);
	assert_string_equal(body_of(resp), "{\"purged\":4}\n");
	assert_int_equal(mgr_queue_qsize(aq, &n), 0);
	assert_int_equal(n, 0);
	assert_true(h_managerd_log_has(&M, "purged (4 items dropped)", 1000));
	// A dict has no waiting items: refused, with the manager's words.
	snprintf(path, sizeof(path), "/api/objects/%llu/purge",
	    (unsigned long long) mgr_obj_id(ad));
	assert_int_equal(
	    h_http_request(base, "POST", auth, path, resp, sizeof(resp)),
	    409);
	assert_non_null(strstr(body_of(resp), "not an operation of a dict"));
	assert_int_equal(h_http_request(base, "POST", auth,
	                     "/api/objects/999999/purge", resp, sizeof(resp)),
	    404);
	assert_int_equal(h_http_request(base, "POST", auth,
	                     "/api/objects/1/wipe", resp, sizeof(resp)),
	    404);
	// A name, %-escaped: unbound; the proxy still reaches the queue.
	assert_int_equal(
	    h_http_request(base, "POST", auth,
	        "/api/names/delete?name=to%20purge", resp, sizeof(resp)),
	    200);
	assert_string_equal(body_of(resp), "{\"deleted\":\"to purge\"}\n");
	mgr_obj *x = NULL;
	assert_int_equal(mgr_name_get(owner, "to purge", &x), MGR_EKEY);
	assert_int_equal(mgr_queue_put(aq, mgr_int(1), 0), 0);
	assert_int_equal(
	    h_http_request(base, "POST", auth,
	        "/api/names/delete?name=to%20purge", resp, sizeof(resp)),
	    404);
	assert_int_equal(
	    h_http_request(base, "POST", auth, "/api/names/delete?name=%ff",
	        resp, sizeof(resp)),
	    400);
	assert_int_equal(h_http_request(base, "POST", auth,
	                     "/api/names/delete", resp, sizeof(resp)),
	    400);
	// GET of an action's path acts on nothing.
	assert_int_equal(mgr_name_set(owner, "kept", aq), 0);
	assert_int_equal(
	    get("/api/names/delete?name=kept", auth, resp, sizeof(resp)),
	    404);
	assert_int_equal(mgr_name_get(owner, "kept", &x), 0);
	mgr_obj_release(x);
	assert_int_equal(mgr_name_del(owner, "kept"), 0);
	mgr_obj_release(aq);
	mgr_obj_release(ad);
}

static void
test_api_objects(void **state)
{
	(void) state;
	size_t n = 0;
	assert_int_equal(mgr_queue_qsize(q, &n), 0);
	assert_int_equal(get("/api/objects", auth, resp, sizeof(resp)), 200);
	char want[200];
	snprintf(want, sizeof(want),
	    "\"type\":\"queue\",\"name\":\"jobs\",\"size\":%zu,\"maxsize\":0",
	    n);
	if (strstr(body_of(resp), want) == NULL) {
		fail_msg("no %s in %s", want, body_of(resp));
	}
	assert_non_null(strstr(body_of(resp), "\"total\":4"));
	// Searched (names and types, case ignored), filtered by type,
	// sorted: what the dashboard's search box and columns ask.
	assert_int_equal(
	    get("/api/objects?q=JOB", auth, resp, sizeof(resp)), 200);
	assert_non_null(strstr(body_of(resp), "\"total\":1"));
	assert_non_null(strstr(body_of(resp), "\"name\":\"jobs\""));
	assert_int_equal(
	    get("/api/objects?type=lock", auth, resp, sizeof(resp)), 200);
	assert_null(strstr(body_of(resp), "\"type\":\"queue\""));
	assert_non_null(strstr(body_of(resp), "\"type\":\"lock\""));
	assert_int_equal(get("/api/objects?sort=size&desc=1&limit=1", auth,
	                     resp, sizeof(resp)),
	    200);
	assert_non_null(strstr(body_of(resp), "\"name\":\"jobs\""));
	assert_int_equal(
	    get("/api/objects?sort=name&q=l%20", auth, resp, sizeof(resp)),
	    200);
	assert_non_null(strstr(body_of(resp), "\"total\":0"));
	// Paged: one object a page.
	assert_int_equal(
	    get("/api/objects?offset=1&limit=1", auth, resp, sizeof(resp)),
	    200);
	assert_non_null(strstr(body_of(resp), "\"offset\":1"));
	assert_int_equal(
	    strstr(strstr(body_of(resp), "\"object\":") + 1, "\"object\":")
	        == NULL,
	    1);
	// One object: the queue's first items, in order.
	char path[64];
	snprintf(path, sizeof(path), "/api/objects/%" PRIu64, mgr_obj_id(q));
	assert_int_equal(get(path, auth, resp, sizeof(resp)), 200);
	assert_non_null(
	    strstr(body_of(resp), "\"entries\":[\"0\",\"1\",\"2\"]"));
	// The lock: held by the owner, one waiter.
	snprintf(
	    path, sizeof(path), "/api/objects/%" PRIu64, mgr_obj_id(lock_l));
	assert_int_equal(get(path, auth, resp, sizeof(resp)), 200);
	snprintf(want, sizeof(want),
	    "\"holders\":[{\"session\":%" PRId64 ",\"pid\":%ld,\"client\":"
	    "\"%s pid %ld\",\"count\":1}],\"waiters\":[{\"session\":",
	    sid_owner, (long) getpid(), program_invocation_short_name,
	    (long) getpid());
	if (strstr(body_of(resp), want) == NULL) {
		fail_msg("no %s in %s", want, body_of(resp));
	}
	assert_non_null(strstr(body_of(resp), "\"op\":\"acquire\""));
}

static void
test_api_waits_and_cycle(void **state)
{
	(void) state;
	assert_int_equal(get("/api/waits", auth, resp, sizeof(resp)), 200);
	const char *w = body_of(resp);
	// L, L1, L2 held; one cycle of two steps: A waits on L2 held by B,
	// B on L1 held by A.
	assert_non_null(strstr(w, "\"name\":\"L\""));
	const char *cyc = strstr(w, "\"cycles\":[[");
	assert_non_null(cyc);
	char step[200];
	snprintf(step, sizeof(step),
	    "{\"session\":%" PRId64 ",\"waits_on\":{\"object\":%" PRIu64,
	    sid_a, mgr_obj_id(l2b));
	if (strstr(cyc, step) == NULL) {
		fail_msg("no %s in %s", step, cyc);
	}
	snprintf(step, sizeof(step), "\"held_by\":%" PRId64, sid_b);
	assert_non_null(strstr(cyc, step));
	snprintf(step, sizeof(step), "\"held_by\":%" PRId64, sid_a);
	assert_non_null(strstr(cyc, step));
	// Exactly one cycle: the owner and waiter of L are no deadlock.
	assert_null(strstr(cyc, "]],[["));
	assert_null(strstr(cyc, "],["));
}

/* ---- the same layer through libmgr and managerctl ---------------------- */

static const mgr_value *
member(const mgr_value *d, const char *key)
{
	const mgr_value *v = h_dict_find(d, key);
	if (v == NULL) {
		fail_msg("no %s in the dict", key);
	}
	return v;
}

static void
test_api_in_libmgr(void **state)
{
	(void) state;
	mgr_value v;
	assert_int_equal(mgr_objects(owner, 0, 2, &v), 0);
	assert_int_equal(member(&v, "total")->i, 4);
	assert_int_equal(member(&v, "objects")->len, 2);
	mgr_value_free(&v);
	assert_int_equal(mgr_objects(owner, 0, 5000, &v), MGR_EINVAL);
	assert_int_equal(mgr_waits(owner, &v), 0);
	assert_int_equal(member(&v, "locks")->len, 3);
	const mgr_value *cycles = member(&v, "cycles");
	assert_int_equal(cycles->len, 1);
	assert_int_equal(cycles->items[0].len, 2); // A -> B -> A
	mgr_value_free(&v);
}

static void
test_managerctl_waits(void **state)
{
	(void) state;
	char exe[600], env_url[600], env_key[100], want[200];
	snprintf(
	    exe, sizeof(exe), "%s/../tools/managerctl", MGR_EXAMPLES_DIR);
	snprintf(env_url, sizeof(env_url), "MGR_URL=%s", M.url);
	snprintf(env_key, sizeof(env_key), "MGR_AUTHKEY=%s", M.key);
	const char *const env[]  = { env_url, env_key, NULL };
	char *const       argv[] = { "managerctl", "waits", NULL };
	assert_int_equal(
	    h_run(exe, argv, env, H_ERR_TO_OUT, 20000, resp, sizeof(resp)),
	    0);
	fprintf(stderr, "%s", resp);
	snprintf(want, sizeof(want),
	    "lock 'L': held by session %" PRId64
	    " (pid %ld)\n    1. session ",
	    sid_owner, (long) getpid());
	assert_non_null(strstr(resp, want));
	snprintf(want, sizeof(want),
	    "deadlock: session %" PRId64 " waits on lock 'L2' held by "
	    "session %" PRId64,
	    sid_a, sid_b);
	assert_non_null(strstr(resp, want));
	char *const objs[] = { "managerctl", "objects", NULL };
	assert_int_equal(
	    h_run(exe, objs, env, H_ERR_TO_OUT, 20000, resp, sizeof(resp)),
	    0);
	fprintf(stderr, "%s", resp);
	assert_non_null(strstr(resp, "jobs"));
	assert_non_null(strstr(resp, "maxsize 0 unfinished 3"));
}

/* https:// with the TLS certificate: the page and the API through curl,
 * the test CA trusted. Skipped without curl or the certificates. */
static void
test_https(void **state)
{
	(void) state;
	if (access("/usr/bin/curl", X_OK) != 0 || h_cert_dir() == NULL) {
		fprintf(stderr, "no curl or no test certificates: skipped\n");
		skip();
	}
	char cert[300], key[300], cafile[300];
	h_cert_path("server.crt", cert, sizeof(cert));
	h_cert_path("server.key", key, sizeof(key));
	h_cert_path("ca.crt", cafile, sizeof(cafile));
	const char *const extra[] = { "--http", "https://127.0.0.1:0",
		"--tls-cert", cert, "--tls-key", key, NULL };
	h_managerd        m;
	assert_int_equal(h_managerd_start(&m, H_TCP, extra), 0);
	const char *t = strstr(m.dashboard_url, "#token=");
	assert_non_null(t);
	assert_int_equal(strncmp(m.dashboard_url, "https://", 8), 0);
	char url[600], out[8192];
	snprintf(url, sizeof(url), "%.*sapi/info?token=%s",
	    (int) (t - m.dashboard_url), m.dashboard_url, t + 7);
	char *const argv[] = { "curl", "-sS", "--cacert", cafile, url, NULL };
	assert_int_equal(h_run("/usr/bin/curl", argv, NULL, H_ERR_TO_OUT,
	                     20000, out, sizeof(out)),
	    0);
	assert_non_null(strstr(out, "\"version\":"));
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* ---- the page in a browser
 * -------------------------------------------------
 */

/* The DOM of the page at base/?view=VIEW (#token when with_token) once its
 * script has run a few refreshes; a screenshot too when shots is set. */
static int
browse(const char *view, bool with_token, const char *shot, char *out,
    size_t cap)
{
	char url[600], profile[300], file[400];
	snprintf(url, sizeof(url), "%s?view=%s%s%s", base, view,
	    with_token ? "#token=" : "", with_token ? token : "");
	snprintf(profile, sizeof(profile), "%s/chromium", M.dir);
	const char *shots = getenv("MGR_DASHBOARD_SHOTS");
	if (shots != NULL && shot != NULL) {
		snprintf(file, sizeof(file), "%s/%s", shots, shot);
	}
	return h_browse(url, profile,
	    shots != NULL && shot != NULL ? file : NULL, out, cap);
}

static void
assert_has(const char *dom, const char *needle)
{
	if (strstr(dom, needle) == NULL) {
		fail_msg("the page does not show '%s'", needle);
	}
}

static void
test_browser_views(void **state)
{
	(void) state;
	if (h_chromium() == NULL) {
		fprintf(stderr, "no chromium: the browser test is skipped\n");
		skip();
	}
	static char dom[1 << 20];
	char        want[200];
	// Locks and waits: L held by the owner, the waiter queued behind.
	assert_int_equal(browse("waits", true, NULL, dom, sizeof(dom)), 0);
	assert_has(dom, "data-ready=\"yes\"");
	snprintf(want, sizeof(want), "session %" PRId64 " (pid %ld)</span>",
	    sid_owner, (long) getpid());
	assert_has(dom, want);
	assert_has(dom, " acquire, ");
	// The deadlock warning, naming both sessions.
	snprintf(want, sizeof(want),
	    "Deadlock: session %" PRId64 " waits on lock 'L2' held by "
	    "session %" PRId64,
	    sid_a, sid_b);
	assert_has(dom, want);
	// Objects: the queue's size as mgr_queue_qsize says.
	size_t   n = 0;
	mgr_obj *account; // a module's object (the other tests count objects)
	assert_int_equal(mgr_queue_qsize(q, &n), 0);
	assert_int_equal(
	    mgr_custom_new(owner, "account", mgr_int(200), &account), 0);
	assert_int_equal(mgr_name_set(owner, "acct", account), 0);
	assert_int_equal(browse("objects", true, NULL, dom, sizeof(dom)), 0);
	snprintf(want, sizeof(want),
	    "<td>jobs</td><td>queue</td><td class=\"num\">%zu</td>", n);
	assert_has(dom, want);
	// A module's object: its type's name and its state.
	assert_has(dom, "<td>acct</td><td>account</td>");
	assert_has(dom, "state 200");
	assert_int_equal(mgr_name_del(owner, "acct"), 0);
	mgr_obj_release(account);
	// Sessions: who holds what, and which only read (stale reads).
	mgr_opts    o = h_opts(&M);
	mgr_client *reader;
	o.stale_reads = true;
	assert_int_equal(mgr_connect(&reader, M.url, &o), 0);
	assert_int_equal(browse("sessions", true, NULL, dom, sizeof(dom)), 0);
	assert_has(dom, "lock 'L'");
	assert_has(dom, "<td>ready, stale reads</td>");
	mgr_disconnect(reader);
	// Without the token: no data, and it says so.
	assert_int_equal(
	    browse("overview", false, NULL, dom, sizeof(dom)), 0);
	assert_has(dom, "no access");
	assert_has(dom, "data-ready=\"error\"");
	if (getenv("MGR_DASHBOARD_SHOTS") != NULL) {
		static const char *const views[]
		    = { "overview", "objects", "waits", "sessions" };
		for (size_t i = 0; i < 4; i++) {
			char file[64];
			snprintf(
			    file, sizeof(file), "dashboard-%s.png", views[i]);
			assert_int_equal(
			    browse(views[i], true, file, dom, sizeof(dom)),
			    0);
		}
	}
}

int
main(void)
{
	unsetenv("MGR_AUTHKEY");
	unsetenv("MGR_URL");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_needs_token),
		cmocka_unit_test(test_api_errors),
		cmocka_unit_test(test_api_actions),
		cmocka_unit_test(test_api_objects),
		cmocka_unit_test(test_api_waits_and_cycle),
		cmocka_unit_test(test_api_in_libmgr),
		cmocka_unit_test(test_managerctl_waits),
		cmocka_unit_test(test_https),
		cmocka_unit_test(test_browser_views),
	};
	return cmocka_run_group_tests_name(
	           "dashboard", tests, group_setup, group_teardown)
	        == 0
	    ? 0
	    : 1;
}
