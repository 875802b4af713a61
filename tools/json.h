#ifndef TOOLS_JSON_H
#define TOOLS_JSON_H

/* mgr_values as JSON, for managerctl --json (scripts, jq). Python's
 * json.dumps mapping where there is one: None null, tuples and lists
 * arrays, dict keys as strings (a non-str key as its Python repr), NaN
 * and infinities as strings ("nan", "inf", "-inf": JSON has none);
 * where there is none, tagged objects: bytes {"bytes": "<base64>"}, a
 * proxy {"ref": TYPE}. */

#include <mgr.h>
#include <stdio.h>

/* Writes v to f as one line of JSON. 0, MGR_ENOMEM, or MGR_EINVAL for
 * a value nested over 64 deep. */
int json_print(FILE *f, const mgr_value *v);

#endif
