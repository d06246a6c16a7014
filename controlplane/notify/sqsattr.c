/* sqsattr: see sqsattr.h. */
#include "controlplane/notify/sqsattr.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controlplane/core/region.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/notify/sqs.h"
#include "lib/util.h"

#define SQS_ATTRS_MAX 32
#define SQS_POLICY_MAX (20 * 1024)

typedef enum { A_INT, A_JSON, A_TEXT, A_BOOL, A_FALSE } attr_kind;

static const struct {
    const char *name;
    attr_kind kind;
    int64_t min, max;
    const char *dflt; /* shown by GetQueueAttributes when not set */
} settable[] = {
    {"DelaySeconds", A_INT, 0, 900, "0"},
    {"MaximumMessageSize", A_INT, 1024, 1048576, "262144"},
    {"MessageRetentionPeriod", A_INT, 60, 1209600, "345600"},
    {"ReceiveMessageWaitTimeSeconds", A_INT, 0, 20, "0"},
    {"VisibilityTimeout", A_INT, 0, 12 * 3600, "30"},
    {"Policy", A_JSON, 0, 0, NULL},
    {"RedrivePolicy", A_JSON, 0, 0, NULL},
    {"RedriveAllowPolicy", A_JSON, 0, 0, NULL},
    {"KmsMasterKeyId", A_TEXT, 0, 2048, NULL},
    {"KmsDataKeyReusePeriodSeconds", A_INT, 60, 86400, NULL},
    {"SqsManagedSseEnabled", A_BOOL, 0, 0, "true"},
    {"FifoQueue", A_FALSE, 0, 0, NULL},
};
#define N_SETTABLE (sizeof settable / sizeof settable[0])

static const char *const readonly[] = {
    "QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
};
#define N_READONLY (sizeof readonly / sizeof readonly[0])

static int settable_index(const char *name)
{
    for (size_t i = 0; i < N_SETTABLE; i++)
        if (strcmp(settable[i].name, name) == 0)
            return (int)i;
    return -1;
}

static bool unknown_attr(awserr *err, const char *name)
{
    return awserr_set(err, AWSERR_SQS_INVALID_ATTRIBUTE_NAME, "Unknown Attribute %s.", name);
}

static bool bad_value(awserr *err, const char *name)
{
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                      "Invalid value for the parameter %s.", name);
}

/* Checks name=value; *norm (borrowed) is what is stored ("" = default). */
static bool attr_check(const char *name, const char *v, const char **norm, awserr *err)
{
    int i = settable_index(name);
    *norm = v;
    if (i < 0)
        return unknown_attr(err, name);
    int64_t n;
    cJSON *j;
    switch (settable[i].kind) {
    case A_INT:
        return str_to_int64(v, settable[i].min, settable[i].max, &n) || bad_value(err, name);
    case A_JSON:
        if (!*v)
            return true;
        j = strlen(v) <= SQS_POLICY_MAX ? cJSON_Parse(v) : NULL;
        n = cJSON_IsObject(j);
        cJSON_Delete(j);
        return n || bad_value(err, name);
    case A_TEXT:
        return (int64_t)strlen(v) <= settable[i].max || bad_value(err, name);
    case A_BOOL:
        if (strcasecmp(v, "true") == 0)
            *norm = "true";
        else if (strcasecmp(v, "false") == 0)
            *norm = "false";
        else
            return bad_value(err, name);
        return true;
    case A_FALSE:
        if (strcasecmp(v, "false") == 0) {
            *norm = "";
            return true;
        }
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "Invalid value for the parameter %s: rdsim's queues are standard "
                          "queues.",
                          name);
    }
    return false;
}

/* ---- store ---- */

static char *attr_stored(region *r, const char *queue, const char *name)
{
    return sqlrow_attr_get(r->st, "sqs_attributes", "queue", queue, name);
}

static bool attr_put(region *r, const char *queue, const char *name, const char *v)
{
    if (strcmp(name, "VisibilityTimeout") == 0) {
        sqlite3_stmt *st =
            sqlrow_prepare(r->st, "UPDATE sqs_queues SET visibility_s=? WHERE name=?");
        if (!st)
            return false;
        sqlite3_bind_int64(st, 1, strtoll(v, NULL, 10));
        sqlrow_bind_text(st, 2, queue);
        return sqlrow_run(st);
    }
    return sqlrow_attr_put(r->st, "sqs_attributes", "queue", queue, name, v);
}

