/* subnetgroup: see subnetgroup.h. */
#include "controlplane/net/subnetgroup.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/netstore.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/region.h"
#include "lib/cidr.h"
#include "lib/log.h"
#include "lib/util.h"

#define SUBNETGROUP_QUOTA QUOTA_DB_SUBNET_GROUPS
#define SUBNETGROUP_SUBNETS_QUOTA QUOTA_SUBNETS_PER_DB_SUBNET_GROUP
#define SUBNETGROUP_SCAN_MAX 4096     /* addresses tried per subnet when placing */

/* ---- pure rules --------------------------------------------------------- */

int subnetgroup_az_count(const ec2_subnet *subnets, int n)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int k = 0; k < i && !seen; k++)
            seen = strcmp(subnets[k].az, subnets[i].az) == 0;
        count += !seen;
    }
    return count;
}

bool subnetgroup_check_coverage(const ec2_subnet *subnets, int n, int region_azs, awserr *err)
{
    int need = region_azs < 2 ? region_azs : 2;
    int have = subnetgroup_az_count(subnets, n);
    if (have >= need && have > 0)
        return true;
    return awserr_set(err, AWSERR_DB_SUBNET_GROUP_NOT_ENOUGH_AZS,
                      "The DB subnet group doesn't meet Availability Zone (AZ) coverage "
                      "requirement. Current AZ coverage: %d. Add subnets to cover at least %d "
                      "AZs.", have, need);
}

/* ---- the store ---------------------------------------------------------- */

/* Subnets named by a document's SubnetIds (unknown ids are skipped). */
static int doc_subnets(region *r, const cJSON *doc, ec2_subnet **out)
{
    ec2_subnet *all = NULL;
    int nall = ec2_subnet_list(r, &all);
    if (nall < 0)
        return -1;
    ec2_subnet *list = xcalloc((size_t)nall + 1, sizeof *list);
    int n = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(doc, "SubnetIds"))
        for (int i = 0; i < nall; i++)
            if (cJSON_IsString(id) && strcmp(all[i].id, id->valuestring) == 0)
                list[n++] = all[i];
    free(all);
    *out = list;
    return n;
}

int subnetgroup_subnets(region *r, const char *name, ec2_subnet **out, bool *found)
{
    *out = NULL;
    *found = false;
    if (strcmp(name, SUBNETGROUP_DEFAULT) == 0) {
        ec2_subnet *all = NULL;
        int nall = ec2_subnet_list(r, &all);
        if (nall < 0)
            return -1;
        int n = 0;
        for (int i = 0; i < nall; i++)
            if (all[i].is_default)
                all[n++] = all[i];
        *out = all;
        *found = true;
        return n;
    }
    cJSON *doc = netstore_get(r->st, NETSTORE_DBSUBNETGROUP, name, found);
    if (!doc)
        return 0;
    int n = doc_subnets(r, doc, out);
    cJSON_Delete(doc);
    return n;
}

bool subnetgroup_uses_subnet(region *r, const char *subnet_id, char *group, size_t len)
{
    cJSON *all = netstore_list(r->st, NETSTORE_DBSUBNETGROUP);
    bool used = false;
    const cJSON *doc, *id;
    cJSON_ArrayForEach(doc, all) {
        cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(doc, "SubnetIds")) {
            if (!used && cJSON_IsString(id) && strcmp(id->valuestring, subnet_id) == 0) {
                used = true;
                snprintf(group, len, "%s",
                         cJSON_GetObjectItemCaseSensitive(doc, "DBSubnetGroupName")->valuestring);
            }
        }
    }
    cJSON_Delete(all);
    return used;
}

const char *subnetgroup_of_instance(const store_instance *in, char *buf, size_t len)
{
    return instextra_subnet_group(in, SUBNETGROUP_DEFAULT, buf, len);
}

/* ---- placement ---------------------------------------------------------- */

bool subnetgroup_az_ok(region *r, const store_instance *in, const char *az)
{
    char name[256];
    ec2_subnet *s = NULL;
    bool found = false;
    int n = subnetgroup_subnets(r, subnetgroup_of_instance(in, name, sizeof name), &s, &found);
    bool ok = false;
    for (int i = 0; i < n && !ok; i++)
        ok = strcmp(s[i].az, az) == 0;
    free(s);
    return ok;
}

