#include "spin.h"
#include "clock.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SPIN_DEFAULT_US 50
#define SCORE_MAX       4
#define SCORE_MIN       (-8)
#define RETRY_MIN       64   /* waits between tries once spinning stopped */
#define RETRY_MAX       4096 /* ... doubling while the tries fail */

static long
preemptions(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_THREAD, &ru) != 0) {
		return 0;
	}
	return ru.ru_nivcsw;
}

void
spin_init(spinner *s)
{
	const char *e = getenv("MGR_SPIN_US");
	*s            = (spinner) { 0 };
	s->budget     = e != NULL ? atol(e) : SPIN_DEFAULT_US;
	cpu_set_t set;
	s->off = s->budget <= 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2
	    || sched_getaffinity(0, sizeof(set), &set) != 0
	    || CPU_COUNT(&set) < 2;
}

bool
spin_begin(spinner *s)
{
	if (s->off) {
		return false;
	}
	if (s->score < 0 && ++s->skips < s->every) {
		return false;
	}
	s->skips  = 0;
	s->t0     = clock_us();
	s->nivcsw = preemptions();
	return true;
}

bool
spin_over(spinner *s)
{
	return clock_us() - s->t0 >= s->budget;
}

void
spin_end(spinner *s, bool ok)
{
	bool preempted = preemptions() != s->nivcsw;
	bool paused    = s->score < 0; /* this was a try after a pause */
	if (ok && !preempted) {
		s->every = RETRY_MIN;
		s->score = paused
		    ? 0
		    : (s->score < SCORE_MAX ? s->score + 1 : SCORE_MAX);
		return;
	}
	if (paused) {
		s->every = s->every < RETRY_MAX ? s->every * 2 : RETRY_MAX;
	}
	// Preempted: someone else needed this CPU; stop at once.
	s->score = preempted || s->score - 2 < SCORE_MIN ? SCORE_MIN
	                                                 : s->score - 2;
}
