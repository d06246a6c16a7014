/* Unit tests for cli/chaos's pure parts: --kinds parsing, the seeded fault
 * plan (repeatable, every kind once per round), and the two verdicts of a
 * run — acknowledged writes missing, and writes acknowledged by a fenced
 * node — on hand-made ack logs. The harness against a live region is
 * tests/integration/multiaz.t's. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/chaos.h"
#include "lib/tap.h"

static void test_kinds(void)
{
    static const struct {
        const char *in;
        bool ok;
        unsigned mask;
    } cases[] = {
        {"crash", true, 1u << CHAOS_CRASH},
        {"host,hang", true, (1u << CHAOS_HOST) | (1u << CHAOS_HANG)},
        {"crash,host,hang,cpkill,forced", true, CHAOS_PROCESS_KINDS},
        {"forced,forced", true, 1u << CHAOS_FORCED},
        {"", false, 0},
        {"crash,", false, 0},
        {",crash", false, 0},
        {"crash,boom", false, 0},
        {"Crash", false, 0},
        {"crashx", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned mask = 99;
        sbuf err = {0};
        bool got = chaos_parse_kinds(cases[i].in, &mask, &err);
        char name[96];
        snprintf(name, sizeof name, "--kinds '%s' %s", cases[i].in, cases[i].ok ? "parses" : "is refused");
        ok(got == cases[i].ok && (!got || mask == cases[i].mask) && (got || err.len > 0), name);
        sbuf_free(&err);
    }
    for (int k = 0; k < CHAOS_NKINDS; k++) {
        unsigned mask;
        sbuf err = {0};
        ok(chaos_parse_kinds(chaos_kind_name((chaos_kind)k), &mask, &err) && mask == 1u << k,
           "every kind's name parses to itself");
        sbuf_free(&err);
    }
    /* The network kinds: named, namespace mode only, never in the default. */
    unsigned mask;
    sbuf err = {0};
    ok(chaos_parse_kinds("partition-primary,partition-standby,partition-controlplane,az-outage,"
                         "flap,partition-relaxed,latency,loss", &mask, &err) &&
           mask == CHAOS_NETWORK_KINDS,
       "the eight network kinds parse");
    ok(!(CHAOS_PROCESS_KINDS & CHAOS_NETWORK_KINDS), "the default kinds cut no network");
    bool netns_ok = true;
    for (int k = 0; k < CHAOS_NKINDS; k++)
        netns_ok &= chaos_kind_netns((chaos_kind)k) == (k >= CHAOS_PARTITION_PRIMARY);
    ok(netns_ok, "exactly the network kinds need namespace mode");
    sbuf_free(&err);
    ok(!chaos_parse_kinds("partition", &mask, &err) && strstr(err.data, "partition-primary"),
       "an unknown kind's error lists the network kinds");
    sbuf_free(&err);
}

static void test_plan(void)
{
    enum { N = 8 * CHAOS_NKINDS };
    chaos_kind a[N], b[N], c[N];
    chaos_plan(CHAOS_ALL_KINDS, N, 1, a);
    chaos_plan(CHAOS_ALL_KINDS, N, 1, b);
    chaos_plan(CHAOS_ALL_KINDS, N, 2, c);
    ok(memcmp(a, b, sizeof a) == 0, "the same seed gives the same order");
    ok(memcmp(a, c, sizeof a) != 0, "another seed gives another order");
    bool rounds_ok = true;
    for (int r = 0; r < 8; r++) {
        unsigned seen = 0;
        for (int j = 0; j < CHAOS_NKINDS; j++)
            seen |= 1u << a[r * CHAOS_NKINDS + j];
        rounds_ok &= seen == CHAOS_ALL_KINDS;
    }
    ok(rounds_ok, "each round holds every kind once");
    chaos_kind d[7];
    chaos_plan(1u << CHAOS_HOST, 7, 99, d);
    bool all_host = true;
    for (int i = 0; i < 7; i++)
        all_host &= d[i] == CHAOS_HOST;
    ok(all_host, "one kind: every fault is that kind");
    chaos_kind e[3];
    chaos_plan((1u << CHAOS_CRASH) | (1u << CHAOS_FORCED), 3, 5, e);
    ok(e[0] != e[1] && (e[2] == CHAOS_CRASH || e[2] == CHAOS_FORCED),
       "two kinds, three faults: a full round, then one of them");
}

