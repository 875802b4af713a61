/* A member of a Raft group on a thread of its own (raft_node.h): libuv's
 * loop runs raft's I/O, its timers and the TCP transport; other threads
 * hand it buffers through a queue and an async wakeup. */
#include "raft_node.h"

#include <errno.h>
#include <pthread.h>
#include <raft.h>
#include <raft/uv.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>

#include "log.h"
#include "mgr.h"
#include "raft_auth.h"
#include "raft_io_guard.h"
#include "syscall_guard.h"

/* A buffer waiting for the member's thread. */
/* A membership change: the member to add (at addr) or remove (addr ""). */
typedef struct member_change {
	uint64_t id;
	char     addr[RAFT_NODE_ADDR_MAX];
} member_change;

typedef struct pending {
	void  *p;
	size_t n;
} pending;

struct raft_node {
	raft_node_opts opts;
	raft_node_ops  ops;
	char           dir[4096];
	char           addrs[RAFT_NODE_MAX_MEMBERS][RAFT_NODE_ADDR_MAX];
	pthread_t      thread;

	/* the member's thread only */
	uv_loop_t                loop;
	uv_async_t               wake;
	uv_timer_t               timer;
	struct raft_uv_transport transport;
	raft_io_guard            guard; /* libraft's uv io, in it */
	struct raft_fsm          fsm;
	struct raft              raft;
	struct raft_barrier      barrier;
	bool                     barrier_pending;
	bool                     was_leader;
	bool                     closing;
	bool                     failed; /* ops.apply or restore refused */
	uint64_t                 elections_won;
	struct raft_change       change_add, change_assign;
	member_change            running; /* the change asked, handed on */

	/* start: the thread says how it went */
	pthread_mutex_t   mtx; /* everything below */
	pthread_cond_t    cv;
	bool              started;
	int               start_rv;
	char              start_why[4400];
	pending          *queue;
	size_t            nqueue, qcap;
	bool              stop;
	raft_node_figures fig;
	/* the membership change asked (raft_node_change) */
	bool          change_asked, changing;
	member_change asked;
	char          change_said[200];
};

#if defined(__SANITIZE_THREAD__)
/* ThreadSanitizer sees libuv's and libraft's calls into libc, not their
 * synchronization (the libraries are not instrumented): a file libuv's
 * thread pool opened and its loop then polls, a buffer raft's thread
 * wrote and its disk thread reads, look like races. Those calls are left
 * out of the reports; managerd's own code is checked as ever. */
const char *__tsan_default_suppressions(void);
const char *
__tsan_default_suppressions(void)
{
	return "called_from_lib:libuv.so.1\n"
	       "called_from_lib:libraft.so.0\n";
}
#endif

#if defined(__SANITIZE_ADDRESS__)
/* libraft's uv transport can leave the buffer of a message it was reading
 * when the member stops (allocated in libuv's read callback, never seen
 * by managerd; seen once in a dozen ASan runs of the chaos test). Only
 * allocations made inside libraft are passed over; managerd's own are
 * checked as ever. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libraft.so.0\n";
}
#endif

void *
raft_node_alloc(size_t n)
{
	return raft_malloc(n);
}

void *
raft_node_realloc(void *p, size_t n)
{
	return raft_realloc(p, n);
}

void
raft_node_free(void *p)
{
	raft_free(p);
}

/* ---- the state machine's side ------------------------------------------ */

static int
fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
	raft_node *rn = fsm->data;
	*result       = NULL;
	if (rn->failed) {
		return RAFT_CORRUPT;
	}
	uint64_t index = raft_last_applied(&rn->raft) + 1;
	if (rn->ops.apply(rn->ops.arg, index, buf->base, buf->len) != 0) {
		rn->failed = true;
		return RAFT_CORRUPT;
	}
	return 0;
}

static int
fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n)
{
	raft_node *rn = fsm->data;
	uint8_t   *p  = NULL;
	size_t     len;
	if (rn->failed || rn->ops.snapshot(rn->ops.arg, &p, &len) != 0) {
		return RAFT_BUSY;
	}
	*bufs = raft_malloc(sizeof(**bufs));
	if (*bufs == NULL) {
		raft_free(p);
		return RAFT_NOMEM;
	}
	(*bufs)[0].base = p;
	(*bufs)[0].len  = len;
	*n              = 1;
	return 0;
}

