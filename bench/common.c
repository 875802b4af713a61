/* common.c - clock, arguments, results and worker processes of the C bench
 * clients (see common.h). */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* This process's worker index, or -1 in a coordinator. */
static int worker_index = -1;

int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "error: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (worker_index >= 0) {
		worker_report_fail(worker_index, -1);
	}
	exit(1);
}

static const char *
arg_find(const bench_args *a, const char *name)
{
	for (int i = 0; i + 1 < a->argc; i++) {
		if (strcmp(a->argv[i], name) == 0) {
			return a->argv[i + 1];
		}
	}
	return NULL;
}

const char *
arg_str(const bench_args *a, const char *name, const char *dflt)
{
	const char *v = arg_find(a, name);
	return v ? v : dflt;
}

long long
arg_int(const bench_args *a, const char *name, long long dflt)
{
	const char *v = arg_find(a, name);
	char       *end;
	if (v == NULL) {
		return dflt;
	}
	long long n = strtoll(v, &end, 10);
	if (*end != '\0') {
		die("%s takes an integer, not '%s'", name, v);
	}
	return n;
}

bool
arg_flag(const bench_args *a, const char *name)
{
	for (int i = 0; i < a->argc; i++) {
		if (strcmp(a->argv[i], name) == 0) {
			return true;
		}
	}
	return false;
}

void
result(const char *name, double value, const char *unit)
{
	printf("result %s %.6g %s\n", name, value, unit);
	fflush(stdout);
}

void
note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("note ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

void
state_sync(const char *name)
{
	char          line[256];
	struct pollfd p = { .fd = 0, .events = POLLIN };
	printf("state %s\n", name);
	fflush(stdout);
	int r = poll(&p, 1, BENCH_WAIT_MS);
	if (r <= 0 || fgets(line, sizeof(line), stdin) == NULL) {
		die("no word from the driver after state %s", name);
	}
}

void
fill_value(char *buf, size_t len, long long i)
{
	int n = snprintf(buf, len + 1, "%lld:", i);
	for (size_t k = n > 0 ? (size_t) n : 0; k < len; k++) {
		buf[k] = (char) ('a' + k % 26);
	}
	buf[len] = '\0';
}

char *
read_key_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		die("cannot open %s: %s", path, strerror(errno));
	}
	char  *buf = malloc(4097);
	size_t n   = buf ? fread(buf, 1, 4096, f) : 0;
	fclose(f);
	if (buf == NULL || n == 0) {
		die("cannot read a key from %s", path);
	}
	if (buf[n - 1] == '\n') {
		n--;
	}
	buf[n] = '\0';
	*len   = n;
	return buf;
}

void
raise_nofile(long n)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && (long) rl.rlim_cur < n) {
		rl.rlim_cur
		    = rl.rlim_max == RLIM_INFINITY || (long) rl.rlim_max >= n
		    ? (rlim_t) n
		    : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- worker processes ---------------------------------------------------
 */

/* A descriptor above the ones a worker gets (3, 4), so that dup2 onto them
 * never meets itself (which would keep close-on-exec set). */
static int
high_fd(int fd)
{
	int h = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	if (h < 0) {
		die("fcntl: %s", strerror(errno));
	}
	close(fd);
	return h;
}

/* Reads exactly len bytes within deadline (ns); false on timeout/EOF. */
static bool
read_full(int fd, void *buf, size_t len, int64_t deadline)
{
	size_t got = 0;
	while (got < len) {
		int64_t left = (deadline - now_ns()) / 1000000;
		if (left <= 0) {
			return false;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int           r = poll(&p, 1, (int) left);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			return false;
		}
		ssize_t k = read(fd, (char *) buf + got, len - got);
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k <= 0) {
			return false;
		}
		got += (size_t) k;
	}
	return true;
}

void
workers_kill(workers *w)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->pids[i] > 0) {
			kill(w->pids[i], SIGKILL);
			waitpid(w->pids[i], NULL, 0);
			w->pids[i] = 0;
		}
	}
}

static void
workers_fail(workers *w, const char *fmt, const char *what)
{
	workers_kill(w);
	die(fmt, what);
}

void
workers_start(
    workers *w, size_t n, const char *const *roles, char *const *extra)
{
	int  go[2], rep[2];
	char self[4096];

	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0) {
		die("readlink /proc/self/exe: %s", strerror(errno));
	}
	self[sl] = '\0';
	if (pipe2(go, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0) {
		die("pipe: %s", strerror(errno));
	}
	go[0]  = high_fd(go[0]);
	go[1]  = high_fd(go[1]);
	rep[0] = high_fd(rep[0]);
	rep[1] = high_fd(rep[1]);
	memset(w, 0, sizeof(*w));
	w->n     = n;
	w->go_w  = go[1];
	w->rep_r = rep[0];
	if ((w->pids = calloc(n, sizeof(pid_t))) == NULL
	    || (w->done = calloc(n, sizeof(bool))) == NULL) {
		die("out of memory");
	}

	size_t nextra = 0;
	while (extra != NULL && extra[nextra] != NULL) {
		nextra++;
	}
	char ppid[32];
	snprintf(ppid, sizeof(ppid), "%ld", (long) getpid());
	for (size_t i = 0; i < n; i++) {
		char  idx[32];
		char *argv[nextra + 6];
		snprintf(idx, sizeof(idx), "%zu", i);
		argv[0] = self;
		argv[1] = "worker";
		argv[2] = (char *) roles[i];
		argv[3] = idx;
		argv[4] = ppid;
		for (size_t k = 0; k < nextra; k++) {
			argv[5 + k] = extra[k];
		}
		argv[5 + nextra] = NULL;

		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, go[0], WORKER_GO_FD);
		posix_spawn_file_actions_adddup2(&fa, rep[1], WORKER_REP_FD);
		int rv = posix_spawn(
		    &w->pids[i], self, &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		if (rv != 0) {
			w->pids[i] = 0;
			workers_fail(w, "posix_spawn: %s", strerror(rv));
		}
	}
	// Only the workers keep these ends: EOF then means they are gone.
	close(go[0]);
	close(rep[1]);

	int64_t deadline = now_ns() + (int64_t) BENCH_WAIT_MS * 1000000;
	for (size_t ready = 0; ready < n;) {
		worker_report r;
		if (!read_full(w->rep_r, &r, sizeof(r), deadline)) {
			workers_fail(w, "%s", "workers did not get ready");
		}
		if (r.kind == REPORT_FAIL) {
			fprintf(stderr, "worker %d failed: %lld\n", r.index,
			    (long long) r.count);
			workers_fail(w, "%s", "a worker failed to start");
		}
		ready += r.kind == REPORT_READY;
	}
}

