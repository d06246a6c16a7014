/* transition: see transition.h. */
#include "controlplane/core/transition.h"

#include "lib/log.h"

bool transition_allowed(const transition_table *t, int from, int to)
{
    for (int i = 0; i < t->nmoves; i++)
        if (t->moves[i].from == from && t->moves[i].to == to)
            return true;
    return false;
}

bool transition_check(const transition_table *t, const char *instance_id, int from, int to)
{
    if (from == to)
        return true;
    if (!transition_allowed(t, from, to)) {
        LOG_ERROR("%s move refused instance=%s from=%s to=%s", t->what, instance_id,
                  t->name(from), t->name(to));
        return false;
    }
    LOG_INFO("%s instance=%s from=%s to=%s", t->what, instance_id, t->name(from), t->name(to));
    return true;
}
