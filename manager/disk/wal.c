/* The log of a data directory: see wal.h for the format and the promises.
 *
 * Three parties: appenders (any thread: a record framed and copied into
 * memory), one writer at a time (wal_write: the appended bytes written
 * into the current segment with pwrite), and the log thread (syncs, and
 * makes the next segment ahead of time). A segment is preallocated, so a
 * write into it never meets a full disk; only making the next one can,
 * and it is made while the current one still has room (etcd's file
 * pipeline), so that wal_writable can say "no more" before any record is
 * lost. The next segment is made as wal-spare-<n>.tmp and renamed when
 * the writer moves into it (its name is its first record's LSN). Reading
 * a directory (at open, and for --check) is wal_scan.c's; what a snapshot
 * needs of an open log (its cut, the removal of what it covers) is
 * wal_cut.c's; the log's fields are in wal_int.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "crc32c.h"
#include "log.h"
#include "wal_int.h"

/* A segment made ahead is wal-spare-<n>.tmp until it is moved into: each
 * its own name, so that the one being made never is the one being
 * named. */
#define SPARE_FORMAT "wal-spare-%llu.tmp"

/* ---- making segments ----------------------------------------------------
 */

/* Reserves size bytes for fd: a later write into them cannot meet a full
 * disk. */
static int
preallocate(int fd, size_t size)
{
	if (fallocate(fd, 0, 0, (off_t) size) == 0) {
		return 0;
	}
	if (errno != EOPNOTSUPP) {
		return -errno;
	}
	int e = posix_fallocate(fd, 0, (off_t) size);
	return -e;
}

/* Makes a spare segment (preallocated, its name in name): its fd or
 * -errno. */
static int
make_spare(wal *w, char name[40])
{
	pthread_mutex_lock(&w->mtx);
	snprintf(name, 40, SPARE_FORMAT, ++w->spares_made);
	pthread_mutex_unlock(&w->mtx);
	int fd = openat(
	    w->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		return -errno;
	}
	int rv = preallocate(fd, w->o.segment_bytes);
	if (rv == 0 && fdatasync(fd) != 0) {
		rv = -errno;
	}
	if (rv != 0) {
		close(fd);
		unlinkat(w->dirfd, name, 0);
		return rv;
	}
	return fd;
}

/* The writer moves into a new segment whose first record is first: the
 * spare (or one made now), its header written, renamed to its name. The
 * old one goes to the log thread to be synced and closed. */
int
next_segment(wal *w, uint64_t first)
{
	char spare[40];
	pthread_mutex_lock(&w->mtx);
	int fd   = w->spare;
	w->spare = -1;
	memcpy(spare, w->spare_name, sizeof(spare));
	pthread_mutex_unlock(&w->mtx);
	if (fd < 0 && (fd = make_spare(w, spare)) < 0) {
		return fd;
	}
	uint8_t h[HEADER_LEN];
	header_make(h, wal_magic, WAL_FORMAT_VERSION, first);
	char name[32];
	snprintf(name, sizeof(name), "wal-%016llx.log",
	    (unsigned long long) first);
	if (pwrite(fd, h, HEADER_LEN, 0) != HEADER_LEN
	    || renameat(w->dirfd, spare, w->dirfd, name) != 0) {
		int e = errno ? errno : EIO;
		close(fd);
		return -e;
	}
	pthread_mutex_lock(&w->mtx);
	if (w->fd >= 0 && w->o.fsync == WAL_FSYNC_NO) {
		close(w->fd); // nothing to sync: the kernel writes it back
	} else if (w->fd >= 0) {
		if (w->nretired == w->retired_cap) {
			size_t cap = w->retired_cap ? w->retired_cap * 2 : 4;
			int   *nr  = realloc(w->retired, cap * sizeof(*nr));
			if (nr == NULL) {
				pthread_mutex_unlock(&w->mtx);
				close(fd);
				return -ENOMEM;
			}
			w->retired     = nr;
			w->retired_cap = cap;
		}
		w->retired[w->nretired++] = w->fd;
	}
	w->fd = w->fd_shared = fd;
	w->dir_dirty         = true;
	w->want_spare        = true;
	w->live_segments++;
	w->live_bytes += HEADER_LEN;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mtx);
	w->seg_off  = HEADER_LEN;
	w->seg_size = w->o.segment_bytes;
	atomic_store(&w->seg_left, w->seg_size - w->seg_off);
	return 0;
}

