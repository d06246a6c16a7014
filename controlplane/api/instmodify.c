/* instmodify: ModifyDBInstance (declared in instances.h).
 *
 * The request is read one attribute group at a time, in the order of
 * modify_groups[]: that order decides which error a request with several
 * bad parameters gets, so it is RDS-visible and pinned by
 * tests/unit/controlplane/test_instances.c. Each group validates its
 * parameters and then either changes the instance at once, or queues the
 * value in `pending` for the maintenance window (maint.h) unless
 * ApplyImmediately. Every number is parsed (modify_read_numbers) before
 * any group checks one. Nothing is written until every group has passed;
 * then the row, its pending and extra JSON and any convert workflow go in
 * one transaction. */
#include "controlplane/api/instances.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/api/instparams.h"
#include "controlplane/core/instextra.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/maint.h"
#include "controlplane/domain/mastersecret.h"
#include "controlplane/domain/monitoring.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/obs/pistore.h"
#include "controlplane/domain/replica.h"
#include "controlplane/net/instnet.h"
#include "controlplane/notify/events.h"
#include "controlplane/view/instview.h"
#include "controlplane/domain/clusterapi.h"
#include "controlplane/view/nodespec.h"
#include "controlplane/wf/workflow.h"
#include "lib/log.h"
#include "lib/scram.h"
#include "lib/util.h"

/* One request in flight. */
typedef struct {
    region *r;
    const params *p;
    store_instance in;      /* the row, changed in place */
    cJSON *pending;         /* the row's queued values (PendingModifiedValues) */
    cJSON *extra;           /* the row's extra settings */
    cJSON *finish_events;   /* what a convert workflow emits when it is done */
    bool now;               /* ApplyImmediately */
    bool changed;           /* some group asked for a change */
    bool restart;           /* the class changes now (a restart) */
    bool convert;           /* Single-AZ to Multi-AZ now (a convert workflow) */
    int64_t ret, storage, iops, max_storage, dns_ttl;
    bool has_ret, has_storage, has_iops, has_max, has_ttl;
} modify_ctx;

/* Replaces key in obj with item. */
static void json_put(cJSON *obj, const char *key, cJSON *item)
{
    cJSON_DeleteItemFromObject(obj, key);
    cJSON_AddItemToObject(obj, key, item);
}

/* Loads the instance, reads ApplyImmediately, refuses what cannot be
 * modified here and an instance that is not available. */
static bool modify_begin(modify_ctx *m, awserr *err)
{
    if (!instparams_load(m->r, m->p, "DBInstanceIdentifier", &m->in, err))
        return false;
    m->pending = cJSON_Parse(m->in.pending ? m->in.pending : "{}");
    m->extra = instextra_parse(&m->in);
    if (!m->pending)
        m->pending = cJSON_CreateObject();
    if (!params_get_bool(m->p, "ApplyImmediately", &m->now, NULL, err))
        return false;
    static const char *const unsupported[] = {"NewDBInstanceIdentifier",
                                              "EngineVersion",
                                              "DBPortNumber", NULL};
    for (int i = 0; unsupported[i]; i++)
        if (params_get(m->p, unsupported[i]))
            return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                              "Modifying %s is not supported in this region yet.",
                              unsupported[i]);
    /* storage-full: RDS lets you add storage (controlplane/storage.h). */
    if (m->in.status != STATUS_AVAILABLE && m->in.status != STATUS_STORAGE_FULL)
        return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                          "Instance %s is not in available state.", m->in.id);
    m->finish_events = cJSON_CreateArray();
    return true;
}

static bool modify_deletion_protection(modify_ctx *m, awserr *err)
{
    bool dp = false, has_dp = false;
    if (!params_get_bool(m->p, "DeletionProtection", &dp, &has_dp, err))
        return false;
    if (has_dp) {
        m->in.deletion_protection = dp;
        m->changed = true;
    }
    return true;
}

