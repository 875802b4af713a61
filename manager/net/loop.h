/* The event loops: a few threads, each waiting on its own epoll set.
 *
 * A loop knows descriptors and deadlines, not connections: a watch is
 * told the events of its descriptor, a timer fires once its deadline
 * passes, and a kicked watch is told XPORT-style "look again" on the
 * loop's thread (for work that must run there, such as serving frames
 * already read once a paused reader resumes). Everything a watch is told
 * runs on its loop's thread, one at a time.
 *
 * Locks: timers have the loop's timer mutex (fire runs under it), kicks
 * a mutex of their own, so a kick may be sent under a connection's mutex
 * while a firing timer takes that connection's mutex. */
#ifndef MGR_MANAGER_NET_LOOP_H
#define MGR_MANAGER_NET_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct evloop  evloop;
typedef struct evgroup evgroup;

/* A descriptor's or a kick's events go to on_events (EPOLL* bits; a
 * kick is LOOP_KICK). */
#define LOOP_KICK (1u << 31)
typedef struct loop_watch {
	void (*on_events)(struct loop_watch *w, uint32_t events);
	/* A kick holds the watch alive until it is told: */
	void (*hold)(struct loop_watch *w);
	void (*release)(struct loop_watch *w);
	struct loop_watch *kick_next;
	bool               kicked; /* under the loop's mutex */
} loop_watch;

/* A deadline: fire runs on the loop's thread, under the loop's mutex
 * (so whatever it fires for cannot be freed meanwhile: its owner clears
 * the timer, under that mutex, before it goes), and must not wait. */
typedef struct loop_timer {
	void (*fire)(struct loop_timer *t);
	int64_t deadline; /* clock_ms */
	bool    armed;
	size_t  idx; /* in the loop's heap */
} loop_timer;

/* Starts nthreads (>= 1) loop threads. MGR_ENOMEM / MGR_EINTERNAL. */
int evgroup_new(evgroup **gp, int nthreads);
/* Stops and joins the loops. Every watch and timer must be gone. */
void evgroup_free(evgroup *g);
/* The next loop, round robin: where a new connection goes. */
evloop *evgroup_pick(evgroup *g);

/* Adds, changes (events: EPOLLIN, EPOLLOUT, EPOLLRDHUP...) or removes
 * fd's watch. 0, or -errno. */
int  loop_add(evloop *l, int fd, loop_watch *w, uint32_t events);
int  loop_mod(evloop *l, int fd, loop_watch *w, uint32_t events);
void loop_del(evloop *l, int fd);
/* w is told LOOP_KICK on l's thread soon (once however often kicked
 * before then), held meanwhile. Thread-safe. */
void loop_kick(evloop *l, loop_watch *w);
/* Called by each loop thread before (true) and after (false) it serves
 * the events of one wait (NULL: none): what one wait brought can then
 * share work (the connection layer writes their replies together, behind
 * one pass of its write gate). Process-wide. */
void loop_set_batch_hook(void (*hook)(bool begin));

/* Arms t to fire at deadline (clock_ms), or moves it. Thread-safe. */
void loop_timer_set(evloop *l, loop_timer *t, int64_t deadline);
/* Disarms t (no-op when it is not armed); once this returns, t does not
 * fire. Thread-safe. */
void loop_timer_clear(evloop *l, loop_timer *t);

#endif
