/* ec2: see ec2.h.
 *
 * A security group document (netstore kind "sg") is the DescribeSecurityGroups
 * item without its IpPermissions, plus "Rules": a flat array of
 * {IpProtocol, FromPort, ToPort, CidrIp, Description?} in the order they
 * were authorized; IpPermissions are grouped from it when shown. A subnet
 * document (kind "subnet") is the DescribeSubnets item.
 *
 * Results are built as cJSON with the JSON (botocore output shape) member
 * names and rendered as EC2's XML by renaming members to their
 * locationName: lowerCamel, lists of <item>, and the few names that
 * differ (SecurityGroups → securityGroupInfo, Subnets → subnetSet, a
 * group's Description → groupDescription). */
#include "controlplane/ec2.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controlplane/agents.h"
#include "controlplane/netstore.h"
#include "controlplane/region.h"
#include "controlplane/render.h"
#include "controlplane/store.h"
#include "controlplane/subnetgroup.h"
#include "lib/cidr.h"
#include "lib/log.h"
#include "lib/util.h"

#define EC2_XMLNS "http://ec2.amazonaws.com/doc/2016-11-15/"
#define EC2_MAX_RULES 60   /* EC2's default inbound rules per group */
#define EC2_MAX_GROUPS 100
#define EC2_MAX_SUBNETS 200

typedef struct {
    const char *code; /* NULL: no error */
    char message[512];
} ec2_err;

static bool ec2_fail(ec2_err *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool ec2_fail(ec2_err *e, const char *code, const char *fmt, ...)
{
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return false;
}

static bool store_failed(ec2_err *e)
{
    return ec2_fail(e, "InternalError", "An internal error has occurred.");
}

/* A fresh EC2-style id: prefix-<17 hex digits>. */
static char *ec2_new_id(const char *prefix)
{
    static const char hex[] = "0123456789abcdef";
    char *rnd = region_random_label(17);
    for (char *c = rnd; *c; c++)
        *c = hex[(unsigned char)*c % 16];
    char *id = xasprintf("%s-%s", prefix, rnd);
    free(rnd);
    return id;
}

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

/* ---- parameters --------------------------------------------------------- */

/* NAME.1, NAME.2, ... (EC2's flattened lists) as a NULL-terminated array
 * of borrowed strings; the count, or -1 with InvalidParameterValue when
 * there are too many. */
static int ec2_list(const params *p, const char *name, const char ***out, ec2_err *e)
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
typedef struct {
    const char *filter;
    const char *member;
} ec2_filter_map;

static bool ec2_filters_pass(const params *p, const ec2_filter_map *map, const cJSON *obj,
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

/* ---- security groups ---------------------------------------------------- */

static cJSON *sg_load(region *r, const char *id, bool *found)
{
    return netstore_get(r->st, NETSTORE_SG, id, found);
}

/* Finds a group by GroupId or GroupName (one of the two must be given). */
static cJSON *sg_from_params(region *r, const params *p, ec2_err *e)
{
    const char *id = params_get(p, "GroupId");
    const char *name = params_get(p, "GroupName");
    if ((!id || !*id) && (!name || !*name)) {
        ec2_fail(e, "MissingParameter", "The request must contain the parameter groupId or "
                                        "groupName");
        return NULL;
    }
    bool found = false;
    if (id && *id) {
        cJSON *doc = sg_load(r, id, &found);
        if (!found)
            ec2_fail(e, "InvalidGroup.NotFound", "The security group '%s' does not exist", id);
        return doc;
    }
    cJSON *all = netstore_list(r->st, NETSTORE_SG);
    if (!all) {
        store_failed(e);
        return NULL;
    }
    cJSON *doc = NULL, *it;
    cJSON_ArrayForEach(it, all) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "GroupName");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) {
            doc = cJSON_Duplicate(it, true);
            break;
        }
    }
    cJSON_Delete(all);
    if (!doc)
        ec2_fail(e, "InvalidGroup.NotFound",
                 "The security group '%s' does not exist in default VPC '%s'", name, EC2_VPC_ID);
    return doc;
}