static bool modify_read_numbers(modify_ctx *m, awserr *err)
{
    const params *p = m->p;
    return params_get_int(p, "BackupRetentionPeriod", -1000, 1000, &m->ret, &m->has_ret, err) &&
           params_get_int(p, "AllocatedStorage", 0, 1 << 30, &m->storage, &m->has_storage, err) &&
           params_get_int(p, "Iops", 0, 1 << 30, &m->iops, &m->has_iops, err) &&
           params_get_int(p, "MaxAllocatedStorage", 0, 1 << 30, &m->max_storage, &m->has_max,
                          err) &&
           params_get_int(p, "DnsTtl", -1000000, 1000000, &m->dns_ttl, &m->has_ttl, err);
}

static bool modify_backup_retention(modify_ctx *m, awserr *err)
{
    if (!m->has_ret)
        return true;
    if (!validate_backup_retention(m->ret, err))
        return false;
    /* RDS for PostgreSQL: a read replica has no automated backups. */
    char *src = replica_source_of(&m->in);
    bool replica = src != NULL;
    free(src);
    if (replica && m->ret > 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Automated backups are not supported on a PostgreSQL read replica: "
                          "promote it first.");
    /* 0 <-> non-zero means an outage in RDS and honours ApplyImmediately;
     * other changes take effect at once. */
    bool flips = (m->ret == 0) != (m->in.backup_retention == 0);
    if (m->now || !flips) {
        if (flips)
            events_emit(m->r, m->in.id, m->ret == 0 ? "RDS-EVENT-0028" : "RDS-EVENT-0032", NULL);
        m->in.backup_retention = m->ret;
    } else {
        json_put(m->pending, "BackupRetentionPeriod", cJSON_CreateNumber((double)m->ret));
    }
    m->changed = true;
    return true;
}

/* AllocatedStorage, StorageType and Iops, checked together. */
static bool modify_storage(modify_ctx *m, awserr *err)
{
    store_instance *in = &m->in;
    const char *stype = params_get(m->p, "StorageType");
    if (stype && !validate_storage_type(stype, err))
        return false;
    if (!m->has_storage && !stype && !m->has_iops)
        return true;
    const char *t = stype ? stype : in->storage_type;
    int64_t gib = m->has_storage ? m->storage : in->allocated_storage;
    bool iops_given = m->has_iops || (!stype && in->iops > 0);
    int64_t io = m->has_iops ? m->iops : in->iops;
    if (m->has_storage && m->storage < in->allocated_storage)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid storage size for engine name postgres: allocated storage "
                          "can't be decreased (from %lld to %lld).",
                          (long long)in->allocated_storage, (long long)m->storage);
    if (m->has_storage && m->storage != in->allocated_storage &&
        m->storage < in->allocated_storage + (in->allocated_storage + 9) / 10)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid storage size: an increase must be at least 10%% (%lld GiB or "
                          "more).",
                          (long long)(in->allocated_storage + (in->allocated_storage + 9) / 10));
    if (!validate_allocated_storage(t, gib, err) || !validate_iops(t, gib, iops_given, io, err))
        return false;
    if (m->now) {
        if (m->has_storage && m->storage != in->allocated_storage) {
            events_emit(m->r, in->id, "RDS-EVENT-0018", NULL);
            events_emit(m->r, in->id, "RDS-EVENT-0017", NULL);
        }
        in->allocated_storage = gib;
        instparams_set_str(&in->storage_type, t);
        in->iops = iops_given ? io : 0;
    } else {
        if (m->has_storage)
            json_put(m->pending, "AllocatedStorage", cJSON_CreateNumber((double)m->storage));
        if (stype)
            json_put(m->pending, "StorageType", cJSON_CreateString(stype));
        if (m->has_iops)
            json_put(m->pending, "Iops", cJSON_CreateNumber((double)m->iops));
    }
    m->changed = true;
    return true;
}

