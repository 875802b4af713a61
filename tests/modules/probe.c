/* A module for test_modules: what its init does comes from its words
 * ("fail", "api", "dup", "none", "badname", "second"); by default it
 * registers "probe", whose methods try the manager's side of modules:
 *   set(v) write, get(), echo(v), fail() MGR_EVALUE with a detail,
 *   bad_result() a str with no data, bad_str() one not UTF-8,
 *   bad_code() 12345,
 *   wait_for(v) waits until the state == v (returns it),
 *   wait_bad() waits without MGR_METHOD_MAY_WAIT. */
#include <mgr_module.h>
#include <stdlib.h>
#include <string.h>

typedef struct probe {
	mgr_value v; /* owned (mgr_value_copy) */
} probe;

static int
create(const mgr_value *init, void **state)
{
	probe *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return MGR_ENOMEM;
	}
	if (init->kind == MGR_STR && init->len == 4
	    && memcmp(init->s, "boom", 4) == 0) {
		free(p);
		mgr_set_errdetail("refused to be made from 'boom'");
		return MGR_EVALUE;
	}
	int rv = mgr_value_copy(&p->v, init);
	if (rv != 0) {
		free(p);
		return rv;
	}
	*state = p;
	return 0;
}

static void
destroy(void *state)
{
	probe *p = state;
	mgr_value_free(&p->v);
	free(p);
}

static int
save(const void *state, mgr_value *out)
{
	return mgr_value_copy(out, &((const probe *) state)->v);
}

static int
load(const mgr_value *saved, void **state)
{
	return create(saved, state);
}

static int
set(void *state, const mgr_value *args, mgr_value *result)
{
	probe    *p = state;
	mgr_value v;
	(void) result;
	int rv = mgr_value_copy(&v, args);
	if (rv == 0) {
		mgr_value_free(&p->v);
		p->v = v;
	}
	return rv;
}

static int
get(void *state, const mgr_value *args, mgr_value *result)
{
	(void) args;
	*result = ((probe *) state)->v; // borrowed: copied by the manager
	return 0;
}

static int
echo(void *state, const mgr_value *args, mgr_value *result)
{
	(void) state;
	*result = *args;
	return 0;
}

static int
fail(void *state, const mgr_value *args, mgr_value *result)
{
	(void) state, (void) args, (void) result;
	mgr_set_errdetail("fail failed, as asked");
	return MGR_EVALUE;
}

static int
bad_result(void *state, const mgr_value *args, mgr_value *result)
{
	(void) state, (void) args;
	*result = (mgr_value) { .kind = MGR_STR, .len = 3, .s = NULL };
	return 0;
}

static int
bad_str(void *state, const mgr_value *args, mgr_value *result)
{
	(void) state, (void) args;
	*result = mgr_strn("\xff\xfe", 2); // not UTF-8
	return 0;
}

static int
bad_code(void *state, const mgr_value *args, mgr_value *result)
{
	(void) state, (void) args, (void) result;
	return 12345;
}

static int
wait_for(void *state, const mgr_value *args, mgr_value *result)
{
	probe *p = state;
	if (!mgr_value_equal(&p->v, args)) {
		return MGR_MODULE_WAIT;
	}
	*result = p->v;
	return 0;
}

static int
wait_bad(void *state, const mgr_value *args, mgr_value *result)
{
	(void) state, (void) args, (void) result;
	return MGR_MODULE_WAIT;
}

static const mgr_method_def methods[] = {
	{ "set", MGR_METHOD_WRITE, set },
	{ "get", 0, get },
	{ "echo", 0, echo },
	{ "fail", MGR_METHOD_WRITE, fail },
	{ "bad_result", 0, bad_result },
	{ "bad_code", 0, bad_code },
	{ "bad_str", 0, bad_str },
	{ "wait_for", MGR_METHOD_MAY_WAIT, wait_for },
	{ "wait_bad", 0, wait_bad },
};

static mgr_type_def probe_type = {
	.api      = MGR_MODULE_API,
	.name     = "probe",
	.create   = create,
	.destroy  = destroy,
	.save     = save,
	.load     = load,
	.methods  = methods,
	.nmethods = sizeof(methods) / sizeof(methods[0]),
};
static mgr_type_def other_type; /* probe_type under another name/api */

int
mgr_module_init(mgr_module *m, int argc, char **argv)
{
	const char *how = argc > 0 ? argv[0] : "";
	if (strcmp(how, "fail") == 0) {
		mgr_set_errdetail("the probe was told to fail");
		return MGR_EINVAL;
	}
	if (strcmp(how, "none") == 0) {
		return 0;
	}
	other_type = probe_type;
	if (strcmp(how, "api") == 0) {
		other_type.api = MGR_MODULE_API + 1;
		return mgr_module_type(m, &other_type);
	}
	if (strcmp(how, "dup") == 0) {
		other_type.name = "dict";
		return mgr_module_type(m, &other_type);
	}
	if (strcmp(how, "badname") == 0) {
		other_type.name = "no spaces";
		return mgr_module_type(m, &other_type);
	}
	if (strcmp(how, "second") == 0) { // "probe" and "probe2"
		other_type.name = "probe2";
		int rv          = mgr_module_type(m, &probe_type);
		return rv != 0 ? rv : mgr_module_type(m, &other_type);
	}
	return mgr_module_type(m, &probe_type);
}
