/* snsmsg: the notification envelope, RDS's message, the Lambda event,
 * mailbox and sms lines, uuids, and the retry schedule. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/notify/snsmsg.h"
#include "lib/tap.h"
#include "lib/util.h"

static const char *str_of(const cJSON *o, const char *name)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
    return s ? s : "(absent)";
}

static void test_envelope(void)
{
    snsmsg_note n = {.message_id = "m-1", .topic_arn = "arn:aws:sns:us-east-1:1:t",
                     .subject = "S", .message = "line1\n\"q\"", .timestamp_ms = 1700000000123,
                     .unsubscribe_url = "http://u"};
    char *env = snsmsg_envelope(&n);
    ok(strchr(env, '\n') == NULL, "the envelope is one line");
    cJSON *o = cJSON_Parse(env);
    ok(o != NULL, "the envelope is JSON");
    static const char *const order[] = {"Type", "MessageId", "TopicArn", "Subject", "Message",
                                        "Timestamp", "SignatureVersion", "Signature",
                                        "SigningCertURL", "UnsubscribeURL"};
    const cJSON *c = o ? o->child : NULL;
    bool in_order = true;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++, c = c ? c->next : NULL)
        in_order = in_order && c && strcmp(c->string, order[i]) == 0;
    ok(in_order && c == NULL, "members in AWS's order, nothing else");
    is_str(str_of(o, "Type"), "Notification", "Type");
    is_str(str_of(o, "Message"), "line1\n\"q\"", "Message round-trips");
    is_str(str_of(o, "Timestamp"), "2023-11-14T22:13:20.123Z", "Timestamp ISO 8601 with ms");
    is_str(str_of(o, "SignatureVersion"), "1", "SignatureVersion");
    cJSON_Delete(o);
    free(env);

    n.subject = NULL;
    env = snsmsg_envelope(&n);
    o = cJSON_Parse(env);
    ok(cJSON_GetObjectItemCaseSensitive(o, "Subject") == NULL, "no Subject member without one");
    cJSON_Delete(o);

    char *lam = snsmsg_lambda_event(env, "arn:sub");
    o = cJSON_Parse(lam);
    const cJSON *rec = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "Records"), 0);
    is_str(str_of(rec, "EventSource"), "aws:sns", "lambda: EventSource");
    is_str(str_of(rec, "EventSubscriptionArn"), "arn:sub", "lambda: EventSubscriptionArn");
    is_str(str_of(cJSON_GetObjectItemCaseSensitive(rec, "Sns"), "MessageId"), "m-1",
           "lambda: Sns is the envelope");
    cJSON_Delete(o);
    free(lam);
    free(env);
}

static void test_rds_message(void)
{
    char *m = snsmsg_rds_message("us-east-1", "db-instance", "shop",
                                 "arn:aws:rds:us-east-1:1:db:shop", "RDS-EVENT-0049",
                                 "Multi-AZ instance failover completed.", 1700000000123);
    cJSON *o = cJSON_Parse(m);
    is_str(str_of(o, "Event Source"), "db-instance", "Event Source");
    is_str(str_of(o, "Event Time"), "2023-11-14 22:13:20.123", "Event Time as RDS writes it");
    is_str(str_of(o, "Source ID"), "shop", "Source ID");
    is_str(str_of(o, "Source ARN"), "arn:aws:rds:us-east-1:1:db:shop", "Source ARN");
    ok(strstr(str_of(o, "Event ID"), "USER_Events.html#RDS-EVENT-0049") != NULL,
       "Event ID is the documentation link");
    is_str(str_of(o, "Event Message"), "Multi-AZ instance failover completed.", "Event Message");
    ok(strstr(str_of(o, "Identifier Link"), "region=us-east-1#dbinstance:id=shop") != NULL,
       "Identifier Link");
    cJSON_Delete(o);
    free(m);
}

static void test_spools(void)
{
    snsmsg_note n = {.message_id = "m-2", .topic_arn = "arn:t", .subject = "a\nb",
                     .message = "From here\nsecond", .timestamp_ms = 0};
    char *mail = snsmsg_mail("x@y.z", &n);
    ok(strncmp(mail, "From no-reply@sns.amazonaws.com ", 32) == 0, "mbox separator line");
    ok(strstr(mail, "\nSubject: a b\n") != NULL, "a newline in the subject cannot add headers");
    ok(strstr(mail, "\nX-Amz-Sns-Message-Id: m-2\n") != NULL, "message id header");
    ok(strstr(mail, "\n>From here\nsecond\n\n") != NULL, "a body line 'From ' is quoted");
    free(mail);
    char *sms = snsmsg_sms_line(&n);
    is_str(sms, "1970-01-01T00:00:00.000Z m-2 From here second\n", "sms: one line");
    free(sms);
}

static void test_uuid(void)
{
    char *a = snsmsg_uuid(), *b = snsmsg_uuid();
    is_int((long long)strlen(a), 36, "uuid length");
    ok(a[14] == '4' && strchr("89ab", a[19]) != NULL, "version 4, RFC 4122 variant");
    ok(strcmp(a, b) != 0, "two uuids differ");
    free(a);
    free(b);
}

static void test_backoff(void)
{
    static const struct {
        int failures;
        long long ms;
    } cases[] = {{0, 1000}, {1, 1000}, {2, 2000}, {3, 4000}, {5, 16000}, {6, 30000},
                 {7, 30000}, {100, 30000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "backoff after %d failures", cases[i].failures);
        is_int((long long)snsmsg_backoff_ms(cases[i].failures, SNSMSG_BACKOFF_BASE_MS),
               cases[i].ms, name);
    }
    ok(!snsmsg_exhausted(SNSMSG_MAX_ATTEMPTS - 1), "one attempt left before the limit");
    ok(snsmsg_exhausted(SNSMSG_MAX_ATTEMPTS), "dead at the limit");
    long long total = 0;
    for (int f = 1; f < SNSMSG_MAX_ATTEMPTS; f++)
        total += snsmsg_backoff_ms(f, SNSMSG_BACKOFF_BASE_MS);
    ok(total >= 60000 && total <= 180000, "retries span one to three minutes");
    is_int((long long)snsmsg_backoff_ms(3, 100), 400, "a smaller base scales the schedule");
    is_int((long long)snsmsg_backoff_ms(20, 100), 3000, "... and its cap");
    is_int((long long)snsmsg_backoff_ms(1, 0), 1, "a base under 1 ms is 1 ms");
}

int main(void)
{
    test_envelope();
    test_rds_message();
    test_spools();
    test_uuid();
    test_backoff();
    return done_testing();
}
