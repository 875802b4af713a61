/* What the files of a session's life share: session.c (requests, the
 * connection's end), handshake.c (before the key is proved, and resuming
 * a session) and lease.c (detached sessions and expiry). Nothing else
 * includes it. All under the server lock unless said. */
#ifndef MGR_MANAGER_CORE_SESSION_INT_H
#define MGR_MANAGER_CORE_SESSION_INT_H

#include "server_state.h"
#include "session.h"

/* ---- handshake.c ------------------------------------------------------ */

/* The peer key of a peer name (its host for tcp, its user for ipc). */
void peer_key_of(const char *peer, char *key, size_t cap);
/* Lists s as in its handshake (closing the oldest to make room), or takes
 * it off the list. */
void handshake_list(session *s);
void handshake_unlist(session *s);
/* Refuses a connection over the limit with a Hello that says why; no
 * session is made. Not under the lock. */
void refuse(fconn *fc, int status, const char *why);
/* Sends s's Hello with a fresh nonce. Not under the lock. */
int send_hello(session *s);
/* s's Auth frame (on its receive side, not under the lock): the key
 * checked, the lease granted, a session resumed (link then points at it,
 * and the connection's new session, closed, goes to *replaced for the
 * caller to unlist and free). 0, or an MGR_E* code that closes the
 * connection. */
int on_auth(
    session_link *link, const uint8_t *data, size_t len, session **replaced);

/* ---- lease.c ---------------------------------------------------------- */

/* s lost its connection and reconnects: kept, detached, for what is left
 * of its lease. */
void lease_detach(session *s);
/* s is resumed (on link's connection) or ends: off the detached list. */
void lease_undetach(session *s);
/* The lease a client asked for, clamped to the manager's bounds; 0 stays
 * 0 (a client that sends no heartbeats has none). */
int64_t lease_grant(const server *srv, uint64_t asked);

/* ---- session.c -------------------------------------------------------- */

/* Takes s off the server's list of sessions (its count too). */
void session_unlist(session *s);
/* Takes s out of the server (unlisted, what it held dropped): the caller
 * frees it (session_free) once the lock is dropped. */
void session_end_locked(session *s);
/* Ends s now for why (its lease ran out, its record overflowed): the
 * client is told (the notice: reply 0, MGR_ESESSION, as far as its socket
 * takes it), what s held is dropped, and its connection closes (whose end
 * frees s). */
void session_expel(session *s, const char *why);
/* Frees an ended session. Not under the lock. */
void session_free(session *s);

#endif
