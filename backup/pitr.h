/* pitr: point-in-time recovery of an extracted base backup with the WAL
 * archive (backup/pitr.c tells how). */
#ifndef RDSIM_BACKUP_PITR_H
#define RDSIM_BACKUP_PITR_H

#include "backup/common.h"

/* Replays o->wal_dir onto the base backup in `data` up to o->target_time
 * and promotes it; `final_data` is where the directory will be renamed
 * (its siblings hold the temporary WAL and the recovery log). Returns an
 * exit code. */
int pitr_recover(const opts *o, const char *data, const char *final_data);

#endif
