/* clusterapi: see clusterapi.h. */
#include "controlplane/domain/clusterapi.h"
#include "controlplane/domain/clusterpg.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/instsecret.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/region.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/clusterpitr.h"
#include "controlplane/domain/clustersnap.h"
#include "controlplane/domain/clusterwf.h"
#include "controlplane/domain/instrow.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/net/instnet.h"
#include "controlplane/net/subnetgroup.h"
#include "controlplane/notify/events.h"
#include "controlplane/wf/wfsteps.h"
#include "controlplane/wf/workflow.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/scram.h"
#include "lib/util.h"

static bool commit_or_fail(region *r, awserr *err)
{
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}

static bool not_found(awserr *err, const char *id)
{
    return awserr_set(err, AWSERR_DB_CLUSTER_NOT_FOUND, "DBCluster %s not found.", id);
}

/* ---- the DBCluster shape ---- */

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char buf[40];
    cJSON_AddStringToObject(o, name, rclock_format(ms, buf, sizeof buf));
}

static void add_names(region *r, const cluster_row *c, cJSON *o)
{
    char *ep = cluster_endpoint(r, c->id), *ro = cluster_reader_endpoint(r, c->id);
    char *arn = cluster_arn(r, c->id);
    cJSON_AddStringToObject(o, "Endpoint", ep);
    cJSON_AddStringToObject(o, "ReaderEndpoint", ro);
    cJSON_AddStringToObject(o, "DBClusterArn", arn);
    free(ep);
    free(ro);
    free(arn);
}

/* Members, their AZs and the network settings of the writer's row. */
static void add_members(region *r, const cluster_row *c, cJSON *o)
{
    cJSON *azs = cJSON_AddArrayToObject(o, "AvailabilityZones");
    cJSON *list = cJSON_CreateArray();
    char **ids = NULL;
    int n = cluster_members(r, c->id, &ids);
    cJSON *extra = NULL;
    for (int i = 0; i < n; i++) {
        store_instance in = {0};
        bool found = false;
        store_instance_get(r->st, ids[i], &in, &found);
        if (!found)
            continue;
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "DBInstanceIdentifier", in.id);
        cJSON_AddBoolToObject(m, "IsClusterWriter", c->writer && strcmp(c->writer, in.id) == 0);
        cJSON_AddStringToObject(m, "DBClusterParameterGroupStatus",
                                paramgroup_apply_status(r, &in));
        cJSON_AddNumberToObject(m, "PromotionTier", 1);
        cJSON_AddItemToArray(list, m);
        if (in.az)
            cJSON_AddItemToArray(azs, cJSON_CreateString(in.az));
        if (!extra)
            extra = instextra_parse(&in);
        store_instance_clear(&in);
    }
    cluster_ids_free(ids, n < 0 ? 0 : n);
    cJSON_AddItemToObject(o, "DBClusterMembers", list);
    const char *sg = instextra_str(extra, INSTEXTRA_SUBNET_GROUP);
    cJSON_AddStringToObject(o, "DBSubnetGroup", sg ? sg : "default");
    cJSON *sgs = cJSON_AddArrayToObject(o, "VpcSecurityGroups");
    const cJSON *ids_json = cJSON_GetObjectItemCaseSensitive(extra, "VpcSecurityGroupIds");
    const cJSON *e;
    cJSON_ArrayForEach(e, ids_json)
    {
        if (!cJSON_IsString(e))
            continue;
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "VpcSecurityGroupId", e->valuestring);
        cJSON_AddStringToObject(m, "Status", "active");
        cJSON_AddItemToArray(sgs, m);
    }
    cJSON_AddBoolToObject(o, "PubliclyAccessible",
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(extra, INSTEXTRA_PUBLIC)));
    cJSON_Delete(extra);
}

