/* kms: see kms.h.
 *
 * Invariants:
 *  1. Key material exists in plaintext only in memory, only for the call
 *     that uses it, and is wiped before the call returns; the store holds
 *     it sealed by the master key with the key id as AAD (a sealed blob
 *     moved to another key's row does not open).
 *  2. A key that is Disabled or PendingDeletion seals and opens nothing.
 *  3. A key whose deletion date has passed on the region clock is deleted,
 *     with its aliases, before any operation looks at keys: what it
 *     protected is then unrecoverable, as in AWS.
 *  4. Every change runs inside a SAVEPOINT, so it is atomic whether or not
 *     the caller holds a transaction on the same connection.
 *
 * Layout: errors and names; crypto helpers (on kmsseal.h: AES-256-GCM
 * and the master key file); storage
 * (kms_store_*, the only SQL); key references; operations; envelope
 * adapters; listings. The JSON 1.1 API is kmsapi.c, on kms.h alone. */
#include "controlplane/core/kms.h"
#include "controlplane/core/store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane/core/kmsseal.h"
#include "controlplane/core/region.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

#define KMS_MASTER_LEN KMSSEAL_KEY_LEN
#define KMS_NONCE_LEN KMSSEAL_NONCE_LEN
#define KMS_TAG_LEN KMSSEAL_TAG_LEN
#define KMS_SEALED_LEN (KMS_NONCE_LEN + KMS_DATA_KEY_LEN + KMS_TAG_LEN)
#define KMS_BLOB_MAGIC "RKB1"
#define KMS_BLOB_PREFIX (4 + KMS_KEY_ID_LEN) /* magic + key id: the blob's AAD */
#define KMS_BLOB_MIN (KMS_BLOB_PREFIX + KMS_NONCE_LEN + 1 + KMS_TAG_LEN)
#define KMS_DESCRIPTION_MAX 8192
#define KMS_ALIAS_MAX 256
#define KMS_DAY_MS (86400 * (int64_t)1000)
#define KMS_RDS_DESCRIPTION "Default key that protects my RDS database volumes when no other key is defined"
#define KMS_SM_DESCRIPTION "Default key that protects my Secrets Manager data when no other key is defined"

struct kms {
    sqlite3 *db;
    store *own;     /* kms_open_path's store, closed by kms_close; else NULL */
    char *region;
    char *account;
    const int64_t *clock_offset_ms;
    uint8_t master[KMS_MASTER_LEN];
};

/* A key row: metadata, sealed material, and its rowid (list order). */
typedef struct {
    kms_key meta;
    uint8_t sealed[KMS_SEALED_LEN];
    int64_t rowid;
} kms_row;

/* ------------------------------------------------------ errors, names */

static const char *const kms_err_names[] = {
    [KMS_OK] = "OK",
    [KMS_NOT_FOUND] = "NotFoundException",
    [KMS_DISABLED] = "DisabledException",
    [KMS_INVALID_STATE] = "KMSInvalidStateException",
    [KMS_INVALID_CIPHERTEXT] = "InvalidCiphertextException",
    [KMS_INCORRECT_KEY] = "IncorrectKeyException",
    [KMS_ALREADY_EXISTS] = "AlreadyExistsException",
    [KMS_INVALID_ALIAS_NAME] = "InvalidAliasNameException",
    [KMS_INVALID_MARKER] = "InvalidMarkerException",
    [KMS_ACCESS_DENIED] = "AccessDeniedException",
    [KMS_UNSUPPORTED] = "UnsupportedOperationException",
    [KMS_VALIDATION] = "ValidationException",
    [KMS_SERIALIZATION] = "SerializationException",
    [KMS_UNKNOWN_OPERATION] = "UnknownOperationException",
    [KMS_INTERNAL] = "KMSInternalException",
    [KMS_MALFORMED_POLICY] = "MalformedPolicyDocumentException",
    [KMS_TAG] = "TagException",
};

const char *kms_err_name(kms_errcode code)
{
    if ((size_t)code < sizeof kms_err_names / sizeof kms_err_names[0] && kms_err_names[code])
        return kms_err_names[code];
    return "KMSInternalException";
}

bool kms_err_key_inaccessible(kms_errcode code)
{
    return code == KMS_NOT_FOUND || code == KMS_DISABLED || code == KMS_INVALID_STATE;
}

bool kms_err_set(kms_err *err, kms_errcode code, const char *fmt, ...)
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

const char *kms_key_state_name(kms_key_state st)
{
    switch (st) {
    case KMS_KEY_ENABLED: return "Enabled";
    case KMS_KEY_DISABLED: return "Disabled";
    case KMS_KEY_PENDING_DELETION: return "PendingDeletion";
    }
    return "Disabled";
}

