/* wfkinds: every workflow kind the region runs, by the subsystem that owns
 * it (instwf: create delete modify reboot convert; failover: failover
 * switchover; stopstart: stop start; maint: maintain). main registers this
 * list with the engine (wf/workflow.h); tests register the same list, so a
 * new kind is added in one place. */
#ifndef RDSIM_WFKINDS_H
#define RDSIM_WFKINDS_H

#include "controlplane/wf/workflow.h"

/* NULL-terminated, for workflow_register. */
extern const wf_kind *const wfkinds_all[];

#endif
