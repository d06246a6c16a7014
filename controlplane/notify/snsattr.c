/* snsattr: see snsattr.h. */
#include "controlplane/notify/snsattr.h"

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
#include "controlplane/notify/sns.h"
#include "lib/util.h"

#define SNS_DISPLAY_NAME_MAX 100
#define SNS_POLICY_MAX (30 * 1024)

/* SNS's default delivery policy, what EffectiveDeliveryPolicy shows for
 * a topic without DeliveryPolicy. */
static const char default_delivery_policy[] =
    "{\"http\":{\"defaultHealthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":20,"
    "\"numRetries\":3,\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,"
    "\"numMinDelayRetries\":0,\"backoffFunction\":\"linear\"},"
    "\"disableSubscriptionOverrides\":false,"
    "\"defaultRequestPolicy\":{\"headerContentType\":\"text/plain; charset=UTF-8\"}}}";

/* AWS's default topic policy: the account may do everything to it. */
static char *default_policy(const region *r, const char *arn)
{
    return xasprintf(
        "{\"Version\":\"2008-10-17\",\"Id\":\"__default_policy_ID\",\"Statement\":[{\"Sid\":"
        "\"__default_statement_ID\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
        "\"Action\":[\"SNS:GetTopicAttributes\",\"SNS:SetTopicAttributes\","
        "\"SNS:AddPermission\",\"SNS:RemovePermission\",\"SNS:DeleteTopic\",\"SNS:Subscribe\","
        "\"SNS:ListSubscriptionsByTopic\",\"SNS:Publish\"],\"Resource\":\"%s\",\"Condition\":{"
        "\"StringEquals\":{\"AWS:SourceOwner\":\"%s\"}}}]}",
        arn, r->cfg.account);
}

/* ---- store ---- */

char *snsattr_get(region *r, const char *arn, const char *name)
{
    return sqlrow_attr_get(r->st, "sns_attributes", "arn", arn, name);
}

/* Stores name=value for arn; "" deletes it (the default again). */
static bool attr_put(region *r, const char *arn, const char *name, const char *value)
{
    return sqlrow_attr_put(r->st, "sns_attributes", "arn", arn, name, value);
}

/* Adds every stored attribute of arn not already in list. */
static bool attr_add_stored(region *r, const char *arn, cJSON *list)
{
    sqlite3_stmt *st =
        sqlrow_prepare(r->st, "SELECT name, value FROM sns_attributes WHERE arn=? ORDER BY name");
    if (!st)
        return false;
    sqlrow_bind_text(st, 1, arn);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 0);
        bool have = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, list)
        {
            const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "key");
            have = have || (cJSON_IsString(k) && strcmp(k->valuestring, n) == 0);
        }
        if (have)
            continue;
        cJSON *e2 = cJSON_CreateObject();
        cJSON_AddStringToObject(e2, "key", n);
        cJSON_AddStringToObject(e2, "value", (const char *)sqlite3_column_text(st, 1));
        cJSON_AddItemToArray(list, e2);
    }
    sqlite3_finalize(st);
    return true;
}

static void add_entry(cJSON *list, const char *key, const char *value)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "key", key);
    cJSON_AddStringToObject(e, "value", value);
    cJSON_AddItemToArray(list, e);
}

/* err's message again under code, after prefix. */
static bool recode(awserr *err, awserr_code code, const char *prefix)
{
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s", err->message);
    return awserr_set(err, code, "%s%s", prefix, msg);
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

/* ---- checks ---- */

static bool bad_attr(awserr *err, const char *name, const char *why)
{
    return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                      "Invalid parameter: Attributes Reason: %s: %s", name, why);
}

static bool json_object_ok(const char *v)
{
    cJSON *j = cJSON_Parse(v);
    bool ok = cJSON_IsObject(j);
    cJSON_Delete(j);
    return ok;
}

static bool one_of(const char *v, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(v, *set) == 0)
            return true;
    return false;
}

/* A protocol feedback attribute: <Proto>SuccessFeedbackRoleArn,
 * <Proto>FailureFeedbackRoleArn, <Proto>SuccessFeedbackSampleRate. */
static bool feedback_ok(const char *name, const char *v, bool *known)
{
    static const char *const protos[] = {"HTTP", "Firehose", "Lambda", "SQS", "Application",
                                         NULL};
    for (const char *const *pr = protos; *pr; pr++) {
        size_t n = strlen(*pr);
        if (strncmp(name, *pr, n) != 0)
            continue;
        const char *rest = name + n;
        if (strcmp(rest, "SuccessFeedbackRoleArn") == 0 ||
            strcmp(rest, "FailureFeedbackRoleArn") == 0) {
            *known = true;
            return !*v || strncmp(v, "arn:", 4) == 0;
        }
        if (strcmp(rest, "SuccessFeedbackSampleRate") == 0) {
            int64_t rate;
            *known = true;
            return !*v || str_to_int64(v, 0, 100, &rate);
        }
    }
    *known = false;
    return false;
}

