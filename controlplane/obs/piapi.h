/* piapi: the Performance Insights API (`aws pi`), JSON 1.1 with
 * X-Amz-Target PerformanceInsightsv20180227.<Op>, SigV4 service `pi` (the
 * door checks pi:<Op>: api/auth.c).
 *
 * Every call names ServiceType RDS and Identifier, an instance's
 * DbiResourceId; an unknown one, or one with Performance Insights off,
 * is NotAuthorizedException (as AWS, which cannot tell the two apart
 * without leaking). Other bad input is InvalidArgumentException. Errors
 * are {"__type", "Message"}.
 *
 * Served from obs/pistore.h:
 *  - GetResourceMetrics: db.load.avg and db.sampledload.avg (the same
 *    here: every second is sampled), ungrouped and by GroupBy (top Limit
 *    keys by load, default 10, at most 25), Filter, PeriodInSeconds
 *    1/60/300/3600/86400 (absent: the shortest giving at most 200 points),
 *    PeriodAlignment END_TIME (a point's timestamp ends its period,
 *    default) or START_TIME; AlignedStartTime/AlignedEndTime are the
 *    range widened to whole periods. A point's value is the period's
 *    session-seconds over its length (average active sessions). At most
 *    1500 points a series; MaxResults is checked, MetricList never paged.
 *  - DescribeDimensionKeys: each key's Total (its average active sessions
 *    over the aligned range), highest first, paged by MaxResults (default
 *    10, at most 25) and NextToken. PartitionBy and AdditionalMetrics are
 *    refused (not served).
 *  - GetDimensionKeyDetails: db.sql's full statement (db.sql.statement,
 *    up to 64 KiB as sampled; DescribeDimensionKeys shows 4096 bytes).
 *  - ListAvailableResourceDimensions (db.load's groups),
 *    ListAvailableResourceMetrics (no OS or database counters are served:
 *    an empty list), GetResourceMetadata. */
#ifndef RDSIM_PIAPI_H
#define RDSIM_PIAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct region region;

#define PI_API_PREFIX "PerformanceInsightsv20180227."
#define PI_API_MAX_BODY (256 * 1024)

/* Answers one request: *reply (malloc'd JSON) and *status (200, 400,
 * 500). true when the status is 200. */
bool pi_api_handle(region *r, const char *target, const char *body, size_t len, char **reply,
                   int *status);

/* DBLoad of the instance with DbiResourceId rid for the region-clock
 * minute starting at minute_s (epoch seconds, a multiple of 60): its
 * average active sessions over that minute; 0 when nothing was sampled.
 * For CloudWatch's DBLoad metric. */
double pi_dbload_minute(region *r, const char *rid, int64_t minute_s);

#endif
