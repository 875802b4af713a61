/* Histories against sequential models (history_check.h). */
#include "history_check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int64_t
hc_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- a counter ----------------------------------------------------------
 */

/* Increments first, by value; then reads, by value. */
static int
by_kind_value(const void *a, const void *b)
{
	const hc_counter_op *x = a, *y = b;
	if (x->read != y->read) {
		return x->read ? 1 : -1;
	}
	return (x->value > y->value) - (x->value < y->value);
}

bool
hc_counter_linearizable(hc_counter_op *ops, size_t n, char *why, size_t cap)
{
	if (n == 0) {
		return true; // (qsort takes no NULL, even for nothing)
	}
	qsort(ops, n, sizeof(*ops), by_kind_value);
	size_t incrs = 0;
	while (incrs < n && !ops[incrs].read) {
		incrs++;
	}
	// The increments' values are 1..incrs, each once: two with one
	// value, or a gap, is an increment lost or applied twice.
	for (size_t i = 0; i < incrs; i++) {
		if (ops[i].value != (int64_t) i + 1) {
			snprintf(why, cap,
			    "%zu increments, but the %zu-th by value "
			    "returned "
			    "%" PRId64
			    " (an increment applied twice, or lost)",
			    incrs, i + 1, ops[i].value);
			return false;
		}
	}
	// Each increment v at the earliest point p[v] it can take: after
	// its invocation, after v-1's point, and after every read that saw
	// v-1 (at its own earliest point). Earliest leaves the most room
	// for everything after, so a history is linearizable iff this
	// placement keeps every point before its operation's completion.
	const hc_counter_op *reads  = ops + incrs;
	size_t               nreads = n - incrs, r = 0;
	int64_t              prev = INT64_MIN; // p[v-1]
	for (int64_t v = 1; v <= (int64_t) incrs + 1; v++) {
		int64_t after = prev; // the latest point v must follow
		for (; r < nreads && reads[r].value == v - 1; r++) {
			int64_t q = reads[r].inv > prev ? reads[r].inv : prev;
			if (q > reads[r].resp) {
				snprintf(why, cap,
				    "a read returned %" PRId64
				    " but completed before the increment to "
				    "%" PRId64
				    " can have taken effect (stale)",
				    reads[r].value, reads[r].value);
				return false;
			}
			after = q > after ? q : after;
		}
		if (v > (int64_t) incrs) {
			break;
		}
		const hc_counter_op *op = &ops[v - 1];
		int64_t p = op->inv > after ? op->inv : after + 1;
		if (p > op->resp && after > prev) {
			snprintf(why, cap,
			    "a read returned %" PRId64
			    " but began after the increment to %" PRId64
			    " had completed (stale)",
			    v - 1, v);
			return false;
		}
		if (p > op->resp) {
			snprintf(why, cap,
			    "the increment that returned %" PRId64
			    " completed before the one that returned %" PRId64
			    " began (real-time order broken)",
			    v, v - 1);
			return false;
		}
		prev = p;
	}
	if (r < nreads) {
		snprintf(why, cap,
		    "a read returned %" PRId64 ", which no increment made",
		    reads[r].value);
		return false;
	}
	return true;
}

/* ---- an acknowledged queue ----------------------------------------------
 */

static int
by_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return (x > y) - (x < y);
}

typedef struct ranked {
	int64_t item;
	size_t  at; /* index in the deliveries */
} ranked;

static int
by_item(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	if (x->item != y->item) {
		return (x->item > y->item) - (x->item < y->item);
	}
	return (x->at > y->at) - (x->at < y->at);
}

