/* libmgr's value codec, error names and details, the argument checks the
 * dict/list/namespace proxies make before sending anything, then those
 * proxies (and refs) through an embedded manager. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "value_fixture.h"

/* ---- codec ------------------------------------------------------------- */

/* v -> protobuf -> bytes -> protobuf -> *out, as a request and reply
 * would carry it. Returns codec_from_pb's result. */
static int
roundtrip(mgr_client *c, const mgr_value *v, mgr_value *out)
{
	arena       a;
	Mgr__Value  pb;
	Mgr__Value *back;
	uint8_t    *wire;
	size_t      n;
	int         rv;

	arena_init(&a);
	assert_int_equal(codec_to_pb(c, v, &a, &pb), 0);
	n    = mgr__value__get_packed_size(&pb);
	wire = malloc(n > 0 ? n : 1);
	assert_non_null(wire);
	assert_int_equal(mgr__value__pack(&pb, wire), n);
	arena_fini(&a);
	back = mgr__value__unpack(NULL, n, wire);
	free(wire);
	assert_non_null(back);
	rv = codec_from_pb(NULL, back, out);
	mgr__value__free_unpacked(back, NULL);
	return rv;
}

static void
test_codec_roundtrip(void **state)
{
	(void) state;
	for (size_t k = 0; k < NCASES; k++) {
		mgr_value back;
		assert_int_equal(roundtrip(NULL, &cases[k].v, &back), 0);
		assert_true(mgr_value_equal(&back, &cases[k].v));
		assert_string_equal(repr_of(&back), cases[k].repr);
		assert_owned(&back);
		mgr_value_free(&back);
	}

	// The seed dict with the constructors, and bytes with every byte.
	unsigned char all[256];
	for (int k = 0; k < 256; k++) {
		all[k] = (unsigned char) k;
	}
	mgr_value pairs[] = { mgr_int(1), mgr_str("1"), mgr_str("2"),
		mgr_int(2), mgr_float(0.25), mgr_none(), mgr_bytes(all, 256),
		mgr_bytes(NULL, 0) };
	mgr_value d       = mgr_dict_of(pairs, 4);
	mgr_value back;
	assert_int_equal(roundtrip(NULL, &d, &back), 0);
	assert_true(mgr_value_equal(&back, &d));
	assert_int_equal(back.pairs[6].len, 256);
	assert_memory_equal(back.pairs[6].bytes, all, 256);
	mgr_value_free(&back);

	// mgr_strn into a longer buffer sends exactly len bytes.
	mgr_value s = mgr_strn("hello world", 5);
	assert_int_equal(roundtrip(NULL, &s, &back), 0);
	assert_int_equal(back.kind, MGR_STR);
	assert_int_equal(back.len, 5);
	assert_string_equal(back.s, "hello");
	mgr_value_free(&back);
}

static void
test_codec_ref(void **state)
{
	(void) state;
	int      cl;
	mgr_obj *p = obj_new(NULL, 17, 0, MGR__OBJ_TYPE__OBJ_DICT);
	mgr_obj *q = obj_new(NULL, 18, 0, MGR__OBJ_TYPE__OBJ_QUEUE);
	assert_non_null(p);
	assert_non_null(q);
	mgr_value kv[] = { mgr_ref(q), mgr_ref(p) };
	mgr_value it[] = { mgr_ref(p), mgr_dict_of(kv, 1) };
	mgr_value v    = mgr_list_of(it, 2);
	mgr_value back;

	// Decoded without a client, refs become detached proxies (ids and
	// types kept) that the value owns and mgr_value_free releases.
	assert_int_equal(roundtrip(NULL, &v, &back), 0);
	assert_true(mgr_value_equal(&back, &v));
	assert_string_equal(repr_of(&back),
	    "[<RefProxy dict id=17>, {<RefProxy queue id=18>: "
	    "<RefProxy dict id=17>}]");
	assert_owned(&back);
	assert_ptr_not_equal(mgr_value_ref(&back.items[0]), p);
	assert_int_equal(mgr_obj_id(mgr_value_ref(&back.items[0])), 17);
	mgr_value_free(&back);

	// A ref must belong to the client the request goes to.
	arena      a;
	Mgr__Value pb;
	arena_init(&a);
	assert_int_equal(
	    codec_to_pb((mgr_client *) &cl, &v, &a, &pb), MGR_EINVAL);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), 0);
	assert_int_equal(pb.list->items[0]->kind_case, MGR__VALUE__KIND_REF);
	assert_int_equal(pb.list->items[0]->ref->id, 17);
	assert_int_equal(
	    pb.list->items[0]->ref->type, MGR__OBJ_TYPE__OBJ_DICT);
	arena_fini(&a);

	mgr_obj_release(p);
	mgr_obj_release(q);
}

