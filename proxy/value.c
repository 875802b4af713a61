/* Values on the client side: constructors, free, copy, typed equality,
 * Python's repr and the calling thread's error detail. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "repr.h"

/* Local walks (copy, equal, repr) stop here: a constructed value may be
 * cyclic (a list whose items contain itself) and must not overflow the
 * stack. Far deeper than anything the wire accepts (64). */
#define VALUE_MAX_WALK 1000

/* ---- errors ------------------------------------------------------------ */

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

static int
copy_bytes(mgr_value *dst, const void *p, size_t len)
{
	char *s;
	ARG_CHECK(!(p == NULL && len > 0), p, "is NULL with len > 0");
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
		ARG_NONNULL(src->s);
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
		ARG_NONNULL(src->ref);
		if ((rv = obj_dup(src->ref, &v.ref)) != 0) {
			return rv;
		}
		break;
	case MGR_LIST:
	case MGR_TUPLE:
	case MGR_DICT:
		n = src->kind == MGR_DICT ? 2 * src->len : src->len;
		ARG_CHECK(src->kind != MGR_DICT || src->len <= SIZE_MAX / 2,
		    src, "is a dict of too many pairs");
		ARG_CHECK(!(n > 0 && src->items == NULL), src->items,
		    "is NULL with n > 0");
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
	client_set_detail(NULL); // this call's failure, not an earlier one's
	ARG_NONNULL(dst);
	ARG_NONNULL(src);
	return copy_rec(dst, src, 0);
}

int
mgr_value_take(mgr_value *dst, mgr_value *src)
{
	client_set_detail(NULL);
	ARG_NONNULL(dst);
	ARG_NONNULL(src);
	bool plain = src->kind == MGR_NONE || src->kind == MGR_BOOL
	    || src->kind == MGR_INT || src->kind == MGR_FLOAT;
	if (plain || (src->flags & MGR_VALUE_OWNED) != 0) {
		*dst = *src;
		*src = mgr_none();
		return 0;
	}
	return copy_rec(dst, src, 0);
}

int
value_list_take(mgr_value *items, size_t n, mgr_value *out)
{
	mgr_value *v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL) {
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		int rv = mgr_value_take(&v[i], &items[i]);
		if (rv != 0) {
			for (size_t k = 0; k < i; k++) {
				mgr_value_free(&v[k]);
			}
			free(v);
			return rv;
		}
	}
	*out = (mgr_value) { .kind = MGR_LIST,
		.flags             = MGR_VALUE_OWNED,
		.len               = n,
		.items             = v };
	return 0;
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

/* ---- repr (the formatting of each kind is common/repr.c) ---------- */

static int repr_rec(repr_buf *w, const mgr_value *v, int depth);

static int
repr_items(
    repr_buf *w, const mgr_value *items, size_t n, size_t step, int depth)
{
	int rv;
	for (size_t k = 0; k < n && !w->full; k++) {
		if (k > 0) {
			repr_puts(w, ", ");
		}
		if ((rv = repr_rec(w, &items[k * step], depth + 1)) != 0) {
			return rv;
		}
		if (step == 2) {
			repr_puts(w, ": ");
			rv = repr_rec(w, &items[k * step + 1], depth + 1);
			if (rv != 0) {
				return rv;
			}
		}
	}
	return 0;
}

static int
repr_rec(repr_buf *w, const mgr_value *v, int depth)
{
	char tmp[64];
	int  rv;

	if (depth > VALUE_MAX_WALK) {
		return MGR_ETOOBIG;
	}
	switch (v->kind) {
	case MGR_NONE:
		repr_puts(w, "None");
		return 0;
	case MGR_BOOL:
		repr_puts(w, v->b ? "True" : "False");
		return 0;
	case MGR_INT:
		snprintf(tmp, sizeof(tmp), "%" PRId64, v->i);
		repr_puts(w, tmp);
		return 0;
	case MGR_FLOAT:
		repr_float(w, v->f);
		return 0;
	case MGR_STR:
		ARG_NONNULL(v->s);
		repr_str(w, v->s, v->len);
		return 0;
	case MGR_BYTES:
		ARG_CHECK(!(v->bytes == NULL && v->len > 0), v->bytes,
		    "is NULL with v->len > 0");
		repr_bytes(w, v->bytes, v->len);
		return 0;
	case MGR_REF:
		ARG_NONNULL(v->ref);
		snprintf(tmp, sizeof(tmp), "<RefProxy %s id=%" PRIu64 ">",
		    obj_type_name(v->ref->type), v->ref->id);
		repr_puts(w, tmp);
		return 0;
	case MGR_LIST:
	case MGR_TUPLE:
		ARG_CHECK(!(v->items == NULL && v->len > 0), v->items,
		    "is NULL with v->len > 0");
		repr_puts(w, v->kind == MGR_LIST ? "[" : "(");
		if ((rv = repr_items(w, v->items, v->len, 1, depth)) != 0) {
			return rv;
		}
		if (v->kind == MGR_TUPLE && v->len == 1) {
			repr_puts(w, ",");
		}
		repr_puts(w, v->kind == MGR_LIST ? "]" : ")");
		return 0;
	case MGR_DICT:
		ARG_CHECK(!(v->pairs == NULL && v->len > 0), v->pairs,
		    "is NULL with v->len > 0");
		repr_puts(w, "{");
		if ((rv = repr_items(w, v->pairs, v->len, 2, depth)) != 0) {
			return rv;
		}
		repr_puts(w, "}");
		return 0;
	default:
		return MGR_EINVAL;
	}
}

int
mgr_value_repr(const mgr_value *v, char *buf, size_t cap)
{
	repr_buf w;
	int      rv;
	client_set_detail(NULL); // this call's failure, not an earlier one's

	ARG_NONNULL(v);
	ARG_NONNULL(buf);
	if (cap == 0) {
		return MGR_ETOOBIG;
	}
	repr_init(&w, buf, cap);
	rv = repr_rec(&w, v, 0);
	repr_end(&w);
	if (rv != 0) {
		return rv;
	}
	return w.full ? MGR_ETOOBIG : 0;
}
