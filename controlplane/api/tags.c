/* tags: see tags.h. One path for every RDS resource type: the ARN's type
 * picks a row of tag_kinds (how to tell the resource exists, and its
 * NotFound fault); a DB instance's tags are in its row (with the
 * rdsim:dns-ttl rule), every other type's in resource_tags (core/restags). */
#include "controlplane/api/tags.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controlplane/api/instparams.h"
#include "controlplane/api/discovery.h"
#include "controlplane/core/region.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/clusterpg.h"
#include "controlplane/domain/pgroup.h"
#include "controlplane/domain/snaprow.h"
#include "controlplane/net/subnetgroup.h"
#include "controlplane/notify/evsub.h"
#include "lib/util.h"

char *tags_merge(const params *p, const char *existing, awserr *err)
{
    return restags_merge(p, existing, err);
}

/* The rdsim:dns-ttl tag's value in tags JSON: -1 when absent; false with
 * InvalidParameterValue when it is not 0..DNS_TTL_MAX. */
bool tags_dns_ttl(const char *tags, int64_t *ttl, awserr *err)
{
    *ttl = -1;
    cJSON *arr = cJSON_Parse(tags ? tags : "[]");
    const cJSON *t;
    bool ok = true;
    cJSON_ArrayForEach(t, arr) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "Value");
        if (cJSON_IsString(k) && strcmp(k->valuestring, TAGS_DNS_TTL) == 0) {
            if (!cJSON_IsString(v) || !str_to_int64(v->valuestring, 0, DNS_TTL_MAX, ttl))
                ok = awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                                "The tag %s must be a whole number of seconds from 0 to %d.",
                                TAGS_DNS_TTL, DNS_TTL_MAX);
        }
    }
    cJSON_Delete(arr);
    return ok;
}

/* ---- the resource types ---- */

static bool exists_db(region *r, const char *name, bool *found)
{
    store_instance in = {0};
    bool ok = store_instance_get(r->st, name, &in, found);
    store_instance_clear(&in);
    return ok;
}

static bool exists_pg(region *r, const char *name, bool *found)
{
    pgroup_row g;
    *found = pgroup_get(r, name, &g);
    pgroup_row_clear(&g);
    return true;
}

static bool exists_subgrp(region *r, const char *name, bool *found)
{
    ec2_subnet *s = NULL;
    int n = subnetgroup_subnets(r, name, &s, found);
    free(s);
    return n >= 0;
}

static bool exists_snapshot(region *r, const char *name, bool *found)
{
    snaprow s;
    *found = !snaprow_is_cluster(name) && snaprow_get(r, name, &s);
    if (*found)
        snaprow_clear(&s);
    return true;
}

static bool exists_cluster_pg(region *r, const char *name, bool *found)
{
    char *n = clusterpg_find(r, name);
    *found = n != NULL;
    free(n);
    return true;
}

static bool exists_og(region *r, const char *name, bool *found)
{
    *found = discovery_option_group_exists(r, name);
    return true;
}

typedef struct {
    const char *type;   /* the ARN's resource type */
    bool lower;         /* RDS keeps these names lowercase */
    bool (*exists)(region *r, const char *name, bool *found);
    awserr_code not_found;
    const char *not_found_fmt;
} tag_kind;

static const tag_kind tag_kinds[] = {
    {"db", true, exists_db, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found."},
    {"pg", true, exists_pg, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
     "DBParameterGroup not found: %s"},
    {"subgrp", true, exists_subgrp, AWSERR_DB_SUBNET_GROUP_NOT_FOUND,
     "DB Subnet group '%s' not found."},
    {"snapshot", true, exists_snapshot, AWSERR_DB_SNAPSHOT_NOT_FOUND, "DBSnapshot %s not found."},
    {"es", false, evsub_exists, AWSERR_SUBSCRIPTION_NOT_FOUND, "Subscription %s not found."},
    {"cluster-pg", true, exists_cluster_pg, AWSERR_DB_PARAMETER_GROUP_NOT_FOUND,
     "DBClusterParameterGroup not found: %s"},
    {"og", true, exists_og, AWSERR_OPTION_GROUP_NOT_FOUND,
     "Specified OptionGroupName: %s not found."},
};

/* The resource ResourceName (an RDS ARN of this region and account)
 * names: its kind and name (*name malloc'd), or false with
 * InvalidParameterValue (not such an ARN, a type rdsim does not keep) or
 * the kind's NotFound. */
static bool tags_target(region *r, const params *p, const tag_kind **kind, char **name,
                        awserr *err)
{
    *name = NULL;
    const char *arn = params_require(p, "ResourceName", err);
    if (!arn)
        return false;
    region_arn a;
    const char *colon = NULL;
    if (region_arn_parse(arn, &a) &&
        region_arn_is_local(&a, "rds", r->cfg.name, r->cfg.account))
        colon = strchr(a.resource, ':');
    for (size_t i = 0; colon && i < sizeof tag_kinds / sizeof tag_kinds[0]; i++) {
        const tag_kind *k = &tag_kinds[i];
        if (strlen(k->type) != (size_t)(colon - a.resource) ||
            strncmp(a.resource, k->type, strlen(k->type)) != 0 || colon[1] == '\0')
            continue;
        char *n = xstrdup(colon + 1);
        if (k->lower)
            str_lower(n);
        bool found = false;
        if (!k->exists(r, n, &found)) {
            free(n);
            return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        }
        if (!found) {
            awserr_set(err, k->not_found, k->not_found_fmt, n);
            free(n);
            return false;
        }
        *kind = k;
        *name = n;
        return true;
    }
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                      "The specified resource name does not match an RDS resource in this "
                      "region: %s", arn);
}

