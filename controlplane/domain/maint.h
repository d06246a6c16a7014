/* maint: the maintenance window and what happens in it.
 *
 *  - Window arithmetic (pure): PreferredMaintenanceWindow is a weekly UTC
 *    range "ddd:hh24:mi-ddd:hh24:mi" (validate.h parses it into minutes of
 *    the week from Monday 00:00, and it may wrap the week).
 *  - Queued modifications: ModifyDBInstance without ApplyImmediately keeps
 *    changes in the instance's `pending` JSON (PendingModifiedValues);
 *    maint_begin applies them — from the cron when the region clock enters
 *    the window, or at once for a later ModifyDBInstance with
 *    ApplyImmediately=true.
 *  - Pending maintenance actions (DescribePendingMaintenanceActions,
 *    ApplyPendingMaintenanceAction), computed from what the region really
 *    runs (README.md, "Maintenance"):
 *      db-upgrade     the instance's EngineVersion is an older minor of the
 *                     installed PostgreSQL (pg_config --version);
 *      system-update  the instance's nodes have not been restarted onto the
 *                     region's current system level (MAINT_SYSTEM_LEVEL).
 *    Opt-ins live in the store's meta table ("maint:optin:<id>:<action>"),
 *    the applied system level in "maint:system:<id>", the last region time
 *    the cron looked at the windows in "maint:checked_at".
 *
 * Whatever restarts nodes runs as the durable workflow "maintain", whose
 * steps are here:
 *   begin → wait_standby → prepare_switch → fence → wait_fenced → promote
 *   → wait_promoted → flip → wait_running → wait_healthy → finish
 * (fence … flip are failover.h's switchover steps). Single-AZ restarts its
 * node; Multi-AZ restarts the standby first (with the new class), waits
 * until it is synchronous again, switches over to it (the endpoint follows
 * in DNS), and lets the old primary rejoin as the standby with the new
 * settings. While the standby
 * runs ahead, the instance's extra JSON holds "MaintRolling" {class,
 * restart_seq, nodes}: the settings those nodes get instead of the
 * instance's (maint_node_settings). */
#ifndef RDSIM_MAINT_H
#define RDSIM_MAINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/store.h"
#include "controlplane/wf/workflow.h"

typedef struct region region;
typedef struct cJSON cJSON;

/* The region's current system-update level: an instance whose nodes were
 * last restarted by a system-update below it is offered one. */
#define MAINT_SYSTEM_LEVEL 1

/* ---- window arithmetic (pure; minutes of the week from Monday 00:00 UTC,
 * times in ms since the epoch) ---- */

/* true if t_ms lies in [start, end) of the weekly window (wrapping). */
bool maint_window_contains(int start_min, int end_min, int64_t t_ms);
/* The first start of the window strictly after t_ms. */
int64_t maint_window_next_start(int start_min, int64_t t_ms);
/* The window is due at now_ms for a cron that last looked at since_ms:
 * now is inside it, or a window began in (since_ms, now_ms] (the clock
 * may jump over a whole window). */
bool maint_window_due(int start_min, int end_min, int64_t since_ms, int64_t now_ms);

/* ---- the instance's nodes ---- */

/* The settings a node gets while a rolling change runs ahead of the
 * instance: *cls (a buffer of cls_size) and *restart_seq are overwritten
 * when node_id is one of MaintRolling's nodes; untouched otherwise. */
void maint_node_settings(const store_instance *in, const char *node_id, char *cls,
                         size_t cls_size, int64_t *restart_seq);

/* ---- applying (inside the caller's transaction; the caller writes `in`
 * and its `pending`) ---- */

/* Applies every value of `pending` (PendingModifiedValues) to *in now,
 * with the events the immediate path emits, and removes it from pending:
 * BackupRetentionPeriod, AllocatedStorage, StorageType, Iops. When
 * allow_workflow, also DBInstanceClass and the maintenance `actions` (a
 * JSON array of action names, may be NULL) as one "maintain" workflow
 * (status modifying; DBInstanceClass stays pending until it finishes), or
 * else MultiAZ as a "convert" workflow. false with err set on a store
 * error. */
bool maint_begin(region *r, store_instance *in, cJSON *pending, const cJSON *actions,
                 bool allow_workflow, awserr *err);

/* The kind "maintain" (steps above, in the header comment), ended by a
 * {NULL} entry, for workflow_register. A Single-AZ run marks data.single
 * in begin and skips every step but begin, wait_running and finish. */
extern const wf_kind maint_kinds[];

/* The cron: for each available instance whose window is due, applies its
 * pending values, opted-in actions and (AutoMinorVersionUpgrade) minor
 * upgrades. Returns true if it started anything. */
bool maint_tick(region *r);

/* DescribePendingMaintenanceActions, ApplyPendingMaintenanceAction. */
bool maint_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool maint_action_apply(region *r, const params *p, cJSON *result, awserr *err);

#endif
