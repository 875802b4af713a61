/* sdict: the insertion-ordered hash map under dict values, shared dicts
 * and namespaces (see sdict.h). Pure data: no I/O, no locking. */
#include "sdict.h"

#include <stdlib.h>
#include <string.h>

#include "mgr.h"
#include "svec.h"

#define IX_EMPTY (-1) /* index slot never used: ends a probe */
#define IX_DUMMY (-2) /* index slot of a deleted entry: probes go on */
#define SV_HOLE  0xff /* key kind of a deleted entry */

typedef struct sdict_entry {
	uint64_t hash;
	sval key; /* kind SV_HOLE: deleted, compacted at the next resize */
	sval value;
} sdict_entry;

struct sdict {
	size_t       len;  /* live entries */
	size_t       used; /* entries[0..used) in use, holes included */
	size_t       fill; /* index slots not IX_EMPTY (live and dummy) */
	size_t       ecap; /* entries allocated: 2/3 of the index slots */
	size_t       mask; /* index slots - 1 */
	sdict_entry *entries;
	void *index; /* int32_t, or int64_t when wide; NULL when empty */
	bool  wide;
};

static inline int64_t
ix_get(const sdict *d, size_t i)
{
	return d->wide ? ((const int64_t *) d->index)[i]
	               : ((const int32_t *) d->index)[i];
}

static inline void
ix_set(sdict *d, size_t i, int64_t ix)
{
	if (d->wide) {
		((int64_t *) d->index)[i] = ix;
	} else {
		((int32_t *) d->index)[i] = (int32_t) ix;
	}
}

/* CPython's probe sequence: uses all the hash bits early (perturb), then
 * visits every slot of the power-of-two table (i * 5 + 1 has full
 * period), so a probe always ends at an empty slot. */
static inline size_t
probe_next(size_t i, uint64_t *perturb, size_t mask)
{
	*perturb >>= 5;
	return (i * 5 + (size_t) *perturb + 1) & mask;
}

/* The entry position of key (hash h), or -1. *slot gets the index slot
 * that holds it. */
static int64_t
lookup(const sdict *d, const sval *key, uint64_t h, size_t *slot)
{
	if (d->index == NULL) {
		return -1;
	}
	size_t   i       = (size_t) h & d->mask;
	uint64_t perturb = h;
	for (;;) {
		int64_t ix = ix_get(d, i);
		if (ix == IX_EMPTY) {
			return -1;
		}
		if (ix >= 0) {
			const sdict_entry *e = &d->entries[ix];
			if (e->hash == h && sv_equal(&e->key, key)) {
				*slot = i;
				return ix;
			}
		}
		i = probe_next(i, &perturb, d->mask);
	}
}

/* The index slot that points at entry ix (which is live). */
static size_t
slot_of(const sdict *d, uint64_t h, int64_t ix)
{
	size_t   i       = (size_t) h & d->mask;
	uint64_t perturb = h;
	while (ix_get(d, i) != ix) {
		i = probe_next(i, &perturb, d->mask);
	}
	return i;
}

/* The first empty slot on h's probe sequence. */
static size_t
free_slot(const sdict *d, uint64_t h)
{
	size_t   i       = (size_t) h & d->mask;
	uint64_t perturb = h;
	while (ix_get(d, i) != IX_EMPTY) {
		i = probe_next(i, &perturb, d->mask);
	}
	return i;
}

/* Rebuilds the table with room for at least need entries: live entries
 * are compacted (holes dropped, order kept) and re-indexed, dummies
 * vanish. On MGR_ENOMEM d is unchanged. */
