/* transition: one walker for the region's small state machines.
 *
 * A machine is a table of allowed moves {from, to, why} plus the names it
 * logs under. The instance status (lifecycle.h) and the Multi-AZ state
 * (ha.h) each keep their own table and hand it to these two functions, so
 * "is from → to allowed, log it, apply it" is written once. */
#ifndef RDSIM_TRANSITION_H
#define RDSIM_TRANSITION_H

#include <stdbool.h>

/* One allowed move; `why` says when it happens (tests print it). */
typedef struct {
    const char *from;
    const char *to;
    const char *why;
} transition_move;

typedef struct {
    const char *what;             /* log prefix: "status", "ha" */
    const char *unset;            /* the from state logged when *state is NULL */
    const transition_move *moves;
    int nmoves;
} transition_table;

/* true when the table lists from → to. */
bool transition_allowed(const transition_table *t, const char *from, const char *to);

/* Moves *state to `to` for the instance: true at once when it is already
 * there (a retried step re-applies its own move); otherwise, if the table
 * allows it, logs "<what> instance=… from=… to=…" and sets *state to a new
 * copy of `to` (freeing the old string); false, logged as "<what> move
 * refused", and *state untouched when it does not. A NULL *state moves
 * from t->unset (refused unless the table lists that name). */
bool transition_apply(const transition_table *t, const char *instance_id, char **state,
                      const char *to);

#endif