static bool kms_state_parse(const char *s, kms_key_state *out)
{
    for (int st = KMS_KEY_ENABLED; st <= KMS_KEY_PENDING_DELETION; st++) {
        if (strcmp(s, kms_key_state_name((kms_key_state)st)) == 0) {
            *out = (kms_key_state)st;
            return true;
        }
    }
    return false;
}

void kms_key_clear(kms_key *key)
{
    free(key->description);
    key->description = NULL;
}

static int64_t kms_now_ms(const kms *k)
{
    return rclock_now_ms(k->clock_offset_ms ? *k->clock_offset_ms : 0);
}

int64_t kms_clock_ms(const kms *k)
{
    return kms_now_ms(k);
}

sqlite3 *kms_db(kms *k)
{
    return k->db;
}

static void kms_key_arn(const kms *k, const char *key_id, char out[KMS_ARN_MAX])
{
    snprintf(out, KMS_ARN_MAX, "arn:aws:kms:%s:%s:key/%s", k->region, k->account, key_id);
}

static bool kms_is_uuid(const char *s)
{
    if (strlen(s) != KMS_KEY_ID_LEN)
        return false;
    for (int i = 0; i < KMS_KEY_ID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* A random (version 4) uuid, lowercase. */
static bool kms_uuid(char out[KMS_KEY_ID_LEN + 1])
{
    uint8_t b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return false;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, KMS_KEY_ID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return true;
}

/* ---------------------------------------------------------- crypto */

/* Key material is sealed with the key id as AAD. */
static bool kms_material_seal(const kms *k, const char *key_id, const uint8_t material[32],
                              uint8_t out[KMS_SEALED_LEN])
{
    char aad[64];
    int n = snprintf(aad, sizeof aad, "rdsim-kms-key:%s", key_id);
    return kmsseal_seal(k->master, aad, (size_t)n, material, KMS_DATA_KEY_LEN, out);
}

static bool kms_material_open(const kms *k, const kms_row *row, uint8_t material[32],
                              kms_err *err)
{
    char aad[64];
    int n = snprintf(aad, sizeof aad, "rdsim-kms-key:%s", row->meta.key_id);
    if (kmsseal_open(k->master, aad, (size_t)n, row->sealed, KMS_SEALED_LEN, material))
        return true;
    LOG_ERROR("kms: key material does not open (wrong master key?) key_id=%s", row->meta.key_id);
    return kms_err_set(err, KMS_INTERNAL, "The key material of %s cannot be read.", row->meta.arn);
}

/* ---------------------------------------------------------- storage */

/* The tables (kms_keys, kms_aliases) are the store's: core/store.c's
 * schema creates them. */

static bool kms_store_exec(kms *k, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(k->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        LOG_ERROR("kms: sql failed err=\"%s\"", msg ? msg : sqlite3_errmsg(k->db));
        sqlite3_free(msg);
        return false;
    }
    return true;
}

static sqlite3_stmt *kms_store_prepare(kms *k, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(k->db, sql, -1, &st, NULL) != SQLITE_OK) {
        LOG_ERROR("kms: sql prepare failed err=\"%s\"", sqlite3_errmsg(k->db));
        return NULL;
    }
    return st;
}

/* Steps a statement that returns no rows and finalizes it. */
static bool kms_store_run(kms *k, sqlite3_stmt *st)
{
    if (!st)
        return false;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        LOG_ERROR("kms: sql step failed err=\"%s\"", sqlite3_errmsg(k->db));
        return false;
    }
    return true;
}

static bool kms_store_begin(kms *k)
{
    return kms_store_exec(k, "SAVEPOINT kms");
}

static bool kms_store_end(kms *k, bool commit)
{
    if (commit && kms_store_exec(k, "RELEASE kms"))
        return true;
    kms_store_exec(k, "ROLLBACK TO kms; RELEASE kms");
    return false;
}

static void kms_store_row_read(kms *k, sqlite3_stmt *st, kms_row *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->meta.key_id, sizeof out->meta.key_id, "%s",
             (const char *)sqlite3_column_text(st, 0));
    kms_key_arn(k, out->meta.key_id, out->meta.arn);
    out->meta.description = xstrdup((const char *)sqlite3_column_text(st, 1));
    if (!kms_state_parse((const char *)sqlite3_column_text(st, 2), &out->meta.state))
        out->meta.state = KMS_KEY_DISABLED; /* unknown text: fail closed */
    out->meta.aws_managed = strcmp((const char *)sqlite3_column_text(st, 3), "AWS") == 0;
    out->meta.created_ms = sqlite3_column_int64(st, 4);
    out->meta.deletion_ms = sqlite3_column_int64(st, 5);
    out->meta.pending_days = sqlite3_column_int(st, 6);
    if (sqlite3_column_bytes(st, 7) == KMS_SEALED_LEN)
        memcpy(out->sealed, sqlite3_column_blob(st, 7), KMS_SEALED_LEN);
    out->rowid = sqlite3_column_int64(st, 8);
}

