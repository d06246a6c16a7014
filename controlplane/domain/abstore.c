/* abstore: see abstore.h. */
#include "controlplane/domain/abstore.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/clockhist.h"
#include "controlplane/core/states.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/util.h"

/* ---- tables ---- */

/* The module's schema: CREATE TABLE IF NOT EXISTS, so harmless on every
 * store. */
/* ---- statuses ---- */

static const char *const abstore_status_names[AB_STATUS_COUNT] = {
    [AB_ACTIVE] = "active",
    [AB_RETAINED] = "retained",
    [AB_DELETING] = "deleting",
};

STATES_NAMED(abstore_status, abstore_status_names, AB_STATUS_COUNT)

static const char *const abstore_base_status_names[AB_BASE_STATUS_COUNT] = {
    [AB_BASE_CREATING] = "creating",
    [AB_BASE_AVAILABLE] = "available",
    [AB_BASE_FAILED] = "failed",
};

STATES_NAMED(abstore_base_status, abstore_base_status_names, AB_BASE_STATUS_COUNT)

/* ---- rows ---- */

void abstore_row_clear(abstore_row *a)
{
    free(a->rid);
    free(a->instance_id);
    cJSON_Delete(a->info);
    memset(a, 0, sizeof *a);
}

#define AB_COLS "resource_id, instance_id, status, info, retention, deleted_ms, restorable_ms," \
                " gaps, gap_ms"

/* False (logged, *a empty) when the row's status is unknown. */
static bool abstore_read(sqlite3_stmt *st, abstore_row *a)
{
    memset(a, 0, sizeof *a);
    const char *status = (const char *)sqlite3_column_text(st, 2);
    if (!abstore_status_parse(status, &a->status)) {
        LOG_WARN("automated backup row skipped rid=%s status=%s: unknown status",
                 (const char *)sqlite3_column_text(st, 0), status ? status : "(null)");
        return false;
    }
    a->rid = sqlrow_text(st, 0);
    a->instance_id = sqlrow_text(st, 1);
    char *info = sqlrow_text(st, 3);
    a->info = cJSON_Parse(info ? info : "{}");
    if (!a->info)
        a->info = cJSON_CreateObject();
    free(info);
    a->retention = sqlite3_column_int64(st, 4);
    a->deleted_ms = sqlite3_column_int64(st, 5);
    a->restorable_ms = sqlite3_column_int64(st, 6);
    a->gaps = sqlite3_column_int64(st, 7);
    a->gap_ms = sqlite3_column_int64(st, 8);
    return true;
}

bool abstore_get(region *r, const char *rid, abstore_row *out)
{
    sqlite3_stmt *st = sqlrow_cached(r->st, "SELECT " AB_COLS " FROM ab_backups WHERE "
                                             "resource_id=?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, rid);
    bool found = sqlite3_step(st) == SQLITE_ROW && abstore_read(st, out);
    sqlrow_release(r->st, st);
    return found;
}

int abstore_list(region *r, abstore_row **out)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT " AB_COLS " FROM ab_backups ORDER BY "
                                             "instance_id, resource_id");
    int n = 0;
    *out = NULL;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        *out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
        if (abstore_read(st, &(*out)[n]))
            n++;
    }
    sqlite3_finalize(st);
    return n;
}

void abstore_list_free(abstore_row *rows, int n)
{
    for (int i = 0; i < n; i++)
        abstore_row_clear(&rows[i]);
    free(rows);
}

/* What a restore and DescribeDBInstanceAutomatedBackups need of the
 * instance, kept for when it is gone. */
char *abstore_instance_info(region *r, const store_instance *in)
{
    cJSON *o = cJSON_CreateObject();
    char *arn = region_instance_arn(r, in->id);
    cJSON_AddStringToObject(o, "DBInstanceArn", arn);
    free(arn);
    cJSON_AddStringToObject(o, "DBInstanceClass", in->db_class);
    cJSON_AddStringToObject(o, "EngineVersion", in->engine_version);
    cJSON_AddStringToObject(o, "MasterUsername", in->master_username);
    cJSON_AddStringToObject(o, "MasterUserVerifier", in->master_verifier); /* never the password */
    if (in->db_name)
        cJSON_AddStringToObject(o, "DBName", in->db_name);
    cJSON_AddNumberToObject(o, "Port", (double)in->port);
    cJSON_AddNumberToObject(o, "AllocatedStorage", (double)in->allocated_storage);
    cJSON_AddStringToObject(o, "StorageType", in->storage_type);
    cJSON_AddNumberToObject(o, "Iops", (double)in->iops);
    cJSON_AddBoolToObject(o, "Encrypted", in->storage_encrypted);
    if (in->kms_key_id)
        cJSON_AddStringToObject(o, "KmsKeyId", in->kms_key_id);
    if (in->az)
        cJSON_AddStringToObject(o, "AvailabilityZone", in->az);
    cJSON_AddNumberToObject(o, "InstanceCreateTime", (double)in->created_ms);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

bool abstore_upsert_active(region *r, const store_instance *in)
{
    char *info = abstore_instance_info(r, in);
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "INSERT INTO ab_backups(resource_id, instance_id, status, info, retention) "
               "VALUES(?,?,'active',?,?) ON CONFLICT(resource_id) DO UPDATE SET "
               "info=excluded.info, retention=excluded.retention, status='active'");
    bool ok = false;
    if (st) {
        sqlrow_bind_text(st, 1, in->resource_id);
        sqlrow_bind_text(st, 2, in->id);
        sqlrow_bind_text(st, 3, info);
        sqlite3_bind_int64(st, 4, in->backup_retention);
        ok = sqlrow_run(st);
    }
    free(info);
    return ok;
}

