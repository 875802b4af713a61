/* The data directory's log applied again at start (journal.h): each record
 * in order, requests on their sessions with nobody connected (replies
 * recorded, not sent); then the sessions settled (those that cannot come
 * back end, the others wait for their client) and the condition waits the
 * log saw park and not answered parked again. And the process that makes
 * a snapshot (it reads them the same way), and --check. */
#include "journal_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "clock.h"
#include "log.h"
#include "session_int.h"
#include "snapfile.h"
#include "wait.h"

/* ---- replay -------------------------------------------------------------
 */

static session *
find_session(journal *j, uint64_t id)
{
	return id != 0 ? idmap_get(&j->sessions, id) : NULL;
}

static int
replay_fail(journal *j, const char *fmt, const char *what)
{
	if (j->why != NULL) {
		snprintf(j->why, j->whycap, fmt, (unsigned long long) j->lsn,
		    what);
	}
	return MGR_EPROTO;
}

void
journal_replay_forget(journal *j)
{
	idmap_fini(&j->sessions);
	parked_forget_all(j);
}

static int
replay_cond_parked(journal *j, const Mgr__LogRecord *r)
{
	const char *why = NULL;
	return parked_add(j, r, &why) == 0
	    ? 0
	    : replay_fail(j, "record %llu: %s", why);
}

/* The condition waits of s the log saw park and not answered: parked
 * again, for their lock (journal_reparking). */
static void
repark(journal *j, session *s)
{
	for (size_t i = 0; i < j->nparked; i++) {
		parked_wait *p = &j->parked[i];
		if (p->session != s->id) {
			continue;
		}
		Mgr__Request *rq
		    = mgr__request__unpack(NULL, p->len, p->request);
		if (rq == NULL) {
			continue;
		}
		j->reparking    = true;
		j->repark_depth = p->depth;
		(void) dispatch_again(j->srv, s, rq, 0);
		j->reparking = false;
		mgr__request__free_unpacked(rq, NULL);
	}
}

static int
replay_request(journal *j, const Mgr__LogRecord *r)
{
	server  *srv = j->srv;
	session *s   = NULL;
	if (r->session != 0 && (s = find_session(j, r->session)) == NULL) {
		return replay_fail(j,
		    "record %llu: a request of session %s, which is not "
		    "open",
		    "(unknown)");
	}
	Mgr__Request *rq
	    = mgr__request__unpack(NULL, r->request.len, r->request.data);
	if (rq == NULL) {
		return replay_fail(
		    j, "record %llu: %s", "an undecodable request");
	}
	int rv = dispatch_again(srv, s, rq, r->reply);
	mgr__request__free_unpacked(rq, NULL);
	if (r->waited != 0 && s != NULL) {
		parked_forget(j, s->id, r->waited); // answered
	}
	if (rv == MGR_PENDING) {
		return replay_fail(j,
		    "record %llu: %s (the log does not match what it "
		    "replays onto)",
		    "a request that changed state then would wait now");
	}
	return 0;
}

static int
replay_session(journal *j, const Mgr__LogRecord *r)
{
	server  *srv = j->srv;
	session *s   = session_restore(srv, r->session);
	void   **slot;
	if (s == NULL
	    || (slot = idmap_put(&j->sessions, r->session)) == NULL) {
		return replay_fail(j, "record %llu: %s", "out of memory");
	}
	*slot        = s;
	s->lease_ms  = r->lease_ms;
	s->reconnect = r->reconnect;
	s->journaled = true;
	if (r->resume_secret.len == sizeof(s->resume_secret)) {
		memcpy(s->resume_secret, r->resume_secret.data,
		    sizeof(s->resume_secret));
	}
	snprintf(s->client, sizeof(s->client), "%s",
	    r->client != NULL ? r->client : "");
	return 0;
}

