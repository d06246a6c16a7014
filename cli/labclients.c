/* labclients: see labclients.h.
 *
 * A client runs one attempt at a time, a small state machine driven by
 * the loop with the poll() result of its one descriptor and the time:
 *
 *   IDLE ──live connection──────────────────────────▶ BUSY ──reply──▶ IDLE
 *     │──cache valid / multi-host──▶ CONNECTING ──ok──▲  │ error, timeout
 *     └──cache expired──▶ RESOLVING ──answer──┘   │ fail │        ▼
 *                            │ no answer          ▼      └──▶ logged, IDLE
 *                            └──────────────────▶ logged
 * Every state has a deadline (c-ares bounds RESOLVING itself), so a dead
 * node or a silent server costs one bounded attempt and never stalls the
 * other clients. c-ares answers arrive through a callback inside
 * ares_process_fd, which moves the waiting client on. */
#include "cli/labclients.h"

#include <ares.h>
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/pgtls.h"
#include "cli/stubres.h"
#include "lib/log.h"

#define LC_PAUSE_MIN_MS 50      /* between one client's attempts: 50..100 ms */
#define LC_PAUSE_SPREAD_MS 51
#define LC_ARES_TIMEOUT_MS 500
#define LC_ARES_TRIES 2
#define LC_LOOP_MAX_WAIT_MS 10

const char labclients_create_sql[] =
    "CREATE TABLE IF NOT EXISTS rdsim_lab (run bigint NOT NULL, client text NOT NULL, "
    "seq bigint NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())";

static const char lc_insert_sql[] =
    "INSERT INTO rdsim_lab (run, client, seq) VALUES ($1, $2, $3) "
    "RETURNING host(inet_server_addr()), (extract(epoch FROM clock_timestamp()) * 1000)::bigint";

/* ------------------------------------------------------------ pure parts */

int64_t labclients_cache_expiry(lab_client_kind k, int64_t now, uint32_t ttl_s, int min_ttl)
{
    switch (k) {
    case LAB_CACHE30:
        return now + (int64_t)LABCLIENTS_JVM_TTL_S * 1000;
    case LAB_FOREVER:
    case LAB_STICKY:
        return INT64_MAX;
    case LAB_MINTTL:
        return now + (int64_t)((int64_t)ttl_s > min_ttl ? (int64_t)ttl_s : min_ttl) * 1000;
    case LAB_TTL:
    case LAB_POOL:
    case LAB_MULTIHOST:
    default: /* the real runtimes: their own caches, not modelled here */
        break;
    }
    return now + (int64_t)ttl_s * 1000;
}

lab_outcome labclients_classify(const char *sqlstate, const char *message)
{
    if (sqlstate && strcmp(sqlstate, "25006") == 0)
        return LAB_READONLY;
    if (message) {
        /* libpq's multi-host walk refuses standbys with these (and may
         * also list a refused host before them: the standby is the
         * reason nothing was writable). */
        if (strstr(message, "session is read-only") || strstr(message, "hot standby mode"))
            return LAB_READONLY;
        /* libpq, glibc; the JDBC driver says "Connection to H:P refused." */
        if (strstr(message, "Connection refused") ||
            (strstr(message, "Connection to ") && strstr(message, " refused")))
            return LAB_REFUSED;
        if (strstr(message, "timed out") || strstr(message, "timeout expired"))
            return LAB_TIMEOUT;
    }
    return LAB_OTHER;
}

bool labclients_breaks_connection(const char *sqlstate, bool conn_bad)
{
    if (conn_bad)
        return true;
    if (!sqlstate)
        return false;
    return strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
           strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0;
}

/* --------------------------------------------------------------- clients */

typedef enum { LC_IDLE, LC_RESOLVING, LC_CONNECTING, LC_BUSY } lc_state;

