/* restoresrc: see restoresrc.h. */
#include "controlplane/domain/restoresrc.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/restoretoken.h"
#include "controlplane/core/states.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/autobackup.h"
#include "controlplane/domain/snapshot.h"
#include "lib/util.h"

bool restoresrc_of_node(region *r, const char *node_id, char **base, char **wal)
{
    *base = *wal = NULL;
    store_node nd = {0};
    bool found = false;
    if (!store_node_get(r->st, node_id, &nd, &found) || !found)
        return false;
    bool live = nd.role == ROLE_PRIMARY && nd.goal != GOAL_ABSENT;
    /* The very functions that build the spec: the source served is the
     * source the goal names, never another. */
    cJSON *spec = cJSON_CreateObject();
    if (live) {
        snapshot_spec_restore(r, nd.instance_id, spec);
        autobackup_spec_restore(r, nd.instance_id, spec);
    }
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(spec, "restore");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(rs, "path");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(rs, "wal");
    if (cJSON_IsString(p)) {
        *base = xstrdup(p->valuestring);
        *wal = cJSON_IsString(w) ? xstrdup(w->valuestring) : NULL;
    }
    cJSON_Delete(spec);
    store_node_clear(&nd);
    return *base != NULL;
}

char *restoresrc_url(region *r, const char *node_id, const char *kind, const char *source)
{
    char token[RESTORETOKEN_HEX + 1];
    restoretoken_make(r->restore_key, node_id, kind, source, token);
    return xasprintf("http://%s:%d" RESTORETOKEN_PATH "%s/%s/%s",
                     r->cfg.agent_addr ? r->cfg.agent_addr : "127.0.0.1", r->api_port, node_id,
                     token, kind);
}

/* One member of "restore", a path, replaced by its URL. */
static void to_url(region *r, const char *node_id, cJSON *rs, const char *member,
                   const char *kind)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(rs, member);
    if (!cJSON_IsString(v))
        return;
    char *url = restoresrc_url(r, node_id, kind, v->valuestring);
    cJSON_ReplaceItemInObjectCaseSensitive(rs, member, cJSON_CreateString(url));
    free(url);
}

void restoresrc_spec_urls(region *r, const char *node_id, cJSON *spec)
{
    cJSON *rs = cJSON_GetObjectItemCaseSensitive(spec, "restore");
    if (!cJSON_IsObject(rs) || !r->cfg.agent_addr || !r->restore_key_ok ||
        !restoretoken_valid_node_id(node_id))
        return;
    to_url(r, node_id, rs, "path", "base");
    to_url(r, node_id, rs, "wal", "wal");
}