#define KMS_ROW_COLUMNS \
    "key_id, description, state, manager, created_ms, deletion_ms, pending_days, material, rowid"

/* *found tells absent from error; false only on an SQL error. */
static bool kms_store_key_get(kms *k, const char *key_id, kms_row *out, bool *found)
{
    *found = false;
    sqlite3_stmt *st = kms_store_prepare(k, "SELECT " KMS_ROW_COLUMNS " FROM kms_keys WHERE key_id = ?");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, key_id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        kms_store_row_read(k, st, out);
        *found = true;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        LOG_ERROR("kms: sql step failed err=\"%s\"", sqlite3_errmsg(k->db));
        return false;
    }
    return true;
}

static bool kms_store_key_insert(kms *k, const kms_row *row)
{
    sqlite3_stmt *st = kms_store_prepare(
        k, "INSERT INTO kms_keys(key_id, description, state, manager, created_ms, deletion_ms,"
           " pending_days, material) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, row->meta.key_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, row->meta.description ? row->meta.description : "", -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, kms_key_state_name(row->meta.state), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, row->meta.aws_managed ? "AWS" : "CUSTOMER", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, row->meta.created_ms);
    sqlite3_bind_int64(st, 6, row->meta.deletion_ms);
    sqlite3_bind_int(st, 7, row->meta.pending_days);
    sqlite3_bind_blob(st, 8, row->sealed, KMS_SEALED_LEN, SQLITE_TRANSIENT);
    return kms_store_run(k, st);
}

static bool kms_store_key_set_state(kms *k, const kms_key *meta)
{
    sqlite3_stmt *st = kms_store_prepare(
        k, "UPDATE kms_keys SET state = ?, deletion_ms = ?, pending_days = ? WHERE key_id = ?");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, kms_key_state_name(meta->state), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, meta->deletion_ms);
    sqlite3_bind_int(st, 3, meta->pending_days);
    sqlite3_bind_text(st, 4, meta->key_id, -1, SQLITE_TRANSIENT);
    return kms_store_run(k, st);
}

/* The key id an alias points at (malloc'd), or NULL with *found=false. */
static bool kms_store_alias_get(kms *k, const char *name, char **key_id, bool *found)
{
    *found = false;
    *key_id = NULL;
    sqlite3_stmt *st = kms_store_prepare(k, "SELECT key_id FROM kms_aliases WHERE name = ?");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *key_id = xstrdup((const char *)sqlite3_column_text(st, 0));
        *found = true;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static bool kms_store_alias_insert(kms *k, const char *name, const char *key_id, int64_t now)
{
    sqlite3_stmt *st = kms_store_prepare(
        k, "INSERT INTO kms_aliases(name, key_id, created_ms, updated_ms) VALUES(?, ?, ?, ?)");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, key_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, now);
    return kms_store_run(k, st);
}

/* Deletes keys whose deletion date has come, and their aliases. */
static bool kms_store_purge_due(kms *k)
{
    int64_t now = kms_now_ms(k);
    sqlite3_stmt *st = kms_store_prepare(
        k, "SELECT key_id FROM kms_keys WHERE state = 'PendingDeletion' AND deletion_ms <= ?");
    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, now);
    bool any = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        LOG_INFO("kms: key deleted at the end of its waiting period key_id=%s",
                 (const char *)sqlite3_column_text(st, 0));
        any = true;
    }
    sqlite3_finalize(st);
    if (!any)
        return true;
    if (!kms_store_begin(k))
        return false;
    sqlite3_stmt *a = kms_store_prepare(
        k, "DELETE FROM kms_aliases WHERE key_id IN (SELECT key_id FROM kms_keys"
           " WHERE state = 'PendingDeletion' AND deletion_ms <= ?)");
    if (a)
        sqlite3_bind_int64(a, 1, now);
    bool good = kms_store_run(k, a);
    sqlite3_stmt *d = good ? kms_store_prepare(k, "DELETE FROM kms_keys WHERE state ="
                                                  " 'PendingDeletion' AND deletion_ms <= ?")
                           : NULL;
    if (d)
        sqlite3_bind_int64(d, 1, now);
    good = good && kms_store_run(k, d);
    /* Policy, rotation and tags (kmsmeta.c) go with their key. */
    good = good && kms_store_exec(k, "DELETE FROM kms_key_meta WHERE key_id NOT IN"
                                     " (SELECT key_id FROM kms_keys)");
    return kms_store_end(k, good);
}

/* ------------------------------------------------------------- open */

