/* managerd's options: the table, and what is made of it. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "help_text.h"
#include "log.h"
#include "mgr.h"

enum opt_kind {
	K_URL,      /* --listen, --listen-nng: repeatable */
	K_MODULE,   /* --load-module: repeatable */
	K_CONFIG,   /* --config: options from a file */
	K_STR,      /* a string (a file, a URL) */
	K_FLAG,     /* no value: sets a bool */
	K_FD,       /* a descriptor number */
	K_MODE,     /* an octal file mode */
	K_LEVEL,    /* a log level */
	K_HTTP_URL, /* an http:// URL */
	K_LIMIT,    /* a limit of server_limits.h */
	K_LSN,      /* a record number of the log */
	K_HELP,
	K_VERSION,
	K_LIST, /* --list-options */
};

typedef struct opt_def {
	const char *name;
	int         kind;
	const char *arg; /* the value's name in --help; NULL: none */
	size_t      off; /* where the value goes in daemon_opts */
	long long   lo;  /* K_LIMIT: its range, kind and default */
	long long   hi;
	int         lkind;
	long long   dflt;
	const char *help;
} opt_def;

#define OFF(f) offsetof(daemon_opts, f)

#define LIMIT_OPT_(field, opt, kind, dflt, min, max, text)                   \
	{ opt, K_LIMIT,                                                      \
		kind == LIMIT_BYTES    ? "B"                                 \
		    : kind == LIMIT_MS ? "MS"                                \
		                       : "N",                                \
		OFF(lim.field), min, max, kind, (long long) (dflt), text },

