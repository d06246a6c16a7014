/* resolver: see resolver.h.
 *
 * c-ares tells us which sockets it wants watched (the sock-state
 * callback); each gets a libevent event, and one timer follows
 * ares_timeout. A lookup's answer is copied into a pending record and its
 * callback called from a zero-delay event_base_once, so that no caller is
 * re-entered from inside resolver_lookup (c-ares answers literals and
 * hosts-file names synchronously). */
#include "lib/resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

#define RESOLVER_MAX_SOCKS 16

typedef struct {
    ares_socket_t fd;
    struct event *ev;
} watched;

struct resolver {
    struct event_base *base;
    ares_channel ch;
    struct event *timer;
    watched socks[RESOLVER_MAX_SOCKS];
    int n;
};

typedef struct {
    resolver_cb cb;
    void *arg;
    struct event_base *base;
    bool ok;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char error[80];
} lookup;

static void resolver_rearm(resolver *rs)
{
    struct timeval max = {RESOLVER_TIMEOUT_MS / 1000 + 1, 0}, tv;
    struct timeval *t = ares_timeout(rs->ch, &max, &tv);
    evtimer_add(rs->timer, t);
}

static bool library_ready(void);

static void on_sock(evutil_socket_t fd, short what, void *arg)
{
    resolver *rs = arg;
    ares_process_fd(rs->ch, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
                    (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
    resolver_rearm(rs);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    resolver *rs = arg;
    ares_process_fd(rs->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    resolver_rearm(rs);
}

/* c-ares's sock-state callback: watch fd for what it wants, or stop. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    resolver *rs = data;
    int i = 0;
    while (i < rs->n && rs->socks[i].fd != fd)
        i++;
    if (i < rs->n) {
        event_free(rs->socks[i].ev);
        rs->socks[i] = rs->socks[--rs->n];
    }
    if (!readable && !writable)
        return;
    if (rs->n == RESOLVER_MAX_SOCKS) {
        LOG_ERROR("resolver: too many name-server sockets fd=%d", (int)fd);
        return; /* the lookup times out through the timer */
    }
    short what = (short)(EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));
    struct event *ev = event_new(rs->base, fd, what, on_sock, rs);
    if (!ev || event_add(ev, NULL) != 0) {
        LOG_ERROR("resolver: cannot watch fd=%d", (int)fd);
        if (ev)
            event_free(ev);
        return;
    }
    rs->socks[rs->n++] = (watched){fd, ev};
}

resolver *resolver_new(struct event_base *base, const char *servers)
{
    if (!library_ready())
        return NULL;
    resolver *rs = xcalloc(1, sizeof *rs);
    rs->base = base;
    struct ares_options o = {0};
    o.sock_state_cb = sock_state;
    o.sock_state_cb_data = rs;
    o.timeout = RESOLVER_TIMEOUT_MS;
    o.tries = RESOLVER_TRIES;
    int rc = ares_init_options(&rs->ch, &o,
                               ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) {
        LOG_ERROR("resolver: ares_init_options: %s", ares_strerror(rc));
        free(rs);
        return NULL;
    }
    if (servers && *servers && (rc = ares_set_servers_ports_csv(rs->ch, servers)) != ARES_SUCCESS) {
        LOG_ERROR("resolver: bad name servers servers=%s: %s", servers, ares_strerror(rc));
        ares_destroy(rs->ch);
        free(rs);
        return NULL;
    }
    rs->timer = evtimer_new(base, on_timer, rs);
    return rs;
}

void resolver_free(resolver *rs)
{
    if (!rs)
        return;
    ares_destroy(rs->ch); /* calls the pending callbacks with ARES_EDESTRUCTION */
    for (int i = 0; i < rs->n; i++)
        event_free(rs->socks[i].ev);
    event_free(rs->timer);
    free(rs);
}