static int
replay_one(void *arg, uint64_t lsn, const uint8_t *p, size_t n)
{
	journal *j        = arg;
	server  *srv      = j->srv;
	j->lsn            = lsn;
	Mgr__LogRecord *r = mgr__log_record__unpack(NULL, n, p);
	if (r == NULL) {
		return replay_fail(j, "record %llu: %s", "undecodable");
	}
	int rv = 0;
	server_lock(srv);
	switch (r->kind) {
	case MGR__LOG_KIND__LOG_START:
		if (r->secret_key.len == sizeof(srv->secret_key)) {
			memcpy(srv->secret_key, r->secret_key.data,
			    sizeof(srv->secret_key));
		}
		break;
	case MGR__LOG_KIND__LOG_SESSION:
		rv = replay_session(j, r);
		break;
	case MGR__LOG_KIND__LOG_REQUEST:
		rv = replay_request(j, r);
		break;
	case MGR__LOG_KIND__LOG_COND_PARKED:
		rv = replay_cond_parked(j, r);
		break;
	case MGR__LOG_KIND__LOG_SESSION_END: {
		session *s = find_session(j, r->session);
		if (s != NULL) {
			idmap_del(&j->sessions, r->session);
			parked_forget(j, r->session, 0);
			session_end_locked(s);
			server_unlock(srv);
			session_free(s);
			server_lock(srv);
		}
		break;
	}
	case MGR__LOG_KIND__LOG_SNAP_BEGIN:
	case MGR__LOG_KIND__LOG_SNAP_OBJECT:
	case MGR__LOG_KIND__LOG_SNAP_NAMES:
	case MGR__LOG_KIND__LOG_SNAP_SESSION:
	case MGR__LOG_KIND__LOG_SNAP_END:
		rv = snapshot_load(j, r);
		break;
	case MGR__LOG_KIND__LOG_LEADER:
		if (j->sink != NULL) {
			j->sink->noted_leader(j->sink->arg, r->node, r->urls);
		}
		break;
	default:
		rv = replay_fail(j, "record %llu: %s",
		    "of a kind this managerd does not know");
	}
	server_unlock(srv);
	mgr__log_record__free_unpacked(r, NULL);
	return rv;
}

int
journal_replay_record(journal *j, uint64_t lsn, const uint8_t *p, size_t n)
{
	return replay_one(j, lsn, p, n);
}

/* After the replay: a session whose client cannot resume it ends (logged),
 * one that can waits for it for its lease, from now (a cluster's new
 * leader: from half a lease on). */
void
journal_settle(journal *j)
{
	server  *srv  = j->srv;
	session *dead = NULL;
	server_lock(srv);
	for (session *s = srv->sessions, *nx; s != NULL; s = nx) {
		nx = s->next;
		if (!s->journaled) {
			// A connection in its handshake (a cluster's member
			// is connected to while it replays): no session of
			// the log's, its own connection ends it.
			continue;
		}
		if (s->reconnect && s->lease_ms > 0) {
			repark(j, s);
			// A cluster's client notices a cut leader only after
			// half its lease of silence (mgr.h): the new leader's
			// wait covers that too, as etcd's extends every lease
			// at a promotion.
			int64_t notice
			    = j->sink != NULL ? s->lease_ms / 2 : 0;
			s->heard_ms = clock_ms() + notice;
			lease_detach(s);
			continue;
		}
		(void) journal_begin(srv, s);
		session_end_locked(s);
		journal_session_end(s);
		s->dnext = dead;
		dead     = s;
	}
	gc_maybe(srv, true);
	server_unlock(srv);
	if (j->sink == NULL) {
		parked_forget_all(j);
	} // a cluster's new leader keeps those parked again (its snapshots)
	while (dead != NULL) {
		session *nx = dead->dnext;
		session_free(dead);
		dead = nx;
	}
}

/* The timer reads srv->journal under the lock: from here no lease runs
 * out until the replay is over (sessions_expire). */
journal *
journal_attach(server *srv, int fsync, char *why, size_t whycap)
{
	journal *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		snprintf(why, whycap, "out of memory");
		return NULL;
	}
	j->srv       = srv;
	j->fsync     = (wal_fsync) fsync;
	j->replaying = true;
	j->why       = why;
	j->whycap    = whycap;
	idmap_init(&j->sessions);
	server_lock(srv);
	srv->journal = j;
	server_unlock(srv);
	return j;
}

/* Loads the snapshot dir's manifest names (none: nothing) into j:
 * j->snap_lsn is the last record it covers. 0, or what snapfile_read
 * refuses with (wwhy says why). */
static int
load_snapshot(journal *j, const char *dir, uint64_t *records, uint64_t *bytes,
    char *wwhy, size_t cap)
{
	int rv = manifest_read(dir, &j->snap_lsn, wwhy, cap);
	if (rv == 0 && j->snap_lsn > 0) {
		rv = snapfile_read(dir, j->snap_lsn, replay_one, j, records,
		    bytes, wwhy, cap);
		if (rv == 0 && j->snap != NULL) {
			snprintf(wwhy, cap,
			    "snap-%016llx.snap: it ends before its last "
			    "record",
			    (unsigned long long) j->snap_lsn);
			rv = -EBADMSG;
		}
	}
	return rv;
}

