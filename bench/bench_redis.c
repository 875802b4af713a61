/* bench_redis - the benchmark's client for Redis (hiredis), with the same
 * workloads and output as bench_mgr, each on Redis's nearest commands:
 * a hash for the dict (HSET, HGET, HINCRBY), a list for the queue (RPUSH,
 * BLPOP: unbounded, Redis lists have no maxsize), SET NX + DEL for the
 * lock, RPUSH for the list append.
 *
 *   bench_redis w1|w2|w3|w4|w4p|w5load|w5conns|w7|w8|hs
 *               --addr unix:PATH|tcp:HOST:PORT|tls:HOST:PORT [--ca FILE]
 *               [the options of bench_mgr]
 *
 * Over tls: (Redis's --tls-port; w1, w2 and hs only) the requests go
 * through resp_tls.c, checking the server against the CA in --ca.
 */
#include <hiredis.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common.h"
#include "resp_tls.h"

static const char *addr;

/* A connection: hiredis's (unix, tcp), or Redis's protocol over TLS
 * (resp_tls.c) for the latency, throughput and handshake workloads. */
typedef struct rconn {
	redisContext *rc;
	resp_tls     *tls;
} rconn;

static const char *ca_file; /* --ca: the CA of a tls: address */

static rconn *
connect_or_die(void)
{
	struct timeval tv = { .tv_sec = 10 };
	rconn         *c  = calloc(1, sizeof(*c));
	if (c == NULL) {
		die("out of memory");
	}
	bool        tls = strncmp(addr, "tls:", 4) == 0;
	const char *hp  = addr + 4;
	char        host[256];
	const char *colon = strrchr(hp, ':');
	size_t      hl    = colon ? (size_t) (colon - hp) : 0;
	if (strncmp(addr, "unix:", 5) == 0) {
		c->rc = redisConnectUnixWithTimeout(addr + 5, tv);
	} else if (strncmp(addr, "tcp:", 4) == 0 || tls) {
		if (colon == NULL || hl >= sizeof(host)) {
			die("bad address %s", addr);
		}
		memcpy(host, hp, hl);
		host[hl] = '\0';
		if (tls) {
			char err[256];
			if (ca_file == NULL) {
				die("a tls: address needs --ca");
			}
			c->tls = resp_tls_connect(
			    host, atoi(colon + 1), ca_file, err, sizeof(err));
			if (c->tls == NULL) {
				die("%s", err);
			}
			return c;
		}
		c->rc = redisConnectWithTimeout(host, atoi(colon + 1), tv);
	} else {
		die("bad address %s (unix:PATH, tcp:HOST:PORT or "
		    "tls:HOST:PORT)",
		    addr);
	}
	if (c->rc == NULL || c->rc->err) {
		die("cannot connect to %s: %s", addr,
		    c->rc ? c->rc->errstr : "out of memory");
	}
	// Bounds every wait, BLPOP's included (its own timeout is shorter).
	struct timeval rt = { .tv_sec = BENCH_WAIT_MS / 1000 + 5 };
	redisSetTimeout(c->rc, rt);
	return c;
}

/* hiredis's context, for the workloads that pipeline (not over TLS). */
static redisContext *
plain(rconn *c)
{
	if (c->rc == NULL) {
		die("this workload is not run over TLS");
	}
	return c->rc;
}

static const char *
errstr(rconn *c)
{
	return c->tls != NULL ? resp_tls_errstr(c->tls) : c->rc->errstr;
}

static void
rconn_free(rconn *c)
{
	if (c->tls != NULL) {
		resp_tls_free(c->tls);
	} else {
		redisFree(c->rc);
	}
	free(c);
}

static redisReply *
vcommand(rconn *c, const char *fmt, va_list ap)
{
	return c->tls != NULL ? resp_tls_vcommand(c->tls, fmt, ap)
	                      : redisvCommand(c->rc, fmt, ap);
}

/* Checks a reply: exits on a transport error or an error reply. */
static redisReply *
checked(rconn *rc, redisReply *r, const char *what)
{
	if (r == NULL) {
		die("%s: %s", what, errstr(rc));
	}
	if (r->type == REDIS_REPLY_ERROR) {
		die("%s: %s", what, r->str);
	}
	return r;
}

