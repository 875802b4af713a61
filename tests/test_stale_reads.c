/* A stale-read session (mgr_opts.stale_reads) on a manager of one: it
 * reads what others made, through names and through proxies inside
 * values; it changes nothing and waits for nothing (MGR_ESTATE, said
 * why); its proxies hold no reference, so an object its last holder lets
 * go answers it MGR_ENOOBJ; managerctl sessions shows it as such. The
 * cluster's side (a follower serving it) is test_cluster_stale_reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "mgr.h"

static h_managerd  md;
static mgr_client *writer, *reader;

static int
setup(void **state)
{
	(void) state;
	h_start_client(&md, &writer, NULL);
	mgr_opts o    = h_opts(&md);
	o.stale_reads = true;
	OK(mgr_connect(&reader, md.url, &o));
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	mgr_disconnect(reader);
	h_stop_client(&md, writer);
	return 0;
}

/* The reader's session, from mgr_sessions: its dict's value of key. */
static int64_t
reader_session_int(const char *key, bool *stale)
{
	mgr_value list;
	OK(mgr_sessions(writer, &list));
	int64_t out = -1;
	for (size_t i = 0; i < list.len; i++) {
		const mgr_value *s  = &list.items[i];
		const mgr_value *sr = h_dict_find(s, "stale_reads");
		assert_non_null(sr);
		if (sr->b) {
			const mgr_value *v = h_dict_find(s, key);
			assert_non_null(v);
			out    = v->i;
			*stale = true;
		}
	}
	mgr_value_free(&list);
	return out;
}

static void
test_reads_what_others_made(void **state)
{
	(void) state;
	mgr_obj *d, *l;
	OK(mgr_dict_new(writer, &d));
	OK(mgr_list_new(writer, &l));
	OK(mgr_list_append(l, mgr_int(7)));
	OK(mgr_dict_set(d, mgr_str("n"), mgr_int(41)));
	OK(mgr_dict_set(d, mgr_str("list"), mgr_ref(l)));
	OK(mgr_name_set(writer, "d", d));

	mgr_obj *rd;
	OK(mgr_name_get(reader, "d", &rd));
	mgr_value v;
	OK(mgr_dict_get(rd, mgr_str("n"), &v));
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, 41);
	mgr_value_free(&v);
	// A proxy inside a value read: usable, holding nothing.
	OK(mgr_dict_get(rd, mgr_str("list"), &v));
	assert_int_equal(v.kind, MGR_REF);
	size_t n = 0;
	OK(mgr_list_len(v.ref, &n));
	assert_int_equal(n, 1);
	bool    stale = false;
	int64_t held  = reader_session_int("objects", &stale);
	assert_true(stale);
	assert_int_equal(held, 0);
	mgr_value_free(&v); // releasing it only frees memory
	OK(mgr_obj_release(rd));
	mgr_obj_release(l);
	mgr_obj_release(d);
}

static void
test_changes_nothing(void **state)
{
	(void) state;
	mgr_obj *d, *q, *lk;
	OK(mgr_dict_new(writer, &d));
	OK(mgr_name_set(writer, "d", d));
	OK(mgr_queue_new(writer, 0, &q));
	OK(mgr_name_set(writer, "q", q));
	OK(mgr_lock_new(writer, &lk));
	OK(mgr_name_set(writer, "lk", lk));

	mgr_obj *rd, *rq, *rlk, *made = NULL;
	OK(mgr_name_get(reader, "d", &rd));
	OK(mgr_name_get(reader, "q", &rq));
	OK(mgr_name_get(reader, "lk", &rlk));
	assert_int_equal(
	    mgr_dict_set(rd, mgr_str("k"), mgr_int(1)), MGR_ESTATE);
	h_assert_detail_has("stale-read session");
	assert_int_equal(mgr_dict_new(reader, &made), MGR_ESTATE);
	assert_null(made);
	assert_int_equal(mgr_name_set(reader, "other", rd), MGR_ESTATE);
	mgr_value item;
	assert_int_equal(mgr_queue_get(rq, &item, 0), MGR_ESTATE);
	assert_int_equal(mgr_acquire(rlk, 0), MGR_ESTATE);
	// Nothing changed, and the reader still reads.
	mgr_value v;
	assert_int_equal(mgr_dict_get(d, mgr_str("k"), &v), MGR_EKEY);
	size_t n = 9;
	OK(mgr_dict_len(rd, &n));
	assert_int_equal(n, 0);
	mgr_obj_release(rd);
	mgr_obj_release(rq);
	mgr_obj_release(rlk);
	mgr_obj_release(d);
	mgr_obj_release(q);
	mgr_obj_release(lk);
}

static void
test_holds_no_reference(void **state)
{
	(void) state;
	mgr_obj *d;
	OK(mgr_dict_new(writer, &d));
	OK(mgr_dict_set(d, mgr_str("k"), mgr_int(1)));
	OK(mgr_name_set(writer, "d", d));
	mgr_obj *rd;
	OK(mgr_name_get(reader, "d", &rd));
	// The last holder lets go: the object goes, whatever the reader
	// has.
	OK(mgr_name_del(writer, "d"));
	mgr_obj_release(d);
	// Released before the reply (a small dict is freed at once).
	mgr_value v;
	int       rv = mgr_dict_get(rd, mgr_str("k"), &v);
	assert_int_equal(rv, MGR_ENOOBJ);
	OK(mgr_obj_release(rd));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_reads_what_others_made, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_holds_no_reference, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
