/* smapi: Secrets Manager's JSON 1.1 protocol (sm_api_handle in
 * secrets.h), for `aws secretsmanager`. Wire work only: members, paging
 * (MaxResults 1..100, NextToken a rowid), Filters (name); every decision
 * is a call of secrets.h. A reply holding a secret value is wiped before
 * it is freed. */
#include "controlplane/core/secrets.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/kms.h"
#include "lib/log.h"
#include "lib/util.h"

typedef bool (*sm_api_fn)(secrets *s, const cJSON *in, cJSON *out, sm_err *err);

static bool sm_api_str(const cJSON *in, const char *name, bool required, const char **out,
                       sm_err *err)
{
    *out = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return sm_err_set(err, SM_INVALID_PARAMETER, "You must provide %s.", name);
        return true;
    }
    if (!cJSON_IsString(v))
        return sm_err_set(err, SM_INVALID_PARAMETER, "%s must be a string.", name);
    if (required && !v->valuestring[0])
        return sm_err_set(err, SM_INVALID_PARAMETER, "%s must not be empty.", name);
    *out = v->valuestring;
    return true;
}

static bool sm_api_bool(const cJSON *in, const char *name, bool *out, sm_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsBool(v))
        return sm_err_set(err, SM_INVALID_PARAMETER, "%s must be a boolean.", name);
    *out = cJSON_IsTrue(v);
    return true;
}

static bool sm_api_int(const cJSON *in, const char *name, int64_t lo, int64_t hi, int64_t *out,
                       sm_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsNumber(v) || v->valuedouble < (double)lo || v->valuedouble > (double)hi ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return sm_err_set(err, SM_INVALID_PARAMETER, "%s must be a whole number from %lld to "
                          "%lld.", name, (long long)lo, (long long)hi);
    *out = (int64_t)v->valuedouble;
    return true;
}

/* Tags: [{"Key": 1..128, "Value": 0..256}], at most 50. */
static bool sm_api_tags(const cJSON *in, char **out, sm_err *err)
{
    *out = NULL;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "Tags");
    if (!t || cJSON_IsNull(t))
        return true;
    if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) > 50)
        return sm_err_set(err, SM_INVALID_PARAMETER, "Tags must be a list of at most 50 tags.");
    const cJSON *tag;
    cJSON_ArrayForEach(tag, t)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(tag, "Key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(tag, "Value");
        if (!cJSON_IsString(k) || !k->valuestring[0] || strlen(k->valuestring) > 128 ||
            (v && !cJSON_IsString(v)) || (v && strlen(v->valuestring) > 256))
            return sm_err_set(err, SM_INVALID_PARAMETER, "A tag needs a Key of 1 to 128 "
                              "characters and a Value of at most 256.");
        if (strncmp(k->valuestring, "aws:", 4) == 0)
            return sm_err_set(err, SM_INVALID_PARAMETER, "Tag keys starting with aws: are "
                              "reserved.");
    }
    *out = cJSON_PrintUnformatted(t);
    return true;
}

static bool sm_api_no_binary(const cJSON *in, sm_err *err)
{
    if (cJSON_GetObjectItemCaseSensitive(in, "SecretBinary"))
        return sm_err_set(err, SM_INVALID_PARAMETER, "rdsim's Secrets Manager keeps "
                          "SecretString values only.");
    return true;
}

static bool sm_api_create(secrets *s, const cJSON *in, cJSON *out, sm_err *err)
{
    sm_new n = {0};
    char *tags = NULL;
    if (!sm_api_str(in, "Name", true, &n.name, err) ||
        !sm_api_str(in, "Description", false, &n.description, err) ||
        !sm_api_str(in, "KmsKeyId", false, &n.kms_ref, err) ||
        !sm_api_str(in, "SecretString", false, &n.value, err) ||
        !sm_api_str(in, "ClientRequestToken", false, &n.token, err) ||
        !sm_api_no_binary(in, err) || !sm_api_tags(in, &tags, err))
        return false;
    if (!n.value) {
        free(tags);
        return sm_err_set(err, SM_INVALID_REQUEST, "rdsim's Secrets Manager needs the "
                          "SecretString of a new secret.");
    }
    n.tags_json = tags;
    char arn[SM_ARN_MAX], version[SM_VERSION_ID_MAX];
    bool good = secrets_create(s, &n, arn, version, NULL, err);
    free(tags);
    if (!good)
        return false;
    cJSON_AddStringToObject(out, "ARN", arn);
    cJSON_AddStringToObject(out, "Name", n.name);
    cJSON_AddStringToObject(out, "VersionId", version);
    return true;
}

