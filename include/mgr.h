/*
 * mgr.h - client library of the manager-style shared-object server.
 *
 * One manager process (managerd) owns shared objects; programs manipulate
 * them through proxies (mgr_obj *). See README.md for a tour and
 * docs/api.md for this header as a reference.
 *
 * Conventions
 * - Every call returns int: 0 on success or an MGR_E* code (mgr_strerror).
 * - Outputs go through pointer arguments; on error they are left untouched
 *   unless said otherwise.
 * - Timeouts are int64_t milliseconds: MGR_FOREVER (-1) waits without
 *   limit, 0 never waits.
 * - Memory: argument values (mgr_value made by the constructors) are
 *   borrowed for the duration of the call. Result values (mgr_value *out)
 *   are allocated by the library and owned by the caller, who frees them
 *   with mgr_value_free. Handles that come out through ** are owned by the
 *   caller and released with their matching call (mgr_disconnect,
 *   mgr_obj_release, mgr_server_shutdown).
 * - A mgr_client and the proxies made from it may be used by several
 *   threads at once; one thread's blocking call does not stall another's.
 */
#ifndef MGR_H
#define MGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks what libmgr exports: it is built with -fvisibility=hidden, so
 * that its internals and the protobuf-c code inside it can't clash with a
 * program's own symbols. */
#if defined(__GNUC__)
#define MGR_API __attribute__((visibility("default")))
#else
#define MGR_API
#endif

/* The timeout that waits without limit. */
#define MGR_FOREVER ((int64_t) -1)

/* This header's version (the build's version is read from here). */
#define MGR_VERSION_MAJOR 0
#define MGR_VERSION_MINOR 2
#define MGR_VERSION_PATCH 0
/* "0.2.0": the same version as a string. */
#define MGR_VERSION_STRING                                                   \
	MGR_VERSION_STR_(                                                    \
	    MGR_VERSION_MAJOR, MGR_VERSION_MINOR, MGR_VERSION_PATCH)
#define MGR_VERSION_STR_(a, b, c)  MGR_VERSION_STR__(a, b, c)
#define MGR_VERSION_STR__(a, b, c) #a "." #b "." #c
/* The library's version, "MAJOR.MINOR.PATCH" (static storage). */
MGR_API const char *mgr_version(void);

/* Error codes, the one list of them: each code's name and what it means
 * (mgr_strerror's text), in order from 0, success. New codes are added at
 * the end, before MGR_ENUMERRORS. */
#define MGR_ERRORS(X)                                                        \
	X(MGR_OK, "success")                                                 \
	X(MGR_EINVAL, "invalid argument")                                    \
	X(MGR_ENOMEM, "out of memory")                                       \
	X(MGR_ECONN, "cannot connect, or connection lost")                   \
	X(MGR_EAUTH, "authentication failed")                                \
	X(MGR_ETIMEDOUT, "timed out")                                        \
	X(MGR_EEMPTY, "queue empty") /* a timed-out get too */               \
	X(MGR_EFULL, "queue full")   /* a timed-out put too */               \
	X(MGR_EKEY, "no such key, attribute or name")                        \
	X(MGR_EINDEX, "index out of range")                                  \
	X(MGR_EVALUE, "value not in list")                                   \
	X(MGR_ETYPE, "wrong object or value type")                           \
	X(MGR_ENOOBJ, "object gone or token stale")                          \
	X(MGR_ESTATE, "operation not allowed in this state")                 \
	X(MGR_EBROKEN, "barrier broken")                                     \
	X(MGR_ERANGE, "value out of the typecode's range")                   \
	X(MGR_ETOOBIG, "over a size limit")                                  \
	X(MGR_EPROTO, "protocol violation")                                  \
	X(MGR_ECLOSED, "handle closed")                                      \
	X(MGR_EINTERNAL, "internal error") /* a bug in manager or library */ \
	X(MGR_EABORTED, "not applied, the atomic batch failed")              \
	X(MGR_ESESSION, "the session ended") /* its lease ran out, or the    \
	    manager lost it: what it held was released; each call in flight  \
	    gets it once, then the client goes on in a new session */        \
	X(MGR_ECANCELED, "cancelled before it ran")

/* The codes: MGR_OK (0), MGR_EINVAL, ... in MGR_ERRORS's order. MGR_ESTATE
 * is a release of an unheld lock, an over-released bounded semaphore, a
 * wait without the lock or too many task_done calls. */
enum mgr_error {
#define MGR_ERROR_CODE_(name, text) name,
	MGR_ERRORS(MGR_ERROR_CODE_)
#undef MGR_ERROR_CODE_
	    MGR_ENUMERRORS
};

/* The name of an error code ("MGR_EKEY: no such key"); never NULL. The
 * string is static. */
MGR_API const char *mgr_strerror(int err);

/* the detail of the last error the calling thread got from the
 * library or the manager ("no such key: 'x'"), or "" (thread-local; valid
 * until the thread's next call). */
MGR_API const char *mgr_errdetail(void);

typedef struct mgr_client mgr_client; /* a connection to a manager */
typedef struct mgr_server mgr_server; /* an embedded (private) manager */
typedef struct mgr_obj    mgr_obj;    /* a proxy for a shared object */

/* ---- values ------------------------------------------------------------ */

/* What a mgr_value holds: Python's None, bool, int (64-bit), float, str,
 * bytes, list, dict, a reference to a shared object, tuple. */
typedef enum mgr_kind {
	MGR_NONE = 0,
	MGR_BOOL,
	MGR_INT,
	MGR_FLOAT,
	MGR_STR,
	MGR_BYTES,
	MGR_LIST,
	MGR_DICT,
	MGR_REF,
	MGR_TUPLE, /* an immutable list, usable as a dict key */
} mgr_kind;

/* A value: what every call takes and gives (see struct mgr_value). */
typedef struct mgr_value mgr_value;

/* A tagged union. Read the member named by kind:
 *   MGR_BOOL b; MGR_INT i; MGR_FLOAT f;
 *   MGR_STR s (len bytes of UTF-8; results are NUL-terminated, values
 *   from mgr_strn need not be); MGR_BYTES bytes (len bytes);
 *   MGR_LIST, MGR_TUPLE items (len values);
 *   MGR_DICT pairs (len pairs: pairs[2k] is a key, pairs[2k+1] its value);
 *   MGR_REF ref (use mgr_value_ref).
 * Values made by the constructors borrow what they point to; values filled
 * in by the library own it (flags has MGR_VALUE_OWNED) until
 * mgr_value_free. */
struct mgr_value {
	mgr_kind kind;
	uint32_t flags;
	size_t   len;
	union {
		bool        b;
		int64_t     i;
		double      f;
		const char *s;
		const void *bytes;
		mgr_value  *items;
		mgr_value  *pairs;
		mgr_obj    *ref;
	};
};

#define MGR_VALUE_OWNED 1u

/* Constructors for arguments. They borrow: the value points at the caller's
 * memory (string, bytes, items array, proxy), which must stay valid while
 * the value is used. Freeing one with mgr_value_free does nothing. */
MGR_API mgr_value mgr_none(void);
MGR_API mgr_value mgr_bool(bool b);
MGR_API mgr_value mgr_int(int64_t i);
MGR_API mgr_value mgr_float(double d);
MGR_API mgr_value mgr_str(const char *s); /* NUL-terminated */
MGR_API mgr_value mgr_strn(const char *s, size_t len);
MGR_API mgr_value mgr_bytes(const void *p, size_t n);
MGR_API mgr_value mgr_ref(mgr_obj *obj);
MGR_API mgr_value mgr_list_of(mgr_value *items, size_t n);
MGR_API mgr_value mgr_tuple_of(mgr_value *items, size_t n);
/* a dict value from n pairs (2n values: key, value, key, ...) */
MGR_API mgr_value mgr_dict_of(mgr_value *pairs, size_t n);

/* Frees what a result value owns (recursively) and resets it to None; a
 * borrowed (constructed) value is only reset. A MGR_REF result owns its
 * proxy: freeing the value releases the proxy. NULL is ignored. */
MGR_API void mgr_value_free(mgr_value *v);

/* Deep copy of src into *dst, owned by the caller (mgr_value_free). A
 * reference is copied as a new proxy of the same object. */
MGR_API int mgr_value_copy(mgr_value *dst, const mgr_value *src);

/* *dst gets src's value, owned by the caller: moved when src owns what it
 * points to (a result; src is then reset to None, nothing is copied),
 * copied when src borrows (a constructed value; src is left as it is), as
 * SQLite's SQLITE_STATIC and SQLITE_TRANSIENT tell a copy from a hand-over.
 * The way to keep a result, or to put it in a list, without a second
 * copy. MGR_EINVAL, MGR_ENOMEM (src then unchanged). */
MGR_API int mgr_value_take(mgr_value *dst, mgr_value *src);

/* The proxy a MGR_REF value holds, or NULL for any other kind. The proxy
 * stays owned by the value (valid until mgr_value_free). */
MGR_API mgr_obj *mgr_value_ref(const mgr_value *v);

/* Typed equality as the manager uses it for keys: 1, 1.0 and true are
 * different values. Lists and tuples compare item by item, dicts as sets
 * of pairs, references by object. */
