/* Every state enum's name table: each value round-trips through its name,
 * names are unique, and unknown strings are refused. */
#include <stdio.h>
#include <string.h>

#include "controlplane/core/states.h"
#include "lib/tap.h"

/* One enum under test, through int-typed adapters. */
typedef struct {
    const char *what;
    int first, count; /* values first..count-1 have names */
    const char *(*name)(int v);
    bool (*parse)(const char *s, int *v);
} states_case;

#define ADAPT(type)                                                   \
    static const char *type##_n(int v) { return type##_name((type)v); } \
    static bool type##_p(const char *s, int *v)                       \
    {                                                                 \
        type t;                                                       \
        if (!type##_parse(s, &t))                                     \
            return false;                                             \
        *v = (int)t;                                                  \
        return true;                                                  \
    }
ADAPT(instance_status)
ADAPT(ha_state)
ADAPT(node_role)
ADAPT(node_goal)
ADAPT(node_supervise)
ADAPT(wf_state)
ADAPT(agent_node_state)

static void walk(const states_case *c)
{
    int good = 0, unique = 0;
    for (int v = c->first; v < c->count; v++) {
        const char *n = c->name(v);
        int back = -1;
        good += n && n[0] != '(' && c->parse(n, &back) && back == v;
        bool dup = false;
        for (int w = c->first; w < v; w++)
            dup |= strcmp(c->name(w), n) == 0;
        unique += !dup;
    }
    char name[120];
    snprintf(name, sizeof name, "%s: all %d values round-trip through their names", c->what,
             c->count - c->first);
    is_int(good, c->count - c->first, name);
    snprintf(name, sizeof name, "%s: names are unique", c->what);
    is_int(unique, c->count - c->first, name);
    static const char *const bad[] = {"", "bogus", "Available", "available ", "unknown",
                                      "(unknown)", "(invalid)"};
    int refused = 0, v = 12345;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused += !c->parse(bad[i], &v) && v == 12345;
    refused += !c->parse(NULL, &v) && v == 12345;
    snprintf(name, sizeof name, "%s: unknown strings and NULL are refused", c->what);
    is_int(refused, (int)(sizeof bad / sizeof bad[0]) + 1, name);
    snprintf(name, sizeof name, "%s: an out-of-range value names itself invalid", c->what);
    is_str(c->name(c->count), "(invalid)", name);
}

int main(void)
{
    const states_case cases[] = {
        {"instance_status", 0, INSTANCE_STATUS_COUNT, instance_status_n, instance_status_p},
        {"ha_state", 0, HA_STATE_COUNT, ha_state_n, ha_state_p},
        {"node_role", 0, NODE_ROLE_COUNT, node_role_n, node_role_p},
        {"node_goal", 0, NODE_GOAL_COUNT, node_goal_n, node_goal_p},
        {"node_supervise", 0, NODE_SUPERVISE_COUNT, node_supervise_n, node_supervise_p},
        {"wf_state", 0, WF_STATE_COUNT, wf_state_n, wf_state_p},
        {"agent_node_state", 1, AGENT_NODE_STATE_COUNT, agent_node_state_n, agent_node_state_p},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        walk(&cases[i]);

    /* The names the store and the wire hold, byte for byte (a store written
     * before the enums must read back). */
    is_str(instance_status_name(STATUS_BACKING_UP), "backing-up", "backing-up");
    is_str(instance_status_name(STATUS_STORAGE_FULL), "storage-full", "storage-full");
    is_str(instance_status_name(STATUS_INACCESSIBLE_RECOVERABLE),
           "inaccessible-encryption-credentials-recoverable", "recoverable KMS status");
    is_str(instance_status_name(STATUS_INACCESSIBLE), "inaccessible-encryption-credentials",
           "terminal KMS status");
    is_str(ha_state_name(HA_STANDBY_LOST), "standby_lost", "ha standby_lost");
    is_str(ha_state_name(HA_FAILING_OVER), "failing_over", "ha failing_over");
    is_str(node_role_name(ROLE_RETIRED), "retired", "role retired");
    is_str(node_goal_name(GOAL_ABSENT), "absent", "goal absent");
    is_str(node_supervise_name(SUPERVISE_REPORT), "report", "supervise report");
    is_str(wf_state_name(WF_STATE_SUPERSEDED), "superseded", "workflow superseded");
    is_str(agent_node_state_name(AGENT_NODE_CRASHED), "crashed", "agent crashed");
    is_str(agent_node_state_name(AGENT_NODE_OTHER), "(unknown)",
           "an agent state we do not know has no name of its own");
    int v = 0;
    ok(!agent_node_state_p("(unknown)", &v), "and is never parsed");
    return done_testing();
}
