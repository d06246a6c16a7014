/* cwalarm: alarms in the store, the operations that change them, their
 * evaluation and the transition that runs their actions (cwalarm.h). */
#include "controlplane/obs/cwalarm.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/notify/sns.h"
#include "controlplane/obs/cloudwatch.h"
#include "controlplane/obs/cwstore.h"
#include "lib/log.h"
#include "lib/util.h"

#define CWA_MAX_NAMES 100
#define CWA_MAX_WINDOW_S (7LL * 86400)
#define CWA_TICK_BATCH 500

static const char *const cwa_action_lists[CWA_STATE_COUNT] = {"OKActions", "AlarmActions",
                                                              "InsufficientDataActions"};

/* ---- rows ---- */

char *cwalarm_arn(const region *r, const char *name)
{
    return xasprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", r->cfg.name, r->cfg.account, name);
}

void cwa_alarm_free(cwa_alarm *a)
{
    free(a->name);
    cJSON_Delete(a->cfg);
    free(a->reason);
    free(a->reason_data);
    memset(a, 0, sizeof *a);
}

bool cwalarm_row(sqlite3_stmt *st, cwa_alarm *a)
{
    memset(a, 0, sizeof *a);
    a->name = sqlrow_text(st, 0);
    const char *cfg = (const char *)sqlite3_column_text(st, 1);
    a->cfg = cfg ? cJSON_Parse(cfg) : NULL;
    char *state = sqlrow_text(st, 2);
    bool ok = a->name && cJSON_IsObject(a->cfg) && cwa_state_parse(state, &a->state);
    free(state);
    a->reason = sqlrow_text(st, 3);
    a->reason_data = sqlrow_text(st, 4);
    a->state_updated_ms = sqlite3_column_int64(st, 5);
    a->transitioned_ms = sqlite3_column_int64(st, 6);
    a->config_updated_ms = sqlite3_column_int64(st, 7);
    a->actions_enabled = sqlite3_column_int64(st, 8) != 0;
    a->next_eval_s = sqlite3_column_int64(st, 9);
    if (!ok) {
        LOG_ERROR("cw_alarms row unreadable name=%s", a->name ? a->name : "(null)");
        cwa_alarm_free(a);
    }
    return ok;
}

int cwalarm_get(store *s, const char *name, cwa_alarm *a)
{
    sqlite3_stmt *st =
        sqlrow_prepare(s, "SELECT " CWALARM_COLUMNS " FROM cw_alarms WHERE name = ?1");
    if (!st)
        return -1;
    sqlrow_bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    int out = rc == SQLITE_ROW ? (cwalarm_row(st, a) ? 1 : -1) : rc == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return out;
}

static bool cwa_set_next_eval(store *s, const char *name, int64_t next_s)
{
    sqlite3_stmt *st = sqlrow_prepare(s, "UPDATE cw_alarms SET next_eval_s = ?2 WHERE name = ?1");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, name);
    sqlite3_bind_int64(st, 2, next_s);
    return sqlrow_run(st);
}

/* ---- the transition (invariant 2) ---- */

/* Publishes the alarm's notification to one topic and records the Action
 * item. false only on a store error. */
static bool cwa_act(region *r, const cwa_alarm *a, const char *topic, cwa_state old,
                    cwa_state now, const char *reason, int64_t now_ms)
{
    const char *long_name = cwa_region_long_name(r->cfg.name);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "stateUpdateTimestamp", (double)now_ms);
    cJSON_AddStringToObject(d, "notificationResource", topic);
    char *summary;
    bool ok = true;
    if (!sns_topic_exists(r, topic)) {
        cJSON_AddStringToObject(d, "actionState", "Failed");
        cJSON_AddStringToObject(d, "error", "Resource not found");
        summary = xasprintf("Failed to execute action %.900s. Received error: \"Resource not "
                            "found\"", topic);
    } else {
        char subject[160], *mid = NULL;
        cwa_subject(now, a->name, long_name, subject, sizeof subject);
        char *arn = cwalarm_arn(r, a->name);
        char *msg = cwa_message(a->cfg, arn, r->cfg.account, long_name, old, now, reason,
                                now_ms);
        ok = sns_publish(r, topic, subject, msg, NULL, &mid);
        cJSON_AddStringToObject(d, "actionState", "Succeeded");
        cJSON *pm = cJSON_AddObjectToObject(d, "publishedMessage");
        cJSON_AddStringToObject(pm, "messageId", mid ? mid : "");
        summary = xasprintf("Successfully executed action %.900s", topic);
        free(mid);
        free(msg);
        free(arn);
    }
    char *data = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    ok = ok && cwalarm_history_add(r->st, a->name, now_ms, "Action", summary, data);
    free(summary);
    free(data);
    return ok;
}

