/* kmsapi: the key service's AWS KMS JSON 1.1 protocol (kms_api_handle in
 * kms.h), for `aws kms` and `rdsctl kms`. Only wire work happens here:
 * decoding members with AWS's validation messages, base64, the metadata
 * shape, List* paging (Limit 1..1000, the Marker a rowid); every decision
 * is a C call of kms.h. Secrets decoded or produced here are wiped before
 * the reply leaves (Plaintext members, their base64). */
#include "controlplane/core/kms.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

#define KMS_LIST_DEFAULT 100
#define KMS_LIST_MAX 1000

typedef bool (*kms_api_fn)(kms *k, const cJSON *in, cJSON *out, kms_err *err);

static bool kms_api_missing(kms_err *err, const char *member)
{
    return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value null at '%s' "
                    "failed to satisfy constraint: Member must not be null", member);
}

/* A string member (wire name `name`, validation name `member`): true with
 * *out NULL when absent and optional. */
static bool kms_api_str(const cJSON *in, const char *name, const char *member, bool required,
                        const char **out, kms_err *err)
{
    *out = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    if (!v || cJSON_IsNull(v))
        return required ? kms_api_missing(err, member) : true;
    if (!cJSON_IsString(v))
        return kms_err_set(err, KMS_SERIALIZATION, "%s must be a string", name);
    if (required && !v->valuestring[0])
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value '' at '%s' "
                        "failed to satisfy constraint: Member must have length greater than or "
                        "equal to 1", member);
    *out = v->valuestring;
    return true;
}

static bool kms_api_int(const cJSON *in, const char *name, int64_t *out, bool *present,
                        kms_err *err)
{
    *present = false;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    if (!v || cJSON_IsNull(v))
        return true;
    /* Within ±2^53 a double holds every integer exactly and the cast is defined. */
    if (!cJSON_IsNumber(v) || v->valuedouble > 9007199254740992.0 ||
        v->valuedouble < -9007199254740992.0 || v->valuedouble != (double)(int64_t)v->valuedouble)
        return kms_err_set(err, KMS_SERIALIZATION, "%s must be an integer", name);
    *out = (int64_t)v->valuedouble;
    *present = true;
    return true;
}

static char *kms_b64_encode(const uint8_t *in, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

/* Strict base64 (padding required, no whitespace) into out (cap bytes). */
static bool kms_b64_decode(const char *in, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(in);
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap + 2)
        return false;
    size_t pad = (in[n - 1] == '=') + (n > 1 && in[n - 2] == '=');
    for (size_t i = 0; i < n - pad; i++)
        if (!isalnum((unsigned char)in[i]) && in[i] != '+' && in[i] != '/')
            return false;
    size_t want = n / 4 * 3 - pad;
    if (want > cap)
        return false;
    uint8_t *tmp = xmalloc(n / 4 * 3 + 1);
    int got = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
    bool good = got >= 0 && (size_t)got == n / 4 * 3;
    if (good) {
        memcpy(out, tmp, want);
        *len = want;
    }
    OPENSSL_cleanse(tmp, n / 4 * 3 + 1);
    free(tmp);
    return good;
}

/* Timestamps in the JSON protocols are epoch seconds. */
static void kms_api_time(cJSON *o, const char *name, int64_t ms)
{
    cJSON_AddNumberToObject(o, name, (double)ms / 1000.0);
}