/* A command; NULL on a transport error. */
static redisReply *
cmd_try(rconn *rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = vcommand(rc, fmt, ap);
	va_end(ap);
	return r;
}

static redisReply *
cmd(rconn *rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = vcommand(rc, fmt, ap);
	va_end(ap);
	return checked(rc, r, fmt);
}

/* cmd, once more on a new connection when the first try fails on the
 * connection (*rc replaced). */
static redisReply *
cmd_retry(rconn **rc, const char *fmt)
{
	redisReply *r = cmd_try(*rc, fmt);
	if (r == NULL) {
		rconn_free(*rc);
		*rc = connect_or_die();
		r   = cmd_try(*rc, fmt);
	}
	return checked(*rc, r, fmt);
}

/* A command whose reply is not needed. */
static void
cmd0(rconn *rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = vcommand(rc, fmt, ap);
	va_end(ap);
	freeReplyObject(checked(rc, r, fmt));
}

static long long
cmd_int(rconn *rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = checked(rc, vcommand(rc, fmt, ap), fmt);
	va_end(ap);
	long long v = r->type == REDIS_REPLY_INTEGER ? r->integer
	    : r->type == REDIS_REPLY_STRING          ? atoll(r->str)
	                                             : -1;
	freeReplyObject(r);
	return v;
}

/* ---- W1 -------------------------------------------------------------------
 */

#define NKEYS 1000

typedef struct w1ctx {
	rconn *rc;
	char   keys[NKEYS][16];
	char   value[BENCH_VALUE_LEN + 1];
} w1ctx;

/* BENCH_REDIS_WAIT=N: each write of W1's dict set and W2 is followed by
 * WAIT N 0 (acknowledged once N replicas have it), the peer of
 * managerd --cluster's majority commit. */
static void
replicated(rconn *rc)
{
	static int n = -1;
	if (n < 0) {
		const char *e = getenv("BENCH_REDIS_WAIT");
		n             = e != NULL ? atoi(e) : 0;
	}
	if (n > 0) {
		redisReply *r = cmd(rc, "WAIT %d 0", n);
		if (r->type != REDIS_REPLY_INTEGER || r->integer < n) {
			die("WAIT %d: %lld replicas", n,
			    r->type == REDIS_REPLY_INTEGER ? r->integer : -1);
		}
		freeReplyObject(r);
	}
}

static void
op_dict_set(w1ctx *x, long i)
{
	cmd0(x->rc, "HSET d %s %s", x->keys[i % NKEYS], x->value);
	replicated(x->rc);
}

static void
op_dict_get(w1ctx *x, long i)
{
	redisReply *r = cmd(x->rc, "HGET d %s", x->keys[i % NKEYS]);
	if (r->type != REDIS_REPLY_STRING || r->len != BENCH_VALUE_LEN) {
		die("HGET: wrong value");
	}
	freeReplyObject(r);
}

static void
op_queue_putget(w1ctx *x, long i)
{
	(void) i;
	cmd0(x->rc, "RPUSH q %s", x->value);
	redisReply *r = cmd(x->rc, "BLPOP q %d", BENCH_WAIT_MS / 1000);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		die("BLPOP: no item");
	}
	freeReplyObject(r);
}

static void
op_lock(w1ctx *x, long i)
{
	(void) i;
	redisReply *r = cmd(x->rc, "SET lock 1 NX");
	if (r->type != REDIS_REPLY_STATUS) {
		die("SET NX: lock taken");
	}
	freeReplyObject(r);
	if (cmd_int(x->rc, "DEL lock") != 1) {
		die("DEL: lock not held");
	}
}

static void
op_list_append(w1ctx *x, long i)
{
	(void) i;
	cmd0(x->rc, "RPUSH l %s", x->value);
}

static const struct {
	const char *name;
	void (*fn)(w1ctx *, long);
} w1ops[] = {
	{ "dict_set", op_dict_set },
	{ "dict_get", op_dict_get },
	{ "queue_putget", op_queue_putget },
	{ "lock_acqrel", op_lock },
	{ "list_append", op_list_append },
};

