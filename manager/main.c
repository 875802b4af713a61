/* managerd: serves shared objects on the given addresses until SIGTERM or
 * SIGINT (or, for an embedded manager, until its parent goes away). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "http.h"
#include "log.h"
#include "member.h"
#include "mgr.h"
#include "modules.h"
#include "notify.h"
#include "options.h"
#include "server.h"

/* Where a generated key was written, removed at exit (empty: nowhere). */
static char made_key_dir[512], made_key_file[600];

static void
remove_made_key(void)
{
	if (made_key_file[0] != '\0') {
		unlink(made_key_file);
	}
	if (made_key_dir[0] != '\0') {
		rmdir(made_key_dir);
	}
}

/* A fresh random key, written to --authkey-out F (created, 0600), or to
 * a private 0700 directory of unpredictable name under $XDG_RUNTIME_DIR
 * (else $TMPDIR, else /tmp) that goes at exit; its path is printed. */
static int
make_key(const daemon_opts *o, char **key, size_t *len)
{
	char k[65];
	if (auth_random_key(k) != 0) {
		fprintf(stderr, "managerd: no random source for a key\n");
		return -1;
	}
	const char *path = o->authkey_out;
	if (path == NULL) {
		const char *dir = getenv("XDG_RUNTIME_DIR");
		if (dir == NULL || dir[0] == '\0') {
			dir = getenv("TMPDIR");
		}
		snprintf(made_key_dir, sizeof(made_key_dir),
		    "%s/managerd-XXXXXX", dir && dir[0] ? dir : "/tmp");
		if (mkdtemp(made_key_dir) == NULL) {
			fprintf(stderr, "managerd: cannot make %s: %s\n",
			    made_key_dir, strerror(errno));
			made_key_dir[0] = '\0';
			return -1;
		}
		snprintf(made_key_file, sizeof(made_key_file), "%s/authkey",
		    made_key_dir);
		path = made_key_file;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, k, 64) != 64 || close(fd) != 0) {
		fprintf(stderr, "managerd: cannot write the key to %s: %s\n",
		    path, strerror(errno));
		remove_made_key();
		return -1;
	}
	atexit(remove_made_key);
	printf("managerd: no authkey given; generated one in %s%s\n", path,
	    o->authkey_out ? "" : " (removed at exit)");
	*key = strdup(k);
	*len = 64;
	return *key ? 0 : -1;
}

/* Raises the soft descriptor limit to the hard one and gives how many
 * connections fit: the limit less a reserve for listeners, the loops'
 * epoll and event descriptors, key and log files. */
static size_t
connections_that_fit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		return 1000;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want
		    = rl.rlim_max > (1 << 20) ? (1 << 20) : rl.rlim_max;
		if (want > rl.rlim_cur) {
			struct rlimit nl = { want, rl.rlim_max };
			if (setrlimit(RLIMIT_NOFILE, &nl) == 0) {
				rl.rlim_cur = want;
			}
		}
	}
	return rl.rlim_cur > 128 ? (size_t) rl.rlim_cur - 64 : 64;
}

/* The authkey: from --authkey-file, MGR_AUTHKEY, or made afresh. */
static int
load_key(const daemon_opts *o, char **key, size_t *keylen)
{
	const char *env = getenv("MGR_AUTHKEY");
	if (o->keyfile != NULL) {
		// As ssh with its keys: a key others may read is no secret.
		struct stat st;
		if (stat(o->keyfile, &st) != 0) {
			fprintf(stderr,
			    "managerd: cannot read a key from %s: %s\n",
			    o->keyfile, strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr,
			    "managerd: cannot read a key from %s: not a "
			    "file\n",
			    o->keyfile);
			return -1;
		}
		if ((st.st_mode & 077) != 0 && !o->keyfile_insecure) {
			fprintf(stderr,
			    "managerd: %s may be read by other users (mode "
			    "%03o): "
			    "chmod 600 it, or pass --authkey-file-insecure\n",
			    o->keyfile, (unsigned) (st.st_mode & 0777));
			return -1;
		}
		int rv = auth_read_key_file(o->keyfile, key, keylen);
		if (rv != 0) {
			fprintf(stderr,
			    "managerd: cannot read a key from %s: %s\n",
			    o->keyfile,
			    rv == MGR_ENOMEM ? "out of memory"
			        : access(o->keyfile, R_OK) != 0
			        ? strerror(errno)
			        : "empty, or not a key");
			return -1;
		}
		return 0;
	}
	if (env != NULL && env[0] != '\0') {
		*key    = strdup(env);
		*keylen = *key != NULL ? strlen(*key) : 0;
		return *key != NULL ? 0 : -1;
	}
	return make_key(o, key, keylen);
}

