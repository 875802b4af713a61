/* Guards in atomic batches: ASSERT compares an earlier entry's result
 * with a value, and a false one fails the batch, so nothing of it is
 * applied (etcd's transaction compares, inside the batch itself). The
 * dispatcher runs it as any entry: under the server lock, after the
 * entries before it and before those after it. */
#include "mgr.h"
#include "server_state.h"

static const char *const cmp_symbol[] = { "==", "!=", "<", "<=", ">", ">=" };

/* Whether `a op b` holds, in Python's terms: orderings need a pair
 * Python can order (MGR_ETYPE, with c's detail, otherwise); == and !=
 * compare anything (numbers by value, 1 == 1.0; others by type and
 * content). */
static int
holds(mctx *c, const sval *a, int op, const sval *b, bool *yes)
{
	int         cmp;
	const sval *bad_a = a, *bad_b = b;
	int         rv = sv_compare_ex(a, b, &cmp, &bad_a, &bad_b);
	if (rv == MGR_ETYPE && op <= MGR_CMP_NE) {
		*yes = sv_equal(a, b) == (op == MGR_CMP_EQ);
		return 0;
	}
	if (rv != 0) {
		return mctx_fail(c, rv,
		    "'%s' not supported between instances of '%s' and '%s'",
		    cmp_symbol[op], sv_type_name(bad_a), sv_type_name(bad_b));
	}
	switch (op) {
	case MGR_CMP_EQ:
		*yes = cmp == 0;
		break;
	case MGR_CMP_NE:
		*yes = cmp != 0;
		break;
	case MGR_CMP_LT:
		*yes = cmp < 0;
		break;
	case MGR_CMP_LE:
		*yes = cmp <= 0;
		break;
	case MGR_CMP_GT:
		*yes = cmp > 0;
		break;
	default:
		*yes = cmp >= 0;
		break;
	}
	return 0;
}

/* ASSERT index cmp value -> None; false: MGR_EABORTED, the result being
 * the value that was compared (what the balance was, for the caller's
 * message). */
static int
h_assert(mctx *c)
{
	int64_t index, op;
	int     rv;
	if (c->batch == NULL) {
		return mctx_fail(c, MGR_EINVAL,
		    "ASSERT is only allowed in an atomic batch (it guards "
		    "the batch's other operations)");
	}
	if ((rv = mctx_arg_int(c, 0, &index)) != 0
	    || (rv = mctx_arg_int(c, 1, &op)) != 0) {
		return rv;
	}
	if (index < 0 || (uint64_t) index >= c->batch_index) {
		return mctx_fail(c, MGR_EINVAL,
		    "operation %zu: ASSERT names operation %lld, which is "
		    "not an earlier one of the batch",
		    c->batch_index, (long long) index);
	}
	if (op < MGR_CMP_EQ || op > MGR_CMP_GE) {
		return mctx_fail(c, MGR_EINVAL,
		    "operation %zu: comparison %lld is not an mgr_cmp "
		    "(MGR_CMP_EQ 0 to MGR_CMP_GE 5)",
		    c->batch_index, (long long) op);
	}
	const sval *seen = &c->batch[index].res;
	bool        yes  = false;
	if ((rv = holds(c, seen, (int) op, &c->args[2], &yes)) != 0) {
		return rv;
	}
	if (!yes) {
		char a[80], b[80];
		mctx_fail(c, MGR_EABORTED,
		    "assertion at operation %zu failed: operation %lld's "
		    "result %s %s %s is false",
		    c->batch_index, (long long) index,
		    sv_repr(seen, a, sizeof(a)), cmp_symbol[op],
		    sv_repr(&c->args[2], b, sizeof(b)));
		// Without memory for the copy the failure goes out alone.
		c->res_on_failure = sv_copy(&c->res, seen) == 0;
		return MGR_EABORTED;
	}
	return 0;
}

const mop guard_ops[] = {
	{ MGR__OP__OP_ASSERT, 0, 3, 3, 0, h_assert },
	{ 0 },
};
