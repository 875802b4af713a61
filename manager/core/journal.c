/* The data directory's records (journal.h): made from the changes as they
 * are applied; replies held until the records before them are written.
 * Their replay at start is journal_replay.c's. */
#include "journal_int.h"

#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "log.h"
#include "wait.h"

/* The journal of the one server whose replies the gate holds: the
 * connection layer's gate is process-wide (one managerd, one server). */
static journal *_Atomic gated;

bool
journal_replaying(const server *srv)
{
	return srv->journal != NULL && srv->journal->replaying;
}

static bool
logging(const server *srv)
{
	return srv->journal != NULL && !srv->journal->replaying;
}

/* ---- appending ----------------------------------------------------------
 */

/* A change the log could not take (no memory): from then on it holds
 * less than the manager applied, so nothing more may be acknowledged: the
 * write gate holds every reply and writes are refused, as for a failed
 * log. */
static void
lost(journal *j, size_t n)
{
	if (!atomic_exchange(&j->lost, true)) {
		log_msg(LOG_ERROR,
		    "data directory: a record of %zu bytes could not be "
		    "logged (out of memory): writes are refused and replies "
		    "held from now on; restart the manager",
		    n);
	}
}

/* A record of n bytes was appended as lsn (0: it could not be, which
 * happens only without memory). */
static void
appended(journal *j, uint64_t lsn, size_t n)
{
	if (lsn == 0) {
		lost(j, n);
	} else {
		atomic_store(&j->appended, lsn);
	}
}

/* Packs record r (wal_append_with's filler). */
static void
pack_record(void *r, uint8_t *dst)
{
	mgr__log_record__pack(r, dst);
}

/* Copies a record made before (end_change's). */
typedef struct copied {
	const uint8_t *p;
	size_t         n;
} copied;

static void
copy_record(void *arg, uint8_t *dst)
{
	const copied *c = arg;
	memcpy(dst, c->p, c->n);
}

/* Appends a record of n bytes that fill writes in place, to the data
 * directory's log or the cluster's batch: its LSN, 0 when it could not. */
static uint64_t
sink_append_with(
    journal *j, size_t n, void (*fill)(void *arg, uint8_t *dst), void *arg)
{
	return j->sink != NULL
	    ? j->sink->append_with(j->sink->arg, n, fill, arg)
	    : wal_append_with(j->w, n, fill, arg);
}

/* Record r (n bytes packed) is kept until the change being applied has
 * its own record: packed at the end of the later buffer. */
static void
put_later(journal *j, const Mgr__LogRecord *r, size_t n)
{
	later *l = &j->later;
	if (l->len + 4 + n > l->cap) {
		size_t   cap = (l->cap ? l->cap * 2 : 4096) + n + 4;
		uint8_t *nb  = realloc(l->buf, cap);
		if (nb == NULL) {
			lost(j, n);
			return;
		}
		l->buf = nb;
		l->cap = cap;
	}
	uint32_t n32 = (uint32_t) n;
	memcpy(l->buf + l->len, &n32, 4);
	mgr__log_record__pack(r, l->buf + l->len + 4);
	l->len += 4 + n;
	atomic_store(&j->deferring, true);
}

void
journal_put(journal *j, const Mgr__LogRecord *r, bool now)
{
	size_t      n   = mgr__log_record__get_packed_size(r);
	const char *why = NULL;
	// A cluster's leader snapshots its live state: the waits it parks
	// are kept as a replay of its records would keep them.
	if (j->sink != NULL && !j->replaying
	    && parked_track(j, r, &why) != 0) {
		log_msg(LOG_WARN,
		    "cluster: a parked wait is not kept for snapshots (%s)",
		    why);
	}
	if (!now && j->depth > 0) {
		put_later(j, r, n);
		return;
	}
	appended(j, sink_append_with(j, n, pack_record, (void *) r), n);
}

/* What the change that ends handed on goes in after it. */
static void
end_change(journal *j)
{
	if (j->depth > 0 && --j->depth > 0) {
		return;
	}
	later *l = &j->later;
	for (size_t off = 0; off < l->len;) {
		uint32_t n;
		memcpy(&n, l->buf + off, 4);
		copied c = { l->buf + off + 4, n };
		appended(j, sink_append_with(j, n, copy_record, &c), n);
		off += 4 + n;
	}
	l->len = 0;
	if (l->cap > 1 << 20) {
		free(l->buf);
		l->buf = NULL;
		l->cap = 0;
	}
	atomic_store(&j->deferring, false);
}

