/* commands: see commands.h.
 *
 * Flag tables list flags in the botocore model's member order for the
 * action (not alphabetically): parameters are serialized in table order,
 * which makes rdsctl's bodies identical to the aws CLI's. rdsim's own
 * parameters (DnsTtl) come last. */
#include "cli/commands.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/chaos.h"
#include "cli/clock.h"
#include "cli/clustercmds.h"
#include "cli/clustersnapcmds.h"
#include "cli/dnslookup.h"
#include "cli/ec2.h"
#include "cli/exitcode.h"
#include "cli/follow.h"
#include "cli/kms.h"
#include "cli/telemetry.h"
#include "cli/lab.h"
#include "cli/svc.h"
#include "cli/wait.h"

#define CLI_PROG "rdsctl"
#define CLI_DEFAULT_WAIT_DELAY_S 0.5
#define CLI_DEFAULT_WAIT_TIMEOUT_S 600.0
/* A controlplane that keeps sending markers is broken; stop somewhere. */
#define CLI_MAX_PAGES 10000

/* ---------------------------------------------------------- flag tables */

static const arg_field tag_fields[] = {{"Key", NULL, false}, {"Value", NULL, false}, {NULL, NULL, false}};
static const arg_shape tag_shape = {tag_fields};

static const arg_field filter_fields[] = {{"Name", NULL, true}, {"Values", "Value", true}, {NULL, NULL, false}};
static const arg_shape filter_shape = {filter_fields};

static const arg_field log_export_fields[] = {
    {"EnableLogTypes", "member", false}, {"DisableLogTypes", "member", false}, {NULL, NULL, false}};
static const arg_shape log_export_shape = {log_export_fields};

#define F_FILTERS \
    F_STRUCTS("filters", "Filters", "Filter", &filter_shape, \
              "Filters: Name=string,Values=string,string ...")
#define F_PAGING \
    F_INT("max-records", "MaxRecords", "Page size (20-100); turns off automatic paging"), \
    F_STR("marker", "Marker", "Start after this marker; turns off automatic paging")
#define F_NO_PAGINATE F_LOCAL("no-paginate", ARG_FLAG, "Make one call; print the Marker, if any")

static const arg_spec create_db_instance_flags[] = {
    F_STR("db-name", "DBName", "Name of an extra database to create"),
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "Instance name: 1-63 letters, digits, hyphens"),
    F_INT("allocated-storage", "AllocatedStorage", "Storage in GiB"),
    F_REQ("db-instance-class", "DBInstanceClass", "Instance class, e.g. db.t3.micro"),
    F_REQ("engine", "Engine", "Engine: postgres"),
    F_STR("master-username", "MasterUsername", "Master user name"),
    F_STR("master-user-password", "MasterUserPassword", "Master user password (8-128 characters)"),
    F_BOOL("manage-master-user-password", "ManageMasterUserPassword", "Let the region generate the password and keep it in Secrets Manager"),
    F_STR("master-user-secret-kms-key-id", "MasterUserSecretKmsKeyId", "KMS key of the managed password's secret"),
    F_LIST("vpc-security-group-ids", "VpcSecurityGroupIds", "VpcSecurityGroupId", "VPC security group IDs"),
    F_STR("availability-zone", "AvailabilityZone", "AZ for a Single-AZ instance"),
    F_STR("db-subnet-group-name", "DBSubnetGroupName", "DB subnet group"),
    F_STR("preferred-maintenance-window", "PreferredMaintenanceWindow", "ddd:hh24:mi-ddd:hh24:mi (UTC)"),
    F_STR("db-parameter-group-name", "DBParameterGroupName", "DB parameter group"),
    F_INT("backup-retention-period", "BackupRetentionPeriod", "Days of automated backups (0-35)"),
    F_STR("preferred-backup-window", "PreferredBackupWindow", "hh24:mi-hh24:mi (UTC)"),
    F_INT("port", "Port", "Port the database listens on (default 5432)"),
    F_BOOL("multi-az", "MultiAZ", "Keep a synchronous standby in another AZ"),
    F_STR("engine-version", "EngineVersion", "Engine version"),
    F_BOOL("auto-minor-version-upgrade", "AutoMinorVersionUpgrade", "Apply minor upgrades in the maintenance window"),
    F_INT("iops", "Iops", "Provisioned IOPS"),
    F_BOOL("publicly-accessible", "PubliclyAccessible", "Give the endpoint a public DNS name too"),
    F_STRUCTS("tags", "Tags", "Tag", &tag_shape, "Tags: Key=string,Value=string ..."),
    F_STR("storage-type", "StorageType", "gp2 | gp3 | io1 | io2 | standard"),
    F_BOOL("storage-encrypted", "StorageEncrypted", "Encrypt storage and backups"),
    F_STR("kms-key-id", "KmsKeyId", "KMS key for encryption"),
    F_BOOL("copy-tags-to-snapshot", "CopyTagsToSnapshot", "Copy tags to snapshots"),
    F_INT("monitoring-interval", "MonitoringInterval", "Enhanced Monitoring interval: 0|1|5|10|15|30|60"),
    F_STR("monitoring-role-arn", "MonitoringRoleArn", "Role for Enhanced Monitoring"),
    F_LIST("enable-cloudwatch-logs-exports", "EnableCloudwatchLogsExports", "member", "Log types: postgresql upgrade"),
    F_BOOL("deletion-protection", "DeletionProtection", "Refuse DeleteDBInstance"),
    F_INT("max-allocated-storage", "MaxAllocatedStorage", "Storage autoscaling limit in GiB"),
    F_INT("dns-ttl", "DnsTtl", "rdsim: TTL in seconds of the endpoint's DNS record (default 5)"),
    F_END,
};

static const arg_spec describe_db_instances_flags[] = {
    F_STR("db-instance-identifier", "DBInstanceIdentifier", "Only this instance"),
    F_FILTERS,
    F_PAGING,
    F_NO_PAGINATE,
    F_END,
};

