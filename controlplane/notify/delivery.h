/* delivery: the durable, at-least-once delivery of SNS messages.
 *
 * Invariants:
 *  1. A message exists as one `deliveries` row per subscriber, written in
 *     the transaction that published it (sns_publish), before any attempt.
 *  2. A row is `pending` until an attempt succeeds (`delivered`) or
 *     SNSMSG_MAX_ATTEMPTS attempts failed (`dead`: the dead-letter record,
 *     with the last error). Each failure is committed with the next
 *     attempt's time (snsmsg_backoff_ms, wall clock).
 *  3. Attempts in flight are only in memory: after a crash or restart the
 *     row is still `pending` and is sent again (so a subscriber may see a
 *     MessageId twice, never zero times).
 *  4. Nothing blocks the loop: http goes through lib/httpc (host names
 *     resolved by lib/resolver), lambda runs as a child reaped by
 *     lib/reaper on the next ticks, files (email, sms, firehose) are
 *     appends of one message, sqs is an insert.
 *  5. A published message is stored once (sns_messages); a row's body is
 *     empty and its envelope (snsmsg_envelope) is built from that message
 *     when it is sent. (Rows written before, and rows given a body, are
 *     sent with their own body.) Email and sms are written from the
 *     envelope's Subject and Message.
 *  6. Finished rows (delivered, dead) are deleted DELIVERY_KEEP_MS after
 *     they finished, on the region clock, and a message with no row left
 *     with them; events older than RDS's 14 days and SQS messages past
 *     SQS's 4-day retention likewise (events.h, sqs.h). */
#ifndef RDSIM_DELIVERY_H
#define RDSIM_DELIVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/service.h"

typedef struct delivery delivery;
typedef struct store store;

/* A row's state (deliveries.state; invariant 2). delivery_state_name(v)
 * is the stored/API name (a static string; an out-of-range value names
 * itself "(invalid)"); delivery_state_parse(name, &v) is true and sets v
 * for one of the names, false (v untouched) for any other string or NULL. */
typedef enum {
    DELIVERY_PENDING,
    DELIVERY_DELIVERED,
    DELIVERY_DEAD,
    DELIVERY_STATE_COUNT
} delivery_state;
const char *delivery_state_name(delivery_state s);
bool delivery_state_parse(const char *name, delivery_state *out);

/* At most this many attempts in flight at once. */
#define DELIVERY_MAX_IN_FLIGHT 32
/* An http attempt that takes longer fails (seconds). */
#define DELIVERY_HTTP_TIMEOUT_S 5
/* The whole http(s) attempt, however the receiver trickles: SNS gives an
 * endpoint 15 s. */
#define DELIVERY_HTTP_TOTAL_S 15
/* What is read of a receiver's reply (SNS looks only at the status): a
 * longer one fails the attempt, read no further. */
#define DELIVERY_HTTP_MAX_REPLY (64 * 1024)
/* Finished rows are kept this long (region clock), then pruned. */
#define DELIVERY_KEEP_MS (24LL * 3600 * 1000)
/* How often (real time) the cron prunes. */
#define DELIVERY_PRUNE_EVERY_MS 2000
/* A lambda command that runs longer is killed and the attempt fails. */
#define DELIVERY_LAMBDA_TIMEOUT_MS 30000

typedef struct {
    const char *message_id;
    const char *topic_arn;
    const char *subscription_arn;
    const char *protocol;
    const char *endpoint;
    const char *evsub;    /* RDS event subscription name, or NULL */
    const char *subject;  /* or NULL */
    const char *body;     /* the envelope, or "": built from sns_messages */
} delivery_item;

/* Writes a pending row due now (wall clock ms), in the caller's
 * transaction. false on a store error (logged). */
bool delivery_enqueue(store *s, const delivery_item *it, int64_t now_ms);

delivery *delivery_new(region *r);
/* Kills lambda children still running; frees. NULL is fine. */
void delivery_free(delivery *d);

/* One pass (from the cron): reaps finished lambda commands, then starts
 * the due pending rows not already in flight. */
void delivery_tick(delivery *d);

/* rdsim's ListDeliveries (SNS endpoint): SubscriptionArn, TopicArn,
 * EventSubscription, State (pending|delivered|dead) filters; MaxItems
 * (1-1000, 100) and NextToken paging. A row whose state is unknown is
 * logged and left out (it still takes its place in a page). */
bool delivery_action_list(region *r, const params *p, cJSON *result, awserr *err);

#endif
