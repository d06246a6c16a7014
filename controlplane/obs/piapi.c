/* piapi: see piapi.h. Wire work and grouping; the data is pistore's. */
#include "controlplane/obs/piapi.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/pistore.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

typedef enum { PIE_OK, PIE_INVALID, PIE_NOT_AUTHORIZED, PIE_INTERNAL, PIE_UNKNOWN_OP } pie_code;

typedef struct {
    pie_code code;
    char message[512];
} pie;

static bool pie_set(pie *e, pie_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool pie_set(pie *e, pie_code code, const char *fmt, ...)
{
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return false;
}

static const char *pie_name(pie_code c)
{
    switch (c) {
    case PIE_INVALID:
        return "InvalidArgumentException";
    case PIE_NOT_AUTHORIZED:
        return "NotAuthorizedException";
    case PIE_UNKNOWN_OP:
        return "UnknownOperationException";
    default:
        return "InternalServiceError";
    }
}

/* What every call works on: the instance's resource id, PI on. */
typedef struct {
    region *r;
    char rid[64];
    int64_t now_s;
} pictx;

/* ---- the groups and their dimensions ---- */

typedef struct {
    const char *group;
    pi_col cols[2];
    int ncols;
    const char *dims[5];
} group_def;

static const group_def groups[] = {
    {"db.wait_event",
     {PI_COL_WAIT_EVENT, PI_COL_WAIT_TYPE},
     2,
     {"db.wait_event.name", "db.wait_event.type", NULL}},
    {"db.wait_event_type", {PI_COL_WAIT_TYPE}, 1, {"db.wait_event_type.name", NULL}},
    {"db.sql",
     {PI_COL_SQL_ID},
     1,
     {"db.sql.id", "db.sql.db_id", "db.sql.statement", "db.sql.tokenized_id", NULL}},
    {"db.sql_tokenized",
     {PI_COL_SQL_ID},
     1,
     {"db.sql_tokenized.id", "db.sql_tokenized.db_id", "db.sql_tokenized.statement", NULL}},
    {"db.user", {PI_COL_USER}, 1, {"db.user.id", "db.user.name", NULL}},
    {"db.host", {PI_COL_HOST}, 1, {"db.host.id", "db.host.name", NULL}},
    {"db", {PI_COL_DB}, 1, {"db.name", NULL}},
};
#define NGROUPS (sizeof groups / sizeof groups[0])

static const group_def *group_find(const char *name)
{
    for (size_t i = 0; name && i < NGROUPS; i++)
        if (strcmp(groups[i].group, name) == 0)
            return &groups[i];
    return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The key column a dimension is read from; db_id/statement: the SQL id's
 * text row. *sql_side: 1 for *.db_id, 2 for *.statement, else 0. */
static bool dim_col(const char *dim, pi_col *col, int *sql_side)
{
    *sql_side = 0;
    if (strcmp(dim, "db.wait_event.name") == 0)
        *col = PI_COL_WAIT_EVENT;
    else if (strcmp(dim, "db.wait_event.type") == 0 || strcmp(dim, "db.wait_event_type.name") == 0)
        *col = PI_COL_WAIT_TYPE;
    else if (strncmp(dim, "db.sql.", 7) == 0 || strncmp(dim, "db.sql_tokenized.", 17) == 0) {
        *col = PI_COL_SQL_ID;
        *sql_side = ends_with(dim, ".db_id") ? 1 : ends_with(dim, ".statement") ? 2 : 0;
    } else if (strncmp(dim, "db.user.", 8) == 0)
        *col = PI_COL_USER;
    else if (strncmp(dim, "db.host.", 8) == 0)
        *col = PI_COL_HOST;
    else if (strcmp(dim, "db.name") == 0)
        *col = PI_COL_DB;
    else
        return false;
    for (size_t g = 0; g < NGROUPS; g++)
        for (int i = 0; groups[g].dims[i]; i++)
            if (strcmp(groups[g].dims[i], dim) == 0)
                return true;
    return false;
}

/* ---- reading the request ---- */

static bool get_str(const cJSON *in, const char *name, bool required, const char **out, pie *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return !required || pie_set(e, PIE_INVALID, "%s is required.", name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) > 2048)
        return pie_set(e, PIE_INVALID, "%s must be a string of at most 2048 bytes.", name);
    *out = v->valuestring;
    return true;
}

static bool get_int(const cJSON *in, const char *name, int64_t lo, int64_t hi, int64_t *out,
                    bool *has, pie *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    *has = false;
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)lo && v->valuedouble <= (double)hi) ||
        v->valuedouble != floor(v->valuedouble))
        return pie_set(e, PIE_INVALID, "%s must be an integer from %lld to %lld.", name,
                       (long long)lo, (long long)hi);
    *out = (int64_t)v->valuedouble;
    *has = true;
    return true;
}

