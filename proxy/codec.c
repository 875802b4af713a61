/* The value codec: mgr_value <-> Mgr__Value (schema/manager.proto). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "prefault.h"
#include "utf8.h"
#include "wire.h"

/* Containers nested deeper than the wire's limit are refused both ways,
 * as by the manager: no recursion may exhaust a stack. A top-level
 * container is level 1, so 64 nested lists pass and 65 do not. */
#define CODEC_MAX_DEPTH WIRE_VALUE_MAX_DEPTH

/* ---- encode ------------------------------------------------------------ */

static int encode(
    mgr_client *c, const mgr_value *v, arena *a, Mgr__Value *out, int depth);

/* n fresh values in one block and the array of pointers to them. */
static int
encode_array(mgr_client *c, const mgr_value *src, size_t n, size_t step,
    arena *a, Mgr__Value ***out, int depth)
{
	Mgr__Value **ptrs;
	Mgr__Value  *vals;
	int          rv;

	*out = NULL;
	if (n == 0) {
		return 0;
	}
	if (n > SIZE_MAX / sizeof(Mgr__Value)) {
		return MGR_ETOOBIG;
	}
	ptrs = arena_alloc(a, n * sizeof(*ptrs));
	vals = arena_alloc(a, n * sizeof(*vals));
	if (ptrs == NULL || vals == NULL) {
		return MGR_ENOMEM;
	}
	for (size_t k = 0; k < n; k++) {
		ptrs[k] = &vals[k];
		if ((rv = encode(c, &src[k * step], a, &vals[k], depth))
		    != 0) {
			return rv;
		}
	}
	*out = ptrs;
	return 0;
}

static int
encode_str(const mgr_value *v, arena *a, Mgr__Value *out)
{
	char *s;
	// protobuf-c packs a string up to its NUL: an embedded NUL would
	// silently cut it.
	if (v->s == NULL
	    || (v->len > 0 && memchr(v->s, '\0', v->len) != NULL)) {
		client_set_detail("str value %s",
		    v->s == NULL ? "is NULL"
		                 : "has an embedded NUL (use bytes)");
		return MGR_EINVAL;
	}
	if (!utf8_valid(v->s, v->len, true)) {
		client_set_detail("str value is not valid UTF-8 (use bytes)");
		return MGR_EINVAL;
	}
	if ((v->flags & MGR_VALUE_OWNED) != 0) {
		// Library-made strings always end in a NUL.
		s = (char *) v->s;
	} else {
		// mgr_strn may point into a longer buffer: copy so that the
		// packer sees exactly len bytes.
		if (v->len == SIZE_MAX
		    || (s = arena_alloc(a, v->len + 1)) == NULL) {
			return MGR_ENOMEM;
		}
		memcpy(s, v->s, v->len);
		s[v->len] = '\0';
	}
	out->kind_case = MGR__VALUE__KIND_S;
	out->s         = s;
	return 0;
}

static int
encode_ref(mgr_client *c, const mgr_value *v, arena *a, Mgr__Value *out)
{
	Mgr__Ref *ref;
	if (v->ref == NULL) {
		client_set_detail("ref value is NULL");
		return MGR_EINVAL;
	}
	if (c != NULL && v->ref->client != c) {
		client_set_detail("ref to an object of another client");
		return MGR_EINVAL;
	}
	if ((ref = arena_alloc(a, sizeof(*ref))) == NULL) {
		return MGR_ENOMEM;
	}
	mgr__ref__init(ref);
	ref->id        = v->ref->id;
	ref->secret    = v->ref->secret;
	ref->type      = v->ref->type;
	out->kind_case = MGR__VALUE__KIND_REF;
	out->ref       = ref;
	return 0;
}

