/* managerctl's commands on the manager itself: ping, info, clients,
 * watch, shutdown. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ctl.h"

int
cmd_ping(cmd_ctx *x)
{
	int64_t t0 = clock_us();
	int     rv = mgr_ping(x->c);
	int64_t t1 = clock_us();
	if (rv != 0) {
		return fail("ping", rv);
	}
	if (ctl_json) {
		printf("{\"ok\": true, \"rtt_us\": %lld}\n",
		    (long long) (t1 - t0));
	} else {
		printf("ok (%lld us)\n", (long long) (t1 - t0));
	}
	return 0;
}

/* One "key: value" line per figure, as Redis's INFO. */
int
cmd_info(cmd_ctx *x)
{
	mgr_value info;
	int       rv = mgr_info(x->c, &info);
	if (rv != 0 || ctl_json) {
		return print_result("info", rv, &info);
	}
	int st = 0;
	for (size_t i = 0; i < info.len && st == 0; i++) {
		const mgr_value *k = &info.pairs[2 * i], *v = k + 1;
		printf("%s: ", k->kind == MGR_STR ? k->s : "?");
		if (v->kind == MGR_STR) {
			printf("%s\n", v->s);
		} else if (v->kind == MGR_FLOAT) {
			printf("%.1f\n", v->f);
		} else {
			st = print_value(v);
		}
	}
	mgr_value_free(&info);
	return st;
}

static long long
int_member(const mgr_value *d, const char *key)
{
	const mgr_value *v = dict_member(d, key);
	return v != NULL && v->kind == MGR_INT ? (long long) v->i : -1;
}

static const char *
str_member(const mgr_value *d, const char *key)
{
	const mgr_value *v = dict_member(d, key);
	return v != NULL && v->kind == MGR_STR ? v->s : "";
}

/* "lock 'L'" or "lock #12" for an unnamed one. */
static void
print_object(const mgr_value *o)
{
	const char *name = str_member(o, "name");
	if (name[0] != '\0') {
		printf("%s '%s'", str_member(o, "type"), name);
	} else {
		printf("%s #%lld", str_member(o, "type"),
		    int_member(o, "object"));
	}
}

static void
print_session(const mgr_value *s)
{
	const mgr_value *holds    = dict_member(s, "holds");
	const mgr_value *waits    = dict_member(s, "waits");
	long long        pid      = int_member(s, "pid");
	char             pids[24] = "-";
	if (pid >= 0) {
		snprintf(pids, sizeof(pids), "%lld", pid);
	}
	char lease[24] = "-";
	if (int_member(s, "lease_ms") > 0) {
		snprintf(lease, sizeof(lease), "%.1f",
		    (double) int_member(s, "lease_ms") / 1000);
	}
	printf("%-5lld %-30s %-8s %-9s %9.1f %6s %6.1f %6lld %9lld %10lld "
	       "%10lld %7lld\n",
	    int_member(s, "id"), str_member(s, "peer"), pids,
	    str_member(s, "state"), (double) int_member(s, "age_ms") / 1000,
	    lease, (double) int_member(s, "heard_ms_ago") / 1000,
	    int_member(s, "reconnects"), int_member(s, "requests"),
	    int_member(s, "bytes_in"), int_member(s, "bytes_out"),
	    int_member(s, "objects"));
	const mgr_value *stale = dict_member(s, "stale_reads");
	if (stale != NULL && stale->kind == MGR_BOOL && stale->b) {
		printf("      stale reads: read-only, from this member's "
		       "state\n");
	}
	for (size_t i = 0; holds != NULL && i < holds->len; i++) {
		printf("      holds ");
		print_object(&holds->items[i]);
		long long n = int_member(&holds->items[i], "count");
		printf(n > 1 ? " (%lld)\n" : "\n", n);
	}
	for (size_t i = 0; waits != NULL && i < waits->len; i++) {
		const mgr_value *w = &waits->items[i];
		printf("      waits %s on ", str_member(w, "op"));
		print_object(w);
		printf(" for %.1f s",
		    (double) int_member(w, "waited_ms") / 1000);
		const mgr_value *t = dict_member(w, "timeout_ms");
		if (t != NULL && t->kind == MGR_INT) {
			printf(", %.1f s left", (double) t->i / 1000);
		}
		printf("\n");
	}
}

