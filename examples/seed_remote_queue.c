/* Seed example 6: a remote manager over TCP.
 *
 * One host runs the manager and serves a named queue; processes on other
 * hosts connect by URL with the authkey, one puts, another gets:
 *
 *   host A$ echo -n abracadabra > key
 *   host A$ managerd --listen tcp://0.0.0.0:50000 --authkey-file key &
 *   host A$ seed_remote_queue serve tcp://127.0.0.1:50000  # names "queue"
 *   host B$ MGR_AUTHKEY=abracadabra seed_remote_queue put tcp://A:50000 hello
 *   host C$ MGR_AUTHKEY=abracadabra seed_remote_queue get tcp://A:50000
 *   hello
 *
 * "serve" plays the part of Python's register('get_queue', ...): the name
 * pins the queue in the manager after this program has gone. The key
 * comes from MGR_AUTHKEY (its bytes). */
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                          \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			fprintf(stderr, "%s: %s (%s)\n", #call,              \
			    mgr_strerror(rv_), mgr_errdetail());             \
			exit(1);                                             \
		}                                                            \
	} while (0)

int
main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "put") == 0 && argc < 4)) {
		fprintf(
		    stderr, "usage: %s serve|put|get URL [item]\n", argv[0]);
		return 2;
	}
	const char *what = argv[1];
	mgr_client *c;
	mgr_obj    *q;
	CHECK(mgr_connect(&c, argv[2], NULL)); // key from MGR_AUTHKEY
	if (strcmp(what, "serve") == 0) {
		// Get or create: if another server process named a queue
		// first, this one serves that queue, not a second one.
		mgr_obj *mine;
		CHECK(mgr_queue_new(c, 0, &mine));
		CHECK(mgr_name_setdefault(c, "queue", mine, &q));
		CHECK(mgr_obj_release(mine));
	} else {
		CHECK(mgr_name_get(c, "queue", &q));
		if (strcmp(what, "put") == 0) {
			CHECK(
			    mgr_queue_put(q, mgr_str(argv[3]), MGR_FOREVER));
		} else {
			mgr_value v;
			char      buf[256];
			CHECK(mgr_queue_get(q, &v, MGR_FOREVER));
			if (v.kind == MGR_STR) {
				printf("%s\n", v.s);
			} else {
				CHECK(mgr_value_repr(&v, buf, sizeof(buf)));
				printf("%s\n", buf);
			}
			mgr_value_free(&v);
		}
	}
	mgr_obj_release(q);
	mgr_disconnect(c);
	return 0;
}