static const arg_spec modify_db_instance_flags[] = {
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "Instance to modify"),
    F_INT("allocated-storage", "AllocatedStorage", "New storage in GiB"),
    F_STR("db-instance-class", "DBInstanceClass", "New instance class"),
    F_STR("db-subnet-group-name", "DBSubnetGroupName", "DB subnet group (only the current one here)"),
    F_LIST("vpc-security-group-ids", "VpcSecurityGroupIds", "VpcSecurityGroupId", "VPC security group IDs (applied at once)"),
    F_BOOL("apply-immediately", "ApplyImmediately", "Apply now rather than in the maintenance window"),
    F_STR("master-user-password", "MasterUserPassword", "New master user password"),
    F_BOOL("manage-master-user-password", "ManageMasterUserPassword", "Manage the password in Secrets Manager (--no-...: stop; give a new password)"),
    F_STR("master-user-secret-kms-key-id", "MasterUserSecretKmsKeyId", "KMS key of the managed password's secret"),
    F_BOOL("rotate-master-user-password", "RotateMasterUserPassword", "Rotate the managed password now (with --apply-immediately)"),
    F_STR("db-parameter-group-name", "DBParameterGroupName", "New DB parameter group"),
    F_INT("backup-retention-period", "BackupRetentionPeriod", "Days of automated backups (0-35)"),
    F_STR("preferred-backup-window", "PreferredBackupWindow", "hh24:mi-hh24:mi (UTC)"),
    F_STR("preferred-maintenance-window", "PreferredMaintenanceWindow", "ddd:hh24:mi-ddd:hh24:mi (UTC)"),
    F_BOOL("multi-az", "MultiAZ", "Add or remove the standby"),
    F_STR("engine-version", "EngineVersion", "Upgrade to this engine version"),
    F_BOOL("allow-major-version-upgrade", "AllowMajorVersionUpgrade", "Allow a major version upgrade"),
    F_BOOL("auto-minor-version-upgrade", "AutoMinorVersionUpgrade", "Apply minor upgrades in the maintenance window"),
    F_INT("iops", "Iops", "Provisioned IOPS"),
    F_STR("new-db-instance-identifier", "NewDBInstanceIdentifier", "Rename the instance"),
    F_STR("storage-type", "StorageType", "gp2 | gp3 | io1 | io2 | standard"),
    F_BOOL("copy-tags-to-snapshot", "CopyTagsToSnapshot", "Copy tags to snapshots"),
    F_INT("monitoring-interval", "MonitoringInterval", "Enhanced Monitoring interval: 0|1|5|10|15|30|60"),
    F_INT("db-port-number", "DBPortNumber", "New port (reboots the instance)"),
    F_BOOL("publicly-accessible", "PubliclyAccessible", "Give the endpoint a public DNS name too"),
    F_STR("monitoring-role-arn", "MonitoringRoleArn", "Role for Enhanced Monitoring"),
    F_STRUCT("cloudwatch-logs-export-configuration", "CloudwatchLogsExportConfiguration", &log_export_shape,
             "EnableLogTypes=string,string,DisableLogTypes=string,string"),
    F_BOOL("deletion-protection", "DeletionProtection", "Refuse DeleteDBInstance"),
    F_INT("max-allocated-storage", "MaxAllocatedStorage", "Storage autoscaling limit in GiB"),
    F_INT("dns-ttl", "DnsTtl", "rdsim: TTL in seconds of the endpoint's DNS record"),
    F_END,
};

static const arg_spec delete_db_instance_flags[] = {
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "Instance to delete"),
    F_BOOL("skip-final-snapshot", "SkipFinalSnapshot", "Delete without a final snapshot"),
    F_STR("final-db-snapshot-identifier", "FinalDBSnapshotIdentifier", "Name of the final snapshot"),
    F_BOOL("delete-automated-backups", "DeleteAutomatedBackups", "Remove automated backups too"),
    F_END,
};

static const arg_spec stop_db_instance_flags[] = {
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "Instance to stop"),
    F_STR("db-snapshot-identifier", "DBSnapshotIdentifier",
          "Snapshot to take before stopping (not supported by rdsim yet)"),
    F_END,
};

static const arg_spec start_db_instance_flags[] = {
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "Instance to start"),
    F_END,
};

static const arg_spec create_db_snapshot_flags[] = {
    F_REQ("db-snapshot-identifier", "DBSnapshotIdentifier", "Name of the snapshot"),
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "Instance to snapshot"),
    F_END,
};

static const arg_spec describe_db_snapshots_flags[] = {
    F_STR("db-instance-identifier", "DBInstanceIdentifier", "Only this instance's snapshots"),
    F_STR("db-snapshot-identifier", "DBSnapshotIdentifier", "Only this snapshot"),
    F_STR("snapshot-type", "SnapshotType", "manual | automated"),
    F_FILTERS,
    F_END,
};

static const arg_spec delete_db_snapshot_flags[] = {
    F_REQ("db-snapshot-identifier", "DBSnapshotIdentifier", "Snapshot to delete"),
    F_END,
};

static const arg_spec copy_db_snapshot_flags[] = {
    F_REQ("source-db-snapshot-identifier", "SourceDBSnapshotIdentifier", "Snapshot to copy"),
    F_REQ("target-db-snapshot-identifier", "TargetDBSnapshotIdentifier", "Name of the copy"),
    F_STR("kms-key-id", "KmsKeyId", "Encrypt the copy with this KMS key"),
    F_END,
};

static const arg_spec restore_from_snapshot_flags[] = {
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "Name of the new instance"),
    F_REQ("db-snapshot-identifier", "DBSnapshotIdentifier", "Snapshot to restore"),
    F_STR("db-instance-class", "DBInstanceClass", "Class (default: the snapshot's)"),
    F_INT("port", "Port", "Port (default: the snapshot's)"),
    F_STR("availability-zone", "AvailabilityZone", "AZ of the primary"),
    F_BOOL("multi-az", "MultiAZ", "With a synchronous standby in another AZ"),
    F_STR("db-parameter-group-name", "DBParameterGroupName", "DB parameter group (default: default.postgres15)"),
    F_BOOL("deletion-protection", "DeletionProtection", "Refuse deletes"),
    F_INT("dns-ttl", "DnsTtl", "Endpoint TTL in seconds (rdsim)"),
    F_END,
};

static const arg_spec restore_to_point_in_time_flags[] = {
    F_REQ("target-db-instance-identifier", "TargetDBInstanceIdentifier", "Name of the new instance"),
    F_STR("source-db-instance-identifier", "SourceDBInstanceIdentifier", "Instance to restore"),
    F_STR("source-dbi-resource-id", "SourceDbiResourceId",
          "DbiResourceId of the (possibly deleted) instance to restore"),
    F_STR("source-db-instance-automated-backups-arn", "SourceDBInstanceAutomatedBackupsArn",
          "ARN of the retained automated backups to restore"),
    F_STR("restore-time", "RestoreTime", "Time to restore to (ISO 8601 UTC, region clock)"),
    F_BOOL("use-latest-restorable-time", "UseLatestRestorableTime",
           "Restore to LatestRestorableTime"),
    F_STR("db-instance-class", "DBInstanceClass", "Class (default: the source's)"),
    F_INT("port", "Port", "Port (default: the source's)"),
    F_STR("availability-zone", "AvailabilityZone", "AZ of the primary"),
    F_BOOL("multi-az", "MultiAZ", "With a synchronous standby in another AZ"),
    F_BOOL("deletion-protection", "DeletionProtection", "Refuse deletes"),
    F_INT("dns-ttl", "DnsTtl", "Endpoint TTL in seconds (rdsim)"),
    F_END,
};

