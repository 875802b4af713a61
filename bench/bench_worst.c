/* L: the worst requests at a million elements (bench_worst.h). Every
 * other client waits while one request runs (that is what makes each
 * atomic): what one request may do is bounded by --max-op-elements
 * (16,384 values) and by work done outside the request (growth, freeing
 * in slices). This builds the biggest requests those bounds admit and
 * reads managerd's own figure for the longest hold (lock_hold_max_us). */
#include "bench_worst.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr_conn.h"

/* The largest plain request the default --max-op-elements admits: values,
 * less a few for the request's own arguments. */
#define AT_LIMIT 16300

static char **strs; /* the strings items and keys are made of */

static mgr_value
str_at(long i)
{
	return mgr_str(strs[i]);
}

/* The i-th of strings of one length whose fingerprints are all one (the
 * bytes that differ lie outside the head, middle and tail windows it is
 * made of: value.c); the caller frees it. */
static char *
alike(long i)
{
	char b[32];
	snprintf(b, sizeof(b), "aaaaaaaa%03ldbbbbbbbb%04ldcccccccc",
	    i / 10000 % 1000, i % 10000);
	char *s = strdup(b);
	if (s == NULL) {
		die("out of memory");
	}
	return s;
}

/* Pairs [from, from + n) of str keys and values. */
static void
pairs_of(mgr_value *pairs, long from, long n)
{
	for (long i = 0; i < n; i++) {
		pairs[2 * i]     = str_at(from + i);
		pairs[2 * i + 1] = str_at(from + i + 1);
	}
}

/* Prints how one request went: its round trip and what the manager's
 * longest hold is now. want: the status it must have (a refusal, or 0). */
static void
after(mgr_client *c, const char *what, int rv, int want, int64_t t0)
{
	if (rv != want) {
		fprintf(stderr, "%s: %s, not %s (%s)\n", what,
		    mgr_strerror(rv), mgr_strerror(want), mgr_errdetail());
		exit(1);
	}
	char      op[64];
	long long us = lock_hold_max(c, op, sizeof(op));
	fprintf(stderr,
	    "L %s: %s in %.2f ms; longest hold so far %lld us "
	    "(%s)\n",
	    what, rv == 0 ? "done" : "refused",
	    (double) (now_ns() - t0) / 1e6, us, op);
}

