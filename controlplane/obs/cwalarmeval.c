/* cwalarmeval: an alarm's evaluation and the texts CloudWatch writes
 * about it (cwalarm.h), as pure functions: no store, no clock.
 *
 * Reason texts follow CloudWatch's:
 *   Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (03/06/15
 *   17:43:00)] was greater than the threshold (0.0) (minimum 1 datapoint
 *   for OK -> ALARM transition).
 *   Threshold Crossed: no datapoints were received for 2 periods and 2
 *   missing datapoints were treated as [NonBreaching].
 *   Insufficient Data: 3 datapoints were unknown.
 * Datapoint times are dd/mm/yy HH:MM:SS (UTC), as in CloudWatch's own
 * example; numbers as Java prints a double (cwa_fmt_double). */
#include "controlplane/obs/cwalarm.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

static const char *const cwa_state_names[CWA_STATE_COUNT] = {"OK", "ALARM",
                                                             "INSUFFICIENT_DATA"};
static const char *const cwa_op_names[CWA_OP_COUNT] = {
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
    "LessThanOrEqualToThreshold"};
static const char *const cwa_op_words[CWA_OP_COUNT] = {
    "greater than or equal to", "greater than", "less than", "less than or equal to"};
static const char *const cwa_tmd_names[CWA_TMD_COUNT] = {"missing", "notBreaching",
                                                         "breaching", "ignore"};

const char *cwa_state_name(cwa_state s)
{
    return (unsigned)s < CWA_STATE_COUNT ? cwa_state_names[s] : "(invalid)";
}

bool cwa_state_parse(const char *s, cwa_state *out)
{
    for (int i = 0; s && i < CWA_STATE_COUNT; i++)
        if (strcmp(s, cwa_state_names[i]) == 0) {
            *out = (cwa_state)i;
            return true;
        }
    return false;
}

const char *cwa_op_name(cwa_op op)
{
    return (unsigned)op < CWA_OP_COUNT ? cwa_op_names[op] : "(invalid)";
}

bool cwa_op_parse(const char *s, cwa_op *out)
{
    for (int i = 0; s && i < CWA_OP_COUNT; i++)
        if (strcmp(s, cwa_op_names[i]) == 0) {
            *out = (cwa_op)i;
            return true;
        }
    return false;
}

const char *cwa_tmd_name(cwa_tmd t)
{
    return (unsigned)t < CWA_TMD_COUNT ? cwa_tmd_names[t] : "(invalid)";
}

bool cwa_tmd_parse(const char *s, cwa_tmd *out)
{
    for (int i = 0; s && i < CWA_TMD_COUNT; i++)
        if (strcmp(s, cwa_tmd_names[i]) == 0) {
            *out = (cwa_tmd)i;
            return true;
        }
    return false;
}

bool cwa_breaches(const cwa_rule *rule, double v)
{
    switch (rule->op) {
    case CWA_GE: return v >= rule->threshold;
    case CWA_GT: return v > rule->threshold;
    case CWA_LT: return v < rule->threshold;
    case CWA_LE: return v <= rule->threshold;
    default: return false;
    }
}

void cwa_fmt_double(double v, char *buf, size_t size)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "%s", isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (v == 0) {
        snprintf(buf, size, "%s", signbit(v) ? "-0.0" : "0.0");
        return;
    }
    /* The shortest %e form that reads back as v: its digits and exponent. */
    char e[40];
    for (int p = 0; p < 17; p++) {
        snprintf(e, sizeof e, "%.*e", p, fabs(v));
        if (strtod(e, NULL) == fabs(v))
            break;
    }
    char digits[24];
    size_t nd = 0;
    const char *c = e;
    for (; *c && *c != 'e' && nd + 1 < sizeof digits; c++)
        if (*c >= '0' && *c <= '9')
            digits[nd++] = *c;
    digits[nd] = '\0';
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    int exp = *c == 'e' ? atoi(c + 1) : 0;
    const char *sign = v < 0 ? "-" : "";
    double a = fabs(v);
    if (a >= 1e-3 && a < 1e7) {
        char out[64];
        size_t o = 0;
        if (exp >= 0) {
            for (int i = 0; i <= exp; i++)
                out[o++] = (size_t)i < nd ? digits[i] : '0';
            out[o++] = '.';
            if ((size_t)exp + 1 >= nd)
                out[o++] = '0';
            for (size_t i = (size_t)exp + 1; i < nd; i++)
                out[o++] = digits[i];
        } else {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -exp - 1; i++)
                out[o++] = '0';
            for (size_t i = 0; i < nd; i++)
                out[o++] = digits[i];
        }
        out[o] = '\0';
        snprintf(buf, size, "%s%s", sign, out);
    } else {
        snprintf(buf, size, "%s%c.%sE%d", sign, digits[0], nd > 1 ? digits + 1 : "0", exp);
    }
}

