/* Snapshots of a data directory (docs/data-dir.md, "Snapshots"), the way
 * the log stops growing.
 *
 * managerd never stops serving for one. Its snapshot thread cuts the log
 * (the writer moves into a new segment: every record before the cut is in
 * a segment of its own, written) and runs a process of its own program,
 * exec'ed (managerd --data-dir DIR --snapshot-to LSN), that reads the
 * last snapshot and the log up to the cut into a state of its own, as a
 * restart would, and writes that state out as a new snapshot file. Once
 * it is synced and renamed, the thread names it in the MANIFEST (renamed
 * into place) and removes the older snapshot and the segments it covers.
 * A crash anywhere in between leaves the old manifest, whose snapshot and
 * segments are all still there; what a crash leaves over is removed at
 * the next start.
 *
 * (The process's part is journal_replay.c's journal_make_snapshot: it
 * reads the directory as a start does.)
 *
 * So the server lock is held for nothing but the cut's bookkeeping, at any
 * size of state (Redis forks for the same reason; nng is not fork-safe,
 * and a replay is what a restart does anyway: the snapshot is made by the
 * code that will read it). The price: a second copy of the state, in the
 * other process, while it runs; and its CPU. */
#include "journal_int.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "snapfile.h"

extern char **environ;

/* After a failed snapshot, the next automatic one waits this long. */
#define RETRY_MS 60000

struct compactor {
	journal  *j;
	char     *dir;
	char    **args; /* for the process besides (--load-module) */
	int       nargs;
	char      exe[PATH_MAX];
	uint64_t  after; /* --snapshot-after: log bytes (0: asked only) */
	pthread_t thread;
	pthread_mutex_t          mtx;
	pthread_cond_t           cv;
	bool                     stop, asked, running;
	pid_t                    child; /* while one runs */
	int64_t                  next_try_ms;
	journal_snapshot_figures f;
};

/* Runs the process that writes the snapshot of records up to to_lsn: 0
 * when it did, else why. */
static int
run_child(compactor *c, uint64_t to_lsn, char *why, size_t whycap)
{
	static char *const levels[] = { "error", "warn", "info", "debug" };
	enum { NLIMITS = 64 };
	char   lsn[24], values[NLIMITS][24];
	char **argv
	    = calloc(8 + 2 * NLIMITS + (size_t) c->nargs + 1, sizeof(*argv));
	int level = log_level_now(), k = 0, n = 0;
	if (argv == NULL) {
		snprintf(why, whycap, "out of memory");
		return -1;
	}
	snprintf(lsn, sizeof(lsn), "%llu", (unsigned long long) to_lsn);
	argv[k++] = c->exe;
	argv[k++] = "--data-dir";
	argv[k++] = c->dir;
	argv[k++] = "--snapshot-to";
	argv[k++] = lsn;
	argv[k++] = "--log-level";
	argv[k++] = levels[level >= 0 && level < 4 ? level : 2];
	// The records are applied again under the limits they were applied
	// under (--max-items, --max-objects-per-session...): managerd's.
	server_lock(c->j->srv);
	server_limits lim = c->j->srv->lim;
	server_unlock(c->j->srv);
#define LIMIT_ARG_(field, opt, kind, dflt, lo, hi, help)                     \
	if (n < NLIMITS && lim.field != 0) {                                 \
		snprintf(values[n], sizeof(values[n]), "%llu",               \
		    (unsigned long long) lim.field);                         \
		argv[k++] = "--" opt;                                        \
		argv[k++] = values[n++];                                     \
	}
	SERVER_LIMITS(LIMIT_ARG_)
#undef LIMIT_ARG_
	for (int i = 0; i < c->nargs; i++) {
		argv[k++] = c->args[i];
	}
	argv[k] = NULL;
	pid_t pid;
	// Only stdin, stdout and stderr go with it: not a listener, nor a
	// descriptor a parent gave managerd (--ready-fd, --lifeline-fd).
	posix_spawn_file_actions_t fa;
	int                        e = posix_spawn_file_actions_init(&fa);
	if (e == 0) {
		e = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
		if (e == 0) {
			e = posix_spawn(
			    &pid, c->exe, &fa, NULL, argv, environ);
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	free(argv);
	if (e != 0) {
		snprintf(why, whycap, "cannot run %.160s: %s", c->exe,
		    strerror(e));
		return -1;
	}
	pthread_mutex_lock(&c->mtx);
	c->child = pid;
	pthread_mutex_unlock(&c->mtx);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) { }
	pthread_mutex_lock(&c->mtx);
	c->child = 0;
	pthread_mutex_unlock(&c->mtx);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		return 0;
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, whycap,
		    "the snapshot process was killed (signal %d)",
		    WTERMSIG(status));
	} else {
		snprintf(why, whycap,
		    "the snapshot process failed (exit %d; its log says why)",
		    WEXITSTATUS(status));
	}
	return -1;
}

