/* snsmsg: see snsmsg.h. */
#include "controlplane/notify/snsmsg.h"

#include <cjson/cJSON.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/rclock.h"
#include "lib/util.h"

static char *json_take(cJSON *root)
{
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!s)
        abort(); /* cJSON fails only on out-of-memory */
    return s;
}

char *snsmsg_envelope(const snsmsg_note *n)
{
    char ts[40];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Type", "Notification");
    cJSON_AddStringToObject(o, "MessageId", n->message_id);
    cJSON_AddStringToObject(o, "TopicArn", n->topic_arn);
    if (n->subject)
        cJSON_AddStringToObject(o, "Subject", n->subject);
    cJSON_AddStringToObject(o, "Message", n->message);
    cJSON_AddStringToObject(o, "Timestamp", rclock_format(n->timestamp_ms, ts, sizeof ts));
    cJSON_AddStringToObject(o, "SignatureVersion", "1");
    cJSON_AddStringToObject(o, "Signature", "");
    cJSON_AddStringToObject(o, "SigningCertURL", "");
    cJSON_AddStringToObject(o, "UnsubscribeURL", n->unsubscribe_url ? n->unsubscribe_url : "");
    return json_take(o);
}

char *snsmsg_rds_message(const char *region, const char *source_type, const char *source_id,
                         const char *source_arn, const char *event_id, const char *message,
                         int64_t date_ms)
{
    /* "Event Time" is "YYYY-MM-DD HH:MM:SS.mmm", as RDS writes it. */
    char iso[40];
    rclock_format(date_ms, iso, sizeof iso);
    iso[10] = ' ';
    iso[strlen(iso) - 1] = '\0';
    char *link = xasprintf("https://console.aws.amazon.com/rds/home?region=%s#dbinstance:id=%s",
                           region, source_id);
    char *eid = xasprintf("http://docs.amazonwebservices.com/AmazonRDS/latest/UserGuide/"
                          "USER_Events.html#%s", event_id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Event Source", source_type);
    cJSON_AddStringToObject(o, "Event Time", iso);
    cJSON_AddStringToObject(o, "Identifier Link", link);
    cJSON_AddStringToObject(o, "Source ID", source_id);
    cJSON_AddStringToObject(o, "Source ARN", source_arn);
    cJSON_AddStringToObject(o, "Event ID", eid);
    cJSON_AddStringToObject(o, "Event Message", message);
    free(link);
    free(eid);
    return json_take(o);
}

char *snsmsg_lambda_event(const char *envelope_json, const char *subscription_arn)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *recs = cJSON_AddArrayToObject(root, "Records");
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "EventSource", "aws:sns");
    cJSON_AddStringToObject(rec, "EventVersion", "1.0");
    cJSON_AddStringToObject(rec, "EventSubscriptionArn", subscription_arn);
    cJSON *env = cJSON_Parse(envelope_json);
    cJSON_AddItemToObject(rec, "Sns", env ? env : cJSON_CreateObject());
    cJSON_AddItemToArray(recs, rec);
    return json_take(root);
}

/* Copies s with CR and LF replaced by spaces (header and spool lines). */
static char *one_line(const char *s)
{
    char *c = xstrdup(s ? s : "");
    for (char *p = c; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return c;
}

char *snsmsg_mail(const char *to, const snsmsg_note *n)
{
    char ts[40];
    rclock_format(n->timestamp_ms, ts, sizeof ts);
    char *subject = one_line(n->subject ? n->subject : "");
    sbuf b = {0};
    sbuf_printf(&b, "From no-reply@sns.amazonaws.com %s\n", ts);
    sbuf_puts(&b, "From: AWS Notifications <no-reply@sns.amazonaws.com>\n");
    sbuf_printf(&b, "To: %s\nSubject: %s\nDate: %s\n", to, subject, ts);
    sbuf_printf(&b, "X-Amz-Sns-Message-Id: %s\nX-Amz-Sns-Topic-Arn: %s\n\n", n->message_id,
                n->topic_arn);
    /* mbox: a body line starting with "From " is quoted. */
    const char *p = n->message;
    while (*p) {
        size_t len = strcspn(p, "\n");
        if (strncmp(p, "From ", 5) == 0)
            sbuf_putc(&b, '>');
        sbuf_append(&b, p, len);
        sbuf_putc(&b, '\n');
        p += len;
        if (*p == '\n')
            p++;
    }
    sbuf_putc(&b, '\n');
    free(subject);
    return sbuf_take(&b);
}

char *snsmsg_sms_line(const snsmsg_note *n)
{
    char ts[40];
    char *msg = one_line(n->message);
    char *line = xasprintf("%s %s %s\n", rclock_format(n->timestamp_ms, ts, sizeof ts),
                           n->message_id, msg);
    free(msg);
    return line;
}

char *snsmsg_uuid(void)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) {
        int64_t t = wall_ms();
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)((t >> (i % 8)) ^ (unsigned)rand());
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                     b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                     b[12], b[13], b[14], b[15]);
}

int64_t snsmsg_backoff_ms(int failures, int64_t base_ms)
{
    if (failures < 1)
        failures = 1;
    if (base_ms < 1)
        base_ms = 1;
    int64_t cap = base_ms * SNSMSG_BACKOFF_CAP_FACTOR, d = base_ms;
    for (int i = 1; i < failures && d < cap; i++)
        d *= 2;
    return d < cap ? d : cap;
}

bool snsmsg_exhausted(int failures)
{
    return failures >= SNSMSG_MAX_ATTEMPTS;
}

char *snsmsg_unsubscribe_url(const char *subscription_arn)
{
    return xasprintf("http://127.0.0.1/?Action=Unsubscribe&SubscriptionArn=%s", subscription_arn);
}
