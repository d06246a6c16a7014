/* Walks the instance status table and the workflow step tables. */
#include <stdio.h>

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
    /* Every move in the table is allowed and applies. */
    for (int i = 0; i < lifecycle_move_count; i++) {
        const lifecycle_move *m = &lifecycle_moves[i];
        instance_status from = (instance_status)m->from, to = (instance_status)m->to;
        char name[160];
        snprintf(name, sizeof name, "%s -> %s allowed (%s)", instance_status_name(from),
                 instance_status_name(to), m->why);
        instance_status status = from;
        ok(from != to && lifecycle_apply("t", &status, to) && status == to, name);
    }
    /* Every pair not in the table is refused and leaves the status alone. */
    int refused = 0, pairs = 0;
    for (int a = 0; a < INSTANCE_STATUS_COUNT; a++) {
        for (int b = 0; b < INSTANCE_STATUS_COUNT; b++) {
            if (a == b)
                continue;
            bool in_table = false;
            for (int i = 0; i < lifecycle_move_count; i++)
                in_table |= lifecycle_moves[i].from == a && lifecycle_moves[i].to == b;
            if (in_table)
                continue;
            pairs++;
            instance_status status = (instance_status)a;
            if (!lifecycle_apply("t", &status, (instance_status)b) && status == (instance_status)a)
                refused++;
        }
    }
    is_int(refused, pairs, "every move outside the table is refused");
    ok(!lifecycle_allowed(STATUS_DELETING, STATUS_AVAILABLE),
       "a deleting instance never comes back");
    ok(!lifecycle_allowed(STATUS_DELETING, STATUS_DELETING), "deleting twice is not a move");
    ok(!lifecycle_allowed(STATUS_CREATING, STATUS_MODIFYING), "no modify before available");
    instance_status status = STATUS_AVAILABLE;
    ok(lifecycle_apply("t", &status, STATUS_AVAILABLE) && status == STATUS_AVAILABLE,
       "re-applying the same status is idempotent");
    instance_status parsed = STATUS_AVAILABLE;
    ok(!instance_status_parse("failing-over", &parsed) && parsed == STATUS_AVAILABLE,
       "failing-over is not an instance status in RDS");
    /* The kinds as main registers them (test_workflow.c checks them row
     * by row). */
    region r = {0};
    ok(workflow_register(&r, wfkinds_all) && workflow_tables_consistent(&r),
       "every workflow step's next step exists");
    return done_testing();
}
