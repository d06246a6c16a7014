/* monitoring: Enhanced Monitoring samples of the instances.
 *
 * The agent of an instance's primary node samples /proc at the instance's
 * MonitoringInterval (agent/osmetrics.h) and ships each sample with its
 * telemetry; this module completes it (instanceID, instanceResourceID and
 * a region-clock timestamp, as RDS's RDSOSMetrics log events carry) and
 * keeps the last MONITORING_RETENTION_MS of region time per instance in
 * the store, pruned on every insert (RDS keeps 30 days in CloudWatch
 * Logs; rdsim keeps one hour so the store stays small).
 *
 * DescribeEnhancedMonitoring (an rdsim action; `rdsctl monitoring get`):
 * DBInstanceIdentifier, optional StartTime/EndTime (ISO 8601) → the latest
 * sample, or every sample in [StartTime, EndTime], oldest first (at most
 * MONITORING_MAX_RESULTS). */
#ifndef RDSIM_MONITORING_H
#define RDSIM_MONITORING_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/store.h"

typedef struct cJSON cJSON;
typedef struct region region;

#define MONITORING_RETENTION_MS (3600LL * 1000)
#define MONITORING_MAX_RESULTS 3600

/* The instance's MonitoringInterval (0: off). */
int monitoring_interval(const store_instance *in);

/* "arn:aws:logs:<region>:<account>:log-group:RDSOSMetrics:log-stream:<DbiResourceId>"
 * (caller frees). */
char *monitoring_resource_arn(const region *r, const store_instance *in);

/* Stores one sample (os is completed in place; the caller still owns it).
 * In the caller's transaction. */
bool monitoring_record(region *r, const store_instance *in, cJSON *os);

/* Drops the samples of instances that no longer exist. */
bool monitoring_prune_orphans(region *r);

bool monitoring_action_describe(region *r, const params *p, cJSON *result, awserr *err);

#endif
