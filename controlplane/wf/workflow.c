/* workflow: see workflow.h.
 *
 * A step function reads the store and the agents' reports, may change the
 * instance (ctx->in) and its nodes, and says what happens next:
 *   WF_NEXT  the step is done: commit, move to `next` (or finish);
 *   WF_WAIT  not yet: commit only what it changed (ctx->dirty), retry on
 *            a later pass;
 *   WF_FAIL  give up: the kind's on_fail runs (status failed, event),
 *            and the workflow ends as failed.
 * A step that waits longer than its timeout fails. */
#include "controlplane/wf/workflow.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/agents.h"
#include "controlplane/net/dnssync.h"
#include "controlplane/notify/events.h"
#include "controlplane/domain/ha.h"
#include "controlplane/core/health.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/domain/maint.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/core/region.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/domain/stopstart.h"
#include "controlplane/core/store.h"
#include "controlplane/net/subnetgroup.h"
#include "lib/log.h"
#include "lib/util.h"

typedef enum { WF_NEXT, WF_WAIT, WF_FAIL } wf_result;

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

typedef struct {
    const char *kind;
    const char *step;
    wf_fn fn;
    const char *next;     /* NULL: the workflow is done after this step */
    int64_t timeout_ms;   /* 0: none; otherwise from the region config */
} wf_step;

/* ---- shared step helpers ---- */

static wf_result wf_fail(wf_ctx *c, const char *fmt, const char *arg)
{
    snprintf(c->why, sizeof c->why, fmt, arg ? arg : "");
    return WF_FAIL;
}

/* Bumps the generation of every node of the instance so the agents apply
 * the current spec again (settings, restart_seq). */
static bool wf_bump_nodes(wf_ctx *c, const char *goal)
{
    store_node *nodes = NULL;
    int n = store_node_list(c->r->st, c->in->id, NULL, &nodes);
    if (n < 0)
        return false;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (goal) {
            free(nodes[i].goal);
            nodes[i].goal = xstrdup(goal);
        }
        nodes[i].generation++;
        ok = store_node_update(c->r->st, &nodes[i]);
    }
    store_node_list_free(nodes, n);
    return ok;
}

/* WF_NEXT when every node of the instance whose goal is running reports
 * running at (at least) its current generation. */
static wf_result step_wait_running(wf_ctx *c)
{
    store_node *nodes = NULL;
    int n = store_node_list(c->r->st, c->in->id, NULL, &nodes);
    if (n < 0)
        return WF_WAIT;
    wf_result res = n > 0 ? WF_NEXT : WF_WAIT;
    for (int i = 0; i < n; i++) {
        if (strcmp(nodes[i].goal, "running") != 0)
            continue;
        const agent_node_report *rep =
            agents_node_report(c->r->agents, nodes[i].agent_id, nodes[i].id);
        if (rep && rep->generation >= nodes[i].generation && strcmp(rep->state, "failed") == 0) {
            snprintf(c->why, sizeof c->why, "node %s failed: %s", nodes[i].id, rep->error);
            res = WF_FAIL;
            break;
        }
        if (!rep || rep->generation < nodes[i].generation || strcmp(rep->state, "running") != 0)
            res = WF_WAIT;
    }
    store_node_list_free(nodes, n);
    return res;
}

/* Emits the events listed in data.finish_events. */
static void wf_emit_finish_events(wf_ctx *c)
{
    const cJSON *evs = cJSON_GetObjectItemCaseSensitive(c->data, "finish_events");
    const cJSON *e;
    cJSON_ArrayForEach(e, evs)
        if (cJSON_IsString(e))
            events_emit(c->r, c->in->id, e->valuestring, NULL);
}

static wf_result step_finish_available(wf_ctx *c)
{
    if (!lifecycle_apply(c->in->id, &c->in->status, "available"))
        return wf_fail(c, "cannot become available from %s", c->in->status);
    wf_emit_finish_events(c);
    c->dirty = true;
    return WF_NEXT;
}

/* ---- create ---- */

/* Picks the AZ with an alive agent holding the fewest nodes, among the
 * AZs the instance's DB subnet group covers. */