static void deliver(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lookup *l = arg;
    l->cb(l->ok, l->ok ? (const struct sockaddr *)&l->addr : NULL, l->addrlen,
          l->ok ? NULL : l->error, l->arg);
    free(l);
}

/* ares_getaddrinfo's callback: keep the first IPv4 address (else the
 * first), then hand it over on a later turn of the loop. */
static void on_answer(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    lookup *l = arg;
    const struct ares_addrinfo_node *pick = NULL;
    for (const struct ares_addrinfo_node *n = res ? res->nodes : NULL; n; n = n->ai_next) {
        if (!pick || (n->ai_family == AF_INET && pick->ai_family != AF_INET))
            pick = n;
    }
    if (status == ARES_SUCCESS && pick && pick->ai_addrlen <= sizeof l->addr) {
        l->ok = true;
        memcpy(&l->addr, pick->ai_addr, pick->ai_addrlen);
        l->addrlen = pick->ai_addrlen;
    } else {
        snprintf(l->error, sizeof l->error, "%s",
                 status == ARES_SUCCESS ? "no address" : ares_strerror(status));
    }
    if (res)
        ares_freeaddrinfo(res);
    if (status == ARES_EDESTRUCTION) {
        /* resolver_free: the loop may be going away; answer now. */
        deliver(-1, 0, l);
        return;
    }
    const struct timeval now = {0, 0};
    if (event_base_once(l->base, -1, EV_TIMEOUT, deliver, l, &now) != 0) {
        LOG_ERROR("resolver: cannot schedule an answer");
        deliver(-1, 0, l);
    }
}

static bool local_lookup(ares_channel ch, const char *host, struct sockaddr_storage *out,
                         socklen_t *outlen);

bool resolver_lookup(resolver *rs, const char *host, resolver_cb cb, void *arg)
{
    if (!rs || !host || !*host)
        return false;
    lookup *l = xcalloc(1, sizeof *l);
    l->cb = cb;
    l->arg = arg;
    l->base = rs->base;
    if (local_lookup(rs->ch, host, &l->addr, &l->addrlen)) {
        /* A literal or a hosts-file name: no name server is asked. */
        l->ok = true;
        const struct timeval now = {0, 0};
        if (event_base_once(rs->base, -1, EV_TIMEOUT, deliver, l, &now) != 0) {
            free(l);
            return false;
        }
        return true;
    }
    const struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC,
                                              .ai_socktype = SOCK_STREAM};
    ares_getaddrinfo(rs->ch, host, NULL, &hints, on_answer, l);
    resolver_rearm(rs);
    return true;
}

static bool library_ready(void)
{
    static bool ready;
    if (!ready && ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        LOG_ERROR("resolver: c-ares does not initialise");
        return false;
    }
    ready = true;
    return true;
}

/* An address literal, or a name in the hosts file (read through ch's
 * settings), into *out; false otherwise. Never asks a name server. */
static bool local_lookup(ares_channel ch, const char *host, struct sockaddr_storage *out,
                         socklen_t *outlen)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        *outlen = sizeof *v4;
        return true;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        *outlen = sizeof *v6;
        return true;
    }
    struct hostent *he = NULL;
    bool ok = ares_gethostbyname_file(ch, host, AF_INET, &he) == ARES_SUCCESS && he &&
              he->h_addr_list[0] && he->h_length == (int)sizeof v4->sin_addr;
    if (ok) {
        v4->sin_family = AF_INET;
        memcpy(&v4->sin_addr, he->h_addr_list[0], sizeof v4->sin_addr);
        *outlen = sizeof *v4;
    }
    if (he)
        ares_free_hostent(he);
    return ok;
}

bool resolver_lookup_local(const char *host, struct sockaddr_storage *out, socklen_t *outlen)
{
    ares_channel ch;
    if (!library_ready() || ares_init(&ch) != ARES_SUCCESS)
        return false;
    bool ok = local_lookup(ch, host, out, outlen);
    ares_destroy(ch);
    return ok;
}
