#include "syscall_guard.h"

#include <stdio.h>
#include <stdlib.h>

static _Thread_local int depth;

void
syscall_guard_enter(void)
{
	depth++;
}

void
syscall_guard_leave(void)
{
	depth--;
}

bool
syscall_guard_held(void)
{
	return depth > 0;
}

void
syscall_guard_check(const char *what)
{
#ifdef MGR_LOCK_CHECKS
	if (depth > 0) {
		// No log line: writing one is what is forbidden here.
		fprintf(stderr,
		    "managerd: BUG: %s under the server lock (no system "
		    "call may run under it)\n",
		    what);
		abort();
	}
#else
	(void) what;
#endif
}
