/* Unit tests for CloudWatch Logs (controlplane/obs): PostgreSQL log bytes
 * cut into events (obs/logline), hostile bytes (NUL, invalid UTF-8, a
 * 1 MB line), filter patterns (obs/logfilter), and the JSON API on a real
 * store (obs/cwlapi): errors as __type, GetLogEvents' tokens (the same
 * token back at the end), FilterLogEvents' paging, retention on the region
 * clock and the per-group byte cap. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/cwlapi.h"
#include "controlplane/obs/cwlstore.h"
#include "controlplane/obs/logfilter.h"
#include "controlplane/obs/logline.h"
#include "lib/tap.h"
#include "lib/util.h"

/* ---- logline ---------------------------------------------------------------- */

typedef struct {
    char *msgs[16];
    int64_t ts[16];
    int n, stop_at;
} collected;

static bool collect(void *arg, const char *buf, const logline_event *ev)
{
    collected *c = arg;
    if (c->n == c->stop_at || c->n == 16)
        return false;
    size_t len;
    c->msgs[c->n] = logline_clean(buf + ev->off, ev->len, LOGLINE_EVENT_MAX, &len);
    c->ts[c->n++] = ev->ts_ms;
    return true;
}

static void collected_free(collected *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->msgs[i]);
}

static void test_ts(void)
{
    int64_t ms = 0;
    ok(logline_parse_ts("2026-12-07 15:14:26.123 UTC [42] LOG:  x", 40, &ms) &&
           ms == 1796656466123LL, "'%m [%p] ' prefix: ms since the epoch");
    ok(logline_parse_ts("2026-12-07 15:14:26 UTC:127.0.0.1(5):u@d:[7]:LOG: x", 50, &ms) &&
           ms == 1796656466000LL, "RDS's '%t:%r:%u@%d:[%p]:' prefix");
    ok(logline_parse_ts("1970-01-01 00:00:00.000 GMT x", 29, &ms) && ms == 0, "the epoch");
    ok(!logline_parse_ts("2026-13-07 15:14:26.123 UTC", 27, &ms), "month 13 refused");
    ok(!logline_parse_ts("2026-12-07 15:14:26.123 CET", 27, &ms), "another zone is no prefix");
    ok(!logline_parse_ts("\tand b = 2", 10, &ms), "a statement's second line");
    ok(!logline_parse_ts("2026-12-07", 10, &ms), "too short");
}

static void test_cut(void)
{
    const char *log =
        "2026-12-07 15:00:00.000 UTC [1] LOG:  statement: select 1\n"
        "2026-12-07 15:00:01.000 UTC [1] ERROR:  relation \"t\" does not exist at character 15\n"
        "2026-12-07 15:00:01.000 UTC [1] STATEMENT:  select * from t\n"
        "\twhere x = 1\n"
        "2026-12-07 15:00:02.500 UTC [2] LOG:  statement: select 2\n"
        "2026-12-07 15:00:03.000 UTC [2] LOG:  incomplete";
    collected c = {.stop_at = -1};
    bool stopped;
    int64_t last;
    size_t used = logline_cut(log, strlen(log), 7, collect, &c, &stopped, &last);
    is_int(c.n, 3, "three complete events (the incomplete line waits)");
    is_str(c.msgs[0], "2026-12-07 15:00:00.000 UTC [1] LOG:  statement: select 1", "event 1");
    ok(c.n > 1 && strstr(c.msgs[1], "STATEMENT:  select * from t\n\twhere x = 1") &&
           !strchr(c.msgs[1] + strlen(c.msgs[1]) - 1, '\n'),
       "an ERROR keeps its STATEMENT and the statement's second line, no final newline");
    is_int(c.ts[2], 1796655602500LL, "event 3's timestamp from its prefix");
    is_int((long long)used, (long long)(strstr(log, "2026-12-07 15:00:03") - log),
           "consumed up to the incomplete line");
    ok(!stopped && last == 1796655602500LL, "last timestamp reported");
    collected_free(&c);

    collected d = {.stop_at = 1};
    used = logline_cut(log, strlen(log), 7, collect, &d, &stopped, &last);
    ok(stopped && d.n == 1 && used == strlen("2026-12-07 15:00:00.000 UTC [1] LOG:  statement: "
                                             "select 1\n"),
       "a refused event stops the cut after the previous one");
    collected_free(&d);

    collected e = {.stop_at = -1};
    used = logline_cut("no prefix\nat all\n", 17, 99, collect, &e, &stopped, &last);
    ok(e.n == 1 && e.ts[0] == 99 && used == 17, "lines without a prefix: one event, fallback time");
    collected_free(&e);
}

