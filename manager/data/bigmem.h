/* Arrays that may grow big (a dict's entries and index, a list's items):
 * at BIGMEM_MIN bytes and over they live in mappings of their own. One
 * grows by mremap, which moves its pages without copying them or faulting
 * them in again; one is born zeroed, its pages faulted in as they are
 * first touched. So growing a million-entry dict or list costs no copy and
 * no burst of page faults while every client waits (glibc would copy an array
 * below its mmap threshold, 32 MiB in managerd, and clear a calloc'd one with
 * memset: about 8 us a page on these VMs). Smaller ones are malloc's.
 *
 * The mapped bytes are counted (bigmem_bytes): --max-memory's figure adds
 * them to glibc's own counts, which do not see them. One let go is
 * unmapped later, a slice at a time (bigmem_reclaim). Pure data: the
 * list of those let go has a mutex of its own, the counts are atomics. */
#ifndef MGR_MANAGER_DATA_BIGMEM_H
#define MGR_MANAGER_DATA_BIGMEM_H

#include <stdbool.h>
#include <stddef.h>

#define BIGMEM_MIN ((size_t) 1 << 20)
/* The page a big array's memory is faulted in by (at least). */
#define BIGMEM_PAGE ((size_t) 4096)

/* bytes (> 0) of memory, zeroed when zero; NULL when out of memory. */
void *bigmem_alloc(size_t bytes, bool zero);
/* p (of old_bytes, from bigmem_alloc or bigmem_grow) made new_bytes long
 * (longer or shorter), its contents kept up to the shorter length (what
 * is added is zeroed when the array is mapped, unspecified otherwise);
 * NULL when out of memory, p then unchanged. */
void *bigmem_grow(void *p, size_t old_bytes, size_t new_bytes);
/* Frees p of bytes (as allocated or last grown). NULL is ignored. A
 * mapping is unmapped later, by bigmem_reclaim, a slice at a time; its
 * bytes count in bigmem_bytes until then. Thread-safe. */
void bigmem_free(void *p, size_t bytes);
/* Unmaps up to budget bytes of the mappings let go (all: SIZE_MAX); true
 * while some are left. Thread-safe. */
bool bigmem_reclaim(size_t budget);
/* Whether mappings let go wait for bigmem_reclaim (no lock taken). */
bool bigmem_pending(void);
/* Bytes mapped for big arrays now, in this process. */
size_t bigmem_bytes(void);

#endif
