/* clustersnapcmds: rdsctl's DB cluster snapshot and restore commands
 * (create, describe, delete, copy a cluster snapshot; restore a cluster
 * from one or to a point in time), rows of commands.c's table spliced in
 * with CLUSTER_SNAPSHOT_COMMANDS; their flag tables, in the botocore
 * model's member order, live in clustersnapcmds.c. */
#ifndef RDSIM_CLI_CLUSTERSNAPCMDS_H
#define RDSIM_CLI_CLUSTERSNAPCMDS_H

#include "cli/args.h"

extern const arg_spec csnap_create_flags[], csnap_describe_flags[], csnap_delete_flags[],
    csnap_copy_flags[], csnap_restore_flags[], cluster_pitr_flags[];

#define CLUSTER_SNAPSHOT_COMMANDS                                                               \
    {"create-db-cluster-snapshot", "Takes a manual snapshot of an available DB cluster (of its " \
     "writer).", NULL, "CreateDBClusterSnapshot", csnap_create_flags, NULL},                    \
    {"describe-db-cluster-snapshots", "Describes DB cluster snapshots (all pages).", NULL,       \
     "DescribeDBClusterSnapshots", csnap_describe_flags, "DBClusterSnapshots"},                 \
    {"delete-db-cluster-snapshot", "Deletes a DB cluster snapshot and its backup object.", NULL, \
     "DeleteDBClusterSnapshot", csnap_delete_flags, NULL},                                      \
    {"copy-db-cluster-snapshot", "Copies a DB cluster snapshot; --kms-key-id encrypts the "      \
     "copy.", NULL, "CopyDBClusterSnapshot", csnap_copy_flags, NULL},                           \
    {"restore-db-cluster-from-snapshot", "Creates a DB cluster from a cluster snapshot's data "  \
     "(a writer restored, two readers built from it).", NULL, "RestoreDBClusterFromSnapshot",   \
     csnap_restore_flags, NULL},                                                               \
    {"restore-db-cluster-to-point-in-time", "Creates a DB cluster holding exactly what the "     \
     "source committed up to --restore-to-time (or its latest restorable time); --port "        \
     "changes the port.", NULL, "RestoreDBClusterToPointInTime", cluster_pitr_flags, NULL}

#endif
