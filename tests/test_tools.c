/* managerctl against a real managerd: ping, info, show, unname, and its
 * errors (wrong key, unknown name, usage). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static int
ctl(const h_managerd *m, const char *key, const char *cmd, const char *arg,
    char *out, size_t cap)
{
	char exe[512], url[600], keyenv[128];
	snprintf(
	    exe, sizeof(exe), "%s/../tools/managerctl", MGR_EXAMPLES_DIR);
	snprintf(url, sizeof(url), "MGR_URL=%s", m->url);
	snprintf(keyenv, sizeof(keyenv), "MGR_AUTHKEY=%s", key);
	char *argv[] = { "managerctl", (char *) cmd, (char *) arg, NULL };
	const char *env[] = { url, keyenv, NULL };
	return h_run(exe, argv, env, H_ERR_TO_OUT, 10000, out, cap);
}

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
	assert_non_null(strstr(out, "'names': 2"));
	assert_non_null(strstr(out, "'dict': 1"));
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
	assert_int_equal(ctl(&m, "wrong", "ping", NULL, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "MGR_EAUTH"));
	assert_int_equal(
	    ctl(&m, m.key, "frobnicate", NULL, out, sizeof(out)), 2);
	assert_int_equal(ctl(&m, m.key, "show", NULL, out, sizeof(out)), 2);

	mgr_obj_release(d);
	mgr_obj_release(q);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_managerctl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
