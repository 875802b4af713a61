/* L: the worst requests at a million elements (bench_worst.c). */
#ifndef MGR_BENCH_WORST_H
#define MGR_BENCH_WORST_H

#include "common.h"

/* Fills a dict and a list of --n elements, then sends the requests that
 * hold the manager longest at that size, each at the largest the default
 * limits admit (or over them: refused); prints the longest hold of the
 * manager's lock during the fill and after the requests. */
int worst(const bench_args *a);

#endif
