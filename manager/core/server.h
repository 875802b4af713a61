/* The server: store, names, sessions, listeners. One mutex (mtx) guards
 * all object state; it is held only while a request is applied in memory,
 * never across I/O (sending only queues bytes), so it is short. */
#ifndef MGR_MANAGER_CORE_SERVER_H
#define MGR_MANAGER_CORE_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "conn.h"
#include "idmap.h"
#include "object.h"
#include "server_limits.h"
#include "session.h"
#include "stats.h"
#include "tls_identity.h"
#include "value.h"

typedef struct server_listener server_listener;

typedef struct server {
	pthread_mutex_t mtx;
	pthread_cond_t  cv; /* signalled when the last session is gone */

	idmap    objects; /* id -> mobj */
	uint64_t next_id;
	uint64_t secret_key[2]; /* objects' secrets: keyed hashes of ids */
	sval     names;         /* SV_DICT: name (str) -> SV_REF */
	arena    txa;           /* reply trees, reset after each reply */
	bool     closing;       /* shutting down: decrefs free nothing */
	mobj    *dying;         /* objects at zero, to destroy (store.c) */
	uint64_t gc_pending;    /* decrefs that left a container alive */
	uint64_t ref_values; /* SV_REF values alive (in objects, requests) */
	uint64_t gc_threshold; /* gc_pending that triggers a collection */
	uint64_t gc_freed;     /* objects freed by cycle collection */
	bool     draining;

	session         *sessions; /* doubly linked */
	size_t           nsessions;
	uint64_t         next_session;
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
	struct waiter **heap;
	size_t          heap_len, heap_cap;
	pthread_t       timer;
	pthread_cond_t  timer_cv;
	bool            timer_running, timer_stop;
	uint64_t        waiters; /* parked requests */

	/* statistics for mgr_info (stats.c) */
	stats    st;
	uint64_t sessions_total;
	uint64_t objects_by_type[MGR_TYPE_SLOTS];
	uint64_t start_ms;
} server;

typedef struct server_opts {
	const void   *key; /* required, non-empty */
	size_t        keylen;
	server_limits lim; /* limits.h; 0: the default */
	/* OP_SHUTDOWN (managerctl shutdown) writes an eventfd count to
	 * stop_fd, which the owner waits on; refused unless set. */
	bool stop_on_request;
	int  stop_fd;
} server_opts;

/* Before authentication a connection may send only an Auth frame (a
 * digest, a nonce and a short name): anything bigger closes it at once. */
#define SERVER_PREAUTH_MAX_MESSAGE 1024

int server_new(server **srvp, const server_opts *opts);
/* The server lock (srv->mtx), held while a request is applied in memory
 * and never across a system call: server_unlock writes the log lines and
 * the replies (conn.h's rule) the thread queued under it. Everyone takes
 * it through these, never through srv->mtx. */
void server_lock(server *srv);
void server_unlock(server *srv);
/* Listens on url (ipc://, tcp://). The URL actually bound (a tcp port 0
 * resolved) goes to bound (cap bytes), or on failure why not. MGR_EINVAL
 * for a bad URL, MGR_ECONN when it can't bind (in use, no permission). */
int server_listen(server *srv, const char *url, char *bound, size_t cap);
/* The same through nng's stream layer (the nng engine): tls+tcp://,
 * ws://, wss://, and ipc:// or tcp:// when asked for. server_listen
 * comes here for the schemes only nng serves. */
int server_listen_nng(server *srv, const char *url, char *bound, size_t cap);
/* The certificate (and CAs for client certificates) of the tls+tcp://
 * and wss:// listeners; before they listen. MGR_EINVAL with why. */
int server_set_tls(server *srv, const char *cert_file, const char *key_file,
    const char *ca_file, bool verify_peer, char *why, size_t whycap);
/* Stops listening, closes every session, frees every object and srv. */
void server_free(server *srv);

/* ---- internal, between the server's files --------------------------------
 */

/* Dispatch (dispatch.c): applies one request and sends its reply;
 * srv->mtx held. Returns what session_send returned. */
int dispatch(server *srv, session *s, const Mgr__Request *rq);
/* The entry of op in the table built from every MGR_OPS (types.def), or
 * NULL (OP_BATCH, which dispatch serves itself, and unknown ones). */
const mop *dispatch_op(Mgr__Op op);
/* The object types and operation names (registry.c). */
const mtype *registry_type(Mgr__ObjType code);
const char  *registry_op_name(Mgr__Op op);

/* Bytes the process has allocated, as last measured (memory.c): what
 * --max-memory compares with. */
size_t server_memory(server *srv);
/* Measures the memory figures if the last measure is older than 10 ms
 * (allocated) or 1 s (resident set): a request's thread calls it before
 * it takes the server lock, since measuring may read /proc. */
void server_memory_sample(server *srv);

/* Cycle collection (gc.c). */
void gc_collect(server *srv);
/* Collects when enough container decrefs have accumulated, or whenever
 * any have with force. */
void gc_maybe(server *srv, bool force);

#endif
