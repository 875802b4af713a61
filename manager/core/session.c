/* A session is one client connection: its handshake, its requests, and
 * the references it holds. When the connection ends, cleanly or because
 * the client died, everything the session held is dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "log.h"
#include "pbcheck.h"
#include "server_state.h"
#include "session.h"
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
}

/* ---- connections not yet authenticated ------------------------------- */

/* The peer a limit counts by: the host of a tcp peer (its port dropped,
 * and whichever scheme it came by: tcp, tls+tcp, ws or wss, so that a
 * host gets one share, not one per listener), the user of an ipc peer. */
static void
peer_key_of(const char *peer, char *key, size_t cap)
{
	const char *uid = strstr(peer, " uid ");
	if (strncmp(peer, "ipc", 3) == 0 && uid != NULL) {
		snprintf(key, cap, "ipc%s", uid);
		return;
	}
	const char *host = strchr(peer, ' ');
	snprintf(key, cap, "host %s", host != NULL ? host + 1 : peer);
	char *colon = strrchr(key, ':');
	if (colon != NULL && colon > key && colon[-1] != ':') {
		*colon = '\0';
	}
}

static void
handshake_unlist(session *s)
{
	server *srv = s->srv;
	if (!s->in_handshake_list) {
		return;
	}
	if (s->hs_prev != NULL) {
		s->hs_prev->hs_next = s->hs_next;
	} else {
		srv->hs_oldest = s->hs_next;
	}
	if (s->hs_next != NULL) {
		s->hs_next->hs_prev = s->hs_prev;
	} else {
		srv->hs_newest = s->hs_prev;
	}
	s->hs_prev = s->hs_next = NULL;
	s->in_handshake_list    = false;
	srv->nhandshakes--;
}

/* Closes the oldest connection still in its handshake (of peer key, or
 * any when key is NULL) to make room. */
static void
handshake_evict(server *srv, const char *key, const char *why)
{
	session *victim = srv->hs_oldest;
	while (key != NULL && victim != NULL
	    && strcmp(victim->peer_key, key) != 0) {
		victim = victim->hs_next;
	}
	if (victim == NULL) {
		return;
	}
	log_msg(LOG_WARN,
	    "session %llu (%s): not authenticated, closed to make room (%s)",
	    (unsigned long long) victim->id, victim->peer, why);
	srv->handshakes_evicted++;
	handshake_unlist(victim);
	fconn_close(victim->fc);
}

/* Lists s as in its handshake, closing the oldest unauthenticated
 * connections when s would pass a bound: a flood of connections that
 * never authenticate cycles through its own, and a real client, which
 * authenticates in a round trip, gets in. srv->mtx held. */
static void
handshake_list(session *s)
{
	server *srv  = s->srv;
	size_t  mine = 0;
	for (session *x = srv->hs_oldest; x != NULL; x = x->hs_next) {
		mine += strcmp(x->peer_key, s->peer_key) == 0;
	}
	if (mine >= srv->lim.max_handshakes_peer) {
		handshake_evict(srv, s->peer_key, "too many from this peer");
	} else if (srv->nhandshakes >= srv->lim.max_handshakes) {
		handshake_evict(srv, NULL, "too many unauthenticated");
	}
	s->hs_prev = srv->hs_newest;
	s->hs_next = NULL;
	if (srv->hs_newest != NULL) {
		srv->hs_newest->hs_next = s;
	} else {
		srv->hs_oldest = s;
	}
	srv->hs_newest       = s;
	s->in_handshake_list = true;
	srv->nhandshakes++;
}

/* A connection refused before it has a session: it may say nothing; its
 * end frees it. */
static int
refused_frame(void *arg, const uint8_t *data, size_t len)
{
	(void) arg;
	(void) data;
	(void) len;
	return MGR_ECLOSED;
}

static void
refused_closed(void *arg, int err)
{
	(void) err;
	fconn_free_later(arg);
}

/* Tells a connection over the limit why (a Hello that refuses) and
 * closes it once that is written; no session is made for it. */
