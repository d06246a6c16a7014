/* nodespec: see nodespec.h. */
#include "controlplane/view/nodespec.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/core/agents.h"
#include "controlplane/core/instextra.h"
#include "controlplane/core/region.h"
#include "controlplane/core/tlsca.h"
#include "controlplane/domain/autobackup.h"
#include "controlplane/domain/cluster.h"
#include "controlplane/domain/maint.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/domain/recovery.h"
#include "controlplane/domain/replica.h"
#include "controlplane/domain/restoresrc.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/net/instnet.h"
#include "lib/agentmac.h"
#include "lib/log.h"
#include "lib/util.h"

cJSON *nodespec_settings(const store_instance *in, const char *node_id, int64_t host_bytes)
{
    char cls[64];
    int64_t restart_seq = in->restart_seq;
    snprintf(cls, sizeof cls, "%s", in->db_class);
    maint_node_settings(in, node_id, cls, sizeof cls, &restart_seq);
    cJSON *s = paramgroup_system_settings(cls, host_bytes);
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)restart_seq);
    cJSON_AddStringToObject(s, "rdsim.restart_seq", buf);
    /* Writes stop while the storage is full (domain/storage.h). */
    if (in->status == STATUS_STORAGE_FULL)
        cJSON_AddStringToObject(s, "default_transaction_read_only", "on");
    return s;
}

/* The Multi-AZ part of a node's spec (agent/README.md): replication role,
 * supervision, the upstream of a standby, a primary's synchronous
 * standbys, and the rebuild counter. */
static void nodespec_ha(region *r, const store_node *nd, const store_instance *in,
                        const uint8_t *key, cJSON *spec)
{
    cJSON_AddStringToObject(spec, "supervise", node_supervise_name(nd->supervise));
    cJSON_AddNumberToObject(spec, "rebuild_seq", (double)nd->rebuild_seq);
    if (!in->repl_password || !*in->repl_password)
        return;
    cJSON *repl = cJSON_AddObjectToObject(spec, "replication");
    cJSON_AddStringToObject(repl, "user", "rdsrepladmin");
    char label[128];
    snprintf(label, sizeof label, "%s/replication", nd->id);
    char *sealed = agentmac_seal(key, label, in->repl_password);
    cJSON_AddStringToObject(repl, "password_sealed", sealed);
    free(sealed);
    if (nd->role == ROLE_PRIMARY) {
        cJSON *sync = cJSON_Parse(nd->sync_standbys ? nd->sync_standbys : "[]");
        cJSON_AddItemToObject(spec, "sync_standbys", cJSON_IsArray(sync) ? sync
                                                     : (cJSON_Delete(sync), cJSON_CreateArray()));
        /* A Multi-AZ DB cluster's writer: a commit waits for any one of
         * its two readers (domain/cluster.h). */
        if (in->cluster_id)
            cJSON_AddStringToObject(spec, "sync_method", "any");
    } else if (nd->upstream) {
        store_node up = {0};
        bool found = false;
        if (store_node_get(r->st, nd->upstream, &up, &found)) {
            cJSON *u = cJSON_AddObjectToObject(spec, "upstream");
            cJSON_AddStringToObject(u, "node_id", up.id);
            cJSON_AddStringToObject(u, "addr", up.addr);
            cJSON_AddNumberToObject(u, "port", (double)up.port);
            /* A cluster's reader follows a new writer without a rewind:
             * the failover promotes the reader with the most WAL
             * (clusterwf.h). A read replica's "follow" is domain/replica.c's. */
            if (in->cluster_id)
                cJSON_AddTrueToObject(u, "follow");
        }
        store_node_clear(&up);
    }
}

/* The CA an instance's certificates are signed by (core/tlsca.h). */
const char *nodespec_ca_id(const store_instance *in, const cJSON *extra)
{
    const char *id = instextra_str(extra, INSTEXTRA_CA_CERT);
    (void)in;
    return id ? id : TLSCA_DEFAULT;
}

/* The node's server certificate (issue 14): CN the endpoint; SANs the
 * endpoint, the public name when the instance has one, the node's own
 * name, its address. The key travels sealed under the agent's key, label
 * "<node_id>/tls_key", as every secret of the spec. No certificate (logged
 * by tlsca) leaves the spec without "tls": the agent keeps its files. */
