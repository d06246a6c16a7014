/* Unit tests for notify/snsattr and notify/sqsattr: SNS topic and
 * subscription attributes and tags, SQS queue attributes and tags, and
 * the JSON protocol's maps and lists (sqs_json_handle), against a real
 * store; each refusal a case. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/notify/sns.h"
#include "controlplane/notify/sqs.h"
#include "lib/fsutil.h"
#include "lib/tap.h"
#include "lib/util.h"

static region r;

#define TOPIC "arn:aws:sns:us-east-1:123456789012:t1"

/* Runs an SNS (sns != 0) or SQS Query action; the result (caller
 * deletes) or NULL, with *code the error's wire code ("" on success). */
static cJSON *run(bool sns, const char *action, const char *body, const char **code)
{
    awserr err = {0};
    params *p = params_parse(body, strlen(body), &err);
    const action_def *def = sns ? sns_actions_find(action) : sqs_actions_find(action);
    cJSON *res = cJSON_CreateObject();
    bool ok = p && def && def->fn(&r, p, res, &err);
    params_free(p);
    *code = ok ? "" : err.code != AWSERR_NONE ? awserr_wire_code(err.code) : "?";
    if (!ok) {
        cJSON_Delete(res);
        return NULL;
    }
    return res;
}

static const char *code_of(bool sns, const char *action, const char *body)
{
    const char *code;
    cJSON_Delete(run(sns, action, body, &code));
    return code;
}

/* The value of key in an SNS Attributes list of {key, value}; static. */
static const char *entry(const cJSON *res, const char *key)
{
    static char buf[4096];
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(res, "Attributes"))
    {
        const cJSON *k = cJSON_GetObjectItem(e, "key");
        if (cJSON_IsString(k) && strcmp(k->valuestring, key) == 0) {
            snprintf(buf, sizeof buf, "%s", cJSON_GetObjectItem(e, "value")->valuestring);
            return buf;
        }
    }
    return "(absent)";
}

