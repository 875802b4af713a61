/* The manager's values: construction, copy, typed equality and hashing,
 * ordering for sort, repr for error details (the protobuf codec is in
 * codec.c).
 *
 * Recursion: values only come into the manager through sv_from_pb, which
 * refuses more than SV_MAX_DEPTH nested containers, so every recursive walk
 * here is bounded. The walks that can fail (copy, compare, encode) check
 * the depth again and give MGR_ETOOBIG, because handlers wrap stored values
 * one or two levels deeper in their results (list.copy, dict.items); the
 * ones that cannot fail (equal, hash, hashable, repr) stop at the limit.
 */
#include "value.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bigmem.h"
#include "clock.h"
#include "mgr.h"
#include "prefault.h"
#include "repr.h"
#include "sdict.h"
#include "siphash.h"
#include "svec.h"

/* ---- construction ---------------------------------------------------------
 */

/* A heap string's fingerprint in its ihead: a function of its length and
 * of three 8-byte windows (head, middle, tail: it is longer than 13), so
 * that it costs the same for a byte or a megabyte. Only a filter for
 * equality (equal strings have equal ones); never a hash for a table. */
_Static_assert(SV_INLINE_MAX >= 8, "a heap string holds three windows");

static void
fingerprint(sval *out, const char *p, size_t len)
{
	uint64_t a, b, c;
	memcpy(&a, p, 8);
	memcpy(&b, p + len / 2 - 4, 8);
	memcpy(&c, p + len - 8, 8);
	uint64_t h = (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL)
	    ^ (c * 0x165667b19e3779f9ULL) ^ (uint64_t) len;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	memcpy(out->ihead, &h, sizeof(out->ihead));
}

/* ---- heap strings ---------------------------------------------------- */

/* A big one (BIGMEM_MIN bytes and over) lives in a mapping of its own, so
 * that letting it go unmaps it later, a slice at a time (bigmem_reclaim),
 * not in one munmap while every client waits: a 60 MiB value replaced
 * held the lock for the unmapping. It is counted, so that a reply can
 * send it from where it is after the lock is dropped (sv_sstr_pin). */

typedef struct big_head {
	atomic_uint refs;
	uint32_t    pad; /* the sstr after it stays 8-byte aligned */
} big_head;

static size_t
sstr_bytes(size_t len)
{
	return sizeof(sstr) + len + 1;
}

static big_head *
head_of(sstr *s)
{
	return (big_head *) ((char *) s - sizeof(big_head));
}

static sstr *
sstr_new(size_t len)
{
	sstr *s;
	if (len >= BIGMEM_MIN) {
		big_head *h
		    = bigmem_alloc(sizeof(big_head) + sstr_bytes(len), false);
		if (h == NULL) {
			return NULL;
		}
		atomic_init(&h->refs, 1);
		s = (sstr *) (h + 1);
	} else if ((s = malloc(sstr_bytes(len))) == NULL) {
		return NULL;
	}
	s->len = (uint32_t) len;
	return s;
}

static void
sstr_free(sstr *s)
{
	if (s == NULL || s->len < BIGMEM_MIN) {
		free(s);
		return;
	}
	big_head *h = head_of(s);
	if (atomic_fetch_sub(&h->refs, 1) == 1) {
		bigmem_free(h, sizeof(big_head) + sstr_bytes(s->len));
	}
}

sstr *
sv_sstr_prepare(const char *p, size_t len)
{
	if (len <= SV_INLINE_MAX || len >= UINT32_MAX) {
		return NULL;
	}
	sstr *s = sstr_new(len);
	if (s != NULL) {
		prefault_range(s, sstr_bytes(len));
		memcpy(s->data, p, len);
		s->data[len] = '\0';
	}
	return s;
}

void
sv_sstr_free(sstr *s)
{
	sstr_free(s);
}

sstr *
sv_big_sstr(const sval *v)
{
	bool heap
	    = (v->kind == SV_STR || v->kind == SV_BYTES) && v->ilen == 0;
	return heap && v->str->len >= BIGMEM_MIN ? v->str : NULL;
}

sstr *
sv_sstr_pin(sstr *s)
{
	atomic_fetch_add(&head_of(s)->refs, 1);
	return s;
}