/* The token of the dashboard (--http) and of /metrics: the first line of
 * --http-token-file, else 32 random bytes in hex. 0, or -1 with why. */
static int
http_token(const daemon_opts *o, char token[65], char *why, size_t whycap)
{
	char  *file = NULL;
	size_t len  = 0;
	if (o->http_token_file != NULL) {
		if (auth_read_key_file(o->http_token_file, &file, &len)
		    != 0) {
			snprintf(why, whycap, "cannot read the token from %s",
			    o->http_token_file);
			return -1;
		}
		size_t flen = len;
		len         = strcspn(file, "\n"); // the file is NUL-ended
		bool ok     = len > 0 && len < 65;
		if (ok) {
			memcpy(token, file, len);
			token[len] = '\0';
		}
		memset(file, 0, flen);
		free(file);
		if (!ok) {
			snprintf(why, whycap,
			    "%s: the token is one line of 1 to 64 characters",
			    o->http_token_file);
			return -1;
		}
	} else if (auth_random_key(token) != 0) {
		snprintf(why, whycap, "no random source for a token");
		return -1;
	}
	for (size_t i = 0; token[i] != '\0'; i++) {
		if ((unsigned char) token[i] <= ' ' || token[i] == '&'
		    || token[i] == '#' || (unsigned char) token[i] >= 0x7f) {
			snprintf(why, whycap,
			    "the token may not hold spaces, '&' or '#'");
			return -1;
		}
	}
	return 0;
}

/* Listens on every URL, printing (and writing to --ready-fd) each bound
 * URL, then "ready". 0, or the exit status after a line on stderr: 2 for
 * what the command line got wrong (a bad URL, TLS files that can't be
 * used), 1 for what the machine refused (an address in use). */
/* The URLs listen_all bound, comma-separated (what a cluster's member
 * tells clients by default). */
static char bound_urls[2048];

