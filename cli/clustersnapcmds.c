/* clustersnapcmds: see clustersnapcmds.h. */
#include "cli/clustersnapcmds.h"

#include <stddef.h>

static const arg_field tag_fields[] = {{"Key", NULL, false}, {"Value", NULL, false}, {NULL, NULL, false}};
static const arg_shape tag_shape = {tag_fields};
static const arg_field filter_fields[] = {{"Name", NULL, true}, {"Values", "Value", true}, {NULL, NULL, false}};
static const arg_shape filter_shape = {filter_fields};

const arg_spec csnap_create_flags[] = {
    F_REQ("db-cluster-snapshot-identifier", "DBClusterSnapshotIdentifier", "Name of the snapshot"),
    F_REQ("db-cluster-identifier", "DBClusterIdentifier", "Cluster to snapshot"),
    F_STRUCTS("tags", "Tags", "Tag", &tag_shape, "Tags: Key=string,Value=string ..."),
    F_END,
};

const arg_spec csnap_describe_flags[] = {
    F_STR("db-cluster-identifier", "DBClusterIdentifier", "Only this cluster's"),
    F_STR("db-cluster-snapshot-identifier", "DBClusterSnapshotIdentifier", "Only this snapshot"),
    F_STR("snapshot-type", "SnapshotType", "manual or automated"),
    F_STRUCTS("filters", "Filters", "Filter", &filter_shape,
              "Name=db-cluster-id|db-cluster-snapshot-id|snapshot-type,Values=..."),
    F_INT("max-records", "MaxRecords", "Page size; turns off automatic paging"),
    F_STR("marker", "Marker", "Start after this marker"),
    F_STR("db-cluster-resource-id", "DbClusterResourceId", "Only this cluster resource's"),
    F_END,
};

const arg_spec csnap_delete_flags[] = {
    F_REQ("db-cluster-snapshot-identifier", "DBClusterSnapshotIdentifier", "Snapshot to delete"),
    F_END,
};

const arg_spec csnap_copy_flags[] = {
    F_REQ("source-db-cluster-snapshot-identifier", "SourceDBClusterSnapshotIdentifier",
          "Snapshot (or its ARN) to copy"),
    F_REQ("target-db-cluster-snapshot-identifier", "TargetDBClusterSnapshotIdentifier",
          "Name of the copy"),
    F_STR("kms-key-id", "KmsKeyId", "Encrypt the copy under this key"),
    F_BOOL("copy-tags", "CopyTags", "Copy the source's tags"),
    F_STRUCTS("tags", "Tags", "Tag", &tag_shape, "Tags: Key=string,Value=string ..."),
    F_END,
};

const arg_spec csnap_restore_flags[] = {
    F_REQ("db-cluster-identifier", "DBClusterIdentifier", "Name of the new cluster"),
    F_REQ("snapshot-identifier", "SnapshotIdentifier", "Cluster snapshot (or its ARN)"),
    F_REQ("engine", "Engine", "Engine: postgres"),
    F_INT("port", "Port", "Port (default: the snapshot's)"),
    F_STR("db-subnet-group-name", "DBSubnetGroupName", "DB subnet group (three AZs)"),
    F_LIST("vpc-security-group-ids", "VpcSecurityGroupIds", "VpcSecurityGroupId",
           "VPC security group IDs"),
    F_STRUCTS("tags", "Tags", "Tag", &tag_shape, "Tags: Key=string,Value=string ..."),
    F_BOOL("deletion-protection", "DeletionProtection", "Refuse deletes"),
    F_STR("db-cluster-instance-class", "DBClusterInstanceClass", "Class of the three members"),
    F_STR("storage-type", "StorageType", "io1, io2 or gp3"),
    F_INT("iops", "Iops", "Provisioned IOPS"),
    F_BOOL("publicly-accessible", "PubliclyAccessible", "Public addresses"),
    F_END,
};

const arg_spec cluster_pitr_flags[] = {
    F_REQ("db-cluster-identifier", "DBClusterIdentifier", "Name of the new cluster"),
    F_STR("restore-type", "RestoreType", "full-copy"),
    F_REQ("source-db-cluster-identifier", "SourceDBClusterIdentifier", "Cluster whose backups"),
    F_STR("restore-to-time", "RestoreToTime", "Time to restore to (ISO 8601 UTC, region clock)"),
    F_BOOL("use-latest-restorable-time", "UseLatestRestorableTime", "The latest restorable time"),
    F_INT("port", "Port", "Port (default: the source's)"),
    F_STR("db-subnet-group-name", "DBSubnetGroupName", "DB subnet group (three AZs)"),
    F_LIST("vpc-security-group-ids", "VpcSecurityGroupIds", "VpcSecurityGroupId",
           "VPC security group IDs"),
    F_STRUCTS("tags", "Tags", "Tag", &tag_shape, "Tags: Key=string,Value=string ..."),
    F_BOOL("deletion-protection", "DeletionProtection", "Refuse deletes"),
    F_STR("db-cluster-instance-class", "DBClusterInstanceClass", "Class of the three members"),
    F_STR("storage-type", "StorageType", "io1, io2 or gp3"),
    F_BOOL("publicly-accessible", "PubliclyAccessible", "Public addresses"),
    F_INT("iops", "Iops", "Provisioned IOPS"),
    F_END,
};
