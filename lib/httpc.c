/* httpc: see httpc.h. */
#include "lib/httpc.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

typedef struct {
    httpc_cb cb;
    httpc_cb_h cb_h; /* instead of cb when set */
    void *arg;
    struct event_base *base;
    struct evhttp_connection *conn;
    struct event *deadline; /* total_s, or NULL */
    bool starting;          /* inside evhttp_make_request */
    bool failed_early;      /* it failed the request before returning */
    bool (*on_body)(const char *data, size_t len, void *arg); /* httpc_opts.on_body */
    void *body_arg;
    bool body_failed;       /* on_body said stop */
} httpc_call;

/* The connection is freed here, on a later turn of the loop: never inside
 * its own request's callback, and on every outcome (libevent's
 * free-on-completion misses a refused connect). */
static void httpc_free_conn(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    evhttp_connection_free(arg);
}

/* The caller hears, on this later turn, of a request libevent failed
 * inside evhttp_make_request (httpc_start). */
/* The caller hears of a transport failure and the call ends with its
 * connection (and any pending request, which libevent frees silently). */
static void httpc_abandon(httpc_call *call)
{
    if (call->cb_h)
        call->cb_h(0, "", 0, NULL, call->arg);
    else
        call->cb(0, "", 0, call->arg);
    evhttp_connection_free(call->conn);
    free(call);
}

static void httpc_fail_later(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    httpc_abandon(arg);
}

/* Hands what the input buffer holds to on_body (a 2xx reply only). */
static void httpc_body_pieces(httpc_call *call, struct evhttp_request *req)
{
    int status = evhttp_request_get_response_code(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    if (status < 200 || status > 299 || call->body_failed) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    while (evbuffer_get_length(in) > 0 && !call->body_failed) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        if (!call->on_body(v.iov_base, v.iov_len, call->body_arg))
            call->body_failed = true;
        evbuffer_drain(in, v.iov_len);
    }
}

/* libevent's piece of a body as it arrives (it drains the buffer after). */
static void httpc_chunk(struct evhttp_request *req, void *arg)
{
    httpc_body_pieces(arg, req);
}

static void httpc_done(struct evhttp_request *req, void *arg)
{
    httpc_call *call = arg;
    /* libevent runs this at once when the connect fails inside
     * evhttp_make_request (and returns 0): the caller has not yet heard
     * that its request started, so it must not hear that it ended. */
    if (call->starting) {
        call->failed_early = true;
        return;
    }
    if (call->deadline)
        event_free(call->deadline);
    int status = req ? evhttp_request_get_response_code(req) : 0;
    /* libevent keeps a Content-Length body's last piece for here. */
    if (req && status > 0 && call->on_body) {
        httpc_body_pieces(call, req);
        if (call->body_failed)
            status = 0;
    }
    sbuf body = {0};
    if (req && status > 0) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t n = evbuffer_get_length(in);
        if (n > 0)
            sbuf_append(&body, (const char *)evbuffer_pullup(in, (ssize_t)n), n);
    }
    if (call->cb_h)
        call->cb_h(status, body.data ? body.data : "", body.len,
                   req && status > 0 ? evhttp_request_get_input_headers(req) : NULL, call->arg);
    else
        call->cb(status, body.data ? body.data : "", body.len, call->arg);
    sbuf_free(&body);
    const struct timeval now = {0, 0};
    if (event_base_once(call->base, -1, EV_TIMEOUT, httpc_free_conn, call->conn, &now) != 0)
        LOG_ERROR("cannot schedule an HTTP connection's release");
    free(call);
}

/* The total deadline passed: the caller hears of a transport failure and
 * the connection goes now, with its request (libevent frees a pending
 * request with its connection and calls nothing). Not inside the
 * request's own callback: this is the timer's. */
static void httpc_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    httpc_call *call = arg;
    event_free(call->deadline);
    call->deadline = NULL;
    LOG_WARN("http request past its total deadline: abandoned");
    httpc_abandon(call);
}

/* A TLS bufferevent for host (SNI), or NULL. The SSL goes with the
 * bufferevent (BEV_OPT_CLOSE_ON_FREE), which goes with the connection. */
static struct bufferevent *httpc_tls_bev(struct event_base *base, const char *host)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = ctx ? SSL_new(ctx) : NULL;
    SSL_CTX_free(ctx); /* the SSL holds its own reference */
    if (!ssl)
        return NULL;
    SSL_set_tlsext_host_name(ssl, host);
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        SSL_free(ssl);
        return NULL;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

