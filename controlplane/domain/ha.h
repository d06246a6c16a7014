/* ha: Multi-AZ — the standby, synchronous replication, and automatic
 * failover, as one state machine per instance (instances.ha_state):
 *
 *   none ──standby placed──▶ building ──standby streams, then is sync──▶ healthy
 *                              ▲   │                                   │   │
 *                              │   └──standby fails──▶ standby_lost ◀──┘   │
 *                              │                          │ (relaxed sync) │ primary lost
 *                              └────── replacement ◀──────┘                ▼
 *                              └─────────── old primary rejoins ◀── failing_over
 *
 * Invariants:
 *  1. A primary lists a standby in synchronous_standby_names only once the
 *     standby streams from it (else commits would block); an instance is
 *     `healthy` only once the primary reports the standby as `sync`.
 *  2. A standby is promoted only if the instance was `healthy` — the
 *     standby synchronous — when the primary was lost (ha_promotion_allowed).
 *     So every commit acknowledged to a client is on the promoted node.
 *  3. A fenced (old) primary is never given a configuration that relaxes its
 *     synchronous replication, so it can never acknowledge a write again;
 *     it is stopped, and rejoins only as a standby of the new primary.
 *
 * The table in ha.c lists the allowed moves; ha_apply (transition.h's
 * walker over it) is the only function that changes ha_state. ha_tick is level-triggered: it recomputes what to
 * do from the store and the current health every cron pass, so a crash of
 * the controlplane at any point is resumed by the next pass. */
#ifndef RDSIM_HA_H
#define RDSIM_HA_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/states.h"
#include "controlplane/core/store.h"
#include "controlplane/core/transition.h"
#include "controlplane/core/health.h"

typedef struct region region;
typedef struct health health;

/* Allowed moves, for tests that walk the table (transition.h's walker). */
typedef transition_move ha_move;
extern const ha_move ha_moves[];
extern const int ha_move_count;

/* The states themselves, and their names, are states.h's ha_state. */
bool ha_allowed(ha_state from, ha_state to);
/* true at once when *state is already `to`; else validates, logs and sets
 * *state = to; false (logged, *state untouched) when not allowed. */
bool ha_apply(const char *instance_id, ha_state *state, ha_state to);

/* The promotion rule (invariant 2): the instance was healthy when its
 * primary was lost, and the primary last reported the standby as sync. */
bool ha_promotion_allowed(ha_state at_loss, bool standby_sync);

/* What a `healthy` instance's pass does about what it sees (ha_healthy's
 * decision, pure so that tests can walk it):
 *   HA_KEEP          nothing is lost;
 *   HA_FAILOVER      the primary is lost and the standby is ready: promote;
 *   HA_RESTART       the primary is lost, the standby not ready but not
 *                    silent either (or the primary's own agent reported it
 *                    down): relax sync, the primary's host restarts it;
 *   HA_STANDBY_GONE  the standby is lost (or stopped streaming) while the
 *                    primary answers: relax sync to keep it writable (0052);
 *   HA_HOLD          both nodes are silent at once: from here the
 *                    controlplane cannot tell its own isolation (a network
 *                    partition around it) from a double failure, and nothing
 *                    it decides could reach either host. It changes nothing:
 *                    synchronous replication stays on (so the standby stays
 *                    promotable, invariant 2) and it judges again once
 *                    either node answers. Also when the standby answers
 *                    again after such a silence but the primary has not been
 *                    probed since: its failure may be only the controlplane's
 *                    own outage (a heal reaches the standby's probe first),
 *                    so it is probed again before anything is promoted; and
 *                    the mirror case, the primary back first and the
 *                    standby's failure dating from the same silence: it is
 *                    probed again before sync is relaxed. */
typedef enum { HA_KEEP, HA_FAILOVER, HA_RESTART, HA_STANDBY_GONE, HA_HOLD } ha_verdict;
typedef struct {
    bool primary_lost;          /* ha_node_lost */
    bool primary_reported_down; /* its live agent says it is down */
    bool primary_answers;       /* our last probe of it answered, no failure since */
    bool standby_lost;          /* ha_node_lost, or not streaming for 2 x detect_ms */
    bool standby_answers;
    bool standby_ready;         /* ha_node_ready */
    bool primary_failed_seen;   /* the primary's failure is seen from where the
                                 * standby answers: it began while the standby
                                 * answered, or a probe of it started after the
                                 * standby answered again failed */
    bool standby_failed_seen;   /* the same of the standby, from where the
                                 * primary answers (or it answers but does
                                 * not stream, or its agent reports it down) */
} ha_view;
ha_verdict ha_judge(const ha_view *v);

/* How long a standby that answers probes has not been streaming from its
 * primary (0 if it streams, or if we cannot tell: either node unprobed,
 * the primary not answering). Counted only while both answer: a standby
 * cannot stream from a primary it cannot reach, so the time either was cut
 * off (a partition healed a moment ago) is not time it failed to follow —
 * counting it rebuilt a standby about to reconnect (netdelay.t's heal).
 * Pure: now is monotonic ms. */
int64_t ha_not_streaming_ms(const node_health *standby, const node_health *primary,
                            bool primary_up, int64_t now);

/* The failure detector ha_tick uses, for any node (Multi-AZ DB clusters'
 * writers too, clusterwf.h): its agent reports it down at its current
 * generation, or our probes failed for detect_ms (3 in a row), or its
 * agent is silent and two probes failed. */
bool ha_node_lost(region *r, health *h, const store_node *n);
/* A node that can be promoted: its agent is alive and our last probe
 * answered from a server in recovery. */
bool ha_node_ready(region *r, health *h, const store_node *n);

/* A planned failover of a Multi-AZ read replica (RebootDBInstance
 * ForceFailover: failover.c's "replica_switchover"): the very flip ha_tick
 * makes when the replica's active node is lost (its standby becomes the
 * replica, on the replica's slot; the old node its standby; RDS-EVENT-0013,
 * 0049, 0052), in the caller's transaction. It changes *in (ha_state,
 * primary_node, the AZs: the caller writes it) and the two node rows.
 *   HA_FLIP_DONE    flipped;
 *   HA_FLIP_WAIT    the standby does not answer in recovery, or does not
 *                   stream from the source's primary now, or the store
 *                   failed (nothing changed: try again later);
 *   HA_FLIP_CANNOT  no replica, not healthy (no standby in place), or no
 *                   standby: a flip now would leave no replica node. */
typedef enum { HA_FLIP_DONE, HA_FLIP_WAIT, HA_FLIP_CANNOT } ha_flip_result;
ha_flip_result ha_replica_failover(region *r, health *h, store_instance *in);

/* One pass over every Multi-AZ instance (called from the cron). Returns
 * true if it committed anything (DNS then needs a sync). */
bool ha_tick(region *r, health *h);

#endif
