/* The assertions every test uses (cmocka's fail_msg, with the error's
 * name and detail), the bound of waits for a state, and the check of the
 * child programs (which report on stderr and exit 2). Include after
 * <cmocka.h> in tests; child programs include it without cmocka. */
#ifndef MGR_TESTS_CHECK_H
#define MGR_TESTS_CHECK_H

#include <mgr.h>
#include <stdio.h>

/* A call that must succeed. */
#define OK(call)                                                             \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			fail_msg("%s: %s (%s)", #call, mgr_strerror(rv_),    \
			    mgr_errdetail());                                \
		}                                                            \
	} while (0)

/* A call that must fail with code. */
#define ERR(code, call)                                                      \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != (code)) {                                         \
			fail_msg("%s: got %s, want %s (%s)", #call,          \
			    mgr_strerror(rv_), mgr_strerror(code),           \
			    mgr_errdetail());                                \
		}                                                            \
	} while (0)

/* In a child program's main: a call that must succeed, or exit 2. */
#define CHECK(call)                                                          \
	do {                                                                 \
		int rv_ = (call);                                            \
		if (rv_ != 0) {                                              \
			fprintf(stderr, "%s: %s: %s (%s)\n", __FILE__,       \
			    #call, mgr_strerror(rv_), mgr_errdetail());      \
			return 2;                                            \
		}                                                            \
	} while (0)

#define countof(a) (sizeof(a) / sizeof((a)[0]))

/* The bound of every wait for a state (ms): generous, for sanitizer
 * builds on a loaded 2-core VM. */
#define AWAIT_MS 20000

#endif
