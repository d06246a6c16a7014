/* snsmsg: what SNS delivers, as pure functions (no store, no loop), so the
 * shapes and the retry schedule are unit-tested on their own.
 *
 *  - the JSON notification envelope that http/https, sqs and firehose
 *    subscribers get (Type, MessageId, TopicArn, Subject, Message,
 *    Timestamp, SignatureVersion, Signature, SigningCertURL,
 *    UnsubscribeURL, in AWS's order). rdsim does not sign: Signature is
 *    empty and SigningCertURL names no certificate, so a receiver that
 *    verifies signatures must be told to skip it;
 *  - the message RDS publishes for an event ({"Event Source", "Event
 *    Time", "Identifier Link", "Source ID", "Source ARN", "Event ID",
 *    "Event Message"}, subject "RDS Notification Message");
 *  - the Lambda event ({"Records":[{"EventSource":"aws:sns",...,"Sns":
 *    envelope}]}), a mailbox entry (mbox) and an SMS spool line;
 *  - the retry schedule of failed deliveries. */
#ifndef RDSIM_SNSMSG_H
#define RDSIM_SNSMSG_H

#include <stdbool.h>
#include <stdint.h>

#define SNSMSG_RDS_SUBJECT "RDS Notification Message"
/* A delivery is tried at most this many times, then dead-lettered. */
#define SNSMSG_MAX_ATTEMPTS 8
/* The default first retry delay; the doubling stops at 30 times it. */
#define SNSMSG_BACKOFF_BASE_MS 1000
#define SNSMSG_BACKOFF_CAP_FACTOR 30

typedef struct {
    const char *message_id;
    const char *topic_arn;
    const char *subject;          /* NULL: no Subject member */
    const char *message;
    int64_t timestamp_ms;         /* region clock */
    const char *unsubscribe_url;  /* NULL: "" */
} snsmsg_note;

/* The envelope as one line of JSON (no newline). Caller frees. */
char *snsmsg_envelope(const snsmsg_note *n);

/* The Message RDS publishes for an event, as one line of JSON. Caller
 * frees. */
char *snsmsg_rds_message(const char *region, const char *source_type, const char *source_id,
                         const char *source_arn, const char *event_id, const char *message,
                         int64_t date_ms);

/* The event a lambda subscriber's command reads on stdin. Caller frees. */
char *snsmsg_lambda_event(const char *envelope_json, const char *subscription_arn);

/* One mbox entry for an email subscriber (ends with a blank line), and
 * one line (newlines in the message become spaces) for an sms spool.
 * Caller frees. */
char *snsmsg_mail(const char *to, const snsmsg_note *n);
char *snsmsg_sms_line(const snsmsg_note *n);

/* A random RFC 4122 version 4 uuid ("xxxxxxxx-xxxx-4xxx-yxxx-…"). */
char *snsmsg_uuid(void);

/* The UnsubscribeURL a subscription's envelopes carry. Caller frees. */
char *snsmsg_unsubscribe_url(const char *subscription_arn);

/* The wait before the next try after `failures` failed tries (>= 1):
 * base_ms * 2^(failures-1), capped at SNSMSG_BACKOFF_CAP_FACTOR * base_ms
 * (1, 2, 4, 8, 16, 30, 30 s for the default base). */
int64_t snsmsg_backoff_ms(int failures, int64_t base_ms);
/* true when a delivery that has failed `failures` times is dead. */
bool snsmsg_exhausted(int failures);

#endif
