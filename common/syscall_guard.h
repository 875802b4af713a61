/* A lock under which no system call may run (the manager's server lock).
 *
 * Whoever takes such a lock calls syscall_guard_enter after it and
 * syscall_guard_leave before dropping it; code that makes a system call
 * the rule forbids there (a send, a shutdown, a write of the log) calls
 * syscall_guard_check first. In builds with MGR_LOCK_CHECKS (every build
 * type but Release) a check under the lock aborts with the call's name:
 * the test suite runs on such builds, so a write under the lock fails a
 * test instead of slowing every client down in production. The count is
 * per thread: the lock is a mutex, held by one thread at a time. */
#ifndef MGR_COMMON_SYSCALL_GUARD_H
#define MGR_COMMON_SYSCALL_GUARD_H

#include <stdbool.h>

void syscall_guard_enter(void);
void syscall_guard_leave(void);
/* Whether the calling thread holds a guarded lock. */
bool syscall_guard_held(void);
/* what (a system call's name) is about to run: a bug under the lock. */
void syscall_guard_check(const char *what);

#endif
