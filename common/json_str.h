/* Writing JSON string literals (json_str.c). */
#ifndef MGR_COMMON_JSON_STR_H
#define MGR_COMMON_JSON_STR_H

#include <stddef.h>
#include <stdio.h>

/* s[0..len) as a quoted JSON string: quotes, backslashes and control
 * characters escaped, UTF-8 passed through (s is valid UTF-8). */
void json_put_string(FILE *f, const char *s, size_t len);

#endif