MGR_API bool mgr_value_equal(const mgr_value *a, const mgr_value *b);

/* Python's repr of v into buf (always NUL-terminated when cap > 0).
 * Returns 0, or MGR_ETOOBIG when buf is too small (buf then holds the
 * truncated repr, cut between characters) or v nests deeper than 1000
 * levels, MGR_EINVAL for a NULL argument or a malformed value (a NULL
 * string, items or ref, an unknown kind). */
MGR_API int mgr_value_repr(const mgr_value *v, char *buf, size_t cap);

/* ---- connection -------------------------------------------------------- */

/* Options of mgr_connect and mgr_server_start; zero-initialize and set
 * what you need. Strings and the key are borrowed for the call. */
typedef struct mgr_opts {
	const void *authkey; /* key bytes; NULL: none (server: random) */
	size_t      authkey_len;
	int64_t     connect_timeout; /* ms; 0: 10 s */
	size_t      max_message;     /* frame size limit; 0: 64 MiB */
	/* tls+tcp:// and wss:// (MGR_EINVAL with another scheme): the CAs
	 * (PEM) the manager's certificate must chain to (NULL: the
	 * system's); a client certificate and its key (PEM), for a
	 * manager run with --tls-verify-peer. */
	const char *tls_ca_file;
	const char *tls_cert_file;
	const char *tls_key_file;
	const char *managerd;  /* mgr_server_start: binary to run */
	const char *log_level; /* mgr_server_start: managerd --log-level */
	/* The name the manager's certificate must carry (NULL: the URL's
	 * host). Matched against its DNS names only: a certificate with
	 * just IP:127.0.0.1 fails for tls+tcp://127.0.0.1 unless it also
	 * carries DNS:127.0.0.1. */
	const char *tls_server_name;
	/* ms: the session's lease; 0: 15000. managerd clamps it to
	 * [--min-lease, --max-lease]. The client's keep-alive thread sends a
	 * heartbeat every third of it when the connection was silent (a
	 * sixth with several URLs, a cluster's members); a
	 * session the manager has not heard from for its lease ends (its
	 * locks and permits released, references dropped, items in progress
	 * given back, waits cancelled), and a connection that has not heard
	 * from the manager for the lease (a hung manager, a dead link; for
	 * half of it with several URLs, a cluster's members) is given up:
	 * calls in flight fail with MGR_ECONN, or with reconnect wait for the
	 * reconnect. When the manager ended the session, each call in flight
	 * (or, none being, the next call) gets MGR_ESESSION once, and the
	 * client goes on in a new session. */
	int64_t lease;
	/* ms to keep reconnecting after the connection is lost, with backoff
	 * and jitter; 0: never (a lost connection is MGR_ECONN at once, and
	 * the manager ends the session when the connection closes). With it,
	 * the manager keeps the session for its lease after a drop, waiters
	 * keep their place, calls wait meanwhile, and a new connection
	 * resumes the session (proved by a secret from its handshake): calls
	 * in flight are sent again and applied exactly once, answered from
	 * the manager's record when they were applied before the drop. Past
	 * the window, calls fail with MGR_ECONN. */
	int64_t reconnect;
	/* How the manager's log, managerctl sessions and the dashboard name
	 * this client; NULL: $MGR_CLIENT_NAME, else the program's name. The
	 * manager sees "NAME pid N" (at most 63 bytes of NAME); the pointer
	 * is only read during mgr_connect. */
	const char *client_name;
	/* A read-only session that any member of a cluster serves, not only
	 * its leader: the first of the URLs that answers (put the nearest
	 * first). A follower answers from its own copy of the state, which
	 * lags the leader's by what it has not applied yet (at the leader,
	 * mgr_info's cluster_member_lag), as a Redis replica's READONLY
	 * connection or etcd's serializable reads; it answers while cut off
	 * from the others, too. Calls that would change anything or wait (a
	 * set, a create, a queue get, an acquire) fail with MGR_ESTATE. Its
	 * proxies (mgr_name_get, values read) hold no reference: an object
	 * whose last holder lets go answers MGR_ENOOBJ, and releasing them
	 * only frees memory. With reconnect, a session that moves to
	 * another member starts anew there: each call in flight gets
	 * MGR_ESESSION once (nothing was held; call it again). On a manager
	 * that is not a cluster's member, the same read-only session. */
	bool stale_reads;
} mgr_opts;

/* Connects to the manager at url and authenticates with opts->authkey.
 * url: ipc://path, tcp://host:port, tls+tcp://host:port (TLS; the
 * manager's certificate is verified), ws://host:port/path or
 * wss://host:port/path (WebSocket, plain or TLS); or the members of a
 * managerd --cluster, comma-separated ("tcp://a:1,tcp://b:1,tcp://c:1"):
 * the client dials them in turn, goes where a follower says the leader
 * serves, and does so again when it reconnects (docs/cluster.md); with
 * several URLs a cluster electing its leader is waited for within the
 * connect timeout. Errors: MGR_EINVAL (a
 * bad URL or option), MGR_ECONN (unreachable, or a handshake that fails:
 * a plaintext listener for a TLS URL, a TLS one for a plaintext URL),
 * MGR_EAUTH (a wrong key; a manager certificate not trusted or not for
 * this name; a client certificate the manager refuses), each with
 * mgr_errdetail naming the reason. opts may be NULL (then the key comes
 * from MGR_AUTHKEY); a TLS field left NULL comes from MGR_TLS_CA_FILE,
 * MGR_TLS_CERT_FILE, MGR_TLS_KEY_FILE, MGR_TLS_SERVER_NAME when set, and
 * lease and reconnect left 0 from MGR_LEASE and MGR_RECONNECT (ms), and
 * stale_reads left false from MGR_STALE_READS=1. On
 * success *client is the caller's; release it with mgr_disconnect. The
 * client runs one thread of its own (the keep-alive: heartbeats and
 * reconnects), until mgr_disconnect. */
MGR_API int mgr_connect(
    mgr_client **client, const char *url, const mgr_opts *opts);
/* The id of the client's session on the manager (managerctl clients'
 * ID): the same across reconnects that resume it, a new one after
 * MGR_ESESSION. MGR_EINVAL for a NULL argument. */
MGR_API int mgr_client_session(mgr_client *client, uint64_t *session);

/* mgr_connect with the URL from MGR_URL and the key from MGR_AUTHKEY. */
MGR_API int mgr_connect_env(mgr_client **client);

/* Closes the connection and frees the client. The manager drops every
 * reference, lock and waiter of this session, and has done so when this
 * returns (when it could be reached). Proxies made from the client
 * must still be released with mgr_obj_release (they only free memory
 * then); calls on them return MGR_ECLOSED. NULL is ignored. Returns 0. */
MGR_API int mgr_disconnect(mgr_client *client);

/* ---- embedded manager -------------------------------------------------- */

/* Starts a private managerd (exec'ed, never forked) listening on a fresh
 * ipc:// address in a private directory, with opts->authkey or a random
 * key, and waits until it answers. managerd is found from opts->managerd,
 * MGR_MANAGERD, next to the running binary, in the build tree, or on PATH.
 * *server is the caller's; mgr_server_shutdown stops and frees it. */
MGR_API int mgr_server_start(mgr_server **server, const mgr_opts *opts);

/* The URL the embedded manager listens on; owned by server. */
MGR_API const char *mgr_server_url(mgr_server *server);

/* A new client connected to the embedded manager (with its key). */
MGR_API int mgr_server_connect(mgr_server *server, mgr_client **client);

/* the embedded manager's key (owned by server) and its length. */
MGR_API const void *mgr_server_authkey(mgr_server *server, size_t *len);

/* Stops the manager (SIGTERM, then SIGKILL after 5 s), removes its files
 * and frees server. NULL is ignored. */
MGR_API int mgr_server_shutdown(mgr_server *server);

/* ---- objects ------------------------------------------------------------
 */

/* Drops this proxy's reference and frees the proxy. NULL is ignored. */
MGR_API int mgr_obj_release(mgr_obj *o);

/* The type's name ("dict", "list", "namespace", ...); static string. */
MGR_API const char *mgr_obj_type(mgr_obj *o);

/* the object's id (unique for the manager's lifetime). */
MGR_API uint64_t mgr_obj_id(mgr_obj *o);

/* the client a proxy belongs to. */
MGR_API mgr_client *mgr_obj_client(mgr_obj *o);

/* Writes a token naming the object ("dict:17:9f2c4e8a01b7d356": type, id
 * and the object's secret) into buf. Another process connected to the
 * same manager turns it back into a proxy with mgr_attach; the secret
 * makes it a capability (an id alone gives MGR_ENOOBJ). MGR_ETOOBIG if
 * cap is too small (64 always suffices). */
MGR_API int mgr_obj_token(mgr_obj *o, char *buf, size_t cap);

/* A new proxy (with its own reference) for the object a token names.
 * MGR_ENOOBJ if the object is gone. */
MGR_API int mgr_attach(mgr_client *client, const char *token, mgr_obj **o);

/* Names pin objects until the name is removed. name_set replaces an
 * existing name. name_get gives a new proxy; MGR_EKEY if unknown. */
