/* svec: the growable array under list and tuple values and shared lists
 * (see svec.h). Pure data: no I/O, no locking. */
#include "svec.h"

#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "mgr.h"

/* Above this many items a vector cannot be allocated on any host. */
#define SVEC_MAX (SIZE_MAX / sizeof(sval) / 2)

svec *
svec_new(size_t cap_hint)
{
	if (cap_hint > SVEC_MAX) {
		return NULL;
	}
	svec *v = malloc(sizeof(*v));
	if (v == NULL) {
		return NULL;
	}
	v->len   = 0;
	v->cap   = cap_hint;
	v->items = NULL;
	if (cap_hint > 0
	    && (v->items = bigmem_alloc(cap_hint * sizeof(sval), false))
	        == NULL) {
		free(v);
		return NULL;
	}
	return v;
}

bool
svec_free_some(svec *v, size_t *budget)
{
	while (*budget > 0 && v->len > 0) {
		sv_free(&v->items[--v->len]);
		(*budget)--;
	}
	if (v->len > 0) {
		return false;
	}
	svec_free(v);
	return true;
}

void
svec_free(svec *v)
{
	if (v == NULL) {
		return;
	}
	for (size_t i = 0; i < v->len; i++) {
		sv_free(&v->items[i]);
	}
	bigmem_free(v->items, v->cap * sizeof(sval));
	free(v);
}

int
svec_reserve(svec *v, size_t n)
{
	if (n <= v->cap) {
		return 0;
	}
	if (n > SVEC_MAX) {
		return MGR_ETOOBIG;
	}
	// Grow by half again (as CPython roughly does) but at least to n.
	size_t cap = v->cap + v->cap / 2 + 4;
	if (cap < n || cap > SVEC_MAX) {
		cap = n;
	}
	// A big one grows in place (bigmem: mremap), not by a copy of
	// every item while every client waits.
	sval *items = bigmem_grow(
	    v->items, v->cap * sizeof(sval), cap * sizeof(sval));
	if (items == NULL) {
		return MGR_ENOMEM;
	}
	v->items = items;
	v->cap   = cap;
	return 0;
}

/* Gives memory back when a vector has shrunk to a quarter of its room. */
static void
svec_shrink(svec *v)
{
	if (v->cap > 64 && v->len < v->cap / 4) {
		size_t cap   = v->cap / 2;
		sval  *items = bigmem_grow(
		     v->items, v->cap * sizeof(sval), cap * sizeof(sval));
		if (items != NULL) {
			v->items = items;
			v->cap   = cap;
		}
	}
}

int
svec_index_of(const svec *v, int64_t i, size_t *pos)
{
	if (i < 0) {
		i += (int64_t) v->len;
	}
	if (i < 0 || (uint64_t) i >= v->len) {
		return MGR_EINDEX;
	}
	*pos = (size_t) i;
	return 0;
}

sval *
svec_get(const svec *v, int64_t i)
{
	size_t pos;
	return svec_index_of(v, i, &pos) == 0 ? &v->items[pos] : NULL;
}

int
svec_append(svec *v, sval *item)
{
	int rc = svec_reserve(v, v->len + 1);
	if (rc != 0) {
		return rc;
	}
	v->items[v->len++] = sv_move(item);
	return 0;
}

size_t
svec_clamp(int64_t i, size_t len)
{
	if (i < 0) {
		i += (int64_t) len;
		if (i < 0) {
			return 0;
		}
	}
	return (uint64_t) i > len ? len : (size_t) i;
}

int
svec_insert(svec *v, int64_t i, sval *item)
{
	size_t pos = svec_clamp(i, v->len);
	int    rc  = svec_reserve(v, v->len + 1);
	if (rc != 0) {
		return rc;
	}
	memmove(&v->items[pos + 1], &v->items[pos],
	    (v->len - pos) * sizeof(sval));
	v->items[pos] = sv_move(item);
	v->len++;
	return 0;
}

int
svec_set(svec *v, int64_t i, sval *item)
{
	size_t pos;
	int    rc = svec_index_of(v, i, &pos);
	if (rc != 0) {
		return rc;
	}
	// Store first, free last: freeing may drop the last reference to
	// an object, and v must be consistent by then.
	sval old      = v->items[pos];
	v->items[pos] = sv_move(item);
	sv_free(&old);
	return 0;
}

/* Takes item pos out of v, closing the gap. */
static sval
svec_take(svec *v, size_t pos)
{
	sval x = v->items[pos];
	memmove(&v->items[pos], &v->items[pos + 1],
	    (v->len - pos - 1) * sizeof(sval));
	v->len--;
	svec_shrink(v);
	return x;
}

int
svec_del(svec *v, int64_t i)
{
	size_t pos;
	int    rc = svec_index_of(v, i, &pos);
	if (rc != 0) {
		return rc;
	}
	sval x = svec_take(v, pos);
	sv_free(&x);
	return 0;
}

int
svec_pop(svec *v, int64_t i, sval *out)
{
	size_t pos;
	int    rc = svec_index_of(v, i, &pos);
	if (rc != 0) {
		return rc;
	}
	*out = svec_take(v, pos);
	return 0;
}

int
svec_extend(svec *v, svec *src)
{
	if (src->len > SVEC_MAX - v->len) {
		return MGR_ETOOBIG;
	}
	int rc = svec_reserve(v, v->len + src->len);
	if (rc != 0) {
		return rc;
	}
	if (src->len > 0) {
		memcpy(
		    &v->items[v->len], src->items, src->len * sizeof(sval));
	}
	v->len += src->len;
	src->len = 0;
	return 0;
}

