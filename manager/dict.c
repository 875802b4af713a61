/* The dict type: sdict, the pure data part (also the storage of dict values
 * and of namespaces), then the request handlers of a shared dict. */
#include "dict.h"

#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "object.h"

/* ==== sdict: pure data
 * ======================================================= */

#define IX_EMPTY (-1) /* index slot never used: ends a probe */
#define IX_DUMMY (-2) /* index slot of a deleted entry: probes go on */
#define SV_HOLE  0xff /* key kind of a deleted entry */

typedef struct sd_entry {
	uint64_t hash;
	sval key; /* kind SV_HOLE: deleted, compacted at the next resize */
	sval value;
} sd_entry;

struct sdict {
	size_t    len;  /* live entries */
	size_t    used; /* entries[0..used) in use, holes included */
	size_t    fill; /* index slots not IX_EMPTY (live and dummy) */
	size_t    ecap; /* entries allocated: 2/3 of the index slots */
	size_t    mask; /* index slots - 1 */
	sd_entry *entries;
	void     *index; /* int32_t, or int64_t when wide; NULL when empty */
	bool      wide;
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
			const sd_entry *e = &d->entries[ix];
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
	if (ecap > SIZE_MAX / sizeof(sd_entry) || size > SIZE_MAX / slot) {
		return MGR_ENOMEM;
	}
	void     *index   = malloc(size * slot);
	sd_entry *entries = malloc(ecap * sizeof(sd_entry));
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
	sd_entry *e = &d->entries[d->used];
	e->hash     = h;
	e->key      = sv_move(key);
	e->value    = sv_move(value);
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
sd_new(size_t cap_hint)
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
free_entries(sd_entry *entries, size_t n)
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
sd_free(sdict *d)
{
	if (d == NULL) {
		return;
	}
	free_entries(d->entries, d->used);
	free(d->index);
	free(d);
}

size_t
sd_len(const sdict *d)
{
	return d->len;
}

sval *
sd_get(const sdict *d, const sval *key)
{
	size_t slot;
	if (d->len == 0 || !sv_hashable(key)) {
		return NULL;
	}
	int64_t ix = lookup(d, key, sv_hash(key), &slot);
	return ix >= 0 ? &d->entries[ix].value : NULL;
}

int
sd_set(sdict *d, sval *key, sval *value)
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
sd_del(sdict *d, const sval *key, sval *value)
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
sd_popitem(sdict *d, sval *key, sval *value)
{
	if (d->len == 0) {
		return MGR_EKEY;
	}
	int64_t   ix = (int64_t) d->used - 1; // live: trailing holes trimmed
	sd_entry *e  = &d->entries[ix];
	*key         = e->key;
	*value       = e->value;
	unlink_entry(d, slot_of(d, e->hash, ix), ix);
	return 0;
}

void
sd_clear(sdict *d)
{
	sd_entry *entries = d->entries;
	size_t    used    = d->used;
	free(d->index);
	memset(d, 0, sizeof(*d));
	free_entries(entries, used);
}

int
sd_setdefault(sdict *d, sval *key, sval *dflt, sval **stored)
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
sd_copy(const sdict *d, sdict **out)
{
	sdict *r = sd_new(d->len);
	if (r == NULL) {
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < d->used; i++) {
		const sd_entry *e = &d->entries[i];
		sval            k, v;
		int             rc;
		if (e->key.kind == SV_HOLE) {
			continue;
		}
		if ((rc = sv_copy(&k, &e->key)) != 0) {
			sd_free(r);
			return rc;
		}
		if ((rc = sv_copy(&v, &e->value)) != 0) {
			sv_free(&k);
			sd_free(r);
			return rc;
		}
		// Keys are distinct and r has room: no lookup, no rehash.
		(void) insert_new(r, e->hash, &k, &v);
	}
	*out = r;
	return 0;
}

int
sd_update(sdict *dst, sdict *src)
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
		sd_entry *e = &src->entries[i];
		size_t    slot;
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
	sd_clear(src); // only moved-out (None) entries are left
	return 0;
}

bool
sd_next(const sdict *d, size_t *pos, sval **key, sval **value)
{
	while (*pos < d->used) {
		sd_entry *e = &d->entries[(*pos)++];
		if (e->key.kind != SV_HOLE) {
			*key   = &e->key;
			*value = &e->value;
			return true;
		}
	}
	return false;
}

