/* heartbeat: the agent ↔ controlplane wire format (see README "Protocol").
 *
 * Pure functions, no I/O: rendering the request from node reports, and
 * parsing a reply into goals. The reply is untrusted: it is size-limited,
 * every field is type-checked, and a reply whose shape is wrong is refused
 * as a whole. Before any of that the reply must authenticate
 * (heartbeat_auth_reply, README "Trust"); "authoritative" is parsed for
 * compatibility but orders nothing: an agent deletes a node only on an
 * explicit goal absent. */
#ifndef RDSIM_AGENT_HEARTBEAT_H
#define RDSIM_AGENT_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/node.h"
#include "agent/spec.h"
#include "lib/agentmac.h"

enum { HEARTBEAT_MAX_REPLY = 8 * 1024 * 1024, HEARTBEAT_MAX_NODES = 4096 };

#define HEARTBEAT_PATH "/agent/v1/heartbeat"
#define TELEMETRY_PATH "/agent/v1/telemetry"

/* The authentication of one request (lib/agentmac.h): its headers, ready
 * for httpc_opts.headers, and the nonce its reply must bind. headers point
 * into the struct: keep it in place (not copied) while the request is out. */
typedef struct {
    char agent_id[AGENTMAC_ID_MAX];
    char path[32];
    char time[24];
    char nonce[AGENTMAC_NONCE_HEX + 1];
    char sig[AGENTMAC_SIG_HEX + 1];
    const char *headers[9];
} heartbeat_auth;

/* Signs a POST of body to path (HEARTBEAT_PATH or TELEMETRY_PATH) as
 * agent_id at now_ms with a fresh nonce. */
void heartbeat_auth_request(heartbeat_auth *h, const uint8_t key[AGENTMAC_KEY_LEN],
                            const char *agent_id, const char *path, const char *body, size_t len,
                            int64_t now_ms);
/* Checks the reply to the request h signed: its X-Rdsim-Time (time) and
 * X-Rdsim-Signature (sig) headers, either NULL when absent, over status and
 * body, bound to h's nonce. AGENTMAC_OK, or why the reply is refused. */
agentmac_result heartbeat_auth_reply(const heartbeat_auth *h, const uint8_t key[AGENTMAC_KEY_LEN],
                                     int status, const char *time, const char *sig,
                                     const char *body, size_t len, int64_t now_ms);

/* Identity of the agent in every request. */
typedef struct {
    const char *agent_id;
    const char *az;
    const char *addr_base;
    long pid;
    int64_t started_at_ms;
} heartbeat_agent;

/* A node the agent refuses (bad id or bad spec for a node it does not
 * have): reported with state "failed" and this error. */
typedef struct {
    char *node_id;
    char *error;
} heartbeat_rejected;

/* Renders the request body; the caller frees it. */
char *heartbeat_render_request(const heartbeat_agent *a, const node_report *nodes, size_t n,
                               const heartbeat_rejected *rej, size_t nrej);

typedef struct {
    char *node_id;  /* always set */
    char *error;    /* NULL when the entry is usable; else why not */
    node_goal goal;
    int64_t generation;
    bool has_spec;
    node_spec spec; /* required for running/stopped, optional for absent */
} heartbeat_goal;

typedef struct {
    int interval_ms;    /* 0 when not given or out of [50, 60000] */
    bool authoritative; /* parsed, ignored: absence is never an order */
    heartbeat_goal *goals;
    size_t n;
} heartbeat_reply;

/* Parses a reply body. Returns false (reason in err, out empty) when the
 * body is not a JSON object with a "nodes" array of objects each with a
 * string "node_id" (unique), or breaks a size limit. A well-shaped entry
 * with a bad node_id, goal, generation or spec is kept with its error set.
 * Caller frees out with heartbeat_reply_free. */
bool heartbeat_parse_reply(const char *body, size_t len, heartbeat_reply *out, char *err,
                           size_t errlen);
void heartbeat_reply_free(heartbeat_reply *r);

/* As heartbeat_parse_reply, for a reply whose secrets are sealed under the
 * agent's key (lib/agentmac.h): a spec's "master_password_sealed" and
 * "replication": {"password_sealed"} are opened (labels "<node_id>/master_password"
 * and "<node_id>/replication") into master_password and replication.password.
 * The whole reply is refused when a spec carries either secret in plain
 * text, or a sealed value does not open. */
bool heartbeat_parse_sealed_reply(const char *body, size_t len, const uint8_t key[AGENTMAC_KEY_LEN],
                                  heartbeat_reply *out, char *err, size_t errlen);

#endif
