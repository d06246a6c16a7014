/* instwf: see instwf.h. */
#include "controlplane/domain/instwf.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/tlsca.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/ha.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/domain/replica.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/net/subnetgroup.h"
#include "controlplane/notify/events.h"
#include "controlplane/wf/wfsteps.h"
#include "lib/log.h"
#include "lib/util.h"

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

static wf_result instwf_create_place(wf_ctx *c)
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
        .role = ROLE_PRIMARY,
        .goal = GOAL_RUNNING,
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

static wf_result instwf_create_finish(wf_ctx *c)
{
    if (!lifecycle_apply(c->in->id, &c->in->status, STATUS_AVAILABLE))
        return wf_fail(c, "cannot become available from %s",
                       instance_status_name(c->in->status));
    events_emit(c->r, c->in->id, "RDS-EVENT-0005", NULL);
    c->dirty = true;
    return WF_NEXT;
}

/* ---- delete ---- */

/* DeleteDBInstance with FinalDBSnapshotIdentifier: the nodes stay until
 * the snapshot (snapshot.c) is available. */
static wf_result instwf_delete_final_snapshot(wf_ctx *c)
{
    const char *sid = wf_data_str(c, "final_snapshot");
    if (!sid)
        return WF_NEXT;
    snaprow_status status;
    bool found = snapshot_status(c->r, sid, &status);
    wf_result res = !found || status == SNAP_FAILED ? WF_FAIL
                    : status == SNAP_AVAILABLE      ? WF_NEXT
                                                    : WF_WAIT;
    if (res == WF_FAIL)
        wf_fail(c, "the final snapshot %s failed: the instance is kept", sid);
    return res;
}

static wf_result instwf_delete_remove_nodes(wf_ctx *c)
{
    return wf_bump_nodes_to(c, GOAL_ABSENT) ? WF_NEXT : WF_WAIT;
}

/* A node is gone when its agent reports it absent, or when its agent has
 * heartbeated since this step began without mentioning it (it never had
 * it, or already forgot it after reporting it absent). Until then its row
 * stays with goal absent: an agent deletes a node's data only on that
 * explicit, authenticated goal, never because a node is not mentioned
 * (agent/README.md "Trust"), so a row removed while its host is away would
 * leave the data behind for good. A node whose host is lost (no heartbeat
 * for the agent timeout) is buried instead (store_node_bury): the delete
 * finishes, and instwf_sweep removes the row once the host is back and
 * has deleted the data. */
static wf_result instwf_delete_wait_gone(wf_ctx *c)
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
        bool gone = (rep && rep->state == AGENT_NODE_ABSENT) ||
                    (!rep && agents_last_seen(r->agents, agent) > 0 &&
                     seen_ago < step_age - 2 * AGENTS_HEARTBEAT_MS);
        bool lost = !agents_alive(r->agents, agent, r->cfg.agent_timeout_ms) &&
                    step_age > r->cfg.agent_timeout_ms;
        if (gone) {
            LOG_INFO("node removed instance=%s node=%s", c->in->id, nodes[i].id);
            store_node_delete(r->st, nodes[i].id);
            tlsca_node_forget(r->tls, nodes[i].id);
            c->dirty = true;
        } else if (lost) {
            LOG_INFO("node buried until its host returns instance=%s node=%s agent=%s",
                     c->in->id, nodes[i].id, agent);
            store_node_bury(r->st, &nodes[i]);
            c->dirty = true;
        } else {
            left++;
        }
    }
    store_node_list_free(nodes, n);
    return left ? WF_WAIT : WF_NEXT;
}

static wf_result instwf_delete_finish(wf_ctx *c)
{
    events_emit(c->r, c->in->id, "RDS-EVENT-0003", NULL);
    if (!store_instance_delete(c->r->st, c->in->id))
        return WF_WAIT;
    c->deleted = true;
    return WF_NEXT;
}

void instwf_sweep(region *r)
{
    store_node *nodes = NULL;
    int n = store_node_list(r->st, STORE_NODE_BURIED, NULL, &nodes);
    for (int i = 0; i < n; i++) {
        const char *agent = nodes[i].agent_id;
        const agent_node_report *rep = agents_node_report(r->agents, agent, nodes[i].id);
        bool alive = agents_alive(r->agents, agent, r->cfg.agent_timeout_ms);
        if ((rep && rep->state == AGENT_NODE_ABSENT) || (alive && !rep)) {
            LOG_INFO("buried node removed node=%s agent=%s", nodes[i].id, agent);
            store_node_delete(r->st, nodes[i].id);
            tlsca_node_forget(r->tls, nodes[i].id);
        }
    }
    store_node_list_free(nodes, n < 0 ? 0 : n);
}

/* ---- modify and reboot ---- */