/* A timestamp (epoch seconds, botocore's JSON form), whole seconds. */
static bool get_time(const cJSON *in, const char *name, int64_t *out, pie *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    if (!v || cJSON_IsNull(v))
        return pie_set(e, PIE_INVALID, "%s is required.", name);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble < 253402300800.0))
        return pie_set(e, PIE_INVALID, "%s must be a timestamp.", name);
    *out = (int64_t)floor(v->valuedouble);
    return true;
}

/* ServiceType and Identifier: the instance, with PI on. */
static bool resolve(pictx *c, const cJSON *in, pie *e)
{
    const char *type, *id;
    if (!get_str(in, "ServiceType", true, &type, e) || !get_str(in, "Identifier", true, &id, e))
        return false;
    if (strcmp(type, "RDS") != 0 && strcmp(type, "DOCDB") != 0)
        return pie_set(e, PIE_INVALID, "ServiceType must be RDS or DOCDB.");
    sqlite3_stmt *q = sqlrow_prepare(c->r->st, "SELECT extra FROM instances WHERE resource_id = ?");
    if (!q)
        return pie_set(e, PIE_INTERNAL, "The request failed for an internal reason.");
    sqlrow_bind_text(q, 1, id);
    bool found = strcmp(type, "RDS") == 0 && sqlite3_step(q) == SQLITE_ROW;
    char *extra = found ? sqlrow_text(q, 0) : NULL;
    sqlite3_finalize(q);
    store_instance row = {.extra = extra};
    cJSON *x = instextra_parse(&row);
    bool on = found && instextra_bool(x, INSTEXTRA_PI_ENABLED, false);
    cJSON_Delete(x);
    free(extra);
    if (!on)
        return pie_set(e, PIE_NOT_AUTHORIZED,
                       "Performance Insights is not enabled for %.64s, or no such resource "
                       "exists.",
                       id);
    snprintf(c->rid, sizeof c->rid, "%s", id);
    c->now_s = rclock_now_ms(c->r->clock_offset_ms) / 1000;
    return true;
}

/* Filter: {dimension: value} → pistore filters (values borrowed from in;
 * db_id values become SQL ids in ids[]). */
static bool read_filter(const cJSON *in, pi_filter *f, int *nf, char ids[][41], pie *e)
{
    *nf = 0;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(in, "Filter");
    if (!m || cJSON_IsNull(m))
        return true;
    if (!cJSON_IsObject(m))
        return pie_set(e, PIE_INVALID, "Filter must be a map.");
    const cJSON *v;
    cJSON_ArrayForEach(v, m) {
        pi_col col;
        int side;
        if (*nf >= 8)
            return pie_set(e, PIE_INVALID, "Filter has more than 8 dimensions.");
        if (!cJSON_IsString(v) || !dim_col(v->string, &col, &side) || side == 2)
            return pie_set(e, PIE_INVALID, "Filter dimension %.64s is not supported.",
                           v->string);
        f[*nf].col = col;
        f[*nf].value = v->valuestring;
        if (side == 1) {
            pi_sql_id(v->valuestring, ids[*nf]);
            f[*nf].value = ids[*nf];
        }
        (*nf)++;
    }
    return true;
}

/* GroupBy: the group and its requested dimensions (NULL: all). */
typedef struct {
    const group_def *g;
    const cJSON *dims;
    int64_t limit;
} groupby;

