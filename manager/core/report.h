/* Building the dicts and lists the manager reports about itself (info,
 * sessions, name lists) without an error check per field: a report keeps
 * the first error, every later put is skipped, and the caller checks
 * once at the end. */
#ifndef MGR_MANAGER_CORE_REPORT_H
#define MGR_MANAGER_CORE_REPORT_H

#include <stdint.h>

#include "value.h"

typedef struct report {
	int rv; /* the first error (MGR_ENOMEM), or 0 */
} report;

/* d[key] = v, moving v (freed when the report has failed). d is a
 * SV_DICT value. */
void report_put(report *r, sval *d, const char *key, sval v);
void report_put_int(report *r, sval *d, const char *key, int64_t i);
/* d[key] = the str s (copied). */
void report_put_str(report *r, sval *d, const char *key, const char *s);
/* Appends v (moved) to the list l. */
void report_append(report *r, sval *l, sval v);
/* The str s (copied; SV_NONE once the report has failed). */
sval report_str(report *r, const char *s);
/* A new empty dict (SV_NONE once the report has failed). */
sval report_dict(report *r);
sval report_list(report *r);

#endif
