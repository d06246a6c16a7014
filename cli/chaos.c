/* chaos: see chaos.h.
 *
 * Two threads: the workload's (cli/workload.c: writers, probes, the DNS
 * watcher, all on one poll loop) and this one, the controller, which may
 * block — on API calls, on `region.sh up` — without stalling a writer.
 * The controller reads the workload's logs only through workload.h.
 *
 * The region is found as scripts/region.sh lays it out under $RDS_HOME:
 * agents/<az>.pid, agents/<az>/nodes/<node>/data/postmaster.pid (line 1
 * the postmaster's pid, which is also its process group; line 6 the
 * node's listen address), controlplane.pid. */
#include "cli/chaos.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <libpq-fe.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/api.h"
#include "cli/dnslookup.h"
#include "cli/exitcode.h"
#include "cli/pgtls.h"
#include "cli/stubres.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/ptree.h"
#include "lib/rclock.h"

extern char **environ;

#define CHAOS_EXIT_CHECK_FAILED 1
#define CHAOS_DEFAULT_FAULTS 5
#define CHAOS_DEFAULT_WRITERS 4
#define CHAOS_DEFAULT_INTERVAL_MS 5
#define CHAOS_DEFAULT_TIMEOUT_S 120.0
#define CHAOS_POLL_MS 20            /* events are polled this often during a fault */
#define CHAOS_READY_TIMEOUT_MS 120000 /* for the instance to be healthy at the start */
#define CHAOS_WRITES_TIMEOUT_MS 30000 /* for writers to write (at the start, after a fault) */
#define CHAOS_PIDFILE_MAX 4096
#define CHAOS_EVENT_PAGES 100

/* The only global: set by SIGINT/SIGTERM, so a run stops between steps
 * and still resumes what it stopped and restarts what it killed. */
static volatile sig_atomic_t chaos_interrupted;

static const char *const chaos_kind_names[CHAOS_NKINDS] = {
    "crash", "host", "hang", "cpkill", "forced", "partition-primary", "partition-standby",
    "partition-controlplane", "az-outage", "flap", "partition-relaxed", "latency", "loss"};

/* The Multi-AZ events, matched by message as DescribeEvents shows them. */
enum { EV_0013, EV_0049, EV_0052, EV_0053, EV_N };
static const char *const chaos_event_messages[EV_N] = {
    "Multi-AZ instance failover started.",
    "Multi-AZ instance failover completed.",
    "Multi-AZ instance recovery started.",
    "Multi-AZ instance recovery completed.",
};
/* A Multi-AZ DB cluster's (source type db-cluster): 0073 and 0071 stand
 * for 0013 and 0049; a cluster has no recovery events, so its recovery is
 * the harness's own observation (the cluster available after 0071, then
 * chaos_check_standby). */
static const char *const chaos_cluster_messages[EV_N] = {
    "Started cross AZ failover",
    "Completed failover",
    "(none)",
    "(none)",
};

/* ------------------------------------------------------------ pure parts */

const char *chaos_kind_name(chaos_kind k)
{
    return k >= 0 && k < CHAOS_NKINDS ? chaos_kind_names[k] : "?";
}

bool chaos_kind_netns(chaos_kind k)
{
    return k >= 0 && k < CHAOS_NKINDS && (CHAOS_NETWORK_KINDS & (1u << k));
}

bool chaos_parse_kinds(const char *list, unsigned *mask, sbuf *err)
{
    *mask = 0;
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        int found = -1;
        for (int k = 0; k < CHAOS_NKINDS && found < 0; k++)
            if (n == strlen(chaos_kind_names[k]) && strncmp(p, chaos_kind_names[k], n) == 0)
                found = k;
        if (found < 0) {
            sbuf_printf(err, "argument --kinds: unknown fault kind '%.*s' (choose from",
                        (int)(n > 40 ? 40 : n), p);
            for (int k = 0; k < CHAOS_NKINDS; k++)
                sbuf_printf(err, "%s %s", k ? "," : "", chaos_kind_names[k]);
            sbuf_printf(err, ")");
            return false;
        }
        *mask |= 1u << found;
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    return true;
}

/* splitmix64: a tiny, well-mixed generator, enough to shuffle. */
static uint64_t chaos_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void chaos_plan(unsigned mask, int n, uint64_t seed, chaos_kind *out)
{
    chaos_kind kinds[CHAOS_NKINDS];
    int nk = 0;
    for (int k = 0; k < CHAOS_NKINDS; k++)
        if (mask & (1u << k))
            kinds[nk++] = (chaos_kind)k;
    uint64_t st = seed;
    for (int i = 0; i < n; i += nk) {
        chaos_kind round[CHAOS_NKINDS];
        memcpy(round, kinds, sizeof round);
        for (int j = nk - 1; j > 0; j--) { /* Fisher-Yates */
            int r = (int)(chaos_rand(&st) % (uint64_t)(j + 1));
            chaos_kind t = round[j];
            round[j] = round[r];
            round[r] = t;
        }
        for (int j = 0; j < nk && i + j < n; j++)
            out[i + j] = round[j];
    }
}

int64_t chaos_count_fenced(const workload_ack *acks, size_t n, chaos_epoch *epochs,
                           int nepochs)
{
    int64_t count = 0;
    for (int k = 0; k < nepochs; k++) {
        chaos_epoch *e = &epochs[k];
        e->fenced = 0;
        if (!e->old_addr || !e->fence_ms)
            continue;
        int64_t end = INT64_MAX;
        for (int j = k + 1; j < nepochs; j++)
            if (epochs[j].new_addr == e->old_addr) {
                end = epochs[j].fault_ms;
                break;
            }
        for (size_t i = 0; i < n; i++)
            if (acks[i].addr == e->old_addr && acks[i].server_ms > e->fence_ms &&
                acks[i].server_ms < end)
                e->fenced++;
        count += e->fenced;
    }
    return count;
}

static int chaos_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t chaos_count_missing(const workload_ack *acks, size_t n, const int64_t *present,
                            size_t npresent)
{
    int64_t missing = 0;
    for (size_t i = 0; i < n; i++)
        if (!npresent || !bsearch(&acks[i].id, present, npresent, sizeof *present, chaos_cmp_i64))
            missing++;
    return missing;
}

/* ------------------------------------------------------------- the run */

typedef struct {
    chaos_kind kind;
    int index;
    char old_node[128];
    char old_az[64];
    char old_addr[WORKLOAD_ADDR_MAX];
    uint32_t old_addr_n;
    char new_az[64];
    int64_t t_fault;
    int64_t t_ev[EV_N];     /* event Dates (ms) newer than the fault; 0: not seen */
    workload_window win;
    bool recovered;
    int64_t fenced;         /* acks from the old primary after its fence */
    double standby_s;       /* fault -> a marker written after recovery is read on the standby */
    pid_t hung[PTREE_MAX]; /* the hung server's children, to resume even once the
                            * postmaster is gone (they are reparented then) */
    int nhung;
    /* Network faults. */
    char net_target[64];    /* what was cut: an AZ, or "controlplane" */
    char net_target2[64];   /* partition-relaxed: the primary's AZ, cut second */
    bool net_cut, net_cut2; /* cut now (to heal on any exit) */
    int64_t t_heal;         /* wall ms of the heal (0: not healed) */
    int64_t gap_start, gap_end; /* longest pause in the writers' acks */
    char error[256];
} chaos_fault;

typedef struct {
    const cli_ctx *ctx;
    api_client api;
    const char *id;
    bool cluster;            /* id is a Multi-AZ DB cluster's (--db-cluster-identifier) */
    const char *password;
    char *user;
    char *rds_home;
    char *bundle;            /* the region's CA bundle or NULL (pgtls.h) */
    char *region_sh;
    int dns_port;
    char *endpoint;
    int port;
    int64_t timeout_ms;
    int64_t clock_offset_ms; /* region clock - wall clock */
    bool netns;              /* the region runs in namespace mode */
    char gateway[WORKLOAD_ADDR_MAX]; /* its RDS_GATEWAY (DNS on port 53 there) */
    char client_ns[128];     /* its RDS_CLIENT_NS */
    workload *wl;
} chaos_ctx;

static void chaos_on_signal(int sig)
{
    (void)sig;
    chaos_interrupted = 1;
}

static void chaos_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Notices ("relation already exists, skipping") are not the harness's
 * output. */
