#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

void
log_msg(int level, const char *fmt, ...)
{
	if (level > log_level) {
		return;
	}
	char            line[512];
	struct timespec ts;
	struct tm       tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int     n = snprintf(line, sizeof(line),
	        "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ managerd %s: ",
	        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	        tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t) n, fmt, ap);
	va_end(ap);
	// One write per line so lines of several threads don't interleave.
	fprintf(stderr, "%s\n", line);
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
	return rv;
}
