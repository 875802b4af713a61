/* svec: a growable array of owned svals, the data of a shared list and of
 * list and tuple values. Pure data (no I/O, no locking): the list type's
 * request handlers are in types/list.c.
 *
 * Indexes are int64_t and may be negative (counting from the end) as in
 * Python; out-of-range insert positions and slice bounds are clamped as in
 * Python. Functions documented as "moving" take ownership of the sval they
 * are given and leave it SV_NONE; on error they take nothing.
 */
#ifndef MGR_MANAGER_DATA_SVEC_H
#define MGR_MANAGER_DATA_SVEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

struct svec {
	size_t len;
	size_t cap;
	sval  *items; /* items[0..len) are owned */
};

/* An empty vector with room for cap_hint items. NULL when out of memory. */
svec *svec_new(size_t cap_hint);
/* Frees the items (sv_free) and the vector. NULL is ignored. */
void svec_free(svec *v);
/* Frees v's items from the last, up to *budget of them (*budget
 * lessened), and once none is left v itself: true then. For a list
 * nobody reaches any more, freed a slice at a time. */
bool svec_free_some(svec *v, size_t *budget);

static inline size_t
svec_len(const svec *v)
{
	return v->len;
}

/* Item i (0 <= i < len), borrowed. */
static inline sval *
svec_at(const svec *v, size_t i)
{
	return &v->items[i];
}

/* Makes room for at least n items in total. MGR_ENOMEM, MGR_ETOOBIG. */
int svec_reserve(svec *v, size_t n);

/* Resolves a Python index (negative counts from the end) to a position
 * < len. MGR_EINDEX when out of range. */
int svec_index_of(const svec *v, int64_t i, size_t *pos);

/* Item i (negative from the end), borrowed; NULL when out of range. */
sval *svec_get(const svec *v, int64_t i);

/* Moving. MGR_ENOMEM. */
int svec_append(svec *v, sval *item);
/* Moving; i is clamped to [0, len] after adding len to a negative i, as
 * Python's list.insert. MGR_ENOMEM. */
int svec_insert(svec *v, int64_t i, sval *item);
/* Moving; replaces (and frees) item i. MGR_EINDEX. */
int svec_set(svec *v, int64_t i, sval *item);
/* Removes and frees item i. MGR_EINDEX. */
int svec_del(svec *v, int64_t i);
/* Removes item i and moves it to *out. MGR_EINDEX (also when empty). */
int svec_pop(svec *v, int64_t i, sval *out);
/* Moves every item of src to the end of v; src is left empty. On
 * MGR_ENOMEM nothing moved. */
int svec_extend(svec *v, svec *src);

/* The first item sv_equal to x: removes and frees it, or MGR_EVALUE. */
int svec_remove(svec *v, const sval *x);
/* Position of the first item sv_equal to x, or MGR_EVALUE. */
int svec_find(const svec *v, const sval *x, size_t *pos);
/* Number of items sv_equal to x. */
size_t svec_count(const svec *v, const sval *x);

void svec_reverse(svec *v);
/* Stable merge sort by sv_compare (descending when reverse, still
 * stable, as Python's). On MGR_ETYPE (an unorderable pair, whose items
 * are given in *bad_a / *bad_b when not NULL: a pointer into v, valid until
 * v changes), MGR_ETOOBIG or MGR_ENOMEM, v is unchanged. */
int svec_sort(svec *v, bool reverse, const sval **bad_a, const sval **bad_b);
/* Frees every item; keeps the capacity. */
void svec_clear(svec *v);

/* Python's v[start:stop] with the bounds clamped: a new vector of copies
 * (empty when stop <= start after clamping). MGR_ENOMEM, MGR_ETOOBIG. */
int svec_slice(const svec *v, int64_t start, int64_t stop, svec **out);
/* Deep copy. MGR_ENOMEM, MGR_ETOOBIG. */
int svec_copy(const svec *v, svec **out);

/* Python's clamping of a slice bound against len (step 1). */
size_t svec_clamp(int64_t i, size_t len);

#endif
