/* A data directory's snapshot files, and the manifest that says which one
 * is live (as Redis 7's multi-part AOF names its base file and the
 * increments after it). It knows bytes, not what they mean.
 *
 * DIR/snap-<LSN, 16 hex digits>.snap: the state the log's records up to
 * that LSN made, as records:
 *   a header of 32 bytes: "MGRSNAP\0", u32 format version (1), u32 the
 *   header's length (32), u64 the LSN it covers, u32 CRC-32C of the 24
 *   bytes before it, u32 zero;
 *   records framed as the log's (wal.h): u32 length, u32 CRC-32C of the
 *   length and the payload, the payload, zeros to a multiple of 8;
 *   the file ends after the last one. It is written as snap-<LSN>.tmp,
 *   synced and renamed: a .snap file is whole.
 * DIR/MANIFEST: lines of text, written as MANIFEST.tmp, synced, renamed:
 *   "mgr-data-dir 1", "snapshot snap-<LSN>.snap <LSN>", "log <LSN + 1>":
 *   the snapshot, and the first record of the log after it. Without a
 *   manifest there is no snapshot: the log is read from its first record.
 * docs/data-dir.md describes both for users. */
#ifndef MGR_MANAGER_DISK_SNAPFILE_H
#define MGR_MANAGER_DISK_SNAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wal.h"

#define SNAP_FORMAT_VERSION 1

typedef struct snapfile snapfile;

/* Starts dir's snapshot covering records up to lsn (snap-<lsn>.tmp). 0, or
 * -errno with why. */
int snapfile_create(
    const char *dir, uint64_t lsn, snapfile **out, char *why, size_t whycap);
/* Appends a record of n bytes (1 to WAL_MAX_RECORD). 0 or -errno (the
 * file is then to be aborted). */
int snapfile_put(snapfile *f, const void *p, size_t n);
/* Bytes written so far (header and records). */
uint64_t snapfile_bytes(const snapfile *f);
/* Syncs it and renames it into place (snap-<lsn>.snap), the directory
 * synced; frees f either way. 0, or -errno with why (the .tmp removed). */
int snapfile_commit(snapfile *f, char *why, size_t whycap);
/* Removes the unfinished file and frees f. */
void snapfile_abort(snapfile *f);

/* Reads dir's snapshot of lsn, every record through fn (in order), after
 * checking each: 0, -EBADMSG (damage: why names the file and offset),
 * -EPROTO (a format it does not know), another -errno, or fn's nonzero
 * return. *records and *bytes (may be NULL) say what it held. */
int snapfile_read(const char *dir, uint64_t lsn, wal_replay_fn fn, void *arg,
    uint64_t *records, uint64_t *bytes, char *why, size_t whycap);

/* The size of dir's snapshot of lsn in bytes (0 when it is not there). */
uint64_t snapfile_size(const char *dir, uint64_t lsn);
/* Removes dir's snapshot files other than the one of keep_lsn (0: all),
 * finished or not: what a crash or a newer snapshot left behind. */
void snapfile_remove_others(const char *dir, uint64_t keep_lsn);

/* ---- the manifest -------------------------------------------------------
 */

/* The live snapshot's LSN (0: none, the log from its first record). */
int manifest_read(const char *dir, uint64_t *lsn, char *why, size_t whycap);
/* Names the snapshot of lsn as the live one, atomically. 0 or -errno with
 * why. */
int manifest_write(const char *dir, uint64_t lsn, char *why, size_t whycap);

#endif
