/* logexport: RDS's log export to CloudWatch Logs (EnableCloudwatchLogsExports
 * "postgresql").
 *
 * For each instance with `postgresql` in its EnabledCloudwatchLogsExports,
 * the log bytes the agents shipped of its primary node (domain/logfiles.h)
 * become events (obs/logline.h) of stream <id> in group
 * /aws/rds/instance/<id>/postgresql, both created when the export starts.
 * Only the primary's log is exported, as RDS exports the primary host's:
 *   - an export that starts (create or modify) takes the primary's files
 *     from where they end now (a new instance's from their first byte);
 *   - when the primary changes (a failover), the new primary's files are
 *     taken from where they end at that moment, into the same stream;
 *   - disabling drops the progress (the group and its events stay, as on
 *     RDS); enabling again starts from the end again.
 * Progress is cwl_export(node_id, file, offset, last_ts), written in the
 * same transaction as the events it accounts for: after a crash at any
 * point no byte is exported twice or skipped. `upgrade` is accepted and
 * shown but nothing is exported for it (rdsim keeps no pg_upgrade log).
 *
 * logexport_tick runs from the cron: it reconciles, exports at most
 * LOGEXPORT_TICK_BYTES, trims each group it wrote to CWL_GROUP_MAX_BYTES
 * and applies retention (cwlstore.h), in one transaction. */
#ifndef RDSIM_LOGEXPORT_H
#define RDSIM_LOGEXPORT_H

#include <stdbool.h>

typedef struct region region;

#define LOGEXPORT_TICK_BYTES (4 * 1024 * 1024)

/* The group of an instance's log type (malloc'd). */
char *logexport_group_name(const char *instance_id, const char *log_type);

/* One pass; false on a store failure (rolled back, logged). */
bool logexport_tick(region *r);

#endif