static const arg_spec create_read_replica_flags[] = {
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "Name of the new read replica"),
    F_REQ("source-db-instance-identifier", "SourceDBInstanceIdentifier",
          "Its source: an instance's identifier or ARN"),
    F_STR("db-instance-class", "DBInstanceClass", "Class (default: the source's)"),
    F_STR("availability-zone", "AvailabilityZone", "AZ of the replica"),
    F_INT("port", "Port", "Port (default: the source's)"),
    F_BOOL("multi-az", "MultiAZ", "With its own standby in another AZ"),
    F_INT("allocated-storage", "AllocatedStorage", "GiB (at least the source's)"),
    F_STR("db-parameter-group-name", "DBParameterGroupName", "DB parameter group"),
    F_STR("kms-key-id", "KmsKeyId", "The source's KMS key (an unencrypted source: none)"),
    F_BOOL("deletion-protection", "DeletionProtection", "Refuse deletes"),
    F_END,
};

static const arg_spec promote_read_replica_flags[] = {
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "The read replica"),
    F_INT("backup-retention-period", "BackupRetentionPeriod", "Days of automated backups (default 1)"),
    F_STR("preferred-backup-window", "PreferredBackupWindow", "hh24:mi-hh24:mi UTC"),
    F_END,
};

static const arg_spec describe_automated_backups_flags[] = {
    F_STR("db-instance-identifier", "DBInstanceIdentifier", "Only this instance's backups"),
    F_STR("dbi-resource-id", "DbiResourceId", "Only this DbiResourceId's backups"),
    F_STR("db-instance-automated-backups-arn", "DBInstanceAutomatedBackupsArn",
          "Only these automated backups"),
    F_END,
};

static const arg_spec delete_automated_backup_flags[] = {
    F_STR("dbi-resource-id", "DbiResourceId", "DbiResourceId of the retained backups"),
    F_STR("db-instance-automated-backups-arn", "DBInstanceAutomatedBackupsArn",
          "ARN of the retained backups"),
    F_END,
};

static const arg_spec reboot_db_instance_flags[] = {
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "Instance to reboot"),
    F_BOOL("force-failover", "ForceFailover", "Reboot with a failover to the standby (Multi-AZ)"),
    F_END,
};

static const arg_spec describe_db_engine_versions_flags[] = {
    F_STR("engine", "Engine", "Only this engine"),
    F_STR("engine-version", "EngineVersion", "Only this version"),
    F_STR("db-parameter-group-family", "DBParameterGroupFamily", "Only this parameter group family"),
    F_FILTERS,
    F_PAGING,
    F_BOOL("default-only", "DefaultOnly", "Only the default version"),
    F_NO_PAGINATE,
    F_END,
};

static const arg_spec describe_orderable_flags[] = {
    F_REQ("engine", "Engine", "Engine: postgres"),
    F_STR("engine-version", "EngineVersion", "Only this version"),
    F_STR("db-instance-class", "DBInstanceClass", "Only this instance class"),
    F_FILTERS,
    F_PAGING,
    F_NO_PAGINATE,
    F_END,
};

static const arg_spec describe_db_log_files_flags[] = {
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "The instance"),
    F_STR("filename-contains", "FilenameContains", "Only files whose name contains this"),
    F_STR("file-last-written", "FileLastWritten", "Only files written since (POSIX ms)"),
    F_STR("file-size", "FileSize", "Only files larger than this many bytes"),
    F_FILTERS,
    F_PAGING,
    F_NO_PAGINATE,
    F_END,
};

static const arg_spec download_db_log_file_portion_flags[] = {
    F_REQ("db-instance-identifier", "DBInstanceIdentifier", "The instance"),
    F_REQ("log-file-name", "LogFileName", "error/postgresql.log.YYYY-MM-DD-HH"),
    F_STR("marker", "Marker", "\"0\" for the start of the file, or the Marker of a previous call"),
    F_INT("number-of-lines", "NumberOfLines", "Lines to return (without --marker: the last ones)"),
    F_END,
};

static const arg_spec describe_pending_maintenance_actions_flags[] = {
    F_STR("resource-identifier", "ResourceIdentifier", "The instance's ARN"),
    F_FILTERS,
    F_PAGING,
    F_NO_PAGINATE,
    F_END,
};

static const arg_spec apply_pending_maintenance_action_flags[] = {
    F_REQ("resource-identifier", "ResourceIdentifier", "The instance's ARN"),
    F_REQ("apply-action", "ApplyAction", "system-update | db-upgrade"),
    F_REQ("opt-in-type", "OptInType", "immediate | next-maintenance | undo-opt-in"),
    F_END,
};

static const arg_spec describe_events_flags[] = {
    F_STR("source-identifier", "SourceIdentifier", "Events of this source (needs --source-type)"),
    F_STR("source-type", "SourceType", "db-instance | db-snapshot | db-parameter-group | ..."),
    F_TIME("start-time", "StartTime", "Events from (ISO 8601 or epoch seconds)"),
    F_TIME("end-time", "EndTime", "Events until (ISO 8601 or epoch seconds)"),
    F_INT("duration", "Duration", "Minutes of events to return (default 60)"),
    F_LIST("event-categories", "EventCategories", "EventCategory", "Only these categories"),
    F_FILTERS,
    F_PAGING,
    F_NO_PAGINATE,
    F_LOCAL("follow", ARG_FLAG, "Then print new events as they come, until interrupted"),
    F_LOCAL("max-seconds", ARG_SECONDS, "--follow: stop after S s"), F_LOCAL("max-events", ARG_SECONDS, "--follow: stop after N"),
    F_END,
};

static const arg_spec create_db_subnet_group_flags[] = {
    F_REQ("db-subnet-group-name", "DBSubnetGroupName", "Name: letters, digits, . _ - and spaces"),
    F_REQ("db-subnet-group-description", "DBSubnetGroupDescription", "Description"),
    F_LIST("subnet-ids", "SubnetIds", "SubnetIdentifier", "Subnets (rdsctl ec2 describe-subnets)"),
    F_STRUCTS("tags", "Tags", "Tag", &tag_shape, "Tags: Key=string,Value=string ..."),
    F_END,
};

