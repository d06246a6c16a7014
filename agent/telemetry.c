/* telemetry: see telemetry.h.
 *
 * Invariants:
 *  1. At most one request in flight; a tick that finds one out does nothing.
 *  2. Log bytes of a node go out only once a reply told the node's sizes
 *     (known), and always from exactly that size: the controlplane appends
 *     a chunk only at its own end, so a lost reply costs a resend, never a
 *     hole or a duplicate.
 *  3. A request's log data takes at most `budget` bytes as JSON
 *     (TELEMETRY_LOG_BUDGET unless 413s shrank it), each node at most its
 *     equal share: the body stays under TELEMETRY_BODY_MAX whatever bytes
 *     the tenants logged. */
#include "agent/telemetry.h"

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/dusage.h"
#include "agent/heartbeat.h"
#include "agent/osmetrics.h"
#include "agent/diskstats.h"
#include "agent/pgcounters.h"
#include "agent/sockdiag.h"
#include "agent/pglogs.h"
#include "lib/fsutil.h"
#include "lib/httpc.h"
#include "lib/log.h"
#include "lib/util.h"

/* A data directory's walk costs ~1 ms per 40 files on a loaded host (28 ms
 * for a fresh instance's 1000 files, measured): every 5 s, not every tick. */
enum { MAX_NODES = 64, TIMEOUT_S = 5, DUSAGE_EVERY_MS = 5000, PGC_EVERY_MS = 10000 };

typedef struct {
    char rds_name[80];
    int64_t size;
} shipped;

typedef struct {
    char *node_id;
    int interval_s;         /* from the last reply; 0: off */
    int64_t next_sample_ms; /* monotonic */
    int64_t next_du_ms;     /* monotonic: when to measure data_bytes again */
    int64_t next_pgc_ms;    /* monotonic: when to read the CloudWatch counters again */
    osm_state *osm;
    sdg_table net;          /* the node's TCP sockets (agent/sockdiag.h) */
    bool net_ok;            /* a dump has succeeded */
    bool known;             /* invariant 2 */
    shipped files[PGLOGS_MAX_FILES];
    int nfiles;
    bool seen;              /* listed by this tick */
} tnode;

struct telemetry {
    struct event_base *base;
    char *url, *agent_id, *nodes_dir;
    telemetry_list_fn list;
    void *arg;
    struct event *tick;
    /* A one-shot twin of tick for a backlog: activating the persistent
     * tick by hand would push its next run one interval later each time. */
    struct event *kick;
    bool in_flight;
    bool failing;           /* last request failed: logged once */
    size_t budget;          /* invariant 3 */
    int64_t budget_ms;      /* monotonic: when budget last changed */
    bool backlog;           /* the request in flight left log bytes behind */
    bool chunks;            /* the request in flight carries log bytes */
    tnode nodes[MAX_NODES];
    int nnodes;
    uint8_t key[AGENTMAC_KEY_LEN];
    heartbeat_auth auth;    /* of the request in flight */
};

static tnode *tnode_get(telemetry *t, const char *id, bool create)
{
    for (int i = 0; i < t->nnodes; i++)
        if (strcmp(t->nodes[i].node_id, id) == 0)
            return &t->nodes[i];
    if (!create || t->nnodes >= MAX_NODES)
        return NULL;
    tnode *n = &t->nodes[t->nnodes++];
    memset(n, 0, sizeof *n);
    n->node_id = xstrdup(id);
    return n;
}

static void tnode_clear(tnode *n)
{
    free(n->node_id);
    osm_state_free(n->osm);
    sdg_free(&n->net);
}

/* Forgets nodes the agent no longer has. */
static void tnodes_sweep(telemetry *t)
{
    int kept = 0;
    for (int i = 0; i < t->nnodes; i++) {
        if (!t->nodes[i].seen) {
            tnode_clear(&t->nodes[i]);
            continue;
        }
        t->nodes[kept++] = t->nodes[i];
    }
    t->nnodes = kept;
}

static int64_t shipped_size(const tnode *n, const char *rds_name)
{
    for (int i = 0; i < n->nfiles; i++)
        if (strcmp(n->files[i].rds_name, rds_name) == 0)
            return n->files[i].size;
    return 0;
}

/* log_files and, when known, log_chunks of one node, at most `budget`
 * bytes of them as JSON (invariant 3); sets t->backlog when bytes remain. */
