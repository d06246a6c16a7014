/* workload: the chaos harness's clients — concurrent writers that reach a
 * DB instance through its endpoint name, as an application would, and
 * record every write the database acknowledged.
 *
 * One thread runs one poll() loop multiplexing:
 *  - W writers, each a non-blocking libpq connection. A writer resolves the
 *    endpoint through the region's DNS with its own stub resolver and
 *    honours the answer's TTL (it re-resolves only when the TTL has run
 *    out, like a client library with a cache), connects with
 *    hostaddr=<resolved IP>, and inserts rows with unique ids, each in its
 *    own transaction:
 *        INSERT INTO rdsim_chaos (run, id, writer) VALUES (...)
 *        RETURNING host(inet_server_addr()), clock_timestamp() in ms
 *    An insert is acknowledged only when its reply ends (ReadyForQuery)
 *    with the row and no error: the implicit transaction commits at the
 *    protocol's Sync, after the row and CommandComplete were sent, so an
 *    error after the row (a commit that waited for the synchronous standby
 *    and was cancelled) means "not acknowledged".
 *    On any error or timeout it drops the connection and starts again
 *    (re-resolving if the TTL ran out). An insert whose outcome is unknown
 *    (connection lost or timed out before the reply) is not acknowledged.
 *  - optional probes: writers with a fixed address (no DNS), started by the
 *    harness on the nodes that may become primary, so that "writable
 *    again" is measured independently of DNS caching. Their acknowledged
 *    inserts are ordinary acknowledged writes.
 *  - a DNS watcher, which asks for the endpoint every DNS_WATCH_MS without
 *    caching and records each change of the answer (when the endpoint
 *    flipped).
 *
 * With netns set, the thread enters that network namespace (setns, which
 * moves this thread alone) before it opens any socket: in namespace mode
 * the harness's clients live on the clients' host, so a partition can cut
 * a DB host from the controlplane while they still reach it; the caller's
 * thread (API calls, checks) stays where it is.
 *
 * The thread shares with the caller only the logs below, under one mutex;
 * the query functions may be called from the caller's thread while the
 * workload runs. */
#ifndef RDSIM_CLI_WORKLOAD_H
#define RDSIM_CLI_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WORKLOAD_MAX_WRITERS 64
#define WORKLOAD_MAX_PROBES 4
#define WORKLOAD_ADDR_MAX 16        /* dotted IPv4 with its NUL */
#define WORKLOAD_DNS_WATCH_MS 15    /* the harness's DNS poll period */
#define WORKLOAD_CONNECT_TIMEOUT_MS 1000
#define WORKLOAD_QUERY_TIMEOUT_MS 2000

typedef struct workload workload;

typedef struct {
    const char *endpoint;   /* the instance's DNS name */
    const char *dns_server; /* numeric IPv4 of the region's DNS server */
    int dns_port;
    int pg_port;            /* the instance's port */
    const char *user;
    const char *password;
    const char *dbname;     /* "postgres" */
    const char *sslrootcert; /* the region's CA bundle, or NULL (cli/pgtls.h) */
    int writers;            /* 1..WORKLOAD_MAX_WRITERS */
    int interval_ms;        /* pause between one writer's inserts (0: none) */
    int64_t run;            /* the run's key in rdsim_chaos */
    const char *netns;      /* a network namespace file (/run/netns/NAME) the
                             * clients run in, or NULL: the caller's */
} workload_config;

/* One acknowledged insert. writer is -1 for a probe. Times are wall-clock
 * ms: client_ms when the acknowledgement arrived, server_ms the server's
 * clock_timestamp() inside the transaction. */
typedef struct {
    int64_t id;
    int64_t client_ms;
    int64_t server_ms;
    uint32_t addr; /* the server's address (network order) */
    int writer;
} workload_ack;

/* The SQL the harness runs once before starting (creates the table). */
extern const char workload_create_sql[];

/* Starts the thread. cfg's strings are copied. Returns NULL (logged) if
 * the thread could not start, could not enter cfg->netns, or cfg is
 * invalid. */
workload *workload_start(const workload_config *cfg);

/* Stops the writers and joins the thread; in-flight inserts are abandoned
 * (not acknowledged). The logs stay readable until workload_free. */
void workload_stop(workload *w);
void workload_free(workload *w);

/* Starts probes on these addresses (dotted IPv4, at most
 * WORKLOAD_MAX_PROBES; earlier probes are dropped), or stops them all
 * with n == 0. */
void workload_set_probes(workload *w, const char *const *addrs, int n);

/* What the logs say about one failover that began at from_ms away from
 * old_addr (network order). Zero fields: not seen (yet). */
typedef struct {
    int64_t first_new_ms;  /* first writer ack from another address, at/after from_ms */
    uint32_t new_addr;     /* its address */
    int64_t last_old_ms;   /* last writer ack from old_addr before first_new_ms (or now) */
    int64_t probe_ms;      /* first probe ack at/after from_ms */
    uint32_t probe_addr;
    int64_t dns_flip_ms;   /* first DNS answer other than old_addr at/after from_ms */
    uint32_t dns_addr;
    int64_t acks_after;    /* writer acks at/after from_ms */
} workload_window;

void workload_window_get(workload *w, uint32_t old_addr, int64_t from_ms, workload_window *out);

/* The longest pause in the writers' acknowledgements (any writer, by the
 * time each arrived) within [from_ms, to_ms], both ends counting as acks:
 * the client-observed downtime of a fault that moves no endpoint. Sets
 * *start and *end (wall ms) to where it began and ended. */
void workload_gap(workload *w, int64_t from_ms, int64_t to_ms, int64_t *start, int64_t *end);

/* The acknowledged inserts (writers' and probes'), in order of arrival,
 * and the count of the writers' inserts sent but not acknowledged (an
 * error, a lost connection, no reply in time: failed or of unknown
 * outcome). Only after workload_stop. */
size_t workload_acks(const workload *w, const workload_ack **acks);
int64_t workload_unacknowledged(const workload *w);

/* Why the last writer failure happened (for a progress line); copies at
 * most size-1 bytes, "" if none. */
void workload_last_error(workload *w, char *buf, size_t size);

#endif
