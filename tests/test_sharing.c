/* Integration tests of what crosses the wire and who holds what, against a
 * real managerd over ipc:// and over tcp://: values of every kind and
 * size, references inside containers, tokens, names, statistics, threads
 * sharing a client, a disconnected client and a killed manager. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "integration_fixture.h"
#include "internal.h"

/* ---- values ------------------------------------------------------------ */

static void
check_same(const mgr_value *want, const mgr_value *got, const char *what)
{
	if (got->kind != want->kind) {
		fail_msg("%s: kind %d, want %d", what, got->kind, want->kind);
	}
	switch (want->kind) {
	case MGR_INT:
		assert_true(got->i == want->i);
		break;
	case MGR_FLOAT:
		if (isnan(want->f)) {
			assert_true(isnan(got->f));
		} else {
			// Bit for bit (-0.0 stays negative).
			assert_memory_equal(
			    &got->f, &want->f, sizeof(double));
		}
		return;
	case MGR_STR:
		assert_int_equal(got->len, want->len);
		assert_memory_equal(got->s, want->s, want->len);
		assert_int_equal(got->s[got->len], '\0');
		break;
	case MGR_BYTES:
		assert_int_equal(got->len, want->len);
		if (want->len > 0) {
			assert_memory_equal(
			    got->bytes, want->bytes, want->len);
		}
		break;
	default:
		break;
	}
	if (!mgr_value_equal(got, want)) {
		char a[512], b[512];
		mgr_value_repr(got, a, sizeof(a));
		mgr_value_repr(want, b, sizeof(b));
		fail_msg("%s: got %s, want %s", what, a, b);
	}
}

/* v through a dict value, a list item and a namespace attribute. */
static void
roundtrip(mgr_obj *d, mgr_obj *l, mgr_obj *ns, int64_t key, mgr_value v)
{
	mgr_value out;
	char      name[32];
	OK(mgr_dict_set(d, mgr_int(key), v));
	OK(mgr_dict_get(d, mgr_int(key), &out));
	check_same(&v, &out, "dict value");
	mgr_value_free(&out);
	assert_int_equal(out.kind, MGR_NONE);

	OK(mgr_list_append(l, v));
	OK(mgr_list_get(l, -1, &out));
	check_same(&v, &out, "list item");
	mgr_value_free(&out);

	snprintf(name, sizeof(name), "a%" PRId64, key);
	OK(mgr_ns_set(ns, name, v));
	OK(mgr_ns_get(ns, name, &out));
	check_same(&v, &out, "namespace attribute");
	mgr_value_free(&out);
}

