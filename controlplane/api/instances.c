/* instances: see instances.h. CreateDBInstance reads its request in two
 * groups (identity and engine; then storage, placement, encryption and
 * windows), then the tags and the settings other modules own, in the
 * order that decides which error a request with several bad parameters
 * gets (tests/unit/controlplane/test_instances.c), and stores the row
 * with its create workflow. DescribeDBInstances pages by identifier (the
 * Marker is the last identifier shown). */
#include "controlplane/api/instances.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/api/instparams.h"
#include "controlplane/api/tags.h"
#include "controlplane/core/instextra.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/replica.h"
#include "controlplane/domain/autobackup.h"
#include "controlplane/domain/ha.h"
#include "controlplane/domain/clusterapi.h"
#include "controlplane/domain/instrow.h"
#include "controlplane/domain/mastersecret.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/domain/snapshot.h"
#include "lib/scram.h"
#include "controlplane/domain/stopstart.h"
#include "controlplane/net/instnet.h"
#include "controlplane/notify/events.h"
#include "controlplane/view/instview.h"
#include "controlplane/wf/workflow.h"
#include "lib/log.h"
#include "lib/util.h"

/* ---- CreateDBInstance ---- */

/* A CreateDBInstance request once read; the strings borrow from params. */
typedef struct {
    const char *idv, *cls, *user, *pw, *dbname, *sm_kms;
    const char *stype, *az, *kms_ref, *bw, *mw;
    int64_t storage, iops, port, retention, max_storage, dns_ttl;
    bool has_iops, multi_az, deletion_protection, encrypted, managed;
} create_req;

static bool check_engine_version(region *r, const char *v, awserr *err)
{
    if (!v || strcmp(v, r->pg_version) == 0 || strcmp(v, r->pg_major) == 0)
        return true;
    return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                      "Cannot find version %s for postgres", v);
}

/* The first group: identifier, class, engine and version, master user,
 * database name. */
static bool create_read_identity(region *r, const params *p, create_req *q, awserr *err)
{
    const char *idv = params_require(p, "DBInstanceIdentifier", err);
    if (!idv || !validate_db_instance_id(idv, "DBInstanceIdentifier", err))
        return false;
    const char *cls = params_require(p, "DBInstanceClass", err);
    if (!cls)
        return false;
    const char *engine = params_require(p, "Engine", err);
    if (!engine)
        return false;
    if (strcmp(engine, "postgres") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid DB engine: %s. This region runs the postgres engine only.",
                          engine);
    if (!validate_db_instance_class(cls, err))
        return false;
    const char *ver = params_get(p, "EngineVersion");
    if (!check_engine_version(r, ver, err))
        return false;
    bool managed = false;
    if (!params_get_bool(p, "ManageMasterUserPassword", &managed, NULL, err))
        return false;
    const char *pw = params_get(p, "MasterUserPassword");
    q->managed = managed;
    q->sm_kms = params_get(p, "MasterUserSecretKmsKeyId");
    if (managed && pw)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "You can't specify both ManageMasterUserPassword and "
                          "MasterUserPassword.");
    if (q->sm_kms && !managed)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "MasterUserSecretKmsKeyId requires ManageMasterUserPassword.");
    const char *user = params_get(p, "MasterUsername");
    if (!user || !*user)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter MasterUsername must be provided and must not be blank.");
    if (!validate_master_username(user, err))
        return false;
    if (!managed && (!pw || !*pw))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter MasterUserPassword must be provided and must not be "
                          "blank.");
    if (!managed && !validate_master_password(pw, err))
        return false;
    const char *dbname = params_get(p, "DBName");
    if (dbname && !validate_db_name(dbname, err))
        return false;
    q->idv = idv;
    q->cls = cls;
    q->user = user;
    q->pw = pw;
    q->dbname = dbname;
    return true;
}

/* The second group: storage, port, retention, DNS TTL, Multi-AZ and the
 * AZ, encryption, the two windows. Every number is parsed before any is
 * checked; q holds the defaults (port 5432, retention 1, TTL -1). */
