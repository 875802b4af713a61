/* Worker processes: Python's Process with the spawn start method. The
 * parent execs a program (this one by default) with the entry's name, the
 * manager's URL and the proxies' tokens in the environment and the key on
 * an inherited pipe; mgr_process_serve in the child does the rest. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

#define ENV_ENTRY   "MGR_PROCESS_ENTRY"
#define ENV_OBJS    "MGR_PROCESS_OBJS"
#define ENV_KEYFD   "MGR_PROCESS_KEYFD"
#define ENV_NAME    "MGR_PROCESS_NAME"
#define ENV_DAEMON  "MGR_PROCESS_DAEMON" /* the parent's pid, or 0 */
#define CHILD_KEYFD 3
#define NAME_MAX_   64

struct mgr_process {
	pid_t pid;
	char  name[NAME_MAX_];
	/* Atomic: a pool's thread may kill a child another thread joins. */
	atomic_bool reaped;
	int         status;
};

static fn_table entries = FN_TABLE_INIT;

int
mgr_process_register(const char *name, mgr_entry_fn fn)
{
	ARG_NONNULL(name);
	ARG_CHECK(name[0] != '\0', name, "is empty");
	ARG_NONNULL(fn);
	ARG_CHECK(strchr(name, '=') == NULL, name, "holds a '='");
	return fn_table_set(&entries, name, (fn_any) fn);
}

/* ---- the child's side ----------------------------------------------------
 */