/* ==== the shared dict type
 * ===================================================== */

static sdict *
D(mctx *c)
{
	return c->obj->data;
}

/* The first unhashable value in k (k itself, or an item of a tuple), for
 * Python's "unhashable type: 'list'". */
static const sval *
unhashable_part(const sval *k)
{
	if (k->kind == SV_TUPLE) {
		for (size_t i = 0; i < k->vec->len; i++) {
			if (!sv_hashable(&k->vec->items[i])) {
				return unhashable_part(&k->vec->items[i]);
			}
		}
	}
	return k;
}

/* MGR_ETYPE with Python's message when k cannot be a key, else 0. */
static int
check_key(mctx *c, const sval *k)
{
	if (sv_hashable(k)) {
		return 0;
	}
	return mctx_fail(c, MGR_ETYPE, "unhashable type: '%s'",
	    sv_type_name(unhashable_part(k)));
}

/* KeyError's detail: the key's repr. */
static int
fail_key(mctx *c, const sval *k)
{
	char repr[120];
	return mctx_fail(c, MGR_EKEY, "%s", sv_repr(k, repr, sizeof(repr)));
}

static int
fail_rc(mctx *c, int rc)
{
	switch (rc) {
	case MGR_ENOMEM:
		return mctx_fail(c, rc, "out of memory");
	case MGR_ETOOBIG:
		return mctx_fail(c, rc, "dict too big or nested too deeply");
	default:
		return mctx_fail(c, rc, "dict operation failed");
	}
}

/* Moves the items of a dict value, or of a list or tuple of (key, value)
 * pairs, into d: dict(x) and d.update(x). Pairs are checked before any is
 * moved, so a bad argument changes nothing. */
static int
merge_value(mctx *c, sdict *d, sval *x)
{
	int rc;
	if (x->kind == SV_DICT) {
		rc = sd_update(d, x->dict);
		return rc != 0 ? fail_rc(c, rc) : 0;
	}
	if (x->kind != SV_LIST && x->kind != SV_TUPLE) {
		return mctx_fail(c, MGR_ETYPE, "'%s' object is not iterable",
		    sv_type_name(x));
	}
	for (size_t i = 0; i < x->vec->len; i++) {
		const sval *p = &x->vec->items[i];
		if (p->kind != SV_LIST && p->kind != SV_TUPLE) {
			return mctx_fail(c, MGR_ETYPE,
			    "cannot convert dictionary update sequence "
			    "element #%zu to a sequence",
			    i);
		}
		if (p->vec->len != 2) {
			return mctx_fail(c, MGR_EVALUE,
			    "dictionary update sequence element #%zu has "
			    "length %zu; 2 is required",
			    i, p->vec->len);
		}
		if ((rc = check_key(c, &p->vec->items[0])) != 0) {
			return rc;
		}
	}
	for (size_t i = 0; i < x->vec->len; i++) {
		sval *p = x->vec->items[i].vec->items;
		if ((rc = sd_set(d, &p[0], &p[1])) != 0) {
			return fail_rc(c, rc);
		}
	}
	return 0;
}

/* CREATE [dict or list of pairs]: the initial content. */
static int
dict_create(mobj *o, mctx *c)
{
	if (c->nargs > 1) {
		return mctx_fail(c, MGR_EINVAL,
		    "dict expected at most 1 argument, got %zu", c->nargs);
	}
	sval *a = c->nargs == 1 ? &c->args[0] : NULL;
	if (a != NULL && a->kind == SV_DICT) {
		o->data = a->dict; // the argument's table, taken as is
		a->kind = SV_NONE;
		return 0;
	}
	sdict *d = sd_new(0);
	if (d == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	if (a != NULL && a->kind != SV_NONE) {
		int rc = merge_value(c, d, a);
		if (rc != 0) {
			sd_free(d);
			return rc;
		}
	}
	o->data = d;
	return 0;
}

static void
dict_destroy(mobj *o)
{
	sd_free(o->data);
	o->data = NULL;
}

static void
dict_each_ref(mobj *o, void (*fn)(sval *ref, void *arg), void *arg)
{
	size_t pos = 0;
	sval  *k, *v;
	while (sd_next(o->data, &pos, &k, &v)) {
		sv_each_ref(k, fn, arg);
		sv_each_ref(v, fn, arg);
	}
}

/* For atomic batches: a copy to put back if the batch fails. */
static void *
dict_clone(mobj *o)
{
	sdict *copy;
	return sd_copy(o->data, &copy) == 0 ? copy : NULL;
}

const mtype dict_type = {
	.code     = MGR__OBJ_TYPE__OBJ_DICT,
	.name     = "dict",
	.create   = dict_create,
	.destroy  = dict_destroy,
	.each_ref = dict_each_ref,
	.clone_data = dict_clone,
};

static int
h_set(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc == 0 && (rc = sd_set(D(c), &c->args[0], &c->args[1])) != 0) {
		return fail_rc(c, rc);
	}
	return rc;
}

