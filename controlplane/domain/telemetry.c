/* telemetry: see telemetry.h. */
#include "controlplane/domain/telemetry.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/domain/logfiles.h"
#include "controlplane/domain/monitoring.h"
#include "controlplane/core/region.h"
#include "controlplane/domain/storage.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

enum { MAX_NODES = 512 };

static char *telemetry_error(int *status, const char *why)
{
    *status = 400;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", why);
    char *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}

/* One node's report; adds its reply entry to reply. */
static bool telemetry_node(region *r, const cJSON *e, cJSON *reply, bool *changed)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "node_id");
    if (!cJSON_IsString(id))
        return true;
    store_node nd = {0};
    store_instance in = {0};
    bool found = false, ok = true;
    if (!store_node_get(r->st, id->valuestring, &nd, &found) || !found)
        goto done;
    if (!store_instance_get(r->st, nd.instance_id, &in, &found) || !found)
        goto done;
    bool primary = in.primary_node && strcmp(in.primary_node, nd.id) == 0;
    int interval = primary ? monitoring_interval(&in) : 0;
    cJSON *os = cJSON_GetObjectItemCaseSensitive(e, "os");
    if (primary && interval > 0 && cJSON_IsObject(os))
        ok = monitoring_record(r, &in, os);
    ok = logfiles_ingest(r, nd.id, in.id, cJSON_GetObjectItemCaseSensitive(e, "log_files"),
                         cJSON_GetObjectItemCaseSensitive(e, "log_chunks")) && ok;
    const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(e, "data_bytes");
    if (primary && cJSON_IsNumber(bytes) && bytes->valuedouble >= 0) {
        bool ch = false;
        ok = storage_observe(r, &in, (int64_t)bytes->valuedouble, &ch) && ok;
        *changed = *changed || ch;
    }
    if (r->node_telemetry_hook)
        r->node_telemetry_hook(r, in.id, in.db_class, in.engine,
                               in.allocated_storage * r->cfg.storage_unit_bytes, nd.id, primary,
                               e);
    cJSON *o = cJSON_AddObjectToObject(reply, nd.id);
    cJSON_AddNumberToObject(o, "monitoring_interval", interval);
    cJSON_AddItemToObject(o, "log_sizes", logfiles_sizes(r, nd.id));
done:
    store_node_clear(&nd);
    store_instance_clear(&in);
    return ok;
}

char *telemetry_agent_post(region *r, const char *body, size_t len, int *status, bool *changed)
{
    *changed = false;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(nodes) || cJSON_GetArraySize(nodes) > MAX_NODES) {
        cJSON_Delete(root);
        return telemetry_error(status, "nodes must be an array of at most 512");
    }
    if (!store_begin(r->st)) {
        cJSON_Delete(root);
        *status = 503;
        return xstrdup("{\"error\":\"store unavailable\"}");
    }
    cJSON *reply = cJSON_CreateObject();
    cJSON *map = cJSON_AddObjectToObject(reply, "nodes");
    bool ok = true;
    const cJSON *e;
    cJSON_ArrayForEach(e, nodes)
        if (cJSON_IsObject(e))
            ok = telemetry_node(r, e, map, changed) && ok;
    ok = ok && logfiles_prune_orphans(r) && monitoring_prune_orphans(r) &&
         storage_prune_orphans(r);
    if (ok && store_commit(r->st)) {
        *status = 200;
    } else {
        store_rollback(r->st);
        *changed = false;
        cJSON_Delete(reply);
        cJSON_Delete(root);
        *status = 500;
        return xstrdup("{\"error\":\"store failure\"}");
    }
    char *out = cJSON_PrintUnformatted(reply);
    cJSON_Delete(reply);
    cJSON_Delete(root);
    return out;
}