static char *
read_key(int fd, size_t *len)
{
	size_t cap = 256, n = 0;
	char  *buf = malloc(cap);
	while (buf != NULL) {
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k <= 0) {
			break;
		}
		n += (size_t) k;
		if (n == cap) {
			char *nb = cap < 65536 ? realloc(buf, cap * 2) : NULL;
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	*len = n;
	return buf;
}

/* This process's name (mgr_current_process_name): its parent gave it. */
static char current_name[NAME_MAX_] = "MainProcess";

const char *
mgr_current_process_name(void)
{
	return current_name;
}

/* A daemon child's watch on its parent: pidfd_open works on any process,
 * and a pidfd is readable once its process has ended. */
static void *
watch_parent(void *arg)
{
	int           fd = (int) (intptr_t) arg;
	struct pollfd pp = { .fd = fd, .events = POLLIN };
	while (poll(&pp, 1, -1) < 0 && errno == EINTR) { }
	kill(getpid(), SIGKILL); // the parent is gone: so is its daemon
	return NULL;
}

/* A daemon child dies with its parent (Python's daemon, and also when the
 * parent is SIGKILLed): a thread waits on the parent's pidfd. The parent
 * is checked after the pidfd is open, so one that ended before is seen. */
static int
follow_parent(const char *daemon)
{
	pid_t parent = daemon != NULL ? (pid_t) atol(daemon) : 0;
	if (parent <= 0) {
		return 0;
	}
	int fd = (int) syscall(SYS_pidfd_open, parent, 0);
	if (fd < 0 || getppid() != parent) {
		return -1; // gone already
	}
	pthread_t      th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int rv
	    = pthread_create(&th, &at, watch_parent, (void *) (intptr_t) fd);
	pthread_attr_destroy(&at);
	return rv == 0 ? 0 : -1;
}

static int
run_entry(const char *name, int argc, char **argv)
{
	mgr_entry_fn fn
	    = (mgr_entry_fn) fn_table_get(&entries, name, strlen(name));
	if (fn == NULL) {
		fprintf(
		    stderr, "mgr_process_serve: no entry named '%s'\n", name);
		return 2;
	}
	const char *url    = getenv("MGR_URL");
	const char *keyfd  = getenv(ENV_KEYFD);
	const char *toks   = getenv(ENV_OBJS);
	size_t      keylen = 0;
	char       *key    = NULL;
	if (keyfd != NULL) {
		int fd = atoi(keyfd);
		key    = read_key(fd, &keylen);
		close(fd);
	}
	char *tokens = strdup(toks ? toks : "");
	if (getenv(ENV_NAME) != NULL) {
		snprintf(current_name, sizeof(current_name), "%s",
		    getenv(ENV_NAME));
	}
	if (follow_parent(getenv(ENV_DAEMON)) != 0) {
		free(tokens);
		free(key);
		return 1; // a daemon whose parent is gone
	}
	// Grandchildren must not take this process's role.
	unsetenv(ENV_ENTRY);
	unsetenv(ENV_OBJS);
	unsetenv(ENV_KEYFD);
	unsetenv(ENV_NAME);
	unsetenv(ENV_DAEMON);

	mgr_client *c    = NULL;
	mgr_opts    o    = { .authkey = key,
		      .authkey_len    = keylen,
		      .client_name    = current_name[0] ? current_name : NULL };
	int         rv   = 1;
	size_t      n    = 0;
	mgr_obj   **objs = NULL;
	if (url == NULL || key == NULL || keylen == 0 || tokens == NULL) {
		fprintf(
		    stderr, "mgr_process_serve: started without a manager\n");
		goto out;
	}
	int err = mgr_connect(&c, url, &o);
	if (err != 0) {
		fprintf(stderr, "mgr_process_serve: connect %s: %s (%s)\n",
		    url, mgr_strerror(err), mgr_errdetail());
		goto out;
	}
	for (const char *t = tokens; *t; t++) {
		n += *t == ',';
	}
	n    = tokens[0] ? n + 1 : 0;
	objs = calloc(n ? n : 1, sizeof(*objs));
	if (objs == NULL) {
		goto out;
	}
	char  *save = NULL;
	size_t i    = 0;
	for (char *t = strtok_r(tokens, ",", &save); t != NULL && i < n;
	     t       = strtok_r(NULL, ",", &save), i++) {
		if ((err = mgr_attach(c, t, &objs[i])) != 0) {
			fprintf(stderr, "mgr_process_serve: attach %s: %s\n",
			    t, mgr_strerror(err));
			goto out;
		}
	}
	rv = fn(c, objs, n, argc, argv);
out:
	for (size_t k = 0; objs != NULL && k < n; k++) {
		mgr_obj_release(objs[k]);
	}
	free(objs);
	mgr_disconnect(c);
	if (key != NULL) {
		memset(key, 0, keylen);
	}
	free(key);
	free(tokens);
	return rv & 0xff;
}

int
mgr_process_serve(int argc, char **argv)
{
	const char *name = getenv(ENV_ENTRY);
	if (name == NULL || name[0] == '\0') {
		return 0;
	}
	char *copy = strdup(name);
	int   rv   = copy ? run_entry(copy, argc, argv) : 1;
	free(copy);
	fflush(NULL);
	exit(rv);
}

/* ---- the parent's side ---------------------------------------------------
 */

#define NMINE 6 /* the variables child_env sets */

/* Whether var ("NAME=value") is one of ours. */
static bool
is_mine(const char *var)
{
	static const char *const mine[NMINE] = { "MGR_URL=", ENV_ENTRY "=",
		ENV_OBJS "=", ENV_KEYFD "=", ENV_NAME "=", ENV_DAEMON "=" };
	for (int i = 0; i < NMINE; i++) {
		if (strncmp(var, mine[i], strlen(mine[i])) == 0) {
			return true;
		}
	}
	return false;
}

/* A copy of environ with our variables replaced (the last NMINE); freed
 * by free_env. */
static char **
child_env(const char *url, const char *entry, const char *tokens,
    const char *name, pid_t daemon_parent)
{
	size_t n = 0;
	while (environ[n] != NULL) {
		n++;
	}
	char **env = calloc(n + NMINE + 1, sizeof(*env));
	if (env == NULL) {
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_mine(environ[i])) {
			env[k++] = environ[i];
		}
	}
	int bad = 0;
	bad |= asprintf(&env[k + 0], "MGR_URL=%s", url) < 0;
	bad |= asprintf(&env[k + 1], ENV_ENTRY "=%s", entry) < 0;
	bad |= asprintf(&env[k + 2], ENV_OBJS "=%s", tokens) < 0;
	bad |= asprintf(&env[k + 3], ENV_KEYFD "=%d", CHILD_KEYFD) < 0;
	bad |= asprintf(&env[k + 4], ENV_NAME "=%s", name) < 0;
	bad |= asprintf(&env[k + 5], ENV_DAEMON "=%ld", (long) daemon_parent)
	    < 0;
	if (bad) {
		for (int i = 0; i < NMINE; i++) {
			free(env[k
			    + (size_t) i]); // calloc's NULL where it failed
		}
		free(env);
		return NULL;
	}
	return env;
}

