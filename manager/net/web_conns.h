/* The connections of an HTTP port: counted, each with a request deadline,
 * and room made by the network that holds the most. */
#ifndef MGR_MANAGER_NET_WEB_CONNS_H
#define MGR_MANAGER_NET_WEB_CONNS_H

#include <stddef.h>

#include "conn.h"

typedef struct web_conns web_conns;

/* A port's set, holding at most *max at once, each connection's first
 * request due within *timeout_ms (the server's limits, read as each
 * connection comes). MGR_ENOMEM. */
int web_conns_new(
    web_conns **out, const size_t *max, const size_t *timeout_ms);
/* Takes c (an HTTP connection of the port, from peer; owned from here
 * on), started here with its first request's deadline. When the port
 * holds its most, the oldest of the network that holds the most (the
 * newcomer's, on a tie) is closed first. */
void web_conns_add(web_conns *wc, fconn *c, const char *peer);
/* Closes every connection, waits for their ends (their loops must run),
 * and frees wc (NULL: nothing). */
void web_conns_free(web_conns *wc);

#endif
