/* cwmetrics: CloudWatch's metric operations (cloudwatch.h): PutMetricData,
 * GetMetricStatistics, GetMetricData, ListMetrics, on cwstore.h.
 *
 * Times are seconds on the region clock. Messages follow CloudWatch's where
 * they are known. Percentiles (ExtendedStatistics, a pNN Stat) are refused:
 * a stored point keeps SampleCount/Sum/Minimum/Maximum only, from which no
 * percentile can be computed honestly. */
#include "controlplane/obs/cloudwatch.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/cwstore.h"
#include "lib/util.h"

#define CW_MAX_DATUMS 1000
#define CW_MAX_VALUES 150
#define CW_GMS_MAX_POINTS 1440
#define CW_GMD_MAX_QUERIES 500
#define CW_LIST_PAGE 500

static const char *const cw_units[] = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None"};

static const char *const cw_stats[] = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"};

static int64_t cw_now_s(const region *r)
{
    return region_now_ms(r) / 1000;
}

/* The Unit member (NULL when absent), checked against StandardUnit. */
static bool cw_unit(const cJSON *o, const char *what, const char **unit, awserr *err)
{
    bool ok;
    *unit = cwreq_str(o, "Unit", false, err, &ok);
    if (!ok || !*unit)
        return ok;
    for (size_t i = 0; i < sizeof cw_units / sizeof cw_units[0]; i++)
        if (strcmp(*unit, cw_units[i]) == 0)
            return true;
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                      "The parameter %sUnit must be a value in the set [ %s ].", what,
                      "Seconds, Microseconds, Milliseconds, Bytes, Kilobytes, Megabytes, "
                      "Gigabytes, Terabytes, Bits, Kilobits, Megabits, Gigabits, Terabits, "
                      "Percent, Count, Bytes/Second, Kilobytes/Second, Megabytes/Second, "
                      "Gigabytes/Second, Terabytes/Second, Bits/Second, Kilobits/Second, "
                      "Megabits/Second, Gigabits/Second, Terabits/Second, Count/Second, None");
}

static bool cw_stat_name(const char *s)
{
    for (size_t i = 0; i < sizeof cw_stats / sizeof cw_stats[0]; i++)
        if (strcmp(s, cw_stats[i]) == 0)
            return true;
    return false;
}

static bool cw_refuse_percentile(awserr *err, const char *what)
{
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                      "%s: percentile statistics are not supported by this CloudWatch: it keeps "
                      "SampleCount, Sum, Minimum and Maximum per period, from which no "
                      "percentile can be computed honestly. Use SampleCount, Average, Sum, "
                      "Minimum or Maximum.", what);
}

/* A value CloudWatch accepts: finite, |v| within 2^360 (or 0). */
static bool cw_value_ok(double v)
{
    return isfinite(v) && (v == 0 || (fabs(v) <= 0x1p360 && fabs(v) >= 0x1p-260));
}

/* ---- PutMetricData ---- */

typedef struct {
    const char *name;
    char *dims;
    int64_t ts;
    cw_stat v;
} cw_datum;

