/* instview: a stored instance as the API's DBInstance structure.
 *
 * Field names, order and value types follow botocore's DBInstance shape,
 * so the aws CLI and boto3 parse it as they parse RDS. */
#ifndef RDSIM_INSTVIEW_H
#define RDSIM_INSTVIEW_H

typedef struct cJSON cJSON;
typedef struct region region;

#include "controlplane/core/store.h"

/* A new cJSON object the caller owns. */
cJSON *instview_render(region *r, const store_instance *in);

#endif
