/* ec2tags: EC2 tags on the simulated VPC's resources (ec2svc.h): the
 * "Tags" member ([{Key, Value}]) of a security group's or a subnet's
 * document, set at creation by TagSpecification.N or later by CreateTags,
 * removed by DeleteTags, listed by DescribeTags. The VPC itself is fixed
 * and not stored: tagging it is refused (InvalidVpcID.NotFound would lie;
 * UnsupportedOperation says what is true). EC2's rules: at most 50 tags,
 * keys 1..127 characters and not "aws:...", values up to 255. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/net/ec2svc.h"
#include "controlplane/core/netstore.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

static bool tag_check(const char *key, const char *value, ec2_err *e)
{
    if (!key || !*key || strlen(key) > 127)
        return ec2_fail(e, "InvalidParameterValue", "Tag keys must be 1 to 127 characters.");
    if (strncmp(key, "aws:", 4) == 0)
        return ec2_fail(e, "InvalidParameterValue",
                        "Tag keys starting with 'aws:' are reserved for internal use");
    if (value && strlen(value) > 255)
        return ec2_fail(e, "InvalidParameterValue", "Tag values may be at most 255 characters.");
    return true;
}

static cJSON *tag_find(cJSON *tags, const char *key)
{
    cJSON *it;
    cJSON_ArrayForEach(it, tags) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, "Key");
        if (cJSON_IsString(k) && strcmp(k->valuestring, key) == 0)
            return it;
    }
    return NULL;
}

/* Sets key=value in tags (replacing a value). */
static void tag_set(cJSON *tags, const char *key, const char *value)
{
    cJSON *old = tag_find(tags, key);
    if (old) {
        cJSON_ReplaceItemInObjectCaseSensitive(old, "Value", cJSON_CreateString(value));
        return;
    }
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "Key", key);
    cJSON_AddStringToObject(t, "Value", value);
    cJSON_AddItemToArray(tags, t);
}

/* PREFIX.Tag.N.Key/Value into tags (checked, all or none by the caller). */
static bool tags_read(const params *p, const char *prefix, cJSON *tags, ec2_err *e)
{
    for (int i = 1;; i++) {
        char key[96];
        snprintf(key, sizeof key, "%sTag.%d.Key", prefix, i);
        const char *k = params_get(p, key);
        if (!k)
            break;
        snprintf(key, sizeof key, "%sTag.%d.Value", prefix, i);
        const char *v = params_get(p, key);
        if (!tag_check(k, v, e))
            return false;
        tag_set(tags, k, v ? v : "");
        if (cJSON_GetArraySize(tags) > EC2_MAX_TAGS)
            return ec2_fail(e, "TagLimitExceeded", "The maximum number of tags (%d) has been "
                                                   "reached.", EC2_MAX_TAGS);
    }
    return true;
}

cJSON *ec2_tags_from_spec(const params *p, const char *type, ec2_err *e)
{
    cJSON *tags = cJSON_CreateArray();
    for (int i = 1;; i++) {
        char key[64], prefix[48];
        snprintf(key, sizeof key, "TagSpecification.%d.ResourceType", i);
        const char *t = params_get(p, key);
        if (!t)
            break;
        if (strcmp(t, type) != 0) {
            cJSON_Delete(tags);
            ec2_fail(e, "InvalidParameterValue", "'%s' is not a valid taggable resource type "
                                                 "for this operation.", t);
            return NULL;
        }
        snprintf(prefix, sizeof prefix, "TagSpecification.%d.", i);
        if (!tags_read(p, prefix, tags, e)) {
            cJSON_Delete(tags);
            return NULL;
        }
    }
    return tags;
}

/* The netstore kind of a resource id, NULL when rdsim keeps no such
 * resource (then *e says why). */
static const char *tag_kind(const char *id, const char **type, ec2_err *e)
{
    if (strncmp(id, "sg-", 3) == 0) {
        *type = "security-group";
        return NETSTORE_SG;
    }
    if (strncmp(id, "subnet-", 7) == 0) {
        *type = "subnet";
        return NETSTORE_SUBNET;
    }
    if (strncmp(id, "vpc-", 4) == 0)
        ec2_fail(e, "UnsupportedOperation", "The VPC %s is rdsim's fixed default VPC and takes "
                                            "no tags.", id);
    else
        ec2_fail(e, "InvalidID", "The ID '%s' is not valid", id);
    return NULL;
}

