/* A client process for test_modules. It connects through MGR_URL and
 * MGR_AUTHKEY and finds the object named NAME:
 *
 *   child_module call NAME METHOD N    prints "waiting", calls METHOD(N)
 *                                      with no timeout, then "got <int>"
 *   child_module withdraws NAME N      N withdraws of 1 from an account,
 *                                      then "paid <p> refused <r>"
 *
 * Exit codes: 0 success, 1 usage, 2 a call failed. */
#include "check.h"
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
	bool call = argc == 5 && strcmp(argv[1], "call") == 0;
	if (!call && !(argc == 4 && strcmp(argv[1], "withdraws") == 0)) {
		fprintf(stderr,
		    "usage: child_module call NAME METHOD N | "
		    "withdraws NAME N\n");
		return 1;
	}
	mgr_client *c;
	mgr_obj    *o;
	mgr_value   v;
	CHECK(mgr_connect_env(&c));
	CHECK(mgr_name_get(c, argv[2], &o));
	if (call) {
		printf("waiting\n");
		fflush(stdout);
		CHECK(mgr_call(
		    o, argv[3], mgr_int(atoll(argv[4])), MGR_FOREVER, &v));
		printf("got %lld\n", (long long) v.i);
	} else {
		long paid = 0, refused = 0, n = atol(argv[3]);
		for (long i = 0; i < n; i++) {
			int rv = mgr_call(o, "withdraw", mgr_int(1), 0, NULL);
			if (rv == MGR_ESTATE) {
				refused++;
			} else {
				CHECK(rv);
				paid++;
			}
		}
		printf("paid %ld refused %ld\n", paid, refused);
	}
	mgr_obj_release(o);
	mgr_disconnect(c);
	return 0;
}
