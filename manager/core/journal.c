/* The data directory's records (journal.h): made from the changes as they
 * are applied, and applied again at start. */
#include "journal.h"
#include "wal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "server_state.h"
#include "session_int.h"
#include "wait.h"

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
	wal           *w;
	wal_fsync      fsync;
	bool           replaying, stopping;
	const uint8_t *in; /* the frame being applied */
	size_t         inlen;
	int            depth; /* changes being applied, nested */
	later          later;
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
	idmap        sessions; /* id -> session, those open */
	parked_wait *parked;   /* condition waits not answered */
	size_t       nparked, parked_cap;
	uint64_t     replayed, lsn;
	char        *why;
	size_t       whycap;
};

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

static void
put_now(journal *j, const uint8_t *p, size_t n)
{
	uint64_t lsn = wal_append(j->w, p, n);
	if (lsn == 0) {
		lost(j, n); // wal_append fails only without memory
		return;
	}
	atomic_store(&j->appended, lsn);
}

static void
put_later(journal *j, const uint8_t *p, size_t n)
{
	later *l = &j->later;
	if (l->len + 4 + n > l->cap) {
		size_t   cap = (l->cap ? l->cap * 2 : 4096) + n + 4;
		uint8_t *nb  = realloc(l->buf, cap);
		if (nb == NULL) {
			put_now(j, p, n); // out of order beats lost
			return;
		}
		l->buf = nb;
		l->cap = cap;
	}
	uint32_t n32 = (uint32_t) n;
	memcpy(l->buf + l->len, &n32, 4);
	memcpy(l->buf + l->len + 4, p, n);
	l->len += 4 + n;
	atomic_store(&j->deferring, true);
}

