/* clock: the region clock's two rdsim-extension actions.
 *
 * DescribeRegionClock → {Now: ISO 8601, OffsetSeconds: n}
 * AdvanceRegionClock(Duration = seconds >= 0) → the same, after moving
 * the clock forward by Duration.
 *
 * The region clock is wall time plus r->clock_offset_ms (lib/rclock.h).
 * Advancing persists the new offset in the store's meta table
 * ("clock_offset_ms", read back by main at start) before r changes and
 * before the reply: a restart never moves the clock back. The clock only
 * moves forward, as time does; there is no way to rewind it. */
#ifndef RDSIM_CLOCK_H
#define RDSIM_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"

typedef struct cJSON cJSON;
typedef struct region region;

/* The largest Duration one call takes (100 years), and the largest offset
 * the clock keeps (1000 years), so that no time arithmetic overflows. */
#define CLOCK_MAX_ADVANCE_S (100LL * 366 * 86400)
#define CLOCK_MAX_OFFSET_MS (1000LL * 366 * 86400 * 1000)

/* Action handlers (actions.h's action_fn). Advance fails with
 * MissingParameter, InvalidParameterValue (not a whole number of seconds
 * in 0..CLOCK_MAX_ADVANCE_S, or the offset limit reached) or
 * InternalFailure when the store refused the write (the clock is then
 * unchanged). */
bool clock_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool clock_action_advance(region *r, const params *p, cJSON *result, awserr *err);

#endif
