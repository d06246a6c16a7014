/* actions: see actions.h. One handler per RDS action; the table at the
 * end maps names to handlers. */
#include "controlplane/api/actions.h"
#include "controlplane/domain/autobackup.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controlplane/api/clock.h"
#include "controlplane/notify/events.h"
#include "controlplane/notify/evsub.h"
#include "controlplane/domain/ha.h"
#include "controlplane/net/instnet.h"
#include "controlplane/view/instview.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/domain/maint.h"
#include "controlplane/domain/logfiles.h"
#include "controlplane/domain/monitoring.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/core/region.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/domain/stopstart.h"
#include "controlplane/core/store.h"
#include "controlplane/net/subnetgroup.h"
#include "controlplane/core/validate.h"
#include "controlplane/wf/workflow.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

#define REGION_STORAGE_QUOTA_GIB 100000
#define TAGS_MAX 50
#define DNS_TTL_TAG "rdsim:dns-ttl"

/* ---- helpers ---- */

/* An instance identifier from a parameter that may also be an ARN
 * ("arn:aws:rds:<region>:<account>:db:<id>"); lowercased, malloc'd. */
static char *instance_id_from(const char *value)
{
    const char *p = value;
    if (strncmp(value, "arn:", 4) == 0) {
        const char *db = strstr(value, ":db:");
        p = db ? db + 4 : value;
    }
    return str_lower(xstrdup(p));
}

/* Loads the instance named by `param` (required). false with
 * MissingParameter or DBInstanceNotFound. */
static bool load_instance(region *r, const params *p, const char *param, store_instance *in,
                          awserr *err)
{
    const char *v = params_require(p, param, err);
    if (!v)
        return false;
    char *id = instance_id_from(v);
    bool found = false;
    store_instance_get(r->st, id, in, &found);
    if (!found)
        awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
    free(id);
    return found;
}

/* Replaces a malloc'd field. value may be the field's own string (callers
 * pass "the new value, else the current one"), so copy before freeing. */
static void set_str(char **field, const char *value)
{
    char *copy = value ? xstrdup(value) : NULL;
    free(*field);
    *field = copy;
}

/* RDS's defaults: a random 30-minute backup window in an 8-hour block,
 * and a random 30-minute maintenance window on a random day in another. */
static char *default_backup_window(void)
{
    char *rnd = region_random_label(2);
    int start = 3 * 60 + ((unsigned char)rnd[0] * 7 + (unsigned char)rnd[1]) % 15 * 30;
    free(rnd);
    return xasprintf("%02d:%02d-%02d:%02d", start / 60, start % 60, (start + 30) / 60 % 24,
                     (start + 30) % 60);
}

static char *default_maintenance_window(void)
{
    static const char *days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    char *rnd = region_random_label(2);
    int day = (unsigned char)rnd[0] % 7;
    int start = 12 * 60 + (unsigned char)rnd[1] % 15 * 30;
    free(rnd);
    return xasprintf("%s:%02d:%02d-%s:%02d:%02d", days[day], start / 60, start % 60, days[day],
                     (start + 30) / 60, (start + 30) % 60);
}

/* Tags.Tag.N.Key/Value into a JSON array (merged into `existing`, which
 * may be NULL, replacing equal keys). Returns the new JSON text (malloc'd)
 * or NULL with InvalidParameterValue. */
static char *merge_tags(const params *p, const char *existing, awserr *err)
{
    int n = params_count_structs(p, "Tags", "Tag", err);
    if (n < 0)
        return NULL;
    cJSON *arr = cJSON_Parse(existing ? existing : "[]");
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        arr = cJSON_CreateArray();
    }
    for (int i = 1; i <= n; i++) {
        const char *k = params_get_struct_field(p, "Tags", "Tag", i, "Key");
        const char *v = params_get_struct_field(p, "Tags", "Tag", i, "Value");
        if (!k || !*k || strlen(k) > 128 || (v && strlen(v) > 256)) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Tag keys must be 1 to 128 characters and values at most 256.");
            cJSON_Delete(arr);
            return NULL;
        }
        if (strncasecmp(k, "aws:", 4) == 0) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Tag keys starting with 'aws:' are reserved for AWS use.");
            cJSON_Delete(arr);
            return NULL;
        }
        int idx = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, arr) {
            const cJSON *tk = cJSON_GetObjectItemCaseSensitive(t, "Key");
            if (cJSON_IsString(tk) && strcmp(tk->valuestring, k) == 0) {
                cJSON_DeleteItemFromArray(arr, idx);
                break;
            }
            idx++;
        }
        cJSON *tag = cJSON_CreateObject();
        cJSON_AddStringToObject(tag, "Key", k);
        cJSON_AddStringToObject(tag, "Value", v ? v : "");
        cJSON_AddItemToArray(arr, tag);
    }
    if (cJSON_GetArraySize(arr) > TAGS_MAX) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "A resource can have at most %d tags.", TAGS_MAX);
        cJSON_Delete(arr);
        return NULL;
    }
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return s;
}

/* The rdsim:dns-ttl tag's value in tags JSON: -1 when absent; false with
 * InvalidParameterValue when it is not 0..DNS_TTL_MAX. */
static bool tag_dns_ttl(const char *tags, int64_t *ttl, awserr *err)
{
    *ttl = -1;
    cJSON *arr = cJSON_Parse(tags ? tags : "[]");
    const cJSON *t;
    bool ok = true;
    cJSON_ArrayForEach(t, arr) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "Value");
        if (cJSON_IsString(k) && strcmp(k->valuestring, DNS_TTL_TAG) == 0) {
            if (!cJSON_IsString(v) || !str_to_int64(v->valuestring, 0, DNS_TTL_MAX, ttl))
                ok = awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                                "The tag %s must be a whole number of seconds from 0 to %d.",
                                DNS_TTL_TAG, DNS_TTL_MAX);
        }
    }
    cJSON_Delete(arr);
    return ok;
}

/* Reads settings kept in `extra` (no behaviour yet beyond being stored and
 * shown): MonitoringInterval/RoleArn, log exports, flags. */
