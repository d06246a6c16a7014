/* cwlapi: see cwlapi.h. Wire work and validation; storage is cwlstore.h.
 * Mutations run in one transaction each: a refused request leaves
 * nothing behind. */
#include "controlplane/obs/cwlapi.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/cwlstore.h"
#include "controlplane/obs/logline.h"
#include "lib/log.h"
#include "lib/util.h"

#define IPE "InvalidParameterException"
#define RNF "ResourceNotFoundException"

bool cwl_fail(cwl_err *e, const char *type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    e->type = type;
    e->status = strcmp(type, "ServiceUnavailableException") == 0 ? 500 : 400;
    return false;
}

bool cwl_arg_str(const cJSON *in, const char *name, bool required, const char **out, cwl_err *e)
{
    *out = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return cwl_fail(e, IPE, "1 validation error detected: Value null at '%s' failed to "
                            "satisfy constraint: Member must not be null", name);
        return true;
    }
    if (!cJSON_IsString(v))
        return cwl_fail(e, "SerializationException", "%s must be a string.", name);
    *out = v->valuestring;
    return true;
}

bool cwl_arg_int(const cJSON *in, const char *name, int64_t lo, int64_t hi, int64_t *out,
                 bool *present, cwl_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    if (present)
        *present = false;
    if (!v || cJSON_IsNull(v))
        return true;
    /* The range first: casting a double outside int64_t is undefined. */
    if (!cJSON_IsNumber(v) || !(v->valuedouble > -9.2e18 && v->valuedouble < 9.2e18) ||
        v->valuedouble != (double)(int64_t)v->valuedouble)
        return cwl_fail(e, "SerializationException", "%s must be a whole number.", name);
    if (v->valuedouble < (double)lo || v->valuedouble > (double)hi)
        return cwl_fail(e, IPE, "1 validation error detected: Value '%.0f' at '%s' failed to "
                        "satisfy constraint: Member must have value between %lld and %lld",
                        v->valuedouble, name, (long long)lo, (long long)hi);
    *out = (int64_t)v->valuedouble;
    if (present)
        *present = true;
    return true;
}

bool cwl_arg_bool(const cJSON *in, const char *name, bool *out, cwl_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsBool(v))
        return cwl_fail(e, "SerializationException", "%s must be a boolean.", name);
    *out = cJSON_IsTrue(v);
    return true;
}