void
sv_adopt_str(sval *out, sv_kind kind, sstr *s)
{
	*out      = SV_NONE_INIT;
	out->kind = (uint8_t) kind;
	out->str  = s;
	fingerprint(out, s->data, s->len);
}

int
sv_str(sval *out, sv_kind kind, const char *p, size_t len)
{
	*out = SV_NONE_INIT;
	if (len >= UINT32_MAX) {
		return MGR_ETOOBIG;
	}
	if (len <= SV_INLINE_MAX) {
		char *d   = (char *) out + offsetof(sval, ihead);
		out->kind = (uint8_t) kind;
		out->ilen = (uint8_t) (len + 1);
		if (len > 0) {
			memcpy(d, p, len);
		}
		d[len] = '\0';
		return 0;
	}
	sstr *s = sstr_new(len);
	if (s == NULL) {
		return MGR_ENOMEM;
	}
	if (len > 0) {
		memcpy(s->data, p, len);
	}
	s->data[len] = '\0';
	out->kind    = (uint8_t) kind;
	out->str     = s;
	fingerprint(out, p, len);
	return 0;
}

static const sv_ref_hooks *ref_hooks;

void
sv_set_ref_hooks(const sv_ref_hooks *h)
{
	ref_hooks = h;
}

const sv_ref_hooks *
sv_refs(void)
{
	return ref_hooks;
}

sval
sv_ref(struct mobj *o)
{
	ref_hooks->hold(o);
	return (sval) { .kind = SV_REF, .ref = o };
}

int
sv_new_list(sval *out, sv_kind kind, size_t cap_hint)
{
	*out = SV_NONE_INIT;
	if (kind != SV_LIST && kind != SV_TUPLE) {
		return MGR_EINVAL;
	}
	svec *v = svec_new(cap_hint);
	if (v == NULL) {
		return MGR_ENOMEM;
	}
	out->kind = (uint8_t) kind;
	out->vec  = v;
	return 0;
}

int
sv_new_dict(sval *out)
{
	*out     = SV_NONE_INIT;
	sdict *d = sdict_new(0);
	if (d == NULL) {
		return MGR_ENOMEM;
	}
	out->kind = SV_DICT;
	out->dict = d;
	return 0;
}

void
sv_free(sval *v)
{
	// Reset first: a reference dropped here may destroy an object whose
	// destruction must not see this value half-freed.
	sval old = sv_move(v);
	switch (old.kind) {
	case SV_STR:
	case SV_BYTES:
		if (old.ilen == 0) {
			sstr_free(old.str);
		}
		break;
	case SV_LIST:
	case SV_TUPLE:
		svec_free(old.vec);
		break;
	case SV_DICT:
		sdict_free(old.dict);
		break;
	case SV_REF:
		ref_hooks->drop(old.ref);
		break;
	default:
		break;
	}
}

/* ---- copy -----------------------------------------------------------------
 */

static int
copy_d(sval *dst, const sval *src, int depth)
{
	*dst = SV_NONE_INIT;
	switch (src->kind) {
	case SV_STR:
	case SV_BYTES:
		return sv_str(dst, src->kind, sv_sdata(src), sv_slen(src));
	case SV_REF:
		*dst = sv_ref(src->ref);
		return 0;
	case SV_LIST:
	case SV_TUPLE: {
		if (depth >= SV_MAX_DEPTH) {
			return MGR_ETOOBIG;
		}
		size_t n = src->vec->len;
		svec  *v = svec_new(n);
		if (v == NULL) {
			return MGR_ENOMEM;
		}
		for (size_t i = 0; i < n; i++) {
			int rc = copy_d(
			    &v->items[i], &src->vec->items[i], depth + 1);
			if (rc != 0) {
				v->len = i;
				svec_free(v);
				return rc;
			}
		}
		v->len    = n;
		dst->kind = src->kind;
		dst->vec  = v;
		return 0;
	}
	case SV_DICT: {
		if (depth >= SV_MAX_DEPTH) {
			return MGR_ETOOBIG;
		}
		sdict *d = sdict_new(sdict_len(src->dict));
		if (d == NULL) {
			return MGR_ENOMEM;
		}
		size_t pos = 0;
		sval  *k, *v;
		while (sdict_next(src->dict, &pos, &k, &v)) {
			sval kc, vc;
			int  rc = copy_d(&kc, k, depth + 1);
			if (rc == 0
			    && (rc = copy_d(&vc, v, depth + 1)) != 0) {
				sv_free(&kc);
			}
			if (rc == 0 && (rc = sdict_set(d, &kc, &vc)) != 0) {
				sv_free(&kc);
				sv_free(&vc);
			}
			if (rc != 0) {
				sdict_free(d);
				return rc;
			}
		}
		dst->kind = SV_DICT;
		dst->dict = d;
		return 0;
	}
	default:
		*dst = *src;
		return 0;
	}
}

