/* The log's format (wal.h describes it): its constants and fields, for
 * the files of disk/ only. */
#ifndef MGR_MANAGER_DISK_WAL_FORMAT_H
#define MGR_MANAGER_DISK_WAL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crc32c.h"
#include "le.h"
#include "wal.h"

#define HEADER_LEN  32
#define RECORD_HEAD 8
static const char wal_magic[8] = { 'M', 'G', 'R', 'W', 'A', 'L', 0, 0 };

static inline size_t
padded(size_t n)
{
	return (n + 7) & ~(size_t) 7;
}

/* A record's checksum covers its length too: a length bit flipped into
 * another plausible length is caught. */
static inline uint32_t
record_crc(const uint8_t *len4, const uint8_t *payload, size_t n)
{
	return crc32c(crc32c(0, len4, 4), payload, n);
}

/* A file's header (a segment's or a snapshot's, by its magic): magic,
 * version, its length, the LSN, the CRC-32C of the 24 bytes before it, 0. */
static inline void
header_make(uint8_t h[HEADER_LEN], const char magic[8], uint32_t version,
    uint64_t lsn)
{
	memset(h, 0, HEADER_LEN);
	memcpy(h, magic, 8);
	put32(h + 8, version);
	put32(h + 12, HEADER_LEN);
	put64(h + 16, lsn);
	put32(h + 24, crc32c(0, h, 24));
}

/* Why the record at m[off..size) is not a whole one (NULL when it is:
 * its payload length in *n). */
static inline const char *
record_bad(const uint8_t *m, size_t off, size_t size, uint32_t *n)
{
	*n = off + RECORD_HEAD <= size ? get32(m + off) : 0;
	if (*n == 0 || *n > WAL_MAX_RECORD) {
		return "an impossible length";
	}
	if (off + RECORD_HEAD + *n > size) {
		return "a length past the end of the file";
	}
	if (record_crc(m + off, m + off + RECORD_HEAD, *n)
	    != get32(m + off + 4)) {
		return "a bad checksum";
	}
	return NULL;
}

/* Writes a reason into why (whycap bytes; either may be 0). */
void wal_say(char *why, size_t whycap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- reading (wal_scan.c) ------------------------------------------------
 */

typedef struct segname {
	char     name[32];
	uint64_t first;
} segname;

/* What a scan of a directory found and where its last segment's records
 * end. */
typedef struct scan_state {
	wal_replay_fn fn;
	void         *arg;
	wal_found    *found;
	uint64_t      next_lsn; /* expected; 0: any (the first segment) */
	/* The range read: segments starting before from_lsn are a
	 * snapshot's (skipped), after to_lsn (0: none) not wanted. */
	uint64_t from_lsn, to_lsn;
	/* the last segment's: where its records end, its size */
	size_t  end_off, seg_size;
	size_t  torn_end; /* with found->torn: the end of its bytes */
	segname last;
	bool    empty_last; /* the last segment has no header: unused */
} scan_state;

/* Reads every segment of dirfd in LSN order into st (st->fn called for
 * each record), those of st's range: 0, or -errno with why (wal.h's
 * open). */
int wal_scan_dir(int dirfd, scan_state *st, char *why, size_t whycap);
/* Removes dirfd's segments whose records all come before lsn (the next
 * segment starts at or before it): how many (dir names it in log lines). */
size_t wal_remove_before(int dirfd, const char *dir, uint64_t lsn);
/* dir's segments, in LSN order (*out: the caller's). */
int wal_list_segments(
    int dirfd, segname **out, size_t *n, char *why, size_t whycap);

#endif
