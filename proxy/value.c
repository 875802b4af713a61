/* Values on the client side: constructors, free, copy, typed equality,
 * Python's repr and the calling thread's error detail. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Local walks (copy, equal, repr) stop here: a constructed value may be
 * cyclic (a list whose items contain itself) and must not overflow the
 * stack. Far deeper than anything the wire accepts (64). */
#define VALUE_MAX_WALK 1000

/* ---- errors ------------------------------------------------------------ */

/* mgr_strerror lives in common/errors.c: managerd's logs use it too. */

/* One buffer per thread: a detail belongs to the call that failed in the
 * calling thread, never to another thread's. */
static _Thread_local char err_detail[512];

const char *
mgr_errdetail(void)
{
	return err_detail;
}

void
client_set_detail(const char *fmt, ...)
{
	va_list ap;
	if (fmt == NULL) {
		err_detail[0] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err_detail, sizeof(err_detail), fmt, ap);
	va_end(ap);
}

/* ---- constructors (borrowing, flags 0) --------------------------------- */

mgr_value
mgr_none(void)
{
	return (mgr_value) { .kind = MGR_NONE };
}

mgr_value
mgr_bool(bool b)
{
	return (mgr_value) { .kind = MGR_BOOL, .b = b };
}

mgr_value
mgr_int(int64_t i)
{
	return (mgr_value) { .kind = MGR_INT, .i = i };
}

mgr_value
mgr_float(double d)
{
	return (mgr_value) { .kind = MGR_FLOAT, .f = d };
}

mgr_value
mgr_str(const char *s)
{
	return (mgr_value) {
		.kind = MGR_STR, .len = s != NULL ? strlen(s) : 0, .s = s
	};
}

mgr_value
mgr_strn(const char *s, size_t len)
{
	return (mgr_value) { .kind = MGR_STR, .len = len, .s = s };
}

mgr_value
mgr_bytes(const void *p, size_t n)
{
	return (mgr_value) { .kind = MGR_BYTES, .len = n, .bytes = p };
}

mgr_value
mgr_ref(mgr_obj *obj)
{
	return (mgr_value) { .kind = MGR_REF, .ref = obj };
}

mgr_value
mgr_list_of(mgr_value *items, size_t n)
{
	return (mgr_value) { .kind = MGR_LIST, .len = n, .items = items };
}

mgr_value
mgr_tuple_of(mgr_value *items, size_t n)
{
	return (mgr_value) { .kind = MGR_TUPLE, .len = n, .items = items };
}

mgr_value
mgr_dict_of(mgr_value *pairs, size_t n)
{
	return (mgr_value) { .kind = MGR_DICT, .len = n, .pairs = pairs };
}

mgr_obj *
mgr_value_ref(const mgr_value *v)
{
	if (v == NULL || v->kind != MGR_REF) {
		return NULL;
	}
	return v->ref;
}

/* ---- free -------------------------------------------------------------- */

void
mgr_value_free(mgr_value *v)
{
	if (v == NULL) {
		return;
	}
	if ((v->flags & MGR_VALUE_OWNED) != 0) {
		switch (v->kind) {
		case MGR_STR:
			free((void *) v->s);
			break;
		case MGR_BYTES:
			free((void *) v->bytes);
			break;
		case MGR_LIST:
		case MGR_TUPLE:
			for (size_t k = 0; v->items != NULL && k < v->len;
			     k++) {
				mgr_value_free(&v->items[k]);
			}
			free(v->items);
			break;
		case MGR_DICT:
			for (size_t k = 0; v->pairs != NULL && k < 2 * v->len;
			     k++) {
				mgr_value_free(&v->pairs[k]);
			}
			free(v->pairs);
			break;
		case MGR_REF:
			mgr_obj_release(v->ref);
			break;
		default:
			break;
		}
	}
	*v = mgr_none();
}

/* ---- copy -------------------------------------------------------------- */

