/* log: levelled, one-line, key=value logging to stderr.
 *
 * Every line: "2026-11-24T00:17:46.123Z LEVEL ident file:line message".
 * Messages should be key=value where possible. Passwords are never passed
 * to these macros. Settings are process-global (set once from main).
 *
 * Bounded: a call site writes at most 1000 lines per 10-second window
 * (a LOG_*_RARE site: one), the rest are counted and reported as
 * "log lines suppressed=N window_s=10" by the site's next line; with
 * log_set_max_bytes the log file is rotated to <file>.1. */
#ifndef RDSIM_LOG_H
#define RDSIM_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR } log_level;

/* Sets the program name printed on every line (not copied: pass a literal). */
void log_set_ident(const char *ident);
void log_set_level(log_level level);
/* Parses "debug|info|warn|error"; returns false (level unchanged) otherwise. */
bool log_parse_level(const char *name, log_level *out);

/* Rotates stderr, if it is a regular file, to <file>.1 whenever this
 * process's writes bring it to max bytes (0: never). Call once from main. */
void log_set_max_bytes(size_t max);

void log_write(log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* For lines an outside event can repeat without bound (accept errors):
 * one per site per 10 s, then the count of those suppressed. */
void log_write_rare(log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define LOG_DEBUG(...) log_write(LOG_LEVEL_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define LOG_INFO(...)  log_write(LOG_LEVEL_INFO,  __FILE__, __LINE__, __VA_ARGS__)
#define LOG_WARN(...)  log_write(LOG_LEVEL_WARN,  __FILE__, __LINE__, __VA_ARGS__)
#define LOG_ERROR(...) log_write(LOG_LEVEL_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define LOG_WARN_RARE(...) log_write_rare(LOG_LEVEL_WARN, __FILE__, __LINE__, __VA_ARGS__)

#endif
