/* livefeed: see livefeed.h.
 *
 * Invariants:
 *  1. a slot with req != NULL is a live stream whose connection has our
 *     close callback; every way out of it (the client left, libevent's
 *     write timeout, a drop of ours, livefeed_free) goes through
 *     feed_forget, which clears the slot first;
 *  2. a client has been sent every event with id <= its last_id, once.
 */
#include "controlplane/api/livefeed.h"

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "controlplane/api/livedata.h"
#include "lib/httpguard.h"
#include "lib/log.h"
#include "lib/util.h"

#define FEED_TICK_MS 1000
#define FEED_KEEPALIVE_MS 15000
#define FEED_WRITE_TIMEOUT_S 30

typedef struct {
    livefeed *f;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    int64_t last_id; /* the newest event this client has been sent */
    char key_id[LIVEFEED_KEY_ID_MAX + 1]; /* the session's access key */
    int64_t expires_s;                    /* the session's end (epoch s) */
} feed_client;

struct livefeed {
    region *r;
    httpguard *guard;
    livefeed_session_fn still_ok;
    void *still_ok_arg;
    struct event *tick;
    feed_client clients[LIVEFEED_MAX_CLIENTS];
    int n;
    char *last_state;      /* the state document last sent (to send changes only) */
    int64_t last_beat_ms;  /* the last keep-alive comment */
    uint64_t dropped_slow; /* clients dropped for an output backlog */
};

/* Clears c's slot (invariant 1); the caller frees the connection or
 * libevent is freeing it. */
static void feed_forget(feed_client *c)
{
    if (!c->req)
        return;
    evhttp_connection_set_closecb(c->evcon, NULL, NULL);
    c->req = NULL;
    c->evcon = NULL;
    c->f->n--;
}

/* libevent is freeing the connection: the client left or timed out.
 * libevent 2.1 has then detached our unfinished request from it
 * (evhttp_connection_incoming_fail) and leaves it to us: ending the reply
 * of a request without a connection frees it. */
static void feed_on_close(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    feed_client *c = arg;
    struct evhttp_request *req = c->req;
    LOG_INFO("liveview stream closed clients=%d", c->f->n - 1);
    feed_forget(c);
    if (req && !evhttp_request_get_connection(req))
        evhttp_send_reply_end(req);
}

/* Ends c's stream now, whatever it has queued. */
static void feed_drop(feed_client *c)
{
    struct evhttp_connection *evcon = c->evcon;
    feed_forget(c);
    evhttp_connection_free(evcon);
}

static size_t feed_backlog(const feed_client *c)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

static void feed_queue(feed_client *c, const char *data, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, data, len);
    evhttp_send_reply_chunk(c->req, b);
    evbuffer_free(b);
}

/* Whether c is still reading: a client that has not taken what earlier
 * passes queued (more than LIVEFEED_MAX_BUFFERED left) is dropped (only
 * from the timer: a connection is never freed inside evhttp's own
 * callback). One pass's output is queued whole, so a client holds at most
 * the bound plus one pass (a state document and LIVEDATA_MAX_EVENTS). */
static bool feed_keeps_up(feed_client *c)
{
    size_t backlog = feed_backlog(c);
    if (backlog <= LIVEFEED_MAX_BUFFERED)
        return true;
    c->f->dropped_slow++;
    LOG_WARN("liveview stream dropped why=slow backlog=%zu dropped=%llu", backlog,
             (unsigned long long)c->f->dropped_slow);
    feed_drop(c);
    return false;
}

/* "event: NAME\ndata: JSON\n\n" (JSON printed unformatted has no
 * newline, so it is one data line whatever the strings hold). */
static char *feed_frame(const char *name, int64_t id, const char *json)
{
    if (id > 0)
        return xasprintf("id: %lld\nevent: %s\ndata: %s\n\n", (long long)id, name, json);
    return xasprintf("event: %s\ndata: %s\n\n", name, json);
}

/* Queues for c the events of list with id > c->last_id. */
static void feed_send_events(feed_client *c, const cJSON *list)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        int64_t id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "id"));
        if (id <= c->last_id)
            continue;
        char *json = cJSON_PrintUnformatted(e);
        char *frame = feed_frame("rds", id, json);
        feed_queue(c, frame, strlen(frame));
        free(frame);
        free(json);
        c->last_id = id;
    }
}

static void feed_arm(livefeed *f)
{
    struct timeval tv = {FEED_TICK_MS / 1000, (FEED_TICK_MS % 1000) * 1000};
    if (f->n > 0 && !evtimer_pending(f->tick, NULL))
        evtimer_add(f->tick, &tv);
}

