/* Helpers of the typed proxies (dict.c, list.c, namespace.c, ...): object
 * creation and calls whose result must be of one kind. */
#ifndef MGR_PROXY_CREATE_H
#define MGR_PROXY_CREATE_H

#include "internal.h"

/* Creates a shared object of the given type on c's manager (OP_CREATE with
 * the constructor arguments args, borrowed) and gives its new proxy in
 * *out, owned by the caller (mgr_obj_release). MGR_EINVAL for a NULL c or
 * out; MGR_EPROTO if the manager answers anything but a ref of that type.
 * *out is untouched on error. */
int obj_create(mgr_client *c, Mgr__ObjType type, const mgr_value *args,
    size_t nargs, mgr_obj **out);

/* Any kind: the result may be of every kind. */
#define OBJ_ANY_KIND (-1)

/* obj_call whose result must be of kind `kind` (a mgr_kind, or
 * OBJ_ANY_KIND). On success *out gets the result (owned by the caller);
 * on error *out is untouched. out is checked (MGR_EINVAL) before anything
 * is sent; a result of another kind is freed and gives MGR_EPROTO. */
int obj_call_value(mgr_obj *o, uint32_t types, Mgr__Op op,
    const mgr_value *args, size_t nargs, int kind, mgr_value *out);

/* obj_call whose result is a MGR_BOOL, given in *out. */
int obj_call_bool(mgr_obj *o, uint32_t types, Mgr__Op op,
    const mgr_value *args, size_t nargs, bool *out);

/* obj_call whose result is a MGR_INT, given in *out. */
int obj_call_int(mgr_obj *o, uint32_t types, Mgr__Op op,
    const mgr_value *args, size_t nargs, int64_t *out);

/* obj_call whose result is a non-negative MGR_INT (a size or count),
 * given in *out. */
int obj_call_size(mgr_obj *o, uint32_t types, Mgr__Op op,
    const mgr_value *args, size_t nargs, size_t *out);

/* The typecode argument of a scalar or array (a one-character str; one
 * that is not printable ASCII is refused here, MGR_EINVAL). typecode must
 * outlive the call that sends *arg. */
int obj_typecode(const char *typecode, mgr_value *arg);

#endif
