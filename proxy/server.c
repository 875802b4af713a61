/* The embedded manager: a private managerd started by exec (never a bare
 * fork of a threaded process), on an ipc socket in a private 0700 directory,
 * with a random key. It lives until mgr_server_shutdown, or until this
 * process dies: it holds the read end of a "lifeline" pipe whose only write
 * end is ours (close-on-exec, so no other child inherits it). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "internal.h"

extern char **environ;

struct mgr_server {
	pid_t  pid;
	int    lifeline; /* write end */
	char   dir[PATH_MAX];
	char   url[PATH_MAX + 16];
	char  *key;
	size_t keylen;
	char  *log_level;
};

static bool
is_exec(const char *p)
{
	return p != NULL && p[0] != '\0' && access(p, X_OK) == 0;
}

/* dir/name into buf (cap bytes), if it is an executable there. */
static const char *
exec_in(
    const char *dir, size_t dirlen, const char *name, char *buf, size_t cap)
{
	if (dirlen + 1 + strlen(name) + 1 > cap) {
		return NULL;
	}
	memcpy(buf, dir, dirlen);
	buf[dirlen] = '/';
	strcpy(buf + dirlen + 1, name);
	return is_exec(buf) ? buf : NULL;
}

/* managerd: opts.managerd, $MGR_MANAGERD, next to the running program or
 * one directory up from it (a build tree's examples/ and tests/), in the
 * bin/ beside the lib/ libmgr.so was loaded from, in the bin/ of the
 * prefix libmgr was installed to, or NULL (then PATH). No build-tree path
 * is compiled in. */
static const char *
find_managerd(const mgr_opts *opts, char *buf, size_t cap)
{
	const char *found;
	if (opts != NULL && is_exec(opts->managerd)) {
		return opts->managerd;
	}
	if (is_exec(getenv("MGR_MANAGERD"))) {
		return getenv("MGR_MANAGERD");
	}
	char    exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n]      = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL) {
			if ((found = exec_in(exe, (size_t) (slash - exe),
			         "managerd", buf, cap))
			    != NULL) {
				return found;
			}
			*slash   = '\0';
			char *up = strrchr(exe, '/');
			if (up != NULL
			    && (found = exec_in(exe, (size_t) (up - exe),
			            "managerd", buf, cap))
			        != NULL) {
				return found;
			}
		}
	}
	Dl_info di;
	if (dladdr((void *) find_managerd, &di) != 0
	    && di.dli_fname != NULL) {
		char lib[PATH_MAX];
		snprintf(lib, sizeof(lib), "%s", di.dli_fname);
		char *slash = strrchr(lib, '/');
		if (slash != NULL) {
			*slash   = '\0'; // .../lib
			char *up = strrchr(lib, '/');
			if (up != NULL) {
				char bin[PATH_MAX];
				snprintf(bin, sizeof(bin), "%.*s/bin",
				    (int) (up - lib), lib);
				if ((found = exec_in(bin, strlen(bin),
				         "managerd", buf, cap))
				    != NULL) {
					return found;
				}
			}
		}
	}
#ifdef MGR_INSTALL_MANAGERD
	if (is_exec(MGR_INSTALL_MANAGERD)) {
		return MGR_INSTALL_MANAGERD;
	}
#endif
	return NULL;
}

static void
remove_files(mgr_server *s)
{
	char p[PATH_MAX + 16];
	if (s->dir[0] == '\0') {
		return; // never made
	}
	snprintf(p, sizeof(p), "%s/sock", s->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/authkey", s->dir);
	unlink(p);
	rmdir(s->dir);
}

static void
server_free_struct(mgr_server *s)
{
	if (s->key != NULL) {
		memset(s->key, 0, s->keylen);
	}
	free(s->key);
	free(s);
}

/* Waits up to ms for the child to exit; true if it did (and was reaped). */
static bool
wait_exit(pid_t pid, int ms)
{
	int pfd = (int) syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		int           r;
		do {
			r = poll(&p, 1, ms);
		} while (r < 0 && errno == EINTR);
		close(pfd);
		return r > 0 && waitpid(pid, NULL, 0) == pid;
	}
	// No pidfd (old kernel): poll waitpid.
	for (int waited = 0; waited <= ms; waited += 10) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			return true;
		}
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Reads managerd's ready pipe until "ready" (0), EOF or timeout. */
static int
await_ready(int fd, int ms)
{
	char   buf[1024];
	size_t len = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int           r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			return MGR_ETIMEDOUT;
		}
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return MGR_ECONN; // exited before it was ready
		}
		len += (size_t) n;
		buf[len] = '\0';
		if (strstr(buf, "ready\n") != NULL) {
			return 0;
		}
		if (len == sizeof(buf) - 1) {
			len = 0;
		}
	}
}

/* The key: the caller's, or a fresh random one (text). */
static int
take_key(mgr_server *s, const mgr_opts *opts)
{
	if (opts != NULL && opts->authkey != NULL && opts->authkey_len > 0) {
		s->keylen = opts->authkey_len;
		s->key    = malloc(s->keylen);
		if (s->key != NULL) {
			memcpy(s->key, opts->authkey, s->keylen);
		}
	} else {
		s->key    = malloc(65);
		s->keylen = 64;
		if (s->key != NULL && auth_random_key(s->key) != 0) {
			return MGR_EINTERNAL;
		}
	}
	return s->key == NULL ? MGR_ENOMEM : 0;
}

