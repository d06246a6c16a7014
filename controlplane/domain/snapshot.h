/* snapshot: DB snapshots — CreateDBSnapshot, DescribeDBSnapshots,
 * DeleteDBSnapshot, CopyDBSnapshot, RestoreDBInstanceFromDBSnapshot, and
 * the final snapshot of DeleteDBInstance.
 *
 * A snapshot is a row of db_snapshots (the truth) and one object in the
 * region's backup store, <RDS_HOME>/backups/snapshots/<id>/base.tar.env:
 * the primary's `pg_basebackup -Ft -X fetch` sealed by lib/envelope.c —
 * AES-256-GCM under a fresh data key wrapped by the instance's KMS key
 * when the instance is encrypted, SHA-256 checksummed otherwise.
 *
 * The bytes are moved by bin/rds-backup, a child of the controlplane
 * (snapshot, copy) or of the agent (restore), so no event loop blocks;
 * the child reaches the key service through the controlplane's own KMS
 * API. snapshot_tick (from the cron) starts a child for every snapshot in
 * `creating` that has none in this process — also after a restart, which
 * makes a kill -9 of the controlplane harmless — and records the result:
 * `available`, or `failed` with the child's reason.
 *
 * A restored instance is an ordinary create whose primary node's spec
 * carries "restore": the agent builds the data directory from the object
 * (agent/README.md) instead of initdb, so the data and the master
 * password are the snapshot's. */
#ifndef RDSIM_SNAPSHOT_H
#define RDSIM_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/store.h"

typedef struct region region;
typedef struct cJSON cJSON;

bool snapshot_action_create(region *r, const params *p, cJSON *result, awserr *err);
bool snapshot_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool snapshot_action_delete(region *r, const params *p, cJSON *result, awserr *err);
bool snapshot_action_copy(region *r, const params *p, cJSON *result, awserr *err);
bool snapshot_action_restore(region *r, const params *p, cJSON *result, awserr *err);

/* DeleteDBInstance's final snapshot, inside the caller's transaction:
 * DBSnapshotAlreadyExists, or a `creating` row the delete workflow waits
 * for. */
bool snapshot_begin_final(region *r, const store_instance *in, const char *snapshot_id,
                          awserr *err);
/* What a restored instance takes from its source (a snapshot, or an
 * instance's automated backups), before the request's overrides. */
typedef struct {
    const char *db_class;
    int64_t port;
    bool encrypted;
    const char *kms_key_id;
    const char *master_username, *master_password, *db_name;
    int64_t allocated_storage;
    const char *storage_type;
    int64_t iops;
} snapshot_source;

/* Inside the caller's transaction: reads the request's instance settings
 * (DBInstanceClass, Port, MultiAZ, AvailabilityZone, DeletionProtection,
 * DnsTtl) over src's, checks the target and the key (KMSKeyNotAccessible),
 * and inserts the instance with its create workflow. in->id is set by the
 * caller; the rest of *in is filled. */
bool snapshot_restore_instance(region *r, const params *p, const snapshot_source *src,
                               store_instance *in, awserr *err);

/* "creating", "available", "failed", or NULL when there is no such row. */
char *snapshot_status(region *r, const char *snapshot_id);
/* Forgets that instance_id was restored from a snapshot (it is deleted). */
void snapshot_forget_restore(region *r, const char *instance_id);
/* Adds "restore" to a primary node's spec when its instance was restored
 * from a snapshot: {"path": object, "kms": the KMS endpoint}. */
void snapshot_spec_restore(region *r, const char *instance_id, cJSON *spec);

/* Starts and reaps the children of snapshots in `creating`. */
void snapshot_tick(region *r);

/* Pure, for the unit tests: is `type` a SnapshotType we list
 * ("manual", "automated"; NULL matches both)? */
bool snapshot_type_matches(const char *want, const char *have);

#endif
