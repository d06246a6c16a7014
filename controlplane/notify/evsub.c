/* evsub: see evsub.h. */
#include "controlplane/notify/evsub.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/notify/events.h"
#include "controlplane/core/region.h"
#include "controlplane/notify/sns.h"
#include "controlplane/notify/snsmsg.h"
#include "controlplane/core/restags.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

#define EVSUB_NAME_MAX 255
#define EVSUB_QUOTA QUOTA_EVENT_SUBSCRIPTIONS

/* SourceType values of the RDS model. */
static const char *const source_types[] = {
    "db-instance", "db-cluster", "db-parameter-group", "db-security-group", "db-snapshot",
    "db-cluster-snapshot", "db-proxy", "zero-etl", "custom-engine-version",
    "blue-green-deployment", NULL,
};

typedef struct {
    char *name;
    char *topic;
    char *type;       /* NULL: every source type */
    cJSON *ids;       /* array of strings */
    cJSON *cats;      /* array of strings */
    bool enabled;
    int64_t created_ms;
} evsub_row;

static void row_clear(evsub_row *s)
{
    free(s->name);
    free(s->topic);
    free(s->type);
    cJSON_Delete(s->ids);
    cJSON_Delete(s->cats);
    memset(s, 0, sizeof *s);
}

static bool json_has(const cJSON *arr, const char *v)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, arr)
        if (cJSON_IsString(c) && strcmp(c->valuestring, v) == 0)
            return true;
    return false;
}

bool evsub_matches(bool enabled, const char *sub_type, const cJSON *sub_ids,
                   const cJSON *sub_cats, const char *ev_type, const char *ev_id,
                   const cJSON *ev_cats)
{
    if (!enabled)
        return false;
    if (sub_type && strcmp(sub_type, ev_type) != 0)
        return false;
    if (cJSON_GetArraySize(sub_ids) > 0 && !json_has(sub_ids, ev_id))
        return false;
    if (cJSON_GetArraySize(sub_cats) == 0)
        return true;
    const cJSON *c;
    cJSON_ArrayForEach(c, ev_cats)
        if (cJSON_IsString(c) && json_has(sub_cats, c->valuestring))
            return true;
    return false;
}

/* ---- store ---- */

#define EVSUB_COLS "name, topic_arn, source_type, source_ids, categories, enabled, created_ms"

static void row_read(sqlite3_stmt *st, evsub_row *s)
{
    s->name = sqlrow_text(st, 0);
    s->topic = sqlrow_text(st, 1);
    s->type = sqlrow_text(st, 2);
    s->ids = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
    s->cats = cJSON_Parse((const char *)sqlite3_column_text(st, 4));
    if (!cJSON_IsArray(s->ids)) {
        cJSON_Delete(s->ids);
        s->ids = cJSON_CreateArray();
    }
    if (!cJSON_IsArray(s->cats)) {
        cJSON_Delete(s->cats);
        s->cats = cJSON_CreateArray();
    }
    s->enabled = sqlite3_column_int(st, 5) != 0;
    s->created_ms = sqlite3_column_int64(st, 6);
}

/* Every subscription (name NULL) or one, after `after` by name. Returns
 * the count or -1; *out is freed with rows_free. */
static int rows_list(region *r, const char *name, const char *after, int limit, evsub_row **out)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT " EVSUB_COLS " FROM event_subscriptions "
                                             "WHERE (?1 IS NULL OR name=?1) AND name > ?2 "
                                             "ORDER BY name LIMIT ?3");
    *out = NULL;
    if (!st)
        return -1;
    sqlrow_bind_text(st, 1, name);
    sqlrow_bind_text(st, 2, after ? after : "");
    sqlite3_bind_int(st, 3, limit);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        *out = xrealloc(*out, sizeof **out * (size_t)(n + 1));
        row_read(st, &(*out)[n++]);
    }
    sqlite3_finalize(st);
    return n;
}

static void rows_free(evsub_row *v, int n)
{
    for (int i = 0; i < n; i++)
        row_clear(&v[i]);
    free(v);
}

static bool row_save(region *r, const evsub_row *s)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "REPLACE INTO event_subscriptions(" EVSUB_COLS
                                             ") VALUES(?,?,?,?,?,?,?)");
    if (!st)
        return false;
    char *ids = cJSON_PrintUnformatted(s->ids);
    char *cats = cJSON_PrintUnformatted(s->cats);
    sqlrow_bind_text(st, 1, s->name);
    sqlrow_bind_text(st, 2, s->topic);
    sqlrow_bind_text(st, 3, s->type);
    sqlrow_bind_text(st, 4, ids);
    sqlrow_bind_text(st, 5, cats);
    sqlite3_bind_int(st, 6, s->enabled);
    sqlite3_bind_int64(st, 7, s->created_ms);
    free(ids);
    free(cats);
    return sqlrow_run(st);
}

