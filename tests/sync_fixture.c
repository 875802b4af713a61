/* The shared part of the synchronization types' tests (sync_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sync_fixture.h"

h_managerd  M;
mgr_client *C;
char        env_url[600], env_key[100];
recorder    R
    = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 0 };

int
group_setup(void **state)
{
	(void) state;
	return h_group_start(
	    &M, &C, env_url, sizeof(env_url), env_key, sizeof(env_key));
}

int
group_teardown(void **state)
{
	(void) state;
	return h_group_stop(&M, C);
}

void
rec_reset(void)
{
	pthread_mutex_lock(&R.mu);
	R.n = 0;
	pthread_mutex_unlock(&R.mu);
}

void
rec_add(int i)
{
	pthread_mutex_lock(&R.mu);
	if (R.n < 32) {
		R.order[R.n++] = i;
	}
	pthread_cond_broadcast(&R.cv);
	pthread_mutex_unlock(&R.mu);
}

int
rec_count(void)
{
	pthread_mutex_lock(&R.mu);
	int n = R.n;
	pthread_mutex_unlock(&R.mu);
	return n;
}

void
rec_await(int n)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += AWAIT_MS / 1000;
	pthread_mutex_lock(&R.mu);
	while (R.n < n) {
		if (pthread_cond_timedwait(&R.cv, &R.mu, &ts) != 0) {
			break;
		}
	}
	int got = R.n;
	pthread_mutex_unlock(&R.mu);
	if (got < n) {
		fail_msg("%d threads got the lock, expected %d", got, n);
	}
}

static void *
job_main(void *arg)
{
	job    *j  = arg;
	int64_t t0 = h_now_ms();
	j->rv      = j->fn(j);
	j->end     = h_now_ms();
	j->ms      = j->end - t0;
	return NULL;
}

void
job_join(job *j, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long) (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	if (pthread_timedjoin_np(j->th, NULL, &ts) != 0) {
		fail_msg("a blocked call did not return within %d ms", ms);
	}
}

int64_t
info(const char *key)
{
	int64_t n = -1;
	assert_int_equal(h_info_int(C, key, &n), 0);
	return n;
}

int64_t
waiters(void)
{
	return info("waiters");
}

void
await_waiters(int64_t n)
{
	int64_t last;
	if (h_info_await(C, "waiters", NULL, n, AWAIT_MS, &last) != 0) {
		fail_msg("waiters: %lld, expected %lld", (long long) last,
		    (long long) n);
	}
}

void
await_sessions(int64_t n)
{
	int64_t last;
	if (h_info_await(C, "sessions", NULL, n, AWAIT_MS, &last) != 0) {
		fail_msg("sessions: %lld, expected %lld", (long long) last,
		    (long long) n);
	}
}

void
assert_timed(int64_t ms)
{
	if (ms < 90 || ms >= 2000) {
		fail_msg("a 100 ms timeout took %lld ms", (long long) ms);
	}
}

void
assert_detail(const char *want)
{
	if (strstr(mgr_errdetail(), want) == NULL) {
		fail_msg("detail '%s' lacks '%s'", mgr_errdetail(), want);
	}
}

bool
locked(mgr_obj *o)
{
	bool b = false;
	assert_int_equal(mgr_locked(o, &b), 0);
	return b;
}

mgr_obj *
attach(mgr_client *c, mgr_obj *o)
{
	char     tok[64];
	mgr_obj *p = NULL;
	assert_int_equal(mgr_obj_token(o, tok, sizeof(tok)), 0);
	assert_int_equal(mgr_attach(c, tok, &p), 0);
	return p;
}

void
expect_line(h_child *ch, const char *want)
{
	char line[256];
	int  rv = h_child_read_line(ch, line, sizeof(line), AWAIT_MS);
	if (rv != 0) {
		fail_msg("child: no line '%s' (%d)", want, rv);
	}
	assert_string_equal(line, want);
}

void
kill_child(h_child *ch)
{
	assert_int_equal(h_child_signal(ch, SIGKILL), 0);
	assert_int_equal(h_child_wait(ch, AWAIT_MS), 128 + SIGKILL);
}

int64_t
objects(const char *type)
{
	int64_t n = -1;
	assert_int_equal(h_info_objects(C, type, &n), 0);
	return n;
}

int
raw_release(mgr_obj *o)
{
	call_req call = { .op = MGR__OP__OP_RELEASE,
		.target       = mgr_obj_id(o),
		.secret       = o->secret };
	return client_call(C, &call, NULL);
}

void
job_start(job *j, int (*fn)(job *), mgr_obj *o, int64_t timeout)
{
	j->fn      = fn;
	j->o       = o;
	j->timeout = timeout;
	j->rv      = -1;
	j->rv2     = -1;
	j->out     = mgr_none();
	j->index   = 999;
	assert_int_equal(pthread_create(&j->th, NULL, job_main, j), 0);
}

void
spawn_lock_child(h_child *ch, const char *mode, mgr_obj *o, const char *n)
{
	const char *const env[] = { env_url, env_key, NULL };
	char              tok[64];
	assert_int_equal(mgr_obj_token(o, tok, sizeof(tok)), 0);
	char *argv[] = { "child_lock", (char *) mode, tok, (char *) n, NULL };
	assert_int_equal(h_spawn(ch, MGR_TESTS_DIR "/child_lock", argv, env,
	                     H_PIPE_IN | H_PIPE_OUT),
	    0);
}

void
spawn_child_argv(h_child *ch, char *const argv[])
{
	const char *const env[] = { env_url, env_key, NULL };
	char              path[512];
	snprintf(path, sizeof(path), "%s/%s", MGR_TESTS_DIR, argv[0]);
	assert_int_equal(h_spawn(ch, path, argv, env, H_PIPE_OUT), 0);
}