/* Moves *a to `to` with reason/reason_data, in the caller's transaction:
 * the row, the StateUpdate item and, when actions are enabled, the
 * actions of `to`. *a's state fields are updated. */
static bool cwa_transition(region *r, cwa_alarm *a, cwa_state to, const char *reason,
                           const char *reason_data, int64_t now_ms)
{
    cwa_state from = a->state;
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "UPDATE cw_alarms SET state = ?2, reason = ?3, reason_data = ?4,"
               " state_updated_ms = ?5, transitioned_ms = ?5 WHERE name = ?1");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, a->name);
    sqlrow_bind_text(st, 2, cwa_state_name(to));
    sqlrow_bind_text(st, 3, reason);
    sqlrow_bind_text(st, 4, reason_data);
    sqlite3_bind_int64(st, 5, now_ms);
    if (!sqlrow_run(st))
        return false;
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "version", "1.0");
    cJSON *o = cJSON_AddObjectToObject(h, "oldState");
    cJSON_AddStringToObject(o, "stateValue", cwa_state_name(from));
    cJSON_AddStringToObject(o, "stateReason", a->reason ? a->reason : "");
    cJSON *n = cJSON_AddObjectToObject(h, "newState");
    cJSON_AddStringToObject(n, "stateValue", cwa_state_name(to));
    cJSON_AddStringToObject(n, "stateReason", reason);
    cJSON *rd = reason_data ? cJSON_Parse(reason_data) : NULL;
    if (rd)
        cJSON_AddItemToObject(n, "stateReasonData", rd);
    char *data = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    char *summary = xasprintf("Alarm updated from %s to %s", cwa_state_name(from),
                              cwa_state_name(to));
    bool ok = cwalarm_history_add(r->st, a->name, now_ms, "StateUpdate", summary, data);
    free(summary);
    free(data);
    if (ok && a->actions_enabled) {
        const cJSON *t, *list = cJSON_GetObjectItemCaseSensitive(a->cfg, cwa_action_lists[to]);
        cJSON_ArrayForEach(t, list)
        {
            if (ok && cJSON_IsString(t))
                ok = cwa_act(r, a, t->valuestring, from, to, reason, now_ms);
        }
    }
    LOG_INFO("cloudwatch alarm=%.255s from=%s to=%s actions=%s", a->name,
             cwa_state_name(from), cwa_state_name(to), a->actions_enabled ? "on" : "off");
    free(a->reason);
    free(a->reason_data);
    a->reason = xstrdup(reason);
    a->reason_data = reason_data ? xstrdup(reason_data) : NULL;
    a->state = to;
    a->state_updated_ms = a->transitioned_ms = now_ms;
    return ok;
}

/* ---- evaluation (invariant 3) ---- */

