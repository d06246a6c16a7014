/* health: see health.h.
 *
 * Per node a small connection state machine around one kept connection:
 *
 *   IDLE ──start──▶ CONNECTING ──ok──▶ READY ──send──▶ QUERYING ──result──▶ READY (kept)
 *     ▲                 │ fail/timeout   │ ▲ due (REUSE)    │ fail/timeout
 *     │                 │                │ └──────────────── (READY: idle, EV_READ watched)
 *     └─────────────────┴────────────────┴──────────────────┘ close; count a failure, or,
 *                                   on a kept connection and no timeout, CONNECTING at once
 *
 * Invariants:
 *  1. In READY the kept connection's socket is watched for reading: EOF or
 *     an error there is handled at once (health_fail_action_of), not at
 *     the next due probe.
 *  2. kept is true only for a connection that answered an earlier probe;
 *     at most one uncounted retry follows a failure, since the retry's
 *     connection is not kept.
 *  3. A timeout always counts (a hung server's failures keep their pace:
 *     ha.c counts them and their duration).
 *
 * Sockets are watched with one libevent event per node, re-armed with the
 * direction libpq asks for; a timer per node bounds every step. */
#include "controlplane/core/health.h"

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instsecret.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/wal.h"

#define HEALTH_MAX_NODES 256

/* One query tells role, position, on a primary its standbys (with how far
 * behind each one's flush is), on a standby its WAL receiver. */
static const char probe_sql[] =
    "SELECT pg_is_in_recovery(), "
    "CASE WHEN pg_is_in_recovery() THEN greatest(pg_last_wal_receive_lsn(), "
    "pg_last_wal_replay_lsn()) "
    "ELSE pg_current_wal_lsn() END, "
    "coalesce((SELECT string_agg(application_name || ' ' || state || ' ' || sync_state || ' ' "
    "|| pid || ' ' || CASE WHEN pg_is_in_recovery() OR flush_lsn IS NULL THEN -1 "
    "ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::bigint END, ',') "
    "FROM pg_stat_replication), ''), "
    "coalesce((SELECT status || ' ' || pid FROM pg_stat_wal_receiver), ''), "
    /* A standby's replay lag as RDS computes ReplicaLag (issue 15). */
    "coalesce(CASE WHEN pg_is_in_recovery() THEN (extract(epoch FROM now() - "
    "pg_last_xact_replay_timestamp()) * 1000)::bigint END, -1)";

/* CloudWatch's gauges, cheap catalog reads, sent after probe_sql in the
 * same round trip at most every HEALTH_METRICS_MS: an error here fails
 * only this statement, never the probe (its own result is read first). */
static const char metrics_sql[] =
    "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
    "AND pid <> pg_backend_pid()), "
    "(SELECT coalesce(sum(size), 0) FROM pg_ls_waldir())::bigint, "
    "(SELECT max(age(datfrozenxid)) FROM pg_database), "
    "(SELECT coalesce(max(pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN "
    "pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END, restart_lsn)), -1)::bigint "
    "FROM pg_replication_slots WHERE restart_lsn IS NOT NULL)";

typedef enum { PROBE_IDLE, PROBE_CONNECTING, PROBE_READY, PROBE_QUERYING } probe_state;

typedef struct probe {
    health *h;
    char node_id[96];
    char addr[32];
    int64_t port;
    char *user;
    char *password;
    PGconn *conn;
    probe_state state;
    struct event *io;
    struct event *timer;
    int64_t next_due_ms;
    int64_t conn_ms;       /* monotonic: when the current connection was started */
    bool kept;             /* the connection answered an earlier probe (invariant 2) */
    int64_t next_metrics_ms; /* monotonic: when metrics_sql rides along again */
    int64_t started_ms;    /* monotonic: when the probe in flight (or the last) started */
    int64_t want_ms;       /* health_probe_after's wish: a probe started at or after
                            * this (0: none); its outcome kicks the cron */
    bool seen;             /* still in the store at the last tick */
    bool runs;             /* its goal was running at the last tick: it may be probed */
    node_health view;
} probe;

struct health {
    region *r;
    health_config cfg;
    int n;
    probe *probes[HEALTH_MAX_NODES];
    /* The probes are those of the node rows as of store_generation
     * walked_gen (every node with its probe): until the store changes,
     * a tick only starts the probes that are due (issue 18: reading every
     * node row ten times a second was the cron's largest cost). */
    bool walked;
    uint64_t walked_gen;
};

