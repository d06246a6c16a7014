/* ec2: see ec2.h. This file: dispatch, shared helpers, rendering;
 * security groups are in ec2sg.c, subnets in ec2subnet.c.
 *
 * Results are built as cJSON with the JSON (botocore output shape) member
 * names and rendered as EC2's XML by renaming members to their
 * locationName: lowerCamel, lists of <item>, and the few names that
 * differ (SecurityGroups → securityGroupInfo, Subnets → subnetSet, a
 * group's Description → groupDescription). */
#include "controlplane/net/ec2.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/net/ec2svc.h"
#include "controlplane/core/netstore.h"
#include "controlplane/core/region.h"
#include "controlplane/core/render.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

#define EC2_XMLNS "http://ec2.amazonaws.com/doc/2016-11-15/"

bool ec2_fail(ec2_err *e, const char *code, const char *fmt, ...)
{
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return false;
}

bool ec2_store_failed(ec2_err *e)
{
    return ec2_fail(e, "InternalError", "An internal error has occurred.");
}

/* A fresh EC2-style id: prefix-<17 hex digits>. */
char *ec2_new_id(const char *prefix)
{
    static const char hex[] = "0123456789abcdef";
    char *rnd = region_random_label(17);
    for (char *c = rnd; *c; c++)
        *c = hex[(unsigned char)*c % 16];
    char *id = xasprintf("%s-%s", prefix, rnd);
    free(rnd);
    return id;
}

/* ---- parameters --------------------------------------------------------- */

/* NAME.1, NAME.2, ... (EC2's flattened lists) as a NULL-terminated array
 * of borrowed strings; the count, or -1 with InvalidParameterValue when
 * there are too many. */
int ec2_list(const params *p, const char *name, const char ***out, ec2_err *e)
{
    int n = 0;
    const char **v = xcalloc(1, sizeof *v);
    for (;; n++) {
        char key[128];
        snprintf(key, sizeof key, "%s.%d", name, n + 1);
        const char *x = params_get(p, key);
        if (!x)
            break;
        if (n >= 1000) {
            free(v);
            ec2_fail(e, "InvalidParameterValue", "Too many values for %s.", name);
            return -1;
        }
        v = xrealloc(v, sizeof *v * (size_t)(n + 2));
        v[n] = x;
        v[n + 1] = NULL;
    }
    *out = v;
    return n;
}

/* Filter.N.Name / Filter.N.Value.M: true when obj passes every filter
 * whose name is in `names` (filter name → member of obj); an unknown
 * filter name is InvalidParameterValue. */

bool ec2_filters_pass(const params *p, const ec2_filter_map *map, const cJSON *obj,
                             bool *pass, ec2_err *e)
{
    *pass = true;
    for (int i = 1;; i++) {
        char key[64];
        snprintf(key, sizeof key, "Filter.%d.Name", i);
        const char *fname = params_get(p, key);
        if (!fname)
            return true;
        const ec2_filter_map *m = map;
        while (m->filter && strcmp(m->filter, fname) != 0)
            m++;
        if (!m->filter)
            return ec2_fail(e, "InvalidParameterValue", "The filter '%s' is invalid", fname);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, m->member);
        char have[64] = "";
        if (cJSON_IsString(v))
            snprintf(have, sizeof have, "%s", v->valuestring);
        else if (cJSON_IsBool(v))
            snprintf(have, sizeof have, "%s", cJSON_IsTrue(v) ? "true" : "false");
        bool any = false;
        for (int k = 1;; k++) {
            snprintf(key, sizeof key, "Filter.%d.Value.%d", i, k);
            const char *want = params_get(p, key);
            if (!want)
                break;
            any |= strcmp(want, have) == 0;
        }
        if (!any)
            *pass = false;
    }
}

/* ---- shared by the action handlers ----------------------------------------- */


bool ec2_commit(region *r, ec2_err *e)
{
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return ec2_store_failed(e);
}

bool ec2_begin(region *r, ec2_err *e)
{
    return store_begin(r->st) || ec2_store_failed(e);
}

bool ec2_valid_text(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255)
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return false;
    return true;
}

bool ec2_open(region *r)
{
    return ec2_sg_ensure_default(r);
}

/* ---- the VPC and its AZs ------------------------------------------------ */

