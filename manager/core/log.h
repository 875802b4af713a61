/* Logging to stderr with a level: managerd's only output besides the
 * listening lines. */
#ifndef MGR_MANAGER_CORE_LOG_H
#define MGR_MANAGER_CORE_LOG_H

enum { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern int log_level;

/* "error", "warn", "info", "debug" -> level; -1 if unknown. */
int  log_parse_level(const char *s);
void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