/* ---- fan-out ---- */

bool evsub_fanout(region *r, const char *source_type, const char *source_id,
                  const char *source_arn, const char *event_id, const char *message,
                  const char *categories_json, int64_t date_ms)
{
    evsub_row *subs;
    int n = rows_list(r, NULL, NULL, 1000000, &subs);
    if (n < 0)
        return false;
    cJSON *cats = cJSON_Parse(categories_json);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        evsub_row *s = &subs[i];
        if (!evsub_matches(s->enabled, s->type, s->ids, s->cats, source_type, source_id, cats) ||
            !sns_topic_exists(r, s->topic))
            continue;
        char *msg = snsmsg_rds_message(r->cfg.name, source_type, source_id, source_arn, event_id,
                                       message, date_ms);
        ok = sns_publish(r, s->topic, SNSMSG_RDS_SUBJECT, msg, s->name, NULL);
        free(msg);
    }
    cJSON_Delete(cats);
    rows_free(subs, n);
    return ok;
}

/* ---- results ---- */

static cJSON *row_json(region *r, const evsub_row *s, const char *status)
{
    char ts[40];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "CustomerAwsId", r->cfg.account);
    cJSON_AddStringToObject(o, "CustSubscriptionId", s->name);
    cJSON_AddStringToObject(o, "SnsTopicArn", s->topic);
    cJSON_AddStringToObject(o, "Status",
                            status ? status
                            : sns_topic_exists(r, s->topic) ? "active"
                                                             : "topic-not-exist");
    cJSON_AddStringToObject(o, "SubscriptionCreationTime",
                            rclock_format(s->created_ms, ts, sizeof ts));
    if (s->type)
        cJSON_AddStringToObject(o, "SourceType", s->type);
    if (cJSON_GetArraySize(s->ids) > 0)
        cJSON_AddItemToObject(o, "SourceIdsList", cJSON_Duplicate(s->ids, true));
    if (cJSON_GetArraySize(s->cats) > 0)
        cJSON_AddItemToObject(o, "EventCategoriesList", cJSON_Duplicate(s->cats, true));
    cJSON_AddBoolToObject(o, "Enabled", s->enabled);
    char *arn = xasprintf("arn:aws:rds:%s:%s:es:%s", r->cfg.name, r->cfg.account, s->name);
    cJSON_AddStringToObject(o, "EventSubscriptionArn", arn);
    free(arn);
    return o;
}

/* ---- validation ---- */

static bool check_topic(region *r, const char *arn, awserr *err)
{
    char *pre = xasprintf("arn:aws:sns:%s:%s:", r->cfg.name, r->cfg.account);
    bool shaped = strncmp(arn, pre, strlen(pre)) == 0 && arn[strlen(pre)] != '\0';
    free(pre);
    size_t n = strlen(arn);
    if (!shaped || (n > 5 && strcmp(arn + n - 5, ".fifo") == 0))
        return awserr_set(err, AWSERR_SNS_INVALID_TOPIC, "The SNS topic ARN %s is invalid.", arn);
    if (!sns_topic_exists(r, arn))
        return awserr_set(err, AWSERR_SNS_TOPIC_ARN_NOT_FOUND,
                          "SNS topic ARN %s does not exist.", arn);
    return true;
}

static bool check_type(const char *type, awserr *err)
{
    for (int i = 0; source_types[i]; i++)
        if (strcmp(source_types[i], type) == 0)
            return true;
    return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE, "Invalid source type: %s", type);
}

/* EventCategories from p into a new array (*out), each a known category. */
static bool read_categories(const params *p, cJSON **out, awserr *err)
{
    const char **cats = NULL;
    int n = params_get_list(p, "EventCategories", "EventCategory", &cats, err);
    if (n < 0)
        return false;
    *out = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        bool known = false;
        for (int k = 0; events_categories[k] && !known; k++)
            known = strcmp(events_categories[k], cats[i]) == 0;
        if (!known) {
            awserr_set(err, AWSERR_SUBSCRIPTION_CATEGORY_NOT_FOUND,
                       "Category %s not found.", cats[i]);
            free(cats);
            cJSON_Delete(*out);
            *out = NULL;
            return false;
        }
        if (!json_has(*out, cats[i]))
            cJSON_AddItemToArray(*out, cJSON_CreateString(cats[i]));
    }
    free(cats);
    return true;
}

