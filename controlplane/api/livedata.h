/* livedata: what the live view (api/liveview.h) shows, as JSON built
 * from the store: the instances and their status, the event log after a
 * given row, the failover timeline, and the metric series of one
 * instance. Read-only; every function is one pass over the store on the
 * loop (bounded by its LIMIT), and returns a new cJSON the caller owns
 * (never NULL: an empty list when the store fails, logged).
 *
 * Strings in these documents are copied as stored: identifiers are
 * safe, but tags, event messages and the like are tenant-controlled. The
 * page sets every one as textContent (liveview/app.js), never as HTML. */
#ifndef RDSIM_LIVEDATA_H
#define RDSIM_LIVEDATA_H

#include <stdint.h>

#include "controlplane/core/region.h"

typedef struct cJSON cJSON;

/* At most this many instances, events per call, failovers. */
#define LIVEDATA_MAX_INSTANCES 200
#define LIVEDATA_MAX_EVENTS 200
#define LIVEDATA_MAX_FAILOVERS 50

/* {"region", "instances": [{id, status, engine, class, multi_az, az,
 * secondary_az, ha_state, endpoint, tags: [{Key, Value}]}],
 * "failovers": [{instance, kind ("failover": detected by the monitor;
 * "switchover": RebootDBInstance --force-failover; "replica_switchover":
 * the same of a Multi-AZ read replica, no promotion), state, detected_ms,
 * promoted_ms, flipped_ms (absent until that phase happened)}]}. The
 * failover stamps are the wall clock (ms) of the workflow's steps:
 * detection is the workflow's start, promotion the new primary's report
 * as primary, the flip the commit that repoints the endpoint (DNS
 * follows that commit). Newest failover first. */
cJSON *livedata_state(region *r);

/* The events with row id > after_id, oldest first, at most
 * LIVEDATA_MAX_EVENTS: [{id, source_id, source_type, event_id, message,
 * date_ms (region clock)}]. after_id < 0: the last LIVEDATA_MAX_EVENTS. */
cJSON *livedata_events(region *r, int64_t after_id);

/* The largest event row id (0 when none). */
int64_t livedata_events_last_id(region *r);

/* The page's graphs, from CloudWatch (obs/cwstore.h): the AWS/RDS metrics
 * CPUUtilization (%), FreeableMemory (MiB), DatabaseConnections and
 * WriteIOPS of dimension DBInstanceIdentifier=instance_id, the average of
 * each 60 s period over the last hour (region clock), for every instance
 * (the collector writes them without Enhanced Monitoring): {"source",
 * "instance", "series": [{name, unit, points: [[t_ms, value], ...]}]},
 * oldest point first. An unknown instance, or one before its first
 * minute: series with no points. */
cJSON *livedata_metrics(region *r, const char *instance_id);

#endif
