/* server: UDP and TCP transport for the authoritative zone. See server.h.
 *
 * The transport only moves bytes; every answer comes from dns_process.
 * UDP reads and writes in batches (recvmmsg/sendmmsg) into buffers that
 * live in the server struct, so a query costs no allocation. TCP
 * (RFC 7766) runs one bufferevent per connection: 2-byte length-prefixed
 * messages, answered in order as they arrive (pipelining), an idle
 * timeout, a cap on connections and on unsent output per connection.
 *
 * The idle timeout is a timer of ours that only a complete query resets
 * (a bufferevent timeout restarts on every byte, so a client sending a
 * byte every few seconds would hold its connection for ever). At the cap
 * (a quarter of the descriptor budget, lib/fdguard.h, at most 256) a new
 * connection closes the one idle the longest, so a flood of silent
 * connections cannot lock clients out. When accept fails for want of
 * descriptors the listener pauses DNS_ACCEPT_PAUSE_MS instead of waking
 * the loop again at once for the same pending connection.
 *
 * Invariants:
 *  1. s->nconns == length of the s->conns list <= the cap;
 *  2. a connection whose output exceeds DNS_TCP_OUT_MAX reads nothing
 *     more until its output drains (a client that does not read cannot
 *     make us buffer without bound);
 *  3. input never exceeds two maximal messages (read high watermark). */
#include "dns/server.h"

#include "dns/process.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "lib/fdguard.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    DNS_UDP_BATCH = 32,          /* datagrams per recvmmsg */
    DNS_UDP_ROUNDS = 4,          /* batches per wakeup, then let other events run */
    DNS_UDP_RECV_MAX = 4096,     /* a longer query is cut and answered FORMERR */
    DNS_TCP_CONN_MAX = 256,
    DNS_TCP_CONN_SHARE = 25, /* percent of the descriptor budget */
    DNS_TCP_CONN_MIN = 8,
    DNS_ACCEPT_PAUSE_MS = 100,
    DNS_TCP_IDLE_SEC = 10,
    DNS_TCP_MSG_MAX = 65535,
    DNS_TCP_OUT_MAX = 256 * 1024,
    DNS_BIND_TRIES = 8,
};

typedef struct dns_conn {
    dns_server *s;
    struct bufferevent *bev;
    struct event *idle;      /* closes the connection; reset by a complete query */
    struct timeval last;     /* accept, or the last complete query */
    bool closing; /* peer sent EOF: flush the answers, then close */
    bool paused;  /* reading stopped until the output drains */
    struct dns_conn *prev, *next;
} dns_conn;

struct dns_server {
    struct event_base *base;
    zone *z;
    uint16_t port;
    int udp_fd;
    struct event *udp_ev;
    struct evconnlistener *listener;
    struct event *resume;    /* re-enables the listener after an accept pause */
    dns_conn *conns;
    size_t nconns;
    dns_server_stats stats;
    struct timeval tcp_idle;
    size_t tcp_max;          /* the cap's ceiling; the budget may lower it */
    /* UDP batch state, reused for every wakeup. */
    struct mmsghdr rx[DNS_UDP_BATCH], tx[DNS_UDP_BATCH];
    struct iovec rx_iov[DNS_UDP_BATCH], tx_iov[DNS_UDP_BATCH];
    struct sockaddr_storage peer[DNS_UDP_BATCH];
    uint8_t rx_buf[DNS_UDP_BATCH][DNS_UDP_RECV_MAX];
    uint8_t tx_buf[DNS_UDP_BATCH][DNS_UDP_PAYLOAD_MAX];
    /* One TCP answer at a time (the loop is single-threaded). */
    uint8_t tcp_out[2 + DNS_TCP_MSG_MAX];
};

/* ---- UDP ---- */

static bool dns_peer_port_zero(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *)ss)->sin_port == 0;
    if (ss->ss_family == AF_INET6)
        return ((const struct sockaddr_in6 *)ss)->sin6_port == 0;
    return true;
}

