/* What the pool's files share: the records that travel through the
 * manager (pool_record.c), the pool and its futures (pool.c: the owner's
 * side; future.c: the futures), and the worker's side (pool_worker.c).
 *
 * In the manager, a pool is four objects:
 * - tasks, an acknowledged queue of task records (None: the workers'
 *   signal to stop, passed on by each to the next). A worker that dies
 *   before its task_done gives its task back to the front of the queue, so
 *   another runs it; the queue counts the deliveries of each (a counted
 *   get), so a task handed out a fourth time killed three workers, and
 *   fails instead of looping. A task still waiting in the queue has not
 *   begun: cancel removes it from there, atomically against every
 *   worker's get, and fails where a worker took it;
 * - results, a queue of result records that the pool's collector thread
 *   reads and hands to the futures;
 * - owner, a lock the owner's session holds while the pool lives: it is
 *   released when that session ends (a SIGKILLed owner too), and the
 *   workers, which look at it with every task and every IDLE_CHECK_MS
 *   when idle, then leave, so the pool's objects go with them (Python's
 *   workers leave when their task pipe breaks);
 * - config, a dict of the workers' settings: "initializer" (a task's
 *   name) and "initargs", "maxtasks" (maxtasksperchild). */
#ifndef MGR_PROXY_POOL_INT_H
#define MGR_PROXY_POOL_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"

#define POOL_ENTRY       "mgr.pool.worker"
#define POISON_STARTS    4 /* a task begun this often killed 3 workers */
#define DETAIL_MAX       300
#define IDLE_CHECK_MS    1000 /* an idle worker's look at its owner */
#define POOL_NOBJS       4    /* tasks, results, owner, config */
#define POOL_RETIRED     3    /* a worker's exit: maxtasksperchild reached */
#define POOL_INIT_FAILED 4    /* a worker's exit: its initializer failed */

/* The pool's objects, as a worker sees them. */
typedef struct pool_objs {
	mgr_obj *tasks, *results, *owner, *config;
} pool_objs;

/* ---- records (pool_record.c) -------------------------------------------
 */

/* A task record: [id, task name, arg, chunked] (chunked: arg is a list of
 * items, each run). */
typedef struct pool_task {
	uint64_t         id;
	const char      *name;
	size_t           name_len;
	const mgr_value *arg;
	bool             chunked;
} pool_task;

/* The record of t in *out. own: an owned copy (it is kept, then sent),
 * else borrowing t's parts through parts[4] (sent at once). */
int pool_task_pack(
    const pool_task *t, bool own, mgr_value parts[4], mgr_value *out);
/* Whether item is a task record; t then points into it. */
bool pool_task_unpack(const mgr_value *item, pool_task *t);

/* A result record: [id, status, the value (status 0) or the error text]. */
typedef struct pool_result {
	uint64_t    id;
	int         status;
	mgr_value  *value;  /* status 0: in the record (may be taken) */
	const char *detail; /* status != 0 */
} pool_result;

/* The owned record of id's outcome in *out: value taken (mgr_value_take:
 * moved when owned) when status is 0, else detail copied. */
int pool_result_pack(uint64_t id, int status, mgr_value *value,
    const char *detail, mgr_value *out);
/* Whether r is a result record; out then points into it. */
bool pool_result_unpack(mgr_value *r, pool_result *out);

/* ---- the pool and its futures ------------------------------------------
 */

/* A callback of mgr_future_on_done, waiting for its future's end. */
typedef struct future_cb {
	mgr_future_cb     fn;
	void             *arg;
	struct future_cb *next;
} future_cb;

struct mgr_future {
	mgr_pool   *pool; /* NULL once the pool is freed */
	uint64_t    id;
	atomic_bool done; /* set under the pool's mutex; read by waits too */
	uint64_t    done_seq;   /* completion order (futures_mtx) */
	struct done_ring *ring; /* a map's, told of its end (futures_mtx) */
	size_t            ring_at; /* its index there */
	future_cb        *cbs;     /* to run once it ends */
	mgr_future *fired_next; /* in the pool's list of callbacks to run */
	int         status;
	mgr_value   result; /* owned, once done with status 0 */
	/* a submitted task's record (owned), kept until it ends: cancel
	 * removes it from the tasks queue, if it still waits there, and
	 * running looks for it (Python's executor keeps its work items
	 * too); None for a map's chunks */
	mgr_value task;
	bool      queued; /* the record is in the manager (the feeder's put
	                   * returned) */
	char        detail[DETAIL_MAX];
	int         refs; /* the pool's (while pending) and the caller's */
	mgr_future *next, *prev;   /* in the pool's pending list, by id */
	mgr_future *anext, *aprev; /* in the pool's list of the caller's */
};

