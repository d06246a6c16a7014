/* ec2: see ec2.h. Flags are parsed by args.h like every other command;
 * list flags come out as X.member.N and are flattened to EC2's X.N. */
#include "cli/ec2.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/exitcode.h"
#include "lib/util.h"

#define EC2_CLI_VERSION "2016-11-15"

#define E_STR(f, p, h) {f, p, ARG_STRING, NULL, NULL, false, h}
#define E_REQ(f, p, h) {f, p, ARG_STRING, NULL, NULL, true, h}
#define E_LIST(f, p, h) {f, p, ARG_LIST, "member", NULL, false, h}
#define E_LOCAL(f, h) {f, NULL, ARG_STRING, NULL, NULL, false, h}
#define E_END {NULL, NULL, 0, NULL, NULL, false, NULL}

static const arg_spec create_sg_flags[] = {
    E_REQ("description", "GroupDescription", "A description (1-255 printable ASCII characters)"),
    E_REQ("group-name", "GroupName", "The group's name (not sg-*)"),
    E_STR("vpc-id", "VpcId", "The VPC (there is one: vpc-00000000000000001)"),
    E_END,
};

static const arg_spec describe_sgs_flags[] = {
    E_LIST("group-ids", "GroupId", "Only these groups"),
    E_LIST("group-names", "GroupName", "Only the groups with these names"),
    E_END,
};

static const arg_spec delete_sg_flags[] = {
    E_STR("group-id", "GroupId", "The group (or --group-name)"),
    E_STR("group-name", "GroupName", "The group's name"),
    E_END,
};

static const arg_spec rule_flags[] = {
    E_STR("group-id", "GroupId", "The group (or --group-name)"),
    E_STR("group-name", "GroupName", "The group's name"),
    E_LOCAL("protocol", "tcp | udp | icmp | all"),
    E_LOCAL("port", "Port or range N-M (tcp, udp)"),
    E_LOCAL("cidr", "The client block, e.g. 127.0.9.0/24"),
    E_END,
};

static const arg_spec create_subnet_flags[] = {
    E_STR("availability-zone", "AvailabilityZone", "The subnet's AZ (required here)"),
    E_REQ("cidr-block", "CidrBlock", "A /16 to /28 in 127.0.0.0/8, outside 127.0.0.0/24"),
    E_STR("vpc-id", "VpcId", "The VPC (there is one: vpc-00000000000000001)"),
    E_END,
};

static const arg_spec describe_subnets_flags[] = {
    E_LIST("subnet-ids", "SubnetId", "Only these subnets"),
    E_END,
};

static const arg_spec delete_subnet_flags[] = {
    E_REQ("subnet-id", "SubnetId", "The subnet"),
    E_END,
};

typedef struct {
    const char *name;
    const char *action;
    const char *help;
    const arg_spec *flags;
    bool rule; /* --protocol/--port/--cidr become IpPermissions.1.* */
} ec2_sub;

static const ec2_sub ec2_subs[] = {
    {"create-security-group", "CreateSecurityGroup", "Creates a security group in the VPC.",
     create_sg_flags, false},
    {"describe-security-groups", "DescribeSecurityGroups", "Describes security groups and their "
     "ingress rules.", describe_sgs_flags, false},
    {"delete-security-group", "DeleteSecurityGroup", "Deletes a security group no instance uses.",
     delete_sg_flags, false},
    {"authorize-security-group-ingress", "AuthorizeSecurityGroupIngress", "Adds an ingress rule; "
     "instances using the group allow the block at once (pg_hba.conf reload).", rule_flags, true},
    {"revoke-security-group-ingress", "RevokeSecurityGroupIngress", "Removes an ingress rule; "
     "clients from the block are refused at once.", rule_flags, true},
    {"create-subnet", "CreateSubnet", "Creates a subnet: an AZ and a loopback block nodes get "
     "addresses from.", create_subnet_flags, false},
    {"describe-subnets", "DescribeSubnets", "Describes subnets (each AZ's default subnet is its "
     "agent's --addr-base /24).", describe_subnets_flags, false},
    {"delete-subnet", "DeleteSubnet", "Deletes a subnet no DB subnet group uses.",
     delete_subnet_flags, false},
    {NULL, NULL, NULL, NULL, false},
};

const arg_spec ec2_cli_flags[] = {E_END};

