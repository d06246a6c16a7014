/* workload: see workload.h.
 *
 * Each client (writer or probe) is a small state machine driven by the
 * loop with the poll() result of its one descriptor and the time:
 *
 *   START ──cached address valid──────────────▶ CONNECTING ──ok──▶ BUSY ◀─┐
 *     │                                           ▲      │ fail      │ ack │
 *     └──TTL ran out──▶ RESOLVING ──answer────────┘      ▼           ▼     │
 *                          │ no answer / NXDOMAIN      PAUSE ◀───────┘─────┘
 *                          └──────────────────────────▶  │ (then START, or BUSY
 *                                                        │  on a live connection)
 * Every state has a deadline, so a hung server (SIGSTOP) or a silent DNS
 * server costs a bounded wait and never stalls the other clients. */
#include "cli/workload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/pgtls.h"
#include "cli/stubres.h"
#include "lib/log.h"
#include "lib/util.h"

#define WL_RETRY_MS 20          /* after a failed connect or insert */
#define WL_DNS_RETRY_MS 100     /* after no usable DNS answer */
#define WL_DNS_TIMEOUT_MS 500   /* one DNS query's wait */
#define WL_LOOP_MAX_WAIT_MS 10  /* the loop notices stop and probe changes this fast */
#define WL_ERROR_MAX 200

const char workload_create_sql[] =
    "CREATE TABLE IF NOT EXISTS rdsim_chaos (run bigint NOT NULL, id bigint NOT NULL, "
    "writer int NOT NULL, PRIMARY KEY (run, id))";

static const char wl_insert_sql[] =
    "INSERT INTO rdsim_chaos (run, id, writer) VALUES ($1, $2, $3) "
    "RETURNING host(inet_server_addr()), (extract(epoch FROM clock_timestamp()) * 1000)::bigint";

typedef enum { WR_START, WR_RESOLVING, WR_CONNECTING, WR_BUSY, WR_PAUSE } wr_state;

typedef struct {
    int number;                      /* writer number, or -1 for a probe */
    wr_state st;
    int64_t deadline;                /* mono ms: when the current state gives up or ends */
    stubres dns;                     /* writers only */
    char addr[WORKLOAD_ADDR_MAX];    /* cached (writer) or fixed (probe) address */
    int64_t addr_expires;            /* mono ms; writers only */
    PGconn *conn;
    PostgresPollingStatusType poll_status;
    bool flushing;                   /* output still queued in libpq */
    bool in_flight;                  /* an insert was sent and not answered */
    int64_t id;                      /* of the insert in flight */
    bool acked;
    workload_ack ack;
} wl_client;

typedef struct {
    int64_t ms;
    uint32_t addr;
} wl_dns_change;

struct workload {
    workload_config cfg;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    int netns_fd;       /* cfg.netns opened by the caller, -1 if none */
    pthread_mutex_t ready_mu; /* the thread says whether it entered netns */
    pthread_cond_t ready_cv;
    int ready;          /* 0 not yet, 1 entered (or none asked), -1 failed */

    pthread_mutex_t mu; /* guards everything down to the thread-only part */
    workload_ack *acks;
    size_t nacks, acks_cap;
    wl_dns_change *changes;
    size_t nchanges, changes_cap;
    char probe_addrs[WORKLOAD_MAX_PROBES][WORKLOAD_ADDR_MAX];
    int nprobe_addrs;
    unsigned probe_gen;
    int64_t sent, acked;
    char last_error[WL_ERROR_MAX];

    /* The thread's own. */
    wl_client writers[WORKLOAD_MAX_WRITERS];
    wl_client probes[WORKLOAD_MAX_PROBES];
    int nprobes;
    unsigned probe_gen_seen;
    int64_t next_id;
    stubres watch;
    int64_t watch_next;
    bool watch_known;
    uint32_t watch_addr;
};

/* ------------------------------------------------------------ shared logs */

static void wl_note_error(workload *w, const wl_client *c, const char *what, const char *detail)
{
    char msg[WL_ERROR_MAX];
    snprintf(msg, sizeof msg, "%s %d %s: %s", c->number < 0 ? "probe" : "writer",
             c->number < 0 ? 0 : c->number, what, detail ? detail : "");
    /* libpq messages end with a newline. */
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    pthread_mutex_lock(&w->mu);
    memcpy(w->last_error, msg, n + 1);
    pthread_mutex_unlock(&w->mu);
    LOG_DEBUG("workload %s", msg);
}