/* One MetricData member (index i, 1-based) read into *d. */
static bool cw_datum_read(const cJSON *m, int i, int64_t now, cw_datum *d, awserr *err)
{
    char what[64];
    snprintf(what, sizeof what, "MetricData.member.%d.", i);
    bool ok, has_v, has_ts, has_sr;
    const char *name = cwreq_str(m, "MetricName", false, err, &ok);
    if (!ok)
        return false;
    if (!name || !*name || strlen(name) > 255)
        return awserr_set(err, name ? AWSERR_INVALID_PARAMETER_VALUE : AWSERR_MISSING_PARAMETER,
                          "The parameter %sMetricName is required and must be 1 to 255 "
                          "characters.", what);
    d->name = name;
    const cJSON *dl;
    snprintf(what, sizeof what, "MetricData.member.%d.Dimensions", i);
    if (!cwreq_list(m, "Dimensions", &dl, err) || !(d->dims = cwstore_dims_canon(dl, what, err)))
        return false;
    snprintf(what, sizeof what, "MetricData.member.%d.", i);
    d->ts = now;
    if (!cwreq_time(m, "Timestamp", &d->ts, &has_ts, err))
        return false;
    if (d->ts < now - 14 * 86400 || d->ts > now + 2 * 3600)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %sTimestamp must specify a time no more than two "
                          "weeks in the past and no more than two hours in the future.", what);
    int64_t sr = 60;
    if (!cwreq_i64(m, "StorageResolution", 1, 60, &sr, &has_sr, err))
        return false;
    if (sr != 1 && sr != 60)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %sStorageResolution must be 1 or 60.", what);
    const char *unit;
    if (!cw_unit(m, what, &unit, err))
        return false;
    snprintf(d->v.unit, sizeof d->v.unit, "%s", unit ? unit : "None");
    double value = 0;
    if (!cwreq_num(m, "Value", &value, &has_v, err))
        return false;
    const cJSON *sv = cJSON_GetObjectItemCaseSensitive(m, "StatisticValues");
    const cJSON *vals, *counts;
    if (!cwreq_list(m, "Values", &vals, err) || !cwreq_list(m, "Counts", &counts, err))
        return false;
    int kinds = has_v + (sv != NULL) + (vals != NULL);
    if (kinds != 1)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          kinds ? "The parameters %sValue, %sStatisticValues and %sValues are "
                                  "mutually exclusive and you have specified more than one."
                                : "One of the parameters %sValue, %sStatisticValues or %sValues "
                                  "must be specified.", what, what, what);
    if (counts && !vals)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "The parameter %sCounts requires %sValues.", what, what);
    if (has_v) {
        if (!cw_value_ok(value))
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The value %g for parameter %sValue is invalid.", value, what);
        d->v.n = 1;
        d->v.sum = d->v.min = d->v.max = value;
        return true;
    }
    if (sv) {
        if (!cJSON_IsObject(sv))
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The parameter %sStatisticValues must be a structure.", what);
        static const char *const f[] = {"SampleCount", "Sum", "Minimum", "Maximum"};
        double x[4];
        for (int k = 0; k < 4; k++) {
            bool here = false;
            if (!cwreq_num(sv, f[k], &x[k], &here, err))
                return false;
            if (!here)
                return awserr_set(err, AWSERR_MISSING_PARAMETER,
                                  "The parameter %sStatisticValues.%s is required.", what, f[k]);
            if (!cw_value_ok(x[k]))
                return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                                  "The value for parameter %sStatisticValues.%s is invalid.",
                                  what, f[k]);
        }
        if (x[0] <= 0 || x[2] > x[3])
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The parameter %sStatisticValues must have SampleCount > 0 and "
                              "Minimum <= Maximum.", what);
        d->v.n = x[0];
        d->v.sum = x[1];
        d->v.min = x[2];
        d->v.max = x[3];
        return true;
    }
    int nv = cJSON_GetArraySize(vals);
    if (nv > CW_MAX_VALUES || nv == 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %sValues must hold 1 to %d values.", what,
                          CW_MAX_VALUES);
    if (counts && cJSON_GetArraySize(counts) != nv)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameters %sValues and %sCounts must be of the same size.",
                          what, what);
    d->v.min = INFINITY;
    d->v.max = -INFINITY;
    for (int k = 0; k < nv; k++) {
        const cJSON *e = cJSON_GetArrayItem(vals, k);
        const cJSON *c = counts ? cJSON_GetArrayItem(counts, k) : NULL;
        double x = cJSON_IsNumber(e) ? e->valuedouble
                   : cJSON_IsString(e) ? strtod(e->valuestring, NULL) : NAN;
        double w = !c ? 1 : cJSON_IsNumber(c) ? c->valuedouble
                          : cJSON_IsString(c) ? strtod(c->valuestring, NULL) : NAN;
        if (!cw_value_ok(x) || !isfinite(w) || w < 0)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The parameter %sValues.member.%d (or its count) is invalid.",
                              what, k + 1);
        if (w == 0)
            continue;
        d->v.n += w;
        d->v.sum += x * w;
        d->v.min = fmin(d->v.min, x);
        d->v.max = fmax(d->v.max, x);
    }
    if (d->v.n <= 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter %sCounts must count at least one value.", what);
    return true;
}