static bool modify_max_storage(modify_ctx *m, awserr *err)
{
    if (!m->has_max)
        return true;
    int64_t cur = m->in.allocated_storage;
    if (m->max_storage && m->max_storage < cur + (cur + 9) / 10)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid max storage size for engine name postgres: %lld. It must be "
                          "at least 10%% more than AllocatedStorage.",
                          (long long)m->max_storage);
    m->in.max_allocated_storage = m->max_storage;
    m->changed = true;
    return true;
}

/* MasterUserPassword: RDS applies it as soon as it can whatever
 * ApplyImmediately says. Only its SCRAM verifier is kept; the agent sets
 * it on the next heartbeat (core/instsecret.h). */
static bool modify_master_password(modify_ctx *m, awserr *err)
{
    if (!mastersecret_read_modify(m->r, m->p, &m->in, m->extra, m->now, &m->changed, err))
        return false;
    const char *pw = params_get(m->p, "MasterUserPassword");
    if (!pw)
        return true;
    if (!validate_master_password(pw, err))
        return false;
    char *v = scram_verifier(pw);
    if (!v)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The password could not be stored.");
    free(m->in.master_verifier);
    m->in.master_verifier = v;
    events_emit(m->r, m->in.id, "RDS-EVENT-0016", NULL);
    m->changed = true;
    return true;
}

static bool modify_dns_ttl(modify_ctx *m, awserr *err)
{
    if (!m->has_ttl)
        return true;
    if (m->dns_ttl < 0 || m->dns_ttl > DNS_TTL_MAX)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "DnsTtl must be a whole number of seconds from 0 to %d.", DNS_TTL_MAX);
    m->in.dns_ttl = m->dns_ttl;
    m->changed = true;
    return true;
}

/* PreferredBackupWindow and PreferredMaintenanceWindow: each well formed,
 * and the pair (new or current) disjoint. */
static bool modify_windows(modify_ctx *m, awserr *err)
{
    const char *bw = params_get(m->p, "PreferredBackupWindow");
    const char *mw = params_get(m->p, "PreferredMaintenanceWindow");
    if ((bw && !validate_backup_window(bw, err)) || (mw && !validate_maintenance_window(mw, err)))
        return false;
    if (!bw && !mw)
        return true;
    if (!validate_windows_disjoint(bw ? bw : m->in.backup_window,
                                   mw ? mw : m->in.maintenance_window, err))
        return false;
    if (bw)
        instparams_set_str(&m->in.backup_window, bw);
    if (mw)
        instparams_set_str(&m->in.maintenance_window, mw);
    m->changed = true;
    return true;
}

/* Enhanced Monitoring and the flags kept in extra, applied at once: the
 * agent reads the interval from its next telemetry reply. */
static bool modify_monitoring(modify_ctx *m, awserr *err)
{
    const params *p = m->p;
    if (!params_get(p, "MonitoringInterval") && !params_get(p, "MonitoringRoleArn") &&
        !params_get(p, "AutoMinorVersionUpgrade") && !params_get(p, "CopyTagsToSnapshot") &&
        !params_get(p, "PubliclyAccessible") && !params_get(p, "EnableIAMDatabaseAuthentication"))
        return true;
    int old_interval = monitoring_interval(&m->in);
    if (!instparams_read_extra(p, m->extra, err))
        return false;
    int new_interval = (int)instextra_int(m->extra, INSTEXTRA_MONITORING_INTERVAL, 0);
    if (new_interval != old_interval) {
        char msg[64];
        snprintf(msg, sizeof msg, "Monitoring Interval changed to %d.", new_interval);
        events_emit(m->r, m->in.id, "RDS-EVENT-0078", msg);
    }
    m->changed = true;
    return true;
}

/* Performance Insights: applied at once (the sampler reads the row).
 * Turning it off drops its data in the same transaction: nothing prunes
 * an instance's counts while PI is off (obs/pisampler.h). */