static void probe_io(evutil_socket_t fd, short what, void *arg);
static void probe_timeout(evutil_socket_t fd, short what, void *arg);
static void probe_wish_next(probe *p, bool fresh);

health *health_new(region *r, health_config cfg)
{
    health *h = xcalloc(1, sizeof *h);
    h->r = r;
    h->cfg = cfg;
    return h;
}

static void probe_close(probe *p)
{
    if (p->io) {
        event_free(p->io);
        p->io = NULL;
    }
    if (p->conn) {
        PQfinish(p->conn);
        p->conn = NULL;
    }
    p->state = PROBE_IDLE;
    p->kept = false;
}

static void probe_free(probe *p)
{
    probe_close(p);
    if (p->timer)
        event_free(p->timer);
    free(p->user);
    if (p->password) {
        memset(p->password, 0, strlen(p->password));
        free(p->password);
    }
    free(p);
}

void health_free(health *h)
{
    if (!h)
        return;
    for (int i = 0; i < h->n; i++)
        probe_free(h->probes[i]);
    free(h);
}

static void probe_count_fail(probe *p, const char *why)
{
    int64_t now = mono_ms();
    if (p->view.fails == 0)
        p->view.first_fail_ms = now;
    p->view.fails++;
    p->view.up = false;
    p->view.up_since_ms = 0;
    p->view.last_fail_started_ms = p->started_ms ? p->started_ms : now;
    p->view.norecv_since_ms = 0;
    p->view.recv_pid = 0;
    p->view.recv_since_ms = 0;
    p->view.known = true;
    if (p->view.fails == 1 || p->view.fails % 50 == 0)
        LOG_INFO("probe failed node=%s fails=%d why=\"%s\"", p->node_id, p->view.fails, why);
    probe_close(p);
    event_del(p->timer);
    p->next_due_ms = now + p->h->cfg.interval_ms;
    probe_wish_next(p, true);
}

static void probe_connect(probe *p);

/* A failed step (invariants 2 and 3): counted, or retried at once. */
static void probe_fail_as(probe *p, const char *why, bool timed_out)
{
    if (health_fail_action_of(p->kept, timed_out) == HEALTH_FAIL_COUNT) {
        probe_count_fail(p, why);
        return;
    }
    LOG_INFO("probe connection lost, reconnecting node=%s why=\"%s\"", p->node_id, why);
    probe_close(p);
    event_del(p->timer);
    probe_connect(p);
}

static void probe_fail(probe *p, const char *why)
{
    probe_fail_as(p, why, false);
}

static void probe_arm(probe *p, short what)
{
    if (p->io)
        event_free(p->io);
    p->io = event_new(p->h->r->base, PQsocket(p->conn), what, probe_io, p);
    event_add(p->io, NULL);
}

static void probe_arm_timeout(probe *p)
{
    struct timeval tv = {p->h->cfg.timeout_ms / 1000, (p->h->cfg.timeout_ms % 1000) * 1000};
    event_add(p->timer, &tv);
}

int64_t health_connect_wait_ms(int64_t started_ms, int64_t now_ms, int64_t timeout_ms)
{
    int64_t left = started_ms + HEALTH_CONNECT_ROUNDS * timeout_ms - now_ms;
    if (left <= 0)
        return 0;
    return left < timeout_ms ? left : timeout_ms;
}

/* A fresh connect's step: re-armed at each round trip (health.h). */
static void probe_arm_connect_timeout(probe *p)
{
    int64_t ms = health_connect_wait_ms(p->conn_ms, mono_ms(), p->h->cfg.timeout_ms);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(p->timer, &tv);
}

/* The cron, now: someone waits for a probe's outcome. */
static void health_kick(health *h)
{
    if (h->r->cron)
        event_active(h->r->cron, EV_TIMEOUT, 1);
}

/* An idle probe's timer, used to start the probe of a wish at its time. */
static void probe_arm_due(probe *p, int64_t at_ms)
{
    int64_t wait = at_ms - mono_ms();
    if (wait < 0)
        wait = 0;
    struct timeval tv = {wait / 1000, (wait % 1000) * 1000};
    event_add(p->timer, &tv);
}

