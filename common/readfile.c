/* Reading a small file whole: key files, certificates, tokens. */
#include "readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "mgr.h"

int
read_file(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return MGR_EINVAL; // errno says why
	}
	size_t cap = 256, n = 0;
	char  *buf = malloc(cap);
	int    rv  = buf == NULL ? MGR_ENOMEM : 0;
	while (rv == 0) {
		n += fread(buf + n, 1, cap - 1 - n, f);
		if (n < cap - 1) {
			break; // end of file (or an error: ferror below)
		}
		if (cap > max) {
			rv = MGR_ETOOBIG;
			break;
		}
		char *nb = realloc(buf, cap * 2);
		if (nb == NULL) {
			rv = MGR_ENOMEM;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int err = errno;
	if (rv == 0 && ferror(f)) {
		rv = MGR_EINVAL;
	}
	fclose(f);
	if (rv != 0) {
		free(buf);
		errno = err;
		return rv;
	}
	buf[n] = '\0';
	*out   = buf;
	*len   = n;
	return 0;
}
