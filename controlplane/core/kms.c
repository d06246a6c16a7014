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
 * Layout: errors and names; the master key; crypto helpers; storage
 * (kms_store_*, the only SQL); key references; operations; envelope
 * adapters; the JSON 1.1 API. */
#include "controlplane/core/kms.h"
#include "controlplane/core/store.h"

#include <cjson/cJSON.h>
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

#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

#define KMS_MASTER_LEN 32
#define KMS_NONCE_LEN 12
#define KMS_TAG_LEN 16
#define KMS_SEALED_LEN (KMS_NONCE_LEN + KMS_DATA_KEY_LEN + KMS_TAG_LEN)
#define KMS_BLOB_MAGIC "RKB1"
#define KMS_BLOB_PREFIX (4 + KMS_KEY_ID_LEN) /* magic + key id: the blob's AAD */
#define KMS_BLOB_MIN (KMS_BLOB_PREFIX + KMS_NONCE_LEN + 1 + KMS_TAG_LEN)
#define KMS_DESCRIPTION_MAX 8192
#define KMS_ALIAS_MAX 256
#define KMS_LIST_DEFAULT 100
#define KMS_LIST_MAX 1000
#define KMS_DATA_KEY_MAX_BYTES 1024
#define KMS_DAY_MS (86400 * (int64_t)1000)
#define KMS_RDS_DESCRIPTION "Default key that protects my RDS database volumes when no other key is defined"

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

/* Sets err (if not NULL) and returns false. */
static bool kms_fail(kms_err *err, kms_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool kms_fail(kms_err *err, kms_errcode code, const char *fmt, ...)
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

/* out = nonce | AES-256-GCM(key, plain; aad) | tag; out has len + 28 bytes. */
static bool kms_gcm_seal(const uint8_t key[32], const void *aad, size_t aad_len,
                         const uint8_t *plain, size_t len, uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    bool good = c && RAND_bytes(out, KMS_NONCE_LEN) == 1 &&
                EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) == 1 &&
                EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1 &&
                EVP_EncryptUpdate(c, out + KMS_NONCE_LEN, &n, plain, (int)len) == 1 &&
                EVP_EncryptFinal_ex(c, out + KMS_NONCE_LEN + len, &n) == 1 &&
                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KMS_TAG_LEN,
                                    out + KMS_NONCE_LEN + len) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!good)
        LOG_ERROR("kms: encryption failed");
    return good;
}

/* The inverse: in is nonce | ciphertext | tag (in_len >= 28); plain gets
 * in_len - 28 bytes. False when the tag does not verify. */
static bool kms_gcm_open(const uint8_t key[32], const void *aad, size_t aad_len,
                         const uint8_t *in, size_t in_len, uint8_t *plain)
{
    if (in_len < KMS_NONCE_LEN + KMS_TAG_LEN)
        return false;
    size_t len = in_len - KMS_NONCE_LEN - KMS_TAG_LEN;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;
    bool good = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
                EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) == 1 &&
                EVP_DecryptUpdate(c, plain, &n, in + KMS_NONCE_LEN, (int)len) == 1 &&
                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KMS_TAG_LEN,
                                    (void *)(in + KMS_NONCE_LEN + len)) == 1 &&
                EVP_DecryptFinal_ex(c, plain + len, &n) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!good)
        OPENSSL_cleanse(plain, len);
    return good;
}

/* Key material is sealed with the key id as AAD. */
static bool kms_material_seal(const kms *k, const char *key_id, const uint8_t material[32],
                              uint8_t out[KMS_SEALED_LEN])
{
    char aad[64];
    int n = snprintf(aad, sizeof aad, "rdsim-kms-key:%s", key_id);
    return kms_gcm_seal(k->master, aad, (size_t)n, material, KMS_DATA_KEY_LEN, out);
}

static bool kms_material_open(const kms *k, const kms_row *row, uint8_t material[32],
                              kms_err *err)
{
    char aad[64];
    int n = snprintf(aad, sizeof aad, "rdsim-kms-key:%s", row->meta.key_id);
    if (kms_gcm_open(k->master, aad, (size_t)n, row->sealed, KMS_SEALED_LEN, material))
        return true;
    LOG_ERROR("kms: key material does not open (wrong master key?) key_id=%s", row->meta.key_id);
    return kms_fail(err, KMS_INTERNAL, "The key material of %s cannot be read.", row->meta.arn);
}

