/* autobackup: see autobackup.h. The tables, rows and paths are
 * abstore.c's, the children and the cron tick abjob.c's, the pure rules
 * abpolicy.c's; this file holds what the API and the other modules ask. */
#include "controlplane/domain/autobackup.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/abjob.h"
#include "controlplane/domain/abpolicy.h"
#include "controlplane/domain/abstore.h"
#include "controlplane/domain/instrow.h"
#include "controlplane/notify/events.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

#define MAX_RETAINED 40

void autobackup_tick(region *r)
{
    abjob_tick(r);
}

static char *ab_arn(region *r, const char *rid)
{
    char *lower = str_lower(xstrdup(rid));
    char *arn = xasprintf("arn:aws:rds:%s:%s:auto-backup:ab-%s", r->cfg.name, r->cfg.account,
                          strncmp(lower, "db-", 3) == 0 ? lower + 3 : lower);
    free(lower);
    return arn;
}

/* The restorable window of rid in real time: [*earliest, *latest], from
 * the available base backups taken after the last gap in the archive and
 * the archive's reach. False when nothing is restorable yet. */
static bool restorable_window(region *r, const abstore_row *a, int64_t *earliest, int64_t *latest)
{
    abstore_base *b = NULL;
    int n = abstore_bases(r, a->rid, AB_BASE_AVAILABLE, &b);
    int64_t first = -1;
    for (int i = 0; i < n; i++)
        if (b[i].start_ms >= a->gap_ms && (first < 0 || b[i].end_ms < first))
            first = b[i].end_ms;
    abstore_bases_free(b, n);
    int64_t running = abjob_reach(r, a->rid);
    int64_t reach = running > a->restorable_ms ? running : a->restorable_ms;
    if (first < 0 || reach < first)
        return false;
    abstore_clock c = abstore_clock_load(r);
    /* Retention: nothing before the window's start, on the region clock. */
    int64_t window_start =
        abstore_clock_to_real(&c, (a->deleted_ms ? a->deleted_ms : region_now_ms(r)) -
                                      a->retention * ABPOLICY_DAY_MS);
    free(c.h);
    *earliest = first > window_start ? first : window_start;
    *latest = reach;
    if (*earliest > *latest)
        *earliest = *latest;
    return true;
}

/* ---- DBInstance ---- */

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char buf[40];
    cJSON_AddStringToObject(o, name, rclock_format(ms, buf, sizeof buf));
}

void autobackup_render(region *r, const store_instance *in, cJSON *o)
{
    abstore_row a = {0};
    bool have = in->backup_retention > 0 && in->resource_id && abstore_get(r, in->resource_id, &a);
    int64_t earliest = 0, latest = 0;
    bool window = have && restorable_window(r, &a, &earliest, &latest);
    /* As RDS: creating -> backing-up (the first backup) -> available, and
     * backing-up while a daily one runs. The first backup counts once it
     * is restorable (the archive reaches its end), so an instance is never
     * `available` with retention >= 1 and no LatestRestorableTime. */
    if (in->status == STATUS_AVAILABLE && in->backup_retention > 0 &&
        ((in->resource_id && abjob_base_running(in->resource_id)) || !window))
        cJSON_ReplaceItemInObjectCaseSensitive(o, "DBInstanceStatus",
                                               cJSON_CreateString("backing-up"));
    if (window) {
        abstore_clock c = abstore_clock_load(r);
        add_time(o, "LatestRestorableTime", abstore_clock_to_region(&c, latest));
        free(c.h);
    }
    if (have)
        abstore_row_clear(&a);
}


/* ---- DeleteDBInstance ---- */