/* A source id for a subscription of this type: instances must exist
 * (lowercased, as stored). Caller frees *out. */
static bool check_source(region *r, const char *type, const char *id, char **out, awserr *err)
{
    if (!type || strcmp(type, "db-instance") != 0) {
        if (type)
            return awserr_set(err, AWSERR_SOURCE_NOT_FOUND,
                              "Source %s of type %s not found (rdsim has db-instance sources "
                              "only).", id, type);
        return awserr_set(err, AWSERR_INVALID_PARAMETER_COMBINATION,
                          "SourceIds can be given only with a SourceType.");
    }
    char *low = str_lower(xstrdup(id));
    store_instance in = {0};
    bool found = false;
    store_instance_get(r->st, low, &in, &found);
    store_instance_clear(&in);
    if (!found) {
        free(low);
        return awserr_set(err, AWSERR_SOURCE_NOT_FOUND, "Source %s not found.", id);
    }
    *out = low;
    return true;
}

static bool load_one(region *r, const params *p, evsub_row *s, awserr *err)
{
    const char *name = params_require(p, "SubscriptionName", err);
    if (!name)
        return false;
    evsub_row *v;
    int n = rows_list(r, name, NULL, 1, &v);
    if (n <= 0) {
        rows_free(v, n < 0 ? 0 : n);
        return n < 0 ? false
                     : awserr_set(err, AWSERR_SUBSCRIPTION_NOT_FOUND,
                                  "Subscription %s not found.", name);
    }
    *s = v[0];
    free(v);
    return true;
}

/* Saves s in its own transaction and answers it as EventSubscription. */
/* Saves s and, when tags is not NULL, its tags (a new subscription's
 * Tags; restags.h), in one transaction. */
static bool save_and_answer(region *r, const evsub_row *s, const char *tags, cJSON *result,
                            awserr *err)
{
    if (!store_begin(r->st))
        return false;
    if (!row_save(r, s) || (tags && !restags_put(r->st, "es", s->name, tags)) ||
        !store_commit(r->st)) {
        store_rollback(r->st);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The subscription could not be saved.");
    }
    cJSON_AddItemToObject(result, "EventSubscription", row_json(r, s, NULL));
    return true;
}

/* ---- handlers ---- */

bool evsub_action_create(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *name = params_require(p, "SubscriptionName", err);
    const char *topic = name ? params_require(p, "SnsTopicArn", err) : NULL;
    if (!topic)
        return false;
    if (strlen(name) >= EVSUB_NAME_MAX)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The subscription name must be less than 255 characters.");
    const char *type = params_get(p, "SourceType");
    bool enabled = true;
    if (!params_get_bool(p, "Enabled", &enabled, NULL, err) || !check_topic(r, topic, err) ||
        (type && !check_type(type, err)))
        return false;
    evsub_row s = {.name = xstrdup(name), .topic = xstrdup(topic),
                   .type = type ? xstrdup(type) : NULL, .ids = cJSON_CreateArray(),
                   .enabled = enabled, .created_ms = region_now_ms(r)};
    bool ok = read_categories(p, &s.cats, err);
    const char **ids = NULL;
    int nids = ok ? params_get_list(p, "SourceIds", "SourceId", &ids, err) : -1;
    for (int i = 0; i < nids && ok; i++) {
        char *id = NULL;
        ok = check_source(r, type, ids[i], &id, err);
        if (ok && !json_has(s.ids, id))
            cJSON_AddItemToArray(s.ids, cJSON_CreateString(id));
        free(id);
    }
    free(ids);
    ok = ok && nids >= 0;
    evsub_row *all = NULL;
    int n = ok ? rows_list(r, NULL, NULL, 1000000, &all) : 0;
    for (int i = 0; i < n && ok; i++)
        if (strcmp(all[i].name, name) == 0)
            ok = awserr_set(err, AWSERR_SUBSCRIPTION_ALREADY_EXIST,
                            "Subscription %s already exists.", name);
    if (ok && n >= EVSUB_QUOTA)
        ok = awserr_set(err, AWSERR_EVENT_SUBSCRIPTION_QUOTA_EXCEEDED,
                        "Cannot create more than %d event subscriptions.", EVSUB_QUOTA);
    rows_free(all, n < 0 ? 0 : n);
    char *tags = ok && n >= 0 ? restags_merge(p, NULL, err) : NULL;
    ok = ok && n >= 0 && tags && save_and_answer(r, &s, tags, result, err);
    if (ok)
        LOG_INFO("event subscription created name=%s topic=%s", name, topic);
    free(tags);
    row_clear(&s);
    return ok;
}

