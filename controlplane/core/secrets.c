/* secrets: see secrets.h. Layout: errors; helpers; sealing; storage;
 * operations. */
#include "controlplane/core/secrets.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/kms.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/kmsseal.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

#define SM_DAY_MS (86400 * (int64_t)1000)

struct secrets {
    sqlite3 *db;
    kms *k;
    char *region, *account;
    const int64_t *offset;
    sm_rotate_fn rotate;
    void *rotate_ctx;
};

/* ------------------------------------------------------------ errors */

bool sm_err_set(sm_err *err, sm_errcode code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return false;
}

const char *sm_err_name(sm_errcode code)
{
    switch (code) {
    case SM_OK: return "OK";
    case SM_NOT_FOUND: return "ResourceNotFoundException";
    case SM_INVALID_REQUEST: return "InvalidRequestException";
    case SM_INVALID_PARAMETER: return "InvalidParameterException";
    case SM_EXISTS: return "ResourceExistsException";
    case SM_DECRYPTION: return "DecryptionFailure";
    case SM_ENCRYPTION: return "EncryptionFailure";
    case SM_VALIDATION: return "ValidationException";
    case SM_UNKNOWN_OPERATION: return "UnknownOperationException";
    case SM_INTERNAL: break;
    }
    return "InternalServiceError";
}

static bool sm_internal(sm_err *err)
{
    return sm_err_set(err, SM_INTERNAL, "The secret store is unavailable.");
}

/* ----------------------------------------------------------- helpers */

static int64_t sm_now(const secrets *s)
{
    return rclock_now_ms(s->offset ? *s->offset : 0);
}

static bool sm_uuid(char out[37])
{
    uint8_t b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return false;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
    return true;
}

static bool sm_random_from(const char *alphabet, int len, char *out)
{
    size_t n = strlen(alphabet);
    for (int i = 0; i < len; i++) {
        uint8_t c;
        do {
            if (RAND_bytes(&c, 1) != 1)
                return false;
        } while (c >= 256 - 256 % n); /* no modulo bias */
        out[i] = alphabet[c % n];
    }
    out[len] = '\0';
    return true;
}

char *secrets_random_password(int len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                                   "!#$%&()*+,-.:;<=>?[]^_`{|}~";
    if (len < 8 || len > 128)
        return NULL;
    char *pw = xmalloc((size_t)len + 1);
    if (!sm_random_from(alphabet, len, pw)) {
        free(pw);
        return NULL;
    }
    return pw;
}

void sm_wipe_json(cJSON *o)
{
    for (cJSON *c = o; c; c = c->next) {
        if (cJSON_IsString(c) && c->valuestring)
            OPENSSL_cleanse(c->valuestring, strlen(c->valuestring));
        if (c->child)
            sm_wipe_json(c->child);
    }
}

/* Names as AWS allows: 1..512 of ASCII letters, digits and /_+=.@-. The
 * '!' of "rds!db-..." is reserved to the RDS side (owning_service). */
static bool sm_name_valid(const char *name, bool rds)
{
    size_t n = strlen(name);
    if (n < 1 || n > SM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("/_+=.@-", c) || (rds && c == '!')))
            return false;
    }
    return true;
}

/* ----------------------------------------------------------- sealing */

static char *sm_aad(const char *arn, const char *version)
{
    return xasprintf("%s|%s", arn, version);
}

/* Seals value under a fresh data key of key_ref. */
static bool sm_seal(secrets *s, const char *key_ref, const char *arn, const char *version,
                    const char *value, uint8_t *wrapped, size_t *wrapped_len, uint8_t **sealed,
                    size_t *sealed_len, char *key_arn, sm_err *err)
{
    uint8_t dk[KMSSEAL_KEY_LEN];
    kms_err kerr = {0};
    if (!kms_generate_data_key(s->k, key_ref, sizeof dk, dk, wrapped, wrapped_len, key_arn,
                               &kerr)) {
        if (kerr.code == KMS_INTERNAL)
            return sm_internal(err);
        return sm_err_set(err, SM_ENCRYPTION, "Secrets Manager can't encrypt the protected "
                          "secret text using the provided KMS key: %s", kerr.message);
    }
    size_t len = strlen(value);
    *sealed = xmalloc(len + KMSSEAL_OVERHEAD);
    *sealed_len = len + KMSSEAL_OVERHEAD;
    char *aad = sm_aad(arn, version);
    bool good = kmsseal_seal(dk, aad, strlen(aad), (const uint8_t *)value, len, *sealed);
    OPENSSL_cleanse(dk, sizeof dk);
    free(aad);
    if (!good) {
        free(*sealed);
        *sealed = NULL;
        return sm_err_set(err, SM_ENCRYPTION, "The secret could not be encrypted.");
    }
    return true;
}

