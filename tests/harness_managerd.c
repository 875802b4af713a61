/* Test harness: managerd instances (a test's own, or a test group's),
 * their certificates, logs and clients (harness.h). */
#include "harness.h"
#include "harness_int.h"
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

bool
h_transport_is_tls(h_transport t)
{
	return t == H_TLS || t == H_WSS || t == H_NNG_TLS;
}

const char *
h_transport_name(h_transport t)
{
	static const char *const names[] = { "ipc", "tcp", "nng ipc",
		"nng tcp", "tls+tcp", "ws", "wss", "nng tls+tcp" };
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
h_managerd_log_line_has(
    const h_managerd *m, const char *a, const char *b, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	for (;;) {
		FILE *f = fopen(m->logfile, "r");
		if (f != NULL) {
			char line[1024];
			bool found = false;
			while (
			    !found && fgets(line, sizeof(line), f) != NULL) {
				found = strstr(line, a) != NULL
				    && (b == NULL || strstr(line, b) != NULL);
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

int
h_managerd_log_count(const h_managerd *m, const char *needle)
{
	FILE *f = fopen(m->logfile, "r");
	if (f == NULL) {
		return -1;
	}
	char line[1024];
	int  n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		n += strstr(line, needle) != NULL;
	}
	fclose(f);
	return n;
}

bool
h_managerd_log_has(const h_managerd *m, const char *needle, int timeout_ms)
{
	return h_managerd_log_line_has(m, needle, NULL, timeout_ms);
}

static void
remove_files(h_managerd *m)
{
	char p[400];
	if (m->dir[0] == '\0') {
		return;
	}
	h_live_drop(m->dir);
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
	h_live_set(m->dir, 0, m->keyfile, m->logfile);
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
	if (logfd < 0 || (logfd = h_high_fd(logfd)) < 0) {
		h_log("cannot open %s: %s", m->logfile, strerror(errno));
		return -1;
	}
	if (h_high_pipe(ready) != 0) {
		close(logfd);
		return -1;
	}
	if (h_high_pipe(life) != 0) {
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
	if (h_transport_is_tls(m->t)) {
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
	char            **envp    = h_make_env(unset);
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
	h_live_set(m->dir, pid, m->keyfile, m->logfile);
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
	if (h_transport_is_tls(t) && h_cert_dir() == NULL) {
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
	case H_NNG_TLS:
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
	const char *opt = t == H_NNG_IPC || t == H_NNG_TCP || t == H_NNG_TLS
	    ? "--listen-nng"
	    : "--listen";
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
	h_live_set(m->dir, 0, m->keyfile, m->logfile);
	close_lifeline(m);
	return rv;
}

int
h_managerd_term(h_managerd *m)
{
	if (m->pid <= 0) {
		return -1;
	}
	kill(m->pid, SIGTERM);
	int code = -1;
	if (h_wait_pid(m->pid, H_STOP_MS, &m->status) == 0) {
		code = h_exit_code(m->status);
	} else {
		kill(m->pid, SIGKILL);
		h_wait_pid(m->pid, H_STOP_MS, &m->status);
	}
	m->pid = 0;
	h_live_set(m->dir, 0, m->keyfile, m->logfile);
	close_lifeline(m);
	return code;
}

int
h_managerd_restart(h_managerd *m, const char *const *extra)
{
	if (m->pid > 0) {
		return -1;
	}
	const char *opt
	    = m->t == H_NNG_IPC || m->t == H_NNG_TCP || m->t == H_NNG_TLS
	    ? "--listen-nng"
	    : "--listen";
	char listen[sizeof(m->url)];
	snprintf(listen, sizeof(listen), "%s", m->url);
	int ready_rd;
	if (spawn(m, h_managerd_path(), opt, listen, extra, &ready_rd) != 0) {
		return -1;
	}
	int rv = await_ready(m, ready_rd, h_now_ms() + H_START_MS);
	close(ready_rd);
	if (rv != 0) {
		h_log("managerd restarted on %s %s", listen,
		    rv == -2 ? "was not ready in time"
		             : "exited before ready");
		if (h_wait_pid(m->pid, rv == -2 ? 0 : H_STOP_MS, &m->status)
		    == 0) {
			m->pid = 0;
		}
		h_managerd_dump_log(m);
		return -1;
	}
	return 0;
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
	if (h_transport_is_tls(m->t)) {
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
		     { "wss", H_WSS }, { "nng-tls", H_NNG_TLS } };
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
	if (h_transport_is_tls(t)) {
		setenv("MGR_TLS_CA_FILE", m->ca_file, 1);
	}
	h_log("the group's manager listens on %s", m->url);
	if (env_url != NULL) {
		snprintf(env_url, url_cap, "MGR_URL=%s", m->url);
	}
	if (env_key != NULL) {
		snprintf(env_key, key_cap, "MGR_AUTHKEY=%s", m->key);
	}
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
