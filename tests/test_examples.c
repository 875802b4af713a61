/* The examples print exactly what their Python originals print. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Runs examples/<name> with TMPDIR pointing at a fresh directory and no
 * MGR_URL / MGR_AUTHKEY; checks its exit status and exact stdout, and that
 * it left nothing behind (its embedded manager removes its files). */
static void
run_example(const char *name, const char *want)
{
	char path[512], tmp[] = "/tmp/mgrtest-ex-XXXXXX", tmpenv[64];
	char out[8192];
	snprintf(path, sizeof(path), "%s/%s", MGR_EXAMPLES_DIR, name);
	assert_non_null(mkdtemp(tmp));
	snprintf(tmpenv, sizeof(tmpenv), "TMPDIR=%s", tmp);
	const char *env[]  = { tmpenv, "MGR_URL", "MGR_AUTHKEY", NULL };
	char       *argv[] = { path, NULL };

	int code = h_run(path, argv, env, 0, 60000, out, sizeof(out));
	if (code != 0) {
		fail_msg(
		    "%s exited with %d; its stdout:\n%s", name, code, out);
	}
	if (strcmp(out, want) != 0) {
		fail_msg("%s printed:\n%s\nwant:\n%s", name, out, want);
	}

	DIR *d = opendir(tmp);
	assert_non_null(d);
	struct dirent *e;
	int            left = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0
		    && strcmp(e->d_name, "..") != 0) {
			fprintf(
			    stderr, "left behind: %s/%s\n", tmp, e->d_name);
			left++;
		}
	}
	closedir(d);
	assert_int_equal(left, 0);
	assert_int_equal(rmdir(tmp), 0);
}

static void
test_seed_dict_list(void **state)
{
	(void) state;
	run_example("seed_dict_list",
	    "{1: '1', '2': 2, 0.25: None}\n"
	    "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]\n");
}

static void
test_seed_list_append(void **state)
{
	(void) state;
	run_example("seed_list_append", "['a', 'b', 'c']\n");
}

/* Seed example 7: Python's Pool example (map, then apply_async). */
static void
test_seed_pool(void **state)
{
	(void) state;
	run_example(
	    "seed_pool", "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n400\n");
}

/* Python's Pool tour: map, imap, imap_unordered, callbacks, an
 * initializer, a timeout, maxtasksperchild. */
static void
test_pool_tour(void **state)
{
	(void) state;
	run_example("pool_tour",
	    "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n"
	    "imap: 0 1 4 9 16 25 36 49 64 81\n"
	    "imap_unordered, sorted: 0 1 4 9 16 25 36 49 64 81\n"
	    "callback: 400\n"
	    "error_callback: MGR_ETYPE: wrong object or value type (can't "
	    "multiply sequence by non-int)\n"
	    "the initializer said: hello\n"
	    "We lacked patience and got a multiprocessing.TimeoutError\n"
	    "For the moment, the pool remains available for more work\n"
	    "Now the pool is closed and no longer available\n"
	    "maxtasksperchild=2: 6 tasks ran in 3 processes\n");
}

/* Python's Pipe example, and the EOF after the child's close. */
static void
test_pipe(void **state)
{
	(void) state;
	run_example("pipe",
	    "[42, None, 'hello']\n"
	    "EOFError: the child closed its end\n");
}

/* concurrent.futures.as_completed: completion order. */
static void
test_as_completed(void **state)
{
	(void) state;
	run_example("as_completed", "1 -> 1\n2 -> 4\n3 -> 9\n");
}

/* The notes' Account, its draw one guarded atomic batch: four processes
 * drawing at once never take more than the balance. */
static void
test_account_withdraw(void **state)
{
	(void) state;
	run_example("account_withdraw",
	    "draw 100: paid, balance 100\n"
	    "draw 200: refused, balance 100 is short\n"
	    "4 processes drew 1 4000 times from 2500: 2500 paid, 1500 "
	    "refused, balance 0\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_dict_list),
		cmocka_unit_test(test_seed_list_append),
		cmocka_unit_test(test_seed_pool),
		cmocka_unit_test(test_pool_tour),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_as_completed),
		cmocka_unit_test(test_account_withdraw),
	};
	return cmocka_run_group_tests_name("examples", tests, NULL, NULL);
}