/* Packs r and logs it now (now) or after the change being applied. */
static void
put(journal *j, const Mgr__LogRecord *r, bool now)
{
	size_t   n = mgr__log_record__get_packed_size(r);
	uint8_t  small[512];
	uint8_t *p = n <= sizeof(small) ? small : malloc(n);
	if (p == NULL) {
		lost(j, n);
		return;
	}
	mgr__log_record__pack(r, p);
	if (now || j->depth == 0) {
		put_now(j, p, n);
	} else {
		put_later(j, p, n);
	}
	if (p != small) {
		free(p);
	}
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
		put_now(j, l->buf + off + 4, n);
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

void
journal_begin(server *srv)
{
	if (logging(srv)) {
		srv->journal->depth++;
	}
}

void
journal_end(server *srv)
{
	if (logging(srv)) {
		end_change(srv->journal);
	}
}

void
journal_request(server *srv, session *s, const Mgr__Request *rq, bool changed,
    uint64_t reply_no)
{
	if (!logging(srv)) {
		return;
	}
	journal *j = srv->journal;
	if (changed) {
		Mgr__LogRecord r      = MGR__LOG_RECORD__INIT;
		uint8_t       *packed = NULL;
		r.kind                = MGR__LOG_KIND__LOG_REQUEST;
		r.session             = s != NULL ? session_id(s) : 0;
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
			put(j, &r, true);
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
	Mgr__LogRecord r     = MGR__LOG_RECORD__INIT;
	r.kind               = MGR__LOG_KIND__LOG_SESSION;
	r.session            = s->id;
	r.lease_ms           = s->lease_ms;
	r.reconnect          = s->reconnect;
	r.resume_secret.data = s->resume_secret;
	r.resume_secret.len  = sizeof(s->resume_secret);
	r.client             = s->client;
	put(s->srv->journal, &r, true);
	s->journaled = true;
}

void
journal_session_end(session *s)
{
	if (!logging(s->srv)) {
		return;
	}
	journal *j = s->srv->journal;
	if (s->journaled && !j->stopping) {
		Mgr__LogRecord r = MGR__LOG_RECORD__INIT;
		r.kind           = MGR__LOG_KIND__LOG_SESSION_END;
		r.session        = s->id;
		put(j, &r, true);
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
	r.session        = s != NULL ? session_id(s) : 0;
	r.request.data   = buf;
	r.request.len    = len;
	r.waited         = waited;
	for (int64_t i = 0; i < n; i++) {
		put(srv->journal, &r, false);
	}
}

/* Whether a parked request op, answered, is logged as applied then: what
 * changes state when it is handed something. A condition's wait is
 * logged as the lock's release and acquire instead; a barrier's wait
 * leaves nothing behind once its parties pass. */
static bool
logged_when_answered(Mgr__Op op)
{
	const mop *m = dispatch_op(op);
	return m != NULL && (m->flags & MOP_WRITE)
	    && op != MGR__OP__OP_COND_WAIT && op != MGR__OP__OP_BARRIER_WAIT;
}

int
journal_park(server *srv, waiter *w)
{
	journal *j = srv->journal;
	if (!logging(srv) || j->in == NULL || !logged_when_answered(w->op)) {
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
	r.session        = session_id(w->sess);
	r.reply          = reply_no;
	r.request.data   = w->logged;
	r.request.len    = w->logged_len;
	put(srv->journal, &r, false);
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
	r.session        = session_id(s);
	r.request.data   = (uint8_t *) j->in;
	r.request.len    = j->inlen;
	r.depth          = depth;
	put(j, &r, false);
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
	char why[8];
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
		.refusing     = journal_refuses(srv, why, sizeof(why)),
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

/* The connection layer calls this before it writes replies: the records
 * appended before them are written (under always: synced) first. Not
 * under the server lock. */
static bool
write_gate(void)
{
	journal *j = atomic_load(&gated);
	if (j == NULL) {
		return true;
	}
	if (atomic_load(&j->lost)) {
		return false;
	}
	if (atomic_load(&j->deferring)) {
		// A change is being applied whose replies may be queued
		// already, its records not yet appended: wait for its end.
		pthread_mutex_lock(&j->srv->mtx);
		pthread_mutex_unlock(&j->srv->mtx);
	}
	uint64_t want = atomic_load(&j->appended);
	if (want == 0) {
		return true;
	}
	if (wal_write(j->w) < want) {
		// A failed log (writes are refused from here on, its figures
		// say why): replies that may acknowledge what it lost do not
		// leave. Their clients retry once it is mended and the
		// manager restarted.
		log_failed(j);
		return false;
	}
	if (j->fsync == WAL_FSYNC_ALWAYS && wal_sync(j->w, want) != 0) {
		log_failed(j); // its sync failed: nothing written is trusted
		return false;
	}
	return true;
}

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

static void
parked_forget_all(journal *j)
{
	for (size_t i = 0; i < j->nparked; i++) {
		free(j->parked[i].request);
	}
	free(j->parked);
	j->parked  = NULL;
	j->nparked = j->parked_cap = 0;
}

/* Forgets the parked waits of session sid (seq 0: all of them). */
static void
parked_forget(journal *j, uint64_t sid, uint64_t seq)
{
	for (size_t i = 0; i < j->nparked;) {
		parked_wait *p = &j->parked[i];
		if (p->session == sid && (seq == 0 || p->seq == seq)) {
			free(p->request);
			*p = j->parked[--j->nparked];
		} else {
			i++;
		}
	}
}

static int
replay_cond_parked(journal *j, const Mgr__LogRecord *r)
{
	Mgr__Request *rq
	    = mgr__request__unpack(NULL, r->request.len, r->request.data);
	if (rq == NULL) {
		return replay_fail(
		    j, "record %llu: %s", "an undecodable wait");
	}
	uint64_t seq = rq->seq;
	mgr__request__free_unpacked(rq, NULL);
	if (seq == 0) {
		return 0; // its client never retries: nothing to park again
	}
	if (j->nparked == j->parked_cap) {
		size_t       cap = j->parked_cap ? j->parked_cap * 2 : 16;
		parked_wait *np  = realloc(j->parked, cap * sizeof(*np));
		if (np == NULL) {
			return replay_fail(
			    j, "record %llu: %s", "out of memory");
		}
		j->parked     = np;
		j->parked_cap = cap;
	}
	parked_wait *p = &j->parked[j->nparked];
	*p             = (parked_wait) { .session = r->session,
		            .seq                  = seq,
		            .depth                = r->depth,
		            .request              = malloc(r->request.len + 1),
		            .len                  = r->request.len };
	if (p->request == NULL) {
		return replay_fail(j, "record %llu: %s", "out of memory");
	}
	memcpy(p->request, r->request.data, r->request.len);
	j->nparked++;
	return 0;
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
	default:
		rv = replay_fail(j, "record %llu: %s",
		    "of a kind this managerd does not know");
	}
	server_unlock(srv);
	mgr__log_record__free_unpacked(r, NULL);
	j->replayed++;
	return rv;
}

/* After the replay: a session whose client cannot resume it ends (logged),
 * one that can waits for it for its lease, from now. */
static void
settle_sessions(journal *j)
{
	server  *srv  = j->srv;
	session *dead = NULL;
	server_lock(srv);
	for (session *s = srv->sessions, *nx; s != NULL; s = nx) {
		nx = s->next;
		if (s->reconnect && s->lease_ms > 0) {
			repark(j, s);
			s->heard_ms = clock_ms();
			lease_detach(s);
			continue;
		}
		journal_begin(srv);
		session_end_locked(s);
		journal_session_end(s);
		s->dnext = dead;
		dead     = s;
	}
	gc_maybe(srv, true);
	server_unlock(srv);
	parked_forget_all(j);
	while (dead != NULL) {
		session *nx = dead->dnext;
		session_free(dead);
		dead = nx;
	}
}

int
journal_open(
    server *srv, const char *dir, int fsync, char *why, size_t whycap)
{
	journal *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		snprintf(why, whycap, "out of memory");
		return MGR_ENOMEM;
	}
	// Every request must fit in a record with room to spare: a bigger
	// frame is refused as it comes (over --max-message).
	size_t most = WAL_MAX_RECORD - 4096;
	if (srv->lim.max_message > most) {
		log_msg(LOG_WARN,
		    "--max-message %zu is more than --data-dir's log takes "
		    "in "
		    "one record: %zu",
		    srv->lim.max_message, most);
		srv->lim.max_message = most;
	}
	j->srv       = srv;
	j->fsync     = (wal_fsync) fsync;
	j->replaying = true;
	j->why       = why;
	j->whycap    = whycap;
	idmap_init(&j->sessions);
	srv->journal        = j;
	wal_opts  o         = { .fsync = j->fsync, .caller_syncs = true };
	wal_found found     = { 0 };
	uint64_t  t0        = (uint64_t) clock_ms();
	char      wwhy[256] = "";
	int       rv        = wal_open(
	                 dir, &o, replay_one, j, &j->w, &found, wwhy, sizeof(wwhy));
	if (rv != 0) {
		if (rv < 0) {
			snprintf(why, whycap, "%s: %s", dir, wwhy);
		}
		srv->journal = NULL;
		idmap_fini(&j->sessions);
		parked_forget_all(j);
		free(j);
		return rv < 0 ? MGR_EINTERNAL : rv;
	}
	j->replaying = false;
	j->why       = NULL;
	idmap_fini(&j->sessions);
	if (found.records == 0) {
		// A new directory: the objects' secrets from here on.
		Mgr__LogRecord r  = MGR__LOG_RECORD__INIT;
		r.kind            = MGR__LOG_KIND__LOG_START;
		r.secret_key.data = (uint8_t *) srv->secret_key;
		r.secret_key.len  = sizeof(srv->secret_key);
		server_lock(srv);
		put(j, &r, true);
		server_unlock(srv);
	}
	settle_sessions(j);
	atomic_store(&gated, j);
	fconn_set_write_gate(write_gate);
	(void) write_gate();
	log_msg(LOG_INFO,
	    "data directory %s: %llu records replayed in %llu ms (%zu "
	    "segments, %llu bytes); %zu objects, %zu sessions waiting for "
	    "their clients; fsync %s",
	    dir, (unsigned long long) found.records,
	    (unsigned long long) ((uint64_t) clock_ms() - t0), found.segments,
	    (unsigned long long) found.bytes, srv->objects.len,
	    srv->nsessions,
	    fsync == WAL_FSYNC_ALWAYS         ? "always"
	        : fsync == WAL_FSYNC_EVERYSEC ? "everysec"
	                                      : "no");
	return 0;
}

void
journal_stopping(server *srv)
{
	if (srv->journal != NULL) {
		srv->journal->stopping = true;
	}
}

void
journal_close(server *srv)
{
	journal *j = srv->journal;
	if (j == NULL) {
		return;
	}
	(void) write_gate();
	fconn_set_write_gate(NULL);
	atomic_store(&gated, NULL);
	srv->journal = NULL;
	wal_close(j->w);
	free(j->later.buf);
	free(j);
}

/* ---- --check ------------------------------------------------------------
 */

typedef struct tally {
	uint64_t by_kind[8];
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
	t->by_kind[(unsigned) r->kind < 8 ? r->kind : 0]++;
	mgr__log_record__free_unpacked(r, NULL);
	return 0;
}

int
journal_check(const char *dir, FILE *out, char *why, size_t whycap)
{
	tally     t     = { { 0 }, 0 };
	wal_found found = { 0 };
	char      wwhy[256];
	int rv = wal_check(dir, count_one, &t, &found, wwhy, sizeof(wwhy));
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
	return 0;
}
