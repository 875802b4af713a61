/* Big buffers whose pages are mapped in one call instead of one fault per
 * page. A fresh page costs a trap when first written, and on a
 * paravirtualized VM that trap, not the zeroing, is most of it: an owner
 * copying 1 MiB results into new memory spent half its time in 256 of
 * them per result. madvise(MADV_POPULATE_WRITE) maps the same pages in
 * one system call, so never under the server lock (syscall_guard.h):
 * there the pages are left to fault in as before. */
#ifndef MGR_COMMON_PREFAULT_H
#define MGR_COMMON_PREFAULT_H

#include <stddef.h>

/* From PREFAULT_MIN bytes on, a buffer's pages are mapped at once. */
#define PREFAULT_MIN ((size_t) 64 << 10)

/* malloc(n), its pages mapped now when n >= PREFAULT_MIN; free() frees
 * it. NULL when out of memory. */
void *malloc_prefaulted(size_t n);
/* Maps the whole pages inside [p, p + n) now (not under the server lock:
 * then nothing). For memory of any origin, a fresh mapping's too. */
void prefault_range(void *p, size_t n);

#endif