static void wl_record_ack(workload *w, const workload_ack *a)
{
    pthread_mutex_lock(&w->mu);
    if (w->nacks == w->acks_cap) {
        w->acks_cap = w->acks_cap ? w->acks_cap * 2 : 4096;
        w->acks = xrealloc(w->acks, w->acks_cap * sizeof *w->acks);
    }
    w->acks[w->nacks++] = *a;
    if (a->writer >= 0)
        w->acked++;
    pthread_mutex_unlock(&w->mu);
}

static void wl_record_dns(workload *w, uint32_t addr)
{
    pthread_mutex_lock(&w->mu);
    if (w->nchanges == w->changes_cap) {
        w->changes_cap = w->changes_cap ? w->changes_cap * 2 : 64;
        w->changes = xrealloc(w->changes, w->changes_cap * sizeof *w->changes);
    }
    w->changes[w->nchanges++] = (wl_dns_change){.ms = wall_ms(), .addr = addr};
    pthread_mutex_unlock(&w->mu);
}

/* --------------------------------------------------------------- clients */

static void wl_pause(wl_client *c, int64_t now, int ms)
{
    c->st = WR_PAUSE;
    c->deadline = now + ms;
}

static void wl_drop(wl_client *c)
{
    if (c->conn)
        PQfinish(c->conn);
    c->conn = NULL;
    c->in_flight = false;
    c->flushing = false;
}

static void wl_fail(workload *w, wl_client *c, int64_t now, const char *what, const char *detail)
{
    wl_note_error(w, c, what, detail);
    wl_drop(c);
    wl_pause(c, now, WL_RETRY_MS);
}

static void wl_send_insert(workload *w, wl_client *c, int64_t now)
{
    char run[24], id[24], writer[16];
    c->id = ++w->next_id;
    snprintf(run, sizeof run, "%lld", (long long)w->cfg.run);
    snprintf(id, sizeof id, "%lld", (long long)c->id);
    snprintf(writer, sizeof writer, "%d", c->number);
    const char *values[3] = {run, id, writer};
    if (!PQsendQueryParams(c->conn, wl_insert_sql, 3, NULL, values, NULL, NULL, 0)) {
        wl_fail(w, c, now, "send", PQerrorMessage(c->conn));
        return;
    }
    /* Probes are expected to fail until their node is promoted: only the
     * writers' inserts count. */
    if (c->number >= 0) {
        pthread_mutex_lock(&w->mu);
        w->sent++;
        pthread_mutex_unlock(&w->mu);
    }
    c->in_flight = true;
    c->acked = false;
    int f = PQflush(c->conn);
    if (f < 0) {
        wl_fail(w, c, now, "send", PQerrorMessage(c->conn));
        return;
    }
    c->flushing = f == 1;
    c->st = WR_BUSY;
    c->deadline = now + WORKLOAD_QUERY_TIMEOUT_MS;
}

/* Server notices (and the FATAL a dying backend sends to an idle
 * connection) would land on stderr by default; the harness reports
 * failures itself. */
static void wl_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void wl_connect(workload *w, wl_client *c, int64_t now)
{
    char port[16];
    snprintf(port, sizeof port, "%d", w->cfg.pg_port);
    const char *keys[] = {"hostaddr", "port", "user", "password", "dbname", "application_name",
                          "sslmode", "gssencmode", "host", "sslrootcert", NULL};
    const char *vals[] = {c->addr, port, w->cfg.user, w->cfg.password, w->cfg.dbname,
                          c->number < 0 ? "rdsim-chaos-probe" : "rdsim-chaos",
                          pgtls_mode(w->cfg.sslrootcert), "disable", c->addr,
                          w->cfg.sslrootcert, NULL};
    c->conn = PQconnectStartParams(keys, vals, 0);
    if (!c->conn || PQstatus(c->conn) == CONNECTION_BAD) {
        wl_fail(w, c, now, "connect", c->conn ? PQerrorMessage(c->conn) : "out of memory");
        return;
    }
    PQsetNoticeProcessor(c->conn, wl_quiet, NULL);
    c->poll_status = PGRES_POLLING_WRITING;
    c->st = WR_CONNECTING;
    c->deadline = now + WORKLOAD_CONNECT_TIMEOUT_MS;
}

