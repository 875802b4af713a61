/* A client process for the lock and condition tests: connects through
 * MGR_URL and MGR_AUTHKEY and attaches the object a token names, then
 *
 *   hold TOKEN N   acquires it N times (N permits of a semaphore), prints
 *                  "held", and blocks until its stdin reaches end of file
 *                  (then disconnects without releasing) or it is killed;
 *   wait TOKEN     prints "ready", then acquires it (blocks), and prints
 *                  "acquired" if it ever gets it;
 *   cwait TOKEN    (a condition) acquires its lock, prints "ready", waits
 *                  on it, and prints "woken" if it ever returns;
 *   notify TOKEN   (a condition) acquires its lock, notifies all waiters,
 *                  prints "held" and blocks as hold does.
 *
 * Exit codes: 0 done, 1 usage, 2 a call failed.
 */
#include "check.h"
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
say(const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	mgr_client *c;
	mgr_obj    *o;

	if (argc < 3 || (strcmp(argv[1], "hold") == 0 && argc != 4)) {
		fprintf(stderr,
		    "usage: child_lock hold|wait|cwait|notify TOKEN [N]\n");
		return 1;
	}
	CHECK(mgr_connect_env(&c));
	CHECK(mgr_attach(c, argv[2], &o));
	if (strcmp(argv[1], "hold") == 0) {
		for (long n = strtol(argv[3], NULL, 10); n > 0; n--) {
			CHECK(mgr_acquire(o, MGR_FOREVER));
		}
		say("held");
		char buf[64];
		while (read(0, buf, sizeof(buf)) > 0) { }
	} else if (strcmp(argv[1], "wait") == 0) {
		say("ready");
		CHECK(mgr_acquire(o, MGR_FOREVER));
		say("acquired");
	} else if (strcmp(argv[1], "cwait") == 0) {
		CHECK(mgr_acquire(o, MGR_FOREVER));
		say("ready");
		CHECK(mgr_condition_wait(o, MGR_FOREVER));
		say("woken");
	} else if (strcmp(argv[1], "notify") == 0) {
		CHECK(mgr_acquire(o, MGR_FOREVER));
		CHECK(mgr_condition_notify_all(o));
		say("held");
		char buf[64];
		while (read(0, buf, sizeof(buf)) > 0) { }
	} else {
		fprintf(stderr, "child_lock: unknown mode %s\n", argv[1]);
		return 1;
	}
	// Whatever it holds, the end of the session gives back.
	mgr_obj_release(o);
	mgr_disconnect(c);
	return 0;
}