/* ------------------------------------------------------- master key */

static bool kms_master_create(const char *path, uint8_t key[KMS_MASTER_LEN])
{
    if (RAND_bytes(key, KMS_MASTER_LEN) != 1) {
        LOG_ERROR("kms: no random bytes for the master key");
        return false;
    }
    /* O_EXCL: two controlplanes racing must not overwrite each other's key. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        LOG_ERROR("kms: cannot create the master key path=%s err=%s", path, strerror(errno));
        return false;
    }
    bool good = write(fd, key, KMS_MASTER_LEN) == KMS_MASTER_LEN && fsync(fd) == 0;
    good = close(fd) == 0 && good;
    if (!good) {
        LOG_ERROR("kms: cannot write the master key path=%s err=%s", path, strerror(errno));
        unlink(path);
        return false;
    }
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int dfd = open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    LOG_INFO("kms: created the region master key path=%s", path);
    return true;
}

static bool kms_master_load(const char *path, uint8_t key[KMS_MASTER_LEN])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return kms_master_create(path, key);
    if (fd < 0) {
        LOG_ERROR("kms: cannot open the master key path=%s err=%s", path, strerror(errno));
        return false;
    }
    struct stat sb;
    bool good = false;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        LOG_ERROR("kms: the master key is not a regular file path=%s", path);
    } else if (sb.st_mode & 077) {
        LOG_ERROR("kms: the master key is readable by others (mode %03o; want 0600) path=%s",
                  (unsigned)(sb.st_mode & 0777), path);
    } else if (sb.st_size != KMS_MASTER_LEN ||
               read(fd, key, KMS_MASTER_LEN) != KMS_MASTER_LEN) {
        LOG_ERROR("kms: the master key must be exactly %d bytes path=%s", KMS_MASTER_LEN, path);
    } else {
        good = true;
    }
    close(fd);
    if (!good)
        OPENSSL_cleanse(key, KMS_MASTER_LEN);
    return good;
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
    if (!kms_master_load(cfg->master_key_path, k->master)) {
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

/* Creates the AWS managed key behind alias_name (only alias/aws/rds). */
static bool kms_default_key_create(kms *k, const char *alias_name, kms_row *out, kms_err *err)
{
    uint8_t material[KMS_DATA_KEY_LEN];
    memset(out, 0, sizeof *out);
    int64_t now = kms_now_ms(k);
    bool good = kms_uuid(out->meta.key_id) && RAND_bytes(material, sizeof material) == 1 &&
                kms_material_seal(k, out->meta.key_id, material, out->sealed);
    OPENSSL_cleanse(material, sizeof material);
    if (!good)
        return kms_fail(err, KMS_INTERNAL, "The key could not be created.");
    kms_key_arn(k, out->meta.key_id, out->meta.arn);
    out->meta.description = xstrdup(KMS_RDS_DESCRIPTION);
    out->meta.state = KMS_KEY_ENABLED;
    out->meta.aws_managed = true;
    out->meta.created_ms = now;
    if (!kms_store_begin(k))
        return kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
    good = kms_store_key_insert(k, out) && kms_store_alias_insert(k, alias_name, out->meta.key_id, now);
    if (!kms_store_end(k, good)) {
        kms_key_clear(&out->meta);
        return kms_fail(err, KMS_INTERNAL, "The key could not be created.");
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
        return kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
    char prefix[KMS_ARN_MAX];
    snprintf(prefix, sizeof prefix, "arn:aws:kms:%s:%s:", k->region, k->account);
    const char *rest = key_ref;
    if (strncmp(key_ref, "arn:", 4) == 0) {
        size_t n = strlen(prefix);
        if (strncmp(key_ref, prefix, n) != 0)
            return kms_fail(err, KMS_NOT_FOUND, "Invalid arn %s", key_ref);
        rest = key_ref + n;
        if (strncmp(rest, "key/", 4) == 0)
            rest += 4;
        else if (strncmp(rest, "alias/", 6) != 0)
            return kms_fail(err, KMS_NOT_FOUND, "Invalid arn %s", key_ref);
    }
    char *target = NULL;
    if (strncmp(rest, "alias/", 6) == 0) {
        if (!allow_alias)
            return kms_fail(err, KMS_NOT_FOUND, "Invalid keyId '%s'", key_ref);
        bool found;
        if (!kms_store_alias_get(k, rest, &target, &found))
            return kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
        if (!found) {
            if (strcmp(rest, KMS_DEFAULT_RDS_ALIAS) == 0)
                return kms_default_key_create(k, rest, out, err);
            return kms_fail(err, KMS_NOT_FOUND, "Alias '%s%s' is not found.", prefix, rest);
        }
        rest = target;
    } else if (!kms_is_uuid(rest)) {
        return kms_fail(err, KMS_NOT_FOUND, "Invalid keyId '%s'", key_ref);
    }
    char id[KMS_KEY_ID_LEN + 1];
    snprintf(id, sizeof id, "%s", rest);
    str_lower(id);
    free(target);
    bool found;
    if (!kms_store_key_get(k, id, out, &found))
        return kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
    if (!found) {
        char arn[KMS_ARN_MAX];
        kms_key_arn(k, id, arn);
        return kms_fail(err, KMS_NOT_FOUND, "Key '%s' does not exist", arn);
    }
    return true;
}

/* For cryptographic use: the key must be Enabled. */
static bool kms_usable(const kms_row *row, kms_err *err)
{
    if (row->meta.state == KMS_KEY_DISABLED)
        return kms_fail(err, KMS_DISABLED, "%s is disabled.", row->meta.arn);
    if (row->meta.state == KMS_KEY_PENDING_DELETION)
        return kms_fail(err, KMS_INVALID_STATE, "%s is pending deletion.", row->meta.arn);
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
        return kms_fail(err, KMS_VALIDATION, "1 validation error detected: Value at "
                        "'description' failed to satisfy constraint: Member must have length "
                        "less than or equal to %d", KMS_DESCRIPTION_MAX);
    if (!kms_store_purge_due(k))
        return kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
    kms_row row = {0};
    uint8_t material[KMS_DATA_KEY_LEN];
    bool good = kms_uuid(row.meta.key_id) && RAND_bytes(material, sizeof material) == 1 &&
                kms_material_seal(k, row.meta.key_id, material, row.sealed);
    OPENSSL_cleanse(material, sizeof material);
    if (!good)
        return kms_fail(err, KMS_INTERNAL, "The key could not be created.");
    kms_key_arn(k, row.meta.key_id, row.meta.arn);
    row.meta.description = xstrdup(description ? description : "");
    row.meta.state = KMS_KEY_ENABLED;
    row.meta.created_ms = kms_now_ms(k);
    if (!kms_store_begin(k) || !kms_store_end(k, kms_store_key_insert(k, &row))) {
        kms_key_clear(&row.meta);
        return kms_fail(err, KMS_INTERNAL, "The key could not be created.");
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
        kms_fail(err, KMS_ACCESS_DENIED, "You cannot perform %s on the AWS managed key %s.", op,
                 row->meta.arn);
        kms_key_clear(&row->meta);
        return false;
    }
    return true;
}

static bool kms_row_save_state(kms *k, kms_row *row, kms_err *err)
{
    if (!kms_store_begin(k) || !kms_store_end(k, kms_store_key_set_state(k, &row->meta)))
        return kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
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
        good = kms_fail(err, KMS_INVALID_STATE, "%s is pending deletion.", row.meta.arn);
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
        return kms_fail(err, KMS_VALIDATION, "1 validation error detected: Value '%d' at "
                        "'pendingWindowInDays' failed to satisfy constraint: Member must have "
                        "value between 7 and 30", days);
    kms_row row;
    if (!kms_managed_row(k, key_ref, "ScheduleKeyDeletion", &row, err))
        return false;
    if (row.meta.state == KMS_KEY_PENDING_DELETION) {
        kms_fail(err, KMS_INVALID_STATE, "%s is pending deletion.", row.meta.arn);
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
        kms_fail(err, KMS_INVALID_STATE, "%s is not pending deletion.", row.meta.arn);
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
        return kms_fail(err, KMS_INVALID_ALIAS_NAME, "Alias must start with the prefix "
                        "\"alias/\" and contain only [a-zA-Z0-9/_-]; got '%s'", alias_name);
    if (strncmp(alias_name, "alias/aws/", 10) == 0)
        return kms_fail(err, KMS_INVALID_ALIAS_NAME, "Alias names that begin with alias/aws/ "
                        "are reserved.");
    kms_row row;
    if (!kms_managed_row(k, target_key_ref, "CreateAlias", &row, err))
        return false;
    bool good = false;
    char *existing = NULL;
    bool found;
    if (row.meta.state == KMS_KEY_PENDING_DELETION) {
        kms_fail(err, KMS_INVALID_STATE, "%s is pending deletion.", row.meta.arn);
    } else if (!kms_store_alias_get(k, alias_name, &existing, &found)) {
        kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
    } else if (found) {
        kms_fail(err, KMS_ALREADY_EXISTS, "An alias with the name arn:aws:kms:%s:%s:%s already "
                 "exists", k->region, k->account, alias_name);
    } else if (!kms_store_begin(k) ||
               !kms_store_end(k, kms_store_alias_insert(k, alias_name, row.meta.key_id,
                                                        kms_now_ms(k)))) {
        kms_fail(err, KMS_INTERNAL, "The alias could not be created.");
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
    if (!kms_gcm_seal(material, blob, KMS_BLOB_PREFIX, plain, len, blob + KMS_BLOB_PREFIX))
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
        good = kms_fail(err, KMS_INTERNAL, "Encryption failed.");
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
        return kms_fail(err, KMS_VALIDATION, "1 validation error detected: Value at 'plaintext' "
                        "failed to satisfy constraint: Member must have length between 1 and %d",
                        KMS_PLAINTEXT_MAX);
    return kms_seal_with(k, key_ref, plain, len, blob, blob_len, arn_out, err);
}

bool kms_generate_data_key(kms *k, const char *key_ref, size_t nbytes, uint8_t *plain,
                           uint8_t *blob, size_t *blob_len, char *arn_out, kms_err *err)
{
    if (nbytes < 1 || nbytes > KMS_DATA_KEY_MAX_BYTES)
        return kms_fail(err, KMS_VALIDATION, "1 validation error detected: Value '%zu' at "
                        "'numberOfBytes' failed to satisfy constraint: Member must have value "
                        "between 1 and %d", nbytes, KMS_DATA_KEY_MAX_BYTES);
    if (RAND_bytes(plain, (int)nbytes) != 1)
        return kms_fail(err, KMS_INTERNAL, "No random bytes.");
    if (kms_seal_with(k, key_ref, plain, nbytes, blob, blob_len, arn_out, err))
        return true;
    OPENSSL_cleanse(plain, nbytes);
    return false;
}

bool kms_decrypt(kms *k, const uint8_t *blob, size_t blob_len, const char *expect_key_ref,
                 uint8_t *plain, size_t *plain_len, char *arn_out, kms_err *err)
{
    if (blob_len < KMS_BLOB_MIN || blob_len > KMS_BLOB_MAX || memcmp(blob, KMS_BLOB_MAGIC, 4) != 0)
        return kms_fail(err, KMS_INVALID_CIPHERTEXT, "The ciphertext is not a KMS ciphertext blob.");
    char id[KMS_KEY_ID_LEN + 1];
    memcpy(id, blob + 4, KMS_KEY_ID_LEN);
    id[KMS_KEY_ID_LEN] = '\0';
    if (!kms_is_uuid(id))
        return kms_fail(err, KMS_INVALID_CIPHERTEXT, "The ciphertext is not a KMS ciphertext blob.");
    kms_row row;
    if (!kms_resolve(k, id, false, &row, err))
        return false;
    bool good = true;
    if (expect_key_ref) {
        kms_row want = {0};
        if (!kms_resolve(k, expect_key_ref, true, &want, NULL) ||
            strcmp(want.meta.key_id, row.meta.key_id) != 0)
            good = kms_fail(err, KMS_INCORRECT_KEY, "The key ID in the request does not identify "
                            "the key that encrypted the ciphertext.");
        kms_key_clear(&want.meta);
    }
    uint8_t material[KMS_DATA_KEY_LEN];
    good = good && kms_usable(&row, err) && kms_material_open(k, &row, material, err);
    if (good) {
        if (kms_gcm_open(material, blob, KMS_BLOB_PREFIX, blob + KMS_BLOB_PREFIX,
                         blob_len - KMS_BLOB_PREFIX, plain))
            *plain_len = blob_len - KMS_BLOB_PREFIX - KMS_NONCE_LEN - KMS_TAG_LEN;
        else
            good = kms_fail(err, KMS_INVALID_CIPHERTEXT, "The ciphertext failed verification.");
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
        return kms_fail(&c->err, KMS_INTERNAL, "The wrapped key does not fit.");
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

/* ------------------------------------------------- the JSON 1.1 API */

typedef bool (*kms_api_fn)(kms *k, const cJSON *in, cJSON *out, kms_err *err);

static bool kms_api_missing(kms_err *err, const char *member)
{
    return kms_fail(err, KMS_VALIDATION, "1 validation error detected: Value null at '%s' "
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
        return kms_fail(err, KMS_SERIALIZATION, "%s must be a string", name);
    if (required && !v->valuestring[0])
        return kms_fail(err, KMS_VALIDATION, "1 validation error detected: Value '' at '%s' "
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
        return kms_fail(err, KMS_SERIALIZATION, "%s must be an integer", name);
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
    cJSON_AddStringToObject(m, "AWSAccountId", k->account);
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
            return kms_fail(err, KMS_UNSUPPORTED, "rdsim's KMS supports only %s %s.",
                            fixed[i].name, fixed[i].only);
    }
    const cJSON *multi = cJSON_GetObjectItemCaseSensitive(in, "MultiRegion");
    if (cJSON_IsTrue(multi))
        return kms_fail(err, KMS_UNSUPPORTED, "rdsim's KMS does not support multi-Region keys.");
    const char *description;
    if (!kms_api_str(in, "Description", "description", false, &description, err))
        return false;
    kms_key key;
    if (!kms_key_create(k, description, &key, err))
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
        return kms_fail(err, KMS_VALIDATION, "1 validation error detected: Value '%lld' at "
                        "'limit' failed to satisfy constraint: Member must have value between 1 "
                        "and %d", (long long)*limit, KMS_LIST_MAX);
    const char *marker;
    *after = 0;
    if (!kms_api_str(in, "Marker", "marker", false, &marker, err))
        return false;
    if (marker && !str_to_int64(marker, 1, INT64_MAX, after))
        return kms_fail(err, KMS_INVALID_MARKER, "Invalid marker");
    return true;
}

static void kms_api_page_end(cJSON *out, sqlite3_stmt *st, int64_t last_rowid)
{
    bool more = sqlite3_step(st) == SQLITE_ROW;
    if (more) {
        char marker[32];
        snprintf(marker, sizeof marker, "%lld", (long long)last_rowid);
        cJSON_AddStringToObject(out, "NextMarker", marker);
    }
    cJSON_AddBoolToObject(out, "Truncated", more);
}

static bool kms_api_list_keys(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    int64_t limit, after;
    if (!kms_api_page(in, &limit, &after, err))
        return false;
    if (!kms_store_purge_due(k))
        return kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
    sqlite3_stmt *st = kms_store_prepare(k, "SELECT key_id, rowid FROM kms_keys WHERE rowid > ?"
                                            " ORDER BY rowid");
    if (!st)
        return kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
    sqlite3_bind_int64(st, 1, after);
    cJSON *keys = cJSON_AddArrayToObject(out, "Keys");
    int64_t last = after;
    for (int64_t n = 0; n < limit && sqlite3_step(st) == SQLITE_ROW; n++) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        char arn[KMS_ARN_MAX];
        kms_key_arn(k, id, arn);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "KeyId", id);
        cJSON_AddStringToObject(item, "KeyArn", arn);
        cJSON_AddItemToArray(keys, item);
        last = sqlite3_column_int64(st, 1);
    }
    kms_api_page_end(out, st, last);
    sqlite3_finalize(st);
    return true;
}

static bool kms_api_list_aliases(kms *k, const cJSON *in, cJSON *out, kms_err *err)
{
    int64_t limit, after;
    const char *ref;
    if (!kms_api_page(in, &limit, &after, err) ||
        !kms_api_str(in, "KeyId", "keyId", false, &ref, err))
        return false;
    char key_id[KMS_KEY_ID_LEN + 1] = "";
    if (ref) {
        kms_row row;
        if (!kms_resolve(k, ref, false, &row, err))
            return false;
        snprintf(key_id, sizeof key_id, "%s", row.meta.key_id);
        kms_key_clear(&row.meta);
    } else if (!kms_store_purge_due(k)) {
        return kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
    }
    sqlite3_stmt *st = kms_store_prepare(
        k, "SELECT name, key_id, created_ms, updated_ms, rowid FROM kms_aliases"
           " WHERE rowid > ? AND (?2 = '' OR key_id = ?2) ORDER BY rowid");
    if (!st)
        return kms_fail(err, KMS_INTERNAL, "The key store is unavailable.");
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_text(st, 2, key_id, -1, SQLITE_TRANSIENT);
    cJSON *aliases = cJSON_AddArrayToObject(out, "Aliases");
    int64_t last = after;
    for (int64_t n = 0; n < limit && sqlite3_step(st) == SQLITE_ROW; n++) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "AliasName", name);
        char *arn = xasprintf("arn:aws:kms:%s:%s:%s", k->region, k->account, name);
        cJSON_AddStringToObject(item, "AliasArn", arn);
        free(arn);
        cJSON_AddStringToObject(item, "TargetKeyId", (const char *)sqlite3_column_text(st, 1));
        kms_api_time(item, "CreationDate", sqlite3_column_int64(st, 2));
        kms_api_time(item, "LastUpdatedDate", sqlite3_column_int64(st, 3));
        cJSON_AddItemToArray(aliases, item);
        last = sqlite3_column_int64(st, 4);
    }
    kms_api_page_end(out, st, last);
    sqlite3_finalize(st);
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
        return kms_fail(err, KMS_VALIDATION, "1 validation error detected: Value '%lld' at "
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
        return kms_fail(err, KMS_VALIDATION, "Please specify either number of bytes or key spec.");
    if (spec) {
        if (strcmp(spec, "AES_256") != 0 && strcmp(spec, "AES_128") != 0)
            return kms_fail(err, KMS_VALIDATION, "1 validation error detected: Value '%s' at "
                            "'keySpec' failed to satisfy constraint: Member must satisfy enum "
                            "value set: [AES_256, AES_128]", spec);
        nbytes = strcmp(spec, "AES_256") == 0 ? 32 : 16;
    }
    if (nbytes < 1 || nbytes > KMS_DATA_KEY_MAX_BYTES)
        return kms_fail(err, KMS_VALIDATION, "1 validation error detected: Value '%lld' at "
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
        return kms_fail(err, KMS_SERIALIZATION, "Plaintext must be base64 of 1 to %d bytes",
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
        return kms_fail(err, KMS_INVALID_CIPHERTEXT, "The ciphertext is not a KMS ciphertext blob.");
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

static const struct {
    const char *name;
    kms_api_fn fn;
} kms_api_table[] = {
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
        kms_fail(&err, KMS_UNKNOWN_OPERATION, "Unknown operation %s", target ? target : "(none)");
        goto done;
    }
    if (len > KMS_API_MAX_BODY) {
        kms_fail(&err, KMS_SERIALIZATION, "The request body is larger than %d bytes.",
                 KMS_API_MAX_BODY);
        goto done;
    }
    /* botocore always sends an object; an empty body is taken as {}. */
    in = len ? cJSON_ParseWithLength(body, len) : cJSON_CreateObject();
    if (!cJSON_IsObject(in)) {
        kms_fail(&err, KMS_SERIALIZATION, "The request body is not a JSON object.");
        goto done;
    }
    out = cJSON_CreateObject();
    if (!fn(k, in, out, &err) && err.code == KMS_OK)
        kms_fail(&err, KMS_INTERNAL, "The request failed for an internal reason.");
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
