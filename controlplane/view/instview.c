/* instview: see instview.h. */
#include "controlplane/view/instview.h"
#include "controlplane/domain/mastersecret.h"
#include "controlplane/domain/autobackup.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/domain/monitoring.h"
#include "controlplane/net/instnet.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/core/region.h"
#include "controlplane/core/tlsca.h"
#include "controlplane/view/nodespec.h"
#include "controlplane/domain/stopstart.h"
#include "lib/rclock.h"
#include "lib/util.h"

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char buf[40];
    cJSON_AddStringToObject(o, name, rclock_format(ms, buf, sizeof buf));
}

/* Adds a member parsed from stored JSON text, or `fallback` if unparsable. */
static void add_json(cJSON *o, const char *name, const char *text, const char *fallback)
{
    cJSON *v = cJSON_Parse(text ? text : fallback);
    if (!v)
        v = cJSON_Parse(fallback);
    cJSON_AddItemToObject(o, name, v);
}

cJSON *instview_render(region *r, const store_instance *in)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *extra = instextra_parse(in);
    cJSON_AddStringToObject(o, "DBInstanceIdentifier", in->id);
    cJSON_AddStringToObject(o, "DBInstanceClass", in->db_class);
    cJSON_AddStringToObject(o, "Engine", in->engine);
    cJSON_AddStringToObject(o, "DBInstanceStatus", instance_status_name(in->status));
    cJSON_AddStringToObject(o, "MasterUsername", in->master_username);
    if (in->db_name)
        cJSON_AddStringToObject(o, "DBName", in->db_name);
    /* RDS shows the endpoint once the instance exists on a host. */
    if (in->primary_node && in->status != STATUS_CREATING) {
        cJSON *ep = cJSON_AddObjectToObject(o, "Endpoint");
        char *addr = region_endpoint_name(r, in->id);
        cJSON_AddStringToObject(ep, "Address", addr);
        free(addr);
        cJSON_AddNumberToObject(ep, "Port", (double)in->port);
        cJSON_AddStringToObject(ep, "HostedZoneId", "Z2R2ITUGPM61AM");
    }
    cJSON_AddNumberToObject(o, "AllocatedStorage", (double)in->allocated_storage);
    add_time(o, "InstanceCreateTime", in->created_ms);
    if (in->status == STATUS_STOPPED) {
        int64_t at = stopstart_stopped_at(r, in->id);
        if (at)
            add_time(o, "AutomaticRestartTime", at + STOPSTART_MAX_STOPPED_MS);
    }
    cJSON_AddStringToObject(o, "PreferredBackupWindow", in->backup_window);
    cJSON_AddNumberToObject(o, "BackupRetentionPeriod", (double)in->backup_retention);
    cJSON_AddItemToObject(o, "DBSecurityGroups", cJSON_CreateArray());
    instnet_render_sgs(in, o);
    paramgroup_render(r, in, o);
    if (in->az)
        cJSON_AddStringToObject(o, "AvailabilityZone", in->az);
    instnet_render_subnet_group(r, in, o);
    cJSON_AddStringToObject(o, "PreferredMaintenanceWindow", in->maintenance_window);
    add_json(o, "PendingModifiedValues", in->pending, "{}");
    cJSON_AddBoolToObject(o, "MultiAZ", in->multi_az);
    if (in->cluster_id)
        cJSON_AddStringToObject(o, "DBClusterIdentifier", in->cluster_id);
    cJSON_AddStringToObject(o, "EngineVersion", in->engine_version);
    cJSON_AddBoolToObject(o, "AutoMinorVersionUpgrade",
                          instextra_bool(extra, INSTEXTRA_AUTO_MINOR_UPGRADE, true));
    cJSON_AddItemToObject(o, "ReadReplicaDBInstanceIdentifiers", cJSON_CreateArray());
    cJSON_AddStringToObject(o, "LicenseModel", "postgresql-license");
    if (in->iops > 0)
        cJSON_AddNumberToObject(o, "Iops", (double)in->iops);
    cJSON *ogs = cJSON_AddArrayToObject(o, "OptionGroupMemberships");
    cJSON *og = cJSON_CreateObject();
    char *ogname = xasprintf("default:postgres-%s", r->pg_major);
    cJSON_AddStringToObject(og, "OptionGroupName", ogname);
    free(ogname);
    cJSON_AddStringToObject(og, "Status", "in-sync");
    cJSON_AddItemToArray(ogs, og);
    if (in->secondary_az)
        cJSON_AddStringToObject(o, "SecondaryAvailabilityZone", in->secondary_az);
    cJSON_AddBoolToObject(o, "PubliclyAccessible", instextra_bool(extra, INSTEXTRA_PUBLIC, false));
    cJSON_AddStringToObject(o, "StorageType", in->storage_type);
    cJSON_AddNumberToObject(o, "DbInstancePort", 0);
    cJSON_AddBoolToObject(o, "StorageEncrypted", in->storage_encrypted);
    if (in->kms_key_id)
        cJSON_AddStringToObject(o, "KmsKeyId", in->kms_key_id);
    cJSON_AddStringToObject(o, "DbiResourceId", in->resource_id);
    const cJSON *ms = instextra_object(extra, INSTEXTRA_MASTER_SECRET);
    if (ms)
        cJSON_AddItemToObject(o, "MasterUserSecret", cJSON_Duplicate(ms, true));
    /* The CA of the nodes' server certificates and their expiry
     * (core/tlsca.h: stable within a year, whichever node is asked). */
    const char *ca = nodespec_ca_id(in, extra);
    cJSON_AddStringToObject(o, "CACertificateIdentifier", ca);
    const tlsca_info *cai = r->tls ? tlsca_find(r->tls, ca) : NULL;
    if (cai) {
        cJSON *cd = cJSON_AddObjectToObject(o, "CertificateDetails");
        cJSON_AddStringToObject(cd, "CAIdentifier", ca);
        add_time(cd, "ValidTill", tlsca_server_valid_till(cai, rclock_now_ms(0) / 1000) * 1000);
    }
    cJSON_AddItemToObject(o, "DomainMemberships", cJSON_CreateArray());
    cJSON_AddBoolToObject(o, "CopyTagsToSnapshot", instextra_bool(extra, INSTEXTRA_COPY_TAGS, false));
    int64_t mi = instextra_int(extra, INSTEXTRA_MONITORING_INTERVAL, 0);
    cJSON_AddNumberToObject(o, "MonitoringInterval", (double)mi);
    const char *mra = instextra_str(extra, INSTEXTRA_MONITORING_ROLE);
    if (mra)
        cJSON_AddStringToObject(o, "MonitoringRoleArn", mra);
    if (mi > 0) {
        char *em = monitoring_resource_arn(r, in);
        cJSON_AddStringToObject(o, "EnhancedMonitoringResourceArn", em);
        free(em);
    }
    char *arn = region_instance_arn(r, in->id);
    cJSON_AddStringToObject(o, "DBInstanceArn", arn);
    free(arn);
    cJSON_AddBoolToObject(o, "IAMDatabaseAuthenticationEnabled",
                          instextra_bool(extra, INSTEXTRA_IAM_DB_AUTH, false));
    cJSON_AddBoolToObject(o, "PerformanceInsightsEnabled", false);
    const cJSON *logs = instextra_array(extra, INSTEXTRA_LOG_EXPORTS);
    if (logs && cJSON_GetArraySize(logs) > 0)
        cJSON_AddItemToObject(o, "EnabledCloudwatchLogsExports", cJSON_Duplicate(logs, true));
    cJSON_AddBoolToObject(o, "DeletionProtection", in->deletion_protection);
    if (in->max_allocated_storage > 0)
        cJSON_AddNumberToObject(o, "MaxAllocatedStorage", (double)in->max_allocated_storage);
    add_json(o, "TagList", in->tags, "[]");
    cJSON_AddBoolToObject(o, "CustomerOwnedIpEnabled", false);
    cJSON_AddStringToObject(o, "BackupTarget", "region");
    cJSON_AddStringToObject(o, "NetworkType", "IPV4");
    if (strcmp(in->storage_type, "gp3") == 0)
        cJSON_AddNumberToObject(o, "StorageThroughput", in->allocated_storage >= 400 ? 500 : 125);
    cJSON_AddBoolToObject(o, "DedicatedLogVolume", false);
    autobackup_render(r, in, o);
    cJSON_Delete(extra);
    return o;
}