typedef struct slot {
	mgr_pool    *pool;
	mgr_process *proc; /* under the pool's mutex */
	pthread_t    watcher;
	bool         running;
} slot;

/* A task submitted and not yet put: its future (referenced) and the
 * task record (owned). */
typedef struct outgoing {
	mgr_future      *f;
	mgr_value        item;
	struct outgoing *next;
} outgoing;

struct mgr_pool {
	mgr_client      *c;
	mgr_obj         *tasks, *results, *owner, *config;
	mgr_obj         *record;     /* the manager's view of it (OBJ_POOL) */
	unsigned         worker_seq; /* PoolWorker-N's N */
	pthread_mutex_t  mtx;
	pthread_cond_t   cv; /* a future ended */
	mgr_process_opts opts;
	char            *exe;
	size_t           nworkers;
	slot            *slots;
	pthread_t        collector;
	bool             collecting;
	/* submit's tasks, put by the feeder thread 64 to a write (as
	 * Python's Pool feeds its task queue from a thread) */
	outgoing      *out_head, *out_tail;
	pthread_cond_t out_cv;
	pthread_t      feeder;
	bool           feeding;
	uint64_t       next_id;
	mgr_future    *pending, *pending_tail; /* not done yet, by id:
	                                        * results come mostly in
	                                        * order, found near the head */
	mgr_future *held;  /* every future the caller has not freed */
	mgr_future *fired; /* ended, with callbacks to run (referenced) */
	bool        closed, terminated, stopping;
};

/* How pool_submit sends a task: into a batch (the caller executes it),
 * or through the feeder (o, filled and queued there). */
typedef struct sending {
	mgr_batch *batch;
	outgoing  *o;
} sending;

/* A new pending future *out (the caller's) for task name on arg
 * (chunked: arg is a list of items, each run), its task sent as how
 * says. MGR_EKEY, MGR_ECLOSED, MGR_ENOMEM, the batch's errors. */
int pool_submit(mgr_pool *p, const char *task, mgr_value arg, bool chunked,
    sending how, mgr_future **out);

/* A new pending future of p, held by the caller and the pool (p's mutex
 * held). */
mgr_future *future_new_locked(mgr_pool *p);
/* Drops one reference to f (p's mutex held). */
void future_unref_locked(mgr_future *f);
/* f leaves the caller's futures (p's mutex held). */
void future_unhold_locked(mgr_pool *p, mgr_future *f);
/* Ends f with status (its detail text) and *res (moved; NULL: none); it
 * leaves the pending list (p's mutex held). */
void future_finish_locked(mgr_pool *p, mgr_future *f, int status,
    const char *detail, mgr_value *res);
/* Ends the future of result record r (a repeat, for a future already
 * ended, is dropped: the first one counted). p's mutex held. */
void future_deliver_locked(mgr_pool *p, mgr_value *r);
/* Runs the callbacks of the futures that ended (p's mutex not held). */
void future_run_callbacks(mgr_pool *p);
/* Waits for f until timeout ms (< 0: none), p's mutex held. 0 or
 * MGR_ETIMEDOUT. */
int future_wait_locked(mgr_pool *p, mgr_future *f, int64_t timeout);
/* f's result taken (moved out: f must be the caller's alone, as map's
 * futures are), once done. f's status, with its detail set. */
int future_take(mgr_future *f, int64_t timeout, mgr_value *result);

/* The indexes of a map's futures in the order they ended, as they end
 * (imap_unordered takes the next in O(1), not by looking at them all).
 * idx holds one slot per future: each ends once. futures_mtx guards it. */
typedef struct done_ring {
	size_t *idx;
	size_t  head, tail;
} done_ring;
/* fs[i] tells r (at i) when it ends; those ended already are in r now,
 * in their order. */
void future_ring_attach(mgr_future *const *fs, size_t n, done_ring *r);
/* No more telling r (before r or the futures go). */
void future_ring_detach(mgr_future *const *fs, size_t n);
/* The next index in r, waiting up to timeout ms (< 0: none) for one: 0,
 * or MGR_ETIMEDOUT. */
int future_ring_next(done_ring *r, int64_t timeout, size_t *index);

/* The worker's entry (pool_worker.c), registered with the first task; the
 * registry of tasks in this program. */
int pool_worker_entry(
    mgr_client *c, mgr_obj *const *objs, size_t n, int argc, char **argv);
mgr_task_fn pool_find_task(const char *name, size_t len);

#endif