static int
resize(sdict *d, size_t need)
{
	size_t size = 8;
	while (size * 2 / 3 < need) {
		if (size > SIZE_MAX / 32) {
			return MGR_ENOMEM;
		}
		size *= 2;
	}
	size_t ecap = size * 2 / 3;
	bool   wide = size > INT32_MAX;
	size_t slot = wide ? sizeof(int64_t) : sizeof(int32_t);
	if (ecap > SIZE_MAX / sizeof(sdict_entry) || size > SIZE_MAX / slot) {
		return MGR_ENOMEM;
	}
	void        *index   = malloc(size * slot);
	sdict_entry *entries = malloc(ecap * sizeof(sdict_entry));
	if (index == NULL || entries == NULL) {
		free(index);
		free(entries);
		return MGR_ENOMEM;
	}
	memset(index, 0xff, size * slot); // all IX_EMPTY (-1)
	size_t n = 0;
	for (size_t i = 0; i < d->used; i++) {
		if (d->entries[i].key.kind != SV_HOLE) {
			entries[n++] = d->entries[i];
		}
	}
	free(d->index);
	free(d->entries);
	d->index   = index;
	d->entries = entries;
	d->wide    = wide;
	d->mask    = size - 1;
	d->ecap    = ecap;
	d->used    = n;
	d->fill    = n;
	for (size_t i = 0; i < n; i++) {
		ix_set(d, free_slot(d, entries[i].hash), (int64_t) i);
	}
	return 0;
}

/* Appends an entry for a key known to be absent. Moving. */
static int
insert_new(sdict *d, uint64_t h, sval *key, sval *value)
{
	if (d->fill >= d->ecap) {
		// Room for twice the live entries: amortized O(1) growth,
		// and a table full of deletions is compacted instead.
		int rc = resize(d, d->len > 0 ? d->len * 2 : 1);
		if (rc != 0) {
			return rc;
		}
	}
	sdict_entry *e = &d->entries[d->used];
	e->hash        = h;
	e->key         = sv_move(key);
	e->value       = sv_move(value);
	ix_set(d, free_slot(d, h), (int64_t) d->used);
	d->used++;
	d->fill++;
	d->len++;
	return 0;
}

/* Marks entry ix (at index slot `slot`) deleted; what it held is the
 * caller's. Trailing holes are given back so that popitem finds the last
 * live entry at used - 1. */
static void
unlink_entry(sdict *d, size_t slot, int64_t ix)
{
	ix_set(d, slot, IX_DUMMY);
	d->entries[ix].key.kind = SV_HOLE;
	d->len--;
	while (d->used > 0 && d->entries[d->used - 1].key.kind == SV_HOLE) {
		d->used--;
	}
}

sdict *
sdict_new(size_t cap_hint)
{
	sdict *d = calloc(1, sizeof(*d));
	if (d != NULL && cap_hint > 0 && resize(d, cap_hint) != 0) {
		free(d);
		d = NULL;
	}
	return d;
}

/* Frees the n entries (holes skipped) of a table already detached. */
static void
free_entries(sdict_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (entries[i].key.kind != SV_HOLE) {
			sv_free(&entries[i].key);
			sv_free(&entries[i].value);
		}
	}
	free(entries);
}

void
sdict_free(sdict *d)
{
	if (d == NULL) {
		return;
	}
	free_entries(d->entries, d->used);
	free(d->index);
	free(d);
}

size_t
sdict_len(const sdict *d)
{
	return d->len;
}

sval *
sdict_get(const sdict *d, const sval *key)
{
	size_t slot;
	if (d->len == 0 || !sv_hashable(key)) {
		return NULL;
	}
	int64_t ix = lookup(d, key, sv_hash(key), &slot);
	return ix >= 0 ? &d->entries[ix].value : NULL;
}

int
sdict_set(sdict *d, sval *key, sval *value)
{
	size_t slot;
	if (!sv_hashable(key)) {
		return MGR_ETYPE;
	}
	uint64_t h  = sv_hash(key);
	int64_t  ix = lookup(d, key, h, &slot);
	if (ix < 0) {
		return insert_new(d, h, key, value);
	}
	// Replace in place; free last, once d is consistent.
	sval old             = d->entries[ix].value;
	d->entries[ix].value = sv_move(value);
	sv_free(key);
	sv_free(&old);
	return 0;
}

