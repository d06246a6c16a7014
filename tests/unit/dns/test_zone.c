/* test_zone: set/replace/remove, serial increments, CNAME exclusivity,
 * empty non-terminals, and a large zone through growth and deletion. */
#include "dns/wire.h"
#include "dns/zone.h"
#include "lib/tap.h"

#include <stdio.h>
#include <string.h>

#define APEX "us-east-1.rds.internal"

static zone_lookup_kind lookup(const zone *z, const char *name, zone_rrset *rs)
{
    uint8_t w[WIRE_NAME_MAX];
    size_t len;
    zone_rrset tmp;
    if (!wire_name_from_text(name, w, &len))
        return ZONE_LOOKUP_OUTSIDE;
    return zone_lookup_take(z, w, len, rs ? rs : &tmp);
}

static void test_new(void)
{
    static const struct {
        const char *apex, *ns, *addr;
        bool ok;
    } cases[] = {
        {APEX, "ns." APEX, "127.0.0.1", true},
        {APEX ".", "ns." APEX ".", "127.0.0.1", true},
        {"bad name!", "ns." APEX, "127.0.0.1", false},
        {"", "ns." APEX, "127.0.0.1", false},
        {APEX, "ns." APEX, "127.0.0.300", false},
        {APEX, "ns..x", "127.0.0.1", false},
        {APEX, "ns.example.com", "127.0.0.1", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zone *z = zone_new(cases[i].apex, cases[i].ns, cases[i].addr, 7, 5);
        char label[160];
        snprintf(label, sizeof label, "new: apex=\"%s\" ns=\"%s\" addr=%s", cases[i].apex,
                 cases[i].ns, cases[i].addr);
        ok((z != NULL) == cases[i].ok, label);
        zone_free(z);
    }

    zone *z = zone_new("US-East-1.RDS.internal.", "ns." APEX, "127.0.0.53", 7, 5);
    is_str(zone_apex(z), APEX, "new: apex lowercase without the dot");
    is_int(zone_serial(z), 7, "new: serial as given");
    is_int(zone_size(z), 1, "new: the ns name has its A record");
    zone_rrset rs;
    is_int(lookup(z, "ns." APEX, &rs), ZONE_LOOKUP_A, "new: ns A found");
    ok(rs.naddrs == 1 && memcmp(rs.addrs[0], "\x7f\x00\x00\x35", 4) == 0, "new: ns address");
    is_int(lookup(z, APEX, NULL), ZONE_LOOKUP_APEX, "lookup: apex");
    is_int(lookup(z, "example.com", NULL), ZONE_LOOKUP_OUTSIDE, "lookup: outside");
    is_int(lookup(z, "internal", NULL), ZONE_LOOKUP_OUTSIDE, "lookup: parent is outside");
    is_int(lookup(z, "nope." APEX, NULL), ZONE_LOOKUP_NXDOMAIN, "lookup: nxdomain");

    zone_soa soa;
    zone_get_soa(z, &soa);
    char text[300];
    wire_name_to_text(soa.mname, soa.mname_len, text, sizeof text);
    is_str(text, "ns." APEX, "soa: mname is the ns");
    wire_name_to_text(soa.rname, soa.rname_len, text, sizeof text);
    is_str(text, "hostmaster." APEX, "soa: rname is hostmaster.<apex>");
    is_int(soa.minimum, 5, "soa: minimum is neg_ttl");
    is_int(soa.serial, 7, "soa: serial");
    ok(soa.refresh > soa.retry && soa.expire > soa.refresh, "soa: refresh > retry, expire > refresh");
    zone_free(z);
}

/* One mutation step and what must hold after it. */
typedef struct {
    const char *what;
    char op; /* 'a' set A, '+' add A, 'c' CNAME, 'r' remove */
    const char *name, *data;
    uint32_t ttl;
    bool ok;
    bool bumps; /* serial + 1 */
    zone_lookup_kind kind;
    size_t size;
    const char *text; /* zone_get data after */
} step;

static void test_steps(void)
{
    const step steps[] = {
        {"set A", 'a', "db." APEX, "127.0.1.5", 5, true, true, ZONE_LOOKUP_A, 2, "127.0.1.5"},
        {"replace A", 'a', "db." APEX, "127.0.1.6", 5, true, true, ZONE_LOOKUP_A, 2, "127.0.1.6"},
        {"uppercase name", 'a', "DB." APEX, "127.0.1.7", 9, true, true, ZONE_LOOKUP_A, 2,
         "127.0.1.7"},
        {"CNAME replaces A", 'c', "db." APEX, "node." APEX, 5, true, true, ZONE_LOOKUP_CNAME, 2,
         "node." APEX},
        {"A replaces CNAME", 'a', "db." APEX, "127.0.1.8", 5, true, true, ZONE_LOOKUP_A, 2,
         "127.0.1.8"},
        {"add second A", '+', "db." APEX, "127.0.1.9", 5, true, true, ZONE_LOOKUP_A, 2,
         "127.0.1.8,127.0.1.9"},
        {"add duplicate A", '+', "db." APEX, "127.0.1.9", 5, true, false, ZONE_LOOKUP_A, 2,
         "127.0.1.8,127.0.1.9"},
        {"add A with new TTL", '+', "db." APEX, "127.0.1.9", 6, true, true, ZONE_LOOKUP_A, 2,
         "127.0.1.8,127.0.1.9"},
        {"CNAME replaces two A", 'c', "db." APEX, "elsewhere.example.com.", 5, true, true,
         ZONE_LOOKUP_CNAME, 2, "elsewhere.example.com"},
        {"add A over CNAME", '+', "db." APEX, "127.0.1.1", 5, true, true, ZONE_LOOKUP_A, 2,
         "127.0.1.1"},
        {"apex A refused", 'a', APEX, "127.0.0.1", 5, false, false, ZONE_LOOKUP_APEX, 2, ""},
        {"apex CNAME refused", 'c', APEX, "x." APEX, 5, false, false, ZONE_LOOKUP_APEX, 2, ""},
        {"outside refused", 'a', "db.example.com", "127.0.0.1", 5, false, false,
         ZONE_LOOKUP_OUTSIDE, 2, ""},
        {"suffix-alike refused", 'a', "xus-east-1.rds.internal", "127.0.0.1", 5, false, false,
         ZONE_LOOKUP_OUTSIDE, 2, ""},
        {"bad name refused", 'a', "a b." APEX, "127.0.0.1", 5, false, false,
         ZONE_LOOKUP_OUTSIDE, 2, ""},
        {"bad ipv4 refused", 'a', "new." APEX, "1.2.3", 5, false, false, ZONE_LOOKUP_NXDOMAIN, 2,
         ""},
        {"bad target refused", 'c', "new." APEX, "a..b", 5, false, false, ZONE_LOOKUP_NXDOMAIN,
         2, ""},
        {"root target refused", 'c', "new." APEX, ".", 5, false, false, ZONE_LOOKUP_NXDOMAIN, 2,
         ""},
        {"deep name", 'a', "x.y.z." APEX, "127.0.2.1", 5, true, true, ZONE_LOOKUP_A, 3,
         "127.0.2.1"},
        {"remove", 'r', "db." APEX, NULL, 0, true, true, ZONE_LOOKUP_NXDOMAIN, 2, ""},
        {"remove again", 'r', "db." APEX, NULL, 0, false, false, ZONE_LOOKUP_NXDOMAIN, 2, ""},
        {"remove empty non-terminal", 'r', "y.z." APEX, NULL, 0, false, false,
         ZONE_LOOKUP_EMPTY, 2, ""},
        {"remove outside", 'r', "example.com", NULL, 0, false, false, ZONE_LOOKUP_OUTSIDE, 2,
         ""},
    };
    zone *z = zone_new(APEX, "ns." APEX, "127.0.0.1", 100, 5);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const step *s = &steps[i];
        uint32_t before = zone_serial(z);
        bool got = false;
        switch (s->op) {
        case 'a': got = zone_set_a(z, s->name, s->data, s->ttl); break;
        case '+': got = zone_add_a(z, s->name, s->data, s->ttl); break;
        case 'c': got = zone_set_cname(z, s->name, s->data, s->ttl); break;
        case 'r': got = zone_remove(z, s->name); break;
        }
        char label[160];
        snprintf(label, sizeof label, "%s: result", s->what);
        is_int(got, s->ok, label);
        snprintf(label, sizeof label, "%s: serial", s->what);
        is_int(zone_serial(z), before + (s->bumps ? 1 : 0), label);
        snprintf(label, sizeof label, "%s: kind", s->what);
        is_int(lookup(z, s->name, NULL), s->kind, label);
        snprintf(label, sizeof label, "%s: size", s->what);
        is_int(zone_size(z), s->size, label);
        const char *type;
        char data[256];
        uint32_t ttl;
        zone_get(z, s->name, &type, data, sizeof data, &ttl);
        snprintf(label, sizeof label, "%s: data", s->what);
        is_str(data, s->text, label);
        if (s->ok && s->op != 'r') {
            snprintf(label, sizeof label, "%s: ttl", s->what);
            is_int(ttl, s->ttl, label);
        }
    }
    is_int(lookup(z, "y.z." APEX, NULL), ZONE_LOOKUP_EMPTY, "ent: y.z is an empty non-terminal");
    is_int(lookup(z, "Z." APEX, NULL), ZONE_LOOKUP_EMPTY, "ent: z too (any case)");
    ok(zone_set_a(z, "z." APEX, "127.0.3.1", 5), "ent: z gets data of its own");
    ok(zone_remove(z, "x.y.z." APEX), "ent: remove the deep name");
    is_int(lookup(z, "y.z." APEX, NULL), ZONE_LOOKUP_NXDOMAIN, "ent: y.z gone with it");
    is_int(lookup(z, "z." APEX, NULL), ZONE_LOOKUP_A, "ent: z keeps its A");
    ok(zone_set_a(z, "w.z." APEX, "127.0.3.2", 5), "ent: child below a name with data");
    ok(zone_remove(z, "z." APEX), "ent: remove the parent's data");
    is_int(lookup(z, "z." APEX, NULL), ZONE_LOOKUP_EMPTY, "ent: parent now empty non-terminal");
    ok(zone_remove(z, "w.z." APEX), "ent: remove the child");
    is_int(lookup(z, "z." APEX, NULL), ZONE_LOOKUP_NXDOMAIN, "ent: parent gone");
    is_int(zone_size(z), 1, "ent: only the ns left");
    zone_free(z);
}

