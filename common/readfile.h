/* Reading a small file whole (readfile.c). */
#ifndef MGR_COMMON_READFILE_H
#define MGR_COMMON_READFILE_H

#include <stddef.h>

/* The bytes of path in *out (malloc'd, the caller frees it, with a NUL
 * after them) and their count in *len. MGR_EINVAL when it can't be
 * opened or read (errno says why), MGR_ETOOBIG past about max bytes,
 * MGR_ENOMEM. */
int read_file(const char *path, size_t max, char **out, size_t *len);

#endif
