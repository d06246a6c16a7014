/* failover: the Multi-AZ failover's own steps, as workflow kinds.
 *
 *   failover   (automatic, started by ha.c when the primary is lost while
 *              the instance is healthy):  promote → wait_promoted → flip
 *   switchover (planned: RebootDBInstance ForceFailover, and the tail of a
 *              Multi-AZ "maintain", maint.c): fence → wait_fenced → promote
 *              → wait_promoted → flip
 *   replica_switchover (RebootDBInstance ForceFailover of a Multi-AZ read
 *              replica): flip — ha.c's replica flip (ha_replica_failover),
 *              the instance `available` again; abandoned (still
 *              `available`, nothing changed) when its standby cannot take
 *              over within a minute
 *
 * The workflow's data names the nodes: "old" (the primary being replaced)
 * and "new" (the standby being promoted). The steps keep ha.h's
 * invariants: promote fences the old primary (goal stopped) in the same
 * commit that promotes the standby, and flip makes the old primary a
 * standby of the new one, ha_state building, so the instance is `healthy`
 * again only once that standby is synchronous. */
#ifndef RDSIM_FAILOVER_H
#define RDSIM_FAILOVER_H

#include "controlplane/wf/workflow.h"

/* The kinds "failover", "switchover" and "replica_switchover", ended by a {NULL} entry, for
 * workflow_register. */
extern const wf_kind failover_kinds[];

/* The steps (workflow.h's contract), also run by maint.c's "maintain":
 * fence         the old primary's goal becomes stopped (a clean shutdown
 *               whose checkpoint reaches the synchronous standby);
 * wait_fenced   until its agent reports it stopped, its agent is lost, or
 *               10 s passed (promotion is safe anyway: ha.h invariant 3);
 * promote       old stopped and new primary, in one commit;
 * wait_promoted until the new primary runs as one;
 * flip          the instance's primary, AZs and endpoint follow the new
 *               node; the old one rejoins as its standby (0049, 0052).
 * WF_FAIL when a node named in the data is gone. */
wf_result failover_step_fence(wf_ctx *c);
wf_result failover_step_wait_fenced(wf_ctx *c);
wf_result failover_step_promote(wf_ctx *c);
wf_result failover_step_wait_promoted(wf_ctx *c);
wf_result failover_step_flip(wf_ctx *c);

#endif