/* A list, tuple or dict one level down from depth. */
static int
encode_container(
    mgr_client *c, const mgr_value *v, arena *a, Mgr__Value *out, int depth)
{
	int rv;
	if (depth >= CODEC_MAX_DEPTH) {
		client_set_detail(
		    "value nested over %d levels", CODEC_MAX_DEPTH);
		return MGR_ETOOBIG;
	}
	if (v->kind != MGR_DICT) {
		Mgr__Seq *seq;
		if (v->items == NULL && v->len > 0) {
			client_set_detail("list or tuple items are NULL");
			return MGR_EINVAL;
		}
		if ((seq = arena_alloc(a, sizeof(*seq))) == NULL) {
			return MGR_ENOMEM;
		}
		mgr__seq__init(seq);
		rv = encode_array(
		    c, v->items, v->len, 1, a, &seq->items, depth + 1);
		if (rv != 0) {
			return rv;
		}
		seq->n_items = v->len;
		if (v->kind == MGR_LIST) {
			out->kind_case = MGR__VALUE__KIND_LIST;
			out->list      = seq;
		} else {
			out->kind_case = MGR__VALUE__KIND_TUPLE;
			out->tuple     = seq;
		}
		return 0;
	}
	Mgr__Map *map;
	if (v->pairs == NULL && v->len > 0) {
		client_set_detail("dict pairs are NULL");
		return MGR_EINVAL;
	}
	if ((map = arena_alloc(a, sizeof(*map))) == NULL) {
		return MGR_ENOMEM;
	}
	mgr__map__init(map);
	// Keys are the even items of pairs, values the odd ones.
	rv = encode_array(c, v->pairs, v->len, 2, a, &map->keys, depth + 1);
	if (rv == 0 && v->len > 0) {
		rv = encode_array(
		    c, v->pairs + 1, v->len, 2, a, &map->values, depth + 1);
	}
	if (rv != 0) {
		return rv;
	}
	map->n_keys    = v->len;
	map->n_values  = v->len;
	out->kind_case = MGR__VALUE__KIND_DICT;
	out->dict      = map;
	return 0;
}

static int
encode(
    mgr_client *c, const mgr_value *v, arena *a, Mgr__Value *out, int depth)
{
	mgr__value__init(out);
	switch (v->kind) {
	case MGR_NONE:
		out->kind_case = MGR__VALUE__KIND_NONE;
		out->none      = 1;
		return 0;
	case MGR_BOOL:
		out->kind_case = MGR__VALUE__KIND_B;
		out->b         = v->b;
		return 0;
	case MGR_INT:
		out->kind_case = MGR__VALUE__KIND_I;
		out->i         = v->i;
		return 0;
	case MGR_FLOAT:
		out->kind_case = MGR__VALUE__KIND_F;
		out->f         = v->f;
		return 0;
	case MGR_STR:
		return encode_str(v, a, out);
	case MGR_BYTES:
		if (v->bytes == NULL && v->len > 0) {
			client_set_detail("bytes value is NULL");
			return MGR_EINVAL;
		}
		out->kind_case = MGR__VALUE__KIND_Y;
		out->y.len     = v->len;
		out->y.data    = (uint8_t *) v->bytes;
		return 0;
	case MGR_REF:
		return encode_ref(c, v, a, out);
	case MGR_LIST:
	case MGR_TUPLE:
	case MGR_DICT:
		return encode_container(c, v, a, out, depth);
	default:
		client_set_detail("unknown value kind %d", (int) v->kind);
		return MGR_EINVAL;
	}
}

int
codec_to_pb(mgr_client *c, const mgr_value *v, arena *a, Mgr__Value *out)
{
	ARG_NONNULL(v);
	ARG_NONNULL(a);
	ARG_NONNULL(out);
	return encode(c, v, a, out, 0);
}

/* ---- decode ------------------------------------------------------------ */

static int decode(mgr_client *c, const Mgr__Value *pb, mgr_value *out,
    int depth, bool steal);

/* Decodes n values into dst[0], dst[step], ... (zeroed beforehand). */
static int
decode_array(mgr_client *c, Mgr__Value *const *src, size_t n, size_t step,
    mgr_value *dst, int depth, bool steal)
{
	int rv;
	for (size_t k = 0; k < n; k++) {
		if ((rv = decode(c, src[k], &dst[k * step], depth, steal))
		    != 0) {
			return rv;
		}
	}
	return 0;
}

static int
decode_seq(mgr_client *c, const Mgr__Seq *seq, mgr_kind kind, mgr_value *out,
    int depth, bool steal)
{
	mgr_value v = { .kind = kind, .flags = MGR_VALUE_OWNED };
	int       rv;

	if (seq == NULL) {
		return MGR_EPROTO;
	}
	if (seq->n_items > 0) {
		if ((v.items = calloc(seq->n_items, sizeof(mgr_value)))
		    == NULL) {
			return MGR_ENOMEM;
		}
		v.len = seq->n_items;
		rv    = decode_array(c, seq->items, seq->n_items, 1, v.items,
		       depth + 1, steal);
		if (rv != 0) {
			// Undecoded items are zeroed (None): free is safe.
			mgr_value_free(&v);
			return rv;
		}
	}
	*out = v;
	return 0;
}

