/* The EC2 service end to end inside one process: requests parsed as the
 * API parses them, ec2_handle's XML and error documents as the aws CLI
 * reads them, rules to allowed blocks, subnets' conflicts — over a real
 * store in a temp dir. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/agents.h"
#include "controlplane/net/ec2.h"
#include "controlplane/core/query.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

static region R;

/* One request; returns the HTTP status and the document in *out. */
static int call(const char *body, bool json, char **out)
{
    awserr err = {0};
    params *p = params_parse(body, strlen(body), &err);
    int status = 0;
    bool mutated = false;
    *out = NULL;
    if (p)
        ec2_handle(&R, p, json, "req-1", out, &status, &mutated);
    params_free(p);
    if (!*out)
        *out = xstrdup("");
    return status;
}

/* The value of <tag> in an XML document (first one), malloc'd. */
static char *xml_get(const char *doc, const char *tag)
{
    char *open = xasprintf("<%s>", tag);
    const char *a = strstr(doc, open);
    char *v = NULL;
    if (a) {
        a += strlen(open);
        const char *b = strchr(a, '<');
        v = xstrndup(a, b ? (size_t)(b - a) : strlen(a));
    }
    free(open);
    return v ? v : xstrdup("");
}

/* What the Terraform provider calls for aws_security_group and aws_vpc:
 * tags at creation and after, the default egress rule revoked (and the
 * IPv6 one it does not have), rules one by one, the VPC's attributes. */
