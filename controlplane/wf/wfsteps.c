/* wfsteps: see wfsteps.h. */
#include "controlplane/wf/wfsteps.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "controlplane/notify/events.h"
#include "lib/util.h"

wf_result wf_fail(wf_ctx *c, const char *fmt, const char *arg)
{
    snprintf(c->why, sizeof c->why, fmt, arg ? arg : "");
    return WF_FAIL;
}

const char *wf_data_str(wf_ctx *c, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->data, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void wf_data_stamp(wf_ctx *c, const char *name)
{
    if (!cJSON_GetObjectItemCaseSensitive(c->data, name))
        cJSON_AddNumberToObject(c->data, name, (double)wall_ms());
}

void wf_str_set(char **field, const char *value)
{
    char *copy = value ? xstrdup(value) : NULL;
    free(*field);
    *field = copy;
}

bool wf_node(wf_ctx *c, const char *name, store_node *out)
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

/* wf_bump_nodes, and with set_goal, sets goal on every node. */
static bool bump_nodes(wf_ctx *c, bool set_goal, node_goal goal)
{
    store_node *nodes = NULL;
    int n = store_node_list(c->r->st, c->in->id, NULL, &nodes);
    if (n < 0)
        return false;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (set_goal)
            nodes[i].goal = goal;
        nodes[i].generation++;
        ok = store_node_update(c->r->st, &nodes[i]);
    }
    store_node_list_free(nodes, n);
    return ok;
}

bool wf_bump_nodes(wf_ctx *c)
{
    return bump_nodes(c, false, GOAL_RUNNING);
}

bool wf_bump_nodes_to(wf_ctx *c, node_goal goal)
{
    return bump_nodes(c, true, goal);
}

bool wf_move_goals(wf_ctx *c, node_goal from, node_goal to)
{
    store_node *nodes = NULL;
    int n = store_node_list(c->r->st, c->in->id, NULL, &nodes);
    if (n < 0)
        return false;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (nodes[i].goal != from)
            continue;
        nodes[i].goal = to;
        nodes[i].generation++;
        ok = store_node_update(c->r->st, &nodes[i]);
    }
    store_node_list_free(nodes, n);
    return ok;
}

wf_result wf_step_wait_running(wf_ctx *c)
{
    store_node *nodes = NULL;
    int n = store_node_list(c->r->st, c->in->id, NULL, &nodes);
    if (n < 0)
        return WF_WAIT;
    wf_result res = n > 0 ? WF_NEXT : WF_WAIT;
    for (int i = 0; i < n; i++) {
        if (nodes[i].goal != GOAL_RUNNING)
            continue;
        const agent_node_report *rep =
            agents_node_report(c->r->agents, nodes[i].agent_id, nodes[i].id);
        if (rep && rep->generation >= nodes[i].generation && rep->state == AGENT_NODE_FAILED) {
            snprintf(c->why, sizeof c->why, "node %s failed: %s", nodes[i].id, rep->error);
            res = WF_FAIL;
            break;
        }
        if (!rep || rep->generation < nodes[i].generation || rep->state != AGENT_NODE_RUNNING)
            res = WF_WAIT;
    }
    store_node_list_free(nodes, n);
    return res;
}

void wf_emit_finish_events(wf_ctx *c)
{
    const cJSON *evs = cJSON_GetObjectItemCaseSensitive(c->data, "finish_events");
    const cJSON *e;
    cJSON_ArrayForEach(e, evs)
        if (cJSON_IsString(e))
            events_emit(c->r, c->in->id, e->valuestring, NULL);
}

wf_result wf_step_finish_available(wf_ctx *c)
{
    if (!lifecycle_apply(c->in->id, &c->in->status, STATUS_AVAILABLE))
        return wf_fail(c, "cannot become available from %s",
                       instance_status_name(c->in->status));
    wf_emit_finish_events(c);
    c->dirty = true;
    return WF_NEXT;
}

void wf_fail_instance(wf_ctx *c, const char *event, const char *prefix)
{
    if (!lifecycle_apply(c->in->id, &c->in->status, STATUS_FAILED))
        return;
    char *msg = xasprintf("%s %s", prefix, c->why);
    events_emit(c->r, c->in->id, event, msg);
    free(msg);
    c->dirty = true;
}

void wf_on_fail_status(wf_ctx *c)
{
    wf_fail_instance(c, "RDS-EVENT-0031", "DB instance put into failed state.");
}
