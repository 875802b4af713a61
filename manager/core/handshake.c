/* Before the key is proved: the limits on connections in their handshake,
 * the Hello and the Auth, and resuming a reconnecting client's session
 * (its id and an HMAC of the new connection's nonce under the session's
 * resume secret, given in the first Welcome: an id alone resumes
 * nothing, and the key is proved first as for any session). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "journal.h"
#include "log.h"
#include "peer.h"
#include "session_int.h"
#include "wait.h"

/* ---- connections not yet authenticated ------------------------------- */

/* The peer a limit counts by: the host of a tcp peer (its port dropped,
 * and whichever scheme it came by: tcp, tls+tcp, ws or wss, so that a
 * host gets one share, not one per listener), the user of an ipc peer.
 * An IPv6 host counts by its /64, which one subscriber or one cloud
 * instance is given whole (as nginx's and Cloudflare's limits do): one
 * address each would make it as many peers as it likes. */
void
peer_key_of(const char *peer, char *key, size_t cap)
{
	char net[96];
	peer_network(peer, 32, net, sizeof(net));
	snprintf(key, cap, "%s %s",
	    strncmp(net, "uid ", 4) == 0 ? "ipc" : "host", net);
}

void
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

/* The network holding the most connections in their handshake (s's,
 * on a tie): the one that makes room. */
static uint64_t
busiest_network(server *srv, const session *s)
{
	net_tally t;
	net_tally_init(&t, s->peer_net);
	for (const session *x = srv->hs_oldest; x != NULL; x = x->hs_next) {
		net_tally_add(&t, x->peer_net);
	}
	return t.best;
}

/* Closes the oldest connection still in its handshake of peer key (or
 * when key is NULL, of network net) to make room. */
static void
handshake_evict(server *srv, const char *key, uint64_t net, const char *why)
{
	session *victim = srv->hs_oldest;
	while (victim != NULL
	    && (key != NULL ? strcmp(victim->peer_key, key) != 0
	                    : victim->peer_net != net)) {
		victim = victim->hs_next;
	}
	if (victim == NULL) {
		return;
	}
	log_refused(LOG_WARN,
	    "unauthenticated connections closed to make room", victim->peer,
	    "session %llu (%s): not authenticated, closed to make room (%s)",
	    (unsigned long long) victim->id, victim->peer, why);
	srv->handshakes_evicted++;
	handshake_unlist(victim);
	fconn_close(victim->fc);
}

/* Lists s as in its handshake, closing an unauthenticated connection
 * when s would pass a bound: the oldest of s's host when that host is at
 * its own bound, else the oldest of the network that holds the most. A
 * flood of connections that never authenticate cycles through its own,
 * and a real client from elsewhere gets in however slow its handshake
 * (closing the oldest of all let a flood from a few addresses close
 * every client whose handshake took longer than the flood took to fill
 * the list). srv->mtx held. */