/* A topic attribute that Create/SetTopicAttributes may set. */
static bool topic_attr_check(const char *name, const char *v, bool create, awserr *err)
{
    static const char *const tracing[] = {"PassThrough", "Active", NULL};
    static const char *const sigver[] = {"1", "2", NULL};
    static const char *const boolean[] = {"true", "false", NULL};
    bool known;
    if (strcmp(name, "DisplayName") == 0)
        return strlen(v) <= SNS_DISPLAY_NAME_MAX ||
               bad_attr(err, name, "must be at most 100 characters");
    if (strcmp(name, "Policy") == 0 || strcmp(name, "DeliveryPolicy") == 0 ||
        strcmp(name, "ArchivePolicy") == 0)
        return (strlen(v) <= SNS_POLICY_MAX && (!*v || json_object_ok(v))) ||
               awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: %s Error: the value is not a JSON object", name);
    if (strcmp(name, "KmsMasterKeyId") == 0)
        return strlen(v) <= 2048 || bad_attr(err, name, "too long");
    if (strcmp(name, "TracingConfig") == 0)
        return !*v || one_of(v, tracing) || bad_attr(err, name, "must be PassThrough or Active");
    if (strcmp(name, "SignatureVersion") == 0)
        return !*v || one_of(v, sigver) || bad_attr(err, name, "must be 1 or 2");
    if (strcmp(name, "FifoTopic") == 0 || strcmp(name, "ContentBasedDeduplication") == 0) {
        /* rdsim's topics are standard topics: only "false" holds. */
        if (strcmp(name, "FifoTopic") == 0 && !create)
            return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                              "Invalid parameter: AttributeName");
        if (!*v || strcmp(v, "false") == 0)
            return true;
        return one_of(v, boolean) ? bad_attr(err, name, "FIFO topics are not supported")
                                  : bad_attr(err, name, "must be true or false");
    }
    bool ok = feedback_ok(name, v, &known);
    if (known)
        return ok || bad_attr(err, name, "invalid value");
    return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER, "Invalid parameter: AttributeName");
}

/* A subscription attribute; RawMessageDelivery is stored as "true" or
 * "false" (*norm, borrowed static) whatever its case. */
static bool sub_attr_check(const char *proto, const char *name, const char *v, const char **norm,
                           awserr *err)
{
    static const char *const scopes[] = {"MessageAttributes", "MessageBody", NULL};
    *norm = v;
    if (strcmp(name, "RawMessageDelivery") == 0) {
        if (strcasecmp(v, "true") == 0)
            *norm = "true";
        else if (strcasecmp(v, "false") == 0 || !*v)
            *norm = "false";
        else
            return bad_attr(err, name, "must be true or false");
        if (strcmp(*norm, "true") == 0 && strcmp(proto, "sqs") != 0 &&
            strcmp(proto, "http") != 0 && strcmp(proto, "https") != 0 &&
            strcmp(proto, "firehose") != 0)
            return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                              "Invalid parameter: Attributes Reason: Delivery protocol [%s] "
                              "does not support raw message delivery.",
                              proto);
        return true;
    }
    if (strcmp(name, "FilterPolicy") == 0 || strcmp(name, "DeliveryPolicy") == 0 ||
        strcmp(name, "RedrivePolicy") == 0 || strcmp(name, "ReplayPolicy") == 0)
        return (strlen(v) <= SNS_POLICY_MAX && (!*v || json_object_ok(v))) ||
               awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: %s: failed to parse JSON", name);
    if (strcmp(name, "FilterPolicyScope") == 0)
        return !*v || one_of(v, scopes) ||
               bad_attr(err, name, "must be MessageAttributes or MessageBody");
    if (strcmp(name, "SubscriptionRoleArn") == 0)
        return !*v || strncmp(v, "arn:", 4) == 0 || bad_attr(err, name, "not an ARN");
    return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER, "Invalid parameter: AttributeName");
}

/* ---- topics ---- */