static bool read_extra(const params *p, cJSON *extra, awserr *err)
{
    int64_t mi = 0;
    bool has_mi = false;
    if (!params_get_int(p, "MonitoringInterval", INT32_MIN, INT32_MAX, &mi, &has_mi, err))
        return false;
    const cJSON *old_mi = cJSON_GetObjectItemCaseSensitive(extra, "MonitoringInterval");
    if (!has_mi && cJSON_IsNumber(old_mi))
        mi = (int64_t)old_mi->valuedouble;
    if (!validate_monitoring_interval(mi, err))
        return false;
    const char *role = params_get(p, "MonitoringRoleArn");
    const cJSON *old_role = cJSON_GetObjectItemCaseSensitive(extra, "MonitoringRoleArn");
    bool has_role = (role && *role) || (!role && cJSON_IsString(old_role));
    if (mi != 0 && !has_role)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "A MonitoringRoleARN value is required if you specify a "
                          "MonitoringInterval value other than 0.");
    if (mi == 0 && role && *role)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "A MonitoringInterval value other than 0 is required if you specify a "
                          "MonitoringRoleARN value.");
    if (role && strncmp(role, "arn:aws:iam::", 13) != 0 && *role)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid MonitoringRoleArn: %s is not an IAM role ARN.", role);
    cJSON_DeleteItemFromObject(extra, "MonitoringInterval");
    cJSON_AddNumberToObject(extra, "MonitoringInterval", (double)mi);
    if (role) {
        cJSON_DeleteItemFromObject(extra, "MonitoringRoleArn");
        if (*role)
            cJSON_AddStringToObject(extra, "MonitoringRoleArn", role);
    }
    const char *const flags[] = {"AutoMinorVersionUpgrade", "CopyTagsToSnapshot",
                                 "PubliclyAccessible", NULL};
    for (int i = 0; flags[i]; i++) {
        bool v = false, present = false;
        if (!params_get_bool(p, flags[i], &v, &present, err))
            return false;
        if (present) {
            cJSON_DeleteItemFromObject(extra, flags[i]);
            cJSON_AddBoolToObject(extra, flags[i], v);
        }
    }
    return true;
}

/* Applies EnableLogTypes/DisableLogTypes (or the create-time list) to
 * extra.EnabledCloudwatchLogsExports. */
static bool apply_log_exports(const params *p, const char *list_name, const char *item,
                              bool enable, cJSON *extra, awserr *err)
{
    const char **types = NULL;
    int n = params_get_list(p, list_name, item, &types, err);
    if (n < 0)
        return false;
    cJSON *cur = cJSON_GetObjectItemCaseSensitive(extra, "EnabledCloudwatchLogsExports");
    if (!cJSON_IsArray(cur)) {
        cJSON_DeleteItemFromObject(extra, "EnabledCloudwatchLogsExports");
        cur = cJSON_AddArrayToObject(extra, "EnabledCloudwatchLogsExports");
    }
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (!validate_log_export_type(types[i], err)) {
            ok = false;
            break;
        }
        int idx = 0, found = -1;
        const cJSON *e;
        cJSON_ArrayForEach(e, cur) {
            if (cJSON_IsString(e) && strcmp(e->valuestring, types[i]) == 0)
                found = idx;
            idx++;
        }
        if (enable && found < 0)
            cJSON_AddItemToArray(cur, cJSON_CreateString(types[i]));
        if (!enable && found >= 0)
            cJSON_DeleteItemFromArray(cur, found);
    }
    free(types);
    return ok;
}

static char *json_text(const cJSON *v)
{
    return cJSON_PrintUnformatted(v);
}

/* Commits and reports a store failure as InternalFailure. */
static bool commit_or_fail(region *r, awserr *err)
{
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}

/* ---- CreateDBInstance ---- */

static bool check_engine_version(region *r, const char *v, awserr *err)
{
    if (!v || strcmp(v, r->pg_version) == 0 || strcmp(v, r->pg_major) == 0)
        return true;
    return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                      "Cannot find version %s for postgres", v);
}

