/* sns: see sns.h. The Query handlers of SNS and the topic and
 * subscription tables. */
#include "controlplane/notify/sns.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/notify/endpoint.h"
#include "controlplane/notify/delivery.h"
#include "controlplane/core/region.h"
#include "controlplane/notify/snsattr.h"
#include "controlplane/notify/snsmsg.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

#define SNS_PAGE 100
#define SNS_SUBJECT_MAX 100

/* ---- names ---- */

static bool name_chars_ok(const char *s, size_t min, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (const char *c = s; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' ||
                  (extra && strchr(extra, *c));
        if (!ok)
            return false;
    }
    return true;
}

/* "arn:aws:<svc>:<region>:<account>:" — the prefix of this region's
 * ARNs for a service. Caller frees. */
static char *arn_prefix(const region *r, const char *svc)
{
    return xasprintf("arn:aws:%s:%s:%s:", svc, r->cfg.name, r->cfg.account);
}

/* The part of value after this region's ARN prefix for svc and then
 * `kind` ("" for none), or NULL when it does not start so. Borrowed. */
static const char *arn_rest(const region *r, const char *value, const char *svc,
                            const char *kind)
{
    region_arn a;
    if (!region_arn_parse(value, &a) ||
        !region_arn_is_local(&a, svc, r->cfg.name, r->cfg.account))
        return NULL;
    const char *rest = region_arn_resource_id(&a, kind);
    return rest ? value + (rest - a.buf) : NULL;
}

/* ---- endpoints ---- */

static bool endpoint_ok_email(const char *e)
{
    const char *at = strchr(e, '@');
    if (!at || at == e || !at[1] || strlen(e) > 254 || e[0] == '.')
        return false;
    for (const char *c = e; *c; c++)
        if (*c <= ' ' || *c == '/' || *c == '\\' || (unsigned char)*c >= 0x7f)
            return false;
    return true;
}

static bool endpoint_ok_sms(const char *e)
{
    const char *d = e[0] == '+' ? e + 1 : e;
    size_t n = strlen(d);
    return n >= 5 && n <= 15 && strspn(d, "0123456789") == n;
}

/* Checks Endpoint for Protocol (sns.h's table). */
static bool endpoint_check(region *r, const char *proto, const char *e, awserr *err)
{
    const char *rest;
    bool ok;
    if (strcmp(proto, "http") == 0)
        ok = strncmp(e, "http://", 7) == 0 && e[7] && strlen(e) <= 2048;
    else if (strcmp(proto, "https") == 0)
        ok = strncmp(e, "https://", 8) == 0 && e[8] && strlen(e) <= 2048;
    else if (strcmp(proto, "email") == 0 || strcmp(proto, "email-json") == 0)
        ok = endpoint_ok_email(e);
    else if (strcmp(proto, "sms") == 0)
        ok = endpoint_ok_sms(e);
    else if (strcmp(proto, "sqs") == 0)
        ok = (rest = arn_rest(r, e, "sqs", "")) && name_chars_ok(rest, 1, 80, NULL);
    else if (strcmp(proto, "lambda") == 0)
        ok = (rest = arn_rest(r, e, "lambda", "function:")) && name_chars_ok(rest, 1, 64, NULL);
    else if (strcmp(proto, "firehose") == 0)
        ok = (rest = arn_rest(r, e, "firehose", "deliverystream/")) && rest[0] != '.' &&
             name_chars_ok(rest, 1, 64, ".");
    else
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: Amazon SNS does not support this protocol string: "
                          "%s", proto);
    if (!ok)
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: Endpoint is not valid for protocol %s: %s", proto, e);
    return true;
}

/* ---- store ---- */

bool sns_topic_exists(region *r, const char *topic_arn)
{
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT 1 FROM sns_topics WHERE arn=?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, topic_arn);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static bool topic_required(region *r, const params *p, const char *name, const char **arn,
                           awserr *err)
{
    *arn = params_require(p, name, err);
    if (!*arn)
        return false;
    if (!sns_topic_exists(r, *arn))
        return awserr_set(err, AWSERR_SNS_NOT_FOUND, "Topic does not exist");
    return true;
}

