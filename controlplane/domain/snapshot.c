/* snapshot: see snapshot.h. */
#include "controlplane/domain/snapshot.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controlplane/notify/events.h"
#include "controlplane/view/instview.h"
#include "controlplane/core/kms.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/validate.h"
#include "controlplane/wf/workflow.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

enum { SNAPSHOT_QUOTA = 100, MAX_JOBS = 16 };

typedef struct {
    char *id, *instance_id, *resource_id, *type, *status;
    int64_t created_ms;
    char *source; /* a copy: the source snapshot's id */
    bool encrypted;
    char *kms_key_id, *engine_version, *db_class, *master_username, *master_password, *db_name;
    int64_t port, allocated_storage;
    char *storage_type;
    int64_t iops;
    char *az;
    int64_t instance_created_ms, size_bytes;
    char *error;
} snap_row;

#define SNAP_COLS                                                                             \
    "id, instance_id, resource_id, type, status, created_ms, source, encrypted, kms_key_id,"  \
    " engine_version, db_class, master_username, master_password, db_name, port,"             \
    " allocated_storage, storage_type, iops, az, instance_created_ms, size_bytes, error"

/* The children of this process, one per snapshot being made. */
static struct {
    char *id;
    pid_t pid;
} jobs[MAX_JOBS];

static void snap_clear(snap_row *s)
{
    char **strs[] = {&s->id, &s->instance_id, &s->resource_id, &s->type, &s->status,
                     &s->source, &s->kms_key_id, &s->engine_version, &s->db_class,
                     &s->master_username, &s->master_password, &s->db_name, &s->storage_type,
                     &s->az, &s->error};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    memset(s, 0, sizeof *s);
}

static void snap_read(sqlite3_stmt *st, snap_row *s)
{
    s->id = sqlrow_text(st, 0);
    s->instance_id = sqlrow_text(st, 1);
    s->resource_id = sqlrow_text(st, 2);
    s->type = sqlrow_text(st, 3);
    s->status = sqlrow_text(st, 4);
    s->created_ms = sqlite3_column_int64(st, 5);
    s->source = sqlrow_text(st, 6);
    s->encrypted = sqlite3_column_int(st, 7) != 0;
    s->kms_key_id = sqlrow_text(st, 8);
    s->engine_version = sqlrow_text(st, 9);
    s->db_class = sqlrow_text(st, 10);
    s->master_username = sqlrow_text(st, 11);
    s->master_password = sqlrow_text(st, 12);
    s->db_name = sqlrow_text(st, 13);
    s->port = sqlite3_column_int64(st, 14);
    s->allocated_storage = sqlite3_column_int64(st, 15);
    s->storage_type = sqlrow_text(st, 16);
    s->iops = sqlite3_column_int64(st, 17);
    s->az = sqlrow_text(st, 18);
    s->instance_created_ms = sqlite3_column_int64(st, 19);
    s->size_bytes = sqlite3_column_int64(st, 20);
    s->error = sqlrow_text(st, 21);
}

static bool snap_get(region *r, const char *id, snap_row *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT " SNAP_COLS " FROM db_snapshots WHERE id=?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, id);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        snap_read(st, out);
    sqlite3_finalize(st);
    return found;
}

static bool snap_insert(region *r, const snap_row *s)
{
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "INSERT INTO db_snapshots(" SNAP_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
               "?,?,?,?)");
    if (!st)
        return false;
    const char *texts[] = {s->id, s->instance_id, s->resource_id, s->type, s->status};
    for (int i = 0; i < 5; i++)
        sqlrow_bind_text(st, i + 1, texts[i]);
    sqlite3_bind_int64(st, 6, s->created_ms);
    sqlrow_bind_text(st, 7, s->source);
    sqlite3_bind_int(st, 8, s->encrypted);
    const char *more[] = {s->kms_key_id, s->engine_version, s->db_class, s->master_username,
                          s->master_password, s->db_name};
    for (int i = 0; i < 6; i++)
        sqlrow_bind_text(st, 9 + i, more[i]);
    sqlite3_bind_int64(st, 15, s->port);
    sqlite3_bind_int64(st, 16, s->allocated_storage);
    sqlrow_bind_text(st, 17, s->storage_type);
    sqlite3_bind_int64(st, 18, s->iops);
    sqlrow_bind_text(st, 19, s->az);
    sqlite3_bind_int64(st, 20, s->instance_created_ms);
    sqlite3_bind_int64(st, 21, s->size_bytes);
    sqlrow_bind_text(st, 22, s->error);
    return sqlrow_run(st);
}

