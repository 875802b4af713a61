/* WebSocket clients that are not nng against a real managerd's ws://
 * listener: a python3 standard-library client (tests/ws/ws_client.py) and
 * node's built-in WebSocket (tests/ws/ws_client.mjs) go through the
 * upgrade, the authkey handshake, a ping, a failing request and a close;
 * the manager then has no session left. The python client then sends 100
 * requests each with its close frame right behind it in one write: nng's
 * WebSocket loses a close that arrives while no receive is queued, and
 * each of those connections must end all the same. Where python3 or a node
 * with WebSocket is missing, that test is skipped (reported), not passed. */
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
static mgr_client *probe;

static int
group_setup(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the group setup");
	const char *const extra[] = { "--ws-origin",
		"https://app.example,http://localhost:8000", NULL };
	if (h_managerd_start(&M, H_WS, extra) != 0) {
		return -1;
	}
	return h_connect(&M, &probe) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void) state;
	mgr_disconnect(probe);
	int code = h_managerd_stop(&M);
	h_watchdog_disarm();
	return code == 0 ? 0 : -1;
}

/* Runs a client program; its output must show every step. */
static void
run_client(const char *path, char *const argv[], const char *const *more)
{
	char env_key[100];
	snprintf(env_key, sizeof(env_key), "MGR_AUTHKEY=%s", M.key);
	const char *const env[] = { env_key, NULL };
	char              out[4096];
	int               rv
	    = h_run(path, argv, env, H_ERR_TO_OUT, 20000, out, sizeof(out));
	fprintf(stderr, "%s", out);
	assert_int_equal(rv, 0);
	const char *const steps[] = { "upgraded\n",
		"authenticated as session ", "ping ok\n",
		"name_get 'nosuch' -> status 8: no object named 'nosuch'\n",
		"closed\n" };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (strstr(out, steps[i]) == NULL) {
			fail_msg("no '%s' in the client's output", steps[i]);
		}
	}
	for (size_t i = 0; more[i] != NULL; i++) {
		if (strstr(out, more[i]) == NULL) {
			fail_msg("no '%s' in the client's output", more[i]);
		}
	}
	// Its session ended with the close: only the probe is left.
	int64_t last = -1;
	if (h_info_await(probe, "sessions", NULL, 1, 5000, &last) != 0) {
		fail_msg("%lld sessions after the client closed",
		    (long long) last);
	}
}

static void
test_python_client(void **state)
{
	(void) state;
	if (access("/usr/bin/python3", X_OK) != 0) {
		fprintf(stderr, "no /usr/bin/python3: skipped\n");
		skip();
	}
	char *const       argv[] = { "python3",
		      MGR_SOURCE_DIR "/tests/ws/ws_client.py", M.url, "100", NULL };
	const char *const more[] = { "close answered\n",
		"closed right behind a request: 100 of 100\n", NULL };
	run_client("/usr/bin/python3", argv, more);
	assert_true(h_managerd_log_has(&M, "as python ws client", 1000));
}

static void
test_node_client(void **state)
{
	(void) state;
	char *const probe_argv[] = { "node", "--experimental-websocket", "-e",
		"process.exit(typeof WebSocket === 'function' ? 0 : 3)",
		NULL };
	char        out[512];
	if (access("/usr/bin/node", X_OK) != 0
	    || h_run("/usr/bin/node", probe_argv, NULL, H_ERR_TO_OUT, 20000,
	           out, sizeof(out))
	        != 0) {
		fprintf(
		    stderr, "no node with a built-in WebSocket: skipped\n");
		skip();
	}
	char *const argv[] = { "node", "--experimental-websocket",
		MGR_SOURCE_DIR "/tests/ws/ws_client.mjs", M.url, NULL };
	// The close is answered: the browser's API calls it clean (1006,
	// not clean, when nng served ws://: it never answered one).
	const char *const more[] = { "close code 1000 clean true\n", NULL };
	run_client("/usr/bin/node", argv, more);
	assert_true(h_managerd_log_has(&M, "as node ws client", 1000));
}

/* A web page's WebSocket (its browser sends an Origin): served when
 * --ws-origin lists that origin, refused (403) before the upgrade
 * otherwise, with a log line; a program (no Origin) is served either way. */
static void
test_origin(void **state)
{
	(void) state;
	if (access("/usr/bin/python3", X_OK) != 0) {
		fprintf(stderr, "no /usr/bin/python3: skipped\n");
		skip();
	}
	char env_key[100];
	snprintf(env_key, sizeof(env_key), "MGR_AUTHKEY=%s", M.key);
	char *const       argv[] = { "python3",
		      MGR_SOURCE_DIR "/tests/ws/ws_client.py", M.url, NULL };
	char              out[4096];
	const char *const allowed[]
	    = { env_key, "MGR_WS_ORIGIN=https://APP.example", NULL };
	assert_int_equal(h_run("/usr/bin/python3", argv, allowed,
	                     H_ERR_TO_OUT, 20000, out, sizeof(out)),
	    0);
	assert_non_null(strstr(out, "closed\n"));
	const char *const other[]
	    = { env_key, "MGR_WS_ORIGIN=https://evil.example", NULL };
	assert_int_not_equal(h_run("/usr/bin/python3", argv, other,
	                         H_ERR_TO_OUT, 20000, out, sizeof(out)),
	    0);
	// Refused before the upgrade: the page never reaches the handshake.
	assert_non_null(strstr(out, "upgrade refused: HTTP/1.1 403"));
	assert_null(strstr(out, "authenticated"));
	assert_true(h_managerd_log_has(&M,
	    "a WebSocket upgrade from Origin 'https://evil.example', not one "
	    "--ws-origin allows",
	    5000));
	// A prefix of an allowed origin is not allowed.
	const char *const prefix[]
	    = { env_key, "MGR_WS_ORIGIN=http://localhost:80", NULL };
	assert_int_not_equal(h_run("/usr/bin/python3", argv, prefix,
	                         H_ERR_TO_OUT, 20000, out, sizeof(out)),
	    0);
	int64_t last = -1;
	assert_int_equal(
	    h_info_await(probe, "sessions", NULL, 1, 5000, &last), 0);
}

int
main(void)
{
	unsetenv("MGR_AUTHKEY");
	unsetenv("MGR_URL");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_client),
		cmocka_unit_test(test_node_client),
		cmocka_unit_test(test_origin),
	};
	return cmocka_run_group_tests_name(
	           "websocket clients", tests, group_setup, group_teardown)
	        == 0
	    ? 0
	    : 1;
}
