/* cwstore: see cwstore.h. */
#include "controlplane/obs/cwstore.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

static const int64_t cw_res[3] = {60, 300, 3600};
static const int64_t cw_keep[3] = {CWSTORE_KEEP_60, CWSTORE_KEEP_300, CWSTORE_KEEP_3600};

typedef struct {
    const char *name, *value;
} cw_dim;

static int cw_dim_cmp(const void *a, const void *b)
{
    const cw_dim *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

char *cwstore_dims_canon(const cJSON *dims, const char *what, awserr *err)
{
    if (!dims || cJSON_IsNull(dims))
        return xstrdup("[]");
    if (!cJSON_IsArray(dims)) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "The parameter %s must be a list.",
                   what);
        return NULL;
    }
    int n = cJSON_GetArraySize(dims);
    if (n > CWSTORE_MAX_DIMS) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The collection %s must not have a size greater than %d.", what,
                   CWSTORE_MAX_DIMS);
        return NULL;
    }
    cw_dim d[CWSTORE_MAX_DIMS];
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, dims) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "Name");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "Value");
        if (!cJSON_IsString(nm) || !cJSON_IsString(v)) {
            awserr_set(err, AWSERR_MISSING_PARAMETER,
                       "The parameter %s.member.%d.%s is required.", what, k + 1,
                       cJSON_IsString(nm) ? "Value" : "Name");
            return NULL;
        }
        size_t ln = strlen(nm->valuestring), lv = strlen(v->valuestring);
        if (ln < 1 || ln > 255 || lv < 1 || lv > 1024) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "The parameter %s.member.%d.%s must be between 1 and %d characters.",
                       what, k + 1, ln < 1 || ln > 255 ? "Name" : "Value",
                       ln < 1 || ln > 255 ? 255 : 1024);
            return NULL;
        }
        d[k].name = nm->valuestring;
        d[k].value = v->valuestring;
        k++;
    }
    qsort(d, (size_t)k, sizeof d[0], cw_dim_cmp);
    for (int i = 1; i < k; i++)
        if (strcmp(d[i].name, d[i - 1].name) == 0) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "No metric may have duplicate dimension names: %.255s.", d[i].name);
            return NULL;
        }
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < k; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Name", d[i].name);
        cJSON_AddStringToObject(o, "Value", d[i].value);
        cJSON_AddItemToArray(a, o);
    }
    char *out = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return out;
}

/* The metric's id, created when absent (and its last_s raised). */
static bool cw_metric_id(store *s, const char *ns, const char *name, const char *dims,
                         int64_t ts_s, int64_t *id)
{
    sqlite3_stmt *st = sqlrow_cached(
        s, "INSERT INTO cw_metrics(namespace, name, dims, last_s) VALUES(?1,?2,?3,?4)"
           " ON CONFLICT(namespace, name, dims) DO UPDATE SET last_s = max(last_s, ?4)");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, ns);
    sqlrow_bind_text(st, 2, name);
    sqlrow_bind_text(st, 3, dims);
    sqlite3_bind_int64(st, 4, ts_s);
    if (!sqlrow_run_release(s, st))
        return false;
    st = sqlrow_cached(s, "SELECT id FROM cw_metrics WHERE namespace=?1 AND name=?2 AND dims=?3");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, ns);
    sqlrow_bind_text(st, 2, name);
    sqlrow_bind_text(st, 3, dims);
    bool ok = sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        *id = sqlite3_column_int64(st, 0);
    sqlrow_release(s, st);
    return ok;
}

bool cwstore_put(store *s, const char *ns, const char *name, const char *dims,
                 const cw_stat *v, int64_t ts_s)
{
    int64_t id = 0;
    if (!cw_metric_id(s, ns, name, dims, ts_s, &id))
        return false;
    for (int i = 0; i < 3; i++) {
        int64_t b = ts_s - ((ts_s % cw_res[i]) + cw_res[i]) % cw_res[i];
        sqlite3_stmt *st = sqlrow_cached(
            s, "INSERT INTO cw_points(metric, res, unit, ts, n, sum, min, max)"
               " VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(metric, res, ts, unit) DO UPDATE"
               " SET n = n + ?5, sum = sum + ?6, min = min(min, ?7), max = max(max, ?8)");
        if (!st)
            return false;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, cw_res[i]);
        sqlrow_bind_text(st, 3, v->unit[0] ? v->unit : "None");
        sqlite3_bind_int64(st, 4, b);
        sqlite3_bind_double(st, 5, v->n);
        sqlite3_bind_double(st, 6, v->sum);
        sqlite3_bind_double(st, 7, v->min);
        sqlite3_bind_double(st, 8, v->max);
        if (!sqlrow_run_release(s, st))
            return false;
    }
    return true;
}

int64_t cwstore_resolution(int64_t start_s, int64_t period_s, int64_t now_s)
{
    if (period_s <= 0)
        return 0;
    for (int i = 0; i < 3; i++)
        if (period_s % cw_res[i] == 0 && (start_s >= now_s - cw_keep[i] || i == 2))
            return cw_res[i];
    return 0;
}