/* A new proxy with its own reference on the manager (OP_ATTACH), so that
 * the copy outlives the original's release. The reply's ref became a
 * proxy owning the reference ATTACH took: that proxy is the copy. */
static int
ref_dup(mgr_obj *o, mgr_obj **out)
{
	mgr_value res = mgr_none();
	int       rv;

	rv = client_call(o->client,
	    &(mgr_call) { .op = MGR__OP__OP_ATTACH, .target = o->id }, &res);
	if (rv != 0) {
		return rv;
	}
	if (res.kind != MGR_REF || res.ref == NULL || res.ref->id != o->id) {
		mgr_value_free(&res);
		client_set_detail("attach answered no proxy of object %llu",
		    (unsigned long long) o->id);
		return MGR_EPROTO;
	}
	*out = res.ref;
	return 0;
}

static int
copy_bytes(mgr_value *dst, const void *p, size_t len)
{
	char *s;
	if (p == NULL && len > 0) {
		return MGR_EINVAL;
	}
	// Always NUL-terminated: a str stays a C string, bytes cost one more.
	if (len == SIZE_MAX || (s = malloc(len + 1)) == NULL) {
		return MGR_ENOMEM;
	}
	if (len > 0) {
		memcpy(s, p, len);
	}
	s[len]   = '\0';
	dst->s   = s;
	dst->len = len;
	return 0;
}

static int
copy_rec(mgr_value *dst, const mgr_value *src, int depth)
{
	mgr_value v = { .kind = src->kind, .flags = MGR_VALUE_OWNED };
	size_t    n;
	int       rv;

	if (depth > VALUE_MAX_WALK) {
		return MGR_ETOOBIG;
	}
	switch (src->kind) {
	case MGR_NONE:
		break;
	case MGR_BOOL:
		v.b = src->b;
		break;
	case MGR_INT:
		v.i = src->i;
		break;
	case MGR_FLOAT:
		v.f = src->f;
		break;
	case MGR_STR:
		if (src->s == NULL) {
			return MGR_EINVAL;
		}
		if ((rv = copy_bytes(&v, src->s, src->len)) != 0) {
			return rv;
		}
		break;
	case MGR_BYTES:
		if ((rv = copy_bytes(&v, src->bytes, src->len)) != 0) {
			return rv;
		}
		break;
	case MGR_REF:
		if (src->ref == NULL) {
			return MGR_EINVAL;
		}
		if ((rv = ref_dup(src->ref, &v.ref)) != 0) {
			return rv;
		}
		break;
	case MGR_LIST:
	case MGR_TUPLE:
	case MGR_DICT:
		n = src->kind == MGR_DICT ? 2 * src->len : src->len;
		if (src->kind == MGR_DICT && src->len > SIZE_MAX / 2) {
			return MGR_EINVAL;
		}
		if (n > 0 && src->items == NULL) {
			return MGR_EINVAL;
		}
		v.len = src->len;
		if (n == 0) {
			v.items = NULL;
			break;
		}
		if ((v.items = calloc(n, sizeof(mgr_value))) == NULL) {
			return MGR_ENOMEM;
		}
		for (size_t k = 0; k < n; k++) {
			rv = copy_rec(&v.items[k], &src->items[k], depth + 1);
			if (rv != 0) {
				// The rest of the items are zeroed (None).
				mgr_value_free(&v);
				return rv;
			}
		}
		break;
	default:
		return MGR_EINVAL;
	}
	*dst = v;
	return 0;
}

int
mgr_value_copy(mgr_value *dst, const mgr_value *src)
{
	if (dst == NULL || src == NULL) {
		return MGR_EINVAL;
	}
	return copy_rec(dst, src, 0);
}

/* ---- equality ---------------------------------------------------------- */

static bool equal_rec(const mgr_value *a, const mgr_value *b, int depth);

