/* ec2sg: EC2 security groups (ec2svc.h). A group document (netstore kind
 * "sg") is the DescribeSecurityGroups item without its IpPermissions,
 * plus "Rules" (inbound) and "EgressRules" (outbound): flat arrays of
 * {IpProtocol, FromPort, ToPort, CidrIp, Description?} in the order they
 * were authorized; IpPermissions(Egress) are grouped from them when shown,
 * and DescribeSecurityGroupRules lists them one by one. A document without
 * "EgressRules" (written before egress rules were kept) has EC2's default
 * outbound rule, all traffic to 0.0.0.0/0, as every new group has. "Tags"
 * (ec2tags.c) is an array of {Key, Value}.
 *
 * A rule's SecurityGroupRuleId is derived from the group, its direction and
 * its content (FNV-1a): stable across restarts without being stored, and
 * unique in its group because a duplicate rule is refused. Only inbound
 * rules reach PostgreSQL (ec2_allowed_cidrs); outbound ones are kept and
 * shown, as nothing leaves the loopback VPC. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controlplane/net/ec2svc.h"
#include "controlplane/core/instextra.h"
#include "controlplane/core/netstore.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/cidr.h"
#include "lib/log.h"
#include "lib/util.h"

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
        ec2_store_failed(e);
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

static cJSON *sg_egress_rules(cJSON *doc);

static cJSON *sg_render(const cJSON *doc)
{
    cJSON *o = cJSON_Duplicate(doc, true);
    cJSON *rules = cJSON_DetachItemFromObjectCaseSensitive(o, "Rules");
    sg_egress_rules(o);
    cJSON *egress = cJSON_DetachItemFromObjectCaseSensitive(o, "EgressRules");
    cJSON_AddItemToObject(o, "IpPermissions", sg_permissions(rules));
    cJSON_AddItemToObject(o, "IpPermissionsEgress", sg_permissions(egress));
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "Tags")))
        cJSON_AddArrayToObject(o, "Tags");
    cJSON_Delete(rules);
    cJSON_Delete(egress);
    return o;
}

/* EC2's outbound rule of a new group: all traffic anywhere. */
static cJSON *sg_default_egress(void)
{
    cJSON *rules = cJSON_CreateArray();
    cJSON *all = cJSON_CreateObject();
    cJSON_AddStringToObject(all, "IpProtocol", "-1");
    cJSON_AddStringToObject(all, "CidrIp", "0.0.0.0/0");
    cJSON_AddItemToArray(rules, all);
    return rules;
}

/* The outbound rules of doc, the default when it predates them (borrowed
 * when stored; else added to doc). */
static cJSON *sg_egress_rules(cJSON *doc)
{
    cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "EgressRules");
    if (cJSON_IsArray(e))
        return e;
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "EgressRules");
    e = sg_default_egress();
    cJSON_AddItemToObject(doc, "EgressRules", e);
    return e;
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
    cJSON_AddItemToObject(o, "EgressRules", sg_default_egress());
    cJSON_AddArrayToObject(o, "Tags");
    return o;
}


bool ec2_sg_ensure_default(region *r)
{
    bool found = false;
    cJSON *doc = sg_load(r, EC2_DEFAULT_SG_ID, &found);
    if (found) {
        cJSON_Delete(doc);
        return true;
    }
    doc = sg_new_doc(r, EC2_DEFAULT_SG_ID, "default", "default VPC security group");
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "IpProtocol", "-1");
    cJSON_AddStringToObject(rule, "CidrIp", region_vpc_cidr(r));
    cJSON_AddStringToObject(rule, "Description", "rdsim: the machine is inside the VPC");
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "Rules"), rule);
    bool ok = netstore_put(r->st, NETSTORE_SG, EC2_DEFAULT_SG_ID, doc);
    cJSON_Delete(doc);
    return ok;
}

