/* render: a handler's result tree (cJSON) to the wire as AWS Query XML or
 * as JSON, and an awserr to the matching error document.
 *
 * The XML follows what botocore's QueryParser reads (botocore/parsers.py):
 * <ActionResponse><ActionResult>members</ActionResult><ResponseMetadata>,
 * a list as <Name><Item>…</Item></Name> (the parser iterates the children
 * of <Name>, the item name is cosmetic to it but not to other clients, so
 * it comes from the model), scalars as text parsed by the member's type:
 * integers must carry no fraction (int(text)), booleans exactly
 * "true"/"false", timestamps ISO 8601 (handlers give them as strings).
 *
 * Text is untrusted (identifiers, messages, tag values from clients): it
 * is escaped, characters XML 1.0 cannot carry at all (C0 controls other
 * than tab/newline/CR, U+FFFE/U+FFFF) are dropped, CR is written as &#13;
 * so parsers do not fold it into LF, and bytes that are not UTF-8 become
 * U+FFFD, so any tree gives a well-formed document. */
#include "controlplane/core/render.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

/* ---- list item names --------------------------------------------------
 *
 * Generated once (python one-off over botocore 1.43's
 * data/rds/2014-10-31/service-2.json) and pasted here, so the build does
 * not depend on python: for every list-typed member of a structure
 * reachable from an operation's output, whose list member has a
 * locationName, (member name, locationName). Lists without a locationName
 * use "member" and are not listed. Sorted by strcmp for bsearch.
 *
 * Three member names map to different items depending on the enclosing
 * structure; the row here is the one for DB instances and parameter
 * groups, and list_item_overrides below holds the others, keyed by the
 * XML element that encloses the list. */
typedef struct {
    const char *list;
    const char *item;
} list_item_row;

static const list_item_row list_items[] = {
    {"AccountQuotas", "AccountQuota"},
    {"AssociatedRoles", "DBInstanceRole"}, /* DBCluster: DBClusterRole */
    {"AttributeValues", "AttributeValue"},
    {"AvailabilityZones", "AvailabilityZone"},
    {"AvailableAdditionalStorageVolumesOptions", "AvailableAdditionalStorageVolumesOption"},
    {"AvailableProcessorFeatures", "AvailableProcessorFeature"},
    {"Certificates", "Certificate"},
    {"DBClusterAutomatedBackups", "DBClusterAutomatedBackup"},
    {"DBClusterBacktracks", "DBClusterBacktrack"},
    {"DBClusterEndpoints", "DBClusterEndpointList"},
    {"DBClusterMembers", "DBClusterMember"},
    {"DBClusterOptionGroupMemberships", "DBClusterOptionGroup"},
    {"DBClusterParameterGroups", "DBClusterParameterGroup"},
    {"DBClusterSnapshotAttributes", "DBClusterSnapshotAttribute"},
    {"DBClusterSnapshots", "DBClusterSnapshot"},
    {"DBClusters", "DBCluster"},
    {"DBEngineVersions", "DBEngineVersion"},
    {"DBInstanceAutomatedBackups", "DBInstanceAutomatedBackup"},
    {"DBInstanceAutomatedBackupsReplications", "DBInstanceAutomatedBackupsReplication"},
    {"DBInstances", "DBInstance"},
    {"DBMajorEngineVersions", "DBMajorEngineVersion"},
    {"DBParameterGroups", "DBParameterGroup"},
    {"DBSecurityGroupMemberships", "DBSecurityGroup"},
    {"DBSecurityGroups", "DBSecurityGroup"},
    {"DBShardGroups", "DBShardGroup"},
    {"DBSnapshotAttributes", "DBSnapshotAttribute"},
    {"DBSnapshotTenantDatabases", "DBSnapshotTenantDatabase"},
    {"DBSnapshots", "DBSnapshot"},
    {"DBSubnetGroups", "DBSubnetGroup"},
    {"DescribeDBLogFiles", "DescribeDBLogFilesDetails"},
    {"DomainMemberships", "DomainMembership"},
    {"EC2SecurityGroups", "EC2SecurityGroup"},
    {"Errors", "IntegrationError"},
    {"EventCategories", "EventCategory"},
    {"EventCategoriesList", "EventCategory"},
    {"EventCategoriesMapList", "EventCategoriesMap"},
    {"EventSubscriptionsList", "EventSubscription"},
    {"Events", "Event"},
    {"ExportTasks", "ExportTask"},
    {"GlobalClusterMembers", "GlobalClusterMember"},
    {"GlobalClusters", "GlobalClusterMember"},
    {"IPRanges", "IPRange"},
    {"Integrations", "Integration"},
    {"IopsToStorageRatio", "DoubleRange"},
    {"MinimumEngineVersionPerAllowedValue", "MinimumEngineVersionPerAllowedValue"},
    {"OptionGroupMemberships", "OptionGroupMembership"},
    {"OptionGroupOptionSettings", "OptionGroupOptionSetting"},
    {"OptionGroupOptionVersions", "OptionVersion"},
    {"OptionGroupOptions", "OptionGroupOption"},
    {"OptionGroupsList", "OptionGroup"},
    {"OptionSettings", "OptionSetting"},
    {"Options", "Option"},
    {"OptionsConflictsWith", "OptionConflictName"},
    {"OptionsDependedOn", "OptionName"},
    {"OrderableDBInstanceOptions", "OrderableDBInstanceOption"},
    {"Parameters", "Parameter"}, /* RecommendedAction ("member"): member */
    {"PendingMaintenanceActionDetails", "PendingMaintenanceAction"},
    {"PendingMaintenanceActions", "ResourcePendingMaintenanceActions"},
    {"ProcessorFeatures", "ProcessorFeature"},
    {"ProvisionedIops", "Range"},
    {"ProvisionedStorageThroughput", "Range"},
    {"ReadReplicaDBClusterIdentifiers", "ReadReplicaDBClusterIdentifier"},
    {"ReadReplicaDBInstanceIdentifiers", "ReadReplicaDBInstanceIdentifier"},
    {"ReadReplicaIdentifiers", "ReadReplicaIdentifier"},
    {"RecurringCharges", "RecurringCharge"},
    {"ReservedDBInstances", "ReservedDBInstance"},
    {"ReservedDBInstancesOfferings", "ReservedDBInstancesOffering"},
    {"SourceIdsList", "SourceId"},
    {"SourceRegions", "SourceRegion"},
    {"StatusInfos", "DBInstanceStatusInfo"}, /* DBCluster: DBClusterStatusInfo */
    {"Storage", "ValidStorageOptions"},
    {"StorageSize", "Range"},
    {"StorageThroughputToIopsRatio", "DoubleRange"},
    {"Subnets", "Subnet"},
    {"SupportedCharacterSets", "CharacterSet"},
    {"SupportedEngineLifecycles", "SupportedEngineLifecycle"},
    {"SupportedNcharCharacterSets", "CharacterSet"},
    {"SupportedTimezones", "Timezone"},
    {"TagList", "Tag"},
    {"Tags", "Tag"},
    {"TenantDatabases", "TenantDatabase"},
    {"ValidProcessorFeatures", "AvailableProcessorFeature"},
    {"ValidUpgradeTarget", "UpgradeTarget"},
    {"VpcSecurityGroupMemberships", "VpcSecurityGroupMembership"},
    {"VpcSecurityGroups", "VpcSecurityGroupMembership"},
};

