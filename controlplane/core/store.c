/* store: see store.h.
 *
 * Design notes:
 *  - One connection, used only from the event loop thread.
 *  - WAL mode with synchronous=FULL: a commit that returned is on disk, so
 *    kill -9 right after an API reply loses nothing the reply promised.
 *  - Migrations are an array of SQL scripts; migration i takes the schema
 *    from version i to i+1. Never edit a released step: append one. */
#include "controlplane/core/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/scram.h"
#include "lib/util.h"

/* Prepared statements are kept for reuse (issue 18: parsing the same SQL
 * again on every call was half of the controlplane's CPU with a thousand
 * instances). Invariants: a statement is in `cache` at most once; `busy`
 * is true from store_prepare to store_finish, so a nested use of the same
 * SQL (a list walked while its rows are read again) gets a fresh statement
 * of its own, finalized by store_finish; a cached statement is reset and
 * its bindings cleared when it is given back, so no read transaction stays
 * open between two calls. Every statement of this file is given back with
 * store_finish, never sqlite3_finalize; other modules reach the same cache
 * through store_stmt_cached/store_stmt_release (sqlrow.h). The cache is
 * looked up by a hash of the SQL text first, then the text itself. */
#define STORE_STMT_CACHE 128

typedef struct {
    char *sql;
    uint32_t hash;
    sqlite3_stmt *st;
    bool busy;
} store_cached;

struct store {
    sqlite3 *db;
    store_cached cache[STORE_STMT_CACHE];
    int ncache;
    uint64_t generation; /* store_generation */
    bool bookkeeping;    /* a store_bookkeeping_keys write is under way */
    bool dirty;          /* generation moved since the last commit or rollback */
};

#include "controlplane/core/store_migrations.inc"

_Static_assert(sizeof store_migrations / sizeof store_migrations[0] == STORE_SCHEMA_VERSION,
               "STORE_SCHEMA_VERSION is the number of migrations");

static bool store_exec(store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        LOG_ERROR("sql failed err=\"%s\"", msg ? msg : "?");
        sqlite3_free(msg);
        return false;
    }
    return true;
}

static uint32_t sql_hash(const char *sql)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* A statement for sql: the cached one when it is free, else a new one
 * (cached when there is room). NULL on failure (logged). Give it back with
 * store_finish. */
static sqlite3_stmt *store_prepare(store *s, const char *sql)
{
    store_cached *free_slot = NULL;
    uint32_t h = sql_hash(sql);
    for (int i = 0; i < s->ncache; i++) {
        store_cached *c = &s->cache[i];
        if (c->hash != h || strcmp(c->sql, sql) != 0)
            continue;
        if (!c->busy) {
            c->busy = true;
            return c->st;
        }
        free_slot = c; /* in use: a fresh one, not cached */
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        LOG_ERROR("sql prepare failed err=\"%s\"", sqlite3_errmsg(s->db));
        sqlite3_finalize(st);
        return NULL;
    }
    if (!free_slot && s->ncache < STORE_STMT_CACHE)
        s->cache[s->ncache++] = (store_cached){xstrdup(sql), h, st, true};
    return st;
}

/* Gives back a statement of store_prepare: reset for the next call if it
 * is cached, finalized otherwise. NULL is a no-op. */
static void store_finish(store *s, sqlite3_stmt *st)
{
    if (!st)
        return;
    for (int i = 0; i < s->ncache; i++) {
        store_cached *c = &s->cache[i];
        if (c->st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            c->busy = false;
            return;
        }
    }
    sqlite3_finalize(st);
}

sqlite3_stmt *store_stmt_cached(store *s, const char *sql)
{
    return store_prepare(s, sql);
}

void store_stmt_release(store *s, sqlite3_stmt *st)
{
    store_finish(s, st);
}

/* Steps a statement that returns no rows and gives it back. */
static bool store_step_done(store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        LOG_ERROR("sql step failed rc=%d err=\"%s\"", rc, sqlite3_errmsg(s->db));
    store_finish(s, st);
    return rc == SQLITE_DONE;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrdup((const char *)t) : NULL;
}

static int store_schema_version(store *s)
{
    sqlite3_stmt *st = NULL;
    /* A new store has no meta table yet: version 0. */
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    int v = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = atoi((const char *)sqlite3_column_text(st, 0));
    store_finish(s, st);
    return v;
}

