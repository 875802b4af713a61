/* Test harness: time, managerd instances, child programs, statistics
 * (harness.h); the bytes in and out of children and raw sockets are in
 * harness_io.c. */
#include "harness.h"
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void
h_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "harness: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* ---- time -------------------------------------------------------------- */

int64_t
h_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
h_nap(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) { }
}

int
h_left_ms(int64_t deadline)
{
	int64_t l = deadline - h_now_ms();
	return l < 0 ? 0 : (int) l;
}

int
h_poll_one(int fd, short events, int64_t deadline, short *revents)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int           r = poll(&p, 1, h_left_ms(deadline));
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (revents != NULL) {
			*revents = r > 0 ? p.revents : 0;
		}
		return r;
	}
}

/* ---- live managerd instances ------------------------------------------- */

/* What the watchdog cleans up if the test never gets to: the managerd
 * instances started and not yet stopped, and their directories. */
typedef struct live_entry {
	pid_t pid;
	char  dir[256];
	char  keyfile[300];
	char  logfile[300];
} live_entry;

static pthread_mutex_t live_mtx = PTHREAD_MUTEX_INITIALIZER;
static live_entry      live[64];

static void
live_set(const char *dir, pid_t pid, const char *keyfile, const char *logfile)
{
	pthread_mutex_lock(&live_mtx);
	live_entry *free_slot = NULL, *e = NULL;
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (live[i].dir[0] != '\0' && strcmp(live[i].dir, dir) == 0) {
			e = &live[i];
		} else if (live[i].dir[0] == '\0' && free_slot == NULL) {
			free_slot = &live[i];
		}
	}
	if (e == NULL) {
		e = free_slot;
	}
	if (e != NULL) {
		e->pid = pid;
		snprintf(e->dir, sizeof(e->dir), "%s", dir);
		snprintf(e->keyfile, sizeof(e->keyfile), "%s", keyfile);
		snprintf(e->logfile, sizeof(e->logfile), "%s", logfile);
	}
	pthread_mutex_unlock(&live_mtx);
}

static void
live_drop(const char *dir)
{
	pthread_mutex_lock(&live_mtx);
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (live[i].dir[0] != '\0' && strcmp(live[i].dir, dir) == 0) {
			live[i].dir[0] = '\0';
			live[i].pid    = 0;
		}
	}
	pthread_mutex_unlock(&live_mtx);
}

/* Prints the logs of the live instances, kills them and removes their
 * files (the watchdog, before it ends the process). */
static void
live_kill_all(void)
{
	pthread_mutex_lock(&live_mtx);
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		live_entry *e = &live[i];
		if (e->dir[0] == '\0') {
			continue;
		}
		FILE *f = fopen(e->logfile, "r");
		if (f != NULL) {
			char line[1024];
			fprintf(stderr, "---- managerd log (%s) ----\n",
			    e->logfile);
			while (fgets(line, sizeof(line), f) != NULL) {
				fputs(line, stderr);
			}
			fprintf(stderr, "---- end of managerd log ----\n");
			fclose(f);
		}
		if (e->pid > 0) {
			kill(e->pid, SIGKILL);
		}
		char p[400];
		snprintf(p, sizeof(p), "%s/sock", e->dir);
		unlink(p);
		unlink(e->keyfile);
		unlink(e->logfile);
		rmdir(e->dir);
		e->dir[0] = '\0';
	}
	pthread_mutex_unlock(&live_mtx);
}

/* ---- watchdog ---------------------------------------------------------- */

static pthread_mutex_t wd_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  wd_cv;
static bool            wd_started;
static bool            wd_armed;
static int64_t         wd_deadline;
static int             wd_seconds;
static char            wd_what[200];