static void test_hostile(void)
{
    size_t len;
    char *m = logline_clean("a\0b\xff\xc3(\xe2\x82\n", 9, 100, &len);
    is_str(m, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD",
           "NUL, 0xff, a cut sequence and a truncated one: U+FFFD per byte; newline dropped");
    ok(strlen(m) == len, "no NUL inside");
    free(m);
    m = logline_clean("\xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf", 11, 100, &len);
    ok(strstr(m, "\xed\xa0\x80") == NULL && strstr(m, "\xc0\xaf") == NULL,
       "surrogates, > U+10FFFF and overlong forms refused");
    free(m);
    m = logline_clean("\xc3\xa9\xc3\xa9", 4, 3, &len);
    is_str(m, "\xc3\xa9", "the cap cuts on a character boundary");
    free(m);
    /* A 1 MB line without a newline is cut at the window, never waits forever. */
    size_t big = LOGLINE_WINDOW + 10;
    char *buf = xmalloc(big);
    memset(buf, 'x', big);
    memcpy(buf, "2026-12-07 15:00:00.000 UTC [1] LOG:  ", 38);
    collected c = {.stop_at = -1};
    bool stopped;
    int64_t last;
    size_t used = logline_cut(buf, LOGLINE_WINDOW - 1, 0, collect, &c, &stopped, &last);
    ok(used == 0 && c.n == 0, "less than a window without a newline waits");
    used = logline_cut(buf, big, 0, collect, &c, &stopped, &last);
    ok(used == big && c.n == 1 && strlen(c.msgs[0]) == LOGLINE_EVENT_MAX,
       "a full window without a newline is one event, cut to 256 KB - 26");
    collected_free(&c);
    free(buf);
}

/* ---- logfilter -------------------------------------------------------------- */

static const struct {
    const char *name, *pattern, *msg;
    bool match;
} FILTERS[] = {
    {"empty matches all", "", "anything", true},
    {"blanks match all", "   ", "anything", true},
    {"one term", "ERROR", "x ERROR y", true},
    {"case-sensitive", "error", "x ERROR y", false},
    {"terms ANDed: both", "ERROR relation", "ERROR: relation t", true},
    {"terms ANDed: one missing", "ERROR timeout", "ERROR: relation t", false},
    {"quoted phrase", "\"does not exist\"", "relation t does not exist", true},
    {"quoted phrase in order", "\"exist does\"", "relation t does not exist", false},
    {"escaped quote", "\"say \\\"hi\\\"\"", "they say \"hi\"", true},
    {"?alternatives: second", "?FATAL ?ERROR", "x ERROR", true},
    {"?alternatives: none", "?FATAL ?PANIC", "x ERROR", false},
    {"-exclusion", "LOG -checkpoint", "LOG: checkpoint starting", false},
    {"-exclusion: kept", "LOG -checkpoint", "LOG: statement", true},
    {"-\"phrase\"", "LOG -\"checkpoint starting\"", "LOG: checkpoint complete", true},
    {"term with ?-terms", "LOG ?select ?insert", "LOG: statement: insert", true},
    {"term with ?-terms: term missing", "LOG ?select ?insert", "ERROR: insert", false},
    {"multibyte", "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9 2026", true},
};

