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

/* Containers nested in one value: deeper is refused (MGR_ETOOBIG) on both
 * sides, so that no recursive walk can exhaust a stack. */
#define WIRE_VALUE_MAX_DEPTH 64

/* Message nesting a frame may have, checked before unpacking (pbcheck.h):
 * two messages per value level (Value, then Seq or Map), and the
 * envelope's own (Request or Reply, batches, their Value). */
#define WIRE_PB_MAX_DEPTH (2 * WIRE_VALUE_MAX_DEPTH + 12)

#endif
