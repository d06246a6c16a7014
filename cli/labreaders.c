/* labreaders: see labreaders.h.
 *
 * One thread per lane, each blocking in turn on its DNS lookup (stubres),
 * its connection and its one query: a lane is one client, and a stopped
 * reader's connect timeouts stall only the lanes that dial it. The lanes
 * share nothing while they run (each writes its own counters; the
 * controller reads them after joining). */
#include "cli/labreaders.h"

#include <cjson/cJSON.h>
#include <glob.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/args.h"
#include "cli/dnslookup.h"
#include "cli/exitcode.h"
#include "cli/labclients.h"
#include "cli/pgtls.h"
#include "cli/stubres.h"
#include "lib/fsutil.h"
#include "lib/ptree.h"
#include "lib/util.h"

static volatile sig_atomic_t lr_interrupted;

static const char *const lr_names[LABREADERS_LANES] = {"no-cache", "ttl", "cache-30s",
                                                       "cache-forever"};

const char *labreaders_lane_name(int lane)
{
    return lane >= 0 && lane < LABREADERS_LANES ? lr_names[lane] : "?";
}

int64_t labreaders_expiry(int lane, int64_t now, uint32_t ttl_s)
{
    static const lab_client_kind kinds[LABREADERS_LANES] = {LAB_TTL, LAB_TTL, LAB_CACHE30,
                                                           LAB_FOREVER};
    if (lane <= 0 || lane >= LABREADERS_LANES)
        return now;
    return labclients_cache_expiry(kinds[lane], now, ttl_s, 0);
}

/* What one lane saw in one phase. */
typedef struct {
    int ok, failed;
    char addr[LABREADERS_ADDRS][LABCLIENTS_ADDR_MAX];
    int n[LABREADERS_ADDRS];
    int64_t moved_ms; /* phase 2: first success elsewhere, ms after the stop; -1 none */
    char error[LABCLIENTS_ERROR_MAX];
} lr_phase;

typedef struct lr_ctx lr_ctx;

typedef struct {
    const lr_ctx *c;
    int lane;
    char cached[LABCLIENTS_ADDR_MAX];
    int64_t expiry;       /* mono ms */
    lr_phase ph[2];
    int phase;
    pthread_t thread;
} lr_lane;

struct lr_ctx {
    api_client api;
    const char *id, *password;
    char user[128];
    char ro[256];         /* the reader endpoint */
    int port, dns_port;
    char *bundle;
    char *rds_home;
    int64_t conns;        /* phase 1: per lane */
    int64_t stop_end;     /* phase 2: mono ms */
    int64_t stop_mono;    /* when the reader was stopped */
    char stopped[LABCLIENTS_ADDR_MAX];
    lr_lane lanes[LABREADERS_LANES];
};

static void lr_on_signal(int sig)
{
    (void)sig;
    lr_interrupted = 1;
}

static void lr_count(lr_phase *p, const char *addr)
{
    for (int i = 0; i < LABREADERS_ADDRS; i++) {
        if (!p->addr[i][0])
            snprintf(p->addr[i], sizeof p->addr[i], "%s", addr);
        if (strcmp(p->addr[i], addr) == 0) {
            p->n[i]++;
            return;
        }
    }
}

/* One fresh connection: look up if the lane's cache says so, connect,
 * ask the server's address, close. Fills server (or the lane's error). */
