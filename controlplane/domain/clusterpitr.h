/* clusterpitr: a Multi-AZ DB cluster's automated backups and
 * RestoreDBClusterToPointInTime.
 *
 * The cluster's automated backups are those of its FIRST member,
 * <id>-instance-1, the only member whose BackupRetentionPeriod is the
 * cluster's (the others have 0): abjob.c archives and backs up the
 * cluster's writer for it, whichever member that is now, and restarts the
 * archiver on the new writer after a cluster failover (pg_receivewal
 * follows the timeline switch), as it does on an instance's failover. The
 * first member lives as long as the cluster, so its backups do.
 *
 * A point-in-time restore is a new cluster (clustersnap_restore_insert)
 * whose writer replays the base backup before the target and the WAL
 * archive (autobackup_restore_to, the instance path), and whose readers
 * are built from it. Port, DBClusterInstanceClass, StorageType, Iops and
 * the network may differ from the source's: a PITR is how a cluster
 * changes port, as on RDS. */
#ifndef RDSIM_CLUSTERPITR_H
#define RDSIM_CLUSTERPITR_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/domain/cluster.h"

typedef struct cJSON cJSON;

/* Is instance_id the member that carries cluster_id's backups? */
bool clusterpitr_is_backup_member(const char *cluster_id, const char *instance_id);

/* Adds EarliestRestorableTime and LatestRestorableTime to a DBCluster
 * once its first base backup is restorable. */
void clusterpitr_render(region *r, const cluster_row *c, cJSON *o);

/* RestoreDBClusterToPointInTime: SourceDBClusterIdentifier (or its ARN)
 * or SourceDbClusterResourceId (a live cluster's: its backups go with
 * it; both given: InvalidParameterCombination), RestoreToTime | UseLatestRestorableTime, RestoreType full-copy, and
 * clustersnap_restore_insert's settings (KmsKeyId: the new cluster's key,
 * only for an encrypted source). DBClusterNotFoundFault,
 * InvalidRestoreFault (no backup yet, a time outside the window),
 * InvalidParameterCombination (KmsKeyId of an unencrypted source too),
 * or the new cluster's errors. */
bool clusterpitr_action_restore(region *r, const params *p, cJSON *result, awserr *err);

#endif
