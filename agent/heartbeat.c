/* heartbeat: request rendering and reply parsing. See heartbeat.h. */
#include "agent/heartbeat.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static void add_string_or_null(cJSON *o, const char *name, const char *value)
{
    if (value)
        cJSON_AddStringToObject(o, name, value);
    else
        cJSON_AddNullToObject(o, name);
}

char *heartbeat_render_request(const heartbeat_agent *a, const node_report *nodes, size_t n,
                               const heartbeat_rejected *rej, size_t nrej)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "agent_id", a->agent_id);
    cJSON_AddStringToObject(root, "az", a->az);
    cJSON_AddStringToObject(root, "addr_base", a->addr_base);
    cJSON_AddNumberToObject(root, "pid", (double)a->pid);
    cJSON_AddNumberToObject(root, "started_at_ms", (double)a->started_at_ms);
    cJSON *arr = cJSON_AddArrayToObject(root, "nodes");
    for (size_t i = 0; i < n; i++) {
        const node_report *r = &nodes[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "node_id", r->node_id);
        cJSON_AddStringToObject(o, "state", node_state_name(r->state));
        if (r->pid > 0)
            cJSON_AddNumberToObject(o, "pid", (double)r->pid);
        else
            cJSON_AddNullToObject(o, "pid");
        add_string_or_null(o, "addr", r->spec ? r->spec->addr : NULL);
        if (r->spec)
            cJSON_AddNumberToObject(o, "port", r->spec->port);
        else
            cJSON_AddNullToObject(o, "port");
        /* The role in effect (a promotion shows only once it accepts writes). */
        add_string_or_null(o, "role", node_role_name(r->role));
        cJSON_AddNumberToObject(o, "restarts", (double)r->restarts);
        add_string_or_null(o, "error", r->error);
        cJSON_AddNumberToObject(o, "generation", (double)r->generation);
        cJSON_AddStringToObject(o, "goal", spec_goal_name(r->goal));
        add_string_or_null(o, "last_exit", r->last_exit);
        add_string_or_null(o, "rejoin", r->rejoin);
        add_string_or_null(o, "parameters_id", r->params_id);
        cJSON_AddItemToArray(arr, o);
    }
    for (size_t i = 0; i < nrej; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "node_id", rej[i].node_id);
        cJSON_AddStringToObject(o, "state", "failed");
        cJSON_AddNullToObject(o, "pid");
        cJSON_AddNumberToObject(o, "restarts", 0);
        cJSON_AddStringToObject(o, "error", rej[i].error);
        cJSON_AddNumberToObject(o, "generation", 0);
        cJSON_AddItemToArray(arr, o);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        abort(); /* cJSON only fails on out-of-memory */
    char *out = xstrdup(text);
    cJSON_free(text);
    return out;
}

void heartbeat_reply_free(heartbeat_reply *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->goals[i].node_id);
        free(r->goals[i].error);
        spec_free(&r->goals[i].spec);
    }
    free(r->goals);
    memset(r, 0, sizeof *r);
}

/* Fills g from a well-shaped entry; a bad field sets g->error. */
static void parse_goal(const cJSON *o, heartbeat_goal *g)
{
    const cJSON *goal = cJSON_GetObjectItemCaseSensitive(o, "goal");
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(o, "generation");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
    char why[200];
    if (!node_id_valid(g->node_id)) {
        g->error = xstrdup("invalid node_id: must match [a-z0-9-]{1,80}");
    } else if (!cJSON_IsString(goal) || !spec_goal_parse(goal->valuestring, &g->goal)) {
        g->error = xstrdup("invalid goal");
    } else if (!cJSON_IsNumber(gen) || gen->valuedouble < 0 ||
               gen->valuedouble > (double)SPEC_MAX_COUNT ||
               gen->valuedouble != (double)(int64_t)gen->valuedouble) {
        g->error = xstrdup("invalid generation");
    } else if ((!spec || cJSON_IsNull(spec)) && g->goal == NODE_GOAL_ABSENT) {
        g->generation = (int64_t)gen->valuedouble;
    } else if (!spec_from_json(spec, &g->spec, why, sizeof why)) {
        g->error = xasprintf("invalid spec: %s", why);
    } else {
        g->generation = (int64_t)gen->valuedouble;
        g->has_spec = true;
    }
}

/* Parses a reply tree (see heartbeat_parse_reply); root is the caller's. */
static bool parse_tree(const cJSON *root, heartbeat_reply *out, char *err, size_t errlen)
{
    bool ok = false;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "reply is not a JSON object");
        goto done;
    }
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    const cJSON *auth = cJSON_GetObjectItemCaseSensitive(root, "authoritative");
    const cJSON *interval = cJSON_GetObjectItemCaseSensitive(root, "interval_ms");
    if (!cJSON_IsArray(nodes) || cJSON_GetArraySize(nodes) > HEARTBEAT_MAX_NODES) {
        snprintf(err, errlen, "reply has no nodes array (or it is too long)");
        goto done;
    }
    if (auth && !cJSON_IsBool(auth)) {
        snprintf(err, errlen, "authoritative is not a boolean");
        goto done;
    }
    out->authoritative = cJSON_IsTrue(auth);
    if (cJSON_IsNumber(interval) && interval->valuedouble >= 50 && interval->valuedouble <= 60000)
        out->interval_ms = (int)interval->valuedouble;
    out->goals = xcalloc((size_t)cJSON_GetArraySize(nodes) + 1, sizeof *out->goals);
    const cJSON *it;
    cJSON_ArrayForEach(it, nodes) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "node_id");
        if (!cJSON_IsObject(it) || !cJSON_IsString(id) || strlen(id->valuestring) > 200) {
            snprintf(err, errlen, "node entry without a usable node_id");
            goto done;
        }
        for (size_t i = 0; i < out->n; i++) {
            if (strcmp(out->goals[i].node_id, id->valuestring) == 0) {
                snprintf(err, errlen, "duplicate node_id in reply");
                goto done;
            }
        }
        heartbeat_goal *g = &out->goals[out->n++];
        g->node_id = xstrdup(id->valuestring);
        parse_goal(it, g);
    }
    ok = true;