static void chaos_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void chaos_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void chaos_say(const char *fmt, ...)
{
    char ts[40];
    rclock_format(wall_ms(), ts, sizeof ts);
    fprintf(stderr, "[%s] ", ts + 11);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

/* DescribeDBInstances for our instance; false (message kept in why) when
 * it did not answer or does not know the instance. */
typedef struct {
    char status[32];
    bool multi_az;
    char endpoint[256];
    int port;
    char user[64];
    char az[64];
    char secondary_az[64];
} chaos_instance;

static void chaos_copy_str(char *dst, size_t cap, const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    dst[0] = '\0';
    if (cJSON_IsString(v) && strlen(v->valuestring) < cap)
        memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
}

/* DescribeDBClusters for our cluster, into the same shape: multi_az true,
 * az the writer member's identifier. */
static bool chaos_describe_cluster(chaos_ctx *c, chaos_instance *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    query params = {0};
    query_add(&params, "DBClusterIdentifier", c->id);
    api_reply reply;
    bool ok = false;
    if (api_call(&c->api, "DescribeDBClusters", &params, &reply) != API_OK) {
        snprintf(why, why_size, "%s", reply.status == API_SERVICE_ERROR && reply.error_message
                                          ? reply.error_message : "the controlplane did not answer");
        goto done;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(reply.result, "DBClusters");
    const cJSON *cl = cJSON_IsArray(list) ? cJSON_GetArrayItem(list, 0) : NULL;
    if (!cJSON_IsObject(cl)) {
        snprintf(why, why_size, "DescribeDBClusters returned no cluster");
        goto done;
    }
    chaos_copy_str(out->status, sizeof out->status, cl, "Status");
    out->multi_az = true;
    chaos_copy_str(out->user, sizeof out->user, cl, "MasterUsername");
    chaos_copy_str(out->endpoint, sizeof out->endpoint, cl, "Endpoint");
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(cl, "Port");
    out->port = cJSON_IsNumber(port) ? port->valueint : 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(cl, "DBClusterMembers"))
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "IsClusterWriter")))
            chaos_copy_str(out->az, sizeof out->az, m, "DBInstanceIdentifier");
    ok = true;
done:
    api_reply_free(&reply);
    query_free(&params);
    return ok;
}

static bool chaos_describe(chaos_ctx *c, chaos_instance *out, char *why, size_t why_size)
{
    if (c->cluster)
        return chaos_describe_cluster(c, out, why, why_size);
    memset(out, 0, sizeof *out);
    query params = {0};
    query_add(&params, "DBInstanceIdentifier", c->id);
    api_reply reply;
    bool ok = false;
    if (api_call(&c->api, "DescribeDBInstances", &params, &reply) != API_OK) {
        snprintf(why, why_size, "%s", reply.status == API_SERVICE_ERROR && reply.error_message
                                          ? reply.error_message : "the controlplane did not answer");
        goto done;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(reply.result, "DBInstances");
    const cJSON *in = cJSON_IsArray(list) ? cJSON_GetArrayItem(list, 0) : NULL;
    if (!cJSON_IsObject(in)) {
        snprintf(why, why_size, "DescribeDBInstances returned no instance");
        goto done;
    }
    chaos_copy_str(out->status, sizeof out->status, in, "DBInstanceStatus");
    out->multi_az = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "MultiAZ"));
    chaos_copy_str(out->user, sizeof out->user, in, "MasterUsername");
    chaos_copy_str(out->az, sizeof out->az, in, "AvailabilityZone");
    chaos_copy_str(out->secondary_az, sizeof out->secondary_az, in, "SecondaryAvailabilityZone");
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(in, "Endpoint");
    chaos_copy_str(out->endpoint, sizeof out->endpoint, ep, "Address");
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(ep, "Port");
    out->port = cJSON_IsNumber(port) ? port->valueint : 0;
    ok = true;
done:
    api_reply_free(&reply);
    query_free(&params);
    return ok;
}

/* The first Date (ms) of each Multi-AZ event of ours at or after since_ms,
 * and which of them came last. false if the API did not answer. */
typedef struct {
    int64_t first[EV_N];
    int last;      /* EV_* of the newest Multi-AZ event, -1 if none */
} chaos_seen;

static bool chaos_events(chaos_ctx *c, int64_t since_ms, chaos_seen *seen)
{
    memset(seen, 0, sizeof *seen);
    seen->last = -1;
    char start[40];
    rclock_format(since_ms + c->clock_offset_ms, start, sizeof start);
    query params = {0};
    query_add(&params, "SourceIdentifier", c->id);
    query_add(&params, "SourceType", c->cluster ? "db-cluster" : "db-instance");
    query_add(&params, "StartTime", start);
    query_add(&params, "MaxRecords", "100");
    bool ok = true;
    int64_t last_ms = 0;
    for (int page = 0; page < CHAOS_EVENT_PAGES; page++) {
        api_reply reply;
        if (api_call(&c->api, "DescribeEvents", &params, &reply) != API_OK) {
            api_reply_free(&reply);
            ok = false;
            break;
        }
        const cJSON *ev;
        cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(reply.result, "Events")) {
            const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ev, "Message");
            const cJSON *date = cJSON_GetObjectItemCaseSensitive(ev, "Date");
            int64_t ms;
            if (!cJSON_IsString(msg) || !cJSON_IsString(date) || !rclock_parse(date->valuestring, &ms))
                continue;
            ms -= c->clock_offset_ms; /* back to the wall clock the harness measures in */
            if (ms < since_ms)
                continue;
            for (int k = 0; k < EV_N; k++) {
                const char *want = c->cluster ? chaos_cluster_messages[k]
                                              : chaos_event_messages[k];
                if (strncmp(msg->valuestring, want, strlen(want)) != 0)
                    continue;
                if (!seen->first[k])
                    seen->first[k] = ms;
                /* Events come in store order; equal Dates keep that order. */
                if (ms >= last_ms) {
                    last_ms = ms;
                    seen->last = k;
                }
            }
        }
        const cJSON *marker = cJSON_GetObjectItemCaseSensitive(reply.result, "Marker");
        bool more = cJSON_IsString(marker) && marker->valuestring[0];
        if (more)
            query_set(&params, "Marker", marker->valuestring);
        api_reply_free(&reply);
        if (!more)
            break;
    }
    query_free(&params);
    return ok;
}

/* The region clock's offset from the wall clock (DescribeRegionClock, an
 * rdsim extension); 0 when the controlplane does not have the action. */
static int64_t chaos_clock_offset(chaos_ctx *c)
{
    query params = {0};
    api_reply reply;
    int64_t offset = 0;
    if (api_call(&c->api, "DescribeRegionClock", &params, &reply) == API_OK) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(reply.result, "OffsetSeconds");
        if (cJSON_IsNumber(o) && o->valuedouble >= 0 && o->valuedouble < 1e12)
            offset = (int64_t)o->valuedouble * 1000;
    }
    api_reply_free(&reply);
    query_free(&params);
    return offset;
}

/* ---- the region's files ---- */

/* Line `line` (1-based) of a postmaster.pid, or "" */
static bool chaos_pidfile_line(const char *path, int line, char *out, size_t cap)
{
    size_t len;
    char *text = fs_read_all(path, CHAOS_PIDFILE_MAX, &len);
    out[0] = '\0';
    if (!text)
        return false;
    const char *p = text;
    for (int i = 1; i < line && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    bool ok = false;
    if (p) {
        size_t n = strcspn(p, "\n");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\r'))
            n--;
        if (n < cap) {
            memcpy(out, p, n);
            out[n] = '\0';
            ok = n > 0;
        }
    }
    free(text);
    return ok;
}

static pid_t chaos_read_pid(const char *path, int line)
{
    char buf[32];
    int64_t v;
    if (!chaos_pidfile_line(path, line, buf, sizeof buf) || !str_to_int64(buf, 2, INT_MAX, &v))
        return 0;
    return (pid_t)v;
}

/* true when pid is gone: no such process, or a zombie waiting for init.
 * A SIGKILLed process still exists while the kernel tears it down (long
 * for a sanitizer build's huge mappings), holding its listening sockets. */
static bool chaos_pid_gone(pid_t pid)
{
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return true;
    char path[64], stat[512] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *paren = strrchr(stat, ')');
    return paren && paren[1] == ' ' && paren[2] == 'Z';
}

/* Waits (polling, at most ms) until pid is gone; false if it is not. */
static bool chaos_wait_gone(pid_t pid, int64_t ms)
{
    int64_t deadline = mono_ms() + ms;
    while (!chaos_pid_gone(pid)) {
        if (mono_ms() >= deadline)
            return false;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return true;
}

/* A node of our instance as its host's files show it. */
typedef struct {
    char node[128];
    char az[64];
    char addr[WORKLOAD_ADDR_MAX];
    pid_t postmaster;
    char pidfile[PATH_MAX];
} chaos_node;

/* The node directory name is "<instance>-<6 letters or digits>"; a
 * cluster's are "<cluster>-instance-<N>-<6 ...>". */
static bool chaos_node_of(const char *id, bool cluster, const char *name)
{
    size_t n = strlen(id);
    if (cluster) {
        if (strncmp(name, id, n) != 0 || strncmp(name + n, "-instance-", 10) != 0 ||
            name[n + 10] < '1' || name[n + 10] > '9')
            return false;
        n += 11;
    }
    if (strncmp(name, id, strlen(id)) != 0 || name[n] != '-' || strlen(name + n + 1) != 6)
        return false;
    for (const char *p = name + n + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

/* Every node of the instance with a postmaster.pid; returns the count. */
static int chaos_list_nodes(chaos_ctx *c, chaos_node *out, int cap)
{
    char *pattern = xasprintf("%s/agents/*/nodes/*/data/postmaster.pid", c->rds_home);
    glob_t g;
    int n = 0;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && n < cap; i++) {
            /* .../agents/<az>/nodes/<node>/data/postmaster.pid */
            char *copy = xstrdup(g.gl_pathv[i]);
            char *parts[6] = {0};
            char *p = copy + strlen(copy);
            int found = 0;
            while (p > copy && found < 6) {
                p--;
                if (*p == '/') {
                    *p = '\0';
                    parts[found++] = p + 1;
                }
            }
            /* parts: 0 postmaster.pid, 1 data, 2 <node>, 3 nodes, 4 <az>, 5 agents */
            chaos_node *nd = &out[n];
            if (found == 6 && chaos_node_of(c->id, c->cluster, parts[2]) && strlen(parts[2]) < sizeof nd->node &&
                strlen(parts[4]) < sizeof nd->az && strlen(g.gl_pathv[i]) < sizeof nd->pidfile) {
                memcpy(nd->node, parts[2], strlen(parts[2]) + 1);
                memcpy(nd->az, parts[4], strlen(parts[4]) + 1);
                memcpy(nd->pidfile, g.gl_pathv[i], strlen(g.gl_pathv[i]) + 1);
                nd->postmaster = chaos_read_pid(nd->pidfile, 1);
                if (chaos_pidfile_line(nd->pidfile, 6, nd->addr, sizeof nd->addr) && nd->postmaster)
                    n++;
            }
            free(copy);
        }
    }
    globfree(&g);
    free(pattern);
    return n;
}

static bool chaos_resolve(chaos_ctx *c, char *addr, size_t cap)
{
    uint32_t ttl;
    return stubres_lookup("127.0.0.1", c->dns_port, c->endpoint, 3, 700, addr, cap, &ttl) ==
           STUBRES_ADDRESS;
}

/* Runs `region.sh VERB [ARG]` and waits for it; the region's processes
 * `up` starts live on (they are the region, not ours). */
static bool chaos_region_run2(chaos_ctx *c, const char *verb, const char *arg, const char *arg2)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)"bash", c->region_sh, (char *)verb, (char *)arg, (char *)arg2, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/bash", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        chaos_say("cannot run %s: %s", c->region_sh, strerror(rc));
        return false;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        chaos_say("%s %s %s %s failed", c->region_sh, verb, arg ? arg : "", arg2 ? arg2 : "");
        return false;
    }
    return true;
}

