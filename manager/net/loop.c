/* The event loops: each thread waits on its epoll set, serves the
 * connections that are readable or writable, and ends those whose receive
 * deadline passed; a group of them is made and stopped together. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mgr.h"
#include "sock_conn.h"
#include "spin.h"

static int
next_timeout(evloop *l, bool *stop, bool *timed)
{
	pthread_mutex_lock(&l->mtx);
	*stop       = l->stop;
	*timed      = l->timed != NULL;
	int64_t min = -1;
	for (sconn *c = l->timed; c != NULL; c = c->t_next) {
		if (min < 0 || c->rx_deadline < min) {
			min = c->rx_deadline;
		}
	}
	pthread_mutex_unlock(&l->mtx);
	if (min < 0) {
		return -1;
	}
	int64_t left = min - clock_ms();
	return left < 0 ? 0 : (int) (left > 60000 ? 60000 : left);
}

static void
expire(evloop *l)
{
	for (;;) {
		sconn  *late = NULL;
		int64_t now  = clock_ms();
		pthread_mutex_lock(&l->mtx);
		for (sconn *c = l->timed; c != NULL; c = c->t_next) {
			if (c->rx_deadline <= now) {
				late = c;
				conn_untime_locked(c);
				break;
			}
		}
		pthread_mutex_unlock(&l->mtx);
		if (late == NULL) {
			return;
		}
		conn_end(late, MGR_ETIMEDOUT);
	}
}

static void *
loop_main(void *arg)
{
	evloop            *l = arg;
	struct epoll_event ev[MAX_EVENTS];
	spinner            sp;
	bool               busy = false;
	spin_init(&sp); // here: the loop thread's own CPUs count
	for (;;) {
		bool stop, timed;
		int  tmo = next_timeout(l, &stop, &timed);
		if (stop) {
			fconn_defer_thread_done();
			conn_loop_thread_done();
			return NULL;
		}
		// Busy, the next request usually comes within microseconds:
		// wait for it awake (spin.h) rather than sleep and be woken
		// from another CPU.
		int n = 0;
		if (busy && tmo != 0 && spin_begin(&sp)) {
			do {
				n = epoll_wait(l->epfd, ev, MAX_EVENTS, 0);
			} while (n == 0 && !spin_over(&sp));
			spin_end(&sp, n > 0);
		}
		if (n == 0) {
			n = epoll_wait(l->epfd, ev, MAX_EVENTS, tmo);
		}
		busy = n > 0;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == l) {
				uint64_t v;
				ssize_t  k = read(l->wakefd, &v, sizeof(v));
				(void) k;
				continue;
			}
			sconn *c = ev[i].data.ptr;
			if (ev[i].events & EPOLLOUT) {
				if (!conn_on_writable(c)) {
					continue; // ended
				}
			}
			// Last: reading may end and free c.
			if (ev[i].events
			    & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
				conn_on_readable(c, ev[i].events);
			}
		}
		if (timed) {
			expire(l);
		}
	}
}

int
evgroup_new(evgroup **gp, int nthreads)
{
	evgroup *g = calloc(1, sizeof(*g));
	if (nthreads < 1) {
		nthreads = 1;
	}
	if (g == NULL
	    || (g->loops = calloc((size_t) nthreads, sizeof(*g->loops)))
	        == NULL) {
		free(g);
		return MGR_ENOMEM;
	}
	g->n = nthreads;
	for (int i = 0; i < nthreads; i++) {
		evloop *l = &g->loops[i];
		pthread_mutex_init(&l->mtx, NULL);
		l->epfd   = epoll_create1(EPOLL_CLOEXEC);
		l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l };
		if (l->epfd < 0 || l->wakefd < 0
		    || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) != 0
		    || pthread_create(&l->thr, NULL, loop_main, l) != 0) {
			g->n = i + 1;
			evgroup_free(g);
			return MGR_EINTERNAL;
		}
		l->running = true;
		char name[16];
		snprintf(
		    name, sizeof(name), "mgr:loop%u", (unsigned) i % 100);
		pthread_setname_np(l->thr, name); // for ps, perf and gdb
	}
	*gp = g;
	return 0;
}

void
evgroup_free(evgroup *g)
{
	if (g == NULL) {
		return;
	}
	for (int i = 0; i < g->n; i++) {
		evloop *l = &g->loops[i];
		pthread_mutex_lock(&l->mtx);
		l->stop = true;
		pthread_mutex_unlock(&l->mtx);
		if (l->running) {
			conn_wake(l);
			pthread_join(l->thr, NULL);
		}
		if (l->epfd >= 0) {
			close(l->epfd);
		}
		if (l->wakefd >= 0) {
			close(l->wakefd);
		}
		pthread_mutex_destroy(&l->mtx);
	}
	free(g->loops);
	free(g);
}
