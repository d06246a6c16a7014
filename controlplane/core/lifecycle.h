/* lifecycle: the DB instance status machine (DBInstanceStatus).
 *
 *            ┌────────────── deleting ◀──────────────┐ (from any state but deleting)
 *            │                                        │
 *  creating ─┴─▶ available ◀─▶ modifying / rebooting / backing-up
 *     │              │  ▲
 *     ▼              ▼  │
 *   failed        stopping ─▶ stopped ─▶ starting
 *
 * The table in lifecycle.c is the only place that says which moves are
 * allowed; lifecycle_apply (transition.h's walker over it) is the only
 * function that changes a status. */
#ifndef RDSIM_LIFECYCLE_H
#define RDSIM_LIFECYCLE_H

#include <stdbool.h>

#include "controlplane/core/states.h"
#include "controlplane/core/transition.h"

/* The statuses themselves, and their RDS names, are states.h's
 * instance_status. */

/* true when the table allows from → to. */
bool lifecycle_allowed(instance_status from, instance_status to);
/* For an instance row: true at once when *status is already `to`; else, if
 * allowed, logs the move and sets *status = to; the caller then persists
 * the row in its transaction. false (logged, *status untouched) when not
 * allowed. */
bool lifecycle_apply(const char *instance_id, instance_status *status, instance_status to);

/* stopping, stopped or starting: no failover, no probes that count. */
bool lifecycle_is_stopped(instance_status status);

/* Allowed (from, to) pairs, for tests that walk the table; the walker is
 * transition.h's. */
typedef transition_move lifecycle_move;
extern const lifecycle_move lifecycle_moves[];
extern const int lifecycle_move_count;

#endif