static bool modify_performance_insights(modify_ctx *m, awserr *err)
{
    bool was_on = instextra_bool(m->extra, INSTEXTRA_PI_ENABLED, false);
    if (!instparams_read_pi(m->r, m->p, m->extra, &m->changed, err))
        return false;
    if (was_on && !instextra_bool(m->extra, INSTEXTRA_PI_ENABLED, false) &&
        !pi_store_forget(m->r->st, m->in.resource_id))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    return true;
}

static bool modify_log_exports(modify_ctx *m, awserr *err)
{
    if (!params_get(m->p, "CloudwatchLogsExportConfiguration.EnableLogTypes.member.1") &&
        !params_get(m->p, "CloudwatchLogsExportConfiguration.DisableLogTypes.member.1"))
        return true;
    if (!instparams_apply_log_exports(m->p, "CloudwatchLogsExportConfiguration.EnableLogTypes",
                                      "member", true, m->in.engine_version, m->extra, err) ||
        !instparams_apply_log_exports(m->p, "CloudwatchLogsExportConfiguration.DisableLogTypes",
                                      "member", false, m->in.engine_version, m->extra, err))
        return false;
    m->changed = true;
    return true;
}

/* DBSubnetGroupName, VpcSecurityGroupIds, PubliclyAccessible (instnet.h). */
static bool modify_network(modify_ctx *m, awserr *err)
{
    return instnet_read_modify(m->r, m->p, &m->in, m->extra, &m->changed, err);
}

static bool modify_parameter_group(modify_ctx *m, awserr *err)
{
    return paramgroup_read_modify(m->r, m->p, m->extra, &m->changed, err);
}

/* DBInstanceClass: always queued; ApplyImmediately applies it through
 * maint_begin in modify_finish (a restart). */
static bool modify_class(modify_ctx *m, awserr *err)
{
    const char *cls = params_get(m->p, "DBInstanceClass");
    if (!cls)
        return true;
    if (!validate_db_instance_class(cls, err))
        return false;
    if (strcmp(cls, m->in.db_class) != 0) {
        json_put(m->pending, "DBInstanceClass", cJSON_CreateString(cls));
        m->restart = m->now;
    } else {
        cJSON_DeleteItemFromObject(m->pending, "DBInstanceClass");
    }
    m->changed = true;
    return true;
}

/* MultiAZ: only Single-AZ to Multi-AZ. At once, a standby is built from
 * the running primary without downtime (the convert workflow). */
static bool modify_multi_az(modify_ctx *m, awserr *err)
{
    bool maz = false, has_maz = false;
    if (!params_get_bool(m->p, "MultiAZ", &maz, &has_maz, err))
        return false;
    if (!has_maz)
        return true;
    m->changed = true;
    if (maz == m->in.multi_az)
        return true;
    if (!maz)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Converting a Multi-AZ instance to Single-AZ is not supported in this "
                          "region yet.");
    if (m->r->cfg.naz < 2)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Multi-AZ instances need at least two Availability Zones.");
    if (m->restart)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Change the instance class and Multi-AZ in separate requests here.");
    if (m->now) {
        events_emit(m->r, m->in.id, "RDS-EVENT-0024", NULL);
        cJSON_AddItemToArray(m->finish_events, cJSON_CreateString("RDS-EVENT-0025"));
        m->convert = true;
    }
    json_put(m->pending, "MultiAZ", cJSON_CreateBool(true));
    return true;
}

/* CACertificateIdentifier: the nodes' certificates are issued anew by that
 * CA — now with ApplyImmediately (this one, or one queued before), else in
 * the maintenance window (maint_begin), as RDS documents; a reboot does
 * not apply it. PostgreSQL reloads the new files (no restart). */
