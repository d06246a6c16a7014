/* labreport: the DNS-caching lab's data and what is made of it — the
 * attempt log the clients write, the failover's timeline, and the
 * per-client verdicts rendered as a terminal table, JSON and an SVG
 * timeline.
 *
 * Everything here is pure (no sockets, no clock), so the verdicts and
 * renderings are unit-tested on made-up logs (tests/unit/cli/test_labreport.c).
 *
 * Definitions the whole lab uses (all times wall-clock ms):
 *  - the failover instant: RDS-EVENT-0013's Date when seen, else the
 *    moment RebootDBInstance returned, else the DNS flip;
 *  - the fence: from here on only the new primary may acknowledge a
 *    write — the earliest of the first write the new node acknowledged
 *    (any client) and RDS-EVENT-0049; before it only the old primary may;
 *  - a client recovered at its first write acknowledged by the new
 *    primary at or after the failover instant;
 *  - a wrong-node write: acknowledged (by the server's own clock) by an
 *    address other than the primary of that moment (see the fence). */
#ifndef RDSIM_CLI_LABREPORT_H
#define RDSIM_CLI_LABREPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

struct cJSON;

/* The client models, in lane order, then the real runtimes
 * (cli/labruntimes.h, namespace mode only). */
typedef enum {
    LAB_TTL,       /* honours the TTL (c-ares), reconnects on error */
    LAB_CACHE30,   /* caches 30 s whatever the TTL (JVM default) */
    LAB_FOREVER,   /* caches forever (JVM with a security manager) */
    LAB_POOL,      /* a pool that keeps connections until one breaks */
    LAB_STICKY,    /* reconnects on error to its last resolved address */
    LAB_MULTIHOST, /* libpq host list, target_session_attrs=read-write */
    LAB_MINTTL,    /* behind a caching resolver that raises short TTLs */
    LAB_NMODELS,   /* the C models above, the real runtimes below */
    LAB_RT_JVM = LAB_NMODELS, /* OpenJDK + JDBC, default cache (30 s) */
    LAB_RT_JVM_TTL,           /* the same, networkaddress.cache.ttl as AWS advises */
    LAB_RT_HIKARI,            /* HikariCP over the driver */
    LAB_RT_PSYCOPG2,          /* Python psycopg2 (libpq, getaddrinfo per connect) */
    LAB_RT_GLIBC,             /* getaddrinfo, no cache */
    LAB_RT_GLIBC_DNSMASQ,     /* getaddrinfo behind dnsmasq on the clients' host */
    LAB_NCLIENTS,
} lab_client_kind;

/* What one write attempt came to. */
typedef enum {
    LAB_OK,
    LAB_REFUSED,  /* connection refused (nothing listens: the node is down) */
    LAB_READONLY, /* SQLSTATE 25006, or libpq's multi-host "session is read-only" */
    LAB_TIMEOUT,  /* no connection or no reply in time */
    LAB_OTHER,    /* anything else: connection lost, starting up, DNS failure */
    LAB_NOUTCOMES,
} lab_outcome;

/* One attempt. server_ms and addr (network order) only for LAB_OK. */
typedef struct {
    int64_t start_ms;
    int64_t end_ms;    /* when the outcome was known */
    int64_t server_ms; /* the server's clock_timestamp() in the transaction */
    uint32_t addr;     /* inet_server_addr() */
    uint8_t client;    /* lab_client_kind */
    uint8_t outcome;   /* lab_outcome */
} lab_attempt;

/* The run's landmarks; 0 = not seen. */
typedef struct {
    int64_t start_ms, end_ms;  /* the clients' run */
    int64_t reboot_ms;         /* RebootDBInstance returned (forced failover) */
    int64_t started_ms;        /* RDS-EVENT-0013 */
    int64_t dns_flip_ms;       /* the endpoint first answered another address */
    int64_t completed_ms;      /* RDS-EVENT-0049 */
    int64_t standby_back_ms;   /* RDS-EVENT-0053 */
    uint32_t old_addr, new_addr;
    int dns_ttl;               /* the endpoint's TTL at the start (seconds) */
    int min_ttl;               /* the caching resolver's minimum (LAB_MINTTL) */
} lab_timeline;

/* A client's verdict. */
typedef struct {
    int64_t attempts;
    int64_t ok;
    int64_t failed[LAB_NOUTCOMES]; /* by outcome; [LAB_OK] unused */
    int64_t wrong_node;
    int64_t failed_after_recovery; /* failures after its first write on the new primary */
    int64_t recovered_ms;          /* first write on the new primary; 0: never */
    int64_t first_attempt_ms;      /* its first attempt's start; 0: none */
    int64_t first_ok_ms;           /* its first write's end; 0: none */
    double recovery_s;             /* from the failover instant; NAN: never */
} lab_summary;

/* "ttl", "cache-30s", ... (stable: JSON keys, test names). */
const char *labreport_client_name(lab_client_kind k);
/* One line on how the model behaves. */
const char *labreport_client_help(lab_client_kind k);
/* For a real runtime, the model it is compared with (docs/lab.md); -1 for
 * a model. */
int labreport_client_model(lab_client_kind k);
/* "ok", "refused", "read-only", "timeout", "other". */
const char *labreport_outcome_name(lab_outcome o);

/* The failover instant (see above), 0 if there was none. */
int64_t labreport_failover_ms(const lab_timeline *t);

/* The fence (see above), 0 without a failover or a new primary. */
int64_t labreport_fence_ms(const lab_attempt *a, size_t n, const lab_timeline *t);

/* Summarises the attempts of one client (entries of other clients are
 * skipped). */
void labreport_summarise(const lab_attempt *a, size_t n, lab_client_kind client,
                         const lab_timeline *t, lab_summary *out);

/* Whether every client in `present` (bit k = client k runs) has recovered;
 * false without a new primary. */
bool labreport_all_recovered(const lab_attempt *a, size_t n, unsigned present,
                             const lab_timeline *t);

/* The terminal table, one row per present client, appended to out. */
void labreport_table(const lab_attempt *a, size_t n, unsigned present, const lab_timeline *t,
                     sbuf *out);

/* The JSON document (the caller deletes it): the instance, the failover's
 * landmarks (ISO times and seconds from the failover instant), and one
 * object per present client in lane order under "Clients". */
struct cJSON *labreport_json(const char *instance, const char *endpoint, const lab_attempt *a,
                             size_t n, unsigned present, const lab_timeline *t,
                             int negative_ttl);

/* The SVG timeline, a complete standalone document appended to out: one
 * lane per present client, a tick per attempt coloured by outcome, the
 * failover instant, the DNS flip and the old primary's return marked. */
void labreport_svg(const char *instance, const lab_attempt *a, size_t n, unsigned present,
                   const lab_timeline *t, sbuf *out);

#endif