static bool read_groupby(const cJSON *in, const char *name, bool required, groupby *gb, pie *e)
{
    memset(gb, 0, sizeof *gb);
    gb->limit = 10;
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(in, name);
    if (!g || cJSON_IsNull(g))
        return !required || pie_set(e, PIE_INVALID, "%s is required.", name);
    const char *group;
    bool has;
    if (!cJSON_IsObject(g) || !get_str(g, "Group", true, &group, e) ||
        !get_int(g, "Limit", 1, 25, &gb->limit, &has, e))
        return e->code != PIE_OK ? false : pie_set(e, PIE_INVALID, "%s must be a map.", name);
    gb->g = group_find(group);
    if (!gb->g)
        return pie_set(e, PIE_INVALID, "Group %.64s is not a dimension group of db.load.", group);
    gb->dims = cJSON_GetObjectItemCaseSensitive(g, "Dimensions");
    if (gb->dims && !cJSON_IsNull(gb->dims)) {
        if (!cJSON_IsArray(gb->dims) || cJSON_GetArraySize(gb->dims) > 10)
            return pie_set(e, PIE_INVALID, "Dimensions must be a list of at most 10.");
        const cJSON *d;
        cJSON_ArrayForEach(d, gb->dims) {
            bool ok = false;
            for (int i = 0; cJSON_IsString(d) && gb->g->dims[i]; i++)
                ok = ok || strcmp(gb->g->dims[i], d->valuestring) == 0;
            if (!ok)
                return pie_set(e, PIE_INVALID, "Dimension %.64s is not in group %s.",
                               cJSON_IsString(d) ? d->valuestring : "?", gb->g->group);
        }
    } else {
        gb->dims = NULL;
    }
    return true;
}

static bool dim_wanted(const groupby *gb, const char *dim)
{
    if (!gb->dims)
        return true;
    const cJSON *d;
    cJSON_ArrayForEach(d, gb->dims) if (strcmp(d->valuestring, dim) == 0) return true;
    return false;
}

/* The dimension map of one key of gb's group. */
static cJSON *key_dims(const pictx *c, const groupby *gb, const pi_row *row)
{
    cJSON *m = cJSON_CreateObject();
    char *text = NULL, *qid = NULL;
    if (gb->g->cols[0] == PI_COL_SQL_ID && row->k[0])
        pi_store_sql_get(c->r->st, c->rid, row->k[0], &text, &qid);
    for (int i = 0; gb->g->dims[i]; i++) {
        const char *dim = gb->g->dims[i];
        if (!dim_wanted(gb, dim))
            continue;
        pi_col col;
        int side;
        dim_col(dim, &col, &side);
        const char *v = col == gb->g->cols[0] ? row->k[0] : row->k[1];
        if (side == 1)
            v = qid;
        if (side == 2) {
            if (text) {
                char *shown = pi_text_clean(text, strlen(text), PI_SQL_SHORT + 1);
                cJSON_AddStringToObject(m, dim, shown);
                free(shown);
            }
            continue;
        }
        if (v)
            cJSON_AddStringToObject(m, dim, v);
    }
    free(text);
    free(qid);
    return m;
}

/* ---- the range ---- */

typedef struct {
    int64_t start, end, period, astart, aend, nb;
} range;

#define PI_MAX_POINTS 1500

static bool read_range(const cJSON *in, range *rg, pie *e)
{
    bool has;
    if (!get_time(in, "StartTime", &rg->start, e) || !get_time(in, "EndTime", &rg->end, e) ||
        !get_int(in, "PeriodInSeconds", 1, 86400, &rg->period, &has, e))
        return false;
    if (rg->start >= rg->end)
        return pie_set(e, PIE_INVALID, "StartTime must be earlier than EndTime.");
    if (!has)
        rg->period = pi_period_default(rg->start, rg->end);
    if (!pi_period_valid(rg->period))
        return pie_set(e, PIE_INVALID,
                       "PeriodInSeconds must be one of 1, 60, 300, 3600, 86400.");
    pi_period_align(rg->start, rg->end, rg->period, &rg->astart, &rg->aend);
    rg->nb = (rg->aend - rg->astart) / rg->period;
    if (rg->nb > PI_MAX_POINTS)
        return pie_set(e, PIE_INVALID,
                       "The time range holds %lld periods of %lld seconds; at most %d are "
                       "returned: choose a longer PeriodInSeconds.",
                       (long long)rg->nb, (long long)rg->period, PI_MAX_POINTS);
    return true;
}