/* The one VPC as DescribeVpcs shows it. */
static cJSON *ec2_vpc_item(region *r)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "CidrBlock", region_vpc_cidr(r));
    cJSON_AddStringToObject(v, "DhcpOptionsId", "default");
    cJSON_AddStringToObject(v, "State", "available");
    cJSON_AddStringToObject(v, "VpcId", EC2_VPC_ID);
    cJSON_AddStringToObject(v, "OwnerId", r->cfg.account);
    cJSON_AddStringToObject(v, "InstanceTenancy", "default");
    cJSON *assoc = cJSON_AddArrayToObject(v, "CidrBlockAssociationSet");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "AssociationId", "vpc-cidr-assoc-00000000000000001");
    cJSON_AddStringToObject(a, "CidrBlock", region_vpc_cidr(r));
    cJSON_AddItemToObject(a, "CidrBlockState", cJSON_CreateObject());
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(a, "CidrBlockState"), "State",
                            "associated");
    cJSON_AddItemToArray(assoc, a);
    cJSON_AddBoolToObject(v, "IsDefault", true);
    cJSON_AddArrayToObject(v, "Tags");
    return v;
}

/* DescribeVpcs: the one VPC, through VpcId.N and the filters EC2 has for
 * what it shows (an unknown VpcId is InvalidVpcID.NotFound, as in EC2). */
static bool ec2_describe_vpcs(region *r, const params *p, cJSON *result, ec2_err *e)
{
    static const ec2_filter_map filters[] = {
        {"vpc-id", "VpcId"}, {"is-default", "IsDefault"}, {"isDefault", "IsDefault"},
        {"cidr", "CidrBlock"}, {"cidr-block-association.cidr-block", "CidrBlock"},
        {"state", "State"}, {"owner-id", "OwnerId"}, {"dhcp-options-id", "DhcpOptionsId"},
        {NULL, NULL}};
    const char **ids = NULL;
    if (ec2_list(p, "VpcId", &ids, e) < 0)
        return false;
    for (int i = 0; ids[i]; i++)
        if (strcmp(ids[i], EC2_VPC_ID) != 0) {
            ec2_fail(e, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", ids[i]);
            free(ids);
            return false;
        }
    free(ids);
    cJSON *v = ec2_vpc_item(r);
    bool pass = true;
    if (!ec2_filters_pass(p, filters, v, &pass, e)) {
        cJSON_Delete(v);
        return false;
    }
    cJSON *vpcs = cJSON_AddArrayToObject(result, "Vpcs");
    if (pass)
        cJSON_AddItemToArray(vpcs, v);
    else
        cJSON_Delete(v);
    return true;
}

/* DescribeVpcAttribute: the default VPC's DNS settings (on, as a default
 * VPC's are: rdsim's names resolve inside it) and its metrics flag (off). */
static bool ec2_describe_vpc_attribute(region *r, const params *p, cJSON *result, ec2_err *e)
{
    (void)r;
    static const char *const attrs[][3] = {
        {"enableDnsSupport", "EnableDnsSupport", "true"},
        {"enableDnsHostnames", "EnableDnsHostnames", "true"},
        {"enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics", "false"},
    };
    const char *vpc = params_get(p, "VpcId");
    const char *attr = params_get(p, "Attribute");
    if (!vpc || !*vpc)
        return ec2_fail(e, "MissingParameter", "The request must contain the parameter vpcId");
    if (!attr || !*attr)
        return ec2_fail(e, "MissingParameter", "The request must contain the parameter attribute");
    if (strcmp(vpc, EC2_VPC_ID) != 0)
        return ec2_fail(e, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpc);
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        if (strcmp(attr, attrs[i][0]) != 0)
            continue;
        cJSON_AddStringToObject(result, "VpcId", EC2_VPC_ID);
        cJSON *o = cJSON_AddObjectToObject(result, attrs[i][1]);
        cJSON_AddBoolToObject(o, "Value", strcmp(attrs[i][2], "true") == 0);
        return true;
    }
    return ec2_fail(e, "InvalidParameterValue", "Value (%s) for parameter attribute is invalid. "
                                                "Unknown attribute.", attr);
}

/* DescribeRouteTables: the VPC's main route table, its one local route
 * (the loopback VPC routes only to itself), associated as main; subnets
 * have no explicit association, as in a default VPC. */