/* CloudWatch's group name rule: 1..512 of [.-_/#A-Za-z0-9]. */
static bool group_name_ok(const char *s, cwl_err *e)
{
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= 512 && strspn(s, "._-/#abcdefghijklmnopqrstuvwxyz"
                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
    if (!ok)
        return cwl_fail(e, IPE, "1 validation error detected: Value '%.100s' at 'logGroupName' "
                        "failed to satisfy constraint: Member must satisfy regular expression "
                        "pattern: [\\.\\-_/#A-Za-z0-9]+", s);
    return true;
}

/* 1..512 bytes, no ':' or '*', valid UTF-8 with no control byte. */
static bool stream_name_ok(const char *s, cwl_err *e)
{
    size_t n = strlen(s), clean_len;
    char *clean = logline_clean(s, n, 4096, &clean_len);
    bool ok = n >= 1 && n <= 512 && !strpbrk(s, ":*") && clean_len == n &&
              strcmp(clean, s) == 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
    free(clean);
    if (!ok)
        return cwl_fail(e, IPE, "1 validation error detected: Value at 'logStreamName' failed to "
                        "satisfy constraint: Member must satisfy regular expression pattern: "
                        "[^:*]*");
    return true;
}

bool cwl_arg_group(region *r, const cJSON *in, const char **out, char *buf, size_t buflen,
                   cwl_err *e)
{
    const char *name, *ident;
    if (!cwl_arg_str(in, "logGroupName", false, &name, e) ||
        !cwl_arg_str(in, "logGroupIdentifier", false, &ident, e))
        return false;
    if (name && ident)
        return cwl_fail(e, IPE, "LogGroup name and LogGroup ARN are mutually exclusive "
                        "parameters.");
    if (!name && ident) {
        /* "arn:aws:logs:<region>:<account>:log-group:<name>[:*]" or a name. */
        const char *g = strstr(ident, ":log-group:");
        snprintf(buf, buflen, "%s", g ? g + 11 : ident);
        size_t n = strlen(buf);
        if (n >= 2 && strcmp(buf + n - 2, ":*") == 0)
            buf[n - 2] = '\0';
        name = buf;
    }
    if (!name)
        return cwl_fail(e, IPE, "Either LogGroup name or LogGroup ARN must be specified.");
    if (!group_name_ok(name, e))
        return false;
    bool found = false;
    if (!cwl_group_exists(r, name, &found))
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    if (!found)
        return cwl_fail(e, RNF, "The specified log group does not exist.");
    *out = name;
    return true;
}

static int64_t count_of(region *r, const char *sql, const char *a)
{
    sqlite3_stmt *st = cwl_prep(r, sql);
    if (!st)
        return -1;
    if (a)
        sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static bool op_create_group(region *r, const cJSON *in, cJSON *out, cwl_err *e)
{
    (void)out;
    const char *name;
    if (!cwl_arg_str(in, "logGroupName", true, &name, e) || !group_name_ok(name, e))
        return false;
    if (cJSON_GetObjectItemCaseSensitive(in, "kmsKeyId"))
        return cwl_fail(e, IPE, "rdsim's CloudWatch Logs does not encrypt log groups with "
                        "a KMS key.");
    bool existed = false;
    if (count_of(r, "SELECT count(*) FROM cwl_groups", NULL) >= CWL_MAX_GROUPS) {
        if (!cwl_group_exists(r, name, &existed) || !existed)
            return cwl_fail(e, "LimitExceededException", "Resource limit exceeded.");
    }
    if (!cwl_group_create(r, name, region_now_ms(r), &existed))
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    if (existed)
        return cwl_fail(e, "ResourceAlreadyExistsException",
                        "The specified log group already exists");
    return true;
}

static bool op_delete_group(region *r, const cJSON *in, cJSON *out, cwl_err *e)
{
    (void)out;
    const char *name;
    bool found = false;
    if (!cwl_arg_str(in, "logGroupName", true, &name, e) || !group_name_ok(name, e))
        return false;
    if (!cwl_group_delete(r, name, &found))
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    if (!found)
        return cwl_fail(e, RNF, "The specified log group does not exist.");
    return true;
}

/* An "o/<offset>" token (Describe calls). */
static bool offset_token(const cJSON *in, int64_t *off, cwl_err *e)
{
    const char *t;
    *off = 0;
    if (!cwl_arg_str(in, "nextToken", false, &t, e))
        return false;
    if (t && (strncmp(t, "o/", 2) != 0 || !str_to_int64(t + 2, 0, INT32_MAX, off)))
        return cwl_fail(e, IPE, "The specified nextToken is invalid.");
    return true;
}

static void add_next_offset(cJSON *out, int64_t off)
{
    char tok[32];
    snprintf(tok, sizeof tok, "o/%lld", (long long)off);
    cJSON_AddStringToObject(out, "nextToken", tok);
}

static bool op_describe_groups(region *r, const cJSON *in, cJSON *out, cwl_err *e)
{
    const char *prefix, *pattern;
    int64_t limit = 50, off;
    if (!cwl_arg_str(in, "logGroupNamePrefix", false, &prefix, e) ||
        !cwl_arg_str(in, "logGroupNamePattern", false, &pattern, e) ||
        !cwl_arg_int(in, "limit", 1, 50, &limit, NULL, e) || !offset_token(in, &off, e))
        return false;
    if (prefix && pattern)
        return cwl_fail(e, IPE, "LogGroup name prefix and LogGroup name pattern are mutually "
                        "exclusive parameters.");
    sqlite3_stmt *st = cwl_prep(r, "SELECT g.name, g.created_ms, g.retention_days,"
                                   " (SELECT coalesce(sum(bytes), 0) FROM cwl_streams s"
                                   "  WHERE s.grp = g.name) FROM cwl_groups g"
                                   " WHERE substr(g.name, 1, length(?1)) = ?1"
                                   " AND instr(g.name, ?2) > 0 ORDER BY g.name LIMIT ?3 OFFSET ?4");
    if (!st)
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    sqlite3_bind_text(st, 1, prefix ? prefix : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, pattern ? pattern : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, limit + 1);
    sqlite3_bind_int64(st, 4, off);
    cJSON *list = cJSON_AddArrayToObject(out, "logGroups");
    int64_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == limit) {
            add_next_offset(out, off + n);
            break;
        }
        const char *name = (const char *)sqlite3_column_text(st, 0);
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "logGroupName", name);
        cJSON_AddNumberToObject(g, "creationTime", (double)sqlite3_column_int64(st, 1));
        if (sqlite3_column_int(st, 2) > 0)
            cJSON_AddNumberToObject(g, "retentionInDays", sqlite3_column_int(st, 2));
        cJSON_AddNumberToObject(g, "metricFilterCount", 0);
        char *arn = xasprintf("arn:aws:logs:%s:%s:log-group:%s", r->cfg.name, r->cfg.account,
                              name);
        char *star = xasprintf("%s:*", arn);
        cJSON_AddStringToObject(g, "arn", star);
        cJSON_AddStringToObject(g, "logGroupArn", arn);
        free(star);
        free(arn);
        cJSON_AddNumberToObject(g, "storedBytes", (double)sqlite3_column_int64(st, 3));
        cJSON_AddStringToObject(g, "logGroupClass", "STANDARD");
        cJSON_AddItemToArray(list, g);
        n++;
    }
    sqlite3_finalize(st);
    return true;
}