static void
test_values_roundtrip(void **state)
{
	(void) state;
	mgr_obj *d, *l, *ns;
	OK(mgr_dict_new(F.c, &d));
	OK(mgr_list_new(F.c, &l));
	OK(mgr_ns_new(F.c, &ns));

	static const char nul_bytes[] = { 0, 'a', 0, 'b', 0 };
	uint8_t           all_bytes[256];
	for (int i = 0; i < 256; i++) {
		all_bytes[i] = (uint8_t) i;
	}
	const char *uni      = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 "
	                       "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
	                       "\xf0\x9f\x98\x80";
	mgr_value   tup[]    = { mgr_none(), mgr_bool(true) };
	mgr_value   bl[]     = { mgr_bytes("\0x", 2), mgr_float(2.5) };
	mgr_value   dpairs[] = { mgr_str("k"), mgr_list_of(bl, 2),
		  mgr_tuple_of(tup, 2), mgr_int(-7) };
	mgr_value   single[] = { mgr_int(7) };
	mgr_value nested[] = { mgr_int(1), mgr_str("a"), mgr_tuple_of(tup, 2),
		mgr_dict_of(dpairs, 2), mgr_list_of(NULL, 0),
		mgr_tuple_of(single, 1), mgr_dict_of(NULL, 0) };

	mgr_value values[] = {
		mgr_none(),
		mgr_bool(true),
		mgr_bool(false),
		mgr_int(0),
		mgr_int(-1),
		mgr_int(INT64_MAX),
		mgr_int(INT64_MIN),
		mgr_int(1LL << 53),
		mgr_float(0.1),
		mgr_float(-0.0),
		mgr_float(1e300),
		mgr_float(-2.5),
		mgr_float(DBL_MIN),
		mgr_float(5e-324),
		mgr_float(INFINITY),
		mgr_float(-INFINITY),
		mgr_float(NAN),
		mgr_str(""),
		mgr_str("plain"),
		mgr_str(uni),
		mgr_strn("abcdef", 3),
		mgr_bytes("", 0),
		mgr_bytes(nul_bytes, sizeof(nul_bytes)),
		mgr_bytes(all_bytes, sizeof(all_bytes)),
		mgr_list_of(NULL, 0),
		mgr_tuple_of(NULL, 0),
		mgr_dict_of(NULL, 0),
		mgr_tuple_of(single, 1),
		mgr_list_of(nested, countof(nested)),
		mgr_tuple_of(nested, countof(nested)),
		mgr_dict_of(dpairs, 2),
	};
	for (size_t i = 0; i < countof(values); i++) {
		roundtrip(d, l, ns, (int64_t) i, values[i]);
	}
	assert_int_equal(dict_len(d), countof(values));
	assert_int_equal(list_len(l), countof(values));

	// Python's repr of what came back.
	mgr_value out;
	OK(mgr_list_get(l, 28, &out));
	assert_result(&out,
	    "[1, 'a', (None, True), {'k': [b'\\x00x', 2.5], "
	    "(None, True): -7}, [], (7,), {}]");
	OK(mgr_dict_get(d, mgr_int(19), &out));
	assert_result(&out,
	    "'h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 "
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
	    "\xf0\x9f\x98\x80'");
	OK(mgr_list_slice(l, 8, 17, &out));
	assert_result(&out,
	    "[0.1, -0.0, 1e+300, -2.5, 2.2250738585072014e-308, "
	    "5e-324, inf, -inf, nan]");
	OK(mgr_list_slice(l, 3, 7, &out));
	assert_result(&out,
	    "[0, -1, 9223372036854775807, "
	    "-9223372036854775808]");
	OK(mgr_dict_get(d, mgr_int(22), &out));
	assert_result(&out, "b'\\x00a\\x00b\\x00'");

	// A str cannot hold a NUL (bytes can): refused before sending.
	ERR(MGR_EINVAL, mgr_dict_set(d, mgr_int(0), mgr_strn("a\0b", 3)));
	OK(mgr_dict_get(d, mgr_int(0), &out));
	assert_result(&out, "None");

	OK(mgr_obj_release(d));
	OK(mgr_obj_release(l));
	OK(mgr_obj_release(ns));
}

/* Every hashable kind as a key, in insertion order. */
static void
test_values_as_keys(void **state)
{
	(void) state;
	mgr_obj  *d;
	mgr_value out;
	OK(mgr_dict_new(F.c, &d));
	mgr_value inner[] = { mgr_str("a"), mgr_none() };
	mgr_value tk[]    = { mgr_int(1), mgr_tuple_of(inner, 2) };
	mgr_value keys[]  = { mgr_none(), mgr_bool(true), mgr_bool(false),
		 mgr_int(0), mgr_int(INT64_MIN), mgr_float(2.5),
		 mgr_float(0.0), mgr_str(""),
		 mgr_str("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87"),
		 mgr_bytes("\0\1", 2), mgr_tuple_of(tk, 2),
		 mgr_tuple_of(NULL, 0) };
	for (size_t i = 0; i < countof(keys); i++) {
		OK(mgr_dict_set(d, keys[i], mgr_int((int64_t) i)));
	}
	assert_int_equal(dict_len(d), countof(keys));
	for (size_t i = 0; i < countof(keys); i++) {
		OK(mgr_dict_get(d, keys[i], &out));
		assert_int_equal(out.kind, MGR_INT);
		assert_int_equal(out.i, (int64_t) i);
		mgr_value_free(&out);
	}
	OK(mgr_dict_keys(d, &out));
	assert_int_equal(out.len, countof(keys));
	for (size_t i = 0; i < countof(keys); i++) {
		check_same(&keys[i], &out.items[i], "key");
	}
	mgr_value_free(&out);
	OK(mgr_obj_release(d));
}

/* Many keys: the dict grows, deletes leave holes that resizes compact, and
 * the order stays the insertion order throughout. */