/* Makes one snapshot: 0, or -1 with why. */
static int
make_one(compactor *c, char *why, size_t whycap)
{
	journal *j   = c->j;
	uint64_t cut = wal_cut(j->w, why, whycap);
	if (cut == 0) {
		return -1;
	}
	uint64_t live = c->f.lsn; // only this thread changes it
	if (cut - 1 <= live) {
		return 0; // nothing since the last one
	}
	int64_t t0 = clock_ms();
	if (run_child(c, cut - 1, why, whycap) != 0) {
		snapfile_remove_others(c->dir, live); // its unfinished file
		return -1;
	}
	char mwhy[160];
	if (manifest_write(c->dir, cut - 1, mwhy, sizeof(mwhy)) != 0) {
		snprintf(why, whycap, "%s", mwhy);
		return -1;
	}
	// The manifest names the new one: the old one and what it covered go.
	snapfile_remove_others(c->dir, cut - 1);
	size_t   gone  = wal_forget_before(j->w, cut);
	uint64_t bytes = snapfile_size(c->dir, cut - 1);
	int64_t  ms    = clock_ms() - t0;
	pthread_mutex_lock(&c->mtx);
	c->f.lsn   = cut - 1;
	c->f.bytes = bytes;
	c->f.ms    = (uint64_t) ms;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	c->f.at_ms
	    = (uint64_t) now.tv_sec * 1000 + (uint64_t) now.tv_nsec / 1000000;
	c->f.count++;
	pthread_mutex_unlock(&c->mtx);
	log_msg(LOG_INFO,
	    "%s: a snapshot of records 1 to %llu (%llu bytes) in %lld ms; "
	    "segments of log removed: %zu",
	    c->dir, (unsigned long long) (cut - 1),
	    (unsigned long long) bytes, (long long) ms, gone);
	return 0;
}

/* Whether the log has grown enough for the next one on its own: past
 * --snapshot-after, and past the last snapshot's size (so that a large
 * state is not written again for every little change: Redis's
 * auto-aof-rewrite-percentage 100). */
static bool
log_grown(compactor *c)
{
	if (c->after == 0 || clock_ms() < c->next_try_ms) {
		return false;
	}
	wal_figures w;
	wal_figures_of(c->j->w, &w);
	uint64_t need = c->after > c->f.bytes ? c->after : c->f.bytes;
	return w.bytes >= need;
}

