/* The names the manager knows: its object types by code, and the name
 * of each operation ("dict_get", from the schema). Apart from dispatch so
 * that whoever only needs a name (the figures, the introspection, the
 * log) does not depend on the dispatcher. */
#include <ctype.h>
#include <pthread.h>

#include "server.h"

static const mtype *const all_types[] = {
	&dict_type,
	&list_type,
	&namespace_type,
	&queue_type,
	&lock_type,
	&rlock_type,
	&semaphore_type,
	&bounded_semaphore_type,
	&condition_type,
	&event_type,
	&barrier_type,
	&scalar_type,
	&array_type,
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

#define MAX_OP_NAMES 256
static char           op_names[MAX_OP_NAMES][32];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void
build_names(void)
{
	for (unsigned i = 0; i < mgr__op__descriptor.n_values; i++) {
		const ProtobufCEnumValue *v = &mgr__op__descriptor.values[i];
		if ((unsigned) v->value < MAX_OP_NAMES) {
			char *out = op_names[v->value];
			for (size_t k = 0; v->name[k + 3] && k < 31; k++) {
				// "OP_DICT_GET" -> "dict_get"
				out[k] = (char) tolower(
				    (unsigned char) v->name[k + 3]);
			}
		}
	}
}

const char *
registry_op_name(Mgr__Op op)
{
	pthread_once(&names_once, build_names);
	return (unsigned) op < MAX_OP_NAMES && op_names[op][0] != '\0'
	    ? op_names[op]
	    : "unknown";
}
