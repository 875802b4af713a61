/* Test harness compiled into the integration, fault and example tests (not
 * a library of the project).
 *
 * - managerd: started by posix_spawn (never fork: a forked copy of a threaded
 * process is not safe) in a private mkdtemp directory holding its authkey
 * file, its log and, for ipc, its socket; readiness comes from --ready-fd
 * (which also gives the URL bound, so tcp://127.0.0.1:0 works); a
 * --lifeline-fd pipe makes it exit if the test process dies; stopping sends
 * SIGTERM and waits on a pidfd.
 * - child programs: posix_spawn with extra environment variables, pipes to
 *   their stdin/stdout, bounded waits.
 * - raw sockets: plain POSIX connections to ipc:// and tcp:// URLs for
 *   bad-input tests.
 *
 * Every wait is bounded. Functions return 0 on success and -1 (or the
 * documented code) on failure, with the reason printed on stderr.
 */
#ifndef MGR_TESTS_HARNESS_H
#define MGR_TESTS_HARNESS_H

#include <mgr.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "check.h"

/* Default bounds (ms). Generous: sanitizer builds on a loaded 2-core VM. */
#define H_START_MS 15000
#define H_STOP_MS  15000

/* ---- time -------------------------------------------------------------- */

/* Monotonic milliseconds. */
int64_t h_now_ms(void);
/* Milliseconds left before deadline (>= 0). */
int h_left_ms(int64_t deadline);
/* poll() on one fd until an event or the deadline; restarts on EINTR.
 * > 0 ready, 0 timeout, < 0 error. */
