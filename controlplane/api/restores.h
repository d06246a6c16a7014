/* restores: the RDS actions that make an instance from a backup,
 * RestoreDBInstanceFromDBSnapshot and RestoreDBInstanceToPointInTime.
 *
 * The work is the domain's (domain/snapshot.h, domain/autobackup.h, both
 * building the row with domain/instrow.h, as CreateDBInstance does);
 * these handlers take the new instance's identifier and answer with the
 * DBInstance shape (view/instview.h), which the domain may not include.
 * Both are action_fn (core/service.h), listed in api/actions.c's table. */
#ifndef RDSIM_RESTORES_H
#define RDSIM_RESTORES_H

#include "controlplane/core/service.h"

bool restores_action_from_snapshot(region *r, const params *p, cJSON *result, awserr *err);
bool restores_action_to_point_in_time(region *r, const params *p, cJSON *result, awserr *err);
/* Read replicas (domain/replica.h): CreateDBInstanceReadReplica and
 * PromoteReadReplica answer with the DBInstance the same way. */
bool restores_action_read_replica(region *r, const params *p, cJSON *result, awserr *err);
bool restores_action_promote(region *r, const params *p, cJSON *result, awserr *err);

#endif