cJSON *clusterapi_render(region *r, const cluster_row *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "AllocatedStorage", (double)c->allocated_storage);
    cJSON_AddNumberToObject(o, "BackupRetentionPeriod", (double)c->backup_retention);
    if (c->db_name)
        cJSON_AddStringToObject(o, "DatabaseName", c->db_name);
    cJSON_AddStringToObject(o, "DBClusterIdentifier", c->id);
    cJSON_AddStringToObject(o, "DBClusterParameterGroup", c->param_group);
    cJSON_AddStringToObject(o, "Status", cluster_status_name(c->status));
    clusterpitr_render(r, c, o);
    add_names(r, c, o);
    cJSON_AddBoolToObject(o, "MultiAZ", true);
    cJSON_AddStringToObject(o, "Engine", c->engine);
    cJSON_AddStringToObject(o, "EngineVersion", c->engine_version);
    cJSON_AddNumberToObject(o, "Port", (double)c->port);
    cJSON_AddStringToObject(o, "MasterUsername", c->master_username);
    cJSON_AddStringToObject(o, "PreferredBackupWindow", c->backup_window);
    cJSON_AddStringToObject(o, "PreferredMaintenanceWindow", c->maintenance_window);
    add_members(r, c, o);
    cJSON_AddStringToObject(o, "HostedZoneId", "Z2R2ITUGPM61AM");
    cJSON_AddBoolToObject(o, "StorageEncrypted", c->storage_encrypted);
    if (c->kms_key_id)
        cJSON_AddStringToObject(o, "KmsKeyId", c->kms_key_id);
    cJSON_AddStringToObject(o, "DbClusterResourceId", c->resource_id);
    cJSON_AddBoolToObject(o, "IAMDatabaseAuthenticationEnabled", false);
    add_time(o, "ClusterCreateTime", c->created_ms);
    cJSON_AddStringToObject(o, "EngineMode", "provisioned");
    cJSON_AddStringToObject(o, "DBClusterInstanceClass", c->db_class);
    cJSON_AddStringToObject(o, "StorageType", c->storage_type);
    if (c->iops)
        cJSON_AddNumberToObject(o, "Iops", (double)c->iops);
    cJSON_AddBoolToObject(o, "AutoMinorVersionUpgrade", true);
    cJSON_AddBoolToObject(o, "DeletionProtection", c->deletion_protection);
    cJSON_AddBoolToObject(o, "CopyTagsToSnapshot", false);
    cJSON *tags = cJSON_Parse(c->tags ? c->tags : "[]");
    cJSON_AddItemToObject(o, "TagList", cJSON_IsArray(tags) ? tags
                                         : (cJSON_Delete(tags), cJSON_CreateArray()));
    return o;
}

/* ---- CreateDBCluster ---- */

typedef struct {
    const char *id, *cls, *stype, *user, *pw, *dbname, *pg, *kms, *bw, *mw;
    int64_t storage, iops, port, retention;
    bool has_storage, has_iops, protect, encrypted;
} create_req;

/* "required to create a Multi-AZ DB cluster" (the API reference). */
static bool need(const char *name, bool have, awserr *err)
{
    return have || awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                              "%s is required to create a Multi-AZ DB cluster.", name);
}