static int64_t count(const char *sql)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(store_sqlite(r.st), sql, -1, &st, NULL);
    int64_t n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static void test_topics(void)
{
    const char *code;
    cJSON *res = run(true, "CreateTopic",
                     "Name=t1&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Ops"
                     "&Tags.member.1.Key=team&Tags.member.1.Value=db",
                     &code);
    ok(res != NULL, "CreateTopic with Attributes and Tags");
    cJSON_Delete(res);
    res = run(true, "GetTopicAttributes", "TopicArn=" TOPIC, &code);
    is_str(entry(res, "DisplayName"), "Ops", "DisplayName stored at create");
    is_str(entry(res, "Owner"), "123456789012", "Owner");
    ok(strstr(entry(res, "Policy"), "\"Resource\":\"" TOPIC "\"") &&
           strstr(entry(res, "Policy"), "\"AWS:SourceOwner\":\"123456789012\""),
       "the default Policy names the topic and the account");
    ok(strstr(entry(res, "EffectiveDeliveryPolicy"), "\"numRetries\":3") != NULL,
       "the default EffectiveDeliveryPolicy");
    is_str(entry(res, "SubscriptionsConfirmed"), "0", "no subscriptions");
    cJSON_Delete(res);

    static const struct {
        const char *name, *value, *code;
    } sets[] = {
        {"DisplayName", "Alerts", ""},
        {"Policy", "%7B%22Version%22%3A%222012-10-17%22%7D", ""},
        {"Policy", "%7Bnope", "InvalidParameter"},
        {"Policy", "%5B%5D", "InvalidParameter"},
        {"DeliveryPolicy", "%7B%22http%22%3A%7B%7D%7D", ""},
        {"KmsMasterKeyId", "alias%2Faws%2Fsns", ""},
        {"TracingConfig", "Active", ""},
        {"TracingConfig", "Sometimes", "InvalidParameter"},
        {"SignatureVersion", "3", "InvalidParameter"},
        {"SQSSuccessFeedbackSampleRate", "50", ""},
        {"SQSSuccessFeedbackSampleRate", "101", "InvalidParameter"},
        {"HTTPFailureFeedbackRoleArn", "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx", ""},
        {"FifoTopic", "true", "InvalidParameter"},
        {"Bogus", "x", "InvalidParameter"},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        char *body = xasprintf("TopicArn=" TOPIC "&AttributeName=%s&AttributeValue=%s",
                               sets[i].name, sets[i].value);
        char *what = xasprintf("SetTopicAttributes %s=%s: %s", sets[i].name, sets[i].value,
                               *sets[i].code ? sets[i].code : "stored");
        is_str(code_of(true, "SetTopicAttributes", body), sets[i].code, what);
        free(body);
        free(what);
    }
    res = run(true, "GetTopicAttributes", "TopicArn=" TOPIC, &code);
    is_str(entry(res, "DisplayName"), "Alerts", "DisplayName replaced");
    is_str(entry(res, "Policy"), "{\"Version\":\"2012-10-17\"}", "the Policy set");
    is_str(entry(res, "EffectiveDeliveryPolicy"), "{\"http\":{}}", "DeliveryPolicy is effective");
    is_str(entry(res, "TracingConfig"), "Active", "a stored attribute is returned");
    cJSON_Delete(res);
    is_str(code_of(true, "SetTopicAttributes",
                   "TopicArn=" TOPIC "&AttributeName=Policy&AttributeValue="),
           "", "an empty Policy: back to the default");
    res = run(true, "GetTopicAttributes", "TopicArn=" TOPIC, &code);
    ok(strstr(entry(res, "Policy"), "__default_policy_ID") != NULL, "... the default again");
    cJSON_Delete(res);
    is_str(code_of(true, "SetTopicAttributes",
                   "TopicArn=" TOPIC "x&AttributeName=DisplayName&AttributeValue=x"),
           "NotFound", "SetTopicAttributes on a missing topic: NotFound");
    is_str(code_of(true, "CreateTopic",
                   "Name=t2&Attributes.entry.1.key=Policy&Attributes.entry.1.value=x"),
           "InvalidParameter", "CreateTopic with a bad Policy");
    is_int(count("SELECT count(*) FROM sns_topics WHERE name='t2'"), 0,
           "... creates no topic");

    /* tags */
    is_str(code_of(true, "TagResource",
                   "ResourceArn=" TOPIC "&Tags.member.1.Key=env&Tags.member.1.Value=dev"),
           "", "TagResource");
    is_str(code_of(true, "UntagResource", "ResourceArn=" TOPIC "&TagKeys.member.1=team"), "",
           "UntagResource");
    res = run(true, "ListTagsForResource", "ResourceArn=" TOPIC, &code);
    char *tags = res ? cJSON_PrintUnformatted(cJSON_GetObjectItem(res, "Tags")) : NULL;
    is_str(tags, "[{\"Key\":\"env\",\"Value\":\"dev\"}]", "ListTagsForResource");
    free(tags);
    cJSON_Delete(res);
    is_str(code_of(true, "TagResource",
                   "ResourceArn=" TOPIC "&Tags.member.1.Key=aws%3Ax&Tags.member.1.Value=1"),
           "InvalidParameter", "an aws: key is refused");
    is_str(code_of(true, "TagResource", "ResourceArn=" TOPIC), "InvalidParameter",
           "TagResource without tags");
    is_str(code_of(true, "ListTagsForResource", "ResourceArn=" TOPIC "zz"), "ResourceNotFound",
           "tags of a missing topic: ResourceNotFound");
}

