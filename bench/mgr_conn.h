/* bench_mgr's connection to our manager (mgr_conn.c). */
#ifndef MGR_BENCH_MGR_CONN_H
#define MGR_BENCH_MGR_CONN_H

#include <mgr.h>

#include "common.h"

/* Reads --url and --keyfile (or exits): before connect_or_die. */
void mgr_setup(const bench_args *a);
/* Exits with the call's error unless rv is 0. */
void check(int rv, const char *what);
/* A new client of --url with --keyfile's key, or exit. */
mgr_client *connect_or_die(void);
/* --url. */
const char *bench_url(void);
/* mgr_opts.reconnect of the clients connect_or_die makes from now on. */
void bench_set_reconnect(int64_t ms);
/* The longest single hold of the manager's lock since it started (us; -1
 * when mgr_info does not say), and what held it in op (cap bytes). */
long long lock_hold_max(mgr_client *c, char *op, size_t cap);

#endif
