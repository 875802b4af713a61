/* A client of a cluster's member for test_cluster's partition: connects
 * through MGR_URL and MGR_AUTHKEY (one member's URL: it stays there),
 * takes the dict named "counts", prints "ready", then increments its key
 * argv[1] until a call fails, printing "ack VALUE MS" for each one
 * acknowledged (MS: CLOCK_MONOTONIC, which the test shares) and at last
 * "err CODE MS". Exit codes: 0, 1 usage, 2 no start. */
#include <mgr.h>
#include <stdio.h>
#include <time.h>

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
main(int argc, char **argv)
{
	mgr_client *c;
	mgr_obj    *d;
	if (argc != 2) {
		fprintf(stderr, "usage: child_cluster_writer KEY\n");
		return 1;
	}
	if (mgr_connect_env(&c) != 0 || mgr_name_get(c, "counts", &d) != 0) {
		fprintf(
		    stderr, "child_cluster_writer: %s\n", mgr_errdetail());
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	long long until = now_ms() + 120000;
	int       rv    = 0;
	while (rv == 0 && now_ms() < until) {
		mgr_value nv;
		rv = mgr_dict_incr(d, mgr_str(argv[1]), mgr_int(1), &nv);
		if (rv == 0) {
			printf("ack %lld %lld\n", (long long) nv.i, now_ms());
			fflush(stdout);
			mgr_value_free(&nv);
		}
	}
	printf("err %d %lld\n", rv, now_ms());
	fflush(stdout);
	mgr_obj_release(d);
	mgr_disconnect(c);
	return 0;
}