static void
test_dict_many_keys(void **state)
{
	(void) state;
	enum { N = 5000 };
	mgr_obj  *d;
	mgr_value v, k;
	OK(mgr_dict_new(F.c, &d));
	for (int i = 0; i < N; i++) {
		OK(mgr_dict_set(d, mgr_int(i), mgr_int(i * 10)));
	}
	for (int i = 0; i < N; i += 2) {
		OK(mgr_dict_del(d, mgr_int(i)));
	}
	assert_int_equal(dict_len(d), N / 2);
	for (int i = 0; i < N; i += 2) {
		OK(mgr_dict_set(d, mgr_int(i), mgr_int(-i)));
	}
	assert_int_equal(dict_len(d), N);
	// Odd keys first (their original order), then the even ones again.
	OK(mgr_dict_keys(d, &v));
	assert_int_equal(v.len, N);
	for (int i = 0; i < N; i++) {
		int64_t want = i < N / 2 ? 2 * i + 1 : 2 * (i - N / 2);
		assert_int_equal(v.items[i].kind, MGR_INT);
		assert_int_equal(v.items[i].i, want);
	}
	mgr_value_free(&v);
	OK(mgr_dict_get(d, mgr_int(4321), &v));
	assert_result(&v, "43210");
	OK(mgr_dict_get(d, mgr_int(4322), &v));
	assert_result(&v, "-4322");
	OK(mgr_dict_popitem(d, &k, &v));
	assert_result(&k, "4998");
	assert_result(&v, "-4998");
	OK(mgr_obj_release(d));
}

/* Nesting: 64 levels travel both ways; 65 are refused before sending. */
static void
test_values_deep_nesting(void **state)
{
	(void) state;
	mgr_value levels[66];
	mgr_obj  *d;
	mgr_value out;
	// levels[i] is a list holding levels[i + 1]; the innermost holds 7.
	mgr_value seven = mgr_int(7);
	levels[65]      = mgr_list_of(&seven, 1);
	for (int i = 64; i >= 0; i--) {
		levels[i] = mgr_list_of(&levels[i + 1], 1);
	}
	OK(mgr_dict_new(F.c, &d));
	// levels[2] is 64 nested lists.
	OK(mgr_dict_set(d, mgr_str("deep"), levels[2]));
	OK(mgr_dict_get(d, mgr_str("deep"), &out));
	assert_true(mgr_value_equal(&out, &levels[2]));
	mgr_value_free(&out);
	// levels[1] is 65.
	ERR(MGR_ETOOBIG, mgr_dict_set(d, mgr_str("deeper"), levels[1]));
	assert_int_equal(dict_len(d), 1);
	OK(mgr_obj_release(d));
}

/* A 4 MiB value: frames much bigger than any socket buffer. */
static void
test_big_value(void **state)
{
	(void) state;
	size_t   n = (size_t) 4 << 20;
	uint8_t *b = malloc(n);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++) {
		b[i] = (uint8_t) (i * 2654435761u >> 13);
	}
	mgr_obj  *d;
	mgr_value out;
	OK(mgr_dict_new(F.c, &d));
	OK(mgr_dict_set(d, mgr_str("big"), mgr_bytes(b, n)));
	OK(mgr_dict_set(d, mgr_str("small"), mgr_int(1)));
	OK(mgr_dict_get(d, mgr_str("big"), &out));
	assert_int_equal(out.kind, MGR_BYTES);
	assert_int_equal(out.len, n);
	assert_memory_equal(out.bytes, b, n);
	mgr_value_free(&out);
	OK(mgr_dict_get(d, mgr_str("small"), &out));
	assert_result(&out, "1");
	free(b);
	OK(mgr_obj_release(d));
}

/* A reference value keeps its object alive and reads back as a proxy. */
static void
test_refs_in_containers(void **state)
{
	(void) state;
	mgr_obj  *d, *l;
	mgr_value out;
	OK(mgr_dict_new(F.c, &d));
	OK(mgr_list_new(F.c, &l));
	uint64_t lid = mgr_obj_id(l);
	OK(mgr_list_append(l, mgr_str("inner")));
	OK(mgr_dict_set(d, mgr_str("l"), mgr_ref(l)));
	OK(mgr_obj_release(l));
	assert_int_equal(info("objects_total"), F.objects0 + 2);

	OK(mgr_dict_get(d, mgr_str("l"), &out));
	assert_int_equal(out.kind, MGR_REF);
	mgr_obj *l2 = mgr_value_ref(&out);
	assert_non_null(l2);
	assert_string_equal(mgr_obj_type(l2), "list");
	assert_true(mgr_obj_id(l2) == lid);
	OK(mgr_list_append(l2, mgr_str("more")));
	assert_list(l2, "['inner', 'more']");
	mgr_value_free(&out); // releases the proxy
	assert_int_equal(info("objects_total"), F.objects0 + 2);

	// Removing the last reference frees the list.
	OK(mgr_dict_del(d, mgr_str("l")));
	assert_int_equal(info("objects_total"), F.objects0 + 1);
	OK(mgr_obj_release(d));
}

