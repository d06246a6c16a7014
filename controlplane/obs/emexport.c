/* emexport: see emexport.h. */
#include "controlplane/obs/emexport.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/cwlstore.h"
#include "controlplane/obs/logline.h"
#include "lib/log.h"
#include "lib/util.h"

/* The samples not exported yet, reached per instance through the index
 * em_samples(instance_id, ts_ms): the cron asks ten times a second. */
#define NEW_SAMPLES                                                                         \
    " FROM instances i LEFT JOIN cwl_em_export e ON e.instance_id = i.id"                   \
    " CROSS JOIN em_samples s ON s.instance_id = i.id AND s.ts_ms > coalesce(e.last_ts, -1)"

static bool has_work(region *r)
{
    sqlite3_stmt *st = sqlrow_cached(r->st, "SELECT EXISTS (SELECT 1 FROM instances i LEFT JOIN"
                                   " cwl_em_export e ON e.instance_id = i.id WHERE EXISTS"
                                   " (SELECT 1 FROM em_samples s WHERE s.instance_id = i.id"
                                   " AND s.ts_ms > coalesce(e.last_ts, -1)))");
    bool work = st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlrow_release(r->st, st);
    return work;
}

/* The group, and the instance's stream, exist. */
static bool ensure_stream(region *r, const char *resource_id, int64_t now)
{
    bool existed = false, found = false;
    if (!cwl_group_create(r, EMEXPORT_GROUP, now, &existed))
        return false;
    if (!existed && !cwl_group_set_retention(r, EMEXPORT_GROUP, EMEXPORT_RETENTION_DAYS, &found))
        return false;
    return cwl_stream_create(r, EMEXPORT_GROUP, resource_id, now, &existed);
}

static bool progress(region *r, const char *instance_id, int64_t ts)
{
    sqlite3_stmt *st = cwl_prep(r, "INSERT INTO cwl_em_export(instance_id, last_ts) VALUES(?1, ?2)"
                                   " ON CONFLICT(instance_id) DO UPDATE SET last_ts=excluded.last_ts");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, instance_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ts);
    return cwl_step_done(st);
}

static bool export_samples(region *r, int64_t now)
{
    sqlite3_stmt *st = cwl_prep(r, "SELECT s.instance_id, i.resource_id, s.ts_ms, s.sample"
                                   NEW_SAMPLES " ORDER BY s.ts_ms LIMIT ?1");
    if (!st)
        return false;
    sqlite3_bind_int(st, 1, EMEXPORT_BATCH);
    bool ok = true;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *rid = (const char *)sqlite3_column_text(st, 1);
        int64_t ts = sqlite3_column_int64(st, 2);
        const char *sample = (const char *)sqlite3_column_text(st, 3);
        size_t len;
        char *msg = logline_clean(sample ? sample : "", sample ? strlen(sample) : 0,
                                  LOGLINE_EVENT_MAX, &len);
        ok = ensure_stream(r, rid, now) &&
             (len == 0 || cwl_event_add(r, EMEXPORT_GROUP, rid, ts, now, msg, len)) &&
             progress(r, id, ts);
        free(msg);
    }
    sqlite3_finalize(st);
    return ok && cwl_step_done(cwl_prep(r, "DELETE FROM cwl_em_export WHERE instance_id NOT IN"
                                           " (SELECT id FROM instances)")) &&
           cwl_group_trim(r, EMEXPORT_GROUP, CWL_GROUP_MAX_BYTES);
}

bool emexport_tick(region *r)
{
    if (!has_work(r))
        return true;
    if (!store_begin(r->st))
        return false;
    if (export_samples(r, region_now_ms(r)) && store_commit(r->st))
        return true;
    store_rollback(r->st);
    LOG_ERROR("emexport: pass failed, rolled back");
    return false;
}
