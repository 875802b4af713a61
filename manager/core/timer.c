/* The timer thread: waiters' deadlines (wait.c's heap), the sweep of
 * sessions' leases (sessions_expire) and big containers freed a slice a
 * millisecond (store_free_step). It sleeps until the nearest of
 * them, on the monotonic clock; a wake-up much later than meant says the
 * manager itself was stalled. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "bigmem.h"
#include "clock.h"
#include "log.h"
#include "server_state.h"
#include "session.h"
#include "timer.h"
#include "wait.h"

/* The sweep of leases runs at least this often (and at each expiry); a
 * wake-up later than meant by more than STALL_MS means the manager was
 * stalled (stopped, starved) and heard nobody meanwhile. */
#define SWEEP_MS 1000
#define STALL_MS 1000
/* Elements of big containers freed per timer tick: a millisecond or so. */
#define STORE_FREE_TIMER_STEP 32768

static void
sleep_until(server *srv, int64_t until)
{
	struct timespec ts;
	ts.tv_sec  = (time_t) (until / 1000);
	ts.tv_nsec = (long) (until % 1000) * 1000000;
	server_wait(srv, &srv->timer_cv, &ts);
}

/* The timer thread: waiters' deadlines, and sessions' leases. */
static void *
timer_main(void *arg)
{
	server *srv        = arg;
	int64_t next_sweep = clock_ms() + SWEEP_MS;
	int64_t meant      = -1; /* when it meant to wake up */
	server_lock(srv);
	while (!srv->timer_stop) {
		int64_t now = clock_ms();
		int64_t paused
		    = meant >= 0 && now - meant > STALL_MS ? now - meant : 0;
		meant = -1;
		if (paused > 0) {
			log_msg(LOG_WARN,
			    "the manager was stalled for %lld ms: every "
			    "lease "
			    "starts again",
			    (long long) paused);
		}
		if (paused > 0 || now >= next_sweep) {
			session *dead;
			int64_t  next
			    = sessions_expire(srv, now, paused, &dead);
			next_sweep = next >= 0 && next < now + SWEEP_MS
			    ? next
			    : now + SWEEP_MS;
			// The ends' replies (a lock handed on) and notices
			// leave at the unlock, before any sleep.
			server_unlock(srv);
			sessions_free(dead);
			server_memory_decay(srv);
			log_refusals_flush(); // the counts of intervals over
			server_lock(srv);
			continue;
		}
		if (wait_expire_due(srv, now)) {
			// Their replies are written once the lock is dropped.
			server_unlock(srv);
			server_lock(srv);
			continue;
		}
		int64_t until = next_sweep;
		if (srv->freeing != NULL || bigmem_pending()) {
			// Big containers (or arrays) let go: a slice now, the
			// next after a millisecond in which the lock is free
			// for others; their mappings unmapped without it.
			bool left
			    = store_free_step(srv, STORE_FREE_TIMER_STEP);
			if (bigmem_pending()) {
				server_unlock(srv);
				store_reclaim(STORE_FREE_TIMER_STEP);
				server_lock(srv);
				left = left || bigmem_pending();
			}
			until = left && now + 1 < until ? now + 1 : until;
		}
		int64_t deadline = wait_next_deadline(srv);
		if (deadline >= 0 && deadline < until) {
			until = deadline;
		}
		meant            = until;
		srv->timer_until = until;
		sleep_until(srv, until);
		srv->timer_until = 0;
		if (clock_ms() < meant) {
			meant
			    = -1; // woken early: a new deadline, not a stall
		}
	}
	server_unlock(srv);
	return NULL;
}

int
timer_start(server *srv)
{
	// Deadlines are monotonic (clock_ms): wait on the same clock.
	clock_cond_init(&srv->timer_cv);
	if (pthread_create(&srv->timer, NULL, timer_main, srv) != 0) {
		pthread_cond_destroy(&srv->timer_cv);
		return MGR_ENOMEM;
	}
	srv->timer_running = true;
	pthread_setname_np(srv->timer, "mgr:timer");
	return 0;
}

void
timer_stop(server *srv)
{
	if (!srv->timer_running) {
		return;
	}
	server_lock(srv);
	srv->timer_stop = true;
	pthread_cond_signal(&srv->timer_cv);
	server_unlock(srv);
	pthread_join(srv->timer, NULL);
	pthread_cond_destroy(&srv->timer_cv);
	srv->timer_running = false;
	free(srv->heap);
	srv->heap = NULL;
}
