/* What managerd --data-dir logs, and the replay of it at start.
 *
 * A change is logged as the request that made it, at the moment it was
 * applied, in the order changes were applied: replayed on the same state
 * (ids, secrets and the sessions' reply records follow), it makes the same
 * change. So a parked request handed something (a queue item, a lock) is
 * logged when it is handed, as its own request applied then; what a
 * request does that no request states (a condition's wait letting go of
 * its lock, a barrier broken by a timeout) is logged as the requests that
 * state it; a session's start and end have records of their own. What a
 * change hands on (a waiter answered inside it) is logged after it.
 *
 * A reply leaves only once the records before it are written (the
 * connection layer's write gate), and synced under --fsync always.
 * docs/data-dir.md is the users' account. All of it under the server
 * lock unless said. */
#ifndef MGR_MANAGER_CORE_JOURNAL_H
#define MGR_MANAGER_CORE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "manager.pb-c.h"

struct server;
struct session;
struct waiter;
struct mobj;

/* Opens the log in dir (made when absent) and replays it into srv, which
 * serves nobody yet; then sessions that cannot come back end, and those
 * that can wait for their client for their lease; fsync is a wal_fsync
 * (wal.h, which the types that log do not see); a snapshot is made each
 * time the log passes snapshot_after bytes (0: only when asked), by a
 * process given snapshot_args besides (NULL-terminated, or NULL). Not under
 * the lock. 0, or MGR_E* with why filled (corruption names the file and
 * offset). */
int journal_open(struct server *srv, const char *dir, int fsync,
    uint64_t snapshot_after, const char *const *snapshot_args, char *why,
    size_t whycap);
/* ---- another log: a cluster's group (cluster.c) ------------------------ */

struct cluster_figures;
/* Where the records go instead of --data-dir's log, and what the journal
 * asks of it (cluster.c's, for managerd --cluster); every function gets
 * arg. */
typedef struct journal_sink {
	void *arg;
	/* A record of n bytes, written in place by fill, appended to the
	 * batch being made: its LSN (0: it could not be). Under the server
	 * lock; no system call. */
	uint64_t (*append_with)(void *arg, size_t             n,
	    void (*fill)(void *fill_arg, uint8_t *dst), void *fill_arg);
	/* The write gate's (not under the lock): the batch handed on, with
	 * an empty record when it has none, so that the replies queued so
	 * far wait for an entry proposed after them (a read proves the
	 * member still leads). The LSN they wait for (0: none), and in
	 * *committed the LSN committed now. */
	uint64_t (*gate)(void *arg, uint64_t *committed);
	/* A LOG_LEADER record applied: that member serves at urls. */
	void (*noted_leader)(void *arg, uint64_t node, const char *urls);
	/* journal_redirect's and journal_cluster_figures' answers. */
	bool (*redirect)(void *arg, char *leader, size_t cap);
	bool (*figures)(void *arg, struct cluster_figures *f);
	/* journal_cluster_change's. */
	int (*change)(void *arg, uint64_t id, const char *addr, char *why,
	    size_t whycap);
	/* Nothing is applied after (journal_quiesce). Not under the lock. */
	void (*stop)(void *arg);
	/* Stops, and frees arg (journal_close). Not under the lock. */
	void (*close)(void *arg);
} journal_sink;
/* Whether srv serves no client now (a cluster's follower): then leader
 * (cap bytes) holds where the leader serves, "" when none is known.
 * Under the lock or not. */
bool journal_redirect(struct server *srv, char *leader, size_t cap);
/* The cluster's figures: false when srv is no member. */
bool journal_cluster_figures(struct server *srv, struct cluster_figures *f);
/* Asks the group srv leads to add member id at addr (HOST:PORT), or to
 * remove it (addr NULL); returns once asked (the figures say how it
 * goes). 0, or MGR_E* with why: MGR_ESTATE when srv is no serving
 * member. Under the lock or not. */
int journal_cluster_change(struct server *srv, uint64_t id, const char *addr,
    char *why, size_t whycap);

/* Stops what applies records from outside (a cluster's group), before
 * the sessions close at a stop. Not under the lock. */
void journal_quiesce(struct server *srv);
/* Writes what is left and closes the log. Not under the lock. */
void journal_close(struct server *srv);

/* ---- snapshots (journal_compact.c) ------------------------------------- */

/* Asks for a snapshot now (managerctl save): made by the snapshot thread,
 * whose figures say when it is done. 0, or MGR_ESTATE without a data
 * directory. Under the lock. */
