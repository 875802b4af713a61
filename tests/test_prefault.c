/* Big buffers whose pages are mapped in one call (common/prefault.c):
 * mapped at once outside the server lock, left to fault in under it.
 * Checked with mincore on blocks big enough to be fresh mappings of
 * their own (over glibc's largest mmap threshold). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "prefault.h"
#include "syscall_guard.h"

#define BIG ((size_t) 48 << 20) /* over the 32 MiB mmap threshold */

/* How many of the whole pages inside [p, p + n) are resident. */
static size_t
resident_pages(const void *p, size_t n, size_t *total)
{
	uintptr_t      page = (uintptr_t) sysconf(_SC_PAGESIZE);
	uintptr_t      from = ((uintptr_t) p + page - 1) & ~(page - 1);
	uintptr_t      to   = ((uintptr_t) p + n) & ~(page - 1);
	size_t         np   = (size_t) ((to - from) / page);
	unsigned char *vec  = malloc(np);
	assert_non_null(vec);
	assert_int_equal(mincore((void *) from, to - from, vec), 0);
	size_t in = 0;
	for (size_t i = 0; i < np; i++) {
		in += vec[i] & 1;
	}
	free(vec);
	*total = np;
	return in;
}

static void
test_pages_mapped_at_once(void **state)
{
	(void) state;
	size_t np;
	char  *p = malloc_prefaulted(BIG);
	assert_non_null(p);
	size_t in = resident_pages(p, BIG, &np);
	assert_int_equal(in, np);
	p[0] = p[BIG - 1] = 'x'; // writable, as malloc's
	free(p);
}

/* Under the server lock no system call runs: the pages are left to
 * fault in when written, as malloc's. */
static void
test_not_under_the_lock(void **state)
{
	(void) state;
	size_t np;
	syscall_guard_enter();
	char *p = malloc_prefaulted(BIG);
	syscall_guard_leave();
	assert_non_null(p);
	size_t in = resident_pages(p, BIG, &np);
	assert_true(in < np / 2);
	free(p);
}

/* A small block is plain malloc's. */
static void
test_small_is_plain(void **state)
{
	(void) state;
	char *p = malloc_prefaulted(100);
	assert_non_null(p);
	p[99] = 'x';
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_mapped_at_once),
		cmocka_unit_test(test_not_under_the_lock),
		cmocka_unit_test(test_small_is_plain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
