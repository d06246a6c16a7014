/* log: levelled, one-line, key=value logging to stderr.
 *
 * Every line: "2026-11-24T00:17:46.123Z LEVEL ident file:line message".
 * Messages should be key=value where possible. Passwords are never passed
 * to these macros. Settings are process-global (set once from main). */
#ifndef RDSIM_LOG_H
#define RDSIM_LOG_H

#include <stdbool.h>

typedef enum { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR } log_level;

/* Sets the program name printed on every line (not copied: pass a literal). */
void log_set_ident(const char *ident);
void log_set_level(log_level level);
/* Parses "debug|info|warn|error"; returns false (level unchanged) otherwise. */
bool log_parse_level(const char *name, log_level *out);

void log_write(log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define LOG_DEBUG(...) log_write(LOG_LEVEL_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define LOG_INFO(...)  log_write(LOG_LEVEL_INFO,  __FILE__, __LINE__, __VA_ARGS__)
#define LOG_WARN(...)  log_write(LOG_LEVEL_WARN,  __FILE__, __LINE__, __VA_ARGS__)
#define LOG_ERROR(...) log_write(LOG_LEVEL_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#endif
