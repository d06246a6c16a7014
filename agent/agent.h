/* agent: the heartbeat loop and the reconciliation of goals against nodes.
 *
 * On its event base the agent runs two timers: the heartbeat (one request
 * in flight at most; every --heartbeat-ms, or the interval the controlplane
 * asks for, and at once after any node state change) and a 100 ms
 * reconciliation tick that steps every node. A good reply's goals are
 * applied to the nodes and written to agent.json before they are acted on;
 * any other outcome changes nothing, logged once per kind of failure.
 *
 * A node that reached "absent" is kept (and reported) until one heartbeat
 * carrying that state got a 200 reply, then forgotten.
 *
 * Every request is signed with the agent's key and every reply checked
 * (lib/agentmac.h); a reply that does not authenticate is logged and
 * ignored, as a controlplane that is down. A node is only ever deleted on
 * an authenticated goal "absent" naming it: a node the controlplane does
 * not mention (an orphan) is kept as it is, reported, and logged. */
#ifndef RDSIM_AGENT_AGENT_H
#define RDSIM_AGENT_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/proc.h"

struct event_base;

typedef struct {
    const char *controlplane; /* "http://127.0.0.1:PORT" */
    const char *az;
    const char *addr_base;
    const char *home;         /* made absolute and created if missing */
    const char *bindir;
    const proc_user *user;    /* must outlive the agent */
    int heartbeat_ms;
    const uint8_t *key;       /* this agent's secret, AGENTMAC_KEY_LEN bytes (copied) */
    const char *pam_module;   /* pam_rdsim_iam.so for PostgreSQL's PAM service; NULL:
                                 the one beside this program */
} agent_config;

typedef struct agent agent;

/* Prepares home (creating it, checking the pg user can traverse it), loads
 * agent.json, probes every recorded node (adopting live postmasters) and
 * arms the timers on base; the first heartbeat leaves at once. Returns NULL
 * (logged) if home is unusable. Strings in cfg are copied. */
agent *agent_new(struct event_base *base, const agent_config *cfg);

/* Stops the timers and frees everything. PostgreSQL keeps running: an agent
 * restart must not restart the databases. Call after the loop has exited. */
void agent_free(agent *a);

#endif
