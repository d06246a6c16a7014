/* iam: see iam.h.
 *
 * Invariants:
 *  1. A user's row, keys and policies use the name as stored (its
 *     canonical case); lookups go through iam_user_get, which matches
 *     regardless of case as IAM does.
 *  2. A user is deleted only when it has no key and no policy, so no key
 *     row ever names a missing user (its ARN would lose its path).
 *  3. The administrator's and the agents' keys are not IAM users' keys:
 *     every key statement here is restricted to kind 'user'. */
#include "controlplane/api/iam.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controlplane/core/policy.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

#define IAM_MAX_USERS 5000
#define IAM_MAX_KEYS_PER_USER 2
#define IAM_INLINE_POLICY_MAX 2048
#define IAM_PATH_MAX 512

typedef struct {
    char name[PRINCIPAL_NAME_MAX + 1];
    char user_id[22];
    char path[IAM_PATH_MAX + 1];
    int64_t created_ms;
} iam_user;

typedef bool (*iam_fn)(region *r, const principal *who, const params *p, cJSON *res,
                       awserr *err);

/* ---- validation ---- */

/* 1..max characters of [\w+=,.@-] (userNameType, policyNameType). */
static bool iam_name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n < 1 || n > max)
        return false;
    for (const char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("_+=,.@-", *c))
            return false;
    return true;
}

static bool iam_invalid(awserr *err, const char *value, const char *field, const char *rule)
{
    return awserr_set(err, AWSERR_VALIDATION_ERROR,
                      "1 validation error detected: Value '%.100s' at '%s' failed to satisfy "
                      "constraint: %s",
                      value, field, rule);
}

/* A required name parameter (UserName, PolicyName), checked. */
static const char *iam_name_param(const params *p, const char *param, const char *field,
                                  size_t max, awserr *err)
{
    const char *v = params_require(p, param, err);
    if (!v)
        return NULL;
    if (!iam_name_ok(v, max)) {
        iam_invalid(err, v, field,
                    "Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have "
                    "length between 1 and the maximum");
        return NULL;
    }
    return v;
}

/* "/" or "/" [\x21-\x7e]+ "/", at most 512 (pathType). */
static bool iam_path_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > IAM_PATH_MAX || s[0] != '/' || s[n - 1] != '/')
        return false;
    for (const char *c = s; *c; c++)
        if (*c < 0x21 || *c > 0x7e)
            return false;
    return true;
}

/* ---- the store ---- */

/* The user named name (any case); *found false when there is none.
 * false on a store failure (err set). */
static bool iam_user_get(region *r, const char *name, iam_user *u, bool *found, awserr *err)
{
    *found = false;
    sqlite3_stmt *q = sqlrow_prepare(r->st, "SELECT name, user_id, path, created_ms FROM"
                                               " iam_users WHERE name = ?");
    if (!q)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    sqlrow_bind_text(q, 1, name);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        snprintf(u->name, sizeof u->name, "%s", (const char *)sqlite3_column_text(q, 0));
        snprintf(u->user_id, sizeof u->user_id, "%s", (const char *)sqlite3_column_text(q, 1));
        snprintf(u->path, sizeof u->path, "%s", (const char *)sqlite3_column_text(q, 2));
        u->created_ms = sqlite3_column_int64(q, 3);
        *found = true;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    return true;
}

/* The user a request names, or NoSuchEntity. */
static bool iam_user_find(region *r, const char *name, iam_user *u, awserr *err)
{
    bool found = false;
    if (!iam_user_get(r, name, u, &found, err))
        return false;
    if (!found)
        return awserr_set(err, AWSERR_IAM_NO_SUCH_ENTITY,
                          "The user with name %s cannot be found.", name);
    return true;
}

/* One count(*) with one text parameter; -1 on failure. */
static int64_t iam_count(region *r, const char *sql, const char *arg)
{
    sqlite3_stmt *q = sqlrow_prepare(r->st, sql);
    if (!q)
        return -1;
    if (arg)
        sqlrow_bind_text(q, 1, arg);
    int64_t n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    return n;
}