static bool
dict_has_pair(
    const mgr_value *d, const mgr_value *k, const mgr_value *v, int depth)
{
	for (size_t j = 0; j < d->len; j++) {
		if (equal_rec(&d->pairs[2 * j], k, depth)
		    && equal_rec(&d->pairs[2 * j + 1], v, depth)) {
			return true;
		}
	}
	return false;
}

static bool
equal_rec(const mgr_value *a, const mgr_value *b, int depth)
{
	if (depth > VALUE_MAX_WALK || a->kind != b->kind) {
		return false;
	}
	switch (a->kind) {
	case MGR_NONE:
		return true;
	case MGR_BOOL:
		return a->b == b->b;
	case MGR_INT:
		return a->i == b->i;
	case MGR_FLOAT:
		// NaN equals itself, as for the manager's keys.
		return a->f == b->f || (isnan(a->f) && isnan(b->f));
	case MGR_STR:
	case MGR_BYTES:
		if (a->len != b->len) {
			return false;
		}
		if (a->len == 0) {
			return true;
		}
		if (a->bytes == NULL || b->bytes == NULL) {
			return a->bytes == b->bytes;
		}
		return memcmp(a->bytes, b->bytes, a->len) == 0;
	case MGR_REF:
		if (a->ref == NULL || b->ref == NULL) {
			return a->ref == b->ref;
		}
		return a->ref->id == b->ref->id
		    && a->ref->client == b->ref->client;
	case MGR_LIST:
	case MGR_TUPLE:
		if (a->len != b->len) {
			return false;
		}
		if (a->len > 0 && (a->items == NULL || b->items == NULL)) {
			return a->items == b->items;
		}
		for (size_t k = 0; k < a->len; k++) {
			if (!equal_rec(
			        &a->items[k], &b->items[k], depth + 1)) {
				return false;
			}
		}
		return true;
	case MGR_DICT:
		if (a->len != b->len) {
			return false;
		}
		if (a->len > 0 && (a->pairs == NULL || b->pairs == NULL)) {
			return a->pairs == b->pairs;
		}
		// Same order is the common case: check pair k against pair k
		// first and search only on a mismatch. Keys are unique in a
		// dict, so equal lengths and a ⊆ b mean equal sets.
		for (size_t k = 0; k < a->len; k++) {
			const mgr_value *ka = &a->pairs[2 * k];
			const mgr_value *va = &a->pairs[2 * k + 1];
			if (equal_rec(ka, &b->pairs[2 * k], depth + 1)
			    && equal_rec(
			        va, &b->pairs[2 * k + 1], depth + 1)) {
				continue;
			}
			if (!dict_has_pair(b, ka, va, depth + 1)) {
				return false;
			}
		}
		return true;
	default:
		return false;
	}
}

bool
mgr_value_equal(const mgr_value *a, const mgr_value *b)
{
	if (a == NULL || b == NULL) {
		return false;
	}
	return equal_rec(a, b, 0);
}

/* ---- repr -------------------------------------------------------------- */

typedef struct {
	char  *buf;
	size_t cap; /* > 0 */
	size_t pos; /* < cap: room for the NUL is kept */
	bool   full;
} writer;

/* Appends what fits; a repr cut short is still a prefix of the whole. */
static void
put(writer *w, const char *s, size_t n)
{
	size_t room;
	if (w->full) {
		return;
	}
	room = w->cap - 1 - w->pos;
	if (n > room) {
		n       = room;
		w->full = true;
	}
	memcpy(w->buf + w->pos, s, n);
	w->pos += n;
}

/* Appends all of s or nothing, so that a truncated repr never ends in half
 * a UTF-8 character. */
static void
put_whole(writer *w, const char *s, size_t n)
{
	if (!w->full && n > w->cap - 1 - w->pos) {
		w->full = true;
	}
	put(w, s, n);
}

static void
puts_(writer *w, const char *s)
{
	put(w, s, strlen(s));
}

/* Shortest decimal digits of x > 0 (finite) that read back as x, as
 * Python's repr: digits without trailing zeros, and the position of the
 * decimal point (x = 0.DIGITS * 10^decpt). */