static bool create_read(region *r, const params *p, create_req *q, awserr *err)
{
    q->id = params_require(p, "DBClusterIdentifier", err);
    if (!q->id || !validate_db_instance_id(q->id, "DBClusterIdentifier", err))
        return false;
    if (strlen(q->id) > 52) /* its members' names, "-instance-N", must fit in 63 */
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "DBClusterIdentifier %s is too long for a Multi-AZ DB cluster.", q->id);
    const char *engine = params_require(p, "Engine", err);
    if (!engine)
        return false;
    if (strcmp(engine, "postgres") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid DB engine: %s. This region's DB clusters are Multi-AZ DB "
                          "clusters of postgres.", engine);
    q->cls = params_get(p, "DBClusterInstanceClass");
    q->stype = params_get(p, "StorageType");
    if (!params_get_int(p, "AllocatedStorage", 0, 1 << 30, &q->storage, &q->has_storage, err) ||
        !params_get_int(p, "Iops", 0, 1 << 30, &q->iops, &q->has_iops, err) ||
        !params_get_int(p, "Port", 1150, 65535, &q->port, NULL, err) ||
        !params_get_int(p, "BackupRetentionPeriod", 1, 35, &q->retention, NULL, err) ||
        !need("DBClusterInstanceClass", q->cls, err) ||
        !need("AllocatedStorage", q->has_storage, err) || !need("StorageType", q->stype, err) ||
        !need("Iops", q->has_iops, err) || !validate_db_instance_class(q->cls, err))
        return false;
    if (strcmp(q->stype, "io1") != 0 && strcmp(q->stype, "io2") != 0 &&
        strcmp(q->stype, "gp3") != 0)
        return awserr_set(err, AWSERR_STORAGE_TYPE_NOT_SUPPORTED,
                          "Storage type %s is not supported for Multi-AZ DB clusters: use io1, "
                          "io2 or gp3.", q->stype);
    if (!validate_allocated_storage(q->stype, q->storage, err) ||
        !validate_iops(q->stype, q->storage, true, q->iops, err) || !validate_port(q->port, err))
        return false;
    q->user = params_require(p, "MasterUsername", err);
    if (!q->user || !validate_master_username(q->user, err))
        return false;
    if (params_get(p, "ManageMasterUserPassword"))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "ManageMasterUserPassword is not supported for DB clusters here: give "
                          "MasterUserPassword.");
    q->pw = params_require(p, "MasterUserPassword", err);
    if (!q->pw || !validate_master_password(q->pw, err))
        return false;
    q->dbname = params_get(p, "DatabaseName");
    if (q->dbname && !validate_db_name(q->dbname, err))
        return false;
    q->pg = params_get(p, "DBClusterParameterGroupName");
    char *pg = q->pg ? clusterpg_find(r, q->pg) : NULL;
    if (q->pg && !pg)
        return awserr_set(err, AWSERR_DB_CLUSTER_PARAMETER_GROUP_NOT_FOUND,
                          "DBClusterParameterGroup not found: %s", q->pg);
    free(pg);
    if (!params_get_bool(p, "DeletionProtection", &q->protect, NULL, err) ||
        !params_get_bool(p, "StorageEncrypted", &q->encrypted, NULL, err))
        return false;
    q->kms = params_get(p, "KmsKeyId");
    if (q->kms && !q->encrypted)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "KmsKeyId can only be given with StorageEncrypted.");
    q->bw = params_get(p, "PreferredBackupWindow");
    q->mw = params_get(p, "PreferredMaintenanceWindow");
    if ((q->bw && !validate_backup_window(q->bw, err)) ||
        (q->mw && !validate_maintenance_window(q->mw, err)))
        return false;
    if (r->cfg.naz < CLUSTER_MEMBERS)
        return awserr_set(err, AWSERR_INSUFFICIENT_DB_INSTANCE_CAPACITY,
                          "A Multi-AZ DB cluster needs three Availability Zones; this region "
                          "has %d.", r->cfg.naz);
    return true;
}

/* The DB subnet group must cover the three AZs the members go to. */
static bool create_check_azs(region *r, const char *extra_json, awserr *err)
{
    store_instance probe = {.extra = (char *)extra_json};
    for (int i = 0; i < CLUSTER_MEMBERS; i++)
        if (!subnetgroup_az_ok(r, &probe, r->cfg.azs[i]))
            return awserr_set(err, AWSERR_DB_SUBNET_GROUP_NOT_ENOUGH_AZS,
                              "The DB subnet group doesn't meet Availability Zone (AZ) coverage "
                              "requirement: a Multi-AZ DB cluster needs a subnet in %s.",
                              r->cfg.azs[i]);
    return true;
}

/* Inserts member i (1..3) through instrow, running the cluster's
 * parameter group (clusterpg.h), then makes it share the writer's secrets
 * (cluster.h invariant 3). */
