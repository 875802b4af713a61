/* The server's life: creation, listeners accepting connections, and a
 * shutdown that closes every session and frees every object. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"
#include "wait.h"

struct listener {
	server              *srv;
	nng_stream_listener *l;
	nng_aio             *aio;
	char                 url[256];
	bool                 tcp;
	listener            *next;
};

void sessions_close_all(server *srv);
void store_free_all(server *srv);

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
	srv->key = malloc(opts->keylen);
	if (srv->key == NULL || sv_new_dict(&srv->names) != 0) {
		free(srv->key);
		free(srv);
		return MGR_ENOMEM;
	}
	memcpy(srv->key, opts->key, opts->keylen);
	srv->keylen      = opts->keylen;
	srv->max_message = opts->max_message ? opts->max_message
	                                     : SERVER_DEFAULT_MAX_MESSAGE;
	srv->start_ms     = now_ms();
	srv->gc_threshold = 256;
	pthread_mutex_init(&srv->mtx, NULL);
	pthread_cond_init(&srv->cv, NULL);
	idmap_init(&srv->objects);
	arena_init(&srv->txa);
	if (timers_start(srv) != 0) {
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

static void
peer_name(nng_stream *s, bool tcp, char *buf, size_t cap)
{
	if (tcp) {
		nng_sockaddr sa;
		if (nng_stream_get_addr(s, NNG_OPT_REMADDR, &sa) == 0 &&
		    sa.s_family == NNG_AF_INET) {
			const uint8_t *a = (const uint8_t *) &sa.s_in.sa_addr;
			snprintf(buf, cap, "tcp %u.%u.%u.%u:%u", a[0], a[1], a[2],
			    a[3], ntohs(sa.s_in.sa_port));
			return;
		}
		snprintf(buf, cap, "tcp peer");
		return;
	}
	uint64_t pid = 0, uid = 0;
	nng_stream_get_uint64(s, NNG_OPT_IPC_PEER_PID, &pid);
	nng_stream_get_uint64(s, NNG_OPT_IPC_PEER_UID, &uid);
	snprintf(buf, cap, "ipc pid %llu uid %llu", (unsigned long long) pid,
	    (unsigned long long) uid);
}

static void
accept_cb(void *arg)
{
	listener *l  = arg;
	int       rv = nng_aio_result(l->aio);
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		return;
	}
	if (rv == 0) {
		nng_stream *s = nng_aio_get_output(l->aio, 0);
		char        peer[96];
		if (l->tcp) {
			nng_stream_set_bool(s, NNG_OPT_TCP_NODELAY, true);
			nng_stream_set_bool(s, NNG_OPT_TCP_KEEPALIVE, true);
		}
		peer_name(s, l->tcp, peer, sizeof(peer));
		if ((rv = session_start(l->srv, s, peer)) != 0) {
			mlog(LOG_WARN, "cannot start a session for %s: %s", peer,
			    mgr_strerror(rv));
		}
	} else {
		mlog(LOG_WARN, "accept on %s: %s", l->url, nng_strerror(rv));
	}
	nng_stream_listener_accept(l->l, l->aio);
}

int
server_listen(server *srv, const char *url, char *bound, size_t cap)
{
	listener *l = calloc(1, sizeof(*l));
	int       rv;
	if (l == NULL) {
		return MGR_ENOMEM;
	}
	l->srv = srv;
	l->tcp = strncmp(url, "tcp", 3) == 0;
	if (strncmp(url, "ipc://", 6) != 0 && strncmp(url, "tcp://", 6) != 0 &&
	    strncmp(url, "tcp4://", 7) != 0 && strncmp(url, "tcp6://", 7) != 0) {
		free(l);
		return MGR_EINVAL;
	}
	if ((rv = nng_stream_listener_alloc(&l->l, url)) != 0) {
		free(l);
		return MGR_EINVAL;
	}
	if (!l->tcp) {
		// Only this user may connect to a local manager.
		nng_stream_listener_set_int(l->l, NNG_OPT_IPC_PERMISSIONS, 0600);
	}
	if ((rv = nng_stream_listener_listen(l->l)) != 0 ||
	    (rv = nng_aio_alloc(&l->aio, accept_cb, l)) != 0) {
		mlog(LOG_ERROR, "cannot listen on %s: %s", url, nng_strerror(rv));
		nng_stream_listener_free(l->l);
		free(l);
		return MGR_ECONN;
	}
	snprintf(l->url, sizeof(l->url), "%s", url);
	if (l->tcp) {
		int port = 0;
		nng_stream_listener_get_int(l->l, NNG_OPT_TCP_BOUND_PORT, &port);
		// Replace the port of the URL by the one bound (":0" -> ":N").
		const char *colon = strrchr(url, ':');
		if (colon != NULL && colon > url + 6) {
			snprintf(l->url, sizeof(l->url), "%.*s:%d",
			    (int) (colon - url), url, port);
		}
	}
	if (bound != NULL && cap > 0) {
		snprintf(bound, cap, "%s", l->url);
	}
	pthread_mutex_lock(&srv->mtx);
	l->next        = srv->listeners;
	srv->listeners = l;
	pthread_mutex_unlock(&srv->mtx);
	nng_stream_listener_accept(l->l, l->aio);
	return 0;
}

void
server_free(server *srv)
{
	if (srv == NULL) {
		return;
	}
	// No new connections, then no sessions, then no objects.
	pthread_mutex_lock(&srv->mtx);
	listener *ls   = srv->listeners;
	srv->listeners = NULL;
	pthread_mutex_unlock(&srv->mtx);
	while (ls != NULL) {
		listener *next = ls->next;
		nng_stream_listener_close(ls->l);
		nng_aio_stop(ls->aio);
		nng_aio_free(ls->aio);
		nng_stream_listener_free(ls->l);
		free(ls);
		ls = next;
	}
	sessions_close_all(srv);
	fconn_reap_drain();
	timers_stop(srv);
	pthread_mutex_lock(&srv->mtx);
	sv_free(&srv->names);
	store_free_all(srv);
	pthread_mutex_unlock(&srv->mtx);
	arena_fini(&srv->txa);
	pthread_mutex_destroy(&srv->mtx);
	pthread_cond_destroy(&srv->cv);
	free(srv->key);
	free(srv);
}
