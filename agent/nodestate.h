/* nodestate: the agent's own durable record of its nodes (agent.json).
 *
 * The record is what the agent must remember across a kill -9 to keep
 * converging without the controlplane: for each node its id, last applied
 * goal and generation, supervisor restart count and spec (never the
 * password). It is written with fs_write_atomic (write-temp + fsync +
 * rename), so a reader sees the old or the new record, never a torn one.
 *
 * Format (version 1):
 *   {"version":1,"nodes":[{"node_id":"shop-1","goal":"running",
 *     "generation":3,"restarts":0,"spec":{...spec_to_json...}}]}
 * "spec" may be missing only when the goal is absent. */
#ifndef RDSIM_AGENT_NODESTATE_H
#define RDSIM_AGENT_NODESTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/spec.h"

enum { NODESTATE_MAX_BYTES = 16 * 1024 * 1024, NODESTATE_MAX_NODES = 4096 };

typedef struct {
    char *node_id;
    node_goal goal;
    int64_t generation;
    int64_t restarts;
    bool has_spec;  /* false only for goal absent (a node known only by its id) */
    node_spec spec; /* master_verifier, admin_verifier always NULL after a load */
} nodestate_record;

typedef struct {
    nodestate_record *recs;
    size_t n;
} nodestate;

/* Parses a record document. Returns true and fills out (caller frees with
 * nodestate_free). Returns false with a reason in err and out empty when the
 * text is not a valid version-1 document: any invalid node makes the whole
 * document invalid, because a half-trusted record is worse than none. */
bool nodestate_parse(const char *text, size_t len, nodestate *out, char *err, size_t errlen);

/* Renders the document; the caller frees the string. No password. */
char *nodestate_render(const nodestate *st);

/* Loads path. A missing file gives an empty record (true). A corrupt file is
 * renamed to "<path>.corrupt" and gives an empty record (true, logged): the
 * controlplane re-sends every goal, and nodes are re-probed from disk. Returns
 * false only if the file exists but cannot be read or moved aside. */
bool nodestate_load(const char *path, nodestate *out);

/* Writes path atomically (mode 0600). Returns false (logged) on failure. */
bool nodestate_save(const char *path, const nodestate *st);

/* Appends a record with a deep copy of spec (NULL allowed for goal absent;
 * the password is never copied). */
void nodestate_add(nodestate *st, const char *node_id, node_goal goal, int64_t generation,
                   int64_t restarts, const node_spec *spec);

void nodestate_free(nodestate *st);

#endif