bool cw_put_metric_data(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    (void)result;
    bool ok;
    const char *ns = cwreq_str(req, "Namespace", true, err, &ok);
    if (!ok)
        return false;
    if (strlen(ns) > 255)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter Namespace must be 1 to 255 characters.");
    if (strncmp(ns, "AWS/", 4) == 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The value %s for parameter Namespace is invalid.", ns);
    const cJSON *list;
    if (!cwreq_list(req, "MetricData", &list, err))
        return false;
    int n = list ? cJSON_GetArraySize(list) : 0;
    if (n == 0)
        return awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter MetricData is required.");
    if (n > CW_MAX_DATUMS)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The collection MetricData must not have a size greater than %d.",
                          CW_MAX_DATUMS);
    int64_t now = cw_now_s(r);
    cw_datum *d = xcalloc((size_t)n, sizeof *d);
    ok = true;
    for (int i = 0; ok && i < n; i++) {
        const cJSON *m = cJSON_GetArrayItem(list, i);
        ok = cJSON_IsObject(m)
                 ? cw_datum_read(m, i + 1, now, &d[i], err)
                 : awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The parameter MetricData.member.%d must be a structure.", i + 1);
    }
    if (ok && !store_begin(r->st))
        ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The metric store is unavailable.");
    else if (ok) {
        for (int i = 0; ok && i < n; i++)
            ok = cwstore_put(r->st, ns, d[i].name, d[i].dims, &d[i].v, d[i].ts);
        if (ok && store_commit(r->st)) {
            ok = true;
        } else {
            store_rollback(r->st);
            ok = awserr_set(err, AWSERR_INTERNAL_FAILURE, "The metric store failed.");
        }
    }
    for (int i = 0; i < n; i++)
        free(d[i].dims);
    free(d);
    return ok;
}

/* ---- reading ---- */

/* Namespace, MetricName and canonical Dimensions of a Metric structure
 * (prefix names it in messages). */
static bool cw_metric_read(const cJSON *m, const char *prefix, const char **ns,
                           const char **name, char **dims, awserr *err)
{
    bool ok;
    char what[96];
    *ns = cwreq_str(m, "Namespace", false, err, &ok);
    if (ok)
        *name = cwreq_str(m, "MetricName", false, err, &ok);
    if (!ok)
        return false;
    if (!*ns || !**ns || !*name || !**name)
        return awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter %s%s is required.",
                          prefix, !*ns || !**ns ? "Namespace" : "MetricName");
    const cJSON *dl;
    snprintf(what, sizeof what, "%sDimensions", prefix);
    return cwreq_list(m, "Dimensions", &dl, err) && (*dims = cwstore_dims_canon(dl, what, err));
}

/* StartTime/EndTime (both required) and Period (required when
 * need_period; 1, 5, 10, 30 or a multiple of 60 as CloudWatch). */
static bool cw_window(const cJSON *req, int64_t *start, int64_t *end, awserr *err)
{
    bool hs, he;
    if (!cwreq_time(req, "StartTime", start, &hs, err) ||
        !cwreq_time(req, "EndTime", end, &he, err))
        return false;
    if (!hs || !he)
        return awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter %s is required.",
                          hs ? "EndTime" : "StartTime");
    if (*start >= *end)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter StartTime must be less than the parameter EndTime.");
    return true;
}

static bool cw_period_ok(int64_t p, const char *what, awserr *err)
{
    if (p == 1 || p == 5 || p == 10 || p == 30 || (p >= 60 && p % 60 == 0))
        return true;
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                      "The parameter %s must be 1, 5, 10, 30 or a multiple of 60.", what);
}

static double cw_stat_value(const cw_stat *s, const char *stat)
{
    if (strcmp(stat, "SampleCount") == 0)
        return s->n;
    if (strcmp(stat, "Sum") == 0)
        return s->sum;
    if (strcmp(stat, "Minimum") == 0)
        return s->min;
    if (strcmp(stat, "Maximum") == 0)
        return s->max;
    return s->n > 0 ? s->sum / s->n : 0;
}