void cwa_fmt_time_ms(int64_t ms, char *buf, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* "1234.0 (03/06/15 17:43:00)" */
static void cwa_fmt_point(const cwa_point *p, char *buf, size_t size)
{
    char v[40];
    cwa_fmt_double(p->value, v, sizeof v);
    time_t t = (time_t)p->ts;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, size, "%s (%02d/%02d/%02d %02d:%02d:%02d)", v, tm.tm_mday, tm.tm_mon + 1,
             tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The reason of a threshold evaluation that gave `to` from `from`. */
static char *cwa_reason(const cwa_rule *rule, const cwa_point *pts, const cwa_result *res,
                        cwa_state from, cwa_state to)
{
    if (to == CWA_INSUFFICIENT)
        return xasprintf("Insufficient Data: %d datapoint%s %s unknown.", res->missing,
                         res->missing == 1 ? "" : "s", res->missing == 1 ? "was" : "were");
    bool filled = rule->tmd == CWA_BREACHING || rule->tmd == CWA_NOT_BREACHING;
    if (res->present == 0)
        return xasprintf("Threshold Crossed: no datapoints were received for %d period%s and "
                         "%d missing datapoint%s %s treated as [%s].",
                         rule->n, rule->n == 1 ? "" : "s", res->missing,
                         res->missing == 1 ? "" : "s", res->missing == 1 ? "was" : "were",
                         rule->tmd == CWA_BREACHING ? "Breaching" : "NonBreaching");
    /* The datapoints that decided: breaching ones for ALARM, the others for OK. */
    bool want = to == CWA_ALARM;
    size_t cap = 2048, len = 0;
    char *list = xmalloc(cap);
    list[0] = '\0';
    int shown = 0;
    for (int i = 0; i < rule->n; i++) {
        if (!pts[i].present || cwa_breaches(rule, pts[i].value) != want)
            continue;
        char p[96];
        cwa_fmt_point(&pts[i], p, sizeof p);
        int w = snprintf(list + len, cap - len, "%s%s", shown ? ", " : "", p);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
        shown++;
    }
    int total = filled ? rule->n : res->present;
    int counted = want ? res->breaching : total - res->breaching;
    int minimum = want ? res->need : (filled ? rule->n - rule->m + 1 : 1);
    if (minimum < 1)
        minimum = 1;
    char th[40];
    cwa_fmt_double(rule->threshold, th, sizeof th);
    char *missing_note = NULL;
    if (filled && res->missing > 0)
        missing_note = xasprintf(" and %d missing datapoint%s %s treated as [%s]",
                                 res->missing, res->missing == 1 ? "" : "s",
                                 res->missing == 1 ? "was" : "were",
                                 rule->tmd == CWA_BREACHING ? "Breaching" : "NonBreaching");
    char *out = xasprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s %s%s the "
                          "threshold (%s)%s (minimum %d datapoint%s for %s -> %s transition).",
                          counted, total, list, counted == 1 ? "was" : "were", want ? "" : "not ",
                          cwa_op_words[rule->op], th, missing_note ? missing_note : "", minimum,
                          minimum == 1 ? "" : "s", cwa_state_name(from), cwa_state_name(to));
    free(missing_note);
    free(list);
    return out;
}

/* StateReasonData: what was queried and what was evaluated. */
static char *cwa_reason_data(const cwa_rule *rule, const cwa_point *pts, int64_t query_ms)
{
    cJSON *d = cJSON_CreateObject();
    char t[40], v[40];
    cJSON_AddStringToObject(d, "version", "1.0");
    cwa_fmt_time_ms(query_ms, t, sizeof t);
    cJSON_AddStringToObject(d, "queryDate", t);
    int64_t start = rule->n > 0 ? pts[rule->n - 1].ts : query_ms / 1000;
    cwa_fmt_time_ms(start * 1000, t, sizeof t);
    cJSON_AddStringToObject(d, "startDate", t);
    cJSON_AddStringToObject(d, "statistic", rule->statistic ? rule->statistic : "Average");
    cJSON_AddNumberToObject(d, "period", (double)rule->period);
    cJSON *recent = cJSON_AddArrayToObject(d, "recentDatapoints");
    for (int i = rule->n - 1; i >= 0; i--)
        if (pts[i].present) {
            cwa_fmt_double(pts[i].value, v, sizeof v);
            cJSON_AddItemToArray(recent, cJSON_CreateRaw(v));
        }
    cwa_fmt_double(rule->threshold, v, sizeof v);
    cJSON_AddRawToObject(d, "threshold", v);
    cJSON *ev = cJSON_AddArrayToObject(d, "evaluatedDatapoints");
    for (int i = 0; i < rule->n; i++) {
        cJSON *e = cJSON_CreateObject();
        cwa_fmt_time_ms(pts[i].ts * 1000, t, sizeof t);
        cJSON_AddStringToObject(e, "timestamp", t);
        if (pts[i].present) {
            cwa_fmt_double(pts[i].n, v, sizeof v);
            cJSON_AddRawToObject(e, "sampleCount", v);
            cwa_fmt_double(pts[i].value, v, sizeof v);
            cJSON_AddRawToObject(e, "value", v);
        }
        cJSON_AddItemToArray(ev, e);
    }
    char *out = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    return out;
}

void cwa_evaluate(const cwa_rule *rule, const cwa_point *pts, cwa_state cur, int64_t query_ms,
                  cwa_result *res)
{
    memset(res, 0, sizeof *res);
    int bad = 0;
    for (int i = 0; i < rule->n; i++) {
        if (!pts[i].present)
            res->missing++;
        else {
            res->present++;
            bad += cwa_breaches(rule, pts[i].value);
        }
    }
    if (rule->tmd == CWA_BREACHING || rule->tmd == CWA_NOT_BREACHING) {
        res->breaching = bad + (rule->tmd == CWA_BREACHING ? res->missing : 0);
        res->need = rule->m;
        res->state = res->breaching >= rule->m ? CWA_ALARM : CWA_OK;
    } else if (res->present == 0) {
        res->need = rule->m;
        res->state = rule->tmd == CWA_MISSING ? CWA_INSUFFICIENT : cur;
    } else {
        res->breaching = bad;
        res->need = rule->m < res->present ? rule->m : res->present;
        res->state = bad >= res->need ? CWA_ALARM : CWA_OK;
    }
    res->reason = res->state == cur && rule->tmd == CWA_IGNORE && res->present == 0
                      ? xasprintf("Insufficient Data: %d datapoint%s %s unknown; the state is "
                                  "kept (TreatMissingData ignore).", res->missing,
                                  res->missing == 1 ? "" : "s",
                                  res->missing == 1 ? "was" : "were")
                      : cwa_reason(rule, pts, res, cur, res->state);
    res->reason_data = cwa_reason_data(rule, pts, query_ms);
}

void cwa_result_free(cwa_result *res)
{
    free(res->reason);
    free(res->reason_data);
    res->reason = res->reason_data = NULL;
}

static const struct {
    const char *code, *name;
} cwa_regions[] = {
    {"us-east-1", "US East (N. Virginia)"},   {"us-east-2", "US East (Ohio)"},
    {"us-west-1", "US West (N. California)"}, {"us-west-2", "US West (Oregon)"},
    {"ca-central-1", "Canada (Central)"},     {"eu-west-1", "EU (Ireland)"},
    {"eu-west-2", "EU (London)"},             {"eu-west-3", "EU (Paris)"},
    {"eu-central-1", "EU (Frankfurt)"},       {"eu-north-1", "EU (Stockholm)"},
    {"eu-south-1", "EU (Milan)"},             {"ap-south-1", "Asia Pacific (Mumbai)"},
    {"ap-northeast-1", "Asia Pacific (Tokyo)"}, {"ap-northeast-2", "Asia Pacific (Seoul)"},
    {"ap-northeast-3", "Asia Pacific (Osaka)"}, {"ap-southeast-1", "Asia Pacific (Singapore)"},
    {"ap-southeast-2", "Asia Pacific (Sydney)"}, {"ap-east-1", "Asia Pacific (Hong Kong)"},
    {"sa-east-1", "South America (Sao Paulo)"}, {"me-south-1", "Middle East (Bahrain)"},
    {"af-south-1", "Africa (Cape Town)"},
};

const char *cwa_region_long_name(const char *code)
{
    for (size_t i = 0; code && i < sizeof cwa_regions / sizeof cwa_regions[0]; i++)
        if (strcmp(code, cwa_regions[i].code) == 0)
            return cwa_regions[i].name;
    return code ? code : "";
}

void cwa_subject(cwa_state s, const char *name, const char *region_long, char *buf,
                 size_t size)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s: \"%s\" in %s", cwa_state_name(s), name, region_long);
    size_t n = strlen(tmp);
    if (n > 100) {
        n = 100;
        while (n > 0 && ((unsigned char)tmp[n] & 0xC0) == 0x80)
            n--; /* never cut a UTF-8 sequence */
        tmp[n] = '\0';
    }
    snprintf(buf, size, "%s", tmp);
}

