/* abpolicy: the pure rules of automated backups, apart so the unit tests
 * reach them without a store: when a daily base backup may run, and which
 * base backups retention keeps. */
#ifndef RDSIM_ABPOLICY_H
#define RDSIM_ABPOLICY_H

#include <stdbool.h>
#include <stdint.h>

/* A day, the unit of BackupRetentionPeriod. */
#define ABPOLICY_DAY_MS (86400LL * 1000)

/* Is region time ms inside a daily window "hh24:mi-hh24:mi" (UTC, may
 * wrap midnight)? A malformed or NULL window is never open. */
bool abpolicy_in_window(const char *window, int64_t ms);

/* Which base backups retention keeps: given the restorable starts (end
 * times, ascending) of n base backups and the window's start, sets
 * keep[i]. The newest base backup ending before the window's start stays,
 * as do all ending after it. Returns the number kept. */
int abpolicy_retain(const int64_t *ends, int n, int64_t window_start, bool *keep);

#endif
