/* agents: the registry of rds-agents and their last reports — what the
 * heartbeat's request says (agent/README.md). The reply, every node's goal
 * and spec, is built above this layer (view/nodespec.h); here are only the
 * facts the Multi-AZ monitor, the workflows, the parameter groups and the
 * subnets query: who is alive, where, and what each node last reported.
 *
 * The registry is memory only: every heartbeat carries an agent's whole
 * state, so after a controlplane restart it is complete again within one
 * heartbeat interval.
 *
 * Trust (agent/README.md "Trust"): an agent is known by its key file,
 * <key dir>/<agent_id>.key (64 hex digits, mode 0600), read at every
 * request so that placing or removing the file registers or revokes an
 * agent without a restart. A report is recorded only after
 * agents_authenticate accepted its request and the body's agent_id is the
 * authenticated one; nothing else may reach agents_record.
 *
 * Bounded (issue 13): at most AGENTS_MAX agents. A new agent finding the
 * registry full takes the slot of the agent heard from least recently if
 * that one has been silent for AGENTS_STALE_MS (far beyond every failure
 * timeout: forgetting it changes no decision, an agent unknown and one
 * long dead look the same to every caller); otherwise it is refused with
 * a 400 and a log line. Without a key file nothing reaches the registry:
 * no made-up agent id, no unknown AZ. */
#ifndef RDSIM_AGENTS_H
#define RDSIM_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/core/states.h"

typedef struct region region;
typedef struct agents agents;

#define AGENTS_HEARTBEAT_MS 150 /* the interval_ms every reply asks for */
#define AGENTS_HEARTBEAT_HURRY_MS 50 /* ... while a failover waits on the agent (the
                                      * least an agent accepts: agent/README.md) */
#define AGENTS_ID_MAX 64           /* agent_id buffer size, NUL included */
#define AGENTS_MAX 64
#define AGENTS_STALE_MS (10LL * 60 * 1000)

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
    bool orphan_logged;   /* reported without a row here: logged once (agents_orphan_first) */
} agent_node_report;

agents *agents_new(void);
void agents_free(agents *a);

/* How long an agent must have been silent before a full registry forgets
 * it (AGENTS_STALE_MS by default; tests set 0 or more). */
void agents_set_stale_ms(agents *a, int64_t ms);

/* Sets the directory of the agents' key files (copied). Without one every
 * agent is unknown. Logs a warning when it is open to group or others
 * (each key file's own mode is checked at every use). */
void agents_set_key_dir(agents *a, const char *dir);

/* The authentication headers of one request (NULL when absent). */
typedef struct {
    const char *agent_id, *time, *nonce, *sig;
} agents_auth_in;

/* Authenticates a POST of body to path (lib/agentmac.h). true with the
 * agent's key in key. false with *status 401 (missing, malformed, bad
 * signature, expired, replayed) or 403 (an agent id with no usable key
 * file) and *error the JSON reply {"error": "…"} (malloc'd, the caller's);
 * logged. The registry is never changed, only the replay cache. */
bool agents_authenticate(agents *a, const agents_auth_in *in, const char *path, const char *body,
                         size_t len, uint8_t key[32], int *status, char **error);

/* true when body is a JSON object whose "agent_id" is the string id. */
bool agents_body_agent_is(const char *body, size_t len, const char *id);

/* The JSON error body {"error": why} (malloc'd, the caller's). */
char *agents_error_json(const char *why);

/* Records one heartbeat request body in r->agents: the agent's az and
 * address base, the time, and its node reports (replacing the last ones).
 * true with the agent's id in agent_id. false with *error set to the
 * reply (malloc'd JSON {"error": "…"}, HTTP 400, the caller's to free) when
 * the report is malformed (not an object, bad agent_id, az or addr_base,
 * more than 512 nodes, a node without node_id and state) or the registry
 * is full of agents heard from within AGENTS_STALE_MS; the registry is then
 * unchanged. */
bool agents_record(region *r, const char *body, size_t len, char agent_id[AGENTS_ID_MAX],
                   char **error);

/* true when the agent's last recorded heartbeat may change a decision:
 * the agent is new, was silent longer than the region's agent timeout
 * (agents_alive turned false meanwhile), moved AZ or address base, or
 * reported any node differently from its previous heartbeat (a node
 * added, gone, or with any field of agent_node_report changed; their
 * order aside). Also true for an unknown agent. A heartbeat with
 * nothing new only refreshes the agent's time (issue 18: such a one
 * needs no pass of the cron, view/nodespec.h). */
bool agents_changed(const agents *a, const char *agent_id);

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
/* The agent's last node reports (n of them; NULL and 0 if unknown).
 * Borrowed until the next heartbeat. */
const agent_node_report *agents_node_reports(const agents *a, const char *agent_id, int *n);
/* Marks the agent's report of node_id as a logged orphan; true the first
 * time (the mark follows the node from report to report). */
bool agents_orphan_first(agents *a, const char *agent_id, const char *node_id);

#endif