void
handshake_list(session *s)
{
	server *srv  = s->srv;
	size_t  mine = 0;
	for (session *x = srv->hs_oldest; x != NULL; x = x->hs_next) {
		mine += strcmp(x->peer_key, s->peer_key) == 0;
	}
	if (mine >= srv->lim.max_handshakes_peer) {
		handshake_evict(
		    srv, s->peer_key, 0, "too many from this peer");
	} else if (srv->nhandshakes >= srv->lim.max_handshakes) {
		handshake_evict(srv, NULL, busiest_network(srv, s),
		    "too many unauthenticated, most from its network");
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
void
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

int
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

/* The Welcome's refusal of a handshake, then the connection's close. */
static int
refuse_auth(session_link *link, int status, const char *error)
{
	session     *s = link->s;
	Mgr__Welcome w = MGR__WELCOME__INIT;
	w.status       = status;
	w.error        = (char *) error;
	fconn_send_msg(s->fc, &w.base, NULL);
	fconn_close_after_send(s->fc);
	arena_reset(&link->rxa);
	return 0;
}

/* The session a client asks to resume, if its proof is right and it is
 * still there (detached, or with a connection the manager has not seen
 * drop yet); NULL otherwise. srv->mtx held. */
static session *
resumable(server *srv, const session *s, const Mgr__Auth *a)
{
	session *old = srv->sessions;
	while (old != NULL && old->id != a->resume) {
		old = old->next;
	}
	if (old == NULL || old == s || !old->reconnect
	    || old->stale_reads != a->stale_reads
	    || (old->state != SESSION_READY && old->state != SESSION_DETACHED)
	    || a->resume_proof.len != AUTH_DIGEST_LEN) {
		return NULL;
	}
	uint8_t want[AUTH_DIGEST_LEN];
	if (auth_digest(old->resume_secret, sizeof(old->resume_secret),
	        AUTH_RESUME_LABEL, s->nonce, sizeof(s->nonce), want)
	        != 0
	    || !auth_equal(want, a->resume_proof.data, AUTH_DIGEST_LEN)) {
		return NULL;
	}
	return old;
}

/* Moves link's connection from the new session s to old, which resumes
 * (its client having read received replies); s, which holds nothing, is
 * closed (on_auth's caller takes it off the list and frees it). srv->mtx
 * held. */
static void
resume(session_link *link, session *s, session *old, uint64_t received)
{
	if (old->state == SESSION_READY) {
		// Its old connection has not been seen to drop: it goes, and
		// its link lets go, so its last frames and its end touch
		// nothing.
		old->link->s = NULL;
		fconn_close(old->fc);
	} else {
		lease_undetach(old);
	}
	old->fc       = link->fc;
	old->link     = link;
	old->state    = SESSION_READY;
	old->heard_ms = clock_ms();
	old->reconnects++;
	// The replies the drop lost go again when their requests are
	// retried, numbered from what the client has read.
	replay_resume(&old->record, received);
	old->replies_sent = received;
	snprintf(old->peer, sizeof(old->peer), "%s", s->peer);
	link->s   = old;
	link->sid = old->id;
	handshake_unlist(s);
	s->state = SESSION_CLOSED;
}

int
on_auth(
    session_link *link, const uint8_t *data, size_t len, session **replaced)
{
	session     *s   = link->s;
	server      *srv = s->srv;
	Mgr__Auth   *a   = mgr__auth__unpack(&link->rxa.pb, len, data);
	Mgr__Welcome w   = MGR__WELCOME__INIT;
	uint8_t      expect[AUTH_DIGEST_LEN];
	uint8_t      mine[AUTH_DIGEST_LEN];
	int          rv;

	if (a == NULL || a->digest.len != AUTH_DIGEST_LEN
	    || a->nonce.len != AUTH_NONCE_LEN) {
		log_refused(LOG_WARN, "malformed handshakes", s->peer,
		    "session %llu (%s): malformed handshake, closing",
		    (unsigned long long) s->id, s->peer);
		arena_reset(&link->rxa);
		return MGR_EPROTO;
	}
	if (a->version != AUTH_VERSION) {
		log_refused(LOG_WARN, "handshakes of another version",
		    s->peer,
		    "session %llu (%s): handshake version %u (this manager "
		    "speaks %u), closing",
		    (unsigned long long) s->id, s->peer,
		    (unsigned) a->version, (unsigned) AUTH_VERSION);
		return refuse_auth(
		    link, MGR_EPROTO, "unsupported handshake version");
	}
	rv = auth_digest(srv->key, srv->keylen, AUTH_CLIENT_LABEL, s->nonce,
	    sizeof(s->nonce), expect);
	if (rv != 0 || !auth_equal(expect, a->digest.data, AUTH_DIGEST_LEN)) {
		log_refused(LOG_WARN, "handshakes with a wrong authkey",
		    s->peer,
		    "session %llu (%s): authentication failed (wrong "
		    "authkey), closing",
		    (unsigned long long) s->id, s->peer);
		return refuse_auth(
		    link, MGR_EAUTH, "authentication failed: wrong authkey");
	}
	if ((rv = auth_digest(srv->key, srv->keylen, AUTH_SERVER_LABEL,
	         a->nonce.data, a->nonce.len, mine))
	        != 0
	    || (rv = auth_random(s->resume_secret, sizeof(s->resume_secret)))
	        != 0) {
		arena_reset(&link->rxa);
		return rv;
	}
	char leader[512];
	if (!a->stale_reads
	    && journal_redirect(srv, leader, sizeof(leader))) {
		// A member that serves nobody: the key holder is told where
		// the leader is (or that none is known yet), and goes there.
		w.status      = MGR_ECONN;
		w.not_leader  = true;
		w.leader      = leader;
		w.digest.data = mine;
		w.digest.len  = sizeof(mine);
		w.error       = leader[0] != '\0'
		          ? "this member of the cluster does not lead it"
		          : "the cluster is electing its leader";
		fconn_send_msg(s->fc, &w.base, NULL);
		fconn_close_after_send(s->fc);
		arena_reset(&link->rxa);
		return 0;
	}
	char name[200];
	log_escape(a->client, name, sizeof(name));
	session *old = NULL;
	server_lock(srv);
	if (a->resume != 0 && (old = resumable(srv, s, a)) != NULL) {
		resume(link, s, old, a->received);
		*replaced = s;
		s         = old;
	} else {
		log_escape(a->client, s->client, sizeof(s->client));
		s->lease_ms    = lease_grant(srv, a->lease_ms);
		s->reconnect   = a->reconnect;
		s->stale_reads = a->stale_reads;
		s->heard_ms    = clock_ms();
		s->state       = SESSION_READY;
		handshake_unlist(s);
		if (!s->stale_reads) {
			// Accepted before this member led (or finished its
			// replay): a session of the log's takes one of its
			// ids.
			if (s->id > SESSION_LOCAL_IDS) {
				s->id     = ++srv->next_session;
				link->sid = s->id;
			}
			journal_session_start(s);
		} // a stale-read session changes nothing: never logged
	}
	w.session       = s->id;
	w.lease_ms      = (uint64_t) s->lease_ms;
	w.resumed       = old != NULL;
	uint64_t asked  = a->resume;
	uint64_t resets = s->reconnects;
	server_unlock(srv);
	link->authed = true;
	if (old != NULL) {
		log_msg(LOG_INFO,
		    "session %llu (%s): resumed (reconnect %llu)",
		    (unsigned long long) s->id, s->peer,
		    (unsigned long long) resets);
	} else if (asked != 0) {
		log_msg(LOG_INFO,
		    "session %llu (%s): session %llu can't be resumed (gone, "
		    "or not proved): a new session",
		    (unsigned long long) s->id, s->peer,
		    (unsigned long long) asked);
	} else {
		log_msg(LOG_INFO, "session %llu (%s): authenticated%s%s%s",
		    (unsigned long long) s->id, s->peer,
		    name[0] ? " as " : "", name,
		    s->stale_reads ? " (stale reads: read-only)" : "");
	}
	w.digest.data        = mine;
	w.digest.len         = sizeof(mine);
	w.max_message        = srv->lim.max_message;
	w.resume_secret.data = s->resume_secret;
	w.resume_secret.len  = sizeof(s->resume_secret);
	// Give the arena's chunk back: many connections sit idle after the
	// handshake, and the first request takes a chunk again.
	arena_fini(&link->rxa);
	fconn_set_rx_timeout(link->fc, 0); // the lease: lease.c's sweep
	fconn_set_rx_max(link->fc, srv->lim.max_message);
	rv = fconn_send_msg(link->fc, &w.base, NULL);
	if (rv == 0 && old != NULL) {
		// Back, and told so: its parked calls were passed over while
		// it was away, and are served now.
		server_lock(srv);
		if (link->s != NULL) {
			wait_wake_session(link->s, session_waiters(link->s));
		}
		server_unlock(srv);
	}
	return rv;
}