static const char *create_pick_az(region *r, const store_instance *in)
{
    const char *best = NULL;
    int best_n = 0;
    for (int i = 0; i < r->cfg.naz; i++) {
        const char *agent = agents_in_az(r->agents, r->cfg.azs[i], r->cfg.agent_timeout_ms);
        if (!agent || !subnetgroup_az_ok(r, in, r->cfg.azs[i]))
            continue;
        store_node *nodes = NULL;
        int n = store_node_list(r->st, NULL, agent, &nodes);
        store_node_list_free(nodes, n < 0 ? 0 : n);
        if (n >= 0 && (!best || n < best_n)) {
            best = r->cfg.azs[i];
            best_n = n;
        }
    }
    return best;
}

static wf_result step_create_place(wf_ctx *c)
{
    region *r = c->r;
    store_instance *in = c->in;
    if (in->primary_node)
        return WF_NEXT; /* placed before a restart */
    const char *az = in->az ? in->az : create_pick_az(r, in);
    if (!az)
        return WF_WAIT; /* no agent yet: the region may be starting */
    const char *agent = agents_in_az(r->agents, az, r->cfg.agent_timeout_ms);
    const char *base = agent ? agents_addr_base(r->agents, agent) : NULL;
    if (!agent || !base)
        return WF_WAIT;
    char addr[32] = "";
    if (!subnetgroup_pick_addr(r, in, az, addr, sizeof addr))
        return WF_WAIT;
    if (!addr[0])
        return wf_fail(c, "no free address in the DB subnet group's subnets in %s", az);
    char *label = region_random_label(6);
    store_node n = {
        .id = xasprintf("%s-%s", in->id, label),
        .instance_id = in->id,
        .agent_id = (char *)agent,
        .role = (char *)"primary",
        .goal = (char *)"running",
        .addr = addr,
        .port = in->port,
        .generation = 1,
        .created_ms = region_now_ms(r),
    };
    free(label);
    bool ok = store_node_insert(r->st, &n);
    if (ok) {
        LOG_INFO("node placed instance=%s node=%s az=%s addr=%s port=%lld", in->id, n.id, az,
                 addr, (long long)in->port);
        in->primary_node = n.id;
        if (!in->az) /* az may be in->az itself: keep it */
            in->az = xstrdup(az);
        c->dirty = true;
    } else {
        free(n.id);
    }
    return ok ? WF_NEXT : WF_WAIT;
}

static wf_result step_create_finish(wf_ctx *c)
{
    if (!lifecycle_apply(c->in->id, &c->in->status, "available"))
        return wf_fail(c, "cannot become available from %s", c->in->status);
    events_emit(c->r, c->in->id, "RDS-EVENT-0005", NULL);
    c->dirty = true;
    return WF_NEXT;
}

/* ---- delete ---- */

static const char *wf_data_str(wf_ctx *c, const char *name);

/* DeleteDBInstance with FinalDBSnapshotIdentifier: the nodes stay until
 * the snapshot (snapshot.c) is available. */
static wf_result step_delete_final_snapshot(wf_ctx *c)
{
    const char *sid = wf_data_str(c, "final_snapshot");
    if (!sid)
        return WF_NEXT;
    char *status = snapshot_status(c->r, sid);
    wf_result res = !status || strcmp(status, "failed") == 0 ? WF_FAIL
                    : strcmp(status, "available") == 0      ? WF_NEXT
                                                            : WF_WAIT;
    if (res == WF_FAIL)
        wf_fail(c, "the final snapshot %s failed: the instance is kept", sid);
    free(status);
    return res;
}

static wf_result step_delete_remove_nodes(wf_ctx *c)
{
    return wf_bump_nodes(c, "absent") ? WF_NEXT : WF_WAIT;
}

/* A node is gone when its agent reports it absent, or when its agent has
 * heartbeated since this step began without mentioning it, or when its
 * agent has been lost for longer than the agent timeout (the agent removes
 * the orphan itself when it returns: the store is authoritative). */
