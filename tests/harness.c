/* Test harness: time, the live managerd instances, the watchdog, child
 * programs (harness.h); managerd instances are started and stopped in
 * harness_managerd.c, the bytes in and out of children and raw sockets
 * are in harness_io.c. */
#include "harness.h"
#include "harness_int.h"
#include "wire.h"

#include <arpa/inet.h>
#include <dirent.h>
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

void
h_live_set(
    const char *dir, pid_t pid, const char *keyfile, const char *logfile)
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

void
h_live_drop(const char *dir)
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
int
h_high_fd(int fd)
{
	int h = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	close(fd);
	return h;
}

int
h_high_pipe(int p[2])
{
	int q[2];
	if (pipe2(q, O_CLOEXEC) != 0) {
		return -1;
	}
	p[0] = h_high_fd(q[0]);
	p[1] = h_high_fd(q[1]);
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
char **
h_make_env(const char *const env[])
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
	if (((flags & H_PIPE_IN) && h_high_pipe(in) != 0)
	    || ((flags & H_PIPE_OUT) && h_high_pipe(out) != 0)) {
		h_log("pipe: %s", strerror(errno));
		return -1;
	}
	char **envp = h_make_env(env);
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

/* Whether every thread of pid is stopped ('T' in /proc/PID/task/T/stat). */
static bool
all_stopped(pid_t pid)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int) pid);
	DIR *d = opendir(dir);
	if (d == NULL) {
		return false;
	}
	bool           all = true;
	struct dirent *e;
	while (all && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		char path[sizeof(dir) + sizeof(e->d_name) + 8], buf[512];
		snprintf(path, sizeof(path), "%s/%s/stat", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (f == NULL) {
			continue; // the thread ended
		}
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n]        = '\0';
		const char *p = strrchr(buf, ')'); // past the name
		all           = p != NULL && p[1] == ' ' && p[2] == 'T';
	}
	closedir(d);
	return all;
}

int
h_stop_process(pid_t pid, int timeout_ms)
{
	if (kill(pid, SIGSTOP) != 0) {
		return -1;
	}
	// The stop reaches each thread when it next leaves the kernel: on a
	// busy VM, a thread may run on for a while. The kernel offers
	// nothing to wait on for it (pidfds tell exits only).
	int64_t deadline = h_now_ms() + timeout_ms;
	while (!all_stopped(pid)) {
		if (h_now_ms() >= deadline) {
			h_log("process %d not stopped within %d ms",
			    (int) pid, timeout_ms);
			return -1;
		}
		h_nap(1);
	}
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

bool
h_await_gone(int64_t pid, int timeout_ms)
{
	int fd = (int) syscall(SYS_pidfd_open, (pid_t) pid, 0);
	if (fd < 0) {
		return errno == ESRCH;
	}
	struct pollfd pp = { .fd = fd, .events = POLLIN };
	int           r;
	do {
		r = poll(&pp, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	close(fd);
	return r == 1;
}