static bool op_create_stream(region *r, const cJSON *in, cJSON *out, cwl_err *e)
{
    (void)out;
    const char *grp, *name;
    char buf[600];
    if (!cwl_arg_str(in, "logStreamName", true, &name, e) || !stream_name_ok(name, e) ||
        !cwl_arg_group(r, in, &grp, buf, sizeof buf, e))
        return false;
    bool existed = false;
    if (count_of(r, "SELECT count(*) FROM cwl_streams WHERE grp=?1", grp) >= CWL_MAX_STREAMS) {
        if (!cwl_stream_exists(r, grp, name, &existed) || !existed)
            return cwl_fail(e, "LimitExceededException", "Resource limit exceeded.");
    }
    if (!cwl_stream_create(r, grp, name, region_now_ms(r), &existed))
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    if (existed)
        return cwl_fail(e, "ResourceAlreadyExistsException",
                        "The specified log stream already exists");
    return true;
}

static cJSON *stream_json(region *r, const char *grp, sqlite3_stmt *st)
{
    const char *name = (const char *)sqlite3_column_text(st, 0);
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "logStreamName", name);
    cJSON_AddNumberToObject(s, "creationTime", (double)sqlite3_column_int64(st, 1));
    if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
        cJSON_AddNumberToObject(s, "firstEventTimestamp", (double)sqlite3_column_int64(st, 2));
        cJSON_AddNumberToObject(s, "lastEventTimestamp", (double)sqlite3_column_int64(st, 3));
        cJSON_AddNumberToObject(s, "lastIngestionTime", (double)sqlite3_column_int64(st, 4));
    }
    char *arn = xasprintf("arn:aws:logs:%s:%s:log-group:%s:log-stream:%s", r->cfg.name,
                          r->cfg.account, grp, name);
    cJSON_AddStringToObject(s, "arn", arn);
    free(arn);
    cJSON_AddNumberToObject(s, "storedBytes", (double)sqlite3_column_int64(st, 5));
    return s;
}

static bool op_describe_streams(region *r, const cJSON *in, cJSON *out, cwl_err *e)
{
    const char *grp, *prefix, *order;
    char buf[600];
    bool desc = false;
    int64_t limit = 50, off;
    if (!cwl_arg_group(r, in, &grp, buf, sizeof buf, e) ||
        !cwl_arg_str(in, "logStreamNamePrefix", false, &prefix, e) ||
        !cwl_arg_str(in, "orderBy", false, &order, e) || !cwl_arg_bool(in, "descending", &desc, e) ||
        !cwl_arg_int(in, "limit", 1, 50, &limit, NULL, e) || !offset_token(in, &off, e))
        return false;
    bool by_time = false;
    if (order && strcmp(order, "LastEventTime") == 0)
        by_time = true;
    else if (order && strcmp(order, "LogStreamName") != 0)
        return cwl_fail(e, IPE, "1 validation error detected: Value '%.64s' at 'orderBy' failed "
                        "to satisfy constraint: Member must satisfy enum value set: "
                        "[LogStreamName, LastEventTime]", order);
    if (by_time && prefix)
        return cwl_fail(e, IPE, "Cannot order by LastEventTime with a logStreamNamePrefix.");
    char *sql = xasprintf("SELECT name, created_ms, first_ts, last_ts, last_ingest, bytes"
                          " FROM cwl_streams WHERE grp=?1 AND substr(name, 1, length(?2)) = ?2"
                          " ORDER BY %s %s, name %s LIMIT ?3 OFFSET ?4",
                          by_time ? "coalesce(last_ts, 0)" : "name", desc ? "DESC" : "ASC",
                          desc ? "DESC" : "ASC");
    sqlite3_stmt *st = cwl_prep(r, sql);
    free(sql);
    if (!st)
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    sqlite3_bind_text(st, 1, grp, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, prefix ? prefix : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, limit + 1);
    sqlite3_bind_int64(st, 4, off);
    cJSON *list = cJSON_AddArrayToObject(out, "logStreams");
    int64_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == limit) {
            add_next_offset(out, off + n);
            break;
        }
        cJSON_AddItemToArray(list, stream_json(r, grp, st));
        n++;
    }
    sqlite3_finalize(st);
    return true;
}

