/* ec2: the small part of Amazon EC2 an RDS instance's network needs —
 * security groups and subnets of one VPC — on the controlplane's Query
 * endpoint, with EC2's protocol (Version=2016-11-15), so `aws ec2
 * --endpoint-url` works as well as `rdsctl ec2`.
 *
 * The simulated VPC (EC2_VPC_ID) is the region's --vpc-cidr: the machine's
 * loopback, 127.0.0.0/8, or in namespace mode the region's block
 * (README "Network modes"):
 *  - a subnet is an AZ plus a block inside the VPC (/16 to /28) not
 *    overlapping another subnet nor --region-cidr (127.0.0.0/24: the
 *    region's own addresses); nodes placed in it get addresses from it. Every AZ whose
 *    agent has registered also has a default subnet (DefaultForAz), its
 *    agent's --addr-base as a /24, with an id derived from the AZ name;
 *    default subnets are not stored (they are the agents' own setting).
 *  - a security group holds ingress rules (protocol, port range, CIDR);
 *    the rules that cover an instance's port become the pg_hba.conf host
 *    lines of its nodes (ec2_allowed_cidrs). The VPC's `default` group
 *    (EC2_DEFAULT_SG_ID) allows all traffic from the VPC's block — the
 *    machine is inside the VPC — until a user revokes that rule.
 *
 * Actions: CreateSecurityGroup, DescribeSecurityGroups,
 * DeleteSecurityGroup, AuthorizeSecurityGroupIngress,
 * RevokeSecurityGroupIngress, CreateSubnet, DescribeSubnets, DeleteSubnet,
 * DescribeVpcs, DescribeAvailabilityZones. Errors carry EC2's codes
 * (InvalidGroup.NotFound, InvalidPermission.Duplicate, InvalidSubnet.Conflict,
 * DependencyViolation, ...), HTTP 400. */
#ifndef RDSIM_EC2_H
#define RDSIM_EC2_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/query.h"

struct cJSON;
struct region;

#define EC2_API_VERSION "2016-11-15"
#define EC2_VPC_ID "vpc-00000000000000001"
#define EC2_DEFAULT_SG_ID "sg-00000000000000001"
#define EC2_MAIN_RTB_ID "rtb-00000000000000001" /* the VPC's main route table */

/* Creates the store's network table and the default security group. */
bool ec2_open(struct region *r);

/* Handles one EC2 Query request (p holds Action and Version). Sets *out
 * (malloc'd: XML, or JSON when json) and *status; *mutated when the store
 * changed (the caller then resyncs DNS and kicks the workflows). */
void ec2_handle(struct region *r, const params *p, bool json, const char *request_id, char **out,
                int *status, bool *mutated);

/* A subnet: stored or default. */
typedef struct {
    char id[40];
    char az[64];
    char cidr[24];
    bool is_default;
} ec2_subnet;

/* Finds a subnet by id. false when unknown (or on a store error). */
bool ec2_subnet_find(struct region *r, const char *id, ec2_subnet *out);
/* Every subnet (defaults first, then stored ones by id). Returns the count
 * (*out malloc'd, caller frees) or -1 on a store error. */
int ec2_subnet_list(struct region *r, ec2_subnet **out);

/* True when the security group exists (*found). false on a store error. */
bool ec2_sg_exists(struct region *r, const char *id, bool *found);
/* The client blocks that the groups' ingress rules allow on TCP port:
 * a new array of canonical CIDR strings, sorted, without duplicates. */
struct cJSON *ec2_allowed_cidrs(struct region *r, const struct cJSON *sg_ids, int64_t port);

#endif
