/* store: the controlplane's durable truth, in SQLite (WAL mode).
 *
 * Invariants:
 *  1. Every state change is committed before it is reported to anyone
 *     (API reply, agent goal, DNS answer).
 *  2. An accepted state-changing request exists as a workflow row written
 *     in the same transaction as the instance change it implies.
 *  3. The schema is versioned (meta.schema_version); store_open migrates
 *     forward step by step, each step in its own transaction.
 *
 * Functions return bool: false means the statement failed and was logged
 * here; callers just return. Transactions: store_begin/commit/rollback
 * (IMMEDIATE, so a writer never deadlocks on upgrade). */
#ifndef RDSIM_STORE_H
#define RDSIM_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/states.h"

typedef struct store store;

#define STORE_SCHEMA_VERSION 21

/* The instance row's `extra` column: a JSON object of the settings that
 * have no column of their own. Read and written only through
 * core/instextra.h (its INSTEXTRA_* names are these keys). Every key may
 * be absent (rows older than the key, or never set); the reader's default
 * is given.
 *
 *   key                           value; meaning (default)            written by
 *   VpcSecurityGroupIds           [sg id]; the instance's security     net/instnet.c (create,
 *                                 groups (absent: the default group)   modify)
 *   DBSubnetGroupName             string; its DB subnet group          net/instnet.c (create)
 *                                 (absent: "default")
 *   PubliclyAccessible            bool; (false)                        net/instnet.c (create),
 *                                                                      api/actions.c (modify)
 *   MonitoringInterval            number, s; Enhanced Monitoring (0)   api/actions.c
 *   MonitoringRoleArn             string; (absent: none)               api/actions.c
 *   EnabledCloudwatchLogsExports  [log type]; ([])                     api/actions.c
 *   AutoMinorVersionUpgrade       bool; (true)                         api/actions.c
 *   CopyTagsToSnapshot            bool; (false)                        api/actions.c
 *   MaintRolling                  {class, restart_seq, nodes}: a       domain/maint.c
 *                                 rolling change's settings for the
 *                                 nodes restarted first (absent: none)
 *   DBParameterGroupName          string; the group it should use      domain/paramgroup.c
 *                                 (absent: the default group)
 *   ParamGroupApplied             string; the group its nodes run      domain/paramgroup.c
 *                                 with (absent: DBParameterGroupName)
 *   ParamBoot                     {name: value} of that group at the   domain/paramgroup.c
 *                                 nodes' last (re)start
 *   IAMDatabaseAuthenticationEnabled bool; tokens log rds_iam users   api/instparams.c (create,
 *                                 in (false)                           modify), domain/instrow.c
 *                                                                      (restores)
 *   PerformanceInsightsEnabled    bool; the pi sampler runs (false)    api/instparams.c (create,
 *   PerformanceInsightsKMSKeyId   string; key ARN (absent while off)   modify)
 *   PerformanceInsightsRetentionPeriod number, days (7)
 *   ReadReplicaSource             string; the read replica's source    domain/replica.c
 *                                 (absent: no replica)
 *   ReplicaState                  {Status, Message, RebuiltMs}: its    domain/replica.c
 *                                 StatusInfos (absent: not yet known)
 *
 * A restored instance (domain/snapshot.c's restore_params, also used by
 * autobackup's point-in-time restore) gets only the DBParameterGroupName,
 * ParamGroupApplied and ParamBoot keys (paramgroup_read_create). */

/* One DB instance, as the store holds it. Strings are owned by the struct
 * (store_instance_clear frees them). JSON-valued fields hold JSON text.
 * States, roles and goals are states.h's enums; the store keeps their
 * names, and a row whose name no enum knows is refused when read (logged;
 * get and list treat it as a failed read). */
