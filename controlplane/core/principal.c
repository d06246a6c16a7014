/* principal: see principal.h.
 *
 * Invariants:
 *  1. A secret exists in plaintext only in this process's memory (wiped
 *     after use) and in the 0600 files handed to its owner; the store row
 *     holds nonce | AES-256-GCM(secret; aad = key id) | tag.
 *  2. One principal name has one key: principals_ensure finds it by name
 *     before it makes one, so a restart never mints a second admin key. */
#include "controlplane/core/principal.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "controlplane/core/kmsseal.h"
#include "controlplane/core/policy.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

#define SEALED_LEN (PRINCIPAL_SECRET_LEN + KMSSEAL_OVERHEAD)

struct principals {
    store *st;
    char *account;
    uint8_t master[KMSSEAL_KEY_LEN];
};

static const char *const kind_names[] = {
    [PRINCIPAL_ADMIN] = "admin",
    [PRINCIPAL_AGENT] = "agent",
    [PRINCIPAL_USER] = "user",
};

principals *principals_open(store *st, const char *master_key_path, const char *account)
{
    principals *p = xcalloc(1, sizeof *p);
    if (!kmsseal_master_load(master_key_path, p->master)) {
        free(p);
        return NULL;
    }
    p->st = st;
    p->account = xstrdup(account);
    return p;
}

void principals_close(principals *p)
{
    if (!p)
        return;
    OPENSSL_cleanse(p->master, sizeof p->master);
    free(p->account);
    free(p);
}

/* n characters drawn uniformly from alphabet (rejection sampling). */
static bool random_chars(const char *alphabet, char *out, size_t n)
{
    size_t k = strlen(alphabet);
    unsigned limit = 256 - 256 % (unsigned)k;
    size_t i = 0;
    while (i < n) {
        uint8_t b[64];
        if (RAND_bytes(b, sizeof b) != 1) {
            LOG_ERROR("principal: RAND_bytes failed");
            return false;
        }
        for (size_t j = 0; j < sizeof b && i < n; j++)
            if (b[j] < limit)
                out[i++] = alphabet[b[j] % k];
        OPENSSL_cleanse(b, sizeof b);
    }
    out[n] = '\0';
    return true;
}

/* The administrator is the account's root (it is allowed everything,
 * as root is); the agents' principal and IAM users are users, a user's
 * ARN carrying its path. */
static void fill_identity(const principals *p, const char *name, principal_kind kind,
                          const char *user_id, const char *path, const char *key_id,
                          principal *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
    if (kind == PRINCIPAL_ADMIN)
        snprintf(out->arn, sizeof out->arn, "arn:aws:iam::%s:root", p->account);
    else
        snprintf(out->arn, sizeof out->arn, "arn:aws:iam::%s:user%s%s", p->account,
                 path && *path ? path : "/", name);
    snprintf(out->access_key_id, sizeof out->access_key_id, "%s", key_id);
    out->kind = kind;
}

static bool kind_of(const char *s, principal_kind *out)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (s && strcmp(s, kind_names[i]) == 0) {
            *out = (principal_kind)i;
            return true;
        }
    return false;
}

/* Reads the row of the current statement (key id, principal, kind,
 * user id, sealed, the IAM user's path) into out and secret. */
static bool row_read(principals *p, sqlite3_stmt *q, principal *out, char *secret)
{
    const char *key_id = (const char *)sqlite3_column_text(q, 0);
    const char *name = (const char *)sqlite3_column_text(q, 1);
    const char *kind = (const char *)sqlite3_column_text(q, 2);
    const char *user_id = (const char *)sqlite3_column_text(q, 3);
    const void *sealed = sqlite3_column_blob(q, 4);
    const char *path = (const char *)sqlite3_column_text(q, 5);
    int len = sqlite3_column_bytes(q, 4);
    principal_kind k;
    if (!key_id || !name || !user_id || !kind_of(kind, &k) || !sealed || len != SEALED_LEN) {
        LOG_ERROR("principal: malformed access key row");
        return false;
    }
    if (!kmsseal_open(p->master, key_id, strlen(key_id), sealed, (size_t)len,
                      (uint8_t *)secret)) {
        LOG_ERROR("principal: the secret of access key %s does not open (another master key?)",
                  key_id);
        return false;
    }
    secret[PRINCIPAL_SECRET_LEN] = '\0';
    fill_identity(p, name, k, user_id, path, key_id, out);
    return true;
}