static int
fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
	raft_node *rn = fsm->data;
	int        rv = rn->ops.restore(rn->ops.arg, buf->base, buf->len);
	if (rv != 0) {
		rn->failed = true;
		return RAFT_CORRUPT;
	}
	raft_free(buf->base);
	return 0;
}

/* ---- submissions --------------------------------------------------------
 */

static void
applied_cb(struct raft_apply *req, int status, void *result)
{
	raft_node *rn = req->data;
	(void) result;
	raft_free(req);
	if (status != 0 && !rn->closing) {
		rn->ops.submit_failed(rn->ops.arg, raft_strerror(status));
	}
}

static void
submit_one(raft_node *rn, pending *q)
{
	struct raft_apply *req = raft_malloc(sizeof(*req));
	struct raft_buffer buf = { .base = q->p, .len = q->n };
	int                rv  = RAFT_NOMEM;
	if (req != NULL) {
		req->data = rn;
		rv        = raft_apply(&rn->raft, req, &buf, 1, applied_cb);
	}
	if (rv != 0) {
		raft_free(req);
		raft_free(q->p);
		rn->ops.submit_failed(rn->ops.arg, raft_strerror(rv));
	}
}

int
raft_node_submit(raft_node *rn, void *p, size_t n)
{
	pthread_mutex_lock(&rn->mtx);
	if (rn->nqueue == rn->qcap) {
		size_t   cap = rn->qcap ? rn->qcap * 2 : 16;
		pending *nq  = realloc(rn->queue, cap * sizeof(*nq));
		if (nq == NULL) {
			pthread_mutex_unlock(&rn->mtx);
			raft_free(p);
			return MGR_ENOMEM;
		}
		rn->queue = nq;
		rn->qcap  = cap;
	}
	rn->queue[rn->nqueue++] = (pending) { p, n };
	pthread_mutex_unlock(&rn->mtx);
	syscall_guard_check("uv_async_send");
	uv_async_send(&rn->wake);
	return 0;
}

static void
barrier_cb(struct raft_barrier *req, int status)
{
	raft_node *rn       = req->data;
	rn->barrier_pending = false;
	if (!rn->closing) {
		rn->ops.barrier_done(rn->ops.arg, status == 0);
	}
}

void
raft_node_barrier(raft_node *rn)
{
	if (rn->barrier_pending) {
		return;
	}
	rn->barrier.data    = rn;
	rn->barrier_pending = true;
	if (raft_barrier(&rn->raft, &rn->barrier, barrier_cb) != 0) {
		rn->barrier_pending = false;
		rn->ops.barrier_done(rn->ops.arg, false);
	}
}

/* ---- membership changes ------------------------------------------------
 */

static const char *
role_name(int role)
{
	return role == RAFT_VOTER  ? "voter"
	    : role == RAFT_STANDBY ? "standby"
	                           : "spare";
}