static const opt_def table[] = {
	{ "config", K_CONFIG, "F", 0, 0, 0, 0, 0,
	    "read options from F where this stands: one per line, as NAME "
	    "VALUE or NAME=VALUE (a flag alone), the leading -- optional, "
	    "'#' comments; options after it override its values" },
	{ "listen", K_URL, "URL", 0, 0, 0, 0, 0,
	    "ipc:///path/to/socket (made 0600), tcp://host:port (port 0: any "
	    "free one), tls+tcp://host:port (TLS in the epoll loops; needs "
	    "--tls-cert), ws://host:port/path, wss://host:port/path "
	    "(WebSocket; wss needs --tls-cert); repeatable" },
	{ "listen-nng", K_URL, "URL", 0, 0, 0, 0, 0,
	    "the same through nng's stream layer, for any of those schemes "
	    "(ipc://, tcp:// and tls+tcp:// are faster with --listen)" },
	{ "ws-origin", K_STR, "LIST", OFF(ws_origins), 0, 0, 0, 0,
	    "the Origins of web pages whose WebSocket upgrades are served "
	    "(https://app.example.com,http://localhost:8000; * for any); an "
	    "upgrade from any other page is closed before the handshake, one "
	    "carrying no Origin (a program's) is served" },
	{ "tls-cert", K_STR, "F", OFF(tls_cert), 0, 0, 0, 0,
	    "the server's certificate chain (PEM)" },
	{ "tls-key", K_STR, "F", OFF(tls_key), 0, 0, 0, 0,
	    "its private key (PEM)" },
	{ "tls-ca", K_STR, "F", OFF(tls_ca), 0, 0, 0, 0,
	    "CAs that client certificates must chain to (PEM); a client "
	    "that shows none is accepted unless --tls-verify-peer" },
	{ "tls-verify-peer", K_FLAG, NULL, OFF(tls_verify_peer), 0, 0, 0, 0,
	    "every TLS client must show a certificate of a --tls-ca CA" },
	{ "ipc-mode", K_MODE, "MODE", OFF(ipc_mode), 0, 0, 0, 0,
	    "the ipc sockets' mode instead, in octal (0660: this group's "
	    "users may connect)" },
	{ "authkey-file", K_STR, "F", OFF(keyfile), 0, 0, 0, 0,
	    "the key: F's bytes less one trailing newline (F must not be "
	    "readable by others, unless --authkey-file-insecure); else "
	    "$MGR_AUTHKEY (visible to the same user in /proc/PID/environ: "
	    "prefer a file); else a random key, written to a private "
	    "directory (removed at exit), or to --authkey-out" },
	{ "authkey-out", K_STR, "F", OFF(authkey_out), 0, 0, 0, 0,
	    "where a random key goes (created 0600, kept); its path is "
	    "printed" },
	{ "authkey-file-insecure", K_FLAG, NULL, OFF(keyfile_insecure), 0, 0,
	    0, 0, "accept a key file others may read" },
	SERVER_LIMITS(LIMIT_OPT_) { "log-level", K_LEVEL, "L", OFF(log_level),
	    0, 0, 0, 0,
	    "error, warn, info (default), debug (each request: session, "
	    "op, target, status)" },
	{ "log-file", K_STR, "F", OFF(log_file), 0, 0, 0, 0,
	    "log there, appending (else stderr); reopened on SIGHUP (for "
	    "logrotate)" },
	{ "metrics", K_HTTP_URL, "URL", OFF(metrics_url), 0, 0, 0, 0,
	    "serve the figures of mgr_info in the Prometheus text format at "
	    "URL's path (http://127.0.0.1:9464/metrics), to scrapes that "
	    "carry the token (Authorization: Bearer; --http-token-file)" },
	{ "metrics-no-auth", K_FLAG, NULL, OFF(metrics_no_auth), 0, 0, 0, 0,
	    "serve --metrics to anyone, without the token (bind it to a "
	    "trusted address)" },
	{ "http", K_STR, "URL", OFF(http_url), 0, 0, 0, 0,
	    "serve the live dashboard and its JSON API "
	    "(http://127.0.0.1:8080; "
	    "https:// with --tls-cert); off by default" },
	{ "http-token-file", K_STR, "F", OFF(http_token_file), 0, 0, 0, 0,
	    "the token the dashboard and --metrics ask for: F's first line; "
	    "else a random one, printed in the dashboard's address" },
	{ "data-dir", K_STR, "DIR", OFF(data_dir), 0, 0, 0, 0,
	    "keep the state in DIR (made when absent, 0700): objects, names, "
	    "items, lock holders and sessions survive a restart, kill -9 "
	    "included; a reply leaves once its change is in DIR's log" },
	{ "fsync", K_STR, "POLICY", OFF(fsync), 0, 0, 0, 0,
	    "when DIR's log reaches the disk: everysec (default: a power "
	    "loss loses at most the last second), always (every reply waits "
	    "for its sync; syncs are shared), no (the system decides)" },
	{ "snapshot-after", K_LIMIT, "B", OFF(snapshot_after), 0,
	    (long long) 1 << 50, LIMIT_BYTES, 64 << 20,
	    "make a snapshot of the state in DIR once its log holds this "
	    "many bytes, and as many as the last snapshot (then the log it "
	    "covers goes); 0: only on managerctl save" },
	{ "snapshot-to", K_LSN, "LSN", OFF(snapshot_to), 0, 0, 0, 0,
	    "(run by managerd itself) write the snapshot of DIR's records up "
	    "to LSN, and exit" },
	{ "check", K_FLAG, NULL, OFF(check), 0, 0, 0, 0,
	    "read and verify --data-dir's log, say what it holds, and exit "
	    "(0: sound; 1: damaged, naming the file and offset)" },
	{ "cluster", K_STR, "LIST", OFF(cluster), 0, 0, 0, 0,
	    "be a member of a replicated cluster (needs --node-id and "
	    "--data-dir): every member's id and the host:port its peers "
	    "reach it at, 1=10.0.0.1:7001,2=10.0.0.2:7001,3=10.0.0.3:7001 "
	    "(the same list on each); the leader serves clients, the others "
	    "send them to it, and a reply leaves once a majority holds its "
	    "change" },
	{ "node-id", K_LSN, "N", OFF(node_id), 0, 0, 0, 0,
	    "this member's id in --cluster's list" },
	{ "election-timeout", K_LSN, "MS", OFF(election_ms), 0, 0, 0, 0,
	    "how long followers wait for the leader before electing another "
	    "(default 300; a failover takes about 2 to 5 times this)" },
	{ "snapshot-entries", K_LSN, "N", OFF(snapshot_entries), 0, 0, 0, 0,
	    "a cluster's member snapshots its state once the group's log "
	    "holds N entries past its last snapshot (default 4096) and as "
	    "many bytes as it; the "
	    "entries it covers go, and a member that lacks them gets the "
	    "snapshot instead" },
	{ "advertise", K_STR, "URLS", OFF(advertise), 0, 0, 0, 0,
	    "where this member serves clients, as they must dial it "
	    "(comma-separated; else the URLs it listens on): what the other "
	    "members tell clients when it leads" },
	{ "join", K_FLAG, NULL, OFF(join), 0, 0, 0, 0,
	    "this member joins a cluster that runs (managerctl cluster add "
	    "on its leader): it starts with no members of its own and gets "
	    "the group's log, or its snapshot, from the leader; --cluster "
	    "must name it" },
	{ "load-module", K_MODULE, "PATH", 0, 0, 0, 0, 0,
	    "load a module's object types (mgr_module.h) before serving; "
	    "words after a space in PATH go to its init (\"/x/acct.so "
	    "limit=10\"); the file must not be writable by group or others; "
	    "repeatable" },
	{ "ready-fd", K_FD, "N", OFF(ready_fd), 0, 0, 0, 0,
	    "write the bound URLs, then \"ready\", to fd N" },
	{ "lifeline-fd", K_FD, "N", OFF(lifeline_fd), 0, 0, 0, 0,
	    "shut down when fd N reaches end of file" },
	{ "help", K_HELP, NULL, 0, 0, 0, 0, 0, "this text (also -h)" },
	{ "version", K_VERSION, NULL, 0, 0, 0, 0, 0, "the version" },
	{ "list-options", K_LIST, NULL, 0, 0, 0, 0, 0,
	    "every option's name, one per line (for scripts)" },
};

