/* states: see states.h. Each table is indexed by its enum; a NULL entry
 * (AGENT_NODE_OTHER) has no name and is never parsed. */
#include "controlplane/core/states.h"

#include <string.h>

static const char *const instance_status_names[INSTANCE_STATUS_COUNT] = {
    [STATUS_CREATING] = "creating",
    [STATUS_AVAILABLE] = "available",
    [STATUS_MODIFYING] = "modifying",
    [STATUS_REBOOTING] = "rebooting",
    [STATUS_BACKING_UP] = "backing-up",
    [STATUS_DELETING] = "deleting",
    [STATUS_FAILED] = "failed",
    [STATUS_STOPPING] = "stopping",
    [STATUS_STOPPED] = "stopped",
    [STATUS_STARTING] = "starting",
    [STATUS_STORAGE_FULL] = "storage-full",
    [STATUS_INACCESSIBLE_RECOVERABLE] = "inaccessible-encryption-credentials-recoverable",
    [STATUS_INACCESSIBLE] = "inaccessible-encryption-credentials",
};

static const char *const ha_state_names[HA_STATE_COUNT] = {
    [HA_NONE] = "none",
    [HA_BUILDING] = "building",
    [HA_HEALTHY] = "healthy",
    [HA_STANDBY_LOST] = "standby_lost",
    [HA_FAILING_OVER] = "failing_over",
};

static const char *const node_role_names[NODE_ROLE_COUNT] = {
    [ROLE_PRIMARY] = "primary",
    [ROLE_STANDBY] = "standby",
    [ROLE_RETIRED] = "retired",
};

static const char *const node_goal_names[NODE_GOAL_COUNT] = {
    [GOAL_RUNNING] = "running",
    [GOAL_STOPPED] = "stopped",
    [GOAL_ABSENT] = "absent",
};

static const char *const node_supervise_names[NODE_SUPERVISE_COUNT] = {
    [SUPERVISE_RESTART] = "restart",
    [SUPERVISE_REPORT] = "report",
};

static const char *const wf_state_names[WF_STATE_COUNT] = {
    [WF_STATE_ACTIVE] = "active",
    [WF_STATE_DONE] = "done",
    [WF_STATE_FAILED] = "failed",
    [WF_STATE_SUPERSEDED] = "superseded",
};

static const char *const agent_node_state_names[AGENT_NODE_STATE_COUNT] = {
    [AGENT_NODE_OTHER] = NULL,
    [AGENT_NODE_CREATING] = "creating",
    [AGENT_NODE_STARTING] = "starting",
    [AGENT_NODE_RUNNING] = "running",
    [AGENT_NODE_PROMOTING] = "promoting",
    [AGENT_NODE_CRASHED] = "crashed",
    [AGENT_NODE_REJOINING] = "rejoining",
    [AGENT_NODE_STOPPING] = "stopping",
    [AGENT_NODE_STOPPED] = "stopped",
    [AGENT_NODE_FAILED] = "failed",
    [AGENT_NODE_DELETING] = "deleting",
    [AGENT_NODE_ABSENT] = "absent",
    [AGENT_NODE_DATA_LOST] = "data-lost",
};

const char *states_name_of(const char *const *names, int n, int v, const char *unnamed)
{
    if (v < 0 || v >= n)
        return "(invalid)";
    return names[v] ? names[v] : unnamed;
}

int states_index_of(const char *const *names, int n, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return i;
    return -1;
}

STATES_NAMED(instance_status, instance_status_names, INSTANCE_STATUS_COUNT)
STATES_NAMED(ha_state, ha_state_names, HA_STATE_COUNT)
STATES_NAMED(node_role, node_role_names, NODE_ROLE_COUNT)
STATES_NAMED(node_goal, node_goal_names, NODE_GOAL_COUNT)
STATES_NAMED(node_supervise, node_supervise_names, NODE_SUPERVISE_COUNT)
STATES_NAMED(wf_state, wf_state_names, WF_STATE_COUNT)
STATES_NAMED(agent_node_state, agent_node_state_names, AGENT_NODE_STATE_COUNT)