/* The inverse: a malloc'd NUL-terminated value (caller wipes). */
static char *sm_open(secrets *s, const char *arn, const char *version, const void *wrapped,
                     size_t wrapped_len, const void *sealed, size_t sealed_len, sm_err *err)
{
    uint8_t dk[KMS_PLAINTEXT_MAX];
    size_t dk_len = 0;
    kms_err kerr = {0};
    if (sealed_len < KMSSEAL_OVERHEAD ||
        !kms_decrypt(s->k, wrapped, wrapped_len, NULL, dk, &dk_len, NULL, &kerr) ||
        dk_len != KMSSEAL_KEY_LEN) {
        OPENSSL_cleanse(dk, sizeof dk);
        sm_err_set(err, SM_DECRYPTION, "Secrets Manager can't decrypt the protected secret text "
                   "using the provided KMS key.%s%s", kerr.message[0] ? " " : "", kerr.message);
        return NULL;
    }
    char *aad = sm_aad(arn, version);
    size_t len = sealed_len - KMSSEAL_OVERHEAD;
    char *plain = xmalloc(len + 1);
    bool good = kmsseal_open(dk, aad, strlen(aad), sealed, sealed_len, (uint8_t *)plain);
    OPENSSL_cleanse(dk, sizeof dk);
    free(aad);
    if (!good) {
        free(plain);
        sm_err_set(err, SM_DECRYPTION, "Secrets Manager can't decrypt the protected secret text.");
        return NULL;
    }
    plain[len] = '\0';
    return plain;
}

/* ----------------------------------------------------------- storage */

static bool sm_exec(secrets *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        LOG_ERROR("secrets: store failed sql=\"%.40s\" error=%s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return false;
    }
    return true;
}

static bool sm_begin(secrets *s)
{
    return sm_exec(s, "SAVEPOINT secrets");
}

static bool sm_end(secrets *s, bool commit)
{
    if (commit && sm_exec(s, "RELEASE secrets"))
        return true;
    sm_exec(s, "ROLLBACK TO secrets; RELEASE secrets");
    return false;
}

static sqlite3_stmt *sm_prepare(secrets *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        LOG_ERROR("secrets: prepare failed error=%s", sqlite3_errmsg(s->db));
        return NULL;
    }
    return st;
}

/* Steps a statement (NULL: a failed prepare) to its end and finalizes it. */
static bool sm_run(sqlite3_stmt *st)
{
    return st && sqlrow_run(st);
}

/* One secret's row. */
typedef struct {
    int64_t rowid;
    char *arn, *name, *description, *kms_key_id, *owning_service, *instance_id, *tags;
    int64_t created_ms, changed_ms, rotated_ms, accessed_ms, deleted_ms;
} sm_row;

static void sm_row_clear(sm_row *r)
{
    free(r->arn);
    free(r->name);
    free(r->description);
    free(r->kms_key_id);
    free(r->owning_service);
    free(r->instance_id);
    free(r->tags);
    memset(r, 0, sizeof *r);
}

#define SM_ROW_COLS                                                                           \
    "rowid, arn, name, description, kms_key_id, owning_service, instance_id, tags, created_ms," \
    " changed_ms, rotated_ms, accessed_ms, deleted_ms"

static void sm_row_read(sqlite3_stmt *st, sm_row *r)
{
    r->rowid = sqlite3_column_int64(st, 0);
    r->arn = sqlrow_text(st, 1);
    r->name = sqlrow_text(st, 2);
    r->description = sqlrow_text(st, 3);
    r->kms_key_id = sqlrow_text(st, 4);
    r->owning_service = sqlrow_text(st, 5);
    r->instance_id = sqlrow_text(st, 6);
    r->tags = sqlrow_text(st, 7);
    r->created_ms = sqlite3_column_int64(st, 8);
    r->changed_ms = sqlite3_column_int64(st, 9);
    r->rotated_ms = sqlite3_column_int64(st, 10);
    r->accessed_ms = sqlite3_column_int64(st, 11);
    r->deleted_ms = sqlite3_column_int64(st, 12);
}