/* region.sh VERB [ARG] */
static bool chaos_region_run(chaos_ctx *c, const char *verb, const char *arg)
{
    return chaos_region_run2(c, verb, arg, NULL);
}

static bool chaos_region_up(chaos_ctx *c)
{
    return chaos_region_run(c, "up", NULL);
}

/* The network mode region.env records (RDS_NETMODE, RDS_GATEWAY,
 * RDS_CLIENT_NS): c->netns, c->gateway, c->client_ns. A home without it
 * (loopback, or an older region) is loopback. */
static void chaos_read_netmode(chaos_ctx *c)
{
    char *path = xasprintf("%s/region.env", c->rds_home);
    size_t len;
    char *text = fs_read_all(path, 65536, &len);
    free(path);
    bool netns = false;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strcmp(line, "RDS_NETMODE=netns") == 0)
            netns = true;
        else if (strncmp(line, "RDS_GATEWAY=", 12) == 0 && strlen(line + 12) < sizeof c->gateway)
            memcpy(c->gateway, line + 12, strlen(line + 12) + 1);
        else if (strncmp(line, "RDS_CLIENT_NS=", 14) == 0 &&
                 strlen(line + 14) < sizeof c->client_ns && !strchr(line + 14, '/'))
            memcpy(c->client_ns, line + 14, strlen(line + 14) + 1);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    c->netns = netns && c->gateway[0] && c->client_ns[0];
}

/* ---- one fault ---- */

/* Resumes a server the fault hung: the postmaster (if it still runs) and
 * every child it had when it was stopped. */
static void chaos_resume(const chaos_fault *f, pid_t postmaster)
{
    kill(postmaster, SIGCONT);
    ptree_signal_list(f->hung, f->nhung, SIGCONT);
}

static bool chaos_find_primary(chaos_ctx *c, chaos_fault *f, chaos_node *primary,
                               char probes[][WORKLOAD_ADDR_MAX], int *nprobes)
{
    char addr[WORKLOAD_ADDR_MAX];
    *nprobes = 0;
    if (!chaos_resolve(c, addr, sizeof addr)) {
        snprintf(f->error, sizeof f->error, "the endpoint %s does not resolve", c->endpoint);
        return false;
    }
    chaos_node nodes[16];
    int n = chaos_list_nodes(c, nodes, 16);
    bool found = false;
    for (int i = 0; i < n; i++) {
        if (strcmp(nodes[i].addr, addr) == 0 && !found) {
            *primary = nodes[i];
            found = true;
        } else if (strcmp(nodes[i].addr, addr) != 0 && *nprobes < WORKLOAD_MAX_PROBES) {
            memcpy(probes[(*nprobes)++], nodes[i].addr, sizeof nodes[i].addr);
        }
    }
    if (!found) {
        snprintf(f->error, sizeof f->error, "no node under %s/agents listens on %s", c->rds_home,
                 addr);
        return false;
    }
    return true;
}

static bool chaos_net_inject(chaos_ctx *c, chaos_fault *f, const chaos_node *p);

static bool chaos_inject(chaos_ctx *c, chaos_fault *f, const chaos_node *p)
{
    char *agent_pidfile = xasprintf("%s/agents/%s.pid", c->rds_home, p->az);
    pid_t agent = chaos_read_pid(agent_pidfile, 1);
    free(agent_pidfile);
    f->t_fault = wall_ms();
    bool ok = true;
    switch (f->kind) {
    case CHAOS_CRASH:
    case CHAOS_CPKILL:
        ok = kill(p->postmaster, SIGKILL) == 0;
        break;
    case CHAOS_HOST:
        if (agent && kill(agent, SIGKILL) != 0)
            ok = false;
        if (kill(-p->postmaster, SIGKILL) != 0)
            ok = false;
        /* region.sh brings the host back later: the agent must be gone. */
        if (agent && ok && !chaos_wait_gone(agent, 10000))
            ok = false;
        break;
    case CHAOS_HANG:
        ok = ptree_signal_server(p->postmaster, SIGSTOP, f->hung, PTREE_MAX, &f->nhung);
        break;
    case CHAOS_FORCED: {
        query params = {0};
        query_add(&params, c->cluster ? "DBClusterIdentifier" : "DBInstanceIdentifier", c->id);
        if (!c->cluster)
            query_add(&params, "ForceFailover", "true");
        api_reply reply;
        ok = api_call(&c->api, c->cluster ? "FailoverDBCluster" : "RebootDBInstance", &params,
                      &reply) == API_OK;
        if (!ok)
            snprintf(f->error, sizeof f->error, "%s: %s",
                     c->cluster ? "FailoverDBCluster" : "RebootDBInstance",
                     reply.error_message ? reply.error_message : "no answer");
        api_reply_free(&reply);
        query_free(&params);
        return ok;
    }
    case CHAOS_PARTITION_PRIMARY:
    case CHAOS_PARTITION_STANDBY:
    case CHAOS_PARTITION_CP:
    case CHAOS_AZ_OUTAGE:
    case CHAOS_FLAP:
    case CHAOS_PARTITION_RELAXED:
    case CHAOS_LATENCY:
    case CHAOS_LOSS:
        return chaos_net_inject(c, f, p);
    case CHAOS_NKINDS:
        break;
    }
    if (!ok)
        snprintf(f->error, sizeof f->error, "signal to pid %d: %s", (int)p->postmaster,
                 strerror(errno));
    return ok;
}

/* Follows one fault to its end: reacts to the events (controlplane kill,
 * host return, resume) and waits for RDS-EVENT-0053 with the instance
 * available and Multi-AZ. Always undoes what it did (a stopped postgres is
 * resumed, a killed region is brought back), also on a timeout. */