static wf_result step_delete_wait_gone(wf_ctx *c)
{
    region *r = c->r;
    store_node *nodes = NULL;
    int n = store_node_list(r->st, c->in->id, NULL, &nodes);
    if (n < 0)
        return WF_WAIT;
    int64_t step_age = wall_ms() - c->w->step_started_ms;
    int left = 0;
    for (int i = 0; i < n; i++) {
        const char *agent = nodes[i].agent_id;
        const agent_node_report *rep = agents_node_report(r->agents, agent, nodes[i].id);
        int64_t seen_ago = mono_ms() - agents_last_seen(r->agents, agent);
        bool gone = (rep && strcmp(rep->state, "absent") == 0) ||
                    (!rep && agents_last_seen(r->agents, agent) > 0 &&
                     seen_ago < step_age - 2 * AGENTS_HEARTBEAT_MS) ||
                    (!agents_alive(r->agents, agent, r->cfg.agent_timeout_ms) &&
                     step_age > r->cfg.agent_timeout_ms);
        if (gone) {
            LOG_INFO("node removed instance=%s node=%s", c->in->id, nodes[i].id);
            store_node_delete(r->st, nodes[i].id);
            c->dirty = true;
        } else {
            left++;
        }
    }
    store_node_list_free(nodes, n);
    return left ? WF_WAIT : WF_NEXT;
}

static wf_result step_delete_finish(wf_ctx *c)
{
    events_emit(c->r, c->in->id, "RDS-EVENT-0003", NULL);
    if (!store_instance_delete(c->r->st, c->in->id))
        return WF_WAIT;
    c->deleted = true;
    return WF_NEXT;
}

/* ---- modify and reboot ---- */

static wf_result step_modify_apply(wf_ctx *c)
{
    /* The nodes restart: pending parameter changes come with it. */
    paramgroup_on_restart(c->r, c->in);
    c->dirty = true;
    return wf_bump_nodes(c, NULL) ? WF_NEXT : WF_WAIT;
}

static wf_result step_reboot_restart(wf_ctx *c)
{
    c->in->restart_seq++;
    paramgroup_on_restart(c->r, c->in);
    c->dirty = true;
    return wf_bump_nodes(c, NULL) ? WF_NEXT : WF_WAIT;
}

/* ---- failover (automatic) and switchover (reboot --force-failover) ---- */

static const char *wf_data_str(wf_ctx *c, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->data, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Loads the data member `name` as a node of this instance. */
static bool wf_node(wf_ctx *c, const char *name, store_node *out)
{
    const char *id = wf_data_str(c, name);
    bool found = false;
    if (id)
        store_node_get(c->r->st, id, out, &found);
    if (found && strcmp(out->instance_id, c->in->id) != 0) {
        store_node_clear(out);
        found = false;
    }
    return found;
}

/* Replaces *field with a copy of value (which may alias *field). */
static void wf_node_set(char **field, const char *value)
{
    char *copy = value ? xstrdup(value) : NULL;
    free(*field);
    *field = copy;
}

/* Planned: stop the old primary first; with synchronous replication its
 * shutdown checkpoint reaches the standby, so nothing is lost and the old
 * node rejoins without a rewind. */
static wf_result step_switch_fence(wf_ctx *c)
{
    store_node old = {0};
    if (!wf_node(c, "old", &old))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "old"));
    wf_node_set(&old.goal, "stopped");
    wf_node_set(&old.supervise, "restart");
    old.generation++;
    bool ok = store_node_update(c->r->st, &old);
    store_node_clear(&old);
    return ok ? WF_NEXT : WF_WAIT;
}

static wf_result step_switch_wait_fenced(wf_ctx *c)
{
    store_node old = {0};
    if (!wf_node(c, "old", &old))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "old"));
    const agent_node_report *rep = agents_node_report(c->r->agents, old.agent_id, old.id);
    bool done = (rep && strcmp(rep->state, "stopped") == 0 && rep->generation >= old.generation) ||
                !agents_alive(c->r->agents, old.agent_id, c->r->cfg.agent_timeout_ms);
    store_node_clear(&old);
    /* Promotion is safe even if the old primary never stops: it cannot
     * commit without its synchronous standby (ha.h invariant 3). */
    if (!done && wall_ms() - c->w->step_started_ms > 10000)
        done = true;
    return done ? WF_NEXT : WF_WAIT;
}

/* Fences the old primary (goal stopped: it is dead or hung already) and
 * promotes the standby, in one commit. */
