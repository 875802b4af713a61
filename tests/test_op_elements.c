/* What one request may carry and walk while every other client waits,
 * against a real managerd: --max-request-items (values in a frame, counted
 * before unpacking) and --max-op-elements (values a request carries, and
 * what it reads, copies or sorts, nested values counted). Over either the
 * request gets MGR_ETOOBIG naming the option, nothing is applied, and the
 * session lives on with everything it holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* A request of more values than --max-request-items is refused with
 * MGR_ETOOBIG, nothing applied; the session and its connection go on
 * (what it holds is kept), reconnecting or not. */
static void
test_request_items_limit(void **state)
{
	(void) state;
	h_managerd        m;
	const char *const extra[] = { "--max-request-items", "64", NULL };
	h_start_client(&m, NULL, extra);
	for (int reconnect = 0; reconnect < 2; reconnect++) {
		mgr_opts o  = h_opts(&m);
		o.reconnect = reconnect ? 5000 : 0;
		mgr_client *c;
		OK(mgr_connect(&c, m.url, &o));
		uint64_t before, after;
		OK(mgr_client_session(c, &before));
		mgr_obj *d, *lock;
		OK(mgr_dict_new(c, &d));
		OK(mgr_lock_new(c, &lock));
		OK(mgr_acquire(lock, MGR_FOREVER));
		mgr_value items[100];
		for (int i = 0; i < 100; i++) {
			items[i] = mgr_int(i);
		}
		ERR(MGR_ETOOBIG,
		    mgr_dict_set(d, mgr_str("big"), mgr_list_of(items, 100)));
		assert_non_null(
		    strstr(mgr_errdetail(), "--max-request-items"));
		bool has;
		OK(mgr_dict_contains(d, mgr_str("big"), &has));
		assert_false(has);
		OK(mgr_dict_set(d, mgr_str("small"), mgr_list_of(items, 10)));
		OK(mgr_client_session(c, &after));
		assert_int_equal(after, before); // the same session
		bool locked;
		OK(mgr_locked(lock, &locked));
		assert_true(locked); // still held: nothing was dropped
		OK(mgr_release(lock));
		mgr_obj_release(lock);
		mgr_obj_release(d);
		mgr_disconnect(c);
	}
	assert_true(h_managerd_log_has(&m, "more than 64 values", 2000));
	h_stop_client(&m, NULL);
}

/* Walks of a whole container (a dict's items, a list's sort or copy, a
 * slice, a priority queue's peek, an atomic batch's undo copies and its
 * walks together) over --max-op-elements: MGR_ETOOBIG naming the option,
 * before any work (nothing changed, the session lives on); at the limit
 * they run. */
