/* lab: see lab.h.
 *
 * Two threads: the clients' (cli/labclients.c, one poll loop) and this
 * one, the controller, which may block on API calls without stalling a
 * client. The controller reads the clients' logs only through
 * labclients.h, and makes its verdicts with labreport.h. */
#include "cli/lab.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <glob.h>
#include <libgen.h>
#include <libpq-fe.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/api.h"
#include "cli/dnslookup.h"
#include "cli/exitcode.h"
#include "cli/labclients.h"
#include "cli/labreaders.h"
#include "cli/labruntimes.h"
#include "cli/pgtls.h"
#include "cli/labreport.h"
#include "cli/stubres.h"
#include "dns/wire.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/rclock.h"

#define LAB_EXIT_NO_FAILOVER 1
#define LAB_POLL_MS 100          /* the controller's pace */
#define LAB_EVENTS_EVERY_MS 250  /* DescribeEvents while a failover runs */
#define LAB_FIRST_WRITE_TIMEOUT_MS 30000
#define LAB_PIDFILE_MAX 4096
#define LAB_MAX_DURATION_S 3600
#define LAB_NODES_MAX 8

/* The only global: set by SIGINT/SIGTERM so a run ends early but still
 * reports what it saw. */
static volatile sig_atomic_t lab_interrupted;

/* The Multi-AZ events, matched by the start of the message as
 * DescribeEvents shows it (0053 goes on "Pending failover or activation."). */
enum { EV_0013, EV_0049, EV_0053, EV_N };
static const char *const lab_event_messages[EV_N] = {
    "Multi-AZ instance failover started.",
    "Multi-AZ instance failover completed.",
    "Multi-AZ instance recovery completed.",
};

/* ------------------------------------------------------------ pure parts */

int lab_negative_ttl(const uint8_t *buf, size_t len)
{
    wire_cursor c;
    wire_cursor_init(&c, buf, len);
    wire_header h;
    if (!wire_read_header(&c, &h) || !(h.flags & WIRE_FLAG_QR))
        return -1;
    uint16_t rcode = WIRE_RCODE(h.flags);
    if (rcode != WIRE_RCODE_NXDOMAIN && !(rcode == WIRE_RCODE_NOERROR && h.ancount == 0))
        return -1;
    for (unsigned i = 0; i < h.qdcount; i++) {
        uint8_t name[WIRE_NAME_MAX];
        size_t name_len;
        uint16_t qt, qc;
        if (!wire_read_question(&c, name, &name_len, &qt, &qc))
            return -1;
    }
    for (unsigned i = 0; i < (unsigned)h.ancount + h.nscount; i++) {
        wire_rr rr;
        if (!wire_read_rr(&c, &rr))
            return -1;
        /* SOA rdata: two names (at least one octet each) then serial,
         * refresh, retry, expire, minimum: MINIMUM is the last 4 octets. */
        if (i >= h.ancount && rr.type == WIRE_TYPE_SOA && rr.rdlength >= 22) {
            const uint8_t *m = rr.rdata + rr.rdlength - 4;
            uint32_t minimum = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
                               (uint32_t)m[2] << 8 | m[3];
            uint32_t ttl = rr.ttl < minimum ? rr.ttl : minimum;
            return ttl > INT_MAX ? INT_MAX : (int)ttl;
        }
    }
    return -1;
}

/* ------------------------------------------------------------- the run */

typedef struct {
    api_client api;
    const char *id;
    const char *password;
    char *user;
    char *rds_home;
    char *bundle;            /* the region's CA bundle or NULL (pgtls.h) */
    char endpoint[256];
    int port;
    int dns_port;
    int64_t clock_offset_ms; /* region clock - wall clock */
    char primary[LABCLIENTS_ADDR_MAX];
    char standby[LABCLIENTS_ADDR_MAX];
} lab_ctx;

static void lab_on_signal(int sig)
{
    (void)sig;
    lab_interrupted = 1;
}

static void lab_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void lab_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void lab_say(const char *fmt, ...)
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

static void lab_copy_str(char *dst, size_t cap, const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    dst[0] = '\0';
    if (cJSON_IsString(v) && strlen(v->valuestring) < cap)
        memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
}

typedef struct {
    char status[32];
    bool multi_az;
    char user[64];
} lab_instance;

/* DescribeDBInstances: fills the endpoint and port into c and the rest
 * into out. false (message printed) if the API did not answer or does not
 * know the instance. */
