/* Lifetimes of shared objects: nested references keep their referents
 * alive, cycles are collected once nothing outside holds them, long
 * chains are freed without recursion, big containers are freed in
 * slices, and a long run of create / share / release returns the manager
 * to zero objects. Against a real managerd
 * (embedded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "clock.h"
#include "mgr.h"

static mgr_server *srv;
static mgr_client *cl;

static int
setup(void **state)
{
	(void) state;
	OK(mgr_server_start(&srv, NULL));
	OK(mgr_server_connect(srv, &cl));
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	mgr_disconnect(cl);
	mgr_server_shutdown(srv);
	return 0;
}

/* info[key] (an int). */
static int64_t
info_int(mgr_client *c, const char *key)
{
	mgr_value info;
	OK(mgr_info(c, &info));
	int64_t v = -1;
	for (size_t i = 0; i < info.len; i++) {
		mgr_value *k = &info.pairs[2 * i];
		if (k->kind == MGR_STR && strcmp(k->s, key) == 0) {
			assert_int_equal(info.pairs[2 * i + 1].kind, MGR_INT);
			v = info.pairs[2 * i + 1].i;
		}
	}
	mgr_value_free(&info);
	assert_true(v >= 0);
	return v;
}

static int64_t
live(void)
{
	return info_int(cl, "objects_total");
}

/* The objects live() counts come back to want, polled by requests (each
 * frees a slice of what is being freed). */
static void
await_live(int64_t want)
{
	int64_t n = live();
	for (int i = 0; i < 1000 && n != want; i++) {
		n = live();
	}
	assert_int_equal(n, want);
}

static void
test_nested_keeps_alive(void **state)
{
	(void) state;
	int64_t  base = live();
	mgr_obj *d, *l, *l2;
	OK(mgr_dict_new(cl, &d));
	OK(mgr_list_new(cl, &l));
	OK(mgr_dict_set(d, mgr_str("inner"), mgr_ref(l)));
	OK(mgr_obj_release(l)); // only the dict holds the list now
	assert_int_equal(live(), base + 2);

	mgr_value v;
	OK(mgr_dict_get(d, mgr_str("inner"), &v));
	assert_int_equal(v.kind, MGR_REF);
	l2 = mgr_value_ref(&v);
	assert_string_equal(mgr_obj_type(l2), "list");
	OK(mgr_list_append(l2, mgr_int(42)));
	size_t n;
	OK(mgr_list_len(l2, &n));
	assert_int_equal(n, 1);
	mgr_value_free(&v); // releases that proxy

	// Another path to the same list sees the write.
	OK(mgr_dict_get(d, mgr_str("inner"), &v));
	mgr_value item;
	OK(mgr_list_get(mgr_value_ref(&v), 0, &item));
	assert_int_equal(item.i, 42);
	mgr_value_free(&v);

	OK(mgr_obj_release(d));
	assert_int_equal(live(), base);
}

static void
test_list_of_dict_proxies(void **state)
{
	(void) state;
	int64_t  base = live();
	mgr_obj *l;
	OK(mgr_list_new(cl, &l));
	for (int i = 0; i < 5; i++) {
		mgr_obj *d;
		OK(mgr_dict_new(cl, &d));
		OK(mgr_dict_set(d, mgr_str("i"), mgr_int(i)));
		OK(mgr_list_append(l, mgr_ref(d)));
		OK(mgr_obj_release(d));
	}
	mgr_value all;
	OK(mgr_list_copy(l, &all));
	assert_int_equal(all.len, 5);
	for (size_t i = 0; i < all.len; i++) {
		mgr_value x;
		OK(mgr_dict_get(
		    mgr_value_ref(&all.items[i]), mgr_str("i"), &x));
		assert_int_equal(x.i, (int64_t) i);
	}
	char buf[256];
	OK(mgr_value_repr(&all.items[0], buf, sizeof(buf)));
	assert_non_null(strstr(buf, "dict"));
	mgr_value_free(&all);
	assert_int_equal(live(), base + 6);
	OK(mgr_obj_release(l));
	assert_int_equal(live(), base);
}