int h_poll_one(int fd, short events, int64_t deadline, short *revents);
/* A line on stderr, "harness: " first. */
void h_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sleeps ms milliseconds: only for bounded retry loops polling a state that
 * offers nothing to wait on (the manager's statistics, a log file). */
void h_nap(int ms);

/* A watchdog for waits the harness cannot bound (a library call that never
 * returns): once armed, if not disarmed or re-armed within seconds, it
 * prints what was running and ends the process with exit status 99 (the
 * managerd instances it started follow through their lifeline). */
void h_watchdog_arm(int seconds, const char *what);
void h_watchdog_disarm(void);

/* Fails the test unless the calling thread's last error detail
 * (mgr_errdetail) holds needle. */
void h_assert_detail_has(const char *needle);

/* The value of key (a str) in dict d (borrowed from it); NULL when d is
 * no dict or has no such key. */
const mgr_value *h_dict_find(const mgr_value *d, const char *key);

/* GET of path on url's server (http://127.0.0.1:P...), one extra header
 * line when header is not NULL ("Authorization: Bearer T"): the whole
 * response (status line, headers, body) into out; the status, -1 when
 * none came within 10 s. */
int h_http_get(const char *url, const char *header, const char *path,
    char *out, size_t cap);
/* The same with another method ("POST"), and no body. */
int h_http_request(const char *url, const char *method, const char *header,
    const char *path, char *out, size_t cap);

/* ---- managerd ---------------------------------------------------------- */

/* How a test's managerd listens: the epoll loops on ipc, tcp and tls+tcp,
 * nng's stream layer on ipc, tcp and tls+tcp (--listen-nng), WebSocket
 * plain and over TLS (certificates of tests/make_certs.sh in
 * h_cert_dir()). */
typedef enum h_transport {
	H_IPC,
	H_TCP,
	H_NNG_IPC,
	H_NNG_TCP,
	H_TLS,
	H_WS,
	H_WSS,
	H_NNG_TLS
} h_transport;

/* Whether t's listener needs the test certificate (and clients the CA). */
bool h_transport_is_tls(h_transport t);

/* The test certificates' directory (made by tests/make_certs.sh on first
 * use); NULL when they cannot be made. */
const char *h_cert_dir(void);
/* h_cert_dir()/name, in a static buffer per call site's copy. */
void h_cert_path(const char *name, char *out, size_t cap);

typedef struct h_managerd {
	pid_t       pid;      /* 0 once reaped */
	int         status;   /* wait status once reaped */
	int         lifeline; /* write end of its lifeline pipe, or -1 */
	char        dir[256]; /* private directory (mkdtemp) */
	char        url[512]; /* the URL bound (tcp port resolved) */
	char        keyfile[300];
	char        logfile[300];       /* its stdout and stderr */
	char        key[65];            /* the authkey (64 hex characters) */
	char        metrics_url[300];   /* --metrics's address bound, or "" */
	char        dashboard_url[300]; /* --http's, with #token=..., or "" */
	char        more_urls[4][300];  /* the other listeners' (extra) */
	h_transport t;
	char        ca_file[300]; /* TLS: the CA of its certificate */
	size_t      keylen;
} h_managerd;

/* The managerd binary: $MGR_MANAGERD, else MGR_MANAGERD_PATH. */
const char *h_managerd_path(void);
/* A transport's name for messages ("ipc", "tcp"). */
const char *h_transport_name(h_transport t);

/* Starts managerd listening on a fresh ipc socket or on tcp://127.0.0.1:0,
 * with a fresh random key in an authkey file (written with a trailing
 * newline, which managerd must strip), --log-level info and the extra
 * arguments (NULL-terminated list, or NULL). Returns when managerd wrote
 * "ready" on its --ready-fd, within H_START_MS. */
int h_managerd_start(h_managerd *m, h_transport t, const char *const *extra);
/* SIGTERM, then waits (H_STOP_MS) for it to exit. Returns its exit code
 * (0 for a clean shutdown), 128 + signal if a signal ended it, -1 if it did
 * not exit in time (it is then killed). Removes its files. */
int h_managerd_stop(h_managerd *m);
/* SIGKILL and reap (keeps the files: h_managerd_cleanup removes them). */
int h_managerd_kill(h_managerd *m);
/* Starts m's managerd again, on the URL it had bound and with its key,
 * with extra (as h_managerd_start's); the one before must be gone
 * (h_managerd_kill, or h_managerd_term). Its log goes on in the same
 * file. */
int h_managerd_restart(h_managerd *m, const char *const *extra);
/* SIGTERM and reap, keeping its files (for h_managerd_restart): its exit
 * code, or -1 when it did not exit in time (then killed). */
int h_managerd_term(h_managerd *m);
/* Kills it if still running and removes its files (idempotent). */
void h_managerd_cleanup(h_managerd *m);
/* Prints its log on stderr (for failures). */
void h_managerd_dump_log(const h_managerd *m);
/* True once managerd's log has a line containing a and (unless NULL) b,
 * polled up to timeout_ms. */
bool h_managerd_log_line_has(
    const h_managerd *m, const char *a, const char *b, int timeout_ms);
/* True once managerd's log contains needle, polled up to timeout_ms. */
bool h_managerd_log_has(
    const h_managerd *m, const char *needle, int timeout_ms);
/* The lines of managerd's log (now) that contain needle; -1 when it
 * cannot be read. */
int h_managerd_log_count(const h_managerd *m, const char *needle);

/* Options carrying m's key (and for TLS the test CA). */
mgr_opts h_opts(const h_managerd *m);
/* mgr_connect to m with its key (connect timeout H_START_MS). */
int h_connect(const h_managerd *m, mgr_client **c);
/* Starts a managerd over tcp with the extra options (NULL-terminated, or
 * NULL) and, unless c is NULL, connects a client of it; fails the test
 * if either fails. */
void h_start_client(h_managerd *m, mgr_client **c, const char *const *extra);
/* Disconnects c (NULL: none), stops m and removes its files; fails the
 * test unless m stopped cleanly. */
void h_stop_client(h_managerd *m, mgr_client *c);

/* ---- a test group's manager ----------------------------------------------
 */

/* Starts m on ipc (or MGR_TEST_TRANSPORT's), connects *c, and fills
 * env_url ("MGR_URL=...") and env_key ("MGR_AUTHKEY=...") for child
 * programs (either may be NULL: not wanted). 0, or -1. */
int h_group_start(h_managerd *m, mgr_client **c, char *env_url,
    size_t url_cap, char *env_key, size_t key_cap);
/* Disconnects c and stops m. -1 when objects are left on the manager
 * (every test releases what it made) or managerd did not exit cleanly. */
int h_group_stop(h_managerd *m, mgr_client *c);

/* ---- manager statistics (mgr_info) ------------------------------------- */

/* The int under key in mgr_info's dict, or under objects[type] when type
 * is not NULL. 0, or the mgr_info error, or MGR_EKEY / MGR_ETYPE. */
int h_info_int(mgr_client *c, const char *key, int64_t *out);
int h_info_objects(mgr_client *c, const char *type, int64_t *out);
/* Polls h_info_int (type NULL) or h_info_objects until it equals want, up
 * to timeout_ms, napping 10 ms between tries. 0 when reached; otherwise -1
 * with the last value in *last (when not NULL). */
int h_info_await(mgr_client *c, const char *key, const char *type,
    int64_t want, int timeout_ms, int64_t *last);
/* A test's teardown check: up to timeout_ms each, the manager is back to
 * sessions0 sessions and objects0 objects (nothing of the test's
 * connections is left). 0, or -1 after saying on stderr which figure is
 * off. */
int h_info_await_baseline(
    mgr_client *c, int64_t sessions0, int64_t objects0, int timeout_ms);

/* A /proc/PID/status figure in KiB ("VmRSS", "VmHWM" the peak), or -1. */
int64_t h_proc_kb(pid_t pid, const char *field);
/* CPU time (user + system, ms) pid has used, or -1. */
int64_t h_proc_cpu_ms(pid_t pid);

/* ---- child programs ---------------------------------------------------- */

#define H_PIPE_IN    1 /* the child's stdin is a pipe (in_fd) */
#define H_PIPE_OUT   2 /* the child's stdout is a pipe (out_fd) */
#define H_ERR_TO_OUT 4 /* the child's stderr goes where its stdout goes */
#define H_QUIET_ERR  8 /* the child's stderr goes to /dev/null */

typedef struct h_child {
	pid_t  pid;    /* 0 once reaped */
	int    status; /* wait status once reaped */
	int    in_fd;  /* write end of its stdin, or -1 */
	int    out_fd; /* read end of its stdout, or -1 */
	char   buf[8192];
	size_t len; /* output read but not yet consumed */
} h_child;

/* Starts path with argv (argv[0] included, NULL-terminated) and the current
 * environment changed by env: "NAME=value" sets, "NAME" removes (NULL-
 * terminated list, or NULL). flags: H_PIPE_*. stdin is /dev/null without
 * H_PIPE_IN. */
int h_spawn(h_child *ch, const char *path, char *const argv[],
    const char *const env[], int flags);
/* Reads one line of the child's stdout into line (without the newline),
 * within timeout_ms. 0, -1 on end of file or error, -2 on timeout. */
int h_child_read_line(h_child *ch, char *line, size_t cap, int timeout_ms);
/* Reads the child's stdout until end of file (timeout_ms) into out
 * (NUL-terminated; *len gets its length). 0, -1 on error or overflow, -2
 * on timeout. */
int h_child_read_all(
    h_child *ch, char *out, size_t cap, size_t *len, int timeout_ms);
/* Closes the pipes and waits up to timeout_ms for the child to exit (it is
 * killed and reaped after that). Returns its exit code, 128 + signal, or
 * -1 on timeout. */
int h_child_wait(h_child *ch, int timeout_ms);
/* SIGSTOP to pid, returning once every thread of it is stopped (within
 * timeout_ms). 0, or -1. */
int h_stop_process(pid_t pid, int timeout_ms);
/* Sends sig to the child (if still running). */
int h_child_signal(h_child *ch, int sig);

/* Runs a shell command line (printf's format) to completion within 10 s:
 * its exit code, after a log line with its output when not 0. */
int h_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Headless Chromium's path, or NULL when this machine has none (the
 * browser tests then skip). */
