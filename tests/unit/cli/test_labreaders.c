/* Unit tests for the reader-endpoint lesson's pure part: how long each
 * lane believes the reader endpoint's answer, and the lane names. The lab
 * against a live cluster is tests/integration/labreaders.t's. */
#include <stdint.h>
#include <string.h>

#include "cli/labreaders.h"
#include "lib/tap.h"

int main(void)
{
    int64_t now = 1000000;
    is_int(labreaders_expiry(0, now, 1), now, "no-cache: looks up for every connection");
    is_int(labreaders_expiry(0, now, 300), now, "... whatever the TTL");
    is_int(labreaders_expiry(1, now, 1), now + 1000, "ttl: the TTL (1 s)");
    is_int(labreaders_expiry(1, now, 0), now, "ttl: a TTL of 0 is not cached");
    is_int(labreaders_expiry(2, now, 1), now + 30000, "cache-30s: 30 s whatever the TTL");
    ok(labreaders_expiry(3, now, 1) == INT64_MAX, "cache-forever: forever");
    is_int(labreaders_expiry(-1, now, 5), now, "an unknown lane: no cache");
    is_int(labreaders_expiry(LABREADERS_LANES, now, 5), now, "... past the last one too");
    is_str(labreaders_lane_name(0), "no-cache", "lane 0's name");
    is_str(labreaders_lane_name(3), "cache-forever", "lane 3's name");
    is_str(labreaders_lane_name(9), "?", "an unknown lane's name");
    return done_testing();
}
