/* Unit tests for lib/httpguard: an evhttp server with short deadlines and
 * a cap of 4 runs in a child process; the parent is the client, over
 * real sockets: keep-alive, the head and body deadlines against a client
 * that trickles bytes, the keep-alive idle timeout, eviction of the
 * oldest idle connection at the cap, and the counters (GET /stats); then
 * lib/fdguard's budget under a few descriptor limits. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/fdguard.h"
#include "lib/httpguard.h"
#include "lib/log.h"
#include "lib/tap.h"

static const httpguard_config limits = {
    .header_ms = 300,
    .request_ms = 600,
    .idle_ms = 400,
    .share_pct = 75,
    .min_conns = 4,
    .max_conns = 4,
};

/* ---- the server (child) ---- */

typedef struct {
    struct event_base *base;
    httpguard *g;
} server;

static void on_request(struct evhttp_request *req, void *arg)
{
    server *sv = arg;
    httpguard *g = sv->g;
    httpguard_request_begin(g, req);
    struct evbuffer *b = evbuffer_new();
    httpguard_stats st;
    httpguard_get_stats(g, &st);
    const char *path = evhttp_request_get_uri(req);
    if (path && strcmp(path, "/stream") == 0) {
        /* Marked after the reply started (its first byte made the
         * connection idle): the stream must still be kept. */
        evhttp_send_reply_start(req, 200, "OK");
        httpguard_request_stream(g, req);
        evbuffer_add_printf(b, "tick\n");
        evhttp_send_reply_chunk(req, b);
        evbuffer_free(b);
        return;
    }
    if (path && strcmp(path, "/stats") == 0)
        evbuffer_add_printf(b, "open=%zu evicted=%llu timed_out=%llu\n", st.open,
                            (unsigned long long)st.evicted, (unsigned long long)st.timed_out);
    else
        evbuffer_add_printf(b, "hello\n");
    if (path && strcmp(path, "/quit") == 0)
        event_base_loopexit(sv->base, NULL);
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

static void serve(int port_pipe)
{
    log_set_level(LOG_LEVEL_ERROR);
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    server sv = {.base = base};
    evhttp_set_gencb(http, on_request, &sv);
    uint16_t port = 0;
    httpguard *g = httpguard_bind(base, http, "127.0.0.1", 0, &limits, &port);
    sv.g = g;
    if (write(port_pipe, &port, sizeof port) != sizeof port)
        _exit(1);
    struct timeval life = {8, 0};
    event_base_loopexit(base, &life);
    event_base_dispatch(base);
    evhttp_free(http);
    httpguard_free(g);
    event_base_free(base);
    _exit(0);
}

/* ---- the client (parent) ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_to(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    return fd >= 0 && write(fd, s, n) == (ssize_t)n;
}

/* Reads one reply (headers and a body of Content-Length) into out. */
static bool read_reply(int fd, char *out, size_t cap, int timeout_ms)
{
    size_t got = 0;
    out[0] = '\0';
    while (got + 1 < cap) {
        char *end = strstr(out, "\r\n\r\n");
        const char *cl = strstr(out, "Content-Length: ");
        if (end && cl && got >= (size_t)(end + 4 - out) + (size_t)atoi(cl + 16))
            return true;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) <= 0)
            return false;
        ssize_t r = read(fd, out + got, cap - 1 - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
        out[got] = '\0';
    }
    return false;
}

/* true when the peer closes within timeout_ms. */
static bool wait_eof(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0)
        return false;
    char b;
    ssize_t r = read(fd, &b, 1);
    return r == 0 || (r < 0 && errno == ECONNRESET);
}

/* Sends s a byte every 50 ms until the server closes; how long that took
 * (ms), or -1 if it never closed. */
static int64_t trickle(int fd, const char *s)
{
    int64_t t0 = mono_ms();
    for (size_t i = 0; s[i]; i++) {
        if (write(fd, s + i, 1) != 1 || wait_eof(fd, 50))
            return mono_ms() - t0;
    }
    return wait_eof(fd, 2000) ? mono_ms() - t0 : -1;
}

/* Reads until `want` has arrived (true) or timeout_ms of silence. */
static bool read_until(int fd, char *out, size_t cap, const char *want, int timeout_ms)
{
    size_t got = 0;
    out[0] = '\0';
    while (got + 1 < cap && !strstr(out, want)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) <= 0)
            return false;
        ssize_t r = read(fd, out + got, cap - 1 - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
        out[got] = '\0';
    }
    return strstr(out, want) != NULL;
}