static void wl_begin(workload *w, wl_client *c, int64_t now)
{
    if (c->number < 0 || (c->addr[0] && now < c->addr_expires)) {
        wl_connect(w, c, now);
        return;
    }
    if (!stubres_send(&c->dns)) {
        /* The socket reported an earlier ICMP error; read it off and retry. */
        char a[WORKLOAD_ADDR_MAX];
        uint32_t ttl;
        stubres_receive(&c->dns, a, sizeof a, &ttl);
        wl_note_error(w, c, "resolve", "the DNS server is unreachable");
        wl_pause(c, now, WL_DNS_RETRY_MS);
        return;
    }
    c->st = WR_RESOLVING;
    c->deadline = now + WL_DNS_TIMEOUT_MS;
}

static void wl_on_resolving(workload *w, wl_client *c, short revents, int64_t now)
{
    if (revents & (POLLIN | POLLERR)) {
        char a[WORKLOAD_ADDR_MAX];
        uint32_t ttl = 0;
        stubres_result r = stubres_receive(&c->dns, a, sizeof a, &ttl);
        if (r == STUBRES_ADDRESS) {
            memcpy(c->addr, a, sizeof a);
            c->addr_expires = now + (int64_t)ttl * 1000;
            wl_connect(w, c, now);
            return;
        }
        if (r == STUBRES_NEGATIVE || r == STUBRES_ERROR) {
            wl_note_error(w, c, "resolve", r == STUBRES_NEGATIVE ? "no address for the endpoint"
                                                                 : "the DNS server is unreachable");
            c->addr[0] = '\0';
            wl_pause(c, now, WL_DNS_RETRY_MS);
            return;
        }
    }
    if (now >= c->deadline) {
        wl_note_error(w, c, "resolve", "no answer from the DNS server");
        wl_pause(c, now, WL_DNS_RETRY_MS);
    }
}

static void wl_on_connecting(workload *w, wl_client *c, short revents, int64_t now)
{
    if (revents) {
        c->poll_status = PQconnectPoll(c->conn);
        if (c->poll_status == PGRES_POLLING_FAILED) {
            wl_fail(w, c, now, "connect", PQerrorMessage(c->conn));
            return;
        }
        if (c->poll_status == PGRES_POLLING_OK) {
            PQsetnonblocking(c->conn, 1);
            wl_send_insert(w, c, now);
            return;
        }
    }
    if (now >= c->deadline)
        wl_fail(w, c, now, "connect", "timed out");
}

/* The insert's reply is complete: record it and go on. */
static void wl_finish_insert(workload *w, wl_client *c, int64_t now)
{
    c->in_flight = false;
    /* ReadyForQuery said idle: the autocommit transaction is over. */
    if (c->acked && PQtransactionStatus(c->conn) != PQTRANS_IDLE)
        c->acked = false;
    if (c->acked) {
        wl_record_ack(w, &c->ack);
        wl_pause(c, now, w->cfg.interval_ms);
        return;
    }
    /* An error: a writer starts over (its server may now be a standby,
     * and only a new connection re-resolves); a probe keeps a healthy
     * connection to the node it watches. */
    if (c->number >= 0 || PQstatus(c->conn) != CONNECTION_OK)
        wl_drop(c);
    wl_pause(c, now, WL_RETRY_MS);
}

static void wl_on_busy(workload *w, wl_client *c, short revents, int64_t now)
{
    if (c->flushing && (revents & POLLOUT)) {
        int f = PQflush(c->conn);
        if (f < 0) {
            wl_fail(w, c, now, "send", PQerrorMessage(c->conn));
            return;
        }
        c->flushing = f == 1;
    }
    if (revents & (POLLIN | POLLERR | POLLHUP)) {
        if (!PQconsumeInput(c->conn)) {
            wl_fail(w, c, now, "insert", PQerrorMessage(c->conn));
            return;
        }
        while (!PQisBusy(c->conn)) {
            PGresult *res = PQgetResult(c->conn);
            if (!res) {
                wl_finish_insert(w, c, now);
                return;
            }
            if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
                PQnfields(res) == 2) {
                struct in_addr ia;
                int64_t server_ms;
                if (inet_pton(AF_INET, PQgetvalue(res, 0, 0), &ia) == 1 &&
                    str_to_int64(PQgetvalue(res, 0, 1), 0, INT64_MAX, &server_ms)) {
                    c->acked = true;
                    c->ack = (workload_ack){.id = c->id, .client_ms = wall_ms(),
                                            .server_ms = server_ms, .addr = ia.s_addr,
                                            .writer = c->number};
                } else {
                    wl_note_error(w, c, "insert", "unexpected reply");
                }
            } else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                /* The row came back before the commit: in the extended
                 * protocol the implicit transaction commits (and waits for
                 * the synchronous standby) at Sync, after CommandComplete.
                 * An error then ("canceling the wait for synchronous
                 * replication and terminating connection ... might not
                 * have been replicated") means not acknowledged. */
                c->acked = false;
                wl_note_error(w, c, "insert", PQresultErrorMessage(res));
            }
            PQclear(res);
        }
    }
    if (now >= c->deadline)
        wl_fail(w, c, now, "insert", "no reply in time (abandoned)");
}

