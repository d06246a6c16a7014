/* httpguard: see httpguard.h.
 *
 * A connection's phase, set only by hg_set_phase:
 *
 *   accept ──> HEAD ──(blank line)──> BODY ──(request_begin)──> BUSY
 *               ^                                                 │
 *               └──(a byte)── IDLE <──(the reply's first byte)────┘
 *
 * Invariants:
 *  1. g->open == the number of listed connections that are not closing;
 *  2. a BUSY connection has no deadline armed and is never evicted;
 *  3. a closing connection has had its socket shut down (or its timer
 *     armed to, at once) and is not in g->open; g->nclosing counts those
 *     closing for less than HG_STALE_MS;
 *  4. every listed connection holds one reference on its bufferevent, so
 *     the pointer stays valid after evhttp frees it; the tick (or a new
 *     connection over the cap) releases those evhttp has freed;
 *  5. a streaming connection (httpguard_request_stream) stays BUSY until
 *     evhttp frees it: its reply's bytes do not make it IDLE. */
#include "lib/httpguard.h"

#include "lib/fdguard.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum {
    HG_TICK_MS = 100,
    /* Connections closed but not yet freed by evhttp still hold their
     * descriptors; past this many the listener waits HG_DRAIN_MS for them,
     * so that one wakeup of libevent's accept loop (which accepts until
     * the backlog is empty) cannot take the descriptors reserved for the
     * rest of the process. */
    HG_CLOSING_MAX = 16,
    HG_DRAIN_MS = 20,
    /* A closing connection evhttp has not freed after this long no longer
     * counts (it must not stop the listener for good). */
    HG_STALE_MS = 1000,
};

typedef enum { HG_HEAD, HG_BODY, HG_BUSY, HG_IDLE } hg_phase;

typedef struct hg_conn {
    httpguard *g;
    struct bufferevent *bev; /* evhttp's connection; we hold a reference */
    struct event *timer;     /* the deadline, or the shutdown of a closing one */
    hg_phase phase;
    struct timeval since;    /* when the phase's clock started (closing: when closed) */
    bool closing;
    bool stale;              /* closing for HG_STALE_MS and still not freed */
    bool line_empty;         /* HEAD: the current header line has no byte yet */
    bool next_pending;       /* BUSY: bytes of a next request arrived */
    bool streaming;          /* BUSY until freed (httpguard_request_stream) */
    struct timeval next_since;
    struct hg_conn *prev, *next;
} hg_conn;

struct httpguard {
    struct event_base *base;
    struct evhttp *http;
    struct evconnlistener *lev;
    struct event *tick;  /* re-enables the listener, releases freed connections */
    struct event *drain; /* the same, once, HG_DRAIN_MS after a pause for closings */
    size_t nclosing;     /* listed connections closing for less than HG_STALE_MS */
    httpguard_config cfg;
    hg_conn *conns;
    httpguard_stats stats;
};

static void hg_ms_tv(unsigned ms, struct timeval *tv)
{
    tv->tv_sec = (time_t)(ms / 1000);
    tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

/* Arms c's timer to fire ms after c->since (at once if that has passed). */
static void hg_arm(hg_conn *c, unsigned ms)
{
    struct timeval now, end, left = {0, 0};
    event_base_gettimeofday_cached(c->g->base, &now);
    hg_ms_tv(ms, &end);
    timeradd(&c->since, &end, &end);
    if (timercmp(&end, &now, >))
        timersub(&end, &now, &left);
    event_add(c->timer, &left);
}

static void hg_set_phase(hg_conn *c, hg_phase p, const struct timeval *since)
{
    c->phase = p;
    c->since = *since;
    switch (p) {
    case HG_HEAD:
        c->line_empty = false;
        hg_arm(c, c->g->cfg.header_ms);
        break;
    case HG_BODY:
        hg_arm(c, c->g->cfg.request_ms);
        break;
    case HG_BUSY:
        event_del(c->timer);
        break;
    case HG_IDLE:
        hg_arm(c, c->g->cfg.idle_ms);
        break;
    }
}

/* Shuts the socket down (evhttp then frees the connection as for a
 * client that left); a connection whose socket evhttp has not set yet
 * gets it from the timer, at once. */
static void hg_close(hg_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    c->g->stats.open--;
    c->g->nclosing++;
    event_base_gettimeofday_cached(c->g->base, &c->since); /* for HG_STALE_MS */
    evutil_socket_t s = bufferevent_getfd(c->bev);
    if (s >= 0) {
        shutdown(s, SHUT_RDWR);
        event_del(c->timer);
    } else {
        struct timeval now = {0, 0};
        event_add(c->timer, &now);
    }
}

static void hg_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    hg_conn *c = arg;
    (void)fd;
    (void)what;
    if (!c->closing) {
        LOG_DEBUG("http connection deadline phase=%d", (int)c->phase);
        c->g->stats.timed_out++;
        hg_close(c);
        return;
    }
    evutil_socket_t s = bufferevent_getfd(c->bev);
    if (s >= 0)
        shutdown(s, SHUT_RDWR);
}

