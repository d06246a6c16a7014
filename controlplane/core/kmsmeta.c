/* kmsmeta: what AWS KMS keeps about a key besides its material and state
 * (kms.h, "key policy, rotation, tags"): the key policy document, the
 * automatic rotation setting and the tags, in table kms_key_meta, and the
 * description's update. Built on kms.h's resolution of key references
 * (kms_key_describe), so a reference means the same here as in DescribeKey.
 *
 * Invariants:
 *  1. A key without a row reads as AWS's defaults (kms.h); a row is
 *     written only by a change, inside a SAVEPOINT of its own.
 *  2. tags is always a JSON array of {TagKey, TagValue}, keys unique, in
 *     the order first added.
 *  3. Rotation changes nothing cryptographic here: rdsim's keys keep one
 *     material (a rotated AWS key still decrypts everything it sealed, so
 *     a user sees no difference); the setting and its dates are what the
 *     API reports. */
#include "controlplane/core/kms.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

#define KMS_DAY_MS (86400 * (int64_t)1000)

typedef struct {
    char *policy;       /* NULL: the default */
    int rotation_days;  /* 0: off */
    int64_t rotation_from_ms;
    cJSON *tags;        /* owned */
} kms_meta;

static void meta_clear(kms_meta *m)
{
    free(m->policy);
    cJSON_Delete(m->tags);
    memset(m, 0, sizeof *m);
}

static bool meta_sql_failed(kms *k, kms_err *err)
{
    LOG_ERROR("kms: key meta sql failed err=\"%s\"", sqlite3_errmsg(kms_db(k)));
    return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
}