int
sv_copy(sval *dst, const sval *src)
{
	return copy_d(dst, src, 0);
}

/* ---- equality and hashing
 * --------------------------------------------------- */

static bool
equal_d(const sval *a, const sval *b, int depth)
{
	if (a->kind != b->kind) {
		return false;
	}
	switch (a->kind) {
	case SV_NONE:
		return true;
	case SV_BOOL:
		return a->b == b->b;
	case SV_INT:
		return a->i == b->i;
	case SV_FLOAT:
		// NaN equals NaN so that a NaN key can be found again.
		return a->f == b->f || (isnan(a->f) && isnan(b->f));
	case SV_STR:
	case SV_BYTES:
		// Inline ones of other lengths, or one inline and one not
		// (longer), or heap ones of other fingerprints: unequal,
		// told without reading a heap string.
		if (a->ilen != b->ilen
		    || (a->ilen == 0
		        && memcmp(a->ihead, b->ihead, sizeof(a->ihead))
		            != 0)) {
			return false;
		}
		return sv_slen(a) == sv_slen(b)
		    && memcmp(sv_sdata(a), sv_sdata(b), sv_slen(a)) == 0;
	case SV_LIST:
	case SV_TUPLE:
		if (depth >= SV_MAX_DEPTH || a->vec->len != b->vec->len) {
			return false;
		}
		for (size_t i = 0; i < a->vec->len; i++) {
			if (!equal_d(&a->vec->items[i], &b->vec->items[i],
			        depth + 1)) {
				return false;
			}
		}
		return true;
	case SV_DICT: {
		// As sets of pairs: the order does not matter, as in Python.
		if (depth >= SV_MAX_DEPTH
		    || sdict_len(a->dict) != sdict_len(b->dict)) {
			return false;
		}
		size_t pos = 0;
		sval  *k, *v;
		while (sdict_next(a->dict, &pos, &k, &v)) {
			const sval *w = sdict_get(b->dict, k);
			if (w == NULL || !equal_d(v, w, depth + 1)) {
				return false;
			}
		}
		return true;
	}
	case SV_REF:
		return a->ref == b->ref;
	default:
		return false;
	}
}

bool
sv_equal(const sval *a, const sval *b)
{
	return equal_d(a, b, 0);
}

static bool
hashable_d(const sval *v, int depth)
{
	switch (v->kind) {
	case SV_LIST:
	case SV_DICT:
		return false;
	case SV_TUPLE:
		if (depth >= SV_MAX_DEPTH) {
			return false;
		}
		for (size_t i = 0; i < v->vec->len; i++) {
			if (!hashable_d(&v->vec->items[i], depth + 1)) {
				return false;
			}
		}
		return true;
	default:
		return true;
	}
}

bool
sv_hashable(const sval *v)
{
	return hashable_d(v, 0);
}

size_t
sv_nested_count(const sval *v, size_t cap)
{
	size_t n = 0;
	if (v->kind == SV_LIST || v->kind == SV_TUPLE) {
		n = svec_len(v->vec);
		for (size_t i = 0; i < svec_len(v->vec) && n <= cap; i++) {
			n += sv_nested_count(svec_at(v->vec, i), cap - n);
		}
	} else if (v->kind == SV_DICT) {
		size_t pos = 0;
		sval  *k, *x;
		n = sdict_len(v->dict);
		while (n <= cap && sdict_next(v->dict, &pos, &k, &x)) {
			n += sv_nested_count(k, cap - n); // tuples as keys
			n += n <= cap ? sv_nested_count(x, cap - n) : 0;
		}
	}
	return n;
}

