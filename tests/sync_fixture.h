/* What the tests of the synchronization types (lock, condition, queue,
 * event, barrier) share (sync_fixture.c): one managerd and client per
 * group, a recorder of the order in which threads got something, blocking
 * calls run by threads and joined with a bound, the manager's figures
 * awaited, and child programs to kill. Every wait is bounded (AWAIT_MS). */
#ifndef MGR_TESTS_SYNC_FIXTURE_H
#define MGR_TESTS_SYNC_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* The group's manager, its client, and what children need to reach it
 * (MGR_URL=..., MGR_AUTHKEY=...). */
extern h_managerd  M;
extern mgr_client *C;
extern char        env_url[600], env_key[100];

int group_setup(void **state);
int group_teardown(void **state);

/* ---- the order in which threads got a lock (or were woken) ------------- */

typedef struct recorder {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             order[32];
	int             n;
} recorder;

extern recorder R;

void rec_reset(void);
void rec_add(int i);
int  rec_count(void);
/* Waits (bounded) until n entries are recorded. */
void rec_await(int n);

/* ---- one blocking call run by a thread, timed -------------------------- */

typedef struct job job;
struct job {
	pthread_t th;
	int (*fn)(job *);
	mgr_obj  *o;
	int64_t   timeout;
	int       idx;     /* recorded in R once the call succeeded */
	bool      release; /* release right after recording */
	int       go[2];   /* a pipe: release only once go[1] is written */
	int       rv;
	int       rv2; /* a second call's status (the release after a wait) */
	mgr_value in;  /* put: the item */
	mgr_value out; /* get: the item received (None before) */
	size_t    index; /* barrier wait: the index received (999 before) */
	int64_t   ms;    /* how long the call took */
	int64_t   end;   /* when it returned (h_now_ms) */
};

void job_start(job *j, int (*fn)(job *), mgr_obj *o, int64_t timeout);
/* Joins j within ms; fails the test if it is still blocked. */
void job_join(job *j, int ms);

/* ---- the manager's figures and objects --------------------------------- */

int64_t info(const char *key);
/* Live objects of a type. */
int64_t objects(const char *type);
int64_t waiters(void);
/* Waits until the manager has exactly n parked requests. */
void await_waiters(int64_t n);
/* Waits until the manager counts n sessions (a killed client's is
 * gone). */
void await_sessions(int64_t n);
/* A timed-out call: >= 90 ms for a 100 ms timeout, and well before 2 s. */
void assert_timed(int64_t ms);
/* The calling thread's error detail holds want. */
void assert_detail(const char *want);
bool locked(mgr_obj *o);
/* A proxy of c for the object of o (its own reference). */
mgr_obj *attach(mgr_client *c, mgr_obj *o);
/* Drops one of C's references to o behind the proxy's back (a raw
 * RELEASE): the object goes while its proxy and its waiters live on. */
int raw_release(mgr_obj *o);

/* ---- child programs ------------------------------------------------------
 */

/* Starts tests/child_lock MODE TOKEN N, stdin and stdout piped. */
void spawn_lock_child(
    h_child *ch, const char *mode, mgr_obj *o, const char *n);
/* Starts tests/<argv[0]> with argv, stdout piped. */
void spawn_child_argv(h_child *ch, char *const argv[]);
/* The child's next line is want. */
void expect_line(h_child *ch, const char *want);
/* SIGKILL, then reap: it must have been killed, not have exited. */
void kill_child(h_child *ch);

#endif