/* After a probe's outcome (the connection closed, the state idle): a wish
 * it meets is done and the cron runs now for whoever waits on it; one it
 * does not meet starts the next probe at its time. An outcome that says
 * nothing new of the server (fresh false: a full server refused the
 * connection) meets no wish; the next try comes at the usual interval. */
static void probe_wish_next(probe *p, bool fresh)
{
    if (!p->want_ms)
        return;
    if (fresh && p->started_ms >= p->want_ms) {
        p->want_ms = 0;
        health_kick(p->h);
        return;
    }
    probe_arm_due(p, fresh ? p->want_ms : p->next_due_ms);
}

static const health_replica *replica_find(const health_replica *reps, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(reps[i].name, name) == 0)
            return &reps[i];
    return NULL;
}

void health_view_update(node_health *v, const char *in_recovery, const char *lsn,
                        const char *replicas, const char *receiver, int64_t now_ms)
{
    health_replica prev[HEALTH_MAX_REPLICAS];
    int nprev = v->nreplicas;
    memcpy(prev, v->replicas, sizeof prev);
    v->in_recovery = strcmp(in_recovery, "t") == 0;
    snprintf(v->lsn, sizeof v->lsn, "%s", lsn);
    v->nreplicas = 0;
    char *list = xstrdup(replicas);
    for (char *save = NULL, *t = strtok_r(list, ",", &save);
         t && v->nreplicas < HEALTH_MAX_REPLICAS; t = strtok_r(NULL, ",", &save)) {
        health_replica *rep = &v->replicas[v->nreplicas];
        long long pid = 0, lag = -1;
        if (sscanf(t, "%95s %23s %15s %lld %lld", rep->name, rep->state, rep->sync_state, &pid,
                   &lag) != 5)
            continue;
        rep->pid = pid;
        rep->lag_bytes = lag;
        /* A streak counts one walsender's unbroken synchronous streaming: a
         * standby that keeps reconnecting (one that cannot follow this
         * timeline, say) never builds one. */
        const health_replica *old = replica_find(prev, nprev, rep->name);
        rep->streaming = strcmp(rep->state, "streaming") == 0;
        bool good = rep->streaming && strcmp(rep->sync_state, "sync") == 0;
        rep->streak = !good ? 0 : old && old->pid == rep->pid ? old->streak + 1 : 1;
        v->nreplicas++;
    }
    free(list);
    char status[24] = "";
    long long rpid = 0;
    if (sscanf(receiver, "%23s %lld", status, &rpid) != 2 || strcmp(status, "streaming") != 0)
        rpid = 0;
    if (rpid == 0) {
        v->recv_pid = 0;
        v->recv_since_ms = 0;
        if (!v->in_recovery)
            v->norecv_since_ms = 0;
        else if (v->norecv_since_ms == 0)
            v->norecv_since_ms = now_ms;
    } else {
        if (v->recv_pid != rpid)
            v->recv_since_ms = now_ms;
        v->recv_pid = rpid;
        v->norecv_since_ms = 0;
    }
}

/* Parses one probe result row into the view. */
static bool probe_read_result(probe *p, PGresult *res)
{
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 5)
        return false;
    health_view_update(&p->view, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                       PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), mono_ms());
    long long lag = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    p->view.replay_lag_ms = p->view.in_recovery && lag >= 0 ? lag : -1;
    return true;
}

/* The gauges of metrics_sql into the view; false for another result. */
static bool probe_read_metrics(probe *p, PGresult *res)
{
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 4)
        return false;
    p->view.pgm_conns = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    p->view.pgm_wal_bytes = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    p->view.pgm_xid_age = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    p->view.pgm_slot_lag = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    p->view.pgm_ms = mono_ms();
    return true;
}

static void probe_send(probe *p)
{
    int64_t now = mono_ms();
    bool metrics = now >= p->next_metrics_ms;
    char sql[sizeof probe_sql + sizeof metrics_sql + 2];
    snprintf(sql, sizeof sql, "%s%s%s", probe_sql, metrics ? ";" : "", metrics ? metrics_sql : "");
    if (metrics)
        p->next_metrics_ms = now + HEALTH_METRICS_MS;
    if (!PQsendQuery(p->conn, sql)) {
        probe_fail(p, PQerrorMessage(p->conn));
        return;
    }
    p->state = PROBE_QUERYING;
    /* Flush what libpq could not write at once, then wait for the answer. */
    int f = PQflush(p->conn);
    if (f < 0) {
        probe_fail(p, "flush failed");
        return;
    }
    probe_arm(p, f == 1 ? EV_WRITE | EV_READ : EV_READ);
    probe_arm_timeout(p);
}