static bool action_create_db_instance(region *r, const params *p, cJSON *result, awserr *err)
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
    if (managed)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "ManageMasterUserPassword is not supported here: give "
                          "MasterUserPassword.");
    const char *user = params_get(p, "MasterUsername");
    if (!user || !*user)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter MasterUsername must be provided and must not be blank.");
    if (!validate_master_username(user, err))
        return false;
    const char *pw = params_get(p, "MasterUserPassword");
    if (!pw || !*pw)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter MasterUserPassword must be provided and must not be "
                          "blank.");
    if (!validate_master_password(pw, err))
        return false;
    const char *dbname = params_get(p, "DBName");
    if (dbname && !validate_db_name(dbname, err))
        return false;

    int64_t storage = 0, iops = 0, port = 5432, retention = 1, max_storage = 0, dns_ttl = -1;
    bool has_storage = false, has_iops = false;
    if (!params_get_int(p, "AllocatedStorage", 0, 1 << 30, &storage, &has_storage, err) ||
        !params_get_int(p, "Iops", 0, 1 << 30, &iops, &has_iops, err) ||
        !params_get_int(p, "Port", 0, 65535 * 16, &port, NULL, err) ||
        !params_get_int(p, "BackupRetentionPeriod", -1000, 1000, &retention, NULL, err) ||
        !params_get_int(p, "MaxAllocatedStorage", 0, 1 << 30, &max_storage, NULL, err) ||
        !params_get_int(p, "DnsTtl", -1000000, 1000000, &dns_ttl, NULL, err))
        return false;
    if (!has_storage)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter AllocatedStorage must be provided and must not be "
                          "blank.");
    const char *stype = params_get(p, "StorageType");
    if (!stype)
        stype = has_iops ? "io1" : "gp3";
    if (!validate_storage_type(stype, err) || !validate_allocated_storage(stype, storage, err) ||
        !validate_iops(stype, storage, has_iops, iops, err) || !validate_port(port, err) ||
        !validate_backup_retention(retention, err))
        return false;
    if (max_storage && max_storage < storage + (storage + 9) / 10)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid max storage size for engine name postgres and storage type "
                          "%s: %lld. It must be at least 10%% more than AllocatedStorage.",
                          stype, (long long)max_storage);
    if (dns_ttl < -1 || dns_ttl > DNS_TTL_MAX || (dns_ttl == -1 && params_get(p, "DnsTtl")))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "DnsTtl must be a whole number of seconds from 0 to %d.", DNS_TTL_MAX);
    bool multi_az = false, deletion_protection = false, encrypted = false;
    if (!params_get_bool(p, "MultiAZ", &multi_az, NULL, err) ||
        !params_get_bool(p, "DeletionProtection", &deletion_protection, NULL, err) ||
        !params_get_bool(p, "StorageEncrypted", &encrypted, NULL, err))
        return false;
    const char *az = params_get(p, "AvailabilityZone");
    if (az && multi_az)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Requesting a specific availability zone is not valid for Multi-AZ "
                          "instances.");
    if (multi_az && r->cfg.naz < 2)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Multi-AZ instances need at least two Availability Zones; this region "
                          "has %d.", r->cfg.naz);
    if (az && !region_has_az(r, az))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid availability zone: %s", az);
    const char *kms_ref = params_get(p, "KmsKeyId");
    if (kms_ref && !encrypted)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "KmsKeyId can only be given with StorageEncrypted.");
    const char *bw = params_get(p, "PreferredBackupWindow");
    const char *mw = params_get(p, "PreferredMaintenanceWindow");
    if ((bw && !validate_backup_window(bw, err)) || (mw && !validate_maintenance_window(mw, err)))
        return false;
    char *tags = merge_tags(p, NULL, err);
    if (!tags)
        return false;
    int64_t tag_ttl;
    cJSON *extra = cJSON_CreateObject();
    char *id = str_lower(xstrdup(idv));
    char *backup_window = bw ? xstrdup(bw) : default_backup_window();
    char *maint_window = mw ? xstrdup(mw) : default_maintenance_window();
    bool ok = false;
    if (!tag_dns_ttl(tags, &tag_ttl, err) || !read_extra(p, extra, err) ||
        !apply_log_exports(p, "EnableCloudwatchLogsExports", "member", true, extra, err) ||
        !instnet_read_create(r, p, az, multi_az, extra, err) ||
        !paramgroup_read_create(r, p, extra, err))
        goto done;
    if (dns_ttl < 0)
        dns_ttl = tag_ttl;
    if (!validate_windows_disjoint(backup_window, maint_window, err))
        goto done;

    if (!store_begin(r->st)) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        goto done;
    }
    store_instance old = {0};
    bool exists = false;
    store_instance_get(r->st, id, &old, &exists);
    store_instance_clear(&old);
    if (exists) {
        store_rollback(r->st);
        awserr_set(err, AWSERR_DB_INSTANCE_ALREADY_EXISTS, "DB instance already exists");
        goto done;
    }
    if (store_instance_count(r->st) >= REGION_INSTANCE_QUOTA) {
        store_rollback(r->st);
        awserr_set(err, AWSERR_INSTANCE_QUOTA_EXCEEDED,
                   "DB Instance quota exceeded: at most %d instances per region.",
                   REGION_INSTANCE_QUOTA);
        goto done;
    }
    char *resource = region_random_label(26);
    str_lower(resource);
    char *resource_id = xasprintf("db-%s", resource);
    free(resource);
    for (char *c = resource_id + 3; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    char *kms_arn = NULL;
    if (encrypted) {
        /* The key must exist and be usable now; the instance records its ARN. */
        kms_key key = {0};
        kms_err kerr = {0};
        if (!kms_key_describe(r->kms, kms_ref ? kms_ref : KMS_DEFAULT_RDS_ALIAS, &key, &kerr) ||
            key.state != KMS_KEY_ENABLED) {
            store_rollback(r->st);
            awserr_set(err, AWSERR_KMS_KEY_NOT_ACCESSIBLE, "The specified KMS key [%s] %s.",
                       kms_ref ? kms_ref : KMS_DEFAULT_RDS_ALIAS,
                       kerr.code != KMS_OK ? "does not exist or is not accessible"
                                           : "is not enabled");
            kms_key_clear(&key);
            free(resource_id);
            goto done;
        }
        kms_arn = xstrdup(key.arn);
        kms_key_clear(&key);
    }
    char *extra_json = json_text(extra);
    char *repl_password = multi_az ? region_random_label(24) : xstrdup("");
    store_instance in = {
        .id = id,
        .resource_id = resource_id,
        .status = STATUS_CREATING,
        .db_class = (char *)cls,
        .engine = (char *)"postgres",
        .engine_version = r->pg_version,
        .master_username = (char *)user,
        .master_password = (char *)pw,
        .db_name = (char *)dbname,
        .port = port,
        .allocated_storage = storage,
        .storage_type = (char *)stype,
        .iops = has_iops ? iops : 0,
        .max_allocated_storage = max_storage,
        .multi_az = multi_az,
        .az = (char *)az,
        .backup_retention = retention,
        .backup_window = backup_window,
        .maintenance_window = maint_window,
        .deletion_protection = deletion_protection,
        .storage_encrypted = encrypted,
        .kms_key_id = kms_arn,
        .dns_ttl = dns_ttl,
        .tags = tags,
        .pending = (char *)"{}",
        .extra = extra_json,
        .created_ms = region_now_ms(r),
        .ha_state = HA_NONE,
        .repl_password = repl_password,
    };
    ok = store_instance_insert(r->st, &in) && workflow_start(r, id, "create", NULL);
    if (ok)
        ok = commit_or_fail(r, err);
    else {
        store_rollback(r->st);
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    if (ok) {
        LOG_INFO("create accepted instance=%s class=%s storage=%lld", id, cls, (long long)storage);
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
    }
    free(resource_id);
    free(kms_arn);
    free(extra_json);
    free(repl_password);
done:
    free(id);
    free(tags);
    free(backup_window);
    free(maint_window);
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
            char *id = instance_id_from(f->ids[i]);
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

static bool read_max_records(const params *p, int64_t *max, awserr *err)
{
    bool present = false;
    *max = 100;
    if (!params_get_int(p, "MaxRecords", INT32_MIN, INT32_MAX, max, &present, err))
        return false;
    if (present && (*max < 20 || *max > 100))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value %lld for MaxRecords. Must be between 20 and 100",
                          (long long)*max);
    return true;
}

static bool action_describe_db_instances(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max;
    if (!read_max_records(p, &max, err))
        return false;
    const char *idv = params_get(p, "DBInstanceIdentifier");
    cJSON *list = cJSON_AddArrayToObject(result, "DBInstances");
    if (idv) {
        store_instance in = {0};
        if (!load_instance(r, p, "DBInstanceIdentifier", &in, err))
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

/* ---- ModifyDBInstance ---- */

static bool action_modify_db_instance(region *r, const params *p, cJSON *result, awserr *err)
{
    store_instance in = {0};
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = false;
    cJSON *pending = NULL, *extra = NULL;
    char *tags = NULL;
    if (!load_instance(r, p, "DBInstanceIdentifier", &in, err))
        goto done;
    pending = cJSON_Parse(in.pending ? in.pending : "{}");
    extra = cJSON_Parse(in.extra ? in.extra : "{}");
    if (!pending)
        pending = cJSON_CreateObject();
    if (!extra)
        extra = cJSON_CreateObject();
    bool now = false;
    if (!params_get_bool(p, "ApplyImmediately", &now, NULL, err))
        goto done;
    static const char *const unsupported[] = {"NewDBInstanceIdentifier",
                                              "MasterUserPassword", "EngineVersion",
                                              "DBPortNumber", NULL};
    for (int i = 0; unsupported[i]; i++)
        if (params_get(p, unsupported[i])) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                       "Modifying %s is not supported in this region yet.", unsupported[i]);
            goto done;
        }
    /* storage-full: RDS lets you add storage (controlplane/storage.h). */
    if (in.status != STATUS_AVAILABLE && in.status != STATUS_STORAGE_FULL) {
        awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                   "Instance %s is not in available state.", in.id);
        goto done;
    }
    bool changed = false, restart = false;
    cJSON *finish_events = cJSON_CreateArray();

    bool dp = false, has_dp = false;
    if (!params_get_bool(p, "DeletionProtection", &dp, &has_dp, err))
        goto done_events;
    if (has_dp) {
        in.deletion_protection = dp;
        changed = true;
    }
    int64_t ret = 0, storage = 0, iops = 0, max_storage = 0, dns_ttl = 0;
    bool has_ret = false, has_storage = false, has_iops = false, has_max = false, has_ttl = false;
    if (!params_get_int(p, "BackupRetentionPeriod", -1000, 1000, &ret, &has_ret, err) ||
        !params_get_int(p, "AllocatedStorage", 0, 1 << 30, &storage, &has_storage, err) ||
        !params_get_int(p, "Iops", 0, 1 << 30, &iops, &has_iops, err) ||
        !params_get_int(p, "MaxAllocatedStorage", 0, 1 << 30, &max_storage, &has_max, err) ||
        !params_get_int(p, "DnsTtl", -1000000, 1000000, &dns_ttl, &has_ttl, err))
        goto done_events;
    if (has_ret) {
        if (!validate_backup_retention(ret, err))
            goto done_events;
        /* 0 <-> non-zero means an outage in RDS and honours ApplyImmediately;
         * other changes take effect at once. */
        bool flips = (ret == 0) != (in.backup_retention == 0);
        if (now || !flips) {
            if (flips)
                events_emit(r, in.id, ret == 0 ? "RDS-EVENT-0028" : "RDS-EVENT-0032", NULL);
            in.backup_retention = ret;
        } else {
            cJSON_DeleteItemFromObject(pending, "BackupRetentionPeriod");
            cJSON_AddNumberToObject(pending, "BackupRetentionPeriod", (double)ret);
        }
        changed = true;
    }
    const char *stype = params_get(p, "StorageType");
    if (stype && !validate_storage_type(stype, err))
        goto done_events;
    if (has_storage || stype || has_iops) {
        const char *t = stype ? stype : in.storage_type;
        int64_t gib = has_storage ? storage : in.allocated_storage;
        bool iops_given = has_iops || (!stype && in.iops > 0);
        int64_t io = has_iops ? iops : in.iops;
        if (has_storage && storage < in.allocated_storage) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Invalid storage size for engine name postgres: allocated storage can't "
                       "be decreased (from %lld to %lld).",
                       (long long)in.allocated_storage, (long long)storage);
            goto done_events;
        }
        if (has_storage && storage != in.allocated_storage &&
            storage < in.allocated_storage + (in.allocated_storage + 9) / 10) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Invalid storage size: an increase must be at least 10%% (%lld GiB or "
                       "more).",
                       (long long)(in.allocated_storage + (in.allocated_storage + 9) / 10));
            goto done_events;
        }
        if (!validate_allocated_storage(t, gib, err) || !validate_iops(t, gib, iops_given, io, err))
            goto done_events;
        if (now) {
            if (has_storage && storage != in.allocated_storage) {
                events_emit(r, in.id, "RDS-EVENT-0018", NULL);
                events_emit(r, in.id, "RDS-EVENT-0017", NULL);
            }
            in.allocated_storage = gib;
            set_str(&in.storage_type, t);
            in.iops = iops_given ? io : 0;
        } else {
            if (has_storage) {
                cJSON_DeleteItemFromObject(pending, "AllocatedStorage");
                cJSON_AddNumberToObject(pending, "AllocatedStorage", (double)storage);
            }
            if (stype) {
                cJSON_DeleteItemFromObject(pending, "StorageType");
                cJSON_AddStringToObject(pending, "StorageType", stype);
            }
            if (has_iops) {
                cJSON_DeleteItemFromObject(pending, "Iops");
                cJSON_AddNumberToObject(pending, "Iops", (double)iops);
            }
        }
        changed = true;
    }
    if (has_max) {
        if (max_storage && max_storage < in.allocated_storage + (in.allocated_storage + 9) / 10) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Invalid max storage size for engine name postgres: %lld. It must be at "
                       "least 10%% more than AllocatedStorage.",
                       (long long)max_storage);
            goto done_events;
        }
        in.max_allocated_storage = max_storage;
        changed = true;
    }
    if (has_ttl) {
        if (dns_ttl < 0 || dns_ttl > DNS_TTL_MAX) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "DnsTtl must be a whole number of seconds from 0 to %d.", DNS_TTL_MAX);
            goto done_events;
        }
        in.dns_ttl = dns_ttl;
        changed = true;
    }
    const char *bw = params_get(p, "PreferredBackupWindow");
    const char *mw = params_get(p, "PreferredMaintenanceWindow");
    if ((bw && !validate_backup_window(bw, err)) || (mw && !validate_maintenance_window(mw, err)))
        goto done_events;
    if (bw || mw) {
        if (!validate_windows_disjoint(bw ? bw : in.backup_window,
                                       mw ? mw : in.maintenance_window, err))
            goto done_events;
        if (bw)
            set_str(&in.backup_window, bw);
        if (mw)
            set_str(&in.maintenance_window, mw);
        changed = true;
    }
    if (params_get(p, "MonitoringInterval") || params_get(p, "MonitoringRoleArn") ||
        params_get(p, "AutoMinorVersionUpgrade") || params_get(p, "CopyTagsToSnapshot") ||
        params_get(p, "PubliclyAccessible")) {
        int old_interval = monitoring_interval(&in);
        if (!read_extra(p, extra, err))
            goto done_events;
        const cJSON *mi = cJSON_GetObjectItemCaseSensitive(extra, "MonitoringInterval");
        int new_interval = cJSON_IsNumber(mi) ? mi->valueint : 0;
        if (new_interval != old_interval) {
            /* Applied at once: the agent reads it from its next telemetry reply. */
            char msg[64];
            snprintf(msg, sizeof msg, "Monitoring Interval changed to %d.", new_interval);
            events_emit(r, in.id, "RDS-EVENT-0078", msg);
        }
        changed = true;
    }
    if (params_get(p, "CloudwatchLogsExportConfiguration.EnableLogTypes.member.1") ||
        params_get(p, "CloudwatchLogsExportConfiguration.DisableLogTypes.member.1")) {
        if (!apply_log_exports(p, "CloudwatchLogsExportConfiguration.EnableLogTypes", "member",
                               true, extra, err) ||
            !apply_log_exports(p, "CloudwatchLogsExportConfiguration.DisableLogTypes", "member",
                               false, extra, err))
            goto done_events;
        changed = true;
    }
    if (!instnet_read_modify(r, p, &in, extra, &changed, err) ||
        !paramgroup_read_modify(r, p, extra, &changed, err))
        goto done_events;
    const char *cls = params_get(p, "DBInstanceClass");
    if (cls) {
        if (!validate_db_instance_class(cls, err))
            goto done_events;
        if (strcmp(cls, in.db_class) != 0) {
            /* Applied by maint_begin below when now (maint.h). */
            cJSON_DeleteItemFromObject(pending, "DBInstanceClass");
            cJSON_AddStringToObject(pending, "DBInstanceClass", cls);
            restart = now;
        } else {
            cJSON_DeleteItemFromObject(pending, "DBInstanceClass");
        }
        changed = true;
    }
    bool maz = false, has_maz = false, convert = false;
    if (!params_get_bool(p, "MultiAZ", &maz, &has_maz, err))
        goto done_events;
    if (has_maz && maz != in.multi_az) {
        if (!maz) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                       "Converting a Multi-AZ instance to Single-AZ is not supported in this "
                       "region yet.");
            goto done_events;
        }
        if (r->cfg.naz < 2) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                       "Multi-AZ instances need at least two Availability Zones.");
            goto done_events;
        }
        if (restart) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                       "Change the instance class and Multi-AZ in separate requests here.");
            goto done_events;
        }
        if (now) {
            /* No downtime: a standby is built from the running primary. */
            events_emit(r, in.id, "RDS-EVENT-0024", NULL);
            cJSON_AddItemToArray(finish_events, cJSON_CreateString("RDS-EVENT-0025"));
            cJSON_DeleteItemFromObject(pending, "MultiAZ");
            cJSON_AddBoolToObject(pending, "MultiAZ", true);
            convert = true;
        } else {
            cJSON_DeleteItemFromObject(pending, "MultiAZ");
            cJSON_AddBoolToObject(pending, "MultiAZ", true);
        }
        changed = true;
    } else if (has_maz) {
        changed = true;
    }
    if (!changed) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION, "No modifications were requested");
        goto done_events;
    }
    /* ApplyImmediately applies every pending value, queued ones too. */
    if (now && !maint_begin(r, &in, pending, NULL, !convert, err))
        goto done_events;
    set_str(&in.pending, NULL);
    in.pending = json_text(pending);
    free(in.extra);
    in.extra = json_text(extra);
    if (convert) {
        lifecycle_apply(in.id, &in.status, STATUS_MODIFYING);
        cJSON *data = cJSON_CreateObject();
        cJSON_AddBoolToObject(data, "multi_az", true);
        cJSON_AddItemToObject(data, "finish_events", cJSON_Duplicate(finish_events, true));
        bool started = workflow_start(r, in.id, "convert", data);
        cJSON_Delete(data);
        if (!started) {
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
            goto done_events;
        }
    }
    if (!store_instance_update(r->st, &in)) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto done_events;
    }
    ok = commit_or_fail(r, err);
    if (ok)
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
done_events:
    cJSON_Delete(finish_events);