static void iam_add_time(cJSON *o, const char *name, int64_t ms)
{
    char buf[40];
    cJSON_AddStringToObject(o, name, rclock_format(ms, buf, sizeof buf));
}

static char *iam_user_arn(region *r, const iam_user *u)
{
    return xasprintf("arn:aws:iam::%s:user%s%s", r->cfg.account, u->path, u->name);
}

static cJSON *iam_user_json(region *r, const iam_user *u)
{
    cJSON *o = cJSON_CreateObject();
    char *arn = iam_user_arn(r, u);
    cJSON_AddStringToObject(o, "Path", u->path);
    cJSON_AddStringToObject(o, "UserName", u->name);
    cJSON_AddStringToObject(o, "UserId", u->user_id);
    cJSON_AddStringToObject(o, "Arn", arn);
    iam_add_time(o, "CreateDate", u->created_ms);
    free(arn);
    return o;
}

/* ---- users ---- */

static bool iam_create_user(region *r, const principal *who, const params *p, cJSON *res,
                            awserr *err)
{
    (void)who;
    const char *name = iam_name_param(p, "UserName", "userName", PRINCIPAL_NAME_MAX, err);
    if (!name)
        return false;
    const char *path = params_get(p, "Path");
    if (!path)
        path = "/";
    if (!iam_path_ok(path))
        return iam_invalid(err, path, "path",
                           "Member must satisfy regular expression pattern: "
                           "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)");
    if (params_get(p, "PermissionsBoundary") || params_get(p, "Tags.member.1.Key"))
        return awserr_set(err, AWSERR_IAM_INVALID_INPUT,
                          "rdsim does not support permissions boundaries or user tags.");
    if (strcasecmp(name, PRINCIPAL_ADMIN_NAME) == 0 || strcasecmp(name, PRINCIPAL_AGENT_NAME) == 0)
        return awserr_set(err, AWSERR_IAM_INVALID_INPUT,
                          "The user name %s is reserved for the region's own principals.", name);
    iam_user u = {0};
    bool found = false;
    if (!iam_user_get(r, name, &u, &found, err))
        return false;
    if (found)
        return awserr_set(err, AWSERR_IAM_ENTITY_ALREADY_EXISTS,
                          "User with name %s already exists.", u.name);
    if (iam_count(r, "SELECT count(*) FROM iam_users", NULL) >= IAM_MAX_USERS)
        return awserr_set(err, AWSERR_IAM_LIMIT_EXCEEDED,
                          "Cannot exceed quota for UsersPerAccount: %d.", IAM_MAX_USERS);
    snprintf(u.name, sizeof u.name, "%s", name);
    snprintf(u.path, sizeof u.path, "%s", path);
    u.created_ms = rclock_now_ms(0);
    if (!principal_new_user_id(u.user_id))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The random source failed.");
    sqlite3_stmt *q = sqlrow_prepare(r->st, "INSERT INTO iam_users(name, user_id, path,"
                                               " created_ms) VALUES(?,?,?,?)");
    if (!q)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    sqlrow_bind_text(q, 1, u.name);
    sqlrow_bind_text(q, 2, u.user_id);
    sqlrow_bind_text(q, 3, u.path);
    sqlite3_bind_int64(q, 4, u.created_ms);
    if (!sqlrow_run(q))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    LOG_INFO("iam user created name=%s user_id=%s", u.name, u.user_id);
    cJSON_AddItemToObject(res, "User", iam_user_json(r, &u));
    return true;
}

static bool iam_get_user(region *r, const principal *who, const params *p, cJSON *res,
                         awserr *err)
{
    const char *name = params_get(p, "UserName");
    iam_user u = {0};
    if (name) {
        if (!iam_user_find(r, name, &u, err))
            return false;
        cJSON_AddItemToObject(res, "User", iam_user_json(r, &u));
        return true;
    }
    /* The caller: only the administrator gets here, the account's root. */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "UserId", r->cfg.account);
    cJSON_AddStringToObject(o, "Arn", who->arn);
    sqlite3_stmt *q = sqlrow_prepare(r->st, "SELECT created_ms FROM access_keys"
                                               " WHERE access_key_id = ?");
    int64_t created = 0;
    if (q) {
        sqlrow_bind_text(q, 1, who->access_key_id);
        if (sqlite3_step(q) == SQLITE_ROW)
            created = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    iam_add_time(o, "CreateDate", created);
    cJSON_AddItemToObject(res, "User", o);
    return true;
}

