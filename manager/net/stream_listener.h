/* Listening through nng's stream layer: ws:// and wss:// always, and
 * ipc://, tcp:// or tls+tcp:// when asked for (--listen-nng). */
#ifndef MGR_MANAGER_NET_STREAM_LISTENER_H
#define MGR_MANAGER_NET_STREAM_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "tls_identity.h"

typedef struct stream_listener stream_listener;

/* Listens on url (tls+tcp://, wss:// need tls); each accepted connection
 * (on the nng transport, its deadline on one of loops, frames up to
 * max_message) is handed to on_accept with a peer name for logs
 * ("tls+tcp 10.0.0.2:40112"); on_accept owns it. A WebSocket upgrade that
 * carries an Origin not in origins (comma-separated, "*" any, copied) is
 * closed with a log line: a web page can't reach the handshake. bound
 * gets the URL bound (port 0 replaced), or on failure the reason.
 * MGR_EINVAL (bad URL, TLS missing), MGR_ECONN (address in use),
 * MGR_ENOMEM. */
int stream_listen(stream_listener **lp, const char *url, tls_identity *tls,
    evgroup *loops, size_t max_message, const char *origins,
    void (*on_accept)(void *arg, fconn *c, const char *peer), void *arg,
    char *bound, size_t cap);
/* Stops accepting (no on_accept runs after it returns) and frees l. */
void stream_unlisten(stream_listener *l);

#endif
