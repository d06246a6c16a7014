/* sqsattr: an SQS queue's attributes and tags (botocore sqs 2012-11-05).
 *
 * Settable (CreateQueue's Attributes, SetQueueAttributes), checked against
 * SQS's ranges: DelaySeconds (0..900, default 0), MaximumMessageSize
 * (1024..1048576, default 262144), MessageRetentionPeriod (60..1209600,
 * default 345600), ReceiveMessageWaitTimeSeconds (0..20, default 0),
 * VisibilityTimeout (0..43200, default 30; the column of sqs_queues, the
 * one honoured), Policy, RedrivePolicy, RedriveAllowPolicy (JSON objects),
 * KmsMasterKeyId, KmsDataKeyReusePeriodSeconds (60..86400),
 * SqsManagedSseEnabled (default true), FifoQueue (false only: rdsim's
 * queues are standard). The others are stored (sqs_attributes) and
 * returned, not applied. Read-only: QueueArn, ApproximateNumberOfMessages
 * (visible), ...NotVisible, ...Delayed (0), CreatedTimestamp,
 * LastModifiedTimestamp (seconds). Unknown names are InvalidAttributeName.
 *
 * Tags (CreateQueue's tags, TagQueue, UntagQueue, ListQueueTags) are
 * resource_tags rows of type 'sqs' (the queue name); a trigger deletes
 * attributes and tags with the queue (store.c, migration 13).
 *
 * In the Query form (and what sqs.c makes of JSON): Attribute.N.Name/Value,
 * AttributeName.N, Tag.N.Key/Value, TagKey.N. Maps in replies are JSON
 * objects (the JSON protocol's shape). */
#ifndef RDSIM_SQSATTR_H
#define RDSIM_SQSATTR_H

#include <stdbool.h>

#include "controlplane/core/service.h"

/* sqs.c: the queue named by QueueUrl (borrowed from p), *vis its
 * visibility timeout; NULL with QueueDoesNotExist. */
const char *sqs_queue_from_url(region *r, const params *p, int *vis, awserr *err);

/* CreateQueue's Attribute.N and Tag.N for queue `name`: checked; when the
 * queue is new (exists false) stored in the caller's transaction, else
 * compared with the queue's (QueueAlreadyExists when one named differs).
 * *vis gets VisibilityTimeout, -1 when not given. */
bool sqsattr_create(region *r, const params *p, const char *name, bool exists, int64_t *vis,
                    awserr *err);

bool sqsattr_get_queue_attributes(region *r, const params *p, cJSON *result, awserr *err);
bool sqsattr_set_queue_attributes(region *r, const params *p, cJSON *result, awserr *err);
bool sqsattr_tag_queue(region *r, const params *p, cJSON *result, awserr *err);
bool sqsattr_untag_queue(region *r, const params *p, cJSON *result, awserr *err);
bool sqsattr_list_queue_tags(region *r, const params *p, cJSON *result, awserr *err);

#endif