static void nodespec_tls(region *r, const store_node *nd, const store_instance *in,
                         const uint8_t *key, cJSON *spec)
{
    if (!r->tls)
        return;
    cJSON *extra = instextra_parse(in);
    char *ca = xstrdup(nodespec_ca_id(in, extra));
    cJSON_Delete(extra);
    char *names[3];
    size_t n = 0;
    names[n++] = region_endpoint_name(r, in->id);
    if (instnet_public(in))
        names[n++] = region_public_endpoint_name(r, in->id);
    names[n++] = region_node_name(r, nd->agent_id, nd->addr);
    const char *cert = NULL, *pkey = NULL;
    if (tlsca_node_cert(r->tls, nd->id, ca, (const char *const *)names, n, nd->addr,
                        (int64_t)time(NULL), &cert, &pkey)) {
        cJSON *t = cJSON_AddObjectToObject(spec, "tls");
        cJSON_AddStringToObject(t, "ca", ca);
        cJSON_AddStringToObject(t, "cert", cert);
        char label[128];
        snprintf(label, sizeof label, "%s/tls_key", nd->id);
        char *sealed = agentmac_seal(key, label, pkey);
        cJSON_AddStringToObject(t, "key_sealed", sealed);
        free(sealed);
        if (paramgroup_force_ssl(r, in))
            cJSON_AddTrueToObject(spec, "force_ssl");
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(ca);
}

/* One node's spec; the member order is the wire's since the beginning. */
static cJSON *nodespec_spec(region *r, const store_node *nd, const store_instance *in,
                            const uint8_t *key)
{
    cJSON *spec = cJSON_CreateObject();
    cJSON_AddStringToObject(spec, "instance_id", in->id);
    cJSON_AddStringToObject(spec, "addr", nd->addr);
    cJSON_AddNumberToObject(spec, "port", (double)nd->port);
    cJSON_AddStringToObject(spec, "role", node_role_name(nd->role));
    cJSON_AddStringToObject(spec, "master_username", in->master_username);
    /* SCRAM verifiers only, never a password (core/instsecret.h). */
    if (in->master_verifier && *in->master_verifier)
        cJSON_AddStringToObject(spec, "master_verifier", in->master_verifier);
    if (in->admin_verifier && *in->admin_verifier)
        cJSON_AddStringToObject(spec, "admin_verifier", in->admin_verifier);
    if (in->db_name)
        cJSON_AddStringToObject(spec, "db_name", in->db_name);
    int64_t host = (int64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
    cJSON_AddItemToObject(spec, "settings", nodespec_settings(in, nd->id, host));
    paramgroup_spec(r, in, spec);
    nodespec_ha(r, nd, in, key, spec);
    cJSON_AddItemToObject(spec, "allowed_cidrs", instnet_allowed_cidrs(r, in));
    if (instextra_iam_db_auth(in))
        cJSON_AddTrueToObject(spec, "iam_db_auth");
    nodespec_tls(r, nd, in, key, spec);
    /* A read replica's primary node is a standby of its source's. */
    bool replica = replica_spec(r, nd, in, spec);
    if (nd->role == ROLE_PRIMARY && !replica) {
        /* Issue 13: once created, the primary's data must exist; its agent
         * never re-initialises it (agent/node.h "Data loss"). Not during a
         * create (a restore or initdb makes it) nor a recovery (the
         * spec's restore then brings a lost node back). */
        if (in->status != STATUS_CREATING && !recovery_active(r, in->id))
            cJSON_AddTrueToObject(spec, "initialized");
        snapshot_spec_restore(r, in->id, spec);
        autobackup_spec_restore(r, in->id, spec);
        restoresrc_spec_urls(r, nd->id, spec);
    }
    return spec;
}

/* The goal list for one agent, from the store. */
static cJSON *nodespec_goals(region *r, const char *agent_id, const uint8_t *key)
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
        if (found)
            cJSON_AddItemToObject(g, "spec", nodespec_spec(r, nd, &in, key));
        cJSON_AddItemToArray(list, g);
        store_instance_clear(&in);
    }
    store_node_list_free(nodes, n < 0 ? 0 : n);
    return list;
}