static bool metric_valid(const char *m)
{
    return m && (strcmp(m, "db.load.avg") == 0 || strcmp(m, "db.sampledload.avg") == 0 ||
                 strcmp(m, "db.load") == 0 || strcmp(m, "db.sampledload") == 0);
}

static int cmp_total(const void *a, const void *b)
{
    const pi_row *x = a, *y = b;
    if (x->sum != y->sum)
        return x->sum < y->sum ? 1 : -1;
    int c = strcmp(x->k[0] ? x->k[0] : "", y->k[0] ? y->k[0] : "");
    return c ? c : strcmp(x->k[1] ? x->k[1] : "", y->k[1] ? y->k[1] : "");
}

static bool same_key(const pi_row *a, const pi_row *b, int ncols)
{
    for (int i = 0; i < ncols; i++)
        if (strcmp(a->k[i] ? a->k[i] : "", b->k[i] ? b->k[i] : "") != 0)
            return false;
    return true;
}

/* Every key of the group over the aligned range, highest load first. */
static int totals(const pictx *c, const groupby *gb, const pi_filter *f, int nf,
                  const range *rg, pi_row **out)
{
    int n = pi_store_query(c->r->st, c->rid, gb->g->cols, gb->g->ncols, f, nf, rg->astart,
                           rg->aend, rg->aend - rg->astart, out);
    if (n > 0)
        qsort(*out, (size_t)n, sizeof **out, cmp_total);
    return n;
}

/* ---- the operations ---- */

static void add_point(cJSON *pts, int64_t ts, double v)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "Timestamp", (double)ts);
    cJSON_AddNumberToObject(p, "Value", v);
    cJSON_AddItemToArray(pts, p);
}

/* One series: sums[nb] (session-seconds per period) as data points. */
static void add_series(cJSON *list, const char *metric, cJSON *dims, const int64_t *sums,
                       const range *rg, bool at_end, int64_t now_s)
{
    cJSON *m = cJSON_CreateObject();
    cJSON *key = cJSON_AddObjectToObject(m, "Key");
    cJSON_AddStringToObject(key, "Metric", metric);
    if (dims)
        cJSON_AddItemToObject(key, "Dimensions", dims);
    cJSON *pts = cJSON_AddArrayToObject(m, "DataPoints");
    for (int64_t b = 0; b < rg->nb; b++) {
        int64_t from = rg->astart + b * rg->period;
        if (from > now_s)
            break; /* nothing is known of the future */
        add_point(pts, at_end ? from + rg->period : from, (double)sums[b] / (double)rg->period);
    }
    cJSON_AddItemToArray(list, m);
}

/* One MetricQueries member into list. */
static bool metric_query(const pictx *c, const cJSON *mq, const range *rg, bool at_end,
                         cJSON *list, pie *e)
{
    const char *metric;
    if (!cJSON_IsObject(mq) || !get_str(mq, "Metric", true, &metric, e))
        return e->code != PIE_OK ? false : pie_set(e, PIE_INVALID, "MetricQueries: a map.");
    if (!metric_valid(metric) || !ends_with(metric, ".avg"))
        return pie_set(e, PIE_INVALID, "Metric %.64s is not served: db.load.avg or "
                       "db.sampledload.avg.", metric);
    groupby gb;
    pi_filter f[8];
    char ids[8][41];
    int nf;
    if (!read_groupby(mq, "GroupBy", false, &gb, e) || !read_filter(mq, f, &nf, ids, e))
        return false;
    int64_t *sums = xcalloc((size_t)rg->nb + 1, sizeof *sums);
    pi_row *rows = NULL;
    int n = pi_store_query(c->r->st, c->rid, NULL, 0, f, nf, rg->astart, rg->aend, rg->period,
                           &rows);
    for (int i = 0; i < n; i++)
        if (rows[i].bucket >= 0 && rows[i].bucket < rg->nb)
            sums[rows[i].bucket] += rows[i].sum;
    pi_rows_free(rows, n > 0 ? n : 0);
    add_series(list, metric, NULL, sums, rg, at_end, c->now_s);
    bool ok = n >= 0;
    if (ok && gb.g) {
        pi_row *top = NULL;
        int nt = totals(c, &gb, f, nf, rg, &top);
        n = pi_store_query(c->r->st, c->rid, gb.g->cols, gb.g->ncols, f, nf, rg->astart,
                           rg->aend, rg->period, &rows);
        ok = nt >= 0 && n >= 0;
        for (int k = 0; ok && k < nt && k < gb.limit; k++) {
            memset(sums, 0, (size_t)rg->nb * sizeof *sums);
            for (int i = 0; i < n; i++)
                if (same_key(&rows[i], &top[k], gb.g->ncols) && rows[i].bucket >= 0 &&
                    rows[i].bucket < rg->nb)
                    sums[rows[i].bucket] += rows[i].sum;
            add_series(list, metric, key_dims(c, &gb, &top[k]), sums, rg, at_end, c->now_s);
        }
        pi_rows_free(top, nt > 0 ? nt : 0);
        pi_rows_free(rows, n > 0 ? n : 0);
    }
    free(sums);
    return ok || pie_set(e, PIE_INTERNAL, "The request failed for an internal reason.");
}

