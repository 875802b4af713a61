/* The log's insides, for the files of disk/ that work on an open log:
 * wal.c (appending, writing, syncing, open and close) and wal_cut.c (what
 * a snapshot needs of it). Nothing else includes it. */
#ifndef MGR_MANAGER_DISK_WAL_INT_H
#define MGR_MANAGER_DISK_WAL_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "wal_format.h"

struct wal {
	char     *dir;
	int       dirfd;
	wal_opts  o;
	pthread_t thread;

	pthread_mutex_t mtx; /* everything below but what says otherwise */
	pthread_cond_t  cv;  /* the log thread's */
	pthread_cond_t  spare_cv; /* a spare made, or not (wal_cut) */
	uint8_t        *buf;      /* appended, not yet taken by a writer */
	size_t          len, cap;
	uint64_t        appended_lsn, written_lsn, durable_lsn;
	uint64_t sync_asked; /* always: the LSN a writer wants synced */
	int64_t  oldest_unsynced_us; /* when written_lsn passed
	                                durable_lsn (0: it has not) */
	int   *retired; /* segments left by the writer: to sync, close */
	size_t nretired, retired_cap;
	bool   dir_dirty; /* a segment was named: sync the dir */
	int    spare;     /* the next segment, made ahead, or -1 */
	char   spare_name[40];
	unsigned long long spares_made; /* numbers their names */
	int            spare_errno; /* why the last try to make it failed */
	bool           want_spare;
	bool           stop;
	bool           syncing; /* a sync is under way (one at a time) */
	bool           failed_untold; /* on_failed is still to be called */
	pthread_cond_t synced_cv;     /* its end */
	int            failed; /* errno of a failed write or sync, or 0 */
	uint64_t       live_bytes;
	size_t         live_segments;
	uint64_t       syncs, max_group, sync_lag_us, last_sync_us;
	/* the last cut (wal_cut): its LSN, the bytes of records before it */
	uint64_t cut_lsn, cut_bytes;

	/* the writer's (write_mtx) */
	pthread_mutex_t write_mtx;
	uint8_t        *wbuf; /* taken from buf, kept for the next write */
	size_t          wcap;
	int             fd;       /* the current segment */
	size_t          seg_off;  /* where its next record goes */
	size_t          seg_size; /* its preallocated size */
	/* the current fd as the log thread syncs it (mtx) */
	int fd_shared;
	/* the room left in the current segment, as the writer last left
	 * it: read without the writer's lock (wal_refuses) */
	atomic_size_t seg_left;
};

/* The writer moves into a new segment whose first record is first: the
 * spare (or one made now), its header written, renamed to its name. The
 * old one goes to the log thread to be synced and closed. write_mtx held.
 * 0 or -errno. */
int next_segment(wal *w, uint64_t first);
/* wal_write with write_mtx held. */
uint64_t write_pending(wal *w);
/* Calls on_failed once the log failed (w->mtx held on entry and exit;
 * dropped for the call). */
void tell_if_failed(wal *w);

#endif
