/* managerctl cluster: a managerd --cluster's status, and its membership
 * changes (add, remove) followed until the group has made them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ctl.h"

#define CHANGE_WAIT_MS 60000 /* without --timeout */

/* A member's figure in the family dict info[name] ({"ID": v}), or NULL. */
static const mgr_value *
member_figure(const mgr_value *info, const char *name, const char *id)
{
	const mgr_value *fam = dict_member(info, name);
	return fam != NULL && fam->kind == MGR_DICT ? dict_member(fam, id)
	                                            : NULL;
}

static int
print_status(const mgr_value *info)
{
	size_t    shown = 0;
	mgr_value pairs[2 * 64];
	for (size_t i = 0; i < info->len; i++) {
		const mgr_value *k = &info->pairs[2 * i], *v = k + 1;
		if (k->kind != MGR_STR || strncmp(k->s, "cluster_", 8) != 0) {
			continue;
		}
		if (ctl_json) { // the same figures, as one object
			if (shown < 64) {
				pairs[2 * shown]     = mgr_str(k->s + 8);
				pairs[2 * shown + 1] = *v;
			}
		} else if (v->kind == MGR_INT) {
			printf("%s: %lld\n", k->s + 8, (long long) v->i);
		} else if (v->kind == MGR_STR) {
			printf("%s: %s\n", k->s + 8, v->s[0] ? v->s : "-");
		}
		shown++;
	}
	if (shown == 0) {
		fprintf(stderr,
		    "managerctl: cluster: this manager is no "
		    "member of a cluster (managerd --cluster)\n");
		return EXIT_MANAGER;
	}
	if (ctl_json) {
		mgr_value d = { .kind = MGR_DICT,
			.len          = shown < 64 ? shown : 64,
			.pairs        = pairs };
		return print_value(&d);
	}
	const mgr_value *addrs = dict_member(info, "cluster_member_address");
	for (size_t i = 0;
	     addrs != NULL && addrs->kind == MGR_DICT && i < addrs->len;
	     i++) {
		const char      *id = addrs->pairs[2 * i].s;
		const mgr_value *role
		    = member_figure(info, "cluster_member_role", id);
		const mgr_value *match
		    = member_figure(info, "cluster_member_match", id);
		const mgr_value *lag
		    = member_figure(info, "cluster_member_lag", id);
		printf("member %s: %s, %s", id, addrs->pairs[2 * i + 1].s,
		    role != NULL && role->kind == MGR_STR ? role->s : "?");
		if (match != NULL && lag != NULL) {
			printf(", has up to entry %lld, lacks %lld",
			    (long long) match->i, (long long) lag->i);
		}
		printf("\n");
	}
	return 0;
}

/* The figures now (freed by the caller), or EXIT_MANAGER said. */
static int
read_info(cmd_ctx *x, mgr_value *info)
{
	int rv = mgr_info(x->c, info);
	return rv == 0 ? 0 : fail("cluster", rv);
}

/* Waits until the change asked of node is made (add: it votes; remove:
 * it is gone), as the leader's figures say; 0, or EXIT_MANAGER. */