static void
refuse(fconn *fc, int status, const char *why)
{
	Mgr__Hello h = MGR__HELLO__INIT;
	h.version    = AUTH_VERSION;
	h.status     = status;
	h.error      = (char *) why;
	fconn_bind(fc, refused_frame, refused_closed, fc);
	fconn_set_rx_max(fc, 0);
	(void) fconn_send_msg(
	    fc, &h.base, NULL); // else it learns from the close
	fconn_close_after_send(fc);
	fconn_start(fc);
}

/* ---- handshake
 * -------------------------------------------------------------- */

static int
send_hello(session *s)
{
	Mgr__Hello h = MGR__HELLO__INIT;
	int        rv;
	if ((rv = auth_random(s->nonce, sizeof(s->nonce))) != 0) {
		return rv;
	}
	h.version    = AUTH_VERSION;
	h.nonce.data = s->nonce;
	h.nonce.len  = sizeof(s->nonce);
	return fconn_send_msg(s->fc, &h.base, NULL);
}

static int
on_auth(session *s, const uint8_t *data, size_t len)
{
	server      *srv = s->srv;
	Mgr__Auth   *a   = mgr__auth__unpack(&s->rxa.pb, len, data);
	Mgr__Welcome w   = MGR__WELCOME__INIT;
	uint8_t      expect[AUTH_DIGEST_LEN];
	uint8_t      mine[AUTH_DIGEST_LEN];
	int          rv;

	if (a == NULL || a->digest.len != AUTH_DIGEST_LEN
	    || a->nonce.len != AUTH_NONCE_LEN) {
		log_msg(LOG_WARN,
		    "session %llu (%s): malformed handshake, closing",
		    (unsigned long long) s->id, s->peer);
		arena_reset(&s->rxa);
		return MGR_EPROTO;
	}
	if (a->version != AUTH_VERSION) {
		log_msg(LOG_WARN,
		    "session %llu (%s): handshake version %u (this manager "
		    "speaks %u), closing",
		    (unsigned long long) s->id, s->peer,
		    (unsigned) a->version, (unsigned) AUTH_VERSION);
		w.status = MGR_EPROTO;
		w.error  = "unsupported handshake version";
		fconn_send_msg(s->fc, &w.base, NULL);
		fconn_close_after_send(s->fc);
		arena_reset(&s->rxa);
		return 0;
	}
	rv = auth_digest(srv->key, srv->keylen, AUTH_CLIENT_LABEL, s->nonce,
	    sizeof(s->nonce), expect);
	if (rv != 0 || !auth_equal(expect, a->digest.data, AUTH_DIGEST_LEN)) {
		log_msg(LOG_WARN,
		    "session %llu (%s): authentication failed (wrong "
		    "authkey), "
		    "closing",
		    (unsigned long long) s->id, s->peer);
		w.status = MGR_EAUTH;
		w.error  = "authentication failed: wrong authkey";
		fconn_send_msg(s->fc, &w.base, NULL);
		fconn_close_after_send(s->fc);
		arena_reset(&s->rxa);
		return 0;
	}
	rv = auth_digest(srv->key, srv->keylen, AUTH_SERVER_LABEL,
	    a->nonce.data, a->nonce.len, mine);
	if (rv != 0) {
		arena_reset(&s->rxa);
		return rv;
	}
	w.digest.data = mine;
	w.digest.len  = sizeof(mine);
	w.session     = s->id;
	w.max_message = srv->lim.max_message;
	char name[200];
	log_escape(a->client, name, sizeof(name));
	server_lock(srv); // the introspection reads it
	log_escape(a->client, s->client, sizeof(s->client));
	server_unlock(srv);
	log_msg(LOG_INFO, "session %llu (%s): authenticated%s%s",
	    (unsigned long long) s->id, s->peer, name[0] ? " as " : "", name);
	// Give the arena's chunk back: many connections sit idle after the
	// handshake, and the first request takes a chunk again.
	arena_fini(&s->rxa);
	s->state = SESSION_READY;
	fconn_set_rx_timeout(s->fc, srv->lim.idle_ms); // 0: none
	fconn_set_rx_max(s->fc, srv->lim.max_message);
	server_lock(srv);
	handshake_unlist(s);
	server_unlock(srv);
	return fconn_send_msg(s->fc, &w.base, NULL);
}

