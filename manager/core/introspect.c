/* The manager telling about itself: INFO (the figures of stats.c as a
 * dict), SESSIONS (who is connected, what each holds and waits on),
 * OBJECTS and WAITS (describe.c). managerctl's info, watch, clients,
 * objects and waits read these; the dashboard (webapi.c) the same. */
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "describe.h"
#include "journal.h"
#include "mgr.h"
#include "names.h"
#include "report.h"
#include "sdict.h"
#include "server_state.h"

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

/* A cluster member's words (the figures are stats.c's): its role, the
 * last membership change, and each member's address and role. */
static void
cluster_info(report *r, sval *info, server *srv)
{
	cluster_figures cf;
	if (!journal_cluster_figures(srv, &cf)) {
		return;
	}
	report_put_str(r, info, "cluster_role", cf.role);
	report_put_str(r, info, "cluster_change",
	    cf.group.change[0] != '\0' ? cf.group.change : "none");
	report_put_str(r, info, "cluster_leader_urls", cf.leader_urls);
	for (size_t i = 0; i < cf.group.n && r->rv == 0; i++) {
		const raft_node_member *m = &cf.group.members[i];
		char                    id[24];
		snprintf(id, sizeof(id), "%llu", (unsigned long long) m->id);
		sval *addr = family_of(r, info, "cluster_member_address");
		if (addr != NULL) {
			report_put_str(r, addr, id, m->addr);
		}
		sval *role = family_of(r, info, "cluster_member_role");
		if (role != NULL) {
			report_put_str(r, role, id, m->role);
		}
	}
}

sval
introspect_info(server *srv, bool collect, report *r)
{
	stats_figure f[STATS_MAX_FIGURES];
	gc_maybe(srv, collect);
	size_t n    = stats_snapshot(srv, f);
	sval   info = report_dict(r);
	report_put_str(r, &info, "version", MGR_VERSION_STRING);
	report_put_str(r, &info, "lock_hold_max_op",
	    srv->lock_hold_max_by[0] ? srv->lock_hold_max_by : "none yet");
	journal_figures jf;
	if (journal_figures_of(srv, &jf)) {
		report_put_str(r, &info, "log_fsync", jf.fsync);
	}
	journal_snapshot_figures sf;
	if (journal_snapshot_figures_of(srv, &sf)) {
		report_put_str(r, &info, "snapshot_error", sf.error);
	}
	cluster_info(r, &info, srv);
	for (size_t i = 0; i < n && r->rv == 0; i++) {
		if (f[i].label[0] != '\0') {
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
	sval   info = introspect_info(c->srv, true, &r);
	if (r.rv != 0) {
		sv_free(&info);
		return mctx_fail(c, r.rv, "cannot build the statistics");
	}
	c->res = info;
	return 0;
}

/* What the listing ops describe: from offset, at most limit. */
enum listing { L_SESSIONS, L_OBJECTS, L_WAITS };

/* The reply of a listing op: built with the object names at hand. */
static int
reply_listing(mctx *c, enum listing what, size_t offset, size_t limit)
{
	static const char *const whats[]
	    = { "the sessions", "the objects", "the waits" };
	report       r     = { 0 };
	sval         v     = SV_NONE_INIT;
	const idmap *names = names_index(c->srv);
	switch (what) {
	case L_SESSIONS:
		v = sessions_describe(c->srv, names, &r);
		break;
	case L_OBJECTS:
		v = describe_objects(c->srv, names, offset, limit, &r);
		break;
	case L_WAITS:
		v = describe_waits(c->srv, names, &r);
		break;
	}
	if (r.rv != 0) {
		sv_free(&v);
		return mctx_fail(c, r.rv, "cannot describe %s", whats[what]);
	}
	c->res = v;
	return 0;
}

static int
h_sessions(mctx *c)
{
	return reply_listing(c, L_SESSIONS, 0, 0);
}

/* A page of the objects (describe.c): offset and limit (at most
 * DESCRIBE_PAGE_MAX) from the arguments. */
static int
h_objects(mctx *c)
{
	int64_t offset = 0, limit = 100;
	int     rv;
	if ((c->nargs > 0 && (rv = mctx_arg_int(c, 0, &offset)) != 0)
	    || (c->nargs > 1 && (rv = mctx_arg_int(c, 1, &limit)) != 0)) {
		return rv;
	}
	if (offset < 0 || limit < 0 || limit > DESCRIBE_PAGE_MAX) {
		return mctx_fail(c, MGR_EINVAL,
		    "offset >= 0 and limit in 0..%d", DESCRIBE_PAGE_MAX);
	}
	return reply_listing(c, L_OBJECTS, (size_t) offset, (size_t) limit);
}

/* SESSION_END [id]: another session ended, as its lease running out
 * would (managerctl end, mgr_session_end). */
static int
h_session_end(mctx *c)
{
	int64_t id;
	int     rv = c->nargs == 1
	        ? mctx_arg_int(c, 0, &id)
	        : mctx_fail(c, MGR_EINVAL, "session_end takes a session id");
	if (rv != 0) {
		return rv;
	}
	if ((uint64_t) id == session_id(c->sess)) {
		return mctx_fail(c, MGR_EINVAL,
		    "a session ends itself with a goodbye (mgr_disconnect), "
		    "not session_end");
	}
	char by[64];
	snprintf(by, sizeof(by), "session %llu",
	    (unsigned long long) session_id(c->sess));
	if (id <= 0 || session_end_id(c->srv, (uint64_t) id, by) != 0) {
		return mctx_fail(
		    c, MGR_ENOOBJ, "no session %lld", (long long) id);
	}
	return 0;
}

/* Held locks with their waiters, and the wait-for cycles (describe.c). */
static int
h_waits(mctx *c)
{
	return reply_listing(c, L_WAITS, 0, 0);
}

const mop introspect_ops[] = {
	{ MGR__OP__OP_INFO, 0, 0, 0, MOP_ADMIN, h_info },
	{ MGR__OP__OP_SESSIONS, 0, 0, 0, MOP_ADMIN, h_sessions },
	{ MGR__OP__OP_OBJECTS, 0, 0, 2, MOP_ADMIN, h_objects },
	{ MGR__OP__OP_WAITS, 0, 0, 0, MOP_ADMIN, h_waits },
	{ MGR__OP__OP_SESSION_END, 0, 0, 1, MOP_ADMIN | MOP_WRITE,
	    h_session_end },
	{ 0 },
};
