/* region's ARN reading (region_arn_parse and the instance helpers), the
 * one place the API, the tags and the key service split an ARN. */
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "lib/tap.h"
#include "lib/util.h"

static void test_parse(void)
{
    static const struct {
        const char *name, *text;
        bool ok;
        const char *partition, *service, *region, *account, *resource;
    } cases[] = {
        {"an instance ARN", "arn:aws:rds:us-east-1:123456789012:db:shop", true, "aws", "rds",
         "us-east-1", "123456789012", "db:shop"},
        {"a key ARN keeps its slash", "arn:aws:kms:us-east-1:1:key/abc", true, "aws", "kms",
         "us-east-1", "1", "key/abc"},
        {"an alias ARN keeps its slashes", "arn:aws:kms:r:1:alias/aws/rds", true, "aws", "kms",
         "r", "1", "alias/aws/rds"},
        {"the resource keeps its colons", "arn:aws:rds:r:1:db:a:b", true, "aws", "rds", "r", "1",
         "db:a:b"},
        {"an IAM ARN has no region", "arn:aws:iam::1:role/x", true, "aws", "iam", "", "1",
         "role/x"},
        {"an empty resource", "arn:aws:rds:r:1:", true, "aws", "rds", "r", "1", ""},
        {"too few fields", "arn:aws:rds:r:db", false, NULL, NULL, NULL, NULL, NULL},
        {"not an ARN", "shop", false, NULL, NULL, NULL, NULL, NULL},
        {"ARN must be lowercase", "ARN:aws:rds:r:1:db:x", false, NULL, NULL, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        region_arn a;
        bool got = region_arn_parse(cases[i].text, &a);
        ok(got == cases[i].ok, cases[i].name);
        if (got && cases[i].ok) {
            is_str(a.partition, cases[i].partition, cases[i].name);
            is_str(a.service, cases[i].service, cases[i].name);
            is_str(a.region, cases[i].region, cases[i].name);
            is_str(a.account, cases[i].account, cases[i].name);
            is_str(a.resource, cases[i].resource, cases[i].name);
        }
    }
    char *long_arn = xmalloc(REGION_ARN_MAX + 2);
    memset(long_arn, 'x', REGION_ARN_MAX + 1);
    memcpy(long_arn, "arn:aws:rds:r:1:db:", 19);
    long_arn[REGION_ARN_MAX + 1] = '\0';
    region_arn a;
    ok(!region_arn_parse(long_arn, &a), "an ARN over REGION_ARN_MAX is refused");
    long_arn[REGION_ARN_MAX] = '\0';
    ok(region_arn_parse(long_arn, &a), "one of REGION_ARN_MAX is read");
    free(long_arn);
}

static void test_local(void)
{
    region_arn a;
    ok(region_arn_parse("arn:aws:kms:us-east-1:123:key/k", &a), "parse");
    ok(region_arn_is_local(&a, "kms", "us-east-1", "123"), "this region, account and service");
    ok(!region_arn_is_local(&a, "rds", "us-east-1", "123"), "another service");
    ok(!region_arn_is_local(&a, "kms", "eu-west-1", "123"), "another region");
    ok(!region_arn_is_local(&a, "kms", "us-east-1", "999"), "another account");
    ok(region_arn_parse("arn:aws-cn:kms:us-east-1:123:key/k", &a) &&
           !region_arn_is_local(&a, "kms", "us-east-1", "123"),
       "another partition");
    ok(region_arn_parse("arn:aws:kms:us-east-1:123:key/k", &a), "parse");
    is_str(region_arn_resource_id(&a, "key/"), "k", "the id after key/");
    ok(region_arn_resource_id(&a, "alias/") == NULL, "not an alias");
    ok(region_arn_resource_id(&a, "key:") == NULL, "the separator is part of the type");
}

static void test_instances(void)
{
    static const struct {
        const char *value, *id;
    } from[] = {
        {"Shop", "shop"},
        {"arn:aws:rds:us-east-1:123456789012:db:Shop", "shop"},
        {"arn:aws:rds:eu-west-1:999:db:shop", "shop"},
        {"arn:aws:rds:us-east-1:123456789012:snapshot:s1", "arn:aws:rds:us-east-1:123456789012:snapshot:s1"},
        {"arn:broken", "arn:broken"},
    };
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        char *id = region_instance_id_from(from[i].value);
        is_str(id, from[i].id, from[i].value);
        free(id);
    }
    region r = {0};
    r.cfg.name = "us-east-1";
    r.cfg.account = "123456789012";
    char *id = region_instance_arn_id(&r, "arn:aws:rds:us-east-1:123456789012:db:Shop");
    is_str(id, "shop", "an instance ARN of this region");
    free(id);
    id = region_instance_arn_id(&r, "arn:aws:rds:us-east-1:123456789012:db:");
    is_str(id, "", "an empty id is the caller's to refuse");
    free(id);
    ok(region_instance_arn_id(&r, "arn:aws:rds:eu-west-1:123456789012:db:shop") == NULL,
       "another region's instance");
    ok(region_instance_arn_id(&r, "arn:aws:rds:us-east-1:123456789012:pg:x") == NULL,
       "not an instance");
    ok(region_instance_arn_id(&r, "shop") == NULL, "not an ARN");
    char *arn = region_instance_arn(&r, "shop");
    id = region_instance_arn_id(&r, arn);
    is_str(id, "shop", "region_instance_arn and region_instance_arn_id round-trip");
    free(id);
    free(arn);
}

int main(void)
{
    test_parse();
    test_local();
    test_instances();
    return done_testing();
}
