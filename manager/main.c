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
#include "server.h"

#define MAX_LISTEN 16

/* What the command line asked for. */
typedef struct daemon_opts {
	const char *urls[MAX_LISTEN];
	bool        url_nng[MAX_LISTEN]; /* --listen-nng */
	int         nurls;
	const char *tls_cert, *tls_key, *tls_ca;
	bool        tls_verify_peer;
	const char *keyfile;
	bool        keyfile_insecure;
	const char *authkey_out;
	size_t      maxmsg;
	int         ready_fd, lifeline_fd;
	int         io_threads;
	long long   max_connections, max_handshakes, max_handshakes_peer;
	long long   handshake_ms, idle_ms;
	long long   max_request_items;
	long long   max_objects, max_objects_session, max_waiters_session;
	long long   max_items, max_memory;
	long long   max_pending_conn, max_pending_total;
	const char *log_file;
	const char *metrics_url;
	const char *http_url;        /* --http: the dashboard */
	const char *http_token_file; /* its token; else a random one */
	long long   ipc_mode;        /* --ipc-mode; 0: as made (0600) */
} daemon_opts;

static void
usage(FILE *f)
{
	fputs(
	    "usage: managerd --listen URL [--listen URL ...] [options]\n"
	    "\n"
	    "  --listen URL        ipc:///path/to/socket (made 0600),\n"
	    "                      tcp://host:port (port 0: any free one),\n"
	    "                      tls+tcp://host:port (needs --tls-cert),\n"
	    "                      ws://host:port/path, "
	    "wss://host:port/path\n"
	    "                      (WebSocket; wss needs --tls-cert)\n"
	    "  --listen-nng URL    the same through nng's stream layer even\n"
	    "                      for ipc:// and tcp:// (which --listen\n"
	    "                      serves with the faster direct engine)\n"
	    "  --tls-cert F        the server's certificate chain (PEM)\n"
	    "  --tls-key F         its private key (PEM)\n"
	    "  --tls-ca F          CAs that client certificates must chain\n"
	    "                      to (PEM); a client that shows none is\n"
	    "                      accepted unless\n"
	    "  --tls-verify-peer   every TLS client must show a certificate\n"
	    "                      of a --tls-ca CA\n"
	    "  --ipc-mode MODE     the ipc sockets' mode instead, in octal\n"
	    "                      (0660: this group's users may connect)\n"
	    "  --authkey-file F    the key: F's bytes less one trailing\n"
	    "                      newline (F must not be readable by\n"
	    "                      others, unless --authkey-file-insecure);\n"
	    "                      else $MGR_AUTHKEY (visible to the same\n"
	    "                      user in /proc/PID/environ: prefer a "
	    "file);\n"
	    "                      else a random key, written to a private\n"
	    "                      directory (removed at exit), or to\n"
	    "  --authkey-out F     (created 0600, kept); its path is "
	    "printed\n"
	    "  --authkey-file-insecure\n"
	    "                      accept a key file others may read\n"
	    "  --max-message B     largest frame, in bytes (64 MiB)\n"
	    "  --max-connections N connections at once (the descriptor\n"
	    "                      limit, raised to its hard limit, less "
	    "64)\n"
	    "  --max-handshakes N  of them not yet authenticated (128); the\n"
	    "                      oldest is closed to make room\n"
	    "  --max-handshakes-per-peer N\n"
	    "                      ... from one host or user (32)\n"
	    "  --max-objects N     live objects (4194304)\n"
	    "  --max-objects-per-session N\n"
	    "                      objects one session refers to (1048576)\n"
	    "  --max-waiters-per-session N\n"
	    "                      requests one session has waiting "
	    "(100000)\n"
	    "  --max-items N       elements of one dict, list, namespace or\n"
	    "                      queue (16777216)\n"
	    "  --max-request-items N\n"
	    "                      values nested in one request (2097152)\n"
	    "  --max-memory B      bytes the manager may hold (512m, 2g):\n"
	    "                      over it, what would add more is refused\n"
	    "                      (MGR_ETOOBIG); reads and deletes go on\n"
	    "  --max-pending-per-connection B\n"
	    "                      replies a client has not read (128m):\n"
	    "                      over it, its connection is closed\n"
	    "  --max-pending-total B\n"
	    "                      ... of all clients (512m): over it, "
	    "those\n"
	    "                      with replies waiting are not read\n"
	    "  --handshake-timeout MS\n"
	    "                      to authenticate after connecting (5000)\n"
	    "  --idle-timeout MS   close an authenticated connection silent\n"
	    "                      that long (none; one with a request\n"
	    "                      waiting is not idle)\n"
	    "  --io-threads N      event loop threads (2)\n"
	    "  --log-level L       error, warn, info (default), debug (each\n"
	    "                      request: session, op, target, status)\n"
	    "  --log-file F        log there, appending (else stderr);\n"
	    "                      reopened on SIGHUP (for logrotate)\n"
	    "  --metrics URL       serve the figures of mgr_info in the\n"
	    "                      Prometheus text format at URL's path\n"
	    "                      (http://127.0.0.1:9464/metrics)\n"
	    "  --http URL          serve the live dashboard and its JSON "
	    "API\n"
	    "                      (http://127.0.0.1:8080; https:// with\n"
	    "                      --tls-cert); off by default\n"
	    "  --http-token-file F the token the dashboard asks for: F's\n"
	    "                      first line; else a random one, printed\n"
	    "                      in the dashboard's address\n"
	    "  --ready-fd N        write the bound URLs, then \"ready\", to "
	    "fd N\n"
	    "  --lifeline-fd N     shut down when fd N reaches end of file\n"
	    "  --help, --version\n"
	    "\n"
	    "environment: MGR_AUTHKEY (the key as text), MGR_SPIN_US (how\n"
	    "long a thread polls before it sleeps, 50; 0: never)\n",
	    f);
}

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