static wf_result step_failover_promote(wf_ctx *c)
{
    store_node old = {0}, nw = {0};
    if (!wf_node(c, "old", &old) || !wf_node(c, "new", &nw)) {
        store_node_clear(&old);
        return wf_fail(c, "failover nodes of %s are gone", c->in->id);
    }
    wf_node_set(&old.goal, "stopped");
    wf_node_set(&old.supervise, "restart");
    old.generation++;
    wf_node_set(&nw.role, "primary");
    wf_node_set(&nw.upstream, NULL);
    wf_node_set(&nw.sync_standbys, "[]");
    wf_node_set(&nw.supervise, "restart");
    nw.generation++;
    bool ok = store_node_update(c->r->st, &old) && store_node_update(c->r->st, &nw);
    if (ok)
        LOG_INFO("promoting instance=%s new=%s old=%s", c->in->id, nw.id, old.id);
    store_node_clear(&old);
    store_node_clear(&nw);
    return ok ? WF_NEXT : WF_WAIT;
}

static wf_result step_failover_wait_promoted(wf_ctx *c)
{
    store_node nw = {0};
    if (!wf_node(c, "new", &nw))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "new"));
    const agent_node_report *rep = agents_node_report(c->r->agents, nw.agent_id, nw.id);
    bool promoted = rep && rep->generation >= nw.generation && strcmp(rep->state, "running") == 0 &&
                    strcmp(rep->role, "primary") == 0;
    bool failed = rep && rep->generation >= nw.generation && strcmp(rep->state, "failed") == 0;
    char why[300];
    snprintf(why, sizeof why, "promotion of %s failed: %s", nw.id, rep ? rep->error : "");
    store_node_clear(&nw);
    if (failed)
        return wf_fail(c, "%s", why);
    return promoted ? WF_NEXT : WF_WAIT;
}

/* The new primary serves: point the endpoint at it (DNS follows this
 * commit), swap the AZs, and send the old primary to rejoin as its
 * standby. */
static wf_result step_failover_flip(wf_ctx *c)
{
    store_node old = {0}, nw = {0};
    if (!wf_node(c, "old", &old) || !wf_node(c, "new", &nw)) {
        store_node_clear(&old);
        return wf_fail(c, "failover nodes of %s are gone", c->in->id);
    }
    wf_node_set(&c->in->primary_node, nw.id);
    wf_node_set(&c->in->az, nw.agent_id);
    wf_node_set(&c->in->secondary_az, old.agent_id);
    ha_apply(c->in->id, &c->in->ha_state, "building");
    if (strcmp(c->in->status, "rebooting") == 0)
        lifecycle_apply(c->in->id, &c->in->status, "available");
    wf_node_set(&old.role, "standby");
    wf_node_set(&old.upstream, nw.id);
    wf_node_set(&old.goal, "running");
    wf_node_set(&old.sync_standbys, "[]");
    wf_node_set(&old.supervise, "restart");
    old.generation++;
    bool ok = store_node_update(c->r->st, &old);
    if (ok) {
        events_emit(c->r, c->in->id, "RDS-EVENT-0049", NULL);
        events_emit(c->r, c->in->id, "RDS-EVENT-0052", NULL);
        LOG_INFO("failover completed instance=%s primary=%s az=%s", c->in->id, nw.id, nw.agent_id);
    }
    c->dirty = true;
    store_node_clear(&old);
    store_node_clear(&nw);
    return ok ? WF_NEXT : WF_WAIT;
}

/* ---- Multi-AZ create and conversion ---- */

/* Starts the standby's life (ha.c places it) once the primary runs. */
static wf_result step_standby_start(wf_ctx *c)
{
    if (!c->in->multi_az && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->data, "multi_az")))
        return WF_NEXT;
    if (!c->in->repl_password || !*c->in->repl_password) {
        free(c->in->repl_password);
        c->in->repl_password = region_random_label(24);
        /* The primary must learn the replication role's password. */
        wf_bump_nodes(c, NULL);
    }
    if (!ha_apply(c->in->id, &c->in->ha_state, "building"))
        return wf_fail(c, "cannot build a standby from ha state %s", c->in->ha_state);
    c->dirty = true;
    return WF_NEXT;
}

static wf_result step_standby_wait_healthy(wf_ctx *c)
{
    if (!c->in->multi_az && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->data, "multi_az")))
        return WF_NEXT;
    return strcmp(c->in->ha_state, "healthy") == 0 ? WF_NEXT : WF_WAIT;
}