static cJSON *kms_api_metadata(const kms *k, const kms_key *key)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "AWSAccountId", kms_account(k));
    cJSON_AddStringToObject(m, "KeyId", key->key_id);
    cJSON_AddStringToObject(m, "Arn", key->arn);
    kms_api_time(m, "CreationDate", key->created_ms);
    cJSON_AddBoolToObject(m, "Enabled", key->state == KMS_KEY_ENABLED);
    cJSON_AddStringToObject(m, "Description", key->description ? key->description : "");
    cJSON_AddStringToObject(m, "KeyUsage", "ENCRYPT_DECRYPT");
    cJSON_AddStringToObject(m, "KeyState", kms_key_state_name(key->state));
    if (key->state == KMS_KEY_PENDING_DELETION) {
        kms_api_time(m, "DeletionDate", key->deletion_ms);
        cJSON_AddNumberToObject(m, "PendingDeletionWindowInDays", key->pending_days);
    }
    cJSON_AddStringToObject(m, "Origin", "AWS_KMS");
    cJSON_AddStringToObject(m, "KeyManager", key->aws_managed ? "AWS" : "CUSTOMER");
    cJSON_AddStringToObject(m, "CustomerMasterKeySpec", "SYMMETRIC_DEFAULT");
    cJSON_AddStringToObject(m, "KeySpec", "SYMMETRIC_DEFAULT");
    cJSON *algs = cJSON_AddArrayToObject(m, "EncryptionAlgorithms");
    cJSON_AddItemToArray(algs, cJSON_CreateString("SYMMETRIC_DEFAULT"));
    cJSON_AddBoolToObject(m, "MultiRegion", false);
    return m;
}

static bool kms_api_create_key(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    static const struct {
        const char *name, *only;
    } fixed[] = {{"KeyUsage", "ENCRYPT_DECRYPT"},
                 {"KeySpec", "SYMMETRIC_DEFAULT"},
                 {"CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"},
                 {"Origin", "AWS_KMS"}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        const char *v;
        if (!kms_api_str(in, fixed[i].name, fixed[i].name, false, &v, err))
            return false;
        if (v && strcmp(v, fixed[i].only) != 0)
            return kms_err_set(err, KMS_UNSUPPORTED, "rdsim's KMS supports only %s %s.",
                            fixed[i].name, fixed[i].only);
    }
    const cJSON *multi = cJSON_GetObjectItemCaseSensitive(in, "MultiRegion");
    if (cJSON_IsTrue(multi))
        return kms_err_set(err, KMS_UNSUPPORTED, "rdsim's KMS does not support multi-Region keys.");
    const char *description, *policy;
    if (!kms_api_str(in, "Description", "description", false, &description, err) ||
        !kms_api_str(in, "Policy", "policy", false, &policy, err))
        return false;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(in, "Tags");
    kms_key key;
    if (!kms_key_create_full(k, description, policy, cJSON_IsNull(tags) ? NULL : tags, &key, err))
        return false;
    cJSON_AddItemToObject(out, "KeyMetadata", kms_api_metadata(k, &key));
    kms_key_clear(&key);
    return true;
}

static bool kms_api_describe_key(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    const char *ref;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err))
        return false;
    kms_key key;
    if (!kms_key_describe(k, ref, &key, err))
        return false;
    cJSON_AddItemToObject(out, "KeyMetadata", kms_api_metadata(k, &key));
    kms_key_clear(&key);
    return true;
}

/* Limit and Marker of the List* operations; the marker is the rowid of
 * the last item of the previous page. */
static bool kms_api_page(const cJSON *in, int64_t *limit, int64_t *after, kms_err *err)
{
    bool present;
    *limit = KMS_LIST_DEFAULT;
    if (!kms_api_int(in, "Limit", limit, &present, err))
        return false;
    if (present && (*limit < 1 || *limit > KMS_LIST_MAX))
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value '%lld' at "
                        "'limit' failed to satisfy constraint: Member must have value between 1 "
                        "and %d", (long long)*limit, KMS_LIST_MAX);
    const char *marker;
    *after = 0;
    if (!kms_api_str(in, "Marker", "marker", false, &marker, err))
        return false;
    if (marker && !str_to_int64(marker, 1, INT64_MAX, after))
        return kms_err_set(err, KMS_INVALID_MARKER, "Invalid marker");
    return true;
}

/* The end of a List* page: NextMarker when more follow, and Truncated. */
static void kms_api_page_end(cJSON *out, int64_t next)
{
    if (next) {
        char marker[32];
        snprintf(marker, sizeof marker, "%lld", (long long)next);
        cJSON_AddStringToObject(out, "NextMarker", marker);
    }
    cJSON_AddBoolToObject(out, "Truncated", next != 0);
}

