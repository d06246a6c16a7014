/* instextra: the one reader and writer of an instance's `extra` column:
 * parsing what is there (or not), typed getters and their defaults,
 * setters that replace, and the one-value readers on a row. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "lib/tap.h"
#include "lib/util.h"

static void test_parse(void)
{
    static const struct {
        const char *name, *text;
    } cases[] = {
        {"NULL column", NULL},
        {"not JSON", "{oops"},
        {"an array", "[1,2]"},
        {"empty object", "{}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        store_instance in = {.extra = (char *)cases[i].text};
        cJSON *x = instextra_parse(&in);
        char *name = xasprintf("parse %s: an empty object", cases[i].name);
        ok(cJSON_IsObject(x) && cJSON_GetArraySize(x) == 0, name);
        free(name);
        cJSON_Delete(x);
    }
}

static void test_getters_setters(void)
{
    store_instance in = {.extra = xstrdup(
        "{\"MonitoringInterval\":15,\"PubliclyAccessible\":false,\"DBSubnetGroupName\":\"grp\","
        "\"VpcSecurityGroupIds\":[\"sg-1\",\"sg-2\"],\"MaintRolling\":{\"class\":\"db.m5.large\"},"
        "\"CopyTagsToSnapshot\":\"yes\"}")};
    cJSON *x = instextra_parse(&in);
    is_int(instextra_int(x, INSTEXTRA_MONITORING_INTERVAL, 0), 15, "int: the number");
    is_int(instextra_int(x, INSTEXTRA_MONITORING_ROLE, 7), 7, "int: absent gives the default");
    ok(!instextra_bool(x, INSTEXTRA_PUBLIC, true), "bool: false stays false over a true default");
    ok(instextra_bool(x, INSTEXTRA_AUTO_MINOR_UPGRADE, true), "bool: absent gives the default");
    ok(!instextra_bool(x, INSTEXTRA_COPY_TAGS, true), "bool: a non-bool value is not true");
    is_str(instextra_str(x, INSTEXTRA_SUBNET_GROUP), "grp", "str: the string");
    is_str(instextra_str(x, INSTEXTRA_MONITORING_INTERVAL), NULL, "str: a number is no string");
    ok(instextra_array(x, INSTEXTRA_SECURITY_GROUPS) != NULL, "array: there");
    ok(instextra_array(x, INSTEXTRA_MAINT_ROLLING) == NULL, "array: an object is no array");
    ok(instextra_object(x, INSTEXTRA_MAINT_ROLLING) != NULL, "object: there");

    instextra_set_int(x, INSTEXTRA_MONITORING_INTERVAL, 60);
    instextra_set_int(x, INSTEXTRA_MONITORING_INTERVAL, 30);
    is_int(instextra_int(x, INSTEXTRA_MONITORING_INTERVAL, 0), 30, "set_int replaces");
    instextra_set_str(x, INSTEXTRA_PARAM_GROUP, "custom");
    instextra_set_bool(x, INSTEXTRA_PUBLIC, true);
    instextra_remove(x, INSTEXTRA_MAINT_ROLLING);
    instextra_remove(x, INSTEXTRA_MAINT_ROLLING);
    ok(!instextra_has(x, INSTEXTRA_MAINT_ROLLING), "remove, twice");
    instextra_store(&in, x);
    cJSON_Delete(x);
    ok(strstr(in.extra, "\"MonitoringInterval\":30") && !strstr(in.extra, "60") &&
           !strstr(in.extra, "MaintRolling"),
       "store writes the object back, each key once");

    is_int(instextra_monitoring_interval(&in), 30, "row: monitoring interval");
    ok(instextra_public(&in), "row: publicly accessible");
    ok(instextra_auto_minor_upgrade(&in), "row: auto minor version upgrade defaults to true");
    char buf[32];
    is_str(instextra_subnet_group(&in, "default", buf, sizeof buf), "grp", "row: subnet group");
    ok(instextra_names_security_group(&in, "sg-2"), "row: names sg-2");
    ok(!instextra_names_security_group(&in, "sg-3"), "row: not sg-3");
    cJSON *sgs = instextra_security_groups(&in);
    is_int(cJSON_GetArraySize(sgs), 2, "row: security groups, a copy");
    cJSON_Delete(sgs);
    free(in.extra);

    store_instance empty = {0};
    is_int(instextra_monitoring_interval(&empty), 0, "empty row: interval 0");
    ok(!instextra_public(&empty), "empty row: not public");
    is_str(instextra_subnet_group(&empty, "default", buf, sizeof buf), "default",
           "empty row: the default subnet group");
    ok(instextra_security_groups(&empty) == NULL, "empty row: no security groups");
}

static bool apply(cJSON *x, const char *body, bool enable, awserr *e)
{
    params *p = params_parse(body, strlen(body), e);
    bool ok = p && instextra_apply_log_exports(p, "L", "member", enable, "15.18", x, e);
    params_free(p);
    return ok;
}

/* EnableCloudwatchLogsExports and CloudwatchLogsExportConfiguration. */
static void test_log_exports(void)
{
    cJSON *x = instextra_new();
    awserr e = {0};
    ok(apply(x, "L.member.1=postgresql&L.member.2=upgrade", true, &e), "enable two types");
    char *s = cJSON_PrintUnformatted(instextra_array(x, INSTEXTRA_LOG_EXPORTS));
    is_str(s, "[\"postgresql\",\"upgrade\"]", "both kept, in order");
    free(s);
    ok(apply(x, "L.member.1=postgresql", true, &e), "enabling again changes nothing");
    ok(apply(x, "L.member.1=upgrade", false, &e), "disable one");
    s = cJSON_PrintUnformatted(instextra_array(x, INSTEXTRA_LOG_EXPORTS));
    is_str(s, "[\"postgresql\"]", "the other stays");
    free(s);
    ok(!apply(x, "L.member.1=audit&L.member.2=postgresql&L.member.3=general", true, &e) &&
           e.code == AWSERR_INVALID_PARAMETER_COMBINATION,
       "unknown types: InvalidParameterCombination");
    is_str(e.message, "You cannot use the log types 'audit', 'general' with engine version "
           "postgres 15.18. For supported log types, see the documentation.",
           "... naming each, as RDS does");
    s = cJSON_PrintUnformatted(instextra_array(x, INSTEXTRA_LOG_EXPORTS));
    is_str(s, "[\"postgresql\"]", "a refused list changes nothing");
    free(s);
    cJSON_Delete(x);
}

int main(void)
{
    test_log_exports();
    test_parse();
    test_getters_setters();
    return done_testing();
}
