/* Logging to stderr (or --log-file) with a level: managerd's only output
 * besides the listening lines.
 *
 * A line logged under the server lock (syscall_guard_held) is not
 * written there: it waits in a buffer of the thread's until
 * log_flush_deferred, which the server lock's unlock calls, so that
 * logging never puts a system call under the lock. */
#ifndef MGR_COMMON_LOG_H
#define MGR_COMMON_LOG_H

#include <stddef.h>
#include <stdint.h>

enum { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Read by every thread, set at start and by a reload: atomic. */
extern int log_level;
static inline int
log_level_now(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}
static inline void
log_set_level(int level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

/* "error", "warn", "info", "debug" -> level; -1 if unknown. */
int log_parse_level(const char *s);
/* s, which a peer sent, made safe for a log line: bytes outside printable
 * ASCII (a newline would forge a line) and backslashes as \xHH, cut with
 * "..." to fit cap (> 4). */
void log_escape(const char *s, char *out, size_t cap);
/* Sends the log (stderr) to path, appending, made 0640 if new; NULL
 * reopens the path given before (SIGHUP, after logrotate moved it), a
 * no-op when there is none. 0 or -errno. */
int log_open(const char *path);
/* Under systemd with stderr to the journal ($JOURNAL_STREAM matches
 * fd 2): lines carry their syslog priority ("<4>managerd warn: ...", so
 * journalctl -p works) instead of a time. Once, before the threads. */
void log_detect_journal(void);
void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Lines a peer can cause without the key (connections, refused
 * handshakes) go through a budget: at most LOG_PREAUTH_PER_SEC warnings
 * and errors a second, and as many other lines, are written; the rest
 * are counted, and the next line written says how many were left out,
 * so a flood of attempts costs the log kilobytes a second, not
 * megabytes. */
#define LOG_PREAUTH_PER_SEC 50
void log_preauth(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A refusal a peer can cause without the key, counted by cause ("a
 * wrong authkey", copied) and by the peer's network (an IPv4 /24, an
 * IPv6 /64, a local user; peer as sock.c describes it): the first of each
 * cause from each network in an interval (LOG_REFUSALS_MS) is written
 * through log_preauth's budget, the others only counted, and one line
 * says how many once the interval is over ("12345 more refusals from
 * 10.0.0.0/24 in the last 10 s: wrong authkey"). A flood from one
 * network costs two lines per cause per interval, not one per attempt. */
#define LOG_REFUSALS_MS 10000
void log_refused(int level, const char *cause, const char *peer,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Writes the counts of the intervals that are over (the timer thread
 * calls it each second; log_refused does too). */
void log_refusals_flush(void);
/* The interval, for tests (ms; 0: LOG_REFUSALS_MS). */
void log_set_refusals_interval(int64_t ms);
/* Writes the lines the calling thread logged under the lock; a no-op
 * when there are none. Not under the lock. */
void log_flush_deferred(void);

#endif
