/* managerd's command line (options.c): one table of its options, from
 * which the parser (getopt_long: --opt value, --opt=value), --help and
 * --list-options (what tests/check_options.sh holds the man page to) are
 * all made. The limits come from core/server_limits.h's list. */
#ifndef MGR_MANAGER_OPTIONS_H
#define MGR_MANAGER_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "server_limits.h"

#define MAX_LISTEN  16
#define MAX_MODULES 16

/* What the command line asked for. */
typedef struct daemon_opts {
	const char   *urls[MAX_LISTEN];
	bool          url_nng[MAX_LISTEN]; /* --listen-nng */
	int           nurls;
	const char   *tls_cert, *tls_key, *tls_ca;
	const char   *ws_origins; /* --ws-origin */
	bool          tls_verify_peer;
	const char   *keyfile;
	bool          keyfile_insecure;
	const char   *authkey_out;
	int           ready_fd, lifeline_fd;
	server_limits lim; /* 0: the default */
	const char   *log_file;
	const char   *metrics_url;
	bool          metrics_no_auth; /* --metrics-no-auth */
	const char   *http_url;        /* --http: the dashboard */
	const char   *http_token_file; /* its token; else a random one */
	long long     ipc_mode;        /* --ipc-mode; 0: as made (0600) */
	const char   *modules[MAX_MODULES]; /* --load-module, in order */
	int           nmodules;
	int           log_level; /* --log-level; -1: not given (info) */
	const char   *data_dir;  /* --data-dir: the state kept there */
	const char   *fsync;     /* --fsync: always, everysec (NULL), no */
	bool          check;     /* --check: verify data_dir, serve nothing */
	size_t        snapshot_after;   /* --snapshot-after, or unset */
	uint64_t      snapshot_to;      /* --snapshot-to (0: not given) */
	uint64_t      node_id;          /* --node-id (0: not given) */
	const char   *cluster;          /* --cluster ID=HOST:PORT,... */
	uint64_t      election_ms;      /* --election-timeout (0: 300) */
	uint64_t      snapshot_entries; /* --snapshot-entries (0: 4096) */
	const char   *advertise;        /* --advertise: the URLs clients are
	                                   sent to (else the bound ones) */
	bool join;                      /* --join: added to a running group */
} daemon_opts;

/* --snapshot-after not given (its default then: 64 MiB). */
#define SNAPSHOT_AFTER_UNSET   ((size_t) -1)
#define SNAPSHOT_AFTER_DEFAULT ((size_t) 64 << 20)

/* The command line into o: -1 to go on, or the exit status (0 after
 * --help, --version or --list-options; 2 for a usage error, said in one
 * line on stderr). */
int options_parse(int argc, char **argv, daemon_opts *o);
/* A reload parses the command line again (its config files read anew):
 * the strings of what it gives point into texts given back by
 * options_release(mark), mark taken by options_mark() before. */
int  options_mark(void);
void options_release(int mark);

#endif
