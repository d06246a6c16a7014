/* discovery: the read-only calls tools make to learn what a region offers
 * before they create anything — DescribeAccountAttributes (the RDS quotas
 * of core/quotas.h with their usage counted from the store),
 * DescribeOptionGroups and DescribeOptionGroupOptions (RDS for PostgreSQL
 * has no options: the one group is the engine's default,
 * "default:postgres-<major>"), DescribeValidDBInstanceModifications (the
 * storage types and ranges an instance may move to). */
#ifndef RDSIM_DISCOVERY_H
#define RDSIM_DISCOVERY_H

#include <stdbool.h>

#include "controlplane/core/service.h"

/* True when name (lowercase) is an option group of this region: only the
 * default group exists. */
bool discovery_option_group_exists(region *r, const char *name);

/* The handlers (core/service.h). */
bool discovery_action_account_attributes(region *r, const params *p, cJSON *result, awserr *err);
bool discovery_action_option_groups(region *r, const params *p, cJSON *result, awserr *err);
bool discovery_action_option_group_options(region *r, const params *p, cJSON *result,
                                           awserr *err);
bool discovery_action_valid_modifications(region *r, const params *p, cJSON *result,
                                          awserr *err);

#endif
