/* rds-controlplane: the region's API, store, workflows and DNS server, on
 * one libevent loop. main builds the context, the listeners and the
 * periodic work, dispatches, and frees in reverse. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/obs/cwcollect.h"
#include "controlplane/core/agents.h"
#include "controlplane/domain/autobackup.h"
#include "controlplane/domain/kmswatch.h"
#include "controlplane/domain/recovery.h"
#include "controlplane/domain/replica.h"
#include "controlplane/api/api.h"
#include "controlplane/notify/sns.h"
#include "controlplane/notify/delivery.h"
#include "controlplane/net/dnssync.h"
#include "controlplane/net/ec2.h"
#include "controlplane/obs/emexport.h"
#include "controlplane/obs/logexport.h"
#include "controlplane/domain/clusterwf.h"
#include "controlplane/domain/ha.h"
#include "controlplane/domain/instwf.h"
#include "controlplane/domain/wfkinds.h"
#include "controlplane/core/health.h"
#include "controlplane/obs/pisampler.h"
#include "controlplane/core/instsecret.h"
#include "controlplane/core/kms.h"
#include "controlplane/core/kmsseal.h"
#include "controlplane/core/secrets.h"
#include "controlplane/domain/mastersecret.h"
#include "controlplane/domain/maint.h"
#include "controlplane/domain/paramgroup.h"
#include "controlplane/core/region.h"
#include "controlplane/core/tlsca.h"
#include "controlplane/domain/snapshot.h"
#include "controlplane/notify/snsmsg.h"
#include "controlplane/domain/storage.h"
#include "controlplane/domain/stopstart.h"
#include "controlplane/obs/cwalarm.h"
#include "lib/cidr.h"
#include "controlplane/core/principal.h"
#include "controlplane/core/store.h"
#include "controlplane/domain/telemetry.h"
#include "controlplane/view/nodespec.h"
#include "controlplane/wf/workflow.h"
#include "dns/server.h"
#include "dns/zone.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/util.h"

#define CRON_MS 100
#define CRON_STATS_MS 10000
#define CRON_SLOW_MS 1000 /* cron_pass's once-a-second work */
#define DNS_NEG_TTL 5

typedef struct {
    const char *home;
    const char *api_addr;
    int api_port;
    const char *dns_addr;
    int dns_port;
    int gateway_dns_port; /* with --agent-addr: 53 unless given */
    const char *azs;
    const char *port_file;
    const char *agent_keys; /* NULL: DIR/agent-keys */
    const char *aws_dir; /* the AWS files for the administrator and the agents */
    const char *certs_dir; /* where global-bundle.pem goes (core/tlsca.h) */
    char *azbuf; /* owned: the AZ names in cfg point into it */
    int64_t log_max_mib;
} cp_opts;

