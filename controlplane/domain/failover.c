/* failover: see failover.h. */
#include "controlplane/domain/failover.h"

#include <stdio.h>
#include <string.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/ha.h"
#include "controlplane/notify/events.h"
#include "controlplane/wf/wfsteps.h"
#include "lib/log.h"
#include "lib/util.h"

/* Planned: stop the old primary first; with synchronous replication its
 * shutdown checkpoint reaches the standby, so nothing is lost and the old
 * node rejoins without a rewind. */
wf_result failover_step_fence(wf_ctx *c)
{
    store_node old = {0};
    if (!wf_node(c, "old", &old))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "old"));
    old.goal = GOAL_STOPPED;
    old.supervise = SUPERVISE_RESTART;
    old.generation++;
    bool ok = store_node_update(c->r->st, &old);
    store_node_clear(&old);
    return ok ? WF_NEXT : WF_WAIT;
}

wf_result failover_step_wait_fenced(wf_ctx *c)
{
    store_node old = {0};
    if (!wf_node(c, "old", &old))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "old"));
    const agent_node_report *rep = agents_node_report(c->r->agents, old.agent_id, old.id);
    bool done = (rep && rep->state == AGENT_NODE_STOPPED && rep->generation >= old.generation) ||
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
wf_result failover_step_promote(wf_ctx *c)
{
    store_node old = {0}, nw = {0};
    if (!wf_node(c, "old", &old) || !wf_node(c, "new", &nw)) {
        store_node_clear(&old);
        return wf_fail(c, "failover nodes of %s are gone", c->in->id);
    }
    old.goal = GOAL_STOPPED;
    old.supervise = SUPERVISE_RESTART;
    old.generation++;
    nw.role = ROLE_PRIMARY;
    wf_str_set(&nw.upstream, NULL);
    wf_str_set(&nw.sync_standbys, "[]");
    nw.supervise = SUPERVISE_RESTART;
    nw.generation++;
    bool ok = store_node_update(c->r->st, &old) && store_node_update(c->r->st, &nw);
    if (ok)
        LOG_INFO("promoting instance=%s new=%s old=%s", c->in->id, nw.id, old.id);
    store_node_clear(&old);
    store_node_clear(&nw);
    return ok ? WF_NEXT : WF_WAIT;
}

wf_result failover_step_wait_promoted(wf_ctx *c)
{
    store_node nw = {0};
    if (!wf_node(c, "new", &nw))
        return wf_fail(c, "node %s is gone", wf_data_str(c, "new"));
    const agent_node_report *rep = agents_node_report(c->r->agents, nw.agent_id, nw.id);
    bool promoted = rep && rep->generation >= nw.generation && rep->state == AGENT_NODE_RUNNING &&
                    rep->has_role && rep->role == ROLE_PRIMARY;
    bool failed = rep && rep->generation >= nw.generation && rep->state == AGENT_NODE_FAILED;
    char why[300];
    snprintf(why, sizeof why, "promotion of %s failed: %s", nw.id, rep ? rep->error : "");
    store_node_clear(&nw);
    if (failed)
        return wf_fail(c, "%s", why);
    if (promoted)
        wf_data_stamp(c, "promoted_ms");
    return promoted ? WF_NEXT : WF_WAIT;
}

/* The new primary serves: point the endpoint at it (DNS follows this
 * commit), swap the AZs, and send the old primary to rejoin as its
 * standby. */