static wf_result step_convert_finish(wf_ctx *c)
{
    c->in->multi_az = true;
    cJSON *pending = cJSON_Parse(c->in->pending ? c->in->pending : "{}");
    cJSON_DeleteItemFromObject(pending, "MultiAZ");
    free(c->in->pending);
    c->in->pending = cJSON_PrintUnformatted(pending ? pending : cJSON_CreateObject());
    cJSON_Delete(pending);
    return step_finish_available(c);
}

/* ---- stop and start ---- */

/* Sets goal `to` on every node whose goal is `from` (a retired standby,
 * goal absent, stays absent). */
static bool wf_move_goals(wf_ctx *c, const char *from, const char *to)
{
    store_node *nodes = NULL;
    int n = store_node_list(c->r->st, c->in->id, NULL, &nodes);
    if (n < 0)
        return false;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (strcmp(nodes[i].goal, from) != 0)
            continue;
        wf_node_set(&nodes[i].goal, to);
        nodes[i].generation++;
        ok = store_node_update(c->r->st, &nodes[i]);
    }
    store_node_list_free(nodes, n);
    return ok;
}

/* Every node's postgres is shut down cleanly (the synchronous standby list
 * stays as it is: a primary cannot acknowledge a commit its standby does
 * not have, so the standby is still a safe promotion target on start). */
static wf_result step_stop_nodes(wf_ctx *c)
{
    /* After the start the standby must prove again that it is synchronous
     * (ha.c's building), and the health views from before the stop must
     * not look like a primary lost: no failover until then. */
    const char *ha = c->in->ha_state ? c->in->ha_state : "none";
    if ((strcmp(ha, "healthy") == 0 || strcmp(ha, "building") == 0) &&
        ha_apply(c->in->id, &c->in->ha_state, "standby_lost"))
        c->dirty = true;
    return wf_move_goals(c, "running", "stopped") ? WF_NEXT : WF_WAIT;
}

static wf_result step_wait_stopped(wf_ctx *c)
{
    store_node *nodes = NULL;
    int n = store_node_list(c->r->st, c->in->id, NULL, &nodes);
    if (n < 0)
        return WF_WAIT;
    wf_result res = WF_NEXT;
    for (int i = 0; i < n; i++) {
        if (strcmp(nodes[i].goal, "stopped") != 0)
            continue;
        const agent_node_report *rep =
            agents_node_report(c->r->agents, nodes[i].agent_id, nodes[i].id);
        if (!rep || rep->generation < nodes[i].generation || strcmp(rep->state, "stopped") != 0)
            res = WF_WAIT;
    }
    store_node_list_free(nodes, n);
    return res;
}

static wf_result step_stop_finish(wf_ctx *c)
{
    if (!lifecycle_apply(c->in->id, &c->in->status, "stopped"))
        return wf_fail(c, "cannot become stopped from %s", c->in->status);
    if (!stopstart_mark_stopped(c->r, c->in->id))
        return WF_WAIT;
    events_emit(c->r, c->in->id, "RDS-EVENT-0087", NULL);
    c->dirty = true;
    return WF_NEXT;
}

static wf_result step_start_nodes(wf_ctx *c)
{
    paramgroup_on_restart(c->r, c->in);
    c->dirty = true;
    return wf_move_goals(c, "stopped", "running") ? WF_NEXT : WF_WAIT;
}

/* ---- maintain (maint.h): class changes and maintenance actions ---- */

static wf_result wf_maint_result(int res)
{
    return res > 0 ? WF_NEXT : res < 0 ? WF_FAIL : WF_WAIT;
}

static wf_result step_maint_begin(wf_ctx *c)
{
    /* The nodes restart: pending parameter changes come with it. */
    paramgroup_on_restart(c->r, c->in);
    return wf_maint_result(maint_step_begin(c->r, c->in, c->data, &c->dirty, c->why,
                                               sizeof c->why));
}

/* Multi-AZ: the standby restarted with the new settings and is
 * synchronous again. */
static wf_result step_maint_wait_standby(wf_ctx *c)
{
    wf_result res = step_wait_running(c);
    if (res == WF_NEXT && strcmp(c->in->ha_state, "healthy") != 0)
        res = WF_WAIT;
    return res;
}

static wf_result step_maint_prepare_switch(wf_ctx *c)
{
    return wf_maint_result(maint_step_prepare_switch(c->r, c->in, c->data, &c->dirty));
}