static void
free_env(char **env)
{
	size_t n = 0;
	while (env[n] != NULL) {
		n++;
	}
	for (size_t i = n - NMINE; i < n; i++) {
		free(env[i]);
	}
	free(env);
}

/* Process-N's N: Python counts the processes a program started. */
static atomic_uint process_count;

/* The tokens of objs, comma-separated, in *out (the caller frees it).
 * MGR_EINVAL for a proxy of another client, MGR_ENOMEM. */
static int
tokens_of(mgr_client *c, mgr_obj *const *objs, size_t n, char **out)
{
	// A token is at most 55 bytes ("bounded_semaphore:", 20 digits,
	// ':', 16 hex digits), 56 with its comma.
	size_t cap = n * 64 + 1, len = 0;
	char  *tokens = malloc(cap);
	if (tokens == NULL) {
		return MGR_ENOMEM;
	}
	tokens[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (objs[i] == NULL || mgr_obj_client(objs[i]) != c) {
			free(tokens);
			client_set_detail(
			    "proxy %zu is NULL or of another client", i);
			return MGR_EINVAL;
		}
		if (i > 0) {
			tokens[len++] = ',';
		}
		if (mgr_obj_token(objs[i], tokens + len, cap - len) != 0) {
			free(tokens);
			return MGR_EINTERNAL;
		}
		len += strlen(tokens + len);
	}
	*out = tokens;
	return 0;
}

int
mgr_process_start(mgr_client *c, const char *entry, mgr_obj *const *objs,
    size_t nobjs, const mgr_process_opts *opts, mgr_process **p)
{
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(c);
	ARG_NONNULL(entry);
	ARG_CHECK(entry[0] != '\0', entry, "is empty");
	ARG_NONNULL(p);
	ARG_CHECK(
	    !(nobjs > 0 && objs == NULL), objs, "is NULL with nobjs > 0");
	char *tokens;
	int   trv = tokens_of(c, objs, nobjs, &tokens);
	if (trv != 0) {
		return trv;
	}

	// The program: opts->exe, or this one.
	char        self[4096];
	const char *exe = opts != NULL ? opts->exe : NULL;
	if (exe == NULL) {
		ssize_t n
		    = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0) {
			free(tokens);
			return MGR_EINTERNAL;
		}
		self[n] = '\0';
		exe     = self;
	}
	size_t nextra = 0;
	while (opts != NULL && opts->argv != NULL
	    && opts->argv[nextra] != NULL) {
		nextra++;
	}
	char       **argv = calloc(nextra + 2, sizeof(*argv));
	mgr_process *proc = calloc(1, sizeof(*proc));
	if (proc != NULL && opts != NULL && opts->name != NULL) {
		snprintf(proc->name, sizeof(proc->name), "%s", opts->name);
	} else if (proc != NULL) {
		snprintf(proc->name, sizeof(proc->name), "Process-%u",
		    atomic_fetch_add(&process_count, 1) + 1);
	}
	bool   daemon = opts != NULL && opts->daemon;
	char **env    = proc == NULL ? NULL
	                             : child_env(client_url(c), entry, tokens,
	                                 proc->name, daemon ? getpid() : 0);
	free(tokens);
	int kp[2] = { -1, -1 };
	if (argv == NULL || env == NULL || proc == NULL
	    || pipe2(kp, O_CLOEXEC) != 0) {
		free(argv);
		if (env != NULL) {
			free_env(env);
		}
		free(proc);
		return MGR_ENOMEM;
	}
	argv[0] = (char *) exe;
	for (size_t i = 0; i < nextra; i++) {
		argv[i + 1] = opts->argv[i];
	}

	// The key goes through a pipe the child reads once: not in argv,
	// not in the environment.
	size_t      keylen;
	const void *key = client_key(c, &keylen);
	int         rv  = 0;
	if (keylen > 65536 || write(kp[1], key, keylen) != (ssize_t) keylen) {
		rv = MGR_EINTERNAL;
	}
	close(kp[1]);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, kp[0], CHILD_KEYFD);
	if (rv == 0) {
		rv = posix_spawn(&proc->pid, exe, &fa, NULL, argv, env);
		if (rv != 0) {
			client_set_detail(
			    "cannot start %s: %s", exe, strerror(rv));
			rv = MGR_EINVAL;
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	close(kp[0]);
	free(argv);
	free_env(env);
	if (rv != 0) {
		free(proc);
		return rv;
	}
	*p = proc;
	return 0;
}

static void
record(mgr_process *p, int st)
{
	p->reaped = true;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st)
	    : WIFSIGNALED(st)     ? -WTERMSIG(st)
	                          : -1;
}

