/* cwalarmdesc: what CloudWatch tells about alarms — DescribeAlarms,
 * DescribeAlarmsForMetric, DescribeAlarmHistory — and the history rows
 * (cwalarm.h).
 *
 * Paging: DescribeAlarms pages by name (NextToken: the hex of the last
 * name returned), DescribeAlarmHistory by item id (NextToken "h<id>");
 * a token that does not decode is InvalidNextToken. */
#include "controlplane/obs/cwalarm.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/cloudwatch.h"
#include "controlplane/obs/cwstore.h"
#include "lib/util.h"

#define CWA_DESCRIBE_MAX 100
#define CWA_DESCRIBE_DEFAULT 50
#define CWA_HISTORY_DEFAULT 100

bool cwalarm_history_add(store *s, const char *alarm, int64_t ts_ms, const char *type,
                         const char *summary, const char *data)
{
    sqlite3_stmt *st = sqlrow_prepare(
        s, "INSERT INTO cw_alarm_history(alarm, ts_ms, type, summary, data)"
           " VALUES(?1,?2,?3,substr(?4,1,255),?5)");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, alarm);
    sqlite3_bind_int64(st, 2, ts_ms);
    sqlrow_bind_text(st, 3, type);
    sqlrow_bind_text(st, 4, summary);
    sqlrow_bind_text(st, 5, data);
    return sqlrow_run(st);
}

static void cwa_copy(cJSON *out, const cJSON *cfg, const char *name, bool as_int)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, name);
    if (!v)
        return;
    if (as_int && cJSON_IsNumber(v))
        cJSON_AddItemToObject(out, name, cwproto_int((int64_t)v->valuedouble));
    else
        cJSON_AddItemToObject(out, name, cJSON_Duplicate(v, 1));
}

cJSON *cwalarm_to_json(const region *r, const cwa_alarm *a)
{
    cJSON *o = cJSON_CreateObject();
    char *arn = cwalarm_arn(r, a->name);
    cJSON_AddStringToObject(o, "AlarmName", a->name);
    cJSON_AddStringToObject(o, "AlarmArn", arn);
    free(arn);
    cwa_copy(o, a->cfg, "AlarmDescription", false);
    cJSON_AddItemToObject(o, "AlarmConfigurationUpdatedTimestamp",
                          cwproto_time((double)a->config_updated_ms / 1000.0));
    cJSON_AddBoolToObject(o, "ActionsEnabled", a->actions_enabled);
    cwa_copy(o, a->cfg, "OKActions", false);
    cwa_copy(o, a->cfg, "AlarmActions", false);
    cwa_copy(o, a->cfg, "InsufficientDataActions", false);
    cJSON_AddStringToObject(o, "StateValue", cwa_state_name(a->state));
    cJSON_AddStringToObject(o, "StateReason", a->reason ? a->reason : "");
    if (a->reason_data)
        cJSON_AddStringToObject(o, "StateReasonData", a->reason_data);
    cJSON_AddItemToObject(o, "StateUpdatedTimestamp",
                          cwproto_time((double)a->state_updated_ms / 1000.0));
    cwa_copy(o, a->cfg, "MetricName", false);
    cwa_copy(o, a->cfg, "Namespace", false);
    cwa_copy(o, a->cfg, "Statistic", false);
    cwa_copy(o, a->cfg, "Dimensions", false);
    cwa_copy(o, a->cfg, "Period", true);
    cwa_copy(o, a->cfg, "Unit", false);
    cwa_copy(o, a->cfg, "EvaluationPeriods", true);
    cwa_copy(o, a->cfg, "DatapointsToAlarm", true);
    cwa_copy(o, a->cfg, "Threshold", false);
    cwa_copy(o, a->cfg, "ComparisonOperator", false);
    cwa_copy(o, a->cfg, "TreatMissingData", false);
    cJSON_AddItemToObject(o, "StateTransitionedTimestamp",
                          cwproto_time((double)a->transitioned_ms / 1000.0));
    return o;
}

/* ---- DescribeAlarms ---- */

