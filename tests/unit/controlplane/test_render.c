/* Unit tests for controlplane/render: list item names from the botocore
 * model, XML escaping and scalar formatting, whole documents, JSON. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/render.h"
#include "lib/tap.h"
#include "lib/util.h"

/* ---- list item names (expected values read from the model) ---- */
static const struct {
    const char *parent; /* NULL: render_list_item */
    const char *list;
    const char *item;
} item_cases[] = {
    {NULL, "DBInstances", "DBInstance"},
    {NULL, "TagList", "Tag"},
    {NULL, "VpcSecurityGroups", "VpcSecurityGroupMembership"},
    {NULL, "DBParameterGroups", "DBParameterGroup"},
    {NULL, "Events", "Event"},
    {NULL, "EventCategories", "EventCategory"},
    {NULL, "EventCategoriesList", "EventCategory"},
    {NULL, "EventCategoriesMapList", "EventCategoriesMap"},
    {NULL, "EventSubscriptionsList", "EventSubscription"},
    {NULL, "SourceIdsList", "SourceId"},
    {NULL, "DBSnapshots", "DBSnapshot"},
    {NULL, "DBEngineVersions", "DBEngineVersion"},
    {NULL, "OrderableDBInstanceOptions", "OrderableDBInstanceOption"},
    {NULL, "AvailabilityZones", "AvailabilityZone"},
    {NULL, "ValidUpgradeTarget", "UpgradeTarget"},
    {NULL, "DescribeDBLogFiles", "DescribeDBLogFilesDetails"},
    {NULL, "DBInstanceAutomatedBackups", "DBInstanceAutomatedBackup"},
    {NULL, "Subnets", "Subnet"},
    {NULL, "DBSubnetGroups", "DBSubnetGroup"},
    {NULL, "ReadReplicaDBInstanceIdentifiers", "ReadReplicaDBInstanceIdentifier"},
    {NULL, "OptionGroupMemberships", "OptionGroupMembership"},
    {NULL, "DomainMemberships", "DomainMembership"},
    {NULL, "DBSecurityGroups", "DBSecurityGroup"},
    {NULL, "Parameters", "Parameter"},
    {NULL, "AccountQuotas", "AccountQuota"},
    {NULL, "VpcSecurityGroupMemberships", "VpcSecurityGroupMembership"},
    {NULL, "Tags", "Tag"},
    {NULL, "ProcessorFeatures", "ProcessorFeature"},
    /* no locationName in the model */
    {NULL, "SupportedEngineModes", "member"},
    {NULL, "EnabledCloudwatchLogsExports", "member"},
    {NULL, "SupportedFeatureNames", "member"},
    {NULL, "LogTypesToEnable", "member"},
    {NULL, "NoSuchList", "member"},
    {NULL, "", "member"},
    {NULL, NULL, "member"},
    /* the three names that depend on the enclosing structure */
    {NULL, "StatusInfos", "DBInstanceStatusInfo"},
    {"DBInstance", "StatusInfos", "DBInstanceStatusInfo"},
    {"DBCluster", "StatusInfos", "DBClusterStatusInfo"},
    {NULL, "AssociatedRoles", "DBInstanceRole"},
    {"DBInstance", "AssociatedRoles", "DBInstanceRole"},
    {"DBCluster", "AssociatedRoles", "DBClusterRole"},
    {"DescribeDBParametersResult", "Parameters", "Parameter"},
    {"EngineDefaults", "Parameters", "Parameter"},
    {"member", "Parameters", "member"},
    {"DBCluster", "TagList", "Tag"},
    {"DBInstance", "NoSuchList", "member"},
};