kms *kms_open(sqlite3 *db, const kms_config *cfg)
{
    kms *k = xcalloc(1, sizeof *k);
    k->db = db;
    k->region = xstrdup(cfg->region);
    k->account = xstrdup(cfg->account);
    k->clock_offset_ms = cfg->clock_offset_ms;
    if (!kmsseal_master_load(cfg->master_key_path, k->master)) {
        kms_close(k);
        return NULL;
    }
    return k;
}

kms *kms_open_path(const char *db_path, const kms_config *cfg)
{
    store *st = store_open(db_path);
    if (!st)
        return NULL;
    kms *k = kms_open(store_sqlite(st), cfg);
    if (!k) {
        store_close(st);
        return NULL;
    }
    k->own = st;
    return k;
}

void kms_close(kms *k)
{
    if (!k)
        return;
    OPENSSL_cleanse(k->master, sizeof k->master);
    store_close(k->own);
    free(k->region);
    free(k->account);
    free(k);
}

/* --------------------------------------------------- key references */

/* Creates the AWS managed key behind alias_name (alias/aws/rds or
 * alias/aws/secretsmanager). */
static bool kms_default_key_create(kms *k, const char *alias_name, kms_row *out, kms_err *err)
{
    uint8_t material[KMS_DATA_KEY_LEN];
    memset(out, 0, sizeof *out);
    int64_t now = kms_now_ms(k);
    bool good = kms_uuid(out->meta.key_id) && RAND_bytes(material, sizeof material) == 1 &&
                kms_material_seal(k, out->meta.key_id, material, out->sealed);
    OPENSSL_cleanse(material, sizeof material);
    if (!good)
        return kms_err_set(err, KMS_INTERNAL, "The key could not be created.");
    kms_key_arn(k, out->meta.key_id, out->meta.arn);
    out->meta.description = xstrdup(strcmp(alias_name, KMS_DEFAULT_SM_ALIAS) == 0
                                        ? KMS_SM_DESCRIPTION
                                        : KMS_RDS_DESCRIPTION);
    out->meta.state = KMS_KEY_ENABLED;
    out->meta.aws_managed = true;
    out->meta.created_ms = now;
    if (!kms_store_begin(k))
        return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    good = kms_store_key_insert(k, out) && kms_store_alias_insert(k, alias_name, out->meta.key_id, now);
    if (!kms_store_end(k, good)) {
        kms_key_clear(&out->meta);
        return kms_err_set(err, KMS_INTERNAL, "The key could not be created.");
    }
    LOG_INFO("kms: created the AWS managed key alias=%s key_id=%s", alias_name, out->meta.key_id);
    return true;
}

/* Resolves key_ref (key id, key ARN, and with allow_alias an alias name or
 * alias ARN) to its row. NOT_FOUND when malformed or absent. */
static bool kms_resolve(kms *k, const char *key_ref, bool allow_alias, kms_row *out,
                        kms_err *err)
{
    if (!kms_store_purge_due(k))
        return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    char prefix[KMS_ARN_MAX];
    snprintf(prefix, sizeof prefix, "arn:aws:kms:%s:%s:", k->region, k->account);
    const char *rest = key_ref;
    region_arn parsed;
    if (strncmp(key_ref, "arn:", 4) == 0) {
        /* A key ARN names its key id, an alias ARN its alias name. */
        if (!region_arn_parse(key_ref, &parsed) ||
            !region_arn_is_local(&parsed, "kms", k->region, k->account))
            return kms_err_set(err, KMS_NOT_FOUND, "Invalid arn %s", key_ref);
        rest = region_arn_resource_id(&parsed, "key/");
        if (!rest && region_arn_resource_id(&parsed, "alias/"))
            rest = parsed.resource;
        if (!rest)
            return kms_err_set(err, KMS_NOT_FOUND, "Invalid arn %s", key_ref);
    }
    char *target = NULL;
    if (strncmp(rest, "alias/", 6) == 0) {
        if (!allow_alias)
            return kms_err_set(err, KMS_NOT_FOUND, "Invalid keyId '%s'", key_ref);
        bool found;
        if (!kms_store_alias_get(k, rest, &target, &found))
            return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
        if (!found) {
            if (strcmp(rest, KMS_DEFAULT_RDS_ALIAS) == 0 || strcmp(rest, KMS_DEFAULT_SM_ALIAS) == 0)
                return kms_default_key_create(k, rest, out, err);
            return kms_err_set(err, KMS_NOT_FOUND, "Alias '%s%s' is not found.", prefix, rest);
        }
        rest = target;
    } else if (!kms_is_uuid(rest)) {
        return kms_err_set(err, KMS_NOT_FOUND, "Invalid keyId '%s'", key_ref);
    }
    char id[KMS_KEY_ID_LEN + 1];
    snprintf(id, sizeof id, "%s", rest);
    str_lower(id);
    free(target);
    bool found;
    if (!kms_store_key_get(k, id, out, &found))
        return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    if (!found) {
        char arn[KMS_ARN_MAX];
        kms_key_arn(k, id, arn);
        return kms_err_set(err, KMS_NOT_FOUND, "Key '%s' does not exist", arn);
    }
    return true;
}