static void dns_udp_cb(evutil_socket_t fd, short what, void *arg)
{
    dns_server *s = arg;
    (void)what;
    for (int round = 0; round < DNS_UDP_ROUNDS; round++) {
        for (int i = 0; i < DNS_UDP_BATCH; i++) {
            s->rx_iov[i] = (struct iovec){s->rx_buf[i], DNS_UDP_RECV_MAX};
            s->rx[i].msg_hdr = (struct msghdr){
                .msg_name = &s->peer[i],
                .msg_namelen = sizeof s->peer[i],
                .msg_iov = &s->rx_iov[i],
                .msg_iovlen = 1,
            };
        }
        int n = recvmmsg(fd, s->rx, DNS_UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                LOG_WARN("dns udp recvmmsg failed err=\"%s\"", strerror(errno));
            return;
        }
        int out = 0;
        s->stats.udp_queries += (uint64_t)n;
        for (int i = 0; i < n; i++) {
            if (dns_peer_port_zero(&s->peer[i])) {
                s->stats.dropped++; /* cannot be answered; likely spoofed */
                continue;
            }
            dns_answer kind;
            size_t len = dns_process_answer(s->rx_buf[i], s->rx[i].msg_len, s->z, false,
                                            s->tx_buf[out], DNS_UDP_PAYLOAD_MAX, &kind);
            LOG_DEBUG("dns query proto=udp len=%u answer=%s rlen=%zu", s->rx[i].msg_len,
                      dns_answer_name(kind), len);
            if (len == 0) {
                s->stats.dropped++;
                continue;
            }
            s->stats.answers++;
            s->tx_iov[out] = (struct iovec){s->tx_buf[out], len};
            s->tx[out].msg_hdr = (struct msghdr){
                .msg_name = &s->peer[i],
                .msg_namelen = s->rx[i].msg_hdr.msg_namelen,
                .msg_iov = &s->tx_iov[out],
                .msg_iovlen = 1,
            };
            out++;
        }
        for (int sent = 0; sent < out;) {
            int m = sendmmsg(fd, s->tx + sent, (unsigned)(out - sent), MSG_DONTWAIT);
            if (m <= 0) {
                /* A full socket buffer drops answers, as a lost datagram
                 * would; the client retries. */
                if (m < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                    LOG_DEBUG("dns udp sendmmsg failed err=\"%s\"", strerror(errno));
                break;
            }
            sent += m;
        }
        if (n < DNS_UDP_BATCH)
            return;
    }
}

/* ---- TCP ---- */

static void dns_conn_free(dns_conn *c)
{
    dns_server *s = c->s;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    event_free(c->idle);
    bufferevent_free(c->bev);
    free(c);
}

/* Answers every complete message in the input, in order. */
static void dns_conn_read_cb(struct bufferevent *bev, void *arg)
{
    dns_conn *c = arg;
    dns_server *s = c->s;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer *out = bufferevent_get_output(bev);
    while (!c->paused) {
        size_t have = evbuffer_get_length(in);
        uint8_t pfx[2];
        if (have < 2 || evbuffer_copyout(in, pfx, 2) != 2)
            return;
        size_t n = ((size_t)pfx[0] << 8) | pfx[1];
        if (have < 2 + n)
            return;
        const uint8_t *msg = evbuffer_pullup(in, (ssize_t)(2 + n));
        if (!msg)
            return;
        dns_answer kind;
        size_t len = dns_process_answer(msg + 2, n, s->z, true, s->tcp_out + 2, DNS_TCP_MSG_MAX,
                                        &kind);
        evbuffer_drain(in, 2 + n);
        LOG_DEBUG("dns query proto=tcp len=%zu answer=%s rlen=%zu", n, dns_answer_name(kind),
                  len);
        s->stats.tcp_queries++;
        event_base_gettimeofday_cached(s->base, &c->last);
        event_add(c->idle, &s->tcp_idle);
        if (len == 0)
            s->stats.dropped++;
        if (len > 0) {
            s->stats.answers++;
            s->tcp_out[0] = (uint8_t)(len >> 8);
            s->tcp_out[1] = (uint8_t)len;
            bufferevent_write(bev, s->tcp_out, len + 2);
        }
        if (evbuffer_get_length(out) > DNS_TCP_OUT_MAX) {
            c->paused = true;
            bufferevent_disable(bev, EV_READ);
        }
    }
}

/* Output drained (low watermark 0): resume reading, or finish closing. */
static void dns_conn_write_cb(struct bufferevent *bev, void *arg)
{
    dns_conn *c = arg;
    if (c->closing) {
        dns_conn_free(c);
        return;
    }
    if (c->paused) {
        c->paused = false;
        bufferevent_enable(bev, EV_READ);
        dns_conn_read_cb(bev, c);
    }
}

static void dns_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    dns_conn *c = arg;
    if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
        evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
        c->closing = true; /* the write callback closes once flushed */
        bufferevent_disable(bev, EV_READ);
        return;
    }
    dns_conn_free(c);
}