/* A string member of cfg, or JSON null. */
static cJSON *cwa_str_or_null(const cJSON *cfg, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, name);
    return cJSON_IsString(v) ? cJSON_CreateString(v->valuestring) : cJSON_CreateNull();
}

static cJSON *cwa_list_copy(const cJSON *cfg, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, name);
    return cJSON_IsArray(v) ? cJSON_Duplicate(v, 1) : cJSON_CreateArray();
}

static double cwa_num(const cJSON *cfg, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static cJSON *cwa_trigger(const cJSON *cfg)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddItemToObject(t, "MetricName", cwa_str_or_null(cfg, "MetricName"));
    cJSON_AddItemToObject(t, "Namespace", cwa_str_or_null(cfg, "Namespace"));
    cJSON_AddStringToObject(t, "StatisticType", "Statistic");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(cfg, "Statistic");
    char up[32] = "";
    for (size_t i = 0; cJSON_IsString(st) && st->valuestring[i] && i + 1 < sizeof up; i++)
        up[i] = (char)(st->valuestring[i] >= 'a' && st->valuestring[i] <= 'z'
                           ? st->valuestring[i] - 32 : st->valuestring[i]);
    cJSON_AddStringToObject(t, "Statistic", up);
    cJSON_AddItemToObject(t, "Unit", cwa_str_or_null(cfg, "Unit"));
    cJSON *dims = cJSON_AddArrayToObject(t, "Dimensions");
    const cJSON *d, *dl = cJSON_GetObjectItemCaseSensitive(cfg, "Dimensions");
    cJSON_ArrayForEach(d, dl)
    {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "value", cwa_str_or_null(d, "Value"));
        cJSON_AddItemToObject(o, "name", cwa_str_or_null(d, "Name"));
        cJSON_AddItemToArray(dims, o);
    }
    cJSON_AddNumberToObject(t, "Period", cwa_num(cfg, "Period"));
    cJSON_AddNumberToObject(t, "EvaluationPeriods", cwa_num(cfg, "EvaluationPeriods"));
    cJSON_AddNumberToObject(t, "DatapointsToAlarm", cwa_num(cfg, "DatapointsToAlarm"));
    cJSON_AddItemToObject(t, "ComparisonOperator", cwa_str_or_null(cfg, "ComparisonOperator"));
    char th[40];
    cwa_fmt_double(cwa_num(cfg, "Threshold"), th, sizeof th);
    cJSON_AddRawToObject(t, "Threshold", th);
    const cJSON *tmd = cJSON_GetObjectItemCaseSensitive(cfg, "TreatMissingData");
    char tm[64];
    snprintf(tm, sizeof tm, "- TreatMissingData:                    %s",
             cJSON_IsString(tmd) ? tmd->valuestring : "missing");
    cJSON_AddStringToObject(t, "TreatMissingData", tm);
    cJSON_AddStringToObject(t, "EvaluateLowSampleCountPercentile", "");
    return t;
}

