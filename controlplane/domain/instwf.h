/* instwf: the workflows of an instance's own life, as workflow kinds.
 *
 *   create:  place → wait_running → standby → wait_healthy → finish
 *            (standby and wait_healthy pass at once for Single-AZ)
 *   delete:  final_snapshot → remove_nodes → wait_gone → finish
 *   modify:  apply → wait_running → finish
 *   reboot:  restart → wait_running → finish
 *   convert: standby → wait_healthy → finish   (Single-AZ to Multi-AZ)
 *
 * The API (actions.c) and maint.c start them; data keys read here:
 * "final_snapshot" (delete: the snapshot that must be available before the
 * nodes go), "multi_az" (create, convert), "finish_events" (the events the
 * finish emits, wfsteps.h). A failed create emits RDS-EVENT-0278, a failed
 * modify, reboot or convert RDS-EVENT-0031 (both leave the instance
 * `failed`); a failed delete leaves the instance as it is. */
#ifndef RDSIM_INSTWF_H
#define RDSIM_INSTWF_H

#include "controlplane/wf/workflow.h"

/* The kinds above, ended by a {NULL} entry, for workflow_register. */
extern const wf_kind instwf_kinds[];

/* From the cron: removes buried node rows (store_node_bury) once their
 * agent reports the node absent, or heartbeats without it. */
void instwf_sweep(region *r);

#endif