/* Sessions: who, since when, their lease (s) and when last heard from (s
 * ago), reconnects, how busy, what each holds and waits on. */
int
cmd_clients(cmd_ctx *x)
{
	mgr_value list;
	int       rv = mgr_sessions(x->c, &list);
	if (rv != 0 || ctl_json) {
		return print_result("clients", rv, &list);
	}
	printf("%-5s %-30s %-8s %-9s %9s %6s %6s %6s %9s %10s %10s %7s\n",
	    "ID", "PEER", "PID", "STATE", "AGE(s)", "LEASE", "HEARD",
	    "RECONN", "REQUESTS", "BYTES_IN", "BYTES_OUT", "OBJECTS");
	for (size_t i = 0; i < list.len; i++) {
		print_session(&list.items[i]);
	}
	mgr_value_free(&list);
	return 0;
}

/* "session 3 (pid 812)" */
static void
print_who(const mgr_value *w)
{
	long long pid = int_member(w, "pid");
	printf("session %lld", int_member(w, "session"));
	if (pid >= 0) {
		printf(" (pid %lld)", pid);
	}
}

/* Objects, a page of 1000 at a time: a line each. */
int
cmd_objects(cmd_ctx *x)
{
	static const char *const figures[]
	    = { "maxsize", "unfinished", "getters", "putters", "value",
		      "parties", "n_waiting", "workers", "idle",
		      "tasks_waiting", "running", "done", "results_waiting" };
	size_t offset = 0, total = 1;
	if (!ctl_json) {
		printf("%-8s %-20s %-18s %9s %s\n", "ID", "NAME", "TYPE",
		    "SIZE", "DETAILS");
	}
	while (offset < total) {
		mgr_value page;
		int       rv = mgr_objects(x->c, offset, 1000, &page);
		if (rv != 0) {
			return fail("objects", rv);
		}
		const mgr_value *objs = dict_member(&page, "objects");
		total                 = (size_t) int_member(&page, "total");
		if (ctl_json && print_value(&page) != 0) { // one per page
			mgr_value_free(&page);
			return EXIT_MANAGER;
		}
		for (size_t i = 0; !ctl_json && objs != NULL && i < objs->len;
		     i++) {
			const mgr_value *o      = &objs->items[i];
			const mgr_value *size   = dict_member(o, "size");
			char             sz[24] = "-";
			if (size != NULL && size->kind == MGR_INT) {
				snprintf(sz, sizeof(sz), "%lld",
				    (long long) size->i);
			}
			const char *name = str_member(o, "name");
			printf("%-8lld %-20s %-18s %9s",
			    int_member(o, "object"), name[0] ? name : "-",
			    str_member(o, "type"), sz);
			for (size_t k = 0;
			     k < sizeof(figures) / sizeof(*figures); k++) {
				if (dict_member(o, figures[k]) != NULL) {
					printf(" %s %lld", figures[k],
					    int_member(o, figures[k]));
				}
			}
			const mgr_value *h = dict_member(o, "holders");
			for (size_t k = 0; h != NULL && k < h->len; k++) {
				printf(k == 0 ? " held by " : ", ");
				print_who(&h->items[k]);
			}
			long long nw = int_member(o, "waiters");
			if (nw > 0) {
				printf(", %lld waiting", nw);
			}
			printf("\n");
		}
		size_t n = objs != NULL ? objs->len : 0;
		mgr_value_free(&page);
		if (n == 0) {
			break;
		}
		offset += n;
	}
	return 0;
}