bool sns_publish(region *r, const char *topic_arn, const char *subject, const char *message,
                 const char *evsub, char **message_id)
{
    char *mid = snsmsg_uuid();
    /* The message once; each subscriber's row names it (its envelope,
     * which differs only by UnsubscribeURL, is built when it is sent). */
    sqlite3_stmt *st = sqlrow_prepare(r->st, "INSERT INTO sns_messages(message_id,topic_arn,"
                                             "subject,message,timestamp_ms) VALUES(?,?,?,?,?)");
    bool ok = st != NULL;
    if (ok) {
        sqlrow_bind_text(st, 1, mid);
        sqlrow_bind_text(st, 2, topic_arn);
        sqlrow_bind_text(st, 3, subject);
        sqlrow_bind_text(st, 4, message);
        sqlite3_bind_int64(st, 5, region_now_ms(r));
        ok = sqlrow_run(st);
    }
    st = ok ? sqlrow_prepare(r->st, "SELECT arn, protocol, endpoint FROM sns_subscriptions "
                                    "WHERE topic_arn=? ORDER BY created_ms, arn")
            : NULL;
    ok = st != NULL;
    if (ok)
        sqlrow_bind_text(st, 1, topic_arn);
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        delivery_item it = {.message_id = mid, .topic_arn = topic_arn,
                            .subscription_arn = (const char *)sqlite3_column_text(st, 0),
                            .protocol = (const char *)sqlite3_column_text(st, 1),
                            .endpoint = (const char *)sqlite3_column_text(st, 2),
                            .evsub = evsub, .subject = subject, .body = ""};
        ok = delivery_enqueue(r->st, &it, wall_ms());
    }
    if (st)
        sqlite3_finalize(st);
    if (ok)
        LOG_INFO("sns publish topic=%s message_id=%s", topic_arn, mid);
    if (ok && message_id)
        *message_id = mid;
    else
        free(mid);
    return ok;
}

/* ---- handlers ---- */

/* Runs fn's writes in one transaction; InternalFailure when the store
 * refuses. */
static bool sns_commit(region *r, bool ok, awserr *err)
{
    if (ok && store_commit(r->st))
        return true;
    store_rollback(r->st);
    if (err->code == AWSERR_NONE)
        awserr_set(err, AWSERR_INTERNAL_FAILURE, "The request failed for an internal reason.");
    return false;
}

/* Rows of table (with col=value when col is not NULL). */
static int64_t count_rows(region *r, const char *table, const char *col, const char *value)
{
    char *sql = xasprintf("SELECT count(*) FROM %s%s%s%s", table, col ? " WHERE " : "",
                          col ? col : "", col ? "=?" : "");
    sqlite3_stmt *st = sqlrow_prepare(r->st, sql);
    free(sql);
    if (!st)
        return 0;
    if (col)
        sqlrow_bind_text(st, 1, value);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

static bool sns_create_topic(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *name = params_require(p, "Name", err);
    if (!name)
        return false;
    if (!name_chars_ok(name, 1, 256, NULL))
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: Topic Name must be made up of only uppercase and "
                          "lowercase ASCII letters, numbers, underscores, and hyphens, and must be "
                          "between 1 and 256 characters long.");
    char *pre = arn_prefix(r, "sns");
    char *arn = xasprintf("%s%s", pre, name);
    free(pre);
    bool ok = store_begin(r->st);
    int64_t max_topics = r->cfg.sns_max_topics > 0 ? r->cfg.sns_max_topics : SNS_MAX_TOPICS;
    if (ok && !sns_topic_exists(r, arn) &&
        count_rows(r, "sns_topics", NULL, NULL) >= max_topics) {
        store_rollback(r->st);
        free(arn);
        return awserr_set(err, AWSERR_SNS_TOPIC_LIMIT_EXCEEDED,
                          "Topic limit exceeded: an account has at most %lld topics",
                          (long long)max_topics);
    }
    if (ok) {
        /* CreateTopic is idempotent: an existing name gives its ARN. */
        sqlite3_stmt *st = sqlrow_prepare(
            r->st, "INSERT INTO sns_topics(arn,name,created_ms) VALUES(?,?,?) "
                   "ON CONFLICT(arn) DO NOTHING");
        ok = st != NULL;
        if (ok) {
            sqlrow_bind_text(st, 1, arn);
            sqlrow_bind_text(st, 2, name);
            sqlite3_bind_int64(st, 3, region_now_ms(r));
            ok = sqlrow_run(st);
        }
        /* A new topic's Attributes and Tags, in the same transaction:
         * a refused one creates nothing. */
        if (ok && sqlrow_changes(r->st) > 0)
            ok = snsattr_create(r, p, arn, NULL, err) && snsattr_create_tags(r, p, arn, err);
        ok = sns_commit(r, ok, err);
    }
    if (ok)
        cJSON_AddStringToObject(result, "TopicArn", arn);
    free(arn);
    return ok;
}

