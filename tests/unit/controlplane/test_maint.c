/* maint's window arithmetic: inside the window, the next start, due after
 * a clock jump; windows that wrap midnight and the week. Times are region
 * ms; the cases name them in ISO 8601 (2026-11-23 is a Monday). */
#include <stdio.h>
#include <string.h>

#include "controlplane/domain/maint.h"
#include "controlplane/core/validate.h"
#include "lib/rclock.h"
#include "lib/tap.h"

static int64_t at(const char *iso)
{
    int64_t ms = 0;
    if (!rclock_parse(iso, &ms))
        printf("# bad time %s\n", iso);
    return ms;
}

static const struct {
    const char *name, *window, *t;
    bool inside;
    const char *next; /* the first start strictly after t */
} cases[] = {
    {"before, same day", "mon:12:00-mon:12:30", "2026-11-23T11:59:59Z", false,
     "2026-11-23T12:00:00Z"},
    {"at the start", "mon:12:00-mon:12:30", "2026-11-23T12:00:00Z", true,
     "2026-11-30T12:00:00Z"},
    {"inside", "mon:12:00-mon:12:30", "2026-11-23T12:29:59.999Z", true, "2026-11-30T12:00:00Z"},
    {"at the end (exclusive)", "mon:12:00-mon:12:30", "2026-11-23T12:30:00Z", false,
     "2026-11-30T12:00:00Z"},
    {"another day", "wed:03:00-wed:04:00", "2026-11-23T03:30:00Z", false,
     "2026-11-25T03:00:00Z"},
    {"past this week's", "sun:03:00-sun:04:00", "2026-11-29T05:00:00Z", false,
     "2026-12-06T03:00:00Z"},
    {"wraps midnight, before", "tue:23:45-wed:00:15", "2026-11-24T23:50:00Z", true,
     "2026-12-01T23:45:00Z"},
    {"wraps midnight, after", "tue:23:45-wed:00:15", "2026-11-25T00:10:00Z", true,
     "2026-12-01T23:45:00Z"},
    {"wraps the week, sunday", "sun:23:45-mon:00:15", "2026-11-29T23:59:00Z", true,
     "2026-12-06T23:45:00Z"},
    {"wraps the week, monday", "sun:23:45-mon:00:15", "2026-11-23T00:14:00Z", true,
     "2026-11-29T23:45:00Z"},
    {"wraps the week, outside", "sun:23:45-mon:00:15", "2026-11-23T00:15:00Z", false,
     "2026-11-29T23:45:00Z"},
    {"epoch's thursday", "thu:00:00-thu:00:30", "1970-01-01T00:10:00Z", true,
     "1970-01-08T00:00:00Z"},
};

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int s = 0, e = 0;
        bool parsed = validate_parse_maintenance_window(cases[i].window, &s, &e);
        int64_t t = at(cases[i].t);
        char name[160];
        snprintf(name, sizeof name, "%s: %s at %s inside=%d", cases[i].name, cases[i].window,
                 cases[i].t, cases[i].inside);
        ok(parsed && maint_window_contains(s, e, t) == cases[i].inside, name);
        char got[40], want[40];
        rclock_format(maint_window_next_start(s, t), got, sizeof got);
        rclock_format(at(cases[i].next), want, sizeof want);
        snprintf(name, sizeof name, "%s: next start", cases[i].name);
        is_str(got, want, name);
    }

    int s = 0, e = 0;
    validate_parse_maintenance_window("wed:03:00-wed:03:30", &s, &e);
    int64_t tue = at("2026-11-24T10:00:00Z");
    ok(!maint_window_due(s, e, tue, at("2026-11-25T02:59:00Z")), "not due before the window");
    ok(maint_window_due(s, e, tue, at("2026-11-25T03:10:00Z")), "due inside the window");
    ok(maint_window_due(s, e, tue, at("2026-11-26T10:00:00Z")),
       "due after a clock jump over the whole window");
    ok(maint_window_due(s, e, tue, at("2026-12-10T10:00:00Z")), "due after a jump of weeks");
    ok(!maint_window_due(s, e, at("2026-11-25T03:30:00Z"), at("2026-11-26T10:00:00Z")),
       "not due again once the window has been seen to end");
    ok(!maint_window_due(s, e, at("2026-11-25T04:00:00Z"), at("2026-11-25T04:00:00Z")),
       "no time passed: not due");
    ok(!maint_window_contains(s, s, tue), "an empty window contains nothing");
    return done_testing();
}