/* ---- appending and writing ----------------------------------------------
 */

uint64_t
wal_append_with(
    wal *w, size_t n, void (*fill)(void *arg, uint8_t *dst), void *arg)
{
	if (n == 0 || n > WAL_MAX_RECORD) {
		return 0;
	}
	size_t need = padded(RECORD_HEAD + n);
	pthread_mutex_lock(&w->mtx);
	if (w->cap - w->len < need) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap - w->len < need) {
			cap *= 2;
		}
		uint8_t *nb = realloc(w->buf, cap);
		if (nb == NULL) {
			pthread_mutex_unlock(&w->mtx);
			return 0;
		}
		w->buf = nb;
		w->cap = cap;
	}
	uint8_t *r = w->buf + w->len;
	put32(r, (uint32_t) n);
	fill(arg, r + RECORD_HEAD);
	put32(r + 4, record_crc(r, r + RECORD_HEAD, n));
	memset(r + RECORD_HEAD + n, 0, need - RECORD_HEAD - n);
	w->len += need;
	uint64_t lsn = ++w->appended_lsn;
	pthread_mutex_unlock(&w->mtx);
	return lsn;
}

typedef struct bytes {
	const void *p;
	size_t      n;
} bytes;

static void
copy_bytes(void *arg, uint8_t *dst)
{
	const bytes *b = arg;
	memcpy(dst, b->p, b->n);
}

uint64_t
wal_append(wal *w, const void *p, size_t n)
{
	bytes b = { p, n };
	return wal_append_with(w, n, copy_bytes, &b);
}

/* Writes b[0..n) at the current segment's offset. */
static int
put_bytes(wal *w, const uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t k = pwrite(w->fd, b, n, (off_t) w->seg_off);
		if (k < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		b += k;
		n -= (size_t) k;
		w->seg_off += (size_t) k;
	}
	atomic_store(&w->seg_left, w->seg_size - w->seg_off);
	return 0;
}

/* Writes the framed records b[0..n), the first of them first_lsn, moving
 * to a new segment where the next would not fit. */
static int
write_records(wal *w, const uint8_t *b, size_t n, uint64_t first_lsn)
{
	size_t   run = 0; // bytes of b[0..run) fit in the current segment
	uint64_t lsn = first_lsn;
	int      rv  = 0;
	while (rv == 0 && run < n) {
		size_t rec = padded(RECORD_HEAD + get32(b + run));
		if (w->seg_off + run + rec > w->seg_size) {
			if (run > 0) {
				rv = put_bytes(w, b, run);
				b += run;
				n -= run;
				run = 0;
			}
			if (rv == 0
			    && (w->seg_off + rec > w->seg_size
			        || w->seg_off > HEADER_LEN)) {
				rv = next_segment(w, lsn);
			}
			if (rv == 0 && w->seg_off + rec > w->seg_size) {
				rv = -EFBIG; // a record larger than a segment
			}
			continue;
		}
		run += rec;
		lsn++;
	}
	return rv == 0 ? put_bytes(w, b, run) : rv;
}

/* Calls on_failed once the log failed (w->mtx held on entry and exit;
 * dropped for the call). */
void
tell_if_failed(wal *w)
{
	if (w->failed_untold && w->o.on_failed != NULL) {
		w->failed_untold = false;
		pthread_mutex_unlock(&w->mtx);
		w->o.on_failed(w->o.arg);
		pthread_mutex_lock(&w->mtx);
	}
}