/* What main builds beyond the region context, for cp_close. */
typedef struct {
    char *dbpath;
    api *a;
    api *agent_api; /* --agent-addr's listener, or NULL */
    dns_server *dns;
    dns_server *gateway_dns; /* --agent-addr's DNS on port 53, or NULL */
    pisampler *pi; /* Performance Insights' one-second sampler */
    struct event *sigint, *sigterm, *sigchld;
} cp_wiring;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rds-controlplane --home DIR [options]\n"
            "  --home DIR            state directory (store: DIR/controlplane.db)\n"
            "  --api-addr ADDR       API listen address (127.0.0.1)\n"
            "  --api-port N          API port (0: ephemeral; default 8780)\n"
            "  --dns-addr ADDR       DNS listen address (127.0.0.1)\n"
            "  --dns-port N          DNS port, UDP and TCP (0: ephemeral; default 8753)\n"
            "  --region NAME         region name (us-east-1)\n"
            "  --azs A,B,C           availability zones (<region>a,<region>b,<region>c)\n"
            "  --dns-suffix S        zone suffix (rds.internal)\n"
            "  --dns-ttl SECONDS     default endpoint TTL (5)\n"
            "  --node-ttl SECONDS    node A record TTL (60)\n"
            "  --create-timeout S    seconds before a create fails (300)\n"
            "  --agent-timeout-ms N  an agent silent this long is lost (2000)\n"
            "  --agent-keys DIR      agents' key files, <agent_id>.key (DIR/agent-keys)\n"
            "  --probe-interval-ms N health probe of each node every N ms (200)\n"
            "  --probe-timeout-ms N  a probe slower than this fails (500)\n"
            "  --detect-ms N         a node failing this long (3+ probes) is lost (1000)\n"
            "  --standby-replace-ms N  replace a standby whose host is gone this long (15000)\n"
            "  --standby-stream-timeout-ms N\n"
            "                          rebuild a running standby that has not streamed this\n"
            "                          long, with a fresh base backup (10000)\n"
            "  --delivery-retry-ms N  first retry of a failed SNS delivery after N ms, doubling\n"
            "                          up to 30 N; dead after 8 attempts (1000)\n"
            "  --sns-dns-servers CSV  name servers for SNS http(s) endpoints' host names,\n"
            "                          c-ares style \"127.0.0.1:5353,[::1]:53\" (resolv.conf)\n"
            "  --sns-allow-own-endpoints  let SNS http(s) endpoints be this region's API or\n"
            "                          DNS port (refused by default: SSRF)\n"
            "  --sns-max-topics N    SNS topics per account (AWS's quota: 100000)\n"
            "  --sns-max-subscriptions-per-topic N  (AWS's quota: 12500000)\n"
            "  --storage-unit-mib N  one AllocatedStorage unit is N MiB, not 1 GiB (tests)\n"
            "  --vpc-cidr CIDR       the VPC: where nodes' addresses are (127.0.0.0/8)\n"
            "  --region-cidr CIDR    the region's own addresses, outside every subnet\n"
            "                        (127.0.0.0/24)\n"
            "  --agent-addr ADDR     also serve the API on ADDR (same port) and tell agents\n"
            "                        to reach it (and KMS) there: namespace mode's gateway\n"
            "  --gateway-dns-port N  with --agent-addr, also answer DNS on ADDR:N, for\n"
            "                        clients in namespaces whose resolv.conf names ADDR\n"
            "                        (53; 0: not)\n"
            "  --aws-dir DIR         where the access keys go: DIR/credentials, DIR/config\n"
            "                        (profile rdsim) and DIR/agent.env (default HOME/aws)\n"
            "  --certs-dir DIR       where the CA bundle goes: DIR/global-bundle.pem\n"
            "                        (default HOME/certs); CA keys stay in HOME/ca\n"
            "  --port-file FILE      write 'RDS_API_PORT=N\\nRDS_DNS_PORT=M' once listening\n"
            "  --log-level LEVEL     debug|info|warn|error (info)\n"
            "  --log-max-mib N       when stderr is a file, rotate it to FILE.1 at N MiB (64;\n"
            "                        0: never)\n");
}

static bool parse_int_opt(const char *name, const char *v, int64_t min, int64_t max,
                          int64_t *out)
{
    if (str_to_int64(v, min, max, out))
        return true;
    fprintf(stderr, "rds-controlplane: %s must be a whole number from %lld to %lld\n", name,
            (long long)min, (long long)max);
    return false;
}

/* Splits the comma-separated AZ list into cfg (borrowing from buf). */
static bool parse_azs(char *buf, region_config *cfg)
{
    cfg->naz = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (cfg->naz == REGION_MAX_AZS || !*t)
            return false;
        cfg->azs[cfg->naz++] = t;
    }
    return cfg->naz > 0;
}

/* The installed PostgreSQL version, e.g. "15.18", from pg_config. */
static char *detect_pg_version(void)
{
    FILE *f = popen("pg_config --version 2>/dev/null", "r");
    char line[256] = "";
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        pclose(f);
    }
    char ver[64] = "";
    if (sscanf(line, "PostgreSQL %63[0-9.]", ver) != 1) {
        LOG_WARN("cannot read pg_config --version; assuming 15");
        return xstrdup("15");
    }
    return xstrdup(ver);
}