static void wl_step(workload *w, wl_client *c, short revents, int64_t now)
{
    switch (c->st) {
    case WR_START:
        wl_begin(w, c, now);
        break;
    case WR_RESOLVING:
        wl_on_resolving(w, c, revents, now);
        break;
    case WR_CONNECTING:
        wl_on_connecting(w, c, revents, now);
        break;
    case WR_BUSY:
        wl_on_busy(w, c, revents, now);
        break;
    case WR_PAUSE:
        if (now < c->deadline)
            break;
        if (c->conn)
            wl_send_insert(w, c, now);
        else
            wl_begin(w, c, now);
        break;
    }
}

/* The descriptor and events a client waits on now; fd -1 for none. */
static struct pollfd wl_wants(const wl_client *c)
{
    struct pollfd p = {.fd = -1};
    switch (c->st) {
    case WR_RESOLVING:
        p.fd = c->dns.fd;
        p.events = POLLIN;
        break;
    case WR_CONNECTING:
        p.fd = PQsocket(c->conn);
        p.events = c->poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        break;
    case WR_BUSY:
        p.fd = PQsocket(c->conn);
        p.events = (short)(POLLIN | (c->flushing ? POLLOUT : 0));
        break;
    case WR_START:
    case WR_PAUSE:
        break;
    }
    return p;
}

/* ------------------------------------------------------------ DNS watch */

static void wl_watch_step(workload *w, short revents, int64_t now)
{
    if (revents & (POLLIN | POLLERR)) {
        char a[WORKLOAD_ADDR_MAX];
        uint32_t ttl;
        if (stubres_receive(&w->watch, a, sizeof a, &ttl) == STUBRES_ADDRESS) {
            struct in_addr ia;
            if (inet_pton(AF_INET, a, &ia) == 1 && (!w->watch_known || ia.s_addr != w->watch_addr)) {
                w->watch_known = true;
                w->watch_addr = ia.s_addr;
                wl_record_dns(w, ia.s_addr);
            }
        }
    }
    if (now >= w->watch_next) {
        /* A new query every period whether or not the last was answered:
         * a late answer to an old id is ignored. */
        if (!stubres_send(&w->watch)) {
            char a[WORKLOAD_ADDR_MAX];
            uint32_t ttl;
            stubres_receive(&w->watch, a, sizeof a, &ttl);
        }
        w->watch_next = now + WORKLOAD_DNS_WATCH_MS;
    }
}

/* ------------------------------------------------------------------ loop */

static void wl_client_init(workload *w, wl_client *c, int number, const char *fixed_addr)
{
    memset(c, 0, sizeof *c);
    c->number = number;
    c->st = WR_START;
    c->dns.fd = -1;
    if (fixed_addr) {
        size_t n = strnlen(fixed_addr, sizeof c->addr - 1);
        memcpy(c->addr, fixed_addr, n);
        c->addr[n] = '\0';
    } else {
        stubres_open(&c->dns, w->cfg.dns_server, w->cfg.dns_port, w->cfg.endpoint);
    }
}

/* An insert still in flight stays unacknowledged (its outcome unknown). */
static void wl_client_free(wl_client *c)
{
    wl_drop(c);
    stubres_close(&c->dns);
}

static void wl_sync_probes(workload *w)
{
    pthread_mutex_lock(&w->mu);
    if (w->probe_gen == w->probe_gen_seen) {
        pthread_mutex_unlock(&w->mu);
        return;
    }
    char addrs[WORKLOAD_MAX_PROBES][WORKLOAD_ADDR_MAX];
    int n = w->nprobe_addrs;
    memcpy(addrs, w->probe_addrs, sizeof addrs);
    w->probe_gen_seen = w->probe_gen;
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->nprobes; i++)
        wl_client_free(&w->probes[i]);
    for (int i = 0; i < n; i++)
        wl_client_init(w, &w->probes[i], -1, addrs[i]);
    w->nprobes = n;
}

