/* snapshot: see snapshot.h. The rows and paths are snaprow.c's, the
 * children snapjob.c's; this file holds the API's side. */
#include "controlplane/domain/snapshot.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/region.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/instrow.h"
#include "controlplane/domain/snapjob.h"
#include "controlplane/domain/snaprow.h"
#include "controlplane/notify/events.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

enum { SNAPSHOT_QUOTA = QUOTA_MANUAL_SNAPSHOTS };

/* ---- the DBSnapshot shape ---- */

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char buf[40];
    cJSON_AddStringToObject(o, name, rclock_format(ms, buf, sizeof buf));
}

static cJSON *snap_render(region *r, const snaprow *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "DBSnapshotIdentifier", s->id);
    cJSON_AddStringToObject(o, "DBInstanceIdentifier", s->instance_id);
    if (s->status != SNAP_CREATING)
        add_time(o, "SnapshotCreateTime", s->created_ms);
    cJSON_AddStringToObject(o, "Engine", "postgres");
    cJSON_AddNumberToObject(o, "AllocatedStorage", (double)s->allocated_storage);
    cJSON_AddStringToObject(o, "Status", snaprow_status_name(s->status));
    cJSON_AddNumberToObject(o, "Port", (double)s->port);
    if (s->az)
        cJSON_AddStringToObject(o, "AvailabilityZone", s->az);
    add_time(o, "InstanceCreateTime", s->instance_created_ms);
    cJSON_AddStringToObject(o, "MasterUsername", s->master_username);
    cJSON_AddStringToObject(o, "EngineVersion", s->engine_version);
    cJSON_AddStringToObject(o, "LicenseModel", "postgresql-license");
    cJSON_AddStringToObject(o, "SnapshotType", s->type);
    if (s->iops)
        cJSON_AddNumberToObject(o, "Iops", (double)s->iops);
    cJSON_AddNumberToObject(o, "PercentProgress", s->status == SNAP_AVAILABLE ? 100 : 0);
    cJSON_AddStringToObject(o, "StorageType", s->storage_type);
    cJSON_AddBoolToObject(o, "Encrypted", s->encrypted);
    if (s->kms_key_id)
        cJSON_AddStringToObject(o, "KmsKeyId", s->kms_key_id);
    char *arn = snaprow_arn(r, s->id);
    cJSON_AddStringToObject(o, "DBSnapshotArn", arn);
    free(arn);
    if (s->source) {
        char *src = snaprow_arn(r, s->source);
        cJSON_AddStringToObject(o, "SourceDBSnapshotIdentifier", src);
        free(src);
    }
    if (s->resource_id)
        cJSON_AddStringToObject(o, "DbiResourceId", s->resource_id);
    char *tags = restags_get(r->st, "snapshot", s->id);
    cJSON *tl = cJSON_Parse(tags ? tags : "[]");
    free(tags);
    cJSON_AddItemToObject(o, "TagList", cJSON_IsArray(tl) ? tl : cJSON_CreateArray());
    if (!cJSON_IsArray(tl))
        cJSON_Delete(tl);
    add_time(o, "OriginalSnapshotCreateTime", s->created_ms);
    cJSON_AddStringToObject(o, "SnapshotTarget", "region");
    return o;
}


static bool commit_or_fail(region *r, awserr *err)
{
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}


/* ---- CreateDBSnapshot and the final snapshot ---- */

