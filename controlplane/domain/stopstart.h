/* stopstart: StopDBInstance and StartDBInstance as workflows, and
 * RDS's rule that an instance stopped for 7 days starts by itself
 * (RDS-EVENT-0154), on the region clock. The time of the stop is kept in
 * the store's meta table under "stopped_at:<id>" (region ms).
 *
 *   stop:  stop_nodes → wait_stopped → finish   (every node's postgres shut
 *          down cleanly; Multi-AZ: ha_state standby_lost until the start)
 *   start: start_nodes → wait_running → finish  (started again, pending
 *          parameters applied; data.finish_events: RDS-EVENT-0088) */
#ifndef RDSIM_STOPSTART_H
#define RDSIM_STOPSTART_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/awserr.h"
#include "controlplane/core/store.h"
#include "controlplane/wf/workflow.h"

typedef struct region region;

#define STOPSTART_MAX_STOPPED_MS (7LL * 24 * 3600 * 1000)

/* Records now (region clock) as the instance's stop time. */
bool stopstart_mark_stopped(region *r, const char *instance_id);
/* The recorded stop time (region ms), 0 if none. */
int64_t stopstart_stopped_at(region *r, const char *instance_id);

/* In the caller's transaction: the status move and the workflow. false
 * with err set (InvalidDBInstanceState with RDS's messages) if the
 * instance cannot stop or start now. */
bool stopstart_begin_stop(region *r, store_instance *in, awserr *err);
bool stopstart_begin_start(region *r, store_instance *in, bool automatic, awserr *err);

/* The kinds "stop" and "start", ended by a {NULL} entry, for
 * workflow_register. */
extern const wf_kind stopstart_kinds[];

/* The cron: starts every instance stopped for STOPSTART_MAX_STOPPED_MS.
 * Returns true if it started one (workflows then need a pass). */
bool stopstart_tick(region *r);

#endif