/* Removes the secrets whose recovery window has passed. */
static bool sm_purge_due(secrets *s)
{
    sqlite3_stmt *v = sm_prepare(s, "DELETE FROM sm_versions WHERE arn IN (SELECT arn FROM "
                                    "sm_secrets WHERE deleted_ms > 0 AND deleted_ms <= ?)");
    if (v)
        sqlite3_bind_int64(v, 1, sm_now(s));
    if (!sm_run(v))
        return false;
    sqlite3_stmt *d = sm_prepare(s, "DELETE FROM sm_secrets WHERE deleted_ms > 0 AND "
                                    "deleted_ms <= ?");
    if (d)
        sqlite3_bind_int64(d, 1, sm_now(s));
    return sm_run(d);
}

/* The secret named by id: its name or its full ARN. */
static bool sm_find(secrets *s, const char *id, sm_row *out, sm_err *err)
{
    memset(out, 0, sizeof *out);
    if (!id || !*id)
        return sm_err_set(err, SM_INVALID_PARAMETER, "You must provide a SecretId.");
    if (!sm_purge_due(s))
        return sm_internal(err);
    sqlite3_stmt *st = sm_prepare(s, "SELECT " SM_ROW_COLS " FROM sm_secrets WHERE name = ?1 "
                                     "OR arn = ?1");
    if (!st)
        return sm_internal(err);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        sm_row_read(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return true;
    if (rc != SQLITE_DONE)
        return sm_internal(err);
    return sm_err_set(err, SM_NOT_FOUND, "Secrets Manager can't find the specified secret.");
}

/* A version row: the value sealed, and its staging labels. */
static bool sm_version_insert(secrets *s, const char *arn, const char *version,
                              const char *key_ref, const char *value, const char *stages,
                              char *key_arn, sm_err *err)
{
    uint8_t wrapped[KMS_BLOB_MAX];
    size_t wrapped_len = 0, sealed_len = 0;
    uint8_t *sealed = NULL;
    char karn[KMS_ARN_MAX];
    if (!sm_seal(s, key_ref, arn, version, value, wrapped, &wrapped_len, &sealed, &sealed_len,
                 karn, err))
        return false;
    if (key_arn)
        snprintf(key_arn, KMS_ARN_MAX, "%s", karn);
    sqlite3_stmt *st = sm_prepare(s, "INSERT INTO sm_versions(arn, version_id, stages, wrapped,"
                                     " sealed, created_ms) VALUES (?,?,?,?,?,?)");
    if (st) {
        sqlite3_bind_text(st, 1, arn, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, version, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, stages, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 4, wrapped, (int)wrapped_len, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 5, sealed, (int)sealed_len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 6, sm_now(s));
    }
    free(sealed);
    return sm_run(st) || sm_internal(err);
}

/* Moves the labels for a new current version: AWSPREVIOUS leaves its
 * holder, AWSCURRENT becomes AWSPREVIOUS. */
static bool sm_demote(secrets *s, const char *arn)
{
    sqlite3_stmt *a = sm_prepare(s, "UPDATE sm_versions SET stages = '' WHERE arn = ? AND "
                                    "stages = 'AWSPREVIOUS'");
    if (a)
        sqlite3_bind_text(a, 1, arn, -1, SQLITE_TRANSIENT);
    sqlite3_stmt *b = sm_run(a) ? sm_prepare(s, "UPDATE sm_versions SET stages = "
                                                   "'AWSPREVIOUS' WHERE arn = ? AND stages = "
                                                   "'AWSCURRENT'")
                                   : NULL;
    if (b)
        sqlite3_bind_text(b, 1, arn, -1, SQLITE_TRANSIENT);
    bool good = sm_run(b);
    sqlite3_stmt *c = good ? sm_prepare(s, "DELETE FROM sm_versions WHERE arn = ? AND "
                                           "stages = ''")
                           : NULL;
    if (c)
        sqlite3_bind_text(c, 1, arn, -1, SQLITE_TRANSIENT);
    return good && sm_run(c);
}

static bool sm_touch(secrets *s, const char *arn, const char *column)
{
    char *sql = xasprintf("UPDATE sm_secrets SET %s = ? WHERE arn = ?", column);
    sqlite3_stmt *st = sm_prepare(s, sql);
    free(sql);
    if (st) {
        sqlite3_bind_int64(st, 1, sm_now(s));
        sqlite3_bind_text(st, 2, arn, -1, SQLITE_TRANSIENT);
    }
    return sm_run(st);
}

/* --------------------------------------------------------------- open */

secrets *secrets_open(sqlite3 *db, kms *k, const sm_config *cfg)
{
    secrets *s = xcalloc(1, sizeof *s);
    s->db = db;
    s->k = k;
    s->region = xstrdup(cfg->region);
    s->account = xstrdup(cfg->account);
    s->offset = cfg->clock_offset_ms;
    return s;
}

void secrets_close(secrets *s)
{
    if (!s)
        return;
    free(s->region);
    free(s->account);
    free(s);
}

void secrets_set_rotator(secrets *s, sm_rotate_fn fn, void *ctx)
{
    s->rotate = fn;
    s->rotate_ctx = ctx;
}

/* --------------------------------------------------------- operations */

static bool sm_check_value(const char *value, sm_err *err)
{
    if (!value)
        return sm_err_set(err, SM_INVALID_PARAMETER, "You must provide either SecretString or "
                          "SecretBinary.");
    size_t n = strlen(value);
    if (n < 1 || n > SM_VALUE_MAX)
        return sm_err_set(err, SM_INVALID_PARAMETER, "SecretString must be 1 to %d bytes.",
                          SM_VALUE_MAX);
    return true;
}

static bool sm_check_token(const char *token, sm_err *err)
{
    if (!token)
        return true;
    size_t n = strlen(token);
    if (n < 32 || n > SM_VERSION_ID_MAX - 1)
        return sm_err_set(err, SM_INVALID_PARAMETER, "ClientRequestToken must be 32 to 63 "
                          "characters.");
    for (size_t i = 0; i < n; i++)
        if (!((token[i] >= 'a' && token[i] <= 'z') || (token[i] >= 'A' && token[i] <= 'Z') ||
              (token[i] >= '0' && token[i] <= '9') || token[i] == '-'))
            return sm_err_set(err, SM_INVALID_PARAMETER, "ClientRequestToken holds a character "
                              "that is not allowed.");
    return true;
}

bool secrets_create(secrets *s, const sm_new *n, char *arn, char *version, char *key_arn,
                    sm_err *err)
{
    bool rds = n->owning_service && strcmp(n->owning_service, "rds") == 0;
    if (!n->name || !sm_name_valid(n->name, rds))
        return sm_err_set(err, SM_INVALID_PARAMETER, "Invalid name. Must be a valid name "
                          "containing alphanumeric characters, or any of the following: "
                          "-/_+=.@!");
    if (!sm_check_value(n->value, err) || !sm_check_token(n->token, err))
        return false;
    if (n->description && strlen(n->description) > 2048)
        return sm_err_set(err, SM_INVALID_PARAMETER, "Description must be at most 2048 "
                          "characters.");
    if (!sm_begin(s))
        return sm_internal(err);
    sm_row old;
    sm_err nf = {0};
    if (sm_find(s, n->name, &old, &nf)) {
        bool gone = old.deleted_ms > 0;
        sm_row_clear(&old);
        sm_end(s, false);
        if (gone)
            return sm_err_set(err, SM_INVALID_REQUEST, "You can't create this secret because a "
                              "secret with this name is already scheduled for deletion.");
        return sm_err_set(err, SM_EXISTS, "The operation failed because the secret %s already "
                          "exists.", n->name);
    }
    if (nf.code != SM_NOT_FOUND) {
        sm_end(s, false);
        return sm_internal(err);
    }
    char suffix[7];
    if (!sm_random_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 6,
                        suffix) ||
        (!n->token && !sm_uuid(version))) {
        sm_end(s, false);
        return sm_internal(err);
    }
    if (n->token)
        snprintf(version, SM_VERSION_ID_MAX, "%s", n->token);
    snprintf(arn, SM_ARN_MAX, "arn:aws:secretsmanager:%s:%s:secret:%s-%s", s->region, s->account,
             n->name, suffix);
    const char *key_ref = n->kms_ref && *n->kms_ref ? n->kms_ref : KMS_DEFAULT_SM_ALIAS;
    char karn[KMS_ARN_MAX];
    bool good = sm_version_insert(s, arn, version, key_ref, n->value, "AWSCURRENT", karn, err);
    if (good) {
        sqlite3_stmt *st = sm_prepare(
            s, "INSERT INTO sm_secrets(arn, name, description, kms_key_id, owning_service,"
               " instance_id, tags, created_ms, changed_ms) VALUES (?,?,?,?,?,?,?,?,?)");
        if (st) {
            int64_t now = sm_now(s);
            sqlrow_bind_text(st, 1, arn);
            sqlrow_bind_text(st, 2, n->name);
            sqlrow_bind_text(st, 3, n->description);
            sqlrow_bind_text(st, 4, n->kms_ref && *n->kms_ref ? karn : NULL);
            sqlrow_bind_text(st, 5, n->owning_service);
            sqlrow_bind_text(st, 6, n->instance_id);
            sqlrow_bind_text(st, 7, n->tags_json ? n->tags_json : "[]");
            sqlite3_bind_int64(st, 8, now);
            sqlite3_bind_int64(st, 9, now);
        }
        good = sm_run(st) || sm_internal(err);
    }
    if (!sm_end(s, good))
        return good ? sm_internal(err) : false;
    if (key_arn)
        snprintf(key_arn, KMS_ARN_MAX, "%s", karn);
    LOG_INFO("secrets: created name=%s version=%s", n->name, version);
    return true;
}