bool cw_get_metric_statistics(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    const char *ns, *name, *unit;
    char *dims = NULL;
    int64_t start, end, period = 0;
    bool has_p;
    const cJSON *stats, *ext;
    if (!cw_metric_read(req, "", &ns, &name, &dims, err))
        return false;
    bool ok = cw_window(req, &start, &end, err) &&
              cwreq_i64(req, "Period", 1, INT32_MAX, &period, &has_p, err) &&
              cwreq_list(req, "Statistics", &stats, err) &&
              cwreq_list(req, "ExtendedStatistics", &ext, err) && cw_unit(req, "", &unit, err);
    if (ok && !has_p)
        ok = awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter Period is required.");
    ok = ok && cw_period_ok(period, "Period", err);
    if (ok && ext && cJSON_GetArraySize(ext) > 0)
        ok = cw_refuse_percentile(err, "ExtendedStatistics");
    if (ok && (!stats || cJSON_GetArraySize(stats) == 0))
        ok = awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                        "Must specify either Statistics or ExtendedStatistics.");
    if (ok && cJSON_GetArraySize(stats) > 5)
        ok = awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                        "The collection Statistics must not have a size greater than 5.");
    const cJSON *s;
    int k = 0;
    if (ok)
        cJSON_ArrayForEach(s, stats) {
            k++;
            if (!cJSON_IsString(s) || !cw_stat_name(s->valuestring)) {
                ok = awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                                "The parameter Statistics.member.%d must be a value in the set "
                                "[ Average, Sum, SampleCount, Maximum, Minimum ].", k);
                break;
            }
        }
    cw_stat *pts = NULL;
    int n = ok ? cwstore_stats(r->st, ns, name, dims, unit, start, end, period, cw_now_s(r),
                               CW_GMS_MAX_POINTS, &pts, err)
               : -1;
    free(dims);
    if (n < 0)
        return false;
    cJSON_AddStringToObject(result, "Label", name);
    cJSON *dps = cJSON_AddArrayToObject(result, "Datapoints");
    for (int i = 0; i < n; i++) {
        cJSON *dp = cJSON_CreateObject();
        cJSON_AddItemToObject(dp, "Timestamp", cwproto_time((double)pts[i].ts));
        cJSON_ArrayForEach(s, stats)
            if (!cJSON_GetObjectItemCaseSensitive(dp, s->valuestring))
                cJSON_AddNumberToObject(dp, s->valuestring, cw_stat_value(&pts[i], s->valuestring));
        cJSON_AddStringToObject(dp, "Unit", pts[i].unit);
        cJSON_AddItemToArray(dps, dp);
    }
    free(pts);
    return true;
}

/* ---- GetMetricData ---- */

typedef struct {
    const char *id, *label, *stat, *unit, *ns, *name;
    char *dims;
    int64_t period;
    bool ret;
    cw_stat *pts;
    int n;
} cw_query;