/* A new `creating` row from an instance, in the caller's transaction. */
static bool snap_from_instance(region *r, const store_instance *in, const char *id,
                               const char *type, awserr *err)
{
    snaprow old;
    if (snaprow_get(r, id, &old)) {
        snaprow_clear(&old);
        return awserr_set(err, AWSERR_DB_SNAPSHOT_ALREADY_EXISTS,
                          "Cannot create the snapshot because a snapshot with the identifier "
                          "%s already exists.", id);
    }
    if (snaprow_count(r) >= SNAPSHOT_QUOTA)
        return awserr_set(err, AWSERR_SNAPSHOT_QUOTA_EXCEEDED,
                          "Cannot create more than %d manual snapshots", SNAPSHOT_QUOTA);
    /* An encrypted instance's snapshot is sealed under its key: it must be usable now. */
    char *arn = in->storage_encrypted ? instrow_kms_arn(r, in->kms_key_id, err) : NULL;
    if (in->storage_encrypted && !arn)
        return false;
    free(arn);
    snaprow s = {
        .id = (char *)id, .instance_id = in->id, .resource_id = in->resource_id,
        .type = (char *)type, .status = SNAP_CREATING, .created_ms = region_now_ms(r),
        .encrypted = in->storage_encrypted, .kms_key_id = in->kms_key_id,
        .engine_version = in->engine_version, .db_class = in->db_class,
        .master_username = in->master_username, .master_verifier = in->master_verifier,
        .db_name = in->db_name, .port = in->port, .allocated_storage = in->allocated_storage,
        .storage_type = in->storage_type, .iops = in->iops, .az = in->az,
        .instance_created_ms = in->created_ms,
    };
    /* CopyTagsToSnapshot: the instance's tags (a CreateDBSnapshot's own
     * Tags replace them, as on RDS). */
    cJSON *extra = cJSON_Parse(in->extra ? in->extra : "{}");
    bool copy_tags = instextra_bool(extra, INSTEXTRA_COPY_TAGS, false);
    cJSON_Delete(extra);
    if (!snaprow_insert(r, &s) ||
        (copy_tags && !restags_put(r->st, "snapshot", id, in->tags ? in->tags : "[]")))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    snaprow_emit(r, id, "RDS-EVENT-0040", NULL);
    LOG_INFO("snapshot accepted id=%s instance=%s encrypted=%d", id, in->id, in->storage_encrypted);
    return true;
}

bool snapshot_begin_final(region *r, const store_instance *in, const char *snapshot_id,
                          awserr *err)
{
    static const instance_status refused[] = {STATUS_CREATING, STATUS_FAILED};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (in->status == refused[i])
            return awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                              "Instance %s is in %s state: a final snapshot cannot be taken; "
                              "delete with SkipFinalSnapshot.",
                              in->id, instance_status_name(in->status));
    return snap_from_instance(r, in, snapshot_id, "manual", err);
}

static char *lower_dup(const char *s)
{
    return str_lower(xstrdup(s));
}

bool snapshot_action_create(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *sid = params_require(p, "DBSnapshotIdentifier", err);
    if (!sid || !validate_db_snapshot_id(sid, "DBSnapshotIdentifier", err))
        return false;
    const char *iid = params_require(p, "DBInstanceIdentifier", err);
    if (!iid)
        return false;
    char *id = lower_dup(sid), *inst = lower_dup(iid);
    store_instance in = {0};
    bool found = false, ok = false;
    if (!store_begin(r->st)) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
        goto out;
    }
    store_instance_get(r->st, inst, &in, &found);
    if (!found)
        awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.", inst);
    else if (in.status == STATUS_INACCESSIBLE_RECOVERABLE || in.status == STATUS_INACCESSIBLE)
        /* Its key was disabled or deleted (kmswatch): the key is the
         * reason, whichever of the two the caller saw first. */
        awserr_set(err, AWSERR_KMS_KEY_NOT_ACCESSIBLE,
                   "The KMS key of DB instance %s is not accessible.", inst);
    else if (in.status != STATUS_AVAILABLE)
        awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                   "Cannot create a snapshot because the database instance %s is not currently "
                   "in the available state.", inst);
    else
        ok = snap_from_instance(r, &in, id, "manual", err) &&
             restags_create(r->st, "snapshot", id, p, err);
    if (!ok) {
        store_rollback(r->st);
        goto out;
    }
    ok = commit_or_fail(r, err);
    snaprow s;
    if (ok && snaprow_get(r, id, &s)) {
        cJSON_AddItemToObject(result, "DBSnapshot", snap_render(r, &s));
        snaprow_clear(&s);
    }
