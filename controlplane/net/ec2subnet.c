/* ec2subnet: EC2 subnets (ec2svc.h). A stored subnet (netstore kind
 * "subnet") is {SubnetId, AvailabilityZone, CidrBlock}; the default
 * subnets are derived from the registered agents and never stored. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/agents.h"
#include "controlplane/net/ec2svc.h"
#include "controlplane/core/netstore.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/net/subnetgroup.h"
#include "lib/cidr.h"
#include "lib/log.h"
#include "lib/util.h"

/* ---- subnets ------------------------------------------------------------ */

/* The default subnet id of an AZ: subnet-<17 hex of FNV-1a(az)>. */
static void default_subnet_id(const char *az, char *buf, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)az; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    snprintf(buf, len, "subnet-0%016llx", (unsigned long long)h);
}

static void subnet_from_doc(const cJSON *doc, ec2_subnet *out)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "SubnetId");
    const cJSON *az = cJSON_GetObjectItemCaseSensitive(doc, "AvailabilityZone");
    const cJSON *block = cJSON_GetObjectItemCaseSensitive(doc, "CidrBlock");
    snprintf(out->id, sizeof out->id, "%s", cJSON_IsString(id) ? id->valuestring : "");
    snprintf(out->az, sizeof out->az, "%s", cJSON_IsString(az) ? az->valuestring : "");
    snprintf(out->cidr, sizeof out->cidr, "%s", cJSON_IsString(block) ? block->valuestring : "");
    out->is_default = false;
}

int ec2_subnet_list(region *r, ec2_subnet **out)
{
    cJSON *stored = netstore_list(r->st, NETSTORE_SUBNET);
    if (!stored)
        return -1;
    int n = 0;
    ec2_subnet *list = xcalloc((size_t)r->cfg.naz + (size_t)cJSON_GetArraySize(stored) + 1,
                               sizeof *list);
    for (int i = 0; i < r->cfg.naz; i++) {
        const char *base = agents_addr_base(r->agents, r->cfg.azs[i]);
        if (!base)
            continue;
        ec2_subnet *s = &list[n++];
        default_subnet_id(r->cfg.azs[i], s->id, sizeof s->id);
        snprintf(s->az, sizeof s->az, "%s", r->cfg.azs[i]);
        snprintf(s->cidr, sizeof s->cidr, "%s.0/24", base);
        s->is_default = true;
    }
    const cJSON *doc;
    cJSON_ArrayForEach(doc, stored)
        subnet_from_doc(doc, &list[n++]);
    cJSON_Delete(stored);
    *out = list;
    return n;
}

bool ec2_subnet_find(region *r, const char *id, ec2_subnet *out)
{
    ec2_subnet *list = NULL;
    int n = ec2_subnet_list(r, &list);
    bool found = false;
    for (int i = 0; i < n && !found; i++)
        if (strcmp(list[i].id, id) == 0) {
            *out = list[i];
            found = true;
        }
    free(list);
    return found;
}

/* Addresses in use in a block, for AvailableIpAddressCount: nodes. */
static int subnet_used(region *r, const cidr *c)
{
    store_node *nodes = NULL;
    int n = store_node_list(r->st, NULL, NULL, &nodes);
    int used = 0;
    for (int i = 0; i < n; i++) {
        uint32_t a;
        if (cidr_parse_addr(nodes[i].addr, &a) && cidr_contains(c, a))
            used++;
    }
    store_node_list_free(nodes, n < 0 ? 0 : n);
    return used;
}

static cJSON *subnet_render(region *r, const ec2_subnet *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "AvailabilityZone", s->az);
    cidr c = {0};
    cidr_parse(s->cidr, &c);
    /* Like EC2: the network address, the next two and the broadcast
     * address are not handed out (nodes get network+2 .. broadcast-1,
     * as the agents' ranges always did). */
    int64_t avail = (int64_t)cidr_size(&c) - 3 - subnet_used(r, &c);
    cJSON_AddNumberToObject(o, "AvailableIpAddressCount", (double)(avail < 0 ? 0 : avail));
    cJSON_AddStringToObject(o, "CidrBlock", s->cidr);
    cJSON_AddBoolToObject(o, "DefaultForAz", s->is_default);
    cJSON_AddBoolToObject(o, "MapPublicIpOnLaunch", false);
    cJSON_AddStringToObject(o, "State", "available");
    cJSON_AddStringToObject(o, "SubnetId", s->id);
    cJSON_AddStringToObject(o, "VpcId", EC2_VPC_ID);
    cJSON_AddStringToObject(o, "OwnerId", r->cfg.account);
    char *arn = xasprintf("arn:aws:ec2:%s:%s:subnet/%s", r->cfg.name, r->cfg.account, s->id);
    cJSON_AddStringToObject(o, "SubnetArn", arn);
    free(arn);
    return o;
}


