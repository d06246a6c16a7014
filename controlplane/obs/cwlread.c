/* cwlread: GetLogEvents and FilterLogEvents (cwlapi.h), the reads of
 * CloudWatch Logs' events in (timestamp, eventId) order.
 *
 * GetLogEvents' tokens carry the key of an event: "f/<ts>/<id>" reads the
 * events after it, "b/<ts>/<id>" those before it. With no events left in
 * a direction the token given comes back unchanged, as CloudWatch says
 * ("the same token you passed in" at the end of the stream), so a client
 * polling forward sees new events and never a gap. FilterLogEvents' token
 * "<ts>/<id>" is the last event it read (returned or scanned past): a
 * call reads at most CWL_SCAN_MAX events and returns at most `limit`
 * events and CWL_REPLY_MAX message bytes, with a token when more remain. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/obs/cwlapi.h"
#include "controlplane/obs/cwlstore.h"
#include "controlplane/obs/logfilter.h"
#include "lib/util.h"

#define IPE "InvalidParameterException"

typedef struct {
    int64_t ts, id;
} ev_key;

/* "<ts>/<id>" after a prefix of plen bytes. */
static bool parse_key(const char *t, size_t plen, ev_key *k)
{
    if (strlen(t) <= plen || strlen(t) > 64)
        return false;
    char buf[72];
    snprintf(buf, sizeof buf, "%s", t + plen);
    char *slash = strchr(buf, '/');
    if (!slash)
        return false;
    *slash = '\0';
    return str_to_int64(buf, INT64_MIN, INT64_MAX, &k->ts) &&
           str_to_int64(slash + 1, -1, INT64_MAX, &k->id);
}

static void add_key(cJSON *out, const char *member, const char *prefix, ev_key k)
{
    char tok[80];
    snprintf(tok, sizeof tok, "%s%lld/%lld", prefix, (long long)k.ts, (long long)k.id);
    cJSON_AddStringToObject(out, member, tok);
}

/* startTime, endTime (endTime exclusive); absent: the whole range. */
static bool time_range(const cJSON *in, int64_t *start, int64_t *end, cwl_err *e)
{
    *start = 0;
    *end = INT64_MAX;
    if (!cwl_arg_int(in, "startTime", 0, INT64_MAX / 2, start, NULL, e) ||
        !cwl_arg_int(in, "endTime", 0, INT64_MAX / 2, end, NULL, e))
        return false;
    if (*end < *start)
        return cwl_fail(e, IPE, "endTime must be greater than or equal to startTime.");
    return true;
}

static cJSON *event_json(sqlite3_stmt *st, int64_t *bytes)
{
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddNumberToObject(ev, "timestamp", (double)sqlite3_column_int64(st, 1));
    const char *msg = (const char *)sqlite3_column_text(st, 3);
    cJSON_AddStringToObject(ev, "message", msg ? msg : "");
    cJSON_AddNumberToObject(ev, "ingestionTime", (double)sqlite3_column_int64(st, 2));
    *bytes += sqlite3_column_bytes(st, 3) + 26;
    return ev;
}

bool cwl_op_get_events(region *r, const cJSON *in, cJSON *out, cwl_err *e)
{
    const char *grp, *stream, *token;
    char buf[600];
    int64_t start, end, limit = 10000;
    bool head = false, found = false;
    if (!cwl_arg_str(in, "logStreamName", true, &stream, e) ||
        !cwl_arg_group(r, in, &grp, buf, sizeof buf, e) || !time_range(in, &start, &end, e) ||
        !cwl_arg_int(in, "limit", 1, 10000, &limit, NULL, e) ||
        !cwl_arg_bool(in, "startFromHead", &head, e) ||
        !cwl_arg_str(in, "nextToken", false, &token, e))
        return false;
    if (!cwl_stream_exists(r, grp, stream, &found) || !found)
        return cwl_fail(e, "ResourceNotFoundException", "The specified log stream does not exist.");
    bool forward = head;
    ev_key key = {INT64_MIN, -1};
    if (token) {
        if ((token[0] != 'f' && token[0] != 'b') || token[1] != '/' || !parse_key(token, 2, &key))
            return cwl_fail(e, IPE, "The specified nextToken is invalid.");
        forward = token[0] == 'f';
    } else if (!forward) {
        key = (ev_key){INT64_MAX, INT64_MAX};
    }
    sqlite3_stmt *st = cwl_prep(r, forward
        ? "SELECT id, ts, ingest, msg FROM cwl_events WHERE grp=?1 AND stream=?2 AND ts >= ?3"
          " AND ts < ?4 AND (ts, id) > (?5, ?6) ORDER BY ts, id LIMIT ?7"
        : "SELECT id, ts, ingest, msg FROM cwl_events WHERE grp=?1 AND stream=?2 AND ts >= ?3"
          " AND ts < ?4 AND (ts, id) < (?5, ?6) ORDER BY ts DESC, id DESC LIMIT ?7");
    if (!st)
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    sqlite3_bind_text(st, 1, grp, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, stream, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, start);
    sqlite3_bind_int64(st, 4, end);
    sqlite3_bind_int64(st, 5, key.ts);
    sqlite3_bind_int64(st, 6, key.id);
    sqlite3_bind_int64(st, 7, limit);
    cJSON *list = cJSON_AddArrayToObject(out, "events");
    int64_t bytes = 0;
    ev_key first = key, last = key;
    int n = 0;
    while (bytes < CWL_REPLY_MAX && sqlite3_step(st) == SQLITE_ROW) {
        ev_key k = {sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 0)};
        cJSON *ev = event_json(st, &bytes);
        if (forward) {
            cJSON_AddItemToArray(list, ev);
            first = n == 0 ? k : first;
            last = k;
        } else {
            cJSON_InsertItemInArray(list, 0, ev); /* the reply is oldest first */
            last = n == 0 ? k : last;
            first = k;
        }
        n++;
    }
    sqlite3_finalize(st);
    if (n > 0) {
        add_key(out, "nextForwardToken", "f/", last);
        add_key(out, "nextBackwardToken", "b/", first);
    } else if (forward) {
        cJSON_AddStringToObject(out, "nextForwardToken", token ? token : "f/-1/-1");
        add_key(out, "nextBackwardToken", "b/", (ev_key){key.ts, key.id == INT64_MAX ? key.id
                                                                                 : key.id + 1});
    } else {
        add_key(out, "nextForwardToken", "f/", (ev_key){key.ts, key.id - 1});
        cJSON_AddStringToObject(out, "nextBackwardToken", token ? token : "b/-1/-1");
    }
    return true;
}