static double cwa_cfg_num(const cJSON *cfg, const char *name, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, name);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static const char *cwa_cfg_str(const cJSON *cfg, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double cwa_stat_value(const char *stat, double n, double sum, double min, double max)
{
    if (strcmp(stat, "SampleCount") == 0)
        return n;
    if (strcmp(stat, "Sum") == 0)
        return sum;
    if (strcmp(stat, "Minimum") == 0)
        return min;
    if (strcmp(stat, "Maximum") == 0)
        return max;
    return n > 0 ? sum / n : 0;
}

/* The alarm's rule and its last N periods before now (newest first,
 * pts[rule->n] malloc'd). false on a store error. */
static bool cwa_points(region *r, const cwa_alarm *a, int64_t now_s, cwa_rule *rule,
                       cwa_point **pts_out)
{
    const cJSON *c = a->cfg;
    memset(rule, 0, sizeof *rule);
    cwa_op_parse(cwa_cfg_str(c, "ComparisonOperator"), &rule->op);
    cwa_tmd_parse(cwa_cfg_str(c, "TreatMissingData"), &rule->tmd);
    rule->threshold = cwa_cfg_num(c, "Threshold", 0);
    rule->n = (int)cwa_cfg_num(c, "EvaluationPeriods", 1);
    rule->m = (int)cwa_cfg_num(c, "DatapointsToAlarm", rule->n);
    rule->period = (int64_t)cwa_cfg_num(c, "Period", 60);
    rule->statistic = cwa_cfg_str(c, "Statistic");
    if (!rule->statistic)
        rule->statistic = "Average";
    if (rule->n < 1 || rule->m < 1 || rule->m > rule->n || rule->period < 1) {
        LOG_ERROR("cloudwatch alarm=%.255s configuration invalid", a->name);
        return false;
    }
    cwa_point *pts = xcalloc((size_t)rule->n, sizeof *pts);
    int64_t end = now_s / 60 * 60;
    end -= end % rule->period;
    int64_t start = end - rule->n * rule->period;
    for (int i = 0; i < rule->n; i++)
        pts[i].ts = end - (int64_t)(i + 1) * rule->period;
    const cJSON *dl = cJSON_GetObjectItemCaseSensitive(c, "Dimensions");
    awserr err = {0};
    char *dims = cwstore_dims_canon(dl, "Dimensions", &err);
    cw_stat *st = NULL;
    int k = dims ? cwstore_stats(r->st, cwa_cfg_str(c, "Namespace"), cwa_cfg_str(c, "MetricName"),
                                 dims, cwa_cfg_str(c, "Unit"), start, end, rule->period, now_s,
                                 rule->n + 1, &st, &err)
                 : -1;
    free(dims);
    if (k < 0) {
        LOG_WARN("cloudwatch alarm=%.255s statistics unreadable: %s", a->name, err.message);
        free(pts);
        return false;
    }
    /* Points of several units in one period (no Unit given) merge. */
    double *n = xcalloc((size_t)rule->n * 4, sizeof *n);
    for (int j = 0; j < k; j++) {
        int64_t i = (end - st[j].ts) / rule->period - 1;
        if (i < 0 || i >= rule->n || st[j].n <= 0)
            continue;
        double *e = n + i * 4;
        e[2] = e[0] > 0 ? fmin(e[2], st[j].min) : st[j].min;
        e[3] = e[0] > 0 ? fmax(e[3], st[j].max) : st[j].max;
        e[0] += st[j].n;
        e[1] += st[j].sum;
    }
    for (int i = 0; i < rule->n; i++) {
        double *e = n + i * 4;
        pts[i].present = e[0] > 0;
        pts[i].n = e[0];
        pts[i].value = cwa_stat_value(rule->statistic, e[0], e[1], e[2], e[3]);
    }
    free(n);
    free(st);
    *pts_out = pts;
    return true;
}

/* Evaluates one alarm now, in its own transaction: a transition when the
 * state changes, and the next evaluation at the next minute. */
static bool cwa_evaluate_alarm(region *r, const char *name, int64_t now_ms)
{
    if (!store_begin(r->st))
        return false;
    cwa_alarm a;
    int found = cwalarm_get(r->st, name, &a);
    bool ok = found >= 0;
    if (found == 1) {
        int64_t now_s = now_ms / 1000;
        cwa_rule rule;
        cwa_point *pts = NULL;
        if (cwa_points(r, &a, now_s, &rule, &pts)) {
            cwa_result res;
            cwa_evaluate(&rule, pts, a.state, now_ms, &res);
            if (res.state != a.state)
                ok = cwa_transition(r, &a, res.state, res.reason, res.reason_data, now_ms);
            cwa_result_free(&res);
            free(pts);
        }
        ok = ok && cwa_set_next_eval(r->st, name, (now_s / 60 + 1) * 60);
        cwa_alarm_free(&a);
    }
    if (ok && store_commit(r->st))
        return true;
    store_rollback(r->st);
    return false;
}

void cwalarm_tick(region *r)
{
    int64_t now_ms = region_now_ms(r);
    sqlite3_stmt *st = sqlrow_cached(
        r->st, "SELECT name FROM cw_alarms WHERE next_eval_s <= ?1 ORDER BY name LIMIT ?2");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, now_ms / 1000);
    sqlite3_bind_int(st, 2, CWA_TICK_BATCH);
    char **names = NULL;
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = sqlrow_text(st, 0);
    }
    sqlrow_release(r->st, st);
    for (size_t i = 0; i < n; i++) {
        if (names[i] && !cwa_evaluate_alarm(r, names[i], now_ms))
            LOG_WARN("cloudwatch alarm=%.255s evaluation failed; retried next pass", names[i]);
        free(names[i]);
    }
    free(names);
    if (n > 0 && (st = sqlrow_cached(r->st, "DELETE FROM cw_alarm_history WHERE ts_ms < ?1"))) {
        sqlite3_bind_int64(st, 1, now_ms - CWALARM_HISTORY_KEEP_S * 1000);
        sqlrow_run_release(r->st, st);
    }
}

