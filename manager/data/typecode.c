/* Typecodes of scalar and array: their table and the conversions between an
 * item's C storage and an sval (typecode.h). */
#include "typecode.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mgr.h"

/* L and Q stop at INT64_MAX: see typecode.h. */
static const tcode codes[] = {
	{ 'b', 1, TC_SIGNED, INT8_MIN, INT8_MAX },
	{ 'B', 1, TC_UNSIGNED, 0, UINT8_MAX },
	{ 'h', 2, TC_SIGNED, INT16_MIN, INT16_MAX },
	{ 'H', 2, TC_UNSIGNED, 0, UINT16_MAX },
	{ 'i', 4, TC_SIGNED, INT32_MIN, INT32_MAX },
	{ 'I', 4, TC_UNSIGNED, 0, UINT32_MAX },
	{ 'l', 8, TC_SIGNED, INT64_MIN, INT64_MAX },
	{ 'L', 8, TC_UNSIGNED, 0, INT64_MAX },
	{ 'q', 8, TC_SIGNED, INT64_MIN, INT64_MAX },
	{ 'Q', 8, TC_UNSIGNED, 0, INT64_MAX },
	{ 'f', 4, TC_FLOAT, 0, 0 },
	{ 'd', 8, TC_FLOAT, 0, 0 },
};

/* Doubles of this magnitude or more round to inf as a float (the midpoint
 * between FLT_MAX and 2^128 rounds to even, i.e. up). Checking before the
 * conversion also keeps it defined: an out-of-range float conversion is
 * undefined behaviour in C. */
#define FLT_OVERFLOW 0x1.ffffffp+127

const tcode *
tc_find(char code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (codes[i].code == code) {
			return &codes[i];
		}
	}
	return NULL;
}

const tcode *
tc_from_str(const char *s, size_t len)
{
	// A NUL is no typecode, whatever tc_find's table ends with.
	return len == 1 && s[0] != '\0' ? tc_find(s[0]) : NULL;
}

const char *
tc_list(void)
{
	return "b, B, h, H, i, I, l, L, q, Q, f or d";
}