static bool create_member(region *r, const clusterapi_members *q, const cluster_row *c, int i,
                          const char *cluster_extra, const store_instance *writer,
                          store_instance *out, awserr *err)
{
    char *id = cluster_member_id(c->id, i);
    store_instance probe = {.extra = (char *)cluster_extra};
    cJSON *ej = instextra_parse(&probe);
    char *key = clusterpg_key(c->param_group ? c->param_group : CLUSTERPG_DEFAULT);
    paramgroup_attach(r, ej, key);
    free(key);
    probe.extra = NULL;
    instextra_store(&probe, ej);
    char *extra = probe.extra;
    cJSON_Delete(ej);
    store_instance req = {
        .id = id,
        .db_class = (char *)q->db_class,
        .master_username = (char *)q->master_username,
        .master_verifier = (char *)q->master_verifier,
        .db_name = (char *)q->db_name,
        .port = q->port,
        .allocated_storage = q->allocated_storage,
        .storage_type = (char *)q->storage_type,
        .iops = q->iops,
        .az = (char *)r->cfg.azs[i - 1],
        .backup_window = c->backup_window,
        .maintenance_window = c->maintenance_window,
        /* the cluster's automated backups are its first member's (clusterpitr.h) */
        .backup_retention = i == 1 ? c->backup_retention : 0,
        .storage_encrypted = q->encrypted,
        .kms_key_id = (char *)(q->kms_key_id ? q->kms_key_id : KMS_DEFAULT_RDS_ALIAS),
        .dns_ttl = -1,
        .extra = extra,
        .cluster_id = c->id,
    };
    bool ok = instrow_insert_kind(r, &req, i == 1 ? "create" : CLUSTERWF_READER_KIND, out, err);
    free(id);
    free(extra);
    if (!ok || !writer)
        return ok;
    wf_str_set(&out->repl_password, writer->repl_password);
    free(out->admin_secret);
    free(out->admin_verifier);
    if (!instsecret_admin_share(r, writer, out->resource_id, &out->admin_secret,
                                &out->admin_verifier) ||
        !store_instance_update(r->st, out))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    return true;
}

bool clusterapi_insert(region *r, cluster_row *c, const clusterapi_members *q, awserr *err)
{
    cluster_row old;
    if (cluster_get(r, c->id, &old)) {
        cluster_clear(&old);
        return awserr_set(err, AWSERR_DB_CLUSTER_ALREADY_EXISTS, "DB Cluster already exists");
    }
    if (!create_check_azs(r, c->extra, err))
        return false;
    if (!c->resource_id) {
        char *label = region_random_label(26);
        c->resource_id = xasprintf("cluster-%s", label);
        free(label);
        for (char *u = c->resource_id + 8; *u; u++)
            if (*u >= 'a' && *u <= 'z')
                *u = (char)(*u - 'a' + 'A');
    }
    store_instance m[CLUSTER_MEMBERS] = {{0}};
    bool ok = true;
    for (int i = 0; ok && i < CLUSTER_MEMBERS; i++)
        ok = create_member(r, q, c, i + 1, c->extra, i ? &m[0] : NULL, &m[i], err);
    if (ok) {
        wf_str_set(&c->kms_key_id, m[0].kms_key_id);
        wf_str_set(&c->writer, m[0].id);
        ok = cluster_insert(r, c);
        if (!ok)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    for (int i = 0; i < CLUSTER_MEMBERS; i++)
        store_instance_clear(&m[i]);
    return ok;
}

static bool create_store(region *r, const create_req *q, cluster_row *c, awserr *err)
{
    char *verifier = scram_verifier(q->pw);
    if (!verifier)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The password could not be stored.");
    clusterapi_members m = {
        .db_class = q->cls, .storage_type = q->stype, .master_username = q->user,
        .master_verifier = verifier, .db_name = q->dbname, .kms_key_id = q->kms,
        .port = q->port, .allocated_storage = q->storage, .iops = q->iops,
        .encrypted = q->encrypted,
    };
    bool ok = clusterapi_insert(r, c, &m, err);
    free(verifier);
    return ok;
}

bool clusterapi_create(region *r, const params *p, cJSON *result, awserr *err)
{
    create_req q = {.port = 5432, .retention = 1};
    if (!create_read(r, p, &q, err))
        return false;
    char *tags = restags_merge(p, NULL, err);
    if (!tags)
        return false;
    cJSON *extra = instextra_new();
    bool ok = instnet_read_create(r, p, NULL, true, extra, err);
    char *extra_json = cJSON_PrintUnformatted(extra);
    cJSON_Delete(extra);
    cluster_row c = {
        .id = str_lower(xstrdup(q.id)),
        .resource_id = NULL,
        .status = CLUSTER_CREATING,
        .engine = xstrdup("postgres"),
        .engine_version = xstrdup(r->pg_version),
        .db_class = xstrdup(q.cls),
        .allocated_storage = q.storage,
        .storage_type = xstrdup(q.stype),
        .iops = q.iops,
        .master_username = xstrdup(q.user),
        .db_name = q.dbname ? xstrdup(q.dbname) : NULL,
        .port = q.port,
        .backup_retention = q.retention,
        .backup_window = q.bw ? xstrdup(q.bw) : instrow_default_backup_window(),
        .maintenance_window = q.mw ? xstrdup(q.mw) : instrow_default_maintenance_window(),
        .deletion_protection = q.protect,
        .storage_encrypted = q.encrypted,
        .param_group = q.pg ? clusterpg_find(r, q.pg) : xstrdup(CLUSTERPG_DEFAULT),
        .readers_up = xstrdup("[]"),
        .tags = tags,
        .extra = extra_json,
        .created_ms = region_now_ms(r),
    };
    ok = ok && validate_windows_disjoint(c.backup_window, c.maintenance_window, err);
    if (ok && !store_begin(r->st))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    else if (ok && !create_store(r, &q, &c, err)) {
        store_rollback(r->st);
        ok = false;
    } else if (ok) {
        ok = commit_or_fail(r, err);
    }
    if (ok) {
        LOG_INFO("cluster create accepted cluster=%s class=%s storage=%lld", c.id, c.db_class,
                 (long long)c.allocated_storage);
        cJSON_AddItemToObject(result, "DBCluster", clusterapi_render(r, &c));
    }
    cluster_clear(&c);
    return ok;
}

/* ---- DescribeDBClusters ---- */

bool clusterapi_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max = 0, offset = 0;
    if (!params_get_paging(p, &max, &offset, err))
        return false;
    const char *want = params_get(p, "DBClusterIdentifier");
    cJSON *list = cJSON_AddArrayToObject(result, "DBClusters");
    if (want) {
        char *id = cluster_id_from(want);
        cluster_row c;
        bool found = cluster_get(r, id, &c);
        if (found) {
            cJSON_AddItemToArray(list, clusterapi_render(r, &c));
            cluster_clear(&c);
        }
        if (!found)
            not_found(err, id);
        free(id);
        return found;
    }
    char **ids = NULL;
    int n = cluster_list(r, NULL, 100000, &ids);
    if (n < 0)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    int shown = 0;
    for (int i = (int)offset; i < n && shown < max; i++) {
        cluster_row c;
        if (cluster_get(r, ids[i], &c)) {
            cJSON_AddItemToArray(list, clusterapi_render(r, &c));
            cluster_clear(&c);
            shown++;
        }
    }
    if (offset + shown < n) {
        char marker[24];
        snprintf(marker, sizeof marker, "%lld", (long long)(offset + shown));
        cJSON_AddStringToObject(result, "Marker", marker);
    }
    cluster_ids_free(ids, n);
    return true;
}

