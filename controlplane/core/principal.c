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

static void fill_identity(const principals *p, const char *name, principal_kind kind,
                          const char *user_id, const char *key_id, principal *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
    snprintf(out->arn, sizeof out->arn, "arn:aws:iam::%s:user/%s", p->account, name);
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
 * user id, sealed) into out and secret. */
static bool row_read(principals *p, sqlite3_stmt *q, principal *out, char *secret)
{
    const char *key_id = (const char *)sqlite3_column_text(q, 0);
    const char *name = (const char *)sqlite3_column_text(q, 1);
    const char *kind = (const char *)sqlite3_column_text(q, 2);
    const char *user_id = (const char *)sqlite3_column_text(q, 3);
    const void *sealed = sqlite3_column_blob(q, 4);
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
    fill_identity(p, name, k, user_id, key_id, out);
    return true;
}

/* One row by a column (where = "access_key_id" or "principal"). */
static bool row_get(principals *p, const char *where, const char *value, principal *out,
                    char *secret, bool *found)
{
    char *sql = xasprintf("SELECT access_key_id, principal, kind, user_id, sealed FROM "
                          "access_keys WHERE %s = ?",
                          where);
    sqlite3_stmt *q = sqlrow_prepare(p->st, sql);
    free(sql);
    *found = false;
    if (!q)
        return false;
    sqlrow_bind_text(q, 1, value);
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
    return row_get(p, "access_key_id", access_key_id, out, secret, found);
}

bool principals_ensure(principals *p, const char *name, principal_kind kind, principal *out,
                       char secret[PRINCIPAL_SECRET_LEN + 1])
{
    bool found = false;
    if (!row_get(p, "principal", name, out, secret, &found))
        return false;
    if (found)
        return true;
    /* AKIA + 16 of AWS's key id alphabet (base32), AIDA + 17 likewise. */
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char key_id[PRINCIPAL_KEY_ID_LEN + 1] = "AKIA", user_id[22] = "AIDA";
    if (!random_chars(b32, key_id + 4, PRINCIPAL_KEY_ID_LEN - 4) ||
        !random_chars(b32, user_id + 4, 17) || !random_chars(b64, secret, PRINCIPAL_SECRET_LEN))
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
    fill_identity(p, name, kind, user_id, key_id, out);
    LOG_INFO("principal created name=%s kind=%s access_key_id=%s", name, kind_names[kind],
             key_id);
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

bool principal_may(const principal *who, const char *service, const char *action, char *why,
                   size_t why_len)
{
    bool allowed = false;
    switch (who->kind) {
    case PRINCIPAL_ADMIN:
        allowed = true;
        break;
    case PRINCIPAL_AGENT:
        for (size_t i = 0; i < sizeof agent_actions / sizeof agent_actions[0]; i++)
            if (strcmp(service, agent_actions[i].service) == 0 &&
                strcmp(action, agent_actions[i].action) == 0)
                allowed = true;
        break;
    case PRINCIPAL_USER:
        /* The IAM policy evaluation hooks in here; until then a user may
         * do nothing, and never an operator action. */
        allowed = false;
        break;
    }
    if (!allowed && why)
        snprintf(why, why_len, "User: %s is not authorized to perform: %s:%s because no "
                               "identity-based policy allows the %s:%s action",
                 who->arn, service, action, service, action);
    return allowed;
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