/* Logs (debug) how many passes ran over the last CRON_STATS_MS, and by
 * whom: the timer (and kicks) or a heartbeat; then starts a new count. */
static void cron_stats(region *r)
{
    int64_t now = mono_ms();
    if (r->pass_stats.since_ms == 0)
        r->pass_stats.since_ms = now;
    if (now - r->pass_stats.since_ms < CRON_STATS_MS)
        return;
    LOG_DEBUG("cron passes ms=%lld timer=%lld heartbeat=%lld",
              (long long)(now - r->pass_stats.since_ms), (long long)r->pass_stats.timer,
              (long long)r->pass_stats.heartbeat);
    r->pass_stats.since_ms = now;
    r->pass_stats.timer = r->pass_stats.heartbeat = 0;
}

/* Periodic work, one pass: probes, workflows, then the Multi-AZ monitor
 * (which may start failovers the next pass runs). Run by the cron event,
 * also made active by an API call, a telemetry post or an awaited probe,
 * and at once by a heartbeat before its reply (region.h's pass_hook). */
static void cron_pass(region *r)
{
    cron_stats(r);
    /* Work whose deadlines are whole seconds or more runs once a second,
     * not at every one of the ~30 passes a second (issue 18): a
     * maintenance window (maint_tick remembers up to when it looked, so
     * none is missed), the 7-day restart of a stopped instance, alarms
     * (evaluated at whole seconds), a lost primary's recovery, the
     * CloudWatch Logs and Enhanced Monitoring exports. rdsim's own
     * cadence: AWS states none finer for any of them. */
    bool slow = every_due(&r->slow_pass_ms, mono_ms(), CRON_SLOW_MS) || r->slow_pass_now;
    r->slow_pass_now = false;
    health_tick(r->health);
    if (slow) {
        stopstart_tick(r);
        maint_tick(r);
    }
    kmswatch_tick(r);
    if (slow)
        cwalarm_tick(r); /* before delivery_tick: its actions go out this pass */
    workflow_run_all(r);
    if (ha_tick(r, r->health)) {
        dnssync_apply(r);
        workflow_run_all(r);
    }
    if (clusterwf_tick(r, r->health)) {
        dnssync_apply(r);
        workflow_run_all(r);
    }
    if (slow && recovery_tick(r))
        workflow_run_all(r);
    instwf_sweep(r);
    replica_tick(r);
    delivery_tick(r->delivery);
    snapshot_tick(r);
    autobackup_tick(r);
    if (slow) {
        logexport_tick(r);
        emexport_tick(r);
    }
    cwcollect_tick(r);
}

/* A child ended (a snapshot, an automated backup, a delivery): run the
 * cron's pass now, whose ticks reap it and record its end, rather than at
 * the next period. The reapers wait for their own pids only, so this
 * takes nobody's status. */
static void on_child(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    region *r = arg;
    event_active(r->cron, EV_TIMEOUT, 1);
}

static void on_cron(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    region *r = arg;
    r->pass_stats.timer++;
    cron_pass(r);
}

/* region.h's pass_hook: a heartbeat's pass, before its reply. */
static void heartbeat_pass(region *r)
{
    r->pass_stats.heartbeat++;
    cron_pass(r);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    region *r = arg;
    LOG_INFO("signal received sig=%d: stopping", (int)sig);
    event_base_loopexit(r->base, NULL);
}

/* Loads the region's durable identity (hash, clock offset, DNS serial),
 * creating it on first start. */