static const arg_spec describe_db_subnet_groups_flags[] = {
    F_STR("db-subnet-group-name", "DBSubnetGroupName", "Only this group"),
    F_FILTERS,
    F_PAGING,
    F_NO_PAGINATE,
    F_END,
};

static const arg_spec modify_db_subnet_group_flags[] = {
    F_REQ("db-subnet-group-name", "DBSubnetGroupName", "The group"),
    F_STR("db-subnet-group-description", "DBSubnetGroupDescription", "New description"),
    F_LIST("subnet-ids", "SubnetIds", "SubnetIdentifier", "The new list of subnets"),
    F_END,
};

static const arg_spec delete_db_subnet_group_flags[] = {
    F_REQ("db-subnet-group-name", "DBSubnetGroupName", "The group"),
    F_END,
};


static const arg_spec create_db_parameter_group_flags[] = {
    F_REQ("db-parameter-group-name", "DBParameterGroupName", "Name: 1-255 letters, digits, hyphens"),
    F_REQ("db-parameter-group-family", "DBParameterGroupFamily", "Family: postgres15"),
    F_REQ("description", "Description", "Description"),
    F_STRUCTS("tags", "Tags", "Tag", &tag_shape, "Tags: Key=string,Value=string ..."),
    F_END,
};

static const arg_spec describe_db_parameter_groups_flags[] = {
    F_STR("db-parameter-group-name", "DBParameterGroupName", "Only this group"),
    F_FILTERS,
    F_PAGING,
    F_NO_PAGINATE,
    F_END,
};

static const arg_spec modify_db_parameter_group_flags[] = {
    F_REQ("db-parameter-group-name", "DBParameterGroupName", "The group"),
    F_STRUCTS("parameters", "Parameters", "Parameter", &cluster_parameter_shape,
              "At most 20: ParameterName=string,ParameterValue=string,ApplyMethod=immediate|pending-reboot ..."),
    F_END,
};

static const arg_spec describe_db_parameters_flags[] = {
    F_REQ("db-parameter-group-name", "DBParameterGroupName", "The group"),
    F_STR("source", "Source", "Only these: user | system | engine-default"),
    F_FILTERS,
    F_PAGING,
    F_NO_PAGINATE,
    F_END,
};

static const arg_spec reset_db_parameter_group_flags[] = {
    F_REQ("db-parameter-group-name", "DBParameterGroupName", "The group"),
    F_BOOL("reset-all-parameters", "ResetAllParameters", "Reset every parameter"),
    F_STRUCTS("parameters", "Parameters", "Parameter", &cluster_parameter_shape,
              "At most 20: ParameterName=string,ApplyMethod=immediate|pending-reboot ..."),
    F_END,
};

static const arg_spec delete_db_parameter_group_flags[] = {
    F_REQ("db-parameter-group-name", "DBParameterGroupName", "The group"),
    F_END,
};

static const arg_spec describe_engine_default_parameters_flags[] = {
    F_REQ("db-parameter-group-family", "DBParameterGroupFamily", "Family: postgres15"),
    F_FILTERS,
    F_INT("max-records", "MaxRecords", "Page size (20-100)"),
    F_STR("marker", "Marker", "Start after this marker"),
    F_END,
};

static const arg_spec wait_flags[] = {
    F_STR("db-instance-identifier", "DBInstanceIdentifier", "Instance to wait for (default: all)"),
    F_STR("db-snapshot-identifier", "DBSnapshotIdentifier", "Snapshot to wait for (snapshot waiters)"),
    F_FILTERS,
    F_LOCAL("timeout", ARG_SECONDS, "Give up after this many seconds (default 600)"),
    F_END,
};

static const arg_spec no_flags[] = {F_END};

/* ------------------------------------------------------------- printing */

static void cli_usage_error(const char *message)
{
    fprintf(stderr,
            "usage: " CLI_PROG " [options] <command> [parameters]\n"
            "To see help text, you can run:\n\n"
            "  " CLI_PROG " help\n"
            "  " CLI_PROG " <command> help\n\n"
            CLI_PROG ": error: %s\n", message);
}

static void cli_print_result(const cli_ctx *ctx, const cJSON *result, const char *title)
{
    sbuf out = {0};
    output_render(ctx->output, result, title, ctx->width, &out);
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    fflush(stdout);
    sbuf_free(&out);
}

static int cli_exit_for(const api_reply *reply)
{
    switch (reply->status) {
    case API_OK:
        return CLI_EXIT_OK;
    case API_SERVICE_ERROR:
        return CLI_EXIT_SERVICE_ERROR;
    case API_CONNECT_ERROR:
        break;
    }
    return CLI_EXIT_FAILURE;
}

/* Parses argv for cmd, printing the error; returns CLI_EXIT_OK or the
 * usage exit. */