int
svec_find(const svec *v, const sval *x, size_t *pos)
{
	for (size_t i = 0; i < v->len; i++) {
		if (sv_equal(&v->items[i], x)) {
			*pos = i;
			return 0;
		}
	}
	return MGR_EVALUE;
}

int
svec_remove(svec *v, const sval *x)
{
	size_t pos;
	int    rc = svec_find(v, x, &pos);
	if (rc != 0) {
		return rc;
	}
	sval old = svec_take(v, pos);
	sv_free(&old);
	return 0;
}

size_t
svec_count(const svec *v, const sval *x)
{
	size_t n = 0;
	for (size_t i = 0; i < v->len; i++) {
		n += sv_equal(&v->items[i], x);
	}
	return n;
}

void
svec_reverse(svec *v)
{
	for (size_t i = 0, j = v->len; i + 1 < j; i++, j--) {
		sval t          = v->items[i];
		v->items[i]     = v->items[j - 1];
		v->items[j - 1] = t;
	}
}

typedef struct sorter {
	bool         reverse;
	int          rc; /* first error met; the sort then winds down */
	const sval **bad_a;
	const sval **bad_b;
} sorter;

/* Must b (the later item) go before a? Python's sort asks only "b < a";
 * with reverse it asks "a < b", which keeps equal items in their order. */
static bool
goes_before(sorter *s, const sval *b, const sval *a)
{
	int c = 0;
	if (s->rc != 0) {
		return false;
	}
	s->rc = s->reverse ? sv_compare_ex(a, b, &c, s->bad_a, s->bad_b)
	                   : sv_compare_ex(b, a, &c, s->bad_a, s->bad_b);
	return s->rc == 0 && c < 0;
}

#define SORT_RUN 32

/* Stable bottom-up merge sort of pointers: runs of SORT_RUN by insertion,
 * then merges of doubling width between w and t. Returns the array that
 * holds the result. */
static const sval **
merge_sort(sorter *s, const sval **w, const sval **t, size_t n)
{
	for (size_t lo = 0; lo < n && s->rc == 0; lo += SORT_RUN) {
		size_t hi = n - lo > SORT_RUN ? lo + SORT_RUN : n;
		for (size_t i = lo + 1; i < hi; i++) {
			const sval *x = w[i];
			size_t      j = i;
			while (j > lo && goes_before(s, x, w[j - 1])) {
				w[j] = w[j - 1];
				j--;
			}
			w[j] = x;
		}
	}
	for (size_t width = SORT_RUN; width < n && s->rc == 0; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = n - lo > width ? lo + width : n;
			size_t hi  = n - mid > width ? mid + width : n;
			size_t i = lo, j = mid, k = lo;
			// Already in order (common for sorted input): copy.
			if (mid < hi && goes_before(s, w[mid], w[mid - 1])) {
				while (i < mid && j < hi) {
					t[k++] = goes_before(s, w[j], w[i])
					    ? w[j++]
					    : w[i++];
				}
			}
			while (i < mid) {
				t[k++] = w[i++];
			}
			while (j < hi) {
				t[k++] = w[j++];
			}
		}
		const sval **x = w;
		w              = t;
		t              = x;
	}
	return w;
}

int
svec_sort(svec *v, bool reverse, const sval **bad_a, const sval **bad_b)
{
	size_t n = v->len;
	if (n < 2) {
		return 0;
	}
	// Sort pointers into v->items, so that v is untouched until every
	// comparison has succeeded (and *bad_a/*bad_b point into v).
	const sval **w     = malloc(n * sizeof(*w));
	const sval **t     = malloc(n * sizeof(*t));
	sval        *items = bigmem_alloc(v->cap * sizeof(sval), false);
	if (w == NULL || t == NULL || items == NULL) {
		free(w);
		free(t);
		bigmem_free(items, v->cap * sizeof(sval));
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		w[i] = &v->items[i];
	}
	sorter s = { .reverse = reverse, .bad_a = bad_a, .bad_b = bad_b };
	const sval **res = merge_sort(&s, w, t, n);
	if (s.rc == 0) {
		for (size_t i = 0; i < n; i++) {
			items[i] = *res[i];
		}
		bigmem_free(v->items, v->cap * sizeof(sval));
		v->items = items;
		items    = NULL;
	}
	free(w);
	free(t);
	bigmem_free(items, v->cap * sizeof(sval));
	return s.rc;
}

void
svec_clear(svec *v)
{
	// Detach first (freeing may destroy objects), and give the memory
	// back as Python's list.clear does.
	sval  *items = v->items;
	size_t n = v->len, cap = v->cap;
	v->items = NULL;
	v->len   = 0;
	v->cap   = 0;
	for (size_t i = 0; i < n; i++) {
		sv_free(&items[i]);
	}
	bigmem_free(items, cap * sizeof(sval));
}

int
svec_slice(const svec *v, int64_t start, int64_t stop, svec **out)
{
	size_t lo = svec_clamp(start, v->len);
	size_t hi = svec_clamp(stop, v->len);
	size_t n  = hi > lo ? hi - lo : 0;
	svec  *r  = svec_new(n);
	if (r == NULL) {
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = sv_copy(&r->items[i], &v->items[lo + i]);
		if (rc != 0) {
			r->len = i;
			svec_free(r);
			return rc;
		}
	}
	r->len = n;
	*out   = r;
	return 0;
}

int
svec_copy(const svec *v, svec **out)
{
	return svec_slice(v, 0, (int64_t) v->len, out);
}