static bool create_read_settings(region *r, const params *p, create_req *q, awserr *err)
{
    bool has_storage = false;
    if (!params_get_int(p, "AllocatedStorage", 0, 1 << 30, &q->storage, &has_storage, err) ||
        !params_get_int(p, "Iops", 0, 1 << 30, &q->iops, &q->has_iops, err) ||
        !params_get_int(p, "Port", 0, 65535 * 16, &q->port, NULL, err) ||
        !params_get_int(p, "BackupRetentionPeriod", -1000, 1000, &q->retention, NULL, err) ||
        !params_get_int(p, "MaxAllocatedStorage", 0, 1 << 30, &q->max_storage, NULL, err) ||
        !params_get_int(p, "DnsTtl", -1000000, 1000000, &q->dns_ttl, NULL, err))
        return false;
    if (!has_storage)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter AllocatedStorage must be provided and must not be "
                          "blank.");
    const char *stype = params_get(p, "StorageType");
    if (!stype)
        stype = q->has_iops ? "io1" : "gp3";
    q->stype = stype;
    if (!validate_storage_type(stype, err) ||
        !validate_allocated_storage(stype, q->storage, err) ||
        !validate_iops(stype, q->storage, q->has_iops, q->iops, err) ||
        !validate_port(q->port, err) || !validate_backup_retention(q->retention, err))
        return false;
    if (q->max_storage && q->max_storage < q->storage + (q->storage + 9) / 10)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid max storage size for engine name postgres and storage type "
                          "%s: %lld. It must be at least 10%% more than AllocatedStorage.",
                          stype, (long long)q->max_storage);
    if (q->dns_ttl < -1 || q->dns_ttl > DNS_TTL_MAX ||
        (q->dns_ttl == -1 && params_get(p, "DnsTtl")))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "DnsTtl must be a whole number of seconds from 0 to %d.", DNS_TTL_MAX);
    if (!params_get_bool(p, "MultiAZ", &q->multi_az, NULL, err) ||
        !params_get_bool(p, "DeletionProtection", &q->deletion_protection, NULL, err) ||
        !params_get_bool(p, "StorageEncrypted", &q->encrypted, NULL, err))
        return false;
    const char *az = params_get(p, "AvailabilityZone");
    if (az && q->multi_az)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Requesting a specific availability zone is not valid for Multi-AZ "
                          "instances.");
    if (q->multi_az && r->cfg.naz < 2)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Multi-AZ instances need at least two Availability Zones; this region "
                          "has %d.", r->cfg.naz);
    if (az && !region_has_az(r, az))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid availability zone: %s", az);
    q->az = az;
    q->kms_ref = params_get(p, "KmsKeyId");
    if (q->kms_ref && !q->encrypted)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "KmsKeyId can only be given with StorageEncrypted.");
    q->bw = params_get(p, "PreferredBackupWindow");
    q->mw = params_get(p, "PreferredMaintenanceWindow");
    if ((q->bw && !validate_backup_window(q->bw, err)) ||
        (q->mw && !validate_maintenance_window(q->mw, err)))
        return false;
    return true;
}

/* Stores the new row (domain/instrow builds it the way every new instance
 * is built) and its create workflow in one transaction, and renders it
 * into result. */
static bool create_store(region *r, const create_req *q, char *id, char *tags, cJSON *extra,
                         cJSON *result, awserr *err)
{
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    char *verifier = NULL;
    store_instance ms = {.id = id, .master_username = (char *)q->user};
    if (q->managed && !mastersecret_create(r, &ms, q->sm_kms, extra, err)) {
        store_rollback(r->st);
        return false;
    }
    verifier = q->managed ? ms.master_verifier : scram_verifier(q->pw);
    char *extra_json = cJSON_PrintUnformatted(extra);
    if (!verifier) {
        free(extra_json);
        store_rollback(r->st);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The password could not be stored.");
    }
    store_instance req = {
        .id = id,
        .db_class = (char *)q->cls,
        .master_username = (char *)q->user,
        .master_verifier = verifier,
        .db_name = (char *)q->dbname,
        .port = q->port,
        .allocated_storage = q->storage,
        .storage_type = (char *)q->stype,
        .iops = q->has_iops ? q->iops : 0,
        .max_allocated_storage = q->max_storage,
        .multi_az = q->multi_az,
        .az = (char *)q->az,
        .backup_retention = q->retention,
        .backup_window = (char *)q->bw,
        .maintenance_window = (char *)q->mw,
        .deletion_protection = q->deletion_protection,
        .storage_encrypted = q->encrypted,
        .kms_key_id = (char *)(q->kms_ref ? q->kms_ref : KMS_DEFAULT_RDS_ALIAS),
        .dns_ttl = q->dns_ttl,
        .tags = tags,
        .extra = extra_json,
    };
    store_instance in = {0};
    bool ok = instrow_insert(r, &req, &in, err);
    if (ok)
        ok = instparams_commit(r, err);
    else
        store_rollback(r->st);
    if (ok) {
        LOG_INFO("create accepted instance=%s class=%s storage=%lld", id, q->cls,
                 (long long)q->storage);
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
    }
    store_instance_clear(&in);
    free(verifier);
    free(extra_json);
    return ok;
}

