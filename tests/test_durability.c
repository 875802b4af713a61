/* managerd --data-dir against a real managerd: what was acknowledged
 * before a kill -9 is there after a restart on the same directory, once;
 * tokens stay valid; a lock's holder keeps it and its reconnecting client
 * carries on in the same session; --check verifies and refuses damage. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "mgr.h"

typedef h_datadir fixture;

static int
setup(void **state)
{
	*state = h_datadir_new("durability");
	return *state != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	h_datadir_free(*state);
	return 0;
}

static void
start(fixture *f, const char *fsync)
{
	const char *extra[]
	    = { "--data-dir", f->data, "--fsync", fsync, NULL };
	assert_int_equal(h_managerd_start(&f->m, H_IPC, extra), 0);
}

static void
restart(fixture *f, const char *fsync)
{
	const char *extra[]
	    = { "--data-dir", f->data, "--fsync", fsync, NULL };
	assert_int_equal(h_managerd_restart(&f->m, extra), 0);
}

static void
get_int(mgr_obj *d, const char *key, int64_t want)
{
	mgr_value v;
	assert_int_equal(mgr_dict_get(d, mgr_str(key), &v), 0);
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, want);
	mgr_value_free(&v);
}

/* A blocking call made on a thread of its own, joined later. */
typedef enum { CALL_ACQUIRE, CALL_GET, CALL_COND_WAIT } call_kind;

typedef struct async_call {
	pthread_t t;
	call_kind kind;
	mgr_obj  *o;
	int64_t   timeout;
	int       rv;
	mgr_value got;
	/* CALL_COND_WAIT: the rlock is the thread's (an rlock is owned by
	 * a thread), so it takes it twice, waits, and lets go of each
	 * level when told (step), saying how it went in released[]. */
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	int             step, done, released[2];
} async_call;

/* Lets the thread of a CALL_COND_WAIT go on to its next release, and
 * waits for it: that release's status. */
/* Waits on a's condition variable until *what > than, at most 30 s:
 * whether it got there. a->mtx held. */
static bool
async_await(async_call *a, const int *what, int than)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	while (*what <= than
	    && pthread_cond_timedwait(&a->cv, &a->mtx, &until) != ETIMEDOUT) {
	}
	return *what > than;
}

static int
async_step(async_call *a)
{
	pthread_mutex_lock(&a->mtx);
	int k = a->step++;
	pthread_cond_broadcast(&a->cv);
	int rv = async_await(a, &a->done, k) ? a->released[k] : -1;
	pthread_mutex_unlock(&a->mtx);
	return rv;
}

static void *
async_run(void *arg)
{
	async_call *a = arg;
	switch (a->kind) {
	case CALL_ACQUIRE:
		a->rv = mgr_acquire(a->o, a->timeout);
		break;
	case CALL_GET:
		a->rv = mgr_queue_get(a->o, &a->got, a->timeout);
		break;
	case CALL_COND_WAIT:
		if ((a->rv = mgr_acquire(a->o, 0)) != 0
		    || (a->rv = mgr_acquire(a->o, 0)) != 0) {
			break;
		}
		a->rv = mgr_condition_wait(a->o, a->timeout);
		pthread_mutex_lock(&a->mtx);
		a->done = 0;
		pthread_cond_broadcast(&a->cv);
		for (int k = 0; k < 2 && async_await(a, &a->step, k); k++) {
			pthread_mutex_unlock(&a->mtx);
			int rv = mgr_release(a->o);
			pthread_mutex_lock(&a->mtx);
			a->released[k] = rv;
			a->done        = k + 1;
			pthread_cond_broadcast(&a->cv);
		}
		pthread_mutex_unlock(&a->mtx);
		break;
	}
	return NULL;
}

static void
async_start(async_call *a, call_kind kind, mgr_obj *o, int64_t timeout)
{
	*a = (async_call) {
		.kind = kind, .o = o, .timeout = timeout, .done = -1
	};
	pthread_mutex_init(&a->mtx, NULL);
	pthread_cond_init(&a->cv, NULL);
	assert_int_equal(pthread_create(&a->t, NULL, async_run, a), 0);
}

static int
async_join(async_call *a)
{
	pthread_join(a->t, NULL);
	pthread_mutex_destroy(&a->mtx);
	pthread_cond_destroy(&a->cv);
	return a->rv;
}

/* A CALL_COND_WAIT's wait returned (its status), the thread now waiting
 * to be told to release. */
