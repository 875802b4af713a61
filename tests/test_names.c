/* Names shared by independent programs, against a real managerd:
 * mgr_name_setdefault gets or creates atomically (four clients that each
 * make a counter, setdefault it and increment it 1,000 times end at
 * 4,000: with name_get-then-name_set they did not), mgr_name_list, and the
 * version. */
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
		cmocka_unit_test(test_version),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