static void kms_api_key_item(void *ctx, const kms_list_item *it)
{
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "KeyId", it->key_id);
    cJSON_AddStringToObject(item, "KeyArn", it->arn);
    cJSON_AddItemToArray(ctx, item);
}

static bool kms_api_list_keys(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    int64_t limit, after, next;
    if (!kms_api_page(in, &limit, &after, err))
        return false;
    cJSON *keys = cJSON_CreateArray();
    if (!kms_key_list(k, after, limit, kms_api_key_item, keys, &next, err)) {
        cJSON_Delete(keys);
        return false;
    }
    cJSON_AddItemToObject(out, "Keys", keys);
    kms_api_page_end(out, next);
    return true;
}

static void kms_api_alias_item(void *ctx, const kms_list_item *it)
{
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "AliasName", it->alias_name);
    cJSON_AddStringToObject(item, "AliasArn", it->arn);
    cJSON_AddStringToObject(item, "TargetKeyId", it->key_id);
    kms_api_time(item, "CreationDate", it->created_ms);
    kms_api_time(item, "LastUpdatedDate", it->updated_ms);
    cJSON_AddItemToArray(ctx, item);
}

static bool kms_api_list_aliases(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    int64_t limit, after, next;
    const char *ref;
    if (!kms_api_page(in, &limit, &after, err) ||
        !kms_api_str(in, "KeyId", "keyId", false, &ref, err))
        return false;
    cJSON *aliases = cJSON_CreateArray();
    if (!kms_alias_list(k, ref, after, limit, kms_api_alias_item, aliases, &next, err)) {
        cJSON_Delete(aliases);
        return false;
    }
    cJSON_AddItemToObject(out, "Aliases", aliases);
    kms_api_page_end(out, next);
    return true;
}

static bool kms_api_create_alias(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    (void)out;
    const char *name, *target;
    if (!kms_api_str(in, "AliasName", "aliasName", true, &name, err) ||
        !kms_api_str(in, "TargetKeyId", "targetKeyId", true, &target, err))
        return false;
    return kms_alias_create(k, name, target, err);
}

static bool kms_api_set_enabled(kms *k, const cJSON *in, bool enabled, kms_err *err)
{
    const char *ref;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err))
        return false;
    return kms_key_set_enabled(k, ref, enabled, err);
}

static bool kms_api_enable_key(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    (void)out;
    return kms_api_set_enabled(k, in, true, err);
}

static bool kms_api_disable_key(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    (void)out;
    return kms_api_set_enabled(k, in, false, err);
}

static bool kms_api_schedule_key_deletion(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    const char *ref;
    int64_t days = 30;
    bool present;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err) ||
        !kms_api_int(in, "PendingWindowInDays", &days, &present, err))
        return false;
    if (days < 7 || days > 30)
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value '%lld' at "
                        "'pendingWindowInDays' failed to satisfy constraint: Member must have "
                        "value between 7 and 30", (long long)days);
    kms_key key;
    if (!kms_key_schedule_deletion(k, ref, (int)days, &key, err))
        return false;
    cJSON_AddStringToObject(out, "KeyId", key.arn);
    kms_api_time(out, "DeletionDate", key.deletion_ms);
    cJSON_AddStringToObject(out, "KeyState", kms_key_state_name(key.state));
    cJSON_AddNumberToObject(out, "PendingWindowInDays", key.pending_days);
    kms_key_clear(&key);
    return true;
}

static bool kms_api_cancel_key_deletion(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    const char *ref;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err))
        return false;
    kms_key key;
    if (!kms_key_cancel_deletion(k, ref, &key, err))
        return false;
    cJSON_AddStringToObject(out, "KeyId", key.arn);
    kms_key_clear(&key);
    return true;
}

/* Adds a base64 member holding secret bytes, then wipes them. */
static void kms_api_add_secret(cJSON *out, const char *name, uint8_t *bytes, size_t len)
{
    char *b64 = kms_b64_encode(bytes, len);
    cJSON_AddStringToObject(out, name, b64);
    OPENSSL_cleanse(b64, strlen(b64));
    free(b64);
    OPENSSL_cleanse(bytes, len);
}