/* For cryptographic use: the key must be Enabled. */
static bool kms_usable(const kms_row *row, kms_err *err)
{
    if (row->meta.state == KMS_KEY_DISABLED)
        return kms_err_set(err, KMS_DISABLED, "%s is disabled.", row->meta.arn);
    if (row->meta.state == KMS_KEY_PENDING_DELETION)
        return kms_err_set(err, KMS_INVALID_STATE, "%s is pending deletion.", row->meta.arn);
    return true;
}

static void kms_row_out(kms_row *row, kms_key *out)
{
    if (out) {
        *out = row->meta;
        row->meta.description = NULL;
    }
    kms_key_clear(&row->meta);
}

/* ------------------------------------------------------- operations */

bool kms_key_create(kms *k, const char *description, kms_key *out, kms_err *err)
{
    if (description && strlen(description) > KMS_DESCRIPTION_MAX)
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value at "
                        "'description' failed to satisfy constraint: Member must have length "
                        "less than or equal to %d", KMS_DESCRIPTION_MAX);
    if (!kms_store_purge_due(k))
        return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    kms_row row = {0};
    uint8_t material[KMS_DATA_KEY_LEN];
    bool good = kms_uuid(row.meta.key_id) && RAND_bytes(material, sizeof material) == 1 &&
                kms_material_seal(k, row.meta.key_id, material, row.sealed);
    OPENSSL_cleanse(material, sizeof material);
    if (!good)
        return kms_err_set(err, KMS_INTERNAL, "The key could not be created.");
    kms_key_arn(k, row.meta.key_id, row.meta.arn);
    row.meta.description = xstrdup(description ? description : "");
    row.meta.state = KMS_KEY_ENABLED;
    row.meta.created_ms = kms_now_ms(k);
    if (!kms_store_begin(k) || !kms_store_end(k, kms_store_key_insert(k, &row))) {
        kms_key_clear(&row.meta);
        return kms_err_set(err, KMS_INTERNAL, "The key could not be created.");
    }
    LOG_INFO("kms: key created key_id=%s", row.meta.key_id);
    kms_row_out(&row, out);
    return true;
}

bool kms_key_describe(kms *k, const char *key_ref, kms_key *out, kms_err *err)
{
    kms_row row;
    if (!kms_resolve(k, key_ref, true, &row, err))
        return false;
    kms_row_out(&row, out);
    return true;
}

/* Loads a customer managed key for a state change. */
static bool kms_managed_row(kms *k, const char *key_ref, const char *op, kms_row *row,
                            kms_err *err)
{
    if (!kms_resolve(k, key_ref, false, row, err))
        return false;
    if (row->meta.aws_managed) {
        kms_err_set(err, KMS_ACCESS_DENIED, "You cannot perform %s on the AWS managed key %s.", op,
                 row->meta.arn);
        kms_key_clear(&row->meta);
        return false;
    }
    return true;
}

static bool kms_row_save_state(kms *k, kms_row *row, kms_err *err)
{
    if (!kms_store_begin(k) || !kms_store_end(k, kms_store_key_set_state(k, &row->meta)))
        return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    LOG_INFO("kms: key state key_id=%s state=%s", row->meta.key_id,
             kms_key_state_name(row->meta.state));
    return true;
}

bool kms_key_set_enabled(kms *k, const char *key_ref, bool enabled, kms_err *err)
{
    kms_row row;
    if (!kms_managed_row(k, key_ref, enabled ? "EnableKey" : "DisableKey", &row, err))
        return false;
    bool good;
    if (row.meta.state == KMS_KEY_PENDING_DELETION)
        good = kms_err_set(err, KMS_INVALID_STATE, "%s is pending deletion.", row.meta.arn);
    else if ((row.meta.state == KMS_KEY_ENABLED) == enabled)
        good = true;
    else {
        row.meta.state = enabled ? KMS_KEY_ENABLED : KMS_KEY_DISABLED;
        good = kms_row_save_state(k, &row, err);
    }
    kms_key_clear(&row.meta);
    return good;
}

bool kms_key_schedule_deletion(kms *k, const char *key_ref, int days, kms_key *out,
                               kms_err *err)
{
    if (days < 7 || days > 30)
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value '%d' at "
                        "'pendingWindowInDays' failed to satisfy constraint: Member must have "
                        "value between 7 and 30", days);
    kms_row row;
    if (!kms_managed_row(k, key_ref, "ScheduleKeyDeletion", &row, err))
        return false;
    if (row.meta.state == KMS_KEY_PENDING_DELETION) {
        kms_err_set(err, KMS_INVALID_STATE, "%s is pending deletion.", row.meta.arn);
        kms_key_clear(&row.meta);
        return false;
    }
    row.meta.state = KMS_KEY_PENDING_DELETION;
    row.meta.pending_days = days;
    row.meta.deletion_ms = kms_now_ms(k) + days * KMS_DAY_MS;
    if (!kms_row_save_state(k, &row, err)) {
        kms_key_clear(&row.meta);
        return false;
    }
    kms_row_out(&row, out);
    return true;
}