char *cwa_message(const cJSON *cfg, const char *alarm_arn, const char *account,
                  const char *region_long, cwa_state old, cwa_state now, const char *reason,
                  int64_t change_ms)
{
    cJSON *m = cJSON_CreateObject();
    char t[40];
    cJSON_AddItemToObject(m, "AlarmName", cwa_str_or_null(cfg, "AlarmName"));
    cJSON_AddItemToObject(m, "AlarmDescription", cwa_str_or_null(cfg, "AlarmDescription"));
    cJSON_AddStringToObject(m, "AWSAccountId", account);
    cJSON_AddStringToObject(m, "NewStateValue", cwa_state_name(now));
    cJSON_AddStringToObject(m, "NewStateReason", reason ? reason : "");
    cwa_fmt_time_ms(change_ms, t, sizeof t);
    cJSON_AddStringToObject(m, "StateChangeTime", t);
    cJSON_AddStringToObject(m, "Region", region_long);
    cJSON_AddStringToObject(m, "AlarmArn", alarm_arn);
    cJSON_AddStringToObject(m, "OldStateValue", cwa_state_name(old));
    cJSON_AddItemToObject(m, "OKActions", cwa_list_copy(cfg, "OKActions"));
    cJSON_AddItemToObject(m, "AlarmActions", cwa_list_copy(cfg, "AlarmActions"));
    cJSON_AddItemToObject(m, "InsufficientDataActions",
                          cwa_list_copy(cfg, "InsufficientDataActions"));
    cJSON_AddItemToObject(m, "Trigger", cwa_trigger(cfg));
    char *out = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    return out;
}