/* ---- PutMetricAlarm ---- */

/* A name CloudWatch accepts: 1..max bytes of UTF-8 without ASCII control
 * characters. */
static bool cwa_name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* An action list member: SNS topic ARNs of this region and account, at
 * most CWALARM_MAX_ACTIONS. Copied into cfg as an array. */
static bool cwa_actions_read(const region *r, const cJSON *req, const char *member, cJSON *cfg,
                             awserr *err)
{
    const cJSON *l;
    if (!cwreq_list(req, member, &l, err))
        return false;
    cJSON *out = cJSON_AddArrayToObject(cfg, member);
    int n = l ? cJSON_GetArraySize(l) : 0;
    if (n > CWALARM_MAX_ACTIONS)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The collection %s must not have a size greater than %d.", member,
                          CWALARM_MAX_ACTIONS);
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(l, i);
        if (!cJSON_IsString(e) || !*e->valuestring)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The parameter %s.member.%d must be an ARN.", member, i + 1);
        region_arn a;
        if (!region_arn_parse(e->valuestring, &a) || strcmp(a.partition, "aws") != 0)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "Invalid arn syntax: %.300s", e->valuestring);
        if (strcmp(a.service, "sns") != 0)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The action %.300s is not supported: this CloudWatch sends alarm "
                              "actions to SNS topics only.", e->valuestring);
        if (strcmp(a.region, r->cfg.name) != 0)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "Invalid region %.64s specified. Only %s is supported.", a.region,
                              r->cfg.name);
        if (strcmp(a.account, r->cfg.account) != 0 || !*a.resource || strchr(a.resource, ':'))
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The action %.300s is not a topic of account %s.",
                              e->valuestring, r->cfg.account);
        cJSON_AddItemToArray(out, cJSON_CreateString(e->valuestring));
    }
    return true;
}

/* Refuses what this CloudWatch does not evaluate, by name. */
static bool cwa_refuse_unsupported(const cJSON *req, awserr *err)
{
    static const char *const band[] = {"LessThanLowerOrGreaterThanUpperThreshold",
                                       "LessThanLowerThreshold", "GreaterThanUpperThreshold"};
    const cJSON *metrics;
    if (!cwreq_list(req, "Metrics", &metrics, err))
        return false;
    if (metrics)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Metrics: metric math alarms are not supported by this CloudWatch; "
                          "give Namespace, MetricName and Statistic.");
    if (cJSON_GetObjectItemCaseSensitive(req, "ThresholdMetricId"))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "ThresholdMetricId: anomaly detection alarms are not supported by "
                          "this CloudWatch.");
    bool ok;
    const char *op = cwreq_str(req, "ComparisonOperator", false, err, &ok);
    for (size_t i = 0; ok && op && i < sizeof band / sizeof band[0]; i++)
        if (strcmp(op, band[i]) == 0)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "ComparisonOperator %s: anomaly detection band alarms are not "
                              "supported by this CloudWatch.", op);
    const char *ext = ok ? cwreq_str(req, "ExtendedStatistic", false, err, &ok) : NULL;
    if (ok && ext)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "ExtendedStatistic: percentile statistics are not supported by this "
                          "CloudWatch (it keeps SampleCount, Sum, Minimum and Maximum per "
                          "period); use Statistic.");
    return ok;
}