static int cli_parse_flags(const command *cmd, const arg_spec *flags, int argc, char **argv,
                           query *params, query *opts)
{
    sbuf err = {0};
    args_status st = args_parse(flags, argc, argv, params, opts, &err);
    if (st == ARGS_USAGE_ERROR)
        cli_usage_error(err.data);
    else if (st == ARGS_PARAM_ERROR)
        fprintf(stderr, "\n%s\n", err.data);
    (void)cmd;
    sbuf_free(&err);
    return st == ARGS_OK ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

/* --------------------------------------------------------------- runners */

/* One call, or every page merged when the command pages and the user did
 * not take paging into their own hands (--marker, --max-records,
 * --no-paginate), as the aws CLI does. */
static int cli_run_action(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    query params = {0}, opts = {0};
    int rc = cli_parse_flags(cmd, cmd->flags, argc, argv, &params, &opts);
    if (rc != CLI_EXIT_OK)
        goto done;
    if (query_get(&opts, "follow")) {
        rc = follow_events_run(ctx, &params, &opts);
        goto done;
    }
    api_client client = {.endpoint = ctx->endpoint, .debug = ctx->debug};
    bool paginate = cmd->page_key && !query_get(&params, "Marker") &&
                    !query_get(&params, "MaxRecords") && !query_get(&opts, "no-paginate");
    cJSON *merged = NULL;
    char *last_marker = NULL;
    for (int page = 0;; page++) {
        api_reply reply;
        if (api_call(&client, cmd->action, &params, &reply) != API_OK) {
            api_print_error(&client, cmd->action, &reply, stderr);
            rc = cli_exit_for(&reply);
            api_reply_free(&reply);
            break;
        }
        if (!paginate) {
            cli_print_result(ctx, reply.result, cmd->action);
            api_reply_free(&reply);
            break;
        }
        const cJSON *marker = cJSON_GetObjectItemCaseSensitive(reply.result, "Marker");
        char *next = (cJSON_IsString(marker) && marker->valuestring[0])
                         ? xstrdup(marker->valuestring) : NULL;
        if (!merged) {
            merged = reply.result;
            reply.result = NULL;
        } else {
            cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(reply.result, cmd->page_key);
            cJSON *into = cJSON_GetObjectItemCaseSensitive(merged, cmd->page_key);
            if (cJSON_IsArray(items) && cJSON_IsArray(into)) {
                while (items->child)
                    cJSON_AddItemToArray(into, cJSON_DetachItemFromArray(items, 0));
            }
            cJSON_Delete(items);
        }
        api_reply_free(&reply);
        if (next && ((last_marker && strcmp(next, last_marker) == 0) || page + 1 >= CLI_MAX_PAGES)) {
            fprintf(stderr, "\nError during pagination: The same next token was received twice: "
                            "{'Marker': '%s'}\n", next);
            free(next);
            rc = CLI_EXIT_FAILURE;
            break;
        }
        free(last_marker);
        last_marker = next;
        if (!next) {
            cJSON_DeleteItemFromObjectCaseSensitive(merged, "Marker");
            cli_print_result(ctx, merged, cmd->action);
            break;
        }
        query_set(&params, "Marker", next);
    }
    free(last_marker);
    cJSON_Delete(merged);
done:
    query_free(&params);
    query_free(&opts);
    return rc;
}

static void cli_print_command_help(const command *cmd, const char *prefix);

static int cli_run_wait(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    if (argc < 1) {
        sbuf msg = {0};
        sbuf_puts(&msg, "the following arguments are required: waiter (");
        for (const wait_spec *w = wait_specs; w->name; w++)
            sbuf_printf(&msg, "%s%s", w == wait_specs ? "" : " | ", w->name);
        sbuf_putc(&msg, ')');
        cli_usage_error(msg.data);
        sbuf_free(&msg);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[0], "help") == 0) {
        cli_print_command_help(cmd, cmd->name);
        return CLI_EXIT_OK;
    }
    const wait_spec *w = wait_find(argv[0]);
    if (!w) {
        char *msg = xasprintf("argument waiter: Invalid choice: '%s'", argv[0]);
        cli_usage_error(msg);
        free(msg);
        return CLI_EXIT_USAGE;
    }
    if (argc >= 2 && strcmp(argv[1], "help") == 0) {
        char *prefix = xasprintf("%s %s", cmd->name, w->name);
        printf("%s\n\n", w->help);
        cli_print_command_help(cmd, prefix);
        free(prefix);
        return CLI_EXIT_OK;
    }
    query params = {0}, opts = {0};
    int rc = cli_parse_flags(cmd, cmd->flags, argc - 1, argv + 1, &params, &opts);
    if (rc == CLI_EXIT_OK) {
        const char *timeout = query_get(&opts, "timeout");
        wait_opts wo = {
            .timeout_s = timeout ? strtod(timeout, NULL) : CLI_DEFAULT_WAIT_TIMEOUT_S,
            .delay_s = ctx->wait_delay_s,
            .progress = ctx->progress,
        };
        api_client client = {.endpoint = ctx->endpoint, .debug = ctx->debug};
        rc = wait_run(&client, w, &params, &wo);
    }
    query_free(&params);
    query_free(&opts);
    return rc;
}

/* rdsctl call ACTION Name=Value ...: raw parameters, for actions that have
 * no command yet. */
static int cli_run_call(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    if (argc < 1) {
        cli_usage_error("the following arguments are required: action");
        return CLI_EXIT_USAGE;
    }
    query params = {0};
    for (int i = 1; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            char *msg = xasprintf("argument '%s': expected Name=Value", argv[i]);
            cli_usage_error(msg);
            free(msg);
            query_free(&params);
            return CLI_EXIT_USAGE;
        }
        char *name = xstrndup(argv[i], (size_t)(eq - argv[i]));
        query_add(&params, name, eq + 1);
        free(name);
    }
    api_client client = {.endpoint = ctx->endpoint, .debug = ctx->debug};
    api_reply reply;
    int rc;
    if (api_call(&client, argv[0], &params, &reply) == API_OK) {
        cli_print_result(ctx, reply.result, argv[0]);
        rc = CLI_EXIT_OK;
    } else {
        api_print_error(&client, argv[0], &reply, stderr);
        rc = cli_exit_for(&reply);
    }
    api_reply_free(&reply);
    query_free(&params);
    return rc;
}

static const arg_spec create_event_subscription_flags[] = {
    F_REQ("subscription-name", "SubscriptionName", "Name of the subscription (< 255 characters)"),
    F_REQ("sns-topic-arn", "SnsTopicArn", "SNS topic the notifications go to"),
    F_STR("source-type", "SourceType", "db-instance, db-snapshot, ... (none: every source)"),
    F_LIST("event-categories", "EventCategories", "EventCategory", "Only these categories (describe-event-categories)"),
    F_LIST("source-ids", "SourceIds", "SourceId", "Only these sources (needs --source-type)"),
    F_BOOL("enabled", "Enabled", "Send notifications (default true)"),
    F_END,
};

static const arg_spec describe_event_subscriptions_flags[] = {
    F_STR("subscription-name", "SubscriptionName", "Only this subscription"),
    F_FILTERS,
    F_PAGING,
    F_NO_PAGINATE,
    F_END,
};

static const arg_spec modify_event_subscription_flags[] = {
    F_REQ("subscription-name", "SubscriptionName", "The subscription"),
    F_STR("sns-topic-arn", "SnsTopicArn", "New SNS topic"),
    F_STR("source-type", "SourceType", "New source type"),
    F_LIST("event-categories", "EventCategories", "EventCategory", "New categories"),
    F_BOOL("enabled", "Enabled", "Turn notifications on or off"),
    F_END,
};

static const arg_spec subscription_name_flags[] = {
    F_REQ("subscription-name", "SubscriptionName", "The subscription"),
    F_END,
};

static const arg_spec subscription_source_flags[] = {
    F_REQ("subscription-name", "SubscriptionName", "The subscription"),
    F_REQ("source-identifier", "SourceIdentifier", "A DB instance identifier"),
    F_END,
};

static const arg_spec describe_event_categories_flags[] = {
    F_STR("source-type", "SourceType", "db-instance"),
    F_FILTERS,
    F_END,
};

/* ----------------------------------------------------------------- table */