static bool touch(region *r, const char *queue)
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)(region_now_ms(r) / 1000));
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "REPLACE INTO sqs_attributes(queue,name,value) VALUES(?,'LastModifiedTimestamp',?)");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, queue);
    sqlrow_bind_text(st, 2, now);
    return sqlrow_run(st);
}

static bool commit(region *r, bool ok, awserr *err)
{
    if (ok && store_commit(r->st))
        return true;
    store_rollback(r->st);
    if (err->code == AWSERR_NONE)
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request failed for an internal reason.");
    return false;
}

/* ---- tags ---- */

/* `existing` (JSON text, may be NULL) with Tag.N.Key/Value set: new JSON
 * text, or NULL with InvalidParameterValue. *n counts the tags given. */
static char *tags_merge(const params *p, const char *existing, int *given, awserr *err)
{
    cJSON *arr = existing ? cJSON_Parse(existing) : NULL;
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        arr = cJSON_CreateArray();
    }
    *given = 0;
    for (int i = 1;; i++) {
        char key[40];
        snprintf(key, sizeof key, "Tag.%d.Key", i);
        const char *k = params_get(p, key);
        snprintf(key, sizeof key, "Tag.%d.Value", i);
        const char *v = params_get(p, key);
        if (!k)
            break;
        ++*given;
        if (!*k || strlen(k) > 128 || (v && strlen(v) > 256) || strncasecmp(k, "aws:", 4) == 0) {
            cJSON_Delete(arr);
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                       "Tag keys must be 1 to 128 characters, not starting with aws:, and "
                       "values at most 256.");
            return NULL;
        }
        for (int j = cJSON_GetArraySize(arr) - 1; j >= 0; j--) {
            const cJSON *have = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, j), "Key");
            if (cJSON_IsString(have) && strcmp(have->valuestring, k) == 0)
                cJSON_DeleteItemFromArray(arr, j);
        }
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "Key", k);
        cJSON_AddStringToObject(t, "Value", v ? v : "");
        cJSON_AddItemToArray(arr, t);
    }
    if (cJSON_GetArraySize(arr) > RESTAGS_MAX) {
        cJSON_Delete(arr);
        awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "A queue can have at most %d tags.",
                   RESTAGS_MAX);
        return NULL;
    }
    char *s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return s;
}

/* The request's Attribute.N.Name / Attribute.N.Value pairs, each checked
 * (attr_check): their count, or -1 with err set. */
static int read_attrs(const params *p, const char **names, const char **vals, awserr *err)
{
    int n = 0;
    for (int i = 1;; i++) {
        char key[40];
        snprintf(key, sizeof key, "Attribute.%d.Name", i);
        const char *an = params_get(p, key);
        if (!an)
            return n;
        snprintf(key, sizeof key, "Attribute.%d.Value", i);
        const char *av = params_get(p, key);
        if (n == SQS_ATTRS_MAX) {
            awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Too many attributes.");
            return -1;
        }
        if (!attr_check(an, av ? av : "", &vals[n], err))
            return -1;
        names[n++] = an;
    }
}

/* ---- CreateQueue ---- */