bool autobackup_on_delete(region *r, const store_instance *in, bool delete_backups)
{
    abstore_row a = {0};
    if (!abstore_get(r, in->resource_id, &a))
        return true;
    int64_t reach = a.restorable_ms;
    if (abjob_reach(r, in->resource_id) > reach)
        reach = abjob_reach(r, in->resource_id);
    abstore_row_clear(&a);
    if (!delete_backups) {
        int retained = 0;
        sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT count(*) FROM ab_backups WHERE "
                                                 "status='retained'");
        if (st && sqlite3_step(st) == SQLITE_ROW)
            retained = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        if (retained >= MAX_RETAINED)
            delete_backups = true; /* RDS keeps at most 40 */
    }
    char *info = abstore_instance_info(r, in);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "UPDATE ab_backups SET status=?, info=?,"
                                             " deleted_ms=?, restorable_ms=? WHERE "
                                             "resource_id=?");
    bool ok = false;
    if (st) {
        sqlrow_bind_text(st, 1, abstore_status_name(delete_backups ? AB_DELETING : AB_RETAINED));
        sqlrow_bind_text(st, 2, info);
        sqlite3_bind_int64(st, 3, region_now_ms(r));
        sqlite3_bind_int64(st, 4, reach);
        sqlrow_bind_text(st, 5, in->resource_id);
        ok = sqlrow_run(st);
    }
    free(info);
    return ok;
}


/* ---- DescribeDBInstanceAutomatedBackups ---- */

static cJSON *ab_render(region *r, const abstore_row *a)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *info = a->info;
#define INFO_STR(k)                                                                           \
    do {                                                                                      \
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, k);                          \
        if (cJSON_IsString(v))                                                               \
            cJSON_AddStringToObject(o, k, v->valuestring);                                   \
    } while (0)
#define INFO_NUM(k)                                                                           \
    do {                                                                                      \
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, k);                          \
        if (cJSON_IsNumber(v))                                                               \
            cJSON_AddNumberToObject(o, k, v->valuedouble);                                   \
    } while (0)
    INFO_STR("DBInstanceArn");
    cJSON_AddStringToObject(o, "DbiResourceId", a->rid);
    cJSON_AddStringToObject(o, "Region", r->cfg.name);
    cJSON_AddStringToObject(o, "DBInstanceIdentifier", a->instance_id);
    int64_t earliest = 0, latest = 0;
    if (restorable_window(r, a, &earliest, &latest)) {
        abstore_clock c = abstore_clock_load(r);
        cJSON *w = cJSON_AddObjectToObject(o, "RestoreWindow");
        add_time(w, "EarliestTime", abstore_clock_to_region(&c, earliest));
        add_time(w, "LatestTime", abstore_clock_to_region(&c, latest));
        free(c.h);
    }
    INFO_NUM("AllocatedStorage");
    cJSON_AddStringToObject(o, "Status", abstore_status_name(a->status));
    INFO_NUM("Port");
    INFO_STR("AvailabilityZone");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(info, "InstanceCreateTime");
    if (cJSON_IsNumber(ct))
        add_time(o, "InstanceCreateTime", (int64_t)ct->valuedouble);
    INFO_STR("MasterUsername");
    cJSON_AddStringToObject(o, "Engine", "postgres");
    INFO_STR("EngineVersion");
    cJSON_AddStringToObject(o, "LicenseModel", "postgresql-license");
    const cJSON *io = cJSON_GetObjectItemCaseSensitive(info, "Iops");
    if (cJSON_IsNumber(io) && io->valuedouble > 0)
        cJSON_AddNumberToObject(o, "Iops", io->valuedouble);
    cJSON_AddBoolToObject(o, "Encrypted",
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(info, "Encrypted")));
    INFO_STR("StorageType");
    INFO_STR("KmsKeyId");
    cJSON_AddBoolToObject(o, "IAMDatabaseAuthenticationEnabled", false);
    cJSON_AddNumberToObject(o, "BackupRetentionPeriod", (double)a->retention);
    char *arn = ab_arn(r, a->rid);
    cJSON_AddStringToObject(o, "DBInstanceAutomatedBackupsArn", arn);
    free(arn);
    cJSON_AddStringToObject(o, "BackupTarget", "region");
#undef INFO_STR
#undef INFO_NUM
    return o;
}