static void dns_conn_idle_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    LOG_DEBUG("dns tcp idle timeout");
    dns_conn_free(arg);
}

/* The connection idle the longest (NULL if none). */
static dns_conn *dns_conn_oldest(dns_server *s)
{
    dns_conn *best = NULL;
    for (dns_conn *c = s->conns; c; c = c->next)
        if (!best || timercmp(&c->last, &best->last, <=)) /* ties: the older */
            best = c;
    return best;
}

static void dns_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    dns_server *s = arg;
    (void)l;
    (void)sa;
    (void)salen;
    size_t cap = fdguard_budget(DNS_TCP_CONN_SHARE, DNS_TCP_CONN_MIN, s->tcp_max);
    while (s->nconns >= cap && s->conns) {
        LOG_DEBUG("dns tcp connection evicted open=%zu max=%zu", s->nconns, cap);
        s->stats.tcp_evicted++;
        dns_conn_free(dns_conn_oldest(s));
    }
    struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    struct event *idle = evtimer_new(s->base, dns_conn_idle_cb, NULL);
    if (!bev || !idle) {
        LOG_WARN("dns tcp connection allocation failed");
        if (idle)
            event_free(idle);
        if (bev)
            bufferevent_free(bev);
        else
            evutil_closesocket(fd);
        return;
    }
    dns_conn *c = xcalloc(1, sizeof *c);
    c->s = s;
    c->bev = bev;
    c->idle = idle;
    event_assign(idle, s->base, -1, 0, dns_conn_idle_cb, c);
    event_base_gettimeofday_cached(s->base, &c->last);
    event_add(idle, &s->tcp_idle);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    s->stats.tcp_accepted++;
    /* Two maximal messages: a complete one is always readable. */
    bufferevent_setwatermark(bev, EV_READ, 0, 2 * (2 + DNS_TCP_MSG_MAX));
    bufferevent_setcb(bev, dns_conn_read_cb, dns_conn_write_cb, dns_conn_event_cb, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void dns_accept_error_cb(struct evconnlistener *l, void *arg)
{
    dns_server *s = arg;
    int err = EVUTIL_SOCKET_ERROR();
    if (fdguard_exhausted(err)) {
        evconnlistener_disable(l);
        struct timeval pause = {0, DNS_ACCEPT_PAUSE_MS * 1000};
        event_add(s->resume, &pause);
        LOG_WARN_RARE("dns tcp accept failed err=\"%s\": listener paused ms=%d", strerror(err),
                      DNS_ACCEPT_PAUSE_MS);
    } else {
        LOG_WARN_RARE("dns tcp accept failed err=\"%s\"", strerror(err));
    }
}

static void dns_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    dns_server *s = arg;
    (void)fd;
    (void)what;
    evconnlistener_enable(s->listener);
}

/* ---- setup ---- */

static void dns_set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static bool dns_parse_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss,
                           socklen_t *sslen)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST, .ai_family = AF_UNSPEC};
    struct addrinfo *res = NULL;
    if (getaddrinfo(addr, NULL, &hints, &res) != 0 || !res) {
        LOG_ERROR("dns invalid listen address addr=\"%s\"", addr);
        return false;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    dns_set_port(ss, port);
    return true;
}