static bool ec2_describe_route_tables(region *r, const params *p, cJSON *result, ec2_err *e)
{
    static const ec2_filter_map filters[] = {
        {"vpc-id", "VpcId"}, {"route-table-id", "RouteTableId"}, {"association.main", "Main"},
        {"owner-id", "OwnerId"}, {"association.subnet-id", "SubnetId"}, {NULL, NULL}};
    const char **ids = NULL;
    if (ec2_list(p, "RouteTableId", &ids, e) < 0)
        return false;
    for (int i = 0; ids[i]; i++)
        if (strcmp(ids[i], EC2_MAIN_RTB_ID) != 0) {
            ec2_fail(e, "InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist",
                     ids[i]);
            free(ids);
            return false;
        }
    free(ids);
    cJSON *view = cJSON_CreateObject();
    cJSON_AddStringToObject(view, "VpcId", EC2_VPC_ID);
    cJSON_AddStringToObject(view, "RouteTableId", EC2_MAIN_RTB_ID);
    cJSON_AddBoolToObject(view, "Main", true);
    cJSON_AddStringToObject(view, "OwnerId", r->cfg.account);
    bool pass = true;
    bool good = ec2_filters_pass(p, filters, view, &pass, e);
    cJSON_Delete(view);
    if (!good)
        return false;
    cJSON *tables = cJSON_AddArrayToObject(result, "RouteTables");
    if (!pass)
        return true;
    cJSON *t = cJSON_CreateObject();
    cJSON *assocs = cJSON_AddArrayToObject(t, "Associations");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddBoolToObject(a, "Main", true);
    cJSON_AddStringToObject(a, "RouteTableAssociationId", "rtbassoc-00000000000000001");
    cJSON_AddStringToObject(a, "RouteTableId", EC2_MAIN_RTB_ID);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "AssociationState"), "State", "associated");
    cJSON_AddItemToArray(assocs, a);
    cJSON_AddArrayToObject(t, "PropagatingVgws");
    cJSON_AddStringToObject(t, "RouteTableId", EC2_MAIN_RTB_ID);
    cJSON *routes = cJSON_AddArrayToObject(t, "Routes");
    cJSON *route = cJSON_CreateObject();
    cJSON_AddStringToObject(route, "DestinationCidrBlock", region_vpc_cidr(r));
    cJSON_AddStringToObject(route, "GatewayId", "local");
    cJSON_AddStringToObject(route, "Origin", "CreateRouteTable");
    cJSON_AddStringToObject(route, "State", "active");
    cJSON_AddItemToArray(routes, route);
    cJSON_AddArrayToObject(t, "Tags");
    cJSON_AddStringToObject(t, "VpcId", EC2_VPC_ID);
    cJSON_AddStringToObject(t, "OwnerId", r->cfg.account);
    cJSON_AddItemToArray(tables, t);
    return true;
}

static bool ec2_describe_azs(region *r, const params *p, cJSON *result, ec2_err *e)
{
    (void)p;
    (void)e;
    cJSON *azs = cJSON_AddArrayToObject(result, "AvailabilityZones");
    for (int i = 0; i < r->cfg.naz; i++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "State", "available");
        cJSON_AddStringToObject(a, "RegionName", r->cfg.name);
        cJSON_AddStringToObject(a, "ZoneName", r->cfg.azs[i]);
        cJSON_AddItemToArray(azs, a);
    }
    return true;
}

typedef bool (*ec2_fn)(region *r, const params *p, cJSON *result, ec2_err *e);

static const struct {
    const char *name;
    ec2_fn fn;
    bool mutates;
} ec2_actions[] = {
    {"AuthorizeSecurityGroupEgress", ec2_authorize_egress, true},
    {"AuthorizeSecurityGroupIngress", ec2_authorize_ingress, true},
    {"CreateSecurityGroup", ec2_create_security_group, true},
    {"CreateSubnet", ec2_create_subnet, true},
    {"CreateTags", ec2_create_tags, true},
    {"DeleteSecurityGroup", ec2_delete_security_group, true},
    {"DeleteSubnet", ec2_delete_subnet, true},
    {"DeleteTags", ec2_delete_tags, true},
    {"DescribeAvailabilityZones", ec2_describe_azs, false},
    {"DescribeNetworkInterfaces", ec2_describe_network_interfaces, false},
    {"DescribeRouteTables", ec2_describe_route_tables, false},
    {"DescribeSecurityGroupRules", ec2_describe_security_group_rules, false},
    {"DescribeSecurityGroups", ec2_describe_security_groups, false},
    {"DescribeSubnets", ec2_describe_subnets, false},
    {"DescribeTags", ec2_describe_tags, false},
    {"DescribeVpcAttribute", ec2_describe_vpc_attribute, false},
    {"DescribeVpcs", ec2_describe_vpcs, false},
    {"RevokeSecurityGroupEgress", ec2_revoke_egress, true},
    {"RevokeSecurityGroupIngress", ec2_revoke_ingress, true},
};

/* ---- rendering ---------------------------------------------------------- */

