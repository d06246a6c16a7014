/* util: allocation that aborts on out-of-memory, and a growable string.
 *
 * x* functions never return NULL: out-of-memory is fatal in one place
 * (xoom), so callers need no allocation error paths. */
#ifndef RDSIM_UTIL_H
#define RDSIM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable NUL-terminated buffer. Zero-initialise ({0}) or sbuf_init;
 * .data is NULL until something is appended. sbuf_free releases it;
 * sbuf_take hands ownership of the string to the caller ("" if empty). */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} sbuf;

void sbuf_init(sbuf *b);
void sbuf_append(sbuf *b, const char *s, size_t n);
void sbuf_puts(sbuf *b, const char *s);
void sbuf_putc(sbuf *b, char c);
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sbuf_take(sbuf *b);
void sbuf_free(sbuf *b);

/* Lowercases s in place (ASCII) and returns it. */
char *str_lower(char *s);
/* Strict decimal parse of the whole string into [min,max]; false otherwise. */
bool str_to_int64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Monotonic milliseconds (CLOCK_MONOTONIC), for intervals only. */
int64_t mono_ms(void);
/* Wall-clock milliseconds since the epoch. */
int64_t wall_ms(void);
/* A periodic job's gate, on one clock (mono_ms): true, with *last_ms set
 * to now_ms, when the job never ran (*last_ms 0) or period_ms or more
 * have passed since *last_ms; false (nothing changed) otherwise. */
bool every_due(int64_t *last_ms, int64_t now_ms, int64_t period_ms);

#endif
