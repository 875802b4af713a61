/* UTF-8, as Python's str holds it: no overlong forms, no surrogates,
 * nothing past U+10FFFF. */
#include "utf8.h"

size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t   len;
	uint32_t c;
	uint32_t min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		c   = s[0] & 0x1F;
		min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		c   = s[0] & 0x0F;
		min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		c   = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len) {
		return 0;
	}
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xC0) != 0x80) {
			return 0;
		}
		c = (c << 6) | (s[k] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		return 0;
	}
	*cp = c;
	return len;
}

bool
utf8_valid(const char *s, size_t n, bool nul_ok)
{
	const unsigned char *p = (const unsigned char *) s;
	for (size_t k = 0; k < n;) {
		uint32_t cp;
		size_t   len = utf8_decode(p + k, n - k, &cp);
		if (len == 0 || (cp == 0 && !nul_ok)) {
			return false;
		}
		k += len;
	}
	return true;
}
