/* The manager's timer thread (timer.c): waiters' deadlines and the
 * lease sweep. */
#ifndef MGR_MANAGER_CORE_TIMER_H
#define MGR_MANAGER_CORE_TIMER_H

struct server;

/* Starts the thread. MGR_ENOMEM. */
int timer_start(struct server *srv);
/* Stops it and frees the deadline heap (after the sessions closed). */
void timer_stop(struct server *srv);

#endif
