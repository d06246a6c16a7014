/* ec2: `rdsctl ec2 <subcommand>`, the region's simulated VPC (security
 * groups and subnets, controlplane/ec2.h) through EC2's Query protocol
 * (Version=2016-11-15), with the aws ec2 CLI's flag names and JSON
 * output.
 *
 * Subcommands: create-security-group, describe-security-groups,
 * delete-security-group, authorize-security-group-ingress,
 * revoke-security-group-ingress (--protocol tcp|udp|icmp|all --port N|N-M
 * --cidr BLOCK, as aws ec2's shorthand), create-subnet, describe-subnets,
 * delete-subnet.
 *
 * Exit statuses: 0; 252 for a bad command line; 254 when the service
 * answered with an error; 255 when nothing answered. */
#ifndef RDSIM_CLI_EC2_H
#define RDSIM_CLI_EC2_H

#include "cli/args.h"
#include "cli/commands.h"

/* The ec2 command's own flags: none (each subcommand has its own). */
extern const arg_spec ec2_cli_flags[];

/* Turns the --protocol/--port/--cidr options into IpPermissions.1.*
 * parameters appended to params (aws ec2's rule): protocol tcp, udp, icmp,
 * all or -1 (all: no ports), port "N" or "N-M" (needed unless all).
 * false with the message in err. Exposed for tests. */
bool ec2_cli_rule_params(const char *protocol, const char *port, const char *cidr, query *params,
                         sbuf *err);

/* Renames EC2 list parameters to EC2's flattened form: "X.member.N" →
 * "X.N". Exposed for tests. */
void ec2_cli_flatten(query *params);

int ec2_cli_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv);

#endif