int
journal_open(server *srv, const char *dir, int fsync, uint64_t snapshot_after,
    const char *const *snapshot_args, char *why, size_t whycap)
{
	// Every request must fit in a record with room to spare: a bigger
	// frame is refused as it comes (over --max-message). The default is
	// held to that quietly; a larger one asked for is said.
	size_t most = WAL_MAX_RECORD - 4096;
	if (srv->lim.max_message > most) {
		log_msg(srv->lim.max_message > WAL_MAX_RECORD ? LOG_WARN
		                                              : LOG_INFO,
		    "--max-message %zu: %zu with --data-dir (what one record "
		    "of its log takes)",
		    srv->lim.max_message, most);
		srv->lim.max_message = most;
	}
	journal *j = journal_attach(srv, fsync, why, whycap);
	if (j == NULL) {
		return MGR_ENOMEM;
	}
	wal_opts o;
	journal_wal_opts(j, &o);
	wal_found found        = { 0 };
	uint64_t  t0           = (uint64_t) clock_ms();
	char      wwhy[256]    = "";
	uint64_t  snap_records = 0, snap_bytes = 0;
	int       rv = load_snapshot(
	          j, dir, &snap_records, &snap_bytes, wwhy, sizeof(wwhy));
	if (rv == 0) {
		snapfile_remove_others(dir, j->snap_lsn); // older, unfinished
		o.from_lsn = j->snap_lsn + 1;
		rv = wal_open(dir, &o, replay_one, j, &j->w, &found, wwhy,
		    sizeof(wwhy));
	}
	if (rv != 0) {
		snapshot_load_abort(j);
		if (rv < 0) {
			snprintf(why, whycap, "%s: %s", dir, wwhy);
		}
		server_lock(srv);
		srv->journal = NULL;
		server_unlock(srv);
		idmap_fini(&j->sessions);
		parked_forget_all(j);
		free(j);
		return rv < 0 ? MGR_EINTERNAL : rv;
	}
	server_lock(srv);
	j->replaying = false; // leases run from now (settle_sessions)
	server_unlock(srv);
	j->why = NULL;
	idmap_fini(&j->sessions);
	if (found.records == 0 && j->snap_lsn == 0) {
		// A new directory: the objects' secrets from here on.
		Mgr__LogRecord r  = MGR__LOG_RECORD__INIT;
		r.kind            = MGR__LOG_KIND__LOG_START;
		r.secret_key.data = (uint8_t *) srv->secret_key;
		r.secret_key.len  = sizeof(srv->secret_key);
		server_lock(srv);
		journal_put(j, &r, true);
		server_unlock(srv);
	}
	journal_settle(j);
	// The replay's holds of the lock served nobody (nobody is connected
	// yet): lock_hold_max_us counts from here, what clients may wait on.
	server_lock(srv);
	srv->lock_hold_max_us    = 0;
	srv->lock_hold_max_by[0] = '\0';
	server_unlock(srv);
	journal_gate(j);
	if (compactor_start(j, dir, snapshot_after, snapshot_args) != 0) {
		log_msg(LOG_WARN,
		    "%s: no snapshot thread (out of memory): the log keeps "
		    "everything",
		    dir);
	}
	log_msg(LOG_INFO,
	    "data directory %s: %llu records replayed in %llu ms (a "
	    "snapshot's %llu, %llu bytes; the log's %llu, %zu segments, %llu "
	    "bytes); %zu objects, %zu sessions waiting for their clients; "
	    "fsync %s",
	    dir, (unsigned long long) (snap_records + found.records),
	    (unsigned long long) ((uint64_t) clock_ms() - t0),
	    (unsigned long long) snap_records,
	    (unsigned long long) snap_bytes,
	    (unsigned long long) found.records, found.segments,
	    (unsigned long long) found.bytes, srv->objects.len,
	    srv->nsessions,
	    fsync == WAL_FSYNC_ALWAYS         ? "always"
	        : fsync == WAL_FSYNC_EVERYSEC ? "everysec"
	                                      : "no");
	return 0;
}

/* ---- the process that makes a snapshot (managerd --snapshot-to) -------- */

static int
emit_to_file(void *arg, const uint8_t *p, size_t n)
{
	return snapfile_put(arg, p, n) == 0 ? 0 : MGR_EINTERNAL;
}

