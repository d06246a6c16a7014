/* discovery: see discovery.h. */
#include "controlplane/api/discovery.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/api/instparams.h"
#include "controlplane/core/quotas.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/core/validate.h"
#include "lib/util.h"

/* ---- DescribeAccountAttributes ---- */

/* Each quota by RDS's name, its limit, and the query that counts its use
 * (the same rows the module enforcing it counts). */
static const struct {
    const char *name;
    long long max;
    const char *used_sql;
} quotas[] = {
    {"DBInstances", QUOTA_DB_INSTANCES, "SELECT count(*) FROM instances"},
    {"AllocatedStorage", QUOTA_ALLOCATED_STORAGE_GIB,
     "SELECT coalesce(sum(allocated_storage), 0) FROM instances"},
    {"ManualSnapshots", QUOTA_MANUAL_SNAPSHOTS, "SELECT count(*) FROM db_snapshots"},
    {"DBParameterGroups", QUOTA_DB_PARAMETER_GROUPS, "SELECT count(*) FROM db_parameter_groups"},
    {"DBSubnetGroups", QUOTA_DB_SUBNET_GROUPS,
     "SELECT count(*) FROM network_objects WHERE kind = 'dbsubnetgroup'"},
    {"SubnetsPerDBSubnetGroup", QUOTA_SUBNETS_PER_DB_SUBNET_GROUP,
     "SELECT coalesce(max(json_array_length(doc, '$.SubnetIds')), 0) FROM network_objects "
     "WHERE kind = 'dbsubnetgroup'"},
    {"EventSubscriptions", QUOTA_EVENT_SUBSCRIPTIONS, "SELECT count(*) FROM event_subscriptions"},
    {"OptionGroups", QUOTA_OPTION_GROUPS, "SELECT 0"},
};

bool discovery_action_account_attributes(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)p;
    cJSON *list = cJSON_AddArrayToObject(result, "AccountQuotas");
    for (size_t i = 0; i < sizeof quotas / sizeof quotas[0]; i++) {
        sqlite3_stmt *st = sqlrow_prepare(r->st, quotas[i].used_sql);
        if (!st || sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_finalize(st);
            return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        }
        cJSON *q = cJSON_CreateObject();
        cJSON_AddStringToObject(q, "AccountQuotaName", quotas[i].name);
        cJSON_AddNumberToObject(q, "Used", (double)sqlite3_column_int64(st, 0));
        cJSON_AddNumberToObject(q, "Max", (double)quotas[i].max);
        cJSON_AddItemToArray(list, q);
        sqlite3_finalize(st);
    }
    return true;
}

/* ---- option groups ---- */

static char *default_og(region *r)
{
    return xasprintf("default:postgres-%s", r->pg_major);
}

bool discovery_option_group_exists(region *r, const char *name)
{
    char *d = default_og(r);
    bool yes = strcmp(d, name) == 0;
    free(d);
    return yes;
}

/* EngineName and MajorEngineVersion as both option-group calls read them:
 * true when they select this region's engine (absent selects it). */
static bool engine_selected(region *r, const params *p)
{
    const char *engine = params_get(p, "EngineName");
    const char *major = params_get(p, "MajorEngineVersion");
    return (!engine || strcmp(engine, "postgres") == 0) &&
           (!major || strcmp(major, r->pg_major) == 0);
}

bool discovery_action_option_groups(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max, off;
    if (!params_get_paging(p, &max, &off, err))
        return false;
    const char *name = params_get(p, "OptionGroupName");
    const char *major = params_get(p, "MajorEngineVersion");
    if (major && !params_get(p, "EngineName"))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "If MajorEngineVersion is supplied, EngineName must also be supplied.");
    char *dname = default_og(r);
    char *lname = name ? str_lower(xstrdup(name)) : NULL;
    bool ok = true;
    if (lname && strcmp(lname, dname) != 0)
        ok = awserr_set(err, AWSERR_OPTION_GROUP_NOT_FOUND,
                        "Specified OptionGroupName: %s not found.", name);
    cJSON *list = ok ? cJSON_AddArrayToObject(result, "OptionGroupsList") : NULL;
    if (ok && off == 0 && engine_selected(r, p)) {
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "OptionGroupName", dname);
        char *desc = xasprintf("Default option group for postgres %s", r->pg_major);
        cJSON_AddStringToObject(g, "OptionGroupDescription", desc);
        free(desc);
        cJSON_AddStringToObject(g, "EngineName", "postgres");
        cJSON_AddStringToObject(g, "MajorEngineVersion", r->pg_major);
        cJSON_AddItemToObject(g, "Options", cJSON_CreateArray());
        cJSON_AddBoolToObject(g, "AllowsVpcAndNonVpcInstanceMemberships", true);
        char *arn = xasprintf("arn:aws:rds:%s:%s:og:%s", r->cfg.name, r->cfg.account, dname);
        cJSON_AddStringToObject(g, "OptionGroupArn", arn);
        free(arn);
        cJSON_AddItemToArray(list, g);
    }
    free(dname);
    free(lname);
    return ok;
}

bool discovery_action_option_group_options(region *r, const params *p, cJSON *result,
                                           awserr *err)
{
    (void)r;
    if (!params_require(p, "EngineName", err))
        return false;
    int64_t max, off;
    if (!params_get_paging(p, &max, &off, err))
        return false;
    /* RDS for PostgreSQL offers no options (every engine major version). */
    cJSON_AddItemToObject(result, "OptionGroupOptions", cJSON_CreateArray());
    return true;
}

/* ---- DescribeValidDBInstanceModifications ---- */

static cJSON *range(int64_t from, int64_t to, int64_t step)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "From", (double)from);
    cJSON_AddNumberToObject(o, "To", (double)to);
    cJSON_AddNumberToObject(o, "Step", (double)step);
    return o;
}

bool discovery_action_valid_modifications(region *r, const params *p, cJSON *result,
                                          awserr *err)
{
    store_instance in = {0};
    if (!instparams_load(r, p, "DBInstanceIdentifier", &in, err))
        return false;
    cJSON *msg = cJSON_AddObjectToObject(result, "ValidDBInstanceModificationsMessage");
    cJSON *storage = cJSON_AddArrayToObject(msg, "Storage");
    const char *type;
    int64_t min, max;
    for (size_t i = 0; validate_storage_type_at(i, &type, &min, &max); i++) {
        /* Storage only grows (ModifyDBInstance refuses a smaller size). */
        int64_t from = in.allocated_storage > min ? in.allocated_storage : min;
        if (from > max)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "StorageType", type);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "StorageSize"), range(from, max, 1));
        cJSON *iops = cJSON_AddArrayToObject(o, "ProvisionedIops");
        if (strcmp(type, "io1") == 0 || strcmp(type, "io2") == 0) {
            cJSON_AddItemToArray(iops, range(1000, 256000, 1));
            cJSON *ratio = cJSON_AddArrayToObject(o, "IopsToStorageRatio");
            cJSON *d = cJSON_CreateObject();
            cJSON_AddNumberToObject(d, "From", 0.5);
            cJSON_AddNumberToObject(d, "To", 50);
            cJSON_AddItemToArray(ratio, d);
        }
        cJSON_AddBoolToObject(o, "SupportsStorageAutoscaling", true);
        cJSON_AddItemToArray(storage, o);
    }
    cJSON_AddItemToObject(msg, "ValidProcessorFeatures", cJSON_CreateArray());
    cJSON_AddBoolToObject(msg, "SupportsDedicatedLogVolume", false);
    store_instance_clear(&in);
    return true;
}
