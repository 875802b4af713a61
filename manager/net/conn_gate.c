/* The write gate's state (conn.h's fconn_set_write_gate): the last log
 * position it passed, what of each connection's buffer may be written,
 * and the connections whose replies wait for a later position. conn.c
 * asks it before writing and writes what it lets go. */
#include "conn_int.h"

/* The gate, the last position it passed, and the held connections
 * (held_mtx: taken after a connection's mtx, never before). */
static uint64_t (*_Atomic write_gate)(void);
static atomic_uint_least64_t gate_passed;
static pthread_mutex_t       held_mtx = PTHREAD_MUTEX_INITIALIZER;
static fconn                *held_head;

static uint64_t
max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void
conn_gate_set(uint64_t (*gate)(void))
{
	atomic_store(&write_gate, gate);
}

bool
conn_gated(void)
{
	return atomic_load(&write_gate) != NULL;
}

uint64_t
conn_gate_pass(void)
{
	uint64_t (*gate)(void) = atomic_load(&write_gate);
	return gate != NULL ? gate() : FCONN_GATE_OPEN;
}

static void
held_push(fconn *c)
{
	pthread_mutex_lock(&held_mtx);
	c->held_next = held_head;
	held_head    = c;
	pthread_mutex_unlock(&held_mtx);
}

static fconn *
held_take(void)
{
	pthread_mutex_lock(&held_mtx);
	fconn *c  = held_head;
	held_head = NULL;
	pthread_mutex_unlock(&held_mtx);
	return c;
}

uint64_t
conn_gate_snapshot_locked(const fconn *c)
{
	return c->tx_base + c->tx.len;
}

void
conn_gate_locked(fconn *c, uint64_t pos, uint64_t upto)
{
	if (pos == FCONN_GATE_OPEN || pos <= atomic_load(&gate_passed)) {
		c->gate_at = max64(c->gate_at, upto);
		return;
	}
	c->pend_pos = max64(c->pend_pos, pos);
	c->pend_at  = max64(c->pend_at, upto);
	if (!c->held) {
		c->held = true;
		atomic_fetch_add(&c->refs, 1);
		held_push(c);
	}
	// Passed while it was being held: conn_gate_let_go may have taken
	// the list before c was on it.
	if (pos <= atomic_load(&gate_passed)) {
		c->gate_at = max64(c->gate_at, c->pend_at);
	}
}

size_t
conn_gate_end_locked(const fconn *c)
{
	if (!conn_gated()) {
		return c->tx.len;
	}
	uint64_t open = c->gate_at > c->tx_base ? c->gate_at - c->tx_base : 0;
	return open < c->tx.len ? (size_t) open : c->tx.len;
}

fconn *
conn_gate_let_go(uint64_t pos, bool failed)
{
	uint64_t cur = atomic_load(&gate_passed);
	while (!failed && cur < pos
	    && !atomic_compare_exchange_weak(&gate_passed, &cur, pos)) { }
	fconn *out = NULL;
	for (fconn *c = held_take(), *next; c != NULL; c = next) {
		next = c->held_next;
		pthread_mutex_lock(&c->mtx);
		if (failed || c->pend_pos <= atomic_load(&gate_passed)) {
			c->held = false;
			if (!failed) {
				c->gate_at = max64(c->gate_at, c->pend_at);
			}
			c->gate_next = out;
			out          = c;
		} else {
			held_push(c); // held for a later position
		}
		pthread_mutex_unlock(&c->mtx);
	}
	return out;
}
