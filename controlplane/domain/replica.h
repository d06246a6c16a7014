/* replica: read replicas of RDS for PostgreSQL (issue 15).
 *
 * A read replica is an instance of its own (row, endpoint, nodes) whose
 * primary node runs as an asynchronous hot standby of its source's
 * current primary node: built by pg_basebackup from it, then streaming
 * through a physical replication slot on it named after the replica
 * (replica_slot_name), never in its synchronous_standby_names. What makes
 * an instance a replica is one key of its `extra`,
 * INSTEXTRA_REPLICA_SOURCE (the source's id); view/nodespec.c turns it
 * into the node's spec: role "standby", upstream the source's primary
 * node with "follow" (a source failover is a reload of primary_conninfo,
 * the timeline followed by recovery_target_timeline=latest, never a
 * rebuild) and the slot; the source's primary node gets "slots", the
 * list of its replicas' slots, which its agent creates (WAL reserved at
 * once) and whose others ("rdsrr_*") it drops: a deleted or
 * promoted replica's slot goes with its key.
 *
 * Invariants:
 *  1. A replica's source is an instance row (the source's delete promotes
 *     its replicas in the delete's own transaction: replica_on_delete).
 *  2. Chains are at most REPLICA_MAX_DEPTH below a source; a source has
 *     at most REPLICA_MAX_PER_SOURCE replicas, a replica at most
 *     REPLICA_MAX_PER_CASCADED (RDS for PostgreSQL 14.1+).
 *  3. Every replica streams through a slot on its upstream node: the
 *     source's primary node for a first-level replica, the upstream
 *     replica's node (a hot standby: physical slots can be made in
 *     recovery, the agent runs only that SQL there) for a cascaded one.
 *     Only primary nodes get "slots" (a Multi-AZ standby's slots would
 *     hold WAL for nobody).
 *  4. A replica's backup retention is 0 until it is promoted.
 *
 * Lost WAL: replica_tick (cron) reads the probes: a replica whose node has
 * not streamed for REPLICA_ERROR_MS while its upstream answers (no WAL
 * receiver, or one stalled that long behind its upstream:
 * health_stall_update, an idle upstream never counts) shows
 * StatusInfos "error" (RDS-EVENT-0045) and is rebuilt (its node's
 * rebuild_seq: the agent wipes it and takes a new base backup); streaming
 * again is "replicating" (RDS-EVENT-0046, also the first time). Its
 * state is kept in extra (INSTEXTRA_REPLICA_STATE), so a restart neither
 * repeats nor loses an event. */
#ifndef RDSIM_REPLICA_H
#define RDSIM_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/states.h"
#include "controlplane/core/store.h"
#include "controlplane/wf/workflow.h"

typedef struct region region;
typedef struct cJSON cJSON;

#define REPLICA_MAX_PER_SOURCE 15
#define REPLICA_MAX_PER_CASCADED 5
#define REPLICA_MAX_DEPTH 3
#define REPLICA_ERROR_MS 10000     /* not streaming this long with the upstream up: error */
#define REPLICA_REBUILD_EVERY_MS 120000 /* at most one rebuild per this while in error */
#define REPLICA_SLOT_MAX 64

/* ---- pure rules ---- */

typedef enum {
    REPLICA_OK,
    REPLICA_SOURCE_NOT_AVAILABLE, /* InvalidDBInstanceState */
    REPLICA_SOURCE_NO_BACKUPS,    /* InvalidDBInstanceState: retention 0 */
    REPLICA_TOO_MANY,             /* InvalidDBInstanceState: the per-source limit */
    REPLICA_TOO_DEEP,             /* InvalidDBInstanceState: cascading limit */
} replica_verdict;

/* May a replica of a source be made? src_depth: 0 for an instance that is
 * no replica, n for one n levels below its top source; src_replicas: how
 * many replicas it has. The retention rule applies to a top source only
 * (a replica's is always 0). */