static bool load_region_meta(region *r, uint32_t *serial)
{
    r->hash = store_meta_get(r->st, "region_hash");
    if (!r->hash) {
        r->hash = region_random_label(12);
        if (!store_meta_set(r->st, "region_hash", r->hash))
            return false;
    }
    char *off = store_meta_get(r->st, "clock_offset_ms");
    if (off)
        str_to_int64(off, INT64_MIN, INT64_MAX, &r->clock_offset_ms);
    free(off);
    char *ser = store_meta_get(r->st, "dns_serial");
    int64_t s = 1;
    if (ser)
        str_to_int64(ser, 0, UINT32_MAX, &s);
    free(ser);
    /* Start one past the stored serial: changes made but not yet persisted
     * before a crash must not reuse a serial. */
    *serial = (uint32_t)(s + 1);
    return true;
}

/* rds-controlplane's flags (usage() says what each means). */
static const struct option cp_longopts[] = {
    {"home", required_argument, 0, 'h'},       {"api-addr", required_argument, 0, 'a'},
    {"api-port", required_argument, 0, 'p'},   {"dns-addr", required_argument, 0, 'd'},
    {"dns-port", required_argument, 0, 'D'},   {"region", required_argument, 0, 'r'},
    {"azs", required_argument, 0, 'z'},        {"dns-suffix", required_argument, 0, 's'},
    {"dns-ttl", required_argument, 0, 't'},    {"node-ttl", required_argument, 0, 'n'},
    {"create-timeout", required_argument, 0, 'c'},
    {"agent-timeout-ms", required_argument, 0, 'A'},
    {"agent-keys", required_argument, 0, 'K'},
    {"probe-interval-ms", required_argument, 0, 'I'},
    {"delivery-retry-ms", required_argument, 0, 'Y'},
    {"sns-dns-servers", required_argument, 0, 'N'},
    {"sns-max-topics", required_argument, 0, 'O'},
    {"sns-allow-own-endpoints", no_argument, 0, 'o'},
    {"sns-max-subscriptions-per-topic", required_argument, 0, 'P'},
    {"probe-timeout-ms", required_argument, 0, 'T'},
    {"detect-ms", required_argument, 0, 'E'},
    {"standby-replace-ms", required_argument, 0, 'R'},
    {"standby-stream-timeout-ms", required_argument, 0, 'W'},
    {"storage-unit-mib", required_argument, 0, 'U'},
    {"port-file", required_argument, 0, 'f'},  {"log-level", required_argument, 0, 'l'},
    {"log-max-mib", required_argument, 0, 'L'},
    {"aws-dir", required_argument, 0, 'G'},
    {"certs-dir", required_argument, 0, 'C'},
    {"vpc-cidr", required_argument, 0, 'V'},
    {"region-cidr", required_argument, 0, 'Q'},
    {"agent-addr", required_argument, 0, 'B'},
    {"gateway-dns-port", required_argument, 0, 'g'},
    {"help", no_argument, 0, '?'},             {0, 0, 0, 0},
};

/* The flags over the defaults in *o and *cfg, then the AZ list. -1 to go
 * on, else the exit code (2: a bad flag, usage printed). */