static int
async_waited(async_call *a)
{
	pthread_mutex_lock(&a->mtx);
	int rv = async_await(a, &a->done, -1) ? a->rv : -1;
	pthread_mutex_unlock(&a->mtx);
	return rv;
}

/* Once the manager has n requests parked (polled, bounded). */
static bool
await_waiters(mgr_client *c, int64_t n)
{
	int64_t last;
	return h_info_await(c, "waiters", NULL, n, 5000, &last) == 0;
}

/* Names, a dict, a list, a queue with items, a nested object, its token:
 * all there after kill -9 and a restart, under the same ids. */
static void
test_restart_keeps_objects(void **state)
{
	fixture *f = *state;
	start(f, "everysec");
	mgr_client *c;
	mgr_obj    *d, *l, *q, *inner;
	assert_int_equal(h_connect(&f->m, &c), 0);
	// A create that fails after taking an id: the ids after it are
	// the same when the log is applied again.
	mgr_obj *bad;
	assert_int_equal(mgr_barrier_new(c, 0, -1, &bad), MGR_EINVAL);
	assert_int_equal(mgr_dict_new(c, &d), 0);
	assert_int_equal(mgr_list_new(c, &l), 0);
	assert_int_equal(mgr_queue_new(c, 0, &q), 0);
	assert_int_equal(mgr_dict_new(c, &inner), 0);
	for (int i = 0; i < 1000; i++) {
		char k[32];
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(mgr_dict_set(d, mgr_str(k), mgr_int(i)), 0);
	}
	assert_int_equal(mgr_dict_set(inner, mgr_str("deep"), mgr_int(7)), 0);
	mgr_value ref = { .kind = MGR_REF, .ref = inner };
	assert_int_equal(mgr_dict_set(d, mgr_str("inner"), ref), 0);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(mgr_list_append(l, mgr_int(i)), 0);
		assert_int_equal(mgr_queue_put(q, mgr_int(i), -1), 0);
	}
	mgr_value got;
	for (int i = 0; i < 10; i++) { // 10 of the 100 taken
		assert_int_equal(mgr_queue_get(q, &got, 0), 0);
		mgr_value_free(&got);
	}
	assert_int_equal(mgr_dict_set(d, mgr_str("k5"), mgr_int(-5)), 0);
	assert_int_equal(mgr_name_set(c, "the-dict", d), 0);
	assert_int_equal(mgr_name_set(c, "the-list", l), 0);
	assert_int_equal(mgr_name_set(c, "the-queue", q), 0);
	char token[128];
	assert_int_equal(mgr_obj_token(d, token, sizeof(token)), 0);
	assert_int_equal(h_managerd_kill(&f->m), 0);
	mgr_obj_release(inner);
	mgr_obj_release(q);
	mgr_obj_release(l);
	mgr_obj_release(d);
	mgr_disconnect(c);

	restart(f, "everysec");
	assert_true(h_managerd_log_has(&f->m, "records replayed", 5000));
	assert_int_equal(h_connect(&f->m, &c), 0);
	assert_int_equal(mgr_attach(c, token, &d), 0); // the same token
	size_t n;
	assert_int_equal(mgr_dict_len(d, &n), 0);
	assert_int_equal(n, 1001);
	get_int(d, "k0", 0);
	get_int(d, "k5", -5);
	get_int(d, "k999", 999);
	assert_int_equal(mgr_dict_get(d, mgr_str("inner"), &got), 0);
	assert_int_equal(got.kind, MGR_REF);
	get_int(mgr_value_ref(&got), "deep", 7);
	mgr_value_free(&got);
	assert_int_equal(mgr_name_get(c, "the-list", &l), 0);
	assert_int_equal(mgr_list_len(l, &n), 0);
	assert_int_equal(n, 100);
	assert_int_equal(mgr_list_get(l, 99, &got), 0);
	assert_int_equal(got.i, 99);
	assert_int_equal(mgr_name_get(c, "the-queue", &q), 0);
	assert_int_equal(mgr_queue_get(q, &got, 0), 0);
	assert_int_equal(got.i, 10); // the first not taken
	mgr_obj_release(q);
	mgr_obj_release(l);
	mgr_obj_release(d);

	// A graceful restart too.
	assert_int_equal(h_managerd_term(&f->m), 0);
	mgr_disconnect(c);
	restart(f, "everysec");
	assert_int_equal(h_connect(&f->m, &c), 0);
	assert_int_equal(mgr_name_get(c, "the-queue", &q), 0);
	assert_int_equal(mgr_queue_get(q, &got, 0), 0);
	assert_int_equal(got.i, 11);
	mgr_obj_release(q);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&f->m), 0);
}