static bool sm_api_put(secrets *s, const cJSON *in, cJSON *out, sm_err *err)
{
    const char *id, *value, *token;
    if (!sm_api_str(in, "SecretId", true, &id, err) ||
        !sm_api_str(in, "SecretString", false, &value, err) ||
        !sm_api_str(in, "ClientRequestToken", false, &token, err) || !sm_api_no_binary(in, err))
        return false;
    if (cJSON_GetObjectItemCaseSensitive(in, "VersionStages"))
        return sm_err_set(err, SM_INVALID_PARAMETER, "rdsim's Secrets Manager stages a new "
                          "value AWSCURRENT only.");
    char arn[SM_ARN_MAX], version[SM_VERSION_ID_MAX];
    if (!secrets_put_value(s, id, value, token, arn, version, err))
        return false;
    const char *name = strstr(arn, ":secret:") + 8;
    cJSON_AddStringToObject(out, "ARN", arn);
    cJSON_AddStringToObject(out, "Name", name);
    cJSON_GetObjectItemCaseSensitive(out, "Name")->valuestring[strlen(name) - 7] = '\0';
    cJSON_AddStringToObject(out, "VersionId", version);
    cJSON *st = cJSON_AddArrayToObject(out, "VersionStages");
    cJSON_AddItemToArray(st, cJSON_CreateString("AWSCURRENT"));
    return true;
}

static bool sm_api_get(secrets *s, const cJSON *in, cJSON *out, sm_err *err)
{
    const char *id, *vid, *stage;
    if (!sm_api_str(in, "SecretId", true, &id, err) ||
        !sm_api_str(in, "VersionId", false, &vid, err) ||
        !sm_api_str(in, "VersionStage", false, &stage, err))
        return false;
    return secrets_get_value(s, id, vid, stage, out, err);
}

static bool sm_api_describe(secrets *s, const cJSON *in, cJSON *out, sm_err *err)
{
    const char *id;
    if (!sm_api_str(in, "SecretId", true, &id, err))
        return false;
    return secrets_describe(s, id, out, err);
}

#define SM_FILTER_MAX 10

/* Filters: name only (and "all" is refused), each value up to 512. */
static int sm_api_filters(const cJSON *in, const char **names, sm_err *err)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(in, "Filters");
    int n = 0;
    if (!f || cJSON_IsNull(f))
        return 0;
    if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) > SM_FILTER_MAX)
        return sm_err_set(err, SM_INVALID_PARAMETER, "Filters must be a list of at most %d.",
                          SM_FILTER_MAX) ? 0 : -1;
    const cJSON *one;
    cJSON_ArrayForEach(one, f)
    {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(one, "Key");
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(one, "Values");
        if (!cJSON_IsString(key) || strcmp(key->valuestring, "name") != 0)
            return sm_err_set(err, SM_INVALID_PARAMETER, "rdsim's ListSecrets filters on the "
                              "key name only.") ? 0 : -1;
        const cJSON *v;
        cJSON_ArrayForEach(v, vals)
        {
            if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > 512 ||
                n == SM_FILTER_MAX)
                return sm_err_set(err, SM_INVALID_PARAMETER, "A filter value must be 1 to 512 "
                                  "characters, at most %d in all.", SM_FILTER_MAX) ? 0 : -1;
            names[n++] = v->valuestring;
        }
    }
    return n;
}

static bool sm_api_list(secrets *s, const cJSON *in, cJSON *out, sm_err *err)
{
    int64_t limit = 100, after = 0;
    const char *token;
    const char *names[SM_FILTER_MAX];
    if (!sm_api_int(in, "MaxResults", 1, 100, &limit, err) ||
        !sm_api_str(in, "NextToken", false, &token, err))
        return false;
    if (token && !str_to_int64(token, 1, INT64_MAX, &after))
        return sm_err_set(err, SM_INVALID_PARAMETER, "Invalid NextToken.");
    int n = sm_api_filters(in, names, err);
    if (n < 0)
        return false;
    cJSON *arr = cJSON_CreateArray();
    int64_t next = 0;
    if (!secrets_list(s, after, limit, names, n, arr, &next, err)) {
        cJSON_Delete(arr);
        return false;
    }
    cJSON_AddItemToObject(out, "SecretList", arr);
    if (next) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)next);
        cJSON_AddStringToObject(out, "NextToken", buf);
    }
    return true;
}

static bool sm_api_rotate(secrets *s, const cJSON *in, cJSON *out, sm_err *err)
{
    const char *id, *token, *lambda;
    bool now = true;
    if (!sm_api_str(in, "SecretId", true, &id, err) ||
        !sm_api_str(in, "ClientRequestToken", false, &token, err) ||
        !sm_api_str(in, "RotationLambdaARN", false, &lambda, err) ||
        !sm_api_bool(in, "RotateImmediately", &now, err))
        return false;
    if (lambda)
        return sm_err_set(err, SM_INVALID_REQUEST, "rdsim runs no Lambda: only secrets "
                          "managed by RDS rotate here.");
    if (!now)
        return sm_err_set(err, SM_INVALID_REQUEST, "rdsim rotates immediately only.");
    char arn[SM_ARN_MAX], version[SM_VERSION_ID_MAX];
    if (!secrets_rotate(s, id, token, arn, version, err))
        return false;
    cJSON_AddStringToObject(out, "ARN", arn);
    cJSON *d = cJSON_CreateObject();
    if (secrets_describe(s, arn, d, NULL))
        cJSON_AddStringToObject(out, "Name",
                                cJSON_GetObjectItemCaseSensitive(d, "Name")->valuestring);
    cJSON_Delete(d);
    cJSON_AddStringToObject(out, "VersionId", version);
    return true;
}

