/* Python's repr of floats, str and bytes (repr.c), and the bounded
 * buffer both sides write reprs into. */
#ifndef MGR_COMMON_REPR_H
#define MGR_COMMON_REPR_H

#include <stdbool.h>
#include <stddef.h>

typedef struct repr_buf {
	char  *buf;
	size_t cap;  /* bytes at buf, the NUL included */
	size_t pos;  /* < cap: room for the NUL is kept */
	bool   full; /* something did not fit: nothing more is taken */
} repr_buf;

/* Writes into buf[0..cap) (buf[0] = NUL); cap 0 is full at once. */
void repr_init(repr_buf *w, char *buf, size_t cap);
/* NUL-terminates and gives the length written. */
size_t repr_end(repr_buf *w);
/* Appends what fits of s[0..n) (a cut repr is still a prefix). */
void repr_put(repr_buf *w, const char *s, size_t n);
void repr_puts(repr_buf *w, const char *s);

/* Python's repr(float): the shortest digits that read back as x, fixed
 * notation for 1e-4 <= |x| < 1e16 (always with a '.'), exponent notation
 * otherwise; nan, inf, -inf, -0.0. */
void repr_float(repr_buf *w, double x);
/* The same into out (cap >= 32 always holds it). */
void repr_float_to(double x, char *out, size_t cap);
/* Python's repr(str) of UTF-8 text: quotes chosen as Python does, \\ \t
 * \n \r and the quote escaped, unprintable code points as \xhh, \uhhhh
 * or \Uhhhhhhhh (str.isprintable of Python 3.11 for assigned code
 * points), and a byte that is not valid UTF-8 as \xhh. */
void repr_str(repr_buf *w, const char *s, size_t n);
/* Python's repr(bytes): b'...' with \xhh for bytes outside 0x20..0x7e. */
void repr_bytes(repr_buf *w, const unsigned char *s, size_t n);

#endif