MGR_API int mgr_name_set(mgr_client *client, const char *name, mgr_obj *o);
MGR_API int mgr_name_get(mgr_client *client, const char *name, mgr_obj **o);
MGR_API int mgr_name_del(mgr_client *client, const char *name);
/* Binds name to candidate if the name is free, atomically, and gives in
 * *out a new proxy (the caller's, mgr_obj_release) of whatever the name
 * is bound to afterwards: candidate, or the object bound before. The way
 * independent programs share one named object without a race (as
 * Python's register()): each makes a candidate, calls this, releases its
 * candidate and uses *out. */
MGR_API int mgr_name_setdefault(
    mgr_client *client, const char *name, mgr_obj *candidate, mgr_obj **out);
/* The names, as a dict value {name: type name} (caller frees). */
MGR_API int mgr_name_list(mgr_client *client, mgr_value *dict_value);

/* The manager's figures as a dict value (caller frees *dict_value):
 * "version", "uptime_ms", "pid"; "requests" and
 * "requests_per_sec_1s"/"_10s"/"_60s" (floats, over the last complete
 * seconds), "bytes_in", "bytes_out" and their "_per_sec_10s";
 * connections: "sessions" (now), "sessions_total", "connections_refused",
 * "max_connections", "handshakes", "handshakes_evicted"; objects:
 * "objects_total", "objects" and "elements" (dicts type name -> count;
 * elements of the containers), "names", "waiters" and "waiters_by_type";
 * memory: "memory_used" (allocated), "max_memory", "rss", "rss_peak",
 * "reply_bytes_pending"; "cycles_freed"; "tls_resumed" (tls+tcp
 * handshakes that resumed a session from a ticket: libmgr's reconnects
 * offer theirs); "lock_hold_max_us", the
 * longest single hold of the manager's lock since it started, and
 * "lock_hold_max_op", what held it (an operation's name, "the
 * dashboard's API", ...). The same figures as managerd's
 * --metrics endpoint. MGR_ECONN, MGR_EPROTO. */
MGR_API int mgr_info(mgr_client *client, mgr_value *dict_value);
/* One dict per session of the manager, as a list value (caller frees
 * *list_value): "id", "peer" (address, or "ipc pid N uid M"), "client"
 * (the name it gave, "pid N" for libmgr), "pid" (the kernel's for an ipc
 * peer, else the client's claim; None if unknown), "state" ("handshake",
 * "ready", "detached": a reconnecting client's connection dropped, kept
 * for its lease; "closing"), "age_ms", "lease_ms" (0: none),
 * "heard_ms_ago" (since its last frame), "reconnect" (bool),
 * "stale_reads" (bool: mgr_opts.stale_reads), "reconnects" (times resumed),
 * "replies_kept" (for its retries), "requests", "bytes_in", "bytes_out",
 * "objects" (references held), "holds" (a list of {"object", "type", "name"
 * if named, "count"}: locks, rlock depth, semaphore permits) and "waits" (a
 * list of {"object", "type", "name", "op", "waited_ms", "timeout_ms" (None:
 * no deadline)}). What managerctl clients shows. */
MGR_API int mgr_sessions(mgr_client *client, mgr_value *list_value);
/* A page of the manager's objects, as a dict value (caller frees
 * *dict_value): "total" (objects in all), "offset", and "objects", a list
 * of dicts from offset on, at most limit (<= 1000) of them: "object"
 * (id), "type", "name" (None when unnamed), "size" (containers), the
 * type's own figures (queue: "maxsize", "unfinished", "getters",
 * "putters", "done"...; semaphores "value"; barrier "parties",
 * "n_waiting"; locks "locked"; a pool's record: "workers", "idle",
 * "tasks_waiting", "running", "done", "results_waiting"), "holders" (locks
 * and semaphores: a list of {"session", "pid", "client", "count"}) and
 * "waiters" (how many). The dashboard's /api/objects. MGR_EINVAL for a limit
 * over 1000, MGR_ECONN. */
MGR_API int mgr_objects(
    mgr_client *client, size_t offset, size_t limit, mgr_value *dict_value);
/* Who waits for whom, as a dict value (caller frees *dict_value):
 * "locks", each held lock, rlock or semaphore as in mgr_objects with its
 * "waiters" listed in the order they will be served ({"session", "pid",
 * "client", "op", "waited_ms", "timeout_ms"}), and "cycles": each a list
 * of steps {"session", "waits_on" (an object), "held_by" (a session)}
 * closing a circle: sessions in a deadlock. What managerctl waits and
 * the dashboard show. MGR_ECONN. */
MGR_API int mgr_waits(mgr_client *client, mgr_value *dict_value);
/* Asks the manager to stop, as SIGTERM does: it answers, then closes
 * every session and exits. MGR_ESTATE from a server that does not stop
 * on request (one inside a program). client stays the caller's to
 * mgr_disconnect (its calls give MGR_ECONN once the manager is gone). */
MGR_API int mgr_shutdown(mgr_client *client);
/* Asks managerd --data-dir for a snapshot of its state now (managerctl
 * save), which then replaces the log it covers; returns once asked: the
 * snapshot is made meanwhile, by a process of its own, and mgr_info's
 * "snapshot_running" is 0 again when it is done ("snapshot_lsn",
 * "snapshot_at_ms" and "snapshot_bytes" say which; "snapshot_error" why
 * not). MGR_ESTATE from a manager without a data directory. */
MGR_API int mgr_save(mgr_client *client);
/* Asks managerd --cluster's leader to add member node at address (the
 * HOST:PORT the other members reach it at, as in --cluster; address is
 * the caller's, read during the call). Start that member first, with
 * --join and a --cluster list naming it: it gets the group's log from the
 * leader, and becomes a voter once caught up. Returns once asked; the
 * change goes on meanwhile, one at a time: mgr_info's "cluster_change"
 * says how it went, "cluster_member_role" {node: "voter"...} who is in.
 * MGR_ESTATE from a manager that is no cluster member, or while another
 * change is under way; MGR_EINVAL when node or address is taken. */
MGR_API int mgr_cluster_add(
    mgr_client *client, uint64_t node, const char *address);
/* Asks managerd --cluster's leader to remove member node from the group
 * (returns once asked, as mgr_cluster_add). The leader may remove itself:
 * it steps down once the change is committed, and the others elect the
 * next leader (its clients move there as after a failover: a moment
 * without a leader, about the election timeout; with reconnect, the call
 * may be answered by the next leader, MGR_ENOOBJ: the node is gone
 * already). MGR_ENOOBJ when node is no member. Stop the removed member's
 * managerd afterwards: it takes no part in the group any more. */
MGR_API int mgr_cluster_remove(mgr_client *client, uint64_t node);
/* Ends another session (an id of mgr_sessions), as its lease running out
 * would: its locks and permits released, its references dropped, its
 * items in progress given back, its waits cancelled, its client told
 * (MGR_ESESSION) and its connection closed; logged with who asked. For
 * an operator freeing what a stuck client holds (managerctl end, the
 * dashboard). MGR_ENOOBJ when there is no such session; MGR_EINVAL for
 * the caller's own (mgr_disconnect ends that). */
MGR_API int mgr_session_end(mgr_client *client, uint64_t session);
/* One round trip that does nothing: is the manager there and answering?
 * MGR_ECONN when not. */
MGR_API int mgr_ping(mgr_client *client);

/* ---- dict (ordered; keys are scalars or tuples) -------------------------
 */

/* A new empty shared dict; *d is the caller's (mgr_obj_release). Keys are
 * hashable values (scalars, str, bytes, refs, tuples of them; a list or
 * dict key is MGR_ETYPE); dicts keep insertion order, as Python's. Every
 * call below copies its argument values into the manager (borrowed for
 * the call) and gives results the caller frees with mgr_value_free. */
MGR_API int mgr_dict_new(mgr_client *c, mgr_obj **d);
/* d[key] = value. MGR_ETYPE for an unhashable key, MGR_ETOOBIG over
 * --max-items. */
MGR_API int mgr_dict_set(mgr_obj *d, mgr_value key, mgr_value value);
/* *out = d[key]; MGR_EKEY when absent. */
MGR_API int mgr_dict_get(mgr_obj *d, mgr_value key, mgr_value *out);
/* del d[key]; MGR_EKEY when absent. */
MGR_API int mgr_dict_del(mgr_obj *d, mgr_value key);
/* *found = key in d. */
MGR_API int mgr_dict_contains(mgr_obj *d, mgr_value key, bool *found);
/* *n = len(d). */
MGR_API int mgr_dict_len(mgr_obj *d, size_t *n);
/* *out = d.pop(key): removes and gives the value; MGR_EKEY when absent. */
MGR_API int mgr_dict_pop(mgr_obj *d, mgr_value key, mgr_value *out);
/* d.popitem(): removes the last inserted pair into *key and *value;
 * MGR_EKEY when d is empty. */
MGR_API int mgr_dict_popitem(mgr_obj *d, mgr_value *key, mgr_value *value);
/* *out = d.setdefault(key, dflt), atomically: the value under key, set
 * to dflt first when absent. */
MGR_API int mgr_dict_setdefault(
    mgr_obj *d, mgr_value key, mgr_value dflt, mgr_value *out);