bool instances_action_create(region *r, const params *p, cJSON *result, awserr *err)
{
    create_req q = {.port = 5432, .retention = 1, .dns_ttl = -1};
    if (!create_read_identity(r, p, &q, err) || !create_read_settings(r, p, &q, err))
        return false;
    char *tags = tags_merge(p, NULL, err);
    if (!tags)
        return false;
    int64_t tag_ttl;
    cJSON *extra = instextra_new();
    const char *ca = NULL;
    bool pi_given = false;
    char *id = str_lower(xstrdup(q.idv));
    bool ok = false;
    if (!tags_dns_ttl(tags, &tag_ttl, err) || !instparams_read_extra(p, extra, err) ||
        !instparams_apply_log_exports(p, "EnableCloudwatchLogsExports", "member", true,
                                      r->pg_version, extra, err) ||
        !instnet_read_create(r, p, q.az, q.multi_az, extra, err) ||
        !paramgroup_read_create(r, p, extra, err) || !instparams_read_ca(r, p, extra, &ca, err) ||
        !instparams_read_pi(r, p, extra, &pi_given, err))
        goto done;
    if (q.dns_ttl < 0)
        q.dns_ttl = tag_ttl;
    ok = create_store(r, &q, id, tags, extra, result, err);
done:
    free(id);
    free(tags);
    cJSON_Delete(extra);
    return ok;
}

/* ---- DescribeDBInstances ---- */

typedef struct {
    const char **ids;
    int nids;
    const char **engines;
    int nengines;
    const char **resources;
    int nresources;
} instance_filter;

static bool filter_match(const instance_filter *f, const store_instance *in)
{
    bool ok = f->nids == 0 && f->nengines == 0 && f->nresources == 0 ? true : true;
    if (f->nids) {
        ok = false;
        for (int i = 0; i < f->nids && !ok; i++) {
            char *id = region_instance_id_from(f->ids[i]);
            ok = strcmp(id, in->id) == 0;
            free(id);
        }
        if (!ok)
            return false;
    }
    if (f->nengines) {
        ok = false;
        for (int i = 0; i < f->nengines && !ok; i++)
            ok = strcmp(f->engines[i], in->engine) == 0;
        if (!ok)
            return false;
    }
    if (f->nresources) {
        ok = false;
        for (int i = 0; i < f->nresources && !ok; i++)
            ok = strcmp(f->resources[i], in->resource_id) == 0;
    }
    return ok;
}

/* Reads Filters.Filter.N.{Name,Values.Value.M}. The string arrays borrow
 * from p; the caller frees the arrays. */
static bool read_filters(const params *p, instance_filter *f, awserr *err)
{
    int n = params_count_structs(p, "Filters", "Filter", err);
    if (n < 0)
        return false;
    for (int i = 1; i <= n; i++) {
        const char *name = params_get_struct_field(p, "Filters", "Filter", i, "Name");
        char *prefix = xasprintf("Filters.Filter.%d.Values", i);
        const char **vals = NULL;
        int nv = params_get_list(p, prefix, "Value", &vals, err);
        free(prefix);
        if (nv < 0)
            return false;
        const char ***dst = NULL;
        int *ndst = NULL;
        if (name && strcmp(name, "db-instance-id") == 0) {
            dst = &f->ids;
            ndst = &f->nids;
        } else if (name && strcmp(name, "engine") == 0) {
            dst = &f->engines;
            ndst = &f->nengines;
        } else if (name && strcmp(name, "dbi-resource-id") == 0) {
            dst = &f->resources;
            ndst = &f->nresources;
        } else if (name && (strcmp(name, "db-cluster-id") == 0 || strcmp(name, "domain") == 0)) {
            /* No clusters or domains here: such a filter matches nothing. */
            free(vals);
            vals = xcalloc(2, sizeof *vals);
            vals[0] = "\x01";
            nv = 1;
            dst = &f->resources;
            ndst = &f->nresources;
        } else {
            free(vals);
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Unrecognized filter name: %s",
                              name ? name : "(none)");
        }
        if (nv == 0) {
            free(vals);
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The filter %s must have at least one value.", name);
        }
        free(*dst);
        *dst = vals;
        *ndst = nv;
    }
    return true;
}

