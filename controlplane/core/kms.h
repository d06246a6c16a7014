/* kms: the region's key service, in the image of AWS KMS.
 *
 * Symmetric keys (KeyId a uuid, Arn "arn:aws:kms:<region>:<account>:
 * key/<uuid>"), aliases ("alias/..."), the states Enabled, Disabled and
 * PendingDeletion, and the default RDS key behind "alias/aws/rds", made on
 * first use as AWS does. Each key's 32 bytes of material are stored in
 * SQLite sealed (AES-256-GCM) by the region master key, which lives in its
 * own 0600 file (<home>/kms-master.key) and never in the store or near a
 * backup: a copy of the store alone decrypts nothing.
 *
 * Two faces:
 *  - kms_api_handle (kmsapi.c, built on the C calls below alone): the
 *    AWS KMS JSON 1.1 protocol (X-Amz-Target
 *    "TrentService.<Operation>"), for `aws kms` and `rdsctl kms`:
 *    CreateKey, DescribeKey, ListKeys, ListAliases, CreateAlias,
 *    DisableKey, EnableKey, ScheduleKeyDeletion, CancelKeyDeletion,
 *    GenerateDataKey, Encrypt, Decrypt; and (kmsmeta.c) Get/PutKeyPolicy,
 *    ListKeyPolicies, Get/Enable/DisableKeyRotation, ListResourceTags,
 *    Tag/UntagResource, UpdateKeyDescription;
 *  - C calls for the controlplane (kms_key_*, kms_encrypt, kms_decrypt,
 *    kms_generate_data_key) and envelope.h adapters that wrap and unwrap
 *    backup data keys.
 * A key reference (key_ref) is what AWS accepts as KeyId: a key id, a key
 * ARN, an alias name or an alias ARN.
 *
 * Storage: the tables kms_keys and kms_aliases are part of the store's
 * schema (core/store.c creates them, in controlplane.db); kms_open works on
 * the SQLite handle of a store it is given and changes them
 * inside SAVEPOINTs, so calls may run inside or outside a transaction of
 * the same connection. Times come from the region clock. Everything here
 * runs on the event loop (SQLite and AES of a few bytes). */
#ifndef RDSIM_KMS_H
#define RDSIM_KMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/envelope.h"

typedef struct sqlite3 sqlite3;
typedef struct kms kms;

#define KMS_KEY_ID_LEN 36       /* a uuid */
#define KMS_ARN_MAX 256
#define KMS_DATA_KEY_LEN 32
#define KMS_PLAINTEXT_MAX 4096  /* Encrypt's limit, as AWS */
#define KMS_DATA_KEY_MAX_BYTES 1024 /* GenerateDataKey's limit, as AWS */
#define KMS_BLOB_MAX (4 + KMS_KEY_ID_LEN + 12 + KMS_PLAINTEXT_MAX + 16)
#define KMS_DEFAULT_RDS_ALIAS "alias/aws/rds"
#define KMS_DEFAULT_SM_ALIAS "alias/aws/secretsmanager" /* Secrets Manager's default, made the same way */

typedef enum {
    KMS_OK = 0,
    KMS_NOT_FOUND,           /* NotFoundException */
    KMS_DISABLED,            /* DisabledException */
    KMS_INVALID_STATE,       /* KMSInvalidStateException: pending deletion */
    KMS_INVALID_CIPHERTEXT,  /* InvalidCiphertextException */
    KMS_INCORRECT_KEY,       /* IncorrectKeyException */
    KMS_ALREADY_EXISTS,      /* AlreadyExistsException */
    KMS_INVALID_ALIAS_NAME,  /* InvalidAliasNameException */
    KMS_INVALID_MARKER,      /* InvalidMarkerException */
    KMS_ACCESS_DENIED,       /* AccessDeniedException: managing an AWS managed key */
    KMS_UNSUPPORTED,         /* UnsupportedOperationException */
    KMS_VALIDATION,          /* ValidationException */
    KMS_SERIALIZATION,       /* SerializationException: a body that is not the JSON asked for */
    KMS_UNKNOWN_OPERATION,   /* UnknownOperationException */
    KMS_INTERNAL,            /* KMSInternalException (500) */
    KMS_MALFORMED_POLICY,    /* MalformedPolicyDocumentException */
    KMS_TAG,                 /* TagException: a tag AWS would refuse */
} kms_errcode;