/* ---- the handlers that change one cluster ---- */

/* Opens the transaction and reads the cluster DBClusterIdentifier names;
 * false (rolled back, err set) when it is absent. */
static bool begin_cluster(region *r, const params *p, cluster_row *c, awserr *err)
{
    memset(c, 0, sizeof *c);
    const char *raw = params_require(p, "DBClusterIdentifier", err);
    if (!raw)
        return false;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    char *id = cluster_id_from(raw);
    bool found = cluster_get(r, id, c);
    if (!found) {
        store_rollback(r->st);
        not_found(err, id);
    }
    free(id);
    return found;
}

/* Commits c (its row updated) and answers with it. */
static bool finish_cluster(region *r, cluster_row *c, cJSON *result, awserr *err)
{
    bool ok = cluster_update(r, c) ? commit_or_fail(r, err)
                                   : (store_rollback(r->st),
                                      awserr_set(err, AWSERR_INTERNAL_FAILURE,
                                                 "The request could not be stored."));
    if (ok)
        cJSON_AddItemToObject(result, "DBCluster", clusterapi_render(r, c));
    cluster_clear(c);
    return ok;
}

static bool refuse_state(region *r, cluster_row *c, awserr *err, const char *what)
{
    awserr_set(err, AWSERR_INVALID_DB_CLUSTER_STATE,
               "DbCluster %s is not in the available state (it is %s): cannot %s.", c->id,
               cluster_status_name(c->status), what);
    store_rollback(r->st);
    cluster_clear(c);
    return false;
}