void
journal_input(server *srv, const uint8_t *frame, size_t len)
{
	if (srv->journal != NULL) {
		srv->journal->in    = frame;
		srv->journal->inlen = len;
	}
}

journal_mark
journal_begin(server *srv, const session *s)
{
	if (logging(srv)) {
		srv->journal->depth++;
	}
	return (journal_mark) { .refs_given = s != NULL ? s->refs_given : 0,
		.next_id                    = srv->next_id };
}

void
journal_end(server *srv)
{
	if (logging(srv)) {
		end_change(srv->journal);
	}
}

void
journal_request(server *srv, session *s, const Mgr__Request *rq, bool wrote,
    const journal_mark *begun, uint64_t reply_no)
{
	if (!logging(srv)) {
		return;
	}
	journal *j = srv->journal;
	// Ids are handed out in order: a request that took one must take it
	// again when applied again, failed or not. A stale-read session's
	// changes nothing (its goodbye drops nothing), and is not the log's.
	if (s != NULL && s->stale_reads) {
		end_change(j);
		return;
	}
	if (wrote || (s != NULL && s->refs_given != begun->refs_given)
	    || srv->next_id != begun->next_id) {
		Mgr__LogRecord r      = MGR__LOG_RECORD__INIT;
		uint8_t       *packed = NULL;
		r.kind                = MGR__LOG_KIND__LOG_REQUEST;
		r.session             = s != NULL ? s->id : 0;
		r.reply               = reply_no;
		if (j->in != NULL) {
			r.request.data = (uint8_t *) j->in;
			r.request.len  = j->inlen;
		} else {
			// The manager's own action: no frame carried it.
			size_t n = mgr__request__get_packed_size(rq);
			packed   = malloc(n ? n : 1);
			if (packed != NULL) {
				mgr__request__pack(rq, packed);
				r.request.data = packed;
				r.request.len  = n;
			}
		}
		if (r.request.data != NULL) {
			journal_put(j, &r, true);
		} else {
			lost(j, rq->n_args);
		}
		free(packed);
	}
	end_change(j);
}

void
journal_session_start(session *s)
{
	if (!logging(s->srv)) {
		return;
	}
	Mgr__LogRecord r;
	journal_session_record(s, &r);
	journal_put(s->srv->journal, &r, true);
	s->journaled = true;
}

void
journal_session_record(session *s, Mgr__LogRecord *r)
{
	*r                    = (Mgr__LogRecord) MGR__LOG_RECORD__INIT;
	r->kind               = MGR__LOG_KIND__LOG_SESSION;
	r->session            = s->id;
	r->lease_ms           = s->lease_ms;
	r->reconnect          = s->reconnect;
	r->resume_secret.data = s->resume_secret;
	r->resume_secret.len  = sizeof(s->resume_secret);
	r->client             = s->client;
}

void
journal_session_end(session *s)
{
	if (!logging(s->srv)) {
		return;
	}
	journal *j = s->srv->journal;
	// Once the manager stops, a session's end is the stop's, not its
	// own: the log keeps it for its client to resume after a restart.
	if (s->journaled && !s->srv->stopping) {
		Mgr__LogRecord r = MGR__LOG_RECORD__INIT;
		r.kind           = MGR__LOG_KIND__LOG_SESSION_END;
		r.session        = s->id;
		journal_put(j, &r, true);
	}
	end_change(j);
}

/* n records of request op on target by s's thread; waited: the seq of the
 * condition's wait they answer (0: none). */
static void
as_requests(server *srv, session *s, Mgr__Op op, mobj *target,
    uint64_t thread, int64_t n, uint64_t waited)
{
	if (!logging(srv)) {
		return;
	}
	Mgr__Request rq = MGR__REQUEST__INIT;
	rq.op           = op;
	rq.target       = target->id;
	rq.secret       = target->secret;
	rq.thread       = thread;
	rq.timeout_ms   = 0;
	uint8_t buf[128];
	size_t  len = mgr__request__get_packed_size(&rq);
	if (len > sizeof(buf)) {
		return; // cannot be: a few integers
	}
	mgr__request__pack(&rq, buf);
	Mgr__LogRecord r = MGR__LOG_RECORD__INIT;
	r.kind           = MGR__LOG_KIND__LOG_REQUEST;
	r.session        = s != NULL ? s->id : 0;
	r.request.data   = buf;
	r.request.len    = len;
	r.waited         = waited;
	for (int64_t i = 0; i < n; i++) {
		journal_put(srv->journal, &r, false);
	}
}