static bool sns_delete_topic(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    const char *arn = params_require(p, "TopicArn", err);
    if (!arn || !store_begin(r->st))
        return false;
    /* Deleting a topic that does not exist is not an error (AWS). Its
     * subscriptions go with it; deliveries already queued still run. */
    sqlite3_stmt *a = sqlrow_prepare(r->st, "DELETE FROM sns_subscriptions WHERE topic_arn=?");
    bool ok = a != NULL;
    if (ok) {
        sqlrow_bind_text(a, 1, arn);
        ok = sqlrow_run(a);
    }
    sqlite3_stmt *b = ok ? sqlrow_prepare(r->st, "DELETE FROM sns_topics WHERE arn=?") : NULL;
    ok = b != NULL;
    if (ok) {
        sqlrow_bind_text(b, 1, arn);
        ok = sqlrow_run(b);
    }
    return sns_commit(r, ok, err);
}

/* NextToken is the last key of the previous page. */
static bool sns_list_topics(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)err;
    const char *token = params_get(p, "NextToken");
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT arn FROM sns_topics WHERE arn > ? "
                                             "ORDER BY arn LIMIT ?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, token ? token : "");
    sqlite3_bind_int(st, 2, SNS_PAGE + 1);
    cJSON *list = cJSON_AddArrayToObject(result, "Topics");
    int n = 0;
    char last[512] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (++n > SNS_PAGE) {
            cJSON_AddStringToObject(result, "NextToken", last);
            break;
        }
        const char *arn = (const char *)sqlite3_column_text(st, 0);
        snprintf(last, sizeof last, "%s", arn);
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "TopicArn", arn);
        cJSON_AddItemToArray(list, t);
    }
    sqlite3_finalize(st);
    return true;
}

static bool sns_subscribe(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *topic, *proto = params_require(p, "Protocol", err);
    if (!proto || !topic_required(r, p, "TopicArn", &topic, err))
        return false;
    const char *ep = params_get(p, "Endpoint");
    if (!ep || !*ep)
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: Endpoint must be provided");
    if (!endpoint_check(r, proto, ep, err))
        return false;
    if ((strcmp(proto, "http") == 0 || strcmp(proto, "https") == 0) &&
        !endpoint_check_subscribe(r, ep, err))
        return false;
    /* The same (topic, protocol, endpoint) gives back the same ARN. */
    sqlite3_stmt *st = sqlrow_prepare(r->st, "SELECT arn FROM sns_subscriptions WHERE "
                                             "topic_arn=? AND protocol=? AND endpoint=?");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, topic);
    sqlrow_bind_text(st, 2, proto);
    sqlrow_bind_text(st, 3, ep);
    char *arn = sqlite3_step(st) == SQLITE_ROW ? sqlrow_text(st, 0) : NULL;
    sqlite3_finalize(st);
    bool ok = true;
    int64_t max_subs = r->cfg.sns_max_subs_per_topic > 0 ? r->cfg.sns_max_subs_per_topic
                                                         : SNS_MAX_SUBS_PER_TOPIC;
    if (!arn && count_rows(r, "sns_subscriptions", "topic_arn", topic) >= max_subs)
        return awserr_set(err, AWSERR_SNS_SUBSCRIPTION_LIMIT_EXCEEDED,
                          "Subscription limit exceeded: a topic has at most %lld subscriptions",
                          (long long)max_subs);
    if (!arn) {
        char *u = snsmsg_uuid();
        arn = xasprintf("%s:%s", topic, u);
        free(u);
        ok = store_begin(r->st);
        sqlite3_stmt *ins = ok ? sqlrow_prepare(r->st, "INSERT INTO sns_subscriptions(arn,"
                                                       "topic_arn,protocol,endpoint,created_ms) "
                                                       "VALUES(?,?,?,?,?)")
                               : NULL;
        if (ins) {
            sqlrow_bind_text(ins, 1, arn);
            sqlrow_bind_text(ins, 2, topic);
            sqlrow_bind_text(ins, 3, proto);
            sqlrow_bind_text(ins, 4, ep);
            sqlite3_bind_int64(ins, 5, region_now_ms(r));
        }
        ok = ok && sns_commit(r, ins && sqlrow_run(ins) && snsattr_create(r, p, arn, proto, err),
                              err);
        if (ok)
            LOG_INFO("sns subscribe topic=%s protocol=%s arn=%s", topic, proto, arn);
    }
    if (ok)
        cJSON_AddStringToObject(result, "SubscriptionArn", arn);
    free(arn);
    return ok;
}

static bool sns_unsubscribe(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    const char *arn = params_require(p, "SubscriptionArn", err);
    if (!arn || !store_begin(r->st))
        return false;
    sqlite3_stmt *st = sqlrow_prepare(r->st, "DELETE FROM sns_subscriptions WHERE arn=?");
    bool ok = st != NULL;
    if (ok) {
        sqlrow_bind_text(st, 1, arn);
        ok = sqlrow_run(st);
    }
    if (ok && sqlrow_changes(r->st) == 0) {
        store_rollback(r->st);
        return awserr_set(err, AWSERR_SNS_NOT_FOUND, "Subscription does not exist");
    }
    return sns_commit(r, ok, err);
}

