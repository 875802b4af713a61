#include "schema_names.h"

#include <ctype.h>
#include <pthread.h>

#include "manager.pb-c.h"

#define MAX_CODES 256
#define NAME_CAP  32

static char           type_names[MAX_CODES][NAME_CAP];
static char           op_names[MAX_CODES][NAME_CAP];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Every value of d in names[value], its prefix ("OBJ_", "OP_") dropped
 * and lower-cased. */
static void
fill(const ProtobufCEnumDescriptor *d, size_t prefix, char (*names)[NAME_CAP])
{
	for (unsigned i = 0; i < d->n_values; i++) {
		const ProtobufCEnumValue *v = &d->values[i];
		if ((unsigned) v->value >= MAX_CODES) {
			continue;
		}
		char *out = names[v->value];
		for (size_t k = 0; v->name[prefix + k] && k < NAME_CAP - 1;
		     k++) {
			out[k] = (char) tolower(
			    (unsigned char) v->name[prefix + k]);
		}
	}
}

static void
build(void)
{
	fill(&mgr__obj_type__descriptor, 4, type_names);
	fill(&mgr__op__descriptor, 3, op_names);
}

const char *
schema_type_name(int code)
{
	pthread_once(&once, build);
	return code > 0 && code < MAX_CODES && type_names[code][0] != '\0'
	    ? type_names[code]
	    : "unknown";
}

const char *
schema_op_name(int op)
{
	pthread_once(&once, build);
	return op >= 0 && op < MAX_CODES && op_names[op][0] != '\0'
	    ? op_names[op]
	    : "unknown";
}
