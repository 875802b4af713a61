/* A client process for the queue, event and barrier tests. It connects
 * through MGR_URL and MGR_AUTHKEY, attaches the object a token names and
 * blocks in it:
 *
 *   child_queue get TOKEN           prints "parking", then get (forever),
 *                                   then "got <repr>"
 *   child_queue put TOKEN STR       prints "parking", then put STR
 *                                   (forever), then "put"
 *   child_queue barrier TOKEN       prints "parking", then barrier wait
 *                                   (forever), then "index <i>" or the
 *                                   error's name
 *   child_queue get-many TOKEN N MS N threads sharing the one client each
 *                                   get an int (timeout MS); then prints
 *                                   every int received, one a line, and
 *                                   "done <failures>"
 *
 * The first three are meant to be killed while blocked. Exit codes: 0
 * success, 1 usage, 2 a call failed.
 */
#include "check.h"
#include <mgr.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
parking(void)
{
	printf("parking\n");
	fflush(stdout);
}

typedef struct getter {
	pthread_t th;
	mgr_obj  *q;
	int64_t   timeout;
	int       rv;
	mgr_value v;
} getter;

static void *
getter_main(void *arg)
{
	getter *g = arg;
	g->rv     = mgr_queue_get(g->q, &g->v, g->timeout);
	return NULL;
}

static int
get_many(mgr_obj *q, int n, int64_t timeout)
{
	getter        *g = calloc((size_t) n, sizeof(*g));
	pthread_attr_t a;
	int            started = 0, failures = 0;
	if (g == NULL) {
		return 2;
	}
	// Many threads: small stacks (the calls need little).
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 512 * 1024);
	for (; started < n; started++) {
		g[started].q       = q;
		g[started].timeout = timeout;
		if (pthread_create(
		        &g[started].th, &a, getter_main, &g[started])
		    != 0) {
			fprintf(stderr,
			    "child_queue: thread %d: cannot start\n",
			    started);
			failures++;
			break;
		}
	}
	pthread_attr_destroy(&a);
	for (int i = 0; i < started; i++) {
		pthread_join(g[i].th, NULL);
		if (g[i].rv != 0 || g[i].v.kind != MGR_INT) {
			fprintf(stderr, "child_queue: get: %s\n",
			    mgr_strerror(g[i].rv));
			failures++;
		} else {
			printf("%lld\n", (long long) g[i].v.i);
		}
		mgr_value_free(&g[i].v);
	}
	printf("done %d\n", failures);
	fflush(stdout);
	free(g);
	return failures == 0 ? 0 : 2;
}

int
main(int argc, char **argv)
{
	mgr_client *c;
	mgr_obj    *o;
	int         rv = 0;
	char        buf[256];

	if (argc < 3) {
		fprintf(stderr, "usage: child_queue MODE TOKEN [ARGS]\n");
		return 1;
	}
	CHECK(mgr_connect_env(&c));
	CHECK(mgr_attach(c, argv[2], &o));
	if (strcmp(argv[1], "get") == 0) {
		mgr_value v;
		parking();
		CHECK(mgr_queue_get(o, &v, MGR_FOREVER));
		CHECK(mgr_value_repr(&v, buf, sizeof(buf)));
		printf("got %s\n", buf);
		mgr_value_free(&v);
	} else if (strcmp(argv[1], "put") == 0 && argc == 4) {
		parking();
		CHECK(mgr_queue_put(o, mgr_str(argv[3]), MGR_FOREVER));
		printf("put\n");
	} else if (strcmp(argv[1], "barrier") == 0) {
		size_t index;
		parking();
		rv = mgr_barrier_wait(o, MGR_FOREVER, &index);
		if (rv == 0) {
			printf("index %zu\n", index);
		} else {
			printf("%s\n", mgr_strerror(rv));
		}
		rv = 0;
	} else if (strcmp(argv[1], "get-many") == 0 && argc == 5) {
		rv = get_many(o, atoi(argv[3]), atoll(argv[4]));
	} else {
		fprintf(stderr, "child_queue: bad mode '%s'\n", argv[1]);
		rv = 1;
	}
	fflush(stdout);
	mgr_obj_release(o);
	mgr_disconnect(c);
	return rv;
}
