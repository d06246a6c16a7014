/* cluster: see cluster.h. */
#include "controlplane/domain/cluster.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

/* ---- statuses ---- */

static const char *const status_names[CLUSTER_STATUS_COUNT] = {
    "creating", "available", "failing-over", "modifying", "rebooting",
    "stopping", "stopped",   "starting",     "deleting",
};

const char *cluster_status_name(cluster_status s)
{
    return (int)s >= 0 && s < CLUSTER_STATUS_COUNT ? status_names[s] : "(invalid)";
}

bool cluster_status_parse(const char *name, cluster_status *out)
{
    for (int i = 0; name && i < CLUSTER_STATUS_COUNT; i++)
        if (strcmp(status_names[i], name) == 0) {
            *out = (cluster_status)i;
            return true;
        }
    return false;
}

const transition_move cluster_moves[] = {
    {CLUSTER_CREATING, CLUSTER_AVAILABLE, "the three members are available and a reader is "
                                          "synchronous"},
    {CLUSTER_AVAILABLE, CLUSTER_FAILING_OVER, "the writer is lost, or FailoverDBCluster"},
    {CLUSTER_FAILING_OVER, CLUSTER_AVAILABLE, "a reader is promoted and the endpoint flipped"},
    {CLUSTER_AVAILABLE, CLUSTER_MODIFYING, "ModifyDBCluster with a change the nodes apply"},
    {CLUSTER_MODIFYING, CLUSTER_AVAILABLE, "the members run with the change"},
    {CLUSTER_AVAILABLE, CLUSTER_REBOOTING, "RebootDBCluster"},
    {CLUSTER_REBOOTING, CLUSTER_AVAILABLE, "the members run again"},
    {CLUSTER_AVAILABLE, CLUSTER_STOPPING, "StopDBCluster"},
    {CLUSTER_STOPPING, CLUSTER_STOPPED, "the members are stopped"},
    {CLUSTER_STOPPED, CLUSTER_STARTING, "StartDBCluster"},
    {CLUSTER_STARTING, CLUSTER_AVAILABLE, "the members run again"},
    {CLUSTER_CREATING, CLUSTER_DELETING, "DeleteDBCluster"},
    {CLUSTER_AVAILABLE, CLUSTER_DELETING, "DeleteDBCluster"},
    {CLUSTER_STOPPED, CLUSTER_DELETING, "DeleteDBCluster"},
};
const int cluster_move_count = (int)(sizeof cluster_moves / sizeof cluster_moves[0]);

static const char *state_name(int st)
{
    return cluster_status_name((cluster_status)st);
}

static const transition_table cluster_table = {
    .what = "cluster status",
    .name = state_name,
    .moves = cluster_moves,
    .nmoves = (int)(sizeof cluster_moves / sizeof cluster_moves[0]),
};

bool cluster_status_allowed(cluster_status from, cluster_status to)
{
    return transition_allowed(&cluster_table, (int)from, (int)to);
}

bool cluster_status_apply(const char *cluster_id, cluster_status *st, cluster_status to)
{
    if (!transition_check(&cluster_table, cluster_id, (int)*st, (int)to))
        return false;
    *st = to;
    return true;
}

/* ---- the row ---- */

#define CLUSTER_COLS                                                                         \
    "id,resource_id,status,engine,engine_version,db_class,allocated_storage,storage_type,"   \
    "iops,master_username,db_name,port,backup_retention,backup_window,maintenance_window,"  \
    "deletion_protection,storage_encrypted,kms_key_id,param_group,writer,readers_up,tags,"  \
    "extra,created_ms"

void cluster_clear(cluster_row *c)
{
    char **strs[] = {&c->id, &c->resource_id, &c->engine, &c->engine_version, &c->db_class,
                     &c->storage_type, &c->master_username, &c->db_name, &c->backup_window,
                     &c->maintenance_window, &c->kms_key_id, &c->param_group, &c->writer,
                     &c->readers_up, &c->tags, &c->extra};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    memset(c, 0, sizeof *c);
}

static bool cluster_read(sqlite3_stmt *st, cluster_row *c)
{
    int i = 0;
    c->id = sqlrow_text(st, i++);
    c->resource_id = sqlrow_text(st, i++);
    const char *status = (const char *)sqlite3_column_text(st, i++);
    bool ok = cluster_status_parse(status, &c->status);
    if (!ok)
        LOG_ERROR("store row refused table=db_clusters id=%s column=status value=\"%s\"",
                  c->id ? c->id : "?", status ? status : "(null)");
    c->engine = sqlrow_text(st, i++);
    c->engine_version = sqlrow_text(st, i++);
    c->db_class = sqlrow_text(st, i++);
    c->allocated_storage = sqlite3_column_int64(st, i++);
    c->storage_type = sqlrow_text(st, i++);
    c->iops = sqlite3_column_int64(st, i++);
    c->master_username = sqlrow_text(st, i++);
    c->db_name = sqlrow_text(st, i++);
    c->port = sqlite3_column_int64(st, i++);
    c->backup_retention = sqlite3_column_int64(st, i++);
    c->backup_window = sqlrow_text(st, i++);
    c->maintenance_window = sqlrow_text(st, i++);
    c->deletion_protection = sqlite3_column_int(st, i++) != 0;
    c->storage_encrypted = sqlite3_column_int(st, i++) != 0;
    c->kms_key_id = sqlrow_text(st, i++);
    c->param_group = sqlrow_text(st, i++);
    c->writer = sqlrow_text(st, i++);
    c->readers_up = sqlrow_text(st, i++);
    c->tags = sqlrow_text(st, i++);
    c->extra = sqlrow_text(st, i++);
    c->created_ms = sqlite3_column_int64(st, i++);
    return ok;
}

