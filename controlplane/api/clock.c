/* clock: see clock.h. */
#include "controlplane/api/clock.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "controlplane/core/clockhist.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/log.h"
#include "lib/rclock.h"
#include "lib/util.h"

static void clock_result(const region *r, cJSON *result)
{
    char now[40];
    rclock_format(region_now_ms(r), now, sizeof now);
    cJSON_AddStringToObject(result, "Now", now);
    /* Whole seconds: the offset only ever grows by whole seconds. */
    cJSON_AddNumberToObject(result, "OffsetSeconds", (double)(r->clock_offset_ms / 1000));
}

bool clock_action_describe(region *r, const params *p, cJSON *result, awserr *err)
{
    (void)p;
    (void)err;
    clock_result(r, result);
    return true;
}

bool clock_action_advance(region *r, const params *p, cJSON *result, awserr *err)
{
    if (!params_require(p, "Duration", err))
        return false;
    int64_t seconds = 0;
    if (!params_get_int(p, "Duration", 0, CLOCK_MAX_ADVANCE_S, &seconds, NULL, err))
        return false;
    int64_t offset = r->clock_offset_ms + seconds * 1000;
    if (offset > CLOCK_MAX_OFFSET_MS)
        return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                          "The region clock cannot run more than %lld days ahead.",
                          CLOCK_MAX_OFFSET_MS / 86400000);
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)offset);
    /* One row per step (core/clockhist.h), appended, never rewritten. */
    bool full = false;
    bool saved = store_begin(r->st);
    saved = saved && store_meta_set(r->st, "clock_offset_ms", buf) &&
            clockhist_append(r->st, rclock_now_ms(0), r->clock_offset_ms, offset, &full) &&
            store_commit(r->st);
    if (!saved) {
        store_rollback(r->st);
        if (full)
            return awserr_set(err, AWSERR_INVALID_PARAMETER_VALUE,
                              "The region clock already has %d steps in its last %lld days; "
                              "advance it by larger steps.", CLOCKHIST_MAX,
                              CLOCKHIST_KEEP_MS / 86400000);
        return awserr_set(err, AWSERR_INTERNAL_FAILURE, "The region clock could not be saved.");
    }
    LOG_INFO("region clock advanced seconds=%lld offset_ms=%lld", (long long)seconds,
             (long long)offset);
    r->clock_offset_ms = offset;
    clock_result(r, result);
    return true;
}