static bool lab_describe(lab_ctx *c, lab_instance *out)
{
    memset(out, 0, sizeof *out);
    query params = {0};
    query_add(&params, "DBInstanceIdentifier", c->id);
    api_reply reply;
    bool ok = false;
    if (api_call(&c->api, "DescribeDBInstances", &params, &reply) != API_OK) {
        api_print_error(&c->api, "DescribeDBInstances", &reply, stderr);
        goto done;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(reply.result, "DBInstances");
    const cJSON *in = cJSON_IsArray(list) ? cJSON_GetArrayItem(list, 0) : NULL;
    if (!cJSON_IsObject(in)) {
        fprintf(stderr, "\nDescribeDBInstances returned no instance\n");
        goto done;
    }
    lab_copy_str(out->status, sizeof out->status, in, "DBInstanceStatus");
    out->multi_az = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "MultiAZ"));
    lab_copy_str(out->user, sizeof out->user, in, "MasterUsername");
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(in, "Endpoint");
    lab_copy_str(c->endpoint, sizeof c->endpoint, ep, "Address");
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(ep, "Port");
    c->port = cJSON_IsNumber(port) ? port->valueint : 0;
    ok = c->endpoint[0] && c->port > 0;
    if (!ok)
        fprintf(stderr, "\n%s has no endpoint yet (status %s)\n", c->id, out->status);
done:
    api_reply_free(&reply);
    query_free(&params);
    return ok;
}

/* The region clock's offset from the wall clock (DescribeRegionClock);
 * 0 when the controlplane does not have the action. */
static int64_t lab_clock_offset(lab_ctx *c)
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

/* The first Date (wall ms) of each Multi-AZ event of ours at or after
 * since_ms; entries already known are kept. false if the API did not
 * answer. */
static bool lab_events(lab_ctx *c, int64_t since_ms, int64_t first[EV_N])
{
    char start[40];
    rclock_format(since_ms + c->clock_offset_ms, start, sizeof start);
    query params = {0};
    query_add(&params, "SourceIdentifier", c->id);
    query_add(&params, "SourceType", "db-instance");
    query_add(&params, "StartTime", start);
    query_add(&params, "MaxRecords", "100");
    bool ok = true;
    for (int page = 0; page < 20; page++) {
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
            if (!cJSON_IsString(msg) || !cJSON_IsString(date) ||
                !rclock_parse(date->valuestring, &ms))
                continue;
            ms -= c->clock_offset_ms;
            if (ms < since_ms)
                continue;
            for (int k = 0; k < EV_N; k++)
                if (strncmp(msg->valuestring, lab_event_messages[k],
                            strlen(lab_event_messages[k])) == 0 &&
                    (!first[k] || ms < first[k]))
                    first[k] = ms;
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

static bool lab_resolve(lab_ctx *c, char *addr, size_t cap, uint32_t *ttl)
{
    return stubres_lookup("127.0.0.1", c->dns_port, c->endpoint, 3, 700, addr, cap, ttl) ==
           STUBRES_ADDRESS;
}

/* Line `line` (1-based) of a small file, trimmed; false if absent. */
static bool lab_file_line(const char *path, int line, char *out, size_t cap)
{
    size_t len;
    char *text = fs_read_all(path, LAB_PIDFILE_MAX, &len);
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
        if (n && n < cap) {
            memcpy(out, p, n);
            out[n] = '\0';
            ok = true;
        }
    }
    free(text);
    return ok;
}

/* The standby's address: the listen address (postmaster.pid line 6) of
 * the instance's node that is not the primary. A node directory is
 * "<id>-" and 6 letters or digits. false if there is none. */
static bool lab_find_standby(lab_ctx *c)
{
    char *pattern = xasprintf("%s/agents/*/nodes/%s-*/data/postmaster.pid", c->rds_home, c->id);
    glob_t g;
    bool found = false;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !found; i++) {
            /* ".../nodes/<id>-xxxxxx/data/postmaster.pid": check the suffix. */
            const char *dir = strstr(g.gl_pathv[i], "/nodes/");
            const char *tail = dir ? dir + 7 + strlen(c->id) + 1 : NULL;
            if (!tail || strncmp(tail + 6, "/data/postmaster.pid", 20) != 0)
                continue;
            char addr[LABCLIENTS_ADDR_MAX];
            struct in_addr ia;
            if (lab_file_line(g.gl_pathv[i], 6, addr, sizeof addr) &&
                inet_pton(AF_INET, addr, &ia) == 1 && strcmp(addr, c->primary) != 0) {
                memcpy(c->standby, addr, sizeof addr);
                found = true;
            }
        }
        globfree(&g);
    }
    free(pattern);
    return found;
}

