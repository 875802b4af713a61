/* A session is one client's life with the manager: its handshake
 * (handshake.c), its requests, and the references, locks and waits it
 * holds. When its connection ends, cleanly or because the client died,
 * everything the session held is dropped, unless the client reconnects
 * (then the session is kept for its lease, lease.c, and a retried
 * request is answered once, from its record, replay.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "codec.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "pbcheck.h"
#include "peer.h"
#include "session_int.h"
#include "stats.h"
#include "wait.h"
#include "wire.h"

void
session_drop_all(session *s)
{
	server *srv = s->srv;
	// Its parked requests go first (nothing is handed to a dead client),
	// then what it holds (locks, permits) passes on to other waiters,
	// then its references go.
	wait_cancel_session(s, &s->waiters);
	size_t   pos = 0;
	uint64_t id;
	void    *v;
	while (idmap_next(&s->touched, &pos, &id, &v)) {
		mobj *o = store_find(srv, id);
		if (o != NULL && o->type->session_end != NULL) {
			o->type->session_end(o, s);
			stats_note_size(srv, o); // items given back
		}
	}
	idmap_fini(&s->touched);
	// Decrefs may free objects (and their contents) as we go: take the
	// table first so nothing walks it while it changes.
	idmap refs = s->refs;
	idmap_init(&s->refs);
	pos = 0;
	while (idmap_next(&refs, &pos, &id, &v)) {
		mobj *o = store_find(srv, id);
		for (uintptr_t n = (uintptr_t) v; o != NULL && n > 0; n--) {
			bool last = o->refs == 1;
			mobj_decref(o);
			if (last) {
				break;
			}
		}
	}
	idmap_fini(&refs);
	// What it made and still lives is no longer counted against it.
	pos = 0;
	while (idmap_next(&s->made, &pos, &id, &v)) {
		mobj *o = store_find(srv, id);
		if (o != NULL) {
			o->maker = NULL;
		}
	}
	idmap_fini(&s->made);
	idmap_init(&s->made);
}

/* ---- requests -------------------------------------------------------- */

/* A request of a reconnecting session numbered rq->seq: applied once.
 * A retry of one answered is answered from the record, one still under
 * way (a parked waiter) is left to it. srv->mtx held. */
static int
apply_once(server *srv, session *s, const Mgr__Request *rq)
{
	const uint8_t *frame;
	size_t         len;
	Mgr__Reply     rp = MGR__REPLY__INIT;
	rp.id             = rq->id;
	switch (replay_lookup(&s->record, rq->seq, &frame, &len)) {
	case REPLAY_DONE:
		if (len > 0) {
			return session_send_again(s, rq->seq, frame, len);
		}
		// Applied, its reply not kept (no memory): never again.
		rp.status = MGR_ENOMEM;
		rp.error = "applied, but its reply was lost: the manager had "
		           "no memory to keep it for the retry";
		return session_send(s, 0, &rp);
	case REPLAY_RUNNING:
		return 0;
	case REPLAY_NEW:
		break;
	}
	if (replay_bytes(&s->record) > srv->lim.max_reply_record) {
		session_expel(s,
		    "its client left over max-reply-record bytes "
		    "of replies unacknowledged");
		return MGR_ECONN;
	}
	if (replay_begin(&s->record, rq->seq) != 0) {
		rp.status = MGR_ENOMEM;
		rp.error  = "out of memory for the session's record";
		return session_send(s, 0, &rp);
	}
	return dispatch(srv, s, rq);
}

void
session_expel(session *s, const char *why)
{
	Mgr__Reply rp = MGR__REPLY__INIT;
	rp.status     = MGR_ESESSION;
	rp.error      = (char *) why;
	fconn *fc     = s->fc;
	(void) session_send(s, 0, &rp); // the notice: reply 0
	s->expelled = why;
	session_end_locked(s); // its connection's end frees it
	if (fc != NULL) {
		fconn_close_after_try(fc);
	}
}

/* The wire key of Request.id, which protobuf-c packs first. */
static uint32_t
request_id_key(void)
{
	static uint32_t key; // the same for every thread: a benign race
	uint32_t        k = __atomic_load_n(&key, __ATOMIC_RELAXED);
	if (k == 0) {
		k = pb_field_key(&mgr__request__descriptor, "id");
		__atomic_store_n(&key, k, __ATOMIC_RELAXED);
	}
	return k;
}

