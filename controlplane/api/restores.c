/* restores: see restores.h. */
#include "controlplane/api/restores.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "controlplane/core/store.h"
#include "controlplane/core/validate.h"
#include "controlplane/domain/autobackup.h"
#include "controlplane/domain/replica.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/view/instview.h"
#include "lib/util.h"

typedef bool (*restore_fn)(region *r, const params *p, const char *id, store_instance *out,
                           awserr *err);

/* The new instance's identifier from `param` (required, checked), the
 * domain's restore, and the DBInstance answer. */
static bool restore_answer(region *r, const params *p, const char *param, restore_fn restore,
                           cJSON *result, awserr *err)
{
    const char *v = params_require(p, param, err);
    if (!v || !validate_db_instance_id(v, param, err))
        return false;
    char *id = str_lower(xstrdup(v));
    store_instance in = {0};
    bool ok = restore(r, p, id, &in, err);
    if (ok)
        cJSON_AddItemToObject(result, "DBInstance", instview_render(r, &in));
    store_instance_clear(&in);
    free(id);
    return ok;
}

bool restores_action_from_snapshot(region *r, const params *p, cJSON *result, awserr *err)
{
    return restore_answer(r, p, "DBInstanceIdentifier", snapshot_restore, result, err);
}

bool restores_action_to_point_in_time(region *r, const params *p, cJSON *result, awserr *err)
{
    return restore_answer(r, p, "TargetDBInstanceIdentifier", autobackup_restore, result, err);
}

bool restores_action_read_replica(region *r, const params *p, cJSON *result, awserr *err)
{
    return restore_answer(r, p, "DBInstanceIdentifier", replica_create, result, err);
}

bool restores_action_promote(region *r, const params *p, cJSON *result, awserr *err)
{
    return restore_answer(r, p, "DBInstanceIdentifier", replica_promote, result, err);
}