/* ---- requests
 * --------------------------------------------------------------- */

static int
on_frame(void *arg, const uint8_t *data, size_t len)
{
	session *s   = arg;
	server  *srv = s->srv;
	if (s->state == SESSION_HANDSHAKE) {
		return on_auth(s, data, len);
	}
	if (s->state != SESSION_READY) {
		return 0; // closing after a failed handshake: ignore
	}
	Mgr__Request *rq       = NULL;
	bool          bad_text = false;
	if (!pb_check_limits(&mgr__request__descriptor, data, len,
	        WIRE_PB_MAX_DEPTH, srv->lim.max_request_items, &bad_text)) {
		log_msg(LOG_WARN,
		    "session %llu (%s): undecodable frame of %zu bytes "
		    "(malformed, nested too deep or over %zu values), "
		    "closing",
		    (unsigned long long) s->id, s->peer, len,
		    srv->lim.max_request_items);
		return MGR_EPROTO;
	}
	rq = mgr__request__unpack(&s->rxa.pb, len, data);
	if (rq == NULL) {
		log_msg(LOG_WARN,
		    "session %llu (%s): undecodable frame of %zu bytes, "
		    "closing",
		    (unsigned long long) s->id, s->peer, len);
		arena_reset(&s->rxa);
		return MGR_EPROTO;
	}
	if (bad_text) {
		// The one thing a str can't hold that protobuf-c lets
		// through.
		Mgr__Reply rp = MGR__REPLY__INIT;
		rp.id         = rq->id;
		rp.status     = MGR_EINVAL;
		rp.error      = "a str is not valid UTF-8 or holds a NUL "
		                "(use bytes)";
		server_lock(srv);
		stats_request(srv, s, len + 4);
		int rv = session_send(s, &rp);
		server_unlock(srv);
		arena_reset(&s->rxa);
		return rv == MGR_ECONN ? 0 : rv;
	}
	// Before the lock (it may read /proc), and only where the figure is
	// used: the --max-memory check, and the figures INFO gives.
	if (srv->lim.max_memory != 0 || rq->op == MGR__OP__OP_INFO) {
		server_memory_sample(srv);
	}
	server_lock(srv);
	stats_request(srv, s, len + 4);
	int rv = dispatch(srv, s, rq);
	gc_maybe(srv, false);
	// --idle-timeout: the clock restarts with every request; a session
	// with a request waiting (a long get) is not idle.
	int idle
	    = srv->lim.idle_ms > 0 && s->nwaiters == 0 ? srv->lim.idle_ms : 0;
	server_unlock(srv);
	if (srv->lim.idle_ms > 0) {
		fconn_set_rx_timeout(s->fc, idle);
	}
	arena_reset(&s->rxa);
	// A reply that can't be queued means the connection is going.
	return rv == MGR_ECONN ? 0 : rv;
}

