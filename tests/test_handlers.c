/* Unit tests of the list, dict and namespace handlers, called through a
 * minimal mctx as the dispatcher calls them, against a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "data_fixture.h"
#include "object.h"
#include "sdict.h"
#include "server_state.h"
#include "session.h"
#include "svec.h"
#include "value.h"

static void
test_list_handlers(void **state)
{
	(void) state;
	// The first seed example: reverse list(range(10)).
	mobj *l = NEW(list, range_list(10));
	assert_int_equal(OP0(l, LIST_REVERSE, NULL), 0);
	OPX0(l, LIST_COPY, "[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]");
	OPX0(l, LIST_LEN, "10");
	assert_int_equal(OP0(l, LIST_SORT, NULL), 0);
	OPX(l, LIST_SLICE, "[7, 8, 9]", I(-3), I(100));
	OPX(l, LIST_SLICE, "[0, 1]", N, I(2));
	OPX(l, LIST_SLICE, "[8, 9]", I(8), N);
	OPX(l, LIST_SLICE, "[]", I(5), I(2));
	assert_int_equal(OP(l, LIST_SORT, NULL, B(true)), 0);
	OPX(l, LIST_GET, "9", I(0));
	OPX(l, LIST_GET, "0", I(-1));
	assert_int_equal(OP(l, LIST_GET, NULL, I(10)), MGR_EINDEX);
	assert_string_equal(last_err, "list index out of range");
	assert_int_equal(OP(l, LIST_GET, NULL, S("0")), MGR_ETYPE);
	assert_int_equal(OP0(l, LIST_CLEAR, NULL), 0);

	// The second: ['a', 'b'] + 'c'.
	assert_int_equal(OP(l, LIST_EXTEND, NULL, LIST(S("a"), S("b"))), 0);
	assert_int_equal(OP(l, LIST_APPEND, NULL, S("c")), 0);
	OPX0(l, LIST_COPY, "['a', 'b', 'c']");
	assert_int_equal(OP(l, LIST_EXTEND, NULL, TUPLE(I(1), I(2))), 0);
	assert_int_equal(OP(l, LIST_EXTEND, NULL, I(5)), MGR_ETYPE);
	assert_string_equal(last_err, "'int' object is not iterable");
	assert_int_equal(OP(l, LIST_INSERT, NULL, I(-100), N), 0);
	assert_int_equal(OP(l, LIST_INSERT, NULL, I(100), F(2.5)), 0);
	assert_int_equal(OP(l, LIST_INSERT, NULL, I(-1), S("x")), 0);
	OPX0(l, LIST_COPY, "[None, 'a', 'b', 'c', 1, 2, 'x', 2.5]");
	assert_int_equal(OP(l, LIST_SET, NULL, I(-2), DICT(S("k"), I(1))), 0);
	assert_int_equal(OP(l, LIST_SET, NULL, I(8), N), MGR_EINDEX);
	assert_string_equal(last_err, "list assignment index out of range");
	assert_int_equal(OP(l, LIST_DEL, NULL, I(0)), 0);
	assert_int_equal(OP(l, LIST_DEL, NULL, I(-8)), MGR_EINDEX);
	assert_string_equal(last_err, "list assignment index out of range");
	OPX0(l, LIST_COPY, "['a', 'b', 'c', 1, 2, {'k': 1}, 2.5]");
	OPX(l, LIST_GET, "{'k': 1}", I(5));
	OPX(l, LIST_POP, "'b'", I(1));
	OPX0(l, LIST_POP, "2.5");
	assert_int_equal(OP(l, LIST_POP, NULL, I(9)), MGR_EINDEX);
	assert_string_equal(last_err, "pop index out of range");
	OPX(l, LIST_INDEX, "2", I(1));
	assert_int_equal(OP(l, LIST_INDEX, NULL, F(1.0)), MGR_EVALUE);
	assert_string_equal(last_err, "1.0 is not in list");
	OPX(l, LIST_COUNT, "1", S("a"));
	OPX(l, LIST_COUNT, "0", S("zz"));
	assert_int_equal(OP(l, LIST_REMOVE, NULL, S("a")), 0);
	assert_int_equal(OP(l, LIST_REMOVE, NULL, S("a")), MGR_EVALUE);
	assert_string_equal(last_err, "list.remove(x): x not in list");
	OPX0(l, LIST_COPY, "['c', 1, 2, {'k': 1}]");
	assert_int_equal(OP0(l, LIST_SORT, NULL), MGR_ETYPE);
	assert_string_equal(last_err,
	    "'<' not supported between instances of 'int' and 'str'");
	OPX0(l, LIST_COPY, "['c', 1, 2, {'k': 1}]"); // unchanged
	assert_int_equal(OP(l, LIST_SORT, NULL, I(1)), MGR_ETYPE); // not bool
	OPX0(l, LIST_LEN, "4");
	assert_int_equal(OP0(l, LIST_CLEAR, NULL), 0);
	assert_int_equal(OP0(l, LIST_POP, NULL), MGR_EINDEX);
	assert_string_equal(last_err, "pop from empty list");
	OPX0(l, LIST_COPY, "[]");
	OPX0(l, LIST_LEN, "0");
	mobj_decref(l);

	// create: nothing, None, a list, a tuple; not an int or two args.
	l = NEW0(list);
	OPX0(l, LIST_LEN, "0");
	mobj_decref(l);
	l = NEW(list, N);
	OPX0(l, LIST_LEN, "0");
	mobj_decref(l);
	l = NEW(list, TUPLE(S("t"), I(1)));
	OPX0(l, LIST_COPY, "['t', 1]");
	mobj_decref(l);
	assert_int_equal(
	    create_status(&list_type, 1, (sval[]) { I(3) }), MGR_ETYPE);
	assert_int_equal(
	    create_status(&list_type, 2, (sval[]) { LIST0, LIST0 }),
	    MGR_EINVAL);
}

static void
test_dict_handlers(void **state)
{
	(void) state;
	// The first seed example.
	mobj *d = NEW0(dict);
	assert_int_equal(OP(d, DICT_SET, NULL, I(1), S("1")), 0);
	assert_int_equal(OP(d, DICT_SET, NULL, S("2"), I(2)), 0);
	assert_int_equal(OP(d, DICT_SET, NULL, F(0.25), N), 0);
	OPX0(d, DICT_COPY, "{1: '1', '2': 2, 0.25: None}");
	OPX(d, DICT_GET, "'1'", I(1));
	OPX(d, DICT_GET, "None", F(0.25));
	assert_int_equal(OP(d, DICT_GET, NULL, F(1.0)), MGR_EKEY);
	assert_string_equal(last_err, "1.0");
	assert_int_equal(OP(d, DICT_GET, NULL, S("x")), MGR_EKEY);
	assert_string_equal(last_err, "'x'");
	assert_int_equal(OP(d, DICT_GET, NULL, LIST(I(1))), MGR_ETYPE);
	assert_string_equal(last_err, "unhashable type: 'list'");
	assert_int_equal(
	    OP(d, DICT_SET, NULL, TUPLE(I(1), DICT0), I(0)), MGR_ETYPE);
	assert_string_equal(last_err, "unhashable type: 'dict'");
	OPX(d, DICT_CONTAINS, "True", S("2"));
	OPX(d, DICT_CONTAINS, "False", I(2));
	assert_int_equal(OP(d, DICT_CONTAINS, NULL, LIST0), MGR_ETYPE);
	OPX0(d, DICT_LEN, "3");
	OPX0(d, DICT_KEYS, "[1, '2', 0.25]");
	OPX0(d, DICT_VALUES, "['1', 2, None]");
	OPX0(d, DICT_ITEMS, "[(1, '1'), ('2', 2), (0.25, None)]");
	assert_int_equal(OP(d, DICT_DEL, NULL, I(1)), 0);
	assert_int_equal(OP(d, DICT_DEL, NULL, I(1)), MGR_EKEY);
	assert_string_equal(last_err, "1");
	OPX(d, DICT_POP, "2", S("2"));
	assert_int_equal(OP(d, DICT_POP, NULL, S("2")), MGR_EKEY);
	OPX(d, DICT_POP, "'dflt'", S("2"), S("dflt"));
	OPX(d, DICT_SETDEFAULT, "None", F(0.25), I(7)); // present
	OPX(d, DICT_SETDEFAULT, "[]", TUPLE(I(1), I(2)), LIST0);
	OPX(d, DICT_SETDEFAULT, "None", S("n"));
	OPX0(d, DICT_COPY, "{0.25: None, (1, 2): [], 'n': None}");
	OPX0(d, DICT_POPITEM, "('n', None)");
	// update: from a dict, from pairs; bad arguments change nothing.
	assert_int_equal(
	    OP(d, DICT_UPDATE, NULL, DICT(F(0.25), S("q"), S("new"), I(1))),
	    0);
	assert_int_equal(OP(d, DICT_UPDATE, NULL,
	                     LIST(TUPLE(S("p"), I(1)), LIST(S("new"), I(2)))),
	    0);
	OPX0(d, DICT_COPY, "{0.25: 'q', (1, 2): [], 'new': 2, 'p': 1}");
	assert_int_equal(
	    OP(d, DICT_UPDATE, NULL, LIST(TUPLE(S("z"), I(1)), TUPLE(I(1)))),
	    MGR_EVALUE);
	assert_string_equal(last_err,
	    "dictionary update sequence element #1 has length 1; 2 is "
	    "required");
	assert_int_equal(
	    OP(d, DICT_UPDATE, NULL, LIST(TUPLE(S("z"), I(1)), I(1))),
	    MGR_ETYPE);
	assert_int_equal(OP(d, DICT_UPDATE, NULL,
	                     LIST(TUPLE(S("z"), I(1)), TUPLE(LIST0, I(1)))),
	    MGR_ETYPE);
	assert_int_equal(OP(d, DICT_UPDATE, NULL, S("ab")), MGR_ETYPE);
	OPX0(d, DICT_LEN, "4");
	assert_int_equal(OP0(d, DICT_CLEAR, NULL), 0);
	assert_int_equal(OP0(d, DICT_POPITEM, NULL), MGR_EKEY);
	assert_string_equal(last_err, "popitem(): dictionary is empty");
	OPX0(d, DICT_KEYS, "[]");
	OPX0(d, DICT_ITEMS, "[]");
	OPX0(d, DICT_COPY, "{}");
	mobj_decref(d);

	// create: a dict, pairs, None, nothing; not a str or two args.
	d = NEW(dict, DICT(S("a"), I(1)));
	OPX0(d, DICT_COPY, "{'a': 1}");
	mobj_decref(d);
	d = NEW(dict, LIST(TUPLE(S("a"), I(1)), TUPLE(S("a"), I(2))));
	OPX0(d, DICT_COPY, "{'a': 2}");
	mobj_decref(d);
	d = NEW(dict, N);
	OPX0(d, DICT_LEN, "0");
	mobj_decref(d);
	assert_int_equal(
	    create_status(&dict_type, 1, (sval[]) { S("ab") }), MGR_ETYPE);
	assert_int_equal(
	    create_status(&dict_type, 1, (sval[]) { LIST(TUPLE(LIST0, N)) }),
	    MGR_ETYPE);
	assert_int_equal(
	    create_status(&dict_type, 2, (sval[]) { DICT0, DICT0 }),
	    MGR_EINVAL);
}

static void
test_dict_incr(void **state)
{
	(void) state;
	mobj *d = NEW0(dict);
	OPX(d, DICT_INCR, "5", S("n"), I(5)); // missing: int 0 + 5
	OPX(d, DICT_INCR, "3", S("n"), I(-2));
	OPX(d, DICT_INCR, "4", S("n"));             // delta defaults to 1
	OPX(d, DICT_INCR, "4.5", S("n"), F(0.5));   // int + float: float
	OPX(d, DICT_INCR, "5.5", S("n"), I(1));     // float + int: float
	OPX(d, DICT_INCR, "0.25", S("f"), F(0.25)); // missing + float
	OPX(d, DICT_GET, "5.5", S("n"));
	assert_int_equal(
	    OP(d, DICT_SET, NULL, S("big"), I(INT64_MAX - 1)), 0);
	OPX(d, DICT_INCR, "9223372036854775807", S("big"), I(1));
	assert_int_equal(OP(d, DICT_INCR, NULL, S("big"), I(1)), MGR_ERANGE);
	OPX(d, DICT_GET, "9223372036854775807", S("big")); // unchanged
	assert_int_equal(OP(d, DICT_SET, NULL, S("small"), I(INT64_MIN)), 0);
	assert_int_equal(
	    OP(d, DICT_INCR, NULL, S("small"), I(-1)), MGR_ERANGE);
	// Non-numbers: the stored value, the delta (bool is not a number).
	assert_int_equal(OP(d, DICT_SET, NULL, S("s"), S("x")), 0);
	assert_int_equal(OP(d, DICT_INCR, NULL, S("s"), I(1)), MGR_ETYPE);
	assert_string_equal(
	    last_err, "unsupported operand type(s) for +=: 'str' and 'int'");
	assert_int_equal(OP(d, DICT_SET, NULL, S("b"), B(true)), 0);
	assert_int_equal(OP(d, DICT_INCR, NULL, S("b"), I(1)), MGR_ETYPE);
	assert_int_equal(OP(d, DICT_INCR, NULL, S("n"), B(true)), MGR_ETYPE);
	assert_int_equal(OP(d, DICT_INCR, NULL, S("new"), S("1")), MGR_ETYPE);
	assert_int_equal(OP(d, DICT_INCR, NULL, LIST0, I(1)), MGR_ETYPE);
	OPX(d, DICT_CONTAINS, "False", S("new")); // failed: not created
	// Typed keys: 1 and 1.0 count apart.
	OPX(d, DICT_INCR, "1", I(1), I(1));
	OPX(d, DICT_INCR, "1", F(1.0), I(1));
	OPX(d, DICT_INCR, "2", I(1), I(1));
	mobj_decref(d);
}

static void
test_namespace_handlers(void **state)
{
	(void) state;
	mobj *ns = NEW0(namespace);
	assert_int_equal(OP(ns, NS_SET, NULL, S("x"), I(1)), 0);
	assert_int_equal(OP(ns, NS_SET, NULL, S("y"), LIST(S("a"))), 0);
	assert_int_equal(OP(ns, NS_SET, NULL, S("x"), F(2.5)), 0);
	OPX(ns, NS_GET, "2.5", S("x"));
	OPX(ns, NS_GET, "['a']", S("y"));
	OPX0(ns, NS_ITEMS, "{'x': 2.5, 'y': ['a']}");
	assert_int_equal(OP(ns, NS_GET, NULL, S("z")), MGR_EKEY);
	assert_string_equal(last_err, "no attribute 'z'");
	assert_int_equal(OP(ns, NS_DEL, NULL, S("x")), 0);
	assert_int_equal(OP(ns, NS_DEL, NULL, S("x")), MGR_EKEY);
	assert_string_equal(last_err, "no attribute 'x'");
	assert_int_equal(OP(ns, NS_SET, NULL, I(1), I(1)), MGR_ETYPE);
	assert_int_equal(OP(ns, NS_GET, NULL, Y("y", 1)), MGR_ETYPE);
	assert_int_equal(OP(ns, NS_DEL, NULL, N), MGR_ETYPE);
	OPX0(ns, NS_ITEMS, "{'y': ['a']}");
	mobj_decref(ns);

	ns = NEW(namespace, DICT(S("a"), I(1), S("b"), N));
	OPX(ns, NS_GET, "1", S("a"));
	OPX0(ns, NS_ITEMS, "{'a': 1, 'b': None}");
	mobj_decref(ns);
	ns = NEW(namespace, N);
	OPX0(ns, NS_ITEMS, "{}");
	mobj_decref(ns);
	assert_int_equal(create_status(&namespace_type, 1,
	                     (sval[]) { DICT(S("a"), I(1), I(2), I(2)) }),
	    MGR_ETYPE);
	assert_string_equal(
	    last_err, "attribute name must be string, not 'int'");
	assert_int_equal(
	    create_status(&namespace_type, 1, (sval[]) { LIST0 }), MGR_ETYPE);
}

static void
test_op_tables(void **state)
{
	(void) state;
	// Every entry is for its own type, has a handler, sane arity, and
	// no operation is listed twice.
	struct {
		const mop   *ops;
		const mtype *t;
		size_t       n;
	} tables[]
	    = { { dict_ops, &dict_type, 15 }, { list_ops, &list_type, 16 },
		      { namespace_ops, &namespace_type, 4 } };
	for (size_t t = 0; t < 3; t++) {
		size_t n = 0;
		for (const mop *m = tables[t].ops; m->fn != NULL; m++, n++) {
			assert_int_equal(m->types, MT(tables[t].t->code));
			assert_true(m->min_args <= m->max_args);
			for (const mop *o = m + 1; o->fn != NULL; o++) {
				assert_int_not_equal(o->op, m->op);
			}
		}
		assert_int_equal(n, tables[t].n);
		assert_non_null(tables[t].t->create);
		assert_non_null(tables[t].t->destroy);
	}
	assert_string_equal(dict_type.name, "dict");
	assert_string_equal(list_type.name, "list");
	assert_string_equal(namespace_type.name, "namespace");
}

/* Paths the tests above do not take: copies of references, depth limits
 * through dicts, malformed protobuf values, argument type errors. */