typedef struct killer {
	h_managerd *m;
	atomic_int *acked;
	int         at;
} killer;

static void *
kill_at(void *arg)
{
	killer *k        = arg;
	int64_t deadline = h_now_ms() + 30000;
	while (atomic_load(k->acked) < k->at && h_now_ms() < deadline) {
		sched_yield();
	}
	kill(k->m->pid, SIGKILL);
	return NULL;
}

static void
check_appends(fixture *f, const char *fsync, int n_acked)
{
	restart(f, fsync);
	mgr_client *c;
	mgr_obj    *l;
	assert_int_equal(h_connect(&f->m, &c), 0);
	assert_int_equal(mgr_name_get(c, "appends", &l), 0);
	assert_int_equal(h_appends_check(l, (size_t) n_acked), 0);
	mgr_obj_release(l);
	mgr_disconnect(c);
}

/* Appends acknowledged one by one while managerd is killed -9 under
 * them: after the restart each acknowledged append is there, once, in
 * order, and at most the one in flight besides. */
static void
kill_and_check(fixture *f, const char *fsync)
{
	start(f, fsync);
	mgr_client *c;
	mgr_obj    *l;
	assert_int_equal(h_connect(&f->m, &c), 0);
	assert_int_equal(mgr_list_new(c, &l), 0);
	assert_int_equal(mgr_name_set(c, "appends", l), 0);
	atomic_int acked = 0;
	killer     k     = { &f->m, &acked, 300 };
	pthread_t  t;
	assert_int_equal(pthread_create(&t, NULL, kill_at, &k), 0);
	int rv = 0;
	for (int i = 0; rv == 0 && i < 1000000; i++) {
		rv = mgr_list_append(l, mgr_int(i));
		if (rv == 0) {
			atomic_store(&acked, i + 1);
		}
	}
	pthread_join(t, NULL);
	assert_int_equal(rv, MGR_ECONN);
	mgr_obj_release(l);
	mgr_disconnect(c);
	int n_acked = atomic_load(&acked);
	h_log("--fsync %s: %d appends acknowledged before the kill", fsync,
	    n_acked);
	assert_true(n_acked >= 300);
	h_managerd_kill(&f->m); // reaps it
	check_appends(f, fsync, n_acked);
	assert_int_equal(h_managerd_stop(&f->m), 0);
}

static void
test_kill_loses_nothing_acknowledged_no(void **state)
{
	kill_and_check(*state, "no");
}

static void
test_kill_loses_nothing_acknowledged_always(void **state)
{
	kill_and_check(*state, "always");
}

/* A reconnecting client holds a lock when managerd is killed: after the
 * restart its session is resumed, it still holds the lock (another
 * client's try fails), and its release is applied once. */
static void
test_lock_holder_rides_over_restart(void **state)
{
	fixture *f = *state;
	start(f, "everysec");
	mgr_client *holder = h_reconnecting(&f->m), *other;
	mgr_obj    *lk, *lk2, *d;
	assert_non_null(holder);
	assert_int_equal(mgr_lock_new(holder, &lk), 0);
	assert_int_equal(mgr_name_set(holder, "the-lock", lk), 0);
	assert_int_equal(mgr_dict_new(holder, &d), 0);
	assert_int_equal(mgr_name_set(holder, "the-dict", d), 0);
	assert_int_equal(mgr_acquire(lk, 0), 0);
	assert_int_equal(h_managerd_kill(&f->m), 0);
	restart(f, "everysec");

	assert_int_equal(h_connect(&f->m, &other), 0);
	assert_int_equal(mgr_name_get(other, "the-lock", &lk2), 0);
	assert_int_equal(mgr_acquire(lk2, 0), MGR_ETIMEDOUT); // still held
	// The holder's next call resumes its session and goes through.
	assert_int_equal(mgr_dict_set(d, mgr_str("after"), mgr_int(1)), 0);
	assert_int_equal(mgr_release(lk), 0);
	assert_int_equal(mgr_acquire(lk2, 5000), 0);
	assert_int_equal(mgr_release(lk2), 0);
	mgr_obj_release(lk2);
	mgr_disconnect(other);
	mgr_obj_release(d);
	mgr_obj_release(lk);
	mgr_disconnect(holder);
	assert_int_equal(h_managerd_stop(&f->m), 0);
}

/* What parked requests were handed survives: a lock passed to a waiter,
 * a queue item handed to a parked get, a condition's waiter woken (its
 * lock taken back): the state after a restart is the one before. */