static void test_subscriptions(void)
{
    const char *code;
    ok(count("SELECT 1") == 1, "store readable");
    cJSON_Delete(run(false, "CreateQueue", "QueueName=q1", &code));
    cJSON *res = run(true, "Subscribe",
                     "TopicArn=" TOPIC "&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1:123456789012:"
                     "q1&Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=TRUE",
                     &code);
    const cJSON *a = cJSON_GetObjectItem(res, "SubscriptionArn");
    char *sub = cJSON_IsString(a) ? xstrdup(a->valuestring) : xstrdup("?");
    cJSON_Delete(res);
    char *body = xasprintf("SubscriptionArn=%s", sub);
    res = run(true, "GetSubscriptionAttributes", body, &code);
    is_str(entry(res, "RawMessageDelivery"), "true", "RawMessageDelivery stored, normalised");
    is_str(entry(res, "Protocol"), "sqs", "Protocol");
    is_str(entry(res, "TopicArn"), TOPIC, "TopicArn");
    is_str(entry(res, "PendingConfirmation"), "false", "confirmed");
    is_str(entry(res, "FilterPolicyScope"), "(absent)", "no FilterPolicyScope without a filter");
    cJSON_Delete(res);
    free(body);

    static const struct {
        const char *name, *value, *code;
    } sets[] = {
        {"RawMessageDelivery", "false", ""},
        {"RawMessageDelivery", "maybe", "InvalidParameter"},
        {"FilterPolicy", "%7B%22a%22%3A%5B%22b%22%5D%7D", ""},
        {"FilterPolicy", "nope", "InvalidParameter"},
        {"FilterPolicyScope", "MessageBody", ""},
        {"FilterPolicyScope", "Elsewhere", "InvalidParameter"},
        {"RedrivePolicy", "%7B%7D", ""},
        {"DisplayName", "x", "InvalidParameter"},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        char *b = xasprintf("SubscriptionArn=%s&AttributeName=%s&AttributeValue=%s", sub,
                            sets[i].name, sets[i].value);
        char *what = xasprintf("SetSubscriptionAttributes %s=%s: %s", sets[i].name,
                               sets[i].value, *sets[i].code ? sets[i].code : "stored");
        is_str(code_of(true, "SetSubscriptionAttributes", b), sets[i].code, what);
        free(b);
        free(what);
    }
    body = xasprintf("SubscriptionArn=%s", sub);
    res = run(true, "GetSubscriptionAttributes", body, &code);
    is_str(entry(res, "FilterPolicyScope"), "MessageBody", "FilterPolicyScope stored");
    is_str(entry(res, "RawMessageDelivery"), "false", "RawMessageDelivery turned off");
    cJSON_Delete(res);
    free(body);
    is_str(code_of(true, "Subscribe",
                   "TopicArn=" TOPIC "&Protocol=email&Endpoint=a%40b.c"
                   "&Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=true"),
           "InvalidParameter", "raw delivery to email is refused");
    is_int(count("SELECT count(*) FROM sns_subscriptions WHERE protocol='email'"), 0,
           "... and nothing subscribed");
    is_str(code_of(true, "GetSubscriptionAttributes", "SubscriptionArn=" TOPIC ":nope"),
           "NotFound", "a missing subscription: NotFound");

    /* the store: attributes and tags go with their rows */
    ok(count("SELECT count(*) FROM sns_attributes") > 0, "attributes stored");
    is_str(code_of(true, "DeleteTopic", "TopicArn=" TOPIC), "", "DeleteTopic");
    is_int(count("SELECT count(*) FROM sns_attributes"), 0,
           "the topic's and its subscription's attributes are gone with them");
    is_int(count("SELECT count(*) FROM resource_tags WHERE type='sns'"), 0,
           "the topic's tags are gone");
    free(sub);
}

/* SQS over JSON: the body, the reply and the status. */
static char *json(const char *target, const char *body, int *status)
{
    char *reply = NULL;
    const char *qe = NULL;
    sqs_json_handle(&r, target, body, strlen(body), &reply, status, &qe);
    return reply;
}