/* Loads key_id's row, or the defaults for key (an AWS managed key rotates). */
static bool meta_load(kms *k, const kms_key *key, kms_meta *m, kms_err *err)
{
    memset(m, 0, sizeof *m);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(kms_db(k), "SELECT policy, rotation_days, rotation_from_ms, tags"
                                      " FROM kms_key_meta WHERE key_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return meta_sql_failed(k, err);
    sqlite3_bind_text(st, 1, key->key_id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 0);
        m->policy = p ? xstrdup(p) : NULL;
        m->rotation_days = sqlite3_column_int(st, 1);
        m->rotation_from_ms = sqlite3_column_int64(st, 2);
        const char *t = (const char *)sqlite3_column_text(st, 3);
        m->tags = t ? cJSON_Parse(t) : NULL;
    } else if (key->aws_managed) {
        m->rotation_days = KMS_ROTATION_DEFAULT_DAYS;
        m->rotation_from_ms = key->created_ms;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return meta_sql_failed(k, err);
    if (!cJSON_IsArray(m->tags)) {
        cJSON_Delete(m->tags);
        m->tags = cJSON_CreateArray();
    }
    return true;
}

static bool meta_save(kms *k, const char *key_id, const kms_meta *m, kms_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(kms_db(k), "INSERT OR REPLACE INTO kms_key_meta(key_id, policy,"
                                      " rotation_days, rotation_from_ms, tags)"
                                      " VALUES(?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return meta_sql_failed(k, err);
    char *tags = cJSON_PrintUnformatted(m->tags);
    sqlite3_bind_text(st, 1, key_id, -1, SQLITE_TRANSIENT);
    if (m->policy)
        sqlite3_bind_text(st, 2, m->policy, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int(st, 3, m->rotation_days);
    sqlite3_bind_int64(st, 4, m->rotation_from_ms);
    sqlite3_bind_text(st, 5, tags, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    free(tags);
    if (rc != SQLITE_DONE)
        return meta_sql_failed(k, err);
    return true;
}

static bool meta_exec(kms *k, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(kms_db(k), sql, NULL, NULL, &msg) == SQLITE_OK)
        return true;
    LOG_ERROR("kms: key meta sql failed sql=\"%s\" err=\"%s\"", sql, msg ? msg : "?");
    sqlite3_free(msg);
    return false;
}

/* A change of kind `op` to key_ref's row: resolves the key, checks its
 * state (managed: refused on an AWS managed key; need_enabled: DISABLED for
 * a disabled key), loads the row for the caller to change. */
static bool meta_open(kms *k, const char *key_ref, const char *op, bool managed,
                      bool need_enabled, kms_key *key, kms_meta *m, kms_err *err)
{
    if (!kms_key_describe(k, key_ref, key, err))
        return false;
    bool good = true;
    if (managed && key->aws_managed)
        good = kms_err_set(err, KMS_ACCESS_DENIED, "You cannot perform %s on the AWS managed "
                                                   "key %s.", op, key->arn);
    else if (key->state == KMS_KEY_PENDING_DELETION)
        good = kms_err_set(err, KMS_INVALID_STATE, "%s is pending deletion.", key->arn);
    else if (need_enabled && key->state == KMS_KEY_DISABLED)
        good = kms_err_set(err, KMS_DISABLED, "%s is disabled.", key->arn);
    if (good)
        good = meta_load(k, key, m, err);
    if (!good)
        kms_key_clear(key);
    return good;
}

/* Saves m as key's row, closes both; logs the change. */
static bool meta_close(kms *k, kms_key *key, kms_meta *m, const char *what, kms_err *err)
{
    bool good = meta_exec(k, "SAVEPOINT kmsmeta");
    good = good && meta_save(k, key->key_id, m, err);
    if (good)
        good = meta_exec(k, "RELEASE kmsmeta");
    else if (!meta_exec(k, "ROLLBACK TO kmsmeta; RELEASE kmsmeta") || err->code == KMS_OK)
        kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    if (good)
        LOG_INFO("kms: key %s key_id=%s", what, key->key_id);
    kms_key_clear(key);
    meta_clear(m);
    return good;
}

/* ---- policy ------------------------------------------------------------- */

char *kms_default_policy(const kms *k)
{
    return xasprintf("{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n"
                     "  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n"
                     "    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : "
                     "\"arn:aws:iam::%s:root\"\n    },\n    \"Action\" : \"kms:*\",\n"
                     "    \"Resource\" : \"*\"\n  } ]\n}",
                     kms_account(k));
}

static bool policy_valid(const char *policy, kms_err *err)
{
    if (strlen(policy) > KMS_POLICY_MAX)
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value at 'policy' "
                                                "failed to satisfy constraint: Member must have "
                                                "length less than or equal to %d", KMS_POLICY_MAX);
    cJSON *doc = cJSON_Parse(policy);
    const cJSON *stmts = cJSON_GetObjectItemCaseSensitive(doc, "Statement");
    bool good = cJSON_IsObject(doc) && ((cJSON_IsArray(stmts) && cJSON_GetArraySize(stmts) > 0) ||
                                        cJSON_IsObject(stmts));
    cJSON_Delete(doc);
    if (!good)
        return kms_err_set(err, KMS_MALFORMED_POLICY, "The new key policy will not allow you to "
                                                      "update the key policy in the future.");
    return true;
}

/* The key and its metadata for a read: describe + load. The caller clears
 * both (meta_clear, kms_key_clear) whatever the answer. */
static bool meta_read(kms *k, const char *key_ref, kms_key *key, kms_meta *m, kms_err *err)
{
    memset(m, 0, sizeof *m);
    if (!kms_key_describe(k, key_ref, key, err)) {
        memset(key, 0, sizeof *key);
        return false;
    }
    return meta_load(k, key, m, err);
}

bool kms_key_policy_get(kms *k, const char *key_ref, char **policy, kms_err *err)
{
    kms_key key;
    kms_meta m;
    bool good = meta_read(k, key_ref, &key, &m, err);
    if (good) {
        *policy = m.policy ? m.policy : kms_default_policy(k);
        m.policy = NULL;
    }
    meta_clear(&m);
    kms_key_clear(&key);
    return good;
}

bool kms_key_policy_put(kms *k, const char *key_ref, const char *policy, kms_err *err)
{
    kms_key key;
    kms_meta m;
    if (!policy_valid(policy, err) ||
        !meta_open(k, key_ref, "PutKeyPolicy", true, false, &key, &m, err))
        return false;
    free(m.policy);
    m.policy = xstrdup(policy);
    return meta_close(k, &key, &m, "policy put", err);
}

/* ---- rotation ----------------------------------------------------------- */

bool kms_key_rotation_get(kms *k, const char *key_ref, bool *enabled, int *days,
                          int64_t *next_ms, char *arn, kms_err *err)
{
    kms_key key;
    kms_meta m;
    bool good = meta_read(k, key_ref, &key, &m, err);
    if (good) {
        *enabled = m.rotation_days > 0;
        *days = m.rotation_days;
        *next_ms = 0;
        if (*enabled) {
            /* The next anniversary of the period after now. */
            int64_t period = (int64_t)m.rotation_days * KMS_DAY_MS;
            int64_t now = kms_clock_ms(k);
            int64_t n = now > m.rotation_from_ms ? (now - m.rotation_from_ms) / period + 1 : 1;
            *next_ms = m.rotation_from_ms + n * period;
        }
        snprintf(arn, KMS_ARN_MAX, "%s", key.arn);
    }
    meta_clear(&m);
    kms_key_clear(&key);
    return good;
}

bool kms_key_rotation_set(kms *k, const char *key_ref, bool enable, int days, kms_err *err)
{
    if (enable && (days < 90 || days > 2560))
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value '%d' at "
                                                "'rotationPeriodInDays' failed to satisfy "
                                                "constraint: Member must have value between 90 "
                                                "and 2560", days);
    kms_key key;
    kms_meta m;
    if (!meta_open(k, key_ref, enable ? "EnableKeyRotation" : "DisableKeyRotation", true, true,
                   &key, &m, err))
        return false;
    if (enable && m.rotation_days != days) {
        m.rotation_days = days;
        m.rotation_from_ms = kms_clock_ms(k);
    } else if (!enable) {
        m.rotation_days = 0;
        m.rotation_from_ms = 0;
    }
    return meta_close(k, &key, &m, enable ? "rotation enabled" : "rotation disabled", err);
}

/* ---- tags --------------------------------------------------------------- */

bool kms_key_tags_get(kms *k, const char *key_ref, cJSON **tags, kms_err *err)
{
    kms_key key;
    kms_meta m;
    bool good = meta_read(k, key_ref, &key, &m, err);
    if (good) {
        *tags = m.tags;
        m.tags = NULL;
    }
    meta_clear(&m);
    kms_key_clear(&key);
    return good;
}

static cJSON *tag_find(cJSON *tags, const char *name)
{
    cJSON *it;
    cJSON_ArrayForEach(it, tags) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "TagKey");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return it;
    }
    return NULL;
}

