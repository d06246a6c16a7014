/* Unit tests for the lab's real-runtime lanes' pure parts (cli/labruntimes):
 * the strict parser of the lanes' untrusted stdout lines (both forms,
 * outcomes classified as the models' are, every malformed or implausible
 * line refused), the region.env reader that tells namespace mode, and the
 * report's model pairing. The lanes against a live region are
 * tests/integration/labrt.t's. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/labruntimes.h"
#include "lib/tap.h"

#define NOW 1800000000000LL

static bool parse(const char *line, lab_attempt *a, char *msg, size_t cap)
{
    return labruntimes_parse_line(line, strlen(line), LAB_RT_JVM, NOW, a, msg, cap);
}

static void test_parse_ok(void)
{
    lab_attempt a;
    char msg[64];
    char line[128];
    snprintf(line, sizeof line, "%lld %lld ok 100.65.2.2 %lld", NOW - 30, NOW - 10, NOW - 20);
    ok(parse(line, &a, msg, sizeof msg), "an ok line parses");
    is_int(a.outcome, LAB_OK, "... as a write");
    is_int(a.client, LAB_RT_JVM, "... of the lane that printed it");
    is_int(a.start_ms, NOW - 30, "... its start");
    is_int(a.end_ms, NOW - 10, "... its end");
    is_int(a.server_ms, NOW - 20, "... the server's clock");
    struct in_addr ia;
    inet_pton(AF_INET, "100.65.2.2", &ia);
    ok(a.addr == ia.s_addr, "... the server's address");
}

static void test_parse_fail(void)
{
    static const struct {
        const char *tail;
        lab_outcome want;
        const char *msg;
    } cases[] = {
        {"fail 25006 ERROR: cannot execute INSERT in a read-only transaction", LAB_READONLY,
         "ERROR: cannot execute INSERT in a read-only transaction"},
        {"fail 08001 Connection to 100.65.1.2:5432 refused. Check that the hostname", LAB_REFUSED,
         NULL},
        {"fail - connection to server at \"x\", port 5432 failed: Connection refused", LAB_REFUSED,
         NULL},
        {"fail - HikariPool-1 - Connection is not available, request timed out after 2000ms.",
         LAB_TIMEOUT, NULL},
        {"fail - getaddrinfo: Name or service not known", LAB_OTHER, NULL},
        {"fail 57P01", LAB_OTHER, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[256], msg[LABRUNTIMES_LINE_MAX];
        lab_attempt a;
        snprintf(line, sizeof line, "%lld %lld %s", NOW - 5, NOW, cases[i].tail);
        bool p = parse(line, &a, msg, sizeof msg);
        ok(p, cases[i].tail);
        is_int(a.outcome, cases[i].want, "... classified");
        if (cases[i].msg)
            is_str(msg, cases[i].msg, "... its message kept");
    }
    char line[256], msg[8];
    lab_attempt a;
    snprintf(line, sizeof line, "%lld %lld fail - a long message", NOW - 5, NOW);
    ok(parse(line, &a, msg, sizeof msg) && strlen(msg) == 7, "a message is cut to its buffer");
}

static void test_parse_garbage(void)
{
    char buf[64][160];
    const char *bad[64];
    size_t n = 0;
#define BAD(...) (snprintf(buf[n], sizeof buf[n], __VA_ARGS__), bad[n] = buf[n], n++)
    BAD("%s", "");
    BAD("%s", "hello");
    BAD("%lld", NOW);
    BAD("%lld %lld", NOW - 5, NOW);
    BAD("%lld %lld ok", NOW - 5, NOW);
    BAD("%lld %lld ok 100.65.2.2", NOW - 5, NOW);
    BAD("%lld %lld ok 100.65.2.2 %lld extra", NOW - 5, NOW, NOW);
    BAD("%lld %lld ok 100.65.2 %lld", NOW - 5, NOW, NOW);
    BAD("%lld %lld ok ::1 %lld", NOW - 5, NOW, NOW);
    BAD("%lld %lld ok 100.65.2.2 -%lld", NOW - 5, NOW, NOW);
    BAD("%lld %lld ok 100.65.2.2 %lld", NOW - 5, NOW, NOW + 10 * LABRUNTIMES_SKEW_MS);
    BAD("%lld %lld maybe 100.65.2.2 %lld", NOW - 5, NOW, NOW);
    BAD("%lld %lld fail", NOW - 5, NOW);
    BAD("%lld %lld fail 2500 short state", NOW - 5, NOW);
    BAD("%lld %lld fail 25006x long state", NOW - 5, NOW);
    BAD("%lld %lld fail 25o06 lower case", NOW - 5, NOW);
    BAD("%lld %lld fail -- two dashes", NOW - 5, NOW);
    BAD("%lld %lld fail -\tmessage", NOW - 5, NOW);
    BAD("%lld %lld fail - caf\xc3\xa9", NOW - 5, NOW);
    BAD("%lld  %lld fail - two spaces", NOW - 5, NOW);
    BAD(" %lld %lld fail - leading space", NOW - 5, NOW);
    BAD("%lld %lld fail - end before start", NOW, NOW - 5);
    BAD("%lld %lld fail - far past", NOW - 10 * LABRUNTIMES_SKEW_MS, NOW - 10 * LABRUNTIMES_SKEW_MS);
    BAD("%lld %lld fail - far future", NOW + 10 * LABRUNTIMES_SKEW_MS, NOW + 10 * LABRUNTIMES_SKEW_MS);
    BAD("%s", "9999999999999999999 9999999999999999999 fail - overflow");
    BAD("%s", "-5 3 fail - negative");
    BAD("+%lld %lld fail - plus", NOW - 5, NOW);
#undef BAD
    for (size_t i = 0; i < n; i++) {
        lab_attempt a;
        char msg[32];
        ok(!parse(bad[i], &a, msg, sizeof msg), bad[i][0] ? bad[i] : "(empty line) refused");
    }
    /* An embedded NUL: the length counts, not the C string. */
    char nul[64];
    int len = snprintf(nul, sizeof nul, "%lld %lld fail - a", NOW - 5, NOW);
    nul[len - 1] = '\0';
    lab_attempt a;
    ok(!labruntimes_parse_line(nul, (size_t)len, LAB_RT_GLIBC, NOW, &a, NULL, 0),
       "a line with a NUL inside is refused");
}