static void *
wd_main(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&wd_mtx);
	for (;;) {
		if (!wd_armed) {
			pthread_cond_wait(&wd_cv, &wd_mtx);
			continue;
		}
		int64_t now = h_now_ms();
		if (now >= wd_deadline) {
			fprintf(stderr,
			    "harness: watchdog: %s still running after %d s "
			    "(a call that never returns?); exiting\n",
			    wd_what, wd_seconds);
			live_kill_all();
			fflush(NULL);
			_exit(99);
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t left = wd_deadline - now;
		ts.tv_sec += left / 1000;
		ts.tv_nsec += (left % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wd_cv, &wd_mtx, &ts);
	}
	return NULL;
}

void
h_watchdog_arm(int seconds, const char *what)
{
	pthread_mutex_lock(&wd_mtx);
	if (!wd_started) {
		pthread_condattr_t a;
		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		pthread_cond_init(&wd_cv, &a);
		pthread_condattr_destroy(&a);
		pthread_t t;
		if (pthread_create(&t, NULL, wd_main, NULL) == 0) {
			pthread_detach(t);
			wd_started = true;
		}
	}
	snprintf(wd_what, sizeof(wd_what), "%s", what);
	wd_seconds  = seconds;
	wd_deadline = h_now_ms() + (int64_t) seconds * 1000;
	wd_armed    = true;
	pthread_cond_signal(&wd_cv);
	pthread_mutex_unlock(&wd_mtx);
}

void
h_watchdog_disarm(void)
{
	pthread_mutex_lock(&wd_mtx);
	wd_armed = false;
	if (wd_started) {
		pthread_cond_signal(&wd_cv);
	}
	pthread_mutex_unlock(&wd_mtx);
}

/* ---- processes --------------------------------------------------------- */

int
h_exit_code(int status)
{
	if (WIFEXITED(status)) {
		return WEXITSTATUS(status);
	}
	if (WIFSIGNALED(status)) {
		return 128 + WTERMSIG(status);
	}
	return -1;
}

int
h_wait_pid(pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	int     st       = 0;
	int     pfd      = (int) syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		int r = h_poll_one(pfd, POLLIN, deadline, NULL);
		close(pfd);
		if (r <= 0) {
			return -1;
		}
		pid_t w;
		while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR) { }
		if (w != pid) {
			return -1;
		}
	} else {
		// No pidfd (an old kernel): poll waitpid, still bounded.
		for (;;) {
			pid_t w = waitpid(pid, &st, WNOHANG);
			if (w == pid) {
				break;
			}
			if (w < 0 || h_now_ms() >= deadline) {
				return -1;
			}
			h_nap(5);
		}
	}
	if (status != NULL) {
		*status = st;
	}
	return 0;
}

/* Moves fd to a number >= 10 (close-on-exec), so that dup2 onto the small
 * numbers of the child never meets one of our own pipe ends. */
static int
high_fd(int fd)
{
	int h = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	close(fd);
	return h;
}

static int
high_pipe(int p[2])
{
	int q[2];
	if (pipe2(q, O_CLOEXEC) != 0) {
		return -1;
	}
	p[0] = high_fd(q[0]);
	p[1] = high_fd(q[1]);
	if (p[0] < 0 || p[1] < 0) {
		if (p[0] >= 0) {
			close(p[0]);
		}
		if (p[1] >= 0) {
			close(p[1]);
		}
		return -1;
	}
	return 0;
}

/* environ changed by env ("NAME=v" sets, "NAME" removes); a malloc'd
 * array of borrowed strings. */