static bool modify_ca(modify_ctx *m, awserr *err)
{
    const char *ca = NULL;
    if (!instparams_read_ca(m->r, m->p, NULL, &ca, err))
        return false;
    if (ca) {
        m->changed = true;
        if (strcmp(ca, nodespec_ca_id(&m->in, m->extra)) == 0)
            cJSON_DeleteItemFromObject(m->pending, "CACertificateIdentifier");
        else
            json_put(m->pending, "CACertificateIdentifier", cJSON_CreateString(ca));
    }
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(m->pending, "CACertificateIdentifier");
    if (m->now && cJSON_IsString(want)) {
        LOG_INFO("certificate rotation instance=%s ca=%s", m->in.id, want->valuestring);
        instextra_set_str(m->extra, INSTEXTRA_CA_CERT, want->valuestring);
        cJSON_DeleteItemFromObject(m->pending, "CACertificateIdentifier");
    }
    return true;
}

/* The attribute groups, in the order RDS-visible errors are checked. */
static const struct {
    const char *name;
    bool (*fn)(modify_ctx *m, awserr *err);
} modify_groups[] = {
    {"DeletionProtection", modify_deletion_protection},
    {"the numbers", modify_read_numbers},
    {"BackupRetentionPeriod", modify_backup_retention},
    {"storage", modify_storage},
    {"MaxAllocatedStorage", modify_max_storage},
    {"DnsTtl", modify_dns_ttl},
    {"MasterUserPassword", modify_master_password},
    {"windows", modify_windows},
    {"monitoring and flags", modify_monitoring},
    {"Performance Insights", modify_performance_insights},
    {"log exports", modify_log_exports},
    {"network", modify_network},
    {"parameter group", modify_parameter_group},
    {"DBInstanceClass", modify_class},
    {"MultiAZ", modify_multi_az},
    {"CACertificateIdentifier", modify_ca},
};

/* Applies what is due now (maint_begin), then writes the row and any
 * convert workflow and commits. */
static bool modify_finish(modify_ctx *m, cJSON *result, awserr *err)
{
    if (!m->changed)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "No modifications were requested");
    /* ApplyImmediately applies every pending value, queued ones too. */
    if (m->now && !maint_begin(m->r, &m->in, m->pending, NULL, !m->convert, err))
        return false;
    free(m->in.pending);
    m->in.pending = cJSON_PrintUnformatted(m->pending);
    instextra_store(&m->in, m->extra);
    if (m->convert) {
        lifecycle_apply(m->in.id, &m->in.status, STATUS_MODIFYING);
        cJSON *data = cJSON_CreateObject();
        cJSON_AddBoolToObject(data, "multi_az", true);
        cJSON_AddItemToObject(data, "finish_events", cJSON_Duplicate(m->finish_events, true));
        bool started = workflow_start(m->r, m->in.id, "convert", data);
        cJSON_Delete(data);
        if (!started)
            return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    if (!store_instance_update(m->r->st, &m->in) ||
        (m->in.master_verifier &&
         !replica_share_verifier(m->r, m->in.id, m->in.master_verifier)))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    if (!instparams_commit(m->r, err))
        return false;
    cJSON_AddItemToObject(result, "DBInstance", instview_render(m->r, &m->in));
    return true;
}

bool instances_action_modify(region *r, const params *p, cJSON *result, awserr *err)
{
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    modify_ctx m = {.r = r, .p = p};
    bool ok = modify_begin(&m, err) && clusterapi_member_modify_ok(&m.in, p, err);
    for (size_t i = 0; ok && i < sizeof modify_groups / sizeof modify_groups[0]; i++)
        ok = modify_groups[i].fn(&m, err);
    ok = ok && modify_finish(&m, result, err);
    if (!ok)
        store_rollback(r->st);
    cJSON_Delete(m.pending);
    cJSON_Delete(m.extra);
    cJSON_Delete(m.finish_events);
    store_instance_clear(&m.in);
    return ok;
}