static bool iam_list_users(region *r, const principal *who, const params *p, cJSON *res,
                           awserr *err)
{
    (void)who;
    const char *prefix = params_get(p, "PathPrefix");
    const char *marker = params_get(p, "Marker");
    int64_t max = 100;
    bool present = false;
    if (!params_get_int(p, "MaxItems", 1, 1000, &max, &present, err))
        return false;
    if (!prefix)
        prefix = "/";
    sqlite3_stmt *q = sqlrow_prepare(r->st, "SELECT name, user_id, path, created_ms FROM"
                                               " iam_users WHERE name > ? ORDER BY name");
    if (!q)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    sqlrow_bind_text(q, 1, marker ? marker : "");
    cJSON *list = cJSON_AddArrayToObject(res, "Users");
    int64_t n = 0;
    bool truncated = false;
    char last[PRINCIPAL_NAME_MAX + 1] = "";
    while (sqlite3_step(q) == SQLITE_ROW) {
        iam_user u = {0};
        snprintf(u.name, sizeof u.name, "%s", (const char *)sqlite3_column_text(q, 0));
        snprintf(u.user_id, sizeof u.user_id, "%s", (const char *)sqlite3_column_text(q, 1));
        snprintf(u.path, sizeof u.path, "%s", (const char *)sqlite3_column_text(q, 2));
        u.created_ms = sqlite3_column_int64(q, 3);
        if (strncmp(u.path, prefix, strlen(prefix)) != 0)
            continue;
        if (n == max) {
            truncated = true;
            break;
        }
        cJSON_AddItemToArray(list, iam_user_json(r, &u));
        snprintf(last, sizeof last, "%s", u.name);
        n++;
    }
    sqlite3_finalize(q);
    cJSON_AddBoolToObject(res, "IsTruncated", truncated);
    if (truncated)
        cJSON_AddStringToObject(res, "Marker", last);
    return true;
}

static bool iam_delete_user(region *r, const principal *who, const params *p, cJSON *res,
                            awserr *err)
{
    (void)who;
    (void)res;
    const char *name = iam_name_param(p, "UserName", "userName", 128, err);
    iam_user u;
    if (!name || !iam_user_find(r, name, &u, err))
        return false;
    if (iam_count(r, "SELECT count(*) FROM access_keys WHERE kind = 'user' AND principal = ?",
                  u.name) != 0)
        return awserr_set(err, AWSERR_IAM_DELETE_CONFLICT,
                          "Cannot delete entity, must delete access keys first.");
    if (iam_count(r, "SELECT count(*) FROM iam_user_policies WHERE user_name = ?", u.name) != 0)
        return awserr_set(err, AWSERR_IAM_DELETE_CONFLICT,
                          "Cannot delete entity, must delete policies first.");
    sqlite3_stmt *q = sqlrow_prepare(r->st, "DELETE FROM iam_users WHERE name = ?");
    if (!q)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    sqlrow_bind_text(q, 1, u.name);
    if (!sqlrow_run(q))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    LOG_INFO("iam user deleted name=%s", u.name);
    return true;
}

/* ---- access keys ---- */

/* The user a key action names: UserName is required here, the
 * administrator's own key being the region's (RDS_HOME/aws). */
static bool iam_key_user(region *r, const params *p, iam_user *u, awserr *err)
{
    const char *name = params_get(p, "UserName");
    if (!name)
        return awserr_set(err, AWSERR_IAM_INVALID_INPUT,
                          "rdsim needs UserName: the administrator's own key is the region's "
                          "(RDS_HOME/aws), not managed through IAM.");
    return iam_user_find(r, name, u, err);
}

