/* pisampler: see pisampler.h.
 *
 * Per instance a connection state machine:
 *
 *   IDLE ──tick──▶ CONNECTING ──ok──▶ SETUP ──result──▶ READY ──tick──▶ SAMPLING
 *     ▲                │ fail/timeout    │ fail            ▲               │ result
 *     └────────────────┴─────────────────┘ (close; retry   └───────────────┘
 *                                          after 2 s)      (fail: close, IDLE)
 *
 * A conn whose instance lost PI, or whose primary moved, is closed at the
 * next tick (and a new one made for the new primary). */
#include "controlplane/obs/pisampler.h"

#include <event2/event.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/core/instextra.h"
#include "controlplane/core/instsecret.h"
#include "controlplane/core/region.h"
#include "controlplane/core/sqlrow.h"
#include "controlplane/core/store.h"
#include "controlplane/obs/pistore.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

#define PI_MAX_CONNS 256
#define PI_KNOWN_MAX 256       /* query ids whose pg_stat_statements text is stored */
#define PI_TIMEOUT_MS 3000     /* connect or one query */
#define PI_RETRY_MS 2000       /* after a failure */
#define PI_MAX_KEYS 512        /* distinct keys kept from one sample */

/* Creates the extension where only rdsadmin can have put it, then says
 * whether it is there (pisampler.h). Everything schema-qualified. */
static const char setup_sql[] =
    "DO $$BEGIN "
    "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'rdsadmin_pi') "
    "THEN CREATE SCHEMA rdsadmin_pi; END IF; "
    "IF (SELECT nspowner FROM pg_catalog.pg_namespace WHERE nspname = 'rdsadmin_pi') = "
    "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user) AND NOT EXISTS "
    "(SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_stat_statements') "
    "THEN CREATE EXTENSION pg_stat_statements SCHEMA rdsadmin_pi; END IF; END$$; "
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n "
    "ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements' AND n.nspname = "
    "'rdsadmin_pi' AND n.nspowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = "
    "current_user) AND e.extowner = n.nspowner)";

/* Active client sessions, by key (the region's own rdsadmin sessions, this
 * one included, are not the tenant's load). */
static const char sample_sql[] =
    "SELECT coalesce(a.wait_event_type, 'CPU'), coalesce(a.wait_event, 'CPU'), "
    "coalesce(a.query_id::text, ''), coalesce(a.usename::text, ''), "
    "coalesce(host(a.client_addr), 'local'), coalesce(a.datname::text, ''), count(*) "
    "FROM pg_catalog.pg_stat_activity a WHERE a.state = 'active' AND a.backend_type = "
    "'client backend' AND a.usename IS DISTINCT FROM 'rdsadmin' GROUP BY 1, 2, 3, 4, 5, 6 "
    "LIMIT 512; ";

typedef enum { PC_IDLE, PC_CONNECTING, PC_SETUP, PC_READY, PC_SAMPLING } pc_state;

typedef struct pconn {
    pisampler *s;
    char rid[64];          /* DbiResourceId */
    char node_id[96];      /* the primary sampled */
    PGconn *conn;
    pc_state state;
    struct event *io;
    struct event *timer;
    int64_t retry_ms;      /* mono ms before which no new connection is tried */
    int64_t sample_t;      /* region second the query in flight stands for */
    bool pgss;             /* rdsadmin_pi.pg_stat_statements is usable */
    bool seen;
    int fails;             /* failures since the last good answer */
    int64_t known[PI_KNOWN_MAX];
    int nknown, known_next;
} pconn;

struct pisampler {
    region *r;
    struct event *tick;
    int n;
    pconn *conns[PI_MAX_CONNS];
    int64_t ticks;
};

static void pc_io(evutil_socket_t fd, short what, void *arg);
static void pc_timeout(evutil_socket_t fd, short what, void *arg);

static void pc_close(pconn *c)
{
    if (c->io) {
        event_free(c->io);
        c->io = NULL;
    }
    if (c->timer)
        event_del(c->timer);
    if (c->conn) {
        PQfinish(c->conn);
        c->conn = NULL;
    }
    c->state = PC_IDLE;
}

static void pc_fail(pconn *c, const char *why)
{
    /* A node still starting fails every retry: the first of a run and
     * every 50th are logged. */
    if (c->fails++ % 50 == 0)
        LOG_INFO("pi sampler connection failed resource=%s node=%s fails=%d why=\"%.200s\"",
                 c->rid, c->node_id, c->fails, why);
    pc_close(c);
    c->retry_ms = mono_ms() + PI_RETRY_MS;
}

static void pc_arm(pconn *c, short what)
{
    if (c->io)
        event_free(c->io);
    c->io = event_new(c->s->r->base, PQsocket(c->conn), what, pc_io, c);
    event_add(c->io, NULL);
}