static int
listen_all(server *srv, const daemon_opts *o, http_endpoint **http,
    http_endpoint **dash)
{
	if (o->tls_cert != NULL || o->tls_key != NULL) {
		char why[400];
		if (o->tls_cert == NULL || o->tls_key == NULL) {
			fprintf(stderr,
			    "managerd: --tls-cert and --tls-key go "
			    "together\n");
			return 2;
		}
		if (server_set_tls(srv, o->tls_cert, o->tls_key, o->tls_ca,
		        o->tls_verify_peer, why, sizeof(why))
		    != 0) {
			fprintf(stderr,
			    "managerd: --tls-cert %s, --tls-key %s%s%s: %s\n",
			    o->tls_cert, o->tls_key,
			    o->tls_ca != NULL ? ", --tls-ca " : "",
			    o->tls_ca != NULL ? o->tls_ca : "", why);
			return 2;
		}
	} else if (o->tls_ca != NULL || o->tls_verify_peer) {
		fprintf(stderr,
		    "managerd: --tls-ca and --tls-verify-peer "
		    "need --tls-cert and --tls-key\n");
		return 2;
	}
	FILE *ready = o->ready_fd >= 0 ? fdopen(o->ready_fd, "w") : NULL;
	for (int i = 0; i < o->nurls; i++) {
		char bound[300] = "";
		int  rv         = o->url_nng[i]
		             ? server_listen_nng(srv, o->urls[i], bound, sizeof(bound))
		             : server_listen(srv, o->urls[i], bound, sizeof(bound));
		if (rv == MGR_EINVAL) { // the command line's: usage
			fprintf(stderr,
			    "managerd: cannot listen on %s (--listen%s): %s; "
			    "managerd serves ipc:///path, tcp://host:port, "
			    "tls+tcp://host:port, ws://host:port/path and "
			    "wss://host:port/path\n",
			    o->urls[i], o->url_nng[i] ? "-nng" : "",
			    bound[0] ? bound : mgr_strerror(rv));
			if (ready != NULL) {
				fclose(ready);
			}
			return 2;
		}
		if (rv != 0) {
			fprintf(stderr, "managerd: cannot listen on %s: %s\n",
			    o->urls[i], bound[0] ? bound : mgr_strerror(rv));
			if (ready != NULL) {
				fclose(ready);
			}
			return 1;
		}
		if (o->ipc_mode != 0 && strncmp(bound, "ipc://", 6) == 0
		    && chmod(bound + 6, (mode_t) o->ipc_mode) != 0) {
			fprintf(stderr, "managerd: --ipc-mode on %s: %s\n",
			    bound + 6, strerror(errno));
			if (ready != NULL) {
				fclose(ready);
			}
			return -1;
		}
		printf("managerd: listening on %s\n", bound);
		size_t have = strlen(bound_urls);
		snprintf(bound_urls + have, sizeof(bound_urls) - have, "%s%s",
		    have ? "," : "", bound);
		if (ready != NULL) {
			fprintf(ready, "%s\n", bound);
		}
	}
	char token[65]    = "", why[300];
	bool open_metrics = o->metrics_url != NULL && o->metrics_no_auth;
	if ((o->http_url != NULL || (o->metrics_url != NULL && !open_metrics))
	    && http_token(o, token, why, sizeof(why)) != 0) {
		fprintf(stderr, "managerd: --http-token-file: %s\n", why);
		if (ready != NULL) {
			fclose(ready);
		}
		return 2;
	}
	if (o->metrics_url != NULL) {
		char bound[300];
		if (http_start(srv, o->metrics_url,
		        open_metrics ? NULL : token, http, bound,
		        sizeof(bound))
		    != 0) {
			fprintf(stderr, "managerd: --metrics: %s\n", bound);
			if (ready != NULL) {
				fclose(ready);
			}
			return -1;
		}
		// The token: the dashboard's (printed below) or, without
		// --http, printed here unless it came from a file.
		printf("managerd: metrics on %s%s%s%s\n", bound,
		    open_metrics ? " (no token: --metrics-no-auth)"
		        : o->http_url != NULL || o->http_token_file != NULL
		        ? " (Authorization: Bearer, the --http-token-file "
		          "or dashboard token)"
		        : " (Authorization: Bearer ",
		    !open_metrics && o->http_url == NULL
		            && o->http_token_file == NULL
		        ? token
		        : "",
		    !open_metrics && o->http_url == NULL
		            && o->http_token_file == NULL
		        ? ")"
		        : "");
		if (ready != NULL) {
			fprintf(ready, "%s\n", bound);
		}
	}
	if (o->http_url != NULL) {
		char bound[300];
		if (http_dashboard_start(
		        srv, o->http_url, token, dash, bound, sizeof(bound))
		    != 0) {
			fprintf(stderr, "managerd: --http: %s\n", bound);
			if (ready != NULL) {
				fclose(ready);
			}
			return -1;
		}
		printf("managerd: dashboard on %s#token=%s\n", bound, token);
		if (ready != NULL) {
			fprintf(ready, "%s#token=%s\n", bound, token);
		}
	}
	memset(token, 0, sizeof(token));
	fflush(stdout);
	if (ready != NULL) {
		fprintf(ready, "ready\n");
		fclose(ready);
	}
	return 0;
}

/* What a reload needs: the command line to parse again, what it gave at
 * start (what a reload can't change is compared with it), the server. */
typedef struct reload_ctx {
	int                argc;
	char             **argv;
	const daemon_opts *start;
	server            *srv;
} reload_ctx;

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL)
	    || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Says which of what n asks differs from the start's and can't change
 * in a running manager. */