static void
test_handoffs_survive(void **state)
{
	fixture *f = *state;
	start(f, "everysec");
	mgr_client *a = h_reconnecting(&f->m), *b = h_reconnecting(&f->m);
	mgr_obj    *lk, *q, *cv, *lkb, *qb, *cvb;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(mgr_lock_new(a, &lk), 0);
	assert_int_equal(mgr_queue_new(a, 0, &q), 0);
	assert_int_equal(mgr_condition_new(a, NULL, &cv), 0);
	assert_int_equal(mgr_name_set(a, "lock", lk), 0);
	assert_int_equal(mgr_name_set(a, "queue", q), 0);
	assert_int_equal(mgr_name_set(a, "cv", cv), 0);
	assert_int_equal(mgr_name_get(b, "lock", &lkb), 0);
	assert_int_equal(mgr_name_get(b, "queue", &qb), 0);
	assert_int_equal(mgr_name_get(b, "cv", &cvb), 0);

	// b waits for the lock a holds; a lets go: b has it.
	assert_int_equal(mgr_acquire(lk, 0), 0);
	async_call wait_lock;
	async_start(&wait_lock, CALL_ACQUIRE, lkb, 10000);
	assert_true(await_waiters(a, 1));
	assert_int_equal(mgr_release(lk), 0);
	assert_int_equal(async_join(&wait_lock), 0);
	// b waits on the queue; a puts two: b has the first.
	async_call wait_item;
	async_start(&wait_item, CALL_GET, qb, 10000);
	assert_true(await_waiters(a, 1));
	assert_int_equal(mgr_queue_put(q, mgr_int(1), -1), 0);
	assert_int_equal(mgr_queue_put(q, mgr_int(2), -1), 0);
	assert_int_equal(async_join(&wait_item), 0);
	assert_int_equal(wait_item.got.i, 1);
	mgr_value_free(&wait_item.got);
	// a waits on the condition (its rlock let go), b notifies: a has
	// its rlock back, twice over.
	async_call wait_cv;
	async_start(&wait_cv, CALL_COND_WAIT, cv, 10000);
	assert_true(await_waiters(b, 1));
	assert_int_equal(mgr_acquire(cvb, 5000), 0);
	assert_int_equal(mgr_condition_notify(cvb, 1), 0);
	assert_int_equal(mgr_release(cvb), 0);
	assert_int_equal(async_waited(&wait_cv), 0);

	assert_int_equal(h_managerd_kill(&f->m), 0);
	restart(f, "everysec");

	mgr_client *c;
	mgr_obj    *lkc, *qc, *cvc;
	mgr_value   got;
	assert_int_equal(h_connect(&f->m, &c), 0);
	assert_int_equal(mgr_name_get(c, "lock", &lkc), 0);
	assert_int_equal(mgr_name_get(c, "queue", &qc), 0);
	assert_int_equal(mgr_name_get(c, "cv", &cvc), 0);
	assert_int_equal(mgr_acquire(lkc, 0), MGR_ETIMEDOUT); // b's
	assert_int_equal(mgr_acquire(cvc, 0), MGR_ETIMEDOUT); // a's
	assert_int_equal(mgr_queue_get(qc, &got, 0), 0);
	assert_int_equal(got.i, 2); // 1 was handed to b
	// Their holders carry on: b lets go of the lock, a of its rlock
	// (both levels).
	assert_int_equal(mgr_release(lkb), 0);
	assert_int_equal(mgr_acquire(lkc, 5000), 0);
	assert_int_equal(async_step(&wait_cv), 0);
	assert_int_equal(mgr_acquire(cvc, 0), MGR_ETIMEDOUT);
	assert_int_equal(async_step(&wait_cv), 0);
	assert_int_equal(async_join(&wait_cv), 0);
	assert_int_equal(mgr_acquire(cvc, 5000), 0);
	mgr_obj_release(lkc);
	mgr_obj_release(qc);
	mgr_obj_release(cvc);
	mgr_disconnect(c);
	mgr_obj_release(lkb);
	mgr_obj_release(qb);
	mgr_obj_release(cvb);
	mgr_disconnect(b);
	mgr_obj_release(lk);
	mgr_obj_release(q);
	mgr_obj_release(cv);
	mgr_disconnect(a);
	assert_int_equal(h_managerd_stop(&f->m), 0);
}

/* A condition's wait parked when managerd is killed (its rlock, taken
 * twice, let go of; another client took it since): after the restart the
 * wait is parked again for its lock, and once the other lets go it
 * returns (as a spurious wakeup may) holding both levels. */
