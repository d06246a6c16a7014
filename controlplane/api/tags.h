/* tags: RDS resource tags (ListTagsForResource, AddTagsToResource,
 * RemoveTagsFromResource) and the tag rules CreateDBInstance shares.
 *
 * Tags live on the instance row as a JSON array of {Key, Value}. One tag
 * has a meaning here: rdsim:dns-ttl sets the endpoint's TTL, for clients
 * that cannot pass DnsTtl. Only DB instances carry tags so far; their ARN
 * must be of this region and account. */
#ifndef RDSIM_TAGS_H
#define RDSIM_TAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/service.h"

#define TAGS_MAX 50
#define TAGS_DNS_TTL "rdsim:dns-ttl"

/* Tags.Tag.N.Key/Value merged into `existing` (a JSON array, may be
 * NULL), replacing equal keys. The new JSON text (malloc'd), or NULL with
 * InvalidParameterValue (key 1..128 characters, value at most 256, no
 * "aws:" prefix, at most TAGS_MAX tags). */
char *tags_merge(const params *p, const char *existing, awserr *err);

/* The rdsim:dns-ttl tag's value in tags JSON into *ttl: -1 when absent.
 * false with InvalidParameterValue when it is not 0..DNS_TTL_MAX. */
bool tags_dns_ttl(const char *tags, int64_t *ttl, awserr *err);

/* The handlers (core/service.h). */
bool tags_action_list(region *r, const params *p, cJSON *result, awserr *err);
bool tags_action_add(region *r, const params *p, cJSON *result, awserr *err);
bool tags_action_remove(region *r, const params *p, cJSON *result, awserr *err);

#endif