/* n containers nested in one another (kind LIST, TUPLE or DICT, a dict
 * holding the next level as the value of key 'k') around an int; level k
 * is v[3k], its items from v[3k+1]. free() the result. */
static mgr_value *
nest(mgr_kind kind, int n)
{
	mgr_value *v = calloc(3 * ((size_t) n + 1), sizeof(mgr_value));
	assert_non_null(v);
	v[3 * n] = mgr_int(7);
	for (int k = n - 1; k >= 0; k--) {
		v[3 * k + 1] = mgr_str("k");
		v[3 * k + 2] = v[3 * (k + 1)];
		if (kind == MGR_DICT) {
			v[3 * k] = mgr_dict_of(&v[3 * k + 1], 1);
		} else if (kind == MGR_LIST) {
			v[3 * k] = mgr_list_of(&v[3 * k + 2], 1);
		} else {
			v[3 * k] = mgr_tuple_of(&v[3 * k + 2], 1);
		}
	}
	return v;
}

static void
test_codec_depth(void **state)
{
	(void) state;
	mgr_kind kinds[] = { MGR_LIST, MGR_TUPLE, MGR_DICT };
	for (size_t k = 0; k < 3; k++) {
		for (int n = 63; n <= 65; n++) {
			mgr_value *v = nest(kinds[k], n);
			arena      a;
			Mgr__Value pb;
			arena_init(&a);
			int rv = codec_to_pb(NULL, v, &a, &pb);
			assert_int_equal(rv, n <= 64 ? 0 : MGR_ETOOBIG);
			arena_fini(&a);
			if (n <= 64) {
				mgr_value back;
				assert_int_equal(
				    roundtrip(NULL, v, &back), 0);
				assert_true(mgr_value_equal(&back, v));
				mgr_value_free(&back);
			}
			free(v);
		}
	}

	// Decoding refuses the same depth (a manager could send it).
	for (int n = 64; n <= 65; n++) {
		Mgr__Value *vals = calloc((size_t) n + 1, sizeof(Mgr__Value));
		Mgr__Seq   *seqs = calloc((size_t) n, sizeof(Mgr__Seq));
		Mgr__Value *ptrs[65];
		assert_non_null(vals);
		assert_non_null(seqs);
		for (int k = 0; k <= n; k++) {
			mgr__value__init(&vals[k]);
		}
		for (int k = 0; k < n; k++) {
			mgr__seq__init(&seqs[k]);
			ptrs[k]           = &vals[k + 1];
			seqs[k].n_items   = 1;
			seqs[k].items     = &ptrs[k];
			vals[k].kind_case = MGR__VALUE__KIND_LIST;
			vals[k].list      = &seqs[k];
		}
		vals[n].kind_case = MGR__VALUE__KIND_S;
		vals[n].s         = "deep";

		mgr_value back = mgr_int(5);
		int       rv   = codec_from_pb(NULL, &vals[0], &back);
		assert_int_equal(rv, n <= 64 ? 0 : MGR_EPROTO);
		if (rv == 0) {
			mgr_value *x = &back;
			for (int k = 0; k < n; k++) {
				assert_int_equal(x->kind, MGR_LIST);
				x = &x->items[0];
			}
			assert_string_equal(x->s, "deep");
		} else {
			assert_int_equal(back.kind, MGR_NONE);
		}
		mgr_value_free(&back);
		free(vals);
		free(seqs);
	}
}

