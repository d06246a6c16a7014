/* instances: the DBInstance handlers of the RDS API (core/service.h says
 * what a handler is).
 *
 * Create, Describe, Delete, Reboot, Stop and Start are in instances.c;
 * Modify, one function per attribute group, in instmodify.c. Each
 * state-changing handler validates everything, then writes the instance
 * row and the workflow that carries the change out (wf/) in one
 * transaction. */
#ifndef RDSIM_INSTANCES_H
#define RDSIM_INSTANCES_H

#include "controlplane/core/service.h"

bool instances_action_create(region *r, const params *p, cJSON *result, awserr *err);
bool instances_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool instances_action_modify(region *r, const params *p, cJSON *result, awserr *err);
bool instances_action_delete(region *r, const params *p, cJSON *result, awserr *err);
bool instances_action_reboot(region *r, const params *p, cJSON *result, awserr *err);
bool instances_action_stop(region *r, const params *p, cJSON *result, awserr *err);
bool instances_action_start(region *r, const params *p, cJSON *result, awserr *err);

#endif