bool kms_key_cancel_deletion(kms *k, const char *key_ref, kms_key *out, kms_err *err)
{
    kms_row row;
    if (!kms_managed_row(k, key_ref, "CancelKeyDeletion", &row, err))
        return false;
    if (row.meta.state != KMS_KEY_PENDING_DELETION) {
        kms_err_set(err, KMS_INVALID_STATE, "%s is not pending deletion.", row.meta.arn);
        kms_key_clear(&row.meta);
        return false;
    }
    row.meta.state = KMS_KEY_DISABLED;
    row.meta.pending_days = 0;
    row.meta.deletion_ms = 0;
    if (!kms_row_save_state(k, &row, err)) {
        kms_key_clear(&row.meta);
        return false;
    }
    kms_row_out(&row, out);
    return true;
}

static bool kms_alias_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n <= 6 || n > KMS_ALIAS_MAX || strncmp(name, "alias/", 6) != 0)
        return false;
    for (size_t i = 6; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("/_-", name[i]))
            return false;
    return true;
}

bool kms_alias_create(kms *k, const char *alias_name, const char *target_key_ref, kms_err *err)
{
    if (!kms_alias_name_valid(alias_name))
        return kms_err_set(err, KMS_INVALID_ALIAS_NAME, "Alias must start with the prefix "
                        "\"alias/\" and contain only [a-zA-Z0-9/_-]; got '%s'", alias_name);
    if (strncmp(alias_name, "alias/aws/", 10) == 0)
        return kms_err_set(err, KMS_INVALID_ALIAS_NAME, "Alias names that begin with alias/aws/ "
                        "are reserved.");
    kms_row row;
    if (!kms_managed_row(k, target_key_ref, "CreateAlias", &row, err))
        return false;
    bool good = false;
    char *existing = NULL;
    bool found;
    if (row.meta.state == KMS_KEY_PENDING_DELETION) {
        kms_err_set(err, KMS_INVALID_STATE, "%s is pending deletion.", row.meta.arn);
    } else if (!kms_store_alias_get(k, alias_name, &existing, &found)) {
        kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    } else if (found) {
        kms_err_set(err, KMS_ALREADY_EXISTS, "An alias with the name arn:aws:kms:%s:%s:%s already "
                 "exists", k->region, k->account, alias_name);
    } else if (!kms_store_begin(k) ||
               !kms_store_end(k, kms_store_alias_insert(k, alias_name, row.meta.key_id,
                                                        kms_now_ms(k)))) {
        kms_err_set(err, KMS_INTERNAL, "The alias could not be created.");
    } else {
        LOG_INFO("kms: alias created alias=%s key_id=%s", alias_name, row.meta.key_id);
        good = true;
    }
    free(existing);
    kms_key_clear(&row.meta);
    return good;
}

/* ------------------------------------------------- crypto operations */

/* blob = magic | key id | nonce | ciphertext | tag. */
static bool kms_blob_seal(const kms_row *row, const uint8_t material[32], const uint8_t *plain,
                          size_t len, uint8_t *blob, size_t *blob_len)
{
    memcpy(blob, KMS_BLOB_MAGIC, 4);
    memcpy(blob + 4, row->meta.key_id, KMS_KEY_ID_LEN);
    if (!kmsseal_seal(material, blob, KMS_BLOB_PREFIX, plain, len, blob + KMS_BLOB_PREFIX))
        return false;
    *blob_len = KMS_BLOB_PREFIX + KMS_NONCE_LEN + len + KMS_TAG_LEN;
    return true;
}

static bool kms_seal_with(kms *k, const char *key_ref, const uint8_t *plain, size_t len,
                          uint8_t *blob, size_t *blob_len, char *arn_out, kms_err *err)
{
    kms_row row;
    if (!kms_resolve(k, key_ref, true, &row, err))
        return false;
    uint8_t material[KMS_DATA_KEY_LEN];
    bool good = kms_usable(&row, err) && kms_material_open(k, &row, material, err);
    if (good && !kms_blob_seal(&row, material, plain, len, blob, blob_len))
        good = kms_err_set(err, KMS_INTERNAL, "Encryption failed.");
    OPENSSL_cleanse(material, sizeof material);
    if (good && arn_out)
        snprintf(arn_out, KMS_ARN_MAX, "%s", row.meta.arn);
    kms_key_clear(&row.meta);
    return good;
}

