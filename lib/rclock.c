/* rclock: see rclock.h. */
#include "lib/rclock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

int64_t rclock_now_ms(int64_t offset_ms)
{
    return wall_ms() + offset_ms;
}

char *rclock_format(int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return buf;
}

bool rclock_parse(const char *s, int64_t *ms_out)
{
    int y, mo, d, h, mi, sec, used = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 19)
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return false;
    const char *p = s + used;
    int frac = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return false;
        for (; digits < 3; digits++)
            frac *= 10;
    }
    if (!(*p == '\0' || strcmp(p, "Z") == 0 || strcmp(p, "+00:00") == 0))
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    *ms_out = (int64_t)t * 1000 + frac;
    return true;
}

int rclock_history_parse(const char *text, rclock_step **out)
{
    *out = NULL;
    int n = 0, cap = 0;
    for (const char *p = text; p && *p;) {
        long long a = 0, b = 0, c = 0;
        if (sscanf(p, "%lld %lld %lld", &a, &b, &c) == 3) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                *out = xrealloc(*out, (size_t)cap * sizeof **out);
            }
            (*out)[n++] = (rclock_step){.real_ms = a, .from = b, .to = c};
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

int64_t rclock_real_to_region(const rclock_step *h, int n, int64_t current, int64_t real_ms)
{
    if (n == 0)
        return real_ms + current;
    int64_t off = h[0].from;
    for (int i = 0; i < n && h[i].real_ms <= real_ms; i++)
        off = h[i].to;
    return real_ms + off;
}

int64_t rclock_region_to_real(const rclock_step *h, int n, int64_t current, int64_t region_ms)
{
    if (n == 0)
        return region_ms - current;
    /* Interval k runs from h[k-1].real_ms (or the beginning) to h[k].real_ms
     * (or the end) with offset h[k-1].to (or h[0].from). */
    int64_t off = h[0].from;
    for (int k = 0; k < n; k++) {
        int64_t end = h[k].real_ms;
        if (region_ms < end + off)
            return region_ms - off;
        if (region_ms < end + h[k].to)
            return end; /* the clock jumped over it */
        off = h[k].to;
    }
    return region_ms - off;
}
