/* A client process for the fault tests: connects through MGR_URL and
 * MGR_AUTHKEY, creates an unnamed dict and list with some content, takes
 * the object named argv[1] and writes into it, then prints
 *
 *   ready <dict token> <list token>
 *
 * and blocks until its stdin reaches end of file (then it exits cleanly) or
 * it is killed. Exit codes: 0 clean, 1 usage, 2 a call failed.
 */
#include "check.h"
#include <mgr.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	mgr_client *c;
	mgr_obj    *d, *l, *named;
	char        dtok[64], ltok[64];

	if (argc != 2) {
		fprintf(stderr, "usage: child_holder NAME\n");
		return 1;
	}
	CHECK(mgr_connect_env(&c));
	CHECK(mgr_dict_new(c, &d));
	CHECK(mgr_list_new(c, &l));
	CHECK(mgr_dict_set(d, mgr_str("owner"), mgr_str("child")));
	for (int i = 0; i < 10; i++) {
		CHECK(mgr_list_append(l, mgr_int(i)));
	}
	// A shared object holding the other: freeing must follow references.
	CHECK(mgr_dict_set(d, mgr_str("list"), mgr_ref(l)));
	CHECK(mgr_name_get(c, argv[1], &named));
	CHECK(mgr_dict_set(
	    named, mgr_str("child"), mgr_int((int64_t) getpid())));
	CHECK(mgr_obj_token(d, dtok, sizeof(dtok)));
	CHECK(mgr_obj_token(l, ltok, sizeof(ltok)));
	printf("ready %s %s\n", dtok, ltok);
	fflush(stdout);

	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0) { }
	mgr_obj_release(named);
	mgr_obj_release(l);
	mgr_obj_release(d);
	mgr_disconnect(c);
	return 0;
}