bool ec2_cli_rule_params(const char *protocol, const char *port, const char *cidr, query *params,
                         sbuf *err)
{
    if (!protocol || !cidr) {
        sbuf_puts(err, "the following arguments are required: --protocol, --cidr");
        return false;
    }
    bool all = strcmp(protocol, "all") == 0 || strcmp(protocol, "-1") == 0;
    query_add(params, "IpPermissions.1.IpProtocol", all ? "-1" : protocol);
    if (!all) {
        int64_t from, to;
        char lo[16] = "", hi[16] = "";
        const char *dash = port ? strchr(port + (port[0] == '-'), '-') : NULL;
        if (port && dash) {
            snprintf(lo, sizeof lo, "%.*s", (int)(dash - port), port);
            snprintf(hi, sizeof hi, "%s", dash + 1);
        } else if (port) {
            snprintf(lo, sizeof lo, "%s", port);
            snprintf(hi, sizeof hi, "%s", port);
        }
        if (!port || !str_to_int64(lo, -1, 65535, &from) || !str_to_int64(hi, -1, 65535, &to)) {
            sbuf_printf(err, "argument --port: expected N or N-M, got '%s'", port ? port : "");
            return false;
        }
        query_add(params, "IpPermissions.1.FromPort", lo);
        query_add(params, "IpPermissions.1.ToPort", hi);
    }
    query_add(params, "IpPermissions.1.IpRanges.1.CidrIp", cidr);
    return true;
}

void ec2_cli_flatten(query *params)
{
    for (size_t i = 0; i < params->len; i++) {
        char *m = strstr(params->items[i].name, ".member.");
        if (m)
            memmove(m, m + 7, strlen(m + 7) + 1);
    }
}

static int ec2_cli_usage(const char *message)
{
    sbuf names = {0};
    for (const ec2_sub *s = ec2_subs; s->name; s++)
        sbuf_printf(&names, "%s%s", s == ec2_subs ? "" : " | ", s->name);
    fprintf(stderr, "usage: rdsctl ec2 <subcommand> [parameters]\n  subcommands: %s\n"
                    "rdsctl: error: %s\n", names.data, message);
    sbuf_free(&names);
    return CLI_EXIT_USAGE;
}

static void ec2_cli_help(const ec2_sub *s)
{
    printf("usage: rdsctl ec2 %s [parameters]\n\n%s\nAPI operation: %s (Version %s)\n", s->name,
           s->help, s->action, EC2_CLI_VERSION);
    printf("\nParameters:\n");
    for (const arg_spec *f = s->flags; f->flag; f++) {
        char left[120];
        snprintf(left, sizeof left, "--%s <%s>", f->flag,
                 f->type == ARG_LIST ? "string> [<string> ..." : "string");
        printf("  %-40s %s%s\n", left, f->required ? "(required) " : "", f->help);
    }
}

int ec2_cli_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    if (argc < 1)
        return ec2_cli_usage("the following arguments are required: subcommand");
    const ec2_sub *s = ec2_subs;
    while (s->name && strcmp(s->name, argv[0]) != 0)
        s++;
    if (!s->name) {
        char *msg = xasprintf("argument subcommand: Invalid choice: '%s'", argv[0]);
        int rc = ec2_cli_usage(msg);
        free(msg);
        return rc;
    }
    if (argc >= 2 && strcmp(argv[1], "help") == 0) {
        ec2_cli_help(s);
        return CLI_EXIT_OK;
    }
    query params = {0}, opts = {0};
    sbuf err = {0};
    int rc = CLI_EXIT_OK;
    args_status st = args_parse(s->flags, argc - 1, argv + 1, &params, &opts, &err);
    if (st == ARGS_OK && s->rule &&
        !ec2_cli_rule_params(query_get(&opts, "protocol"), query_get(&opts, "port"),
                             query_get(&opts, "cidr"), &params, &err))
        st = ARGS_USAGE_ERROR;
    if (st != ARGS_OK) {
        rc = st == ARGS_USAGE_ERROR ? ec2_cli_usage(err.data)
                                    : (fprintf(stderr, "\n%s\n", err.data), CLI_EXIT_USAGE);
        goto done;
    }
    ec2_cli_flatten(&params);
    api_client client = {.endpoint = ctx->endpoint, .debug = ctx->debug,
                         .version = EC2_CLI_VERSION};
    api_reply reply;
    if (api_call(&client, s->action, &params, &reply) == API_OK) {
        sbuf out = {0};
        output_render(ctx->output, reply.result, s->action, ctx->width, &out);
        if (out.len)
            fwrite(out.data, 1, out.len, stdout);
        fflush(stdout);
        sbuf_free(&out);
    } else {
        api_print_error(&client, s->action, &reply, stderr);
        rc = reply.status == API_SERVICE_ERROR ? CLI_EXIT_SERVICE_ERROR : CLI_EXIT_FAILURE;
    }
    api_reply_free(&reply);
done:
    sbuf_free(&err);
    query_free(&params);
    query_free(&opts);
    return rc;
}
