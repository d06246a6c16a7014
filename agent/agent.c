/* agent: heartbeat loop and reconciliation. See agent.h.
 *
 * Invariants:
 *  1. At most one heartbeat request is in flight (hb_in_flight); a wish to
 *     send while one is out sets hb_again, honoured when it completes.
 *  2. agent.json is rewritten (synchronously, it is small) whenever a goal,
 *     generation, spec or restart count changes, before the nodes act on it.
 *  3. Nodes are freed only from the tick or a heartbeat reply, never from
 *     inside one of their own callbacks, and only once absent (no children). */
#include "agent/agent.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/heartbeat.h"
#include "agent/iamauth.h"
#include "agent/node.h"
#include "agent/nodestate.h"
#include "agent/telemetry.h"
#include "lib/fsutil.h"
#include "lib/httpc.h"
#include "lib/log.h"
#include "lib/util.h"

enum { TICK_MS = 100, FAST_TICK_MS = 10, MAX_REJECTED = 64, HEARTBEAT_TIMEOUT_S = 2 };

/* Kinds of heartbeat outcome, so each kind of failure is logged once. */
typedef enum { HB_OK, HB_TRANSPORT, HB_HTTP, HB_UNAUTHENTICATED, HB_BAD_REPLY, HB_NONE } hb_outcome;

typedef struct {
    node *n;
    bool absent_sent; /* the absent state went out in the request in flight */
    bool orphan;      /* the last good reply did not mention it (logged once) */
} agent_node;

struct agent {
    struct event_base *base;
    char *url, *az, *addr_base, *home, *nodes_dir, *record_path;
    node_env env;
    proc_reaper *reaper;
    agent_node *nodes;
    size_t nnodes;
    heartbeat_rejected rejected[MAX_REJECTED];
    size_t nrejected;
    struct event *hb_timer, *tick;
    struct event *fast;       /* FAST_TICK_MS while a node promotes (fast_arm) */
    telemetry *telemetry;     /* storage, OS metrics, log files (telemetry.h) */
    iamauth *iamauth;         /* IAM database logins' sockets (iamauth.h) */
    int interval_ms;
    bool hb_in_flight, hb_again;
    hb_outcome last_outcome;
    char *last_entry_error; /* last logged per-entry reply problem */
    int64_t started_at_ms;
    uint8_t key[AGENTMAC_KEY_LEN];
    heartbeat_auth hb_auth;   /* of the request in flight (its reply binds the nonce) */
};

/* ---- record ----------------------------------------------------------------- */

/* Invariant 2. */
static void record_save(agent *a)
{
    nodestate st = {0};
    for (size_t i = 0; i < a->nnodes; i++) {
        node_report r;
        node_get_report(a->nodes[i].n, &r);
        nodestate_add(&st, r.node_id, r.goal, r.generation, r.restarts, r.spec);
    }
    nodestate_save(a->record_path, &st);
    nodestate_free(&st);
}

/* ---- heartbeat ---------------------------------------------------------------- */

static void hb_schedule(agent *a, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(a->hb_timer, &tv);
}

/* ---- promotions ------------------------------------------------------------- */

/* A promotion ends when pg_control says the server is in production
 * (node.c role_refresh), and the controlplane's failover waits for exactly
 * that report: a promoting node is stepped every FAST_TICK_MS instead of
 * every TICK_MS (a pread of 20 bytes each time), and its end goes out at
 * once in a heartbeat (on_node_changed). Armed on any node change, so it
 * runs only while some node is promoting. */
static void fast_arm(agent *a)
{
    for (size_t i = 0; i < a->nnodes; i++) {
        node_report r;
        node_get_report(a->nodes[i].n, &r);
        if (r.state != NODE_PROMOTING)
            continue;
        if (!evtimer_pending(a->fast, NULL)) {
            struct timeval tv = {0, FAST_TICK_MS * 1000};
            event_add(a->fast, &tv);
        }
        return;
    }
}

static void on_fast(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    agent *a = arg;
    for (size_t i = 0; i < a->nnodes; i++) {
        node_report r;
        node_get_report(a->nodes[i].n, &r);
        if (r.state == NODE_PROMOTING)
            node_step(a->nodes[i].n);
    }
    fast_arm(a);
}

/* A node changed: heartbeat now (invariant 1), persist if asked. */
static void on_node_changed(void *arg, bool persist)
{
    agent *a = arg;
    if (persist)
        record_save(a);
    fast_arm(a);
    if (a->hb_in_flight)
        a->hb_again = true;
    else
        hb_schedule(a, 0);
}

static void rejected_clear(agent *a)
{
    for (size_t i = 0; i < a->nrejected; i++) {
        free(a->rejected[i].node_id);
        free(a->rejected[i].error);
    }
    a->nrejected = 0;
}

