#include "json.h"

#include "json_str.h"
#include "literal.h"
#include "repr.h"

#include <mbedtls/base64.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* bytes as a base64 JSON string (mbedTLS's encoder). */
static int
put_base64(FILE *f, const unsigned char *p, size_t len)
{
	size_t need = 0;
	(void) mbedtls_base64_encode(NULL, 0, &need, p, len);
	unsigned char *out = malloc(need ? need : 1);
	if (out == NULL) {
		return MGR_ENOMEM;
	}
	size_t n = 0;
	if (mbedtls_base64_encode(out, need, &n, p, len) != 0) {
		free(out);
		return MGR_EINTERNAL;
	}
	fprintf(f, "\"%.*s\"", (int) n, (const char *) out);
	free(out);
	return 0;
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
			char num[40]; // Python's repr: the shortest that
			              // reads back
			repr_float_to(v->f, num, sizeof(num));
			fputs(num, f);
		}
		break;
	case MGR_STR:
		json_put_string(f, v->s, v->len);
		break;
	case MGR_BYTES:
		fputs("{\"bytes\": ", f);
		if ((rv = put_base64(f, v->bytes, v->len)) != 0) {
			return rv;
		}
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