static int
h_get(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc != 0) {
		return rc;
	}
	const sval *v = sd_get(D(c), &c->args[0]);
	if (v == NULL) {
		return fail_key(c, &c->args[0]);
	}
	c->res_borrowed = v;
	return 0;
}

static int
h_del(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc != 0) {
		return rc;
	}
	if (sd_del(D(c), &c->args[0], NULL) != 0) {
		return fail_key(c, &c->args[0]);
	}
	return 0;
}

static int
h_contains(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc != 0) {
		return rc;
	}
	c->res = sv_bool(sd_get(D(c), &c->args[0]) != NULL);
	return 0;
}

static int
h_len(mctx *c)
{
	c->res = sv_int((int64_t) sd_len(D(c)));
	return 0;
}

/* POP key [default]. */
static int
h_pop(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc != 0) {
		return rc;
	}
	if (sd_del(D(c), &c->args[0], &c->res) != 0) {
		if (c->nargs < 2) {
			return fail_key(c, &c->args[0]);
		}
		c->res = sv_move(&c->args[1]);
	}
	return 0;
}

/* POPITEM -> (key, value), the last inserted. */
static int
h_popitem(mctx *c)
{
	if (sd_len(D(c)) == 0) {
		return mctx_fail(
		    c, MGR_EKEY, "popitem(): dictionary is empty");
	}
	// The tuple first: once popped, the item must not be lost.
	sval t;
	if (sv_new_list(&t, SV_TUPLE, 2) != 0) {
		return fail_rc(c, MGR_ENOMEM);
	}
	sval k, v;
	(void) sd_popitem(D(c), &k, &v);
	t.vec->items[0] = k;
	t.vec->items[1] = v;
	t.vec->len      = 2;
	c->res          = t;
	return 0;
}

/* SETDEFAULT key [default] -> the value now stored under key. */
static int
h_setdefault(mctx *c)
{
	int rc = check_key(c, &c->args[0]);
	if (rc != 0) {
		return rc;
	}
	sval  dflt = c->nargs > 1 ? sv_move(&c->args[1]) : SV_NONE_INIT;
	sval *stored;
	rc = sd_setdefault(D(c), &c->args[0], &dflt, &stored);
	sv_free(&dflt); // unused when the key was there
	if (rc != 0) {
		return fail_rc(c, rc);
	}
	c->res_borrowed = stored;
	return 0;
}

static int
h_update(mctx *c)
{
	return merge_value(c, D(c), &c->args[0]);
}

static int
h_clear(mctx *c)
{
	sd_clear(D(c));
	return 0;
}

/* KEYS, VALUES, ITEMS: a new list of copies (pairs as 2-tuples). */
enum { VIEW_KEYS, VIEW_VALUES, VIEW_ITEMS };

static int
make_view(mctx *c, int what)
{
	sdict *d = D(c);
	sval   r;
	int    rc  = sv_new_list(&r, SV_LIST, sd_len(d));
	size_t pos = 0;
	sval  *k, *v;
	while (rc == 0 && sd_next(d, &pos, &k, &v)) {
		sval x = SV_NONE_INIT;
		if (what == VIEW_KEYS) {
			rc = sv_copy(&x, k);
		} else if (what == VIEW_VALUES) {
			rc = sv_copy(&x, v);
		} else if ((rc = sv_new_list(&x, SV_TUPLE, 2)) == 0) {
			rc = sv_copy(&x.vec->items[0], k);
			if (rc == 0) {
				x.vec->len = 1;
				rc         = sv_copy(&x.vec->items[1], v);
			}
			if (rc == 0) {
				x.vec->len = 2;
			}
		}
		// r was sized for every item: the append cannot fail.
		if (rc == 0) {
			rc = svec_append(r.vec, &x);
		}
		sv_free(&x);
	}
	if (rc != 0) {
		sv_free(&r);
		return fail_rc(c, rc);
	}
	c->res = r;
	return 0;
}

