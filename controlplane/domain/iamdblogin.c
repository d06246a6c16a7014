/* iamdblogin: see iamdblogin.h. */
#include "controlplane/domain/iamdblogin.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controlplane/core/iamdbauth.h"
#include "controlplane/core/instextra.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"

static const char *str_of(const cJSON *o, const char *k, size_t max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > max)
        return NULL;
    for (const char *c = v->valuestring; *c; c++) /* printable only: these are logged */
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return NULL;
    return v->valuestring;
}

/* The decision for a well-formed question; why gets the reason. */
static bool decide(region *r, const char *agent_id, const char *node_id, const char *user,
                   const char *token, char *inst_id, size_t inst_len, char *why, size_t why_len,
                   char key_id[PRINCIPAL_KEY_ID_LEN + 1])
{
    store_node n = {0};
    store_instance in = {0};
    bool found = false, ok = false;
    if (!store_node_get(r->st, node_id, &n, &found) || !found) {
        snprintf(why, why_len, "no such node");
    } else if (!n.agent_id || strcmp(n.agent_id, agent_id) != 0) {
        snprintf(why, why_len, "the node is not this agent's");
    } else if (!store_instance_get(r->st, n.instance_id, &in, &found) || !found) {
        snprintf(why, why_len, "no instance for the node");
    } else if (snprintf(inst_id, inst_len, "%s", in.id), !instextra_iam_db_auth(&in)) {
        snprintf(why, why_len, "IAM database authentication is not enabled on the instance");
    } else {
        char *endpoint = region_endpoint_name(r, in.id);
        iamdbauth_target t = {endpoint,        (int)in.port, r->cfg.name, r->cfg.account,
                              in.resource_id, user};
        ok = iamdbauth_verify(r->principals, &t, token, (int64_t)time(NULL), why, why_len,
                              key_id);
        free(endpoint);
    }
    store_instance_clear(&in);
    store_node_clear(&n);
    return ok;
}

char *iamdblogin_agent_post(region *r, const char *agent_id, const char *body, size_t len,
                            int *status)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const char *node_id = str_of(root, "node_id", 95);
    const char *user = str_of(root, "user", IAMDBAUTH_USER_MAX);
    const char *token = str_of(root, "token", IAMDBAUTH_TOKEN_MAX);
    if (!cJSON_IsObject(root) || !node_id || !user || !token) {
        cJSON_Delete(root);
        *status = 400;
        return xstrdup("{\"error\":\"node_id, user (1-63) and token (1-4096) are required "
                       "strings\"}");
    }
    char inst[96] = "-", why[600] = "", key_id[PRINCIPAL_KEY_ID_LEN + 1] = "";
    bool allow = decide(r, agent_id, node_id, user, token, inst, sizeof inst, why, sizeof why,
                        key_id);
    if (allow)
        LOG_INFO("iam db login allowed instance=%s node=%s user=%s access_key_id=%s", inst,
                 node_id, user, key_id);
    else
        LOG_WARN("iam db login refused instance=%s node=%s user=%s access_key_id=%s why=\"%s\"",
                 inst, node_id, user, key_id[0] ? key_id : "-", why);
    cJSON_Delete(root);
    *status = 200;
    return xstrdup(allow ? "{\"allow\":true}" : "{\"allow\":false}");
}
