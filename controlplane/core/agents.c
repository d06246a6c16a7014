/* agents: see agents.h. */
#include "controlplane/core/agents.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "controlplane/core/region.h"
#include "lib/agentmac.h"
#include "lib/cidr.h"
#include "lib/log.h"
#include "lib/util.h"

#define AGENTS_MAX_NODES 512

typedef struct {
    char id[AGENTS_ID_MAX];
    char az[64];
    char addr_base[32];
    int64_t last_seen_mono;
    uint64_t seen_seq;      /* orders heartbeats within one ms */
    int64_t pid;
    int nnodes;
    agent_node_report *nodes;
    bool changed;           /* the last heartbeat said something new (agents_changed) */
} agent_entry;

/* Enough for 64 agents at 8 requests a second over the 120 s a nonce is
 * remembered; a full cache refuses requests (agentmac.h, invariant 2). */
#define AGENTS_REPLAY_CAP 65536

struct agents {
    int n;
    agent_entry list[AGENTS_MAX];
    int64_t stale_ms;       /* agents_set_stale_ms */
    uint64_t seq;
    char *key_dir;
    agentmac_replay *replay;
};

agents *agents_new(void)
{
    agents *a = xcalloc(1, sizeof(agents));
    a->replay = agentmac_replay_new(AGENTS_REPLAY_CAP);
    a->stale_ms = AGENTS_STALE_MS;
    return a;
}

void agents_free(agents *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n; i++)
        free(a->list[i].nodes);
    agentmac_replay_free(a->replay);
    free(a->key_dir);
    free(a);
}

void agents_set_stale_ms(agents *a, int64_t ms)
{
    a->stale_ms = ms;
}

/* A full registry makes room for a new agent by forgetting the one heard
 * from least recently, if it has been silent for stale_ms (a host gone for
 * good, or one whose key was revoked); true when a slot was freed. */
static bool agents_evict_stale(agents *a, int64_t now)
{
    int old = -1;
    for (int i = 0; i < a->n; i++)
        if (old < 0 || a->list[i].last_seen_mono < a->list[old].last_seen_mono ||
            (a->list[i].last_seen_mono == a->list[old].last_seen_mono &&
             a->list[i].seen_seq < a->list[old].seen_seq))
            old = i;
    if (old < 0 || now - a->list[old].last_seen_mono < a->stale_ms)
        return false;
    LOG_WARN("agent forgotten to make room agent=%s silent_ms=%lld", a->list[old].id,
             (long long)(now - a->list[old].last_seen_mono));
    free(a->list[old].nodes);
    a->list[old] = a->list[--a->n];
    return true;
}

void agents_set_key_dir(agents *a, const char *dir)
{
    free(a->key_dir);
    a->key_dir = dir ? xstrdup(dir) : NULL;
    struct stat st;
    /* A missing one is fine: region.sh makes it after the controlplane starts. */
    if (dir && stat(dir, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        LOG_WARN("agent key directory is open to group or others (key files must be 0600) "
                 "dir=%s mode=%o", dir, (unsigned)(st.st_mode & 0777));
}

char *agents_error_json(const char *why)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", why);
    char *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!out)
        abort(); /* cJSON only fails on out-of-memory */
    return out;
}

bool agents_authenticate(agents *a, const agents_auth_in *in, const char *path, const char *body,
                         size_t len, uint8_t key[32], int *status, char **error)
{
    char why[600];
    if (!in->agent_id) {
        *status = 401;
        snprintf(why, sizeof why, "%s", agentmac_result_name(AGENTMAC_MISSING));
        goto refused;
    }
    if (!agentmac_id_valid(in->agent_id) || !a->key_dir) {
        *status = 403;
        snprintf(why, sizeof why, "unknown agent");
        goto refused;
    }
    char *kpath = xasprintf("%s/%s.key", a->key_dir, in->agent_id);
    char kerr[512];
    bool have = agentmac_key_load(kpath, key, kerr, sizeof kerr);
    free(kpath);
    if (!have) {
        LOG_WARN("agent key unusable agent=%s why=\"%s\"", in->agent_id, kerr);
        *status = 403;
        snprintf(why, sizeof why, "unknown agent");
        goto refused;
    }
    agentmac_result res = agentmac_verify(key, AGENTMAC_REQUEST, "POST", path, in->agent_id,
                                          in->time, in->nonce, body, len, in->sig, wall_ms(),
                                          a->replay);
    if (res == AGENTMAC_OK)
        return true;
    OPENSSL_cleanse(key, 32);
    *status = 401;
    snprintf(why, sizeof why, "%s", agentmac_result_name(res));
refused:
    LOG_WARN("agent request refused path=%s agent=%s status=%d why=\"%s\"", path,
             in->agent_id && agentmac_id_valid(in->agent_id) ? in->agent_id : "(invalid)", *status,
             why);
    *error = agents_error_json(why);
    return false;
}