/* d.update(dict_value): every pair of a MGR_DICT value, or every 2-item
 * tuple or list of a MGR_LIST value; all or nothing (MGR_ETYPE,
 * MGR_EINVAL for a pair that is not two items). MGR_ETOOBIG, nothing
 * applied, for a request carrying more values than managerd's
 * --max-op-elements (16,384 by default: 8,192 pairs of plain values):
 * send a bigger update in parts. */
MGR_API int mgr_dict_update(mgr_obj *d, mgr_value dict_value);
/* d.clear(). */
MGR_API int mgr_dict_clear(mgr_obj *d);
/* list(d.keys()), list(d.values()), list(d.items()) (2-tuples) as one
 * MGR_LIST value in *list, a snapshot taken atomically. MGR_ETOOBIG for a
 * dict over managerd's --max-op-elements (16,384 values by default,
 * nested ones counted: every other client waits while one request walks
 * a container). */
MGR_API int mgr_dict_keys(mgr_obj *d, mgr_value *list);
MGR_API int mgr_dict_values(mgr_obj *d, mgr_value *list);
MGR_API int mgr_dict_items(mgr_obj *d, mgr_value *list);
/* d.copy(): the whole dict as one MGR_DICT value in *dict_value. */
MGR_API int mgr_dict_copy(mgr_obj *d, mgr_value *dict_value);
/* Atomic d[key] += delta (int or float; a missing key counts as 0);
 * *new_value (may be NULL) gets the result. */
MGR_API int mgr_dict_incr(
    mgr_obj *d, mgr_value key, mgr_value delta, mgr_value *new_value);

/* ---- list ----------------------------------------------------------------
 */

/* A new empty shared list; *l is the caller's (mgr_obj_release).
 * Indexes are Python's: negative ones count from the end; one out of
 * range is MGR_EINDEX. Arguments are copied in, results are the
 * caller's to mgr_value_free. */
MGR_API int mgr_list_new(mgr_client *c, mgr_obj **l);
/* l.append(v). MGR_ETOOBIG over --max-items. */
MGR_API int mgr_list_append(mgr_obj *l, mgr_value v);
/* l.extend(list_value): the items of a MGR_LIST or MGR_TUPLE value.
 * MGR_ETOOBIG, nothing applied, over managerd's --max-op-elements values
 * in one request (16,384 by default): extend by parts. */
MGR_API int mgr_list_extend(mgr_obj *l, mgr_value list_value);
/* l.insert(i, v): before index i, clamped to the ends as Python does. */
MGR_API int mgr_list_insert(mgr_obj *l, int64_t i, mgr_value v);
/* *out = l[i]. */
MGR_API int mgr_list_get(mgr_obj *l, int64_t i, mgr_value *out);
/* l[i] = v. */
MGR_API int mgr_list_set(mgr_obj *l, int64_t i, mgr_value v);
/* del l[i]. */
MGR_API int mgr_list_del(mgr_obj *l, int64_t i);
/* *out = l.pop(i) (i = -1: the last); MGR_EINDEX when empty. */
MGR_API int mgr_list_pop(mgr_obj *l, int64_t i, mgr_value *out);
/* l.remove(v): the first item equal to v; MGR_EVALUE when none. */
MGR_API int mgr_list_remove(mgr_obj *l, mgr_value v);
/* *i = l.index(v); MGR_EVALUE when v is not in l. */
MGR_API int mgr_list_index(mgr_obj *l, mgr_value v, int64_t *i);
/* *n = l.count(v). */
MGR_API int mgr_list_count(mgr_obj *l, mgr_value v, size_t *n);
/* *n = len(l). */
MGR_API int mgr_list_len(mgr_obj *l, size_t *n);
/* l.reverse(). */
MGR_API int mgr_list_reverse(mgr_obj *l);
/* l.sort(reverse=reverse), stable; MGR_ETYPE for items that do not
 * compare (a str and an int), leaving l unchanged. */
MGR_API int mgr_list_sort(mgr_obj *l, bool reverse);
/* l.clear(). */
MGR_API int mgr_list_clear(mgr_obj *l);
/* *list = l[start:stop] as a MGR_LIST value (Python's slice rules). */
MGR_API int mgr_list_slice(
    mgr_obj *l, int64_t start, int64_t stop, mgr_value *list);
/* *list = l[:], the whole list as one MGR_LIST value. This, a slice and
 * a sort give MGR_ETOOBIG over managerd's --max-op-elements (16,384
 * values by default, nested ones counted): read a longer list in slices. */
MGR_API int mgr_list_copy(mgr_obj *l, mgr_value *list);

/* ---- namespace -----------------------------------------------------------
 */

/* A new empty namespace (Python's Namespace: attributes by name); *ns
 * is the caller's (mgr_obj_release). name is a NUL-terminated string,
 * borrowed for the call. */
MGR_API int mgr_ns_new(mgr_client *c, mgr_obj **ns);
/* ns.name = v. */
MGR_API int mgr_ns_set(mgr_obj *ns, const char *name, mgr_value v);
/* *out = ns.name; MGR_EKEY when it has no such attribute. */
MGR_API int mgr_ns_get(mgr_obj *ns, const char *name, mgr_value *out);
/* del ns.name; MGR_EKEY when absent. */
MGR_API int mgr_ns_del(mgr_obj *ns, const char *name);
/* vars(ns): every attribute as a MGR_DICT value {name: value}. */
MGR_API int mgr_ns_items(mgr_obj *ns, mgr_value *dict_value);

/* ---- queue
 * ----------------------------------------------------------------- */

/* A FIFO queue; maxsize 0 is unbounded. put blocks while full, get while
 * empty, both up to timeout (MGR_FOREVER, 0 never waits): a timed-out put
 * gives MGR_EFULL, a timed-out get MGR_EEMPTY. Waiters are served in
 * arrival order. An item is never handed to a client that has gone. */
MGR_API int mgr_queue_new(mgr_client *c, size_t maxsize, mgr_obj **q);

/* mgr_queue_opts.order: which item a get takes. */
enum {
	MGR_QUEUE_FIFO     = 0, /* the oldest (Queue) */
	MGR_QUEUE_LIFO     = 1, /* the newest (LifoQueue) */
	MGR_QUEUE_PRIORITY = 2  /* the smallest in Python's ordering
	                           (PriorityQueue: (priority, data) tuples);
	                           an item that cannot be ordered against the
	                           queue's gives MGR_ETYPE at put */
};

/* What mgr_queue_new_opts makes; a zeroed struct is an unbounded queue
 * delivering at most once, as mgr_queue_new(c, 0, &q). More fields may
 * follow: zero them. */
typedef struct mgr_queue_opts {
	size_t maxsize; /* 0: unbounded */
	/* Acknowledged: each item a session gets stays in progress until
	 * that session's mgr_queue_task_done for it (task_done completes the
	 * session's oldest item in progress); if the session ends first, its
	 * items in progress go back to the front of the queue, in order, for
	 * others to get. Delivery is then at least once (an item may arrive
	 * twice when a consumer dies after using it, before task_done), as
	 * RabbitMQ's acknowledgements and SQS's visibility timeout give;
	 * without ack it is at most once, as Python's Queue. Items given back
	 * go where the next get takes them (a LIFO's top, a priority
	 * queue's order). Items in progress count against maxsize (a put
	 * waits until one is done), so the queue never holds more than
	 * maxsize, even once they come back. */
	bool ack;
	int  order; /* MGR_QUEUE_FIFO (0), _LIFO or _PRIORITY */
} mgr_queue_opts;

/* A queue as opts says (NULL: defaults); *q is the caller's proxy
 * (mgr_obj_release). MGR_EINVAL for a maxsize over INT64_MAX or an
 * unknown order. */
MGR_API int mgr_queue_new_opts(
    mgr_client *c, const mgr_queue_opts *opts, mgr_obj **q);
MGR_API int mgr_queue_put(mgr_obj *q, mgr_value v, int64_t timeout);
MGR_API int mgr_queue_get(mgr_obj *q, mgr_value *out, int64_t timeout);
/* mgr_queue_get that also tells how many times the item was handed out
 * before (*deliveries: 0 the first time). Only an acknowledged queue
 * hands an item out again, when the session that took it ended before
 * its task_done: a consumer can set aside an item that keeps killing its
 * consumers (RabbitMQ's x-delivery-count). *out is the caller's. */
MGR_API int mgr_queue_get_counted(
    mgr_obj *q, mgr_value *out, uint64_t *deliveries, int64_t timeout);
/* Removes the first waiting item equal to v (Python's ==, in the order
 * gets take them); *removed tells whether there was one. An item taken
 * and not yet task_done is not waiting. The removed item's task counts as
 * done (join does not wait for it) and a put waiting for room may come
 * in. Decided atomically against every get: an item removed was never
 * handed out, an item handed out is never removed (a pool's cancel).
 * v is borrowed. Not Python's (its Queue has no remove; deque's has). */