static int parse_flags(int argc, char **argv, cp_opts *o, region_config *cfg)
{
    int64_t v;
    int c;
    while ((c = getopt_long(argc, argv, "", cp_longopts, NULL)) != -1) {
        switch (c) {
        case 'h': o->home = optarg; break;
        case 'K': o->agent_keys = optarg; break;
        case 'a': o->api_addr = optarg; break;
        case 'G': o->aws_dir = optarg; break;
        case 'C': o->certs_dir = optarg; break;
        case 'V': cfg->vpc_cidr = optarg; break;
        case 'Q': cfg->region_cidr = optarg; break;
        case 'B': cfg->agent_addr = optarg; break;
        case 'd': o->dns_addr = optarg; break;
        case 'r': cfg->name = optarg; break;
        case 'z': o->azs = optarg; break;
        case 's': cfg->dns_suffix = optarg; break;
        case 'f': o->port_file = optarg; break;
        case 'N': cfg->sns_dns_servers = optarg; break;
        case 'o': cfg->sns_allow_own_endpoints = true; break;
        case 'O':
            if (!parse_int_opt("--sns-max-topics", optarg, 1, 100000, &cfg->sns_max_topics))
                return 2;
            break;
        case 'P':
            if (!parse_int_opt("--sns-max-subscriptions-per-topic", optarg, 1, 12500000,
                               &cfg->sns_max_subs_per_topic))
                return 2;
            break;
        case 'p':
            if (!parse_int_opt("--api-port", optarg, 0, 65535, &v)) return 2;
            o->api_port = (int)v;
            break;
        case 'D':
            if (!parse_int_opt("--dns-port", optarg, 0, 65535, &v)) return 2;
            o->dns_port = (int)v;
            break;
        case 'g':
            if (!parse_int_opt("--gateway-dns-port", optarg, 0, 65535, &v)) return 2;
            o->gateway_dns_port = (int)v;
            break;
        case 't':
            if (!parse_int_opt("--dns-ttl", optarg, 0, 86400, &cfg->dns_ttl_s)) return 2;
            break;
        case 'n':
            if (!parse_int_opt("--node-ttl", optarg, 0, 86400, &cfg->node_ttl_s)) return 2;
            break;
        case 'c':
            if (!parse_int_opt("--create-timeout", optarg, 1, 86400, &v)) return 2;
            cfg->create_timeout_ms = v * 1000;
            break;
        case 'A':
            if (!parse_int_opt("--agent-timeout-ms", optarg, 100, 3600000, &cfg->agent_timeout_ms))
                return 2;
            break;
        case 'Y':
            if (!parse_int_opt("--delivery-retry-ms", optarg, 1, 3600000,
                               &cfg->delivery_retry_ms))
                return 2;
            break;
        case 'I':
            if (!parse_int_opt("--probe-interval-ms", optarg, 10, 60000, &cfg->probe_interval_ms))
                return 2;
            break;
        case 'T':
            if (!parse_int_opt("--probe-timeout-ms", optarg, 10, 60000, &cfg->probe_timeout_ms))
                return 2;
            break;
        case 'E':
            if (!parse_int_opt("--detect-ms", optarg, 0, 600000, &cfg->detect_ms))
                return 2;
            break;
        case 'R':
            if (!parse_int_opt("--standby-replace-ms", optarg, 0, 3600000,
                               &cfg->standby_replace_ms))
                return 2;
            break;
        case 'W':
            if (!parse_int_opt("--standby-stream-timeout-ms", optarg, 1000, 3600000,
                               &cfg->standby_stream_ms))
                return 2;
            break;
        case 'U':
            if (!parse_int_opt("--storage-unit-mib", optarg, 1, 1024, &v))
                return 2;
            cfg->storage_unit_bytes = v << 20;
            break;
        case 'L':
            if (!parse_int_opt("--log-max-mib", optarg, 0, 1 << 20, &v))
                return 2;
            o->log_max_mib = v;
            break;
        case 'l': {
            log_level lvl;
            if (!log_parse_level(optarg, &lvl)) {
                fprintf(stderr, "rds-controlplane: unknown log level %s\n", optarg);
                return 2;
            }
            log_set_level(lvl);
            break;
        }
        default: usage(c == '?' && optopt == 0 ? stdout : stderr); return c == '?' ? 2 : 2;
        }
    }
    if (!o->home || optind != argc) {
        usage(stderr);
        return 2;
    }
    o->azbuf = o->azs ? xstrdup(o->azs)
                      : xasprintf("%sa,%sb,%sc", cfg->name, cfg->name, cfg->name);
    if (!parse_azs(o->azbuf, cfg)) {
        fprintf(stderr, "rds-controlplane: --azs must list 1 to %d names\n", REGION_MAX_AZS);
        return 2;
    }
    cidr vpc, own;
    uint32_t gw;
    if (!cidr_parse(cfg->vpc_cidr, &vpc) || !cidr_parse(cfg->region_cidr, &own) ||
        vpc.prefix > 16 || !cidr_covers(&vpc, &own) ||
        (cfg->agent_addr && (!cidr_parse_addr(cfg->agent_addr, &gw) || !cidr_contains(&own, gw)))) {
        fprintf(stderr, "rds-controlplane: --vpc-cidr must be a /16 or larger block holding "
                        "--region-cidr, and --agent-addr an address inside --region-cidr\n");
        return 2;
    }
    return -1;
}

