/* service: what every API handler is, whatever service it belongs to.
 *
 * A handler takes parsed parameters and fills `result` (the members of
 * <ActionResult>) or returns false with an AWS error. It knows nothing
 * about HTTP, XML or JSON. State-changing handlers validate everything
 * first, then write their change (and any workflow) in one transaction: a
 * request that fails leaves nothing behind.
 *
 * The RDS action table (api/actions.h), SNS, SQS and event subscriptions
 * (notify/) all hold tables of these. */
#ifndef RDSIM_SERVICE_H
#define RDSIM_SERVICE_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"

typedef struct cJSON cJSON;
typedef struct region region;

typedef bool (*action_fn)(region *r, const params *p, cJSON *result, awserr *err);

typedef struct {
    const char *name;   /* "CreateDBInstance" */
    action_fn fn;
    bool mutates;       /* runs workflows / DNS sync afterwards */
} action_def;

#endif
