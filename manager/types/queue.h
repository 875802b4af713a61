/* What other types read of a queue (queue.c): a pool's record shows its
 * task queue's figures as the pool's. */
#ifndef MGR_MANAGER_TYPES_QUEUE_H
#define MGR_MANAGER_TYPES_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object.h"

typedef struct queue_figures {
	size_t   waiting;     /* items waiting for a get */
	size_t   in_progress; /* taken from an acknowledged queue, not done */
	size_t   getters;     /* gets parked for an item */
	uint64_t done;        /* task_done calls (or acks) that counted */
} queue_figures;

/* o's figures into *f when o is a live queue; false otherwise. */
bool queue_figures_of(const mobj *o, queue_figures *f);

#endif