/* (enclosing element, list) pairs whose item differs from list_items. */
static const struct {
    const char *parent;
    const char *list;
    const char *item;
} list_item_overrides[] = {
    {"DBCluster", "AssociatedRoles", "DBClusterRole"},
    {"DBCluster", "StatusInfos", "DBClusterStatusInfo"},
    /* RecommendedAction appears as <member> inside DBRecommendation's
     * Actions list; its Parameters list has no locationName. */
    {"member", "Parameters", "member"},
    /* SNS's TopicAttributesMap, given as a list of {key, value} (sns.c) */
    {"GetTopicAttributesResult", "Attributes", "entry"},
    {"GetSubscriptionAttributesResult", "Attributes", "entry"},
    /* SNS's TagList: <member><Key/><Value/></member> */
    {"ListTagsForResourceResult", "Tags", "member"},
};

static int list_row_cmp(const void *key, const void *row)
{
    return strcmp((const char *)key, ((const list_item_row *)row)->list);
}

const char *render_list_item(const char *list)
{
    if (list == NULL)
        return "member";
    const list_item_row *r = bsearch(list, list_items, sizeof list_items / sizeof list_items[0],
                                     sizeof list_items[0], list_row_cmp);
    return r != NULL ? r->item : "member";
}

const char *render_list_item_in(const char *parent, const char *list)
{
    if (parent != NULL && list != NULL) {
        for (size_t i = 0; i < sizeof list_item_overrides / sizeof list_item_overrides[0]; i++) {
            if (strcmp(list_item_overrides[i].parent, parent) == 0 &&
                strcmp(list_item_overrides[i].list, list) == 0)
                return list_item_overrides[i].item;
        }
    }
    return render_list_item(list);
}