static bool lr_attempt(lr_lane *ln, char server[LABCLIENTS_ADDR_MAX])
{
    const lr_ctx *c = ln->c;
    lr_phase *p = &ln->ph[ln->phase];
    int64_t now = mono_ms();
    if (!ln->cached[0] || now >= ln->expiry) {
        char addr[LABCLIENTS_ADDR_MAX];
        uint32_t ttl = 0;
        if (stubres_lookup("127.0.0.1", c->dns_port, c->ro, 2, 500, addr, sizeof addr, &ttl) !=
            STUBRES_ADDRESS) {
            snprintf(p->error, sizeof p->error, "no DNS answer for %.100s", c->ro);
            return false;
        }
        memcpy(ln->cached, addr, sizeof addr);
        ln->expiry = labreaders_expiry(ln->lane, now, ttl);
    }
    char port[16], tmo[16];
    snprintf(port, sizeof port, "%d", c->port);
    snprintf(tmo, sizeof tmo, "%d", LABREADERS_CONNECT_TIMEOUT_S);
    const char *keys[] = {"hostaddr", "host", "port", "user", "password", "dbname",
                          "application_name", "sslmode", "gssencmode", "connect_timeout",
                          "sslrootcert", NULL};
    const char *vals[] = {ln->cached, ln->cached, port, c->user, c->password, "postgres",
                          lr_names[ln->lane], pgtls_mode(c->bundle), "disable", tmo,
                          c->bundle, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 0);
    bool ok = false;
    if (conn && PQstatus(conn) == CONNECTION_OK) {
        PGresult *r = PQexec(conn, "SELECT host(inet_server_addr())");
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
            strlen(PQgetvalue(r, 0, 0)) < LABCLIENTS_ADDR_MAX) {
            snprintf(server, LABCLIENTS_ADDR_MAX, "%s", PQgetvalue(r, 0, 0));
            ok = true;
        } else {
            snprintf(p->error, sizeof p->error, "%s", PQerrorMessage(conn));
        }
        PQclear(r);
    } else {
        snprintf(p->error, sizeof p->error, "%s", conn ? PQerrorMessage(conn) : "out of memory");
    }
    PQfinish(conn);
    char *nl = strchr(p->error, '\n');
    if (nl)
        *nl = '\0';
    return ok;
}

static void *lr_lane_main(void *arg)
{
    lr_lane *ln = arg;
    const lr_ctx *c = ln->c;
    lr_phase *p = &ln->ph[ln->phase];
    for (int64_t i = 0; !lr_interrupted; i++) {
        if (ln->phase == 0 ? i >= c->conns : mono_ms() >= c->stop_end)
            break;
        char server[LABCLIENTS_ADDR_MAX];
        if (!lr_attempt(ln, server)) {
            p->failed++; /* the next try reuses the cache as the lane's model says */
            continue;
        }
        p->ok++;
        lr_count(p, server);
        if (ln->phase == 1 && p->moved_ms < 0 && strcmp(server, c->stopped) != 0)
            p->moved_ms = mono_ms() - c->stop_mono;
    }
    return NULL;
}

/* Runs every lane through one phase and joins them. */
static bool lr_phase_run(lr_ctx *c, int phase)
{
    int started = 0;
    for (int k = 0; k < LABREADERS_LANES; k++) {
        lr_lane *ln = &c->lanes[k];
        ln->phase = phase;
        ln->ph[phase].moved_ms = -1;
        if (pthread_create(&ln->thread, NULL, lr_lane_main, ln) != 0)
            break;
        started++;
    }
    for (int k = 0; k < started; k++)
        pthread_join(c->lanes[k].thread, NULL);
    return started == LABREADERS_LANES;
}

/* DescribeDBClusters: the reader endpoint, port and master user; false
 * (message printed) when the cluster is unknown or not available. */