bool evsub_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *name = params_get(p, "SubscriptionName");
    int64_t max;
    if (!params_get_paging(p, &max, NULL, err))
        return false;
    evsub_row *v;
    int n = rows_list(r, name, params_get(p, "Marker"), (int)max + 1, &v);
    if (n < 0)
        return false;
    if (name && n == 0) {
        rows_free(v, 0);
        return awserr_set(err, AWSERR_SUBSCRIPTION_NOT_FOUND, "Subscription %s not found.",
                          name);
    }
    cJSON *list = cJSON_AddArrayToObject(result, "EventSubscriptionsList");
    for (int i = 0; i < n && i < max; i++)
        cJSON_AddItemToArray(list, row_json(r, &v[i], NULL));
    if (n > max)
        cJSON_AddStringToObject(result, "Marker", v[max - 1].name);
    rows_free(v, n);
    return true;
}

bool evsub_action_modify(region *r, const params *p, cJSON *result, awserr *err)
{
    evsub_row s;
    if (!load_one(r, p, &s, err))
        return false;
    const char *topic = params_get(p, "SnsTopicArn");
    const char *type = params_get(p, "SourceType");
    bool ok = params_get_bool(p, "Enabled", &s.enabled, NULL, err) &&
              (!topic || check_topic(r, topic, err)) && (!type || check_type(type, err));
    cJSON *cats = NULL;
    bool has_cats = params_get(p, "EventCategories") ||
                    params_get(p, "EventCategories.EventCategory.1");
    ok = ok && read_categories(p, &cats, err);
    if (ok) {
        if (topic) {
            free(s.topic);
            s.topic = xstrdup(topic);
        }
        if (type) {
            free(s.type);
            s.type = xstrdup(type);
        }
        if (has_cats) {
            cJSON_Delete(s.cats);
            s.cats = cats;
            cats = NULL;
        }
        ok = save_and_answer(r, &s, NULL, result, err);
    }
    cJSON_Delete(cats);
    row_clear(&s);
    return ok;
}

bool evsub_action_delete(region *r, const params *p, cJSON *result, awserr *err)
{
    evsub_row s;
    if (!load_one(r, p, &s, err))
        return false;
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM event_subscriptions WHERE name=?");
    bool ok = st != NULL;
    if (ok) {
        sqlrow_bind_text(st, 1, s.name);
        ok = sqlrow_run(st);
    }
    if (ok)
        cJSON_AddItemToObject(result, "EventSubscription", row_json(r, &s, "deleting"));
    row_clear(&s);
    return ok;
}

bool evsub_action_add_source(region *r, const params *p, cJSON *result, awserr *err)
{
    evsub_row s;
    if (!load_one(r, p, &s, err))
        return false;
    const char *sid = params_require(p, "SourceIdentifier", err);
    char *id = NULL;
    bool ok = sid && check_source(r, s.type, sid, &id, err);
    if (ok && !json_has(s.ids, id))
        cJSON_AddItemToArray(s.ids, cJSON_CreateString(id));
    ok = ok && save_and_answer(r, &s, NULL, result, err);
    free(id);
    row_clear(&s);
    return ok;
}

bool evsub_action_remove_source(region *r, const params *p, cJSON *result, awserr *err)
{
    evsub_row s;
    if (!load_one(r, p, &s, err))
        return false;
    const char *sid = params_require(p, "SourceIdentifier", err);
    bool ok = sid != NULL;
    if (ok) {
        char *low = str_lower(xstrdup(sid));
        int idx = -1, i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, s.ids)
        {
            if (cJSON_IsString(c) && strcmp(c->valuestring, low) == 0)
                idx = i;
            i++;
        }
        if (idx < 0)
            ok = awserr_set(err, AWSERR_SOURCE_NOT_FOUND,
                            "Source %s is not in subscription %s.", sid, s.name);
        else
            cJSON_DeleteItemFromArray(s.ids, idx);
        free(low);
    }
    ok = ok && save_and_answer(r, &s, NULL, result, err);
    row_clear(&s);
    return ok;
}

bool evsub_exists(region *r, const char *name, bool *found)
{
    evsub_row *v = NULL;
    int n = rows_list(r, name, NULL, 1, &v);
    *found = n > 0;
    rows_free(v, n < 0 ? 0 : n);
    return n >= 0;
}
