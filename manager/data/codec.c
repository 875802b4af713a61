/* The protobuf codec of the manager's values: Mgr__Value trees in, svals
 * out and back. Recursion is bounded by SV_MAX_DEPTH (see value.c). */
#include "codec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mgr.h"
#include "sdict.h"
#include "svec.h"

static int from_pb_d(void *store, const Mgr__Value *pb, sval *out, int depth);

/* A list or tuple, its items one level down. */
static int
from_pb_seq(void *store, const Mgr__Value *pb, sval *out, int depth)
{
	bool            list = pb->kind_case == MGR__VALUE__KIND_LIST;
	const Mgr__Seq *seq  = list ? pb->list : pb->tuple;
	size_t          n    = seq != NULL ? seq->n_items : 0;
	if (depth >= SV_MAX_DEPTH) {
		return MGR_ETOOBIG;
	}
	if (n > 0 && seq->items == NULL) {
		return MGR_EPROTO;
	}
	svec *v = svec_new(n);
	if (v == NULL) {
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = from_pb_d(
		    store, seq->items[i], &v->items[i], depth + 1);
		if (rc != 0) {
			v->len = i;
			svec_free(v);
			return rc;
		}
	}
	v->len    = n;
	out->kind = list ? SV_LIST : SV_TUPLE;
	out->vec  = v;
	return 0;
}

/* A dict, its keys (hashable) and values one level down. */
static int
from_pb_dict(void *store, const Mgr__Value *pb, sval *out, int depth)
{
	const Mgr__Map *map = pb->dict;
	size_t          n   = map != NULL ? map->n_keys : 0;
	if (depth >= SV_MAX_DEPTH) {
		return MGR_ETOOBIG;
	}
	if (map != NULL
	    && (map->n_values != n || (n > 0 && map->keys == NULL)
	        || (n > 0 && map->values == NULL))) {
		return MGR_EPROTO;
	}
	sdict *d = sdict_new(n);
	if (d == NULL) {
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		sval k, v;
		int  rc = from_pb_d(store, map->keys[i], &k, depth + 1);
		if (rc == 0 && !sv_hashable(&k)) {
			sv_free(&k);
			rc = MGR_ETYPE;
		}
		if (rc == 0
		    && (rc = from_pb_d(store, map->values[i], &v, depth + 1))
		        != 0) {
			sv_free(&k);
		}
		// A repeated key: the last value wins, as in a Python
		// dict display.
		if (rc == 0 && (rc = sdict_set(d, &k, &v)) != 0) {
			sv_free(&k);
			sv_free(&v);
		}
		if (rc != 0) {
			sdict_free(d);
			return rc;
		}
	}
	out->kind = SV_DICT;
	out->dict = d;
	return 0;
}

/* A reference to a live object of the type the client believes. */
static int
from_pb_ref(void *store, const Mgr__Value *pb, sval *out)
{
	if (pb->ref == NULL) {
		return MGR_EPROTO;
	}
	const sv_ref_hooks *h = sv_refs();
	struct mobj        *o = h->find(store, pb->ref->id);
	// Without its secret a reference is refused as a stale one is, so
	// that ids can't be probed.
	if (o == NULL || h->secret(o) != pb->ref->secret) {
		return MGR_ENOOBJ;
	}
	// The client names the type it believes the object has; a
	// mismatch is a wrong token (OBJ_NONE: not said).
	if (pb->ref->type != MGR__OBJ_TYPE__OBJ_NONE
	    && h->type_code(o) != (int) pb->ref->type) {
		return MGR_ETYPE;
	}
	*out = sv_ref(o);
	return 0;
}

/* ---- big strings made ready before the lock ------------------------------
 * A request's big str and bytes values are copied into their stored form
 * by the thread that read it, before it takes the server lock
 * (sv_prepare_big), and taken as they are when decoded under it: a 60 MiB
 * value copied under the lock held every client 335 ms. Per thread: a
 * request is decoded by the thread that read it. */

#define PREPARED_MAX 16

typedef struct prepared {
	const Mgr__Value *pb; /* the value it was made from */
	sstr             *s;  /* NULL once taken */
} prepared;

static _Thread_local prepared prep[PREPARED_MAX];
static _Thread_local size_t   nprep;

static void
prepare_d(const Mgr__Value *pb, int depth)
{
	if (pb == NULL || depth > SV_MAX_DEPTH || nprep == PREPARED_MAX) {
		return;
	}
	const char *p   = NULL;
	size_t      len = 0;
	switch (pb->kind_case) {
	case MGR__VALUE__KIND_S:
		p   = pb->s;
		len = p != NULL ? strlen(p) : 0;
		break;
	case MGR__VALUE__KIND_Y:
		p   = (const char *) pb->y.data;
		len = pb->y.len;
		break;
	case MGR__VALUE__KIND_LIST:
	case MGR__VALUE__KIND_TUPLE: {
		const Mgr__Seq *seq = pb->kind_case == MGR__VALUE__KIND_LIST
		    ? pb->list
		    : pb->tuple;
		for (size_t i = 0;
		     seq != NULL && seq->items != NULL && i < seq->n_items;
		     i++) {
			prepare_d(seq->items[i], depth + 1);
		}
		return;
	}
	case MGR__VALUE__KIND_DICT:
		for (size_t i = 0; pb->dict != NULL
		     && pb->dict->values != NULL && i < pb->dict->n_values;
		     i++) {
			prepare_d(pb->dict->values[i], depth + 1);
		}
		return;
	default:
		return;
	}
	if (p == NULL || len < SV_PREPARE_MIN) {
		return;
	}
	sstr *s = sv_sstr_prepare(p, len);
	if (s != NULL) {
		prep[nprep++] = (prepared) { .pb = pb, .s = s };
	}
}

