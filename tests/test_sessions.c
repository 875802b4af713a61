/* Sessions that survive faults, against a real managerd: leases (a
 * stopped holder's lock passes on within its lease, with a higher fencing
 * token; a stopped manager fails its callers within the lease), reconnect
 * with exactly-once retries (connections dropped by a proxy in the test
 * under a counting and queueing workload, over tcp, tls+tcp and ws; a
 * manager stopped past the lease), a resume needing its secret, and links
 * cut in network namespaces (when the test may make them).
 *
 * Every figure of time is asserted with the bound the contract gives
 * (lease + 1 s) and nothing tighter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h> /* program_invocation_short_name */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "harness_wire.h"
#include "proxy_fixture.h"

#ifndef MGR_CHILD_FENCED
#define MGR_CHILD_FENCED MGR_TESTS_DIR "/child_fenced"
#endif

#define LEASE 1000 /* ms: the tests' lease */

/* managerd allowing the tests' short leases. */
static void
start(h_managerd *m, h_transport t, const char *more)
{
	const char *const extra[] = { "--min-lease", "200", more, NULL };
	if (h_managerd_start(m, t, extra) != 0) {
		fail_msg("managerd did not start");
	}
}

static mgr_client *
connect_to(
    const h_managerd *m, const char *url, int64_t lease, int64_t reconnect)
{
	mgr_opts    o = h_opts(m);
	mgr_client *c;
	o.lease     = lease;
	o.reconnect = reconnect;
	OK(mgr_connect(&c, url, &o));
	return c;
}

static int64_t
member_int(const mgr_value *d, const char *key)
{
	for (size_t k = 0; d != NULL && k < d->len; k++) {
		const mgr_value *kk = &d->pairs[2 * k],
		                *v  = &d->pairs[2 * k + 1];
		if (kk->kind == MGR_STR && strcmp(kk->s, key) == 0
		    && v->kind == MGR_INT) {
			return v->i;
		}
	}
	return -1;
}

/* The dict mgr_sessions gives for session id (the caller frees list). */
static const mgr_value *
session_of(mgr_client *c, uint64_t id, mgr_value *list)
{
	OK(mgr_sessions(c, list));
	for (size_t i = 0; i < list->len; i++) {
		if (member_int(&list->items[i], "id") == (int64_t) id) {
			return &list->items[i];
		}
	}
	return NULL;
}

/* ---- a call in a thread of its own, awaited with a bound ---------------
 */

typedef struct bg_call {
	pthread_t       thr;
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	bool            done;
	int             rv;
	int64_t         ended_ms;
	int (*fn)(struct bg_call *);
	mgr_obj  *o;
	mgr_value v;
	int64_t   timeout;
} bg_call;

static void *
bg_main(void *arg)
{
	bg_call *b  = arg;
	int      rv = b->fn(b);
	pthread_mutex_lock(&b->mtx);
	b->rv       = rv;
	b->ended_ms = h_now_ms();
	b->done     = true;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mtx);
	return NULL;
}

static void
bg_start(bg_call *b, int (*fn)(bg_call *), mgr_obj *o, int64_t timeout)
{
	*b = (bg_call) { .fn = fn, .o = o, .timeout = timeout };
	pthread_mutex_init(&b->mtx, NULL);
	clock_cond_init(&b->cv);
	assert_int_equal(pthread_create(&b->thr, NULL, bg_main, b), 0);
}

/* Its result once it returned within ms (else the test fails). */
static int
bg_await(bg_call *b, int ms)
{
	struct timespec deadline = clock_after_ms(ms);
	pthread_mutex_lock(&b->mtx);
	while (!b->done
	    && pthread_cond_timedwait(&b->cv, &b->mtx, &deadline) == 0) { }
	bool done = b->done;
	pthread_mutex_unlock(&b->mtx);
	if (!done) {
		fail_msg("a call did not return within %d ms", ms);
	}
	pthread_join(b->thr, NULL);
	pthread_mutex_destroy(&b->mtx);
	pthread_cond_destroy(&b->cv);
	return b->rv;
}

static int
bg_get(bg_call *b)
{
	return mgr_queue_get(b->o, &b->v, b->timeout);
}

static int
bg_incr(bg_call *b)
{
	return mgr_dict_incr(b->o, mgr_str("n"), mgr_int(1), &b->v);
}

/* ---- leases ---------------------------------------------------------- */

/* The lease asked for is clamped to --min-lease and --max-lease, and
 * managerctl's figures show it. */