/* ---- text escaping: {"V": in} renders <V>want</V> ---- */
static const struct {
    const char *name;
    const char *in;
    const char *want;
} text_cases[] = {
    {"plain", "shop", "shop"},
    {"empty", "", ""},
    {"ampersand", "a&b", "a&amp;b"},
    {"angle brackets", "<tag>", "&lt;tag&gt;"},
    {"quotes", "say \"hi\" 'there'", "say &quot;hi&quot; &apos;there&apos;"},
    {"entity-looking text is escaped", "&amp;", "&amp;amp;"},
    {"tab and newline kept", "a\tb\nc", "a\tb\nc"},
    {"CR as a reference", "a\r\nb", "a&#13;\nb"},
    {"C0 controls dropped", "a\x01\x02\x1F" "b", "ab"},
    {"escape char dropped", "\x1B[31mred", "[31mred"},
    {"DEL kept (legal in XML 1.0)", "a\x7F" "b", "a\x7F" "b"},
    {"utf-8 kept", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
    {"invalid byte replaced", "a\xFF" "b", "a\xEF\xBF\xBD" "b"},
    {"truncated sequence replaced", "a\xE2\x82", "a\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"overlong replaced", "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"surrogate replaced", "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"U+FFFE dropped", "a\xEF\xBF\xBE" "b", "ab"},
    {"U+FFFF dropped", "a\xEF\xBF\xBF" "b", "ab"},
    {"U+FFFD kept", "\xEF\xBF\xBD", "\xEF\xBF\xBD"},
    {"CDATA end escaped", "]]>", "]]&gt;"},
};

/* ---- numbers ---- */
static const struct {
    const char *name;
    double in;
    const char *want;
} number_cases[] = {
    {"zero", 0, "0"},
    {"small int", 20, "20"},
    {"negative int", -3, "-3"},
    {"port", 5432, "5432"},
    {"above INT_MAX", 5000000000.0, "5000000000"},
    {"2^53", 9007199254740992.0, "9007199254740992"},
    {"half", 1.5, "1.5"},
    {"tenth", 0.1, "0.1"},
    {"third", 1.0 / 3.0, "0.33333333333333331"},
    {"negative fraction", -2.25, "-2.25"},
    {"huge (integral, beyond int64)", 1e300, "1e+300"},
    {"needs 17 digits", 0.1 + 0.2, "0.30000000000000004"},
    {"negative zero", -0.0, "0"},
};

/* Renders {"V": item} and returns the text between <V> and </V>, or NULL
 * when V is absent. */
static char *render_one(cJSON *item)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "V", item);
    char *xml = render_xml_result("Test", r, "rid");
    cJSON_Delete(r);
    char *res = NULL;
    const char *a = strstr(xml, "<V>");
    const char *z = strstr(xml, "</V>");
    if (a != NULL && z != NULL && z >= a + 3)
        res = xstrndup(a + 3, (size_t)(z - a - 3));
    free(xml);
    return res;
}

static void test_items(void)
{
    char name[200];
    for (size_t i = 0; i < sizeof item_cases / sizeof item_cases[0]; i++) {
        const char *got = item_cases[i].parent
                              ? render_list_item_in(item_cases[i].parent, item_cases[i].list)
                              : render_list_item(item_cases[i].list);
        snprintf(name, sizeof name, "item: %s in %s", item_cases[i].list ? item_cases[i].list : "(null)",
                 item_cases[i].parent ? item_cases[i].parent : "(any)");
        is_str(got, item_cases[i].item, name);
    }
    is_str(render_list_item_in(NULL, "DBInstances"), "DBInstance", "item: NULL parent");
}

static void test_text(void)
{
    char name[200];
    for (size_t i = 0; i < sizeof text_cases / sizeof text_cases[0]; i++) {
        char *got = render_one(cJSON_CreateString(text_cases[i].in));
        snprintf(name, sizeof name, "text: %s", text_cases[i].name);
        is_str(got, text_cases[i].want, name);
        free(got);
    }
}