/* ---- XML text ---------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s[0..len) (len > 0). Returns its length
 * and the code point, or length 1 and U+FFFD for a byte that does not
 * start a well-formed sequence (so output always advances). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (len <= need) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[k] & 0x3F);
    }
    if ((need == 2 && v < 0x800) || (need == 3 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return need + 1;
}

void render_xml_text(sbuf *b, const char *s)
{
    if (s == NULL)
        return;
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(u + i, len - i, &cp);
        switch (cp) {
        case '&': sbuf_puts(b, "&amp;"); break;
        case '<': sbuf_puts(b, "&lt;"); break;
        case '>': sbuf_puts(b, "&gt;"); break;
        case '"': sbuf_puts(b, "&quot;"); break;
        case '\'': sbuf_puts(b, "&apos;"); break;
        case '\r': sbuf_puts(b, "&#13;"); break;
        case '\t':
        case '\n': sbuf_putc(b, (char)cp); break;
        case 0xFFFD:
            /* Either a real U+FFFD or our replacement for a bad byte. */
            sbuf_puts(b, "\xEF\xBF\xBD");
            break;
        default:
            /* Not representable in XML 1.0 even as a reference: drop. */
            if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF)
                break;
            sbuf_append(b, (const char *)u + i, n);
            break;
        }
        i += n;
    }
}

/* Element names come from handlers (member names of the model), not from
 * clients; still, a name that would break the document is skipped rather
 * than written. ASCII letters/digits/_/-/. with a letter or _ first. */
