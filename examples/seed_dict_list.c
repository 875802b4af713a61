/* Seed example 1: a dict and a list shared with a child process.
 *
 * The parent starts an embedded manager, makes a dict and a list, and
 * starts a worker process (exec'ed, never forked) that gets its
 * own proxies to both. The worker fills the dict and reverses the list;
 * the parent prints both:
 *
 *   {1: '1', '2': 2, 0.25: None}
 *   [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
 */
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                          \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			fprintf(stderr, "%s: %s (%s)\n", #call,              \
			    mgr_strerror(rv_), mgr_errdetail());             \
			exit(1);                                             \
		}                                                            \
	} while (0)

/* d[1] = '1'; d['2'] = 2; d[0.25] = None; l.reverse() */
static int
f(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) c, (void) n, (void) argc, (void) argv;
	mgr_obj *d = objs[0], *l = objs[1];
	CHECK(mgr_dict_set(d, mgr_int(1), mgr_str("1")));
	CHECK(mgr_dict_set(d, mgr_str("2"), mgr_int(2)));
	CHECK(mgr_dict_set(d, mgr_float(0.25), mgr_none()));
	CHECK(mgr_list_reverse(l));
	return 0;
}

int
main(int argc, char **argv)
{
	mgr_process_register("f", f);
	mgr_process_serve(argc, argv); // in the worker: runs f and exits

	mgr_server  *srv;
	mgr_client  *c;
	mgr_obj     *d, *l;
	mgr_process *p;
	int          status;
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));
	CHECK(mgr_dict_new(c, &d));
	CHECK(mgr_list_new(c, &l));
	for (int i = 0; i < 10; i++) {
		CHECK(mgr_list_append(l, mgr_int(i)));
	}

	mgr_obj *args[] = { d, l };
	CHECK(mgr_process_start(c, "f", args, 2, NULL, &p));
	CHECK(mgr_process_join(p, MGR_FOREVER, &status));
	mgr_process_free(p);
	if (status != 0) {
		fprintf(stderr, "the worker failed (%d)\n", status);
		return 1;
	}

	mgr_value dv, lv;
	char      buf[256];
	CHECK(mgr_dict_copy(d, &dv));
	CHECK(mgr_list_copy(l, &lv));
	CHECK(mgr_value_repr(&dv, buf, sizeof(buf)));
	printf("%s\n", buf);
	CHECK(mgr_value_repr(&lv, buf, sizeof(buf)));
	printf("%s\n", buf);
	mgr_value_free(&dv);
	mgr_value_free(&lv);

	mgr_obj_release(d);
	mgr_obj_release(l);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return 0;
}
