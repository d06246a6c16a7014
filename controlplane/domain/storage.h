/* storage: AllocatedStorage enforced against the real size of the primary
 * node's data directory, and storage autoscaling.
 *
 * Sizes come from the agents' telemetry (agent/dusage.h). One storage
 * unit is a GiB, or --storage-unit-mib MiB so tests fill an instance with
 * a few MiB. On each report of an instance's primary, storage_decide (pure,
 * unit-tested) applies RDS's rules:
 *   - free < 10 % (more than 90 % used): RDS-EVENT-0089, once per episode;
 *   - used >= allocated, instance available: status storage-full, events
 *     0007 and 0221; writes stop (agents.c gives the nodes
 *     default_transaction_read_only = on; see README for why not a
 *     shutdown) until the allocation exceeds the use again (a
 *     ModifyDBInstance of AllocatedStorage), then available;
 *   - MaxAllocatedStorage > 0 (autoscaling): when free < 10 % has lasted
 *     5 minutes and 6 hours have passed since the last storage change
 *     (region clock), grow by the greatest of 5 units, 10 % of the
 *     allocation and the growth predicted for 7 hours from the past hour's
 *     use; events 0217 then 0218; 0224 when that would pass the maximum;
 *     0225 once the allocation reaches 80 % of the maximum.
 * State per instance (when the low episode began, the last change, which
 * warnings went out, and an hour of usage samples) lives in the store. */
#ifndef RDSIM_STORAGE_H
#define RDSIM_STORAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/store.h"

typedef struct region region;

#define STORAGE_LOW_MS (5LL * 60 * 1000)         /* low for 5 minutes */
#define STORAGE_COOLDOWN_MS (6LL * 3600 * 1000)  /* 6 hours between changes */
#define STORAGE_PREDICT_MS (7LL * 3600 * 1000)   /* 7 hours of growth */

typedef struct {
    int64_t now_ms;            /* region clock */
    int64_t unit_bytes;
    int64_t allocated;         /* units */
    int64_t max_allocated;     /* units; 0: no autoscaling */
    int64_t used_bytes;
    int64_t growth_per_hour;   /* bytes, >= 0, from the past hour */
    bool available;            /* status "available" */
    bool full;                 /* status "storage-full" */
    int64_t low_since_ms;      /* 0: not low */
    int64_t last_change_ms;
    bool warned_low, warned_max, warned_cap;
} storage_in;

typedef struct {
    int64_t low_since_ms;
    bool warned_low, warned_max, warned_cap;
    bool emit_low;             /* 0089 */
    bool emit_max;             /* 0225 */
    bool emit_cap;             /* 0224 */
    int64_t grow_to;           /* > 0: autoscale to this many units (0217/0218) */
    bool go_full, leave_full;
} storage_out;

/* The increment RDS's autoscaling adds, in units (pure). */
int64_t storage_increment(int64_t allocated, int64_t growth_per_hour, int64_t unit_bytes);

/* Applies the rules above to one observation (pure). */
void storage_decide(const storage_in *in, storage_out *out);

/* One observation of the instance's primary: decides, persists and emits
 * in the caller's transaction (in is updated and stored when it changes).
 * *changed: the instance row changed (status or allocation). */
/* The region's storage unit is a setting of the region, not of one run:
 * a --storage-unit-mib given (r->cfg.storage_unit_bytes > 0) is recorded
 * in the store's meta; without it, the recorded unit (else 1 GiB) is used,
 * so a controlplane restarted without the flag keeps the same unit. */
bool storage_unit_resolve(region *r);

/* Drops the state of instances that no longer exist. */
bool storage_prune_orphans(region *r);

bool storage_observe(region *r, store_instance *in, int64_t used_bytes, bool *changed);

#endif
