/* Walks the Multi-AZ state table, the promotion rule, and ha_judge (what a
 * healthy instance's pass does about what it sees). */
#include <stdio.h>
#include <stdlib.h>

#include "controlplane/domain/ha.h"
#include "lib/tap.h"

int main(void)
{
    for (int i = 0; i < ha_move_count; i++) {
        char name[200];
        ha_state from = (ha_state)ha_moves[i].from, to = (ha_state)ha_moves[i].to;
        snprintf(name, sizeof name, "%s -> %s allowed (%s)", ha_state_name(from),
                 ha_state_name(to), ha_moves[i].why);
        ha_state st = from;
        ok(from != to && ha_apply("t", &st, to) && st == to, name);
    }
    int pairs = 0, refused = 0;
    for (int a = 0; a < HA_STATE_COUNT; a++)
        for (int b = 0; b < HA_STATE_COUNT; b++) {
            if (a == b || ha_allowed((ha_state)a, (ha_state)b))
                continue;
            pairs++;
            ha_state st = (ha_state)a;
            refused += !ha_apply("t", &st, (ha_state)b) && st == (ha_state)a;
        }
    is_int(refused, pairs, "every move outside the table is refused");
    ok(!ha_allowed(HA_BUILDING, HA_FAILING_OVER), "no failover while the standby is being built");
    ok(!ha_allowed(HA_STANDBY_LOST, HA_FAILING_OVER), "no failover while the standby is lost");
    ok(!ha_allowed(HA_NONE, HA_FAILING_OVER), "no failover for Single-AZ");
    ha_state st = HA_HEALTHY;
    ok(ha_apply("t", &st, HA_HEALTHY) && st == HA_HEALTHY,
       "re-applying the same state is idempotent");

    /* The promotion rule: only a standby that was synchronous. */
    static const struct {
        ha_state ha;
        bool sync;
        bool allowed;
    } cases[] = {
        {HA_HEALTHY, true, true},       {HA_HEALTHY, false, false},
        {HA_BUILDING, true, false},     {HA_STANDBY_LOST, true, false},
        {HA_FAILING_OVER, true, false}, {HA_NONE, true, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[120];
        snprintf(name, sizeof name, "promotion %s when ha=%s standby %s",
                 cases[i].allowed ? "allowed" : "refused", ha_state_name(cases[i].ha),
                 cases[i].sync ? "sync" : "not sync");
        ok(ha_promotion_allowed(cases[i].ha, cases[i].sync) == cases[i].allowed, name);
    }

    /* ha_judge: pl primary lost, prd its agent reported it down, pa it
     * answers, sl standby lost, sa it answers, sr it is ready, then the
     * primary's failure seen while the standby answers, and the standby's
     * while the primary answers. */
    static const struct {
        const char *name;
        ha_view v;
        ha_verdict want;
    } judge[] = {
        {"all well: keep", {false, false, true, false, true, true, false, true}, HA_KEEP},
        {"primary cut off from the controlplane and the standby: failover",
         {true, false, false, false, true, true, true, true}, HA_FAILOVER},
        {"controlplane healed, standby answers first, primary not probed since: hold",
         {true, false, false, false, true, true, false, true}, HA_HOLD},
        {"primary's agent reports it down, standby ready: failover at once",
         {true, true, false, false, true, true, false, true}, HA_FAILOVER},
        {"controlplane cut off from every host (both silent): hold",
         {true, false, false, false, false, false, false, true}, HA_HOLD},
        {"primary silent, standby answers but not ready: restart",
         {true, false, false, false, true, false, true, true}, HA_RESTART},
        {"controlplane healed, standby answers first, its agent not yet heard: hold",
         {true, false, false, false, true, false, false, true}, HA_HOLD},
        {"primary reported down by its agent, standby silent: restart",
         {true, true, false, false, false, false, false, true}, HA_RESTART},
        {"standby lost, primary answers: relax sync", {false, false, true, true, false, false, false, true},
         HA_STANDBY_GONE},
        {"controlplane healed, primary answers first, standby not probed since: hold",
         {false, false, true, true, false, false, false, false}, HA_HOLD},
        {"standby lost, primary's probe failing too: hold",
         {false, false, false, true, false, false, false, true}, HA_HOLD},
    };
    for (size_t i = 0; i < sizeof judge / sizeof judge[0]; i++)
        ok(ha_judge(&judge[i].v) == judge[i].want, judge[i].name);

    /* Not streaming: counted only while both nodes answer. */
    node_health sb = {.up = true, .in_recovery = true, .norecv_since_ms = 1000,
                      .up_since_ms = 500};
    node_health pr = {.up = true, .up_since_ms = 200};
    is_int(ha_not_streaming_ms(&sb, &pr, true, 21000), 20000,
           "both answered all along: not streaming since the receiver went");
    pr.up_since_ms = 19000; /* the primary's host healed 2 s ago */
    is_int(ha_not_streaming_ms(&sb, &pr, true, 21000), 2000,
           "a partition healed 2 s ago: its 18 s cut off do not count");
    pr.up_since_ms = 200;
    sb.up_since_ms = 20500; /* the standby's host healed */
    is_int(ha_not_streaming_ms(&sb, &pr, true, 21000), 500,
           "the standby back 0.5 s ago: only that counts");
    is_int(ha_not_streaming_ms(&sb, &pr, false, 21000), 0, "primary not answering: cannot tell");
    sb.norecv_since_ms = 0;
    is_int(ha_not_streaming_ms(&sb, &pr, true, 21000), 0, "streaming: 0");
    sb.norecv_since_ms = 1000;
    sb.in_recovery = false;
    is_int(ha_not_streaming_ms(&sb, &pr, true, 21000), 0, "not a standby: 0");
    ok(ha_not_streaming_ms(NULL, &pr, true, 21000) == 0 && ha_not_streaming_ms(&sb, NULL, true, 21000) == 0,
       "never probed: 0");
    return done_testing();
}
