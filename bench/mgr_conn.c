/* bench_mgr's connection to our manager: --url and --keyfile, read once,
 * and the checks every workload makes of its calls. */
#include <mgr.h>
#include <stdlib.h>

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