static char **
make_env(const char *const env[])
{
	size_t n = 0, k = 0;
	for (char **e = environ; *e != NULL; e++) {
		n++;
	}
	for (const char *const *e = env; e != NULL && *e != NULL; e++) {
		n++;
	}
	char **out = calloc(n + 1, sizeof(*out));
	if (out == NULL) {
		return NULL;
	}
	for (char **e = environ; *e != NULL; e++) {
		const char *eq  = strchr(*e, '=');
		size_t      nl  = eq ? (size_t) (eq - *e) : strlen(*e);
		bool        cut = false;
		for (const char *const *x = env; x != NULL && *x != NULL;
		     x++) {
			const char *xeq = strchr(*x, '=');
			size_t xl = xeq ? (size_t) (xeq - *x) : strlen(*x);
			if (xl == nl && strncmp(*x, *e, nl) == 0) {
				cut = true;
			}
		}
		if (!cut) {
			out[k++] = *e;
		}
	}
	for (const char *const *x = env; x != NULL && *x != NULL; x++) {
		if (strchr(*x, '=') != NULL) {
			out[k++] = (char *) *x;
		}
	}
	out[k] = NULL;
	return out;
}

int
h_spawn(h_child *ch, const char *path, char *const argv[],
    const char *const env[], int flags)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	memset(ch, 0, sizeof(*ch));
	ch->in_fd  = -1;
	ch->out_fd = -1;
	if (((flags & H_PIPE_IN) && high_pipe(in) != 0)
	    || ((flags & H_PIPE_OUT) && high_pipe(out) != 0)) {
		h_log("pipe: %s", strerror(errno));
		return -1;
	}
	char **envp = make_env(env);
	if (envp == NULL) {
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (flags & H_PIPE_IN) {
		posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	} else {
		posix_spawn_file_actions_addopen(
		    &fa, 0, "/dev/null", O_RDONLY, 0);
	}
	if (flags & H_PIPE_OUT) {
		posix_spawn_file_actions_adddup2(&fa, out[1], 1);
		if (flags & H_ERR_TO_OUT) {
			posix_spawn_file_actions_adddup2(&fa, out[1], 2);
		}
	}
	if (flags & H_QUIET_ERR) {
		posix_spawn_file_actions_addopen(
		    &fa, 2, "/dev/null", O_WRONLY, 0);
	}
	pid_t pid;
	int   rv = posix_spawn(&pid, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	if (in[0] >= 0) {
		close(in[0]);
	}
	if (out[1] >= 0) {
		close(out[1]);
	}
	if (rv != 0) {
		h_log("posix_spawn %s: %s", path, strerror(rv));
		if (in[1] >= 0) {
			close(in[1]);
		}
		if (out[0] >= 0) {
			close(out[0]);
		}
		return -1;
	}
	ch->pid    = pid;
	ch->in_fd  = in[1];
	ch->out_fd = out[0];
	return 0;
}

int
h_child_signal(h_child *ch, int sig)
{
	return ch->pid > 0 ? kill(ch->pid, sig) : -1;
}

int
h_child_wait(h_child *ch, int timeout_ms)
{
	if (ch->in_fd >= 0) {
		close(ch->in_fd);
		ch->in_fd = -1;
	}
	if (ch->out_fd >= 0) {
		close(ch->out_fd);
		ch->out_fd = -1;
	}
	if (ch->pid <= 0) {
		return h_exit_code(ch->status);
	}
	if (h_wait_pid(ch->pid, timeout_ms, &ch->status) != 0) {
		h_log("child %ld did not exit within %d ms: killing it",
		    (long) ch->pid, timeout_ms);
		kill(ch->pid, SIGKILL);
		h_wait_pid(ch->pid, H_STOP_MS, NULL);
		ch->pid = 0;
		return -1;
	}
	ch->pid = 0;
	return h_exit_code(ch->status);
}

int
h_run(const char *path, char *const argv[], const char *const env[],
    int flags, int timeout_ms, char *out, size_t cap)
{
	h_child ch;
	int64_t deadline = h_now_ms() + timeout_ms;
	if (h_spawn(&ch, path, argv, env, flags | H_PIPE_OUT) != 0) {
		return -1;
	}
	int r    = h_child_read_all(&ch, out, cap, NULL, timeout_ms);
	int code = h_child_wait(&ch, h_left_ms(deadline));
	if (r != 0) {
		h_log(
		    "%s: output %s", path, r == -2 ? "timed out" : "failed");
		return -1;
	}
	return code;
}

/* ---- managerd ---------------------------------------------------------- */

const char *
h_managerd_path(void)
{
	const char *p = getenv("MGR_MANAGERD");
	if (p != NULL && p[0] != '\0') {
		return p;
	}
#ifdef MGR_MANAGERD_PATH
	return MGR_MANAGERD_PATH;
#else
	return "managerd";
#endif
}

const char *
h_transport_name(h_transport t)
{
	static const char *const names[]
	    = { "ipc", "tcp", "nng ipc", "nng tcp", "tls+tcp", "ws", "wss" };
	return (unsigned) t < sizeof(names) / sizeof(names[0]) ? names[t]
	                                                       : "?";
}

static char           cert_dir[300];
static int            cert_state; /* 1: made, -1: failed */
static pthread_once_t cert_once = PTHREAD_ONCE_INIT;

static void
make_certs(void)
{
	cert_state = -1;
#if defined(MGR_TESTS_DIR) && defined(MGR_SOURCE_DIR)
	snprintf(cert_dir, sizeof(cert_dir), "%s/certs", MGR_TESTS_DIR);
	char *const argv[]
	    = { "sh", MGR_SOURCE_DIR "/tests/make_certs.sh", cert_dir, NULL };
	char out[4096];
	if (h_run("/bin/sh", argv, NULL, 0, 30000, out, sizeof(out)) == 0) {
		cert_state = 1;
	} else {
		h_log("tests/make_certs.sh failed: %s", out);
	}
#endif
}

const char *
h_cert_dir(void)
{
	pthread_once(&cert_once, make_certs);
	return cert_state > 0 ? cert_dir : NULL;
}

void
h_cert_path(const char *name, char *out, size_t cap)
{
	const char *d = h_cert_dir();
	int         n = snprintf(
	            out, cap, "%s/%s", d != NULL ? d : "/nonexistent", name);
	if (n < 0 || (size_t) n >= cap) {
		snprintf(out, cap, "/nonexistent"); // fails where it is used
	}
}

static int
write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		return -1;
	}
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t) n;
	}
	return close(fd);
}