static uint32_t ip(const char *s)
{
    struct in_addr a;
    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

static void test_missing(void)
{
    workload_ack acks[] = {{.id = 3}, {.id = 1}, {.id = 7}, {.id = 10}};
    int64_t all[] = {1, 2, 3, 7, 10, 11};
    int64_t some[] = {1, 2, 10};
    is_int(chaos_count_missing(acks, 4, all, 6), 0, "every ack present (extra rows are fine)");
    is_int(chaos_count_missing(acks, 4, some, 3), 2, "two acks absent");
    is_int(chaos_count_missing(acks, 4, NULL, 0), 4, "an empty table: all missing");
    is_int(chaos_count_missing(NULL, 0, some, 3), 0, "no acks: none missing");
}

static void test_fenced(void)
{
    uint32_t A = ip("127.0.1.2"), B = ip("127.0.2.2"), C = ip("127.0.3.2");
    /* Fault 1 at t=1000 moves A -> B (fence at 1500); fault 2 at t=5000
     * moves B -> A (fence 5400). */
    chaos_epoch ep[] = {
        {.old_addr = A, .new_addr = B, .fence_ms = 1500, .fault_ms = 1000},
        {.old_addr = B, .new_addr = A, .fence_ms = 5400, .fault_ms = 5000},
    };
    static const struct {
        const char *name;
        const char *addr;
        int64_t server_ms;
        int64_t want;
    } cases[] = {
        {"old primary before the fault", "127.0.1.2", 900, 0},
        {"old primary between fault and fence (in flight)", "127.0.1.2", 1200, 0},
        {"old primary after the fence: fenced ack", "127.0.1.2", 1600, 1},
        {"old primary just before the next fault: fenced ack", "127.0.1.2", 4999, 1},
        {"old primary once primary again (fault 2)", "127.0.1.2", 5600, 0},
        {"new primary after fault 1", "127.0.2.2", 2000, 0},
        {"fault 2's old primary after its fence", "127.0.2.2", 6000, 1},
        {"a third node is never an old primary here", "127.0.3.2", 6000, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        workload_ack a = {.id = 1, .addr = ip(cases[i].addr), .server_ms = cases[i].server_ms};
        is_int(chaos_count_fenced(&a, 1, ep, 2), cases[i].want, cases[i].name);
    }
    workload_ack log[] = {{.id = 1, .addr = A, .server_ms = 1600}, {.id = 2, .addr = A, .server_ms = 1700},
                          {.id = 3, .addr = B, .server_ms = 6000}, {.id = 4, .addr = B, .server_ms = 2000}};
    is_int(chaos_count_fenced(log, 4, ep, 2), 3, "a log: the total over the epochs");
    ok(ep[0].fenced == 2 && ep[1].fenced == 1, "... and each epoch's own count");
    chaos_epoch unknown = {.old_addr = A, .new_addr = B, .fence_ms = 0, .fault_ms = 1000};
    workload_ack late = {.id = 1, .addr = A, .server_ms = 9000};
    is_int(chaos_count_fenced(&late, 1, &unknown, 1), 0, "no fence time known: nothing counted");
    chaos_epoch to_c = {.old_addr = A, .new_addr = C, .fence_ms = 1500, .fault_ms = 1000};
    is_int(chaos_count_fenced(&late, 1, &to_c, 1), 1, "an old primary never promoted again: fenced to the end");
}

int main(void)
{
    test_kinds();
    test_plan();
    test_missing();
    test_fenced();
    return done_testing();
}
