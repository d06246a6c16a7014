/* Walks the Multi-AZ state table and the promotion rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/domain/ha.h"
#include "lib/tap.h"
#include "lib/util.h"

int main(void)
{
    for (int i = 0; i < ha_move_count; i++) {
        char name[200];
        snprintf(name, sizeof name, "%s -> %s allowed (%s)", ha_moves[i].from, ha_moves[i].to,
                 ha_moves[i].why);
        char *st = xstrdup(ha_moves[i].from);
        ok(ha_apply("t", &st, ha_moves[i].to) && strcmp(st, ha_moves[i].to) == 0, name);
        free(st);
    }
    int pairs = 0, refused = 0;
    for (int a = 0; ha_states[a]; a++)
        for (int b = 0; ha_states[b]; b++) {
            if (a == b || ha_allowed(ha_states[a], ha_states[b]))
                continue;
            pairs++;
            char *st = xstrdup(ha_states[a]);
            refused += !ha_apply("t", &st, ha_states[b]) && strcmp(st, ha_states[a]) == 0;
            free(st);
        }
    is_int(refused, pairs, "every move outside the table is refused");
    ok(!ha_allowed("building", "failing_over"), "no failover while the standby is being built");
    ok(!ha_allowed("standby_lost", "failing_over"), "no failover while the standby is lost");
    ok(!ha_allowed("none", "failing_over"), "no failover for Single-AZ");

    /* The promotion rule: only a standby that was synchronous. */
    static const struct {
        const char *ha, *sync;
        bool allowed;
    } cases[] = {
        {"healthy", "sync", true},       {"healthy", "async", false},
        {"healthy", "potential", false}, {"healthy", NULL, false},
        {"building", "sync", false},     {"standby_lost", "sync", false},
        {"failing_over", "sync", false}, {"none", "sync", false},
        {NULL, "sync", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[120];
        snprintf(name, sizeof name, "promotion %s when ha=%s standby=%s",
                 cases[i].allowed ? "allowed" : "refused", cases[i].ha ? cases[i].ha : "(none)",
                 cases[i].sync ? cases[i].sync : "(unseen)");
        ok(ha_promotion_allowed(cases[i].ha, cases[i].sync) == cases[i].allowed, name);
    }
    return done_testing();
}
