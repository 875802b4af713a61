/* managerd --cluster's command line: what goes with what, the member's
 * opening before the listeners and its start after them, and the restart
 * (an exec of managerd with the same command line) a member asks for when
 * its state must be made again from the group's log. */
#include "member.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster.h"
#include "log.h"

static char **again_argv; /* the command line, less --ready-fd */

/* Whether dir holds a single manager's log (wal-*.log) or a member's
 * (raft/). */
static void
dir_holds(const char *dir, bool *wal, bool *raft)
{
	*wal = *raft = false;
	DIR *d       = opendir(dir);
	if (d == NULL) {
		return;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strncmp(e->d_name, "wal-", 4) == 0
		    || strncmp(e->d_name, "snap-", 5) == 0) {
			*wal = true;
		} else if (strcmp(e->d_name, "raft") == 0) {
			*raft = true;
		}
	}
	closedir(d);
}

int
member_check(const daemon_opts *o)
{
	bool wal = false, raft = false;
	if (o->data_dir != NULL) {
		dir_holds(o->data_dir, &wal, &raft);
	}
	if (o->cluster == NULL) {
		if (o->node_id != 0 || o->election_ms != 0
		    || o->advertise != NULL || o->join) {
			fprintf(stderr,
			    "managerd: --node-id, --election-timeout, "
			    "--advertise and --join go with --cluster\n");
			return 2;
		}
		if (raft) {
			fprintf(stderr,
			    "managerd: --data-dir %s holds a cluster "
			    "member's "
			    "log (raft/): start it with --cluster and "
			    "--node-id\n",
			    o->data_dir);
			return 2;
		}
		return -1;
	}
	if (o->node_id == 0 || o->data_dir == NULL) {
		fprintf(stderr,
		    "managerd: --cluster needs --node-id and --data-dir\n");
		return 2;
	}
	if (o->fsync != NULL || o->snapshot_after != SNAPSHOT_AFTER_UNSET
	    || o->check || o->snapshot_to != 0) {
		fprintf(stderr,
		    "managerd: --fsync, --snapshot-after, --check and "
		    "--snapshot-to are a single manager's: a cluster's log "
		    "is "
		    "synced on every member before a reply leaves, and its "
		    "snapshots are the group's\n");
		return 2;
	}
	if (o->election_ms != 0
	    && (o->election_ms < 50 || o->election_ms > 60000)) {
		fprintf(stderr,
		    "managerd: --election-timeout %llu: 50 to 60000 ms\n",
		    (unsigned long long) o->election_ms);
		return 2;
	}
	if (o->snapshot_entries > 1u << 30) {
		fprintf(stderr, "managerd: --snapshot-entries: at most %u\n",
		    1u << 30);
		return 2;
	}
	if (wal) {
		fprintf(stderr,
		    "managerd: --data-dir %s holds a single manager's log: a "
		    "member needs a directory of its own\n",
		    o->data_dir);
		return 2;
	}
	return -1;
}

/* Starts managerd again, as it was started (never returns). */
static void
start_again(const char *why)
{
	(void) why;
	fflush(stdout);
	fflush(stderr);
	execv("/proc/self/exe", again_argv);
	log_msg(LOG_ERROR, "cluster: cannot start again (%s): exiting",
	    strerror(errno));
	_exit(1);
}

int
member_open(server *srv, const daemon_opts *o, int argc, char **argv)
{
	static char  list[2048];
	cluster_opts co = { .node_id = o->node_id,
		.dir                 = o->data_dir,
		.election_ms         = (unsigned) o->election_ms,
		.snapshot_entries    = (unsigned) o->snapshot_entries,
		.join                = o->join,
		.restart             = start_again };
	char         why[512];
	// The same command line but --ready-fd: whoever read "ready" the
	// first time is not reading any more.
	again_argv = calloc((size_t) argc + 1, sizeof(char *));
	if (again_argv == NULL) {
		fprintf(stderr, "managerd: out of memory\n");
		return 1;
	}
	for (int i = 0, k = 0; i < argc; i++) {
		if (strcmp(argv[i], "--ready-fd") == 0 && i + 1 < argc) {
			i++;
		} else if (strncmp(argv[i], "--ready-fd=", 11) != 0) {
			again_argv[k++] = argv[i];
		}
	}
	if (cluster_parse(
	        o->cluster, &co, list, sizeof(list), why, sizeof(why))
	        != 0
	    || cluster_open(srv, &co, why, sizeof(why)) != 0) {
		fprintf(stderr, "managerd: %s\n", why);
		return 2;
	}
	return -1;
}

int
member_start(server *srv, const daemon_opts *o, const char *bound)
{
	char why[512];
	if (cluster_start(srv, o->advertise != NULL ? o->advertise : bound,
	        why, sizeof(why))
	    != 0) {
		fprintf(stderr, "managerd: --cluster: %s\n", why);
		return 1;
	}
	return -1;
}