/* Held locks and who waits for them; then the deadlocks. */
int
cmd_waits(cmd_ctx *x)
{
	mgr_value w;
	int       rv = mgr_waits(x->c, &w);
	if (rv != 0 || ctl_json) {
		return print_result("waits", rv, &w);
	}
	const mgr_value *locks  = dict_member(&w, "locks");
	const mgr_value *cycles = dict_member(&w, "cycles");
	for (size_t i = 0; locks != NULL && i < locks->len; i++) {
		const mgr_value *l = &locks->items[i];
		const mgr_value *h = dict_member(l, "holders");
		const mgr_value *q = dict_member(l, "waiters");
		print_object(l);
		printf(": held by ");
		for (size_t k = 0; h != NULL && k < h->len; k++) {
			printf(k ? ", " : "");
			print_who(&h->items[k]);
		}
		printf("\n");
		for (size_t k = 0; q != NULL && k < q->len; k++) {
			printf("    %zu. ", k + 1);
			print_who(&q->items[k]);
			printf(" %s, for %.1f s\n",
			    str_member(&q->items[k], "op"),
			    (double) int_member(&q->items[k], "waited_ms")
			        / 1000);
		}
	}
	if (cycles == NULL || cycles->len == 0) {
		printf("no deadlock\n");
	}
	for (size_t i = 0; cycles != NULL && i < cycles->len; i++) {
		const mgr_value *c = &cycles->items[i];
		printf("deadlock:");
		for (size_t k = 0; k < c->len; k++) {
			const mgr_value *st = &c->items[k];
			printf("%s session %lld waits on ", k ? "," : "",
			    int_member(st, "session"));
			print_object(dict_member(st, "waits_on"));
			printf(" held by session %lld",
			    int_member(st, "held_by"));
		}
		printf("\n");
	}
	mgr_value_free(&w);
	return 0;
}

static volatile sig_atomic_t interrupted;

static void
on_interrupt(int sig)
{
	(void) sig;
	interrupted = 1;
}

static double
num_member(const mgr_value *d, const char *key)
{
	const mgr_value *v = dict_member(d, key);
	return v == NULL           ? 0
	    : v->kind == MGR_INT   ? (double) v->i
	    : v->kind == MGR_FLOAT ? v->f
	                           : 0;
}

/* One refresh of watch: the figures now and the rates since the last
 * refresh (prev, NULL the first time: the manager's 1 s rates). */
static void
print_refresh(
    const mgr_value *now, const mgr_value *prev, double secs, bool tty)
{
	double rq = num_member(now, "requests_per_sec_1s"), in = 0, out = 0;
	if (prev != NULL && secs > 0) {
		rq = (num_member(now, "requests")
		         - num_member(prev, "requests"))
		    / secs;
		in = (num_member(now, "bytes_in")
		         - num_member(prev, "bytes_in"))
		    / secs;
		out = (num_member(now, "bytes_out")
		          - num_member(prev, "bytes_out"))
		    / secs;
	}
	if (ctl_json) {
		printf(
		    "{\"requests_per_sec\": %.1f, \"bytes_in_per_sec\": "
		    "%.1f, "
		    "\"bytes_out_per_sec\": %.1f, \"sessions\": %.0f, "
		    "\"objects\": %.0f, \"waiters\": %.0f, \"rss\": %.0f}\n",
		    rq, in, out, num_member(now, "sessions"),
		    num_member(now, "objects_total"),
		    num_member(now, "waiters"), num_member(now, "rss"));
		return;
	}
	if (tty) {
		printf("\033[H\033[2J"); // as top: redraw in place
	}
	printf("managerd %s pid %.0f, up %.0f s\n",
	    str_member(now, "version"), num_member(now, "pid"),
	    num_member(now, "uptime_ms") / 1000);
	printf("requests/s %10.1f   (10 s %.1f, 60 s %.1f)\n", rq,
	    num_member(now, "requests_per_sec_10s"),
	    num_member(now, "requests_per_sec_60s"));
	printf("in  B/s    %10.0f   out B/s %.0f\n", in, out);
	printf("sessions   %10.0f   (total %.0f, refused %.0f)\n",
	    num_member(now, "sessions"), num_member(now, "sessions_total"),
	    num_member(now, "connections_refused"));
	printf("objects    %10.0f   names %.0f, waiters %.0f\n",
	    num_member(now, "objects_total"), num_member(now, "names"),
	    num_member(now, "waiters"));
	printf("memory     %10.1f MiB allocated, rss %.1f MiB (peak %.1f)\n",
	    num_member(now, "memory_used") / 1048576,
	    num_member(now, "rss") / 1048576,
	    num_member(now, "rss_peak") / 1048576);
	if (!tty) {
		printf("\n");
	}
}