bool instances_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max;
    if (!params_get_paging(p, &max, NULL, err))
        return false;
    const char *idv = params_get(p, "DBInstanceIdentifier");
    cJSON *list = cJSON_AddArrayToObject(result, "DBInstances");
    if (idv) {
        store_instance in = {0};
        if (!instparams_load(r, p, "DBInstanceIdentifier", &in, err))
            return false;
        cJSON_AddItemToArray(list, instview_render(r, &in));
        store_instance_clear(&in);
        return true;
    }
    instance_filter f = {0};
    bool ok = read_filters(p, &f, err);
    const char *marker = params_get(p, "Marker");
    char *after = marker ? xstrdup(marker) : NULL;
    int count = 0;
    while (ok) {
        char **ids = NULL;
        int n = store_instance_list(r->st, after, 200, &ids);
        if (n < 0) {
            ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
            break;
        }
        bool more_pages = n == 200;
        for (int i = 0; i < n; i++) {
            store_instance in = {0};
            bool found;
            if (count == max) {
                /* A further match exists only if one is left: check it. */
                if (store_instance_get(r->st, ids[i], &in, &found) && filter_match(&f, &in)) {
                    cJSON_AddStringToObject(result, "Marker", after);
                    more_pages = false;
                    store_instance_clear(&in);
                    break;
                }
                store_instance_clear(&in);
                continue;
            }
            if (store_instance_get(r->st, ids[i], &in, &found) && filter_match(&f, &in)) {
                cJSON_AddItemToArray(list, instview_render(r, &in));
                count++;
                free(after);
                after = xstrdup(in.id);
            }
            store_instance_clear(&in);
        }
        if (more_pages && count < max) {
            free(after);
            after = xstrdup(ids[n - 1]);
        }
        for (int i = 0; i < n; i++)
            free(ids[i]);
        free(ids);
        if (!more_pages)
            break;
    }
    free(after);
    free(f.ids);
    free(f.engines);
    free(f.resources);
    return ok;
}


/* ---- DeleteDBInstance ---- */

bool instances_action_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    bool skip = false, delete_backups = true;
    if (!params_get_bool(p, "SkipFinalSnapshot", &skip, NULL, err) ||
        !params_get_bool(p, "DeleteAutomatedBackups", &delete_backups, NULL, err))
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
    store_instance in = {0};
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = false;
    if (!instparams_load(r, p, "DBInstanceIdentifier", &in, err) ||
        !clusterapi_member_refuse(&in, "delete", err))
        goto done;
    if (in.status == STATUS_DELETING) {
        awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE, "Instance %s is already being deleted.",
                   in.id);
        goto done;
    }
    if (in.deletion_protection) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                   "Cannot delete protected DB Instance, please disable deletion protection and "
                   "try again.");
        goto done;
    }
    /* Issue 15: a read replica has no final snapshot; a source's replicas
     * are promoted, as RDS does (domain/replica.h). */
    char *rsrc = replica_source_of(&in);
    bool replica = rsrc != NULL;
    free(rsrc);
    if (replica && final) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                   "FinalDBSnapshotIdentifier can not be specified when deleting a read "
                   "replica.");
        goto done;
    }
    if (!replica_on_delete(r, in.id, err))
        goto done;
    cJSON *wdata = cJSON_CreateObject();
    if (final) {
        char *sid = str_lower(xstrdup(final));
        bool taken = snapshot_begin_final(r, &in, sid, err);
        cJSON_AddStringToObject(wdata, "final_snapshot", sid);
        free(sid);
        if (!taken) {
            cJSON_Delete(wdata);
            goto done;
        }
    }
    snapshot_forget_restore(r, in.id);
    autobackup_forget_restore(r, in.id);
    if (!autobackup_on_delete(r, &in, delete_backups)) {
        cJSON_Delete(wdata);
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto done;
    }
    /* A delete supersedes whatever the instance was doing. */
    store_workflow w = {0};
    bool busy = false;
    while (store_workflow_active_for(r->st, in.id, &w, &busy) && busy) {
        w.state = WF_STATE_SUPERSEDED;
        bool upd = store_workflow_update(r->st, &w);
        LOG_INFO("workflow superseded id=%lld instance=%s kind=%s", (long long)w.id, in.id, w.kind);
        store_workflow_clear(&w);
        if (!upd)
            break;
    }
    cJSON *x = instextra_parse(&in);
    bool dropped = mastersecret_drop(r, in.id, x, err); /* RDS deletes the secret with it */
    instextra_store(&in, x);
    cJSON_Delete(x);
    if (!dropped) {
        cJSON_Delete(wdata);
        goto done;
    }
    if (!lifecycle_apply(in.id, &in.status, STATUS_DELETING) ||
        !store_instance_update(r->st, &in) || !workflow_start(r, in.id, "delete", wdata)) {
        cJSON_Delete(wdata);
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto done;
    }
    cJSON_Delete(wdata);
    ok = instparams_commit(r, err);
    if (ok)
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
done:
    if (!ok)
        store_rollback(r->st);
    store_instance_clear(&in);
    return ok;
}