static void note_entry_error(agent *a, const char *node_id, const char *error)
{
    char *msg = xasprintf("%s: %s", node_id_valid(node_id) ? node_id : "(invalid id)", error);
    if (!a->last_entry_error || strcmp(msg, a->last_entry_error) != 0) {
        LOG_WARN("goal refused node_id=%s error=\"%s\"",
                 node_id_valid(node_id) ? node_id : "(invalid)", error);
        free(a->last_entry_error);
        a->last_entry_error = msg;
    } else {
        free(msg);
    }
}

static agent_node *find_node(agent *a, const char *id)
{
    for (size_t i = 0; i < a->nnodes; i++) {
        node_report r;
        node_get_report(a->nodes[i].n, &r);
        if (strcmp(r.node_id, id) == 0)
            return &a->nodes[i];
    }
    return NULL;
}

static void add_node(agent *a, node *n)
{
    a->nodes = xrealloc(a->nodes, (a->nnodes + 1) * sizeof *a->nodes);
    a->nodes[a->nnodes++] = (agent_node){n, false, false};
}

static void apply_goal(agent *a, const heartbeat_goal *g, bool *persist)
{
    agent_node *an = find_node(a, g->node_id);
    if (g->error) {
        note_entry_error(a, g->node_id, g->error);
        if (!an && a->nrejected < MAX_REJECTED) {
            a->rejected[a->nrejected].node_id = xstrdup(g->node_id);
            a->rejected[a->nrejected].error = xstrdup(g->error);
            a->nrejected++;
        }
        return;
    }
    const node_spec *spec = g->has_spec ? &g->spec : NULL;
    if (!an) {
        char *dir = xasprintf("%s/%s", a->nodes_dir, g->node_id);
        bool exists = fs_exists(dir);
        free(dir);
        if (g->goal == NODE_GOAL_ABSENT && !exists)
            return; /* nothing here, nothing to report */
        add_node(a, node_new(&a->env, g->node_id, g->goal, g->generation, 0, spec));
        *persist = true;
        return;
    }
    node_report r;
    node_get_report(an->n, &r);
    if (g->generation < r.generation) {
        note_entry_error(a, g->node_id, "stale generation ignored");
        return;
    }
    if (node_set_goal(an->n, g->goal, g->generation, spec))
        *persist = true;
}

static void apply_reply(agent *a, const heartbeat_reply *rep)
{
    bool persist = false;
    rejected_clear(a);
    if (rep->interval_ms > 0)
        a->interval_ms = rep->interval_ms;
    for (size_t i = 0; i < rep->n; i++)
        apply_goal(a, &rep->goals[i], &persist);
    /* An orphan: a node we have that the controlplane does not mention.
     * Absence is never an order (authoritative or not): it keeps its goal,
     * its data and its postmaster, and stays in every report. */
    for (size_t i = 0; i < a->nnodes; i++) {
        node_report r;
        node_get_report(a->nodes[i].n, &r);
        bool listed = false;
        for (size_t j = 0; j < rep->n && !listed; j++)
            listed = strcmp(rep->goals[j].node_id, r.node_id) == 0;
        bool orphan = !listed && r.state != NODE_ABSENT;
        if (orphan && !a->nodes[i].orphan)
            LOG_WARN("orphan node kept: the controlplane does not mention it node_id=%s "
                     "goal=%s state=%s", r.node_id, spec_goal_name(r.goal),
                     node_state_name(r.state));
        a->nodes[i].orphan = orphan;
    }
    if (persist)
        record_save(a);
    for (size_t i = 0; i < a->nnodes; i++)
        node_step(a->nodes[i].n);
    iamauth_begin(a->iamauth);
    for (size_t i = 0; i < a->nnodes; i++) {
        node_report r;
        node_get_report(a->nodes[i].n, &r);
        if (r.spec && r.spec->iam_db_auth && r.state != NODE_ABSENT &&
            r.state != NODE_DELETING)
            iamauth_want(a->iamauth, r.node_id);
    }
    iamauth_end(a->iamauth);
}

/* Forgets nodes whose absence the controlplane has now heard (invariant 3). */
static void drop_acked_absent(agent *a)
{
    size_t kept = 0;
    bool dropped = false;
    for (size_t i = 0; i < a->nnodes; i++) {
        node_report r;
        node_get_report(a->nodes[i].n, &r);
        if (a->nodes[i].absent_sent && r.state == NODE_ABSENT) {
            LOG_INFO("node forgotten node_id=%s", r.node_id);
            node_free(a->nodes[i].n);
            dropped = true;
            continue;
        }
        a->nodes[kept] = a->nodes[i];
        a->nodes[kept].absent_sent = false;
        kept++;
    }
    a->nnodes = kept;
    if (dropped)
        record_save(a);
}

