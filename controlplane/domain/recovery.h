/* recovery: a primary whose storage is lost (issue 13, hole 2).
 *
 * An agent reports a node `data-lost` when a node that had data has none
 * (agent/node.h "Data loss"); it never makes it again by initdb. What RDS
 * then does, by the instance's shape:
 *
 *   Multi-AZ, synchronous standby (ha_state healthy): a failover, by
 *     domain/ha.c (a data-lost primary is a lost primary): RDS-EVENT-0013,
 *     0049, 0052; the lost node rejoins as the new primary's standby by a
 *     base backup (its agent rebuilds a lost standby from its upstream),
 *     and 0053 once it is synchronous again. Nothing acknowledged is lost:
 *     every commit was on the standby.
 *   Single-AZ with automated backups (BackupRetentionPeriod > 0 and a
 *     restorable time): status `rebooting` (RDS's status for work "by an
 *     RDS process", lifecycle.c; RDS documents no `recovering` status) and
 *     RDS-EVENT-0020; workflow `recover` restores the SAME instance — same
 *     identifier, endpoint, node and address — from its own automated
 *     backups to their latest restorable time (the point-in-time restore
 *     machinery: autobackup_recover_record, the agent's `rds-backup
 *     restore`), then `available` and RDS-EVENT-0021. A restore that fails
 *     leaves it `failed` with RDS-EVENT-0031.
 *   Otherwise (retention 0, no backup yet, a Multi-AZ instance whose
 *     standby is not synchronous): status `failed` and RDS-EVENT-0031 —
 *     "RDS recommends that you initiate a point-in-time-restore" — and the
 *     node stays data-lost: never `available` and empty.
 *
 *   recover: restore → wait_running → finish
 *            (data.target_ms: the real time restored to) */
#ifndef RDSIM_RECOVERY_H
#define RDSIM_RECOVERY_H

#include <stdbool.h>

#include "controlplane/wf/workflow.h"

typedef struct region region;

/* The cron, after the Multi-AZ monitor: every instance that is
 * `available`, runs no workflow, and whose primary its agent reports
 * data-lost, is recovered or failed as above (one transaction each).
 * Returns true if it started a workflow (a pass of them is then due). */
bool recovery_tick(region *r);

/* Whether instance_id's `recover` workflow is active: its primary's spec
 * then says "initialized": false, which is what lets its agent restore a
 * data-lost node from the spec's restore (view/nodespec.c). */
bool recovery_active(region *r, const char *instance_id);

/* The kind "recover", ended by a {NULL} entry, for workflow_register. */
extern const wf_kind recovery_kinds[];

#endif
