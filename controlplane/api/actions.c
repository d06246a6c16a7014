/* actions: see actions.h. The RDS action table, and the small handlers
 * that belong to no resource of their own: engine versions, orderable
 * instance options, events and their categories. The handlers of each
 * resource live with it: api/instances.h (DBInstance), api/tags.h, and
 * the modules named in the table. */
#include "controlplane/api/actions.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/api/certs.h"
#include "controlplane/api/clock.h"
#include "controlplane/api/discovery.h"
#include "controlplane/api/instances.h"
#include "controlplane/api/restores.h"
#include "controlplane/api/tags.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/core/tlsca.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/clusterapi.h"
#include "controlplane/domain/clusterpg.h"
#include "controlplane/domain/clusterpitr.h"
#include "controlplane/domain/clustersnap.h"
#include "controlplane/domain/autobackup.h"
#include "controlplane/domain/logfiles.h"
#include "controlplane/domain/maint.h"
#include "controlplane/domain/monitoring.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/domain/snapattr.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/net/subnetgroup.h"
#include "controlplane/notify/events.h"
#include "controlplane/notify/evsub.h"
#include "lib/rclock.h"
#include "lib/util.h"

/* ---- engine versions and orderable options ---- */

static bool action_describe_db_engine_versions(region *r, const params *p, cJSON *result,
                                               awserr *err)
{
    int64_t max;
    if (!params_get_paging(p, &max, NULL, err))
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
        cJSON_AddBoolToObject(v, "SupportsReadReplica", true);
        /* TLS (core/tlsca.h): the region's CAs; a new certificate is
         * reloaded by PostgreSQL, no restart. */
        cJSON *cas = cJSON_AddArrayToObject(v, "SupportedCACertificateIdentifiers");
        for (size_t k = 0; r->tls && k < tlsca_count(r->tls); k++)
            cJSON_AddItemToArray(cas, cJSON_CreateString(tlsca_at(r->tls, k)->id));
        cJSON_AddBoolToObject(v, "SupportsCertificateRotationWithoutRestart", true);
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
    if (!params_get_paging(p, &max, NULL, err))
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
    int64_t skip = 0;
    if (!params_get_marker_offset(p, &skip, err))
        return false;
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
            cJSON_AddBoolToObject(o, "ReadReplicaCapable", true);
            cJSON_AddBoolToObject(o, "Vpc", true);
            cJSON_AddBoolToObject(o, "SupportsStorageEncryption", true);
            cJSON_AddStringToObject(o, "StorageType", storage[s].type);
            cJSON_AddBoolToObject(o, "SupportsIops", strcmp(storage[s].type, "gp2") != 0);
            cJSON_AddNumberToObject(o, "MinStorageSize", storage[s].min);
            cJSON_AddNumberToObject(o, "MaxStorageSize", storage[s].max);
            cJSON_AddBoolToObject(o, "SupportsEnhancedMonitoring", true);
            cJSON_AddBoolToObject(o, "SupportsPerformanceInsights", true);
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
    if (!params_get_paging(p, &max, NULL, err))
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
    int64_t after = 0;
    if (!params_get_marker_offset(p, &after, err)) {
        free(cats);
        return false;
    }
    char *sid = source_id ? region_instance_id_from(source_id) : NULL;
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


/* ---- the table ---- */

static const action_def action_table[] = {
    {"CreateDBInstance", instances_action_create, true},
    {"DescribeDBInstances", instances_action_describe, false},
    {"ModifyDBInstance", instances_action_modify, true},
    {"DeleteDBInstance", instances_action_delete, true},
    {"RebootDBInstance", instances_action_reboot, true},
    {"StopDBInstance", instances_action_stop, true},
    {"StartDBInstance", instances_action_start, true},
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
    {"ListTagsForResource", tags_action_list, false},
    {"AddTagsToResource", tags_action_add, true},
    {"RemoveTagsFromResource", tags_action_remove, true},
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
    {"RestoreDBInstanceFromDBSnapshot", restores_action_from_snapshot, true},
    {"RestoreDBInstanceToPointInTime", restores_action_to_point_in_time, true},
    {"CreateDBInstanceReadReplica", restores_action_read_replica, true},
    {"PromoteReadReplica", restores_action_promote, true},
    {"DescribeDBInstanceAutomatedBackups", autobackup_action_describe, false},
    {"DeleteDBInstanceAutomatedBackup", autobackup_action_delete, true},
    {"CreateDBParameterGroup", paramgroup_action_create, false},
    {"DescribeDBParameterGroups", paramgroup_action_describe, false},
    {"ModifyDBParameterGroup", paramgroup_action_modify, false},
    {"ResetDBParameterGroup", paramgroup_action_reset, false},
    {"DeleteDBParameterGroup", paramgroup_action_delete, false},
    {"DescribeDBParameters", paramgroup_action_describe_parameters, false},
    {"DescribeEngineDefaultParameters", paramgroup_action_engine_defaults, false},
    {"CopyDBParameterGroup", paramgroup_action_copy, false},
    {"DescribeDBSnapshotAttributes", snapattr_action_describe, false},
    {"ModifyDBSnapshotAttribute", snapattr_action_modify, false},
    {"DescribeAccountAttributes", discovery_action_account_attributes, false},
    {"DescribeOptionGroups", discovery_action_option_groups, false},
    {"DescribeOptionGroupOptions", discovery_action_option_group_options, false},
    {"DescribeValidDBInstanceModifications", discovery_action_valid_modifications, false},
    {"DescribeCertificates", certs_action_describe, false},
    {"CreateDBCluster", clusterapi_create, true},
    {"DescribeDBClusters", clusterapi_describe, false},
    {"ModifyDBCluster", clusterapi_modify, true},
    {"DeleteDBCluster", clusterapi_delete, true},
    {"RebootDBCluster", clusterapi_reboot, true},
    {"FailoverDBCluster", clusterapi_failover, true},
    {"StopDBCluster", clusterapi_stop, true},
    {"StartDBCluster", clusterapi_start, true},
    {"DescribeDBClusterParameterGroups", clusterpg_action_describe, false},
    {"CreateDBClusterParameterGroup", clusterpg_action_create, false},
    {"DeleteDBClusterParameterGroup", clusterpg_action_delete, false},
    {"ModifyDBClusterParameterGroup", clusterpg_action_modify, false},
    {"ResetDBClusterParameterGroup", clusterpg_action_reset, false},
    {"CopyDBClusterParameterGroup", clusterpg_action_copy, false},
    {"DescribeDBClusterParameters", clusterpg_action_describe_parameters, false},
    {"DescribeEngineDefaultClusterParameters", clusterpg_action_engine_defaults, false},
    {"CreateDBClusterSnapshot", clustersnap_action_create, true},
    {"DescribeDBClusterSnapshots", clustersnap_action_describe, false},
    {"DeleteDBClusterSnapshot", clustersnap_action_delete, true},
    {"CopyDBClusterSnapshot", clustersnap_action_copy, true},
    {"RestoreDBClusterFromSnapshot", clustersnap_action_restore, true},
    {"RestoreDBClusterToPointInTime", clusterpitr_action_restore, true},
};

const action_def *actions_find(const char *name)
{
    for (size_t i = 0; i < sizeof action_table / sizeof action_table[0]; i++)
        if (strcmp(action_table[i].name, name) == 0)
            return &action_table[i];
    return NULL;
}