static bool store_migrate(store *s)
{
    int n = (int)(sizeof store_migrations / sizeof store_migrations[0]);
    int v = store_schema_version(s);
    if (v > n) {
        LOG_ERROR("store is newer than this program schema_version=%d known=%d", v, n);
        return false;
    }
    for (; v < n; v++) {
        if (!store_begin(s))
            return false;
        char ver[16];
        snprintf(ver, sizeof ver, "%d", v + 1);
        if (!store_exec(s, store_migrations[v]) || !store_meta_set(s, "schema_version", ver)) {
            store_rollback(s);
            return false;
        }
        if (!store_commit(s))
            return false;
        LOG_INFO("store migrated schema_version=%d", v + 1);
    }
    return true;
}

/* Rows written before schema 6 hold a plaintext master password: each
 * becomes its SCRAM verifier and the plaintext is emptied, in one
 * transaction (a crash leaves either all plaintext or none). */
static bool store_verify_old_passwords(store *s)
{
    static const struct {
        const char *select, *update;
    } tables[] = {
        {"SELECT rowid, master_password FROM instances WHERE master_password <> ''",
         "UPDATE instances SET master_verifier=?, master_password='' WHERE rowid=?"},
        {"SELECT rowid, master_password FROM db_snapshots WHERE master_password <> ''",
         "UPDATE db_snapshots SET master_verifier=?, master_password='' WHERE rowid=?"},
        /* an automated backup's description of its instance (abstore.c) */
        {"SELECT rowid, json_extract(info, '$.MasterUserPassword') FROM ab_backups"
         " WHERE json_valid(info) AND json_type(info, '$.MasterUserPassword') = 'text'",
         "UPDATE ab_backups SET info = json_remove(json_set(info, '$.MasterUserVerifier', ?),"
         " '$.MasterUserPassword') WHERE rowid=?"},
    };
    if (!store_begin(s))
        return false;
    bool ok = true;
    for (size_t t = 0; ok && t < sizeof tables / sizeof tables[0]; t++) {
        const char *q = tables[t].select, *u = tables[t].update;
        sqlite3_stmt *st = store_prepare(s, q);
        ok = st != NULL;
        while (ok && sqlite3_step(st) == SQLITE_ROW) {
            char *v = scram_verifier((const char *)sqlite3_column_text(st, 1));
            sqlite3_stmt *up = v ? store_prepare(s, u) : NULL;
            ok = up != NULL;
            if (ok) {
                bind_text(up, 1, v);
                sqlite3_bind_int64(up, 2, sqlite3_column_int64(st, 0));
                ok = store_step_done(s, up);
            }
            free(v);
        }
        if (st)
            store_finish(s, st);
    }
    if (!ok) {
        store_rollback(s);
        return false;
    }
    return store_commit(s);
}

/* The store holds verifiers and sealed secrets: root's only (issue 12).
 * The file is made 0600 before SQLite opens it (SQLite gives the -wal
 * and -shm files the database file's mode); an older store, and its
 * -wal/-shm, are narrowed to 0600. */
