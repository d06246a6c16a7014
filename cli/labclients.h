/* labclients: the DNS-caching lab's clients — models of how real client
 * stacks find and keep a database, writing side by side through one
 * instance's endpoint while it fails over.
 *
 * One thread runs one poll() loop multiplexing every client, a c-ares
 * channel and a DNS watcher. Each client writes one small row every
 * 50-100 ms (jittered), one insert per transaction:
 *     INSERT INTO rdsim_lab (run, client, seq) VALUES (...)
 *     RETURNING host(inet_server_addr()), clock_timestamp() in ms
 * and logs every attempt (labreport.h's lab_attempt): when, the outcome,
 * and for a success the address that acknowledged it.
 *
 * How the models find the database (every lookup is a real query to the
 * region's DNS server through c-ares; what differs is how long each model
 * believes the answer, labclients_cache_expiry):
 *   ttl            believes it for the TTL (the chain's smallest);
 *   cache-30s      30 s whatever the TTL (the JVM's default positive cache);
 *   cache-forever  forever (a JVM with a security manager);
 *   sticky-address forever too: it resolved once and keeps the address;
 *   resolver-min-ttl  max(TTL, min_ttl): a caching resolver in between;
 *   pool           the TTL, like `ttl`;
 *   multi-host     never: libpq gets both nodes' addresses and
 *                  target_session_attrs=read-write picks the writable one.
 * How they keep it: every model but the pool holds one connection and drops
 * it on any error (the next attempt reconnects, looking the name up if its
 * cache says so). The pool opens LABCLIENTS_POOL_SIZE connections, writes on
 * them in turn and drops one only when it breaks (connection lost or
 * refused, SQLSTATE class 08, 57P01-57P03) — as connection pools do, a
 * statement error such as 25006 read-only leaves the connection in the
 * pool. A dropped pool connection is reopened on its next turn.
 *
 * The DNS watcher asks for the endpoint every LABCLIENTS_WATCH_MS without
 * caching and records each change of the answer: when DNS flipped.
 *
 * The thread shares only its logs, under one mutex; the functions below
 * may be called from another thread while it runs. */
#ifndef RDSIM_CLI_LABCLIENTS_H
#define RDSIM_CLI_LABCLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/labreport.h"

#define LABCLIENTS_POOL_SIZE 4
#define LABCLIENTS_ADDR_MAX 16          /* dotted IPv4 with its NUL */
#define LABCLIENTS_WATCH_MS 20
#define LABCLIENTS_CONNECT_TIMEOUT_MS 1500
#define LABCLIENTS_QUERY_TIMEOUT_MS 2000
#define LABCLIENTS_JVM_TTL_S 30
#define LABCLIENTS_ERROR_MAX 160

typedef struct labclients labclients;

typedef struct {
    const char *endpoint;   /* the instance's DNS name */
    const char *dns_server; /* numeric IPv4 of the region's DNS server */
    int dns_port;
    int pg_port;
    const char *user;
    const char *password;
    const char *dbname;
    const char *sslrootcert; /* the region's CA bundle, or NULL (cli/pgtls.h) */
    unsigned present;       /* bit k: run client k (multi-host needs two nodes) */
    const char *nodes[2];   /* the instance's two node addresses, for multi-host */
    int min_ttl;            /* for resolver-min-ttl */
    int64_t run;            /* the run's key in rdsim_lab */
} labclients_config;

/* The SQL run once, on the primary, before starting. */
extern const char labclients_create_sql[];

/* Starts the thread (cfg's strings are copied). NULL (logged) when cfg is
 * invalid or the thread or c-ares could not start. */
labclients *labclients_start(const labclients_config *cfg);

/* Stops the clients and joins the thread (in-flight attempts are dropped
 * unlogged); the logs stay readable until labclients_free. */
void labclients_stop(labclients *l);
void labclients_free(labclients *l);

/* A copy of the attempt log, in order of completion (the caller frees
 * *out). Returns its length. */
size_t labclients_attempts(labclients *l, lab_attempt **out);

/* The first DNS answer other than old_addr (network order): its time and
 * address. false if the answer never changed. */
bool labclients_dns_flip(labclients *l, uint32_t old_addr, int64_t *ms, uint32_t *addr);

/* The client's last error message, "" if none (at most size-1 bytes). */
void labclients_last_error(labclients *l, lab_client_kind k, char *buf, size_t size);

/* --- pure parts, exposed for tests --- */

/* Until when (mono ms, INT64_MAX: forever) model k believes an answer
 * with ttl_s obtained at now. */
int64_t labclients_cache_expiry(lab_client_kind k, int64_t now, uint32_t ttl_s, int min_ttl);

/* The outcome of a failed attempt from its SQLSTATE (may be NULL or "")
 * and libpq's message (may be NULL). */
lab_outcome labclients_classify(const char *sqlstate, const char *message);

/* Whether a connection pool drops the connection after this failure:
 * conn_bad (libpq says the connection is gone) or a connection-class
 * SQLSTATE (08xxx, 57P01, 57P02, 57P03). */
bool labclients_breaks_connection(const char *sqlstate, bool conn_bad);

#endif
