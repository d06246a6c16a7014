/* abjob: the running side of automated backups — the children and the
 * cron tick.
 *
 * For every instance with BackupRetentionPeriod > 0, while its nodes run:
 *  - an archiver, `bin/rds-backup archive` (backup/archive.c), a child of
 *    this process streaming the primary's WAL into the backup store
 *    (abstore.h; sealed objects, encrypted under the instance's KMS key
 *    when StorageEncrypted) and reporting how far the store reaches in
 *    its status.json. It is restarted against the new primary after a
 *    failover: pg_receivewal follows the timeline switch, so the archive
 *    has no hole.
 *  - base backups, `rds-backup snapshot --info` of the standby when a
 *    healthy one exists (as RDS backs up Multi-AZ from the standby), else
 *    of the primary: one when archiving starts (creation, 0 -> N), one
 *    after a gap in the archive, and one a day in PreferredBackupWindow
 *    on the region clock (abpolicy.h). RDS-EVENT-0001/0002.
 *  - retention: base backups whose restorable start fell out of the
 *    window go, except the newest one before the window's start, and
 *    archived WAL older than the oldest kept base backup goes with them.
 * Deleted instances' backups stop, then are removed or kept (`retained`)
 * as DeleteDBInstance decided; retained ones go after their period.
 *
 * The children are reaped by lib/reaper; what they report (the archive's
 * reach, its gaps, a base backup running) is kept in memory here, the
 * rest in the store. */
#ifndef RDSIM_ABJOB_H
#define RDSIM_ABJOB_H

#include <stdbool.h>
#include <stdint.h>

typedef struct region region;

/* From the cron: reaps, then (every 500 ms) archivers and base backups
 * per instance, removals, and (every 5 s) retention. */
void abjob_tick(region *r);

/* The archive's reach (real ms) that rid's running archiver reported; 0
 * when none did. A running archiver's status file is read again here, so
 * the answer is as fresh as the archiver's last tick. */
int64_t abjob_reach(region *r, const char *rid);
/* Whether a base backup of rid is being taken. */
bool abjob_base_running(const char *rid);
/* Makes the next tick look at rid's backups although no instance has
 * them, so a row marked `deleting` is removed then. */
void abjob_sweep_soon(const char *rid);

#endif
