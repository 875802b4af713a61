/* The server's life: creation, listeners accepting connections, and a
 * shutdown that closes every session and frees every object. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "names.h"
#include "server_state.h"
#include "timer.h"
#include "wait.h"
#include "wal.h"

struct server_listener {
	server          *srv;
	listener        *l;
	server_listener *next;
};

void
limits_apply_defaults(server_limits *lim)
{
#define DEFAULT_(field, opt, kind, dflt, lo, hi, help)                       \
	if (lim->field == 0) {                                               \
		lim->field = (dflt);                                         \
	}
	SERVER_LIMITS(DEFAULT_)
#undef DEFAULT_
}

int
server_new(server **srvp, const server_opts *opts)
{
	if (opts == NULL || opts->key == NULL || opts->keylen == 0) {
		return MGR_EINVAL;
	}
	server *srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		return MGR_ENOMEM;
	}
	sv_set_ref_hooks(&store_ref_hooks);
	srv->key = malloc(opts->keylen);
	if (srv->key == NULL || sv_new_dict(&srv->names) != 0) {
		free(srv->key);
		free(srv);
		return MGR_ENOMEM;
	}
	memcpy(srv->key, opts->key, opts->keylen);
	if (auth_random(srv->secret_key, sizeof(srv->secret_key)) != 0) {
		free(srv->key);
		sv_free(&srv->names);
		free(srv);
		return MGR_EINTERNAL;
	}
	srv->keylen          = opts->keylen;
	srv->stop_on_request = opts->stop_on_request;
	srv->stop_fd         = opts->stop_fd;
	snprintf(srv->ws_origins, sizeof(srv->ws_origins), "%s",
	    opts->ws_origins != NULL ? opts->ws_origins : "");
	srv->lim = opts->lim;
	limits_apply_defaults(&srv->lim);
	fconn_set_reply_limits(
	    srv->lim.max_pending_conn, srv->lim.max_pending_total);
	srv->start_ms = (uint64_t) clock_ms();
	srv->pid      = (long) getpid();
	server_memory_sample(srv);
	srv->gc_threshold = 256;
	pthread_mutex_init(&srv->mtx, NULL);
	pthread_cond_init(&srv->cv, NULL);
	idmap_init(&srv->objects);
	arena_init(&srv->txa);
	if (evgroup_new(&srv->loops, (int) srv->lim.io_threads) != 0) {
		srv->loops = NULL;
	}
	if (srv->loops == NULL || timer_start(srv) != 0) {
		evgroup_free(srv->loops);
		sv_free(&srv->names);
		pthread_mutex_destroy(&srv->mtx);
		pthread_cond_destroy(&srv->cv);
		free(srv->key);
		free(srv);
		return MGR_ENOMEM;
	}
	*srvp = srv;
	return 0;
}

int
server_open_data_dir(server *srv, const char *dir, const char *fsync,
    uint64_t snapshot_after, const char *const *snapshot_args, char *why,
    size_t whycap)
{
	wal_fsync f;
	if (fsync == NULL || strcmp(fsync, "everysec") == 0) {
		f = WAL_FSYNC_EVERYSEC;
	} else if (strcmp(fsync, "always") == 0) {
		f = WAL_FSYNC_ALWAYS;
	} else if (strcmp(fsync, "no") == 0) {
		f = WAL_FSYNC_NO;
	} else {
		snprintf(
		    why, whycap, "--fsync %s: always, everysec or no", fsync);
		return MGR_EINVAL;
	}
	return journal_open(
	    srv, dir, f, snapshot_after, snapshot_args, why, whycap);
}

int
server_make_snapshot(
    server *srv, const char *dir, uint64_t lsn, char *why, size_t whycap)
{
	return journal_make_snapshot(srv, dir, lsn, why, whycap);
}

int
server_check_data_dir(const char *dir, FILE *out, char *why, size_t whycap)
{
	return journal_check(dir, out, why, whycap);
}

static void
on_accept(void *arg, fconn *fc, const char *peer)
{
	server_listener *l  = arg;
	int              rv = session_start(l->srv, fc, peer);
	if (rv != 0) {
		log_msg(LOG_WARN, "cannot start a session for %s: %s", peer,
		    mgr_strerror(rv));
	}
}

int
server_set_tls(server *srv, const char *cert_file, const char *key_file,
    const char *ca_file, bool verify_peer, char *why, size_t whycap)
{
	tls_identity *t;
	int           rv = tls_identity_new(
	              &t, cert_file, key_file, ca_file, verify_peer, why, whycap);
	if (rv == 0) {
		tls_identity_free(srv->tls);
		srv->tls = t;
	}
	return rv;
}

int
server_reload_limits(server *srv, const server_limits *lim)
{
	server_limits want       = *lim;
	int           n          = 0;
	char          took[1024] = "", kept[512] = "";
	size_t        tl = 0, kl = 0;
	limits_apply_defaults(&want);
	server_lock(srv);
	// Under the lock for the readers under it; atomic for those outside
	// it (LIMIT_READ). Said once the lock is dropped.
#define RELOAD_LIMIT_(field, opt, kind, dflt, lo, hi, help)                  \
	if (want.field != srv->lim.field && LIMIT_RELOADABLE(field)) {       \
		tl += (size_t) snprintf(took + tl,                           \
		    tl < sizeof(took) ? sizeof(took) - tl : 0,               \
		    " --%s %zu -> %zu", opt, srv->lim.field, want.field);    \
		tl = tl < sizeof(took) ? tl : sizeof(took);                  \
		__atomic_store_n(                                            \
		    &srv->lim.field, want.field, __ATOMIC_RELAXED);          \
		n++;                                                         \
	} else if (want.field != srv->lim.field) {                           \
		kl += (size_t) snprintf(kept + kl,                           \
		    kl < sizeof(kept) ? sizeof(kept) - kl : 0,               \
		    " --%s (%zu, asked %zu)", opt, srv->lim.field,           \
		    want.field);                                             \
		kl = kl < sizeof(kept) ? kl : sizeof(kept);                  \
	}
	SERVER_LIMITS(RELOAD_LIMIT_)
#undef RELOAD_LIMIT_
	server_unlock(srv);
	fconn_set_reply_limits(want.max_pending_conn, want.max_pending_total);
	if (n > 0) {
		log_msg(LOG_WARN, "reload: limits changed:%s", took);
	}
	if (kl > 0) {
		log_msg(LOG_WARN, "reload: kept until a restart:%s", kept);
	}
	return n;
}

int
server_reload_tls(server *srv, const char *cert_file, const char *key_file,
    const char *ca_file, bool verify_peer, char *why, size_t whycap)
{
	if (srv->tls == NULL) {
		snprintf(why, whycap,
		    "TLS was not on at start: a restart turns it on");
		return MGR_EINVAL;
	}
	return tls_identity_reload(
	    srv->tls, cert_file, key_file, ca_file, verify_peer, why, whycap);
}

static int
listen_on(server *srv, const char *url, bool nng, char *bound, size_t cap)
{
	server_listener *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return MGR_ENOMEM;
	}
	l->srv        = srv;
	listen_opts o = { .loops = srv->loops,
		.max_message     = srv->lim.max_message,
		.tls             = srv->tls,
		.nng             = nng,
		.ws_origins      = srv->ws_origins,
		.tls_per_net     = &srv->lim.max_tls_net };
	int rv = listener_start(&l->l, url, &o, on_accept, l, bound, cap);
	if (rv != 0) {
		log_msg(LOG_ERROR, "cannot listen on %s: %s", url, bound);
		free(l);
		return rv;
	}
	server_lock(srv);
	l->next        = srv->listeners;
	srv->listeners = l;
	server_unlock(srv);
	return 0;
}

int
server_web_listen(server *srv, const char *url, web_serve_fn serve, void *arg,
    listener **lp, char *bound, size_t cap)
{
	listen_opts o = { .loops = srv->loops,
		.max_message     = srv->lim.max_message,
		.tls             = srv->tls,
		.tls_per_net     = &srv->lim.max_tls_net,
		.serve           = serve,
		.serve_arg       = arg,
		.http_timeout_ms = &srv->lim.http_ms,
		.max_http        = &srv->lim.max_http };
	return listener_start(lp, url, &o, NULL, NULL, bound, cap);
}

tls_identity *
server_tls(server *srv)
{
	return srv->tls;
}

int
server_listen(server *srv, const char *url, char *bound, size_t cap)
{
	return listen_on(srv, url, false, bound, cap);
}

int
server_listen_nng(server *srv, const char *url, char *bound, size_t cap)
{
	return listen_on(srv, url, true, bound, cap);
}

void
server_free(server *srv)
{
	if (srv == NULL) {
		return;
	}
	// No new connections, then no sessions, then no objects.
	server_lock(srv);
	server_listener *ls = srv->listeners;
	srv->listeners      = NULL;
	server_unlock(srv);
	while (ls != NULL) {
		server_listener *next = ls->next;
		listener_stop(ls->l);
		free(ls);
		ls = next;
	}
	journal_quiesce(srv);
	sessions_close_all(srv);
	// Joining the loops also waits for connections still being freed.
	evgroup_free(srv->loops);
	tls_identity_free(srv->tls);
	timer_stop(srv);
	journal_close(srv);
	server_lock(srv);
	names_free(srv);
	store_free_all(srv);
	server_unlock(srv);
	arena_fini(&srv->txa);
	pthread_mutex_destroy(&srv->mtx);
	pthread_cond_destroy(&srv->cv);
	free(srv->key);
	free(srv);
}