static void
test_cond_wait_rides_over_restart(void **state)
{
	fixture *f = *state;
	start(f, "everysec");
	mgr_client *a = h_reconnecting(&f->m), *b = h_reconnecting(&f->m);
	mgr_obj    *cv, *cvb;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(mgr_condition_new(a, NULL, &cv), 0);
	assert_int_equal(mgr_name_set(a, "cv", cv), 0);
	assert_int_equal(mgr_name_get(b, "cv", &cvb), 0);
	async_call wait_cv;
	async_start(&wait_cv, CALL_COND_WAIT, cv, 60000);
	assert_true(await_waiters(b, 1));
	assert_int_equal(mgr_acquire(cvb, 5000), 0); // let go of by a's wait
	assert_int_equal(h_managerd_kill(&f->m), 0);
	restart(f, "everysec");
	assert_true(h_managerd_log_has(&f->m, "records replayed", 5000));

	mgr_client *c;
	mgr_obj    *cvc;
	assert_int_equal(h_connect(&f->m, &c), 0);
	assert_int_equal(mgr_name_get(c, "cv", &cvc), 0);
	assert_int_equal(mgr_acquire(cvc, 0), MGR_ETIMEDOUT); // b's
	assert_int_equal(mgr_release(cvb), 0);
	assert_int_equal(async_waited(&wait_cv), 0); // a's, twice over
	assert_int_equal(mgr_acquire(cvc, 0), MGR_ETIMEDOUT);
	assert_int_equal(async_step(&wait_cv), 0);
	assert_int_equal(mgr_acquire(cvc, 0), MGR_ETIMEDOUT);
	assert_int_equal(async_step(&wait_cv), 0);
	assert_int_equal(async_join(&wait_cv), 0);
	assert_int_equal(mgr_acquire(cvc, 5000), 0);
	mgr_obj_release(cvc);
	mgr_disconnect(c);
	mgr_obj_release(cvb);
	mgr_disconnect(b);
	mgr_obj_release(cv);
	mgr_disconnect(a);
	assert_int_equal(h_managerd_stop(&f->m), 0);
}

/* Producers and consumers on a bounded acknowledged queue, each its own
 * reconnecting client, while managerd is killed -9 and restarted three
 * times under them (parked gets and puts among the calls in flight):
 * every put acknowledged is got exactly once, and nothing else is. */
typedef struct flow {
	fixture    *f;
	int         id;    /* producer: which; consumer: -1 */
	int         n;     /* producer: how many */
	int         rv;    /* the first failure */
	int        *got;   /* consumer: counts by item (shared) */
	atomic_int *taken; /* items got, by all consumers */
	atomic_int *put;   /* items acknowledged, by all producers */
	int         total; /* what the consumers stop at */
} flow;

/* got[] and the consumers' progress (got_cv: an item more was got). */
static pthread_mutex_t got_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  got_cv  = PTHREAD_COND_INITIALIZER;

static void *
producer(void *arg)
{
	flow       *fl = arg;
	mgr_client *c  = h_reconnecting(&fl->f->m);
	mgr_obj    *q  = NULL;
	if (c == NULL || (fl->rv = mgr_name_get(c, "flow", &q)) != 0) {
		fl->rv = fl->rv ? fl->rv : MGR_ECONN;
		mgr_disconnect(c);
		return NULL;
	}
	for (int i = 0; i < fl->n && fl->rv == 0; i++) {
		fl->rv
		    = mgr_queue_put(q, mgr_int(fl->id * 100000 + i), 60000);
		if (fl->rv == 0) {
			atomic_fetch_add(fl->put, 1);
		}
	}
	mgr_obj_release(q);
	mgr_disconnect(c);
	return NULL;
}

static void *
consumer(void *arg)
{
	flow       *fl = arg;
	mgr_client *c  = h_reconnecting(&fl->f->m);
	mgr_obj    *q  = NULL;
	if (c == NULL || (fl->rv = mgr_name_get(c, "flow", &q)) != 0) {
		fl->rv = fl->rv ? fl->rv : MGR_ECONN;
		mgr_disconnect(c);
		return NULL;
	}
	while (fl->rv == 0 && atomic_load(fl->taken) < fl->total) {
		mgr_value v;
		int       rv = mgr_queue_get(q, &v, 200);
		if (rv == MGR_EEMPTY) { // nothing for 200 ms: look again
			continue;
		}
		if ((fl->rv = rv) != 0) {
			break;
		}
		pthread_mutex_lock(&got_mtx);
		int p = (int) (v.i / 100000), i = (int) (v.i % 100000);
		fl->got[p * 1000 + i]++;
		atomic_fetch_add(fl->taken, 1);
		pthread_cond_broadcast(&got_cv);
		pthread_mutex_unlock(&got_mtx);
		fl->rv = mgr_queue_task_done(q);
	}
	mgr_obj_release(q);
	mgr_disconnect(c);
	return NULL;
}