bool agents_body_agent_is(const char *body, size_t len, const char *id)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "agent_id");
    bool same = cJSON_IsString(v) && strcmp(v->valuestring, id) == 0;
    cJSON_Delete(root);
    return same;
}

static agent_entry *agents_find(const agents *a, const char *id)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->list[i].id, id) == 0)
            return (agent_entry *)&a->list[i];
    return NULL;
}

/* Copies a JSON string member into dst (bounded); false if absent, not a
 * string, or too long. */
static bool json_str(const cJSON *obj, const char *name, char *dst, size_t size, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v || cJSON_IsNull(v)) {
        dst[0] = '\0';
        return !required;
    }
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
        return false;
    memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
    return true;
}

static int64_t json_int(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* "A.B.C" whose /24 lies inside the region's VPC (127.0.0.0/8, or the
 * namespace block) and outside the region's own addresses. */
static bool is_addr_base(const region *r, const char *s)
{
    int a, b, c, used = 0;
    if (sscanf(s, "%3d.%3d.%3d%n", &a, &b, &c, &used) != 3 || (size_t)used != strlen(s) ||
        a < 0 || a > 255 || b < 0 || b > 255 || c < 0 || c > 255)
        return false;
    cidr vpc, own, host = {.addr = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8,
                           .prefix = 24};
    return cidr_parse(region_vpc_cidr(r), &vpc) && cidr_parse(region_own_cidr(r), &own) &&
           cidr_covers(&vpc, &host) && !cidr_overlaps(&own, &host);
}

/* Sets *error to the 400 reply for why; returns false for the caller. */
static bool agents_error(char **error, const char *why)
{
    *error = agents_error_json(why);
    return false;
}

/* The same report of one node: every field the controlplane reads
 * (orphan_logged is ours, not the agent's). */
static bool report_same(const agent_node_report *x, const agent_node_report *y)
{
    return strcmp(x->node_id, y->node_id) == 0 && x->state == y->state && x->pid == y->pid &&
           x->restarts == y->restarts && x->generation == y->generation &&
           x->has_role == y->has_role && (!x->has_role || x->role == y->role) &&
           strcmp(x->error, y->error) == 0 && strcmp(x->parameters_id, y->parameters_id) == 0;
}

/* true when the node reports nw (n of them) differ from e's last ones in
 * anything but their order. */
static bool reports_differ(const agent_entry *e, const agent_node_report *nw, int n)
{
    if (n != e->nnodes)
        return true;
    for (int k = 0; k < n; k++) {
        /* Agents send their nodes in a stable order: the same index first. */
        if (report_same(&nw[k], &e->nodes[k]))
            continue;
        bool found = false;
        for (int j = 0; j < n && !found; j++)
            found = report_same(&nw[k], &e->nodes[j]);
        if (!found)
            return true;
    }
    return false;
}

