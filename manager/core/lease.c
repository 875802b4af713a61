/* Leases (Hazelcast's CP sessions, etcd's leases, ZooKeeper's sessions):
 * a session the manager has not heard from for its lease ends as a dead
 * client's does, so a vanished host or a stopped process holds nothing
 * for longer than its lease. The client's keep-alive thread sends a
 * heartbeat when nothing else went out; any frame renews the lease.
 *
 * The timer thread sweeps the sessions with a lease (wait.c); a detached
 * session (a reconnecting client whose connection dropped) is kept,
 * waiters and all, for what is left of its lease. When the manager itself
 * was stalled (stopped, or starved) it heard nobody meanwhile: every
 * lease starts again rather than ending for the manager's own pause. */
#include "clock.h"
#include "log.h"
#include "session_int.h"

int64_t
lease_grant(const server *srv, uint64_t asked)
{
	if (asked == 0) {
		return 0;
	}
	int64_t lo = (int64_t) srv->lim.min_lease_ms;
	int64_t hi = (int64_t) srv->lim.max_lease_ms;
	int64_t v  = asked > (uint64_t) hi ? hi : (int64_t) asked;
	return v < lo ? lo : v;
}

void
lease_detach(session *s, int64_t now)
{
	server *srv    = s->srv;
	s->state       = SESSION_DETACHED;
	s->fc          = NULL;
	s->detached_ms = now;
	s->dprev       = NULL;
	s->dnext       = srv->detached;
	if (srv->detached != NULL) {
		srv->detached->dprev = s;
	}
	srv->detached = s;
	// The sweep must come by its expiry.
	pthread_cond_signal(&srv->timer_cv);
}

void
lease_undetach(session *s)
{
	server *srv = s->srv;
	if (s->state != SESSION_DETACHED) {
		return;
	}
	if (s->dprev != NULL) {
		s->dprev->dnext = s->dnext;
	} else {
		srv->detached = s->dnext;
	}
	if (s->dnext != NULL) {
		s->dnext->dprev = s->dprev;
	}
	s->dprev = s->dnext = NULL;
}

int64_t
sessions_expire(server *srv, int64_t now, int64_t paused_ms, session **dead)
{
	int64_t next = -1;
	*dead        = NULL; /* ended here: the caller frees them unlocked */
	for (session *s = srv->sessions, *nx; s != NULL; s = nx) {
		nx = s->next;
		if (s->lease_ms == 0
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
		log_msg(LOG_WARN,
		    "session %llu (%s): lease of %lld ms ran out (last heard "
		    "%lld ms ago%s): ended, what it held released",
		    (unsigned long long) s->id, s->peer,
		    (long long) s->lease_ms, (long long) (now - s->heard_ms),
		    s->state == SESSION_DETACHED ? ", disconnected" : "");
		if (s->state == SESSION_READY) {
			// A dead link, or a stopped client: told, if it can
			// still read, and freed by its connection's end.
			session_expel(s, "its lease ran out");
			continue;
		}
		lease_undetach(s);
		session_end_locked(s);
		s->dnext = *dead;
		*dead    = s;
	}
	return next;
}