static void probe_connect_step(probe *p)
{
    switch (PQconnectPoll(p->conn)) {
    case PGRES_POLLING_READING:
        probe_arm(p, EV_READ);
        probe_arm_connect_timeout(p);
        break;
    case PGRES_POLLING_WRITING:
        probe_arm(p, EV_WRITE);
        probe_arm_connect_timeout(p);
        break;
    case PGRES_POLLING_OK:
        p->state = PROBE_READY;
        if (PQsetnonblocking(p->conn, 1) != 0) {
            probe_fail(p, "cannot make the connection non-blocking");
            return;
        }
        probe_send(p);
        break;
    default:
        /* A server refusing for lack of connection slots is alive: blocked
         * clients piling up must not look like a dead primary. Its last
         * replication view is kept. */
        if (strstr(PQerrorMessage(p->conn), "too many clients")) {
            probe_close(p);
            event_del(p->timer);
            int64_t now = mono_ms();
            if (!p->view.up_since_ms)
                p->view.up_since_ms = now;
            p->view.known = p->view.up = true;
            p->view.fails = 0;
            p->view.first_fail_ms = 0;
            p->view.last_ok_ms = now; /* not last_ok_started_ms: no new view */
            p->next_due_ms = now + p->h->cfg.interval_ms;
            probe_wish_next(p, false);
            break;
        }
        probe_fail(p, PQerrorMessage(p->conn));
        break;
    }
}

static void probe_query_step(probe *p, short what)
{
    if (what & EV_WRITE) {
        int f = PQflush(p->conn);
        if (f < 0) {
            probe_fail(p, "flush failed");
            return;
        }
        if (f == 1) {
            probe_arm(p, EV_WRITE | EV_READ);
            return;
        }
    }
    if (!PQconsumeInput(p->conn)) {
        probe_fail(p, PQerrorMessage(p->conn));
        return;
    }
    if (PQisBusy(p->conn)) {
        probe_arm(p, EV_READ);
        return;
    }
    bool ok = false;
    PGresult *res;
    while ((res = PQgetResult(p->conn)) != NULL) {
        if (!probe_read_metrics(p, res))
            ok = probe_read_result(p, res) || ok;
        PQclear(res);
    }
    if (!ok) {
        probe_fail(p, "unexpected probe result");
        return;
    }
    event_del(p->timer);
    /* The connection is kept (issue 18) and watched while idle (invariant
     * 1). A hung postmaster alone still answers on it: health_probe_plan's
     * fresh connects and the agent's own check see that (health.h). */
    p->kept = true;
    p->state = PROBE_READY;
    probe_arm(p, EV_READ);
    int64_t now = mono_ms();
    if (p->view.fails > 0)
        LOG_INFO("probe recovered node=%s after_fails=%d", p->node_id, p->view.fails);
    if (!p->view.up_since_ms)
        p->view.up_since_ms = now;
    p->view.known = p->view.up = true;
    p->view.fails = 0;
    p->view.first_fail_ms = 0;
    p->view.last_ok_ms = now;
    p->view.last_ok_started_ms = p->started_ms;
    p->next_due_ms = now + p->h->cfg.interval_ms;
    probe_wish_next(p, true);
}

/* The kept connection became readable between probes: nothing is due from
 * the server, so it is a notice, or its backend going away (terminated,
 * the postmaster dead). */
static void probe_idle_step(probe *p)
{
    if (!PQconsumeInput(p->conn) || PQstatus(p->conn) != CONNECTION_OK) {
        probe_fail(p, PQerrorMessage(p->conn));
        return;
    }
    probe_arm(p, EV_READ);
}

static void probe_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    probe *p = arg;
    if (p->state == PROBE_CONNECTING)
        probe_connect_step(p);
    else if (p->state == PROBE_QUERYING)
        probe_query_step(p, what);
    else if (p->state == PROBE_READY)
        probe_idle_step(p);
}

static void probe_start(probe *p);

/* The timer: a step in flight too slow (a failure), or, idle, the time of
 * a wish (health_probe_after). */
