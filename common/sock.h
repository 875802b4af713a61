/* Sockets for ipc:// and tcp:// URLs, used by both sides.
 *
 * ipc://PATH is a unix stream socket at PATH; tcp://HOST:PORT (tcp4://,
 * tcp6:// to force a family) a TCP connection with Nagle off and
 * keepalive on. An empty HOST or "*" listens on every address; "[::1]"
 * is an IPv6 literal. Every descriptor made here is close-on-exec, so
 * children started by exec inherit none. */
#ifndef MGR_COMMON_SOCK_H
#define MGR_COMMON_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What follows "scheme://" in url, or NULL when url has another scheme:
 * the one test of a URL's scheme, for every side and transport. */
const char *url_after_scheme(const char *url, const char *scheme);

/* A listening socket, non-blocking. *bound gets the URL actually bound
 * (tcp port 0 replaced by the port chosen). An ipc socket is made 0600
 * (only this user may connect) and a stale socket file left by a dead
 * manager is replaced; a live one gives MGR_ECONN (address in use).
 * MGR_EINVAL for a URL of another scheme or a malformed one; errmsg (may
 * be NULL) gets a reason. */
int sock_listen(const char *url, int *fd, char *bound, size_t cap,
    char *errmsg, size_t errcap);

/* Closes a listening socket; for ipc, removes its file (url as given to
 * sock_listen). */
void sock_unlisten(int fd, const char *url);

/* Connects to url within timeout_ms (> 0) and returns a blocking socket.
 * MGR_EINVAL (bad URL), MGR_ECONN (refused, unreachable, timed out), with
 * the reason in errmsg. */
int sock_dial(const char *url, int64_t timeout_ms, int *fd, char *errmsg,
    size_t errcap);

/* Sets TCP_NODELAY and SO_KEEPALIVE on a TCP socket (no-op on unix). */
void sock_tune(int fd);

/* "ipc pid P uid U" or "tcp A:P": who is on the other end, for logs. */
void sock_peer_name(int fd, char *buf, size_t cap);

#endif
