/* Sessions: one per client connection. What a session holds (references,
 * objects whose session_end must run, parked requests) lives in
 * holdings.c, how its replies leave in reply.c, and its life (handshake,
 * requests in, the end of the connection) in session.c. All of it runs
 * under the server lock unless a function says otherwise.
 *
 * The struct is shared by those three files only; everyone else goes
 * through the functions below. */
#ifndef MGR_MANAGER_CORE_SESSION_H
#define MGR_MANAGER_CORE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "auth.h"
#include "idmap.h"
#include "manager.pb-c.h"
#include "replay.h"
#include "value.h"

struct server;
struct mobj;
struct waiter;
typedef struct fconn fconn; /* a connection (net/conn.h) */

typedef struct session session;

/* Where the ids of a member's own sessions start, while it does not lead
 * (a follower's stale-read sessions, handshakes): above any the group's
 * log gives, so that none is taken twice. */
#define SESSION_LOCAL_IDS ((uint64_t) 1 << 48)

/* A session's life: its handshake; ready on a connection; detached (a
 * reconnecting client's connection dropped: kept for its lease, its
 * waiters keep their place); closed. */
enum session_state {
	SESSION_HANDSHAKE,
	SESSION_READY,
	SESSION_DETACHED,
	SESSION_CLOSED
};

/* What a connection's callbacks reach their session by: a resumed session
 * moves to its new connection, and the old one's link lets go of it
 * (s NULL, under the server lock), so that the old connection's last
 * frames and its end touch nothing. Its arena holds the connection's
 * unpacked frames (each connection its own: an old one and a new may
 * still be read at once). */
typedef struct session_link {
	struct server *srv;
	session       *s; /* under the server lock once authenticated */
	fconn         *fc;
	uint64_t       sid;    /* its session's id, for logs (its thread's) */
	arena          rxa;    /* unpacked frames, reset after each */
	bool           authed; /* past the handshake (its thread's only) */
} session_link;

struct session {
	struct server     *srv;
	fconn             *fc; /* NULL while detached */
	uint64_t           id;
	enum session_state state;
	uint8_t            nonce[AUTH_NONCE_LEN];
	idmap              refs; /* object id -> (uintptr_t) references */
	idmap touched;           /* ids of objects whose session_end runs */
	idmap made; /* ids of the objects it made that live (mobj.maker) */
	struct waiter *waiters; /* parked requests of this session */
	size_t         nwaiters;
	session       *prev, *next;
	session       *hs_prev, *hs_next; /* while in its handshake */
	bool           in_handshake_list;
	uint64_t       requests;
	uint64_t       bytes_in, bytes_out; /* frames, with headers */
	int64_t        started_ms;          /* monotonic, at the accept */
	char           client[64]; /* the name it gave, made printable */
	char           peer[96];
	char           peer_key[80]; /* its host (tcp) or user (ipc) */
	uint64_t       peer_net; /* a hash of its network (/24, /64, user) */

	/* the lease: a session not heard from for lease_ms ends */
	int64_t lease_ms;  /* 0: none (a client that sends no heartbeats) */
	int64_t heard_ms;  /* monotonic: its last frame */
	bool    reconnect; /* kept for its lease after a drop; replies
	                    * recorded until acknowledged */
	uint8_t     resume_secret[32];
	uint64_t    reconnects;    /* times resumed */
	session    *dprev, *dnext; /* in the server's detached list */
	replay      record;        /* reconnecting: replies by seq */
	uint64_t    replies_sent;  /* reply frames numbered (replay.h) */
	const char *expelled;   /* why the manager ended it (session_expel) */
	uint64_t    refs_given; /* references given (journal: a read that
	                         * gives some changes state) */
	bool journaled;         /* its start is in the data directory's log */
	bool stale_reads;       /* read-only, holding no reference, never
	                         * journaled: any member serves it from its
	                         * own state (mgr_opts.stale_reads) */
	char ended_by[64];      /* an operator's end asked (session_end_id):
	                         * the sweep ends it, saying so */
	struct session_link *link; /* its connection's, while it has one
	                            * (NULL detached) */
};

/* ---- what a session holds (holdings.c) -----------------------------------
 */

uint64_t session_id(const session *s);
/* Gives s one more reference to o (and o one more ref). MGR_ENOMEM. */
int session_ref_add(session *s, struct mobj *o);
/* Drops one of s's references to o; MGR_ENOOBJ if s holds none. */
int session_ref_drop(session *s, struct mobj *o);
/* Gives s a reference to every object v refers to (nested too), all or
 * none: on MGR_ENOMEM s holds what it held before. */
int session_ref_add_all(session *s, const sval *v);
/* Makes o's type's session_end hook run for s when s ends (s holds a
 * lock or permits of o). MGR_ENOMEM. */