/* Enters w's network namespace (this thread only) and tells the caller
 * how it went; false if it could not. */
static bool wl_enter_netns(workload *w)
{
    int rc = 1;
    if (w->netns_fd >= 0 && setns(w->netns_fd, CLONE_NEWNET) != 0) {
        LOG_ERROR("workload: cannot enter the network namespace %s: %s", w->cfg.netns,
                  strerror(errno));
        rc = -1;
    }
    pthread_mutex_lock(&w->ready_mu);
    w->ready = rc;
    pthread_cond_signal(&w->ready_cv);
    pthread_mutex_unlock(&w->ready_mu);
    return rc > 0;
}

static void *wl_main(void *arg)
{
    workload *w = arg;
    int nw = w->cfg.writers;
    if (!wl_enter_netns(w))
        return NULL;
    for (int i = 0; i < nw; i++)
        wl_client_init(w, &w->writers[i], i, NULL);
    stubres_open(&w->watch, w->cfg.dns_server, w->cfg.dns_port, w->cfg.endpoint);
    w->watch_next = mono_ms();
    struct pollfd pfd[WORKLOAD_MAX_WRITERS + WORKLOAD_MAX_PROBES + 1];
    while (!atomic_load(&w->stop)) {
        wl_sync_probes(w);
        int64_t now = mono_ms(), wake = now + WL_LOOP_MAX_WAIT_MS;
        int n = 0;
        for (int i = 0; i < nw + w->nprobes; i++) {
            wl_client *c = i < nw ? &w->writers[i] : &w->probes[i - nw];
            pfd[n] = wl_wants(c);
            pfd[n].revents = 0;
            n++;
            if (c->deadline < wake)
                wake = c->deadline;
        }
        pfd[n] = (struct pollfd){.fd = w->watch.fd, .events = POLLIN};
        if (w->watch_next < wake)
            wake = w->watch_next;
        n++;
        int timeout = wake > now ? (int)(wake - now) : 0;
        if (poll(pfd, (nfds_t)n, timeout) < 0)
            continue; /* EINTR */
        now = mono_ms();
        for (int i = 0; i < nw + w->nprobes; i++) {
            wl_client *c = i < nw ? &w->writers[i] : &w->probes[i - nw];
            wl_step(w, c, pfd[i].fd >= 0 ? pfd[i].revents : 0, now);
        }
        wl_watch_step(w, pfd[n - 1].revents, now);
    }
    for (int i = 0; i < nw; i++)
        wl_client_free(&w->writers[i]);
    for (int i = 0; i < w->nprobes; i++)
        wl_client_free(&w->probes[i]);
    stubres_close(&w->watch);
    return NULL;
}

/* ------------------------------------------------------------------- API */

workload *workload_start(const workload_config *cfg)
{
    if (cfg->writers < 1 || cfg->writers > WORKLOAD_MAX_WRITERS || cfg->interval_ms < 0) {
        LOG_ERROR("workload: writers must be 1..%d", WORKLOAD_MAX_WRITERS);
        return NULL;
    }
    workload *w = xcalloc(1, sizeof *w);
    w->cfg = *cfg;
    w->cfg.endpoint = xstrdup(cfg->endpoint);
    w->cfg.dns_server = xstrdup(cfg->dns_server);
    w->cfg.user = xstrdup(cfg->user);
    w->cfg.password = xstrdup(cfg->password);
    w->cfg.dbname = xstrdup(cfg->dbname);
    w->cfg.sslrootcert = cfg->sslrootcert ? xstrdup(cfg->sslrootcert) : NULL;
    w->cfg.netns = cfg->netns ? xstrdup(cfg->netns) : NULL;
    w->netns_fd = -1;
    atomic_init(&w->stop, false);
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->ready_mu, NULL);
    pthread_cond_init(&w->ready_cv, NULL);
    if (cfg->netns) {
        w->netns_fd = open(cfg->netns, O_RDONLY | O_CLOEXEC);
        if (w->netns_fd < 0) {
            LOG_ERROR("workload: cannot open the network namespace %s: %s", cfg->netns,
                      strerror(errno));
            workload_free(w);
            return NULL;
        }
    }
    if (pthread_create(&w->thread, NULL, wl_main, w) != 0) {
        LOG_ERROR("workload: cannot start the writers' thread");
        workload_free(w);
        return NULL;
    }
    w->started = true;
    pthread_mutex_lock(&w->ready_mu);
    while (w->ready == 0)
        pthread_cond_wait(&w->ready_cv, &w->ready_mu);
    int ready = w->ready;
    pthread_mutex_unlock(&w->ready_mu);
    if (ready < 0) {
        workload_free(w);
        return NULL;
    }
    return w;
}

