/* sqs: local queues in the image of Amazon SQS, on the same endpoint.
 *
 * Two faces: the AWS JSON 1.0 protocol that `aws sqs` speaks
 * (X-Amz-Target "AmazonSQS.<Operation>", sqs_json_handle) and the Query
 * protocol with Version 2012-11-05 (sqs_actions_find), which rdsctl uses.
 * Operations: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue,
 * SendMessage, ReceiveMessage, DeleteMessage. A queue's URL is
 * "http://127.0.0.1/<account>/<name>" and its ARN
 * "arn:aws:sqs:<region>:<account>:<name>" (what SNS subscribes).
 *
 * Messages (sqs_messages) are stored; ReceiveMessage hides each message
 * it returns for the visibility timeout (the queue's, 30 s unless
 * CreateQueue set VisibilityTimeout, or the request's) and gives a new
 * receipt handle; DeleteMessage needs the latest handle. Times are wall
 * clock. No long polling: WaitTimeSeconds is accepted and ignored. A
 * message is kept SQS's default retention (4 days) on the region clock,
 * then deleted (sqs_prune). */
#ifndef RDSIM_SQS_H
#define RDSIM_SQS_H

#include <stdbool.h>
#include <stddef.h>

#include "controlplane/core/service.h"

#define SQS_API_VERSION "2012-11-05"
#define SQS_DEFAULT_VISIBILITY_S 30
#define SQS_MESSAGE_MAX (256 * 1024)
/* SQS's default MessageRetentionPeriod: 345,600 s. */
#define SQS_RETENTION_MS (345600LL * 1000)

const action_def *sqs_actions_find(const char *name);

/* Appends body to queue `name`, in the caller's transaction or alone.
 * false with QueueDoesNotExist (or a store error). */
bool sqs_enqueue(region *r, const char *name, const char *body, awserr *err);

/* Deletes the messages sent more than SQS_RETENTION_MS ago (region
 * clock), in the caller's transaction; *n is how many. false if the store
 * failed. */
bool sqs_prune(region *r, int *n);

/* The JSON 1.0 protocol: target "AmazonSQS.ReceiveMessage", body the JSON
 * request. Sets *reply (caller frees), *status, and *query_error (static,
 * for the x-amzn-query-error header; NULL on success). */
void sqs_json_handle(region *r, const char *target, const char *body, size_t len, char **reply,
                     int *status, const char **query_error);

#endif