/* The automated backups named by DbiResourceId or
 * DBInstanceAutomatedBackupsArn (rid_out), if any was given. */
static bool rid_param(region *r, const params *p, const char *rid_name, const char *arn_name,
                      char **rid_out, awserr *err)
{
    const char *rid = params_get(p, rid_name);
    const char *arn = arn_name ? params_get(p, arn_name) : NULL;
    *rid_out = NULL;
    if (rid) {
        *rid_out = xstrdup(rid);
        return true;
    }
    if (!arn)
        return true;
    const char *tail = strstr(arn, ":auto-backup:ab-");
    if (!tail || strchr(tail + strlen(":auto-backup:ab-"), ':'))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid %s: %s", arn_name, arn);
    char *id = xasprintf("db-%s", tail + strlen(":auto-backup:ab-"));
    for (char *c = id + 3; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    *rid_out = id;
    (void)r;
    return true;
}

bool autobackup_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    char *rid = NULL;
    if (!rid_param(r, p, "DbiResourceId", "DBInstanceAutomatedBackupsArn", &rid, err))
        return false;
    const char *iid = params_get(p, "DBInstanceIdentifier");
    abstore_row *rows = NULL;
    int n = abstore_list(r, &rows);
    cJSON *list = cJSON_AddArrayToObject(result, "DBInstanceAutomatedBackups");
    int shown = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].status == AB_DELETING)
            continue;
        if ((rid && strcmp(rows[i].rid, rid) != 0) ||
            (iid && strcasecmp(rows[i].instance_id, iid) != 0))
            continue;
        cJSON_AddItemToArray(list, ab_render(r, &rows[i]));
        shown++;
    }
    abstore_list_free(rows, n);
    bool ok = true;
    if (shown == 0 && (rid || iid))
        ok = awserr_set(err, AWSERR_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND,
                        "No automated backup found for %s.", rid ? rid : iid);
    free(rid);
    return ok;
}

bool autobackup_action_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    char *rid = NULL;
    if (!rid_param(r, p, "DbiResourceId", "DBInstanceAutomatedBackupsArn", &rid, err))
        return false;
    if (!rid)
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "DbiResourceId or DBInstanceAutomatedBackupsArn is required.");
    abstore_row a = {0};
    bool ok = false;
    if (!store_begin(r->st)) {
        free(rid);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    }
    if (!abstore_get(r, rid, &a) || a.status == AB_DELETING)
        awserr_set(err, AWSERR_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND,
                   "Automated backup %s not found.", rid);
    else if (a.status != AB_RETAINED)
        awserr_set(err, AWSERR_INVALID_DB_INSTANCE_AUTOMATED_BACKUP_STATE,
                   "Automated backup %s is not retained: its instance still exists.", rid);
    else {
        sqlite3_stmt *st = sqlrow_prepare(r->st, "UPDATE ab_backups SET status='deleting' "
                                                 "WHERE resource_id=?");
        if (st) {
            sqlrow_bind_text(st, 1, rid);
            ok = sqlrow_run(st);
        }
        if (ok)
            ok = store_commit(r->st);
        if (!ok)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    if (!ok)
        store_rollback(r->st);
    if (ok) {
        a.status = AB_DELETING;
        cJSON_AddItemToObject(result, "DBInstanceAutomatedBackup", ab_render(r, &a));
        /* Nothing runs for a retained backup: remove it at once. */
        abjob_sweep_soon(rid);
    }
    abstore_row_clear(&a);
    free(rid);
    return ok;
}


/* ---- RestoreDBInstanceToPointInTime ---- */

static bool restore_record(region *r, const char *instance_id, const char *base,
                           const char *wal, int64_t target_ms)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT OR REPLACE INTO ab_restores(instance_id,"
                                             " base_path, wal_dir, target_ms) VALUES(?,?,?,?)");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, instance_id);
    sqlrow_bind_text(st, 2, base);
    sqlrow_bind_text(st, 3, wal);
    sqlite3_bind_int64(st, 4, target_ms);
    return sqlrow_run(st);
}

