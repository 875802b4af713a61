/* The data directory's log (manager/disk/wal.c) as a unit: CRC-32C's
 * known values, records read back in order across segments and reopens,
 * group commits under "always" (fewer syncs than records, every record
 * durable before its writer goes on), a torn last record dropped and
 * written over, corruption refused with the file and offset, a segment
 * missing, an unknown format version, and a full disk (a segment that
 * cannot be made) refusing more before anything is lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "wal.h"

static char dir[64];

static int
setup(void **state)
{
	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/mgr-wal-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void) state;
	DIR           *d = opendir(dir);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.') {
			char p[160];
			snprintf(p, sizeof(p), "%s/%.64s", dir, e->d_name);
			unlink(p);
		}
	}
	if (d != NULL) {
		closedir(d);
	}
	return rmdir(dir);
}

/* Record i's payload: "record <i>" padded with i % 13 x's (lengths that
 * are not multiples of 8). */
static size_t
payload(uint64_t i, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "record %llu ", (unsigned long long) i);
	for (uint64_t k = 0; k < i % 13; k++) {
		buf[n++] = 'x';
	}
	return (size_t) n;
}

typedef struct seen {
	uint64_t next; /* the LSN expected next */
	uint64_t base; /* record i has LSN base + i */
} seen;

static int
check_record(void *arg, uint64_t lsn, const uint8_t *p, size_t n)
{
	seen *s = arg;
	char  want[64];
	assert_int_equal(lsn, s->next);
	size_t len = payload(lsn - s->base, want, sizeof(want));
	assert_int_equal(n, len);
	assert_memory_equal(p, want, len);
	s->next++;
	return 0;
}

static wal *
open_ok(wal_fsync policy, size_t seg, seen *s, wal_found *f)
{
	wal_opts o        = { .fsync = policy, .segment_bytes = seg };
	wal     *w        = NULL;
	char     why[256] = "";
	int rv = wal_open(dir, &o, check_record, s, &w, f, why, sizeof(why));
	if (rv != 0) {
		fail_msg("wal_open: %d %s", rv, why);
	}
	return w;
}

static void
append_range(wal *w, uint64_t from, uint64_t to)
{
	char buf[64];
	for (uint64_t i = from; i < to; i++) {
		size_t n = payload(i, buf, sizeof(buf));
		assert_int_equal(wal_append(w, buf, n), i);
	}
}

static void
test_crc32c(void **state)
{
	(void) state;
	// RFC 3720's and the usual check value.
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
	uint8_t zeros[32] = { 0 };
	assert_int_equal(crc32c(0, zeros, 32), 0x8A9136AAu);
	// Continued: the same as in one go, at every split.
	const char *t = "the quick brown fox jumps over the lazy dog";
	size_t      n = strlen(t);
	for (size_t k = 0; k <= n; k++) {
		assert_int_equal(
		    crc32c(crc32c(0, t, k), t + k, n - k), crc32c(0, t, n));
	}
}

/* Records come back in order, across segments and reopens. */
static void
test_roundtrip_segments(void **state)
{
	(void) state;
	seen      s = { .next = 1, .base = 0 };
	wal_found f;
	wal      *w = open_ok(WAL_FSYNC_EVERYSEC, 16384, &s, &f);
	assert_int_equal(f.records, 0);
	append_range(w, 1, 1001);
	assert_int_equal(wal_write(w), 1000);
	assert_int_equal(wal_durable(w), 1000); // written is enough
	wal_figures fig;
	wal_figures_of(w, &fig);
	assert_true(fig.segments > 1);
	wal_close(w);
	// Reopened: every record once, in order; then more after them.
	s = (seen) { .next = 1 };
	w = open_ok(WAL_FSYNC_EVERYSEC, 16384, &s, &f);
	assert_int_equal(s.next, 1001);
	assert_int_equal(f.records, 1000);
	assert_int_equal(f.first_lsn, 1);
	assert_int_equal(f.last_lsn, 1000);
	assert_true(f.segments > 1);
	assert_false(f.torn);
	append_range(w, 1001, 1500);
	wal_close(w);
	s = (seen) { .next = 1 };
	wal_found c;
	char      why[256];
	assert_int_equal(
	    wal_check(dir, 0, 0, check_record, &s, &c, why, sizeof(why)), 0);
	assert_int_equal(c.records, 1499);
	assert_int_equal(s.next, 1500);
}

