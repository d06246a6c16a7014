/* sqlrow: see sqlrow.h. */
#include "controlplane/core/sqlrow.h"

#include <sqlite3.h>
#include <stdio.h>

#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

sqlite3_stmt *sqlrow_prepare(store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL) != SQLITE_OK) {
        LOG_ERROR("sql prepare failed err=\"%s\"", sqlite3_errmsg(store_sqlite(s)));
        return NULL;
    }
    return st;
}

void sqlrow_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

bool sqlrow_run(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        LOG_ERROR("sql step failed rc=%d err=\"%s\"", rc, sqlite3_errmsg(sqlite3_db_handle(st)));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE;
}

sqlite3_stmt *sqlrow_cached(store *s, const char *sql)
{
    return store_stmt_cached(s, sql);
}

void sqlrow_release(store *s, sqlite3_stmt *st)
{
    store_stmt_release(s, st);
}

bool sqlrow_run_release(store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        LOG_ERROR("sql step failed rc=%d err=\"%s\"", rc, sqlite3_errmsg(sqlite3_db_handle(st)));
    store_stmt_release(s, st);
    return rc == SQLITE_DONE;
}

char *sqlrow_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrdup((const char *)t) : NULL;
}

int sqlrow_changes(store *s)
{
    return sqlite3_changes(store_sqlite(s));
}

char *sqlrow_attr_get(store *s, const char *table, const char *keycol, const char *key,
                      const char *name)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT value FROM %s WHERE %s=? AND name=?", table, keycol);
    sqlite3_stmt *st = sqlrow_prepare(s, sql);
    if (!st)
        return NULL;
    sqlrow_bind_text(st, 1, key);
    sqlrow_bind_text(st, 2, name);
    char *v = sqlite3_step(st) == SQLITE_ROW ? sqlrow_text(st, 0) : NULL;
    sqlite3_finalize(st);
    return v;
}

bool sqlrow_attr_put(store *s, const char *table, const char *keycol, const char *key,
                     const char *name, const char *value)
{
    char sql[160];
    if (*value)
        snprintf(sql, sizeof sql, "REPLACE INTO %s(%s,name,value) VALUES(?,?,?)", table, keycol);
    else
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s=? AND name=?", table, keycol);
    sqlite3_stmt *st = sqlrow_prepare(s, sql);
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, key);
    sqlrow_bind_text(st, 2, name);
    if (*value)
        sqlrow_bind_text(st, 3, value);
    return sqlrow_run(st);
}