static void
shortest_digits(double x, char digits[20], int *decpt)
{
	char               tmp[40];
	unsigned long long m = 0; /* x reads back from m * 10^e */
	int                e = 0;
	size_t             n;

	for (int p = 1; p <= 17; p++) {
		bool hit = false;
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, x);
		m = 0;
		// Digits only: the point is ',' in some locales (strtod
		// reads back in the same locale).
		for (const char *c = tmp; *c != 'e'; c++) {
			if (*c >= '0' && *c <= '9') {
				m = m * 10 + (unsigned) (*c - '0');
			}
		}
		e = atoi(strchr(tmp, 'e') + 1) - (p - 1);
		if (strtod(tmp, NULL) == x) {
			break;
		}
		// printf gives the p-digit decimal nearest to x, but at a
		// power of two the interval that reads back as x is narrower
		// below x than above, so the nearest may miss while the one
		// a unit further up reads back (or down; never both).
		for (int d = -1; d <= 1 && !hit; d += 2) {
			char alt[40];
			snprintf(alt, sizeof(alt), "%llue%d", m + d, e);
			if (strtod(alt, NULL) == x) {
				m += d;
				hit = true;
			}
		}
		if (hit) {
			break;
		}
	}
	snprintf(tmp, sizeof(tmp), "%llu", m);
	n      = strlen(tmp);
	*decpt = e + (int) n;
	while (n > 1 && tmp[n - 1] == '0') {
		n--;
	}
	memcpy(digits, tmp, n);
	digits[n] = '\0';
}

/* Python's float repr (repr mode 'r' of float_repr): fixed notation for
 * 1e-4 <= |x| < 1e16, always with a '.'; exponent notation otherwise, with
 * a sign and at least two exponent digits. */
static void
float_repr(double x, char *out, size_t cap)
{
	char   d[20];
	int    decpt;
	size_t n;
	char  *o   = out;
	char  *end = out + cap;

	if (isnan(x)) {
		snprintf(out, cap, "nan");
		return;
	}
	if (isinf(x)) {
		snprintf(out, cap, x > 0 ? "inf" : "-inf");
		return;
	}
	if (x == 0) {
		snprintf(out, cap, signbit(x) ? "-0.0" : "0.0");
		return;
	}
	if (x < 0) {
		*o++ = '-';
		x    = -x;
	}
	shortest_digits(x, d, &decpt);
	n = strlen(d);
	if (decpt <= -4 || decpt > 16) {
		*o++ = d[0];
		if (n > 1) {
			o += snprintf(o, (size_t) (end - o), ".%s", d + 1);
		}
		snprintf(o, (size_t) (end - o), "e%+03d", decpt - 1);
	} else if (decpt <= 0) {
		o += snprintf(o, (size_t) (end - o), "0.");
		for (int k = 0; k < -decpt; k++) {
			*o++ = '0';
		}
		snprintf(o, (size_t) (end - o), "%s", d);
	} else if ((size_t) decpt >= n) {
		o += snprintf(o, (size_t) (end - o), "%s", d);
		for (size_t k = n; k < (size_t) decpt; k++) {
			*o++ = '0';
		}
		snprintf(o, (size_t) (end - o), ".0");
	} else {
		snprintf(
		    o, (size_t) (end - o), "%.*s.%s", decpt, d, d + decpt);
	}
}

/* Code points Python's str.isprintable() rejects above U+009F, for the
 * assigned ones (Zs, Zl, Zp, Cf, Co; from Python 3.11, Unicode 14) plus
 * noncharacters and planes 4-13, which are never assigned. Other
 * unassigned code points print as themselves (Python escapes them;
 * which ones they are changes with each Unicode version). */