static void
test_edges(void **state)
{
	(void) state;
	mobj *l = NEW0(list);
	sval  r = sv_ref(l), c;
	assert_int_equal(sv_copy(&c, &r), 0);
	assert_int_equal(c.kind, SV_REF);
	assert_ptr_equal(c.ref, l);
	assert_int_equal(l->refs, 3);
	assert_true(sv_equal(&c, &r));
	assert_string_equal(sv_type_name(&c), "list");
	sv_free(&c);
	sv_free(&r);
	assert_int_equal(l->refs, 1);

	// A dict at the bottom of SV_MAX_DEPTH lists: it can't be copied,
	// encoded or compared; repr cuts it.
	sval deep = DICT(S("k"), I(1));
	for (int i = 0; i < SV_MAX_DEPTH; i++) {
		deep = LIST(deep);
	}
	arena a;
	arena_init(&a);
	Mgr__Value pb;
	assert_int_equal(sv_copy(&c, &deep), MGR_ETOOBIG);
	assert_int_equal(sv_to_pb(&deep, &a, &pb, NULL), MGR_ETOOBIG);
	assert_false(sv_equal(&deep, &deep)); // past the limit: not equal
	int cmp;
	// Two dicts at the bottom: unorderable before too deep.
	assert_int_equal(sv_compare(&deep, &deep, &cmp), MGR_ETYPE);
	assert_non_null(strstr(repr(&deep), "[[{...}]]"));
	sv_free(&deep);
	deep = LIST(I(1)); // lists to the bottom: too deep to compare
	for (int i = 0; i < SV_MAX_DEPTH; i++) {
		deep = LIST(deep);
	}
	sval deep2;
	assert_int_equal(sv_copy(&deep2, deep.vec->items), 0);
	deep2 = LIST(deep2);
	assert_int_equal(sv_compare(&deep, &deep2, &cmp), MGR_ETOOBIG);
	sv_free(&deep2);
	sv_free(&deep);
	// Dicts hash alike when equal (never keys, but consistent).
	sval d1 = DICT(I(1), S("a"), I(2), LIST0);
	sval d2 = DICT(I(2), LIST0, I(1), S("a"));
	assert_true(sv_hash(&d1) == sv_hash(&d2));
	sval dd = DICT(S("x"), sv_move(&d1)); // a dict inside: copied deep
	assert_int_equal(sv_copy(&c, &dd), 0);
	assert_true(sv_equal(&c, &dd));
	sv_free(&c);
	sv_free(&dd);
	sv_free(&d2);
	check_free(S("a\rb"), "'a\\rb'");
	check_free(F(-2.0), "-2.0");

	// Malformed protobuf values.
	Mgr__Value v = MGR__VALUE__INIT, *items[1] = { NULL };
	Mgr__Seq   seq = MGR__SEQ__INIT;
	Mgr__Map   map = MGR__MAP__INIT;
	v.kind_case    = MGR__VALUE__KIND_S;
	v.s            = NULL;
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	v.kind_case = MGR__VALUE__KIND_Y;
	v.y.len     = 3;
	v.y.data    = NULL;
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	v.kind_case = MGR__VALUE__KIND_LIST;
	v.list      = &seq;
	seq.n_items = 1; // with no items array
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	seq.items = items; // a NULL item
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	v.kind_case = MGR__VALUE__KIND_DICT;
	v.dict      = &map;
	map.n_keys = map.n_values = 1; // no arrays
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	v.dict = NULL; // absent: empty
	assert_int_equal(sv_from_pb(srv, &v, &c), 0);
	check_free(c, "{}");
	v.kind_case = 99;
	assert_int_equal(sv_from_pb(srv, &v, &c), MGR_EPROTO);
	arena_fini(&a);
	mobj_decref(l);
}

