/* The log of a data directory (--data-dir): records appended in memory by
 * whoever applies a change, written in order to preallocated segment
 * files, and synced by a log thread that groups the syncs of every writer
 * (as etcd's WAL and Redis's AOF keep theirs). It knows bytes, not what
 * they mean.
 *
 * DIR/wal-<the LSN of its first record, 16 hex digits>.log, each:
 *   a header of 32 bytes: "MGRWAL\0\0", u32 format version (1), u32 the
 *   header's length (32), u64 the LSN of its first record, u32 CRC-32C of
 *   the 24 bytes before it, u32 zero;
 *   records, each at a multiple of 8: u32 payload length n (1 to
 *   WAL_MAX_RECORD), u32 CRC-32C of the 4 length bytes and the payload,
 *   the payload, zeros to the next multiple of 8;
 *   zeros to the end of its preallocated size: a zero length ends its
 *   records.
 * Integers little-endian. LSNs number records from 1, one after another
 * across segments. docs/data-dir.md describes the format for users.
 *
 * A torn last record (a crash in the middle of a write) is dropped at
 * open with a log line; a bad record anywhere else is corruption: open
 * refuses, naming the file and the offset. */
#ifndef MGR_MANAGER_DISK_WAL_H
#define MGR_MANAGER_DISK_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAL_FORMAT_VERSION 1
#define WAL_MAX_RECORD     ((size_t) 64 << 20) /* a payload, at most */
#define WAL_SEGMENT_BYTES  ((size_t) 64 << 20) /* preallocated, default */

typedef struct wal wal;

typedef enum wal_fsync {
	WAL_FSYNC_NO,       /* written (the page cache): survives kill -9 */
	WAL_FSYNC_EVERYSEC, /* and synced once a second by the log thread */
	WAL_FSYNC_ALWAYS,   /* durable only once synced (group commits) */
} wal_fsync;

typedef struct wal_opts {
	wal_fsync fsync;
	size_t    segment_bytes; /* 0: WAL_SEGMENT_BYTES */
	/* The first record of the log: those before it are a snapshot's
	 * (their segments are removed at open; 0 or 1: none). */
	uint64_t from_lsn;
	/* Called by the log thread, with no lock of the log's held, when
	 * records up to lsn became durable under the policy (always:
	 * synced; the others: written); NULL for none. */
	void (*on_durable)(void *arg, uint64_t lsn);
	void *arg;
	/* Called once, by the thread whose write or sync failed (no lock
	 * of the log's held), when the log fails: nothing more becomes
	 * durable. NULL for none. */
	void (*on_failed)(void *arg);
} wal_opts;

/* What a scan of a directory found (wal_open, wal_check). */
typedef struct wal_found {
	size_t   segments;
	uint64_t records;
	uint64_t first_lsn, last_lsn; /* 0, 0: no record */
	uint64_t bytes;               /* of records, headers and padding */
	bool     torn;                /* a torn last record was dropped */
	char     torn_file[64];
	uint64_t torn_offset;
} wal_found;

/* Called for each record, in LSN order; the bytes are the scan's, valid
 * during the call. 0 goes on; anything else stops the open, which
 * returns it. */
typedef int (*wal_replay_fn)(
    void *arg, uint64_t lsn, const uint8_t *p, size_t n);

/* The figures of an open log (wal_figures). */
typedef struct wal_figures {
	uint64_t appended_lsn, written_lsn, durable_lsn;
	uint64_t bytes;        /* in its live segments */
	size_t   segments;     /* live */
	uint64_t syncs;        /* fdatasync calls */
	uint64_t max_group;    /* the most records one sync made durable */
	uint64_t sync_lag_us;  /* the longest an append waited for its
	                          sync (always), or since the oldest
	                          unsynced write (everysec, no) */
	uint64_t last_sync_us; /* how long the last sync took */
	int      failed_errno; /* the write or sync that failed, or 0 */
	bool     next_segment_ready; /* made ahead of need */
	int      next_segment_errno; /* why it could not be made, or 0 */
} wal_figures;

/* Opens (creating it and its directory when absent) the log in dir:
 * replays every record through fn (may be NULL), drops a torn last
 * record (zeroing its bytes), and starts the log thread. 0, or -errno
 * with why filled: -EBADMSG for corruption (the file and offset in why),
 * -EPROTO for a format it does not know, another for the system's
 * refusal; a nonzero return of fn as it is. *found (may be NULL) says
 * what was read. */
int wal_open(const char *dir, const wal_opts *o, wal_replay_fn fn, void *arg,
    wal **out, wal_found *found, char *why, size_t whycap);
/* Reads and verifies dir's records from from_lsn (0: its first) to to_lsn
 * (0: its last; the log must reach it) without changing anything
 * (managerd --check, and the process that makes a snapshot): 0 with
 * *found, or what wal_open would refuse with. */
int wal_check(const char *dir, uint64_t from_lsn, uint64_t to_lsn,
    wal_replay_fn fn, void *arg, wal_found *found, char *why, size_t whycap);

/* Appends a record of n bytes (1 to WAL_MAX_RECORD, copied) to the
 * memory of the log: its LSN, or 0 (out of memory, n out of range).
 * Cheap (no system call), any thread; in the order of the calls. */
uint64_t wal_append(wal *w, const void *p, size_t n);
/* The same with the n bytes written in place by fill(arg, dst) (a message
 * packed straight into the log's memory, no copy on the way), under the
 * log's lock: fill makes no system call and does not touch the log. */
uint64_t wal_append_with(
    wal *w, size_t n, void (*fill)(void *arg, uint8_t *dst), void *arg);
/* Writes what was appended and not yet written, from the calling thread
 * (one writer at a time: a caller that waits for another's write finds
 * its records written). Under always, asks the log thread for a sync.
 * Returns the LSN written up to, or 0 when the write failed (the log is
 * then failed: wal_figures' failed_errno; nothing appended after is
 * written). */
uint64_t wal_write(wal *w);
/* The LSN up to which records are durable under the policy. */
uint64_t wal_durable(wal *w);
/* Whether the log can take more: false when the next segment could not
 * be made (a full disk) and the current one is nearly full, or a write
 * failed; *why then says so. */
bool wal_writable(wal *w, char *why, size_t whycap);
/* The same without waiting for a write under way (callable under a lock
 * that writers never wait for): true when the log refuses more, as it
 * last stood, with why. */
bool wal_refuses(wal *w, char *why, size_t whycap);
void wal_figures_of(wal *w, wal_figures *f);
/* Writes what was appended and moves the writer into a new segment
 * (unless the current one holds no record yet), so that every record
 * before the LSN returned is in a segment of its own, written: what a
 * snapshot covers. 0 with why when it cannot (the log failed, or its next
 * segment is not ready: a full disk); the log goes on as it was. Not
 * under a lock writers wait for. */
uint64_t wal_cut(wal *w, char *why, size_t whycap);
/* Removes the segments whose records all come before lsn (a cut's: a
 * snapshot holds them now). Returns how many; the figures forget them. */
size_t wal_forget_before(wal *w, uint64_t lsn);
/* Writes and syncs what is left, stops the log thread, closes. */
void wal_close(wal *w);

#endif