static int snap_count(region *r)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT count(*) FROM db_snapshots");
    int n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

/* ---- names and paths ---- */

static char *snap_arn(region *r, const char *id)
{
    return xasprintf("arn:aws:rds:%s:%s:snapshot:%s", r->cfg.name, r->cfg.account, id);
}

/* <RDS_HOME>/backups: the controlplane's home is <RDS_HOME>/controlplane. */
static char *store_dir(region *r)
{
    char *home = xstrdup(r->home);
    char *dir = xasprintf("%s/backups/snapshots", dirname(home));
    free(home);
    return dir;
}

static char *snap_dir(region *r, const char *id)
{
    char *base = store_dir(r);
    char *dir = xasprintf("%s/%s", base, id);
    free(base);
    return dir;
}

static char *snap_object(region *r, const char *id)
{
    char *dir = snap_dir(r, id);
    char *path = xasprintf("%s/base.tar.env", dir);
    free(dir);
    return path;
}

static char *kms_endpoint(region *r)
{
    return xasprintf("http://127.0.0.1:%d/", r->api_port);
}

/* ---- the DBSnapshot shape ---- */

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char buf[40];
    cJSON_AddStringToObject(o, name, rclock_format(ms, buf, sizeof buf));
}

static cJSON *snap_render(region *r, const snap_row *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "DBSnapshotIdentifier", s->id);
    cJSON_AddStringToObject(o, "DBInstanceIdentifier", s->instance_id);
    if (strcmp(s->status, "creating") != 0)
        add_time(o, "SnapshotCreateTime", s->created_ms);
    cJSON_AddStringToObject(o, "Engine", "postgres");
    cJSON_AddNumberToObject(o, "AllocatedStorage", (double)s->allocated_storage);
    cJSON_AddStringToObject(o, "Status", s->status);
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
    cJSON_AddNumberToObject(o, "PercentProgress", strcmp(s->status, "available") == 0 ? 100 : 0);
    cJSON_AddStringToObject(o, "StorageType", s->storage_type);
    cJSON_AddBoolToObject(o, "Encrypted", s->encrypted);
    if (s->kms_key_id)
        cJSON_AddStringToObject(o, "KmsKeyId", s->kms_key_id);
    char *arn = snap_arn(r, s->id);
    cJSON_AddStringToObject(o, "DBSnapshotArn", arn);
    free(arn);
    if (s->source) {
        char *src = snap_arn(r, s->source);
        cJSON_AddStringToObject(o, "SourceDBSnapshotIdentifier", src);
        free(src);
    }
    if (s->resource_id)
        cJSON_AddStringToObject(o, "DbiResourceId", s->resource_id);
    cJSON_AddItemToObject(o, "TagList", cJSON_CreateArray());
    add_time(o, "OriginalSnapshotCreateTime", s->created_ms);
    cJSON_AddStringToObject(o, "SnapshotTarget", "region");
    return o;
}

static void emit(region *r, const char *id, const char *event_id, const char *detail)
{
    char *arn = snap_arn(r, id);
    events_emit_source(r, "db-snapshot", id, arn, event_id, detail);
    free(arn);
}

static bool commit_or_fail(region *r, awserr *err)
{
    if (store_commit(r->st))
        return true;
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
}

