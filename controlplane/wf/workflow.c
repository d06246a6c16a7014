/* workflow: see workflow.h. The engine: the registry of kinds (kept in the
 * region, set once by main), starting a workflow, and the dispatcher that
 * runs one step per transaction. It knows no kind by name: what a kind
 * skips and what its failure leaves behind are the kind's callbacks. */
#include "controlplane/wf/workflow.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/net/dnssync.h"
#include "controlplane/wf/wfsteps.h"
#include "lib/log.h"
#include "lib/util.h"

/* ---- the registry ---- */

const wf_kind *workflow_kind(const region *r, const char *name)
{
    for (const wf_kind *const *t = r->wf_kinds; t && *t; t++)
        for (const wf_kind *k = *t; k->name; k++)
            if (strcmp(k->name, name) == 0)
                return k;
    return NULL;
}

static const wf_step *wf_find(const wf_kind *k, const char *step)
{
    for (int i = 0; k && i < k->nsteps; i++)
        if (strcmp(k->steps[i].step, step) == 0)
            return &k->steps[i];
    return NULL;
}

/* How many registered kinds are called name. */
static int wf_kind_count(const region *r, const char *name)
{
    int n = 0;
    for (const wf_kind *const *t = r->wf_kinds; t && *t; t++)
        for (const wf_kind *k = *t; k->name; k++)
            n += strcmp(k->name, name) == 0;
    return n;
}

/* One kind is sound on its own, and is the only kind of its name. */
static bool wf_kind_consistent(const region *r, const wf_kind *k)
{
    if (k->nsteps <= 0 || !k->steps || wf_kind_count(r, k->name) != 1) {
        LOG_ERROR("workflow kind inconsistent kind=%s (no steps, or a duplicate name)", k->name);
        return false;
    }
    for (int i = 0; i < k->nsteps; i++) {
        const wf_step *s = &k->steps[i];
        if (!s->fn || wf_find(k, s->step) != s || (s->next && !wf_find(k, s->next))) {
            LOG_ERROR("workflow step inconsistent kind=%s step=%s", k->name, s->step);
            return false;
        }
    }
    return true;
}

bool workflow_tables_consistent(const region *r)
{
    bool any = false;
    for (const wf_kind *const *t = r->wf_kinds; t && *t; t++)
        for (const wf_kind *k = *t; k->name; k++) {
            if (!wf_kind_consistent(r, k))
                return false;
            any = true;
        }
    return any;
}

bool workflow_register(region *r, const wf_kind *const *tables)
{
    r->wf_kinds = tables;
    if (!workflow_tables_consistent(r)) {
        r->wf_kinds = NULL;
        return false;
    }
    return true;
}

/* ---- running ---- */

bool workflow_start(region *r, const char *instance_id, const char *kind, const cJSON *data)
{
    const wf_kind *k = workflow_kind(r, kind);
    if (!k) {
        LOG_ERROR("unknown workflow kind=%s", kind);
        return false;
    }
    char *json = data ? cJSON_PrintUnformatted(data) : xstrdup("{}");
    store_workflow w = {
        .instance_id = (char *)instance_id,
        .kind = (char *)kind,
        .step = (char *)k->steps[0].step,
        .state = WF_STATE_ACTIVE,
        .data = json,
        .created_ms = wall_ms(),
        .step_started_ms = wall_ms(),
    };
    bool ok = store_workflow_insert(r->st, &w);
    if (ok)
        LOG_INFO("workflow started id=%lld instance=%s kind=%s", (long long)w.id, instance_id,
                 kind);
    free(json);
    return ok;
}

/* A failed workflow: logged, then what the kind leaves behind (nothing
 * when the instance row is gone). A workflow whose kind is not registered
 * (a store from a newer build) fails its instance as most kinds do. */
static void wf_on_fail(wf_ctx *c, const wf_kind *k)
{
    LOG_ERROR("workflow failed id=%lld instance=%s kind=%s step=%s why=\"%s\"",
              (long long)c->w->id, c->w->instance_id, c->w->kind, c->w->step, c->why);
    void (*on_fail)(wf_ctx *) = k ? k->on_fail : wf_on_fail_status;
    if (c->in->id && on_fail)
        on_fail(c);
}