done:
    if (!ok)
        store_rollback(r->st);
    cJSON_Delete(pending);
    cJSON_Delete(extra);
    free(tags);
    store_instance_clear(&in);
    return ok;
}

/* ---- DeleteDBInstance ---- */

static bool action_delete_db_instance(region *r, const params *p, cJSON *result, awserr *err)
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
    if (!load_instance(r, p, "DBInstanceIdentifier", &in, err))
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
    if (!lifecycle_apply(in.id, &in.status, STATUS_DELETING) ||
        !store_instance_update(r->st, &in) || !workflow_start(r, in.id, "delete", wdata)) {
        cJSON_Delete(wdata);
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto done;
    }
    cJSON_Delete(wdata);
    ok = commit_or_fail(r, err);
    if (ok)
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
done:
    if (!ok)
        store_rollback(r->st);
    store_instance_clear(&in);
    return ok;
}

/* ---- RebootDBInstance ---- */

static bool action_reboot_db_instance(region *r, const params *p, cJSON *result, awserr *err)
{
    bool force = false;
    if (!params_get_bool(p, "ForceFailover", &force, NULL, err))
        return false;
    store_instance in = {0};
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = false;
    if (!load_instance(r, p, "DBInstanceIdentifier", &in, err))
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
        /* A planned failover: only to a synchronous standby (ha.h). */
        store_node *nodes = NULL;
        int n = store_node_list(r->st, in.id, NULL, &nodes);
        const char *standby = NULL;
        for (int i = 0; i < n; i++)
            if (nodes[i].role == ROLE_STANDBY && nodes[i].goal == GOAL_RUNNING)
                standby = nodes[i].id;
        if (in.ha_state != HA_HEALTHY || !standby || !in.primary_node) {
            awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                       "Instance %s cannot fail over now: its standby is not in sync (%s).",
                       in.id, ha_state_name(in.ha_state));
            store_node_list_free(nodes, n < 0 ? 0 : n);
            cJSON_Delete(data);
            goto done;
        }
        cJSON_AddStringToObject(data, "old", in.primary_node);
        cJSON_AddStringToObject(data, "new", standby);
        cJSON_AddBoolToObject(data, "forced", true);
        store_node_list_free(nodes, n < 0 ? 0 : n);
        started = lifecycle_apply(in.id, &in.status, STATUS_REBOOTING) &&
                  ha_apply(in.id, &in.ha_state, HA_FAILING_OVER) &&
                  events_emit(r, in.id, "RDS-EVENT-0013", NULL) &&
                  store_instance_update(r->st, &in) && workflow_start(r, in.id, "switchover", data);
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
    ok = commit_or_fail(r, err);
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
    bool ok = load_instance(r, p, "DBInstanceIdentifier", &in, err) &&
              (stop ? stopstart_begin_stop(r, &in, err)
                    : stopstart_begin_start(r, &in, false, err)) &&
              commit_or_fail(r, err);
    if (ok)
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
    else
        store_rollback(r->st);
    store_instance_clear(&in);
    return ok;
}