/* The alarm's metric, statistic and threshold members into cfg. */
static bool cwa_metric_read(const cJSON *req, cJSON *cfg, awserr *err)
{
    bool ok, here;
    const char *ns = cwreq_str(req, "Namespace", false, err, &ok);
    const char *mn = ok ? cwreq_str(req, "MetricName", false, err, &ok) : NULL;
    const char *stat = ok ? cwreq_str(req, "Statistic", false, err, &ok) : NULL;
    const char *unit = ok ? cwreq_str(req, "Unit", false, err, &ok) : NULL;
    if (!ok)
        return false;
    if (!ns || !*ns || !mn || !*mn)
        return awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter %s is required.",
                          !ns || !*ns ? "Namespace" : "MetricName");
    if (strlen(ns) > 255 || strlen(mn) > 255)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameters Namespace and MetricName must be 1 to 255 "
                          "characters.");
    if (!stat)
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The parameter Statistic is required for an alarm on a metric.");
    static const char *const stats[] = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"};
    bool known = false;
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
        known = known || strcmp(stat, stats[i]) == 0;
    if (!known)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter Statistic must be a value in the set [ SampleCount, "
                          "Average, Sum, Minimum, Maximum ].");
    const cJSON *dl;
    if (!cwreq_list(req, "Dimensions", &dl, err))
        return false;
    char *dims = cwstore_dims_canon(dl, "Dimensions", err);
    if (!dims)
        return false;
    cJSON_AddStringToObject(cfg, "Namespace", ns);
    cJSON_AddStringToObject(cfg, "MetricName", mn);
    cJSON_AddStringToObject(cfg, "Statistic", stat);
    cJSON_AddItemToObject(cfg, "Dimensions", cJSON_Parse(dims));
    free(dims);
    if (unit)
        cJSON_AddStringToObject(cfg, "Unit", unit);
    int64_t period = 0, n = 0, m = 0;
    bool hp, hn, hm;
    if (!cwreq_i64(req, "Period", 1, CWA_MAX_WINDOW_S, &period, &hp, err) ||
        !cwreq_i64(req, "EvaluationPeriods", 1, 100000, &n, &hn, err) ||
        !cwreq_i64(req, "DatapointsToAlarm", 1, 100000, &m, &hm, err))
        return false;
    if (!hp || !hn)
        return awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter %s is required.",
                          hp ? "EvaluationPeriods" : "Period");
    if (!(period == 10 || period == 30 || (period >= 60 && period % 60 == 0)))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter Period must be 10, 30 or a multiple of 60.");
    if (period < 60)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Period %lld: high-resolution alarms are not supported by this "
                          "CloudWatch (its finest resolution is 60 seconds).", (long long)period);
    if (period * n > CWA_MAX_WINDOW_S)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The evaluation period multiplied by the number of periods must not "
                          "exceed 7 days.");
    if (!hm)
        m = n;
    if (m > n)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "DatapointsToAlarm must be less than or equal to EvaluationPeriods.");
    cJSON_AddItemToObject(cfg, "Period", cJSON_CreateNumber((double)period));
    cJSON_AddItemToObject(cfg, "EvaluationPeriods", cJSON_CreateNumber((double)n));
    cJSON_AddItemToObject(cfg, "DatapointsToAlarm", cJSON_CreateNumber((double)m));
    double th = 0;
    if (!cwreq_num(req, "Threshold", &th, &here, err))
        return false;
    if (!here)
        return awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter Threshold is required.");
    if (!isfinite(th))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "The Threshold is invalid.");
    cJSON_AddNumberToObject(cfg, "Threshold", th);
    return true;
}