/* ---- the reply cache (issue 18) ----------------------------------------------
 *
 * An idle agent's heartbeat, every AGENTS_HEARTBEAT_MS, used to rebuild
 * every spec of its nodes from the store: a third of the controlplane's
 * CPU. A spec is a function of the store's state tables, the agent's key
 * and of nothing that moves by itself: the host's memory, the region's
 * names and the parameter catalogue are fixed for the process, and a
 * node's certificate (core/tlsca.h) is issued once per name set and then
 * returned as it is. So each agent's printed goal list is kept with the
 * store_generation it was built at and the key it was sealed under, and
 * sent again while both are the same. Invariants:
 *  1. A reply from the cache is the reply a fresh build would give, but
 *     for the sealed secrets: those are the same plaintexts sealed once
 *     (fresh IVs on each build, the agent opens either alike).
 *  2. Nothing read while a transaction is open is kept: what it saw may
 *     still be rolled back (store.h counts a rollback as a change too;
 *     this is the belt to those braces).
 *  3. At most AGENTS_MAX entries: one per agent the registry can hold.
 *  4. An entry older than NODESPEC_CACHE_MAX_MS is built again whatever
 *     the generation says (rdsim's own margin: a dependency this list
 *     missed, or a hand edit of the store file, lasts that long at most;
 *     an idle agent still costs one build per that time, not per beat). */
#define NODESPEC_CACHE_MAX_MS 3000

typedef struct {
    char agent_id[AGENTS_ID_MAX];
    uint8_t key[32];
    uint64_t goals_gen;   /* store_generation the goals were built at */
    int64_t goals_ms;     /* mono_ms they were built at */
    char *goals;          /* the printed "nodes" array, NULL: none kept */
    char **node_ids;      /* its node ids, for nodespec_orphans */
    int nnodes;
    uint64_t hurry_gen;   /* store_generation hurry was read at */
    int64_t hurry_ms;     /* mono_ms it was read at */
    bool hurry_known, hurry;
} spec_entry;

struct nodespec_cache {
    spec_entry *e;
    int n;
};

static void spec_entry_clear(spec_entry *e)
{
    free(e->goals);
    for (int i = 0; i < e->nnodes; i++)
        free(e->node_ids[i]);
    free(e->node_ids);
    e->goals = NULL;
    e->node_ids = NULL;
    e->nnodes = 0;
}

void nodespec_cache_free(region *r)
{
    nodespec_cache *c = r->spec_cache;
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        spec_entry_clear(&c->e[i]);
    free(c->e);
    free(c);
    r->spec_cache = NULL;
}

/* agent_id's entry, made when absent; a full cache drops its oldest. */
static spec_entry *spec_entry_of(region *r, const char *agent_id)
{
    if (!r->spec_cache)
        r->spec_cache = xcalloc(1, sizeof *r->spec_cache);
    nodespec_cache *c = r->spec_cache;
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->e[i].agent_id, agent_id) == 0)
            return &c->e[i];
    if (c->n == AGENTS_MAX) {
        spec_entry_clear(&c->e[0]);
        memmove(&c->e[0], &c->e[1], (size_t)(c->n - 1) * sizeof c->e[0]);
        c->n--;
    } else {
        c->e = xrealloc(c->e, (size_t)(c->n + 1) * sizeof c->e[0]);
    }
    spec_entry *e = &c->e[c->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->agent_id, sizeof e->agent_id, "%s", agent_id);
    return e;
}

/* cluster_agent_failing_over, read again only when the store changed
 * since the entry's answer (it reads state tables only) or the answer is
 * older than NODESPEC_CACHE_MAX_MS. */
static bool spec_hurry(region *r, spec_entry *e, const char *agent_id)
{
    uint64_t gen = store_generation(r->st);
    int64_t now = mono_ms();
    if (e->hurry_known && e->hurry_gen == gen && now - e->hurry_ms < NODESPEC_CACHE_MAX_MS)
        return e->hurry;
    bool hurry = cluster_agent_failing_over(r, agent_id);
    if (!store_in_transaction(r->st)) {
        e->hurry_known = true;
        e->hurry_gen = gen;
        e->hurry_ms = now;
        e->hurry = hurry;
    }
    return hurry;
}

/* The printed goal list of agent_id (malloc'd, the caller's), from the
 * cache when nothing it depends on changed (invariant 1), else built and
 * kept; e's node ids are the list's either way. */