static void
queue_flow_across_restarts(fixture *f, const char *fsync)
{
	start(f, fsync);
	mgr_client    *c;
	mgr_obj       *q;
	mgr_queue_opts qo = { .maxsize = 8, .ack = true };
	assert_int_equal(h_connect(&f->m, &c), 0);
	assert_int_equal(mgr_queue_new_opts(c, &qo, &q), 0);
	assert_int_equal(mgr_name_set(c, "flow", q), 0);
	mgr_obj_release(q);
	mgr_disconnect(c); // the name keeps it

	enum { PRODUCERS = 2, CONSUMERS = 2, EACH = 600 };
	static int got[PRODUCERS * 1000];
	memset(got, 0, sizeof(got));
	atomic_int taken = 0, put = 0;
	flow       fl[PRODUCERS + CONSUMERS];
	pthread_t  t[PRODUCERS + CONSUMERS];
	for (int k = 0; k < PRODUCERS + CONSUMERS; k++) {
		fl[k] = (flow) { .f = f,
			.id         = k < PRODUCERS ? k : -1,
			.n          = EACH,
			.got        = got,
			.taken      = &taken,
			.put        = &put,
			.total      = PRODUCERS * EACH };
		assert_int_equal(
		    pthread_create(&t[k], NULL,
		        k < PRODUCERS ? producer : consumer, &fl[k]),
		    0);
	}
	for (int round = 1; round <= 3; round++) {
		// Until a quarter more of the items were got (30 s at most).
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 30;
		pthread_mutex_lock(&got_mtx);
		while (atomic_load(&taken) < round * PRODUCERS * EACH / 4
		    && pthread_cond_timedwait(&got_cv, &got_mtx, &until)
		        != ETIMEDOUT) { }
		pthread_mutex_unlock(&got_mtx);
		h_log("round %d: %d put, %d got: kill -9", round,
		    atomic_load(&put), atomic_load(&taken));
		assert_int_equal(h_managerd_kill(&f->m), 0);
		restart(f, fsync);
	}
	for (int k = 0; k < PRODUCERS + CONSUMERS; k++) {
		pthread_join(t[k], NULL);
		assert_int_equal(fl[k].rv, 0);
	}
	assert_int_equal(atomic_load(&put), PRODUCERS * EACH);
	assert_int_equal(atomic_load(&taken), PRODUCERS * EACH);
	for (int p = 0; p < PRODUCERS; p++) {
		for (int i = 0; i < EACH; i++) {
			if (got[p * 1000 + i] != 1) {
				fail_msg(
				    "item %d of producer %d got %d times", i,
				    p, got[p * 1000 + i]);
			}
		}
	}
	assert_int_equal(h_managerd_stop(&f->m), 0);
}

static void
test_queue_flow_across_restarts_no(void **state)
{
	queue_flow_across_restarts(*state, "no");
}

/* The same with every reply held until its records are synced. */
static void
test_queue_flow_across_restarts_always(void **state)
{
	queue_flow_across_restarts(*state, "always");
}

/* Every other type's state across a kill -9: a namespace, a scalar and an
 * array, an event, a bounded semaphore with a permit held, a barrier
 * broken by a party's timeout (the manager's doing, logged as an abort),
 * a pipe with unread messages and a closed end, and a lock's fencing
 * counter (the next hold gets a greater token than any before). */
