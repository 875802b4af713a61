/* The manager's limits and sizes, the one list of them (as Redis keeps its
 * configuration in one static_configs[] table): each one's field, the
 * managerd option that sets it, its kind, default, range and what it
 * bounds. server_opts carries them (0: the default), the server keeps
 * them (srv->lim), and managerd makes its options, their checks and its
 * --help from the list. A new limit is one line here and its use. */
#ifndef MGR_MANAGER_CORE_SERVER_LIMITS_H
#define MGR_MANAGER_CORE_SERVER_LIMITS_H

#include <stddef.h>

/* How an option gives a limit: a count, a size in bytes (with k, m, g:
 * powers of 1024), or milliseconds. */
enum limit_kind { LIMIT_COUNT, LIMIT_BYTES, LIMIT_MS };

/* X(field, option, kind, default, min, max, help) */
#define SERVER_LIMITS(X)                                                     \
	X(max_message, "max-message", LIMIT_BYTES, (size_t) 64 << 20, 1024,  \
	    1ll << 31, "largest frame, in bytes")                            \
	X(max_connections, "max-connections", LIMIT_COUNT, 1000, 1, 1 << 20, \
	    "connections at once (by default the descriptor limit, raised "  \
	    "to its hard limit, less 64)")                                   \
	X(max_handshakes, "max-handshakes", LIMIT_COUNT, 128, 1, 1 << 20,    \
	    "of them not yet authenticated; the oldest is closed to make "   \
	    "room")                                                          \
	X(max_handshakes_peer, "max-handshakes-per-peer", LIMIT_COUNT, 32,   \
	    1, 1 << 20, "... from one host (IPv6: a /64) or user")           \
	X(max_tls_net, "max-tls-handshakes-per-net", LIMIT_COUNT, 100, 1,    \
	    1 << 20,                                                         \
	    "tls+tcp connections a second from one network (an IPv4 /24, "   \
	    "an IPv6 /64), twice that at once: over it one is closed "       \
	    "before its handshake (a full one costs the manager about 6 ms " \
	    "of CPU)")                                                       \
	X(handshake_ms, "handshake-timeout", LIMIT_MS, 5000, 100, 600000,    \
	    "to authenticate after connecting, in ms (a TLS handshake and "  \
	    "a WebSocket upgrade included)")                                 \
	X(max_http, "max-http-connections", LIMIT_COUNT, 64, 1, 1 << 20,     \
	    "connections to --http, and to --metrics, each at once: over "   \
	    "it the oldest of the network holding the most is closed")       \
	X(http_ms, "http-timeout", LIMIT_MS, 10000, 100, 600000,             \
	    "for an HTTP request to arrive whole, in ms, from the "          \
	    "connection or the last answer")                                 \
	X(min_lease_ms, "min-lease", LIMIT_MS, 1000, 100, 1ll << 31,         \
	    "the shortest lease a client may have, in ms (a shorter one "    \
	    "asked for is raised to it)")                                    \
	X(max_lease_ms, "max-lease", LIMIT_MS, 600000, 100, 1ll << 31,       \
	    "the longest lease a client may have, in ms: a session not "     \
	    "heard from that long ends, its locks and permits released")     \
	X(max_request_items, "max-request-items", LIMIT_COUNT,               \
	    (size_t) 2 << 20, 16, 1ll << 30, "values nested in one request") \
	X(max_objects, "max-objects", LIMIT_COUNT, (size_t) 4 << 20, 1,      \
	    1ll << 40, "live objects")                                       \
	X(max_objects_session, "max-objects-per-session", LIMIT_COUNT,       \
	    (size_t) 1 << 20, 1, 1ll << 40,                                  \
	    "objects one session refers to, and those it made that live")    \
	X(max_waiters_session, "max-waiters-per-session", LIMIT_COUNT,       \
	    100000, 1, 1ll << 40, "requests one session has waiting")        \
	X(max_op_elements, "max-op-elements", LIMIT_COUNT, 16384, 16,        \
	    1ll << 40,                                                       \
	    "values one request may carry, read, copy or sort while it "     \
	    "holds the manager (its arguments; a dict's items, a list's "    \
	    "sort or copy, a slice, nested values counted; a search or a "   \
	    "move of a list's or queue's items, at its cost; an atomic "     \
	    "batch's undo copies and list work): over it, MGR_ETOOBIG")      \
	X(max_items, "max-items", LIMIT_COUNT, (size_t) 16 << 20, 1,         \
	    1ll << 40, "elements of one dict, list, namespace or queue")     \
	X(max_memory, "max-memory", LIMIT_BYTES, 0, 1, 1ll << 62,            \
	    "bytes the manager may hold (512m, 2g): over it, what would "    \
	    "add more is refused (MGR_ETOOBIG); reads and deletes go on "    \
	    "(no limit by default)")                                         \
	X(max_pending_conn, "max-pending-per-connection", LIMIT_BYTES,       \
	    (size_t) 128 << 20, 1, 1ll << 40,                                \
	    "replies a client has not read: over it, its connection is "     \
	    "closed")                                                        \
	X(max_pending_total, "max-pending-total", LIMIT_BYTES,               \
	    (size_t) 512 << 20, 1, 1ll << 40,                                \
	    "... of all clients: over it, those with replies waiting are "   \
	    "not read")                                                      \
	X(max_reply_record, "max-reply-record", LIMIT_BYTES,                 \
	    (size_t) 64 << 20, 4096, 1ll << 40,                              \
	    "replies a reconnecting client has not acknowledged (kept for "  \
	    "its retries): over it, its session ends")                       \
	X(io_threads, "io-threads", LIMIT_COUNT, 2, 1, 64,                   \
	    "event loop threads")

typedef struct server_limits {
#define SERVER_LIMIT_FIELD_(field, opt, kind, dflt, lo, hi, help)            \
	size_t field;
	SERVER_LIMITS(SERVER_LIMIT_FIELD_)
#undef SERVER_LIMIT_FIELD_
} server_limits;

/* lim with every 0 replaced by its default. */
void limits_apply_defaults(server_limits *lim);

/* A limit a reload (SIGHUP) may change, read outside the server lock:
 * loaded atomically, as server_reload_limits stores it. */
#define LIMIT_READ(srv, field)                                               \
	__atomic_load_n(&(srv)->lim.field, __ATOMIC_RELAXED)

/* Whether a running server takes a new value of the limit (all but the
 * frame size, which clients learn at their handshake, and the loops'
 * count). */
#define LIMIT_RELOADABLE(field)                                              \
	(strcmp(#field, "max_message") != 0                                  \
	    && strcmp(#field, "io_threads") != 0)

#endif