static void
test_self_cycle(void **state)
{
	(void) state;
	int64_t  base = live();
	mgr_obj *l;
	OK(mgr_list_new(cl, &l));
	OK(mgr_list_append(l, mgr_ref(l)));
	OK(mgr_list_append(l, mgr_ref(l)));
	mgr_value first;
	OK(mgr_list_get(l, 0, &first));
	assert_int_equal(mgr_obj_id(mgr_value_ref(&first)), mgr_obj_id(l));
	mgr_value_free(&first);
	OK(mgr_obj_release(l));
	assert_int_equal(live(), base);
}

static void
test_mutual_cycle(void **state)
{
	(void) state;
	int64_t  base  = live();
	int64_t  freed = info_int(cl, "cycles_freed");
	mgr_obj *a, *b, *q;
	OK(mgr_dict_new(cl, &a));
	OK(mgr_ns_new(cl, &b));
	OK(mgr_list_new(cl, &q)); // reachable only through the cycle
	OK(mgr_dict_set(a, mgr_str("b"), mgr_ref(b)));
	OK(mgr_ns_set(b, "a", mgr_ref(a)));
	mgr_value items[] = { mgr_ref(q), mgr_int(1) };
	OK(mgr_ns_set(b, "q", mgr_list_of(items, 2)));
	OK(mgr_obj_release(q));
	OK(mgr_obj_release(a));
	// b still held: nothing may go.
	assert_int_equal(live(), base + 3);
	OK(mgr_obj_release(b));
	assert_int_equal(live(), base);
	assert_int_equal(info_int(cl, "cycles_freed"), freed + 3);
}

static void
test_cycle_held_by_name(void **state)
{
	(void) state;
	int64_t  base = live();
	mgr_obj *l, *again;
	OK(mgr_list_new(cl, &l));
	OK(mgr_list_append(l, mgr_ref(l)));
	OK(mgr_name_set(cl, "loop", l));
	OK(mgr_obj_release(l));
	assert_int_equal(live(), base + 1); // the name is a root
	OK(mgr_name_get(cl, "loop", &again));
	size_t n;
	OK(mgr_list_len(again, &n));
	assert_int_equal(n, 1);
	OK(mgr_obj_release(again));
	OK(mgr_name_del(cl, "loop"));
	assert_int_equal(live(), base);
}

static void
test_long_chain(void **state)
{
	(void) state;
	int64_t  base = live();
	mgr_obj *head, *prev;
	OK(mgr_list_new(cl, &head));
	prev = head;
	OK(mgr_obj_token(head, (char[64]) { 0 }, 64));
	for (int i = 0; i < 20000; i++) {
		mgr_obj *next;
		OK(mgr_list_new(cl, &next));
		OK(mgr_list_append(prev, mgr_ref(next)));
		if (prev != head) {
			OK(mgr_obj_release(prev));
		}
		prev = next;
	}
	OK(mgr_obj_release(prev));
	assert_int_equal(live(), base + 20001);
	// Freeing the head frees 20,001 objects one after another: a
	// recursive destroy would have exhausted the manager's stack.
	OK(mgr_obj_release(head));
	assert_int_equal(live(), base);
}

/* The embedded manager's pid: its ipc socket's peer. */
static pid_t
manager_pid(void)
{
	const char *url = mgr_server_url(srv);
	assert_true(strncmp(url, "ipc://", 6) == 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	assert_true(strlen(url + 6) < sizeof(a.sun_path));
	strcpy(a.sun_path, url + 6);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *) &a, sizeof(a)), 0);
	struct ucred cr;
	socklen_t    len = sizeof(cr);
	assert_int_equal(
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len), 0);
	close(fd);
	return cr.pid;
}

/* pid's resident set (KiB). */
static int64_t
rss_kb(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	long long kb = -1;
	while (fgets(line, sizeof(line), f) != NULL
	    && sscanf(line, "VmRSS: %lld kB", &kb) != 1) { }
	fclose(f);
	assert_true(kb >= 0);
	return kb;
}

/* A container of more than 8,192 elements let go is freed a slice at a
 * time (after each request, and on the manager's timer), not at once
 * while every client waits: what it refers to goes as its slices do, and
 * everything is freed in the end. */