static bool store_file_private(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        LOG_ERROR("store file cannot be made private path=%s err=%s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    close(fd);
    static const char *const sfx[] = {"-wal", "-shm"};
    for (size_t i = 0; i < 2; i++) {
        char *p = xasprintf("%s%s", path, sfx[i]);
        if (chmod(p, 0600) != 0 && errno != ENOENT)
            LOG_WARN("cannot chmod 0600 path=%s err=%s", p, strerror(errno));
        free(p);
    }
    return true;
}

/* Tables of observations, not of state: samples, metrics, events, logs,
 * messages and their deliveries, and one periodic job's own bookkeeping
 * (storage_state: when usage went low, which warnings were sent). They are
 * written all the time while the region is idle (telemetry every second
 * per node) and no node's spec or failover decision reads them, so a write
 * to them leaves store_generation as it is. Every other table counts: a
 * table missing here costs a rebuild, never a stale answer. */
static const char *const store_observation_tables[] = {
    "cw_metrics",   "cw_points",      "cw_alarm_history", "cwl_events",   "em_samples",
    "storage_samples", "events",      "deliveries",       "log_chunks",   "log_files",
    "pi_keys",      "pi_samples",     "pi_sql",           "sns_messages", "sqs_messages",
    "storage_state",
};

/* meta keys of the same kind: maintenance's "checked up to" mark, moved
 * every second (domain/maint.c). */
static const char *const store_bookkeeping_keys[] = {"maint:checked_at"};

static bool store_observation_table(const char *table)
{
    for (size_t i = 0; i < sizeof store_observation_tables / sizeof *store_observation_tables;
         i++)
        if (strcmp(table, store_observation_tables[i]) == 0)
            return true;
    return false;
}

/* sqlite3_update_hook: one call per row inserted, updated or deleted in a
 * rowid table (the two WITHOUT ROWID tables, pi_samples and cw_points, are
 * observations; no statement of ours empties a whole table, which SQLite's
 * truncate optimisation would do without calling the hook). */
static void store_on_update(void *arg, int op, const char *db, const char *table,
                            sqlite3_int64 rowid)
{
    (void)op;
    (void)db;
    (void)rowid;
    store *s = arg;
    if (!s->bookkeeping && !store_observation_table(table)) {
        s->generation++;
        s->dirty = true;
    }
}

/* sqlite3_commit_hook: what the generation counted is kept. 0: go on. */
static int store_on_commit(void *arg)
{
    store *s = arg;
    s->dirty = false;
    return 0;
}

/* A rolled-back transaction undoes rows the generation already counted;
 * counting the rollback too means nothing built in between is kept. One
 * that wrote no state row changes nothing (the cron's passes begin, find
 * nothing to do and roll back, several times every 100 ms). */
static void store_on_rollback(void *arg)
{
    store *s = arg;
    if (s->dirty)
        s->generation++;
    s->dirty = false;
}

store *store_open(const char *path)
{
    if (strcmp(path, ":memory:") != 0 && !store_file_private(path))
        return NULL;
    store *s = xcalloc(1, sizeof *s);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        LOG_ERROR("store open failed path=%s err=\"%s\"", path,
                  s->db ? sqlite3_errmsg(s->db) : "?");
        store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 5000);
    sqlite3_update_hook(s->db, store_on_update, s);
    sqlite3_rollback_hook(s->db, store_on_rollback, s);
    sqlite3_commit_hook(s->db, store_on_commit, s);
    if (!store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                       "PRAGMA foreign_keys=ON;") ||
        !store_migrate(s) || !store_verify_old_passwords(s)) {
        store_close(s);
        return NULL;
    }
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->ncache; i++) {
        sqlite3_finalize(s->cache[i].st);
        free(s->cache[i].sql);
    }
    sqlite3_close(s->db);
    free(s);
}

struct sqlite3 *store_sqlite(store *s)
{
    return s->db;
}

uint64_t store_generation(store *s)
{
    return s->generation;
}

bool store_in_transaction(store *s)
{
    return !sqlite3_get_autocommit(s->db);
}

/* Through the statement cache: sqlite3_exec would parse them each time. */
static bool store_run(store *s, const char *sql)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    return st && store_step_done(s, st);
}

bool store_begin(store *s) { return store_run(s, "BEGIN IMMEDIATE"); }
bool store_commit(store *s) { return store_run(s, "COMMIT"); }
void store_rollback(store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        store_run(s, "ROLLBACK"); /* cached: the cron's passes roll back often */
}

char *store_meta_get(store *s, const char *key)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT value FROM meta WHERE key=?");
    if (!st)
        return NULL;
    bind_text(st, 1, key);
    char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = col_text(st, 0);
    store_finish(s, st);
    return v;
}

bool store_meta_set(store *s, const char *key, const char *value)
{
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO meta(key,value) VALUES(?,?) "
                                        "ON CONFLICT(key) DO UPDATE SET value=excluded.value");
    if (!st)
        return false;
    bind_text(st, 1, key);
    bind_text(st, 2, value);
    for (size_t i = 0; i < sizeof store_bookkeeping_keys / sizeof *store_bookkeeping_keys; i++)
        s->bookkeeping |= strcmp(key, store_bookkeeping_keys[i]) == 0;
    bool ok = store_step_done(s, st);
    s->bookkeeping = false;
    return ok;
}

