/* cwalarm: CloudWatch metric alarms — their operations (cloudwatch.h's
 * table), their evaluation on the region clock and their SNS actions.
 *
 * Files: cwalarm.c (the store, the operations that change alarms, the
 * transition and its actions, the cron), cwalarmdesc.c (DescribeAlarms,
 * DescribeAlarmsForMetric, DescribeAlarmHistory and the history rows),
 * cwalarmeval.c (pure: evaluation, CloudWatch's reason texts and the SNS
 * message; no store, so tests/unit/controlplane/test_cwalarm.c drives it).
 *
 * Single-metric alarms only: Metrics (metric math), anomaly-band
 * operators and ExtendedStatistic (percentiles: a stored point keeps no
 * distribution, cwmetrics.c) are refused with InvalidParameterValue.
 *
 * Invariants:
 *  1. An alarm is one cw_alarms row: its configuration (the PutMetricAlarm
 *     members, as JSON text), its state, reason, reason data, timestamps
 *     and when it is next evaluated (next_eval_s, region clock).
 *  2. A state change is ONE transaction: the row's new state, its
 *     StateUpdate history item, and — when ActionsEnabled — one
 *     sns_publish per topic of the new state's action list (durable
 *     delivery rows, notify/delivery.h) with an Action history item each.
 *     So a kill -9 at any moment leaves either the old state (the next
 *     evaluation makes the transition again, once) or the new state with
 *     its deliveries queued: an action is never sent twice for one
 *     transition, nor lost.
 *  3. Evaluation (cwalarm_eval) reads the last EvaluationPeriods whole
 *     periods before the evaluation time (period-aligned, [t - N*P, t)
 *     with t = now rounded down to the minute) of the alarm's statistic.
 *     Every alarm is evaluated each region-clock minute by the cron, and
 *     at once after PutMetricAlarm. SetAlarmState's state stands until
 *     the next minute's evaluation, as in CloudWatch.
 *  4. History items are kept 30 days (region clock), also after the alarm
 *     is deleted, as CloudWatch keeps them. */
#ifndef RDSIM_CWALARM_H
#define RDSIM_CWALARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"

typedef struct cJSON cJSON;
typedef struct region region;
typedef struct sqlite3_stmt sqlite3_stmt;

#define CWALARM_HISTORY_KEEP_S (30LL * 86400)
#define CWALARM_MAX_ACTIONS 5
#define CWALARM_MAX_ALARMS 10000 /* per region (CloudWatch's default quota) */

/* ---- operations (cloudwatch.h's cw_op_fn) ---- */
bool cw_put_metric_alarm(region *r, const cJSON *req, cJSON *result, awserr *err);
bool cw_delete_alarms(region *r, const cJSON *req, cJSON *result, awserr *err);
bool cw_set_alarm_state(region *r, const cJSON *req, cJSON *result, awserr *err);
bool cw_enable_alarm_actions(region *r, const cJSON *req, cJSON *result, awserr *err);
bool cw_disable_alarm_actions(region *r, const cJSON *req, cJSON *result, awserr *err);
bool cw_describe_alarms(region *r, const cJSON *req, cJSON *result, awserr *err);
bool cw_describe_alarms_for_metric(region *r, const cJSON *req, cJSON *result, awserr *err);
bool cw_describe_alarm_history(region *r, const cJSON *req, cJSON *result, awserr *err);

/* From the cron: evaluates every alarm whose next_eval_s has come (each
 * region-clock minute) and prunes old history (invariant 4). Errors are
 * logged; the alarm is evaluated again on the next pass. */
void cwalarm_tick(region *r);

/* ---- pure evaluation (cwalarmeval.c) ---- */

typedef enum { CWA_OK, CWA_ALARM, CWA_INSUFFICIENT, CWA_STATE_COUNT } cwa_state;
/* "OK", "ALARM", "INSUFFICIENT_DATA"; parse: false for anything else. */
const char *cwa_state_name(cwa_state s);
bool cwa_state_parse(const char *s, cwa_state *out);

typedef enum { CWA_GE, CWA_GT, CWA_LT, CWA_LE, CWA_OP_COUNT } cwa_op;
/* "GreaterThanOrEqualToThreshold", ...; parse false for anything else
 * (the band operators included: the caller refuses those by name). */
const char *cwa_op_name(cwa_op op);
bool cwa_op_parse(const char *s, cwa_op *out);

typedef enum { CWA_MISSING, CWA_NOT_BREACHING, CWA_BREACHING, CWA_IGNORE, CWA_TMD_COUNT } cwa_tmd;
const char *cwa_tmd_name(cwa_tmd t); /* "missing", "notBreaching", "breaching", "ignore" */
bool cwa_tmd_parse(const char *s, cwa_tmd *out);