bool ec2_create_subnet(region *r, const params *p, cJSON *result, ec2_err *e)
{
    const char *az = params_get(p, "AvailabilityZone");
    const char *block = params_get(p, "CidrBlock");
    const char *vpc = params_get(p, "VpcId");
    if (!block || !*block)
        return ec2_fail(e, "MissingParameter", "The request must contain the parameter "
                                               "cidrBlock");
    if (!az || !*az)
        return ec2_fail(e, "MissingParameter", "The request must contain the parameter "
                                               "availabilityZone (rdsim picks no AZ for you)");
    if (vpc && strcmp(vpc, EC2_VPC_ID) != 0)
        return ec2_fail(e, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpc);
    if (!region_has_az(r, az))
        return ec2_fail(e, "InvalidParameterValue",
                        "Value (%s) for parameter availabilityZone is invalid. Subnets can "
                        "currently only be created in the region's availability zones.", az);
    cidr c, vpc_block, mgmt;
    cidr_parse(region_vpc_cidr(r), &vpc_block);
    cidr_parse(region_own_cidr(r), &mgmt);
    if (!cidr_parse(block, &c))
        return ec2_fail(e, "InvalidParameterValue",
                        "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR "
                        "block.", block);
    if (c.prefix < 16 || c.prefix > 28 || !cidr_covers(&vpc_block, &c) || cidr_overlaps(&c, &mgmt))
        return ec2_fail(e, "InvalidSubnet.Range",
                        "The CIDR '%s' is invalid: a subnet is a /16 to /28 inside the VPC's "
                        "%s, outside %s (the region's own addresses).", block,
                        region_vpc_cidr(r), region_own_cidr(r));
    if (!ec2_begin(r, e))
        return false;
    ec2_subnet *list = NULL;
    int n = ec2_subnet_list(r, &list);
    bool ok = n >= 0;
    if (!ok)
        ec2_store_failed(e);
    for (int i = 0; ok && i < n; i++) {
        cidr other;
        if (cidr_parse(list[i].cidr, &other) && cidr_overlaps(&c, &other))
            ok = ec2_fail(e, "InvalidSubnet.Conflict",
                          "The CIDR '%s' conflicts with another subnet (%s, %s)", block,
                          list[i].id, list[i].cidr);
    }
    if (ok && n >= EC2_MAX_SUBNETS)
        ok = ec2_fail(e, "SubnetLimitExceeded", "The maximum number of subnets has been reached.");
    free(list);
    char *id = ok ? ec2_new_id("subnet") : NULL;
    ec2_subnet s = {0};
    if (ok) {
        snprintf(s.id, sizeof s.id, "%s", id);
        snprintf(s.az, sizeof s.az, "%s", az);
        cidr_format(&c, s.cidr, sizeof s.cidr);
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "SubnetId", s.id);
        cJSON_AddStringToObject(doc, "AvailabilityZone", s.az);
        cJSON_AddStringToObject(doc, "CidrBlock", s.cidr);
        ok = netstore_put(r->st, NETSTORE_SUBNET, s.id, doc) || ec2_store_failed(e);
        cJSON_Delete(doc);
    }
    if (ok)
        ok = ec2_commit(r, e);
    else
        store_rollback(r->st);
    if (ok) {
        LOG_INFO("ec2 subnet created id=%s az=%s cidr=%s", s.id, s.az, s.cidr);
        cJSON_AddItemToObject(result, "Subnet", subnet_render(r, &s));
    }
    free(id);
    return ok;
}

bool ec2_describe_subnets(region *r, const params *p, cJSON *result, ec2_err *e)
{
    static const ec2_filter_map filters[] = {
        {"availability-zone", "AvailabilityZone"}, {"cidr-block", "CidrBlock"},
        {"subnet-id", "SubnetId"}, {"vpc-id", "VpcId"}, {"default-for-az", "DefaultForAz"},
        {"state", "State"}, {NULL, NULL}};
    const char **ids = NULL;
    int nids = ec2_list(p, "SubnetId", &ids, e);
    if (nids < 0)
        return false;
    ec2_subnet *list = NULL;
    int n = ec2_subnet_list(r, &list);
    bool ok = n >= 0 || ec2_store_failed(e);
    for (int i = 0; ok && i < nids; i++) {
        bool found = false;
        for (int k = 0; k < n; k++)
            found |= strcmp(list[k].id, ids[i]) == 0;
        if (!found)
            ok = ec2_fail(e, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist",
                          ids[i]);
    }
    cJSON *out = cJSON_AddArrayToObject(result, "Subnets");
    for (int k = 0; ok && k < n; k++) {
        bool want = nids == 0;
        for (int i = 0; i < nids; i++)
            want |= strcmp(list[k].id, ids[i]) == 0;
        cJSON *s = subnet_render(r, &list[k]);
        bool pass = true;
        ok = ec2_filters_pass(p, filters, s, &pass, e);
        if (ok && want && pass)
            cJSON_AddItemToArray(out, s);
        else
            cJSON_Delete(s);
    }
    free(list);
    free(ids);
    return ok;
}

bool ec2_delete_subnet(region *r, const params *p, cJSON *result, ec2_err *e)
{
    const char *id = params_get(p, "SubnetId");
    if (!id || !*id)
        return ec2_fail(e, "MissingParameter", "The request must contain the parameter subnetId");
    ec2_subnet s;
    if (!ec2_subnet_find(r, id, &s))
        return ec2_fail(e, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id);
    if (s.is_default)
        return ec2_fail(e, "DependencyViolation",
                        "The subnet '%s' is its AZ's host range (the agent's --addr-base) and "
                        "cannot be deleted.", id);
    if (!ec2_begin(r, e))
        return false;
    char group[256] = "";
    bool ok = true;
    if (subnetgroup_uses_subnet(r, id, group, sizeof group))
        ok = ec2_fail(e, "DependencyViolation",
                      "The subnet '%s' has dependencies and cannot be deleted (DB subnet group "
                      "%s).", id, group);
    else if (!netstore_delete(r->st, NETSTORE_SUBNET, id))
        ok = ec2_store_failed(e);
    if (!ok) {
        store_rollback(r->st);
        return false;
    }
    if (!ec2_commit(r, e))
        return false;
    LOG_INFO("ec2 subnet deleted id=%s", id);
    cJSON_AddBoolToObject(result, "Return", true);
    return true;
}

