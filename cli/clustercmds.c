/* clustercmds: see clustercmds.h. */
#include "cli/clustercmds.h"

#include <stddef.h>

static const arg_field tag_fields[] = {{"Key", NULL, false}, {"Value", NULL, false}, {NULL, NULL, false}};
static const arg_shape tag_shape = {tag_fields};
static const arg_field filter_fields[] = {{"Name", NULL, true}, {"Values", "Value", true}, {NULL, NULL, false}};
static const arg_shape filter_shape = {filter_fields};
static const arg_field parameter_fields[] = {
    {"ParameterName", NULL, false}, {"ParameterValue", NULL, false}, {"Description", NULL, false},
    {"Source", NULL, false}, {"ApplyType", NULL, false}, {"DataType", NULL, false},
    {"AllowedValues", NULL, false}, {"IsModifiable", NULL, false},
    {"MinimumEngineVersion", NULL, false}, {"ApplyMethod", NULL, false}, {NULL, NULL, false}};
const arg_shape cluster_parameter_shape = {parameter_fields};

#define F_CLUSTER_FILTERS \
    F_STRUCTS("filters", "Filters", "Filter", &filter_shape, \
              "Filters: Name=parameter-name,Values=string,string ...")

const arg_spec cluster_create_flags[] = {
    F_INT("backup-retention-period", "BackupRetentionPeriod", "Days (1-35)"),
    F_STR("database-name", "DatabaseName", "Database created in the cluster"),
    F_REQ("db-cluster-identifier", "DBClusterIdentifier", "Name of the cluster"),
    F_STR("db-cluster-parameter-group-name", "DBClusterParameterGroupName",
          "Cluster parameter group (default.postgres15)"),
    F_LIST("vpc-security-group-ids", "VpcSecurityGroupIds", "VpcSecurityGroupId",
           "VPC security group IDs"),
    F_STR("db-subnet-group-name", "DBSubnetGroupName", "DB subnet group (three AZs)"),
    F_REQ("engine", "Engine", "Engine: postgres"),
    F_INT("port", "Port", "Port (default 5432)"),
    F_STR("master-username", "MasterUsername", "Master user name"),
    F_STR("master-user-password", "MasterUserPassword", "Master user password"),
    F_STR("preferred-backup-window", "PreferredBackupWindow", "hh24:mi-hh24:mi (UTC)"),
    F_STR("preferred-maintenance-window", "PreferredMaintenanceWindow", "ddd:hh24:mi-ddd:hh24:mi"),
    F_STRUCTS("tags", "Tags", "Tag", &tag_shape, "Tags: Key=string,Value=string ..."),
    F_BOOL("storage-encrypted", "StorageEncrypted", "Encrypt the storage"),
    F_STR("kms-key-id", "KmsKeyId", "KMS key (with --storage-encrypted)"),
    F_STR("db-cluster-instance-class", "DBClusterInstanceClass", "Class of the three members"),
    F_INT("allocated-storage", "AllocatedStorage", "GiB"),
    F_STR("storage-type", "StorageType", "io1, io2 or gp3"),
    F_INT("iops", "Iops", "Provisioned IOPS"),
    F_BOOL("deletion-protection", "DeletionProtection", "Refuse deletes"),
    F_END,
};

const arg_spec cluster_describe_flags[] = {
    F_STR("db-cluster-identifier", "DBClusterIdentifier", "Only this cluster"),
    F_INT("max-records", "MaxRecords", "Page size; turns off automatic paging"),
    F_STR("marker", "Marker", "Start after this marker"),
    F_END,
};

const arg_spec cluster_modify_flags[] = {
    F_REQ("db-cluster-identifier", "DBClusterIdentifier", "Cluster to modify"),
    F_BOOL("apply-immediately", "ApplyImmediately", "Accepted; changes apply at once"),
    F_INT("backup-retention-period", "BackupRetentionPeriod", "Days (1-35)"),
    F_STR("db-cluster-parameter-group-name", "DBClusterParameterGroupName",
          "New cluster parameter group (members pending-reboot until rebooted)"),
    F_STR("master-user-password", "MasterUserPassword", "New master user password"),
    F_BOOL("deletion-protection", "DeletionProtection", "Refuse deletes"),
    F_STR("db-cluster-instance-class", "DBClusterInstanceClass", "New class (members restart)"),
    F_INT("allocated-storage", "AllocatedStorage", "GiB (no smaller)"),
    F_STR("storage-type", "StorageType", "io1, io2 or gp3"),
    F_INT("iops", "Iops", "Provisioned IOPS"),
    F_END,
};