static const uint32_t unprintable[][2] = {
	{ 0xA0, 0xA0 },
	{ 0xAD, 0xAD },
	{ 0x600, 0x605 },
	{ 0x61C, 0x61C },
	{ 0x6DD, 0x6DD },
	{ 0x70F, 0x70F },
	{ 0x890, 0x891 },
	{ 0x8E2, 0x8E2 },
	{ 0x1680, 0x1680 },
	{ 0x180E, 0x180E },
	{ 0x2000, 0x200F },
	{ 0x2028, 0x202F },
	{ 0x205F, 0x2064 },
	{ 0x2066, 0x206F },
	{ 0x3000, 0x3000 },
	{ 0xE000, 0xF8FF },
	{ 0xFDD0, 0xFDEF },
	{ 0xFEFF, 0xFEFF },
	{ 0xFFF9, 0xFFFB },
	{ 0xFFFE, 0xFFFF },
	{ 0x110BD, 0x110BD },
	{ 0x110CD, 0x110CD },
	{ 0x13430, 0x13438 },
	{ 0x1BCA0, 0x1BCA3 },
	{ 0x1D173, 0x1D17A },
	{ 0x1FFFE, 0x1FFFF },
	{ 0x2FFFE, 0x2FFFF },
	{ 0x3FFFE, 0xDFFFF },
	{ 0xE0001, 0xE00FF },
	{ 0xE01F0, 0x10FFFF },
};

static bool
is_printable(uint32_t cp)
{
	size_t lo = 0;
	size_t hi = sizeof(unprintable) / sizeof(unprintable[0]);
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
		return false;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < unprintable[mid][0]) {
			hi = mid;
		} else if (cp > unprintable[mid][1]) {
			lo = mid + 1;
		} else {
			return false;
		}
	}
	return true;
}

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code
 * point, or 0 if invalid (overlong, surrogate, past U+10FFFF, cut). */
static size_t
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

/* Python's quote choice: single quotes unless the text has a ' and no ". */
static char
pick_quote(const char *s, size_t n)
{
	bool sq = n > 0 && memchr(s, '\'', n) != NULL;
	bool dq = n > 0 && memchr(s, '"', n) != NULL;
	return sq && !dq ? '"' : '\'';
}

/* \\, the quote, \t \n \r; NULL for other characters. */
static const char *
simple_escape(unsigned char c, char quote)
{
	switch (c) {
	case '\\':
		return "\\\\";
	case '\t':
		return "\\t";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\'':
		return quote == '\'' ? "\\'" : "'";
	case '"':
		return quote == '"' ? "\\\"" : "\"";
	default:
		return NULL;
	}
}

static void
repr_str(writer *w, const char *str, size_t n)
{
	const unsigned char *s     = (const unsigned char *) str;
	char                 quote = pick_quote(str, n);
	char                 esc[16];
	size_t               k = 0;

	put(w, &quote, 1);
	while (k < n && !w->full) {
		const char *e;
		uint32_t    cp;
		size_t      len;

		if ((e = simple_escape(s[k], quote)) != NULL) {
			put_whole(w, e, strlen(e));
			k++;
			continue;
		}
		if ((len = utf8_decode(s + k, n - k, &cp)) == 0) {
			// Invalid UTF-8 (Python's str cannot hold it): the
			// byte.
			snprintf(esc, sizeof(esc), "\\x%02x", s[k]);
			put_whole(w, esc, 4);
			k++;
			continue;
		}
		if (is_printable(cp)) {
			put_whole(w, str + k, len);
		} else if (cp < 0x100) {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned) cp);
			put_whole(w, esc, strlen(esc));
		} else if (cp < 0x10000) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned) cp);
			put_whole(w, esc, strlen(esc));
		} else {
			snprintf(esc, sizeof(esc), "\\U%08x", (unsigned) cp);
			put_whole(w, esc, strlen(esc));
		}
		k += len;
	}
	put(w, &quote, 1);
}

