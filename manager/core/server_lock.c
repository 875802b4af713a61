/* The server lock (server.h): held while a request is applied in memory,
 * never across a system call. Taking it counts the thread as holding it
 * (syscall_guard); dropping it writes what the thread queued meanwhile:
 * its log lines, and its replies unless it serves a read (whose end
 * writes them, conn.h's rule). Below everything in core/ that locks. */
#include <stdio.h>

#include "clock.h"
#include "codec.h"
#include "conn.h"
#include "log.h"
#include "server_state.h"
#include "syscall_guard.h"

void
server_lock_as(server *srv, const char *what)
{
	pthread_mutex_lock(&srv->mtx);
	syscall_guard_enter();
	srv->lock_t0_us  = (uint64_t) clock_us();
	srv->lock_holder = what;
}

void
server_lock(server *srv)
{
	server_lock_as(srv, NULL);
}

void
server_lock_holder(server *srv, const char *what)
{
	srv->lock_holder = what;
}

/* A hold this long stalls every client (their leases may run out
 * meanwhile): a bug, said in the log with who held it. */
#define HOLD_WARN_US 500000

/* Ends a hold of the lock: the longest one is kept. */
static void
hold_ends(server *srv)
{
	uint64_t held = (uint64_t) clock_us() - srv->lock_t0_us;
	if (held > HOLD_WARN_US) {
		log_msg(LOG_WARN,
		    "the server lock was held %llu ms by %s: every client "
		    "waited",
		    (unsigned long long) (held / 1000),
		    srv->lock_holder ? srv->lock_holder : "the manager");
	}
	if (held > srv->lock_hold_max_us) {
		srv->lock_hold_max_us = held;
		snprintf(srv->lock_hold_max_by, sizeof(srv->lock_hold_max_by),
		    "%s",
		    srv->lock_holder ? srv->lock_holder : "the manager");
	}
	syscall_guard_leave();
}

void
server_wait(server *srv, pthread_cond_t *cv, const struct timespec *until)
{
	// The lock is not held while waiting: not a hold, however long.
	hold_ends(srv);
	if (until != NULL) {
		pthread_cond_timedwait(cv, &srv->mtx, until);
	} else {
		pthread_cond_wait(cv, &srv->mtx);
	}
	syscall_guard_enter();
	srv->lock_t0_us  = (uint64_t) clock_us();
	srv->lock_holder = NULL;
}

void
server_unlock(server *srv)
{
	sv_pins_reset(); // what they name is the lock's to keep
	hold_ends(srv);
	pthread_mutex_unlock(&srv->mtx);
	log_flush_deferred();
	if (!fconn_serving()) {
		fconn_flush_queued();
	}
}
