/* workflow: durable, step-by-step execution of accepted requests.
 *
 * An API action that changes an instance writes a workflow row in the same
 * transaction that validates it (invariant 2 of store.h); the cron then
 * advances active workflows. A kind is a table of steps {step, function,
 * next, timeout} with two optional callbacks (skip, on_fail); one
 * dispatcher runs a step, and commits the step's changes together with the
 * move to the next step. Steps are idempotent: after a crash the current
 * step simply runs again.
 *
 * The engine knows no kind: each subsystem owns its kinds' tables and step
 * functions, and main registers them (workflow_register) before the first
 * pass. The kinds, by owner:
 *   domain/instwf.c    create, delete, modify, reboot, convert
 *   domain/failover.c  failover, switchover, replica_switchover (and the steps
 *                      maintain reuses)
 *   domain/stopstart.c stop, start
 *   domain/maint.c     maintain
 *   domain/recovery.c  recover
 *   domain/replica.c   promote
 * Kind names, step names and the `data` JSON keys are stored in the
 * workflows table: they never change, so a store resumes mid-step after an
 * upgrade. Steps several kinds share are in wfsteps.h.
 *
 * A step function reads the store and the agents' reports, may change the
 * instance (ctx->in) and its nodes, and says what happens next:
 *   WF_NEXT  the step is done: commit, move to `next` (or finish);
 *   WF_WAIT  not yet: commit only what it changed (ctx->dirty), retry on
 *            a later pass;
 *   WF_FAIL  give up (ctx->why says why): the kind's on_fail runs, and the
 *            workflow ends as failed.
 * A step that waits longer than its timeout fails. */
#ifndef RDSIM_WORKFLOW_H
#define RDSIM_WORKFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/store.h"

typedef struct region region;
typedef struct cJSON cJSON;

typedef enum { WF_NEXT, WF_WAIT, WF_FAIL } wf_result;

/* What a step function gets; the engine owns every member. */
typedef struct {
    region *r;
    store_workflow *w;
    store_instance *in;   /* the instance row; in->id NULL when it is gone */
    cJSON *data;          /* the workflow's memory (w->data parsed) */
    bool dirty;           /* ctx->in or data changed and must be written */
    bool deleted;         /* the step deleted the instance row */
    char why[512];        /* for WF_FAIL */
} wf_ctx;

typedef wf_result (*wf_fn)(wf_ctx *c);

/* A step's timeout: 0 none, WF_T_CREATE the region's create timeout
 * (r->cfg.create_timeout_ms), otherwise ms. */
#define WF_T_CREATE (-1)

typedef struct {
    const char *step;
    wf_fn fn;
    const char *next;     /* NULL: the workflow is done after this step */
    int64_t timeout_ms;
} wf_step;

/* One kind. steps[0] is where a workflow starts. skip (may be NULL) says
 * that a step is passed over for this workflow's data, as if it returned
 * WF_NEXT without running. on_fail (may be NULL) runs when a step fails
 * and the instance row still exists, in the failing step's transaction
 * (it sets c->dirty if it changed c->in). */
typedef struct wf_kind {
    const char *name;
    const wf_step *steps;
    int nsteps;
    bool (*skip)(const wf_step *step, const cJSON *data);
    void (*on_fail)(wf_ctx *c);
} wf_kind;

/* The number of steps of a static step table, for wf_kind.nsteps. */
#define WF_NSTEPS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Makes the kinds known to r's engine. tables is a NULL-terminated list of
 * kind tables, each ended by an entry whose name is NULL; it must outlive
 * r (static tables: nothing is copied). false (logged) when a table is
 * inconsistent (workflow_tables_consistent) — r then keeps no kinds. */
bool workflow_register(region *r, const wf_kind *const *tables);

/* Inserts an active workflow of `kind` for instance_id at its first step,
 * inside the caller's transaction. data (may be NULL) is copied as the
 * workflow's own memory. false on an unknown kind or a store error. */
bool workflow_start(region *r, const char *instance_id, const char *kind, const cJSON *data);

/* Runs one pass over every active workflow, each step in its own
 * transaction, then syncs DNS. Returns the number still active. */
int workflow_run_all(region *r);

/* The registered kinds are sound: each has steps, kind names are unique,
 * step names unique within a kind, and every step's `next` exists (for the
 * unit test that walks the tables). */
bool workflow_tables_consistent(const region *r);

/* The registered kind `name`, or NULL. */
const wf_kind *workflow_kind(const region *r, const char *name);

#endif