MGR_API int mgr_queue_remove(mgr_obj *q, mgr_value v, bool *removed);
/* Whether an item equal to v is waiting in the queue (v borrowed). */
MGR_API int mgr_queue_contains(mgr_obj *q, mgr_value v, bool *waiting);
/* Copies of the waiting items [start:stop] in the order gets take them (a
 * priority queue's sorted), as a list value in *list (the caller's):
 * nothing is taken. Python's slice rules (negative counts from the end;
 * INT64_MAX as stop: to the end); at most 10,000 items (MGR_ETOOBIG:
 * page with start and stop). Not Python's (RabbitMQ's and Redis's
 * LRANGE are). */
MGR_API int mgr_queue_peek(
    mgr_obj *q, int64_t start, int64_t stop, mgr_value *list);
/* Drops every waiting item (RabbitMQ's purge); *purged (may be NULL)
 * gets how many. Items taken and not yet task_done stay with their
 * takers; each dropped item's task counts as done (join does not wait
 * for them) and puts waiting for room come in. */
MGR_API int mgr_queue_purge(mgr_obj *q, size_t *purged);
MGR_API int mgr_queue_qsize(mgr_obj *q, size_t *n);
MGR_API int mgr_queue_empty(mgr_obj *q, bool *empty);
MGR_API int mgr_queue_full(mgr_obj *q, bool *full);
/* One put item is done (MGR_ESTATE when called more times than put; on
 * an acknowledged queue, when this session has no item in progress). */
MGR_API int mgr_queue_task_done(mgr_obj *q);
/* Waits until every item put has been task_done; MGR_ETIMEDOUT. */
MGR_API int mgr_queue_join(mgr_obj *q, int64_t timeout);

/* ---- lock, rlock, semaphore, bounded semaphore
 * ------------------------------ */

/* A new Lock, RLock, Semaphore(value) or BoundedSemaphore(value), free;
 * the proxy *l or *s is the caller's (mgr_obj_release). */
MGR_API int mgr_lock_new(mgr_client *c, mgr_obj **l);
MGR_API int mgr_rlock_new(mgr_client *c, mgr_obj **l);
MGR_API int mgr_semaphore_new(mgr_client *c, size_t value, mgr_obj **s);
MGR_API int mgr_bounded_semaphore_new(
    mgr_client *c, size_t value, mgr_obj **s);
/* On a lock, rlock, semaphore or condition (its lock). A timed-out
 * acquire gives MGR_ETIMEDOUT. An rlock is owned by the calling thread of
 * this client. A lock, rlock or permits still held when the session ends
 * are released (deviation from Python). Releasing an unheld lock, an
 * rlock held by another thread, or a bounded semaphore past its value
 * gives MGR_ESTATE. locked: held (lock, rlock) or no permit left. */
MGR_API int mgr_acquire(mgr_obj *o, int64_t timeout);
MGR_API int mgr_release(mgr_obj *o);
MGR_API int mgr_locked(mgr_obj *o, bool *locked);
/* mgr_acquire of a lock or rlock (or a condition's lock), and the hold's
 * fencing token in *fence: greater than any given for this lock before (an
 * rlock's owner re-entering gets the same one), so a resource can refuse a
 * holder whose lease ran out (docs/deploy.md). MGR_ETYPE on a semaphore. */
MGR_API int mgr_acquire_fence(
    mgr_obj *lock, int64_t timeout, uint64_t *fence);
/* The current hold's token, 0 when the lock is free: anyone may read it. */
MGR_API int mgr_lock_fence(mgr_obj *lock, uint64_t *fence);

/* ---- condition
 * ---------------------------------------------------------------- */

/* A condition over lock (a lock or rlock proxy of the same client), or
 * over a new rlock when lock is NULL. wait releases the lock, waits for a
 * notify, and takes the lock back (also on timeout: MGR_ETIMEDOUT); it
 * needs the lock held by the caller (MGR_ESTATE otherwise). notify wakes
 * up to n waiters in arrival order. */
MGR_API int mgr_condition_new(mgr_client *c, mgr_obj *lock, mgr_obj **cv);
MGR_API int mgr_condition_wait(mgr_obj *cv, int64_t timeout);
MGR_API int mgr_condition_notify(mgr_obj *cv, size_t n);
MGR_API int mgr_condition_notify_all(mgr_obj *cv);

/* ---- event
 * -------------------------------------------------------------------- */

/* A new Event, its flag clear; *e is the caller's (mgr_obj_release). */
MGR_API int mgr_event_new(mgr_client *c, mgr_obj **e);
/* Sets the flag and wakes every waiter. */
MGR_API int mgr_event_set(mgr_obj *e);
/* Clears the flag. */
MGR_API int mgr_event_clear(mgr_obj *e);
/* *set = the flag. */
MGR_API int mgr_event_is_set(mgr_obj *e, bool *set);
/* Returns 0 once the flag is set, MGR_ETIMEDOUT otherwise. */
MGR_API int mgr_event_wait(mgr_obj *e, int64_t timeout);

/* ---- barrier
 * -------------------------------------------------------------------- */

/* A barrier for parties (>= 1) with a default timeout (MGR_FOREVER:
 * none). wait gives each party a distinct index 0..parties-1 (arrival
 * order); a wait with MGR_FOREVER uses the default timeout; a timed-out
 * wait breaks the barrier and gives MGR_EBROKEN, as every wait on a broken
 * barrier does (also when a waiting party's client goes away). */
MGR_API int mgr_barrier_new(
    mgr_client *c, size_t parties, int64_t timeout, mgr_obj **b);
MGR_API int mgr_barrier_wait(mgr_obj *b, int64_t timeout, size_t *index);
MGR_API int mgr_barrier_abort(mgr_obj *b);
MGR_API int mgr_barrier_reset(mgr_obj *b);
MGR_API int mgr_barrier_parties(mgr_obj *b, size_t *n);
MGR_API int mgr_barrier_n_waiting(mgr_obj *b, size_t *n);
MGR_API int mgr_barrier_broken(mgr_obj *b, bool *broken);

/* ---- scalar (Python's Value) and array (Python's Array)
 * ----------------------- */

/* typecode: b B h H i I l L q Q (ints: 8, 16, 32, 64 bits signed and
 * unsigned, as on Linux x86_64: i/I 32 bits, l/L/q/Q 64) f d (float,
 * double). An int typecode takes MGR_INT values (MGR_ERANGE outside its
 * range, MGR_ETYPE for another kind); f and d take MGR_FLOAT or MGR_INT.
 * Q and L values above INT64_MAX are out of reach of MGR_INT: MGR_ERANGE. */
MGR_API int mgr_scalar_new(
    mgr_client *c, char typecode, mgr_value init, mgr_obj **o);
MGR_API int mgr_scalar_get(mgr_obj *o, mgr_value *out);
MGR_API int mgr_scalar_set(mgr_obj *o, mgr_value v);
/* Atomic += delta (int or float); *new_value (may be NULL) gets the
 * result; MGR_ERANGE when it leaves the typecode's range (unchanged). */
MGR_API int mgr_scalar_add(mgr_obj *o, mgr_value delta, mgr_value *new_value);

/* A fixed-length array of typecode items, initialised from a list value
 * (its length is the array's). */
MGR_API int mgr_array_new(
    mgr_client *c, char typecode, mgr_value list_value, mgr_obj **a);
MGR_API int mgr_array_len(mgr_obj *a, size_t *n);
MGR_API int mgr_array_get(mgr_obj *a, int64_t i, mgr_value *out);
MGR_API int mgr_array_set(mgr_obj *a, int64_t i, mgr_value v);
MGR_API int mgr_array_slice(
    mgr_obj *a, int64_t start, int64_t stop, mgr_value *list);

/* ---- worker processes (Python's Process with the spawn start method) ------
 */

/* A child process runs a registered entry function with proxies of its own
 * to the objects the parent passed. A fork of a threaded process may
 * only call async-signal-safe functions, so children are started by exec
 * (posix_spawn) of this binary (or another that registers the same entry),
 * never by a bare fork:
 *
 *   static int worker(mgr_client *c, mgr_obj *const *objs, size_t n,
 *       int argc, char **argv) { ... return 0; }
 *   int main(int argc, char **argv) {
 *       mgr_process_register("worker", worker);
 *       mgr_process_serve(argc, argv); // in a child: runs it and exits
 *       ...
 *       mgr_process_start(client, "worker", objs, 2, NULL, &p);
 *       mgr_process_join(p, MGR_FOREVER, &status);
 *       mgr_process_free(p);
 *   }
 *
 * The child gets the manager's URL in MGR_URL, the proxies as tokens, and
 * the authkey through an inherited pipe (never in argv or the
 * environment). It connects, attaches, calls the entry, releases,
 * disconnects and exits with the entry's return value. */
typedef struct mgr_process mgr_process;

typedef int (*mgr_entry_fn)(
    mgr_client *c, mgr_obj *const *objs, size_t nobjs, int argc, char **argv);

/* Registers fn under name (copied); at most 64 entries. MGR_EINVAL. */
MGR_API int mgr_process_register(const char *name, mgr_entry_fn fn);

/* In a process started by mgr_process_start: runs its entry with argc and
 * argv (the extra arguments, argv[0] the program) and exits with its
 * return value (1 when it cannot connect or attach, 2 for an unknown
 * entry). Elsewhere returns 0 at once. */
MGR_API int mgr_process_serve(int argc, char **argv);