/* A private 0700 directory for the socket and the key file (0600). */
static int
make_dir(mgr_server *s, char *keypath, size_t cap)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(s->dir, sizeof(s->dir), "%s/mgr-XXXXXX",
	    tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(s->dir) == NULL) {
		client_set_detail("mkdtemp: %s", strerror(errno));
		s->dir[0] = '\0';
		return MGR_EINTERNAL;
	}
	snprintf(keypath, cap, "%s/authkey", s->dir);
	snprintf(s->url, sizeof(s->url), "ipc://%s/sock", s->dir);
	int kfd
	    = open(keypath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (kfd < 0 || write(kfd, s->key, s->keylen) != (ssize_t) s->keylen) {
		client_set_detail(
		    "cannot write %s: %s", keypath, strerror(errno));
		if (kfd >= 0) {
			close(kfd);
		}
		return MGR_EINTERNAL;
	}
	close(kfd);
	return 0;
}

/* Starts managerd (exec'ed: nothing forked runs our code) with the
 * ready pipe on fd 3 and the lifeline on fd 4; *ready_rd is the end to
 * read "ready" from. */
static int
spawn_managerd(mgr_server *s, const mgr_opts *opts, const char *managerd,
    const char *keypath, int *ready_rd)
{
	int ready[2], life[2];
	if (pipe2(ready, O_CLOEXEC) != 0) {
		return MGR_EINTERNAL;
	}
	if (pipe2(life, O_CLOEXEC) != 0) {
		close(ready[0]);
		close(ready[1]);
		return MGR_EINTERNAL;
	}
	const char *level
	    = opts && opts->log_level ? opts->log_level : "warn";
	char *argv[] = { (char *) (managerd ? managerd : "managerd"),
		"--listen", s->url, "--authkey-file", (char *) keypath,
		"--ready-fd", "3", "--lifeline-fd", "4", "--log-level",
		(char *) level, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ready[1], 3);
	posix_spawn_file_actions_adddup2(&fa, life[0], 4);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int   rv = managerd
	      ? posix_spawn(&pid, managerd, &fa, NULL, argv, environ)
	      : posix_spawnp(&pid, "managerd", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(ready[1]);
	close(life[0]);
	if (rv != 0) {
		client_set_detail(managerd != NULL
		        ? "cannot start managerd (%s): %s"
		        : "managerd not found (looked at opts.managerd, "
		          "$MGR_MANAGERD, beside and above the program, "
		          "beside "
		          "libmgr's lib/, the install prefix and PATH): %s%s",
		    managerd != NULL ? managerd : "", strerror(rv));
		close(ready[0]);
		close(life[1]);
		return MGR_ECONN;
	}
	s->pid      = pid;
	s->lifeline = life[1];
	*ready_rd   = ready[0];
	return 0;
}

int
mgr_server_start(mgr_server **server, const mgr_opts *opts)
{
	char        exe[PATH_MAX];
	char        keypath[PATH_MAX + 16];
	const char *managerd;
	int         rv, ready_rd;
	client_set_detail(NULL); // this call's failure, not an earlier one's

	ARG_NONNULL(server);
	mgr_server *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return MGR_ENOMEM;
	}
	s->lifeline = -1;
	managerd    = find_managerd(opts, exe, sizeof(exe));
	if ((rv = take_key(s, opts)) != 0) {
		server_free_struct(s);
		return rv;
	}
	if ((rv = make_dir(s, keypath, sizeof(keypath))) != 0
	    || (rv = spawn_managerd(s, opts, managerd, keypath, &ready_rd))
	        != 0) {
		remove_files(s);
		server_free_struct(s);
		return rv;
	}
	int64_t tmo = opts && opts->connect_timeout > 0
	    ? opts->connect_timeout
	    : 10000;
	rv          = await_ready(ready_rd, (int) tmo);
	close(ready_rd);
	if (rv != 0) {
		client_set_detail("managerd (%s) did not start",
		    managerd ? managerd : "from PATH");
		mgr_server_shutdown(s);
		return MGR_ECONN;
	}
	*server = s;
	return 0;
}

const char *
mgr_server_url(mgr_server *s)
{
	return s != NULL ? s->url : NULL;
}

const void *
mgr_server_authkey(mgr_server *s, size_t *len)
{
	if (s == NULL) {
		return NULL;
	}
	if (len != NULL) {
		*len = s->keylen;
	}
	return s->key;
}

int
mgr_server_connect(mgr_server *s, mgr_client **client)
{
	ARG_NONNULL(s);
	ARG_NONNULL(client);
	mgr_opts o = { .authkey = s->key, .authkey_len = s->keylen };
	return mgr_connect(client, s->url, &o);
}

int
mgr_server_shutdown(mgr_server *s)
{
	if (s == NULL) {
		return 0;
	}
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		if (!wait_exit(s->pid, 5000)) {
			kill(s->pid, SIGKILL);
			wait_exit(s->pid, 5000);
		}
	}
	if (s->lifeline >= 0) {
		close(s->lifeline);
	}
	remove_files(s);
	server_free_struct(s);
	return 0;
}
