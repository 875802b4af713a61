/* UTF-8 decoding and validation (utf8.c), for str values on both sides. */
#ifndef MGR_COMMON_UTF8_H
#define MGR_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (n > 0 bytes left) and its code
 * point in *cp, or 0 if invalid (overlong, surrogate, past U+10FFFF, cut
 * short). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Is s[0..n) valid UTF-8 (and free of NULs unless nul_ok)? */
bool utf8_valid(const char *s, size_t n, bool nul_ok);

#endif
