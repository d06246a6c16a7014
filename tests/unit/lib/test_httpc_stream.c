/* lib/httpc's on_body (issue 17 part 4: rds-backup streams a restore's
 * object): a 2xx body arrives in pieces, every byte once and in order,
 * never whole; another status's body is not handed over; a piece refused
 * ends the request as a transport failure; a server that accepts and then
 * says nothing ends it at the idle deadline (status 0), never a hang. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/httpc.h"
#include "lib/tap.h"

#define BIG (3 * 1024 * 1024 + 17)

static unsigned char byte_at(size_t i) { return (unsigned char)((i * 131u + 7u) >> 3); }

static void serve(struct evhttp_request *req, void *arg)
{
    (void)arg;
    const char *path = evhttp_request_get_uri(req);
    struct evbuffer *out = evbuffer_new();
    if (strcmp(path, "/big") == 0) {
        unsigned char *b = malloc(BIG);
        for (size_t i = 0; i < BIG; i++)
            b[i] = byte_at(i);
        evbuffer_add(out, b, BIG);
        free(b);
        evhttp_send_reply(req, 200, "OK", out);
    } else {
        evbuffer_add_printf(out, "{\"error\":\"not authorized\"}");
        evhttp_send_reply(req, 403, "Forbidden", out);
    }
    evbuffer_free(out);
}

typedef struct {
    size_t got, pieces;
    bool in_order;
    bool refuse_after_first;
    int status, calls;
    size_t body_len;
} seen;

static bool on_body(const char *data, size_t len, void *arg)
{
    seen *s = arg;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)data[i] != byte_at(s->got + i))
            s->in_order = false;
    s->got += len;
    s->pieces++;
    return !(s->refuse_after_first && s->pieces >= 1);
}

static void on_done(int status, const char *body, size_t len, void *arg)
{
    (void)body;
    seen *s = arg;
    s->status = status;
    s->body_len = len;
    s->calls++;
}

static seen fetch(struct event_base *base, const char *url, bool refuse, int timeout_s)
{
    seen s = {.in_order = true, .refuse_after_first = refuse};
    httpc_opts o = {.method = "GET", .timeout_s = timeout_s, .on_body = on_body, .body_arg = &s};
    if (!httpc_request(base, url, &o, on_done, &s))
        return s;
    while (s.calls == 0)
        event_base_loop(base, EVLOOP_ONCE);
    return s;
}

int main(void)
{
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_gencb(http, serve, NULL);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl);
    int port = ntohs(sa.sin_port);
    char url[128];

    snprintf(url, sizeof url, "http://127.0.0.1:%d/big", port);
    seen s = fetch(base, url, false, 5);
    is_int(s.status, 200, "a large object: 200");
    is_int(s.got, BIG, "every byte handed to on_body");
    ok(s.in_order, "once each, in order");
    ok(s.pieces > 1, "in pieces, not whole");
    is_int(s.body_len, 0, "the callback's body is empty: nothing was collected");

    snprintf(url, sizeof url, "http://127.0.0.1:%d/other", port);
    s = fetch(base, url, false, 5);
    is_int(s.status, 403, "a refusal's status comes through");
    is_int(s.got, 0, "its body is not handed to on_body");

    snprintf(url, sizeof url, "http://127.0.0.1:%d/big", port);
    s = fetch(base, url, true, 5);
    is_int(s.status, 0, "a piece refused: a transport failure");
    is_int(s.pieces, 1, "and no piece after it");

    /* Accepted by the kernel (the backlog), never answered. */
    int silent = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in ls = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(silent, (struct sockaddr *)&ls, sizeof ls);
    listen(silent, 4);
    sl = sizeof ls;
    getsockname(silent, (struct sockaddr *)&ls, &sl);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/big", ntohs(ls.sin_port));
    s = fetch(base, url, false, 1);
    is_int(s.status, 0, "a silent server: a transport failure at the idle deadline");
    is_int(s.got, 0, "with nothing handed over");
    close(silent);

    evhttp_free(http);
    event_base_free(base);
    return done_testing();
}
