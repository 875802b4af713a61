/* What the manager holds, the figure --max-memory compares with. */
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include "clock.h"
#include "server.h"

size_t
server_memory(server *srv)
{
	int64_t now = clock_us();
	if (now - srv->mem_checked_us >= 10000) {
		// glibc's count of what is allocated (heap and mmap'd):
		// what a write adds to, unlike RSS, which lags and keeps.
		struct mallinfo2 mi = mallinfo2();
		srv->mem_used       = mi.uordblks + mi.hblkhd;
		if (srv->mem_used == 0) {
			// Another allocator (a sanitizer's) keeps no such
			// count: the resident set, which lags, is the figure.
			long  size = 0, pages = 0;
			FILE *f = fopen("/proc/self/statm", "r");
			if (f != NULL) {
				if (fscanf(f, "%ld %ld", &size, &pages)
				    != 2) {
					pages = 0;
				}
				fclose(f);
			}
			srv->mem_used
			    = (size_t) pages * (size_t) getpagesize();
		}
		srv->mem_checked_us = now;
	}
	return srv->mem_used;
}
