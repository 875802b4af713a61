/* sval <-> mgr_value for module methods (mvalue.h). */
#include "mvalue.h"

#include <stdlib.h>

#include "sdict.h"
#include "svec.h"
#include "utf8.h"

static int
view(const sval *v, mgr_value *out, int depth)
{
	*out = (mgr_value) { .kind = MGR_NONE };
	if (depth > SV_MAX_DEPTH) {
		return MGR_ETOOBIG;
	}
	switch ((sv_kind) v->kind) {
	case SV_NONE:
		return 0;
	case SV_BOOL:
		*out = (mgr_value) { .kind = MGR_BOOL, .b = v->b };
		return 0;
	case SV_INT:
		*out = (mgr_value) { .kind = MGR_INT, .i = v->i };
		return 0;
	case SV_FLOAT:
		*out = (mgr_value) { .kind = MGR_FLOAT, .f = v->f };
		return 0;
	case SV_STR:
	case SV_BYTES:
		*out = (mgr_value) { .kind
			= v->kind == SV_STR ? MGR_STR : MGR_BYTES,
			.len = sv_slen(v),
			.s   = sv_sdata(v) };
		return 0;
	case SV_LIST:
	case SV_TUPLE: {
		size_t     n     = svec_len(v->vec);
		mgr_value *items = calloc(n ? n : 1, sizeof(*items));
		if (items == NULL) {
			return MGR_ENOMEM;
		}
		*out = (mgr_value) { .kind
			= v->kind == SV_LIST ? MGR_LIST : MGR_TUPLE,
			.len   = n,
			.items = items };
		for (size_t i = 0; i < n; i++) {
			int rv
			    = view(svec_at(v->vec, i), &items[i], depth + 1);
			if (rv != 0) {
				out->len = i;
				mv_view_free(out);
				return rv;
			}
		}
		return 0;
	}
	case SV_DICT: {
		size_t     n     = sdict_len(v->dict);
		mgr_value *pairs = calloc(n ? 2 * n : 1, sizeof(*pairs));
		if (pairs == NULL) {
			return MGR_ENOMEM;
		}
		*out = (mgr_value) {
			.kind = MGR_DICT, .len = 0, .pairs = pairs
		};
		size_t pos = 0;
		sval  *k, *val;
		while (sdict_next(v->dict, &pos, &k, &val)) {
			int rv = view(k, &pairs[2 * out->len], depth + 1);
			if (rv == 0) {
				rv = view(
				    val, &pairs[2 * out->len + 1], depth + 1);
				if (rv != 0) {
					mv_view_free(&pairs[2 * out->len]);
				}
			}
			if (rv != 0) {
				mv_view_free(out);
				return rv;
			}
			out->len++;
		}
		return 0;
	}
	default:
		return MGR_ETYPE; // a reference
	}
}

int
mv_view(const sval *v, mgr_value *out)
{
	return view(v, out, 0);
}

void
mv_view_free(mgr_value *v)
{
	if (v->kind == MGR_LIST || v->kind == MGR_TUPLE) {
		for (size_t i = 0; i < v->len; i++) {
			mv_view_free(&v->items[i]);
		}
		free(v->items);
	} else if (v->kind == MGR_DICT) {
		for (size_t i = 0; i < 2 * v->len; i++) {
			mv_view_free(&v->pairs[i]);
		}
		free(v->pairs);
	}
	*v = (mgr_value) { .kind = MGR_NONE };
}

static int
copy(const mgr_value *v, sval *out, int depth)
{
	*out = SV_NONE_INIT;
	if (depth > SV_MAX_DEPTH) {
		return MGR_ETOOBIG;
	}
	int rv = 0;
	switch (v->kind) {
	case MGR_NONE:
		return 0;
	case MGR_BOOL:
		*out = sv_bool(v->b);
		return 0;
	case MGR_INT:
		*out = sv_int(v->i);
		return 0;
	case MGR_FLOAT:
		*out = sv_float(v->f);
		return 0;
	case MGR_STR:
	case MGR_BYTES:
		if (v->len > 0 && v->s == NULL) {
			return MGR_ETYPE;
		}
		if (v->len > UINT32_MAX) {
			return MGR_ETOOBIG;
		}
		// Clients take a str for UTF-8: a module's must be.
		if (v->kind == MGR_STR && !utf8_valid(v->s, v->len, true)) {
			return MGR_ETYPE;
		}
		return sv_str(out, v->kind == MGR_STR ? SV_STR : SV_BYTES,
		    v->len ? v->s : "", v->len);
	case MGR_LIST:
	case MGR_TUPLE:
		if (v->len > 0 && v->items == NULL) {
			return MGR_ETYPE;
		}
		if ((rv = sv_new_list(out,
		         v->kind == MGR_LIST ? SV_LIST : SV_TUPLE, v->len))
		    != 0) {
			return rv;
		}
		for (size_t i = 0; i < v->len && rv == 0; i++) {
			sval item;
			if ((rv = copy(&v->items[i], &item, depth + 1)) == 0
			    && (rv = svec_append(out->vec, &item)) != 0) {
				sv_free(&item);
			}
		}
		break;
	case MGR_DICT:
		if (v->len > 0 && v->pairs == NULL) {
			return MGR_ETYPE;
		}
		if ((rv = sv_new_dict(out)) != 0) {
			return rv;
		}
		for (size_t i = 0; i < v->len && rv == 0; i++) {
			sval k, val = SV_NONE_INIT;
			if ((rv = copy(&v->pairs[2 * i], &k, depth + 1)) == 0
			    && (rv = copy(
			            &v->pairs[2 * i + 1], &val, depth + 1))
			        == 0) {
				rv = sdict_set(out->dict, &k, &val);
			}
			if (rv != 0) {
				sv_free(&k);
				sv_free(&val);
			}
		}
		break;
	default:
		return MGR_ETYPE; // a reference, or no kind at all
	}
	if (rv != 0) {
		sv_free(out);
	}
	return rv;
}

int
mv_to_sval(const mgr_value *v, sval *out)
{
	return copy(v, out, 0);
}
