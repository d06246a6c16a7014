/* clockhist: see clockhist.h. */
#include "controlplane/core/clockhist.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

#define STEP_PREFIX "clock_step:"

static int clockhist_count(store *st)
{
    sqlite3_stmt *q = sqlrow_prepare(st, "SELECT count(*) FROM meta WHERE key >= '" STEP_PREFIX
                                         "' AND key < '" STEP_PREFIX "~'");
    int n = q && sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
    sqlite3_finalize(q);
    return n;
}

/* Invariant 2: a step is dropped when the region time right after it
 * (real_ms + to) is older than the horizon. */
static bool clockhist_prune(store *st, int64_t horizon)
{
    sqlite3_stmt *q = sqlrow_prepare(st, "SELECT key, value FROM meta WHERE key >= '" STEP_PREFIX
                                         "' AND key < '" STEP_PREFIX "~' ORDER BY key");
    if (!q)
        return false;
    char **old = NULL;
    int n = 0, cap = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        long long a, b, c;
        const char *v = (const char *)sqlite3_column_text(q, 1);
        if (!v || sscanf(v, "%lld %lld %lld", &a, &b, &c) != 3 || a + c > horizon)
            break; /* steps are in order: the rest are newer */
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            old = xrealloc(old, (size_t)cap * sizeof *old);
        }
        old[n++] = xstrdup((const char *)sqlite3_column_text(q, 0));
    }
    sqlite3_finalize(q);
    bool ok = true;
    for (int i = 0; i < n; i++) {
        sqlite3_stmt *d = sqlrow_prepare(st, "DELETE FROM meta WHERE key = ?1");
        if (d)
            sqlrow_bind_text(d, 1, old[i]);
        ok = d && sqlrow_run(d) && ok;
        free(old[i]);
    }
    free(old);
    if (n > 0)
        LOG_INFO("region clock history pruned steps=%d", n);
    return ok;
}

static bool clockhist_put(store *st, int64_t real_ms, int64_t from, int64_t to)
{
    char key[48], val[80];
    snprintf(key, sizeof key, STEP_PREFIX "%020lld", (long long)to);
    snprintf(val, sizeof val, "%lld %lld %lld", (long long)real_ms, (long long)from,
             (long long)to);
    return store_meta_set(st, key, val);
}

/* A store written before issue 13 keeps its history as one value: its
 * steps become rows (those that changed nothing are left out) and the
 * value goes, so pruning sees one ordered list. */
static bool clockhist_upgrade(store *st)
{
    char *legacy = store_meta_get(st, "clock_history");
    if (!legacy)
        return true;
    rclock_step *h = NULL;
    int n = rclock_history_parse(legacy, &h);
    free(legacy);
    bool ok = true;
    for (int i = 0; i < n; i++)
        if (h[i].to != h[i].from)
            ok = clockhist_put(st, h[i].real_ms, h[i].from, h[i].to) && ok;
    free(h);
    sqlite3_stmt *d = sqlrow_prepare(st, "DELETE FROM meta WHERE key = 'clock_history'");
    ok = d && sqlrow_run(d) && ok;
    if (ok)
        LOG_INFO("region clock history moved to one row per step steps=%d", n);
    return ok;
}

bool clockhist_append(store *st, int64_t real_ms, int64_t from, int64_t to, bool *full)
{
    *full = false;
    if (from == to)
        return true; /* invariant 1 */
    if (!clockhist_upgrade(st))
        return false;
    if (!clockhist_prune(st, real_ms + to - CLOCKHIST_KEEP_MS))
        return false;
    int n = clockhist_count(st);
    if (n < 0)
        return false;
    if (n >= CLOCKHIST_MAX) {
        *full = true;
        return false;
    }
    return clockhist_put(st, real_ms, from, to);
}

int clockhist_load(store *st, rclock_step **out)
{
    *out = NULL;
    char *legacy = store_meta_get(st, "clock_history");
    int n = rclock_history_parse(legacy, out);
    free(legacy);
    sqlite3_stmt *q = sqlrow_cached(st, "SELECT value FROM meta WHERE key >= '" STEP_PREFIX
                                         "' AND key < '" STEP_PREFIX "~' ORDER BY key");
    int cap = n;
    while (q && sqlite3_step(q) == SQLITE_ROW) {
        long long a, b, c;
        const char *v = (const char *)sqlite3_column_text(q, 0);
        if (!v || sscanf(v, "%lld %lld %lld", &a, &b, &c) != 3)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, (size_t)cap * sizeof **out);
        }
        (*out)[n++] = (rclock_step){.real_ms = a, .from = b, .to = c};
    }
    sqlrow_release(st, q);
    return n;
}