/* Options of mgr_process_start (may be NULL: all defaults). Zero it:
 * more fields may follow. */
typedef struct mgr_process_opts {
	const char  *exe;  /* the program to run; NULL: this one */
	char *const *argv; /* extra arguments (NULL-terminated) or NULL */
	const char  *name; /* Process(name=), copied (63 bytes kept); NULL:
	                      "Process-N", N counting this program's starts */
	bool daemon;       /* the child is killed when this process ends
	                      (exits, crashes or is SIGKILLed) */
} mgr_process_opts;

/* Starts entry in a new process, passing nobjs proxies of client c (any
 * number, borrowed). opts may be NULL. *p is the caller's: join, then
 * mgr_process_free. */
MGR_API int mgr_process_start(mgr_client *c, const char *entry,
    mgr_obj *const *objs, size_t nobjs, const mgr_process_opts *opts,
    mgr_process **p);

/* Waits up to timeout ms for the child to end. *status (may be NULL) gets
 * its exit code, or minus the signal that killed it. MGR_ETIMEDOUT. */
MGR_API int mgr_process_join(mgr_process *p, int64_t timeout, int *status);
/* The child's process id. */
MGR_API int64_t mgr_process_pid(mgr_process *p);
/* is_alive: whether the child runs (started and not ended). Never reaps:
 * a join still gives its status. */
MGR_API int mgr_process_is_alive(mgr_process *p, bool *alive);
/* exitcode: as mgr_process_join's status (the exit code, or minus the
 * signal); MGR_ESTATE while the child runs. */
MGR_API int mgr_process_exitcode(mgr_process *p, int *code);
/* The child's name (opts->name or "Process-N"), owned by p. */
MGR_API const char *mgr_process_name(mgr_process *p);
/* current_process().name: "MainProcess", or in a child the name its
 * parent gave ("Process-1", "PoolWorker-2", opts->name). Static. */
MGR_API const char *mgr_current_process_name(void);
/* os.process_cpu_count: the CPUs this process may run on (at least 1). */
MGR_API size_t mgr_cpu_count(void);
/* SIGTERM / SIGKILL to the child (no-op once it was joined). */
MGR_API int mgr_process_terminate(mgr_process *p);
MGR_API int mgr_process_kill(mgr_process *p);
/* Frees the handle; a child still running is killed and reaped first.
 * NULL is ignored. */
MGR_API int mgr_process_free(mgr_process *p);

/* ---- process pools ------------------------------------------------------
 *
 * Python's Pool for C: worker processes run tasks that the program
 * registers by name, as it registers process entries; the task queue and
 * the results live in the manager. A worker that dies mid-task (SIGKILL,
 * a crash) is replaced and its task runs again on another worker; a task
 * that killed its worker three times fails its future (MGR_EABORTED)
 * instead of looping; no future waits for ever because a worker died.
 *
 *   static int square(mgr_client *c, const mgr_value *arg, mgr_value *r) {
 *       *r = mgr_int(arg->i * arg->i); return 0; }
 *   int main(int argc, char **argv) {
 *       mgr_task_register("square", square);
 *       mgr_process_serve(argc, argv);  // in a worker: serves, exits
 *       ... mgr_pool_start(client, 4, NULL, &pool);
 *       mgr_pool_map(pool, "square", list, 1, MGR_FOREVER, &results);
 *       mgr_pool_close(pool); mgr_pool_join(pool, MGR_FOREVER);
 *       mgr_pool_free(pool);
 *   }
 *
 * A pool's calls may come from several threads; free it before its
 * client is disconnected, and its futures before or after it. */
/* A pool: its workers, its task queue and results in the manager. */
typedef struct mgr_pool mgr_pool;
/* One submitted task's result to come (Python's AsyncResult). */
typedef struct mgr_future mgr_future;

/* A task: computes *result (owned by the library once fn returns 0: set
 * it with the constructors, pointing at memory that lives until fn
 * returns, or with values the library gave) from arg (borrowed for the
 * call), with c the worker's client. A non-zero MGR_E* return fails the
 * task's future with that code, and the worker's mgr_errdetail() then
 * becomes the future's detail. */
typedef int (*mgr_task_fn)(
    mgr_client *c, const mgr_value *arg, mgr_value *result);

/* Sets the calling thread's mgr_errdetail to the formatted text (cut at
 * 300 bytes): a task that fails says why, and its future's
 * mgr_future_get gives that text. */
MGR_API void mgr_set_errdetail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Registers fn under name (copied) in this program, before
 * mgr_process_serve; at most 64 tasks. MGR_EINVAL, MGR_ETOOBIG. */
MGR_API int mgr_task_register(const char *name, mgr_task_fn fn);

/* Starts `workers` worker processes (up to 1024; 0: mgr_cpu_count(), as
 * Python's Pool()), exec'ed copies of this program or opts->exe, which
 * must register the same tasks (opts and its argv are borrowed until
 * mgr_pool_free; name and daemon are the pool's own: its workers are
 * "PoolWorker-N" and leave when the pool's owner session ends), serving
 * a new pool of client c. *pool is the caller's: mgr_pool_free. */
MGR_API int mgr_pool_start(mgr_client *c, size_t workers,
    const mgr_process_opts *opts, mgr_pool **pool);
/* Options of mgr_pool_start_opts. Zero it: more fields may follow. */
typedef struct mgr_pool_opts {
	const mgr_process_opts
	           *process;        /* exe and argv, as mgr_pool_start's */
	const char *initializer;    /* a registered task each worker (and each
	                               replacement, and mgr_pool_work) runs on
	                               initargs before its first task; a failure
	                               ends that worker (its stderr says why),
	                               and with none left the pending futures
	                               fail with MGR_EABORTED */
	mgr_value initargs;         /* copied at start */
	size_t    maxtasksperchild; /* a worker that ran this many tasks is
	                               replaced by a new one; 0: never */
} mgr_pool_opts;
/* mgr_pool_start with initializer, initargs and maxtasksperchild (opts
 * may be NULL). MGR_EKEY for an initializer not registered here. */
MGR_API int mgr_pool_start_opts(mgr_client *c, size_t workers,
    const mgr_pool_opts *opts, mgr_pool **pool);
/* apply: runs task on arg (copied into the task queue) and waits up to
 * timeout ms for its result (*result, the caller's to mgr_value_free).
 * The task's own error code and detail, MGR_EKEY for a task not
 * registered, MGR_ETIMEDOUT, MGR_ECLOSED (pool closed or terminated). */
MGR_API int mgr_pool_apply(mgr_pool *p, const char *task, mgr_value arg,
    int64_t timeout, mgr_value *result);
/* apply_async: queues task on arg (copied); *f is the caller's
 * (mgr_future_free). MGR_EKEY for a task not registered in this program,
 * MGR_ECLOSED after close or terminate. */
MGR_API int mgr_pool_submit(
    mgr_pool *p, const char *task, mgr_value arg, mgr_future **f);
/* Waits up to timeout ms for f's result: a copy in *result (the
 * caller's), as often as asked. The task's error (with its detail),
 * MGR_ETIMEDOUT, MGR_ECLOSED (terminated, or the pool freed first). */
MGR_API int mgr_future_get(mgr_future *f, int64_t timeout, mgr_value *result);
/* Whether f has its result (or its error) now. */
MGR_API int mgr_future_done(mgr_future *f, bool *done);
/* Frees f (NULL is ignored); its task runs on if pending, and its
 * callbacks are dropped unless they ran already. */
MGR_API int mgr_future_free(mgr_future *f);
/* A future's end: status 0 with *result (borrowed for the call), or the
 * task's code with mgr_errdetail() set to its detail. */
typedef void (*mgr_future_cb)(
    mgr_future *f, int status, const mgr_value *result, void *arg);
/* Python's add_done_callback (and apply_async's callback and
 * error_callback): fn(f, status, result, arg) runs once when f ends, on a
 * library thread (the pool's collector, or the thread that terminates or
 * frees the pool or cancels f), or at once on this thread if f is done.
 * Several run in the order given. fn must not free f; it may call the
 * pool. MGR_ENOMEM. */
MGR_API int mgr_future_on_done(mgr_future *f, mgr_future_cb fn, void *arg);
/* return_when of mgr_future_wait, as concurrent.futures.wait's. */
enum { MGR_WAIT_ALL = 0, MGR_WAIT_FIRST = 1, MGR_WAIT_FIRST_ERROR = 2 };
/* concurrent.futures.wait: waits up to timeout ms until every future of
 * fs (borrowed; of any pools) is done (MGR_WAIT_ALL), one is
 * (MGR_WAIT_FIRST), or one failed or all are done (MGR_WAIT_FIRST_ERROR);
 * *ndone: how many are done. MGR_ETIMEDOUT (ndone still set). */
MGR_API int mgr_future_wait(mgr_future *const *fs, size_t n, int return_when,
    int64_t timeout, size_t *ndone);
/* as_completed: waits up to timeout ms for a future of fs not yet taken
 * (taken[i] false) to be done, and gives the index of the one that ended
 * first, setting taken[*index]; so repeated calls give them in completion
 * order. MGR_EEMPTY when all are taken, MGR_ETIMEDOUT. */
