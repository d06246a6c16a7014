/* tags: RDS resource tags (ListTagsForResource, AddTagsToResource,
 * RemoveTagsFromResource) on every resource type rdsim keeps: DB
 * instances (db:), parameter groups (pg:), subnet groups (subgrp:), DB
 * snapshots (snapshot:), event subscriptions (es:) and the default option
 * group (og:). The ARN must be of this region and account and name a
 * resource that exists (else that type's NotFound fault).
 *
 * An instance's tags live on its row as a JSON array of {Key, Value}; one
 * tag has a meaning there: rdsim:dns-ttl sets the endpoint's TTL, for
 * clients that cannot pass DnsTtl. Every other type's tags are kept by
 * core/restags.h and deleted with the resource. */
#ifndef RDSIM_TAGS_H
#define RDSIM_TAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/service.h"

#define TAGS_DNS_TTL "rdsim:dns-ttl"

/* restags_merge (core/restags.h): Tags.Tag.N merged into `existing`
 * under RDS's tag rules; for CreateDBInstance. */
char *tags_merge(const params *p, const char *existing, awserr *err);

/* The rdsim:dns-ttl tag's value in tags JSON into *ttl: -1 when absent.
 * false with InvalidParameterValue when it is not 0..DNS_TTL_MAX. */
bool tags_dns_ttl(const char *tags, int64_t *ttl, awserr *err);

/* The handlers (core/service.h). */
bool tags_action_list(region *r, const params *p, cJSON *result, awserr *err);
bool tags_action_add(region *r, const params *p, cJSON *result, awserr *err);
bool tags_action_remove(region *r, const params *p, cJSON *result, awserr *err);

#endif