static int
w1(const bench_args *a)
{
	long        n    = (long) arg_int(a, "--n", 5000);
	long        warm = (long) arg_int(a, "--warmup", 200);
	const char *only = arg_str(a, "--only", NULL);
	w1ctx      *x    = calloc(1, sizeof(*x));
	if (x == NULL) {
		die("out of memory");
	}
	x->rc = connect_or_die();
	cmd0(x->rc, "DEL d q l lock");
	for (int k = 0; k < NKEYS; k++) {
		snprintf(x->keys[k], sizeof(x->keys[k]), "key:%04d", k);
	}
	fill_value(x->value, BENCH_VALUE_LEN, 0);
	if (only != NULL) {
		for (long i = 0; i < NKEYS; i++) {
			op_dict_set(x, i);
		}
	}
	for (size_t o = 0; o < sizeof(w1ops) / sizeof(w1ops[0]); o++) {
		if (only != NULL && strcmp(only, w1ops[o].name) != 0) {
			continue;
		}
		for (long i = 0; i < warm; i++) {
			w1ops[o].fn(x, i);
		}
		int64_t t0 = now_ns();
		for (long i = 0; i < n; i++) {
			w1ops[o].fn(x, i);
		}
		int64_t t1 = now_ns();
		char    name[64];
		snprintf(name, sizeof(name), "w1.%s", w1ops[o].name);
		if (n > 0) { // n = 0: the profile's baseline run
			result(name, (double) (t1 - t0) / 1e3 / (double) n,
			    "us");
		}
	}
	long long len = cmd_int(x->rc, "LLEN l");
	if (only == NULL && len != n + warm) {
		die("list has %lld items, expected %ld", len, n + warm);
	}
	rconn_free(x->rc);
	free(x);
	return 0;
}

/* ---- W2 -------------------------------------------------------------------
 */

static int
w2(const bench_args *a)
{
	long   nc = (long) arg_int(a, "--clients", 1);
	rconn *rc = connect_or_die();
	cmd0(rc, "DEL d");
	cmd0(rc, "HSET d counter 0");

	const char *roles[nc];
	for (long i = 0; i < nc; i++) {
		roles[i] = "w2";
	}
	workers w;
	workers_start(&w, (size_t) nc, roles, a->argv);
	int64_t       t_go = workers_go(&w);
	worker_report reps[nc];
	workers_collect(&w, reps);

	int64_t iters = 0, t_end = t_go;
	for (long i = 0; i < nc; i++) {
		iters += reps[i].count;
		t_end = reps[i].t_end > t_end ? reps[i].t_end : t_end;
	}
	long long counter = cmd_int(rc, "HGET d counter");
	if (counter != iters) {
		die("counter is %lld, expected %" PRId64, counter, iters);
	}
	char name[64];
	snprintf(name, sizeof(name), "w2.c%ld", nc);
	result(name, 3.0 * (double) iters / ((double) (t_end - t_go) / 1e9),
	    "ops/s");
	rconn_free(rc);
	return 0;
}

static int
w2_worker(const bench_args *a, int index)
{
	int64_t ms = arg_int(a, "--ms", 1000);
	rconn  *rc = connect_or_die();
	char    keys[100][32];
	char    value[BENCH_VALUE_LEN + 1];
	for (int k = 0; k < 100; k++) {
		snprintf(keys[k], sizeof(keys[k]), "w%d:%d", index, k);
	}
	fill_value(value, BENCH_VALUE_LEN, index);

	int64_t go       = worker_ready_wait(index);
	int64_t deadline = go + ms * 1000000;
	int64_t iters    = 0;
	while (now_ns() < deadline) {
		const char *k = keys[iters % 100];
		cmd0(rc, "HSET d %s %s", k, value);
		replicated(rc);
		cmd0(rc, "HGET d %s", k);
		cmd0(rc, "HINCRBY d counter 1");
		replicated(rc);
		iters++;
	}
	worker_report_done(index, iters, 0);
	rconn_free(rc);
	return 0;
}

