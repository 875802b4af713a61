/* The direct engine: what its connections (sock_conn.c) and its event
 * loops (loop.c) share, the structs and the handful of calls between
 * them. Nothing outside manager/net/ includes this. */
#ifndef MGR_MANAGER_NET_SOCK_CONN_H
#define MGR_MANAGER_NET_SOCK_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn_engine.h"

#define RX_MIN     4096      /* smallest buffer kept for a split frame */
#define RX_SHRINK  (1 << 20) /* above this, give memory back when idle */
#define MAX_EVENTS 64

typedef struct evloop {
	pthread_t       thr;
	int             epfd;
	int             wakefd;
	pthread_mutex_t mtx;   /* timed list, stop */
	struct sconn   *timed; /* connections with a receive deadline */
	bool            stop;
	bool            running;
} evloop;

struct evgroup {
	evloop     *loops;
	int         n;
	atomic_uint next;
};

typedef struct sconn {
	fconn   base; /* first: an fconn * is an sconn * */
	evloop *loop;
	int     fd;
	size_t  max_msg; /* replies */
	size_t  rx_max;  /* frames read (the loop thread's) */

	/* receive side: the loop thread only */
	uint8_t *rxbuf;
	size_t   rxcap;
	size_t   rxlen;

	/* deadline: under loop->mtx */
	int           rx_timeout;
	int64_t       rx_deadline;
	bool          timed;
	struct sconn *t_prev, *t_next;

	/* send side and state, under mtx */
	pthread_mutex_t mtx;
	pthread_cond_t  cv; /* done */
	uint8_t        *tx;
	size_t          txlen, txoff, txcap;
	bool corked;    /* the loop is serving a read: flush at its end */
	bool out_armed; /* waiting for EPOLLOUT */
	bool rx_paused; /* not reading: too much queued for a slow reader */
	bool closing;   /* no more sends; the socket is (being) shut down */
	bool close_after_tx;
	bool started; /* in its loop's epoll set */
	bool done;    /* on_closed has returned */
	bool free_later;
	bool deferred;  /* in a loop thread's flush list (see defer_flush) */
	int  refs;      /* the owner's, and one per flush list holding c */
	int  close_err; /* why, when closing came first */
} sconn;

/* Wakes the loop from its epoll_wait. */
void conn_wake(evloop *l);
/* Takes c off its loop's deadline list; l->mtx held. */
void conn_untime_locked(sconn *c);
/* Ends c (its on_closed runs) with err. */
void conn_end(sconn *c, int err);
/* The socket can take more: false when c ended. */
bool conn_on_writable(sconn *c);
/* Frees the calling loop thread's read buffer, before it ends. */
void conn_loop_thread_done(void);
/* The socket has data (or hung up). */
void conn_on_readable(sconn *c, uint32_t events);

#endif