static void test_terraform_calls(void)
{
    char *out;
    int st = call("Action=CreateSecurityGroup&Version=2016-11-15&GroupName=tf&GroupDescription=d&"
                  "VpcId=" EC2_VPC_ID "&TagSpecification.1.ResourceType=security-group&"
                  "TagSpecification.1.Tag.1.Key=team&TagSpecification.1.Tag.1.Value=db", false, &out);
    char *sg = xml_get(out, "groupId");
    ok(st == 200 && strstr(out, "<tagSet><item><key>team</key><value>db</value></item></tagSet>"),
       "CreateSecurityGroup with TagSpecification: the tags in the answer (tagSet)");
    free(out);
    char *b = xasprintf("Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=%s", sg);
    st = call(b, false, &out);
    ok(strstr(out, "<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><ipRanges><item>"
                   "<cidrIp>0.0.0.0/0</cidrIp>") && strstr(out, "<tagSet><item><key>team</key>"),
       "a new group has EC2's default egress rule and its tags");
    free(out);
    char *revoke = xasprintf("Action=RevokeSecurityGroupEgress&Version=2016-11-15&GroupId=%s&"
                             "IpPermissions.1.FromPort=0&IpPermissions.1.IpProtocol=-1&"
                             "IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%%2F0&"
                             "IpPermissions.1.ToPort=0", sg);
    st = call(revoke, false, &out);
    ok(st == 200 && strstr(out, "<return>true</return>"), "RevokeSecurityGroupEgress: the default");
    free(out);
    st = call(revoke, false, &out);
    char *code = xml_get(out, "Code");
    is_str(code, "InvalidPermission.NotFound", "... twice: InvalidPermission.NotFound");
    free(code);
    free(out);
    free(revoke);
    revoke = xasprintf("Action=RevokeSecurityGroupEgress&Version=2016-11-15&GroupId=%s&"
                       "IpPermissions.1.FromPort=0&IpPermissions.1.IpProtocol=-1&"
                       "IpPermissions.1.Ipv6Ranges.1.CidrIpv6=%%3A%%3A%%2F0&IpPermissions.1.ToPort=0",
                       sg);
    st = call(revoke, false, &out);
    code = xml_get(out, "Code");
    is_str(code, "InvalidPermission.NotFound", "the IPv6 default egress (no IPv6 here): NotFound");
    free(code);
    free(out);
    free(revoke);
    st = call(b, false, &out);
    ok(strstr(out, "<ipPermissionsEgress></ipPermissionsEgress>") != NULL,
       "no egress rule left");
    free(out);
    char *auth = xasprintf("Action=AuthorizeSecurityGroupEgress&Version=2016-11-15&GroupId=%s&"
                           "IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443&"
                           "IpPermissions.1.ToPort=443&IpPermissions.1.IpRanges.1.CidrIp="
                           "0.0.0.0%%2F0", sg);
    st = call(auth, false, &out);
    char *rule_id = xml_get(out, "securityGroupRuleId");
    ok(st == 200 && strncmp(rule_id, "sgr-", 4) == 0 && strlen(rule_id) == 21 &&
           strstr(out, "<isEgress>true</isEgress>"),
       "AuthorizeSecurityGroupEgress answers the new rule (sgr-…, isEgress)");
    free(out);
    free(auth);
    char *rules = xasprintf("Action=DescribeSecurityGroupRules&Version=2016-11-15&"
                            "Filter.1.Name=group-id&Filter.1.Value.1=%s", sg);
    st = call(rules, false, &out);
    char *again = xml_get(out, "securityGroupRuleId");
    ok(st == 200 && strcmp(again, rule_id) == 0 && strstr(out, "<securityGroupRuleSet><item>") &&
           strstr(out, "<cidrIpv4>0.0.0.0/0</cidrIpv4>") && strstr(out, "<fromPort>443</fromPort>"),
       "DescribeSecurityGroupRules: the same id, the rule's fields");
    free(again);
    free(out);
    free(rules);
    rules = xasprintf("Action=DescribeSecurityGroupRules&Version=2016-11-15&"
                      "SecurityGroupRuleId.1=%s", rule_id);
    st = call(rules, true, &out);
    cJSON *j = cJSON_Parse(out);
    is_int(cJSON_GetArraySize(cJSON_GetObjectItem(j, "SecurityGroupRules")), 1,
           "... by SecurityGroupRuleId: one rule");
    cJSON_Delete(j);
    free(out);
    free(rules);
    st = call("Action=DescribeSecurityGroupRules&Version=2016-11-15&SecurityGroupRuleId.1="
              "sgr-00000000000000000", false, &out);
    code = xml_get(out, "Code");
    is_str(code, "InvalidSecurityGroupRuleId.NotFound", "an unknown rule id: NotFound");
    free(code);
    free(out);

    char *tags = xasprintf("Action=CreateTags&Version=2016-11-15&ResourceId.1=%s&Tag.1.Key=env&"
                           "Tag.1.Value=test&Tag.2.Key=team&Tag.2.Value=ops", sg);
    st = call(tags, false, &out);
    ok(st == 200, "CreateTags");
    free(out);
    free(tags);
    tags = xasprintf("Action=DeleteTags&Version=2016-11-15&ResourceId.1=%s&Tag.1.Key=env&"
                     "Tag.2.Key=team&Tag.2.Value=wrong", sg);
    st = call(tags, false, &out);
    free(out);
    free(tags);
    st = call(b, true, &out);
    j = cJSON_Parse(out);
    char *t = cJSON_PrintUnformatted(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(j, "SecurityGroups"), 0), "Tags"));
    is_str(t, "[{\"Key\":\"team\",\"Value\":\"ops\"}]",
           "CreateTags replaced a value; DeleteTags removed env, kept team (its value did not "
           "match)");
    free(t);
    cJSON_Delete(j);
    free(out);
    tags = xasprintf("Action=DescribeTags&Version=2016-11-15&Filter.1.Name=resource-id&"
                     "Filter.1.Value.1=%s", sg);
    st = call(tags, false, &out);
    ok(st == 200 && strstr(out, "<resourceType>security-group</resourceType>") &&
           strstr(out, "<key>team</key>"), "DescribeTags");
    free(out);
    free(tags);

    static const struct {
        const char *body, *code;
    } refused[] = {
        {"Action=CreateTags&Version=2016-11-15&ResourceId.1=sg-nope&Tag.1.Key=a&Tag.1.Value=b",
         "InvalidGroup.NotFound"},
        {"Action=CreateTags&Version=2016-11-15&ResourceId.1=i-123&Tag.1.Key=a", "InvalidID"},
        {"Action=CreateTags&Version=2016-11-15&ResourceId.1=" EC2_DEFAULT_SG_ID
         "&Tag.1.Key=aws%3Ax", "InvalidParameterValue"},
        {"Action=CreateTags&Version=2016-11-15&ResourceId.1=" EC2_DEFAULT_SG_ID, "MissingParameter"},
        {"Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-nope", "InvalidVpcID.NotFound"},
        {"Action=DescribeVpcAttribute&Version=2016-11-15&VpcId=" EC2_VPC_ID "&Attribute=bogus",
         "InvalidParameterValue"},
        {"Action=DescribeVpcAttribute&Version=2016-11-15&VpcId=vpc-nope&Attribute=enableDnsSupport",
         "InvalidVpcID.NotFound"},
        {"Action=AuthorizeSecurityGroupEgress&Version=2016-11-15&GroupId=" EC2_DEFAULT_SG_ID
         "&IpPermissions.1.IpProtocol=-1&IpPermissions.1.Ipv6Ranges.1.CidrIpv6=%3A%3A%2F0",
         "InvalidParameterValue"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        st = call(refused[i].body, false, &out);
        code = xml_get(out, "Code");
        char name[120];
        snprintf(name, sizeof name, "terraform calls: refused with %s (%zu)", refused[i].code, i);
        ok(st == 400 && strcmp(code, refused[i].code) == 0, name);
        if (strcmp(code, refused[i].code) != 0)
            diag("got %s", out);
        free(code);
        free(out);
    }

    st = call("Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=isDefault&Filter.1.Value.1=true",
              false, &out);
    ok(st == 200 && strstr(out, "<vpcId>" EC2_VPC_ID "</vpcId>") &&
           strstr(out, "<cidrBlockAssociationSet><item>"), "DescribeVpcs isDefault=true: the VPC");
    free(out);
    st = call("Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=isDefault&Filter.1.Value.1=false",
              false, &out);
    ok(st == 200 && !strstr(out, "<vpcId>"), "isDefault=false: none");
    free(out);
    st = call("Action=DescribeVpcAttribute&Version=2016-11-15&VpcId=" EC2_VPC_ID
              "&Attribute=enableDnsHostnames", false, &out);
    ok(st == 200 && strstr(out, "<enableDnsHostnames><value>true</value></enableDnsHostnames>"),
       "DescribeVpcAttribute enableDnsHostnames: true");
    free(out);
    st = call("Action=DescribeRouteTables&Version=2016-11-15&Filter.1.Name=association.main&"
              "Filter.1.Value.1=true&Filter.2.Name=vpc-id&Filter.2.Value.1=" EC2_VPC_ID,
              false, &out);
    ok(st == 200 && strstr(out, "<routeTableSet><item><associationSet><item><main>true</main>") &&
           strstr(out, "<gatewayId>local</gatewayId>"),
       "DescribeRouteTables association.main=true: the main table, its local route");
    free(out);
    st = call("Action=DescribeRouteTables&Version=2016-11-15&RouteTableId.1=rtb-nope", false, &out);
    code = xml_get(out, "Code");
    is_str(code, "InvalidRouteTableID.NotFound", "an unknown route table: NotFound");
    free(code);
    free(out);
    st = call("Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=group-id&"
              "Filter.1.Value.1=sg-00000000000000bad", false, &out);
    ok(st == 200 && strstr(out, "<networkInterfaceSet></networkInterfaceSet>"),
       "DescribeNetworkInterfaces group-id: none without an instance");
    free(out);
    st = call("Action=DescribeNetworkInterfaces&Version=2016-11-15&NetworkInterfaceId.1=eni-1",
              false, &out);
    code = xml_get(out, "Code");
    is_str(code, "InvalidNetworkInterfaceID.NotFound", "an unknown interface: NotFound");
    free(code);
    free(out);
    free(rule_id);
    free(b);
    free(sg);
}