out:
    store_instance_clear(&in);
    free(id);
    free(inst);
    return ok;
}

/* ---- DescribeDBSnapshots ---- */

bool snapshot_type_matches(const char *want, const char *have)
{
    return !want || strcmp(want, have) == 0;
}

/* The request's parameters and each Filters entry (values of one name
 * are alternatives; names and parameters all must match). */
typedef struct {
    const char *instance, *snapshot, *type;
    const char **vals[3]; /* db-instance-id, db-snapshot-id, snapshot-type */
    int nvals[3];
} snap_filter;

static const char *const filter_names[3] = {"db-instance-id", "db-snapshot-id", "snapshot-type"};

static bool read_filter(const params *p, snap_filter *f, awserr *err)
{
    return params_get_filters(p, filter_names, 3, f->vals, f->nvals, err);
}

static bool snap_matches(const snap_filter *f, const snaprow *s)
{
    return (!f->instance || strcasecmp(f->instance, s->instance_id) == 0) &&
           (!f->snapshot || strcasecmp(f->snapshot, s->id) == 0) &&
           snapshot_type_matches(f->type, s->type) &&
           params_filter_has(f->vals[0], f->nvals[0], s->instance_id) &&
           params_filter_has(f->vals[1], f->nvals[1], s->id) &&
           params_filter_has(f->vals[2], f->nvals[2], s->type);
}

bool snapshot_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    snap_filter f = {.instance = params_get(p, "DBInstanceIdentifier"),
                     .snapshot = params_get(p, "DBSnapshotIdentifier"),
                     .type = params_get(p, "SnapshotType")};
    if (f.type && strcmp(f.type, "manual") != 0 && strcmp(f.type, "automated") != 0 &&
        strcmp(f.type, "shared") != 0 && strcmp(f.type, "public") != 0 &&
        strcmp(f.type, "awsbackup") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid snapshot type: %s",
                          f.type);
    sqlite3_stmt *st = NULL;
    bool ok = read_filter(p, &f, err);
    if (ok && !(st = sqlrow_prepare(r->st, "SELECT " SNAPROW_COLS " FROM db_snapshots WHERE id NOT "
                                           "LIKE 'cluster:%' ORDER BY created_ms, id")))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    if (!ok) {
        for (int k = 0; k < 3; k++)
            free(f.vals[k]);
        return false;
    }
    cJSON *list = cJSON_AddArrayToObject(result, "DBSnapshots");
    while (sqlite3_step(st) == SQLITE_ROW) {
        snaprow s;
        if (!snaprow_read(st, &s))
            continue;
        if (snap_matches(&f, &s))
            cJSON_AddItemToArray(list, snap_render(r, &s));
        snaprow_clear(&s);
    }
    sqlite3_finalize(st);
    for (int k = 0; k < 3; k++)
        free(f.vals[k]);
    if (params_get(p, "DBSnapshotIdentifier") && cJSON_GetArraySize(list) == 0)
        return awserr_set(err, AWSERR_DB_SNAPSHOT_NOT_FOUND, "DBSnapshot %s not found.",
                          params_get(p, "DBSnapshotIdentifier"));
    return true;
}

/* ---- DeleteDBSnapshot ---- */

static bool load_snapshot(region *r, const params *p, const char *param, snaprow *s,
                          awserr *err)
{
    const char *v = params_require(p, param, err);
    if (!v)
        return false;
    region_arn a;
    const char *sid = region_arn_parse(v, &a) ? region_arn_resource_id(&a, "snapshot:") : NULL;
    char *id = lower_dup(sid ? sid : v);
    bool found = !snaprow_is_cluster(id) && snaprow_get(r, id, s);
    if (!found)
        awserr_set(err, AWSERR_DB_SNAPSHOT_NOT_FOUND, "DBSnapshot %s not found.", id);
    free(id);
    return found;
}