/* Answers request id (a frame of len bytes, not applied) with
 * MGR_ETOOBIG and why; logs it (a line per peer network an interval: a
 * client that keeps sending them does not flood the log). */
static int
refuse_request(session_link *link, uint64_t id, size_t len, const char *why)
{
	server *srv = link->srv;
	server_lock(srv);
	session *s  = link->s;
	int      rv = 0;
	log_refused(LOG_WARN, "requests over a size limit",
	    s != NULL ? s->peer : "?",
	    "session %llu: request %llu of %zu bytes refused: %s",
	    (unsigned long long) link->sid, (unsigned long long) id, len,
	    why);
	if (s != NULL && s->state == SESSION_READY) {
		stats_request(srv, s, len + 4);
		s->heard_ms   = clock_coarse_ms();
		Mgr__Reply rp = MGR__REPLY__INIT;
		rp.id         = id;
		rp.status     = MGR_ETOOBIG;
		rp.error      = (char *) why;
		rv            = session_send(s, 0, &rp);
	}
	server_unlock(srv);
	return rv == MGR_ECONN ? 0 : rv;
}

/* A request of more values than --max-request-items, whose id could be
 * read: refused with MGR_ETOOBIG (as the README promises), never
 * unpacked; the session and its connection go on. */
static int
refuse_too_many(session_link *link, uint64_t id, size_t len)
{
	char why[160];
	snprintf(why, sizeof(why),
	    "a request of more than %zu values (--max-request-items): "
	    "refused, nothing applied",
	    LIMIT_READ(link->srv, max_request_items));
	return refuse_request(link, id, len, why);
}

/* Values a request may carry beyond --max-op-elements: its arguments and
 * the containers around its elements (a list of the limit's items is
 * one more value). */
#define REQUEST_FRAME_VALUES 64

/* A request of more values than --max-op-elements: decoding and applying
 * them would hold the manager in proportion (a dict_update of a million
 * pairs: 0.6 s while every client waited). Refused before it is
 * unpacked; the client sends it in parts. */
static int
refuse_too_long(session_link *link, uint64_t id, size_t len, size_t values)
{
	char why[240];
	snprintf(why, sizeof(why),
	    "a request of %zu values, over --max-op-elements %zu (what one "
	    "request may carry, read, copy or sort while every other "
	    "client waits): refused, nothing applied; send it in parts",
	    values, LIMIT_READ(link->srv, max_op_elements));
	return refuse_request(link, id, len, why);
}

/* A big request coming (fconn_big_frame_fn): with --max-memory, one that
 * the manager cannot hold along with what it holds is refused by its
 * first bytes and dropped as it comes, instead of being buffered whole
 * and decoded before the limit is looked at (which let 32 connections
 * hold a gigabyte under a limit of 64 MiB). */
static int
on_big_frame(void *arg, const uint8_t *head, size_t hlen, size_t len)
{
	session_link *link = arg;
	server       *srv  = link->srv;
	size_t        max  = LIMIT_READ(srv, max_memory);
	if (max == 0 || !link->authed) {
		return 0;
	}
	server_memory_sample(srv);
	size_t used = server_memory(srv);
	if (used + len <= max) {
		return 0;
	}
	uint64_t id;
	if (!pb_peek_varint(head, hlen, request_id_key(), &id) || id == 0) {
		// Its id may not be in yet (a read can end after the length);
		// a head of 64 bytes without one has nothing to answer by.
		return hlen < 64 ? FCONN_MORE : MGR_ETOOBIG;
	}
	char why[200];
	snprintf(why, sizeof(why),
	    "a request of %zu bytes refused before it was read: the "
	    "manager holds %zu bytes, with it over --max-memory %zu",
	    len, used, max);
	int rv = refuse_request(link, id, len, why);
	return rv != 0 ? rv : FCONN_DROP;
}

/* A big request's big str and bytes values copied into their stored form
 * before the lock (codec.h), its batch's entries' too. */
static void
prepare_big_values(const Mgr__Request *rq)
{
	for (size_t i = 0; i < rq->n_args; i++) {
		sv_prepare_big(rq->args[i]);
	}
	for (size_t b = 0; b < rq->n_batch; b++) {
		prepare_big_values(rq->batch[b]);
	}
}