/* Runs the step `def` (NULL: unknown) of c's workflow and says what comes
 * next, a wait past the step's timeout turned into a failure. */
static wf_result wf_run_step(wf_ctx *c, const wf_kind *k, const wf_step *def, bool found)
{
    store_workflow *w = c->w;
    if (!def) {
        snprintf(c->why, sizeof c->why, "unknown step %s/%s", w->kind, w->step);
        return WF_FAIL;
    }
    if (!found) {
        snprintf(c->why, sizeof c->why, "instance %s is gone", w->instance_id);
        return WF_FAIL;
    }
    if (k->skip && k->skip(def, c->data))
        return WF_NEXT;
    wf_result res = def->fn(c);
    int64_t timeout = def->timeout_ms == WF_T_CREATE ? c->r->cfg.create_timeout_ms
                                                     : def->timeout_ms;
    if (res == WF_WAIT && timeout > 0 && wall_ms() - w->step_started_ms > timeout) {
        snprintf(c->why, sizeof c->why, "step %s timed out after %lld ms", w->step,
                 (long long)timeout);
        res = WF_FAIL;
    }
    return res;
}

/* Runs the current step of one workflow in its own transaction. Returns
 * true when it committed anything. */
static bool wf_run_one(region *r, store_workflow *w)
{
    const wf_kind *k = workflow_kind(r, w->kind);
    const wf_step *def = wf_find(k, w->step);
    if (!store_begin(r->st))
        return false;
    store_instance in = {0};
    bool found = false;
    store_instance_get(r->st, w->instance_id, &in, &found);
    wf_ctx c = {.r = r, .w = w, .in = &in};
    c.data = cJSON_Parse(w->data ? w->data : "{}");
    if (!cJSON_IsObject(c.data)) {
        cJSON_Delete(c.data);
        c.data = cJSON_CreateObject();
    }
    wf_result res = wf_run_step(&c, k, def, found);
    bool write = res != WF_WAIT || c.dirty;
    if (res == WF_FAIL) {
        wf_on_fail(&c, k);
        w->state = WF_STATE_FAILED;
    } else if (res == WF_NEXT) {
        LOG_INFO("workflow step done id=%lld instance=%s kind=%s step=%s", (long long)w->id,
                 w->instance_id, w->kind, w->step);
        wf_str_set(&w->step, def->next ? def->next : def->step);
        if (!def->next)
            w->state = WF_STATE_DONE;
        w->step_started_ms = wall_ms();
    }
    bool ok = true;
    if (write) {
        free(w->data);
        w->data = cJSON_PrintUnformatted(c.data);
        if (found && !c.deleted && c.dirty)
            ok = store_instance_update(r->st, &in);
        ok = ok && store_workflow_update(r->st, w);
    }
    if (write && ok)
        ok = store_commit(r->st);
    else
        store_rollback(r->st);
    cJSON_Delete(c.data);
    store_instance_clear(&in);
    return write && ok;
}

int workflow_run_all(region *r)
{
    store_workflow *ws = NULL;
    int n = store_workflow_list_active(r->st, &ws);
    if (n <= 0) {
        free(ws);
        return 0;
    }
    bool changed = false;
    int active = 0;
    for (int i = 0; i < n; i++) {
        /* A step may move straight on to the next: run until it waits. */
        for (int guard = 0; guard < 8; guard++) {
            char *step_before = xstrdup(ws[i].step);
            bool committed = wf_run_one(r, &ws[i]);
            changed |= committed;
            bool moved = strcmp(step_before, ws[i].step) != 0;
            free(step_before);
            if (!committed || !moved || ws[i].state != WF_STATE_ACTIVE)
                break;
        }
        active += ws[i].state == WF_STATE_ACTIVE;
    }
    store_workflow_list_free(ws, n);
    if (changed)
        dnssync_apply(r);
    return active;
}
