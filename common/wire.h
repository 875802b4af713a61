/* Facts of the wire that both sides share: a frame is a 4-byte big-endian
 * length and then that many bytes of one protobuf message, and how deep a
 * value may nest. */
#ifndef MGR_COMMON_WIRE_H
#define MGR_COMMON_WIRE_H

#include <stdint.h>

/* Bytes of the length in front of every frame. */
#define WIRE_HEADER_LEN 4

static inline void
wire_put_len(uint8_t *p, uint32_t n)
{
	p[0] = (uint8_t) (n >> 24);
	p[1] = (uint8_t) (n >> 16);
	p[2] = (uint8_t) (n >> 8);
	p[3] = (uint8_t) n;
}

static inline uint32_t
wire_get_len(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
	    | ((uint32_t) p[2] << 8) | (uint32_t) p[3];
}

/* What a frame's first 4 bytes say when they are no length at all but
 * another protocol's start, for the message that names the mix-up: an
 * HTTP request or answer (a WebSocket or web client on a plain port) or
 * a TLS record (a TLS peer on a plain port). NULL when they look like
 * nothing known. */
static inline const char *
wire_mixed_up(const uint8_t *p)
{
	static const char *const http[] = { "GET ", "POST", "HEAD", "PUT ",
		"OPTI", "DELE", "PATC", "CONN", "HTTP" };
	for (unsigned i = 0; i < sizeof(http) / sizeof(http[0]); i++) {
		if (p[0] == (uint8_t) http[i][0]
		    && p[1] == (uint8_t) http[i][1]
		    && p[2] == (uint8_t) http[i][2]
		    && p[3] == (uint8_t) http[i][3]) {
			return "HTTP where a frame was due (a WebSocket or "
			       "web "
			       "client on a plain port?)";
		}
	}
	if (p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03) {
		return "a TLS record where a frame was due (a tls+tcp:// or "
		       "wss:// peer on a plain port?)";
	}
	return NULL;
}

/* Containers nested in one value: deeper is refused (MGR_ETOOBIG) on both
 * sides, so that no recursive walk can exhaust a stack. */
#define WIRE_VALUE_MAX_DEPTH 64

/* Message nesting a frame may have, checked before unpacking (pbcheck.h):
 * two messages per value level (Value, then Seq or Map), and the
 * envelope's own (Request or Reply, batches, their Value). */
#define WIRE_PB_MAX_DEPTH (2 * WIRE_VALUE_MAX_DEPTH + 12)

#endif