static bool action_stop_db_instance(region *r, const params *p, cJSON *result, awserr *err)
{
    return stop_or_start(r, p, result, err, true);
}

static bool action_start_db_instance(region *r, const params *p, cJSON *result, awserr *err)
{
    return stop_or_start(r, p, result, err, false);
}

/* ---- engine versions and orderable options ---- */

static bool action_describe_db_engine_versions(region *r, const params *p, cJSON *result,
                                               awserr *err)
{
    int64_t max;
    if (!read_max_records(p, &max, err))
        return false;
    const char *engine = params_get(p, "Engine");
    const char *ver = params_get(p, "EngineVersion");
    const char *family = params_get(p, "DBParameterGroupFamily");
    char *fam = xasprintf("postgres%s", r->pg_major);
    cJSON *list = cJSON_AddArrayToObject(result, "DBEngineVersions");
    bool match = (!engine || strcmp(engine, "postgres") == 0) &&
                 (!ver || strcmp(ver, r->pg_version) == 0 || strcmp(ver, r->pg_major) == 0) &&
                 (!family || strcmp(family, fam) == 0);
    if (match) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "Engine", "postgres");
        cJSON_AddStringToObject(v, "EngineVersion", r->pg_version);
        cJSON_AddStringToObject(v, "DBParameterGroupFamily", fam);
        cJSON_AddStringToObject(v, "DBEngineDescription", "PostgreSQL");
        char *desc = xasprintf("PostgreSQL %s-R1", r->pg_version);
        cJSON_AddStringToObject(v, "DBEngineVersionDescription", desc);
        free(desc);
        cJSON_AddItemToObject(v, "ValidUpgradeTarget", cJSON_CreateArray());
        cJSON *logs = cJSON_AddArrayToObject(v, "ExportableLogTypes");
        cJSON_AddItemToArray(logs, cJSON_CreateString("postgresql"));
        cJSON_AddItemToArray(logs, cJSON_CreateString("upgrade"));
        cJSON_AddBoolToObject(v, "SupportsLogExportsToCloudwatchLogs", true);
        cJSON_AddBoolToObject(v, "SupportsReadReplica", false);
        cJSON_AddStringToObject(v, "Status", "available");
        cJSON_AddItemToArray(list, v);
    }
    free(fam);
    return true;
}