static void test_filter(void)
{
    char why[256];
    for (size_t i = 0; i < sizeof FILTERS / sizeof FILTERS[0]; i++) {
        logfilter *f = logfilter_compile(FILTERS[i].pattern, why, sizeof why);
        ok(f && logfilter_match(f, FILTERS[i].msg) == FILTERS[i].match, FILTERS[i].name);
        logfilter_free(f);
    }
    const char *refused[] = {"{ $.level = \"ERROR\" }", "[ip, user, status=5*]", "%ERR.*%",
                             "\"unterminated"};
    for (size_t i = 0; i < 4; i++) {
        why[0] = '\0';
        logfilter *f = logfilter_compile(refused[i], why, sizeof why);
        ok(!f && why[0], refused[i]);
    }
    char *long_pat = xmalloc(LOGFILTER_MAX + 2);
    memset(long_pat, 'a', LOGFILTER_MAX + 1);
    long_pat[LOGFILTER_MAX + 1] = '\0';
    ok(!logfilter_compile(long_pat, why, sizeof why), "a pattern over 1024 characters refused");
    free(long_pat);
}

/* ---- the API on a store ----------------------------------------------------- */

static cJSON *call(region *r, const char *op, const char *body, int *status)
{
    char *target = xasprintf("Logs_20140328.%s", op), *out = NULL;
    cwl_api_handle(r, target, body, strlen(body), &out, status);
    cJSON *j = cJSON_Parse(out);
    free(out);
    free(target);
    return j;
}

static const char *err_type(cJSON *j)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "__type");
    return cJSON_IsString(t) ? t->valuestring : "-";
}

static void expect(region *r, const char *op, const char *body, const char *type,
                   const char *name)
{
    int status;
    cJSON *j = call(r, op, body, &status);
    is_str(err_type(j), type, name);
    cJSON_Delete(j);
}

static const char *str_of(cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int nevents(cJSON *j)
{
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "events"));
}

static const char *msg_at(cJSON *j, int i)
{
    cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "events"), i);
    return str_of(e, "message");
}

