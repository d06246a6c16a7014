/* workflow: durable, step-by-step execution of accepted requests.
 *
 * An API action that changes an instance writes a workflow row in the same
 * transaction that validates it (invariant 2 of store.h); the cron then
 * advances active workflows. Each kind is a table of steps
 * {kind, step, function, next, timeout}; one dispatcher runs a step, and
 * commits the step's changes together with the move to the next step.
 * Steps are idempotent: after a crash the current step simply runs again.
 *
 *   create: place → wait_running → finish
 *   delete: final_snapshot → remove_nodes → wait_gone → finish
 *   modify: apply → wait_running → finish
 *   reboot: restart → wait_running → finish
 *   maintain: begin → (Multi-AZ: wait_standby → prepare_switch → the
 *             switchover's steps) → wait_running → (wait_healthy) → finish
 */
#ifndef RDSIM_WORKFLOW_H
#define RDSIM_WORKFLOW_H

#include <stdbool.h>

typedef struct region region;
typedef struct cJSON cJSON;

/* Inserts an active workflow of `kind` for instance_id at its first step,
 * inside the caller's transaction. data (may be NULL) is copied as the
 * workflow's own memory. false on an unknown kind or a store error. */
bool workflow_start(region *r, const char *instance_id, const char *kind, const cJSON *data);

/* Runs one pass over every active workflow, each step in its own
 * transaction, then syncs DNS. Returns the number still active. */
int workflow_run_all(region *r);

/* Names of all kinds, and a check that every step's `next` exists (for
 * the unit test that walks the tables). */
bool workflow_tables_consistent(void);

#endif