/* wal_write with write_mtx held. */
uint64_t
write_pending(wal *w)
{
	pthread_mutex_lock(&w->mtx);
	if (w->failed != 0) {
		pthread_mutex_unlock(&w->mtx);
		return 0;
	}
	uint64_t first = w->written_lsn + 1, end = w->appended_lsn;
	uint8_t *b = w->buf;
	size_t   n = w->len, bcap = w->cap;
	w->buf = w->wbuf; // the writer's buffer becomes the appenders'
	w->cap = w->wcap;
	w->len = 0;
	pthread_mutex_unlock(&w->mtx);
	w->wbuf = b;
	w->wcap = bcap;
	int rv  = n > 0 ? write_records(w, b, n, first) : 0;
	pthread_mutex_lock(&w->mtx);
	if (rv != 0) {
		w->failed        = -rv;
		w->failed_untold = true;
		log_msg(LOG_ERROR, "the log in %s cannot be written: %s",
		    w->dir, strerror(-rv));
	} else if (end > w->written_lsn) {
		if (w->oldest_unsynced_us == 0) {
			w->oldest_unsynced_us = clock_us();
		}
		w->live_bytes += n;
		w->written_lsn = end;
		if (w->o.fsync == WAL_FSYNC_ALWAYS) {
			w->sync_asked = end;
			pthread_cond_signal(&w->cv);
		} else {
			w->durable_lsn = end;
		}
	}
	uint64_t written = rv == 0 ? w->written_lsn : 0;
	tell_if_failed(w);
	pthread_mutex_unlock(&w->mtx);
	return written;
}

uint64_t
wal_write(wal *w)
{
	pthread_mutex_lock(&w->write_mtx);
	uint64_t written = write_pending(w);
	pthread_mutex_unlock(&w->write_mtx);
	return written;
}

uint64_t
wal_durable(wal *w)
{
	pthread_mutex_lock(&w->mtx);
	uint64_t d = w->durable_lsn;
	pthread_mutex_unlock(&w->mtx);
	return d;
}

bool
wal_refuses(wal *w, char *why, size_t whycap)
{
	size_t left = atomic_load(&w->seg_left);
	pthread_mutex_lock(&w->mtx);
	bool refuse = w->failed != 0;
	if (refuse) {
		wal_say(why, whycap, "the log in %s failed: %s", w->dir,
		    strerror(w->failed));
	} else if (w->spare < 0 && w->spare_errno != 0
	    && left < w->seg_size / 4) {
		refuse = true;
		wal_say(why, whycap,
		    "no room for the log's next segment in %s: %s", w->dir,
		    strerror(w->spare_errno));
	}
	pthread_mutex_unlock(&w->mtx);
	return refuse;
}

bool
wal_writable(wal *w, char *why, size_t whycap)
{
	pthread_mutex_lock(&w->write_mtx);
	pthread_mutex_lock(&w->mtx);
	bool ok = w->failed == 0;
	if (!ok) {
		wal_say(why, whycap, "the log in %s failed: %s", w->dir,
		    strerror(w->failed));
	} else if (w->spare < 0 && w->spare_errno != 0
	    && w->seg_size - w->seg_off < w->seg_size / 4) {
		ok = false;
		wal_say(why, whycap,
		    "no room for the log's next segment in %s: %s", w->dir,
		    strerror(w->spare_errno));
	}
	pthread_mutex_unlock(&w->mtx);
	pthread_mutex_unlock(&w->write_mtx);
	return ok;
}

void
wal_figures_of(wal *w, wal_figures *f)
{
	pthread_mutex_lock(&w->mtx);
	*f = (wal_figures) { .appended_lsn = w->appended_lsn,
		.written_lsn               = w->written_lsn,
		.durable_lsn               = w->durable_lsn,
		.bytes                     = w->live_bytes,
		.segments                  = w->live_segments,
		.syncs                     = w->syncs,
		.max_group                 = w->max_group,
		.sync_lag_us               = w->sync_lag_us,
		.last_sync_us              = w->last_sync_us,
		.failed_errno              = w->failed,
		.next_segment_ready        = w->spare >= 0,
		.next_segment_errno        = w->spare_errno };
	pthread_mutex_unlock(&w->mtx);
}

