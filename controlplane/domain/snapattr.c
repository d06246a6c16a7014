/* snapattr: see snapattr.h. */
#include "controlplane/domain/snapattr.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/kms.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/snaprow.h"
#include "lib/util.h"

#define SNAPATTR_RESTORE "restore"

/* The snapshot DBSnapshotIdentifier names (an identifier or a snapshot
 * ARN, case-insensitive) into *s; false with MissingParameter or
 * DBSnapshotNotFound. */
static bool load_snapshot(region *r, const params *p, snaprow *s, awserr *err)
{
    const char *v = params_require(p, "DBSnapshotIdentifier", err);
    if (!v)
        return false;
    region_arn a;
    const char *id = region_arn_parse(v, &a) ? region_arn_resource_id(&a, "snapshot:") : NULL;
    char *lower = str_lower(xstrdup(id ? id : v));
    bool found = !snaprow_is_cluster(lower) && snaprow_get(r, lower, s);
    if (!found)
        awserr_set(err, AWSERR_DB_SNAPSHOT_NOT_FOUND, "DBSnapshot %s not found.", lower);
    free(lower);
    return found;
}

/* The `restore` values of snapshot id, sorted: a new cJSON array, NULL on
 * a store error. */
static cJSON *restore_values(region *r, const char *id)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT value FROM db_snapshot_attributes WHERE "
                                             "snapshot_id = ? AND name = ? ORDER BY value");
    if (!st)
        return NULL;
    sqlrow_bind_text(st, 1, id);
    sqlrow_bind_text(st, 2, SNAPATTR_RESTORE);
    cJSON *arr = cJSON_CreateArray();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cJSON_AddItemToArray(arr, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(arr);
        return NULL;
    }
    return arr;
}

/* DBSnapshotAttributesResult for snapshot id into result. */
static bool answer(region *r, const char *id, cJSON *result, awserr *err)
{
    cJSON *values = restore_values(r, id);
    if (!values)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    cJSON *res = cJSON_AddObjectToObject(result, "DBSnapshotAttributesResult");
    cJSON_AddStringToObject(res, "DBSnapshotIdentifier", id);
    cJSON *attrs = cJSON_AddArrayToObject(res, "DBSnapshotAttributes");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "AttributeName", SNAPATTR_RESTORE);
    cJSON_AddItemToObject(a, "AttributeValues", values);
    cJSON_AddItemToArray(attrs, a);
    return true;
}

bool snapattr_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    snaprow s;
    if (!load_snapshot(r, p, &s, err))
        return false;
    bool ok = answer(r, s.id, result, err);
    snaprow_clear(&s);
    return ok;
}

/* An account id (12 digits) or "all". */
static bool value_ok(const char *v)
{
    if (strcmp(v, "all") == 0)
        return true;
    size_t n = strlen(v);
    if (n != 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

/* Reads ValuesToAdd or ValuesToRemove, every value checked. -1 with
 * InvalidParameterValue; *out as params_get_list. */
static int read_values(const params *p, const char *name, const char ***out, awserr *err)
{
    int n = params_get_list(p, name, "AttributeValue", out, err);
    for (int i = 0; i < n; i++) {
        if (!value_ok((*out)[i])) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Invalid value %.100s in %s: the restore attribute takes AWS account ids "
                       "(12 digits) or all.",
                       (*out)[i], name);
            free(*out);
            *out = NULL;
            return -1;
        }
    }
    return n;
}

/* RDS's sharing rules for values being added to snapshot s. */
static bool sharing_allowed(region *r, const snaprow *s, const char **add, int nadd, awserr *err)
{
    if (nadd == 0 || !s->encrypted)
        return true;
    for (int i = 0; i < nadd; i++)
        if (strcmp(add[i], "all") == 0)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "Encrypted snapshots cannot be shared publicly: %s is encrypted.",
                              s->id);
    kms_key key;
    kms_err kerr = {0};
    bool managed = false;
    if (s->kms_key_id && kms_key_describe(r->kms, s->kms_key_id, &key, &kerr)) {
        managed = key.aws_managed;
        kms_key_clear(&key);
    }
    if (managed)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Snapshot %s is encrypted with the default AWS KMS key (alias/aws/rds) "
                          "and cannot be shared; copy it under a customer managed key first.",
                          s->id);
    return true;
}

/* Applies the adds and removes to snapshot id and checks the account
 * limit, inside the caller's transaction. */
static bool write_values(region *r, const char *id, const char **add, int nadd,
                         const char **del, int ndel, awserr *err)
{
    for (int i = 0; i < ndel + nadd; i++) {
        bool adding = i >= ndel;
        const char *v = adding ? add[i - ndel] : del[i];
        sqlite3_stmt *st = sqlrow_prepare(
            r->st, adding ? "INSERT OR IGNORE INTO db_snapshot_attributes(snapshot_id, name, "
                            "value) VALUES(?1, ?2, ?3)"
                          : "DELETE FROM db_snapshot_attributes WHERE snapshot_id = ?1 AND "
                            "name = ?2 AND value = ?3");
        if (st) {
            sqlrow_bind_text(st, 1, id);
            sqlrow_bind_text(st, 2, SNAPATTR_RESTORE);
            sqlrow_bind_text(st, 3, v);
        }
        if (!sqlrow_run(st))
            return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT count(*) FROM db_snapshot_attributes WHERE "
                                             "snapshot_id = ? AND value <> 'all'");
    if (!st)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    sqlrow_bind_text(st, 1, id);
    int accounts = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (accounts < 0)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    if (accounts > SNAPATTR_MAX_ACCOUNTS)
        return awserr_set(err, AWSERR_SHARED_SNAPSHOT_QUOTA_EXCEEDED,
                          "A snapshot can be shared with at most %d accounts.",
                          SNAPATTR_MAX_ACCOUNTS);
    return true;
}

bool snapattr_action_modify(region *r, const params *p, cJSON *result, awserr *err)
{
    if (!params_require(p, "DBSnapshotIdentifier", err))
        return false;
    const char *name = params_require(p, "AttributeName", err);
    if (!name)
        return false;
    if (strcmp(name, SNAPATTR_RESTORE) != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid attribute name %.100s: the only attribute is restore.", name);
    const char **add = NULL, **del = NULL;
    int nadd = read_values(p, "ValuesToAdd", &add, err);
    int ndel = nadd < 0 ? -1 : read_values(p, "ValuesToRemove", &del, err);
    snaprow s;
    bool ok = false, loaded = false;
    if (ndel < 0)
        goto out;
    if (!store_begin(r->st)) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        goto out;
    }
    loaded = load_snapshot(r, p, &s, err);
    if (loaded && s.status != SNAP_AVAILABLE)
        awserr_set(err, AWSERR_INVALID_DB_SNAPSHOT_STATE,
                   "Snapshot %s is not in the available state (it is %s).", s.id,
                   snaprow_status_name(s.status));
    else if (loaded)
        ok = sharing_allowed(r, &s, add, nadd, err) &&
             write_values(r, s.id, add, nadd, del, ndel, err);
    if (ok && !store_commit(r->st))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    if (!ok)
        store_rollback(r->st);
    else
        ok = answer(r, s.id, result, err);
out:
    if (loaded)
        snaprow_clear(&s);
    free(add);
    free(del);
    return ok;
}