/* The negative TTL the zone gives a name that does not exist next to the
 * endpoint (rdsim-lab-nxdomain-probe.<the endpoint's parent>); -1 if no
 * usable answer came. */
static int lab_probe_negative(lab_ctx *c)
{
    const char *dot = strchr(c->endpoint, '.');
    if (!dot)
        return -1;
    char *name = xasprintf("rdsim-lab-nxdomain-probe%s", dot);
    uint8_t qname[WIRE_NAME_MAX];
    size_t qname_len;
    int ttl = -1;
    int fd = -1;
    if (!wire_name_from_text(name, qname, &qname_len))
        goto done;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->dns_port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        goto done;
    uint16_t id = (uint16_t)(wall_ms() ^ getpid());
    uint8_t q[WIRE_HEADER_LEN + WIRE_NAME_MAX + 4];
    size_t qlen = stubres_build_query(id, qname, qname_len, q, sizeof q);
    for (int tries = 0; tries < 3 && ttl < 0; tries++) {
        if (send(fd, q, qlen, 0) != (ssize_t)qlen)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 700) <= 0)
            continue;
        uint8_t buf[STUBRES_MAX_MSG];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n >= WIRE_HEADER_LEN && (uint16_t)(buf[0] << 8 | buf[1]) == id)
            ttl = lab_negative_ttl(buf, (size_t)n);
    }
done:
    if (fd >= 0)
        close(fd);
    free(name);
    return ttl;
}

static void lab_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static bool lab_create_table(lab_ctx *c)
{
    char port[16];
    snprintf(port, sizeof port, "%d", c->port);
    const char *keys[] = {"hostaddr", "port", "user", "password", "dbname", "connect_timeout",
                          "sslmode", "gssencmode", "host", "sslrootcert", NULL};
    const char *vals[] = {c->primary, port, c->user, c->password, "postgres", "5",
                          pgtls_mode(c->bundle), "disable", c->primary, c->bundle, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 0);
    bool ok = false;
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "\nCannot connect to %s:%s as %s: %s\n", c->primary, port, c->user,
                PQerrorMessage(conn));
    } else {
        PQsetNoticeProcessor(conn, lab_quiet, NULL); /* "already exists, skipping" */
        PGresult *res = PQexec(conn, labclients_create_sql);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "\nCannot create the table: %s\n", PQresultErrorMessage(res));
        PQclear(res);
    }
    PQfinish(conn);
    return ok;
}

static bool lab_force_failover(lab_ctx *c)
{
    query params = {0};
    query_add(&params, "DBInstanceIdentifier", c->id);
    query_add(&params, "ForceFailover", "true");
    api_reply reply;
    bool ok = api_call(&c->api, "RebootDBInstance", &params, &reply) == API_OK;
    if (!ok)
        api_print_error(&c->api, "RebootDBInstance", &reply, stderr);
    api_reply_free(&reply);
    query_free(&params);
    return ok;
}

static int lab_by_end(const void *x, const void *y)
{
    const lab_attempt *a = x, *b = y;
    if (a->end_ms != b->end_ms)
        return a->end_ms < b->end_ms ? -1 : 1;
    return a->start_ms < b->start_ms ? -1 : a->start_ms > b->start_ms;
}

/* The models' and the real runtimes' attempts in one log, in order of
 * completion (labclients.h's order; the runtimes' lines arrive late by
 * their pipe's delay). */
static size_t lab_log(labclients *l, labruntimes *rt, lab_attempt **out)
{
    lab_attempt *a, *b;
    size_t n = labclients_attempts(l, &a);
    size_t m = labruntimes_attempts(rt, &b);
    if (m) {
        a = xrealloc(a, (n + m) * sizeof *a);
        memcpy(a + n, b, m * sizeof *b);
        n += m;
        qsort(a, n, sizeof *a, lab_by_end);
    }
    free(b);
    *out = a;
    return n;
}