wf_result failover_step_flip(wf_ctx *c)
{
    store_node old = {0}, nw = {0};
    if (!wf_node(c, "old", &old) || !wf_node(c, "new", &nw)) {
        store_node_clear(&old);
        return wf_fail(c, "failover nodes of %s are gone", c->in->id);
    }
    wf_str_set(&c->in->primary_node, nw.id);
    wf_str_set(&c->in->az, nw.agent_id);
    wf_str_set(&c->in->secondary_az, old.agent_id);
    ha_apply(c->in->id, &c->in->ha_state, HA_BUILDING);
    if (c->in->status == STATUS_REBOOTING)
        lifecycle_apply(c->in->id, &c->in->status, STATUS_AVAILABLE);
    old.role = ROLE_STANDBY;
    wf_str_set(&old.upstream, nw.id);
    old.goal = GOAL_RUNNING;
    wf_str_set(&old.sync_standbys, "[]");
    old.supervise = SUPERVISE_RESTART;
    old.generation++;
    bool ok = store_node_update(c->r->st, &old);
    if (ok) {
        wf_data_stamp(c, "flipped_ms");
        events_emit(c->r, c->in->id, "RDS-EVENT-0049", NULL);
        events_emit(c->r, c->in->id, "RDS-EVENT-0052", NULL);
        LOG_INFO("failover completed instance=%s primary=%s az=%s", c->in->id, nw.id, nw.agent_id);
    }
    c->dirty = true;
    store_node_clear(&old);
    store_node_clear(&nw);
    return ok ? WF_NEXT : WF_WAIT;
}

/* ---- a Multi-AZ read replica's planned failover ----
 * No promotion, no fence: a replica acknowledges no write, so nothing can
 * be lost; the flip is ha.c's, the one made when the replica's node is
 * lost (ha_replica_failover). RebootDBInstance put the instance in
 * `rebooting` and left ha_state `healthy`, so that flip's own checks
 * apply. */
static wf_result replica_switchover_flip(wf_ctx *c)
{
    switch (ha_replica_failover(c->r, c->r->health, c->in)) {
    case HA_FLIP_DONE:
        break;
    case HA_FLIP_WAIT:
        return WF_WAIT;
    case HA_FLIP_CANNOT:
    default:
        return wf_fail(c, "read replica %s has no standby to fail over to", c->in->id);
    }
    if (c->in->status == STATUS_REBOOTING)
        lifecycle_apply(c->in->id, &c->in->status, STATUS_AVAILABLE);
    wf_data_stamp(c, "flipped_ms");
    c->dirty = true;
    return WF_NEXT;
}

/* A planned failover that could not happen leaves the replica as it was
 * (rdsim's choice: it still serves from its node, so `available`, not
 * `failed` as a switchover that fenced the primary would be). */
static void replica_switchover_abandon(wf_ctx *c)
{
    if (c->in->status == STATUS_REBOOTING &&
        lifecycle_apply(c->in->id, &c->in->status, STATUS_AVAILABLE))
        c->dirty = true;
}

/* ---- the kinds ---- */

static const wf_step failover_steps[] = {
    {"promote", failover_step_promote, "wait_promoted", 0},
    {"wait_promoted", failover_step_wait_promoted, "flip", WF_T_CREATE},
    {"flip", failover_step_flip, NULL, 0},
};

static const wf_step switchover_steps[] = {
    {"fence", failover_step_fence, "wait_fenced", 0},
    {"wait_fenced", failover_step_wait_fenced, "promote", 0},
    {"promote", failover_step_promote, "wait_promoted", 0},
    {"wait_promoted", failover_step_wait_promoted, "flip", WF_T_CREATE},
    {"flip", failover_step_flip, NULL, 0},
};

/* A standby that does not stream within a minute is not waited for. */
static const wf_step replica_switchover_steps[] = {
    {"flip", replica_switchover_flip, NULL, 60000},
};

const wf_kind failover_kinds[] = {
    {"failover", failover_steps, WF_NSTEPS(failover_steps), NULL, wf_on_fail_status},
    {"switchover", switchover_steps, WF_NSTEPS(switchover_steps), NULL, wf_on_fail_status},
    {"replica_switchover", replica_switchover_steps, WF_NSTEPS(replica_switchover_steps), NULL,
     replica_switchover_abandon},
    {NULL, NULL, 0, NULL, NULL},
};