void
h_managerd_dump_log(const h_managerd *m)
{
	FILE *f = fopen(m->logfile, "r");
	if (f == NULL) {
		return;
	}
	char line[1024];
	fprintf(stderr, "---- managerd log (%s) ----\n", m->logfile);
	while (fgets(line, sizeof(line), f) != NULL) {
		fputs(line, stderr);
	}
	fprintf(stderr, "---- end of managerd log ----\n");
	fclose(f);
}

bool
h_managerd_log_has(const h_managerd *m, const char *needle, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	for (;;) {
		FILE *f = fopen(m->logfile, "r");
		if (f != NULL) {
			char line[1024];
			bool found = false;
			while (
			    !found && fgets(line, sizeof(line), f) != NULL) {
				found = strstr(line, needle) != NULL;
			}
			fclose(f);
			if (found) {
				return true;
			}
		}
		if (h_now_ms() >= deadline) {
			return false;
		}
		h_nap(10);
	}
}

static void
remove_files(h_managerd *m)
{
	char p[400];
	if (m->dir[0] == '\0') {
		return;
	}
	live_drop(m->dir);
	snprintf(p, sizeof(p), "%s/sock", m->dir);
	unlink(p);
	unlink(m->keyfile);
	unlink(m->logfile);
	rmdir(m->dir);
	m->dir[0] = '\0';
}

/* Reads the ready pipe until "ready" (0), end of file (-1) or the deadline
 * (-2); the first line is the URL bound. */
