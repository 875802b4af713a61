/* What the manager holds: the figure --max-memory compares with, and the
 * resident set the figures show, both measured outside the server lock
 * (reading /proc is a system call) and read under it. */
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "bigmem.h"
#include "clock.h"
#include "server_state.h"
#include "syscall_guard.h"

size_t
server_memory(server *srv)
{
	return atomic_load(&srv->mem_used);
}

/* glibc's count of what is allocated (heap and mmap'd), and the big
 * arrays mapped beside it (bigmem.h): what a write adds to, unlike RSS,
 * which lags and keeps. */
static size_t
allocated(void)
{
	struct mallinfo2 mi   = mallinfo2();
	size_t           used = mi.uordblks + mi.hblkhd;
	if (used != 0) {
		used += bigmem_bytes();
	}
	if (used == 0) {
		// Another allocator (a sanitizer's) keeps no such count: the
		// resident set, which lags, is the figure.
		long  size = 0, pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");
		if (f != NULL) {
			if (fscanf(f, "%ld %ld", &size, &pages) != 2) {
				pages = 0;
			}
			fclose(f);
		}
		used = (size_t) pages * (size_t) getpagesize();
	}
	return used;
}

/* The resident set and its peak, from /proc (0 when unreadable). */
static void
read_rss(uint64_t *rss, uint64_t *peak)
{
	char  line[128];
	FILE *f = fopen("/proc/self/status", "r");
	*rss = *peak = 0;
	if (f == NULL) {
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long kb;
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1) {
			*rss = (uint64_t) kb * 1024;
		} else if (sscanf(line, "VmHWM: %llu kB", &kb) == 1) {
			*peak = (uint64_t) kb * 1024;
		}
	}
	fclose(f);
}

void
server_memory_sample(server *srv)
{
	long long now  = clock_us();
	long long last = atomic_load(&srv->mem_checked_us);
	// One thread measures at a time; the others use the last figure.
	if (now - last < 10000
	    || !atomic_compare_exchange_strong(
	        &srv->mem_checked_us, &last, now)) {
		return;
	}
	syscall_guard_check("measuring memory");
	atomic_store(&srv->mem_used, allocated());
	if (now - atomic_load(&srv->rss_checked_us) >= 1000000) {
		uint64_t rss, peak;
		read_rss(&rss, &peak);
		atomic_store(&srv->rss, rss);
		atomic_store(&srv->rss_peak, peak);
		atomic_store(&srv->rss_checked_us, now);
	}
}

/* Freed memory kept resident for reuse beyond this is given back. */
#define FREED_KEPT ((size_t) 64 << 20)

static atomic_bool keeping_freed;

void
server_memory_keep_freed(void)
{
	// glibc's default thresholds follow the largest block freed, and
	// it gives back the top of a heap over twice that: a flow of 1 MiB
	// messages maps and faults in each one afresh (256 page faults, the
	// most of a big message's cost on a VM). Blocks under 32 MiB come
	// from the heaps and freed ones stay for the next message; the
	// timer thread gives back what stays idle (server_memory_decay), as
	// jemalloc's decay does for Redis.
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	atomic_store(&keeping_freed, true);
}

void
server_memory_decay(server *srv)
{
	(void) srv;
	if (!atomic_load(&keeping_freed)) {
		return; // the allocator's own policy (an embedded manager's)
	}
	// The allocator's own count of what it holds free (no /proc read:
	// no descriptor opened once a second, no system call but the
	// trim's).
	struct mallinfo2 mi = mallinfo2();
	if (mi.fordblks > FREED_KEPT) {
		malloc_trim(0);
	}
}