static int
decode_map(
    mgr_client *c, const Mgr__Map *map, mgr_value *out, int depth, bool steal)
{
	mgr_value v = { .kind = MGR_DICT, .flags = MGR_VALUE_OWNED };
	int       rv;

	if (map == NULL || map->n_keys != map->n_values) {
		client_set_detail("dict with unequal keys and values");
		return MGR_EPROTO;
	}
	if (map->n_keys > 0) {
		if (map->n_keys > SIZE_MAX / 2 / sizeof(mgr_value)
		    || (v.pairs = calloc(2 * map->n_keys, sizeof(mgr_value)))
		        == NULL) {
			return MGR_ENOMEM;
		}
		v.len = map->n_keys;
		rv    = decode_array(
		       c, map->keys, map->n_keys, 2, v.pairs, depth + 1, steal);
		if (rv == 0) {
			rv = decode_array(c, map->values, map->n_values, 2,
			    v.pairs + 1, depth + 1, steal);
		}
		if (rv != 0) {
			mgr_value_free(&v);
			return rv;
		}
	}
	*out = v;
	return 0;
}

/* With c NULL the proxy is detached: it names the object (repr, equal)
 * but every call on it is refused. */
static int
decode_ref(mgr_client *c, const Mgr__Ref *ref, mgr_value *out)
{
	mgr_obj *o;

	if (ref == NULL || ref->id == 0) {
		client_set_detail("ref without an object id");
		return MGR_EPROTO;
	}
	if ((o = obj_new(c, ref->id, ref->secret, ref->type)) == NULL) {
		return MGR_ENOMEM;
	}
	// Taken: the reply tree is ours and goes after decoding; a failed
	// decode gives back only the references not taken (give_back).
	((Mgr__Ref *) ref)->id = 0;
	if (ref->type == MGR__OBJ_TYPE__OBJ_CUSTOM) {
		// A module's type: its name comes along (checked: a name).
		const char *n = ref->type_name != NULL ? ref->type_name : "";
		size_t      k = strlen(n);
		if (k == 0 || k > 63
		    || strspn(n,
		           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
		           "RSTUVWXYZ0123456789_")
		        != k) {
			mgr_obj_release(o);
			client_set_detail(
			    "ref of a custom type without a name");
			return MGR_EPROTO;
		}
		if ((o->type_name = strdup(n)) == NULL) {
			mgr_obj_release(o);
			return MGR_ENOMEM;
		}
	}
	if (ref->type == MGR__OBJ_TYPE__OBJ_NONE
	    || protobuf_c_enum_descriptor_get_value(
	           &mgr__obj_type__descriptor, (int) ref->type)
	        == NULL) {
		// The proxy was still made: releasing it gives the
		// manager its reference back.
		mgr_obj_release(o);
		client_set_detail("ref of unknown type %d", (int) ref->type);
		return MGR_EPROTO;
	}
	*out = (mgr_value) {
		.kind = MGR_REF, .flags = MGR_VALUE_OWNED, .ref = o
	};
	return 0;
}

/* steal: pb was unpacked with malloc (no arena), and its byte strings
 * may be taken as they are instead of copied (a big result's copy). */