/* The connection to close for a new one over the cap: not closing, not
 * being answered, not `except` (may be NULL), and waiting the longest:
 * since its last reply (keep-alive idle) or the first byte of its
 * unfinished request. Not idle ones first: an agent's keep-alive
 * connection, idle a second between heartbeats, must outlive a flood of
 * connections that never finish a request. NULL if none. */
static hg_conn *hg_victim(httpguard *g, const hg_conn *except)
{
    hg_conn *best = NULL;
    for (hg_conn *c = g->conns; c; c = c->next) {
        if (c == except || c->closing || c->phase == HG_BUSY)
            continue;
        if (!best || timercmp(&c->since, &best->since, <=)) /* ties: the older */
            best = c;
    }
    return best;
}

/* Runs the blank-line scan over the n bytes at off: the request line and
 * headers end at an empty line ("\r\n\r\n" or "\n\n", as evhttp's
 * EVBUFFER_EOL_CRLF reads them). */
static bool hg_scan_head(hg_conn *c, struct evbuffer *buf, size_t off, size_t n)
{
    struct evbuffer_iovec v[8];
    struct evbuffer_ptr pos;
    size_t seen = 0;
    while (seen < n) {
        if (evbuffer_ptr_set(buf, &pos, off + seen, EVBUFFER_PTR_SET) != 0)
            return false;
        int k = evbuffer_peek(buf, (ev_ssize_t)(n - seen), &pos, v, 8);
        if (k <= 0)
            return false;
        for (int i = 0; i < k && i < 8 && seen < n; i++) {
            const unsigned char *p = v[i].iov_base;
            size_t len = v[i].iov_len < n - seen ? v[i].iov_len : n - seen;
            for (size_t j = 0; j < len; j++) {
                if (p[j] == '\n') {
                    if (c->line_empty)
                        return true;
                    c->line_empty = true;
                } else if (p[j] != '\r') {
                    c->line_empty = false;
                }
            }
            seen += len;
        }
    }
    return false;
}

/* Whether evhttp has freed the connection (bufferevent_free clears the
 * callbacks; evhttp keeps an event callback on a live one). The
 * bufferevent itself lives on through our reference. */
static bool hg_gone(const hg_conn *c)
{
    bufferevent_event_cb ecb = NULL;
    bufferevent_getcb(c->bev, NULL, NULL, &ecb, NULL);
    return ecb == NULL;
}

/* Bytes arrived (the socket's input buffer grew, before evhttp parses
 * them). */
static void hg_in_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    hg_conn *c = arg;
    if (info->n_added == 0 || !c->g || c->closing || hg_gone(c))
        return;
    struct timeval now;
    event_base_gettimeofday_cached(c->g->base, &now);
    size_t len = evbuffer_get_length(buf);
    size_t off = len >= info->n_added ? len - info->n_added : 0;
    if (c->phase == HG_IDLE)
        hg_set_phase(c, HG_HEAD, &now);
    if (c->phase == HG_HEAD && hg_scan_head(c, buf, off, info->n_added))
        hg_set_phase(c, HG_BODY, &c->since);
    else if (c->phase == HG_BUSY && !c->next_pending) {
        c->next_pending = true;
        c->next_since = now;
    }
}

/* Bytes queued for the client: the reply has started. */
static void hg_out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    hg_conn *c = arg;
    (void)buf;
    if (info->n_added == 0 || !c->g || c->closing || c->phase != HG_BUSY || c->streaming)
        return;
    /* The next request's clock, or idle. A pipelined request whose head
     * was not scanned gets the head's deadline from its first byte. */
    if (c->next_pending) {
        c->next_pending = false;
        hg_set_phase(c, HG_HEAD, &c->next_since);
    } else {
        struct timeval now;
        event_base_gettimeofday_cached(c->g->base, &now);
        hg_set_phase(c, HG_IDLE, &now);
    }
}

