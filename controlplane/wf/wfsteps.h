/* wfsteps: steps and helpers that several workflow kinds share.
 *
 * Each subsystem's kinds (workflow.h) are built from their own steps and
 * these: waiting for every node to run at its current generation, the
 * finish that makes an instance available with the events the workflow's
 * data lists, and the generic on_fail. All run inside the engine's
 * transaction for the step (wf_ctx) and follow the step contract of
 * workflow.h. */
#ifndef RDSIM_WFSTEPS_H
#define RDSIM_WFSTEPS_H

#include <stdbool.h>

#include "controlplane/wf/workflow.h"

/* Fills c->why from fmt with one %s (arg NULL reads as "") and returns
 * WF_FAIL, so a step can `return wf_fail(c, "...%s", x);`. */
wf_result wf_fail(wf_ctx *c, const char *fmt, const char *arg);

/* The string member `name` of the workflow's data, or NULL. The pointer
 * is into c->data: valid until the data member changes. */
const char *wf_data_str(wf_ctx *c, const char *name);

/* Sets the number member `name` of the workflow's data to the wall clock
 * (ms), once: a step that runs again keeps the first stamp. The live
 * view's failover timeline reads these (api/livedata.h). */
void wf_data_stamp(wf_ctx *c, const char *name);

/* Replaces *field with a copy of value (NULL allowed; value may alias
 * *field). */
void wf_str_set(char **field, const char *value);

/* Loads the node whose id is the data member `name` into *out (the caller
 * clears it); false, *out empty, if there is none or it belongs to another
 * instance. */
bool wf_node(wf_ctx *c, const char *name, store_node *out);

/* Bumps the generation of every node of the instance so the agents apply
 * the current spec again (settings, restart_seq). false on a store error. */
bool wf_bump_nodes(wf_ctx *c);
/* The same, and sets goal on every node too. */
bool wf_bump_nodes_to(wf_ctx *c, node_goal goal);

/* Sets goal `to` on every node whose goal is `from`, bumping its
 * generation (a retired standby, goal absent, stays absent). false on a
 * store error. */
bool wf_move_goals(wf_ctx *c, node_goal from, node_goal to);

/* Step: WF_NEXT when every node of the instance whose goal is running
 * reports running at (at least) its current generation; WF_FAIL when one
 * reports failed at it; WF_WAIT otherwise (and while there is no node). */
wf_result wf_step_wait_running(wf_ctx *c);

/* Emits the events listed in data.finish_events (an array of event ids). */
void wf_emit_finish_events(wf_ctx *c);

/* Step: the instance becomes available, with data.finish_events. WF_FAIL
 * when its status cannot move to available. */
wf_result wf_step_finish_available(wf_ctx *c);

/* on_fail helper: the instance becomes `failed` with `event`, whose
 * message is "<prefix> <c->why>". Sets c->dirty when it moved. */
void wf_fail_instance(wf_ctx *c, const char *event, const char *prefix);

/* The on_fail of most kinds: wf_fail_instance with RDS-EVENT-0031 "DB
 * instance put into failed state.". */
void wf_on_fail_status(wf_ctx *c);

#endif