static void
test_edges_arguments(void **state)
{
	(void) state;
	mobj *l = NEW0(list);
	// sdict_update from a dict with holes.
	sdict *src = sdict_new(0), *dst = sdict_new(0);
	dset(src, I(1), I(1));
	dset(src, I(2), I(2));
	dset(src, I(3), I(3));
	sval k = I(2);
	assert_int_equal(sdict_del(src, &k, NULL), 0);
	assert_int_equal(sdict_update(dst, src), 0);
	sval dv = { .kind = SV_DICT, .dict = dst };
	assert_repr(&dv, "{1: 1, 3: 3}");
	sdict_free(src);
	sdict_free(dst);

	// Argument types, checked before anything changes.
	assert_int_equal(OP(l, LIST_INSERT, NULL, S("0"), I(1)), MGR_ETYPE);
	assert_int_equal(OP(l, LIST_SET, NULL, F(0), I(1)), MGR_ETYPE);
	assert_int_equal(OP(l, LIST_DEL, NULL, N), MGR_ETYPE);
	assert_int_equal(OP(l, LIST_POP, NULL, B(false)), MGR_ETYPE);
	assert_int_equal(OP(l, LIST_SLICE, NULL, S("a"), N), MGR_ETYPE);
	assert_int_equal(OP(l, LIST_SLICE, NULL, I(0), F(1)), MGR_ETYPE);
	OPX0(l, LIST_SLICE, "[]");
	OPX0(l, LIST_LEN, "0");
	mobj *d = NEW0(dict);
	assert_int_equal(OP(d, DICT_DEL, NULL, LIST0), MGR_ETYPE);
	assert_int_equal(OP(d, DICT_POP, NULL, DICT0), MGR_ETYPE);
	assert_int_equal(
	    OP(d, DICT_SETDEFAULT, NULL, LIST0, I(1)), MGR_ETYPE);
	OPX0(d, DICT_LEN, "0");
	assert_int_equal(
	    create_status(&namespace_type, 2, (sval[]) { N, N }), MGR_EINVAL);
	mobj_decref(d);
	mobj_decref(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DATA_TEST(test_list_handlers),
		DATA_TEST(test_dict_handlers),
		DATA_TEST(test_dict_incr),
		DATA_TEST(test_namespace_handlers),
		DATA_TEST(test_op_tables),
		DATA_TEST(test_edges),
		DATA_TEST(test_edges_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