/* One row by a column (where = "access_key_id", or "principal" with
 * the kind: a user may not shadow the region's own principals). */
static bool row_get(principals *p, const char *where, const char *value, principal_kind kind,
                    principal *out, char *secret, bool *found)
{
    bool by_key = strcmp(where, "access_key_id") == 0;
    char *sql = xasprintf("SELECT k.access_key_id, k.principal, k.kind, k.user_id, k.sealed,"
                          " u.path FROM access_keys k LEFT JOIN iam_users u ON k.kind = 'user'"
                          " AND u.name = k.principal WHERE k.%s = ?%s",
                          by_key ? "access_key_id" : "principal", by_key ? "" : " AND k.kind = ?");
    sqlite3_stmt *q = sqlrow_prepare(p->st, sql);
    free(sql);
    *found = false;
    if (!q)
        return false;
    sqlrow_bind_text(q, 1, value);
    if (!by_key)
        sqlrow_bind_text(q, 2, kind_names[kind]);
    int rc = sqlite3_step(q);
    bool ok = rc == SQLITE_DONE;
    if (rc == SQLITE_ROW) {
        ok = row_read(p, q, out, secret);
        *found = ok;
    } else if (rc != SQLITE_DONE) {
        LOG_ERROR("principal: lookup failed rc=%d", rc);
    }
    sqlite3_finalize(q);
    return ok;
}

bool principals_lookup(principals *p, const char *access_key_id, principal *out,
                       char secret[PRINCIPAL_SECRET_LEN + 1], bool *found)
{
    *found = false;
    /* Shape first: a request's key id is untrusted bytes. */
    size_t n = access_key_id ? strlen(access_key_id) : 0;
    if (n != PRINCIPAL_KEY_ID_LEN)
        return true;
    return row_get(p, "access_key_id", access_key_id, PRINCIPAL_USER, out, secret, found);
}

static const char key_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Makes and commits a key for (name, kind, user_id): AKIA + 16 of AWS's
 * key id alphabet (base32), a 40-character base64 secret. */
static bool key_mint(principals *p, const char *name, principal_kind kind, const char *user_id,
                     const char *path, principal *out, char *secret)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char key_id[PRINCIPAL_KEY_ID_LEN + 1] = "AKIA";
    if (!random_chars(key_alphabet, key_id + 4, PRINCIPAL_KEY_ID_LEN - 4) ||
        !random_chars(b64, secret, PRINCIPAL_SECRET_LEN))
        return false;
    uint8_t sealed[SEALED_LEN];
    if (!kmsseal_seal(p->master, key_id, strlen(key_id), (const uint8_t *)secret,
                      PRINCIPAL_SECRET_LEN, sealed))
        return false;
    sqlite3_stmt *q = sqlrow_prepare(p->st, "INSERT INTO access_keys(access_key_id, principal,"
                                            " kind, user_id, sealed, created_ms)"
                                            " VALUES(?,?,?,?,?,?)");
    if (!q)
        return false;
    sqlrow_bind_text(q, 1, key_id);
    sqlrow_bind_text(q, 2, name);
    sqlrow_bind_text(q, 3, kind_names[kind]);
    sqlrow_bind_text(q, 4, user_id);
    sqlite3_bind_blob(q, 5, sealed, sizeof sealed, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 6, rclock_now_ms(0));
    if (!sqlrow_run(q))
        return false;
    fill_identity(p, name, kind, user_id, path, key_id, out);
    LOG_INFO("principal key created name=%s kind=%s access_key_id=%s", name, kind_names[kind],
             key_id);
    return true;
}