static void add_aligned(cJSON *out, const range *rg)
{
    cJSON_AddNumberToObject(out, "AlignedStartTime", (double)rg->astart);
    cJSON_AddNumberToObject(out, "AlignedEndTime", (double)rg->aend);
}

static bool op_get_resource_metrics(pictx *c, const cJSON *in, cJSON *out, pie *e)
{
    range rg;
    const char *align;
    bool has;
    int64_t max_results = 0;
    if (!resolve(c, in, e) || !read_range(in, &rg, e) ||
        !get_str(in, "PeriodAlignment", false, &align, e) ||
        !get_int(in, "MaxResults", 0, 25, &max_results, &has, e))
        return false;
    if (align && strcmp(align, "END_TIME") != 0 && strcmp(align, "START_TIME") != 0)
        return pie_set(e, PIE_INVALID, "PeriodAlignment must be END_TIME or START_TIME.");
    const cJSON *mqs = cJSON_GetObjectItemCaseSensitive(in, "MetricQueries");
    if (!cJSON_IsArray(mqs) || cJSON_GetArraySize(mqs) < 1 || cJSON_GetArraySize(mqs) > 15)
        return pie_set(e, PIE_INVALID, "MetricQueries must list 1 to 15 queries.");
    add_aligned(out, &rg);
    cJSON_AddStringToObject(out, "Identifier", c->rid);
    cJSON *list = cJSON_AddArrayToObject(out, "MetricList");
    const cJSON *mq;
    cJSON_ArrayForEach(mq, mqs) {
        if (!metric_query(c, mq, &rg, !align || strcmp(align, "END_TIME") == 0, list, e))
            return false;
    }
    return true;
}

static bool op_describe_dimension_keys(pictx *c, const cJSON *in, cJSON *out, pie *e)
{
    range rg;
    const char *metric, *token;
    groupby gb;
    pi_filter f[8];
    char ids[8][41];
    int nf;
    int64_t max_results = 10;
    bool has;
    if (!resolve(c, in, e) || !read_range(in, &rg, e) ||
        !get_str(in, "Metric", true, &metric, e) ||
        !read_groupby(in, "GroupBy", true, &gb, e) || !read_filter(in, f, &nf, ids, e) ||
        !get_str(in, "NextToken", false, &token, e) ||
        !get_int(in, "MaxResults", 0, 25, &max_results, &has, e))
        return false;
    if (!metric_valid(metric))
        return pie_set(e, PIE_INVALID, "Metric %.64s is not served: db.load.avg or "
                       "db.sampledload.avg.", metric);
    const cJSON *pb = cJSON_GetObjectItemCaseSensitive(in, "PartitionBy");
    const cJSON *am = cJSON_GetObjectItemCaseSensitive(in, "AdditionalMetrics");
    if ((pb && !cJSON_IsNull(pb)) || (am && !cJSON_IsNull(am)))
        return pie_set(e, PIE_INVALID, "PartitionBy and AdditionalMetrics are not served.");
    if (!has || max_results == 0)
        max_results = 10;
    long long from = 0;
    if (token) {
        char *end = NULL;
        from = strtoll(token, &end, 10);
        if (!*token || *end || from < 0 || from > 1000000)
            return pie_set(e, PIE_INVALID, "NextToken is not valid.");
    }
    pi_row *rows = NULL;
    int n = totals(c, &gb, f, nf, &rg, &rows);
    if (n < 0)
        return pie_set(e, PIE_INTERNAL, "The request failed for an internal reason.");
    add_aligned(out, &rg);
    cJSON *keys = cJSON_AddArrayToObject(out, "Keys");
    double span = (double)(rg.aend - rg.astart);
    for (long long i = from; i < n && i < from + max_results; i++) {
        cJSON *k = cJSON_CreateObject();
        cJSON_AddItemToObject(k, "Dimensions", key_dims(c, &gb, &rows[i]));
        cJSON_AddNumberToObject(k, "Total", (double)rows[i].sum / span);
        cJSON_AddItemToArray(keys, k);
    }
    if (from + max_results < n) {
        char next[24];
        snprintf(next, sizeof next, "%lld", from + max_results);
        cJSON_AddStringToObject(out, "NextToken", next);
    }
    pi_rows_free(rows, n);
    return true;
}