/* Drops our state and our reference (which closes the socket when evhttp
 * has let go of it too). */
static void hg_release(hg_conn *c)
{
    httpguard *g = c->g;
    if (c->prev)
        c->prev->next = c->next;
    else
        g->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->closing)
        g->nclosing -= !c->stale;
    else
        g->stats.open--;
    event_free(c->timer);
    evbuffer_remove_cb(bufferevent_get_input(c->bev), hg_in_cb, c);
    evbuffer_remove_cb(bufferevent_get_output(c->bev), hg_out_cb, c);
    bufferevent_decref(c->bev);
    free(c);
}

/* Releases every connection evhttp has freed. */
static void hg_sweep(httpguard *g)
{
    struct timeval now, stale;
    event_base_gettimeofday_cached(g->base, &now);
    hg_ms_tv(HG_STALE_MS, &stale);
    timersub(&now, &stale, &stale);
    for (hg_conn *c = g->conns, *next; c; c = next) {
        next = c->next;
        if (hg_gone(c)) {
            hg_release(c);
        } else if (c->closing && !c->stale && timercmp(&c->since, &stale, <)) {
            LOG_DEBUG("http connection closed but not freed after ms=%d", HG_STALE_MS);
            c->stale = true;
            g->nclosing--;
        }
    }
}

/* Stops accepting until the drain timer finds fewer closings. */
static void hg_pause_for_closing(httpguard *g)
{
    evconnlistener_disable(g->lev);
    if (!event_pending(g->drain, EV_TIMEOUT, NULL)) {
        struct timeval wait;
        hg_ms_tv(HG_DRAIN_MS, &wait);
        LOG_DEBUG("http listener paused for closing connections closing=%zu", g->nclosing);
        event_add(g->drain, &wait);
    }
}

/* evhttp's bevcb: a new connection (its socket is set just after). */
static struct bufferevent *hg_bevcb(struct event_base *base, void *arg)
{
    httpguard *g = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL; /* evhttp tries its own: unguarded, but served */
    hg_conn *c = xcalloc(1, sizeof *c);
    c->g = g;
    c->bev = bev;
    c->timer = evtimer_new(base, hg_timer_cb, c);
    if (!c->timer || !evbuffer_add_cb(bufferevent_get_input(bev), hg_in_cb, c) ||
        !evbuffer_add_cb(bufferevent_get_output(bev), hg_out_cb, c)) {
        LOG_WARN("http connection state allocation failed");
        if (c->timer)
            event_free(c->timer);
        bufferevent_free(bev);
        free(c);
        return NULL;
    }
    bufferevent_incref(bev); /* ours: see hg_gone */
    /* Before c is listed: evhttp sets its callbacks only after we return,
     * so until then it would look freed. */
    size_t cap = httpguard_cap(g);
    if (g->stats.open >= cap)
        hg_sweep(g);
    c->next = g->conns;
    if (g->conns)
        g->conns->prev = c;
    g->conns = c;
    g->stats.open++;
    g->stats.accepted++;
    struct timeval now;
    event_base_gettimeofday_cached(base, &now);
    hg_set_phase(c, HG_HEAD, &now);
    while (g->stats.open > cap) {
        hg_conn *v = hg_victim(g, c);
        if (!v) {
            LOG_DEBUG("http connection refused open=%zu cap=%zu: all busy", g->stats.open, cap);
            hg_close(c);
            break;
        }
        LOG_DEBUG("http connection evicted open=%zu cap=%zu closing=%zu phase=%d",
                  g->stats.open, cap, g->nclosing, (int)v->phase);
        g->stats.evicted++;
        hg_close(v);
    }
    if (g->nclosing >= HG_CLOSING_MAX)
        hg_pause_for_closing(g);
    return bev;
}

static void hg_accept_error(struct evconnlistener *lev, void *arg)
{
    (void)arg;
    int err = EVUTIL_SOCKET_ERROR();
    if (fdguard_exhausted(err)) {
        /* The resume timer turns it back on. */
        evconnlistener_disable(lev);
        LOG_WARN_RARE("http accept failed err=\"%s\": listener paused ms=%d", strerror(err),
                      HG_TICK_MS);
    } else {
        LOG_WARN_RARE("http accept failed err=\"%s\"", strerror(err));
    }
}