/* CreateTags (add) or DeleteTags (!add) on every ResourceId.N, all or none. */
static bool tags_change(region *r, const params *p, cJSON *result, ec2_err *e, bool add)
{
    const char **ids = NULL;
    int n = ec2_list(p, "ResourceId", &ids, e);
    if (n < 0)
        return false;
    bool ok = n > 0 || ec2_fail(e, "MissingParameter", "The request must contain the parameter "
                                                       "resourceIdSet");
    cJSON *want = cJSON_CreateArray();
    ok = ok && tags_read(p, "", want, e);
    if (ok && add && cJSON_GetArraySize(want) == 0)
        ok = ec2_fail(e, "MissingParameter", "The request must contain the parameter tagSet");
    ok = ok && ec2_begin(r, e);
    bool began = ok;
    for (int i = 0; ok && i < n; i++) {
        const char *type;
        const char *kind = tag_kind(ids[i], &type, e);
        bool found = false;
        cJSON *doc = kind ? netstore_get(r->st, kind, ids[i], &found) : NULL;
        if (!kind || !found) {
            if (kind)
                ec2_fail(e, strcmp(kind, NETSTORE_SG) == 0 ? "InvalidGroup.NotFound"
                                                           : "InvalidSubnetID.NotFound",
                         "The ID '%s' does not exist", ids[i]);
            cJSON_Delete(doc);
            ok = false;
            break;
        }
        cJSON *tags = cJSON_GetObjectItemCaseSensitive(doc, "Tags");
        if (!cJSON_IsArray(tags)) {
            cJSON_DeleteItemFromObjectCaseSensitive(doc, "Tags");
            tags = cJSON_AddArrayToObject(doc, "Tags");
        }
        const cJSON *t;
        cJSON_ArrayForEach(t, want) {
            const char *k = cJSON_GetObjectItemCaseSensitive(t, "Key")->valuestring;
            const char *v = cJSON_GetObjectItemCaseSensitive(t, "Value")->valuestring;
            char key[64];
            if (add) {
                tag_set(tags, k, v);
                continue;
            }
            /* DeleteTags: a Value given must match; without one, any. */
            cJSON *old = tag_find(tags, k);
            const cJSON *ov = old ? cJSON_GetObjectItemCaseSensitive(old, "Value") : NULL;
            bool has_value = false;
            for (int j = 1;; j++) {
                snprintf(key, sizeof key, "Tag.%d.Key", j);
                const char *pk = params_get(p, key);
                if (!pk)
                    break;
                snprintf(key, sizeof key, "Tag.%d.Value", j);
                if (strcmp(pk, k) == 0 && params_get(p, key))
                    has_value = true;
            }
            if (old && (!has_value || (cJSON_IsString(ov) && strcmp(ov->valuestring, v) == 0)))
                cJSON_Delete(cJSON_DetachItemViaPointer(tags, old));
        }
        if (add && cJSON_GetArraySize(tags) > EC2_MAX_TAGS)
            ok = ec2_fail(e, "TagLimitExceeded", "The maximum number of tags (%d) has been "
                                                 "reached.", EC2_MAX_TAGS);
        ok = ok && (netstore_put(r->st, kind, ids[i], doc) || ec2_store_failed(e));
        cJSON_Delete(doc);
    }
    if (ok)
        ok = ec2_commit(r, e);
    else if (began)
        store_rollback(r->st);
    if (ok) {
        LOG_INFO("ec2 tags %s resources=%d tags=%d", add ? "created" : "deleted", n,
                 cJSON_GetArraySize(want));
        cJSON_AddBoolToObject(result, "Return", true);
    }
    cJSON_Delete(want);
    free(ids);
    return ok;
}

bool ec2_create_tags(region *r, const params *p, cJSON *result, ec2_err *e)
{
    return tags_change(r, p, result, e, true);
}

bool ec2_delete_tags(region *r, const params *p, cJSON *result, ec2_err *e)
{
    return tags_change(r, p, result, e, false);
}

/* DescribeTags: every tag of the stored resources, filtered by
 * resource-id, resource-type, key, value (each with any of its values). */
bool ec2_describe_tags(region *r, const params *p, cJSON *result, ec2_err *e)
{
    static const ec2_filter_map filters[] = {{"resource-id", "ResourceId"},
                                             {"resource-type", "ResourceType"},
                                             {"key", "Key"},
                                             {"value", "Value"},
                                             {NULL, NULL}};
    static const char *const kinds[][2] = {{NETSTORE_SG, "GroupId"},
                                           {NETSTORE_SUBNET, "SubnetId"}};
    cJSON *out = cJSON_AddArrayToObject(result, "Tags");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        cJSON *all = netstore_list(r->st, kinds[k][0]);
        if (!all)
            return ec2_store_failed(e);
        const cJSON *doc;
        cJSON_ArrayForEach(doc, all) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, kinds[k][1]);
            const cJSON *t;
            cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(doc, "Tags")) {
                cJSON *item = cJSON_CreateObject();
                cJSON_AddItemToObject(item, "Key",
                                      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(t, "Key"), 1));
                cJSON_AddStringToObject(item, "ResourceId", cJSON_IsString(id) ? id->valuestring : "");
                cJSON_AddStringToObject(item, "ResourceType",
                                        k == 0 ? "security-group" : "subnet");
                cJSON_AddItemToObject(item, "Value",
                                      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(t, "Value"), 1));
                bool pass = true;
                if (!ec2_filters_pass(p, filters, item, &pass, e)) {
                    cJSON_Delete(item);
                    cJSON_Delete(all);
                    return false;
                }
                if (pass)
                    cJSON_AddItemToArray(out, item);
                else
                    cJSON_Delete(item);
            }
        }
        cJSON_Delete(all);
    }
    return true;
}
