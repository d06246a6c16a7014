/* logline: PostgreSQL log bytes cut into CloudWatch Logs events (pure).
 *
 * rdsim's nodes run with PostgreSQL's default log_line_prefix '%m [%p] '
 * and log_timezone UTC (agent/nodeconf.c), so a message starts with
 * "YYYY-MM-DD HH:MM:SS.mmm UTC [pid] SEVERITY:  text"; RDS's own prefix
 * '%t:%r:%u@%d:[%p]:' starts with the same timestamp (no milliseconds) and
 * is read too. One event per message, as RDS's CloudWatch streams show:
 *   - a line starting with a timestamp starts an event, unless its
 *     severity is DETAIL, HINT, CONTEXT, STATEMENT, QUERY or LOCATION
 *     (the parts of the message before it);
 *   - a line without a timestamp (a statement's second line) continues
 *     the event before it.
 * The event's timestamp is its first line's; a first line without one
 * takes `fallback_ms`.
 *
 * Only complete lines are cut: bytes after the last '\n' wait for more,
 * unless the window is full (LOGLINE_WINDOW bytes without a newline: a
 * line longer than that is cut there, never waits forever). A
 * continuation line shipped after a pause (never, in practice: PostgreSQL
 * writes a message in one write) becomes an event of its own.
 *
 * Messages are tenant data (any SQL text ends up in them): logline_clean
 * makes one valid UTF-8 (each byte of an invalid sequence, and a NUL,
 * becomes U+FFFD), drops
 * the final newline and cuts it at LOGLINE_EVENT_MAX bytes on a character
 * boundary, CloudWatch's event size less its 26 bytes of overhead. */
#ifndef RDSIM_LOGLINE_H
#define RDSIM_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGLINE_EVENT_MAX (256 * 1024 - 26)
#define LOGLINE_WINDOW (1024 * 1024)

typedef struct {
    size_t off, len;   /* the event's bytes in the buffer, with its final '\n' */
    int64_t ts_ms;
} logline_event;

/* Called once per event, in order; false stops the cut (the bytes up to
 * the previous event count as consumed). */
typedef bool (*logline_fn)(void *arg, const char *buf, const logline_event *ev);

/* Cuts buf[0, len) into events and returns how many bytes they took (the
 * caller's next offset). *stopped: fn returned false. *last_ts: the
 * timestamp of the last event cut (fallback_ms if none). */
size_t logline_cut(const char *buf, size_t len, int64_t fallback_ms, logline_fn fn, void *arg,
                   bool *stopped, int64_t *last_ts);

/* The timestamp a line starts with, in ms since the epoch (UTC): true
 * when the line starts "YYYY-MM-DD HH:MM:SS" (".d+" optional) and " UTC"
 * or " GMT" follows. */
bool logline_parse_ts(const char *line, size_t len, int64_t *ms);

/* A copy of s[0, len) as a CloudWatch message (see above): malloc'd,
 * NUL-terminated, *out_len its length. */
char *logline_clean(const char *s, size_t len, size_t cap, size_t *out_len);

#endif
