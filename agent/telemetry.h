/* telemetry: what the agent measures on its host and ships to the
 * controlplane, apart from the heartbeat.
 *
 * Every second (one request in flight at most) the agent POSTs to
 * /agent/v1/telemetry, per node it runs:
 *   - data_bytes: the real size of the node's data directory (dusage.h),
 *     measured every 5 seconds (absent in the requests between);
 *   - os: an Enhanced Monitoring sample (osmetrics.h) when the node's
 *     monitoring interval is > 0 and a sample is due;
 *   - log_files: the node's PostgreSQL log files (pglogs.h) with sizes,
 *     and log_chunks: bytes of them from where the controlplane's copy
 *     ends. Chunks are cut by their size *as JSON* (a control byte is six:
 *     "\u0001"), at most TELEMETRY_LOG_BUDGET of them per request, shared
 *     equally by the nodes, so no file's content can push a request over
 *     the controlplane's body limit (TELEMETRY_BODY_MAX) and no node's
 *     backlog can hold the others' lines back. A long line is split over
 *     requests, never dropped. While bytes remain the next request goes out
 *     as soon as the reply is in, not at the next tick.
 * A request with log bytes that the controlplane refuses as too large (413,
 * or the failed write libevent's 413 mostly looks like) halves the budget
 * for the next ones (logged), down to TELEMETRY_LOG_BUDGET_MIN, and it
 * grows back at most once a minute; a body
 * that would still exceed TELEMETRY_BODY_MAX is sent without its chunks:
 * no batch is retried unchanged forever.
 * The reply says, per node, the monitoring interval to use and how many
 * bytes of each log file the controlplane already holds. The agent keeps
 * no durable record of either: after a restart it sends no log bytes
 * until a reply has told it the controlplane's sizes, so a file is never
 * shipped twice or with a gap. A node the reply does not mention gets no
 * samples (interval 0) and no log bytes. Wire format: agent/README.md. */
#ifndef RDSIM_AGENT_TELEMETRY_H
#define RDSIM_AGENT_TELEMETRY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct event_base;

#define TELEMETRY_TICK_MS 1000
#define TELEMETRY_BODY_MAX (1024 * 1024)      /* the controlplane's (QUERY_MAX_BODY) */
#define TELEMETRY_LOG_BUDGET (512 * 1024)     /* JSON bytes of log data per request */
#define TELEMETRY_LOG_BUDGET_MIN (4 * 1024)

/* A node as the telemetry sees it. Strings are borrowed for one call. */
typedef struct {
    const char *node_id;
    const char *instance_id;
    pid_t pid;      /* postmaster, 0 if not running */
    const char *addr; /* the node's address (dotted IPv4), or NULL */
} telemetry_node;

/* Fills out with at most max nodes that have a spec; returns how many. */
typedef int (*telemetry_list_fn)(void *arg, telemetry_node *out, int max);

typedef struct telemetry telemetry;

/* Arms the tick on base. nodes_dir holds <node_id>/{data,log}. Every
 * request is signed with key (AGENTMAC_KEY_LEN bytes, copied) and a reply
 * that does not authenticate is treated as a failed request. */
telemetry *telemetry_new(struct event_base *base, const char *controlplane, const char *agent_id,
                         const uint8_t *key, const char *nodes_dir, telemetry_list_fn list,
                         void *arg);
void telemetry_free(telemetry *t);

#endif