bool kms_encrypt(kms *k, const char *key_ref, const uint8_t *plain, size_t len, uint8_t *blob,
                 size_t *blob_len, char *arn_out, kms_err *err)
{
    if (len < 1 || len > KMS_PLAINTEXT_MAX)
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value at 'plaintext' "
                        "failed to satisfy constraint: Member must have length between 1 and %d",
                        KMS_PLAINTEXT_MAX);
    return kms_seal_with(k, key_ref, plain, len, blob, blob_len, arn_out, err);
}

bool kms_generate_data_key(kms *k, const char *key_ref, size_t nbytes, uint8_t *plain,
                           uint8_t *blob, size_t *blob_len, char *arn_out, kms_err *err)
{
    if (nbytes < 1 || nbytes > KMS_DATA_KEY_MAX_BYTES)
        return kms_err_set(err, KMS_VALIDATION, "1 validation error detected: Value '%zu' at "
                        "'numberOfBytes' failed to satisfy constraint: Member must have value "
                        "between 1 and %d", nbytes, KMS_DATA_KEY_MAX_BYTES);
    if (RAND_bytes(plain, (int)nbytes) != 1)
        return kms_err_set(err, KMS_INTERNAL, "No random bytes.");
    if (kms_seal_with(k, key_ref, plain, nbytes, blob, blob_len, arn_out, err))
        return true;
    OPENSSL_cleanse(plain, nbytes);
    return false;
}

bool kms_decrypt(kms *k, const uint8_t *blob, size_t blob_len, const char *expect_key_ref,
                 uint8_t *plain, size_t *plain_len, char *arn_out, kms_err *err)
{
    if (blob_len < KMS_BLOB_MIN || blob_len > KMS_BLOB_MAX || memcmp(blob, KMS_BLOB_MAGIC, 4) != 0)
        return kms_err_set(err, KMS_INVALID_CIPHERTEXT, "The ciphertext is not a KMS ciphertext blob.");
    char id[KMS_KEY_ID_LEN + 1];
    memcpy(id, blob + 4, KMS_KEY_ID_LEN);
    id[KMS_KEY_ID_LEN] = '\0';
    if (!kms_is_uuid(id))
        return kms_err_set(err, KMS_INVALID_CIPHERTEXT, "The ciphertext is not a KMS ciphertext blob.");
    kms_row row;
    if (!kms_resolve(k, id, false, &row, err))
        return false;
    bool good = true;
    if (expect_key_ref) {
        kms_row want = {0};
        if (!kms_resolve(k, expect_key_ref, true, &want, NULL) ||
            strcmp(want.meta.key_id, row.meta.key_id) != 0)
            good = kms_err_set(err, KMS_INCORRECT_KEY, "The key ID in the request does not identify "
                            "the key that encrypted the ciphertext.");
        kms_key_clear(&want.meta);
    }
    uint8_t material[KMS_DATA_KEY_LEN];
    good = good && kms_usable(&row, err) && kms_material_open(k, &row, material, err);
    if (good) {
        if (kmsseal_open(material, blob, KMS_BLOB_PREFIX, blob + KMS_BLOB_PREFIX,
                         blob_len - KMS_BLOB_PREFIX, plain))
            *plain_len = blob_len - KMS_BLOB_PREFIX - KMS_NONCE_LEN - KMS_TAG_LEN;
        else
            good = kms_err_set(err, KMS_INVALID_CIPHERTEXT, "The ciphertext failed verification.");
    }
    OPENSSL_cleanse(material, sizeof material);
    if (good && arn_out)
        snprintf(arn_out, KMS_ARN_MAX, "%s", row.meta.arn);
    kms_key_clear(&row.meta);
    return good;
}

/* ------------------------------------------------- envelope adapters */

bool kms_envelope_wrap(void *ctx, const uint8_t *plain_key, size_t len, uint8_t *out,
                       size_t *out_len, char *key_id_out)
{
    kms_envelope_ctx *c = ctx;
    uint8_t blob[KMS_BLOB_MAX];
    size_t blob_len = 0;
    char arn[KMS_ARN_MAX];
    c->err = (kms_err){0};
    if (!kms_encrypt(c->k, c->key_ref, plain_key, len, blob, &blob_len, arn, &c->err))
        return false;
    if (blob_len > *out_len || strlen(arn) >= ENVELOPE_KEY_ID_MAX)
        return kms_err_set(&c->err, KMS_INTERNAL, "The wrapped key does not fit.");
    memcpy(out, blob, blob_len);
    *out_len = blob_len;
    snprintf(key_id_out, ENVELOPE_KEY_ID_MAX, "%s", arn);
    return true;
}