bool ec2_create_security_group(region *r, const params *p, cJSON *result, ec2_err *e)
{
    const char *name = params_get(p, "GroupName");
    const char *desc = params_get(p, "GroupDescription");
    const char *vpc = params_get(p, "VpcId");
    if (!name || !*name)
        return ec2_fail(e, "MissingParameter", "The request must contain the parameter groupName");
    if (!desc || !*desc)
        return ec2_fail(e, "MissingParameter",
                        "The request must contain the parameter groupDescription");
    if (!ec2_valid_text(name) || !ec2_valid_text(desc))
        return ec2_fail(e, "InvalidParameterValue",
                        "Value for parameter groupName or groupDescription is invalid: 1 to 255 "
                        "printable ASCII characters.");
    if (strncasecmp(name, "sg-", 3) == 0)
        return ec2_fail(e, "InvalidParameterValue", "Group names may not be in the format sg-*");
    if (vpc && strcmp(vpc, EC2_VPC_ID) != 0)
        return ec2_fail(e, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpc);
    cJSON *tags = ec2_tags_from_spec(p, "security-group", e);
    if (!tags)
        return false;
    if (!ec2_begin(r, e)) {
        cJSON_Delete(tags);
        return false;
    }
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
        cJSON_Delete(tags);
        if (!all)
            return ec2_store_failed(e);
        if (dup)
            return ec2_fail(e, "InvalidGroup.Duplicate",
                            "The security group '%s' already exists for VPC '%s'", name,
                            EC2_VPC_ID);
        return ec2_fail(e, "SecurityGroupLimitExceeded",
                        "The maximum number of security groups has been reached.");
    }
    char *id = ec2_new_id("sg");
    cJSON *doc = sg_new_doc(r, id, name, desc);
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "Tags", tags);
    bool ok = netstore_put(r->st, NETSTORE_SG, id, doc);
    if (!ok) {
        store_rollback(r->st);
        cJSON_Delete(doc);
        free(id);
        return ec2_store_failed(e);
    }
    ok = ec2_commit(r, e);
    if (ok) {
        LOG_INFO("ec2 security group created id=%s name=%s", id, name);
        cJSON_AddStringToObject(result, "GroupId", id);
        cJSON_AddItemToObject(result, "Tags",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "Tags"), 1));
        cJSON_AddItemToObject(result, "SecurityGroupArn",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc,
                                                                               "SecurityGroupArn"), 1));
    }
    cJSON_Delete(doc);
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
    if (description && (strlen(description) > 255 || !ec2_valid_text(description)))
        return ec2_fail(e, "InvalidParameterValue",
                        "Invalid rule description: at most 255 printable ASCII characters.");
    out->description = description;
    return true;
}

/* Every rule of the request: IpPermissions.N.* (what the CLI sends), or
 * the flat IpProtocol/FromPort/ToPort/CidrIp of the old API. */
static int parse_rules(const params *p, bool add, ec2_rule **out, ec2_err *e)
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
        /* IPv6 rules: the VPC has no IPv6 block, so no group holds one.
         * A revoke of one is InvalidPermission.NotFound, as EC2 answers
         * (the Terraform provider revokes ::/0 egress on every new group
         * and expects exactly that); an authorize is refused. */
        if (params_get(p, "IpPermissions.1.Ipv6Ranges.1.CidrIpv6")) {
            if (add)
                ec2_fail(e, "InvalidParameterValue", "The VPC %s has no IPv6 CIDR block; "
                                                     "rdsim's VPC is IPv4 only.", EC2_VPC_ID);
            else
                ec2_fail(e, "InvalidPermission.NotFound",
                         "The specified rule does not exist in this security group.");
            return -1;
        }
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

static cJSON *sg_rule_items(cJSON *doc, bool egress, const ec2_rule *rules, int n);

/* Authorize (add) or revoke (remove) the request's rules, inbound or
 * outbound, all or none. */
static bool sg_change_rules(region *r, const params *p, cJSON *result, ec2_err *e, bool add,
                            bool egress)
{
    ec2_rule *rules = NULL;
    int n = parse_rules(p, add, &rules, e);
    if (n < 0)
        return false;
    bool ok = false;
    cJSON *doc = NULL;
    if (!ec2_begin(r, e))
        goto done;
    doc = sg_from_params(r, p, e);
    if (!doc) {
        store_rollback(r->st);
        goto done;
    }
    cJSON *stored = egress ? sg_egress_rules(doc) : cJSON_GetObjectItemCaseSensitive(doc, "Rules");
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
            ec2_store_failed(e);
        goto done;
    }
    ok = ec2_commit(r, e);
    if (ok) {
        LOG_INFO("ec2 security group %s id=%s rules=%d direction=%s",
                 add ? "authorized" : "revoked", gid->valuestring, n,
                 egress ? "egress" : "ingress");
        cJSON_AddBoolToObject(result, "Return", true);
        if (add)
            cJSON_AddItemToObject(result, "SecurityGroupRules",
                                  sg_rule_items(doc, egress, rules, n));
    }