/* The splitmix64 finalizer: a bijection with full avalanche, so that keys
 * differing in one bit spread over the whole index. */
static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint64_t
rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Every hash is SipHash-1-3 under a key drawn at random once per process
 * (as Python and Redis do): with a fixed function, keys that collide can
 * be computed offline, and one request of them keeps the server lock for
 * as long as the probes take. Each kind hashes under its own key (typed
 * equality: 1, 1.0, true and b"1" should not even tend to collide). */
static uint64_t       hash_key[2];
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

static void
hash_key_init(void)
{
	if (getrandom(hash_key, sizeof(hash_key), 0) != sizeof(hash_key)) {
		// No entropy source: still unknown to a remote client.
		hash_key[0]
		    = mix64((uint64_t) clock_us() ^ (uint64_t) getpid());
		hash_key[1] = mix64(hash_key[0] ^ (uintptr_t) &hash_key);
	}
}

static uint64_t
hash_of(sv_kind kind, const void *data, size_t len)
{
	uint64_t k[2]
	    = { hash_key[0] ^ ((uint64_t) kind << 56), hash_key[1] };
	return siphash13(k, data, len);
}

static uint64_t
hash_u64(sv_kind kind, uint64_t x)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char) (x >> (8 * i));
	}
	return hash_of(kind, b, sizeof(b));
}

static uint64_t
hash_d(const sval *v, int depth)
{
	switch (v->kind) {
	case SV_BOOL:
		return hash_u64(SV_BOOL, v->b);
	case SV_INT:
		return hash_u64(SV_INT, (uint64_t) v->i);
	case SV_FLOAT: {
		// Equal floats must hash alike: -0.0 == 0.0, and all NaNs.
		double   f = v->f == 0.0 ? 0.0 : v->f;
		uint64_t bits;
		if (isnan(f)) {
			bits = 0x7ff8000000000000ULL;
		} else {
			memcpy(&bits, &f, sizeof(bits));
		}
		return hash_u64(SV_FLOAT, bits);
	}
	case SV_STR:
	case SV_BYTES:
		return hash_of(v->kind, sv_sdata(v), sv_slen(v));
	case SV_LIST:
	case SV_TUPLE: {
		// xxHash64's round over the items' (keyed) hashes, as
		// CPython's tuple hash does, then keyed again with the
		// length.
		uint64_t acc = 0x27d4eb2f165667c5ULL;
		if (depth < SV_MAX_DEPTH) {
			for (size_t i = 0; i < v->vec->len; i++) {
				uint64_t h
				    = hash_d(&v->vec->items[i], depth + 1);
				acc += h * 0xc2b2ae3d27d4eb4fULL;
				acc = rotl64(acc, 31);
				acc *= 0x9e3779b185ebca87ULL;
			}
		}
		return hash_u64(v->kind, acc ^ v->vec->len);
	}
	case SV_DICT: {
		// Order-independent, like sv_equal of dicts. (Never a key;
		// defined for completeness.)
		uint64_t acc = 0;
		if (depth < SV_MAX_DEPTH) {
			size_t pos = 0;
			sval  *k, *x;
			while (sdict_next(v->dict, &pos, &k, &x)) {
				acc += mix64(hash_d(k, depth + 1)
				    ^ rotl64(hash_d(x, depth + 1), 17));
			}
		}
		return hash_u64(SV_DICT, acc ^ sdict_len(v->dict));
	}
	case SV_REF:
		return hash_u64(SV_REF, ref_hooks->id(v->ref));
	default:
		return hash_u64(SV_NONE, 0);
	}
}

uint64_t
sv_hash(const sval *v)
{
	pthread_once(&hash_key_once, hash_key_init);
	return hash_d(v, 0);
}

/* ---- ordering -------------------------------------------------------------
 */

static bool
is_number(const sval *v)
{
	return v->kind == SV_BOOL || v->kind == SV_INT || v->kind == SV_FLOAT;
}

