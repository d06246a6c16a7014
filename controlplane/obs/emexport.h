/* emexport: Enhanced Monitoring's samples into CloudWatch Logs, as RDS
 * publishes them: group RDSOSMetrics (retention 30 days when this module
 * creates it), one stream per instance named by its DbiResourceId, one
 * event per sample (the RDSOSMetrics JSON of domain/monitoring.h, stamped
 * with the region clock). describe-db-instances'
 * EnhancedMonitoringResourceArn names that stream.
 *
 * Progress: cwl_em_export(instance_id, last_ts), the newest sample
 * exported, written in the events' transaction. Samples are kept an hour
 * by monitoring.c; a controlplane down longer than that loses the older
 * ones, as the samples themselves are lost. */
#ifndef RDSIM_EMEXPORT_H
#define RDSIM_EMEXPORT_H

#include <stdbool.h>

typedef struct region region;

#define EMEXPORT_GROUP "RDSOSMetrics"
#define EMEXPORT_RETENTION_DAYS 30
#define EMEXPORT_BATCH 500  /* samples per pass */

/* One pass (cron); false on a store failure (rolled back, logged). */
bool emexport_tick(region *r);

#endif
