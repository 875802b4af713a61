/* The wire spoken by hand on a raw socket (harness_wire.c), with cmocka
 * assertions: for tests that link libmgr's internals (mgr_internal). */
#ifndef MGR_TESTS_HARNESS_WIRE_H
#define MGR_TESTS_HARNESS_WIRE_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "harness.h"
#include "manager.pb-c.h"

/* The bound of every wait here (ms). */
#define H_WIRE_MS 5000

/* Sends m as one frame: 0, or -1. */
int h_wire_send(int fd, const ProtobufCMessage *m);
/* Reads the manager's Hello; its nonce goes to nonce. */
void h_wire_hello(int fd, uint8_t nonce[AUTH_NONCE_LEN]);
/* The whole handshake with key: the Welcome's status, after checking the
 * manager's proof when it is 0 (and its session id to *session, when not
 * NULL). */
int h_wire_auth(int fd, const void *key, size_t keylen, uint64_t *session);
/* Whether m speaks the wire on a plain socket (ipc or tcp, either engine),
 * so that raw connections can reach it (not through TLS or WebSocket). */
bool h_wire_plain(const h_managerd *m);
/* A raw connection to m, authenticated with m's key. */
int h_wire_session(const h_managerd *m, uint64_t *session);
/* Sends rq and reads its reply (the caller frees it). */
Mgr__Reply *h_wire_call(int fd, const Mgr__Request *rq);
/* A ping round trip must work on fd. */
void h_wire_ping(int fd, uint64_t id);

#endif