static void probe_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    probe *p = arg;
    if (p->state == PROBE_CONNECTING || p->state == PROBE_QUERYING)
        probe_fail_as(p, p->state == PROBE_CONNECTING ? "connect timed out" : "query timed out",
                      true);
    else if (p->want_ms && p->runs)
        probe_start(p);
    else
        p->want_ms = 0;
}

health_plan health_probe_plan(bool kept_ok, int64_t conn_age_ms)
{
    return kept_ok && conn_age_ms >= 0 && conn_age_ms < HEALTH_FRESH_MS ? HEALTH_REUSE
                                                                        : HEALTH_CONNECT;
}

health_fail_action health_fail_action_of(bool on_kept, bool timed_out)
{
    return on_kept && !timed_out ? HEALTH_FAIL_RETRY : HEALTH_FAIL_COUNT;
}

/* libpq hands a message the server sends between queries (the FATAL of a
 * terminated backend) to the notice processor, stderr by default. */
static void probe_notice(void *arg, const char *message)
{
    probe *p = arg;
    LOG_DEBUG("probe notice node=%s message=\"%.200s\"", p->node_id, message);
}

static void probe_start(probe *p)
{
    p->started_ms = mono_ms();
    bool kept_ok = p->state == PROBE_READY && p->kept && p->conn &&
                   PQstatus(p->conn) == CONNECTION_OK;
    if (health_probe_plan(kept_ok, mono_ms() - p->conn_ms) == HEALTH_REUSE) {
        probe_send(p);
        return;
    }
    probe_close(p);
    probe_connect(p);
}

/* A fresh connection (the kept one, if any, is closed by the caller). */
static void probe_connect(probe *p)
{
    char port[16];
    snprintf(port, sizeof port, "%lld", (long long)p->port);
    const char *keys[] = {"hostaddr", "port", "user", "password", "dbname",
                          "application_name", "connect_timeout", "sslmode", NULL};
    const char *vals[] = {p->addr, port, p->user, p->password, "postgres",
                          "rdsim-health", "2", "disable", NULL};
    p->conn = PQconnectStartParams(keys, vals, 0);
    if (!p->conn || PQstatus(p->conn) == CONNECTION_BAD) {
        probe_fail(p, p->conn ? PQerrorMessage(p->conn) : "out of memory");
        return;
    }
    PQsetNoticeProcessor(p->conn, probe_notice, p);
    p->conn_ms = mono_ms();
    p->state = PROBE_CONNECTING;
    probe_arm(p, EV_WRITE);
    probe_arm_timeout(p);
}

static probe *health_find(const health *h, const char *node_id)
{
    for (int i = 0; i < h->n; i++)
        if (strcmp(h->probes[i]->node_id, node_id) == 0)
            return h->probes[i];
    return NULL;
}

/* Starts every probe of a node meant to run that is due. */
static void health_start_due(health *h, int64_t now)
{
    for (int i = 0; i < h->n; i++) {
        probe *p = h->probes[i];
        if (p->runs && (p->state == PROBE_IDLE || p->state == PROBE_READY) &&
            now >= p->next_due_ms)
            probe_start(p);
    }
}