static wf_result instwf_modify_apply(wf_ctx *c)
{
    /* The nodes restart: pending parameter changes come with it. */
    paramgroup_on_restart(c->r, c->in);
    c->dirty = true;
    return wf_bump_nodes(c) ? WF_NEXT : WF_WAIT;
}

static wf_result instwf_reboot_restart(wf_ctx *c)
{
    c->in->restart_seq++;
    paramgroup_on_restart(c->r, c->in);
    c->dirty = true;
    return wf_bump_nodes(c) ? WF_NEXT : WF_WAIT;
}

/* ---- Multi-AZ create and conversion ---- */

/* Starts the standby's life (ha.c places it) once the primary runs. */
static wf_result instwf_standby_start(wf_ctx *c)
{
    if (!c->in->multi_az && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->data, "multi_az")))
        return WF_NEXT;
    if (!c->in->repl_password || !*c->in->repl_password) {
        free(c->in->repl_password);
        c->in->repl_password = region_random_label(24);
        /* The primary must learn the replication role's password. */
        wf_bump_nodes(c);
    }
    if (!ha_apply(c->in->id, &c->in->ha_state, HA_BUILDING))
        return wf_fail(c, "cannot build a standby from ha state %s",
                       ha_state_name(c->in->ha_state));
    c->dirty = true;
    return WF_NEXT;
}

static wf_result instwf_standby_wait_healthy(wf_ctx *c)
{
    if (!c->in->multi_az && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->data, "multi_az")))
        return WF_NEXT;
    return c->in->ha_state == HA_HEALTHY ? WF_NEXT : WF_WAIT;
}

static wf_result instwf_convert_finish(wf_ctx *c)
{
    c->in->multi_az = true;
    cJSON *pending = cJSON_Parse(c->in->pending ? c->in->pending : "{}");
    if (!pending)
        pending = cJSON_CreateObject();
    cJSON_DeleteItemFromObject(pending, "MultiAZ");
    free(c->in->pending);
    c->in->pending = cJSON_PrintUnformatted(pending);
    cJSON_Delete(pending);
    return wf_step_finish_available(c);
}

/* ---- failures ---- */

/* A create that cannot finish says so with its own event. */
static void instwf_create_on_fail(wf_ctx *c)
{
    char *src = replica_source_of(c->in);
    if (src)
        wf_fail_instance(c, "RDS-EVENT-0202", "Read replica creation failed.");
    else
        wf_fail_instance(c, "RDS-EVENT-0278", "The DB instance creation failed.");
    free(src);
}

/* ---- the kinds ---- */

static const wf_step create_steps[] = {
    {"place", instwf_create_place, "wait_running", WF_T_CREATE},
    {"wait_running", wf_step_wait_running, "standby", WF_T_CREATE},
    {"standby", instwf_standby_start, "wait_healthy", 0},
    {"wait_healthy", instwf_standby_wait_healthy, "finish", WF_T_CREATE},
    {"finish", instwf_create_finish, NULL, 0},
};

static const wf_step delete_steps[] = {
    {"final_snapshot", instwf_delete_final_snapshot, "remove_nodes", WF_T_CREATE},
    {"remove_nodes", instwf_delete_remove_nodes, "wait_gone", 0},
    {"wait_gone", instwf_delete_wait_gone, "finish", 0},
    {"finish", instwf_delete_finish, NULL, 0},
};

static const wf_step modify_steps[] = {
    {"apply", instwf_modify_apply, "wait_running", 0},
    {"wait_running", wf_step_wait_running, "finish", WF_T_CREATE},
    {"finish", wf_step_finish_available, NULL, 0},
};

static const wf_step reboot_steps[] = {
    {"restart", instwf_reboot_restart, "wait_running", 0},
    {"wait_running", wf_step_wait_running, "finish", WF_T_CREATE},
    {"finish", wf_step_finish_available, NULL, 0},
};

static const wf_step convert_steps[] = {
    {"standby", instwf_standby_start, "wait_healthy", 0},
    {"wait_healthy", instwf_standby_wait_healthy, "finish", WF_T_CREATE},
    {"finish", instwf_convert_finish, NULL, 0},
};

/* A failed delete leaves the instance as it is (deleting, its final
 * snapshot's failure in the log): no on_fail. */
const wf_kind instwf_kinds[] = {
    {"create", create_steps, WF_NSTEPS(create_steps), NULL, instwf_create_on_fail},
    {"delete", delete_steps, WF_NSTEPS(delete_steps), NULL, NULL},
    {"modify", modify_steps, WF_NSTEPS(modify_steps), NULL, wf_on_fail_status},
    {"reboot", reboot_steps, WF_NSTEPS(reboot_steps), NULL, wf_on_fail_status},
    {"convert", convert_steps, WF_NSTEPS(convert_steps), NULL, wf_on_fail_status},
    {NULL, NULL, 0, NULL, NULL},
};
