/* The monotonic clock, the one way every part of the project reads time
 * for deadlines and durations (never the wall clock, which can jump). */
#ifndef MGR_COMMON_CLOCK_H
#define MGR_COMMON_CLOCK_H

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

#endif