/* ---- tokens and names -------------------------------------------------- */

static void
test_tokens(void **state)
{
	(void) state;
	mgr_obj    *d, *d2, *l, *x;
	mgr_value   out;
	char        tok[64], ltok[64], want[64];
	mgr_client *c2 = connect2();

	OK(mgr_dict_new(F.c, &d));
	OK(mgr_list_new(F.c, &l));
	OK(mgr_dict_set(d, mgr_str("a"), mgr_int(1)));
	// TYPE:ID:SECRET: the secret (16 hex digits) makes it a capability.
	OK(mgr_obj_token(d, tok, sizeof(tok)));
	snprintf(want, sizeof(want), "dict:%" PRIu64 ":", mgr_obj_id(d));
	assert_int_equal(strncmp(tok, want, strlen(want)), 0);
	assert_int_equal(strlen(tok), strlen(want) + 16);
	OK(mgr_obj_token(l, ltok, sizeof(ltok)));
	snprintf(want, sizeof(want), "list:%" PRIu64 ":", mgr_obj_id(l));
	assert_int_equal(strncmp(ltok, want, strlen(want)), 0);
	ERR(MGR_ETOOBIG, mgr_obj_token(d, want, 4));
	ERR(MGR_EINVAL, mgr_obj_token(NULL, want, sizeof(want)));

	// The second client sees and changes the same object.
	OK(mgr_attach(c2, tok, &d2));
	assert_string_equal(mgr_obj_type(d2), "dict");
	assert_true(mgr_obj_id(d2) == mgr_obj_id(d));
	OK(mgr_dict_get(d2, mgr_str("a"), &out));
	assert_result(&out, "1");
	OK(mgr_dict_set(d2, mgr_str("b"), mgr_int(2)));
	assert_dict(d, "{'a': 1, 'b': 2}");

	// The token names a dict: it does not give a list proxy.
	char wrong[64];
	snprintf(wrong, sizeof(wrong), "list%s", strchr(tok, ':'));
	int rv = mgr_attach(c2, wrong, &x);
	if (rv != MGR_ENOOBJ && rv != MGR_ETYPE) {
		fail_msg("attach %s to a dict: %s", wrong, mgr_strerror(rv));
	}

	// The object lives while any session holds it.
	OK(mgr_obj_release(d));
	OK(mgr_dict_get(d2, mgr_str("b"), &out));
	assert_result(&out, "2");
	OK(mgr_obj_release(d2));
	assert_int_equal(info("objects_total"), F.objects0 + 1);
	ERR(MGR_ENOOBJ, mgr_attach(F.c, tok, &x));
	ERR(MGR_ENOOBJ, mgr_attach(c2, tok, &x));
	ERR(MGR_ENOOBJ,
	    mgr_attach(c2, "dict:999999999:0123456789abcdef", &x));

	const char *bad[] = { "", "dict", "dict:", "dict:abc", "dict:0",
		"dict:12x", "dict:-1", "dict: 1", ":", "dict:1:2", "dict:1",
		"dict:1:0123456789abcdeg", "dict:1:0123456789abcdef0" };
	for (size_t i = 0; i < countof(bad); i++) {
		rv = mgr_attach(c2, bad[i], &x);
		if (rv != MGR_EINVAL) {
			fail_msg("token '%s': %s, want MGR_EINVAL", bad[i],
			    mgr_strerror(rv));
		}
	}
	ERR(MGR_EINVAL, mgr_attach(c2, NULL, &x));
	ERR(MGR_EINVAL, mgr_attach(NULL, ltok, &x));

	// A list token works too, and the list is still there.
	OK(mgr_attach(c2, ltok, &x));
	assert_string_equal(mgr_obj_type(x), "list");
	OK(mgr_obj_release(x));
	OK(mgr_obj_release(l));
	mgr_disconnect(c2);
}

