/* pitr: point-in-time recovery of an extracted base backup with the WAL
 * archive (backup/pitr.c tells how). */
#ifndef RDSIM_BACKUP_PITR_H
#define RDSIM_BACKUP_PITR_H

#include "backup/common.h"

/* The archive's segments opened into FINAL_DATA.wal by a child, started
 * before the base backup is extracted when the base's info file
 * (o->in + ".json", written by `snapshot --info`) names its start: the
 * base and the WAL are then opened at the same time (issue 19). */
typedef struct {
    pid_t pid;      /* the fetcher, or -1: none started */
    uint64_t first; /* the first segment it opens */
} pitr_prefetch;

/* Starts the fetch when the info file says where the base starts; with no
 * usable info file, pf->pid stays -1 and pitr_recover starts it from
 * backup_label instead. Returns an exit code (a failure is said). */
int pitr_prefetch_start(const opts *o, const char *final_data, pitr_prefetch *pf);
/* Stops a started fetch and removes what it opened (the restore failed
 * before pitr_recover). */
void pitr_prefetch_abort(pitr_prefetch *pf, const char *final_data);

/* Replays o->wal_dir onto the base backup in `data` up to o->target_time
 * and promotes it; `final_data` is where the directory will be renamed
 * (its siblings hold the temporary WAL and the recovery log). pf: a fetch
 * started by pitr_prefetch_start (used when it starts where backup_label
 * says, else stopped and started again), stopped and cleaned up here.
 * Returns an exit code. */
int pitr_recover(const opts *o, const char *data, const char *final_data, pitr_prefetch *pf);

#endif