static void test_numbers(void)
{
    char name[200];
    for (size_t i = 0; i < sizeof number_cases / sizeof number_cases[0]; i++) {
        char *got = render_one(cJSON_CreateNumber(number_cases[i].in));
        snprintf(name, sizeof name, "number: %s", number_cases[i].name);
        is_str(got, number_cases[i].want, name);
        free(got);
    }
    char *got = render_one(cJSON_CreateNumber(NAN));
    is_str(got, NULL, "number: NaN omitted");
    free(got);
    got = render_one(cJSON_CreateNumber(INFINITY));
    is_str(got, NULL, "number: infinity omitted");
    free(got);
    got = render_one(cJSON_CreateTrue());
    is_str(got, "true", "bool: true");
    free(got);
    got = render_one(cJSON_CreateFalse());
    is_str(got, "false", "bool: false");
    free(got);
    got = render_one(cJSON_CreateNull());
    is_str(got, NULL, "null omitted");
    free(got);
    got = render_one(cJSON_CreateRaw("<x/>"));
    is_str(got, NULL, "raw omitted");
    free(got);
}

static const char *doc_want =
    "<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
    "  <DescribeDBInstancesResult>\n"
    "    <DBInstances>\n"
    "      <DBInstance>\n"
    "        <DBInstanceIdentifier>shop</DBInstanceIdentifier>\n"
    "        <AllocatedStorage>20</AllocatedStorage>\n"
    "        <MultiAZ>true</MultiAZ>\n"
    "        <Endpoint>\n"
    "          <Address>shop.x.internal</Address>\n"
    "          <Port>5432</Port>\n"
    "        </Endpoint>\n"
    "        <VpcSecurityGroups>\n"
    "          <VpcSecurityGroupMembership>\n"
    "            <VpcSecurityGroupId>sg-1</VpcSecurityGroupId>\n"
    "          </VpcSecurityGroupMembership>\n"
    "        </VpcSecurityGroups>\n"
    "        <EnabledCloudwatchLogsExports>\n"
    "          <member>postgresql</member>\n"
    "          <member>upgrade</member>\n"
    "        </EnabledCloudwatchLogsExports>\n"
    "        <StatusInfos>\n"
    "          <DBInstanceStatusInfo>\n"
    "            <Normal>true</Normal>\n"
    "          </DBInstanceStatusInfo>\n"
    "        </StatusInfos>\n"
    "        <TagList/>\n"
    "        <PendingModifiedValues/>\n"
    "      </DBInstance>\n"
    "    </DBInstances>\n"
    "  </DescribeDBInstancesResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>req-&lt;1&gt;</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</DescribeDBInstancesResponse>\n";

static cJSON *doc_tree(void)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(r, "DBInstances");
    cJSON *db = cJSON_CreateObject();
    cJSON_AddItemToArray(list, db);
    cJSON_AddStringToObject(db, "DBInstanceIdentifier", "shop");
    cJSON_AddNumberToObject(db, "AllocatedStorage", 20);
    cJSON_AddBoolToObject(db, "MultiAZ", true);
    cJSON_AddNullToObject(db, "DBName");
    cJSON *ep = cJSON_AddObjectToObject(db, "Endpoint");
    cJSON_AddStringToObject(ep, "Address", "shop.x.internal");
    cJSON_AddNumberToObject(ep, "Port", 5432);
    cJSON *sgs = cJSON_AddArrayToObject(db, "VpcSecurityGroups");
    cJSON *sg = cJSON_CreateObject();
    cJSON_AddStringToObject(sg, "VpcSecurityGroupId", "sg-1");
    cJSON_AddItemToArray(sgs, sg);
    cJSON *logs = cJSON_AddArrayToObject(db, "EnabledCloudwatchLogsExports");
    cJSON_AddItemToArray(logs, cJSON_CreateString("postgresql"));
    cJSON_AddItemToArray(logs, cJSON_CreateNull());
    cJSON_AddItemToArray(logs, cJSON_CreateString("upgrade"));
    cJSON *si = cJSON_AddArrayToObject(db, "StatusInfos");
    cJSON *s = cJSON_CreateObject();
    cJSON_AddBoolToObject(s, "Normal", true);
    cJSON_AddItemToArray(si, s);
    cJSON_AddArrayToObject(db, "TagList");
    cJSON_AddObjectToObject(db, "PendingModifiedValues");
    cJSON_AddStringToObject(db, "bad name", "skipped");
    cJSON_AddStringToObject(db, "<x>", "skipped");
    return r;
}

