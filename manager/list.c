/* The list type: svec, the pure data part (also the storage of list and
 * tuple values), then the request handlers of a shared list. */
#include "list.h"

#include <stdlib.h>
#include <string.h>

#include "object.h"

/* ==== svec: pure data ======================================================
 */

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
	    && (v->items = malloc(cap_hint * sizeof(sval))) == NULL) {
		free(v);
		return NULL;
	}
	return v;
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
	free(v->items);
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
	sval *items = realloc(v->items, cap * sizeof(sval));
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
		sval  *items = realloc(v->items, cap * sizeof(sval));
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
	sval        *items = malloc(v->cap * sizeof(sval));
	if (w == NULL || t == NULL || items == NULL) {
		free(w);
		free(t);
		free(items);
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
		free(v->items);
		v->items = items;
		items    = NULL;
	}
	free(w);
	free(t);
	free(items);
	return s.rc;
}

void
svec_clear(svec *v)
{
	// Detach first (freeing may destroy objects), and give the memory
	// back as Python's list.clear does.
	sval  *items = v->items;
	size_t n     = v->len;
	v->items     = NULL;
	v->len       = 0;
	v->cap       = 0;
	for (size_t i = 0; i < n; i++) {
		sv_free(&items[i]);
	}
	free(items);
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

/* ==== the shared list type
 * =================================================== */

static svec *
L(mctx *c)
{
	return c->obj->data;
}

/* CREATE [list_or_tuple]: the argument's items become the list's. */
static int
list_create(mobj *o, mctx *c)
{
	svec *v = NULL;
	if (c->nargs > 1) {
		return mctx_fail(c, MGR_EINVAL,
		    "list expected at most 1 argument, got %zu", c->nargs);
	}
	if (c->nargs == 1 && c->args[0].kind != SV_NONE) {
		sval *a = &c->args[0];
		if (a->kind != SV_LIST && a->kind != SV_TUPLE) {
			return mctx_fail(c, MGR_ETYPE,
			    "'%s' object is not iterable", sv_type_name(a));
		}
		v       = a->vec; // the argument's vector, taken as is
		a->kind = SV_NONE;
	} else if ((v = svec_new(0)) == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	o->data = v;
	return 0;
}

static void
list_destroy(mobj *o)
{
	svec_free(o->data);
	o->data = NULL;
}

static void
list_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	svec *v = o->data;
	for (size_t i = 0; i < v->len; i++) {
		sv_each_ref(&v->items[i], fn, arg);
	}
}

/* For atomic batches: a copy to put back if the batch fails. */
static void *
list_clone(mobj *o)
{
	svec *copy;
	return svec_copy(o->data, &copy) == 0 ? copy : NULL;
}

const mtype list_type = {
	.code     = MGR__OBJ_TYPE__OBJ_LIST,
	.name     = "list",
	.create   = list_create,
	.destroy  = list_destroy,
	.each_ref = list_each_ref,
	.clone_data = list_clone,
};

static int
fail_rc(mctx *c, int rc)
{
	switch (rc) {
	case MGR_ENOMEM:
		return mctx_fail(c, rc, "out of memory");
	case MGR_ETOOBIG:
		return mctx_fail(c, rc, "list too big or nested too deeply");
	default:
		return mctx_fail(c, rc, "list operation failed");
	}
}

static int
h_append(mctx *c)
{
	int rc = svec_append(L(c), &c->args[0]);
	return rc != 0 ? fail_rc(c, rc) : 0;
}

static int
h_extend(mctx *c)
{
	sval *a = &c->args[0];
	if (a->kind != SV_LIST && a->kind != SV_TUPLE) {
		return mctx_fail(c, MGR_ETYPE, "'%s' object is not iterable",
		    sv_type_name(a));
	}
	int rc = svec_extend(L(c), a->vec);
	return rc != 0 ? fail_rc(c, rc) : 0;
}

static int
h_insert(mctx *c)
{
	int64_t i;
	int     rc = mctx_arg_int(c, 0, &i);
	if (rc != 0) {
		return rc;
	}
	rc = svec_insert(L(c), i, &c->args[1]);
	return rc != 0 ? fail_rc(c, rc) : 0;
}

static int
h_get(mctx *c)
{
	int64_t i;
	int     rc = mctx_arg_int(c, 0, &i);
	if (rc != 0) {
		return rc;
	}
	const sval *x = svec_get(L(c), i);
	if (x == NULL) {
		return mctx_fail(c, MGR_EINDEX, "list index out of range");
	}
	c->res_borrowed = x;
	return 0;
}

static int
h_set(mctx *c)
{
	int64_t i;
	int     rc = mctx_arg_int(c, 0, &i);
	if (rc != 0) {
		return rc;
	}
	if (svec_set(L(c), i, &c->args[1]) != 0) {
		return mctx_fail(
		    c, MGR_EINDEX, "list assignment index out of range");
	}
	return 0;
}

static int
h_del(mctx *c)
{
	int64_t i;
	int     rc = mctx_arg_int(c, 0, &i);
	if (rc != 0) {
		return rc;
	}
	if (svec_del(L(c), i) != 0) {
		return mctx_fail(
		    c, MGR_EINDEX, "list assignment index out of range");
	}
	return 0;
}

/* POP [i]: i defaults to -1, as in Python. */
static int
h_pop(mctx *c)
{
	int64_t i  = -1;
	int     rc = c->nargs > 0 ? mctx_arg_int(c, 0, &i) : 0;
	if (rc != 0) {
		return rc;
	}
	if (svec_len(L(c)) == 0) {
		return mctx_fail(c, MGR_EINDEX, "pop from empty list");
	}
	if (svec_pop(L(c), i, &c->res) != 0) {
		return mctx_fail(c, MGR_EINDEX, "pop index out of range");
	}
	return 0;
}

static int
h_remove(mctx *c)
{
	if (svec_remove(L(c), &c->args[0]) != 0) {
		return mctx_fail(
		    c, MGR_EVALUE, "list.remove(x): x not in list");
	}
	return 0;
}

static int
h_index(mctx *c)
{
	size_t pos;
	if (svec_find(L(c), &c->args[0], &pos) != 0) {
		char repr[120];
		return mctx_fail(c, MGR_EVALUE, "%s is not in list",
		    sv_repr(&c->args[0], repr, sizeof(repr)));
	}
	c->res = sv_int((int64_t) pos);
	return 0;
}

static int
h_count(mctx *c)
{
	c->res = sv_int((int64_t) svec_count(L(c), &c->args[0]));
	return 0;
}

static int
h_len(mctx *c)
{
	c->res = sv_int((int64_t) svec_len(L(c)));
	return 0;
}

static int
h_reverse(mctx *c)
{
	svec_reverse(L(c));
	return 0;
}

/* SORT [reverse]. */
static int
h_sort(mctx *c)
{
	bool reverse = false;
	int  rc      = c->nargs > 0 ? mctx_arg_bool(c, 0, &reverse) : 0;
	if (rc != 0) {
		return rc;
	}
	const sval *a = NULL, *b = NULL;
	rc = svec_sort(L(c), reverse, &a, &b);
	if (rc == MGR_ETYPE) {
		return mctx_fail(c, rc,
		    "'<' not supported between instances of '%s' and '%s'",
		    sv_type_name(a), sv_type_name(b));
	}
	return rc != 0 ? fail_rc(c, rc) : 0;
}

static int
h_clear(mctx *c)
{
	svec_clear(L(c));
	return 0;
}

/* A slice bound: an int, or None for the default (as l[:stop]). */
static int
slice_bound(mctx *c, size_t i, int64_t dflt, int64_t *out)
{
	if (i >= c->nargs || c->args[i].kind == SV_NONE) {
		*out = dflt;
		return 0;
	}
	return mctx_arg_int(c, i, out);
}

/* SLICE start stop -> list. */
static int
h_slice(mctx *c)
{
	int64_t start, stop;
	int     rc;
	if ((rc = slice_bound(c, 0, 0, &start)) != 0
	    || (rc = slice_bound(c, 1, INT64_MAX, &stop)) != 0) {
		return rc;
	}
	svec *r;
	if ((rc = svec_slice(L(c), start, stop, &r)) != 0) {
		return fail_rc(c, rc);
	}
	c->res = (sval) { .kind = SV_LIST, .vec = r };
	return 0;
}

static int
h_copy(mctx *c)
{
	svec *r;
	int   rc = svec_copy(L(c), &r);
	if (rc != 0) {
		return fail_rc(c, rc);
	}
	c->res = (sval) { .kind = SV_LIST, .vec = r };
	return 0;
}

#define T_LIST MT(MGR__OBJ_TYPE__OBJ_LIST)

const mop list_ops[] = {
	{ MGR__OP__OP_LIST_APPEND, T_LIST, 1, 1, h_append },
	{ MGR__OP__OP_LIST_EXTEND, T_LIST, 1, 1, h_extend },
	{ MGR__OP__OP_LIST_INSERT, T_LIST, 2, 2, h_insert },
	{ MGR__OP__OP_LIST_GET, T_LIST, 1, 1, h_get },
	{ MGR__OP__OP_LIST_SET, T_LIST, 2, 2, h_set },
	{ MGR__OP__OP_LIST_DEL, T_LIST, 1, 1, h_del },
	{ MGR__OP__OP_LIST_POP, T_LIST, 0, 1, h_pop },
	{ MGR__OP__OP_LIST_REMOVE, T_LIST, 1, 1, h_remove },
	{ MGR__OP__OP_LIST_INDEX, T_LIST, 1, 1, h_index },
	{ MGR__OP__OP_LIST_COUNT, T_LIST, 1, 1, h_count },
	{ MGR__OP__OP_LIST_LEN, T_LIST, 0, 0, h_len },
	{ MGR__OP__OP_LIST_REVERSE, T_LIST, 0, 0, h_reverse },
	{ MGR__OP__OP_LIST_SORT, T_LIST, 0, 1, h_sort },
	{ MGR__OP__OP_LIST_CLEAR, T_LIST, 0, 0, h_clear },
	{ MGR__OP__OP_LIST_SLICE, T_LIST, 0, 2, h_slice },
	{ MGR__OP__OP_LIST_COPY, T_LIST, 0, 0, h_copy },
	{ 0 },
};