/* The source's automated backups: by instance, resource id or ARN. */
static bool restore_source(region *r, const params *p, abstore_row *a, awserr *err)
{
    const char *iid = params_get(p, "SourceDBInstanceIdentifier");
    char *rid = NULL;
    if (!rid_param(r, p, "SourceDbiResourceId", "SourceDBInstanceAutomatedBackupsArn", &rid,
                   err))
        return false;
    if (!iid && !rid)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "One of SourceDBInstanceIdentifier, SourceDbiResourceId or "
                          "SourceDBInstanceAutomatedBackupsArn is required.");
    if (iid) {
        char *lower = str_lower(xstrdup(iid));
        store_instance in = {0};
        bool found = false;
        store_instance_get(r->st, lower, &in, &found);
        free(lower);
        if (!found) {
            free(rid);
            return awserr_set(err, AWSERR_DB_INSTANCE_NOT_FOUND, "DBInstance %s not found.",
                              iid);
        }
        bool disabled = in.backup_retention == 0;
        free(rid);
        rid = xstrdup(in.resource_id);
        store_instance_clear(&in);
        if (disabled) {
            free(rid);
            return awserr_set(err, AWSERR_POINT_IN_TIME_RESTORE_NOT_ENABLED,
                              "SourceDBInstanceIdentifier refers to a DB instance with "
                              "BackupRetentionPeriod equal to 0.");
        }
    }
    bool found = abstore_get(r, rid, a) && a->status != AB_DELETING;
    if (!found)
        awserr_set(err,
                   iid ? AWSERR_INVALID_RESTORE : AWSERR_DB_INSTANCE_AUTOMATED_BACKUP_NOT_FOUND,
                   iid ? "Instance %s has no automated backup yet." : "Automated backup %s "
                   "not found.", iid ? iid : rid);
    free(rid);
    return found;
}

/* The newest base backup whose restorable start is at or before target. */
static char *base_for(region *r, const abstore_row *a, int64_t target)
{
    abstore_base *b = NULL;
    int n = abstore_bases(r, a->rid, AB_BASE_AVAILABLE, &b);
    char *best = NULL;
    int64_t best_end = -1;
    for (int i = 0; i < n; i++)
        if (b[i].start_ms >= a->gap_ms && b[i].end_ms <= target && b[i].end_ms > best_end) {
            best_end = b[i].end_ms;
            free(best);
            best = xstrdup(b[i].id);
        }
    abstore_bases_free(b, n);
    return best;
}