/* ---- instances ---- */

#define INSTANCE_COLS                                                                      \
    "id,resource_id,status,db_class,engine,engine_version,master_username,master_verifier," \
    "db_name,port,allocated_storage,storage_type,iops,max_allocated_storage,multi_az,az,"  \
    "secondary_az,backup_retention,backup_window,maintenance_window,deletion_protection,"  \
    "storage_encrypted,kms_key_id,dns_ttl,tags,pending,extra,created_ms,primary_node,"     \
    "restart_seq,ha_state,repl_password,admin_secret,admin_verifier,cluster_id"

/* The text of column i for an enum's parse function (NULL for SQL NULL). */
static const char *col_name(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Logs a state column whose text no enum knows; the row is refused. */
static bool bad_name(const char *table, const char *id, const char *column, const char *name)
{
    LOG_ERROR("store row refused table=%s id=%s column=%s value=\"%s\" err=\"unknown name\"",
              table, id ? id : "?", column, name ? name : "(null)");
    return false;
}

/* Binds every column in INSTANCE_COLS order, starting at index 1. */
static void instance_bind(sqlite3_stmt *st, const store_instance *in)
{
    int i = 1;
    bind_text(st, i++, in->id);
    bind_text(st, i++, in->resource_id);
    bind_text(st, i++, instance_status_name(in->status));
    bind_text(st, i++, in->db_class);
    bind_text(st, i++, in->engine);
    bind_text(st, i++, in->engine_version);
    bind_text(st, i++, in->master_username);
    bind_text(st, i++, in->master_verifier ? in->master_verifier : "");
    bind_text(st, i++, in->db_name);
    sqlite3_bind_int64(st, i++, in->port);
    sqlite3_bind_int64(st, i++, in->allocated_storage);
    bind_text(st, i++, in->storage_type);
    sqlite3_bind_int64(st, i++, in->iops);
    sqlite3_bind_int64(st, i++, in->max_allocated_storage);
    sqlite3_bind_int(st, i++, in->multi_az);
    bind_text(st, i++, in->az);
    bind_text(st, i++, in->secondary_az);
    sqlite3_bind_int64(st, i++, in->backup_retention);
    bind_text(st, i++, in->backup_window);
    bind_text(st, i++, in->maintenance_window);
    sqlite3_bind_int(st, i++, in->deletion_protection);
    sqlite3_bind_int(st, i++, in->storage_encrypted);
    bind_text(st, i++, in->kms_key_id);
    sqlite3_bind_int64(st, i++, in->dns_ttl);
    bind_text(st, i++, in->tags ? in->tags : "[]");
    bind_text(st, i++, in->pending ? in->pending : "{}");
    bind_text(st, i++, in->extra ? in->extra : "{}");
    sqlite3_bind_int64(st, i++, in->created_ms);
    bind_text(st, i++, in->primary_node);
    sqlite3_bind_int64(st, i++, in->restart_seq);
    bind_text(st, i++, ha_state_name(in->ha_state));
    bind_text(st, i++, in->repl_password ? in->repl_password : "");
    bind_text(st, i++, in->admin_secret ? in->admin_secret : "");
    bind_text(st, i++, in->admin_verifier ? in->admin_verifier : "");
    bind_text(st, i++, in->cluster_id);
}

/* Fills *in from the row (the caller clears it either way); false (logged)
 * when a state column holds a name the enums do not know. */
static bool instance_read(sqlite3_stmt *st, store_instance *in)
{
    int i = 0;
    bool ok = true;
    in->id = col_text(st, i++);
    in->resource_id = col_text(st, i++);
    if (!instance_status_parse(col_name(st, i), &in->status))
        ok = bad_name("instances", in->id, "status", col_name(st, i));
    i++;
    in->db_class = col_text(st, i++);
    in->engine = col_text(st, i++);
    in->engine_version = col_text(st, i++);
    in->master_username = col_text(st, i++);
    in->master_verifier = col_text(st, i++);
    in->db_name = col_text(st, i++);
    in->port = sqlite3_column_int64(st, i++);
    in->allocated_storage = sqlite3_column_int64(st, i++);
    in->storage_type = col_text(st, i++);
    in->iops = sqlite3_column_int64(st, i++);
    in->max_allocated_storage = sqlite3_column_int64(st, i++);
    in->multi_az = sqlite3_column_int(st, i++) != 0;
    in->az = col_text(st, i++);
    in->secondary_az = col_text(st, i++);
    in->backup_retention = sqlite3_column_int64(st, i++);
    in->backup_window = col_text(st, i++);
    in->maintenance_window = col_text(st, i++);
    in->deletion_protection = sqlite3_column_int(st, i++) != 0;
    in->storage_encrypted = sqlite3_column_int(st, i++) != 0;
    in->kms_key_id = col_text(st, i++);
    in->dns_ttl = sqlite3_column_int64(st, i++);
    in->tags = col_text(st, i++);
    in->pending = col_text(st, i++);
    in->extra = col_text(st, i++);
    in->created_ms = sqlite3_column_int64(st, i++);
    in->primary_node = col_text(st, i++);
    in->restart_seq = sqlite3_column_int64(st, i++);
    if (!ha_state_parse(col_name(st, i), &in->ha_state))
        ok = bad_name("instances", in->id, "ha_state", col_name(st, i));
    i++;
    in->repl_password = col_text(st, i++);
    in->admin_secret = col_text(st, i++);
    in->admin_verifier = col_text(st, i++);
    in->cluster_id = col_text(st, i++);
    return ok;
}

void store_instance_clear(store_instance *in)
{
    char **strs[] = {&in->id, &in->resource_id, &in->db_class, &in->engine,
                     &in->engine_version, &in->master_username, &in->master_verifier,
                     &in->db_name, &in->storage_type, &in->az, &in->secondary_az,
                     &in->backup_window, &in->maintenance_window, &in->kms_key_id, &in->tags,
                     &in->pending, &in->extra, &in->primary_node, &in->repl_password,
                     &in->admin_secret, &in->admin_verifier, &in->cluster_id};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    memset(in, 0, sizeof *in);
}

bool store_instance_get(store *s, const char *id, store_instance *out, bool *found)
{
    *found = false;
    sqlite3_stmt *st = store_prepare(s, "SELECT " INSTANCE_COLS " FROM instances WHERE id=?");
    if (!st)
        return false;
    bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *found = instance_read(st, out);
        if (!*found)
            store_instance_clear(out);
    } else if (rc != SQLITE_DONE) {
        LOG_ERROR("instance get failed id=%s err=\"%s\"", id, sqlite3_errmsg(s->db));
    }
    store_finish(s, st);
    return *found;
}