bool principals_ensure(principals *p, const char *name, principal_kind kind, principal *out,
                       char secret[PRINCIPAL_SECRET_LEN + 1])
{
    bool found = false;
    if (!row_get(p, "principal", name, kind, out, secret, &found))
        return false;
    if (found)
        return true;
    char user_id[22];
    return principal_new_user_id(user_id) &&
           key_mint(p, name, kind, user_id, NULL, out, secret);
}

bool principal_new_user_id(char out[22])
{
    memcpy(out, "AIDA", 4);
    return random_chars(key_alphabet, out + 4, 17);
}

bool principals_user_key_create(principals *p, const char *user, const char *user_id,
                                const char *path, principal *out,
                                char secret[PRINCIPAL_SECRET_LEN + 1])
{
    return key_mint(p, user, PRINCIPAL_USER, user_id, path, out, secret);
}

int principals_user_keys(principals *p, const char *user, principal_key_info **out)
{
    *out = NULL;
    sqlite3_stmt *q = sqlrow_prepare(p->st, "SELECT access_key_id, created_ms FROM access_keys"
                                            " WHERE kind = 'user' AND principal = ?"
                                            " ORDER BY created_ms, access_key_id");
    if (!q)
        return -1;
    sqlrow_bind_text(q, 1, user);
    int n = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        *out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
        snprintf((*out)[n].access_key_id, sizeof (*out)[n].access_key_id, "%s",
                 (const char *)sqlite3_column_text(q, 0));
        (*out)[n].created_ms = sqlite3_column_int64(q, 1);
        n++;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        LOG_ERROR("principal: listing the keys of %s failed rc=%d", user, rc);
        free(*out);
        *out = NULL;
        return -1;
    }
    return n;
}

bool principals_user_key_delete(principals *p, const char *user, const char *access_key_id,
                                bool *found)
{
    *found = false;
    sqlite3_stmt *q = sqlrow_prepare(p->st, "DELETE FROM access_keys WHERE kind = 'user'"
                                            " AND principal = ? AND access_key_id = ?");
    if (!q)
        return false;
    sqlrow_bind_text(q, 1, user);
    sqlrow_bind_text(q, 2, access_key_id);
    if (!sqlrow_run(q))
        return false;
    *found = sqlrow_changes(p->st) > 0;
    if (*found)
        LOG_INFO("principal key deleted name=%s access_key_id=%s", user, access_key_id);
    return true;
}

/* ---- permissions ---- */

static const struct {
    const char *service, *action;
} operator_actions[] = {
    {"rds", "AdvanceRegionClock"},
    {"rds", "DescribeRegionClock"},
    {"sns", "ListDeliveries"},
};

/* What the agents' principal may do: open a snapshot's data key. */
static const struct {
    const char *service, *action;
} agent_actions[] = {
    {"kms", "Decrypt"},
};

bool principal_is_operator_action(const char *service, const char *action)
{
    for (size_t i = 0; i < sizeof operator_actions / sizeof operator_actions[0]; i++)
        if (strcmp(service, operator_actions[i].service) == 0 &&
            strcmp(action, operator_actions[i].action) == 0)
            return true;
    return false;
}

/* The inline policies of user (NUL-terminated documents, malloc'd, in
 * *docs): their count, or -1 (logged) when the store fails. */
static int user_policies(principals *p, const char *user, char ***docs)
{
    *docs = NULL;
    sqlite3_stmt *q = sqlrow_prepare(p->st, "SELECT document FROM iam_user_policies"
                                            " WHERE user_name = ?");
    if (!q)
        return -1;
    sqlrow_bind_text(q, 1, user);
    int n = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        *docs = xrealloc(*docs, (size_t)(n + 1) * sizeof **docs);
        (*docs)[n++] = sqlrow_text(q, 0);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        LOG_ERROR("principal: reading the policies of %s failed rc=%d", user, rc);
        n = -1;
    }
    return n;
}