void
sv_prepare_big(const Mgr__Value *pb)
{
	prepare_d(pb, 0);
}

void
sv_prepared_drop(void)
{
	for (size_t i = 0; i < nprep; i++) {
		sv_sstr_free(prep[i].s);
		prep[i] = (prepared) { 0 };
	}
	nprep = 0;
}

/* The string made ready for pb, into *out: false when there is none (it
 * is then copied). */
static bool
take_prepared(const Mgr__Value *pb, sv_kind kind, sval *out)
{
	for (size_t i = 0; i < nprep; i++) {
		if (prep[i].pb == pb && prep[i].s != NULL) {
			sv_adopt_str(out, kind, prep[i].s);
			prep[i].s = NULL;
			return true;
		}
	}
	return false;
}

static int
from_pb_d(void *store, const Mgr__Value *pb, sval *out, int depth)
{
	*out = SV_NONE_INIT;
	if (pb == NULL) {
		return MGR_EPROTO;
	}
	switch (pb->kind_case) {
	case MGR__VALUE__KIND_NONE:
		return 0;
	case MGR__VALUE__KIND_B:
		*out = sv_bool(pb->b != 0);
		return 0;
	case MGR__VALUE__KIND_I:
		*out = sv_int(pb->i);
		return 0;
	case MGR__VALUE__KIND_F:
		*out = sv_float(pb->f);
		return 0;
	case MGR__VALUE__KIND_S:
		if (pb->s == NULL) {
			return MGR_EPROTO;
		}
		if (nprep > 0 && take_prepared(pb, SV_STR, out)) {
			return 0;
		}
		return sv_str(out, SV_STR, pb->s, strlen(pb->s));
	case MGR__VALUE__KIND_Y:
		if (pb->y.len > 0 && pb->y.data == NULL) {
			return MGR_EPROTO;
		}
		if (nprep > 0 && take_prepared(pb, SV_BYTES, out)) {
			return 0;
		}
		return sv_str(
		    out, SV_BYTES, (const char *) pb->y.data, pb->y.len);
	case MGR__VALUE__KIND_LIST:
	case MGR__VALUE__KIND_TUPLE:
		return from_pb_seq(store, pb, out, depth);
	case MGR__VALUE__KIND_DICT:
		return from_pb_dict(store, pb, out, depth);
	case MGR__VALUE__KIND_REF:
		return from_pb_ref(store, pb, out);
	default:
		return MGR_EPROTO;
	}
}

int
sv_from_pb(void *store, const Mgr__Value *pb, sval *out)
{
	return from_pb_d(store, pb, out, 0);
}

/* ---- big strings sent from where they are ------------------------------ */

/* The big strings a reply's value holds, recorded as it is encoded
 * (sv_pins_begin .. sv_pins_end): the connection sends them from their
 * stored place after the lock is dropped (sv_pin), where copying one into
 * the connection's buffer under the lock held every client (a 60 MiB get:
 * 190-200 ms). Per thread, forgotten at sv_pins_reset: each reply packed,
 * each drop of the lock, so an entry never outlives the value. */

#define PINS_MAX 16

static _Thread_local sstr  *pins[PINS_MAX];
static _Thread_local size_t npins;
static _Thread_local bool   pinning;

void
sv_pins_begin(void)
{
	pinning = true;
}

void
sv_pins_end(void)
{
	pinning = false;
}

bool
sv_pins_any(void)
{
	return npins > 0;
}

void
sv_pins_reset(void)
{
	npins   = 0;
	pinning = false;
}

static void
note_pin(const sval *v)
{
	sstr *s = sv_big_sstr(v);
	if (s != NULL && npins < PINS_MAX) {
		pins[npins++] = s;
	}
}

static void
unpin(void *arg)
{
	sv_sstr_free(arg);
}

bool
sv_pin(const uint8_t *data, size_t len, void (**release)(void *), void **arg)
{
	for (size_t i = 0; i < npins; i++) {
		sstr *s = pins[i];
		if ((const uint8_t *) s->data == data && s->len == len) {
			*release = unpin;
			*arg     = sv_sstr_pin(s);
			return true;
		}
	}
	return false;
}

/* n protobuf values and the array of pointers to them, from the arena. */
static Mgr__Value **
pb_values(arena *a, size_t n)
{
	if (n == 0) {
		return NULL;
	}
	if (n > SIZE_MAX / (sizeof(Mgr__Value) + sizeof(Mgr__Value *))) {
		return NULL;
	}
	Mgr__Value  *nodes = arena_alloc(a, n * sizeof(*nodes));
	Mgr__Value **ptrs  = arena_alloc(a, n * sizeof(*ptrs));
	if (nodes == NULL || ptrs == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		ptrs[i] = &nodes[i];
	}
	return ptrs;
}

