/* sdict: an insertion-ordered hash map sval -> sval, the data of a shared
 * dict, of a namespace and of dict values. Pure data (no I/O, no locking):
 * the dict type's request handlers are in types/dict.c.
 *
 * Built like CPython's compact dict: the entries live in an array in
 * insertion order, and a power-of-two open-addressing index of int32 (or,
 * when huge, int64) slots maps hashes to entry positions. A deletion
 * leaves a hole in the entries that the next resize compacts, so set, get
 * and del are O(1) on average, iteration follows insertion order and
 * popitem takes the last entry (LIFO), as in Python.
 *
 * Growing never pauses for the whole table (the manager holds every
 * client while it writes one): the entries' array grows in place
 * (bigmem.h) and the index is rebuilt a few entries per write, the old
 * one answering for the rest meanwhile, as Redis rehashes incrementally.
 * A table with holes is still compacted at once when it fills.
 *
 * Keys must be hashable (sv_hashable); equality is sv_equal (typed: 1, 1.0
 * and true are three keys). "Moving" functions take ownership of the svals
 * they are given and leave them SV_NONE; on error they take nothing.
 */
#ifndef MGR_MANAGER_DATA_SDICT_H
#define MGR_MANAGER_DATA_SDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

/* An empty dict with room for cap_hint entries before it grows. NULL when
 * out of memory. */
sdict *sdict_new(size_t cap_hint);
/* Frees every key and value (sv_free) and the dict. NULL is ignored. */
void sdict_free(sdict *d);
/* Frees d's entries from the last, up to *budget of them (*budget is
 * lessened by each one visited), and once none is left d itself: true
 * then. For a dict nobody reaches any more, freed a slice at a time. */
bool   sdict_free_some(sdict *d, size_t *budget);
size_t sdict_len(const sdict *d);

/* The value stored under key, borrowed (valid until d changes), or NULL
 * when absent (also for an unhashable key, which cannot be present). */
sval *sdict_get(const sdict *d, const sval *key);
/* Moving key and value: inserts, or replaces (and frees) the value of an
 * equal key, keeping the key already stored (and its position) as Python
 * does; the key given is then freed. MGR_ETYPE for an unhashable key,
 * MGR_ENOMEM. */
int sdict_set(sdict *d, sval *key, sval *value);
/* Python's setdefault: when key is present, *stored points at its value
 * and key and dflt are left to the caller; otherwise both are moved in
 * and *stored points at the new value (borrowed, valid until d changes).
 * MGR_ETYPE for an unhashable key, MGR_ENOMEM. */
int sdict_setdefault(sdict *d, sval *key, sval *dflt, sval **stored);
/* Removes key. Its value is moved to *value when value is not NULL, freed
 * otherwise. MGR_EKEY when absent (MGR_ETYPE when unhashable). */
int sdict_del(sdict *d, const sval *key, sval *value);
/* Removes the most recently inserted entry, moving it to *key and *value.
 * MGR_EKEY when empty. */
int sdict_popitem(sdict *d, sval *key, sval *value);
/* Frees every entry; d stays usable (and empty). */
void sdict_clear(sdict *d);
/* Deep copy, same order. MGR_ENOMEM, MGR_ETOOBIG. */
int sdict_copy(const sdict *d, sdict **out);
/* Moves every entry of src into dst in src's order (as dict.update): an
 * equal key keeps its place in dst and takes src's value. src is left
 * empty. On MGR_ENOMEM (room is made first) nothing has moved. */
int sdict_update(sdict *dst, sdict *src);

/* Iteration in insertion order:
 *   size_t pos = 0; sval *k, *v;
 *   while (sdict_next(d, &pos, &k, &v)) { ... }
 * The pointers are borrowed; d must not gain or lose keys meanwhile (the
 * values may be changed in place). */
bool sdict_next(const sdict *d, size_t *pos, sval **key, sval **value);
/* Whether d's index is growing (its old index still finds some entries,
 * moved over a few with each write): for tests. */
bool sdict_index_growing(const sdict *d);
/* Whether d is being compacted a few entries per write (its holes
 * dropped, order kept): for tests. */
bool sdict_compacting(const sdict *d);
/* The bytes of the next growth's index made ready ahead (its pages
 * faulted in), of *bytes (0 when none is being made ready): for tests. */
size_t sdict_growth_ready(const sdict *d, size_t *bytes);
/* The values a read of d carries: for each entry its key (keys), its
 * value (values), a tuple around both (tuples), and what each holds;
 * counting stops once past max (at most max steps). */
size_t sdict_read_values(
    const sdict *d, bool tuples, bool keys, bool values, size_t max);
/* Calls fn on d's first max entries, in insertion order. */
void sdict_first(const sdict *d, size_t                            max,
    void (*fn)(void *arg, const sval *key, const sval *val), void *arg);

#endif