/* ---- W7: the Account withdraw, N clients on one balance ----------------
 * guarded: a Lua script (EVAL: the check and the write in the server, one
 * round trip); locked: Redis's optimistic check-and-set (WATCH, HGET,
 * MULTI, HINCRBY, EXEC, again when EXEC reports a conflict). */

#define W7_START 1000000000000LL
#define W7_SCRIPT                                                            \
	"local b = tonumber(redis.call('HGET', KEYS[1], 'balance')) "        \
	"if b >= 1 then return redis.call('HINCRBY', KEYS[1], 'balance', "   \
	"-1) end return redis.error_reply('short')"

static int64_t
w7_phase(const bench_args *a, rconn *rc, const char *role)
{
	long nc = (long) arg_int(a, "--clients", 4);
	cmd0(rc, "DEL acct");
	cmd0(rc, "HSET acct balance %lld", W7_START);
	const char *roles[nc];
	for (long i = 0; i < nc; i++) {
		roles[i] = role;
	}
	workers w;
	workers_start(&w, (size_t) nc, roles, a->argv);
	int64_t       t_go = workers_go(&w);
	worker_report reps[nc];
	workers_collect(&w, reps);
	int64_t draws = 0, t_end = t_go;
	for (long i = 0; i < nc; i++) {
		draws += reps[i].count;
		t_end = reps[i].t_end > t_end ? reps[i].t_end : t_end;
	}
	long long b = cmd_int(rc, "HGET acct balance");
	if (b != W7_START - draws) {
		die("balance is %lld after %" PRId64 " draws", b, draws);
	}
	return (int64_t) ((double) draws / ((double) (t_end - t_go) / 1e9));
}

static int
w7(const bench_args *a)
{
	rconn *rc      = connect_or_die();
	double guarded = (double) w7_phase(a, rc, "w7g");
	result("w7.guarded", guarded, "ops/s");
	result("w7.module", guarded, "ops/s"); // Redis's server-side logic
	result("w7.locked", (double) w7_phase(a, rc, "w7l"), "ops/s");
	rconn_free(rc);
	return 0;
}

static int
w7_worker(const bench_args *a, int index, bool guarded)
{
	int64_t ms = arg_int(a, "--ms", 1000);
	rconn  *rc = connect_or_die();
	int64_t go = worker_ready_wait(index), draws = 0;
	int64_t deadline = go + ms * 1000000;
	while (now_ns() < deadline) {
		if (guarded) {
			cmd0(rc, "EVAL %s 1 acct", W7_SCRIPT);
		} else {
			for (;;) { // until EXEC applies it
				cmd0(rc, "WATCH acct");
				long long b
				    = cmd_int(rc, "HGET acct balance");
				if (b < 1) {
					cmd0(rc, "UNWATCH");
					break;
				}
				cmd0(rc, "MULTI");
				cmd0(rc, "HINCRBY acct balance -1");
				redisReply *r = cmd(rc, "EXEC");
				bool applied  = r->type == REDIS_REPLY_ARRAY;
				freeReplyObject(r);
				if (applied) {
					break;
				}
			}
		}
		draws++;
	}
	worker_report_done(index, draws, 0);
	rconn_free(rc);
	return 0;
}

/* ---- W8: a script's trivial call against HINCRBY, one round trip each -- */

static int
w8(const bench_args *a)
{
	long   n  = (long) arg_int(a, "--n", 3000);
	rconn *rc = connect_or_die();
	cmd0(rc, "DEL w8");
	redisReply *r = cmd(rc, "SCRIPT LOAD %s",
	    "return redis.call('HINCRBY', KEYS[1], 'n', ARGV[1])");
	char        sha[64];
	snprintf(sha, sizeof(sha), "%s", r->str != NULL ? r->str : "");
	freeReplyObject(r);
	for (int which = 0; which < 2; which++) {
		int64_t t0 = 0;
		for (long i = 0; i < 2 * n; i++) {
			if (i == n) {
				t0 = now_ns(); // after the warm-up
			}
			if (which == 0) {
				cmd0(rc, "HINCRBY w8 n 1");
			} else {
				cmd0(rc, "EVALSHA %s 1 w8 1", sha);
			}
		}
		result(which == 0 ? "w8.incr" : "w8.call",
		    (double) (now_ns() - t0) / 1e3 / (double) n, "us");
	}
	long long v = cmd_int(rc, "HGET w8 n");
	if (v != 4 * n) {
		die("w8's counter is %lld, expected %ld", v, 4 * n);
	}
	rconn_free(rc);
	return 0;
}