/* Every present client has at least one write after since_ms. */
static bool lab_all_wrote(labclients *l, labruntimes *rt, unsigned present, int64_t since_ms)
{
    lab_attempt *a;
    size_t n = lab_log(l, rt, &a);
    unsigned wrote = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i].outcome == LAB_OK && a[i].end_ms >= since_ms && a[i].client < LAB_NCLIENTS)
            wrote |= 1u << a[i].client;
    free(a);
    return (wrote & present) == present;
}

static bool lab_write_file(const char *path, const char *text)
{
    if (fs_write_atomic(path, text, strlen(text), 0644))
        return true;
    fprintf(stderr, "\nCannot write %s\n", path);
    return false;
}

static void lab_last_error(labclients *l, labruntimes *rt, lab_client_kind k, char *buf,
                           size_t size)
{
    if (k >= LAB_NMODELS)
        labruntimes_last_error(rt, k, buf, size);
    else
        labclients_last_error(l, k, buf, size);
}

/* The rdsim checkout this rdsctl was built in (bin/rdsctl's parent), and
 * the variant's build directory (bin/.variant) holding lab-java/. */
static bool lab_root(char *root, size_t cap, char **java_dir)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *dir = dirname(dirname(exe)); /* .../bin/rdsctl -> ... */
    if (strlen(dir) >= cap)
        return false;
    memcpy(root, dir, strlen(dir) + 1);
    char *stamp = xasprintf("%s/bin/.variant", root);
    char variant[64];
    if (!lab_file_line(stamp, 1, variant, sizeof variant) || strchr(variant, '/'))
        snprintf(variant, sizeof variant, "default");
    free(stamp);
    *java_dir = xasprintf("%s/build/%s/lab-java", root, variant);
    return true;
}

/* The real-runtime lanes (labruntimes.h) in namespace mode: adds those
 * that started to *present. NULL (with a note) in loopback mode or when
 * none could start; the models run either way. */
static labruntimes *lab_start_runtimes(lab_ctx *c, int min_ttl, int64_t run, unsigned *present)
{
    char *env_path = xasprintf("%s/region.env", c->rds_home);
    size_t len;
    char *text = fs_read_all(env_path, LAB_PIDFILE_MAX, &len);
    free(env_path);
    char ns[80], gw[LABCLIENTS_ADDR_MAX], root[PATH_MAX];
    bool netns = labruntimes_region_env(text, ns, sizeof ns, gw, sizeof gw);
    free(text);
    if (!netns) {
        lab_say("note: the real-runtime lanes (JVM, HikariCP, psycopg2, glibc) need namespace "
                "mode (RDSIM_NET=netns scripts/region.sh up): the models run alone");
        return NULL;
    }
    char *java_dir = NULL;
    if (!lab_root(root, sizeof root, &java_dir)) {
        lab_say("note: cannot find rdsim's checkout from /proc/self/exe: no real runtimes");
        return NULL;
    }
    char *work = xasprintf("%s/lab-rt", c->rds_home);
    mkdir(work, 0755);
    labruntimes_config rc = {.netns = ns, .root = root, .java_dir = java_dir, .work_dir = work,
                             .endpoint = c->endpoint, .pg_port = c->port, .user = c->user,
                             .password = c->password, .dbname = "postgres", .gateway = gw,
                             .min_ttl = min_ttl, .run = run};
    unsigned want = labruntimes_available(&rc, LABRUNTIMES_ALL), started = 0;
    labruntimes *rt = want ? labruntimes_start(&rc, want, &started) : NULL;
    *present |= started;
    if (rt)
        lab_say("real runtimes on the clients' host %s (DNS %s:53), stderr in %s", ns, gw, work);
    free(work);
    free(java_dir);
    return rt;
}

/* ---- the command ---- */

#define F_LSTR(f, req, h) {f, NULL, ARG_STRING, NULL, NULL, req, h}
#define F_LINT(f, h) {f, NULL, ARG_INT, NULL, NULL, false, h}

