/* bench_mgr's connection to our manager: --url and --keyfile, read once,
 * and the checks every workload makes of its calls. */
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr_conn.h"

static const char *url;
static mgr_opts    opts;

void
check(int rv, const char *what)
{
	if (rv != 0) {
		die("%s: %s (%s)", what, mgr_strerror(rv), mgr_errdetail());
	}
}

void
mgr_setup(const bench_args *a)
{
	size_t len;
	url = arg_str(a, "--url", NULL);
	if (url == NULL) {
		die("give --url");
	}
	const char *kf = arg_str(a, "--keyfile", NULL);
	if (kf == NULL) {
		die("give --keyfile");
	}
	opts.authkey     = read_key_file(kf, &len);
	opts.authkey_len = len;
}

mgr_client *
connect_or_die(void)
{
	mgr_client *c;
	check(mgr_connect(&c, url, &opts), "connect");
	return c;
}

const char *
bench_url(void)
{
	return url;
}

void
bench_set_reconnect(int64_t ms)
{
	opts.reconnect = ms;
}

long long
lock_hold_max(mgr_client *c, char *op, size_t cap)
{
	mgr_value info;
	check(mgr_info(c, &info), "info");
	long long us = -1;
	snprintf(op, cap, "?");
	for (size_t i = 0; info.kind == MGR_DICT && i < info.len; i++) {
		const mgr_value *k = &info.pairs[2 * i],
		                *v = &info.pairs[2 * i + 1];
		if (k->kind != MGR_STR) {
			continue;
		}
		if (strcmp(k->s, "lock_hold_max_us") == 0
		    && v->kind == MGR_INT) {
			us = (long long) v->i;
		} else if (strcmp(k->s, "lock_hold_max_op") == 0
		    && v->kind == MGR_STR) {
			snprintf(op, cap, "%s", v->s);
		}
	}
	mgr_value_free(&info);
	return us;
}