static bool op_put_events(region *r, const cJSON *in, cJSON *out, cwl_err *e)
{
    const char *grp, *stream;
    char buf[600];
    if (!cwl_arg_str(in, "logStreamName", true, &stream, e) ||
        !cwl_arg_group(r, in, &grp, buf, sizeof buf, e))
        return false;
    bool found = false;
    if (!cwl_stream_exists(r, grp, stream, &found) || !found)
        return cwl_fail(e, RNF, "The specified log stream does not exist.");
    const cJSON *evs = cJSON_GetObjectItemCaseSensitive(in, "logEvents"), *ev;
    int n = cJSON_IsArray(evs) ? cJSON_GetArraySize(evs) : 0;
    if (n < 1 || n > 10000)
        return cwl_fail(e, IPE, "1 validation error detected: Value at 'logEvents' failed to "
                        "satisfy constraint: Member must have length between 1 and 10000");
    int64_t now = region_now_ms(r), prev = INT64_MIN, total = 0;
    cJSON_ArrayForEach(ev, evs) {
        const char *msg;
        int64_t ts = 0;
        bool has_ts = false;
        if (!cwl_arg_str(ev, "message", true, &msg, e) ||
            !cwl_arg_int(ev, "timestamp", 0, INT64_MAX / 2, &ts, &has_ts, e))
            return false;
        if (!has_ts || !*msg)
            return cwl_fail(e, IPE, "A log event needs a timestamp and a message of at least "
                            "1 character.");
        if (ts < prev)
            return cwl_fail(e, IPE, "Log events in a single PutLogEvents request must be in "
                            "chronological order.");
        prev = ts;
        total += (int64_t)strlen(msg) + 26;
    }
    if (total > 1048576)
        return cwl_fail(e, IPE, "Upload too large: %lld bytes exceeds limit of 1048576",
                        (long long)total);
    /* Too old (retention or 14 days) and too new (2 hours) are rejected, not failed. */
    int idx = 0, too_new = -1, too_old = -1;
    cJSON_ArrayForEach(ev, evs) {
        int64_t ts = (int64_t)cJSON_GetObjectItemCaseSensitive(ev, "timestamp")->valuedouble;
        const char *msg = cJSON_GetObjectItemCaseSensitive(ev, "message")->valuestring;
        if (ts > now + 2 * 3600000LL) {
            if (too_new < 0)
                too_new = idx;
        } else if (ts < now - 14 * 86400000LL) {
            too_old = idx + 1;
        } else {
            size_t len;
            char *clean = logline_clean(msg, strlen(msg), LOGLINE_EVENT_MAX, &len);
            bool ok = cwl_event_add(r, grp, stream, ts, now, clean, len);
            free(clean);
            if (!ok)
                return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
        }
        idx++;
    }
    if (!cwl_group_trim(r, grp, CWL_GROUP_MAX_BYTES))
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    if (too_new >= 0 || too_old >= 0) {
        cJSON *rej = cJSON_AddObjectToObject(out, "rejectedLogEventsInfo");
        if (too_new >= 0)
            cJSON_AddNumberToObject(rej, "tooNewLogEventStartIndex", too_new);
        if (too_old >= 0)
            cJSON_AddNumberToObject(rej, "tooOldLogEventEndIndex", too_old);
    }
    char seq[32];
    snprintf(seq, sizeof seq, "%lld", (long long)now);
    cJSON_AddStringToObject(out, "nextSequenceToken", seq);
    return true;
}