static void
test_op_elements_limit(void **state)
{
	(void) state;
	enum { MAX = 1000 };
	h_managerd        m;
	mgr_client       *c;
	const char *const extra[] = { "--max-op-elements", "1000", NULL };
	h_start_client(&m, &c, extra);
	mgr_obj *l, *d, *small;
	OK(mgr_list_new(c, &l));
	OK(mgr_list_new(c, &small));
	OK(mgr_dict_new(c, &d));
	mgr_value items[MAX + 1];
	for (int i = 0; i < MAX + 1; i++) {
		items[i] = mgr_int(MAX - i);
	}
	OK(mgr_list_extend(l, mgr_list_of(items, MAX)));
	OK(mgr_list_extend(small, mgr_list_of(items, 10)));
	for (int i = 0; i < MAX; i++) {
		OK(mgr_dict_set(d, mgr_int(i), mgr_int(i)));
	}
	// At the limit: everything runs. A dict's items carry three values
	// an entry (the tuple, its key and value), its copy two: over.
	mgr_value v;
	OK(mgr_list_copy(l, &v));
	mgr_value_free(&v);
	OK(mgr_dict_keys(d, &v));
	mgr_value_free(&v);
	OK(mgr_dict_values(d, &v));
	mgr_value_free(&v);
	ERR(MGR_ETOOBIG, mgr_dict_items(d, &v));
	ERR(MGR_ETOOBIG, mgr_dict_copy(d, &v));
	OK(mgr_list_sort(l, false));
	// One more: refused, nothing done.
	OK(mgr_list_append(l, mgr_int(-1)));
	OK(mgr_dict_set(d, mgr_int(MAX), mgr_int(0)));
	ERR(MGR_ETOOBIG, mgr_list_sort(l, false));
	h_assert_detail_has("--max-op-elements 1000");
	mgr_value last;
	OK(mgr_list_get(l, -1, &last));
	assert_int_equal(last.i, -1); // not sorted
	ERR(MGR_ETOOBIG, mgr_list_copy(l, &v));
	ERR(MGR_ETOOBIG, mgr_list_slice(l, 0, INT64_MAX, &v));
	h_assert_detail_has("the slice would take 1001 elements");
	OK(mgr_list_slice(l, 1, INT64_MAX, &v)); // 1000: a slice may
	assert_int_equal(v.len, MAX);
	mgr_value_free(&v);
	ERR(MGR_ETOOBIG, mgr_dict_items(d, &v));
	ERR(MGR_ETOOBIG, mgr_dict_keys(d, &v));
	ERR(MGR_ETOOBIG, mgr_dict_values(d, &v));
	ERR(MGR_ETOOBIG, mgr_dict_copy(d, &v));
	// A priority queue's peek sorts all of it.
	mgr_queue_opts qo = { .order = MGR_QUEUE_PRIORITY };
	mgr_obj       *q;
	OK(mgr_queue_new_opts(c, &qo, &q));
	for (int i = 0; i < MAX + 1; i++) {
		OK(mgr_queue_put(q, mgr_int(i), MGR_FOREVER));
	}
	ERR(MGR_ETOOBIG, mgr_queue_peek(q, 0, 5, &v));
	h_assert_detail_has("peek on a priority queue");
	// An atomic batch copies what it writes (to undo it): a write to
	// the big list is over; writes to the small one are not, and the
	// sorts of two lists of 600 add up to 1,200.
	mgr_batch *b;
	OK(mgr_batch_new(c, &b));
	mgr_value one = mgr_int(1);
	OK(mgr_batch_add(b, small, MGR_OP_LIST_APPEND, &one, 1));
	OK(mgr_batch_add(b, l, MGR_OP_LIST_APPEND, &one, 1));
	ERR(MGR_ETOOBIG, mgr_batch_exec(b, true));
	size_t n;
	OK(mgr_list_len(small, &n));
	assert_int_equal(n, 10); // undone
	mgr_obj *a1, *a2;
	OK(mgr_list_new(c, &a1));
	OK(mgr_list_new(c, &a2));
	OK(mgr_list_extend(a1, mgr_list_of(items, 600)));
	OK(mgr_list_extend(a2, mgr_list_of(items, 600)));
	OK(mgr_batch_reset(b));
	mgr_value no = mgr_bool(false);
	OK(mgr_batch_add(b, a1, MGR_OP_LIST_COPY, NULL, 0));
	OK(mgr_batch_add(b, a2, MGR_OP_LIST_COPY, NULL, 0));
	ERR(MGR_ETOOBIG, mgr_batch_exec(b, true));
	// A sort walks its list and copies it (it writes): 1,200 for 600.
	OK(mgr_batch_reset(b));
	OK(mgr_batch_add(b, a1, MGR_OP_LIST_SORT, &no, 1));
	ERR(MGR_ETOOBIG, mgr_batch_exec(b, true));
	OK(mgr_list_clear(a1));
	OK(mgr_list_extend(a1, mgr_list_of(items, 400)));
	OK(mgr_batch_reset(b));
	OK(mgr_batch_add(b, a1, MGR_OP_LIST_SORT, &no, 1));
	OK(mgr_batch_add(b, small, MGR_OP_LIST_APPEND, &one, 1));
	OK(mgr_batch_exec(b, true)); // 400 walked, 400 + 10 copied
	OK(mgr_list_len(small, &n));
	assert_int_equal(n, 11);
	// Entries that move or search a list's elements count their share
	// of its length: an insert at the front a 64th (memmove), a search
	// an 8th. Ten front inserts into 400 are 400 copied + 10 x 7; two
	// hundred are over (2,000 such inserts into a big list held every
	// client for seconds), and undone.
	mgr_value ins[2] = { mgr_int(0), mgr_int(7) };
	OK(mgr_batch_reset(b));
	for (int i = 0; i < 10; i++) {
		OK(mgr_batch_add(b, a1, MGR_OP_LIST_INSERT, ins, 2));
	}
	OK(mgr_batch_exec(b, true));
	OK(mgr_batch_reset(b));
	for (int i = 0; i < 200; i++) {
		OK(mgr_batch_add(b, a1, MGR_OP_LIST_INSERT, ins, 2));
	}
	ERR(MGR_ETOOBIG, mgr_batch_exec(b, true));
	h_assert_detail_has("the atomic batch would take");
	OK(mgr_list_len(a1, &n));
	assert_int_equal(n, 410); // undone
	mgr_value seven = mgr_int(7);
	OK(mgr_batch_reset(b));
	for (int i = 0; i < 12; i++) { // 12 x 52
		OK(mgr_batch_add(b, a1, MGR_OP_LIST_INDEX, &seven, 1));
	}
	OK(mgr_batch_exec(b, true));
	OK(mgr_batch_reset(b));
	for (int i = 0; i < 20; i++) { // 20 x 52
		OK(mgr_batch_add(b, a1,
		    i % 2 ? MGR_OP_LIST_INDEX : MGR_OP_LIST_COUNT, &seven,
		    1));
	}
	ERR(MGR_ETOOBIG, mgr_batch_exec(b, true));
	mgr_batch_free(b);
	// The session lives on.
	OK(mgr_ping(c));
	mgr_obj_release(a1);
	mgr_obj_release(a2);
	mgr_obj_release(q);
	mgr_obj_release(l);
	mgr_obj_release(small);
	mgr_obj_release(d);
	h_stop_client(&m, c);
}

