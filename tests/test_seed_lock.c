/* Seed example 3 (examples/seed_lock_hello): ten processes each print
 * "hello world i" under one shared lock. The order varies, so the output
 * is checked as a set: exactly the ten lines, each whole and once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"

#define NPROCS 10

static void
test_seed_lock_hello(void **state)
{
	(void) state;
	char  out[4096];
	char *argv[] = { "seed_lock_hello", NULL };
	int   code = h_run(MGR_EXAMPLES_DIR "/seed_lock_hello", argv, NULL, 0,
	      60000, out, sizeof(out));
	if (code != 0) {
		fail_msg(
		    "seed_lock_hello exited with %d; output:\n%s", code, out);
	}
	int   seen[NPROCS] = { 0 };
	int   lines        = 0;
	char *save         = NULL;
	for (char *l = strtok_r(out, "\n", &save); l != NULL;
	     l       = strtok_r(NULL, "\n", &save)) {
		int  i = -1;
		char extra;
		lines++;
		if (sscanf(l, "hello world %d%c", &i, &extra) != 1 || i < 0
		    || i >= NPROCS) {
			fail_msg("unexpected line '%s'", l);
		}
		// Whole: nothing else on the line (no interleaving).
		char want[32];
		snprintf(want, sizeof(want), "hello world %d", i);
		assert_string_equal(l, want);
		seen[i]++;
	}
	assert_int_equal(lines, NPROCS);
	for (int i = 0; i < NPROCS; i++) {
		assert_int_equal(seen[i], 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_lock_hello),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
