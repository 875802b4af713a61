/* sdict: the insertion-ordered hash map under dict values, shared dicts
 * and namespaces (see sdict.h). Pure data: no I/O, no locking. */
#include "sdict.h"

#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "mgr.h"
#include "svec.h"

/* An index slot holds 0 (empty: ends a probe), IX_DUMMY (a deleted
 * entry's: probes go on) or the entry's position + 1, so that a fresh
 * index is zeroed memory (bigmem's pages cost nothing until touched). */
#define IX_EMPTY 0
#define IX_DUMMY (-1)
#define SV_HOLE  0xff /* key kind of a deleted entry */

/* Index slots moved from the old index to the new one per write while
 * the index grows: the old one is gone long before the new one fills. */
#define MIGRATE_STEP 8

/* Tables with holes of fewer entries than this are compacted at once;
 * bigger ones a few entries per write (compact_steps). */
#define COMPACT_AT_ONCE 64

typedef struct sdict_entry {
	uint64_t hash;
	sval key; /* kind SV_HOLE: deleted, compacted at the next resize */
	sval value;
} sdict_entry;

/* An index: mask + 1 slots of int32_t, or int64_t when wide. */
typedef struct sd_index {
	void  *slots; /* NULL when none */
	size_t mask;
	bool   wide;
} sd_index;

struct sdict {
	size_t       len;    /* live entries */
	size_t       used;   /* entries[0..used) in use, holes included */
	size_t       fill;   /* ix's slots not IX_EMPTY (live and dummy) */
	size_t       ecap;   /* entries allowed: 2/3 of ix's slots */
	size_t       ealloc; /* entries allocated (bigmem's bytes / size) */
	sdict_entry *entries;
	sd_index     ix;
	/* While the index grows (Redis's incremental rehash, for a compact
	 * dict): the old index still finds entries[migrated..mig_end),
	 * which each write moves into ix a few at a time; ix has the rest.
	 * old.slots is NULL when no index is growing. */
	sd_index old;
	size_t   migrated, mig_end;
	/* While a table with holes is compacted a few entries per write:
	 * entries[0..cwrite) are compacted and found by ix, [cwrite..cread)
	 * are holes, [cread..used) are where they were: the old index finds
	 * those below mig_end (migrated follows cread), ix those appended
	 * since. */
	bool   compacting;
	size_t cread, cwrite;
	/* The index the next growth will take, made ready ahead (a big
	 * one's pages faulted in a few per write from half full on, so that
	 * the growth and the writes right after it do not fault in megabytes
	 * while every client waits): next.slots NULL when none. Its pages
	 * are written with zeros up to next_touched bytes; next_from is the
	 * fill at which it was made. */
	sd_index next;
	size_t   next_touched, next_from;
};

static size_t
ix_bytes(const sd_index *x)
{
	return (x->mask + 1) * (x->wide ? sizeof(int64_t) : sizeof(int32_t));
}

static inline int64_t
ix_get(const sd_index *x, size_t i)
{
	return x->wide ? ((const int64_t *) x->slots)[i]
	               : ((const int32_t *) x->slots)[i];
}