static bool kms_api_generate_data_key(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    const char *ref, *spec;
    int64_t nbytes = 0;
    bool have_n;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err) ||
        !kms_api_str(in, "KeySpec", "keySpec", false, &spec, err) ||
        !kms_api_int(in, "NumberOfBytes", &nbytes, &have_n, err))
        return false;
    if (have_n == (spec != NULL))
        return kms_err_set(err, KMS_VALIDATION, "Please specify either number of bytes or key spec.");
    if (spec) {
        if (strcmp(spec, "AES_256") != 0 && strcmp(spec, "AES_128") != 0)
            return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value '%s' at "
                            "'keySpec' failed to satisfy constraint: Member must satisfy enum "
                            "value set: [AES_256, AES_128]", spec);
        nbytes = strcmp(spec, "AES_256") == 0 ? 32 : 16;
    }
    if (nbytes < 1 || nbytes > KMS_DATA_KEY_MAX_BYTES)
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value '%lld' at "
                        "'numberOfBytes' failed to satisfy constraint: Member must have value "
                        "between 1 and %d", (long long)nbytes, KMS_DATA_KEY_MAX_BYTES);
    uint8_t plain[KMS_DATA_KEY_MAX_BYTES];
    uint8_t blob[KMS_BLOB_MAX];
    size_t blob_len;
    char arn[KMS_ARN_MAX];
    if (!kms_generate_data_key(k, ref, (size_t)nbytes, plain, blob, &blob_len, arn, err))
        return false;
    char *b64 = kms_b64_encode(blob, blob_len);
    cJSON_AddStringToObject(out, "CiphertextBlob", b64);
    free(b64);
    kms_api_add_secret(out, "Plaintext", plain, (size_t)nbytes);
    cJSON_AddStringToObject(out, "KeyId", arn);
    return true;
}

static bool kms_api_encrypt(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    const char *ref, *b64;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err) ||
        !kms_api_str(in, "Plaintext", "plaintext", true, &b64, err))
        return false;
    uint8_t plain[KMS_PLAINTEXT_MAX];
    size_t len = 0;
    if (!kms_b64_decode(b64, plain, sizeof plain, &len))
        return kms_err_set(err, KMS_SERIALIZATION, "Plaintext must be base64 of 1 to %d bytes",
                        KMS_PLAINTEXT_MAX);
    uint8_t blob[KMS_BLOB_MAX];
    size_t blob_len;
    char arn[KMS_ARN_MAX];
    bool good = kms_encrypt(k, ref, plain, len, blob, &blob_len, arn, err);
    OPENSSL_cleanse(plain, sizeof plain);
    if (!good)
        return false;
    char *c = kms_b64_encode(blob, blob_len);
    cJSON_AddStringToObject(out, "CiphertextBlob", c);
    free(c);
    cJSON_AddStringToObject(out, "KeyId", arn);
    cJSON_AddStringToObject(out, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    return true;
}

static bool kms_api_decrypt(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    const char *ref, *b64;
    if (!kms_api_str(in, "CiphertextBlob", "ciphertextBlob", true, &b64, err) ||
        !kms_api_str(in, "KeyId", "keyId", false, &ref, err))
        return false;
    uint8_t blob[KMS_BLOB_MAX];
    size_t blob_len = 0;
    if (!kms_b64_decode(b64, blob, sizeof blob, &blob_len))
        return kms_err_set(err, KMS_INVALID_CIPHERTEXT, "The ciphertext is not a KMS ciphertext blob.");
    uint8_t plain[KMS_PLAINTEXT_MAX];
    size_t len = 0;
    char arn[KMS_ARN_MAX];
    if (!kms_decrypt(k, blob, blob_len, ref, plain, &len, arn, err))
        return false;
    cJSON_AddStringToObject(out, "KeyId", arn);
    kms_api_add_secret(out, "Plaintext", plain, len);
    cJSON_AddStringToObject(out, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    return true;
}

/* ---- policy, rotation, tags, description (kmsmeta.c) ---- */

/* PolicyName: only "default" exists, as in AWS. */
static bool kms_api_policy_name(const cJSON *in, bool required, kms_err *err)
{
    const char *name;
    if (!kms_api_str(in, "PolicyName", "policyName", required, &name, err))
        return false;
    if (name && strcmp(name, "default") != 0)
        return kms_err_set(err, KMS_NOT_FOUND, "Policy %s does not exist; a key has only the "
                                               "policy named default.", name);
    return true;
}

static bool kms_api_get_key_policy(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    const char *ref;
    char *policy = NULL;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err) ||
        !kms_api_policy_name(in, false, err) || !kms_key_policy_get(k, ref, &policy, err))
        return false;
    cJSON_AddStringToObject(out, "Policy", policy);
    cJSON_AddStringToObject(out, "PolicyName", "default");
    free(policy);
    return true;
}