static bool is_db(const tag_kind *k)
{
    return k == &tag_kinds[0];
}

bool tags_action_list(region *r, const params *p, cJSON *result, awserr *err)
{
    const tag_kind *k = NULL;
    char *name = NULL;
    if (!tags_target(r, p, &k, &name, err))
        return false;
    char *json = NULL;
    if (is_db(k)) {
        store_instance in = {0};
        bool found = false;
        if (store_instance_get(r->st, name, &in, &found) && found)
            json = xstrdup(in.tags ? in.tags : "[]");
        store_instance_clear(&in);
    } else {
        json = restags_get(r->st, k->type, name);
    }
    free(name);
    if (!json)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    cJSON *tags = cJSON_Parse(json);
    free(json);
    cJSON_AddItemToObject(result, "TagList", cJSON_IsArray(tags) ? tags : cJSON_CreateArray());
    if (!cJSON_IsArray(tags))
        cJSON_Delete(tags);
    return true;
}

/* The new tags: Tags merged into old (add), or TagKeys taken out. */
static char *tags_new(const params *p, const char *old, bool add, awserr *err)
{
    if (!add)
        return restags_remove(p, old, err);
    int n = params_count_structs(p, "Tags", "Tag", err);
    if (n < 0)
        return NULL;
    if (n == 0) {
        awserr_set(err, AWSERR_MISSING_PARAMETER,
                   "The parameter Tags must be provided and must not be blank.");
        return NULL;
    }
    return restags_merge(p, old, err);
}

/* An instance's new tags; rdsim:dns-ttl is applied to the endpoint at once. */
static bool tags_change_db(region *r, const params *p, const char *id, bool add, awserr *err)
{
    store_instance in = {0};
    bool found = false, ok = false;
    char *tags = NULL;
    if (!store_instance_get(r->st, id, &in, &found) || !found) {
        awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
        goto done;
    }
    tags = tags_new(p, in.tags, add, err);
    int64_t old_tag_ttl = -1, new_tag_ttl = -1;
    awserr ignore = {0};
    tags_dns_ttl(in.tags, &old_tag_ttl, &ignore);
    if (!tags || !tags_dns_ttl(tags, &new_tag_ttl, err))
        goto done;
    /* The tag drives the TTL for clients that cannot pass --dns-ttl. */
    if (new_tag_ttl != old_tag_ttl)
        in.dns_ttl = new_tag_ttl;
    instparams_set_str(&in.tags, tags);
    ok = store_instance_update(r->st, &in);
    if (!ok)
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
done:
    free(tags);
    store_instance_clear(&in);
    return ok;
}

static bool tags_change(region *r, const params *p, bool add, awserr *err)
{
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    const tag_kind *k = NULL;
    char *name = NULL;
    bool ok = tags_target(r, p, &k, &name, err);
    if (ok && is_db(k)) {
        ok = tags_change_db(r, p, name, add, err);
    } else if (ok) {
        char *old = restags_get(r->st, k->type, name);
        char *tags = old ? tags_new(p, old, add, err) : NULL;
        if (!old)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        ok = tags && restags_put(r->st, k->type, name, tags);
        if (tags && !ok)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        free(old);
        free(tags);
    }
    if (ok)
        ok = instparams_commit(r, err); /* rolls back itself when it fails */
    else
        store_rollback(r->st);
    free(name);
    return ok;
}

bool tags_action_add(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    return tags_change(r, p, true, err);
}

bool tags_action_remove(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    return tags_change(r, p, false, err);
}
