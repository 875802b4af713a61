/* Reports as JSON (sv_json.c). */
#ifndef MGR_MANAGER_WEB_SV_JSON_H
#define MGR_MANAGER_WEB_SV_JSON_H

#include <stddef.h>

#include "value.h"

/* v as JSON text (a dict's keys are str, or ints written as strings;
 * NaN and infinities as null) in a malloc'd buffer *out of *len bytes,
 * the caller's to free. 0 or MGR_ENOMEM. */
int sv_to_json(const sval *v, char **out, size_t *len);

#endif
