/* The monotonic clock, the one way every part of the project reads time
 * for deadlines and durations (never the wall clock, which can jump). */
#ifndef MGR_COMMON_CLOCK_H
#define MGR_COMMON_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Microseconds on the monotonic clock. */
static inline int64_t
clock_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Milliseconds on the monotonic clock. */
static inline int64_t
clock_ms(void)
{
	return clock_us() / 1000;
}

/* Milliseconds on the monotonic clock at the kernel tick's resolution
 * (a few ms): a few nanoseconds to read, for what a request renews. */
static inline int64_t
clock_coarse_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The monotonic time ms from now, as a timespec for a timed wait on a
 * condition made by clock_cond_init. */
static inline struct timespec
clock_after_ms(int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t) (ms / 1000);
	ts.tv_nsec += (long) (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/* A condition whose timed waits are on the monotonic clock. */
static inline void
clock_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

#endif
