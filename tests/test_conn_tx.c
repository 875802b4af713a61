/* A connection's queued reply bytes (manager/net/conn_tx.c): a chain of
 * blocks that never moves a queued byte. In-process, no socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conn_tx.h"

/* The byte at stream position p: what every check compares against. */
static uint8_t
byte_at(size_t p)
{
	return (uint8_t) (p * 131u + (p >> 9));
}

typedef struct queued {
	uint8_t *at;  /* where tx_reserve put it */
	size_t   pos; /* its first byte's stream position */
	size_t   len;
} queued;

/* Replies of many sizes, a big one among them: each stays where it was
 * put, unchanged, while more are queued (a contiguous buffer moved them
 * when it grew); written in pieces, the stream comes out whole and in
 * order, and the positions move down by exactly the blocks let go. */
static void
test_chain_keeps_bytes_in_place(void **state)
{
	(void) state;
	static const size_t sizes[] = { 10, 300, 5000, 1, 70000, 3 << 20, 17,
		200000, 64, 1 << 20, 9, 600000 };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	tx_chain q = { 0 };
	queued   r[N];
	size_t   total = 0;
	for (size_t i = 0; i < N; i++) {
		r[i].at = tx_reserve(&q, sizes[i]);
		assert_non_null(r[i].at);
		r[i].pos = total;
		r[i].len = sizes[i];
		for (size_t k = 0; k < sizes[i]; k++) {
			r[i].at[k] = byte_at(total + k);
		}
		total += sizes[i];
		assert_int_equal(q.len, total);
		// Everything queued before is where it was, as it was.
		for (size_t j = 0; j <= i; j++) {
			assert_int_equal(r[j].at[0], byte_at(r[j].pos));
			assert_int_equal(r[j].at[r[j].len - 1],
			    byte_at(r[j].pos + r[j].len - 1));
		}
	}
	// Written in pieces of an odd size, as a socket takes them.
	size_t base = 0, seen = 0;
	while (q.off < q.len) {
		size_t         n;
		const uint8_t *at = tx_next(&q, q.len, &n);
		assert_true(n > 0);
		n = n > 77777 ? 77777 : n;
		for (size_t k = 0; k < n; k++) {
			if (at[k] != byte_at(seen + k)) {
				fail_msg("byte %zu is %u, not %u", seen + k,
				    at[k], byte_at(seen + k));
			}
		}
		seen += n;
		size_t before = q.off;
		size_t gone   = tx_written(&q, n);
		base += gone;
		assert_int_equal(q.off + gone, before + n);
		assert_int_equal(base + q.off, seen);
		assert_int_equal(base + q.len, total);
	}
	assert_int_equal(seen, total);
	size_t left = q.len; // the last block's, all written
	assert_int_equal(tx_clear(&q, 64 << 10), left);
	assert_int_equal(base + left, total);
	assert_int_equal(q.len, 0);
	assert_int_equal(q.off, 0);
	tx_free(&q);
	assert_null(q.head);
}

/* tx_next stops at end (what a write gate lets through), even inside a
 * block, and tells of nothing more until end moves. */
static void
test_next_stops_at_end(void **state)
{
	(void) state;
	tx_chain q  = { 0 };
	uint8_t *at = tx_reserve(&q, 100);
	assert_non_null(at);
	memset(at, 'a', 100);
	size_t n;
	assert_ptr_equal(tx_next(&q, 40, &n), at);
	assert_int_equal(n, 40);
	assert_int_equal(tx_written(&q, 40), 0);
	(void) tx_next(&q, 40, &n);
	assert_int_equal(n, 0);
	assert_ptr_equal(tx_next(&q, 100, &n), at + 40);
	assert_int_equal(n, 60);
	tx_free(&q);
}

/* Drained, one block no bigger than keep_max stays for the next replies
 * (no allocation each round trip); a bigger one goes. */
static void
test_clear_keeps_a_small_block(void **state)
{
	(void) state;
	tx_chain q  = { 0 };
	uint8_t *at = tx_reserve(&q, 1000);
	assert_non_null(at);
	assert_int_equal(tx_clear(&q, 64 << 10), 1000);
	assert_non_null(q.head);
	assert_ptr_equal(q.head, q.tail);
	assert_ptr_equal(tx_reserve(&q, 10), at); // the same block again
	(void) tx_clear(&q, 64 << 10);
	assert_non_null(tx_reserve(&q, 1 << 20)); // too big for it: a new one
	assert_int_equal(q.len, 1 << 20);
	(void) tx_clear(&q, 64 << 10);
	assert_null(q.head); // over keep_max: given back
	assert_null(q.tail);
	tx_free(&q);
}

static int releases;

static void
count_release(void *arg)
{
	(void) arg;
	releases++;
}

/* An external block is written from where it is, in its place in the
 * stream, and released once: when written, or when dropped unwritten. */
static void
test_external_blocks(void **state)
{
	(void) state;
	static uint8_t ext[3000];
	memset(ext, 'E', sizeof(ext));
	tx_chain q = { 0 };
	memcpy(tx_reserve(&q, 3), "abc", 3);
	assert_int_equal(
	    tx_add_external(&q, ext, sizeof(ext), count_release, NULL), 0);
	memcpy(tx_reserve(&q, 3), "xyz", 3);
	assert_int_equal(q.len, 3 + sizeof(ext) + 3);
	uint8_t out[3006];
	size_t  got = 0;
	releases    = 0;
	while (q.off < q.len) {
		size_t         n;
		const uint8_t *at = tx_next(&q, q.len, &n);
		n                 = n > 1000 ? 1000 : n;
		memcpy(out + got, at, n);
		got += n;
		(void) tx_written(&q, n);
	}
	assert_int_equal(got, sizeof(out));
	assert_memory_equal(out, "abc", 3);
	assert_memory_equal(out + 3, ext, sizeof(ext));
	assert_memory_equal(out + 3 + sizeof(ext), "xyz", 3);
	assert_int_equal(releases, 1); // let go once written past
	(void) tx_clear(&q, 64 << 10);
	assert_int_equal(releases, 1);
	// Dropped unwritten (a connection that goes), and freed.
	assert_int_equal(
	    tx_add_external(&q, ext, sizeof(ext), count_release, NULL), 0);
	(void) tx_clear(&q, 64 << 10);
	assert_int_equal(releases, 2);
	assert_int_equal(
	    tx_add_external(&q, ext, sizeof(ext), count_release, NULL), 0);
	tx_free(&q);
	assert_int_equal(releases, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_keeps_bytes_in_place),
		cmocka_unit_test(test_next_stops_at_end),
		cmocka_unit_test(test_clear_keeps_a_small_block),
		cmocka_unit_test(test_external_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