static uint16_t dns_sock_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Binds TCP (listening) and UDP on the same port; with port 0 the kernel
 * picks the TCP port and UDP follows, retried if UDP's is taken. */
static bool dns_bind(dns_server *s, const char *addr, uint16_t port, int *tcp_out)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (!dns_parse_addr(addr, port, &ss, &sslen))
        return false;
    for (int attempt = 0; attempt < DNS_BIND_TRIES; attempt++) {
        int one = 1;
        int tfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (tfd < 0) {
            LOG_ERROR("dns socket failed err=\"%s\"", strerror(errno));
            return false;
        }
        setsockopt(tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        dns_set_port(&ss, port);
        if (bind(tfd, (struct sockaddr *)&ss, sslen) != 0 || listen(tfd, 128) != 0) {
            LOG_ERROR("dns tcp bind failed addr=%s port=%u err=\"%s\"", addr, port,
                      strerror(errno));
            close(tfd);
            return false;
        }
        uint16_t got = dns_sock_port(tfd);
        int ufd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        dns_set_port(&ss, got);
        if (ufd >= 0 && bind(ufd, (struct sockaddr *)&ss, sslen) == 0) {
            s->udp_fd = ufd;
            s->port = got;
            *tcp_out = tfd;
            return true;
        }
        int err = errno;
        if (ufd >= 0)
            close(ufd);
        close(tfd);
        if (port != 0 || err != EADDRINUSE) {
            LOG_ERROR("dns udp bind failed addr=%s port=%u err=\"%s\"", addr, got,
                      strerror(err));
            return false;
        }
    }
    LOG_ERROR("dns no port free for both udp and tcp addr=%s tries=%d", addr, DNS_BIND_TRIES);
    return false;
}

dns_server *dns_server_new(struct event_base *base, zone *z, const char *addr, uint16_t port)
{
    dns_server *s = xcalloc(1, sizeof *s);
    s->base = base;
    s->z = z;
    s->udp_fd = -1;
    s->tcp_idle = (struct timeval){DNS_TCP_IDLE_SEC, 0};
    s->tcp_max = DNS_TCP_CONN_MAX;
    int tfd = -1;
    if (!dns_bind(s, addr, port, &tfd)) {
        free(s);
        return NULL;
    }
    s->listener = evconnlistener_new(base, dns_accept_cb, s, LEV_OPT_CLOSE_ON_FREE, 0, tfd);
    s->udp_ev = event_new(base, s->udp_fd, EV_READ | EV_PERSIST, dns_udp_cb, s);
    s->resume = evtimer_new(base, dns_resume_cb, s);
    if (!s->listener || !s->udp_ev || !s->resume || event_add(s->udp_ev, NULL) != 0) {
        LOG_ERROR("dns cannot register sockets with the event loop");
        if (!s->listener)
            close(tfd);
        dns_server_free(s);
        return NULL;
    }
    evconnlistener_set_error_cb(s->listener, dns_accept_error_cb);
    LOG_INFO("dns listening addr=%s port=%u zone=%s", addr, s->port, zone_apex(z));
    return s;
}

uint16_t dns_server_port(const dns_server *s) { return s->port; }

void dns_server_set_tcp_idle_ms(dns_server *s, unsigned ms)
{
    s->tcp_idle = (struct timeval){(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
}

void dns_server_get_stats(const dns_server *s, dns_server_stats *out) { *out = s->stats; }

void dns_server_free(dns_server *s)
{
    if (!s)
        return;
    while (s->conns)
        dns_conn_free(s->conns);
    if (s->listener)
        evconnlistener_free(s->listener);
    if (s->resume)
        event_free(s->resume);
    if (s->udp_ev)
        event_free(s->udp_ev);
    if (s->udp_fd >= 0)
        close(s->udp_fd);
    free(s);
}