typedef struct {
    labclients *owner;
    lab_client_kind kind;
    bool active;
    lc_state st;
    int64_t next_ms;  /* mono: IDLE until then */
    int64_t deadline; /* mono: CONNECTING/BUSY give up then */
    int64_t start_wall;
    PGconn *conns[LABCLIENTS_POOL_SIZE];
    int nconns;
    int cur; /* the connection of this attempt */
    PostgresPollingStatusType poll_status;
    bool flushing;
    char addr[LABCLIENTS_ADDR_MAX];
    int64_t addr_expires; /* mono; 0: nothing cached */
    int64_t seq;
    /* The attempt's reply. */
    bool got_row;
    uint32_t row_addr;
    int64_t row_server_ms;
    bool got_error;
    char sqlstate[6];
    char error[LABCLIENTS_ERROR_MAX];
    uint32_t rng;
} lc_client;

typedef struct {
    int64_t ms;
    uint32_t addr;
} lc_dns_change;

struct labclients {
    labclients_config cfg;
    char *nodes_list; /* "a,b" for libpq's hostaddr */
    pthread_t thread;
    bool started;
    atomic_bool stop;
    bool ares_ready;
    ares_channel ch;
    uint8_t qname[WIRE_NAME_MAX];
    size_t qname_len;

    pthread_mutex_t mu; /* guards the logs down to the thread-only part */
    lab_attempt *log;
    size_t nlog, log_cap;
    lc_dns_change *changes;
    size_t nchanges, changes_cap;
    char last_error[LAB_NCLIENTS][LABCLIENTS_ERROR_MAX];

    /* The thread's own. */
    bool stopping; /* c-ares callbacks during ares_destroy touch nothing */
    lc_client clients[LAB_NCLIENTS];
    stubres watch;
    int64_t watch_next;
    bool watch_known;
    uint32_t watch_addr;
};

static uint32_t lc_rand(lc_client *c)
{
    uint32_t x = c->rng ? c->rng : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c->rng = x;
    return x;
}

static void lc_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
    /* libpq messages end with a newline; keep one line. */
    for (char *p = dst; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = (p[1] ? ' ' : '\0');
}

static void lc_drop(lc_client *c, int i)
{
    if (c->conns[i])
        PQfinish(c->conns[i]);
    c->conns[i] = NULL;
}

/* Logs the attempt and schedules the next one. A failure drops the
 * connection, except in the pool, which drops only a broken one. */
static void lc_finish(lc_client *c, lab_outcome outcome, bool breaks, int64_t now)
{
    labclients *l = c->owner;
    lab_attempt a = {.start_ms = c->start_wall, .end_ms = wall_ms(), .client = (uint8_t)c->kind,
                     .outcome = (uint8_t)outcome};
    if (outcome == LAB_OK) {
        a.server_ms = c->row_server_ms;
        a.addr = c->row_addr;
    }
    pthread_mutex_lock(&l->mu);
    if (l->nlog == l->log_cap) {
        l->log_cap = l->log_cap ? l->log_cap * 2 : 4096;
        l->log = xrealloc(l->log, l->log_cap * sizeof *l->log);
    }
    l->log[l->nlog++] = a;
    if (outcome != LAB_OK)
        memcpy(l->last_error[c->kind], c->error, sizeof c->error);
    pthread_mutex_unlock(&l->mu);
    if (outcome != LAB_OK) {
        LOG_DEBUG("lab client=%s outcome=%s error=%s", labreport_client_name(c->kind),
                  labreport_outcome_name(outcome), c->error);
        if (c->kind != LAB_POOL || breaks)
            lc_drop(c, c->cur);
    }
    c->flushing = false;
    c->st = LC_IDLE;
    c->next_ms = now + LC_PAUSE_MIN_MS + (int64_t)(lc_rand(c) % LC_PAUSE_SPREAD_MS);
}

static void lc_fail(lc_client *c, lab_outcome outcome, bool breaks, const char *message,
                    int64_t now)
{
    lc_copy(c->error, sizeof c->error, message);
    lc_finish(c, outcome, breaks, now);
}