/* info again and again, with rates per second between refreshes, until
 * Ctrl-C (or --count refreshes). */
int
cmd_watch(cmd_ctx *x)
{
	mgr_value prev   = { .kind = MGR_NONE }, now;
	bool      tty    = isatty(STDOUT_FILENO) && !ctl_json;
	int64_t   t_prev = 0;
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	for (long n = 0; !interrupted && (x->count == 0 || n < x->count);
	     n++) {
		if (n > 0) {
			double          s = x->interval;
			struct timespec ts
			    = { (time_t) s, (long) ((s - floor(s)) * 1e9) };
			nanosleep(&ts, NULL); // Ctrl-C ends it early
			if (interrupted) {
				break;
			}
		}
		int64_t t  = clock_us();
		int     rv = mgr_info(x->c, &now);
		if (rv != 0) {
			mgr_value_free(&prev);
			return fail("watch", rv);
		}
		print_refresh(&now, n > 0 ? &prev : NULL,
		    (double) (t - t_prev) / 1e6, tty);
		fflush(stdout);
		mgr_value_free(&prev);
		prev   = now;
		t_prev = t;
	}
	mgr_value_free(&prev);
	return 0;
}

int
cmd_end(cmd_ctx *x)
{
	char              *end;
	unsigned long long id = strtoull(x->args[0], &end, 10);
	if (end == x->args[0] || *end != '\0' || id == 0) {
		fprintf(stderr,
		    "managerctl: end: '%s' is not a session id (managerctl "
		    "clients lists them)\n",
		    x->args[0]);
		return EXIT_USAGE;
	}
	int rv = mgr_session_end(x->c, (uint64_t) id);
	if (rv != 0) {
		return fail("end", rv);
	}
	printf("session %llu ended: what it held is released\n", id);
	return 0;
}

int
cmd_shutdown(cmd_ctx *x)
{
	int rv = mgr_shutdown(x->c);
	return rv != 0 ? fail("shutdown", rv) : 0;
}

/* Asks for a snapshot and waits (up to --timeout, 10 minutes by default)
 * until mgr_info says it is made, as redis-cli's BGSAVE followed by a
 * look at LASTSAVE. */
int
cmd_save(cmd_ctx *x)
{
	mgr_value info;
	int       rv = mgr_info(x->c, &info);
	if (rv != 0) {
		return fail("save", rv);
	}
	long long made   = int_member(&info, "snapshots");
	long long failed = int_member(&info, "snapshot_failures");
	mgr_value_free(&info);
	if ((rv = mgr_save(x->c)) != 0) {
		return fail("save", rv);
	}
	int64_t limit_ms = x->timeout > 0 ? x->timeout : 600000;
	for (int64_t waited = 0;; waited += 20) {
		if ((rv = mgr_info(x->c, &info)) != 0) {
			return fail("save", rv);
		}
		if (int_member(&info, "snapshot_running") == 0) {
			break;
		}
		mgr_value_free(&info);
		if (waited >= limit_ms) {
			fprintf(stderr,
			    "managerctl: save: still being made after %lld "
			    "ms "
			    "(it goes on)\n",
			    (long long) limit_ms);
			return 1;
		}
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	int st = 0;
	if (int_member(&info, "snapshot_failures") > failed) {
		fprintf(stderr, "managerctl: save: %s\n",
		    str_member(&info, "snapshot_error"));
		st = 1;
	} else {
		printf("snapshot of records 1 to %lld: %lld bytes%s\n",
		    int_member(&info, "snapshot_lsn"),
		    int_member(&info, "snapshot_bytes"),
		    int_member(&info, "snapshots") > made
		        ? ""
		        : " (nothing new since the last one)");
	}
	mgr_value_free(&info);
	return st;
}
