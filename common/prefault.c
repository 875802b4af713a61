/* Big buffers mapped in one call (prefault.h). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "prefault.h"
#include "syscall_guard.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

void
prefault_range(void *p, size_t n)
{
	if (p == NULL || n < PREFAULT_MIN || syscall_guard_held()) {
		return;
	}
	// The whole pages inside the block; a kernel without the advice
	// (EINVAL) leaves them to fault in as before.
	uintptr_t page = (uintptr_t) sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t) p + page - 1) & ~(page - 1);
	uintptr_t to   = ((uintptr_t) p + n) & ~(page - 1);
	if (to > from) {
		(void) madvise((void *) from, to - from, MADV_POPULATE_WRITE);
	}
}

void *
malloc_prefaulted(size_t n)
{
	void *p = malloc(n);
	prefault_range(p, n);
	return p;
}
