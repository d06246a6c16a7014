/* lifecycle: see lifecycle.h. Status names and meanings follow the RDS
 * User Guide's "Viewing DB instance status" table. */
#include "controlplane/core/lifecycle.h"

const lifecycle_move lifecycle_moves[] = {
    {STATUS_CREATING, STATUS_AVAILABLE, "create finished"},
    {STATUS_CREATING, STATUS_BACKING_UP, "initial automated backup after create"},
    {STATUS_CREATING, STATUS_FAILED, "create could not finish"},
    {STATUS_BACKING_UP, STATUS_AVAILABLE, "backup finished"},
    {STATUS_AVAILABLE, STATUS_MODIFYING, "ModifyDBInstance with changes applied now"},
    {STATUS_AVAILABLE, STATUS_REBOOTING, "RebootDBInstance, or a forced failover"},
    {STATUS_AVAILABLE, STATUS_BACKING_UP, "automated backup"},
    {STATUS_AVAILABLE, STATUS_STOPPING, "StopDBInstance"},
    {STATUS_AVAILABLE, STATUS_FAILED, "unrecoverable host or storage loss"},
    {STATUS_AVAILABLE, STATUS_STORAGE_FULL, "allocated storage exhausted"},
    {STATUS_STORAGE_FULL, STATUS_MODIFYING, "storage increased"},
    {STATUS_STORAGE_FULL, STATUS_AVAILABLE, "allocated storage exceeds the use again"},
    {STATUS_MODIFYING, STATUS_AVAILABLE, "modification applied"},
    {STATUS_MODIFYING, STATUS_FAILED, "modification could not be applied"},
    {STATUS_REBOOTING, STATUS_AVAILABLE, "reboot finished"},
    {STATUS_REBOOTING, STATUS_FAILED, "the node did not come back"},
    {STATUS_STOPPING, STATUS_STOPPED, "stop finished"},
    {STATUS_STOPPED, STATUS_STARTING, "StartDBInstance"},
    {STATUS_STARTING, STATUS_AVAILABLE, "start finished"},
    /* controlplane/kmswatch.h: the instance's KMS key. */
    {STATUS_AVAILABLE, STATUS_INACCESSIBLE_RECOVERABLE, "KMS key disabled"},
    {STATUS_BACKING_UP, STATUS_INACCESSIBLE_RECOVERABLE, "KMS key disabled"},
    {STATUS_STORAGE_FULL, STATUS_INACCESSIBLE_RECOVERABLE, "KMS key disabled"},
    {STATUS_INACCESSIBLE_RECOVERABLE, STATUS_AVAILABLE, "KMS key enabled again"},
    {STATUS_INACCESSIBLE_RECOVERABLE, STATUS_INACCESSIBLE,
     "KMS key deleted, or 7 days without it"},
    {STATUS_AVAILABLE, STATUS_INACCESSIBLE, "KMS key deleted"},
    {STATUS_BACKING_UP, STATUS_INACCESSIBLE, "KMS key deleted"},
    {STATUS_STORAGE_FULL, STATUS_INACCESSIBLE, "KMS key deleted"},
    /* DeleteDBInstance is accepted in every state but deleting itself. */
    {STATUS_CREATING, STATUS_DELETING, "delete"},
    {STATUS_AVAILABLE, STATUS_DELETING, "delete"},
    {STATUS_MODIFYING, STATUS_DELETING, "delete"},
    {STATUS_REBOOTING, STATUS_DELETING, "delete"},
    {STATUS_BACKING_UP, STATUS_DELETING, "delete"},
    {STATUS_FAILED, STATUS_DELETING, "delete"},
    {STATUS_STOPPING, STATUS_DELETING, "delete"},
    {STATUS_STOPPED, STATUS_DELETING, "delete"},
    {STATUS_STARTING, STATUS_DELETING, "delete"},
    {STATUS_STORAGE_FULL, STATUS_DELETING, "delete"},
    {STATUS_INACCESSIBLE_RECOVERABLE, STATUS_DELETING, "delete"},
    {STATUS_INACCESSIBLE, STATUS_DELETING, "delete"},
};
const int lifecycle_move_count = (int)(sizeof lifecycle_moves / sizeof lifecycle_moves[0]);

static const char *status_name(int s)
{
    return instance_status_name((instance_status)s);
}

static const transition_table lifecycle_table = {
    .what = "status",
    .name = status_name,
    .moves = lifecycle_moves,
    .nmoves = (int)(sizeof lifecycle_moves / sizeof lifecycle_moves[0]),
};

bool lifecycle_allowed(instance_status from, instance_status to)
{
    return transition_allowed(&lifecycle_table, (int)from, (int)to);
}

bool lifecycle_apply(const char *instance_id, instance_status *status, instance_status to)
{
    if (!transition_check(&lifecycle_table, instance_id, (int)*status, (int)to))
        return false;
    *status = to;
    return true;
}

bool lifecycle_is_stopped(instance_status status)
{
    return status == STATUS_STOPPING || status == STATUS_STOPPED || status == STATUS_STARTING;
}