/* Merges the request's tags into have (checked first, all or none). */
static bool tags_merge(cJSON *have, const cJSON *add, kms_err *err)
{
    if (!cJSON_IsArray(add))
        return kms_err_set(err, KMS_SERIALIZATION, "Tags must be a list of {TagKey, TagValue}.");
    const cJSON *t;
    cJSON_ArrayForEach(t, add) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(t, "TagKey");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "TagValue");
        if (!cJSON_IsString(n) || !cJSON_IsString(v))
            return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: a tag needs "
                                                    "a TagKey and a TagValue");
        size_t nl = strlen(n->valuestring), vl = strlen(v->valuestring);
        if (nl < 1 || nl > 128 || vl > 256)
            return kms_err_set(err, KMS_TAG, "Tag keys are 1 to 128 characters and values 0 "
                                             "to 256.");
        if (strncmp(n->valuestring, "aws:", 4) == 0)
            return kms_err_set(err, KMS_TAG, "Tags beginning with aws: are reserved.");
    }
    cJSON_ArrayForEach(t, add) {
        const char *n = cJSON_GetObjectItemCaseSensitive(t, "TagKey")->valuestring;
        const char *v = cJSON_GetObjectItemCaseSensitive(t, "TagValue")->valuestring;
        cJSON *old = tag_find(have, n);
        if (old) {
            cJSON_ReplaceItemInObjectCaseSensitive(old, "TagValue", cJSON_CreateString(v));
            continue;
        }
        cJSON *nt = cJSON_CreateObject();
        cJSON_AddStringToObject(nt, "TagKey", n);
        cJSON_AddStringToObject(nt, "TagValue", v);
        cJSON_AddItemToArray(have, nt);
    }
    if (cJSON_GetArraySize(have) > KMS_TAGS_MAX)
        return kms_err_set(err, KMS_TAG, "A key can have at most %d tags.", KMS_TAGS_MAX);
    return true;
}

