/* clustercmds: rdsctl's Multi-AZ DB cluster commands (create, describe,
 * modify, delete, reboot, failover, stop, start; create, describe,
 * modify, reset, copy and delete cluster parameter groups, their
 * parameters and the engine's defaults), rows of commands.c's
 * table spliced in with CLUSTER_COMMANDS; their flag tables, in the
 * botocore model's member order, live in clustercmds.c. */
#ifndef RDSIM_CLI_CLUSTERCMDS_H
#define RDSIM_CLI_CLUSTERCMDS_H

#include "cli/args.h"

extern const arg_spec cluster_create_flags[], cluster_describe_flags[], cluster_modify_flags[],
    cluster_delete_flags[], cluster_id_flags[], cluster_failover_flags[],
    cluster_pg_create_flags[], cluster_pg_describe_flags[], cluster_pg_delete_flags[],
    cluster_pg_modify_flags[], cluster_pg_reset_flags[], cluster_pg_parameters_flags[],
    cluster_pg_engine_defaults_flags[], cluster_pg_copy_flags[];

/* The Parameter shape (botocore's member order) of every --parameters
 * flag, DB and DB cluster parameter groups alike. */
extern const arg_shape cluster_parameter_shape;

#define CLUSTER_COMMANDS                                                                        \
    {"create-db-cluster", "Creates a Multi-AZ DB cluster: a writer and two readable standbys "   \
     "in three AZs, commits waiting for either reader.", NULL, "CreateDBCluster",               \
     cluster_create_flags, NULL},                                                              \
    {"describe-db-clusters", "Describes DB clusters (all pages).", NULL, "DescribeDBClusters",   \
     cluster_describe_flags, "DBClusters"},                                                    \
    {"modify-db-cluster", "Modifies a DB cluster (applied at once).", NULL, "ModifyDBCluster",   \
     cluster_modify_flags, NULL},                                                              \
    {"delete-db-cluster", "Deletes a DB cluster and its members.", NULL, "DeleteDBCluster",      \
     cluster_delete_flags, NULL},                                                              \
    {"reboot-db-cluster", "Restarts every member of a DB cluster.", NULL, "RebootDBCluster",     \
     cluster_id_flags, NULL},                                                                  \
    {"failover-db-cluster", "Promotes a reader (--target-db-instance-identifier, else the one "  \
     "with the most WAL) to writer.", NULL, "FailoverDBCluster", cluster_failover_flags, NULL}, \
    {"stop-db-cluster", "Stops every member of a DB cluster.", NULL, "StopDBCluster",            \
     cluster_id_flags, NULL},                                                                  \
    {"start-db-cluster", "Starts a stopped DB cluster.", NULL, "StartDBCluster",                 \
     cluster_id_flags, NULL},                                                                  \
    {"create-db-cluster-parameter-group", "Creates a DB cluster parameter group (family "       \
     "postgres15).", NULL, "CreateDBClusterParameterGroup", cluster_pg_create_flags, NULL},     \
    {"describe-db-cluster-parameter-groups", "Describes DB cluster parameter groups (all "      \
     "pages).", NULL, "DescribeDBClusterParameterGroups", cluster_pg_describe_flags,           \
     "DBClusterParameterGroups"},                                                              \
    {"delete-db-cluster-parameter-group", "Deletes a DB cluster parameter group no cluster "    \
     "uses.", NULL, "DeleteDBClusterParameterGroup", cluster_pg_delete_flags, NULL},           \
    {"modify-db-cluster-parameter-group", "Sets up to 20 parameters of a DB cluster parameter " \
     "group; dynamic ones with ApplyMethod=immediate reach the members at once, the rest at "   \
     "reboot-db-cluster.", NULL, "ModifyDBClusterParameterGroup", cluster_pg_modify_flags,      \
     NULL},                                                                                    \
    {"reset-db-cluster-parameter-group", "Resets some or all parameters of a DB cluster "       \
     "parameter group.", NULL, "ResetDBClusterParameterGroup", cluster_pg_reset_flags, NULL},   \
    {"copy-db-cluster-parameter-group", "Copies a DB cluster parameter group and its "          \
     "parameters.", NULL, "CopyDBClusterParameterGroup", cluster_pg_copy_flags, NULL},          \
    {"describe-db-cluster-parameters", "Lists a DB cluster parameter group's parameters (all "  \
     "pages).", NULL, "DescribeDBClusterParameters", cluster_pg_parameters_flags, "Parameters"}, \
    {"describe-engine-default-cluster-parameters", "Lists the engine's default cluster "        \
     "parameters (one page; EngineDefaults.Marker for the next).", NULL,                       \
     "DescribeEngineDefaultClusterParameters", cluster_pg_engine_defaults_flags, NULL}

#endif
