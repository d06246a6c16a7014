/* Unit tests for cli/ec2: the aws ec2 rule shorthand and list flattening. */
#include <stdlib.h>
#include <string.h>

#include "cli/ec2.h"
#include "lib/tap.h"

/* The encoded body of params, for comparing with what aws ec2 sends. */
static char *body(const query *q)
{
    return query_encode_version("AuthorizeSecurityGroupIngress", "2016-11-15", q, false);
}

int main(void)
{
    static const struct {
        const char *proto, *port, *cidr;
        const char *want; /* NULL: refused */
    } cases[] = {
        {"tcp", "5432", "127.0.9.0/24",
         "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&IpPermissions.1.IpProtocol=tcp"
         "&IpPermissions.1.FromPort=5432&IpPermissions.1.ToPort=5432"
         "&IpPermissions.1.IpRanges.1.CidrIp=127.0.9.0%2F24"},
        {"tcp", "5000-6000", "127.0.9.0/24",
         "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&IpPermissions.1.IpProtocol=tcp"
         "&IpPermissions.1.FromPort=5000&IpPermissions.1.ToPort=6000"
         "&IpPermissions.1.IpRanges.1.CidrIp=127.0.9.0%2F24"},
        {"all", NULL, "127.0.0.0/8",
         "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&IpPermissions.1.IpProtocol=-1"
         "&IpPermissions.1.IpRanges.1.CidrIp=127.0.0.0%2F8"},
        {"icmp", "-1", "127.0.0.0/8",
         "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&IpPermissions.1.IpProtocol=icmp"
         "&IpPermissions.1.FromPort=-1&IpPermissions.1.ToPort=-1"
         "&IpPermissions.1.IpRanges.1.CidrIp=127.0.0.0%2F8"},
        {"tcp", NULL, "127.0.9.0/24", NULL},
        {"tcp", "http", "127.0.9.0/24", NULL},
        {"tcp", "5432", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        query q = {0};
        sbuf err = {0};
        bool got = ec2_cli_rule_params(cases[i].proto, cases[i].port, cases[i].cidr, &q, &err);
        char name[120];
        snprintf(name, sizeof name, "--protocol %s --port %s --cidr %s", cases[i].proto,
                 cases[i].port ? cases[i].port : "(none)", cases[i].cidr ? cases[i].cidr : "(none)");
        if (cases[i].want) {
            char *b = body(&q);
            ok(got, name);
            is_str(b, cases[i].want, "  ... as aws ec2 sends it");
            free(b);
        } else {
            ok(!got && err.len > 0, name);
        }
        sbuf_free(&err);
        query_free(&q);
    }
    query q = {0};
    query_add(&q, "GroupId.member.1", "sg-1");
    query_add(&q, "GroupId.member.2", "sg-2");
    query_add(&q, "GroupName", "x");
    ec2_cli_flatten(&q);
    is_str(q.items[0].name, "GroupId.1", "lists are flattened as EC2 wants");
    is_str(q.items[1].name, "GroupId.2", "... every item");
    is_str(q.items[2].name, "GroupName", "... other names untouched");
    query_free(&q);
    return done_testing();
}
