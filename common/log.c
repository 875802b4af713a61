#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "peer.h"
#include "syscall_guard.h"

int log_level = LOG_INFO;

static const char *names[] = { "error", "warn", "info", "debug" };

int
log_parse_level(const char *s)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			return i;
		}
	}
	return -1;
}

/* Lines logged under the server lock, written when it is dropped. At most
 * DEFER_MAX bytes wait; lines past it are counted and the count logged. */
#define DEFER_MAX (64 * 1024)
static _Thread_local char  *deferred;
static _Thread_local size_t deferred_len, deferred_cap;
static _Thread_local size_t deferred_lost;
static pthread_key_t        deferred_key; /* frees it at thread exit */
static pthread_once_t       deferred_once = PTHREAD_ONCE_INIT;

static void
make_deferred_key(void)
{
	pthread_key_create(&deferred_key, free);
}

static void
write_all(const char *p, size_t n)
{
	syscall_guard_check("write of the log");
	while (n > 0) {
		ssize_t k = write(STDERR_FILENO, p, n);
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k <= 0) {
			return; // nowhere to say it
		}
		p += k;
		n -= (size_t) k;
	}
}

static void
defer_line(const char *line, size_t n)
{
	if (deferred_len + n > deferred_cap) {
		size_t cap = deferred_cap ? deferred_cap * 2 : 1024;
		while (cap < deferred_len + n) {
			cap *= 2;
		}
		char *nb = cap <= DEFER_MAX ? realloc(deferred, cap) : NULL;
		if (nb == NULL) {
			deferred_lost++;
			return;
		}
		if (deferred == NULL) {
			pthread_once(&deferred_once, make_deferred_key);
		}
		deferred     = nb;
		deferred_cap = cap;
		pthread_setspecific(deferred_key, deferred);
	}
	memcpy(deferred + deferred_len, line, n);
	deferred_len += n;
}

/* Whether stderr is the journal (systemd's JOURNAL_STREAM names it):
 * lines then start with their syslog priority instead of a time, which
 * the journal keeps itself. Set before the threads start. */
static bool to_journal; /* read by every thread: atomic (a reload's
                         * log_open clears it while they log) */

void
log_detect_journal(void)
{
	const char        *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat        st;
	bool journal = js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2
	    && fstat(STDERR_FILENO, &st) == 0
	    && (unsigned long long) st.st_dev == dev
	    && (unsigned long long) st.st_ino == ino;
	__atomic_store_n(&to_journal, journal, __ATOMIC_RELAXED);
}

static void log_vmsg(int level, const char *fmt, va_list ap);

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* The pre-authentication budgets, one for warnings and errors and one
 * for the rest (a flood of connections must not silence the refusals):
 * this second's lines and those left out since the last written. */
static pthread_mutex_t preauth_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int64_t second;
	int     used;
	size_t  dropped;
} preauth[2];

