/* tags: see tags.h. */
#include "controlplane/api/tags.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controlplane/api/instparams.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/util.h"

char *tags_merge(const params *p, const char *existing, awserr *err)
{
    int n = params_count_structs(p, "Tags", "Tag", err);
    if (n < 0)
        return NULL;
    cJSON *arr = cJSON_Parse(existing ? existing : "[]");
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        arr = cJSON_CreateArray();
    }
    for (int i = 1; i <= n; i++) {
        const char *k = params_get_struct_field(p, "Tags", "Tag", i, "Key");
        const char *v = params_get_struct_field(p, "Tags", "Tag", i, "Value");
        if (!k || !*k || strlen(k) > 128 || (v && strlen(v) > 256)) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Tag keys must be 1 to 128 characters and values at most 256.");
            cJSON_Delete(arr);
            return NULL;
        }
        if (strncasecmp(k, "aws:", 4) == 0) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Tag keys starting with 'aws:' are reserved for AWS use.");
            cJSON_Delete(arr);
            return NULL;
        }
        int idx = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, arr) {
            const cJSON *tk = cJSON_GetObjectItemCaseSensitive(t, "Key");
            if (cJSON_IsString(tk) && strcmp(tk->valuestring, k) == 0) {
                cJSON_DeleteItemFromArray(arr, idx);
                break;
            }
            idx++;
        }
        cJSON *tag = cJSON_CreateObject();
        cJSON_AddStringToObject(tag, "Key", k);
        cJSON_AddStringToObject(tag, "Value", v ? v : "");
        cJSON_AddItemToArray(arr, tag);
    }
    if (cJSON_GetArraySize(arr) > TAGS_MAX) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "A resource can have at most %d tags.", TAGS_MAX);
        cJSON_Delete(arr);
        return NULL;
    }
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return s;
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

/* The instance ResourceName (an instance ARN of this region) names. */
static bool tags_target(region *r, const params *p, store_instance *in, awserr *err)
{
    const char *arn = params_require(p, "ResourceName", err);
    if (!arn)
        return false;
    char *id = region_instance_arn_id(r, arn);
    if (!id)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The specified resource name does not match an RDS resource in this "
                          "region: %s", arn);
    bool found = false;
    store_instance_get(r->st, id, in, &found);
    if (!found)
        awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
    free(id);
    return found;
}

bool tags_action_list(region *r, const params *p, cJSON *result, awserr *err)
{
    store_instance in = {0};
    if (!tags_target(r, p, &in, err))
        return false;
    cJSON *tags = cJSON_Parse(in.tags ? in.tags : "[]");
    cJSON_AddItemToObject(result, "TagList", tags ? tags : cJSON_CreateArray());
    store_instance_clear(&in);
    return true;
}

/* Add or remove tags; rdsim:dns-ttl is applied to the endpoint at once. */
static bool tags_change(region *r, const params *p, bool add, awserr *err)
{
    store_instance in = {0};
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = false;
    char *tags = NULL;
    if (!tags_target(r, p, &in, err))
        goto done;
    if (add) {
        if (params_count_structs(p, "Tags", "Tag", err) <= 0) {
            if (err->code == AWSERR_NONE)
                awserr_set(err, AWSERR_MISSING_PARAMETER,
                           "The parameter Tags must be provided and must not be blank.");
            goto done;
        }
        tags = tags_merge(p, in.tags, err);
    } else {
        const char **keys = NULL;
        int n = params_get_list(p, "TagKeys", "member", &keys, err);
        if (n < 0)
            goto done;
        cJSON *arr = cJSON_Parse(in.tags ? in.tags : "[]");
        for (int i = 0; i < n; i++) {
            int idx = 0;
            const cJSON *t;
            cJSON_ArrayForEach(t, arr) {
                const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "Key");
                if (cJSON_IsString(k) && strcmp(k->valuestring, keys[i]) == 0) {
                    cJSON_DeleteItemFromArray(arr, idx);
                    break;
                }
                idx++;
            }
        }
        free(keys);
        tags = cJSON_PrintUnformatted(arr);
        cJSON_Delete(arr);
    }
    int64_t old_tag_ttl = -1, new_tag_ttl = -1;
    awserr ignore = {0};
    tags_dns_ttl(in.tags, &old_tag_ttl, &ignore);
    if (!tags || !tags_dns_ttl(tags, &new_tag_ttl, err))
        goto done;
    /* The tag drives the TTL for clients that cannot pass --dns-ttl. */
    if (new_tag_ttl != old_tag_ttl)
        in.dns_ttl = new_tag_ttl;
    instparams_set_str(&in.tags, tags);
    ok = store_instance_update(r->st, &in) && instparams_commit(r, err);
done:
    if (!ok)
        store_rollback(r->st);
    free(tags);
    store_instance_clear(&in);
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

