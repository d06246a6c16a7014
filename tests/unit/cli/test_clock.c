/* rdsctl clock: the DURATION parser. */
#include <stdint.h>
#include <stdio.h>

#include "cli/clock.h"
#include "lib/tap.h"

int main(void)
{
    static const struct {
        const char *in;
        bool good;
        int64_t seconds;
    } cases[] = {
        {"36d", true, 36 * 86400},
        {"12h", true, 12 * 3600},
        {"90m", true, 90 * 60},
        {"30s", true, 30},
        {"1d12h", true, 86400 + 12 * 3600},
        {"2h30m15s", true, 2 * 3600 + 30 * 60 + 15},
        {"1d1s", true, 86401},
        {"0s", true, 0},
        {"0", true, 0},
        {"3600", true, 3600},
        {"007m", true, 420},
        {"36600d", true, 36600LL * 86400},
        {"36601d", false, 0},
        {"3162240001", false, 0},
        {"99999999999999999999999d", false, 0},
        {"", false, 0},
        {"d", false, 0},
        {"1", true, 1},
        {"1x", false, 0},
        {"1D", false, 0},
        {"1h1d", false, 0},
        {"1d1d", false, 0},
        {"1d30", false, 0},
        {"-1d", false, 0},
        {"+1d", false, 0},
        {" 1d", false, 0},
        {"1d ", false, 0},
        {"1.5h", false, 0},
        {"1 d", false, 0},
        {"1dh", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = -1;
        bool ok_ = clock_cli_parse_duration(cases[i].in, &got);
        char name[96];
        snprintf(name, sizeof name, "'%s' %s", cases[i].in, cases[i].good ? "parses" : "is refused");
        ok(ok_ == cases[i].good && (!ok_ || got == cases[i].seconds), name);
        if (ok_ && got != cases[i].seconds)
            diag("got %lld", (long long)got);
    }
    int64_t s;
    ok(!clock_cli_parse_duration(NULL, &s), "NULL is refused");
    return done_testing();
}