static void chaos_follow(chaos_ctx *c, chaos_fault *f, const chaos_node *p)
{
    int64_t deadline = mono_ms() + c->timeout_ms;
    bool cp_killed = false, host_back = false, resumed = false;
    while (mono_ms() < deadline && !chaos_interrupted) {
        chaos_seen seen;
        if (chaos_events(c, f->t_fault, &seen))
            for (int k = 0; k < EV_N; k++)
                if (seen.first[k] && !f->t_ev[k])
                    f->t_ev[k] = seen.first[k];
        if (f->kind == CHAOS_CPKILL && !cp_killed && f->t_ev[EV_0013]) {
            char *pf = xasprintf("%s/controlplane.pid", c->rds_home);
            pid_t cp = chaos_read_pid(pf, 1);
            free(pf);
            if (cp && kill(cp, SIGKILL) == 0 && !chaos_wait_gone(cp, 10000))
                chaos_say("  controlplane (pid %d) still exiting after 10 s", (int)cp);
            cp_killed = true;
            chaos_say("  controlplane (pid %d) killed at the failover's start; restarting the region",
                      (int)cp);
            if (!chaos_region_up(c)) {
                snprintf(f->error, sizeof f->error, "region.sh up failed after the controlplane kill");
                return;
            }
        }
        if (f->kind == CHAOS_HOST && !host_back && f->t_ev[EV_0049]) {
            chaos_say("  failed over; bringing host %s back", p->az);
            host_back = true;
            if (!chaos_region_up(c)) {
                snprintf(f->error, sizeof f->error, "region.sh up failed bringing the host back");
                return;
            }
        }
        if (f->kind == CHAOS_HANG && !resumed && f->t_ev[EV_0049]) {
            chaos_say("  failed over; resuming the hung postgres (it must be fenced)");
            chaos_resume(f, p->postmaster);
            resumed = true;
        }
        bool undone = (f->kind != CHAOS_CPKILL || cp_killed) && (f->kind != CHAOS_HOST || host_back) &&
                      (f->kind != CHAOS_HANG || resumed);
        /* A cluster's recovery: available again after 0071 (see above). */
        if (c->cluster && f->t_ev[EV_0049] && undone && !f->t_ev[EV_0053]) {
            chaos_instance in;
            char why[200];
            if (chaos_describe(c, &in, why, sizeof why) && strcmp(in.status, "available") == 0)
                f->t_ev[EV_0053] = wall_ms();
        }
        if (f->t_ev[EV_0053] && undone) {
            chaos_instance in;
            char why[200];
            if (chaos_describe(c, &in, why, sizeof why) && strcmp(in.status, "available") == 0 &&
                in.multi_az) {
                memcpy(f->new_az, in.az, sizeof f->new_az);
                f->recovered = true;
                return;
            }
        }
        chaos_sleep_ms(CHAOS_POLL_MS);
    }
    snprintf(f->error, sizeof f->error, "%s", chaos_interrupted ? "interrupted"
                                              : "did not recover in time (no RDS-EVENT-0053 with "
                                                "the instance available and Multi-AZ)");
    if (f->kind == CHAOS_HANG && !resumed)
        chaos_resume(f, p->postmaster);
    if ((f->kind == CHAOS_HOST && !host_back) || (f->kind == CHAOS_CPKILL && cp_killed))
        chaos_region_up(c);
}

/* ---- network faults (namespace mode) ----
 * Each kind is a row: what region.sh cuts and heals, on which host, and
 * when the harness heals it. Kinds that need another primitive (a delay,
 * a loss rate) are rows with their own verbs. */

#define CHAOS_FLAP_MS 300        /* a flap's link down: far below detection (3 probes, 1 s) */
#define CHAOS_NET_HOLD_MS 4000   /* a fault that must not fail over stays this long */
#define CHAOS_NET_QUIET_MS 3000  /* after its heal, no failover may start this long */
#define CHAOS_LATENCY_MS "100"   /* latency's delay each way: 2.5 round trips per probe timeout */

typedef enum { NET_PRIMARY_AZ, NET_STANDBY_AZ, NET_CONTROLPLANE } chaos_net_target;
typedef enum {
    NET_HEAL_AT_FAILOVER, /* RDS-EVENT-0049: the host comes back as `host` does */
    NET_HEAL_AT_RELAXED,  /* RDS-EVENT-0052: sync relaxed, the primary writable */
    NET_HEAL_AT_HOLD,     /* after CHAOS_NET_HOLD_MS */
    NET_HEAL_AT_ONCE,     /* the cut lasted CHAOS_FLAP_MS, inside the injection */
} chaos_heal_at;
typedef enum { NET_EXPECT_FAILOVER, NET_EXPECT_NONE, NET_EXPECT_EITHER } chaos_expect;

typedef struct {
    chaos_kind kind;
    const char *cut, *heal;     /* region.sh verbs, the target their argument */
    const char *cut_arg;        /* the cut's second argument (ms, %), or NULL */
    chaos_net_target target;
    chaos_heal_at heal_at;
    chaos_expect expect;
    bool standby_first;         /* partition the standby until 0052, then the target */
} chaos_netfault;

static const chaos_netfault chaos_netfaults[] = {
    {CHAOS_PARTITION_PRIMARY, "partition", "unpartition", NULL, NET_PRIMARY_AZ,
     NET_HEAL_AT_FAILOVER, NET_EXPECT_FAILOVER, false},
    {CHAOS_PARTITION_STANDBY, "partition", "unpartition", NULL, NET_STANDBY_AZ,
     NET_HEAL_AT_RELAXED, NET_EXPECT_NONE, false},
    {CHAOS_PARTITION_CP, "netcut", "netheal", NULL, NET_CONTROLPLANE, NET_HEAL_AT_HOLD,
     NET_EXPECT_NONE, false},
    {CHAOS_AZ_OUTAGE, "netcut", "netheal", NULL, NET_PRIMARY_AZ, NET_HEAL_AT_FAILOVER,
     NET_EXPECT_FAILOVER, false},
    {CHAOS_FLAP, "netcut", "netheal", NULL, NET_PRIMARY_AZ, NET_HEAL_AT_ONCE, NET_EXPECT_EITHER,
     false},
    {CHAOS_PARTITION_RELAXED, "partition", "unpartition", NULL, NET_PRIMARY_AZ,
     NET_HEAL_AT_HOLD, NET_EXPECT_NONE, true},
    /* A slow link is not a dead one: 100 ms each way (a 200 ms round trip
     * on every probe, every replication ack) for the hold, and no failover
     * may follow. */
    {CHAOS_LATENCY, "netdelay", "netclear", CHAOS_LATENCY_MS, NET_PRIMARY_AZ, NET_HEAL_AT_HOLD,
     NET_EXPECT_NONE, false},
    /* A link that loses everything is dead, though it is up: the probes
     * must see it and fail over, as for az-outage. */
    {CHAOS_LOSS, "netloss", "netclear", "100", NET_PRIMARY_AZ, NET_HEAL_AT_FAILOVER,
     NET_EXPECT_FAILOVER, false},
};

static const chaos_netfault *chaos_netfault_of(chaos_kind k)
{
    for (size_t i = 0; i < sizeof chaos_netfaults / sizeof chaos_netfaults[0]; i++)
        if (chaos_netfaults[i].kind == k)
            return &chaos_netfaults[i];
    return NULL;
}

/* The AZ of the instance's other node (the standby), or false. */
static bool chaos_standby_az(chaos_ctx *c, const chaos_node *p, char *az, size_t cap)
{
    chaos_node nodes[16];
    int n = chaos_list_nodes(c, nodes, 16);
    for (int i = 0; i < n; i++)
        if (strcmp(nodes[i].addr, p->addr) != 0 && strcmp(nodes[i].az, p->az) != 0 &&
            strlen(nodes[i].az) < cap) {
            memcpy(az, nodes[i].az, strlen(nodes[i].az) + 1);
            return true;
        }
    return false;
}

static void chaos_net_heal(chaos_ctx *c, chaos_fault *f, const chaos_netfault *nf)
{
    if (f->net_cut2 && chaos_region_run(c, nf->heal, f->net_target2))
        f->net_cut2 = false;
    if (f->net_cut && chaos_region_run(c, nf->heal, f->net_target))
        f->net_cut = false;
    if (!f->t_heal)
        f->t_heal = wall_ms();
    chaos_say("  healed (%s %s%s%s)", nf->heal, f->net_target, f->net_target2[0] ? ", " : "",
              f->net_target2);
}

static bool chaos_net_inject(chaos_ctx *c, chaos_fault *f, const chaos_node *p)
{
    const chaos_netfault *nf = chaos_netfault_of(f->kind);
    const char *target = p->az;
    char standby[64];
    if (nf->target == NET_CONTROLPLANE)
        target = "controlplane";
    if (nf->target == NET_STANDBY_AZ || nf->standby_first) {
        if (!chaos_standby_az(c, p, standby, sizeof standby)) {
            snprintf(f->error, sizeof f->error, "no standby node in another AZ to cut");
            return false;
        }
        if (nf->standby_first)
            snprintf(f->net_target2, sizeof f->net_target2, "%s", target);
        target = standby;
    }
    snprintf(f->net_target, sizeof f->net_target, "%s", target);
    f->t_fault = wall_ms();
    if (!chaos_region_run2(c, nf->cut, f->net_target, nf->cut_arg)) {
        snprintf(f->error, sizeof f->error, "region.sh %s %s failed", nf->cut, f->net_target);
        return false;
    }
    f->net_cut = true;
    chaos_say("  cut (%s %s%s%s)", nf->cut, f->net_target, nf->cut_arg ? " " : "",
              nf->cut_arg ? nf->cut_arg : "");
    if (nf->heal_at == NET_HEAL_AT_ONCE) {
        chaos_sleep_ms(CHAOS_FLAP_MS); /* the fault itself: a link down this long */
        chaos_net_heal(c, f, nf);
    }
    return true;
}

/* Follows a network fault: heals it when its row says, then waits for the
 * instance to be whole again — RDS-EVENT-0053 after a failover or a
 * relaxed sync, else available with no failover started for
 * CHAOS_NET_QUIET_MS after the heal. A failover a NET_EXPECT_NONE kind
 * must not cause fails the fault (after the recovery, so the region is
 * left whole). Always heals, also on a timeout. */
