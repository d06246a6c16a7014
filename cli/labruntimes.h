/* labruntimes: the DNS-caching lab's real-runtime lanes (issue 17 part 3)
 * — the real thing next to the C models of cli/labclients.h, in namespace
 * mode only (README "Network modes"): each lane is a process on the
 * clients' host ($RDS_CLIENT_NS, whose resolv.conf names the region's DNS
 * at $RDS_GATEWAY:53), given the instance's endpoint NAME, never an
 * address, writing the lab's row every 100 ms:
 *   rt-jvm            OpenJDK + Debian's JDBC driver, default caching
 *                     (no security manager: 30 s), one connection;
 *   rt-jvm-ttl        the same with networkaddress.cache.ttl =
 *                     LABRUNTIMES_JVM_TTL_S (AWS's guidance, docs/lab.md);
 *   rt-hikaricp       HikariCP's pool (defaults, pool of 4) over the
 *                     driver, with the same TTL as rt-jvm-ttl;
 *   rt-psycopg2       Python's psycopg2 (libpq: getaddrinfo on each connect);
 *   rt-glibc          `rdsctl lab runtime-glibc`: getaddrinfo, no cache;
 *   rt-glibc-dnsmasq  the same behind dnsmasq on the clients' host (its
 *                     cache: LABRUNTIMES_DNSMASQ_CACHE entries, TTLs
 *                     honoured, or raised to --resolver-min-ttl when given,
 *                     at most dnsmasq's 3600), in a mount namespace whose
 *                     /etc/resolv.conf names it.
 * The one-connection lanes drop their connection on any error; the next
 * attempt reconnects and so looks the name up (through the runtime's own
 * cache, if it has one).
 *
 * Each lane prints one line per attempt on stdout (wall-clock ms):
 *     <start> <end> ok <server IPv4> <server ms>
 *     <start> <end> fail <SQLSTATE|-> <message>
 * That output is untrusted: lines are bounded (LABRUNTIMES_LINE_MAX; a
 * longer one is dropped whole), parsed strictly (labruntimes_parse_line),
 * and anything else is counted as garbage and ignored. Failures are
 * classified with labclients_classify.
 *
 * One thread reads every lane's pipe; the functions below may be called
 * from another thread while it runs. Children get PR_SET_PDEATHSIG, their
 * own process group, and are stopped (TERM, then KILL) by labruntimes_stop. */
#ifndef RDSIM_CLI_LABRUNTIMES_H
#define RDSIM_CLI_LABRUNTIMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/commands.h"
#include "cli/labreport.h"

#define LABRUNTIMES_LINE_MAX 512
#define LABRUNTIMES_PERIOD_MS 100
#define LABRUNTIMES_JVM_TTL_S 5        /* AWS SDK for Java's guidance, docs/lab.md */
#define LABRUNTIMES_DNSMASQ_CACHE 1000
#define LABRUNTIMES_DNSMASQ_MAX_MIN_TTL 3600 /* dnsmasq's own cap on --min-cache-ttl */
#define LABRUNTIMES_SKEW_MS 600000     /* a line's times must be this close to now */
#define LABRUNTIMES_STOP_MS 3000       /* TERM, then KILL after this */

/* Bit k set for every real-runtime lane. */
#define LABRUNTIMES_ALL (((1u << LAB_NCLIENTS) - 1) & ~((1u << LAB_NMODELS) - 1))

typedef struct labruntimes labruntimes;

typedef struct {
    const char *netns;       /* the clients' namespace ($RDS_CLIENT_NS) */
    const char *root;        /* the rdsim checkout: lab/runtimes, bin/rdsctl, build/ */
    const char *java_dir;    /* the compiled LabJdbc.class */
    const char *work_dir;    /* a directory of the region's home for dnsmasq's resolv.conf */
    const char *endpoint;
    int pg_port;
    const char *user;
    const char *password;
    const char *dbname;
    const char *gateway;     /* dnsmasq's upstream: $RDS_GATEWAY, port 53 */
    int min_ttl;             /* dnsmasq --min-cache-ttl, 0: none */
    int64_t run;
} labruntimes_config;

/* The clients' namespace and gateway from region.env's text: true only
 * when both RDS_CLIENT_NS (letters, digits, '-', '_') and RDS_GATEWAY (a
 * dotted IPv4) are there and valid, i.e. namespace mode. */
bool labruntimes_region_env(const char *text, char *ns, size_t ns_cap, char *gw, size_t gw_cap);

/* Which lanes of `want` can run here: their program and libraries are
 * installed. A note on stderr for each missing one. */
unsigned labruntimes_available(const labruntimes_config *cfg, unsigned want);

/* Starts the lanes in `want` (and dnsmasq for rt-glibc-dnsmasq); *started
 * says which did. NULL (logged) if the reader thread could not start. */
labruntimes *labruntimes_start(const labruntimes_config *cfg, unsigned want, unsigned *started);

void labruntimes_stop(labruntimes *r);
void labruntimes_free(labruntimes *r);

/* A copy of the attempt log (the caller frees *out); its length. */
size_t labruntimes_attempts(labruntimes *r, lab_attempt **out);

/* The lane's last failure message or stderr-less exit note, "" if none. */
void labruntimes_last_error(labruntimes *r, lab_client_kind k, char *buf, size_t size);

/* Lines that were not attempts (too long, malformed, implausible times). */
uint64_t labruntimes_garbage(labruntimes *r);

/* --- pure parts, exposed for tests --- */

/* Parses one line (without its newline) of lane k into *out, with the
 * failure message, if any, copied into msg. false if the line is not
 * exactly one of the two forms, or its times are not within
 * LABRUNTIMES_SKEW_MS of now_ms, or end < start. */
bool labruntimes_parse_line(const char *line, size_t len, lab_client_kind k, int64_t now_ms,
                            lab_attempt *out, char *msg, size_t msg_cap);

/* `rdsctl lab runtime-glibc ENDPOINT PORT USER DBNAME RUN CLIENT`: the
 * glibc lane itself (password from $PGPASSWORD): getaddrinfo on every
 * connect, then libpq to that address. Runs until killed. */
int labruntimes_glibc_main(int argc, char **argv);

#endif
