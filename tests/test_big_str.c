/* Big str and bytes values in the manager (manager/data/value.c,
 * codec.c): a request's big ones are copied into their stored form before
 * the server lock and taken as they are under it; one of a MiB or more
 * lives in a mapping of its own, unmapped later (bigmem_reclaim), not in
 * one munmap under the lock. In-process, the data layer alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bigmem.h"
#include "codec.h"
#include "value.h"

#define MIB ((size_t) 1 << 20)

static Mgr__Value
bytes_pb(uint8_t *data, size_t len)
{
	Mgr__Value v = MGR__VALUE__INIT;
	v.kind_case  = MGR__VALUE__KIND_Y;
	v.y.data     = data;
	v.y.len      = len;
	return v;
}

/* Prepared, then decoded: the stored string is the one made ready (the
 * request's bytes as they were then: the first byte changed afterwards
 * shows which was copied when), a second decode of the same value copies,
 * and values not decoded are freed by the drop (ASan's leak check). */
static void
test_prepared_taken(void **state)
{
	(void) state;
	size_t   n    = 3 * MIB + 5;
	uint8_t *data = malloc(n);
	assert_non_null(data);
	for (size_t i = 0; i < n; i++) {
		data[i] = (uint8_t) (i * 7);
	}
	Mgr__Value big = bytes_pb(data, n), other = bytes_pb(data, 200 << 10);
	Mgr__Value small     = bytes_pb(data, 100); // under SV_PREPARE_MIN
	Mgr__Value *items[3] = { &big, &other, &small };
	Mgr__Seq    seq      = MGR__SEQ__INIT;
	seq.items            = items;
	seq.n_items          = 3;
	Mgr__Value list      = MGR__VALUE__INIT;
	list.kind_case       = MGR__VALUE__KIND_LIST;
	list.list            = &seq;
	sv_prepare_big(&list);
	data[0] ^= 0xff; // after the copy made ready
	sval a, b;
	assert_int_equal(sv_from_pb(NULL, &big, &a), 0);
	assert_int_equal(sv_from_pb(NULL, &big, &b), 0);
	assert_int_equal(sv_slen(&a), n);
	assert_int_equal(sv_slen(&b), n);
	assert_int_equal(
	    (uint8_t) sv_sdata(&a)[0], (uint8_t) (data[0] ^ 0xff));
	assert_memory_equal(sv_sdata(&a) + 1, data + 1, n - 1);
	assert_memory_equal(sv_sdata(&b), data, n); // copied now
	assert_false(sv_equal(&a, &b));
	sv_prepared_drop(); // `other` was never decoded
	sv_free(&a);
	sv_free(&b);
	(void) bigmem_reclaim(SIZE_MAX);
	free(data);
}

/* Without a preparation (a replay, a request under SV_PREPARE_MIN), the
 * value is copied as before; a drop with nothing made ready is a no-op. */
static void
test_unprepared_copied(void **state)
{
	(void) state;
	uint8_t   *data = calloc(1, 2 * MIB);
	Mgr__Value pb   = bytes_pb(data, 2 * MIB);
	sval       v;
	sv_prepared_drop();
	assert_int_equal(sv_from_pb(NULL, &pb, &v), 0);
	assert_int_equal(sv_slen(&v), 2 * MIB);
	assert_ptr_not_equal(sv_sdata(&v), (const char *) data);
	sv_free(&v);
	(void) bigmem_reclaim(SIZE_MAX);
	free(data);
}

/* A string of a MiB or more is mapped on its own: counted while it lives,
 * let go into the list that bigmem_reclaim unmaps, a slice at a time. */
static void
test_big_string_mapped_and_let_go(void **state)
{
	(void) state;
	(void) bigmem_reclaim(SIZE_MAX);
	size_t base = bigmem_bytes();
	char  *p    = malloc(8 * MIB);
	assert_non_null(p);
	memset(p, 'q', 8 * MIB);
	sval v;
	assert_int_equal(sv_str(&v, SV_STR, p, 8 * MIB), 0);
	assert_true(bigmem_bytes() >= base + 8 * MIB);
	sval small;
	assert_int_equal(sv_str(&small, SV_STR, p, MIB - 100), 0);
	assert_true(bigmem_bytes() < base + 9 * MIB); // malloc's
	sv_free(&small);
	sv_free(&v);
	assert_true(bigmem_pending());
	assert_true(bigmem_bytes() >= base + 8 * MIB); // until reclaimed
	while (bigmem_reclaim(MIB)) { }
	assert_false(bigmem_pending());
	assert_int_equal(bigmem_bytes(), base);
	free(p);
}

/* A reply's big string, noted as it is encoded, is claimed by sv_pin and
 * outlives the value it came from until the connection releases it; after
 * sv_pins_reset nothing is claimed. */
static void
test_pinned_outlives_value(void **state)
{
	(void) state;
	(void) bigmem_reclaim(SIZE_MAX);
	size_t n = 2 * MIB;
	char  *p = malloc(n);
	assert_non_null(p);
	memset(p, 'z', n);
	sval v;
	assert_int_equal(sv_str(&v, SV_BYTES, p, n), 0);
	arena a;
	arena_init(&a);
	Mgr__Value pb = MGR__VALUE__INIT;
	sv_to_pb(&v, &a, &pb, NULL); // not noted: outside begin .. end
	void (*release)(void *) = NULL;
	void *arg               = NULL;
	assert_false(sv_pin(pb.y.data, pb.y.len, &release, &arg));
	sv_pins_begin();
	assert_int_equal(sv_to_pb(&v, &a, &pb, NULL), 0);
	sv_pins_end();
	assert_true(sv_pins_any());
	assert_false(sv_pin(pb.y.data, pb.y.len - 1, &release, &arg));
	assert_true(sv_pin(pb.y.data, pb.y.len, &release, &arg));
	const uint8_t *data = pb.y.data;
	sv_free(&v); // the value goes; the pinned bytes stay
	assert_false(bigmem_pending());
	assert_int_equal(data[0], 'z');
	assert_int_equal(data[n - 1], 'z');
	release(arg);
	assert_true(bigmem_pending());
	sv_pins_reset();
	assert_false(sv_pins_any());
	(void) bigmem_reclaim(SIZE_MAX);
	arena_fini(&a);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prepared_taken),
		cmocka_unit_test(test_unprepared_copied),
		cmocka_unit_test(test_big_string_mapped_and_let_go),
		cmocka_unit_test(test_pinned_outlives_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