int
journal_make_snapshot(
    server *srv, const char *dir, uint64_t to_lsn, char *why, size_t whycap)
{
	// Not to outlive the managerd that asked for it.
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	// Replaying for good: no lease runs out here either.
	journal *j = journal_attach(srv, WAL_FSYNC_NO, why, whycap);
	if (j == NULL) {
		return MGR_ENOMEM;
	}
	char wwhy[256] = "";
	int  rv = load_snapshot(j, dir, NULL, NULL, wwhy, sizeof(wwhy));
	if (rv == 0 && to_lsn <= j->snap_lsn) {
		snprintf(wwhy, sizeof(wwhy),
		    "record %llu is in the snapshot already",
		    (unsigned long long) to_lsn);
		rv = -EINVAL;
	}
	wal_found found;
	if (rv == 0) {
		rv = wal_check(dir, j->snap_lsn + 1, to_lsn, replay_one, j,
		    &found, wwhy, sizeof(wwhy));
	}
	if (rv != 0) {
		if (rv < 0 || why[0] == '\0') {
			snprintf(why, whycap, "%s: %s", dir, wwhy);
		}
		return MGR_EPROTO;
	}
	snapfile *f;
	if ((rv = snapfile_create(dir, to_lsn, &f, wwhy, sizeof(wwhy)))
	    != 0) {
		snprintf(why, whycap, "%s", wwhy);
		return MGR_EINTERNAL;
	}
	server_lock(srv);
	rv = snapshot_save(j, to_lsn, emit_to_file, f, why, whycap);
	server_unlock(srv);
	if (rv != 0) {
		snapfile_abort(f);
		return rv;
	}
	uint64_t bytes = snapfile_bytes(f);
	if (snapfile_commit(f, wwhy, sizeof(wwhy)) != 0) {
		snprintf(why, whycap, "%s", wwhy);
		return MGR_EINTERNAL;
	}
	log_msg(LOG_INFO,
	    "snapshot of records 1 to %llu: %zu objects, %zu sessions, %llu "
	    "bytes",
	    (unsigned long long) to_lsn, srv->objects.len, srv->nsessions,
	    (unsigned long long) bytes);
	return 0; // the process exits: what it built goes with it
}

/* ---- --check ------------------------------------------------------------
 */

typedef struct tally {
	uint64_t by_kind[16];
	uint64_t bad;
} tally;

static int
count_one(void *arg, uint64_t lsn, const uint8_t *p, size_t n)
{
	(void) lsn;
	tally          *t = arg;
	Mgr__LogRecord *r = mgr__log_record__unpack(NULL, n, p);
	if (r == NULL) {
		t->bad++;
		return 0;
	}
	if (r->kind != MGR__LOG_KIND__LOG_SNAP_OBJECT || r->part == 0) {
		t->by_kind[(unsigned) r->kind < 16 ? r->kind
		                                   : 0]++; // objects
	}
	mgr__log_record__free_unpacked(r, NULL);
	return 0;
}

int
journal_check(const char *dir, FILE *out, char *why, size_t whycap)
{
	tally     t = { { 0 }, 0 }, st = { { 0 }, 0 };
	wal_found found = { 0 };
	char      wwhy[256];
	uint64_t  snap = 0, snap_records = 0, snap_bytes = 0;
	int       rv = manifest_read(dir, &snap, wwhy, sizeof(wwhy));
	if (rv == 0 && snap > 0) {
		rv = snapfile_read(dir, snap, count_one, &st, &snap_records,
		    &snap_bytes, wwhy, sizeof(wwhy));
	}
	if (rv == 0) {
		rv = wal_check(dir, snap + 1, 0, count_one, &t, &found, wwhy,
		    sizeof(wwhy));
	}
	t.bad += st.bad;
	if (rv != 0) {
		snprintf(why, whycap, "%s: %s", dir, wwhy);
		return MGR_EPROTO;
	}
	if (t.bad > 0) {
		snprintf(why, whycap,
		    "%s: %llu records whose checksum is right but whose "
		    "contents this managerd cannot read",
		    dir, (unsigned long long) t.bad);
		return MGR_EPROTO;
	}
	fprintf(out,
	    "%s: ok: %zu segments, %llu records (LSN %llu to %llu), %llu "
	    "bytes%s\n"
	    "  sessions started %llu, ended %llu; requests %llu\n",
	    dir, found.segments, (unsigned long long) found.records,
	    (unsigned long long) found.first_lsn,
	    (unsigned long long) found.last_lsn,
	    (unsigned long long) found.bytes,
	    found.torn ? "; a torn last record (dropped at the next start)"
	               : "",
	    (unsigned long long) t.by_kind[MGR__LOG_KIND__LOG_SESSION],
	    (unsigned long long) t.by_kind[MGR__LOG_KIND__LOG_SESSION_END],
	    (unsigned long long) t.by_kind[MGR__LOG_KIND__LOG_REQUEST]);
	if (snap > 0) {
		fprintf(out,
		    "  a snapshot of records 1 to %llu: %llu bytes, %llu "
		    "objects, %llu sessions\n",
		    (unsigned long long) snap,
		    (unsigned long long) snap_bytes,
		    (unsigned long long)
		        st.by_kind[MGR__LOG_KIND__LOG_SNAP_OBJECT],
		    (unsigned long long)
		        st.by_kind[MGR__LOG_KIND__LOG_SESSION]);
	}
	return 0;
}
