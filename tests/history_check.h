/* Checks of recorded histories against sequential models, for the chaos
 * tests: every operation's invocation and completion (CLOCK_MONOTONIC,
 * ns) and what it returned.
 *
 * - A counter (dict_incr by 1, and reads): linearizable, exactly (the
 *   increments' values fix their order; each takes the earliest point it
 *   can, which leaves the most room to everything after it).
 * - An acknowledged queue: every item put is finished (task_done) exactly
 *   once; an item comes again only after a consumer died with it.
 * - A lock with fences: fences grow with the holds, holds never overlap,
 *   and what each holder read of the value the lock guards is what the
 *   holds before it wrote.
 * Each returns true, or false with why (cap bytes). */
#ifndef MGR_TESTS_HISTORY_CHECK_H
#define MGR_TESTS_HISTORY_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The monotonic clock, ns (what the histories record). */
int64_t hc_now_ns(void);

typedef struct hc_counter_op {
	int64_t inv, resp; /* ns */
	int64_t value;     /* an increment's new value, or what a read saw */
	bool    read;
} hc_counter_op;

/* ops (n of them, reordered): a counter from 0, each increment adding 1.
 * Every increment completed (none failed or unknown). */
bool hc_counter_linearizable(
    hc_counter_op *ops, size_t n, char *why, size_t cap);

enum hc_step {
	HC_GOT,    /* a consumer got the item */
	HC_ACKING, /* it called task_done for it */
	HC_DONE    /* task_done returned */
};
typedef struct hc_delivery {
	int64_t      item;
	int          consumer; /* one per process */
	enum hc_step step;     /* how far it got */
} hc_delivery;

/* put: the items whose put was acknowledged (n_put, distinct); deliveries
 * in the order each consumer recorded them (a consumer's later deliveries
 * after its earlier ones); died[consumer]: it was killed (SIGKILL). An
 * item got twice is refused unless the consumer that got it first died
 * before task_done returned. */
bool hc_queue_delivered(const int64_t *put, size_t n_put,
    const hc_delivery *deliveries, size_t n_deliveries, const bool *died,
    size_t n_consumers, char *why, size_t cap);

typedef struct hc_hold {
	uint64_t fence;
	int64_t  acquired,
	    releasing; /* ns: acquire returned, release called */
	int64_t
	    seen; /* the guarded value read while holding (then +1 written) */
} hc_hold;

/* holds (n, reordered), from a guarded value starting at 0. */
bool hc_lock_holds(hc_hold *holds, size_t n, char *why, size_t cap);

#endif
