/* Spin-then-block waiting, used by both sides for a reply or a request
 * that is about to come.
 *
 * On this kind of machine a thread put to sleep and woken from another
 * CPU costs tens of microseconds, several times a whole request. So a
 * thread that expects the peer to answer soon first polls (non-blocking)
 * for a short while, as adaptive mutexes do, and blocks only after. It
 * spins only while that pays:
 * - never when it may run on a single CPU (the peer needs that CPU to
 *   answer; a pinned benchmark or a taskset'ed process);
 * - only while recent spins saw the event come within the budget (a
 *   failed spin costs more than it saves, so failures count double; a
 *   thread that stopped spinning tries again after 64 waits, then after
 *   twice as many each time the try fails, up to 4096);
 * - not while the CPUs are oversubscribed: a spin during which the
 *   thread was preempted (its involuntary context switches grew) stops
 *   spinning, since the CPU burnt was needed by someone else.
 * MGR_SPIN_US sets the budget in microseconds (default 50); 0 turns
 * spinning off. A spinner belongs to one thread at a time. */
#ifndef MGR_COMMON_SPIN_H
#define MGR_COMMON_SPIN_H

#include <stdbool.h>
#include <stdint.h>

typedef struct spinner {
	int      score;  /* >= 0: spin */
	unsigned skips;  /* waits without spinning since the last try */
	unsigned every;  /* tries once in this many waits while paused */
	bool     off;    /* single CPU, or MGR_SPIN_US=0 */
	int64_t  budget; /* us */
	int64_t  t0;     /* start of the current spin (us) */
	long     nivcsw; /* involuntary switches at its start */
} spinner;

void spin_init(spinner *s);
/* Whether to spin before blocking now; starts the clock if so. */
bool spin_begin(spinner *s);
/* While spinning: true once the budget is spent (then block). */
bool spin_over(spinner *s);
/* The spin ended: ok when the event came within the budget. */
void spin_end(spinner *s, bool ok);

#endif