static bool sm_api_delete(secrets *s, const cJSON *in, cJSON *out, sm_err *err)
{
    const char *id;
    bool force = false;
    int64_t days = 30;
    if (!sm_api_str(in, "SecretId", true, &id, err) ||
        !sm_api_bool(in, "ForceDeleteWithoutRecovery", &force, err) ||
        !sm_api_int(in, "RecoveryWindowInDays", 0, 1000, &days, err))
        return false;
    if (force && cJSON_GetObjectItemCaseSensitive(in, "RecoveryWindowInDays"))
        return sm_err_set(err, SM_INVALID_PARAMETER, "You can't use ForceDeleteWithoutRecovery "
                          "in conjunction with RecoveryWindowInDays.");
    cJSON *d = cJSON_CreateObject();
    bool owned = secrets_describe(s, id, d, NULL) &&
                 cJSON_GetObjectItemCaseSensitive(d, "OwningService");
    cJSON_Delete(d);
    if (owned)
        return sm_err_set(err, SM_INVALID_REQUEST, "You can't delete secret %s that is managed "
                          "by rds: turn off the instance's ManageMasterUserPassword.", id);
    char arn[SM_ARN_MAX], name[SM_NAME_MAX + 1];
    int64_t when = 0;
    if (!secrets_delete(s, id, force, (int)days, arn, name, &when, err))
        return false;
    cJSON_AddStringToObject(out, "ARN", arn);
    cJSON_AddStringToObject(out, "Name", name);
    cJSON_AddNumberToObject(out, "DeletionDate", (double)when / 1000.0);
    return true;
}

static const struct {
    const char *name;
    sm_api_fn fn;
} sm_api_table[] = {
    {"CreateSecret", sm_api_create},     {"PutSecretValue", sm_api_put},
    {"GetSecretValue", sm_api_get},      {"DescribeSecret", sm_api_describe},
    {"ListSecrets", sm_api_list},        {"RotateSecret", sm_api_rotate},
    {"DeleteSecret", sm_api_delete},
};

bool sm_api_handle(secrets *s, const char *target, const char *body, size_t len, char **reply,
                   int *status)
{
    static const char prefix[] = "secretsmanager.";
    sm_err err = {0};
    cJSON *in = NULL, *out = NULL;
    const char *op = target ? target : "(none)";
    sm_api_fn fn = NULL;
    if (target && strncmp(target, prefix, sizeof prefix - 1) == 0) {
        op = target + sizeof prefix - 1;
        for (size_t i = 0; i < sizeof sm_api_table / sizeof sm_api_table[0]; i++)
            if (strcmp(op, sm_api_table[i].name) == 0)
                fn = sm_api_table[i].fn;
    }
    if (!fn) {
        sm_err_set(&err, SM_UNKNOWN_OPERATION, "Unknown operation %s", op);
        goto done;
    }
    if (len > SM_API_MAX_BODY) {
        sm_err_set(&err, SM_INVALID_REQUEST, "The request body is larger than %d bytes.",
                   SM_API_MAX_BODY);
        goto done;
    }
    in = len ? cJSON_ParseWithLength(body, len) : cJSON_CreateObject();
    if (!cJSON_IsObject(in)) {
        sm_err_set(&err, SM_INVALID_REQUEST, "The request body is not a JSON object.");
        goto done;
    }
    out = cJSON_CreateObject();
    if (!fn(s, in, out, &err) && err.code == SM_OK)
        sm_err_set(&err, SM_INTERNAL, "The request failed for an internal reason.");
done:
    if (err.code != SM_OK) {
        sm_wipe_json(out);
        cJSON_Delete(out);
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "__type", sm_err_name(err.code));
        cJSON_AddStringToObject(out, "message", err.message);
        *status = err.code == SM_INTERNAL ? 500 : 400;
        LOG_INFO("secretsmanager api op=%s status=%d code=%s", op, *status,
                 sm_err_name(err.code));
    } else {
        *status = 200;
        LOG_INFO("secretsmanager api op=%s status=200", op);
    }
    *reply = cJSON_PrintUnformatted(out);
    sm_wipe_json(out);
    cJSON_Delete(out);
    sm_wipe_json(in);
    cJSON_Delete(in);
    return *status == 200;
}
