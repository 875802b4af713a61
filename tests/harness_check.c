/* Test harness: helpers that fail the running cmocka test themselves
 * (harness.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "check.h"
#include "harness.h"

void
h_assert_detail_has(const char *needle)
{
	if (strstr(mgr_errdetail(), needle) == NULL) {
		fail_msg("detail '%s' lacks '%s'", mgr_errdetail(), needle);
	}
}

void
h_start_client(h_managerd *m, mgr_client **c, const char *const *extra)
{
	assert_int_equal(h_managerd_start(m, H_TCP, extra), 0);
	if (c != NULL) {
		OK(h_connect(m, c));
	}
}

void
h_stop_client(h_managerd *m, mgr_client *c)
{
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(m), 0);
	h_managerd_cleanup(m);
}