int main(void)
{
    char dir[] = "/tmp/rdsim-ec2-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *path = xasprintf("%s/cp.db", dir);
    R.cfg.name = "us-east-1";
    R.cfg.account = "123456789012";
    R.cfg.azs[0] = "us-east-1a";
    R.cfg.azs[1] = "us-east-1b";
    R.cfg.naz = 2;
    R.st = store_open(path);
    R.agents = agents_new();
    ok(R.st && ec2_open(&R), "the service opens (the default group is created)");
    ok(ec2_open(&R), "and opens again on the same store");

    char *out;
    int st = call("Action=CreateSecurityGroup&Version=2016-11-15&GroupName=clients&"
                  "GroupDescription=app+clients", false, &out);
    char *sg = xml_get(out, "groupId");
    ok(st == 200 && strstr(out, "<CreateSecurityGroupResponse xmlns=\"http://ec2.amazonaws.com/"
                                "doc/2016-11-15/\">") && strncmp(sg, "sg-", 3) == 0,
       "CreateSecurityGroup: EC2's XML with the new group id");
    free(out);

    char *body = xasprintf("Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=%s&"
                           "IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=5432&"
                           "IpPermissions.1.ToPort=5432&IpPermissions.1.IpRanges.1.CidrIp="
                           "127.0.9.7%%2F24&IpPermissions.1.IpRanges.2.CidrIp=127.0.8.0%%2F24",
                           sg);
    st = call(body, false, &out);
    ok(st == 200 && strstr(out, "<return>true</return>"), "AuthorizeSecurityGroupIngress");
    free(out);
    st = call(body, false, &out);
    char *code = xml_get(out, "Code");
    ok(st == 400 && strcmp(code, "InvalidPermission.Duplicate") == 0 &&
           strstr(out, "<Response><Errors><Error>") && strstr(out, "<RequestID>req-1</RequestID>"),
       "the same rule again: InvalidPermission.Duplicate in EC2's error document");
    free(code);
    free(out);
    free(body);

    cJSON *ids = cJSON_CreateArray();
    cJSON_AddItemToArray(ids, cJSON_CreateString(sg));
    cJSON *blocks = ec2_allowed_cidrs(&R, ids, 5432);
    char *text = cJSON_PrintUnformatted(blocks);
    is_str(text, "[\"127.0.8.0/24\",\"127.0.9.0/24\"]", "rules on the port become sorted blocks "
                                                        "(host bits cleared)");
    free(text);
    cJSON_Delete(blocks);
    blocks = ec2_allowed_cidrs(&R, ids, 6000);
    is_int(cJSON_GetArraySize(blocks), 0, "no rule covers another port");
    cJSON_Delete(blocks);
    cJSON_AddItemToArray(ids, cJSON_CreateString(EC2_DEFAULT_SG_ID));
    cJSON_AddItemToArray(ids, cJSON_CreateString("sg-00000000000000bad"));
    blocks = ec2_allowed_cidrs(&R, ids, 6000);
    text = cJSON_PrintUnformatted(blocks);
    is_str(text, "[\"127.0.0.0/8\"]", "the default group's all-traffic rule covers any port; an "
                                      "unknown group adds nothing");
    free(text);
    cJSON_Delete(blocks);
    cJSON_Delete(ids);

    body = xasprintf("Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=%s", sg);
    st = call(body, false, &out);
    ok(st == 200 && strstr(out, "<securityGroupInfo><item>") &&
           strstr(out, "<groupDescription>app clients</groupDescription>") &&
           strstr(out, "<ipPermissions><item><fromPort>5432</fromPort><ipProtocol>tcp"
                       "</ipProtocol><ipRanges><item><cidrIp>127.0.9.0/24</cidrIp></item>"),
       "DescribeSecurityGroups: lists as <item>, locationNames, rules grouped");
    free(out);
    st = call(body, true, &out);
    cJSON *j = cJSON_Parse(out);
    const cJSON *perms = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "SecurityGroups"), 0),
        "IpPermissions");
    ok(st == 200 && cJSON_GetArraySize(perms) == 1 &&
           cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(perms, 0),
                                                                "IpRanges")) == 2,
       "... and as JSON (rdsctl): one permission with two ranges");
    cJSON_Delete(j);
    free(out);
    free(body);

    static const struct {
        const char *body, *code;
    } refused[] = {
        {"Action=CreateSecurityGroup&Version=2016-11-15&GroupName=sg-x&GroupDescription=d",
         "InvalidParameterValue"},
        {"Action=CreateSecurityGroup&Version=2016-11-15&GroupName=clients&GroupDescription=d",
         "InvalidGroup.Duplicate"},
        {"Action=CreateSecurityGroup&Version=2016-11-15&GroupName=x", "MissingParameter"},
        {"Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupName=clients&"
         "IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=1&IpPermissions.1.ToPort=99999&"
         "IpPermissions.1.IpRanges.1.CidrIp=127.0.0.0%2F8", "InvalidParameterValue"},
        {"Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupName=clients&"
         "IpPermissions.1.IpProtocol=gre&IpPermissions.1.IpRanges.1.CidrIp=127.0.0.0%2F8",
         "InvalidParameterValue"},
        {"Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupName=clients&"
         "IpPermissions.1.IpProtocol=-1", "MissingParameter"},
        {"Action=RevokeSecurityGroupIngress&Version=2016-11-15&GroupName=clients&"
         "IpPermissions.1.IpProtocol=-1&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8",
         "InvalidPermission.NotFound"},
        {"Action=DeleteSecurityGroup&Version=2016-11-15&GroupName=nope", "InvalidGroup.NotFound"},
        {"Action=DeleteSecurityGroup&Version=2016-11-15&GroupId=" EC2_DEFAULT_SG_ID,
         "CannotDelete"},
        {"Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=bogus&Filter.1.Value.1=x",
         "InvalidParameterValue"},
        {"Action=CreateSubnet&Version=2016-11-15&AvailabilityZone=us-east-1z&"
         "CidrBlock=127.0.101.0%2F24", "InvalidParameterValue"},
        {"Action=CreateSubnet&Version=2016-11-15&AvailabilityZone=us-east-1a&"
         "CidrBlock=10.0.0.0%2F24", "InvalidSubnet.Range"},
        {"Action=CreateSubnet&Version=2016-11-15&AvailabilityZone=us-east-1a&"
         "CidrBlock=127.0.101.0%2F29", "InvalidSubnet.Range"},
        {"Action=DeleteSubnet&Version=2016-11-15&SubnetId=subnet-nope", "InvalidSubnetID.NotFound"},
        {"Action=RunInstances&Version=2016-11-15", "InvalidAction"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        st = call(refused[i].body, false, &out);
        code = xml_get(out, "Code");
        char name[120];
        snprintf(name, sizeof name, "refused with %s (%zu)", refused[i].code, i);
        ok(st == 400 && strcmp(code, refused[i].code) == 0, name);
        if (strcmp(code, refused[i].code) != 0)
            diag("got %s", out);
        free(code);
        free(out);
    }

    st = call("Action=CreateSubnet&Version=2016-11-15&AvailabilityZone=us-east-1a&"
              "CidrBlock=127.0.101.0%2F24", false, &out);
    char *subnet = xml_get(out, "subnetId");
    ok(st == 200 && strncmp(subnet, "subnet-", 7) == 0 &&
           strstr(out, "<availableIpAddressCount>253</availableIpAddressCount>"),
       "CreateSubnet: a /24 offers 253 addresses");
    free(out);
    st = call("Action=CreateSubnet&Version=2016-11-15&AvailabilityZone=us-east-1b&"
              "CidrBlock=127.0.101.64%2F26", false, &out);
    code = xml_get(out, "Code");
    is_str(code, "InvalidSubnet.Conflict", "an overlapping block in another AZ still conflicts");
    free(code);
    free(out);
    ec2_subnet s;
    ok(ec2_subnet_find(&R, subnet, &s) && strcmp(s.az, "us-east-1a") == 0 &&
           strcmp(s.cidr, "127.0.101.0/24") == 0 && !s.is_default,
       "ec2_subnet_find reads it back");
    free(subnet);

    test_terraform_calls();

    free(sg);
    agents_free(R.agents);
    store_close(R.st);
    fs_rm_rf(dir);
    free(path);
    return done_testing();
}