static int fail(char *err, size_t errcap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errcap, int rc, const char *fmt, ...)
{
	if (err != NULL && errcap > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errcap, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int
range_error(const tcode *t, char *err, size_t errcap)
{
	return fail(err, errcap, MGR_ERANGE,
	    "value out of range for typecode '%c'", t->code);
}

/* The double a float typecode would store for v (before rounding to
 * float), or MGR_ETYPE. */
static int
as_double(const sval *v, double *d, char *err, size_t errcap)
{
	switch (v->kind) {
	case SV_INT:
		*d = (double) v->i;
		return 0;
	case SV_FLOAT:
		*d = v->f;
		return 0;
	default:
		return fail(err, errcap, MGR_ETYPE,
		    "must be real number, not %s", sv_type_name(v));
	}
}

int
tc_check(const tcode *t, const sval *v, char *err, size_t errcap)
{
	if (t->kind == TC_FLOAT) {
		double d;
		int    rc = as_double(v, &d, err, errcap);
		if (rc != 0) {
			return rc;
		}
		if (t->code == 'f' && isfinite(d)
		    && fabs(d) >= FLT_OVERFLOW) {
			return range_error(t, err, errcap);
		}
		return 0;
	}
	// SV_BOOL is refused too (typed values: see typecode.h).
	if (v->kind != SV_INT) {
		return fail(err, errcap, MGR_ETYPE,
		    "'%s' object cannot be interpreted as an integer",
		    sv_type_name(v));
	}
	if (v->i < t->min || v->i > t->max) {
		return range_error(t, err, errcap);
	}
	return 0;
}

int
tc_store(const tcode *t, const sval *v, void *cell, char *err, size_t errcap)
{
	int rc = tc_check(t, v, err, errcap);
	if (rc != 0) {
		return rc;
	}
	// In range (checked above), so every conversion below is exact
	// (except 'f', rounded to the nearest float on purpose).
	switch (t->code) {
	case 'b': {
		int8_t x = (int8_t) v->i;
		memcpy(cell, &x, sizeof(x));
		break;
	}
	case 'B': {
		uint8_t x = (uint8_t) v->i;
		memcpy(cell, &x, sizeof(x));
		break;
	}
	case 'h': {
		int16_t x = (int16_t) v->i;
		memcpy(cell, &x, sizeof(x));
		break;
	}
	case 'H': {
		uint16_t x = (uint16_t) v->i;
		memcpy(cell, &x, sizeof(x));
		break;
	}
	case 'i': {
		int32_t x = (int32_t) v->i;
		memcpy(cell, &x, sizeof(x));
		break;
	}
	case 'I': {
		uint32_t x = (uint32_t) v->i;
		memcpy(cell, &x, sizeof(x));
		break;
	}
	case 'l':
	case 'q': {
		int64_t x = v->i;
		memcpy(cell, &x, sizeof(x));
		break;
	}
	case 'L':
	case 'Q': {
		uint64_t x = (uint64_t) v->i;
		memcpy(cell, &x, sizeof(x));
		break;
	}
	case 'f': {
		float x = (float) (v->kind == SV_INT ? (double) v->i : v->f);
		memcpy(cell, &x, sizeof(x));
		break;
	}
	default: { // 'd'
		double x = v->kind == SV_INT ? (double) v->i : v->f;
		memcpy(cell, &x, sizeof(x));
		break;
	}
	}
	return 0;
}

sval
tc_load(const tcode *t, const void *cell)
{
	switch (t->code) {
	case 'b': {
		int8_t x;
		memcpy(&x, cell, sizeof(x));
		return sv_int(x);
	}
	case 'B': {
		uint8_t x;
		memcpy(&x, cell, sizeof(x));
		return sv_int(x);
	}
	case 'h': {
		int16_t x;
		memcpy(&x, cell, sizeof(x));
		return sv_int(x);
	}
	case 'H': {
		uint16_t x;
		memcpy(&x, cell, sizeof(x));
		return sv_int(x);
	}
	case 'i': {
		int32_t x;
		memcpy(&x, cell, sizeof(x));
		return sv_int(x);
	}
	case 'I': {
		uint32_t x;
		memcpy(&x, cell, sizeof(x));
		return sv_int(x);
	}
	case 'l':
	case 'q': {
		int64_t x;
		memcpy(&x, cell, sizeof(x));
		return sv_int(x);
	}
	case 'L':
	case 'Q': {
		// Never above INT64_MAX: tc_store and tc_add keep it so.
		uint64_t x;
		memcpy(&x, cell, sizeof(x));
		return sv_int((int64_t) x);
	}
	case 'f': {
		float x;
		memcpy(&x, cell, sizeof(x));
		return sv_float(x);
	}
	default: { // 'd'
		double x;
		memcpy(&x, cell, sizeof(x));
		return sv_float(x);
	}
	}
}

int
tc_add(const tcode *t, void *cell, const sval *delta, sval *result, char *err,
    size_t errcap)
{
	const char *self = t->kind == TC_FLOAT ? "float" : "int";
	if (delta->kind != SV_INT && delta->kind != SV_FLOAT) {
		return fail(err, errcap, MGR_ETYPE,
		    "unsupported operand type(s) for +=: '%s' and '%s'", self,
		    sv_type_name(delta));
	}
	sval cur = tc_load(t, cell);
	sval sum;
	if (t->kind == TC_FLOAT) {
		double d
		    = delta->kind == SV_INT ? (double) delta->i : delta->f;
		sum = sv_float(cur.f + d);
	} else if (delta->kind != SV_INT) {
		// int + float is a float, which an int typecode cannot hold.
		return fail(err, errcap, MGR_ETYPE,
		    "'float' object cannot be interpreted as an integer");
	} else if (__builtin_add_overflow(cur.i, delta->i, &sum.i)) {
		// Past int64, so past every int typecode's range too.
		return range_error(t, err, errcap);
	} else {
		sum.kind = SV_INT;
	}
	int rc = tc_store(t, &sum, cell, err, errcap);
	if (rc != 0) {
		return rc;
	}
	if (result != NULL) {
		*result = tc_load(t, cell);
	}
	return 0;
}