/* A deleted (scheduled) secret refuses everything but Describe/List. */
static bool sm_refuse_deleted(const sm_row *row, sm_err *err)
{
    if (row->deleted_ms > 0)
        return sm_err_set(err, SM_INVALID_REQUEST, "You can't perform this operation on the "
                          "secret because it was marked for deletion.");
    return true;
}

/* A new AWSCURRENT version of row with value (inside the caller's savepoint). */
static bool sm_new_current(secrets *s, const sm_row *row, const char *value, const char *token,
                           char *version, sm_err *err)
{
    if (token) {
        snprintf(version, SM_VERSION_ID_MAX, "%s", token);
        sqlite3_stmt *st = sm_prepare(s, "SELECT 1 FROM sm_versions WHERE arn = ? AND "
                                         "version_id = ?");
        if (!st)
            return sm_internal(err);
        sqlite3_bind_text(st, 1, row->arn, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, token, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc == SQLITE_ROW)
            return sm_err_set(err, SM_EXISTS, "A version with this ClientRequestToken already "
                              "exists.");
    } else if (!sm_uuid(version)) {
        return sm_internal(err);
    }
    const char *key_ref = row->kms_key_id ? row->kms_key_id : KMS_DEFAULT_SM_ALIAS;
    if (!sm_demote(s, row->arn))
        return sm_internal(err);
    return sm_version_insert(s, row->arn, version, key_ref, value, "AWSCURRENT", NULL, err) &&
           (sm_touch(s, row->arn, "changed_ms") || sm_internal(err));
}