bool subnetgroup_pick_addr(region *r, const store_instance *in, const char *az, char *addr,
                           size_t len)
{
    char name[256];
    ec2_subnet *s = NULL;
    bool found = false;
    addr[0] = '\0';
    int n = subnetgroup_subnets(r, subnetgroup_of_instance(in, name, sizeof name), &s, &found);
    bool ok = n >= 0;
    for (int i = 0; ok && i < n && !addr[0]; i++) {
        cidr c;
        if (strcmp(s[i].az, az) != 0 || !cidr_parse(s[i].cidr, &c))
            continue;
        uint64_t last = cidr_size(&c) - 1; /* broadcast: never handed out */
        for (uint64_t k = 2; ok && k < last && k < SUBNETGROUP_SCAN_MAX && !addr[0]; k++) {
            char cand[16];
            bool used = true;
            cidr_format_addr(c.addr + (uint32_t)k, cand, sizeof cand);
            ok = store_addr_in_use(r->st, cand, &used);
            if (ok && !used)
                snprintf(addr, len, "%s", cand);
        }
    }
    free(s);
    return ok;
}

/* ---- rendering ---------------------------------------------------------- */

static cJSON *render_doc(region *r, const char *name, const char *desc, const ec2_subnet *s,
                         int n)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "DBSubnetGroupName", name);
    cJSON_AddStringToObject(o, "DBSubnetGroupDescription", desc);
    cJSON_AddStringToObject(o, "VpcId", EC2_VPC_ID);
    cJSON_AddStringToObject(o, "SubnetGroupStatus", "Complete");
    cJSON *subnets = cJSON_AddArrayToObject(o, "Subnets");
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "SubnetIdentifier", s[i].id);
        cJSON *az = cJSON_AddObjectToObject(e, "SubnetAvailabilityZone");
        cJSON_AddStringToObject(az, "Name", s[i].az);
        cJSON_AddObjectToObject(e, "SubnetOutpost");
        cJSON_AddStringToObject(e, "SubnetStatus", "Active");
        cJSON_AddItemToArray(subnets, e);
    }
    char *arn = xasprintf("arn:aws:rds:%s:%s:subgrp:%s", r->cfg.name, r->cfg.account, name);
    cJSON_AddStringToObject(o, "DBSubnetGroupArn", arn);
    free(arn);
    cJSON *types = cJSON_AddArrayToObject(o, "SupportedNetworkTypes");
    cJSON_AddItemToArray(types, cJSON_CreateString("IPV4"));
    return o;
}

cJSON *subnetgroup_render(region *r, const char *name)
{
    ec2_subnet *s = NULL;
    bool found = false;
    int n = subnetgroup_subnets(r, name, &s, &found);
    cJSON *o = NULL;
    if (found && n >= 0) {
        bool dflt = strcmp(name, SUBNETGROUP_DEFAULT) == 0;
        cJSON *doc = dflt ? NULL : netstore_get(r->st, NETSTORE_DBSUBNETGROUP, name, &found);
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "DBSubnetGroupDescription");
        o = render_doc(r, name, cJSON_IsString(d) ? d->valuestring : "default", s, n);
        cJSON_Delete(doc);
    }
    free(s);
    return o;
}

/* ---- actions ------------------------------------------------------------ */

/* RDS: at most 255 letters, digits, periods, underscores, spaces or
 * hyphens, starting with a letter; stored lowercase. */
static char *read_name(const params *p, awserr *err)
{
    const char *v = params_require(p, "DBSubnetGroupName", err);
    if (!v)
        return NULL;
    bool ok = strlen(v) <= 255 && isalpha((unsigned char)v[0]);
    for (const char *c = v; ok && *c; c++)
        ok = isalnum((unsigned char)*c) || *c == '.' || *c == '_' || *c == ' ' || *c == '-';
    if (!ok) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The parameter DBSubnetGroupName is not a valid identifier: at most 255 "
                   "letters, digits, periods, underscores, spaces or hyphens, starting with a "
                   "letter.");
        return NULL;
    }
    return str_lower(xstrdup(v));
}