static void pc_arm_timeout(pconn *c)
{
    struct timeval tv = {PI_TIMEOUT_MS / 1000, (PI_TIMEOUT_MS % 1000) * 1000};
    event_add(c->timer, &tv);
}

static void pc_send(pconn *c, const char *sql, pc_state next)
{
    if (!PQsendQuery(c->conn, sql)) {
        pc_fail(c, PQerrorMessage(c->conn));
        return;
    }
    c->state = next;
    int f = PQflush(c->conn);
    if (f < 0) {
        pc_fail(c, "flush failed");
        return;
    }
    pc_arm(c, f == 1 ? EV_WRITE | EV_READ : EV_READ);
    pc_arm_timeout(c);
}

/* The sample query, with the texts of the active query ids not yet known
 * (their pg_stat_statements text, else pg_stat_activity's). */
static char *sample_query(const pconn *c)
{
    sbuf b = {0};
    sbuf_puts(&b, sample_sql);
    sbuf_puts(&b, "SELECT DISTINCT ON (a.query_id) a.query_id::text, ");
    if (c->pgss)
        sbuf_puts(&b, "s.query IS NOT NULL, left(coalesce(s.query, a.query), 65536) "
                      "FROM pg_catalog.pg_stat_activity a LEFT JOIN LATERAL (SELECT p.query "
                      "FROM rdsadmin_pi.pg_stat_statements p WHERE p.queryid = a.query_id "
                      "LIMIT 1) s ON true ");
    else
        sbuf_puts(&b, "false, left(a.query, 65536) FROM pg_catalog.pg_stat_activity a ");
    sbuf_puts(&b, "WHERE a.state = 'active' AND a.backend_type = 'client backend' AND "
                  "a.usename IS DISTINCT FROM 'rdsadmin' AND a.query_id IS NOT NULL AND "
                  "a.query_id <> ALL ('{");
    for (int i = 0; i < c->nknown; i++)
        sbuf_printf(&b, "%s%lld", i ? "," : "", (long long)c->known[i]);
    sbuf_puts(&b, "}'::bigint[]) LIMIT 64");
    return sbuf_take(&b);
}

static void pc_know(pconn *c, int64_t qid)
{
    for (int i = 0; i < c->nknown; i++)
        if (c->known[i] == qid)
            return;
    c->known[c->known_next] = qid;
    c->known_next = (c->known_next + 1) % PI_KNOWN_MAX;
    if (c->nknown < PI_KNOWN_MAX)
        c->nknown++;
}

static char *clean_value(PGresult *res, int row, int col, size_t max)
{
    return pi_text_clean(PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col), max);
}

/* Stores one answer: the counts, then the texts. */
static void pc_record(pconn *c, PGresult *counts, PGresult *texts)
{
    store *st = c->s->r->st;
    int n = PQntuples(counts);
    if (n > PI_MAX_KEYS)
        n = PI_MAX_KEYS;
    pi_sample *smp = xcalloc((size_t)n + 1, sizeof *smp);
    for (int i = 0; i < n; i++) {
        char **f[] = {&smp[i].wait_type, &smp[i].wait_event, NULL,
                      &smp[i].user,      &smp[i].host,       &smp[i].db};
        for (int k = 0; k < 6; k++)
            if (f[k])
                *f[k] = clean_value(counts, i, k, PI_NAME_MAX);
        char sql_id[41] = "";
        const char *qid = PQgetvalue(counts, i, 2);
        if (*qid && strlen(qid) < 24)
            pi_sql_id(qid, sql_id);
        smp[i].sql_id = xstrdup(sql_id);
        smp[i].n = strtoll(PQgetvalue(counts, i, 6), NULL, 10);
    }
    bool ok = store_begin(st) && pi_store_record(st, c->rid, c->sample_t, smp, (size_t)n);
    for (int i = 0; ok && texts && i < PQntuples(texts); i++) {
        const char *qid = PQgetvalue(texts, i, 0);
        if (!*qid || strlen(qid) >= 24)
            continue;
        char sql_id[41];
        pi_sql_id(qid, sql_id);
        char *text = clean_value(texts, i, 2, PI_SQL_MAX);
        ok = pi_store_sql_put(st, c->rid, sql_id, qid, text);
        free(text);
        if (ok && strcmp(PQgetvalue(texts, i, 1), "t") == 0)
            pc_know(c, strtoll(qid, NULL, 10));
    }
    if (ok)
        ok = store_commit(st);
    if (!ok) {
        store_rollback(st);
        LOG_WARN("pi sample not stored resource=%s t=%lld", c->rid, (long long)c->sample_t);
    }
    for (int i = 0; i < n; i++) {
        free(smp[i].wait_type);
        free(smp[i].wait_event);
        free(smp[i].sql_id);
        free(smp[i].user);
        free(smp[i].host);
        free(smp[i].db);
    }
    free(smp);
}

