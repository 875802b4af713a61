/* The server: store, names, sessions, listeners, and what the server's
 * files share. One mutex (mtx) guards all object state; it is held only
 * while a request is applied in memory, never across a system call
 * (server_lock, server_unlock), so it is short. For core/ only: the
 * layers above see server.h. */
#ifndef MGR_MANAGER_CORE_SERVER_STATE_H
#define MGR_MANAGER_CORE_SERVER_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "conn.h"
#include "idmap.h"
#include "object.h"
#include "server.h"
#include "session.h"
#include "stats.h"
#include "value.h"

/* Before authentication a connection may send only an Auth frame (a
 * digest, a nonce and a short name): anything bigger closes it at once. */
#define SERVER_PREAUTH_MAX_MESSAGE 1024

typedef struct server_listener server_listener;
typedef struct journal         journal;

struct server {
	pthread_mutex_t mtx;
	pthread_cond_t  cv; /* signalled when the last session is gone */

	idmap    objects; /* id -> mobj */
	uint64_t next_id;
	uint64_t secret_key[2]; /* objects' secrets: keyed hashes of ids */
	sval     names;         /* SV_DICT: name (str) -> SV_REF (names.c) */
	idmap    name_of;       /* id -> a name of it (names.c's index) */
	arena    txa;           /* reply trees, reset after each reply */
	bool     closing;       /* shutting down: decrefs free nothing */
	bool     stopping;      /* closing every session: none is kept for its
	                         * lease any more (sessions_close_all) */
	mobj    *dying;         /* objects at zero, to destroy (store.c) */
	mobj    *freeing;       /* big ones let go, freed in slices */
	uint64_t gc_pending;    /* decrefs that left a container alive */
	uint64_t ref_values; /* SV_REF values alive (in objects, requests) */
	uint64_t gc_threshold; /* gc_pending that triggers a collection */
	uint64_t gc_freed;     /* objects freed by cycle collection */
	bool     draining;

	session         *sessions; /* doubly linked */
	session         *detached; /* of them: reconnecting, no connection */
	size_t           nsessions;
	size_t           nlinks; /* connections with a session_link */
	uint64_t         next_session;
	uint64_t         next_local_session; /* SESSION_LOCAL_IDS + this */
	server_listener *listeners;
	evgroup         *loops; /* the event loops serving connections */
	tls_identity    *tls;   /* of tls+tcp://, wss://, https:// */

	uint8_t *key;
	size_t   keylen;
	bool     stop_on_request; /* OP_SHUTDOWN writes to stop_fd */
	int      stop_fd;

	server_limits lim; /* limits.h: each refused with MGR_ETOOBIG */

	/* the process's memory, measured outside the lock (memory.c) */
	atomic_size_t mem_used;       /* allocated */
	atomic_llong  mem_checked_us; /* when */
	atomic_ullong rss, rss_peak;  /* resident, its peak */
	atomic_llong  rss_checked_us;
	long          pid;

	/* connections in their handshake */
	session *hs_oldest, *hs_newest; /* sessions in their handshake */
	size_t   nhandshakes;
	uint64_t connections_refused; /* over max_connections */
	uint64_t handshakes_evicted;  /* closed to make room for new ones */

	/* deadlines of waiters (wait.c): a min-heap served by one thread */
	journal *journal; /* --data-dir's log (journal.c), or NULL */

	struct waiter **heap;
	size_t          heap_len, heap_cap;
	pthread_t       timer;
	pthread_cond_t  timer_cv;
	int64_t         timer_until; /* when the sleeping timer thread wakes
	                                (ms, monotonic); 0 while it runs */
	bool     timer_running, timer_stop;
	uint64_t waiters; /* parked requests */

	/* statistics for mgr_info (stats.c) */
	stats    st;
	uint64_t sessions_total;
	uint64_t objects_by_type[MGR_TYPE_SLOTS];
	/* The longest single hold of the server lock (server_lock.c), and
	 * what held it: the request being applied (the last, when a thread
	 * applies several in one hold) or what the manager itself did. */
	uint64_t    lock_t0_us;
	const char *lock_holder; /* now; NULL: the manager */
	uint64_t    lock_hold_max_us;
	char        lock_hold_max_by[48];
	uint64_t    elements_by_type[MGR_TYPE_SLOTS]; /* stats_note_size */
	uint64_t    start_ms;
	char        ws_origins[WS_ORIGINS_MAX]; /* "": none allowed */
};

/* ---- internal, between the server's files --------------------------------
 */

/* Dispatch (dispatch.c): applies one request and sends its reply;
 * srv->mtx held. Returns what session_send returned. */
int dispatch(server *srv, session *s, const Mgr__Request *rq);
/* A request of the data directory's log applied again at start (journal.c)
 * on s (NULL: the manager's own action), its reply recorded as numbered
 * reply_no, not sent: 0, MGR_PENDING when it parked (the log does not
 * match the state), MGR_ENOMEM. srv->mtx held. */
int dispatch_again(
    server *srv, session *s, const Mgr__Request *rq, uint64_t reply_no);
/* The entry of op in the table built from every MGR_OPS (types.def), or
 * NULL (OP_BATCH, which dispatch serves itself, and unknown ones). */
const mop *dispatch_op(Mgr__Op op);
/* The object types and operation names (registry.c). */
const mtype *registry_type(Mgr__ObjType code);
const char  *registry_op_name(Mgr__Op op);

/* Bytes the process has allocated, as last measured (memory.c): what
 * --max-memory compares with. */
size_t server_memory(server *srv);

/* Cycle collection (gc.c). */
void gc_collect(server *srv);
/* Collects when enough container decrefs have accumulated, or whenever
 * any have with force. */
void gc_maybe(server *srv, bool force);

#endif
