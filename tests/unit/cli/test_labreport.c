/* Unit tests for the DNS-caching lab's pure parts: the verdicts of
 * cli/labreport (failover instant, fence, recovery, wrong-node writes,
 * failures after recovery) on hand-made attempt logs, the JSON rows and
 * the SVG (well-formed enough, escaped, one lane per client); and
 * cli/labclients' and cli/lab's pure helpers (cache lifetimes per model,
 * error classification, which failures break a pooled connection, the
 * negative TTL of an NXDOMAIN answer). The lab against a live region is
 * tests/integration/lab.t's. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lab.h"
#include "cli/labclients.h"
#include "cli/labreport.h"
#include "dns/wire.h"
#include "lib/tap.h"

static uint32_t A(const char *dotted)
{
    struct in_addr ia;
    inet_pton(AF_INET, dotted, &ia);
    return ia.s_addr;
}

#define OLD "127.0.1.2"
#define NEW "127.0.2.2"

static lab_attempt OKW(lab_client_kind k, int64_t ms, const char *addr)
{
    return (lab_attempt){.start_ms = ms - 5, .end_ms = ms, .server_ms = ms - 2, .addr = A(addr),
                         .client = (uint8_t)k, .outcome = LAB_OK};
}

static lab_attempt FAIL(lab_client_kind k, int64_t ms, lab_outcome o)
{
    return (lab_attempt){.start_ms = ms - 5, .end_ms = ms, .client = (uint8_t)k,
                         .outcome = (uint8_t)o};
}

static void test_failover_instant(void)
{
    static const struct {
        const char *name;
        int64_t reboot, started, flip, want;
    } cases[] = {
        {"0013 wins over the reboot call and the flip", 1200, 1100, 1500, 1100},
        {"no 0013: the reboot call", 1200, 0, 1500, 1200},
        {"neither (a failover the user caused): the DNS flip", 0, 0, 1500, 1500},
        {"nothing: no failover", 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lab_timeline t = {.reboot_ms = cases[i].reboot, .started_ms = cases[i].started,
                          .dns_flip_ms = cases[i].flip};
        is_int(labreport_failover_ms(&t), cases[i].want, cases[i].name);
    }
}

/* A run: failover at 10000, DNS flips at 11000, 0049 at 11000. */
static lab_timeline timeline(void)
{
    return (lab_timeline){.start_ms = 5000, .end_ms = 30000, .started_ms = 10000,
                          .dns_flip_ms = 11000, .completed_ms = 11000, .standby_back_ms = 12500,
                          .old_addr = A(OLD), .new_addr = A(NEW), .dns_ttl = 1};
}