static bool xml_name_ok(const char *s)
{
    if (s == NULL || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* Integral values print without a fraction (botocore parses integers with
 * int()); cJSON keeps numbers as doubles and its valueint saturates at
 * INT_MAX, so the double is converted directly (exact up to 2^53, which
 * covers every RDS integer/long). Others use the shortest of %.15g/%.17g
 * that round-trips. */
static void put_number(sbuf *b, double d)
{
    if (d == floor(d) && fabs(d) < 9.0e18) {
        sbuf_printf(b, "%lld", (long long)d);
        return;
    }
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", d);
    if (strtod(buf, NULL) != d)
        snprintf(buf, sizeof buf, "%.17g", d);
    sbuf_puts(b, buf);
}

static void indent(sbuf *b, int depth)
{
    sbuf_putc(b, '\n');
    for (int i = 0; i < depth; i++)
        sbuf_puts(b, "  ");
}

/* Nesting deeper than this is a handler bug (RDS shapes nest < 10). */
#define RENDER_MAX_DEPTH 64

/* True when v produces an element (NULL members and items are omitted). */
static bool xml_renders(const cJSON *v)
{
    if (v == NULL || cJSON_IsNull(v) || cJSON_IsRaw(v) || cJSON_IsInvalid(v))
        return false;
    if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
        return false;
    return true;
}

/* Writes <name>v</name> at depth; `parent` is the enclosing element's
 * name, which decides the item name of a list v (render_list_item_in). */
static void xml_element(sbuf *b, const char *parent, const char *name, const cJSON *v, int depth)
{
    if (!xml_renders(v))
        return;
    if (depth > RENDER_MAX_DEPTH) {
        LOG_WARN("render: tree too deep element=%s", name);
        return;
    }
    indent(b, depth);
    sbuf_printf(b, "<%s", name);

    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        bool any = false;
        const char *item = cJSON_IsArray(v) ? render_list_item_in(parent, name) : NULL;
        for (const cJSON *c = v->child; c != NULL; c = c->next) {
            if (!xml_renders(c))
                continue;
            const char *child_name;
            if (cJSON_IsArray(v)) {
                child_name = item;
            } else if (xml_name_ok(c->string)) {
                child_name = c->string;
            } else {
                LOG_WARN("render: skipping member with an invalid XML name in=%s", name);
                continue;
            }
            if (!any)
                sbuf_putc(b, '>');
            any = true;
            xml_element(b, name, child_name, c, depth + 1);
        }
        if (any) {
            indent(b, depth);
            sbuf_printf(b, "</%s>", name);
        } else {
            sbuf_puts(b, "/>");
        }
        return;
    }

    sbuf_putc(b, '>');
    if (cJSON_IsString(v))
        render_xml_text(b, v->valuestring);
    else if (cJSON_IsNumber(v))
        put_number(b, v->valuedouble);
    else if (cJSON_IsBool(v))
        sbuf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    sbuf_printf(b, "</%s>", name);
}

static void put_request_id(sbuf *b, const char *request_id, int depth)
{
    indent(b, depth);
    sbuf_puts(b, "<RequestId>");
    render_xml_text(b, request_id != NULL ? request_id : "");
    sbuf_puts(b, "</RequestId>");
}

char *render_xml_result(const char *action, const cJSON *result, const char *request_id)
{
    return render_xml_result_ns(NULL, action, result, request_id);
}

char *render_xml_result_ns(const char *xmlns, const char *action, const cJSON *result,
                           const char *request_id)
{
    if (!xml_name_ok(action)) {
        LOG_ERROR("render: invalid action name");
        action = "Unknown";
    }
    sbuf b = {0};
    sbuf_printf(&b, "<%sResponse xmlns=\"%s\">", action, xmlns ? xmlns : RDS_XMLNS);
    /* The Result element is written even when empty: botocore looks it up
     * by name for every action whose output has a resultWrapper. */
    char *wrapper = xasprintf("%sResult", action);
    cJSON *empty = NULL;
    if (result == NULL || !cJSON_IsObject(result)) {
        if (result != NULL)
            LOG_ERROR("render: result of action=%s is not an object", action);
        empty = cJSON_CreateObject();
        if (empty == NULL) {
            LOG_ERROR("render: out of memory");
            abort();
        }
        result = empty;
    }
    xml_element(&b, action, wrapper, result, 1);
    cJSON_Delete(empty);
    free(wrapper);
    indent(&b, 1);
    sbuf_puts(&b, "<ResponseMetadata>");
    put_request_id(&b, request_id, 2);
    indent(&b, 1);
    sbuf_puts(&b, "</ResponseMetadata>");
    indent(&b, 0);
    sbuf_printf(&b, "</%sResponse>\n", action);
    return sbuf_take(&b);
}

/* awserr leaves the message untouched when a caller forgets to set it. */
static const char *err_message(const awserr *err)
{
    return err != NULL ? err->message : "Internal error.";
}

char *render_xml_error(const awserr *err, const char *request_id)
{
    awserr_code code = err != NULL ? err->code : AWSERR_INTERNAL_FAILURE;
    sbuf b = {0};
    sbuf_printf(&b, "<ErrorResponse xmlns=\"%s\">", RDS_XMLNS);
    indent(&b, 1);
    sbuf_puts(&b, "<Error>");
    indent(&b, 2);
    sbuf_printf(&b, "<Type>%s</Type>", awserr_type(code));
    indent(&b, 2);
    sbuf_printf(&b, "<Code>%s</Code>", awserr_wire_code(code));
    indent(&b, 2);
    sbuf_puts(&b, "<Message>");
    render_xml_text(&b, err_message(err));
    sbuf_puts(&b, "</Message>");
    indent(&b, 1);
    sbuf_puts(&b, "</Error>");
    put_request_id(&b, request_id, 1);
    indent(&b, 0);
    sbuf_puts(&b, "</ErrorResponse>\n");
    return sbuf_take(&b);
}

/* ---- JSON ------------------------------------------------------------- */

static cJSON *json_checked(cJSON *item)
{
    if (item == NULL) {
        LOG_ERROR("render: out of memory building JSON");
        abort();
    }
    return item;
}

static char *json_print(const cJSON *root)
{
    char *s = cJSON_PrintUnformatted(root);
    if (s == NULL) {
        LOG_ERROR("render: out of memory printing JSON");
        abort();
    }
    return s;
}

char *render_json_result(const cJSON *result, const char *request_id)
{
    cJSON *root;
    if (result != NULL && cJSON_IsObject(result)) {
        root = json_checked(cJSON_Duplicate(result, true));
    } else {
        if (result != NULL)
            LOG_ERROR("render: result is not an object");
        root = json_checked(cJSON_CreateObject());
    }
    cJSON_DeleteItemFromObjectCaseSensitive(root, "ResponseMetadata");
    cJSON *meta = json_checked(cJSON_AddObjectToObject(root, "ResponseMetadata"));
    json_checked(cJSON_AddStringToObject(meta, "RequestId", request_id != NULL ? request_id : ""));
    char *s = json_print(root);
    cJSON_Delete(root);
    return s;
}

char *render_json_error(const awserr *err, const char *request_id)
{
    awserr_code code = err != NULL ? err->code : AWSERR_INTERNAL_FAILURE;
    cJSON *root = json_checked(cJSON_CreateObject());
    cJSON *e = json_checked(cJSON_AddObjectToObject(root, "Error"));
    json_checked(cJSON_AddStringToObject(e, "Type", awserr_type(code)));
    json_checked(cJSON_AddStringToObject(e, "Code", awserr_wire_code(code)));
    json_checked(cJSON_AddStringToObject(e, "Message", err_message(err)));
    json_checked(cJSON_AddStringToObject(root, "RequestId", request_id != NULL ? request_id : ""));
    char *s = json_print(root);
    cJSON_Delete(root);
    return s;
}

void render_page(cJSON *result, const char *member, const cJSON *list, int64_t off,
                 int64_t max)
{
    cJSON *page = cJSON_AddArrayToObject(result, member);
    int n = cJSON_GetArraySize(list);
    for (int64_t i = off; i < n && i < off + max; i++)
        cJSON_AddItemToArray(page, cJSON_Duplicate(cJSON_GetArrayItem(list, (int)i), true));
    if (off + max < n) {
        char m[32];
        snprintf(m, sizeof m, "%lld", (long long)(off + max));
        cJSON_AddStringToObject(result, "Marker", m);
    }
}
