/* A TCP proxy inside a test: it forwards every connection made to it to a
 * manager's tcp port, byte for byte (so plain tcp, tls+tcp and ws pass
 * through it alike), and on command drops every connection through it, or
 * stops forwarding (a link that went silent). Used by the tests of
 * reconnects: what the client sees is a connection lost, not a manager
 * gone.
 *
 * One thread of its own; every call is bounded. */
#ifndef MGR_TESTS_PROXY_FIXTURE_H
#define MGR_TESTS_PROXY_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct h_proxy h_proxy;

/* Starts a proxy on 127.0.0.1 (a free port) to the host and port of url
 * (tcp://, tls+tcp://, ws://, wss://). 0, or -1. */
int h_proxy_start(h_proxy **p, const char *url);
/* url with its host and port replaced by the proxy's. */
void h_proxy_url(const h_proxy *p, const char *url, char *out, size_t cap);
/* Drops every connection through the proxy now, both sides (with a reset
 * when rst, else a close); returns how many, once they are gone. */
int h_proxy_drop(h_proxy *p, bool rst);
/* Stops (true) or resumes (false) forwarding: connections stay open and
 * silent, as over a link that went down. */
void h_proxy_hold(h_proxy *p, bool hold);
/* Connections accepted so far. */
size_t h_proxy_accepted(h_proxy *p);
/* Waits until n connections in all have been accepted (timeout_ms);
 * whether they were. */
bool h_proxy_await_accepted(h_proxy *p, size_t n, int timeout_ms);
/* Stops the thread and closes everything. */
void h_proxy_stop(h_proxy *p);

#endif