bool snsattr_create(region *r, const params *p, const char *arn, const char *proto,
                    awserr *err)
{
    int n = params_count_structs(p, "Attributes", "entry", err);
    if (n < 0)
        return recode(err, AWSERR_SNS_INVALID_PARAMETER, "Invalid parameter: ");
    for (int i = 1; i <= n; i++) {
        const char *k = params_get_struct_field(p, "Attributes", "entry", i, "key");
        const char *v = params_get_struct_field(p, "Attributes", "entry", i, "value");
        const char *norm = v ? v : "";
        if (!k)
            return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                              "Invalid parameter: Attributes Reason: an entry without a key");
        bool ok = proto ? sub_attr_check(proto, k, norm, &norm, err)
                        : topic_attr_check(k, norm, true, err);
        if (!ok)
            return false;
        if (!attr_put(r, arn, k, norm))
            return awserr_set(err, AWSERR_INTERNAL_FAILURE,
                              "The request failed for an internal reason.");
    }
    return true;
}

bool snsattr_create_tags(region *r, const params *p, const char *arn, awserr *err)
{
    int n = params_count_structs(p, "Tags", "member", err);
    if (n <= 0)
        return n == 0 || recode(err, AWSERR_SNS_INVALID_PARAMETER, "Invalid parameter: ");
    char *tags = restags_merge_list(p, "Tags", "member", NULL, err);
    if (!tags)
        return recode(err, AWSERR_SNS_INVALID_PARAMETER, "Invalid parameter: Tags Reason: ");
    bool ok = restags_put(r->st, "sns", arn, tags);
    free(tags);
    return ok || awserr_set(err, AWSERR_INTERNAL_FAILURE,
                            "The request failed for an internal reason.");
}

static bool topic_arg(region *r, const params *p, const char *name, const char **arn,
                      awserr *err)
{
    *arn = params_require(p, name, err);
    if (!*arn)
        return false;
    if (!sns_topic_exists(r, *arn))
        return awserr_set(err, AWSERR_SNS_NOT_FOUND, "Topic does not exist");
    return true;
}