int journal_save(struct server *srv, char *why, size_t whycap);
typedef struct journal_snapshot_figures {
	uint64_t lsn;        /* the live snapshot covers records 1 to lsn (0:
	                        none) */
	uint64_t bytes;      /* its size */
	uint64_t at_ms;      /* when the last one was made (Unix ms; 0: not by
	                        this managerd) */
	uint64_t ms;         /* how long it took */
	uint64_t count;      /* made by this managerd */
	uint64_t failures;   /* tries that failed */
	bool     running;    /* one is being made, or asked for */
	char     error[160]; /* why the last try failed ("" when it did
	                        not) */
} journal_snapshot_figures;
/* false without --data-dir. Under the lock or not. */
bool journal_snapshot_figures_of(
    struct server *srv, journal_snapshot_figures *f);
/* managerd --snapshot-to: srv (serving nobody) loads dir's snapshot and
 * log up to to_lsn, and writes the snapshot of them (snap-<to_lsn>.snap).
 * 0, or MGR_E* with why. What srv holds then is not freed: the process
 * is to exit. Not under the lock. */
int journal_make_snapshot(struct server *srv, const char *dir,
    uint64_t to_lsn, char *why, size_t whycap);
/* managerd --check: reads and verifies dir's log, writing a summary to
 * out. 0, or MGR_E* with why filled. Serves nothing, changes nothing. */
int journal_check(const char *dir, FILE *out, char *why, size_t whycap);

/* The log's figures (mgr_info, Prometheus, the dashboard). */
typedef struct journal_figures {
	const char *fsync;    /* "always", "everysec", "no" */
	uint64_t    records;  /* appended: the last LSN */
	uint64_t    durable;  /* the LSN durable under the policy */
	uint64_t    bytes;    /* in its live segments */
	uint64_t    segments; /* live */
	uint64_t    syncs;
	uint64_t    max_group;    /* the most records one sync covered */
	uint64_t    sync_lag_us;  /* the longest a record waited for it */
	uint64_t    last_sync_us; /* how long the last sync took */
	bool        refusing;     /* writes refused (journal_refuses) */
} journal_figures;

/* false without --data-dir. Under the lock (never waits for the disk). */
bool journal_figures_of(struct server *srv, journal_figures *f);
/* Whether a write must be refused now: the log cannot take it (no room
 * for its next segment on a full disk, or a write or sync failed); why
 * (may be NULL) names the directory and the reason. Reads go on. Under
 * the lock. */
bool journal_refuses(struct server *srv, char *why, size_t whycap);

/* ---- what is logged (under the lock) ----------------------------------- */

/* The frame (a packed Request) being applied on this thread: a request
 * that changes something is logged as these bytes; NULL after. */
void journal_input(struct server *srv, const uint8_t *frame, size_t len);
/* What a change of a session began with: its end compares, to tell a
 * change its operation does not announce (references given by a read,
 * object ids taken by a request that then failed). */
typedef struct journal_mark {
	uint64_t refs_given, next_id;
} journal_mark;
/* A change of s (NULL: the manager's) begins: what it hands on is logged
 * after it. */
journal_mark journal_begin(struct server *srv, const struct session *s);
/* Request rq of s (NULL: the manager's own action), begun at *begun, is
 * applied: logged if it changed state (wrote: it was a write that
 * succeeded; or it gave s references, or took object ids), its reply
 * about to go as number reply_no (0: not on a connection); then what it
 * handed on. Before its reply is queued. */
void journal_request(struct server *srv, struct session *s,
    const Mgr__Request *rq, bool wrote, const journal_mark *begun,
    uint64_t reply_no);
/* The change that began ended without a record of its own (a request
 * that parked or read). */
void journal_end(struct server *srv);
void journal_session_start(struct session *s);
/* s ends: journal_begin before its holdings are dropped, this after. */
void journal_session_end(struct session *s);
/* The request w parks (writes: its operation may change state): its
 * bytes are kept, to be logged when it is answered. MGR_ENOMEM. */
int journal_park(struct server *srv, struct waiter *w, bool writes);
/* w is answered with status, its reply numbered reply_no: logged as
 * applied now, if that changes anything. */
void journal_answered(struct waiter *w, int status, uint64_t reply_no);
/* A change no request of s states is stated as n requests op on target
 * by s's thread (a condition's wait releasing and taking back its lock,
 * a barrier broken by the manager: s NULL). */
void journal_as_requests(struct server *srv, struct session *s, Mgr__Op op,
    struct mobj *target, uint64_t thread, int64_t n);
/* Whether a record is being applied again (nothing logged, no reply
 * sent). */
bool journal_replaying(const struct server *srv);
/* A condition's wait of s parked, its lock's depth let go of (logged as
 * the releases before): kept, to be parked again after a restart. */
void journal_cond_parked(
    struct server *srv, struct session *s, int64_t depth);
/* Whether the request being applied is a condition's wait parked again
 * after a restart (its lock let go of before the crash): *depth is what
 * it takes back. The condition parks it for its lock, not for a notify:
 * answered once it has it, as a spurious wakeup (Python allows those). */
bool journal_reparking(const struct server *srv, int64_t *depth);

#endif
