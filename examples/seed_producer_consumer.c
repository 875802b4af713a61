/* Seed example 4: a producer and two consumers over a bounded queue, with
 * task_done and join (Python's queue.Queue pattern, across processes).
 *
 * The parent starts an embedded manager, makes a work queue of maxsize 3
 * and a results queue, and starts two consumer processes and a producer
 * process (exec'ed, never forked), each with its own proxies. The
 * producer puts the items 0..9 (blocking while the queue is full), joins
 * the queue (until every item is task_done), then puts one None per
 * consumer to stop them and joins again. A consumer gets items, puts
 * [item, item * item] in the results queue and calls task_done, until it
 * gets None. The parent then prints the results in item order:
 *
 *   producer: put 10 items, all processed
 *   producer: 2 consumers stopped
 *   0 * 0 = 0
 *   1 * 1 = 1
 *   ...
 *   9 * 9 = 81
 */
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>

#define NITEMS     10
#define NCONSUMERS 2

#define CHECK(call)                                                          \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			fprintf(stderr, "%s: %s (%s)\n", #call,              \
			    mgr_strerror(rv_), mgr_errdetail());             \
			exit(1);                                             \
		}                                                            \
	} while (0)

/* objs: the work queue. */
static int
producer(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) c, (void) n, (void) argc, (void) argv;
	mgr_obj *q = objs[0];
	for (int i = 0; i < NITEMS; i++) {
		CHECK(mgr_queue_put(q, mgr_int(i), MGR_FOREVER));
	}
	CHECK(mgr_queue_join(q, MGR_FOREVER));
	printf("producer: put %d items, all processed\n", NITEMS);
	for (int i = 0; i < NCONSUMERS; i++) {
		CHECK(mgr_queue_put(q, mgr_none(), MGR_FOREVER));
	}
	CHECK(mgr_queue_join(q, MGR_FOREVER));
	printf("producer: %d consumers stopped\n", NCONSUMERS);
	fflush(stdout);
	return 0;
}

/* objs: the work queue, the results queue. */
static int
consumer(mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv)
{
	(void) c, (void) n, (void) argc, (void) argv;
	mgr_obj *q = objs[0], *r = objs[1];
	for (;;) {
		mgr_value item;
		CHECK(mgr_queue_get(q, &item, MGR_FOREVER));
		if (item.kind != MGR_INT) { // None: no more work
			CHECK(mgr_queue_task_done(q));
			return 0;
		}
		mgr_value pair[2] = { item, mgr_int(item.i * item.i) };
		CHECK(mgr_queue_put(r, mgr_list_of(pair, 2), MGR_FOREVER));
		CHECK(mgr_queue_task_done(q));
	}
}

static void
await_process(mgr_process *p, const char *what)
{
	int status;
	CHECK(mgr_process_join(p, MGR_FOREVER, &status));
	mgr_process_free(p);
	if (status != 0) {
		fprintf(stderr, "the %s failed (%d)\n", what, status);
		exit(1);
	}
}

static int
by_item(const void *a, const void *b)
{
	const mgr_value *x = a, *y = b;
	return (x->items[0].i > y->items[0].i)
	    - (x->items[0].i < y->items[0].i);
}

int
main(int argc, char **argv)
{
	mgr_process_register("producer", producer);
	mgr_process_register("consumer", consumer);
	mgr_process_serve(argc, argv); // in a worker: runs it and exits

	mgr_server  *srv;
	mgr_client  *c;
	mgr_obj     *q, *r;
	mgr_process *prod, *cons[NCONSUMERS];
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));
	CHECK(mgr_queue_new(c, 3, &q));
	CHECK(mgr_queue_new(c, 0, &r));

	mgr_obj *qr[] = { q, r };
	for (int i = 0; i < NCONSUMERS; i++) {
		CHECK(
		    mgr_process_start(c, "consumer", qr, 2, NULL, &cons[i]));
	}
	CHECK(mgr_process_start(c, "producer", qr, 1, NULL, &prod));
	// The producer prints, and has exited, before the parent prints.
	await_process(prod, "producer");
	for (int i = 0; i < NCONSUMERS; i++) {
		await_process(cons[i], "consumer");
	}

	// Every result is in: the producer's join saw every task_done, and a
	// consumer puts its result before calling task_done.
	mgr_value results[NITEMS];
	for (int i = 0; i < NITEMS; i++) {
		CHECK(mgr_queue_get(r, &results[i], 0));
	}
	qsort(results, NITEMS, sizeof(results[0]), by_item);
	for (int i = 0; i < NITEMS; i++) {
		printf("%lld * %lld = %lld\n",
		    (long long) results[i].items[0].i,
		    (long long) results[i].items[0].i,
		    (long long) results[i].items[1].i);
		mgr_value_free(&results[i]);
	}

	mgr_obj_release(q);
	mgr_obj_release(r);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return 0;
}