typedef struct {
    char *id;              /* lowercase DBInstanceIdentifier */
    char *resource_id;     /* DbiResourceId, "db-..." */
    instance_status status; /* DBInstanceStatus; its moves: lifecycle.h */
    char *db_class;
    char *engine;
    char *engine_version;
    char *master_username;
    char *master_verifier; /* the master password's SCRAM-SHA-256 verifier, never the password */
    char *db_name;         /* NULL when not given */
    int64_t port;
    int64_t allocated_storage;
    char *storage_type;
    int64_t iops;          /* 0: none */
    int64_t max_allocated_storage; /* 0: none */
    bool multi_az;
    char *az;              /* primary's AZ, NULL until placed */
    char *secondary_az;    /* NULL unless Multi-AZ with a standby */
    int64_t backup_retention;
    char *backup_window;
    char *maintenance_window;
    bool deletion_protection;
    bool storage_encrypted;
    char *kms_key_id;      /* NULL unless encrypted */
    int64_t dns_ttl;       /* -1: region default */
    char *tags;            /* JSON array [{"Key":..,"Value":..}] */
    char *pending;         /* JSON object: PendingModifiedValues */
    char *extra;           /* JSON object: the settings without a column (below) */
    int64_t created_ms;    /* region clock */
    char *primary_node;    /* node id of the current primary, NULL until placed */
    int64_t restart_seq;   /* bumped to ask for a restart (reboot, class change) */
    ha_state ha_state;     /* Multi-AZ state, its moves: ha.h (HA_NONE for Single-AZ) */
    char *repl_password;   /* the replication role's password ("" until Multi-AZ) */
    char *admin_secret;    /* rdsadmin's password sealed under the KMS master key (base64;
                            * instsecret.h), "" for an instance created before schema 6 */
    char *admin_verifier;  /* rdsadmin's SCRAM verifier, what the agent gets */
    char *cluster_id;      /* the Multi-AZ DB cluster it is a member of (domain/cluster.h),
                            * NULL for a standalone instance */
} store_instance;

typedef struct {
    char *id;
    char *instance_id;
    char *agent_id;
    node_role role;
    node_goal goal;
    char *addr;
    int64_t port;
    int64_t generation;    /* bumped on every goal/spec change */
    int64_t created_ms;
    char *upstream;        /* standby: the node it streams from; NULL otherwise */
    node_supervise supervise; /* what the agent does on a crash */
    char *sync_standbys;   /* primary: JSON array of synchronous standby node ids */
    int64_t rebuild_seq;   /* bumped to rebuild a standby from a fresh base backup */
} store_node;

typedef struct {
    int64_t id;
    char *instance_id;
    char *kind;            /* workflow kind, see workflow.h */
    char *step;
    wf_state state;
    char *data;            /* JSON object, the workflow's own memory */
    int64_t created_ms;    /* wall clock */
    int64_t step_started_ms; /* wall clock: when the current step began */
} store_workflow;

typedef struct {
    int64_t id;
    char *source_id;
    char *source_type;     /* "db-instance", ... */
    char *event_id;        /* "RDS-EVENT-0005" */
    char *message;
    char *categories;      /* JSON array of strings */
    int64_t date_ms;       /* region clock */
    char *source_arn;
} store_event;

struct sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

/* The store's connection, for a module that keeps tables of its own in the
 * same database and transactions (the KMS). Borrowed. */
struct sqlite3 *store_sqlite(store *s);

/* The store's statement cache (issue 18), for modules with tables of their
 * own (sqlrow.h wraps it): a statement prepared for sql on first use and
 * kept; NULL on failure (logged). Give it back with store_stmt_release,
 * never sqlite3_finalize: it is reset and its bindings cleared there (a
 * statement not kept, such as a second use of the same SQL while the first
 * is still out, is finalized there instead). Every cached statement is
 * finalized by store_close. NULL is a no-op for release. */
sqlite3_stmt *store_stmt_cached(store *s, const char *sql);
void store_stmt_release(store *s, sqlite3_stmt *st);

