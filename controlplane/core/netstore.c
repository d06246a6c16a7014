/* netstore: see netstore.h. */
#include "controlplane/core/netstore.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "controlplane/core/store.h"
#include "lib/log.h"

/* Through the store's statement cache (issue 18: a node's spec reads its
 * security groups here on every heartbeat); every statement goes back
 * with store_stmt_release. */
static sqlite3_stmt *prepare(store *s, const char *sql)
{
    return store_stmt_cached(s, sql);
}

cJSON *netstore_get(store *s, const char *kind, const char *id, bool *found)
{
    *found = false;
    sqlite3_stmt *st = prepare(s, "SELECT doc FROM network_objects WHERE kind=? AND id=?");
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    cJSON *doc = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        doc = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
        *found = doc != NULL;
    }
    store_stmt_release(s, st);
    return doc;
}

static bool step_done(store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        LOG_ERROR("netstore: sql step failed err=\"%s\"", sqlite3_errmsg(store_sqlite(s)));
    store_stmt_release(s, st);
    return rc == SQLITE_DONE;
}

bool netstore_put(store *s, const char *kind, const char *id, const cJSON *doc)
{
    sqlite3_stmt *st =
        prepare(s, "INSERT OR REPLACE INTO network_objects(kind, id, doc) VALUES(?,?,?)");
    if (!st)
        return false;
    char *text = cJSON_PrintUnformatted(doc);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT);
    free(text);
    return step_done(s, st);
}

bool netstore_delete(store *s, const char *kind, const char *id)
{
    sqlite3_stmt *st = prepare(s, "DELETE FROM network_objects WHERE kind=? AND id=?");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    return step_done(s, st);
}

cJSON *netstore_list(store *s, const char *kind)
{
    sqlite3_stmt *st = prepare(s, "SELECT doc FROM network_objects WHERE kind=? ORDER BY id");
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
    cJSON *arr = cJSON_CreateArray();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *doc = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
        if (doc)
            cJSON_AddItemToArray(arr, doc);
    }
    store_stmt_release(s, st);
    if (rc != SQLITE_DONE) {
        LOG_ERROR("netstore: sql list failed err=\"%s\"", sqlite3_errmsg(store_sqlite(s)));
        cJSON_Delete(arr);
        return NULL;
    }
    return arr;
}
