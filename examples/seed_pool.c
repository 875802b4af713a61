/* Seed example 7: a pool of worker processes (Python's "Using a pool of
 * workers").
 *
 *   with Pool(processes=4) as pool:
 *       print(pool.map(f, range(10)))      # [0, 1, 4, ..., 81]
 *       res = pool.apply_async(f, (20,))
 *       print(res.get(timeout=1))          # 400
 *
 * Here with an embedded manager, workers exec'ed from this program:
 *
 *   $ seed_pool
 *   [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]
 *   400
 *
 * Across hosts, the pool's tasks can be taken by workers anywhere that
 * reach the manager (MGR_AUTHKEY holds the key):
 *
 *   host A$ managerd --listen tcp://0.0.0.0:50000 --authkey-file key &
 *   host A$ seed_pool owner tcp://A:50000      # prints its pool's token,
 *                                              # maps when a line comes
 *   host B$ seed_pool work tcp://A:50000 TOKEN # serves until the pool
 *                                              # is joined
 * The owner's one local worker and the worker on B share the tasks; the
 * owner prints the results and how many distinct workers computed them. */
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHECK(call)                                                          \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			fprintf(stderr, "%s: %s (%s)\n", #call,              \
			    mgr_strerror(rv_), mgr_errdetail());             \
			exit(1);                                             \
		}                                                            \
	} while (0)

/* def f(x): return x*x */
static int
f(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c;
	*result = mgr_int(arg->i * arg->i);
	return 0;
}

/* The pid of the worker that ran it, 50 ms later (so that both get some). */
static int
whoami(mgr_client *c, const mgr_value *arg, mgr_value *result)
{
	(void) c, (void) arg;
	struct timespec ts = { 0, 50 * 1000000 };
	nanosleep(&ts, NULL);
	*result = mgr_int((int64_t) getpid());
	return 0;
}

static int
connect_to(const char *url, mgr_client **c)
{
	return mgr_connect(c, url, NULL); // the key from MGR_AUTHKEY
}

/* owner URL: a pool of one local worker; its token, then, after a line on
 * stdin, a map of whoami over 20 items. */
static int
owner(const char *url)
{
	mgr_client *c;
	mgr_pool   *pool;
	char        token[600], line[16];
	CHECK(connect_to(url, &c));
	CHECK(mgr_pool_start(c, 1, NULL, &pool));
	CHECK(mgr_pool_token(pool, token, sizeof(token)));
	printf("token %s\n", token);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL) {
		return 1;
	}
	mgr_value items[20], out;
	for (int i = 0; i < 20; i++) {
		items[i] = mgr_int(i);
	}
	CHECK(mgr_pool_map(
	    pool, "whoami", mgr_list_of(items, 20), 1, 60000, &out));
	size_t distinct = 0;
	for (size_t i = 0; i < out.len; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++) {
			seen |= out.items[j].i == out.items[i].i;
		}
		distinct += !seen;
	}
	printf("%zu results from %zu workers\n", out.len, distinct);
	mgr_value_free(&out);
	CHECK(mgr_pool_close(pool));
	CHECK(mgr_pool_join(pool, 60000));
	CHECK(mgr_pool_free(pool));
	mgr_disconnect(c);
	return 0;
}

int
main(int argc, char **argv)
{
	mgr_task_register("f", f);
	mgr_task_register("whoami", whoami);
	mgr_process_serve(argc, argv); // in a worker: serves the pool, exits

	if (argc == 3 && strcmp(argv[1], "owner") == 0) {
		return owner(argv[2]);
	}
	if (argc == 4 && strcmp(argv[1], "work") == 0) {
		mgr_client *c;
		CHECK(connect_to(argv[2], &c));
		printf("serving the pool\n");
		fflush(stdout);
		CHECK(mgr_pool_work(c, argv[3]));
		mgr_disconnect(c);
		return 0;
	}

	mgr_server *srv;
	mgr_client *c;
	mgr_pool   *pool;
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));
	CHECK(mgr_pool_start(c, 4, NULL, &pool));

	mgr_value items[10], out;
	char      buf[256];
	for (int i = 0; i < 10; i++) {
		items[i] = mgr_int(i);
	}
	CHECK(mgr_pool_map(
	    pool, "f", mgr_list_of(items, 10), 1, MGR_FOREVER, &out));
	CHECK(mgr_value_repr(&out, buf, sizeof(buf)));
	printf("%s\n", buf);
	mgr_value_free(&out);

	mgr_future *res;
	CHECK(mgr_pool_submit(pool, "f", mgr_int(20), &res));
	CHECK(mgr_future_get(res, 1000, &out));
	printf("%lld\n", (long long) out.i);
	mgr_value_free(&out);
	mgr_future_free(res);

	CHECK(mgr_pool_close(pool));
	CHECK(mgr_pool_join(pool, MGR_FOREVER));
	CHECK(mgr_pool_free(pool));
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return 0;
}