done:
    if (!ok)
        heartbeat_reply_free(out);
    return ok;
}

bool heartbeat_parse_reply(const char *body, size_t len, heartbeat_reply *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len > HEARTBEAT_MAX_REPLY) {
        snprintf(err, errlen, "reply too large");
        return false;
    }
    cJSON *root = cJSON_ParseWithLength(body, len);
    bool ok = parse_tree(root, out, err, errlen);
    cJSON_Delete(root);
    return ok;
}

/* Replaces obj's member sealed (if any) by plain, opened under key with
 * label; false (err set) for a plain-text secret or a seal that does not open. */
static bool unseal_member(cJSON *obj, const char *plain, const char *sealed, const uint8_t *key,
                          const char *label, char *err, size_t errlen)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, plain)) {
        snprintf(err, errlen, "reply carries %s in plain text", plain);
        return false;
    }
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, sealed);
    if (!s)
        return true;
    char *open = cJSON_IsString(s) ? agentmac_open(key, label, s->valuestring) : NULL;
    if (!open) {
        snprintf(err, errlen, "%s does not open with this agent's key", sealed);
        return false;
    }
    cJSON_AddStringToObject(obj, plain, open);
    OPENSSL_cleanse(open, strlen(open));
    free(open);
    cJSON_DeleteItemFromObjectCaseSensitive(obj, sealed);
    return true;
}

/* Opens every sealed secret of the reply tree in place. */
static bool unseal_tree(cJSON *root, const uint8_t *key, char *err, size_t errlen)
{
    cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    cJSON *it;
    cJSON_ArrayForEach(it, nodes) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "node_id");
        cJSON *spec = cJSON_GetObjectItemCaseSensitive(it, "spec");
        if (!cJSON_IsString(id) || !cJSON_IsObject(spec))
            continue; /* parse_tree judges the shape */
        /* The master password never travels (only its SCRAM verifier):
         * a reply that carries it, plain or sealed, is refused whole. */
        if (cJSON_GetObjectItemCaseSensitive(spec, "master_password") ||
            cJSON_GetObjectItemCaseSensitive(spec, "master_password_sealed")) {
            snprintf(err, errlen, "reply carries master_password in plain text");
            return false;
        }
        char label[128];
        cJSON *repl = cJSON_GetObjectItemCaseSensitive(spec, "replication");
        snprintf(label, sizeof label, "%.100s/replication", id->valuestring);
        if (cJSON_IsObject(repl) &&
            !unseal_member(repl, "password", "password_sealed", key, label, err, errlen))
            return false;
        /* The node's TLS key, sealed like the replication password. */
        cJSON *tls = cJSON_GetObjectItemCaseSensitive(spec, "tls");
        snprintf(label, sizeof label, "%.100s/tls_key", id->valuestring);
        if (cJSON_IsObject(tls) && !unseal_member(tls, "key", "key_sealed", key, label, err, errlen))
            return false;
    }
    return true;
}

bool heartbeat_parse_sealed_reply(const char *body, size_t len, const uint8_t key[AGENTMAC_KEY_LEN],
                                  heartbeat_reply *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len > HEARTBEAT_MAX_REPLY) {
        snprintf(err, errlen, "reply too large");
        return false;
    }
    cJSON *root = cJSON_ParseWithLength(body, len);
    bool ok = cJSON_IsObject(root) && unseal_tree(root, key, err, errlen);
    if (ok || !cJSON_IsObject(root))
        ok = parse_tree(root, out, err, errlen);
    cJSON_Delete(root);
    return ok;
}

/* ---- authentication ------------------------------------------------------------ */

void heartbeat_auth_request(heartbeat_auth *h, const uint8_t key[AGENTMAC_KEY_LEN],
                            const char *agent_id, const char *path, const char *body, size_t len,
                            int64_t now_ms)
{
    snprintf(h->agent_id, sizeof h->agent_id, "%s", agent_id);
    snprintf(h->path, sizeof h->path, "%s", path);
    agentmac_time(now_ms, h->time);
    agentmac_nonce(h->nonce);
    agentmac_sign(key, AGENTMAC_REQUEST, "POST", h->path, h->agent_id, h->time, h->nonce, body,
                  len, h->sig);
    const char *hdrs[9] = {AGENTMAC_H_AGENT, h->agent_id, AGENTMAC_H_TIME, h->time,
                           AGENTMAC_H_NONCE, h->nonce, AGENTMAC_H_SIG, h->sig, NULL};
    memcpy(h->headers, hdrs, sizeof hdrs);
}

agentmac_result heartbeat_auth_reply(const heartbeat_auth *h, const uint8_t key[AGENTMAC_KEY_LEN],
                                     int status, const char *time, const char *sig,
                                     const char *body, size_t len, int64_t now_ms)
{
    char st[16];
    snprintf(st, sizeof st, "%d", status);
    return agentmac_verify(key, AGENTMAC_REPLY, st, h->path, h->agent_id, time, h->nonce, body,
                           len, sig, now_ms, NULL);
}