void workload_stop(workload *w)
{
    if (!w || !w->started)
        return;
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
    w->started = false;
}

void workload_free(workload *w)
{
    if (!w)
        return;
    workload_stop(w);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->ready_mu);
    pthread_cond_destroy(&w->ready_cv);
    if (w->netns_fd >= 0)
        close(w->netns_fd);
    free((char *)w->cfg.netns);
    free((char *)w->cfg.endpoint);
    free((char *)w->cfg.dns_server);
    free((char *)w->cfg.user);
    free((char *)w->cfg.password);
    free((char *)w->cfg.dbname);
    free((char *)w->cfg.sslrootcert);
    free(w->acks);
    free(w->changes);
    free(w);
}

void workload_gap(workload *w, int64_t from_ms, int64_t to_ms, int64_t *start, int64_t *end)
{
    *start = *end = from_ms;
    int64_t prev = from_ms;
    pthread_mutex_lock(&w->mu);
    /* The log is in order of arrival, so client_ms ascends. */
    for (size_t i = 0; i < w->nacks; i++) {
        const workload_ack *a = &w->acks[i];
        if (a->writer < 0 || a->client_ms < from_ms)
            continue;
        if (a->client_ms > to_ms)
            break;
        if (a->client_ms - prev > *end - *start) {
            *start = prev;
            *end = a->client_ms;
        }
        prev = a->client_ms;
    }
    pthread_mutex_unlock(&w->mu);
    if (to_ms - prev > *end - *start) {
        *start = prev;
        *end = to_ms;
    }
}

void workload_set_probes(workload *w, const char *const *addrs, int n)
{
    if (n > WORKLOAD_MAX_PROBES)
        n = WORKLOAD_MAX_PROBES;
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < n; i++)
        snprintf(w->probe_addrs[i], sizeof w->probe_addrs[i], "%s", addrs[i]);
    w->nprobe_addrs = n < 0 ? 0 : n;
    w->probe_gen++;
    pthread_mutex_unlock(&w->mu);
}

void workload_window_get(workload *w, uint32_t old_addr, int64_t from_ms, workload_window *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->nacks; i++) {
        const workload_ack *a = &w->acks[i];
        if (a->client_ms < from_ms)
            continue;
        if (a->writer < 0) {
            if (!out->probe_ms && a->addr != old_addr) {
                out->probe_ms = a->client_ms;
                out->probe_addr = a->addr;
            }
            continue;
        }
        out->acks_after++;
        if (!out->first_new_ms && a->addr != old_addr) {
            out->first_new_ms = a->client_ms;
            out->new_addr = a->addr;
        }
    }
    for (size_t i = 0; i < w->nacks; i++) {
        const workload_ack *a = &w->acks[i];
        if (out->first_new_ms && a->client_ms >= out->first_new_ms)
            break;
        if (a->writer >= 0 && a->addr == old_addr)
            out->last_old_ms = a->client_ms;
    }
    /* The answer in force at from_ms, then the first change away from
     * old_addr. */
    uint32_t current = 0;
    bool known = false;
    for (size_t i = 0; i < w->nchanges; i++) {
        const wl_dns_change *d = &w->changes[i];
        if (d->ms < from_ms) {
            current = d->addr;
            known = true;
            continue;
        }
        if (d->addr != old_addr) {
            out->dns_flip_ms = d->ms;
            out->dns_addr = d->addr;
            break;
        }
    }
    if (known && current != old_addr) { /* it had moved already */
        out->dns_flip_ms = from_ms;
        out->dns_addr = current;
    }
    pthread_mutex_unlock(&w->mu);
}

size_t workload_acks(const workload *w, const workload_ack **acks)
{
    *acks = w->acks;
    return w->nacks;
}

int64_t workload_unacknowledged(const workload *w)
{
    return w->sent - w->acked;
}

void workload_last_error(workload *w, char *buf, size_t size)
{
    if (!size)
        return;
    pthread_mutex_lock(&w->mu);
    snprintf(buf, size, "%s", w->last_error);
    pthread_mutex_unlock(&w->mu);
}