static char *cwa_hex(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(n * 2 + 1);
    for (size_t i = 0; i < n; i++)
        snprintf(out + i * 2, 3, "%02x", (unsigned char)s[i]);
    out[n * 2] = '\0';
    return out;
}

/* The name a DescribeAlarms NextToken holds, malloc'd; NULL when it does
 * not decode. */
static char *cwa_unhex(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2 || n > 512)
        return NULL;
    char *out = xmalloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + i * 2, "%2x", &v) != 1 || !strchr("0123456789abcdef", s[i * 2]) ||
            !strchr("0123456789abcdef", s[i * 2 + 1]) || v == 0) {
            free(out);
            return NULL;
        }
        out[i] = (char)v;
    }
    out[n / 2] = '\0';
    return out;
}

static bool cwa_list_has(const cJSON *l, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, l)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
            return true;
    }
    return false;
}

/* Whether an action of any list of the alarm starts with prefix. */
static bool cwa_has_action_prefix(const cJSON *cfg, const char *prefix)
{
    static const char *const lists[] = {"OKActions", "AlarmActions", "InsufficientDataActions"};
    size_t n = strlen(prefix);
    for (size_t i = 0; i < 3; i++) {
        const cJSON *e, *l = cJSON_GetObjectItemCaseSensitive(cfg, lists[i]);
        cJSON_ArrayForEach(e, l)
        {
            if (cJSON_IsString(e) && strncmp(e->valuestring, prefix, n) == 0)
                return true;
        }
    }
    return false;
}

static bool cwa_max_records(const cJSON *req, int64_t dflt, int64_t *out, awserr *err)
{
    bool here;
    *out = dflt;
    return cwreq_i64(req, "MaxRecords", 1, CWA_DESCRIBE_MAX, out, &here, err);
}

bool cw_describe_alarms(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    bool ok;
    const cJSON *names, *types;
    const char *prefix = cwreq_str(req, "AlarmNamePrefix", false, err, &ok);
    const char *sv = ok ? cwreq_str(req, "StateValue", false, err, &ok) : NULL;
    const char *ap = ok ? cwreq_str(req, "ActionPrefix", false, err, &ok) : NULL;
    const char *token = ok ? cwreq_str(req, "NextToken", false, err, &ok) : NULL;
    const char *children = ok ? cwreq_str(req, "ChildrenOfAlarmName", false, err, &ok) : NULL;
    const char *parents = ok ? cwreq_str(req, "ParentsOfAlarmName", false, err, &ok) : NULL;
    int64_t max;
    if (!ok || !cwreq_list(req, "AlarmNames", &names, err) ||
        !cwreq_list(req, "AlarmTypes", &types, err) ||
        !cwa_max_records(req, CWA_DESCRIBE_DEFAULT, &max, err))
        return false;
    if (names && prefix)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "AlarmNames and AlarmNamePrefix are mutually exclusive.");
    if (names && cJSON_GetArraySize(names) > CWA_DESCRIBE_MAX)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The collection AlarmNames must not have a size greater than %d.",
                          CWA_DESCRIBE_MAX);
    cwa_state want = CWA_OK;
    if (sv && !cwa_state_parse(sv, &want))
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter StateValue must be a value in the set [ OK, ALARM, "
                          "INSUFFICIENT_DATA ].");
    char *after = NULL;
    if (token && !(after = cwa_unhex(token)))
        return awserr_set(err, AWSERR_CW_INVALID_NEXT_TOKEN, "The NextToken is invalid.");
    cJSON *out = cJSON_AddArrayToObject(result, "MetricAlarms");
    cJSON_AddArrayToObject(result, "CompositeAlarms");
    /* Only metric alarms exist here: composite-only filters match none. */
    bool none = children || parents || (types && !cwa_list_has(types, "MetricAlarm"));
    sqlite3_stmt *st = none ? NULL
                            : sqlrow_prepare(r->st, "SELECT " CWALARM_COLUMNS " FROM cw_alarms"
                                                    " WHERE name > ?1 ORDER BY name");
    if (!none && !st) {
        free(after);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The alarm store failed.");
    }
    if (st)
        sqlrow_bind_text(st, 1, after ? after : "");
    free(after);
    int64_t count = 0;
    char *last = NULL;
    bool more = false;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        cwa_alarm a;
        if (!cwalarm_row(st, &a))
            continue;
        bool match = (!names || cwa_list_has(names, a.name)) &&
                     (!prefix || strncmp(a.name, prefix, strlen(prefix)) == 0) &&
                     (!sv || a.state == want) && (!ap || cwa_has_action_prefix(a.cfg, ap));
        if (match && count == max) {
            more = true;
            cwa_alarm_free(&a);
            break;
        }
        if (match) {
            cJSON_AddItemToArray(out, cwalarm_to_json(r, &a));
            count++;
            free(last);
            last = xstrdup(a.name);
        }
        cwa_alarm_free(&a);
    }
    sqlite3_finalize(st);
    if (more && last) {
        char *t = cwa_hex(last);
        cJSON_AddStringToObject(result, "NextToken", t);
        free(t);
    }
    free(last);
    return true;
}

