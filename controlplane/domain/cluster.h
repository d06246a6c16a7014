/* cluster: a Multi-AZ DB cluster (RDS for PostgreSQL) as the store holds
 * it — the data model every cluster module builds on (clusterapi.c's
 * handlers, clusterwf.c's workflows and tick; cluster snapshots and
 * restores later).
 *
 * The model (domain/README.md says the same):
 *  - one row of db_clusters per cluster (the columns below; `extra` holds
 *    the settings without a column: VpcSecurityGroupIds,
 *    DBSubnetGroupName, PubliclyAccessible, PendingModifiedValues...);
 *  - its three members are ordinary rows of `instances` whose cluster_id
 *    is the cluster's id, named <id>-instance-1..3 as RDS names them, each
 *    with exactly ONE node in its own AZ; the instance's primary_node is
 *    that node whatever its role, so the instance endpoint always names it;
 *  - the writer is the member db_clusters.writer names: its node has role
 *    primary and lists the two other members' nodes as its synchronous
 *    standbys with method ANY (synchronous_standby_names = 'ANY 1 (a, b)',
 *    the semisynchronous rule); the readers' nodes are standbys whose
 *    upstream is the writer's node;
 *  - readers_up is the JSON array of the reader nodes the reader endpoint
 *    answers (net/dnssync.c), kept by clusterwf.c's tick from the probes,
 *    so the zone stays a function of the store.
 *
 * Invariants:
 *  1. writer names a member of the cluster, and exactly one member's node
 *     has role primary outside a failover workflow.
 *  2. A member instance is created, deleted, failed over and modified only
 *     through its cluster (its own ModifyDBInstance of cluster-level
 *     settings is refused, as RDS refuses it).
 *  3. Every member shares the cluster's replication password and rdsadmin
 *     secret (the readers are physical copies of the writer).
 *
 * Statuses are an enum stored by name; cluster_status_apply is the only
 * function that changes one (transition.h's walker over the table). */
#ifndef RDSIM_CLUSTER_H
#define RDSIM_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/transition.h"

typedef struct region region;

typedef enum {
    CLUSTER_CREATING,
    CLUSTER_AVAILABLE,
    CLUSTER_FAILING_OVER,
    CLUSTER_MODIFYING,
    CLUSTER_REBOOTING,
    CLUSTER_STOPPING,
    CLUSTER_STOPPED,
    CLUSTER_STARTING,
    CLUSTER_DELETING,
    CLUSTER_STATUS_COUNT
} cluster_status;

/* The API name ("failing-over"); "(invalid)" out of range. */
const char *cluster_status_name(cluster_status s);
bool cluster_status_parse(const char *name, cluster_status *out);

extern const transition_move cluster_moves[];
extern const int cluster_move_count;
bool cluster_status_allowed(cluster_status from, cluster_status to);
/* true at once when *st is already to; else validates, logs, sets. */
bool cluster_status_apply(const char *cluster_id, cluster_status *st, cluster_status to);

#define CLUSTER_MEMBERS 3

/* A db_clusters row. Strings are owned (cluster_clear frees them). */
typedef struct {
    char *id;               /* lowercase DBClusterIdentifier */
    char *resource_id;      /* DbClusterResourceId, "cluster-..." */
    cluster_status status;
    char *engine, *engine_version, *db_class;
    int64_t allocated_storage;
    char *storage_type;
    int64_t iops;
    char *master_username;
    char *db_name;          /* NULL when not given */
    int64_t port;
    int64_t backup_retention;
    char *backup_window, *maintenance_window;
    bool deletion_protection, storage_encrypted;
    char *kms_key_id;       /* ARN, NULL unless encrypted */
    char *param_group;      /* DBClusterParameterGroupName */
    char *writer;           /* the writer member's instance id */
    char *readers_up;       /* JSON array of node ids the reader endpoint answers */
    char *tags;             /* JSON array [{"Key","Value"}] */
    char *extra;            /* JSON object */
    int64_t created_ms;     /* region clock */
} cluster_row;

void cluster_clear(cluster_row *c);
/* Reads the row of id (lowercase). true and *out filled when found; false
 * when absent or unreadable (logged), *out then empty. */
bool cluster_get(region *r, const char *id, cluster_row *out);
bool cluster_insert(region *r, const cluster_row *c);
bool cluster_update(region *r, const cluster_row *c);
bool cluster_delete(region *r, const char *id);
/* Cluster ids in order, after `after` (NULL: from the start), at most
 * limit; returns the count or -1; *ids malloc'd (free each, then it). */
int cluster_list(region *r, const char *after, int limit, char ***ids);

/* The member instance ids of a cluster, in name order (the store's
 * cluster_id column); count or -1; *ids as cluster_list's. */
int cluster_members(region *r, const char *cluster_id, char ***ids);
void cluster_ids_free(char **ids, int n);

/* true when agent_id hosts a node of a member of a cluster that is
 * failing over (the agent channel then asks for quicker heartbeats, so
 * each step of the failover reaches the hosts without waiting out the
 * usual interval: view/nodespec.h). false too when the store cannot say. */
bool cluster_agent_failing_over(region *r, const char *agent_id);

/* Names (malloc'd): "<id>-instance-<i>" (i from 1), the cluster ARN, the
 * writer endpoint "<id>.cluster-<hash>.<apex>" and the reader endpoint
 * "<id>.cluster-ro-<hash>.<apex>". */
char *cluster_member_id(const char *cluster_id, int i);
char *cluster_arn(const region *r, const char *cluster_id);
char *cluster_endpoint(const region *r, const char *cluster_id);
char *cluster_reader_endpoint(const region *r, const char *cluster_id);

/* The cluster the DB cluster identifier names, case-insensitively (the
 * value may be an ARN); malloc'd lowercase id. */
char *cluster_id_from(const char *value);

#endif