done:
    cJSON_Delete(doc);
    free(rules);
    return ok;
}

bool ec2_authorize_ingress(region *r, const params *p, cJSON *result, ec2_err *e)
{
    return sg_change_rules(r, p, result, e, true, false);
}

bool ec2_revoke_ingress(region *r, const params *p, cJSON *result, ec2_err *e)
{
    return sg_change_rules(r, p, result, e, false, false);
}

bool ec2_authorize_egress(region *r, const params *p, cJSON *result, ec2_err *e)
{
    return sg_change_rules(r, p, result, e, true, true);
}

bool ec2_revoke_egress(region *r, const params *p, cJSON *result, ec2_err *e)
{
    return sg_change_rules(r, p, result, e, false, true);
}

/* ---- one rule at a time (DescribeSecurityGroupRules) --------------------- */

/* sgr-<17 hex digits> of FNV-1a over the group, direction and rule. */
static void sg_rule_id(const char *gid, bool egress, const cJSON *rule, char out[24])
{
    uint64_t h = 1469598103934665603ULL;
    char *text = cJSON_PrintUnformatted(rule);
    const char *parts[] = {gid, egress ? "e" : "i", text};
    for (size_t i = 0; i < 3; i++) {
        for (const unsigned char *c = (const unsigned char *)parts[i]; *c; c++) {
            h ^= *c;
            h *= 1099511628211ULL;
        }
        h ^= 0xff;
        h *= 1099511628211ULL;
    }
    free(text);
    snprintf(out, 24, "sgr-%017llx", (unsigned long long)(h >> 4));
}

/* The SecurityGroupRule shape of one stored rule. */
static cJSON *sg_rule_item(const cJSON *doc, bool egress, const cJSON *rule)
{
    const char *gid = cJSON_GetObjectItemCaseSensitive(doc, "GroupId")->valuestring;
    char id[24];
    sg_rule_id(gid, egress, rule, id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "SecurityGroupRuleId", id);
    cJSON_AddStringToObject(o, "GroupId", gid);
    const cJSON *owner = cJSON_GetObjectItemCaseSensitive(doc, "OwnerId");
    cJSON_AddStringToObject(o, "GroupOwnerId", cJSON_IsString(owner) ? owner->valuestring : "");
    cJSON_AddBoolToObject(o, "IsEgress", egress);
    const cJSON *proto = cJSON_GetObjectItemCaseSensitive(rule, "IpProtocol");
    cJSON_AddStringToObject(o, "IpProtocol", cJSON_IsString(proto) ? proto->valuestring : "-1");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(rule, "FromPort");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(rule, "ToPort");
    /* EC2 shows -1 for the ports of an all-protocols rule. */
    cJSON_AddNumberToObject(o, "FromPort", cJSON_IsNumber(from) ? from->valuedouble : -1);
    cJSON_AddNumberToObject(o, "ToPort", cJSON_IsNumber(to) ? to->valuedouble : -1);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(rule, "CidrIp");
    cJSON_AddStringToObject(o, "CidrIpv4", cJSON_IsString(c) ? c->valuestring : "");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(rule, "Description");
    if (cJSON_IsString(d))
        cJSON_AddStringToObject(o, "Description", d->valuestring);
    cJSON_AddArrayToObject(o, "Tags");
    const cJSON *arn = cJSON_GetObjectItemCaseSensitive(doc, "SecurityGroupArn");
    if (cJSON_IsString(arn)) {
        char *rarn = xasprintf("%.*ssecurity-group-rule/%s",
                               (int)(strstr(arn->valuestring, "security-group/") - arn->valuestring),
                               arn->valuestring, id);
        cJSON_AddStringToObject(o, "SecurityGroupRuleArn", rarn);
        free(rarn);
    }
    return o;
}

