/* clusterwf: what happens to a Multi-AZ DB cluster after a request, and
 * the cluster monitor (cluster.h's model).
 *
 * Workflow kinds (each runs on ONE member instance, as every workflow):
 *   cluster_reader      a reader member's create: place its node as a
 *                       standby of the writer's node → wait_running →
 *                       finish (available, 0005). The writer member is
 *                       created by instwf's plain "create".
 *   cluster_failover    (writer lost; on the member first chosen) isolate
 *                       → wait_isolated → pick → promote → wait_promoted
 *                       → flip
 *   cluster_switchover  (FailoverDBCluster) fence → wait_fenced → isolate
 *                       → wait_isolated → pick → promote → wait_promoted
 *                       → flip
 * isolate fences the old writer's node (goal stopped: its agent SIGKILLs
 * even a SIGSTOPped server) and detaches BOTH readers (upstream cleared: a
 * reload drops primary_conninfo), in one commit; wait_isolated waits
 * (bounded, FO_ISOLATE_MAX_MS) until no reader can acknowledge the old
 * writer's WAL any more: the old writer confirmed stopped, or each reader
 * seen without a WAL receiver after its agent applied the detach (or its
 * server restarted by its agent, or its agent gone). Then the old writer
 * cannot satisfy ANY 1 and acknowledges nothing (pg_auto_failover's order:
 * fence, detach, then promote). pick promotes the ready reader with the
 * highest LSN, now frozen (a named FailoverDBCluster target is kept);
 * promote makes it primary; flip names the new writer in the cluster row
 * (the cluster endpoint follows this commit), points the other reader at
 * it (follow: the timeline switch, no rebuild), lists both other nodes as
 * its synchronous standbys and sends the old writer back as a reader
 * (pg_rewind by its agent), 0071.
 *
 * The monitor (clusterwf_tick, from the cron; level-triggered like ha.c):
 * a creating cluster whose members are all available gets its writer's
 * synchronous standbys ('ANY 1 (r1, r2)') and becomes available (0170);
 * an available cluster whose writer node is lost (ha_node_lost) fails over
 * to the ready reader with the highest flushed LSN (0073); readers_up
 * follows the probes; rebooting/stopping/starting/modifying end when the
 * members have; a deleting cluster's row goes with its last member.
 *
 * Invariant (zero acknowledged writes lost): the writer lists both
 * readers with ANY 1 from the moment the cluster is available, so an
 * acknowledged commit is flushed on at least one reader; a failover first
 * makes sure no reader streams from the old writer (so it acknowledges
 * nothing more) and then promotes the reader with the highest LSN. */
#ifndef RDSIM_CLUSTERWF_H
#define RDSIM_CLUSTERWF_H

#include <stdbool.h>

#include "controlplane/core/awserr.h"
#include "controlplane/domain/cluster.h"
#include "controlplane/wf/workflow.h"

typedef struct health health;

#define CLUSTERWF_READER_KIND "cluster_reader"

/* The kinds above, ended by a {NULL} entry, for workflow_register. */
extern const wf_kind clusterwf_kinds[];

/* In the caller's transaction. delete: every member to deleting with
 * instwf's "delete" (what it was doing is superseded), data its workflow
 * data (a "final_snapshot" each waits for, or NULL); false on a store
 * error. failover: the target (NULL: the reader with the highest LSN)
 * must be a reader member that is available and whose node answers
 * (InvalidDBInstanceState otherwise, DBInstanceNotFound when it is no
 * member); c->status becomes failing-over, 0072/0073. members: kind
 * ("reboot", "stop", "start") on every member, with its status move;
 * InvalidDBInstanceState when a member cannot. */
bool clusterwf_start_delete(region *r, cluster_row *c, const cJSON *data);
bool clusterwf_start_failover(region *r, cluster_row *c, const char *target, bool planned,
                              awserr *err);
bool clusterwf_start_members(region *r, cluster_row *c, const char *kind, awserr *err);
/* Bumps the generation of every member's node (a spec change). */
bool clusterwf_bump_nodes(region *r, const cluster_row *c);

/* One pass of the monitor over every cluster. true if it committed
 * anything (DNS then needs a sync). */
bool clusterwf_tick(region *r, health *h);

#endif
