/* The server's life: creation, listeners accepting connections, and a
 * shutdown that closes every session and frees every object. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acceptor.h"
#include "auth.h"
#include "clock.h"
#include "log.h"
#include "server.h"
#include "sock.h"
#include "stream_listener.h"
#include "wait.h"

struct listener {
	server          *srv;
	acceptor        *acc; /* the direct engine's, or */
	stream_listener *sl;  /* the nng engine's */
	listener        *next;
};

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
	if (auth_random(srv->secret_key, sizeof(srv->secret_key)) != 0) {
		free(srv->key);
		sv_free(&srv->names);
		free(srv);
		return MGR_EINTERNAL;
	}
	srv->keylen          = opts->keylen;
	srv->stop_on_request = opts->stop_on_request;
	srv->stop_fd         = opts->stop_fd;
	srv->max_message     = opts->max_message ? opts->max_message
	                                         : SERVER_DEFAULT_MAX_MESSAGE;
	srv->max_connections = opts->max_connections ? opts->max_connections
	                                             : SERVER_MAX_CONNECTIONS;
	srv->max_handshakes  = opts->max_handshakes ? opts->max_handshakes
	                                            : SERVER_MAX_HANDSHAKES;
	srv->max_handshakes_peer = opts->max_handshakes_peer
	    ? opts->max_handshakes_peer
	    : SERVER_MAX_HANDSHAKES_PEER;
	srv->handshake_ms        = opts->handshake_ms > 0 ? opts->handshake_ms
	                                                  : SERVER_HANDSHAKE_MS;
	srv->max_request_items   = opts->max_request_items
	      ? opts->max_request_items
	      : SERVER_MAX_REQUEST_ITEMS;
	srv->max_objects
	    = opts->max_objects ? opts->max_objects : SERVER_MAX_OBJECTS;
	srv->max_objects_session = opts->max_objects_session
	    ? opts->max_objects_session
	    : SERVER_MAX_OBJECTS_SESSION;
	srv->max_waiters_session = opts->max_waiters_session
	    ? opts->max_waiters_session
	    : SERVER_MAX_WAITERS_SESSION;
	srv->max_items = opts->max_items ? opts->max_items : SERVER_MAX_ITEMS;
	srv->max_memory = opts->max_memory;
	fconn_set_reply_limits(
	    opts->max_pending_conn, opts->max_pending_total);
	srv->idle_ms      = opts->idle_ms > 0 ? opts->idle_ms : 0;
	srv->start_ms     = (uint64_t) clock_ms();
	srv->gc_threshold = 256;
	pthread_mutex_init(&srv->mtx, NULL);
	pthread_cond_init(&srv->cv, NULL);
	idmap_init(&srv->objects);
	arena_init(&srv->txa);
	if (evgroup_new(&srv->loops,
	        opts->io_threads > 0 ? opts->io_threads : SERVER_IO_THREADS)
	    != 0) {
		srv->loops = NULL;
	}
	if (srv->loops == NULL || wait_timers_start(srv) != 0) {
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

static void
on_accept(void *arg, int fd)
{
	listener *l = arg;
	char      peer[96];
	sock_tune(fd);
	sock_peer_name(fd, peer, sizeof(peer));
	fconn *fc;
	int    rv
	    = fconn_new_socket(&fc, l->srv->loops, fd, l->srv->max_message);
	if (rv == 0) {
		rv = session_start(l->srv, fc, peer);
	}
	if (rv != 0) {
		log_msg(LOG_WARN, "cannot start a session for %s: %s", peer,
		    mgr_strerror(rv));
	}
}

static void
on_accept_stream(void *arg, fconn *fc, const char *peer)
{
	listener *l  = arg;
	int       rv = session_start(l->srv, fc, peer);
	if (rv != 0) {
		log_msg(LOG_WARN, "cannot start a session for %s: %s", peer,
		    mgr_strerror(rv));
	}
}

static void
add_listener(server *srv, listener *l)
{
	pthread_mutex_lock(&srv->mtx);
	l->next        = srv->listeners;
	srv->listeners = l;
	pthread_mutex_unlock(&srv->mtx);
}

int
server_set_tls(server *srv, const char *cert_file, const char *key_file,
    const char *ca_file, bool verify_peer, char *why, size_t whycap)
{
	stream_tls *t;
	int         rv = stream_tls_new(
	            &t, cert_file, key_file, ca_file, verify_peer, why, whycap);
	if (rv == 0) {
		stream_tls_free(srv->tls);
		srv->tls = t;
	}
	return rv;
}

int
server_listen_nng(server *srv, const char *url, char *bound, size_t cap)
{
	listener *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return MGR_ENOMEM;
	}
	l->srv = srv;
	int rv = stream_listen(&l->sl, url, srv->tls, srv->max_message,
	    on_accept_stream, l, bound, cap);
	if (rv != 0) {
		log_msg(LOG_ERROR, "cannot listen on %s: %s", url, bound);
		free(l);
		return rv;
	}
	add_listener(srv, l);
	return 0;
}

int
server_listen(server *srv, const char *url, char *bound, size_t cap)
{
	if (stream_url_needs_nng(url)) {
		return server_listen_nng(srv, url, bound, cap);
	}
	listener *l        = calloc(1, sizeof(*l));
	char      why[256] = "";
	int       fd, rv;
	if (l == NULL) {
		return MGR_ENOMEM;
	}
	l->srv = srv;
	if ((rv = sock_listen(url, &fd, bound, cap, why, sizeof(why))) != 0) {
		log_msg(LOG_ERROR, "cannot listen on %s: %s", url, why);
		snprintf(bound, cap, "%s", why);
		free(l);
		return rv;
	}
	if ((rv = acceptor_start(&l->acc, fd, url, on_accept, l)) != 0) {
		free(l);
		return rv;
	}
	add_listener(srv, l);
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
		if (ls->acc != NULL) {
			acceptor_stop(ls->acc);
		} else {
			stream_unlisten(ls->sl);
		}
		free(ls);
		ls = next;
	}
	sessions_close_all(srv);
	// Joining the loops also waits for connections still being freed.
	evgroup_free(srv->loops);
	stream_tls_free(srv->tls);
	wait_timers_stop(srv);
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