bool secrets_put_value(secrets *s, const char *id, const char *value, const char *token,
                       char *arn, char *version, sm_err *err)
{
    if (!sm_check_value(value, err) || !sm_check_token(token, err))
        return false;
    if (!sm_begin(s))
        return sm_internal(err);
    sm_row row;
    bool good = sm_find(s, id, &row, err) && sm_refuse_deleted(&row, err);
    if (good && row.owning_service)
        good = sm_err_set(err, SM_INVALID_REQUEST, "You can't modify the secret %s: it is "
                          "managed by %s.", row.name, row.owning_service);
    good = good && sm_new_current(s, &row, value, token, version, err);
    if (good)
        snprintf(arn, SM_ARN_MAX, "%s", row.arn);
    sm_row_clear(&row);
    return sm_end(s, good) || (good ? sm_internal(err) : false);
}

static void sm_time(cJSON *o, const char *name, int64_t ms)
{
    cJSON_AddNumberToObject(o, name, (double)ms / 1000.0);
}

bool secrets_get_value(secrets *s, const char *id, const char *version_id, const char *stage,
                       cJSON *out, sm_err *err)
{
    if (!sm_begin(s))
        return sm_internal(err);
    sm_row row;
    if (!sm_find(s, id, &row, err) || !sm_refuse_deleted(&row, err)) {
        sm_row_clear(&row);
        sm_end(s, false);
        return false;
    }
    sqlite3_stmt *st = sm_prepare(s, "SELECT version_id, stages, wrapped, sealed, created_ms "
                                     "FROM sm_versions WHERE arn = ?1 AND "
                                     "(?2 IS NULL OR version_id = ?2) AND stages = ?3");
    bool good = st != NULL;
    if (st) {
        sqlite3_bind_text(st, 1, row.arn, -1, SQLITE_TRANSIENT);
        sqlrow_bind_text(st, 2, version_id);
        sqlite3_bind_text(st, 3, stage ? stage : version_id ? "%" : "AWSCURRENT", -1,
                          SQLITE_TRANSIENT);
    }
    /* Without a stage, a version id alone matches whatever its labels. */
    if (st && version_id && !stage) {
        sqlite3_finalize(st);
        st = sm_prepare(s, "SELECT version_id, stages, wrapped, sealed, created_ms FROM "
                           "sm_versions WHERE arn = ? AND version_id = ?");
        good = st != NULL;
        if (st) {
            sqlite3_bind_text(st, 1, row.arn, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, version_id, -1, SQLITE_TRANSIENT);
        }
    }
    int rc = good ? sqlite3_step(st) : SQLITE_ERROR;
    if (rc == SQLITE_ROW) {
        const char *ver = (const char *)sqlite3_column_text(st, 0);
        const char *stages = (const char *)sqlite3_column_text(st, 1);
        char *value = sm_open(s, row.arn, ver, sqlite3_column_blob(st, 2),
                              (size_t)sqlite3_column_bytes(st, 2), sqlite3_column_blob(st, 3),
                              (size_t)sqlite3_column_bytes(st, 3), err);
        good = value != NULL;
        if (good) {
            cJSON_AddStringToObject(out, "ARN", row.arn);
            cJSON_AddStringToObject(out, "Name", row.name);
            cJSON_AddStringToObject(out, "VersionId", ver);
            cJSON_AddStringToObject(out, "SecretString", value);
            OPENSSL_cleanse(value, strlen(value));
            free(value);
            cJSON *vs = cJSON_AddArrayToObject(out, "VersionStages");
            if (stages && *stages)
                cJSON_AddItemToArray(vs, cJSON_CreateString(stages));
            sm_time(out, "CreatedDate", sqlite3_column_int64(st, 4));
        }
    } else if (rc == SQLITE_DONE) {
        good = sm_err_set(err, SM_NOT_FOUND, "Secrets Manager can't find the specified secret "
                          "value for %s: %s", version_id ? "VersionId" : "staging label",
                          version_id ? version_id : stage ? stage : "AWSCURRENT");
    } else {
        good = sm_internal(err);
    }
    sqlite3_finalize(st);
    good = good && (sm_touch(s, row.arn, "accessed_ms") || sm_internal(err));
    sm_row_clear(&row);
    return sm_end(s, good) || (good ? sm_internal(err) : false);
}

