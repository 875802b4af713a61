/* The manager's object types by code (types.def), and the name of each
 * operation (the schema's, common/schema_names.c). Apart from dispatch so
 * that whoever only needs a name (the figures, the introspection, the
 * log) does not depend on the dispatcher. */
#include <string.h>

#include "schema_names.h"
#include "server_state.h"

static const mtype *const all_types[] = {
#define MGR_TYPE(code, sym) &sym,
#define MGR_OPS(sym)
#include "types.def"
#undef MGR_TYPE
#undef MGR_OPS
};

const mtype *
registry_type(Mgr__ObjType code)
{
	for (size_t i = 0; i < sizeof(all_types) / sizeof(all_types[0]);
	     i++) {
		if (all_types[i]->code == code) {
			return all_types[i];
		}
	}
	return NULL;
}

const mtype *
registry_type_named(const char *name)
{
	for (size_t i = 0; i < sizeof(all_types) / sizeof(all_types[0]);
	     i++) {
		if (strcmp(all_types[i]->name, name) == 0) {
			return all_types[i];
		}
	}
	return NULL;
}

const char *
registry_op_name(Mgr__Op op)
{
	return schema_op_name((int) op);
}
