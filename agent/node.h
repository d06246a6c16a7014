/* node: one PostgreSQL node of this host — its directories, initdb,
 * configuration, start, stop, supervision, adoption and deletion.
 *
 * A node converges toward its goal (running, stopped, absent) one
 * non-blocking step at a time: node_step looks at the state, starts at most
 * one action (a child process, a signal, a small file write) and returns.
 * Children report back through the proc reaper; an adopted postmaster (one
 * the agent did not start, found alive after an agent restart) is checked
 * through /proc on every step.
 *
 * Lifecycle (the table in node.c is the authority; node_set_state refuses
 * anything else):
 *
 *     NEW ──▶ CREATING ──▶ STOPPED ──▶ STARTING ──▶ RUNNING
 *              │  ▲          ▲  │        │  ▲         │ │
 *              ▼  │          │  │        ▼  └─crash───┘ │
 *             FAILED ◀───────┼──┼─── (exit before ready)│
 *                            └──┴── STOPPING ◀──────────┘
 *     any but RUNNING/STARTING ──▶ DELETING ──▶ ABSENT
 *
 * Directory layout: <nodes_dir>/<id>/{data,sock,log}, plus
 * <id>/initialized (written when initdb, configuration and the database
 * exist: creation is all-or-nothing, a node without it is re-created from
 * scratch) and, only while initdb runs, <id>/pwfile (0600). */
#ifndef RDSIM_AGENT_NODE_H
#define RDSIM_AGENT_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/proc.h"
#include "agent/spec.h"

typedef enum {
    NODE_NEW, /* nothing decided yet; reported as "creating" */
    NODE_CREATING,
    NODE_STARTING,
    NODE_RUNNING,
    NODE_STOPPING,
    NODE_STOPPED,
    NODE_FAILED,
    NODE_DELETING,
    NODE_ABSENT,
    NODE_STATE_COUNT
} node_state;

/* The protocol name of a state ("creating", "running", ...). */
const char *node_state_name(node_state s);
/* True if the lifecycle table allows from → to (exposed for the tests). */
bool node_transition_allowed(node_state from, node_state to);

/* What every node shares, owned by the agent and outliving its nodes. */
typedef struct node_env {
    proc_reaper *reaper;
    const proc_user *user;
    const char *bindir;    /* PostgreSQL binaries */
    const char *nodes_dir; /* absolute: <home>/nodes */
    /* Called after any state change (persist=false) and when the durable
     * record changed (persist=true, e.g. a restart was counted). */
    void (*changed)(void *arg, bool persist);
    void *arg;
} node_env;

typedef struct node node;

/* [a-z0-9-]{1,80}: the id is a directory name. */
bool node_id_valid(const char *id);

/* Makes a node from its record and probes its directory: a live postmaster
 * of its data directory (from data/postmaster.pid and /proc) is adopted, not
 * restarted. spec may be NULL only for goal absent. Never fails; the caller
 * has checked node_id_valid and frees with node_free. */
node *node_new(const node_env *env, const char *id, node_goal goal, int64_t generation,
               int64_t restarts, const node_spec *spec);

/* Forgets the node's children (they keep running); frees it. */
void node_free(node *n);

/* Applies a goal from the controlplane. spec may be NULL (keep the current
 * one); a spec without a password keeps the password already in memory.
 * Returns true when the durable record (goal, generation, spec) changed. */
bool node_set_goal(node *n, node_goal goal, int64_t generation, const node_spec *spec);

/* One reconciliation step toward the goal; never blocks. */
void node_step(node *n);

/* A read-only view for heartbeats and the durable record; pointers are
 * valid until the next call on the node. */
typedef struct {
    const char *node_id;
    node_state state;
    node_goal goal;
    pid_t pid;               /* postmaster, 0 if none */
    const node_spec *spec;   /* NULL if none */
    int64_t generation;
    int64_t restarts;
    const char *error;       /* NULL if none */
    const char *last_exit;   /* how the postmaster last died unexpectedly, or NULL */
    bool busy;               /* a child (initdb, rm, ...) is running */
} node_report;

void node_get_report(const node *n, node_report *out);

/* ---- pure helpers (unit-tested) ---------------------------------------- */

/* The contents of data/rdsim.conf for a node living in node_dir. Caller frees. */
char *node_render_conf(const char *node_dir, const node_spec *spec);
/* The contents of data/pg_hba.conf. Caller frees. */
char *node_render_hba(void);

typedef struct {
    pid_t pid;       /* line 1 */
    int port;        /* line 4, 0 if missing */
    char status[16]; /* line 8 trimmed ("ready", "starting", ...), "" if missing */
} node_pidfile;

/* Parses data/postmaster.pid. Returns false unless line 1 is a positive
 * pid; other missing or garbled lines just stay empty. */
bool node_pidfile_parse(const char *text, size_t len, node_pidfile *out);

#endif
