/* The request context's helpers for handlers: error details and typed
 * access to the decoded arguments. */
#include <stdarg.h>
#include <stdio.h>

#include "journal.h"
#include "object.h"
#include "server_state.h"

int
mctx_fail(mctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return code;
}

/* Whether n elements' worth of work is within --max-op-elements. A
 * request the log replays was applied and acknowledged then, maybe under
 * a higher limit: it is applied again whatever its size. */
static bool
within_limit(const mctx *c, size_t n)
{
	return n <= c->srv->lim.max_op_elements || journal_replaying(c->srv);
}

int
mctx_check_elements(mctx *c, size_t n, const char *what)
{
	size_t max = c->srv->lim.max_op_elements;
	if (within_limit(c, n)) {
		return 0;
	}
	return mctx_fail(c, MGR_ETOOBIG,
	    "%s would take %zu elements, over --max-op-elements %zu (what "
	    "one request may read, copy or sort while every other client "
	    "waits): read it in slices, or raise the limit",
	    what, n, max);
}

int
mctx_walk(mctx *c, enum mctx_walk kind, size_t n, const char *what)
{
	if (c->batch != NULL) {
		c->work += kind == MCTX_SEARCH ? MCTX_SEARCH_COST(n)
		                               : MCTX_MOVE_COST(n);
		return 0;
	}
	size_t cost
	    = kind == MCTX_SEARCH ? MCTX_SEARCH_ONE(n) : MCTX_MOVE_ONE(n);
	if (within_limit(c, cost)) {
		return 0;
	}
	return mctx_fail(c, MGR_ETOOBIG,
	    "%s of %zu elements counts as %zu, over --max-op-elements %zu "
	    "(what one request may walk while every other client waits): "
	    "raise the limit, or keep such containers smaller",
	    what, n, cost, c->srv->lim.max_op_elements);
}

size_t
mctx_max_op_elements(const mctx *c)
{
	return c->srv->lim.max_op_elements;
}

size_t
mobj_whole_values(const mobj *o, int op, size_t max)
{
	if (o->type->values != NULL) {
		return o->type->values(o, op, max);
	}
	return o->type->size != NULL ? o->type->size(o) : 0;
}

int
mctx_arg_int(mctx *c, size_t i, int64_t *out)
{
	if (i >= c->nargs || c->args[i].kind != SV_INT) {
		return mctx_fail(c, MGR_ETYPE,
		    "argument %zu must be an int, not %s", i + 1,
		    i < c->nargs ? sv_type_name(&c->args[i]) : "missing");
	}
	*out = c->args[i].i;
	return 0;
}

int
mctx_arg_bool(mctx *c, size_t i, bool *out)
{
	if (i >= c->nargs || c->args[i].kind != SV_BOOL) {
		return mctx_fail(c, MGR_ETYPE,
		    "argument %zu must be a bool, not %s", i + 1,
		    i < c->nargs ? sv_type_name(&c->args[i]) : "missing");
	}
	*out = c->args[i].b;
	return 0;
}

int
mctx_arg_str(mctx *c, size_t i, const char **s, size_t *len)
{
	if (i >= c->nargs || c->args[i].kind != SV_STR) {
		return mctx_fail(c, MGR_ETYPE,
		    "argument %zu must be a str, not %s", i + 1,
		    i < c->nargs ? sv_type_name(&c->args[i]) : "missing");
	}
	*s = sv_sdata(&c->args[i]);
	if (len != NULL) {
		*len = sv_slen(&c->args[i]);
	}
	return 0;
}

int
mctx_check_room(mctx *c, size_t have, size_t adding)
{
	size_t max = c->srv->lim.max_items;
	if (adding > max || have > max - adding) {
		return mctx_fail(c, MGR_ETOOBIG,
		    "a container of %zu elements can't take %zu more: the "
		    "limit is %zu (--max-items)",
		    have, adding, max);
	}
	return 0;
}

bool
mctx_full(mctx *c, size_t have)
{
	return have >= c->srv->lim.max_items;
}

int
mctx_check_timeout(mctx *c)
{
	if (c->rq->timeout_ms < -1) {
		return mctx_fail(c, MGR_EINVAL,
		    "'timeout' must be a non-negative number (or -1: none)");
	}
	return 0;
}
