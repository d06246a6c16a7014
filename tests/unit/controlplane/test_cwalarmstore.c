/* cwalarm with a real store: PutMetricAlarm evaluates at once, each
 * transition writes its history and one delivery per subscriber of the
 * new state's topics in one transaction, SetAlarmState, disabled actions,
 * the cron's evaluation on the region clock, Describe*, DeleteAlarms and
 * refusals (under SANITIZE too: the handlers' memory). */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/cloudwatch.h"
#include "controlplane/obs/cwalarm.h"
#include "controlplane/obs/cwstore.h"
#include "lib/tap.h"
#include "lib/util.h"

#define TOPIC "arn:aws:sns:us-east-1:123456789012:alarms"

static region r;

static int64_t count(const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(store_sqlite(r.st), sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Calls op with the JSON request text; the awserr code (AWSERR_NONE on
 * success); *out (may be NULL) gets the result. */
static awserr_code call(cw_op_fn op, const char *json, cJSON **out)
{
    cJSON *req = cJSON_Parse(json);
    cJSON *res = cJSON_CreateObject();
    awserr err = {0};
    if (!req || (!op(&r, req, res, &err) && err.code == AWSERR_NONE))
        err.code = AWSERR_INTERNAL_FAILURE;
    cJSON_Delete(req);
    if (out)
        *out = res;
    else
        cJSON_Delete(res);
    return err.code;
}

static const char *state(const char *name)
{
    static char buf[32];
    cwa_alarm a;
    snprintf(buf, sizeof buf, "%s",
             cwalarm_get(r.st, name, &a) == 1 ? cwa_state_name(a.state) : "(none)");
    if (strcmp(buf, "(none)") != 0)
        cwa_alarm_free(&a);
    return buf;
}

static void put_point(double v, int64_t ts)
{
    cw_stat s = {.n = 1, .sum = v, .min = v, .max = v};
    snprintf(s.unit, sizeof s.unit, "None");
    ok(store_begin(r.st) && cwstore_put(r.st, "App/Q", "Depth", "[]", &s, ts) &&
           store_commit(r.st),
       "a point stored");
}

int main(void)
{
    char dir[] = "/tmp/rdsim-cwalarm-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *db = xasprintf("%s/cp.db", dir);
    r.cfg.name = "us-east-1";
    r.cfg.account = "123456789012";
    r.home = dir;
    r.st = store_open(db);
    ok(r.st != NULL, "store");
    ok(sqlite3_exec(store_sqlite(r.st),
                    "INSERT INTO sns_topics VALUES('" TOPIC "','alarms',0);"
                    "INSERT INTO sns_subscriptions VALUES('" TOPIC ":s1','" TOPIC "','sqs',"
                    "'arn:aws:sqs:us-east-1:123456789012:q',0);"
                    "INSERT INTO sns_subscriptions VALUES('" TOPIC ":s2','" TOPIC "','email',"
                    "'ops@example.com',0);",
                    NULL, NULL, NULL) == SQLITE_OK,
       "a topic with two subscriptions");
    /* The region clock 20 s into a minute: no minute ends during the test. */
    r.clock_offset_ms = 20000 - region_now_ms(&r) % 60000;
    int64_t now = region_now_ms(&r) / 1000;
    put_point(100, now - 60);

    is_int(call(cw_put_metric_alarm,
                "{\"AlarmName\":\"hi\",\"Namespace\":\"App/Q\",\"MetricName\":\"Depth\","
                "\"Statistic\":\"Maximum\",\"Period\":60,\"EvaluationPeriods\":1,"
                "\"Threshold\":50,\"ComparisonOperator\":\"GreaterThanThreshold\","
                "\"AlarmActions\":[\"" TOPIC "\"],\"OKActions\":[\"" TOPIC "\"],"
                "\"InsufficientDataActions\":[\"arn:aws:sns:us-east-1:123456789012:gone\"]}",
                NULL),
           AWSERR_NONE, "PutMetricAlarm");
    is_str(state("hi"), "ALARM", "evaluated at once: ALARM");
    is_int(count("SELECT count(*) FROM deliveries"), 2, "one delivery per subscriber");
    is_int(count("SELECT count(*) FROM sns_messages WHERE subject LIKE 'ALARM: \"hi\" in US East%'"), 1,
           "one message, CloudWatch's Subject");
    is_int(count("SELECT count(*) FROM cw_alarm_history WHERE alarm='hi'"), 3,
           "history: created, state update, action");

    /* SetAlarmState: same state changes nothing; another runs OK actions */
    is_int(call(cw_set_alarm_state, "{\"AlarmName\":\"hi\",\"StateValue\":\"ALARM\",\"StateReason\":\"x\"}", NULL),
           AWSERR_NONE, "SetAlarmState to the same state");
    is_int(count("SELECT count(*) FROM deliveries"), 2, "... sends nothing");
    is_int(call(cw_set_alarm_state, "{\"AlarmName\":\"hi\",\"StateValue\":\"INSUFFICIENT_DATA\",\"StateReason\":\"y\"}", NULL),
           AWSERR_NONE, "SetAlarmState INSUFFICIENT_DATA");
    is_int(count("SELECT count(*) FROM cw_alarm_history WHERE type='Action' AND summary LIKE 'Failed%gone%'"), 1,
           "an action to a topic that does not exist is a failed Action item");
    is_int(count("SELECT count(*) FROM deliveries"), 2, "... and sends nothing");

    /* the cron: nothing before the next minute, then the evaluation */
    cwalarm_tick(&r);
    is_str(state("hi"), "INSUFFICIENT_DATA", "SetAlarmState's state stands until the next minute");
    r.clock_offset_ms += 60000;
    put_point(1, region_now_ms(&r) / 1000 - 60);
    cwalarm_tick(&r);
    is_str(state("hi"), "OK", "the next minute's evaluation: OK");
    is_int(count("SELECT count(*) FROM deliveries"), 4, "... OK actions sent");

    /* disabled actions: transitions recorded, nothing sent */
    is_int(call(cw_disable_alarm_actions, "{\"AlarmNames\":[\"hi\",\"nope\"]}", NULL), AWSERR_NONE,
           "DisableAlarmActions (an unknown name skipped)");
    is_int(call(cw_set_alarm_state, "{\"AlarmName\":\"hi\",\"StateValue\":\"ALARM\",\"StateReason\":\"z\"}", NULL),
           AWSERR_NONE, "SetAlarmState ALARM with actions off");
    is_int(count("SELECT count(*) FROM deliveries"), 4, "... sends nothing");
    is_int(call(cw_enable_alarm_actions, "{\"AlarmNames\":[\"hi\"]}", NULL), AWSERR_NONE, "EnableAlarmActions");

    /* Describe* */
    cJSON *out = NULL;
    is_int(call(cw_describe_alarms, "{\"StateValue\":\"ALARM\"}", &out), AWSERR_NONE, "DescribeAlarms");
    cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(out, "MetricAlarms"), 0);
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(a, "AlarmArn")),
           "arn:aws:cloudwatch:us-east-1:123456789012:alarm:hi", "AlarmArn");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(a, "StateReason")), "z", "StateReason");
    cJSON_Delete(out);
    is_int(call(cw_describe_alarms, "{\"NextToken\":\"zz\"}", NULL), AWSERR_CW_INVALID_NEXT_TOKEN,
           "a bad NextToken");
    is_int(call(cw_describe_alarms_for_metric, "{\"Namespace\":\"App/Q\",\"MetricName\":\"Depth\",\"Period\":60}", &out),
           AWSERR_NONE, "DescribeAlarmsForMetric");
    is_int(cJSON_GetArraySize(cJSON_GetObjectItem(out, "MetricAlarms")), 1, "... finds the alarm");
    cJSON_Delete(out);
    is_int(call(cw_describe_alarm_history, "{\"AlarmName\":\"hi\",\"MaxRecords\":2}", &out), AWSERR_NONE,
           "DescribeAlarmHistory");
    ok(cJSON_GetArraySize(cJSON_GetObjectItem(out, "AlarmHistoryItems")) == 2 &&
           cJSON_IsString(cJSON_GetObjectItem(out, "NextToken")),
       "... a page of 2 and a NextToken");
    cJSON_Delete(out);

    /* refusals, hostile input */
    static const struct {
        const char *json;
        awserr_code want;
        const char *name;
    } bad[] = {
        {"{\"AlarmName\":\"b\",\"Namespace\":\"N\",\"MetricName\":\"M\",\"Statistic\":\"Sum\",\"Period\":60,"
         "\"EvaluationPeriods\":1,\"Threshold\":1,\"ComparisonOperator\":\"GreaterThanUpperThreshold\"}",
         AWSERR_INVALID_PARAMETER_VALUE, "a band operator"},
        {"{\"AlarmName\":\"b\",\"Metrics\":[{\"Id\":\"m\"}],\"EvaluationPeriods\":1,\"Threshold\":1,"
         "\"ComparisonOperator\":\"GreaterThanThreshold\"}", AWSERR_INVALID_PARAMETER_VALUE, "Metrics"},
        {"{\"AlarmName\":\"b\",\"Namespace\":\"N\",\"MetricName\":\"M\",\"Statistic\":\"p99\",\"Period\":60,"
         "\"EvaluationPeriods\":1,\"Threshold\":1,\"ComparisonOperator\":\"GreaterThanThreshold\"}",
         AWSERR_INVALID_PARAMETER_VALUE, "an unknown Statistic"},
        {"{\"AlarmName\":\"b\",\"Namespace\":\"N\",\"MetricName\":\"M\",\"Statistic\":\"Sum\",\"Period\":61,"
         "\"EvaluationPeriods\":1,\"Threshold\":1,\"ComparisonOperator\":\"GreaterThanThreshold\"}",
         AWSERR_INVALID_PARAMETER_VALUE, "Period 61"},
        {"{\"AlarmName\":\"b\",\"Namespace\":\"N\",\"MetricName\":\"M\",\"Statistic\":\"Sum\",\"Period\":86400,"
         "\"EvaluationPeriods\":8,\"Threshold\":1,\"ComparisonOperator\":\"GreaterThanThreshold\"}",
         AWSERR_INVALID_PARAMETER_VALUE, "more than 7 days"},
        {"{\"AlarmName\":\"b\",\"Namespace\":\"N\",\"MetricName\":\"M\",\"Statistic\":\"Sum\",\"Period\":60,"
         "\"EvaluationPeriods\":1,\"Threshold\":1,\"ComparisonOperator\":\"GreaterThanThreshold\","
         "\"AlarmActions\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}", AWSERR_INVALID_PARAMETER_VALUE, "6 actions"},
        {"{\"AlarmName\":\"b\",\"Namespace\":\"N\",\"MetricName\":\"M\",\"Statistic\":\"Sum\",\"Period\":60,"
         "\"EvaluationPeriods\":1,\"Threshold\":1,\"ComparisonOperator\":\"GreaterThanThreshold\","
         "\"AlarmActions\":[\"arn:aws:sns:us-east-1:999999999999:t\"]}", AWSERR_INVALID_PARAMETER_VALUE,
         "a topic of another account"},
        {"{\"AlarmName\":\"b\",\"Namespace\":\"N\",\"MetricName\":\"M\",\"Statistic\":\"Sum\",\"Period\":60,"
         "\"EvaluationPeriods\":1,\"Threshold\":1,\"ComparisonOperator\":\"GreaterThanThreshold\","
         "\"TreatMissingData\":\"sometimes\"}", AWSERR_INVALID_PARAMETER_VALUE, "a bad TreatMissingData"},
        {"{\"AlarmName\":\"b\\u0007\",\"Namespace\":\"N\",\"MetricName\":\"M\",\"Statistic\":\"Sum\",\"Period\":60,"
         "\"EvaluationPeriods\":1,\"Threshold\":1,\"ComparisonOperator\":\"GreaterThanThreshold\"}",
         AWSERR_INVALID_PARAMETER_VALUE, "a control character in the name"},
        {"{\"AlarmName\":[1],\"Namespace\":\"N\"}", AWSERR_INVALID_PARAMETER_VALUE, "a name that is a list"},
        {"{\"Namespace\":\"N\"}", AWSERR_MISSING_PARAMETER, "no AlarmName"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        is_int(call(cw_put_metric_alarm, bad[i].json, NULL), bad[i].want, bad[i].name);
    is_int(count("SELECT count(*) FROM cw_alarms"), 1, "no refused alarm was stored");
    is_int(call(cw_set_alarm_state, "{\"AlarmName\":\"hi\",\"StateValue\":\"OK\",\"StateReason\":\"x\","
                                    "\"StateReasonData\":\"[1]\"}", NULL),
           AWSERR_CW_INVALID_FORMAT, "StateReasonData not an object: InvalidFormat");
    is_int(call(cw_set_alarm_state, "{\"AlarmName\":\"nope\",\"StateValue\":\"OK\",\"StateReason\":\"x\"}", NULL),
           AWSERR_RESOURCE_NOT_FOUND, "SetAlarmState of an unknown alarm");
    is_int(call(cw_delete_alarms, "{\"AlarmNames\":[\"hi\",\"nope\"]}", NULL), AWSERR_RESOURCE_NOT_FOUND,
           "DeleteAlarms with an unknown name");
    is_str(state("hi"), "ALARM", "... deletes nothing");
    is_int(call(cw_delete_alarms, "{\"AlarmNames\":[\"hi\"]}", NULL), AWSERR_NONE, "DeleteAlarms");
    is_str(state("hi"), "(none)", "... gone");
    ok(count("SELECT count(*) FROM cw_alarm_history WHERE alarm='hi' AND summary='Alarm \"hi\" deleted'") == 1,
       "... its history stays and says so");

    store_close(r.st);
    char *cmd = xasprintf("rm -rf %s", dir);
    ok(system(cmd) == 0, "cleanup");
    free(cmd);
    free(db);
    return done_testing();
}