static void
say_kept(const daemon_opts *st, const daemon_opts *n)
{
	bool urls = st->nurls != n->nurls;
	for (int i = 0; !urls && i < n->nurls; i++) {
		urls = !same_str(st->urls[i], n->urls[i])
		    || st->url_nng[i] != n->url_nng[i];
	}
	bool mods = st->nmodules != n->nmodules;
	for (int i = 0; !mods && i < n->nmodules; i++) {
		mods = !same_str(st->modules[i], n->modules[i]);
	}
	const struct {
		bool        differs;
		const char *what;
	} fixed[] = {
		{ urls, "--listen" },
		{ mods, "--load-module" },
		{ !same_str(st->keyfile, n->keyfile), "--authkey-file" },
		{ !same_str(st->metrics_url, n->metrics_url), "--metrics" },
		{ st->metrics_no_auth != n->metrics_no_auth,
		    "--metrics-no-auth" },
		{ !same_str(st->http_url, n->http_url), "--http" },
		{ !same_str(st->http_token_file, n->http_token_file),
		    "--http-token-file" },
		{ st->ipc_mode != n->ipc_mode, "--ipc-mode" },
		{ !same_str(st->ws_origins, n->ws_origins), "--ws-origin" },
		{ (st->tls_cert == NULL) != (n->tls_cert == NULL),
		    "TLS on or off" },
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (fixed[i].differs) {
			log_msg(LOG_WARN,
			    "reload: %s changed: it takes a restart (kept as "
			    "it was)",
			    fixed[i].what);
		}
	}
}

/* SIGHUP: the log file reopened (after logrotate moved it), then the
 * command line and its config files read again: the limits a running
 * manager can change, the log level and the TLS certificates are
 * taken; what needs a restart is said and kept. A configuration with an
 * error changes nothing. */
static void
reload(const reload_ctx *rc)
{
	int rv = log_open(NULL);
	if (rv != 0) {
		log_msg(LOG_ERROR, "SIGHUP: cannot reopen the log file: %s",
		    strerror(-rv));
	} else if (rc->start->log_file != NULL) {
		log_msg(LOG_INFO, "SIGHUP: log file reopened");
	}
	int         mark = options_mark();
	daemon_opts n;
	if (options_parse(rc->argc, rc->argv, &n) >= 0) {
		options_release(mark);
		log_msg(LOG_ERROR,
		    "SIGHUP: the options have an error (said above on "
		    "stderr): nothing reloaded");
		return;
	}
	say_kept(rc->start, &n);
	if (n.log_file != NULL && !same_str(n.log_file, rc->start->log_file)
	    && (rv = log_open(n.log_file)) != 0) {
		log_msg(LOG_ERROR, "reload: --log-file %s: %s", n.log_file,
		    strerror(-rv));
	}
	size_t fit = connections_that_fit();
	if (n.lim.max_connections == 0 || n.lim.max_connections > fit) {
		n.lim.max_connections = fit;
	}
	int changed = server_reload_limits(rc->srv, &n.lim);
	if (n.tls_cert != NULL && rc->start->tls_cert != NULL) {
		char why[300] = "";
		rv = server_reload_tls(rc->srv, n.tls_cert, n.tls_key,
		    n.tls_ca, n.tls_verify_peer, why, sizeof(why));
		log_msg(rv == 0 ? LOG_WARN : LOG_ERROR, "reload: TLS %s: %s",
		    n.tls_cert, why);
	}
	// The level last, so that this reload's lines show at the old one
	// (and at warn, which a quiet manager keeps).
	static const char *const names[]
	    = { "error", "warn", "info", "debug" };
	int level = n.log_level >= 0 ? n.log_level : LOG_INFO;
	int was   = log_level_now();
	log_msg(LOG_WARN, "SIGHUP: reloaded (%d limit%s changed%s%s%s%s)",
	    changed, changed == 1 ? "" : "s",
	    level != was ? "; --log-level " : "",
	    level != was ? names[level] : "", level != was ? ", was " : "",
	    level != was ? names[was] : "");
	log_set_level(level);
	options_release(mark);
}

/* Waits for SIGTERM or SIGINT (on sfd), a shutdown request (stop_fd) or
 * the end of the lifeline; SIGHUP reloads (reload). */