/* Every HG_TICK_MS, and HG_DRAIN_MS after a pause for closings: the
 * connections evhttp has freed released, the cap enforced again (the
 * descriptor limit may have dropped under what is open, and then accept
 * fails and no new connection comes to evict for), and the listener back
 * on after an accept pause, unless too many closings still hold
 * descriptors. */
static void hg_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    httpguard *g = arg;
    (void)fd;
    (void)what;
    hg_sweep(g);
    size_t cap = httpguard_cap(g);
    for (hg_conn *v; g->stats.open > cap && (v = hg_victim(g, NULL));) {
        g->stats.evicted++;
        hg_close(v);
    }
    if (g->nclosing >= HG_CLOSING_MAX)
        hg_pause_for_closing(g);
    else
        evconnlistener_enable(g->lev);
}

static struct evconnlistener *hg_listen(struct event_base *base, const char *addr,
                                        uint16_t port)
{
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    if (getaddrinfo(addr, portstr, &hints, &res) != 0 || !res) {
        LOG_ERROR("http listen address not understood addr=%s", addr);
        return NULL;
    }
    struct evconnlistener *lev = evconnlistener_new_bind(
        base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, -1,
        res->ai_addr, (int)res->ai_addrlen);
    freeaddrinfo(res);
    return lev;
}

httpguard *httpguard_bind(struct event_base *base, struct evhttp *http, const char *addr,
                          uint16_t port, const httpguard_config *cfg, uint16_t *bound)
{
    struct evconnlistener *lev = hg_listen(base, addr, port);
    if (!lev) {
        LOG_ERROR("http bind failed addr=%s port=%u err=\"%s\"", addr, port, strerror(errno));
        return NULL;
    }
    if (!evhttp_bind_listener(http, lev)) {
        LOG_ERROR("http bind failed addr=%s port=%u", addr, port);
        evconnlistener_free(lev);
        return NULL;
    }
    httpguard *g = xcalloc(1, sizeof *g);
    g->base = base;
    g->http = http;
    g->lev = lev;
    g->cfg = *cfg;
    g->tick = event_new(base, -1, EV_PERSIST, hg_tick_cb, g);
    g->drain = evtimer_new(base, hg_tick_cb, g);
    struct timeval every;
    hg_ms_tv(HG_TICK_MS, &every);
    event_add(g->tick, &every);
    evconnlistener_set_error_cb(lev, hg_accept_error);
    evhttp_set_bevcb(http, hg_bevcb, g);
    struct sockaddr_storage ss;
    socklen_t slen = sizeof ss;
    *bound = 0;
    if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&ss, &slen) == 0)
        *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                : ((struct sockaddr_in *)&ss)->sin_port);
    return g;
}

void httpguard_request_begin(httpguard *g, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    for (hg_conn *c = g->conns; bev && c; c = c->next) {
        if (c->bev != bev)
            continue;
        if (!c->closing) {
            struct timeval now;
            event_base_gettimeofday_cached(g->base, &now);
            c->next_pending = false;
            hg_set_phase(c, HG_BUSY, &now);
        }
        /* Answered most recently: the list stays in order of activity,
         * so the search for the next request is short. */
        if (c != g->conns) {
            c->prev->next = c->next;
            if (c->next)
                c->next->prev = c->prev;
            c->prev = NULL;
            c->next = g->conns;
            g->conns->prev = c;
            g->conns = c;
        }
        return;
    }
}

size_t httpguard_cap(const httpguard *g)
{
    return fdguard_budget(g->cfg.share_pct, g->cfg.min_conns, g->cfg.max_conns);
}

void httpguard_get_stats(const httpguard *g, httpguard_stats *out) { *out = g->stats; }

void httpguard_free(httpguard *g)
{
    if (!g)
        return;
    while (g->conns)
        hg_release(g->conns);
    event_free(g->tick);
    event_free(g->drain);
    free(g);
}

void httpguard_request_stream(httpguard *g, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    for (hg_conn *c = g->conns; bev && c; c = c->next) {
        if (c->bev == bev && !c->closing) {
            c->streaming = true;
            /* Called after the reply started, the connection went idle
             * with its deadline armed: back to being answered. */
            if (c->phase != HG_BUSY) {
                struct timeval now;
                event_base_gettimeofday_cached(g->base, &now);
                c->next_pending = false;
                hg_set_phase(c, HG_BUSY, &now);
            }
            return;
        }
    }
}