/* The whole PutMetricAlarm request into a new cfg object. */
static cJSON *cwa_config_read(const region *r, const cJSON *req, awserr *err)
{
    bool ok;
    cJSON *cfg = cJSON_CreateObject();
    const char *name = cwreq_str(req, "AlarmName", true, err, &ok);
    const char *desc = ok ? cwreq_str(req, "AlarmDescription", false, err, &ok) : NULL;
    const char *opname = ok ? cwreq_str(req, "ComparisonOperator", false, err, &ok) : NULL;
    const char *tmdname = ok ? cwreq_str(req, "TreatMissingData", false, err, &ok) : NULL;
    cwa_op op;
    cwa_tmd tmd = CWA_MISSING;
    if (!ok)
        goto fail;
    if (!cwa_name_ok(name, 255)) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The parameter AlarmName must be 1 to 255 characters without control "
                   "characters.");
        goto fail;
    }
    if (desc && strlen(desc) > 1024) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The parameter AlarmDescription must be at most 1024 characters.");
        goto fail;
    }
    cJSON_AddStringToObject(cfg, "AlarmName", name);
    if (desc)
        cJSON_AddStringToObject(cfg, "AlarmDescription", desc);
    if (!cwa_refuse_unsupported(req, err) || !cwa_metric_read(req, cfg, err))
        goto fail;
    if (!opname) {
        awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter ComparisonOperator is required.");
        goto fail;
    }
    if (!cwa_op_parse(opname, &op)) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The parameter ComparisonOperator must be a value in the set [ "
                   "GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, "
                   "LessThanOrEqualToThreshold ].");
        goto fail;
    }
    cJSON_AddStringToObject(cfg, "ComparisonOperator", opname);
    if (tmdname && !cwa_tmd_parse(tmdname, &tmd)) {
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                   "The parameter TreatMissingData must be a value in the set [ breaching, "
                   "notBreaching, ignore, missing ].");
        goto fail;
    }
    cJSON_AddStringToObject(cfg, "TreatMissingData", cwa_tmd_name(tmd));
    for (int s = 0; s < CWA_STATE_COUNT; s++)
        if (!cwa_actions_read(r, req, cwa_action_lists[s], cfg, err))
            goto fail;
    return cfg;
fail:
    cJSON_Delete(cfg);
    return NULL;
}

static bool cwa_tx_fail(region *r, awserr *err)
{
    store_rollback(r->st);
    return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The alarm store failed.");
}

bool cw_put_metric_alarm(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    (void)result;
    bool enabled = true, here;
    if (!cwreq_bool(req, "ActionsEnabled", &enabled, &here, err))
        return false;
    const cJSON *tags;
    if (!cwreq_list(req, "Tags", &tags, err))
        return false;
    cJSON *cfg = cwa_config_read(r, req, err);
    if (!cfg)
        return false;
    const char *name = cwa_cfg_str(cfg, "AlarmName");
    int64_t now_ms = region_now_ms(r);
    if (!store_begin(r->st)) {
        cJSON_Delete(cfg);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The alarm store is unavailable.");
    }
    cwa_alarm old;
    int found = cwalarm_get(r->st, name, &old);
    sqlite3_stmt *st = NULL;
    bool ok = found >= 0;
    if (ok && found == 0) {
        st = sqlrow_prepare(r->st, "SELECT count(*) FROM cw_alarms");
        ok = st && sqlite3_step(st) == SQLITE_ROW;
        int64_t count = ok ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
        if (ok && count >= CWALARM_MAX_ALARMS) {
            store_rollback(r->st);
            cJSON_Delete(cfg);
            return awserr_set(err, AWSERR_CW_LIMIT_EXCEEDED,
                              "The maximum number of alarms (%d) has been reached.",
                              CWALARM_MAX_ALARMS);
        }
    }
    char *cfg_text = cJSON_PrintUnformatted(cfg);
    char *dims = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(cfg, "Dimensions"));
    char *tags_text = tags ? cJSON_PrintUnformatted(tags) : xstrdup("[]");
    if (ok)
        st = sqlrow_prepare(
            r->st,
            "INSERT INTO cw_alarms(name, config, namespace, metric, dims, state, reason,"
            " reason_data, state_updated_ms, transitioned_ms, config_updated_ms,"
            " actions_enabled, next_eval_s, tags)"
            " VALUES(?1,?2,?3,?4,?5,'INSUFFICIENT_DATA','Unchecked: Initial alarm creation',"
            " NULL,?6,?6,?6,?7,0,?8)"
            " ON CONFLICT(name) DO UPDATE SET config = ?2, namespace = ?3, metric = ?4,"
            " dims = ?5, config_updated_ms = ?6, actions_enabled = ?7, next_eval_s = 0,"
            " tags = ?8");
    if (ok && st) {
        sqlrow_bind_text(st, 1, name);
        sqlrow_bind_text(st, 2, cfg_text);
        sqlrow_bind_text(st, 3, cwa_cfg_str(cfg, "Namespace"));
        sqlrow_bind_text(st, 4, cwa_cfg_str(cfg, "MetricName"));
        sqlrow_bind_text(st, 5, dims);
        sqlite3_bind_int64(st, 6, now_ms);
        sqlite3_bind_int(st, 7, enabled);
        sqlrow_bind_text(st, 8, tags_text);
        ok = sqlrow_run(st);
    } else {
        ok = false;
    }
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "version", "1.0");
    cJSON_AddStringToObject(h, "type", found == 1 ? "Update" : "Create");
    cJSON_AddItemToObject(h, found == 1 ? "updatedAlarm" : "createdAlarm",
                          cJSON_Duplicate(cfg, 1));
    char *hdata = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    char *summary = xasprintf("Alarm \"%s\" %s", name, found == 1 ? "updated" : "created");
    ok = ok && cwalarm_history_add(r->st, name, now_ms, "ConfigurationUpdate", summary, hdata);
    free(summary);
    free(hdata);
    free(cfg_text);
    free(dims);
    free(tags_text);
    if (found == 1)
        cwa_alarm_free(&old);
    if (!ok || !store_commit(r->st)) {
        cJSON_Delete(cfg);
        return cwa_tx_fail(r, err);
    }
    /* Evaluated at once, as CloudWatch does; a failure waits for the cron. */
    if (!cwa_evaluate_alarm(r, name, now_ms))
        LOG_WARN("cloudwatch alarm=%.255s first evaluation failed", name);
    cJSON_Delete(cfg);
    return true;
}