static void
test_names(void **state)
{
	(void) state;
	mgr_obj    *d, *d2, *l, *x;
	mgr_value   out;
	mgr_client *c2     = connect2();
	int64_t     names0 = info("names");

	OK(mgr_dict_new(F.c, &d));
	OK(mgr_dict_set(d, mgr_str("v"), mgr_str("pinned")));
	OK(mgr_name_set(F.c, "test.names.a", d));
	assert_int_equal(info("names"), names0 + 1);
	// The name pins the object after every proxy is released.
	OK(mgr_obj_release(d));
	assert_int_equal(info("objects_total"), F.objects0 + 1);

	OK(mgr_name_get(c2, "test.names.a", &d2));
	assert_string_equal(mgr_obj_type(d2), "dict");
	OK(mgr_dict_get(d2, mgr_str("v"), &out));
	assert_result(&out, "'pinned'");

	ERR(MGR_EKEY, mgr_name_get(F.c, "test.names.missing", &x));
	ERR(MGR_EKEY, mgr_name_del(F.c, "test.names.missing"));
	ERR(MGR_EINVAL, mgr_name_get(F.c, "", &x));
	ERR(MGR_EINVAL, mgr_name_get(F.c, NULL, &x));
	ERR(MGR_EINVAL, mgr_name_set(F.c, "", d2 /* not F.c's */));
	ERR(MGR_EINVAL, mgr_name_set(F.c, "test.names.b", NULL));
	// A proxy of another client can't be named through this one.
	ERR(MGR_EINVAL, mgr_name_set(F.c, "test.names.b", d2));

	// name_set replaces: the name now pins the list, the dict lives on
	// through c2's proxy only.
	OK(mgr_list_new(F.c, &l));
	OK(mgr_list_append(l, mgr_int(42)));
	OK(mgr_name_set(F.c, "test.names.a", l));
	assert_int_equal(info("names"), names0 + 1);
	OK(mgr_name_get(F.c, "test.names.a", &x));
	assert_string_equal(mgr_obj_type(x), "list");
	assert_list(x, "[42]");
	OK(mgr_obj_release(x));
	OK(mgr_obj_release(d2)); // the dict's last holder: freed
	assert_int_equal(info("objects_total"), F.objects0 + 1);
	OK(mgr_obj_release(l)); // pinned by the name
	assert_int_equal(info("objects_total"), F.objects0 + 1);

	// A name outlives the session that set it.
	mgr_client *c3 = connect2();
	mgr_obj    *ns;
	OK(mgr_ns_new(c3, &ns));
	OK(mgr_ns_set(ns, "who", mgr_str("c3")));
	OK(mgr_name_set(c3, "test.names.b", ns));
	mgr_disconnect(c3);
	OK(mgr_obj_release(ns)); // after disconnect: only frees memory
	OK(mgr_name_get(c2, "test.names.b", &x));
	OK(mgr_ns_get(x, "who", &out));
	assert_result(&out, "'c3'");
	OK(mgr_obj_release(x));

	OK(mgr_name_del(c2, "test.names.b"));
	OK(mgr_name_del(F.c, "test.names.a"));
	ERR(MGR_EKEY, mgr_name_get(F.c, "test.names.a", &x));
	ERR(MGR_EKEY, mgr_name_del(F.c, "test.names.a"));
	assert_int_equal(info("names"), names0);
	// c3's session may still be ending on the manager's side.
	await_info("objects_total", NULL, F.objects0);
	mgr_disconnect(c2);
}

/* ---- statistics -------------------------------------------------------- */

/* mgr.h documents these keys of mgr_info. */
static void
test_info_keys(void **state)
{
	(void) state;
	mgr_value v;
	OK(mgr_info(F.c, &v));
	assert_int_equal(v.kind, MGR_DICT);
	const char *keys[] = { "objects", "objects_total", "sessions",
		"requests", "names", "waiters", "uptime_ms", "pid" };
	for (size_t k = 0; k < countof(keys); k++) {
		const mgr_value *val = NULL;
		for (size_t i = 0; i < v.len; i++) {
			if (v.pairs[2 * i].kind == MGR_STR
			    && strcmp(v.pairs[2 * i].s, keys[k]) == 0) {
				val = &v.pairs[2 * i + 1];
			}
		}
		if (val == NULL) {
			mgr_value_free(&v);
			fail_msg("mgr_info has no '%s'", keys[k]);
		}
		assert_int_equal(val->kind, k == 0 ? MGR_DICT : MGR_INT);
		if (k > 0) {
			assert_true(val->i >= 0);
		}
	}
	mgr_value_free(&v);
}

