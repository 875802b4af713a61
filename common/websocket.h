/* WebSocket's facts (RFC 6455), one place for both ends: libmgr's client
 * (proxy/transport_ws.c) and the manager's web ports
 * (manager/net/xport_ws.c). */
#ifndef MGR_COMMON_WEBSOCKET_H
#define MGR_COMMON_WEBSOCKET_H

#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
	WS_OP_CONT   = 0,
	WS_OP_TEXT   = 1,
	WS_OP_BINARY = 2,
	WS_OP_CLOSE  = 8,
	WS_OP_PING   = 9,
	WS_OP_PONG   = 10
};

#define WS_KEY_LEN    24 /* a Sec-WebSocket-Key: base64 of 16 bytes */
#define WS_ACCEPT_LEN 28 /* a Sec-WebSocket-Accept: base64 of a SHA-1 */
#define WS_HEAD_MAX   14 /* the longest head of a frame */

/* The Sec-WebSocket-Accept that answers key (WS_KEY_LEN characters):
 * base64(SHA-1(key + the RFC's GUID)), NUL-terminated into out. */
void ws_accept_of(const char *key, char out[WS_ACCEPT_LEN + 1]);
/* The head of a final frame of opcode op and an n-byte payload into h
 * (WS_HEAD_MAX bytes), masked with mask unless NULL (a client masks, a
 * server never does): its length. */
size_t ws_head(uint8_t *h, int op, size_t n, const uint8_t *mask);

#endif