static void test_summaries(void)
{
    lab_timeline t = timeline();
    lab_attempt log[] = {
        /* ttl: writes on the old primary, refused, then the new one. */
        OKW(LAB_TTL, 9000, OLD),
        FAIL(LAB_TTL, 10200, LAB_OTHER),
        FAIL(LAB_TTL, 10300, LAB_REFUSED),
        FAIL(LAB_TTL, 10400, LAB_REFUSED),
        OKW(LAB_TTL, 11500, NEW),
        OKW(LAB_TTL, 11600, NEW),
        /* forever: refused, then the old node back read-only. */
        OKW(LAB_FOREVER, 9500, OLD),
        FAIL(LAB_FOREVER, 10300, LAB_REFUSED),
        FAIL(LAB_FOREVER, 12600, LAB_READONLY),
        FAIL(LAB_FOREVER, 12700, LAB_READONLY),
        FAIL(LAB_FOREVER, 12800, LAB_TIMEOUT),
        /* pool: back, then a read-only connection kept in the pool. */
        OKW(LAB_POOL, 11200, NEW),
        FAIL(LAB_POOL, 12900, LAB_READONLY),
        OKW(LAB_POOL, 13000, NEW),
        /* sticky: an ack from the old node after the fence — wrong. */
        OKW(LAB_STICKY, 12000, OLD),
        /* multi-host: an ack from a third address — wrong too. */
        OKW(LAB_MULTIHOST, 9800, "127.0.3.2"),
    };
    size_t n = sizeof log / sizeof log[0];
    is_int(labreport_fence_ms(log, n, &t), 11000, "fence: 0049, before the new node's first ack");
    lab_timeline late = t;
    late.completed_ms = 15000;
    is_int(labreport_fence_ms(log, n, &late), 11200 - 2,
           "fence: the new node's first ack (server time), before a late 0049");
    late.completed_ms = 0;
    is_int(labreport_fence_ms(log, n, &late), 11200 - 2, "fence: without 0049, the first ack");

    lab_summary s;
    labreport_summarise(log, n, LAB_TTL, &t, &s);
    is_int(s.attempts, 6, "ttl: attempts");
    is_int(s.ok, 3, "ttl: writes");
    is_int(s.failed[LAB_REFUSED], 2, "ttl: refused");
    is_int(s.failed[LAB_OTHER], 1, "ttl: other");
    ok(fabs(s.recovery_s - 1.5) < 1e-9, "ttl: recovered 1.5 s after the failover");
    is_int(s.wrong_node, 0, "ttl: no wrong-node write");
    is_int(s.failed_after_recovery, 0, "ttl: no failure after recovering");

    labreport_summarise(log, n, LAB_FOREVER, &t, &s);
    ok(isnan(s.recovery_s) && s.recovered_ms == 0, "forever: never recovered");
    is_int(s.failed[LAB_READONLY], 2, "forever: read-only errors");
    is_int(s.failed[LAB_TIMEOUT], 1, "forever: a timeout");

    labreport_summarise(log, n, LAB_POOL, &t, &s);
    ok(fabs(s.recovery_s - 1.2) < 1e-9, "pool: recovered 1.2 s after");
    is_int(s.failed_after_recovery, 1, "pool: a read-only failure after recovering");

    labreport_summarise(log, n, LAB_STICKY, &t, &s);
    is_int(s.wrong_node, 1, "sticky: an old-node ack after the fence is a wrong-node write");
    labreport_summarise(log, n, LAB_MULTIHOST, &t, &s);
    is_int(s.wrong_node, 1, "multi-host: an ack from neither node is a wrong-node write");
    labreport_summarise(log, n, LAB_CACHE30, &t, &s);
    is_int(s.attempts, 0, "a client without attempts: nothing");

    unsigned two = (1u << LAB_TTL) | (1u << LAB_POOL);
    ok(labreport_all_recovered(log, n, two, &t), "all recovered: ttl and pool");
    ok(!labreport_all_recovered(log, n, two | (1u << LAB_FOREVER), &t),
       "not all recovered with forever");
    lab_timeline none = t;
    none.new_addr = 0;
    ok(!labreport_all_recovered(log, n, two, &none), "not recovered without a new primary");

    /* Without a failover nothing recovers and the old node is right. */
    lab_timeline quiet = {.start_ms = 5000, .end_ms = 30000, .old_addr = A(OLD)};
    labreport_summarise(log, n, LAB_TTL, &quiet, &s);
    ok(isnan(s.recovery_s), "no failover: no recovery time");
    is_int(s.wrong_node, 2, "no failover: the new node's acks are wrong-node");
}

static void test_json(void)
{
    lab_timeline t = timeline();
    lab_attempt log[] = {OKW(LAB_TTL, 11500, NEW), FAIL(LAB_FOREVER, 12600, LAB_READONLY)};
    unsigned present = (1u << LAB_TTL) | (1u << LAB_FOREVER) | (1u << LAB_MULTIHOST);
    cJSON *j = labreport_json("db1", "db1.x.us-east-1.rds.internal", log, 2, present, &t, 5);
    const cJSON *clients = cJSON_GetObjectItemCaseSensitive(j, "Clients");
    is_int(cJSON_GetArraySize(clients), 3, "json: one row per present client");
    const cJSON *c0 = cJSON_GetArrayItem(clients, 0);
    is_str(cJSON_GetObjectItemCaseSensitive(c0, "Client")->valuestring, "ttl", "json: lane order");
    ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c0, "Recovered")), "json: ttl recovered");
    ok(fabs(cJSON_GetObjectItemCaseSensitive(c0, "RecoverySeconds")->valuedouble - 1.5) < 1e-9,
       "json: RecoverySeconds");
    const cJSON *c1 = cJSON_GetArrayItem(clients, 1);
    ok(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c1, "RecoverySeconds")),
       "json: never recovered is null");
    is_int(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c1, "Failed"),
                                            "ReadOnly")->valueint, 1, "json: Failed.ReadOnly");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "Failover");
    is_str(cJSON_GetObjectItemCaseSensitive(f, "NewPrimary")->valuestring, NEW, "json: NewPrimary");
    ok(fabs(cJSON_GetObjectItemCaseSensitive(f, "DnsFlipSeconds")->valuedouble - 1.0) < 1e-9,
       "json: DnsFlipSeconds");
    is_int(cJSON_GetObjectItemCaseSensitive(j, "NegativeTtl")->valueint, 5, "json: NegativeTtl");
    ok(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "ResolverMinTtl")),
       "json: no min-TTL client, null");
    cJSON_Delete(j);
}

/* Counts "<tag" openings and "</tag>" + "/>" closings: equal for a
 * document whose elements all close. */
