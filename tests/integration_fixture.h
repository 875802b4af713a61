/* What the integration tests share (integration_fixture.c): one managerd and
 * one client per group (F), assertions on values and the manager's counts,
 * and the group and test setups that check no object leaks. */
#ifndef MGR_TESTS_INTEGRATION_FIXTURE_H
#define MGR_TESTS_INTEGRATION_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

typedef struct fixture {
	h_transport t;
	h_managerd  m;
	mgr_client *c;
	int64_t     objects0; /* objects_total when the test began */
} fixture;

extern fixture F;

void assert_repr(const mgr_value *v, const char *want);

/* The list's content, as Python's repr. */
void assert_list(mgr_obj *l, const char *want);

void assert_dict(mgr_obj *d, const char *want);

/* The result of a call whose value repr must be want; frees it. */
void assert_result(mgr_value *v, const char *want);

size_t dict_len(mgr_obj *d);

size_t list_len(mgr_obj *l);

int64_t info(const char *key);

int64_t info_objects(const char *type);

/* The sum of the per-type counts of mgr_info's "objects". */
int64_t info_objects_sum(void);

void await_info(const char *key, const char *type, int64_t want);

mgr_client *connect2(void);

int group_setup(h_transport t);

int group_setup_ipc(void **state);

int group_setup_tcp(void **state);
int group_setup_nng_ipc(void **state);
int group_setup_nng_tcp(void **state);
int group_setup_tls(void **state);
int group_setup_ws(void **state);
int group_setup_wss(void **state);
int group_setup_nng_tls(void **state);

int group_teardown(void **state);

int test_setup(void **state);

int test_teardown(void **state);

#endif