const arg_spec cluster_delete_flags[] = {
    F_REQ("db-cluster-identifier", "DBClusterIdentifier", "Cluster to delete"),
    F_BOOL("skip-final-snapshot", "SkipFinalSnapshot", "No final snapshot"),
    F_STR("final-db-snapshot-identifier", "FinalDBSnapshotIdentifier",
          "Final cluster snapshot (unless --skip-final-snapshot)"),
    F_END,
};

const arg_spec cluster_id_flags[] = {
    F_REQ("db-cluster-identifier", "DBClusterIdentifier", "The cluster"),
    F_END,
};

const arg_spec cluster_failover_flags[] = {
    F_REQ("db-cluster-identifier", "DBClusterIdentifier", "The cluster"),
    F_STR("target-db-instance-identifier", "TargetDBInstanceIdentifier", "Reader to promote"),
    F_END,
};

const arg_spec cluster_pg_create_flags[] = {
    F_REQ("db-cluster-parameter-group-name", "DBClusterParameterGroupName",
          "Name: 1-255 letters, digits, hyphens"),
    F_REQ("db-parameter-group-family", "DBParameterGroupFamily", "Family: postgres15"),
    F_REQ("description", "Description", "Description"),
    F_STRUCTS("tags", "Tags", "Tag", &tag_shape, "Tags: Key=string,Value=string ..."),
    F_END,
};

const arg_spec cluster_pg_describe_flags[] = {
    F_STR("db-cluster-parameter-group-name", "DBClusterParameterGroupName", "Only this group"),
    F_INT("max-records", "MaxRecords", "Page size; turns off automatic paging"),
    F_STR("marker", "Marker", "Start after this marker"),
    F_END,
};

const arg_spec cluster_pg_delete_flags[] = {
    F_REQ("db-cluster-parameter-group-name", "DBClusterParameterGroupName", "The group"),
    F_END,
};

const arg_spec cluster_pg_modify_flags[] = {
    F_REQ("db-cluster-parameter-group-name", "DBClusterParameterGroupName", "The group"),
    F_STRUCTS("parameters", "Parameters", "Parameter", &cluster_parameter_shape,
              "At most 20: ParameterName=string,ParameterValue=string,"
              "ApplyMethod=immediate|pending-reboot ..."),
    F_END,
};

const arg_spec cluster_pg_reset_flags[] = {
    F_REQ("db-cluster-parameter-group-name", "DBClusterParameterGroupName", "The group"),
    F_BOOL("reset-all-parameters", "ResetAllParameters", "Reset every parameter"),
    F_STRUCTS("parameters", "Parameters", "Parameter", &cluster_parameter_shape,
              "At most 20: ParameterName=string,ApplyMethod=immediate|pending-reboot ..."),
    F_END,
};

const arg_spec cluster_pg_parameters_flags[] = {
    F_REQ("db-cluster-parameter-group-name", "DBClusterParameterGroupName", "The group"),
    F_STR("source", "Source", "Only these: user | system | engine-default"),
    F_CLUSTER_FILTERS,
    F_INT("max-records", "MaxRecords", "Page size (20-100); turns off automatic paging"),
    F_STR("marker", "Marker", "Start after this marker; turns off automatic paging"),
    F_END,
};

const arg_spec cluster_pg_engine_defaults_flags[] = {
    F_REQ("db-parameter-group-family", "DBParameterGroupFamily", "Family: postgres15"),
    F_CLUSTER_FILTERS,
    F_INT("max-records", "MaxRecords", "Page size (20-100)"),
    F_STR("marker", "Marker", "Start after this marker"),
    F_END,
};

const arg_spec cluster_pg_copy_flags[] = {
    F_REQ("source-db-cluster-parameter-group-identifier",
          "SourceDBClusterParameterGroupIdentifier", "Group to copy (name or ARN)"),
    F_REQ("target-db-cluster-parameter-group-identifier",
          "TargetDBClusterParameterGroupIdentifier", "Name of the copy"),
    F_REQ("target-db-cluster-parameter-group-description",
          "TargetDBClusterParameterGroupDescription", "Description of the copy"),
    F_STRUCTS("tags", "Tags", "Tag", &tag_shape, "Tags of the copy: Key=string,Value=string ..."),
    F_END,
};