static void test_region_env(void)
{
    char ns[32], gw[16];
    ok(labruntimes_region_env("RDS_API_PORT=1\nRDS_GATEWAY=100.65.0.1\nRDS_CLIENT_NS=rdsim-ab12-cl\n",
                              ns, sizeof ns, gw, sizeof gw),
       "namespace mode: both keys");
    is_str(ns, "rdsim-ab12-cl", "... the clients' namespace");
    is_str(gw, "100.65.0.1", "... the gateway");
    ok(!labruntimes_region_env("RDS_API_PORT=1\nRDS_DNS_PORT=2\n", ns, sizeof ns, gw, sizeof gw),
       "loopback mode: neither key");
    ok(!labruntimes_region_env(NULL, ns, sizeof ns, gw, sizeof gw), "no region.env");
    ok(!labruntimes_region_env("RDS_GATEWAY=100.65.0.1\nRDS_CLIENT_NS=a;rm -rf /\n", ns, sizeof ns,
                               gw, sizeof gw),
       "a namespace name with shell characters is refused");
    ok(!labruntimes_region_env("RDS_GATEWAY=host.example\nRDS_CLIENT_NS=cl\n", ns, sizeof ns, gw,
                               sizeof gw),
       "a gateway that is not an IPv4 address is refused");
    ok(!labruntimes_region_env("XRDS_GATEWAY=100.65.0.1\nXRDS_CLIENT_NS=cl\n", ns, sizeof ns, gw,
                               sizeof gw),
       "keys match whole lines only");
    ok(!labruntimes_region_env("RDS_GATEWAY=100.65.0.1\nRDS_CLIENT_NS=a-very-long-namespace-name-"
                               "that-does-not-fit\n", ns, sizeof ns, gw, sizeof gw),
       "a value longer than its buffer is refused");
}

static void test_models(void)
{
    is_int(labreport_client_model(LAB_RT_JVM), LAB_CACHE30, "rt-jvm is compared with cache-30s");
    is_int(labreport_client_model(LAB_RT_HIKARI), LAB_POOL, "rt-hikaricp with pool");
    is_int(labreport_client_model(LAB_RT_GLIBC_DNSMASQ), LAB_MINTTL,
           "rt-glibc-dnsmasq with resolver-min-ttl");
    is_int(labreport_client_model(LAB_TTL), -1, "a model has no model");
    is_str(labreport_client_name(LAB_RT_GLIBC_DNSMASQ), "rt-glibc-dnsmasq", "the last lane's name");
    ok((LABRUNTIMES_ALL & (1u << LAB_MINTTL)) == 0 && (LABRUNTIMES_ALL & (1u << LAB_RT_JVM)),
       "LABRUNTIMES_ALL covers the runtimes only");
}

int main(void)
{
    test_parse_ok();
    test_parse_fail();
    test_parse_garbage();
    test_region_env();
    test_models();
    return done_testing();
}