bool sqsattr_create(region *r, const params *p, const char *name, bool exists, int64_t *vis,
                    awserr *err)
{
    const char *names[SQS_ATTRS_MAX], *vals[SQS_ATTRS_MAX];
    int n = read_attrs(p, names, vals, err);
    if (n < 0)
        return false;
    *vis = -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], "VisibilityTimeout") == 0)
            *vis = strtoll(vals[i], NULL, 10);
    int given = 0;
    char *tags = tags_merge(p, NULL, &given, err);
    if (!tags)
        return false;
    bool ok = true;
    for (int i = 0; exists && ok && i < n; i++) {
        if (strcmp(names[i], "VisibilityTimeout") == 0)
            continue; /* sqs.c compares the column */
        char *have = attr_stored(r, name, names[i]);
        const char *dflt = settable[settable_index(names[i])].dflt;
        const char *cmp = have ? have : dflt ? dflt : "";
        if (strcmp(cmp, vals[i]) != 0)
            ok = awserr_set(err, AWSERR_SQS_QUEUE_NAME_EXISTS,
                            "A queue already exists with the same name and a different value "
                            "for attribute %s",
                            names[i]);
        free(have);
    }
    if (!exists) {
        for (int i = 0; ok && i < n; i++)
            if (strcmp(names[i], "VisibilityTimeout") != 0)
                ok = attr_put(r, name, names[i], vals[i]);
        ok = ok && (given == 0 || restags_put(r->st, "sqs", name, tags)) && touch(r, name);
        if (!ok && err->code == AWSERR_NONE)
            awserr_set(err, AWSERR_INTERNAL_FAILURE, "The queue could not be stored.");
    }
    free(tags);
    return ok;
}

/* ---- handlers ---- */

static void queue_counts(region *r, const char *queue, int64_t *visible, int64_t *hidden)
{
    *visible = *hidden = 0;
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT visible_ms <= ?, count(*) FROM sqs_messages "
                                             "WHERE queue=? GROUP BY 1");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, wall_ms());
    sqlrow_bind_text(st, 2, queue);
    while (sqlite3_step(st) == SQLITE_ROW)
        *(sqlite3_column_int(st, 0) ? visible : hidden) = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
}

/* The value of attribute `an` of the queue (malloc'd), NULL if it has
 * none (an unset attribute without a default). */