static void
test_every_type_survives(void **state)
{
	fixture *f = *state;
	start(f, "everysec");
	mgr_client *c = h_reconnecting(&f->m);
	assert_non_null(c);
	mgr_obj *ns, *sc, *ar, *ev, *sem, *bar, *e1, *e2, *lk;
	assert_int_equal(mgr_ns_new(c, &ns), 0);
	assert_int_equal(mgr_ns_set(ns, "answer", mgr_int(42)), 0);
	assert_int_equal(mgr_scalar_new(c, 'i', mgr_int(5), &sc), 0);
	assert_int_equal(mgr_scalar_add(sc, mgr_int(10), NULL), 0);
	mgr_value items[3] = { mgr_int(1), mgr_int(2), mgr_int(3) };
	mgr_value list     = { .kind = MGR_LIST, .len = 3, .items = items };
	assert_int_equal(mgr_array_new(c, 'q', list, &ar), 0);
	assert_int_equal(mgr_array_set(ar, 1, mgr_int(-20)), 0);
	assert_int_equal(mgr_event_new(c, &ev), 0);
	assert_int_equal(mgr_event_set(ev), 0);
	assert_int_equal(mgr_bounded_semaphore_new(c, 2, &sem), 0);
	assert_int_equal(mgr_acquire(sem, 0), 0);
	assert_int_equal(mgr_barrier_new(c, 2, -1, &bar), 0);
	size_t index;
	assert_int_equal(mgr_barrier_wait(bar, 50, &index), MGR_EBROKEN);
	assert_int_equal(mgr_pipe_new(c, true, &e1, &e2), 0);
	assert_int_equal(mgr_conn_send(e1, mgr_str("one")), 0);
	assert_int_equal(mgr_conn_send(e1, mgr_str("two")), 0);
	assert_int_equal(mgr_conn_close(e1), 0);
	assert_int_equal(mgr_lock_new(c, &lk), 0);
	uint64_t fence1, fence2;
	assert_int_equal(mgr_acquire_fence(lk, 0, &fence1), 0);
	assert_int_equal(mgr_release(lk), 0);
	const char *names[]
	    = { "ns", "sc", "ar", "ev", "sem", "bar", "e2", "lk" };
	mgr_obj *objs[] = { ns, sc, ar, ev, sem, bar, e2, lk };
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(mgr_name_set(c, names[i], objs[i]), 0);
	}
	assert_int_equal(h_managerd_kill(&f->m), 0);
	restart(f, "everysec");

	mgr_client *d;
	assert_int_equal(h_connect(&f->m, &d), 0);
	mgr_obj *got[8];
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(mgr_name_get(d, names[i], &got[i]), 0);
	}
	mgr_value v;
	assert_int_equal(mgr_ns_get(got[0], "answer", &v), 0);
	assert_int_equal(v.i, 42);
	assert_int_equal(mgr_scalar_get(got[1], &v), 0);
	assert_int_equal(v.i, 15);
	assert_int_equal(mgr_array_get(got[2], 1, &v), 0);
	assert_int_equal(v.i, -20);
	bool set, broken, ready;
	assert_int_equal(mgr_event_is_set(got[3], &set), 0);
	assert_true(set);
	assert_int_equal(mgr_acquire(got[4], 0), 0); // one of two left
	assert_int_equal(mgr_acquire(got[4], 0), MGR_ETIMEDOUT);
	assert_int_equal(mgr_release(sem), 0); // c's, resumed
	assert_int_equal(mgr_barrier_broken(got[5], &broken), 0);
	assert_true(broken);
	assert_int_equal(mgr_conn_poll(got[6], 0, &ready), 0);
	assert_true(ready);
	assert_int_equal(mgr_conn_recv(got[6], &v, 0), 0);
	assert_string_equal(v.s, "one");
	mgr_value_free(&v);
	assert_int_equal(mgr_conn_recv(got[6], &v, 0), 0);
	assert_string_equal(v.s, "two");
	mgr_value_free(&v);
	assert_int_equal(mgr_conn_recv(got[6], &v, 0), MGR_ECLOSED);
	assert_int_equal(mgr_acquire_fence(got[7], 0, &fence2), 0);
	assert_true(fence2 > fence1);
	for (size_t i = 0; i < 8; i++) {
		mgr_obj_release(got[i]);
	}
	mgr_disconnect(d);
	for (size_t i = 0; i < 8; i++) {
		mgr_obj_release(objs[i]);
	}
	mgr_obj_release(e1);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&f->m), 0);
}

/* A data directory on a full disk (a tmpfs of 160 MiB: two 64 MiB
 * segments fit, a third does not): writes are refused with MGR_ETOOBIG
 * naming the directory, while a quarter of the current segment is left,
 * and reads go on; a snapshot is refused too; once there is room (the
 * tmpfs grown) writes are taken again and a snapshot is made; nothing
 * acknowledged is lost across a kill -9. Skipped where this process may
 * not mount. */
