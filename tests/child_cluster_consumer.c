/* A consumer of an acknowledged queue for test_cluster_chaos, meant to be
 * killed (SIGKILL) at any moment. It connects through MGR_URL (every
 * member's URL), MGR_AUTHKEY, MGR_RECONNECT and MGR_LEASE, takes the
 * queue named argv[2], prints "ready", then gets items and marks each
 * done, appending to the file argv[1] (written at once, so that what a
 * killed consumer did is there):
 *   got ITEM      before using it
 *   acking ITEM   before its task_done
 *   done ITEM     once task_done returned
 * Each item takes it 3 ms (so that a kill mostly finds one in hand). It
 * stops when a get times out after the dict "chaos" has "stop". Exit
 * codes: 0, 1 usage, 2 no start, 3 a call failed. */
#include <fcntl.h>
#include <mgr.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int out = -1;

static void
say(const char *what, long long item)
{
	char   line[64];
	int    n = snprintf(line, sizeof(line), "%s %lld\n", what, item);
	size_t w = 0;
	while (n > 0 && w < (size_t) n) {
		ssize_t k = write(out, line + w, (size_t) n - w);
		if (k <= 0) {
			_exit(3);
		}
		w += (size_t) k;
	}
}

static bool
stopping(mgr_obj *ctl)
{
	bool yes = false;
	return mgr_dict_contains(ctl, mgr_str("stop"), &yes) == 0 && yes;
}

int
main(int argc, char **argv)
{
	mgr_client *c;
	mgr_obj    *q, *ctl;
	if (argc != 3) {
		fprintf(stderr, "usage: child_cluster_consumer FILE QUEUE\n");
		return 1;
	}
	out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (out < 0 || mgr_connect_env(&c) != 0
	    || mgr_name_get(c, argv[2], &q) != 0
	    || mgr_name_get(c, "chaos", &ctl) != 0) {
		fprintf(
		    stderr, "child_cluster_consumer: %s\n", mgr_errdetail());
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	int st = 0;
	while (st == 0) {
		mgr_value v;
		int       rv = mgr_queue_get(q, &v, 200);
		if (rv == MGR_EEMPTY) {
			if (stopping(ctl)) {
				break;
			}
			continue;
		}
		if (rv != 0 || v.kind != MGR_INT) {
			fprintf(stderr,
			    "child_cluster_consumer: get: %s (%s)\n",
			    mgr_strerror(rv), mgr_errdetail());
			st = 3;
			if (rv == 0) {
				mgr_value_free(&v);
			}
			break;
		}
		say("got", (long long) v.i);
		// Its work: a kill then mostly finds an item in hand.
		struct timespec work = { 0, 3 * 1000 * 1000 };
		nanosleep(&work, NULL);
		say("acking", (long long) v.i);
		if ((rv = mgr_queue_task_done(q)) != 0) {
			fprintf(stderr,
			    "child_cluster_consumer: task_done: %s (%s)\n",
			    mgr_strerror(rv), mgr_errdetail());
			st = 3;
		} else {
			say("done", (long long) v.i);
		}
		mgr_value_free(&v);
	}
	mgr_obj_release(q);
	mgr_obj_release(ctl);
	mgr_disconnect(c);
	close(out);
	return st;
}