/* A member's XML name: its locationName in EC2's model. */
static void xml_name(const char *parent, const char *name, char *buf, size_t len)
{
    static const char *const renames[][3] = {
        /* parent ("" = any), JSON name, XML name */
        {"", "SecurityGroups", "securityGroupInfo"},
        {"", "Subnets", "subnetSet"},
        {"", "Vpcs", "vpcSet"},
        {"", "AvailabilityZones", "availabilityZoneInfo"},
        {"", "Description", "groupDescription"},
        {"IpRanges", "Description", "description"},
        {"SecurityGroupRules", "Description", "description"},
        {"NetworkInterfaces", "Description", "description"},
        {"", "NetworkInterfaces", "networkInterfaceSet"},
        {"NetworkInterfaces", "Groups", "groupSet"},
        {"", "Tags", "tagSet"},
        {"", "SecurityGroupRules", "securityGroupRuleSet"},
        {"", "CidrBlockAssociationSet", "cidrBlockAssociationSet"},
        {"", "RouteTables", "routeTableSet"},
        {"", "Routes", "routeSet"},
        {"", "Associations", "associationSet"},
        {"", "PropagatingVgws", "propagatingVgwSet"},
        {"", "Ipv6Ranges", "ipv6Ranges"},
        {"", "UserIdGroupPairs", "groups"},
        {"", "ZoneName", "zoneName"},
        {"", "State", "state"},
    };
    for (size_t i = sizeof renames / sizeof renames[0]; i-- > 0;) {
        if ((renames[i][0][0] == '\0' || strcmp(renames[i][0], parent) == 0) &&
            strcmp(renames[i][1], name) == 0) {
            snprintf(buf, len, "%s", renames[i][2]);
            return;
        }
    }
    snprintf(buf, len, "%s", name);
    if (buf[0] >= 'A' && buf[0] <= 'Z')
        buf[0] = (char)(buf[0] + 32);
}

static void xml_value(sbuf *b, const char *parent, const char *name, const cJSON *v)
{
    char tag[64];
    xml_name(parent, name, tag, sizeof tag);
    sbuf_printf(b, "<%s>", tag);
    if (cJSON_IsArray(v)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, v) {
            sbuf_puts(b, "<item>");
            const cJSON *m;
            if (cJSON_IsObject(it))
                cJSON_ArrayForEach(m, it) xml_value(b, name, m->string, m);
            else
                render_xml_text(b, cJSON_IsString(it) ? it->valuestring : "");
            sbuf_puts(b, "</item>");
        }
    } else if (cJSON_IsObject(v)) {
        const cJSON *m;
        cJSON_ArrayForEach(m, v) xml_value(b, name, m->string, m);
    } else if (cJSON_IsBool(v)) {
        sbuf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        sbuf_printf(b, "%lld", (long long)v->valuedouble);
    } else if (cJSON_IsString(v)) {
        render_xml_text(b, v->valuestring);
    }
    sbuf_printf(b, "</%s>", tag);
}

static char *ec2_render_xml(const char *action, const cJSON *result, const char *rid)
{
    sbuf b = {0};
    sbuf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse xmlns=\"" EC2_XMLNS
                    "\">\n<requestId>", action);
    render_xml_text(&b, rid);
    sbuf_puts(&b, "</requestId>\n");
    const cJSON *m;
    cJSON_ArrayForEach(m, result) {
        xml_value(&b, "", m->string, m);
        sbuf_putc(&b, '\n');
    }
    sbuf_printf(&b, "</%sResponse>\n", action);
    return sbuf_take(&b);
}

static char *ec2_render_error(const ec2_err *e, const char *rid, bool json)
{
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON *er = cJSON_AddObjectToObject(o, "Error");
        cJSON_AddStringToObject(er, "Type", "Sender");
        cJSON_AddStringToObject(er, "Code", e->code);
        cJSON_AddStringToObject(er, "Message", e->message);
        cJSON_AddStringToObject(o, "RequestId", rid);
        char *s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
    }
    sbuf b = {0};
    sbuf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>");
    render_xml_text(&b, e->code);
    sbuf_puts(&b, "</Code><Message>");
    render_xml_text(&b, e->message);
    sbuf_puts(&b, "</Message></Error></Errors><RequestID>");
    render_xml_text(&b, rid);
    sbuf_puts(&b, "</RequestID></Response>\n");
    return sbuf_take(&b);
}

void ec2_handle(region *r, const params *p, bool json, const char *rid, char **out, int *status,
                bool *mutated)
{
    const char *action = params_get(p, "Action");
    ec2_err e = {0};
    cJSON *result = cJSON_CreateObject();
    *mutated = false;
    size_t i = 0;
    while (i < sizeof ec2_actions / sizeof ec2_actions[0] && strcmp(ec2_actions[i].name, action))
        i++;
    bool ok;
    if (i == sizeof ec2_actions / sizeof ec2_actions[0]) {
        ok = ec2_fail(&e, "InvalidAction", "The action %s is not valid for this web service.",
                      action);
    } else {
        ok = ec2_actions[i].fn(r, p, result, &e);
        if (!ok && !e.code)
            ec2_store_failed(&e);
        *mutated = ok && ec2_actions[i].mutates;
    }
    if (ok) {
        *status = 200;
        *out = json ? render_json_result(result, rid) : ec2_render_xml(action, result, rid);
    } else {
        *status = strcmp(e.code, "InternalError") == 0 ? 500 : 400;
        *out = ec2_render_error(&e, rid, json);
        LOG_INFO("ec2 action=%s code=%s", action, e.code);
    }
    cJSON_Delete(result);
}

