/* Unit tests for controlplane/notify/endpoint: URL host and port, and
 * which addresses and ports are the region's own listeners, as tables. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "controlplane/notify/endpoint.h"
#include "lib/tap.h"

static void test_host_port(void)
{
    static const struct {
        const char *url, *host;
        int port;
    } cases[] = {
        {"http://127.0.0.1:8080/x", "127.0.0.1", 8080},
        {"http://example.test/", "example.test", 80},
        {"https://example.test/", "example.test", 443},
        {"http://[::1]:9000/", "::1", 9000},
        {"http://localhost", "localhost", 80},
        {"not a url", NULL, 0},
        {"http:///nohost", NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char host[256] = "", name[160];
        int port = 0;
        bool got = endpoint_host_port(cases[i].url, host, sizeof host, &port);
        snprintf(name, sizeof name, "host/port of %s", cases[i].url);
        if (!cases[i].host) {
            ok(!got, name);
            continue;
        }
        ok(got && strcmp(host, cases[i].host) == 0 && port == cases[i].port, name);
    }
}

static void test_is_own(void)
{
    region r;
    memset(&r, 0, sizeof r);
    r.api_port = 8780;
    r.dns_port = 8753;
    static const struct {
        const char *addr;
        int port;
        bool own;
    } cases[] = {
        {"127.0.0.1", 8780, true},   {"127.9.9.9", 8780, true}, {"0.0.0.0", 8780, true},
        {"127.0.0.1", 8753, true},   {"::1", 8780, true},       {"::", 8753, true},
        {"::ffff:127.0.0.1", 8780, true},
        {"127.0.0.1", 8080, false},  {"192.0.2.1", 8780, false}, {"2001:db8::1", 8780, false},
        {"127.0.0.1", 0, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, cases[i].addr, &v4->sin_addr) == 1)
            v4->sin_family = AF_INET;
        else if (inet_pton(AF_INET6, cases[i].addr, &v6->sin6_addr) == 1)
            v6->sin6_family = AF_INET6;
        char name[160];
        snprintf(name, sizeof name, "%s port %d is %sown", cases[i].addr, cases[i].port,
                 cases[i].own ? "" : "not ");
        ok(endpoint_is_own(&r, (const struct sockaddr *)&ss, cases[i].port) == cases[i].own,
           name);
    }
    awserr e = {0};
    ok(!endpoint_check_subscribe(&r, "http://localhost:8780/", &e) &&
           e.code == AWSERR_SNS_INVALID_PARAMETER,
       "Subscribe: localhost on the API port is InvalidParameter");
    awserr e2 = {0};
    ok(endpoint_check_subscribe(&r, "http://127.0.0.1:8081/", &e2),
       "Subscribe: another port is fine");
    awserr e3 = {0};
    ok(endpoint_check_subscribe(&r, "http://receiver.example.test:8780/", &e3),
       "Subscribe: a name no hosts file knows is left to the delivery's check");
    r.cfg.sns_allow_own_endpoints = true;
    awserr e4 = {0};
    ok(endpoint_check_subscribe(&r, "http://localhost:8780/", &e4),
       "--sns-allow-own-endpoints: the operator may allow them");
}

int main(void)
{
    test_host_port();
    test_is_own();
    return done_testing();
}