static void
wait_for_stop(int sfd, int stop_fd, int lifeline_fd, const reload_ctx *rc)
{
	struct pollfd pfd[3] = { { .fd = sfd, .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
		{ .fd = lifeline_fd, .events = POLLIN } };
	for (;;) {
		int n = poll(pfd, lifeline_fd >= 0 ? 3 : 2, -1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			log_msg(LOG_ERROR, "poll: %s", strerror(errno));
			return;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si)) {
				continue;
			}
			if (si.ssi_signo == SIGHUP) {
				reload(rc);
				continue;
			}
			log_msg(LOG_INFO, "signal %u: shutting down",
			    si.ssi_signo);
			return;
		}
		if (pfd[1].revents) {
			log_msg(
			    LOG_INFO, "shutdown requested: shutting down");
			return;
		}
		if (lifeline_fd >= 0 && pfd[2].revents) {
			char b[64];
			if (read(lifeline_fd, b, sizeof(b)) <= 0) {
				log_msg(
				    LOG_INFO, "parent gone: shutting down");
				return;
			}
		}
	}
}

/* managerd --data-dir DIR --snapshot-to LSN, as managerd runs it to make
 * a snapshot (journal_compact.c): a server of its own that serves nobody.
 * It leaves with _exit: the state it built goes with the process. */
static int
make_snapshot(const daemon_opts *o)
{
	if (o->data_dir == NULL) {
		fprintf(stderr, "managerd: --snapshot-to needs --data-dir\n");
		return 2;
	}
	if (o->log_level >= 0) {
		log_set_level(o->log_level);
	}
	// The modules' types, for their objects' records.
	int mrc = modules_load(o->modules, o->nmodules);
	if (mrc != 0) {
		_exit(mrc);
	}
	static const char unused[] = "a snapshot serves nobody";
	server_opts       so       = {
		            .key = unused, .keylen = sizeof(unused), .lim = o->lim
	}; // managerd's (journal_compact.c)
	server *srv;
	char    why[512] = "";
	int     rv       = server_new(&srv, &so);
	if (rv == 0) {
		rv = server_make_snapshot(
		    srv, o->data_dir, o->snapshot_to, why, sizeof(why));
	}
	if (rv != 0) {
		log_msg(LOG_ERROR, "snapshot of %s: %s", o->data_dir,
		    why[0] ? why : mgr_strerror(rv));
	}
	fflush(NULL);
	_exit(rv == 0 ? 0 : 1);
}

