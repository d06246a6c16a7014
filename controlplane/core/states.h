/* states: the region's state names as enums, and their one name table each.
 *
 * Inside the controlplane every state, role and goal is one of these enums;
 * the strings exist only at the boundaries: the store's columns (store.c
 * converts a row), the agent protocol (agents.c parses a heartbeat, the
 * node spec writes a goal) and what the API, events and logs show. The
 * names are byte-for-byte what the store held before the enums, so a store
 * written by older code reads back unchanged.
 *
 * For every enum X: X_name(v) is its wire/store name (a static string; an
 * out-of-range value names itself "(invalid)"), and X_parse(name, &v) is
 * true and sets v when name is one of the table's names, false (v
 * untouched) for any other string or NULL. */
#ifndef RDSIM_STATES_H
#define RDSIM_STATES_H

#include <stdbool.h>

/* DBInstanceStatus (store_instance.status); lifecycle.h holds its moves. */
typedef enum {
    STATUS_CREATING,
    STATUS_AVAILABLE,
    STATUS_MODIFYING,
    STATUS_REBOOTING,
    STATUS_BACKING_UP,
    STATUS_DELETING,
    STATUS_FAILED,
    STATUS_STOPPING,
    STATUS_STOPPED,
    STATUS_STARTING,
    STATUS_STORAGE_FULL,
    STATUS_INACCESSIBLE_RECOVERABLE, /* inaccessible-encryption-credentials-recoverable */
    STATUS_INACCESSIBLE,             /* inaccessible-encryption-credentials */
    INSTANCE_STATUS_COUNT
} instance_status;
const char *instance_status_name(instance_status s);
bool instance_status_parse(const char *name, instance_status *out);

/* The Multi-AZ state (store_instance.ha_state); domain/ha.h holds its
 * moves. HA_NONE for a Single-AZ instance. */
typedef enum {
    HA_NONE,
    HA_BUILDING,
    HA_HEALTHY,
    HA_STANDBY_LOST,
    HA_FAILING_OVER,
    HA_STATE_COUNT
} ha_state;
const char *ha_state_name(ha_state s);
bool ha_state_parse(const char *name, ha_state *out);

/* A node's role (store_node.role): a retired node is a standby being
 * removed, kept until its agent reports it absent. */
typedef enum { ROLE_PRIMARY, ROLE_STANDBY, ROLE_RETIRED, NODE_ROLE_COUNT } node_role;
const char *node_role_name(node_role r);
bool node_role_parse(const char *name, node_role *out);

/* What the controlplane wants of a node (store_node.goal). */
typedef enum { GOAL_RUNNING, GOAL_STOPPED, GOAL_ABSENT, NODE_GOAL_COUNT } node_goal;
const char *node_goal_name(node_goal g);
bool node_goal_parse(const char *name, node_goal *out);

/* What the agent does when the node's postmaster crashes
 * (store_node.supervise): restart it, or only report it (Multi-AZ primary:
 * the controlplane decides on a failover). */
typedef enum { SUPERVISE_RESTART, SUPERVISE_REPORT, NODE_SUPERVISE_COUNT } node_supervise;
const char *node_supervise_name(node_supervise s);
bool node_supervise_parse(const char *name, node_supervise *out);

/* A workflow row's state (store_workflow.state). A superseded workflow
 * was replaced by a delete before it finished. */
typedef enum {
    WF_STATE_ACTIVE,
    WF_STATE_DONE,
    WF_STATE_FAILED,
    WF_STATE_SUPERSEDED,
    WF_STATE_COUNT
} wf_state;
const char *wf_state_name(wf_state s);
bool wf_state_parse(const char *name, wf_state *out);

/* A node's state as its agent reports it (agent_node_report.state; the
 * agent's node_state_name spells them). AGENT_NODE_OTHER stands for a
 * name this controlplane does not know: it has no name of its own (it is
 * named "(unknown)" and never parsed), and, as before the enums, it
 * matches no test a caller makes. */
typedef enum {
    AGENT_NODE_OTHER,
    AGENT_NODE_CREATING,
    AGENT_NODE_STARTING,
    AGENT_NODE_RUNNING,
    AGENT_NODE_PROMOTING,
    AGENT_NODE_CRASHED,
    AGENT_NODE_REJOINING,
    AGENT_NODE_STOPPING,
    AGENT_NODE_STOPPED,
    AGENT_NODE_FAILED,
    AGENT_NODE_DELETING,
    AGENT_NODE_ABSENT,
    AGENT_NODE_DATA_LOST, /* had data, has none; never re-initialised (domain/recovery.h) */
    AGENT_NODE_STATE_COUNT
} agent_node_state;
const char *agent_node_state_name(agent_node_state s);
bool agent_node_state_parse(const char *name, agent_node_state *out);

/* ---- the one name table walker, for these and every module's own row
 * states (snaprow.h, abstore.h, delivery.h) ---- */

/* names[v], or `unnamed` when that slot is NULL, or "(invalid)" when v is
 * out of 0..n-1. Static strings. */
const char *states_name_of(const char *const *names, int n, int v, const char *unnamed);
/* The index of name in names[0..n) (NULL slots never match), or -1 (NULL
 * name included). */
int states_index_of(const char *const *names, int n, const char *name);

/* Defines type_name(type) and type_parse(const char *, type *) over a name
 * table indexed by the enum: parse is false on an unknown name. */
#define STATES_NAMED(type, table, count)                                      \
    const char *type##_name(type v)                                           \
    {                                                                         \
        return states_name_of(table, (int)(count), (int)v, "(unknown)");      \
    }                                                                         \
    bool type##_parse(const char *name, type *out)                            \
    {                                                                         \
        int i = states_index_of(table, (int)(count), name);                   \
        if (i < 0)                                                            \
            return false;                                                     \
        *out = (type)i;                                                       \
        return true;                                                          \
    }

#endif