bool store_instance_insert(store *s, const store_instance *in)
{
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO instances(" INSTANCE_COLS ",master_password) VALUES(?,?,?,?,?,?,?,?,?,?,?,"
           "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'')");
    if (!st)
        return false;
    instance_bind(st, in);
    return store_step_done(s, st);
}

bool store_instance_update(store *s, const store_instance *in)
{
    /* REPLACE keeps the statement in one place; the row is keyed by id. */
    sqlite3_stmt *st = store_prepare(
        s, "REPLACE INTO instances(" INSTANCE_COLS ",master_password) VALUES(?,?,?,?,?,?,?,?,?,?,"
           "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'')");
    if (!st)
        return false;
    instance_bind(st, in);
    return store_step_done(s, st);
}

/* The meta keys that belong to one instance (see store.h): they go with
 * the row, or a new instance reusing the identifier would inherit them.
 * The opt-in keys are matched by exact prefix, not LIKE (an identifier
 * is letters, digits and hyphens, but a prefix compare needs no escaping
 * argument at all). */
static bool store_instance_meta_delete(store *s, const char *id)
{
    sqlite3_stmt *st = store_prepare(
        s, "DELETE FROM meta WHERE key IN ('maint:system:' || ?1, 'stopped_at:' || ?1,"
           " 'kms_lost_at:' || ?1)"
           " OR substr(key, 1, length('maint:optin:' || ?1 || ':')) = 'maint:optin:' || ?1 || ':'");
    if (!st)
        return false;
    bind_text(st, 1, id);
    return store_step_done(s, st);
}

