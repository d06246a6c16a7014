/* transition: one walker for the region's small state machines.
 *
 * A machine is an enum, its name function (states.h) and a table of
 * allowed moves {from, to, why}. The instance status (lifecycle.h) and the
 * Multi-AZ state (ha.h) each keep their own table and hand it to these two
 * functions, so "is from → to allowed, log it" is written once; the typed
 * wrappers (lifecycle_apply, ha_apply) then store the new value. */
#ifndef RDSIM_TRANSITION_H
#define RDSIM_TRANSITION_H

#include <stdbool.h>

/* One allowed move between two values of the machine's enum; `why` says
 * when it happens (tests print it). */
typedef struct {
    int from;
    int to;
    const char *why;
} transition_move;

typedef struct {
    const char *what;              /* log prefix: "status", "ha" */
    const char *(*name)(int state); /* the state's name, for the log */
    const transition_move *moves;
    int nmoves;
} transition_table;

/* true when the table lists from → to. */
bool transition_allowed(const transition_table *t, int from, int to);

/* Decides the move from → to for the instance: true at once when from ==
 * to (a retried step re-applies its own move); otherwise, if the table
 * allows it, logs "<what> instance=… from=… to=…" and returns true (the
 * caller then sets the new state); false, logged as "<what> move refused",
 * when it does not. */
bool transition_check(const transition_table *t, const char *instance_id, int from, int to);

#endif