static bool cw_query_read(const cJSON *q, int i, cw_query *out, awserr *err)
{
    char what[96];
    bool ok, here;
    out->ret = true;
    out->id = cwreq_str(q, "Id", false, err, &ok);
    if (!ok)
        return false;
    if (!out->id || !*out->id)
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The parameter MetricDataQueries.member.%d.Id is required.", i);
    const char *c = out->id;
    bool good = *c >= 'a' && *c <= 'z' && strlen(c) <= 255;
    for (c++; good && *c; c++)
        good = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
               (*c >= '0' && *c <= '9') || *c == '_';
    if (!good)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The value %.255s for parameter MetricDataQueries.member.%d.Id is "
                          "invalid: it must start with a lowercase letter and hold only "
                          "letters, digits and underscores.", out->id, i);
    out->label = cwreq_str(q, "Label", false, err, &ok);
    if (!ok || !cwreq_bool(q, "ReturnData", &out->ret, &here, err))
        return false;
    if (cJSON_GetObjectItemCaseSensitive(q, "Expression"))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "MetricDataQueries.member.%d.Expression: metric math and Metrics "
                          "Insights expressions are not supported by this CloudWatch; use a "
                          "MetricStat query.", i);
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(q, "MetricStat");
    if (!cJSON_IsObject(ms))
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The parameter MetricDataQueries.member.%d.MetricStat is required.",
                          i);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(ms, "Metric");
    snprintf(what, sizeof what, "MetricDataQueries.member.%d.MetricStat.Metric.", i);
    if (!cJSON_IsObject(m))
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The parameter MetricDataQueries.member.%d.MetricStat.Metric is "
                          "required.", i);
    if (!cw_metric_read(m, what, &out->ns, &out->name, &out->dims, err))
        return false;
    snprintf(what, sizeof what, "MetricDataQueries.member.%d.MetricStat.", i);
    out->stat = cwreq_str(ms, "Stat", false, err, &ok);
    if (!ok || !cwreq_i64(ms, "Period", 1, INT32_MAX, &out->period, &here, err))
        return false;
    if (!here || !out->stat || !*out->stat)
        return awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter %s%s is required.",
                          what, here ? "Stat" : "Period");
    if (out->stat[0] == 'p' || out->stat[0] == 't' || out->stat[0] == 'w')
        return cw_refuse_percentile(err, "Stat");
    if (!cw_stat_name(out->stat))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The value %.100s for parameter %sStat is invalid.", out->stat, what);
    snprintf(what, sizeof what, "MetricDataQueries.member.%d.MetricStat.Period", i);
    if (!cw_period_ok(out->period, what, err))
        return false;
    snprintf(what, sizeof what, "MetricDataQueries.member.%d.MetricStat.", i);
    return cw_unit(ms, what, &out->unit, err);
}

/* NextToken "gmd1.<query>.<point>" (ours); false on anything else. */
static bool cw_token_parse(const char *t, int nq, int *qi, int *pi)
{
    char tail;
    return sscanf(t, "gmd1.%d.%d%c", qi, pi, &tail) == 2 && *qi >= 0 && *qi < nq && *pi >= 0;
}

static void cw_query_result(cJSON *results, const cw_query *q, int from, int take,
                            bool descending, bool partial)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Id", q->id);
    cJSON_AddStringToObject(o, "Label", q->label ? q->label : q->name);
    cJSON *ts = cJSON_AddArrayToObject(o, "Timestamps");
    cJSON *vs = cJSON_AddArrayToObject(o, "Values");
    for (int k = from; k < from + take; k++) {
        const cw_stat *p = &q->pts[descending ? q->n - 1 - k : k];
        cJSON_AddItemToArray(ts, cwproto_time((double)p->ts));
        cJSON_AddItemToArray(vs, cJSON_CreateNumber(cw_stat_value(p, q->stat)));
    }
    cJSON_AddStringToObject(o, "StatusCode", partial ? "PartialData" : "Complete");
    cJSON_AddArrayToObject(o, "Messages");
    cJSON_AddItemToArray(results, o);
}

/* Points of one query: with a Unit, that unit's; without, every unit's
 * merged per period (a GetMetricData series has one value per time). */
static bool cw_query_fetch(region *r, cw_query *q, int64_t start, int64_t end, awserr *err)
{
    cw_stat *raw = NULL;
    int n = cwstore_stats(r->st, q->ns, q->name, q->dims, q->unit, start, end, q->period,
                          cw_now_s(r), CWSTORE_MAX_POINTS, &raw, err);
    if (n < 0)
        return false;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (k > 0 && raw[k - 1].ts == raw[i].ts) {
            raw[k - 1].n += raw[i].n;
            raw[k - 1].sum += raw[i].sum;
            raw[k - 1].min = fmin(raw[k - 1].min, raw[i].min);
            raw[k - 1].max = fmax(raw[k - 1].max, raw[i].max);
        } else {
            raw[k++] = raw[i];
        }
    }
    q->pts = raw;
    q->n = k;
    return true;
}

