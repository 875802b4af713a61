/* The nng engine's listeners: an nng_stream_listener for a tls+tcp://,
 * ws://, wss:// (or, asked for, ipc:// or tcp://) URL, and the TLS
 * configuration its secure schemes use. */
#ifndef MGR_MANAGER_NET_STREAM_LISTENER_H
#define MGR_MANAGER_NET_STREAM_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"

typedef struct stream_listener stream_listener;
typedef struct stream_tls      stream_tls;

/* The server's TLS identity: certificate chain and key (PEM files), and
 * with ca_file the CAs a client certificate must chain to; verify_peer
 * refuses clients without one. MGR_EINVAL with the reason in why (an
 * unreadable file, a certificate and key that do not match). */
int  stream_tls_new(stream_tls **tp, const char *cert_file,
     const char *key_file, const char *ca_file, bool verify_peer, char *why,
     size_t whycap);
void stream_tls_free(stream_tls *t);
/* The nng configuration of t (for nng's HTTP server: https://). */
struct nng_tls_config *stream_tls_config(stream_tls *t);

/* Whether url's scheme can only be served by the nng engine. */
bool stream_url_needs_nng(const char *url);

/* Listens on url (tls+tcp://, wss:// need tls); each accepted
 * connection becomes an fconn of the nng engine (fconn_new_stream) with
 * the frame limit max_message, handed to on_accept with a peer name for
 * logs ("tls+tcp 10.0.0.2:40112"); on_accept owns it. bound gets the URL
 * bound (port 0 replaced), or on failure the reason. MGR_EINVAL (bad URL,
 * TLS missing), MGR_ECONN (address in use), MGR_ENOMEM. */
int stream_listen(stream_listener **lp, const char *url, stream_tls *tls,
    size_t max_message,
    void (*on_accept)(void *arg, fconn *c, const char *peer), void *arg,
    char *bound, size_t cap);
/* Stops accepting (no on_accept runs after it returns) and frees l. */
void stream_unlisten(stream_listener *l);

#endif