/* ---- the log thread -----------------------------------------------------
 */

/* Syncs what was written (w->mtx held on entry and exit; dropped during
 * the system calls). */
static void
sync_written(wal *w)
{
	uint64_t target  = w->written_lsn;
	uint64_t before  = w->durable_lsn;
	int      fd      = w->fd_shared;
	bool     dir     = w->dir_dirty;
	int     *retired = w->retired;
	size_t   nr      = w->nretired;
	int64_t  since   = w->oldest_unsynced_us;
	w->retired       = NULL;
	w->nretired = w->retired_cap = 0;
	w->dir_dirty                 = false;
	pthread_mutex_unlock(&w->mtx);
	int64_t t0 = clock_us();
	int     rv = 0;
	for (size_t i = 0; i < nr; i++) {
		if (rv == 0 && fdatasync(retired[i]) != 0) {
			rv = errno;
		}
		close(retired[i]);
	}
	free(retired);
	if (rv == 0 && fd >= 0 && fdatasync(fd) != 0) {
		rv = errno;
	}
	if (rv == 0 && dir && fsync(w->dirfd) != 0) {
		rv = errno;
	}
	int64_t t1 = clock_us();
	pthread_mutex_lock(&w->mtx);
	w->syncs++;
	w->last_sync_us = (uint64_t) (t1 - t0);
	if (rv != 0) {
		// As PostgreSQL learnt: after a failed fsync the kernel may
		// have dropped the dirty pages; nothing written is trusted.
		if (w->failed == 0) {
			w->failed        = rv;
			w->failed_untold = true;
			log_msg(LOG_ERROR,
			    "the log in %s cannot be synced: %s", w->dir,
			    strerror(rv));
		}
		return;
	}
	if (target > before) {
		if (target - before > w->max_group) {
			w->max_group = target - before;
		}
		if (since != 0 && (uint64_t) (t1 - since) > w->sync_lag_us) {
			w->sync_lag_us = (uint64_t) (t1 - since);
		}
		if (w->o.fsync == WAL_FSYNC_ALWAYS) {
			w->durable_lsn = target;
		}
	}
	if (w->written_lsn == target) {
		w->oldest_unsynced_us = 0;
	} else {
		w->oldest_unsynced_us = t1; // written during the sync
	}
}

/* sync_written, one at a time (the log thread's, a close's). w->mtx
 * held. */
static void
sync_one(wal *w)
{
	while (w->syncing) {
		pthread_cond_wait(&w->synced_cv, &w->mtx);
	}
	w->syncing = true;
	sync_written(w);
	w->syncing = false;
	pthread_cond_broadcast(&w->synced_cv);
}

