/* What the two halves of the data directory's journal share (journal.h):
 * journal.c makes the records as changes are applied and holds replies
 * until they are written; journal_replay.c applies them again at start.
 * Nothing else includes it. */
#ifndef MGR_MANAGER_CORE_JOURNAL_INT_H
#define MGR_MANAGER_CORE_JOURNAL_INT_H

#include <stdatomic.h>

#include "idmap.h"
#include "journal.h"
#include "server_state.h"
#include "wal.h"

/* Records a change hands on (waiters answered inside it), kept until its
 * own is logged: each a u32 length and the record. */
typedef struct later {
	uint8_t *buf;
	size_t   len, cap;
} later;

/* A condition's wait the log saw park and not yet answered. */
typedef struct parked_wait {
	uint64_t session, seq;
	int64_t  depth;
	uint8_t *request; /* the wait, packed */
	size_t   len;
} parked_wait;

struct journal {
	struct server *srv;
	wal           *w; /* the data directory's log, or NULL in a cluster */
	const journal_sink *sink; /* managerd --cluster's group, or NULL */
	wal_fsync           fsync;
	bool                replaying;
	const uint8_t      *in; /* the frame being applied */
	size_t              inlen;
	int                 depth; /* changes being applied, nested */
	later               later;
	/* Set while records wait in later: a connection's writer then
	 * waits for the change to end (its replies may be queued). */
	atomic_bool deferring;
	/* The last LSN appended: what replies written now wait for. */
	atomic_uint_least64_t appended;
	atomic_bool           lost; /* a change it could not take (lost()) */
	/* A condition's wait parked again after a restart (settle). */
	bool    reparking;
	int64_t repark_depth;
	/* replay */
	idmap           sessions; /* id -> session, those open */
	parked_wait    *parked;   /* condition waits not answered */
	size_t          nparked, parked_cap;
	uint64_t        lsn;      /* the record being applied (for errors) */
	struct snap_in *snap;     /* a snapshot being loaded (snapshot.c) */
	uint64_t        snap_lsn; /* the snapshot loaded at start, 0: none */
	struct compactor *compactor; /* the snapshot thread's */
	char             *why;
	size_t            whycap;
};

/* ---- replay (journal_replay.c), which a cluster's followers use too ---- */

/* A journal of srv that replays (nothing logged, no lease runs out), NULL
 * when out of memory (why says so). Not under the lock. */
journal *journal_attach(
    struct server *srv, int fsync, char *why, size_t whycap);
/* Applies record lsn (n bytes at p) as a restart does: 0, or MGR_E* with
 * j->why filled. Takes the lock. */
int journal_replay_record(
    journal *j, uint64_t lsn, const uint8_t *p, size_t n);
/* After the replay: sessions whose client cannot resume them end
 * (logged), the others wait for their client for their lease from now.
 * Takes the lock. */
void journal_settle(journal *j);
/* Forgets what a replay keeps (its sessions' map, condition waits not
 * answered): a cluster's member that stops. */
void journal_replay_forget(journal *j);

/* ---- snapshots (snapshot.c) -------------------------------------------- */

typedef struct snap_out snap_out;
typedef struct snap_in  snap_in;
/* Writes a packed record of a snapshot: 0 or MGR_EINTERNAL. */
typedef int (*snap_emit_fn)(void *arg, const uint8_t *p, size_t n);
/* Writes the state of j's server, as the log's records up to lsn made it,
 * through emit: 0, or MGR_E* with why. Under the lock. */
int snapshot_save(journal *j, uint64_t lsn, snap_emit_fn emit, void *arg,
    char *why, size_t whycap);
/* Applies a snapshot's record r (the LOG_SNAP_* kinds): 0 or MGR_EPROTO
 * with j->why filled. Under the lock. */
int snapshot_load(journal *j, const Mgr__LogRecord *r);
/* Forgets a snapshot's loading cut short. */
void snapshot_load_abort(journal *j);

/* ---- making snapshots (journal_compact.c) ------------------------------ */

typedef struct compactor compactor;
/* Starts j's snapshot thread, which makes one when asked (journal_save)
 * or when the log passed after bytes (0: only when asked), by a process
 * given args (copied; NULL-terminated, or NULL) besides. Not under the
 * lock. MGR_ENOMEM. */
int compactor_start(
    journal *j, const char *dir, uint64_t after, const char *const *args);
/* Stops it (a snapshot being made is dropped). Not under the lock. */
void compactor_stop(journal *j);

/* The record of s's start (LOG_SESSION: its lease, resume secret, client
 * name), pointing into s. */
void journal_session_record(struct session *s, Mgr__LogRecord *r);

/* Packs r and logs it now (now) or after the change being applied. */
void journal_put(journal *j, const Mgr__LogRecord *r, bool now);

/* ---- the condition waits parked (journal_parked.c) --------------------- */

/* Every parked wait forgotten. */
void parked_forget_all(journal *j);
/* The parked waits of session sid forgotten (seq 0: all of them). */
void parked_forget(journal *j, uint64_t sid, uint64_t seq);
/* A LOG_COND_PARKED record's wait kept (not one whose client never
 * retries). 0, or MGR_EPROTO / MGR_ENOMEM with *why. */
int parked_add(journal *j, const Mgr__LogRecord *r, const char **why);
/* What record r (of any kind) changes of the parked waits: a wait
 * parked, answered, or its session ended. 0, or parked_add's error. */
int parked_track(journal *j, const Mgr__LogRecord *r, const char **why);
/* The options of j's log: its policy, and the callbacks that let held
 * replies go (or close their connections when it fails). Fills o. */
const wal_opts *journal_wal_opts(journal *j, wal_opts *o);
/* From now on replies wait for j's records (the connection layer's write
 * gate), or (NULL) no longer. Not under the lock. */
void journal_gate(journal *j);

#endif