void health_tick(health *h)
{
    region *r = h->r;
    uint64_t gen = store_generation(r->st);
    if (h->walked && h->walked_gen == gen && !store_in_transaction(r->st)) {
        health_start_due(h, mono_ms());
        return;
    }
    store_node *nodes = NULL;
    int n = store_node_list(r->st, NULL, NULL, &nodes);
    if (n < 0)
        return;
    for (int i = 0; i < h->n; i++)
        h->probes[i]->seen = false;
    int64_t now = mono_ms();
    bool complete = true; /* every node has its probe: no need to walk again */
    for (int i = 0; i < n; i++) {
        store_node *nd = &nodes[i];
        probe *p = health_find(h, nd->id);
        if (!p && h->n < HEALTH_MAX_NODES) {
            store_instance in = {0};
            bool found = false;
            if (!store_instance_get(r->st, nd->instance_id, &in, &found)) {
                complete = false;
                continue;
            }
            p = xcalloc(1, sizeof *p);
            p->h = h;
            snprintf(p->node_id, sizeof p->node_id, "%s", nd->id);
            /* The region's own login, never the master user (instsecret.h). */
            p->user = xstrdup(INSTSECRET_ADMIN_USER);
            p->password = instsecret_admin_password(r, &in);
            p->timer = evtimer_new(r->base, probe_timeout, p);
            h->probes[h->n++] = p;
            store_instance_clear(&in);
        }
        if (!p) {
            complete = false;
            continue;
        }
        p->seen = true;
        /* The address and port are fixed per node; refresh in case. */
        snprintf(p->addr, sizeof p->addr, "%s", nd->addr);
        p->port = nd->port;
        /* Only nodes meant to run are probed. */
        p->runs = nd->goal == GOAL_RUNNING;
        if (!p->runs) {
            probe_close(p);
            continue;
        }
        if ((p->state == PROBE_IDLE || p->state == PROBE_READY) && now >= p->next_due_ms)
            probe_start(p);
    }
    store_node_list_free(nodes, n);
    for (int i = 0; i < h->n;) {
        if (!h->probes[i]->seen) {
            probe_free(h->probes[i]);
            h->probes[i] = h->probes[--h->n];
        } else {
            i++;
        }
    }
    /* The walk itself writes nothing; a generation read before it still
     * names the rows it saw. */
    h->walked = complete && !store_in_transaction(r->st);
    h->walked_gen = gen;
}

bool health_probe_after(health *h, const char *node_id, int64_t since_ms)
{
    probe *p = health_find(h, node_id);
    if (!p || !p->runs)
        return false;
    if (p->want_ms && since_ms <= p->want_ms)
        return true; /* asked already: that probe's outcome kicks the cron */
    if (p->state == PROBE_CONNECTING || p->state == PROBE_QUERYING) {
        p->want_ms = since_ms; /* met by this one or by the next, probe_wish_next */
        return true;
    }
    if (p->started_ms > 0 && p->started_ms >= since_ms)
        return true; /* its outcome is in the view already */
    p->want_ms = since_ms;
    probe_arm_due(p, since_ms);
    return true;
}

const node_health *health_get(const health *h, const char *node_id)
{
    probe *p = health_find(h, node_id);
    return p && p->view.known ? &p->view : NULL;
}

static void stall_clear(node_health *v)
{
    v->stall_since_ms = 0;
    v->stall_pid = 0;
    v->stall_lsn[0] = '\0';
}

int64_t health_stall_update(node_health *v, const node_health *up, int64_t now_ms)
{
    wal_lsn mine = 0, theirs = 0;
    if (!v->up || !v->in_recovery || v->recv_pid == 0 || !up || !up->up || up->fails > 0 ||
        !wal_lsn_parse(v->lsn, &mine) || !wal_lsn_parse(up->lsn, &theirs) || theirs <= mine) {
        stall_clear(v);
        return 0;
    }
    /* Behind: a run starts, or restarts when the receiver or its position
     * changed (it moved, so it was not stalled until now). */
    if (v->stall_since_ms == 0 || v->stall_pid != v->recv_pid ||
        strcmp(v->stall_lsn, v->lsn) != 0) {
        v->stall_since_ms = now_ms;
        v->stall_pid = v->recv_pid;
        snprintf(v->stall_lsn, sizeof v->stall_lsn, "%s", v->lsn);
        return 0;
    }
    return now_ms - v->stall_since_ms;
}

int64_t health_recv_stalled_ms(health *h, const char *standby, const char *upstream)
{
    probe *p = standby ? health_find(h, standby) : NULL;
    probe *u = upstream ? health_find(h, upstream) : NULL;
    if (!p || !p->view.known)
        return 0;
    return health_stall_update(&p->view, u && u->view.known ? &u->view : NULL, mono_ms());
}

bool health_is_down(const health *h, const char *node_id, int64_t fail_ms, int min_fails)
{
    probe *p = health_find(h, node_id);
    if (!p || !p->view.known || p->view.up)
        return false;
    return p->view.fails >= min_fails && mono_ms() - p->view.first_fail_ms >= fail_ms;
}

const health_replica *health_replica_of(const health *h, const char *primary,
                                        const char *standby)
{
    const node_health *v = health_get(h, primary);
    if (!v || !v->up)
        return NULL;
    for (int i = 0; i < v->nreplicas; i++)
        if (strcmp(v->replicas[i].name, standby) == 0)
            return &v->replicas[i];
    return NULL;
}