const char *h_chromium(void);
/* The DOM of the page at url once its script ran 4 s of virtual time
 * (profile_dir: Chromium's profile, made when absent), into out (cap
 * bytes); a screenshot into shot instead when it is not NULL. h_run's
 * exit code (0), or -1. */
int h_browse(const char *url, const char *profile_dir, const char *shot,
    char *out, size_t cap);
/* Runs path to completion (timeout_ms), capturing stdout (and stderr with
 * H_ERR_TO_OUT) into out. Returns the exit code, 128 + signal, or -1 on a
 * timeout or error. */
int h_run(const char *path, char *const argv[], const char *const env[],
    int flags, int timeout_ms, char *out, size_t cap);

/* Waits up to timeout_ms (pidfd + poll) for pid, not necessarily a child
 * of ours (nothing is reaped), to end. true when it did (or was gone). */
bool h_await_gone(int64_t pid, int timeout_ms);
/* Waits up to timeout_ms (pidfd + poll) for pid to exit and reaps it into
 * *status. 0, -1 on timeout or error. */
int h_wait_pid(pid_t pid, int timeout_ms, int *status);
/* A wait status as an exit code: WEXITSTATUS, or 128 + the signal. */
int h_exit_code(int status);

/* ---- a data directory (harness_datadir.c) ------------------------------ */

