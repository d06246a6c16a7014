/* health: the controlplane's own view of every node, from non-blocking
 * libpq probes on the event loop (PQconnectStartParams/PQconnectPoll,
 * PQsendQuery/PQconsumeInput), so a dead host and a hung postgres
 * (SIGSTOP) are both seen even when an agent says all is well.
 *
 * Each node has one kept connection (rdsadmin); a probe is one query on it
 * (issue 18: a fresh SCRAM login and a forked backend every interval cost
 * most of a core for ten idle instances). A probe that does not finish
 * within the timeout counts as a failure. The connection is watched while
 * idle, so a server that dies (its backends exit with the postmaster) is
 * seen at once. A kept connection that breaks is retried with a fresh
 * connect at once and only that connect's failure counts: a terminated
 * backend or a restart must not by itself count against a node, while a
 * timeout always counts. What a kept connection cannot see, a postmaster
 * alone SIGSTOPped (its backends still answer, it accepts nobody), is seen
 * by a fresh connect at least every HEALTH_FRESH_MS, and sooner by the
 * agent for a primary under supervise=report (agent/node.c invariant 7).
 * Memory only: after a restart, a node is "unknown" until its first probe
 * answers. */
#ifndef RDSIM_HEALTH_H
#define RDSIM_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

typedef struct region region;
typedef struct health health;

#define HEALTH_MAX_REPLICAS 24 /* a standby and up to 15 read replicas */

typedef struct {
    char name[96];        /* application_name = the standby's node id */
    char state[24];       /* streaming, catchup, startup, backup */
    char sync_state[16];  /* sync, async, potential, quorum */
    bool streaming;       /* state is "streaming" (decided where the answer is parsed) */
    int64_t pid;          /* the walsender's pid */
    int64_t lag_bytes;    /* primary's current LSN minus the standby's flush LSN; -1 unknown */
    int streak;           /* consecutive probes that saw this walsender streaming and sync */
} health_replica;

typedef struct {
    bool known;           /* at least one probe has finished */
    bool up;              /* the last probe answered */
    int fails;            /* consecutive failed probes */
    int64_t last_ok_ms;   /* monotonic ms of the last answer (0: never) */
    int64_t last_ok_started_ms; /* monotonic ms at which the probe of that answer
                                 * started connecting: what it says of the server
                                 * was true at some moment after this one */
    int64_t first_fail_ms;/* monotonic ms of the first failure of the current run */
    int64_t last_fail_started_ms; /* monotonic ms at which the latest failed probe
                                   * started (0: none yet) */
    int64_t up_since_ms;  /* monotonic ms of the first answer of the current run of
                           * answers (0 while failing): a node silent for a while
                           * and back says what it saw only from here on */
    bool in_recovery;     /* a standby (pg_is_in_recovery) */
    char lsn[32];         /* current (primary) or flushed-or-replayed, the greater
                           * (standby) WAL LSN */
    int nreplicas;        /* primary: its walsenders */
    health_replica replicas[HEALTH_MAX_REPLICAS];
    /* A standby's own WAL receiver (pg_stat_wal_receiver). */
    int64_t recv_pid;         /* the receiver streaming now, 0 if none */
    int64_t recv_since_ms;    /* monotonic ms since that receiver streams, 0 if none */
    int64_t norecv_since_ms;  /* monotonic ms since a standby answering probes has
                               * not been streaming, 0 when it streams (or is no standby) */
    int64_t replay_lag_ms;    /* a standby: now() - pg_last_xact_replay_timestamp(), the
                               * source of a read replica's ReplicaLag; -1 unknown */
    /* A receiver that exists but does not move (health_stall_update). */
    int64_t stall_since_ms;   /* monotonic ms since it was first seen behind its upstream
                               * at stall_lsn, 0: not behind */
    int64_t stall_pid;        /* the receiver that was behind */
    char stall_lsn[32];       /* the standby's LSN it has been stuck at */
    /* CloudWatch's PostgreSQL-side gauges (obs/cwcollect.h), read by a
     * second statement of the probe at most every HEALTH_METRICS_MS. */
    int64_t pgm_ms;           /* monotonic ms of the last reading, 0: never */
    int64_t pgm_conns;        /* client backends, the probe's own left out */
    int64_t pgm_wal_bytes;    /* sum of pg_ls_waldir() sizes */
    int64_t pgm_xid_age;      /* max(age(datfrozenxid)) */
    int64_t pgm_slot_lag;     /* bytes behind of the oldest replication slot, -1: no slot */
} node_health;

#define HEALTH_METRICS_MS 15000
/* A kept connection older than this is replaced by a fresh connect at the
 * next probe: the postmaster's own liveness (it alone forks backends). */
