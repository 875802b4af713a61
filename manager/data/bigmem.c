/* Big arrays in mappings of their own (bigmem.h). */
#include "bigmem.h"

#include <pthread.h>
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

/* A mapping let go, unmapped from its end a slice at a time
 * (bigmem_reclaim): the kernel frees its pages as it unmaps them, about
 * 0.25 us a page here, and the hundred megabytes of a million-entry dict
 * unmapped at once held every client for 5 ms. Its record lives in its
 * own first page, unmapped last. */
typedef struct let_go {
	size_t         len; /* still mapped, from the start */
	struct let_go *next;
} let_go;

static pthread_mutex_t reclaim_mtx = PTHREAD_MUTEX_INITIALIZER;
static let_go         *reclaim_list;
static atomic_size_t   let_go_count; /* in it: read without the lock */

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
	let_go *g = p;
	g->len    = map_len(bytes);
	pthread_mutex_lock(&reclaim_mtx);
	g->next      = reclaim_list;
	reclaim_list = g;
	atomic_fetch_add(&let_go_count, 1);
	pthread_mutex_unlock(&reclaim_mtx);
}

bool
bigmem_pending(void)
{
	return atomic_load_explicit(&let_go_count, memory_order_relaxed) > 0;
}

bool
bigmem_reclaim(size_t budget)
{
	if (!bigmem_pending()) {
		return false; // each request asks: no lock then
	}
	size_t page = (size_t) sysconf(_SC_PAGESIZE);
	pthread_mutex_lock(&reclaim_mtx);
	while (reclaim_list != NULL && budget > 0) {
		let_go *g     = reclaim_list;
		size_t  tail  = g->len - page;
		size_t  slice = tail < budget ? tail : budget / page * page;
		if (slice == 0 && tail > 0) {
			break; // less than a page of budget
		}
		if (slice == tail) {
			size_t len   = g->len; // g goes with it
			reclaim_list = g->next;
			atomic_fetch_sub(&let_go_count, 1);
			munmap(g, len);
			atomic_fetch_sub(&mapped, len);
			budget -= budget > len ? len : budget;
			continue;
		}
		munmap((char *) g + g->len - slice, slice);
		atomic_fetch_sub(&mapped, slice);
		g->len -= slice;
		budget -= slice;
	}
	bool left = reclaim_list != NULL;
	pthread_mutex_unlock(&reclaim_mtx);
	return left;
}

size_t
bigmem_bytes(void)
{
	return atomic_load(&mapped);
}