static bool kms_api_put_key_policy(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    (void)out;
    const char *ref, *policy;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err) ||
        !kms_api_policy_name(in, false, err) ||
        !kms_api_str(in, "Policy", "policy", true, &policy, err))
        return false;
    return kms_key_policy_put(k, ref, policy, err);
}

static bool kms_api_list_key_policies(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    const char *ref;
    kms_key key;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err) ||
        !kms_key_describe(k, ref, &key, err))
        return false;
    kms_key_clear(&key);
    cJSON *names = cJSON_AddArrayToObject(out, "PolicyNames");
    cJSON_AddItemToArray(names, cJSON_CreateString("default"));
    cJSON_AddBoolToObject(out, "Truncated", false);
    return true;
}

static bool kms_api_get_key_rotation_status(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    const char *ref;
    bool enabled;
    int days;
    int64_t next;
    char arn[KMS_ARN_MAX];
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err) ||
        !kms_key_rotation_get(k, ref, &enabled, &days, &next, arn, err))
        return false;
    cJSON_AddBoolToObject(out, "KeyRotationEnabled", enabled);
    cJSON_AddStringToObject(out, "KeyId", arn);
    if (enabled) {
        cJSON_AddNumberToObject(out, "RotationPeriodInDays", days);
        kms_api_time(out, "NextRotationDate", next);
    }
    return true;
}

static bool kms_api_enable_key_rotation(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    (void)out;
    const char *ref;
    int64_t days = KMS_ROTATION_DEFAULT_DAYS;
    bool present;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err) ||
        !kms_api_int(in, "RotationPeriodInDays", &days, &present, err))
        return false;
    if (days < 90 || days > 2560)
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value '%lld' at "
                                                "'rotationPeriodInDays' failed to satisfy "
                                                "constraint: Member must have value between 90 "
                                                "and 2560", (long long)days);
    return kms_key_rotation_set(k, ref, true, (int)days, err);
}

static bool kms_api_disable_key_rotation(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    (void)out;
    const char *ref;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err))
        return false;
    return kms_key_rotation_set(k, ref, false, 0, err);
}

/* ListResourceTags pages by position (the Marker a decimal index). */
static bool kms_api_list_resource_tags(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    const char *ref;
    int64_t limit, after;
    cJSON *tags = NULL;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err) ||
        !kms_api_page(in, &limit, &after, err) || !kms_key_tags_get(k, ref, &tags, err))
        return false;
    int64_t n = cJSON_GetArraySize(tags);
    cJSON *page = cJSON_AddArrayToObject(out, "Tags");
    for (int64_t i = after; i < n && i < after + limit; i++)
        cJSON_AddItemToArray(page, cJSON_Duplicate(cJSON_GetArrayItem(tags, (int)i), true));
    cJSON_Delete(tags);
    kms_api_page_end(out, after + limit < n ? after + limit : 0);
    return true;
}

static bool kms_api_tag_resource(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    (void)out;
    const char *ref;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(in, "Tags");
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err))
        return false;
    if (!tags || cJSON_IsNull(tags))
        return kms_api_missing(err, "tags");
    return kms_key_tags_add(k, ref, tags, err);
}

