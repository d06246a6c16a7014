/* secrets: the region's Secrets Manager (issue 12 item 6).
 *
 * Secrets (name, ARN "arn:aws:secretsmanager:<region>:<account>:secret:
 * <name>-<6 random>", description, tags, KMS key, owning service) and their
 * versions (a uuid, staging labels AWSCURRENT / AWSPREVIOUS, the value).
 * A value is never stored in the clear: each version is sealed with
 * AES-256-GCM (kmsseal.h) under a fresh 32-byte data key from KMS
 * GenerateDataKey on the secret's key (the one given, else
 * alias/aws/secretsmanager), the secret ARN and version id bound in as
 * associated data; the store keeps the wrapped data key and the sealed
 * value. Nothing here logs a value.
 *
 * Two faces, as kms.h: the C calls below, and sm_api_handle (smapi.c, on
 * these alone), the JSON 1.1 protocol of `aws secretsmanager`
 * (X-Amz-Target "secretsmanager.<Operation>").
 *
 * Rotation: no Lambda. A secret owned by "rds" (an instance's managed
 * master password) is rotated by the region itself, as AWS's managed
 * rotation is: a new password, the rotator callback (set by the RDS side)
 * applies it to the instance, the new version becomes AWSCURRENT and the
 * old one AWSPREVIOUS, all in one SAVEPOINT. Other secrets have no rotator:
 * InvalidRequestException.
 *
 * Storage: tables sm_secrets and sm_versions (store.c, migration 9), on
 * the store's connection; every change inside a SAVEPOINT. */
#ifndef RDSIM_SECRETS_H
#define RDSIM_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sqlite3 sqlite3;
typedef struct kms kms;
typedef struct secrets secrets;
typedef struct cJSON cJSON;

#define SM_ARN_MAX 700
#define SM_NAME_MAX 512
#define SM_VALUE_MAX 65536        /* SecretString's limit, as AWS */
#define SM_VERSION_ID_MAX 64
#define SM_API_MAX_BODY (256 * 1024)

typedef enum {
    SM_OK = 0,
    SM_NOT_FOUND,          /* ResourceNotFoundException */
    SM_INVALID_REQUEST,    /* InvalidRequestException */
    SM_INVALID_PARAMETER,  /* InvalidParameterException */
    SM_EXISTS,             /* ResourceExistsException */
    SM_DECRYPTION,         /* DecryptionFailure */
    SM_ENCRYPTION,         /* EncryptionFailure */
    SM_VALIDATION,         /* ValidationException (the wire shape) */
    SM_UNKNOWN_OPERATION,  /* UnknownOperationException */
    SM_INTERNAL,           /* InternalServiceError (500) */
} sm_errcode;

typedef struct {
    sm_errcode code;
    char message[512];
} sm_err;

bool sm_err_set(sm_err *err, sm_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *sm_err_name(sm_errcode code);

/* Applies a new master password to instance_id (the RDS side); false with
 * err set refuses the rotation (nothing changes). */
typedef bool (*sm_rotate_fn)(void *ctx, const char *instance_id, const char *username,
                             const char *password, sm_err *err);

typedef struct {
    const char *region, *account;   /* copied */
    const int64_t *clock_offset_ms; /* the region clock's offset; NULL: 0 */
} sm_config;

/* On db (borrowed; store_open made the tables) and k (borrowed). */
secrets *secrets_open(sqlite3 *db, kms *k, const sm_config *cfg);
void secrets_close(secrets *s);
void secrets_set_rotator(secrets *s, sm_rotate_fn fn, void *ctx);

/* A new secret. value is the SecretString (1..SM_VALUE_MAX bytes). */
typedef struct {
    const char *name, *description, *kms_ref, *value;
    const char *tags_json;      /* [{"Key":..,"Value":..}], NULL: none */
    const char *owning_service; /* "rds" or NULL */
    const char *instance_id;    /* owning_service "rds": the instance */
    const char *token;          /* ClientRequestToken (the version id), or NULL */
} sm_new;

/* CreateSecret. arn (SM_ARN_MAX) and version (SM_VERSION_ID_MAX) get the
 * new ARN and version id; key_arn (KMS ARN max, may be NULL) the KMS key
 * ARN used. */
bool secrets_create(secrets *s, const sm_new *n, char *arn, char *version, char *key_arn,
                    sm_err *err);
/* PutSecretValue: a new AWSCURRENT version (the old one AWSPREVIOUS). */
bool secrets_put_value(secrets *s, const char *id, const char *value, const char *token,
                       char *arn, char *version, sm_err *err);
/* GetSecretValue (version_id and stage may be NULL: AWSCURRENT): out gets
 * the API's reply members; the SecretString is the caller's to wipe
 * (sm_wipe_json). */
bool secrets_get_value(secrets *s, const char *id, const char *version_id, const char *stage,
                       cJSON *out, sm_err *err);
/* DescribeSecret's members into out. */
bool secrets_describe(secrets *s, const char *id, cJSON *out, sm_err *err);
/* ListSecrets: the secrets after rowid `after`, at most limit, whose name
 * starts with one of names (n_names 0: all; a value starting with '!'
 * negates), into arr; *next the rowid to continue from, or 0. */
bool secrets_list(secrets *s, int64_t after, int64_t limit, const char *const *names,
                  int n_names, cJSON *arr, int64_t *next, sm_err *err);
/* RotateSecret, immediately. arn and version as create. */
bool secrets_rotate(secrets *s, const char *id, const char *token, char *arn, char *version,
                    sm_err *err);
/* DeleteSecret. force: gone now; else marked for deletion after
 * window_days (7..30), when deleted_ms (may be NULL) gets the date. */
bool secrets_delete(secrets *s, const char *id, bool force, int window_days, char *arn,
                    char *name, int64_t *deleted_ms, sm_err *err);

/* A random password of len (8..128) characters from RDS's alphabet (no
 * '/', '@', '"', ' ', '\'' or '\\'): malloc'd, NULL if the random source
 * fails. */
char *secrets_random_password(int len);
/* Wipes every string of a JSON tree (a reply holding a secret value). */
void sm_wipe_json(cJSON *o);

/* The JSON 1.1 API (smapi.c): as kms_api_handle. */
bool sm_api_handle(secrets *s, const char *target, const char *body, size_t len, char **reply,
                   int *status);

#endif