/* A request carrying more values than --max-op-elements (beyond a few
 * for its arguments) is refused before it is unpacked: decoding and
 * applying a million pairs held every client for 0.6 s. Nothing of it is
 * applied, the session lives on (a lock it holds stays held), at the
 * limit it runs, and a client that keeps sending them costs a log line
 * per interval, not one per request. */
static void
test_request_values_limit(void **state)
{
	(void) state;
	enum { MAX = 1000, OVER = MAX + 100 };
	h_managerd        m;
	mgr_client       *c;
	const char *const extra[] = { "--max-op-elements", "1000", NULL };
	h_start_client(&m, &c, extra);
	uint64_t before, after;
	OK(mgr_client_session(c, &before));
	mgr_obj *l, *d, *lock;
	OK(mgr_list_new(c, &l));
	OK(mgr_dict_new(c, &d));
	OK(mgr_lock_new(c, &lock));
	OK(mgr_acquire(lock, MGR_FOREVER));
	mgr_value items[2 * OVER];
	for (int i = 0; i < 2 * OVER; i++) {
		items[i] = mgr_int(i);
	}
	OK(mgr_list_extend(l, mgr_list_of(items, MAX))); // at the limit
	ERR(MGR_ETOOBIG, mgr_list_extend(l, mgr_list_of(items, OVER)));
	h_assert_detail_has("a request of 1102 values");
	h_assert_detail_has("--max-op-elements 1000");
	ERR(MGR_ETOOBIG,
	    mgr_dict_set(d, mgr_str("big"), mgr_list_of(items, OVER)));
	ERR(MGR_ETOOBIG, mgr_dict_update(d, mgr_dict_of(items, 600)));
	OK(mgr_dict_update(d, mgr_dict_of(items, 400)));
	// An atomic batch's entries add up.
	mgr_batch *b;
	OK(mgr_batch_new(c, &b));
	mgr_value args[2] = { mgr_int(-1), mgr_list_of(items, 400) };
	for (int i = 0; i < 3; i++) {
		OK(mgr_batch_add(b, d, MGR_OP_DICT_SET, args, 2));
	}
	ERR(MGR_ETOOBIG, mgr_batch_exec(b, true));
	mgr_batch_free(b);
	// Nothing of them applied; the rest as it was.
	size_t n;
	OK(mgr_list_len(l, &n));
	assert_int_equal(n, MAX);
	OK(mgr_dict_len(d, &n));
	assert_int_equal(n, 400);
	bool locked;
	OK(mgr_locked(lock, &locked));
	assert_true(locked);
	OK(mgr_client_session(c, &after));
	assert_int_equal(after, before);
	// Fifty more: logged once for the interval.
	for (int i = 0; i < 50; i++) {
		ERR(MGR_ETOOBIG,
		    mgr_list_extend(l, mgr_list_of(items, OVER)));
	}
	assert_true(h_managerd_log_has(&m, "over --max-op-elements", 2000));
	assert_true(h_managerd_log_count(&m, "over --max-op-elements") == 1);
	OK(mgr_release(lock));
	mgr_obj_release(lock);
	mgr_obj_release(d);
	mgr_obj_release(l);
	h_stop_client(&m, c);
}