static void
repr_bytes(writer *w, const unsigned char *s, size_t n)
{
	char quote = pick_quote((const char *) s, n);
	char esc[8];

	put(w, "b", 1);
	put(w, &quote, 1);
	for (size_t k = 0; k < n && !w->full; k++) {
		const char *e;
		if ((e = simple_escape(s[k], quote)) != NULL) {
			put_whole(w, e, strlen(e));
		} else if (s[k] < 0x20 || s[k] >= 0x7F) {
			snprintf(esc, sizeof(esc), "\\x%02x", s[k]);
			put_whole(w, esc, 4);
		} else {
			put(w, (const char *) &s[k], 1);
		}
	}
	put(w, &quote, 1);
}

static int repr_rec(writer *w, const mgr_value *v, int depth);

static int
repr_items(
    writer *w, const mgr_value *items, size_t n, size_t step, int depth)
{
	int rv;
	for (size_t k = 0; k < n && !w->full; k++) {
		if (k > 0) {
			puts_(w, ", ");
		}
		if ((rv = repr_rec(w, &items[k * step], depth + 1)) != 0) {
			return rv;
		}
		if (step == 2) {
			puts_(w, ": ");
			rv = repr_rec(w, &items[k * step + 1], depth + 1);
			if (rv != 0) {
				return rv;
			}
		}
	}
	return 0;
}

static int
repr_rec(writer *w, const mgr_value *v, int depth)
{
	char tmp[64];
	int  rv;

	if (depth > VALUE_MAX_WALK) {
		return MGR_ETOOBIG;
	}
	switch (v->kind) {
	case MGR_NONE:
		puts_(w, "None");
		return 0;
	case MGR_BOOL:
		puts_(w, v->b ? "True" : "False");
		return 0;
	case MGR_INT:
		snprintf(tmp, sizeof(tmp), "%" PRId64, v->i);
		puts_(w, tmp);
		return 0;
	case MGR_FLOAT:
		float_repr(v->f, tmp, sizeof(tmp));
		puts_(w, tmp);
		return 0;
	case MGR_STR:
		if (v->s == NULL) {
			return MGR_EINVAL;
		}
		repr_str(w, v->s, v->len);
		return 0;
	case MGR_BYTES:
		if (v->bytes == NULL && v->len > 0) {
			return MGR_EINVAL;
		}
		repr_bytes(w, v->bytes, v->len);
		return 0;
	case MGR_REF:
		if (v->ref == NULL) {
			return MGR_EINVAL;
		}
		snprintf(tmp, sizeof(tmp), "<RefProxy %s id=%" PRIu64 ">",
		    obj_type_name(v->ref->type), v->ref->id);
		puts_(w, tmp);
		return 0;
	case MGR_LIST:
	case MGR_TUPLE:
		if (v->items == NULL && v->len > 0) {
			return MGR_EINVAL;
		}
		puts_(w, v->kind == MGR_LIST ? "[" : "(");
		if ((rv = repr_items(w, v->items, v->len, 1, depth)) != 0) {
			return rv;
		}
		if (v->kind == MGR_TUPLE && v->len == 1) {
			puts_(w, ",");
		}
		puts_(w, v->kind == MGR_LIST ? "]" : ")");
		return 0;
	case MGR_DICT:
		if (v->pairs == NULL && v->len > 0) {
			return MGR_EINVAL;
		}
		puts_(w, "{");
		if ((rv = repr_items(w, v->pairs, v->len, 2, depth)) != 0) {
			return rv;
		}
		puts_(w, "}");
		return 0;
	default:
		return MGR_EINVAL;
	}
}

int
mgr_value_repr(const mgr_value *v, char *buf, size_t cap)
{
	writer w = { .buf = buf, .cap = cap };
	int    rv;

	if (v == NULL || buf == NULL) {
		return MGR_EINVAL;
	}
	if (cap == 0) {
		return MGR_ETOOBIG;
	}
	rv         = repr_rec(&w, v, 0);
	buf[w.pos] = '\0';
	if (rv != 0) {
		return rv;
	}
	return w.full ? MGR_ETOOBIG : 0;
}
