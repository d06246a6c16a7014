/* cwalarm's pure part (cwalarmeval.c): M of N, each TreatMissingData,
 * the four comparison operators, CloudWatch's reason texts and number
 * format, the SNS Subject and Message, hostile names. */
#include <cjson/cJSON.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/obs/cwalarm.h"
#include "lib/tap.h"
#include "lib/util.h"

static bool matches(const char *s, const char *re)
{
    regex_t rx;
    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool m = regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    if (!m)
        printf("# '%s' !~ /%s/\n", s, re);
    return m;
}

#define T0 1433353380 /* 2015-06-03 17:43:00 UTC */

/* pts from a pattern, newest first: 'X' breaching (value 10), '0' not
 * (value 1), '-' missing; threshold 5, GreaterThanThreshold. */
static void pattern(const char *p, cwa_point *pts)
{
    for (int i = 0; p[i]; i++) {
        pts[i].ts = T0 - (int64_t)(i + 1) * 60;
        pts[i].present = p[i] != '-';
        pts[i].value = p[i] == 'X' ? 10 : 1;
        pts[i].n = 1;
    }
}

static cwa_state eval(const char *p, int m, cwa_tmd tmd, cwa_state cur)
{
    cwa_point pts[16];
    pattern(p, pts);
    cwa_rule rule = {.op = CWA_GT, .threshold = 5, .n = (int)strlen(p), .m = m, .tmd = tmd,
                     .period = 60, .statistic = "Average"};
    cwa_result res;
    cwa_evaluate(&rule, pts, cur, (int64_t)T0 * 1000, &res);
    cwa_state s = res.state;
    cwa_result_free(&res);
    return s;
}