static bool kms_api_untag_resource(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    (void)out;
    const char *ref;
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(in, "TagKeys");
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err))
        return false;
    if (!keys || cJSON_IsNull(keys))
        return kms_api_missing(err, "tagKeys");
    return kms_key_tags_remove(k, ref, keys, err);
}

static bool kms_api_update_key_description(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    (void)out;
    const char *ref, *description;
    if (!kms_api_str(in, "KeyId", "keyId", true, &ref, err) ||
        !kms_api_str(in, "Description", "description", false, &description, err))
        return false;
    if (!description)
        return kms_api_missing(err, "description");
    return kms_key_set_description(k, ref, description, err);
}

static const struct {
    const char *name;
    kms_api_fn fn;
} kms_api_table[] = {
    {"GetKeyPolicy", kms_api_get_key_policy},
    {"PutKeyPolicy", kms_api_put_key_policy},
    {"ListKeyPolicies", kms_api_list_key_policies},
    {"GetKeyRotationStatus", kms_api_get_key_rotation_status},
    {"EnableKeyRotation", kms_api_enable_key_rotation},
    {"DisableKeyRotation", kms_api_disable_key_rotation},
    {"ListResourceTags", kms_api_list_resource_tags},
    {"TagResource", kms_api_tag_resource},
    {"UntagResource", kms_api_untag_resource},
    {"UpdateKeyDescription", kms_api_update_key_description},
    {"CreateKey", kms_api_create_key},
    {"DescribeKey", kms_api_describe_key},
    {"ListKeys", kms_api_list_keys},
    {"ListAliases", kms_api_list_aliases},
    {"CreateAlias", kms_api_create_alias},
    {"EnableKey", kms_api_enable_key},
    {"DisableKey", kms_api_disable_key},
    {"ScheduleKeyDeletion", kms_api_schedule_key_deletion},
    {"CancelKeyDeletion", kms_api_cancel_key_deletion},
    {"GenerateDataKey", kms_api_generate_data_key},
    {"Encrypt", kms_api_encrypt},
    {"Decrypt", kms_api_decrypt},
};

bool kms_api_handle(kms *k, const char *target, const char *body, size_t len, char **reply,
                    int *status)
{
    static const char prefix[] = "TrentService.";
    kms_err err = {0};
    cJSON *in = NULL, *out = NULL;
    const char *op = target ? target : "(none)";
    kms_api_fn fn = NULL;
    if (target && strncmp(target, prefix, sizeof prefix - 1) == 0) {
        op = target + sizeof prefix - 1;
        for (size_t i = 0; i < sizeof kms_api_table / sizeof kms_api_table[0]; i++)
            if (strcmp(op, kms_api_table[i].name) == 0)
                fn = kms_api_table[i].fn;
    }
    if (!fn) {
        kms_err_set(&err, KMS_UNKNOWN_OPERATION, "Unknown operation %s", target ? target : "(none)");
        goto done;
    }
    if (len > KMS_API_MAX_BODY) {
        kms_err_set(&err, KMS_SERIALIZATION, "The request body is larger than %d bytes.",
                 KMS_API_MAX_BODY);
        goto done;
    }
    /* botocore always sends an object; an empty body is taken as {}. */
    in = len ? cJSON_ParseWithLength(body, len) : cJSON_CreateObject();
    if (!cJSON_IsObject(in)) {
        kms_err_set(&err, KMS_SERIALIZATION, "The request body is not a JSON object.");
        goto done;
    }
    out = cJSON_CreateObject();
    if (!fn(k, in, out, &err) && err.code == KMS_OK)
        kms_err_set(&err, KMS_INTERNAL, "The request failed for an internal reason.");
done:
    if (err.code != KMS_OK) {
        cJSON_Delete(out);
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "__type", kms_err_name(err.code));
        cJSON_AddStringToObject(out, "message", err.message);
        *status = err.code == KMS_INTERNAL ? 500 : 400;
        LOG_INFO("kms api op=%s status=%d code=%s", op, *status, kms_err_name(err.code));
    } else {
        *status = 200;
        LOG_INFO("kms api op=%s status=200", op);
    }
    *reply = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    cJSON_Delete(in);
    return *status == 200;
}
