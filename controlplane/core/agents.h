/* agents: the registry of rds-agents and their last reports — what the
 * heartbeat's request says (agent/README.md). The reply, every node's goal
 * and spec, is built above this layer (view/nodespec.h); here are only the
 * facts the Multi-AZ monitor, the workflows, the parameter groups and the
 * subnets query: who is alive, where, and what each node last reported.
 *
 * The registry is memory only: every heartbeat carries an agent's whole
 * state, so after a controlplane restart it is complete again within one
 * heartbeat interval. */
#ifndef RDSIM_AGENTS_H
#define RDSIM_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/states.h"

typedef struct region region;
typedef struct agents agents;

#define AGENTS_HEARTBEAT_MS 150 /* the interval_ms every reply asks for */
#define AGENTS_ID_MAX 64           /* agent_id buffer size, NUL included */

/* What an agent last said about one of its nodes. */
typedef struct {
    char node_id[96];
    agent_node_state state; /* parsed at the heartbeat; AGENT_NODE_OTHER: a name unknown here */
    int64_t pid;
    int64_t restarts;
    int64_t generation;   /* goal generation last applied */
    char error[256];      /* "" when none */
    node_role role;       /* role in effect, when has_role */
    bool has_role;        /* false if the agent did not say (or said something else) */
    char parameters_id[24]; /* the spec's parameters_id the node runs with ("" if not said) */
} agent_node_report;

agents *agents_new(void);
void agents_free(agents *a);

/* Records one heartbeat request body in r->agents: the agent's az and
 * address base, the time, and its node reports (replacing the last ones).
 * true with the agent's id in agent_id. false with *error set to the
 * reply (malloc'd JSON {"error": "…"}, HTTP 400, the caller's to free) when
 * the report is malformed (not an object, bad agent_id, az or addr_base,
 * more than 512 nodes, a node without node_id and state) or the registry
 * is full; the registry is then unchanged. */
bool agents_record(region *r, const char *body, size_t len, char agent_id[AGENTS_ID_MAX],
                   char **error);

/* The last report of node_id from agent_id, or NULL when that agent's last
 * heartbeat did not mention it (or the agent is unknown). Borrowed until
 * the next heartbeat. */
const agent_node_report *agents_node_report(const agents *a, const char *agent_id,
                                            const char *node_id);
/* true if the agent heartbeated within timeout_ms. */
bool agents_alive(const agents *a, const char *agent_id, int64_t timeout_ms);
/* Monotonic ms of the agent's last heartbeat, 0 if never seen. */
int64_t agents_last_seen(const agents *a, const char *agent_id);
/* The address base ("127.0.1") the agent registered, or NULL. */
const char *agents_addr_base(const agents *a, const char *agent_id);
/* The id of an alive agent in az, or NULL. */
const char *agents_in_az(const agents *a, const char *az, int64_t timeout_ms);
/* Number of known agents. */
int agents_count(const agents *a);

#endif