replica_verdict replica_check_create(instance_status src_status, int64_t src_retention,
                                     int src_depth, int src_replicas);

/* The slot of replica `id` on its source: "rdsrr_" and the id with '-'
 * as '_'; an id too long for PostgreSQL's 63 bytes keeps its first 40
 * characters and a 16-hex-digit hash of the whole. out has
 * REPLICA_SLOT_MAX bytes. */
void replica_slot_name(const char *id, char out[REPLICA_SLOT_MAX]);
/* The slot of a Multi-AZ replica's standby node on the source: the slot
 * name of "<id>--s" (no instance id holds "--"). */
void replica_standby_slot_name(const char *id, char out[REPLICA_SLOT_MAX]);

/* ---- the store ---- */

/* The source's id of a replica (malloc'd), NULL when in is none. */
char *replica_source_of(const store_instance *in);

/* The ids of source_id's replicas, sorted, into *ids (malloc'd, free each
 * and the array); the count, -1 when the store fails. Instances being
 * deleted are left out when live_only. */
int replica_list(region *r, const char *source_id, bool live_only, char ***ids);
void replica_list_free(char **ids, int n);

/* How far below its top source instance id is (0: no replica). */
int replica_depth(region *r, const char *id);

/* CreateDBInstanceReadReplica: the new instance `id` (lowercase) from
 * SourceDBInstanceIdentifier (id or ARN), the request's overrides over the
 * source's settings. Own transaction. Fails with DBInstanceNotFound,
 * InvalidDBInstanceState (replica_verdict), InvalidParameterCombination
 * (a KmsKeyId that is not the source's), then instrow_restore's. *out
 * holds the stored row (owned) on success. */
bool replica_create(region *r, const params *p, const char *id, store_instance *out,
                    awserr *err);

/* PromoteReadReplica (BackupRetentionPeriod default 1,
 * PreferredBackupWindow): own transaction; DBInstanceNotFound,
 * InvalidDBInstanceState (no replica, or not available). *out holds the
 * row, now `modifying` with its kind `promote` running. */
bool replica_promote(region *r, const params *p, const char *id, store_instance *out,
                     awserr *err);

/* In the caller's transaction, when instance `source_id` starts being
 * deleted: each replica of it is promoted (retention 1, as
 * PromoteReadReplica's default), as RDS does. false with
 * InvalidDBInstanceState when a replica cannot be promoted now (not
 * available, or busy: the delete is refused, retry later), or
 * InternalFailure. */
bool replica_on_delete(region *r, const char *source_id, awserr *err);

/* In the caller's transaction, after source_id's master verifier changed
 * (ModifyDBInstance, a managed secret's rotation): every replica below it,
 * cascaded ones too, takes `verifier` into its row. They share the
 * source's data (the ALTER ROLE streams to them), so that their row says
 * what their nodes hold and a promotion (whose agent sets the row's
 * verifier) does not put the old password back. false when the store
 * fails. */
bool replica_share_verifier(region *r, const char *source_id, const char *verifier);

/* The replica's DBInstance members: ReadReplicaSourceDBInstanceIdentifier,
 * ReadReplicaDBInstanceIdentifiers, StatusInfos, and rdsim's ReplicaLag
 * (seconds; absent while unknown). */
void replica_render(region *r, const store_instance *in, cJSON *o);

/* The replica part of a node's spec (see the top of this file): for a
 * replica's primary node, role/upstream/slot/follow in spec (replacing
 * what nodespec wrote); for a node of an instance that is no replica, its
 * "slots". The upstream's replication credentials are the replica's own
 * (copied from the source at creation). true when nd is a replica's
 * primary node. */
bool replica_spec(region *r, const store_node *nd, const store_instance *in, cJSON *spec);

/* The cron: each replica's StatusInfos, events and rebuilds (above). */
void replica_tick(region *r);

/* The workflow kind "promote" (steps: wait_primary, finish). */
extern const wf_kind replica_kinds[];

#endif