static int
await_ready(h_managerd *m, int fd, int64_t deadline)
{
	char   buf[2048];
	size_t len = 0;
	for (;;) {
		int r = h_poll_one(fd, POLLIN, deadline, NULL);
		if (r == 0) {
			return -2;
		}
		if (r < 0) {
			return -1;
		}
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return -1;
		}
		len += (size_t) n;
		buf[len] = '\0';
		if (strstr(buf, "ready\n") != NULL) {
			char *nl = strchr(buf, '\n');
			*nl      = '\0';
			if (strcmp(buf, "ready") == 0) {
				return -1; // no URL line
			}
			size_t ul = strlen(buf);
			if (ul >= sizeof(m->url)) {
				return -1;
			}
			memcpy(m->url, buf, ul + 1);
			// Later lines: more URLs; those of --metrics and of
			// --http (with its #token=) kept.
			int nmore = 0;
			for (char *line = nl + 1; *line != '\0';) {
				size_t ll = strcspn(line, "\n");
				if (strncmp(line, "http", 4) == 0) {
					bool dash
					    = memmem(line, ll, "#token=", 7)
					    != NULL;
					char *dst = dash ? m->dashboard_url
					                 : m->metrics_url;
					snprintf(dst, sizeof(m->metrics_url),
					    "%.*s", (int) ll, line);
				} else if (nmore < 4 && ll > 0) {
					snprintf(m->more_urls[nmore++],
					    sizeof(m->more_urls[0]), "%.*s",
					    (int) ll, line);
				}
				line += ll + (line[ll] == '\n');
			}
			return 0;
		}
		if (len == sizeof(buf) - 1) {
			return -1;
		}
	}
}

/* m's private directory with a fresh random key in its key file. */
static int
make_dir_and_key(h_managerd *m)
{
	const char *tmp = getenv("TMPDIR");
	uint8_t     raw[32];
	snprintf(m->dir, sizeof(m->dir), "%s/mgrtest-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' && strlen(tmp) < 80 ? tmp : "/tmp");
	if (mkdtemp(m->dir) == NULL) {
		h_log("mkdtemp: %s", strerror(errno));
		m->dir[0] = '\0';
		return -1;
	}
	snprintf(m->keyfile, sizeof(m->keyfile), "%s/authkey", m->dir);
	snprintf(m->logfile, sizeof(m->logfile), "%s/managerd.log", m->dir);
	live_set(m->dir, 0, m->keyfile, m->logfile);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t) sizeof(raw)) {
		h_log("getrandom: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		snprintf(m->key + 2 * i, 3, "%02x", raw[i]);
	}
	m->keylen = 64;
	// The file holds the key and one trailing newline (not part of it).
	char line[66];
	snprintf(line, sizeof(line), "%s\n", m->key);
	if (write_file(m->keyfile, line, 65) != 0) {
		h_log("cannot write %s: %s", m->keyfile, strerror(errno));
		return -1;
	}
	return 0;
}

/* Spawns managerd on listen with the log on its stdout and stderr, the
 * ready pipe on fd 3 and the lifeline on fd 4; *ready_rd is the end to
 * read "ready" from. */