static void test_limits(void)
{
    zone *z = zone_new(APEX, "ns." APEX, "127.0.0.1", 0xFFFFFFFFu, 5);
    ok(zone_set_a(z, "a." APEX, "10.0.0.1", 5), "wrap: set");
    is_int(zone_serial(z), 0, "wrap: serial 2^32-1 + 1 = 0 (RFC 1982)");
    char addr[32];
    bool all = true;
    for (int i = 2; i <= ZONE_A_MAX; i++) {
        snprintf(addr, sizeof addr, "10.0.0.%d", i);
        all = all && zone_add_a(z, "a." APEX, addr, 5);
    }
    ok(all, "add_a: up to ZONE_A_MAX addresses");
    ok(!zone_add_a(z, "a." APEX, "10.0.1.1", 5), "add_a: one more is refused");
    zone_rrset rs;
    lookup(z, "a." APEX, &rs);
    is_int(rs.naddrs, ZONE_A_MAX, "add_a: all addresses kept");
    ok(zone_set_cname(z, "big." APEX, "a." APEX, 0x80000000u), "ttl: 2^31 accepted");
    lookup(z, "big." APEX, &rs);
    is_int(rs.ttl, 0x7FFFFFFF, "ttl: clamped to 2^31-1 (RFC 2181 section 8)");
    zone_free(z);
}