static void add_logs(telemetry *t, tnode *n, cJSON *o, size_t budget)
{
    /* The pg user's directory: never through a symlink (lib/fsutil.h). */
    char *rel = xasprintf("%s/log", n->node_id);
    int dir = fs_dir_open_beneath(t->nodes_dir, rel);
    free(rel);
    pglogs_file *files = xcalloc(PGLOGS_MAX_FILES, sizeof *files);
    int nf = dir < 0 ? -1
                     : pglogs_list(dir, wall_ms(), PGLOGS_RETENTION_MS, files, PGLOGS_MAX_FILES);
    cJSON *list = cJSON_AddArrayToObject(o, "log_files");
    cJSON *chunks = cJSON_AddArrayToObject(o, "log_chunks");
    for (int i = 0; i < nf; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "name", files[i].rds_name);
        cJSON_AddNumberToObject(f, "size", (double)files[i].size);
        cJSON_AddNumberToObject(f, "mtime_ms", (double)files[i].mtime_ms);
        cJSON_AddItemToArray(list, f);
        int64_t have = shipped_size(n, files[i].rds_name);
        if (!n->known || have >= files[i].size)
            continue;
        size_t want = (size_t)(files[i].size - have);
        if (budget < 6) { /* not even one control byte fits */
            t->backlog = true;
            continue;
        }
        /* A byte is at least one byte of JSON: budget raw bytes suffice. */
        size_t len = 0, enc = 0;
        char *data = pglogs_read(dir, files[i].file, have, want < budget ? want : budget, &len);
        if (data && len > 0) {
            /* JSON strings carry text: a NUL would cut it short. */
            for (size_t k = 0; k < len; k++)
                if (data[k] == '\0')
                    data[k] = ' ';
            len = pglogs_json_fit(data, len, budget, &enc);
            data[len] = '\0';
            if (len < want)
                t->backlog = true;
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "name", files[i].rds_name);
            cJSON_AddNumberToObject(c, "offset", (double)have);
            cJSON_AddStringToObject(c, "data", data);
            cJSON_AddItemToArray(chunks, c);
            budget -= enc;
            t->chunks = true;
        }
        free(data);
    }
    free(files);
    if (dir >= 0)
        close(dir);
}

static void add_sample(telemetry *t, tnode *n, pid_t pid, cJSON *o)
{
    int64_t now = mono_ms();
    if (n->interval_s <= 0 || pid <= 0 || now < n->next_sample_ms)
        return;
    if (!n->osm) {
        /* The first reading only primes the rates. */
        n->osm = osm_state_new();
        char *dd = xasprintf("%s/%s/data", t->nodes_dir, n->node_id);
        cJSON_Delete(osm_sample(n->osm, pid, dd));
        free(dd);
        n->next_sample_ms = now + n->interval_s * 1000;
        return;
    }
    char *dd = xasprintf("%s/%s/data", t->nodes_dir, n->node_id);
    cJSON *s = osm_sample(n->osm, pid, dd);
    free(dd);
    if (s)
        cJSON_AddItemToObject(o, "os", s);
    /* Keep the cadence, but never fall behind by more than a tick. */
    n->next_sample_ms += n->interval_s * 1000;
    if (n->next_sample_ms < now)
        n->next_sample_ms = now + n->interval_s * 1000;
}

static void apply_reply(telemetry *t, const char *body, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    const cJSON *e, *map = cJSON_IsObject(nodes) ? nodes : NULL;
    cJSON_ArrayForEach(e, map) {
        tnode *n = e->string ? tnode_get(t, e->string, false) : NULL;
        if (!n)
            continue;
        const cJSON *mi = cJSON_GetObjectItemCaseSensitive(e, "monitoring_interval");
        int interval = cJSON_IsNumber(mi) && mi->valueint >= 0 && mi->valueint <= 60
                           ? mi->valueint : 0;
        if (interval != n->interval_s) {
            LOG_INFO("monitoring interval node_id=%s interval_s=%d", n->node_id, interval);
            n->interval_s = interval;
            n->next_sample_ms = 0;
            osm_state_free(n->osm);
            n->osm = NULL;
        }
        const cJSON *sizes = cJSON_GetObjectItemCaseSensitive(e, "log_sizes");
        n->nfiles = 0;
        const cJSON *f, *smap = cJSON_IsObject(sizes) ? sizes : NULL;
        cJSON_ArrayForEach(f, smap) {
            if (n->nfiles >= PGLOGS_MAX_FILES || !cJSON_IsNumber(f) || !f->string ||
                strlen(f->string) >= sizeof n->files[0].rds_name)
                continue;
            snprintf(n->files[n->nfiles].rds_name, sizeof n->files[0].rds_name, "%s", f->string);
            n->files[n->nfiles++].size = (int64_t)f->valuedouble;
        }
        n->known = true;
    }
    cJSON_Delete(root);
}

