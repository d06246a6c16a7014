/* httpguard: an evhttp server's connections, bounded (issue 13, hole 5).
 *
 * libevent 2.1 has no connection cap for evhttp, and its timeout is a
 * bufferevent read timeout that every byte resets, so a client sending a
 * byte a second holds a connection forever. httpguard owns the listening
 * socket and makes every connection's bufferevent (evhttp's bevcb), keeps
 * a reference on it and watches its buffers, so it knows when bytes
 * arrive, when a reply starts, and (at its 100 ms tick) which connections
 * evhttp has freed. With that it keeps:
 *
 *  1. a cap: at most httpguard_cap() connections (a share of the
 *     descriptor budget, fdguard.h) are open; a new one over the cap
 *     closes the one waiting longest that is not being answered (waiting:
 *     since its last reply when keep-alive idle, since the first byte of
 *     its unfinished request otherwise); when every one is being
 *     answered, the new one is closed;
 *  2. deadlines that bytes do not reset: a request's line and headers
 *     within header_ms of its first byte (of the accept, for the first),
 *     the whole request within request_ms; a keep-alive connection idle
 *     idle_ms is closed;
 *  3. accept backoff: when accept fails for want of descriptors the
 *     listener is disabled (the pending connection would otherwise wake
 *     the loop at once, forever) and resumed within 100 ms, with one log
 *     line per 10 s (lib/log.h's LOG_WARN_RARE counts the rest).
 *
 * Closing is shutdown(2) on the socket from a timer of ours: evhttp sees
 * the end of the stream and frees its connection as for any client that
 * leaves, so no libevent object is freed behind its back. */
#ifndef RDSIM_HTTPGUARD_H
#define RDSIM_HTTPGUARD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp;
struct evhttp_request;

typedef struct httpguard httpguard;

typedef struct {
    unsigned header_ms;  /* request line + headers, from the request's first byte */
    unsigned request_ms; /* the whole request, from its first byte */
    unsigned idle_ms;    /* a keep-alive connection with no request */
    unsigned share_pct;  /* of the descriptor budget (fdguard_budget) */
    size_t min_conns, max_conns;
} httpguard_config;

typedef struct {
    size_t open;         /* connections now open (closing ones excluded) */
    uint64_t accepted;
    uint64_t evicted;    /* closed to make room under the cap */
    uint64_t timed_out;  /* closed by a deadline */
} httpguard_stats;

/* Listens on addr:port (0: ephemeral) for http, which must have no other
 * socket and no bevcb; *bound gets the port. NULL (logged) if it cannot
 * bind. The guard must be freed after evhttp_free(http). */
httpguard *httpguard_bind(struct event_base *base, struct evhttp *http, const char *addr,
                          uint16_t port, const httpguard_config *cfg, uint16_t *bound);

/* Call first in every request callback: the request has fully arrived and
 * is being answered; its connection is neither timed out nor evicted
 * until the reply starts. */
void httpguard_request_begin(httpguard *g, struct evhttp_request *req);

/* Marks req's connection (after httpguard_request_begin) as a long-lived
 * stream, such as Server-Sent Events: it stays "being answered" until
 * evhttp frees it, so neither the idle deadline nor an eviction for a new
 * connection ends it however long it lasts. The caller bounds how many
 * streams exist and drops a slow one itself (a stream counts against the
 * cap like any connection). */
void httpguard_request_stream(httpguard *g, struct evhttp_request *req);

/* The cap now (the descriptor limit may have changed). */
size_t httpguard_cap(const httpguard *g);
void httpguard_get_stats(const httpguard *g, httpguard_stats *out);

/* Right after evhttp_free (which frees every connection), with no
 * dispatch between: drops the references. NULL is a no-op. */
void httpguard_free(httpguard *g);

#endif
