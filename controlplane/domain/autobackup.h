/* autobackup: automated backups — continuous WAL archiving, base
 * backups, retention, LatestRestorableTime and point-in-time restore.
 *
 * Every instance with BackupRetentionPeriod > 0 has, while its nodes run:
 *  - an archiver, `bin/rds-backup archive` (backup/archive.c), a child of
 *    this process streaming the primary's WAL into
 *    <RDS_HOME>/backups/automated/<DbiResourceId>/wal/ (sealed objects,
 *    encrypted under the instance's KMS key when StorageEncrypted) and
 *    reporting how far the store reaches in
 *    <RDS_HOME>/archiver/<DbiResourceId>/status.json. It is restarted
 *    against the new primary after a failover: pg_receivewal follows the
 *    timeline switch, so the archive has no hole.
 *  - base backups, `rds-backup snapshot --info` of the standby when a
 *    healthy one exists (as RDS backs up Multi-AZ from the standby), else
 *    of the primary: one when archiving starts (creation, 0 → N) and one
 *    a day in PreferredBackupWindow on the region clock. The instance
 *    shows `backing-up` meanwhile; RDS-EVENT-0001/0002.
 *  - retention: base backups whose restorable start fell out of the
 *    window go, except the newest one before the window's start (it is
 *    what restores the window's first minutes), and archived WAL older
 *    than the oldest kept base backup goes with them.
 *
 * The store holds the truth (ab_backups: one row per DbiResourceId, active
 * or retained after DeleteDBInstance --no-delete-automated-backups;
 * ab_bases: the base backups; ab_restores: what a restored instance's
 * primary is built from). Times of WAL and base backups are real times
 * (PostgreSQL's commit timestamps are), shown and taken on the region
 * clock through its history (lib/rclock.h).
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

/* Creates the module's tables. False when the store refused. */
bool autobackup_init(region *r);

/* From the cron: archivers, base backups, retention. */
void autobackup_tick(region *r);

/* DescribeDBInstanceAutomatedBackups, DeleteDBInstanceAutomatedBackup,
 * RestoreDBInstanceToPointInTime. */
bool autobackup_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool autobackup_action_delete(region *r, const params *p, cJSON *result, awserr *err);
bool autobackup_action_restore(region *r, const params *p, cJSON *result, awserr *err);

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

/* Pure, for the unit tests. Is region time ms inside a daily window
 * "hh24:mi-hh24:mi" (UTC, may wrap midnight)? */
bool autobackup_in_window(const char *window, int64_t ms);

/* Which base backups retention keeps: given the restorable starts (end
 * times, ascending) of n base backups and the window's start, sets
 * keep[i]. The newest base backup ending before the window's start stays,
 * as do all ending after it. Returns the number kept. */
int autobackup_retain(const int64_t *ends, int n, int64_t window_start, bool *keep);

#endif
