/* How many object types there are (types.def), for arrays kept per type:
 * a slot per ObjType code, 1..N (0: none). The build checks that every
 * listed code fits. */
#ifndef MGR_MANAGER_CORE_OBJECT_TYPES_H
#define MGR_MANAGER_CORE_OBJECT_TYPES_H

#include "manager.pb-c.h"

enum {
	MGR_TYPE_SLOTS = 1
#define MGR_TYPE(code, mtype) +1
#define MGR_OPS(table)
#include "types.def"
#undef MGR_TYPE
#undef MGR_OPS
};

#define MGR_TYPE(code, mtype)                                                \
	_Static_assert(                                                      \
	    (int) MGR__OBJ_TYPE__OBJ_##code < (int) MGR_TYPE_SLOTS,          \
	    "ObjType codes are 1..N, N the types listed");
#define MGR_OPS(table)
#include "types.def"
#undef MGR_TYPE
#undef MGR_OPS

#endif
