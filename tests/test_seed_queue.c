/* Seed examples 4 (producer/consumer with task_done/join) and 5 (four
 * processes putting results in a queue) run as programs: their exact
 * output, and a clean exit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"

static void
run_example(const char *name, const char *expect)
{
	char path[512], out[4096];
	snprintf(path, sizeof(path), "%s/%s", MGR_EXAMPLES_DIR, name);
	char *const argv[] = { path, NULL };
	int code = h_run(path, argv, NULL, 0, 60000, out, sizeof(out));
	if (code != 0 || strcmp(out, expect) != 0) {
		fail_msg("%s exited with %d, output:\n%s\nexpected:\n%s",
		    name, code, out, expect);
	}
}

static void
test_producer_consumer(void **state)
{
	(void) state;
	run_example("seed_producer_consumer",
	    "producer: put 10 items, all processed\n"
	    "producer: 2 consumers stopped\n"
	    "0 * 0 = 0\n"
	    "1 * 1 = 1\n"
	    "2 * 2 = 4\n"
	    "3 * 3 = 9\n"
	    "4 * 4 = 16\n"
	    "5 * 5 = 25\n"
	    "6 * 6 = 36\n"
	    "7 * 7 = 49\n"
	    "8 * 8 = 64\n"
	    "9 * 9 = 81\n");
}

static void
test_queue_results(void **state)
{
	(void) state;
	run_example("seed_queue_results",
	    "[0, 0, 'worker 0']\n"
	    "[1, 1, 'worker 1']\n"
	    "[2, 4, 'worker 2']\n"
	    "[3, 9, 'worker 3']\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_producer_consumer),
		cmocka_unit_test(test_queue_results),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
