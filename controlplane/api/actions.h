/* actions: the RDS API's action table (handlers are in the modules that
 * own each resource; see core/service.h for what a handler is). */
#ifndef RDSIM_ACTIONS_H
#define RDSIM_ACTIONS_H

#include "controlplane/core/service.h"

/* The handler for an Action name (exact, case-sensitive), or NULL. */
const action_def *actions_find(const char *name);

#endif
