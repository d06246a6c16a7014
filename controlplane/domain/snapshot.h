/* snapshot: DB snapshots — CreateDBSnapshot, DescribeDBSnapshots,
 * DeleteDBSnapshot, CopyDBSnapshot, RestoreDBInstanceFromDBSnapshot (its
 * answer is api/restores.c's), and the final snapshot of DeleteDBInstance.
 *
 * A snapshot is a row of db_snapshots (the truth) and one object in the
 * region's backup store, <RDS_HOME>/backups/snapshots/<id>/base.tar.env:
 * the primary's `pg_basebackup -Ft -X fetch` sealed by lib/envelope.c —
 * AES-256-GCM under a fresh data key wrapped by the instance's KMS key
 * when the instance is encrypted, SHA-256 checksummed otherwise.
 *
 * The bytes are moved by bin/rds-backup, a child of the controlplane
 * (snapshot, copy: snapjob.h) or of the agent (restore), so no event loop
 * blocks. The row and its paths are snaprow.h's.
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
#include "controlplane/domain/snaprow.h"

typedef struct region region;
typedef struct cJSON cJSON;

bool snapshot_action_create(region *r, const params *p, cJSON *result, awserr *err);
bool snapshot_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool snapshot_action_delete(region *r, const params *p, cJSON *result, awserr *err);
bool snapshot_action_copy(region *r, const params *p, cJSON *result, awserr *err);

/* DeleteDBInstance's final snapshot, inside the caller's transaction:
 * DBSnapshotAlreadyExists, or a `creating` row the delete workflow waits
 * for. */
bool snapshot_begin_final(region *r, const store_instance *in, const char *snapshot_id,
                          awserr *err);
/* RestoreDBInstanceFromDBSnapshot but its answer, in its own
 * transaction: DBSnapshotNotFound, InvalidDBSnapshotState, or the new
 * instance's errors (instrow.h). id is the new instance's (lowercase). On
 * success *out holds the stored row (owned: store_instance_clear). */
bool snapshot_restore(region *r, const params *p, const char *id, store_instance *out,
                      awserr *err);

/* The snapshot's status into *out (SNAP_CREATING, SNAP_AVAILABLE or
 * SNAP_FAILED); false when there is no such row (or its status is unknown,
 * logged). */
bool snapshot_status(region *r, const char *snapshot_id, snaprow_status *out);
/* Forgets that instance_id was restored from a snapshot (it is deleted). */
void snapshot_forget_restore(region *r, const char *instance_id);
/* Adds "restore" to a primary node's spec when its instance was restored
 * from a snapshot: {"path": object, "kms": the KMS endpoint}. */
void snapshot_spec_restore(region *r, const char *instance_id, cJSON *spec);

/* From the cron: snapjob_tick (starts and reaps the children of
 * snapshots in `creating`). */
void snapshot_tick(region *r);

/* Pure, for the unit tests: is `type` a SnapshotType we list
 * ("manual", "automated"; NULL matches both)? */
bool snapshot_type_matches(const char *want, const char *have);

#endif