static void
test_codec_encode_errors(void **state)
{
	(void) state;
	arena      a;
	Mgr__Value pb;
	mgr_value  v;
	arena_init(&a);

	v = mgr_strn("a\0b", 3);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	assert_string_not_equal(mgr_errdetail(), "");
	v = mgr_str(NULL);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	v = mgr_bytes(NULL, 4);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	v = mgr_list_of(NULL, 1);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	v = mgr_dict_of(NULL, 1);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	v = mgr_ref(NULL);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	v = (mgr_value) { .kind = (mgr_kind) 77 };
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);
	// Deep inside a container too.
	mgr_value it[] = { mgr_int(1), mgr_strn("x\0", 2) };
	v              = mgr_tuple_of(it, 2);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), MGR_EINVAL);

	v = mgr_int(1);
	assert_int_equal(codec_to_pb(NULL, NULL, &a, &pb), MGR_EINVAL);
	assert_int_equal(codec_to_pb(NULL, &v, NULL, &pb), MGR_EINVAL);
	assert_int_equal(codec_to_pb(NULL, &v, &a, NULL), MGR_EINVAL);

	// Empty containers with NULL arrays are fine.
	v = mgr_dict_of(NULL, 0);
	assert_int_equal(codec_to_pb(NULL, &v, &a, &pb), 0);
	assert_int_equal(pb.kind_case, MGR__VALUE__KIND_DICT);
	assert_int_equal(pb.dict->n_keys, 0);
	arena_fini(&a);
}

/* Decodes raw wire bytes of a Value. */
static int
decode_wire(const uint8_t *wire, size_t n, mgr_value *out)
{
	Mgr__Value *pb = mgr__value__unpack(NULL, n, wire);
	int         rv;
	assert_non_null(pb);
	rv = codec_from_pb(NULL, pb, out);
	mgr__value__free_unpacked(pb, NULL);
	return rv;
}

static void
test_codec_decode_errors(void **state)
{
	(void) state;
	mgr_value  out = mgr_int(3);
	Mgr__Value pb  = MGR__VALUE__INIT;

	// No kind at all.
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
	assert_int_equal(out.kind, MGR_NONE);
	assert_int_equal(codec_from_pb(NULL, NULL, &out), MGR_EPROTO);
	assert_int_equal(codec_from_pb(NULL, &pb, NULL), MGR_EINVAL);

	// A dict with 2 keys and 1 value, on the wire: field 9 (Map) with
	// keys {i: 1}, {i: 2} and values {s: "v"}.
	static const uint8_t unequal[] = { 0x4a, 0x0e, 0x0a, 0x02, 0x18, 0x02,
		0x0a, 0x02, 0x18, 0x04, 0x12, 0x04, 0x2a, 0x02, 'v', 'v' };
	out                            = mgr_int(3);
	assert_int_equal(
	    decode_wire(unequal, sizeof(unequal), &out), MGR_EPROTO);
	assert_int_equal(out.kind, MGR_NONE);
	// The same with one key decodes.
	static const uint8_t equal[] = { 0x4a, 0x0a, 0x0a, 0x02, 0x18, 0x02,
		0x12, 0x04, 0x2a, 0x02, 'v', 'v' };
	assert_int_equal(decode_wire(equal, sizeof(equal), &out), 0);
	assert_string_equal(repr_of(&out), "{1: 'vv'}");
	mgr_value_free(&out);

	// A list whose third item has no kind: the strings decoded before
	// it are freed (ASan/valgrind).
	static const uint8_t badlist[] = { 0x3a, 0x0e, 0x0a, 0x04, 0x2a, 0x02,
		'a', 'b', 0x0a, 0x04, 0x32, 0x02, 'c', 'd', 0x0a, 0x00 };
	assert_int_equal(
	    decode_wire(badlist, sizeof(badlist), &out), MGR_EPROTO);
	assert_int_equal(out.kind, MGR_NONE);

	// A ref without an id, and one of an unknown type (99): the proxy
	// made for it is released again.
	static const uint8_t noid[] = { 0x52, 0x02, 0x10, 0x01 };
	static const uint8_t badtype[]
	    = { 0x52, 0x04, 0x08, 0x11, 0x10, 0x63 };
	static const uint8_t goodref[]
	    = { 0x52, 0x04, 0x08, 0x11, 0x10, 0x01 };
	assert_int_equal(decode_wire(noid, sizeof(noid), &out), MGR_EPROTO);
	assert_int_equal(
	    decode_wire(badtype, sizeof(badtype), &out), MGR_EPROTO);
	assert_int_equal(decode_wire(goodref, sizeof(goodref), &out), 0);
	assert_string_equal(repr_of(&out), "<RefProxy dict id=17>");
	mgr_value_free(&out);

	// Kinds whose message is missing (hand-built trees).
	pb.kind_case = MGR__VALUE__KIND_LIST;
	pb.list      = NULL;
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
	pb.kind_case = MGR__VALUE__KIND_DICT;
	pb.dict      = NULL;
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
	pb.kind_case = MGR__VALUE__KIND_REF;
	pb.ref       = NULL;
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
	pb.kind_case = MGR__VALUE__KIND_S;
	pb.s         = NULL;
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
	pb.kind_case = (Mgr__Value__KindCase) 55;
	assert_int_equal(codec_from_pb(NULL, &pb, &out), MGR_EPROTO);
}

