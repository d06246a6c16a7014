/* Walks the instance status table and the workflow step tables. */
#include <stdlib.h>
#include <string.h>

#include "controlplane/domain/wfkinds.h"
#include "controlplane/core/lifecycle.h"
#include "controlplane/core/region.h"
#include "controlplane/domain/maint.h"
#include "controlplane/domain/stopstart.h"
#include "controlplane/wf/workflow.h"
#include "lib/tap.h"
#include "lib/util.h"

int main(void)
{
    /* Every move in the table is allowed, names real states, and applies. */
    for (int i = 0; i < lifecycle_move_count; i++) {
        const lifecycle_move *m = &lifecycle_moves[i];
        char name[160];
        snprintf(name, sizeof name, "%s -> %s allowed (%s)", m->from, m->to, m->why);
        char *status = xstrdup(m->from);
        ok(lifecycle_is_state(m->from) && lifecycle_is_state(m->to) &&
               lifecycle_apply("t", &status, m->to) && strcmp(status, m->to) == 0,
           name);
        free(status);
    }
    /* Every pair not in the table is refused and leaves the status alone. */
    int refused = 0, pairs = 0;
    for (int a = 0; lifecycle_states[a]; a++) {
        for (int b = 0; lifecycle_states[b]; b++) {
            if (a == b)
                continue;
            bool in_table = false;
            for (int i = 0; i < lifecycle_move_count; i++)
                in_table |= strcmp(lifecycle_moves[i].from, lifecycle_states[a]) == 0 &&
                            strcmp(lifecycle_moves[i].to, lifecycle_states[b]) == 0;
            if (in_table)
                continue;
            pairs++;
            char *status = xstrdup(lifecycle_states[a]);
            if (!lifecycle_apply("t", &status, lifecycle_states[b]) &&
                strcmp(status, lifecycle_states[a]) == 0)
                refused++;
            free(status);
        }
    }
    is_int(refused, pairs, "every move outside the table is refused");
    ok(!lifecycle_allowed("deleting", "available"), "a deleting instance never comes back");
    ok(!lifecycle_allowed("deleting", "deleting") , "deleting twice is not a move");
    ok(!lifecycle_allowed("creating", "modifying"), "no modify before available");
    char *status = xstrdup("available");
    ok(lifecycle_apply("t", &status, "available"), "re-applying the same status is idempotent");
    free(status);
    ok(!lifecycle_is_state("failing-over"), "failing-over is not an instance status in RDS");
    /* The kinds as main registers them (test_workflow.c checks them row
     * by row). */
    region r = {0};
    ok(workflow_register(&r, wfkinds_all) && workflow_tables_consistent(&r),
       "every workflow step's next step exists");
    return done_testing();
}
