/* logexport: see logexport.h. */
#include "controlplane/obs/logexport.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/logfiles.h"
#include "controlplane/obs/cwlstore.h"
#include "controlplane/obs/logline.h"
#include "lib/log.h"
#include "lib/util.h"

char *logexport_group_name(const char *instance_id, const char *log_type)
{
    return xasprintf("/aws/rds/instance/%s/%s", instance_id, log_type);
}

/* The instances exporting `postgresql`, as an SQL set. */
#define ENABLED_SQL                                                                        \
    "SELECT id FROM instances WHERE EXISTS (SELECT 1 FROM json_each(instances.extra,"      \
    " '$.EnabledCloudwatchLogsExports') WHERE value = 'postgresql')"

/* The node's files are taken from where they end now. */
static bool start_now(region *r, const char *node_id)
{
    sqlite3_stmt *st = cwl_prep(r, "INSERT INTO cwl_export(node_id, file, offset)"
                                   " SELECT node_id, name, size FROM log_files WHERE node_id=?1"
                                   " ON CONFLICT(node_id, file) DO UPDATE SET offset=excluded.offset");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, node_id, -1, SQLITE_TRANSIENT);
    return cwl_step_done(st);
}

/* An instance whose export starts (!known) or whose primary changed from
 * `was`. A new primary's files are taken from where they end now, except
 * the first primary of an export started before the instance had one (a
 * create): its log is exported from the first byte. */
static bool follow(region *r, const char *id, const char *primary, bool known, const char *was,
                   int64_t now)
{
    if (!known) {
        char *grp = logexport_group_name(id, "postgresql");
        bool existed;
        bool ok = cwl_group_create(r, grp, now, &existed) &&
                  cwl_stream_create(r, grp, id, now, &existed);
        free(grp);
        if (!ok)
            return false;
        LOG_INFO("logexport: export starts instance=%s primary=%s", id, primary ? primary : "-");
    } else {
        LOG_INFO("logexport: the stream follows a new primary instance=%s primary=%s", id,
                 primary ? primary : "-");
    }
    sqlite3_stmt *st = cwl_prep(r, "INSERT INTO cwl_export_primary(instance_id, node_id)"
                                   " VALUES(?1, ?2) ON CONFLICT(instance_id) DO UPDATE"
                                   " SET node_id=excluded.node_id");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (primary)
        sqlite3_bind_text(st, 2, primary, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 2);
    bool from_start = known && !was;
    return cwl_step_done(st) && (!primary || from_start || start_now(r, primary));
}

static bool reconcile(region *r, int64_t now)
{
    sqlite3_stmt *st = cwl_prep(r, "SELECT i.id, i.primary_node, p.instance_id IS NOT NULL,"
                                   " p.node_id FROM instances i LEFT JOIN cwl_export_primary p"
                                   " ON p.instance_id = i.id WHERE i.id IN (" ENABLED_SQL ")"
                                   " AND (p.instance_id IS NULL OR"
                                   " coalesce(p.node_id, '') <> coalesce(i.primary_node, ''))");
    if (!st)
        return false;
    bool ok = true;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *primary = (const char *)sqlite3_column_text(st, 1);
        ok = follow(r, id, primary, sqlite3_column_int(st, 2) != 0,
                    (const char *)sqlite3_column_text(st, 3), now);
    }
    sqlite3_finalize(st);
    static const char *const drops[] = {
        "DELETE FROM cwl_export_primary WHERE instance_id NOT IN (" ENABLED_SQL ")",
        "DELETE FROM cwl_export WHERE node_id NOT IN (SELECT n.id FROM nodes n"
        " JOIN cwl_export_primary p ON p.instance_id = n.instance_id)",
        "DELETE FROM cwl_export WHERE NOT EXISTS (SELECT 1 FROM log_files f"
        " WHERE f.node_id = cwl_export.node_id AND f.name = cwl_export.file)",
    };
    for (size_t i = 0; ok && i < sizeof drops / sizeof drops[0]; i++)
        ok = cwl_step_done(cwl_prep(r, drops[i]));
    return ok;
}

typedef struct {
    region *r;
    const char *grp, *stream;
    int64_t now;
    bool failed;
} cut_ctx;

static bool on_event(void *arg, const char *buf, const logline_event *ev)
{
    cut_ctx *c = arg;
    size_t n;
    char *msg = logline_clean(buf + ev->off, ev->len, LOGLINE_EVENT_MAX, &n);
    bool ok = n == 0 || cwl_event_add(c->r, c->grp, c->stream, ev->ts_ms, c->now, msg, n);
    free(msg);
    c->failed = !ok;
    return ok;
}

typedef struct {
    char *node, *file, *instance;
    int64_t size, offset, last_ts;
} pending_file;