/* The administrator's and the agents' access keys (made on first start),
 * written where their users read them: the standard AWS files (profile
 * rdsim, with the endpoint) and the agents' env file, all 0600 in a 0700
 * directory. The administrator's key also goes into this process's
 * environment, which its rds-backup children (archiver, snapshots, base
 * backups) inherit for their KMS calls: never argv. */
static bool credentials_publish(region *r, const cp_opts *o)
{
    principal admin, agent;
    char secret[PRINCIPAL_SECRET_LEN + 1], agent_secret[PRINCIPAL_SECRET_LEN + 1];
    if (!principals_ensure(r->principals, PRINCIPAL_ADMIN_NAME, PRINCIPAL_ADMIN, &admin,
                           secret) ||
        !principals_ensure(r->principals, PRINCIPAL_AGENT_NAME, PRINCIPAL_AGENT, &agent,
                           agent_secret))
        return false;
    char *dir = o->aws_dir ? xstrdup(o->aws_dir) : xasprintf("%s/aws", o->home);
    char *env_path = xasprintf("%s/agent.env", dir);
    bool any = strcmp(o->api_addr, "0.0.0.0") == 0;
    char *endpoint = xasprintf("http://%s:%d", any ? "127.0.0.1" : o->api_addr, r->api_port);
    bool ok = principal_write_aws_files(dir, "rdsim", r->cfg.name, endpoint, &admin, secret) &&
              principal_write_env_file(env_path, r->cfg.name, &agent, agent_secret);
    ok = ok && setenv("AWS_ACCESS_KEY_ID", admin.access_key_id, 1) == 0 &&
         setenv("AWS_SECRET_ACCESS_KEY", secret, 1) == 0 &&
         setenv("AWS_REGION", r->cfg.name, 1) == 0;
    unsetenv("AWS_SESSION_TOKEN");
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(agent_secret, sizeof agent_secret);
    if (ok)
        LOG_INFO("credentials written dir=%s admin_key=%s agent_key=%s", dir,
                 admin.access_key_id, agent.access_key_id);
    free(dir);
    free(env_path);
    free(endpoint);
    return ok;
}

/* Builds the context, the listeners and the periodic work, each after
 * what it needs: the store, the region's identity, KMS and the modules'
 * tables, the zone, the registries, the DNS and API listeners, the cron,
 * the signals, the port file. false (logged) at the first failure;
 * cp_close frees whatever was built. */