static bool httpc_start(struct event_base *base, const char *url, const httpc_opts *opts,
                        httpc_cb cb, httpc_cb_h cb_h, void *arg)
{
    struct evhttp_uri *uri = evhttp_uri_parse(url);
    if (!uri) {
        LOG_ERROR("bad url url=%s", url);
        return false;
    }
    const char *scheme = evhttp_uri_get_scheme(uri);
    const char *host = evhttp_uri_get_host(uri);
    int port = evhttp_uri_get_port(uri);
    bool tls = scheme && strcmp(scheme, "https") == 0;
    if (!scheme || (!tls && strcmp(scheme, "http") != 0) || !host) {
        LOG_ERROR("only http and https urls are supported url=%s", url);
        evhttp_uri_free(uri);
        return false;
    }
    if (port < 0)
        port = tls ? 443 : 80;
    struct bufferevent *bev = tls ? httpc_tls_bev(base, host) : NULL;
    if (tls && !bev) {
        LOG_ERROR("cannot set up TLS url=%s", url);
        evhttp_uri_free(uri);
        return false;
    }
    const char *path = evhttp_uri_get_path(uri);
    const char *query = evhttp_uri_get_query(uri);
    char *target = xasprintf("%s%s%s", (path && *path) ? path : "/", query ? "?" : "",
                             query ? query : "");
    struct evhttp_connection *conn =
        evhttp_connection_base_bufferevent_new(base, NULL, bev,
                                               opts->connect_addr ? opts->connect_addr : host,
                                               (unsigned short)port);
    evhttp_connection_set_timeout(conn, opts->timeout_s > 0 ? opts->timeout_s : 10);
    evhttp_connection_set_retries(conn, 0);
    if (opts->max_body > 0)
        evhttp_connection_set_max_body_size(conn, (ev_ssize_t)opts->max_body);
    if (opts->max_headers > 0)
        evhttp_connection_set_max_headers_size(conn, (ev_ssize_t)opts->max_headers);
    httpc_call *call = xcalloc(1, sizeof *call);
    call->cb = cb;
    call->cb_h = cb_h;
    call->arg = arg;
    call->base = base;
    call->conn = conn;
    call->on_body = opts->on_body;
    call->body_arg = opts->body_arg;
    struct evhttp_request *req = evhttp_request_new(httpc_done, call);
    if (opts->on_body)
        evhttp_request_set_chunked_cb(req, httpc_chunk);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char hostport[300];
    snprintf(hostport, sizeof hostport, "%s:%d", host, port);
    evhttp_add_header(h, "Host", hostport);
    evhttp_add_header(h, "Connection", "close");
    if (opts->content_type)
        evhttp_add_header(h, "Content-Type", opts->content_type);
    if (opts->accept)
        evhttp_add_header(h, "Accept", opts->accept);
    for (const char *const *kv = opts->headers; kv && kv[0] && kv[1]; kv += 2)
        evhttp_add_header(h, kv[0], kv[1]);
    if (opts->body)
        evbuffer_add(evhttp_request_get_output_buffer(req), opts->body, opts->body_len);
    enum evhttp_cmd_type cmd =
        (opts->method && strcmp(opts->method, "GET") == 0) ? EVHTTP_REQ_GET : EVHTTP_REQ_POST;
    /* On failure evhttp_make_request frees req and calls nothing. */
    call->starting = true;
    int started = evhttp_make_request(conn, req, cmd, target);
    call->starting = false;
    if (started == 0 && call->failed_early) {
        const struct timeval now = {0, 0};
        if (event_base_once(base, -1, EV_TIMEOUT, httpc_fail_later, call, &now) != 0)
            LOG_ERROR("cannot schedule a failed HTTP request's report url=%s", url);
        free(target);
        evhttp_uri_free(uri);
        return true;
    }
    if (started != 0) {
        free(call);
        evhttp_connection_free(conn);
        free(target);
        evhttp_uri_free(uri);
        LOG_ERROR("request failed to start url=%s", url);
        return false;
    }
    if (opts->total_s > 0) {
        const struct timeval tv = {opts->total_s, 0};
        call->deadline = evtimer_new(base, httpc_deadline, call);
        if (!call->deadline || evtimer_add(call->deadline, &tv) != 0)
            LOG_ERROR("cannot arm an HTTP request's deadline url=%s", url);
    }
    free(target);
    evhttp_uri_free(uri);
    return true;
}

bool httpc_request(struct event_base *base, const char *url, const httpc_opts *opts,
                   httpc_cb cb, void *arg)
{
    return httpc_start(base, url, opts, cb, NULL, arg);
}

bool httpc_request_h(struct event_base *base, const char *url, const httpc_opts *opts,
                     httpc_cb_h cb, void *arg)
{
    return httpc_start(base, url, opts, NULL, cb, arg);
}

typedef struct {
    int status;
    char *body;
    size_t len;
    struct event_base *base;
} httpc_sync;

static void httpc_sync_done(int status, const char *body, size_t len, void *arg)
{
    httpc_sync *s = arg;
    s->status = status;
    s->body = xstrndup(body, len);
    s->len = len;
}

int httpc_request_sync(const char *url, const httpc_opts *opts, char **body_out,
                       size_t *len_out)
{
    httpc_sync s = {0};
    s.base = event_base_new();
    if (!s.base)
        return 0;
    if (!httpc_request(s.base, url, opts, httpc_sync_done, &s)) {
        event_base_free(s.base);
        return 0;
    }
    /* Returns once the request is answered and its connection released:
     * nothing else lives on this private base. */
    event_base_dispatch(s.base);
    event_base_free(s.base);
    if (body_out)
        *body_out = s.body ? s.body : xstrdup("");
    else
        free(s.body);
    if (len_out)
        *len_out = s.len;
    return s.status;
}