static void
test_info_counts(void **state)
{
	(void) state;
	int64_t pid = info("pid");
	assert_int_equal(pid, F.m.pid);
	int64_t d0 = info_objects("dict"), l0 = info_objects("list"),
	        n0 = info_objects("namespace");
	assert_int_equal(info_objects_sum(), F.objects0);
	int64_t u0 = info("uptime_ms");
	assert_true(u0 >= 0);

	mgr_obj *d1, *d2, *l, *ns;
	OK(mgr_dict_new(F.c, &d1));
	OK(mgr_dict_new(F.c, &d2));
	OK(mgr_list_new(F.c, &l));
	OK(mgr_ns_new(F.c, &ns));
	assert_int_equal(info_objects("dict"), d0 + 2);
	assert_int_equal(info_objects("list"), l0 + 1);
	assert_int_equal(info_objects("namespace"), n0 + 1);
	assert_int_equal(info("objects_total"), F.objects0 + 4);

	// Requests: three calls and the second mgr_info itself.
	int64_t r1 = info("requests");
	size_t  n;
	for (int i = 0; i < 3; i++) {
		OK(mgr_dict_len(d1, &n));
	}
	int64_t r2 = info("requests");
	assert_int_equal(r2 - r1, 4);

	// Sessions: one per connected client. Earlier tests' clients end
	// asynchronously: first wait until only the fixture's is left.
	await_info("sessions", NULL, 1);
	int64_t     s0 = info("sessions");
	mgr_client *c2 = connect2();
	await_info("sessions", NULL, s0 + 1);
	mgr_disconnect(c2);
	await_info("sessions", NULL, s0);

	assert_true(info("uptime_ms") >= u0);

	OK(mgr_obj_release(d1));
	OK(mgr_obj_release(d2));
	OK(mgr_obj_release(l));
	OK(mgr_obj_release(ns));
	// Everything released: the counts are back.
	assert_int_equal(info_objects("dict"), d0);
	assert_int_equal(info_objects("list"), l0);
	assert_int_equal(info_objects("namespace"), n0);
	assert_int_equal(info("objects_total"), F.objects0);
	assert_int_equal(info_objects_sum(), F.objects0);
}

/* ---- threads ----------------------------------------------------------- */

#define T8   8
#define T8_N 100

typedef struct t8_worker {
	pthread_t t;
	int       id;
	mgr_obj  *shared_list;
	mgr_obj  *shared_dict;
	char      err[256];
} t8_worker;

#define T8_CHECK(w, call)                                                    \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			snprintf((w)->err, sizeof((w)->err), "%s: %s (%s)",  \
			    #call, mgr_strerror(rv_), mgr_errdetail());      \
			goto out;                                            \
		}                                                            \
	} while (0)

static void *
t8_main(void *arg)
{
	t8_worker *w   = arg;
	mgr_obj   *own = NULL;
	uint8_t   *big = NULL;
	mgr_value  v   = mgr_none();
	char       s[64];

	T8_CHECK(w, mgr_dict_new(F.c, &own));
	if (w->id == 0) {
		// One thread moves a big value meanwhile.
		big = malloc(256 << 10);
		memset(big, 0xab, 256 << 10);
		T8_CHECK(w,
		    mgr_dict_set(
		        own, mgr_str("big"), mgr_bytes(big, 256 << 10)));
	}
	for (int k = 0; k < T8_N; k++) {
		snprintf(s, sizeof(s), "t%d-%d", w->id, k);
		T8_CHECK(w, mgr_dict_set(own, mgr_int(k), mgr_str(s)));
		T8_CHECK(w, mgr_dict_get(own, mgr_int(k), &v));
		if (v.kind != MGR_STR || strcmp(v.s, s) != 0) {
			snprintf(w->err, sizeof(w->err),
			    "got another value "
			    "for %s",
			    s);
			goto out;
		}
		mgr_value_free(&v);
		mgr_value item[] = { mgr_int(w->id), mgr_int(k) };
		T8_CHECK(w,
		    mgr_list_append(w->shared_list, mgr_tuple_of(item, 2)));
		T8_CHECK(w,
		    mgr_dict_incr(
		        w->shared_dict, mgr_str("ctr"), mgr_int(1), NULL));
	}
	size_t n;
	T8_CHECK(w, mgr_dict_len(own, &n));
	if (n != (size_t) T8_N + (w->id == 0)) {
		snprintf(w->err, sizeof(w->err), "own dict has %zu keys", n);
		goto out;
	}
	if (big != NULL) {
		T8_CHECK(w, mgr_dict_get(own, mgr_str("big"), &v));
		if (v.kind != MGR_BYTES || v.len != (256 << 10)
		    || memcmp(v.bytes, big, v.len) != 0) {
			snprintf(w->err, sizeof(w->err), "big value changed");
		}
	}
out:
	mgr_value_free(&v);
	free(big);
	if (own != NULL) {
		mgr_obj_release(own);
	}
	return NULL;
}

