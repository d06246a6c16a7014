/* agents: see agents.h. */
#include "controlplane/core/agents.h"
#include "controlplane/domain/autobackup.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controlplane/net/instnet.h"
#include "controlplane/domain/maint.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/core/region.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/core/store.h"
#include "controlplane/core/validate.h"
#include "lib/log.h"
#include "lib/util.h"

#define AGENTS_MAX 64
#define AGENTS_MAX_NODES 512

typedef struct {
    char id[64];
    char az[64];
    char addr_base[32];
    int64_t last_seen_mono;
    int64_t pid;
    int nnodes;
    agent_node_report *nodes;
} agent_entry;

struct agents {
    int n;
    agent_entry list[AGENTS_MAX];
};

agents *agents_new(void)
{
    return xcalloc(1, sizeof(agents));
}

void agents_free(agents *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n; i++)
        free(a->list[i].nodes);
    free(a);
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

static bool is_addr_base(const char *s)
{
    int a, b, c, used = 0;
    return sscanf(s, "%3d.%3d.%3d%n", &a, &b, &c, &used) == 3 && (size_t)used == strlen(s) &&
           a == 127 && b >= 0 && b <= 255 && c >= 0 && c <= 255;
}

/* The PostgreSQL settings an instance class implies, the way RDS's default
 * parameter group derives them from DBInstanceClassMemory. shared_buffers
 * is capped at 1/16 of this host's memory so a simulated large class still
 * starts on one machine. */
static cJSON *agents_settings(const store_instance *in, const char *node_id)
{
    /* A rolling class change or restart runs ahead on some nodes (maint.h). */
    char cls[64];
    int64_t restart_seq = in->restart_seq;
    snprintf(cls, sizeof cls, "%s", in->db_class);
    maint_node_settings(in, node_id, cls, sizeof cls, &restart_seq);
    int64_t mib = validate_class_memory_mib(cls);
    if (mib <= 0)
        mib = 1024;
    int64_t host_mib = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) / (1024 * 1024);
    int64_t shared_mib = mib / 4; /* {DBInstanceClassMemory/32768} pages of 8 kB */
    if (host_mib > 0 && shared_mib > host_mib / 16)
        shared_mib = host_mib / 16;
    if (shared_mib < 16)
        shared_mib = 16;
    int64_t max_conn = mib * 1024 * 1024 / 9531392; /* LEAST({DBInstanceClassMemory/9531392},5000) */
    if (max_conn > 5000)
        max_conn = 5000;
    if (max_conn < 20)
        max_conn = 20;
    int64_t maint_kb = mib * 1024 * 1024 / 63963136 * 1024;
    if (maint_kb < 65536)
        maint_kb = 65536;
    cJSON *s = cJSON_CreateObject();
    char buf[64];
    snprintf(buf, sizeof buf, "%lldMB", (long long)shared_mib);
    cJSON_AddStringToObject(s, "shared_buffers", buf);
    snprintf(buf, sizeof buf, "%lld", (long long)max_conn);
    cJSON_AddStringToObject(s, "max_connections", buf);
    snprintf(buf, sizeof buf, "%lldMB", (long long)(mib * 3 / 4));
    cJSON_AddStringToObject(s, "effective_cache_size", buf);
    snprintf(buf, sizeof buf, "%lldkB", (long long)maint_kb);
    cJSON_AddStringToObject(s, "maintenance_work_mem", buf);
    /* A placeholder setting whose change makes the agent restart the node:
     * how RebootDBInstance reaches a real postmaster restart. */
    snprintf(buf, sizeof buf, "%lld", (long long)restart_seq);
    cJSON_AddStringToObject(s, "rdsim.restart_seq", buf);
    /* Writes stop while the storage is full (controlplane/storage.h). */
    if (in->status == STATUS_STORAGE_FULL)
        cJSON_AddStringToObject(s, "default_transaction_read_only", "on");
    return s;
}

/* The Multi-AZ part of a node's spec (agent/README.md): replication role,
 * supervision, the upstream of a standby, a primary's synchronous
 * standbys, and the rebuild counter. */
static void agents_spec_ha(region *r, const store_node *nd, const store_instance *in,
                           cJSON *spec)
{
    cJSON_AddStringToObject(spec, "supervise", node_supervise_name(nd->supervise));
    cJSON_AddNumberToObject(spec, "rebuild_seq", (double)nd->rebuild_seq);
    if (!in->repl_password || !*in->repl_password)
        return;
    cJSON *repl = cJSON_AddObjectToObject(spec, "replication");
    cJSON_AddStringToObject(repl, "user", "rdsrepladmin");
    cJSON_AddStringToObject(repl, "password", in->repl_password);
    if (nd->role == ROLE_PRIMARY) {
        cJSON *sync = cJSON_Parse(nd->sync_standbys ? nd->sync_standbys : "[]");
        cJSON_AddItemToObject(spec, "sync_standbys", cJSON_IsArray(sync) ? sync
                                                     : (cJSON_Delete(sync), cJSON_CreateArray()));
    } else if (nd->upstream) {
        store_node up = {0};
        bool found = false;
        if (store_node_get(r->st, nd->upstream, &up, &found)) {
            cJSON *u = cJSON_AddObjectToObject(spec, "upstream");
            cJSON_AddStringToObject(u, "node_id", up.id);
            cJSON_AddStringToObject(u, "addr", up.addr);
            cJSON_AddNumberToObject(u, "port", (double)up.port);
        }
        store_node_clear(&up);
    }
}

