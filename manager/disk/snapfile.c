/* Snapshot files and the manifest (snapfile.h). A snapshot is written by
 * one process from start to end and read whole at start: a buffer and
 * write(2), no preallocation, no torn end (an unfinished one is a .tmp no
 * manifest names). */
#include "snapfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wal_format.h"

static const char snap_magic[8] = { 'M', 'G', 'R', 'S', 'N', 'A', 'P', 0 };

#define SNAP_BUF ((size_t) 1 << 20)

struct snapfile {
	int      dirfd, fd;
	char     tmp[40], name[40];
	uint8_t *buf;
	size_t   len;
	uint64_t bytes;
};

static void
names_of(uint64_t lsn, char tmp[40], char name[40])
{
	snprintf(tmp, 40, "snap-%016llx.tmp", (unsigned long long) lsn);
	snprintf(name, 40, "snap-%016llx.snap", (unsigned long long) lsn);
}

static int
put_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

static int
flush(snapfile *f)
{
	int rv = put_all(f->fd, f->buf, f->len);
	f->len = 0;
	return rv;
}

int
snapfile_create(
    const char *dir, uint64_t lsn, snapfile **out, char *why, size_t whycap)
{
	snapfile *f = calloc(1, sizeof(*f));
	if (f == NULL || (f->buf = malloc(SNAP_BUF)) == NULL) {
		free(f);
		wal_say(why, whycap, "out of memory");
		return -ENOMEM;
	}
	names_of(lsn, f->tmp, f->name);
	f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	f->fd    = f->dirfd < 0
	       ? -1
	       : openat(f->dirfd, f->tmp,
	           O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		int e = errno;
		wal_say(why, whycap, "%s/%s: %s", dir, f->tmp, strerror(e));
		if (f->dirfd >= 0) {
			close(f->dirfd);
		}
		free(f->buf);
		free(f);
		return -e;
	}
	header_make(f->buf, snap_magic, SNAP_FORMAT_VERSION, lsn);
	f->len   = HEADER_LEN;
	f->bytes = HEADER_LEN;
	*out     = f;
	return 0;
}

int
snapfile_put(snapfile *f, const void *p, size_t n)
{
	if (n == 0 || n > WAL_MAX_RECORD) {
		return -EINVAL;
	}
	uint8_t head[RECORD_HEAD];
	put32(head, (uint32_t) n);
	put32(head + 4, record_crc(head, p, n));
	size_t               pad = padded(RECORD_HEAD + n) - RECORD_HEAD - n;
	static const uint8_t zeros[8];
	if (f->len + RECORD_HEAD + n + pad > SNAP_BUF) {
		int rv = flush(f);
		if (rv != 0) {
			return rv;
		}
	}
	if (RECORD_HEAD + n + pad > SNAP_BUF) { // larger than the buffer
		int rv = put_all(f->fd, head, RECORD_HEAD);
		if (rv == 0) {
			rv = put_all(f->fd, p, n);
		}
		if (rv == 0) {
			rv = put_all(f->fd, zeros, pad);
		}
		f->bytes += RECORD_HEAD + n + pad;
		return rv;
	}
	memcpy(f->buf + f->len, head, RECORD_HEAD);
	memcpy(f->buf + f->len + RECORD_HEAD, p, n);
	memset(f->buf + f->len + RECORD_HEAD + n, 0, pad);
	f->len += RECORD_HEAD + n + pad;
	f->bytes += RECORD_HEAD + n + pad;
	return 0;
}

uint64_t
snapfile_bytes(const snapfile *f)
{
	return f->bytes;
}

static void
snapfile_free(snapfile *f)
{
	if (f->fd >= 0) {
		close(f->fd);
	}
	close(f->dirfd);
	free(f->buf);
	free(f);
}

void
snapfile_abort(snapfile *f)
{
	if (f != NULL) {
		unlinkat(f->dirfd, f->tmp, 0);
		snapfile_free(f);
	}
}

int
snapfile_commit(snapfile *f, char *why, size_t whycap)
{
	int rv = flush(f);
	if (rv == 0 && fsync(f->fd) != 0) {
		rv = -errno;
	}
	if (rv == 0 && renameat(f->dirfd, f->tmp, f->dirfd, f->name) != 0) {
		rv = -errno;
	}
	if (rv == 0 && fsync(f->dirfd) != 0) {
		rv = -errno;
	}
	if (rv != 0) {
		wal_say(why, whycap, "%s: %s", f->tmp, strerror(-rv));
		snapfile_abort(f);
		return rv;
	}
	snapfile_free(f);
	return 0;
}