/* How the change went: in the figures and the log. */
static void change_say(raft_node *rn, bool done, int level, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
static void
change_say(raft_node *rn, bool done, int level, const char *fmt, ...)
{
	char    line[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&rn->mtx);
	snprintf(rn->change_said, sizeof(rn->change_said), "%s", line);
	if (done) {
		rn->changing = false;
	}
	pthread_mutex_unlock(&rn->mtx);
	log_msg(level, "cluster: %s", line);
}

static void note_figures(raft_node *rn);

static void
change_done(struct raft_change *req, int status)
{
	raft_node *rn = req->data;
	note_figures(rn); // the members as they are now, before "done"
	bool               add = rn->running.addr[0] != '\0';
	unsigned long long id  = (unsigned long long) rn->running.id;
	if (status != 0) {
		change_say(rn, true, LOG_WARN, "%s node %llu failed: %s",
		    add ? "adding" : "removing", id, raft_strerror(status));
	} else if (add) {
		change_say(rn, true, LOG_INFO, "node %llu is a voter", id);
	} else {
		change_say(rn, true, LOG_INFO, "node %llu removed", id);
	}
}

/* Added as a spare: now a voter, once the leader has caught it up with
 * the log (raft's rounds), so that the group never counts on a member
 * that lacks entries. */
static void
change_added(struct raft_change *req, int status)
{
	raft_node *rn = req->data;
	if (status == 0 && !rn->closing) {
		change_say(rn, false, LOG_INFO,
		    "node %llu added as a spare: catching it up to make it a "
		    "voter",
		    (unsigned long long) rn->running.id);
		rn->change_assign.data = rn;
		status = raft_assign(&rn->raft, &rn->change_assign,
		    rn->running.id, RAFT_VOTER, change_done);
		if (status == 0) {
			return;
		}
	}
	change_done(req, status != 0 ? status : RAFT_SHUTDOWN);
}

static void
run_change(raft_node *rn, bool stopping)
{
	rn->change_add.data = rn;
	bool in             = false; // added before, not a voter yet
	for (unsigned i = 0; i < rn->raft.configuration.n; i++) {
		in = in
		    || rn->raft.configuration.servers[i].id == rn->running.id;
	}
	if (in && !stopping && rn->running.addr[0] != '\0') {
		change_added(&rn->change_add, 0);
		return;
	}
	int rv = stopping ? RAFT_SHUTDOWN
	    : rn->running.addr[0] != '\0'
	    ? raft_add(&rn->raft, &rn->change_add, rn->running.id,
	        rn->running.addr, change_added)
	    : raft_remove(
	        &rn->raft, &rn->change_add, rn->running.id, change_done);
	if (rv != 0) {
		change_done(&rn->change_add, rv);
	}
}

int
raft_node_change(
    raft_node *rn, uint64_t id, const char *addr, char *why, size_t whycap)
{
	int rv = 0;
	pthread_mutex_lock(&rn->mtx);
	const raft_node_figures *f     = &rn->fig;
	bool                     known = false;
	for (size_t i = 0; i < f->n && rv == 0; i++) {
		const raft_node_member *m = &f->members[i];
		known                     = known || m->id == id;
		bool again                = m->id == id && addr != NULL
		    && strcmp(m->addr, addr) == 0
		    && strcmp(m->role, "voter") != 0; // made a voter now
		if (addr != NULL && !again
		    && (m->id == id || strcmp(m->addr, addr) == 0)) {
			snprintf(why, whycap, "node %llu is at %s already",
			    (unsigned long long) m->id, m->addr);
			rv = MGR_EINVAL;
		}
	}
	if (rv != 0) {
	} else if (f->state == NULL || strcmp(f->state, "leader") != 0) {
		snprintf(why, whycap, "this member does not lead the group");
		rv = MGR_ESTATE;
	} else if (rn->changing) {
		snprintf(why, whycap,
		    "a membership change is under way (%s): one at a time",
		    rn->change_said);
		rv = MGR_ESTATE;
	} else if (addr == NULL && !known) {
		snprintf(why, whycap, "no node %llu in the group",
		    (unsigned long long) id);
		rv = MGR_ENOOBJ;
	} else if (addr != NULL && strlen(addr) >= RAFT_NODE_ADDR_MAX) {
		snprintf(why, whycap, "the address is too long");
		rv = MGR_EINVAL;
	} else {
		rn->change_asked = rn->changing = true;
		rn->asked.id                    = id;
		snprintf(rn->asked.addr, sizeof(rn->asked.addr), "%s",
		    addr != NULL ? addr : "");
		// The leader removing itself steps down once the change is
		// committed (raft's rule), and the others elect the next.
		snprintf(rn->change_said, sizeof(rn->change_said),
		    addr != NULL ? "adding node %llu at %s"
		        : id == rn->opts.id
		        ? "removing node %llu%s (this leader: "
		          "it steps down then)"
		        : "removing node %llu%s",
		    (unsigned long long) id, addr != NULL ? addr : "");
	}
	pthread_mutex_unlock(&rn->mtx);
	if (rv == 0) {
		uv_async_send(&rn->wake);
	}
	return rv;
}

/* ---- the thread ---------------------------------------------------------
 */

static void
on_handle_closed(uv_handle_t *h)
{
	(void) h;
}

static void
raft_closed(struct raft *r)
{
	raft_node *rn = r->data;
	raft_io_guard_close(&rn->guard);
	raft_uv_close(&rn->guard.io);
	raft_auth_close(&rn->transport);
	uv_close((uv_handle_t *) &rn->wake, on_handle_closed);
}

static void
begin_close(raft_node *rn)
{
	if (rn->closing) {
		return;
	}
	rn->closing = true;
	uv_timer_stop(&rn->timer);
	uv_close((uv_handle_t *) &rn->timer, on_handle_closed);
	raft_close(&rn->raft, raft_closed);
}

static void
on_wake(uv_async_t *a)
{
	raft_node *rn = a->data;
	pthread_mutex_lock(&rn->mtx);
	pending *q  = rn->queue;
	size_t   nq = rn->nqueue;
	bool     st = rn->stop;
	rn->queue   = NULL;
	rn->nqueue = rn->qcap = 0;
	bool change           = rn->change_asked;
	rn->change_asked      = false;
	if (change) {
		rn->running = rn->asked;
	}
	pthread_mutex_unlock(&rn->mtx);
	for (size_t i = 0; i < nq; i++) {
		if (st || rn->closing) {
			raft_free(q[i].p);
		} else {
			submit_one(rn, &q[i]);
		}
	}
	free(q);
	if (change) {
		run_change(rn, st || rn->closing);
	}
	if (st) {
		begin_close(rn);
	}
}

static const char *
state_name(int s)
{
	switch (s) {
	case RAFT_FOLLOWER:
		return "follower";
	case RAFT_CANDIDATE:
		return "candidate";
	case RAFT_LEADER:
		return "leader";
	default:
		return "unavailable";
	}
}

static void
note_figures(raft_node *rn)
{
	struct raft      *r = &rn->raft;
	raft_node_figures f = { 0 };
	raft_id           lid;
	const char       *laddr;
	raft_leader(r, &lid, &laddr);
	f.state         = state_name(raft_state(r));
	f.term          = raft_current_term(r);
	f.leader        = lid;
	f.commit        = raft_commit_index(r);
	f.applied       = raft_last_applied(r);
	f.last          = raft_last_index(r);
	f.snapshot      = r->trail.snapshot.index;
	f.elections_won = rn->elections_won;
	for (unsigned i = 0;
	     i < r->configuration.n && f.n < RAFT_NODE_MAX_MEMBERS; i++) {
		raft_node_member *m = &f.members[f.n++];
		m->id               = r->configuration.servers[i].id;
		snprintf(m->addr, sizeof(m->addr), "%s",
		    r->configuration.servers[i].address);
		raft_index match = 0;
		if (raft_state(r) == RAFT_LEADER) {
			if (m->id == rn->opts.id) {
				match = raft_last_index(r);
			} else if (raft_match_index(r, m->id, &match) != 0) {
				match = 0;
			}
		}
		m->match = match;
		m->role  = role_name(r->configuration.servers[i].role);
	}
	pthread_mutex_lock(&rn->mtx);
	rn->fig = f;
	pthread_mutex_unlock(&rn->mtx);
}

static void
on_tick(uv_timer_t *t)
{
	raft_node *rn = t->data;
	if (rn->closing) {
		return;
	}
	note_figures(rn);
	bool leader = raft_state(&rn->raft) == RAFT_LEADER;
	if (leader != rn->was_leader) {
		rn->was_leader = leader;
		if (leader) {
			rn->elections_won++;
		}
		rn->ops.role(
		    rn->ops.arg, leader, raft_current_term(&rn->raft));
	}
	if (rn->ops.tick != NULL) {
		rn->ops.tick(rn->ops.arg);
	}
}

/* raft_uv's tracer: its diagnostics into managerd's log. */
static void
trace_emit(struct raft_tracer *t, int type, const void *info)
{
	(void) t;
	if (type != RAFT_TRACER_DIAGNOSTIC) {
		return;
	}
	const struct raft_tracer_info *i = info;
	if (i->diagnostic.level <= 2) {
		log_msg(i->diagnostic.level == 1 ? LOG_ERROR : LOG_WARN,
		    "raft: %s", i->diagnostic.message);
	}
}

static struct raft_tracer tracer
    = { .impl = NULL, .version = 2, .emit = trace_emit };

/* Everything up to the loop's start, on the member's thread: 0, or a
 * raft or libuv code with rn->start_why filled. */
static int
setup(raft_node *rn)
{
	const raft_node_opts *o   = &rn->opts;
	char                 *why = rn->start_why;
	size_t                cap = sizeof(rn->start_why);
	int                   rv;
	char                  self[RAFT_NODE_ADDR_MAX] = "";
	for (size_t i = 0; i < o->n; i++) {
		if (o->ids[i] == o->id) {
			snprintf(self, sizeof(self), "%s", o->addrs[i]);
		}
	}
	if ((rv = uv_loop_init(&rn->loop)) != 0) {
		snprintf(why, cap, "uv_loop_init: %s", uv_strerror(rv));
		return rv;
	}
	rn->wake.data  = rn;
	rn->timer.data = rn;
	uv_async_init(&rn->loop, &rn->wake, on_wake);
	uv_timer_init(&rn->loop, &rn->timer);
	rn->transport.version = 1;
	rn->transport.data    = rn;
	if ((rv = raft_auth_init(
	         &rn->transport, &rn->loop, o->key, o->keylen))
	    != 0) {
		snprintf(why, cap, "the transport: %s", raft_strerror(rv));
		goto fail_handles;
	}
	if ((rv = raft_uv_init(
	         &rn->guard.io, &rn->loop, rn->dir, &rn->transport))
	    != 0) {
		snprintf(why, cap, "%s: %s", rn->dir, rn->guard.io.errmsg);
		goto fail_transport;
	}
	raft_io_guard_wrap(&rn->guard);
	raft_uv_set_auto_recovery(&rn->guard.io, false);
	raft_uv_set_tracer(&rn->guard.io, &tracer);
	raft_uv_set_connect_retry_delay(&rn->guard.io, 100);
	rn->fsm = (struct raft_fsm) { .version = 1,
		.data                          = rn,
		.apply                         = fsm_apply,
		.snapshot                      = fsm_snapshot,
		.restore                       = fsm_restore };
	if ((rv = raft_init(&rn->raft, &rn->guard.io, &rn->fsm, o->id, self))
	    != 0) {
		snprintf(why, cap, "raft_init: %s", raft_errmsg(&rn->raft));
		goto fail_io;
	}
	rn->raft.data     = rn;
	unsigned election = o->election_ms ? o->election_ms : 300;
	raft_set_election_timeout(&rn->raft, election);
	raft_set_heartbeat_timeout(&rn->raft,
	    o->heartbeat_ms ? o->heartbeat_ms
	                    : (election / 6 > 10 ? election / 6 : 10));
	raft_set_snapshot_threshold(
	    &rn->raft, o->snapshot_threshold ? o->snapshot_threshold : 4096);
	raft_set_snapshot_trailing(
	    &rn->raft, o->snapshot_trailing ? o->snapshot_trailing : 512);
	raft_set_pre_vote(&rn->raft, true);
	struct raft_configuration conf;
	raft_configuration_init(&conf);
	for (size_t i = 0; i < o->n && rv == 0; i++) {
		rv = raft_configuration_add(
		    &conf, o->ids[i], o->addrs[i], RAFT_VOTER);
	}
	if (rv == 0 && !o->join) {
		rv = raft_bootstrap(&rn->raft, &conf);
		if (rv == RAFT_CANTBOOTSTRAP) {
			rv = 0; // it has a log: the group was made before
		}
	}
	raft_configuration_close(&conf);
	if (rv != 0) {
		snprintf(why, cap, "bootstrap: %s", raft_errmsg(&rn->raft));
		goto fail_raft;
	}
	if ((rv = raft_start(&rn->raft)) != 0) {
		snprintf(why, cap, "%s: %s", rn->dir, raft_errmsg(&rn->raft));
		goto fail_raft;
	}
	uv_timer_start(
	    &rn->timer, on_tick, 0, rn->opts.tick_ms ? rn->opts.tick_ms : 5);
	return 0;

fail_raft:
	// raft_close releases the io and transport in its callback.
	rn->closing = true;
	uv_close((uv_handle_t *) &rn->timer, on_handle_closed);
	raft_close(&rn->raft, raft_closed);
	uv_run(&rn->loop, UV_RUN_DEFAULT);
	uv_loop_close(&rn->loop);
	return rv;
fail_io:
	raft_uv_close(&rn->guard.io);
fail_transport:
	raft_auth_close(&rn->transport);
fail_handles:
	uv_close((uv_handle_t *) &rn->wake, on_handle_closed);
	uv_close((uv_handle_t *) &rn->timer, on_handle_closed);
	uv_run(&rn->loop, UV_RUN_DEFAULT);
	uv_loop_close(&rn->loop);
	return rv;
}

static void *
rn_main(void *arg)
{
	raft_node *rn = arg;
	int        rv = setup(rn);
	pthread_mutex_lock(&rn->mtx);
	rn->start_rv = rv;
	rn->started  = true;
	pthread_cond_broadcast(&rn->cv);
	pthread_mutex_unlock(&rn->mtx);
	if (rv != 0) {
		return NULL;
	}
	uv_run(&rn->loop, UV_RUN_DEFAULT);
	uv_loop_close(&rn->loop);
	return NULL;
}

int
raft_node_start(raft_node **out, const raft_node_opts *o,
    const raft_node_ops *ops, char *why, size_t whycap)
{
	if (o->n == 0 || o->n > RAFT_NODE_MAX_MEMBERS) {
		snprintf(why, whycap, "a group of 1 to %d members",
		    RAFT_NODE_MAX_MEMBERS);
		return MGR_EINVAL;
	}
	if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whycap, "%s: %s", o->dir, strerror(errno));
		return MGR_EINTERNAL;
	}
	raft_node *rn = calloc(1, sizeof(*rn));
	if (rn == NULL) {
		snprintf(why, whycap, "out of memory");
		return MGR_ENOMEM;
	}
	rn->opts = *o;
	rn->ops  = *ops;
	snprintf(rn->dir, sizeof(rn->dir), "%s", o->dir);
	rn->opts.dir = rn->dir;
	for (size_t i = 0; i < o->n; i++) {
		snprintf(
		    rn->addrs[i], sizeof(rn->addrs[i]), "%s", o->addrs[i]);
		rn->opts.addrs[i] = rn->addrs[i];
	}
	pthread_mutex_init(&rn->mtx, NULL);
	pthread_cond_init(&rn->cv, NULL);
	// Its callbacks may use *out from the start.
	*out = rn;
	if (pthread_create(&rn->thread, NULL, rn_main, rn) != 0) {
		*out = NULL;
		snprintf(why, whycap, "cannot start the raft thread");
		pthread_mutex_destroy(&rn->mtx);
		pthread_cond_destroy(&rn->cv);
		free(rn);
		return MGR_ENOMEM;
	}
	pthread_mutex_lock(&rn->mtx);
	while (!rn->started) {
		pthread_cond_wait(&rn->cv, &rn->mtx);
	}
	int rv = rn->start_rv;
	pthread_mutex_unlock(&rn->mtx);
	if (rv != 0) {
		snprintf(why, whycap, "%s", rn->start_why);
		pthread_join(rn->thread, NULL);
		*out = NULL;
		pthread_mutex_destroy(&rn->mtx);
		pthread_cond_destroy(&rn->cv);
		free(rn);
		return MGR_EINTERNAL;
	}
	return 0;
}

void
raft_node_stop(raft_node *rn)
{
	if (rn == NULL) {
		return;
	}
	pthread_mutex_lock(&rn->mtx);
	rn->stop = true;
	pthread_mutex_unlock(&rn->mtx);
	uv_async_send(&rn->wake);
	pthread_join(rn->thread, NULL);
	for (size_t i = 0; i < rn->nqueue; i++) {
		raft_free(rn->queue[i].p);
	}
	free(rn->queue);
	pthread_mutex_destroy(&rn->mtx);
	pthread_cond_destroy(&rn->cv);
	free(rn);
}

void
raft_node_figures_of(raft_node *rn, raft_node_figures *f)
{
	pthread_mutex_lock(&rn->mtx);
	*f = rn->fig;
	// the change as it stands now, not at the last tick: asked, it
	// shows at once
	snprintf(f->change, sizeof(f->change), "%s", rn->change_said);
	f->changing = rn->changing;
	pthread_mutex_unlock(&rn->mtx);
	if (f->state == NULL) {
		f->state = "unavailable";
	}
}
