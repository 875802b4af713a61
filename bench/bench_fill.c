/* DR: the store a restart loads (bench_fill.h). */
#include "bench_fill.h"

#include <stdlib.h>

#include "mgr_conn.h"

int
dr_fill(const bench_args *a)
{
	long long   n     = arg_int(a, "--entries", 1000000);
	long long   batch = arg_int(a, "--batch", 1000);
	mgr_client *c     = connect_or_die();
	mgr_obj    *d;
	check(mgr_dict_new(c, &d), "dict_new");
	check(mgr_name_set(c, "big", d), "name_set");
	mgr_value *pairs
	    = batch > 0 ? calloc(2 * (size_t) batch, sizeof(*pairs)) : NULL;
	if (pairs == NULL) {
		die("out of memory");
	}
	for (long long at = 0; at < n; at += batch) {
		size_t k = (size_t) (n - at < batch ? n - at : batch);
		for (size_t i = 0; i < k; i++) {
			pairs[2 * i]     = mgr_int(at + (long long) i);
			pairs[2 * i + 1] = mgr_int(2 * (at + (long long) i));
		}
		mgr_value dv = { .kind = MGR_DICT, .len = k, .pairs = pairs };
		check(mgr_dict_update(d, dv), "dict_update");
	}
	free(pairs);
	size_t len;
	check(mgr_dict_len(d, &len), "dict_len");
	result("fill.entries", (double) len, "entries");
	mgr_obj_release(d);
	mgr_disconnect(c);
	return 0;
}

int
dr_count(const bench_args *a)
{
	(void) a;
	mgr_client *c = connect_or_die();
	mgr_obj    *d;
	size_t      len;
	check(mgr_name_get(c, "big", &d), "name_get");
	check(mgr_dict_len(d, &len), "dict_len");
	result("count.entries", (double) len, "entries");
	mgr_obj_release(d);
	mgr_disconnect(c);
	return 0;
}