int
journal_park(server *srv, waiter *w, bool writes)
{
	// Logged as applied when it is handed something, if that changes
	// state. A condition's wait is logged as its lock's release and
	// acquire instead; a barrier's leaves nothing once its parties pass.
	journal *j = srv->journal;
	if (!logging(srv) || j->in == NULL || !writes
	    || w->op == MGR__OP__OP_COND_WAIT
	    || w->op == MGR__OP__OP_BARRIER_WAIT) {
		return 0;
	}
	w->logged = malloc(j->inlen ? j->inlen : 1);
	if (w->logged == NULL) {
		return MGR_ENOMEM;
	}
	memcpy(w->logged, j->in, j->inlen);
	w->logged_len = j->inlen;
	return 0;
}

void
journal_answered(waiter *w, int status, uint64_t reply_no)
{
	server *srv = w->obj->srv;
	if (!logging(srv)) {
		return;
	}
	if (w->op == MGR__OP__OP_COND_WAIT
	    && (status == 0 || status == MGR_ETIMEDOUT)) {
		// Answered once it has its lock back, with its depth.
		mobj *lk = w->obj->type->lock_of != NULL
		    ? w->obj->type->lock_of(w->obj)
		    : NULL;
		if (lk != NULL) {
			as_requests(srv, w->sess, MGR__OP__OP_ACQUIRE, lk,
			    w->thread, w->n, w->seq);
		}
		return;
	}
	if (status != 0 || w->logged == NULL) {
		return;
	}
	Mgr__LogRecord r = MGR__LOG_RECORD__INIT;
	r.kind           = MGR__LOG_KIND__LOG_REQUEST;
	r.session        = w->sess->id;
	r.reply          = reply_no;
	r.request.data   = w->logged;
	r.request.len    = w->logged_len;
	journal_put(srv->journal, &r, false);
}

void
journal_as_requests(server *srv, session *s, Mgr__Op op, mobj *target,
    uint64_t thread, int64_t n)
{
	as_requests(srv, s, op, target, thread, n, 0);
}

void
journal_cond_parked(server *srv, session *s, int64_t depth)
{
	journal *j = srv->journal;
	if (!logging(srv) || j->in == NULL || j->reparking) {
		return;
	}
	Mgr__LogRecord r = MGR__LOG_RECORD__INIT;
	r.kind           = MGR__LOG_KIND__LOG_COND_PARKED;
	r.session        = s->id;
	r.request.data   = (uint8_t *) j->in;
	r.request.len    = j->inlen;
	r.depth          = depth;
	journal_put(j, &r, false);
}

bool
journal_reparking(const server *srv, int64_t *depth)
{
	journal *j = srv->journal;
	if (j == NULL || !j->reparking) {
		return false;
	}
	*depth = j->repark_depth;
	return true;
}

/* ---- figures and refusals ---------------------------------------------- */

bool
journal_figures_of(server *srv, journal_figures *f)
{
	journal *j = srv->journal;
	if (j == NULL || j->w == NULL) {
		return false;
	}
	wal_figures w;
	wal_figures_of(j->w, &w);
	*f = (journal_figures) {
		.fsync        = j->fsync == WAL_FSYNC_ALWAYS ? "always"
		           : j->fsync == WAL_FSYNC_EVERYSEC  ? "everysec"
		                                             : "no",
		.records      = w.appended_lsn,
		.durable      = w.durable_lsn,
		.bytes        = w.bytes,
		.segments     = w.segments,
		.syncs        = w.syncs,
		.max_group    = w.max_group,
		.sync_lag_us  = w.sync_lag_us,
		.last_sync_us = w.last_sync_us,
		.refusing     = journal_refuses(srv, NULL, 0),
	};
	return true;
}

bool
journal_refuses(server *srv, char *why, size_t whycap)
{
	journal *j = srv->journal;
	if (j != NULL && atomic_load(&j->lost)) {
		snprintf(why, whycap,
		    "a change could not be logged for want of memory");
		return true;
	}
	return j != NULL && !j->replaying && j->w != NULL
	    && wal_refuses(j->w, why, whycap);
}

/* ---- replies wait for their records ------------------------------------ */

/* Says once that the log failed: replies are held from now on. */
static void
log_failed(journal *j)
{
	static atomic_bool said;
	char               why[300];
	if (!atomic_exchange(&said, true)) {
		wal_refuses(j->w, why, sizeof(why));
		log_msg(LOG_ERROR,
		    "data directory: %s: writes are refused, and replies "
		    "that "
		    "may depend on what it lost are not sent (their "
		    "connections close); mend the directory and restart",
		    why);
	}
}

