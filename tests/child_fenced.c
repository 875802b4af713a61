/* A client process for the session tests: connects to MGR_URL with
 * MGR_AUTHKEY, a lease of argv[1] ms and reconnect of argv[2] ms, takes
 * the lock named argv[3] with its fencing token and prints
 *
 *   held <fence>
 *
 * then answers commands read from stdin, a line each:
 *
 *   release  -> "release <code>"          (mgr_release's)
 *   fence    -> "fence <code> <token>"    (mgr_lock_fence's)
 *   incr     -> "incr <code>"             (d["n"] += 1 on the dict named
 *                                          argv[3] + "-d")
 *
 * and exits 0 at the end of its stdin. Codes are numbers (MGR_E*). Exit
 * 1: usage, 2: the setup failed. */
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr,
		    "usage: child_fenced LEASE_MS RECONNECT_MS NAME\n");
		return 1;
	}
	const char *key  = getenv("MGR_AUTHKEY");
	mgr_opts    opts = { 0 };
	opts.authkey     = key;
	opts.authkey_len = key != NULL ? strlen(key) : 0;
	opts.lease       = atoll(argv[1]);
	opts.reconnect   = atoll(argv[2]);
	mgr_client *c;
	mgr_obj    *lock, *d;
	uint64_t    fence;
	char        dname[128];
	snprintf(dname, sizeof(dname), "%s-d", argv[3]);
	CHECK(mgr_connect(&c, getenv("MGR_URL"), &opts));
	CHECK(mgr_name_get(c, argv[3], &lock));
	CHECK(mgr_name_get(c, dname, &d));
	CHECK(mgr_acquire_fence(lock, MGR_FOREVER, &fence));
	printf("held %llu\n", (unsigned long long) fence);
	fflush(stdout);

	char line[64];
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (strncmp(line, "release", 7) == 0) {
			printf("release %d\n", mgr_release(lock));
		} else if (strncmp(line, "fence", 5) == 0) {
			uint64_t f  = 0;
			int      rv = mgr_lock_fence(lock, &f);
			printf("fence %d %llu\n", rv, (unsigned long long) f);
		} else if (strncmp(line, "incr", 4) == 0) {
			printf("incr %d\n",
			    mgr_dict_incr(d, mgr_str("n"), mgr_int(1), NULL));
		}
		fflush(stdout);
	}
	mgr_obj_release(d);
	mgr_obj_release(lock);
	mgr_disconnect(c);
	return 0;
}