static bool rule_covers_port(const cJSON *rule, int64_t port)
{
    const cJSON *proto = cJSON_GetObjectItemCaseSensitive(rule, "IpProtocol");
    if (!cJSON_IsString(proto))
        return false;
    if (strcmp(proto->valuestring, "-1") == 0)
        return true;
    if (strcmp(proto->valuestring, "tcp") != 0)
        return false;
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(rule, "FromPort");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(rule, "ToPort");
    return cJSON_IsNumber(from) && cJSON_IsNumber(to) && from->valuedouble <= (double)port &&
           (double)port <= to->valuedouble;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

cJSON *ec2_allowed_cidrs(region *r, const cJSON *sg_ids, int64_t port)
{
    const char **blocks = NULL;
    int n = 0;
    cJSON *docs = cJSON_CreateArray();
    const cJSON *id;
    cJSON_ArrayForEach(id, sg_ids) {
        bool found = false;
        cJSON *doc = cJSON_IsString(id) ? sg_load(r, id->valuestring, &found) : NULL;
        if (!doc)
            continue;
        cJSON_AddItemToArray(docs, doc);
        const cJSON *rule;
        cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(doc, "Rules")) {
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(rule, "CidrIp");
            if (!cJSON_IsString(c) || !rule_covers_port(rule, port))
                continue;
            blocks = xrealloc(blocks, sizeof *blocks * (size_t)(n + 1));
            blocks[n++] = c->valuestring;
        }
    }
    if (n > 0)
        qsort(blocks, (size_t)n, sizeof *blocks, cmp_str);
    cJSON *out = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        if (i == 0 || strcmp(blocks[i], blocks[i - 1]) != 0)
            cJSON_AddItemToArray(out, cJSON_CreateString(blocks[i]));
    free(blocks);
    cJSON_Delete(docs);
    return out;
}

bool ec2_sg_exists(region *r, const char *id, bool *found)
{
    cJSON *doc = sg_load(r, id, found);
    cJSON_Delete(doc);
    return true;
}

/* The rules grouped as EC2 shows them: one IpPermission per (protocol,
 * from, to), with its IpRanges. */
static cJSON *sg_permissions(const cJSON *rules)
{
    cJSON *perms = cJSON_CreateArray();
    const cJSON *rule;
    cJSON_ArrayForEach(rule, rules) {
        const cJSON *proto = cJSON_GetObjectItemCaseSensitive(rule, "IpProtocol");
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(rule, "FromPort");
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(rule, "ToPort");
        cJSON *perm = NULL, *it;
        cJSON_ArrayForEach(it, perms) {
            if (cJSON_Compare(cJSON_GetObjectItemCaseSensitive(it, "IpProtocol"), proto, true) &&
                cJSON_Compare(cJSON_GetObjectItemCaseSensitive(it, "FromPort"), from, true) &&
                cJSON_Compare(cJSON_GetObjectItemCaseSensitive(it, "ToPort"), to, true)) {
                perm = it;
                break;
            }
        }
        if (!perm) {
            perm = cJSON_CreateObject();
            if (cJSON_IsNumber(from))
                cJSON_AddNumberToObject(perm, "FromPort", from->valuedouble);
            cJSON_AddItemToObject(perm, "IpProtocol", cJSON_Duplicate(proto, true));
            cJSON_AddArrayToObject(perm, "IpRanges");
            cJSON_AddArrayToObject(perm, "Ipv6Ranges");
            cJSON_AddArrayToObject(perm, "PrefixListIds");
            if (cJSON_IsNumber(to))
                cJSON_AddNumberToObject(perm, "ToPort", to->valuedouble);
            cJSON_AddArrayToObject(perm, "UserIdGroupPairs");
            cJSON_AddItemToArray(perms, perm);
        }
        cJSON *range = cJSON_CreateObject();
        cJSON_AddItemToObject(range, "CidrIp",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rule, "CidrIp"), 1));
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(rule, "Description");
        if (cJSON_IsString(d))
            cJSON_AddStringToObject(range, "Description", d->valuestring);
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(perm, "IpRanges"), range);
    }
    return perms;
}

