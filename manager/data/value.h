/* The manager's own representation of values: compact (16 bytes), owned,
 * hashable where Python's are. Plain values are copies; a SV_REF holds a
 * counted reference on a shared object (mobj), which keeps it alive.
 *
 * Ownership: an sval owns what it points to. sv_free releases it (and
 * drops the reference of a SV_REF). Functions documented as "moving" take
 * ownership of an argument and leave it SV_NONE.
 */
#ifndef MGR_MANAGER_DATA_VALUE_H
#define MGR_MANAGER_DATA_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct mobj;

/* What values need of the shared objects they refer to (SV_REF), given
 * by the store (core/store.c) when a server starts, so that data/ calls
 * nothing above it: a reference's count, its id, secret and type, and
 * finding an object by id. */
typedef struct sv_ref_hooks {
	void (*hold)(struct mobj *o); /* a value took a reference on o */
	void (*drop)(struct mobj *o); /* a value let its reference go */
	uint64_t (*id)(const struct mobj *o);
	uint64_t (*secret)(const struct mobj *o);
	int (*type_code)(const struct mobj *o);         /* Mgr__ObjType */
	const char *(*type_name)(const struct mobj *o); /* "dict" */
	/* The live object with this id in store, or NULL. */
	struct mobj *(*find)(void *store, uint64_t id);
} sv_ref_hooks;

/* Sets the hooks (process-wide; the store's, before any SV_REF). */
void sv_set_ref_hooks(const sv_ref_hooks *h);
/* The hooks set. */
const sv_ref_hooks *sv_refs(void);

typedef enum sv_kind {
	SV_NONE = 0,
	SV_BOOL,
	SV_INT,
	SV_FLOAT,
	SV_STR,
	SV_BYTES,
	SV_LIST,
	SV_TUPLE,
	SV_DICT,
	SV_REF,
} sv_kind;

/* A string or byte string: len bytes, then a NUL (so str data is a C
 * string when it has no embedded NUL). */
typedef struct sstr {
	uint32_t len;
	char     data[];
} sstr;

typedef struct svec  svec;  /* growable array of sval: list.c */
typedef struct sdict sdict; /* ordered hash map sval -> sval: dict.c */

typedef struct sval {
	uint8_t kind; /* sv_kind */
	/* SV_STR / SV_BYTES of up to SV_INLINE_MAX bytes are held inline,
	 * from ihead on over the union's bytes (and a NUL): no allocation,
	 * and 16 bytes for what would cost a 32-byte malloc chunk. ilen is 1
	 * + their length then, 0 when the string is in str, whose ihead then
	 * holds a fingerprint of it (sv_str's), so that most unequal strings
	 * are told apart without reading them: a search of a million is one
	 * pass over the items, not a cache miss each. Use sv_sdata and
	 * sv_slen, never str directly. */
	uint8_t ilen;
	char    ihead[6];
	union {
		bool         b;
		int64_t      i;
		double       f;
		sstr        *str;  /* SV_STR, SV_BYTES */
		svec        *vec;  /* SV_LIST, SV_TUPLE */
		sdict       *dict; /* SV_DICT */
		struct mobj *ref;  /* SV_REF: one counted reference */
	};
} sval;

#define SV_NONE_INIT  ((sval) { .kind = SV_NONE })
#define SV_INLINE_MAX 13

_Static_assert(sizeof(sval) == 16, "sval is 16 bytes");
_Static_assert(offsetof(sval, ihead) == 2, "inline bytes follow ilen");

/* The bytes of a SV_STR or SV_BYTES (NUL-terminated) and their length.
 * An inline string lives in the sval itself: the pointer is valid while
 * the sval stays where it is. */
static inline const char *
sv_sdata(const sval *v)
{
	return v->ilen ? (const char *) v + offsetof(sval, ihead)
	               : v->str->data;
}
static inline size_t
sv_slen(const sval *v)
{
	return v->ilen ? (size_t) v->ilen - 1 : v->str->len;
}

/* Nesting deeper than this is refused (MGR_ETOOBIG) so that no recursion
 * can exhaust the stack: the wire's limit. */
#define SV_MAX_DEPTH WIRE_VALUE_MAX_DEPTH