/* DescribeSecret's members of row (ListSecrets' too; versions_key names
 * the version map, which the two call differently). */
static bool sm_render(secrets *s, const sm_row *row, cJSON *out, const char *versions_key)
{
    cJSON_AddStringToObject(out, "ARN", row->arn);
    cJSON_AddStringToObject(out, "Name", row->name);
    if (row->description)
        cJSON_AddStringToObject(out, "Description", row->description);
    if (row->kms_key_id)
        cJSON_AddStringToObject(out, "KmsKeyId", row->kms_key_id);
    bool managed = row->owning_service != NULL;
    cJSON_AddBoolToObject(out, "RotationEnabled", managed);
    if (managed) {
        cJSON *rules = cJSON_AddObjectToObject(out, "RotationRules");
        cJSON_AddNumberToObject(rules, "AutomaticallyAfterDays", 7);
        cJSON_AddStringToObject(out, "OwningService", row->owning_service);
        int64_t base = row->rotated_ms ? row->rotated_ms : row->created_ms;
        sm_time(out, "NextRotationDate", base + 7 * SM_DAY_MS);
    }
    if (row->rotated_ms)
        sm_time(out, "LastRotatedDate", row->rotated_ms);
    sm_time(out, "LastChangedDate", row->changed_ms);
    if (row->accessed_ms)
        sm_time(out, "LastAccessedDate", row->accessed_ms / SM_DAY_MS * SM_DAY_MS);
    if (row->deleted_ms)
        sm_time(out, "DeletedDate", row->deleted_ms);
    cJSON *tags = cJSON_Parse(row->tags ? row->tags : "[]");
    cJSON_AddItemToObject(out, "Tags", cJSON_IsArray(tags) ? tags : cJSON_CreateArray());
    if (!cJSON_IsArray(tags))
        cJSON_Delete(tags);
    cJSON *vers = cJSON_AddObjectToObject(out, versions_key);
    sqlite3_stmt *st = sm_prepare(s, "SELECT version_id, stages FROM sm_versions WHERE arn = ? "
                                     "ORDER BY created_ms");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, row->arn, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *labels = cJSON_AddArrayToObject(vers, (const char *)sqlite3_column_text(st, 0));
        const char *stages = (const char *)sqlite3_column_text(st, 1);
        if (stages && *stages)
            cJSON_AddItemToArray(labels, cJSON_CreateString(stages));
    }
    sqlite3_finalize(st);
    sm_time(out, "CreatedDate", row->created_ms);
    return rc == SQLITE_DONE;
}