static char *attr_value(region *r, const char *queue, int vis, const char *an)
{
    if (strcmp(an, "QueueArn") == 0)
        return xasprintf("arn:aws:sqs:%s:%s:%s", r->cfg.name, r->cfg.account, queue);
    if (strcmp(an, "VisibilityTimeout") == 0)
        return xasprintf("%d", vis);
    if (strncmp(an, "ApproximateNumberOfMessages", 27) == 0) {
        int64_t visible, hidden;
        queue_counts(r, queue, &visible, &hidden);
        return xasprintf("%lld", (long long)(strcmp(an + 27, "") == 0            ? visible
                                             : strcmp(an + 27, "NotVisible") == 0 ? hidden
                                                                                  : 0));
    }
    if (strcmp(an, "CreatedTimestamp") == 0) {
        sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT created_ms FROM sqs_queues WHERE name=?");
        int64_t ms = 0;
        if (st) {
            sqlrow_bind_text(st, 1, queue);
            if (sqlite3_step(st) == SQLITE_ROW)
                ms = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        return xasprintf("%lld", (long long)(ms / 1000));
    }
    char *v = attr_stored(r, queue, an);
    if (v)
        return v;
    if (strcmp(an, "LastModifiedTimestamp") == 0)
        return attr_value(r, queue, vis, "CreatedTimestamp");
    int i = settable_index(an);
    return i >= 0 && settable[i].dflt ? xstrdup(settable[i].dflt) : NULL;
}

static void add_attr(region *r, const char *queue, int vis, const char *an, cJSON *map)
{
    if (cJSON_GetObjectItemCaseSensitive(map, an))
        return;
    char *v = attr_value(r, queue, vis, an);
    if (v)
        cJSON_AddStringToObject(map, an, v);
    free(v);
}

bool sqsattr_get_queue_attributes(region *r, const params *p, cJSON *result, awserr *err)
{
    int vis;
    const char *queue = sqs_queue_from_url(r, p, &vis, err);
    if (!queue)
        return false;
    cJSON *map = cJSON_CreateObject();
    for (int i = 1;; i++) {
        char key[40];
        snprintf(key, sizeof key, "AttributeName.%d", i);
        const char *an = params_get(p, key);
        if (!an)
            break;
        if (strcmp(an, "All") == 0) {
            for (size_t j = 0; j < N_READONLY; j++)
                add_attr(r, queue, vis, readonly[j], map);
            for (size_t j = 0; j < N_SETTABLE; j++)
                add_attr(r, queue, vis, settable[j].name, map);
            continue;
        }
        bool ro = false;
        for (size_t j = 0; j < N_READONLY; j++)
            ro = ro || strcmp(readonly[j], an) == 0;
        if (!ro && settable_index(an) < 0) {
            cJSON_Delete(map);
            return unknown_attr(err, an);
        }
        add_attr(r, queue, vis, an, map);
    }
    /* No names: no attributes, and the member is left out (as SQS). */
    if (cJSON_GetArraySize(map) > 0)
        cJSON_AddItemToObject(result, "Attributes", map);
    else
        cJSON_Delete(map);
    return true;
}

bool sqsattr_set_queue_attributes(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    int vis;
    const char *queue = sqs_queue_from_url(r, p, &vis, err);
    if (!queue)
        return false;
    const char *names[SQS_ATTRS_MAX], *vals[SQS_ATTRS_MAX];
    int n = read_attrs(p, names, vals, err);
    if (n < 0)
        return false;
    if (n == 0)
        return awserr_set(err, AWSERR_MISSING_PARAMETER,
                          "The request must contain the parameter Attributes.");
    bool ok = store_begin(r->st);
    if (!ok)
        return false;
    for (int i = 0; ok && i < n; i++)
        ok = attr_put(r, queue, names[i], vals[i]);
    return commit(r, ok && touch(r, queue), err);
}

bool sqsattr_tag_queue(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    int vis, given;
    const char *queue = sqs_queue_from_url(r, p, &vis, err);
    if (!queue)
        return false;
    char *have = restags_get(r->st, "sqs", queue);
    char *tags = have ? tags_merge(p, have, &given, err) : NULL;
    free(have);
    if (!tags)
        return err->code != AWSERR_NONE ||
               awserr_set(err, AWSERR_INTERNAL_FAILURE, "The tags could not be read.");
    bool ok = given > 0 || awserr_set(err, AWSERR_MISSING_PARAMETER,
                                      "The request must contain the parameter Tags.");
    ok = ok && store_begin(r->st) && commit(r, restags_put(r->st, "sqs", queue, tags), err);
    free(tags);
    return ok;
}

bool sqsattr_untag_queue(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    int vis;
    const char *queue = sqs_queue_from_url(r, p, &vis, err);
    if (!queue)
        return false;
    char *have = restags_get(r->st, "sqs", queue);
    cJSON *arr = have ? cJSON_Parse(have) : NULL;
    free(have);
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The tags could not be read.");
    }
    for (int i = 1;; i++) {
        char key[40];
        snprintf(key, sizeof key, "TagKey.%d", i);
        const char *k = params_get(p, key);
        if (!k)
            break;
        for (int j = cJSON_GetArraySize(arr) - 1; j >= 0; j--) {
            const cJSON *t = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, j), "Key");
            if (cJSON_IsString(t) && strcmp(t->valuestring, k) == 0)
                cJSON_DeleteItemFromArray(arr, j);
        }
    }
    char *tags = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    bool ok = store_begin(r->st) && commit(r, restags_put(r->st, "sqs", queue, tags), err);
    free(tags);
    return ok;
}

bool sqsattr_list_queue_tags(region *r, const params *p, cJSON *result, awserr *err)
{
    int vis;
    const char *queue = sqs_queue_from_url(r, p, &vis, err);
    if (!queue)
        return false;
    char *have = restags_get(r->st, "sqs", queue);
    cJSON *arr = have ? cJSON_Parse(have) : NULL;
    free(have);
    cJSON *map = cJSON_CreateObject();
    const cJSON *t;
    cJSON_ArrayForEach(t, arr)
    {
        const cJSON *k = cJSON_GetObjectItem(t, "Key"), *v = cJSON_GetObjectItem(t, "Value");
        if (cJSON_IsString(k) && cJSON_IsString(v))
            cJSON_AddStringToObject(map, k->valuestring, v->valuestring);
    }
    cJSON_Delete(arr);
    /* An empty map is left out, as SQS does. */
    if (cJSON_GetArraySize(map) > 0)
        cJSON_AddItemToObject(result, "Tags", map);
    else
        cJSON_Delete(map);
    return true;
}
