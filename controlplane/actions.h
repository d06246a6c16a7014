/* actions: the API's action table and handlers.
 *
 * A handler takes parsed parameters and fills `result` (the members of
 * <ActionResult>) or returns false with an AWS error. It knows nothing
 * about HTTP, XML or JSON. State-changing handlers validate everything
 * first, then write the instance change and its workflow in one
 * transaction: a request that fails leaves nothing behind. */
#ifndef RDSIM_ACTIONS_H
#define RDSIM_ACTIONS_H

#include <stdbool.h>

#include "controlplane/awserr.h"
#include "controlplane/query.h"

typedef struct cJSON cJSON;
typedef struct region region;

typedef bool (*action_fn)(region *r, const params *p, cJSON *result, awserr *err);

typedef struct {
    const char *name;   /* "CreateDBInstance" */
    action_fn fn;
    bool mutates;       /* runs workflows / DNS sync afterwards */
} action_def;

/* The handler for an Action name (exact, case-sensitive), or NULL. */
const action_def *actions_find(const char *name);

#endif