bool cw_describe_alarms_for_metric(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    bool ok, here;
    const char *ns = cwreq_str(req, "Namespace", true, err, &ok);
    const char *mn = ok ? cwreq_str(req, "MetricName", true, err, &ok) : NULL;
    const char *stat = ok ? cwreq_str(req, "Statistic", false, err, &ok) : NULL;
    const char *ext = ok ? cwreq_str(req, "ExtendedStatistic", false, err, &ok) : NULL;
    const char *unit = ok ? cwreq_str(req, "Unit", false, err, &ok) : NULL;
    int64_t period = 0;
    const cJSON *dl;
    if (!ok || !cwreq_i64(req, "Period", 1, INT32_MAX, &period, &here, err) ||
        !cwreq_list(req, "Dimensions", &dl, err))
        return false;
    char *dims = dl ? cwstore_dims_canon(dl, "Dimensions", err) : NULL;
    if (dl && !dims)
        return false;
    cJSON *out = cJSON_AddArrayToObject(result, "MetricAlarms");
    sqlite3_stmt *st = ext ? NULL
                           : sqlrow_prepare(r->st, "SELECT " CWALARM_COLUMNS ", dims FROM cw_alarms"
                                                   " WHERE namespace = ?1 AND metric = ?2"
                                                   " ORDER BY name");
    if (st) {
        sqlrow_bind_text(st, 1, ns);
        sqlrow_bind_text(st, 2, mn);
    }
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        cwa_alarm a;
        if (!cwalarm_row(st, &a))
            continue;
        const char *adims = (const char *)sqlite3_column_text(st, 10);
        const cJSON *as = cJSON_GetObjectItemCaseSensitive(a.cfg, "Statistic");
        const cJSON *ap = cJSON_GetObjectItemCaseSensitive(a.cfg, "Period");
        const cJSON *au = cJSON_GetObjectItemCaseSensitive(a.cfg, "Unit");
        bool match = (!dims || (adims && strcmp(dims, adims) == 0)) &&
                     (!stat || (cJSON_IsString(as) && strcmp(stat, as->valuestring) == 0)) &&
                     (!here || (cJSON_IsNumber(ap) && (int64_t)ap->valuedouble == period)) &&
                     (!unit || (cJSON_IsString(au) && strcmp(unit, au->valuestring) == 0));
        if (match && cJSON_GetArraySize(out) < 1000)
            cJSON_AddItemToArray(out, cwalarm_to_json(r, &a));
        cwa_alarm_free(&a);
    }
    sqlite3_finalize(st);
    free(dims);
    return true;
}

/* ---- DescribeAlarmHistory ---- */

