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

#endif
