/* clusterapi: the RDS actions of Multi-AZ DB clusters (cluster.h's model):
 * CreateDBCluster, DescribeDBClusters, ModifyDBCluster, DeleteDBCluster,
 * RebootDBCluster, FailoverDBCluster, StopDBCluster, StartDBCluster and
 * DescribeDBClusterParameterGroups (the default group only). Each answers
 * with the DBCluster shape (clusterapi_render) or an AWS error; a request
 * that fails leaves nothing behind (service.h). */
#ifndef RDSIM_CLUSTERAPI_H
#define RDSIM_CLUSTERAPI_H

#include "controlplane/core/service.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/cluster.h"

bool clusterapi_create(region *r, const params *p, cJSON *result, awserr *err);
bool clusterapi_describe(region *r, const params *p, cJSON *result, awserr *err);
bool clusterapi_modify(region *r, const params *p, cJSON *result, awserr *err);
bool clusterapi_delete(region *r, const params *p, cJSON *result, awserr *err);
bool clusterapi_reboot(region *r, const params *p, cJSON *result, awserr *err);
bool clusterapi_failover(region *r, const params *p, cJSON *result, awserr *err);
bool clusterapi_stop(region *r, const params *p, cJSON *result, awserr *err);
bool clusterapi_start(region *r, const params *p, cJSON *result, awserr *err);

/* The settings of a new cluster's three members (CreateDBCluster, the
 * restores: clustersnap.h). Borrowed strings; kms_key_id NULL: aws/rds. */
typedef struct {
    const char *db_class, *storage_type, *master_username, *master_verifier, *db_name;
    const char *kms_key_id;
    int64_t port, allocated_storage, iops;
    bool encrypted;
} clusterapi_members;

/* In the caller's transaction: inserts c (id, settings, extra JSON filled;
 * resource_id made when NULL; writer and kms_key_id set here) and its
 * three members, the writer with instwf's "create", the readers with
 * cluster_reader. DBClusterAlreadyExists, DBSubnetGroupDoesNotCoverEnoughAZs
 * or the members' errors (instrow.h); nothing to undo but the rollback. */
bool clusterapi_insert(region *r, cluster_row *c, const clusterapi_members *m, awserr *err);

/* The DBCluster shape of c (members read from the store). Caller owns. */
cJSON *clusterapi_render(region *r, const cluster_row *c);

/* ModifyDBInstance of a member: RDS refuses the cluster-level settings on
 * a member (InvalidParameterCombination); true when p names none of them
 * or in is no member. */
bool clusterapi_member_modify_ok(const store_instance *in, const params *p, awserr *err);
/* DeleteDBInstance, StopDBInstance, StartDBInstance of a member: the
 * cluster's to do (InvalidDBInstanceState naming the cluster action);
 * true when in is no member. what: "delete", "stop", "start". */
bool clusterapi_member_refuse(const store_instance *in, const char *what, awserr *err);

#endif