static int
spawn(h_managerd *m, const char *path, const char *listen_opt,
    const char *listen, const char *const *extra, int *ready_rd)
{
	int ready[2], life[2];
	int logfd = open(
	    m->logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0 || (logfd = high_fd(logfd)) < 0) {
		h_log("cannot open %s: %s", m->logfile, strerror(errno));
		return -1;
	}
	if (high_pipe(ready) != 0) {
		close(logfd);
		return -1;
	}
	if (high_pipe(life) != 0) {
		close(ready[0]);
		close(ready[1]);
		close(logfd);
		return -1;
	}
	char        cert[300], key[300];
	const char *argv[40] = { path, listen_opt, listen, "--authkey-file",
		m->keyfile, "--ready-fd", "3", "--lifeline-fd", "4",
		"--log-level", "info" };
	size_t      argc     = 11;
	if (m->t == H_TLS || m->t == H_WSS) {
		h_cert_path("server.crt", cert, sizeof(cert));
		h_cert_path("server.key", key, sizeof(key));
		argv[argc++] = "--tls-cert";
		argv[argc++] = cert;
		argv[argc++] = "--tls-key";
		argv[argc++] = key;
	}
	for (const char *const *e = extra; e != NULL && *e != NULL; e++) {
		if (argc + 1 >= sizeof(argv) / sizeof(argv[0])) {
			break;
		}
		argv[argc++] = *e;
	}
	argv[argc] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, logfd, 1);
	posix_spawn_file_actions_adddup2(&fa, logfd, 2);
	posix_spawn_file_actions_adddup2(&fa, ready[1], 3);
	posix_spawn_file_actions_adddup2(&fa, life[0], 4);
	// The key comes from the file only.
	const char *const unset[] = { "MGR_AUTHKEY", NULL };
	char            **envp    = make_env(unset);
	pid_t             pid     = 0;
	int               rv      = envp == NULL
	                       ? ENOMEM
	                       : posix_spawn(&pid, path, &fa, NULL, (char *const *) argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	close(ready[1]);
	close(life[0]);
	close(logfd);
	if (rv != 0) {
		h_log("posix_spawn %s: %s", path, strerror(rv));
		close(ready[0]);
		close(life[1]);
		return -1;
	}
	m->pid = pid;
	live_set(m->dir, pid, m->keyfile, m->logfile);
	m->lifeline = life[1];
	*ready_rd   = ready[0];
	return 0;
}

int
h_managerd_start(h_managerd *m, h_transport t, const char *const *extra)
{
	const char *path = h_managerd_path();
	char        listen[400];
	int         ready_rd;

	memset(m, 0, sizeof(*m));
	m->lifeline = -1;
	m->t        = t;
	if ((t == H_TLS || t == H_WSS) && h_cert_dir() == NULL) {
		return -1;
	}
	h_cert_path("ca.crt", m->ca_file, sizeof(m->ca_file));
	if (make_dir_and_key(m) != 0) {
		remove_files(m);
		return -1;
	}
	switch (t) {
	case H_TCP:
	case H_NNG_TCP:
		snprintf(listen, sizeof(listen), "tcp://127.0.0.1:0");
		break;
	case H_TLS:
		snprintf(listen, sizeof(listen), "tls+tcp://127.0.0.1:0");
		break;
	case H_WS:
		snprintf(listen, sizeof(listen), "ws://127.0.0.1:0/mgr");
		break;
	case H_WSS:
		snprintf(listen, sizeof(listen), "wss://127.0.0.1:0/mgr");
		break;
	default:
		snprintf(listen, sizeof(listen), "ipc://%s/sock", m->dir);
	}
	const char *opt
	    = t == H_NNG_IPC || t == H_NNG_TCP ? "--listen-nng" : "--listen";
	if (spawn(m, path, opt, listen, extra, &ready_rd) != 0) {
		remove_files(m);
		return -1;
	}
	int rv = await_ready(m, ready_rd, h_now_ms() + H_START_MS);
	close(ready_rd);
	if (rv != 0) {
		h_log("managerd (%s on %s) %s", path, listen,
		    rv == -2 ? "was not ready in time"
		             : "exited before ready");
		if (h_wait_pid(m->pid, rv == -2 ? 0 : H_STOP_MS, &m->status)
		    == 0) {
			h_log("managerd exit status %d",
			    h_exit_code(m->status));
			m->pid = 0;
		}
		h_managerd_dump_log(m);
		h_managerd_cleanup(m);
		return -1;
	}
	return 0;
}

static void
close_lifeline(h_managerd *m)
{
	if (m->lifeline >= 0) {
		close(m->lifeline);
		m->lifeline = -1;
	}
}