static char *spec_goals(region *r, spec_entry *e, const char *agent_id, const uint8_t *key)
{
    uint64_t gen = store_generation(r->st);
    int64_t now = mono_ms();
    if (e->goals && e->goals_gen == gen && memcmp(e->key, key, sizeof e->key) == 0 &&
        now - e->goals_ms < NODESPEC_CACHE_MAX_MS)
        return xstrdup(e->goals);
    cJSON *goals = nodespec_goals(r, agent_id, key);
    char *out = cJSON_PrintUnformatted(goals);
    spec_entry_clear(e);
    int n = cJSON_GetArraySize(goals);
    e->node_ids = xcalloc((size_t)(n > 0 ? n : 1), sizeof *e->node_ids);
    const cJSON *g;
    cJSON_ArrayForEach(g, goals) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(g, "node_id");
        if (cJSON_IsString(id))
            e->node_ids[e->nnodes++] = xstrdup(id->valuestring);
    }
    cJSON_Delete(goals);
    /* Built at gen: a write during the build (none today) leaves the
     * store ahead of it, and the next heartbeat builds again. */
    if (!store_in_transaction(r->st)) {
        e->goals = xstrdup(out);
        e->goals_gen = gen;
        e->goals_ms = now;
        memcpy(e->key, key, sizeof e->key);
    }
    return out;
}

/* Logs, once per node, what the agent reports that has no row here: the
 * agent keeps such a node as it is (agent/README.md "Orphans"). */
static void nodespec_orphans(region *r, const char *agent_id, const spec_entry *e)
{
    int n = 0;
    const agent_node_report *reps = agents_node_reports(r->agents, agent_id, &n);
    for (int i = 0; i < n; i++) {
        if (reps[i].state == AGENT_NODE_ABSENT || reps[i].orphan_logged)
            continue;
        bool listed = false;
        for (int k = 0; k < e->nnodes && !listed; k++)
            listed = strcmp(e->node_ids[k], reps[i].node_id) == 0;
        if (!listed && agents_orphan_first(r->agents, agent_id, reps[i].node_id))
            LOG_WARN("orphan node: reported by its agent, unknown here; the agent keeps it "
                     "agent=%s node=%s state=%s", agent_id, reps[i].node_id,
                     agent_node_state_name(reps[i].state));
    }
}

char *nodespec_heartbeat(region *r, const char *agent_id, const uint8_t key[32], const char *body,
                         size_t len, int *status)
{
    char id[AGENTS_ID_MAX];
    char *error = NULL;
    if (!agents_record(r, body, len, id, &error)) {
        *status = 400;
        return error;
    }
    spec_entry *e = spec_entry_of(r, agent_id);
    /* Every step that waits on an agent waits for its report to change
     * (a node stopped, promoted, fenced, gone); one that waits for time
     * or a probe is the cron timer's (CRON_MS) or the probe's kick. So a
     * heartbeat with nothing new runs no pass (issue 18: two thirds of
     * them when idle), except while a cluster fails over on this agent,
     * whose chain keeps every heartbeat's pass as before. */
    bool hurry = spec_hurry(r, e, agent_id);
    if (r->pass_hook && (hurry || agents_changed(r->agents, id))) {
        r->pass_hook(r);
        /* The pass may have started (or ended) a failover: the reply
         * tells its interval after it (read again only if the pass
         * wrote anything). */
        e = spec_entry_of(r, agent_id);
        hurry = spec_hurry(r, e, agent_id);
    }
    cJSON *reply = cJSON_CreateObject();
    cJSON_AddNumberToObject(reply, "interval_ms",
                            hurry ? AGENTS_HEARTBEAT_HURRY_MS : AGENTS_HEARTBEAT_MS);
    /* Kept for older agents; an agent never deletes a node on absence. */
    cJSON_AddBoolToObject(reply, "authoritative", true);
    char *goals = spec_goals(r, e, agent_id, key);
    nodespec_orphans(r, agent_id, e);
    /* Printed as it was built: the same bytes as the tree would print. */
    cJSON_AddRawToObject(reply, "nodes", goals);
    free(goals);
    char *out = cJSON_PrintUnformatted(reply);
    cJSON_Delete(reply);
    *status = 200;
    return out;
}
