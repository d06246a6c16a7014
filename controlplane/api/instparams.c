/* instparams: see instparams.h. */
#include "controlplane/api/instparams.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/validate.h"
#include "lib/util.h"

bool instparams_load(region *r, const params *p, const char *param, store_instance *in,
                     awserr *err)
{
    const char *v = params_require(p, param, err);
    if (!v)
        return false;
    char *id = region_instance_id_from(v);
    bool found = false;
    store_instance_get(r->st, id, in, &found);
    if (!found)
        awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", id);
    free(id);
    return found;
}

void instparams_set_str(char **field, const char *value)
{
    char *copy = value ? xstrdup(value) : NULL;
    free(*field);
    *field = copy;
}

bool instparams_read_extra(const params *p, cJSON *extra, awserr *err)
{
    int64_t mi = 0;
    bool has_mi = false;
    if (!params_get_int(p, "MonitoringInterval", INT32_MIN, INT32_MAX, &mi, &has_mi, err))
        return false;
    const cJSON *old_mi = cJSON_GetObjectItemCaseSensitive(extra, "MonitoringInterval");
    if (!has_mi && cJSON_IsNumber(old_mi))
        mi = (int64_t)old_mi->valuedouble;
    if (!validate_monitoring_interval(mi, err))
        return false;
    const char *role = params_get(p, "MonitoringRoleArn");
    const cJSON *old_role = cJSON_GetObjectItemCaseSensitive(extra, "MonitoringRoleArn");
    bool has_role = (role && *role) || (!role && cJSON_IsString(old_role));
    if (mi != 0 && !has_role)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "A MonitoringRoleARN value is required if you specify a "
                          "MonitoringInterval value other than 0.");
    if (mi == 0 && role && *role)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "A MonitoringInterval value other than 0 is required if you specify a "
                          "MonitoringRoleARN value.");
    if (role && strncmp(role, "arn:aws:iam::", 13) != 0 && *role)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid MonitoringRoleArn: %s is not an IAM role ARN.", role);
    cJSON_DeleteItemFromObject(extra, "MonitoringInterval");
    cJSON_AddNumberToObject(extra, "MonitoringInterval", (double)mi);
    if (role) {
        cJSON_DeleteItemFromObject(extra, "MonitoringRoleArn");
        if (*role)
            cJSON_AddStringToObject(extra, "MonitoringRoleArn", role);
    }
    const char *const flags[] = {"AutoMinorVersionUpgrade", "CopyTagsToSnapshot",
                                 "PubliclyAccessible", NULL};
    for (int i = 0; flags[i]; i++) {
        bool v = false, present = false;
        if (!params_get_bool(p, flags[i], &v, &present, err))
            return false;
        if (present) {
            cJSON_DeleteItemFromObject(extra, flags[i]);
            cJSON_AddBoolToObject(extra, flags[i], v);
        }
    }
    return true;
}

/* Applies EnableLogTypes/DisableLogTypes (or the create-time list) to
 * extra.EnabledCloudwatchLogsExports. */
bool instparams_apply_log_exports(const params *p, const char *list_name, const char *item,
                                  bool enable, cJSON *extra, awserr *err)
{
    const char **types = NULL;
    int n = params_get_list(p, list_name, item, &types, err);
    if (n < 0)
        return false;
    cJSON *cur = cJSON_GetObjectItemCaseSensitive(extra, "EnabledCloudwatchLogsExports");
    if (!cJSON_IsArray(cur)) {
        cJSON_DeleteItemFromObject(extra, "EnabledCloudwatchLogsExports");
        cur = cJSON_AddArrayToObject(extra, "EnabledCloudwatchLogsExports");
    }
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (!validate_log_export_type(types[i], err)) {
            ok = false;
            break;
        }
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
    return ok;
}

bool instparams_commit(region *r, awserr *err)
{
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}