bool kms_key_tags_add(kms *k, const char *key_ref, const cJSON *tags, kms_err *err)
{
    kms_key key;
    kms_meta m;
    if (!meta_open(k, key_ref, "TagResource", true, false, &key, &m, err))
        return false;
    if (!tags_merge(m.tags, tags, err)) {
        kms_key_clear(&key);
        meta_clear(&m);
        return false;
    }
    return meta_close(k, &key, &m, "tagged", err);
}

bool kms_key_tags_remove(kms *k, const char *key_ref, const cJSON *keys, kms_err *err)
{
    if (!cJSON_IsArray(keys))
        return kms_err_set(err, KMS_SERIALIZATION, "TagKeys must be a list of strings.");
    const cJSON *n;
    cJSON_ArrayForEach(n, keys)
        if (!cJSON_IsString(n) || !n->valuestring[0] || strlen(n->valuestring) > 128)
            return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: tag keys are "
                                                    "1 to 128 characters");
    kms_key key;
    kms_meta m;
    if (!meta_open(k, key_ref, "UntagResource", true, false, &key, &m, err))
        return false;
    cJSON_ArrayForEach(n, keys) {
        cJSON *old = tag_find(m.tags, n->valuestring);
        if (old)
            cJSON_Delete(cJSON_DetachItemViaPointer(m.tags, old));
    }
    return meta_close(k, &key, &m, "untagged", err);
}

/* ---- description and CreateKey ------------------------------------------ */

bool kms_key_set_description(kms *k, const char *key_ref, const char *description,
                             kms_err *err)
{
    if (strlen(description) > 8192)
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value at "
                                                "'description' failed to satisfy constraint: "
                                                "Member must have length less than or equal to "
                                                "8192");
    kms_key key;
    kms_meta m;
    if (!meta_open(k, key_ref, "UpdateKeyDescription", true, false, &key, &m, err))
        return false;
    meta_clear(&m);
    sqlite3_stmt *st = NULL;
    bool good = sqlite3_prepare_v2(kms_db(k), "UPDATE kms_keys SET description = ?"
                                              " WHERE key_id = ?", -1, &st, NULL) == SQLITE_OK;
    if (good) {
        sqlite3_bind_text(st, 1, description, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, key.key_id, -1, SQLITE_TRANSIENT);
        good = sqlite3_step(st) == SQLITE_DONE;
    }
    sqlite3_finalize(st);
    if (!good)
        meta_sql_failed(k, err);
    else
        LOG_INFO("kms: key description updated key_id=%s", key.key_id);
    kms_key_clear(&key);
    return good;
}

bool kms_key_create_full(kms *k, const char *description, const char *policy,
                         const cJSON *tags, kms_key *out, kms_err *err)
{
    kms_meta m = {0};
    m.tags = cJSON_CreateArray();
    if ((policy && !policy_valid(policy, err)) || (tags && !tags_merge(m.tags, tags, err))) {
        meta_clear(&m);
        return false;
    }
    m.policy = policy ? xstrdup(policy) : NULL;
    if (!meta_exec(k, "SAVEPOINT kmscreate")) {
        meta_clear(&m);
        return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    }
    bool good = kms_key_create(k, description, out, err);
    if (good && !meta_save(k, out->key_id, &m, err)) {
        kms_key_clear(out);
        good = false;
    }
    if (good)
        good = meta_exec(k, "RELEASE kmscreate");
    else
        meta_exec(k, "ROLLBACK TO kmscreate; RELEASE kmscreate");
    if (!good && err->code == KMS_OK)
        kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    meta_clear(&m);
    return good;
}