/* A number in [lo, hi] from val for option a, or a usage error. */
static int
parse_number(const char *a, const char *val, long long lo, long long hi,
    long long *out)
{
	char     *end;
	long long v = strtoll(val, &end, 10);
	if (*end != '\0' || end == val || v < lo || v > hi) {
		fprintf(
		    stderr, "managerd: %s takes %lld to %lld\n", a, lo, hi);
		return 2;
	}
	*out = v;
	return 0;
}

/* A size in bytes with an optional k, m or g (powers of 1024). */
static int
parse_bytes(const char *a, const char *val, long long *out)
{
	char     *end;
	long long v     = strtoll(val, &end, 10);
	int       shift = 0;
	if (*end == 'k' || *end == 'K') {
		shift = 10, end++;
	} else if (*end == 'm' || *end == 'M') {
		shift = 20, end++;
	} else if (*end == 'g' || *end == 'G') {
		shift = 30, end++;
	}
	if (end == val || *end != '\0' || v < 1
	    || v > (1ll << (62 - shift))) {
		fprintf(stderr,
		    "managerd: %s takes a size in bytes (or 512m, 2g)\n", a);
		return 2;
	}
	*out = v << shift;
	return 0;
}

/* Reads one option a with its value val into o: 0, or the exit status of
 * a usage error (2). */
