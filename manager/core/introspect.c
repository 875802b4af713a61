/* The manager telling about itself: INFO (the figures of stats.c as a
 * dict) and SESSIONS (who is connected, what each holds and waits on).
 * managerctl's info, watch and clients read these. */
#include <string.h>

#include "describe.h"
#include "mgr.h"
#include "report.h"
#include "sdict.h"
#include "server.h"

/* info[name], a dict made on first use: where a family's members go. */
static sval *
family_of(report *r, sval *info, const char *name)
{
	sval  key;
	sval *fam = NULL;
	if (r->rv == 0
	    && (r->rv = sv_str(&key, SV_STR, name, strlen(name))) == 0) {
		fam = sdict_get(info->dict, &key);
		if (fam == NULL) {
			report_put(r, info, name, report_dict(r));
			fam = r->rv == 0 ? sdict_get(info->dict, &key) : NULL;
		}
		sv_free(&key);
	}
	return fam;
}

sval
introspect_info(server *srv, report *r)
{
	stats_figure f[STATS_MAX_FIGURES];
	gc_maybe(srv, true); // counts include no garbage cycles
	size_t n    = stats_snapshot(srv, f);
	sval   info = report_dict(r);
	report_put_str(r, &info, "version", MGR_VERSION_STRING);
	for (size_t i = 0; i < n && r->rv == 0; i++) {
		if (f[i].label != NULL) {
			sval *fam = family_of(r, &info, f[i].name);
			if (fam != NULL) {
				report_put_int(
				    r, fam, f[i].label, (int64_t) f[i].v_int);
			}
		} else {
			report_put(r, &info, f[i].name,
			    f[i].real ? sv_float(f[i].v_real)
			              : sv_int((int64_t) f[i].v_int));
		}
	}
	return info;
}

static int
h_info(mctx *c)
{
	report r    = { 0 };
	sval   info = introspect_info(c->srv, &r);
	if (r.rv != 0) {
		sv_free(&info);
		return mctx_fail(c, r.rv, "cannot build the statistics");
	}
	c->res = info;
	return 0;
}

static int
h_sessions(mctx *c)
{
	server *srv = c->srv;
	report  r   = { 0 };
	idmap   names;
	if (describe_names(srv, &names) != 0) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	sval list = sessions_describe(srv, &names, &r);
	idmap_fini(&names);
	if (r.rv != 0) {
		sv_free(&list);
		return mctx_fail(c, r.rv, "cannot list the sessions");
	}
	c->res = list;
	return 0;
}

const mop introspect_ops[] = {
	{ MGR__OP__OP_INFO, 0, 0, 0, MOP_ADMIN, h_info },
	{ MGR__OP__OP_SESSIONS, 0, 0, 0, MOP_ADMIN, h_sessions },
	{ 0 },
};