static bool action_describe_orderable(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *engine = params_require(p, "Engine", err);
    if (!engine)
        return false;
    int64_t max;
    if (!read_max_records(p, &max, err))
        return false;
    const char *want_cls = params_get(p, "DBInstanceClass");
    const char *ver = params_get(p, "EngineVersion");
    cJSON *list = cJSON_AddArrayToObject(result, "OrderableDBInstanceOptions");
    if (strcmp(engine, "postgres") != 0 ||
        (ver && strcmp(ver, r->pg_version) != 0 && strcmp(ver, r->pg_major) != 0))
        return true;
    static const struct {
        const char *type;
        int min, max;
    } storage[] = {{"gp2", 20, 65536}, {"gp3", 20, 65536}, {"io1", 100, 65536}};
    const char *const *classes = validate_class_list();
    const char *marker = params_get(p, "Marker");
    int64_t skip = 0;
    if (marker && !str_to_int64(marker, 0, 1000000, &skip))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid Marker: %s", marker);
    int64_t index = 0, count = 0;
    for (int c = 0; classes[c]; c++) {
        if (want_cls && strcmp(want_cls, classes[c]) != 0)
            continue;
        for (size_t s = 0; s < sizeof storage / sizeof storage[0]; s++, index++) {
            if (index < skip)
                continue;
            if (count == max) {
                char buf[24];
                snprintf(buf, sizeof buf, "%lld", (long long)index);
                cJSON_AddStringToObject(result, "Marker", buf);
                return true;
            }
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "Engine", "postgres");
            cJSON_AddStringToObject(o, "EngineVersion", r->pg_version);
            cJSON_AddStringToObject(o, "DBInstanceClass", classes[c]);
            cJSON_AddStringToObject(o, "LicenseModel", "postgresql-license");
            cJSON *azs = cJSON_AddArrayToObject(o, "AvailabilityZones");
            for (int a = 0; a < r->cfg.naz; a++) {
                cJSON *az = cJSON_CreateObject();
                cJSON_AddStringToObject(az, "Name", r->cfg.azs[a]);
                cJSON_AddItemToArray(azs, az);
            }
            cJSON_AddBoolToObject(o, "MultiAZCapable", r->cfg.naz > 1);
            cJSON_AddBoolToObject(o, "ReadReplicaCapable", false);
            cJSON_AddBoolToObject(o, "Vpc", true);
            cJSON_AddBoolToObject(o, "SupportsStorageEncryption", true);
            cJSON_AddStringToObject(o, "StorageType", storage[s].type);
            cJSON_AddBoolToObject(o, "SupportsIops", strcmp(storage[s].type, "gp2") != 0);
            cJSON_AddNumberToObject(o, "MinStorageSize", storage[s].min);
            cJSON_AddNumberToObject(o, "MaxStorageSize", storage[s].max);
            cJSON_AddBoolToObject(o, "SupportsEnhancedMonitoring", true);
            cJSON_AddBoolToObject(o, "SupportsPerformanceInsights", false);
            cJSON_AddItemToArray(list, o);
            count++;
        }
    }
    return true;
}

