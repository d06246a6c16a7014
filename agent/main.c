/* rds-agent: one per simulated host. Parses flags, builds the event base,
 * wires signals and the agent, dispatches, and frees in reverse.
 *
 * SIGTERM and SIGINT end the agent but never its PostgreSQL servers (they
 * run in their own sessions): a restarted agent adopts them. */
#include <event2/event.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/proc.h"
#include "agent/spec.h"
#include "lib/agentmac.h"
#include "lib/log.h"
#include "lib/util.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: rds-agent --controlplane http://127.0.0.1:PORT --az AZ --addr-base 127.0.1\n"
            "                 --home DIR [--pg-bindir DIR] [--pg-user NAME] [--pam-module FILE]\n"
            "                 --key-file FILE [--heartbeat-ms 250] [--log-level info]\n"
            "                 [--vpc-cidr 127.0.0.0/8] [--region-addrs 127.0.0.1/32]\n");
}

/* `pg_config --bindir`, run once at startup (blocking is fine here). */
static char *find_bindir(void)
{
    FILE *p = popen("pg_config --bindir 2>/dev/null", "r");
    if (!p)
        return NULL;
    char line[4096];
    char *got = fgets(line, sizeof line, p);
    int rc = pclose(p);
    if (!got || rc != 0)
        return NULL;
    line[strcspn(line, "\r\n")] = '\0';
    return line[0] ? xstrdup(line) : NULL;
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    LOG_INFO("signal received, exiting (postgres keeps running) signal=%d", (int)sig);
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    log_set_ident("rds-agent");
    const char *controlplane = NULL, *az = NULL, *addr_base = NULL, *home = NULL;
    const char *bindir_flag = NULL, *pg_user = "postgres", *key_file = NULL;
    const char *pam_module = NULL, *vpc = "127.0.0.0/8", *region_addrs = "127.0.0.1/32";
    bool pg_user_explicit = false;
    int64_t heartbeat_ms = 250;
    static const struct option opts[] = {
        {"controlplane", required_argument, NULL, 'c'},
        {"az", required_argument, NULL, 'a'},
        {"addr-base", required_argument, NULL, 'b'},
        {"home", required_argument, NULL, 'H'},
        {"pg-bindir", required_argument, NULL, 'B'},
        {"pg-user", required_argument, NULL, 'u'},
        {"heartbeat-ms", required_argument, NULL, 'i'},
        {"key-file", required_argument, NULL, 'k'},
        {"log-level", required_argument, NULL, 'l'},
        {"pam-module", required_argument, NULL, 'P'},
        {"vpc-cidr", required_argument, NULL, 'V'},
        {"region-addrs", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': controlplane = optarg; break;
        case 'a': az = optarg; break;
        case 'b': addr_base = optarg; break;
        case 'H': home = optarg; break;
        case 'B': bindir_flag = optarg; break;
        case 'u': pg_user = optarg; pg_user_explicit = true; break;
        case 'k': key_file = optarg; break;
        case 'P': pam_module = optarg; break;
        case 'V': vpc = optarg; break;
        case 'R': region_addrs = optarg; break;
        case 'i':
            if (!str_to_int64(optarg, 10, 60000, &heartbeat_ms)) {
                fprintf(stderr, "rds-agent: --heartbeat-ms must be 10..60000\n");
                return 2;
            }
            break;
        case 'l': {
            log_level level;
            if (!log_parse_level(optarg, &level)) {
                fprintf(stderr, "rds-agent: bad --log-level\n");
                return 2;
            }
            log_set_level(level);
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!controlplane || !az || !addr_base || !home || !key_file || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (!spec_set_network(vpc, region_addrs)) {
        fprintf(stderr, "rds-agent: --vpc-cidr and --region-addrs must be CIDR blocks, the "
                        "second inside the first\n");
        return 2;
    }
    if (!agentmac_id_valid(az)) {
        fprintf(stderr, "rds-agent: --az must match [A-Za-z0-9-]{1,63} (it is the agent id)\n");
        return 2;
    }
    uint8_t key[AGENTMAC_KEY_LEN];
    char kerr[512];
    if (!agentmac_key_load(key_file, key, kerr, sizeof kerr)) {
        fprintf(stderr, "rds-agent: --key-file: %s\n", kerr);
        return 2;
    }
    if (strncmp(controlplane, "http://", 7) != 0 || strlen(controlplane) <= 7) {
        fprintf(stderr, "rds-agent: --controlplane must be an http:// URL\n");
        return 2;
    }
    char *bindir = bindir_flag ? xstrdup(bindir_flag) : find_bindir();
    if (!bindir) {
        LOG_ERROR("cannot find PostgreSQL binaries: pass --pg-bindir or put pg_config on PATH");
        return 1;
    }
    proc_user user;
    if (!proc_user_resolve(pg_user, pg_user_explicit, &user)) {
        free(bindir);
        return 1;
    }
    /* A controlplane gone mid-request must not kill the agent. */
    signal(SIGPIPE, SIG_IGN);
    int rc = 1;
    struct event_base *base = event_base_new();
    struct event *sigterm = evsignal_new(base, SIGTERM, on_stop_signal, base);
    struct event *sigint = evsignal_new(base, SIGINT, on_stop_signal, base);
    evsignal_add(sigterm, NULL);
    evsignal_add(sigint, NULL);
    agent_config cfg = {.controlplane = controlplane, .az = az, .addr_base = addr_base,
                        .home = home, .bindir = bindir, .user = &user,
                        .heartbeat_ms = (int)heartbeat_ms, .key = key,
                        .pam_module = pam_module};
    agent *a = agent_new(base, &cfg);
    if (a) {
        event_base_dispatch(base);
        agent_free(a);
        rc = 0;
    }
    event_free(sigint);
    event_free(sigterm);
    event_base_free(base);
    proc_user_free(&user);
    free(bindir);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}