static void test_documents(void)
{
    cJSON *r = doc_tree();
    char *before = cJSON_PrintUnformatted(r);
    char *xml = render_xml_result("DescribeDBInstances", r, "req-<1>");
    is_str(xml, doc_want, "xml: whole DescribeDBInstances document");
    free(xml);

    /* The same list inside a DBCluster element uses the cluster item. */
    cJSON *c = cJSON_CreateObject();
    cJSON *cl = cJSON_AddObjectToObject(c, "DBCluster");
    cJSON *csi = cJSON_AddArrayToObject(cl, "StatusInfos");
    cJSON_AddItemToArray(csi, cJSON_CreateObject());
    xml = render_xml_result("CreateDBCluster", c, "r");
    ok(strstr(xml, "<StatusInfos>\n        <DBClusterStatusInfo/>\n      </StatusInfos>") != NULL,
       "xml: StatusInfos inside DBCluster uses DBClusterStatusInfo");
    free(xml);
    cJSON_Delete(c);

    char *json = render_json_result(r, "req-1");
    ok(strstr(json, "\"ResponseMetadata\":{\"RequestId\":\"req-1\"}") != NULL,
       "json: ResponseMetadata added");
    ok(strncmp(json, "{\"DBInstances\":[{\"DBInstanceIdentifier\":\"shop\",\"AllocatedStorage\":20,",
               68) == 0,
       "json: members unchanged, integers without fraction");
    free(json);
    char *after = cJSON_PrintUnformatted(r);
    is_str(after, before, "json/xml: result tree not modified");
    free(before);
    free(after);
    cJSON_Delete(r);

    /* A handler-set ResponseMetadata is replaced, not duplicated. */
    cJSON *m = cJSON_CreateObject();
    cJSON_AddObjectToObject(m, "ResponseMetadata");
    json = render_json_result(m, "abc");
    is_str(json, "{\"ResponseMetadata\":{\"RequestId\":\"abc\"}}", "json: one ResponseMetadata");
    free(json);
    cJSON_Delete(m);

    json = render_json_result(NULL, NULL);
    is_str(json, "{\"ResponseMetadata\":{\"RequestId\":\"\"}}", "json: NULL result");
    free(json);

    xml = render_xml_result("DeleteDBSubnetGroup", NULL, "r1");
    is_str(xml,
           "<DeleteDBSubnetGroupResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
           "  <DeleteDBSubnetGroupResult/>\n"
           "  <ResponseMetadata>\n"
           "    <RequestId>r1</RequestId>\n"
           "  </ResponseMetadata>\n"
           "</DeleteDBSubnetGroupResponse>\n",
           "xml: NULL result gives an empty Result element");
    free(xml);

    cJSON *arr = cJSON_CreateArray();
    xml = render_xml_result("X", arr, NULL);
    ok(strstr(xml, "<XResult/>") != NULL && strstr(xml, "<RequestId></RequestId>") != NULL,
       "xml: non-object result and NULL request id handled");
    free(xml);
    cJSON_Delete(arr);

    xml = render_xml_result("Bad Action", NULL, "r");
    ok(strncmp(xml, "<UnknownResponse ", 17) == 0, "xml: invalid action name replaced");
    free(xml);

    /* Deep trees are cut, not overflowed. */
    cJSON *deep = cJSON_CreateObject();
    cJSON *cur = deep;
    for (int i = 0; i < 200; i++)
        cur = cJSON_AddObjectToObject(cur, "N");
    xml = render_xml_result("Deep", deep, "r");
    ok(xml != NULL && strstr(xml, "</DeepResponse>") != NULL, "xml: very deep tree is cut safely");
    free(xml);
    cJSON_Delete(deep);
}