/* ---- SetAlarmState ---- */

bool cw_set_alarm_state(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    (void)result;
    bool ok;
    const char *name = cwreq_str(req, "AlarmName", true, err, &ok);
    const char *sv = ok ? cwreq_str(req, "StateValue", true, err, &ok) : NULL;
    const char *reason = ok ? cwreq_str(req, "StateReason", false, err, &ok) : NULL;
    const char *data = ok ? cwreq_str(req, "StateReasonData", false, err, &ok) : NULL;
    if (!ok)
        return false;
    if (!reason)
        return awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter StateReason is required.");
    cwa_state to;
    if (!cwa_state_parse(sv, &to))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter StateValue must be a value in the set [ OK, ALARM, "
                          "INSUFFICIENT_DATA ].");
    if (strlen(reason) > 1023)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter StateReason must be at most 1023 characters.");
    if (data) {
        cJSON *j = strlen(data) <= 4000 ? cJSON_Parse(data) : NULL;
        bool obj = cJSON_IsObject(j);
        cJSON_Delete(j);
        if (!obj)
            return awserr_set(err, AWSERR_CW_INVALID_FORMAT,
                              "The parameter StateReasonData must be a JSON object of at most "
                              "4000 characters.");
    }
    int64_t now_ms = region_now_ms(r);
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The alarm store is unavailable.");
    cwa_alarm a;
    int found = cwalarm_get(r->st, name, &a);
    if (found <= 0) {
        store_rollback(r->st);
        return found < 0 ? awserr_set(err, AWSERR_INTERNAL_FAILURE, "The alarm store failed.")
                         : awserr_set(err, AWSERR_RESOURCE_NOT_FOUND,
                                      "Alarm %.255s does not exist", name);
    }
    ok = a.state == to || cwa_transition(r, &a, to, reason, data, now_ms);
    cwa_alarm_free(&a);
    /* The next minute's evaluation decides again (invariant 3). */
    ok = ok && cwa_set_next_eval(r->st, name, (now_ms / 1000 / 60 + 1) * 60);
    if (!ok || !store_commit(r->st))
        return cwa_tx_fail(r, err);
    return true;
}