/* A whole read counts the values it carries, nested ones too: a dict of
 * ten lists of 150 is 1,530 values for its items (a tuple, a key and a
 * value an entry), 1,520 for its copy, 1,510 for its values, but ten for
 * its keys; a list's slice and an atomic batch's undo copies the same.
 * Else a dict of small entries each holding a big value would be read
 * whole in one hold. */
static void
test_nested_values_counted(void **state)
{
	(void) state;
	h_managerd        m;
	mgr_client       *c;
	const char *const extra[] = { "--max-op-elements", "1000", NULL };
	h_start_client(&m, &c, extra);
	mgr_value items[150];
	for (int i = 0; i < 150; i++) {
		items[i] = mgr_int(i);
	}
	mgr_obj *d, *l;
	OK(mgr_dict_new(c, &d));
	OK(mgr_list_new(c, &l));
	for (int i = 0; i < 10; i++) {
		OK(mgr_dict_set(d, mgr_int(i), mgr_list_of(items, 150)));
		OK(mgr_list_append(l, mgr_list_of(items, 150)));
	}
	mgr_value v;
	ERR(MGR_ETOOBIG, mgr_dict_items(d, &v));
	h_assert_detail_has("dict_items would take");
	ERR(MGR_ETOOBIG, mgr_dict_values(d, &v));
	ERR(MGR_ETOOBIG, mgr_dict_copy(d, &v));
	OK(mgr_dict_keys(d, &v));
	assert_int_equal(v.len, 10);
	mgr_value_free(&v);
	ERR(MGR_ETOOBIG, mgr_list_copy(l, &v));
	ERR(MGR_ETOOBIG, mgr_list_slice(l, 0, 10, &v));
	OK(mgr_list_slice(l, 0, 5, &v)); // 755 values
	assert_int_equal(v.len, 5);
	mgr_value_free(&v);
	mgr_batch *b;
	OK(mgr_batch_new(c, &b));
	mgr_value one = mgr_int(1);
	OK(mgr_batch_add(b, l, MGR_OP_LIST_APPEND, &one, 1));
	ERR(MGR_ETOOBIG, mgr_batch_exec(b, true));
	h_assert_detail_has("undo copies");
	mgr_batch_free(b);
	size_t n;
	OK(mgr_list_len(l, &n));
	assert_int_equal(n, 10);
	mgr_obj_release(d);
	mgr_obj_release(l);
	h_stop_client(&m, c);
}

