#ifndef TOOLS_LITERAL_H
#define TOOLS_LITERAL_H

/* Python literals (what repr prints) read into mgr_values, for the
 * command line: None, True, False, ints, floats (also inf, nan), 'str' and
 * "str" with Python's escapes, b'bytes', (tuples,), [lists], {dicts}. */

#include <mgr.h>
#include <stddef.h>

/* Parses all of text into *out. On success *out is the caller's, owned as
 * a library result is (MGR_VALUE_OWNED: free it with mgr_value_free).
 * Returns 0, MGR_ENOMEM, or MGR_EINVAL with why[] (cap bytes, may be 0)
 * saying what is wrong and at which offset; *out is then untouched. */
int literal_parse(const char *text, mgr_value *out, char *why, size_t cap);
/* The other way: v's repr (mgr_value_repr) in *text, malloc'd for the
 * caller to free. 0, MGR_ENOMEM, MGR_ETOOBIG (over 256 MiB) or
 * mgr_value_repr's error; *text is NULL on error. */
int literal_repr(const mgr_value *v, char **text);

#endif
