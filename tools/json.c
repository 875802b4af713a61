#include "json.h"

#include "json_str.h"
#include "literal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
put_base64(FILE *f, const unsigned char *p, size_t len)
{
	static const char abc[]
	    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	      "wxyz0123456789+/";
	fputc('"', f);
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned) p[i] << 16;
		v |= i + 1 < len ? (unsigned) p[i + 1] << 8 : 0;
		v |= i + 2 < len ? p[i + 2] : 0;
		fputc(abc[(v >> 18) & 63], f);
		fputc(abc[(v >> 12) & 63], f);
		fputc(i + 1 < len ? abc[(v >> 6) & 63] : '=', f);
		fputc(i + 2 < len ? abc[v & 63] : '=', f);
	}
	fputc('"', f);
}

/* A dict key: a str as it is, anything else as its repr. */
static int
put_key(FILE *f, const mgr_value *k)
{
	if (k->kind == MGR_STR) {
		json_put_string(f, k->s, k->len);
		return 0;
	}
	char *text;
	int   rv = literal_repr(k, &text);
	if (rv == 0) {
		json_put_string(f, text, strlen(text));
		free(text);
	}
	return rv;
}

static int
put(FILE *f, const mgr_value *v, int depth)
{
	int rv = 0;
	if (depth > 64) {
		return MGR_EINVAL;
	}
	switch (v->kind) {
	case MGR_NONE:
		fputs("null", f);
		break;
	case MGR_BOOL:
		fputs(v->b ? "true" : "false", f);
		break;
	case MGR_INT:
		fprintf(f, "%lld", (long long) v->i);
		break;
	case MGR_FLOAT:
		if (isnan(v->f)) {
			fputs("\"nan\"", f);
		} else if (isinf(v->f)) {
			fputs(v->f > 0 ? "\"inf\"" : "\"-inf\"", f);
		} else {
			fprintf(f, "%.17g", v->f);
		}
		break;
	case MGR_STR:
		json_put_string(f, v->s, v->len);
		break;
	case MGR_BYTES:
		fputs("{\"bytes\": ", f);
		put_base64(f, v->bytes, v->len);
		fputc('}', f);
		break;
	case MGR_LIST:
	case MGR_TUPLE:
		fputc('[', f);
		for (size_t i = 0; i < v->len && rv == 0; i++) {
			fputs(i ? ", " : "", f);
			rv = put(f, &v->items[i], depth + 1);
		}
		fputc(']', f);
		break;
	case MGR_DICT:
		fputc('{', f);
		for (size_t i = 0; i < v->len && rv == 0; i++) {
			fputs(i ? ", " : "", f);
			rv = put_key(f, &v->pairs[2 * i]);
			fputs(": ", f);
			rv = rv ? rv
			        : put(f, &v->pairs[2 * i + 1], depth + 1);
		}
		fputc('}', f);
		break;
	case MGR_REF: {
		const char *t = v->ref ? mgr_obj_type(v->ref) : NULL;
		fputs("{\"ref\": ", f);
		json_put_string(f, t ? t : "?", strlen(t ? t : "?"));
		fputc('}', f);
		break;
	}
	default:
		return MGR_EINVAL;
	}
	return rv;
}

int
json_print(FILE *f, const mgr_value *v)
{
	int rv = put(f, v, 0);
	fputc('\n', f);
	return rv;
}