/* A number that changes whenever this connection writes a row of a table
 * of state (every table but the observations: metrics, samples, events,
 * logs, messages, deliveries, and the periodic jobs' bookkeeping:
 * storage_state and meta's "maint:checked_at") or rolls back a
 * transaction that wrote one. Equal numbers
 * mean whatever was built from state tables between them is still what a
 * fresh read would build (view/nodespec.c's heartbeat replies). Another
 * connection's commit is not counted: the controlplane is the store's one
 * writer while it runs (the region's tools and tests write the file only
 * while it is down). */
uint64_t store_generation(store *s);
/* Whether a transaction is open on the store's connection (what it reads
 * then may still be rolled back). */
bool store_in_transaction(store *s);

/* Opens (creating and migrating) the store at path. NULL on failure. */
store *store_open(const char *path);
void store_close(store *s);

bool store_begin(store *s);
bool store_commit(store *s);
void store_rollback(store *s);

/* meta key/value. store_meta_get returns a malloc'd string or NULL. */
char *store_meta_get(store *s, const char *key);
bool store_meta_set(store *s, const char *key, const char *value);

/* Instances. get: true and *out filled when found; false when absent or on
 * error (*found distinguishes). list: ids after `after` (exclusive, NULL =
 * from the start), ordered by id, at most limit; returns the count, -1 on
 * error; *ids is a malloc'd array of malloc'd strings. */
bool store_instance_get(store *s, const char *id, store_instance *out, bool *found);
bool store_instance_insert(store *s, const store_instance *in);
bool store_instance_update(store *s, const store_instance *in);
/* Deletes the row and, in the same transaction, the instance's meta keys:
 * "maint:system:<id>", "maint:optin:<id>:<action>", "stopped_at:<id>" and
 * "kms_lost_at:<id>" (maint.h, stopstart.h, kmswatch.c), so an instance
 * created later under the same identifier starts clean. */
bool store_instance_delete(store *s, const char *id);
int store_instance_list(store *s, const char *after, int limit, char ***ids);
int store_instance_count(store *s);
void store_instance_clear(store_instance *in);

bool store_node_insert(store *s, const store_node *n);
bool store_node_update(store *s, const store_node *n);
bool store_node_delete(store *s, const char *id);
/* A node row whose instance is gone but whose data may still be on its
 * host (the host was away when it was deleted or retired): the row is
 * kept with goal absent under no instance (STORE_NODE_BURIED, the empty
 * instance id no identifier can be) until its agent reports it gone, so the
 * agent still gets the explicit, authenticated goal absent it needs to
 * delete the data. *n is updated in place. */
#define STORE_NODE_BURIED ""
bool store_node_bury(store *s, store_node *n);
bool store_node_get(store *s, const char *id, store_node *out, bool *found);
/* Nodes of an instance (instance_id) or of an agent (agent_id); pass NULL
 * for the other. Returns count or -1; *out is a malloc'd array the caller
 * frees with store_node_list_free. */
int store_node_list(store *s, const char *instance_id, const char *agent_id, store_node **out);
void store_node_list_free(store_node *nodes, int n);
void store_node_clear(store_node *n);
/* true if addr is used by any node. */
bool store_addr_in_use(store *s, const char *addr, bool *in_use);

/* Workflows. insert sets *id_out. active: the active workflow of an
 * instance (found=false if none). list_active: every active one. */
bool store_workflow_insert(store *s, store_workflow *w);
bool store_workflow_update(store *s, const store_workflow *w);
bool store_workflow_active_for(store *s, const char *instance_id, store_workflow *out,
                               bool *found);
int store_workflow_list_active(store *s, store_workflow **out);
void store_workflow_list_free(store_workflow *w, int n);
void store_workflow_clear(store_workflow *w);

bool store_event_insert(store *s, const store_event *e);
/* Events with date in [start_ms, end_ms], id > after_id, optional source
 * filters (NULL = any), ascending, at most limit. */
int store_event_list(store *s, const char *source_id, const char *source_type, int64_t start_ms,
                     int64_t end_ms, int64_t after_id, int limit, store_event **out);
void store_event_list_free(store_event *e, int n);

#endif
