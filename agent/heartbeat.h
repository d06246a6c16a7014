/* heartbeat: the agent ↔ controlplane wire format (see README "Protocol").
 *
 * Pure functions, no I/O: rendering the request from node reports, and
 * parsing a reply into goals. The reply is untrusted: it is size-limited,
 * every field is type-checked, and a reply whose shape is wrong is refused
 * as a whole (so, with authoritative, a garbled entry can never make the
 * agent treat a node as an orphan). */
#ifndef RDSIM_AGENT_HEARTBEAT_H
#define RDSIM_AGENT_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/node.h"
#include "agent/spec.h"

enum { HEARTBEAT_MAX_REPLY = 8 * 1024 * 1024, HEARTBEAT_MAX_NODES = 4096 };

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
    bool authoritative;
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

#endif
