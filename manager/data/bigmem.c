/* Big arrays in mappings of their own (bigmem.h). */
#include "bigmem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static atomic_size_t mapped;

static bool
is_big(size_t bytes)
{
	return bytes >= BIGMEM_MIN;
}

/* The length mapped for bytes: whole pages. */
static size_t
map_len(size_t bytes)
{
	size_t page = (size_t) sysconf(_SC_PAGESIZE);
	return (bytes + page - 1) / page * page;
}

static void *
map_new(size_t bytes)
{
	size_t len = map_len(bytes);
	void  *p   = mmap(NULL, len, PROT_READ | PROT_WRITE,
	       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return NULL;
	}
	atomic_fetch_add(&mapped, len);
	return p;
}

void *
bigmem_alloc(size_t bytes, bool zero)
{
	if (is_big(bytes)) {
		return map_new(bytes); // fresh pages are zero
	}
	return zero ? calloc(1, bytes) : malloc(bytes);
}

void *
bigmem_grow(void *p, size_t old_bytes, size_t new_bytes)
{
	if (p == NULL) {
		return bigmem_alloc(new_bytes, false);
	}
	if (!is_big(new_bytes) && !is_big(old_bytes)) {
		return realloc(p, new_bytes);
	}
	if (is_big(new_bytes) != is_big(old_bytes)) {
		// Into or out of a mapping: one copy, of less than
		// BIGMEM_MIN.
		void *q = bigmem_alloc(new_bytes, false);
		if (q != NULL) {
			memcpy(q, p,
			    old_bytes < new_bytes ? old_bytes : new_bytes);
			bigmem_free(p, old_bytes);
		}
		return q;
	}
	size_t old_len = map_len(old_bytes), new_len = map_len(new_bytes);
	if (new_len == old_len) {
		return p;
	}
	void *q = mremap(p, old_len, new_len, MREMAP_MAYMOVE);
	if (q == MAP_FAILED) {
		return NULL;
	}
	if (new_len > old_len) {
		atomic_fetch_add(&mapped, new_len - old_len);
	} else {
		atomic_fetch_sub(&mapped, old_len - new_len);
	}
	return q;
}

void
bigmem_free(void *p, size_t bytes)
{
	if (p == NULL) {
		return;
	}
	if (!is_big(bytes)) {
		free(p);
		return;
	}
	size_t len = map_len(bytes);
	munmap(p, len);
	atomic_fetch_sub(&mapped, len);
}

size_t
bigmem_bytes(void)
{
	return atomic_load(&mapped);
}
