/* The notes' Account as a managerd module: its balance kept in the
 * manager, its methods run there, each atomically, in one round trip:
 *
 *   deposit(n)       -> the new balance (n > 0)
 *   withdraw(n)      -> the new balance, or MGR_ESTATE when the balance
 *                       is short (nothing taken)
 *   balance()        -> the balance
 *   wait_at_least(n) -> the balance, once it is n or more (waits)
 *
 * Build: cc -shared -fPIC -o account.so account.c $(pkg-config --cflags
 * --libs mgr); serve: managerd --load-module /path/account.so ...;
 * use: mgr_custom_new(c, "account", mgr_int(200), &a);
 *      mgr_call(a, "withdraw", mgr_int(100), 0, &v);
 * examples/account_module.c is a program using it. */
#include <mgr_module.h>
#include <stdlib.h>

typedef struct account {
	int64_t balance;
} account;

/* An amount argument: an int above 0 (and, with the balance, no
 * overflow). */
static int
amount_of(const mgr_value *args, int64_t *n)
{
	if (args->kind != MGR_INT || args->i <= 0) {
		mgr_set_errdetail("the amount must be an int above 0");
		return args->kind != MGR_INT ? MGR_ETYPE : MGR_EINVAL;
	}
	*n = args->i;
	return 0;
}

static int
create(const mgr_value *init, void **state)
{
	if (init->kind != MGR_NONE
	    && (init->kind != MGR_INT || init->i < 0)) {
		mgr_set_errdetail("an account opens with a balance of 0 or "
		                  "more (an int)");
		return MGR_EINVAL;
	}
	account *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return MGR_ENOMEM;
	}
	a->balance = init->kind == MGR_INT ? init->i : 0;
	*state     = a;
	return 0;
}

static void
destroy(void *state)
{
	free(state);
}

static int
save(const void *state, mgr_value *out)
{
	*out = mgr_int(((const account *) state)->balance);
	return 0;
}

static int
load(const mgr_value *saved, void **state)
{
	return create(saved, state);
}

static int
deposit(void *state, const mgr_value *args, mgr_value *result)
{
	account *a = state;
	int64_t  n;
	int      rv = amount_of(args, &n);
	if (rv != 0) {
		return rv;
	}
	if (a->balance > INT64_MAX - n) {
		mgr_set_errdetail("the balance would pass 2**63 - 1");
		return MGR_ERANGE;
	}
	a->balance += n;
	*result = mgr_int(a->balance);
	return 0;
}

static int
withdraw(void *state, const mgr_value *args, mgr_value *result)
{
	account *a = state;
	int64_t  n;
	int      rv = amount_of(args, &n);
	if (rv != 0) {
		return rv;
	}
	if (a->balance < n) {
		mgr_set_errdetail("the balance %lld is short of %lld",
		    (long long) a->balance, (long long) n);
		return MGR_ESTATE; // nothing changed
	}
	a->balance -= n;
	*result = mgr_int(a->balance);
	return 0;
}

static int
balance(void *state, const mgr_value *args, mgr_value *result)
{
	(void) args;
	*result = mgr_int(((account *) state)->balance);
	return 0;
}

static int
wait_at_least(void *state, const mgr_value *args, mgr_value *result)
{
	account *a = state;
	if (args->kind != MGR_INT) {
		mgr_set_errdetail("wait_at_least takes an int");
		return MGR_ETYPE;
	}
	if (a->balance < args->i) {
		return MGR_MODULE_WAIT; // called again after each deposit
	}
	*result = mgr_int(a->balance);
	return 0;
}

static const mgr_method_def methods[] = {
	{ "deposit", MGR_METHOD_WRITE, deposit },
	{ "withdraw", MGR_METHOD_WRITE, withdraw },
	{ "balance", 0, balance },
	{ "wait_at_least", MGR_METHOD_MAY_WAIT, wait_at_least },
};

static const mgr_type_def account_type = {
	.api      = MGR_MODULE_API,
	.name     = "account",
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
	return mgr_module_type(m, &account_type);
}
