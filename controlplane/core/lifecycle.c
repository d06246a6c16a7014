/* lifecycle: see lifecycle.h. Status names and meanings follow the RDS
 * User Guide's "Viewing DB instance status" table. */
#include "controlplane/core/lifecycle.h"

#include <string.h>

const char *const lifecycle_states[] = {
    "creating", "available", "modifying", "rebooting", "backing-up", "deleting",
    "failed", "stopping", "stopped", "starting", "storage-full",
    "inaccessible-encryption-credentials-recoverable", "inaccessible-encryption-credentials",
    NULL,
};

const lifecycle_move lifecycle_moves[] = {
    {"creating", "available", "create finished"},
    {"creating", "backing-up", "initial automated backup after create"},
    {"creating", "failed", "create could not finish"},
    {"backing-up", "available", "backup finished"},
    {"available", "modifying", "ModifyDBInstance with changes applied now"},
    {"available", "rebooting", "RebootDBInstance, or a forced failover"},
    {"available", "backing-up", "automated backup"},
    {"available", "stopping", "StopDBInstance"},
    {"available", "failed", "unrecoverable host or storage loss"},
    {"available", "storage-full", "allocated storage exhausted"},
    {"storage-full", "modifying", "storage increased"},
    {"storage-full", "available", "allocated storage exceeds the use again"},
    {"modifying", "available", "modification applied"},
    {"modifying", "failed", "modification could not be applied"},
    {"rebooting", "available", "reboot finished"},
    {"rebooting", "failed", "the node did not come back"},
    {"stopping", "stopped", "stop finished"},
    {"stopped", "starting", "StartDBInstance"},
    {"starting", "available", "start finished"},
    /* controlplane/kmswatch.h: the instance's KMS key. */
    {"available", "inaccessible-encryption-credentials-recoverable", "KMS key disabled"},
    {"backing-up", "inaccessible-encryption-credentials-recoverable", "KMS key disabled"},
    {"storage-full", "inaccessible-encryption-credentials-recoverable", "KMS key disabled"},
    {"inaccessible-encryption-credentials-recoverable", "available", "KMS key enabled again"},
    {"inaccessible-encryption-credentials-recoverable", "inaccessible-encryption-credentials",
     "KMS key deleted, or 7 days without it"},
    {"available", "inaccessible-encryption-credentials", "KMS key deleted"},
    {"backing-up", "inaccessible-encryption-credentials", "KMS key deleted"},
    {"storage-full", "inaccessible-encryption-credentials", "KMS key deleted"},
    /* DeleteDBInstance is accepted in every state but deleting itself. */
    {"creating", "deleting", "delete"},
    {"available", "deleting", "delete"},
    {"modifying", "deleting", "delete"},
    {"rebooting", "deleting", "delete"},
    {"backing-up", "deleting", "delete"},
    {"failed", "deleting", "delete"},
    {"stopping", "deleting", "delete"},
    {"stopped", "deleting", "delete"},
    {"starting", "deleting", "delete"},
    {"storage-full", "deleting", "delete"},
    {"inaccessible-encryption-credentials-recoverable", "deleting", "delete"},
    {"inaccessible-encryption-credentials", "deleting", "delete"},
};
const int lifecycle_move_count = (int)(sizeof lifecycle_moves / sizeof lifecycle_moves[0]);

bool lifecycle_is_state(const char *status)
{
    for (int i = 0; lifecycle_states[i]; i++)
        if (strcmp(lifecycle_states[i], status) == 0)
            return true;
    return false;
}

static const transition_table lifecycle_table = {
    .what = "status",
    .unset = "(none)",
    .moves = lifecycle_moves,
    .nmoves = (int)(sizeof lifecycle_moves / sizeof lifecycle_moves[0]),
};

bool lifecycle_allowed(const char *from, const char *to)
{
    return transition_allowed(&lifecycle_table, from, to);
}

bool lifecycle_apply(const char *instance_id, char **status, const char *to)
{
    return transition_apply(&lifecycle_table, instance_id, status, to);
}