int64_t
workers_go(workers *w)
{
	w->t_go = now_ns();
	for (size_t i = 0; i < w->n; i++) {
		if (write(w->go_w, &w->t_go, sizeof(w->t_go))
		    != (ssize_t) sizeof(w->t_go)) {
			workers_fail(w, "write go: %s", strerror(errno));
		}
	}
	return w->t_go;
}

void
workers_await(workers *w, worker_report *reps, size_t k)
{
	int64_t deadline = now_ns() + (int64_t) BENCH_WAIT_MS * 1000000;
	size_t  done     = 0;
	while (done < k) {
		if (w->done[done]) {
			done++;
			continue;
		}
		worker_report r;
		if (!read_full(w->rep_r, &r, sizeof(r), deadline)) {
			workers_fail(
			    w, "%s", "workers did not finish in time");
		}
		if (r.kind == REPORT_FAIL) {
			fprintf(stderr, "worker %d failed: error %lld\n",
			    r.index, (long long) r.count);
			workers_fail(w, "%s", "a worker failed");
		}
		if (r.kind == REPORT_DONE && r.index >= 0
		    && (size_t) r.index < w->n && !w->done[r.index]) {
			reps[r.index]    = r;
			w->done[r.index] = true;
		}
	}
}

void
workers_collect(workers *w, worker_report *reps)
{
	workers_await(w, reps, w->n);
	// Every worker said done: they exit at once; bound the wait anyway.
	for (size_t i = 0; i < w->n; i++) {
		int64_t end = now_ns() + 10 * (int64_t) 1000000000;
		while (w->pids[i] > 0) {
			int   st;
			pid_t p = waitpid(w->pids[i], &st, WNOHANG);
			if (p == w->pids[i] || (p < 0 && errno != EINTR)) {
				if (p == w->pids[i]
				    && !(WIFEXITED(st)
				        && WEXITSTATUS(st) == 0)) {
					workers_fail(w, "%s",
					    "a worker exited with an error");
				}
				w->pids[i] = 0;
			} else if (now_ns() > end) {
				workers_fail(
				    w, "%s", "a worker did not exit");
			} else {
				usleep(1000);
			}
		}
	}
	close(w->go_w);
	close(w->rep_r);
	free(w->pids);
	free(w->done);
	w->pids = NULL;
	w->done = NULL;
	w->n    = 0;
}

static void
worker_send(const worker_report *r)
{
	if (write(WORKER_REP_FD, r, sizeof(*r)) != (ssize_t) sizeof(*r)) {
		_exit(3);
	}
}

int64_t
worker_ready_wait(int index)
{
	worker_report r = { .kind = REPORT_READY, .index = index };
	int64_t       go;
	worker_send(&r);
	if (!read_full(WORKER_GO_FD, &go, sizeof(go),
	        now_ns() + (int64_t) BENCH_WAIT_MS * 1000000)) {
		_exit(3); // the coordinator went away
	}
	return go;
}

void
worker_report_done(int index, int64_t count, int64_t sum)
{
	worker_report r = { .kind = REPORT_DONE,
		.index            = index,
		.count            = count,
		.t_end            = now_ns(),
		.sum              = sum };
	worker_send(&r);
}

void
worker_report_fail(int index, int err)
{
	worker_report r
	    = { .kind = REPORT_FAIL, .index = index, .count = err };
	worker_send(&r);
}

void
worker_init(pid_t ppid, int index)
{
	worker_index = index;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != ppid) {
		_exit(3); // the coordinator died before we got here
	}
}

void
drop_connections(const char *addr)
{
	const char *end   = addr + strlen(addr);
	const char *slash = strchr(
	    strstr(addr, "://") ? strstr(addr, "://") + 3 : addr, '/');
	if (slash != NULL) {
		end = slash;
	}
	const char *colon = end;
	while (colon > addr && *colon != ':') {
		colon--;
	}
	int port = atoi(colon + 1);
	if (*colon != ':' || port <= 0) {
		die("no port in %s", addr);
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd),
	    "ss -K -t state established dport = :%d > /dev/null 2>&1", port);
	if (system(cmd) != 0) {
		die("%s failed (ss -K needs CAP_NET_ADMIN and iproute2)",
		    cmd);
	}
}

int64_t *
times_new(long n)
{
	int64_t *t = calloc(n > 0 ? (size_t) n : 1, sizeof(*t));
	if (t == NULL) {
		die("out of memory");
	}
	return t;
}

static int
cmp_ns(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return x < y ? -1 : x > y;
}

double
median_us(int64_t *t, size_t n)
{
	qsort(t, n, sizeof(*t), cmp_ns);
	return (double) t[n / 2] / 1e3;
}