/* ---- DeleteAlarms, Enable/DisableAlarmActions ---- */

/* AlarmNames (required, 1..100 names). */
static bool cwa_names(const cJSON *req, const cJSON **names, awserr *err)
{
    if (!cwreq_list(req, "AlarmNames", names, err))
        return false;
    int n = *names ? cJSON_GetArraySize(*names) : 0;
    if (n == 0)
        return awserr_set(err, AWSERR_MISSING_PARAMETER, "The parameter AlarmNames is required.");
    if (n > CWA_MAX_NAMES)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The collection AlarmNames must not have a size greater than %d.",
                          CWA_MAX_NAMES);
    const cJSON *e;
    cJSON_ArrayForEach(e, *names)
    {
        if (!cJSON_IsString(e) || !cwa_name_ok(e->valuestring, 255))
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The parameter AlarmNames must hold names of 1 to 255 "
                              "characters.");
    }
    return true;
}

bool cw_delete_alarms(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    (void)result;
    const cJSON *names, *e;
    if (!cwa_names(req, &names, err))
        return false;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The alarm store is unavailable.");
    cJSON_ArrayForEach(e, names)
    {
        cwa_alarm a;
        int found = cwalarm_get(r->st, e->valuestring, &a);
        if (found == 1)
            cwa_alarm_free(&a);
        if (found < 0)
            return cwa_tx_fail(r, err);
        if (found == 0) {
            store_rollback(r->st);
            return awserr_set(err, AWSERR_RESOURCE_NOT_FOUND,
                              "The following alarms were not found: [%.255s]", e->valuestring);
        }
    }
    int64_t now_ms = region_now_ms(r);
    bool ok = true;
    cJSON_ArrayForEach(e, names)
    {
        sqlite3_stmt *st = ok ? sqlrow_prepare(r->st, "DELETE FROM cw_alarms WHERE name = ?1")
                              : NULL;
        if (!st)
            break;
        sqlrow_bind_text(st, 1, e->valuestring);
        ok = sqlrow_run(st);
        char *summary = xasprintf("Alarm \"%s\" deleted", e->valuestring);
        ok = ok && cwalarm_history_add(r->st, e->valuestring, now_ms, "ConfigurationUpdate",
                                       summary, "{\"version\":\"1.0\",\"type\":\"Delete\"}");
        free(summary);
    }
    if (!ok || !store_commit(r->st))
        return cwa_tx_fail(r, err);
    return true;
}

static bool cwa_set_actions(region *r, const cJSON *req, bool enabled, awserr *err)
{
    const cJSON *names, *e;
    if (!cwa_names(req, &names, err))
        return false;
    if (!store_begin(r->st))
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The alarm store is unavailable.");
    int64_t now_ms = region_now_ms(r);
    bool ok = true;
    cJSON_ArrayForEach(e, names)
    {
        /* Unknown names are skipped, as CloudWatch does. */
        sqlite3_stmt *st = ok ? sqlrow_prepare(r->st, "UPDATE cw_alarms SET actions_enabled = ?2"
                                                      " WHERE name = ?1 AND actions_enabled != ?2")
                              : NULL;
        if (!st)
            break;
        sqlrow_bind_text(st, 1, e->valuestring);
        sqlite3_bind_int(st, 2, enabled);
        ok = sqlrow_run(st);
        if (ok && sqlrow_changes(r->st) > 0) {
            char *summary = xasprintf("Alarm \"%s\" updated", e->valuestring);
            char *data = xasprintf("{\"version\":\"1.0\",\"type\":\"Update\","
                                   "\"updatedAlarm\":{\"ActionsEnabled\":%s}}",
                                   enabled ? "true" : "false");
            ok = cwalarm_history_add(r->st, e->valuestring, now_ms, "ConfigurationUpdate",
                                     summary, data);
            free(summary);
            free(data);
        }
    }
    if (!ok || !store_commit(r->st))
        return cwa_tx_fail(r, err);
    return true;
}

bool cw_enable_alarm_actions(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    (void)result;
    return cwa_set_actions(r, req, true, err);
}

bool cw_disable_alarm_actions(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    (void)result;
    return cwa_set_actions(r, req, false, err);
}