static void chaos_follow_net(chaos_ctx *c, chaos_fault *f)
{
    const chaos_netfault *nf = chaos_netfault_of(f->kind);
    int64_t deadline = mono_ms() + c->timeout_ms;
    int64_t hold_until = mono_ms() + CHAOS_NET_HOLD_MS, quiet_until = 0;
    bool second_cut = !nf->standby_first;
    if (f->t_heal)
        quiet_until = mono_ms() + CHAOS_NET_QUIET_MS;
    while (mono_ms() < deadline && !chaos_interrupted) {
        chaos_seen seen;
        if (chaos_events(c, f->t_fault, &seen))
            for (int k = 0; k < EV_N; k++)
                if (seen.first[k] && !f->t_ev[k])
                    f->t_ev[k] = seen.first[k];
        if (!second_cut && f->t_ev[EV_0052]) {
            /* The standby is lost and sync relaxed: now the primary too. */
            if (!chaos_region_run2(c, nf->cut, f->net_target2, nf->cut_arg)) {
                snprintf(f->error, sizeof f->error, "region.sh %s %s failed", nf->cut,
                         f->net_target2);
                break;
            }
            f->net_cut2 = second_cut = true;
            chaos_say("  sync relaxed; cut (%s %s) too", nf->cut, f->net_target2);
            hold_until = mono_ms() + CHAOS_NET_HOLD_MS;
        }
        if (!f->t_heal && second_cut) {
            bool heal = f->t_ev[EV_0049] != 0; /* failed over: always bring the host back */
            if (nf->heal_at == NET_HEAL_AT_RELAXED)
                heal |= f->t_ev[EV_0052] != 0;
            else if (nf->heal_at == NET_HEAL_AT_HOLD)
                heal |= mono_ms() >= hold_until;
            if (heal) {
                chaos_net_heal(c, f, nf);
                quiet_until = mono_ms() + CHAOS_NET_QUIET_MS;
            }
        }
        if (f->t_heal) {
            bool evented = f->t_ev[EV_0013] || f->t_ev[EV_0052];
            bool settled = evented ? f->t_ev[EV_0053] != 0 : mono_ms() >= quiet_until;
            chaos_instance in;
            char why[200];
            if (settled && chaos_describe(c, &in, why, sizeof why) &&
                strcmp(in.status, "available") == 0 && in.multi_az) {
                memcpy(f->new_az, in.az, sizeof f->new_az);
                f->recovered = true;
                break;
            }
        }
        chaos_sleep_ms(CHAOS_POLL_MS);
    }
    if (f->net_cut || f->net_cut2)
        chaos_net_heal(c, f, nf);
    if (!f->recovered && !f->error[0])
        snprintf(f->error, sizeof f->error, "%s", chaos_interrupted ? "interrupted"
                 : "did not recover in time after the heal");
    if (f->recovered && nf->expect == NET_EXPECT_NONE && f->t_ev[EV_0013]) {
        f->recovered = false;
        snprintf(f->error, sizeof f->error, "failed over (RDS-EVENT-0013), which %s must not cause",
                 chaos_kind_name(f->kind));
    }
}

/* Waits (bounded) until writers acknowledge writes after from_ms; false
 * if they do not. */
static bool chaos_wait_writes(chaos_ctx *c, int64_t from_ms, uint32_t old_addr, bool new_node,
                              workload_window *win)
{
    int64_t deadline = mono_ms() + CHAOS_WRITES_TIMEOUT_MS;
    for (;;) {
        workload_window_get(c->wl, old_addr, from_ms, win);
        if (new_node ? win->first_new_ms != 0 : win->acks_after > 0)
            return true;
        if (mono_ms() >= deadline || chaos_interrupted)
            return false;
        chaos_sleep_ms(CHAOS_POLL_MS);
    }
}

/* ---- report ---- */

static double chaos_secs(int64_t from, int64_t to)
{
    return from && to ? (double)(to - from) / 1000.0 : NAN;
}

static void chaos_add_secs(cJSON *o, const char *key, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, round(v * 1000.0) / 1000.0);
}

static void chaos_addr_text(uint32_t a, char *out, size_t cap)
{
    struct in_addr ia = {.s_addr = a};
    if (!a || !inet_ntop(AF_INET, &ia, out, (socklen_t)cap))
        snprintf(out, cap, "?");
}

typedef struct {
    double detect, writable, dns, completed, first_write, downtime, recovery;
} chaos_times;

static chaos_times chaos_times_of(const chaos_fault *f)
{
    const workload_window *w = &f->win;
    chaos_times t = {
        .detect = chaos_secs(f->t_fault, f->t_ev[EV_0013]),
        .writable = chaos_secs(f->t_fault, w->probe_ms ? w->probe_ms : w->first_new_ms),
        .dns = chaos_secs(f->t_fault, w->dns_flip_ms),
        .completed = chaos_secs(f->t_fault, f->t_ev[EV_0049]),
        .first_write = chaos_secs(f->t_fault, w->first_new_ms),
        .downtime = chaos_secs(w->last_old_ms, w->first_new_ms),
        .recovery = chaos_secs(f->t_fault, f->t_ev[EV_0053]),
    };
    if (chaos_kind_netns(f->kind) && !f->t_ev[EV_0013]) {
        /* Nothing moved: detection is the standby judged lost (0052) if it
         * was, and the clients' downtime their longest pause. */
        t.detect = chaos_secs(f->t_fault, f->t_ev[EV_0052]);
        t.writable = chaos_secs(f->t_fault, f->gap_end);
        t.first_write = t.writable;
        t.downtime = chaos_secs(f->gap_start, f->gap_end);
    }
    return t;
}

static void chaos_fmt_secs(double v, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.2f", v);
}

static void chaos_print_table(const chaos_fault *faults, int n)
{
    printf("%-3s %-22s %-27s %8s %8s %8s %8s %8s %8s  %s\n", "#", "kind", "primary (old -> new AZ)",
           "detect", "writable", "dns", "client", "downtime", "recovery", "result");
    for (int i = 0; i < n; i++) {
        const chaos_fault *f = &faults[i];
        chaos_times t = chaos_times_of(f);
        char move[80], c[6][16];
        snprintf(move, sizeof move, "%s -> %s", f->old_az, f->new_az[0] ? f->new_az : "?");
        chaos_fmt_secs(t.detect, c[0], sizeof c[0]);
        chaos_fmt_secs(t.writable, c[1], sizeof c[1]);
        chaos_fmt_secs(t.dns, c[2], sizeof c[2]);
        chaos_fmt_secs(t.first_write, c[3], sizeof c[3]);
        chaos_fmt_secs(t.downtime, c[4], sizeof c[4]);
        chaos_fmt_secs(t.recovery, c[5], sizeof c[5]);
        printf("%-3d %-22s %-27s %8s %8s %8s %8s %8s %8s  %s\n", f->index, chaos_kind_name(f->kind),
               move, c[0], c[1], c[2], c[3], c[4], c[5], f->recovered ? "ok" : f->error);
    }
    printf("(seconds from the fault; downtime: last write acknowledged by the old primary to the "
           "first by the new one, for writers honouring the DNS TTL)\n");
}

static cJSON *chaos_fault_json(const chaos_fault *f)
{
    cJSON *o = cJSON_CreateObject();
    char buf[40];
    cJSON_AddNumberToObject(o, "Index", f->index);
    cJSON_AddStringToObject(o, "Kind", chaos_kind_name(f->kind));
    cJSON_AddStringToObject(o, "At", rclock_format(f->t_fault, buf, sizeof buf));
    cJSON *old = cJSON_AddObjectToObject(o, "OldPrimary");
    cJSON_AddStringToObject(old, "Node", f->old_node);
    cJSON_AddStringToObject(old, "AvailabilityZone", f->old_az);
    cJSON_AddStringToObject(old, "Address", f->old_addr);
    cJSON *nw = cJSON_AddObjectToObject(o, "NewPrimary");
    if (f->new_az[0])
        cJSON_AddStringToObject(nw, "AvailabilityZone", f->new_az);
    else
        cJSON_AddNullToObject(nw, "AvailabilityZone");
    uint32_t na = f->win.new_addr ? f->win.new_addr : f->win.probe_addr;
    char addr[WORKLOAD_ADDR_MAX];
    chaos_addr_text(na, addr, sizeof addr);
    if (na)
        cJSON_AddStringToObject(nw, "Address", addr);
    else
        cJSON_AddNullToObject(nw, "Address");
    chaos_times t = chaos_times_of(f);
    chaos_add_secs(o, "DetectionSeconds", t.detect);
    chaos_add_secs(o, "WritableSeconds", t.writable);
    chaos_add_secs(o, "DnsFlipSeconds", t.dns);
    chaos_add_secs(o, "FailoverCompletedSeconds", t.completed);
    chaos_add_secs(o, "FirstClientWriteSeconds", t.first_write);
    chaos_add_secs(o, "ClientDowntimeSeconds", t.downtime);
    chaos_add_secs(o, "RecoverySeconds", t.recovery);
    chaos_add_secs(o, "StandbyReplayingSeconds", f->standby_s);
    cJSON_AddNumberToObject(o, "FencedAcks", (double)f->fenced);
    cJSON_AddBoolToObject(o, "FailedOver", f->t_ev[EV_0013] != 0);
    if (chaos_kind_netns(f->kind)) {
        cJSON_AddStringToObject(o, "Cut", f->net_target);
        chaos_add_secs(o, "HealedSeconds", chaos_secs(f->t_fault, f->t_heal));
        cJSON_AddBoolToObject(o, "Healed", f->t_heal != 0 && !f->net_cut && !f->net_cut2);
    }
    cJSON_AddBoolToObject(o, "Recovered", f->recovered);
    if (f->error[0] && !f->recovered)
        cJSON_AddStringToObject(o, "Error", f->error);
    else
        cJSON_AddNullToObject(o, "Error");
    return o;
}