int
worst(const bench_args *a)
{
	long n = (long) arg_int(a, "--n", 1000000);
	strs   = malloc(sizeof(*strs) * (size_t) (n + 2 * AT_LIMIT + 2));
	if (strs == NULL) {
		die("out of memory");
	}
	for (long i = 0; i < n + 2 * AT_LIMIT + 2; i++) {
		char b[48];
		snprintf(b, sizeof(b), "item-%09ld-abcdefghijklmnop", i);
		strs[i] = strdup(b);
	}
	mgr_client *c = connect_or_die();
	mgr_obj    *d, *l, *s;
	check(mgr_dict_new(c, &d), "dict_new");
	check(mgr_list_new(c, &l), "list_new");
	check(mgr_list_new(c, &s), "list_new");
	mgr_value *v = calloc(2 * AT_LIMIT, sizeof(*v));
	if (v == NULL) {
		die("out of memory");
	}
	// The fill, in parts the limit admits.
	for (long at = 0; at < n; at += AT_LIMIT / 2) {
		long k = n - at < AT_LIMIT / 2 ? n - at : AT_LIMIT / 2;
		pairs_of(v, at, k);
		check(
		    mgr_dict_update(d, mgr_dict_of(v, (size_t) k)), "update");
	}
	for (long at = 0; at < n; at += AT_LIMIT) {
		long k = n - at < AT_LIMIT ? n - at : AT_LIMIT;
		for (long i = 0; i < k; i++) {
			v[i] = str_at(at + i);
		}
		check(
		    mgr_list_extend(l, mgr_list_of(v, (size_t) k)), "extend");
	}
	char op[64];
	result("L.fill", (double) lock_hold_max(c, op, sizeof(op)), "us");
	fprintf(stderr, "L fill of %ld: longest hold %s\n", n, op);
	int64_t   t0;
	mgr_value r;
	size_t    got;
	int64_t   ix;
	// Writes at the limit, into the big ones.
	pairs_of(v, n, AT_LIMIT / 2);
	t0 = now_ns();
	after(c, "dict_update of 8,150 new pairs",
	    mgr_dict_update(d, mgr_dict_of(v, AT_LIMIT / 2)), 0, t0);
	for (long i = 0; i < AT_LIMIT; i++) {
		v[i] = str_at(n + i);
	}
	t0 = now_ns();
	after(c, "list_extend of 16,300",
	    mgr_list_extend(l, mgr_list_of(v, AT_LIMIT)), 0, t0);
	t0 = now_ns();
	after(c, "list_extend of 32,600",
	    mgr_list_extend(l, mgr_list_of(v, 2 * AT_LIMIT)), MGR_ETOOBIG,
	    t0);
	// Reads at the limit, and whole ones refused.
	t0 = now_ns();
	after(c, "list_slice of 16,384",
	    mgr_list_slice(l, n / 2, n / 2 + 16384, &r), 0, t0);
	mgr_value_free(&r);
	t0 = now_ns();
	after(c, "dict_items of it all", mgr_dict_items(d, &r), MGR_ETOOBIG,
	    t0);
	t0 = now_ns();
	after(c, "list_sort of it all", mgr_list_sort(l, false), MGR_ETOOBIG,
	    t0);
	check(mgr_list_extend(s, mgr_list_of(v, AT_LIMIT)), "extend");
	t0 = now_ns();
	after(c, "list_sort of 16,300 str", mgr_list_sort(s, true), 0, t0);
	// Walks and moves of a million, one request each.
	t0 = now_ns();
	after(c, "list_insert at the front", mgr_list_insert(l, 0, str_at(0)),
	    0, t0);
	// A search of it all: refused past 32 x 16,384 items (a million),
	// else done (--quick's small list).
	size_t len;
	check(mgr_list_len(l, &len), "list_len");
	t0 = now_ns();
	after(c, "list_index of it all",
	    mgr_list_index(l, mgr_str("absent"), &ix),
	    len / 32 > 16384 ? MGR_ETOOBIG : MGR_EVALUE, t0);
	// The longest search admitted, of strings a compare cannot tell
	// apart by their fingerprints (the worst an attacker can make).
	mgr_obj *w;
	check(mgr_list_new(c, &w), "list_new");
	long searchable = 32L * 16384 - 1;
	for (long at = 0; at < searchable; at += AT_LIMIT) {
		long k
		    = searchable - at < AT_LIMIT ? searchable - at : AT_LIMIT;
		for (long i = 0; i < k; i++) {
			v[i] = mgr_str(alike(at + i));
		}
		check(
		    mgr_list_extend(w, mgr_list_of(v, (size_t) k)), "extend");
		for (long i = 0; i < k; i++) {
			free((char *) v[i].s);
		}
	}
	char *missing = alike(searchable), *seventh = alike(7);
	t0 = now_ns();
	after(c, "list_index in 524,287 alike str",
	    mgr_list_index(w, mgr_str(missing), &ix), MGR_EVALUE, t0);
	t0 = now_ns();
	after(c, "list_count in them",
	    mgr_list_count(w, mgr_str(seventh), &got), 0, t0);
	free(missing);
	free(seventh);
	check(mgr_obj_release(w), "release");
	// 2,000 front inserts in one atomic batch: refused, undone.
	mgr_batch *b;
	check(mgr_batch_new(c, &b), "batch_new");
	mgr_value ins[2] = { mgr_int(0), mgr_int(1) };
	for (int i = 0; i < 2000; i++) {
		check(mgr_batch_add(b, l, MGR_OP_LIST_INSERT, ins, 2), "add");
	}
	t0 = now_ns();
	after(c, "a batch of 2,000 front inserts", mgr_batch_exec(b, true),
	    MGR_ETOOBIG, t0);
	mgr_batch_free(b);
	// A big value, 60 MiB of bytes: set, replaced, read back (copied
	// before the lock, unmapped later, sent from where it is stored).
	size_t blob_len = (size_t) 60 << 20;
	char  *blob     = malloc(blob_len);
	if (blob == NULL) {
		die("out of memory");
	}
	memset(blob, 'b', blob_len);
	for (int i = 0; i < 2; i++) {
		t0 = now_ns();
		after(c,
		    i == 0 ? "dict_set of 60 MiB of bytes" : "... replaced",
		    mgr_dict_set(
		        d, mgr_str("blob"), mgr_bytes(blob, blob_len)),
		    0, t0);
	}
	t0 = now_ns();
	after(c, "dict_get of them", mgr_dict_get(d, mgr_str("blob"), &r), 0,
	    t0);
	if (r.len != blob_len) {
		die("dict_get gave %zu bytes", r.len);
	}
	mgr_value_free(&r);
	free(blob);
	// Emptied, and let go: freed in slices.
	t0 = now_ns();
	after(c, "dict_clear of it all", mgr_dict_clear(d), 0, t0);
	t0 = now_ns();
	after(c, "list release of it all", mgr_obj_release(l), 0, t0);
	result("L.worst", (double) lock_hold_max(c, op, sizeof(op)), "us");
	fprintf(stderr, "L longest hold of all: %s\n", op);
	mgr_obj_release(d);
	mgr_obj_release(s);
	mgr_disconnect(c);
	free(v);
	return 0;
}