static int64_t count_subs(region *r, const char *topic_arn)
{
    sqlite3_stmt *st =
        sqlrow_prepare(r->st, "SELECT count(*) FROM sns_subscriptions WHERE topic_arn=?");
    if (!st)
        return 0;
    sqlrow_bind_text(st, 1, topic_arn);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

/* Attributes is a map: rendered as <entry><key/><value/></entry> in XML
 * (render.c knows these results) and as a list of {key, value} in JSON. */
bool snsattr_get_topic_attributes(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *arn;
    if (!topic_arg(r, p, "TopicArn", &arn, err))
        return false;
    char n[24];
    snprintf(n, sizeof n, "%lld", (long long)count_subs(r, arn));
    char *policy = snsattr_get(r, arn, "Policy");
    char *dpolicy = snsattr_get(r, arn, "DeliveryPolicy");
    char *display = snsattr_get(r, arn, "DisplayName");
    if (!policy)
        policy = default_policy(r, arn);
    cJSON *list = cJSON_AddArrayToObject(result, "Attributes");
    add_entry(list, "Policy", policy);
    add_entry(list, "Owner", r->cfg.account);
    add_entry(list, "SubscriptionsPending", "0");
    add_entry(list, "TopicArn", arn);
    add_entry(list, "EffectiveDeliveryPolicy", dpolicy ? dpolicy : default_delivery_policy);
    add_entry(list, "SubscriptionsConfirmed", n);
    add_entry(list, "DisplayName", display ? display : "");
    add_entry(list, "SubscriptionsDeleted", "0");
    free(policy);
    free(dpolicy);
    free(display);
    return attr_add_stored(r, arn, list);
}

bool snsattr_set_topic_attributes(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    const char *arn, *name;
    if (!topic_arg(r, p, "TopicArn", &arn, err) ||
        !(name = params_require(p, "AttributeName", err)))
        return false;
    const char *v = params_get(p, "AttributeValue");
    if (!v)
        v = "";
    if (!topic_attr_check(name, v, false, err) || !store_begin(r->st))
        return false;
    return commit(r, attr_put(r, arn, name, v), err);
}

/* ---- subscriptions ---- */

typedef struct {
    char *topic, *protocol, *endpoint;
} sub_row;

static void sub_row_free(sub_row *s)
{
    free(s->topic);
    free(s->protocol);
    free(s->endpoint);
}

static bool sub_find(region *r, const params *p, const char **arn, sub_row *s, awserr *err)
{
    memset(s, 0, sizeof *s);
    *arn = params_require(p, "SubscriptionArn", err);
    if (!*arn)
        return false;
    sqlite3_stmt *st = sqlrow_prepare(
        r->st, "SELECT topic_arn, protocol, endpoint FROM sns_subscriptions WHERE arn=?");
    if (!st)
        return awserr_set(err, AWSERR_INTERNAL_FAILURE,
                          "The request failed for an internal reason.");
    sqlrow_bind_text(st, 1, *arn);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        *s = (sub_row){sqlrow_text(st, 0), sqlrow_text(st, 1), sqlrow_text(st, 2)};
    sqlite3_finalize(st);
    return found || awserr_set(err, AWSERR_SNS_NOT_FOUND, "Subscription does not exist");
}

bool snsattr_get_subscription_attributes(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *arn;
    sub_row s;
    if (!sub_find(r, p, &arn, &s, err))
        return false;
    char *raw = snsattr_get(r, arn, "RawMessageDelivery");
    char *filter = snsattr_get(r, arn, "FilterPolicy");
    char *dpolicy = snsattr_get(r, s.topic, "DeliveryPolicy");
    cJSON *list = cJSON_AddArrayToObject(result, "Attributes");
    add_entry(list, "Owner", r->cfg.account);
    add_entry(list, "RawMessageDelivery", raw ? raw : "false");
    add_entry(list, "TopicArn", s.topic);
    add_entry(list, "Endpoint", s.endpoint);
    add_entry(list, "Protocol", s.protocol);
    add_entry(list, "PendingConfirmation", "false");
    add_entry(list, "ConfirmationWasAuthenticated", "true");
    add_entry(list, "SubscriptionArn", arn);
    if (strcmp(s.protocol, "http") == 0 || strcmp(s.protocol, "https") == 0)
        add_entry(list, "EffectiveDeliveryPolicy",
                  dpolicy ? dpolicy : default_delivery_policy);
    if (filter) {
        char *scope = snsattr_get(r, arn, "FilterPolicyScope");
        add_entry(list, "FilterPolicyScope", scope ? scope : "MessageAttributes");
        free(scope);
    }
    free(raw);
    free(filter);
    free(dpolicy);
    sub_row_free(&s);
    return attr_add_stored(r, arn, list);
}

bool snsattr_set_subscription_attributes(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    const char *arn, *name, *norm;
    sub_row s;
    if (!sub_find(r, p, &arn, &s, err))
        return false;
    name = params_require(p, "AttributeName", err);
    const char *v = params_get(p, "AttributeValue");
    bool ok = name && sub_attr_check(s.protocol, name, v ? v : "", &norm, err) &&
              store_begin(r->st);
    sub_row_free(&s);
    return ok && commit(r, attr_put(r, arn, name, norm), err);
}

/* ---- tags ---- */

static bool tagged_topic(region *r, const params *p, const char **arn, char **tags, awserr *err)
{
    *arn = params_require(p, "ResourceArn", err);
    if (!*arn)
        return false;
    if (!sns_topic_exists(r, *arn))
        return awserr_set(err, AWSERR_SNS_RESOURCE_NOT_FOUND, "Resource does not exist");
    *tags = restags_get(r->st, "sns", *arn);
    return *tags || awserr_set(err, AWSERR_INTERNAL_FAILURE,
                               "The request failed for an internal reason.");
}

static bool tags_store(region *r, const char *arn, char *tags, awserr *err)
{
    if (!tags)
        return recode(err, AWSERR_SNS_INVALID_PARAMETER, "Invalid parameter: Tags Reason: ");
    bool ok = store_begin(r->st) && commit(r, restags_put(r->st, "sns", arn, tags), err);
    free(tags);
    return ok;
}

bool snsattr_tag_resource(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    const char *arn;
    char *have;
    if (!tagged_topic(r, p, &arn, &have, err))
        return false;
    int n = params_count_structs(p, "Tags", "member", err);
    char *tags = n > 0 ? restags_merge_list(p, "Tags", "member", have, err) : NULL;
    free(have);
    if (n == 0)
        return awserr_set(err, AWSERR_SNS_INVALID_PARAMETER,
                          "Invalid parameter: Tags Reason: no tags given");
    return tags_store(r, arn, tags, err);
}

bool snsattr_untag_resource(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)result;
    const char *arn;
    char *have;
    if (!tagged_topic(r, p, &arn, &have, err))
        return false;
    char *tags = restags_remove(p, have, err);
    free(have);
    return tags_store(r, arn, tags, err);
}

bool snsattr_list_tags(region *r, const params *p, cJSON *result, awserr *err)
{
    const char *arn;
    char *have;
    if (!tagged_topic(r, p, &arn, &have, err))
        return false;
    cJSON *arr = cJSON_Parse(have);
    free(have);
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        arr = cJSON_CreateArray();
    }
    cJSON_AddItemToObject(result, "Tags", arr);
    return true;
}
