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
	size_t   max_message;

	size_t max_request_items; /* values nested in one request */

	/* resource limits (server_opts; each refused with MGR_ETOOBIG) */
	size_t max_objects;         /* live objects */
	size_t max_objects_session; /* objects one session refers to */
	size_t max_waiters_session; /* requests one session has parked */
	size_t max_items;           /* elements of one container */
	size_t max_memory;          /* bytes in use; 0: no limit */
	/* the process's memory, measured outside the lock (memory.c) */
	atomic_size_t mem_used;       /* allocated */
	atomic_llong  mem_checked_us; /* when */
	atomic_ullong rss, rss_peak;  /* resident, its peak */
	atomic_llong  rss_checked_us;
	long          pid;

	/* connection limits (server_opts) */
	size_t   max_connections;     /* sessions at once */
	size_t   max_handshakes;      /* of them not yet authenticated */
	size_t   max_handshakes_peer; /* ... from one peer host or uid */
	int      handshake_ms;        /* to authenticate, from the accept */
	int      idle_ms; /* authenticated and silent this long: closed */
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
	uint64_t objects_by_type[MGR__OBJ_TYPE__OBJ_ARRAY + 1];
	uint64_t start_ms;
} server;

typedef struct server_opts {
	const void *key; /* required, non-empty */
	size_t      keylen;
	size_t      max_message; /* 0: 64 MiB */
	int         io_threads; /* event loop threads; 0: SERVER_IO_THREADS */
	size_t      max_connections;     /* 0: SERVER_MAX_CONNECTIONS */
	size_t      max_handshakes;      /* 0: SERVER_MAX_HANDSHAKES */
	size_t      max_handshakes_peer; /* 0: SERVER_MAX_HANDSHAKES_PEER */
	int         handshake_ms;        /* 0: SERVER_HANDSHAKE_MS */
	int         idle_ms;             /* 0: no idle timeout */
	size_t      max_request_items;   /* 0: SERVER_MAX_REQUEST_ITEMS */
	size_t      max_objects;         /* 0: SERVER_MAX_OBJECTS */
	size_t      max_objects_session; /* 0: SERVER_MAX_OBJECTS_SESSION */
	size_t      max_waiters_session; /* 0: SERVER_MAX_WAITERS_SESSION */
	size_t      max_items;           /* 0: SERVER_MAX_ITEMS */
	size_t      max_memory;          /* 0: none */
	size_t max_pending_conn;  /* unread reply bytes of one; 0: 128 MiB */
	size_t max_pending_total; /* of all connections; 0: 512 MiB */
	/* OP_SHUTDOWN (managerctl shutdown) writes an eventfd count to
	 * stop_fd, which the owner waits on; refused unless set. */
	bool stop_on_request;
	int  stop_fd;
} server_opts;

/* Two loops: on this 2-CPU machine one loop per CPU lets reads and writes
 * of different clients proceed in parallel (bench/RESULTS.md). */
#define SERVER_IO_THREADS 2

#define SERVER_DEFAULT_MAX_MESSAGE ((size_t) 64 << 20)
/* Before authentication a connection may send only an Auth frame (a
 * digest, a nonce and a short name): anything bigger closes it at once. */
#define SERVER_PREAUTH_MAX_MESSAGE 1024
#define SERVER_HANDSHAKE_MS        5000
/* Connections not yet authenticated: at most this many at once (the
 * oldest is closed to make room for a new one, so a flood of silent
 * connections can't keep a real client out), and this many from one peer
 * host (tcp) or user (ipc). */
#define SERVER_MAX_HANDSHAKES      128
#define SERVER_MAX_HANDSHAKES_PEER 32
/* Values (messages) nested in one request: each unpacks to tens of bytes
 * whatever it takes on the wire, so a frame of empty values can't make
 * the manager allocate gigabytes before it is refused. */
#define SERVER_MAX_REQUEST_ITEMS ((size_t) 2 << 20)
/* What one client may make the manager hold. */
#define SERVER_MAX_OBJECTS         ((size_t) 4 << 20)
#define SERVER_MAX_OBJECTS_SESSION ((size_t) 1 << 20)
#define SERVER_MAX_WAITERS_SESSION ((size_t) 100000)
#define SERVER_MAX_ITEMS           ((size_t) 16 << 20)
/* managerd sets it from the descriptor limit (main.c). */
#define SERVER_MAX_CONNECTIONS 1000

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
