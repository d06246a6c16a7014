/* Unit tests for lib/cidr: parsing, printing, containment, overlap. */
#include <stdint.h>

#include "lib/cidr.h"
#include "lib/tap.h"

static const struct {
    const char *text;
    bool strict, loose;
} parse_cases[] = {
    {"127.0.1.0/24", true, true},
    {"0.0.0.0/0", true, true},
    {"127.0.1.5/32", true, true},
    {"127.0.1.5/24", false, true}, /* host bits */
    {"127.0.1.0/33", false, false},
    {"127.0.1/24", false, false},
    {"127.0.01.0/24", false, false},
    {"127.0.256.0/24", false, false},
    {"127.0.1.0/", false, false},
    {"127.0.1.0/24 ", false, false},
    {"-1.0.0.0/8", false, false},
    {"", false, false},
    {"127.0.0.0/08", false, false},
};

int main(void)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        cidr c;
        char name[80];
        snprintf(name, sizeof name, "strict parse of '%s'", parse_cases[i].text);
        ok(cidr_parse(parse_cases[i].text, &c) == parse_cases[i].strict, name);
        snprintf(name, sizeof name, "loose parse of '%s'", parse_cases[i].text);
        ok(cidr_parse_loose(parse_cases[i].text, &c) == parse_cases[i].loose, name);
    }
    cidr c, d;
    char buf[32];
    ok(cidr_parse_loose("127.0.1.77/25", &c), "loose parse");
    cidr_format(&c, buf, sizeof buf);
    is_str(buf, "127.0.1.0/25", "host bits cleared and printed");
    uint32_t a;
    ok(cidr_parse_addr("127.0.1.200", &a) && !cidr_contains(&c, a), ".200 outside /25");
    ok(cidr_parse_addr("127.0.1.127", &a) && cidr_contains(&c, a), ".127 inside /25");
    ok(!cidr_parse_addr("127.0.1", &a), "three octets are not an address");
    cidr_parse("127.0.0.0/8", &d);
    ok(cidr_covers(&d, &c) && !cidr_covers(&c, &d), "/8 covers the /25, not the reverse");
    ok(cidr_overlaps(&d, &c) && cidr_overlaps(&c, &d), "nested blocks overlap");
    cidr_parse("127.0.1.128/25", &d);
    ok(!cidr_overlaps(&c, &d), "adjacent halves do not overlap");
    is_int(cidr_size(&d), 128, "a /25 has 128 addresses");
    cidr_parse("0.0.0.0/0", &d);
    ok(cidr_contains(&d, 0xffffffffu) && cidr_size(&d) == (uint64_t)1 << 32, "/0 holds all");
    cidr_format_addr(0x7f000105u, buf, sizeof buf);
    is_str(buf, "127.0.1.5", "address printed");
    return done_testing();
}