static void cluster_bind(sqlite3_stmt *st, const cluster_row *c)
{
    int i = 1;
    sqlrow_bind_text(st, i++, c->id);
    sqlrow_bind_text(st, i++, c->resource_id);
    sqlrow_bind_text(st, i++, cluster_status_name(c->status));
    sqlrow_bind_text(st, i++, c->engine);
    sqlrow_bind_text(st, i++, c->engine_version);
    sqlrow_bind_text(st, i++, c->db_class);
    sqlite3_bind_int64(st, i++, c->allocated_storage);
    sqlrow_bind_text(st, i++, c->storage_type);
    sqlite3_bind_int64(st, i++, c->iops);
    sqlrow_bind_text(st, i++, c->master_username);
    sqlrow_bind_text(st, i++, c->db_name);
    sqlite3_bind_int64(st, i++, c->port);
    sqlite3_bind_int64(st, i++, c->backup_retention);
    sqlrow_bind_text(st, i++, c->backup_window);
    sqlrow_bind_text(st, i++, c->maintenance_window);
    sqlite3_bind_int(st, i++, c->deletion_protection);
    sqlite3_bind_int(st, i++, c->storage_encrypted);
    sqlrow_bind_text(st, i++, c->kms_key_id);
    sqlrow_bind_text(st, i++, c->param_group ? c->param_group : "default.postgres15");
    sqlrow_bind_text(st, i++, c->writer);
    sqlrow_bind_text(st, i++, c->readers_up ? c->readers_up : "[]");
    sqlrow_bind_text(st, i++, c->tags ? c->tags : "[]");
    sqlrow_bind_text(st, i++, c->extra ? c->extra : "{}");
    sqlite3_bind_int64(st, i++, c->created_ms);
}

bool cluster_get(region *r, const char *id, cluster_row *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT " CLUSTER_COLS " FROM db_clusters WHERE id=?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, id);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found && !cluster_read(st, out)) {
        cluster_clear(out);
        found = false;
    }
    sqlite3_finalize(st);
    return found;
}

static bool cluster_write(region *r, const char *verb, const cluster_row *c)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "%s INTO db_clusters(" CLUSTER_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
             "?,?,?,?,?)",
             verb);
    sqlite3_stmt *st = sqlrow_prepare(r->st, sql);
    if (!st)
        return false;
    cluster_bind(st, c);
    return sqlrow_run(st);
}

bool cluster_insert(region *r, const cluster_row *c)
{
    return cluster_write(r, "INSERT", c);
}

bool cluster_update(region *r, const cluster_row *c)
{
    return cluster_write(r, "REPLACE", c);
}

bool cluster_delete(region *r, const char *id)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM db_clusters WHERE id=?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, id);
    return sqlrow_run(st);
}

static int ids_query(region *r, const char *sql, const char *arg, int limit, char ***ids)
{
    *ids = NULL;
    sqlite3_stmt *st = sqlrow_cached(r->st, sql);
    if (!st)
        return -1;
    sqlrow_bind_text(st, 1, arg ? arg : "");
    sqlite3_bind_int(st, 2, limit);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *ids = xrealloc(*ids, sizeof **ids * (size_t)(n + 1));
        (*ids)[n++] = sqlrow_text(st, 0);
    }
    sqlrow_release(r->st, st);
    if (rc != SQLITE_DONE) {
        cluster_ids_free(*ids, n);
        *ids = NULL;
        return -1;
    }
    return n;
}

int cluster_list(region *r, const char *after, int limit, char ***ids)
{
    return ids_query(r, "SELECT id FROM db_clusters WHERE id > ? ORDER BY id LIMIT ?", after,
                     limit, ids);
}

int cluster_members(region *r, const char *cluster_id, char ***ids)
{
    return ids_query(r, "SELECT id FROM instances WHERE cluster_id = ? ORDER BY id LIMIT ?",
                     cluster_id, 64, ids);
}

bool cluster_agent_failing_over(region *r, const char *agent_id)
{
    sqlite3_stmt *st = sqlrow_cached(r->st,
                                      "SELECT 1 FROM nodes n JOIN instances i ON i.id = "
                                      "n.instance_id JOIN db_clusters c ON c.id = i.cluster_id "
                                      "WHERE n.agent_id = ? AND c.status = ? LIMIT 1");
    bool any = false;
    if (st) {
        sqlrow_bind_text(st, 1, agent_id);
        sqlrow_bind_text(st, 2, cluster_status_name(CLUSTER_FAILING_OVER));
        any = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlrow_release(r->st, st);
    return any;
}

void cluster_ids_free(char **ids, int n)
{
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

/* ---- names ---- */

char *cluster_member_id(const char *cluster_id, int i)
{
    return xasprintf("%s-instance-%d", cluster_id, i);
}

char *cluster_arn(const region *r, const char *cluster_id)
{
    return xasprintf("arn:aws:rds:%s:%s:cluster:%s", r->cfg.name, r->cfg.account, cluster_id);
}

char *cluster_endpoint(const region *r, const char *cluster_id)
{
    return xasprintf("%s.cluster-%s.%s", cluster_id, r->hash, r->apex);
}

char *cluster_reader_endpoint(const region *r, const char *cluster_id)
{
    return xasprintf("%s.cluster-ro-%s.%s", cluster_id, r->hash, r->apex);
}

char *cluster_id_from(const char *value)
{
    region_arn a;
    const char *id =
        region_arn_parse(value, &a) ? region_arn_resource_id(&a, "cluster:") : NULL;
    return str_lower(xstrdup(id ? id : value));
}