int
mgr_process_join(mgr_process *p, int64_t timeout, int *status)
{
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(p);
	if (!p->reaped) {
		int st;
		int pfd = (int) syscall(SYS_pidfd_open, p->pid, 0);
		if (pfd >= 0) {
			struct pollfd pp = { .fd = pfd, .events = POLLIN };
			int           r;
			do {
				r = poll(
				    &pp, 1, timeout < 0 ? -1 : (int) timeout);
			} while (r < 0 && errno == EINTR);
			close(pfd);
			if (r == 0) {
				return MGR_ETIMEDOUT;
			}
			if (waitpid(p->pid, &st, 0) == p->pid) {
				record(p, st);
			}
		} else {
			// No pidfd (old kernel, valgrind): poll waitpid.
			for (int64_t waited = 0;; waited += 5) {
				pid_t r = waitpid(p->pid, &st, WNOHANG);
				if (r == p->pid) {
					record(p, st);
					break;
				}
				if (r < 0) {
					break; // not ours to wait for: below
				}
				if (timeout >= 0 && waited >= timeout) {
					return MGR_ETIMEDOUT;
				}
				struct timespec ts = { 0, 5 * 1000000 };
				nanosleep(&ts, NULL);
			}
		}
		if (!p->reaped) {
			// Reaped by someone else (SIGCHLD ignored, or a
			// waitpid(-1) of the program's own).
			client_set_detail(
			    "process %ld could not be waited for: "
			    "%s",
			    (long) p->pid, strerror(errno));
			return MGR_ESTATE;
		}
	}
	if (status != NULL) {
		*status = p->status;
	}
	return 0;
}

int
mgr_process_is_alive(mgr_process *p, bool *alive)
{
	client_set_detail(NULL);
	ARG_NONNULL(p);
	ARG_NONNULL(alive);
	*alive = false;
	if (p->reaped) {
		return 0;
	}
	// WNOWAIT: an ended child stays to be joined.
	siginfo_t si = { 0 };
	if (waitid(P_PID, (id_t) p->pid, &si, WEXITED | WNOHANG | WNOWAIT)
	    != 0) {
		return 0; // reaped by someone else: not alive either
	}
	*alive = si.si_pid == 0;
	return 0;
}

int
mgr_process_exitcode(mgr_process *p, int *code)
{
	client_set_detail(NULL);
	ARG_NONNULL(p);
	ARG_NONNULL(code);
	int rv = mgr_process_join(p, 0, code);
	if (rv == MGR_ETIMEDOUT) {
		client_set_detail("process %ld still runs", (long) p->pid);
		return MGR_ESTATE;
	}
	return rv;
}

const char *
mgr_process_name(mgr_process *p)
{
	return p != NULL ? p->name : "";
}

size_t
mgr_cpu_count(void)
{
	// The CPUs this process may run on (taskset, cgroups' cpusets), as
	// Python's os.process_cpu_count.
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		int n = CPU_COUNT(&set);
		if (n > 0) {
			return (size_t) n;
		}
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (size_t) n : 1;
}

int64_t
mgr_process_pid(mgr_process *p)
{
	return p != NULL ? (int64_t) p->pid : -1;
}

int
mgr_process_terminate(mgr_process *p)
{
	ARG_NONNULL(p);
	if (!p->reaped) {
		kill(p->pid, SIGTERM);
	}
	return 0;
}

int
mgr_process_kill(mgr_process *p)
{
	ARG_NONNULL(p);
	if (!p->reaped) {
		kill(p->pid, SIGKILL);
	}
	return 0;
}

int
mgr_process_free(mgr_process *p)
{
	if (p == NULL) {
		return 0;
	}
	if (!p->reaped) {
		kill(p->pid, SIGKILL);
		mgr_process_join(p, MGR_FOREVER, NULL);
	}
	free(p);
	return 0;
}