/* ---- W3 -------------------------------------------------------------------
 */

static int
w3(const bench_args *a)
{
	long   n     = (long) arg_int(a, "--n", 200000);
	long   depth = (long) arg_int(a, "--depth", 64);
	rconn *rc    = connect_or_die();
	char   value[BENCH_VALUE_LEN + 1];
	fill_value(value, BENCH_VALUE_LEN, 0);
	cmd0(rc, "DEL d");

	int64_t t0 = now_ns();
	for (long i = 0; i < n;) {
		long k = 0;
		for (; k < depth && i < n; k++, i++) {
			if (redisAppendCommand(
			        plain(rc), "HSET d k%ld %s", i, value)
			    != REDIS_OK) {
				die("redisAppendCommand: %s", errstr(rc));
			}
		}
		for (; k > 0; k--) {
			void *r = NULL;
			if (redisGetReply(plain(rc), &r) != REDIS_OK) {
				die("redisGetReply: %s", errstr(rc));
			}
			freeReplyObject(checked(rc, r, "HSET"));
		}
	}
	int64_t t1 = now_ns();
	if (cmd_int(rc, "HLEN d") != n) {
		die("hash has the wrong size");
	}
	result("w3.pipelined_set", (double) n / ((double) (t1 - t0) / 1e9),
	    "ops/s");
	rconn_free(rc);
	return 0;
}

/* ---- W4 -------------------------------------------------------------------
 */

static int
w4(const bench_args *a)
{
	long   items = (long) arg_int(a, "--items", 200000);
	long   np    = (long) arg_int(a, "--producers", 4);
	long   ncons = (long) arg_int(a, "--consumers", 4);
	rconn *rc    = connect_or_die();
	if (items % np != 0 || items % ncons != 0) {
		die("--items must divide among producers and consumers");
	}
	cmd0(rc, "DEL q");

	long        n = np + ncons;
	const char *roles[n];
	for (long i = 0; i < n; i++) {
		roles[i] = i < np ? "w4p" : "w4c";
	}
	workers w;
	workers_start(&w, (size_t) n, roles, a->argv);
	int64_t       t_go = workers_go(&w);
	worker_report reps[n];
	workers_collect(&w, reps);

	int64_t got = 0, sum = 0, t_end = t_go;
	for (long i = np; i < n; i++) {
		got += reps[i].count;
		sum += reps[i].sum;
		t_end = reps[i].t_end > t_end ? reps[i].t_end : t_end;
	}
	if (got != items || sum != (int64_t) items * (items - 1) / 2) {
		die("consumers got %" PRId64 " items (sum %" PRId64
		    "), expected %ld",
		    got, sum, items);
	}
	result("w4.queue", (double) items / ((double) (t_end - t_go) / 1e9),
	    "items/s");
	rconn_free(rc);
	return 0;
}

static int
w4_worker(const bench_args *a, int index, bool producer)
{
	long    items = (long) arg_int(a, "--items", 200000);
	long    np    = (long) arg_int(a, "--producers", 4);
	long    ncons = (long) arg_int(a, "--consumers", 4);
	rconn  *rc    = connect_or_die();
	char    value[BENCH_VALUE_LEN + 1];
	int64_t count = 0, sum = 0;

	worker_ready_wait(index);
	if (producer) {
		long per = items / np;
		for (long i = index * per; i < (index + 1) * per; i++) {
			fill_value(value, BENCH_VALUE_LEN, i);
			cmd0(rc, "RPUSH q %s", value);
			count++;
		}
	} else {
		long per = items / ncons;
		for (long i = 0; i < per; i++) {
			redisReply *r
			    = cmd(rc, "BLPOP q %d", BENCH_WAIT_MS / 1000);
			if (r->type != REDIS_REPLY_ARRAY
			    || r->elements != 2) {
				worker_report_fail(index, -1);
				return 1;
			}
			sum += atoll(r->element[1]->str);
			freeReplyObject(r);
			count++;
		}
	}
	worker_report_done(index, count, sum);
	rconn_free(rc);
	return 0;
}