/* Exports what one file holds past its offset, at most *budget bytes. */
static bool export_file(region *r, const pending_file *f, int64_t now, int64_t *budget)
{
    int64_t want = f->size - f->offset;
    if (want > LOGLINE_WINDOW)
        want = LOGLINE_WINDOW;
    size_t got = 0;
    char *buf = logfiles_read(r, f->node, f->file, f->offset, (size_t)want, &got);
    char *grp = logexport_group_name(f->instance, "postgresql");
    cut_ctx c = {r, grp, f->instance, now, false};
    bool stopped;
    int64_t last_ts;
    size_t used = logline_cut(buf, got, f->last_ts ? f->last_ts : now, on_event, &c, &stopped,
                              &last_ts);
    bool ok = !c.failed;
    if (ok) {
        /* Nothing cut (an incomplete line): the file waits until it grows. */
        sqlite3_stmt *st = cwl_prep(r, "INSERT INTO cwl_export(node_id, file, offset, last_ts,"
                                       " waited) VALUES(?1, ?2, ?3, ?4, ?5)"
                                       " ON CONFLICT(node_id, file) DO UPDATE SET"
                                       " offset=excluded.offset, last_ts=excluded.last_ts,"
                                       " waited=excluded.waited");
        ok = st != NULL;
        if (st) {
            sqlite3_bind_text(st, 1, f->node, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, f->file, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 3, f->offset + (int64_t)used);
            sqlite3_bind_int64(st, 4, used > 0 ? last_ts : f->last_ts);
            sqlite3_bind_int64(st, 5, used > 0 ? -1 : f->size);
            ok = cwl_step_done(st) && (used == 0 || cwl_group_trim(r, grp, CWL_GROUP_MAX_BYTES));
        }
    }
    *budget -= (int64_t)got;
    free(grp);
    free(buf);
    return ok;
}

/* The primaries' files with bytes past their offsets (*n of them). */
static pending_file *pending(region *r, size_t *n)
{
    *n = 0;
    sqlite3_stmt *st = cwl_prep(r, "SELECT f.node_id, f.name, p.instance_id, f.size,"
                                   " coalesce(e.offset, 0), coalesce(e.last_ts, 0)"
                                   " FROM log_files f JOIN cwl_export_primary p"
                                   " ON p.node_id = f.node_id LEFT JOIN cwl_export e"
                                   " ON e.node_id = f.node_id AND e.file = f.name"
                                   " WHERE f.size > coalesce(e.offset, 0)"
                                   " AND f.size <> coalesce(e.waited, -1) ORDER BY f.name");
    if (!st)
        return NULL;
    pending_file *v = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        v = xrealloc(v, (*n + 1) * sizeof *v);
        v[*n] = (pending_file){
            .node = xstrdup((const char *)sqlite3_column_text(st, 0)),
            .file = xstrdup((const char *)sqlite3_column_text(st, 1)),
            .instance = xstrdup((const char *)sqlite3_column_text(st, 2)),
            .size = sqlite3_column_int64(st, 3),
            .offset = sqlite3_column_int64(st, 4),
            .last_ts = sqlite3_column_int64(st, 5),
        };
        (*n)++;
    }
    sqlite3_finalize(st);
    return v;
}

/* Whether a pass has anything to do (read outside a transaction, so an
 * idle region commits nothing ten times a second). */
static bool has_work(region *r, int64_t now)
{
    sqlite3_stmt *st = sqlrow_cached(r->st,
        "SELECT EXISTS (SELECT 1 FROM instances i LEFT JOIN cwl_export_primary p"
        "  ON p.instance_id = i.id WHERE i.id IN (" ENABLED_SQL ") AND (p.instance_id IS NULL"
        "  OR coalesce(p.node_id, '') <> coalesce(i.primary_node, '')))"
        " OR EXISTS (SELECT 1 FROM cwl_export_primary WHERE instance_id NOT IN (" ENABLED_SQL "))"
        " OR EXISTS (SELECT 1 FROM log_files f JOIN cwl_export_primary p ON p.node_id = f.node_id"
        "  LEFT JOIN cwl_export e ON e.node_id = f.node_id AND e.file = f.name"
        "  WHERE f.size > coalesce(e.offset, 0) AND f.size <> coalesce(e.waited, -1))"
        " OR EXISTS (SELECT 1 FROM cwl_groups g WHERE g.retention_days > 0 AND EXISTS (SELECT 1"
        "  FROM cwl_events e WHERE e.grp = g.name AND e.ts < ?1 - g.retention_days * 86400000))");
    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, now);
    bool work = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlrow_release(r->st, st);
    return work;
}

bool logexport_tick(region *r)
{
    int64_t now = region_now_ms(r);
    if (!has_work(r, now))
        return true;
    if (!store_begin(r->st))
        return false;
    bool ok = reconcile(r, now);
    size_t n = 0;
    pending_file *v = ok ? pending(r, &n) : NULL;
    int64_t budget = LOGEXPORT_TICK_BYTES;
    for (size_t i = 0; i < n; i++) {
        if (ok && budget > 0)
            ok = export_file(r, &v[i], now, &budget);
        free(v[i].node);
        free(v[i].file);
        free(v[i].instance);
    }
    free(v);
    ok = ok && cwl_expire(r, now);
    if (ok && store_commit(r->st))
        return true;
    store_rollback(r->st);
    LOG_ERROR("logexport: pass failed, rolled back");
    return false;
}
