/* evsub: RDS event notification subscriptions (CreateEventSubscription
 * and friends) and the fan-out of every recorded event to the SNS topics
 * of the subscriptions it matches.
 *
 * A subscription (table event_subscriptions) names an SNS topic, an
 * optional SourceType, SourceIds (only with a SourceType) and
 * EventCategories, and is Enabled or not. An event matches an enabled
 * subscription when (evsub_matches):
 *   1. the subscription has no SourceType, or it equals the event's;
 *   2. its SourceIds are empty, or hold the event's source id;
 *   3. its EventCategories are empty, or share one with the event's.
 * Status is "active", or "topic-not-exist" once its topic is deleted
 * (a subscription keeps its topic ARN, as RDS does). */
#ifndef RDSIM_EVSUB_H
#define RDSIM_EVSUB_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/service.h"

typedef struct cJSON cJSON;

/* The rule above. sub_type NULL: any; sub_ids, sub_cats: JSON arrays of
 * strings (NULL or empty: any); ev_cats a JSON array of strings. */
bool evsub_matches(bool enabled, const char *sub_type, const cJSON *sub_ids,
                   const cJSON *sub_cats, const char *ev_type, const char *ev_id,
                   const cJSON *ev_cats);

/* Queues the event for the subscribers of every matching subscription's
 * topic (sns_publish), in the caller's transaction. The fields are
 * those of store_event. false on a store error (logged). */
bool evsub_fanout(region *r, const char *source_type, const char *source_id,
                  const char *source_arn, const char *event_id, const char *message,
                  const char *categories_json, int64_t date_ms);

/* The RDS actions (rows of actions.c's table). */
/* Whether the subscription `name` (exact) exists: false when the store
 * fails. */
bool evsub_exists(region *r, const char *name, bool *found);

bool evsub_action_create(region *r, const params *p, cJSON *result, awserr *err);
bool evsub_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool evsub_action_modify(region *r, const params *p, cJSON *result, awserr *err);
bool evsub_action_delete(region *r, const params *p, cJSON *result, awserr *err);
bool evsub_action_add_source(region *r, const params *p, cJSON *result, awserr *err);
bool evsub_action_remove_source(region *r, const params *p, cJSON *result, awserr *err);

#endif