static void
test_eight_threads_one_client(void **state)
{
	(void) state;
	mgr_obj  *l, *d;
	t8_worker w[T8];
	OK(mgr_list_new(F.c, &l));
	OK(mgr_dict_new(F.c, &d));
	for (int i = 0; i < T8; i++) {
		w[i] = (t8_worker) {
			.id = i, .shared_list = l, .shared_dict = d
		};
		assert_int_equal(
		    pthread_create(&w[i].t, NULL, t8_main, &w[i]), 0);
	}
	for (int i = 0; i < T8; i++) {
		pthread_join(w[i].t, NULL);
	}
	for (int i = 0; i < T8; i++) {
		if (w[i].err[0] != '\0') {
			fail_msg("thread %d: %s", i, w[i].err);
		}
	}
	// Every append arrived, each thread's in its own order.
	mgr_value v;
	OK(mgr_list_copy(l, &v));
	assert_int_equal(v.len, T8 * T8_N);
	int next[T8] = { 0 };
	for (size_t i = 0; i < v.len; i++) {
		const mgr_value *t = &v.items[i];
		assert_int_equal(t->kind, MGR_TUPLE);
		assert_int_equal(t->len, 2);
		int64_t id = t->items[0].i, k = t->items[1].i;
		assert_true(id >= 0 && id < T8);
		assert_int_equal(k, next[id]);
		next[id]++;
	}
	mgr_value_free(&v);
	OK(mgr_dict_get(d, mgr_str("ctr"), &v));
	assert_result(&v, "800");
	OK(mgr_obj_release(l));
	OK(mgr_obj_release(d));
}

/* ---- connection ends --------------------------------------------------- */

static void
test_use_after_disconnect(void **state)
{
	(void) state;
	mgr_client *c2 = connect2();
	mgr_obj    *d, *l, *ns, *x;
	mgr_value   v = mgr_int(5);
	size_t      n = 5;
	char        tok[64];
	OK(mgr_dict_new(c2, &d));
	OK(mgr_list_new(c2, &l));
	OK(mgr_ns_new(c2, &ns));
	OK(mgr_dict_set(d, mgr_str("x"), mgr_int(1)));
	OK(mgr_obj_token(d, tok, sizeof(tok)));
	assert_int_equal(info("objects_total"), F.objects0 + 3);

	OK(mgr_disconnect(c2));
	ERR(MGR_ECLOSED, mgr_dict_set(d, mgr_str("y"), mgr_int(2)));
	ERR(MGR_ECLOSED, mgr_dict_get(d, mgr_str("x"), &v));
	ERR(MGR_ECLOSED, mgr_dict_len(d, &n));
	ERR(MGR_ECLOSED, mgr_list_append(l, mgr_int(1)));
	ERR(MGR_ECLOSED, mgr_list_len(l, &n));
	ERR(MGR_ECLOSED, mgr_ns_get(ns, "x", &v));
	assert_int_equal(v.kind, MGR_INT); // outputs untouched
	assert_int_equal(n, 5);

	// The manager dropped the session's references: the objects are
	// gone, and releasing the proxies only frees them (ASan checks).
	await_info("objects_total", NULL, F.objects0);
	ERR(MGR_ENOOBJ, mgr_attach(F.c, tok, &x));
	assert_int_equal(mgr_obj_release(d), 0);
	assert_int_equal(mgr_obj_release(l), 0);
	assert_int_equal(mgr_obj_release(ns), 0);
	OK(mgr_disconnect(NULL));
}

typedef struct busy_worker {
	pthread_t t;
	mgr_obj  *d;
	int       rv;
	long      calls;
} busy_worker;

static void *
busy_main(void *arg)
{
	busy_worker *w = arg;
	for (;;) {
		int rv = mgr_dict_set(w->d, mgr_str("k"), mgr_int(1));
		if (rv != 0) {
			w->rv = rv;
			return NULL;
		}
		__atomic_add_fetch(&w->calls, 1, __ATOMIC_RELAXED);
	}
}