static inline sval
sv_int(int64_t i)
{
	return (sval) { .kind = SV_INT, .i = i };
}
static inline sval
sv_bool(bool b)
{
	return (sval) { .kind = SV_BOOL, .b = b };
}
static inline sval
sv_float(double f)
{
	return (sval) { .kind = SV_FLOAT, .f = f };
}
/* Takes *v, leaving SV_NONE behind. */
static inline sval
sv_move(sval *v)
{
	sval r  = *v;
	v->kind = SV_NONE;
	return r;
}

/* String of len bytes (copied); kind is SV_STR or SV_BYTES. MGR_ENOMEM. */
int sv_str(sval *out, sv_kind kind, const char *p, size_t len);
/* A heap string of p's len bytes made ready outside the server lock (its
 * pages mapped at once, p copied), for sv_adopt_str under it; NULL when
 * len is inline-sized or too long, or out of memory. Freed with
 * sv_sstr_free unless adopted. */
sstr *sv_sstr_prepare(const char *p, size_t len);
void  sv_sstr_free(sstr *s);
/* Another owner of big heap string s (BIGMEM_MIN bytes or more): s lives
 * until each has called sv_sstr_free. Thread-safe, as that free is for a
 * big one. */
sstr *sv_sstr_pin(sstr *s);
/* v's heap string when v is a str or bytes of BIGMEM_MIN bytes or more
 * (sv_sstr_pin may keep it), else NULL. */
sstr *sv_big_sstr(const sval *v);
/* *out becomes a kind (SV_STR, SV_BYTES) holding s, which it owns. */
void sv_adopt_str(sval *out, sv_kind kind, sstr *s);
/* A reference to o (takes a new reference: the hooks' hold). */
sval sv_ref(struct mobj *o);
/* An empty list / tuple / dict. MGR_ENOMEM. */
int sv_new_list(sval *out, sv_kind kind, size_t cap_hint);
int sv_new_dict(sval *out);

/* Releases what v owns and resets it to SV_NONE. */
void sv_free(sval *v);
/* Deep copy (references: a new reference to the same object). */
int sv_copy(sval *dst, const sval *src);

/* Typed equality: SV_INT 1, SV_FLOAT 1.0 and SV_BOOL true differ. Lists
 * and tuples item by item, dicts as sets of pairs, refs by object. NaN is
 * equal to itself (a key can be found again). */
bool sv_equal(const sval *a, const sval *b);
/* Can v be a dict key: scalars, refs, tuples of hashables. */
bool sv_hashable(const sval *v);
/* The elements of v's containers, nested ones included (a list of two
 * lists of 3: 8); counting stops once over cap (then some n > cap). */
size_t sv_nested_count(const sval *v, size_t cap);
/* Hash consistent with sv_equal; only for hashable values. */
uint64_t sv_hash(const sval *v);
/* Ordering for list.sort: numbers (bool, int, float) among themselves,
 * str with str, bytes with bytes, lists with lists and tuples with tuples
 * lexicographically. *cmp gets <0, 0, >0. MGR_ETYPE when not orderable
 * (None, dicts, refs, mixed kinds), with nothing written. */
int sv_compare(const sval *a, const sval *b, int *cmp);
/* addition: sv_compare that, on MGR_ETYPE, also points *bad_a and *bad_b
 * (when not NULL) at the pair that could not be ordered: a and b, or items
 * nested in them (Python names the innermost pair in its message). */
int sv_compare_ex(const sval *a, const sval *b, int *cmp, const sval **bad_a,
    const sval **bad_b);
/* Python's type name of v ("int", "str", "NoneType", ...; a reference gives
 * its object's type name, "dict"...). */
const char *sv_type_name(const sval *v);
/* addition: Python's repr of v into buf (always NUL-terminated when cap >
 * 0), for error details ("KeyError: 'x'"). Longer output is cut and ends
 * with "...". Returns buf. */
const char *sv_repr(const sval *v, char *buf, size_t cap);

/* addition: calls fn on every SV_REF inside v (nested containers too), for
 * the types' each_ref (cycle collection). */
void sv_each_ref(sval *v, void (*fn)(sval *ref, void *arg), void *arg);

#endif