static void put_events(region *r, int64_t t0, int n)
{
    sbuf b = {0};
    sbuf_puts(&b, "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":[");
    for (int i = 0; i < n; i++)
        sbuf_printf(&b, "%s{\"timestamp\":%lld,\"message\":\"m%d %s\"}", i ? "," : "",
                    (long long)(t0 + i), i, i % 2 ? "odd" : "even");
    sbuf_puts(&b, "]}");
    int status;
    cJSON *j = call(r, "PutLogEvents", b.data, &status);
    is_int(status, 200, "PutLogEvents");
    cJSON_Delete(j);
    sbuf_free(&b);
}

static void test_tokens(region *r, int64_t t0)
{
    int status;
    char body[256];
    cJSON *j = call(r, "GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\","
                                       "\"limit\":2}", &status);
    ok(nevents(j) == 2 && strcmp(msg_at(j, 0), "m8 even") == 0 &&
           strcmp(msg_at(j, 1), "m9 odd") == 0, "no token: the last events, oldest first");
    snprintf(body, sizeof body, "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"limit\":3,"
             "\"nextToken\":\"%s\"}", str_of(j, "nextBackwardToken"));
    cJSON_Delete(j);
    j = call(r, "GetLogEvents", body, &status);
    ok(nevents(j) == 3 && strcmp(msg_at(j, 0), "m5 odd") == 0 &&
           strcmp(msg_at(j, 2), "m7 odd") == 0, "backward token: the three before");
    cJSON_Delete(j);
    j = call(r, "GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"limit\":4,"
                                "\"startFromHead\":true}", &status);
    ok(nevents(j) == 4 && strcmp(msg_at(j, 0), "m0 even") == 0, "startFromHead: the first four");
    char fwd[128];
    int seen = nevents(j), rounds = 0;
    snprintf(fwd, sizeof fwd, "%s", str_of(j, "nextForwardToken"));
    cJSON_Delete(j);
    for (;;) {
        snprintf(body, sizeof body, "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"limit\":4,"
                 "\"nextToken\":\"%s\"}", fwd);
        j = call(r, "GetLogEvents", body, &status);
        bool same = strcmp(str_of(j, "nextForwardToken"), fwd) == 0;
        seen += nevents(j);
        snprintf(fwd, sizeof fwd, "%s", str_of(j, "nextForwardToken"));
        cJSON_Delete(j);
        if (same || ++rounds > 10)
            break;
    }
    ok(seen == 10 && rounds == 2, "forward paging sees all ten, then the same token comes back");
    put_events(r, t0 + 100, 1);
    snprintf(body, sizeof body, "{\"logGroupName\":\"g\",\"logStreamName\":\"s\","
             "\"nextToken\":\"%s\"}", fwd);
    j = call(r, "GetLogEvents", body, &status);
    ok(nevents(j) == 1 && strcmp(msg_at(j, 0), "m0 even") == 0,
       "the end token then gives the event written since");
    cJSON_Delete(j);
    expect(r, "GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\","
           "\"nextToken\":\"x/1/2\"}", "InvalidParameterException", "a forged token refused");
}

static void test_filter_api(region *r, int64_t t0)
{
    int status;
    char body[300];
    cJSON *j = call(r, "FilterLogEvents", "{\"logGroupName\":\"g\",\"filterPattern\":\"odd\"}",
                    &status);
    ok(nevents(j) == 5 && !cJSON_GetObjectItemCaseSensitive(j, "nextToken"),
       "filter 'odd': five events, no token");
    cJSON *e0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "events"), 0);
    ok(*str_of(e0, "eventId") && strcmp(str_of(e0, "logStreamName"), "s") == 0,
       "events carry eventId and logStreamName");
    cJSON_Delete(j);
    snprintf(body, sizeof body, "{\"logGroupName\":\"g\",\"startTime\":%lld,\"endTime\":%lld}",
             (long long)t0 + 2, (long long)t0 + 5);
    j = call(r, "FilterLogEvents", body, &status);
    is_int(nevents(j), 3, "startTime inclusive, endTime exclusive");
    cJSON_Delete(j);
    int pages = 0, total = 0;
    char tok[128] = "";
    do {
        snprintf(body, sizeof body, "{\"logGroupName\":\"g\",\"limit\":4%s%s%s}",
                 *tok ? ",\"nextToken\":\"" : "", tok, *tok ? "\"" : "");
        j = call(r, "FilterLogEvents", body, &status);
        total += nevents(j);
        snprintf(tok, sizeof tok, "%s", str_of(j, "nextToken"));
        cJSON_Delete(j);
    } while (*tok && ++pages < 10);
    ok(total == 11 && pages == 2, "limit 4 pages through eleven events in three calls");
    expect(r, "FilterLogEvents", "{\"logGroupName\":\"g\",\"filterPattern\":\"{ $.a = 1 }\"}",
           "InvalidParameterException", "a JSON pattern refused clearly");
    expect(r, "FilterLogEvents", "{\"logGroupName\":\"g\",\"logStreamNames\":[\"s\"],"
           "\"logStreamNamePrefix\":\"s\"}", "InvalidParameterException",
           "names and prefix together refused");
    j = call(r, "FilterLogEvents", "{\"logGroupName\":\"g\",\"logStreamNames\":[\"other\"]}",
             &status);
    is_int(nevents(j), 0, "logStreamNames selects streams");
    cJSON_Delete(j);
}