static void
test_lease_clamped(void **state)
{
	(void) state;
	const char *const extra[]
	    = { "--min-lease", "500", "--max-lease", "3000", NULL };
	h_managerd m;
	assert_int_equal(h_managerd_start(&m, H_IPC, extra), 0);
	mgr_client *lo = connect_to(&m, m.url, 100, 0);
	mgr_client *hi = connect_to(&m, m.url, 100000, 0);
	mgr_value   list;
	uint64_t    id_lo, id_hi;
	OK(mgr_client_session(lo, &id_lo));
	OK(mgr_client_session(hi, &id_hi));
	assert_int_equal(
	    member_int(session_of(lo, id_lo, &list), "lease_ms"), 500);
	mgr_value_free(&list);
	assert_int_equal(
	    member_int(session_of(lo, id_hi, &list), "lease_ms"), 3000);
	mgr_value_free(&list);
	mgr_disconnect(lo);
	mgr_disconnect(hi);
	// A bad bound is refused at the start.
	const char *const bad[] = { "--min-lease", "50", NULL };
	h_managerd        m2;
	assert_int_not_equal(h_managerd_start(&m2, H_IPC, bad), 0);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* A child holding a lock, its stdin and stdout piped. */
typedef struct holder {
	h_child  ch;
	uint64_t fence;
} holder;

static void
holder_start(holder *h, const h_managerd *m, const char *url,
    const char *lease, const char *reconnect, const char *name,
    const char *netns)
{
	char env_url[600], env_key[100];
	snprintf(env_url, sizeof(env_url), "MGR_URL=%s", url);
	snprintf(env_key, sizeof(env_key), "MGR_AUTHKEY=%s", m->key);
	const char *const env[] = { env_url, env_key, NULL };
	char *direct[] = { "child_fenced", (char *) lease, (char *) reconnect,
		(char *) name, NULL };
	char *in_ns[]  = { "ip", "netns", "exec", (char *) netns,
		 MGR_CHILD_FENCED, (char *) lease, (char *) reconnect,
		 (char *) name, NULL };
	int   rv = netns != NULL ? h_spawn(&h->ch, "/usr/sbin/ip", in_ns, env,
	               H_PIPE_IN | H_PIPE_OUT)
	                         : h_spawn(&h->ch, MGR_CHILD_FENCED, direct,
	                             env, H_PIPE_IN | H_PIPE_OUT);
	assert_int_equal(rv, 0);
	char line[128];
	assert_int_equal(
	    h_child_read_line(&h->ch, line, sizeof(line), 15000), 0);
	unsigned long long f;
	assert_int_equal(sscanf(line, "held %llu", &f), 1);
	h->fence = f;
}

/* Sends a command to the holder and reads its answer's numbers. */
static void
holder_say(holder *h, const char *cmd, int timeout_ms, int *code,
    unsigned long long *value)
{
	char line[128], word[32], out[64];
	int  n = snprintf(out, sizeof(out), "%s\n", cmd);
	assert_int_equal(write(h->ch.in_fd, out, (size_t) n), n); // a pipe
	assert_int_equal(
	    h_child_read_line(&h->ch, line, sizeof(line), timeout_ms), 0);
	unsigned long long v = 0;
	assert_true(sscanf(line, "%31s %d %llu", word, code, &v) >= 2);
	if (value != NULL) {
		*value = v;
	}
}

static void
holder_end(holder *h)
{
	assert_int_equal(h_child_wait(&h->ch, 15000), 0);
}

/* A stopped holder's lock goes to the next waiter within its lease + 1 s,
 * with a higher fence; continued, the holder learns MGR_ESESSION from its
 * next call, and the call after goes on in a new session. */
static void
test_holder_stopped(void **state)
{
	(void) state;
	h_managerd m;
	start(&m, H_TCP, getenv("MGR_DEBUG_ARG"));
	mgr_client *c = connect_to(&m, m.url, LEASE, 0);
	mgr_obj    *lock, *d;
	OK(mgr_lock_new(c, &lock));
	OK(mgr_dict_new(c, &d));
	OK(mgr_name_set(c, "L", lock));
	OK(mgr_name_set(c, "L-d", d));
	holder h;
	holder_start(&h, &m, m.url, "1000", "0", "L", NULL);

	assert_int_equal(h_stop_process(h.ch.pid, 5000), 0);
	int64_t  t0 = h_now_ms();
	uint64_t f2;
	OK(mgr_acquire_fence(lock, 10000, &f2));
	int64_t took = h_now_ms() - t0;
	print_message("lock passed on %lld ms after the holder stopped "
	              "(lease %d ms)\n",
	    (long long) took, LEASE);
	assert_true(took <= LEASE + 1000);
	assert_true(f2 > h.fence);
	assert_true(h_managerd_log_has(&m, "lease of 1000 ms ran out", 2000));
	uint64_t cur;
	OK(mgr_lock_fence(lock, &cur));
	assert_int_equal(cur, f2);
	OK(mgr_release(lock));

	assert_int_equal(h_child_signal(&h.ch, SIGCONT), 0);
	int                code;
	unsigned long long v;
	holder_say(&h, "release", 10000, &code, NULL);
	assert_int_equal(code, MGR_ESESSION);
	holder_say(&h, "fence", 10000, &code, &v);
	assert_int_equal(code, 0);
	assert_int_equal(v, 0); // free: nobody holds it
	holder_say(&h, "incr", 10000, &code, NULL);
	assert_int_equal(code, 0);
	holder_end(&h);
	OK(mgr_name_del(c, "L"));
	OK(mgr_name_del(c, "L-d"));
	OK(mgr_obj_release(lock));
	OK(mgr_obj_release(d));
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* managerd stopped: a blocked call and a new one fail within the lease
 * + 1 s (a hung manager hangs nobody); once it goes on, a new connection
 * works. */
static void
test_manager_stopped(void **state)
{
	(void) state;
	h_managerd m;
	start(&m, H_TCP, NULL);
	mgr_client *c = connect_to(&m, m.url, LEASE, 0);
	mgr_obj    *q, *d;
	OK(mgr_queue_new(c, 0, &q));
	OK(mgr_dict_new(c, &d));
	bg_call get, incr;
	bg_start(&get, bg_get, q, MGR_FOREVER);
	assert_int_equal(h_info_await(c, "waiters", NULL, 1, 5000, NULL), 0);

	assert_int_equal(h_stop_process(m.pid, 5000), 0);
	int64_t t0 = h_now_ms();
	bg_start(&incr, bg_incr, d, 0);
	assert_int_equal(bg_await(&get, LEASE + 1000 + 2000), MGR_ECONN);
	assert_int_equal(bg_await(&incr, LEASE + 1000), MGR_ECONN);
	int64_t took = get.ended_ms - t0;
	print_message("calls failed %lld ms after managerd stopped\n",
	    (long long) took);
	assert_true(took <= LEASE + 1000);
	size_t n;
	ERR(MGR_ECONN, mgr_queue_qsize(q, &n)); // and later ones at once

	assert_int_equal(kill(m.pid, SIGCONT), 0);
	mgr_obj_release(q);
	mgr_obj_release(d);
	mgr_disconnect(c);
	OK(h_connect(&m, &c));
	assert_int_equal(
	    h_info_await(c, "objects_total", NULL, 0, 5000, NULL), 0);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* managerd stopped past the lease with reconnect on: the blocked get and
 * an incr sent meanwhile complete once it goes on, each applied once. */
static void
test_manager_stopped_reconnect(void **state)
{
	(void) state;
	h_managerd m;
	start(&m, H_TCP, NULL);
	mgr_client *c = connect_to(&m, m.url, LEASE, 20000);
	mgr_client *other;
	OK(h_connect(&m, &other));
	mgr_obj *q, *d, *q2;
	OK(mgr_queue_new(c, 0, &q));
	OK(mgr_dict_new(c, &d));
	char tok[64];
	OK(mgr_obj_token(q, tok, sizeof(tok)));
	OK(mgr_attach(other, tok, &q2));
	bg_call get, incr;
	bg_start(&get, bg_get, q, MGR_FOREVER);
	assert_int_equal(
	    h_info_await(other, "waiters", NULL, 1, 5000, NULL), 0);

	assert_int_equal(h_stop_process(m.pid, 5000), 0);
	bg_start(&incr, bg_incr, d, 0);
	// Stopped for twice the lease: the client gives the connection up
	// and redials meanwhile.
	h_nap(2 * LEASE + 500);
	assert_int_equal(kill(m.pid, SIGCONT), 0);
	assert_int_equal(bg_await(&incr, 15000), 0);
	assert_int_equal(incr.v.i, 1);
	OK(mgr_queue_put(q2, mgr_str("item"), 0));
	assert_int_equal(bg_await(&get, 15000), 0);
	assert_string_equal(get.v.s, "item");
	mgr_value_free(&get.v);
	mgr_value v;
	OK(mgr_dict_get(d, mgr_str("n"), &v));
	assert_int_equal(v.i, 1); // applied once
	uint64_t id;
	OK(mgr_client_session(c, &id));
	mgr_value list;
	assert_true(
	    member_int(session_of(other, id, &list), "reconnects") >= 1);
	mgr_value_free(&list);
	mgr_obj_release(q2);
	mgr_obj_release(q);
	mgr_obj_release(d);
	mgr_disconnect(c);
	mgr_disconnect(other);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* The client's name as the manager shows it: mgr_opts.client_name (or
 * $MGR_CLIENT_NAME, else the program's name) with the pid, over tcp
 * too (where the kernel names no pid). */
static void
test_client_name(void **state)
{
	(void) state;
	h_managerd m;
	start(&m, H_TCP, NULL);
	mgr_opts o    = h_opts(&m);
	o.client_name = "billing-worker";
	mgr_client *c, *d;
	OK(mgr_connect(&c, m.url, &o));
	OK(mgr_connect(&d, m.url,
	    &(mgr_opts) { .authkey = m.key, .authkey_len = m.keylen }));
	char want[64], want_d[64];
	snprintf(
	    want, sizeof(want), "billing-worker pid %ld", (long) getpid());
	snprintf(want_d, sizeof(want_d), "%s pid %ld",
	    program_invocation_short_name, (long) getpid());
	uint64_t ids[2];
	OK(mgr_client_session(c, &ids[0]));
	OK(mgr_client_session(d, &ids[1]));
	const char *wants[2] = { want, want_d };
	for (int i = 0; i < 2; i++) {
		mgr_value        list;
		const mgr_value *s = session_of(c, ids[i], &list);
		assert_non_null(s);
		bool named = false;
		for (size_t k = 0; k < s->len; k++) {
			const mgr_value *kk = &s->pairs[2 * k],
			                *v  = &s->pairs[2 * k + 1];
			named               = named
			    || (kk->kind == MGR_STR
			        && strcmp(kk->s, "client") == 0
			        && v->kind == MGR_STR
			        && strcmp(v->s, wants[i]) == 0);
		}
		assert_true(named);
		assert_int_equal(member_int(s, "pid"), (int64_t) getpid());
		mgr_value_free(&list);
	}
	mgr_disconnect(d);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* An operator ends a session (mgr_session_end, managerctl end): what
 * it held is released at once, its client gets MGR_ESESSION once and
 * goes on in a new session; its own session and unknown ones are
 * refused. */
static void
test_session_end(void **state)
{
	(void) state;
	h_managerd m;
	start(&m, H_TCP, NULL);
	mgr_client *stuck = connect_to(&m, m.url, 60000, 0), *op;
	OK(h_connect(&m, &op));
	mgr_obj *lock, *mine;
	OK(mgr_lock_new(stuck, &lock));
	OK(mgr_name_set(stuck, "held", lock));
	OK(mgr_acquire(lock, MGR_FOREVER));
	OK(mgr_name_get(op, "held", &mine));
	uint64_t hid, oid;
	OK(mgr_client_session(stuck, &hid));
	OK(mgr_client_session(op, &oid));
	ERR(MGR_EINVAL, mgr_session_end(op, oid));
	ERR(MGR_ENOOBJ, mgr_session_end(op, hid + 1000));
	OK(mgr_session_end(op, hid));
	// The lock, held for a lease of a minute, is free now.
	OK(mgr_acquire(mine, 20000));
	OK(mgr_release(mine));
	assert_true(h_managerd_log_has(&m, "ended by session", 5000));
	bool locked;
	ERR(MGR_ESESSION, mgr_locked(lock, &locked));
	mgr_obj_release(lock);
	mgr_obj_release(mine);
	mgr_disconnect(stuck);
	mgr_disconnect(op);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* Whether session id is detached (its connection gone, its client
 * expected back). */
static bool
detached(mgr_client *c, uint64_t id)
{
	mgr_value        list;
	const mgr_value *d     = session_of(c, id, &list);
	bool             found = false;
	for (size_t k = 0; d != NULL && k < d->len; k++) {
		const mgr_value *kk = &d->pairs[2 * k],
		                *v  = &d->pairs[2 * k + 1];
		found               = found
		    || (kk->kind == MGR_STR && strcmp(kk->s, "state") == 0
		        && v->kind == MGR_STR
		        && strcmp(v->s, "detached") == 0);
	}
	mgr_value_free(&list);
	return found;
}

/* A parked get of a client that is away is passed over (nothing is
 * handed to a dead link); once it resumes, what it was passed over for
 * is handed to it then, not at its deadline. */
static void
test_parked_get_served_on_resume(void **state)
{
	(void) state;
	h_managerd m;
	start(&m, H_TCP, NULL);
	h_proxy *px;
	assert_int_equal(h_proxy_start(&px, m.url), 0);
	char url[600];
	h_proxy_url(px, m.url, url, sizeof(url));
	mgr_client *c = connect_to(&m, url, 20000, 20000);
	mgr_client *other;
	OK(h_connect(&m, &other));
	mgr_obj *q, *q2;
	OK(mgr_queue_new(c, 0, &q));
	char tok[64];
	OK(mgr_obj_token(q, tok, sizeof(tok)));
	OK(mgr_attach(other, tok, &q2));
	uint64_t id;
	OK(mgr_client_session(c, &id));
	bg_call get;
	bg_start(&get, bg_get, q, 60000);
	assert_int_equal(
	    h_info_await(other, "waiters", NULL, 1, 5000, NULL), 0);
	// The link drops, and the client's new connection is held silent:
	// the session waits detached, its get parked.
	h_proxy_hold(px, true);
	assert_true(h_proxy_drop(px, false) >= 1);
	int64_t deadline = h_now_ms() + 20000;
	while (!detached(other, id) && h_now_ms() < deadline) {
		h_nap(20);
	}
	assert_true(detached(other, id));
	OK(mgr_queue_put(q2, mgr_str("item"), 0)); // passed over: away
	h_proxy_hold(px, false);
	// Back: the get has the item now, long before its 60 s.
	assert_int_equal(bg_await(&get, 20000), 0);
	assert_string_equal(get.v.s, "item");
	mgr_value_free(&get.v);
	size_t n;
	OK(mgr_queue_qsize(q2, &n));
	assert_int_equal(n, 0);
	mgr_obj_release(q2);
	mgr_obj_release(q);
	mgr_disconnect(c);
	mgr_disconnect(other);
	h_proxy_stop(px);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* A resume needs the session's secret: a connection giving another
 * session's id with a wrong proof gets a new session of its own, and
 * the victim is untouched. */
static void
test_resume_needs_secret(void **state)
{
	(void) state;
	h_managerd m;
	start(&m, H_TCP, NULL);
	mgr_client *victim = connect_to(&m, m.url, LEASE, 20000);
	uint64_t    vid;
	OK(mgr_client_session(victim, &vid));
	int fd = h_raw_connect(m.url);
	assert_true(fd >= 0);
	uint8_t nonce[AUTH_NONCE_LEN], mine[AUTH_NONCE_LEN], proof[32];
	uint8_t digest[AUTH_DIGEST_LEN];
	h_wire_hello(fd, nonce);
	assert_int_equal(auth_digest(m.key, m.keylen, AUTH_CLIENT_LABEL,
	                     nonce, sizeof(nonce), digest),
	    0);
	assert_int_equal(
	    getrandom(mine, sizeof(mine), 0), (ssize_t) sizeof(mine));
	assert_int_equal(
	    getrandom(proof, sizeof(proof), 0), (ssize_t) sizeof(proof));
	Mgr__Auth a         = MGR__AUTH__INIT;
	a.version           = AUTH_VERSION;
	a.digest.data       = digest;
	a.digest.len        = sizeof(digest);
	a.nonce.data        = mine;
	a.nonce.len         = sizeof(mine);
	a.client            = "thief";
	a.reconnect         = true;
	a.lease_ms          = LEASE;
	a.resume            = vid;
	a.resume_proof.data = proof;
	a.resume_proof.len  = sizeof(proof);
	assert_int_equal(h_wire_send(fd, &a.base), 0);
	uint8_t buf[4096];
	size_t  len;
	assert_int_equal(
	    h_raw_recv_frame(fd, buf, sizeof(buf), &len, 5000), 0);
	Mgr__Welcome *w = mgr__welcome__unpack(NULL, len, buf);
	assert_non_null(w);
	assert_int_equal(w->status, 0);
	assert_false(w->resumed);
	assert_int_not_equal(w->session, vid);
	mgr__welcome__free_unpacked(w, NULL);
	assert_true(h_managerd_log_has(&m, "can't be resumed", 2000));
	close(fd);
	// The victim's session is still its own, on its connection.
	mgr_obj *d;
	OK(mgr_dict_new(victim, &d));
	uint64_t now;
	OK(mgr_client_session(victim, &now));
	assert_int_equal(now, vid);
	mgr_obj_release(d);
	mgr_disconnect(victim);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* ---- dropped connections: exactly once ------------------------------- */

#define WORKERS 4
#define EACH    1000

typedef struct drop_world {
	const h_managerd *m;
	char              url[600]; /* through the proxy */
	char              tq[64], td[64];
	pthread_mutex_t   mtx;
	pthread_cond_t    cv; /* an item came, or a call failed */
	uint8_t           seen[WORKERS * EACH];
	int               received, dups;
	int               ended; /* workers that disconnected for good */
	int               failures;
	char              failure[256];
} drop_world;

/* A worker's end: its client disconnected, never to come back. */
static void
note_end(drop_world *w, mgr_client *c)
{
	mgr_disconnect(c);
	pthread_mutex_lock(&w->mtx);
	w->ended++;
	pthread_mutex_unlock(&w->mtx);
}

static int
ended(drop_world *w)
{
	pthread_mutex_lock(&w->mtx);
	int n = w->ended;
	pthread_mutex_unlock(&w->mtx);
	return n;
}

static void
note_failure(drop_world *w, const char *what, int rv)
{
	pthread_mutex_lock(&w->mtx);
	pthread_cond_broadcast(&w->cv);
	if (w->failures++ == 0) {
		snprintf(w->failure, sizeof(w->failure), "%s: %s (%s)", what,
		    mgr_strerror(rv), mgr_errdetail());
	}
	pthread_mutex_unlock(&w->mtx);
}

typedef struct worker {
	drop_world *w;
	int         index;
	pthread_t   thr;
} worker;

/* Producer k: EACH incrs of d["n"], each with a put of its item. */
static void *
producer(void *arg)
{
	worker     *p = arg;
	drop_world *w = p->w;
	mgr_client *c = connect_to(w->m, w->url, 3000, 30000);
	mgr_obj    *q, *d;
	int         rv;
	if ((rv = mgr_attach(c, w->tq, &q)) != 0
	    || (rv = mgr_attach(c, w->td, &d)) != 0) {
		note_failure(w, "attach", rv);
		note_end(w, c);
		return NULL;
	}
	for (int i = 0; i < EACH; i++) {
		if ((rv = mgr_dict_incr(d, mgr_str("n"), mgr_int(1), NULL))
		    != 0) {
			note_failure(w, "incr", rv);
			break;
		}
		if ((rv = mgr_queue_put(q, mgr_int(p->index * EACH + i), 0))
		    != 0) {
			note_failure(w, "put", rv);
			break;
		}
	}
	mgr_obj_release(q);
	mgr_obj_release(d);
	note_end(w, c);
	return NULL;
}

/* Consumer: gets and acknowledges until all items came. */
static void *
consumer(void *arg)
{
	worker     *p = arg;
	drop_world *w = p->w;
	mgr_client *c = connect_to(w->m, w->url, 3000, 30000);
	mgr_obj    *q;
	int         rv;
	if ((rv = mgr_attach(c, w->tq, &q)) != 0) {
		note_failure(w, "attach", rv);
		note_end(w, c);
		return NULL;
	}
	int64_t deadline = h_now_ms() + 100000;
	for (;;) {
		pthread_mutex_lock(&w->mtx);
		bool all = w->received >= WORKERS * EACH || w->failures > 0;
		pthread_mutex_unlock(&w->mtx);
		if (all || h_now_ms() > deadline) {
			break;
		}
		mgr_value v;
		rv = mgr_queue_get(q, &v, 200);
		if (rv == MGR_EEMPTY) {
			continue;
		}
		if (rv != 0) {
			note_failure(w, "get", rv);
			break;
		}
		if ((rv = mgr_queue_task_done(q)) != 0) {
			note_failure(w, "task_done", rv);
			break;
		}
		pthread_mutex_lock(&w->mtx);
		if (v.kind == MGR_INT && v.i >= 0 && v.i < WORKERS * EACH) {
			w->dups += w->seen[v.i]++ > 0;
			w->received++;
			pthread_cond_broadcast(&w->cv);
		}
		pthread_mutex_unlock(&w->mtx);
	}
	mgr_obj_release(q);
	note_end(w, c);
	return NULL;
}

/* Waits until more items came through (30 s at most); false once all
 * came, or a call failed. */
static bool
progress(drop_world *w, int more)
{
	struct timespec deadline = clock_after_ms(30000);
	pthread_mutex_lock(&w->mtx);
	int want = w->received + more;
	while (w->received < want && w->received < WORKERS * EACH
	    && w->failures == 0
	    && pthread_cond_timedwait(&w->cv, &w->mtx, &deadline) == 0) { }
	bool go_on = w->received < WORKERS * EACH && w->failures == 0;
	pthread_mutex_unlock(&w->mtx);
	return go_on;
}

/* 4 producers and 4 consumers with reconnect on, through a proxy that
 * drops every connection again and again: d["n"] ends at exactly 4000
 * and every item is received exactly once. */
static void
drop_run(h_transport t)
{
	h_managerd m;
	start(&m, t, NULL);
	h_proxy *px;
	assert_int_equal(h_proxy_start(&px, m.url), 0);
	drop_world *w = calloc(1, sizeof(*w));
	w->m          = &m;
	pthread_mutex_init(&w->mtx, NULL);
	clock_cond_init(&w->cv);
	h_proxy_url(px, m.url, w->url, sizeof(w->url));
	mgr_client *c;
	OK(h_connect(&m, &c));
	mgr_obj       *q, *d;
	mgr_queue_opts qo = { .ack = true };
	OK(mgr_queue_new_opts(c, &qo, &q));
	OK(mgr_dict_new(c, &d));
	OK(mgr_obj_token(q, w->tq, sizeof(w->tq)));
	OK(mgr_obj_token(d, w->td, sizeof(w->td)));

	worker ws[2 * WORKERS];
	for (int i = 0; i < 2 * WORKERS; i++) {
		ws[i] = (worker) { .w = w, .index = i % WORKERS };
		assert_int_equal(
		    pthread_create(&ws[i].thr, NULL,
		        i < WORKERS ? producer : consumer, &ws[i]),
		    0);
	}
	// Drops while the work goes on: each once every client is back
	// from the last and 100 more items went through.
	int drops = 0;
	for (int k = 0; k < 8 && progress(w, 100); k++) {
		int    ended0 = ended(w);
		size_t back   = h_proxy_accepted(px);
		int    n      = h_proxy_drop(px, k % 2 == 1);
		drops += n > 0;
		// Every client dropped is back, or ended (a producer done
		// with its items disconnects instead of coming back).
		size_t  want     = back + (size_t) (n > 0 ? n : 0);
		int64_t deadline = h_now_ms() + 30000;
		while (
		    h_proxy_accepted(px) + (size_t) (ended(w) - ended0) < want
		    && h_now_ms() < deadline) {
			h_proxy_await_accepted(
			    px, h_proxy_accepted(px) + 1, 20);
		}
		assert_true(
		    h_proxy_accepted(px) + (size_t) (ended(w) - ended0)
		    >= want);
	}
	for (int i = 0; i < 2 * WORKERS; i++) {
		pthread_join(ws[i].thr, NULL);
	}
	print_message("%s: %d drops, %zu connections through the proxy\n",
	    h_transport_name(t), drops, h_proxy_accepted(px));
	if (w->failures > 0) {
		fail_msg(
		    "%d calls failed, the first %s", w->failures, w->failure);
	}
	assert_true(drops >= 3);
	if (t == H_TLS || t == H_WSS) {
		// The reconnects resumed their TLS sessions from tickets.
		int64_t resumed = 0;
		OK(h_info_int(c, "tls_resumed", &resumed));
		print_message("%s: %lld handshakes resumed\n",
		    h_transport_name(t), (long long) resumed);
		assert_true(resumed >= 3);
	}
	mgr_value v;
	OK(mgr_dict_get(d, mgr_str("n"), &v));
	assert_int_equal(v.i, WORKERS * EACH);
	assert_int_equal(w->dups, 0);
	assert_int_equal(w->received, WORKERS * EACH);
	size_t n;
	OK(mgr_queue_qsize(q, &n));
	assert_int_equal(n, 0);
	OK(mgr_queue_join(q, 5000)); // every item done exactly once
	mgr_obj_release(q);
	mgr_obj_release(d);
	assert_int_equal(
	    h_info_await(c, "sessions", NULL, 1, 10000, NULL), 0);
	mgr_disconnect(c);
	h_proxy_stop(px);
	pthread_mutex_destroy(&w->mtx);
	pthread_cond_destroy(&w->cv);
	free(w);
	assert_int_equal(h_managerd_stop(&m), 0);
}

static void
test_drop_tcp(void **state)
{
	(void) state;
	drop_run(H_TCP);
}

static void
test_drop_tls(void **state)
{
	(void) state;
	drop_run(H_TLS);
}

static void
test_drop_ws(void **state)
{
	(void) state;
	drop_run(H_WS);
}

/* wss: TLS in the loop under the WebSocket, its sessions resumed from
 * tickets on reconnects as tls+tcp's are. */
static void
test_drop_wss(void **state)
{
	(void) state;
	drop_run(H_WSS);
}

/* ---- links cut in a network namespace -------------------------------- */

typedef struct netns {
	char ns[32], host_if[16], peer_if[16];
	char host_ip[32], peer_ip[32];
} netns;

static void
netns_down(netns *n)
{
	(void) h_sh(
	    "ip netns del %s 2>/dev/null; ip link del %s 2>/dev/null; "
	    "true",
	    n->ns, n->host_if);
}

/* The namespace the running test made, removed by its teardown even when
 * an assertion ended the test early: one left behind keeps its subnet's
 * route, and a later test given the same subnet would connect into it. */
static netns *netns_made;

static int
netns_teardown(void **state)
{
	(void) state;
	if (netns_made != NULL) {
		netns_down(netns_made);
		netns_made = NULL;
	}
	return 0;
}

/* Whether an interface of this machine has an address in 10.213.k.0/24. */
static bool
subnet_taken(int k)
{
	char cmd[128], out[64];
	snprintf(cmd, sizeof(cmd),
	    "ip -o -4 addr show | grep -q ' 10\\.213\\.%d\\.'", k);
	char *argv[] = { "sh", "-c", cmd, NULL };
	return h_run("/bin/sh", argv, NULL, H_ERR_TO_OUT, 10000, out,
	           sizeof(out))
	    == 0;
}

/* A namespace joined to this one by a veth pair, on a 10.213.k.0/24 that
 * no interface of this machine uses yet (a run on the same kernel, or one
 * killed before its teardown, may hold one); false when this machine
 * won't let the test make one (not root, no ip). */
static bool
netns_up(netns *n)
{
	snprintf(n->ns, sizeof(n->ns), "mgrtest%d", (int) getpid());
	snprintf(
	    n->host_if, sizeof(n->host_if), "mgh%d", (int) getpid() % 100000);
	snprintf(
	    n->peer_if, sizeof(n->peer_if), "mgp%d", (int) getpid() % 100000);
	if (geteuid() != 0 || access("/usr/sbin/ip", X_OK) != 0) {
		return false;
	}
	netns_down(n);
	int k = (int) (getpid() % 200) + 20, tries = 0;
	while (subnet_taken(k)) {
		assert_true(++tries < 200); // every subnet taken: say so
		k = (k - 20 + 1) % 200 + 20;
	}
	snprintf(n->host_ip, sizeof(n->host_ip), "10.213.%d.1", k);
	snprintf(n->peer_ip, sizeof(n->peer_ip), "10.213.%d.2", k);
	netns_made = n;
	if (h_sh(
	        "ip netns add %s && ip link add %s type veth peer name %s "
	        "&& ip link set %s netns %s && ip addr add %s/24 dev %s && "
	        "ip "
	        "link set %s up && ip netns exec %s ip addr add %s/24 dev %s "
	        "&& ip netns exec %s ip link set %s up && ip netns exec %s "
	        "ip "
	        "link set lo up",
	        n->ns, n->host_if, n->peer_if, n->peer_if, n->ns, n->host_ip,
	        n->host_if, n->host_if, n->ns, n->peer_ip, n->peer_if, n->ns,
	        n->peer_if, n->ns)
	    != 0) {
		netns_down(n);
		netns_made = NULL;
		return false;
	}
	return true;
}

/* Whether the session of the peer at ip was resumed at least once. */
static bool
resumed_from(mgr_client *c, const char *ip)
{
	mgr_value list;
	bool      yes = false;
	OK(mgr_sessions(c, &list));
	for (size_t i = 0; i < list.len; i++) {
		const mgr_value *d = &list.items[i];
		for (size_t k = 0; k < d->len; k++) {
			const mgr_value *kk = &d->pairs[2 * k];
			const mgr_value *v  = &d->pairs[2 * k + 1];
			if (kk->kind == MGR_STR && strcmp(kk->s, "peer") == 0
			    && v->kind == MGR_STR
			    && strstr(v->s, ip) != NULL) {
				yes |= member_int(d, "reconnects") >= 1;
			}
		}
	}
	mgr_value_free(&list);
	return yes;
}

/* The holder in the namespace, its link cut for down_ms: under the lease
 * it keeps its lock (resumed if it had to reconnect); past it the lock
 * passes to the waiter here with a higher fence, and the holder gets
 * MGR_ESESSION. */
static void
link_cut(int down_ms, bool keeps)
{
	netns n;
	if (!netns_up(&n)) {
		skip();
	}
	char listen[80];
	snprintf(listen, sizeof(listen), "--listen=tcp://%s:0", n.host_ip);
	h_managerd m;
	start(&m, H_TCP, listen);
	mgr_client *c = connect_to(&m, m.url, LEASE, 0);
	mgr_obj    *lock, *d;
	OK(mgr_lock_new(c, &lock));
	OK(mgr_dict_new(c, &d));
	OK(mgr_name_set(c, "L", lock));
	OK(mgr_name_set(c, "L-d", d));
	holder h;
	holder_start(&h, &m, m.more_urls[0], "3000", "20000", "L", n.ns);

	assert_int_equal(h_sh("ip link set %s down", n.host_if), 0);
	if (keeps) {
		// Its connection lost too (a reset, as a router gives): it
		// must reconnect, and resume, across the cut.
		assert_int_equal(
		    h_sh("ip netns exec %s ss -K dst %s", n.ns, n.host_ip),
		    0);
	}
	int64_t  t0   = h_now_ms();
	uint64_t f2   = 0;
	int      rv   = mgr_acquire_fence(lock, down_ms, &f2);
	int64_t  took = h_now_ms() - t0;
	assert_int_equal(h_sh("ip link set %s up", n.host_if), 0);
	int                code;
	unsigned long long v;
	if (keeps) {
		ERR(MGR_ETIMEDOUT, rv);
		holder_say(&h, "fence", 30000, &code, &v);
		assert_int_equal(code, 0);
		assert_int_equal(v, h.fence); // still its hold
		assert_true(resumed_from(c, n.peer_ip));
		holder_say(&h, "release", 30000, &code, NULL);
		assert_int_equal(code, 0);
	} else {
		OK(rv);
		print_message("lock passed on %lld ms after the link went "
		              "down (lease 3000 ms)\n",
		    (long long) took);
		assert_true(took <= 3000 + 1000);
		assert_true(f2 > h.fence);
		OK(mgr_release(lock));
		holder_say(&h, "release", 30000, &code, NULL);
		assert_int_equal(code, MGR_ESESSION);
		holder_say(&h, "incr", 30000, &code, NULL);
		assert_int_equal(code, 0); // a new session
	}
	holder_end(&h);
	OK(mgr_name_del(c, "L"));
	OK(mgr_name_del(c, "L-d"));
	mgr_obj_release(lock);
	mgr_obj_release(d);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
	netns_teardown(NULL);
}

static void
test_link_cut_short(void **state)
{
	(void) state;
	link_cut(1500, true);
}

static void
test_link_cut_long(void **state)
{
	(void) state;
	link_cut(8000, false);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (getenv("MGR_TEST_FILTER") != NULL) { // one test: its name
		cmocka_set_test_filter(getenv("MGR_TEST_FILTER"));
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lease_clamped),
		cmocka_unit_test(test_holder_stopped),
		cmocka_unit_test(test_manager_stopped),
		cmocka_unit_test(test_manager_stopped_reconnect),
		cmocka_unit_test(test_resume_needs_secret),
		cmocka_unit_test(test_parked_get_served_on_resume),
		cmocka_unit_test(test_client_name),
		cmocka_unit_test(test_session_end),
		cmocka_unit_test(test_drop_tcp),
		cmocka_unit_test(test_drop_tls),
		cmocka_unit_test(test_drop_ws),
		cmocka_unit_test(test_drop_wss),
		cmocka_unit_test_teardown(
		    test_link_cut_short, netns_teardown),
		cmocka_unit_test_teardown(test_link_cut_long, netns_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
