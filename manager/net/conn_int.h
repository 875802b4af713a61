/* What conn.c and conn_gate.c share: a connection's fields, and the write
 * gate's state (conn_gate.c, below conn.c: it knows the fields, conn.c
 * asks it what may be written). Nothing else includes it. */
#ifndef MGR_MANAGER_NET_CONN_INT_H
#define MGR_MANAGER_NET_CONN_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "conn_tx.h"

struct fconn {
	struct xport   *t;
	evloop         *loop; /* its deadline's */
	loop_timer      timer;
	fconn_frame_fn  on_frame;
	fconn_closed_fn on_closed;
	void           *arg;
	size_t          max_msg; /* replies */

	/* the receive side's (one thread at a time) */
	size_t   rx_max; /* frames read */
	int      rx_timeout;
	uint8_t *rxbuf; /* bytes kept between reads: a split frame */
	size_t   skip;  /* bytes of a dropped frame still to come */
	fconn_big_frame_fn on_big;
	size_t             rxcap, rxlen;

	pthread_mutex_t mtx; /* everything below */
	pthread_cond_t  cv;  /* done */
	tx_chain        tx; /* replies queued: tx.len bytes, tx.off written */
	fconn          *flush_next; /* in a thread's flush list */
	bool            queued;     /* ... which holds a reference */
	bool            wr_wait;    /* the transport said XPORT_AGAIN */
	bool            rx_paused;  /* too many replies unread */
	bool            started;
	bool            closing; /* no more sends; shut down (or to be) */
	bool            shut;    /* the transport's shutdown was called */
	bool            close_after_tx;
	bool            close_after_try; /* ...or once the socket is full */
	bool            done;            /* on_closed has returned */
	bool            free_later;
	atomic_int      refs; /* the owner's, flush lists', kicks' */
	int             close_err;
	const char     *end_why; /* what a first frame's bytes looked like */
	bool            served;  /* a frame was: the peer speaks frames */
	/* With a write gate, positions count every byte ever queued (the
	 * first byte of tx's head is byte tx_base): bytes before gate_at may
	 * be written; those before pend_at once the gate passes pend_pos
	 * (then c is held: on the held list, which holds a reference).
	 * gate_snap: how far the bytes went when the thread flushing c asked
	 * the gate (bytes queued after that wait for their own thread's
	 * pass). */
	uint64_t tx_base, gate_at, pend_at, gate_snap;
	uint64_t pend_pos;
	bool     held;
	fconn   *held_next; /* on the held list (conn_gate.c's lock) */
	fconn   *gate_next; /* on a list of those let go (its taker's) */
};

/* ---- the write gate's state (conn_gate.c) ------------------------------ */

/* The gate (fconn_set_write_gate), or NULL. */
void conn_gate_set(uint64_t (*gate)(void));
bool conn_gated(void);
/* Before replies are written: the gate's word for what is queued now
 * (FCONN_GATE_OPEN without a gate). Not under the server lock. */
uint64_t conn_gate_pass(void);
/* How far c's bytes go now: what the gate's answer will cover. c->mtx
 * held. */
uint64_t conn_gate_snapshot_locked(const fconn *c);
/* c's bytes up to upto (conn_gate_snapshot_locked before asking the gate)
 * may leave once the gate passed pos: let through now if it has, else
 * held (on the held list, which takes a reference) until it does. c->mtx
 * held. */
void conn_gate_locked(fconn *c, uint64_t pos, uint64_t upto);
/* How far c's buffer may be written now (tx.off up to end,
 * counted as tx.len is). c->mtx held. */
size_t conn_gate_end_locked(const fconn *c);
/* The gate passed pos: the connections it lets go, off the held list,
 * their bytes let through, linked by gate_next, each with the list's
 * reference for the caller to drop. failed: the gate never passes again
 * (the log failed): every held one, nothing let through (the caller
 * closes them). */
fconn *conn_gate_let_go(uint64_t pos, bool failed);

#endif