/* ---- DescribeEvents ---- */

static bool action_describe_events(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max;
    if (!read_max_records(p, &max, err))
        return false;
    const char *source_id = params_get(p, "SourceIdentifier");
    const char *source_type = params_get(p, "SourceType");
    if (source_id && !source_type)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Cannot specify SourceIdentifier without specifying SourceType.");
    if (source_type && strcmp(source_type, "db-instance") != 0 &&
        strcmp(source_type, "db-parameter-group") != 0 &&
        strcmp(source_type, "db-security-group") != 0 && strcmp(source_type, "db-snapshot") != 0 &&
        strcmp(source_type, "db-cluster") != 0 && strcmp(source_type, "db-cluster-snapshot") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid source type: %s",
                          source_type);
    int64_t now = region_now_ms(r), start = 0, end = now, duration = 0;
    bool has_dur = false;
    if (!params_get_int(p, "Duration", 0, 1 << 30, &duration, &has_dur, err))
        return false;
    const char *st = params_get(p, "StartTime"), *et = params_get(p, "EndTime");
    if (st && !rclock_parse(st, &start))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid StartTime: %s", st);
    if (et && !rclock_parse(et, &end))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid EndTime: %s", et);
    if (!st)
        start = (et ? end : now) - (has_dur ? duration : 60) * 60000;
    if (st && has_dur && !et)
        end = start + duration * 60000;
    /* Events are kept for 14 days, as RDS keeps them. */
    if (start < now - 14LL * 86400000)
        start = now - 14LL * 86400000;
    const char **cats = NULL;
    int ncats = params_get_list(p, "EventCategories", "EventCategory", &cats, err);
    if (ncats < 0)
        return false;
    const char *marker = params_get(p, "Marker");
    int64_t after = 0;
    if (marker && !str_to_int64(marker, 0, INT64_MAX, &after)) {
        free(cats);
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid Marker: %s", marker);
    }
    char *sid = source_id ? instance_id_from(source_id) : NULL;
    cJSON *list = cJSON_AddArrayToObject(result, "Events");
    int count = 0;
    bool more = true;
    while (more && count <= max) {
        store_event *evs = NULL;
        int n = store_event_list(r->st, sid, source_type, start, end, after, 200, &evs);
        if (n < 0)
            break;
        more = n == 200;
        for (int i = 0; i < n; i++) {
            cJSON *ec = cJSON_Parse(evs[i].categories);
            bool match = ncats == 0;
            const cJSON *c;
            for (int k = 0; k < ncats && !match; k++)
                cJSON_ArrayForEach(c, ec)
                    if (cJSON_IsString(c) && strcmp(c->valuestring, cats[k]) == 0)
                        match = true;
            if (match && count == max) {
                char buf[24];
                snprintf(buf, sizeof buf, "%lld", (long long)after);
                cJSON_AddStringToObject(result, "Marker", buf);
                cJSON_Delete(ec);
                more = false;
                count++;
                break;
            }
            after = evs[i].id;
            if (match) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "SourceIdentifier", evs[i].source_id);
                cJSON_AddStringToObject(e, "SourceType", evs[i].source_type);
                cJSON_AddStringToObject(e, "Message", evs[i].message);
                cJSON_AddItemToObject(e, "EventCategories", ec ? ec : cJSON_CreateArray());
                ec = NULL;
                char buf[40];
                cJSON_AddStringToObject(e, "Date", rclock_format(evs[i].date_ms, buf, sizeof buf));
                cJSON_AddStringToObject(e, "SourceArn", evs[i].source_arn);
                cJSON_AddItemToArray(list, e);
                count++;
            }
            cJSON_Delete(ec);
        }
        store_event_list_free(evs, n);
    }
    free(sid);
    free(cats);
    return true;
}

static bool action_describe_event_categories(region *r, const params *p, cJSON *result,
                                             awserr *err)
{
    (void)r;
    const char *type = params_get(p, "SourceType");
    if (type && strcmp(type, "db-instance") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Only the db-instance source type has event categories here.");
    cJSON *list = cJSON_AddArrayToObject(result, "EventCategoriesMapList");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "SourceType", "db-instance");
    cJSON *cats = cJSON_AddArrayToObject(m, "EventCategories");
    for (int i = 0; events_categories[i]; i++)
        cJSON_AddItemToArray(cats, cJSON_CreateString(events_categories[i]));
    cJSON_AddItemToArray(list, m);
    return true;
}

/* ---- tags ---- */

static bool tags_target(region *r, const params *p, store_instance *in, awserr *err)
{
    const char *arn = params_require(p, "ResourceName", err);
    if (!arn)
        return false;
    char *prefix = xasprintf("arn:aws:rds:%s:%s:db:", r->cfg.name, r->cfg.account);
    bool ok = strncmp(arn, prefix, strlen(prefix)) == 0;
    free(prefix);
    if (!ok)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The specified resource name does not match an RDS resource in this "
                          "region: %s", arn);
    bool found = false;
    char *id = instance_id_from(arn);
    store_instance_get(r->st, id, in, &found);
    if (!found)
        awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
    free(id);
    return found;
}