bool
hc_queue_delivered(const int64_t *put, size_t n_put, const hc_delivery *d,
    size_t nd, const bool *died, size_t n_consumers, char *why, size_t cap)
{
	int64_t *items = malloc((n_put + 1) * sizeof(*items));
	ranked  *rk    = malloc((nd + 1) * sizeof(*rk));
	size_t  *last  = calloc(n_consumers + 1, sizeof(*last));
	bool     ok    = items != NULL && rk != NULL && last != NULL;
	if (!ok) {
		snprintf(why, cap, "out of memory");
	}
	for (size_t i = 0; ok && i < n_put; i++) {
		items[i] = put[i];
	}
	if (ok) {
		qsort(items, n_put, sizeof(*items), by_i64);
	}
	for (size_t i = 0; ok && i < nd; i++) {
		if (d[i].consumer < 0
		    || (size_t) d[i].consumer >= n_consumers) {
			snprintf(why, cap, "delivery %zu: no consumer %d", i,
			    d[i].consumer);
			ok = false;
			break;
		}
		rk[i]               = (ranked) { d[i].item, i };
		last[d[i].consumer] = i; // deliveries are in each one's order
	}
	if (ok) {
		qsort(rk, nd, sizeof(*rk), by_item);
	}
	size_t k = 0; // into rk
	for (size_t i = 0; ok && i < n_put; i++) {
		int64_t item = items[i];
		size_t  done = 0, maybe = 0;
		if (i > 0 && items[i - 1] == item) {
			snprintf(
			    why, cap, "item %" PRId64 " put twice", item);
			ok = false;
			break;
		}
		if (k < nd && rk[k].item < item) {
			snprintf(why, cap,
			    "item %" PRId64 " delivered, never put",
			    rk[k].item);
			ok = false;
			break;
		}
		for (; ok && k < nd && rk[k].item == item; k++) {
			const hc_delivery *x = &d[rk[k].at];
			if (x->step == HC_DONE) {
				done++;
				continue;
			}
			// Not finished: only a consumer killed with it in
			// hand (its last record) leaves an item so.
			if (!died[x->consumer]
			    || last[x->consumer] != rk[k].at) {
				snprintf(why, cap,
				    "item %" PRId64 ": consumer %d got it "
				    "and went on without "
				    "task_done",
				    item, x->consumer);
				ok = false;
			}
			maybe
			    += x->step == HC_ACKING; // may have been applied
		}
		if (ok && done > 1) {
			snprintf(why, cap,
			    "item %" PRId64
			    " finished %zu times: delivered again after its "
			    "task_done",
			    item, done);
			ok = false;
		}
		if (ok && done == 0 && maybe == 0) {
			snprintf(why, cap,
			    "item %" PRId64 " was put (acknowledged) and "
			    "never finished: lost",
			    item);
			ok = false;
		}
	}
	if (ok && k < nd) {
		snprintf(why, cap, "item %" PRId64 " delivered, never put",
		    rk[k].item);
		ok = false;
	}
	free(items);
	free(rk);
	free(last);
	return ok;
}

/* ---- a lock with fences -------------------------------------------------
 */

static int
by_fence(const void *a, const void *b)
{
	const hc_hold *x = a, *y = b;
	return (x->fence > y->fence) - (x->fence < y->fence);
}

bool
hc_lock_holds(hc_hold *h, size_t n, char *why, size_t cap)
{
	if (n == 0) {
		return true;
	}
	qsort(h, n, sizeof(*h), by_fence);
	for (size_t i = 0; i < n; i++) {
		if (h[i].fence == 0
		    || (i > 0 && h[i].fence == h[i - 1].fence)) {
			snprintf(why, cap, "fence %" PRIu64 " given %s",
			    h[i].fence, h[i].fence ? "twice" : "as 0");
			return false;
		}
		if (i > 0 && h[i].acquired <= h[i - 1].releasing) {
			snprintf(why, cap,
			    "the hold with fence %" PRIu64
			    " began before the one with fence %" PRIu64
			    " was released: held twice at once",
			    h[i].fence, h[i - 1].fence);
			return false;
		}
		if (h[i].seen != (int64_t) i) {
			snprintf(why, cap,
			    "the hold with fence %" PRIu64 " read %" PRId64
			    " where %zu holds came before it: a write lost "
			    "or seen out of order",
			    h[i].fence, h[i].seen, i);
			return false;
		}
	}
	return true;
}
