/* The server's face for managerd and the web endpoints: making one, its
 * listeners and TLS identity, its lock, and the end. What it is made of,
 * and what its files share, is server_state.h's (core/ only). */
#ifndef MGR_MANAGER_CORE_SERVER_H
#define MGR_MANAGER_CORE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "server_limits.h"
#include "tls_identity.h"
#include "xport.h"

typedef struct server server;

typedef struct server_opts {
	const void   *key; /* required, non-empty */
	size_t        keylen;
	server_limits lim; /* limits.h; 0: the default */
	/* OP_SHUTDOWN (managerctl shutdown) writes an eventfd count to
	 * stop_fd, which the owner waits on; refused unless set. */
	bool stop_on_request;
	int  stop_fd;
	/* --ws-origin: the Origins a WebSocket upgrade may carry, comma-
	 * separated ("*": any); NULL: only upgrades that carry none
	 * (programs, not web pages). Copied; at most WS_ORIGINS_MAX - 1
	 * bytes. */
	const char *ws_origins;
} server_opts;

#define WS_ORIGINS_MAX 1024

int server_new(server **srvp, const server_opts *opts);
/* The server lock (srv->mtx), held while a request is applied in memory
 * and never across a system call: server_unlock writes the log lines and
 * the replies (conn.h's rule) the thread queued under it. Everyone takes
 * it through these, never through srv->mtx. */
void server_lock(server *srv);
/* server_lock, saying what will hold it (a literal), for the figure of
 * the longest hold (mgr_info's lock_hold_max_us and lock_hold_max_op);
 * server_lock_holder changes it while held (the request being applied).
 */
void server_lock_as(server *srv, const char *what);
void server_lock_holder(server *srv, const char *what);
void server_unlock(server *srv);
/* Waits on cv (until: an absolute time on cv's clock, or NULL), the lock
 * dropped meanwhile as pthread_cond_timedwait does; the wait is not
 * counted as a hold. */
struct timespec;
void server_wait(
    server *srv, pthread_cond_t *cv, const struct timespec *until);

/* An operator's actions (the dashboard's buttons), applied as the manager
 * itself through the same handlers as a client's request; each takes the
 * server lock. 0, or an MGR_E* code with its detail in err (cap bytes).
 * server_purge_queue: drops queue id's waiting items (MGR_OP_QUEUE_PURGE:
 * items in progress stay theirs), their number in *dropped; MGR_ENOOBJ,
 * MGR_ETYPE (not a queue). server_name_del: unbinds name (borrowed);
 * MGR_EKEY when it is not bound. */
int server_purge_queue(
    server *srv, uint64_t id, size_t *dropped, char *err, size_t cap);
int server_name_del(server *srv, const char *name, char *err, size_t cap);
/* Listens on url (ipc://, tcp://, tls+tcp://, ws://, wss://, served by
 * the epoll loops). The URL actually bound (a tcp port 0 resolved) goes
 * to bound (cap bytes), or on failure why not. MGR_EINVAL for a bad URL,
 * MGR_ECONN when it can't bind (in use, no permission). */
int server_listen(server *srv, const char *url, char *bound, size_t cap);
/* The same through nng's stream layer (--listen-nng), for any of those
 * schemes. */
int server_listen_nng(server *srv, const char *url, char *bound, size_t cap);
/* The certificate (and CAs for client certificates) of the tls+tcp://
 * and wss:// listeners; before they listen. MGR_EINVAL with why. */
int server_set_tls(server *srv, const char *cert_file, const char *key_file,
    const char *ca_file, bool verify_peer, char *why, size_t whycap);
/* --data-dir, --fsync (no, everysec, always) and --snapshot-after: the
 * state dir holds is loaded into srv, which keeps logging to it from here
 * on (a snapshot made each time the log passes snapshot_after bytes; 0:
 * when asked; snapshot_args, NULL-terminated or NULL, are given to the
 * process that makes it: managerd's --load-module options); before any
 * listener. 0, or MGR_E* with why (a damaged log
 * names its file and offset; MGR_EINVAL: fsync is none of the three). */
int server_open_data_dir(server *srv, const char *dir, const char *fsync,
    uint64_t snapshot_after, const char *const *snapshot_args, char *why,
    size_t whycap);
/* managerd --snapshot-to: srv, serving nobody, writes the snapshot of
 * dir's records up to lsn (journal_make_snapshot). 0 or MGR_E* with why;
 * the process is to exit after it. */
int server_make_snapshot(
    server *srv, const char *dir, uint64_t lsn, char *why, size_t whycap);
/* managerd --check: dir's log read and verified, a summary on out; 0 or
 * MGR_E* with why. */
int server_check_data_dir(
    const char *dir, FILE *out, char *why, size_t whycap);
/* Stops listening, closes every session, frees every object and srv. */
void server_free(server *srv);
/* A reload (SIGHUP): the limits in lim (0: the default) a running
 * server takes from now on, each change logged ("--max-items 10 -> 20");
 * a change it cannot take (--max-message, --io-threads) is logged as
 * needing a restart. How many changed. */
int server_reload_limits(server *srv, const server_limits *lim);
/* A reload: the TLS files read again (server_set_tls's arguments); 0
 * with what happened in why, or an error with why (nothing changed). */
int server_reload_tls(server *srv, const char *cert_file,
    const char *key_file, const char *ca_file, bool verify_peer, char *why,
    size_t whycap);
/* A web endpoint on url (http://host:port/path or https://...; port 0:
 * any free one), its requests answered by serve(arg, ...) on the loops'
 * threads, within the server's limits on HTTP connections (--max-http-
 * connections, --http-timeout). *lp is the caller's (listener_stop, before
 * srv is freed); bound gets the URL bound, or on failure why not.
 * MGR_EINVAL, MGR_ECONN, MGR_ENOMEM. */
struct listener;
int server_web_listen(server *srv, const char *url, web_serve_fn serve,
    void *arg, struct listener **lp, char *bound, size_t cap);
/* The TLS identity (server_set_tls), or NULL: for https:// endpoints. */
tls_identity *server_tls(server *srv);
/* Measures the memory figures if the last measure is older than 10 ms
 * (allocated) or 1 s (resident set): a request's thread calls it before
 * it takes the server lock, since measuring may read /proc. */
void server_memory_sample(server *srv);
/* For a process that is a manager and nothing else (managerd): freed
 * blocks stay for reuse instead of going back to the system at once,
 * and server_memory_decay gives back what stays idle. Call before any
 * thread starts. */
void server_memory_keep_freed(void);
/* Gives back freed memory beyond 64 MiB (the allocator's count) when
 * keep_freed was asked for; outside the server lock (the timer thread,
 * once a second). */
void server_memory_decay(server *srv);

#endif