/* ListSubscriptions and ListSubscriptionsByTopic (topic != NULL). */
static bool list_subs(region *r, const params *p, const char *topic, cJSON *result)
{
    const char *token = params_get(p, "NextToken");
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "SELECT arn, protocol, endpoint, topic_arn FROM sns_subscriptions "
               "WHERE arn > ?1 AND (?2 IS NULL OR topic_arn=?2) ORDER BY arn LIMIT ?3");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, token ? token : "");
    sqlrow_bind_text(st, 2, topic);
    sqlite3_bind_int(st, 3, SNS_PAGE + 1);
    cJSON *list = cJSON_AddArrayToObject(result, "Subscriptions");
    int n = 0;
    char last[600] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (++n > SNS_PAGE) {
            cJSON_AddStringToObject(result, "NextToken", last);
            break;
        }
        snprintf(last, sizeof last, "%s", (const char *)sqlite3_column_text(st, 0));
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "SubscriptionArn", last);
        cJSON_AddStringToObject(s, "Owner", r->cfg.account);
        cJSON_AddStringToObject(s, "Protocol", (const char *)sqlite3_column_text(st, 1));
        cJSON_AddStringToObject(s, "Endpoint", (const char *)sqlite3_column_text(st, 2));
        cJSON_AddStringToObject(s, "TopicArn", (const char *)sqlite3_column_text(st, 3));
        cJSON_AddItemToArray(list, s);
    }
    sqlite3_finalize(st);
    return true;
}

static bool sns_list_subscriptions(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)err;
    return list_subs(r, p, NULL, result);
}

static bool sns_list_subscriptions_by_topic(region *r, const params *p, cJSON *result,
                                            awserr *err)
{
    const char *topic;
    return topic_required(r, p, "TopicArn", &topic, err) && list_subs(r, p, topic, result);
}

static bool sns_publish_action(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *topic = params_get(p, "TopicArn");
    if (!topic || !*topic)
        topic = params_get(p, "TargetArn");
    if (!topic || !*topic)
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: TopicArn or TargetArn Reason: no value for "
                          "required parameter");
    const char *msg = params_get(p, "Message");
    if (!msg || !*msg)
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: Empty message");
    if (strlen(msg) > SNS_MESSAGE_MAX)
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: Message too long");
    const char *subject = params_get(p, "Subject");
    if (subject && (!*subject || strlen(subject) > SNS_SUBJECT_MAX || strpbrk(subject, "\r\n")))
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: Subject must be 1 to 100 characters on one line");
    if (!sns_topic_exists(r, topic))
        return awserr_set(err, AWSERR_SNS_NOT_FOUND, "Topic does not exist");
    char *mid = NULL;
    if (!store_begin(r->st))
        return false;
    if (!sns_commit(r, sns_publish(r, topic, subject, msg, NULL, &mid), err))
        return false;
    cJSON_AddStringToObject(result, "MessageId", mid);
    free(mid);
    return true;
}

static const action_def sns_table[] = {
    {"CreateTopic", sns_create_topic, false},
    {"DeleteTopic", sns_delete_topic, false},
    {"ListTopics", sns_list_topics, false},
    {"GetTopicAttributes", snsattr_get_topic_attributes, false},
    {"SetTopicAttributes", snsattr_set_topic_attributes, false},
    {"GetSubscriptionAttributes", snsattr_get_subscription_attributes, false},
    {"SetSubscriptionAttributes", snsattr_set_subscription_attributes, false},
    {"TagResource", snsattr_tag_resource, false},
    {"UntagResource", snsattr_untag_resource, false},
    {"ListTagsForResource", snsattr_list_tags, false},
    {"Subscribe", sns_subscribe, false},
    {"Unsubscribe", sns_unsubscribe, false},
    {"ListSubscriptions", sns_list_subscriptions, false},
    {"ListSubscriptionsByTopic", sns_list_subscriptions_by_topic, false},
    /* mutates: the cron runs at once, so the delivery starts now */
    {"Publish", sns_publish_action, true},
    {"ListDeliveries", delivery_action_list, false}, /* rdsim */
};

const action_def *sns_actions_find(const char *name)
{
    for (size_t i = 0; i < sizeof sns_table / sizeof sns_table[0]; i++)
        if (strcmp(sns_table[i].name, name) == 0)
            return &sns_table[i];
    return NULL;
}