/* ---- W4p ------------------------------------------------------------------
 *
 * W4 pipelined: producers send depth RPUSHes per round trip, consumers
 * depth BLPOPs (Redis serves a client's commands in order: a BLPOP that
 * blocks holds back the ones behind it until it is answered). The end is
 * bench_mgr's (see its W4p): once every producer is done (every RPUSH
 * answered), the coordinator pushes depth "stop" sentinels per consumer,
 * behind every real item; a consumer stops after the round in which it
 * got one, counting the real items of every round. */

/* The sentinel: real items begin with their number. */
#define W4P_STOP "stop"

/* Reads k pipelined replies, each checked; gives them to fn (may be
 * NULL) and frees them. */
static void
replies(rconn *rc, long k, const char *what, void (*fn)(redisReply *, void *),
    void *arg)
{
	for (; k > 0; k--) {
		void *r = NULL;
		if (redisGetReply(plain(rc), &r) != REDIS_OK) {
			die("redisGetReply: %s", errstr(rc));
		}
		checked(rc, r, what);
		if (fn != NULL) {
			fn(r, arg);
		}
		freeReplyObject(r);
	}
}

static void
append(rconn *rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rv = redisvAppendCommand(plain(rc), fmt, ap);
	va_end(ap);
	if (rv != REDIS_OK) {
		die("redisAppendCommand: %s", errstr(rc));
	}
}

static int
w4p(const bench_args *a)
{
	long   items = (long) arg_int(a, "--items", 200000);
	long   np    = (long) arg_int(a, "--producers", 4);
	long   ncons = (long) arg_int(a, "--consumers", 4);
	long   depth = (long) arg_int(a, "--depth", 64);
	rconn *rc    = connect_or_die();
	if (items % np != 0) {
		die("--items must divide among the producers");
	}
	if (depth < 1) {
		die("--depth must be at least 1");
	}
	cmd0(rc, "DEL q");

	long        n = np + ncons;
	const char *roles[n];
	for (long i = 0; i < n; i++) {
		roles[i] = i < np ? "w4pp" : "w4pc";
	}
	workers w;
	workers_start(&w, (size_t) n, roles, a->argv);
	int64_t       t_go = workers_go(&w);
	worker_report reps[n];
	workers_await(&w, reps, (size_t) np); // every real item is in
	for (long i = 0; i < depth * ncons; i++) {
		append(rc, "RPUSH q %s", W4P_STOP);
	}
	replies(rc, depth * ncons, "RPUSH", NULL, NULL);
	workers_collect(&w, reps);

	int64_t put = 0, got = 0, sum = 0, t_end = t_go;
	for (long i = 0; i < np; i++) {
		put += reps[i].count;
	}
	for (long i = np; i < n; i++) {
		got += reps[i].count;
		sum += reps[i].sum;
		t_end = reps[i].t_end > t_end ? reps[i].t_end : t_end;
	}
	if (put != items || got != items
	    || sum != (int64_t) items * (items - 1) / 2) {
		die("producers put %" PRId64 " items, consumers got %" PRId64
		    " (sum %" PRId64 "), expected %ld",
		    put, got, sum, items);
	}
	result("w4p.queue_pipelined",
	    (double) items / ((double) (t_end - t_go) / 1e9), "items/s");
	rconn_free(rc);
	return 0;
}

/* What a consumer's round got. */
typedef struct w4p_got {
	int64_t count, sum;
	bool    stop, bad;
} w4p_got;

static void
w4p_take(redisReply *r, void *arg)
{
	w4p_got *g = arg;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
	    || r->element[1]->type != REDIS_REPLY_STRING) {
		g->bad = true; // BLPOP timed out
	} else if (strcmp(r->element[1]->str, W4P_STOP) == 0) {
		g->stop = true;
	} else {
		g->sum += atoll(r->element[1]->str);
		g->count++;
	}
}

