/* Seed example 2: a list shared with a child process that appends 'c'.
 * Prints ['a', 'b', 'c']. */
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

static int
append_c(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) c, (void) n, (void) argc, (void) argv;
	CHECK(mgr_list_append(objs[0], mgr_str("c")));
	return 0;
}

int
main(int argc, char **argv)
{
	mgr_process_register("append_c", append_c);
	mgr_process_serve(argc, argv);

	mgr_server  *srv;
	mgr_client  *c;
	mgr_obj     *l;
	mgr_process *p;
	int          status;
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));
	mgr_value ab[] = { mgr_str("a"), mgr_str("b") };
	CHECK(mgr_list_new(c, &l));
	CHECK(mgr_list_extend(l, mgr_list_of(ab, 2)));
	CHECK(mgr_process_start(c, "append_c", &l, 1, NULL, &p));
	CHECK(mgr_process_join(p, MGR_FOREVER, &status));
	mgr_process_free(p);
	if (status != 0) {
		fprintf(stderr, "the child failed (%d)\n", status);
		return 1;
	}
	mgr_value v;
	char      buf[128];
	CHECK(mgr_list_copy(l, &v));
	CHECK(mgr_value_repr(&v, buf, sizeof(buf)));
	printf("%s\n", buf);
	mgr_value_free(&v);
	mgr_obj_release(l);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return 0;
}
