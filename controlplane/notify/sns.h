/* sns: the region's notification service, in the image of Amazon SNS,
 * on the same endpoint as RDS (AWS Query protocol, Version 2010-03-31,
 * so `aws sns --endpoint-url` works).
 *
 * Topics ("arn:aws:sns:<region>:<account>:<name>") and subscriptions
 * ("<topic arn>:<uuid>") live in the store (sns_topics,
 * sns_subscriptions). Subscriptions are confirmed at once (rdsim sends no
 * SubscriptionConfirmation). Protocols and endpoints:
 *   http      http://host:port/path (host should be an address: names
 *             are resolved by libevent synchronously)
 *   https     https://host:port/path: the same over TLS, WITHOUT certificate
 *             verification (local receivers have self-signed certificates)
 *   email, email-json   an address; appended to <home>/mail/<address>
 *   sms       a phone number (+ and digits); appended to <home>/sms/<number>
 *   sqs       arn:aws:sqs:<region>:<account>:<queue>; a queue of sqs.h
 *   lambda    arn:aws:lambda:<region>:<account>:function:<name>; runs
 *             <home>/lambda/<name> with the Lambda event on stdin
 *   firehose  arn:aws:firehose:<region>:<account>:deliverystream/<name>;
 *             one JSON line per message in <home>/firehose/<name>
 *
 * Publish (and every RDS event matched by evsub.h) writes one delivery
 * row per subscription (delivery.h) in the caller's transaction; the
 * delivery engine sends them later, so a reply never waits for a
 * subscriber. */
#ifndef RDSIM_SNS_H
#define RDSIM_SNS_H

#include <stdbool.h>

#include "controlplane/core/service.h"

#define SNS_API_VERSION "2010-03-31"
#define SNS_XMLNS "http://sns.amazonaws.com/doc/2010-03-31/"
/* Publish's limit, as AWS: 256 KiB. */
#define SNS_MESSAGE_MAX (256 * 1024)
/* AWS's quotas (standard topics), the region's defaults; an operator may
 * lower them (--sns-max-topics, --sns-max-subscriptions-per-topic). Over
 * them CreateTopic is TopicLimitExceeded and Subscribe
 * SubscriptionLimitExceeded (403), as in AWS. */
#define SNS_MAX_TOPICS 100000
#define SNS_MAX_SUBS_PER_TOPIC 12500000

/* The handler for an SNS Action name (CreateTopic, ..., and rdsim's
 * ListDeliveries), or NULL. */
const action_def *sns_actions_find(const char *name);

/* true if the topic exists (false also on a store error, logged). */
bool sns_topic_exists(region *r, const char *topic_arn);

/* Queues the message for every subscription of the topic (one delivery
 * row each), in the caller's transaction. evsub is the RDS event
 * subscription that caused it (NULL for Publish). *message_id (may be
 * NULL) gets the new MessageId, which the caller frees. false on a store
 * error (logged). A topic without subscriptions is fine. */
bool sns_publish(region *r, const char *topic_arn, const char *subject, const char *message,
                 const char *evsub, char **message_id);

#endif
