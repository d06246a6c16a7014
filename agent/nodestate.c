/* nodestate: agent.json, the agent's durable record. See nodestate.h. */
#include "agent/nodestate.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/node.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/util.h"

void nodestate_add(nodestate *st, const char *node_id, node_goal goal, int64_t generation,
                   int64_t restarts, const node_spec *spec)
{
    st->recs = xrealloc(st->recs, (st->n + 1) * sizeof *st->recs);
    nodestate_record *r = &st->recs[st->n++];
    memset(r, 0, sizeof *r);
    r->node_id = xstrdup(node_id);
    r->goal = goal;
    r->generation = generation;
    r->restarts = restarts;
    if (!spec)
        return;
    r->has_spec = true;
    spec_copy(&r->spec, spec);
    free(r->spec.master_verifier);
    r->spec.master_verifier = NULL;
    free(r->spec.admin_verifier);
    r->spec.admin_verifier = NULL;
}

void nodestate_free(nodestate *st)
{
    for (size_t i = 0; i < st->n; i++) {
        free(st->recs[i].node_id);
        spec_free(&st->recs[i].spec);
    }
    free(st->recs);
    st->recs = NULL;
    st->n = 0;
}

/* Reads a non-negative integer member that must be exact in a double. */
static bool get_count(const cJSON *obj, const char *name, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > (double)SPEC_MAX_COUNT)
        return false;
    *out = (int64_t)it->valuedouble;
    return (double)*out == it->valuedouble;
}

static bool parse_record(const cJSON *o, nodestate *st, char *err, size_t errlen)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "node_id");
    const cJSON *goal = cJSON_GetObjectItemCaseSensitive(o, "goal");
    node_goal g;
    int64_t generation, restarts;
    if (!cJSON_IsString(id) || !node_id_valid(id->valuestring)) {
        snprintf(err, errlen, "bad node_id");
        return false;
    }
    if (!cJSON_IsString(goal) || !spec_goal_parse(goal->valuestring, &g)) {
        snprintf(err, errlen, "bad goal node_id=%s", id->valuestring);
        return false;
    }
    if (!get_count(o, "generation", &generation) || !get_count(o, "restarts", &restarts)) {
        snprintf(err, errlen, "bad generation or restarts node_id=%s", id->valuestring);
        return false;
    }
    for (size_t i = 0; i < st->n; i++) {
        if (strcmp(st->recs[i].node_id, id->valuestring) == 0) {
            snprintf(err, errlen, "duplicate node_id=%s", id->valuestring);
            return false;
        }
    }
    node_spec spec;
    char why[200];
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(o, "spec");
    if ((!js || cJSON_IsNull(js)) && g == NODE_GOAL_ABSENT) {
        nodestate_add(st, id->valuestring, g, generation, restarts, NULL);
        return true;
    }
    if (!spec_from_json(js, &spec, why, sizeof why)) {
        snprintf(err, errlen, "bad spec node_id=%s: %s", id->valuestring, why);
        return false;
    }
    nodestate_add(st, id->valuestring, g, generation, restarts, &spec);
    spec_free(&spec);
    return true;
}

bool nodestate_parse(const char *text, size_t len, nodestate *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len > NODESTATE_MAX_BYTES) {
        snprintf(err, errlen, "too large");
        return false;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    bool ok = false;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    if (!root || !cJSON_IsObject(root)) {
        snprintf(err, errlen, "not a JSON object");
        goto done;
    }
    if (!cJSON_IsNumber(version) || version->valuedouble != 1) {
        snprintf(err, errlen, "unsupported version");
        goto done;
    }
    if (!cJSON_IsArray(nodes) || cJSON_GetArraySize(nodes) > NODESTATE_MAX_NODES) {
        snprintf(err, errlen, "nodes is not an array (or too long)");
        goto done;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, nodes) {
        if (!cJSON_IsObject(it)) {
            snprintf(err, errlen, "node is not an object");
            goto done;
        }
        if (!parse_record(it, out, err, errlen))
            goto done;
    }
    ok = true;
done:
    cJSON_Delete(root);
    if (!ok)
        nodestate_free(out);
    return ok;
}

char *nodestate_render(const nodestate *st)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON *nodes = cJSON_AddArrayToObject(root, "nodes");
    for (size_t i = 0; i < st->n; i++) {
        const nodestate_record *r = &st->recs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "node_id", r->node_id);
        cJSON_AddStringToObject(o, "goal", spec_goal_name(r->goal));
        cJSON_AddNumberToObject(o, "generation", (double)r->generation);
        cJSON_AddNumberToObject(o, "restarts", (double)r->restarts);
        if (r->has_spec)
            cJSON_AddItemToObject(o, "spec", spec_to_json(&r->spec));
        cJSON_AddItemToArray(nodes, o);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        abort(); /* cJSON only fails on out-of-memory */
    char *out = xasprintf("%s\n", text);
    cJSON_free(text);
    return out;
}

bool nodestate_load(const char *path, nodestate *out)
{
    memset(out, 0, sizeof *out);
    size_t len = 0;
    char *text = fs_read_all(path, NODESTATE_MAX_BYTES, &len);
    if (!text && errno == ENOENT)
        return true;
    char err[300] = "too large";
    if (text && nodestate_parse(text, len, out, err, sizeof err)) {
        free(text);
        return true;
    }
    if (!text && errno != EFBIG) {
        LOG_ERROR("cannot read record path=%s err=%s", path, strerror(errno));
        return false;
    }
    free(text);
    char *aside = xasprintf("%s.corrupt", path);
    bool moved = rename(path, aside) == 0;
    if (moved)
        LOG_WARN("corrupt record moved aside path=%s aside=%s why=\"%s\"", path, aside, err);
    else
        LOG_ERROR("corrupt record cannot be moved aside path=%s err=%s", path, strerror(errno));
    free(aside);
    return moved;
}

bool nodestate_save(const char *path, const nodestate *st)
{
    char *text = nodestate_render(st);
    bool ok = fs_write_atomic(path, text, strlen(text), 0600);
    free(text);
    return ok;
}
