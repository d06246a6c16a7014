/* autobackup: automated backups — continuous WAL archiving, base
 * backups, retention, LatestRestorableTime and point-in-time restore.
 *
 * Every instance with BackupRetentionPeriod > 0 has, while its nodes run,
 * an archiver streaming its WAL and daily base backups (abjob.h: the
 * children and the cron tick), kept in the region's backup store with
 * their rows (abstore.h) under retention rules (abpolicy.h). This module
 * is what the API and the other modules ask of them: the restorable
 * window, the DBInstance additions, DescribeDBInstanceAutomatedBackups,
 * DeleteDBInstanceAutomatedBackup, what DeleteDBInstance leaves, and
 * RestoreDBInstanceToPointInTime (its answer is api/restores.c's). Times
 * of WAL and base backups are real times (PostgreSQL's commit timestamps
 * are), shown and taken on the region clock through its history
 * (lib/rclock.h).
 *
 * RestoreDBInstanceToPointInTime makes a new instance whose primary's
 * spec carries "restore": the base backup before the target, the WAL
 * archive and the real target time; the agent's rds-backup replays it
 * with PostgreSQL and promotes (backup/pitr.c). */
#ifndef RDSIM_AUTOBACKUP_H
#define RDSIM_AUTOBACKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/store.h"

typedef struct region region;
typedef struct cJSON cJSON;

/* From the cron: abjob_tick (archivers, base backups, retention). */
void autobackup_tick(region *r);

/* DescribeDBInstanceAutomatedBackups, DeleteDBInstanceAutomatedBackup. */
bool autobackup_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool autobackup_action_delete(region *r, const params *p, cJSON *result, awserr *err);

/* RestoreDBInstanceToPointInTime but its answer, in its own transaction:
 * the source's errors (DBInstanceNotFound, PointInTimeRestoreNotEnabled,
 * DBInstanceAutomatedBackupNotFound, InvalidRestoreFault for a time
 * outside the window) or the new instance's (instrow.h). id is the new
 * instance's (lowercase). On success *out holds the stored row (owned:
 * store_instance_clear). */
bool autobackup_restore(region *r, const params *p, const char *id, store_instance *out,
                        awserr *err);

/* In the caller's transaction, for a restore whose source is the
 * automated backups of resource id rid (a Multi-AZ DB cluster's, clusterpitr.h):
 * the target the request names (when, an ISO 8601 region time, or
 * latest; InvalidParameterCombination / InvalidRestoreFault as above) recorded
 * for the not yet inserted instance_id, so autobackup_spec_restore hands
 * it to its primary's spec. */
bool autobackup_restore_to(region *r, const char *when, bool latest, const char *rid,
                           const char *instance_id, awserr *err);
/* In the caller's transaction, for a restore of one base backup of rid
 * (base_id, available: an automated cluster snapshot, clustersnap.h):
 * the not yet inserted instance_id's primary restores that object alone,
 * to the base's end, with no WAL replay (autobackup_spec_restore hands it
 * to its spec without "wal" and "target"). InvalidRestoreFault when rid's
 * backups are gone or being deleted. */
bool autobackup_restore_base(region *r, const char *rid, const char *base_id,
                             const char *instance_id, awserr *err);
/* The restorable window of rid's automated backups on the region clock
 * (ms); false when there is none yet. */
bool autobackup_window(region *r, const char *rid, int64_t *earliest, int64_t *latest);

/* Adds LatestRestorableTime to a DBInstance and turns `available` into
 * `backing-up` while a base backup runs. */
void autobackup_render(region *r, const store_instance *in, cJSON *o);

/* DeleteDBInstance, inside its transaction: the automated backups are
 * removed (delete_backups) or kept as `retained`. */
bool autobackup_on_delete(region *r, const store_instance *in, bool delete_backups);

/* Adds "restore" to a primary node's spec when its instance is a
 * point-in-time restore; forgets that once the instance is deleted. */
void autobackup_spec_restore(region *r, const char *instance_id, cJSON *spec);
void autobackup_forget_restore(region *r, const char *instance_id);

/* Issue 13, recovery of a lost Single-AZ primary (domain/recovery.h): in
 * the caller's transaction, records a point-in-time restore of the
 * instance from its OWN automated backups to their latest restorable
 * time, so autobackup_spec_restore hands it to the primary's spec (the
 * same instance, node and address). true with *target_ms (real ms) set;
 * false when the instance has no restorable backup (retention 0, no base
 * backup yet, backups being deleted) or on a store error. */
bool autobackup_recover_record(region *r, const store_instance *in, int64_t *target_ms);

#endif
