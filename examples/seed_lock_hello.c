/* Seed example 3: ten processes printing under one shared lock, as
 * Python's
 *
 *   def f(l, i):
 *       l.acquire()
 *       try:
 *           print('hello world', i)
 *       finally:
 *           l.release()
 *
 *   lock = manager.Lock()
 *   for num in range(10):
 *       Process(target=f, args=(lock, num)).start()
 *
 * Each process (exec'ed, never forked) gets its own proxy of the
 * lock and its number, and prints one line; the order varies:
 *
 *   hello world 0
 *   ...
 *   hello world 9
 */
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>

#define NPROCS 10

#define CHECK(call)                                                          \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			fprintf(stderr, "%s: %s (%s)\n", #call,              \
			    mgr_strerror(rv_), mgr_errdetail());             \
			exit(1);                                             \
		}                                                            \
	} while (0)

/* f(l, i), in a child: objs[0] is the lock, argv[1] the number. */
static int
f(mgr_client *c, mgr_obj *const *objs, size_t nobjs, int argc, char **argv)
{
	(void) c;
	if (nobjs != 1 || argc != 2) {
		return 3;
	}
	CHECK(mgr_acquire(objs[0], MGR_FOREVER));
	printf("hello world %s\n", argv[1]);
	// Out before the lock goes: the line is whole on the shared stdout.
	fflush(stdout);
	CHECK(mgr_release(objs[0]));
	return 0;
}

int
main(int argc, char **argv)
{
	CHECK(mgr_process_register("f", f));
	mgr_process_serve(argc, argv); // in a child: runs f and exits

	mgr_server  *srv;
	mgr_client  *c;
	mgr_obj     *lock;
	mgr_process *p[NPROCS];
	char         num[NPROCS][8];
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));
	CHECK(mgr_lock_new(c, &lock));
	for (int i = 0; i < NPROCS; i++) {
		snprintf(num[i], sizeof(num[i]), "%d", i);
		char *const      extra[] = { num[i], NULL };
		mgr_process_opts opts    = { .argv = extra };
		CHECK(mgr_process_start(c, "f", &lock, 1, &opts, &p[i]));
	}
	int failed = 0;
	for (int i = 0; i < NPROCS; i++) {
		int status = -1;
		CHECK(mgr_process_join(p[i], MGR_FOREVER, &status));
		if (status != 0) {
			fprintf(
			    stderr, "process %d ended with %d\n", i, status);
			failed = 1;
		}
		mgr_process_free(p[i]);
	}
	mgr_obj_release(lock);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return failed;
}