static void feed_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    livefeed *f = arg;
    if (f->n == 0)
        return;
    int64_t from = INT64_MAX;
    for (int i = 0; i < LIVEFEED_MAX_CLIENTS; i++)
        if (f->clients[i].req && f->clients[i].last_id < from)
            from = f->clients[i].last_id;
    cJSON *events = livedata_events(f->r, from);
    cJSON *state = livedata_state(f->r);
    char *json = cJSON_PrintUnformatted(state);
    bool changed = !f->last_state || strcmp(f->last_state, json) != 0;
    char *frame = changed ? feed_frame("state", 0, json) : NULL;
    bool beat = mono_ms() - f->last_beat_ms >= FEED_KEEPALIVE_MS;
    if (beat)
        f->last_beat_ms = mono_ms();
    int64_t now_s = (int64_t)time(NULL);
    for (int i = 0; i < LIVEFEED_MAX_CLIENTS; i++) {
        feed_client *c = &f->clients[i];
        if (c->req && (now_s > c->expires_s || !f->still_ok(f->still_ok_arg, c->key_id))) {
            LOG_INFO("liveview stream dropped why=session key=%s", c->key_id);
            feed_drop(c);
        }
        if (!c->req || !feed_keeps_up(c))
            continue;
        feed_send_events(c, events);
        if (frame)
            feed_queue(c, frame, strlen(frame));
        if (beat)
            feed_queue(c, ": alive\n\n", 9);
    }
    free(f->last_state);
    f->last_state = json;
    free(frame);
    cJSON_Delete(state);
    cJSON_Delete(events);
    feed_arm(f);
}

livefeed *livefeed_new(region *r, httpguard *guard, livefeed_session_fn still_ok, void *arg)
{
    livefeed *f = xcalloc(1, sizeof *f);
    f->r = r;
    f->guard = guard;
    f->still_ok = still_ok;
    f->still_ok_arg = arg;
    f->tick = evtimer_new(r->base, feed_tick, f);
    f->last_beat_ms = mono_ms();
    return f;
}

int livefeed_clients(const livefeed *f)
{
    return f->n;
}

/* The client's Last-Event-ID (a browser reconnecting), or -1. */
static int64_t feed_resume_id(struct evhttp_request *req)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), "Last-Event-ID");
    if (!v || !*v || strlen(v) > 18 || strspn(v, "0123456789") != strlen(v))
        return -1;
    return strtoll(v, NULL, 10);
}

void livefeed_open(livefeed *f, struct evhttp_request *req, const char *key_id,
                   int64_t expires_s)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    feed_client *c = NULL;
    for (int i = 0; i < LIVEFEED_MAX_CLIENTS && !c; i++)
        if (!f->clients[i].req)
            c = &f->clients[i];
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (!c || !evcon) {
        evhttp_add_header(h, "Content-Type", "text/plain");
        evhttp_add_header(h, "Retry-After", "5");
        struct evbuffer *b = evbuffer_new();
        evbuffer_add_printf(b, "too many live view streams (at most %d)\n", LIVEFEED_MAX_CLIENTS);
        evhttp_send_reply(req, 503, "Service Unavailable", b);
        evbuffer_free(b);
        return;
    }
    *c = (feed_client){.f = f, .req = req, .evcon = evcon, .expires_s = expires_s};
    snprintf(c->key_id, sizeof c->key_id, "%s", key_id);
    f->n++;
    evhttp_add_header(h, "Content-Type", "text/event-stream");
    httpguard_request_stream(f->guard, req); /* before the first byte makes it idle */
    evhttp_send_reply_start(req, 200, "OK");
    evhttp_connection_set_closecb(evcon, feed_on_close, c);
    /* evhttp's timeout (30 s) is a read timeout too, and a stream's client
     * sends nothing: keep only the write one, so a client that stops
     * reading is dropped while one that only listens stays. */
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    struct timeval wt = {FEED_WRITE_TIMEOUT_S, 0};
    if (bev)
        bufferevent_set_timeouts(bev, NULL, &wt);
    int64_t resume = feed_resume_id(req);
    cJSON *events = livedata_events(f->r, resume);
    c->last_id = resume >= 0 ? resume : 0;
    cJSON *state = livedata_state(f->r);
    char *json = cJSON_PrintUnformatted(state);
    char *frame = feed_frame("state", 0, json);
    static const char hello[] = "retry: 2000\n\n";
    feed_queue(c, hello, sizeof hello - 1);
    feed_queue(c, frame, strlen(frame));
    feed_send_events(c, events);
    if (f->n == 1) {
        /* The only client has this state: the next pass sends changes. */
        free(f->last_state);
        f->last_state = json;
        json = NULL;
    }
    free(frame);
    free(json);
    cJSON_Delete(state);
    cJSON_Delete(events);
    LOG_INFO("liveview stream opened clients=%d", f->n);
    feed_arm(f);
}

void livefeed_free(livefeed *f)
{
    if (!f)
        return;
    for (int i = 0; i < LIVEFEED_MAX_CLIENTS; i++)
        if (f->clients[i].req)
            feed_drop(&f->clients[i]);
    event_free(f->tick);
    free(f->last_state);
    free(f);
}