/* All of a finished query's results; false when one was an error. */
static bool pc_results(pconn *c)
{
    PGresult *res[3] = {NULL, NULL, NULL};
    int nres = 0;
    bool ok = true;
    PGresult *r;
    while ((r = PQgetResult(c->conn)) != NULL) {
        ExecStatusType t = PQresultStatus(r);
        if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK)
            ok = false;
        if (t == PGRES_TUPLES_OK && nres < 3)
            res[nres++] = r;
        else
            PQclear(r);
    }
    if (c->state == PC_SETUP) {
        c->pgss = ok && nres == 1 && PQntuples(res[0]) == 1 && PQnfields(res[0]) == 1 &&
                  strcmp(PQgetvalue(res[0], 0, 0), "t") == 0;
        ok = true; /* without the extension the texts come from pg_stat_activity */
        LOG_INFO("pi sampler connected resource=%s node=%s pg_stat_statements=%s", c->rid,
                 c->node_id, c->pgss ? "yes" : "no");
    } else if (ok && nres == 2 && PQnfields(res[0]) == 7 && PQnfields(res[1]) == 3) {
        pc_record(c, res[0], res[1]);
    } else if (ok) {
        ok = false;
    } else if (c->pgss) {
        c->pgss = false; /* dropped by someone: go on without it */
        ok = true;
    }
    for (int i = 0; i < nres; i++)
        PQclear(res[i]);
    return ok;
}

static void pc_query_step(pconn *c, short what)
{
    if (what & EV_WRITE) {
        int f = PQflush(c->conn);
        if (f < 0) {
            pc_fail(c, "flush failed");
            return;
        }
        if (f == 1) {
            pc_arm(c, EV_WRITE | EV_READ);
            return;
        }
    }
    if (!PQconsumeInput(c->conn)) {
        pc_fail(c, PQerrorMessage(c->conn));
        return;
    }
    if (PQisBusy(c->conn)) {
        pc_arm(c, EV_READ);
        return;
    }
    event_del(c->timer);
    if (!pc_results(c)) {
        pc_fail(c, "unexpected answer");
        return;
    }
    c->state = PC_READY;
    c->fails = 0;
    pc_arm(c, EV_READ); /* a server closing the connection is noticed at once */
}

static void pc_connect_step(pconn *c)
{
    switch (PQconnectPoll(c->conn)) {
    case PGRES_POLLING_READING:
        pc_arm(c, EV_READ);
        break;
    case PGRES_POLLING_WRITING:
        pc_arm(c, EV_WRITE);
        break;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(c->conn, 1) != 0) {
            pc_fail(c, "cannot make the connection non-blocking");
            return;
        }
        event_del(c->timer);
        pc_send(c, setup_sql, PC_SETUP);
        break;
    default:
        pc_fail(c, PQerrorMessage(c->conn));
        break;
    }
}

static void pc_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    pconn *c = arg;
    if (c->state == PC_CONNECTING) {
        pc_connect_step(c);
    } else if (c->state == PC_SETUP || c->state == PC_SAMPLING) {
        pc_query_step(c, what);
    } else if (c->state == PC_READY) {
        /* Unasked input on an idle connection: a notice, or its end. */
        if (!PQconsumeInput(c->conn) || PQstatus(c->conn) != CONNECTION_OK)
            pc_fail(c, "connection closed");
        else
            pc_arm(c, EV_READ);
    }
}

static void pc_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pconn *c = arg;
    if (c->state == PC_CONNECTING || c->state == PC_SETUP || c->state == PC_SAMPLING)
        pc_fail(c, c->state == PC_CONNECTING ? "connect timed out" : "query timed out");
}

/* Opens c's connection to node nd of instance in. */
static void pc_connect(pconn *c, const store_instance *in, const store_node *nd)
{
    char *password = instsecret_admin_password(c->s->r, in);
    if (!password) {
        c->retry_ms = mono_ms() + PI_RETRY_MS * 15;
        return;
    }
    char port[16];
    snprintf(port, sizeof port, "%lld", (long long)nd->port);
    const char *keys[] = {"hostaddr", "port",    "user",    "password", "dbname",
                          "application_name", "connect_timeout", "sslmode", "options", NULL};
    const char *vals[] = {nd->addr,   port,     INSTSECRET_ADMIN_USER, password, "postgres",
                          "rdsim-pi", "2",      "disable",
                          "-c search_path=pg_catalog -c statement_timeout=2000", NULL};
    c->conn = PQconnectStartParams(keys, vals, 0);
    instsecret_free(password);
    snprintf(c->node_id, sizeof c->node_id, "%s", nd->id);
    if (!c->conn || PQstatus(c->conn) == CONNECTION_BAD) {
        pc_fail(c, c->conn ? PQerrorMessage(c->conn) : "out of memory");
        return;
    }
    c->state = PC_CONNECTING;
    c->pgss = false;
    pc_arm(c, EV_WRITE);
    pc_arm_timeout(c);
}