static int
parse_option(daemon_opts *o, const char *a, const char *val)
{
	long long v = 0;
	int       rc;
	if (strcmp(a, "--listen") == 0 || strcmp(a, "--listen-nng") == 0) {
		if (o->nurls == MAX_LISTEN) {
			fprintf(stderr, "managerd: too many --listen\n");
			return 2;
		}
		o->url_nng[o->nurls] = strcmp(a, "--listen-nng") == 0;
		o->urls[o->nurls++]  = val;
	} else if (strcmp(a, "--tls-cert") == 0) {
		o->tls_cert = val;
	} else if (strcmp(a, "--tls-key") == 0) {
		o->tls_key = val;
	} else if (strcmp(a, "--tls-ca") == 0) {
		o->tls_ca = val;
	} else if (strcmp(a, "--authkey-file") == 0) {
		o->keyfile = val;
	} else if (strcmp(a, "--authkey-out") == 0) {
		o->authkey_out = val;
	} else if (strcmp(a, "--max-message") == 0) {
		if ((rc = parse_number(a, val, 1024, 1ll << 31, &v)) != 0) {
			return rc;
		}
		o->maxmsg = (size_t) v;
	} else if (strcmp(a, "--io-threads") == 0) {
		if ((rc = parse_number(a, val, 1, 64, &v)) != 0) {
			return rc;
		}
		o->io_threads = (int) v;
	} else if (strcmp(a, "--max-connections") == 0) {
		return parse_number(a, val, 1, 1 << 20, &o->max_connections);
	} else if (strcmp(a, "--max-handshakes") == 0) {
		return parse_number(a, val, 1, 1 << 20, &o->max_handshakes);
	} else if (strcmp(a, "--max-handshakes-per-peer") == 0) {
		return parse_number(
		    a, val, 1, 1 << 20, &o->max_handshakes_peer);
	} else if (strcmp(a, "--max-objects") == 0) {
		return parse_number(a, val, 1, 1ll << 40, &o->max_objects);
	} else if (strcmp(a, "--max-objects-per-session") == 0) {
		return parse_number(
		    a, val, 1, 1ll << 40, &o->max_objects_session);
	} else if (strcmp(a, "--max-waiters-per-session") == 0) {
		return parse_number(
		    a, val, 1, 1ll << 40, &o->max_waiters_session);
	} else if (strcmp(a, "--max-items") == 0) {
		return parse_number(a, val, 1, 1ll << 40, &o->max_items);
	} else if (strcmp(a, "--max-pending-per-connection") == 0) {
		return parse_bytes(a, val, &o->max_pending_conn);
	} else if (strcmp(a, "--max-pending-total") == 0) {
		return parse_bytes(a, val, &o->max_pending_total);
	} else if (strcmp(a, "--max-memory") == 0) {
		return parse_bytes(a, val, &o->max_memory);
	} else if (strcmp(a, "--max-request-items") == 0) {
		return parse_number(
		    a, val, 16, 1ll << 30, &o->max_request_items);
	} else if (strcmp(a, "--idle-timeout") == 0) {
		return parse_number(a, val, 100, 1ll << 31, &o->idle_ms);
	} else if (strcmp(a, "--handshake-timeout") == 0) {
		return parse_number(a, val, 100, 600000, &o->handshake_ms);
	} else if (strcmp(a, "--log-level") == 0) {
		if ((log_level = log_parse_level(val)) < 0) {
			fprintf(
			    stderr, "managerd: unknown log level %s\n", val);
			return 2;
		}
	} else if (strcmp(a, "--ipc-mode") == 0) {
		char *end;
		o->ipc_mode = strtoll(val, &end, 8);
		if (end == val || *end != '\0' || o->ipc_mode <= 0
		    || o->ipc_mode > 0777) {
			fprintf(stderr,
			    "managerd: --ipc-mode %s is not an octal mode "
			    "(0600, 0660)\n",
			    val);
			return 2;
		}
	} else if (strcmp(a, "--log-file") == 0) {
		o->log_file = val;
	} else if (strcmp(a, "--metrics") == 0) {
		if (strncmp(val, "http://", 7) != 0) {
			fprintf(stderr,
			    "managerd: --metrics %s is not an "
			    "http://host:port/path URL\n",
			    val);
			return 2;
		}
		o->metrics_url = val;
	} else if (strcmp(a, "--http") == 0) {
		o->http_url = val;
	} else if (strcmp(a, "--http-token-file") == 0) {
		o->http_token_file = val;
	} else if (strcmp(a, "--ready-fd") == 0
	    || strcmp(a, "--lifeline-fd") == 0) {
		if ((rc = parse_number(a, val, 0, 1 << 20, &v)) != 0) {
			return rc;
		}
		*(a[2] == 'r' ? &o->ready_fd : &o->lifeline_fd) = (int) v;
	} else {
		fprintf(stderr, "managerd: unknown option %s\n", a);
		usage(stderr);
		return 2;
	}
	return 0;
}