static void count_cb(const char *name, const char *type, const char *data, uint32_t ttl,
                     void *arg)
{
    (void)name;
    (void)data;
    (void)ttl;
    size_t *n = arg;
    if (strcmp(type, "A") == 0 || strcmp(type, "CNAME") == 0)
        (*n)++;
}

/* Thousands of names: growth, probing and backward-shift deletion. */
static void test_large(void)
{
    enum { N = 5000 };
    zone *z = zone_new(APEX, "ns." APEX, "127.0.0.1", 1, 5);
    char name[128], addr[32];
    bool set_ok = true;
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "db%d.h%d." APEX, i, i % 37);
        snprintf(addr, sizeof addr, "10.%d.%d.1", i / 256, i % 256);
        set_ok = set_ok && (i % 2 ? zone_set_a(z, name, addr, 5)
                                  : zone_set_cname(z, name, "node." APEX, 5));
    }
    ok(set_ok, "large: 5000 names set");
    is_int(zone_size(z), N + 1, "large: size");
    is_int(zone_serial(z), 1 + N, "large: one serial step per set");
    size_t seen = 0;
    zone_foreach(z, count_cb, &seen);
    is_int(seen, N + 1, "large: foreach visits every name");
    bool remove_ok = true;
    for (int i = 0; i < N; i += 3) {
        snprintf(name, sizeof name, "db%d.h%d." APEX, i, i % 37);
        remove_ok = remove_ok && zone_remove(z, name);
    }
    ok(remove_ok, "large: every third removed");
    bool lookups_ok = true;
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "DB%d.H%d." APEX, i, i % 37);
        zone_lookup_kind want = i % 3 == 0 ? ZONE_LOOKUP_NXDOMAIN
                                : i % 2    ? ZONE_LOOKUP_A
                                           : ZONE_LOOKUP_CNAME;
        lookups_ok = lookups_ok && lookup(z, name, NULL) == want;
    }
    ok(lookups_ok, "large: every lookup right after deletions");
    is_int(lookup(z, "h5." APEX, NULL), ZONE_LOOKUP_EMPTY, "large: h5 is an empty non-terminal");
    zone_free(z);
}