static bool iam_create_access_key(region *r, const principal *who, const params *p, cJSON *res,
                                  awserr *err)
{
    (void)who;
    iam_user u;
    if (!iam_key_user(r, p, &u, err))
        return false;
    if (iam_count(r, "SELECT count(*) FROM access_keys WHERE kind = 'user' AND principal = ?",
                  u.name) >= IAM_MAX_KEYS_PER_USER)
        return awserr_set(err, AWSERR_IAM_LIMIT_EXCEEDED,
                          "Cannot exceed quota for AccessKeysPerUser: %d", IAM_MAX_KEYS_PER_USER);
    principal key;
    char secret[PRINCIPAL_SECRET_LEN + 1];
    if (!principals_user_key_create(r->principals, u.name, u.user_id, u.path, &key, secret))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The access key could not be made.");
    cJSON *o = cJSON_AddObjectToObject(res, "AccessKey");
    cJSON_AddStringToObject(o, "UserName", u.name);
    cJSON_AddStringToObject(o, "AccessKeyId", key.access_key_id);
    cJSON_AddStringToObject(o, "Status", "Active");
    cJSON_AddStringToObject(o, "SecretAccessKey", secret);
    iam_add_time(o, "CreateDate", rclock_now_ms(0));
    OPENSSL_cleanse(secret, sizeof secret);
    return true;
}

static bool iam_list_access_keys(region *r, const principal *who, const params *p, cJSON *res,
                                 awserr *err)
{
    (void)who;
    iam_user u;
    if (!iam_key_user(r, p, &u, err))
        return false;
    principal_key_info *keys = NULL;
    int n = principals_user_keys(r->principals, u.name, &keys);
    if (n < 0)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    cJSON *list = cJSON_AddArrayToObject(res, "AccessKeyMetadata");
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "UserName", u.name);
        cJSON_AddStringToObject(o, "AccessKeyId", keys[i].access_key_id);
        cJSON_AddStringToObject(o, "Status", "Active");
        iam_add_time(o, "CreateDate", keys[i].created_ms);
        cJSON_AddItemToArray(list, o);
    }
    free(keys);
    cJSON_AddBoolToObject(res, "IsTruncated", false);
    return true;
}