bool clusterapi_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    bool skip = false;
    if (!params_get_bool(p, "SkipFinalSnapshot", &skip, NULL, err))
        return false;
    const char *final = params_get(p, "FinalDBSnapshotIdentifier");
    if (skip && final)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "FinalDBSnapshotIdentifier can not be specified when SkipFinalSnapshot "
                          "is enabled.");
    if (!skip && !final)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is "
                          "specified.");
    if (final && !validate_db_snapshot_id(final, "FinalDBSnapshotIdentifier", err))
        return false;
    cluster_row c;
    if (!begin_cluster(r, p, &c, err))
        return false;
    if (c.deletion_protection) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                   "Cannot delete protected Cluster, please disable deletion protection and "
                   "try again.");
        store_rollback(r->st);
        cluster_clear(&c);
        return false;
    }
    if (c.status == CLUSTER_DELETING ||
        !cluster_status_apply(c.id, &c.status, CLUSTER_DELETING))
        return refuse_state(r, &c, err, "delete it");
    /* The final snapshot (clustersnap.h) is of the writer; every member's
     * delete waits for it, so the writer's node stays until it is made. */
    cJSON *wdata = cJSON_CreateObject();
    char *row_id = NULL, *sid = final ? str_lower(xstrdup(final)) : NULL;
    bool ok = !final || clustersnap_begin_final(r, &c, sid, &row_id, err);
    if (row_id)
        cJSON_AddStringToObject(wdata, "final_snapshot", row_id);
    if (ok)
        clustersnap_forget_restores(r, c.id);
    if (ok && !clusterwf_start_delete(r, &c, wdata))
        ok = awserr_set(err, AWSERR_INVALID_DB_CLUSTER_STATE,
                        "A member of the DB cluster is busy; try again.");
    cJSON_Delete(wdata);
    free(row_id);
    free(sid);
    if (!ok) {
        store_rollback(r->st);
        cluster_clear(&c);
        return false;
    }
    return finish_cluster(r, &c, result, err);
}

bool clusterapi_failover(region *r, const params *p, cJSON *result, awserr *err)
{
    cluster_row c;
    if (!begin_cluster(r, p, &c, err))
        return false;
    const char *target = params_get(p, "TargetDBInstanceIdentifier");
    char *tid = target ? region_instance_id_from(target) : NULL;
    bool ok = c.status == CLUSTER_AVAILABLE;
    if (!ok) {
        free(tid);
        return refuse_state(r, &c, err, "fail over");
    }
    ok = clusterwf_start_failover(r, &c, tid, true, err);
    free(tid);
    if (!ok) {
        store_rollback(r->st);
        cluster_clear(&c);
        return false;
    }
    return finish_cluster(r, &c, result, err);
}

bool clusterapi_reboot(region *r, const params *p, cJSON *result, awserr *err)
{
    cluster_row c;
    if (!begin_cluster(r, p, &c, err))
        return false;
    if (c.status != CLUSTER_AVAILABLE ||
        !cluster_status_apply(c.id, &c.status, CLUSTER_REBOOTING))
        return refuse_state(r, &c, err, "reboot it");
    if (!clusterwf_start_members(r, &c, "reboot", err)) {
        store_rollback(r->st);
        cluster_clear(&c);
        return false;
    }
    return finish_cluster(r, &c, result, err);
}

bool clusterapi_stop(region *r, const params *p, cJSON *result, awserr *err)
{
    cluster_row c;
    if (!begin_cluster(r, p, &c, err))
        return false;
    if (c.status != CLUSTER_AVAILABLE || !cluster_status_apply(c.id, &c.status, CLUSTER_STOPPING))
        return refuse_state(r, &c, err, "stop it");
    if (!clusterwf_start_members(r, &c, "stop", err)) {
        store_rollback(r->st);
        cluster_clear(&c);
        return false;
    }
    return finish_cluster(r, &c, result, err);
}

bool clusterapi_start(region *r, const params *p, cJSON *result, awserr *err)
{
    cluster_row c;
    if (!begin_cluster(r, p, &c, err))
        return false;
    if (c.status != CLUSTER_STOPPED || !cluster_status_apply(c.id, &c.status, CLUSTER_STARTING)) {
        awserr_set(err, AWSERR_INVALID_DB_CLUSTER_STATE,
                   "DbCluster %s is not in the stopped state.", c.id);
        store_rollback(r->st);
        cluster_clear(&c);
        return false;
    }
    if (!clusterwf_start_members(r, &c, "start", err)) {
        store_rollback(r->st);
        cluster_clear(&c);
        return false;
    }
    return finish_cluster(r, &c, result, err);
}

