/* concurrent.futures.as_completed, ported:
 *
 *   with ProcessPoolExecutor(max_workers=2) as ex:
 *       futures = {ex.submit(square, n): n for n in (3, 1, 2)}
 *       for fut in as_completed(futures):
 *           print(futures[fut], '->', fut.result())
 *
 * Futures come out in the order they end, not the order they were
 * submitted. To make that order certain here, the task of 3 waits for a
 * go-ahead (an event) that this program gives once the other two are
 * in: it prints 1, 2, then 3. */
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

/* n*n; for 3, only after the event named "go" is set. */
static int
square(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	if (arg->i == 3) {
		mgr_obj *go;
		int      rv = mgr_name_get(c, "go", &go);
		if (rv == 0) {
			rv = mgr_event_wait(go, MGR_FOREVER);
			mgr_obj_release(go);
		}
		if (rv != 0) {
			return rv;
		}
	}
	*result = mgr_int(arg->i * arg->i);
	return 0;
}

int
main(int argc, char **argv)
{
	mgr_task_register("square", square);
	mgr_process_serve(argc, argv); // in a worker: serves, exits

	mgr_server *srv;
	mgr_client *c;
	mgr_pool   *pool;
	mgr_obj    *go;
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));
	CHECK(mgr_event_new(c, &go));
	CHECK(mgr_name_set(c, "go", go));
	CHECK(mgr_pool_start(c, 2, NULL, &pool));

	const int   ns[3] = { 3, 1, 2 };
	mgr_future *fs[3];
	bool        taken[3] = { false, false, false };
	for (int i = 0; i < 3; i++) {
		CHECK(
		    mgr_pool_submit(pool, "square", mgr_int(ns[i]), &fs[i]));
	}
	size_t index;
	for (int k = 0;
	     mgr_future_wait_any(fs, 3, taken, MGR_FOREVER, &index) == 0;
	     k++) {
		mgr_value v;
		CHECK(mgr_future_get(fs[index], 0, &v));
		printf("%d -> %lld\n", ns[index], (long long) v.i);
		if (k == 1) {
			CHECK(mgr_event_set(go)); // 1 and 2 are in
		}
	}
	for (int i = 0; i < 3; i++) {
		mgr_future_free(fs[i]);
	}
	CHECK(mgr_pool_close(pool));
	CHECK(mgr_pool_join(pool, MGR_FOREVER));
	CHECK(mgr_pool_free(pool));
	CHECK(mgr_name_del(c, "go"));
	mgr_obj_release(go);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return 0;
}
