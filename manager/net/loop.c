/* The event loops: each thread waits on its epoll set, tells the watches
 * of ready descriptors, the kicked ones, and fires the timers that are
 * due; a group of them is made and stopped together. */
#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mgr.h"
#include "spin.h"

#define MAX_EVENTS 64

struct evloop {
	pthread_t thr;
	int       epfd;
	int       wakefd;
	bool      running;

	pthread_mutex_t mtx; /* timers, stop */
	loop_timer    **heap;
	size_t          heap_len, heap_cap;
	bool            stop;

	pthread_mutex_t kick_mtx; /* kicks */
	loop_watch     *kicks;
	atomic_bool     kicked; /* kicks is not empty: looked at unlocked */
};

struct evgroup {
	evloop     *loops;
	int         n;
	atomic_uint next;
};

static void
wake(evloop *l)
{
	uint64_t one = 1;
	ssize_t  k   = write(l->wakefd, &one, sizeof(one));
	(void) k; // a full counter already wakes the loop
}

/* ---- timers: a min-heap on the deadline ---------------------------------
 */

static void
heap_swap(evloop *l, size_t i, size_t j)
{
	loop_timer *t   = l->heap[i];
	l->heap[i]      = l->heap[j];
	l->heap[j]      = t;
	l->heap[i]->idx = i;
	l->heap[j]->idx = j;
}

static void
heap_up(evloop *l, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (l->heap[p]->deadline <= l->heap[i]->deadline) {
			return;
		}
		heap_swap(l, i, p);
		i = p;
	}
}

static void
heap_down(evloop *l, size_t i)
{
	for (;;) {
		size_t a = 2 * i + 1, b = a + 1, m = i;
		if (a < l->heap_len
		    && l->heap[a]->deadline < l->heap[m]->deadline) {
			m = a;
		}
		if (b < l->heap_len
		    && l->heap[b]->deadline < l->heap[m]->deadline) {
			m = b;
		}
		if (m == i) {
			return;
		}
		heap_swap(l, i, m);
		i = m;
	}
}

static void
heap_remove_locked(evloop *l, loop_timer *t)
{
	size_t i = t->idx;
	t->armed = false;
	if (i != --l->heap_len) {
		l->heap[i]      = l->heap[l->heap_len];
		l->heap[i]->idx = i;
		heap_down(l, i);
		heap_up(l, i);
	}
}

void
loop_timer_set(evloop *l, loop_timer *t, int64_t deadline)
{
	pthread_mutex_lock(&l->mtx);
	bool sooner = l->heap_len == 0 || deadline < l->heap[0]->deadline;
	if (t->armed) {
		t->deadline = deadline;
		heap_down(l, t->idx);
		heap_up(l, t->idx);
	} else {
		if (l->heap_len == l->heap_cap) {
			size_t       cap = l->heap_cap ? l->heap_cap * 2 : 64;
			loop_timer **nh = realloc(l->heap, cap * sizeof(*nh));
			if (nh == NULL) {
				// Without memory for a deadline, the
				// connection goes now rather than never.
				pthread_mutex_unlock(&l->mtx);
				t->fire(t);
				return;
			}
			l->heap     = nh;
			l->heap_cap = cap;
		}
		t->deadline            = deadline;
		t->armed               = true;
		t->idx                 = l->heap_len;
		l->heap[l->heap_len++] = t;
		heap_up(l, t->idx);
	}
	pthread_mutex_unlock(&l->mtx);
	if (sooner && !pthread_equal(pthread_self(), l->thr)) {
		wake(l); // to wait no longer than the new deadline
	}
}

void
loop_timer_clear(evloop *l, loop_timer *t)
{
	pthread_mutex_lock(&l->mtx);
	if (t->armed) {
		heap_remove_locked(l, t);
	}
	pthread_mutex_unlock(&l->mtx);
}

/* ms until the earliest deadline (-1: none; that deadline to *due), and
 * whether to stop. */
