/* clustersnap: DB cluster snapshots of Multi-AZ DB clusters (cluster.h) —
 * CreateDBClusterSnapshot, DescribeDBClusterSnapshots,
 * DeleteDBClusterSnapshot, CopyDBClusterSnapshot,
 * RestoreDBClusterFromSnapshot and DeleteDBCluster's final snapshot.
 *
 * A cluster snapshot IS a DB snapshot of the cluster's writer, kept apart:
 *  - its bytes, status, settings (class, storage, master user and
 *    verifier, KMS key) are a db_snapshots row named "cluster:<id>" (no
 *    DB snapshot identifier holds a ':'), so snapjob.c makes its object
 *    from the writer's node (or copies one), exactly as for an instance,
 *    and a restore's writer finds it through snapshot_restores;
 *  - db_cluster_snapshots adds what belongs to the cluster (its id,
 *    DbClusterResourceId, creation time); a trigger deletes that row with
 *    the db_snapshots row;
 *  - the DB snapshot actions never show nor accept a "cluster:" row
 *    (snaprow_is_cluster), so the two namespaces stay apart as on RDS.
 *
 * A restore is CreateDBCluster's insert (clusterapi_insert) with the
 * snapshot's settings under the request's overrides (Port,
 * DBClusterInstanceClass, StorageType, Iops, network, Tags): the writer
 * member restores the object (the "restore" of its primary's spec), its
 * two readers are built from it by cluster_reader, as on a create.
 *
 * Automated cluster snapshots (issue 15) have no row: each base backup of
 * the cluster's automated backups (clusterpitr.h) that retention keeps is
 * listed as rds:<cluster>-YYYY-MM-DD-HH-MM (its start on the region
 * clock; -n after it for the n-th base of one minute, so names stay
 * unique), SnapshotType automated; they go with their base or with the
 * cluster, and DeleteDBClusterSnapshot refuses them
 * (InvalidDBClusterSnapshotStateFault). RestoreDBClusterFromSnapshot
 * restores one as it does a manual one: its writer restores the base
 * backup's object alone (autobackup_restore_base), to the base's end.
 * CopyDBClusterSnapshot copies one as it copies a manual one: the copy is
 * manual, its object a copy of the base's (clustersnap_object), and it
 * outlives the base and the cluster. */
#ifndef RDSIM_CLUSTERSNAP_H
#define RDSIM_CLUSTERSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/domain/abstore.h"
#include "controlplane/domain/cluster.h"
#include "controlplane/domain/snaprow.h"

typedef struct cJSON cJSON;

bool clustersnap_action_create(region *r, const params *p, cJSON *result, awserr *err);
bool clustersnap_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool clustersnap_action_delete(region *r, const params *p, cJSON *result, awserr *err);
bool clustersnap_action_copy(region *r, const params *p, cJSON *result, awserr *err);
bool clustersnap_action_restore(region *r, const params *p, cJSON *result, awserr *err);

/* DeleteDBCluster's final snapshot, in the caller's transaction: the
 * `creating` snapshot api_id (lowercase) of c's writer, or
 * DBClusterSnapshotAlreadyExistsFault / the writer's errors. *row_id
 * (malloc'd) is the db_snapshots name the members' delete workflows wait
 * for (their "final_snapshot"). */
bool clustersnap_begin_final(region *r, const cluster_row *c, const char *api_id,
                             char **row_id, awserr *err);

/* DeleteDBCluster, in its transaction: forgets that the cluster's writer
 * was restored (snapshot_restores, ab_restores), so a new cluster of the
 * same name does not restore again. */
void clustersnap_forget_restores(region *r, const char *cluster_id);

/* Both restores (this file's and clusterpitr.h's), in the caller's
 * transaction: reads the request (DBClusterIdentifier,
 * DBClusterInstanceClass, Port, StorageType, Iops, DeletionProtection,
 * network settings, Tags, KmsKeyId) and inserts the new cluster and its
 * members (clusterapi_insert) with src's settings (engine version,
 * storage, master user and verifier, DatabaseName, encryption) under
 * them; retention 1 day. Encryption: KmsKeyId's key (an unencrypted src
 * too; unknown or not enabled: KMSKeyNotAccessibleFault), else src's key,
 * else none; the members seal their backups under it. The caller records what the writer restores
 * (c->writer). On success *c is the inserted row (owned: cluster_clear). */
bool clustersnap_restore_insert(region *r, const params *p, const snaprow *src, cluster_row *c,
                                awserr *err);

/* The automated snapshots' names and events. */
#define CLUSTERSNAP_AUTO_PREFIX "rds:"
/* "rds:<cluster_id>-YYYY-MM-DD-HH-MM" of a base backup that started at
 * region_ms (UTC), into out; "...-MM-<nth>" when nth > 1 (the nth base
 * of the cluster started in that minute). */
void clustersnap_auto_name(const char *cluster_id, int64_t region_ms, int nth, char *out,
                           size_t cap);
/* Retention's rule for the names above (abjob.c's prune, after
 * abpolicy_retain): keep[k] set for every base b[k] that started in the
 * same region minute as, and before, a base already kept, so that no
 * name moves down while its base exists. b[0..n) are one member's
 * available bases; clk maps their real starts to the region clock. */
void clustersnap_auto_keep(const abstore_clock *clk, const abstore_base *b, int n, bool *keep);
/* The object (path, malloc'd) a copy of the db_snapshots row row_id reads
 * (snapjob.c): an automated cluster snapshot's ("cluster:rds:...") base
 * backup object, or NULL when no base has that name any more; any other
 * row's own object (snaprow_object). */
char *clustersnap_object(region *r, const char *row_id);
/* abjob.c, when a base backup of instance_id starts (RDS-EVENT-0168) or
 * is available (0169): if instance_id is a cluster member, the event of
 * the cluster's automated snapshot (source type db-cluster-snapshot)
 * named after start_real_ms (a real time, as ab_bases keeps). In the
 * caller's transaction, if any. */
void clustersnap_auto_emit(region *r, const char *instance_id, int64_t start_real_ms,
                           const char *event_id);

#endif