/* A managerd and the --data-dir it keeps, in a temporary folder of its
 * own, for the tests of managerd --data-dir. */
typedef struct h_datadir {
	h_managerd m;
	char       data[300]; /* the data directory (not made yet) */
	char       tmp[256];  /* where it is (removed by h_datadir_free) */
	bool       mounted;   /* a tmpfs mounted on data, to unmount */
} h_datadir;

/* A new one under $TMPDIR (or /tmp), its folder named after what. NULL
 * after saying why. */
h_datadir *h_datadir_new(const char *what);
/* Stops its managerd, unmounts, removes the folder, frees f. */
void h_datadir_free(h_datadir *f);
/* A client of m that reconnects and resumes its session (a lease of 30
 * s), or NULL. */
mgr_client *h_reconnecting(const h_managerd *m);
/* Whether the list l holds 0, 1, ... n - 1, n being acked or acked + 1
 * (an append in flight when managerd was killed may have been applied):
 * 0, or -1 after saying what is off. */
int h_appends_check(mgr_obj *l, size_t acked);

/* ---- raw sockets ------------------------------------------------------- */

/* Connects a plain socket to an ipc:// or tcp://host:port URL (blocking
 * connect, then non-blocking use with poll). fd, or -1. */
int h_raw_connect(const char *url);
/* Writes all of buf within timeout_ms. 0, -1 (closed, error or timeout). */
int h_raw_send(int fd, const void *buf, size_t len, int timeout_ms);
/* Writes a frame: 4-byte big-endian length, then body. */
int h_raw_send_frame(int fd, const void *body, size_t len, int timeout_ms);
/* Reads exactly len bytes within timeout_ms. 0, -1 on end of file or
 * error, -2 on timeout. */
int h_raw_recv(int fd, void *buf, size_t len, int timeout_ms);
/* Reads one frame (length prefix and body) into buf. 0, -1 on end of file,
 * error or a frame over cap, -2 on timeout. */
int h_raw_recv_frame(
    int fd, uint8_t *buf, size_t cap, size_t *len, int timeout_ms);
/* Reads and discards until the peer closes (0), or -1 after timeout_ms. */
int h_raw_await_close(int fd, int timeout_ms);

#endif