/* The items of the rules just authorized (the last n of the direction). */
static cJSON *sg_rule_items(cJSON *doc, bool egress, const ec2_rule *rules, int n)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *stored = egress ? sg_egress_rules(doc)
                                 : cJSON_GetObjectItemCaseSensitive(doc, "Rules");
    const cJSON *it;
    cJSON_ArrayForEach(it, stored)
        for (int i = 0; i < n; i++)
            if (rule_matches(it, &rules[i]))
                cJSON_AddItemToArray(out, sg_rule_item(doc, egress, it));
    return out;
}

bool ec2_describe_security_group_rules(region *r, const params *p, cJSON *result, ec2_err *e)
{
    const char **ids = NULL;
    if (ec2_list(p, "SecurityGroupRuleId", &ids, e) < 0)
        return false;
    const char *want_group = NULL;
    for (int i = 1;; i++) {
        char key[64];
        snprintf(key, sizeof key, "Filter.%d.Name", i);
        const char *fname = params_get(p, key);
        if (!fname)
            break;
        snprintf(key, sizeof key, "Filter.%d.Value.1", i);
        if (strcmp(fname, "group-id") == 0) {
            want_group = params_get(p, key);
        } else if (strcmp(fname, "security-group-rule-id") == 0) {
            free(ids);
            ids = xcalloc(2, sizeof *ids);
            ids[0] = params_get(p, key);
        } else {
            free(ids);
            return ec2_fail(e, "InvalidParameterValue", "The filter '%s' is invalid", fname);
        }
    }
    cJSON *all = netstore_list(r->st, NETSTORE_SG);
    if (!all) {
        free(ids);
        return ec2_store_failed(e);
    }
    cJSON *out = cJSON_AddArrayToObject(result, "SecurityGroupRules");
    cJSON *doc;
    cJSON_ArrayForEach(doc, all) {
        const char *gid = cJSON_GetObjectItemCaseSensitive(doc, "GroupId")->valuestring;
        if (want_group && strcmp(want_group, gid) != 0)
            continue;
        for (int dir = 0; dir < 2; dir++) {
            const cJSON *rules = dir ? sg_egress_rules(doc)
                                     : cJSON_GetObjectItemCaseSensitive(doc, "Rules");
            const cJSON *rule;
            cJSON_ArrayForEach(rule, rules) {
                cJSON *item = sg_rule_item(doc, dir == 1, rule);
                const char *rid = cJSON_GetObjectItemCaseSensitive(item,
                                                                   "SecurityGroupRuleId")->valuestring;
                bool want = !ids[0];
                for (int i = 0; ids[i]; i++)
                    want |= strcmp(ids[i], rid) == 0;
                if (want)
                    cJSON_AddItemToArray(out, item);
                else
                    cJSON_Delete(item);
            }
        }
    }
    cJSON_Delete(all);
    bool ok = true;
    for (int i = 0; ok && ids[i]; i++) {
        bool seen = false;
        const cJSON *it;
        cJSON_ArrayForEach(it, out)
            seen |= strcmp(cJSON_GetObjectItemCaseSensitive(it, "SecurityGroupRuleId")->valuestring,
                           ids[i]) == 0;
        if (!seen)
            ok = ec2_fail(e, "InvalidSecurityGroupRuleId.NotFound",
                          "The security group rule ID '%s' does not exist", ids[i]);
    }
    free(ids);
    return ok;
}

bool ec2_describe_security_groups(region *r, const params *p, cJSON *result, ec2_err *e)
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
        ec2_store_failed(e);
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
            if (instextra_names_security_group(&in, id)) {
                used = true;
                snprintf(user, len, "%s", in.id);
            }
        }
        store_instance_clear(&in);
        free(ids[i]);
    }
    free(ids);
    return used;
}

bool ec2_delete_security_group(region *r, const params *p, cJSON *result, ec2_err *e)
{
    if (!ec2_begin(r, e))
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
        ec2_store_failed(e);
    } else {
        ok = ec2_commit(r, e);
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