static void
test_managerd_killed(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *d, *d2, *x;
	assert_int_equal(h_managerd_start(&m, F.t, NULL), 0);
	if (h_connect(&m, &c) != 0) {
		h_managerd_cleanup(&m);
		fail();
	}
	OK(mgr_dict_new(c, &d));
	OK(mgr_dict_new(c, &d2));
	OK(mgr_dict_set(d, mgr_str("k"), mgr_int(1)));

	// One thread keeps calling while the manager dies under it.
	busy_worker w = { .d = d2 };
	assert_int_equal(pthread_create(&w.t, NULL, busy_main, &w), 0);
	while (__atomic_load_n(&w.calls, __ATOMIC_RELAXED) < 10) {
		h_nap(1);
	}
	assert_int_equal(h_managerd_kill(&m), 0);

	int64_t t0 = h_now_ms();
	ERR(MGR_ECONN, mgr_dict_set(d, mgr_str("k"), mgr_int(2)));
	int64_t dt = h_now_ms() - t0;
	if (dt > 2000) {
		fail_msg("MGR_ECONN took %" PRId64 " ms", dt);
	}
	// The busy thread's call in flight fails promptly too.
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	if (pthread_timedjoin_np(w.t, NULL, &until) != 0) {
		fail_msg("a call in flight did not return within 5 s of the "
		         "manager's death");
	}
	assert_int_equal(w.rv, MGR_ECONN);

	size_t n;
	ERR(MGR_ECONN, mgr_dict_len(d, &n));
	ERR(MGR_ECONN, mgr_dict_new(c, &x));
	ERR(MGR_ECONN, mgr_name_get(c, "x", &x));
	assert_int_equal(mgr_obj_release(d), 0);
	assert_int_equal(mgr_obj_release(d2), 0);
	t0 = h_now_ms();
	OK(mgr_disconnect(c));
	assert_true(h_now_ms() - t0 < 2000);

	// Nobody listens there any more.
	mgr_opts o        = h_opts(&m);
	o.connect_timeout = 2000;
	t0                = h_now_ms();
	ERR(MGR_ECONN, mgr_connect(&c, m.url, &o));
	assert_true(h_now_ms() - t0 < 3000);
	h_managerd_cleanup(&m);
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

/* Knowing ids is not enough: a sweep of ids without their secrets (tokens
 * made by hand) attaches nothing, and a request by hand on another
 * session's object without its secret is refused as a stale id. */
static void
test_ids_are_not_capabilities(void **state)
{
	(void) state;
	mgr_obj *d, *x;
	char     tok[80];
	OK(mgr_dict_new(F.c, &d));
	OK(mgr_dict_set(d, mgr_str("secret"), mgr_int(42)));
	mgr_client *c2  = connect2();
	int         got = 0;
	for (uint64_t id = 1; id <= mgr_obj_id(d) + 5; id++) {
		for (uint64_t guess = 0; guess < 4; guess++) {
			snprintf(tok, sizeof(tok),
			    "dict:%" PRIu64 ":%016" PRIx64, id, guess);
			if (mgr_attach(c2, tok, &x) == 0) {
				got++;
				mgr_obj_release(x);
			}
		}
	}
	assert_int_equal(got, 0);
	// A proxy made up from the id alone (secret 0) gets nothing either.
	mgr_obj forged
	    = { .client = c2, .id = d->id, .secret = 0, .type = d->type };
	mgr_value v;
	ERR(MGR_ENOOBJ, mgr_dict_get(&forged, mgr_str("secret"), &v));
	ERR(MGR_ENOOBJ, mgr_dict_clear(&forged));
	// Nor does a reference made up from it, stored in one's own dict.
	mgr_obj *mine;
	OK(mgr_dict_new(c2, &mine));
	ERR(MGR_ENOOBJ, mgr_dict_set(mine, mgr_str("k"), mgr_ref(&forged)));
	OK(mgr_obj_release(mine));
	OK(mgr_dict_get(d, mgr_str("secret"), &v)); // untouched
	assert_result(&v, "42");
	int64_t s1 = info("sessions");
	mgr_disconnect(c2);
	await_info("sessions", NULL, s1 - 1); // gone before the next test
	OK(mgr_obj_release(d));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_values_roundtrip),
		T(test_values_as_keys),
		T(test_dict_many_keys),
		T(test_values_deep_nesting),
		T(test_big_value),
		T(test_refs_in_containers),
		T(test_tokens),
		T(test_ids_are_not_capabilities),
		T(test_names),
		T(test_info_keys),
		T(test_info_counts),
		T(test_eight_threads_one_client),
		T(test_use_after_disconnect),
		T(test_managerd_killed),
	};
	int failed = 0;
	failed += cmocka_run_group_tests_name(
	    "sharing over ipc", tests, group_setup_ipc, group_teardown);
	failed += cmocka_run_group_tests_name(
	    "sharing over tcp", tests, group_setup_tcp, group_teardown);
	return failed == 0 ? 0 : 1;
}