static void test_api(const char *path)
{
    region r = {0};
    r.cfg.name = "us-east-1";
    r.cfg.account = "123456789012";
    r.st = store_open(path);
    ok(r.st != NULL, "store");
    int64_t t0 = region_now_ms(&r) - 60000;
    expect(&r, "CreateLogGroup", "{\"logGroupName\":\"g\"}", "-", "CreateLogGroup");
    expect(&r, "CreateLogGroup", "{\"logGroupName\":\"g\"}", "ResourceAlreadyExistsException",
           "again: ResourceAlreadyExistsException");
    expect(&r, "CreateLogGroup", "{\"logGroupName\":\"bad name!\"}", "InvalidParameterException",
           "a bad group name");
    expect(&r, "CreateLogGroup", "{}", "InvalidParameterException", "no name");
    expect(&r, "CreateLogGroup", "[1]", "SerializationException", "not an object");
    expect(&r, "Nope", "{}", "UnknownOperationException", "an unknown operation");
    expect(&r, "CreateLogStream", "{\"logGroupName\":\"nope\",\"logStreamName\":\"s\"}",
           "ResourceNotFoundException", "a stream in a missing group");
    expect(&r, "CreateLogStream", "{\"logGroupName\":\"g\",\"logStreamName\":\"a:b\"}",
           "InvalidParameterException", "':' in a stream name");
    expect(&r, "CreateLogStream", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\"}", "-",
           "CreateLogStream");
    expect(&r, "PutLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":"
           "[{\"timestamp\":2,\"message\":\"b\"},{\"timestamp\":1,\"message\":\"a\"}]}",
           "InvalidParameterException", "events out of order refused");
    expect(&r, "PutLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"t\",\"logEvents\":"
           "[{\"timestamp\":2,\"message\":\"b\"}]}", "ResourceNotFoundException",
           "a missing stream");
    static const struct {
        const char *op, *body, *type, *name;
    } hostile[] = {
        {"GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"limit\":0}",
         "InvalidParameterException", "limit 0"},
        {"GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"limit\":1e300}",
         "SerializationException", "limit 1e300"},
        {"GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":7}",
         "SerializationException", "a number for a name"},
        {"GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"startTime\":-5}",
         "InvalidParameterException", "a negative startTime"},
        {"GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"startTime\":9,"
         "\"endTime\":3}", "InvalidParameterException", "endTime before startTime"},
        {"FilterLogEvents", "{\"logGroupName\":\"g\",\"nextToken\":\"1/2/3/../\"}",
         "InvalidParameterException", "a forged FilterLogEvents token"},
        {"FilterLogEvents", "{\"logGroupName\":\"g\",\"logStreamNames\":\"s\"}",
         "InvalidParameterException", "logStreamNames not a list"},
        {"FilterLogEvents", "{\"logGroupName\":\"g\",\"logStreamNames\":[1]}",
         "SerializationException", "logStreamNames of numbers"},
        {"FilterLogEvents", "{\"logGroupIdentifier\":\"arn:aws:logs:us-east-1:1:log-group:"
         "nope:*\"}", "ResourceNotFoundException", "a missing group by ARN"},
        {"DescribeLogStreams", "{\"logGroupName\":\"g\",\"orderBy\":\"Size\"}",
         "InvalidParameterException", "orderBy outside its enum"},
        {"DescribeLogStreams", "{\"logGroupName\":\"g\",\"orderBy\":\"LastEventTime\","
         "\"logStreamNamePrefix\":\"s\"}", "InvalidParameterException",
         "LastEventTime with a prefix"},
        {"DescribeLogGroups", "{\"nextToken\":\"o/-1\"}", "InvalidParameterException",
         "a negative offset token"},
        {"PutLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":[]}",
         "InvalidParameterException", "no events"},
        {"PutLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":"
         "[{\"timestamp\":1,\"message\":\"\"}]}", "InvalidParameterException", "an empty message"},
        {"CreateLogStream", "{\"logGroupName\":\"g\",\"logStreamName\":\"a\\u0001b\"}",
         "InvalidParameterException", "a control byte in a stream name"},
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        expect(&r, hostile[i].op, hostile[i].body, hostile[i].type, hostile[i].name);
    /* A message with a NUL escape and invalid UTF-8 is stored cleaned. */
    int st0;
    char *now_body = xasprintf("{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":"
                               "[{\"timestamp\":%lld,\"message\":\"bad \xff end\"}]}",
                               (long long)t0 - 1);
    cJSON *pj = call(&r, "PutLogEvents", now_body, &st0);
    free(now_body);
    cJSON_Delete(pj);
    pj = call(&r, "FilterLogEvents", "{\"logGroupName\":\"g\",\"filterPattern\":\"end\"}", &st0);
    is_str(msg_at(pj, 0), "bad \xEF\xBF\xBD end", "invalid UTF-8 in PutLogEvents is stored as U+FFFD");
    cJSON_Delete(pj);
    expect(&r, "DeleteLogGroup", "{\"logGroupName\":\"g\"}", "-", "reset the group");
    expect(&r, "CreateLogGroup", "{\"logGroupName\":\"g\"}", "-", "again");
    expect(&r, "CreateLogStream", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\"}", "-",
           "and its stream");
    put_events(&r, t0, 10);
    test_tokens(&r, t0);
    test_filter_api(&r, t0);
    expect(&r, "PutRetentionPolicy", "{\"logGroupName\":\"g\",\"retentionInDays\":2}",
           "InvalidParameterException", "retention 2 days is not a CloudWatch value");
    expect(&r, "PutRetentionPolicy", "{\"logGroupName\":\"g\",\"retentionInDays\":1}", "-",
           "retention 1 day");
    int status;
    cJSON *j = call(&r, "DescribeLogGroups", "{\"logGroupNamePrefix\":\"g\"}", &status);
    cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "logGroups"), 0);
    ok(cJSON_GetObjectItemCaseSensitive(g, "retentionInDays")->valueint == 1 &&
           cJSON_GetObjectItemCaseSensitive(g, "storedBytes")->valuedouble > 0,
       "DescribeLogGroups shows retention and stored bytes");
    cJSON_Delete(j);
    r.clock_offset_ms = 2 * 86400000LL; /* the region clock two days on */
    ok(cwl_expire(&r, region_now_ms(&r)), "expire");
    j = call(&r, "FilterLogEvents", "{\"logGroupName\":\"g\"}", &status);
    is_int(nevents(j), 0, "events past one day's retention on the region clock are gone");
    cJSON_Delete(j);
    r.clock_offset_ms = 0;
    /* The byte cap drops the oldest. */
    expect(&r, "DeleteRetentionPolicy", "{\"logGroupName\":\"g\"}", "-", "DeleteRetentionPolicy");
    put_events(&r, t0 + 1000, 10);
    ok(store_begin(r.st) && cwl_group_trim(&r, "g", 30) && store_commit(r.st), "trim to 30 bytes");
    j = call(&r, "GetLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\"}", &status);
    ok(nevents(j) == 4 && strcmp(msg_at(j, 0), "m6 even") == 0,
       "the newest events within the cap remain");
    cJSON_Delete(j);
    expect(&r, "DeleteLogGroup", "{\"logGroupName\":\"g\"}", "-", "DeleteLogGroup");
    expect(&r, "DeleteLogGroup", "{\"logGroupName\":\"g\"}", "ResourceNotFoundException",
           "deleted: ResourceNotFoundException");
    store_close(r.st);
}

int main(void)
{
    test_ts();
    test_cut();
    test_hostile();
    test_filter();
    char dir[] = "/tmp/test_cwlogs.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char *path = xasprintf("%s/store.db", dir);
    test_api(path);
    char *cmd = xasprintf("rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("cleanup failed");
    free(cmd);
    free(path);
    return done_testing();
}