static bool svg_balanced(const char *s)
{
    long open = 0, close = 0;
    for (const char *p = s; *p; p++) {
        if (p[0] == '<' && p[1] != '/' && p[1] != '?')
            open++;
        if (p[0] == '<' && p[1] == '/')
            close++;
        if (p[0] == '/' && p[1] == '>')
            close++;
    }
    return open == close && open > 0;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_svg(void)
{
    lab_timeline t = timeline();
    lab_attempt log[] = {OKW(LAB_TTL, 9000, OLD), FAIL(LAB_TTL, 10300, LAB_REFUSED),
                         OKW(LAB_TTL, 11500, NEW), FAIL(LAB_POOL, 12600, LAB_READONLY)};
    unsigned present = (1u << LAB_TTL) | (1u << LAB_POOL);
    sbuf svg = {0};
    labreport_svg("db<&>\"1", log, 4, present, &t, &svg);
    ok(strncmp(svg.data, "<?xml", 5) == 0, "svg: an XML declaration first");
    ok(svg.len > 6 && strcmp(svg.data + svg.len - 7, "</svg>\n") == 0, "svg: ends with </svg>");
    ok(svg_balanced(svg.data), "svg: every element closes");
    ok(strstr(svg.data, "db&lt;&amp;&gt;&quot;1") != NULL, "svg: the identifier is escaped");
    ok(!strstr(svg.data, "db<"), "svg: no raw markup from the identifier");
    is_int(count(svg.data, ">ttl</text>") + count(svg.data, ">pool</text>"), 2,
           "svg: a lane per present client");
    ok(!strstr(svg.data, ">cache-forever</text>"), "svg: no lane for an absent client");
    ok(strstr(svg.data, "RDS-EVENT-0013") && strstr(svg.data, "DNS now answers " NEW) &&
       strstr(svg.data, "back read-only"), "svg: failover, DNS flip and 0053 marked");
    ok(strstr(svg.data, "back in 1.5 s") != NULL, "svg: the ttl lane's verdict");
    ok(strstr(svg.data, "never back") != NULL, "svg: the pool lane's verdict");
    sbuf_free(&svg);

    sbuf empty = {0};
    lab_timeline quiet = {.old_addr = A(OLD)};
    labreport_svg("db", NULL, 0, 1u << LAB_TTL, &quiet, &empty);
    ok(svg_balanced(empty.data) && !strstr(empty.data, "nan"),
       "svg: an empty log and no failover still draw a document");
    sbuf_free(&empty);
}

static void test_cache_expiry(void)
{
    static const struct {
        lab_client_kind k;
        uint32_t ttl;
        int min_ttl;
        int64_t want; /* from now = 1000; -1: forever */
    } cases[] = {
        {LAB_TTL, 5, 0, 6000},       {LAB_TTL, 0, 0, 1000},        {LAB_POOL, 1, 0, 2000},
        {LAB_CACHE30, 1, 0, 31000},  {LAB_CACHE30, 60, 0, 31000},  {LAB_FOREVER, 1, 0, -1},
        {LAB_STICKY, 5, 0, -1},      {LAB_MINTTL, 5, 300, 301000}, {LAB_MINTTL, 600, 300, 601000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = labclients_cache_expiry(cases[i].k, 1000, cases[i].ttl, cases[i].min_ttl);
        char name[96];
        snprintf(name, sizeof name, "cache: %s, TTL %u", labreport_client_name(cases[i].k),
                 cases[i].ttl);
        is_int(got, cases[i].want < 0 ? INT64_MAX : cases[i].want, name);
    }
}

static void test_classify(void)
{
    static const struct {
        const char *state, *msg;
        lab_outcome want;
        bool breaks, bad;
    } cases[] = {
        {"25006", "ERROR:  cannot execute INSERT in a read-only transaction", LAB_READONLY, false,
         false},
        {NULL, "connection to server at \"127.0.1.2\", port 5432 failed: Connection refused\n",
         LAB_REFUSED, true, true},
        {NULL, "connection to server at \"a\" failed: Connection refused\nconnection to server at "
               "\"b\" failed: session is read-only", LAB_READONLY, true, true},
        {NULL, "server is in hot standby mode", LAB_READONLY, true, true},
        {"57P01", "FATAL:  terminating connection due to administrator command", LAB_OTHER, true,
         false},
        {"57P03", "FATAL:  the database system is starting up", LAB_OTHER, true, false},
        {"08006", "connection failure", LAB_OTHER, true, false},
        {NULL, "server closed the connection unexpectedly", LAB_OTHER, true, true},
        {"", "timeout expired", LAB_TIMEOUT, false, false},
        {"23505", "duplicate key", LAB_OTHER, false, false},
        {NULL, NULL, LAB_OTHER, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[120];
        snprintf(name, sizeof name, "classify %s '%.40s'", cases[i].state ? cases[i].state : "-",
                 cases[i].msg ? cases[i].msg : "(null)");
        is_int(labclients_classify(cases[i].state, cases[i].msg), cases[i].want, name);
        snprintf(name, sizeof name, "a pool %s the connection after %s '%.30s'",
                 cases[i].breaks ? "drops" : "keeps", cases[i].state ? cases[i].state : "-",
                 cases[i].msg ? cases[i].msg : "");
        ok(labclients_breaks_connection(cases[i].state, cases[i].bad) == cases[i].breaks, name);
    }
}

/* An answer to "nx.example." with rcode, an optional A answer and an
 * optional SOA (ttl, minimum) in the authority section. */
static size_t answer(uint8_t *buf, size_t cap, uint16_t flags, bool with_a, bool with_soa,
                     uint32_t soa_ttl, uint32_t minimum)
{
    uint8_t name[WIRE_NAME_MAX], apex[WIRE_NAME_MAX];
    size_t name_len, apex_len;
    wire_name_from_text("nx.example", name, &name_len);
    wire_name_from_text("example", apex, &apex_len);
    wire_writer w;
    wire_writer_init(&w, buf, cap);
    wire_header h = {.id = 7, .flags = flags, .qdcount = 1, .ancount = with_a,
                     .nscount = with_soa};
    wire_put_header(&w, &h);
    wire_put_name(&w, name, name_len, false);
    wire_put_u16(&w, WIRE_TYPE_A);
    wire_put_u16(&w, WIRE_CLASS_IN);
    if (with_a) {
        wire_put_name(&w, name, name_len, false);
        wire_put_u16(&w, WIRE_TYPE_A);
        wire_put_u16(&w, WIRE_CLASS_IN);
        wire_put_u32(&w, 60);
        wire_put_u16(&w, 4);
        wire_put_u32(&w, 0x7f000102);
    }
    if (with_soa) {
        wire_put_name(&w, apex, apex_len, false);
        wire_put_u16(&w, WIRE_TYPE_SOA);
        wire_put_u16(&w, WIRE_CLASS_IN);
        wire_put_u32(&w, soa_ttl);
        wire_put_u16(&w, (uint16_t)(2 * apex_len + 20));
        wire_put_name(&w, apex, apex_len, false);
        wire_put_name(&w, apex, apex_len, false);
        wire_put_u32(&w, 9);
        wire_put_u32(&w, 7200);
        wire_put_u32(&w, 900);
        wire_put_u32(&w, 1209600);
        wire_put_u32(&w, minimum);
    }
    return w.overflow ? 0 : w.pos;
}

static void test_negative_ttl(void)
{
    enum { NX = WIRE_FLAG_QR | WIRE_FLAG_AA | WIRE_RCODE_NXDOMAIN, NOERR = WIRE_FLAG_QR };
    static const struct {
        const char *name;
        uint16_t flags;
        bool a, soa;
        uint32_t ttl, minimum;
        int cut; /* bytes cut off the end */
        int want;
    } cases[] = {
        {"NXDOMAIN, SOA TTL 5 MINIMUM 5", NX, false, true, 5, 5, 0, 5},
        {"NXDOMAIN: the smaller of TTL and MINIMUM (TTL)", NX, false, true, 3, 5, 0, 3},
        {"NXDOMAIN: the smaller of TTL and MINIMUM (MINIMUM)", NX, false, true, 3600, 5, 0, 5},
        {"NODATA with a SOA", NOERR, false, true, 5, 5, 0, 5},
        {"NXDOMAIN without a SOA", NX, false, false, 0, 0, 0, -1},
        {"a positive answer", NOERR, true, true, 5, 5, 0, -1},
        {"a query, not an answer", WIRE_RCODE_NXDOMAIN, false, true, 5, 5, 0, -1},
        {"a cut SOA", NX, false, true, 5, 5, 3, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[512];
        size_t n = answer(buf, sizeof buf, cases[i].flags, cases[i].a, cases[i].soa, cases[i].ttl,
                          cases[i].minimum);
        is_int(lab_negative_ttl(buf, n - (size_t)cases[i].cut), cases[i].want, cases[i].name);
    }
    uint8_t tiny[5] = {0};
    is_int(lab_negative_ttl(tiny, sizeof tiny), -1, "five bytes: not an answer");
}

int main(void)
{
    test_failover_instant();
    test_summaries();
    test_json();
    test_svg();
    test_cache_expiry();
    test_classify();
    test_negative_ttl();
    return done_testing();
}