bool secrets_describe(secrets *s, const char *id, cJSON *out, sm_err *err)
{
    sm_row row;
    if (!sm_find(s, id, &row, err))
        return false;
    bool good = sm_render(s, &row, out, "VersionIdsToStages") || sm_internal(err);
    sm_row_clear(&row);
    return good;
}

static bool sm_name_matches(const char *name, const char *const *names, int n)
{
    if (n == 0)
        return true;
    bool any_positive = false, matched = false;
    for (int i = 0; i < n; i++) {
        const char *v = names[i];
        bool neg = v[0] == '!';
        if (neg)
            v++;
        bool hit = strncmp(name, v, strlen(v)) == 0;
        if (neg && hit)
            return false;
        if (!neg) {
            any_positive = true;
            matched = matched || hit;
        }
    }
    return !any_positive || matched;
}

bool secrets_list(secrets *s, int64_t after, int64_t limit, const char *const *names,
                  int n_names, cJSON *arr, int64_t *next, sm_err *err)
{
    *next = 0;
    if (!sm_purge_due(s))
        return sm_internal(err);
    sqlite3_stmt *st = sm_prepare(s, "SELECT " SM_ROW_COLS " FROM sm_secrets WHERE rowid > ? "
                                     "AND deleted_ms = 0 ORDER BY rowid");
    if (!st)
        return sm_internal(err);
    sqlite3_bind_int64(st, 1, after);
    int64_t count = 0;
    int rc;
    bool good = true;
    while (good && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        sm_row row;
        sm_row_read(st, &row);
        if (sm_name_matches(row.name, names, n_names)) {
            if (count == limit) {
                sm_row_clear(&row);
                break;
            }
            cJSON *item = cJSON_CreateObject();
            good = sm_render(s, &row, item, "SecretVersionsToStages");
            cJSON_AddItemToArray(arr, item);
            *next = ++count == limit ? row.rowid : 0;
        }
        sm_row_clear(&row);
    }
    sqlite3_finalize(st);
    if (count < limit)
        *next = 0;
    return good || sm_internal(err);
}

