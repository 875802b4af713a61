/* A client of the chaos test (test_chaos.c), killed at random: it works
 * until then, writing each action the manager acknowledged to LOG as one
 * line (one write; LOG is this child's alone, since a kill can cut a write
 * that crosses a page of the file: only its last line may be half
 * there).
 *
 *   child_chaos producer ACKQ PLAINQ LOG NAME  puts NAME-1, NAME-2, ...
 *                                            in both queues: "pa"/"pp TAG"
 *   child_chaos consumer ACKQ PLAINQ LOG       gets ("ga"/"gp TAG") and
 *                                            task_dones ("da TAG") the
 *                                            acknowledged queue's items
 *   child_chaos locker LOCK DICT LOG          under LOCK, d["c"] += 1 ("L");
 *                                            then incr d["n"] ("I")
 *
 * MGR_URL and MGR_AUTHKEY say where the manager is. */
#include <fcntl.h>
#include <mgr.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static int log_fd = -1;

static void
say(const char *what, const char *tag)
{
	dprintf(log_fd, "%s %s\n", what, tag);
}

static int
producer(mgr_obj *qa, mgr_obj *qp, const char *name)
{
	char tag[64];
	for (long n = 1;; n++) {
		snprintf(tag, sizeof(tag), "%s-%ld", name, n);
		CHECK(mgr_queue_put(qa, mgr_str(tag), MGR_FOREVER));
		say("pa", tag);
		CHECK(mgr_queue_put(qp, mgr_str(tag), MGR_FOREVER));
		say("pp", tag);
	}
}

static int
consumer(mgr_obj *qa, mgr_obj *qp)
{
	for (;;) {
		mgr_value v;
		int       rv = mgr_queue_get(qa, &v, 100);
		if (rv == 0) {
			say("ga", v.s);
			CHECK(mgr_queue_task_done(qa));
			say("da", v.s);
			mgr_value_free(&v);
		} else if (rv != MGR_EEMPTY) {
			CHECK(rv);
		}
		if ((rv = mgr_queue_get(qp, &v, 100)) == 0) {
			say("gp", v.s);
			mgr_value_free(&v);
		} else if (rv != MGR_EEMPTY) {
			CHECK(rv);
		}
	}
}

static int
locker(mgr_obj *lock, mgr_obj *d)
{
	for (;;) {
		mgr_value v, n;
		CHECK(mgr_acquire(lock, MGR_FOREVER));
		CHECK(mgr_dict_get(d, mgr_str("c"), &v));
		CHECK(mgr_dict_set(d, mgr_str("c"), mgr_int(v.i + 1)));
		CHECK(mgr_release(lock));
		say("L", "");
		CHECK(mgr_dict_incr(d, mgr_str("n"), mgr_int(1), &n));
		say("I", "");
	}
}

int
main(int argc, char **argv)
{
	mgr_client *c;
	mgr_obj    *a, *b;
	if (argc < 5) {
		fprintf(stderr, "usage: see child_chaos.c\n");
		return 2;
	}
	log_fd
	    = open(argv[4], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		return 2;
	}
	CHECK(mgr_connect_env(&c));
	CHECK(mgr_attach(c, argv[2], &a));
	CHECK(mgr_attach(c, argv[3], &b));
	if (strcmp(argv[1], "producer") == 0 && argc == 6) {
		return producer(a, b, argv[5]);
	}
	if (strcmp(argv[1], "consumer") == 0) {
		return consumer(a, b);
	}
	if (strcmp(argv[1], "locker") == 0) {
		return locker(a, b);
	}
	return 2;
}