const arg_spec lab_flags[] = {
    F_LSTR("db-instance-identifier", true, "The Multi-AZ instance the clients write to"),
    F_LSTR("master-user-password", true, "Its master password (the clients log in with it)"),
    F_LSTR("master-username", false, "Its master user (default: from DescribeDBInstances)"),
    F_LINT("duration", "Seconds the clients run at most, from their start (default 60)"),
    {"no-failover", NULL, ARG_FLAG, NULL, NULL, false,
     "Do not force a failover: wait for one you cause (up to --duration)"},
    F_LSTR("json", false, "Write one row per client and the failover's times to this file"),
    F_LSTR("svg", false, "Write the timeline (one lane per client) to this SVG file"),
    F_LINT("resolver-min-ttl", "Add a client behind a caching resolver that raises TTLs to "
                               "this minimum (e.g. 300)"),
    F_LSTR("dns-port", false, "The region's DNS port (default $RDS_DNS_PORT, else region.env)"),
    {"no-runtimes", NULL, ARG_FLAG, NULL, NULL, false,
     "Namespace mode: leave out the real-runtime lanes (JVM, HikariCP, psycopg2, glibc)"},
    {NULL, NULL, 0, NULL, NULL, false, NULL},
};

static int lab_usage(const char *message)
{
    fprintf(stderr,
            "usage: rdsctl lab dns-caching --db-instance-identifier X --master-user-password PW "
            "[...]\nTo see help text, you can run:\n\n  rdsctl lab help\n\n"
            "rdsctl: error: %s\n", message);
    return CLI_EXIT_USAGE;
}

/* One progress line: who has recovered so far. */
static void lab_progress(labclients *l, labruntimes *rt, unsigned present, const lab_timeline *t,
                         int64_t now)
{
    lab_attempt *a;
    size_t n = lab_log(l, rt, &a);
    sbuf line = {0};
    sbuf_printf(&line, "  %+5.1f s:", (double)(now - labreport_failover_ms(t)) / 1000.0);
    for (int k = 0; k < LAB_NCLIENTS; k++) {
        if (!(present & (1u << k)))
            continue;
        lab_summary s;
        labreport_summarise(a, n, (lab_client_kind)k, t, &s);
        sbuf_printf(&line, " %s=%s", labreport_client_name((lab_client_kind)k),
                    s.recovered_ms ? "back" : "out");
    }
    lab_say("%s", line.data);
    sbuf_free(&line);
    free(a);
}

