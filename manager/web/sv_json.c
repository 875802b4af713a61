/* A value the manager reports about itself (report.c: dicts, lists, str,
 * int, float, bool, None) as JSON text, for the HTTP API. */
#include "sv_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "json_str.h"
#include "mgr.h"
#include "sdict.h"
#include "svec.h"

static void
put(FILE *f, const sval *v)
{
	switch (v->kind) {
	case SV_BOOL:
		fputs(v->b ? "true" : "false", f);
		break;
	case SV_INT:
		fprintf(f, "%lld", (long long) v->i);
		break;
	case SV_FLOAT:
		if (isfinite(v->f)) {
			fprintf(f, "%.17g", v->f);
		} else {
			fputs("null", f); // JSON has no NaN or infinity
		}
		break;
	case SV_STR:
	case SV_BYTES:
		json_put_string(f, sv_sdata(v), sv_slen(v));
		break;
	case SV_LIST:
	case SV_TUPLE:
		fputc('[', f);
		for (size_t i = 0; i < svec_len(v->vec); i++) {
			if (i > 0) {
				fputc(',', f);
			}
			put(f, svec_at(v->vec, i));
		}
		fputc(']', f);
		break;
	case SV_DICT: {
		size_t pos   = 0;
		sval  *k     = NULL, *x;
		bool   first = true;
		fputc('{', f);
		while (sdict_next(v->dict, &pos, &k, &x)) {
			if (!first) {
				fputc(',', f);
			}
			first = false;
			if (k->kind == SV_STR) {
				json_put_string(f, sv_sdata(k), sv_slen(k));
			} else {
				fprintf(f, "\"%lld\"", (long long) k->i);
			}
			fputc(':', f);
			put(f, x);
		}
		fputc('}', f);
		break;
	}
	default:
		fputs("null", f);
	}
}

int
sv_to_json(const sval *v, char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);
	if (f == NULL) {
		return MGR_ENOMEM;
	}
	put(f, v);
	fputc('\n', f);
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad) {
		free(*out);
		*out = NULL;
		return MGR_ENOMEM;
	}
	return 0;
}
