/* wfkinds: see wfkinds.h. */
#include "controlplane/domain/wfkinds.h"

#include "controlplane/domain/clusterwf.h"
#include "controlplane/domain/failover.h"
#include "controlplane/domain/instwf.h"
#include "controlplane/domain/maint.h"
#include "controlplane/domain/recovery.h"
#include "controlplane/domain/replica.h"
#include "controlplane/domain/stopstart.h"

const wf_kind *const wfkinds_all[] = {instwf_kinds, failover_kinds, stopstart_kinds, maint_kinds,
                                      recovery_kinds, replica_kinds, clusterwf_kinds, NULL};
