/* A client process for the scalar atomicity test (test_scalar_array):
 * connects through MGR_URL and MGR_AUTHKEY, attaches the scalar named by the
 * token argv[1], prints "ready", waits for a line on stdin (so that all the
 * adders start together), adds 1 to the scalar argv[2] times and prints
 * "done". Exit codes: 0 clean, 1 usage, 2 a call failed. */
#include "check.h"
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	mgr_client *c;
	mgr_obj    *s;
	char        line[64];

	if (argc != 3) {
		fprintf(stderr, "usage: child_scalar_add TOKEN COUNT\n");
		return 1;
	}
	long n = strtol(argv[2], NULL, 10);
	CHECK(mgr_connect_env(&c));
	CHECK(mgr_attach(c, argv[1], &s));
	printf("ready\n");
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL) {
		fprintf(stderr, "child_scalar_add: no start line\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		CHECK(mgr_scalar_add(s, mgr_int(1), NULL));
	}
	printf("done\n");
	fflush(stdout);
	mgr_obj_release(s);
	mgr_disconnect(c);
	return 0;
}