static void
test_full_disk_refuses_writes(void **state)
{
	fixture *f = *state;
	assert_int_equal(mkdir(f->data, 0700), 0);
	char *const mount_argv[] = { "mount", "-t", "tmpfs", "-o",
		"size=160m,mode=0700", "tmpfs", f->data, NULL };
	char        out[512];
	if (h_run("/bin/mount", mount_argv, NULL, H_ERR_TO_OUT, 10000, out,
	        sizeof(out))
	    != 0) {
		h_log("no tmpfs to fill here (%s): skipped", out);
		skip();
	}
	f->mounted = true;
	// The log alone (a snapshot would take room of its own: see
	// test_snapshot).
	const char *extra[] = { "--data-dir", f->data, "--fsync", "everysec",
		"--snapshot-after", "0", NULL };
	assert_int_equal(h_managerd_start(&f->m, H_IPC, extra), 0);
	mgr_client *c;
	mgr_obj    *d;
	assert_int_equal(h_connect(&f->m, &c), 0);
	assert_int_equal(mgr_dict_new(c, &d), 0);
	assert_int_equal(mgr_name_set(c, "big", d), 0);
	size_t len   = 1 << 20;
	char  *value = malloc(len);
	assert_non_null(value);
	memset(value, 'x', len);
	mgr_value v     = { .kind = MGR_BYTES, .len = len, .bytes = value };
	int       acked = 0, rv = 0;
	for (int i = 0; i < 200; i++) {
		char k[32];
		snprintf(k, sizeof(k), "k%d", i);
		if ((rv = mgr_dict_set(d, mgr_str(k), v)) != 0) {
			break;
		}
		acked++;
	}
	h_log("%d MiB taken, then: %s (%s)", acked, mgr_strerror(rv),
	    mgr_errdetail());
	if (rv != MGR_ETOOBIG) {
		h_managerd_dump_log(&f->m);
	}
	assert_int_equal(rv, MGR_ETOOBIG);
	assert_non_null(strstr(mgr_errdetail(), "data directory"));
	assert_non_null(strstr(mgr_errdetail(), f->data));
	assert_true(acked >= 100 && acked <= 120);
	// Reads go on.
	size_t n;
	assert_int_equal(mgr_dict_len(d, &n), 0);
	assert_int_equal(n, (size_t) acked);
	int64_t refusing, failures, made;
	assert_int_equal(h_info_int(c, "log_refusing", &refusing), 0);
	assert_int_equal(refusing, 1);
	// No snapshot on a full disk: the room left is the log's.
	assert_int_equal(mgr_save(c), 0);
	assert_int_equal(
	    h_info_await(c, "snapshot_running", NULL, 0, 30000, NULL), 0);
	assert_int_equal(h_info_int(c, "snapshot_failures", &failures), 0);
	assert_int_equal(failures, 1);
	// Room again: the log makes its next segment (it tries each
	// second) and writes are taken.
	char *const grow_argv[]
	    = { "mount", "-o", "remount,size=400m", f->data, NULL };
	assert_int_equal(h_run("/bin/mount", grow_argv, NULL, H_ERR_TO_OUT,
	                     10000, out, sizeof(out)),
	    0);
	int64_t deadline = h_now_ms() + 10000;
	while ((rv = mgr_dict_set(d, mgr_str("after"), v)) == MGR_ETOOBIG
	    && h_now_ms() < deadline) {
		h_nap(50);
	}
	assert_int_equal(rv, 0);
	assert_int_equal(h_info_int(c, "log_refusing", &refusing), 0);
	assert_int_equal(refusing, 0);
	// Room again: a snapshot is made, and the log it covers goes.
	assert_int_equal(mgr_save(c), 0);
	assert_int_equal(
	    h_info_await(c, "snapshot_running", NULL, 0, 60000, NULL), 0);
	assert_int_equal(h_info_int(c, "snapshots", &made), 0);
	assert_int_equal(made, 1);
	assert_int_equal(h_info_int(c, "snapshot_failures", &failures), 0);
	assert_int_equal(failures, 1);
	free(value);
	assert_int_equal(h_managerd_kill(&f->m), 0);
	mgr_obj_release(d);
	mgr_disconnect(c);
	restart(f, "everysec");
	assert_int_equal(h_connect(&f->m, &c), 0);
	assert_int_equal(mgr_name_get(c, "big", &d), 0);
	assert_int_equal(mgr_dict_len(d, &n), 0);
	assert_int_equal(n, (size_t) acked + 1);
	mgr_obj_release(d);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&f->m), 0);
}

int
main(void)
{
	h_watchdog_arm(110, "test_durability");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_restart_keeps_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_kill_loses_nothing_acknowledged_no, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_kill_loses_nothing_acknowledged_always, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_lock_holder_rides_over_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_handoffs_survive, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_cond_wait_rides_over_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_queue_flow_across_restarts_no, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_queue_flow_across_restarts_always, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_every_type_survives, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_full_disk_refuses_writes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
