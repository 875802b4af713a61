/* The C side of the Python client's interoperation test
 * (python/tests/test_interop.py): a C process sharing one queue, one lock
 * and one dict with a Python process, all found by name.
 *
 *   child_python_peer PREFIX N
 *
 * connects through MGR_URL and MGR_AUTHKEY and finds PREFIX.lock,
 * PREFIX.d, PREFIX.toc and PREFIX.topy; then N times: under the lock,
 * d["count"] = d["count"] + 1 (a read and a write: the lock makes them
 * one step against the Python process doing the same), and puts
 * ("c", i) on PREFIX.topy; then gets N items from PREFIX.toc (what the
 * Python process put: ("py", i)), sums their i into d["c_sum"], and
 * prints "done". Exit codes: 0 success, 1 usage, 2 a call failed, 3 an
 * item that is not ("py", i).
 */
#include "check.h"
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
find(mgr_client *c, const char *prefix, const char *what, mgr_obj **o)
{
	char name[200];
	snprintf(name, sizeof(name), "%s.%s", prefix, what);
	return mgr_name_get(c, name, o);
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: child_python_peer PREFIX N\n");
		return 1;
	}
	const char *prefix = argv[1];
	long        n      = atol(argv[2]);
	mgr_client *c;
	mgr_obj    *lock, *d, *toc, *topy;
	CHECK(mgr_connect_env(&c));
	CHECK(find(c, prefix, "lock", &lock));
	CHECK(find(c, prefix, "d", &d));
	CHECK(find(c, prefix, "toc", &toc));
	CHECK(find(c, prefix, "topy", &topy));
	for (long i = 0; i < n; i++) {
		mgr_value v;
		CHECK(mgr_acquire(lock, MGR_FOREVER));
		CHECK(mgr_dict_get(d, mgr_str("count"), &v));
		CHECK(mgr_dict_set(d, mgr_str("count"), mgr_int(v.i + 1)));
		CHECK(mgr_release(lock));
		mgr_value item[2] = { mgr_str("c"), mgr_int(i) };
		CHECK(
		    mgr_queue_put(topy, mgr_tuple_of(item, 2), MGR_FOREVER));
	}
	int64_t sum = 0;
	for (long i = 0; i < n; i++) {
		mgr_value v;
		CHECK(mgr_queue_get(toc, &v, 20000));
		if (v.kind != MGR_TUPLE || v.len != 2
		    || v.items[0].kind != MGR_STR
		    || strcmp(v.items[0].s, "py") != 0
		    || v.items[1].kind != MGR_INT) {
			char buf[200];
			mgr_value_repr(&v, buf, sizeof(buf));
			fprintf(stderr, "child_python_peer: got %s\n", buf);
			mgr_value_free(&v);
			return 3;
		}
		sum += v.items[1].i;
		mgr_value_free(&v);
	}
	CHECK(mgr_dict_set(d, mgr_str("c_sum"), mgr_int(sum)));
	mgr_obj_release(lock);
	mgr_obj_release(d);
	mgr_obj_release(toc);
	mgr_obj_release(topy);
	CHECK(mgr_disconnect(c));
	printf("done\n");
	return 0;
}