static bool op_get_dimension_key_details(pictx *c, const cJSON *in, cJSON *out, pie *e)
{
    const char *group, *id;
    if (!resolve(c, in, e) || !get_str(in, "Group", true, &group, e) ||
        !get_str(in, "GroupIdentifier", true, &id, e))
        return false;
    if (strcmp(group, "db.sql") != 0)
        return pie_set(e, PIE_INVALID, "Group must be db.sql for RDS for PostgreSQL.");
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(in, "RequestedDimensions");
    if (req && !cJSON_IsNull(req)) {
        const cJSON *d;
        if (!cJSON_IsArray(req) || cJSON_GetArraySize(req) < 1 || cJSON_GetArraySize(req) > 10)
            return pie_set(e, PIE_INVALID, "RequestedDimensions must list 1 to 10.");
        cJSON_ArrayForEach(d, req) {
            if (!cJSON_IsString(d) || strcmp(d->valuestring, "statement") != 0)
                return pie_set(e, PIE_INVALID, "RequestedDimensions: only statement is served.");
        }
    }
    char *text = NULL, *qid = NULL;
    bool found = pi_store_sql_get(c->r->st, c->rid, id, &text, &qid);
    free(qid);
    if (!found) {
        free(text);
        return pie_set(e, PIE_INVALID, "No statement %.64s was sampled.", id);
    }
    cJSON *dims = cJSON_AddArrayToObject(out, "Dimensions");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "Value", text);
    cJSON_AddStringToObject(d, "Dimension", "db.sql.statement");
    cJSON_AddStringToObject(d, "Status", "AVAILABLE");
    cJSON_AddItemToArray(dims, d);
    free(text);
    return true;
}

static bool op_list_dimensions(pictx *c, const cJSON *in, cJSON *out, pie *e)
{
    if (!resolve(c, in, e))
        return false;
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(in, "Metrics");
    if (!cJSON_IsArray(ms) || cJSON_GetArraySize(ms) < 1 || cJSON_GetArraySize(ms) > 5)
        return pie_set(e, PIE_INVALID, "Metrics must list 1 to 5 metrics.");
    cJSON *list = cJSON_AddArrayToObject(out, "MetricDimensions");
    const cJSON *m;
    cJSON_ArrayForEach(m, ms) {
        if (!cJSON_IsString(m) || !metric_valid(m->valuestring))
            return pie_set(e, PIE_INVALID, "Metric %.64s has no dimensions here: db.load.",
                           cJSON_IsString(m) ? m->valuestring : "?");
        cJSON *md = cJSON_CreateObject();
        cJSON_AddStringToObject(md, "Metric", m->valuestring);
        cJSON *gs = cJSON_AddArrayToObject(md, "Groups");
        for (size_t g = 0; g < NGROUPS; g++) {
            cJSON *gd = cJSON_CreateObject();
            cJSON_AddStringToObject(gd, "Group", groups[g].group);
            cJSON *ds = cJSON_AddArrayToObject(gd, "Dimensions");
            for (int i = 0; groups[g].dims[i]; i++) {
                cJSON *d = cJSON_CreateObject();
                cJSON_AddStringToObject(d, "Identifier", groups[g].dims[i]);
                cJSON_AddItemToArray(ds, d);
            }
            cJSON_AddItemToArray(gs, gd);
        }
        cJSON_AddItemToArray(list, md);
    }
    return true;
}