static cJSON *sg_render(const cJSON *doc)
{
    cJSON *o = cJSON_Duplicate(doc, true);
    cJSON *rules = cJSON_DetachItemFromObjectCaseSensitive(o, "Rules");
    cJSON_AddItemToObject(o, "IpPermissions", sg_permissions(rules));
    cJSON *egress = cJSON_AddArrayToObject(o, "IpPermissionsEgress");
    cJSON *all = cJSON_CreateObject();
    cJSON_AddStringToObject(all, "IpProtocol", "-1");
    cJSON *ranges = cJSON_AddArrayToObject(all, "IpRanges");
    cJSON *any = cJSON_CreateObject();
    cJSON_AddStringToObject(any, "CidrIp", "0.0.0.0/0");
    cJSON_AddItemToArray(ranges, any);
    cJSON_AddArrayToObject(all, "Ipv6Ranges");
    cJSON_AddArrayToObject(all, "PrefixListIds");
    cJSON_AddArrayToObject(all, "UserIdGroupPairs");
    cJSON_AddItemToArray(egress, all);
    cJSON_Delete(rules);
    return o;
}

static cJSON *sg_new_doc(region *r, const char *id, const char *name, const char *desc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Description", desc);
    cJSON_AddStringToObject(o, "GroupName", name);
    cJSON_AddStringToObject(o, "OwnerId", r->cfg.account);
    cJSON_AddStringToObject(o, "GroupId", id);
    cJSON_AddStringToObject(o, "VpcId", EC2_VPC_ID);
    char *arn = xasprintf("arn:aws:ec2:%s:%s:security-group/%s", r->cfg.name, r->cfg.account, id);
    cJSON_AddStringToObject(o, "SecurityGroupArn", arn);
    free(arn);
    cJSON_AddArrayToObject(o, "Rules");
    return o;
}

bool ec2_open(region *r)
{
    if (!netstore_open(r->st))
        return false;
    bool found = false;
    cJSON *doc = sg_load(r, EC2_DEFAULT_SG_ID, &found);
    if (found) {
        cJSON_Delete(doc);
        return true;
    }
    doc = sg_new_doc(r, EC2_DEFAULT_SG_ID, "default", "default VPC security group");
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "IpProtocol", "-1");
    cJSON_AddStringToObject(rule, "CidrIp", EC2_VPC_CIDR);
    cJSON_AddStringToObject(rule, "Description", "rdsim: the machine is inside the VPC");
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "Rules"), rule);
    bool ok = netstore_put(r->st, NETSTORE_SG, EC2_DEFAULT_SG_ID, doc);
    cJSON_Delete(doc);
    return ok;
}

/* ---- actions ------------------------------------------------------------ */

typedef bool (*ec2_fn)(region *r, const params *p, cJSON *result, ec2_err *e);

static bool commit(region *r, ec2_err *e)
{
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return store_failed(e);
}

static bool begin(region *r, ec2_err *e)
{
    return store_begin(r->st) || store_failed(e);
}

static bool valid_group_text(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255)
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return false;
    return true;
}