static void hb_log_outcome(agent *a, hb_outcome kind, int status, const char *why)
{
    if (kind == a->last_outcome)
        return;
    if (kind == HB_OK)
        LOG_INFO("heartbeat ok url=%s", a->url);
    else if (kind == HB_TRANSPORT)
        LOG_WARN("heartbeat failed, keeping last goals url=%s why=transport", a->url);
    else if (kind == HB_HTTP)
        LOG_WARN("heartbeat failed, keeping last goals url=%s status=%d", a->url, status);
    else if (kind == HB_UNAUTHENTICATED)
        LOG_WARN("heartbeat reply not authenticated, ignored, keeping last goals url=%s "
                 "why=\"%s\"", a->url, why);
    else
        LOG_WARN("heartbeat reply refused, keeping last goals url=%s why=\"%s\"", a->url, why);
    a->last_outcome = kind;
}

static void hb_done(int status, const char *body, size_t len, const struct evkeyvalq *headers,
                    void *arg)
{
    agent *a = arg;
    /* Still "in flight" while the reply is applied: node changes it causes
     * set hb_again instead of being overridden by the schedule below. */
    char why[200] = "";
    heartbeat_reply rep;
    agentmac_result auth = AGENTMAC_MISSING;
    if (status == 200 && headers)
        auth = heartbeat_auth_reply(&a->hb_auth, a->key, status,
                                    evhttp_find_header(headers, AGENTMAC_H_TIME),
                                    evhttp_find_header(headers, AGENTMAC_H_SIG), body, len,
                                    wall_ms());
    if (status == 0) {
        hb_log_outcome(a, HB_TRANSPORT, status, NULL);
    } else if (status != 200) {
        hb_log_outcome(a, HB_HTTP, status, NULL);
    } else if (auth != AGENTMAC_OK) {
        snprintf(why, sizeof why, "%s", agentmac_result_name(auth));
        hb_log_outcome(a, HB_UNAUTHENTICATED, status, why);
    } else if (!heartbeat_parse_sealed_reply(body, len, a->key, &rep, why, sizeof why)) {
        hb_log_outcome(a, HB_BAD_REPLY, status, why);
    } else {
        hb_log_outcome(a, HB_OK, status, NULL);
        drop_acked_absent(a);
        apply_reply(a, &rep);
        heartbeat_reply_free(&rep);
    }
    if (status != 200 || why[0])
        for (size_t i = 0; i < a->nnodes; i++)
            a->nodes[i].absent_sent = false;
    bool again = a->hb_again;
    a->hb_again = false;
    a->hb_in_flight = false;
    hb_schedule(a, again ? 0 : a->interval_ms);
}

static void hb_send(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    agent *a = arg;
    if (a->hb_in_flight) {
        a->hb_again = true;
        return;
    }
    node_report *reports = xcalloc(a->nnodes + 1, sizeof *reports);
    for (size_t i = 0; i < a->nnodes; i++) {
        node_get_report(a->nodes[i].n, &reports[i]);
        a->nodes[i].absent_sent = reports[i].state == NODE_ABSENT;
    }
    heartbeat_agent ha = {a->az, a->az, a->addr_base, (long)getpid(), a->started_at_ms};
    char *body = heartbeat_render_request(&ha, reports, a->nnodes, a->rejected, a->nrejected);
    free(reports);
    heartbeat_auth_request(&a->hb_auth, a->key, a->az, HEARTBEAT_PATH, body, strlen(body),
                           wall_ms());
    /* total_s: whatever libevent does, the heartbeat never stays in flight
     * for good (the agent would be silent until restarted). */
    httpc_opts opts = {.method = "POST", .content_type = "application/json",
                       .accept = "application/json", .body = body, .body_len = strlen(body),
                       .timeout_s = HEARTBEAT_TIMEOUT_S, .total_s = HEARTBEAT_TIMEOUT_S + 1,
                       .headers = a->hb_auth.headers};
    if (httpc_request_h(a->base, a->url, &opts, hb_done, a))
        a->hb_in_flight = true;
    else
        hb_schedule(a, a->interval_ms);
    free(body);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    agent *a = arg;
    for (size_t i = 0; i < a->nnodes; i++)
        node_step(a->nodes[i].n);
    iamauth_begin(a->iamauth);
    for (size_t i = 0; i < a->nnodes; i++) {
        node_report r;
        node_get_report(a->nodes[i].n, &r);
        if (r.spec && r.spec->iam_db_auth && r.state != NODE_ABSENT &&
            r.state != NODE_DELETING)
            iamauth_want(a->iamauth, r.node_id);
    }
    iamauth_end(a->iamauth);
}