/* ---- CreateDBSnapshot and the final snapshot ---- */

static char *usable_key(region *r, const char *ref, awserr *err);

/* A new `creating` row from an instance, in the caller's transaction. */
static bool snap_from_instance(region *r, const store_instance *in, const char *id,
                               const char *type, awserr *err)
{
    snap_row old;
    if (snap_get(r, id, &old)) {
        snap_clear(&old);
        return awserr_set(err, AWSERR_DB_SNAPSHOT_ALREADY_EXISTS,
                          "Cannot create the snapshot because a snapshot with the identifier "
                          "%s already exists.", id);
    }
    if (snap_count(r) >= SNAPSHOT_QUOTA)
        return awserr_set(err, AWSERR_SNAPSHOT_QUOTA_EXCEEDED,
                          "Cannot create more than %d manual snapshots", SNAPSHOT_QUOTA);
    /* An encrypted instance's snapshot is sealed under its key: it must be usable now. */
    char *arn = in->storage_encrypted ? usable_key(r, in->kms_key_id, err) : NULL;
    if (in->storage_encrypted && !arn)
        return false;
    free(arn);
    snap_row s = {
        .id = (char *)id, .instance_id = in->id, .resource_id = in->resource_id,
        .type = (char *)type, .status = (char *)"creating", .created_ms = region_now_ms(r),
        .encrypted = in->storage_encrypted, .kms_key_id = in->kms_key_id,
        .engine_version = in->engine_version, .db_class = in->db_class,
        .master_username = in->master_username, .master_password = in->master_password,
        .db_name = in->db_name, .port = in->port, .allocated_storage = in->allocated_storage,
        .storage_type = in->storage_type, .iops = in->iops, .az = in->az,
        .instance_created_ms = in->created_ms,
    };
    if (!snap_insert(r, &s))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    emit(r, id, "RDS-EVENT-0040", NULL);
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
    else if (in.status != STATUS_AVAILABLE)
        awserr_set(err, AWSERR_INVALID_DB_INSTANCE_STATE,
                   "Cannot create a snapshot because the database instance %s is not currently "
                   "in the available state.", inst);
    else
        ok = snap_from_instance(r, &in, id, "manual", err);
    if (!ok) {
        store_rollback(r->st);
        goto out;
    }
    ok = commit_or_fail(r, err);
    snap_row s;
    if (ok && snap_get(r, id, &s)) {
        cJSON_AddItemToObject(result, "DBSnapshot", snap_render(r, &s));
        snap_clear(&s);
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
    int n = params_count_structs(p, "Filters", "Filter", err);
    if (n < 0)
        return false;
    for (int i = 1; i <= n; i++) {
        const char *name = params_get_struct_field(p, "Filters", "Filter", i, "Name");
        char *prefix = xasprintf("Filters.Filter.%d.Values", i);
        const char **vals = NULL;
        int nv = params_get_list(p, prefix, "Value", &vals, err);
        free(prefix);
        if (nv < 0)
            return false;
        int k = -1;
        for (int j = 0; j < 3 && name; j++)
            if (strcmp(name, filter_names[j]) == 0)
                k = j;
        if (name && k < 0 && strcmp(name, "engine") == 0 && nv > 0) {
            free(vals);
            continue;
        }
        if (k < 0 || nv == 0) {
            free(vals);
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              k < 0 ? "Unrecognized filter name: %s"
                                    : "The filter %s must have at least one value.",
                              name ? name : "(none)");
        }
        free(f->vals[k]);
        f->vals[k] = vals;
        f->nvals[k] = nv;
    }
    return true;
}

static bool one_of(const char *const *vals, int n, const char *have)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(vals[i], have) == 0)
            return true;
    return n == 0;
}