/* ---- connections of the controller (blocking: it has no loop) ---- */

#define CHAOS_STATEMENT_TIMEOUT "5000" /* ms */
#define CHAOS_STATEMENT_TIMEOUT_MS 5000

/* A connection to addr as the master user; NULL (message in why) on a
 * failure. */
static PGconn *chaos_connect(chaos_ctx *c, const char *addr, const char *app, char *why,
                             size_t why_size)
{
    char port[16];
    snprintf(port, sizeof port, "%d", c->port);
    /* A statement that waits longer (a commit waiting for a standby that
     * never confirms) is cancelled: the controller must not hang. */
    const char *keys[] = {"hostaddr", "port", "user", "password", "dbname", "connect_timeout",
                          "sslmode", "gssencmode", "application_name", "options", "host",
                          "sslrootcert", NULL};
    const char *vals[] = {addr, port, c->user, c->password, "postgres", "3", pgtls_mode(c->bundle),
                          "disable", app, "-c statement_timeout=" CHAOS_STATEMENT_TIMEOUT, addr,
                          c->bundle, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 0);
    if (PQstatus(conn) != CONNECTION_OK) {
        snprintf(why, why_size, "%s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, chaos_quiet, NULL);
    return conn;
}

/* Runs one statement with text parameters; true if it returned tuples
 * (*rows set) or completed. */
static bool chaos_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
                       int *rows, char *why, size_t why_size)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
    if (ok && rows)
        *rows = st == PGRES_TUPLES_OK ? PQntuples(res) : 0;
    if (!ok)
        snprintf(why, why_size, "%s", PQresultErrorMessage(res));
    PQclear(res);
    return ok;
}

#define CHAOS_STANDBY_TIMEOUT_MS 20000

/* RDS-EVENT-0053 says the standby is synchronous again; this checks that
 * one really receives and replays: a marker row written on the primary
 * after the recovery (run = -run, id = the fault's index) must become
 * visible on another node. Sets f->standby_s; false (f->error set) if no
 * node shows it in time. */
static bool chaos_check_standby(chaos_ctx *c, chaos_fault *f, int64_t run)
{
    char primary[WORKLOAD_ADDR_MAX], why[256] = "";
    char runs[24], ids[16];
    snprintf(runs, sizeof runs, "%lld", -(long long)run);
    snprintf(ids, sizeof ids, "%d", f->index);
    const char *params[2] = {runs, ids};
    if (!chaos_resolve(c, primary, sizeof primary)) {
        snprintf(f->error, sizeof f->error, "after recovery the endpoint does not resolve");
        return false;
    }
    PGconn *p = chaos_connect(c, primary, "rdsim-chaos-check", why, sizeof why);
    int64_t t0 = mono_ms();
    bool ok = p && chaos_exec(p, "INSERT INTO rdsim_chaos (run, id, writer) VALUES ($1, $2, -1) "
                                 "ON CONFLICT DO NOTHING", 2, params, NULL, why, sizeof why);
    PQfinish(p);
    if (!ok) {
        snprintf(f->error, sizeof f->error, "after recovery the primary %s takes no write: %.150s",
                 primary, why);
        return false;
    }
    /* A cancelled wait for the synchronous standby is a WARNING, not an
     * error: the commit stays local. Its sign is the time it took. */
    if (mono_ms() - t0 >= CHAOS_STATEMENT_TIMEOUT_MS) {
        snprintf(f->error, sizeof f->error, "after RDS-EVENT-0053 a commit on the primary %s waited "
                                            "%d s for its synchronous standby in vain", primary,
                 CHAOS_STATEMENT_TIMEOUT_MS / 1000);
        return false;
    }
    int64_t deadline = mono_ms() + CHAOS_STANDBY_TIMEOUT_MS;
    while (mono_ms() < deadline && !chaos_interrupted) {
        chaos_node nodes[16];
        int n = chaos_list_nodes(c, nodes, 16);
        for (int i = 0; i < n; i++) {
            if (strcmp(nodes[i].addr, primary) == 0)
                continue;
            PGconn *s = chaos_connect(c, nodes[i].addr, "rdsim-chaos-check", why, sizeof why);
            int rows = 0;
            bool seen = s && chaos_exec(s, "SELECT 1 FROM rdsim_chaos WHERE run = $1 AND id = $2",
                                        2, params, &rows, why, sizeof why) && rows == 1;
            PQfinish(s);
            if (seen) {
                f->standby_s = (double)(wall_ms() - f->t_fault) / 1000.0;
                return true;
            }
        }
        chaos_sleep_ms(100);
    }
    snprintf(f->error, sizeof f->error, "RDS-EVENT-0053, but no standby replays a write made on "
                                        "the primary after it (%d s)", CHAOS_STANDBY_TIMEOUT_MS / 1000);
    return false;
}

/* ---- final check ---- */

/* Reads every id of this run from the primary, sorted. Retries for a while
 * (the instance may still be settling). Returns the count or -1. */
static int64_t chaos_read_ids(chaos_ctx *c, int64_t run, int64_t **ids)
{
    *ids = NULL;
    int64_t deadline = mono_ms() + 30000;
    char runs[24], why[512];
    snprintf(runs, sizeof runs, "%lld", (long long)run);
    const char *params[1] = {runs};
    int said = 0;
    while (mono_ms() < deadline && !chaos_interrupted) {
        char addr[WORKLOAD_ADDR_MAX];
        PGconn *conn = NULL;
        if (chaos_resolve(c, addr, sizeof addr))
            conn = chaos_connect(c, addr, "rdsim-chaos-check", why, sizeof why);
        else
            snprintf(why, sizeof why, "the endpoint does not resolve");
        PGresult *res = conn ? PQexecParams(conn, "SELECT id FROM rdsim_chaos WHERE run = $1 "
                                                  "ORDER BY id", 1, NULL, params, NULL, NULL, 0)
                             : NULL;
        int64_t n = -1;
        if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
            n = PQntuples(res);
            *ids = xcalloc((size_t)n + 1, sizeof **ids);
            for (int64_t i = 0; i < n; i++)
                str_to_int64(PQgetvalue(res, (int)i, 0), INT64_MIN, INT64_MAX, &(*ids)[i]);
        } else if (res) {
            snprintf(why, sizeof why, "%s", PQresultErrorMessage(res));
        }
        PQclear(res);
        PQfinish(conn);
        if (n >= 0)
            return n;
        if (!said++)
            chaos_say("final check: cannot read the table yet (retrying for 30 s): %s", why);
        chaos_sleep_ms(500);
    }
    return -1;
}

/* Runs workload_create_sql on the primary. */
static bool chaos_create_table(chaos_ctx *c, const char *addr)
{
    char why[512] = "";
    PGconn *conn = chaos_connect(c, addr, "rdsim-chaos-check", why, sizeof why);
    bool ok = conn && chaos_exec(conn, workload_create_sql, 0, NULL, NULL, why, sizeof why);
    PQfinish(conn);
    if (!ok)
        fprintf(stderr, "\nCannot create the table on %s:%d as %s: %s\n", addr, c->port, c->user,
                why);
    return ok;
}

/* ---- the command ---- */

#define F_LSTR(f, req, h) {f, NULL, ARG_STRING, NULL, NULL, req, h}
#define F_LINT(f, h) {f, NULL, ARG_INT, NULL, NULL, false, h}

const arg_spec chaos_flags[] = {
    F_LSTR("db-instance-identifier", false, "The Multi-AZ instance to torment"),
    F_LSTR("db-cluster-identifier", false,
           "Or the Multi-AZ DB cluster (its writer takes the faults; forced is FailoverDBCluster)"),
    F_LSTR("master-user-password", true, "Its master password (the writers log in with it)"),
    F_LSTR("master-username", false, "Its master user (default: from DescribeDBInstances)"),
    F_LINT("faults", "Faults to inject, one after another (default 5)"),
    F_LINT("seed", "Seed of the fault order (default: from the clock; printed)"),
    F_LINT("writers", "Concurrent writers through the endpoint (default 4)"),
    F_LSTR("kinds", false, "Fault kinds: crash,host,hang,cpkill,forced (the default); namespace "
                           "mode also partition-primary,partition-standby,partition-controlplane,"
                           "az-outage,flap,partition-relaxed,latency,loss"),
    F_LSTR("json", false, "Write the per-fault rows and totals to this file as JSON"),
    {"timeout-per-fault", NULL, ARG_SECONDS, NULL, NULL, false,
     "Give up on a fault not recovered after this many seconds (default 120)"},
    F_LINT("interval-ms", "Pause between one writer's inserts (default 5)"),
    F_LSTR("dns-port", false, "The region's DNS port (default $RDS_DNS_PORT, else region.env)"),
    {NULL, NULL, 0, NULL, NULL, false, NULL},
};

