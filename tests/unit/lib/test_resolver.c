/* Unit tests for lib/resolver: answers come on a later turn of the loop
 * (never inside resolver_lookup), literals and the hosts file need no name
 * server, and a name server that never answers ends the lookup in bounded
 * time with an error. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/resolver.h"
#include "lib/tap.h"
#include "lib/util.h"

typedef struct {
    int calls;
    bool ok;
    char addr[64];
    char error[80];
    struct event_base *base;
} answer;

static void on_answer(bool ok_, const struct sockaddr *addr, socklen_t len, const char *error,
                      void *arg)
{
    (void)len;
    answer *a = arg;
    a->calls++;
    a->ok = ok_;
    if (ok_ && addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, a->addr, sizeof a->addr);
    else if (ok_)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, a->addr,
                  sizeof a->addr);
    if (error)
        snprintf(a->error, sizeof a->error, "%s", error);
    event_base_loopbreak(a->base);
}

/* A UDP socket that is never read: a name server that never answers. */
static int silent_server(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
        return -1;
    *port = ntohs(sin.sin_port);
    return fd;
}

int main(void)
{
    struct event_base *base = event_base_new();
    int port = 0;
    int fd = silent_server(&port);
    ok(fd >= 0, "a silent name server");
    char servers[64];
    snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
    resolver *rs = resolver_new(base, servers);
    ok(rs != NULL, "resolver_new with a servers CSV");
    ok(resolver_new(base, "not a server list") == NULL, "a bad servers CSV is refused");

    answer a = {.base = base};
    ok(resolver_lookup(rs, "192.0.2.7", on_answer, &a), "lookup of an IPv4 literal starts");
    is_int(a.calls, 0, "...and does not answer inside resolver_lookup");
    event_base_dispatch(base);
    ok(a.calls == 1 && a.ok && strcmp(a.addr, "192.0.2.7") == 0, "...its answer is itself");

    answer b = {.base = base};
    resolver_lookup(rs, "localhost", on_answer, &b);
    is_int(b.calls, 0, "localhost (hosts file): not answered in place");
    event_base_dispatch(base);
    ok(b.calls == 1 && b.ok, "localhost resolves without the name server");

    answer c = {.base = base};
    int64_t t0 = mono_ms();
    resolver_lookup(rs, "never.answered.test", on_answer, &c);
    event_base_dispatch(base);
    int64_t took = mono_ms() - t0;
    ok(c.calls == 1 && !c.ok && c.error[0], "a name the server never answers fails");
    diag("it failed after %lld ms: %s", (long long)took, c.error);
    ok(took < 20000, "...in bounded time");

    answer d = {.base = base};
    resolver_lookup(rs, "also.never.test", on_answer, &d);
    resolver_free(rs);
    ok(d.calls == 1 && !d.ok, "resolver_free ends a lookup in flight, calling it once");

    struct sockaddr_storage ss;
    socklen_t len;
    ok(resolver_lookup_local("127.0.0.1", &ss, &len) && ss.ss_family == AF_INET,
       "lookup_local: an IPv4 literal");
    ok(resolver_lookup_local("::1", &ss, &len) && ss.ss_family == AF_INET6,
       "lookup_local: an IPv6 literal");
    ok(resolver_lookup_local("localhost", &ss, &len), "lookup_local: localhost (hosts file)");
    ok(!resolver_lookup_local("never.answered.test", &ss, &len),
       "lookup_local: a name not in the hosts file is not looked up further");
    close(fd);
    event_base_free(base);
    return done_testing();
}
