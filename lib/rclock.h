/* rclock: the region clock and the API's time format.
 *
 * Every time the API shows is real time plus an offset the operator can
 * advance (rdsctl clock advance), so retention and windows are testable in
 * seconds. The offset lives in the controlplane's store; this module only
 * does the arithmetic and formatting. */
#ifndef RDSIM_RCLOCK_H
#define RDSIM_RCLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Region time in ms since the epoch: wall clock + offset_ms. */
int64_t rclock_now_ms(int64_t offset_ms);
/* Formats ms since the epoch as ISO 8601 UTC with milliseconds,
 * "2026-11-24T00:17:46.123Z", into buf (at least 32 bytes). Returns buf. */
char *rclock_format(int64_t ms, char *buf, size_t size);
/* Parses ISO 8601 UTC ("YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]"); false on
 * anything else. */
bool rclock_parse(const char *s, int64_t *ms_out);

/* The clock's history, to map region times back to real ones (a restore
 * time becomes PostgreSQL's real recovery target). Each advance is one
 * step: from real_ms on, the offset is `to` instead of `from`. Steps are
 * in real-time order; with none the offset has always been `current`. */
typedef struct {
    int64_t real_ms;
    int64_t from;
    int64_t to;
} rclock_step;

/* Parses the stored history, one "real_ms from to" line per step; bad
 * lines are skipped. Returns the count; *out is malloc'd (NULL when 0). */
int rclock_history_parse(const char *text, rclock_step **out);
/* The region time that real_ms was shown as. */
int64_t rclock_real_to_region(const rclock_step *h, int n, int64_t current, int64_t real_ms);
/* The real time a region time stands for; a region time the clock jumped
 * over maps to the real instant of the jump. */
int64_t rclock_region_to_real(const rclock_step *h, int n, int64_t current, int64_t region_ms);

#endif