static int
decode(mgr_client *c, const Mgr__Value *pb, mgr_value *out, int depth,
    bool steal)
{
	size_t len;
	char  *s;

	*out = mgr_none();
	if (pb == NULL) {
		return MGR_EPROTO;
	}
	switch (pb->kind_case) {
	case MGR__VALUE__KIND_NONE:
		break;
	case MGR__VALUE__KIND_B:
		*out = mgr_bool(pb->b != 0);
		break;
	case MGR__VALUE__KIND_I:
		*out = mgr_int(pb->i);
		break;
	case MGR__VALUE__KIND_F:
		*out = mgr_float(pb->f);
		break;
	case MGR__VALUE__KIND_S:
		if (pb->s == NULL) {
			return MGR_EPROTO;
		}
		len = strlen(pb->s);
		if ((s = malloc_prefaulted(len + 1)) == NULL) {
			return MGR_ENOMEM;
		}
		memcpy(s, pb->s, len + 1);
		*out = (mgr_value) { .kind = MGR_STR, .len = len, .s = s };
		break;
	case MGR__VALUE__KIND_Y:
		if (pb->y.data == NULL && pb->y.len > 0) {
			return MGR_EPROTO;
		}
		if (steal && pb->y.len > 0) {
			// Taken from the message, which then frees nothing.
			*out = (mgr_value) { .kind = MGR_BYTES,
				.len               = pb->y.len,
				.bytes             = pb->y.data };
			((Mgr__Value *) pb)->y = (ProtobufCBinaryData) { 0 };
			break;
		}
		// NUL-terminated too, so that printing it as text is safe.
		if (pb->y.len == SIZE_MAX
		    || (s = malloc_prefaulted(pb->y.len + 1)) == NULL) {
			return MGR_ENOMEM;
		}
		if (pb->y.len > 0) {
			memcpy(s, pb->y.data, pb->y.len);
		}
		s[pb->y.len] = '\0';
		*out         = (mgr_value) {
			        .kind = MGR_BYTES, .len = pb->y.len, .s = s
		};
		break;
	case MGR__VALUE__KIND_LIST:
	case MGR__VALUE__KIND_TUPLE:
	case MGR__VALUE__KIND_DICT:
		if (depth >= CODEC_MAX_DEPTH) {
			client_set_detail(
			    "value nested over %d levels", CODEC_MAX_DEPTH);
			return MGR_EPROTO;
		}
		if (pb->kind_case == MGR__VALUE__KIND_DICT) {
			return decode_map(c, pb->dict, out, depth, steal);
		}
		return decode_seq(c,
		    pb->kind_case == MGR__VALUE__KIND_LIST ? pb->list
		                                           : pb->tuple,
		    pb->kind_case == MGR__VALUE__KIND_LIST ? MGR_LIST
		                                           : MGR_TUPLE,
		    out, depth, steal);
	case MGR__VALUE__KIND_REF:
		return decode_ref(c, pb->ref, out);
	default:
		client_set_detail("value without a kind");
		return MGR_EPROTO;
	}
	out->flags = MGR_VALUE_OWNED;
	return 0;
}

/* After a failed decode: every reference of the tree not made into a
 * proxy goes back to the manager, which gave this session one for each
 * (the proxies made were freed with the partial value). */
static void
give_back(mgr_client *c, const Mgr__Value *pb, int depth)
{
	if (pb == NULL || depth > CODEC_MAX_DEPTH) {
		return;
	}
	const Mgr__Seq *seq = pb->kind_case == MGR__VALUE__KIND_LIST
	    ? pb->list
	    : pb->kind_case == MGR__VALUE__KIND_TUPLE ? pb->tuple
	                                              : NULL;
	if (pb->kind_case == MGR__VALUE__KIND_REF && pb->ref != NULL
	    && pb->ref->id != 0) {
		(void) client_call_noargs(c, MGR__OP__OP_RELEASE, pb->ref->id,
		    pb->ref->secret, NULL);
		pb->ref->id = 0;
	} else if (seq != NULL && (seq->items != NULL || seq->n_items == 0)) {
		for (size_t i = 0; i < seq->n_items; i++) {
			give_back(c, seq->items[i], depth + 1);
		}
	} else if (pb->kind_case == MGR__VALUE__KIND_DICT
	    && pb->dict != NULL) {
		for (size_t i = 0; i < pb->dict->n_keys && pb->dict->keys;
		     i++) {
			give_back(c, pb->dict->keys[i], depth + 1);
		}
		for (size_t i = 0; i < pb->dict->n_values && pb->dict->values;
		     i++) {
			give_back(c, pb->dict->values[i], depth + 1);
		}
	}
}

static int
from_pb(mgr_client *c, const Mgr__Value *pb, mgr_value *out, bool steal)
{
	ARG_NONNULL(out);
	int rv = decode(c, pb, out, 0, steal);
	if (rv != 0 && c != NULL) {
		char detail[512];
		snprintf(detail, sizeof(detail), "%s", mgr_errdetail());
		give_back(c, pb, 0);
		client_set_detail(
		    "%s", detail); // the decode's, not give_back's
	}
	return rv;
}

int
codec_from_pb(mgr_client *c, const Mgr__Value *pb, mgr_value *out)
{
	return from_pb(c, pb, out, false);
}

int
codec_take_pb(mgr_client *c, Mgr__Value *pb, mgr_value *out)
{
	return from_pb(c, pb, out, true);
}