/* The command line into o: -1 to go on, or the exit status (0 after
 * --help, 2 for a usage error). */
static int
parse_args(int argc, char **argv, daemon_opts *o)
{
	*o = (daemon_opts) { .ready_fd = -1, .lifeline_fd = -1 };
	for (int i = 1; i < argc; i++) {
		const char *a   = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			printf("managerd %d.%d.%d\n", MGR_VERSION_MAJOR,
			    MGR_VERSION_MINOR, MGR_VERSION_PATCH);
			return 0;
		}
		if (strcmp(a, "--authkey-file-insecure") == 0) {
			o->keyfile_insecure = true;
			continue;
		}
		if (strcmp(a, "--tls-verify-peer") == 0) {
			o->tls_verify_peer = true;
			continue;
		}
		if (val == NULL) {
			fprintf(stderr, "managerd: %s needs a value\n", a);
			usage(stderr);
			return 2;
		}
		i++;
		int rc = parse_option(o, a, val);
		if (rc != 0) {
			return rc;
		}
	}
	if (o->nurls == 0) {
		fprintf(stderr, "managerd: give at least one --listen URL\n");
		usage(stderr);
		return 2;
	}
	return -1;
}

/* Raises the soft descriptor limit to the hard one and gives how many
 * connections fit: the limit less a reserve for listeners, the loops'
 * epoll and event descriptors, key and log files. */
static size_t
connections_that_fit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		return SERVER_MAX_CONNECTIONS;
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

/* The dashboard (--http) with its token: the first line of
 * --http-token-file, else 32 random bytes in hex. url gets the address
 * to open, the token in its fragment (browsers do not send it on). */
static int
start_dashboard(server *srv, const daemon_opts *o, http_endpoint **dash,
    char *why, size_t whycap, char *url, size_t urlcap)
{
	char   token[65];
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
		bool ok     = len > 0 && len < sizeof(token);
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
	char bound[300];
	if (http_dashboard_start(
	        srv, o->http_url, token, dash, bound, sizeof(bound))
	    != 0) {
		snprintf(why, whycap, "%s", bound);
		return -1;
	}
	snprintf(url, urlcap, "%s#token=%s", bound, token);
	memset(token, 0, sizeof(token));
	return 0;
}

/* Listens on every URL, printing (and writing to --ready-fd) each bound
 * URL, then "ready". */
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
			return -1;
		}
		if (server_set_tls(srv, o->tls_cert, o->tls_key, o->tls_ca,
		        o->tls_verify_peer, why, sizeof(why))
		    != 0) {
			fprintf(stderr, "managerd: %s\n", why);
			return -1;
		}
	} else if (o->tls_ca != NULL || o->tls_verify_peer) {
		fprintf(stderr,
		    "managerd: --tls-ca and --tls-verify-peer "
		    "need --tls-cert and --tls-key\n");
		return -1;
	}
	FILE *ready = o->ready_fd >= 0 ? fdopen(o->ready_fd, "w") : NULL;
	for (int i = 0; i < o->nurls; i++) {
		char bound[300] = "";
		int  rv         = o->url_nng[i]
		             ? server_listen_nng(srv, o->urls[i], bound, sizeof(bound))
		             : server_listen(srv, o->urls[i], bound, sizeof(bound));
		if (rv != 0) {
			fprintf(stderr, "managerd: cannot listen on %s: %s\n",
			    o->urls[i], bound[0] ? bound : mgr_strerror(rv));
			if (ready != NULL) {
				fclose(ready);
			}
			return -1;
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
		if (ready != NULL) {
			fprintf(ready, "%s\n", bound);
		}
	}
	if (o->metrics_url != NULL) {
		char bound[300];
		if (http_start(
		        srv, o->metrics_url, http, bound, sizeof(bound))
		    != 0) {
			fprintf(stderr, "managerd: --metrics: %s\n", bound);
			if (ready != NULL) {
				fclose(ready);
			}
			return -1;
		}
		printf("managerd: metrics on %s\n", bound);
		if (ready != NULL) {
			fprintf(ready, "%s\n", bound);
		}
	}
	if (o->http_url != NULL) {
		char bound[300], url[600];
		if (start_dashboard(
		        srv, o, dash, bound, sizeof(bound), url, sizeof(url))
		    != 0) {
			fprintf(stderr, "managerd: --http: %s\n", bound);
			if (ready != NULL) {
				fclose(ready);
			}
			return -1;
		}
		printf("managerd: dashboard on %s\n", url);
		if (ready != NULL) {
			fprintf(ready, "%s\n", url);
		}
	}
	fflush(stdout);
	if (ready != NULL) {
		fprintf(ready, "ready\n");
		fclose(ready);
	}
	return 0;
}

