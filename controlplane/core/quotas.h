/* quotas: RDS's per-region quotas as this region enforces them, in one
 * place: the modules that refuse a request over a quota and
 * DescribeAccountAttributes (api/discovery.c), which reports each with its
 * usage, read from the same numbers. Values are RDS's defaults. */
#ifndef RDSIM_QUOTAS_H
#define RDSIM_QUOTAS_H

#define QUOTA_DB_INSTANCES 40
#define QUOTA_ALLOCATED_STORAGE_GIB 100000 /* reported; the sum is not enforced */
#define QUOTA_MANUAL_SNAPSHOTS 100
#define QUOTA_DB_PARAMETER_GROUPS 50
#define QUOTA_DB_SUBNET_GROUPS 50
#define QUOTA_SUBNETS_PER_DB_SUBNET_GROUP 20
#define QUOTA_EVENT_SUBSCRIPTIONS 20
#define QUOTA_OPTION_GROUPS 20 /* only the default group exists: used 0 */

#endif