/* A frame of a session's connection: its Auth, then its requests. */
static int
on_frame(void *arg, const uint8_t *data, size_t len)
{
	session_link *link = arg;
	server       *srv  = link->srv;
	if (!link->authed) {
		session *replaced = NULL; // by the session it resumed
		int      rv       = on_auth(link, data, len, &replaced);
		if (replaced != NULL) {
			server_lock(srv);
			session_unlist(replaced);
			server_unlock(srv);
			session_free(replaced);
		}
		return rv;
	}
	Mgr__Request *rq       = NULL;
	bool          bad_text = false, over = false;
	uint64_t      id;
	size_t        values = 0;
	if (!pb_check_limits(&mgr__request__descriptor, data, len,
	        WIRE_PB_MAX_DEPTH, LIMIT_READ(srv, max_request_items),
	        &bad_text, &over, &values)) {
		if (over && pb_peek_varint(data, len, request_id_key(), &id)
		    && id != 0) {
			return refuse_too_many(link, id, len);
		}
		log_msg(LOG_WARN,
		    "session %llu: undecodable frame of %zu bytes "
		    "(malformed, nested too deep or over %zu values), "
		    "closing",
		    (unsigned long long) link->sid, len,
		    LIMIT_READ(srv, max_request_items));
		return MGR_EPROTO;
	}
	if (values > LIMIT_READ(srv, max_op_elements) + REQUEST_FRAME_VALUES
	    && pb_peek_varint(data, len, request_id_key(), &id) && id != 0) {
		return refuse_too_long(link, id, len, values);
	}
	rq = mgr__request__unpack(&link->rxa.pb, len, data);
	if (rq == NULL) {
		log_msg(LOG_WARN,
		    "session %llu: undecodable frame of %zu bytes, closing",
		    (unsigned long long) link->sid, len);
		arena_reset(&link->rxa);
		return MGR_EPROTO;
	}
	// Before the lock (it may read /proc), and only where the figure is
	// used: the --max-memory check, and the figures INFO gives.
	if (LIMIT_READ(srv, max_memory) != 0 || rq->op == MGR__OP__OP_INFO) {
		server_memory_sample(srv);
	}
	if (len >= SV_PREPARE_MIN) {
		prepare_big_values(rq);
	}
	server_lock(srv);
	session *s = link->s;
	if (s == NULL || s->state != SESSION_READY) {
		// A connection a resume replaced, or a session the manager
		// ended (its connection is closing): nothing it says counts.
		server_unlock(srv);
		sv_prepared_drop();
		arena_reset(&link->rxa);
		return s == NULL ? MGR_ECLOSED : 0;
	}
	stats_request(srv, s, len + 4);
	s->heard_ms = clock_coarse_ms(); // the lease renewed
	int rv;
	if (bad_text) {
		// The one thing a str can't hold that protobuf-c lets
		// through.
		Mgr__Reply rp = MGR__REPLY__INIT;
		rp.id         = rq->id;
		rp.status     = MGR_EINVAL;
		rp.error      = "a str is not valid UTF-8 or holds a NUL "
		                "(use bytes)";
		rv            = session_send(s, 0, &rp);
	} else {
		journal_input(srv, data, len); // logged as these bytes
		if (s->reconnect) {
			// The replies it has read are forgotten.
			replay_ack(&s->record, rq->ack);
			rv = rq->seq != 0 ? apply_once(srv, s, rq)
			                  : dispatch(srv, s, rq);
		} else {
			rv = dispatch(srv, s, rq);
		}
		journal_input(srv, NULL, 0);
	}
	gc_maybe(srv, false);
	server_unlock(srv);
	sv_prepared_drop();
	store_reclaim(STORE_FREE_STEP); // a slice of what was let go
	arena_reset(&link->rxa);
	// A reply that can't be queued means the connection is going.
	return rv == MGR_ECONN ? 0 : rv;
}

/* ---- the end ---------------------------------------------------------- */

void
session_unlist(session *s)
{
	server *srv = s->srv;
	if (s->prev != NULL) {
		s->prev->next = s->next;
	} else {
		srv->sessions = s->next;
	}
	if (s->next != NULL) {
		s->next->prev = s->prev;
	}
	srv->nsessions--;
}

void
session_end_locked(session *s)
{
	server *srv = s->srv;
	s->state    = SESSION_CLOSED;
	handshake_unlist(s);
	(void) journal_begin(srv, s); // what its end hands on goes after it
	session_drop_all(s);
	journal_session_end(s);
	gc_maybe(srv, false);
	session_unlist(s);
	if (srv->nsessions == 0) {
		pthread_cond_broadcast(&srv->cv);
	}
}