static bool action_list_tags(region *r, const params *p, cJSON *result, awserr *err)
{
    store_instance in = {0};
    if (!tags_target(r, p, &in, err))
        return false;
    cJSON *tags = cJSON_Parse(in.tags ? in.tags : "[]");
    cJSON_AddItemToObject(result, "TagList", tags ? tags : cJSON_CreateArray());
    store_instance_clear(&in);
    return true;
}

/* Add or remove tags; rdsim:dns-ttl is applied to the endpoint at once. */
static bool tags_change(region *r, const params *p, bool add, awserr *err)
{
    store_instance in = {0};
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = false;
    char *tags = NULL;
    if (!tags_target(r, p, &in, err))
        goto done;
    if (add) {
        if (params_count_structs(p, "Tags", "Tag", err) <= 0) {
            if (err->code == AWSERR_NONE)
                awserr_set(err, AWSERR_MISSING_PARAMETER,
                           "The parameter Tags must be provided and must not be blank.");
            goto done;
        }
        tags = merge_tags(p, in.tags, err);
    } else {
        const char **keys = NULL;
        int n = params_get_list(p, "TagKeys", "member", &keys, err);
        if (n < 0)
            goto done;
        cJSON *arr = cJSON_Parse(in.tags ? in.tags : "[]");
        for (int i = 0; i < n; i++) {
            int idx = 0;
            const cJSON *t;
            cJSON_ArrayForEach(t, arr) {
                const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
                if (cJSON_IsString(k) && strcmp(k->valuestring, keys[i]) == 0) {
                    cJSON_DeleteItemFromArray(arr, idx);
                    break;
                }
                idx++;
            }
        }
        free(keys);
        tags = cJSON_PrintUnformatted(arr);
        cJSON_Delete(arr);
    }
    int64_t old_tag_ttl = -1, new_tag_ttl = -1;
    awserr ignore = {0};
    tag_dns_ttl(in.tags, &old_tag_ttl, &ignore);
    if (!tags || !tag_dns_ttl(tags, &new_tag_ttl, err))
        goto done;
    /* The tag drives the TTL for clients that cannot pass --dns-ttl. */
    if (new_tag_ttl != old_tag_ttl)
        in.dns_ttl = new_tag_ttl;
    set_str(&in.tags, tags);
    ok = store_instance_update(r->st, &in) && commit_or_fail(r, err);
done:
    if (!ok)
        store_rollback(r->st);
    free(tags);
    store_instance_clear(&in);
    return ok;
}

static bool action_add_tags(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    return tags_change(r, p, true, err);
}

static bool action_remove_tags(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    return tags_change(r, p, false, err);
}

/* ---- the table ---- */

static const action_def action_table[] = {
    {"CreateDBInstance", action_create_db_instance, true},
    {"DescribeDBInstances", action_describe_db_instances, false},
    {"ModifyDBInstance", action_modify_db_instance, true},
    {"DeleteDBInstance", action_delete_db_instance, true},
    {"RebootDBInstance", action_reboot_db_instance, true},
    {"StopDBInstance", action_stop_db_instance, true},
    {"StartDBInstance", action_start_db_instance, true},
    {"DescribePendingMaintenanceActions", maint_action_describe, false},
    {"ApplyPendingMaintenanceAction", maint_action_apply, true},
    {"DescribeDBEngineVersions", action_describe_db_engine_versions, false},
    {"DescribeOrderableDBInstanceOptions", action_describe_orderable, false},
    {"DescribeEvents", action_describe_events, false},
    {"DescribeEventCategories", action_describe_event_categories, false},
    {"CreateEventSubscription", evsub_action_create, false},
    {"DescribeEventSubscriptions", evsub_action_describe, false},
    {"ModifyEventSubscription", evsub_action_modify, false},
    {"DeleteEventSubscription", evsub_action_delete, false},
    {"AddSourceIdentifierToSubscription", evsub_action_add_source, false},
    {"RemoveSourceIdentifierFromSubscription", evsub_action_remove_source, false},
    {"ListTagsForResource", action_list_tags, false},
    {"AddTagsToResource", action_add_tags, true},
    {"RemoveTagsFromResource", action_remove_tags, true},
    {"DescribeDBLogFiles", logfiles_action_describe, false},
    {"DownloadDBLogFilePortion", logfiles_action_download, false},
    {"DescribeEnhancedMonitoring", monitoring_action_describe, false}, /* rdsim */
    {"DescribeRegionClock", clock_action_describe, false}, /* rdsim */
    {"AdvanceRegionClock", clock_action_advance, true},    /* rdsim */
    {"CreateDBSubnetGroup", subnetgroup_action_create, true},
    {"DescribeDBSubnetGroups", subnetgroup_action_describe, false},
    {"ModifyDBSubnetGroup", subnetgroup_action_modify, true},
    {"DeleteDBSubnetGroup", subnetgroup_action_delete, true},
    {"CreateDBSnapshot", snapshot_action_create, true},
    {"DescribeDBSnapshots", snapshot_action_describe, false},
    {"DeleteDBSnapshot", snapshot_action_delete, true},
    {"CopyDBSnapshot", snapshot_action_copy, true},
    {"RestoreDBInstanceFromDBSnapshot", snapshot_action_restore, true},
    {"RestoreDBInstanceToPointInTime", autobackup_action_restore, true},
    {"DescribeDBInstanceAutomatedBackups", autobackup_action_describe, false},
    {"DeleteDBInstanceAutomatedBackup", autobackup_action_delete, true},
    {"CreateDBParameterGroup", paramgroup_action_create, false},
    {"DescribeDBParameterGroups", paramgroup_action_describe, false},
    {"ModifyDBParameterGroup", paramgroup_action_modify, false},
    {"ResetDBParameterGroup", paramgroup_action_reset, false},
    {"DeleteDBParameterGroup", paramgroup_action_delete, false},
    {"DescribeDBParameters", paramgroup_action_describe_parameters, false},
    {"DescribeEngineDefaultParameters", paramgroup_action_engine_defaults, false},
};

const action_def *actions_find(const char *name)
{
    for (size_t i = 0; i < sizeof action_table / sizeof action_table[0]; i++)
        if (strcmp(action_table[i].name, name) == 0)
            return &action_table[i];
    return NULL;
}
