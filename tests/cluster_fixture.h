/* A cluster of managerds (managerd --cluster) on loopback for the tests:
 * members started, killed, restarted on their directories, and the
 * leader found. */
#ifndef MGR_TESTS_CLUSTER_FIXTURE_H
#define MGR_TESTS_CLUSTER_FIXTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mgr.h"

#define C_MEMBERS 3
/* and one more, m[C_MEMBERS] (id 4): not in the group until a test
 * starts it (c_start, with --join) and asks the leader to add it */
#define C_ALL (C_MEMBERS + 1)

typedef struct c_member {
	int   id;
	pid_t pid;         /* 0: not running */
	char  ns[32];      /* its network namespace, "" for none */
	char  ip[32];      /* where it listens: 127.0.0.1, or its veth's */
	char  link[16];    /* the bridge's end of its veth ("" for none) */
	char  metrics[80]; /* its --metrics URL ("" for none) */
	char  http[80];    /* its dashboard (--http) when the cluster's
	                      http is set */
	char keyfile[300]; /* its own key file ("": the cluster's) */
	int  port, raft_port;
	char data[300]; /* --data-dir */
	char log[300];
	char url[64];
} c_member;

typedef struct c_cluster {
	char               dir[256]; /* everything of it */
	char               keyfile[300];
	char               key[65];
	char               urls[256];    /* every member's, comma-separated */
	char               members[256]; /* --cluster's list */
	char               joining[320]; /* and the one to join's */
	const char *const *extra;        /* more options for every member */
	char               bridge[16];   /* netns: the bridge here, or "" */
	bool               http; /* members serve --http (token: key) */
	c_member           m[C_ALL];
} c_cluster;

/* A cluster's directory, key and free ports; nothing started. NULL when
 * it cannot be made. */
c_cluster *c_cluster_new(const char *name, const char *const *extra);
/* The same with each member in a network namespace of its own, joined by
 * a veth to a bridge in this one (10.214.K.0/24, this namespace .254),
 * each serving --metrics too. NULL when this machine will not make them
 * (not root, no ip): the test skips. */
c_cluster *c_cluster_new_netns(const char *name, const char *const *extra);
/* Cuts member i off from everyone (its veth's bridge end down), or joins
 * it again. 0 or -1. */
int c_link(c_cluster *c, int i, bool up);
/* A figure of member i's --metrics (mgr_NAME), or -1. */
long long c_metric(c_cluster *c, int i, const char *name);
/* cmocka's teardown: frees the cluster the test made if an assertion
 * ended it before its own c_cluster_free. */
int c_teardown(void **state);
/* Kills whatever runs, removes the files (and the namespaces). */
void c_cluster_free(c_cluster *c);
/* Starts member i (on its directory as it is; m[C_MEMBERS] with --join
 * and a --cluster list naming it too). 0 or -1. */
int c_start(c_cluster *c, int i);
/* Every member. 0 or -1. */
int c_start_all(c_cluster *c);
/* SIGKILL member i and reaps it. */
void c_kill(c_cluster *c, int i);
/* Stops every member (SIGTERM) and checks that each exited with 0 and
 * that no log holds a sanitizer's report: 0, or -1 after saying why. */
int c_stop_all(c_cluster *c);
/* The member whose managerd serves clients (its pid in mgr_info through
 * the cluster's URLs), within timeout_ms: its index, or -1. */
int c_leader(c_cluster *c, int timeout_ms);
/* Options with the cluster's key, reconnecting for reconnect_ms (0:
 * not). */
mgr_opts c_opts(c_cluster *c, int64_t reconnect_ms);
/* The steps every test starts with, failing the test (the members' logs
 * printed) when one fails: c_cluster_new and c_start_all, then a leader
 * within 20 s. */
c_cluster *c_cluster_up(const char *name, const char *const *extra);
/* mgr_connect to urls with o: the client, or the test fails. */
mgr_client *c_connect(c_cluster *c, const char *urls, const mgr_opts *o);
/* n increments of d[key] by 1, each acknowledged, or the test fails. */
void c_incr_n(mgr_obj *d, const char *key, int n);
/* A failover's end as clients see it: waits until each of n counters
 * (of calls answered; at[i] their values when the leader went) has grown
 * by more, or its client failed (failed[i] set; failed NULL: none
 * checked), or timeout_ms passed since t0. The ms from t0. */
int64_t c_await_served(atomic_llong *const *count, const long long *at,
    atomic_int *const *failed, int n, long long more, int64_t t0,
    int timeout_ms);
/* Prints every member's log on stderr. */
void c_dump_logs(const c_cluster *c);
/* The same for the cluster the running test made (if any). */
void c_dump_live_logs(void);
/* Whether member i's log has a line holding needle. */
bool c_log_has(const c_cluster *c, int i, const char *needle);

#endif