static int to_pb_d(
    const sval *v, arena *a, Mgr__Value *out, int depth, size_t *nrefs);

static int
to_pb_seq(const sval *v, arena *a, Mgr__Value *out, int depth, size_t *nrefs)
{
	if (depth >= SV_MAX_DEPTH) {
		return MGR_ETOOBIG;
	}
	size_t    n   = v->vec->len;
	Mgr__Seq *seq = arena_alloc(a, sizeof(*seq));
	if (seq == NULL) {
		return MGR_ENOMEM;
	}
	mgr__seq__init(seq);
	if (n > 0 && (seq->items = pb_values(a, n)) == NULL) {
		return MGR_ENOMEM;
	}
	seq->n_items = n;
	for (size_t i = 0; i < n; i++) {
		int rc = to_pb_d(
		    &v->vec->items[i], a, seq->items[i], depth + 1, nrefs);
		if (rc != 0) {
			return rc;
		}
	}
	if (v->kind == SV_LIST) {
		out->kind_case = MGR__VALUE__KIND_LIST;
		out->list      = seq;
	} else {
		out->kind_case = MGR__VALUE__KIND_TUPLE;
		out->tuple     = seq;
	}
	return 0;
}

static int
to_pb_dict(const sval *v, arena *a, Mgr__Value *out, int depth, size_t *nrefs)
{
	if (depth >= SV_MAX_DEPTH) {
		return MGR_ETOOBIG;
	}
	size_t    n   = sdict_len(v->dict);
	Mgr__Map *map = arena_alloc(a, sizeof(*map));
	if (map == NULL) {
		return MGR_ENOMEM;
	}
	mgr__map__init(map);
	if (n > 0
	    && ((map->keys = pb_values(a, n)) == NULL
	        || (map->values = pb_values(a, n)) == NULL)) {
		return MGR_ENOMEM;
	}
	map->n_keys   = n;
	map->n_values = n;
	size_t pos = 0, i = 0;
	sval  *k, *x;
	while (sdict_next(v->dict, &pos, &k, &x)) {
		int rc = to_pb_d(k, a, map->keys[i], depth + 1, nrefs);
		if (rc == 0) {
			rc = to_pb_d(x, a, map->values[i], depth + 1, nrefs);
		}
		if (rc != 0) {
			return rc;
		}
		i++;
	}
	out->kind_case = MGR__VALUE__KIND_DICT;
	out->dict      = map;
	return 0;
}

static int
to_pb_d(const sval *v, arena *a, Mgr__Value *out, int depth, size_t *nrefs)
{
	mgr__value__init(out);
	switch (v->kind) {
	case SV_NONE:
		out->kind_case = MGR__VALUE__KIND_NONE;
		out->none      = 1;
		return 0;
	case SV_BOOL:
		out->kind_case = MGR__VALUE__KIND_B;
		out->b         = v->b;
		return 0;
	case SV_INT:
		out->kind_case = MGR__VALUE__KIND_I;
		out->i         = v->i;
		return 0;
	case SV_FLOAT:
		out->kind_case = MGR__VALUE__KIND_F;
		out->f         = v->f;
		return 0;
	case SV_STR:
		out->kind_case = MGR__VALUE__KIND_S;
		out->s         = (char *) sv_sdata(v);
		if (pinning) {
			note_pin(v);
		}
		return 0;
	case SV_BYTES:
		out->kind_case = MGR__VALUE__KIND_Y;
		out->y.len     = sv_slen(v);
		out->y.data    = (uint8_t *) sv_sdata(v);
		if (pinning) {
			note_pin(v);
		}
		return 0;
	case SV_LIST:
	case SV_TUPLE:
		return to_pb_seq(v, a, out, depth, nrefs);
	case SV_DICT:
		return to_pb_dict(v, a, out, depth, nrefs);
	case SV_REF: {
		Mgr__Ref *r = arena_alloc(a, sizeof(*r));
		if (r == NULL) {
			return MGR_ENOMEM;
		}
		mgr__ref__init(r);
		r->id     = sv_refs()->id(v->ref);
		r->secret = sv_refs()->secret(v->ref);
		r->type   = (Mgr__ObjType) sv_refs()->type_code(v->ref);
		if (r->type == MGR__OBJ_TYPE__OBJ_CUSTOM) { // whose type
			r->type_name = (char *) sv_refs()->type_name(v->ref);
		}
		out->kind_case = MGR__VALUE__KIND_REF;
		out->ref       = r;
		(*nrefs)++;
		return 0;
	}
	default:
		return MGR_EINTERNAL;
	}
}

int
sv_to_pb(const sval *v, arena *a, Mgr__Value *out, size_t *nrefs)
{
	size_t n  = 0;
	int    rc = to_pb_d(v, a, out, 0, &n);
	if (nrefs != NULL) {
		*nrefs = n;
	}
	return rc;
}
