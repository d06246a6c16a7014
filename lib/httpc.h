/* httpc: a small HTTP/1.1 client on libevent's evhttp.
 *
 * Used by the agent (asynchronously, on its event loop) and by rdsctl
 * (synchronously). One request per connection; the connection is freed by
 * libevent when the request completes. */
#ifndef RDSIM_HTTPC_H
#define RDSIM_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;

/* Called exactly once. status is the HTTP status, or 0 when the request
 * failed in transport (refused, timed out, reset); body is NUL-terminated
 * and valid only during the call. */
typedef void (*httpc_cb)(int status, const char *body, size_t len, void *arg);
/* The same, with the reply's headers (NULL on a transport failure), valid
 * only during the call: for callers that authenticate the reply. */
struct evkeyvalq;
typedef void (*httpc_cb_h)(int status, const char *body, size_t len,
                           const struct evkeyvalq *headers, void *arg);

typedef struct {
    const char *method;       /* "GET" or "POST" (default POST) */
    const char *content_type; /* may be NULL */
    const char *accept;       /* may be NULL */
    const char *body;         /* may be NULL */
    size_t body_len;
    int timeout_s;            /* 0: 10 s; libevent's, per read or write (it resets
                               * on every byte) */
    int total_s;              /* 0: none; else the whole request (connect, send,
                               * headers, body) ends after this many seconds as a
                               * transport failure (status 0) however the peer
                               * trickles */
    size_t max_body;          /* 0: no cap; else a reply body longer than this
                               * ends the request as a transport failure
                               * (status 0), read no further */
    size_t max_headers;       /* 0: no cap; else the same for the reply headers */
    const char *const *headers; /* NULL, or name, value, ..., NULL: extra headers */
    const char *connect_addr; /* NULL: the URL's host; else the numeric address
                               * to connect to instead (the URL's host stays the
                               * Host header and TLS's SNI): a caller that
                               * resolved the name itself, so libevent never
                               * runs a blocking getaddrinfo */
    /* NULL: the reply body is collected and handed to the callback.
     * Else the body of a 2xx reply is handed here piece by piece as it
     * arrives (never held whole: a download of any size), and the
     * callback's body is empty; returning false stops the pieces and
     * ends the request as a transport failure (status 0). Another
     * status's body is dropped. */
    bool (*on_body)(const char *data, size_t len, void *arg);
    void *body_arg;
} httpc_opts;

/* Starts a request to url ("http://host:port/path" or "https://...").
 * https is TLS (libevent's OpenSSL bufferevent, SNI set) WITHOUT
 * certificate verification: it is for local receivers with self-signed
 * certificates, not for talking to the internet. Returns false (cb is not
 * called) for another scheme or a malformed URL. On true, cb is called
 * exactly once, and never before httpc_request has returned (a connect the
 * kernel refuses at once, e.g. on a blackhole route, is reported on a later
 * turn of the loop), so a caller may mark the request in flight after. */
bool httpc_request(struct event_base *base, const char *url, const httpc_opts *opts,
                   httpc_cb cb, void *arg);

/* httpc_request, calling cb with the reply's headers. */
bool httpc_request_h(struct event_base *base, const char *url, const httpc_opts *opts,
                     httpc_cb_h cb, void *arg);

/* Blocking form with its own event base. Returns the HTTP status (0 on
 * transport failure) and, if body_out is not NULL, the body, which the
 * caller frees. */
int httpc_request_sync(const char *url, const httpc_opts *opts, char **body_out,
                       size_t *len_out);

#endif
