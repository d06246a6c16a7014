/* logline: see logline.h. */
#include "controlplane/obs/logline.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool logline_parse_ts(const char *s, size_t len, int64_t *ms)
{
    int y, mo, d, h, mi, se, frac = 0;
    if (len < 23 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
        !digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    size_t i = 19;
    if (s[i] == '.') {
        int scale = 100;
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            frac += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (i + 4 > len || (memcmp(s + i, " UTC", 4) != 0 && memcmp(s + i, " GMT", 4) != 0))
        return false;
    *ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL + se * 1000LL + frac;
    return true;
}

/* A prefixed line whose severity belongs to the message before it. */
static bool continues(const char *line, size_t len)
{
    static const char *const parts[] = {"DETAIL:", "HINT:", "CONTEXT:", "STATEMENT:",
                                        "QUERY:", "LOCATION:"};
    /* The severity follows the prefix: look in the line's first 200 bytes
     * for "] SEV:" ('%m [%p] ') or "]:SEV:" (RDS's '...:[%p]:'). */
    size_t n = len < 200 ? len : 200;
    for (size_t i = 0; i + 2 < n; i++) {
        if (line[i] != ']' || (line[i + 1] != ' ' && line[i + 1] != ':'))
            continue;
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
            size_t pl = strlen(parts[k]);
            if (i + 2 + pl <= len && memcmp(line + i + 2, parts[k], pl) == 0)
                return true;
        }
        return false;
    }
    return false;
}

size_t logline_cut(const char *buf, size_t len, int64_t fallback_ms, logline_fn fn, void *arg,
                   bool *stopped, int64_t *last_ts)
{
    *stopped = false;
    *last_ts = fallback_ms;
    size_t done = 0;              /* bytes of events handed to fn */
    bool open = false;            /* an event [ev.off, pos) is being built */
    logline_event ev = {0};
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl) {
            if (len < LOGLINE_WINDOW)
                break; /* an incomplete line waits for its end */
            nl = buf + len - 1; /* a full window without a newline: cut it */
        }
        size_t end = (size_t)(nl - buf) + 1, llen = end - pos;
        int64_t ts;
        bool starts = logline_parse_ts(buf + pos, llen, &ts) && !continues(buf + pos, llen);
        if (open && starts) {
            ev.len = pos - ev.off;
            if (!fn(arg, buf, &ev)) {
                *stopped = true;
                return done;
            }
            done = pos;
            open = false;
        }
        if (!open) {
            ev.off = pos;
            ev.ts_ms = starts ? ts : *last_ts;
            *last_ts = ev.ts_ms;
            open = true;
        }
        pos = end;
    }
    if (open) {
        ev.len = pos - ev.off;
        if (!fn(arg, buf, &ev)) {
            *stopped = true;
            return done;
        }
        done = pos;
    }
    return done;
}

/* The length of the valid UTF-8 sequence at s (1..4), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need;
    unsigned min;
    if (c < 0x80)
        return c ? 1 : 0;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    unsigned cp = c & (0x7F >> need);
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

char *logline_clean(const char *s, size_t len, size_t cap, size_t *out_len)
{
    if (len > 0 && s[len - 1] == '\n')
        len--;
    /* At most 3 output bytes per input byte (U+FFFD), bounded by cap. */
    size_t room = len < cap ? len * 3 : cap;
    if (room > cap)
        room = cap;
    char *out = xmalloc(room + 1);
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len(u + i, len - i);
        const char *src = n ? s + i : "\xEF\xBF\xBD";
        size_t w = n ? n : 3;
        if (o + w > room)
            break;
        memcpy(out + o, src, w);
        o += w;
        i += n ? n : 1;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}