void
log_preauth(int level, const char *fmt, ...)
{
	if (level > log_level_now()) {
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	size_t dropped = 0;
	bool   write   = false;
	int    k       = level <= LOG_WARN ? 0 : 1;
	pthread_mutex_lock(&preauth_mtx);
	if (ts.tv_sec != preauth[k].second) {
		preauth[k].second = ts.tv_sec;
		preauth[k].used   = 0;
	}
	if (preauth[k].used < LOG_PREAUTH_PER_SEC) {
		preauth[k].used++;
		write              = true;
		dropped            = preauth[k].dropped;
		preauth[k].dropped = 0;
	} else {
		preauth[k].dropped++;
	}
	pthread_mutex_unlock(&preauth_mtx);
	if (!write) {
		return;
	}
	char    line[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (dropped > 0) {
		log_msg(level,
		    "%s (and %zu lines like it left out: over %d a second "
		    "from "
		    "connections not yet authenticated)",
		    line, dropped, LOG_PREAUTH_PER_SEC);
	} else {
		log_msg(level, "%s", line);
	}
}

/* ---- refusals by cause and network ------------------------------------
 */

#define REFUSAL_SLOTS 128

static struct refusal {
	char     cause[96]; /* "": free */
	char     net[64];
	int      level;
	int64_t  since_ms; /* the interval's start */
	uint64_t more;     /* counted, not written */
} refusals[REFUSAL_SLOTS];
static int64_t refusals_ms = LOG_REFUSALS_MS;

void
log_set_refusals_interval(int64_t ms)
{
	pthread_mutex_lock(&preauth_mtx);
	refusals_ms = ms > 0 ? ms : LOG_REFUSALS_MS;
	pthread_mutex_unlock(&preauth_mtx);
}

/* Takes r's count into line (cap bytes) if its interval is over, freeing
 * the slot; preauth_mtx held. false when there is nothing to say. */
static bool
refusal_due(
    struct refusal *r, int64_t now, char *line, size_t cap, int *level)
{
	if (r->cause[0] == '\0' || now - r->since_ms < refusals_ms) {
		return false;
	}
	bool say = r->more > 0;
	if (say) {
		snprintf(line, cap,
		    "%llu more refusals from %.63s in the last %lld s: %.95s",
		    (unsigned long long) r->more, r->net,
		    (long long) ((now - r->since_ms + 500) / 1000), r->cause);
		*level = r->level;
	}
	r->cause[0] = '\0';
	return say;
}

void
log_refusals_flush(void)
{
	int64_t now = clock_ms();
	for (size_t i = 0; i < REFUSAL_SLOTS; i++) {
		char line[256];
		int  level = LOG_WARN;
		pthread_mutex_lock(&preauth_mtx);
		bool say = refusal_due(
		    &refusals[i], now, line, sizeof(line), &level);
		pthread_mutex_unlock(&preauth_mtx);
		if (say) {
			log_msg(level, "%s", line);
		}
	}
}

void
log_refused(
    int level, const char *cause, const char *peer, const char *fmt, ...)
{
	if (level > log_level_now()) {
		return;
	}
	char net[64];
	peer_network(peer, 24, net, sizeof(net));
	int64_t now = clock_ms();
	char    due[256];
	int     due_level = LOG_WARN;
	bool    say_due = false, write = true;
	pthread_mutex_lock(&preauth_mtx);
	struct refusal *r = NULL, *free_slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < REFUSAL_SLOTS; i++) {
		struct refusal *x = &refusals[i];
		if (x->cause[0] == '\0') {
			free_slot = free_slot ? free_slot : x;
		} else if (strncmp(x->cause, cause, sizeof(x->cause) - 1) == 0
		    && strcmp(x->net, net) == 0) {
			r = x;
		} else if (oldest == NULL || x->since_ms < oldest->since_ms) {
			oldest = x;
		}
	}
	if (r != NULL && now - r->since_ms < refusals_ms) {
		r->more++; // counted: said once the interval is over
		write = false;
	} else {
		if (r == NULL) {
			// A full table gives up its oldest, its count said.
			r = free_slot;
			if (r == NULL) {
				r       = oldest;
				say_due = r->more > 0;
				if (say_due) {
					snprintf(due, sizeof(due),
					    "%llu more refusals from %.63s: "
					    "%.95s",
					    (unsigned long long) r->more,
					    r->net, r->cause);
					due_level = r->level;
				}
			}
		} else {
			say_due = refusal_due(
			    r, now, due, sizeof(due), &due_level);
		}
		*r = (struct refusal) { .level = level, .since_ms = now };
		snprintf(r->cause, sizeof(r->cause), "%s", cause);
		snprintf(r->net, sizeof(r->net), "%s", net);
	}
	pthread_mutex_unlock(&preauth_mtx);
	if (say_due) {
		log_msg(due_level, "%s", due);
	}
	if (write) {
		char    line[400];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		log_preauth(level, "%s", line);
	}
}

static void
log_vmsg(int level, const char *fmt, va_list ap)
{
	if (level > log_level_now()) {
		return;
	}
	// syslog's priorities: err, warning, info, debug.
	static const int prio[] = { 3, 4, 6, 7 };
	char             line[512];
	int              n;
	if (__atomic_load_n(&to_journal, __ATOMIC_RELAXED)) {
		n = snprintf(line, sizeof(line),
		    "<%d>managerd %s: ", prio[level], names[level]);
	} else {
		struct timespec ts;
		struct tm       tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line),
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ managerd %s: ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
	}
	vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
	size_t len  = strlen(line);
	line[len++] = '\n';
	// One write per line so lines of several threads don't interleave.
	if (syscall_guard_held()) {
		defer_line(line, len);
	} else {
		write_all(line, len);
	}
}

void
log_flush_deferred(void)
{
	if (deferred_len > 0) {
		write_all(deferred, deferred_len);
		deferred_len = 0;
	}
	if (deferred_lost > 0) {
		size_t lost   = deferred_lost;
		deferred_lost = 0;
		log_msg(LOG_WARN,
		    "%zu log lines lost (over %d bytes logged "
		    "under the server lock)",
		    lost, DEFER_MAX);
	}
}

void
log_escape(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s != '\0'; s++) {
		unsigned char ch    = (unsigned char) *s;
		bool          plain = ch >= 0x20 && ch < 0x7f && ch != '\\';
		size_t        need  = plain ? 1 : 4;
		if (n + need + 4 > cap) {
			memcpy(out + n, "...", 4);
			return;
		}
		if (plain) {
			out[n++] = (char) ch;
		} else {
			snprintf(out + n, 5, "\\x%02x", ch);
			n += 4;
		}
	}
	out[n] = '\0';
}

static const char *log_path; /* --log-file, NULL: stderr as given */

int
log_open(const char *path)
{
	if (path != NULL) {
		log_path = path;
	}
	if (log_path == NULL) {
		return 0;
	}
	// Lines go to fd 2, so that whatever writes to stderr (a sanitizer's
	// report too) lands in the file; dup2 swaps it for every thread at
	// once, which is what makes the reopen after logrotate safe.
	int fd
	    = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		return -errno;
	}
	int rv = dup2(fd, STDERR_FILENO) < 0 ? -errno : 0;
	close(fd);
	if (rv == 0) {
		__atomic_store_n(
		    &to_journal, false, __ATOMIC_RELAXED); // a file
	}
	return rv;
}