/* A request of its own that searches or moves a container's elements (a
 * list's index, count, remove, an insert or delete by index, a reverse;
 * a queue's contains or remove) is refused before it starts when the walk
 * alone is over --max-op-elements, at its measured cost: a compare a 32nd
 * of an element read and encoded, a move a 256th. Appends and pops from
 * the end walk nothing. */
static void
test_single_walks(void **state)
{
	(void) state;
	enum { MAX = 16, SEARCHABLE = 32 * MAX, MOVABLE = 256 * MAX };
	h_managerd        m;
	mgr_client       *c;
	const char *const extra[] = { "--max-op-elements", "16", NULL };
	h_start_client(&m, &c, extra);
	mgr_obj *l, *q;
	OK(mgr_list_new(c, &l));
	OK(mgr_queue_new(c, 0, &q));
	mgr_value items[MAX];
	for (int i = 0; i < MAX; i++) {
		items[i] = mgr_int(i);
	}
	size_t  n = 0, got;
	int64_t ix;
	bool    b;
	for (; n + MAX <= SEARCHABLE + 31; n += MAX) { // 528: a walk of 16
		OK(mgr_list_extend(l, mgr_list_of(items, MAX)));
		for (int i = 0; i < MAX; i++) {
			OK(mgr_queue_put(q, mgr_int(i), 0));
		}
	}
	OK(mgr_list_index(l, mgr_int(3), &ix));
	OK(mgr_list_count(l, mgr_int(3), &got));
	OK(mgr_queue_contains(q, mgr_int(99), &b));
	OK(mgr_list_extend(l, mgr_list_of(items, MAX)));
	for (int i = 0; i < MAX; i++) {
		OK(mgr_queue_put(q, mgr_int(i), 0));
	}
	n += MAX; // 544 in each: a walk of 17
	ERR(MGR_ETOOBIG, mgr_list_index(l, mgr_int(3), &ix));
	h_assert_detail_has("list.index of 544 elements counts as 17");
	h_assert_detail_has("--max-op-elements 16");
	ERR(MGR_ETOOBIG, mgr_list_count(l, mgr_int(3), &got));
	ERR(MGR_ETOOBIG, mgr_list_remove(l, mgr_int(3)));
	ERR(MGR_ETOOBIG, mgr_queue_contains(q, mgr_int(3), &b));
	ERR(MGR_ETOOBIG, mgr_queue_remove(q, mgr_int(3), &b));
	OK(mgr_list_len(l, &got));
	assert_int_equal(got, n); // nothing removed
	// Moves: up to 256 x 16 + 255 elements.
	OK(mgr_list_insert(l, 0, mgr_int(-1)));
	n++;
	while (n + MAX <= MOVABLE + 255) {
		OK(mgr_list_extend(l, mgr_list_of(items, MAX)));
		n += MAX;
	}
	OK(mgr_list_insert(l, 0, mgr_int(-1)));
	OK(mgr_list_extend(l, mgr_list_of(items, MAX)));
	ERR(MGR_ETOOBIG, mgr_list_insert(l, 0, mgr_int(-2)));
	h_assert_detail_has("an insert into a list of");
	ERR(MGR_ETOOBIG, mgr_list_del(l, 0));
	ERR(MGR_ETOOBIG, mgr_list_pop(l, 0, &items[0]));
	ERR(MGR_ETOOBIG, mgr_list_reverse(l));
	mgr_value first;
	OK(mgr_list_get(l, 0, &first));
	assert_int_equal(first.i, -1);      // nothing moved
	OK(mgr_list_append(l, mgr_int(7))); // no walk
	mgr_value last;
	OK(mgr_list_pop(l, -1, &last));
	assert_int_equal(last.i, 7);
	mgr_obj_release(l);
	mgr_obj_release(q);
	h_stop_client(&m, c);
}

int
main(void)
{
	unsetenv("MGR_AUTHKEY");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_items_limit),
		cmocka_unit_test(test_op_elements_limit),
		cmocka_unit_test(test_request_values_limit),
		cmocka_unit_test(test_nested_values_counted),
		cmocka_unit_test(test_single_walks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
