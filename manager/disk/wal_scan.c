/* Reading a log directory: its segments in order, each record checked,
 * a torn end told apart from damage (wal.h says what each means). Shared
 * by opening a log and by checking one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "wal_format.h"

void
wal_say(char *why, size_t whycap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why != NULL && whycap > 0) {
		vsnprintf(why, whycap, fmt, ap);
	}
	va_end(ap);
}

/* ---- reading: the scan open and check share -----------------------------
 */

static int
by_first(const void *a, const void *b)
{
	const segname *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

int
wal_list_segments(
    int dirfd, segname **out, size_t *n, char *why, size_t whycap)
{
	int  dup = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d   = dup >= 0 ? fdopendir(dup) : NULL;
	if (d == NULL) {
		int e = errno;
		if (dup >= 0) {
			close(dup);
		}
		wal_say(why, whycap, "cannot list the directory: %s",
		    strerror(e));
		return -e;
	}
	rewinddir(d);
	segname       *v = NULL;
	size_t         k = 0, cap = 0;
	struct dirent *e;
	*out = NULL;
	*n   = 0;
	while ((e = readdir(d)) != NULL) {
		unsigned long long first;
		char               tail[8];
		if (strlen(e->d_name) != 24
		    || sscanf(e->d_name, "wal-%16llx.%3s", &first, tail) != 2
		    || strcmp(tail, "log") != 0) {
			continue;
		}
		if (k == cap) {
			cap         = cap ? cap * 2 : 16;
			segname *nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		snprintf(v[k].name, sizeof(v[k].name), "%s", e->d_name);
		v[k++].first = first;
	}
	closedir(d);
	if (k > 1) {
		qsort(v, k, sizeof(*v), by_first);
	}
	*out = v;
	*n   = k;
	return 0;
}

/* Whether a whole, checksummed record starts at any multiple of 8 in
 * m[from..size): then a bad record before it is not the torn end. */
static bool
record_after(const uint8_t *m, size_t from, size_t size)
{
	uint32_t n;
	for (size_t p = padded(from); p + RECORD_HEAD <= size; p += 8) {
		if (record_bad(m, p, size, &n) == NULL) {
			return true;
		}
	}
	return false;
}

/* The end of m's nonzero bytes after from (from when all are zero). */
static size_t
nonzero_end(const uint8_t *m, size_t from, size_t size)
{
	size_t end = size;
	while (end > from && m[end - 1] == 0) {
		end--;
	}
	return end;
}

/* Scans one segment (mapped at m, size bytes); is_last says whether a
 * bad record may be the torn end. */
static int
scan_segment(scan_state *st, const segname *sg, const uint8_t *m, size_t size,
    bool is_last, char *why, size_t whycap)
{
	// (A header written is not zeros: the segment's other bytes, 64 MiB
	// of zeros mostly, are read only when it is.)
	if (is_last && size >= HEADER_LEN
	    && nonzero_end(m, 0, HEADER_LEN) == 0
	    && nonzero_end(m, 0, size) == 0) {
		// Named, but its header never reached the disk (a crash
		// while moving into it): no record can be in it.
		st->empty_last = true;
		st->last       = *sg;
		return 0;
	}
	if (size < HEADER_LEN || memcmp(m, wal_magic, 8) != 0) {
		wal_say(why, whycap, "%s: not a log segment (no header)",
		    sg->name);
		return -EBADMSG;
	}
	uint32_t version = get32(m + 8);
	if (version != WAL_FORMAT_VERSION) {
		wal_say(why, whycap,
		    "%s: log format version %u; this managerd reads version "
		    "%d",
		    sg->name, version, WAL_FORMAT_VERSION);
		return -EPROTO;
	}
	if (get32(m + 12) != HEADER_LEN || crc32c(0, m, 24) != get32(m + 24)
	    || get64(m + 16) != sg->first) {
		wal_say(why, whycap, "%s: a damaged header", sg->name);
		return -EBADMSG;
	}
	if (st->next_lsn != 0 && sg->first != st->next_lsn) {
		wal_say(why, whycap,
		    "%s: starts at record %llu where %llu was expected (a "
		    "segment is missing)",
		    sg->name, (unsigned long long) sg->first,
		    (unsigned long long) st->next_lsn);
		return -EBADMSG;
	}
	uint64_t lsn = sg->first;
	size_t   off = HEADER_LEN;
	while (off + RECORD_HEAD <= size) {
		if (get32(m + off) == 0 && get32(m + off + 4) == 0) {
			break; // the end of its records
		}
		uint32_t    n;
		const char *bad = record_bad(m, off, size, &n);
		if (bad != NULL) {
			if (is_last
			    && !record_after(m, off + RECORD_HEAD, size)) {
				st->found->torn = true;
				snprintf(st->found->torn_file,
				    sizeof(st->found->torn_file), "%s",
				    sg->name);
				st->found->torn_offset = off;
				st->torn_end = nonzero_end(m, off, size);
				break;
			}
			wal_say(why, whycap,
			    "%s: a damaged record at offset %zu (record "
			    "%llu: "
			    "%s)%s",
			    sg->name, off, (unsigned long long) lsn, bad,
			    is_last ? ", with whole records after it"
			            : ", in a segment that is not the last");
			return -EBADMSG;
		}
		if (st->fn != NULL) {
			int rv
			    = st->fn(st->arg, lsn, m + off + RECORD_HEAD, n);
			if (rv != 0) {
				wal_say(why, whycap,
				    "%s: record %llu at offset %zu was "
				    "refused",
				    sg->name, (unsigned long long) lsn, off);
				return rv;
			}
		}
		if (st->found->records++ == 0) {
			st->found->first_lsn = lsn;
		}
		st->found->last_lsn = lsn;
		lsn++;
		off += padded(RECORD_HEAD + n);
	}
	st->found->bytes += off;
	st->found->segments++;
	st->next_lsn = lsn;
	st->end_off  = off;
	st->seg_size = size;
	st->last     = *sg;
	return 0;
}

size_t
wal_remove_before(int dirfd, const char *dir, uint64_t lsn)
{
	segname *segs = NULL;
	size_t   n = 0, gone = 0;
	char     why[128];
	if (wal_list_segments(dirfd, &segs, &n, why, sizeof(why)) != 0) {
		log_msg(LOG_WARN, "%s: %s", dir, why);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (segs[i].first >= lsn) {
			break;
		}
		// Only those whose every record is before lsn: the next one
		// starts at or before it.
		if (i + 1 == n || segs[i + 1].first > lsn) {
			break;
		}
		if (unlinkat(dirfd, segs[i].name, 0) != 0) {
			log_msg(LOG_WARN, "%s/%s: cannot remove it: %s", dir,
			    segs[i].name, strerror(errno));
			break;
		}
		gone++;
	}
	free(segs);
	return gone;
}

int
wal_scan_dir(int dirfd, scan_state *st, char *why, size_t whycap)
{
	segname *segs = NULL;
	size_t   n    = 0;
	int      rv   = wal_list_segments(dirfd, &segs, &n, why, whycap);
	if (rv != 0) {
		return rv;
	}
	// Only the range asked for: what a snapshot covers is not read.
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (segs[i].first >= st->from_lsn
		    && (st->to_lsn == 0 || segs[i].first <= st->to_lsn)) {
			segs[k++] = segs[i];
		}
	}
	n = k;
	if (st->from_lsn > 1 && st->next_lsn == 0) {
		st->next_lsn = st->from_lsn; // none missing after it
	}
	for (size_t i = 0; i < n && rv == 0; i++) {
		int fd = openat(dirfd, segs[i].name, O_RDONLY | O_CLOEXEC);
		struct stat sb;
		if (fd < 0 || fstat(fd, &sb) != 0) {
			rv = -errno;
			wal_say(why, whycap, "%s: %s", segs[i].name,
			    strerror(errno));
			if (fd >= 0) {
				close(fd);
			}
			break;
		}
		size_t   size = (size_t) sb.st_size;
		uint8_t *m    = size > 0
		       ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0)
		       : NULL;
		close(fd);
		if (m == MAP_FAILED) {
			rv = -errno;
			wal_say(why, whycap, "%s: %s", segs[i].name,
			    strerror(errno));
			break;
		}
		rv = scan_segment(st, &segs[i],
		    m != NULL ? m : (uint8_t *) "", size, i + 1 == n, why,
		    whycap);
		if (m != NULL) {
			munmap(m, size);
		}
	}
	free(segs);
	return rv;
}

int
wal_check(const char *dir, uint64_t from_lsn, uint64_t to_lsn,
    wal_replay_fn fn, void *arg, wal_found *found, char *why, size_t whycap)
{
	memset(found, 0, sizeof(*found));
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		int e = errno;
		wal_say(why, whycap, "%s: %s", dir, strerror(e));
		return -e;
	}
	scan_state st = { .fn = fn,
		.arg          = arg,
		.found        = found,
		.from_lsn     = from_lsn,
		.to_lsn       = to_lsn };
	int        rv = wal_scan_dir(dirfd, &st, why, whycap);
	close(dirfd);
	if (rv == 0 && to_lsn != 0 && to_lsn >= from_lsn
	    && found->last_lsn != to_lsn) {
		wal_say(why, whycap,
		    "the log ends at record %llu, before record %llu",
		    (unsigned long long) found->last_lsn,
		    (unsigned long long) to_lsn);
		rv = -EBADMSG;
	}
	return rv;
}