/* A rotating CNAME answers its targets in turn, one per lookup; zone_get
 * shows them all; a plain CNAME replaces it (and frees it). */
static void test_rotation(void)
{
    zone *z = zone_new(APEX, "ns." APEX, "127.0.0.1", 1, 5);
    const char *targets[] = {"a." APEX, "b." APEX, "c." APEX};
    ok(zone_set_cname_rotation(z, "ro." APEX, targets, 3, 1), "rotation: set over three targets");
    int seen[3] = {0, 0, 0};
    for (int i = 0; i < 30; i++) {
        zone_rrset rs;
        char text[256];
        if (lookup(z, "ro." APEX, &rs) != ZONE_LOOKUP_CNAME ||
            !wire_name_to_text(rs.target, rs.target_len, text, sizeof text))
            continue;
        for (int k = 0; k < 3; k++)
            seen[k] += strcmp(text, targets[k]) == 0;
    }
    ok(seen[0] == 10 && seen[1] == 10 && seen[2] == 10,
       "rotation: 30 lookups answer each target 10 times");
    const char *type;
    char data[512];
    uint32_t ttl;
    ok(zone_get(z, "ro." APEX, &type, data, sizeof data, &ttl) && strcmp(type, "CNAME") == 0 &&
           strcmp(data, "a." APEX ",b." APEX ",c." APEX) == 0 && ttl == 1,
       "rotation: zone_get shows every target and the TTL");
    const char *bad[] = {"a." APEX, "a..b"};
    ok(!zone_set_cname_rotation(z, "ro." APEX, bad, 2, 1), "rotation: an invalid target refused");
    ok(!zone_set_cname_rotation(z, "ro." APEX, targets, 0, 1), "rotation: no target refused");
    ok(zone_set_cname(z, "ro." APEX, "d." APEX, 5), "rotation: replaced by a plain CNAME");
    zone_rrset rs;
    char text[256];
    ok(lookup(z, "ro." APEX, &rs) == ZONE_LOOKUP_CNAME &&
           wire_name_to_text(rs.target, rs.target_len, text, sizeof text) &&
           strcmp(text, "d." APEX) == 0, "rotation: gone with the plain CNAME");
    ok(zone_set_cname_rotation(z, "ro2." APEX, targets, 2, 1) && zone_remove(z, "ro2." APEX),
       "rotation: removed");
    zone_free(z);
}

int main(void)
{
    test_new();
    test_rotation();
    test_steps();
    test_limits();
    test_large();
    return done_testing();
}