const command commands[] = {
    {"create-db-instance", "Creates a DB instance: a real PostgreSQL server, with a synchronous "
     "standby in another AZ when --multi-az.", NULL, "CreateDBInstance", create_db_instance_flags, NULL},
    {"describe-db-instances", "Describes DB instances (all pages).", NULL, "DescribeDBInstances",
     describe_db_instances_flags, "DBInstances"},
    {"modify-db-instance", "Modifies a DB instance; without --apply-immediately most changes wait "
     "for the maintenance window.", NULL, "ModifyDBInstance", modify_db_instance_flags, NULL},
    {"delete-db-instance", "Deletes a DB instance, with a final snapshot unless "
     "--skip-final-snapshot.", NULL, "DeleteDBInstance", delete_db_instance_flags, NULL},
    {"create-db-snapshot", "Takes a manual snapshot of an available instance.", NULL,
     "CreateDBSnapshot", create_db_snapshot_flags, NULL},
    {"describe-db-snapshots", "Describes DB snapshots.", NULL, "DescribeDBSnapshots",
     describe_db_snapshots_flags, "DBSnapshots"},
    {"delete-db-snapshot", "Deletes a DB snapshot and its backup object.", NULL,
     "DeleteDBSnapshot", delete_db_snapshot_flags, NULL},
    {"copy-db-snapshot", "Copies a snapshot; --kms-key-id encrypts the copy.", NULL,
     "CopyDBSnapshot", copy_db_snapshot_flags, NULL},
    {"restore-db-instance-from-db-snapshot", "Creates an instance from a snapshot's data.", NULL,
     "RestoreDBInstanceFromDBSnapshot", restore_from_snapshot_flags, NULL},
    {"restore-db-instance-to-point-in-time", "Creates an instance holding exactly what was "
     "committed up to --restore-time (or the latest restorable time).", NULL,
     "RestoreDBInstanceToPointInTime", restore_to_point_in_time_flags, NULL},
    {"create-db-instance-read-replica", "Creates a read replica: an asynchronous hot standby of "
     "the source's primary, with its own endpoint.", NULL, "CreateDBInstanceReadReplica",
     create_read_replica_flags, NULL},
    {"promote-read-replica", "Makes a read replica a standalone writable instance.", NULL,
     "PromoteReadReplica", promote_read_replica_flags, NULL},
    {"describe-db-instance-automated-backups", "Lists automated backups: of instances, and "
     "retained ones of deleted instances, with their restore windows.", NULL,
     "DescribeDBInstanceAutomatedBackups", describe_automated_backups_flags,
     "DBInstanceAutomatedBackups"},
    {"delete-db-instance-automated-backup", "Deletes the retained automated backups of a "
     "deleted instance.", NULL, "DeleteDBInstanceAutomatedBackup", delete_automated_backup_flags,
     NULL},
    {"reboot-db-instance", "Reboots a DB instance; --force-failover promotes the standby.", NULL,
     "RebootDBInstance", reboot_db_instance_flags, NULL},
    {"stop-db-instance", "Stops a DB instance (its nodes shut down; it starts by itself after "
     "7 days on the region clock).", NULL, "StopDBInstance", stop_db_instance_flags, NULL},
    {"start-db-instance", "Starts a stopped DB instance.", NULL, "StartDBInstance",
     start_db_instance_flags, NULL},
    {"describe-pending-maintenance-actions", "Lists the maintenance actions pending for "
     "instances (all pages): system-update, db-upgrade.", NULL,
     "DescribePendingMaintenanceActions", describe_pending_maintenance_actions_flags,
     "PendingMaintenanceActions"},
    {"apply-pending-maintenance-action", "Applies a pending maintenance action now "
     "(immediate) or in the next maintenance window, or undoes that opt-in.", NULL,
     "ApplyPendingMaintenanceAction", apply_pending_maintenance_action_flags, NULL},
    CLUSTER_COMMANDS,
    CLUSTER_SNAPSHOT_COMMANDS,
    {"describe-db-engine-versions", "Lists the engine versions rdsim can run.", NULL,
     "DescribeDBEngineVersions", describe_db_engine_versions_flags, "DBEngineVersions"},
    {"describe-orderable-db-instance-options", "Lists the instance classes and storage an engine "
     "can be ordered with.", NULL, "DescribeOrderableDBInstanceOptions", describe_orderable_flags,
     "OrderableDBInstanceOptions"},
    {"create-db-subnet-group", "Creates a DB subnet group: subnets (rdsctl ec2 create-subnet) in at "
     "least two AZs where the nodes of its instances live.", NULL, "CreateDBSubnetGroup",
     create_db_subnet_group_flags, NULL},
    {"describe-db-subnet-groups", "Describes DB subnet groups (all pages).", NULL,
     "DescribeDBSubnetGroups", describe_db_subnet_groups_flags, "DBSubnetGroups"},
    {"modify-db-subnet-group", "Replaces a DB subnet group's subnets.", NULL, "ModifyDBSubnetGroup",
     modify_db_subnet_group_flags, NULL},
    {"delete-db-subnet-group", "Deletes a DB subnet group no instance uses.", NULL,
     "DeleteDBSubnetGroup", delete_db_subnet_group_flags, NULL},
    {"create-db-parameter-group", "Creates a DB parameter group (family postgres15).", NULL,
     "CreateDBParameterGroup", create_db_parameter_group_flags, NULL},
    {"describe-db-parameter-groups", "Describes DB parameter groups (all pages).", NULL,
     "DescribeDBParameterGroups", describe_db_parameter_groups_flags, "DBParameterGroups"},
    {"modify-db-parameter-group", "Sets up to 20 parameters of a DB parameter group; dynamic "
     "ones with ApplyMethod=immediate reach running instances at once.", NULL,
     "ModifyDBParameterGroup", modify_db_parameter_group_flags, NULL},
    {"describe-db-parameters", "Lists a DB parameter group's parameters (all pages).", NULL,
     "DescribeDBParameters", describe_db_parameters_flags, "Parameters"},
    {"reset-db-parameter-group", "Resets some or all parameters of a DB parameter group.", NULL,
     "ResetDBParameterGroup", reset_db_parameter_group_flags, NULL},
    {"delete-db-parameter-group", "Deletes a DB parameter group no instance uses.", NULL,
     "DeleteDBParameterGroup", delete_db_parameter_group_flags, NULL},
    {"describe-engine-default-parameters", "Lists the engine's default parameters (one page; "
     "EngineDefaults.Marker for the next).", NULL, "DescribeEngineDefaultParameters",
     describe_engine_default_parameters_flags, NULL},
    {"describe-events", "Lists events (the last hour unless --start-time/--duration).", NULL,
     "DescribeEvents", describe_events_flags, "Events"},
    {"view-url", "Prints a URL of the live web view (15 min).", view_url_run, NULL, view_url_flags, NULL},
    {"describe-event-categories", "Lists the event categories of a source type.", NULL,
     "DescribeEventCategories", describe_event_categories_flags, NULL},
    {"create-event-subscription", "Subscribes an SNS topic to RDS events (filtered by source "
     "type, source ids and categories).", NULL, "CreateEventSubscription",
     create_event_subscription_flags, NULL},
    {"describe-event-subscriptions", "Describes event subscriptions (all pages).", NULL,
     "DescribeEventSubscriptions", describe_event_subscriptions_flags, "EventSubscriptionsList"},
    {"modify-event-subscription", "Changes an event subscription's topic, source type, "
     "categories or Enabled.", NULL, "ModifyEventSubscription", modify_event_subscription_flags,
     NULL},
    {"delete-event-subscription", "Deletes an event subscription.", NULL,
     "DeleteEventSubscription", subscription_name_flags, NULL},
    {"add-source-identifier-to-subscription", "Adds a source to an event subscription.", NULL,
     "AddSourceIdentifierToSubscription", subscription_source_flags, NULL},
    {"remove-source-identifier-from-subscription", "Removes a source from an event "
     "subscription.", NULL, "RemoveSourceIdentifierFromSubscription", subscription_source_flags,
     NULL},
    {"describe-db-log-files", "Lists an instance's PostgreSQL log files (all pages).", NULL,
     "DescribeDBLogFiles", describe_db_log_files_flags, "DescribeDBLogFiles"},
    {"download-db-log-file-portion", "Downloads part of a log file: the last lines, or from a "
     "Marker (\"0\": the start).", NULL, "DownloadDBLogFilePortion",
     download_db_log_file_portion_flags, NULL},
    {"wait", "Waits until a DB instance reaches a state: rdsctl wait <waiter> [parameters]. "
     "Polls every $RDSCTL_WAIT_DELAY seconds (default 0.5).", cli_run_wait, NULL, wait_flags, NULL},
    {"call", "Sends any action with raw Query parameters: rdsctl call ACTION Name=Value ...",
     cli_run_call, NULL, no_flags, NULL},
    {"dns", "Resolves a name through the region's DNS server, with TTLs (rdsim). rdsctl dns lookup "
     "NAME prints the CNAME chain, each record's TTL and the zone's SOA serial.", dnslookup_run, NULL,
     dnslookup_flags, NULL},
    {"clock", "Shows or advances the region clock (rdsim): rdsctl clock show | rdsctl clock "
     "advance DURATION (36d, 12h, 90m, 30s, 1d12h).", clock_cli_run, NULL, clock_cli_flags, NULL},
    {"ec2", "Manages the region's simulated VPC, as `aws ec2` does: security groups (ingress rules "
     "become pg_hba.conf lines) and subnets (loopback blocks per AZ): create-security-group, "
     "describe-security-groups, delete-security-group, authorize-security-group-ingress, "
     "revoke-security-group-ingress, create-subnet, describe-subnets, delete-subnet (rdsctl ec2 "
     "<subcommand> help).", ec2_cli_run, NULL, ec2_cli_flags, NULL},
    {"kms", "Manages the region's KMS keys, as `aws kms` does: create-key, describe-key, list-keys, "
     "list-aliases, create-alias, disable-key, enable-key, schedule-key-deletion, "
     "cancel-key-deletion (rdsctl kms <subcommand> help).", kms_cli_run, NULL, kms_cli_flags, NULL},
    {"sns", "The region's notification service, as `aws sns` (rdsim): create-topic, list-topics, "
     "delete-topic, get-topic-attributes, subscribe, unsubscribe, list-subscriptions, "
     "list-subscriptions-by-topic, publish, and list-deliveries (delivery status per "
     "subscription). rdsctl sns <subcommand> help.", svc_cli_run_sns, NULL, svc_cli_flags, NULL},
    {"sqs", "The region's local queues, as `aws sqs` (rdsim): create-queue, get-queue-url, "
     "list-queues, delete-queue, send-message, receive-message, delete-message. rdsctl sqs "
     "<subcommand> help.", svc_cli_run_sqs, NULL, svc_cli_flags, NULL},
    {"monitoring", "Shows Enhanced Monitoring's OS metrics of an instance (rdsim): rdsctl "
     "monitoring get --db-instance-identifier X [--start-time T --end-time T].",
     monitoring_cli_run, NULL, monitoring_cli_flags, NULL},
    {"logs", "Prints an instance's newest PostgreSQL log lines (rdsim): rdsctl logs tail "
     "--db-instance-identifier X [--lines N] [--follow].", logs_cli_run, NULL, logs_cli_flags,
     NULL},
    {"chaos", "Injects faults into a Multi-AZ instance while writers run through its endpoint "
     "(rdsim): kills, host losses, hangs, controlplane kills mid-failover, forced failovers; "
     "measures each failover and checks that no acknowledged write was lost.", chaos_run, NULL,
     chaos_flags, NULL},
    {"lab", "Runs a lab (rdsim): rdsctl lab dns-caching --db-instance-identifier X "
     "--master-user-password PW: client models with different DNS caches write through a Multi-AZ "
     "instance while it fails over; a table, --json and an --svg timeline of what each lived "
     "through. rdsctl lab reader-endpoint --db-cluster-identifier C --master-user-password PW: "
     "lanes with different DNS caches open fresh connections through a cluster's reader "
     "endpoint; each lane's share per reader, then a reader stopped.", lab_run, NULL, lab_flags,
     NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

const command *commands_find(const char *name)
{
    for (const command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* ------------------------------------------------------------------ help */

static const char *cli_type_hint(const arg_spec *s)
{
    switch (s->type) {
    case ARG_STRING: return "<string>";
    case ARG_INT: return "<integer>";
    case ARG_TIMESTAMP: return "<timestamp>";
    case ARG_LIST: return "<string> [<string> ...]";
    case ARG_STRUCT: return "<shorthand|JSON>";
    case ARG_STRUCT_LIST: return "<shorthand> [<shorthand> ...] | <JSON>";
    case ARG_SECONDS: return "<seconds>";
    case ARG_BOOL:
    case ARG_FLAG: break;
    }
    return "";
}

static void cli_print_command_help(const command *cmd, const char *prefix)
{
    printf("usage: " CLI_PROG " %s%s [parameters]\n\n", prefix,
           strcmp(cmd->name, "wait") == 0 && strcmp(prefix, "wait") == 0 ? " <waiter>" : "");
    printf("%s\n", cmd->help);
    if (cmd->action)
        printf("API action: %s\n", cmd->action);
    if (cmd->run == cli_run_wait && strcmp(prefix, "wait") == 0) {
        printf("\nWaiters:\n");
        for (const wait_spec *w = wait_specs; w->name; w++)
            printf("  %-38s %s\n", w->name, w->help);
    }
    if (cmd->flags[0].flag)
        printf("\nParameters:\n");
    for (const arg_spec *s = cmd->flags; s->flag; s++) {
        char left[160];
        if (s->type == ARG_BOOL)
            snprintf(left, sizeof left, "--%s | --no-%s", s->flag, s->flag);
        else if (s->type == ARG_FLAG)
            snprintf(left, sizeof left, "--%s", s->flag);
        else
            snprintf(left, sizeof left, "--%s %s", s->flag, cli_type_hint(s));
        printf("  %-50s %s%s\n", left, s->required ? "(required) " : "", s->help);
    }
}

static void cli_print_help(void)
{
    printf("usage: " CLI_PROG " [options] <command> [parameters]\n\n"
           CLI_PROG " drives the rdsim controlplane the way `aws rds` drives Amazon RDS:\n"
           "same subcommands, flags and JSON output.\n\nCommands:\n");
    for (const command *c = commands; c->name; c++) {
        /* The first clause of the help is the summary. */
        size_t n = strcspn(c->help, ".:;");
        printf("  %-40s %.*s\n", c->name, (int)n, c->help);
    }
    printf("  %-40s %s\n", "help", "This text; `" CLI_PROG " <command> help` for one command");
    printf("\nOptions (anywhere on the line):\n"
           "  --endpoint-url URL       controlplane URL\n"
           "  --output json|text|table output format (default json, or $RDSCTL_OUTPUT)\n"
           "  --debug                  print requests (passwords redacted) and replies on stderr\n"
           "  --help                   help\n"
           "\nEndpoint: --endpoint-url, else $RDSCTL_ENDPOINT, else http://127.0.0.1:$RDS_API_PORT,\n"
           "else RDS_API_PORT from ${RDS_HOME:-./run}/region.env, else http://127.0.0.1:8780.\n"
           "\nExit status: 0 ok, 252 usage, 254 service error, 255 no answer or waiter failure.\n");
}

/* ------------------------------------------------------------- dispatch */

typedef struct {
    const char *endpoint_url;
    const char *output;
    bool debug;
    bool help;
} cli_globals;

/* Takes global options out of argv (anywhere after the program name);
 * the remaining words are compacted into argv[1..*argc). Returns false
 * (message printed) on a global option without its value. */
static bool cli_take_globals(int *argc, char **argv, cli_globals *g)
{
    static const char *const valued[] = {"--endpoint-url", "--output"};
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        const char *w = argv[i];
        if (strcmp(w, "--debug") == 0) {
            g->debug = true;
            continue;
        }
        if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
            g->help = true;
            continue;
        }
        bool taken = false;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0] && !taken; k++) {
            size_t n = strlen(valued[k]);
            if (strncmp(w, valued[k], n) != 0 || (w[n] != '\0' && w[n] != '='))
                continue;
            const char *value = NULL;
            if (w[n] == '=') {
                value = w + n + 1;
            } else if (i + 1 < *argc && strncmp(argv[i + 1], "--", 2) != 0) {
                value = argv[++i];
            } else {
                char *msg = xasprintf("argument %s: expected one argument", valued[k]);
                cli_usage_error(msg);
                free(msg);
                return false;
            }
            if (k == 0)
                g->endpoint_url = value;
            else
                g->output = value;
            taken = true;
        }
        if (!taken)
            argv[kept++] = argv[i];
    }
    *argc = kept;
    return true;
}

