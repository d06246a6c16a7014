/* livefeed: the live view's Server-Sent Events stream (GET
 * /view/api/events, text/event-stream), one chunked evhttp reply per
 * client that never ends while the client stays.
 *
 * Each second (its own timer, only while clients exist) the feed reads
 * the events committed since the last pass (livedata_events, by row id:
 * the store is the truth, nothing is kept but the last id each client
 * has seen) and the instances' state, and sends each client
 *   event: rds    data: one event (id: its row id)
 *   event: state  data: livedata_state, when it changed since the last
 * and a comment line every 15 s so proxies and the client see it alive.
 * A new client gets the state and the last LIVEDATA_MAX_EVENTS events at
 * once (or those after its Last-Event-ID when the browser reconnects).
 *
 * Bounds (the trust model: a client is anyone with a session, and a
 * slow reader must cost nothing): at most LIVEFEED_MAX_CLIENTS streams
 * (the next is answered 503); a client whose connection still holds more
 * than LIVEFEED_MAX_BUFFERED unsent bytes at a pass is dropped (its
 * connection freed; one pass is queued whole, so a client costs at most
 * that bound plus one state document and LIVEDATA_MAX_EVENTS events),
 * as is one that has not read for 30 s (the write timeout), and one whose
 * session ended (expired, its key deleted or its permission gone: checked
 * every pass, so a stream ends as the next request would be refused). Its
 * connection is marked streaming in lib/httpguard, so the guard's idle
 * deadline and cap eviction never end a healthy stream. */
#ifndef RDSIM_LIVEFEED_H
#define RDSIM_LIVEFEED_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/core/region.h"

struct evhttp_request;
typedef struct httpguard httpguard;
typedef struct livefeed livefeed;

#define LIVEFEED_MAX_CLIENTS 16
#define LIVEFEED_MAX_BUFFERED (256 * 1024)
#define LIVEFEED_KEY_ID_MAX 32

/* Whether the session of access key key_id may still look (the key
 * exists and keeps its permission). */
typedef bool (*livefeed_session_fn)(void *arg, const char *key_id);

/* The feed (no client, no timer armed yet). guard is borrowed; still_ok
 * is asked about each stream's session every pass, and a stream whose
 * session has expired or is no longer ok is dropped. */
livefeed *livefeed_new(region *r, httpguard *guard, livefeed_session_fn still_ok, void *arg);

/* Answers req (whose session, of key_id until expires_s, the caller
 * checked; it may have set output headers): the stream's start and first
 * data, or 503 when full. */
void livefeed_open(livefeed *f, struct evhttp_request *req, const char *key_id,
                   int64_t expires_s);

/* How many clients are connected (tests, /healthz-like checks). */
int livefeed_clients(const livefeed *f);

/* Drops every client (frees their connections) and the feed; call
 * before evhttp_free. NULL is fine. */
void livefeed_free(livefeed *f);

#endif
