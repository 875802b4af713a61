/* The calling thread's detail of its last error (mgr_errdetail). */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

/* mgr_strerror lives in common/errors.c: managerd's logs use it too. */

/* One buffer per thread: a detail belongs to the call that failed in the
 * calling thread, never to another thread's. */
static _Thread_local char err_detail[512];

const char *
mgr_errdetail(void)
{
	return err_detail;
}

static void
set_detail(const char *fmt, va_list ap)
{
	if (fmt == NULL) {
		err_detail[0] = '\0';
	} else {
		vsnprintf(err_detail, sizeof(err_detail), fmt, ap);
	}
}

void
client_set_detail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_detail(fmt, ap);
	va_end(ap);
}

int
client_bad_arg(const char *func, const char *arg, const char *why)
{
	client_set_detail("%s: %s %s", func, arg, why);
	return MGR_EINVAL;
}

void
mgr_set_errdetail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_detail(fmt, ap);
	va_end(ap);
}

int
client_check_timeout(int64_t timeout)
{
	if (timeout < MGR_FOREVER) {
		client_set_detail("timeout must be >= 0 or MGR_FOREVER, not "
		                  "%lld",
		    (long long) timeout);
		return MGR_EINVAL;
	}
	return 0;
}