void
session_free(session *s)
{
	replay_fini(&s->record);
	idmap_fini(&s->refs);
	idmap_fini(&s->touched);
	idmap_fini(&s->made);
	free(s);
}

/* A session whose lease ran out ends as a dead client's does. When the
 * manager itself was stalled (stopped, or starved) it heard nobody
 * meanwhile: every lease starts again rather than ending for the
 * manager's own pause. */
int64_t
sessions_expire(server *srv, int64_t now, int64_t paused_ms, session **dead)
{
	int64_t next = -1;
	*dead        = NULL; /* ended here: the caller frees them unlocked */
	// While the data directory (or a cluster's log, at a follower) is
	// applied, the sessions it restores are nobody's yet, and their
	// leases start once it is over (their ends would not be in the log
	// either); a follower's own stale-read sessions run theirs.
	bool replaying = journal_replaying(srv);
	for (session *s = srv->sessions, *nx; s != NULL; s = nx) {
		nx = s->next;
		if ((replaying && s->journaled) || s->lease_ms == 0
		    || (s->state != SESSION_READY
		        && s->state != SESSION_DETACHED)) {
			continue;
		}
		if (paused_ms > 0 && s->heard_ms < now) {
			s->heard_ms = now; // the manager's pause, not theirs
		}
		int64_t at = s->heard_ms + s->lease_ms;
		if (at > now) {
			next = next < 0 || at < next ? at : next;
			continue;
		}
		if (s->ended_by[0] != '\0') {
			log_msg(LOG_WARN,
			    "session %llu (%s): ended by %s, what it held "
			    "released",
			    (unsigned long long) s->id, s->peer, s->ended_by);
		} else {
			log_msg(LOG_WARN,
			    "session %llu (%s): lease of %lld ms ran out "
			    "(last "
			    "heard %lld ms ago%s): ended, what it held "
			    "released",
			    (unsigned long long) s->id, s->peer,
			    (long long) s->lease_ms,
			    (long long) (now - s->heard_ms),
			    s->state == SESSION_DETACHED ? ", disconnected"
			                                 : "");
		}
		if (s->state == SESSION_READY) {
			// A dead link, or a stopped client: told, if it can
			// still read, and freed by its connection's end.
			session_expel(s,
			    s->ended_by[0] != '\0' ? "an operator ended it"
			                           : "its lease ran out");
			continue;
		}
		lease_undetach(s);
		session_end_locked(s);
		s->dnext = *dead;
		*dead    = s;
	}
	return next;
}

int
session_end_id(server *srv, uint64_t id, const char *by)
{
	session *s = srv->sessions;
	while (s != NULL && s->id != id) {
		s = s->next;
	}
	if (s == NULL
	    || (s->state != SESSION_READY && s->state != SESSION_DETACHED)) {
		return MGR_ENOOBJ;
	}
	// Its lease made to run out now: the sweep ends it the one way
	// sessions end by the manager's decision.
	snprintf(s->ended_by, sizeof(s->ended_by), "%s", by);
	s->lease_ms = 1;
	s->heard_ms = 0;
	pthread_cond_signal(&srv->timer_cv);
	return 0;
}

void
sessions_free(session *dead)
{
	for (session *s = dead, *nx; s != NULL; s = nx) {
		nx = s->dnext;
		session_free(s);
	}
}

static const char *
why_closed(const session *s, int err)
{
	return s->expelled != NULL ? s->expelled
	    : err == MGR_ECONN     ? "closed by peer"
	    : err == MGR_ECLOSED   ? "closed"
	    : err == MGR_ETOOBIG
	    ? "frame over the size limit (or unread replies over theirs)"
	    : err == MGR_EPROTO    ? "protocol error"
	    : err == MGR_ETIMEDOUT ? "handshake timed out"
	                           : mgr_strerror(err);
}

/* The connection ended: the session ends, or (a reconnecting client
 * whose connection dropped) waits detached for what is left of its
 * lease. A connection a resume replaced ends nothing. */