static int
follow_change(cmd_ctx *x, bool add, const char *id)
{
	int64_t deadline
	    = clock_ms() + (x->timeout > 0 ? x->timeout : CHANGE_WAIT_MS);
	char last[256] = "";
	for (;;) {
		mgr_value info;
		int       st = read_info(x, &info);
		if (st != 0) {
			return st;
		}
		const mgr_value *role
		    = member_figure(&info, "cluster_member_role", id);
		const mgr_value *change
		    = dict_member(&info, "cluster_change");
		const mgr_value *busy
		    = dict_member(&info, "cluster_changing");
		bool changing
		    = busy != NULL && busy->kind == MGR_INT && busy->i;
		char said[256] = "";
		if (change != NULL && change->kind == MGR_STR) {
			snprintf(said, sizeof(said), "%s", change->s);
		}
		bool done = !changing
		    && (add ? role != NULL && role->kind == MGR_STR
		                && strcmp(role->s, "voter") == 0
		            : role == NULL);
		bool failed = !changing && !done;
		mgr_value_free(&info);
		// A leader that made no change says "none" (the change may
		// have moved the leader: one that removed itself).
		if (strcmp(said, last) != 0 && strcmp(said, "none") != 0
		    && !ctl_json) {
			printf("%s\n", said);
			fflush(stdout);
			snprintf(last, sizeof(last), "%s", said);
		}
		if (done || failed) {
			if (ctl_json) {
				mgr_value pairs[4] = { mgr_str("ok"),
					mgr_bool(done), mgr_str("change"),
					mgr_str(said) };
				mgr_value d        = { .kind = MGR_DICT,
					       .len          = 2,
					       .pairs        = pairs };
				(void) print_value(&d);
			}
			if (failed) {
				fprintf(stderr, "managerctl: cluster: %s\n",
				    said);
			} else if (!ctl_json
			    && strstr(last, add ? "voter" : "removed")
			        == NULL) { // said by a leader gone since
				printf("node %s %s\n", id,
				    add ? "is a voter" : "removed");
			}
			return done ? 0 : EXIT_MANAGER;
		}
		if (clock_ms() >= deadline) {
			fprintf(stderr,
			    "managerctl: cluster: node %s: not done after "
			    "%lld ms (%s)%s\n",
			    id,
			    (long long) (x->timeout > 0 ? x->timeout
			                                : CHANGE_WAIT_MS),
			    said,
			    add ? "; is its managerd started with --join, "
			          "and "
			          "can the leader reach it?"
			        : "");
			return EXIT_MANAGER;
		}
		struct timespec nap = { 0, 50 * 1000 * 1000 };
		nanosleep(&nap, NULL);
	}
}

/* "N" (a member id) into *id: true, or false. */
static bool
parse_id(const char *s, size_t len, unsigned long long *id)
{
	char  buf[24];
	char *end;
	if (len == 0 || len >= sizeof(buf) || strspn(s, "0123456789") < len) {
		return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	*id      = strtoull(buf, &end, 10);
	return *end == '\0' && *id > 0;
}

int
cmd_cluster(cmd_ctx *x)
{
	const char *what = x->nargs > 0 ? x->args[0] : "status";
	bool        add  = strcmp(what, "add") == 0;
	if (strcmp(what, "status") == 0 && x->nargs <= 1) {
		mgr_value info;
		int       st = read_info(x, &info);
		if (st == 0) {
			st = print_status(&info);
			mgr_value_free(&info);
		}
		return st;
	}
	if ((!add && strcmp(what, "remove") != 0) || x->nargs != 2) {
		return usage_error("cluster %s: status, add ID=HOST:PORT or "
		                   "remove ID",
		    what);
	}
	const char        *arg = x->args[1];
	const char        *eq  = add ? strchr(arg, '=') : arg + strlen(arg);
	unsigned long long id;
	if (eq == NULL || !parse_id(arg, (size_t) (eq - arg), &id)
	    || (add && eq[1] == '\0')) {
		return usage_error(add ? "cluster add %s: not ID=HOST:PORT"
		                       : "cluster remove %s: not a member id",
		    arg);
	}
	char ids[24];
	snprintf(ids, sizeof(ids), "%llu", id);
	bool member = false; // before the ask
	if (!add) {
		mgr_value info;
		int       st = read_info(x, &info);
		if (st != 0) {
			return st;
		}
		member = member_figure(&info, "cluster_member_role", ids)
		    != NULL;
		mgr_value_free(&info);
	}
	int rv = add ? mgr_cluster_add(x->c, id, eq + 1)
	             : mgr_cluster_remove(x->c, id);
	if (rv == MGR_ENOOBJ && member) {
		// The leader removed itself, and stepped down before its
		// answer left: asked again of the next, it is gone already.
		rv = 0;
	}
	if (rv != 0) {
		return fail("cluster", rv);
	}
	return follow_change(x, add, ids);
}