static int
w4p_worker(const bench_args *a, int index, bool producer)
{
	long    items = (long) arg_int(a, "--items", 200000);
	long    np    = (long) arg_int(a, "--producers", 4);
	long    depth = (long) arg_int(a, "--depth", 64);
	rconn  *rc    = connect_or_die();
	char    value[BENCH_VALUE_LEN + 1];
	w4p_got g = { 0 };

	worker_ready_wait(index);
	if (producer) {
		long per = items / np, end = (index + 1) * per;
		for (long i = index * per; i < end;) {
			long k = 0;
			for (; k < depth && i < end; k++, i++) {
				fill_value(value, BENCH_VALUE_LEN, i);
				append(rc, "RPUSH q %s", value);
			}
			replies(rc, k, "RPUSH", NULL, NULL);
			g.count += k;
		}
	} else {
		while (!g.stop) {
			for (long k = 0; k < depth; k++) {
				append(
				    rc, "BLPOP q %d", BENCH_WAIT_MS / 1000);
			}
			// Every BLPOP of the round is answered before it
			// stops: the real items after the sentinel count too.
			replies(rc, depth, "BLPOP", w4p_take, &g);
			if (g.bad) {
				worker_report_fail(index, -1);
				return 1;
			}
		}
	}
	worker_report_done(index, g.count, g.sum);
	rconn_free(rc);
	return 0;
}

/* ---- W5 -------------------------------------------------------------------
 */

static int
w5load(const bench_args *a)
{
	long         n    = (long) arg_int(a, "--entries", 1000000);
	long         per  = (long) arg_int(a, "--per-call", 5000);
	rconn       *rc   = connect_or_die();
	const char **argv = calloc((size_t) per * 2 + 2, sizeof(char *));
	size_t      *lens = calloc((size_t) per * 2 + 2, sizeof(size_t));
	char        *text = malloc((size_t) per * (24 + 33));
	if (argv == NULL || lens == NULL || text == NULL) {
		die("out of memory");
	}
	cmd0(rc, "DEL d");
	if (n >= 10000000) {
		die("--entries must stay below 10^7 (8-byte keys)");
	}
	state_sync("connected");

	int64_t t0 = now_ns();
	for (long i = 0; i < n;) {
		// One HSET with `per` field/value pairs: the same shape as
		// dict.update of `per` entries.
		argv[0] = "HSET";
		argv[1] = "d";
		lens[0] = 4;
		lens[1] = 1;
		long k  = 0;
		for (; k < per && i < n; k++, i++) {
			char *key = text + k * (24 + 33);
			char *val = key + 24;
			snprintf(key, 24, "k%07ld", i);
			fill_value(val, 32, i);
			argv[2 + 2 * k] = key;
			lens[2 + 2 * k] = 8;
			argv[3 + 2 * k] = val;
			lens[3 + 2 * k] = 32;
		}
		redisReply *r = redisCommandArgv(
		    plain(rc), (int) (2 + 2 * k), argv, lens);
		freeReplyObject(checked(rc, r, "HSET"));
	}
	int64_t t1 = now_ns();
	if (cmd_int(rc, "HLEN d") != n) {
		die("hash has the wrong size");
	}
	result("w5.load_rate", (double) n / ((double) (t1 - t0) / 1e9),
	    "entries/s");
	state_sync("loaded");
	rconn_free(rc);
	free(argv);
	free(lens);
	free(text);
	return 0;
}

static int
w5conns(const bench_args *a)
{
	long    n  = (long) arg_int(a, "--conns", 1000);
	rconn **cs = calloc((size_t) n, sizeof(*cs));
	if (cs == NULL) {
		die("out of memory");
	}
	raise_nofile(2 * n + 64);
	for (long i = 0; i < n; i++) {
		cs[i] = connect_or_die();
		// A round trip, so the server has surely set the client up.
		cmd0(cs[i], "PING");
	}
	state_sync("opened");
	for (long i = 0; i < n; i++) {
		rconn_free(cs[i]);
	}
	free(cs);
	return 0;
}

