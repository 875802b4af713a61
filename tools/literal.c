/* A recursive-descent reader of Python literals; the inverse of
 * mgr_value_repr for every value without references. */
#include "literal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper nesting than a command line needs, shallower than the stack. */
#define LITERAL_MAX_DEPTH 200

typedef struct {
	const char *text;
	const char *p;
	char       *why;
	size_t      cap;
	int         depth;
} reader;

static int
parse_error(reader *r, const char *fmt, ...)
{
	if (r->why[0] != '\0') {
		return MGR_EINVAL; // keep the innermost reason
	}
	char    msg[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->why, r->cap, "%s at offset %zu", msg,
	    (size_t) (r->p - r->text));
	return MGR_EINVAL;
}

static void
skip_space(reader *r)
{
	while (
	    *r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r') {
		r->p++;
	}
}

static bool
word(reader *r, const char *w)
{
	size_t n = strlen(w);
	if (strncmp(r->p, w, n) != 0) {
		return false;
	}
	char next = r->p[n];
	if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z')
	    || (next >= '0' && next <= '9') || next == '_') {
		return false;
	}
	r->p += n;
	return true;
}

/* A growing byte buffer for string contents. */
typedef struct {
	char  *b;
	size_t len, cap;
} buf;

static bool
buf_put(buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		char *nb = realloc(b->b, cap);
		if (nb == NULL) {
			return false;
		}
		b->b   = nb;
		b->cap = cap;
	}
	memcpy(b->b + b->len, s, n);
	b->len += n;
	b->b[b->len] = '\0';
	return true;
}

static bool
buf_put_utf8(buf *b, uint32_t c)
{
	char   u[4];
	size_t n;
	if (c < 0x80) {
		u[0] = (char) c;
		n    = 1;
	} else if (c < 0x800) {
		u[0] = (char) (0xC0 | (c >> 6));
		u[1] = (char) (0x80 | (c & 0x3F));
		n    = 2;
	} else if (c < 0x10000) {
		u[0] = (char) (0xE0 | (c >> 12));
		u[1] = (char) (0x80 | ((c >> 6) & 0x3F));
		u[2] = (char) (0x80 | (c & 0x3F));
		n    = 3;
	} else {
		u[0] = (char) (0xF0 | (c >> 18));
		u[1] = (char) (0x80 | ((c >> 12) & 0x3F));
		u[2] = (char) (0x80 | ((c >> 6) & 0x3F));
		u[3] = (char) (0x80 | (c & 0x3F));
		n    = 4;
	}
	return buf_put(b, u, n);
}

static int
hex_digits(reader *r, int n, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < n; i++) {
		char c = *r->p;
		int  d = c >= '0' && c <= '9' ? c - '0'
		     : c >= 'a' && c <= 'f'   ? c - 'a' + 10
		     : c >= 'A' && c <= 'F'   ? c - 'A' + 10
		                              : -1;
		if (d < 0) {
			return parse_error(r, "expected %d hex digits", n);
		}
		v = v * 16 + (uint32_t) d;
		r->p++;
	}
	*out = v;
	return 0;
}

/* One escape after the backslash, appended to b. */
static int
escape(reader *r, buf *b, bool bytes)
{
	static const char simple[] = "\\\\''\"\"n\nr\rt\ta\ab\bf\fv\v0\0";
	char              c        = *r->p++;
	for (size_t i = 0; i + 1 < sizeof(simple); i += 2) {
		if (simple[i] == c) {
			return buf_put(b, &simple[i + 1], 1) ? 0 : MGR_ENOMEM;
		}
	}
	uint32_t cp = 0;
	int      rv;
	if (c == 'x') {
		if ((rv = hex_digits(r, 2, &cp)) != 0) {
			return rv;
		}
		if (bytes) {
			char byte = (char) cp;
			return buf_put(b, &byte, 1) ? 0 : MGR_ENOMEM;
		}
	} else if (!bytes && (c == 'u' || c == 'U')) {
		if ((rv = hex_digits(r, c == 'u' ? 4 : 8, &cp)) != 0) {
			return rv;
		}
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
			return parse_error(
			    r, "escape \\%c is not a code point", c);
		}
	} else {
		r->p--;
		return parse_error(
		    r, "unknown escape \\%c", c != '\0' ? c : '0');
	}
	return buf_put_utf8(b, cp) ? 0 : MGR_ENOMEM;
}

static int
string(reader *r, mgr_value *out, bool bytes)
{
	char quote = *r->p++;
	buf  b     = { 0 };
	int  rv    = 0;
	while (rv == 0 && *r->p != quote) {
		unsigned char c = (unsigned char) *r->p;
		if (c == '\0') {
			rv = parse_error(r, "unterminated string");
		} else if (c == '\\') {
			r->p++;
			rv = escape(r, &b, bytes);
		} else if (bytes && c >= 0x80) {
			rv = parse_error(r, "bytes can only contain ASCII");
		} else {
			rv = buf_put(&b, r->p++, 1) ? 0 : MGR_ENOMEM;
		}
	}
	if (rv == 0 && b.b == NULL && !buf_put(&b, "", 0)) {
		rv = MGR_ENOMEM;
	}
	if (rv != 0) {
		free(b.b);
		return rv;
	}
	r->p++;
	*out = bytes ? mgr_bytes(b.b, b.len) : mgr_strn(b.b, b.len);
	return 0;
}