static bool snap_matches(const snap_filter *f, const snap_row *s)
{
    return (!f->instance || strcasecmp(f->instance, s->instance_id) == 0) &&
           (!f->snapshot || strcasecmp(f->snapshot, s->id) == 0) &&
           snapshot_type_matches(f->type, s->type) &&
           one_of(f->vals[0], f->nvals[0], s->instance_id) &&
           one_of(f->vals[1], f->nvals[1], s->id) && one_of(f->vals[2], f->nvals[2], s->type);
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
    if (ok && !(st = sqlrow_prepare(r->st, "SELECT " SNAP_COLS " FROM db_snapshots ORDER BY "
                                           "created_ms, id")))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    if (!ok) {
        for (int k = 0; k < 3; k++)
            free(f.vals[k]);
        return false;
    }
    cJSON *list = cJSON_AddArrayToObject(result, "DBSnapshots");
    while (sqlite3_step(st) == SQLITE_ROW) {
        snap_row s;
        snap_read(st, &s);
        if (snap_matches(&f, &s))
            cJSON_AddItemToArray(list, snap_render(r, &s));
        snap_clear(&s);
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

static bool load_snapshot(region *r, const params *p, const char *param, snap_row *s,
                          awserr *err)
{
    const char *v = params_require(p, param, err);
    if (!v)
        return false;
    const char *colon = strncmp(v, "arn:", 4) == 0 ? strrchr(v, ':') : NULL;
    char *id = lower_dup(colon ? colon + 1 : v);
    bool found = snap_get(r, id, s);
    if (!found)
        awserr_set(err, AWSERR_DB_SNAPSHOT_NOT_FOUND, "DBSnapshot %s not found.", id);
    free(id);
    return found;
}

bool snapshot_action_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    snap_row s;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    bool ok = false;
    if (!load_snapshot(r, p, "DBSnapshotIdentifier", &s, err)) {
        store_rollback(r->st);
        return false;
    }
    if (strcmp(s.status, "available") != 0 && strcmp(s.status, "failed") != 0) {
        awserr_set(err, AWSERR_INVALID_DB_SNAPSHOT_STATE,
                   "Cannot delete the snapshot because it is in %s state.", s.status);
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
    emit(r, s.id, "RDS-EVENT-0041", NULL);
    ok = commit_or_fail(r, err);
    if (ok) {
        char *dir = snap_dir(r, s.id);
        fs_rm_rf(dir); /* one object: quick; a leftover is only disk */
        free(dir);
        free(s.status);
        s.status = xstrdup("deleted");
        cJSON_AddItemToObject(result, "DBSnapshot", snap_render(r, &s));
    }
out:
    snap_clear(&s);
    return ok;
}

/* ---- CopyDBSnapshot ---- */

/* The ARN of an enabled KMS key, or NULL with KMSKeyNotAccessibleFault. */
static char *usable_key(region *r, const char *ref, awserr *err)
{
    kms_key key = {0};
    kms_err kerr = {0};
    char *arn = NULL;
    if (kms_key_describe(r->kms, ref, &key, &kerr) && key.state == KMS_KEY_ENABLED)
        arn = xstrdup(key.arn);
    else
        awserr_set(err, AWSERR_KMS_KEY_NOT_ACCESSIBLE, "The specified KMS key [%s] %s.", ref,
                   kerr.code != KMS_OK ? "does not exist or is not accessible"
                                       : "is not enabled");
    kms_key_clear(&key);
    return arn;
}

bool snapshot_action_copy(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *tid = params_require(p, "TargetDBSnapshotIdentifier", err);
    if (!tid || !validate_db_snapshot_id(tid, "TargetDBSnapshotIdentifier", err))
        return false;
    const char *kms_ref = params_get(p, "KmsKeyId");
    snap_row src, old;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    if (!load_snapshot(r, p, "SourceDBSnapshotIdentifier", &src, err)) {
        store_rollback(r->st);
        return false;
    }
    char *id = lower_dup(tid);
    char *arn = NULL;
    bool ok = false;
    if (strcmp(src.status, "available") != 0) {
        awserr_set(err, AWSERR_INVALID_DB_SNAPSHOT_STATE,
                   "Snapshot %s is not in available state.", src.id);
    } else if (snap_get(r, id, &old)) {
        snap_clear(&old);
        awserr_set(err, AWSERR_DB_SNAPSHOT_ALREADY_EXISTS,
                   "Cannot create the snapshot because a snapshot with the identifier %s "
                   "already exists.", id);
    } else if (snap_count(r) >= SNAPSHOT_QUOTA) {
        awserr_set(err, AWSERR_SNAPSHOT_QUOTA_EXCEEDED, "Cannot create more than %d manual "
                   "snapshots", SNAPSHOT_QUOTA);
    } else if (!kms_ref || (arn = usable_key(r, kms_ref, err))) {
        snap_row s = src;
        s.id = id;
        s.type = (char *)"manual";
        s.status = (char *)"creating";
        s.source = src.id;
        s.created_ms = region_now_ms(r);
        s.size_bytes = 0;
        s.error = NULL;
        if (arn) {
            s.encrypted = true;
            s.kms_key_id = arn;
        }
        ok = snap_insert(r, &s);
        if (!ok)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        else
            emit(r, id, "RDS-EVENT-0196", NULL);
    }
    if (ok)
        ok = commit_or_fail(r, err);
    else
        store_rollback(r->st);
    snap_row s;
    if (ok && snap_get(r, id, &s)) {
        cJSON_AddItemToObject(result, "DBSnapshot", snap_render(r, &s));
        snap_clear(&s);
    }
    free(arn);
    free(id);
    snap_clear(&src);
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

/* The instance a restore makes: the snapshot's settings, the request's
 * overrides (class, Multi-AZ, port, AZ, deletion protection). */
static bool restore_params(region *r, const params *p, const snapshot_source *s,
                           store_instance *in, awserr *err)
{
    const char *cls = params_get(p, "DBInstanceClass");
    int64_t port = s->port, dns_ttl = -1;
    bool multi_az = false, protect = false;
    if ((cls && !validate_db_instance_class(cls, err)) ||
        !params_get_int(p, "Port", 0, 65535 * 16, &port, NULL, err) ||
        !validate_port(port, err) || !params_get_bool(p, "MultiAZ", &multi_az, NULL, err) ||
        !params_get_bool(p, "DeletionProtection", &protect, NULL, err) ||
        !params_get_int(p, "DnsTtl", 0, DNS_TTL_MAX, &dns_ttl, NULL, err))
        return false;
    const char *az = params_get(p, "AvailabilityZone");
    if (az && multi_az)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Requesting a specific availability zone is not valid for Multi-AZ "
                          "instances.");
    if (az && !region_has_az(r, az))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid availability zone: %s",
                          az);
    if (multi_az && r->cfg.naz < 2)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Multi-AZ instances need at least two Availability Zones.");
    in->db_class = xstrdup(cls ? cls : s->db_class);
    in->port = port;
    in->multi_az = multi_az;
    in->deletion_protection = protect;
    in->az = az ? xstrdup(az) : NULL;
    in->dns_ttl = dns_ttl;
    /* DBParameterGroupName (paramgroup.h): the default when not given. */
    cJSON *extra = cJSON_CreateObject();
    bool ok = paramgroup_read_create(r, p, extra, err);
    if (ok)
        in->extra = cJSON_PrintUnformatted(extra);
    cJSON_Delete(extra);
    return ok;
}

static char *resource_id_new(void)
{
    char *label = region_random_label(26);
    char *id = xasprintf("db-%s", label);
    free(label);
    for (char *c = id + 3; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    return id;
}

static bool restore_insert(region *r, const snapshot_source *s, store_instance *in,
                           awserr *err)
{
    bool exists = false;
    store_instance old = {0};
    store_instance_get(r->st, in->id, &old, &exists);
    store_instance_clear(&old);
    if (exists)
        return awserr_set(err, AWSERR_DB_INSTANCE_ALREADY_EXISTS, "DB instance already exists");
    if (store_instance_count(r->st) >= REGION_INSTANCE_QUOTA)
        return awserr_set(err, AWSERR_INSTANCE_QUOTA_EXCEEDED,
                          "DB Instance quota exceeded: at most %d instances per region.",
                          REGION_INSTANCE_QUOTA);
    char *arn = s->encrypted ? usable_key(r, s->kms_key_id, err) : NULL;
    if (s->encrypted && !arn)
        return false;
    in->resource_id = resource_id_new();
    in->status = STATUS_CREATING;
    in->engine = xstrdup("postgres");
    in->engine_version = xstrdup(r->pg_version);
    in->master_username = xstrdup(s->master_username);
    in->master_password = xstrdup(s->master_password);
    in->db_name = s->db_name ? xstrdup(s->db_name) : NULL;
    in->allocated_storage = s->allocated_storage;
    in->storage_type = xstrdup(s->storage_type);
    in->iops = s->iops;
    in->backup_retention = 1;
    in->backup_window = xstrdup("03:00-03:30");
    in->maintenance_window = xstrdup("sun:05:00-sun:05:30");
    in->storage_encrypted = s->encrypted;
    in->kms_key_id = arn;
    in->tags = xstrdup("[]");
    in->pending = xstrdup("{}");
    if (!in->extra)
        in->extra = xstrdup("{}");
    in->created_ms = region_now_ms(r);
    in->ha_state = HA_NONE;
    in->repl_password = in->multi_az ? region_random_label(24) : xstrdup("");
    if (!store_instance_insert(r->st, in) || !workflow_start(r, in->id, "create", NULL))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    return true;
}

bool snapshot_restore_instance(region *r, const params *p, const snapshot_source *src,
                               store_instance *in, awserr *err)
{
    return restore_params(r, p, src, in, err) && restore_insert(r, src, in, err);
}

static snapshot_source snap_source(const snap_row *s)
{
    return (snapshot_source){.db_class = s->db_class,
                             .port = s->port,
                             .encrypted = s->encrypted,
                             .kms_key_id = s->kms_key_id,
                             .master_username = s->master_username,
                             .master_password = s->master_password,
                             .db_name = s->db_name,
                             .allocated_storage = s->allocated_storage,
                             .storage_type = s->storage_type,
                             .iops = s->iops};
}

bool snapshot_action_restore(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *iid = params_require(p, "DBInstanceIdentifier", err);
    if (!iid || !validate_db_instance_id(iid, "DBInstanceIdentifier", err))
        return false;
    snap_row s;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    if (!load_snapshot(r, p, "DBSnapshotIdentifier", &s, err)) {
        store_rollback(r->st);
        return false;
    }
    store_instance in = {0};
    in.id = lower_dup(iid);
    bool ok = false;
    if (strcmp(s.status, "available") != 0)
        awserr_set(err, AWSERR_INVALID_DB_SNAPSHOT_STATE, "Snapshot %s is not in available "
                   "state.", s.id);
    else {
        snapshot_source src = snap_source(&s);
        ok = snapshot_restore_instance(r, p, &src, &in, err);
        if (ok && !restore_record(r, in.id, s.id))
            ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        if (ok) {
            char *msg = xasprintf("Restored from snapshot %s", s.id);
            events_emit(r, in.id, "RDS-EVENT-0043", msg);
            free(msg);
        }
    }
    if (ok)
        ok = commit_or_fail(r, err);
    else
        store_rollback(r->st);
    if (ok) {
        LOG_INFO("restore accepted instance=%s snapshot=%s", in.id, s.id);
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
    }
    store_instance_clear(&in);
    snap_clear(&s);
    return ok;
}

char *snapshot_status(region *r, const char *snapshot_id)
{
    snap_row s;
    if (!snap_get(r, snapshot_id, &s))
        return NULL;
    char *status = xstrdup(s.status);
    snap_clear(&s);
    return status;
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
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT snapshot_id FROM snapshot_restores WHERE "
                                             "instance_id=?");
    if (!st)
        return;
    sqlrow_bind_text(st, 1, instance_id);
    char *sid = sqlite3_step(st) == SQLITE_ROW ? sqlrow_text(st, 0) : NULL;
    sqlite3_finalize(st);
    if (!sid)
        return;
    cJSON *o = cJSON_AddObjectToObject(spec, "restore");
    char *path = snap_object(r, sid), *kms_url = kms_endpoint(r);
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddStringToObject(o, "kms", kms_url);
    free(path);
    free(kms_url);
    free(sid);
}

/* ---- the children ---- */

static char *self_dir(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return xstrdup("/usr/local/bin");
    buf[n] = '\0';
    return xstrdup(dirname(buf));
}

/* argv of the child that makes s, or false (why in *why) when it cannot
 * start: the instance or its primary is gone. */
static bool job_argv(region *r, const snap_row *s, char **argv, char **why)
{
    char *dir = self_dir();
    argv[0] = xasprintf("%s/rds-backup", dir);
    free(dir);
    int n = 1;
    char *kms_url = kms_endpoint(r);
    if (s->source) {
        argv[n++] = xstrdup("copy");
        argv[n++] = xstrdup("--in");
        argv[n++] = snap_object(r, s->source);
    } else {
        store_instance in = {0};
        store_node nd = {0};
        bool found = false, nfound = false;
        store_instance_get(r->st, s->instance_id, &in, &found);
        if (found && in.primary_node)
            store_node_get(r->st, in.primary_node, &nd, &nfound);
        if (!nfound) {
            *why = xasprintf("instance %s has no primary to back up", s->instance_id);
            store_instance_clear(&in);
            free(kms_url);
            for (int i = 0; i < n; i++)
                free(argv[i]);
            return false;
        }
        argv[n++] = xstrdup("snapshot");
        argv[n++] = xstrdup("--host");
        argv[n++] = xstrdup(nd.addr);
        argv[n++] = xstrdup("--port");
        argv[n++] = xasprintf("%lld", (long long)nd.port);
        argv[n++] = xstrdup("--user");
        argv[n++] = xstrdup(in.master_username);
        store_node_clear(&nd);
        store_instance_clear(&in);
    }
    argv[n++] = xstrdup("--out");
    argv[n++] = snap_object(r, s->id);
    argv[n++] = xstrdup("--kms");
    argv[n++] = kms_url;
    if (s->encrypted && s->kms_key_id) {
        argv[n++] = xstrdup("--key-id");
        argv[n++] = xstrdup(s->kms_key_id);
    }
    argv[n] = NULL;
    return true;
}

static pid_t job_spawn(region *r, const snap_row *s, char **argv)
{
    char *dir = snap_dir(r, s->id);
    char *log = xasprintf("%s/job.log", dir);
    bool ok = fs_mkdir_p(dir, 0700);
    pid_t pid = ok ? fork() : -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        int nfd = open("/dev/null", O_RDONLY);
        if (nfd >= 0)
            dup2(nfd, 0);
        if (s->master_password)
            setenv("PGPASSWORD", s->master_password, 1);
        setenv("PGCONNECT_TIMEOUT", "5", 1);
        setenv("PGAPPNAME", "rds-snapshot", 1);
        execv(argv[0], argv);
        _exit(127);
    }
    free(dir);
    free(log);
    return pid;
}