static void test_errors(void)
{
    awserr e = {0};
    awserr_set(&e, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", "a<b");
    char *xml = render_xml_error(&e, "rid-9");
    is_str(xml,
           "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
           "  <Error>\n"
           "    <Type>Sender</Type>\n"
           "    <Code>DBInstanceNotFound</Code>\n"
           "    <Message>DBInstance a&lt;b not found.</Message>\n"
           "  </Error>\n"
           "  <RequestId>rid-9</RequestId>\n"
           "</ErrorResponse>\n",
           "error xml: whole document");
    free(xml);

    char *json = render_json_error(&e, "rid-9");
    is_str(json,
           "{\"Error\":{\"Type\":\"Sender\",\"Code\":\"DBInstanceNotFound\","
           "\"Message\":\"DBInstance a<b not found.\"},\"RequestId\":\"rid-9\"}",
           "error json: whole document");
    free(json);

    awserr_set(&e, AWSERR_INTERNAL_FAILURE, "boom");
    xml = render_xml_error(&e, "r");
    ok(strstr(xml, "<Type>Receiver</Type>") && strstr(xml, "<Code>InternalFailure</Code>"),
       "error xml: server fault is Receiver");
    free(xml);

    awserr_set(&e, AWSERR_DB_SUBNET_GROUP_NOT_FOUND, "x");
    xml = render_xml_error(&e, "r");
    ok(strstr(xml, "<Code>DBSubnetGroupNotFoundFault</Code>") != NULL,
       "error xml: wire code keeps the Fault suffix where the model does");
    free(xml);

    xml = render_xml_error(NULL, NULL);
    ok(strstr(xml, "<Code>InternalFailure</Code>") && strstr(xml, "<RequestId></RequestId>"),
       "error xml: NULL error");
    free(xml);
    json = render_json_error(NULL, NULL);
    ok(strstr(json, "\"Code\":\"InternalFailure\"") != NULL, "error json: NULL error");
    free(json);
}

/* True when s is well-formed UTF-8 with no character XML 1.0 forbids. */
static bool xml_chars_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        if (*u < 0x20 && *u != '\t' && *u != '\n')
            return false;
        if (*u < 0x80) {
            u++;
            continue;
        }
        int need = (*u >= 0xF0 && *u <= 0xF4) ? 3 : (*u >= 0xE0) ? 2 : (*u >= 0xC2 && *u <= 0xDF) ? 1 : -1;
        if (need < 0 || *u > 0xF4)
            return false;
        for (int k = 1; k <= need; k++)
            if ((u[k] & 0xC0) != 0x80)
                return false;
        if (need == 2 && u[0] == 0xEF && u[1] == 0xBF && (u[2] == 0xBE || u[2] == 0xBF))
            return false;
        if (need == 2 && u[0] == 0xED && u[1] >= 0xA0)
            return false;
        u += need + 1;
    }
    return true;
}

/* Random byte strings (deterministic) as text: the output must never
 * contain a raw '<', '&' from the input, or a character XML forbids. */
static void test_random_text(void)
{
    uint32_t seed = 777;
    int bad = 0;
    for (int round = 0; round < 3000; round++) {
        char in[32];
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % (sizeof in - 1);
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            in[k] = (char)(1 + (seed >> 16) % 255);
        }
        in[n] = '\0';
        char *got = render_one(cJSON_CreateString(in));
        if (got == NULL || !xml_chars_ok(got) || strchr(got, '<') != NULL ||
            strchr(got, '>') != NULL || strchr(got, '"') != NULL) {
            bad++;
        } else {
            for (const char *a = strchr(got, '&'); a != NULL; a = strchr(a + 1, '&'))
                if (strncmp(a, "&amp;", 5) && strncmp(a, "&lt;", 4) && strncmp(a, "&gt;", 4) &&
                    strncmp(a, "&quot;", 6) && strncmp(a, "&apos;", 6) && strncmp(a, "&#13;", 5))
                    bad++;
        }
        free(got);
    }
    ok(bad == 0, "random text: output is always well-formed XML character data");
}

int main(void)
{
    test_items();
    test_text();
    test_numbers();
    test_documents();
    test_errors();
    test_random_text();
    return done_testing();
}