static void lc_send_insert(lc_client *c, int64_t now)
{
    labclients *l = c->owner;
    PGconn *conn = c->conns[c->cur];
    char run[24], seq[24];
    snprintf(run, sizeof run, "%lld", (long long)l->cfg.run);
    snprintf(seq, sizeof seq, "%lld", (long long)++c->seq);
    const char *values[3] = {run, labreport_client_name(c->kind), seq};
    c->got_row = false;
    c->got_error = false;
    c->sqlstate[0] = '\0';
    if (!PQsendQueryParams(conn, lc_insert_sql, 3, NULL, values, NULL, NULL, 0)) {
        lc_fail(c, labclients_classify(NULL, PQerrorMessage(conn)), true, PQerrorMessage(conn),
                now);
        return;
    }
    int f = PQflush(conn);
    if (f < 0) {
        lc_fail(c, LAB_OTHER, true, PQerrorMessage(conn), now);
        return;
    }
    c->flushing = f == 1;
    c->st = LC_BUSY;
    c->deadline = now + LABCLIENTS_QUERY_TIMEOUT_MS;
}

/* Notices (and the FATAL a stopping server sends an idle connection)
 * would go to stderr; the lab logs failures itself. */
static void lc_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void lc_connect(lc_client *c, int64_t now)
{
    labclients *l = c->owner;
    char port[16];
    snprintf(port, sizeof port, "%d", l->cfg.pg_port);
    bool multi = c->kind == LAB_MULTIHOST;
    const char *keys[] = {"hostaddr", "port", "user", "password", "dbname", "application_name",
                          "sslmode", "gssencmode", "target_session_attrs", "host", "sslrootcert",
                          NULL};
    const char *addrs = multi ? l->nodes_list : c->addr;
    const char *vals[] = {addrs, port, l->cfg.user, l->cfg.password, l->cfg.dbname,
                          labreport_client_name(c->kind), pgtls_mode(l->cfg.sslrootcert),
                          "disable", multi ? "read-write" : "any", addrs, l->cfg.sslrootcert,
                          NULL};
    PGconn *conn = PQconnectStartParams(keys, vals, 0);
    c->conns[c->cur] = conn;
    if (!conn || PQstatus(conn) == CONNECTION_BAD) {
        lc_fail(c, LAB_OTHER, true, conn ? PQerrorMessage(conn) : "out of memory", now);
        return;
    }
    PQsetNoticeProcessor(conn, lc_quiet, NULL);
    c->poll_status = PGRES_POLLING_WRITING;
    c->st = LC_CONNECTING;
    /* libpq walks the host list inside one attempt. */
    c->deadline = now + LABCLIENTS_CONNECT_TIMEOUT_MS * (multi ? 2 : 1);
}

static void lc_on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    lc_client *c = arg;
    labclients *l = c->owner;
    if (l->stopping || c->st != LC_RESOLVING)
        return;
    int64_t now = mono_ms();
    char addr[LABCLIENTS_ADDR_MAX];
    uint32_t ttl = 0;
    stubres_result r = STUBRES_NOTHING;
    /* c-ares matched the id already; stubres checks the question and
     * walks the chain for the address and the smallest TTL. */
    if (status == ARES_SUCCESS && abuf && alen >= WIRE_HEADER_LEN) {
        uint16_t id = (uint16_t)(abuf[0] << 8 | abuf[1]);
        r = stubres_parse_answer(abuf, (size_t)alen, id, l->qname, l->qname_len, addr,
                                 sizeof addr, &ttl);
    }
    if (r == STUBRES_ADDRESS) {
        memcpy(c->addr, addr, sizeof addr);
        c->addr_expires = labclients_cache_expiry(c->kind, now, ttl, l->cfg.min_ttl);
        lc_connect(c, now);
        return;
    }
    char msg[LABCLIENTS_ERROR_MAX];
    snprintf(msg, sizeof msg, "DNS: %s", status == ARES_SUCCESS ? "no address in the answer"
                                                                : ares_strerror(status));
    lc_fail(c, status == ARES_ETIMEOUT ? LAB_TIMEOUT : LAB_OTHER, true, msg, now);
}