/* SubnetIds.SubnetIdentifier.N: every id must be a known subnet; the set
 * must cover enough AZs. Returns the ids as a JSON array, NULL on error. */
static cJSON *read_subnets(region *r, const params *p, awserr *err)
{
    const char **ids = NULL;
    int n = params_get_list(p, "SubnetIds", "SubnetIdentifier", &ids, err);
    if (n < 0)
        return NULL;
    if (n == 0) {
        free(ids);
        awserr_set(err, AWSERR_MISSING_PARAMETER,
                   "The parameter SubnetIds must be provided and must not be blank.");
        return NULL;
    }
    if (n > SUBNETGROUP_SUBNETS_QUOTA) {
        free(ids);
        awserr_set(err, AWSERR_DB_SUBNET_QUOTA_EXCEEDED,
                   "A DB subnet group can have at most %d subnets.", SUBNETGROUP_SUBNETS_QUOTA);
        return NULL;
    }
    ec2_subnet *s = xcalloc((size_t)n, sizeof *s);
    cJSON *arr = cJSON_CreateArray();
    int ns = 0;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        bool dup = false;
        for (int k = 0; k < ns; k++)
            dup |= strcmp(s[k].id, ids[i]) == 0;
        if (dup)
            continue;
        if (!ec2_subnet_find(r, ids[i], &s[ns])) {
            ok = awserr_set(err, AWSERR_INVALID_SUBNET,
                            "The subnet %s does not exist (see rdsctl ec2 describe-subnets).",
                            ids[i]);
            break;
        }
        cJSON_AddItemToArray(arr, cJSON_CreateString(ids[i]));
        ns++;
    }
    if (ok)
        ok = subnetgroup_check_coverage(s, ns, r->cfg.naz, err);
    free(s);
    free(ids);
    if (!ok) {
        cJSON_Delete(arr);
        return NULL;
    }
    return arr;
}

static bool commit_or_fail(region *r, awserr *err)
{
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}

static bool fail_store(region *r, awserr *err)
{
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}

/* Instances whose group is `name`: the first one's id in `user`. */
static bool group_in_use(region *r, const char *name, char *user, size_t len)
{
    char **ids = NULL;
    int n = store_instance_list(r->st, NULL, 100000, &ids);
    bool used = false;
    for (int i = 0; i < n; i++) {
        store_instance in = {0};
        bool found = false;
        char g[256];
        if (!used && store_instance_get(r->st, ids[i], &in, &found) &&
            strcmp(subnetgroup_of_instance(&in, g, sizeof g), name) == 0) {
            used = true;
            snprintf(user, len, "%s", in.id);
        }
        store_instance_clear(&in);
        free(ids[i]);
    }
    free(ids);
    return used;
}

static int count_groups(region *r)
{
    cJSON *all = netstore_list(r->st, NETSTORE_DBSUBNETGROUP);
    int n = all ? cJSON_GetArraySize(all) : -1;
    cJSON_Delete(all);
    return n;
}

