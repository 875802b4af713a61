/* Between the manager's values (sval) and the public mgr_value, for the
 * methods of managerd modules, which see mgr_value (mgr_module.h). Pure
 * data: no references cross (a module's state holds none). */
#ifndef MGR_MANAGER_DATA_MVALUE_H
#define MGR_MANAGER_DATA_MVALUE_H

#include "mgr.h"
#include "value.h"

/* A borrowed view of v in *out for a method's arguments: strings point
 * into v (which must stay where it is while *out is used), lists and dicts
 * get arrays of their own (mv_view_free). MGR_ETYPE for a reference,
 * MGR_ENOMEM. On error *out is None and nothing is left to free. */
int mv_view(const sval *v, mgr_value *out);
/* Frees the arrays mv_view made (not what they point to). */
void mv_view_free(mgr_value *v);
/* A deep copy of the module's value v in *out (a method's result, what
 * save gave). MGR_ETYPE for a reference, a dict key that is not hashable,
 * an unknown kind, a NULL where data is due or a str that is not UTF-8;
 * MGR_ETOOBIG past the nesting limit; MGR_ENOMEM. *out is None on
 * error. */
int mv_to_sval(const mgr_value *v, sval *out);

#endif