void abstore_remove(region *r, const char *rid)
{
    char *dir = abstore_dir(r, rid, NULL);
    char *adir = abstore_archiver_dir(r, rid, NULL);
    fs_rm_rf(dir);
    fs_rm_rf(adir);
    free(dir);
    free(adir);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM ab_bases WHERE resource_id=?");
    if (st) {
        sqlrow_bind_text(st, 1, rid);
        sqlrow_run(st);
    }
    st = sqlrow_prepare(r->st, "DELETE FROM ab_backups WHERE resource_id=?");
    if (st) {
        sqlrow_bind_text(st, 1, rid);
        sqlrow_run(st);
    }
    LOG_INFO("automated backups removed rid=%s", rid);
}

int abstore_bases(region *r, const char *rid, abstore_base_status status, abstore_base **out)
{
    sqlite3_stmt *st = sqlrow_cached(r->st, "SELECT id, status, start_lsn, start_ms, end_ms,"
                                             " size_bytes FROM ab_bases WHERE resource_id=?1 AND"
                                             " status=?2 ORDER BY end_ms,"
                                             " start_ms");
    int n = 0;
    *out = NULL;
    if (!st)
        return 0;
    sqlrow_bind_text(st, 1, rid);
    sqlrow_bind_text(st, 2, abstore_base_status_name(status));
    while (sqlite3_step(st) == SQLITE_ROW) {
        *out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
        abstore_base *b = &(*out)[n++];
        b->id = sqlrow_text(st, 0);
        b->status = status; /* the WHERE clause matched its name */
        b->start_lsn = sqlrow_text(st, 2);
        b->start_ms = sqlite3_column_int64(st, 3);
        b->end_ms = sqlite3_column_int64(st, 4);
        b->size_bytes = sqlite3_column_int64(st, 5);
    }
    sqlrow_release(r->st, st);
    return n;
}

void abstore_bases_free(abstore_base *b, int n)
{
    for (int i = 0; i < n; i++) {
        free(b[i].id);
        free(b[i].start_lsn);
    }
    free(b);
}

/* ---- paths and names ---- */

static char *abstore_rds_home(region *r)
{
    char *home = xstrdup(r->home);
    char *dir = xstrdup(dirname(home));
    free(home);
    return dir;
}

char *abstore_dir(region *r, const char *rid, const char *sub)
{
    char *home = abstore_rds_home(r);
    char *dir = xasprintf("%s/backups/automated/%s%s%s", home, rid, sub ? "/" : "",
                          sub ? sub : "");
    free(home);
    return dir;
}

char *abstore_archiver_dir(region *r, const char *rid, const char *sub)
{
    char *home = abstore_rds_home(r);
    char *dir = xasprintf("%s/archiver/%s%s%s", home, rid, sub ? "/" : "", sub ? sub : "");
    free(home);
    return dir;
}

char *abstore_base_object(region *r, const char *rid, const char *base_id)
{
    char *dir = abstore_dir(r, rid, "base");
    char *p = xasprintf("%s/%s.tar.env", dir, base_id);
    free(dir);
    return p;
}

char *abstore_kms_url(region *r)
{
    /* The agents' door: in namespace mode they cannot reach the root's
     * loopback (region.h agent_addr). */
    return xasprintf("http://%s:%d/", r->cfg.agent_addr ? r->cfg.agent_addr : "127.0.0.1",
                     r->api_port);
}

/* ---- the region clock's history ---- */

abstore_clock abstore_clock_load(region *r)
{
    abstore_clock c = {.current = r->clock_offset_ms};
    c.n = clockhist_load(r->st, &c.h);
    return c;
}

int64_t abstore_clock_to_region(const abstore_clock *c, int64_t real_ms)
{
    return rclock_real_to_region(c->h, c->n, c->current, real_ms);
}

int64_t abstore_clock_to_real(const abstore_clock *c, int64_t region_ms)
{
    return rclock_region_to_real(c->h, c->n, c->current, region_ms);
}

