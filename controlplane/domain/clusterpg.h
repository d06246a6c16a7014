/* clusterpg: DB cluster parameter groups (Multi-AZ DB clusters) —
 * Create/Describe/Modify/Reset/Copy/DeleteDBClusterParameterGroup,
 * DescribeDBClusterParameters, DescribeEngineDefaultClusterParameters —
 * and the check CreateDBCluster, ModifyDBCluster and
 * RestoreDBClusterFromSnapshot/ToPointInTime make of
 * DBClusterParameterGroupName.
 *
 * Table db_cluster_parameter_groups(name, family, description,
 * created_ms), names lowercase; its Tags are resource_tags of type
 * "cluster-pg" (a trigger deletes them with the row). The default group
 * default.postgres15 is virtual: no rows, never modified, copied or
 * deleted (InvalidDBParameterGroupState / InvalidParameterValue). A
 * group's user-set parameters are db_parameters rows (paramgroup's table
 * and checks: pgcatalog.h refuses what replication or the agent owns)
 * under the key "cluster-pg:<name>", a name no DB parameter group can
 * have. Each member instance of a cluster runs that key as its parameter
 * group (paramgroup.h: dynamic changes reach the nodes at once, static
 * ones and a group swap at the member's next reboot — RebootDBCluster),
 * and DBClusterMembers[].DBClusterParameterGroupStatus is the member's
 * ParameterApplyStatus. Names follow the DB parameter group rules
 * (pgroup_name_ok); ARN arn:aws:rds:<region>:<acct>:cluster-pg:<name>. */
#ifndef RDSIM_CLUSTERPG_H
#define RDSIM_CLUSTERPG_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"

struct cJSON;
struct region;

#define CLUSTERPG_DEFAULT "default.postgres15"
#define CLUSTERPG_FAMILY "postgres15"
#define CLUSTERPG_KEY_PREFIX "cluster-pg:"

/* The lowercase stored name of group `name` (the default included), or
 * NULL (malloc'd) when there is none. */
char *clusterpg_find(struct region *r, const char *name);

/* The rows' key of group `name` (lowercase): "cluster-pg:<name>" (malloc'd). */
char *clusterpg_key(const char *name);

bool clusterpg_action_create(struct region *r, const params *p, struct cJSON *result,
                             awserr *err);
bool clusterpg_action_describe(struct region *r, const params *p, struct cJSON *result,
                               awserr *err);
bool clusterpg_action_delete(struct region *r, const params *p, struct cJSON *result,
                             awserr *err);
/* Modify/Reset: DBParameterGroupNotFound, InvalidDBParameterGroupState for
 * the default group, paramgroup_check_params's errors; the answer
 * DBClusterParameterGroupName. */
bool clusterpg_action_modify(struct region *r, const params *p, struct cJSON *result,
                             awserr *err);
bool clusterpg_action_reset(struct region *r, const params *p, struct cJSON *result,
                            awserr *err);
/* Parameters (Source, parameter-name Filters, MaxRecords/Marker) of a
 * group, or of the engine (EngineDefaults, family postgres15 only). */
bool clusterpg_action_describe_parameters(struct region *r, const params *p,
                                          struct cJSON *result, awserr *err);
bool clusterpg_action_engine_defaults(struct region *r, const params *p, struct cJSON *result,
                                      awserr *err);
/* CopyDBClusterParameterGroup: a new group with the source's (a name or
 * ARN; not the default) user-set parameters and the request's own Tags
 * (RDS copies no Tags). */
bool clusterpg_action_copy(struct region *r, const params *p, struct cJSON *result,
                           awserr *err);

#endif
