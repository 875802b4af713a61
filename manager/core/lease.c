/* Leases (Hazelcast's CP sessions, etcd's leases, ZooKeeper's sessions):
 * a session the manager has not heard from for its lease ends as a dead
 * client's does, so a vanished host or a stopped process holds nothing
 * for longer than its lease. The client's keep-alive thread sends a
 * heartbeat when nothing else went out; any frame renews the lease.
 *
 * Here: the lease granted, and the list of detached sessions (reconnecting
 * clients whose connection dropped), kept, waiters and all, for what is
 * left of their lease. The timer thread's sweep (wait.c) ends those whose
 * lease ran out (sessions_expire, session.c). */
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
lease_detach(session *s)
{
	server *srv = s->srv;
	s->state    = SESSION_DETACHED;
	s->fc       = NULL;
	s->dprev    = NULL;
	s->dnext    = srv->detached;
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