/* Records a snapshot's end in its own transaction. */
static void job_done(region *r, const char *id, int status)
{
    snap_row s;
    if (!snap_get(r, id, &s))
        return;
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    char *path = snap_object(r, id);
    struct stat stt;
    int64_t size = ok && stat(path, &stt) == 0 ? (int64_t)stt.st_size : 0;
    char *dir = snap_dir(r, id);
    char *logp = xasprintf("%s/job.log", dir);
    size_t len = 0;
    char *log = ok ? NULL : fs_read_all(logp, 4096, &len);
    if (log)
        log[strcspn(log, "\n")] = '\0';
    sqlite3_stmt *st = sqlrow_prepare(r->st, "UPDATE db_snapshots SET status=?, size_bytes=?, "
                                             "error=?, created_ms=? WHERE id=? AND "
                                             "status='creating'");
    if (st && store_begin(r->st)) {
        sqlrow_bind_text(st, 1, ok ? "available" : "failed");
        sqlite3_bind_int64(st, 2, size);
        sqlrow_bind_text(st, 3, ok ? NULL : (log ? log : "the backup failed"));
        sqlite3_bind_int64(st, 4, ok ? region_now_ms(r) : s.created_ms);
        sqlrow_bind_text(st, 5, id);
        bool done = sqlrow_run(st);
        st = NULL;
        if (done && ok)
            emit(r, id, s.source ? "RDS-EVENT-0197" : "RDS-EVENT-0042", NULL);
        if (!done || !store_commit(r->st))
            store_rollback(r->st);
    }
    sqlite3_finalize(st);
    LOG_INFO("snapshot %s id=%s size=%lld%s%s", ok ? "available" : "failed", id,
             (long long)size, log ? " why=" : "", log ? log : "");
    free(log);
    free(logp);
    free(dir);
    free(path);
    snap_clear(&s);
}