/* One period of the evaluation range, newest first in the arrays below. */
typedef struct {
    int64_t ts;      /* the period's start, s (region clock) */
    bool present;    /* a datapoint exists */
    double value;    /* the alarm's statistic, when present */
    double n;        /* its SampleCount */
} cwa_point;

typedef struct {
    cwa_op op;
    double threshold;
    int n, m;        /* EvaluationPeriods, DatapointsToAlarm (1 <= m <= n) */
    cwa_tmd tmd;
    int64_t period;
    const char *statistic; /* "Average", ... */
} cwa_rule;

typedef struct {
    cwa_state state;      /* the new state */
    int breaching;        /* breaching datapoints counted (missing ones included
                           * when treated as breaching) */
    int present;          /* real datapoints in the range */
    int missing;          /* missing datapoints in the range */
    int need;             /* how many breaching ones ALARM needed */
    char *reason;         /* StateReason, malloc'd */
    char *reason_data;    /* StateReasonData (JSON text), malloc'd */
} cwa_result;

/* Whether `v` breaches the rule's threshold. */
bool cwa_breaches(const cwa_rule *rule, double v);

/* The state the rule gives for pts[0..rule->n) (newest first) when the
 * alarm is in state `cur`, evaluated at query_ms (region clock):
 *  - notBreaching / breaching: a missing point counts as good / bad;
 *    ALARM when at least m points breach, else OK.
 *  - missing / ignore: with no real point, INSUFFICIENT_DATA / the
 *    current state. Otherwise only real points count and ALARM needs
 *    min(m, real points) of them breaching (CloudWatch fills missing
 *    points as few times as possible), else OK.
 * Fills *res (its strings for cwa_result_free). */
void cwa_evaluate(const cwa_rule *rule, const cwa_point *pts, cwa_state cur, int64_t query_ms,
                  cwa_result *res);
void cwa_result_free(cwa_result *res);

/* A double as CloudWatch (Java) writes it in reasons: "1234.0", "0.5",
 * "2.0E10", "1.5E-4". Into buf (at least 32 bytes). */
void cwa_fmt_double(double v, char *buf, size_t size);

/* The region's long name as CloudWatch's notifications write it
 * ("US East (N. Virginia)"), or `code` itself for an unknown region. */
const char *cwa_region_long_name(const char *code);

/* The SNS Subject: `<STATE>: "<name>" in <Region long name>`, cut at 100
 * bytes (SNS's limit) on a UTF-8 boundary. Into buf. */
void cwa_subject(cwa_state s, const char *name, const char *region_long, char *buf,
                 size_t size);

/* The JSON Message CloudWatch sends to SNS (RDS-REFERENCE-2 §8.4) for an
 * alarm whose configuration is `cfg` (PutMetricAlarm members) going from
 * `old` to `now` with `reason` at change_ms. malloc'd JSON text. */
char *cwa_message(const cJSON *cfg, const char *alarm_arn, const char *account,
                  const char *region_long, cwa_state old, cwa_state now, const char *reason,
                  int64_t change_ms);

/* "2015-06-03T17:43:27.123+0000" (CloudWatch's notification time). */
void cwa_fmt_time_ms(int64_t ms, char *buf, size_t size);

/* ---- shared by cwalarm*.c (not for other modules) ---- */

/* One cw_alarms row. */
typedef struct {
    char *name;
    cJSON *cfg;            /* the PutMetricAlarm members (owned) */
    cwa_state state;
    char *reason, *reason_data;
    int64_t state_updated_ms, transitioned_ms, config_updated_ms, next_eval_s;
    bool actions_enabled;
} cwa_alarm;

typedef struct store store;

/* The alarm named `name`: 1 found (*a filled, cwa_alarm_free), 0 not, -1
 * store error (logged). */
int cwalarm_get(store *s, const char *name, cwa_alarm *a);
void cwa_alarm_free(cwa_alarm *a);
/* Reads the current row of a SELECT of CWALARM_COLUMNS into *a. */
bool cwalarm_row(sqlite3_stmt *st, cwa_alarm *a);
#define CWALARM_COLUMNS                                                                     \
    "name, config, state, reason, reason_data, state_updated_ms, transitioned_ms,"          \
    " config_updated_ms, actions_enabled, next_eval_s"
/* "arn:aws:cloudwatch:<region>:<account>:alarm:<name>", malloc'd. */
char *cwalarm_arn(const region *r, const char *name);
/* Appends a history item (type ConfigurationUpdate|StateUpdate|Action), in
 * the caller's transaction. */
bool cwalarm_history_add(store *s, const char *alarm, int64_t ts_ms, const char *type,
                         const char *summary, const char *data);
/* The MetricAlarm shape of an alarm (DescribeAlarms), a new object. */
cJSON *cwalarm_to_json(const region *r, const cwa_alarm *a);

#endif