static void *
log_main(void *arg)
{
	wal *w = arg;
	pthread_mutex_lock(&w->mtx);
	int64_t next_tick = clock_ms() + 1000;
	while (!w->stop) {
		if (w->want_spare) {
			w->want_spare = false;
			pthread_mutex_unlock(&w->mtx);
			char name[40];
			int  fd = make_spare(w, name);
			pthread_mutex_lock(&w->mtx);
			pthread_cond_broadcast(&w->spare_cv);
			if (fd >= 0) {
				memcpy(w->spare_name, name, sizeof(name));
				w->spare       = fd;
				w->spare_errno = 0;
			} else {
				w->spare_errno
				    = -fd; // tried again each second
				log_msg(LOG_WARN,
				    "cannot make the log's next segment in "
				    "%s: "
				    "%s",
				    w->dir, strerror(-fd));
			}
			continue;
		}
		bool    due = w->o.fsync == WAL_FSYNC_ALWAYS
		       ? w->sync_asked > w->durable_lsn
		       : false;
		int64_t now = clock_ms();
		if (now >= next_tick) {
			next_tick = now + 1000;
			due       = w->written_lsn > w->durable_lsn
			    || (w->o.fsync != WAL_FSYNC_NO
			        && w->oldest_unsynced_us != 0);
			if (w->spare < 0 && w->spare_errno != 0) {
				w->want_spare = true; // space may be back
			}
			if (w->o.fsync == WAL_FSYNC_NO) {
				due = false; // the kernel writes back itself
			}
		}
		if (due && w->failed == 0) {
			sync_one(w);
			tell_if_failed(w);
			uint64_t d = w->durable_lsn;
			if (w->o.fsync == WAL_FSYNC_ALWAYS
			    && w->o.on_durable) {
				pthread_mutex_unlock(&w->mtx);
				w->o.on_durable(w->o.arg, d);
				pthread_mutex_lock(&w->mtx);
			}
			continue;
		}
		if (w->want_spare) {
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t wait_ms = next_tick - clock_ms();
		if (wait_ms < 0) {
			wait_ms = 0;
		}
		ts.tv_sec += (time_t) (wait_ms / 1000);
		ts.tv_nsec += (long) (wait_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->cv, &w->mtx, &ts);
	}
	pthread_mutex_unlock(&w->mtx);
	return NULL;
}

/* ---- open and close -----------------------------------------------------
 */

/* Zeroes fd's bytes [from, to) (a torn record's) and syncs them. */
static int
zero_range(int fd, size_t from, size_t to)
{
	static const uint8_t zeros[4096];
	for (size_t off = from; off < to;) {
		size_t n
		    = to - off < sizeof(zeros) ? to - off : sizeof(zeros);
		ssize_t k = pwrite(fd, zeros, n, (off_t) off);
		if (k <= 0) {
			return k < 0 ? -errno : -EIO;
		}
		off += (size_t) k;
	}
	return fdatasync(fd) == 0 ? 0 : -errno;
}

/* Removes the spare segments a previous run made and never used. */
static void
remove_spares(int dirfd)
{
	int  dup = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d   = dup >= 0 ? fdopendir(dup) : NULL;
	if (d == NULL) {
		if (dup >= 0) {
			close(dup);
		}
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		unsigned long long n;
		char               tail[8];
		if (sscanf(e->d_name, "wal-spare-%llu.%3s", &n, tail) == 2
		    && strcmp(tail, "tmp") == 0) {
			unlinkat(dirfd, e->d_name, 0);
		}
	}
	closedir(d);
}

static void
wal_free(wal *w)
{
	if (w->fd >= 0) {
		close(w->fd);
	}
	if (w->spare >= 0) {
		close(w->spare);
		unlinkat(w->dirfd, w->spare_name, 0); // made ahead, unused
	}
	for (size_t i = 0; i < w->nretired; i++) {
		close(w->retired[i]);
	}
	if (w->dirfd >= 0) {
		close(w->dirfd);
	}
	pthread_mutex_destroy(&w->mtx);
	pthread_mutex_destroy(&w->write_mtx);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->spare_cv);
	pthread_cond_destroy(&w->synced_cv);
	free(w->retired);
	free(w->buf);
	free(w->wbuf);
	free(w->dir);
	free(w);
}

/* Positions w after the records scan found: in the last segment (its
 * torn bytes zeroed), or in a first one. */
static int
resume_at(wal *w, const scan_state *st, char *why, size_t whycap)
{
	if (st->found->segments == 0) {
		int rv = next_segment(w, st->from_lsn > 1 ? st->from_lsn : 1);
		if (rv != 0) {
			wal_say(why, whycap,
			    "cannot make the log's first segment "
			    "in %s: %s",
			    w->dir, strerror(-rv));
		}
		return rv;
	}
	int fd = openat(w->dirfd, st->last.name, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		wal_say(why, whycap, "%s: %s", st->last.name, strerror(e));
		return -e;
	}
	if (st->found->torn) {
		int rv = zero_range(fd, st->end_off, st->torn_end);
		if (rv != 0) {
			close(fd);
			wal_say(why, whycap,
			    "%s: cannot drop the torn record: %s",
			    st->last.name, strerror(-rv));
			return rv;
		}
		log_msg(LOG_WARN,
		    "%s/%s: a torn last record at offset %zu (%zu bytes) "
		    "was dropped: it was never acknowledged",
		    w->dir, st->last.name, st->end_off,
		    st->torn_end - st->end_off);
	}
	w->fd = w->fd_shared = fd;
	w->seg_off           = st->end_off;
	w->seg_size          = st->seg_size;
	atomic_store(&w->seg_left, w->seg_size - w->seg_off);
	w->live_segments = st->found->segments;
	w->live_bytes    = st->found->bytes;
	if (w->seg_off > w->seg_size / 2) {
		w->want_spare = true;
	}
	return 0;
}