typedef struct {
    kms_errcode code;
    char message[512];
} kms_err;

/* Sets err (if not NULL) to code and the message; returns false, so a
 * failing path can `return kms_err_set(...)`. */
bool kms_err_set(kms_err *err, kms_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The wire name ("NotFoundException", ...); never NULL. */
const char *kms_err_name(kms_errcode code);
/* True for the errors RDS surfaces as KMSKeyNotAccessibleFault (and an
 * instance as inaccessible-encryption-credentials): the key is gone,
 * disabled or pending deletion. */
bool kms_err_key_inaccessible(kms_errcode code);

typedef enum { KMS_KEY_ENABLED, KMS_KEY_DISABLED, KMS_KEY_PENDING_DELETION } kms_key_state;

/* "Enabled" | "Disabled" | "PendingDeletion". */
const char *kms_key_state_name(kms_key_state st);

/* A key's metadata (never its material). description is owned:
 * kms_key_clear frees it. */
typedef struct {
    char key_id[KMS_KEY_ID_LEN + 1];
    char arn[KMS_ARN_MAX];
    kms_key_state state;
    bool aws_managed;         /* KeyManager AWS (alias/aws/rds) or CUSTOMER */
    char *description;
    int64_t created_ms;       /* region clock */
    int64_t deletion_ms;      /* PendingDeletion: when it goes; else 0 */
    int pending_days;         /* PendingDeletion: the window asked for */
} kms_key;

void kms_key_clear(kms_key *key);

typedef struct {
    const char *region;          /* "us-east-1"; copied */
    const char *account;         /* "123456789012"; copied */
    const char *master_key_path; /* created (32 random bytes, 0600) when missing; copied */
    const int64_t *clock_offset_ms; /* the region clock's offset, read at every call; NULL: 0 */
} kms_config;

/* Opens the service on db, a store's connection (borrowed: it must outlive
 * the kms; store_open made the tables), and loads (or creates) the master
 * key. NULL (logged) when the master key file is unreadable,
 * not 32 bytes, not a regular file, or readable by group or others. */
kms *kms_open(sqlite3 *db, const kms_config *cfg);
/* The same on a store of its own opened at db_path (store_open: WAL mode,
 * the whole schema), which kms_close closes. */
kms *kms_open_path(const char *db_path, const kms_config *cfg);
/* Wipes the master key and frees; NULL is fine. */
void kms_close(kms *k);

/* ---- keys (each op first deletes keys whose deletion date has come) ---- */

/* CreateKey: a new Enabled customer managed key. */
bool kms_key_create(kms *k, const char *description, kms_key *out, kms_err *err);
/* DescribeKey. KMS_DEFAULT_RDS_ALIAS (by name or alias ARN) is created on
 * first use. NOT_FOUND for an unknown or malformed reference. */
bool kms_key_describe(kms *k, const char *key_ref, kms_key *out, kms_err *err);
/* EnableKey / DisableKey: INVALID_STATE while pending deletion,
 * ACCESS_DENIED on an AWS managed key. Idempotent otherwise. */
bool kms_key_set_enabled(kms *k, const char *key_ref, bool enabled, kms_err *err);
/* ScheduleKeyDeletion: days 7..30 (VALIDATION otherwise); INVALID_STATE
 * if already pending. *out (may be NULL) gets the new metadata. */
bool kms_key_schedule_deletion(kms *k, const char *key_ref, int days, kms_key *out,
                               kms_err *err);
/* CancelKeyDeletion: the key comes back Disabled, as in AWS;
 * INVALID_STATE when it was not pending. */
bool kms_key_cancel_deletion(kms *k, const char *key_ref, kms_key *out, kms_err *err);
/* CreateAlias: name "alias/<1-250 of [A-Za-z0-9/_-]>", not "alias/aws/..."
 * (INVALID_ALIAS_NAME); ALREADY_EXISTS; the target is a key id or ARN
 * (NOT_FOUND for an alias), not pending deletion, customer managed. */
bool kms_alias_create(kms *k, const char *alias_name, const char *target_key_ref,
                      kms_err *err);

/* ---- listings (ListKeys, ListAliases) ---- */

/* One listed key or alias; the strings live for the callback only. */
typedef struct {
    const char *key_id;       /* the key (an alias: its target) */
    const char *arn;          /* the key's ARN, or the alias's */
    const char *alias_name;   /* "alias/..."; NULL for a key */
    int64_t created_ms;       /* region clock */
    int64_t updated_ms;       /* an alias's last change; a key's creation */
} kms_list_item;

typedef void (*kms_list_fn)(void *ctx, const kms_list_item *item);

/* The keys after rowid `after` (0: from the first), in creation order, at
 * most limit (>= 1) of them, each passed to fn. *next gets the value to
 * pass as `after` for the next page, or 0 when no key follows. INTERNAL
 * when the store fails. */
bool kms_key_list(kms *k, int64_t after, int64_t limit, kms_list_fn fn, void *ctx,
                  int64_t *next, kms_err *err);
/* The same for aliases, only those of key_ref's key when key_ref is not
 * NULL (NOT_FOUND when it names no key; an alias is not accepted). */
bool kms_alias_list(kms *k, const char *key_ref, int64_t after, int64_t limit, kms_list_fn fn,
                    void *ctx, int64_t *next, kms_err *err);
/* The account the keys belong to (kms_config.account). */
const char *kms_account(const kms *k);
/* The region clock's now, as the keys see it. */
int64_t kms_clock_ms(const kms *k);
/* The store connection the kms works on (borrowed), for kmsmeta.c. */
sqlite3 *kms_db(kms *k);

/* ---- key policy, rotation, tags, description (kmsmeta.c) ----
 * Kept in kms_key_meta, one row per key that has one; a key without a row
 * has AWS's default key policy (the account's root may do kms:*), no tags,
 * and rotation off (on, every 365 days, for an AWS managed key). Every
 * call resolves key_ref as DescribeKey does (NOT_FOUND). */

#define KMS_POLICY_MAX 32768
#define KMS_TAGS_MAX 50
#define KMS_ROTATION_DEFAULT_DAYS 365

struct cJSON;

/* GetKeyPolicy: *policy (caller frees) is the document as it was put. */
bool kms_key_policy_get(kms *k, const char *key_ref, char **policy, kms_err *err);
/* PutKeyPolicy: policy must be a JSON object with a non-empty Statement
 * array, at most KMS_POLICY_MAX bytes (MALFORMED_POLICY); kept verbatim.
 * INVALID_STATE while pending deletion; ACCESS_DENIED on an AWS managed key. */
bool kms_key_policy_put(kms *k, const char *key_ref, const char *policy, kms_err *err);
/* The policy CreateKey gives a key when none is asked for (caller frees). */
char *kms_default_policy(const kms *k);
/* GetKeyRotationStatus: *days and *next_ms are 0 when rotation is off;
 * arn (KMS_ARN_MAX) gets the key's ARN. */
bool kms_key_rotation_get(kms *k, const char *key_ref, bool *enabled, int *days,
                          int64_t *next_ms, char *arn, kms_err *err);
/* Enable (days 90..2560) / DisableKeyRotation: DISABLED for a disabled key,
 * INVALID_STATE while pending deletion, ACCESS_DENIED on an AWS managed key. */
bool kms_key_rotation_set(kms *k, const char *key_ref, bool enable, int days, kms_err *err);
/* ListResourceTags: a new array of {TagKey, TagValue} (caller deletes). */
bool kms_key_tags_get(kms *k, const char *key_ref, struct cJSON **tags, kms_err *err);
/* TagResource (add, tags an array of {TagKey, TagValue}, an existing key's
 * value replaced) / UntagResource (keys: an array of strings). TAG for a
 * key of 1..128 or a value of 0..256 characters out of range, an "aws:"
 * key, or more than KMS_TAGS_MAX tags; INVALID_STATE while pending deletion. */
bool kms_key_tags_add(kms *k, const char *key_ref, const struct cJSON *tags, kms_err *err);
bool kms_key_tags_remove(kms *k, const char *key_ref, const struct cJSON *keys, kms_err *err);
/* UpdateKeyDescription (at most 8192 characters). */
bool kms_key_set_description(kms *k, const char *key_ref, const char *description,
                             kms_err *err);
/* CreateKey's Policy and Tags: both checked before anything is written,
 * then the key and its row in one SAVEPOINT. policy and tags may be NULL. */
bool kms_key_create_full(kms *k, const char *description, const char *policy,
                         const struct cJSON *tags, kms_key *out, kms_err *err);

/* ---- cryptographic operations ---- */

/* Encrypt: seals plain (1..KMS_PLAINTEXT_MAX bytes) under the key. blob
 * has KMS_BLOB_MAX bytes of room; *blob_len gets the length; arn_out
 * (KMS_ARN_MAX, may be NULL) the key's ARN. The blob names its key, as an
 * AWS ciphertext blob does. Errors: NOT_FOUND, DISABLED, INVALID_STATE,
 * VALIDATION. */
bool kms_encrypt(kms *k, const char *key_ref, const uint8_t *plain, size_t len, uint8_t *blob,
                 size_t *blob_len, char *arn_out, kms_err *err);
/* Decrypt: plain has KMS_PLAINTEXT_MAX bytes of room. expect_key_ref
 * (may be NULL) must name the blob's key (INCORRECT_KEY otherwise).
 * Errors: INVALID_CIPHERTEXT, NOT_FOUND (the key was deleted), DISABLED,
 * INVALID_STATE. */
bool kms_decrypt(kms *k, const uint8_t *blob, size_t blob_len, const char *expect_key_ref,
                 uint8_t *plain, size_t *plain_len, char *arn_out, kms_err *err);
/* GenerateDataKey: nbytes (1..1024) random bytes into plain, and the same
 * sealed into blob, as Encrypt would. */
bool kms_generate_data_key(kms *k, const char *key_ref, size_t nbytes, uint8_t *plain,
                           uint8_t *blob, size_t *blob_len, char *arn_out, kms_err *err);

/* ---- envelope.h adapters ---- */

/* ctx for kms_envelope_wrap/unwrap: key_ref is the key to wrap with (the
 * instance's KmsKeyId); err holds the last KMS error, for the caller to
 * map (kms_err_key_inaccessible → KMSKeyNotAccessibleFault). */
typedef struct {
    kms *k;
    const char *key_ref;
    kms_err err;
} kms_envelope_ctx;

/* envelope_wrap_fn: Encrypt of the data key; key_id_out gets the ARN. */
bool kms_envelope_wrap(void *ctx, const uint8_t *plain_key, size_t len, uint8_t *out,
                       size_t *out_len, char *key_id_out);
/* envelope_unwrap_fn: Decrypt. ENVELOPE_KEY when the key is inaccessible,
 * ENVELOPE_CORRUPT for a bad blob or one whose key is not the header's. */
envelope_status kms_envelope_unwrap(void *ctx, const char *key_id, const uint8_t *wrapped,
                                    size_t wrapped_len, uint8_t *plain_out, size_t *plain_len);

/* ---- the JSON 1.1 API ---- */

/* Limit of a request body. */
#define KMS_API_MAX_BODY (256 * 1024)

/* Handles one request: target is the X-Amz-Target header
 * ("TrentService.CreateKey"), body[0..len) the JSON body (need not be
 * NUL-terminated). Always sets *reply (a JSON document the caller frees,
 * to send as application/x-amz-json-1.1) and *status (200, 400, or 500
 * for KMSInternalException). Errors are {"__type": name, "message": ...}.
 * Returns true for a 200. */
bool kms_api_handle(kms *k, const char *target, const char *body, size_t len, char **reply,
                    int *status);

/* ---- secrets of the region's own, sealed under the master key ---- */

/* AES-256-GCM of plain under the region master key with aad bound in (kmsseal.h):
 * out gets len + KMSSEAL_OVERHEAD bytes. false (logged) when OpenSSL fails.
 * For the region's own secrets (rdsadmin's, instsecret.h), not customer keys. */
bool kms_master_seal(kms *k, const char *aad, const uint8_t *plain, size_t len, uint8_t *out);
/* The inverse; false (plain wiped) for a wrong aad or altered bytes. */
bool kms_master_open(kms *k, const char *aad, const uint8_t *in, size_t in_len, uint8_t *plain);

#endif