static bool op_list_metrics(pictx *c, const cJSON *in, cJSON *out, pie *e)
{
    if (!resolve(c, in, e))
        return false;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(in, "MetricTypes");
    if (!cJSON_IsArray(ts) || cJSON_GetArraySize(ts) < 1)
        return pie_set(e, PIE_INVALID, "MetricTypes must list os or db.");
    const cJSON *t;
    cJSON_ArrayForEach(t, ts) {
        if (!cJSON_IsString(t) ||
            (strcmp(t->valuestring, "os") != 0 && strcmp(t->valuestring, "db") != 0))
            return pie_set(e, PIE_INVALID, "MetricTypes must list os or db.");
    }
    cJSON_AddArrayToObject(out, "Metrics"); /* no OS or database counters are served */
    return true;
}

static bool op_get_resource_metadata(pictx *c, const cJSON *in, cJSON *out, pie *e)
{
    if (!resolve(c, in, e))
        return false;
    cJSON_AddStringToObject(out, "Identifier", c->rid);
    cJSON_AddObjectToObject(out, "Features");
    return true;
}

typedef bool (*pi_op)(pictx *c, const cJSON *in, cJSON *out, pie *e);

static const struct {
    const char *name;
    pi_op fn;
} ops[] = {
    {"GetResourceMetrics", op_get_resource_metrics},
    {"DescribeDimensionKeys", op_describe_dimension_keys},
    {"GetDimensionKeyDetails", op_get_dimension_key_details},
    {"ListAvailableResourceDimensions", op_list_dimensions},
    {"ListAvailableResourceMetrics", op_list_metrics},
    {"GetResourceMetadata", op_get_resource_metadata},
};

bool pi_api_handle(region *r, const char *target, const char *body, size_t len, char **reply,
                   int *status)
{
    pie e = {0};
    cJSON *in = NULL, *out = NULL;
    const char *op = "(none)";
    pi_op fn = NULL;
    if (target && strncmp(target, PI_API_PREFIX, sizeof PI_API_PREFIX - 1) == 0) {
        op = target + sizeof PI_API_PREFIX - 1;
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
            if (strcmp(op, ops[i].name) == 0)
                fn = ops[i].fn;
    }
    if (!fn) {
        pie_set(&e, PIE_UNKNOWN_OP, "Unknown operation %.64s", op);
        goto done;
    }
    in = len ? cJSON_ParseWithLength(body, len) : cJSON_CreateObject();
    if (!cJSON_IsObject(in)) {
        pie_set(&e, PIE_INVALID, "The request body is not a JSON object.");
        goto done;
    }
    out = cJSON_CreateObject();
    pictx c = {.r = r};
    if (!fn(&c, in, out, &e) && e.code == PIE_OK)
        pie_set(&e, PIE_INTERNAL, "The request failed for an internal reason.");
done:
    if (e.code != PIE_OK) {
        cJSON_Delete(out);
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "__type", pie_name(e.code));
        cJSON_AddStringToObject(out, "Message", e.message);
        *status = e.code == PIE_INTERNAL ? 500 : 400;
    } else {
        *status = 200;
    }
    LOG_INFO("pi api op=%.64s status=%d code=%s", op, *status,
             e.code == PIE_OK ? "-" : pie_name(e.code));
    *reply = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    cJSON_Delete(in);
    return *status == 200;
}

double pi_dbload_minute(region *r, const char *rid, int64_t minute_s)
{
    pi_row *rows = NULL;
    int n = pi_store_query(r->st, rid, NULL, 0, NULL, 0, minute_s, minute_s + 60, 60, &rows);
    int64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += rows[i].sum;
    pi_rows_free(rows, n > 0 ? n : 0);
    return (double)sum / 60.0;
}