static bool cp_open(region *r, const cp_opts *o, cp_wiring *w)
{
    w->dbpath = xasprintf("%s/controlplane.db", o->home);
    if (!fs_mkdir_p(o->home, 0700))
        return false;
    r->base = event_base_new();
    r->st = store_open(w->dbpath);
    if (!r->base || !r->st)
        return false;
    uint32_t serial;
    if (!load_region_meta(r, &serial) || !storage_unit_resolve(r))
        return false;
    char *master = xasprintf("%s/kms-master.key", o->home);
    kms_config kc = {.region = r->cfg.name, .account = r->cfg.account,
                     .master_key_path = master, .clock_offset_ms = &r->clock_offset_ms};
    r->kms = kms_open(store_sqlite(r->st), &kc);
    free(master);
    if (!r->kms || !ec2_open(r) || !instsecret_backfill(r))
        return false;
    sm_config sc = {.region = r->cfg.name, .account = r->cfg.account,
                    .clock_offset_ms = &r->clock_offset_ms};
    r->secrets = secrets_open(store_sqlite(r->st), r->kms, &sc);
    secrets_set_rotator(r->secrets, mastersecret_rotate, r);
    /* The restores' URL secret (core/restoretoken.h): made once, kept, so
     * a URL in an agent's goal outlives a kill -9 of this process. The
     * loader is the KMS master key's (32 random bytes, 0600, O_EXCL). */
    char *rkey = xasprintf("%s/restore-url.key", o->home);
    r->restore_key_ok = kmsseal_master_load(rkey, r->restore_key);
    free(rkey);
    if (!r->restore_key_ok)
        return false;
    master = xasprintf("%s/kms-master.key", o->home);
    r->principals = principals_open(r->st, master, r->cfg.account);
    free(master);
    if (!r->principals)
        return false;
    r->pg_version = detect_pg_version();
    r->pg_major = xstrndup(r->pg_version, strcspn(r->pg_version, "."));
    r->apex = xasprintf("%s.%s", r->cfg.name, r->cfg.dns_suffix);
    char *ns = xasprintf("ns.%s", r->apex);
    r->zone = zone_new(r->apex, ns, o->dns_addr, serial, DNS_NEG_TTL);
    free(ns);
    if (!r->zone) {
        LOG_ERROR("bad zone apex=%s", r->apex);
        return false;
    }
    r->home = o->home;
    char *certs = o->certs_dir ? xstrdup(o->certs_dir) : xasprintf("%s/certs", o->home);
    r->tls = tlsca_open(o->home, certs);
    free(certs);
    if (!r->tls || !paramgroup_open(r) || !workflow_register(r, wfkinds_all))
        return false;
    r->delivery = delivery_new(r);
    r->agents = agents_new();
    char *keys = o->agent_keys ? xstrdup(o->agent_keys) : xasprintf("%s/agent-keys", o->home);
    agents_set_key_dir(r->agents, keys);
    LOG_INFO("agent keys dir=%s", keys);
    free(keys);
    r->dns = dnssync_new();
    r->cw = cwcollect_new();
    r->node_telemetry_hook = cwcollect_node;
    r->pass_hook = heartbeat_pass;
    r->health = health_new(r, (health_config){.interval_ms = r->cfg.probe_interval_ms,
                                              .timeout_ms = r->cfg.probe_timeout_ms});
    if (!dnssync_apply(r))
        return false;
    w->dns = dns_server_new(r->base, r->zone, o->dns_addr, (uint16_t)o->dns_port);
    if (!w->dns)
        return false;
    r->dns_port = dns_server_port(w->dns);
    uint16_t api_port = 0;
    w->a = api_start(r, o->api_addr, (uint16_t)o->api_port, &api_port);
    r->api_port = api_port;
    if (!w->a || !credentials_publish(r, o))
        return false;
    /* Namespace mode: the agents' door on the gateway, the same API (every
     * request signed, SigV4 or the agent's HMAC) on the same port. */
    if (r->cfg.agent_addr) {
        uint16_t again = 0;
        w->agent_api = api_start(r, r->cfg.agent_addr, api_port, &again);
        if (!w->agent_api)
            return false;
        /* And the region's DNS there on the RFC port: a client namespace's
         * resolv.conf cannot name another port, and real runtimes (the
         * JVM, glibc, psycopg2) read nothing else (README "Network modes"). */
        if (o->gateway_dns_port > 0) {
            w->gateway_dns = dns_server_new(r->base, r->zone, r->cfg.agent_addr,
                                            (uint16_t)o->gateway_dns_port);
            if (!w->gateway_dns)
                return false;
        }
    }
    w->pi = pisampler_new(r);
    r->cron = event_new(r->base, -1, EV_PERSIST, on_cron, r);
    struct timeval tv = {0, CRON_MS * 1000};
    event_add(r->cron, &tv);
    w->sigint = evsignal_new(r->base, SIGINT, on_signal, r);
    w->sigterm = evsignal_new(r->base, SIGTERM, on_signal, r);
    event_add(w->sigint, NULL);
    event_add(w->sigterm, NULL);
    w->sigchld = evsignal_new(r->base, SIGCHLD, on_child, r);
    event_add(w->sigchld, NULL);
    if (o->port_file) {
        char *ports = xasprintf("RDS_API_PORT=%u\nRDS_DNS_PORT=%u\n", api_port,
                                dns_server_port(w->dns));
        bool ok = fs_write_atomic(o->port_file, ports, strlen(ports), 0644);
        free(ports);
        if (!ok)
            return false;
    }
    LOG_INFO("controlplane ready region=%s apex=%s api_port=%u dns_port=%u pg=%s serial=%u",
             r->cfg.name, r->apex, api_port, dns_server_port(w->dns), r->pg_version,
             zone_serial(r->zone));
    return true;
}