static void
on_closed(void *arg, int err)
{
	session_link *link = arg;
	server       *srv  = link->srv;
	server_lock(srv);
	session *s = link->s;
	if (--srv->nlinks == 0) {
		pthread_cond_broadcast(&srv->cv); // sessions_close_all waits
	}
	if (s == NULL) {
		// A connection a resume replaced: its end ends nothing.
		server_unlock(srv);
		fconn_free_later(link->fc);
		arena_fini(&link->rxa);
		free(link);
		return;
	}
	bool ended  = s->state == SESSION_CLOSED; // expelled already
	bool detach = s->state == SESSION_READY && s->reconnect
	    && s->lease_ms > 0 && !srv->closing && !srv->stopping
	    && (err == MGR_ECONN || err == MGR_ETOOBIG || err == MGR_EPROTO);
	int64_t left = s->heard_ms + s->lease_ms - clock_ms();
	s->link      = NULL;
	if (detach) {
		lease_detach(s);
	} else if (!ended) {
		session_end_locked(s);
	}
	uint64_t id = s->id, nreq = s->requests;
	char     peer[96];
	snprintf(peer, sizeof(peer), "%s", s->peer);
	const char *why = fconn_end_why(link->fc);
	if (why == NULL) {
		why = why_closed(s, err);
	}
	bool authed = link->authed;
	server_unlock(srv);

	if (detach) {
		log_msg(LOG_INFO,
		    "session %llu (%s): connection lost (%s); kept %lld ms "
		    "for "
		    "its client to reconnect",
		    (unsigned long long) id, peer, why, (long long) left);
	} else {
		// A connection that never authenticated is a peer without
		// the key, as far as the log is concerned: budgeted.
		int level = err == MGR_ECONN || err == MGR_ECLOSED ? LOG_INFO
		                                                   : LOG_WARN;
		if (authed) {
			log_msg(level,
			    "session %llu (%s): %s after %llu requests",
			    (unsigned long long) id, peer, why,
			    (unsigned long long) nreq);
		} else {
			// By why: each kind of refusal is one line an
			// interval (a flood of the same kind is counted).
			log_refused(level, why, peer,
			    "session %llu (%s): %s after %llu requests",
			    (unsigned long long) id, peer, why,
			    (unsigned long long) nreq);
		}
		session_free(s);
	}
	fconn_free_later(link->fc);
	arena_fini(&link->rxa);
	free(link);
}

/* ---- the start -------------------------------------------------------- */

/* A new session of srv holding nothing (NULL: out of memory). */
static session *
session_alloc(server *srv)
{
	session *s = calloc(1, sizeof(*s));
	if (s != NULL) {
		s->srv        = srv;
		s->started_ms = clock_ms();
		idmap_init(&s->refs);
		idmap_init(&s->touched);
		idmap_init(&s->made);
		replay_init(&s->record);
	}
	return s;
}

/* Puts s on the server's list of sessions (its counts too). */
static void
session_list(session *s)
{
	server *srv = s->srv;
	s->next     = srv->sessions;
	if (s->next != NULL) {
		s->next->prev = s;
	}
	srv->sessions = s;
	srv->nsessions++;
	srv->sessions_total++;
}

session *
session_restore(server *srv, uint64_t id)
{
	session *s = session_alloc(srv);
	if (s == NULL) {
		return NULL;
	}
	s->id       = id;
	s->state    = SESSION_READY;
	s->heard_ms = s->started_ms;
	snprintf(s->peer, sizeof(s->peer), "(before the restart)");
	session_list(s);
	if (id > srv->next_session) {
		srv->next_session = id;
	}
	return s;
}

/* A session on connection fc (owned from here on), listed and in its
 * handshake, its connection not started. */
static int
session_new(server *srv, fconn *fc, const char *peer, session **out)
{
	session      *s    = session_alloc(srv);
	session_link *link = calloc(1, sizeof(*link));
	if (s == NULL || link == NULL) {
		if (s != NULL) {
			session_free(s);
		}
		free(link);
		fconn_free(fc);
		return MGR_ENOMEM;
	}
	arena_init(&link->rxa);
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	peer_key_of(peer, s->peer_key, sizeof(s->peer_key));
	s->peer_net = peer_network_hash(peer);
	s->fc       = fc;
	s->link     = link;
	link->srv   = srv;
	link->s     = s;
	link->fc    = fc;
	fconn_bind(fc, on_frame, on_closed, link);
	fconn_set_big_frame(fc, on_big_frame);
	// Until it authenticates, a connection may only send an Auth.
	fconn_set_rx_max(s->fc, SERVER_PREAUTH_MAX_MESSAGE);
	server_lock(srv);
	if (srv->closing) {
		server_unlock(srv);
		fconn_free(s->fc);
		arena_fini(&link->rxa);
		free(link);
		session_free(s);
		return MGR_ECLOSED;
	}
	// A member that does not lead takes ids of its own (the log's come
	// from the leader); the handshake gives a session that is logged
	// one of the log's (handshake.c).
	s->id     = journal_replaying(srv)
	        ? SESSION_LOCAL_IDS + ++srv->next_local_session
	        : ++srv->next_session;
	link->sid = s->id;
	session_list(s);
	srv->nlinks++;
	handshake_list(s);
	server_unlock(srv);

	*out = s;
	return 0;
}