int
h_managerd_stop(h_managerd *m)
{
	int code = -1;
	if (m->pid > 0) {
		kill(m->pid, SIGTERM);
		if (h_wait_pid(m->pid, H_STOP_MS, &m->status) == 0) {
			code = h_exit_code(m->status);
		} else {
			h_log("managerd %ld did not exit on SIGTERM within "
			      "%d ms",
			    (long) m->pid, H_STOP_MS);
			kill(m->pid, SIGKILL);
			h_wait_pid(m->pid, H_STOP_MS, &m->status);
		}
		m->pid = 0;
	} else {
		code = h_exit_code(m->status);
	}
	if (code != 0) {
		h_log("managerd exited with %d", code);
		h_managerd_dump_log(m);
	}
	close_lifeline(m);
	remove_files(m);
	return code;
}

int
h_managerd_kill(h_managerd *m)
{
	if (m->pid <= 0) {
		return -1;
	}
	kill(m->pid, SIGKILL);
	int rv = h_wait_pid(m->pid, H_STOP_MS, &m->status);
	m->pid = 0;
	// Reaped: its pid may be reused, so the watchdog must not kill it.
	live_set(m->dir, 0, m->keyfile, m->logfile);
	close_lifeline(m);
	return rv;
}

void
h_managerd_cleanup(h_managerd *m)
{
	if (m->pid > 0) {
		h_managerd_kill(m);
	}
	close_lifeline(m);
	remove_files(m);
}

mgr_opts
h_opts(const h_managerd *m)
{
	mgr_opts o        = { 0 };
	o.authkey         = m->key;
	o.authkey_len     = m->keylen;
	o.connect_timeout = H_START_MS;
	if (m->t == H_TLS || m->t == H_WSS) {
		o.tls_ca_file = m->ca_file;
	}
	return o;
}

int
h_connect(const h_managerd *m, mgr_client **c)
{
	mgr_opts o  = h_opts(m);
	int      rv = mgr_connect(c, m->url, &o);
	if (rv != 0) {
		h_log("mgr_connect %s: %s (%s)", m->url, mgr_strerror(rv),
		    mgr_errdetail());
	}
	return rv;
}

/* ---- a test group's manager ----------------------------------------------
 */

int
h_group_start(h_managerd *m, mgr_client **c, char *env_url, size_t url_cap,
    char *env_key, size_t key_cap)
{
	// MGR_TEST_TRANSPORT runs a suite over another transport (ctest
	// registers some twice); children inherit the CA through the
	// environment.
	static const struct {
		const char *name;
		h_transport t;
	} by_name[]      = { { "tcp", H_TCP }, { "nng-ipc", H_NNG_IPC },
		     { "nng-tcp", H_NNG_TCP }, { "tls", H_TLS }, { "ws", H_WS },
		     { "wss", H_WSS } };
	const char *want = getenv("MGR_TEST_TRANSPORT");
	h_transport t    = H_IPC;
	for (size_t i = 0;
	     want != NULL && i < sizeof(by_name) / sizeof(by_name[0]); i++) {
		if (strcmp(want, by_name[i].name) == 0) {
			t = by_name[i].t;
		}
	}
	if (h_managerd_start(m, t, NULL) != 0 || h_connect(m, c) != 0) {
		return -1;
	}
	if (t == H_TLS || t == H_WSS) {
		setenv("MGR_TLS_CA_FILE", m->ca_file, 1);
	}
	h_log("the group's manager listens on %s", m->url);
	snprintf(env_url, url_cap, "MGR_URL=%s", m->url);
	snprintf(env_key, key_cap, "MGR_AUTHKEY=%s", m->key);
	return 0;
}

int
h_group_stop(h_managerd *m, mgr_client *c)
{
	int64_t objects = -1;
	h_info_int(c, "objects_total", &objects);
	mgr_disconnect(c);
	int code = h_managerd_stop(m);
	if (objects != 0) {
		fprintf(stderr, "%lld objects left\n", (long long) objects);
		return -1;
	}
	return code == 0 ? 0 : -1;
}