static int
sign3(double d)
{
	// NaN compares neither way: 0, as Python's "<" is false both ways.
	return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/* Exact comparison of an int with a float, as Python does (no rounding of
 * the int to a double). */
static int
cmp_int_float(int64_t i, double f)
{
	if (isnan(f)) {
		return 0;
	}
	if (f >= 9223372036854775808.0) {
		return -1;
	}
	if (f < -9223372036854775808.0) {
		return 1;
	}
	double  t  = trunc(f); // in [-2^63, 2^63): exact as an int64
	int64_t ti = (int64_t) t;
	if (i != ti) {
		return i < ti ? -1 : 1;
	}
	return sign3(t - f);
}

static int
cmp_numbers(const sval *a, const sval *b)
{
	if (a->kind == SV_FLOAT && b->kind == SV_FLOAT) {
		return a->f < b->f ? -1 : a->f > b->f ? 1 : 0;
	}
	if (a->kind == SV_FLOAT) {
		return -cmp_int_float(b->kind == SV_BOOL ? b->b : b->i, a->f);
	}
	if (b->kind == SV_FLOAT) {
		return cmp_int_float(a->kind == SV_BOOL ? a->b : a->i, b->f);
	}
	int64_t x = a->kind == SV_BOOL ? a->b : a->i;
	int64_t y = b->kind == SV_BOOL ? b->b : b->i;
	return x < y ? -1 : x > y ? 1 : 0;
}

static int
compare_d(const sval *a, const sval *b, int *cmp, const sval **bad_a,
    const sval **bad_b, int depth)
{
	if (is_number(a) && is_number(b)) {
		*cmp = cmp_numbers(a, b);
		return 0;
	}
	if (a->kind != b->kind) {
		goto bad;
	}
	switch (a->kind) {
	case SV_STR: // UTF-8 byte order is code point order
	case SV_BYTES: {
		uint32_t n
		    = sv_slen(a) < sv_slen(b) ? sv_slen(a) : sv_slen(b);
		int c = memcmp(sv_sdata(a), sv_sdata(b), n);
		if (c == 0 && sv_slen(a) != sv_slen(b)) {
			// A prefix sorts first.
			c = sv_slen(a) < sv_slen(b) ? -1 : 1;
		}
		*cmp = c < 0 ? -1 : c > 0 ? 1 : 0;
		return 0;
	}
	case SV_LIST:
	case SV_TUPLE: {
		if (depth >= SV_MAX_DEPTH) {
			return MGR_ETOOBIG;
		}
		// Python: the first pair that is not equal decides.
		size_t na = a->vec->len, nb = b->vec->len;
		for (size_t i = 0; i < na && i < nb; i++) {
			const sval *x = &a->vec->items[i];
			const sval *y = &b->vec->items[i];
			if (equal_d(x, y, depth + 1)) {
				continue;
			}
			int c;
			int rc = compare_d(x, y, &c, bad_a, bad_b, depth + 1);
			if (rc != 0) {
				return rc;
			}
			if (c != 0) {
				*cmp = c;
				return 0;
			}
		}
		*cmp = na < nb ? -1 : na > nb ? 1 : 0;
		return 0;
	}
	default:
		break;
	}
bad:
	if (bad_a != NULL) {
		*bad_a = a;
	}
	if (bad_b != NULL) {
		*bad_b = b;
	}
	return MGR_ETYPE;
}

int
sv_compare_ex(const sval *a, const sval *b, int *cmp, const sval **bad_a,
    const sval **bad_b)
{
	int c  = 0;
	int rc = compare_d(a, b, &c, bad_a, bad_b, 0);
	if (rc == 0) {
		*cmp = c;
	}
	return rc;
}

int
sv_compare(const sval *a, const sval *b, int *cmp)
{
	return sv_compare_ex(a, b, cmp, NULL, NULL);
}

/* ---- names and repr
 * ---------------------------------------------------------- */

const char *
sv_type_name(const sval *v)
{
	switch (v->kind) {
	case SV_NONE:
		return "NoneType";
	case SV_BOOL:
		return "bool";
	case SV_INT:
		return "int";
	case SV_FLOAT:
		return "float";
	case SV_STR:
		return "str";
	case SV_BYTES:
		return "bytes";
	case SV_LIST:
		return "list";
	case SV_TUPLE:
		return "tuple";
	case SV_DICT:
		return "dict";
	case SV_REF:
		return v->ref != NULL ? ref_hooks->type_name(v->ref) : "ref";
	default:
		return "unknown";
	}
}

static void
repr_d(repr_buf *r, const sval *v, int depth)
{
	char tmp[64];
	if (r->full) {
		return;
	}
	switch (v->kind) {
	case SV_NONE:
		repr_puts(r, "None");
		break;
	case SV_BOOL:
		repr_puts(r, v->b ? "True" : "False");
		break;
	case SV_INT:
		snprintf(tmp, sizeof(tmp), "%lld", (long long) v->i);
		repr_puts(r, tmp);
		break;
	case SV_FLOAT:
		repr_float(r, v->f);
		break;
	case SV_STR:
	case SV_BYTES:
		if (v->kind == SV_STR) {
			repr_str(r, sv_sdata(v), sv_slen(v));
		} else {
			repr_bytes(r, (const unsigned char *) sv_sdata(v),
			    sv_slen(v));
		}
		break;
	case SV_LIST:
	case SV_TUPLE: {
		bool list = v->kind == SV_LIST;
		repr_puts(r, list ? "[" : "(");
		if (depth >= SV_MAX_DEPTH) {
			repr_puts(r, "...");
		} else {
			for (size_t i = 0; i < v->vec->len && !r->full; i++) {
				if (i > 0) {
					repr_puts(r, ", ");
				}
				repr_d(r, &v->vec->items[i], depth + 1);
			}
		}
		if (!list && v->vec->len == 1) {
			repr_puts(r, ",");
		}
		repr_puts(r, list ? "]" : ")");
		break;
	}
	case SV_DICT: {
		repr_puts(r, "{");
		if (depth >= SV_MAX_DEPTH) {
			repr_puts(r, "...");
		} else {
			size_t pos = 0;
			sval  *k, *x;
			bool   first = true;
			while (
			    !r->full && sdict_next(v->dict, &pos, &k, &x)) {
				if (!first) {
					repr_puts(r, ", ");
				}
				first = false;
				repr_d(r, k, depth + 1);
				repr_puts(r, ": ");
				repr_d(r, x, depth + 1);
			}
		}
		repr_puts(r, "}");
		break;
	}
	case SV_REF:
		snprintf(tmp, sizeof(tmp), "<%s object #%llu>",
		    sv_type_name(v),
		    (unsigned long long) ref_hooks->id(v->ref));
		repr_puts(r, tmp);
		break;
	default:
		repr_puts(r, "<?>");
		break;
	}
}

const char *
sv_repr(const sval *v, char *buf, size_t cap)
{
	if (cap == 0) {
		return buf;
	}
	repr_buf r;
	repr_init(&r, buf, cap);
	repr_d(&r, v, 0);
	repr_end(&r);
	if (r.full && cap >= 4) {
		memcpy(buf + cap - 4, "...", 4);
	}
	return buf;
}

/* ---- reference walk
 * ---------------------------------------------------------- */

static void
each_ref_d(sval *v, void (*fn)(sval *ref, void *arg), void *arg, int depth)
{
	switch (v->kind) {
	case SV_REF:
		fn(v, arg);
		break;
	case SV_LIST:
	case SV_TUPLE:
		if (depth < SV_MAX_DEPTH) {
			for (size_t i = 0; i < v->vec->len; i++) {
				each_ref_d(
				    &v->vec->items[i], fn, arg, depth + 1);
			}
		}
		break;
	case SV_DICT:
		if (depth < SV_MAX_DEPTH) {
			size_t pos = 0;
			sval  *k, *x;
			while (sdict_next(v->dict, &pos, &k, &x)) {
				each_ref_d(k, fn, arg, depth + 1);
				each_ref_d(x, fn, arg, depth + 1);
			}
		}
		break;
	default:
		break;
	}
}

void
sv_each_ref(sval *v, void (*fn)(sval *ref, void *arg), void *arg)
{
	each_ref_d(v, fn, arg, 0);
}