static int
h_keys(mctx *c)
{
	return make_view(c, VIEW_KEYS);
}

static int
h_values(mctx *c)
{
	return make_view(c, VIEW_VALUES);
}

static int
h_items(mctx *c)
{
	return make_view(c, VIEW_ITEMS);
}

static int
h_copy(mctx *c)
{
	sdict *r;
	int    rc = sd_copy(D(c), &r);
	if (rc != 0) {
		return fail_rc(c, rc);
	}
	c->res = (sval) { .kind = SV_DICT, .dict = r };
	return 0;
}

/* INCR key [delta] -> the new value: an atomic d[key] += delta, where a
 * missing key counts as int 0 and delta defaults to 1. int + int stays an
 * int (MGR_ERANGE on overflow), anything with a float is a float; bool is
 * not a number here. */
static int
h_incr(mctx *c)
{
	sval  one   = sv_int(1);
	sval *key   = &c->args[0];
	sval *delta = c->nargs > 1 ? &c->args[1] : &one;
	int   rc;
	if (delta->kind != SV_INT && delta->kind != SV_FLOAT) {
		return mctx_fail(c, MGR_ETYPE,
		    "unsupported operand type(s) for +=: 'int' and '%s'",
		    sv_type_name(delta));
	}
	if ((rc = check_key(c, key)) != 0) {
		return rc;
	}
	sval *cur = sd_get(D(c), key);
	if (cur == NULL) {
		sval v = *delta; // 0 + delta: the delta itself
		if ((rc = sd_set(D(c), key, &v)) != 0) {
			return fail_rc(c, rc);
		}
		c->res = *delta;
		return 0;
	}
	if (cur->kind == SV_INT && delta->kind == SV_INT) {
		int64_t r;
		if (__builtin_add_overflow(cur->i, delta->i, &r)) {
			return mctx_fail(c, MGR_ERANGE, "integer overflow");
		}
		cur->i = r;
	} else if (cur->kind == SV_INT || cur->kind == SV_FLOAT) {
		double a = cur->kind == SV_INT ? (double) cur->i : cur->f;
		double b
		    = delta->kind == SV_INT ? (double) delta->i : delta->f;
		*cur = sv_float(a + b);
	} else {
		return mctx_fail(c, MGR_ETYPE,
		    "unsupported operand type(s) for +=: '%s' and '%s'",
		    sv_type_name(cur), sv_type_name(delta));
	}
	c->res = *cur;
	return 0;
}

#define T_DICT MT(MGR__OBJ_TYPE__OBJ_DICT)

const mop dict_ops[] = {
	{ MGR__OP__OP_DICT_SET, T_DICT, 2, 2, h_set },
	{ MGR__OP__OP_DICT_GET, T_DICT, 1, 1, h_get },
	{ MGR__OP__OP_DICT_DEL, T_DICT, 1, 1, h_del },
	{ MGR__OP__OP_DICT_CONTAINS, T_DICT, 1, 1, h_contains },
	{ MGR__OP__OP_DICT_LEN, T_DICT, 0, 0, h_len },
	{ MGR__OP__OP_DICT_POP, T_DICT, 1, 2, h_pop },
	{ MGR__OP__OP_DICT_POPITEM, T_DICT, 0, 0, h_popitem },
	{ MGR__OP__OP_DICT_SETDEFAULT, T_DICT, 1, 2, h_setdefault },
	{ MGR__OP__OP_DICT_UPDATE, T_DICT, 1, 1, h_update },
	{ MGR__OP__OP_DICT_CLEAR, T_DICT, 0, 0, h_clear },
	{ MGR__OP__OP_DICT_KEYS, T_DICT, 0, 0, h_keys },
	{ MGR__OP__OP_DICT_VALUES, T_DICT, 0, 0, h_values },
	{ MGR__OP__OP_DICT_ITEMS, T_DICT, 0, 0, h_items },
	{ MGR__OP__OP_DICT_COPY, T_DICT, 0, 0, h_copy },
	{ MGR__OP__OP_DICT_INCR, T_DICT, 1, 2, h_incr },
	{ 0 },
};