int
snapfile_read(const char *dir, uint64_t lsn, wal_replay_fn fn, void *arg,
    uint64_t *records, uint64_t *bytes, char *why, size_t whycap)
{
	char tmp[40], name[40];
	names_of(lsn, tmp, name);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = dirfd < 0 ? -1 : openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		int e = errno;
		wal_say(why, whycap, "%s: %s", name, strerror(e));
		if (fd >= 0) {
			close(fd);
		}
		if (dirfd >= 0) {
			close(dirfd);
		}
		return -e;
	}
	close(dirfd);
	size_t   size = (size_t) sb.st_size;
	uint8_t *m    = size >= HEADER_LEN
	       ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0)
	       : NULL;
	close(fd);
	if (m == MAP_FAILED) {
		int e = errno;
		wal_say(why, whycap, "%s: %s", name, strerror(e));
		return -e;
	}
	int rv = 0;
	if (m == NULL || memcmp(m, snap_magic, 8) != 0) {
		wal_say(why, whycap, "%s: not a snapshot (no header)", name);
		rv = -EBADMSG;
	} else if (get32(m + 8) != SNAP_FORMAT_VERSION) {
		wal_say(why, whycap,
		    "%s: snapshot format version %u; this managerd reads "
		    "version %d",
		    name, get32(m + 8), SNAP_FORMAT_VERSION);
		rv = -EPROTO;
	} else if (get32(m + 12) != HEADER_LEN
	    || crc32c(0, m, 24) != get32(m + 24) || get64(m + 16) != lsn) {
		wal_say(why, whycap, "%s: a damaged header", name);
		rv = -EBADMSG;
	}
	uint64_t n_records = 0;
	size_t   off       = HEADER_LEN;
	while (rv == 0 && off < size) {
		uint32_t    n;
		const char *bad = record_bad(m, off, size, &n);
		if (bad == NULL && padded(off + RECORD_HEAD + n) > size) {
			bad = "a length past the end of the file"; // its
			                                           // padding
		}
		if (bad != NULL) {
			wal_say(why, whycap,
			    "%s: a damaged record at offset %zu (record "
			    "%llu: %s)",
			    name, off, (unsigned long long) n_records + 1,
			    bad);
			rv = -EBADMSG;
			break;
		}
		if (fn != NULL
		    && (rv = fn(arg, n_records + 1, m + off + RECORD_HEAD, n))
		        != 0) {
			wal_say(why, whycap,
			    "%s: record %llu at offset %zu was refused", name,
			    (unsigned long long) n_records + 1, off);
			break;
		}
		n_records++;
		off += padded(RECORD_HEAD + n);
	}
	if (m != NULL) {
		munmap(m, size);
	}
	if (records != NULL) {
		*records = n_records;
	}
	if (bytes != NULL) {
		*bytes = size;
	}
	return rv;
}

uint64_t
snapfile_size(const char *dir, uint64_t lsn)
{
	char tmp[40], name[40], path[4200];
	names_of(lsn, tmp, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct stat sb;
	return stat(path, &sb) == 0 ? (uint64_t) sb.st_size : 0;
}

void
snapfile_remove_others(const char *dir, uint64_t keep_lsn)
{
	int  dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d     = dirfd >= 0 ? fdopendir(dirfd) : NULL;
	if (d == NULL) {
		if (dirfd >= 0) {
			close(dirfd);
		}
		return;
	}
	char keep_tmp[40], keep[40];
	names_of(keep_lsn, keep_tmp, keep);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		unsigned long long lsn;
		char               tail[8];
		if (sscanf(e->d_name, "snap-%16llx.%4s", &lsn, tail) == 2
		    && (strcmp(tail, "snap") == 0 || strcmp(tail, "tmp") == 0)
		    && (keep_lsn == 0 || strcmp(e->d_name, keep) != 0)) {
			unlinkat(dirfd, e->d_name, 0);
		}
	}
	closedir(d);
}

/* ---- the manifest -------------------------------------------------------
 */

int
manifest_read(const char *dir, uint64_t *lsn, char *why, size_t whycap)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	*lsn    = 0;
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT) {
			return 0; // no snapshot yet
		}
		int e = errno;
		wal_say(why, whycap, "MANIFEST: %s", strerror(e));
		return -e;
	}
	char               line[256], file[64] = "";
	unsigned long long slsn = 0, first = 0;
	int                version = 0, seen = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "mgr-data-dir %d", &version) == 1) {
			seen |= 1;
		} else if (sscanf(line, "snapshot %63s %llu", file, &slsn)
		    == 2) {
			seen |= 2;
		} else if (sscanf(line, "log %llu", &first) == 1) {
			seen |= 4;
		}
	}
	fclose(f);
	char tmp[40], name[40];
	names_of(slsn, tmp, name);
	if (seen == 7 && version != 1) {
		wal_say(why, whycap,
		    "MANIFEST: data directory format %d; this managerd reads "
		    "version 1",
		    version);
		return -EPROTO;
	}
	if (seen != 7 || first != slsn + 1 || strcmp(file, name) != 0) {
		wal_say(why, whycap,
		    "MANIFEST: damaged (it must name the snapshot and the "
		    "log's first record after it)");
		return -EBADMSG;
	}
	*lsn = slsn;
	return 0;
}

int
manifest_write(const char *dir, uint64_t lsn, char *why, size_t whycap)
{
	char tmp[40], name[40], text[256];
	names_of(lsn, tmp, name);
	int n     = snprintf(text, sizeof(text),
	        "mgr-data-dir 1\nsnapshot %s %llu\nlog %llu\n", name,
	        (unsigned long long) lsn, (unsigned long long) lsn + 1);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd    = dirfd < 0
	       ? -1
	       : openat(dirfd, "MANIFEST.tmp",
	           O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rv = fd < 0 ? -errno : put_all(fd, (uint8_t *) text, (size_t) n);
	if (rv == 0 && fsync(fd) != 0) {
		rv = -errno;
	}
	if (rv == 0
	    && renameat(dirfd, "MANIFEST.tmp", dirfd, "MANIFEST") != 0) {
		rv = -errno;
	}
	if (rv == 0 && fsync(dirfd) != 0) {
		rv = -errno;
	}
	if (rv != 0) {
		wal_say(why, whycap, "MANIFEST: %s", strerror(-rv));
	}
	if (fd >= 0) {
		close(fd);
	}
	if (dirfd >= 0) {
		close(dirfd);
	}
	return rv;
}