static void lc_begin(lc_client *c, int64_t now)
{
    labclients *l = c->owner;
    c->start_wall = wall_ms();
    if (c->nconns > 1)
        c->cur = (c->cur + 1) % c->nconns;
    PGconn *conn = c->conns[c->cur];
    if (conn && PQstatus(conn) == CONNECTION_OK) {
        lc_send_insert(c, now);
        return;
    }
    lc_drop(c, c->cur);
    if (c->kind == LAB_MULTIHOST || (c->addr_expires && now < c->addr_expires)) {
        lc_connect(c, now);
        return;
    }
    c->st = LC_RESOLVING;
    ares_query(l->ch, l->cfg.endpoint, 1 /* IN */, WIRE_TYPE_A, lc_on_answer, c);
}

static void lc_on_connecting(lc_client *c, short revents, int64_t now)
{
    PGconn *conn = c->conns[c->cur];
    if (revents) {
        c->poll_status = PQconnectPoll(conn);
        if (c->poll_status == PGRES_POLLING_FAILED) {
            const char *m = PQerrorMessage(conn);
            lc_fail(c, labclients_classify(NULL, m), true, m, now);
            return;
        }
        if (c->poll_status == PGRES_POLLING_OK) {
            PQsetnonblocking(conn, 1);
            lc_send_insert(c, now);
            return;
        }
    }
    if (now >= c->deadline)
        lc_fail(c, LAB_TIMEOUT, true, "connection timed out", now);
}

/* The reply is complete: log what it came to. */
static void lc_reply_done(lc_client *c, int64_t now)
{
    PGconn *conn = c->conns[c->cur];
    bool bad = PQstatus(conn) == CONNECTION_BAD;
    if (c->got_row && !c->got_error) {
        lc_finish(c, LAB_OK, false, now);
        return;
    }
    if (!c->got_error)
        lc_copy(c->error, sizeof c->error, bad ? PQerrorMessage(conn) : "unexpected reply");
    lc_finish(c, labclients_classify(c->sqlstate, c->error),
              labclients_breaks_connection(c->sqlstate, bad), now);
}

static void lc_on_busy(lc_client *c, short revents, int64_t now)
{
    PGconn *conn = c->conns[c->cur];
    if (c->flushing && (revents & POLLOUT)) {
        int f = PQflush(conn);
        if (f < 0) {
            lc_fail(c, LAB_OTHER, true, PQerrorMessage(conn), now);
            return;
        }
        c->flushing = f == 1;
    }
    if (revents & (POLLIN | POLLERR | POLLHUP)) {
        if (!PQconsumeInput(conn)) {
            lc_fail(c, labclients_classify(NULL, PQerrorMessage(conn)), true,
                    PQerrorMessage(conn), now);
            return;
        }
        while (!PQisBusy(conn)) {
            PGresult *res = PQgetResult(conn);
            if (!res) {
                lc_reply_done(c, now);
                return;
            }
            if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
                PQnfields(res) == 2) {
                struct in_addr ia;
                int64_t server_ms;
                if (inet_pton(AF_INET, PQgetvalue(res, 0, 0), &ia) == 1 &&
                    str_to_int64(PQgetvalue(res, 0, 1), 0, INT64_MAX, &server_ms)) {
                    c->got_row = true;
                    c->row_addr = ia.s_addr;
                    c->row_server_ms = server_ms;
                }
            } else if (PQresultStatus(res) != PGRES_TUPLES_OK && !c->got_error) {
                c->got_error = true;
                lc_copy(c->sqlstate, sizeof c->sqlstate,
                        PQresultErrorField(res, PG_DIAG_SQLSTATE));
                lc_copy(c->error, sizeof c->error, PQresultErrorMessage(res));
            }
            PQclear(res);
        }
    }
    if (now >= c->deadline)
        lc_fail(c, LAB_TIMEOUT, true, "no reply in time", now);
}

