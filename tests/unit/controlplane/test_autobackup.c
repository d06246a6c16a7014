/* Unit tests for controlplane/domain/abpolicy (automated backups' pure rules): the daily backup
 * window on the region clock, and which base backups retention keeps. */
#include <stdbool.h>
#include <stdint.h>

#include "controlplane/domain/abpolicy.h"
#include "lib/tap.h"

#define H (3600LL * 1000)
#define M (60LL * 1000)

int main(void)
{
    int64_t day = 20000 * 24 * H; /* a midnight UTC */
    ok(abpolicy_in_window("03:00-03:30", day + 3 * H), "the window's first minute");
    ok(abpolicy_in_window("03:00-03:30", day + 3 * H + 29 * M), "its last minute");
    ok(!abpolicy_in_window("03:00-03:30", day + 3 * H + 30 * M), "its end is outside");
    ok(!abpolicy_in_window("03:00-03:30", day + 2 * H + 59 * M), "the minute before");
    ok(abpolicy_in_window("23:45-00:15", day + 23 * H + 50 * M), "wrapping midnight: before");
    ok(abpolicy_in_window("23:45-00:15", day + 10 * M), "wrapping midnight: after");
    ok(!abpolicy_in_window("23:45-00:15", day + 20 * M), "wrapping midnight: past its end");
    ok(abpolicy_in_window("03:00-03:30", -21 * H), "before the epoch");
    ok(!abpolicy_in_window("3:00", day), "a malformed window is never open");
    ok(!abpolicy_in_window(NULL, day), "no window");

    int64_t ends[] = {100, 200, 300, 400};
    bool keep[4];
    is_int(abpolicy_retain(ends, 4, 250, keep), 3, "window from 250: three kept");
    ok(!keep[0] && keep[1] && keep[2] && keep[3],
       "the newest before the window's start stays, older ones go");
    is_int(abpolicy_retain(ends, 4, 50, keep), 4, "all inside the window");
    is_int(abpolicy_retain(ends, 4, 1000, keep), 1, "all before the window: the newest stays");
    ok(keep[3], "it is the newest");
    is_int(abpolicy_retain(ends, 0, 1000, keep), 0, "none");
    return done_testing();
}
