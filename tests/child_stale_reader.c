/* A stale-read client (MGR_STALE_READS=1, with MGR_URL and MGR_AUTHKEY)
 * for test_cluster_stale_reads: takes the dict named "d", prints
 * "ready", then reads len(d) every 50 ms for up to 120 s (until the test
 * kills or stops it). Exit codes: 0, 2 no start, 3 a read failed. */
#include <mgr.h>
#include <stdio.h>
#include <time.h>

int
main(void)
{
	mgr_client *c;
	mgr_obj    *d;
	if (mgr_connect_env(&c) != 0 || mgr_name_get(c, "d", &d) != 0) {
		fprintf(stderr, "child_stale_reader: %s\n", mgr_errdetail());
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < 2400; i++) {
		size_t n;
		if (mgr_dict_len(d, &n) != 0) {
			fprintf(stderr, "child_stale_reader: %s\n",
			    mgr_errdetail());
			return 3;
		}
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
	mgr_obj_release(d);
	mgr_disconnect(c);
	return 0;
}
