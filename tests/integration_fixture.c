/* The shared part of the integration tests (integration_fixture.h). */
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

/* ---- helpers ----------------------------------------------------------- */

fixture F;

void
assert_repr(const mgr_value *v, const char *want)
{
	static char buf[1 << 16];
	OK(mgr_value_repr(v, buf, sizeof(buf)));
	if (strcmp(buf, want) != 0) {
		fail_msg("repr: got %s, want %s", buf, want);
	}
}

/* The list's content, as Python's repr. */
void
assert_list(mgr_obj *l, const char *want)
{
	mgr_value v;
	OK(mgr_list_copy(l, &v));
	assert_int_equal(v.kind, MGR_LIST);
	assert_repr(&v, want);
	mgr_value_free(&v);
}

void
assert_dict(mgr_obj *d, const char *want)
{
	mgr_value v;
	OK(mgr_dict_copy(d, &v));
	assert_int_equal(v.kind, MGR_DICT);
	assert_repr(&v, want);
	mgr_value_free(&v);
}

/* The result of a call whose value repr must be want; frees it. */
void
assert_result(mgr_value *v, const char *want)
{
	assert_repr(v, want);
	mgr_value_free(v);
}

size_t
dict_len(mgr_obj *d)
{
	size_t n = 12345;
	OK(mgr_dict_len(d, &n));
	return n;
}

size_t
list_len(mgr_obj *l)
{
	size_t n = 12345;
	OK(mgr_list_len(l, &n));
	return n;
}

int64_t
info(const char *key)
{
	int64_t v = -1;
	OK(h_info_int(F.c, key, &v));
	return v;
}

int64_t
info_objects(const char *type)
{
	int64_t v = -1;
	OK(h_info_objects(F.c, type, &v));
	return v;
}

/* The sum of the per-type counts of mgr_info's "objects". */
int64_t
info_objects_sum(void)
{
	mgr_value v;
	int64_t   sum = 0;
	OK(mgr_info(F.c, &v));
	for (size_t i = 0; i < v.len; i++) {
		if (v.pairs[2 * i].kind == MGR_STR
		    && strcmp(v.pairs[2 * i].s, "objects") == 0) {
			const mgr_value *o = &v.pairs[2 * i + 1];
			for (size_t k = 0; o->kind == MGR_DICT && k < o->len;
			     k++) {
				sum += o->pairs[2 * k + 1].i;
			}
		}
	}
	mgr_value_free(&v);
	return sum;
}

void
await_info(const char *key, const char *type, int64_t want)
{
	int64_t last = -1;
	if (h_info_await(F.c, key, type, want, 5000, &last) != 0) {
		fail_msg("mgr_info %s%s%s: %" PRId64
		         " after 5 s, want %" PRId64,
		    key, type ? "." : "", type ? type : "", last, want);
	}
}

mgr_client *
connect2(void)
{
	mgr_client *c = NULL;
	OK(h_connect(&F.m, &c));
	return c;
}

/* ---- fixtures ---------------------------------------------------------- */

int
group_setup(h_transport t)
{
	h_watchdog_arm(60, "the group setup");
	memset(&F, 0, sizeof(F));
	F.t = t;
	if (h_managerd_start(&F.m, t, NULL) != 0) {
		return -1;
	}
	if (h_connect(&F.m, &F.c) != 0) {
		h_managerd_cleanup(&F.m);
		return -1;
	}
	return 0;
}

int
group_setup_ipc(void **state)
{
	(void) state;
	return group_setup(H_IPC);
}

int
group_setup_tcp(void **state)
{
	(void) state;
	return group_setup(H_TCP);
}

/* The nng engine (--listen-nng), TLS and WebSocket: the same calls, the
 * same answers. */
int
group_setup_nng_ipc(void **state)
{
	(void) state;
	return group_setup(H_NNG_IPC);
}

int
group_setup_nng_tcp(void **state)
{
	(void) state;
	return group_setup(H_NNG_TCP);
}

int
group_setup_tls(void **state)
{
	(void) state;
	return group_setup(H_TLS);
}

/* nng's TLS (--listen-nng tls+tcp://), kept tested beside the loops'. */
int
group_setup_nng_tls(void **state)
{
	(void) state;
	return group_setup(H_NNG_TLS);
}

int
group_setup_ws(void **state)
{
	(void) state;
	return group_setup(H_WS);
}

int
group_setup_wss(void **state)
{
	(void) state;
	return group_setup(H_WSS);
}

int
group_teardown(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the group teardown");
	mgr_disconnect(F.c);
	F.c = NULL;
	// A clean shutdown (SIGTERM) must end with exit status 0.
	int code = h_managerd_stop(&F.m);
	h_watchdog_disarm();
	return code == 0 ? 0 : -1;
}

int
test_setup(void **state)
{
	(void) state;
	// Every test is bounded, even where a library call might not be.
	h_watchdog_arm(60, "the test of the last [ RUN ] line");
	return h_info_int(F.c, "objects_total", &F.objects0) == 0 ? 0 : -1;
}

int
test_teardown(void **state)
{
	(void) state;
	int64_t last = -1;
	if (h_info_await(F.c, "objects_total", NULL, F.objects0, 5000, &last)
	    != 0) {
		fprintf(stderr,
		    "objects_total is %" PRId64
		    " after the test, was %" PRId64
		    " before: the manager kept objects nobody holds\n",
		    last, F.objects0);
		return -1;
	}
	return 0;
}