/* ---- errors ------------------------------------------------------------ */

static void
test_strerror(void **state)
{
	(void) state;
	for (int e = 0; e < MGR_ENUMERRORS; e++) {
		const char *s = mgr_strerror(e);
		assert_non_null(s);
		assert_int_equal(strncmp(s, "MGR_", 4), 0);
		assert_non_null(strstr(s, ": "));
		for (int f = 0; f < e; f++) {
			assert_string_not_equal(s, mgr_strerror(f));
		}
	}
	assert_string_equal(mgr_strerror(MGR_EKEY),
	    "MGR_EKEY: no such key, attribute or name");
	assert_int_equal(
	    strncmp(mgr_strerror(MGR_ETOOBIG), "MGR_ETOOBIG:", 12), 0);
	assert_non_null(mgr_strerror(-1));
	assert_non_null(mgr_strerror(MGR_ENUMERRORS));
	assert_non_null(mgr_strerror(1000));
}

static void *
detail_thread(void *arg)
{
	(void) arg;
	// A new thread starts with no detail, and sets only its own.
	bool clean = strcmp(mgr_errdetail(), "") == 0;
	client_set_detail("other thread %d", 2);
	return clean && strcmp(mgr_errdetail(), "other thread 2") == 0
	    ? (void *) 1
	    : NULL;
}

