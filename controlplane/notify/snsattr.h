/* snsattr: the attributes and tags of SNS topics and subscriptions, as
 * SNS keeps them (botocore sns 2010-03-31).
 *
 * Table sns_attributes(arn, name, value): what Create/SetTopicAttributes
 * and Subscribe/SetSubscriptionAttributes set, keyed by the topic's or
 * the subscription's ARN; a value set to "" goes back to the default.
 * The topic's tags are resource_tags rows of type 'sns' (core/restags.h).
 * A trigger deletes both with their topic's or subscription's row
 * (store.c, migration 13).
 *
 * Read-only attributes are computed: Owner, TopicArn, the default Policy
 * (AWS's __default_policy_ID document for the account and topic),
 * EffectiveDeliveryPolicy, the subscription counts; a subscription's
 * Owner, Protocol, Endpoint, TopicArn, PendingConfirmation (always
 * false: rdsim confirms at once), ConfirmationWasAuthenticated.
 * Honoured: RawMessageDelivery (delivery.c sends the message itself to
 * sqs, http(s) and firehose endpoints). Stored and returned but not
 * applied: DeliveryPolicy, FilterPolicy (every message is delivered),
 * KmsMasterKeyId, feedback roles and sample rates, TracingConfig. */
#ifndef RDSIM_SNSATTR_H
#define RDSIM_SNSATTR_H

#include <stdbool.h>

#include "controlplane/core/service.h"

/* The value of an attribute stored for arn (a topic or subscription),
 * malloc'd, or NULL when none is stored (or the store failed). */
char *snsattr_get(region *r, const char *arn, const char *name);

/* Attributes.entry.N.key/value of a CreateTopic (topic) or Subscribe
 * (subscription, whose protocol is `proto`) request checked and stored
 * for arn, in the caller's transaction. false with InvalidParameter. */
bool snsattr_create(region *r, const params *p, const char *arn, const char *proto,
                    awserr *err);

/* The topic's tags of a CreateTopic (Tags.member.N), in the caller's
 * transaction. */
bool snsattr_create_tags(region *r, const params *p, const char *arn, awserr *err);

/* The handlers. */
bool snsattr_get_topic_attributes(region *r, const params *p, cJSON *result, awserr *err);
bool snsattr_set_topic_attributes(region *r, const params *p, cJSON *result, awserr *err);
bool snsattr_get_subscription_attributes(region *r, const params *p, cJSON *result, awserr *err);
bool snsattr_set_subscription_attributes(region *r, const params *p, cJSON *result, awserr *err);
bool snsattr_tag_resource(region *r, const params *p, cJSON *result, awserr *err);
bool snsattr_untag_resource(region *r, const params *p, cJSON *result, awserr *err);
bool snsattr_list_tags(region *r, const params *p, cJSON *result, awserr *err);

#endif