#define HEALTH_FRESH_MS 2000

typedef struct {
    int64_t interval_ms;  /* between probes of one node */
    int64_t timeout_ms;   /* a probe (connect or query) slower than this fails */
} health_config;

health *health_new(region *r, health_config cfg);
void health_free(health *h);

/* Starts due probes for every node in the store (called from the cron).
 * Forgets nodes the store no longer has. */
void health_tick(health *h);

/* The node's view, or NULL if the node was never probed. */
const node_health *health_get(const health *h, const char *node_id);

/* Asks for a probe of node_id that starts at or after since_ms (monotonic;
 * a time to come is allowed): started at once (or at since_ms) when none
 * is in flight, else right after the one in flight if that one started
 * before since_ms. Its outcome, answer or failure, makes the cron run at
 * once (region.h's cron event), so a workflow step waiting for it goes on
 * without waiting for the next pass. Idempotent: asking again for the same
 * or an earlier since_ms changes nothing, so a waiting step may ask on
 * every pass. false when the node is not probed here (unknown, or its goal
 * is not running). */
bool health_probe_after(health *h, const char *node_id, int64_t since_ms);

/* true when the node has failed for at least fail_ms with at least
 * min_fails consecutive failures, and has answered before or been probed
 * long enough to tell. */
bool health_is_down(const health *h, const char *node_id, int64_t fail_ms, int min_fails);

/* Folds one probe's answer into a view (pure; the probe calls it, the
 * unit tests too): in_recovery "t"/"f", the LSN, the primary's walsenders
 * as "name state sync_state pid lag_bytes" joined by ',', and a standby's
 * receiver as "status pid" (or ""). Streaks and "since" times carry over
 * from the previous answer when it is the same walsender or receiver. */
void health_view_update(node_health *v, const char *in_recovery, const char *lsn,
                        const char *replicas, const char *receiver, int64_t now_ms);

/* What a due probe does (pure; unit-tested): REUSE sends the query on the
 * kept connection, CONNECT opens a fresh one. A kept connection is reused
 * while it is usable (kept_ok) and younger than HEALTH_FRESH_MS. */
typedef enum { HEALTH_REUSE, HEALTH_CONNECT } health_plan;
health_plan health_probe_plan(bool kept_ok, int64_t conn_age_ms);

/* How long (ms) a fresh connect may wait for its next step (pure;
 * unit-tested), from when it started (started_ms) and now: timeout_ms
 * bounds each round trip of a connect, not the whole login, whose TCP
 * handshake and three SCRAM exchanges are four round trips. A whole
 * connect under a timeout made a slow link (100 ms each way: 800 ms to
 * log in) look dead and failed over a healthy primary; each step under it
 * still sees a dead host or a hung postmaster (no answer at all) as soon
 * as before. The whole connect is capped at HEALTH_CONNECT_ROUNDS
 * timeouts (a server that answers a byte at a time must still fail); 0
 * when the cap has passed. rdsim's own choice: RDS does not document its
 * probes. */
#define HEALTH_CONNECT_ROUNDS 4
int64_t health_connect_wait_ms(int64_t started_ms, int64_t now_ms, int64_t timeout_ms);

/* What a failed probe step leads to (pure; unit-tested): RETRY a fresh
 * connect at once, not counted, when the step ran on a connection kept
 * from an earlier probe and did not time out (the connection alone may
 * have broken); COUNT a failure otherwise: a fresh connect's failure, and
 * any timeout (a hung server must count at the pace it always did). */
typedef enum { HEALTH_FAIL_COUNT, HEALTH_FAIL_RETRY } health_fail_action;
health_fail_action health_fail_action_of(bool on_kept, bool timed_out);

/* A stalled WAL receiver (one SIGSTOPped, say): pg_stat_wal_receiver
 * still shows it streaming, but the standby's LSN does not move while its
 * upstream's is ahead. Folds the two views' latest answers into v's
 * stall_* fields (pure; the unit tests call it) and returns how long (ms)
 * v's receiver has been behind up at the same LSN: 0 when v is not a
 * standby that answers with a receiver, up does not answer, v is not
 * behind (an idle upstream is never a stall), or v moved since the last
 * call (the run restarts). Only a caller that judges v on every pass sees
 * a stall grow: the since time is kept between calls. */
int64_t health_stall_update(node_health *v, const node_health *up, int64_t now_ms);

/* health_stall_update on the probes of `standby` and `upstream` at the
 * monotonic now; 0 when either was never probed. */
int64_t health_recv_stalled_ms(health *h, const char *standby, const char *upstream);

/* The replica entry of `standby` in `primary`'s view, or NULL. */
const health_replica *health_replica_of(const health *h, const char *primary,
                                        const char *standby);

#endif