int session_touch(session *s, struct mobj *o);
/* Can a reply still reach s's client? False once its connection hung up
 * (even before the loop handles it) or is closing. */
bool session_reachable(session *s);
/* Whether s, unreachable now, may come back (a reconnecting client within
 * its lease): what it waits for keeps its place (holdings.c). */
bool session_may_return(const session *s);
/* The pid of s's process: the kernel's word for an ipc peer, the
 * client's own claim otherwise; -1 if neither (holdings.c). */
long session_pid(const session *s);
/* The list of s's waiters (wait.c links them). */
struct waiter **session_waiters(session *s);
/* A list with a dict per session telling who it is (id, peer, client,
 * pid, state, age_ms, requests, bytes_in, bytes_out, objects), what it
 * holds ('holds': locks and permits) and what it waits on ('waits': op,
 * object, waited_ms, timeout_ms); objects carry their name when names
 * (id -> const char *) has one. Errors go to r. */
struct report;
sval sessions_describe(
    struct server *srv, const idmap *names, struct report *r);
/* The same for sessions offset to offset + limit (in the order they
 * connected, newest first), as {'total', 'offset', 'sessions'}. */
sval sessions_describe_page(struct server *srv, const idmap *names,
    size_t offset, size_t limit, struct report *r);

/* ---- replies (reply.c)
 * ------------------------------------------------------- */

/* Encodes v, a value leaving the manager for s, into *out (nodes from a;
 * strings point into v, which must outlive the packing). Every reference
 * in it becomes one of s's (the client makes a proxy of it and releases
 * it later), all or none. MGR_ENOMEM, MGR_ETOOBIG. */
int session_encode_value(
    session *s, const sval *v, arena *a, Mgr__Value *out);
/* Queues a reply to s for its request numbered seq (a reply over the
 * message limit is answered MGR_ETOOBIG instead); a reconnecting session
 * records it first (replay.h), and a detached one only records it. Then
 * resets the server's reply arena (srv->txa), where the replies being
 * built live: the one place it is reset. MGR_ECONN when the connection is
 * going. */
int session_send(session *s, uint64_t seq, const Mgr__Reply *rp);
/* Sends request seq's recorded reply frame again (a retry), as s's next
 * reply. MGR_ECONN when the connection is going. */
int session_send_again(
    session *s, uint64_t seq, const uint8_t *frame, size_t len);
/* The number s's next reply goes out as on its connection; 0 when it has
 * none (detached: replies are only recorded). */
uint64_t session_next_reply(const session *s);

/* ---- life (session.c)
 * ------------------------------------------------------------ */

/* A session of the data directory's log, replayed at start: listed,
 * ready, with no connection (journal.c detaches it or ends it after the
 * replay). NULL when out of memory. Under the lock. */
session *session_restore(struct server *srv, uint64_t id);
/* Starts a session on an accepted connection of either engine, not yet
 * bound nor started (owned from here on); peer names it in logs. */
int session_start(struct server *srv, fconn *fc, const char *peer);
/* An operator ends session id (managerctl end, the dashboard): as its
 * lease running out would, at once, by the timer thread's sweep (what
 * it held released, its client told). by: who asked, for the log.
 * MGR_ENOOBJ when there is no such live session. srv->mtx held. */
int session_end_id(struct server *srv, uint64_t id, const char *by);
/* Drops everything s holds (waiters, locks, references). */
void session_drop_all(session *s);
/* Ends the sessions whose lease ran out (the timer's sweep); after a
 * stall of the manager itself (paused_ms > 0: it could hear nobody),
 * every lease starts again first. The time of the next expiry, or -1;
 * the detached sessions ended go to *dead (linked by dnext), for
 * sessions_free once the lock is dropped. srv->mtx held. */
int64_t sessions_expire(
    struct server *srv, int64_t now, int64_t paused_ms, session **dead);
/* Frees the sessions sessions_expire ended. Not under the lock. */
void sessions_free(session *dead);
/* Closes every session and waits until they are gone (shutdown); the
 * server lock not held. */
void sessions_close_all(struct server *srv);

/* In-process driving, for the fuzz target: a session on fd whose frames
 * come from session_feed (no loop reads fd; replies are written to it),
 * authenticated already when flags say so (LOCAL_RECONNECT: as a
 * reconnecting client's, its requests numbered and recorded);
 * session_feed answers as on_frame does (not 0: the connection would
 * close); session_close_local ends it as a hang-up would. */
enum { LOCAL_AUTHENTICATED = 1, LOCAL_RECONNECT = 2 };
int session_open_local(
    struct server *srv, int fd, unsigned flags, session **out);
int  session_feed(session *s, const uint8_t *frame, size_t len);
void session_close_local(session *s);

#endif