MGR_API int mgr_future_wait_any(mgr_future *const *fs, size_t n, bool *taken,
    int64_t timeout, size_t *index);
/* Future.cancel: cancels f's task unless a worker began it (decided
 * atomically in the manager). *cancelled true: f is done with
 * MGR_ECANCELED (its callbacks run) and the task never runs; false: it
 * runs or ran. Cancelling again gives true. The manager's errors. */
MGR_API int mgr_future_cancel(mgr_future *f, bool *cancelled);
/* Future.running: whether a worker began f's task and it has not ended.
 * One round trip to the manager. */
MGR_API int mgr_future_running(mgr_future *f, bool *running);
/* map: task on each item of list (a list or tuple; items copied), in
 * chunks of chunksize items per task (0: Python's default,
 * ceil(len / (4 * workers)), at most 1,024: a chunk and its results each
 * go in one request, under managerd's --max-op-elements; a chunksize that
 * makes a bigger request fails with MGR_ETOOBIG); *results is a list of
 * the results in the
 * input's order (the caller's). An item that is a tuple is the task's
 * argument as it is (starmap: the task unpacks it). The first error of a
 * task, MGR_ETIMEDOUT (timeout for the whole map), MGR_EKEY,
 * MGR_ECLOSED. */
MGR_API int mgr_pool_map(mgr_pool *p, const char *task, mgr_value list,
    size_t chunksize, int64_t timeout, mgr_value *results);
/* A map under way: map_async, imap and imap_unordered. */
typedef struct mgr_map mgr_map;
/* Starts task on each item of list (copied) as mgr_pool_map does and
 * returns at once; *m is the caller's (mgr_map_free). ordered: results
 * come out of mgr_map_next in the input's order (imap), else as their
 * chunks end (imap_unordered). MGR_EKEY, MGR_ECLOSED, MGR_ENOMEM. */
MGR_API int mgr_pool_map_start(mgr_pool *p, const char *task, mgr_value list,
    size_t chunksize, bool ordered, mgr_map **m);
/* The next result (*result, the caller's) and its item's index in the
 * input (index may be NULL), waiting up to timeout ms. That item's task
 * error (the iteration goes on after it), MGR_ETIMEDOUT, MGR_EEMPTY after
 * the last. */
MGR_API int mgr_map_next(
    mgr_map *m, int64_t timeout, mgr_value *result, size_t *index);
/* map_async's get: every result in the input's order (*results, the
 * caller's), as often as asked; the first error in input order,
 * MGR_ETIMEDOUT. */
MGR_API int mgr_map_get(mgr_map *m, int64_t timeout, mgr_value *results);
/* Whether every item's task ended. */
MGR_API int mgr_map_done(mgr_map *m, bool *done);
/* map_async's callback and error_callback: fn(NULL, status, result, arg)
 * runs once, with the list of every result (status 0, borrowed for the
 * call) or the first error to happen (mgr_errdetail() set), on a library
 * thread or at once if the map ended. One per map: MGR_ESTATE for a
 * second. */
MGR_API int mgr_map_on_done(mgr_map *m, mgr_future_cb fn, void *arg);
/* Frees m (NULL is ignored); its tasks run on, and a callback still to
 * come keeps what it needs. */
MGR_API int mgr_map_free(mgr_map *m);
/* No more tasks: submit, apply and map give MGR_ECLOSED. */
MGR_API int mgr_pool_close(mgr_pool *p);
/* After close: waits up to timeout ms for every task, then for the
 * workers to exit. MGR_ESTATE before close, MGR_ETIMEDOUT. */
MGR_API int mgr_pool_join(mgr_pool *p, int64_t timeout);
/* Stops the workers at once (SIGKILL) and fails every pending future
 * with MGR_ECLOSED. */
MGR_API int mgr_pool_terminate(mgr_pool *p);
/* Terminates what still runs and frees the pool (NULL is ignored): no
 * worker process is left behind. */
MGR_API int mgr_pool_free(mgr_pool *p);
/* The pool's record in the manager (type "pool"), borrowed: valid until
 * mgr_pool_free; NULL for a NULL p. Through it the dashboard, managerctl
 * objects and mgr_objects show the pool as one (workers, tasks waiting,
 * running, done), and a name given to it (mgr_name_set) names the pool
 * there. */
MGR_API mgr_obj *mgr_pool_record(mgr_pool *p);
/* The process ids of the running workers: up to cap into pids, how many
 * run into *n. */
MGR_API int mgr_pool_worker_pids(
    mgr_pool *p, int64_t *pids, size_t cap, size_t *n);
/* The pool's token (its objects in the manager), for workers elsewhere:
 * mgr_pool_work on any host that reaches the manager. MGR_ETOOBIG when
 * cap is too small (600 bytes are enough). */
MGR_API int mgr_pool_token(mgr_pool *p, char *buf, size_t cap);
/* Serves the pool of token (mgr_pool_token) in the calling process with
 * client c, a worker like the pool's own, until the pool is joined
 * (returns 0) or the manager goes away (MGR_ECONN). The program must
 * register the pool's tasks. */
MGR_API int mgr_pool_work(mgr_client *c, const char *token);

/* Value.get_lock() and Array.get_lock(): the rlock of scalar or array o
 * (made on first use, the same lock from every proxy of o, in any
 * process), into *lock (the caller's proxy). MGR_ETYPE for another
 * object. */
MGR_API int mgr_obj_get_lock(mgr_obj *o, mgr_obj **lock);

/* ---- custom types (managerd modules, mgr_module.h) -----------------------
 *
 * Types a module loaded with managerd --load-module registered: objects
 * like the others (names, tokens, references in containers, atomic
 * batches), whose methods run in the manager, each call atomically and in
 * one round trip (Python's BaseManager.register with a class). */

/* A new object of the registered type (mgr_obj_type says its name), made
 * by the type's create from init (borrowed; mgr_none() for none; no
 * references). MGR_ETYPE when no module registered type; the type's own
 * errors otherwise. *o is the caller's (mgr_obj_release). */
MGR_API int mgr_custom_new(
    mgr_client *c, const char *type, mgr_value init, mgr_obj **o);
/* Calls method of o with args (borrowed; mgr_none() for none; no
 * references), atomically in the manager. A method that waits (its type
 * says MGR_METHOD_MAY_WAIT) waits up to timeout ms (MGR_FOREVER; 0 never
 * waits): MGR_ETIMEDOUT. *result (may be NULL) gets what it gave, the
 * caller's (mgr_value_free). MGR_EKEY for a method the type has not; the
 * method's own errors, with its detail, otherwise. As a batch entry:
 * MGR_OP_CALL with the arguments (method as MGR_STR, args). */
MGR_API int mgr_call(mgr_obj *o, const char *method, mgr_value args,
    int64_t timeout, mgr_value *result);

/* ---- pipes (Python's multiprocessing.Pipe) -------------------------------
 *
 * Two connected ends, each a proxy like any other (mgr_obj_token and
 * mgr_attach carry them to other processes; mgr_obj_type says "conn").
 * Sent values are copies, received in order; a receive waits in the
 * manager as a queue get does (its session's end cancels it). */

/* Pipe(duplex): *end1 and *end2 (the caller's). duplex false: end1 only
 * receives and end2 only sends (MGR_ESTATE otherwise). */
MGR_API int mgr_pipe_new(
    mgr_client *c, bool duplex, mgr_obj **end1, mgr_obj **end2);
/* send: v (copied) to the other end. MGR_ECLOSED when either end is
 * closed (BrokenPipeError), MGR_ETOOBIG over --max-items unreceived. */
MGR_API int mgr_conn_send(mgr_obj *end, mgr_value v);
/* recv: the oldest value sent here (*out, the caller's), waiting up to
 * timeout ms. MGR_ETIMEDOUT; MGR_ECLOSED once the other end is closed
 * and everything it sent was received (EOFError), or this end is. */
MGR_API int mgr_conn_recv(mgr_obj *end, mgr_value *out, int64_t timeout);
/* poll: whether a recv would not wait (a value, or the other end's
 * close), waiting up to timeout ms for it (false then). */
MGR_API int mgr_conn_poll(mgr_obj *end, int64_t timeout, bool *ready);
/* close: this end, for every process holding it; what was sent to it and
 * not received is dropped. The proxy stays to be released. */
MGR_API int mgr_conn_close(mgr_obj *end);

/* ---- batches: pipelining and atomic groups ------------------------------
 */

/* Operation codes for batches, one per call of the typed API above (same
 * arguments in the same order, as values; sizes and indexes as MGR_INT;
 * blocking calls take the batch entry's timeout). */