static bool ec2_create_security_group(region *r, const params *p, cJSON *result, ec2_err *e)
{
    const char *name = params_get(p, "GroupName");
    const char *desc = params_get(p, "GroupDescription");
    const char *vpc = params_get(p, "VpcId");
    if (!name || !*name)
        return ec2_fail(e, "MissingParameter", "The request must contain the parameter groupName");
    if (!desc || !*desc)
        return ec2_fail(e, "MissingParameter",
                        "The request must contain the parameter groupDescription");
    if (!valid_group_text(name) || !valid_group_text(desc))
        return ec2_fail(e, "InvalidParameterValue",
                        "Value for parameter groupName or groupDescription is invalid: 1 to 255 "
                        "printable ASCII characters.");
    if (strncasecmp(name, "sg-", 3) == 0)
        return ec2_fail(e, "InvalidParameterValue", "Group names may not be in the format sg-*");
    if (vpc && strcmp(vpc, EC2_VPC_ID) != 0)
        return ec2_fail(e, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpc);
    if (!begin(r, e))
        return false;
    cJSON *all = netstore_list(r->st, NETSTORE_SG);
    bool dup = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, all) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "GroupName");
        dup |= cJSON_IsString(n) && strcmp(n->valuestring, name) == 0;
    }
    int count = cJSON_GetArraySize(all);
    cJSON_Delete(all);
    if (!all || dup || count >= EC2_MAX_GROUPS) {
        store_rollback(r->st);
        if (!all)
            return store_failed(e);
        if (dup)
            return ec2_fail(e, "InvalidGroup.Duplicate",
                            "The security group '%s' already exists for VPC '%s'", name,
                            EC2_VPC_ID);
        return ec2_fail(e, "SecurityGroupLimitExceeded",
                        "The maximum number of security groups has been reached.");
    }
    char *id = ec2_new_id("sg");
    cJSON *doc = sg_new_doc(r, id, name, desc);
    bool ok = netstore_put(r->st, NETSTORE_SG, id, doc);
    cJSON_Delete(doc);
    if (!ok) {
        store_rollback(r->st);
        free(id);
        return store_failed(e);
    }
    ok = commit(r, e);
    if (ok) {
        LOG_INFO("ec2 security group created id=%s name=%s", id, name);
        cJSON_AddStringToObject(result, "GroupId", id);
    }
    free(id);
    return ok;
}

/* One rule to add or remove: protocol normalised to EC2's names
 * ("tcp", "udp", "icmp", "-1"), ports (absent for -1), a CIDR. */
typedef struct {
    char proto[8];
    bool has_ports;
    int64_t from, to;
    char cidr[24];
    const char *description;
} ec2_rule;

static bool parse_proto(const char *s, char *out, size_t len)
{
    static const char *const names[][2] = {
        {"tcp", "tcp"}, {"6", "tcp"}, {"udp", "udp"}, {"17", "udp"},
        {"icmp", "icmp"}, {"1", "icmp"}, {"-1", "-1"}, {"all", "-1"},
    };
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(s, names[i][0]) == 0) {
            snprintf(out, len, "%s", names[i][1]);
            return true;
        }
    return false;
}

/* Reads one rule from PREFIX{IpProtocol,FromPort,ToPort} and a CIDR. */
static bool parse_rule(const params *p, const char *prefix, const char *cidr_text,
                       const char *description, ec2_rule *out, ec2_err *e)
{
    char key[96];
    memset(out, 0, sizeof *out);
    snprintf(key, sizeof key, "%sIpProtocol", prefix);
    const char *proto = params_get(p, key);
    if (!proto)
        return ec2_fail(e, "MissingParameter", "The request must contain the parameter "
                                               "ipProtocol");
    if (!parse_proto(proto, out->proto, sizeof out->proto))
        return ec2_fail(e, "InvalidParameterValue",
                        "Invalid value '%s' for IP protocol. Unknown protocol.", proto);
    if (strcmp(out->proto, "-1") != 0) {
        int64_t lo = strcmp(out->proto, "icmp") == 0 ? -1 : 0;
        int64_t hi = strcmp(out->proto, "icmp") == 0 ? 255 : 65535;
        snprintf(key, sizeof key, "%sFromPort", prefix);
        const char *from = params_get(p, key);
        snprintf(key, sizeof key, "%sToPort", prefix);
        const char *to = params_get(p, key);
        if (!from || !to || !str_to_int64(from, lo, hi, &out->from) ||
            !str_to_int64(to, lo, hi, &out->to))
            return ec2_fail(e, "InvalidParameterValue",
                            "Invalid value for portRange. Must specify both from and to ports "
                            "with %s (%lld to %lld).", out->proto, (long long)lo, (long long)hi);
        if (out->from > out->to && strcmp(out->proto, "icmp") != 0)
            return ec2_fail(e, "InvalidParameterValue",
                            "Invalid value for portRange. Must specify both from and to ports "
                            "with TCP/UDP.");
        out->has_ports = true;
    }
    cidr c;
    if (!cidr_text || !cidr_parse_loose(cidr_text, &c))
        return ec2_fail(e, "InvalidParameterValue", "CIDR block %s is malformed",
                        cidr_text ? cidr_text : "(none)");
    cidr_format(&c, out->cidr, sizeof out->cidr);
    if (description && (strlen(description) > 255 || !valid_group_text(description)))
        return ec2_fail(e, "InvalidParameterValue",
                        "Invalid rule description: at most 255 printable ASCII characters.");
    out->description = description;
    return true;
}

