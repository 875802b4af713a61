/* DR, a restart of a full store: bench_mgr's fill and count (bench_fill.c);
 * Redis's side is redis-cli's (driver.py). */
#ifndef MGR_BENCH_BENCH_FILL_H
#define MGR_BENCH_BENCH_FILL_H

#include "common.h"

/* fill --entries N --batch B: a dict named "big" of N int entries (i:
 * 2 * i), in updates of B. Prints "result fill.entries N entries". */
int dr_fill(const bench_args *a);
/* count: the entries of "big" ("result count.entries N entries"). */
int dr_count(const bench_args *a);

#endif