static wf_result step_maint_wait_healthy(wf_ctx *c)
{
    return strcmp(c->in->ha_state, "healthy") == 0 ? WF_NEXT : WF_WAIT;
}

static wf_result step_maint_finish(wf_ctx *c)
{
    if (!maint_finish(c->r, c->in, c->data))
        return WF_WAIT;
    c->dirty = true;
    return step_finish_available(c);
}

/* A Single-AZ "maintain" (data.single) has no standby to run ahead and
 * nothing to switch over: only begin, wait_running and finish run. */
static bool wf_skipped(const wf_step *def, const cJSON *data)
{
    return strcmp(def->kind, "maintain") == 0 &&
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "single")) &&
           strcmp(def->step, "begin") != 0 && strcmp(def->step, "wait_running") != 0 &&
           strcmp(def->step, "finish") != 0;
}

/* ---- the tables ---- */

#define T_CREATE (-1) /* timeout from r->cfg.create_timeout_ms */

static const wf_step wf_steps[] = {
    {"create", "place", step_create_place, "wait_running", T_CREATE},
    {"create", "wait_running", step_wait_running, "standby", T_CREATE},
    {"create", "standby", step_standby_start, "wait_healthy", 0},
    {"create", "wait_healthy", step_standby_wait_healthy, "finish", T_CREATE},
    {"create", "finish", step_create_finish, NULL, 0},
    {"delete", "final_snapshot", step_delete_final_snapshot, "remove_nodes", T_CREATE},
    {"delete", "remove_nodes", step_delete_remove_nodes, "wait_gone", 0},
    {"delete", "wait_gone", step_delete_wait_gone, "finish", 0},
    {"delete", "finish", step_delete_finish, NULL, 0},
    {"modify", "apply", step_modify_apply, "wait_running", 0},
    {"modify", "wait_running", step_wait_running, "finish", T_CREATE},
    {"modify", "finish", step_finish_available, NULL, 0},
    {"reboot", "restart", step_reboot_restart, "wait_running", 0},
    {"reboot", "wait_running", step_wait_running, "finish", T_CREATE},
    {"reboot", "finish", step_finish_available, NULL, 0},
    {"failover", "promote", step_failover_promote, "wait_promoted", 0},
    {"failover", "wait_promoted", step_failover_wait_promoted, "flip", T_CREATE},
    {"failover", "flip", step_failover_flip, NULL, 0},
    {"switchover", "fence", step_switch_fence, "wait_fenced", 0},
    {"switchover", "wait_fenced", step_switch_wait_fenced, "promote", 0},
    {"switchover", "promote", step_failover_promote, "wait_promoted", 0},
    {"switchover", "wait_promoted", step_failover_wait_promoted, "flip", T_CREATE},
    {"switchover", "flip", step_failover_flip, NULL, 0},
    {"stop", "stop_nodes", step_stop_nodes, "wait_stopped", 0},
    {"stop", "wait_stopped", step_wait_stopped, "finish", T_CREATE},
    {"stop", "finish", step_stop_finish, NULL, 0},
    {"start", "start_nodes", step_start_nodes, "wait_running", 0},
    {"start", "wait_running", step_wait_running, "finish", T_CREATE},
    {"start", "finish", step_finish_available, NULL, 0},
    {"convert", "standby", step_standby_start, "wait_healthy", 0},
    {"convert", "wait_healthy", step_standby_wait_healthy, "finish", T_CREATE},
    {"convert", "finish", step_convert_finish, NULL, 0},
    /* Single-AZ: begin → wait_running → finish. Multi-AZ: the standby
     * first, then a planned switchover to it, then the old primary. */
    {"maintain", "begin", step_maint_begin, "wait_standby", T_CREATE},
    {"maintain", "wait_standby", step_maint_wait_standby, "prepare_switch", T_CREATE},
    {"maintain", "prepare_switch", step_maint_prepare_switch, "fence", T_CREATE},
    {"maintain", "fence", step_switch_fence, "wait_fenced", 0},
    {"maintain", "wait_fenced", step_switch_wait_fenced, "promote", 0},
    {"maintain", "promote", step_failover_promote, "wait_promoted", 0},
    {"maintain", "wait_promoted", step_failover_wait_promoted, "flip", T_CREATE},
    {"maintain", "flip", step_failover_flip, "wait_running", 0},
    {"maintain", "wait_running", step_wait_running, "wait_healthy", T_CREATE},
    {"maintain", "wait_healthy", step_maint_wait_healthy, "finish", T_CREATE},
    {"maintain", "finish", step_maint_finish, NULL, 0},
};
#define WF_NSTEPS ((int)(sizeof wf_steps / sizeof wf_steps[0]))