int
wal_open(const char *dir, const wal_opts *o, wal_replay_fn fn, void *arg,
    wal **out, wal_found *found, char *why, size_t whycap)
{
	wal_found local;
	found = found != NULL ? found : &local;
	memset(found, 0, sizeof(*found));
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		int e = errno;
		wal_say(why, whycap, "cannot make %s: %s", dir, strerror(e));
		return -e;
	}
	wal *w = calloc(1, sizeof(*w));
	if (w == NULL || (w->dir = strdup(dir)) == NULL) {
		free(w);
		return -ENOMEM;
	}
	w->o = *o;
	if (w->o.segment_bytes == 0) {
		w->o.segment_bytes = WAL_SEGMENT_BYTES;
	}
	w->fd = w->fd_shared = w->spare = -1;
	pthread_mutex_init(&w->mtx, NULL);
	pthread_mutex_init(&w->write_mtx, NULL);
	clock_cond_init(&w->cv);
	clock_cond_init(&w->spare_cv);
	pthread_cond_init(&w->synced_cv, NULL);
	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		int e = errno;
		wal_say(why, whycap, "%s: %s", dir, strerror(e));
		wal_free(w);
		return -e;
	}
	remove_spares(w->dirfd); // made ahead, never used
	if (o->from_lsn > 1) {
		// Segments a snapshot covers whose removal a crash cut short.
		wal_remove_before(w->dirfd, w->dir, o->from_lsn);
	}
	scan_state st = {
		.fn = fn, .arg = arg, .found = found, .from_lsn = o->from_lsn
	};
	int rv = wal_scan_dir(w->dirfd, &st, why, whycap);
	if (rv == 0 && st.empty_last) {
		log_msg(LOG_WARN, "%s/%s: an empty last segment, removed",
		    dir, st.last.name);
		if (unlinkat(w->dirfd, st.last.name, 0) != 0) {
			rv = -errno;
			wal_say(why, whycap, "%s: %s", st.last.name,
			    strerror(errno));
		}
		if (found->segments > 0) {
			// The one before is the last: scan it again for where
			// its records end.
			memset(found, 0, sizeof(*found));
			st = (scan_state) { .found = found,
				.from_lsn          = o->from_lsn };
			rv = rv != 0
			    ? rv
			    : wal_scan_dir(w->dirfd, &st, why, whycap);
		}
	}
	if (rv == 0) {
		rv = resume_at(w, &st, why, whycap);
	}
	if (rv != 0) {
		wal_free(w);
		return rv;
	}
	w->appended_lsn = w->written_lsn = w->durable_lsn = found->records > 0
	    ? found->last_lsn
	    : o->from_lsn > 1 ? o->from_lsn - 1
	                      : 0;
	if (pthread_create(&w->thread, NULL, log_main, w) != 0) {
		wal_say(why, whycap, "cannot start the log thread");
		wal_free(w);
		return -ENOMEM;
	}
	pthread_setname_np(w->thread, "mgr:log");
	*out = w;
	return 0;
}

void
wal_close(wal *w)
{
	if (w == NULL) {
		return;
	}
	wal_write(w);
	pthread_mutex_lock(&w->mtx);
	if (w->failed == 0 && w->o.fsync != WAL_FSYNC_NO) {
		sync_one(w);
	}
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mtx);
	pthread_join(w->thread, NULL);
	wal_free(w);
}