#define NOPTS (sizeof(table) / sizeof(table[0]))

static void
usage(FILE *f)
{
	fputs("usage: managerd --listen URL [--listen URL ...] [options]\n\n",
	    f);
	for (size_t i = 0; i < NOPTS; i++) {
		const opt_def *d = &table[i];
		char           head[64];
		snprintf(head, sizeof(head), "--%s%s%s", d->name,
		    d->arg ? " " : "", d->arg ? d->arg : "");
		char text[600];
		if (d->kind == K_LIMIT && d->dflt != 0
		    && strstr(d->help, "by default") == NULL) {
			long long   v    = d->dflt;
			const char *unit = "";
			if (d->lkind == LIMIT_BYTES && v % (1ll << 20) == 0) {
				v >>= 20;
				unit = "m";
			}
			snprintf(text, sizeof(text), "%s (default %lld%s)",
			    d->help, v, unit);
		} else {
			snprintf(text, sizeof(text), "%s", d->help);
		}
		help_line(f, head, text, 22);
	}
	fputs(
	    "\nB: bytes, or with k, m, g (powers of 1024); MS: "
	    "milliseconds. Options take\ntheir value as --opt VALUE or "
	    "--opt=VALUE.\n\n"
	    "environment: MGR_AUTHKEY (the key as text), MGR_SPIN_US (how\n"
	    "long a thread polls before it sleeps, 50; 0: never),\n"
	    "MGR_LOG_REFUSALS_MS (refusals without the key are logged once\n"
	    "per cause and network in this interval, then counted; 10000)\n",
	    f);
}

static int
bad(const char *name, const char *fmt, const char *val)
{
	fprintf(stderr, "managerd: --%s ", name);
	fprintf(stderr, fmt, val);
	fputc('\n', stderr);
	return 2;
}

/* A limit's value: a count or ms in [lo, hi], or bytes with a suffix. */
static int
parse_limit(const opt_def *d, const char *val, size_t *out)
{
	char     *end;
	long long v     = strtoll(val, &end, 10);
	int       shift = 0;
	if (d->lkind == LIMIT_BYTES && *end != '\0'
	    && strchr("kKmMgG", *end) != NULL) {
		shift = *end == 'k' || *end == 'K' ? 10
		    : *end == 'm' || *end == 'M'   ? 20
		                                   : 30;
		end++;
	}
	if (end == val || *end != '\0' || v < 0 || v > (LLONG_MAX >> shift)) {
		return bad(d->name,
		    d->lkind == LIMIT_BYTES
		        ? "takes a size in bytes (or 512m, "
		          "2g), not %s"
		        : "takes a number, not %s",
		    val);
	}
	v <<= shift;
	if (v < d->lo || v > d->hi) {
		fprintf(stderr, "managerd: --%s takes %lld to %lld, not %s\n",
		    d->name, d->lo, d->hi, val);
		return 2;
	}
	*out = (size_t) v;
	return 0;
}

