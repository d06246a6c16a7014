/* transition: see transition.h. */
#include "controlplane/core/transition.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

bool transition_allowed(const transition_table *t, const char *from, const char *to)
{
    for (int i = 0; i < t->nmoves; i++)
        if (strcmp(t->moves[i].from, from) == 0 && strcmp(t->moves[i].to, to) == 0)
            return true;
    return false;
}

bool transition_apply(const transition_table *t, const char *instance_id, char **state,
                      const char *to)
{
    const char *from = *state ? *state : t->unset;
    if (strcmp(from, to) == 0)
        return true;
    if (!transition_allowed(t, from, to)) {
        LOG_ERROR("%s move refused instance=%s from=%s to=%s", t->what, instance_id, from, to);
        return false;
    }
    LOG_INFO("%s instance=%s from=%s to=%s", t->what, instance_id, from, to);
    free(*state);
    *state = xstrdup(to);
    return true;
}
