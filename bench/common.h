/* common.h - what the C bench clients (bench_mgr, bench_redis) share:
 * the clock, argument parsing, result lines, and worker processes.
 *
 * Worker processes are started by posix_spawn of the running binary (as
 * libmgr's own worker processes are, and the Redis client does the same
 * so that both pay the same start-up). A worker reports "ready", waits for
 * the go time, works, and reports its count; all pipes are bounded by
 * timeouts, and a worker dies with its coordinator (PR_SET_PDEATHSIG). */
#ifndef MGR_BENCH_COMMON_H
#define MGR_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest any single wait in a bench client may last. */
#define BENCH_WAIT_MS 60000

/* 64-byte string value of W1 (63 characters and the NUL would be 63
 * bytes: the value is exactly 64 characters). */
#define BENCH_VALUE_LEN 64

int64_t now_ns(void);

/* Prints "error: ..." to stderr and exits with status 1 (in a worker,
 * after reporting the failure to its coordinator). */
void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* "--name value" options after the subcommand. */
typedef struct bench_args {
	int    argc;
	char **argv;
} bench_args;

const char *arg_str(const bench_args *a, const char *name, const char *dflt);
long long   arg_int(const bench_args *a, const char *name, long long dflt);
bool        arg_flag(const bench_args *a, const char *name);

/* One result line for the driver: "result NAME VALUE UNIT". */
void result(const char *name, double value, const char *unit);
/* One note line for the driver: "note TEXT". */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Tells the driver the client reached a state ("state NAME") and waits
 * for its next line on stdin (bounded; exits on EOF: the driver is gone).
 * The driver samples the server's memory in between. */
void state_sync(const char *name);

/* Fills buf (cap >= len + 1) with a len-character string tagged with i. */
void fill_value(char *buf, size_t len, long long i);

/* Reads the whole file (an authkey) less one trailing newline; exits on
 * error. *len gets its length; the result is NUL-terminated. */
char *read_key_file(const char *path, size_t *len);

/* Drops the host's tcp connections to the port of addr (the last ":PORT"
 * in it, before any '/'; the bench's one client), as a router's reset
 * would: `ss -K` of the client's end, which needs CAP_NET_ADMIN. Exits
 * when it can't. */
void drop_connections(const char *addr);

/* Room for n times (ns), or the process exits. */
int64_t *times_new(long n);
/* The median of n times (ns, sorted in place), in microseconds. */
double median_us(int64_t *t, size_t n);

/* Raises RLIMIT_NOFILE to at least n (up to the hard limit). */
void raise_nofile(long n);

/* ---- worker processes ---------------------------------------------------
 */

/* What a worker sends its coordinator. */
typedef struct worker_report {
	int32_t kind; /* REPORT_READY, REPORT_DONE, REPORT_FAIL */
	int32_t index;
	int64_t count; /* operations (DONE) or error code (FAIL) */
	int64_t t_end; /* now_ns() when done */
	int64_t sum;   /* checksum of what it moved, workload-defined */
} worker_report;

enum { REPORT_READY = 1, REPORT_DONE, REPORT_FAIL };

typedef struct workers {
	size_t  n;
	pid_t  *pids;
	bool   *done;  /* which have reported done */
	int     go_w;  /* coordinator: write end of the go pipe */
	int     rep_r; /* coordinator: read end of the report pipe */
	int64_t t_go;
} workers;

/* Starts n workers: this binary with "worker" argv[1], then role, index
 * and the extra arguments (NULL-terminated) for each. Waits until every
 * one has reported ready. Exits on error (after killing those started). */
void workers_start(
    workers *w, size_t n, const char *const *roles, char *const *extra);
/* Writes the go time (now) to every worker; returns it. */
int64_t workers_go(workers *w);
/* Collects DONE reports into reps (by index) until workers 0..k-1 have
 * all reported (a later worker's report that comes meanwhile is kept
 * too); exits if one fails or the wait runs out. For a coordinator that
 * acts between two phases (W4p: the sentinels go in once every producer
 * is done). */
void workers_await(workers *w, worker_report *reps, size_t k);
/* Collects every worker's DONE report into reps (n entries, by index;
 * those workers_await got stay); exits if one fails or the wait runs
 * out. Reaps the processes. */
void workers_collect(workers *w, worker_report *reps);
/* Kills and reaps whatever is left (idempotent). */
void workers_kill(workers *w);

/* In a worker: the fixed descriptors a worker gets. */
#define WORKER_GO_FD  3
#define WORKER_REP_FD 4

/* In a worker ("worker ROLE INDEX PPID ..."), first: dies with the
 * coordinator (PR_SET_PDEATHSIG), or at once if it is already gone; from
 * then on die() reports the failure to the coordinator before exiting. */
void worker_init(pid_t ppid, int index);
/* In a worker: reports ready and waits for the go time (exits if the
 * coordinator went away). */
int64_t worker_ready_wait(int index);
/* In a worker: reports done (or failed with count = error code). */
void worker_report_done(int index, int64_t count, int64_t sum);
void worker_report_fail(int index, int err);

#endif