static void
on_closed(void *arg, int err)
{
	session    *s   = arg;
	server     *srv = s->srv;
	const char *why = err == MGR_ECONN ? "closed by peer"
	    : err == MGR_ECLOSED           ? "closed"
	    : err == MGR_ETOOBIG
	    ? "frame over the size limit (or unread replies over theirs)"
	    : err == MGR_EPROTO ? "protocol error"
	    : err == MGR_ETIMEDOUT && s->state == SESSION_READY
	    ? "idle for longer than --idle-timeout"
	    : err == MGR_ETIMEDOUT ? "handshake timed out"
	                           : mgr_strerror(err);
	log_msg(err == MGR_ECONN || err == MGR_ECLOSED ? LOG_INFO : LOG_WARN,
	    "session %llu (%s): %s after %llu requests",
	    (unsigned long long) s->id, s->peer, why,
	    (unsigned long long) s->requests);

	// What s held passes on to other sessions' waiters: their replies
	// are written once the server lock is dropped.
	server_lock(srv);
	s->state = SESSION_CLOSED;
	handshake_unlist(s);
	session_drop_all(s);
	gc_maybe(srv, false);
	if (s->prev != NULL) {
		s->prev->next = s->next;
	} else {
		srv->sessions = s->next;
	}
	if (s->next != NULL) {
		s->next->prev = s->prev;
	}
	// Unlisted (nobody reaches fc any more), queued for freeing, and only
	// then uncounted: shutdown waits for the count, then for the queue.
	fconn_free_later(s->fc);
	srv->nsessions--;
	if (srv->nsessions == 0) {
		pthread_cond_broadcast(&srv->cv);
	}
	server_unlock(srv);

	arena_fini(&s->rxa);
	free(s);
}

/* A session on connection fc (owned from here on), listed and in its
 * handshake, its connection not started. */
static int
session_new(server *srv, fconn *fc, const char *peer, session **out)
{
	session *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		fconn_free(fc);
		return MGR_ENOMEM;
	}
	s->srv        = srv;
	s->started_ms = clock_ms();
	idmap_init(&s->refs);
	idmap_init(&s->touched);
	arena_init(&s->rxa);
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	peer_key_of(peer, s->peer_key, sizeof(s->peer_key));
	s->fc = fc;
	fconn_bind(fc, on_frame, on_closed, s);
	// Until it authenticates, a connection may only send an Auth.
	fconn_set_rx_max(s->fc, SERVER_PREAUTH_MAX_MESSAGE);
	server_lock(srv);
	if (srv->closing) {
		server_unlock(srv);
		fconn_free(s->fc);
		free(s);
		return MGR_ECLOSED;
	}
	s->id   = ++srv->next_session;
	s->next = srv->sessions;
	if (s->next != NULL) {
		s->next->prev = s;
	}
	srv->sessions = s;
	srv->nsessions++;
	srv->sessions_total++;
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
		log_msg(
		    LOG_WARN, "connection from %s refused: %s", peer, why);
		refuse(fc, MGR_ETOOBIG, why);
		return 0;
	}
	session *s;
	int      rv = session_new(srv, fc, peer, &s);
	if (rv != 0) {
		return rv;
	}
	log_msg(LOG_INFO, "session %llu: connection from %s",
	    (unsigned long long) s->id, s->peer);
	fconn_set_rx_timeout(s->fc, srv->lim.handshake_ms);
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
	for (session *s = srv->sessions; s != NULL; s = s->next) {
		fconn_close(s->fc);
	}
	server_unlock(srv); // closes them (no system call under the lock)
	server_lock(srv);
	while (srv->nsessions > 0) {
		pthread_cond_wait(&srv->cv, &srv->mtx);
	}
	server_unlock(srv);
}

/* ---- in-process driving (the fuzz target) ----------------------------- */

int
session_open_local(server *srv, int fd, bool authenticated, session **out)
{
	fconn *fc;
	int rv = fconn_new_socket(&fc, srv->loops, fd, srv->lim.max_message);
	if (rv == 0) {
		rv = session_new(srv, fc, "local", out);
	}
	if (rv == 0 && authenticated) {
		server_lock(srv);
		handshake_unlist(*out);
		server_unlock(srv);
		(*out)->state = SESSION_READY;
		fconn_set_rx_max((*out)->fc, srv->lim.max_message);
	} else if (rv == 0) {
		rv = send_hello(*out);
	}
	return rv;
}

int
session_feed(session *s, const uint8_t *frame, size_t len)
{
	return on_frame(s, frame, len);
}

void
session_close_local(session *s)
{
	fconn *fc = s->fc;
	on_closed(s, MGR_ECLOSED); // frees s
	fconn_free(fc);            // no loop ever had it
}