/* Waits for SIGTERM or SIGINT (on sfd), a shutdown request (stop_fd) or
 * the end of the lifeline; SIGHUP reopens the log file. */
static void
wait_for_stop(int sfd, int stop_fd, int lifeline_fd)
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
				int rv = log_open(NULL);
				log_msg(rv == 0 ? LOG_INFO : LOG_ERROR,
				    "SIGHUP: log file reopened%s%s",
				    rv == 0 ? "" : ": ",
				    rv == 0 ? "" : strerror(-rv));
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

int
main(int argc, char **argv)
{
	daemon_opts o;
	int         rc = parse_args(argc, argv, &o);
	if (rc >= 0) {
		return rc;
	}
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
	int sfd     = signalfd(-1, &set, SFD_CLOEXEC);
	int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || stop_fd < 0) {
		fprintf(stderr, "managerd: signalfd/eventfd: %s\n",
		    strerror(errno));
		return 1;
	}

	server *srv;
	size_t  fit = connections_that_fit();
	size_t  max_conn
	    = o.max_connections > 0 ? (size_t) o.max_connections : fit;
	if (max_conn > fit) {
		fprintf(stderr,
		    "managerd: --max-connections %zu is over what the "
		    "descriptor limit allows; using %zu\n",
		    max_conn, fit);
		max_conn = fit;
	}
	server_opts so = { .key      = key,
		.max_connections     = max_conn,
		.max_handshakes      = (size_t) o.max_handshakes,
		.max_handshakes_peer = (size_t) o.max_handshakes_peer,
		.handshake_ms        = (int) o.handshake_ms,
		.idle_ms             = (int) o.idle_ms,
		.max_request_items   = (size_t) o.max_request_items,
		.max_objects         = (size_t) o.max_objects,
		.max_objects_session = (size_t) o.max_objects_session,
		.max_waiters_session = (size_t) o.max_waiters_session,
		.max_items           = (size_t) o.max_items,
		.max_memory          = (size_t) o.max_memory,
		.max_pending_conn    = (size_t) o.max_pending_conn,
		.max_pending_total   = (size_t) o.max_pending_total,
		.keylen              = keylen,
		.max_message         = o.maxmsg,
		.io_threads          = o.io_threads,
		.stop_on_request     = true,
		.stop_fd             = stop_fd };
	int         rv = server_new(&srv, &so);
	free(key);
	if (rv != 0) {
		fprintf(stderr, "managerd: %s\n", mgr_strerror(rv));
		return 1;
	}
	http_endpoint *http = NULL, *dash = NULL;
	if (listen_all(srv, &o, &http, &dash) != 0) {
		http_stop(dash);
		http_stop(http);
		server_free(srv);
		return 1;
	}
	log_msg(LOG_INFO, "serving (pid %ld)", (long) getpid());
	wait_for_stop(sfd, stop_fd, o.lifeline_fd);
	http_stop(dash);
	http_stop(http);
	server_free(srv);
	close(sfd);
	close(stop_fd);
	return 0;
}
