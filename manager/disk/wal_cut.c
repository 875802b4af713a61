/* What a snapshot needs of an open log (wal.h): the cut, after which the
 * records before it are in segments of their own, and the removal of
 * those segments once a snapshot holds them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "wal_int.h"

/* Waits (w->mtx held) until the log thread has the next segment ready:
 * the cut moves into it without making one while writers wait. false
 * with why when it cannot be made (a full disk: what room is left is the
 * log's own) or the log failed. */
static bool
await_spare(wal *w, char *why, size_t whycap)
{
	int64_t deadline = clock_ms() + 10000;
	while (w->spare < 0 && w->failed == 0) {
		if (w->spare_errno != 0 || clock_ms() >= deadline) {
			wal_say(why, whycap,
			    "the log's next segment cannot be made (%s)",
			    w->spare_errno ? strerror(w->spare_errno)
			                   : "not ready in 10 s");
			return false;
		}
		w->want_spare = true;
		pthread_cond_signal(&w->cv);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 100 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->spare_cv, &w->mtx, &ts);
	}
	if (w->failed != 0) {
		wal_say(why, whycap, "the log has failed");
		return false;
	}
	return true;
}

uint64_t
wal_cut(wal *w, char *why, size_t whycap)
{
	pthread_mutex_lock(&w->mtx);
	bool ready = await_spare(w, why, whycap);
	pthread_mutex_unlock(&w->mtx);
	if (!ready) {
		return 0;
	}
	pthread_mutex_lock(&w->write_mtx);
	uint64_t written = write_pending(w);
	pthread_mutex_lock(&w->mtx);
	if (w->failed != 0 || (w->spare < 0 && w->seg_off > HEADER_LEN)) {
		// A writer moved into the spare meanwhile: not made here,
		// with writers waiting. The next try finds one.
		wal_say(why, whycap, "%s",
		    w->failed != 0 ? "the log has failed"
		                   : "the log's next segment was taken");
		pthread_mutex_unlock(&w->mtx);
		pthread_mutex_unlock(&w->write_mtx);
		return 0;
	}
	written = w->written_lsn;
	// What the segments before the new one hold (the current one, when
	// it has no record yet, stays: it starts at the cut).
	bool     moved  = w->seg_off > HEADER_LEN;
	uint64_t before = w->live_bytes - (moved ? 0 : HEADER_LEN);
	pthread_mutex_unlock(&w->mtx);
	int rv = moved ? next_segment(w, written + 1) : 0;
	pthread_mutex_lock(&w->mtx);
	if (rv != 0) {
		// The writer stays where it was: nothing is lost, no cut.
		wal_say(why, whycap,
		    "cannot move the log into a new segment: %s",
		    strerror(-rv));
		w->want_spare = true;
		pthread_cond_signal(&w->cv);
		written = UINT64_MAX;
	} else {
		w->cut_lsn   = written + 1;
		w->cut_bytes = before;
	}
	pthread_mutex_unlock(&w->mtx);
	pthread_mutex_unlock(&w->write_mtx);
	return written == UINT64_MAX ? 0 : written + 1;
}

size_t
wal_forget_before(wal *w, uint64_t lsn)
{
	size_t gone = wal_remove_before(w->dirfd, w->dir, lsn);
	pthread_mutex_lock(&w->mtx);
	if (gone > 0 && lsn == w->cut_lsn) {
		w->live_bytes -= w->cut_bytes < w->live_bytes ? w->cut_bytes
		                                              : w->live_bytes;
		w->live_segments -= gone < w->live_segments ? gone : 0;
		w->cut_bytes = 0;
	}
	w->dir_dirty = true; // the removal synced with the next sync
	pthread_mutex_unlock(&w->mtx);
	return gone;
}