/* The goal list for one agent, from the store. */
static cJSON *agents_goals(region *r, const char *agent_id)
{
    cJSON *list = cJSON_CreateArray();
    store_node *nodes = NULL;
    int n = store_node_list(r->st, NULL, agent_id, &nodes);
    for (int i = 0; i < n; i++) {
        store_node *nd = &nodes[i];
        store_instance in = {0};
        bool found = false;
        store_instance_get(r->st, nd->instance_id, &in, &found);
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "node_id", nd->id);
        /* A node whose instance row is gone has no reason to exist. */
        cJSON_AddStringToObject(g, "goal", node_goal_name(found ? nd->goal : GOAL_ABSENT));
        cJSON_AddNumberToObject(g, "generation", (double)nd->generation);
        if (found) {
            cJSON *spec = cJSON_AddObjectToObject(g, "spec");
            cJSON_AddStringToObject(spec, "instance_id", in.id);
            cJSON_AddStringToObject(spec, "addr", nd->addr);
            cJSON_AddNumberToObject(spec, "port", (double)nd->port);
            cJSON_AddStringToObject(spec, "role", node_role_name(nd->role));
            cJSON_AddStringToObject(spec, "master_username", in.master_username);
            cJSON_AddStringToObject(spec, "master_password", in.master_password);
            if (in.db_name)
                cJSON_AddStringToObject(spec, "db_name", in.db_name);
            cJSON_AddItemToObject(spec, "settings", agents_settings(&in, nd->id));
            paramgroup_spec(r, &in, spec);
            agents_spec_ha(r, nd, &in, spec);
            cJSON_AddItemToObject(spec, "allowed_cidrs", instnet_allowed_cidrs(r, &in));
            if (nd->role == ROLE_PRIMARY) {
                snapshot_spec_restore(r, in.id, spec);
                autobackup_spec_restore(r, in.id, spec);
            }
        }
        cJSON_AddItemToArray(list, g);
        store_instance_clear(&in);
    }
    store_node_list_free(nodes, n < 0 ? 0 : n);
    return list;
}

static char *agents_error(int *status, const char *why)
{
    *status = 400;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", why);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

char *agents_heartbeat(region *r, const char *body, size_t len, int *status)
{
    agents *a = r->agents;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return agents_error(status, "body is not a JSON object");
    }
    char id[64], az[64], base[32];
    if (!json_str(root, "agent_id", id, sizeof id, true) || !id[0] ||
        !json_str(root, "az", az, sizeof az, true) ||
        !json_str(root, "addr_base", base, sizeof base, true)) {
        cJSON_Delete(root);
        return agents_error(status, "agent_id, az and addr_base must be strings");
    }
    if (!region_has_az(r, az) || !is_addr_base(base)) {
        cJSON_Delete(root);
        return agents_error(status, "unknown az or bad addr_base");
    }
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    int nn = cJSON_IsArray(nodes) ? cJSON_GetArraySize(nodes) : 0;
    if ((nodes && !cJSON_IsArray(nodes)) || nn > AGENTS_MAX_NODES) {
        cJSON_Delete(root);
        return agents_error(status, "nodes must be an array of at most 512");
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
            return agents_error(status, "each node needs node_id and state strings");
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
    if (!e) {
        if (a->n == AGENTS_MAX) {
            free(reports);
            return agents_error(status, "too many agents");
        }
        e = &a->list[a->n++];
        memset(e, 0, sizeof *e);
        snprintf(e->id, sizeof e->id, "%s", id);
        LOG_INFO("agent registered agent=%s az=%s addr_base=%s", id, az, base);
    }
    snprintf(e->az, sizeof e->az, "%s", az);
    snprintf(e->addr_base, sizeof e->addr_base, "%s", base);
    e->last_seen_mono = mono_ms();
    free(e->nodes);
    e->nodes = reports;
    e->nnodes = nn;

    cJSON *reply = cJSON_CreateObject();
    cJSON_AddNumberToObject(reply, "interval_ms", AGENTS_HEARTBEAT_MS);
    cJSON_AddBoolToObject(reply, "authoritative", true);
    cJSON_AddItemToObject(reply, "nodes", agents_goals(r, id));
    char *out = cJSON_PrintUnformatted(reply);
    cJSON_Delete(reply);
    *status = 200;
    return out;
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
