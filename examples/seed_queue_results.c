/* Seed example 5: four processes each put a result in a shared queue; the
 * parent collects them and prints them in a deterministic order (sorted by
 * worker number, since they arrive in any order):
 *
 *   [0, 0, 'worker 0']
 *   [1, 1, 'worker 1']
 *   [2, 4, 'worker 2']
 *   [3, 9, 'worker 3']
 *
 * The workers are processes exec'ed (never forked) with their own
 * proxy of the queue and their number as an argument.
 */
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>

#define NWORKERS 4

#define CHECK(call)                                                          \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			fprintf(stderr, "%s: %s (%s)\n", #call,              \
			    mgr_strerror(rv_), mgr_errdetail());             \
			exit(1);                                             \
		}                                                            \
	} while (0)

/* Worker i (argv[1]) puts [i, i * i, 'worker i'] in the queue objs[0]. */
static int
worker(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) c, (void) n;
	if (argc != 2) {
		return 1;
	}
	int  i = atoi(argv[1]);
	char name[32];
	snprintf(name, sizeof(name), "worker %d", i);
	mgr_value result[3] = { mgr_int(i), mgr_int(i * i), mgr_str(name) };
	CHECK(mgr_queue_put(objs[0], mgr_list_of(result, 3), MGR_FOREVER));
	return 0;
}

static int
by_worker(const void *a, const void *b)
{
	const mgr_value *x = a, *y = b;
	return (x->items[0].i > y->items[0].i)
	    - (x->items[0].i < y->items[0].i);
}

int
main(int argc, char **argv)
{
	mgr_process_register("worker", worker);
	mgr_process_serve(argc, argv); // in a worker: runs it and exits

	mgr_server  *srv;
	mgr_client  *c;
	mgr_obj     *q;
	mgr_process *p[NWORKERS];
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));
	CHECK(mgr_queue_new(c, 0, &q));

	for (int i = 0; i < NWORKERS; i++) {
		char  num[16];
		char *args[] = { num, NULL };
		snprintf(num, sizeof(num), "%d", i);
		mgr_process_opts opts = { .argv = args };
		CHECK(mgr_process_start(c, "worker", &q, 1, &opts, &p[i]));
	}

	// Collect as they come (the timeout bounds the wait should a worker
	// fail), then sort.
	mgr_value results[NWORKERS];
	for (int i = 0; i < NWORKERS; i++) {
		CHECK(mgr_queue_get(q, &results[i], 30000));
		if (results[i].kind != MGR_LIST || results[i].len != 3) {
			fprintf(stderr, "unexpected result\n");
			return 1;
		}
	}
	qsort(results, NWORKERS, sizeof(results[0]), by_worker);
	for (int i = 0; i < NWORKERS; i++) {
		char buf[128];
		CHECK(mgr_value_repr(&results[i], buf, sizeof(buf)));
		printf("%s\n", buf);
		mgr_value_free(&results[i]);
	}
	int failed = 0;
	for (int i = 0; i < NWORKERS; i++) {
		int status;
		CHECK(mgr_process_join(p[i], MGR_FOREVER, &status));
		mgr_process_free(p[i]);
		failed |= status != 0;
	}

	mgr_obj_release(q);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return failed;
}
