/* Names shared by independent programs, against a real managerd:
 * mgr_name_setdefault gets or creates atomically (four clients that each
 * make a counter, setdefault it and increment it 1,000 times end at
 * 4,000: with name_get-then-name_set they did not), mgr_name_list, the
 * name listings show as names come and go, and the version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static h_managerd  M;
static mgr_client *C;
static char        env_url[600], env_key[100];

static int
setup(void **state)
{
	(void) state;
	return h_group_start(
	    &M, &C, env_url, sizeof(env_url), env_key, sizeof(env_key));
}

static int
teardown(void **state)
{
	(void) state;
	return h_group_stop(&M, C);
}

#define CLIENTS 4
#define INCRS   1000

static void *
counter_user(void *arg)
{
	int        *rv = arg;
	mgr_client *c;
	mgr_obj    *mine, *shared;
	*rv = h_connect(&M, &c);
	if (*rv != 0) {
		return NULL;
	}
	if ((*rv = mgr_dict_new(c, &mine)) == 0
	    && (*rv = mgr_name_setdefault(c, "counter", mine, &shared))
	        == 0) {
		mgr_obj_release(mine); // the name holds the one that won
		for (int i = 0; i < INCRS && *rv == 0; i++) {
			mgr_value n;
			*rv = mgr_dict_incr(
			    shared, mgr_str("n"), mgr_int(1), &n);
		}
		mgr_obj_release(shared);
	}
	mgr_disconnect(c);
	return NULL;
}

static void
test_setdefault_shares_one(void **state)
{
	(void) state;
	pthread_t t[CLIENTS];
	int       rv[CLIENTS];
	for (int i = 0; i < CLIENTS; i++) {
		assert_int_equal(
		    pthread_create(&t[i], NULL, counter_user, &rv[i]), 0);
	}
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(t[i], NULL);
		OK(rv[i]);
	}
	mgr_obj  *d;
	mgr_value v;
	OK(mgr_name_get(C, "counter", &d));
	OK(mgr_dict_get(d, mgr_str("n"), &v));
	assert_int_equal(v.i, CLIENTS * INCRS);
	// The name keeps its first object; a later candidate is not bound.
	mgr_obj *other, *got;
	OK(mgr_list_new(C, &other));
	OK(mgr_name_setdefault(C, "counter", other, &got));
	assert_string_equal(mgr_obj_type(got), "dict");
	assert_true(mgr_obj_id(got) == mgr_obj_id(d));
	ERR(MGR_EINVAL, mgr_name_setdefault(C, "", other, &got));
	ERR(MGR_EINVAL, mgr_name_setdefault(C, "x", NULL, &got));
	OK(mgr_obj_release(got));
	OK(mgr_obj_release(other));
	OK(mgr_obj_release(d));
	OK(mgr_name_del(C, "counter"));
}

static void
test_name_list(void **state)
{
	(void) state;
	mgr_obj  *q, *l;
	mgr_value v;
	char      buf[256];
	OK(mgr_name_list(C, &v));
	OK(mgr_value_repr(&v, buf, sizeof(buf)));
	assert_string_equal(buf, "{}");
	mgr_value_free(&v);
	OK(mgr_queue_new(C, 0, &q));
	OK(mgr_list_new(C, &l));
	OK(mgr_name_set(C, "jobs", q));
	OK(mgr_name_set(C, "results", l));
	OK(mgr_name_list(C, &v));
	OK(mgr_value_repr(&v, buf, sizeof(buf)));
	assert_string_equal(buf, "{'jobs': 'queue', 'results': 'list'}");
	mgr_value_free(&v);
	OK(mgr_name_del(C, "jobs"));
	OK(mgr_name_del(C, "results"));
	OK(mgr_obj_release(q));
	OK(mgr_obj_release(l));
	ERR(MGR_EINVAL, mgr_name_list(NULL, &v));
}

/* The name mgr_objects shows for object id ("" when unnamed). */
static void
listed_name(uint64_t id, char *out, size_t cap)
{
	mgr_value page;
	snprintf(out, cap, "?");
	assert_int_equal(mgr_objects(C, 0, 1000, &page), 0);
	const mgr_value *objs = h_dict_find(&page, "objects");
	assert_non_null(objs);
	for (size_t i = 0; i < objs->len; i++) {
		const mgr_value *o = &objs->items[i];
		if ((uint64_t) h_dict_find(o, "object")->i == id) {
			const mgr_value *n = h_dict_find(o, "name");
			snprintf(
			    out, cap, "%s", n->kind == MGR_STR ? n->s : "");
		}
	}
	mgr_value_free(&page);
}

/* Listings name an object by one of its names, kept as names come and
 * go: a second name, the shown one deleted (the other shown), a name
 * moved to another object, the last one deleted (unnamed). */
static void
test_listed_names(void **state)
{
	(void) state;
	mgr_obj *a, *b, *got;
	char     name[64];
	assert_int_equal(mgr_dict_new(C, &a), 0);
	assert_int_equal(mgr_dict_new(C, &b), 0);
	uint64_t ia = mgr_obj_id(a), ib = mgr_obj_id(b);
	listed_name(ia, name, sizeof(name));
	assert_string_equal(name, "");
	assert_int_equal(mgr_name_set(C, "first", a), 0);
	assert_int_equal(mgr_name_set(C, "second", a), 0);
	listed_name(ia, name, sizeof(name));
	assert_string_equal(name, "first");
	assert_int_equal(mgr_name_del(C, "first"), 0);
	listed_name(ia, name, sizeof(name));
	assert_string_equal(name, "second");
	// "second" moves to b: a has no name left, b has it.
	assert_int_equal(mgr_name_set(C, "second", b), 0);
	listed_name(ia, name, sizeof(name));
	assert_string_equal(name, "");
	listed_name(ib, name, sizeof(name));
	assert_string_equal(name, "second");
	// setdefault on a bound name changes nothing; on a free one binds.
	assert_int_equal(mgr_name_setdefault(C, "second", a, &got), 0);
	assert_int_equal(mgr_obj_id(got), ib);
	mgr_obj_release(got);
	assert_int_equal(mgr_name_setdefault(C, "third", a, &got), 0);
	mgr_obj_release(got);
	listed_name(ia, name, sizeof(name));
	assert_string_equal(name, "third");
	// Binding a name to the object it names already is no new name.
	assert_int_equal(mgr_name_set(C, "third", a), 0);
	assert_int_equal(mgr_name_del(C, "third"), 0);
	listed_name(ia, name, sizeof(name));
	assert_string_equal(name, "");
	assert_int_equal(mgr_name_del(C, "second"), 0);
	listed_name(ib, name, sizeof(name));
	assert_string_equal(name, "");
	mgr_obj_release(a);
	mgr_obj_release(b);
}

static void
test_version(void **state)
{
	(void) state;
	char want[32];
	snprintf(want, sizeof(want), "%d.%d.%d", MGR_VERSION_MAJOR,
	    MGR_VERSION_MINOR, MGR_VERSION_PATCH);
	assert_string_equal(mgr_version(), want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setdefault_shares_one),
		cmocka_unit_test(test_name_list),
		cmocka_unit_test(test_listed_names),
		cmocka_unit_test(test_version),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