static const char *GET = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    int pp[2];
    if (pipe(pp) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(pp[0]);
        serve(pp[1]);
    }
    close(pp[1]);
    uint16_t port = 0;
    if (read(pp[0], &port, sizeof port) != sizeof port || port == 0) {
        ok(false, "the server listens");
        return done_testing();
    }
    ok(true, "the server listens");
    char buf[4096];

    int fd = connect_to(port);
    bool first = send_all(fd, GET) && read_reply(fd, buf, sizeof buf, 2000);
    bool second = first && send_all(fd, GET) && read_reply(fd, buf, sizeof buf, 2000);
    ok(first && second && strstr(buf, "hello"), "two requests on one keep-alive connection");
    int64_t t0 = mono_ms();
    bool idle_closed = second && wait_eof(fd, 2000);
    int64_t idle = mono_ms() - t0;
    diag("idle close after %lld ms", (long long)idle);
    ok(idle_closed && idle >= 300 && idle < 1500, "an idle keep-alive connection closed (400 ms)");
    close(fd);

    fd = connect_to(port);
    int64_t head = fd >= 0 ? trickle(fd, "GET /x HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa"
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n")
                           : -1;
    diag("head trickle closed after %lld ms", (long long)head);
    ok(head >= 250 && head < 1200, "a head sent a byte per 50 ms is cut at the head deadline");
    close(fd);

    fd = connect_to(port);
    bool sent = send_all(fd, "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\n\r\n");
    int64_t body = sent ? trickle(fd, "0123456789012345678901234567890123456789") : -1;
    diag("body trickle closed after %lld ms", (long long)body);
    ok(body >= 400 && body < 1500, "a body sent a byte per 50 ms is cut at the request deadline");
    close(fd);

    /* The cap is 4: four silent connections, then a fifth that is served
     * while the oldest silent one is closed. */
    int held[4];
    for (int i = 0; i < 4; i++) {
        held[i] = connect_to(port);
        send_all(held[i], "G"); /* a request begun: HEAD, never finished */
        wait_eof(held[i], 20);  /* a pause so that their clocks differ */
    }
    fd = connect_to(port);
    bool served = send_all(fd, GET) && read_reply(fd, buf, sizeof buf, 2000);
    ok(served, "a fifth connection over the cap is served");
    ok(wait_eof(held[0], 200), "the oldest waiting connection was closed for it");
    struct pollfd p = {.fd = held[1], .events = POLLIN};
    ok(poll(&p, 1, 0) == 0, "the next one is still open");
    bool stats = send_all(fd, "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n") &&
                 read_reply(fd, buf, sizeof buf, 2000);
    unsigned long long evicted = 0, timed_out = 0;
    const char *e = stats ? strstr(buf, "evicted=") : NULL;
    const char *t = stats ? strstr(buf, "timed_out=") : NULL;
    if (e && t) {
        evicted = strtoull(e + 8, NULL, 10);
        timed_out = strtoull(t + 10, NULL, 10);
    }
    diag("evicted=%llu timed_out=%llu", evicted, timed_out);
    ok(evicted == 1, "stats: one connection evicted");
    ok(timed_out == 3, "stats: three connections timed out (idle, head, body)");
    for (int i = 0; i < 4; i++)
        close(held[i]);

    /* A stream (httpguard_request_stream): silent three times idle_ms,
     * neither timed out nor closed. */
    int sfd = connect_to(port);
    bool started = send_all(sfd, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n") &&
                   read_until(sfd, buf, sizeof buf, "tick", 2000);
    ok(started, "a stream started");
    ok(started && !wait_eof(sfd, 3 * (int)limits.idle_ms),
       "the stream outlives the idle deadline (3 x 400 ms)");
    close(sfd);
    close(fd); /* idle meanwhile: closed by its deadline, the fourth */
    fd = connect_to(port);
    stats = send_all(fd, "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n") &&
            read_reply(fd, buf, sizeof buf, 2000);
    t = stats ? strstr(buf, "timed_out=") : NULL;
    ok(t && strtoull(t + 10, NULL, 10) == 4,
       "stats: four timed out (the keep-alive idle meanwhile), never the stream");
    send_all(fd, "GET /quit HTTP/1.1\r\nHost: t\r\n\r\n");
    read_reply(fd, buf, sizeof buf, 2000);
    close(fd);

    int status = 0;
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the server stopped cleanly");

    /* fdguard: the shares of the descriptor budget follow the limit. */
    struct rlimit saved, rl;
    getrlimit(RLIMIT_NOFILE, &saved);
    rl = saved;
    rl.rlim_cur = 200;
    bool set = saved.rlim_max >= 200 && setrlimit(RLIMIT_NOFILE, &rl) == 0;
    is_int(set ? (long long)fdguard_budget(75, 32, 4096) : -1, 102,
           "limit 200: the API's share is 3/4 of 200 - 64");
    is_int(set ? (long long)fdguard_budget(25, 8, 256) : -1, 34, "limit 200: DNS's is 1/4");
    rl.rlim_cur = 40;
    set = setrlimit(RLIMIT_NOFILE, &rl) == 0;
    is_int(set ? (long long)fdguard_budget(75, 32, 4096) : -1, 32, "limit 40: the floor");
    /* 3/4 of (8192 - 1024) is over 4096 (a smaller hard limit: skipped). */
    rl.rlim_cur = 8192;
    set = saved.rlim_max >= 8192 && setrlimit(RLIMIT_NOFILE, &rl) == 0;
    if (set)
        is_int((long long)fdguard_budget(75, 32, 4096), 4096, "limit 8192: the ceiling");
    else
        ok(true, "limit 8192: the ceiling # SKIP hard limit under 8192");
    setrlimit(RLIMIT_NOFILE, &saved);
    ok(fdguard_exhausted(EMFILE) && fdguard_exhausted(ENFILE) && !fdguard_exhausted(ECONNABORTED),
       "EMFILE and ENFILE are exhaustion, ECONNABORTED is not");
    return done_testing();
}
