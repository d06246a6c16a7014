/* clock actions: describe, advance, validation, persistence in the store;
 * the history's rows (core/clockhist.h): appended, not rewritten, pruned
 * past the horizon, capped, a legacy value upgraded, and the time mapping
 * PITR uses unchanged by any of it. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/api/clock.h"
#include "controlplane/core/clockhist.h"
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

static int64_t meta_count(store *st, const char *like)
{
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(store_sqlite(st), "SELECT count(*) FROM meta WHERE key LIKE ?1", -1, &q,
                       NULL);
    sqlite3_bind_text(q, 1, like, -1, SQLITE_TRANSIENT);
    int64_t n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    return n;
}

static bool append(store *st, int64_t real, int64_t from, int64_t to, bool *full)
{
    bool ok_ = store_begin(st);
    ok_ = ok_ && clockhist_append(st, real, from, to, full) && store_commit(st);
    if (!ok_)
        store_rollback(st);
    return ok_;
}

/* Hole 6b of issue 13. */
static void test_history(const char *dir)
{
    char *path = xasprintf("%s/hist.db", dir);
    store *st = store_open(path);
    const int64_t day = 86400000LL, t0 = 1790000000000LL;
    /* A store from before: the whole history in one value. */
    store_meta_set(st, "clock_history", "1000 0 100000\n2000 100000 100000\n5000 100000 300000\n");
    rclock_step *h = NULL;
    is_int(clockhist_load(st, &h), 3, "a legacy history is read");
    free(h);
    bool full = false;
    ok(append(st, 6000, 300000, 400000, &full), "an advance appends");
    ok(store_meta_get(st, "clock_history") == NULL, "... and moves the legacy value to rows");
    int n = clockhist_load(st, &h);
    ok(n == 3 && h[0].real_ms == 1000 && h[1].to == 300000 && h[2].real_ms == 6000,
       "steps in order; the one that changed nothing left out");
    free(h);
    ok(append(st, 7000, 400000, 400000, &full) && meta_count(st, "clock_step:%") == 3,
       "an advance of 0 records nothing");

    /* The mapping PITR uses: the same from rows as from the text. */
    const char *text = "1000 0 100000\n5000 100000 300000\n6000 300000 400000\n";
    rclock_step *a = NULL, *b = NULL;
    int na = rclock_history_parse(text, &a), nb = clockhist_load(st, &b);
    int diff = na == nb ? 0 : 1;
    for (int64_t x = 0; x < 20000 && !diff; x += 37) {
        diff += rclock_real_to_region(a, na, 400000, x) != rclock_real_to_region(b, nb, 400000, x);
        diff += rclock_region_to_real(a, na, 400000, x * 40) !=
                rclock_region_to_real(b, nb, 400000, x * 40);
    }
    ok(diff == 0, "rows map times exactly as the old text did");
    free(a);
    free(b);

    /* 200 one-day advances, one a second of real time: steps older than
     * the horizon go, the ones after it keep the mapping exact. */
    int64_t off = 400000;
    for (int i = 0; i < 200; i++, off += day)
        append(st, t0 + i * 1000, off, off + day, &full);
    int kept = (int)meta_count(st, "clock_step:%");
    ok(kept > 90 && kept <= 102, "steps past the 100-day horizon are dropped");
    diag("%d steps kept of 203", kept);
    n = clockhist_load(st, &h);
    int64_t now_region = t0 + 199 * 1000 + off, wrong = 0;
    for (int i = 120; i < 200; i++) { /* region times within 80 days */
        int64_t real = t0 + i * 1000 + 500;
        int64_t want = real + 400000 + (int64_t)(i + 1) * day;
        wrong += rclock_region_to_real(h, n, off, want) != real;
        wrong += rclock_real_to_region(h, n, off, real) != want;
    }
    ok(wrong == 0 && now_region - (t0 + 120 * 1000 + 400000 + 121 * day) < CLOCKHIST_KEEP_MS,
       "times within the horizon still map exactly both ways");
    free(h);

    /* The cap: many small advances within the horizon are refused at
     * CLOCKHIST_MAX, with nothing written. */
    int64_t real = t0 + 300000;
    int done = 0;
    for (; done < CLOCKHIST_MAX + 10; done++, off += 1000)
        if (!append(st, real + done, off, off + 1000, &full))
            break;
    ok(full && meta_count(st, "clock_step:%") == CLOCKHIST_MAX,
       "at CLOCKHIST_MAX steps an advance is refused");
    store_close(st);
    free(path);
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
    test_history(dir);
    fs_rm_rf(dir);
    free(path);
    return done_testing();
}