/* Every rule of the request: IpPermissions.N.* (what the CLI sends), or
 * the flat IpProtocol/FromPort/ToPort/CidrIp of the old API. */
static int parse_rules(const params *p, ec2_rule **out, ec2_err *e)
{
    ec2_rule *rules = NULL;
    int n = 0;
    if (params_get(p, "CidrIp")) {
        rules = xcalloc(1, sizeof *rules);
        if (!parse_rule(p, "", params_get(p, "CidrIp"), NULL, &rules[0], e)) {
            free(rules);
            return -1;
        }
        *out = rules;
        return 1;
    }
    for (int i = 1; i <= EC2_MAX_RULES + 1; i++) {
        char prefix[48], key[96];
        snprintf(prefix, sizeof prefix, "IpPermissions.%d.", i);
        snprintf(key, sizeof key, "%sIpProtocol", prefix);
        if (!params_get(p, key))
            break;
        for (int k = 1;; k++) {
            snprintf(key, sizeof key, "%sIpRanges.%d.CidrIp", prefix, k);
            const char *c = params_get(p, key);
            if (!c)
                break;
            snprintf(key, sizeof key, "%sIpRanges.%d.Description", prefix, k);
            rules = xrealloc(rules, sizeof *rules * (size_t)(n + 1));
            if (n >= EC2_MAX_RULES || !parse_rule(p, prefix, c, params_get(p, key), &rules[n], e)) {
                if (n >= EC2_MAX_RULES)
                    ec2_fail(e, "RulesPerSecurityGroupLimitExceeded",
                             "The maximum number of rules per security group has been reached.");
                free(rules);
                return -1;
            }
            n++;
        }
    }
    if (n == 0) {
        free(rules);
        ec2_fail(e, "MissingParameter", "The request must contain the parameter ipPermissions "
                                        "(with IpRanges: rdsim's groups hold CIDR rules only)");
        return -1;
    }
    *out = rules;
    return n;
}

static bool rule_matches(const cJSON *stored, const ec2_rule *r)
{
    const cJSON *proto = cJSON_GetObjectItemCaseSensitive(stored, "IpProtocol");
    const cJSON *block = cJSON_GetObjectItemCaseSensitive(stored, "CidrIp");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(stored, "FromPort");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(stored, "ToPort");
    if (!cJSON_IsString(proto) || strcmp(proto->valuestring, r->proto) != 0 ||
        !cJSON_IsString(block) || strcmp(block->valuestring, r->cidr) != 0)
        return false;
    if (!r->has_ports)
        return true;
    return cJSON_IsNumber(from) && cJSON_IsNumber(to) && from->valuedouble == (double)r->from &&
           to->valuedouble == (double)r->to;
}

