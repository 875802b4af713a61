/* SipHash-1-3: one compression round per 8-byte block, three to finish. */
#include "siphash.h"

#include <string.h>

static inline uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                             \
	do {                                                                 \
		v0 += v1;                                                    \
		v1 = rotl(v1, 13);                                           \
		v1 ^= v0;                                                    \
		v0 = rotl(v0, 32);                                           \
		v2 += v3;                                                    \
		v3 = rotl(v3, 16);                                           \
		v3 ^= v2;                                                    \
		v0 += v3;                                                    \
		v3 = rotl(v3, 21);                                           \
		v3 ^= v0;                                                    \
		v2 += v1;                                                    \
		v1 = rotl(v1, 17);                                           \
		v1 ^= v2;                                                    \
		v2 = rotl(v2, 32);                                           \
	} while (0)

/* Little-endian 8 bytes (the blocks are read as SipHash defines them,
 * whatever the host's order). */
static inline uint64_t
load_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--) {
		v = (v << 8) | p[i];
	}
	return v;
}

uint64_t
siphash13(const uint64_t k[2], const void *data, size_t len)
{
	const unsigned char *p  = data;
	uint64_t             v0 = 0x736f6d6570736575ULL ^ k[0];
	uint64_t             v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t             v2 = 0x6c7967656e657261ULL ^ k[0];
	uint64_t             v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t             b  = (uint64_t) len << 56;

	for (size_t n = len / 8; n > 0; n--, p += 8) {
		uint64_t m = load_le64(p);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < (len & 7); i++) {
		b |= (uint64_t) p[i] << (8 * i);
	}
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