static bool lr_describe(lr_ctx *c, const char *user)
{
    query params = {0};
    query_add(&params, "DBClusterIdentifier", c->id);
    api_reply reply;
    bool ok = false;
    if (api_call(&c->api, "DescribeDBClusters", &params, &reply) != API_OK) {
        api_print_error(&c->api, "DescribeDBClusters", &reply, stderr);
        goto done;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(reply.result, "DBClusters");
    const cJSON *cl = cJSON_IsArray(list) ? cJSON_GetArrayItem(list, 0) : NULL;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(cl, "Status");
    const cJSON *ro = cJSON_GetObjectItemCaseSensitive(cl, "ReaderEndpoint");
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(cl, "Port");
    const cJSON *mu = cJSON_GetObjectItemCaseSensitive(cl, "MasterUsername");
    if (!cJSON_IsString(st) || strcmp(st->valuestring, "available") != 0) {
        fprintf(stderr, "\n%s is %s, not available\n", c->id,
                cJSON_IsString(st) ? st->valuestring : "not a Multi-AZ DB cluster");
        goto done;
    }
    if (!cJSON_IsString(ro) || strlen(ro->valuestring) >= sizeof c->ro || !cJSON_IsNumber(port)) {
        fprintf(stderr, "\n%s has no reader endpoint\n", c->id);
        goto done;
    }
    snprintf(c->ro, sizeof c->ro, "%s", ro->valuestring);
    c->port = port->valueint;
    snprintf(c->user, sizeof c->user, "%s",
             user ? user : cJSON_IsString(mu) ? mu->valuestring : "postgres");
    ok = true;
done:
    api_reply_free(&reply);
    query_free(&params);
    return ok;
}

/* The postmaster of this cluster's member node listening on addr, read
 * from $RDS_HOME/agents/<az>/nodes/<cluster>-instance-N-xxxxxx/data/
 * postmaster.pid (line 1 the pid, line 6 the listen address); 0: none. */
static pid_t lr_postmaster_of(const lr_ctx *c, const char *addr)
{
    char *pattern = xasprintf("%s/agents/*/nodes/%s-instance-*/data/postmaster.pid",
                              c->rds_home, c->id);
    glob_t g;
    pid_t found = 0;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !found; i++) {
            FILE *f = fopen(g.gl_pathv[i], "r");
            char line[256];
            long pid = 0;
            for (int n = 1; f && n <= 6 && fgets(line, sizeof line, f); n++) {
                line[strcspn(line, "\r\n")] = '\0';
                if (n == 1)
                    pid = strtol(line, NULL, 10);
                else if (n == 6 && strcmp(line, addr) == 0 && pid > 1 && pid < INT_MAX)
                    found = (pid_t)pid;
            }
            if (f)
                fclose(f);
        }
        globfree(&g);
    }
    free(pattern);
    return found;
}

static void lr_say_phase(const lr_phase *p, const char *name, bool second, const char *stopped,
                         sbuf *out)
{
    sbuf_printf(out, "  %-14s %5d ok %4d failed:", name, p->ok, p->failed);
    for (int i = 0; i < LABREADERS_ADDRS && p->addr[i][0]; i++)
        sbuf_printf(out, "  %s %d (%.0f %%)%s", p->addr[i], p->n[i],
                    p->ok ? 100.0 * p->n[i] / p->ok : 0.0,
                    second && strcmp(p->addr[i], stopped) == 0 ? " [stopped]" : "");
    if (second) {
        if (p->moved_ms >= 0)
            sbuf_printf(out, "; on another reader %.1f s after the stop",
                        (double)p->moved_ms / 1000.0);
        else
            sbuf_printf(out, "; never reached another reader");
    }
    sbuf_printf(out, "\n");
    if (second && p->failed && p->error[0])
        sbuf_printf(out, "  %-14s   last error: %.120s\n", "", p->error);
}

static cJSON *lr_phase_json(const lr_phase *p, bool second)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "connections", p->ok);
    cJSON_AddNumberToObject(o, "failed", p->failed);
    cJSON *r = cJSON_AddObjectToObject(o, "readers");
    for (int i = 0; i < LABREADERS_ADDRS && p->addr[i][0]; i++)
        cJSON_AddNumberToObject(r, p->addr[i], p->n[i]);
    if (second) {
        if (p->moved_ms >= 0)
            cJSON_AddNumberToObject(o, "moved_after_ms", (double)p->moved_ms);
        else
            cJSON_AddNullToObject(o, "moved_after_ms");
    }
    return o;
}

static bool lr_write_json(const lr_ctx *c, const char *path, bool stopped, uint32_t ttl)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "cluster", c->id);
    cJSON_AddStringToObject(root, "reader_endpoint", c->ro);
    cJSON_AddNumberToObject(root, "ttl", ttl);
    if (stopped)
        cJSON_AddStringToObject(root, "stopped_reader", c->stopped);
    else
        cJSON_AddNullToObject(root, "stopped_reader");
    cJSON *lanes = cJSON_AddArrayToObject(root, "lanes");
    for (int k = 0; k < LABREADERS_LANES; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", lr_names[k]);
        cJSON_AddItemToObject(o, "phase1", lr_phase_json(&c->lanes[k].ph[0], false));
        if (stopped)
            cJSON_AddItemToObject(o, "phase2", lr_phase_json(&c->lanes[k].ph[1], true));
        cJSON_AddItemToArray(lanes, o);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        fprintf(stderr, "\ncannot write %s\n", path);
    free(text);
    return ok;
}

