/* The history checks the chaos tests rely on (history_check.h): each
 * accepts what its model allows and refuses, saying why, each kind of
 * violation it is there to find. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "history_check.h"

static char why[300];

#define INC(i, r, v)                                                         \
	{                                                                    \
		.inv = (i), .resp = (r), .value = (v), .read = false         \
	}
#define READ(i, r, v)                                                        \
	{                                                                    \
		.inv = (i), .resp = (r), .value = (v), .read = true          \
	}

static bool
counter(hc_counter_op *ops, size_t n)
{
	why[0] = '\0';
	return hc_counter_linearizable(ops, n, why, sizeof(why));
}

static void
test_counter_accepts(void **state)
{
	(void) state;
	// Sequential; then concurrent increments in either order of their
	// values; reads of the value before, between and after.
	hc_counter_op seq[] = { INC(0, 10, 1), READ(11, 12, 1),
		INC(20, 30, 2), READ(31, 32, 2) };
	assert_true(counter(seq, 4));
	hc_counter_op conc[]
	    = { INC(0, 100, 2), INC(10, 50, 1), READ(0, 5, 0),
		      READ(40, 200, 2), READ(20, 30, 1), READ(60, 70, 1) };
	assert_true(counter(conc, 6));
	// A read overlapping both increments may see either value.
	hc_counter_op both[] = { INC(0, 100, 1), INC(0, 100, 2),
		READ(50, 60, 1), READ(55, 65, 2) };
	assert_true(counter(both, 4));
	assert_true(counter(NULL, 0));
}

static void
test_counter_refuses(void **state)
{
	(void) state;
	// A lost increment (a gap), one applied twice (a value twice).
	hc_counter_op gap[] = { INC(0, 10, 1), INC(20, 30, 3) };
	assert_false(counter(gap, 2));
	assert_non_null(strstr(why, "lost"));
	hc_counter_op twice[] = { INC(0, 10, 1), INC(20, 30, 1) };
	assert_false(counter(twice, 2));
	// Real-time order: 2 returned before 1 was even invoked.
	hc_counter_op order[] = { INC(50, 60, 1), INC(0, 10, 2) };
	assert_false(counter(order, 2));
	assert_non_null(strstr(why, "real-time"));
	// A stale read: 0 read after the increment to 1 completed.
	hc_counter_op stale[] = { INC(0, 10, 1), READ(20, 30, 0) };
	assert_false(counter(stale, 2));
	assert_non_null(strstr(why, "stale"));
	// Reads that go back: 2 then 1, one after the other.
	hc_counter_op back[] = { INC(0, 100, 1), INC(0, 100, 2),
		READ(10, 20, 2), READ(30, 40, 1) };
	assert_false(counter(back, 4));
	// A value no increment made.
	hc_counter_op ghost[] = { INC(0, 10, 1), READ(20, 30, 5) };
	assert_false(counter(ghost, 2));
}

static bool
queue(const int64_t *put, size_t n_put, const hc_delivery *d, size_t nd,
    const bool *died)
{
	why[0] = '\0';
	return hc_queue_delivered(
	    put, n_put, d, nd, died, 3, why, sizeof(why));
}

static void
test_queue(void **state)
{
	(void) state;
	const int64_t put[]     = { 1, 2, 3 };
	bool          none[3]   = { false, false, false };
	bool          c1died[3] = { false, true, false };
	// Each once, done.
	hc_delivery ok[]
	    = { { 1, 0, HC_DONE }, { 2, 1, HC_DONE }, { 3, 0, HC_DONE } };
	assert_true(queue(put, 3, ok, 3, none));
	// Consumer 1 died holding 2 (got, or acking): given again.
	hc_delivery again[] = { { 1, 0, HC_DONE }, { 2, 1, HC_GOT },
		{ 2, 2, HC_DONE }, { 3, 0, HC_DONE } };
	assert_true(queue(put, 3, again, 4, c1died));
	// ... or it died while acking, its task_done applied: not again.
	hc_delivery acked[]
	    = { { 1, 0, HC_DONE }, { 2, 1, HC_ACKING }, { 3, 0, HC_DONE } };
	assert_true(queue(put, 3, acked, 3, c1died));

	// Refused: an item lost; one finished twice; one given again
	// though its consumer lives; one never put; a consumer that died
	// holding an item it was not last seen with.
	assert_false(queue(put, 3, ok, 2, none));
	assert_non_null(strstr(why, "lost"));
	hc_delivery dup[] = { { 1, 0, HC_DONE }, { 1, 2, HC_DONE },
		{ 2, 1, HC_DONE }, { 3, 0, HC_DONE } };
	assert_false(queue(put, 3, dup, 4, none));
	assert_non_null(strstr(why, "finished 2 times"));
	assert_false(queue(put, 3, again, 4, none));
	hc_delivery ghost[] = { { 1, 0, HC_DONE }, { 2, 1, HC_DONE },
		{ 3, 0, HC_DONE }, { 9, 0, HC_DONE } };
	assert_false(queue(put, 3, ghost, 4, none));
	assert_non_null(strstr(why, "never put"));
	hc_delivery early[] = { { 2, 1, HC_GOT }, { 1, 1, HC_DONE },
		{ 2, 2, HC_DONE }, { 3, 0, HC_DONE } };
	assert_false(queue(put, 3, early, 4, c1died));
	// A got-only item of a dead consumer, never given again: lost.
	hc_delivery gone[]
	    = { { 1, 0, HC_DONE }, { 2, 1, HC_GOT }, { 3, 0, HC_DONE } };
	assert_false(queue(put, 3, gone, 3, c1died));
}

static void
test_lock(void **state)
{
	(void) state;
	hc_hold ok[]
	    = { { 7, 40, 50, 1 }, { 3, 10, 20, 0 }, { 9, 60, 70, 2 } };
	assert_true(hc_lock_holds(ok, 3, why, sizeof(why)));
	hc_hold overlap[] = { { 3, 10, 50, 0 }, { 7, 40, 60, 1 } };
	assert_false(hc_lock_holds(overlap, 2, why, sizeof(why)));
	assert_non_null(strstr(why, "held twice"));
	hc_hold same[] = { { 3, 10, 20, 0 }, { 3, 40, 60, 1 } };
	assert_false(hc_lock_holds(same, 2, why, sizeof(why)));
	hc_hold lostw[] = { { 3, 10, 20, 0 }, { 5, 40, 60, 0 } };
	assert_false(hc_lock_holds(lostw, 2, why, sizeof(why)));
	assert_non_null(strstr(why, "write lost"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_accepts),
		cmocka_unit_test(test_counter_refuses),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