/* ---- ModifyDBCluster ---- */

/* The settings of ModifyDBCluster this region applies; the rest of the
 * shape (NewDBClusterIdentifier, Port, ...) is refused rather than
 * silently ignored. Every change is applied at once, ApplyImmediately or
 * not (a class change reboots the members together, the cluster
 * modifying until they run again). */
static const char *const modify_refused[] = {
    "NewDBClusterIdentifier", "Port", "EngineVersion", "ManageMasterUserPassword", NULL,
};

/* DBClusterParameterGroupName: the cluster names the group at once; each
 * member runs it from its next reboot (RDS: "a reboot without failover"),
 * pending-reboot until then (paramgroup_want). */
static bool modify_group(region *r, const params *p, cluster_row *c, bool *changed,
                         awserr *err)
{
    const char *g = params_get(p, "DBClusterParameterGroupName");
    if (!g)
        return true;
    char *name = clusterpg_find(r, g);
    if (!name)
        return awserr_set(err, AWSERR_DB_CLUSTER_PARAMETER_GROUP_NOT_FOUND,
                          "DBClusterParameterGroup not found: %s", g);
    *changed = true;
    if (c->param_group && strcmp(c->param_group, name) == 0) {
        free(name);
        return true;
    }
    char **ids = NULL;
    int n = cluster_members(r, c->id, &ids);
    bool ok = n >= 0;
    char *key = clusterpg_key(name);
    for (int i = 0; ok && i < n; i++) {
        store_instance in = {0};
        bool found = false;
        if (!store_instance_get(r->st, ids[i], &in, &found) || !found)
            continue;
        cJSON *extra = instextra_parse(&in);
        paramgroup_want(r, extra, key);
        instextra_store(&in, extra);
        cJSON_Delete(extra);
        ok = store_instance_update(r->st, &in);
        store_instance_clear(&in);
    }
    cluster_ids_free(ids, n < 0 ? 0 : n);
    free(key);
    if (ok)
        LOG_INFO("cluster parameter group wanted cluster=%s group=%s", c->id, name);
    free(c->param_group);
    c->param_group = name;
    return ok || awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}

static bool modify_numbers(region *r, const params *p, cluster_row *c, bool *restart,
                           bool *changed, awserr *err)
{
    int64_t v;
    bool has;
    if (!params_get_int(p, "BackupRetentionPeriod", 1, 35, &v, &has, err))
        return false;
    if (has) {
        c->backup_retention = v;
        *changed = true;
    }
    bool protect;
    if (!params_get_bool(p, "DeletionProtection", &protect, &has, err))
        return false;
    if (has) {
        c->deletion_protection = protect;
        *changed = true;
    }
    int64_t storage = c->allocated_storage, iops = c->iops;
    bool has_storage, has_iops;
    const char *stype = params_get(p, "StorageType");
    if (!params_get_int(p, "AllocatedStorage", 0, 1 << 30, &storage, &has_storage, err) ||
        !params_get_int(p, "Iops", 0, 1 << 30, &iops, &has_iops, err))
        return false;
    if (has_storage || has_iops || stype) {
        if (!stype)
            stype = c->storage_type;
        if (strcmp(stype, "io1") != 0 && strcmp(stype, "io2") != 0 && strcmp(stype, "gp3") != 0)
            return awserr_set(err, AWSERR_STORAGE_TYPE_NOT_SUPPORTED,
                              "Storage type %s is not supported for Multi-AZ DB clusters.", stype);
        if (storage < c->allocated_storage)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "Invalid storage size: AllocatedStorage cannot be decreased.");
        if (!validate_allocated_storage(stype, storage, err) ||
            !validate_iops(stype, storage, true, iops, err))
            return false;
        wf_str_set(&c->storage_type, stype);
        c->allocated_storage = storage;
        c->iops = iops;
        *changed = true;
    }
    const char *cls = params_get(p, "DBClusterInstanceClass");
    if (cls) {
        if (!validate_db_instance_class(cls, err))
            return false;
        *restart = strcmp(cls, c->db_class) != 0;
        wf_str_set(&c->db_class, cls);
        *changed = true;
    }
    (void)r;
    return true;
}