bool agents_record(region *r, const char *body, size_t len, char agent_id[AGENTS_ID_MAX],
                   char **error)
{
    agents *a = r->agents;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return agents_error(error, "body is not a JSON object");
    }
    char id[AGENTS_ID_MAX], az[64], base[32];
    if (!json_str(root, "agent_id", id, sizeof id, true) || !id[0] ||
        !json_str(root, "az", az, sizeof az, true) ||
        !json_str(root, "addr_base", base, sizeof base, true)) {
        cJSON_Delete(root);
        return agents_error(error, "agent_id, az and addr_base must be strings");
    }
    if (!region_has_az(r, az) || !is_addr_base(r, base)) {
        cJSON_Delete(root);
        return agents_error(error, "unknown az or bad addr_base");
    }
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    int nn = cJSON_IsArray(nodes) ? cJSON_GetArraySize(nodes) : 0;
    if ((nodes && !cJSON_IsArray(nodes)) || nn > AGENTS_MAX_NODES) {
        cJSON_Delete(root);
        return agents_error(error, "nodes must be an array of at most 512");
    }
    agent_node_report *reports = xcalloc((size_t)(nn ? nn : 1), sizeof *reports);
    int i = 0;
    const cJSON *nd;
    cJSON_ArrayForEach(nd, nodes) {
        agent_node_report *rep = &reports[i];
        char state[24], role[16];
        if (!cJSON_IsObject(nd) ||
            !json_str(nd, "node_id", rep->node_id, sizeof rep->node_id, true) ||
            !json_str(nd, "state", state, sizeof state, true)) {
            free(reports);
            cJSON_Delete(root);
            return agents_error(error, "each node needs node_id and state strings");
        }
        if (!json_str(nd, "error", rep->error, sizeof rep->error, false))
            snprintf(rep->error, sizeof rep->error, "(unreadable error)");
        if (!agent_node_state_parse(state, &rep->state))
            rep->state = AGENT_NODE_OTHER; /* accepted; matches no test, as before */
        rep->has_role = json_str(nd, "role", role, sizeof role, false) &&
                        node_role_parse(role, &rep->role);
        if (!json_str(nd, "parameters_id", rep->parameters_id, sizeof rep->parameters_id, false))
            rep->parameters_id[0] = '\0';
        rep->pid = json_int(nd, "pid");
        rep->restarts = json_int(nd, "restarts");
        rep->generation = json_int(nd, "generation");
        i++;
    }
    cJSON_Delete(root);

    agent_entry *e = agents_find(a, id);
    int64_t now = mono_ms();
    /* New, back from silence (every caller's "alive" turned false), moved,
     * or a node report not as before. */
    bool changed = !e || now - e->last_seen_mono > r->cfg.agent_timeout_ms ||
                   strcmp(e->az, az) != 0 || strcmp(e->addr_base, base) != 0 ||
                   reports_differ(e, reports, nn);
    if (!e) {
        if (a->n == AGENTS_MAX && !agents_evict_stale(a, mono_ms())) {
            free(reports);
            LOG_WARN("agent refused: registry full agent=%s max=%d", id, AGENTS_MAX);
            return agents_error(error, "too many agents");
        }
        e = &a->list[a->n++];
        memset(e, 0, sizeof *e);
        snprintf(e->id, sizeof e->id, "%s", id);
        LOG_INFO("agent registered agent=%s az=%s addr_base=%s", id, az, base);
    }
    snprintf(e->az, sizeof e->az, "%s", az);
    snprintf(e->addr_base, sizeof e->addr_base, "%s", base);
    e->last_seen_mono = now;
    e->seen_seq = ++a->seq;
    e->changed = changed;
    for (int k = 0; k < nn; k++)
        for (int j = 0; j < e->nnodes; j++)
            if (strcmp(e->nodes[j].node_id, reports[k].node_id) == 0)
                reports[k].orphan_logged = e->nodes[j].orphan_logged;
    free(e->nodes);
    e->nodes = reports;
    e->nnodes = nn;
    memcpy(agent_id, e->id, sizeof e->id);
    return true;
}

bool agents_changed(const agents *a, const char *agent_id)
{
    const agent_entry *e = agents_find(a, agent_id);
    return !e || e->changed;
}

const agent_node_report *agents_node_report(const agents *a, const char *agent_id,
                                            const char *node_id)
{
    agent_entry *e = agents_find(a, agent_id);
    if (!e)
        return NULL;
    for (int i = 0; i < e->nnodes; i++)
        if (strcmp(e->nodes[i].node_id, node_id) == 0)
            return &e->nodes[i];
    return NULL;
}

bool agents_alive(const agents *a, const char *agent_id, int64_t timeout_ms)
{
    agent_entry *e = agents_find(a, agent_id);
    return e && mono_ms() - e->last_seen_mono <= timeout_ms;
}

int64_t agents_last_seen(const agents *a, const char *agent_id)
{
    agent_entry *e = agents_find(a, agent_id);
    return e ? e->last_seen_mono : 0;
}

const char *agents_addr_base(const agents *a, const char *agent_id)
{
    agent_entry *e = agents_find(a, agent_id);
    return e ? e->addr_base : NULL;
}

const char *agents_in_az(const agents *a, const char *az, int64_t timeout_ms)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->list[i].az, az) == 0 && mono_ms() - a->list[i].last_seen_mono <= timeout_ms)
            return a->list[i].id;
    return NULL;
}

int agents_count(const agents *a)
{
    return a->n;
}

const agent_node_report *agents_node_reports(const agents *a, const char *agent_id, int *n)
{
    agent_entry *e = agents_find(a, agent_id);
    *n = e ? e->nnodes : 0;
    return e ? e->nodes : NULL;
}

bool agents_orphan_first(agents *a, const char *agent_id, const char *node_id)
{
    agent_node_report *rep = (agent_node_report *)agents_node_report(a, agent_id, node_id);
    if (!rep || rep->orphan_logged)
        return false;
    rep->orphan_logged = true;
    return true;
}
