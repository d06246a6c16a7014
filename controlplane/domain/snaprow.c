/* snaprow: see snaprow.h. */
#include "controlplane/domain/snaprow.h"

#include <libgen.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/states.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/notify/events.h"
#include "lib/log.h"
#include "lib/util.h"

static const char *const snaprow_status_names[SNAP_STATUS_COUNT] = {
    [SNAP_CREATING] = "creating",
    [SNAP_AVAILABLE] = "available",
    [SNAP_FAILED] = "failed",
    [SNAP_DELETED] = "deleted",
};

STATES_NAMED(snaprow_status, snaprow_status_names, SNAP_STATUS_COUNT)

void snaprow_clear(snaprow *s)
{
    char **strs[] = {&s->id, &s->instance_id, &s->resource_id, &s->type, &s->source,
                     &s->kms_key_id, &s->engine_version, &s->db_class,
                     &s->master_username, &s->master_verifier, &s->db_name, &s->storage_type,
                     &s->az, &s->error};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    memset(s, 0, sizeof *s);
}

bool snaprow_read(sqlite3_stmt *st, snaprow *s)
{
    memset(s, 0, sizeof *s);
    const char *status = (const char *)sqlite3_column_text(st, 4);
    if (!snaprow_status_parse(status, &s->status)) {
        LOG_WARN("snapshot row skipped id=%s status=%s: unknown status",
                 (const char *)sqlite3_column_text(st, 0), status ? status : "(null)");
        return false;
    }
    s->id = sqlrow_text(st, 0);
    s->instance_id = sqlrow_text(st, 1);
    s->resource_id = sqlrow_text(st, 2);
    s->type = sqlrow_text(st, 3);
    s->created_ms = sqlite3_column_int64(st, 5);
    s->source = sqlrow_text(st, 6);
    s->encrypted = sqlite3_column_int(st, 7) != 0;
    s->kms_key_id = sqlrow_text(st, 8);
    s->engine_version = sqlrow_text(st, 9);
    s->db_class = sqlrow_text(st, 10);
    s->master_username = sqlrow_text(st, 11);
    s->master_verifier = sqlrow_text(st, 12);
    s->db_name = sqlrow_text(st, 13);
    s->port = sqlite3_column_int64(st, 14);
    s->allocated_storage = sqlite3_column_int64(st, 15);
    s->storage_type = sqlrow_text(st, 16);
    s->iops = sqlite3_column_int64(st, 17);
    s->az = sqlrow_text(st, 18);
    s->instance_created_ms = sqlite3_column_int64(st, 19);
    s->size_bytes = sqlite3_column_int64(st, 20);
    s->error = sqlrow_text(st, 21);
    return true;
}

bool snaprow_get(region *r, const char *id, snaprow *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st =
        sqlrow_prepare(r->st, "SELECT " SNAPROW_COLS " FROM db_snapshots WHERE id=?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, id);
    bool found = sqlite3_step(st) == SQLITE_ROW && snaprow_read(st, out);
    sqlite3_finalize(st);
    return found;
}

bool snaprow_insert(region *r, const snaprow *s)
{
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "INSERT INTO db_snapshots(" SNAPROW_COLS ", master_password) VALUES(?,?,?,?,?,?,?,?,"
               "?,?,?,?,?,?,?,?,?,?,?,?,?,?,'')");
    if (!st)
        return false;
    const char *texts[] = {s->id, s->instance_id, s->resource_id, s->type,
                           snaprow_status_name(s->status)};
    for (int i = 0; i < 5; i++)
        sqlrow_bind_text(st, i + 1, texts[i]);
    sqlite3_bind_int64(st, 6, s->created_ms);
    sqlrow_bind_text(st, 7, s->source);
    sqlite3_bind_int(st, 8, s->encrypted);
    const char *more[] = {s->kms_key_id, s->engine_version, s->db_class, s->master_username,
                          s->master_verifier, s->db_name};
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

int snaprow_count(region *r)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT count(*) FROM db_snapshots");
    int n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

bool snaprow_finish(region *r, const char *id, bool ok, int64_t size, const char *error,
                    int64_t created_ms)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "UPDATE db_snapshots SET status=?, size_bytes=?, "
                                             "error=?, created_ms=? WHERE id=? AND "
                                             "status='creating'");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, snaprow_status_name(ok ? SNAP_AVAILABLE : SNAP_FAILED));
    sqlite3_bind_int64(st, 2, size);
    sqlrow_bind_text(st, 3, ok ? NULL : error);
    sqlite3_bind_int64(st, 4, created_ms);
    sqlrow_bind_text(st, 5, id);
    return sqlrow_run(st);
}

/* ---- names and paths ---- */

bool snaprow_is_cluster(const char *id)
{
    return id && strncmp(id, SNAPROW_CLUSTER_PREFIX, strlen(SNAPROW_CLUSTER_PREFIX)) == 0;
}

char *snaprow_arn(region *r, const char *id)
{
    return xasprintf("arn:aws:rds:%s:%s:snapshot:%s", r->cfg.name, r->cfg.account, id);
}

/* <RDS_HOME>/backups: the controlplane's home is <RDS_HOME>/controlplane. */
static char *snaprow_store_dir(region *r)
{
    char *home = xstrdup(r->home);
    char *dir = xasprintf("%s/backups/snapshots", dirname(home));
    free(home);
    return dir;
}

char *snaprow_dir(region *r, const char *id)
{
    char *base = snaprow_store_dir(r);
    char *dir = xasprintf("%s/%s", base, id);
    free(base);
    return dir;
}

char *snaprow_object(region *r, const char *id)
{
    char *dir = snaprow_dir(r, id);
    char *path = xasprintf("%s/base.tar.env", dir);
    free(dir);
    return path;
}

char *snaprow_kms_url(region *r)
{
    /* The agents' door: in namespace mode they cannot reach the root's
     * loopback (region.h agent_addr). */
    return xasprintf("http://%s:%d/", r->cfg.agent_addr ? r->cfg.agent_addr : "127.0.0.1",
                     r->api_port);
}

/* A DB cluster snapshot's event for a DB snapshot's: RDS lists 0074
 * (creating) and 0075 (created) for manual cluster snapshots, and nothing
 * for a cluster snapshot's deletion or copy (User Guide,
 * USER_Events.Messages, "DB cluster snapshot events"). NULL: none. */
static const char *cluster_event_of(const char *event_id)
{
    if (strcmp(event_id, "RDS-EVENT-0040") == 0)
        return "RDS-EVENT-0074";
    if (strcmp(event_id, "RDS-EVENT-0042") == 0)
        return "RDS-EVENT-0075";
    return NULL;
}

void snaprow_emit(region *r, const char *id, const char *event_id, const char *detail)
{
    if (snaprow_is_cluster(id)) {
        const char *ev = cluster_event_of(event_id);
        const char *api_id = id + strlen(SNAPROW_CLUSTER_PREFIX);
        if (!ev)
            return;
        char *carn = xasprintf("arn:aws:rds:%s:%s:cluster-snapshot:%s", r->cfg.name,
                               r->cfg.account, api_id);
        events_emit_source(r, "db-cluster-snapshot", api_id, carn, ev, detail);
        free(carn);
        return;
    }
    char *arn = snaprow_arn(r, id);
    events_emit_source(r, "db-snapshot", id, arn, event_id, detail);
    free(arn);
}