/* The telemetry's view of the nodes: those with a spec (an instance). */
static int list_for_telemetry(void *arg, telemetry_node *out, int max)
{
    agent *a = arg;
    int n = 0;
    for (size_t i = 0; i < a->nnodes && n < max; i++) {
        node_report r;
        node_get_report(a->nodes[i].n, &r);
        if (!r.spec || r.state == NODE_ABSENT)
            continue;
        out[n++] = (telemetry_node){r.node_id, r.spec->instance_id,
                                    r.state == NODE_RUNNING ? r.pid : 0, r.spec->addr};
    }
    return n;
}

/* ---- lifecycle ------------------------------------------------------------- */

/* The agent's home and nodes/ are root's: the pg user may only traverse
 * them (0711) to its own node directories (0700, its own). */
static bool prepare_home(agent *a, const agent_config *cfg)
{
    if (!fs_mkdir_p(cfg->home, 0711))
        return false;
    char abs[PATH_MAX];
    if (!realpath(cfg->home, abs)) {
        LOG_ERROR("bad home path=%s err=%s", cfg->home, strerror(errno));
        return false;
    }
    a->home = xstrdup(abs);
    a->nodes_dir = xasprintf("%s/nodes", abs);
    a->record_path = xasprintf("%s/agent.json", abs);
    if (!fs_mkdir_p(a->nodes_dir, 0711))
        return false;
    if (geteuid() == 0 && (chmod(a->home, 0711) != 0 || chmod(a->nodes_dir, 0711) != 0))
        LOG_WARN("cannot chmod 0711 the agent home path=%s err=%s", a->home, strerror(errno));
    return proc_user_check_path(cfg->user, a->home) &&
           proc_user_check_path(cfg->user, a->nodes_dir);
}

agent *agent_new(struct event_base *base, const agent_config *cfg)
{
    agent *a = xcalloc(1, sizeof *a);
    a->base = base;
    a->url = xasprintf("%s%s", cfg->controlplane, HEARTBEAT_PATH);
    memcpy(a->key, cfg->key, AGENTMAC_KEY_LEN);
    a->az = xstrdup(cfg->az);
    a->addr_base = xstrdup(cfg->addr_base);
    a->interval_ms = cfg->heartbeat_ms;
    a->last_outcome = HB_NONE;
    a->started_at_ms = wall_ms();
    if (!prepare_home(a, cfg))
        goto fail;
    a->reaper = proc_reaper_new(base);
    if (!a->reaper)
        goto fail;
    a->env = (node_env){.reaper = a->reaper, .user = cfg->user, .bindir = cfg->bindir,
                        .nodes_dir = a->nodes_dir, .changed = on_node_changed, .arg = a};
    a->hb_timer = evtimer_new(base, hb_send, a);
    a->tick = event_new(base, -1, EV_PERSIST, on_tick, a);
    a->fast = evtimer_new(base, on_fast, a);
    a->iamauth = iamauth_new(base, cfg->controlplane, cfg->az, a->key, cfg->user, a->nodes_dir,
                             cfg->pam_module, NULL);
    nodestate st;
    if (!nodestate_load(a->record_path, &st))
        goto fail;
    for (size_t i = 0; i < st.n; i++) {
        nodestate_record *r = &st.recs[i];
        add_node(a, node_new(&a->env, r->node_id, r->goal, r->generation, r->restarts,
                             r->has_spec ? &r->spec : NULL));
    }
    nodestate_free(&st);
    LOG_INFO("agent started az=%s home=%s nodes=%zu pg_user=%s url=%s", a->az, a->home,
             a->nnodes, cfg->user->name, a->url);
    struct timeval tick = {0, TICK_MS * 1000};
    event_add(a->tick, &tick);
    hb_schedule(a, 0);
    a->telemetry = telemetry_new(base, cfg->controlplane, a->az, a->key, a->nodes_dir,
                                 list_for_telemetry, a);
    return a;
fail:
    agent_free(a);
    return NULL;
}

void agent_free(agent *a)
{
    if (!a)
        return;
    if (a->hb_timer)
        event_free(a->hb_timer);
    if (a->tick)
        event_free(a->tick);
    if (a->fast)
        event_free(a->fast);
    telemetry_free(a->telemetry);
    iamauth_free(a->iamauth);
    for (size_t i = 0; i < a->nnodes; i++)
        node_free(a->nodes[i].n);
    free(a->nodes);
    rejected_clear(a);
    proc_reaper_free(a->reaper);
    free(a->url);
    free(a->az);
    free(a->addr_base);
    free(a->home);
    free(a->nodes_dir);
    free(a->record_path);
    free(a->last_entry_error);
    OPENSSL_cleanse(a->key, sizeof a->key);
    free(a);
}