/* A request with log bytes refused as too large: the same bytes must not
 * be offered again unchanged, so the budget halves (invariant 3). libevent
 * answers 413 and closes before reading the body, so the client mostly
 * sees its write fail (status 0), not the 413: a failed request that
 * carried chunks counts too. After a failure the next request carries
 * none (sizes forgotten), so an unreachable controlplane halves it once. */
static void shrink_budget(telemetry *t, int status)
{
    size_t was = t->budget;
    t->budget = t->budget / 2 < TELEMETRY_LOG_BUDGET_MIN ? TELEMETRY_LOG_BUDGET_MIN
                                                         : t->budget / 2;
    t->budget_ms = mono_ms();
    if (t->budget != was)
        LOG_WARN("telemetry with log bytes refused, budget halved status=%d log_budget_was=%zu "
                 "log_budget=%zu", status, was, t->budget);
}

/* A budget halved by a mere outage grows back, doubling at most once a
 * minute, so a limit between two budgets costs one failure a minute. */
static void regrow_budget(telemetry *t)
{
    if (t->budget >= TELEMETRY_LOG_BUDGET || mono_ms() - t->budget_ms < 60000)
        return;
    t->budget = t->budget * 2 > TELEMETRY_LOG_BUDGET ? TELEMETRY_LOG_BUDGET : t->budget * 2;
    t->budget_ms = mono_ms();
    LOG_INFO("telemetry log budget grown log_budget=%zu", t->budget);
}

/* The nodes' log chunks removed from root (a body over the limit). */
static void drop_chunks(cJSON *root)
{
    cJSON *o, *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    cJSON_ArrayForEach(o, nodes)
        cJSON_DeleteItemFromObjectCaseSensitive(o, "log_chunks");
}