/* The RDS rotation: a new password for the username of the current value. */
static bool sm_rotate_rds(secrets *s, const sm_row *row, const char *token, char *version,
                          sm_err *err)
{
    if (!s->rotate || !row->instance_id)
        return sm_err_set(err, SM_INVALID_REQUEST, "The secret's owning service cannot rotate "
                          "it now.");
    cJSON *cur = cJSON_CreateObject();
    bool good = secrets_get_value(s, row->arn, NULL, "AWSCURRENT", cur, err);
    const cJSON *str = cJSON_GetObjectItemCaseSensitive(cur, "SecretString");
    cJSON *old = good && cJSON_IsString(str) ? cJSON_Parse(str->valuestring) : NULL;
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(old, "username");
    char *pw = NULL;
    if (good && !cJSON_IsString(user))
        good = sm_err_set(err, SM_INVALID_REQUEST, "The secret's value has no username.");
    if (good && !(pw = secrets_random_password(28)))
        good = sm_internal(err);
    if (good)
        good = s->rotate(s->rotate_ctx, row->instance_id, user->valuestring, pw, err);
    if (good) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "username", user->valuestring);
        cJSON_AddStringToObject(v, "password", pw);
        char *text = cJSON_PrintUnformatted(v);
        sm_wipe_json(v);
        cJSON_Delete(v);
        good = sm_new_current(s, row, text, token, version, err);
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
    if (pw) {
        OPENSSL_cleanse(pw, strlen(pw));
        free(pw);
    }
    sm_wipe_json(old);
    cJSON_Delete(old);
    sm_wipe_json(cur);
    cJSON_Delete(cur);
    return good;
}

bool secrets_rotate(secrets *s, const char *id, const char *token, char *arn, char *version,
                    sm_err *err)
{
    if (!sm_check_token(token, err))
        return false;
    if (!sm_begin(s))
        return sm_internal(err);
    sm_row row;
    bool good = sm_find(s, id, &row, err) && sm_refuse_deleted(&row, err);
    if (good && !(row.owning_service && strcmp(row.owning_service, "rds") == 0))
        good = sm_err_set(err, SM_INVALID_REQUEST, "No Lambda rotation function ARN is "
                          "associated with this secret, and rdsim runs no Lambda: only "
                          "secrets managed by RDS rotate here.");
    good = good && sm_rotate_rds(s, &row, token, version, err);
    good = good && (sm_touch(s, row.arn, "rotated_ms") || sm_internal(err));
    if (good)
        snprintf(arn, SM_ARN_MAX, "%s", row.arn);
    if (good)
        LOG_INFO("secrets: rotated name=%s version=%s", row.name, version);
    sm_row_clear(&row);
    return sm_end(s, good) || (good ? sm_internal(err) : false);
}

bool secrets_delete(secrets *s, const char *id, bool force, int window_days, char *arn,
                    char *name, int64_t *deleted_ms, sm_err *err)
{
    if (!force && (window_days < 7 || window_days > 30))
        return sm_err_set(err, SM_INVALID_PARAMETER, "The RecoveryWindowInDays value must be "
                          "between 7 and 30 days (inclusive).");
    if (!sm_begin(s))
        return sm_internal(err);
    sm_row row;
    bool good = sm_find(s, id, &row, err);
    int64_t when = sm_now(s) + (int64_t)window_days * SM_DAY_MS;
    if (good && force) {
        sqlite3_stmt *a = sm_prepare(s, "DELETE FROM sm_versions WHERE arn = ?");
        if (a)
            sqlite3_bind_text(a, 1, row.arn, -1, SQLITE_TRANSIENT);
        sqlite3_stmt *b = sm_run(a) ? sm_prepare(s, "DELETE FROM sm_secrets WHERE arn = ?")
                                       : NULL;
        if (b)
            sqlite3_bind_text(b, 1, row.arn, -1, SQLITE_TRANSIENT);
        good = sm_run(b) || sm_internal(err);
        when = sm_now(s);
    } else if (good) {
        good = sm_refuse_deleted(&row, err);
        sqlite3_stmt *st = good ? sm_prepare(s, "UPDATE sm_secrets SET deleted_ms = ? WHERE "
                                                "arn = ?")
                                : NULL;
        if (st) {
            sqlite3_bind_int64(st, 1, when);
            sqlite3_bind_text(st, 2, row.arn, -1, SQLITE_TRANSIENT);
        }
        good = good && (sm_run(st) || sm_internal(err));
    }
    if (good) {
        if (arn)
            snprintf(arn, SM_ARN_MAX, "%s", row.arn);
        if (name)
            snprintf(name, SM_NAME_MAX + 1, "%s", row.name);
        if (deleted_ms)
            *deleted_ms = when;
        LOG_INFO("secrets: deleted name=%s force=%d", row.name, force);
    }
    sm_row_clear(&row);
    return sm_end(s, good) || (good ? sm_internal(err) : false);
}
