/* clusterpg: DB cluster parameter groups (Multi-AZ DB clusters) as
 * objects — CreateDBClusterParameterGroup, DescribeDBClusterParameterGroups,
 * DeleteDBClusterParameterGroup — and the check CreateDBCluster and
 * RestoreDBClusterFromSnapshot/ToPointInTime make of
 * DBClusterParameterGroupName.
 *
 * Table db_cluster_parameter_groups(name, family, description,
 * created_ms), names lowercase; its Tags are resource_tags of type
 * "cluster-pg" (a trigger deletes them with the row). The default group
 * default.postgres15 is virtual. A group has no user-set parameters yet
 * (no ModifyDBClusterParameterGroup): every group carries the engine
 * defaults, which is what a cluster's members run with. Names follow the
 * DB parameter group rules (pgroup_name_ok); ARN
 * arn:aws:rds:<region>:<acct>:cluster-pg:<name>. */
#ifndef RDSIM_CLUSTERPG_H
#define RDSIM_CLUSTERPG_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"

struct cJSON;
struct region;

#define CLUSTERPG_DEFAULT "default.postgres15"
#define CLUSTERPG_FAMILY "postgres15"

/* The lowercase stored name of group `name` (the default included), or
 * NULL (malloc'd) when there is none. */
char *clusterpg_find(struct region *r, const char *name);

bool clusterpg_action_create(struct region *r, const params *p, struct cJSON *result,
                             awserr *err);
bool clusterpg_action_describe(struct region *r, const params *p, struct cJSON *result,
                               awserr *err);
bool clusterpg_action_delete(struct region *r, const params *p, struct cJSON *result,
                             awserr *err);

#endif