/* Takes option d with its value val into o: 0, or the exit status. */
static int
take(const opt_def *d, const char *val, daemon_opts *o)
{
	char *at = (char *) o + d->off;
	char *end;
	long  v;
	switch (d->kind) {
	case K_URL:
		if (o->nurls == MAX_LISTEN) {
			return bad(d->name, "%s: at most 16 listeners", val);
		}
		o->url_nng[o->nurls] = strcmp(d->name, "listen-nng") == 0;
		o->urls[o->nurls++]  = val;
		return 0;
	case K_MODULE:
		if (o->nmodules == MAX_MODULES) {
			return bad(d->name, "%s: at most 16 modules", val);
		}
		o->modules[o->nmodules++] = val;
		return 0;
	case K_STR:
		*(const char **) (void *) at = val;
		return 0;
	case K_FLAG:
		*(bool *) (void *) at = true;
		return 0;
	case K_FD:
		v = strtol(val, &end, 10);
		if (end == val || *end != '\0' || v < 0 || v > 1 << 20) {
			return bad(d->name,
			    "takes a descriptor number, not %s", val);
		}
		*(int *) (void *) at = (int) v;
		return 0;
	case K_MODE:
		v = strtol(val, &end, 8);
		if (end == val || *end != '\0' || v <= 0 || v > 0777) {
			return bad(d->name,
			    "%s is not an octal mode (0600, 0660)", val);
		}
		*(long long *) (void *) at = v;
		return 0;
	case K_LEVEL:
		if ((*(int *) (void *) at = log_parse_level(val)) < 0) {
			return bad(d->name,
			    "%s is not a log level: give error, warn, info "
			    "or "
			    "debug",
			    val);
		}
		return 0;
	case K_HTTP_URL:
		if (strncmp(val, "http://", 7) != 0) {
			return bad(d->name,
			    "%s is not an http://host:port/path URL", val);
		}
		*(const char **) (void *) at = val;
		return 0;
	case K_LIMIT:
		return parse_limit(d, val, (size_t *) (void *) at);
	case K_LSN: {
		unsigned long long lsn = strtoull(val, &end, 10);
		if (end == val || *end != '\0' || lsn == 0) {
			return bad(
			    d->name, "takes a record number, not %s", val);
		}
		*(uint64_t *) (void *) at = lsn;
		return 0;
	}
	default:
		return 2;
	}
}

static const opt_def *
opt_named(const char *name, size_t n)
{
	for (size_t i = 0; i < NOPTS; i++) {
		if (strlen(table[i].name) == n
		    && strncmp(table[i].name, name, n) == 0) {
			return &table[i];
		}
	}
	return NULL;
}

/* The config files' text: their values are pointed to as argv's are,
 * so it stays for the process's life (reachable from here); a reload's
 * own is given back after it (options_release). */
static char *config_texts[16];
static int   nconfig_texts;

int
options_mark(void)
{
	return nconfig_texts;
}

void
options_release(int mark)
{
	while (nconfig_texts > mark) {
		free(config_texts[--nconfig_texts]);
	}
}

/* Takes the options of file path, in order: 0, or the exit status after
 * one line naming the file and line. */