/* The connection layer calls this before it writes replies (not under
 * the server lock): the records appended before them are written here,
 * and they may leave now (FCONN_GATE_OPEN), or under always once the log
 * thread has synced up to the LSN returned (it says so through
 * fconn_gate_passed: the thread goes on meanwhile, no loop waits for the
 * disk), or never (FCONN_GATE_SHUT: the log failed). */
static uint64_t
write_gate(void)
{
	journal *j = atomic_load(&gated);
	if (j == NULL) {
		return FCONN_GATE_OPEN;
	}
	if (atomic_load(&j->lost)) {
		return FCONN_GATE_SHUT;
	}
	if (atomic_load(&j->deferring)) {
		// A change is being applied whose replies may be queued
		// already, its records not yet appended: wait for its end.
		pthread_mutex_lock(&j->srv->mtx);
		pthread_mutex_unlock(&j->srv->mtx);
	}
	if (j->sink != NULL) {
		// The batch goes to the group; the replies wait for its
		// commit (cluster.c's apply says when).
		uint64_t committed,
		    want = j->sink->gate(j->sink->arg, &committed);
		return committed >= want ? FCONN_GATE_OPEN : want;
	}
	uint64_t want = atomic_load(&j->appended);
	if (want == 0) {
		return FCONN_GATE_OPEN;
	}
	if (wal_write(j->w) < want) {
		// A failed log (writes are refused from here on, its figures
		// say why): replies that may acknowledge what it lost do not
		// leave. Their clients retry once it is mended and the
		// manager restarted.
		log_failed(j);
		return FCONN_GATE_SHUT;
	}
	if (j->fsync != WAL_FSYNC_ALWAYS || wal_durable(j->w) >= want) {
		return FCONN_GATE_OPEN;
	}
	return want; // the log thread's sync was asked for by wal_write
}

/* The log thread synced up to lsn (always): the replies held for it go. */
static void
on_durable(void *arg, uint64_t lsn)
{
	(void) arg;
	fconn_gate_passed(lsn);
}

/* The log failed (a write or a sync): the replies held never go. */
static void
on_failed(void *arg)
{
	log_failed(arg);
	fconn_gate_failed();
}

const wal_opts *
journal_wal_opts(journal *j, wal_opts *o)
{
	*o = (wal_opts) { .fsync = j->fsync,
		.on_durable      = on_durable,
		.on_failed       = on_failed,
		.arg             = j };
	return o;
}

void
journal_gate(journal *j)
{
	atomic_store(&gated, j);
	fconn_set_write_gate(j != NULL ? write_gate : NULL);
	if (j != NULL) {
		(void) write_gate();
	}
}

bool
journal_redirect(server *srv, char *leader, size_t cap)
{
	journal *j = srv->journal;
	return j != NULL && j->sink != NULL
	    && j->sink->redirect(j->sink->arg, leader, cap);
}

bool
journal_cluster_figures(server *srv, struct cluster_figures *f)
{
	journal *j = srv->journal;
	return j != NULL && j->sink != NULL
	    && j->sink->figures(j->sink->arg, f);
}

int
journal_cluster_change(
    server *srv, uint64_t id, const char *addr, char *why, size_t whycap)
{
	journal *j = srv->journal;
	if (j == NULL || j->sink == NULL) {
		snprintf(why, whycap,
		    "this manager is no member of a cluster (managerd "
		    "--cluster)");
		return MGR_ESTATE;
	}
	return j->sink->change(j->sink->arg, id, addr, why, whycap);
}

void
journal_quiesce(server *srv)
{
	journal *j = srv->journal;
	if (j != NULL && j->sink != NULL) {
		j->sink->stop(j->sink->arg);
	}
}

void
journal_close(server *srv)
{
	journal *j = srv->journal;
	if (j == NULL) {
		return;
	}
	compactor_stop(j);
	// The loops are gone: nobody passes the gate any more.
	journal_gate(NULL);
	if (j->sink != NULL) {
		// What the group has not committed is not acknowledged: the
		// connections holding its replies are gone already.
		j->sink->close(j->sink->arg); // and what its replay kept
		srv->journal = NULL;
	} else {
		srv->journal = NULL;
		wal_close(j->w); // writes and syncs what is left
		fconn_gate_passed(
		    UINT64_MAX - 1); // what was held for it goes
	}
	free(j->later.buf);
	free(j);
}