int
session_start(server *srv, fconn *fc, const char *peer)
{
	// Over the connection limit: refused before anything is allocated.
	server_lock(srv);
	bool   full = srv->nsessions >= srv->lim.max_connections;
	size_t max  = srv->lim.max_connections;
	if (full) {
		srv->connections_refused++;
	}
	server_unlock(srv);
	if (full) {
		char why[80];
		snprintf(why, sizeof(why), "too many connections (%zu)", max);
		log_refused(LOG_WARN, "connections over --max-connections",
		    peer, "connection from %s refused: %s", peer, why);
		refuse(fc, MGR_ETOOBIG, why);
		return 0;
	}
	session *s;
	int      rv = session_new(srv, fc, peer, &s);
	if (rv != 0) {
		return rv;
	}
	log_preauth(LOG_INFO, "session %llu: connection from %s",
	    (unsigned long long) s->id, s->peer);
	fconn_set_rx_timeout(s->fc, (int) LIMIT_READ(srv, handshake_ms));
	if ((rv = send_hello(s)) != 0) {
		fconn_close(s->fc);
	}
	// Receiving also reports the end of the connection (on_closed).
	fconn_start(s->fc);
	return 0;
}

void
sessions_close_all(server *srv)
{
	server_lock(srv);
	// A connection that drops from now on ends its session: one kept
	// for its lease after this pass would be waited for below until
	// the lease ran out. (With --data-dir the log still has it: its
	// client may resume after the restart.)
	srv->stopping = true;
	session *dead = NULL;
	for (session *s = srv->sessions, *nx; s != NULL; s = nx) {
		nx = s->next;
		if (s->state == SESSION_DETACHED || s->fc == NULL) {
			// Detached, or replayed from --data-dir and not yet
			// settled (the replay failed): no connection to
			// close.
			lease_undetach(s);
			session_end_locked(s);
			s->dnext = dead;
			dead     = s;
		} else {
			// What it was sent goes first, as far as the socket
			// takes it now: the reply to a shutdown request is
			// queued when the stop comes (closing at once dropped
			// it, and managerctl shutdown saw the connection
			// lost).
			fconn_close_after_try(s->fc);
		}
	}
	server_unlock(srv); // closes them (no system call under the lock)
	sessions_free(dead);
	// Connections a resume replaced, and those of sessions the manager
	// ended, are closing already: their ends are waited for too.
	server_lock(srv);
	while (srv->nsessions > 0 || srv->nlinks > 0) {
		server_wait(srv, &srv->cv, NULL);
	}
	server_unlock(srv);
}

/* ---- in-process driving (the fuzz target) ----------------------------- */

int
session_open_local(server *srv, int fd, unsigned flags, session **out)
{
	bool authenticated = flags & (LOCAL_AUTHENTICATED | LOCAL_RECONNECT);
	fconn *fc;
	int    rv = listener_conn_new(
	       &fc, srv->loops, fd, NULL, srv->lim.max_message);
	if (rv == 0) {
		rv = session_new(srv, fc, "local", out);
	}
	if (rv == 0 && authenticated) {
		server_lock(srv);
		handshake_unlist(*out);
		server_unlock(srv);
		(*out)->state        = SESSION_READY;
		(*out)->link->authed = true;
		// A reconnecting client's: its requests numbered, recorded.
		(*out)->reconnect = flags & LOCAL_RECONNECT;
		fconn_set_rx_max((*out)->fc, srv->lim.max_message);
	} else if (rv == 0) {
		rv = send_hello(*out);
	}
	return rv;
}

int
session_feed(session *s, const uint8_t *frame, size_t len)
{
	return on_frame(s->link, frame, len);
}

void
session_close_local(session *s)
{
	fconn *fc = s->fc;
	on_closed(s->link, MGR_ECLOSED); // frees s
	fconn_free(fc);                  // no loop ever had it
}