static int chaos_usage(const char *message)
{
    fprintf(stderr,
            "usage: rdsctl chaos --db-instance-identifier X --master-user-password PW [...]\n"
            "To see help text, you can run:\n\n  rdsctl chaos help\n\n"
            "rdsctl: error: %s\n", message);
    return CLI_EXIT_USAGE;
}

/* The region script: $RDS_REGION_SH, else scripts/region.sh next to the
 * bin/ directory rdsctl runs from. */
static char *chaos_region_script(void)
{
    const char *env = getenv("RDS_REGION_SH");
    if (env && *env)
        return xstrdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return xstrdup("scripts/region.sh");
    exe[n] = '\0';
    char *bindir = dirname(exe);
    return xasprintf("%s/../scripts/region.sh", bindir);
}

int chaos_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    query params = {0}, opts = {0};
    sbuf err = {0};
    chaos_ctx c = {.ctx = ctx, .api = {.endpoint = ctx->endpoint, .debug = ctx->debug,
                                       .timeout_s = 10}};
    chaos_fault *faults = NULL;
    chaos_kind *plan = NULL;
    int64_t *present = NULL;
    int rc = CLI_EXIT_USAGE;
    int64_t nfaults, seed, nwriters, interval;
    int injected = 0;
    bool all_recovered = true;
    unsigned mask = CHAOS_PROCESS_KINDS;
    char *netns_path = NULL;
    if (args_parse(chaos_flags, argc, argv, &params, &opts, &err) != ARGS_OK ||
        !args_opt_int(&opts, "faults", 1, CHAOS_MAX_FAULTS, CHAOS_DEFAULT_FAULTS, &nfaults, &err) ||
        !args_opt_int(&opts, "seed", 0, INT64_MAX, wall_ms() % 1000000, &seed, &err) ||
        !args_opt_int(&opts, "writers", 1, WORKLOAD_MAX_WRITERS, CHAOS_DEFAULT_WRITERS, &nwriters,
                       &err) ||
        !args_opt_int(&opts, "interval-ms", 0, 10000, CHAOS_DEFAULT_INTERVAL_MS, &interval, &err) ||
        (query_get(&opts, "kinds") && !chaos_parse_kinds(query_get(&opts, "kinds"), &mask, &err))) {
        rc = chaos_usage(err.data ? err.data : "bad arguments");
        goto done;
    }
    c.id = query_get(&opts, "db-instance-identifier");
    if (query_get(&opts, "db-cluster-identifier")) {
        if (c.id) {
            rc = chaos_usage("give --db-instance-identifier or --db-cluster-identifier, not both");
            goto done;
        }
        c.id = query_get(&opts, "db-cluster-identifier");
        c.cluster = true;
    }
    if (!c.id) {
        rc = chaos_usage("the following arguments are required: --db-instance-identifier "
                         "(or --db-cluster-identifier)");
        goto done;
    }
    c.password = query_get(&opts, "master-user-password");
    const char *t = query_get(&opts, "timeout-per-fault");
    c.timeout_ms = (int64_t)((t ? strtod(t, NULL) : CHAOS_DEFAULT_TIMEOUT_S) * 1000.0);
    const char *home = getenv("RDS_HOME");
    char real[PATH_MAX];
    c.rds_home = xstrdup(realpath(home && *home ? home : "./run", real) ? real
                         : (home && *home ? home : "./run"));
    c.bundle = pgtls_bundle(c.rds_home);
    c.region_sh = chaos_region_script();
    /* main hands the dispatcher no DNS port: read the variables here, where
     * they are used, as `rdsctl dns` does. */
    if (!dnslookup_resolve_port(query_get(&opts, "dns-port"), getenv("RDS_DNS_PORT"), c.rds_home,
                                &c.dns_port, &err)) {
        rc = chaos_usage(err.data);
        goto done;
    }

    chaos_read_netmode(&c);
    if ((mask & CHAOS_NETWORK_KINDS) && !c.netns) {
        fprintf(stderr, "\nThe network fault kinds need a region in namespace mode "
                        "(RDSIM_NET=netns scripts/region.sh up); %s/region.env says loopback\n",
                c.rds_home);
        rc = CLI_EXIT_FAILURE;
        goto done;
    }
    if ((mask & CHAOS_NETWORK_KINDS) && c.cluster) {
        rc = chaos_usage("the network fault kinds take --db-instance-identifier (a Multi-AZ DB "
                         "cluster's are not supported yet)");
        goto done;
    }

    rc = CLI_EXIT_FAILURE;
    struct sigaction sa = {.sa_handler = chaos_on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    c.clock_offset_ms = chaos_clock_offset(&c);
    /* The instance must be Multi-AZ, available, and healthy (its last
     * Multi-AZ event a recovery completed, or none at all). */
    chaos_instance in;
    char why[256];
    int64_t ready_deadline = mono_ms() + CHAOS_READY_TIMEOUT_MS;
    for (;;) {
        chaos_seen seen;
        if (!chaos_describe(&c, &in, why, sizeof why)) {
            fprintf(stderr, "\n%s: %s\n", c.id, why);
            goto restore;
        }
        if (!in.multi_az) {
            fprintf(stderr, "\n%s is not a Multi-AZ instance: nothing to fail over to\n", c.id);
            goto restore;
        }
        bool healthy = strcmp(in.status, "available") == 0 &&
                       chaos_events(&c, wall_ms() - 13LL * 86400000, &seen) &&
                       (seen.last == EV_0053 || seen.last == -1 ||
                        (c.cluster && seen.last == EV_0049));
        if (healthy)
            break;
        if (mono_ms() >= ready_deadline || chaos_interrupted) {
            fprintf(stderr, "\n%s is not available with a synchronous standby (status %s)\n", c.id,
                    in.status);
            goto restore;
        }
        chaos_sleep_ms(200);
    }
    c.endpoint = xstrdup(in.endpoint);
    c.port = in.port;
    c.user = xstrdup(query_get(&opts, "master-username") ? query_get(&opts, "master-username")
                                                         : in.user);
    char addr[WORKLOAD_ADDR_MAX];
    if (!chaos_resolve(&c, addr, sizeof addr)) {
        fprintf(stderr, "\n%s does not resolve through the DNS server at 127.0.0.1:%d\n",
                c.endpoint, c.dns_port);
        goto restore;
    }
    if (!chaos_create_table(&c, addr))
        goto restore;

    plan = xcalloc((size_t)nfaults, sizeof *plan);
    chaos_plan(mask, (int)nfaults, (uint64_t)seed, plan);
    faults = xcalloc((size_t)nfaults, sizeof *faults);
    int64_t run = wall_ms();
    workload_config wc = {.endpoint = c.endpoint, .dns_server = "127.0.0.1",
                          .dns_port = c.dns_port, .pg_port = c.port, .user = c.user,
                          .password = c.password, .dbname = "postgres",
                          .sslrootcert = c.bundle, .writers = (int)nwriters,
                          .interval_ms = (int)interval, .run = run};
    if (c.netns) {
        /* The writers are clients on the clients' host, resolving through
         * the gateway's DNS as its resolv.conf says: a partition that cuts
         * a DB host from the controlplane leaves it reachable to them. */
        netns_path = xasprintf("/run/netns/%s", c.client_ns);
        wc.netns = netns_path;
        wc.dns_server = c.gateway;
        wc.dns_port = 53;
    }
    c.wl = workload_start(&wc);
    if (!c.wl)
        goto restore;
    chaos_say("chaos: %s, %lld faults, seed %lld, %lld writers through %s (DNS %s:%d%s%s)",
              c.id, (long long)nfaults, (long long)seed, (long long)nwriters, c.endpoint,
              wc.dns_server, wc.dns_port, c.netns ? ", from " : "", c.netns ? c.client_ns : "");
    workload_window win;
    if (!chaos_wait_writes(&c, run, 0, false, &win)) {
        char e[200];
        workload_last_error(c.wl, e, sizeof e);
        fprintf(stderr, "\nThe writers cannot write: %s\n", e);
        goto stop;
    }

    for (int i = 0; i < nfaults && !chaos_interrupted; i++) {
        chaos_fault *f = &faults[i];
        f->index = i + 1;
        f->kind = plan[i];
        chaos_node primary;
        char probes[WORKLOAD_MAX_PROBES][WORKLOAD_ADDR_MAX];
        int nprobes;
        /* Writes must flow before a fault, or there is nothing to measure. */
        if (!chaos_wait_writes(&c, wall_ms(), 0, false, &win)) {
            snprintf(f->error, sizeof f->error, "writers stalled before the fault");
            all_recovered = false;
            injected = i + 1;
            break;
        }
        if (!chaos_find_primary(&c, f, &primary, probes, &nprobes)) {
            all_recovered = false;
            injected = i + 1;
            break;
        }
        memcpy(f->old_node, primary.node, sizeof f->old_node);
        memcpy(f->old_az, primary.az, sizeof f->old_az);
        memcpy(f->old_addr, primary.addr, sizeof f->old_addr);
        struct in_addr ia;
        inet_pton(AF_INET, primary.addr, &ia);
        f->old_addr_n = ia.s_addr;
        const char *pa[WORKLOAD_MAX_PROBES];
        for (int k = 0; k < nprobes; k++)
            pa[k] = probes[k];
        workload_set_probes(c.wl, pa, nprobes);
        chaos_say("fault %d/%lld: %s on %s (%s, %s, postmaster %d)", f->index, (long long)nfaults,
                  chaos_kind_name(f->kind), f->old_node, f->old_az, f->old_addr,
                  (int)primary.postmaster);
        injected = i + 1;
        if (!chaos_inject(&c, f, &primary)) {
            workload_set_probes(c.wl, NULL, 0);
            all_recovered = false;
            break;
        }
        if (chaos_kind_netns(f->kind))
            chaos_follow_net(&c, f);
        else
            chaos_follow(&c, f, &primary);
        workload_set_probes(c.wl, NULL, 0);
        if (f->recovered && !chaos_check_standby(&c, f, run))
            f->recovered = false;
        /* The writers reach the new primary once their TTL runs out; after
         * a fault that moved nothing, they write again after the heal. */
        bool moved = f->kind == CHAOS_FORCED || !chaos_kind_netns(f->kind) || f->t_ev[EV_0013];
        if (f->recovered && !chaos_wait_writes(&c, moved ? f->t_fault : f->t_heal,
                                               moved ? f->old_addr_n : 0, moved, &f->win)) {
            f->recovered = false;
            snprintf(f->error, sizeof f->error, "recovered, but the writers never reached %s",
                     moved ? "the new primary" : "the primary again after the heal");
        }
        workload_window_get(c.wl, f->old_addr_n, f->t_fault, &f->win);
        workload_gap(c.wl, f->t_fault, wall_ms(), &f->gap_start, &f->gap_end);
        chaos_times tm = chaos_times_of(f);
        if (f->recovered)
            chaos_say("  recovered: detected %.2fs, writable %.2fs, DNS %.2fs, client downtime "
                      "%.2fs, standby back %.2fs (replaying %.2fs)", tm.detect, tm.writable, tm.dns,
                      tm.downtime, tm.recovery, f->standby_s);
        else
            chaos_say("  FAILED: %s", f->error);
        if (!f->recovered) {
            all_recovered = false;
            break;
        }
    }

stop:
    workload_stop(c.wl);
    const workload_ack *acks;
    size_t nacks = workload_acks(c.wl, &acks);
    int64_t npresent = chaos_read_ids(&c, run, &present);
    int64_t missing = npresent >= 0 ? chaos_count_missing(acks, nacks, present, (size_t)npresent)
                                    : -1;
    chaos_epoch *epochs = xcalloc((size_t)nfaults + 1, sizeof *epochs);
    int nep = 0;
    for (int i = 0; i < nfaults; i++) {
        const chaos_fault *f = &faults[i];
        if (!f->t_fault)
            continue;
        chaos_epoch *e = &epochs[nep++];
        e->old_addr = f->old_addr_n;
        e->new_addr = f->win.new_addr ? f->win.new_addr
                      : f->win.probe_addr ? f->win.probe_addr : f->win.dns_addr;
        e->fault_ms = f->t_fault;
        if (f->kind == CHAOS_FORCED) {
            /* A planned failover: the old primary serves until it is
             * stopped, just before the promotion. From the new primary's
             * first acknowledged write (or the failover's completion) on,
             * an ack from the old one would be a split brain. */
            int64_t cands[3] = {f->t_ev[EV_0049], f->win.probe_ms, f->win.first_new_ms};
            for (int k = 0; k < 3; k++)
                if (cands[k] && (!e->fence_ms || cands[k] < e->fence_ms))
                    e->fence_ms = cands[k];
        } else {
            e->fence_ms = f->t_ev[EV_0013];
        }
    }
    int64_t fenced = chaos_count_fenced(acks, nacks, epochs, nep);
    for (int i = 0, k = 0; i < nfaults && k < nep; i++)
        if (faults[i].t_fault)
            faults[i].fenced = epochs[k++].fenced;
    free(epochs);

    int recovered = 0;
    for (int i = 0; i < injected; i++)
        recovered += faults[i].recovered;
    printf("\nchaos run on %s: seed %lld, kinds %s\n\n", c.id, (long long)seed,
           query_get(&opts, "kinds") ? query_get(&opts, "kinds") : "crash,host,hang,cpkill,forced");
    chaos_print_table(faults, injected);
    printf("\nfaults injected %d, recovered %d\n", injected, recovered);
    printf("acknowledged writes %zu (sent but not acknowledged %lld)\n", nacks,
           (long long)workload_unacknowledged(c.wl));
    if (missing >= 0)
        printf("acknowledged writes missing %lld\n", (long long)missing);
    else
        printf("acknowledged writes missing: UNKNOWN (could not read the table back)\n");
    printf("writes acknowledged by a fenced node %lld\n", (long long)fenced);
    fflush(stdout);

    const char *json_path = query_get(&opts, "json");
    bool json_ok = true;
    if (json_path) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "DBInstanceIdentifier", c.id);
        cJSON_AddNumberToObject(root, "Seed", (double)seed);
        cJSON_AddNumberToObject(root, "Writers", (double)nwriters);
        cJSON *kinds = cJSON_AddArrayToObject(root, "Kinds");
        for (int k = 0; k < CHAOS_NKINDS; k++)
            if (mask & (1u << k))
                cJSON_AddItemToArray(kinds, cJSON_CreateString(chaos_kind_name((chaos_kind)k)));
        cJSON *list = cJSON_AddArrayToObject(root, "Faults");
        for (int i = 0; i < injected; i++)
            cJSON_AddItemToArray(list, chaos_fault_json(&faults[i]));
        cJSON *tot = cJSON_AddObjectToObject(root, "Totals");
        cJSON_AddNumberToObject(tot, "FaultsInjected", injected);
        cJSON_AddNumberToObject(tot, "FaultsRecovered", recovered);
        cJSON_AddNumberToObject(tot, "AcknowledgedWrites", (double)nacks);
        cJSON_AddNumberToObject(tot, "UnacknowledgedWrites",
                                (double)workload_unacknowledged(c.wl));
        if (missing >= 0)
            cJSON_AddNumberToObject(tot, "MissingWrites", (double)missing);
        else
            cJSON_AddNullToObject(tot, "MissingWrites");
        /* The first missing writes in full, to find them in the logs. */
        cJSON *sample = cJSON_AddArrayToObject(root, "MissingSample");
        for (size_t i = 0, k = 0; missing > 0 && i < nacks && k < 20; i++) {
            if (npresent > 0 && bsearch(&acks[i].id, present, (size_t)npresent, sizeof *present,
                                        chaos_cmp_i64))
                continue;
            cJSON *m = cJSON_CreateObject();
            char buf[40], at[WORKLOAD_ADDR_MAX];
            chaos_addr_text(acks[i].addr, at, sizeof at);
            cJSON_AddNumberToObject(m, "Id", (double)acks[i].id);
            cJSON_AddNumberToObject(m, "Writer", acks[i].writer);
            cJSON_AddStringToObject(m, "Address", at);
            cJSON_AddStringToObject(m, "ServerTime", rclock_format(acks[i].server_ms, buf, sizeof buf));
            cJSON_AddStringToObject(m, "AckTime", rclock_format(acks[i].client_ms, buf, sizeof buf));
            cJSON_AddItemToArray(sample, m);
            k++;
        }
        cJSON_AddNumberToObject(tot, "FencedAcks", (double)fenced);
        char *text = cJSON_Print(root);
        size_t len = strlen(text);
        text = xrealloc(text, len + 2);
        text[len] = '\n';
        text[len + 1] = '\0';
        json_ok = fs_write_atomic(json_path, text, len + 1, 0644);
        if (!json_ok)
            fprintf(stderr, "\nCannot write %s\n", json_path);
        free(text);
        cJSON_Delete(root);
    }
    rc = (all_recovered && !chaos_interrupted && injected == nfaults && missing == 0 &&
          fenced == 0 && json_ok) ? CLI_EXIT_OK : CHAOS_EXIT_CHECK_FAILED;

restore:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
done:
    workload_free(c.wl);
    free(present);
    free(faults);
    free(plan);
    free(c.user);
    free(c.endpoint);
    free(c.rds_home);
    free(c.bundle);
    free(c.region_sh);
    free(netns_path);
    query_free(&params);
    query_free(&opts);
    sbuf_free(&err);
    return rc;
}