static void reap(region *r)
{
    for (int i = 0; i < MAX_JOBS; i++) {
        int status = 0;
        if (!jobs[i].id || waitpid(jobs[i].pid, &status, WNOHANG) != jobs[i].pid)
            continue;
        job_done(r, jobs[i].id, status);
        free(jobs[i].id);
        jobs[i].id = NULL;
    }
}

static bool running(const char *id)
{
    for (int i = 0; i < MAX_JOBS; i++)
        if (jobs[i].id && strcmp(jobs[i].id, id) == 0)
            return true;
    return false;
}

static void start(region *r, const snap_row *s)
{
    int slot = -1;
    for (int i = 0; i < MAX_JOBS && slot < 0; i++)
        if (!jobs[i].id)
            slot = i;
    if (slot < 0)
        return;
    char *argv[24] = {0};
    char *why = NULL;
    if (!job_argv(r, s, argv, &why)) {
        char *dir = snap_dir(r, s->id), *logp = xasprintf("%s/job.log", dir);
        fs_mkdir_p(dir, 0700);
        fs_write_atomic(logp, why, strlen(why), 0600);
        job_done(r, s->id, 1 << 8);
        free(why);
        free(dir);
        free(logp);
        return;
    }
    pid_t pid = job_spawn(r, s, argv);
    for (int i = 0; argv[i]; i++)
        free(argv[i]);
    if (pid < 0) {
        LOG_ERROR("cannot start the snapshot of id=%s err=%s", s->id, strerror(errno));
        return;
    }
    jobs[slot].id = xstrdup(s->id);
    jobs[slot].pid = pid;
    LOG_INFO("snapshot started id=%s pid=%ld", s->id, (long)pid);
}

void snapshot_tick(region *r)
{
    reap(r);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT " SNAP_COLS " FROM db_snapshots WHERE "
                                             "status='creating' ORDER BY created_ms");
    if (!st)
        return;
    snap_row todo[MAX_JOBS];
    int n = 0;
    while (n < MAX_JOBS && sqlite3_step(st) == SQLITE_ROW) {
        snap_read(st, &todo[n]);
        if (running(todo[n].id))
            snap_clear(&todo[n]);
        else
            n++;
    }
    sqlite3_finalize(st);
    for (int i = 0; i < n; i++) {
        start(r, &todo[i]);
        snap_clear(&todo[i]);
    }
}
