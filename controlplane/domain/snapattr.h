/* snapattr: a manual DB snapshot's attributes — DescribeDBSnapshotAttributes
 * and ModifyDBSnapshotAttribute. RDS has one, `restore`: the AWS account
 * ids (12 digits) allowed to copy or restore the snapshot, or `all`
 * (public). Kept in db_snapshot_attributes (store.c; deleted with the
 * snapshot by a trigger). RDS's sharing rules hold: an encrypted snapshot
 * is never public, and one encrypted under the AWS managed key
 * (alias/aws/rds) is shared with no account; at most
 * SNAPATTR_MAX_ACCOUNTS accounts. */
#ifndef RDSIM_SNAPATTR_H
#define RDSIM_SNAPATTR_H

#include <stdbool.h>

#include "controlplane/core/service.h"

#define SNAPATTR_MAX_ACCOUNTS 20

bool snapattr_action_describe(region *r, const params *p, cJSON *result, awserr *err);
bool snapattr_action_modify(region *r, const params *p, cJSON *result, awserr *err);

#endif
