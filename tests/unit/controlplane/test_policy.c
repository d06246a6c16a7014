/* policy: the evaluation table (explicit Deny wins, no Allow is an
 * implicit deny, wildcards in actions and resources, NotAction and
 * NotResource, several actions and resources in a statement, several
 * documents), the matcher, the checker's refusals and AccessDenied's two
 * message shapes. */
#include <stdio.h>
#include <string.h>

#include "controlplane/core/policy.h"
#include "lib/tap.h"

#define DB_X "arn:aws:rds:us-east-1:123456789012:db:x"
#define DB_Y "arn:aws:rds:us-east-1:123456789012:db:y"

static const char describe_only[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
    "\"Action\":\"rds:DescribeDBInstances\",\"Resource\":\"*\"}]}";
static const char rds_all[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"rds:*\","
    "\"Resource\":\"*\"}}";
static const char deny_create[] =
    "{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":[\"rds:Create*\",\"rds:Delete*\"],"
    "\"Resource\":\"*\"}]}";
static const char only_x[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"x\",\"Effect\":\"Allow\","
    "\"Action\":[\"rds:RebootDBInstance\",\"rds:Describe*\"],"
    "\"Resource\":[\"arn:aws:rds:*:123456789012:db:x\",\"arn:aws:rds:*:*:db:te?t\"]}]}";
static const char not_action[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
    "\"NotAction\":[\"kms:*\",\"rds:Delete*\"],\"Resource\":\"*\"}]}";
static const char not_resource_deny[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
    "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"rds:*\","
    "\"NotResource\":\"arn:aws:rds:*:*:db:dev-*\"}]}";
static const char case_action[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
    "\"Action\":\"RDS:describedbinstances\",\"Resource\":\"arn:aws:rds:*:*:db:X\"}]}";

static void test_table(void)
{
    const struct {
        const char *name;
        const char *docs[3];
        const char *action, *resource;
        policy_verdict want;
    } cases[] = {
        {"no policy: implicit deny", {NULL}, "rds:DescribeDBInstances", "*", POLICY_IMPLICIT_DENY},
        {"exact action allowed", {describe_only}, "rds:DescribeDBInstances", "*", POLICY_ALLOW},
        {"exact action: on a named instance too", {describe_only}, "rds:DescribeDBInstances", DB_X,
         POLICY_ALLOW},
        {"another action: implicit deny", {describe_only}, "rds:CreateDBInstance", DB_X,
         POLICY_IMPLICIT_DENY},
        {"another service: implicit deny", {describe_only}, "kms:ListKeys", "*",
         POLICY_IMPLICIT_DENY},
        {"rds:* allows rds:CreateDBInstance", {rds_all}, "rds:CreateDBInstance", DB_X,
         POLICY_ALLOW},
        {"rds:* is not kms:Decrypt", {rds_all}, "kms:Decrypt", "*", POLICY_IMPLICIT_DENY},
        {"rds:* is not rds-db:connect", {rds_all}, "rds-db:connect", "*", POLICY_IMPLICIT_DENY},
        {"explicit Deny beats Allow (other document)", {rds_all, deny_create},
         "rds:CreateDBInstance", DB_X, POLICY_EXPLICIT_DENY},
        {"Deny first, Allow after: still Deny", {deny_create, rds_all}, "rds:DeleteDBInstance",
         DB_X, POLICY_EXPLICIT_DENY},
        {"Deny without Allow: explicit", {deny_create}, "rds:CreateDBSnapshot", "*",
         POLICY_EXPLICIT_DENY},
        {"Deny elsewhere, Allow here", {rds_all, deny_create}, "rds:RebootDBInstance", DB_X,
         POLICY_ALLOW},
        {"second action of a list", {only_x}, "rds:DescribeDBSnapshots", DB_X, POLICY_ALLOW},
        {"resource wildcard in the region", {only_x}, "rds:RebootDBInstance", DB_X, POLICY_ALLOW},
        {"another instance: implicit deny", {only_x}, "rds:RebootDBInstance", DB_Y,
         POLICY_IMPLICIT_DENY},
        {"'?' matches one character", {only_x}, "rds:RebootDBInstance",
         "arn:aws:rds:us-east-1:1:db:test", POLICY_ALLOW},
        {"'?' is not two characters", {only_x}, "rds:RebootDBInstance",
         "arn:aws:rds:us-east-1:1:db:teest", POLICY_IMPLICIT_DENY},
        {"no named resource: an ARN pattern does not cover '*'", {only_x},
         "rds:DescribeDBInstances", "*", POLICY_IMPLICIT_DENY},
        {"NotAction: an action outside it is allowed", {not_action}, "rds:CreateDBInstance", DB_X,
         POLICY_ALLOW},
        {"NotAction: an action inside it is not", {not_action}, "kms:Decrypt", "*",
         POLICY_IMPLICIT_DENY},
        {"NotAction: wildcard inside it", {not_action}, "rds:DeleteDBInstance", DB_X,
         POLICY_IMPLICIT_DENY},
        {"NotResource Deny: outside dev-* denied", {not_resource_deny}, "rds:RebootDBInstance",
         DB_X, POLICY_EXPLICIT_DENY},
        {"NotResource Deny: dev-* allowed", {not_resource_deny}, "rds:RebootDBInstance",
         "arn:aws:rds:us-east-1:1:db:dev-1", POLICY_ALLOW},
        {"NotResource Deny: other services untouched", {not_resource_deny}, "kms:ListKeys", "*",
         POLICY_ALLOW},
        {"actions match case-insensitively", {case_action}, "rds:DescribeDBInstances",
         "arn:aws:rds:us-east-1:1:db:X", POLICY_ALLOW},
        {"resources match case-sensitively", {case_action}, "rds:DescribeDBInstances",
         "arn:aws:rds:us-east-1:1:db:x", POLICY_IMPLICIT_DENY},
        {"a document that does not parse grants nothing", {"{\"Statement\":"},
         "rds:DescribeDBInstances", "*", POLICY_IMPLICIT_DENY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = 0;
        while (n < 3 && cases[i].docs[n])
            n++;
        is_int(policy_evaluate(cases[i].docs, n, cases[i].action, cases[i].resource),
               cases[i].want, cases[i].name);
    }
}

static void test_match(void)
{
    const struct {
        const char *pattern, *text;
        bool fold, want;
    } cases[] = {
        {"*", "", false, true},         {"*", "anything", false, true},
        {"a*c", "abbbc", false, true},  {"a*c", "abbbd", false, false},
        {"a?c", "abc", false, true},    {"a?c", "ac", false, false},
        {"*a*b", "xxaxxb", false, true}, {"*a*b", "xxaxxbx", false, false},
        {"ABC", "abc", true, true},     {"ABC", "abc", false, false},
        {"", "", false, true},          {"", "a", false, false},
        {"a**", "a", false, true},      {"rds:Describe*", "rds:describedbinstances", true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(policy_match(cases[i].pattern, cases[i].text, cases[i].fold), cases[i].want,
               cases[i].pattern);
}

static void test_check(void)
{
    const struct {
        const char *doc, *why_prefix;
    } bad[] = {
        {"", "Syntax errors in policy."},
        {"not json", "Syntax errors in policy."},
        {"[]", "Syntax errors in policy."},
        {"{\"Version\":\"2012-10-17\"}", "Missing required field Statement"},
        {"{\"Version\":\"2020-01-01\",\"Statement\":[]}", "The policy failed legacy parsing"},
        {"{\"Statement\":[]}", "Syntax errors in policy"},
        {"{\"Statement\":{\"Action\":\"rds:*\",\"Resource\":\"*\"}}",
         "Missing required field Effect"},
        {"{\"Statement\":{\"Effect\":\"allow\",\"Action\":\"rds:*\",\"Resource\":\"*\"}}",
         "Invalid effect: allow"},
        {"{\"Statement\":{\"Effect\":\"Allow\",\"Resource\":\"*\"}}",
         "Policy statement must contain actions."},
        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"rds:*\"}}",
         "Policy statement must contain resources."},
        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"DescribeDBInstances\","
         "\"Resource\":\"*\"}}",
         "Actions/Conditions must be prefaced by a vendor"},
        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"rds:*\",\"Resource\":\"db:x\"}}",
         "Resource db:x must be in ARN format or \"*\"."},
        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"rds:*\",\"Resource\":\"*\","
         "\"Principal\":\"*\"}}",
         "Policy document should not specify a principal."},
        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"rds:*\",\"Resource\":\"*\","
         "\"Condition\":{}}}",
         "rdsim does not evaluate Condition"},
        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"rds:*\",\"NotAction\":\"kms:*\","
         "\"Resource\":\"*\"}}",
         "Syntax errors in policy: Action and NotAction"},
        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}}",
         "Syntax errors in policy."},
        {"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[1],\"Resource\":\"*\"}}",
         "Syntax errors in policy."},
        {"{\"Statement\":{\"Effect\":\"Allow\",\"Effect\":\"Deny\",\"Action\":\"rds:*\","
         "\"Resource\":\"*\"}}",
         "Syntax errors in policy: duplicate element Effect"},
        {"{\"Statement\":{\"effect\":\"Allow\",\"Action\":\"rds:*\",\"Resource\":\"*\"}}",
         "Syntax errors in policy: unknown element effect"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[256] = "";
        bool ok_ = policy_check(bad[i].doc, strlen(bad[i].doc), why, sizeof why);
        char name[160];
        snprintf(name, sizeof name, "refused: %s", bad[i].why_prefix);
        ok(!ok_ && strncmp(why, bad[i].why_prefix, strlen(bad[i].why_prefix)) == 0, name);
        if (ok_ || strncmp(why, bad[i].why_prefix, strlen(bad[i].why_prefix)) != 0)
            diag("doc %s: why \"%s\"", bad[i].doc, why);
    }
    const char *good[] = {describe_only, rds_all, deny_create, only_x, not_action,
                          not_resource_deny, case_action};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char why[256] = "";
        ok(policy_check(good[i], strlen(good[i]), why, sizeof why), good[i]);
    }
    is_int(policy_size("{ \"a\" :\n\t\"b c\" }"), 10, "size counts no whitespace");
}

static void test_messages(void)
{
    char m[512];
    policy_denied_message(m, sizeof m, "arn:aws:iam::123456789012:user/alice",
                          "rds:CreateDBInstance", DB_X, POLICY_IMPLICIT_DENY);
    is_str(m,
           "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
           "rds:CreateDBInstance on resource: arn:aws:rds:us-east-1:123456789012:db:x because no "
           "identity-based policy allows the rds:CreateDBInstance action",
           "implicit deny: AWS's message");
    policy_denied_message(m, sizeof m, "arn:aws:iam::123456789012:user/alice",
                          "rds:CreateDBInstance", DB_X, POLICY_EXPLICIT_DENY);
    is_str(m,
           "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
           "rds:CreateDBInstance on resource: arn:aws:rds:us-east-1:123456789012:db:x with an "
           "explicit deny in an identity-based policy",
           "explicit deny: AWS's message");
    policy_denied_message(m, sizeof m, "arn:aws:iam::123456789012:user/alice", "kms:ListKeys",
                          "*", POLICY_IMPLICIT_DENY);
    is_str(m,
           "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
           "kms:ListKeys because no identity-based policy allows the kms:ListKeys action",
           "no named resource: no 'on resource'");
}

int main(void)
{
    test_table();
    test_match();
    test_check();
    test_messages();
    return done_testing();
}