/* The members follow the cluster's settings (a new class restarts them:
 * clusterapi_modify starts their reboots). */
static bool modify_members(region *r, const cluster_row *c, const char *verifier)
{
    char **ids = NULL;
    int n = cluster_members(r, c->id, &ids);
    bool ok = n >= 0;
    for (int i = 0; ok && i < n; i++) {
        store_instance in = {0};
        bool found = false;
        if (!store_instance_get(r->st, ids[i], &in, &found))
            continue;
        wf_str_set(&in.db_class, c->db_class);
        wf_str_set(&in.storage_type, c->storage_type);
        in.allocated_storage = c->allocated_storage;
        in.iops = c->iops;
        if (verifier)
            wf_str_set(&in.master_verifier, verifier);
        if (clusterpitr_is_backup_member(c->id, in.id))
            in.backup_retention = c->backup_retention;
        ok = store_instance_update(r->st, &in);
        store_instance_clear(&in);
    }
    cluster_ids_free(ids, n < 0 ? 0 : n);
    return ok && clusterwf_bump_nodes(r, c);
}

bool clusterapi_modify(region *r, const params *p, cJSON *result, awserr *err)
{
    for (int i = 0; modify_refused[i]; i++)
        if (params_get(p, modify_refused[i]))
            return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                              "%s cannot be modified on a Multi-AZ DB cluster here.",
                              modify_refused[i]);
    bool apply_now;
    if (!params_get_bool(p, "ApplyImmediately", &apply_now, NULL, err))
        return false;
    const char *pw = params_get(p, "MasterUserPassword");
    if (pw && !validate_master_password(pw, err))
        return false;
    cluster_row c;
    if (!begin_cluster(r, p, &c, err))
        return false;
    if (c.status != CLUSTER_AVAILABLE)
        return refuse_state(r, &c, err, "modify it");
    bool restart = false, changed = pw != NULL;
    char *verifier = pw ? scram_verifier(pw) : NULL;
    bool ok = modify_numbers(r, p, &c, &restart, &changed, err) &&
              modify_group(r, p, &c, &changed, err);
    if (ok && !changed)
        ok = awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                        "No modifications were requested");
    if (ok && !modify_members(r, &c, verifier))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    /* A new class: the members restart (modifying, so the monitor does not
     * take the writer's restart for a crash). */
    if (ok && restart)
        ok = cluster_status_apply(c.id, &c.status, CLUSTER_MODIFYING) &&
             clusterwf_start_members(r, &c, "reboot", err);
    free(verifier);
    if (!ok) {
        store_rollback(r->st);
        cluster_clear(&c);
        return false;
    }
    LOG_INFO("cluster modified cluster=%s class=%s restart=%d", c.id, c.db_class, restart);
    return finish_cluster(r, &c, result, err);
}

/* The ModifyDBInstance parameters that belong to the cluster. */
static const char *const member_refused[] = {
    "DBInstanceClass", "AllocatedStorage", "StorageType", "Iops", "BackupRetentionPeriod",
    "MasterUserPassword", "DeletionProtection", "MultiAZ", "PreferredBackupWindow",
    "ManageMasterUserPassword", "MaxAllocatedStorage", "DBPortNumber", "DBParameterGroupName",
    NULL,
};

bool clusterapi_member_modify_ok(const store_instance *in, const params *p, awserr *err)
{
    if (!in->cluster_id)
        return true;
    for (int i = 0; member_refused[i]; i++)
        if (params_get(p, member_refused[i]))
            return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                              "The DB instance %s is a member of the Multi-AZ DB cluster %s: "
                              "modify %s on the cluster (ModifyDBCluster).", in->id,
                              in->cluster_id, member_refused[i]);
    return true;
}

bool clusterapi_member_refuse(const store_instance *in, const char *what, awserr *err)
{
    if (!in->cluster_id)
        return true;
    return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                      "The DB instance %s is a member of the Multi-AZ DB cluster %s: %s the "
                      "cluster instead.", in->id, in->cluster_id, what);
}