static void test_sqs(void)
{
    int status;
    char *out = json("AmazonSQS.CreateQueue",
                     "{\"QueueName\":\"q2\",\"Attributes\":{\"DelaySeconds\":\"5\","
                     "\"VisibilityTimeout\":\"40\"},\"tags\":{\"team\":\"db\"}}",
                     &status);
    is_int(status, 200, "CreateQueue (JSON) with an Attributes map and a tags map");
    free(out);
    out = json("AmazonSQS.GetQueueAttributes",
               "{\"QueueUrl\":\"http://127.0.0.1/123456789012/q2\",\"AttributeNames\":[\"All\"]}",
               &status);
    cJSON *j = cJSON_Parse(out);
    const cJSON *at = cJSON_GetObjectItem(j, "Attributes");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(at, "DelaySeconds")), "5", "DelaySeconds");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(at, "VisibilityTimeout")), "40",
           "VisibilityTimeout");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(at, "MessageRetentionPeriod")), "345600",
           "a default");
    is_str(cJSON_GetStringValue(cJSON_GetObjectItem(at, "QueueArn")),
           "arn:aws:sqs:us-east-1:123456789012:q2", "QueueArn");
    cJSON_Delete(j);
    free(out);
    out = json("AmazonSQS.ListQueueTags", "{\"QueueUrl\":\"http://127.0.0.1/123456789012/q2\"}",
               &status);
    is_str(out, "{\"Tags\":{\"team\":\"db\"}}", "ListQueueTags: a map");
    free(out);
    out = json("AmazonSQS.UntagQueue",
               "{\"QueueUrl\":\"http://127.0.0.1/123456789012/q2\",\"TagKeys\":[\"team\"]}",
               &status);
    is_int(status, 200, "UntagQueue with a TagKeys list");
    free(out);
    out = json("AmazonSQS.ListQueueTags", "{\"QueueUrl\":\"http://127.0.0.1/123456789012/q2\"}",
               &status);
    is_str(out, "{}", "no tags left: the member is left out");
    free(out);

    static const struct {
        const char *what, *target, *body, *type;
    } bad[] = {
        {"DelaySeconds 901", "SetQueueAttributes",
         "{\"QueueUrl\":\"http://127.0.0.1/123456789012/q2\",\"Attributes\":{\"DelaySeconds\":"
         "\"901\"}}",
         "InvalidParameterValue"},
        {"a Policy that is not JSON", "SetQueueAttributes",
         "{\"QueueUrl\":\"http://127.0.0.1/123456789012/q2\",\"Attributes\":{\"Policy\":\"x\"}}",
         "InvalidParameterValue"},
        {"an unknown attribute", "SetQueueAttributes",
         "{\"QueueUrl\":\"http://127.0.0.1/123456789012/q2\",\"Attributes\":{\"Nope\":\"1\"}}",
         "InvalidAttributeName"},
        {"FifoQueue true", "CreateQueue",
         "{\"QueueName\":\"q3\",\"Attributes\":{\"FifoQueue\":\"true\"}}",
         "InvalidParameterValue"},
        {"an attribute map of non-strings", "CreateQueue",
         "{\"QueueName\":\"q3\",\"Attributes\":{\"DelaySeconds\":5}}", "InvalidParameterValue"},
        {"an unknown map member", "CreateQueue", "{\"QueueName\":\"q3\",\"Other\":{\"a\":\"b\"}}",
         "InvalidParameterValue"},
        {"another DelaySeconds for an existing queue", "CreateQueue",
         "{\"QueueName\":\"q2\",\"Attributes\":{\"DelaySeconds\":\"6\"}}", "QueueNameExists"},
        {"a tag key aws:", "TagQueue",
         "{\"QueueUrl\":\"http://127.0.0.1/123456789012/q2\",\"Tags\":{\"aws:x\":\"1\"}}",
         "InvalidParameterValue"},
        {"an unknown attribute name asked", "GetQueueAttributes",
         "{\"QueueUrl\":\"http://127.0.0.1/123456789012/q2\",\"AttributeNames\":[\"Nope\"]}",
         "InvalidAttributeName"},
        {"a queue that does not exist", "GetQueueAttributes",
         "{\"QueueUrl\":\"http://127.0.0.1/123456789012/zz\",\"AttributeNames\":[\"All\"]}",
         "QueueDoesNotExist"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *target = xasprintf("AmazonSQS.%s", bad[i].target);
        out = json(target, bad[i].body, &status);
        char *want = xasprintf("com.amazonaws.sqs#%s", bad[i].type);
        j = cJSON_Parse(out);
        is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "__type")), want, bad[i].what);
        cJSON_Delete(j);
        free(want);
        free(out);
        free(target);
    }
    is_int(count("SELECT count(*) FROM sqs_queues WHERE name='q3'"), 0,
           "no refused queue was created");
    out = json("AmazonSQS.CreateQueue",
               "{\"QueueName\":\"q2\",\"Attributes\":{\"DelaySeconds\":\"5\"}}", &status);
    is_int(status, 200, "CreateQueue again with the same DelaySeconds");
    free(out);
    out = json("AmazonSQS.DeleteQueue", "{\"QueueUrl\":\"http://127.0.0.1/123456789012/q2\"}",
               &status);
    free(out);
    is_int(count("SELECT count(*) FROM sqs_attributes WHERE queue='q2'"), 0,
           "DeleteQueue takes its attributes");
}

int main(void)
{
    char dir[] = "/tmp/rdsim-snsattr-XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    char *db = xasprintf("%s/cp.db", dir);
    r.cfg.name = "us-east-1";
    r.cfg.account = "123456789012";
    r.home = dir;
    r.st = store_open(db);
    ok(r.st != NULL, "store");
    test_topics();
    test_subscriptions();
    test_sqs();
    store_close(r.st);
    fs_rm_rf(dir);
    free(db);
    return done_testing();
}