bool subnetgroup_action_create(region *r, const params *p, cJSON *result, awserr *err)
{
    char *name = read_name(p, err);
    if (!name)
        return false;
    const char *desc = params_require(p, "DBSubnetGroupDescription", err);
    cJSON *subnets = NULL, *doc = NULL;
    bool ok = false;
    if (!desc)
        goto done;
    if (strcmp(name, SUBNETGROUP_DEFAULT) == 0) {
        awserr_set(err, AWSERR_DB_SUBNET_GROUP_ALREADY_EXISTS,
                   "The DB subnet group 'default' already exists (it is the region's).");
        goto done;
    }
    subnets = read_subnets(r, p, err);
    if (!subnets)
        goto done;
    if (!store_begin(r->st)) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        goto done;
    }
    bool exists = false;
    cJSON_Delete(netstore_get(r->st, NETSTORE_DBSUBNETGROUP, name, &exists));
    int count = count_groups(r);
    if (exists || count < 0 || count >= SUBNETGROUP_QUOTA) {
        store_rollback(r->st);
        if (exists)
            awserr_set(err, AWSERR_DB_SUBNET_GROUP_ALREADY_EXISTS,
                       "The DB subnet group '%s' already exists.", name);
        else if (count < 0)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        else
            awserr_set(err, AWSERR_DB_SUBNET_GROUP_QUOTA_EXCEEDED,
                       "DB subnet group quota exceeded: at most %d.", SUBNETGROUP_QUOTA);
        goto done;
    }
    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "DBSubnetGroupName", name);
    cJSON_AddStringToObject(doc, "DBSubnetGroupDescription", desc);
    cJSON_AddItemReferenceToObject(doc, "SubnetIds", subnets);
    if (!netstore_put(r->st, NETSTORE_DBSUBNETGROUP, name, doc)) {
        fail_store(r, err);
        goto done;
    }
    if (!restags_create(r->st, "subgrp", name, p, err)) {
        store_rollback(r->st);
        goto done;
    }
    ok = commit_or_fail(r, err);
    if (ok) {
        LOG_INFO("db subnet group created name=%s subnets=%d", name, cJSON_GetArraySize(subnets));
        cJSON_AddItemToObject(result, "DBSubnetGroup", subnetgroup_render(r, name));
    }
done:
    cJSON_Delete(doc);
    cJSON_Delete(subnets);
    free(name);
    return ok;
}

bool subnetgroup_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    int64_t max;
    if (!params_get_paging(p, &max, NULL, err))
        return false;
    const char *want = params_get(p, "DBSubnetGroupName");
    const char *marker = params_get(p, "Marker");
    char *lower = want ? str_lower(xstrdup(want)) : NULL;
    cJSON *all = netstore_list(r->st, NETSTORE_DBSUBNETGROUP);
    if (!all) {
        free(lower);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    }
    /* The names, "default" first (it sorts before most names anyway). */
    cJSON *names = cJSON_CreateArray();
    cJSON_AddItemToArray(names, cJSON_CreateString(SUBNETGROUP_DEFAULT));
    const cJSON *doc;
    cJSON_ArrayForEach(doc, all)
        cJSON_AddItemToArray(names, cJSON_Duplicate(
                                        cJSON_GetObjectItemCaseSensitive(doc, "DBSubnetGroupName"),
                                        true));
    cJSON *out = cJSON_AddArrayToObject(result, "DBSubnetGroups");
    bool ok = true, past = marker == NULL;
    int shown = 0;
    const char *last = "";
    const cJSON *n;
    cJSON_ArrayForEach(n, names) {
        if (lower && strcmp(lower, n->valuestring) != 0)
            continue;
        if (!past) {
            past = strcmp(marker, n->valuestring) == 0;
            continue;
        }
        if (shown == max) {
            cJSON_AddStringToObject(result, "Marker", last);
            break;
        }
        cJSON *g = subnetgroup_render(r, n->valuestring);
        if (g) {
            cJSON_AddItemToArray(out, g);
            last = n->valuestring;
            shown++;
        }
    }
    if (lower && shown == 0 && !marker)
        ok = awserr_set(err, AWSERR_DB_SUBNET_GROUP_NOT_FOUND, "DB Subnet group '%s' not found.",
                        lower);
    cJSON_Delete(names);
    cJSON_Delete(all);
    free(lower);
    return ok;
}

/* True when a node of an instance in group `name` has an address in a
 * subnet that `keep` no longer lists. */
static bool removal_in_use(region *r, const char *name, const cJSON *old_ids, const cJSON *keep)
{
    ec2_subnet *all = NULL;
    int nall = ec2_subnet_list(r, &all);
    store_node *nodes = NULL;
    int nn = store_node_list(r->st, NULL, NULL, &nodes);
    bool used = false;
    const cJSON *id, *k;
    cJSON_ArrayForEach(id, old_ids) {
        bool kept = false;
        cJSON_ArrayForEach(k, keep) kept |= strcmp(k->valuestring, id->valuestring) == 0;
        for (int i = 0; !kept && i < nall; i++) {
            cidr c;
            if (strcmp(all[i].id, id->valuestring) != 0 || !cidr_parse(all[i].cidr, &c))
                continue;
            for (int j = 0; j < nn && !used; j++) {
                uint32_t a;
                store_instance in = {0};
                bool found = false;
                char g[256];
                if (cidr_parse_addr(nodes[j].addr, &a) && cidr_contains(&c, a) &&
                    store_instance_get(r->st, nodes[j].instance_id, &in, &found) &&
                    strcmp(subnetgroup_of_instance(&in, g, sizeof g), name) == 0)
                    used = true;
                store_instance_clear(&in);
            }
        }
    }
    store_node_list_free(nodes, nn < 0 ? 0 : nn);
    free(all);
    return used;
}

