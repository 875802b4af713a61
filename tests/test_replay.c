/* The record of a reconnecting session's replies (manager/core/replay.c),
 * as pure data: what a retry finds, what an acknowledgement forgets, what
 * a resume keeps, a reply lost for lack of memory, and the buffer reused
 * rather than grown in the steady state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "replay.h"

/* Records seq's reply as the text body (and its number sent). */
static void
record(replay *r, uint64_t seq, const char *body, uint64_t sent)
{
	assert_int_equal(replay_begin(r, seq), 0);
	uint8_t *f = replay_done(r, seq, strlen(body));
	assert_non_null(f);
	memcpy(f, body, strlen(body));
	if (sent != 0) {
		replay_sent(r, seq, sent);
	}
}

static void
assert_done(const replay *r, uint64_t seq, const char *body)
{
	const uint8_t *f;
	size_t         len;
	assert_int_equal(replay_lookup(r, seq, &f, &len), REPLAY_DONE);
	assert_int_equal(len, strlen(body));
	assert_memory_equal(f, body, len);
}

static void
test_lookup(void **state)
{
	(void) state;
	replay r;
	replay_init(&r);
	const uint8_t *f;
	size_t         len;
	assert_int_equal(replay_lookup(&r, 1, &f, &len), REPLAY_NEW);
	assert_int_equal(replay_begin(&r, 1), 0);
	assert_int_equal(replay_lookup(&r, 1, &f, &len), REPLAY_RUNNING);
	assert_int_equal(replay_begin(&r, 1), 0); // idempotent
	assert_int_equal(replay_count(&r), 1);
	uint8_t *room = replay_done(&r, 1, 3);
	memcpy(room, "one", 3);
	assert_done(&r, 1, "one");
	// Out of order: a parked request finishes after later ones.
	assert_int_equal(replay_begin(&r, 5), 0);
	record(&r, 3, "three", 0);
	record(&r, 4, "four", 0);
	assert_int_equal(replay_lookup(&r, 5, &f, &len), REPLAY_RUNNING);
	assert_done(&r, 3, "three");
	assert_null(replay_done(&r, 9, 4)); // never begun: not kept
	replay_fini(&r);
}

/* The client's count of replies read forgets those sent up to it; a
 * parked request holds back only itself. */
static void
test_ack_by_replies_read(void **state)
{
	(void) state;
	replay r;
	replay_init(&r);
	assert_int_equal(replay_begin(&r, 1), 0); // parked for long
	record(&r, 2, "b", 1);
	record(&r, 3, "c", 2);
	record(&r, 4, "d", 0); // not sent (no connection)
	replay_ack(&r, 1);
	const uint8_t *f;
	size_t         len;
	assert_int_equal(replay_lookup(&r, 2, &f, &len), REPLAY_NEW);
	assert_done(&r, 3, "c");
	replay_ack(&r, 2);
	assert_int_equal(replay_lookup(&r, 3, &f, &len), REPLAY_NEW);
	assert_int_equal(replay_lookup(&r, 1, &f, &len), REPLAY_RUNNING);
	assert_done(&r, 4, "d");
	assert_int_equal(replay_count(&r), 2);
	replay_ack(&r, 100); // 4 was never sent: still kept
	assert_done(&r, 4, "d");
	replay_fini(&r);
}

/* A resume: what the client read goes, the rest counts as never sent (it
 * will be sent again, under new numbers). */
static void
test_resume(void **state)
{
	(void) state;
	replay r;
	replay_init(&r);
	record(&r, 1, "a", 1);
	record(&r, 2, "b", 2);
	record(&r, 3, "c", 3);
	replay_resume(&r, 1); // the drop lost replies 2 and 3
	const uint8_t *f;
	size_t         len;
	assert_int_equal(replay_lookup(&r, 1, &f, &len), REPLAY_NEW);
	assert_done(&r, 2, "b");
	assert_done(&r, 3, "c");
	replay_ack(&r, 3); // numbers from before the resume count no more
	assert_done(&r, 2, "b");
	replay_sent(&r, 2, 2); // sent again as reply 2 of the new count
	replay_ack(&r, 2);
	assert_int_equal(replay_lookup(&r, 2, &f, &len), REPLAY_NEW);
	assert_done(&r, 3, "c");
	replay_fini(&r);
}

/* The steady state (each reply acknowledged by the next request) reuses
 * the buffer; frames move down when half of it is dead, intact. */
static void
test_buffer_reused(void **state)
{
	(void) state;
	replay r;
	replay_init(&r);
	char body[64];
	record(&r, 1, "first", 1);
	size_t size = r.size;
	for (uint64_t seq = 2; seq < 10000; seq++) {
		snprintf(body, sizeof(body), "reply %llu",
		    (unsigned long long) seq);
		replay_ack(&r, seq - 1);
		record(&r, seq, body, seq);
	}
	assert_int_equal(r.size, size);
	assert_int_equal(replay_count(&r), 1);
	assert_done(&r, 9999, "reply 9999");
	// A parked one kept across much traffic keeps its frame.
	assert_int_equal(replay_begin(&r, 10000), 0);
	record(&r, 10001, "kept", 0);
	for (uint64_t seq = 10002; seq < 12000; seq++) {
		snprintf(
		    body, sizeof(body), "r%llu", (unsigned long long) seq);
		record(&r, seq, body, seq);
		replay_ack(&r, seq);
	}
	assert_done(&r, 10001, "kept");
	assert_true(replay_bytes(&r) < 4096);
	replay_fini(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_ack_by_replies_read),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_buffer_reused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