static void test_m_of_n(void)
{
    static const struct {
        const char *pts;
        int m;
        cwa_tmd tmd;
        cwa_state cur, want;
        const char *name;
    } cases[] = {
        {"X", 1, CWA_MISSING, CWA_INSUFFICIENT, CWA_ALARM, "1 of 1 breaching"},
        {"0", 1, CWA_MISSING, CWA_ALARM, CWA_OK, "1 of 1 fine"},
        {"X0X", 2, CWA_MISSING, CWA_OK, CWA_ALARM, "2 of 3: two breaching"},
        {"X00", 2, CWA_MISSING, CWA_ALARM, CWA_OK, "2 of 3: one breaching"},
        {"XXX", 3, CWA_MISSING, CWA_OK, CWA_ALARM, "3 of 3"},
        {"XX0", 3, CWA_MISSING, CWA_OK, CWA_OK, "3 of 3 with one fine"},
        /* missing: no data -> INSUFFICIENT_DATA; else real points only */
        {"---", 1, CWA_MISSING, CWA_OK, CWA_INSUFFICIENT, "missing: all missing"},
        {"-X-", 3, CWA_MISSING, CWA_OK, CWA_ALARM, "missing: the one real point breaches"},
        {"0--", 3, CWA_MISSING, CWA_ALARM, CWA_OK, "missing: the one real point is fine"},
        {"X-0", 2, CWA_MISSING, CWA_OK, CWA_OK, "missing: 1 of 2 real breaching, m 2"},
        /* ignore: no data keeps the state */
        {"---", 1, CWA_IGNORE, CWA_ALARM, CWA_ALARM, "ignore: all missing keeps ALARM"},
        {"---", 1, CWA_IGNORE, CWA_OK, CWA_OK, "ignore: all missing keeps OK"},
        {"-X-", 2, CWA_IGNORE, CWA_OK, CWA_ALARM, "ignore: real points decide"},
        /* breaching / notBreaching fill the missing ones */
        {"---", 1, CWA_BREACHING, CWA_OK, CWA_ALARM, "breaching: all missing"},
        {"X--", 3, CWA_BREACHING, CWA_OK, CWA_ALARM, "breaching: 1 real + 2 missing"},
        {"0--", 3, CWA_BREACHING, CWA_OK, CWA_OK, "breaching: a fine point stops 3 of 3"},
        {"---", 1, CWA_NOT_BREACHING, CWA_ALARM, CWA_OK, "notBreaching: all missing"},
        {"X--", 2, CWA_NOT_BREACHING, CWA_OK, CWA_OK, "notBreaching: 1 of 3 breaching, m 2"},
        {"X-X", 2, CWA_NOT_BREACHING, CWA_OK, CWA_ALARM, "notBreaching: 2 real breaching"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_str(cwa_state_name(eval(cases[i].pts, cases[i].m, cases[i].tmd, cases[i].cur)),
               cwa_state_name(cases[i].want), cases[i].name);
}

static void test_operators(void)
{
    static const struct {
        cwa_op op;
        double v;
        bool want;
    } cases[] = {
        {CWA_GE, 5, true}, {CWA_GE, 4.9, false}, {CWA_GT, 5, false}, {CWA_GT, 5.1, true},
        {CWA_LT, 5, false}, {CWA_LT, 4.9, true}, {CWA_LE, 5, true},  {CWA_LE, 5.1, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cwa_rule rule = {.op = cases[i].op, .threshold = 5};
        char name[96];
        snprintf(name, sizeof name, "%s with %g: %s", cwa_op_name(cases[i].op), cases[i].v,
                 cases[i].want ? "breaches" : "does not");
        ok(cwa_breaches(&rule, cases[i].v) == cases[i].want, name);
    }
    cwa_op op;
    ok(!cwa_op_parse("LessThanLowerOrGreaterThanUpperThreshold", &op), "a band operator does not parse");
    ok(cwa_op_parse("LessThanOrEqualToThreshold", &op) && op == CWA_LE, "names parse");
    cwa_tmd t;
    ok(cwa_tmd_parse("notBreaching", &t) && t == CWA_NOT_BREACHING && !cwa_tmd_parse("NotBreaching", &t),
       "TreatMissingData names are case-sensitive");
}

static void test_numbers(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0, "0.0"},       {1234, "1234.0"},  {0.5, "0.5"},     {-3.25, "-3.25"},
        {1e7, "1.0E7"},   {2.5e10, "2.5E10"}, {1e-4, "1.0E-4"}, {0.001, "0.001"},
        {9999999, "9999999.0"}, {123.456, "123.456"}, {1.5e-4, "1.5E-4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[40];
        cwa_fmt_double(cases[i].v, buf, sizeof buf);
        is_str(buf, cases[i].want, "a double as Java writes it");
    }
    char t[40];
    cwa_fmt_time_ms(1433353407123LL, t, sizeof t);
    is_str(t, "2015-06-03T17:43:27.123+0000", "StateChangeTime format");
}

static char *reason_of(const char *p, int m, cwa_tmd tmd, cwa_state cur, cwa_op op)
{
    cwa_point pts[16];
    pattern(p, pts);
    cwa_rule rule = {.op = op, .threshold = 5, .n = (int)strlen(p), .m = m, .tmd = tmd,
                     .period = 60, .statistic = "Average"};
    cwa_result res;
    cwa_evaluate(&rule, pts, cur, (int64_t)T0 * 1000, &res);
    char *r = xstrdup(res.reason);
    cwa_result_free(&res);
    return r;
}

static void test_reasons(void)
{
    char *r = reason_of("X", 1, CWA_MISSING, CWA_OK, CWA_GT);
    is_str(r, "Threshold Crossed: 1 out of the last 1 datapoints [10.0 (03/06/15 17:42:00)] was "
              "greater than the threshold (5.0) (minimum 1 datapoint for OK -> ALARM transition).",
           "ALARM reason, 1 of 1");
    free(r);
    r = reason_of("XX0", 2, CWA_MISSING, CWA_INSUFFICIENT, CWA_GE);
    is_str(r, "Threshold Crossed: 2 out of the last 3 datapoints [10.0 (03/06/15 17:42:00), 10.0 "
              "(03/06/15 17:41:00)] were greater than or equal to the threshold (5.0) (minimum 2 "
              "datapoints for INSUFFICIENT_DATA -> ALARM transition).",
           "ALARM reason, 2 of 3, plural");
    free(r);
    r = reason_of("0", 1, CWA_MISSING, CWA_ALARM, CWA_GT);
    is_str(r, "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (03/06/15 17:42:00)] was not "
              "greater than the threshold (5.0) (minimum 1 datapoint for ALARM -> OK transition).",
           "OK reason");
    free(r);
    r = reason_of("--", 1, CWA_MISSING, CWA_OK, CWA_GT);
    is_str(r, "Insufficient Data: 2 datapoints were unknown.", "INSUFFICIENT_DATA reason");
    free(r);
    r = reason_of("--", 1, CWA_NOT_BREACHING, CWA_ALARM, CWA_GT);
    is_str(r, "Threshold Crossed: no datapoints were received for 2 periods and 2 missing "
              "datapoints were treated as [NonBreaching].", "all missing, notBreaching");
    free(r);
    r = reason_of("0-", 1, CWA_BREACHING, CWA_OK, CWA_LT);
    ok(matches(r, "^Threshold Crossed: 2 out of the last 2 datapoints \\[1\\.0 [^]]*\\] were less than the "
            "threshold \\(5\\.0\\) and 1 missing datapoint was treated as \\[Breaching\\]"),
       "a filled missing point is named");
    free(r);

    cwa_point pts[2];
    pattern("X0", pts);
    cwa_rule rule = {.op = CWA_GT, .threshold = 5, .n = 2, .m = 1, .tmd = CWA_MISSING,
                     .period = 60, .statistic = "Maximum"};
    cwa_result res;
    cwa_evaluate(&rule, pts, CWA_OK, (int64_t)T0 * 1000 + 5, &res);
    cJSON *d = cJSON_Parse(res.reason_data);
    ok(d != NULL, "StateReasonData is JSON");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(d, "statistic")), "Maximum", "... statistic");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(d, "queryDate")),
           "2015-06-03T17:43:00.005+0000", "... queryDate");
    ok(cJSON_GetArraySize(cJSON_GetObjectItem(d, "recentDatapoints")) == 2 &&
           cJSON_GetArrayItem(cJSON_GetObjectItem(d, "recentDatapoints"), 0)->valuedouble == 1,
       "... recentDatapoints oldest first");
    ok(cJSON_GetArraySize(cJSON_GetObjectItem(d, "evaluatedDatapoints")) == 2, "... evaluatedDatapoints");
    cJSON_Delete(d);
    cwa_result_free(&res);
}