static void rule_describe(const ec2_rule *r, char *buf, size_t len)
{
    if (r->has_ports)
        snprintf(buf, len, "peer: %s, %s, from port: %lld, to port: %lld, ALLOW", r->cidr,
                 r->proto, (long long)r->from, (long long)r->to);
    else
        snprintf(buf, len, "peer: %s, ALL, ALLOW", r->cidr);
}

/* Authorize (add) or revoke (remove) the request's rules, all or none. */
static bool sg_change_rules(region *r, const params *p, cJSON *result, ec2_err *e, bool add)
{
    ec2_rule *rules = NULL;
    int n = parse_rules(p, &rules, e);
    if (n < 0)
        return false;
    bool ok = false;
    cJSON *doc = NULL;
    if (!begin(r, e))
        goto done;
    doc = sg_from_params(r, p, e);
    if (!doc) {
        store_rollback(r->st);
        goto done;
    }
    cJSON *stored = cJSON_GetObjectItemCaseSensitive(doc, "Rules");
    for (int i = 0; i < n; i++) {
        int idx = 0, at = -1;
        const cJSON *it;
        cJSON_ArrayForEach(it, stored) {
            if (rule_matches(it, &rules[i]))
                at = idx;
            idx++;
        }
        char what[160];
        rule_describe(&rules[i], what, sizeof what);
        if (add && at >= 0) {
            ec2_fail(e, "InvalidPermission.Duplicate", "the specified rule \"%s\" already exists",
                     what);
            break;
        }
        if (!add && at < 0) {
            ec2_fail(e, "InvalidPermission.NotFound",
                     "The specified rule does not exist in this security group.");
            break;
        }
        if (!add) {
            cJSON_DeleteItemFromArray(stored, at);
            continue;
        }
        if (cJSON_GetArraySize(stored) >= EC2_MAX_RULES) {
            ec2_fail(e, "RulesPerSecurityGroupLimitExceeded",
                     "The maximum number of rules per security group has been reached.");
            break;
        }
        cJSON *rule = cJSON_CreateObject();
        cJSON_AddStringToObject(rule, "IpProtocol", rules[i].proto);
        if (rules[i].has_ports) {
            cJSON_AddNumberToObject(rule, "FromPort", (double)rules[i].from);
            cJSON_AddNumberToObject(rule, "ToPort", (double)rules[i].to);
        }
        cJSON_AddStringToObject(rule, "CidrIp", rules[i].cidr);
        if (rules[i].description)
            cJSON_AddStringToObject(rule, "Description", rules[i].description);
        cJSON_AddItemToArray(stored, rule);
    }
    const cJSON *gid = cJSON_GetObjectItemCaseSensitive(doc, "GroupId");
    if (e->code || !netstore_put(r->st, NETSTORE_SG, gid->valuestring, doc)) {
        store_rollback(r->st);
        if (!e->code)
            store_failed(e);
        goto done;
    }
    ok = commit(r, e);
    if (ok) {
        LOG_INFO("ec2 security group %s id=%s rules=%d", add ? "authorized" : "revoked",
                 gid->valuestring, n);
        cJSON_AddBoolToObject(result, "Return", true);
    }
done:
    cJSON_Delete(doc);
    free(rules);
    return ok;
}

static bool ec2_authorize_ingress(region *r, const params *p, cJSON *result, ec2_err *e)
{
    return sg_change_rules(r, p, result, e, true);
}

static bool ec2_revoke_ingress(region *r, const params *p, cJSON *result, ec2_err *e)
{
    return sg_change_rules(r, p, result, e, false);
}