int
sdict_del(sdict *d, const sval *key, sval *value)
{
	size_t slot;
	if (!sv_hashable(key)) {
		return MGR_ETYPE;
	}
	int64_t ix = lookup(d, key, sv_hash(key), &slot);
	if (ix < 0) {
		return MGR_EKEY;
	}
	sval k = d->entries[ix].key;
	sval v = d->entries[ix].value;
	unlink_entry(d, slot, ix);
	sv_free(&k);
	if (value != NULL) {
		*value = v;
	} else {
		sv_free(&v);
	}
	return 0;
}

int
sdict_popitem(sdict *d, sval *key, sval *value)
{
	if (d->len == 0) {
		return MGR_EKEY;
	}
	int64_t ix = (int64_t) d->used - 1; // live: trailing holes trimmed
	sdict_entry *e = &d->entries[ix];
	*key           = e->key;
	*value         = e->value;
	unlink_entry(d, slot_of(d, e->hash, ix), ix);
	return 0;
}

void
sdict_clear(sdict *d)
{
	sdict_entry *entries = d->entries;
	size_t       used    = d->used;
	free(d->index);
	memset(d, 0, sizeof(*d));
	free_entries(entries, used);
}

int
sdict_setdefault(sdict *d, sval *key, sval *dflt, sval **stored)
{
	size_t slot;
	if (!sv_hashable(key)) {
		return MGR_ETYPE;
	}
	uint64_t h  = sv_hash(key);
	int64_t  ix = lookup(d, key, h, &slot);
	if (ix < 0) {
		int rc = insert_new(d, h, key, dflt);
		if (rc != 0) {
			return rc;
		}
		ix = (int64_t) d->used - 1;
	}
	*stored = &d->entries[ix].value;
	return 0;
}

int
sdict_copy(const sdict *d, sdict **out)
{
	sdict *r = sdict_new(d->len);
	if (r == NULL) {
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < d->used; i++) {
		const sdict_entry *e = &d->entries[i];
		sval               k, v;
		int                rc;
		if (e->key.kind == SV_HOLE) {
			continue;
		}
		if ((rc = sv_copy(&k, &e->key)) != 0) {
			sdict_free(r);
			return rc;
		}
		if ((rc = sv_copy(&v, &e->value)) != 0) {
			sv_free(&k);
			sdict_free(r);
			return rc;
		}
		// Keys are distinct and r has room: no lookup, no rehash.
		(void) insert_new(r, e->hash, &k, &v);
	}
	*out = r;
	return 0;
}

int
sdict_update(sdict *dst, sdict *src)
{
	if (src->len == 0) {
		return 0;
	}
	// Make room for the worst case (all keys new) first, so that nothing
	// below can fail half-way.
	if (dst->fill + src->len > dst->ecap) {
		if (src->len > SIZE_MAX / 4 - dst->len) {
			return MGR_ENOMEM;
		}
		int rc = resize(dst, dst->len + src->len);
		if (rc != 0) {
			return rc;
		}
	}
	for (size_t i = 0; i < src->used; i++) {
		sdict_entry *e = &src->entries[i];
		size_t       slot;
		if (e->key.kind == SV_HOLE) {
			continue;
		}
		int64_t ix = lookup(dst, &e->key, e->hash, &slot);
		if (ix < 0) {
			(void) insert_new(dst, e->hash, &e->key, &e->value);
		} else {
			sval old               = dst->entries[ix].value;
			dst->entries[ix].value = sv_move(&e->value);
			sv_free(&e->key);
			sv_free(&old);
		}
	}
	sdict_clear(src); // only moved-out (None) entries are left
	return 0;
}

bool
sdict_next(const sdict *d, size_t *pos, sval **key, sval **value)
{
	while (*pos < d->used) {
		sdict_entry *e = &d->entries[(*pos)++];
		if (e->key.kind != SV_HOLE) {
			*key   = &e->key;
			*value = &e->value;
			return true;
		}
	}
	return false;
}

void
sdict_first(const sdict *d, size_t                                 max,
    void (*fn)(void *arg, const sval *key, const sval *val), void *arg)
{
	size_t pos = 0;
	sval  *k, *v;
	for (size_t i = 0; i < max && sdict_next(d, &pos, &k, &v); i++) {
		fn(arg, k, v);
	}
}