static bool cw_gmd_args(const cJSON *req, const cJSON **list, int64_t *start, int64_t *end,
                        bool *desc, int64_t *maxdp, awserr *err)
{
    bool ok, here;
    if (!cwreq_list(req, "MetricDataQueries", list, err) || !cw_window(req, start, end, err))
        return false;
    int nq = *list ? cJSON_GetArraySize(*list) : 0;
    if (nq == 0)
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The parameter MetricDataQueries is required.");
    if (nq > CW_GMD_MAX_QUERIES)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The collection MetricDataQueries must not have a size greater than "
                          "%d.", CW_GMD_MAX_QUERIES);
    const char *scan = cwreq_str(req, "ScanBy", false, err, &ok);
    if (!ok)
        return false;
    if (scan && strcmp(scan, "TimestampDescending") != 0 &&
        strcmp(scan, "TimestampAscending") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter ScanBy must be a value in the set [ "
                          "TimestampDescending, TimestampAscending ].");
    *desc = !scan || strcmp(scan, "TimestampDescending") == 0;
    *maxdp = CWSTORE_MAX_POINTS;
    return cwreq_i64(req, "MaxDatapoints", 1, INT32_MAX, maxdp, &here, err);
}

bool cw_get_metric_data(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    const cJSON *list;
    int64_t start = 0, end = 0, maxdp = 0;
    bool desc = true, ok;
    if (!cw_gmd_args(req, &list, &start, &end, &desc, &maxdp, err))
        return false;
    int nq = cJSON_GetArraySize(list), q0 = 0, p0 = 0;
    const char *tok = cwreq_str(req, "NextToken", false, err, &ok);
    if (!ok)
        return false;
    if (tok && *tok && !cw_token_parse(tok, nq, &q0, &p0))
        return awserr_set(err, AWSERR_CW_INVALID_NEXT_TOKEN, "The NextToken is invalid.");
    cw_query *qs = xcalloc((size_t)nq, sizeof *qs);
    for (int i = 0; ok && i < nq; i++) {
        const cJSON *q = cJSON_GetArrayItem(list, i);
        ok = cJSON_IsObject(q) ? cw_query_read(q, i + 1, &qs[i], err)
                               : awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                                            "MetricDataQueries.member.%d must be a structure.",
                                            i + 1);
        for (int j = 0; ok && j < i; j++)
            if (strcmp(qs[j].id, qs[i].id) == 0)
                ok = awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                                "The values for parameter id in MetricDataQueries are not "
                                "unique: %.255s.", qs[i].id);
    }
    /* One bound for the whole call (CloudWatch's 100,800 data points per
     * GetMetricData), checked before anything is read. */
    int64_t total = 0;
    for (int i = 0; ok && i < nq; i++)
        total += (end - start + qs[i].period - 1) / qs[i].period;
    if (ok && total > CWSTORE_MAX_POINTS)
        ok = awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                        "You have requested up to %lld datapoints, which exceeds the limit of "
                        "%d for one GetMetricData call. Increase Period, narrow the time range "
                        "or query fewer metrics.", (long long)total, CWSTORE_MAX_POINTS);
    for (int i = 0; ok && i < nq; i++)
        ok = cw_query_fetch(r, &qs[i], start, end, err);
    if (ok) {
        cJSON *results = cJSON_AddArrayToObject(result, "MetricDataResults");
        int64_t budget = maxdp;
        for (int i = q0; i < nq; i++) {
            cw_query *q = &qs[i];
            int from = i == q0 ? (p0 < q->n ? p0 : q->n) : 0;
            int take = q->n - from;
            if (take > budget)
                take = (int)budget;
            bool partial = from + take < q->n;
            if (q->ret)
                cw_query_result(results, q, from, take, desc, partial);
            budget -= take;
            if (partial) {
                char t[48];
                snprintf(t, sizeof t, "gmd1.%d.%d", i, from + take);
                cJSON_AddStringToObject(result, "NextToken", t);
                break;
            }
        }
        cJSON_AddArrayToObject(result, "Messages");
    }
    for (int i = 0; i < nq; i++) {
        free(qs[i].dims);
        free(qs[i].pts);
    }
    free(qs);
    return ok;
}

