/* W6, process pools (bench_pool.c). */
#ifndef MGR_BENCH_BENCH_POOL_H
#define MGR_BENCH_BENCH_POOL_H

#include "common.h"

/* The pool's tasks, registered before mgr_process_serve (the workers
 * are this program). */
void w6_register(void);
int  w6(const bench_args *a);

#endif