static int
number(reader *r, mgr_value *out)
{
	const char *start = r->p;
	const char *q     = r->p + (*r->p == '-' || *r->p == '+');
	if (word(&(reader) { .p = q }, "inf")
	    || word(&(reader) { .p = q }, "nan")) {
		double d = strncmp(q, "inf", 3) == 0 ? INFINITY : NAN;
		*out     = mgr_float(*start == '-' ? -d : d);
		r->p     = q + 3;
		return 0;
	}
	bool is_float = false;
	while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E'
	    || ((*q == '-' || *q == '+') && (q[-1] == 'e' || q[-1] == 'E'))) {
		is_float |= *q == '.' || *q == 'e' || *q == 'E';
		q++;
	}
	char *end;
	errno = 0;
	if (is_float) {
		double d = strtod(start, &end);
		if (end != q) {
			return parse_error(r, "malformed number");
		}
		*out = mgr_float(d);
	} else {
		long long i = strtoll(start, &end, 10);
		if (end != q || end == start) {
			return parse_error(r, "malformed number");
		}
		if (errno == ERANGE) {
			return parse_error(
			    r, "integer out of the 64-bit range");
		}
		*out = mgr_int((int64_t) i);
	}
	r->p = q;
	return 0;
}

static int value(reader *r, mgr_value *out);

/* Items up to close, comma-separated, a trailing comma allowed; a dict
 * reads key: value pairs. *one_comma tells "(x,)" from "(x)". */
static int
items(reader *r, char close, bool pairs, mgr_value **out, size_t *n,
    bool *had_comma)
{
	size_t     cap = 0;
	mgr_value *v   = NULL;
	int        rv  = 0;
	*n             = 0;
	*had_comma     = false;
	for (;;) {
		skip_space(r);
		if (*r->p == close) {
			break;
		}
		if (*n + 2 > cap) {
			cap           = cap ? cap * 2 : 8;
			mgr_value *nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				rv = MGR_ENOMEM;
				break;
			}
			v = nv;
		}
		if ((rv = value(r, &v[*n])) != 0) {
			break;
		}
		(*n)++;
		if (pairs) {
			skip_space(r);
			if (*r->p != ':') {
				rv = parse_error(r, "expected ':' in a dict");
				break;
			}
			r->p++;
			if ((rv = value(r, &v[*n])) != 0) {
				break;
			}
			(*n)++;
		}
		skip_space(r);
		if (*r->p == ',') {
			r->p++;
			*had_comma = true;
		} else if (*r->p != close) {
			rv = parse_error(r, "expected ',' or '%c'", close);
			break;
		}
	}
	if (rv != 0) {
		for (size_t i = 0; i < *n; i++) {
			mgr_value_free(&v[i]);
		}
		free(v);
		return rv;
	}
	r->p++;
	*out = v;
	return 0;
}

static int
container(reader *r, mgr_value *out)
{
	char       open  = *r->p++;
	char       close = open == '(' ? ')' : open == '[' ? ']' : '}';
	mgr_value *v;
	size_t     n;
	bool       comma;
	int        rv = items(r, close, open == '{', &v, &n, &comma);
	if (rv != 0) {
		return rv;
	}
	if (open == '(' && n == 1 && !comma) {
		*out = v[0]; // (x) is x
		free(v);
		return 0;
	}
	*out = open == '(' ? mgr_tuple_of(v, n)
	    : open == '['  ? mgr_list_of(v, n)
	                   : mgr_dict_of(v, n / 2);
	return 0;
}

static int
value(reader *r, mgr_value *out)
{
	skip_space(r);
	if (++r->depth > LITERAL_MAX_DEPTH) {
		return parse_error(
		    r, "nested deeper than %d", LITERAL_MAX_DEPTH);
	}
	int  rv = 0;
	char c  = *r->p;
	if (word(r, "None")) {
		*out = mgr_none();
	} else if (word(r, "True")) {
		*out = mgr_bool(true);
	} else if (word(r, "False")) {
		*out = mgr_bool(false);
	} else if (c == '\'' || c == '"') {
		rv = string(r, out, false);
	} else if (c == 'b' && (r->p[1] == '\'' || r->p[1] == '"')) {
		r->p++;
		rv = string(r, out, true);
	} else if (c == '(' || c == '[' || c == '{') {
		rv = container(r, out);
	} else if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.'
	    || c == 'i' || c == 'n') {
		rv = number(r, out);
	} else {
		rv = parse_error(
		    r, c == '\0' ? "expected a value" : "unexpected '%c'", c);
	}
	// Owned, as a library result: mgr_value_free frees it all.
	if (rv == 0) {
		out->flags |= MGR_VALUE_OWNED;
	}
	r->depth--;
	return rv;
}

int
literal_parse(const char *text, mgr_value *out, char *why, size_t cap)
{
	char   spare[1];
	reader r = { .text = text,
		.p         = text,
		.why       = cap ? why : spare,
		.cap       = cap ? cap : sizeof(spare) };
	r.why[0] = '\0';
	if (text == NULL || out == NULL) {
		return MGR_EINVAL;
	}
	mgr_value v;
	int       rv = value(&r, &v);
	if (rv != 0) {
		return rv;
	}
	skip_space(&r);
	if (*r.p != '\0') {
		mgr_value_free(&v);
		return parse_error(
		    &r, "unexpected '%c' after the value", *r.p);
	}
	*out = v;
	return 0;
}

int
literal_repr(const mgr_value *v, char **text)
{
	*text = NULL;
	for (size_t cap = 256;; cap *= 4) {
		char *chunk = malloc(cap);
		if (chunk == NULL) {
			return MGR_ENOMEM;
		}
		int rv = mgr_value_repr(v, chunk, cap);
		if (rv == 0) {
			*text = chunk;
			return 0;
		}
		free(chunk);
		if (rv != MGR_ETOOBIG || cap > (1u << 28)) {
			return rv;
		}
	}
}
