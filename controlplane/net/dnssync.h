/* dnssync: keeps the DNS zone equal to what the store says.
 *
 * The zone's content is a function of the store: a node A record for every
 * node, and for every instance that has a primary and is neither creating
 * nor deleting, the endpoint CNAME (the instance's TTL, else the region's)
 * to its primary's node name. dnssync_apply recomputes that set and
 * applies only the differences, so it is cheap to call after every commit;
 * because it runs on the same loop right after the commit, no query can be
 * answered between a committed change (e.g. a failover) and its record. */
#ifndef RDSIM_DNSSYNC_H
#define RDSIM_DNSSYNC_H

#include <stdbool.h>

typedef struct region region;
typedef struct dnssync dnssync;

dnssync *dnssync_new(void);
void dnssync_free(dnssync *d);

/* Brings r->zone in line with r->st; persists the zone serial in the
 * store's meta when it changed. Returns false if the store could not be
 * read (the zone is then left as it was). */
bool dnssync_apply(region *r);

#endif