static int
next_timeout(evloop *l, bool *stop, int64_t *due)
{
	pthread_mutex_lock(&l->mtx);
	*stop       = l->stop;
	int64_t min = l->heap_len > 0 ? l->heap[0]->deadline : -1;
	pthread_mutex_unlock(&l->mtx);
	*due = min;
	if (min < 0) {
		return -1;
	}
	int64_t left = min - clock_ms();
	return left < 0 ? 0 : (int) (left > 60000 ? 60000 : left);
}

static void
fire_due(evloop *l)
{
	int64_t now = clock_ms();
	pthread_mutex_lock(&l->mtx);
	while (l->heap_len > 0 && l->heap[0]->deadline <= now) {
		loop_timer *t = l->heap[0];
		heap_remove_locked(l, t);
		t->fire(t);
	}
	pthread_mutex_unlock(&l->mtx);
}

/* ---- kicks --------------------------------------------------------------
 */

void
loop_kick(evloop *l, loop_watch *w)
{
	pthread_mutex_lock(&l->kick_mtx);
	bool first = false;
	if (!w->kicked) {
		w->kicked = true;
		w->hold(w);
		w->kick_next = l->kicks;
		first        = l->kicks == NULL;
		l->kicks     = w;
		atomic_store(&l->kicked, true);
	}
	pthread_mutex_unlock(&l->kick_mtx);
	if (first) {
		wake(l);
	}
}

static void
run_kicks(evloop *l)
{
	if (!atomic_load(&l->kicked)) {
		return; // the usual case: no lock taken
	}
	pthread_mutex_lock(&l->kick_mtx);
	loop_watch *w = l->kicks;
	l->kicks      = NULL;
	atomic_store(&l->kicked, false);
	for (loop_watch *k = w; k != NULL; k = k->kick_next) {
		k->kicked = false;
	}
	pthread_mutex_unlock(&l->kick_mtx);
	while (w != NULL) {
		loop_watch *next = w->kick_next;
		w->on_events(w, LOOP_KICK);
		w->release(w);
		w = next;
	}
}

/* ---- descriptors --------------------------------------------------------
 */

int
loop_add(evloop *l, int fd, loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

int
loop_mod(evloop *l, int fd, loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -errno;
}

void
loop_del(evloop *l, int fd)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* loop_set_batch_hook's (conn.c's, with a write gate). */
static void (*_Atomic batch_hook)(bool begin);

static void *
loop_main(void *arg)
{
	evloop            *l = arg;
	struct epoll_event ev[MAX_EVENTS];
	spinner            sp;
	bool               busy = false;
	spin_init(&sp); // here: the loop thread's own CPUs count
	for (;;) {
		bool    stop;
		int64_t due;
		int     tmo = next_timeout(l, &stop, &due);
		if (stop) {
			run_kicks(l); // what they hold is let go
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
		busy               = n > 0;
		void (*hook)(bool) = n > 0 ? atomic_load(&batch_hook) : NULL;
		if (hook != NULL) {
			hook(true);
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == l) {
				uint64_t v;
				ssize_t  k = read(l->wakefd, &v, sizeof(v));
				(void) k;
				continue;
			}
			loop_watch *w = ev[i].data.ptr;
			w->on_events(w, ev[i].events);
		}
		if (hook != NULL) {
			hook(false);
		}
		run_kicks(l);
		// A deadline set meanwhile that is sooner woke the loop: it
		// is looked at in the next pass.
		if (due >= 0 && clock_ms() >= due) {
			fire_due(l);
		}
	}
}

void
loop_set_batch_hook(void (*hook)(bool begin))
{
	atomic_store(&batch_hook, hook);
}

evloop *
evgroup_pick(evgroup *g)
{
	unsigned i = atomic_fetch_add(&g->next, 1);
	return &g->loops[i % (unsigned) g->n];
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
		pthread_mutex_init(&l->kick_mtx, NULL);
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
			wake(l);
			pthread_join(l->thr, NULL);
		}
		if (l->epfd >= 0) {
			close(l->epfd);
		}
		if (l->wakefd >= 0) {
			close(l->wakefd);
		}
		free(l->heap);
		pthread_mutex_destroy(&l->mtx);
		pthread_mutex_destroy(&l->kick_mtx);
	}
	free(g->loops);
	free(g);
}