bool cw_describe_alarm_history(region *r, const cJSON *req, cJSON *result, awserr *err)
{
    bool ok, hs, he;
    const char *name = cwreq_str(req, "AlarmName", false, err, &ok);
    const char *type = ok ? cwreq_str(req, "HistoryItemType", false, err, &ok) : NULL;
    const char *scan = ok ? cwreq_str(req, "ScanBy", false, err, &ok) : NULL;
    const char *token = ok ? cwreq_str(req, "NextToken", false, err, &ok) : NULL;
    int64_t start = 0, end = 0, max;
    const cJSON *types;
    if (!ok || !cwreq_time(req, "StartDate", &start, &hs, err) ||
        !cwreq_time(req, "EndDate", &end, &he, err) ||
        !cwreq_list(req, "AlarmTypes", &types, err) ||
        !cwa_max_records(req, CWA_HISTORY_DEFAULT, &max, err))
        return false;
    static const char *const item_types[] = {"ConfigurationUpdate", "StateUpdate", "Action",
                                             "AlarmContributorStateUpdate",
                                             "AlarmContributorAction"};
    bool known = !type;
    for (size_t i = 0; type && i < sizeof item_types / sizeof item_types[0]; i++)
        known = known || strcmp(type, item_types[i]) == 0;
    if (!known)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter HistoryItemType must be a value in the set [ "
                          "ConfigurationUpdate, StateUpdate, Action, "
                          "AlarmContributorStateUpdate, AlarmContributorAction ].");
    if (scan && strcmp(scan, "TimestampDescending") != 0 &&
        strcmp(scan, "TimestampAscending") != 0)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The parameter ScanBy must be a value in the set [ "
                          "TimestampDescending, TimestampAscending ].");
    bool asc = scan && strcmp(scan, "TimestampAscending") == 0;
    int64_t cursor = asc ? 0 : INT64_MAX;
    if (token && (token[0] != 'h' || !str_to_int64(token + 1, 0, INT64_MAX, &cursor)))
        return awserr_set(err, AWSERR_CW_INVALID_NEXT_TOKEN, "The NextToken is invalid.");
    cJSON *out = cJSON_AddArrayToObject(result, "AlarmHistoryItems");
    if (types && !cwa_list_has(types, "MetricAlarm"))
        return true;
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, asc ? "SELECT id, alarm, ts_ms, type, summary, data FROM cw_alarm_history"
                     " WHERE id > ?1 AND (?2 IS NULL OR alarm = ?2) AND (?3 IS NULL OR type = ?3)"
                     " AND ts_ms >= ?4 AND ts_ms < ?5 ORDER BY id LIMIT ?6"
                   : "SELECT id, alarm, ts_ms, type, summary, data FROM cw_alarm_history"
                     " WHERE id < ?1 AND (?2 IS NULL OR alarm = ?2) AND (?3 IS NULL OR type = ?3)"
                     " AND ts_ms >= ?4 AND ts_ms < ?5 ORDER BY id DESC LIMIT ?6");
    if (!st)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The alarm store failed.");
    sqlite3_bind_int64(st, 1, cursor);
    sqlrow_bind_text(st, 2, name);
    sqlrow_bind_text(st, 3, type);
    sqlite3_bind_int64(st, 4, hs ? start * 1000 : INT64_MIN);
    sqlite3_bind_int64(st, 5, he ? end * 1000 : INT64_MAX);
    sqlite3_bind_int64(st, 6, max + 1);
    int64_t n = 0, last = 0;
    bool more = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == max) {
            more = true;
            break;
        }
        cJSON *h = cJSON_CreateObject();
        last = sqlite3_column_int64(st, 0);
        cJSON_AddStringToObject(h, "AlarmName", (const char *)sqlite3_column_text(st, 1));
        cJSON_AddStringToObject(h, "AlarmType", "MetricAlarm");
        cJSON_AddItemToObject(h, "Timestamp",
                              cwproto_time((double)sqlite3_column_int64(st, 2) / 1000.0));
        cJSON_AddStringToObject(h, "HistoryItemType", (const char *)sqlite3_column_text(st, 3));
        cJSON_AddStringToObject(h, "HistorySummary", (const char *)sqlite3_column_text(st, 4));
        cJSON_AddStringToObject(h, "HistoryData", (const char *)sqlite3_column_text(st, 5));
        cJSON_AddItemToArray(out, h);
        n++;
    }
    sqlite3_finalize(st);
    if (more) {
        char t[32];
        snprintf(t, sizeof t, "h%lld", (long long)last);
        cJSON_AddStringToObject(result, "NextToken", t);
    }
    return true;
}
