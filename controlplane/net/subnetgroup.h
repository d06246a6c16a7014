/* subnetgroup: RDS DB subnet groups — which subnets (AZ + loopback block,
 * ec2.h) an instance's nodes may live in — and node placement from them.
 *
 * A group is a named set of subnets covering at least two AZs (one when
 * the region has a single AZ), stored in netstore (kind "dbsubnetgroup")
 * as {DBSubnetGroupName, DBSubnetGroupDescription, SubnetIds, Tags}.
 * The group `default` is not stored: it is every default subnet (one per
 * AZ whose agent has registered, its --addr-base /24), it cannot be
 * modified or deleted, and it is what an instance without
 * DBSubnetGroupName uses.
 *
 * Placement: a node of an instance may go to an AZ only if the group has
 * a subnet there; its address is the first free one of those subnets
 * (network+2 .. broadcast-1). */
#ifndef RDSIM_SUBNETGROUP_H
#define RDSIM_SUBNETGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "controlplane/core/awserr.h"
#include "controlplane/net/ec2.h"
#include "controlplane/core/query.h"
#include "controlplane/core/store.h"

struct cJSON;
struct region;

#define SUBNETGROUP_DEFAULT "default"

/* The number of distinct AZs among n subnets (pure). */
int subnetgroup_az_count(const ec2_subnet *subnets, int n);
/* RDS's coverage rule (pure): a group needs subnets in at least two AZs,
 * or in every AZ when the region has fewer than two. false with
 * DBSubnetGroupDoesNotCoverEnoughAZs. */
bool subnetgroup_check_coverage(const ec2_subnet *subnets, int n, int region_azs, awserr *err);

/* The subnets of group `name` (lowercase): count, *out malloc'd (caller
 * frees); 0 with *found false when no such group; -1 on a store error. */
int subnetgroup_subnets(struct region *r, const char *name, ec2_subnet **out, bool *found);

/* True (and the group's name in `group`) when a stored group lists the
 * subnet. */
bool subnetgroup_uses_subnet(struct region *r, const char *subnet_id, char *group, size_t len);

/* The instance's group name: extra.DBSubnetGroupName, else "default". */
const char *subnetgroup_of_instance(const store_instance *in, char *buf, size_t len);

/* True when the instance's group has a subnet in az. */
bool subnetgroup_az_ok(struct region *r, const store_instance *in, const char *az);
/* A free address for a new node of the instance in az, from the group's
 * subnets there, into addr (len >= 16). true with addr "" when every
 * address is taken; false on a store error. */
bool subnetgroup_pick_addr(struct region *r, const store_instance *in, const char *az, char *addr,
                           size_t len);

/* The DBSubnetGroup shape of group `name`, or NULL if it does not exist. */
struct cJSON *subnetgroup_render(struct region *r, const char *name);

/* The RDS actions. */
bool subnetgroup_action_create(struct region *r, const params *p, struct cJSON *result,
                               awserr *err);
bool subnetgroup_action_describe(struct region *r, const params *p, struct cJSON *result,
                                 awserr *err);
bool subnetgroup_action_modify(struct region *r, const params *p, struct cJSON *result,
                               awserr *err);
bool subnetgroup_action_delete(struct region *r, const params *p, struct cJSON *result,
                               awserr *err);

#endif