static bool op_put_retention(region *r, const cJSON *in, cJSON *out, cwl_err *e)
{
    (void)out;
    const char *name;
    int64_t days = 0;
    bool has = false, found = false;
    if (!cwl_arg_str(in, "logGroupName", true, &name, e) || !group_name_ok(name, e) ||
        !cwl_arg_int(in, "retentionInDays", INT32_MIN, INT32_MAX, &days, &has, e))
        return false;
    if (!has || !cwl_retention_valid(days))
        return cwl_fail(e, IPE, "1 validation error detected: Value '%lld' at 'retentionInDays' "
                        "failed to satisfy constraint: Member must satisfy enum value set: [1, "
                        "3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, "
                        "1827, 2192, 2557, 2922, 3288, 3653]", (long long)days);
    if (!cwl_group_set_retention(r, name, (int)days, &found) ||
        (found && !cwl_expire(r, region_now_ms(r))))
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    if (!found)
        return cwl_fail(e, RNF, "The specified log group does not exist.");
    return true;
}

static bool op_delete_retention(region *r, const cJSON *in, cJSON *out, cwl_err *e)
{
    (void)out;
    const char *name;
    bool found = false;
    if (!cwl_arg_str(in, "logGroupName", true, &name, e) || !group_name_ok(name, e))
        return false;
    if (!cwl_group_set_retention(r, name, 0, &found))
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    if (!found)
        return cwl_fail(e, RNF, "The specified log group does not exist.");
    return true;
}

typedef bool (*cwl_op)(region *r, const cJSON *in, cJSON *out, cwl_err *e);

static const struct {
    const char *name;
    cwl_op fn;
} cwl_ops[] = {
    {"CreateLogGroup", op_create_group},
    {"DeleteLogGroup", op_delete_group},
    {"DescribeLogGroups", op_describe_groups},
    {"CreateLogStream", op_create_stream},
    {"DescribeLogStreams", op_describe_streams},
    {"PutLogEvents", op_put_events},
    {"GetLogEvents", cwl_op_get_events},
    {"FilterLogEvents", cwl_op_filter_events},
    {"PutRetentionPolicy", op_put_retention},
    {"DeleteRetentionPolicy", op_delete_retention},
};

void cwl_api_handle(region *r, const char *target, const char *body, size_t len, char **reply,
                    int *status)
{
    static const char prefix[] = "Logs_20140328.";
    cwl_err e = {0};
    const char *op = target && strncmp(target, prefix, sizeof prefix - 1) == 0
                         ? target + sizeof prefix - 1 : "(none)";
    int k = -1;
    for (size_t i = 0; i < sizeof cwl_ops / sizeof cwl_ops[0]; i++)
        if (strcmp(op, cwl_ops[i].name) == 0)
            k = (int)i;
    cJSON *in = NULL, *out = cJSON_CreateObject();
    bool tx = false;
    if (k < 0) {
        cwl_fail(&e, "UnknownOperationException", "Unknown operation %.64s", op);
        goto done;
    }
    in = len ? cJSON_ParseWithLength(body, len) : cJSON_CreateObject();
    if (!cJSON_IsObject(in)) {
        cwl_fail(&e, "SerializationException", "The request body is not a JSON object.");
        goto done;
    }
    tx = store_begin(r->st);
    if (!tx) {
        cwl_fail(&e, "ServiceUnavailableException", "The store is unavailable.");
        goto done;
    }
    if (!cwl_ops[k].fn(r, in, out, &e) && !e.type)
        cwl_fail(&e, "ServiceUnavailableException", "The request failed for an internal reason.");
    if (e.type) {
        store_rollback(r->st);
    } else if (!store_commit(r->st)) {
        store_rollback(r->st);
        cwl_fail(&e, "ServiceUnavailableException", "The request could not be stored.");
    }
done:
    if (e.type) {
        cJSON_Delete(out);
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "__type", e.type);
        cJSON_AddStringToObject(out, "message", e.message);
        *status = e.status;
    } else {
        *status = 200;
    }
    LOG_INFO("logs api op=%s status=%d code=%s", op, *status, e.type ? e.type : "-");
    *reply = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    cJSON_Delete(in);
}
