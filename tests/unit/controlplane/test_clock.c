/* clock actions: describe, advance, validation, persistence in the store. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/api/clock.h"
#include "controlplane/core/region.h"
#include "controlplane/core/store.h"
#include "lib/fsutil.h"
#include "lib/rclock.h"
#include "lib/tap.h"
#include "lib/util.h"

/* Runs a clock action on a Query body; returns the result (caller
 * deletes) or NULL with *err set. */
static cJSON *call(region *r, bool advance, const char *body, awserr *err)
{
    *err = (awserr){0};
    params *p = params_parse(body, strlen(body), err);
    if (!p)
        return NULL;
    cJSON *res = cJSON_CreateObject();
    bool good = advance ? clock_action_advance(r, p, res, err) : clock_action_describe(r, p, res, err);
    params_free(p);
    if (!good) {
        cJSON_Delete(res);
        return NULL;
    }
    return res;
}

int main(void)
{
    char dir[] = "/tmp/rdsim-clock-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char *path = xasprintf("%s/cp.db", dir);
    region r = {0};
    r.st = store_open(path);
    ok(r.st != NULL, "store");
    awserr err;

    cJSON *res = call(&r, false, "", &err);
    const cJSON *off = cJSON_GetObjectItem(res, "OffsetSeconds");
    int64_t now_ms = 0;
    ok(res && cJSON_IsNumber(off) && off->valuedouble == 0, "a new region's offset is 0");
    ok(rclock_parse(cJSON_GetObjectItem(res, "Now")->valuestring, &now_ms) &&
           llabs(now_ms - wall_ms()) < 5000,
       "Now is wall time");
    cJSON_Delete(res);

    res = call(&r, true, "Duration=3110400", &err); /* 36 days */
    ok(res && r.clock_offset_ms == 3110400000LL, "advance 36d moves the offset");
    ok(res && rclock_parse(cJSON_GetObjectItem(res, "Now")->valuestring, &now_ms) &&
           llabs(now_ms - (wall_ms() + 3110400000LL)) < 5000,
       "and the reply's Now is 36 days ahead");
    is_int(cJSON_GetObjectItem(res, "OffsetSeconds")->valuedouble, 3110400, "OffsetSeconds");
    cJSON_Delete(res);
    char *stored = store_meta_get(r.st, "clock_offset_ms");
    is_str(stored, "3110400000", "the offset is in the store");
    free(stored);
    res = call(&r, true, "Duration=0", &err);
    ok(res && r.clock_offset_ms == 3110400000LL, "advance 0 is allowed and changes nothing");
    cJSON_Delete(res);

    static const struct {
        const char *body;
        awserr_code want;
    } bad[] = {
        {"", AWSERR_MISSING_PARAMETER},
        {"Duration=", AWSERR_MISSING_PARAMETER},
        {"Duration=-1", AWSERR_INVALID_PARAMETER_VALUE},
        {"Duration=1.5", AWSERR_INVALID_PARAMETER_VALUE},
        {"Duration=1d", AWSERR_INVALID_PARAMETER_VALUE},
        {"Duration=99999999999999999999", AWSERR_INVALID_PARAMETER_VALUE},
        {"Duration=3162240001", AWSERR_INVALID_PARAMETER_VALUE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[96];
        snprintf(name, sizeof name, "'%s' refused with %s", bad[i].body,
                 awserr_wire_code(bad[i].want));
        res = call(&r, true, bad[i].body, &err);
        ok(!res && err.code == bad[i].want && r.clock_offset_ms == 3110400000LL, name);
        cJSON_Delete(res);
    }
    int steps = 0;
    while ((res = call(&r, true, "Duration=3162240000", &err)) != NULL && steps < 20) {
        cJSON_Delete(res);
        steps++;
    }
    ok(steps == 9 && err.code == AWSERR_INVALID_PARAMETER_VALUE &&
           r.clock_offset_ms <= CLOCK_MAX_OFFSET_MS,
       "the offset stops at its limit");

    store_close(r.st);
    r.st = store_open(path);
    stored = store_meta_get(r.st, "clock_offset_ms");
    int64_t v = 0;
    ok(stored && str_to_int64(stored, 0, INT64_MAX, &v) && v == r.clock_offset_ms,
       "the offset survives a reopen");
    free(stored);
    store_close(r.st);
    fs_rm_rf(dir);
    free(path);
    return done_testing();
}