bool store_instance_delete(store *s, const char *id)
{
    /* A savepoint makes the two statements one change whether or not the
     * caller holds a transaction (the workflow engine does). */
    if (!store_exec(s, "SAVEPOINT instance_delete"))
        return false;
    sqlite3_stmt *st = store_prepare(s, "DELETE FROM instances WHERE id=?");
    bool ok = st != NULL;
    if (ok) {
        bind_text(st, 1, id);
        ok = store_step_done(s, st);
    }
    ok = ok && store_instance_meta_delete(s, id);
    if (ok)
        return store_exec(s, "RELEASE instance_delete");
    store_exec(s, "ROLLBACK TO instance_delete; RELEASE instance_delete");
    return false;
}

int store_instance_list(store *s, const char *after, int limit, char ***ids)
{
    sqlite3_stmt *st =
        store_prepare(s, "SELECT id FROM instances WHERE id > ? ORDER BY id LIMIT ?");
    if (!st)
        return -1;
    bind_text(st, 1, after ? after : "");
    sqlite3_bind_int(st, 2, limit);
    int n = 0;
    char **out = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        out = xrealloc(out, sizeof *out * (size_t)(n + 1));
        out[n++] = col_text(st, 0);
    }
    store_finish(s, st);
    *ids = out;
    return n;
}

int store_instance_count(store *s)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM instances");
    if (!st)
        return -1;
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    store_finish(s, st);
    return n;
}

/* ---- nodes ---- */

#define NODE_COLS                                                                  \
    "id,instance_id,agent_id,role,goal,addr,port,generation,created_ms,upstream,supervise," \
    "sync_standbys,rebuild_seq"

static void node_bind(sqlite3_stmt *st, const store_node *n)
{
    bind_text(st, 1, n->id);
    bind_text(st, 2, n->instance_id);
    bind_text(st, 3, n->agent_id);
    bind_text(st, 4, node_role_name(n->role));
    bind_text(st, 5, node_goal_name(n->goal));
    bind_text(st, 6, n->addr);
    sqlite3_bind_int64(st, 7, n->port);
    sqlite3_bind_int64(st, 8, n->generation);
    sqlite3_bind_int64(st, 9, n->created_ms);
    bind_text(st, 10, n->upstream);
    bind_text(st, 11, node_supervise_name(n->supervise));
    bind_text(st, 12, n->sync_standbys ? n->sync_standbys : "[]");
    sqlite3_bind_int64(st, 13, n->rebuild_seq);
}

/* Fills *n from the row (the caller clears it either way); false (logged)
 * when role, goal or supervise holds a name the enums do not know. */
static bool node_read(sqlite3_stmt *st, store_node *n)
{
    bool ok = true;
    n->id = col_text(st, 0);
    n->instance_id = col_text(st, 1);
    n->agent_id = col_text(st, 2);
    if (!node_role_parse(col_name(st, 3), &n->role))
        ok = bad_name("nodes", n->id, "role", col_name(st, 3));
    if (!node_goal_parse(col_name(st, 4), &n->goal))
        ok = bad_name("nodes", n->id, "goal", col_name(st, 4));
    n->addr = col_text(st, 5);
    n->port = sqlite3_column_int64(st, 6);
    n->generation = sqlite3_column_int64(st, 7);
    n->created_ms = sqlite3_column_int64(st, 8);
    n->upstream = col_text(st, 9);
    if (!node_supervise_parse(col_name(st, 10), &n->supervise))
        ok = bad_name("nodes", n->id, "supervise", col_name(st, 10));
    n->sync_standbys = col_text(st, 11);
    n->rebuild_seq = sqlite3_column_int64(st, 12);
    return ok;
}

void store_node_clear(store_node *n)
{
    free(n->id);
    free(n->instance_id);
    free(n->agent_id);
    free(n->addr);
    free(n->upstream);
    free(n->sync_standbys);
    memset(n, 0, sizeof *n);
}