bool snapshot_action_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    snaprow s;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = false;
    if (!load_snapshot(r, p, "DBSnapshotIdentifier", &s, err)) {
        store_rollback(r->st);
        return false;
    }
    if (s.status != SNAP_AVAILABLE && s.status != SNAP_FAILED) {
        awserr_set(err, AWSERR_INVALID_DB_SNAPSHOT_STATE,
                   "Cannot delete the snapshot because it is in %s state.",
                   snaprow_status_name(s.status));
        store_rollback(r->st);
        goto out;
    }
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM db_snapshots WHERE id=?");
    if (st)
        sqlrow_bind_text(st, 1, s.id);
    if (!st || !sqlrow_run(st)) {
        store_rollback(r->st);
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        goto out;
    }
    snaprow_emit(r, s.id, "RDS-EVENT-0041", NULL);
    ok = commit_or_fail(r, err);
    if (ok) {
        char *dir = snaprow_dir(r, s.id);
        fs_rm_rf(dir); /* one object: quick; a leftover is only disk */
        free(dir);
        s.status = SNAP_DELETED;
        cJSON_AddItemToObject(result, "DBSnapshot", snap_render(r, &s));
    }
out:
    snaprow_clear(&s);
    return ok;
}

/* ---- CopyDBSnapshot ---- */

/* The copy's tags: the source's with CopyTags, replaced by its own Tags
 * when it has some (restags.h). */
static bool copy_tags(region *r, const params *p, const char *src, const char *id, awserr *err)
{
    bool copy = false;
    if (!params_get_bool(p, "CopyTags", &copy, NULL, err))
        return false;
    char *tags = copy ? restags_get(r->st, "snapshot", src) : NULL;
    bool ok = !copy || (tags && restags_put(r->st, "snapshot", id, tags));
    free(tags);
    return ok && restags_create(r->st, "snapshot", id, p, err);
}

bool snapshot_action_copy(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *tid = params_require(p, "TargetDBSnapshotIdentifier", err);
    if (!tid || !validate_db_snapshot_id(tid, "TargetDBSnapshotIdentifier", err))
        return false;
    const char *kms_ref = params_get(p, "KmsKeyId");
    snaprow src, old;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    if (!load_snapshot(r, p, "SourceDBSnapshotIdentifier", &src, err)) {
        store_rollback(r->st);
        return false;
    }
    char *id = lower_dup(tid);
    char *arn = NULL;
    bool ok = false;
    if (src.status != SNAP_AVAILABLE) {
        awserr_set(err, AWSERR_INVALID_DB_SNAPSHOT_STATE,
                   "Snapshot %s is not in available state.", src.id);
    } else if (snaprow_get(r, id, &old)) {
        snaprow_clear(&old);
        awserr_set(err, AWSERR_DB_SNAPSHOT_ALREADY_EXISTS,
                   "Cannot create the snapshot because a snapshot with the identifier %s "
                   "already exists.", id);
    } else if (snaprow_count(r) >= SNAPSHOT_QUOTA) {
        awserr_set(err, AWSERR_SNAPSHOT_QUOTA_EXCEEDED, "Cannot create more than %d manual "
                   "snapshots", SNAPSHOT_QUOTA);
    } else if (!kms_ref || (arn = instrow_kms_arn(r, kms_ref, err))) {
        snaprow s = src;
        s.id = id;
        s.type = (char *)"manual";
        s.status = SNAP_CREATING;
        s.source = src.id;
        s.created_ms = region_now_ms(r);
        s.size_bytes = 0;
        s.error = NULL;
        if (arn) {
            s.encrypted = true;
            s.kms_key_id = arn;
        }
        ok = snaprow_insert(r, &s) && copy_tags(r, p, src.id, id, err);
        if (!ok && err->code == AWSERR_NONE)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        else if (ok)
            snaprow_emit(r, id, "RDS-EVENT-0196", NULL);
    }
    if (ok)
        ok = commit_or_fail(r, err);
    else
        store_rollback(r->st);
    snaprow s;
    if (ok && snaprow_get(r, id, &s)) {
        cJSON_AddItemToObject(result, "DBSnapshot", snap_render(r, &s));
        snaprow_clear(&s);
    }
    free(arn);
    free(id);
    snaprow_clear(&src);
    return ok;
}