static bool ec2_describe_security_groups(region *r, const params *p, cJSON *result, ec2_err *e)
{
    static const ec2_filter_map filters[] = {
        {"group-id", "GroupId"}, {"group-name", "GroupName"}, {"vpc-id", "VpcId"},
        {"description", "Description"}, {"owner-id", "OwnerId"}, {NULL, NULL}};
    const char **ids = NULL, **names = NULL;
    int nids = ec2_list(p, "GroupId", &ids, e);
    int nnames = nids < 0 ? -1 : ec2_list(p, "GroupName", &names, e);
    cJSON *all = nnames < 0 ? NULL : netstore_list(r->st, NETSTORE_SG);
    bool ok = all != NULL;
    if (!all && !e->code)
        store_failed(e);
    cJSON *out = cJSON_AddArrayToObject(result, "SecurityGroups");
    for (int i = 0; ok && i < nids; i++) {
        bool found = false;
        cJSON_Delete(sg_load(r, ids[i], &found));
        if (!found)
            ok = ec2_fail(e, "InvalidGroup.NotFound", "The security group '%s' does not exist",
                          ids[i]);
    }
    const cJSON *doc;
    const cJSON *groups = ok ? all : NULL;
    cJSON_ArrayForEach(doc, groups) {
        const char *gid = cJSON_GetObjectItemCaseSensitive(doc, "GroupId")->valuestring;
        const char *gname = cJSON_GetObjectItemCaseSensitive(doc, "GroupName")->valuestring;
        bool want = nids == 0 && nnames == 0;
        for (int i = 0; i < nids; i++)
            want |= strcmp(ids[i], gid) == 0;
        for (int i = 0; i < nnames; i++)
            want |= strcmp(names[i], gname) == 0;
        bool pass = true;
        if (!ec2_filters_pass(p, filters, doc, &pass, e)) {
            ok = false;
            break;
        }
        if (want && pass)
            cJSON_AddItemToArray(out, sg_render(doc));
    }
    cJSON_Delete(all);
    free(ids);
    free(names);
    return ok;
}

/* True when an instance names the group (VpcSecurityGroupIds in extra). */
static bool sg_in_use(region *r, const char *id, char *user, size_t len)
{
    char **ids = NULL;
    int n = store_instance_list(r->st, NULL, 100000, &ids);
    bool used = false;
    for (int i = 0; i < n; i++) {
        store_instance in = {0};
        bool found = false;
        if (!used && store_instance_get(r->st, ids[i], &in, &found)) {
            cJSON *extra = cJSON_Parse(in.extra ? in.extra : "{}");
            const cJSON *g;
            cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(extra, "VpcSecurityGroupIds"))
                if (cJSON_IsString(g) && strcmp(g->valuestring, id) == 0 && !used) {
                    used = true;
                    snprintf(user, len, "%s", in.id);
                }
            cJSON_Delete(extra);
        }
        store_instance_clear(&in);
        free(ids[i]);
    }
    free(ids);
    return used;
}

static bool ec2_delete_security_group(region *r, const params *p, cJSON *result, ec2_err *e)
{
    if (!begin(r, e))
        return false;
    cJSON *doc = sg_from_params(r, p, e);
    bool ok = false;
    char user[80] = "";
    if (!doc) {
        store_rollback(r->st);
        return false;
    }
    const char *gid = cJSON_GetObjectItemCaseSensitive(doc, "GroupId")->valuestring;
    if (strcmp(gid, EC2_DEFAULT_SG_ID) == 0) {
        ec2_fail(e, "CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be "
                                    "deleted by a user", gid);
    } else if (sg_in_use(r, gid, user, sizeof user)) {
        ec2_fail(e, "DependencyViolation", "resource %s has a dependent object (DB instance %s)",
                 gid, user);
    } else if (!netstore_delete(r->st, NETSTORE_SG, gid)) {
        store_failed(e);
    } else {
        ok = commit(r, e);
        if (ok) {
            LOG_INFO("ec2 security group deleted id=%s", gid);
            cJSON_AddBoolToObject(result, "Return", true);
            cJSON_AddStringToObject(result, "GroupId", gid);
        }
        cJSON_Delete(doc);
        return ok;
    }
    store_rollback(r->st);
    cJSON_Delete(doc);
    return false;
}

