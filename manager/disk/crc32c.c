/* CRC-32C: the reflected polynomial 0x82F63B78, initial and final value
 * inverted (RFC 3720's). */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "crc32c.h"

static uint32_t       table[8][256];
static bool           use_sse42;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++) {
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
		}
		table[0][i] = c;
	}
	// Slicing by 8: table[k] advances a byte that is k bytes further.
	for (uint32_t i = 0; i < 256; i++) {
		for (int k = 1; k < 8; k++) {
			uint32_t c  = table[k - 1][i];
			table[k][i] = (c >> 8) ^ table[0][c & 0xff];
		}
	}
#if defined(__x86_64__)
	use_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t
by_table(uint32_t c, const uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8); // little-endian hosts only (x86, arm64)
		w ^= c;
		c = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff]
		    ^ table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff]
		    ^ table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff]
		    ^ table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
		p += 8;
		n -= 8;
	}
	while (n-- > 0) {
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
	}
	return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
by_instruction(uint32_t c, const uint8_t *p, size_t n)
{
	uint64_t c64 = c;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c64 = __builtin_ia32_crc32di(c64, w);
		p += 8;
		n -= 8;
	}
	c = (uint32_t) c64;
	while (n-- > 0) {
		c = __builtin_ia32_crc32qi(c, *p++);
	}
	return c;
}
#endif

uint32_t
crc32c(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&once, init);
	uint32_t c = ~crc;
#if defined(__x86_64__)
	if (use_sse42) {
		return ~by_instruction(c, p, n);
	}
#endif
	return ~by_table(c, p, n);
}