/* ---- H: new connections ------------------------------------------------
 */

/* As bench_mgr's: --n connections, each connect (TLS handshake over
 * tls:), one PING, close; the median time of one. */
static int
hs(const bench_args *a)
{
	long     n = (long) arg_int(a, "--n", 200);
	int64_t *t = times_new(n);
	for (long i = 0; i < n; i++) {
		int64_t t0 = now_ns();
		rconn  *c  = connect_or_die();
		cmd0(c, "PING");
		rconn_free(c);
		t[i] = now_ns() - t0;
	}
	result("hs.connect", median_us(t, (size_t) n), "us");
	free(t);
	return 0;
}

/* R: --n times, the connection is dropped under the client (a reset of
 * its end), then one HGET: the median time from the drop to its reply,
 * in microseconds. hiredis does not reconnect: the client does what a
 * program must, a new connection once the command fails, and the
 * command again. */
static int
rc(const bench_args *a)
{
	long     n = (long) arg_int(a, "--n", 30);
	int64_t *t = times_new(n);
	rconn   *c = connect_or_die();
	cmd0(c, "HSET r k v");
	for (long i = 0; i < n; i++) {
		drop_connections(addr);
		int64_t     t0 = now_ns();
		redisReply *r  = cmd_retry(&c, "HGET r k");
		t[i]           = now_ns() - t0;
		freeReplyObject(r);
	}
	result("rc.reconnect", median_us(t, (size_t) n), "us");
	rconn_free(c);
	free(t);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
		    "usage: bench_redis w1|w2|w3|w4|w4p|w5load|w5conns|w7|w8 "
		    "--addr unix:PATH|tcp:HOST:PORT [options]\n");
		return 2;
	}
	const char *what = argv[1];
	bench_args  a;
	if (strcmp(what, "worker") == 0) {
		if (argc < 5) {
			return 2;
		}
		worker_init((pid_t) atol(argv[4]), atoi(argv[3]));
		a = (bench_args) { argc - 5, argv + 5 };
	} else {
		a = (bench_args) { argc - 2, argv + 2 };
	}
	if ((addr = arg_str(&a, "--addr", NULL)) == NULL) {
		die("give --addr");
	}
	ca_file = arg_str(&a, "--ca", NULL);
	if (strcmp(what, "worker") == 0) {
		int index = atoi(argv[3]);
		if (strcmp(argv[2], "w2") == 0) {
			return w2_worker(&a, index);
		}
		if (strcmp(argv[2], "w7g") == 0
		    || strcmp(argv[2], "w7l") == 0) {
			return w7_worker(&a, index, argv[2][2] == 'g');
		}
		if (strcmp(argv[2], "w4p") == 0
		    || strcmp(argv[2], "w4c") == 0) {
			return w4_worker(&a, index, argv[2][2] == 'p');
		}
		if (strcmp(argv[2], "w4pp") == 0
		    || strcmp(argv[2], "w4pc") == 0) {
			return w4p_worker(&a, index, argv[2][3] == 'p');
		}
		return 2;
	}
	if (strcmp(what, "w1") == 0) {
		return w1(&a);
	} else if (strcmp(what, "w7") == 0) {
		return w7(&a);
	} else if (strcmp(what, "w8") == 0) {
		return w8(&a);
	} else if (strcmp(what, "w2") == 0) {
		return w2(&a);
	} else if (strcmp(what, "w3") == 0) {
		return w3(&a);
	} else if (strcmp(what, "w4") == 0) {
		return w4(&a);
	} else if (strcmp(what, "w4p") == 0) {
		return w4p(&a);
	} else if (strcmp(what, "w5load") == 0) {
		return w5load(&a);
	} else if (strcmp(what, "w5conns") == 0) {
		return w5conns(&a);
	} else if (strcmp(what, "hs") == 0) {
		return hs(&a);
	} else if (strcmp(what, "rc") == 0) {
		return rc(&a);
	}
	fprintf(stderr, "bench_redis: unknown workload %s\n", what);
	return 2;
}