int
main(int argc, char **argv)
{
	daemon_opts o;
	int         rc = options_parse(argc, argv, &o);
	if (rc >= 0) {
		return rc;
	}
	if (o.ws_origins != NULL && strlen(o.ws_origins) >= WS_ORIGINS_MAX) {
		fprintf(stderr,
		    "managerd: --ws-origin: a list of at most %d "
		    "bytes\n",
		    WS_ORIGINS_MAX - 1);
		return 2;
	}
	if (o.check) {
		char why[512];
		if (o.data_dir == NULL) {
			fprintf(
			    stderr, "managerd: --check needs --data-dir\n");
			return 2;
		}
		if (server_check_data_dir(
		        o.data_dir, stdout, why, sizeof(why))
		    != 0) {
			fprintf(stderr, "managerd: %s\n", why);
			return 1;
		}
		return 0;
	}
	if (o.snapshot_to != 0) {
		return make_snapshot(&o);
	}
	if (o.fsync != NULL && strcmp(o.fsync, "always") != 0
	    && strcmp(o.fsync, "everysec") != 0
	    && strcmp(o.fsync, "no") != 0) {
		fprintf(stderr,
		    "managerd: --fsync %s: always, everysec or no\n",
		    o.fsync);
		return 2;
	}
	if ((rc = member_check(&o)) >= 0) {
		return rc;
	}
	if (o.fsync != NULL && o.data_dir == NULL) {
		fprintf(stderr, "managerd: --fsync needs --data-dir\n");
		return 2;
	}
	server_memory_keep_freed(); // before any thread: see memory.c
	const char *refusals_ms = getenv("MGR_LOG_REFUSALS_MS");
	if (refusals_ms != NULL) {
		log_set_refusals_interval(strtoll(refusals_ms, NULL, 10));
	}
	if (o.log_level >= 0) {
		log_set_level(o.log_level);
	}
	log_detect_journal();
	if (o.log_file != NULL && (rc = log_open(o.log_file)) != 0) {
		fprintf(stderr, "managerd: cannot open the log file %s: %s\n",
		    o.log_file, strerror(-rc));
		return 1;
	}
	char  *key = NULL;
	size_t keylen;
	if (load_key(&o, &key, &keylen) != 0) {
		return 1;
	}

	// Signals are taken by a signalfd: block them before the server
	// makes its threads so that none of those gets them.
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	// Over a file size limit a write fails (EFBIG, as on a full disk:
	// --data-dir refuses writes and goes on) instead of killing us.
	signal(SIGXFSZ, SIG_IGN);
	int sfd     = signalfd(-1, &set, SFD_CLOEXEC);
	int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || stop_fd < 0) {
		fprintf(stderr, "managerd: signalfd/eventfd: %s\n",
		    strerror(errno));
		return 1;
	}

	// Modules first: their types exist before any client can ask.
	if ((rc = modules_load(o.modules, o.nmodules)) != 0) {
		free(key);
		return rc;
	}
	server *srv;
	size_t  fit = connections_that_fit();
	if (o.lim.max_connections == 0) {
		o.lim.max_connections = fit; // managerd's default
	} else if (o.lim.max_connections > fit) {
		fprintf(stderr,
		    "managerd: --max-connections %zu is over what the "
		    "descriptor limit allows; using %zu\n",
		    o.lim.max_connections, fit);
		o.lim.max_connections = fit;
	}
	server_opts so = { .key  = key,
		.keylen          = keylen,
		.lim             = o.lim,
		.stop_on_request = true,
		.stop_fd         = stop_fd,
		.ws_origins      = o.ws_origins };
	int         rv = server_new(&srv, &so);
	free(key);
	if (rv != 0) {
		fprintf(stderr, "managerd: %s\n", mgr_strerror(rv));
		return 1;
	}
	if (o.cluster != NULL) {
		if ((rc = member_open(srv, &o, argc, argv)) >= 0) {
			server_free(srv);
			modules_unload();
			return rc;
		}
	} else if (o.data_dir != NULL) {
		char   why[512] = "";
		size_t after    = o.snapshot_after == SNAPSHOT_AFTER_UNSET
		       ? SNAPSHOT_AFTER_DEFAULT
		       : o.snapshot_after;
		// The snapshot process loads the same modules: their objects'
		// records are applied again there.
		const char *child[2 * MAX_MODULES + 1];
		for (int i = 0; i < o.nmodules; i++) {
			child[2 * i]     = "--load-module";
			child[2 * i + 1] = o.modules[i];
		}
		child[2 * o.nmodules] = NULL;
		if ((rv = server_open_data_dir(srv, o.data_dir, o.fsync,
		         after, child, why, sizeof(why)))
		    != 0) {
			fprintf(stderr, "managerd: --data-dir %s\n", why);
			server_free(srv);
			modules_unload();
			return 1;
		}
	}
	http_endpoint *http = NULL, *dash = NULL;
	if ((rc = listen_all(srv, &o, &http, &dash)) != 0) {
		http_stop(dash);
		http_stop(http);
		server_free(srv);
		modules_unload();
		return rc < 0 ? 1 : rc;
	}
	if (o.cluster != NULL
	    && (rc = member_start(srv, &o, bound_urls)) >= 0) {
		http_stop(dash);
		http_stop(http);
		server_free(srv);
		modules_unload();
		return rc;
	}
	log_msg(LOG_INFO, "serving (pid %ld)", (long) getpid());
	notify_state("READY=1"); // systemd's Type=notify: started
	reload_ctx rctx = { argc, argv, &o, srv };
	wait_for_stop(sfd, stop_fd, o.lifeline_fd, &rctx);
	notify_state("STOPPING=1");
	http_stop(dash);
	http_stop(http);
	server_free(srv);
	modules_unload();
	close(sfd);
	close(stop_fd);
	return 0;
}