static bool iam_delete_access_key(region *r, const principal *who, const params *p, cJSON *res,
                                  awserr *err)
{
    (void)who;
    (void)res;
    const char *key_id = params_require(p, "AccessKeyId", err);
    if (!key_id)
        return false;
    iam_user u = {0};
    const char *name = params_get(p, "UserName");
    if (name && !iam_user_find(r, name, &u, err))
        return false;
    if (!name) {
        /* As IAM does without UserName: the key's own user. */
        sqlite3_stmt *q = sqlrow_prepare(r->st, "SELECT principal FROM access_keys WHERE"
                                                   " kind = 'user' AND access_key_id = ?");
        if (!q)
            return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
        sqlrow_bind_text(q, 1, key_id);
        if (sqlite3_step(q) == SQLITE_ROW)
            snprintf(u.name, sizeof u.name, "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    }
    bool found = false;
    if (u.name[0] && !principals_user_key_delete(r->principals, u.name, key_id, &found))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    if (!found)
        return awserr_set(err, AWSERR_IAM_NO_SUCH_ENTITY,
                          "The Access Key with id %.128s cannot be found.", key_id);
    return true;
}

/* ---- inline policies ---- */

/* RFC 3986 percent-encoding (unreserved characters kept), the form IAM
 * returns policy documents in (botocore decodes them). */
static char *iam_url_encode(const char *s)
{
    sbuf b = {0};
    sbuf_puts(&b, "");
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (isalnum(*c) || strchr("-_.~", *c))
            sbuf_printf(&b, "%c", *c);
        else
            sbuf_printf(&b, "%%%02X", *c);
    }
    return sbuf_take(&b);
}

static bool iam_put_user_policy(region *r, const principal *who, const params *p, cJSON *res,
                                awserr *err)
{
    (void)who;
    (void)res;
    const char *name = iam_name_param(p, "UserName", "userName", 128, err);
    const char *pname = name ? iam_name_param(p, "PolicyName", "policyName", 128, err) : NULL;
    const char *doc = pname ? params_require(p, "PolicyDocument", err) : NULL;
    iam_user u;
    if (!doc || !iam_user_find(r, name, &u, err))
        return false;
    char why[300];
    if (!policy_check(doc, strlen(doc), why, sizeof why))
        return awserr_set(err, AWSERR_IAM_MALFORMED_POLICY_DOCUMENT, "%s", why);
    /* The quota counts every inline policy of the user but the one
     * being replaced. */
    size_t total = policy_size(doc);
    sqlite3_stmt *q = sqlrow_prepare(r->st, "SELECT document FROM iam_user_policies"
                                               " WHERE user_name = ? AND policy_name <> ?");
    if (!q)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    sqlrow_bind_text(q, 1, u.name);
    sqlrow_bind_text(q, 2, pname);
    while (sqlite3_step(q) == SQLITE_ROW)
        total += policy_size((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    if (total > IAM_INLINE_POLICY_MAX)
        return awserr_set(err, AWSERR_IAM_LIMIT_EXCEEDED,
                          "Maximum policy size of %d bytes exceeded for user %s",
                          IAM_INLINE_POLICY_MAX, u.name);
    q = sqlrow_prepare(r->st, "INSERT INTO iam_user_policies(user_name, policy_name, document)"
                                 " VALUES(?,?,?) ON CONFLICT(user_name, policy_name)"
                                 " DO UPDATE SET document = excluded.document");
    if (!q)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    sqlrow_bind_text(q, 1, u.name);
    sqlrow_bind_text(q, 2, pname);
    sqlrow_bind_text(q, 3, doc);
    if (!sqlrow_run(q))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    LOG_INFO("iam user policy put user=%s policy=%s", u.name, pname);
    return true;
}

/* The policy (user, name) a request names: its stored name and document
 * (malloc'd), or NoSuchEntity. */
static bool iam_policy_find(region *r, const params *p, iam_user *u, char **pname, char **doc,
                            awserr *err)
{
    const char *name = iam_name_param(p, "UserName", "userName", 128, err);
    const char *want = name ? iam_name_param(p, "PolicyName", "policyName", 128, err) : NULL;
    if (!want || !iam_user_find(r, name, u, err))
        return false;
    sqlite3_stmt *q = sqlrow_prepare(r->st, "SELECT policy_name, document FROM"
                                               " iam_user_policies WHERE user_name = ?"
                                               " AND policy_name = ?");
    if (!q)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    sqlrow_bind_text(q, 1, u->name);
    sqlrow_bind_text(q, 2, want);
    bool found = sqlite3_step(q) == SQLITE_ROW;
    if (found) {
        *pname = sqlrow_text(q, 0);
        *doc = sqlrow_text(q, 1);
    }
    sqlite3_finalize(q);
    if (!found)
        return awserr_set(err, AWSERR_IAM_NO_SUCH_ENTITY,
                          "The user policy with name %s cannot be found.", want);
    return true;
}

static bool iam_get_user_policy(region *r, const principal *who, const params *p, cJSON *res,
                                awserr *err)
{
    (void)who;
    iam_user u;
    char *pname = NULL, *doc = NULL;
    if (!iam_policy_find(r, p, &u, &pname, &doc, err))
        return false;
    char *enc = iam_url_encode(doc);
    cJSON_AddStringToObject(res, "UserName", u.name);
    cJSON_AddStringToObject(res, "PolicyName", pname);
    cJSON_AddStringToObject(res, "PolicyDocument", enc);
    free(enc);
    free(pname);
    free(doc);
    return true;
}

static bool iam_delete_user_policy(region *r, const principal *who, const params *p, cJSON *res,
                                   awserr *err)
{
    (void)who;
    (void)res;
    iam_user u;
    char *pname = NULL, *doc = NULL;
    if (!iam_policy_find(r, p, &u, &pname, &doc, err))
        return false;
    sqlite3_stmt *q = sqlrow_prepare(r->st, "DELETE FROM iam_user_policies WHERE"
                                               " user_name = ? AND policy_name = ?");
    bool ok = q != NULL;
    if (q) {
        sqlrow_bind_text(q, 1, u.name);
        sqlrow_bind_text(q, 2, pname);
        ok = sqlrow_run(q);
    }
    if (ok)
        LOG_INFO("iam user policy deleted user=%s policy=%s", u.name, pname);
    free(pname);
    free(doc);
    return ok || awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
}

static bool iam_list_user_policies(region *r, const principal *who, const params *p, cJSON *res,
                                   awserr *err)
{
    (void)who;
    const char *name = iam_name_param(p, "UserName", "userName", 128, err);
    iam_user u;
    if (!name || !iam_user_find(r, name, &u, err))
        return false;
    sqlite3_stmt *q = sqlrow_prepare(r->st, "SELECT policy_name FROM iam_user_policies"
                                               " WHERE user_name = ? ORDER BY policy_name");
    if (!q)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store failed.");
    sqlrow_bind_text(q, 1, u.name);
    cJSON *list = cJSON_AddArrayToObject(res, "PolicyNames");
    while (sqlite3_step(q) == SQLITE_ROW)
        cJSON_AddItemToArray(list, cJSON_CreateString((const char *)sqlite3_column_text(q, 0)));
    sqlite3_finalize(q);
    /* 2,048 characters of policies per user: never more than one page. */
    cJSON_AddBoolToObject(res, "IsTruncated", false);
    return true;
}

/* ---- STS ---- */

static bool sts_get_caller_identity(region *r, const principal *who, const params *p,
                                    cJSON *res, awserr *err)
{
    (void)p;
    (void)err;
    cJSON_AddStringToObject(res, "UserId",
                            who->kind == PRINCIPAL_ADMIN ? r->cfg.account : who->user_id);
    cJSON_AddStringToObject(res, "Account", r->cfg.account);
    cJSON_AddStringToObject(res, "Arn", who->arn);
    return true;
}

/* ---- dispatch ---- */

static const struct {
    const char *version, *name;
    iam_fn fn;
} iam_actions[] = {
    {IAM_API_VERSION, "CreateUser", iam_create_user},
    {IAM_API_VERSION, "GetUser", iam_get_user},
    {IAM_API_VERSION, "ListUsers", iam_list_users},
    {IAM_API_VERSION, "DeleteUser", iam_delete_user},
    {IAM_API_VERSION, "CreateAccessKey", iam_create_access_key},
    {IAM_API_VERSION, "ListAccessKeys", iam_list_access_keys},
    {IAM_API_VERSION, "DeleteAccessKey", iam_delete_access_key},
    {IAM_API_VERSION, "PutUserPolicy", iam_put_user_policy},
    {IAM_API_VERSION, "GetUserPolicy", iam_get_user_policy},
    {IAM_API_VERSION, "DeleteUserPolicy", iam_delete_user_policy},
    {IAM_API_VERSION, "ListUserPolicies", iam_list_user_policies},
    {STS_API_VERSION, "GetCallerIdentity", sts_get_caller_identity},
};

bool iam_is_version(const char *version, const char **xmlns)
{
    if (version && strcmp(version, IAM_API_VERSION) == 0) {
        *xmlns = IAM_XMLNS;
        return true;
    }
    if (version && strcmp(version, STS_API_VERSION) == 0) {
        *xmlns = STS_XMLNS;
        return true;
    }
    return false;
}

bool iam_call(region *r, const principal *who, const char *version, const char *action,
              const params *p, cJSON *result, awserr *err)
{
    for (size_t i = 0; i < sizeof iam_actions / sizeof iam_actions[0]; i++)
        if (strcmp(version, iam_actions[i].version) == 0 &&
            strcmp(action, iam_actions[i].name) == 0)
            return iam_actions[i].fn(r, who, p, result, err);
    return awserr_set(err, AWSERR_INVALID_ACTION, "Could not find operation %.100s for version %s",
                      action, version);
}