static void lc_step(lc_client *c, short revents, int64_t now)
{
    switch (c->st) {
    case LC_IDLE:
        if (now >= c->next_ms)
            lc_begin(c, now);
        break;
    case LC_RESOLVING:
        break; /* lc_on_answer moves it on */
    case LC_CONNECTING:
        lc_on_connecting(c, revents, now);
        break;
    case LC_BUSY:
        lc_on_busy(c, revents, now);
        break;
    }
}

static struct pollfd lc_wants(const lc_client *c)
{
    struct pollfd p = {.fd = -1};
    PGconn *conn = c->conns[c->cur];
    if (c->st == LC_CONNECTING && conn) {
        p.fd = PQsocket(conn);
        p.events = c->poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    } else if (c->st == LC_BUSY && conn) {
        p.fd = PQsocket(conn);
        p.events = (short)(POLLIN | (c->flushing ? POLLOUT : 0));
    }
    return p;
}

static int64_t lc_wake(const lc_client *c)
{
    switch (c->st) {
    case LC_IDLE:
        return c->next_ms;
    case LC_CONNECTING:
    case LC_BUSY:
        return c->deadline;
    case LC_RESOLVING:
        break;
    }
    return INT64_MAX;
}

/* ------------------------------------------------------------ DNS watch */

static void lc_watch_step(labclients *l, short revents, int64_t now)
{
    if (revents & (POLLIN | POLLERR)) {
        char a[LABCLIENTS_ADDR_MAX];
        uint32_t ttl;
        if (stubres_receive(&l->watch, a, sizeof a, &ttl) == STUBRES_ADDRESS) {
            struct in_addr ia;
            if (inet_pton(AF_INET, a, &ia) == 1 && (!l->watch_known || ia.s_addr != l->watch_addr)) {
                l->watch_known = true;
                l->watch_addr = ia.s_addr;
                pthread_mutex_lock(&l->mu);
                if (l->nchanges == l->changes_cap) {
                    l->changes_cap = l->changes_cap ? l->changes_cap * 2 : 16;
                    l->changes = xrealloc(l->changes, l->changes_cap * sizeof *l->changes);
                }
                l->changes[l->nchanges++] = (lc_dns_change){.ms = wall_ms(), .addr = ia.s_addr};
                pthread_mutex_unlock(&l->mu);
            }
        }
    }
    if (now >= l->watch_next) {
        /* A fresh query each period; a late answer to an old id is ignored. */
        if (!stubres_send(&l->watch)) {
            char a[LABCLIENTS_ADDR_MAX];
            uint32_t ttl;
            stubres_receive(&l->watch, a, sizeof a, &ttl);
        }
        l->watch_next = now + LABCLIENTS_WATCH_MS;
    }
}

/* ------------------------------------------------------------------ loop */

#define LC_MAX_FDS (LAB_NCLIENTS + ARES_GETSOCK_MAXNUM + 1)