/* ---- ListMetrics ---- */

/* Whether canonical dims hold every filter {Name[, Value]}. */
static bool cw_dims_match(const char *dims, const cJSON *filters)
{
    if (!filters)
        return true;
    cJSON *have = cJSON_Parse(dims);
    bool all = true;
    const cJSON *f;
    cJSON_ArrayForEach(f, filters) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(f, "Name");
        const cJSON *fv = cJSON_GetObjectItemCaseSensitive(f, "Value");
        bool hit = false;
        const cJSON *d;
        cJSON_ArrayForEach(d, have) {
            const cJSON *dn = cJSON_GetObjectItemCaseSensitive(d, "Name");
            const cJSON *dv = cJSON_GetObjectItemCaseSensitive(d, "Value");
            if (cJSON_IsString(fn) && strcmp(dn->valuestring, fn->valuestring) == 0 &&
                (!cJSON_IsString(fv) || strcmp(dv->valuestring, fv->valuestring) == 0))
                hit = true;
        }
        all = all && hit;
    }
    cJSON_Delete(have);
    return all;
}

bool cw_list_metrics(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    bool ok;
    const char *ns = cwreq_str(req, "Namespace", false, err, &ok);
    const char *name = ok ? cwreq_str(req, "MetricName", false, err, &ok) : NULL;
    const char *tok = ok ? cwreq_str(req, "NextToken", false, err, &ok) : NULL;
    const char *recent = ok ? cwreq_str(req, "RecentlyActive", false, err, &ok) : NULL;
    const cJSON *filters = NULL;
    if (!ok || !cwreq_list(req, "Dimensions", &filters, err))
        return false;
    if (filters && cJSON_GetArraySize(filters) > 10)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The collection Dimensions must not have a size greater than 10.");
    const cJSON *f;
    int k = 0;
    cJSON_ArrayForEach(f, filters) {
        k++;
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(f, "Name");
        const cJSON *fv = cJSON_GetObjectItemCaseSensitive(f, "Value");
        if (!cJSON_IsString(fn) || !fn->valuestring[0] || (fv && !cJSON_IsString(fv)))
            return awserr_set(err, AWSERR_MISSING_PARAMETER,
                              "The parameter Dimensions.member.%d.Name is required.", k);
    }
    if (recent && strcmp(recent, "PT3H") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter RecentlyActive must be a value in the set [ PT3H ].");
    int64_t after = 0;
    if (tok && *tok) {
        char *end;
        after = strtoll(tok, &end, 10);
        if (*end || after < 0)
            return awserr_set(err, AWSERR_CW_INVALID_NEXT_TOKEN, "The NextToken is invalid.");
    }
    int64_t now = cw_now_s(r);
    int64_t since = now - (recent ? 3 * 3600 : 14 * 86400);
    cJSON *out = cJSON_AddArrayToObject(result, "Metrics");
    int got = 0;
    bool more = true;
    while (more && got < CW_LIST_PAGE) {
        cw_metric *m = NULL;
        int n = cwstore_list(r->st, ns, name, after, since, CW_LIST_PAGE, &m);
        if (n < 0)
            return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The metric store failed.");
        more = n == CW_LIST_PAGE;
        for (int i = 0; i < n && got < CW_LIST_PAGE; i++) {
            after = m[i].id;
            if (!cw_dims_match(m[i].dims, filters))
                continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "Namespace", m[i].ns);
            cJSON_AddStringToObject(o, "MetricName", m[i].name);
            cJSON *d = cJSON_Parse(m[i].dims);
            cJSON_AddItemToObject(o, "Dimensions", d ? d : cJSON_CreateArray());
            cJSON_AddItemToArray(out, o);
            got++;
        }
    }
    if (got == CW_LIST_PAGE) { /* the next page may be empty, as CloudWatch's may */
        char t[32];
        snprintf(t, sizeof t, "%lld", (long long)after);
        cJSON_AddStringToObject(result, "NextToken", t);
    }
    return true;
}