static pconn *pc_find(pisampler *s, const char *rid)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->conns[i]->rid, rid) == 0)
            return s->conns[i];
    return NULL;
}

static void pc_free(pconn *c)
{
    pc_close(c);
    if (c->timer)
        event_free(c->timer);
    free(c);
}

/* One instance with PI on, its primary node primary: sample it (or start
 * its connection); prune its counts once a minute. */
static void tick_instance(pisampler *s, const char *id, const char *rid, const char *primary,
                          int64_t retention, int64_t now_s)
{
    region *r = s->r;
    pconn *c = pc_find(s, rid);
    if (!c && s->n < PI_MAX_CONNS) {
        c = xcalloc(1, sizeof *c);
        c->s = s;
        snprintf(c->rid, sizeof c->rid, "%s", rid);
        c->timer = evtimer_new(r->base, pc_timeout, c);
        s->conns[s->n++] = c;
    }
    if (!c)
        return;
    c->seen = true;
    if (c->state != PC_IDLE && strcmp(c->node_id, primary) != 0) {
        LOG_INFO("pi sampler follows the primary resource=%s from=%s to=%s", rid, c->node_id,
                 primary);
        pc_close(c);
        c->retry_ms = 0;
    }
    if (c->state == PC_READY) {
        c->sample_t = now_s;
        char *q = sample_query(c);
        pc_send(c, q, PC_SAMPLING);
        free(q);
    } else if (c->state == PC_IDLE && mono_ms() >= c->retry_ms) {
        store_instance in = {0};
        store_node nd = {0};
        bool fi = false, fn = false;
        if (store_instance_get(r->st, id, &in, &fi) && fi &&
            store_node_get(r->st, primary, &nd, &fn) && fn && nd.goal == GOAL_RUNNING)
            pc_connect(c, &in, &nd);
        store_instance_clear(&in);
        store_node_clear(&nd);
    }
    if (s->ticks % 60 == 0) {
        if (!store_begin(r->st) || !pi_store_prune(r->st, rid, now_s, retention) ||
            !store_commit(r->st))
            store_rollback(r->st);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pisampler *s = arg;
    region *r = s->r;
    s->ticks++;
    int64_t now_s = rclock_now_ms(r->clock_offset_ms) / 1000;
    for (int i = 0; i < s->n; i++)
        s->conns[i]->seen = false;
    sqlite3_stmt *q = sqlrow_cached(
        r->st, "SELECT id, resource_id, primary_node, coalesce(json_extract(extra, '$."
               INSTEXTRA_PI_RETENTION "'), 7) FROM instances WHERE primary_node IS NOT NULL"
               " AND json_valid(extra) AND json_extract(extra, '$." INSTEXTRA_PI_ENABLED
               "') = 1");
    if (q) {
        /* Copied out first: tick_instance writes to the store. */
        char *rows[PI_MAX_CONNS][3];
        int64_t ret[PI_MAX_CONNS];
        int n = 0;
        while (n < PI_MAX_CONNS && sqlite3_step(q) == SQLITE_ROW) {
            for (int k = 0; k < 3; k++)
                rows[n][k] = sqlrow_text(q, k);
            ret[n++] = sqlite3_column_int64(q, 3);
        }
        sqlrow_release(r->st, q);
        for (int i = 0; i < n; i++) {
            if (rows[i][0] && rows[i][1] && rows[i][2])
                tick_instance(s, rows[i][0], rows[i][1], rows[i][2], ret[i], now_s);
            for (int k = 0; k < 3; k++)
                free(rows[i][k]);
        }
    }
    for (int i = 0; i < s->n;) {
        if (!s->conns[i]->seen) {
            pc_free(s->conns[i]);
            s->conns[i] = s->conns[--s->n];
        } else {
            i++;
        }
    }
}

pisampler *pisampler_new(region *r)
{
    pisampler *s = xcalloc(1, sizeof *s);
    s->r = r;
    s->tick = event_new(r->base, -1, EV_PERSIST, on_tick, s);
    struct timeval tv = {1, 0};
    event_add(s->tick, &tv);
    return s;
}

void pisampler_free(pisampler *s)
{
    if (!s)
        return;
    if (s->tick)
        event_free(s->tick);
    for (int i = 0; i < s->n; i++)
        pc_free(s->conns[i]);
    free(s);
}