typedef enum mgr_op {
	MGR_OP_DICT_SET          = 20,
	MGR_OP_DICT_GET          = 21,
	MGR_OP_DICT_DEL          = 22,
	MGR_OP_DICT_CONTAINS     = 23,
	MGR_OP_DICT_LEN          = 24,
	MGR_OP_DICT_POP          = 25,
	MGR_OP_DICT_POPITEM      = 26,
	MGR_OP_DICT_SETDEFAULT   = 27,
	MGR_OP_DICT_UPDATE       = 28,
	MGR_OP_DICT_CLEAR        = 29,
	MGR_OP_DICT_KEYS         = 30,
	MGR_OP_DICT_VALUES       = 31,
	MGR_OP_DICT_ITEMS        = 32,
	MGR_OP_DICT_COPY         = 33,
	MGR_OP_DICT_INCR         = 34,
	MGR_OP_LIST_APPEND       = 40,
	MGR_OP_LIST_EXTEND       = 41,
	MGR_OP_LIST_INSERT       = 42,
	MGR_OP_LIST_GET          = 43,
	MGR_OP_LIST_SET          = 44,
	MGR_OP_LIST_DEL          = 45,
	MGR_OP_LIST_POP          = 46,
	MGR_OP_LIST_REMOVE       = 47,
	MGR_OP_LIST_INDEX        = 48,
	MGR_OP_LIST_COUNT        = 49,
	MGR_OP_LIST_LEN          = 50,
	MGR_OP_LIST_REVERSE      = 51,
	MGR_OP_LIST_SORT         = 52,
	MGR_OP_LIST_CLEAR        = 53,
	MGR_OP_LIST_SLICE        = 54,
	MGR_OP_LIST_COPY         = 55,
	MGR_OP_NS_SET            = 60,
	MGR_OP_NS_GET            = 61,
	MGR_OP_NS_DEL            = 62,
	MGR_OP_NS_ITEMS          = 63,
	MGR_OP_QUEUE_PUT         = 70,
	MGR_OP_QUEUE_GET         = 71,
	MGR_OP_QUEUE_QSIZE       = 72,
	MGR_OP_QUEUE_EMPTY       = 73,
	MGR_OP_QUEUE_FULL        = 74,
	MGR_OP_QUEUE_TASK_DONE   = 75,
	MGR_OP_QUEUE_JOIN        = 76,
	MGR_OP_QUEUE_GET_COUNTED = 77,
	MGR_OP_QUEUE_REMOVE      = 78,
	MGR_OP_QUEUE_CONTAINS    = 79,
	MGR_OP_ACQUIRE           = 80,
	MGR_OP_RELEASE_LOCK      = 81,
	MGR_OP_LOCKED            = 82,
	MGR_OP_LOCK_FENCE        = 83,
	MGR_OP_GET_LOCK          = 84,
	MGR_OP_COND_WAIT         = 90,
	MGR_OP_COND_NOTIFY       = 91,
	MGR_OP_COND_NOTIFY_ALL   = 92,
	MGR_OP_EVENT_SET         = 100,
	MGR_OP_EVENT_CLEAR       = 101,
	MGR_OP_EVENT_IS_SET      = 102,
	MGR_OP_EVENT_WAIT        = 103,
	MGR_OP_BARRIER_WAIT      = 110,
	MGR_OP_BARRIER_ABORT     = 111,
	MGR_OP_BARRIER_RESET     = 112,
	MGR_OP_BARRIER_PARTIES   = 113,
	MGR_OP_BARRIER_N_WAITING = 114,
	MGR_OP_BARRIER_BROKEN    = 115,
	MGR_OP_SCALAR_GET        = 120,
	MGR_OP_SCALAR_SET        = 121,
	MGR_OP_SCALAR_ADD        = 122,
	MGR_OP_ARRAY_LEN         = 130,
	MGR_OP_ARRAY_GET         = 131,
	MGR_OP_ARRAY_SET         = 132,
	MGR_OP_ARRAY_SLICE       = 133,
	MGR_OP_CONN_SEND         = 140,
	MGR_OP_CONN_RECV         = 141,
	MGR_OP_CONN_POLL         = 142,
	MGR_OP_CONN_CLOSE        = 143,
	MGR_OP_QUEUE_PEEK        = 170,
	MGR_OP_QUEUE_PURGE       = 171,
	/* Only in an atomic batch, on no object (o NULL): arguments (MGR_INT
	 * index of an earlier entry of the batch, MGR_INT mgr_cmp, a value);
	 * that entry's result compared with the value. True: this entry's
	 * result is None and the batch goes on. False: the batch applies
	 * nothing and fails with MGR_EABORTED; this entry's result is the
	 * value it compared (mgr_batch_failed gives its index, the detail
	 * says which comparison failed). Orderings are Python's: numbers
	 * (bool, int, float) among themselves, str with str, bytes with
	 * bytes, lists and tuples item by item; other pairs give MGR_ETYPE
	 * except under EQ and NE, which compare anything (an int is never
	 * equal to a str). The guarded withdraw (etcd's compare-then-write,
	 * in one round trip):
	 *   DICT_GET(acct, "balance", 0); ASSERT(0, MGR_CMP_GE, amount);
	 *   DICT_INCR(acct, "balance", -amount) */
	MGR_OP_ASSERT = 150,
	/* mgr_call on a custom object: arguments (the method as MGR_STR,
	 * then its args, optional); a method that may wait can't be in an
	 * atomic batch, one that writes is undone through its type's save
	 * and load when the batch fails. */
	MGR_OP_CALL = 160,
} mgr_op;

/* The comparison of an MGR_OP_ASSERT. */
typedef enum mgr_cmp {
	MGR_CMP_EQ = 0,
	MGR_CMP_NE = 1,
	MGR_CMP_LT = 2,
	MGR_CMP_LE = 3,
	MGR_CMP_GT = 4,
	MGR_CMP_GE = 5,
} mgr_cmp;

/* A batch of operations on objects of one client, sent together:
 *   mgr_batch_add(b, d, MGR_OP_DICT_SET, (mgr_value[]){k, v}, 2);
 *   ...
 *   mgr_batch_exec(b, false);   // pipelined: one write, replies as they come
 *   mgr_batch_result(b, i, &status, &value);
 * Non-atomic (pipelining, like Redis's): each operation is a request of
 * its own, in order; each succeeds or fails alone; blocking operations
 * may block (each with its timeout). Atomic (like MULTI/EXEC, and all or
 * nothing): the whole batch is one request applied under the manager's
 * lock with nothing interleaved; if an operation fails, the ones before
 * it are undone and the batch's status is that failure. Atomic batches
 * change data types only (dict, list, namespace, scalar, array:
 * MGR_ETYPE otherwise) and read any type (MGR_OP_LOCK_FENCE, _LOCKED,
 * _QUEUE_QSIZE...), but nothing that may block; MGR_OP_ASSERT guards
 * them (a fenced write: LOCK_FENCE, ASSERT EQ my fence, then the write).
 * Each object an atomic batch changes is copied once for the undo, so
 * keep atomic batches to small objects. */
typedef struct mgr_batch mgr_batch;

/* A new empty batch for client c; *b is the caller's (mgr_batch_free). */
MGR_API int mgr_batch_new(mgr_client *c, mgr_batch **b);
/* Appends op on o with nargs arguments. The arguments are encoded at
 * once (copied): they need not outlive the call. MGR_EINVAL for a NULL or
 * foreign proxy (o is NULL for MGR_OP_ASSERT, which is on no object); an
 * op that o's type has not fails at exec (MGR_ETYPE). */
MGR_API int mgr_batch_add(
    mgr_batch *b, mgr_obj *o, mgr_op op, const mgr_value *args, size_t nargs);
/* Appends MGR_OP_ASSERT: entry index's result cmp v, checked when the
 * atomic batch runs. v is copied. MGR_EINVAL when index is not an entry
 * added before this one or cmp is not an mgr_cmp. */
MGR_API int mgr_batch_assert(
    mgr_batch *b, size_t index, mgr_cmp cmp, mgr_value v);
/* The same with a timeout for a blocking operation. */
MGR_API int mgr_batch_add_timeout(mgr_batch *b, mgr_obj *o, mgr_op op,
    const mgr_value *args, size_t nargs, int64_t timeout);
/* The number of operations added since the last reset. */
MGR_API size_t mgr_batch_len(mgr_batch *b);
/* Sends the batch and waits for every reply. Returns 0 when every
 * operation succeeded, else the first failing operation's code (atomic:
 * nothing was applied). Transport errors (MGR_ECONN...) fail them all. */
MGR_API int mgr_batch_exec(mgr_batch *b, bool atomic);
/* Operation i's outcome after exec: *status (may be NULL) its code
 * (atomic and failed: MGR_EABORTED for the operations not applied), *out
 * (may be NULL) its result (a false MGR_OP_ASSERT's: the value it
 * compared, under MGR_EABORTED), moved to the caller (mgr_value_free); a
 * second call gives None. MGR_EINDEX for a bad i. */
MGR_API int mgr_batch_result(
    mgr_batch *b, size_t i, int *status, mgr_value *out);
/* After an exec that failed: *index is the operation that failed it
 * (atomic: the one whose failure undid the batch, e.g. the MGR_OP_ASSERT
 * that was false; pipelined: the first that failed). MGR_ESTATE when the
 * last exec failed none or failed before any reply (transport). */
MGR_API int mgr_batch_failed(mgr_batch *b, size_t *index);
/* Empties the batch for reuse (results not taken are freed). */
MGR_API int mgr_batch_reset(mgr_batch *b);
/* Frees the batch (and results not taken). NULL is ignored. */
MGR_API int mgr_batch_free(mgr_batch *b);

#ifdef __cplusplus
}
#endif

#endif /* MGR_H */