/* ---- RestoreDBInstanceFromDBSnapshot ---- */

static bool restore_record(region *r, const char *instance_id, const char *snapshot_id)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT OR REPLACE INTO snapshot_restores("
                                             "instance_id, snapshot_id) VALUES(?,?)");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, instance_id);
    sqlrow_bind_text(st, 2, snapshot_id);
    return sqlrow_run(st);
}

static instrow_source snap_source(const snaprow *s)
{
    return (instrow_source){.db_class = s->db_class,
                            .port = s->port,
                            .encrypted = s->encrypted,
                            .kms_key_id = s->kms_key_id,
                            .master_username = s->master_username,
                            .master_verifier = s->master_verifier,
                            .db_name = s->db_name,
                            .allocated_storage = s->allocated_storage,
                            .storage_type = s->storage_type,
                            .iops = s->iops};
}

bool snapshot_restore(region *r, const params *p, const char *id, store_instance *out,
                      awserr *err)
{
    memset(out, 0, sizeof *out);
    snaprow s;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    if (!load_snapshot(r, p, "DBSnapshotIdentifier", &s, err)) {
        store_rollback(r->st);
        return false;
    }
    bool ok = false;
    if (s.status != SNAP_AVAILABLE)
        awserr_set(err, AWSERR_INVALID_DB_SNAPSHOT_STATE, "Snapshot %s is not in available "
                   "state.", s.id);
    else {
        instrow_source src = snap_source(&s);
        ok = instrow_restore(r, p, id, &src, out, err);
        if (ok && !restore_record(r, out->id, s.id))
            ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        if (ok) {
            char *msg = xasprintf("Restored from snapshot %s", s.id);
            events_emit(r, out->id, "RDS-EVENT-0043", msg);
            free(msg);
        }
    }
    if (ok)
        ok = commit_or_fail(r, err);
    else
        store_rollback(r->st);
    if (ok)
        LOG_INFO("restore accepted instance=%s snapshot=%s", out->id, s.id);
    else
        store_instance_clear(out);
    snaprow_clear(&s);
    return ok;
}

bool snapshot_status(region *r, const char *snapshot_id, snaprow_status *out)
{
    snaprow s;
    if (!snaprow_get(r, snapshot_id, &s))
        return false;
    *out = s.status;
    snaprow_clear(&s);
    return true;
}

void snapshot_forget_restore(region *r, const char *instance_id)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM snapshot_restores WHERE instance_id=?");
    if (st) {
        sqlrow_bind_text(st, 1, instance_id);
        sqlrow_run(st);
    }
}

void snapshot_spec_restore(region *r, const char *instance_id, cJSON *spec)
{
    sqlite3_stmt *st = sqlrow_cached(r->st, "SELECT snapshot_id FROM snapshot_restores WHERE "
                                             "instance_id=?");
    if (!st)
        return;
    sqlrow_bind_text(st, 1, instance_id);
    char *sid = sqlite3_step(st) == SQLITE_ROW ? sqlrow_text(st, 0) : NULL;
    sqlrow_release(r->st, st);
    if (!sid)
        return;
    cJSON *o = cJSON_AddObjectToObject(spec, "restore");
    char *path = snaprow_object(r, sid), *kms_url = snaprow_kms_url(r);
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddStringToObject(o, "kms", kms_url);
    free(path);
    free(kms_url);
    free(sid);
}


void snapshot_tick(region *r)
{
    snapjob_tick(r);
}
