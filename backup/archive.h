/* archive: `rds-backup archive`, continuous WAL archiving of one instance
 * (backup/archive.c tells how). */
#ifndef RDSIM_BACKUP_ARCHIVE_H
#define RDSIM_BACKUP_ARCHIVE_H

#include "backup/common.h"

/* Runs until SIGTERM; the exit status is EXIT_OK then. */
int cmd_archive(const opts *o);

#endif