static void test_message(void)
{
    const char *hostile = "a\"b\\c</x>&\xc3\xa9";
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "AlarmName", hostile);
    cJSON_AddStringToObject(cfg, "AlarmDescription", "line1\nline2\x01");
    cJSON_AddStringToObject(cfg, "MetricName", "FreeStorageSpace");
    cJSON_AddStringToObject(cfg, "Namespace", "AWS/RDS");
    cJSON_AddStringToObject(cfg, "Statistic", "Minimum");
    cJSON *dims = cJSON_AddArrayToObject(cfg, "Dimensions");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "Name", "DBInstanceIdentifier");
    cJSON_AddStringToObject(d, "Value", "db1");
    cJSON_AddItemToArray(dims, d);
    cJSON_AddNumberToObject(cfg, "Period", 60);
    cJSON_AddNumberToObject(cfg, "EvaluationPeriods", 1);
    cJSON_AddNumberToObject(cfg, "DatapointsToAlarm", 1);
    cJSON_AddNumberToObject(cfg, "Threshold", 0);
    cJSON_AddStringToObject(cfg, "ComparisonOperator", "LessThanThreshold");
    cJSON_AddStringToObject(cfg, "TreatMissingData", "missing");
    char *m = cwa_message(cfg, "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x", "123456789012",
                          cwa_region_long_name("eu-west-1"), CWA_INSUFFICIENT, CWA_ALARM,
                          "why", 1433353407123LL);
    cJSON *o = cJSON_Parse(m);
    ok(o != NULL, "the Message is JSON");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "AlarmName")), hostile, "a hostile name round-trips");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "AlarmDescription")), "line1\nline2\x01",
           "a description with control characters round-trips");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "Region")), "EU (Ireland)", "Region long name");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "NewStateValue")), "ALARM", "NewStateValue");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "OldStateValue")), "INSUFFICIENT_DATA", "OldStateValue");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(o, "StateChangeTime")), "2015-06-03T17:43:27.123+0000",
           "StateChangeTime");
    cJSON *t = cJSON_GetObjectItem(o, "Trigger");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(t, "Statistic")), "MINIMUM", "Trigger.Statistic upper case");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(t, "StatisticType")), "Statistic", "Trigger.StatisticType");
    ok(cJSON_IsNull(cJSON_GetObjectItem(t, "Unit")), "Trigger.Unit null when unset");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(t, "Dimensions"), 0),
                                                    "value")), "db1", "Trigger.Dimensions lower-case keys");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(t, "TreatMissingData")),
           "- TreatMissingData:                    missing", "Trigger.TreatMissingData");
    ok(strstr(m, "\"Threshold\":0.0") != NULL, "Trigger.Threshold written as 0.0");
    cJSON_Delete(o);
    free(m);
    cJSON_Delete(cfg);

    char subj[160];
    cwa_subject(CWA_ALARM, "db-free", "US East (N. Virginia)", subj, sizeof subj);
    is_str(subj, "ALARM: \"db-free\" in US East (N. Virginia)", "Subject");
    char longname[300];
    memset(longname, 'a', 90);
    strcpy(longname + 90, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9zzzz");
    cwa_subject(CWA_INSUFFICIENT, longname, "EU (Ireland)", subj, sizeof subj);
    ok(strlen(subj) <= 100, "a long Subject is cut at 100 bytes");
    size_t n = strlen(subj);
    ok(n > 0 && ((unsigned char)subj[n - 1] < 0x80 || (unsigned char)subj[n - 1] >= 0xc0 ||
                 ((unsigned char)subj[n - 2] == 0xc3)),
       "... on a UTF-8 boundary");
    is_str(cwa_region_long_name("xx-moon-1"), "xx-moon-1", "an unknown region names itself");
}

int main(void)
{
    test_m_of_n();
    test_operators();
    test_numbers();
    test_reasons();
    test_message();
    return done_testing();
}
