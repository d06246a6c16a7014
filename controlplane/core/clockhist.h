/* clockhist: the region clock's history in the store, one row per advance.
 *
 * Each `rdsctl clock advance` is a step (lib/rclock.h): from real_ms on the
 * offset is `to` instead of `from`. The history maps region times back to
 * real ones (a restore time becomes PostgreSQL's recovery target) and
 * forward (a WAL file's real time shown as region time).
 *
 * Before issue 13 the whole history was one meta value rewritten in full
 * at every advance (quadratic, unbounded). Now each step is its own meta
 * row, "clock_step:<to, 20 digits>" = "real_ms from to" (the offset only
 * grows, so `to` orders and names the steps), appended in the advance's
 * transaction; the old "clock_history" value, if a store has one, is read
 * first until the next advance turns it into rows. Bounded:
 *   1. an advance of 0 s records nothing (the mapping does not change);
 *   2. steps whose region time lies more than CLOCKHIST_KEEP_MS before the
 *      region's now are dropped: every region time the region still maps
 *      (35 days of backup retention, retained backups after a delete)
 *      comes after them, and dropping the oldest steps keeps the mapping
 *      exact for every region time after the last one dropped;
 *   3. at most CLOCKHIST_MAX steps are kept; an advance past that is
 *      refused (the operator advances by larger steps). */
#ifndef RDSIM_CLOCKHIST_H
#define RDSIM_CLOCKHIST_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/rclock.h"

typedef struct store store;

#define CLOCKHIST_KEEP_MS (100LL * 86400 * 1000)
#define CLOCKHIST_MAX 4096

/* Records the step (real_ms, from, to) in the caller's transaction and
 * drops the steps invariant 2 no longer needs, counted from the region
 * time `to` makes of real_ms. from == to records nothing. false on a store
 * failure (logged) or, with *full set, when CLOCKHIST_MAX steps are kept. */
bool clockhist_append(store *st, int64_t real_ms, int64_t from, int64_t to, bool *full);

/* The steps in real-time order (legacy value first); the count, *out
 * malloc'd (NULL when 0). */
int clockhist_load(store *st, rclock_step **out);

#endif
