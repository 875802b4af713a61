/* A token bucket as a managerd module: what only a module does well, a
 * take that waits for tokens in the manager, in arrival order, without a
 * round trip per try. The bucket has no clock (methods are deterministic:
 * the manager's log replays them); whoever paces it calls refill, a timer
 * process say, and every refill wakes the takers it can serve.
 *
 *   take(n)     -> the tokens left, once n were there (waits; n >= 1)
 *   refill(n)   -> the tokens now (never over the capacity)
 *   available() -> the tokens now
 *
 * mgr_custom_new(c, "token_bucket", capacity, &b) makes a full bucket. */
#include <mgr_module.h>
#include <stdlib.h>

typedef struct bucket {
	int64_t tokens, capacity;
} bucket;

static int
count_of(const mgr_value *v, int64_t *n)
{
	if (v->kind != MGR_INT || v->i < 1) {
		mgr_set_errdetail("a count of tokens is an int of 1 or more");
		return v->kind != MGR_INT ? MGR_ETYPE : MGR_EINVAL;
	}
	*n = v->i;
	return 0;
}

static int
create(const mgr_value *init, void **state)
{
	int64_t cap;
	int     rv = count_of(init, &cap);
	if (rv != 0) {
		mgr_set_errdetail("a token bucket is made with its capacity "
		                  "(an int of 1 or more)");
		return rv;
	}
	bucket *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		return MGR_ENOMEM;
	}
	b->tokens = b->capacity = cap;
	*state                  = b;
	return 0;
}

static void
destroy(void *state)
{
	free(state);
}

/* [tokens, capacity] */
static int
save(const void *state, mgr_value *out)
{
	const bucket *b     = state;
	mgr_value    *items = malloc(2 * sizeof(*items));
	if (items == NULL) {
		return MGR_ENOMEM;
	}
	items[0] = mgr_int(b->tokens);
	items[1] = mgr_int(b->capacity);
	*out     = mgr_list_of(items, 2);
	out->flags |= MGR_VALUE_OWNED; // the manager frees items
	return 0;
}

static int
load(const mgr_value *saved, void **state)
{
	if (saved->kind != MGR_LIST || saved->len != 2
	    || saved->items[0].kind != MGR_INT
	    || saved->items[1].kind != MGR_INT) {
		mgr_set_errdetail("a saved bucket is [tokens, capacity]");
		return MGR_EINVAL;
	}
	bucket *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		return MGR_ENOMEM;
	}
	b->tokens   = saved->items[0].i;
	b->capacity = saved->items[1].i;
	*state      = b;
	return 0;
}

static int
take(void *state, const mgr_value *args, mgr_value *result)
{
	bucket *b = state;
	int64_t n;
	int     rv = count_of(args, &n);
	if (rv != 0) {
		return rv;
	}
	if (n > b->capacity) {
		mgr_set_errdetail("%lld tokens will never be there (capacity "
		                  "%lld)",
		    (long long) n, (long long) b->capacity);
		return MGR_EINVAL;
	}
	if (b->tokens < n) {
		return MGR_MODULE_WAIT; // tried again after each refill
	}
	b->tokens -= n;
	*result = mgr_int(b->tokens);
	return 0;
}

static int
refill(void *state, const mgr_value *args, mgr_value *result)
{
	bucket *b = state;
	int64_t n;
	int     rv = count_of(args, &n);
	if (rv != 0) {
		return rv;
	}
	b->tokens
	    = n >= b->capacity - b->tokens ? b->capacity : b->tokens + n;
	*result = mgr_int(b->tokens);
	return 0;
}

static int
available(void *state, const mgr_value *args, mgr_value *result)
{
	(void) args;
	*result = mgr_int(((bucket *) state)->tokens);
	return 0;
}

static const mgr_method_def methods[] = {
	{ "take", MGR_METHOD_WRITE | MGR_METHOD_MAY_WAIT, take },
	{ "refill", MGR_METHOD_WRITE, refill },
	{ "available", 0, available },
};

static const mgr_type_def bucket_type = {
	.api      = MGR_MODULE_API,
	.name     = "token_bucket",
	.create   = create,
	.destroy  = destroy,
	.save     = save,
	.load     = load,
	.methods  = methods,
	.nmethods = sizeof(methods) / sizeof(methods[0]),
};

int
mgr_module_init(mgr_module *m, int argc, char **argv)
{
	(void) argc, (void) argv;
	return mgr_module_type(m, &bucket_type);
}