bool store_node_insert(store *s, const store_node *n)
{
    sqlite3_stmt *st =
        store_prepare(s, "INSERT INTO nodes(" NODE_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return false;
    node_bind(st, n);
    return store_step_done(s, st);
}

bool store_node_update(store *s, const store_node *n)
{
    sqlite3_stmt *st =
        store_prepare(s, "REPLACE INTO nodes(" NODE_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return false;
    node_bind(st, n);
    return store_step_done(s, st);
}

bool store_node_bury(store *s, store_node *n)
{
    free(n->instance_id);
    n->instance_id = xstrdup(STORE_NODE_BURIED);
    n->goal = GOAL_ABSENT;
    n->generation++;
    return store_node_update(s, n);
}

bool store_node_delete(store *s, const char *id)
{
    sqlite3_stmt *st = store_prepare(s, "DELETE FROM nodes WHERE id=?");
    if (!st)
        return false;
    bind_text(st, 1, id);
    return store_step_done(s, st);
}

bool store_node_get(store *s, const char *id, store_node *out, bool *found)
{
    *found = false;
    sqlite3_stmt *st = store_prepare(s, "SELECT " NODE_COLS " FROM nodes WHERE id=?");
    if (!st)
        return false;
    bind_text(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *found = node_read(st, out);
        if (!*found)
            store_node_clear(out);
    }
    store_finish(s, st);
    return *found;
}

int store_node_list(store *s, const char *instance_id, const char *agent_id, store_node **out)
{
    sqlite3_stmt *st = store_prepare(
        s, "SELECT " NODE_COLS " FROM nodes WHERE (?1 IS NULL OR instance_id=?1) "
           "AND (?2 IS NULL OR agent_id=?2) ORDER BY created_ms, id");
    if (!st)
        return -1;
    bind_text(st, 1, instance_id);
    bind_text(st, 2, agent_id);
    int n = 0;
    store_node *v = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        v = xrealloc(v, sizeof *v * (size_t)(n + 1));
        if (node_read(st, &v[n]))
            n++;
        else
            store_node_clear(&v[n]); /* refused row: left out, logged */
    }
    store_finish(s, st);
    *out = v;
    return n;
}

void store_node_list_free(store_node *nodes, int n)
{
    for (int i = 0; i < n; i++)
        store_node_clear(&nodes[i]);
    free(nodes);
}

bool store_addr_in_use(store *s, const char *addr, bool *in_use)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT 1 FROM nodes WHERE addr=?");
    if (!st)
        return false;
    bind_text(st, 1, addr);
    int rc = sqlite3_step(st);
    *in_use = rc == SQLITE_ROW;
    store_finish(s, st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* ---- workflows ---- */

#define WF_COLS "id,instance_id,kind,step,state,data,created_ms,step_started_ms"

/* Fills *w from the row (the caller clears it either way); false (logged)
 * when its state is a name wf_state does not know. */
static bool wf_read(sqlite3_stmt *st, store_workflow *w)
{
    bool ok = true;
    w->id = sqlite3_column_int64(st, 0);
    w->instance_id = col_text(st, 1);
    w->kind = col_text(st, 2);
    w->step = col_text(st, 3);
    if (!wf_state_parse(col_name(st, 4), &w->state)) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)w->id);
        ok = bad_name("workflows", id, "state", col_name(st, 4));
    }
    w->data = col_text(st, 5);
    w->created_ms = sqlite3_column_int64(st, 6);
    w->step_started_ms = sqlite3_column_int64(st, 7);
    return ok;
}

void store_workflow_clear(store_workflow *w)
{
    free(w->instance_id);
    free(w->kind);
    free(w->step);
    free(w->data);
    memset(w, 0, sizeof *w);
}

bool store_workflow_insert(store *s, store_workflow *w)
{
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO workflows(instance_id,kind,step,state,data,created_ms,step_started_ms) "
           "VALUES(?,?,?,?,?,?,?)");
    if (!st)
        return false;
    bind_text(st, 1, w->instance_id);
    bind_text(st, 2, w->kind);
    bind_text(st, 3, w->step);
    bind_text(st, 4, wf_state_name(w->state));
    bind_text(st, 5, w->data ? w->data : "{}");
    sqlite3_bind_int64(st, 6, w->created_ms);
    sqlite3_bind_int64(st, 7, w->step_started_ms);
    if (!store_step_done(s, st))
        return false;
    w->id = sqlite3_last_insert_rowid(s->db);
    return true;
}