/* logStreamNames (1..100 names) or logStreamNamePrefix, not both. */
static bool stream_select(const cJSON *in, const cJSON **names, const char **prefix, cwl_err *e)
{
    *names = cJSON_GetObjectItemCaseSensitive(in, "logStreamNames");
    if (!cwl_arg_str(in, "logStreamNamePrefix", false, prefix, e))
        return false;
    if (*names && cJSON_IsNull(*names))
        *names = NULL;
    if (*names) {
        int n = cJSON_IsArray(*names) ? cJSON_GetArraySize(*names) : -1;
        if (n < 1 || n > 100)
            return cwl_fail(e, IPE, "1 validation error detected: Value at 'logStreamNames' "
                            "failed to satisfy constraint: Member must have length between 1 "
                            "and 100");
        const cJSON *s;
        cJSON_ArrayForEach(s, *names)
            if (!cJSON_IsString(s))
                return cwl_fail(e, "SerializationException", "logStreamNames must be strings.");
    }
    if (*names && *prefix)
        return cwl_fail(e, IPE, "logStreamNames and logStreamNamePrefix are mutually "
                        "exclusive parameters.");
    return true;
}

static bool stream_wanted(const char *s, const cJSON *names, const char *prefix)
{
    if (prefix)
        return strncmp(s, prefix, strlen(prefix)) == 0;
    if (!names)
        return true;
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
        if (strcmp(n->valuestring, s) == 0)
            return true;
    return false;
}

bool cwl_op_filter_events(region *r, const cJSON *in, cJSON *out, cwl_err *e)
{
    const char *grp, *prefix, *pattern, *token;
    const cJSON *names;
    char buf[600], why[256];
    int64_t start, end, limit = 10000;
    bool interleaved = true;
    if (!cwl_arg_group(r, in, &grp, buf, sizeof buf, e) || !stream_select(in, &names, &prefix, e) ||
        !time_range(in, &start, &end, e) || !cwl_arg_int(in, "limit", 1, 10000, &limit, NULL, e) ||
        !cwl_arg_str(in, "filterPattern", false, &pattern, e) ||
        !cwl_arg_str(in, "nextToken", false, &token, e) ||
        !cwl_arg_bool(in, "interleaved", &interleaved, e))
        return false;
    ev_key key = {INT64_MIN, -1};
    if (token && !parse_key(token, 0, &key))
        return cwl_fail(e, IPE, "The specified nextToken is invalid.");
    logfilter *f = logfilter_compile(pattern, why, sizeof why);
    if (!f)
        return cwl_fail(e, IPE, "%s", why);
    sqlite3_stmt *st = cwl_prep(r, "SELECT id, ts, ingest, msg, stream FROM cwl_events"
                                   " WHERE grp=?1 AND ts >= ?2 AND ts < ?3 AND (ts, id) > (?4, ?5)"
                                   " ORDER BY ts, id");
    if (!st) {
        logfilter_free(f);
        return cwl_fail(e, "ServiceUnavailableException", "The store failed.");
    }
    sqlite3_bind_text(st, 1, grp, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, start);
    sqlite3_bind_int64(st, 3, end);
    sqlite3_bind_int64(st, 4, key.ts);
    sqlite3_bind_int64(st, 5, key.id);
    cJSON *list = cJSON_AddArrayToObject(out, "events");
    int64_t bytes = 0, scanned = 0, n = 0;
    ev_key last = key;
    bool more = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n >= limit || bytes >= CWL_REPLY_MAX || scanned >= CWL_SCAN_MAX) {
            more = true;
            break;
        }
        scanned++;
        last = (ev_key){sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 0)};
        const char *stream = (const char *)sqlite3_column_text(st, 4);
        const char *msg = (const char *)sqlite3_column_text(st, 3);
        if (!stream_wanted(stream, names, prefix) || !logfilter_match(f, msg ? msg : ""))
            continue;
        cJSON *ev = event_json(st, &bytes);
        cJSON_AddStringToObject(ev, "logStreamName", stream);
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)last.id);
        cJSON_AddStringToObject(ev, "eventId", id);
        cJSON_AddItemToArray(list, ev);
        n++;
    }
    sqlite3_finalize(st);
    logfilter_free(f);
    cJSON_AddArrayToObject(out, "searchedLogStreams");
    if (more)
        add_key(out, "nextToken", "", last);
    return true;
}