static void
test_big_release_in_slices(void **state)
{
	(void) state;
	int64_t  base = live();
	mgr_obj *x, *l, *d;
	OK(mgr_dict_new(cl, &x));
	OK(mgr_list_new(cl, &l));
	OK(mgr_dict_new(cl, &d));
	enum { N = 50000 };
	mgr_value *items = calloc(N, sizeof(*items));
	assert_non_null(items);
	for (int i = 0; i < N; i++) {
		items[i] = mgr_ref(x);
	}
	for (int at = 0; at < N; at += 5000) { // under --max-op-elements
		OK(mgr_list_extend(l, mgr_list_of(items + at, 5000)));
	}
	free(items);
	for (int i = 0; i < 20000; i++) {
		OK(mgr_dict_set(d, mgr_int(i),
		    mgr_str("a value long enough to live on the heap")));
	}
	OK(mgr_obj_release(x));
	assert_int_equal(live(), base + 3); // x: held by l's references
	OK(mgr_obj_release(l));
	OK(mgr_obj_release(d));
	// Each request (these mgr_info calls too) frees a slice, and so
	// does the timer: the count comes back, x with it.
	await_live(base);
	// Let go while the manager is idle: the timer, woken for it, frees
	// it all in a few milliseconds (32,768 elements each), where it used
	// to sleep on for up to a second first. No request meanwhile (each
	// would free a slice itself): the dict's entries (3 MiB, in a mapping
	// of their own, unmapped last) are awaited through managerd's
	// resident set, for 150 ms at most (it takes 1-2 ms).
	pid_t   pid  = manager_pid();
	int64_t rss0 = rss_kb(pid);
	OK(mgr_dict_new(cl, &x));
	OK(mgr_dict_new(cl, &d));
	enum { BIG = 60000, PART = 4000 };
	mgr_value *pairs = calloc(2 * PART, sizeof(*pairs));
	assert_non_null(pairs);
	for (int at = 0; at < BIG; at += PART) {
		for (int i = 0; i < PART; i++) {
			pairs[2 * i]     = mgr_int(at + i);
			pairs[2 * i + 1] = mgr_ref(x);
		}
		OK(mgr_dict_update(d, mgr_dict_of(pairs, PART)));
	}
	free(pairs);
	int64_t rss1 = rss_kb(pid);
	assert_true(rss1 > rss0 + 1536);
	OK(mgr_obj_release(x));
	OK(mgr_obj_release(d));
	int64_t until = clock_ms() + 150;
	while (rss_kb(pid) > rss1 - 1536 && clock_ms() < until) {
		usleep(1000);
	}
	int64_t took = clock_ms() - (until - 150);
	fprintf(stderr,
	    "managerd's RSS %lld -> %lld -> %lld KiB in %lld ms\n",
	    (long long) rss0, (long long) rss1, (long long) rss_kb(pid),
	    (long long) took);
	assert_int_equal(live(), base);
}

/* A big container emptied (a dict's or list's clear, a queue's purge), a
 * big queue let go, and a big container found in a garbage cycle are
 * freed in slices too: the clear answers at once, empty, and what the
 * elements referred to goes as the slices do. */