/* An IAM user's verdict from its inline policies; a store failure
 * grants nothing. */
static policy_verdict user_verdict(principals *p, const principal *who, const char *action,
                                   const char *resource)
{
    if (!p)
        return POLICY_IMPLICIT_DENY;
    char **docs = NULL;
    int n = user_policies(p, who->name, &docs);
    policy_verdict v = POLICY_IMPLICIT_DENY;
    if (n > 0)
        v = policy_evaluate((const char *const *)docs, (size_t)n, action, resource);
    for (int i = 0; i < n; i++)
        free(docs[i]);
    free(docs);
    return v;
}

bool principal_may(principals *p, const principal *who, const char *service, const char *action,
                   const char *resource, char *why, size_t why_len)
{
    char full[192];
    snprintf(full, sizeof full, "%s:%s", service, action);
    if (!resource || !*resource)
        resource = "*";
    /* As on AWS: anyone authenticated may ask who they are. */
    if (strcmp(service, "sts") == 0 && strcmp(action, "GetCallerIdentity") == 0)
        return true;
    if (who->kind == PRINCIPAL_ADMIN)
        return true;
    if (principal_is_operator_action(service, action) || strcmp(service, "iam") == 0) {
        /* Whatever a user's policy says: these are the administrator's. */
        if (why)
            snprintf(why, why_len, "User: %s is not authorized to perform: %s because only the "
                                   "region administrator may perform it",
                     who->arn, full);
        return false;
    }
    policy_verdict v = POLICY_IMPLICIT_DENY;
    if (who->kind == PRINCIPAL_AGENT) {
        for (size_t i = 0; i < sizeof agent_actions / sizeof agent_actions[0]; i++)
            if (strcmp(service, agent_actions[i].service) == 0 &&
                strcmp(action, agent_actions[i].action) == 0)
                v = POLICY_ALLOW;
    } else if (strlen(resource) <= PRINCIPAL_RESOURCE_MAX) {
        /* (Longer is no RDS name; refusing it bounds the matching work
         * an authenticated caller can ask for.) */
        v = user_verdict(p, who, full, resource);
    }
    if (v == POLICY_ALLOW)
        return true;
    if (why)
        policy_denied_message(why, why_len, who->arn, full, resource, v);
    return false;
}

/* ---- files ---- */

static bool write_0600(const char *path, const char *text)
{
    bool ok = fs_write_atomic(path, text, strlen(text), 0600);
    if (!ok)
        LOG_ERROR("principal: cannot write %s", path);
    return ok;
}

bool principal_write_aws_files(const char *dir, const char *profile, const char *region,
                               const char *endpoint, const principal *who, const char *secret)
{
    if (!fs_mkdir_p(dir, 0700) || chmod(dir, 0700) != 0) {
        LOG_ERROR("principal: cannot make %s", dir);
        return false;
    }
    char *cred_path = xasprintf("%s/credentials", dir);
    char *conf_path = xasprintf("%s/config", dir);
    char *cred = xasprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
                           profile, who->access_key_id, secret);
    char *conf = xasprintf("[profile %s]\nregion = %s\nendpoint_url = %s\noutput = json\n",
                           profile, region, endpoint);
    bool ok = write_0600(cred_path, cred) && write_0600(conf_path, conf);
    OPENSSL_cleanse(cred, strlen(cred));
    free(cred);
    free(conf);
    free(cred_path);
    free(conf_path);
    return ok;
}

bool principal_write_env_file(const char *path, const char *region, const principal *who,
                              const char *secret)
{
    char *text = xasprintf("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nAWS_REGION=%s\n",
                           who->access_key_id, secret, region);
    bool ok = write_0600(path, text);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    return ok;
}