static void
test_errdetail(void **state)
{
	(void) state;
	pthread_t t;
	void     *ok = NULL;

	client_set_detail("no such key: '%s'", "x");
	assert_string_equal(mgr_errdetail(), "no such key: 'x'");
	assert_int_equal(pthread_create(&t, NULL, detail_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &ok), 0);
	assert_non_null(ok);
	assert_string_equal(mgr_errdetail(), "no such key: 'x'");

	// Long details are cut, never overflow.
	char big[2000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	client_set_detail("%s", big);
	assert_true(strlen(mgr_errdetail()) > 100);
	assert_true(strlen(mgr_errdetail()) < sizeof(big) - 1);
	client_set_detail("%s", "");
	assert_string_equal(mgr_errdetail(), "");
}

/* ---- proxies: argument checks made before sending ---------------------- */

/* A proxy of a client that does not exist: obj_call refuses it by its type
 * (MGR_ETYPE) before touching the client, so MGR_EINVAL below can only
 * come from the wrappers' own checks, made before any call. */
static int fake_client;
static mgr_obj *
fake(Mgr__ObjType type)
{
	static mgr_obj o;
	o = (mgr_obj) {
		.client = (mgr_client *) &fake_client, .id = 9, .type = type
	};
	return &o;
}

static void
test_proxy_checks(void **state)
{
	(void) state;
	mgr_value v = mgr_int(1);
	mgr_value out;
	size_t    n;
	bool      b;
	int64_t   i;
	mgr_obj  *o;
	mgr_obj  *q = fake(MGR__OBJ_TYPE__OBJ_QUEUE);

	// Outputs checked first.
	assert_int_equal(mgr_dict_get(q, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_contains(q, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_len(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_pop(q, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_popitem(q, NULL, &out), MGR_EINVAL);
	assert_int_equal(mgr_dict_popitem(q, &out, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_setdefault(q, v, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_keys(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_values(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_items(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_copy(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_get(q, 0, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_pop(q, 0, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_index(q, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_count(q, v, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_len(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_slice(q, 0, 1, NULL), MGR_EINVAL);
	assert_int_equal(mgr_list_copy(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_ns_get(q, "a", NULL), MGR_EINVAL);
	assert_int_equal(mgr_ns_items(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_ns_set(q, NULL, v), MGR_EINVAL);
	assert_int_equal(mgr_ns_get(q, NULL, &out), MGR_EINVAL);
	assert_int_equal(mgr_ns_del(q, NULL), MGR_EINVAL);
	assert_int_equal(mgr_dict_new(NULL, &o), MGR_EINVAL);
	assert_int_equal(mgr_list_new(NULL, &o), MGR_EINVAL);
	assert_int_equal(mgr_ns_new(NULL, &o), MGR_EINVAL);
	assert_int_equal(
	    mgr_dict_new((mgr_client *) &fake_client, NULL), MGR_EINVAL);
	assert_int_equal(
	    mgr_list_new((mgr_client *) &fake_client, NULL), MGR_EINVAL);
	assert_int_equal(
	    mgr_ns_new((mgr_client *) &fake_client, NULL), MGR_EINVAL);

	// Each call is refused on a proxy of another type.
	mgr_obj *d = fake(MGR__OBJ_TYPE__OBJ_LIST);
	assert_int_equal(mgr_dict_set(d, v, v), MGR_ETYPE);
	assert_int_equal(mgr_dict_get(d, v, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_del(d, v), MGR_ETYPE);
	assert_int_equal(mgr_dict_contains(d, v, &b), MGR_ETYPE);
	assert_int_equal(mgr_dict_len(d, &n), MGR_ETYPE);
	assert_int_equal(mgr_dict_pop(d, v, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_popitem(d, &out, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_setdefault(d, v, v, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_update(d, v), MGR_ETYPE);
	assert_int_equal(mgr_dict_clear(d), MGR_ETYPE);
	assert_int_equal(mgr_dict_keys(d, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_values(d, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_items(d, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_copy(d, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_incr(d, v, v, &out), MGR_ETYPE);
	assert_int_equal(mgr_dict_incr(d, v, v, NULL), MGR_ETYPE);
	mgr_obj *l = fake(MGR__OBJ_TYPE__OBJ_DICT);
	assert_int_equal(mgr_list_append(l, v), MGR_ETYPE);
	assert_int_equal(mgr_list_extend(l, v), MGR_ETYPE);
	assert_int_equal(mgr_list_insert(l, 0, v), MGR_ETYPE);
	assert_int_equal(mgr_list_get(l, 0, &out), MGR_ETYPE);
	assert_int_equal(mgr_list_set(l, 0, v), MGR_ETYPE);
	assert_int_equal(mgr_list_del(l, 0), MGR_ETYPE);
	assert_int_equal(mgr_list_pop(l, -1, &out), MGR_ETYPE);
	assert_int_equal(mgr_list_remove(l, v), MGR_ETYPE);
	assert_int_equal(mgr_list_index(l, v, &i), MGR_ETYPE);
	assert_int_equal(mgr_list_count(l, v, &n), MGR_ETYPE);
	assert_int_equal(mgr_list_len(l, &n), MGR_ETYPE);
	assert_int_equal(mgr_list_reverse(l), MGR_ETYPE);
	assert_int_equal(mgr_list_sort(l, true), MGR_ETYPE);
	assert_int_equal(mgr_list_clear(l), MGR_ETYPE);
	assert_int_equal(mgr_list_slice(l, 0, 1, &out), MGR_ETYPE);
	assert_int_equal(mgr_list_copy(l, &out), MGR_ETYPE);
	mgr_obj *ns = fake(MGR__OBJ_TYPE__OBJ_DICT);
	assert_int_equal(mgr_ns_set(ns, "a", v), MGR_ETYPE);
	assert_int_equal(mgr_ns_get(ns, "a", &out), MGR_ETYPE);
	assert_int_equal(mgr_ns_del(ns, "a"), MGR_ETYPE);
	assert_int_equal(mgr_ns_items(ns, &out), MGR_ETYPE);

	// NULL proxies.
	assert_int_equal(mgr_dict_len(NULL, &n), MGR_EINVAL);
	assert_int_equal(mgr_list_len(NULL, &n), MGR_EINVAL);
	assert_int_equal(mgr_ns_items(NULL, &out), MGR_EINVAL);
}

/* ---- through a manager ---------------------------------------------------
 */

/* The proxies above, for real: an embedded manager (mgr_server_start). */
typedef struct {
	mgr_server *srv;
	mgr_client *c;
} world;

static int
world_up(void **state)
{
	static world w;
	if (mgr_server_start(&w.srv, NULL) != 0) {
		print_error("mgr_server_start: %s\n", mgr_errdetail());
		return -1;
	}
	if (mgr_server_connect(w.srv, &w.c) != 0) {
		mgr_server_shutdown(w.srv);
		return -1;
	}
	*state = &w;
	return 0;
}

static int
world_down(void **state)
{
	world *w = *state;
	mgr_disconnect(w->c);
	mgr_server_shutdown(w->srv);
	return 0;
}

/* The repr of a result value, which is then freed. */
static const char *
took(mgr_value *v)
{
	static char buf[4096];
	assert_int_equal(mgr_value_repr(v, buf, sizeof(buf)), 0);
	assert_owned(v);
	mgr_value_free(v);
	return buf;
}

/* Objects alive on the manager. */
static int64_t
objects_total(mgr_client *c)
{
	mgr_value info;
	int64_t   n = -1;
	assert_int_equal(mgr_info(c, &info), 0);
	for (size_t k = 0; k < info.len; k++) {
		const mgr_value *key = &info.pairs[2 * k];
		if (key->kind == MGR_STR
		    && strcmp(key->s, "objects_total") == 0) {
			assert_int_equal(info.pairs[2 * k + 1].kind, MGR_INT);
			n = info.pairs[2 * k + 1].i;
		}
	}
	mgr_value_free(&info);
	return n;
}

static void
test_dict_through_manager(void **state)
{
	world    *w = *state;
	mgr_obj  *d;
	mgr_value out, k, v;
	size_t    n;
	bool      found;

	assert_int_equal(mgr_dict_new(w->c, &d), 0);
	assert_string_equal(mgr_obj_type(d), "dict");
	assert_int_equal(mgr_dict_set(d, mgr_int(1), mgr_str("1")), 0);
	assert_int_equal(mgr_dict_set(d, mgr_str("2"), mgr_int(2)), 0);
	assert_int_equal(mgr_dict_set(d, mgr_float(0.25), mgr_none()), 0);
	assert_int_equal(mgr_dict_copy(d, &out), 0);
	assert_string_equal(took(&out), "{1: '1', '2': 2, 0.25: None}");
	assert_int_equal(mgr_dict_len(d, &n), 0);
	assert_int_equal(n, 3);

	assert_int_equal(mgr_dict_get(d, mgr_str("2"), &out), 0);
	assert_string_equal(took(&out), "2");
	out = mgr_int(42);
	assert_int_equal(mgr_dict_get(d, mgr_int(2), &out), MGR_EKEY);
	assert_true(out.kind == MGR_INT && out.i == 42); // untouched
	assert_int_equal(mgr_dict_contains(d, mgr_float(0.25), &found), 0);
	assert_true(found);
	// Typed keys: 1.0 and True are not 1.
	assert_int_equal(mgr_dict_contains(d, mgr_float(1.0), &found), 0);
	assert_false(found);
	assert_int_equal(mgr_dict_contains(d, mgr_bool(true), &found), 0);
	assert_false(found);

	assert_int_equal(mgr_dict_keys(d, &out), 0);
	assert_string_equal(took(&out), "[1, '2', 0.25]");
	assert_int_equal(mgr_dict_values(d, &out), 0);
	assert_string_equal(took(&out), "['1', 2, None]");
	assert_int_equal(mgr_dict_items(d, &out), 0);
	assert_string_equal(took(&out), "[(1, '1'), ('2', 2), (0.25, None)]");

	assert_int_equal(
	    mgr_dict_setdefault(d, mgr_int(1), mgr_str("no"), &out), 0);
	assert_string_equal(took(&out), "'1'");
	mgr_value tk[] = { mgr_int(1), mgr_bytes("b", 1) };
	assert_int_equal(mgr_dict_setdefault(d, mgr_tuple_of(tk, 2),
	                     mgr_list_of(NULL, 0), &out),
	    0);
	assert_string_equal(took(&out), "[]");

	// popitem: the last inserted, split into key and value.
	assert_int_equal(mgr_dict_popitem(d, &k, &v), 0);
	assert_string_equal(took(&k), "(1, b'b')");
	assert_string_equal(took(&v), "[]");
	assert_int_equal(mgr_dict_pop(d, mgr_int(1), &out), 0);
	assert_string_equal(took(&out), "'1'");
	assert_int_equal(mgr_dict_pop(d, mgr_int(1), &out), MGR_EKEY);
	assert_int_equal(mgr_dict_del(d, mgr_str("2")), 0);
	assert_int_equal(mgr_dict_del(d, mgr_str("2")), MGR_EKEY);

	// incr: a missing key counts as 0; the result may be ignored.
	assert_int_equal(mgr_dict_incr(d, mgr_str("n"), mgr_int(5), &out), 0);
	assert_string_equal(took(&out), "5");
	assert_int_equal(
	    mgr_dict_incr(d, mgr_str("n"), mgr_int(-7), NULL), 0);
	assert_int_equal(
	    mgr_dict_incr(d, mgr_str("f"), mgr_float(0.5), &out), 0);
	assert_string_equal(took(&out), "0.5");

	mgr_value up[]
	    = { mgr_str("n"), mgr_str("x"), mgr_int(3), mgr_none() };
	assert_int_equal(mgr_dict_update(d, mgr_dict_of(up, 2)), 0);
	assert_int_equal(mgr_dict_copy(d, &out), 0);
	assert_string_equal(
	    took(&out), "{0.25: None, 'n': 'x', 'f': 0.5, 3: None}");

	assert_int_equal(mgr_dict_clear(d), 0);
	assert_int_equal(mgr_dict_len(d, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mgr_dict_popitem(d, &k, &v), MGR_EKEY);
	assert_int_equal(mgr_obj_release(d), 0);
}

static void
test_list_through_manager(void **state)
{
	world    *w = *state;
	mgr_obj  *l;
	mgr_value out;
	size_t    n;
	int64_t   i;

	assert_int_equal(mgr_list_new(w->c, &l), 0);
	assert_string_equal(mgr_obj_type(l), "list");
	for (int k = 0; k < 10; k++) {
		assert_int_equal(mgr_list_append(l, mgr_int(k)), 0);
	}
	assert_int_equal(mgr_list_reverse(l), 0);
	assert_int_equal(mgr_list_copy(l, &out), 0);
	assert_string_equal(took(&out), "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]");
	assert_int_equal(mgr_list_len(l, &n), 0);
	assert_int_equal(n, 10);

	assert_int_equal(mgr_list_get(l, -1, &out), 0);
	assert_string_equal(took(&out), "0");
	assert_int_equal(mgr_list_get(l, 10, &out), MGR_EINDEX);
	assert_int_equal(mgr_list_set(l, 0, mgr_str("nine")), 0);
	assert_int_equal(mgr_list_insert(l, 100, mgr_str("end")), 0);
	assert_int_equal(mgr_list_insert(l, -100, mgr_float(-1.5)), 0);
	assert_int_equal(mgr_list_slice(l, 0, 3, &out), 0);
	assert_string_equal(took(&out), "[-1.5, 'nine', 8]");
	assert_int_equal(mgr_list_slice(l, -2, 100, &out), 0);
	assert_string_equal(took(&out), "[0, 'end']");
	assert_int_equal(mgr_list_pop(l, -1, &out), 0);
	assert_string_equal(took(&out), "'end'");
	assert_int_equal(mgr_list_pop(l, 0, &out), 0);
	assert_string_equal(took(&out), "-1.5");
	assert_int_equal(mgr_list_del(l, 0), 0);
	assert_int_equal(mgr_list_remove(l, mgr_int(4)), 0);
	assert_int_equal(mgr_list_remove(l, mgr_int(4)), MGR_EVALUE);
	assert_int_equal(mgr_list_index(l, mgr_int(3), &i), 0);
	assert_int_equal(i, 4);
	assert_int_equal(mgr_list_index(l, mgr_float(3.0), &i), MGR_EVALUE);

	mgr_value more[] = { mgr_int(3), mgr_int(3) };
	assert_int_equal(mgr_list_extend(l, mgr_list_of(more, 2)), 0);
	assert_int_equal(mgr_list_extend(l, mgr_tuple_of(more, 1)), 0);
	assert_int_equal(mgr_list_count(l, mgr_int(3), &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(mgr_list_sort(l, false), 0);
	assert_int_equal(mgr_list_copy(l, &out), 0);
	assert_string_equal(took(&out), "[0, 1, 2, 3, 3, 3, 3, 5, 6, 7, 8]");
	assert_int_equal(mgr_list_sort(l, true), 0);
	assert_int_equal(mgr_list_get(l, 0, &out), 0);
	assert_string_equal(took(&out), "8");

	// The nesting limit agrees with the manager's: 64 levels go there
	// and back, 65 are refused before sending.
	mgr_value *deep = nest(MGR_DICT, 64);
	assert_int_equal(mgr_list_append(l, deep[0]), 0);
	assert_int_equal(mgr_list_pop(l, -1, &out), 0);
	assert_true(mgr_value_equal(&out, &deep[0]));
	mgr_value_free(&out);
	free(deep);
	deep = nest(MGR_LIST, 65);
	assert_int_equal(mgr_list_append(l, deep[0]), MGR_ETOOBIG);
	free(deep);

	assert_int_equal(mgr_list_clear(l), 0);
	assert_int_equal(mgr_list_len(l, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mgr_list_pop(l, -1, &out), MGR_EINDEX);
	assert_int_equal(mgr_obj_release(l), 0);
}

static void
test_ns_through_manager(void **state)
{
	world    *w = *state;
	mgr_obj  *ns;
	mgr_value out;

	assert_int_equal(mgr_ns_new(w->c, &ns), 0);
	assert_string_equal(mgr_obj_type(ns), "namespace");
	assert_int_equal(mgr_ns_set(ns, "x", mgr_int(1)), 0);
	assert_int_equal(mgr_ns_set(ns, "y", mgr_str("why")), 0);
	assert_int_equal(mgr_ns_get(ns, "y", &out), 0);
	assert_string_equal(took(&out), "'why'");
	assert_int_equal(mgr_ns_get(ns, "z", &out), MGR_EKEY);
	assert_int_equal(mgr_ns_items(ns, &out), 0);
	assert_string_equal(took(&out), "{'x': 1, 'y': 'why'}");
	assert_int_equal(mgr_ns_del(ns, "x"), 0);
	assert_int_equal(mgr_ns_del(ns, "x"), MGR_EKEY);
	assert_int_equal(mgr_ns_items(ns, &out), 0);
	assert_string_equal(took(&out), "{'y': 'why'}");
	assert_int_equal(mgr_obj_release(ns), 0);
}

static void
test_refs_through_manager(void **state)
{
	world      *w = *state;
	mgr_obj    *d, *l, *other_l;
	mgr_client *c2;
	mgr_value   out, copy;
	size_t      n;
	char        want[64];

	assert_int_equal(objects_total(w->c), 0);
	assert_int_equal(mgr_dict_new(w->c, &d), 0);
	assert_int_equal(mgr_list_new(w->c, &l), 0);
	assert_int_equal(mgr_list_append(l, mgr_str("a")), 0);
	assert_int_equal(mgr_dict_set(d, mgr_str("l"), mgr_ref(l)), 0);

	// A ref result is a new proxy of the same object, owned by the
	// value; equal to the original ref.
	assert_int_equal(mgr_dict_get(d, mgr_str("l"), &out), 0);
	assert_int_equal(out.kind, MGR_REF);
	assert_ptr_not_equal(mgr_value_ref(&out), l);
	assert_int_equal(mgr_obj_id(mgr_value_ref(&out)), mgr_obj_id(l));
	mgr_value orig = mgr_ref(l);
	assert_true(mgr_value_equal(&out, &orig));
	snprintf(want, sizeof(want), "<RefProxy list id=%llu>",
	    (unsigned long long) mgr_obj_id(l));
	assert_string_equal(repr_of(&out), want);

	// Its copy takes its own reference: it outlives the original.
	assert_int_equal(mgr_value_copy(&copy, &out), 0);
	assert_true(mgr_value_equal(&copy, &out));
	assert_ptr_not_equal(mgr_value_ref(&copy), mgr_value_ref(&out));
	mgr_value_free(&out);
	assert_int_equal(mgr_obj_release(l), 0);
	assert_int_equal(mgr_dict_del(d, mgr_str("l")), 0);
	assert_int_equal(mgr_list_len(mgr_value_ref(&copy), &n), 0);
	assert_int_equal(n, 1);

	// A ref to another client's object is refused before sending.
	assert_int_equal(mgr_server_connect(w->srv, &c2), 0);
	assert_int_equal(mgr_list_new(c2, &other_l), 0);
	assert_int_equal(
	    mgr_dict_set(d, mgr_int(0), mgr_ref(other_l)), MGR_EINVAL);
	assert_int_equal(mgr_obj_release(other_l), 0);
	assert_int_equal(mgr_disconnect(c2), 0);

	// Every reference went back: nothing is left on the manager.
	mgr_value_free(&copy);
	assert_int_equal(mgr_obj_release(d), 0);
	assert_int_equal(objects_total(w->c), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_roundtrip),
		cmocka_unit_test(test_codec_ref),
		cmocka_unit_test(test_codec_depth),
		cmocka_unit_test(test_codec_encode_errors),
		cmocka_unit_test(test_codec_decode_errors),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_errdetail),
		cmocka_unit_test(test_proxy_checks),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_dict_through_manager),
		cmocka_unit_test(test_list_through_manager),
		cmocka_unit_test(test_ns_through_manager),
		cmocka_unit_test(test_refs_through_manager),
	};
	int failed = cmocka_run_group_tests_name("codec", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name(
	    "through a manager", live, world_up, world_down);
	return failed;
}