#define F_LSTR(f, req, h) {f, NULL, ARG_STRING, NULL, NULL, req, h}
#define F_LINT(f, h) {f, NULL, ARG_INT, NULL, NULL, false, h}
static const arg_spec lr_flags[] = {
    F_LSTR("db-cluster-identifier", true, "The Multi-AZ DB cluster whose reader endpoint is used"),
    F_LSTR("master-user-password", true, "Its master password"),
    F_LSTR("master-username", false, "Its master user (default: from DescribeDBClusters)"),
    F_LINT("connections", "Phase 1: fresh connections per lane (default 200)"),
    F_LINT("stop-seconds", "Phase 2: seconds the lanes run with a reader stopped (default 10)"),
    {"no-stop", NULL, ARG_FLAG, NULL, NULL, false, "Skip phase 2 (stopping a reader)"},
    F_LSTR("json", false, "Write each lane's counts to this file"),
    F_LSTR("dns-port", false, "The region's DNS port (default $RDS_DNS_PORT, else region.env)"),
    {NULL, NULL, 0, NULL, NULL, false, NULL},
};

static int lr_usage(const char *message)
{
    fprintf(stderr,
            "usage: rdsctl lab reader-endpoint --db-cluster-identifier C "
            "--master-user-password PW [...]\nrdsctl: error: %s\n", message);
    return CLI_EXIT_USAGE;
}

/* Whether the server at addr is a reader (in recovery): the lab never
 * stops a writer. */
static bool lr_is_reader(const lr_ctx *c, const char *addr)
{
    char port[16];
    snprintf(port, sizeof port, "%d", c->port);
    const char *keys[] = {"hostaddr", "host", "port", "user", "password", "dbname", "sslmode",
                          "gssencmode", "connect_timeout", "sslrootcert", NULL};
    const char *vals[] = {addr, addr, port, c->user, c->password, "postgres",
                          pgtls_mode(c->bundle), "disable", "3", c->bundle, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 0);
    bool yes = false;
    if (PQstatus(conn) == CONNECTION_OK) {
        PGresult *r = PQexec(conn, "SELECT pg_is_in_recovery()");
        yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
              strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        PQclear(r);
    }
    PQfinish(conn);
    return yes;
}

/* Phase 2: stops the reader the cache-forever lane is on, runs the
 * lanes, resumes it. false (message printed) when it could not stop. */
static bool lr_stop_phase(lr_ctx *c, int64_t seconds, sbuf *out)
{
    snprintf(c->stopped, sizeof c->stopped, "%s", c->lanes[LABREADERS_LANES - 1].cached);
    pid_t pm = lr_is_reader(c, c->stopped) ? lr_postmaster_of(c, c->stopped) : 0;
    if (!pm) {
        fprintf(stderr, "\nno reader node of %s listens on %s under %s/agents: not stopping\n",
                c->id, c->stopped, c->rds_home);
        c->stopped[0] = '\0';
        return false;
    }
    pid_t hung[PTREE_MAX];
    int nhung = 0;
    fprintf(stderr, "phase 2: stopping the reader at %s (SIGSTOP of postgres %d) for %lld s\n",
            c->stopped, (int)pm, (long long)seconds);
    c->stop_mono = mono_ms();
    c->stop_end = c->stop_mono + seconds * 1000;
    if (!ptree_signal_server(pm, SIGSTOP, hung, PTREE_MAX, &nhung)) {
        fprintf(stderr, "\ncannot stop postgres %d\n", (int)pm);
        c->stopped[0] = '\0';
        return false;
    }
    lr_phase_run(c, 1);
    kill(pm, SIGCONT);
    ptree_signal_list(hung, nhung, SIGCONT);
    fprintf(stderr, "phase 2: the reader at %s resumed (SIGCONT)\n", c->stopped);
    sbuf_printf(out, "\nPhase 2: the reader at %s stopped (the one cache-forever is on), "
                     "%lld s of fresh connections\n\n", c->stopped, (long long)seconds);
    for (int k = 0; k < LABREADERS_LANES; k++)
        lr_say_phase(&c->lanes[k].ph[1], lr_names[k], true, c->stopped, out);
    return true;
}