static bool ec2_create_subnet(region *r, const params *p, cJSON *result, ec2_err *e)
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
    cidr_parse(EC2_VPC_CIDR, &vpc_block);
    cidr_parse("127.0.0.0/24", &mgmt);
    if (!cidr_parse(block, &c))
        return ec2_fail(e, "InvalidParameterValue",
                        "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR "
                        "block.", block);
    if (c.prefix < 16 || c.prefix > 28 || !cidr_covers(&vpc_block, &c) || cidr_overlaps(&c, &mgmt))
        return ec2_fail(e, "InvalidSubnet.Range",
                        "The CIDR '%s' is invalid: a subnet is a /16 to /28 inside the VPC's "
                        "%s, outside 127.0.0.0/24 (the region's own addresses).", block,
                        EC2_VPC_CIDR);
    if (!begin(r, e))
        return false;
    ec2_subnet *list = NULL;
    int n = ec2_subnet_list(r, &list);
    bool ok = n >= 0;
    if (!ok)
        store_failed(e);
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
        ok = netstore_put(r->st, NETSTORE_SUBNET, s.id, doc) || store_failed(e);
        cJSON_Delete(doc);
    }
    if (ok)
        ok = commit(r, e);
    else
        store_rollback(r->st);
    if (ok) {
        LOG_INFO("ec2 subnet created id=%s az=%s cidr=%s", s.id, s.az, s.cidr);
        cJSON_AddItemToObject(result, "Subnet", subnet_render(r, &s));
    }
    free(id);
    return ok;
}

static bool ec2_describe_subnets(region *r, const params *p, cJSON *result, ec2_err *e)
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
    bool ok = n >= 0 || store_failed(e);
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

static bool ec2_delete_subnet(region *r, const params *p, cJSON *result, ec2_err *e)
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
    if (!begin(r, e))
        return false;
    char group[256] = "";
    bool ok = true;
    if (subnetgroup_uses_subnet(r, id, group, sizeof group))
        ok = ec2_fail(e, "DependencyViolation",
                      "The subnet '%s' has dependencies and cannot be deleted (DB subnet group "
                      "%s).", id, group);
    else if (!netstore_delete(r->st, NETSTORE_SUBNET, id))
        ok = store_failed(e);
    if (!ok) {
        store_rollback(r->st);
        return false;
    }
    if (!commit(r, e))
        return false;
    LOG_INFO("ec2 subnet deleted id=%s", id);
    cJSON_AddBoolToObject(result, "Return", true);
    return true;
}

static bool ec2_describe_vpcs(region *r, const params *p, cJSON *result, ec2_err *e)
{
    (void)p;
    (void)e;
    cJSON *vpcs = cJSON_AddArrayToObject(result, "Vpcs");
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "CidrBlock", EC2_VPC_CIDR);
    cJSON_AddStringToObject(v, "State", "available");
    cJSON_AddStringToObject(v, "VpcId", EC2_VPC_ID);
    cJSON_AddStringToObject(v, "OwnerId", r->cfg.account);
    cJSON_AddStringToObject(v, "InstanceTenancy", "default");
    cJSON_AddBoolToObject(v, "IsDefault", true);
    cJSON_AddItemToArray(vpcs, v);
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

static const struct {
    const char *name;
    ec2_fn fn;
    bool mutates;
} ec2_actions[] = {
    {"AuthorizeSecurityGroupIngress", ec2_authorize_ingress, true},
    {"CreateSecurityGroup", ec2_create_security_group, true},
    {"CreateSubnet", ec2_create_subnet, true},
    {"DeleteSecurityGroup", ec2_delete_security_group, true},
    {"DeleteSubnet", ec2_delete_subnet, true},
    {"DescribeAvailabilityZones", ec2_describe_azs, false},
    {"DescribeSecurityGroups", ec2_describe_security_groups, false},
    {"DescribeSubnets", ec2_describe_subnets, false},
    {"DescribeVpcs", ec2_describe_vpcs, false},
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
            store_failed(&e);
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