int lab_run(const cli_ctx *ctx, const command *cmd, int argc, char **argv)
{
    (void)cmd;
    if (argc >= 1 && strcmp(argv[0], "reader-endpoint") == 0)
        return labreaders_run(ctx, argc, argv);
    if (argc >= 1 && strcmp(argv[0], "runtime-glibc") == 0) /* a lane, labruntimes.h */
        return labruntimes_glibc_main(argc - 1, argv + 1);
    if (argc < 1 || strcmp(argv[0], "dns-caching") != 0)
        return lab_usage(argc < 1 ? "the following arguments are required: lab name "
                                    "(dns-caching, reader-endpoint)"
                                  : "argument lab: Invalid choice, valid choices are: "
                                    "dns-caching, reader-endpoint");
    query params = {0}, opts = {0};
    sbuf err = {0};
    lab_ctx c = {.api = {.endpoint = ctx->endpoint, .debug = ctx->debug, .timeout_s = 10}};
    labclients *l = NULL;
    labruntimes *rt = NULL;
    lab_attempt *log = NULL;
    size_t nlog = 0;
    bool ran = false;
    int rc = CLI_EXIT_USAGE;
    int64_t duration_s, min_ttl;
    if (args_parse(lab_flags, argc - 1, argv + 1, &params, &opts, &err) != ARGS_OK ||
        !args_opt_int(&opts, "duration", 5, LAB_MAX_DURATION_S, LAB_DEFAULT_DURATION_S,
                     &duration_s, &err) ||
        !args_opt_int(&opts, "resolver-min-ttl", 1, 86400, 0, &min_ttl, &err)) {
        rc = lab_usage(err.data ? err.data : "bad arguments");
        goto done;
    }
    c.id = query_get(&opts, "db-instance-identifier");
    c.password = query_get(&opts, "master-user-password");
    bool forced = !query_get(&opts, "no-failover");
    const char *home = getenv("RDS_HOME");
    char real[PATH_MAX];
    c.rds_home = xstrdup(realpath(home && *home ? home : "./run", real) ? real
                         : (home && *home ? home : "./run"));
    c.bundle = pgtls_bundle(c.rds_home);
    if (!dnslookup_resolve_port(query_get(&opts, "dns-port"), getenv("RDS_DNS_PORT"), c.rds_home,
                                &c.dns_port, &err)) {
        rc = lab_usage(err.data);
        goto done;
    }

    rc = CLI_EXIT_FAILURE;
    struct sigaction sa = {.sa_handler = lab_on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    lab_instance in;
    if (!lab_describe(&c, &in))
        goto restore;
    if (!in.multi_az) {
        fprintf(stderr, "\n%s is not a Multi-AZ instance: there is no failover to watch\n", c.id);
        goto restore;
    }
    if (strcmp(in.status, "available") != 0) {
        fprintf(stderr, "\n%s is %s, not available\n", c.id, in.status);
        goto restore;
    }
    c.user = xstrdup(query_get(&opts, "master-username") ? query_get(&opts, "master-username")
                                                         : in.user);
    c.clock_offset_ms = lab_clock_offset(&c);
    lab_timeline t = {.min_ttl = (int)min_ttl};
    uint32_t ttl = 0;
    if (!lab_resolve(&c, c.primary, sizeof c.primary, &ttl)) {
        fprintf(stderr, "\n%s does not resolve through the DNS server at 127.0.0.1:%d\n",
                c.endpoint, c.dns_port);
        goto restore;
    }
    t.dns_ttl = (int)ttl;
    struct in_addr ia;
    inet_pton(AF_INET, c.primary, &ia);
    t.old_addr = ia.s_addr;
    unsigned present = (1u << LAB_TTL) | (1u << LAB_CACHE30) | (1u << LAB_FOREVER) |
                       (1u << LAB_POOL) | (1u << LAB_STICKY);
    if (lab_find_standby(&c))
        present |= 1u << LAB_MULTIHOST;
    else
        lab_say("note: no standby node under %s/agents: the multi-host client is left out",
                c.rds_home);
    if (min_ttl)
        present |= 1u << LAB_MINTTL;
    int negative_ttl = lab_probe_negative(&c);
    if (!lab_create_table(&c))
        goto restore;

    labclients_config lc = {.endpoint = c.endpoint, .dns_server = "127.0.0.1",
                            .dns_port = c.dns_port, .pg_port = c.port, .user = c.user,
                            .password = c.password, .dbname = "postgres",
                            .sslrootcert = c.bundle, .present = present,
                            .nodes = {c.primary, c.standby}, .min_ttl = (int)min_ttl,
                            .run = wall_ms()};
    l = labclients_start(&lc);
    if (!l)
        goto restore;
    if (!query_get(&opts, "no-runtimes"))
        rt = lab_start_runtimes(&c, (int)min_ttl, lc.run, &present);
    t.start_ms = wall_ms();
    int64_t start_mono = mono_ms();
    int64_t end_mono = start_mono + duration_s * 1000;
    lab_say("lab dns-caching: %s (%s, TTL %d s, negative TTL %d s), primary %s, standby %s",
            c.id, c.endpoint, t.dns_ttl, negative_ttl, c.primary,
            c.standby[0] ? c.standby : "?");

    /* Warm-up: every client writes, the lanes show some green, and the
     * endpoint's TTL runs out — at the failover the TTL-honouring caches
     * are stale, as in an application that has been up for a while: the
     * first failure makes them look the name up again. */
    int64_t warmup = (int64_t)t.dns_ttl * 1000 + LAB_WARMUP_TTL_MARGIN_MS;
    if (warmup < LAB_WARMUP_MS)
        warmup = LAB_WARMUP_MS;
    if (warmup > LAB_WARMUP_MAX_MS)
        warmup = LAB_WARMUP_MAX_MS;
    if (warmup > duration_s * 1000 / 2)
        warmup = duration_s * 1000 / 2 > LAB_WARMUP_MS ? duration_s * 1000 / 2 : LAB_WARMUP_MS;
    while (!lab_interrupted && mono_ms() < end_mono &&
           !(mono_ms() - start_mono >= warmup && lab_all_wrote(l, rt, present, 0))) {
        if (mono_ms() - start_mono > LAB_FIRST_WRITE_TIMEOUT_MS)
            break;
        lab_sleep_ms(LAB_POLL_MS);
    }
    if (!lab_all_wrote(l, rt, present, 0) || lab_interrupted) {
        for (int k = 0; k < LAB_NCLIENTS; k++) {
            char e[LABCLIENTS_ERROR_MAX];
            lab_last_error(l, rt, (lab_client_kind)k, e, sizeof e);
            if ((present & (1u << k)) && e[0])
                fprintf(stderr, "  %s: %s\n", labreport_client_name((lab_client_kind)k), e);
        }
        fprintf(stderr, "\nNot every client could write before the failover\n");
        goto stop;
    }

    ran = true;
    int64_t since = wall_ms() - 1000; /* events are dated by the controlplane's clock */
    if (forced) {
        lab_say("forcing a failover (RebootDBInstance ForceFailover=true)");
        if (!lab_force_failover(&c))
            goto stop;
        t.reboot_ms = wall_ms();
    } else {
        lab_say("waiting for a failover (up to %lld s from the start)", (long long)duration_s);
    }
    int64_t ev[EV_N] = {0};
    int64_t next_events = 0, next_progress = mono_ms() + 2000, tail_end = 0;
    while (!lab_interrupted) {
        int64_t now = mono_ms();
        if (now >= next_events) {
            lab_events(&c, since, ev);
            next_events = now + LAB_EVENTS_EVERY_MS;
        }
        t.started_ms = ev[EV_0013];
        t.completed_ms = ev[EV_0049];
        t.standby_back_ms = ev[EV_0053];
        if (!t.dns_flip_ms)
            labclients_dns_flip(l, t.old_addr, &t.dns_flip_ms, &t.new_addr);
        free(log);
        nlog = lab_log(l, rt, &log);
        if (!tail_end && labreport_all_recovered(log, nlog, present, &t)) {
            lab_say("every client has written on the new primary");
            tail_end = now + LAB_TAIL_MS;
        }
        if ((tail_end && now >= tail_end) || now >= end_mono)
            break;
        if (labreport_failover_ms(&t) && now >= next_progress) {
            lab_progress(l, rt, present, &t, wall_ms());
            next_progress = now + 5000;
        }
        lab_sleep_ms(LAB_POLL_MS);
    }
    /* The last events, so a 0053 that came at the very end is shown. */
    lab_events(&c, since, ev);
    t.started_ms = ev[EV_0013];
    t.completed_ms = ev[EV_0049];
    t.standby_back_ms = ev[EV_0053];

stop:
    labclients_stop(l);
    labruntimes_stop(rt);
    t.end_ms = wall_ms();
    if (!t.dns_flip_ms)
        labclients_dns_flip(l, t.old_addr, &t.dns_flip_ms, &t.new_addr);
    free(log);
    nlog = lab_log(l, rt, &log);
    if (labruntimes_garbage(rt))
        lab_say("note: %llu lines from the real runtimes were not attempts (ignored)",
                (unsigned long long)labruntimes_garbage(rt));
    if (!ran || (forced && !t.reboot_ms)) {
        rc = CLI_EXIT_FAILURE; /* the run did not get to the failover */
        goto restore;
    }
    sbuf out = {0};
    sbuf_printf(&out, "\nDNS-caching lab on %s (%s)\n\n", c.id, c.endpoint);
    labreport_table(log, nlog, present, &t, &out);
    fputs(out.data, stdout);
    fflush(stdout);
    sbuf_free(&out);
    for (int k = 0; k < LAB_NCLIENTS; k++) {
        char e[LABCLIENTS_ERROR_MAX];
        lab_last_error(l, rt, (lab_client_kind)k, e, sizeof e);
        if ((present & (1u << k)) && e[0])
            lab_say("%s: last error: %s", labreport_client_name((lab_client_kind)k), e);
    }

    bool files_ok = true;
    const char *json_path = query_get(&opts, "json");
    if (json_path) {
        cJSON *root = labreport_json(c.id, c.endpoint, log, nlog, present, &t, negative_ttl);
        char *text = cJSON_Print(root);
        char *line = xasprintf("%s\n", text);
        files_ok = lab_write_file(json_path, line) && files_ok;
        free(line);
        free(text);
        cJSON_Delete(root);
    }
    const char *svg_path = query_get(&opts, "svg");
    if (svg_path) {
        sbuf svg = {0};
        labreport_svg(c.id, log, nlog, present, &t, &svg);
        files_ok = lab_write_file(svg_path, svg.data) && files_ok;
        sbuf_free(&svg);
    }
    if (!files_ok)
        rc = CLI_EXIT_FAILURE;
    else if (!labreport_failover_ms(&t))
        rc = LAB_EXIT_NO_FAILOVER;
    else
        rc = CLI_EXIT_OK;

restore:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
done:
    labclients_free(l);
    labruntimes_free(rt);
    free(log);
    free(c.user);
    free(c.rds_home);
    free(c.bundle);
    query_free(&params);
    query_free(&opts);
    sbuf_free(&err);
    return rc;
}
