/* The lists the code keeps of the schema's facts, checked against the
 * schema: every object type has its mtype (types.def) under the schema's
 * name; every operation has exactly one handler entry (an MGR_OPS table)
 * and a seed in the fuzz corpus (tests/fuzz/corpus, made by make_corpus);
 * every handler entry is an operation of the schema. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "schema_names.h"
#include "server_state.h"

static const mop *const tables[] = {
#define MGR_TYPE(code, sym)
#define MGR_OPS(sym) sym,
#include "types.def"
#undef MGR_TYPE
#undef MGR_OPS
};

static void
test_types(void **state)
{
	(void) state;
	const ProtobufCEnumDescriptor *d = &mgr__obj_type__descriptor;
	for (unsigned i = 0; i < d->n_values; i++) {
		int code = d->values[i].value;
		if (code == MGR__OBJ_TYPE__OBJ_NONE) {
			continue;
		}
		const mtype *t = registry_type((Mgr__ObjType) code);
		if (t == NULL) {
			fail_msg("%s has no MGR_TYPE line in types.def",
			    d->values[i].name);
		}
		assert_true(code < MGR_TYPE_SLOTS);
		assert_string_equal(t->name, schema_type_name(code));
	}
}

/* How many handler entries op has, over every table. */
static int
entries_of(int op)
{
	int n = 0;
	for (size_t k = 0; k < sizeof(tables) / sizeof(tables[0]); k++) {
		for (const mop *m = tables[k]; m->fn != NULL; m++) {
			n += (int) m->op == op;
		}
	}
	return n;
}

/* Whether the corpus has a seed for the operation named name (files are
 * "OP_NAME_<n>"). */
static bool
has_seed(const char *name)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus", MGR_SOURCE_DIR);
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	size_t         n     = strlen(name);
	bool           found = false;
	struct dirent *e;
	while (!found && (e = readdir(dp)) != NULL) {
		found = strncmp(e->d_name, name, n) == 0
		    && e->d_name[n] == '_' && e->d_name[n + 1] >= '0'
		    && e->d_name[n + 1] <= '9';
	}
	closedir(dp);
	return found;
}

static void
test_operations(void **state)
{
	(void) state;
	const ProtobufCEnumDescriptor *d = &mgr__op__descriptor;
	for (unsigned i = 0; i < d->n_values; i++) {
		int         op   = d->values[i].value;
		const char *name = d->values[i].name;
		if (op == MGR__OP__OP_BATCH) {
			// dispatch.c serves it; its seed is "BATCH".
			assert_null(dispatch_op((Mgr__Op) op));
			continue;
		}
		if (entries_of(op) != 1) {
			fail_msg("%s has %d handler entries (want 1)", name,
			    entries_of(op));
		}
		assert_non_null(dispatch_op((Mgr__Op) op));
		// Every seed creates an object: OP_CREATE is in all of them.
		if (op != MGR__OP__OP_CREATE && !has_seed(name)) {
			fail_msg(
			    "%s has no seed in tests/fuzz/corpus: add it "
			    "to make_corpus.c and run it",
			    name);
		}
	}
	// And no entry for an operation the schema does not have.
	for (size_t k = 0; k < sizeof(tables) / sizeof(tables[0]); k++) {
		for (const mop *m = tables[k]; m->fn != NULL; m++) {
			if (protobuf_c_enum_descriptor_get_value(
			        d, (int) m->op)
			    == NULL) {
				fail_msg("a handler entry for op %d, not in "
				         "the schema",
				    (int) m->op);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_operations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
