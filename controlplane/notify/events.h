/* events: the region's event log (DescribeEvents), with RDS's event IDs,
 * categories and messages (shared/RDS-REFERENCE.md §3).
 *
 * events_emit writes in the caller's transaction, so an event exists iff
 * the state change it reports was committed; the deliveries of the
 * notifications it causes (evsub.h) are written with it. */
#ifndef RDSIM_EVENTS_H
#define RDSIM_EVENTS_H

#include <stdbool.h>

typedef struct region region;

/* Records event_id ("RDS-EVENT-0005") for a db-instance source. detail,
 * if not NULL, replaces the table's message (for messages with blanks to
 * fill). false if the id is unknown (a bug, logged) or the insert failed. */
bool events_emit(region *r, const char *instance_id, const char *event_id, const char *detail);
/* The same for any source type ("db-snapshot") with its ARN. */
bool events_emit_source(region *r, const char *source_type, const char *source_id,
                        const char *arn, const char *event_id, const char *detail);

/* The table row for an id: message and categories (a comma-separated list
 * as RDS names them); false if unknown. */
bool events_lookup(const char *event_id, const char **message, const char **categories);

/* RDS keeps events 14 days: DescribeEvents never shows older ones, and
 * events_prune deletes them. */
#define EVENTS_KEEP_MS (14LL * 86400 * 1000)

/* Deletes the events older than EVENTS_KEEP_MS on the region clock, in
 * the caller's transaction; *n is how many. false if the store failed. */
bool events_prune(region *r, int *n);

/* The category names DescribeEventCategories lists for db-instance. */
extern const char *const events_categories[];

#endif
