#include "report.h"

#include <string.h>

#include "sdict.h"
#include "svec.h"

void
report_put(report *r, sval *d, const char *key, sval v)
{
	sval k;
	if (r->rv == 0 && d->kind == SV_DICT) {
		r->rv = sv_str(&k, SV_STR, key, strlen(key));
		if (r->rv == 0) {
			r->rv = sdict_set(d->dict, &k, &v);
			sv_free(&k);
		}
	}
	sv_free(&v);
}

void
report_put_int(report *r, sval *d, const char *key, int64_t i)
{
	report_put(r, d, key, sv_int(i));
}

void
report_put_str(report *r, sval *d, const char *key, const char *s)
{
	report_put(r, d, key, report_str(r, s));
}

void
report_append(report *r, sval *l, sval v)
{
	if (r->rv == 0 && l->kind == SV_LIST) {
		r->rv = svec_append(l->vec, &v);
	}
	sv_free(&v);
}

sval
report_dict(report *r)
{
	sval d = { .kind = SV_NONE };
	if (r->rv == 0) {
		r->rv = sv_new_dict(&d);
	}
	return d;
}

sval
report_list(report *r)
{
	sval l = { .kind = SV_NONE };
	if (r->rv == 0) {
		r->rv = sv_new_list(&l, SV_LIST, 0);
	}
	return l;
}

sval
report_str(report *r, const char *s)
{
	sval v = { .kind = SV_NONE };
	if (r->rv == 0) {
		r->rv = sv_str(&v, SV_STR, s, strlen(s));
	}
	return v;
}