typedef struct writer_arg {
	wal            *w;
	uint64_t        from, to;
	pthread_mutex_t mtx; /* the test's: appends in LSN order */
} writer_arg;

static writer_arg shared;

/* Appends its share one record at a time and writes each; under always
 * the record must then be durable (the writer waited for its sync). */
static void *
writer_main(void *arg)
{
	uint64_t k = (uint64_t) (uintptr_t) arg;
	char     buf[64];
	for (uint64_t i = 0; i < 200; i++) {
		pthread_mutex_lock(&shared.mtx);
		uint64_t lsn = shared.from++;
		size_t   n   = payload(lsn, buf, sizeof(buf));
		assert_int_equal(wal_append(shared.w, buf, n), lsn);
		pthread_mutex_unlock(&shared.mtx);
		assert_true(wal_write(shared.w) >= lsn);
		// Bounded: a sync takes milliseconds, not seconds.
		for (int t = 0; t < 10000 && wal_durable(shared.w) < lsn;
		     t++) {
			usleep(1000);
		}
		assert_true(wal_durable(shared.w) >= lsn);
	}
	(void) k;
	return NULL;
}

/* Eight writers under always: each record durable before its writer
 * goes on, with fewer syncs than records (group commits). */
static void
test_group_commit(void **state)
{
	(void) state;
	seen s      = { .next = 1 };
	shared.w    = open_ok(WAL_FSYNC_ALWAYS, 0, &s, NULL);
	shared.from = 1;
	pthread_mutex_init(&shared.mtx, NULL);
	pthread_t t[8];
	for (uintptr_t k = 0; k < 8; k++) {
		assert_int_equal(
		    pthread_create(&t[k], NULL, writer_main, (void *) k), 0);
	}
	for (int k = 0; k < 8; k++) {
		pthread_join(t[k], NULL);
	}
	wal_figures fig;
	wal_figures_of(shared.w, &fig);
	assert_int_equal(fig.durable_lsn, 1600);
	assert_true(fig.syncs >= 1 && fig.syncs <= 1600);
	assert_true(fig.max_group >= 1);
	print_message("1600 records, 8 writers: %llu syncs, largest group "
	              "%llu, last sync %llu us\n",
	    (unsigned long long) fig.syncs,
	    (unsigned long long) fig.max_group,
	    (unsigned long long) fig.last_sync_us);
	wal_close(shared.w);
	pthread_mutex_destroy(&shared.mtx);
	s = (seen) { .next = 1 };
	wal_found f;
	wal      *w = open_ok(WAL_FSYNC_ALWAYS, 0, &s, &f);
	assert_int_equal(f.records, 1600);
	wal_close(w);
}

/* The path of the only segment of dir (the test's) in p. */
static void
last_segment(char *p, size_t cap)
{
	DIR           *d = opendir(dir);
	struct dirent *e;
	char           best[64] = "";
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "wal-", 4) == 0
		    && strstr(e->d_name, ".log") != NULL
		    && strcmp(e->d_name, best) > 0) {
			snprintf(best, sizeof(best), "%.60s", e->d_name);
		}
	}
	closedir(d);
	assert_true(best[0] != '\0');
	snprintf(p, cap, "%s/%s", dir, best);
}

/* The offset of the first byte of record lsn's payload in the only
 * segment (records 1..: header 32, each padded to 8). */
static size_t
offset_of(uint64_t lsn)
{
	size_t off = 32;
	char   buf[64];
	for (uint64_t i = 1; i < lsn; i++) {
		off += (8 + payload(i, buf, sizeof(buf)) + 7) & ~(size_t) 7;
	}
	return off;
}

