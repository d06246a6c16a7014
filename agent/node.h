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
 * Lifecycle (the table in node.c is the authority; set_state refuses
 * anything else):
 *
 *     NEW ──▶ CREATING ──▶ STOPPED ──▶ STARTING ──▶ RUNNING ──▶ PROMOTING
 *              │  ▲          ▲  │ ▲      │  ▲        │ │  ▲        │
 *              ▼  │          │  │ │      ▼  └─crash──┘ │  └────────┘
 *             FAILED ◀───────┼──┼─┼─ (exit before ready)│
 *                            │  │ └─ REJOINING ◀─┐     ├──▶ CRASHED (supervise=report)
 *                            └──┴── STOPPING ◀───┼─────┘      │
 *                                                └────────────┘
 *     any but RUNNING/STARTING/PROMOTING ──▶ DELETING ──▶ ABSENT
 *
 *     NEW/STOPPED/FAILED/CRASHED/… ──▶ DATA_LOST ──▶ CREATING (a restore in the spec)
 *                                         └──────▶ REJOINING (spec says standby: base backup)
 *
 * Data loss (issue 13): a node that had data — its <id>/initialized
 * marker, the spec's "initialized": true (the controlplane's store), or
 * one this agent saw running — whose data directory is gone or emptied
 * (no PG_VERSION or global/pg_control) is DATA_LOST, reported as
 * "data-lost". It is NEVER made again by initdb: only a standby's base
 * backup from its upstream or a restore the controlplane names in the
 * spec brings it back. Until then it waits, and says so.
 *
 * Roles (Multi-AZ): the role in effect is read from the data directory —
 * for a running node, global/pg_control's state ("in production" accepts
 * writes: primary; "in archive recovery": standby), as `pg_ctl promote -w`
 * does (postmaster.pid says "ready" for a hot standby too); a node not
 * running is a standby iff data/standby.signal exists. When the spec's
 * role differs, node_role_decide picks promote (standby → primary, in
 * place), rejoin (primary → standby: stop, pg_rewind from the upstream,
 * falling back to a fresh base backup) or rebuild (rebuild_seq changed).
 * A standby is created with pg_basebackup instead of initdb.
 *
 * Directory layout: <nodes_dir>/<id>/{data,sock,log}, plus
 * <id>/initialized (written when the data directory is complete — after
 * initdb, configuration and the database, or after a base backup or
 * rewind; creation is all-or-nothing, a node without it is re-created from
 * scratch; it records the rebuild_seq and upstream the data was made
 * with), <id>/repl.pgpass (0600: the replication password a standby's
 * walreceiver reads) and, only while initdb runs, <id>/pwfile (0600). */
#ifndef RDSIM_AGENT_NODE_H
#define RDSIM_AGENT_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/nodeconf.h"
#include "agent/proc.h"
#include "agent/spec.h"

typedef enum {
    NODE_NEW, /* nothing decided yet; reported as "creating" */
    NODE_CREATING,   /* initdb, or pg_basebackup for a standby (retried while the upstream is down) */
    NODE_STARTING,
    NODE_RUNNING,
    NODE_PROMOTING,  /* a standby asked to promote, not yet accepting writes */
    NODE_CRASHED,    /* postmaster died with supervise=report: waiting for the controlplane */
    NODE_REJOINING,  /* pg_rewind or a fresh base backup to become a standby again */
    NODE_STOPPING,
    NODE_STOPPED,
    NODE_FAILED,
    NODE_DELETING,
    NODE_ABSENT,
    NODE_DATA_LOST,  /* had data, has none: waits for a restore or a standby rebuild */
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

/* The role a node's data directory is in. */
typedef enum { NODE_ROLE_UNKNOWN, NODE_ROLE_PRIMARY, NODE_ROLE_STANDBY } node_role;

/* "primary", "standby", or NULL for unknown. */
const char *node_role_name(node_role r);

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
 * one); a spec without a password (master or replication) keeps the one
 * already in memory.
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
    node_role role;          /* in effect (from the data directory), not the spec's */
    const char *rejoin;      /* "rewind" or "basebackup": the last rejoin's method, or NULL */
    const char *params_id;   /* the spec's parameters_id PostgreSQL was last given, or NULL */
} node_report;

void node_get_report(const node *n, node_report *out);

/* ---- pure helpers (unit-tested) ---------------------------------------- */

/* What to do when the data directory's role (have_standby) and what it
 * was built from (built) differ from the spec. */
typedef enum {
    NODE_ACT_KEEP,    /* nothing: same role (or no role to change) */
    NODE_ACT_PROMOTE, /* a standby whose spec says primary: promote in place */
    NODE_ACT_REJOIN,  /* a primary whose spec says standby, or a standby of another
                         upstream: stop, pg_rewind (or a fresh base backup), start */
    NODE_ACT_REBUILD, /* a standby whose rebuild_seq changed: wipe, base backup */
} node_action;

/* "keep", "promote", "rejoin", "rebuild". */
const char *node_action_name(node_action a);

/* The table of role changes (see node.c). built may be NULL (unknown:
 * treated as rebuild_seq 0 and no upstream). */
node_action node_role_decide(bool have_standby, const nodeconf_marker *built,
                             const node_spec *want);

/* The values of PostgreSQL's DBState the agent looks at. */
enum { NODE_DB_IN_ARCHIVE_RECOVERY = 5, NODE_DB_IN_PRODUCTION = 6 };

/* The cluster state from the first bytes of global/pg_control (after the
 * 64-bit system identifier and two 32-bit versions, in host byte order):
 * 0..6, or -1 when fewer than 20 bytes are given or the version or the
 * state is implausible. */
int node_controlfile_state(const unsigned char *buf, size_t len);

typedef struct {
    pid_t pid;       /* line 1 */
    int port;        /* line 4, 0 if missing */
    char status[16]; /* line 8 trimmed ("ready", "starting", ...), "" if missing */
} node_pidfile;

/* Parses data/postmaster.pid. Returns false unless line 1 is a positive
 * pid; other missing or garbled lines just stay empty. */
bool node_pidfile_parse(const char *text, size_t len, node_pidfile *out);

#endif