/* Frees what cp_open built, in reverse; safe after a partial cp_open. */
static void cp_close(region *r, cp_wiring *w)
{
    if (w->sigint)
        event_free(w->sigint);
    if (w->sigterm)
        event_free(w->sigterm);
    if (w->sigchld)
        event_free(w->sigchld);
    if (r->cron)
        event_free(r->cron);
    pisampler_free(w->pi);
    api_stop(w->agent_api);
    api_stop(w->a);
    if (w->dns)
        dns_server_free(w->dns);
    if (w->gateway_dns)
        dns_server_free(w->gateway_dns);
    delivery_free(r->delivery);
    health_free(r->health);
    cwcollect_free(r->cw);
    r->cw = NULL;
    nodespec_cache_free(r);
    dnssync_free(r->dns);
    agents_free(r->agents);
    if (r->zone)
        zone_free(r->zone);
    paramgroup_close(r);
    tlsca_free(r->tls);
    secrets_close(r->secrets);
    kms_close(r->kms);
    principals_close(r->principals);
    store_close(r->st);
    if (r->base)
        event_base_free(r->base);
    free(r->hash);
    free(r->apex);
    free(r->pg_version);
    free(r->pg_major);
    free(w->dbpath);
}

/* Flags, wiring, the loop until SIGINT or SIGTERM, teardown. */
int main(int argc, char **argv)
{
    log_set_ident("controlplane");
    cp_opts o = {.api_addr = "127.0.0.1", .api_port = 8780, .dns_addr = "127.0.0.1",
                 .dns_port = 8753, .gateway_dns_port = 53, .log_max_mib = 64};
    region r = {0};
    r.cfg = (region_config){.name = "us-east-1", .dns_suffix = "rds.internal", .dns_ttl_s = 5,
                            .node_ttl_s = 60, .create_timeout_ms = 300000,
                            .agent_timeout_ms = 2000, .account = "123456789012",
                            .probe_interval_ms = 200, .probe_timeout_ms = 500,
                            .detect_ms = 1000, .standby_replace_ms = 15000,
                            .standby_stream_ms = 10000,
                            .delivery_retry_ms = SNSMSG_BACKOFF_BASE_MS,
                            .sns_max_topics = SNS_MAX_TOPICS,
                            .sns_max_subs_per_topic = SNS_MAX_SUBS_PER_TOPIC,
                            .vpc_cidr = "127.0.0.0/8", .region_cidr = "127.0.0.0/24"};
    int rc = parse_flags(argc, argv, &o, &r.cfg);
    if (rc >= 0) {
        free(o.azbuf);
        return rc;
    }
    log_set_max_bytes((size_t)o.log_max_mib << 20);
    signal(SIGPIPE, SIG_IGN);
    rc = 1;
    cp_wiring w = {0};
    if (cp_open(&r, &o, &w)) {
        event_base_dispatch(r.base);
        rc = 0;
    }
    cp_close(&r, &w);
    free(o.azbuf);
    return rc;
}