envelope_status kms_envelope_unwrap(void *ctx, const char *key_id, const uint8_t *wrapped,
                                    size_t wrapped_len, uint8_t *plain_out, size_t *plain_len)
{
    kms_envelope_ctx *c = ctx;
    uint8_t plain[KMS_PLAINTEXT_MAX];
    size_t n = 0;
    c->err = (kms_err){0};
    /* The header's key id is bound into every chunk by the envelope; here
     * it must also be the blob's key, or the blob was swapped. */
    envelope_status st = ENVELOPE_OK;
    if (!kms_decrypt(c->k, wrapped, wrapped_len, key_id, plain, &n, NULL, &c->err))
        st = kms_err_key_inaccessible(c->err.code) ? ENVELOPE_KEY : ENVELOPE_CORRUPT;
    else if (n > *plain_len)
        st = ENVELOPE_CORRUPT;
    if (st == ENVELOPE_OK) {
        memcpy(plain_out, plain, n);
        *plain_len = n;
    }
    OPENSSL_cleanse(plain, sizeof plain);
    return st;
}

/* ------------------------------------------------------- listings */

const char *kms_account(const kms *k)
{
    return k->account;
}

/* Runs st (its rows: key_id, alias name or NULL, created, updated,
 * rowid) into fn, at most limit rows; *next is the last rowid shown when
 * another row follows, else 0. */
static void kms_list_rows(kms *k, sqlite3_stmt *st, int64_t limit, kms_list_fn fn, void *ctx,
                          int64_t *next)
{
    int64_t last = 0;
    int64_t n = 0;
    int rc = SQLITE_DONE;
    while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key_id = (const char *)sqlite3_column_text(st, 0);
        const char *alias = (const char *)sqlite3_column_text(st, 1);
        char arn[KMS_ARN_MAX];
        char *alias_arn = NULL;
        kms_key_arn(k, key_id, arn);
        if (alias)
            alias_arn = xasprintf("arn:aws:kms:%s:%s:%s", k->region, k->account, alias);
        kms_list_item item = {.key_id = key_id,
                              .arn = alias ? alias_arn : arn,
                              .alias_name = alias,
                              .created_ms = sqlite3_column_int64(st, 2),
                              .updated_ms = sqlite3_column_int64(st, 3)};
        fn(ctx, &item);
        free(alias_arn);
        last = sqlite3_column_int64(st, 4);
        n++;
    }
    /* Stepping past SQLITE_DONE would start the query over: look for a
     * further row only when the page stopped at its limit. */
    *next = n == limit && rc == SQLITE_ROW && sqlite3_step(st) == SQLITE_ROW ? last : 0;
}

bool kms_key_list(kms *k, int64_t after, int64_t limit, kms_list_fn fn, void *ctx,
                  int64_t *next, kms_err *err)
{
    if (!kms_store_purge_due(k))
        return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    sqlite3_stmt *st = kms_store_prepare(k, "SELECT key_id, NULL, created_ms, created_ms, rowid"
                                            " FROM kms_keys WHERE rowid > ? ORDER BY rowid");
    if (!st)
        return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    sqlite3_bind_int64(st, 1, after);
    kms_list_rows(k, st, limit, fn, ctx, next);
    sqlite3_finalize(st);
    return true;
}

bool kms_alias_list(kms *k, const char *key_ref, int64_t after, int64_t limit, kms_list_fn fn,
                    void *ctx, int64_t *next, kms_err *err)
{
    char key_id[KMS_KEY_ID_LEN + 1] = "";
    if (key_ref) {
        kms_row row;
        if (!kms_resolve(k, key_ref, false, &row, err))
            return false;
        snprintf(key_id, sizeof key_id, "%s", row.meta.key_id);
        kms_key_clear(&row.meta);
    } else if (!kms_store_purge_due(k)) {
        return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    }
    sqlite3_stmt *st = kms_store_prepare(
        k, "SELECT key_id, name, created_ms, updated_ms, rowid FROM kms_aliases"
           " WHERE rowid > ? AND (?2 = '' OR key_id = ?2) ORDER BY rowid");
    if (!st)
        return kms_err_set(err, KMS_INTERNAL, "The key store is unavailable.");
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_text(st, 2, key_id, -1, SQLITE_TRANSIENT);
    kms_list_rows(k, st, limit, fn, ctx, next);
    sqlite3_finalize(st);
    return true;
}

/* ------------------------------------------------ the region's own secrets */

bool kms_master_seal(kms *k, const char *aad, const uint8_t *plain, size_t len, uint8_t *out)
{
    return kmsseal_seal(k->master, aad, strlen(aad), plain, len, out);
}

bool kms_master_open(kms *k, const char *aad, const uint8_t *in, size_t in_len, uint8_t *plain)
{
    return kmsseal_open(k->master, aad, strlen(aad), in, in_len, plain);
}