static const wf_step *wf_find(const char *kind, const char *step)
{
    for (int i = 0; i < WF_NSTEPS; i++)
        if (strcmp(wf_steps[i].kind, kind) == 0 && (!step || strcmp(wf_steps[i].step, step) == 0))
            return &wf_steps[i];
    return NULL;
}

bool workflow_tables_consistent(void)
{
    for (int i = 0; i < WF_NSTEPS; i++)
        if (wf_steps[i].next && !wf_find(wf_steps[i].kind, wf_steps[i].next))
            return false;
    return true;
}

bool workflow_start(region *r, const char *instance_id, const char *kind, const cJSON *data)
{
    const wf_step *first = wf_find(kind, NULL);
    if (!first) {
        LOG_ERROR("unknown workflow kind=%s", kind);
        return false;
    }
    char *json = data ? cJSON_PrintUnformatted(data) : xstrdup("{}");
    store_workflow w = {
        .instance_id = (char *)instance_id,
        .kind = (char *)kind,
        .step = (char *)first->step,
        .state = (char *)"active",
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

/* What a failed workflow leaves behind: the instance in `failed` (unless
 * it is being deleted), with the failure event. */
static void wf_on_fail(wf_ctx *c)
{
    LOG_ERROR("workflow failed id=%lld instance=%s kind=%s step=%s why=\"%s\"",
              (long long)c->w->id, c->w->instance_id, c->w->kind, c->w->step, c->why);
    if (!c->in->id || strcmp(c->w->kind, "delete") == 0)
        return;
    if (lifecycle_apply(c->in->id, &c->in->status, "failed")) {
        char *msg = xasprintf("%s %s", strcmp(c->w->kind, "create") == 0
                                           ? "The DB instance creation failed."
                                           : "DB instance put into failed state.",
                              c->why);
        events_emit(c->r, c->in->id,
                    strcmp(c->w->kind, "create") == 0 ? "RDS-EVENT-0278" : "RDS-EVENT-0031", msg);
        free(msg);
        c->dirty = true;
    }
}

/* Runs the current step of one workflow in its own transaction. Returns
 * true when it committed anything. */
static bool wf_run_one(region *r, store_workflow *w)
{
    const wf_step *def = wf_find(w->kind, w->step);
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
    wf_result res;
    if (!def) {
        snprintf(c.why, sizeof c.why, "unknown step %s/%s", w->kind, w->step);
        res = WF_FAIL;
    } else if (!found) {
        snprintf(c.why, sizeof c.why, "instance %s is gone", w->instance_id);
        res = WF_FAIL;
    } else if (wf_skipped(def, c.data)) {
        res = WF_NEXT;
    } else {
        res = def->fn(&c);
        int64_t timeout = def->timeout_ms == T_CREATE ? r->cfg.create_timeout_ms : def->timeout_ms;
        if (res == WF_WAIT && timeout > 0 && wall_ms() - w->step_started_ms > timeout) {
            snprintf(c.why, sizeof c.why, "step %s timed out after %lld ms", w->step,
                     (long long)timeout);
            res = WF_FAIL;
        }
    }
    bool write = res != WF_WAIT || c.dirty;
    if (res == WF_FAIL) {
        wf_on_fail(&c);
        free(w->state);
        w->state = xstrdup("failed");
    } else if (res == WF_NEXT) {
        LOG_INFO("workflow step done id=%lld instance=%s kind=%s step=%s", (long long)w->id,
                 w->instance_id, w->kind, w->step);
        free(w->step);
        w->step = xstrdup(def->next ? def->next : def->step);
        if (!def->next) {
            free(w->state);
            w->state = xstrdup("done");
        }
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
            if (!committed || !moved || strcmp(ws[i].state, "active") != 0)
                break;
        }
        active += strcmp(ws[i].state, "active") == 0;
    }
    store_workflow_list_free(ws, n);
    if (changed)
        dnssync_apply(r);
    return active;
}