static int
read_config(const char *path, daemon_opts *o)
{
	if (nconfig_texts
	    >= (int) (sizeof(config_texts) / sizeof(config_texts[0])) / 2) {
		// Half: a reload reads them again beside the first reading.
		return bad("config", "%s: at most 8 config files", path);
	}
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "managerd: --config %s: %s\n", path,
		    strerror(errno));
		return 2;
	}
	char   *text = NULL;
	size_t  cap  = 0;
	ssize_t len  = getdelim(&text, &cap, '\0', f);
	fclose(f);
	if (len < 0) {
		free(text);
		text = strdup("");
		if (text == NULL) {
			return 2;
		}
	}
	config_texts[nconfig_texts++] = text;
	int lineno                    = 0;
	for (char *line = text, *next; line != NULL; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL) {
			*next++ = '\0';
		}
		char *hash = strchr(line, '#');
		if (hash != NULL) {
			*hash = '\0';
		}
		line += strspn(line, " \t\r");
		size_t end = strlen(line);
		while (end > 0 && strchr(" \t\r", line[end - 1]) != NULL) {
			line[--end] = '\0';
		}
		if (line[0] == '\0') {
			continue;
		}
		if (strncmp(line, "--", 2) == 0) {
			line += 2;
		}
		size_t         n   = strcspn(line, " \t=");
		const opt_def *d   = opt_named(line, n);
		char          *val = line + n;
		val += strspn(val, " \t");
		if (*val == '=') {
			val++;
			val += strspn(val, " \t");
		}
		if (d == NULL || d->kind == K_HELP || d->kind == K_VERSION
		    || d->kind == K_LIST || d->kind == K_CONFIG) {
			fprintf(stderr,
			    "managerd: %s:%d: %.*s is not an option a config "
			    "file takes (managerd --help)\n",
			    path, lineno, (int) n, line);
			return 2;
		}
		if ((d->arg != NULL) != (*val != '\0')) {
			fprintf(stderr, "managerd: %s:%d: %s %s\n", path,
			    lineno, d->name,
			    d->arg != NULL ? "needs a value"
			                   : "takes no value");
			return 2;
		}
		int rc = take(d, d->arg != NULL ? val : NULL, o);
		if (rc != 0) {
			fprintf(stderr, "managerd: (in %s, line %d)\n", path,
			    lineno);
			return rc;
		}
	}
	return 0;
}

int
options_parse(int argc, char **argv, daemon_opts *o)
{
	*o = (daemon_opts) { .ready_fd = -1,
		.lifeline_fd           = -1,
		.log_level             = -1,
		.snapshot_after        = SNAPSHOT_AFTER_UNSET };
	struct option longopts[NOPTS + 1];
	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i] = (struct option) { table[i].name,
			table[i].arg ? required_argument : no_argument, NULL,
			(int) i + 256 };
	}
	longopts[NOPTS] = (struct option) { 0 };
	opterr          = 0; // our messages, one line each
	optind          = 0; // 0: a full reset (a reload parses again)
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?' || c == ':') {
			const char *what = argv[optind - 1];
			if (strncmp(what, "--idle-timeout", 14) == 0) {
				// Removed: it closed silent connections
				// whatever they held.
				fprintf(stderr,
				    "managerd: --idle-timeout is gone: "
				    "sessions "
				    "have leases (--min-lease, "
				    "--max-lease)\n");
				return 2;
			}
			fprintf(stderr,
			    c == ':'
			        ? "managerd: %s needs a value (managerd "
			          "--help)\n"
			        : "managerd: unknown option %s (managerd "
			          "--help lists them)\n",
			    what);
			return 2;
		}
		const opt_def *d = &table[c - 256];
		if (d->kind == K_HELP) {
			usage(stdout);
			return 0;
		}
		if (d->kind == K_VERSION) {
			printf("managerd %s\n", MGR_VERSION_STRING);
			return 0;
		}
		if (d->kind == K_LIST) {
			for (size_t i = 0; i < NOPTS; i++) {
				printf("--%s\n", table[i].name);
			}
			return 0;
		}
		int rc = d->kind == K_CONFIG ? read_config(optarg, o)
		                             : take(d, optarg, o);
		if (rc != 0) {
			return rc;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
		    "managerd: %s is not an option (managerd --help)\n",
		    argv[optind]);
		return 2;
	}
	if (o->nurls == 0 && !o->check && o->snapshot_to == 0) {
		fprintf(stderr,
		    "managerd: give at least one --listen URL "
		    "(managerd --help)\n");
		return 2;
	}
	return -1;
}