int labreaders_run(const cli_ctx *ctx, int argc, char **argv)
{
    query params = {0}, opts = {0};
    sbuf err = {0}, out = {0};
    lr_ctx *c = calloc(1, sizeof *c);
    int rc = CLI_EXIT_USAGE;
    int64_t stop_s = 0;
    if (!c)
        return CLI_EXIT_FAILURE;
    c->api = (api_client){.endpoint = ctx->endpoint, .debug = ctx->debug, .timeout_s = 10};
    if (args_parse(lr_flags, argc - 1, argv + 1, &params, &opts, &err) != ARGS_OK ||
        !args_opt_int(&opts, "connections", 1, 100000, LABREADERS_DEFAULT_CONNS, &c->conns,
                      &err) ||
        !args_opt_int(&opts, "stop-seconds", 1, 600, LABREADERS_DEFAULT_STOP_S, &stop_s, &err)) {
        rc = lr_usage(err.data ? err.data : "bad arguments");
        goto done;
    }
    c->id = query_get(&opts, "db-cluster-identifier");
    c->password = query_get(&opts, "master-user-password");
    const char *home = getenv("RDS_HOME");
    char real[PATH_MAX];
    c->rds_home = xstrdup(realpath(home && *home ? home : "./run", real)
                              ? real : (home && *home ? home : "./run"));
    c->bundle = pgtls_bundle(c->rds_home);
    if (!dnslookup_resolve_port(query_get(&opts, "dns-port"), getenv("RDS_DNS_PORT"),
                                c->rds_home, &c->dns_port, &err)) {
        rc = lr_usage(err.data);
        goto done;
    }
    rc = CLI_EXIT_FAILURE;
    if (!lr_describe(c, query_get(&opts, "master-username")))
        goto done;
    char first[LABCLIENTS_ADDR_MAX];
    uint32_t ttl = 0;
    if (stubres_lookup("127.0.0.1", c->dns_port, c->ro, 3, 700, first, sizeof first, &ttl) !=
        STUBRES_ADDRESS) {
        fprintf(stderr, "\n%s does not resolve through the DNS server at 127.0.0.1:%d\n", c->ro,
                c->dns_port);
        goto done;
    }
    struct sigaction sa = {.sa_handler = lr_on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    for (int k = 0; k < LABREADERS_LANES; k++)
        c->lanes[k] = (lr_lane){.c = c, .lane = k};
    fprintf(stderr, "lab reader-endpoint: %s (%s, TTL %u s): %lld fresh connections per lane\n",
            c->id, c->ro, ttl, (long long)c->conns);
    lr_phase_run(c, 0);
    sbuf_printf(&out, "\nReader-endpoint lab on %s (%s, TTL %u s)\n\n"
                      "Phase 1: %lld fresh connections per lane, the share of each server\n\n",
                c->id, c->ro, ttl, (long long)c->conns);
    for (int k = 0; k < LABREADERS_LANES; k++)
        lr_say_phase(&c->lanes[k].ph[0], lr_names[k], false, "", &out);
    bool stopped = false;
    if (!query_get(&opts, "no-stop") && !lr_interrupted) {
        stopped = lr_stop_phase(c, stop_s, &out);
        if (!stopped)
            rc = CLI_EXIT_FAILURE;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    fputs(out.data, stdout);
    fflush(stdout);
    bool files_ok = true;
    if (query_get(&opts, "json"))
        files_ok = lr_write_json(c, query_get(&opts, "json"), stopped, ttl);
    if (files_ok && (stopped || query_get(&opts, "no-stop")))
        rc = CLI_EXIT_OK;
done:
    free(c->rds_home);
    free(c->bundle);
    free(c);
    query_free(&params);
    query_free(&opts);
    sbuf_free(&err);
    sbuf_free(&out);
    return rc;
}