static const char *info_str(const cJSON *info, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t info_num(const cJSON *info, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(info, k);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static bool restore_target(region *r, const char *when, bool latest, const abstore_row *a,
                           int64_t *target, awserr *err)
{
    if (when && latest)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Cannot specify both RestoreTime and UseLatestRestorableTime.");
    if (!when && !latest)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "Either RestoreTime or UseLatestRestorableTime must be specified.");
    int64_t earliest = 0, last = 0;
    if (!restorable_window(r, a, &earliest, &last))
        return awserr_set(err, AWSERR_INVALID_RESTORE,
                          "The source has no restorable time yet: its first backup is not "
                          "complete.");
    if (latest) {
        *target = last;
        return true;
    }
    int64_t region_ms = 0;
    if (!rclock_parse(when, &region_ms))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid RestoreTime: %s (ISO 8601, UTC).", when);
    abstore_clock c = abstore_clock_load(r);
    *target = abstore_clock_to_real(&c, region_ms);
    char e[40], l[40];
    rclock_format(abstore_clock_to_region(&c, earliest), e, sizeof e);
    rclock_format(abstore_clock_to_region(&c, last), l, sizeof l);
    free(c.h);
    if (*target < earliest || *target > last)
        return awserr_set(err, AWSERR_INVALID_RESTORE,
                          "Restore time %s is outside the restorable window %s to %s.", when, e,
                          l);
    return true;
}

bool autobackup_restore(region *r, const params *p, const char *id, store_instance *out,
                        awserr *err)
{
    memset(out, 0, sizeof *out);
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The store is not available.");
    abstore_row a = {0};
    int64_t target = 0;
    char *base = NULL;
    bool latest = false;
    bool ok = params_get_bool(p, "UseLatestRestorableTime", &latest, NULL, err) &&
              restore_source(r, p, &a, err) &&
              restore_target(r, params_get(p, "RestoreTime"), latest, &a, &target, err);
    if (ok && !(base = base_for(r, &a, target)))
        ok = awserr_set(err, AWSERR_INVALID_RESTORE, "No base backup covers the restore time.");
    if (ok) {
        const cJSON *info = a.info;
        instrow_source src = {.db_class = info_str(info, "DBInstanceClass"),
                              .port = info_num(info, "Port"),
                              .encrypted = cJSON_IsTrue(
                                  cJSON_GetObjectItemCaseSensitive(info, "Encrypted")),
                              .kms_key_id = info_str(info, "KmsKeyId"),
                              .master_username = info_str(info, "MasterUsername"),
                              .master_verifier = info_str(info, "MasterUserVerifier"),
                              .db_name = info_str(info, "DBName"),
                              .allocated_storage = info_num(info, "AllocatedStorage"),
                              .storage_type = info_str(info, "StorageType"),
                              .iops = info_num(info, "Iops")};
        if (!src.db_class || !src.master_username || !src.master_verifier || !src.storage_type)
            ok = awserr_set(err, AWSERR_INVALID_RESTORE, "The automated backup is incomplete.");
        else
            ok = instrow_restore(r, p, id, &src, out, err);
    }
    if (ok) {
        char *obj = abstore_base_object(r, a.rid, base);
        char *wal = abstore_dir(r, a.rid, "wal");
        ok = restore_record(r, out->id, obj, wal, target);
        free(obj);
        free(wal);
        if (!ok)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    if (ok) {
        char *msg = xasprintf("Restored from DB instance %s to %s", a.instance_id, out->id);
        events_emit(r, out->id, "RDS-EVENT-0019", msg);
        free(msg);
        ok = store_commit(r->st);
        if (!ok)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    }
    if (!ok) {
        store_rollback(r->st);
        store_instance_clear(out);
    } else {
        char t[40];
        LOG_INFO("point-in-time restore accepted instance=%s source=%s target_real=%s", out->id,
                 a.rid, rclock_format(target, t, sizeof t));
    }
    free(base);
    abstore_row_clear(&a);
    return ok;
}


bool autobackup_restore_to(region *r, const char *when, bool latest, const char *rid,
                           const char *instance_id, awserr *err)
{
    abstore_row a = {0};
    int64_t target = 0;
    char *base = NULL;
    bool ok = abstore_get(r, rid, &a) && a.status != AB_DELETING;
    if (!ok)
        awserr_set(err, AWSERR_INVALID_RESTORE, "The source has no automated backup yet.");
    ok = ok && restore_target(r, when, latest, &a, &target, err);
    if (ok && !(base = base_for(r, &a, target)))
        ok = awserr_set(err, AWSERR_INVALID_RESTORE, "No base backup covers the restore time.");
    if (ok) {
        char *obj = abstore_base_object(r, a.rid, base);
        char *wal = abstore_dir(r, a.rid, "wal");
        ok = restore_record(r, instance_id, obj, wal, target) ||
             awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
        free(obj);
        free(wal);
    }
    if (ok) {
        char t[40];
        LOG_INFO("point-in-time restore recorded instance=%s source=%s target_real=%s",
                 instance_id, rid, rclock_format(target, t, sizeof t));
    }
    free(base);
    abstore_row_clear(&a);
    return ok;
}

bool autobackup_restore_base(region *r, const char *rid, const char *base_id,
                             const char *instance_id, awserr *err)
{
    abstore_row a = {0};
    bool ok = abstore_get(r, rid, &a) && a.status != AB_DELETING;
    abstore_row_clear(&a);
    if (!ok)
        return awserr_set(err, AWSERR_INVALID_RESTORE, "The automated backup is being deleted.");
    /* No WAL: the object alone is consistent at its end (pg_basebackup
     * -X fetch), like a snapshot's; "" and 0 say so in ab_restores. */
    char *obj = abstore_base_object(r, rid, base_id);
    ok = restore_record(r, instance_id, obj, "", 0) ||
         awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request could not be stored.");
    free(obj);
    if (ok)
        LOG_INFO("base backup restore recorded instance=%s source=%s base=%s", instance_id, rid,
                 base_id);
    return ok;
}

bool autobackup_window(region *r, const char *rid, int64_t *earliest, int64_t *latest)
{
    abstore_row a = {0};
    int64_t e = 0, l = 0;
    bool ok = rid && abstore_get(r, rid, &a) && a.status != AB_DELETING &&
              restorable_window(r, &a, &e, &l);
    if (ok) {
        abstore_clock c = abstore_clock_load(r);
        *earliest = abstore_clock_to_region(&c, e);
        *latest = abstore_clock_to_region(&c, l);
        free(c.h);
    }
    abstore_row_clear(&a);
    return ok;
}


/* ---- recovery of a lost primary (domain/recovery.h) ---- */

bool autobackup_recover_record(region *r, const store_instance *in, int64_t *target_ms)
{
    abstore_row a = {0};
    if (in->backup_retention <= 0 || !in->resource_id || !abstore_get(r, in->resource_id, &a))
        return false;
    int64_t earliest = 0, latest = 0;
    char *base = NULL;
    bool ok = a.status != AB_DELETING && restorable_window(r, &a, &earliest, &latest) &&
              (base = base_for(r, &a, latest)) != NULL;
    if (ok) {
        char *obj = abstore_base_object(r, a.rid, base);
        char *wal = abstore_dir(r, a.rid, "wal");
        ok = restore_record(r, in->id, obj, wal, latest);
        free(obj);
        free(wal);
    }
    if (ok && target_ms)
        *target_ms = latest;
    free(base);
    abstore_row_clear(&a);
    return ok;
}

void autobackup_spec_restore(region *r, const char *instance_id, cJSON *spec)
{
    sqlite3_stmt *st = sqlrow_cached(r->st, "SELECT base_path, wal_dir, target_ms FROM "
                                             "ab_restores WHERE instance_id=?");
    if (!st)
        return;
    sqlrow_bind_text(st, 1, instance_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        char *base = sqlrow_text(st, 0), *wal = sqlrow_text(st, 1);
        int64_t target = sqlite3_column_int64(st, 2);
        cJSON_DeleteItemFromObjectCaseSensitive(spec, "restore");
        cJSON *o = cJSON_AddObjectToObject(spec, "restore");
        char *kmsu = abstore_kms_url(r);
        /* PostgreSQL's form, real time: "2026-11-24 10:43:14.550+00". */
        char iso[40], pg[48];
        rclock_format(target, iso, sizeof iso);
        snprintf(pg, sizeof pg, "%.10s %.12s+00", iso, iso + 11);
        cJSON_AddStringToObject(o, "path", base);
        cJSON_AddStringToObject(o, "kms", kmsu);
        if (wal && *wal) { /* else a base backup alone (autobackup_restore_base) */
            cJSON_AddStringToObject(o, "wal", wal);
            cJSON_AddStringToObject(o, "target", pg);
        }
        free(kmsu);
        free(base);
        free(wal);
    }
    sqlrow_release(r->st, st);
}

void autobackup_forget_restore(region *r, const char *instance_id)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM ab_restores WHERE instance_id=?");
    if (st) {
        sqlrow_bind_text(st, 1, instance_id);
        sqlrow_run(st);
    }
}