int commands_main(int argc, char **argv, const cli_env *env)
{
    cli_globals g = {0};
    if (!cli_take_globals(&argc, argv, &g))
        return CLI_EXIT_USAGE;
    if (argc < 2) {
        if (g.help) {
            cli_print_help();
            return CLI_EXIT_OK;
        }
        cli_usage_error("the following arguments are required: command");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "help") == 0) {
        const command *c = argc > 2 ? commands_find(argv[2]) : NULL;
        if (c)
            cli_print_command_help(c, c->name);
        else
            cli_print_help();
        return CLI_EXIT_OK;
    }
    const command *cmd = commands_find(argv[1]);
    if (!cmd) {
        sbuf msg = {0};
        sbuf_printf(&msg, "argument command: Invalid choice '%s', valid choices are:\n\n", argv[1]);
        for (const command *c = commands; c->name; c++)
            sbuf_printf(&msg, "%s\n", c->name);
        cli_usage_error(msg.data);
        sbuf_free(&msg);
        return CLI_EXIT_USAGE;
    }
    if ((g.help || (argc > 2 && strcmp(argv[2], "help") == 0)) && cmd->run != cli_run_wait) {
        cli_print_command_help(cmd, cmd->name);
        return CLI_EXIT_OK;
    }
    if (g.help && cmd->run == cli_run_wait) {
        cli_print_command_help(cmd, cmd->name);
        return CLI_EXIT_OK;
    }

    cli_ctx ctx = {.debug = g.debug, .width = env->term_width > 0 ? env->term_width : 80,
                   .progress = env->stderr_tty, .wait_delay_s = CLI_DEFAULT_WAIT_DELAY_S};
    const char *format = g.output ? g.output : (env->output && *env->output ? env->output : "json");
    if (!output_parse_format(format, &ctx.output)) {
        cli_usage_error("argument --output: Invalid choice, valid choices are: json | text | table");
        return CLI_EXIT_USAGE;
    }
    if (env->wait_delay && *env->wait_delay) {
        char *end = NULL;
        double d = strtod(env->wait_delay, &end);
        if (end != env->wait_delay && *end == '\0' && isfinite(d) && d >= 0)
            ctx.wait_delay_s = d;
    }
    ctx.endpoint = api_endpoint_resolve(g.endpoint_url, env->endpoint, env->api_port, env->rds_home);
    if (!api_endpoint_valid(ctx.endpoint)) {
        fprintf(stderr, "\nBad value for --endpoint-url \"%s\": must be of the form "
                        "http://<hostname>:<port>/\n", ctx.endpoint);
        free(ctx.endpoint);
        return CLI_EXIT_USAGE;
    }
    command_run run = cmd->run ? cmd->run : cli_run_action;
    int rc = run(&ctx, cmd, argc - 2, argv + 2);
    free(ctx.endpoint);
    return rc;
}
