/* instnet: an instance's network settings — DBSubnetGroupName,
 * VpcSecurityGroupIds, PubliclyAccessible — as the API takes and shows
 * them, and what they become: the client blocks its nodes' pg_hba.conf
 * allows (agents.c puts them in the spec) and whether its endpoint has a
 * public name (dnssync.c).
 *
 * They live in the instance's `extra` JSON: "DBSubnetGroupName" (absent:
 * the default group), "VpcSecurityGroupIds" (absent: the VPC's default
 * group), "PubliclyAccessible". Security group changes apply at once
 * (a reload of pg_hba.conf, no restart), as does PubliclyAccessible. */
#ifndef RDSIM_INSTNET_H
#define RDSIM_INSTNET_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/query.h"
#include "controlplane/core/store.h"

struct cJSON;
struct region;

#define INSTNET_MAX_SGS 5 /* security groups per network interface, as EC2 */

/* CreateDBInstance: DBSubnetGroupName (must exist; must cover az when
 * given and two AZs for Multi-AZ), VpcSecurityGroupIds (must exist), and
 * PubliclyAccessible's default (true with the default group, else false,
 * as RDS). Writes them into extra. */
bool instnet_read_create(struct region *r, const params *p, const char *az, bool multi_az,
                         struct cJSON *extra, awserr *err);
/* ModifyDBInstance: VpcSecurityGroupIds (applied at once) and
 * DBSubnetGroupName (only the current one: nodes are not moved). Sets
 * *changed when something was asked. */
bool instnet_read_modify(struct region *r, const params *p, const store_instance *in,
                         struct cJSON *extra, bool *changed, awserr *err);

/* The DBInstance members VpcSecurityGroups (to o) and DBSubnetGroup. */
void instnet_render_sgs(const store_instance *in, struct cJSON *o);
void instnet_render_subnet_group(struct region *r, const store_instance *in, struct cJSON *o);

/* The allowed client blocks for the instance's nodes (a new array). */
struct cJSON *instnet_allowed_cidrs(struct region *r, const store_instance *in);
/* PubliclyAccessible as stored. */
bool instnet_public(const store_instance *in);

#endif
