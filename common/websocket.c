/* WebSocket's facts (websocket.h). */
#include "websocket.h"

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>
#include <string.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void
ws_accept_of(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	char          cat[WS_KEY_LEN + sizeof(WS_GUID)];
	unsigned char digest[20];
	size_t        n = 0;
	memcpy(cat, key, WS_KEY_LEN);
	memcpy(cat + WS_KEY_LEN, WS_GUID, sizeof(WS_GUID));
	mbedtls_sha1_ret((const unsigned char *) cat,
	    WS_KEY_LEN + sizeof(WS_GUID) - 1, digest);
	mbedtls_base64_encode((unsigned char *) out, WS_ACCEPT_LEN + 1, &n,
	    digest, sizeof(digest));
	out[n] = '\0';
}

size_t
ws_head(uint8_t *h, int op, size_t n, const uint8_t *mask)
{
	size_t  k = 0;
	uint8_t m = mask != NULL ? 0x80 : 0;
	h[k++]    = (uint8_t) (0x80 | op);
	if (n < 126) {
		h[k++] = (uint8_t) (m | n);
	} else if (n <= 0xffff) {
		h[k++] = m | 126;
		h[k++] = (uint8_t) (n >> 8);
		h[k++] = (uint8_t) n;
	} else {
		h[k++] = m | 127;
		for (int i = 7; i >= 0; i--) {
			h[k++] = (uint8_t) ((uint64_t) n >> (8 * i));
		}
	}
	if (mask != NULL) {
		memcpy(h + k, mask, 4);
		k += 4;
	}
	return k;
}