static inline void
ix_set(sd_index *x, size_t i, int64_t v)
{
	if (x->wide) {
		((int64_t *) x->slots)[i] = v;
	} else {
		((int32_t *) x->slots)[i] = (int32_t) v;
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

/* The position of key (hash h) among the entries x finds in [lo, hi),
 * or -1; *slot gets the slot that holds it. */
static int64_t
find_in(const sdict *d, const sd_index *x, const sval *key, uint64_t h,
    size_t lo, size_t hi, size_t *slot)
{
	size_t   i       = (size_t) h & x->mask;
	uint64_t perturb = h;
	for (;;) {
		int64_t v = ix_get(x, i);
		if (v == IX_EMPTY) {
			return -1;
		}
		if (v > 0 && (size_t) v - 1 >= lo && (size_t) v - 1 < hi) {
			const sdict_entry *e = &d->entries[v - 1];
			if (e->hash == h && sv_equal(&e->key, key)) {
				*slot = i;
				return v - 1;
			}
		}
		i = probe_next(i, &perturb, x->mask);
	}
}

/* Where an entry's slot is: in ix, or in the old index. */
typedef struct sd_loc {
	size_t slot;
	bool   old;
} sd_loc;

/* The entry position of key (hash h), or -1; *at gets its slot. The old
 * index is asked only for the entries it alone still finds: its slots
 * for entries moved on (or for positions used again since) are stale. */
static int64_t
lookup(const sdict *d, const sval *key, uint64_t h, sd_loc *at)
{
	if (d->ix.slots == NULL) {
		return -1;
	}
	at->old    = false;
	int64_t ix = find_in(d, &d->ix, key, h, 0, SIZE_MAX, &at->slot);
	if (ix < 0 && d->old.slots != NULL) {
		at->old = true;
		ix      = find_in(
		         d, &d->old, key, h, d->migrated, d->mig_end, &at->slot);
	}
	return ix;
}

/* The slot of index x that points at entry ix (hash h): it must have
 * one. */
static size_t
find_slot(const sd_index *x, uint64_t h, int64_t ix)
{
	size_t   i       = (size_t) h & x->mask;
	uint64_t perturb = h;
	while (ix_get(x, i) != ix + 1) {
		i = probe_next(i, &perturb, x->mask);
	}
	return i;
}

/* The slot that points at live entry ix. */
static sd_loc
slot_of(const sdict *d, uint64_t h, int64_t ix)
{
	sd_loc at = { 0,
		d->old.slots != NULL && (size_t) ix >= d->migrated
		    && (size_t) ix < d->mig_end };
	at.slot   = find_slot(at.old ? &d->old : &d->ix, h, ix);
	return at;
}

/* The first empty slot of ix on h's probe sequence. */
static size_t
free_slot(const sd_index *x, uint64_t h)
{
	size_t   i       = (size_t) h & x->mask;
	uint64_t perturb = h;
	while (ix_get(x, i) != IX_EMPTY) {
		i = probe_next(i, &perturb, x->mask);
	}
	return i;
}

static void
index_entry(sdict *d, size_t pos)
{
	ix_set(&d->ix, free_slot(&d->ix, d->entries[pos].hash),
	    (int64_t) pos + 1);
	d->fill++;
}

/* The old index is done with. */
static void
drop_old(sdict *d)
{
	bigmem_free(d->old.slots, ix_bytes(&d->old));
	d->old.slots = NULL;
	d->migrated = d->mig_end = 0;
}

/* The compaction is over: what is past cwrite is holes. */
static void
compact_done(sdict *d)
{
	d->compacting = false;
	drop_old(d);
	if (d->used > d->cwrite) {
		d->used = d->cwrite;
	}
	while (d->used > 0 && d->entries[d->used - 1].key.kind == SV_HOLE) {
		d->used--;
	}
	d->cread = d->cwrite = 0;
}

/* Moves up to n positions of the compaction on (all when SIZE_MAX): a
 * live entry goes down to cwrite, order kept, and ix finds it there
 * (indexed anew when the old index found it, its slot in ix following it
 * when it was appended since). */
static void
compact_steps(sdict *d, size_t n)
{
	for (; d->compacting && n > 0; n--) {
		size_t       pos = d->cread++;
		sdict_entry *e   = &d->entries[pos];
		if (e->key.kind != SV_HOLE) {
			size_t to  = d->cwrite++;
			bool   old = d->old.slots != NULL && pos < d->mig_end;
			size_t where = old
			    ? 0
			    : find_slot(&d->ix, e->hash, (int64_t) pos);
			if (to != pos) {
				d->entries[to] = *e;
				e->key.kind    = SV_HOLE;
			}
			if (old) {
				index_entry(d, to);
			} else {
				ix_set(&d->ix, where, (int64_t) to + 1);
			}
		}
		if (d->old.slots != NULL) {
			d->migrated = d->cread;
			if (d->cread >= d->mig_end) {
				drop_old(d);
			}
		}
		if (d->cread >= d->used) {
			// The last entry moved down: done at once, so that
			// entries[used - 1] is live again (popitem's).
			compact_done(d);
		}
	}
}

/* Moves up to n entries from the old index into ix (all when n is
 * SIZE_MAX), or n positions of a compaction on. */
static void
migrate(sdict *d, size_t n)
{
	if (d->compacting) {
		compact_steps(d, n);
		return;
	}
	for (; d->old.slots != NULL && n > 0; n--) {
		if (d->migrated >= d->mig_end) {
			drop_old(d);
			break;
		}
		if (d->entries[d->migrated].key.kind != SV_HOLE) {
			index_entry(d, d->migrated);
		}
		d->migrated++;
	}
}

/* A fresh, zeroed index of size slots: the one made ready ahead when it
 * is of that size (else that one is let go). */
static int
index_new(sdict *d, sd_index *x, size_t size)
{
	if (d->next.slots != NULL) {
		sd_index ready = d->next;
		d->next.slots  = NULL;
		if (ready.mask == size - 1) {
			*x = ready;
			return 0;
		}
		bigmem_free(ready.slots, ix_bytes(&ready));
	}
	bool   wide = size > INT32_MAX;
	size_t slot = wide ? sizeof(int64_t) : sizeof(int32_t);
	if (size > SIZE_MAX / slot) {
		return MGR_ENOMEM;
	}
	x->slots = bigmem_alloc(size * slot, true);
	x->mask  = size - 1;
	x->wide  = wide;
	return x->slots != NULL ? 0 : MGR_ENOMEM;
}

/* The index size (a power of two) with room for need entries. 0 when
 * too big. */
static size_t
size_for(size_t need)
{
	size_t size = 8;
	while (size * 2 / 3 < need) {
		if (size > SIZE_MAX / 32) {
			return 0;
		}
		size *= 2;
	}
	return size;
}

/* Room for ecap entries in the array (never less than now). */
static int
entries_room(sdict *d, size_t ecap)
{
	if (ecap <= d->ealloc) {
		return 0;
	}
	if (ecap > SIZE_MAX / sizeof(sdict_entry)) {
		return MGR_ENOMEM;
	}
	sdict_entry *e = bigmem_grow(d->entries,
	    d->ealloc * sizeof(sdict_entry), ecap * sizeof(sdict_entry));
	if (e == NULL) {
		return MGR_ENOMEM;
	}
	d->entries = e;
	d->ealloc  = ecap;
	return 0;
}

/* How far the table is towards its next growth: the larger of its
 * entries used and its index's slots filled (make_room's two tests). */
static size_t
progress(const sdict *d)
{
	return d->used > d->fill ? d->used : d->fill;
}

/* Makes the next growth's index ready ahead, for a big index (its pages
 * would be faulted in by the first writes after the growth: a dict
 * growing at 700k entries, 2,048 faults of about 4 us in one request):
 * made when the table is half full, its pages written a few per call, in
 * proportion to the way left to the growth, so that all are in by then
 * and a request of k writes faults in a share of them as small as k's of
 * that way. */
static void
prepare_growth(sdict *d)
{
	if (d->ix.slots == NULL || d->old.slots != NULL || d->used != d->len
	    || ix_bytes(&d->ix) * 2 < BIGMEM_MIN
	    || progress(d) * 2 < d->ecap) {
		return;
	}
	if (d->next.slots == NULL) {
		sd_index x;
		if (index_new(d, &x, (d->ix.mask + 1) * 2) != 0) {
			return; // the growth will try again
		}
		d->next         = x;
		d->next_touched = 0;
		d->next_from    = progress(d);
	}
	size_t bytes = ix_bytes(&d->next), page = BIGMEM_PAGE;
	size_t way  = d->ecap > d->next_from ? d->ecap - d->next_from : 1;
	size_t done = progress(d) - d->next_from;
	size_t due  = done >= way
	     ? bytes
	     : (size_t) ((double) bytes * (double) done / (double) way) + page;
	for (; d->next_touched < due && d->next_touched < bytes;
	     d->next_touched += page) {
		((volatile char *) d->next.slots)[d->next_touched] = 0;
	}
}

/* A fresh index of size slots (0: too big) for the entries, which the
 * old one goes on finding until each has moved over (a growth) or down
 * (a compaction); room for at least room entries in their array. On
 * MGR_ENOMEM d is unchanged but for spare room. */
static int
index_switch(sdict *d, size_t size, size_t room)
{
	sd_index x;
	int      rc = size == 0 ? MGR_ENOMEM : entries_room(d, room);
	if (rc != 0 || (rc = index_new(d, &x, size)) != 0) {
		return rc;
	}
	d->old      = d->ix;
	d->ix       = x;
	d->ecap     = size * 2 / 3;
	d->fill     = 0;
	d->migrated = 0;
	d->mig_end  = d->used;
	return 0;
}

/* Grows the index to room for need entries without a pause: the entries
 * stay where they are (their array grown in place, by mremap when big),
 * the new index starts empty and the old one keeps finding them until
 * each has moved over (migrate). No holes allowed (positions must not
 * change). On MGR_ENOMEM d is unchanged but for spare room. */
static int
grow(sdict *d, size_t need)
{
	migrate(d, SIZE_MAX); // one growth at a time (done long since)
	size_t size = size_for(need);
	int    rc   = index_switch(d, size, size * 2 / 3);
	if (rc == 0 && d->mig_end == 0) {
		drop_old(d);
	}
	return rc;
}

/* Rebuilds the table with room for at least need entries, at once: live
 * entries are compacted in place (holes dropped, order kept) and indexed
 * again, dummies vanish. For a table with holes (positions change, so
 * the old index can't go on finding them) and for a new one. On
 * MGR_ENOMEM d is unchanged but for spare room. */
static int
resize(sdict *d, size_t need)
{
	compact_steps(d, SIZE_MAX); // one under way ends first
	size_t size = size_for(need);
	int    rc   = size == 0 ? MGR_ENOMEM : entries_room(d, size * 2 / 3);
	if (rc != 0) {
		return rc;
	}
	sd_index x;
	if (d->ix.slots != NULL && d->ix.mask == size - 1) {
		x = d->ix; // the same size: cleared, its pages already in
		memset(x.slots, 0, ix_bytes(&x));
		d->ix.slots = NULL;
	} else if ((rc = index_new(d, &x, size)) != 0) {
		return rc;
	}
	bigmem_free(d->ix.slots, ix_bytes(&d->ix));
	drop_old(d);
	size_t n = 0;
	for (size_t i = 0; i < d->used; i++) {
		if (d->entries[i].key.kind != SV_HOLE) {
			d->entries[n++] = d->entries[i];
		}
	}
	d->ix   = x;
	d->ecap = size * 2 / 3;
	d->used = n;
	d->fill = 0;
	for (size_t i = 0; i < n; i++) {
		index_entry(d, i);
	}
	return 0;
}

/* Starts compacting a table with holes a few entries per write (as grow
 * rebuilds an index): a fresh index, sized for need and for what writes
 * may add while the compaction runs (each moves it MIGRATE_STEP entries
 * on), finds the entries compacted and appended, the old one the rest. On
 * MGR_ENOMEM d is unchanged but for spare room. */
static int
compact_start(sdict *d, size_t need, size_t k)
{
	migrate(d, SIZE_MAX); // a growth under way ends first (long since)
	size_t during = d->len + k + d->used / 4;
	size_t size   = size_for(need > during ? need : during);
	size_t room = size * 2 / 3 > d->used + k ? size * 2 / 3 : d->used + k;
	int    rc   = index_switch(d, size, room);
	if (rc == 0) {
		d->compacting = true;
		d->cread = d->cwrite = 0;
	}
	return rc;
}

/* Room for k more entries. Growing a table without holes does not pause
 * (grow), nor does compacting a big one with holes (compact_start); a
 * small one is compacted at once (resize). need: twice the live entries
 * (amortized O(1) growth), or all of them with k. */
static int
make_room(sdict *d, size_t k)
{
	if (d->compacting) {
		if (d->fill + k <= d->ecap) {
			// Appends go past the entries not yet moved down.
			return d->used + k <= d->ealloc
			    ? 0
			    : entries_room(d, d->used + k + d->used / 8);
		}
		// More writes than it was sized for: it ends now.
		compact_steps(d, SIZE_MAX);
	}
	if (d->used + k <= d->ecap && d->fill + k <= d->ecap) {
		return 0;
	}
	if (k > SIZE_MAX / 4 - d->len) {
		return MGR_ENOMEM;
	}
	size_t need = d->len * 2 > d->len + k ? d->len * 2 : d->len + k;
	if (d->ix.slots == NULL) {
		return resize(d, need);
	}
	if (d->used == d->len) {
		return grow(d, need);
	}
	return d->used >= COMPACT_AT_ONCE ? compact_start(d, need, k)
	                                  : resize(d, need);
}

/* Appends an entry for a key known to be absent. Moving. */
static int
insert_new(sdict *d, uint64_t h, sval *key, sval *value)
{
	migrate(d, MIGRATE_STEP);
	int rc = make_room(d, 1);
	if (rc != 0) {
		return rc;
	}
	sdict_entry *e = &d->entries[d->used];
	e->hash        = h;
	e->key         = sv_move(key);
	e->value       = sv_move(value);
	index_entry(d, d->used);
	d->used++;
	d->len++;
	prepare_growth(d);
	return 0;
}

/* Marks entry ix (its slot at `at`) deleted; what it held is the
 * caller's. Trailing holes are given back so that popitem finds the last
 * live entry at used - 1 (and the old index then finds none past it:
 * those positions may be used again). */
static void
unlink_entry(sdict *d, sd_loc at, int64_t ix)
{
	ix_set(at.old ? &d->old : &d->ix, at.slot, IX_DUMMY);
	d->entries[ix].key.kind = SV_HOLE;
	d->len--;
	while (d->used > 0 && d->entries[d->used - 1].key.kind == SV_HOLE) {
		d->used--;
	}
	if (d->old.slots != NULL && d->mig_end > d->used) {
		d->mig_end = d->used;
	}
	if (d->compacting && d->used <= d->cread) {
		compact_done(d); // nothing left to move
	}
	migrate(d, MIGRATE_STEP);
}

sdict *
sdict_new(size_t cap_hint)
{
	sdict *d = calloc(1, sizeof(*d));
	if (d != NULL && cap_hint > 0 && resize(d, cap_hint) != 0) {
		sdict_free(d);
		d = NULL;
	}
	return d;
}

/* Frees the entries (holes skipped) and indexes of a table detached from
 * its dict (a copy of its struct). */
static void
free_table(sdict *t)
{
	for (size_t i = 0; i < t->used; i++) {
		if (t->entries[i].key.kind != SV_HOLE) {
			sv_free(&t->entries[i].key);
			sv_free(&t->entries[i].value);
		}
	}
	bigmem_free(t->entries, t->ealloc * sizeof(sdict_entry));
	bigmem_free(t->ix.slots, ix_bytes(&t->ix));
	bigmem_free(t->old.slots, ix_bytes(&t->old));
	bigmem_free(t->next.slots, ix_bytes(&t->next));
}

void
sdict_free(sdict *d)
{
	if (d == NULL) {
		return;
	}
	free_table(d);
	free(d);
}

bool
sdict_free_some(sdict *d, size_t *budget)
{
	while (*budget > 0 && d->used > 0) {
		sdict_entry *e = &d->entries[--d->used];
		if (e->key.kind != SV_HOLE) {
			sv_free(&e->key);
			sv_free(&e->value);
		}
		(*budget)--;
	}
	if (d->used > 0) {
		return false;
	}
	sdict_free(d); // no entry left to free: the tables
	return true;
}

size_t
sdict_len(const sdict *d)
{
	return d->len;
}

sval *
sdict_get(const sdict *d, const sval *key)
{
	sd_loc slot;
	if (d->len == 0 || !sv_hashable(key)) {
		return NULL;
	}
	int64_t ix = lookup(d, key, sv_hash(key), &slot);
	return ix >= 0 ? &d->entries[ix].value : NULL;
}

int
sdict_set(sdict *d, sval *key, sval *value)
{
	sd_loc slot;
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
	sd_loc slot;
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
	sdict t = *d;
	memset(d, 0, sizeof(*d));
	free_table(&t);
}

int
sdict_setdefault(sdict *d, sval *key, sval *dflt, sval **stored)
{
	sd_loc slot;
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
	int rc = make_room(dst, src->len);
	if (rc != 0) {
		return rc;
	}
	for (size_t i = 0; i < src->used; i++) {
		sdict_entry *e = &src->entries[i];
		sd_loc       slot;
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

size_t
sdict_read_values(
    const sdict *d, bool tuples, bool keys, bool values, size_t max)
{
	size_t per = (size_t) tuples + (size_t) keys + (size_t) values;
	if (d->len > max) {
		return d->len; // over already, however each counts
	}
	size_t n = d->len * per, pos = 0;
	sval  *k, *v;
	while (n <= max && sdict_next(d, &pos, &k, &v)) {
		n += keys ? sv_nested_count(k, max - n) : 0; // tuples as keys
		n += values && n <= max ? sv_nested_count(v, max - n) : 0;
	}
	return n;
}

size_t
sdict_growth_ready(const sdict *d, size_t *bytes)
{
	*bytes = d->next.slots != NULL ? ix_bytes(&d->next) : 0;
	return d->next.slots != NULL ? d->next_touched : 0;
}

bool
sdict_compacting(const sdict *d)
{
	return d->compacting;
}

bool
sdict_index_growing(const sdict *d)
{
	return d->old.slots != NULL;
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