static void *lc_main(void *arg)
{
    labclients *l = arg;
    stubres_open(&l->watch, l->cfg.dns_server, l->cfg.dns_port, l->cfg.endpoint);
    l->watch_next = mono_ms();
    int64_t start = mono_ms();
    for (int k = 0; k < LAB_NCLIENTS; k++) {
        lc_client *c = &l->clients[k];
        c->owner = l;
        c->kind = (lab_client_kind)k;
        c->active = (l->cfg.present >> k) & 1;
        c->nconns = k == LAB_POOL ? LABCLIENTS_POOL_SIZE : 1;
        c->rng = (uint32_t)(wall_ms() * 2654435761u) ^ (uint32_t)(k + 1) * 0x85ebca6bu;
        /* Spread the first attempts over one pause. */
        c->next_ms = start + (int64_t)(lc_rand(c) % LC_PAUSE_SPREAD_MS);
    }
    struct pollfd pfd[LC_MAX_FDS];
    while (!atomic_load(&l->stop)) {
        int64_t now = mono_ms(), wake = now + LC_LOOP_MAX_WAIT_MS;
        int n = 0;
        for (int k = 0; k < LAB_NCLIENTS; k++) {
            lc_client *c = &l->clients[k];
            pfd[n] = c->active ? lc_wants(c) : (struct pollfd){.fd = -1};
            pfd[n].revents = 0;
            n++;
            if (c->active && lc_wake(c) < wake)
                wake = lc_wake(c);
        }
        pfd[n++] = (struct pollfd){.fd = l->watch.fd, .events = POLLIN};
        if (l->watch_next < wake)
            wake = l->watch_next;
        int ares_first = n;
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        /* The bits tested unsigned: c-ares's own ARES_GETSOCK_WRITABLE
         * shifts a signed 1 into the sign bit for the last socket. */
        unsigned bits = (unsigned)ares_getsock(l->ch, socks, ARES_GETSOCK_MAXNUM);
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short ev = (short)((((bits >> i) & 1u) ? POLLIN : 0) |
                               (((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u) ? POLLOUT : 0));
            if (ev)
                pfd[n++] = (struct pollfd){.fd = socks[i], .events = ev};
        }
        int timeout = wake > now ? (int)(wake - now) : 0;
        if (poll(pfd, (nfds_t)n, timeout) < 0)
            continue; /* EINTR */
        now = mono_ms();
        /* c-ares first: its callbacks move RESOLVING clients to
         * CONNECTING, whose descriptor was not polled this round. */
        bool any = false;
        for (int i = ares_first; i < n; i++) {
            if (!pfd[i].revents)
                continue;
            any = true;
            bool rd = pfd[i].revents & (POLLIN | POLLERR | POLLHUP);
            bool wr = pfd[i].revents & POLLOUT;
            ares_process_fd(l->ch, rd ? pfd[i].fd : ARES_SOCKET_BAD,
                            wr ? pfd[i].fd : ARES_SOCKET_BAD);
        }
        if (!any)
            ares_process_fd(l->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
        for (int k = 0; k < LAB_NCLIENTS; k++) {
            lc_client *c = &l->clients[k];
            if (c->active)
                lc_step(c, pfd[k].fd >= 0 ? pfd[k].revents : 0, now);
        }
        lc_watch_step(l, pfd[LAB_NCLIENTS].revents, now);
    }
    l->stopping = true;
    ares_cancel(l->ch);
    for (int k = 0; k < LAB_NCLIENTS; k++)
        for (int i = 0; i < LABCLIENTS_POOL_SIZE; i++)
            lc_drop(&l->clients[k], i);
    stubres_close(&l->watch);
    return NULL;
}

/* ------------------------------------------------------------------- API */

labclients *labclients_start(const labclients_config *cfg)
{
    unsigned valid = (1u << LAB_NMODELS) - 1; /* the real runtimes are labruntimes.h's */
    if (!cfg->present || (cfg->present & ~valid) ||
        ((cfg->present & (1u << LAB_MULTIHOST)) && (!cfg->nodes[0] || !cfg->nodes[1]))) {
        LOG_ERROR("lab: bad client set present=%#x", cfg->present);
        return NULL;
    }
    labclients *l = xcalloc(1, sizeof *l);
    l->cfg = *cfg;
    l->cfg.endpoint = xstrdup(cfg->endpoint);
    l->cfg.dns_server = xstrdup(cfg->dns_server);
    l->cfg.user = xstrdup(cfg->user);
    l->cfg.password = xstrdup(cfg->password);
    l->cfg.dbname = xstrdup(cfg->dbname);
    l->cfg.sslrootcert = cfg->sslrootcert ? xstrdup(cfg->sslrootcert) : NULL;
    l->cfg.nodes[0] = l->cfg.nodes[1] = NULL;
    l->nodes_list = cfg->nodes[0] && cfg->nodes[1]
                        ? xasprintf("%s,%s", cfg->nodes[0], cfg->nodes[1]) : xstrdup("");
    atomic_init(&l->stop, false);
    pthread_mutex_init(&l->mu, NULL);
    l->watch.fd = -1;
    if (!wire_name_from_text(l->cfg.endpoint, l->qname, &l->qname_len)) {
        LOG_ERROR("lab: not a domain name endpoint=%s", l->cfg.endpoint);
        labclients_free(l);
        return NULL;
    }
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        LOG_ERROR("lab: c-ares could not be initialised");
        labclients_free(l);
        return NULL;
    }
    struct ares_options opts = {.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH,
                                .timeout = LC_ARES_TIMEOUT_MS, .tries = LC_ARES_TRIES};
    int st = ares_init_options(&l->ch, &opts, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (st != ARES_SUCCESS) {
        LOG_ERROR("lab: c-ares: %s", ares_strerror(st));
        ares_library_cleanup();
        labclients_free(l);
        return NULL;
    }
    l->ares_ready = true;
    char *csv = xasprintf("%s:%d", l->cfg.dns_server, l->cfg.dns_port);
    st = ares_set_servers_ports_csv(l->ch, csv);
    free(csv);
    if (st != ARES_SUCCESS) {
        LOG_ERROR("lab: c-ares: server %s:%d: %s", l->cfg.dns_server, l->cfg.dns_port,
                  ares_strerror(st));
        labclients_free(l);
        return NULL;
    }
    if (pthread_create(&l->thread, NULL, lc_main, l) != 0) {
        LOG_ERROR("lab: cannot start the clients' thread");
        labclients_free(l);
        return NULL;
    }
    l->started = true;
    return l;
}

void labclients_stop(labclients *l)
{
    if (!l || !l->started)
        return;
    atomic_store(&l->stop, true);
    pthread_join(l->thread, NULL);
    l->started = false;
}

void labclients_free(labclients *l)
{
    if (!l)
        return;
    labclients_stop(l);
    if (l->ares_ready) {
        l->stopping = true;
        ares_destroy(l->ch);
        ares_library_cleanup();
    }
    pthread_mutex_destroy(&l->mu);
    free((char *)l->cfg.endpoint);
    free((char *)l->cfg.dns_server);
    free((char *)l->cfg.user);
    free((char *)l->cfg.password);
    free((char *)l->cfg.dbname);
    free((char *)l->cfg.sslrootcert);
    free(l->nodes_list);
    free(l->log);
    free(l->changes);
    free(l);
}

size_t labclients_attempts(labclients *l, lab_attempt **out)
{
    pthread_mutex_lock(&l->mu);
    size_t n = l->nlog;
    *out = xmalloc((n ? n : 1) * sizeof **out);
    if (n)
        memcpy(*out, l->log, n * sizeof **out);
    pthread_mutex_unlock(&l->mu);
    return n;
}

bool labclients_dns_flip(labclients *l, uint32_t old_addr, int64_t *ms, uint32_t *addr)
{
    bool found = false;
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->nchanges && !found; i++)
        if (l->changes[i].addr != old_addr) {
            *ms = l->changes[i].ms;
            *addr = l->changes[i].addr;
            found = true;
        }
    pthread_mutex_unlock(&l->mu);
    return found;
}

void labclients_last_error(labclients *l, lab_client_kind k, char *buf, size_t size)
{
    if (!size)
        return;
    buf[0] = '\0';
    if (k < 0 || k >= LAB_NCLIENTS)
        return;
    pthread_mutex_lock(&l->mu);
    snprintf(buf, size, "%s", l->last_error[k]);
    pthread_mutex_unlock(&l->mu);
}
