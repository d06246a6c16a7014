/* restags: see restags.h. */
#include "controlplane/core/restags.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controlplane/core/sqlrow.h"
#include "lib/util.h"

/* Index of the tag with key k in arr, or -1. */
static int tag_index(const cJSON *arr, const char *k)
{
    int idx = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, arr) {
        const cJSON *tk = cJSON_GetObjectItemCaseSensitive(t, "Key");
        if (cJSON_IsString(tk) && strcmp(tk->valuestring, k) == 0)
            return idx;
        idx++;
    }
    return -1;
}

static cJSON *parse_array(const char *json)
{
    cJSON *arr = cJSON_Parse(json ? json : "[]");
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        arr = cJSON_CreateArray();
    }
    return arr;
}

char *restags_merge(const params *p, const char *existing, awserr *err)
{
    return restags_merge_list(p, "Tags", "Tag", existing, err);
}

char *restags_merge_list(const params *p, const char *list, const char *item,
                         const char *existing, awserr *err)
{
    int n = params_count_structs(p, list, item, err);
    if (n < 0)
        return NULL;
    cJSON *arr = parse_array(existing);
    for (int i = 1; i <= n; i++) {
        const char *k = params_get_struct_field(p, list, item, i, "Key");
        const char *v = params_get_struct_field(p, list, item, i, "Value");
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
        int idx = tag_index(arr, k);
        if (idx >= 0)
            cJSON_DeleteItemFromArray(arr, idx);
        cJSON *tag = cJSON_CreateObject();
        cJSON_AddStringToObject(tag, "Key", k);
        cJSON_AddStringToObject(tag, "Value", v ? v : "");
        cJSON_AddItemToArray(arr, tag);
    }
    if (cJSON_GetArraySize(arr) > RESTAGS_MAX) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "A resource can have at most %d tags.",
                   RESTAGS_MAX);
        cJSON_Delete(arr);
        return NULL;
    }
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return s;
}

char *restags_remove(const params *p, const char *existing, awserr *err)
{
    const char **keys = NULL;
    int n = params_get_list(p, "TagKeys", "member", &keys, err);
    if (n < 0)
        return NULL;
    cJSON *arr = parse_array(existing);
    for (int i = 0; i < n; i++) {
        int idx = tag_index(arr, keys[i]);
        if (idx >= 0)
            cJSON_DeleteItemFromArray(arr, idx);
    }
    free(keys);
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return s;
}

char *restags_get(store *s, const char *type, const char *name)
{
    sqlite3_stmt *st =
        sqlrow_prepare(s, "SELECT tags FROM resource_tags WHERE type = ? AND name = ?");
    if (!st)
        return NULL;
    sqlrow_bind_text(st, 1, type);
    sqlrow_bind_text(st, 2, name);
    char *tags = NULL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        tags = sqlrow_text(st, 0);
    else if (rc == SQLITE_DONE)
        tags = xstrdup("[]");
    sqlite3_finalize(st);
    return tags;
}

bool restags_put(store *s, const char *type, const char *name, const char *tags)
{
    bool none = !tags || strcmp(tags, "[]") == 0;
    sqlite3_stmt *st = sqlrow_prepare(
        s, none ? "DELETE FROM resource_tags WHERE type = ? AND name = ?"
                : "REPLACE INTO resource_tags(type, name, tags) VALUES(?, ?, ?)");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, type);
    sqlrow_bind_text(st, 2, name);
    if (!none)
        sqlrow_bind_text(st, 3, tags);
    return sqlrow_run(st);
}

bool restags_create(store *s, const char *type, const char *name, const params *p, awserr *err)
{
    int n = params_count_structs(p, "Tags", "Tag", err);
    if (n < 0)
        return false;
    if (n == 0)
        return true;
    char *tags = restags_merge(p, NULL, err);
    if (!tags)
        return false;
    bool ok = restags_put(s, type, name, tags);
    free(tags);
    if (!ok)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    return true;
}