static void on_reply(int status, const char *body, size_t len, const struct evkeyvalq *headers,
                     void *arg)
{
    telemetry *t = arg;
    t->in_flight = false;
    if (status == 413 || (status == 0 && t->chunks))
        shrink_budget(t, status);
    agentmac_result auth = AGENTMAC_MISSING;
    if (status == 200 && headers)
        auth = heartbeat_auth_reply(&t->auth, t->key, status,
                                    evhttp_find_header(headers, AGENTMAC_H_TIME),
                                    evhttp_find_header(headers, AGENTMAC_H_SIG), body, len,
                                    wall_ms());
    if (status != 200 || auth != AGENTMAC_OK) {
        if (!t->failing)
            LOG_WARN("telemetry not accepted status=%d url=%s auth=\"%s\"", status, t->url,
                     status == 200 ? agentmac_result_name(auth) : "-");
        t->failing = true;
        /* Sizes may be stale: ask again before sending bytes. */
        for (int i = 0; i < t->nnodes; i++)
            t->nodes[i].known = false;
        return;
    }
    t->failing = false;
    if (t->chunks)
        regrow_budget(t);
    apply_reply(t, body, len);
    if (t->backlog)
        event_active(t->kick, EV_TIMEOUT, 0); /* more bytes wait: no need to wait a tick */
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    telemetry *t = arg;
    if (t->in_flight)
        return; /* invariant 1 */
    telemetry_node list[MAX_NODES];
    int n = t->list(t->arg, list, MAX_NODES);
    for (int i = 0; i < t->nnodes; i++)
        t->nodes[i].seen = false;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "agent_id", t->agent_id);
    cJSON *arr = cJSON_AddArrayToObject(root, "nodes");
    t->backlog = t->chunks = false;
    size_t share = t->budget / (size_t)(n > 0 ? n : 1); /* invariant 3 */
    for (int i = 0; i < n; i++) {
        tnode *tn = tnode_get(t, list[i].node_id, true);
        if (!tn)
            continue;
        tn->seen = true;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "node_id", list[i].node_id);
        cJSON_AddStringToObject(o, "instance_id", list[i].instance_id);
        if (mono_ms() >= tn->next_du_ms) {
            char *dd = xasprintf("%s/%s/data", t->nodes_dir, list[i].node_id);
            int64_t bytes;
            if (dusage_bytes(dd, &bytes))
                cJSON_AddNumberToObject(o, "data_bytes", (double)bytes);
            free(dd);
            tn->next_du_ms = mono_ms() + DUSAGE_EVERY_MS;
        }
        if (list[i].pid > 0 && list[i].addr && sdg_sample(&tn->net, list[i].addr))
            tn->net_ok = true; /* every second: a short connection's bytes are seen */
        if (list[i].pid > 0 && mono_ms() >= tn->next_pgc_ms) {
            cJSON *pgc = pgc_read(list[i].pid);
            if (pgc)
                cJSON_AddItemToObject(o, "pgc", pgc);
            char *dd = xasprintf("%s/%s/data", t->nodes_dir, list[i].node_id);
            cJSON *disk = pgc ? dsk_read(dd) : NULL;
            if (disk)
                cJSON_AddItemToObject(pgc, "disk", disk);
            free(dd);
            if (pgc && tn->net_ok) {
                uint64_t rx, tx;
                sdg_totals(&tn->net, &rx, &tx);
                cJSON *net = cJSON_AddObjectToObject(pgc, "net");
                cJSON_AddNumberToObject(net, "rx", (double)rx);
                cJSON_AddNumberToObject(net, "tx", (double)tx);
            }
            tn->next_pgc_ms = mono_ms() + PGC_EVERY_MS;
        }
        add_sample(t, tn, list[i].pid, o);
        add_logs(t, tn, o, share);
        cJSON_AddItemToArray(arr, o);
    }
    tnodes_sweep(t);
    char *body = cJSON_PrintUnformatted(root);
    if (strlen(body) > TELEMETRY_BODY_MAX) {
        /* Only the listings and samples left: they are small by nature. */
        LOG_WARN("telemetry body over the limit, sent without log bytes bytes=%zu max=%d",
                 strlen(body), TELEMETRY_BODY_MAX);
        free(body);
        drop_chunks(root);
        t->backlog = t->chunks = false;
        body = cJSON_PrintUnformatted(root);
    }
    cJSON_Delete(root);
    heartbeat_auth_request(&t->auth, t->key, t->agent_id, TELEMETRY_PATH, body, strlen(body),
                           wall_ms());
    httpc_opts opts = {.method = "POST", .content_type = "application/json",
                       .accept = "application/json", .body = body, .body_len = strlen(body),
                       .timeout_s = TIMEOUT_S, .headers = t->auth.headers};
    t->in_flight = httpc_request_h(t->base, t->url, &opts, on_reply, t);
    free(body);
}

telemetry *telemetry_new(struct event_base *base, const char *controlplane, const char *agent_id,
                         const uint8_t *key, const char *nodes_dir, telemetry_list_fn list,
                         void *arg)
{
    telemetry *t = xcalloc(1, sizeof *t);
    t->base = base;
    memcpy(t->key, key, AGENTMAC_KEY_LEN);
    t->url = xasprintf("%s%s", controlplane, TELEMETRY_PATH);
    t->agent_id = xstrdup(agent_id);
    t->nodes_dir = xstrdup(nodes_dir);
    t->list = list;
    t->arg = arg;
    t->budget = TELEMETRY_LOG_BUDGET;
    t->tick = event_new(base, -1, EV_PERSIST, on_tick, t);
    t->kick = event_new(base, -1, 0, on_tick, t);
    struct timeval tv = {TELEMETRY_TICK_MS / 1000, (TELEMETRY_TICK_MS % 1000) * 1000};
    event_add(t->tick, &tv);
    return t;
}

void telemetry_free(telemetry *t)
{
    if (!t)
        return;
    event_free(t->tick);
    event_free(t->kick);
    for (int i = 0; i < t->nnodes; i++)
        tnode_clear(&t->nodes[i]);
    free(t->url);
    free(t->agent_id);
    free(t->nodes_dir);
    free(t);
}