static void
test_big_clear_in_slices(void **state)
{
	(void) state;
	enum { N = 10000 }; // over STORE_FREE_MIN
	int64_t    base = live();
	mgr_obj   *x, *d, *l, *q, *q2;
	mgr_value *refs = calloc(N, sizeof(*refs));
	assert_non_null(refs);
	size_t n;
	// A dict's clear.
	OK(mgr_dict_new(cl, &x));
	OK(mgr_dict_new(cl, &d));
	for (int i = 0; i < N; i++) {
		OK(mgr_dict_set(d, mgr_int(i), mgr_ref(x)));
	}
	OK(mgr_obj_release(x));
	OK(mgr_dict_clear(d));
	OK(mgr_dict_len(d, &n));
	assert_int_equal(n, 0);
	await_live(base + 1);
	// A list's.
	OK(mgr_dict_new(cl, &x));
	OK(mgr_list_new(cl, &l));
	for (int i = 0; i < N; i++) {
		refs[i] = mgr_ref(x);
	}
	OK(mgr_list_extend(l, mgr_list_of(refs, N / 2)));
	OK(mgr_list_extend(l, mgr_list_of(refs, N / 2)));
	OK(mgr_obj_release(x));
	OK(mgr_list_clear(l));
	OK(mgr_list_len(l, &n));
	assert_int_equal(n, 0);
	await_live(base + 2);
	// A queue's purge, and a queue let go.
	OK(mgr_dict_new(cl, &x));
	OK(mgr_queue_new(cl, 0, &q));
	OK(mgr_queue_new(cl, 0, &q2));
	for (int i = 0; i < N; i++) {
		OK(mgr_queue_put(q, mgr_ref(x), MGR_FOREVER));
		OK(mgr_queue_put(q2, mgr_ref(x), MGR_FOREVER));
	}
	OK(mgr_obj_release(x));
	size_t purged;
	OK(mgr_queue_purge(q, &purged));
	assert_int_equal(purged, N);
	OK(mgr_queue_put(q, mgr_int(1), MGR_FOREVER)); // usable at once
	OK(mgr_queue_qsize(q, &n));
	assert_int_equal(n, 1);
	OK(mgr_obj_release(q2));
	await_live(base + 3); // d, l and q: x went with q2's slices
	// A big dict in a garbage cycle: the collector's.
	mgr_obj *c1, *c2;
	OK(mgr_dict_new(cl, &x));
	OK(mgr_dict_new(cl, &c1));
	OK(mgr_list_new(cl, &c2));
	for (int i = 0; i < N; i++) {
		OK(mgr_dict_set(c1, mgr_int(i), mgr_ref(x)));
	}
	OK(mgr_dict_set(c1, mgr_str("cycle"), mgr_ref(c2)));
	OK(mgr_list_append(c2, mgr_ref(c1)));
	OK(mgr_obj_release(x));
	OK(mgr_obj_release(c1));
	OK(mgr_obj_release(c2));
	await_live(base + 3);
	free(refs);
	OK(mgr_obj_release(d));
	OK(mgr_obj_release(l));
	OK(mgr_obj_release(q));
	await_live(base);
}

static void
test_create_share_release_loop(void **state)
{
	(void) state;
	int64_t     base = live();
	mgr_client *other;
	OK(mgr_server_connect(srv, &other));
	for (int i = 0; i < 300; i++) {
		mgr_obj *d, *l, *seen;
		char     tok[64];
		OK(mgr_dict_new(cl, &d));
		OK(mgr_list_new(cl, &l));
		OK(mgr_list_append(l, mgr_ref(d)));
		OK(mgr_dict_set(d, mgr_int(i), mgr_ref(l))); // a cycle
		OK(mgr_obj_token(d, tok, sizeof(tok)));
		OK(mgr_attach(other, tok, &seen));
		OK(mgr_dict_set(seen, mgr_str("by"), mgr_str("other")));
		OK(mgr_obj_release(d));
		OK(mgr_obj_release(l));
		OK(mgr_obj_release(seen));
	}
	assert_int_equal(live(), base);
	// A stale token: the object is gone, its id never comes back.
	mgr_obj *d, *x;
	char     tok[64];
	OK(mgr_dict_new(cl, &d));
	OK(mgr_obj_token(d, tok, sizeof(tok)));
	OK(mgr_obj_release(d));
	assert_int_equal(mgr_attach(other, tok, &x), MGR_ENOOBJ);
	mgr_disconnect(other);
}

static void
test_session_end_drops_references(void **state)
{
	(void) state;
	int64_t     base = live();
	mgr_client *other;
	mgr_obj    *l, *d;
	OK(mgr_server_connect(srv, &other));
	OK(mgr_list_new(other, &l));
	OK(mgr_dict_new(other, &d));
	OK(mgr_list_append(l, mgr_ref(l)));
	OK(mgr_dict_set(d, mgr_str("l"), mgr_ref(l)));
	assert_int_equal(live(), base + 2);
	mgr_disconnect(other); // without releasing anything
	assert_int_equal(live(), base);
	// The proxies outlive their client and fail cleanly.
	assert_int_equal(mgr_list_append(l, mgr_int(1)), MGR_ECLOSED);
	OK(mgr_obj_release(l));
	OK(mgr_obj_release(d));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_keeps_alive),
		cmocka_unit_test(test_list_of_dict_proxies),
		cmocka_unit_test(test_self_cycle),
		cmocka_unit_test(test_big_clear_in_slices),
		cmocka_unit_test(test_mutual_cycle),
		cmocka_unit_test(test_cycle_held_by_name),
		cmocka_unit_test(test_long_chain),
		cmocka_unit_test(test_big_release_in_slices),
		cmocka_unit_test(test_create_share_release_loop),
		cmocka_unit_test(test_session_end_drops_references),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