/* ---- RebootDBInstance ---- */

/* The nodes of a reboot with failover into data ("old": the active node,
 * "new": the standby, "forced"). false with InvalidDBInstanceState when
 * the instance is not healthy or has no standby now. */
static bool reboot_failover_nodes(region *r, const store_instance *in, cJSON *data, awserr *err)
{
    store_node *nodes = NULL;
    int n = store_node_list(r->st, in->id, NULL, &nodes);
    const char *standby = NULL;
    for (int i = 0; i < n; i++)
        if (nodes[i].role == ROLE_STANDBY && nodes[i].goal == GOAL_RUNNING)
            standby = nodes[i].id;
    bool ok = in->ha_state == HA_HEALTHY && standby && in->primary_node;
    if (ok) {
        cJSON_AddStringToObject(data, "old", in->primary_node);
        cJSON_AddStringToObject(data, "new", standby);
        cJSON_AddBoolToObject(data, "forced", true);
    } else {
        awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                   "Instance %s cannot fail over now: its standby is not in sync (%s).", in->id,
                   ha_state_name(in->ha_state));
    }
    store_node_list_free(nodes, n < 0 ? 0 : n);
    return ok;
}

bool instances_action_reboot(region *r, const params *p, cJSON *result, awserr *err)
{
    bool force = false;
    if (!params_get_bool(p, "ForceFailover", &force, NULL, err))
        return false;
    store_instance in = {0};
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = false;
    if (!instparams_load(r, p, "DBInstanceIdentifier", &in, err))
        goto done;
    if (force && !in.multi_az) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                   "Cannot reboot DB instance with force failover: %s is not a Multi-AZ "
                   "instance.", in.id);
        goto done;
    }
    if (in.status != STATUS_AVAILABLE) {
        awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                   "Instance %s is not in available state.", in.id);
        goto done;
    }
    cJSON *data = cJSON_CreateObject();
    bool started;
    if (force) {
        /* A planned failover: only to a synchronous standby (ha.h), or,
         * for a Multi-AZ read replica, to its standby (a replica too). */
        if (!reboot_failover_nodes(r, &in, data, err)) {
            cJSON_Delete(data);
            goto done;
        }
        char *src = replica_source_of(&in);
        bool replica = src != NULL;
        free(src);
        /* A replica's flip is ha.c's, which emits RDS-EVENT-0013 itself. */
        started = lifecycle_apply(in.id, &in.status, STATUS_REBOOTING) &&
                  (replica || (ha_apply(in.id, &in.ha_state, HA_FAILING_OVER) &&
                               events_emit(r, in.id, "RDS-EVENT-0013", NULL))) &&
                  store_instance_update(r->st, &in) &&
                  workflow_start(r, in.id, replica ? "replica_switchover" : "switchover", data);
    } else {
        cJSON *fe = cJSON_AddArrayToObject(data, "finish_events");
        cJSON_AddItemToArray(fe, cJSON_CreateString("RDS-EVENT-0006"));
        started = lifecycle_apply(in.id, &in.status, STATUS_REBOOTING) &&
                  store_instance_update(r->st, &in) && workflow_start(r, in.id, "reboot", data);
    }
    cJSON_Delete(data);
    if (!started) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto done;
    }
    ok = instparams_commit(r, err);
    if (ok)
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
done:
    if (!ok)
        store_rollback(r->st);
    store_instance_clear(&in);
    return ok;
}

/* ---- StopDBInstance, StartDBInstance ---- */

static bool stop_or_start(region *r, const params *p, cJSON *result, awserr *err, bool stop)
{
    if (stop && params_get(p, "DBSnapshotIdentifier"))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "DBSnapshotIdentifier: a snapshot before stopping is not supported by "
                          "rdsim yet.");
    store_instance in = {0};
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = instparams_load(r, p, "DBInstanceIdentifier", &in, err) &&
              clusterapi_member_refuse(&in, stop ? "stop" : "start", err) &&
              (stop ? stopstart_begin_stop(r, &in, err)
                    : stopstart_begin_start(r, &in, false, err)) &&
              instparams_commit(r, err);
    if (ok)
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
    else
        store_rollback(r->st);
    store_instance_clear(&in);
    return ok;
}

bool instances_action_stop(region *r, const params *p, cJSON *result, awserr *err)
{
    return stop_or_start(r, p, result, err, true);
}

bool instances_action_start(region *r, const params *p, cJSON *result, awserr *err)
{
    return stop_or_start(r, p, result, err, false);
}

