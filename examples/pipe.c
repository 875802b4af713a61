/* Python's Pipe example, ported:
 *
 *   def f(conn):
 *       conn.send([42, None, 'hello'])
 *       conn.close()
 *
 *   parent_conn, child_conn = Pipe()
 *   p = Process(target=f, args=(child_conn,))
 *   p.start()
 *   print(parent_conn.recv())   # prints "[42, None, 'hello']"
 *   p.join()
 *
 * and then, as the child closed its end, the next recv is Python's
 * EOFError (MGR_ECLOSED). */
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
f(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) c, (void) n, (void) argc, (void) argv;
	mgr_value items[3] = { mgr_int(42), mgr_none(), mgr_str("hello") };
	CHECK(mgr_conn_send(objs[0], mgr_list_of(items, 3)));
	CHECK(mgr_conn_close(objs[0]));
	return 0;
}

int
main(int argc, char **argv)
{
	mgr_process_register("f", f);
	mgr_process_serve(argc, argv); // in the child: runs f, exits

	mgr_server  *srv;
	mgr_client  *c;
	mgr_obj     *parent_conn, *child_conn;
	mgr_process *p;
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));
	CHECK(mgr_pipe_new(c, true, &parent_conn, &child_conn));
	CHECK(mgr_process_start(c, "f", &child_conn, 1, NULL, &p));

	mgr_value v;
	char      buf[64];
	CHECK(mgr_conn_recv(parent_conn, &v, MGR_FOREVER));
	CHECK(mgr_value_repr(&v, buf, sizeof(buf)));
	printf("%s\n", buf);
	mgr_value_free(&v);
	CHECK(mgr_process_join(p, MGR_FOREVER, NULL));
	CHECK(mgr_process_free(p));
	if (mgr_conn_recv(parent_conn, &v, MGR_FOREVER) == MGR_ECLOSED) {
		printf("EOFError: the child closed its end\n");
	}

	mgr_obj_release(parent_conn);
	mgr_obj_release(child_conn);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return 0;
}