bool subnetgroup_action_modify(region *r, const params *p, cJSON *result, awserr *err)
{
    char *name = read_name(p, err);
    if (!name)
        return false;
    bool ok = false, found = false;
    cJSON *subnets = NULL, *doc = NULL;
    if (strcmp(name, SUBNETGROUP_DEFAULT) == 0) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "You can't modify the default subnet "
                                                        "group.");
        goto done;
    }
    subnets = read_subnets(r, p, err);
    if (!subnets)
        goto done;
    if (!store_begin(r->st)) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        goto done;
    }
    doc = netstore_get(r->st, NETSTORE_DBSUBNETGROUP, name, &found);
    if (!found) {
        store_rollback(r->st);
        awserr_set(err, AWSERR_DB_SUBNET_GROUP_NOT_FOUND, "DB Subnet group '%s' not found.", name);
        goto done;
    }
    if (removal_in_use(r, name, cJSON_GetObjectItemCaseSensitive(doc, "SubnetIds"), subnets)) {
        store_rollback(r->st);
        awserr_set(err, AWSERR_INVALID_DB_SUBNET_GROUP_STATE,
                   "Some of the subnets to be deleted are currently in use.");
        goto done;
    }
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "SubnetIds", cJSON_Duplicate(subnets, true));
    const char *desc = params_get(p, "DBSubnetGroupDescription");
    if (desc) {
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "DBSubnetGroupDescription");
        cJSON_AddStringToObject(doc, "DBSubnetGroupDescription", desc);
    }
    if (!netstore_put(r->st, NETSTORE_DBSUBNETGROUP, name, doc)) {
        fail_store(r, err);
        goto done;
    }
    ok = commit_or_fail(r, err);
    if (ok) {
        LOG_INFO("db subnet group modified name=%s subnets=%d", name, cJSON_GetArraySize(subnets));
        cJSON_AddItemToObject(result, "DBSubnetGroup", subnetgroup_render(r, name));
    }
done:
    cJSON_Delete(doc);
    cJSON_Delete(subnets);
    free(name);
    return ok;
}

bool subnetgroup_action_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    const char *v = params_require(p, "DBSubnetGroupName", err);
    if (!v)
        return false;
    char *name = str_lower(xstrdup(v));
    bool ok = false, found = false;
    char user[80] = "";
    if (strcmp(name, SUBNETGROUP_DEFAULT) == 0) {
        awserr_set(err, AWSERR_INVALID_DB_SUBNET_GROUP_STATE,
                   "You can't delete the default subnet group.");
        goto done;
    }
    if (!store_begin(r->st)) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        goto done;
    }
    cJSON_Delete(netstore_get(r->st, NETSTORE_DBSUBNETGROUP, name, &found));
    if (!found) {
        store_rollback(r->st);
        awserr_set(err, AWSERR_DB_SUBNET_GROUP_NOT_FOUND, "DB Subnet group '%s' not found.", name);
    } else if (group_in_use(r, name, user, sizeof user)) {
        store_rollback(r->st);
        awserr_set(err, AWSERR_INVALID_DB_SUBNET_GROUP_STATE,
                   "Cannot delete the subnet group '%s' because at least one database instance: "
                   "%s is still using it.", name, user);
    } else if (!netstore_delete(r->st, NETSTORE_DBSUBNETGROUP, name)) {
        fail_store(r, err);
    } else {
        ok = commit_or_fail(r, err);
        if (ok)
            LOG_INFO("db subnet group deleted name=%s", name);
    }
done:
    free(name);
    return ok;
}