static void
poke(const char *path, size_t off, const void *b, size_t n)
{
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, n, (off_t) off), (ssize_t) n);
	close(fd);
}

/* A record half written at the end (a crash in its write): dropped with
 * a line, and the next records go where it was. */
static void
test_torn_tail(void **state)
{
	(void) state;
	seen s = { .next = 1 };
	wal *w = open_ok(WAL_FSYNC_ALWAYS, 0, &s, NULL);
	append_range(w, 1, 101);
	wal_close(w);
	char seg[160];
	last_segment(seg, sizeof(seg));
	// Record 100's second half never reached the disk: zeros.
	size_t  at       = offset_of(100);
	uint8_t zeros[8] = { 0 };
	poke(seg, at + 12, zeros, 8);
	s = (seen) { .next = 1 };
	wal_found f;
	w = open_ok(WAL_FSYNC_ALWAYS, 0, &s, &f);
	assert_true(f.torn);
	assert_int_equal(f.torn_offset, at);
	assert_int_equal(f.records, 99);
	assert_int_equal(s.next, 100);
	// The log goes on from record 100 (written again, whole).
	append_range(w, 100, 151);
	wal_close(w);
	s = (seen) { .next = 1 };
	w = open_ok(WAL_FSYNC_ALWAYS, 0, &s, &f);
	assert_false(f.torn);
	assert_int_equal(f.records, 150);
	wal_close(w);
	// Garbage after the last record (a write torn in its length): the
	// same.
	uint8_t junk[24];
	memset(junk, 0xa5, sizeof(junk));
	poke(seg, offset_of(151), junk, sizeof(junk));
	s = (seen) { .next = 1 };
	w = open_ok(WAL_FSYNC_ALWAYS, 0, &s, &f);
	assert_true(f.torn);
	assert_int_equal(f.records, 150);
	wal_close(w);
}

/* A flipped byte in a record with records after it: refused, naming the
 * file and the offset, by open and by check alike; nothing changed. */
static void
test_corruption_refused(void **state)
{
	(void) state;
	seen s = { .next = 1 };
	wal *w = open_ok(WAL_FSYNC_EVERYSEC, 0, &s, NULL);
	append_range(w, 1, 101);
	wal_close(w);
	char seg[160];
	last_segment(seg, sizeof(seg));
	size_t  at   = offset_of(40);
	uint8_t flip = 'R' ^ 0x01; // "record 40": its first byte
	poke(seg, at + 8, &flip, 1);
	char     why[256] = "";
	wal_opts o        = { .fsync = WAL_FSYNC_EVERYSEC };
	s                 = (seen) { .next = 1 };
	wal *x            = NULL;
	assert_int_equal(
	    wal_open(dir, &o, check_record, &s, &x, NULL, why, sizeof(why)),
	    -EBADMSG);
	assert_null(x);
	char want[64];
	snprintf(want, sizeof(want), "at offset %zu (record 40", at);
	assert_non_null(strstr(why, want));
	assert_non_null(strstr(why, "wal-0000000000000001.log"));
	assert_non_null(strstr(why, "a bad checksum"));
	wal_found f;
	s = (seen) { .next = 1 };
	assert_int_equal(
	    wal_check(dir, 0, 0, check_record, &s, &f, why, sizeof(why)),
	    -EBADMSG);
	// Put back: every record there again (open changed nothing).
	flip = 'r';
	poke(seg, at + 8, &flip, 1);
	s = (seen) { .next = 1 };
	assert_int_equal(
	    wal_check(dir, 0, 0, check_record, &s, &f, why, sizeof(why)), 0);
	assert_int_equal(f.records, 100);
}

