/* instextra: see instextra.h.
 *
 * Values are replaced, never duplicated: every setter deletes the key
 * before adding it, so a key appears at most once in the object (cJSON
 * would otherwise keep both and readers would see the first). */
#include "controlplane/core/instextra.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/validate.h"
#include "lib/util.h"

cJSON *instextra_parse(const store_instance *in)
{
    cJSON *x = in->extra ? cJSON_Parse(in->extra) : NULL;
    if (!cJSON_IsObject(x)) {
        cJSON_Delete(x);
        x = cJSON_CreateObject();
    }
    return x;
}

cJSON *instextra_new(void)
{
    return cJSON_CreateObject();
}

void instextra_store(store_instance *in, const cJSON *x)
{
    char *text = cJSON_PrintUnformatted(x);
    free(in->extra);
    in->extra = text;
}

const char *instextra_str(const cJSON *x, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool instextra_bool(const cJSON *x, const char *key, bool dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, key);
    return v ? cJSON_IsTrue(v) : dflt;
}

int64_t instextra_int(const cJSON *x, const char *key, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

cJSON *instextra_array(const cJSON *x, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(x, key);
    return cJSON_IsArray(v) ? v : NULL;
}

cJSON *instextra_object(const cJSON *x, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(x, key);
    return cJSON_IsObject(v) ? v : NULL;
}

bool instextra_has(const cJSON *x, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(x, key) != NULL;
}

void instextra_remove(cJSON *x, const char *key)
{
    cJSON_DeleteItemFromObjectCaseSensitive(x, key);
}

cJSON *instextra_set_item(cJSON *x, const char *key, cJSON *item)
{
    instextra_remove(x, key);
    cJSON_AddItemToObject(x, key, item);
    return item;
}

void instextra_set_str(cJSON *x, const char *key, const char *v)
{
    instextra_set_item(x, key, cJSON_CreateString(v));
}

void instextra_set_bool(cJSON *x, const char *key, bool v)
{
    instextra_set_item(x, key, cJSON_CreateBool(v));
}

void instextra_set_int(cJSON *x, const char *key, int64_t v)
{
    instextra_set_item(x, key, cJSON_CreateNumber((double)v));
}

/* ---- one value of a row ---- */

int64_t instextra_monitoring_interval(const store_instance *in)
{
    cJSON *x = instextra_parse(in);
    int64_t v = instextra_int(x, INSTEXTRA_MONITORING_INTERVAL, 0);
    cJSON_Delete(x);
    return v;
}

bool instextra_public(const store_instance *in)
{
    cJSON *x = instextra_parse(in);
    bool v = instextra_bool(x, INSTEXTRA_PUBLIC, false);
    cJSON_Delete(x);
    return v;
}

bool instextra_iam_db_auth(const store_instance *in)
{
    cJSON *x = instextra_parse(in);
    bool v = instextra_bool(x, INSTEXTRA_IAM_DB_AUTH, false);
    cJSON_Delete(x);
    return v;
}

bool instextra_auto_minor_upgrade(const store_instance *in)
{
    cJSON *x = instextra_parse(in);
    bool v = instextra_bool(x, INSTEXTRA_AUTO_MINOR_UPGRADE, true);
    cJSON_Delete(x);
    return v;
}

const char *instextra_subnet_group(const store_instance *in, const char *dflt, char *buf,
                                   size_t len)
{
    cJSON *x = instextra_parse(in);
    const char *g = instextra_str(x, INSTEXTRA_SUBNET_GROUP);
    snprintf(buf, len, "%s", g ? g : dflt);
    cJSON_Delete(x);
    return buf;
}

cJSON *instextra_security_groups(const store_instance *in)
{
    cJSON *x = instextra_parse(in);
    const cJSON *ids = instextra_array(x, INSTEXTRA_SECURITY_GROUPS);
    cJSON *out = ids ? cJSON_Duplicate(ids, true) : NULL;
    cJSON_Delete(x);
    return out;
}

bool instextra_names_security_group(const store_instance *in, const char *sg_id)
{
    cJSON *x = instextra_parse(in);
    bool named = false;
    const cJSON *g;
    cJSON_ArrayForEach(g, instextra_array(x, INSTEXTRA_SECURITY_GROUPS))
        named |= cJSON_IsString(g) && strcmp(g->valuestring, sg_id) == 0;
    cJSON_Delete(x);
    return named;
}

/* Applies EnableLogTypes/DisableLogTypes (or the create-time list) to
 * extra.EnabledCloudwatchLogsExports. Every unknown type is named in one
 * error, as RDS names them. */
bool instextra_apply_log_exports(const params *p, const char *list_name, const char *item,
                                 bool enable, const char *engine_version, cJSON *extra,
                                 awserr *err)
{
    const char **types = NULL;
    int n = params_get_list(p, list_name, item, &types, err);
    if (n < 0)
        return false;
    sbuf bad = {0};
    awserr ignored = {0};
    for (int i = 0; i < n; i++)
        if (!validate_log_export_type(types[i], &ignored) && bad.len < 400)
            sbuf_printf(&bad, "%s'%.64s'", bad.len ? ", " : "", types[i]);
    if (bad.len) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                   "You cannot use the log types %s with engine version postgres %s. For "
                   "supported log types, see the documentation.", bad.data,
                   engine_version ? engine_version : "");
        sbuf_free(&bad);
        free(types);
        return false;
    }
    cJSON *cur = instextra_array(extra, INSTEXTRA_LOG_EXPORTS);
    if (!cur)
        cur = instextra_set_item(extra, INSTEXTRA_LOG_EXPORTS, cJSON_CreateArray());
    for (int i = 0; i < n; i++) {
        int idx = 0, found = -1;
        const cJSON *e;
        cJSON_ArrayForEach(e, cur) {
            if (cJSON_IsString(e) && strcmp(e->valuestring, types[i]) == 0)
                found = idx;
            idx++;
        }
        if (enable && found < 0)
            cJSON_AddItemToArray(cur, cJSON_CreateString(types[i]));
        if (!enable && found >= 0)
            cJSON_DeleteItemFromArray(cur, found);
    }
    free(types);
    return true;
}