static void *
compactor_main(void *arg)
{
	compactor *c = arg;
	pthread_mutex_lock(&c->mtx);
	while (!c->stop) {
		if (c->asked || log_grown(c)) {
			c->asked   = false;
			c->running = true;
			pthread_mutex_unlock(&c->mtx);
			char why[256] = "";
			int  rv       = make_one(c, why, sizeof(why));
			pthread_mutex_lock(&c->mtx);
			c->running = false;
			if (rv != 0 && c->stop) {
				// Stopped under it (compactor_stop): not a
				// failure.
				log_msg(LOG_INFO,
				    "%s: the snapshot being made was "
				    "dropped: managerd stops",
				    c->dir);
			} else if (rv != 0) {
				c->f.failures++;
				snprintf(c->f.error, sizeof(c->f.error), "%s",
				    why);
				c->next_try_ms = clock_ms() + RETRY_MS;
				log_msg(LOG_ERROR,
				    "%s: no snapshot made: %s (the log keeps "
				    "everything)",
				    c->dir, why);
			} else {
				c->f.error[0] = '\0';
			}
			pthread_cond_broadcast(&c->cv);
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&c->cv, &c->mtx, &ts);
	}
	pthread_mutex_unlock(&c->mtx);
	return NULL;
}

/* Frees what compactor_start made of c. */
static void
compactor_free(compactor *c)
{
	for (int i = 0; i < c->nargs; i++) {
		free(c->args[i]);
	}
	free(c->args);
	free(c->dir);
	free(c);
}

int
compactor_start(
    journal *j, const char *dir, uint64_t after, const char *const *args)
{
	compactor *c = calloc(1, sizeof(*c));
	int        n = 0;
	while (args != NULL && args[n] != NULL) {
		n++;
	}
	if (c == NULL || (c->dir = strdup(dir)) == NULL
	    || (c->args = calloc((size_t) n + 1, sizeof(*c->args))) == NULL) {
		if (c != NULL) {
			compactor_free(c);
		}
		return MGR_ENOMEM;
	}
	for (; c->nargs < n; c->nargs++) {
		if ((c->args[c->nargs] = strdup(args[c->nargs])) == NULL) {
			compactor_free(c);
			return MGR_ENOMEM;
		}
	}
	ssize_t len = readlink("/proc/self/exe", c->exe, sizeof(c->exe) - 1);
	if (len <= 0) {
		compactor_free(c);
		return MGR_EINTERNAL;
	}
	c->exe[len] = '\0';
	c->j        = j;
	c->after    = after;
	c->f.lsn    = j->snap_lsn;
	pthread_mutex_init(&c->mtx, NULL);
	clock_cond_init(&c->cv);
	c->f.bytes = snapfile_size(dir, c->f.lsn);
	if (pthread_create(&c->thread, NULL, compactor_main, c) != 0) {
		pthread_mutex_destroy(&c->mtx);
		pthread_cond_destroy(&c->cv);
		compactor_free(c);
		return MGR_ENOMEM;
	}
	pthread_setname_np(c->thread, "mgr:snapshot");
	j->compactor = c;
	return 0;
}

void
compactor_stop(journal *j)
{
	compactor *c = j->compactor;
	if (c == NULL) {
		return;
	}
	pthread_mutex_lock(&c->mtx);
	c->stop = true;
	if (c->child > 0) {
		kill(c->child, SIGKILL); // its file is never named: dropped
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->mtx);
	pthread_cond_destroy(&c->cv);
	compactor_free(c);
	j->compactor = NULL;
}

int
journal_save(server *srv, char *why, size_t whycap)
{
	journal   *j = srv->journal;
	compactor *c = j != NULL ? j->compactor : NULL;
	if (c == NULL) {
		snprintf(why, whycap,
		    "this manager keeps no data directory (managerd "
		    "--data-dir)");
		return MGR_ESTATE;
	}
	pthread_mutex_lock(&c->mtx);
	c->asked = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	return 0;
}

bool
journal_snapshot_figures_of(server *srv, journal_snapshot_figures *f)
{
	journal   *j = srv->journal;
	compactor *c = j != NULL ? j->compactor : NULL;
	if (c == NULL) {
		return false;
	}
	pthread_mutex_lock(&c->mtx);
	*f         = c->f;
	f->running = c->running || c->asked;
	pthread_mutex_unlock(&c->mtx);
	return true;
}