bool store_workflow_update(store *s, const store_workflow *w)
{
    sqlite3_stmt *st = store_prepare(
        s, "UPDATE workflows SET step=?, state=?, data=?, step_started_ms=? WHERE id=?");
    if (!st)
        return false;
    bind_text(st, 1, w->step);
    bind_text(st, 2, wf_state_name(w->state));
    bind_text(st, 3, w->data ? w->data : "{}");
    sqlite3_bind_int64(st, 4, w->step_started_ms);
    sqlite3_bind_int64(st, 5, w->id);
    return store_step_done(s, st);
}

bool store_workflow_active_for(store *s, const char *instance_id, store_workflow *out,
                               bool *found)
{
    *found = false;
    sqlite3_stmt *st = store_prepare(s, "SELECT " WF_COLS " FROM workflows WHERE "
                                        "state='active' AND instance_id=? ORDER BY id LIMIT 1");
    if (!st)
        return false;
    bind_text(st, 1, instance_id);
    int rc = sqlite3_step(st);
    bool ok = rc == SQLITE_DONE;
    if (rc == SQLITE_ROW) {
        ok = *found = wf_read(st, out);
        if (!ok)
            store_workflow_clear(out);
    }
    store_finish(s, st);
    return ok;
}

int store_workflow_list_active(store *s, store_workflow **out)
{
    sqlite3_stmt *st =
        store_prepare(s, "SELECT " WF_COLS " FROM workflows WHERE state='active' ORDER BY id");
    if (!st)
        return -1;
    int n = 0;
    store_workflow *v = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        v = xrealloc(v, sizeof *v * (size_t)(n + 1));
        if (wf_read(st, &v[n]))
            n++;
        else
            store_workflow_clear(&v[n]); /* refused row: left out, logged */
    }
    store_finish(s, st);
    *out = v;
    return n;
}

void store_workflow_list_free(store_workflow *w, int n)
{
    for (int i = 0; i < n; i++)
        store_workflow_clear(&w[i]);
    free(w);
}

/* ---- events ---- */

bool store_event_insert(store *s, const store_event *e)
{
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO events(source_id,source_type,event_id,message,categories,date_ms,"
           "source_arn) VALUES(?,?,?,?,?,?,?)");
    if (!st)
        return false;
    bind_text(st, 1, e->source_id);
    bind_text(st, 2, e->source_type);
    bind_text(st, 3, e->event_id);
    bind_text(st, 4, e->message);
    bind_text(st, 5, e->categories ? e->categories : "[]");
    sqlite3_bind_int64(st, 6, e->date_ms);
    bind_text(st, 7, e->source_arn ? e->source_arn : "");
    return store_step_done(s, st);
}

int store_event_list(store *s, const char *source_id, const char *source_type, int64_t start_ms,
                     int64_t end_ms, int64_t after_id, int limit, store_event **out)
{
    sqlite3_stmt *st = store_prepare(
        s, "SELECT id,source_id,source_type,event_id,message,categories,date_ms,source_arn "
           "FROM events WHERE date_ms BETWEEN ?1 AND ?2 AND id > ?3 "
           "AND (?4 IS NULL OR source_id=?4) AND (?5 IS NULL OR source_type=?5) "
           "ORDER BY id LIMIT ?6");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, start_ms);
    sqlite3_bind_int64(st, 2, end_ms);
    sqlite3_bind_int64(st, 3, after_id);
    bind_text(st, 4, source_id);
    bind_text(st, 5, source_type);
    sqlite3_bind_int(st, 6, limit);
    int n = 0;
    store_event *v = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        v = xrealloc(v, sizeof *v * (size_t)(n + 1));
        store_event *e = &v[n++];
        e->id = sqlite3_column_int64(st, 0);
        e->source_id = col_text(st, 1);
        e->source_type = col_text(st, 2);
        e->event_id = col_text(st, 3);
        e->message = col_text(st, 4);
        e->categories = col_text(st, 5);
        e->date_ms = sqlite3_column_int64(st, 6);
        e->source_arn = col_text(st, 7);
    }
    store_finish(s, st);
    *out = v;
    return n;
}

void store_event_list_free(store_event *e, int n)
{
    for (int i = 0; i < n; i++) {
        free(e[i].source_id);
        free(e[i].source_type);
        free(e[i].event_id);
        free(e[i].message);
        free(e[i].categories);
        free(e[i].source_arn);
    }
    free(e);
}
