/* The types managerd modules register (mgr_module.h), for the loader
 * (manager/modules.c): what a module is while its init runs. */
#ifndef MGR_MANAGER_TYPES_CUSTOM_H
#define MGR_MANAGER_TYPES_CUSTOM_H

#include <stddef.h>

#include "mgr_module.h"

/* The handle mgr_module_init gets. */
struct mgr_module {
	const char *path; /* for messages */
	/* The module's own mgr_value_free (its libmgr's), which frees what
	 * its save gives. */
	void (*value_free)(mgr_value *v);
	size_t ntypes;      /* registered so far */
	char   detail[256]; /* why mgr_module_type refused, for the loader */
};

/* The detail the module set with mgr_set_errdetail, "" when none: for the
 * loader, after an init that failed. Cleared by custom_detail_clear. */
const char *custom_detail(void);
void        custom_detail_clear(void);

/* Frees every registered type (at exit, after the server is gone). */
void custom_types_free(void);

#endif