/* A middle segment removed, and a segment of a later format version. */
static void
test_missing_segment_and_version(void **state)
{
	(void) state;
	seen s = { .next = 1 };
	wal *w = open_ok(WAL_FSYNC_NO, 4096, &s, NULL);
	append_range(w, 1, 400);
	wal_close(w);
	char last[160];
	last_segment(last, sizeof(last));
	// The version field of the last segment: 2.
	uint8_t v2[4] = { 2, 0, 0, 0 };
	poke(last, 8, v2, 4);
	char      why[256] = "";
	wal_found f;
	s = (seen) { .next = 1 };
	assert_int_equal(
	    wal_check(dir, 0, 0, check_record, &s, &f, why, sizeof(why)),
	    -EPROTO);
	assert_non_null(strstr(why, "format version 2"));
	uint8_t v1[4] = { 1, 0, 0, 0 };
	poke(last, 8, v1, 4);
	// The second segment gone: the third does not start where the first
	// ended.
	DIR           *d = opendir(dir);
	struct dirent *e;
	char           names[64][32];
	int            n = 0;
	while ((e = readdir(d)) != NULL && n < 64) {
		if (strncmp(e->d_name, "wal-", 4) == 0) {
			snprintf(names[n++], 32, "%.30s", e->d_name);
		}
	}
	closedir(d);
	assert_true(n >= 3);
	qsort(names, (size_t) n, 32,
	    (int (*)(const void *, const void *)) strcmp);
	char gone[160];
	snprintf(gone, sizeof(gone), "%s/%s", dir, names[1]);
	assert_int_equal(unlink(gone), 0);
	s = (seen) { .next = 1 };
	assert_int_equal(
	    wal_check(dir, 0, 0, NULL, NULL, &f, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "a segment is missing"));
}

/* No room for the next segment (RLIMIT_FSIZE stands in for a full disk:
 * the same refusal at the same place): the log says so before the
 * current segment is full, loses nothing written, and goes on once
 * there is room. Records of 1,000 bytes: 7 to a segment of 8 KiB. */
static void
test_no_room_for_next_segment(void **state)
{
	(void) state;
	wal_opts o = { .fsync = WAL_FSYNC_EVERYSEC, .segment_bytes = 8192 };
	wal     *w = NULL;
	char     why[256] = "";
	assert_int_equal(
	    wal_open(dir, &o, NULL, NULL, &w, NULL, why, sizeof(why)), 0);
	struct rlimit old, small;
	getrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_IGN);
	small.rlim_cur = 8191; // a segment (8192) cannot be made
	small.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	char rec[1000];
	memset(rec, 'r', sizeof(rec));
	uint64_t i = 1;
	while (wal_writable(w, why, sizeof(why)) && i < 100) {
		assert_int_equal(wal_append(w, rec, sizeof(rec)), i);
		assert_int_equal(wal_write(w), i);
		i++;
		// The log thread makes the next segment ahead (or fails to)
		// once the current one is half full: wait for its try.
		for (int t = 0; t < 2000; t++) {
			wal_figures f;
			wal_figures_of(w, &f);
			if (f.next_segment_errno != 0 || f.next_segment_ready
			    || i < 5) {
				break;
			}
			usleep(1000);
		}
	}
	assert_true(i < 100);
	assert_non_null(strstr(why, "no room for the log's next segment"));
	wal_figures f;
	wal_figures_of(w, &f);
	assert_int_equal(f.failed_errno, 0); // refused before any loss
	setrlimit(RLIMIT_FSIZE, &old);
	wal_close(w);
	wal_found found;
	w = NULL;
	assert_int_equal(
	    wal_open(dir, &o, NULL, NULL, &w, &found, why, sizeof(why)), 0);
	assert_int_equal(found.records, i - 1); // every record written
	for (uint64_t k = 0; k < 30; k++) {     // and room is back
		assert_int_equal(wal_append(w, rec, sizeof(rec)), i + k);
	}
	assert_int_equal(wal_write(w), i + 29);
	wal_close(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test_setup_teardown(
		    test_roundtrip_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_group_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_corruption_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_missing_segment_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_no_room_for_next_segment, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