int cwstore_stats(store *s, const char *ns, const char *name, const char *dims,
                  const char *unit, int64_t start_s, int64_t end_s, int64_t period_s,
                  int64_t now_s, int64_t max_points, cw_stat **out, awserr *err)
{
    *out = NULL;
    int64_t res = cwstore_resolution(start_s, period_s, now_s);
    if (res == 0) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The parameter Period must be a multiple of %d for data this old "
                   "(StartTime more than %s ago).",
                   start_s < now_s - CWSTORE_KEEP_300 ? 3600 : start_s < now_s - CWSTORE_KEEP_60 ? 300 : 60,
                   start_s < now_s - CWSTORE_KEEP_300 ? "63 days" : "15 days");
        return -1;
    }
    /* CloudWatch rounds StartTime down to the minute (5 minutes past 15
     * days, the hour past 63: the resolution kept there), and its periods
     * are counted from that rounded start, not from the epoch. */
    start_s -= ((start_s % res) + res) % res;
    if (end_s > start_s && (end_s - start_s + period_s - 1) / period_s > max_points) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                   "You have requested up to %lld datapoints, which exceeds the limit of %lld. "
                   "You may reduce the datapoints requested by increasing Period, or "
                   "decreasing the time range.",
                   (long long)((end_s - start_s + period_s - 1) / period_s),
                   (long long)max_points);
        return -1;
    }
    if (end_s <= start_s)
        return 0;
    sqlite3_stmt *st = sqlrow_prepare(
        s, "SELECT p.ts - ((p.ts - ?6) % ?5) AS b, p.unit, sum(p.n), sum(p.sum), min(p.min), max(p.max)"
           " FROM cw_metrics m JOIN cw_points p ON p.metric = m.id"
           " WHERE m.namespace=?1 AND m.name=?2 AND m.dims=?3 AND p.res=?4"
           " AND p.ts >= ?6 AND p.ts < ?7 AND (?8 IS NULL OR p.unit = ?8)"
           " GROUP BY b, p.unit ORDER BY b, p.unit");
    if (!st) {
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The metric store failed.");
        return -1;
    }
    sqlrow_bind_text(st, 1, ns);
    sqlrow_bind_text(st, 2, name);
    sqlrow_bind_text(st, 3, dims);
    sqlite3_bind_int64(st, 4, res);
    sqlite3_bind_int64(st, 5, period_s);
    /* Points of the resolution whose period starts inside the range. */
    sqlite3_bind_int64(st, 6, start_s);
    sqlite3_bind_int64(st, 7, end_s);
    sqlrow_bind_text(st, 8, unit);
    int n = 0, cap = 0;
    cw_stat *v = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = xrealloc(v, (size_t)cap * sizeof *v);
        }
        cw_stat *e = &v[n++];
        memset(e, 0, sizeof *e);
        e->ts = sqlite3_column_int64(st, 0);
        const unsigned char *u = sqlite3_column_text(st, 1);
        snprintf(e->unit, sizeof e->unit, "%s", u ? (const char *)u : "None");
        e->n = sqlite3_column_double(st, 2);
        e->sum = sqlite3_column_double(st, 3);
        e->min = sqlite3_column_double(st, 4);
        e->max = sqlite3_column_double(st, 5);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        LOG_ERROR("cloudwatch stats query failed rc=%d", rc);
        free(v);
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The metric store failed.");
        return -1;
    }
    *out = v;
    return n;
}

int cwstore_list(store *s, const char *ns, const char *name, int64_t after_id, int64_t since_s,
                 int limit, cw_metric **out)
{
    *out = NULL;
    sqlite3_stmt *st = sqlrow_prepare(
        s, "SELECT id, namespace, name, dims, last_s FROM cw_metrics WHERE id > ?1"
           " AND (?2 IS NULL OR namespace = ?2) AND (?3 IS NULL OR name = ?3)"
           " AND last_s >= ?4 ORDER BY id LIMIT ?5");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, after_id);
    sqlrow_bind_text(st, 2, ns);
    sqlrow_bind_text(st, 3, name);
    sqlite3_bind_int64(st, 4, since_s);
    sqlite3_bind_int(st, 5, limit);
    int n = 0;
    cw_metric *m = limit > 0 ? xcalloc((size_t)limit, sizeof *m) : NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < limit) {
        m[n].id = sqlite3_column_int64(st, 0);
        m[n].ns = sqlrow_text(st, 1);
        m[n].name = sqlrow_text(st, 2);
        m[n].dims = sqlrow_text(st, 3);
        m[n].last_s = sqlite3_column_int64(st, 4);
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        cwstore_list_free(m, n);
        return -1;
    }
    *out = m;
    return n;
}

void cwstore_list_free(cw_metric *m, int n)
{
    for (int i = 0; i < n; i++) {
        free(m[i].ns);
        free(m[i].name);
        free(m[i].dims);
    }
    free(m);
}

bool cwstore_prune(store *s, int64_t now_s)
{
    for (int i = 0; i < 3; i++) {
        sqlite3_stmt *st = sqlrow_prepare(s, "DELETE FROM cw_points WHERE res = ?1 AND ts < ?2");
        if (!st)
            return false;
        sqlite3_bind_int64(st, 1, cw_res[i]);
        sqlite3_bind_int64(st, 2, now_s - cw_keep[i]);
        if (!sqlrow_run(st))
            return false;
    }
    sqlite3_stmt *st = sqlrow_prepare(s, "DELETE FROM cw_metrics WHERE last_s < ?1");
    if (!st)
        return false;
    sqlite3_bind_int64(st, 1, now_s - CWSTORE_KEEP_3600);
    return sqlrow_run(st);
}
