/* cwlstore: see cwlstore.h. */
#include "controlplane/obs/cwlstore.h"

#include <sqlite3.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/log.h"

sqlite3_stmt *cwl_prep(region *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_sqlite(r->st), sql, -1, &st, NULL) != SQLITE_OK) {
        LOG_ERROR("cwlogs: sql prepare failed err=\"%s\"", sqlite3_errmsg(store_sqlite(r->st)));
        return NULL;
    }
    return st;
}

bool cwl_step_done(sqlite3_stmt *st)
{
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (st && rc != SQLITE_DONE)
        LOG_ERROR("cwlogs: sql step failed rc=%d", rc);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE;
}

/* Runs sql with text binds a, b (b may be NULL); *changes: rows changed. */
static bool exec2(region *r, const char *sql, const char *a, const char *b, int *changes)
{
    sqlite3_stmt *st = cwl_prep(r, sql);
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    bool ok = cwl_step_done(st);
    if (changes)
        *changes = sqlite3_changes(store_sqlite(r->st));
    return ok;
}

static bool exists2(region *r, const char *sql, const char *a, const char *b, bool *found)
{
    sqlite3_stmt *st = cwl_prep(r, sql);
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

bool cwl_group_exists(region *r, const char *name, bool *found)
{
    return exists2(r, "SELECT 1 FROM cwl_groups WHERE name=?1", name, NULL, found);
}

bool cwl_stream_exists(region *r, const char *grp, const char *name, bool *found)
{
    return exists2(r, "SELECT 1 FROM cwl_streams WHERE grp=?1 AND name=?2", grp, name, found);
}

bool cwl_group_create(region *r, const char *name, int64_t now_ms, bool *existed)
{
    sqlite3_stmt *st = cwl_prep(r, "INSERT OR IGNORE INTO cwl_groups(name, created_ms)"
                                   " VALUES(?1, ?2)");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now_ms);
    bool ok = cwl_step_done(st);
    *existed = sqlite3_changes(store_sqlite(r->st)) == 0;
    return ok;
}

bool cwl_stream_create(region *r, const char *grp, const char *name, int64_t now_ms,
                       bool *existed)
{
    sqlite3_stmt *st = cwl_prep(r, "INSERT OR IGNORE INTO cwl_streams(grp, name, created_ms)"
                                   " VALUES(?1, ?2, ?3)");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, grp, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now_ms);
    bool ok = cwl_step_done(st);
    *existed = sqlite3_changes(store_sqlite(r->st)) == 0;
    return ok;
}

bool cwl_group_delete(region *r, const char *name, bool *found)
{
    int n = 0;
    bool ok = exec2(r, "DELETE FROM cwl_groups WHERE name=?1", name, NULL, &n);
    *found = n > 0;
    ok = ok && exec2(r, "DELETE FROM cwl_streams WHERE grp=?1", name, NULL, NULL);
    return ok && exec2(r, "DELETE FROM cwl_events WHERE grp=?1", name, NULL, NULL);
}

bool cwl_retention_valid(int64_t days)
{
    static const int allowed[] = {1,   3,   5,   7,    14,   30,   60,   90,   120,  150,  180,
                                  365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (days == allowed[i])
            return true;
    return false;
}

bool cwl_group_set_retention(region *r, const char *name, int days, bool *found)
{
    sqlite3_stmt *st = cwl_prep(r, "UPDATE cwl_groups SET retention_days=?2 WHERE name=?1");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, days);
    bool ok = cwl_step_done(st);
    *found = sqlite3_changes(store_sqlite(r->st)) > 0;
    return ok;
}

bool cwl_event_add(region *r, const char *grp, const char *stream, int64_t ts, int64_t ingest,
                   const char *msg, size_t len)
{
    sqlite3_stmt *st = cwl_prep(r, "INSERT INTO cwl_events(grp, stream, ts, ingest, msg)"
                                   " VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, grp, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, stream, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, ts);
    sqlite3_bind_int64(st, 4, ingest);
    sqlite3_bind_text(st, 5, msg, (int)len, SQLITE_TRANSIENT);
    if (!cwl_step_done(st))
        return false;
    st = cwl_prep(r, "UPDATE cwl_streams SET bytes = bytes + ?3,"
                     " first_ts = min(coalesce(first_ts, ?4), ?4),"
                     " last_ts = max(coalesce(last_ts, ?4), ?4), last_ingest = ?5"
                     " WHERE grp=?1 AND name=?2");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, grp, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, stream, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (int64_t)len);
    sqlite3_bind_int64(st, 4, ts);
    sqlite3_bind_int64(st, 5, ingest);
    return cwl_step_done(st);
}

/* Recomputes the streams' bytes and first/last timestamps of a group
 * after events were dropped. */
static bool recount(region *r, const char *grp)
{
    return exec2(r, "UPDATE cwl_streams SET"
                    " bytes = (SELECT coalesce(sum(length(CAST(msg AS BLOB))), 0) FROM cwl_events e"
                    "  WHERE e.grp = cwl_streams.grp AND e.stream = cwl_streams.name),"
                    " first_ts = (SELECT min(ts) FROM cwl_events e"
                    "  WHERE e.grp = cwl_streams.grp AND e.stream = cwl_streams.name)"
                    " WHERE grp=?1", grp, NULL, NULL);
}

bool cwl_group_trim(region *r, const char *grp, int64_t max_bytes)
{
    sqlite3_stmt *st = cwl_prep(r, "SELECT coalesce(sum(bytes), 0) FROM cwl_streams WHERE grp=?1");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, grp, -1, SQLITE_TRANSIENT);
    int64_t held = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (held <= max_bytes)
        return true;
    /* The oldest events whose bytes, summed oldest first, cover the excess. */
    st = cwl_prep(r, "SELECT ts, id, length(CAST(msg AS BLOB)) FROM cwl_events WHERE grp=?1"
                     " ORDER BY ts, id");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, grp, -1, SQLITE_TRANSIENT);
    int64_t freed = 0, cts = 0, cid = -1;
    while (freed < held - max_bytes && sqlite3_step(st) == SQLITE_ROW) {
        cts = sqlite3_column_int64(st, 0);
        cid = sqlite3_column_int64(st, 1);
        freed += sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    st = cwl_prep(r, "DELETE FROM cwl_events WHERE grp=?1 AND (ts < ?2 OR (ts = ?2 AND id <= ?3))");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, grp, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, cts);
    sqlite3_bind_int64(st, 3, cid);
    if (!cwl_step_done(st))
        return false;
    LOG_INFO("cwlogs: group over its cap, oldest events dropped group=%s freed_bytes=%lld", grp,
             (long long)freed);
    return recount(r, grp);
}

bool cwl_expire(region *r, int64_t now_ms)
{
    sqlite3_stmt *st = cwl_prep(r, "SELECT name, retention_days FROM cwl_groups"
                                   " WHERE retention_days > 0");
    if (!st)
        return false;
    bool ok = true;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *grp = (const char *)sqlite3_column_text(st, 0);
        int64_t cutoff = now_ms - sqlite3_column_int64(st, 1) * 86400000LL;
        sqlite3_stmt *d = cwl_prep(r, "DELETE FROM cwl_events WHERE grp=?1 AND ts < ?2");
        if (!d) {
            ok = false;
            break;
        }
        sqlite3_bind_text(d, 1, grp, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(d, 2, cutoff);
        ok = cwl_step_done(d) && ok;
        if (sqlite3_changes(store_sqlite(r->st)) > 0)
            ok = recount(r, grp) && ok;
    }
    sqlite3_finalize(st);
    return ok;
}
