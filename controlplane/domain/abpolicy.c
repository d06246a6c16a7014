/* abpolicy: see abpolicy.h. */
#include "controlplane/domain/abpolicy.h"

#include <stdio.h>

bool abpolicy_in_window(const char *window, int64_t ms)
{
    int h1, m1, h2, m2;
    char tail;
    if (!window || sscanf(window, "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4)
        return false;
    int start = h1 * 60 + m1, end = h2 * 60 + m2;
    int64_t day_ms = ((ms % ABPOLICY_DAY_MS) + ABPOLICY_DAY_MS) % ABPOLICY_DAY_MS;
    int now = (int)(day_ms / 60000);
    return start <= end ? now >= start && now < end : now >= start || now < end;
}

int abpolicy_retain(const int64_t *ends, int n, int64_t window_start, bool *keep)
{
    int newest_before = -1, kept = 0;
    for (int i = 0; i < n; i++) {
        keep[i] = ends[i] >= window_start;
        if (!keep[i] && (newest_before < 0 || ends[i] >= ends[newest_before]))
            newest_before = i;
    }
    if (newest_before >= 0)
        keep[newest_before] = true;
    for (int i = 0; i < n; i++)
        kept += keep[i];
    return kept;
}
